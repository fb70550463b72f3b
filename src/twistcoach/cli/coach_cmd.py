"""``twistcoach coach``: coach a twist live from a camera, or from a video file.

the person's history -> :func:`twistcoach.planning.decide` (the variant and its cap,
refused with the reason when planning does not allow it now; the same decision the web app
makes) -> frames -> MediaPipe estimator -> :class:`~twistcoach.session.LiveSession`
(tracker -> coach -> recorder, as in the browser coach) -> window / voice / JSON lines.

After a sharp-pain stop the person may not practise for the rest of that day; the next
session first asks a check-in (interactively, or ``--checkin BACK,LEG,WEAKNESS``).

Exit status: 0 when the session ran (completed, quit by the person, or the video ended),
3 when a safety rule stopped it (sharp pain, pain rule, wrong pose), 2 for bad input (a
variant the plan does not allow, a bad intake, script or file; never a traceback), 1 when
the database cannot be reached.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import numpy as np
import typer
from numpy.typing import NDArray

from twistcoach import i18n
from twistcoach.checks import MIN_FRAME_RATE, frame_rate_too_low
from twistcoach.cli.analyze_cmd import MIRRORED_HELP
from twistcoach.cli.answers import (
    BACK_FEELINGS,
    ask_word,
    ask_yes_no,
    variant_named,
    variant_names_words,
)
from twistcoach.cli.coach_window import compose_window, font_file
from twistcoach.cli.output import print_error

if TYPE_CHECKING:
    from twistcoach.coaching import Coach, CoachPlan, Output
    from twistcoach.estimator import PoseEstimator
    from twistcoach.intake import Intake
    from twistcoach.metrics import BodyType
    from twistcoach.planning import PracticeDecision
    from twistcoach.screening import ReadinessPlan
    from twistcoach.session import LiveSession
    from twistcoach.sources import Frame, FrameSource
    from twistcoach.speech import Speaker
    from twistcoach.storage import Repository

EXIT_OK = 0
EXIT_DATABASE = 1
EXIT_BAD_INPUT = 2
EXIT_SAFETY_STOP = 3

#: Stop reasons that are a safety stop (exit status 3).
SAFETY_STOPS = frozenset({"sharp_pain", "pain_high", "pain_rise", "wrong_pose", "plan_withdrawn"})


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
            level = arg.strip()
            # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
            if not colon or not (level.isascii() and level.isdigit()) or not 0 <= int(level) <= 10:
                raise CoachCommandError(f"--script item {part!r}: pain needs a level 0-10")
            items.append(ScriptItem(t, "pain", int(level)))
        elif kind in ("sharp", "pause", "resume", "quit") and not colon:
            items.append(ScriptItem(t, kind))  # type: ignore[arg-type]
        else:
            raise CoachCommandError(f"--script item {part!r}: {syntax}")
    # At one moment the safety inputs come first: "5=quit,5=sharp" ended as a quit and the
    # sharp pain (and its lock for the day) was lost.
    return sorted(items, key=lambda item: (item.t, _SCRIPT_ORDER[item.kind]))


#: The order of script inputs given for the same moment: sharp pain, then pain, then the rest.
_SCRIPT_ORDER = {"sharp": 0, "pain": 1, "pause": 2, "resume": 2, "quit": 3}


# --------------------------------------------------------------------------- the plan


def variant_asked(words: str) -> str:
    """The id of the variant ``--variant`` names: its name as ``twistcoach plan`` shows it
    (any case, English or the chosen language) or its id.

    Raises
    ------
    CoachCommandError
        Listing the names it takes, when no variant has that name.
    """
    from twistcoach.poses.loader import load_library

    library = load_library()
    found = variant_named(library, words)
    if found is None:
        raise CoachCommandError(
            f"unknown variant {words!r}; give one of: {variant_names_words(library)}"
        )
    return found


def choose_variant(decision: PracticeDecision, variant_id: str | None) -> str:
    """The variant to coach: the one asked for, or the easiest one planning allows now.

    Raises
    ------
    CoachCommandError
        With planning's plain reasons when the variant (or every variant) may not be
        practised now, or the variant is unknown.
    """
    if variant_id is None:
        if decision.allowed:
            return decision.allowed[0].variant_id
        # The easiest twist's refusal, as the web's start gives it (the plan's advice on
        # how to practise was said here instead of why nothing may be practised).
        why = decision.refusal(decision.variants[0].variant_id) if decision.variants else None
        raise CoachCommandError(f"refusing to coach: {why or 'no twist is allowed now'}")
    try:
        permission = decision.permission(variant_id)
    except KeyError as exc:
        raise CoachCommandError(str(exc.args[0])) from None
    if not permission.allowed:
        from twistcoach.poses.loader import load_library

        name = i18n.t(load_library().name_of(variant_id))
        raise CoachCommandError(f"refusing to coach {name}: {decision.refusal(variant_id)}")
    return variant_id


CHECKIN_SYNTAX = (
    "--checkin BACK,LEG,WEAKNESS (BACK: better, same or worse; LEG and WEAKNESS: yes or no)"
)


@dataclass(frozen=True)
class CheckInAnswers:
    """A check-in's answers (see :class:`twistcoach.planning.CheckIn`)."""

    back: str
    new_leg_symptoms: bool
    weakness_or_numbness: bool


def parse_checkin(text: str) -> CheckInAnswers:
    """Parse ``"same,no,no"`` (how the back feels, new leg symptoms, new weakness).

    Raises
    ------
    CoachCommandError
        Naming the syntax expected.
    """
    parts = [p.strip().lower() for p in text.split(",")]
    yes_no = {"yes": True, "y": True, "no": False, "n": False}
    if (
        len(parts) != 3
        or parts[0] not in ("better", "same", "worse")
        or parts[1] not in yes_no
        or parts[2] not in yes_no
    ):
        raise CoachCommandError(f"--checkin {text!r}: expected {CHECKIN_SYNTAX}")
    return CheckInAnswers(parts[0], yes_no[parts[1]], yes_no[parts[2]])


def ask_checkin(ask: Callable[[str], str]) -> CheckInAnswers:
    """Ask the check-in's three questions (wording from ``rules/safety.yaml``)."""
    from twistcoach.planning import load_safety_rules

    q = load_safety_rules().checkin
    back = ask_word(ask, _say, i18n.t(q.question_back), BACK_FEELINGS)
    leg = ask_yes_no(ask, _say, i18n.t(q.question_leg), default=None)
    weakness = ask_yes_no(ask, _say, i18n.t(q.question_weakness), default=None)
    return CheckInAnswers(back, leg, weakness)


def _say(line: str) -> None:
    """A line for the person at the check-in's prompt (an answer it could not take)."""
    print(line)


# --------------------------------------------------------------------------- the run


@dataclass
class _Sinks:
    """Where outputs go besides the record: JSON lines, console text, voice."""

    headless: bool
    speaker: Speaker
    write: Callable[[str], None]

    def emit(self, outputs: Iterable[Output]) -> None:
        from twistcoach.coaching import Cue, Priority

        for out in outputs:
            if self.headless:
                self.write(json.dumps(headless_message(out), ensure_ascii=False))
            elif isinstance(out, Cue):
                self.write(f"[{out.t:6.1f}s] {i18n.t(out.text)}")
            if isinstance(out, Cue):
                self.speaker.say(i18n.t(out.text), urgent=out.priority is Priority.SAFETY)


def headless_message(out: Output) -> dict[str, object]:
    """One ``--headless`` JSON line: the output's fields, its ``text`` in the chosen
    language (``--lang``). An event's text is the words a session's timeline gives it
    (:func:`twistcoach.wording.event_words`: the twist's name, never its id), worded for
    the person running the coach ("Coaching paused: you paused it", never "the student
    paused": the timeline's words are for staff); the ids stay in their own fields (``id``,
    ``variant``, ``reason``, ``rule``) for programs."""
    from twistcoach.coaching import Event
    from twistcoach.wording import event_words

    said = i18n.localize_message(out.to_dict(), i18n.current_language())
    if isinstance(out, Event):
        said["text"] = i18n.t(event_words(out.id, out.data, out.text, reader="person"))
    return said


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


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
    checkin: str | None = None,
    ask: Callable[[str], str] | None = None,
    mirrored: bool = False,
) -> int:
    """Run one coaching session; return the exit status (see the module docs).

    ``mirrored``: flip the video's frames left to right (``--mirrored``: a recording the
    phone saved mirrored); only with ``video``.

    What the person may practise, and the cap, come from :mod:`twistcoach.planning` over
    their stored history (the same decision the web app makes); a refusal is exit 2 with
    the reason and stores no session (the answers given, the intake and a check-in, are
    kept). A bad input (an option, the intake file, a video that cannot be read, is too
    sparse or holds no frame, a camera that does not open) is exit 2 and stores nothing:
    every input is checked before the first write.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from twistcoach.estimator import EstimatorError
    from twistcoach.intake import IntakeError
    from twistcoach.metrics import BodyType
    from twistcoach.poses.loader import LibraryError
    from twistcoach.screening import ScreeningError
    from twistcoach.sources import MediaError
    from twistcoach.storage import NotFoundError, StorageError

    if camera is not None and video is not None:
        raise CoachCommandError("give either --camera N or --video FILE, not both")
    if mirrored and video is None:
        raise CoachCommandError(
            i18n.t(
                "--mirrored goes with --video FILE: it flips a recording the phone saved "
                "mirrored (a camera's frames are never saved mirrored)"
            )
        )
    try:
        body_type = BodyType.parse(body)
    except ValueError as e:
        raise CoachCommandError(f"--body {e}") from None
    if (intake_file is None) == (person is None):
        raise CoachCommandError("give exactly one of --intake FILE or --person NAME")
    if name is not None and intake_file is None:
        raise CoachCommandError("--name goes with --intake FILE (it names the person)")
    items = parse_script(script or "")
    answers = parse_checkin(checkin) if checkin is not None else None
    if variant_id is not None:
        variant_id = variant_asked(variant_id)
    if snapshot is not None:
        _check_snapshot_path(snapshot)
    if not headless and not _has_display():
        raise CoachCommandError(
            "no display to open the coaching window on; use --headless (JSON lines)"
        )
    # Every input is read and checked before anything is stored: the intake file, the
    # plan (read only), then the video or the camera. A bad video stored the person, the
    # intake, a check-in and a plan before it failed.
    try:
        from twistcoach.intake import load_intake
        from twistcoach.storage import open_repository

        intake = load_intake(intake_file) if intake_file is not None else None
        repo = open_repository()
        who = (name or intake_file.stem) if intake_file is not None else person
        assert who is not None
        prepared = _prepare(repo, intake, who, variant_id, record, answers, ask)
        if record and prepared.person_id is not None:
            _refuse_a_second_live_session(repo, prepared.person_id)
        opened = _open_source(camera, video, headless, mirrored=mirrored)
        try:
            person_id, plan_id = prepared.person_id, None
            if record:
                person_id, plan_id = _store(
                    repo,
                    who,
                    prepared.person_id,
                    prepared.new_intake,
                    prepared.checkin,
                    prepared.plan,
                )
        except BaseException:
            opened.close()
            raise
        return _session(
            prepared.coach_plan,
            prepared.start_pain,
            repo if record else None,
            person_id,
            plan_id,
            opened=opened,
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


@dataclass(frozen=True)
class _Prepared:
    """What the session needs, found without writing anything (see :func:`_prepare`), and
    what :func:`_store` stores once every input is known good."""

    coach_plan: CoachPlan
    start_pain: int
    person_id: int | None
    #: The plan the session follows, stored with it (None when planning made none).
    plan: ReadinessPlan | None
    #: The intake file's answers, stored for the person (None with ``--person``).
    new_intake: Intake | None
    #: The check-in just answered (None when none was asked).
    checkin: CheckInAnswers | None


def _prepare(
    repo: Repository,
    intake: Intake | None,
    who: str,
    variant_id: str | None,
    record: bool,
    answers: CheckInAnswers | None,
    ask: Callable[[str], str] | None,
) -> _Prepared:
    """Find the person and their history, ask planning, and build the coach's plan,
    storing nothing: the intake file's answers (``intake``, for the person named ``who``)
    and a check-in answered now are planned over as if stored, so a sharp-pain lock holds
    either way, and :func:`_store` stores them once the video or camera has opened.

    When planning refuses, the answers given (with ``record``) are stored before the
    refusal, as the web app keeps them: an intake's red flag or a check-in's new nerve
    symptoms stay on the person's record. Nothing is stored for a missing check-in.
    """
    import dataclasses

    from twistcoach.planning import BackFeeling, CheckIn, DatedIntake, PersonHistory, decide
    from twistcoach.poses.loader import load_library
    from twistcoach.session import coach_plan_for
    from twistcoach.storage.progress import load_history, lock_zone

    library = load_library()
    now = repo.now()
    extra: tuple[DatedIntake, ...] = ()
    if intake is not None:
        found = repo.find_person(who)
        extra = (DatedIntake(intake, now),)
    else:
        found = repo.person_named(who)
        stored = repo.latest_intake(found.id)
        if stored is None or stored.intake is None:
            raise CoachCommandError(
                f"no intake is stored for {who!r}; run with --intake FILE --name {who!r} first"
            )
        intake = stored.intake
    checked: tuple[CheckIn, ...] = ()

    def decision_now() -> PracticeDecision:
        summaries = repo.history(found.id) if found is not None else []
        history = load_history(repo, found.id, summaries) if found is not None else PersonHistory()
        history = dataclasses.replace(
            history,
            intakes=(*history.intakes, *extra),
            checkins=(*history.checkins, *checked),
        )
        # A sharp-pain stop's day is the one of the zone it was practised in (lock_zone).
        return decide(history, library, now=repo.now(), tz=lock_zone(summaries))

    decision = decision_now()
    if decision.needs_checkin:
        if answers is None and ask is not None:
            answers = ask_checkin(ask)
        if answers is None:
            why = " ".join(r.text for r in decision.reasons[:1])
            raise CoachCommandError(f"refusing to coach: {why} Answer with {CHECKIN_SYNTAX}.")
        if found is None:
            raise CoachCommandError("a check-in needs a stored person")
        back = BackFeeling(answers.back)
        checked = (CheckIn(now, back, answers.new_leg_symptoms, answers.weakness_or_numbness),)
        decision = decision_now()
    else:
        answers = None  # none was asked: a --checkin given anyway is not stored
    person_id = found.id if found else None
    new_intake = extra[0].intake if extra else None
    try:
        chosen = choose_variant(decision, variant_id)
    except CoachCommandError:
        if record:
            _store(repo, who, person_id, new_intake, answers, None)
        raise
    return _Prepared(
        coach_plan_for(decision, chosen, library),
        intake.pain_now,
        person_id,
        decision.plan,
        new_intake,
        answers,
    )


def _store(
    repo: Repository,
    who: str,
    person_id: int | None,
    intake: Intake | None,
    checkin: CheckInAnswers | None,
    plan: ReadinessPlan | None,
) -> tuple[int, int | None]:
    """Store the person named ``who`` (made when ``person_id`` is None), the intake file's
    answers, the check-in and the plan the session follows; return the person's id and the
    plan's (None without a plan)."""
    if person_id is None:
        person_id = repo.get_or_create_person(who).id
    if intake is not None:
        repo.save_intake(person_id, intake)
    if checkin is not None:
        repo.record_checkin(
            person_id, checkin.back, checkin.new_leg_symptoms, checkin.weakness_or_numbness
        )
    if plan is None:
        return person_id, None
    return person_id, repo.save_plan(person_id, None, plan.to_json_dict(), plan.status.value).id


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


@dataclass
class _Opened:
    """The video or camera, opened and checked, with the window and the estimator made:
    everything the session reads, ready before anything is stored."""

    source: FrameSource
    #: The source's frames; a video's first is decoded already (it has one).
    frames: Iterator[Frame]
    source_name: str
    window: str | None
    estimator: PoseEstimator

    def close(self) -> None:
        """Close the estimator, the source and the window (a run that stops before its
        session)."""
        self.estimator.close()
        self.source.close()
        if self.window is not None:
            import cv2

            cv2.destroyWindow(self.window)


def _open_source(
    camera: int | None, video: Path | None, headless: bool, *, mirrored: bool = False
) -> _Opened:
    """Open and check the video (a readable video, not a photograph, at least
    :data:`twistcoach.checks.MIN_FRAME_RATE` frames a second, a first frame that decodes) or
    the camera, the window and the estimator.

    Raises
    ------
    MediaError
        Naming the video or the camera, and what is wrong with it.
    EstimatorError
        When the pose model cannot be loaded.
    """
    import itertools

    from twistcoach.estimator import LIVE_MODEL, make_mediapipe_estimator
    from twistcoach.sources import CameraSource, MediaError, VideoSource, is_image_file

    if video is not None and not video.exists():
        # Before the photograph check, which guesses from the name when it cannot read the
        # file: a broken link named .jpg was called "a photograph".
        raise MediaError(f"{video}: no such file")
    if video is not None and is_image_file(video):
        raise MediaError(
            f"{video}: a photograph; the coach follows a video or a camera as you move "
            "(measure a photograph with `twistcoach analyze`)"
        )
    window = None if headless else "twistcoach"
    if window is not None:
        import cv2

        # The window must exist before PyAV is imported (by VideoSource): OpenCV's Qt
        # start-up hangs for good when PyAV's libraries were loaded first.
        # Qt's own font folder is empty in the wheel: point it at the system's fonts, so
        # nothing is printed about fonts (the window's text is drawn by Pillow anyway).
        fonts = font_file()
        if fonts is not None:
            os.environ.setdefault("QT_QPA_FONTDIR", os.path.dirname(fonts))
        # A plain window (no toolbar) exactly the image's size (WINDOW_SIZE).
        cv2.namedWindow(window, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
    source: FrameSource | None = None
    try:
        if video is not None:
            source = VideoSource(video, mirrored=mirrored)
            source_name = f"video:{video.name}"
            # The one rule `analyze` leaves a video's speed out by (its speed warnings and
            # hold timing judge movement between frames: a 0.1 frame-a-second file read peak
            # speeds of 0.1-0.3 degrees a second and completed a 45 s hold on 5 frames).
            if source.fps is not None and frame_rate_too_low(source.fps):
                raise MediaError(
                    i18n.t(
                        "{video}: {fps} frames a second is too few to follow a twist (the coach "
                        "needs at least {least} to judge speed and holds; `twistcoach analyze` "
                        "measures its angles without a speed)"
                    ).format(video=video, fps=f"{source.fps:.2g}", least=f"{MIN_FRAME_RATE:g}")
                )
            # The first frame is decoded now: a video with none (or none that decodes) is
            # refused here, not after its session was stored. A camera's frames are not
            # read early: their times run from the first, and a check-in may come first.
            frames = source.frames()
            first = next(frames)  # MediaError at its end: the video holds no frames
            frames = itertools.chain([first], frames)
        else:
            source = CameraSource(camera or 0)
            source_name = f"camera:{camera or 0}"
            frames = source.frames()
        estimator = make_mediapipe_estimator(static_image_mode=False, model_complexity=LIVE_MODEL)
    except BaseException:
        if source is not None:
            source.close()
        if window is not None:
            import cv2

            cv2.destroyWindow(window)
        raise
    return _Opened(source, frames, source_name, window, estimator)


def _session(
    coach_plan: CoachPlan,
    start_pain: int,
    repo: Repository | None,
    person_id: int | None,
    plan_id: int | None,
    *,
    opened: _Opened,
    voice: bool,
    headless: bool,
    items: Sequence[ScriptItem],
    snapshot: Path | None,
    snapshot_at: float | None,
    write: Callable[[str], None],
    body: BodyType,
) -> int:
    from twistcoach.session import PLAN_RECHECK_S, LiveSession
    from twistcoach.speech import make_speaker
    from twistcoach.storage import SessionRecorder, SessionStatus
    from twistcoach.tracking import TwistTracker

    window, source, source_name = opened.window, opened.source, opened.source_name
    speaker = make_speaker(
        voice and not headless, voice=i18n.ESPEAK_VOICES[i18n.current_language()]
    )
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
    live = LiveSession.create(
        coach_plan,
        tracker=TwistTracker(body=body),
        start_pain=start_pain,
        body=body,
        recorder=recorder,
    )
    coach = live.coach
    sinks = _Sinks(headless, speaker, write)
    recheck = (
        None
        if repo is None or person_id is None
        else _rechecker(repo, person_id, coach_plan, coach)
    )
    last_check = 0.0
    pending = list(items)
    last_image: NDArray[np.uint8] | None = None
    snap_written = False
    t = 0.0
    try:
        with source, opened.estimator as estimator:
            for frame in opened.frames:
                t = frame.timestamp_s
                while pending and pending[0].t <= t and not coach.finished:
                    sinks.emit(_apply(live, pending.pop(0)))
                if coach.finished:
                    break
                skeleton = estimator.estimate(frame.rgb, t)
                sinks.emit(live.frame(t, skeleton))
                if recheck is not None and t - last_check >= PLAN_RECHECK_S:
                    last_check = t
                    refusal = recheck()
                    if refusal is not None:
                        sinks.emit(live.withdraw(t, refusal))
                obs = live.last_observation
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
                    sinks.emit(_key(live, key, t))
                if coach.finished:
                    break
            # The inputs still due are applied at the video's end (it ended first) or after
            # the session's: a finished coach hears only sharp pain, which always wins.
            while pending:
                item = pending.pop(0)
                sinks.emit(_apply(live, ScriptItem(max(t, item.t), item.kind, item.level)))
            if snapshot is not None and not snap_written and last_image is not None:
                _write_png(snapshot, last_image)
            if window is not None and last_image is not None:
                import cv2

                # Let the person read the last cue; a sharp pain felt coming out of the
                # twist is still heard (and stored) meanwhile.
                for _ in range(30):
                    sinks.emit(_key(live, cv2.waitKey(100) & 0xFF, t))
                cv2.destroyWindow(window)
    except KeyboardInterrupt:
        sinks.emit(live.quit(t))
    finally:
        speaker.close(wait=not headless)
        live.close(SessionStatus.STOPPED, "source_ended")
    if not coach.finished:
        ended = i18n.t("The video ended before the session did.")
        sinks.write(
            json.dumps(
                {"t": round(t, 3), "type": "event", "id": "source_ended", "text": ended},
                ensure_ascii=False,
            )
            if headless
            else ended
        )
    if recorder is not None and repo is not None and person_id is not None:
        # Where the session went; on stderr in headless mode (stdout is JSON lines only).
        who = repo.get_person(person_id).name
        typer.echo(stored_message(recorder.session_id, who), err=headless)
    reason = coach.stopped_reason
    return EXIT_SAFETY_STOP if reason is not None and reason.value in SAFETY_STOPS else EXIT_OK


#: OpenCV takes a camera index as a C int: a larger one ended in its traceback.
_MAX_CAMERA_INDEX = 2**31 - 1


def _refuse_a_second_live_session(repo: Repository, person_id: int) -> None:
    """One live session per person: one practised now in a browser (a socket holds it) or by
    another desktop coach (its process runs) refuses this one."""
    from twistcoach.storage.recorder import process_holds, socket_holds

    for session in repo.running_sessions(person_id):
        if socket_holds(repo, session.id) or process_holds(repo, session.id):
            raise CoachCommandError(
                f"session {session.id} is being practised now elsewhere (a browser or "
                "another coach): end it there first"
            )


def _rechecker(
    repo: Repository, person_id: int, plan: CoachPlan, coach: Coach
) -> Callable[[], str | None]:
    """Asks planning whether the session may go on (something stored elsewhere while it
    runs, a red flag, sharp pain, a lower cap, may take the twist away): planning's refusal,
    or None."""
    from twistcoach.poses.loader import load_library
    from twistcoach.session import PlanRefusedError, coach_plan_for, plan_change_refusal
    from twistcoach.storage.progress import decide_for_person

    def recheck() -> str | None:
        decision = decide_for_person(repo, person_id)
        try:
            now = coach_plan_for(decision, plan.variant_id, load_library(), cap_deg=plan.cap_deg)
        except PlanRefusedError as exc:
            return str(exc)
        return plan_change_refusal(now, coach)

    return recheck


def stored_message(session_id: int, person_name: str) -> str:
    """The line said when a coached session has been stored, with the command to see it."""
    return f"Session {session_id} stored for {person_name}: twistcoach sessions show {session_id}"


def _check_snapshot_path(path: Path) -> None:
    """Refuse a snapshot that could not be written before the session starts, not after
    it (a hostile-input sweep found ``--snapshot snap.xyz`` ending a whole session in
    OpenCV's traceback)."""
    if path.suffix.lower() != ".png":
        raise CoachCommandError(f"--snapshot {path}: the snapshot is a PNG; name a .png file")
    if path.exists() and not path.is_file():
        # A folder, or a pipe that OpenCV's write would wait on for ever.
        raise CoachCommandError(f"--snapshot {path}: not a file; name a .png file")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the folders still to make go into the nearest existing one
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise CoachCommandError(f"--snapshot {path}: cannot write in {folder}")


def _write_png(path: Path, image_bgr: NDArray[np.uint8]) -> None:
    import cv2

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = bool(cv2.imwrite(str(path), image_bgr))
    except (OSError, cv2.error):
        written = False
    if not written:
        raise CoachCommandError(f"--snapshot {path}: could not write the image")


def _apply(live: LiveSession, item: ScriptItem) -> list[Output]:
    if item.kind == "pain":
        assert item.level is not None
        return live.pain(item.t, item.level)
    if item.kind == "sharp":
        return live.sharp(item.t)
    if item.kind == "pause":
        return live.pause(item.t)
    if item.kind == "resume":
        return live.resume(item.t)
    return live.quit(item.t)


def _key(live: LiveSession, key: int, t: float) -> list[Output]:
    """The window's keys: 0-9 pain, S sharp pain, space pause/resume, Q (or Esc) quit."""
    from twistcoach.coaching import CoachState, PauseReason

    if ord("0") <= key <= ord("9"):
        return live.pain(t, key - ord("0"))
    if key in (ord("s"), ord("S")):
        return live.sharp(t)
    if key == ord(" "):
        # Space resumes only the person's own pause: during an automatic one (tracking,
        # the camera view, too few frames) it asks for the person's pause, which then
        # outlasts the automatic one until space again.
        coach = live.coach
        own = coach.state is CoachState.PAUSED and coach.pause_reason is PauseReason.USER
        return live.resume(t) if own else live.pause(t)
    if key in (ord("q"), ord("Q"), 27):
        return live.quit(t)
    return []


def register(app: typer.Typer) -> None:
    """Add the ``coach`` command to the application."""

    @app.command("coach")
    def coach_command(
        camera: Annotated[
            int | None,
            typer.Option(
                "--camera",
                min=0,
                max=_MAX_CAMERA_INDEX,
                help="Camera index (default 0 when no --video).",
            ),
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
            typer.Option(
                "--variant",
                help=(
                    "The twist, by its name as `twistcoach plan` shows it, in quotes, e.g. "
                    '"Supine twist, supported" (any case; default: the easiest one allowed).'
                ),
            ),
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
                    "camera sees only roughly; saying it measures large drops better (with "
                    "neutral, a thigh the calibration finds short uses the female model)."
                ),
            ),
        ] = "neutral",
        checkin: Annotated[
            str | None,
            typer.Option(
                "--checkin",
                help=(
                    "After sharp pain, the next session first asks how your back feels: "
                    "answer here as BACK,LEG,WEAKNESS, e.g. 'same,no,no' (BACK: better, same "
                    "or worse; LEG: new leg pain, tingling or numbness; WEAKNESS: new "
                    "weakness or numbness between the legs). Asked on the terminal otherwise."
                ),
            ),
        ] = None,
        mirrored: Annotated[bool, typer.Option("--mirrored", help=MIRRORED_HELP)] = False,
    ) -> None:
        """Coach a twist from a camera or a video: cues, voice, pain keys, the session stored.

        What you may practise and how far comes from your plan and your history (the same
        decision as the web app): after sharp pain, no twists for the rest of that day.
        """
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
                checkin=checkin,
                ask=input if sys.stdin.isatty() and not headless else None,
                mirrored=mirrored,
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
    "choose_variant",
    "parse_checkin",
    "parse_script",
    "register",
    "run_coach",
    "variant_asked",
]
