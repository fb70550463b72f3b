"""The practice WebSocket: landmarks in, cues out, everything recorded as it happens.

Protocol (JSON text messages, at most ``max_ws_message_bytes`` each):

client -> server
    ``{"type": "landmarks", "t": s, "w": px, "h": px, "lm": [[x, y, z, visibility] * 33] | null}``
        ``t`` is seconds since the page started (non-decreasing); ``x, y`` are normalized to
        the frame (MediaPipe's ``poseLandmarks``); ``lm`` null means no person was found.
        At most ``max_landmark_rate_hz`` frames a second are used, by the server's monotonic
        clock (never ``t``): faster ones are dropped.
    ``{"type": "pain", "level": 0-10}``, ``{"type": "sharp"}``, ``{"type": "end"}``
server -> client
    ``{"type": "cue", "t", "id", "text", "priority", "reason", "rule"}`` (the coach's cue),
    ``{"type": "event", "t", "id", "text", ...}``,
    ``{"type": "metrics", "t", "knee_drop", "cap", "stay", "state", "step", "view", "view_ok",
    "advice"}`` (``stay``: where the coach's "stay here" begins, degrees; ``view``: the
    tracker's camera view, ``view_ok``: whether it can measure the knee drop, ``advice``: its
    camera advice in words, "" when none: the set-up screen's verdict) (at most 5 a second),
    ``{"type": "error", "message"}`` for a bad message, or a pain report over the limit
    (``pain_reports`` per ``pain_window_s`` seconds; sharp pain is never limited); the
    connection stays open,
    ``{"type": "stopped", "reason", "text"}`` then the server closes the connection.

The same :class:`~twistcoach.session.LiveSession` (tracker, coach, recorder) as the desktop
coach runs here, with the cap planning gives now (:func:`twistcoach.session.coach_plan_for`);
only the edge differs. Planning is asked again when the socket connects, so a session opened
before a sharp-pain stop elsewhere is refused (and closed) rather than coached.
A malformed or oversized message gets an error and changes nothing.

One socket per running session: a second connection while one is live is refused with
an error message and the close reason "session N is already open in another window"
(code 1008). A socket silent for ``ws_idle_s`` seconds is closed and its session marked
``interrupted`` (a dead connection never says goodbye).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from twistcoach.coaching import Coach, CoachPlan, Cue, Event, Output, PlanRefusedError
from twistcoach.i18n import localize_message
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton
from twistcoach.metrics import BodyType
from twistcoach.session import LiveSession, coach_plan_for
from twistcoach.storage.models import Role, SessionStatus
from twistcoach.storage.recorder import SessionRecorder
from twistcoach.storage.records import SessionRecord
from twistcoach.storage.repository import NotFoundError, Repository
from twistcoach.web.context import AppContext, ctx_of, request_language, signed_in
from twistcoach.web.deps import Id

router = APIRouter()

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
    """The person ends the session."""

    type: Literal["end"]


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

    try:
        raw = load_json_bounded(text, max_depth=8, max_bytes=1 << 20, max_number_chars=40)
    except InvalidSyntaxError:
        raise ValueError("message is not JSON") from None
    except LimitExceededError as exc:
        raise ValueError(f"message is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("type") not in {"landmarks", "pain", "sharp", "end"}:
        raise ValueError("message needs a type: landmarks, pain, sharp or end")
    try:
        return _MESSAGES.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        raise ValueError(f"{where}: {first['msg']}") from None


@dataclass
class PracticeRun:
    """The socket's edge around one :class:`~twistcoach.session.LiveSession`: the rate
    limit, the metrics messages and the reply shapes (run off the event loop).

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

    @property
    def coach(self) -> Coach:
        """The session's coach."""
        return self.live.coach

    @property
    def recorder(self) -> SessionRecorder:
        """The session's recorder (the browser coach always records)."""
        assert self.live.recorder is not None
        return self.live.recorder

    def _emit(self, outputs: list[Output]) -> list[dict[str, Any]]:
        messages = [dict(o.to_dict()) for o in outputs if isinstance(o, Cue | Event)]
        if self.coach.finished:
            messages.append(self._finish())
        return messages

    def _finish(self) -> dict[str, Any]:
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
        """One frame: track, coach, record; returns the messages to send."""
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
        messages = self._emit(self.live.frame(msg.t, skeleton))
        obs = self.live.last_observation
        if not self.coach.finished and msg.t - self.last_metrics_t >= METRICS_PERIOD_S:
            self.last_metrics_t = msg.t
            messages.append(
                {
                    "type": "metrics",
                    "t": round(msg.t, 3),
                    "knee_drop": self.coach.last_drop_deg,
                    "cap": self.coach.personal_cap_deg,
                    "stay": round(self.coach.stay_here_deg, 2),
                    "state": str(self.coach.state),
                    "step": self.coach.step_text,
                    "view": "" if obs is None else str(obs.view),
                    "view_ok": obs is not None and obs.view_measurable,
                    "advice": "" if obs is None else obs.view_advice,
                }
            )
        return messages

    def now(self) -> float:
        """Session time for inputs without their own time (pain buttons)."""
        return max(0.0, self.last_t)

    def pain(self, level: int) -> list[dict[str, Any]]:
        """A pain report."""
        return self._emit(self.live.pain(self.now(), level))

    def sharp(self) -> list[dict[str, Any]]:
        """Sharp pain: the stop cue is the first message."""
        return self._emit(self.live.sharp(self.now()))

    def end(self) -> list[dict[str, Any]]:
        """The person ends the session."""
        return self._emit(self.live.quit(self.now()))

    def disconnected(self) -> None:
        """The page went away mid-session: keep everything, mark it interrupted."""
        if not self.coach.finished:
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


async def _refuse(websocket: WebSocket, message: str) -> None:
    """Accept, say why in an error message, and close with the same words as the reason."""
    await websocket.accept()
    await websocket.send_json({"type": "error", "message": message})
    await websocket.close(code=CLOSE_POLICY, reason=message.encode()[:120].decode(errors="ignore"))


def _same_origin(websocket: WebSocket) -> bool:
    """Cross-site WebSocket hijacking guard: the Origin, when sent, must be this host."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on WebSockets)
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


@router.websocket("/ws/practice/{session_id}")
async def practice_socket(websocket: WebSocket, session_id: Id) -> None:
    """Live coaching over a WebSocket (see the module docs for the protocol)."""
    ctx = ctx_of(websocket)
    if not _same_origin(websocket):
        await _refuse(websocket, "cross-site connection refused")
        return
    who = await run_in_threadpool(signed_in, websocket)
    if who is None:
        await _refuse(websocket, "sign in first")
        return
    account, _ = who
    try:
        detail = await run_in_threadpool(ctx.repo.get_session, session_id)
        person = await run_in_threadpool(ctx.repo.get_person, detail.session.person_id)
    except NotFoundError:
        await _refuse(websocket, f"no session {session_id}")
        return
    if account.role != Role.STUDENT or person.account_id != account.id:
        await _refuse(websocket, "this is not your session")
        return
    session = detail.session
    if session.status != SessionStatus.RUNNING:
        await _refuse(websocket, f"session {session_id} has already ended ({session.status})")
        return
    try:
        coach_plan = await run_in_threadpool(_coach_plan_now, ctx.repo, session)
    except (PlanRefusedError, KeyError, ValueError) as exc:
        # Planning refuses now: close the opened session so it never stays running.
        await run_in_threadpool(
            ctx.repo.end_session, session.id, SessionStatus.STOPPED, "refused", None
        )
        await _refuse(websocket, str(exc))
        return
    try:
        body = BodyType.parse(websocket.query_params.get("body", "neutral"))
    except ValueError as e:
        await _refuse(websocket, f"unknown body type: {e}")
        return
    # One socket per session: claimed with no await since the check (atomic on the loop).
    if not ctx.live.claim(session.id):
        await _refuse(websocket, f"session {session.id} is already open in another window")
        return
    try:
        await run_in_threadpool(ctx.repo.touch_session, session.id)
        await _practise(websocket, ctx, session, coach_plan, body, account.id)
    finally:
        ctx.live.release(session.id)


async def _practise(
    websocket: WebSocket,
    ctx: AppContext,
    session: SessionRecord,
    coach_plan: CoachPlan,
    body: BodyType,
    actor_id: int,
) -> None:
    """The socket's loop for a session it holds: messages in, replies out."""
    run = PracticeRun(
        live=LiveSession.create(
            coach_plan,
            tracker=ctx.tracker_factory(body.value),
            start_pain=session.start_pain,
            body=body,
            recorder=SessionRecorder(ctx.repo, session),
        ),
        min_interval_s=1.0 / ctx.settings.max_landmark_rate_hz * 0.9,
        actor_id=actor_id,
        clock=ctx.monotonic_s,
    )
    await websocket.accept()
    lang = request_language(websocket)  # cues in the page's language (twistcoach.i18n)
    limit = ctx.settings.max_ws_message_bytes
    try:
        while True:
            try:
                message = await asyncio.wait_for(websocket.receive(), ctx.settings.ws_idle_s)
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
            if len(text.encode()) > limit:
                await websocket.send_json(
                    {"type": "error", "message": f"message too large (at most {limit} bytes)"}
                )
                continue
            try:
                msg = parse_message(text)
            except ValueError as exc:
                await websocket.send_json({"type": "error", "message": str(exc)})
                continue
            if isinstance(msg, LandmarksMessage):
                replies = await run_in_threadpool(run.landmarks, msg)
            elif isinstance(msg, PainMessage):
                if not ctx.limits.allow_pain(session.id):
                    await websocket.send_json(
                        {"type": "error", "message": "too many pain reports; wait a moment"}
                    )
                    continue
                replies = await run_in_threadpool(run.pain, msg.level)
            elif isinstance(msg, SharpMessage):
                replies = await run_in_threadpool(run.sharp)
            else:
                replies = await run_in_threadpool(run.end)
            for reply in replies:
                await websocket.send_json(localize_message(reply, lang))
            if run.coach.finished:
                await websocket.close()
                return
    except WebSocketDisconnect:
        await run_in_threadpool(run.disconnected)
    finally:
        # Cancelled (the server stops, or the connection is torn down mid-await): still
        # keep everything and mark the session interrupted, here and now.
        if run.recorder.finished is None:
            run.disconnected()
