"""What one Ray task does: ``twistcoach analyze --workers 1`` on one input.

The task calls :func:`twistcoach.cli.analyze_cmd.run_analyze` itself, so every per-input
file (``summary.json``, ``metrics.csv``, ``report.html``, ``annotated.*``) is written by the
same code, with the same numbers, as ``analyze`` writes it. ``workers=1`` keeps the task to
one process (Ray gives each task one CPU; ``analyze``'s numbers do not depend on its worker
count). Frames are decoded and estimated one at a time as they stream from the file: a
task holds one frame and the per-frame results, never the whole video.

The results go to a staging folder that the driver then moves into place whole
(:mod:`twistcoach.batch.runner`), so the output folder never holds half of an input's
results. This module does not import Ray: the task is a plain function, tested as one.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Lines of the analysis's own messages kept with a task's outcome (for the failure reason
#: when the summary has none).
LOG_TAIL_LINES = 20
#: File system errors a second try would only repeat (the same names in the same output
#: folder): a name too long, a read-only file system. Their failure is recorded at once.
LASTING_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.EROFS})


def worth_retrying(error: BaseException) -> bool:
    """True when another try may succeed after ``error`` (an exception in the analysis, a
    worker's trouble); False for a file system error that would only repeat
    (:data:`LASTING_ERRNOS`)."""
    return not (isinstance(error, OSError) and error.errno in LASTING_ERRNOS)


@dataclass(frozen=True)
class TaskSpec:
    """One try at one input.

    Attributes
    ----------
    path
        The input file (absolute; on a cluster every node must see it at this path).
    name
        Its result folder's name in the output folder.
    out
        The output folder (absolute).
    staging
        An empty folder for this try's results (absolute).
    body, cap_deg, annotate, flat
        ``analyze``'s ``--body``, ``--cap``, ``--annotate`` and ``--flat`` (``cap_deg``
        None: no ``--cap``, the default of the measure the analysis finds; ``flat`` None:
        no ``--flat``).
    lang
        The language of the reports it writes (the driver's ``--lang``: a worker process
        does not inherit it).
    mirrored
        ``analyze``'s ``--mirrored``: the video's frames flipped left to right.
    """

    path: str
    name: str
    out: str
    staging: str
    body: str
    cap_deg: float | None
    annotate: bool = False
    flat: str | None = None
    lang: str = "en"
    mirrored: bool = False


@dataclass(frozen=True)
class TaskOutcome:
    """What a try gives back to the driver (small: the files stay on disk).

    Attributes
    ----------
    ok
        True when the input was analysed.
    error
        Why it was not (one line), else None.
    summary
        Its ``summary.json`` (the failure summary when it failed).
    results
        The staging folder holding the result files (None when it failed).
    seconds
        Wall time of the try.
    log
        The last lines of the analysis's messages (warnings, the error).
    retry
        True when another try may succeed (an exception in the analysis, a file this node
        cannot see); False when the analysis refused the input itself (an unreadable file,
        a photograph it cannot calibrate on) or a file system error would only repeat (a
        name too long: :func:`worth_retrying`), which a second try would only repeat.
    """

    ok: bool
    error: str | None
    summary: dict[str, Any]
    results: str | None
    seconds: float
    log: str = ""
    node: str | None = field(default=None)
    retry: bool = False


def _failure(
    spec: TaskSpec, message: str, t0: float, log: str = "", *, retry: bool = False
) -> TaskOutcome:
    from twistcoach import report
    from twistcoach.sources import is_image_file

    kind = "image" if is_image_file(Path(spec.path)) else "video"
    summary = report.failure_summary(Path(spec.path), kind, message)
    return TaskOutcome(False, message, summary, None, time.perf_counter() - t0, log, retry=retry)


def analyze_input(spec: TaskSpec) -> TaskOutcome:
    """Analyse one input into ``spec.staging``; never raises for a bad input.

    ``summary.json``'s ``outputs`` name the files where they will be once the driver has
    moved the results to ``out/name/``.

    Returns
    -------
    TaskOutcome
        ``results`` is the folder (inside ``spec.staging``) that holds the files.
    """
    from twistcoach import i18n, report
    from twistcoach.cli.analyze_cmd import run_analyze

    i18n.set_language(spec.lang)
    t0 = time.perf_counter()
    path = Path(spec.path)
    if not path.is_file():
        return _failure(
            spec,
            f"{path}: no such file on this node (on a cluster, every node must see the "
            "inputs and the output folder at the same paths)",
            t0,
            retry=True,  # another node may see it
        )
    staging = Path(spec.staging)
    messages = io.StringIO()
    try:
        staging.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stderr(messages), contextlib.redirect_stdout(messages):
            code = run_analyze(
                [path],
                staging,
                as_json=False,
                annotate=spec.annotate,
                cap_deg=spec.cap_deg,
                workers=1,
                body=spec.body,
                flat=None if spec.flat is None else Path(spec.flat),
                mirrored=spec.mirrored,
            )
        written = staging / "summaries.json"
        if not written.is_file():
            # analyze refused before analysing (a flat photograph that cannot calibrate):
            # its own message says why.
            said = messages.getvalue()
            reason = _last_error(said) or f"analysis failed (exit status {code})"
            if reason.startswith("--flat "):  # a manifest's column, not an option here
                reason = "the flat photograph " + reason.removeprefix("--flat ")
            reason = reason if reason.startswith(str(path)) else f"{path}: {reason}"
            return _failure(spec, reason, t0, _tail(said))
        summaries = json.loads(written.read_text(encoding="utf-8"))
    except Exception as e:  # an input must never take the task down with a traceback
        log = _tail(messages.getvalue())
        return _failure(
            spec,
            f"{path}: analysis failed ({type(e).__name__}: {e})",
            t0,
            log,
            retry=worth_retrying(e),
        )
    log = _tail(messages.getvalue())
    summary: dict[str, Any] = summaries[0] if summaries else {}
    if not summary or "error" in summary:
        reason = str(summary.get("error") or log.splitlines()[-1:] or "no result")
        shutil.rmtree(staging, ignore_errors=True)
        return _failure(spec, reason, t0, log)
    folders = [p for p in staging.iterdir() if p.is_dir()]
    if len(folders) != 1:
        return _failure(spec, f"{path}: analyze wrote {len(folders)} result folders", t0, log)
    results = folders[0]
    final = Path(spec.out) / spec.name
    summary["outputs"] = {
        key: str(final / Path(value).name) for key, value in summary.get("outputs", {}).items()
    }
    report.write_json(results / "summary.json", summary)
    return TaskOutcome(True, None, summary, str(results), time.perf_counter() - t0, log)


def _last_error(text: str) -> str | None:
    """The last ``error:`` line analyze printed, without the prefix; None when none."""
    errors = [
        line[len("error:") :].strip() for line in text.splitlines() if line.startswith("error:")
    ]
    return errors[-1] if errors else None


def _tail(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-LOG_TAIL_LINES:])
