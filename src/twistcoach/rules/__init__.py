"""The packaged rule and data files, and the check that reads them all.

``python -m twistcoach.rules [PATH]`` regenerates the rule tables in docs/screening.md.

:func:`check_data_files` loads every packaged rule and data file through its own loader,
so a typo in one (``cue: stop_sharp_pian``, a renamed key) is found before the web app
serves anyone (``twistcoach serve`` runs it and exits 2 with the message), not on the first
request that needs the file. Each loader raises a :class:`~twistcoach.errors.RuleFileError`
naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Callable


def data_loaders() -> tuple[tuple[str, Callable[[], object]], ...]:
    """(file, loader) for every packaged rule and data file, in one place.

    Returns
    -------
    tuple
        Each file (or folder, for the pose library) under the package, with the function
        that reads and validates it (cached by the loader itself).
    """
    from twistcoach.coaching import load_coaching_rules
    from twistcoach.export.accuracy import load_accuracy
    from twistcoach.export.clinical_report import load_template
    from twistcoach.planning.rules import load_safety_rules
    from twistcoach.poses import load_library
    from twistcoach.progression import load_progression_rules
    from twistcoach.screening import load_rules
    from twistcoach.seated_tracking import load_seated_camera_advice, load_seated_coaching_rules
    from twistcoach.wording import wording

    return (
        ("poses/library", load_library),
        ("rules/screening.yaml", load_rules),
        ("rules/coaching.yaml", load_coaching_rules),
        ("rules/coaching_seated.yaml", load_seated_coaching_rules),
        ("rules/seated_camera.yaml", load_seated_camera_advice),
        ("rules/safety.yaml", load_safety_rules),
        ("rules/progression.yaml", load_progression_rules),
        ("rules/wording.yaml", wording),
        ("export/clinical_report.yaml", load_template),
        ("export/accuracy.yaml", load_accuracy),
    )


def check_data_files() -> None:
    """Load every packaged rule and data file (:func:`data_loaders`).

    Raises
    ------
    twistcoach.errors.RuleFileError
        The first file that is broken, its message naming the file and the field.
    """
    for _name, load in data_loaders():
        load()
