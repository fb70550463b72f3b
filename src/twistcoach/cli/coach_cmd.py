"""``twistcoach coach``: coach a twist live from a camera, or from a video file.

screening -> plan -> (the variant, refused when the plan does not allow it) -> frames ->
MediaPipe estimator -> :class:`~twistcoach.tracking.TwistTracker` -> the pure
:class:`~twistcoach.coaching.Coach` -> window / voice / JSON lines / the session record.

Exit status: 0 when the session ran (completed, quit by the person, or the video ended),
3 when a safety rule stopped it (sharp pain, pain rule, wrong pose), 2 for bad input (a
variant the plan does not allow, a bad intake, script or file; never a traceback), 1 when
the database cannot be reached.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import numpy as np
import typer
from numpy.typing import NDArray

if TYPE_CHECKING:
    from twistcoach.coaching import Coach, CoachPlan, Output
    from twistcoach.intake import Intake
    from twistcoach.landmarks import Skeleton
    from twistcoach.metrics import BodyType, Observation
    from twistcoach.poses.schema import PoseLibrary
    from twistcoach.screening import ReadinessPlan
    from twistcoach.speech import Speaker
    from twistcoach.storage import Repository, SessionRecorder

EXIT_OK = 0
EXIT_DATABASE = 1
EXIT_BAD_INPUT = 2
EXIT_SAFETY_STOP = 3

#: Stop reasons that are a safety stop (exit status 3).
SAFETY_STOPS = frozenset({"sharp_pain", "pain_high", "pain_rise", "wrong_pose"})


class CoachCommandError(Exception):
    """A problem to show as one line, with its exit status."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- the script

ScriptKind = Literal["pain", "sharp", "pause", "resume", "quit"]


@dataclass(frozen=True)
class ScriptItem:
    """One scripted input: at ``t`` seconds of the video, report pain / sharp pain, etc."""

    t: float
    kind: ScriptKind
    level: int | None = None


def parse_script(text: str) -> list[ScriptItem]:
    """Parse ``"T=pain:N,T=sharp,T=pause,T=resume,T=quit"`` into items sorted by time.

    ``T`` is seconds of the video (``3``, ``4.5``); ``N`` is pain 0-10.

    Raises
    ------
    CoachCommandError
        Naming the item that is wrong and the syntax expected.
    """
    syntax = "expected T=pain:N, T=sharp, T=pause, T=resume or T=quit, comma-separated"
    items: list[ScriptItem] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        when, sep, what = part.partition("=")
        if not sep:
            raise CoachCommandError(f"--script item {part!r}: {syntax}")
        try:
            t = float(when)
        except ValueError:
            raise CoachCommandError(
                f"--script item {part!r}: {when!r} is not a time in seconds"
            ) from None
        if not t >= 0.0 or t == float("inf"):
            raise CoachCommandError(f"--script item {part!r}: the time must be 0 or more")
        kind, colon, arg = what.strip().lower().partition(":")
        if kind == "pain":
            if not colon or not arg.strip().isdigit() or not 0 <= int(arg) <= 10:
                raise CoachCommandError(f"--script item {part!r}: pain needs a level 0-10")
            items.append(ScriptItem(t, "pain", int(arg)))
        elif kind in ("sharp", "pause", "resume", "quit") and not colon:
            items.append(ScriptItem(t, kind))  # type: ignore[arg-type]
        else:
            raise CoachCommandError(f"--script item {part!r}: {syntax}")
    return sorted(items, key=lambda item: item.t)


# --------------------------------------------------------------------------- the plan


def choose_coach_plan(
    plan: ReadinessPlan, library: PoseLibrary, variant_id: str | None
) -> CoachPlan:
    """The variant to coach: the one asked for, or the easiest allowed one the camera can
    measure (a supine twist).

    Raises
    ------
    CoachCommandError
        When the plan does not allow the variant (with the plan's reasons), the variant is
        unknown, nothing is allowed, or the variant cannot be measured by the coach.
    """
    from twistcoach.coaching import PlanRefusedError, build_coach_plan

    if plan.status.value != "ready":
        advice = " ".join(plan.advice)
        raise CoachCommandError(
            f"the plan's status is {plan.status.value}: no twist can be coached today. {advice}"
        )
    if variant_id is None:
        measurable = [d for d in plan.allowed_variants() if d.max_knee_drop_deg is not None]
        if not measurable:
            raise CoachCommandError(
                "the plan allows no supine twist, the only family the coach can measure"
            )
        decision = measurable[0]
    else:
        try:
            decision = plan.decision(variant_id)
        except KeyError as exc:
            raise CoachCommandError(str(exc.args[0])) from None
    variant = next(v for v in library.variants if v.id == decision.id)
    try:
        return build_coach_plan(
            variant_id=decision.id,
            family=decision.family.value,
            status=decision.status.value,
            max_knee_drop_deg=decision.max_knee_drop_deg,
            reasons=[r.text for r in decision.reasons],
            hold_s=variant.default_hold_s,
            sides=[s.value for s in variant.sides],
            props=[p.value for p in decision.props],
            steps=[s.text for s in variant.steps],
        )
    except PlanRefusedError as exc:
        message = str(exc)
        if decision.allowed:
            message = (
                f"{decision.id} is allowed, but the coach can only measure supine twists "
                "(it has no knee-drop cap to keep you under)"
            )
        raise CoachCommandError(f"refusing to coach: {message}") from None


# --------------------------------------------------------------------------- the window


def compose_window(
    frame_rgb: NDArray[np.uint8],
    skeleton: Skeleton | None,
    obs: Observation | None,
    coach: Coach,
) -> NDArray[np.uint8]:
    """The coaching window's image: skeleton, gauge with the cap band (amber where "stay
    here" begins), cue, step, hold timer.

    Returns
    -------
    ndarray
        (H, W, 3) uint8 in OpenCV's BGR order (ready for ``imshow`` / ``imwrite``).
    """
    import cv2

    from twistcoach.coaching import CoachState
    from twistcoach.overlay import draw_overlay

    drop: float | None = None
    side: str | None = None
    if obs is not None and obs.metrics is not None:
        value = obs.metrics.knee_drop.value
        if value is not None and obs.view_measurable:
            # The gauge shows what the coach uses: the drop from the calibrated neutral.
            drop = value - (coach.baseline_deg or 0.0)
            side = "right" if drop > 3 else "left" if drop < -3 else "centre"
    numbers = {
        "pain": "-" if coach.last_pain is None else f"{coach.last_pain}/10",
        "cap": f"{coach.personal_cap_deg:g} deg",
        "variant": coach.plan.variant_id,
    }
    hold_left = None
    if coach.state is CoachState.HOLDING:
        hold_left = coach.plan.hold_s - coach.hold_elapsed_s
    image = draw_overlay(
        frame_rgb,
        skeleton=skeleton,
        knee_drop_deg=drop,
        drop_side=side,
        cap_deg=coach.personal_cap_deg,
        stay_deg=coach.stay_here_deg,
        numbers=numbers,
        cue=None,
        step=coach.step_text,
        hold_remaining_s=hold_left,
    )
    bgr = np.ascontiguousarray(image[:, :, ::-1])
    cue = coach.current_cue
    if cue is not None:
        # The cue, wrapped, on a dark band along the bottom-left (the gauge sits bottom-right).
        height, width = bgr.shape[:2]
        scale = max(0.45, width / 1300)
        chars = max(20, int((width * 0.62) / (scale * 20)))
        lines = textwrap.wrap(cue.text.encode("ascii", "replace").decode(), chars)[:6]
        line_h = int(30 * scale) + 6
        top = height - line_h * len(lines) - 12
        band = bgr[max(0, top - 6) :, : int(width * 0.68)]
        band[:] = (band * 0.35).astype(np.uint8)
        colour = (60, 70, 230) if cue.priority.value == "safety" else (40, 180, 245)
        for i, line in enumerate(lines):
            y = top + line_h * (i + 1) - 6
            cv2.putText(bgr, line, (10, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 2, cv2.LINE_AA)
    return bgr


# --------------------------------------------------------------------------- the run


@dataclass
class _Sinks:
    """Where outputs go: JSON lines, console text, voice, the record."""

    headless: bool
    speaker: Speaker
    recorder: SessionRecorder | None
    write: Callable[[str], None]

    def emit(self, outputs: Iterable[Output]) -> None:
        from twistcoach.coaching import Cue, Priority

        batch = list(outputs)
        for out in batch:
            if self.headless:
                self.write(json.dumps(out.to_dict(), ensure_ascii=False))
            elif isinstance(out, Cue):
                self.write(f"[{out.t:6.1f}s] {out.text}")
            if isinstance(out, Cue):
                self.speaker.say(out.text, urgent=out.priority is Priority.SAFETY)
        if self.recorder is not None:
            self.recorder.record(batch)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _load_person_intake(
    repo: Repository | None, intake_file: Path | None, person: str | None, name: str | None
) -> tuple[Intake, str]:
    """The intake to screen and the person's name (see the command's help)."""
    from twistcoach.intake import Clearance, load_intake, parse_intake

    if intake_file is not None:
        intake = load_intake(intake_file)
        return intake, name or intake_file.stem
    assert person is not None and repo is not None
    record = repo.person_named(person)
    stored = repo.latest_intake(record.id)
    if stored is None:
        raise CoachCommandError(
            f"no intake is stored for {person!r}; run with --intake FILE --name {person!r} first"
        )
    intake = parse_intake(stored.data)
    # Clearances recorded later (e.g. by a clinician in the web app) count too.
    known = {(c.by.value, c.name, c.date, tuple(c.variants)) for c in intake.clearances}
    extra = []
    for c in repo.list_clearances(record.id):
        key = (c.by_role, c.name, c.date, tuple(c.variants))
        if key not in known:
            extra.append(
                Clearance(
                    by=c.by_role,
                    name=c.name,
                    date=c.date,
                    variants=tuple(c.variants),
                    max_knee_drop_deg=c.max_knee_drop_deg,
                    teacher_trained_for_back_problems=c.teacher_trained_for_back_problems,
                )
            )
    if extra:
        intake = intake.model_copy(update={"clearances": (*intake.clearances, *extra)})
    return intake, person


def run_coach(
    *,
    camera: int | None,
    video: Path | None,
    intake_file: Path | None,
    person: str | None,
    name: str | None,
    variant_id: str | None,
    voice: bool,
    headless: bool,
    script: str | None,
    record: bool,
    snapshot: Path | None,
    snapshot_at: float | None,
    write: Callable[[str], None] = print,
    body: str = "neutral",
) -> int:
    """Run one coaching session; return the exit status (see the module docs)."""
    from sqlalchemy.exc import SQLAlchemyError

    from twistcoach.estimator import EstimatorError
    from twistcoach.intake import IntakeError
    from twistcoach.metrics import BodyType
    from twistcoach.poses.loader import LibraryError, load_library
    from twistcoach.screening import ScreeningError, screen
    from twistcoach.sources import MediaError
    from twistcoach.storage import NotFoundError, StorageError

    if camera is not None and video is not None:
        raise CoachCommandError("give either --camera N or --video FILE, not both")
    try:
        body_type = BodyType.parse(body)
    except ValueError as e:
        raise CoachCommandError(f"--body {e}") from None
    if (intake_file is None) == (person is None):
        raise CoachCommandError("give exactly one of --intake FILE or --person NAME")
    if name is not None and intake_file is None:
        raise CoachCommandError("--name goes with --intake FILE (it names the person)")
    items = parse_script(script or "")
    if not headless and not _has_display():
        raise CoachCommandError(
            "no display to open the coaching window on; use --headless (JSON lines)"
        )
    repo: Repository | None = None
    try:
        if record or person is not None:
            from twistcoach.storage import open_repository

            repo = open_repository()
        intake, person_name = _load_person_intake(repo, intake_file, person, name)
        library = load_library()
        plan = screen(intake, library)
        coach_plan = choose_coach_plan(plan, library, variant_id)
        plan_id: int | None = None
        person_id: int | None = None
        if repo is not None and record:
            person_id = repo.get_or_create_person(person_name).id
            intake_id = repo.save_intake(person_id, intake).id if intake_file else None
            plan_id = repo.save_plan(
                person_id, intake_id, plan.to_json_dict(), plan.status.value
            ).id
        return _session(
            coach_plan,
            intake.pain_now,
            repo if record else None,
            person_id,
            plan_id,
            camera=camera,
            video=video,
            voice=voice,
            headless=headless,
            items=items,
            snapshot=snapshot,
            snapshot_at=snapshot_at,
            write=write,
            body=body_type,
        )
    except (IntakeError, ScreeningError, LibraryError, MediaError, EstimatorError) as exc:
        raise CoachCommandError(str(exc)) from None
    except (NotFoundError, StorageError) as exc:
        raise CoachCommandError(str(exc)) from None
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CoachCommandError(f"database error: {detail}", EXIT_DATABASE) from None


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _session(
    coach_plan: CoachPlan,
    start_pain: int,
    repo: Repository | None,
    person_id: int | None,
    plan_id: int | None,
    *,
    camera: int | None,
    video: Path | None,
    voice: bool,
    headless: bool,
    items: Sequence[ScriptItem],
    snapshot: Path | None,
    snapshot_at: float | None,
    write: Callable[[str], None],
    body: BodyType,
) -> int:
    from twistcoach.coaching import Coach, load_coaching_rules
    from twistcoach.estimator import make_mediapipe_estimator
    from twistcoach.sources import CameraSource, FrameSource, VideoSource
    from twistcoach.speech import make_speaker
    from twistcoach.storage import SessionRecorder, SessionStatus
    from twistcoach.tracking import TwistTracker

    window = None if headless else "twistcoach"
    if window is not None:
        import cv2

        # The window must exist before PyAV is imported (by VideoSource): OpenCV's Qt
        # start-up hangs for good when PyAV's libraries were loaded first.
        cv2.namedWindow(window, cv2.WINDOW_NORMAL)
    source: FrameSource
    if video is not None:
        source = VideoSource(video)
        source_name = f"video:{video.name}"
    else:
        source = CameraSource(camera or 0)
        source_name = f"camera:{camera or 0}"
    speaker = make_speaker(voice and not headless)
    if not headless and getattr(speaker, "reason", "") not in ("", "voice off"):
        typer.echo(f"note: {speaker.reason}", err=True)  # type: ignore[attr-defined]
    recorder = None
    if repo is not None and person_id is not None:
        recorder = SessionRecorder.start(
            repo,
            person_id,
            coach_plan.variant_id,
            coach_plan.cap_deg,
            source=source_name,
            start_pain=start_pain,
            plan_id=plan_id,
        )
    coach = Coach(coach_plan, load_coaching_rules(), start_pain=start_pain, body_model=str(body))
    sinks = _Sinks(headless, speaker, recorder, write)
    pending = list(items)
    last_image: NDArray[np.uint8] | None = None
    snap_written = False
    t = 0.0
    try:
        with source, make_mediapipe_estimator(static_image_mode=False) as estimator:
            tracker = TwistTracker(body=body)
            for frame in source.frames():
                t = frame.timestamp_s
                while pending and pending[0].t <= t and not coach.finished:
                    sinks.emit(_apply(coach, pending.pop(0)))
                if coach.finished:
                    break
                skeleton = estimator.estimate(frame.rgb, t)
                obs = tracker.update(t, skeleton)
                if recorder is not None:
                    recorder.observe(obs)
                sinks.emit(coach.observe(obs))
                need_image = window is not None or (snapshot is not None and not snap_written)
                if need_image:
                    last_image = compose_window(frame.rgb, skeleton, obs, coach)
                    if snapshot is not None and snapshot_at is not None and t >= snapshot_at:
                        _write_png(snapshot, last_image)
                        snap_written = True
                if window is not None and last_image is not None:
                    import cv2

                    cv2.imshow(window, last_image)
                    key = cv2.waitKey(1) & 0xFF
                    sinks.emit(_key(coach, key, t))
                if coach.finished:
                    break
            if not coach.finished:
                # The video ended first: the scripted inputs still due are applied at its end.
                while pending and not coach.finished:
                    item = pending.pop(0)
                    sinks.emit(_apply(coach, ScriptItem(max(t, item.t), item.kind, item.level)))
            if snapshot is not None and not snap_written and last_image is not None:
                _write_png(snapshot, last_image)
            if window is not None and last_image is not None:
                import cv2

                cv2.waitKey(3000)  # let the person read the last cue
                cv2.destroyWindow(window)
    except KeyboardInterrupt:
        sinks.emit(coach.quit(t))
    finally:
        speaker.close(wait=not headless)
        if recorder is not None:
            if coach.finished:
                recorder.finish()
            else:
                recorder.finish(SessionStatus.STOPPED, stop_reason="source_ended")
    if not coach.finished:
        sinks.write(
            json.dumps(
                {
                    "t": round(t, 3),
                    "type": "event",
                    "id": "source_ended",
                    "text": "the video ended before the session did",
                }
            )
            if headless
            else "The video ended before the session did."
        )
    reason = coach.stopped_reason
    return EXIT_SAFETY_STOP if reason is not None and reason.value in SAFETY_STOPS else EXIT_OK


def _write_png(path: Path, image_bgr: NDArray[np.uint8]) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image_bgr):
        raise CoachCommandError(f"--snapshot {path}: could not write the image")


def _apply(coach: Coach, item: ScriptItem) -> list[Output]:
    if item.kind == "pain":
        assert item.level is not None
        return coach.report_pain(item.t, item.level)
    if item.kind == "sharp":
        return coach.report_sharp_pain(item.t)
    if item.kind == "pause":
        return coach.pause(item.t)
    if item.kind == "resume":
        return coach.resume(item.t)
    return coach.quit(item.t)


def _key(coach: Coach, key: int, t: float) -> list[Output]:
    """The window's keys: 0-9 pain, S sharp pain, space pause/resume, Q (or Esc) quit."""
    from twistcoach.coaching import CoachState

    if ord("0") <= key <= ord("9"):
        return coach.report_pain(t, key - ord("0"))
    if key in (ord("s"), ord("S")):
        return coach.report_sharp_pain(t)
    if key == ord(" "):
        return coach.resume(t) if coach.state is CoachState.PAUSED else coach.pause(t)
    if key in (ord("q"), ord("Q"), 27):
        return coach.quit(t)
    return []


def register(app: typer.Typer) -> None:
    """Add the ``coach`` command to the application."""

    @app.command("coach")
    def coach_command(
        camera: Annotated[
            int | None,
            typer.Option("--camera", min=0, help="Camera index (default 0 when no --video)."),
        ] = None,
        video: Annotated[
            Path | None, typer.Option("--video", help="Coach along a video file instead.")
        ] = None,
        intake: Annotated[
            Path | None,
            typer.Option("--intake", help="Intake file (JSON/YAML) to screen from."),
        ] = None,
        person: Annotated[
            str | None,
            typer.Option("--person", help="A stored person: their latest intake is screened."),
        ] = None,
        name: Annotated[
            str | None,
            typer.Option("--name", help="With --intake: the person's name (default: file stem)."),
        ] = None,
        variant: Annotated[
            str | None,
            typer.Option("--variant", help="Variant id (default: the easiest one allowed)."),
        ] = None,
        voice: Annotated[
            bool, typer.Option("--voice/--no-voice", help="Speak the cues (espeak-ng).")
        ] = True,
        headless: Annotated[
            bool,
            typer.Option(
                "--headless", help="No window or voice: print cues and events as JSON lines."
            ),
        ] = False,
        script: Annotated[
            str | None,
            typer.Option(
                "--script",
                help='Inputs at video times, e.g. "3=pain:2,6=sharp" (pain, sharp, pause, '
                "resume, quit).",
            ),
        ] = None,
        record: Annotated[
            bool,
            typer.Option("--record/--no-record", help="Store the session in the database."),
        ] = True,
        snapshot: Annotated[
            Path | None,
            typer.Option("--snapshot", help="Save the coaching window's image as a PNG."),
        ] = None,
        snapshot_at: Annotated[
            float | None,
            typer.Option(
                "--snapshot-at", min=0.0, help="Video time of the snapshot (default: end)."
            ),
        ] = None,
        body: Annotated[
            str,
            typer.Option(
                "--body",
                help=(
                    "Your body type for the camera's body model: female, male or neutral. "
                    "Women's thighs are shorter against the trunk than men's, which one "
                    "camera cannot see; saying it measures large drops better."
                ),
            ),
        ] = "neutral",
    ) -> None:
        """Coach a twist from a camera or a video: cues, voice, pain keys, the session stored."""
        try:
            code = run_coach(
                camera=camera,
                video=video,
                intake_file=intake,
                person=person,
                name=name,
                variant_id=variant,
                voice=voice,
                headless=headless,
                script=script,
                record=record,
                snapshot=snapshot,
                snapshot_at=snapshot_at,
                write=lambda line: print(line, flush=True),
                body=body,
            )
        except CoachCommandError as exc:
            _fail(str(exc), exc.code)
        if code:
            raise typer.Exit(code)


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_SAFETY_STOP",
    "CoachCommandError",
    "ScriptItem",
    "choose_coach_plan",
    "compose_window",
    "parse_script",
    "register",
    "run_coach",
]
