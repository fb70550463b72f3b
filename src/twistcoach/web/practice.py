"""The practice WebSocket: landmarks in, cues out, everything recorded as it happens.

Protocol (JSON text messages, at most ``max_ws_message_bytes`` each):

client -> server
    ``{"type": "landmarks", "t": s, "w": px, "h": px, "lm": [[x, y, z, visibility] * 33] | null}``
        ``t`` is seconds since the page started (non-decreasing); ``x, y`` are normalized to
        the frame (MediaPipe's ``poseLandmarks``); ``lm`` null means no person was found.
        At most ``max_landmark_rate_hz`` frames a second are used; faster ones are dropped.
    ``{"type": "pain", "level": 0-10}``, ``{"type": "sharp"}``, ``{"type": "end"}``
server -> client
    ``{"type": "cue", "t", "id", "text", "priority", "reason", "rule"}`` (the coach's cue),
    ``{"type": "event", "t", "id", "text", ...}``,
    ``{"type": "metrics", "t", "knee_drop", "cap", "stay", "state", "step"}`` (``stay``: where
    the coach's "stay here" begins, degrees) (at most 5 a second),
    ``{"type": "error", "message"}`` for a bad message (the connection stays open),
    ``{"type": "stopped", "reason", "text"}`` then the server closes the connection.

The same tracker, coach and recorder as the desktop coach run here; only the edge differs.
A malformed or oversized message gets an error and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from twistcoach.coaching import (
    Coach,
    CoachPlan,
    Cue,
    Event,
    Output,
    PlanRefusedError,
    build_coach_plan,
    load_coaching_rules,
)
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton
from twistcoach.metrics import BodyType
from twistcoach.pipeline import Tracker
from twistcoach.storage.models import Role, SessionStatus
from twistcoach.storage.recorder import SessionRecorder
from twistcoach.storage.repository import NotFoundError, Repository
from twistcoach.web.context import ctx_of, signed_in

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


def coach_plan_for(
    repo: Repository, plan_data: dict[str, Any] | None, variant_id: str, cap_deg: float
) -> CoachPlan:
    """The coach's plan for a stored session: its plan's decision plus the library variant.

    The session's cap (fixed when it was opened) is used, never a looser one.
    """
    from twistcoach.web.domain import library

    variant = library().get(variant_id)
    decision = next(
        (v for v in (plan_data or {}).get("variants", []) if v.get("id") == variant_id), None
    )
    if decision is None:
        raise PlanRefusedError(f"the plan has no decision for {variant_id!r}")
    return build_coach_plan(
        variant_id=variant_id,
        family=str(variant.family.pose_family),
        status=str(decision.get("status")),
        max_knee_drop_deg=min(cap_deg, float(decision.get("max_knee_drop_deg") or cap_deg)),
        reasons=[str(r.get("text", "")) for r in decision.get("reasons", [])],
        hold_s=variant.default_hold_s,
        sides=[str(s) for s in variant.sides],
        props=[str(p) for p in variant.props],
        steps=[s.text for s in variant.steps],
    )


@dataclass
class PracticeRun:
    """One live session: tracker -> coach -> recorder (synchronous; run off the event loop).

    Attributes
    ----------
    last_t
        Time of the newest accepted input, seconds from the page's start.
    """

    coach: Coach
    tracker: Tracker
    recorder: SessionRecorder
    min_interval_s: float
    actor_id: int
    last_t: float = -math.inf
    last_metrics_t: float = -math.inf
    dropped: int = 0
    frames: int = 0
    out: list[dict[str, Any]] = field(default_factory=list)

    def _emit(self, outputs: list[Output]) -> list[dict[str, Any]]:
        self.recorder.record(outputs)
        messages: list[dict[str, Any]] = []
        for o in outputs:
            if isinstance(o, Cue | Event):
                messages.append(dict(o.to_dict()))
        if self.coach.finished:
            messages.append(self._finish())
        return messages

    def _finish(
        self, status: SessionStatus | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        record = self.recorder.finish(status, stop_reason=reason)
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
        if msg.t - self.last_t < self.min_interval_s:
            self.dropped += 1  # over the rate limit: drop the frame, say nothing
            return []
        self.last_t = msg.t
        self.frames += 1
        skeleton = None
        if msg.lm is not None:
            skeleton = Skeleton.from_normalized(
                msg.t, np.asarray(msg.lm, dtype=np.float64), (msg.w, msg.h)
            )
        obs = self.tracker.update(msg.t, skeleton)
        self.recorder.observe(obs)
        messages = self._emit(self.coach.observe(obs))
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
                    "view": str(obs.view),
                }
            )
        return messages

    def now(self) -> float:
        """Session time for inputs without their own time (pain buttons)."""
        return max(0.0, self.last_t)

    def pain(self, level: int) -> list[dict[str, Any]]:
        """A pain report."""
        return self._emit(self.coach.report_pain(self.now(), level))

    def sharp(self) -> list[dict[str, Any]]:
        """Sharp pain: the stop cue is the first message."""
        return self._emit(self.coach.report_sharp_pain(self.now()))

    def end(self) -> list[dict[str, Any]]:
        """The person ends the session."""
        return self._emit(self.coach.quit(self.now()))

    def disconnected(self) -> None:
        """The page went away mid-session: keep everything, mark it interrupted."""
        if not self.coach.finished:
            record = self.recorder.finish(
                SessionStatus.INTERRUPTED, stop_reason="the page was closed"
            )
            self._audit(record.status, record.stop_reason)

    def _audit(self, status: str, reason: str | None) -> None:
        self.recorder.repo.audit(
            self.actor_id,
            "session.end",
            f"session:{self.recorder.session_id}",
            {"status": status, "stop_reason": reason, "frames": self.frames},
        )


async def _refuse(websocket: WebSocket, message: str) -> None:
    await websocket.accept()
    await websocket.send_json({"type": "error", "message": message})
    await websocket.close(code=CLOSE_POLICY)


def _same_origin(websocket: WebSocket) -> bool:
    """Cross-site WebSocket hijacking guard: the Origin, when sent, must be this host."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on WebSockets)
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


@router.websocket("/ws/practice/{session_id}")
async def practice_socket(websocket: WebSocket, session_id: int) -> None:
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
    plan = await run_in_threadpool(ctx.repo.get_plan, session.plan_id) if session.plan_id else None
    try:
        coach_plan = await run_in_threadpool(
            coach_plan_for,
            ctx.repo,
            plan.data if plan else None,
            session.variant_id,
            session.cap_deg,
        )
    except (PlanRefusedError, KeyError, ValueError) as exc:
        await _refuse(websocket, str(exc))
        return
    try:
        body = BodyType.parse(websocket.query_params.get("body", "neutral"))
    except ValueError as e:
        await _refuse(websocket, f"unknown body type: {e}")
        return
    run = PracticeRun(
        coach=Coach(
            coach_plan,
            load_coaching_rules(),
            start_pain=session.start_pain,
            body_model=body.value,
        ),
        tracker=ctx.tracker_factory(body.value),
        recorder=SessionRecorder(ctx.repo, session),
        min_interval_s=1.0 / ctx.settings.max_landmark_rate_hz * 0.9,
        actor_id=account.id,
    )
    await websocket.accept()
    limit = ctx.settings.max_ws_message_bytes
    try:
        while True:
            message = await websocket.receive()
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
                replies = await run_in_threadpool(run.pain, msg.level)
            elif isinstance(msg, SharpMessage):
                replies = await run_in_threadpool(run.sharp)
            else:
                replies = await run_in_threadpool(run.end)
            for reply in replies:
                await websocket.send_json(reply)
            if run.coach.finished:
                await websocket.close()
                return
    except WebSocketDisconnect:
        await run_in_threadpool(run.disconnected)
