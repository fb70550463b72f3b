"""A broken packaged rule or data file is the project's own error, said in plain words.

Each loader reads its file under :func:`twistcoach.rulefiles.data_root`; the tests point
that at a copy in ``tmp_path`` with one typo and check that the loader raises a
:class:`~twistcoach.errors.RuleFileError` naming the file, that a command says it on one
line with exit 2, and that ``twistcoach serve`` refuses to start with it (never a
traceback, as a renamed key in ``rules/seated_camera.yaml`` and a misspelt cue id in
``rules/coaching_seated.yaml`` gave).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twistcoach import rulefiles
from twistcoach.cli.app import build_app
from twistcoach.errors import DataError, RuleFileError
from twistcoach.rules import check_data_files, data_loaders

PACKAGE = Path(str(resources.files("twistcoach")))

#: (file, text in it, its typo): one fault each loader must name.
TYPOS = [
    ("rules/coaching_seated.yaml", "cue: stop_sharp_pain", "cue: stop_sharp_pian"),
    ("rules/seated_camera.yaml", "  recommended: >-", "  recomended: >-"),
    ("rules/coaching.yaml", "cue: stop_sharp_pain", "cue: stop_sharp_pian"),
    ("rules/screening.yaml", "  - id: caution_supine_only\n", "  - idd: caution_supine_only\n"),
    ("rules/safety.yaml", "\nrules:\n", "\nrulez:\n"),
    ("rules/progression.yaml", "\nrules:\n", "\nrulez:\n"),
    ("rules/wording.yaml", "cue_situations:", "cue_situation:"),
    ("export/clinical_report.yaml", "footer:", "foot:"),
    ("export/accuracy.yaml", "method:", "methd:"),
    ("poses/library/seated_twist_easy.yaml", "english_name:", "english_nam:"),
]


def _clear_caches() -> None:
    """Forget every loader's cached table (the next call reads the files again)."""
    from twistcoach.export import accuracy

    for _name, load in data_loaders():
        clear = getattr(load, "cache_clear", None)
        if clear is not None:
            clear()
    accuracy._CACHE.clear()


@pytest.fixture
def broken_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """A copy of the packaged data files that the loaders read; ``break_(file, old, new)``
    puts one typo in it."""
    for folder in ("rules", "export", "poses/library"):
        shutil.copytree(
            PACKAGE / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("*.py", "__pycache__"),
        )
    monkeypatch.setattr(rulefiles, "data_root", lambda: tmp_path)
    _clear_caches()

    def break_(name: str, old: str, new: str) -> Path:
        path = tmp_path / name
        text = path.read_text("utf-8")
        assert old in text, f"{old!r} is no longer in {name}: update the test's typo"
        path.write_text(text.replace(old, new, 1), "utf-8")
        return path

    yield break_
    monkeypatch.undo()
    _clear_caches()


def test_every_packaged_data_file_has_a_loader() -> None:
    named = {name for name, _load in data_loaders()}
    shipped = {f"rules/{p.name}" for p in (PACKAGE / "rules").glob("*.yaml")}
    shipped |= {f"export/{p.name}" for p in (PACKAGE / "export").glob("*.yaml")}
    assert shipped | {"poses/library"} == named
    assert {name.rsplit("/", 1)[0] for name, *_ in TYPOS} >= {"rules", "export", "poses/library"}
    assert {name for name, *_ in TYPOS if name.startswith(("rules", "export"))} == shipped


def test_the_copy_itself_loads(broken_copy: Callable[..., Path]) -> None:
    check_data_files()  # the copy unchanged: nothing raised (the typos below are the fault)


@pytest.mark.parametrize(("name", "old", "new"), TYPOS, ids=[t[0] for t in TYPOS])
def test_a_typo_in_a_data_file_is_a_rule_file_error_naming_it(
    broken_copy: Callable[..., Path], name: str, old: str, new: str
) -> None:
    broken_copy(name, old, new)
    with pytest.raises(RuleFileError) as info:
        check_data_files()
    message = str(info.value)
    where = name if not name.startswith("poses/") else name.rsplit("/", 1)[1]
    assert where in message, message
    # Not a form's mistake (a DataError is shown as the person's own input).
    assert not isinstance(info.value, DataError)


def test_a_file_that_is_not_yaml_names_itself(broken_copy: Callable[..., Path]) -> None:
    broken_copy("rules/seated_camera.yaml", "advice:", "advice: [")
    with pytest.raises(RuleFileError, match=r"rules/seated_camera\.yaml: not valid YAML"):
        check_data_files()


def test_a_missing_file_names_itself(broken_copy: Callable[..., Path]) -> None:
    (broken_copy("rules/wording.yaml", "version: 1", "version: 1")).unlink()
    with pytest.raises(RuleFileError, match=r"rules/wording\.yaml: cannot be read"):
        check_data_files()


def test_the_seated_rules_typo_names_the_cue(broken_copy: Callable[..., Path]) -> None:
    broken_copy("rules/coaching_seated.yaml", "cue: stop_sharp_pain", "cue: stop_sharp_pian")
    from twistcoach.seated_tracking import load_seated_coaching_rules

    with pytest.raises(
        RuleFileError, match=r"rules/coaching_seated\.yaml: .*missing cues: stop_sharp_pain"
    ):
        load_seated_coaching_rules()


def test_the_camera_advice_typo_names_the_missing_key(broken_copy: Callable[..., Path]) -> None:
    broken_copy("rules/seated_camera.yaml", "  recommended: >-", "  recomended: >-")
    from twistcoach.seated_tracking import load_seated_camera_advice

    with pytest.raises(RuleFileError, match=r"rules/seated_camera\.yaml: advice missing: recom"):
        load_seated_camera_advice()


@pytest.mark.parametrize(
    ("name", "old", "new", "args"),
    [
        ("rules/screening.yaml", "  - id: caution_supine_only\n", "  - idd: x\n", ["plan"]),
        ("rules/wording.yaml", "cue_situations:", "cue_situation:", ["poses", "Revolved triangle"]),
        ("poses/library/seated_twist_easy.yaml", "english_name:", "english_nam:", ["poses"]),
    ],
    ids=["screening", "wording", "pose library"],
)
def test_a_command_says_it_in_one_line_and_exits_2(
    broken_copy: Callable[..., Path], name: str, old: str, new: str, args: list[str]
) -> None:
    broken_copy(name, old, new)
    if args == ["plan"]:
        args = ["plan", "examples/02_chronic_low_back_pain.json"]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert name.rsplit("/", 1)[-1] in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [TYPOS[0], TYPOS[1]],
    ids=["coaching_seated", "seated_camera"],
)
def test_serve_refuses_to_start_in_plain_words(
    broken_copy: Callable[..., Path], name: str, old: str, new: str
) -> None:
    broken_copy(name, old, new)
    result = CliRunner().invoke(build_app(), ["serve", "--port", "1"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: the web app cannot start: {name}: ")
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1


def test_the_web_app_is_not_built_on_a_broken_file(
    broken_copy: Callable[..., Path], tmp_path: Path
) -> None:
    from twistcoach.web import WebSettings, create_app
    from twistcoach.web.app import status_for

    broken_copy(*TYPOS[1])
    with pytest.raises(RuleFileError, match="seated_camera") as info:
        create_app(WebSettings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    assert status_for(info.value) == 500  # the server's own fault, never a 422 on a form


def test_camera_advice_that_is_not_a_mapping_is_a_rule_file_error(
    broken_copy: Callable[..., Path],
) -> None:
    """A list at the top of the file (every key turned into a list item) gives the plain
    message, not an AttributeError."""
    path = broken_copy("rules/seated_camera.yaml", "version: 1", "version: 1")
    path.write_text("- version: 1\n- advice: {}\n", "utf-8")
    from twistcoach.seated_tracking import load_seated_camera_advice

    with pytest.raises(RuleFileError, match=r"rules/seated_camera\.yaml: needs version 1"):
        load_seated_camera_advice()
