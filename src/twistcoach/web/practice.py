"""The practice WebSocket: landmarks in, cues out, everything recorded as it happens.

Protocol (JSON text messages, at most ``max_ws_message_bytes`` each):

client -> server
    ``{"type": "landmarks", "t": s, "w": px, "h": px, "lm": [[x, y, z, visibility] * 33] | null}``
        ``t`` is seconds since the page started (non-decreasing); ``x, y`` are normalized to
        the frame (MediaPipe's ``poseLandmarks``); ``lm`` null means no person was found.
        At most ``max_landmark_rate_hz`` frames a second are used, by the server's monotonic
        clock (never ``t``): faster ones are dropped.
    ``{"type": "pain", "level": 0-10}``, ``{"type": "sharp"}``, ``{"type": "end"}``;
        ``{"type": "end", "reason": "no_camera"}`` when the page never got a camera,
        ``"no_pose_model"`` when its pose model never loaded: an end before the server
        received any frame (its own count) is stored as interrupted, for the page's reason or
        else ``no_frames``, never as practice stopped early; after any frame it is an ordinary
        end
server -> client
    ``{"type": "cue", "t", "id", "text", "priority", "reason", "rule"}`` (the coach's cue),
    ``{"type": "event", "t", "id", "text", ...}``,
    ``{"type": "metrics", "t", "knee_drop", "cap", "stay", "state", "step", "view", "view_ok",
    "calibrated", "advice"}`` (``knee_drop``: the coach's drop from the person's measured
    starting position, null until the coach has measured it (``calibrated``) and whenever
    the frame was not measured: before then the tracker's reading has no zero, and a side
    view misread as a diagonal one read -41 degrees on a phone; ``stay``: where the coach's
    "stay here" begins, degrees; ``view``: the tracker's camera view (a lying session's
    ``oblique``, ``top_down``, ...; a seated or standing one's ``front``, ``diagonal``,
    ``side``, ``overhead`` or ``unknown``), ``view_ok``: whether the tracker can measure the
    knee drop or the trunk rotation from there (before ``calibrated`` a first verdict, which
    the page does not show as a measured place), ``advice``: its camera advice in words, ""
    when none: the set-up screen's verdict) (at most 5 a second),
    ``{"type": "error", "message"}`` for a bad message, or a pain report over the limit
    (``pain_reports`` per ``pain_window_s`` seconds; sharp pain is never limited); the
    connection stays open,
    ``{"type": "stopped", "reason", "text"}`` then the server closes the connection,
    ``{"type": "status", "state": "waiting" | "ready", "text"}``: "getting ready" while the
    session waits for its turn to start or to be calibrated (see below), then ready; sent
    only when it had to wait.

The same :class:`~twistcoach.session.LiveSession` (tracker, coach, recorder) as the desktop
coach runs here, with the cap planning gives now (:func:`twistcoach.session.coach_plan_for`);
only the edge differs. Planning is asked again when the socket connects, so a session opened
before a sharp-pain stop elsewhere is refused (and closed) rather than coached.
A malformed or oversized message gets an error and changes nothing.

One socket per running session: a second connection while one is live is refused with
an error message and the close reason "session N is already open in another window"
(code 1008). The claim is this process's registry and the database's
(:func:`twistcoach.storage.recorder.claim_socket`), so it holds across the processes of
``twistcoach serve --workers N``. A socket silent for ``ws_idle_s`` seconds is closed and its
session marked ``interrupted`` (a dead connection never says goodbye).

Load (issue 19, ``bench/load.py``): a calibrated session's frame runs on the event loop,
about the tracker's own cost, with no database round trip (the recorder keeps samples and
events and writes them at least once a second and after every event, in a worker thread).
:class:`Admission` keeps running sessions inside their latency when many start at once: a
few sockets set up at a time, and one calibration's fit (0.3-0.5 s of CPU) at a time, off
the event loop; the others are told they are "getting ready" and wait their turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketState

from twistcoach.coaching import Coach, CoachPlan, Cue, Event, Output, PlanRefusedError
from twistcoach.i18n import localize_message, translator
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton
from twistcoach.metrics import BodyType, Observation, PoseFamily
from twistcoach.report.words import rotation_view_name
from twistcoach.session import (
    PLAN_RECHECK_S,
    LiveSession,
    coach_plan_for,
    plan_change_refusal,
)
from twistcoach.storage.models import Role, SessionStatus
from twistcoach.storage.recorder import SessionRecorder, claim_socket, release_socket
from twistcoach.storage.records import SessionRecord
from twistcoach.storage.repository import NotFoundError, Repository
from twistcoach.web.context import AppContext, ctx_of, request_language, signed_in
from twistcoach.web.deps import Id
from twistcoach.web.services import NOT_VISIBLE_SESSION, UNKNOWN_TWIST
from twistcoach.wording import status_words, step_words, stop_words

router = APIRouter()
log = logging.getLogger(__name__)

#: Close codes (4000-4999 are the application's).
CLOSE_POLICY = 1008
METRICS_PERIOD_S = 0.2

Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LandmarksMessage(_Msg):
    """One frame's landmarks (see the module docs)."""

    type: Literal["landmarks"]
    t: Annotated[float, Field(ge=0, le=24 * 3600, allow_inf_nan=False)]
    w: Annotated[int, Field(ge=16, le=8192)]
    h: Annotated[int, Field(ge=16, le=8192)]
    lm: list[list[Finite]] | None

    @field_validator("lm")
    @classmethod
    def _shape(cls, value: list[list[float]] | None) -> list[list[float]] | None:
        if value is None:
            return None
        if len(value) != NUM_LANDMARKS or any(len(p) != 4 for p in value):
            raise ValueError(f"lm must be {NUM_LANDMARKS} landmarks of [x, y, z, visibility]")
        return value


class PainMessage(_Msg):
    """A pain report, 0-10."""

    type: Literal["pain"]
    level: Annotated[int, Field(ge=0, le=10, strict=True)]


class SharpMessage(_Msg):
    """Sharp pain: stop at once."""

    type: Literal["sharp"]


class EndMessage(_Msg):
    """The person ends the session (``reason`` "no_camera": the page never got a camera;
    "no_pose_model": its pose model never loaded)."""

    type: Literal["end"]
    reason: Literal["no_camera", "no_pose_model"] | None = None


#: The stop reason of a session ended before any camera frame came (the page could not open
#: a camera): said as "the camera was not available" (rules/wording.yaml).
NO_CAMERA = "no_camera"
#: The stop reason of a session ended before any frame came because the page's pose model
#: never loaded (a network that failed or was too slow): "the pose model did not load".
NO_POSE_MODEL = "no_pose_model"
#: The stop reason of a session ended before any frame came, the page giving no reason.
NO_FRAMES = "no_frames"


ClientMessage = Annotated[
    LandmarksMessage | PainMessage | SharpMessage | EndMessage, Field(discriminator="type")
]
_MESSAGES: TypeAdapter[LandmarksMessage | PainMessage | SharpMessage | EndMessage] = TypeAdapter(
    ClientMessage
)


def parse_message(text: str) -> LandmarksMessage | PainMessage | SharpMessage | EndMessage:
    """Parse one client message; raises ValueError with a plain reason.

    The JSON is parsed within limits (:func:`twistcoach.safeload.load_json_bounded`: 8 levels
    of nesting, numbers of at most 40 digits; a real message has 3 levels), so a hostile
    message gets an error reply like any other bad one instead of ending the socket.
    """
    from twistcoach.safeload import InvalidSyntaxError, LimitExceededError, load_json_bounded

    # The fast path: pydantic's own JSON parser and the model in one go, about 30 us a
    # landmark frame against 150 us for the bounded loader and the model. It has its own
    # depth limit (no valid message is deeper than 3 levels), refuses NaN and Infinity for
    # these fields, parses numbers without Python's int conversion (a long one becomes a
    # float, or fails a bounded int field), and sees at most max_ws_message_bytes. Anything
    # it refuses goes the careful way below, which names the problem.
    try:
        return _MESSAGES.validate_json(text)
    except ValidationError:
        pass
    try:
        raw = load_json_bounded(text, max_depth=8, max_bytes=1 << 20, max_number_chars=40)
    except InvalidSyntaxError:
        raise ValueError("message is not JSON") from None
    except LimitExceededError as exc:
        raise ValueError(f"message is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("type") not in {"landmarks", "pain", "sharp", "end"}:
        raise ValueError("message needs a type: landmarks, pain, sharp or end")
    if raw["type"] == "sharp":
        # Sharp pain always wins: a sharp message with anything else in it is still sharp
        # pain (it was refused as "Extra inputs are not permitted" and practice went on).
        return SharpMessage(type="sharp")
    try:
        return _MESSAGES.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ValueError(f"{where}: {first['msg']}") from None


@dataclass
class PracticeRun:
    """The socket's edge around one :class:`~twistcoach.session.LiveSession`: the rate
    limit, the metrics messages and the reply shapes.

    :meth:`landmarks` touches no database (the recorder is buffered), so the socket runs it
    on its event loop once the tracker is calibrated; :meth:`finish`, :meth:`pain`,
    :meth:`sharp`, :meth:`end` and :meth:`disconnected` write, and run in a worker thread.

    Attributes
    ----------
    last_t
        Time of the newest accepted input, seconds from the page's start.
    clock
        The server's monotonic clock, seconds: the frame-rate limit's time (the client's
        ``t`` is never trusted for it).
    """

    live: LiveSession
    min_interval_s: float
    actor_id: int
    clock: Callable[[], float] = field(default_factory=lambda: time.monotonic)
    last_server_s: float = -math.inf
    last_t: float = -math.inf
    last_metrics_t: float = -math.inf
    dropped: int = 0
    #: The page was told to wait ("getting ready") and not yet that it is ready.
    waiting: bool = False

    @property
    def coach(self) -> Coach:
        """The session's coach."""
        return self.live.coach

    @property
    def recorder(self) -> SessionRecorder:
        """The session's recorder (the browser coach always records)."""
        assert self.live.recorder is not None
        return self.live.recorder

    def _emit(self, outputs: list[Output], *, finish: bool = True) -> list[dict[str, Any]]:
        messages = [dict(o.to_dict()) for o in outputs if isinstance(o, Cue | Event)]
        if finish and self.coach.finished:
            messages.append(self.finish())
        return messages

    def finish(self) -> dict[str, Any]:
        """The coach has finished or stopped: store the end (everything kept is written
        first) and return the ``stopped`` message. Writes: run off the event loop."""
        record = self.live.close(SessionStatus.STOPPED, "stopped")
        assert record is not None
        self._audit(record.status, record.stop_reason)
        summary = self.coach.summary()
        text = self.coach.current_cue.text if self.coach.current_cue is not None else ""
        return {
            "type": "stopped",
            "reason": record.stop_reason or record.status,
            "status": record.status,
            "text": text,
            "final_cap_deg": summary.final_cap_deg,
            "max_knee_drop_deg": summary.max_knee_drop_deg,
        }

    def landmarks(self, msg: LandmarksMessage) -> list[dict[str, Any]]:
        """One frame: track, coach, record (kept for the recorder's next flush); returns the
        messages to send. When the coach finishes on this frame, the caller adds
        :meth:`finish`'s message (a database write)."""
        if msg.t < self.last_t:
            return [{"type": "error", "message": "t went backwards; frame ignored"}]
        now = self.clock()
        if now - self.last_server_s < self.min_interval_s:
            self.dropped += 1  # over the rate limit: drop the frame, say nothing
            return []
        self.last_server_s = now
        self.last_t = msg.t
        skeleton = None
        if msg.lm is not None:
            skeleton = Skeleton.from_normalized(
                msg.t, np.asarray(msg.lm, dtype=np.float64), (msg.w, msg.h)
            )
        messages = self._emit(self.live.frame(msg.t, skeleton), finish=False)
        obs = self.live.last_observation
        if not self.coach.finished and msg.t - self.last_metrics_t >= METRICS_PERIOD_S:
            self.last_metrics_t = msg.t
            messages.append(
                {
                    "type": "metrics",
                    "t": round(msg.t, 3),
                    # Never a number before the coach has measured the starting position:
                    # the page's gauge and needle show only this (Coach.shown_drop_deg).
                    "knee_drop": self.coach.shown_drop_deg,
                    "cap": self.coach.personal_cap_deg,
                    "stay": round(self.coach.stay_here_deg, 2),
                    "state": str(self.coach.state),
                    "step": step_words(self.coach),  # the person's words, never "Paused: user"
                    "view": self._view_name(obs),
                    "view_ok": obs is not None and obs.view_measurable,
                    "calibrated": self.coach.calibrated,
                    "advice": "" if obs is None else obs.view_advice,
                }
            )
        return messages

    def _view_name(self, obs: Observation | None) -> str:
        """Where the camera is, in the session's own views: a seated or standing twist's
        front, diagonal, side, overhead or unknown (:func:`rotation_view_name`, as its
        reports say it), never the lying coach's ``oblique`` its tracker reuses."""
        if obs is None:
            return ""
        if self.coach.plan.family is PoseFamily.SUPINE_TWIST:
            return str(obs.view)
        return rotation_view_name(obs.view, obs.view_measurable) or "unknown"

    def now(self) -> float:
        """Session time for inputs without their own time (pain buttons)."""
        return max(0.0, self.last_t)

    def pain(self, level: int) -> list[dict[str, Any]]:
        """A pain report."""
        return self._emit(self.live.pain(self.now(), level))

    def sharp(self) -> list[dict[str, Any]]:
        """Sharp pain: the stop cue is the first message."""
        return self._emit(self.live.sharp(self.now()))

    def end(self, reason: str | None = None) -> list[dict[str, Any]]:
        """The person ends the session. With no frame ever received (the server's own
        count, so a page cannot use a reason to hide practice), nothing was practised: the
        session is stored as interrupted, for the page's ``reason`` (:data:`NO_CAMERA`,
        :data:`NO_POSE_MODEL`) or else :data:`NO_FRAMES`, never as practice stopped early
        (which progression, the progress chart and the teacher's flags count). The
        ``stopped`` message carries the reason's words for the person (``words``)."""
        if self.live.frames == 0 and not self.coach.finished:
            why = reason if reason in (NO_CAMERA, NO_POSE_MODEL) else NO_FRAMES
            record = self.live.close(SessionStatus.INTERRUPTED, why)
            assert record is not None
            self._audit(record.status, record.stop_reason)
            return [
                {
                    "type": "stopped",
                    "reason": why,
                    "status": record.status,
                    "text": "",
                    "words": stop_words(why, "person"),
                }
            ]
        return self._emit(self.live.quit(self.now()))

    def recheck(self, repo: Repository) -> list[dict[str, Any]]:
        """Ask again whether this session may go on: sharp pain reported for it from another
        window stops it as sharp pain; something stored while it ran (a red flag in a new
        intake, sharp pain in another session, a lower cap in a care plan) may take the
        twist away, and a red flag or sharp pain always wins. Refused: the coach stops with
        planning's reason. Reads the database: run off the event loop."""
        if self.coach.finished or self.recorder.finished is not None:
            return []
        if repo.sharp_reported(self.recorder.session_id):
            # Sharp pain pressed in another window of this session (a second tab, a phone
            # whose socket was refused): the same stop as pressed here.
            return self._emit(self.live.sharp(self.now()))
        try:
            plan = _coach_plan_now(repo, self.recorder.session)
        except (PlanRefusedError, KeyError, ValueError) as exc:
            reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            return self._emit(self.live.withdraw(self.now(), reason))
        lowered = plan_change_refusal(plan, self.coach)
        if lowered is not None:
            return self._emit(self.live.withdraw(self.now(), lowered))
        return []

    def disconnected(self) -> None:
        """The page went away mid-session: keep everything, mark it interrupted (or, when
        the coach had just finished, store that end)."""
        if self.recorder.finished is not None:
            return
        if self.coach.finished:
            self.finish()
            return
        record = self.live.close(SessionStatus.INTERRUPTED, "the page was closed")
        assert record is not None
        self._audit(record.status, record.stop_reason)

    def _audit(self, status: str, reason: str | None) -> None:
        self.recorder.repo.audit(
            self.actor_id,
            "session.end",
            f"session:{self.recorder.session_id}",
            {"status": status, "stop_reason": reason, "frames": self.live.frames},
        )


def _coach_plan_now(repo: Repository, session: SessionRecord) -> CoachPlan:
    """The coach's plan for a stored session, from planning now (its stored cap, or lower).

    Raises PlanRefusedError with planning's reason when the person may not practise it now
    (for example, sharp pain stopped another session since this one was opened).
    """
    from twistcoach.poses.loader import load_library
    from twistcoach.storage.progress import decide_for_person

    decision = decide_for_person(repo, session.person_id)
    return coach_plan_for(decision, session.variant_id, load_library(), cap_deg=session.cap_deg)


class Gate:
    """At most ``limit`` holders at once, first come first served (the admission's slots).

    Not bound to one event loop (a test client may use several in turn); every call is made
    on an event loop's thread.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a gate needs at least one slot")
        self.limit = limit
        self.held = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """How many wait for a slot now."""
        return len(self._waiters)

    @property
    def busy(self) -> bool:
        """True when a newcomer would wait."""
        return self.held >= self.limit or bool(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting in turn when none is free."""
        if not self.busy:
            self.held += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # woken with the slot already counted as held
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot while being cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.held = max(0, self.held - 1)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """``async with gate.slot():`` hold a slot for the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()


@dataclass
class Admission:
    """How practice sockets share one server process (one per app, ``app.state``).

    ``starting``
        Sockets setting up at once (sign-in, the session, planning, the claim): about
        10-20 ms of CPU each, in worker threads that share the interpreter with the running
        streams; the others wait, told ``{"type": "status", "state": "waiting"}``.
    ``calibrating``
        Frames of not yet calibrated sessions processed at once, off the event loop: a
        calibration's fit is 0.3-0.5 s of CPU (against about 1 ms for a frame), and 30
        students starting together would otherwise hold the interpreter for seconds. One
        at a time, in a worker thread, the event loop keeps its turn every 5 ms (the
        interpreter's switch interval), so running streams stay inside their latency
        while newcomers wait their turn ("getting ready").
    """

    starting: Gate = field(default_factory=lambda: Gate(STARTING_SLOTS))
    calibrating: Gate = field(default_factory=lambda: Gate(CALIBRATING_SLOTS))
    #: Practice sockets open in this process now.
    open_sockets: int = 0


#: Sockets setting up at once per process (see :class:`Admission`).
STARTING_SLOTS = 2
#: Calibrating frames at once per process (see :class:`Admission`).
CALIBRATING_SLOTS = 1
#: Seconds of the server's clock between flushes of a session's kept samples (the recorder
#: keeps its durability promise of at most one second lost).
FLUSH_PERIOD_S = 1.0

READY_TEXT = "Connected. Lie on your back, knees bent, feet flat."
WAITING_START_TEXT = "Getting ready: the coach is starting other people's sessions. One moment."
WAITING_CALIBRATION_TEXT = "Getting ready: the coach is setting up another person. Stay still."


def prepare_process(app: FastAPI | None = None) -> None:
    """Ready a server process for practice sockets (``twistcoach serve`` calls it once the
    app is built, in each process): read what every session needs (the pose library, the
    coaching rules, a tracker's tables), start ``app``'s calibration process
    (:meth:`twistcoach.web.calibration_pool.CalibrationPool.warm`), then take every object
    alive now out of the garbage collector's full passes (``gc.freeze``).

    A full pass over the roughly 120 000 objects of a started server took 58-77 ms
    (measured on the project's 2-core machine under load), and came every few seconds at
    60 streams: it was the p99 of every stream. After the freeze a full pass sees only what
    the sessions made since (0.002 ms on the same measurement).
    """
    import gc

    from twistcoach.pipeline import default_tracker_factory
    from twistcoach.poses.loader import load_library
    from twistcoach.session import default_coaching_rules
    from twistcoach.storage.progress import decide_for_person  # noqa: F401  (imported now)

    load_library()
    default_coaching_rules()
    default_tracker_factory("neutral").update(0.0, None)
    pool = app.state.ctx.calibration_pool if app is not None else None
    if pool is not None:
        pool.warm()
    gc.collect()
    gc.freeze()


def admission_of(websocket: WebSocket) -> Admission:
    """The app's :class:`Admission` (made on first use)."""
    state = websocket.app.state
    admission = getattr(state, "admission", None)
    if not isinstance(admission, Admission):
        admission = Admission()
        state.admission = admission
    return admission


def _status(state: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "status", "state": state, "text": text, **extra}


async def _wait_in_turn(websocket: WebSocket, gate: Gate, text: str, told: bool) -> bool:
    """Take a slot of ``gate``. When none is free, the page is told it waits ("getting
    ready"), unless ``told`` says it already was; returns whether it has been told."""
    if gate.busy and not told:
        said = translator(request_language(websocket)).text(text)  # the page's language
        await websocket.send_json(_status("waiting", said, ahead=gate.waiting + gate.held))
        told = True
    await gate.acquire()
    return told


async def _refuse(websocket: WebSocket, message: str) -> None:
    """Say why in an error message (accepting first if needed), and close with the same
    words as the reason."""
    if websocket.application_state == WebSocketState.CONNECTING:
        await websocket.accept()
    message = translator(request_language(websocket)).text(message)  # the page's language
    await websocket.send_json({"type": "error", "message": message})
    await websocket.close(code=CLOSE_POLICY, reason=message.encode()[:120].decode(errors="ignore"))


def _same_origin(websocket: WebSocket) -> bool:
    """Cross-site WebSocket hijacking guard: the Origin, when sent, must be this host."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on WebSockets)
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


@dataclass(frozen=True)
class _Opened:
    """What the handshake found: the student's running session and its coach plan."""

    session: SessionRecord
    coach_plan: CoachPlan
    actor_id: int


def _open(ctx: AppContext, websocket: WebSocket, session_id: int) -> _Opened | str:
    """The handshake's checks and reads, in one worker thread: the opened session, or why
    it is refused."""
    who = signed_in(websocket)
    if who is None:
        return "sign in first"
    account, _ = who
    try:
        detail = ctx.repo.get_session(session_id)
        person = ctx.repo.get_person(detail.session.person_id)
    except NotFoundError:
        return NOT_VISIBLE_SESSION
    if account.role != Role.STUDENT or person.account_id != account.id:
        # The same words as for an id that does not exist: ids cannot be enumerated.
        return NOT_VISIBLE_SESSION
    session = detail.session
    if session.status != SessionStatus.RUNNING:
        # The status in words ("stopped early"), never the stored value.
        return f"session {session_id} has already ended ({status_words(session.status)})"
    try:
        coach_plan = _coach_plan_now(ctx.repo, session)
    except (PlanRefusedError, KeyError, ValueError) as exc:
        # Planning refuses now: close the opened session so it never stays running.
        ctx.repo.end_session(session.id, SessionStatus.STOPPED, "refused", None)
        # A twist the library no longer has: planning's KeyError lists the library's ids.
        return UNKNOWN_TWIST if isinstance(exc, KeyError) else str(exc)
    return _Opened(session, coach_plan, account.id)


@router.websocket("/ws/practice/{session_id}")
async def practice_socket(websocket: WebSocket, session_id: Id) -> None:
    """Live coaching over a WebSocket (see the module docs for the protocol)."""
    ctx = ctx_of(websocket)
    if not _same_origin(websocket):
        await _refuse(websocket, "cross-site connection refused")
        return
    admission = admission_of(websocket)
    await websocket.accept()  # first: a page that waits for its turn is told so
    told = await _wait_in_turn(websocket, admission.starting, WAITING_START_TEXT, False)
    claimed = False
    try:
        opened = await run_in_threadpool(_open, ctx, websocket, session_id)
        if isinstance(opened, str):
            await _refuse(websocket, opened)
            return
        session = opened.session
        try:
            body = BodyType.parse(websocket.query_params.get("body", "neutral"))
        except ValueError as e:
            await _refuse(websocket, f"unknown body type: {e}")
            return
        # One socket per session: this process's registry (claimed with no await since the
        # check, so atomic on the loop), then the database's claim (every process).
        if not ctx.live.claim(session.id):
            await _refuse(websocket, f"session {session.id} is already open in another window")
            return
        claimed = True
        if not await run_in_threadpool(
            claim_socket, ctx.repo, session.id, ctx.settings.stale_session_s
        ):
            ctx.live.release(session.id)
            claimed = False
            await _refuse(websocket, f"session {session.id} is already open in another window")
            return
        run = PracticeRun(
            live=LiveSession.create(
                opened.coach_plan,
                tracker=ctx.tracker_factory(body.value),
                start_pain=session.start_pain,
                body=body,
                recorder=SessionRecorder(ctx.repo, session, buffered=True),
            ),
            min_interval_s=1.0 / ctx.settings.max_landmark_rate_hz * 0.9,
            actor_id=opened.actor_id,
            clock=ctx.monotonic_s,
        )
    except BaseException:
        if claimed:  # both claims were taken (the registry's, then the database's)
            ctx.live.release(session_id)
            with contextlib.suppress(Exception):
                release_socket(ctx.repo, session_id)
        raise
    finally:
        admission.starting.release()
    admission.open_sockets += 1
    try:
        if told:  # it waited for its turn to start: now it is ready
            ready = translator(request_language(websocket)).text(READY_TEXT)
            await websocket.send_json(_status("ready", ready))
        await _practise(websocket, ctx, run, session.id, admission)
    finally:
        admission.open_sockets -= 1
        ctx.live.release(session.id)
        with contextlib.suppress(Exception):
            await run_in_threadpool(release_socket, ctx.repo, session.id)


#: The largest oversized message still read for a sharp-pain report (characters): a sharp
#: message padded past the size limit must stop the session, and reading a megabyte of
#: JSON once (the session then ends) costs a few milliseconds.
SHARP_READ_LIMIT = 1_000_000


def _oversized_sharp(text: str) -> bool:
    """True when a message over the size limit is a sharp-pain report all the same."""
    if len(text) > SHARP_READ_LIMIT or '"sharp"' not in text:
        return False
    try:
        raw = json.loads(text)
    except ValueError:
        return False
    return isinstance(raw, dict) and raw.get("type") == "sharp"


async def _landmarks(
    websocket: WebSocket, run: PracticeRun, msg: LandmarksMessage, admission: Admission
) -> list[dict[str, Any]]:
    """One frame's replies. A calibrated session's frame runs here on the event loop (about
    1 ms, no database); a calibrating one's in a worker thread, one session at a time
    (:class:`Admission`). A page told to wait ("getting ready") is told it is ready once
    its session is calibrated."""
    if not run.live.calibrating:
        replies = run.landmarks(msg)
    else:
        gate = admission.calibrating
        run.waiting = await _wait_in_turn(websocket, gate, WAITING_CALIBRATION_TEXT, run.waiting)
        try:
            replies = await run_in_threadpool(run.landmarks, msg)
        finally:
            gate.release()
    if run.waiting and not run.live.calibrating:
        run.waiting = False
        replies.insert(0, _status("ready", READY_TEXT))
    if run.coach.finished:
        replies.append(await run_in_threadpool(run.finish))
    return replies


async def _practise(
    websocket: WebSocket,
    ctx: AppContext,
    run: PracticeRun,
    session_id: int,
    admission: Admission,
) -> None:
    """The socket's loop for a session it holds: messages in, replies out; the recorder's
    kept samples and events written at least every :data:`FLUSH_PERIOD_S` and after every
    event, off the loop."""
    limit = ctx.settings.max_ws_message_bytes
    lang = request_language(websocket)  # cues in the page's language (twistcoach.i18n)
    last_flush = last_check = ctx.monotonic_s()
    try:
        while True:
            try:
                async with asyncio.timeout(ctx.settings.ws_idle_s):
                    message = await websocket.receive()
            except TimeoutError:
                await run_in_threadpool(run.disconnected)
                await websocket.close(code=1001, reason="no message for too long")
                return
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            text = message.get("text")
            if text is None:
                await websocket.send_json(
                    {"type": "error", "message": "send JSON text, not binary"}
                )
                continue
            msg: LandmarksMessage | PainMessage | SharpMessage | EndMessage
            if len(text) > limit or len(text.encode()) > limit:
                if not _oversized_sharp(text):
                    await websocket.send_json(
                        {"type": "error", "message": f"message too large (at most {limit} bytes)"}
                    )
                    continue
                msg = SharpMessage(type="sharp")  # sharp pain always wins, however sent
            else:
                try:
                    msg = parse_message(text)
                except ValueError as exc:
                    await websocket.send_json({"type": "error", "message": str(exc)})
                    continue
            if isinstance(msg, LandmarksMessage):
                replies = await _landmarks(websocket, run, msg, admission)
            elif isinstance(msg, PainMessage):
                # Pain rising is never dropped (a report over the stop must stop the
                # session); at most ten rises fit in 0-10, so the limit still bounds a flood.
                last = run.coach.last_pain
                rising = last is None or msg.level > last
                if not rising and not ctx.limits.allow_pain(session_id):
                    said = {"type": "error", "message": "too many pain reports; wait a moment"}
                    await websocket.send_json(localize_message(said, lang))
                    continue
                replies = await run_in_threadpool(run.pain, msg.level)
            elif isinstance(msg, SharpMessage):
                replies = await run_in_threadpool(run.sharp)
            else:
                replies = await run_in_threadpool(run.end, msg.reason)
            if not run.coach.finished and ctx.monotonic_s() - last_check >= PLAN_RECHECK_S:
                last_check = ctx.monotonic_s()
                replies.extend(await run_in_threadpool(run.recheck, ctx.repo))
            # Over: the coach finished, or the record was ended without it (no camera).
            over = run.coach.finished or run.recorder.finished is not None
            if over:
                # The session is over and stored: its claims are given back before the page
                # is told, so whatever the page does next finds the session free.
                ctx.live.release(session_id)
                await run_in_threadpool(release_socket, ctx.repo, session_id)
            for reply in replies:
                await websocket.send_json(localize_message(reply, lang))
            if over:
                await websocket.close()
                return
            now = ctx.monotonic_s()
            recorder = run.recorder
            if recorder.pending and (recorder.flush_due or now - last_flush >= FLUSH_PERIOD_S):
                last_flush = now
                await run_in_threadpool(recorder.flush)
    except WebSocketDisconnect:
        await run_in_threadpool(run.disconnected)
    finally:
        # Cancelled (the server stops, or the connection is torn down mid-await): still
        # keep everything and mark the session interrupted, here and now.
        if run.recorder.finished is None:
            try:
                run.disconnected()
            except Exception:
                log.exception("storing the end of session %s failed", session_id)
