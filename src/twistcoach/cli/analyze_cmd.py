"""``twistcoach analyze``: measure twists in photographs and videos, write reports.

For each input a folder ``OUT/<name>/`` receives ``summary.json``; videos also get
``metrics.csv`` (one row per frame) and ``report.html`` (plots inline); ``--annotate`` adds
``annotated.png`` (photos) or ``annotated.mp4`` (videos). ``OUT/summaries.json`` lists every
summary, including failed inputs with their ``error``. Before an input's results are
written, the files ``analyze`` writes are cleared from its folder (:data:`RESULT_FILES`:
nothing from an earlier run of another input with the same stem stays beside them), and an
input that fails leaves none there. An input inside ``OUT`` is refused (exit status 2): its
own results would be written over it. ``OUT`` is made only once the options and ``--flat``
are known good. A picture of several frames (an animated WebP or PNG, a TIFF of pages) is
measured on its first frame, with a warning saying so (``photo.first_frame_only``). Folder
names are bounded (:func:`_folder_name`) and never hidden, ``.`` or ``..``; every file name
and message is printed as it is, never read as Rich markup.

Which twist: ``--twist supine`` measures the knee drop (a supine twist), ``--twist seated``
or ``--twist standing`` the trunk rotation (the chest turned from the hips, by
:class:`twistcoach.seated_tracking.RotationTracker`, the live coach's seated tracker), and
``--twist auto`` (the default) the one the video shows: the pose recognition of the supine
tracker's pass names the family (``report.measure_of``). A supine twist's video is
estimated with MediaPipe's heavy landmark model (``estimator.RECORDED_MODEL``), a seated or
standing twist's with the full one (``estimator.ROTATION_MODEL``, which reads the trunk
rotation better): with ``auto``, a video the first (heavy) pass finds seated or standing is
estimated again with the full model, then measured by the rotation tracker.
A photograph alone gives neither a supine twist's knee drop nor a seated or standing twist's
trunk rotation (``report.photo_rotation_metrics``: one photo has no neutral pose to calibrate
on, and a reading without one was up to 18-44 degrees off); ``--flat FLAT`` calibrates the camera
on a photograph of the person's neutral pose from the same place (lying still, knees up; or
sitting or standing square: ``photo.calibrate_on_photo``) and measures the
photographs as a session's frames (``bench/PHOTO_FLAT.md``, ``bench/ACCURACY_SEATED.md``'s
calibrated columns).

A bad input never stops the batch: its error is printed (naming the file) and the others go
on. A video decoded only in part (a truncated file: fewer frames than its header declares)
is analysed as far as it goes, with a warning printed and kept in its summary's
``warnings``. An annotated picture or video that cannot be written (an encoder that refuses
the frame size, a full disk) loses only itself: the input's other results are written, and
a warning says why (:func:`annotation_warning`). ``--mirrored`` flips every video frame
left to right before it is measured (a recording a phone saved mirrored: the person's right
reads as their left otherwise); the annotated video then shows the recording as saved,
with the skeleton placed on it (``pipeline.as_saved``). Photographs are never flipped, so
``--mirrored`` with one is refused. Exit status: 0 when every input was analysed, 2 when
any input failed (each failure is printed and recorded in ``summaries.json``) or the
options are wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from twistcoach.i18n import ngettext, t

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from rich.console import Console

    from twistcoach.metrics import BodyType, PoseFamily
    from twistcoach.photo import ImageAnalysis
    from twistcoach.pipeline import VideoAnalysis
    from twistcoach.report import MeasureWords
    from twistcoach.tracking import TwistTracker

DEFAULT_OUT = Path("twistcoach-analysis")
#: ``--twist`` values.
TWISTS = ("auto", "supine", "seated", "standing")
#: The trunk rotation's cap when ``--cap`` is not given (degrees): the knee drop's default
#: (``report.DEFAULT_CAP_DEG``, 60 of its ~90° range) as the same share of the rotation's
#: normal active range, about 45° each way (CLINICAL.md §5): 30.
DEFAULT_ROTATION_CAP_DEG = 30.0


def default_cap_deg(measure: str) -> float:
    """The range cap checked when ``--cap`` is not given, degrees of ``measure``.

    Parameters
    ----------
    measure : str
        ``report.TwistMeasure`` (or its value, as ``summary.json`` writes it): ``knee_drop``
        or ``trunk_rotation``.

    Returns
    -------
    float
        ``report.DEFAULT_CAP_DEG`` (60°) for a knee drop, :data:`DEFAULT_ROTATION_CAP_DEG`
        (30°) for a trunk rotation. ``analyze`` and ``batch`` both take it from here.
    """
    from twistcoach import report

    if report.TwistMeasure(measure) is report.TwistMeasure.TRUNK_ROTATION:
        return DEFAULT_ROTATION_CAP_DEG
    return report.DEFAULT_CAP_DEG


#: The summaries of a whole run, in the output folder (never an input's folder name).
SUMMARIES_FILE = "summaries.json"
#: The files ``analyze`` writes in an input's result folder: cleared before it writes an
#: input's results and when the input fails, so a folder never mixes this run's files with
#: an earlier run's (a photograph's summary beside a video's report), and a user's own
#: files there are left alone.
RESULT_FILES = ("summary.json", "metrics.csv", "report.html", "annotated.png", "annotated.mp4")
#: The longest result folder name, in UTF-8 bytes: a file system takes 255 a name, and the
#: batch stages a try as ``<name>.<attempt>``; a longer stem is cut, and a short hash of the
#: whole stem keeps two long stems' names apart.
MAX_FOLDER_NAME_BYTES = 100
_HASH_CHARS = 8


def is_result_folder_name(name: object) -> bool:
    """True when ``name`` is a name :func:`_folder_name` can give: one plain folder name
    (letters, digits, ``-``, ``_`` and ``.``; not hidden, not ``.`` or ``..``; at most
    :data:`MAX_FOLDER_NAME_BYTES` bytes plus a ``-N``).

    The batch checks the names its state file holds with it: a name that is not one (an
    absolute path, ``../x``) would have the batch delete or write outside the output folder.
    """
    return (
        isinstance(name, str)
        and bool(name)
        and not name.startswith(".")
        and all(c.isalnum() or c in "-_." for c in name)
        and len(name.encode("utf-8", "surrogateescape")) <= MAX_FOLDER_NAME_BYTES + 12
    )


def _folder_name(path: Path, used: set[str]) -> str:
    """A folder name from the file name, made unique within this run (``used``: the names
    taken, or reserved: the run's own files), always one :func:`is_result_folder_name`
    accepts."""
    stem = path.stem
    base = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    # A leading dot would hide the folder, and a stem of dots ("...mp4") named the output
    # folder itself or its parent.
    dots = len(base) - len(base.lstrip("."))
    base = ("_" * dots + base[dots:]) or "input"
    raw = base.encode("utf-8", "surrogateescape")
    if len(raw) > MAX_FOLDER_NAME_BYTES:
        digest = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).hexdigest()
        cut = raw[: MAX_FOLDER_NAME_BYTES - _HASH_CHARS - 1].decode("utf-8", "ignore")
        base = f"{cut}-{digest[:_HASH_CHARS]}"
    name, n = base, 2
    while name in used or name == SUMMARIES_FILE:
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    return name


def _normal(path: Path) -> Path:
    """Absolute, with ``..`` folded (symbolic links not resolved)."""
    return Path(os.path.normpath(path.absolute()))


def is_within(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or inside it: as written (``..`` folded) or once
    symbolic links are resolved (``st/../st/res/x``, a link into the folder).

    ``analyze`` and ``batch`` take nothing inside their output folder as an input.
    """
    if _normal(path).is_relative_to(_normal(folder)):
        return True
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symbolic link loop: compared as written above
        return False


def clear_results(folder: Path) -> None:
    """Remove from ``folder`` the files ``analyze`` writes there (:data:`RESULT_FILES`),
    then the folder itself when nothing else is left in it.

    A symbolic link in its place is removed as a link: what it points at, maybe outside the
    output folder, is never touched.

    Raises
    ------
    OSError
        When a file cannot be removed.
    """
    if folder.is_symlink():
        folder.unlink()
        return
    if not folder.is_dir():
        return
    for name in RESULT_FILES:
        (folder / name).unlink(missing_ok=True)
    # The user's own files may still be there: then the folder stays.
    with contextlib.suppress(OSError):
        folder.rmdir()


#: ``--mirrored``'s help, shared by ``analyze``, ``batch`` and ``coach``: when to use it.
MIRRORED_HELP = (
    "Flip the video left to right before measuring it. Use it for a recording your phone "
    "saved mirrored: some Android phones save front-camera (selfie) videos as a mirror image, "
    "which the picture alone cannot show, and the drop then reads on the wrong side (a right "
    "drop reads left). To check, play the video: writing in it (on a T-shirt, a poster) reads "
    "backwards. Videos only: photographs are measured as saved."
)


def annotation_warning(path: Path, kind: str, error: BaseException, size: tuple[int, int]) -> str:
    """What to say when an input's annotated picture or video could not be written: which,
    and why in plain words (never the encoder's own error text).

    Parameters
    ----------
    path
        The input.
    kind
        ``image`` or ``video``.
    error
        What writing it raised.
    size
        The frames' (width, height), named when the encoder refused them.
    """
    import av

    from twistcoach.sources import MediaError

    if isinstance(error, MediaError):
        why = str(error)
    elif isinstance(error, MemoryError):
        why = t("not enough memory")
    elif isinstance(error, OSError) and error.strerror:
        why = t("the file cannot be written: {reason}").format(reason=error.strerror)
    elif isinstance(error, av.error.FFmpegError):
        why = t("the video encoder refused frames of {width}x{height} pixels").format(
            width=size[0], height=size[1]
        )
    else:
        why = t("an unexpected problem while drawing it")
    what = (
        t("the annotated video could not be written")
        if kind == "video"
        else t("the annotated picture could not be written")
    )
    return t("{input}: {what} ({why}); the other results are kept").format(
        input=path, what=what, why=why
    )


def _annotate(
    path: Path, kind: str, size: tuple[int, int], write: Callable[..., object], *args: Any
) -> str | None:
    """Write an input's annotated picture or video with ``write(target, *args)`` (the
    target: ``annotated.png`` or ``annotated.mp4``, ``args[0]``); on failure remove what it
    left and return the warning (:func:`annotation_warning`), else None."""
    target = args[0]
    try:
        write(*args)
    except Exception as e:  # the measured results are kept whatever the drawing raised
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
        return annotation_warning(path, kind, e, size)
    return None


def _note_annotation(
    problem: str | None,
    target: Path,
    outputs: dict[str, Any],
    summary: dict[str, Any],
    err: Console,
) -> None:
    """Name the annotated file among the input's outputs, or, when :func:`_annotate` could
    not write it, add its warning to the summary and say it (the other results are kept)."""
    from rich.markup import escape

    if problem is None:
        outputs["annotated"] = str(target)
    else:
        summary["warnings"].append(problem)
        err.print(f"[yellow]warning:[/] {escape(problem)}")


def _write_annotated_photo(
    target: Path, path: Path, image: ImageAnalysis, cap_deg: float, words: MeasureWords
) -> None:
    """The photograph ``path`` read again and written annotated to ``target``."""
    from twistcoach import report
    from twistcoach.sources import read_image

    report.write_annotated_image(target, read_image(path), image, cap_deg, words)


def check_body_and_out(err: Console, body: str, out: Path) -> BodyType | None:
    """The ``--body`` option parsed, or None after saying what is wrong with it or with
    ``--out`` (an existing file, not a folder); shared by ``analyze`` and ``batch``."""
    from rich.markup import escape

    from twistcoach.metrics import BodyType

    try:
        body_type = BodyType.parse(body)
    except ValueError as e:
        err.print(f"[red]error:[/] --body {escape(str(e))}")
        return None
    if out.exists() and not out.is_dir():
        err.print(f"[red]error:[/] --out {escape(str(out))} exists and is not a folder")
        return None
    return body_type


def run_analyze(
    inputs: list[Path],
    out: Path,
    *,
    as_json: bool,
    annotate: bool,
    cap_deg: float | None,
    workers: int,
    body: str = "neutral",
    twist: str = "auto",
    flat: Path | None = None,
    mirrored: bool = False,
) -> int:
    """Analyse every input; return the exit status (see the module docs).

    ``mirrored``: flip every video frame left to right before measuring (``--mirrored``).

    ``flat``: a photograph of the person's neutral pose (lying still, knees up; or sitting or
    standing square) from the place the photographs were taken: it calibrates the camera
    for them (``--flat``).

    ``cap_deg`` None: :data:`report.DEFAULT_CAP_DEG` for a knee drop,
    :data:`DEFAULT_ROTATION_CAP_DEG` for a trunk rotation.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from twistcoach import report
    from twistcoach.errors import EstimatorError
    from twistcoach.estimator import MODEL_NAMES, RECORDED_MODEL, ROTATION_MODEL
    from twistcoach.photo import FlatPhotoError, first_frame_only
    from twistcoach.pipeline import Analyzer, as_saved
    from twistcoach.sources import MediaError, VideoSource, is_image_file
    from twistcoach.tracking import TwistTracker
    from twistcoach.wording import family_words, view_words

    # soft_wrap: never break an error line (and the file name in it) at the terminal width.
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    if cap_deg is not None and not 0.0 < cap_deg <= 90.0:
        err.print(f"[red]error:[/] --cap must be between 0 and 90 degrees, got {cap_deg:g}")
        return 2
    if twist not in TWISTS:
        err.print(
            f"[red]error:[/] --twist must be one of {', '.join(TWISTS)}, got {escape(repr(twist))}"
        )
        return 2
    body_type = check_body_and_out(err, body, out)
    if body_type is None:
        return 2
    for path in inputs:
        # An input inside the output folder would be overwritten by its own results (an
        # annotated photograph analysed again replaced itself).
        if is_within(path, out):
            err.print(
                f"[red]error:[/] {escape(str(path))}: inside the output folder "
                f"{escape(str(out))}; analyze never takes its own results as inputs (copy the "
                "file elsewhere, or choose another --out)"
            )
            return 2
    if mirrored:
        photos = [p for p in inputs if is_image_file(p)]
        if photos:
            err.print(
                "[red]error:[/] "
                + escape(
                    t(
                        "{input}: a photograph, and --mirrored flips videos only (photographs "
                        "are measured as saved): analyse the photographs without --mirrored"
                    ).format(input=photos[0])
                )
            )
            return 2
    if flat is not None and not any(is_image_file(p) for p in inputs):
        err.print(
            "[red]error:[/] --flat calibrates photographs, and none was given: a video "
            "calibrates itself on its first seconds of lying still"
        )
        return 2
    thresholds = {
        measure: report.ReportThresholds.from_coaching_rules(measure)
        for measure in report.TwistMeasure
    }

    # Probe the videos first: their frame counts size the progress bars, and worker
    # processes are started only when at least one video can be read.
    totals: dict[Path, int] = {}
    any_video = False
    for path in inputs:
        frames = 1
        if not is_image_file(path):
            try:
                with VideoSource(path) as probe:
                    frames = probe.expected_frames or 1
                any_video = True
            except MediaError:
                frames = 1
        totals[path] = frames

    summaries: list[dict[str, Any]] = []
    used: set[str] = set()
    failures = 0
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=False,
    )
    # A recording's numbers are kept as measured: its calibration is made again once the
    # landmarks have settled (TwistTracker's refine_calibration). Only the last tracker made
    # is kept, to say which body model its calibration used (``body_model``).
    trackers: list[TwistTracker] = []

    def tracker_factory() -> TwistTracker:
        trackers[:] = [TwistTracker(body=body_type, refine_calibration=True)]
        return trackers[0]

    with Analyzer(workers=workers, tracker_factory=tracker_factory) as analyzer, progress:
        if any_video:
            analyzer.prestart()
        photo_calibration = None
        if flat is not None:
            try:
                photo_calibration = analyzer.calibrate_on_photo(flat, body_type)
            except (MediaError, FlatPhotoError) as e:
                err.print(f"[red]error:[/] --flat {escape(str(e))}")
                return 2
            for warning in first_frame_only(flat):
                err.print(f"[yellow]warning:[/] --flat {escape(warning)}")
        # The output folder is made once the options and the flat photograph are known
        # good: a refused --flat left an empty folder behind.
        from twistcoach.cli.output import OutputError, make_output_folder

        try:
            make_output_folder(out)
        except OutputError as e:
            err.print(f"[red]error:[/] {escape(str(e))}")
            return 2
        for path in inputs:
            task = progress.add_task(escape(path.name[:40]), total=totals[path])
            folder = out / _folder_name(path, used)
            kind = "image" if is_image_file(path) else "video"
            try:
                outputs: dict[str, str] = {}
                if kind == "image":
                    image = analyzer.analyze_image(path, photo_calibration)
                    for warning in image.warnings:
                        err.print(f"[yellow]warning:[/] {escape(warning)}")
                    words = _photo_measure(image.family, twist)
                    photo_cap = default_cap_deg(words.measure) if cap_deg is None else cap_deg
                    summary = report.image_summary(image, words)
                    clear_results(folder)
                    folder.mkdir(parents=True, exist_ok=True)
                    if annotate:
                        target = folder / "annotated.png"
                        problem = _annotate(
                            path,
                            kind,
                            image.image_size,
                            _write_annotated_photo,
                            target,
                            path,
                            image,
                            photo_cap,
                            words,
                        )
                        _note_annotation(problem, target, outputs, summary, err)
                    progress.update(task, completed=1)
                else:

                    def advance(n: int, task_id: Any = task) -> None:
                        progress.advance(task_id, n)

                    chosen = twist
                    first = None
                    if twist == "auto":
                        first = analyzer.analyze_video(
                            path, advance, model=RECORDED_MODEL, mirrored=mirrored
                        )
                        chosen = _twist_of(first)
                    # A supine twist is estimated with the heavy model, a seated or standing
                    # one with the full model (estimator.ROTATION_MODEL): again, when the
                    # first pass found one.
                    model = RECORDED_MODEL if chosen == "supine" else ROTATION_MODEL
                    if first is not None and model == RECORDED_MODEL:
                        recognized = first
                    else:
                        if first is not None:
                            progress.reset(
                                task,
                                total=totals[path],
                                description=f"{escape(path.name[:24])} ({chosen} twist)",
                            )
                        recognized = analyzer.analyze_video(
                            path, advance, model=model, mirrored=mirrored
                        )
                    video, words = _measured(recognized, chosen)
                    th = thresholds[words.measure]
                    cap = default_cap_deg(words.measure) if cap_deg is None else cap_deg
                    summary = report.video_summary(
                        video, cap, th, words=words, recognized=recognized.frames
                    )
                    summary["body_type"] = str(body_type)
                    if chosen == "supine" and trackers and trackers[0].body_model is not None:
                        summary["body_model"] = str(trackers[0].body_model)
                    summary["landmark_model"] = MODEL_NAMES[model]
                    summary["warnings"] = [
                        *video.warnings,
                        *summary["warnings"],
                        *_twist_gap(summary, words),
                        *_never_calibrated(summary, trackers if chosen == "supine" else []),
                    ]
                    for warning in summary["warnings"]:
                        err.print(f"[yellow]warning:[/] {escape(warning)}")
                    clear_results(folder)
                    folder.mkdir(parents=True, exist_ok=True)
                    report.write_metrics_csv(folder / "metrics.csv", video.frames, cap, th, words)
                    report.write_html_report(
                        folder / "report.html", summary, video.frames, cap, th, words
                    )
                    outputs["metrics_csv"] = str(folder / "metrics.csv")
                    outputs["report_html"] = str(folder / "report.html")
                    if annotate:
                        target = folder / "annotated.mp4"
                        problem = _annotate(
                            path,
                            kind,
                            video.image_size,
                            report.write_annotated_video,
                            target,
                            as_saved(video),
                            cap,
                            words,
                        )
                        _note_annotation(problem, target, outputs, summary, err)
                    progress.update(task, completed=len(video.frames), total=len(video.frames))
                outputs["summary_json"] = str(folder / "summary.json")
                summary["outputs"] = outputs
                report.write_json(folder / "summary.json", summary)
            except MediaError as e:
                failures += 1
                summary = report.failure_summary(path, kind, str(e))
                progress.update(task, description=f"[red]{escape(path.name[:40])} (failed)")
                err.print(f"[red]error:[/] {escape(str(e))}")
            except EstimatorError as e:
                # The estimator's own message says what to do (a model not installed).
                failures += 1
                message = f"{path}: {e}"
                summary = report.failure_summary(path, kind, message)
                err.print(f"[red]error:[/] {escape(message)}")
            except OSError as e:
                failures += 1
                message = f"{path}: cannot write results ({e})"
                summary = report.failure_summary(path, kind, message)
                err.print(f"[red]error:[/] {escape(message)}")
            except Exception as e:  # one bad input must not end the batch
                failures += 1
                message = f"{path}: analysis failed ({type(e).__name__}: {e})"
                summary = report.failure_summary(path, kind, message)
                err.print(f"[red]error:[/] {escape(message)}")
            if "error" in summary:
                # No results from an earlier run stay beside a failure (summaries.json says
                # it failed); the folder is this run's input's, inside ``out``.
                try:
                    clear_results(folder)
                except OSError as e:
                    err.print(
                        f"[yellow]warning:[/] cannot remove the earlier results in "
                        f"{escape(str(folder))} ({escape(str(e))})"
                    )
            summaries.append(summary)
    report.write_json(out / SUMMARIES_FILE, summaries)
    if as_json:
        sys.stdout.write(json.dumps(summaries, indent=2, ensure_ascii=False) + "\n")
    else:
        for s in summaries:
            if "error" in s:
                continue
            line = t(
                "{input}: {family} ({confidence}), camera {view}, person in {found}/{frames} frames"
            ).format(
                input=escape(str(s["input"])),
                family=t(family_words(s["pose_family"])),
                confidence=f"{s['pose_family_confidence']:.2f}",
                view=t(view_words(s["view"])),
                found=s["frames_with_person"],
                frames=s["frames"],
            )
            if s["kind"] == "video":
                line += t(", measured in {n}").format(n=s["frames_measured"])
            if s.get("measure") == report.TwistMeasure.TRUNK_ROTATION:
                line += t(", measured by trunk rotation")
            if s.get("calibrated_on"):
                line += t(", calibrated on {name}").format(
                    name=escape(Path(s["calibrated_on"]).name)
                )
            err.print(line)
            hint = _flat_hint(s)
            if hint:
                err.print(f"  {hint}")
        err.print(t("results in {folder}").format(folder=escape(f"{out}/")))
    if failures:
        err.print(
            "[red]"
            + t(
                ngettext(
                    "{failed} of {n} input failed", "{failed} of {n} inputs failed", len(inputs)
                )
            ).format(failed=failures, n=len(inputs))
            + "[/] "
            + t("(see above)")
        )
        return 2
    return 0


def _flat_hint(summary: dict[str, Any]) -> str | None:
    """For a photograph measured without ``--flat``, what it lacks and how to get it (None
    for anything else)."""
    if (
        summary.get("kind") != "image"
        or summary.get("calibrated_on") is not None
        or summary.get("frames_with_person") != 1
    ):
        return None
    from twistcoach.photo import LONE_PHOTO_ROTATION, LONE_PHOTO_SUPINE

    if summary.get("measure") == "trunk_rotation":
        return t(
            "{why}: add --flat with a photograph sitting or standing square, taken from the "
            "same place"
        ).format(why=t(LONE_PHOTO_ROTATION))
    if summary.get("pose_family") in ("supine", "supine_twist"):
        return t(
            "{why}: add --flat with a photograph lying flat, knees up, taken from the same place"
        ).format(why=t(LONE_PHOTO_SUPINE))
    return None


def _twist_of(video: VideoAnalysis) -> str:
    """The twist a video shows, from its pose family: ``supine``, ``seated`` or
    ``standing``."""
    from twistcoach import report
    from twistcoach.metrics import PoseFamily

    family = report.video_summary_family(video)
    if report.measure_of(family) is report.TwistMeasure.KNEE_DROP:
        return "supine"
    return "standing" if family in (PoseFamily.STANDING, PoseFamily.STANDING_TWIST) else "seated"


#: Share of the frames that look like the twist which may go unmeasured before the video's
#: summary says so: past it, its largest drop leaves out most of the twist itself.
TWIST_GAP_SHARE = 0.5


def _twist_gap(summary: dict[str, Any], words: MeasureWords) -> list[str]:
    """A warning when most frames that look like the twist gave no number: that the
    largest value given leaves them out, or, when no side has one (nothing measured, as
    from a side-on camera), that none is given."""
    twist, missed = summary["frames_twist"], summary["frames_twist_unmeasured"]
    if not twist or missed <= TWIST_GAP_SHARE * twist:
        return []
    metrics = summary["metrics"]
    given = any(
        isinstance(metrics.get(side), dict) and metrics[side].get(words.max_key) is not None
        for side in ("left", "right")
    )
    if given:
        text = t(
            "the {measure} could not be measured in {missed} of the {twist} frames that look "
            "like the twist: the largest {measure} given leaves them out"
        )
    elif missed == twist:
        text = t(
            "the {measure} could not be measured in any of the {twist} frames that look like "
            "the twist, so no largest {measure} is given"
        )
    else:
        text = t(
            "the {measure} could not be measured in {missed} of the {twist} frames that look "
            "like the twist, and no largest {measure} is given"
        )
    return [text.format(measure=t(words.name), missed=missed, twist=twist)]


def _never_calibrated(summary: dict[str, Any], trackers: Sequence[TwistTracker]) -> list[str]:
    """A warning, with the calibration's own reason, when a lying video gave no number
    because no calibration was ever accepted (the person was seen, but never lying still,
    knees up, as the calibration needs)."""
    if summary["frames_measured"] or not trackers:
        return []
    tracker = trackers[0]
    # A camera estimated from the pose (no neutral pose) measures nothing either: it must
    # not silence the reason (a turned side view refused for its knees, then estimated
    # overhead, read "top-down, measurable" with no word of why nothing was measured).
    calibrated = tracker.calibration is not None and tracker.calibration.neutral
    if calibrated or tracker.calibration_refusal is None:
        return []
    from twistcoach.kinematics import CAMERA_TURNED_REFUSAL

    if tracker.calibration_refusal == CAMERA_TURNED_REFUSAL:
        # The person may well have lain still: the picture is what to change.
        return [t("nothing was measured: {why}").format(why=t(CAMERA_TURNED_REFUSAL))]
    return [
        t(
            "nothing was measured: the video has no moment that calibrates ({why}). Start "
            "with a few seconds lying still on your back, knees up, feet flat"
        ).format(why=t(tracker.calibration_refusal))
    ]


def _measured(video: VideoAnalysis, twist: str) -> tuple[VideoAnalysis, MeasureWords]:
    """The video measured in its twist's measure (``twist``: ``supine``, ``seated`` or
    ``standing``, said or found by :func:`_twist_of`): as the supine tracker saw it (knee
    drop), or again from the same skeletons by the rotation tracker (trunk rotation)."""
    from twistcoach import report
    from twistcoach.metrics import PoseFamily
    from twistcoach.pipeline import retrack
    from twistcoach.seated_tracking import RotationTracker

    if twist == "supine":
        return video, report.MEASURE_WORDS[report.TwistMeasure.KNEE_DROP]
    tracker = RotationTracker(
        PoseFamily.STANDING_TWIST if twist == "standing" else PoseFamily.SEATED_TWIST
    )
    return retrack(video, tracker), report.MEASURE_WORDS[report.TwistMeasure.TRUNK_ROTATION]


def _photo_measure(family: PoseFamily, twist: str) -> MeasureWords:
    """A photograph's measure: the one ``twist`` says, or (``auto``) its pose family's."""
    from twistcoach import report

    if twist == "auto":
        return report.MEASURE_WORDS[report.measure_of(family)]
    if twist == "supine":
        return report.MEASURE_WORDS[report.TwistMeasure.KNEE_DROP]
    return report.MEASURE_WORDS[report.TwistMeasure.TRUNK_ROTATION]


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` command to the application."""

    @app.command("analyze")
    def analyze(
        inputs: Annotated[
            list[Path],
            typer.Argument(help="Photographs and/or video files.", show_default=False),
        ],
        out: Annotated[
            Path, typer.Option("--out", "-o", help="Folder for the results.")
        ] = DEFAULT_OUT,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the list of summaries to stdout as JSON.")
        ] = False,
        annotate: Annotated[
            bool,
            typer.Option(
                "--annotate", help="Also write the input with skeleton, gauge and numbers drawn."
            ),
        ] = False,
        cap: Annotated[
            float | None,
            typer.Option(
                "--cap",
                help=(
                    "Range cap drawn and checked, degrees of the twist's measure "
                    "(default 60 for a knee drop, 30 for a trunk rotation)."
                ),
                show_default=False,
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                "--workers",
                min=1,
                max=8,
                help="Processes estimating a video at once (the numbers do not depend on it).",
            ),
        ] = 2,
        body: Annotated[
            str,
            typer.Option(
                "--body",
                help=(
                    "The person's body type for the camera's body model: female, male or "
                    "neutral. Women's thighs are shorter against the trunk than men's, which "
                    "one camera sees only roughly; saying it measures large drops in videos "
                    "better (with neutral, a thigh the calibration finds short uses the female "
                    "model). A lone photograph has no calibration; with --flat, its "
                    "calibration starts from this body."
                ),
            ),
        ] = "neutral",
        twist: Annotated[
            str,
            typer.Option(
                "--twist",
                help=(
                    "Which twist the videos show: supine (measured by the knee drop), "
                    "seated or standing (measured by the trunk rotation: the chest turned "
                    "from the hips), or auto: the one the pose recognition sees."
                ),
            ),
        ] = "auto",
        flat: Annotated[
            Path | None,
            typer.Option(
                "--flat",
                help=(
                    "A photograph of the person's neutral pose, taken from the same place "
                    "(and the same way) as the photographs: lying still on the back with "
                    "the knees up (supine twist), or sitting or standing tall and square, "
                    "facing the camera (seated or standing twist). It calibrates the camera, "
                    "so the photographs are measured as a session measures them. Without it "
                    "a lone photograph gives no knee drop (one view cannot tell the camera's "
                    "height from the drop) and no trunk rotation. Say --body too."
                ),
                show_default=False,
            ),
        ] = None,
        mirrored: Annotated[bool, typer.Option("--mirrored", help=MIRRORED_HELP)] = False,
    ) -> None:
        """Measure spinal twists in photos and videos: summaries, CSV, HTML report.

        Videos of a supine twist are estimated with MediaPipe's heavy landmark model (about
        three times the full model's time a frame; large knee drops read closer); seated and
        standing twists and lone photographs with the full one, as the live coach (with
        --twist auto, a video found to be a seated or standing twist is estimated again with
        it). A lone photograph gives no knee drop; photographs calibrated on one of the
        neutral pose (--flat) are measured as a session's frames (lying: with the heavy
        model).
        Everything runs offline; each video's summary says which model measured it.
        """
        code = run_analyze(
            inputs,
            out,
            as_json=as_json,
            annotate=annotate,
            cap_deg=cap,
            workers=workers,
            body=body,
            twist=twist,
            flat=flat,
            mirrored=mirrored,
        )
        if code:
            raise typer.Exit(code)
