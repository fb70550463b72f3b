"""Record a live coaching session as it happens: the coach's outputs and per-second samples.

Used by the desktop coach (``twistcoach coach``) and the web app alike::

    recorder = SessionRecorder.start(repo, person.id, plan.variant_id, plan.cap_deg,
                                     source="camera:0", start_pain=2)
    with recorder:
        for obs in observations:
            recorder.observe(obs)                 # one sample a second, committed
            recorder.record(coach.observe(obs))   # every cue and event, committed at once
        recorder.record(coach.report_pain(t, 4))  # pain reports are stored as "pain" events
    # leaving the block ends the session: "completed", or "stopped" with the coach's reason

Durability: every event is committed when :meth:`SessionRecorder.record` returns, and one
sample is committed each second of session time, so a process killed mid-session loses at
most its last second; the next start (``Repository.mark_interrupted_sessions``) marks the
session ``interrupted`` and keeps all of it.

Buffered (``buffered=True``, the web server's practice socket): samples and events are kept
in memory until :meth:`SessionRecorder.flush`, which writes them all in one transaction
(``Repository.add_records``), and :meth:`SessionRecorder.finish` flushes before it ends the
session. The socket flushes at least once a second of its clock and after every cue or event
(:attr:`SessionRecorder.flush_due`), off its event loop, so the promise above holds there
too (a process killed loses at most its last second) while a frame costs no database round
trip: a per-second sample written on its own was 1-3 ms of the socket's time.

The recorder depends only on the shape of the coach's outputs (see :class:`CueLike` and
:class:`EventLike`, matching ``twistcoach.coaching.Cue`` and ``Event``).
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from twistcoach.metrics import Observation
from twistcoach.storage.models import EventType, PracticeSession, SessionStatus
from twistcoach.storage.owners import owner_alive, process_owner
from twistcoach.storage.records import SAMPLE_PERIOD_S, SampleRecord, SessionRecord
from twistcoach.storage.repository import Repository

#: Coach event ids with a special meaning for the record.
PAIN_EVENT_ID = "pain_reported"
CAP_LOWERED_EVENT_ID = "cap_lowered"
STOPPED_EVENT_ID = "session_stopped"
DONE_EVENT_ID = "session_done"
SHARP_PAIN_REASON = "sharp_pain"


@runtime_checkable
class CueLike(Protocol):
    """What the recorder needs of a coaching cue (``twistcoach.coaching.Cue``)."""

    @property
    def t(self) -> float: ...
    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def priority(self) -> Any: ...
    @property
    def reason(self) -> str: ...
    @property
    def rule(self) -> str: ...


@runtime_checkable
class EventLike(Protocol):
    """What the recorder needs of a coach event (``twistcoach.coaching.Event``)."""

    @property
    def t(self) -> float: ...
    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...


def sample_from_observation(obs: Observation, cap_deg: float | None) -> SampleRecord:
    """The sample stored for one observation: all measures None (NULL) when tracking was
    lost, and every view-dependent one None where the view or side cannot be measured
    (``Observation.measured``), so nothing unmeasured is stored as a number.

    Parameters
    ----------
    obs
        The observation; its ``timestamp_s`` becomes the sample's ``t`` (seconds).
    cap_deg
        The personal cap in force, degrees.
    """
    metrics = obs.measured
    if metrics is None:
        return SampleRecord(obs.timestamp_s, None, None, None, None, None, 0.0, cap_deg)
    return SampleRecord(
        t=obs.timestamp_s,
        knee_drop=metrics.knee_drop.finite_value,
        pelvis_roll=metrics.pelvis_roll.finite_value,
        shoulder_roll=metrics.shoulder_roll.finite_value,
        twist=metrics.twist.finite_value,
        speed=metrics.speed.finite_value,
        confidence=float(metrics.confidence),
        cap=cap_deg,
    )


class SessionRecorder:
    """Writes one session's events and samples durably, as they happen.

    Parameters
    ----------
    repo
        Where to write.
    session
        The running session (see :meth:`start`).
    sample_period_s
        Seconds of session time between stored samples (1 s: the durability promise).
    buffered
        Keep samples and events until :meth:`flush` (see the module docs); False: each is
        committed at once.
    """

    def __init__(
        self,
        repo: Repository,
        session: SessionRecord,
        sample_period_s: float = SAMPLE_PERIOD_S,
        *,
        buffered: bool = False,
    ) -> None:
        if sample_period_s <= 0:
            raise ValueError("sample_period_s must be positive")
        self.repo = repo
        self.session = session
        self.sample_period_s = sample_period_s
        self.cap_deg: float = session.cap_deg
        #: The pain the person gave at the end (a report after the coach finished), the
        #: session's "after" score; None until they give one. Never the last pain said
        #: during the session nor the starting pain: an after-score nobody gave was stored.
        self.end_pain: int | None = None
        self.stop_reason: str | None = None
        self.done = False
        self.finished: SessionRecord | None = None
        self._next_sample_t: float | None = None
        self.buffered = buffered
        self._samples: list[SampleRecord] = []
        self._events: list[tuple[float, str, str, str, Mapping[str, Any]]] = []

    @classmethod
    def start(
        cls,
        repo: Repository,
        person_id: int,
        variant_id: str,
        cap_deg: float,
        source: str,
        start_pain: int | None = None,
        plan_id: int | None = None,
        sample_period_s: float = SAMPLE_PERIOD_S,
    ) -> SessionRecorder:
        """Open a new running session and return its recorder."""
        session = repo.start_session(
            person_id, variant_id, cap_deg, source, start_pain=start_pain, plan_id=plan_id
        )
        return cls(repo, session, sample_period_s)

    @property
    def session_id(self) -> int:
        """Id of the session being recorded."""
        return self.session.id

    def observe(self, obs: Observation) -> bool:
        """Store a sample when one is due (the first, then one per ``sample_period_s``).

        Returns True when a sample was written.
        """
        if self.finished is not None:
            return False
        t = obs.timestamp_s
        if self._next_sample_t is not None and t < self._next_sample_t:
            return False
        sample = sample_from_observation(obs, self.cap_deg)
        if self.buffered:
            self._samples.append(sample)
        else:
            self.repo.add_sample(self.session_id, sample)
        # Anchor on the grid so a late frame does not push every later sample back.
        base = t if self._next_sample_t is None else self._next_sample_t
        while base <= t:
            base += self.sample_period_s
        self._next_sample_t = base
        return True

    def record(self, outputs: Iterable[CueLike | EventLike]) -> None:
        """Store the coach's outputs, each committed before the next is written (buffered:
        kept, in order, for the next :meth:`flush`)."""
        for output in outputs:
            self.record_one(output)

    def record_one(self, output: CueLike | EventLike) -> None:
        """Store one cue or event.

        Cues keep their priority, reason and rule. ``pain_reported`` events are stored as
        ``pain`` events; a stop for sharp pain also stores a sharp ``pain`` event, so pain
        marks and flags see it; ``cap_lowered`` updates the cap written with the samples.
        A pain report made after the coach finished (``after_end`` in its data) is the
        person's end score (:attr:`end_pain`).
        """
        if self.finished is not None:
            return
        if isinstance(output, CueLike):
            priority = getattr(output.priority, "value", output.priority)
            self._event(
                output.t,
                EventType.CUE,
                output.id,
                output.text,
                {"priority": str(priority), "reason": output.reason, "rule": output.rule},
            )
            return
        data = dict(output.data)
        if output.id == PAIN_EVENT_ID:
            level = data.get("level")
            if isinstance(level, int) and not isinstance(level, bool) and data.get("after_end"):
                self.end_pain = level
            self._event(output.t, EventType.PAIN, output.id, output.text, {**data, "sharp": False})
            return
        self._event(output.t, EventType.EVENT, output.id, output.text, data)
        if output.id == CAP_LOWERED_EVENT_ID:
            new_cap = data.get("to_deg")
            if isinstance(new_cap, int | float) and not isinstance(new_cap, bool):
                self.cap_deg = float(new_cap)
        elif output.id == STOPPED_EVENT_ID:
            reason = data.get("reason")
            self.stop_reason = str(reason) if reason is not None else "stopped"
            if reason == SHARP_PAIN_REASON:
                self._event(
                    output.t,
                    EventType.PAIN,
                    "sharp_pain",
                    "sharp pain reported",
                    {"level": None, "sharp": True},
                )
        elif output.id == DONE_EVENT_ID:
            self.done = True

    def _event(
        self, t: float, type_: str, event_id: str, text: str, data: Mapping[str, Any]
    ) -> None:
        if self.buffered:
            self._events.append((t, type_, event_id, text, data))
        else:
            self.repo.add_event(self.session_id, t, type_, event_id, text, data)

    @property
    def pending(self) -> int:
        """Samples and events kept for the next :meth:`flush` (0 when not buffered)."""
        return len(self._samples) + len(self._events)

    @property
    def flush_due(self) -> bool:
        """True when an event (a cue, a pain report, a stop) waits to be written: the
        socket then flushes at once rather than at its next second."""
        return bool(self._events)

    def flush(self) -> int:
        """Write the kept samples and events in one transaction; returns how many.

        On a database error nothing is lost from memory: they stay for the next flush
        (or :meth:`finish`), and the error propagates.
        """
        if not self._samples and not self._events:
            return 0
        samples, events = self._samples, self._events
        self._samples, self._events = [], []
        try:
            self.repo.add_records(self.session_id, samples, events)
        except BaseException:
            self._samples, self._events = samples + self._samples, events + self._events
            raise
        return len(samples) + len(events)

    def finish(
        self,
        status: SessionStatus | None = None,
        stop_reason: str | None = None,
        end_pain: int | None = None,
    ) -> SessionRecord:
        """End the session (idempotent).

        Without ``status``: ``stopped`` when the coach stopped it (its reason is kept),
        else ``completed``. ``end_pain`` is the score the person gave at the end: by
        default the one reported after the coach finished (:attr:`end_pain`), else None
        (stored empty: exports say "not given", never an after-score made up from the
        last pain said during the session or the starting pain).
        """
        if self.finished is not None:
            return self.finished
        self.flush()
        if status is None:
            status = SessionStatus.STOPPED if self.stop_reason else SessionStatus.COMPLETED
        reason = stop_reason if stop_reason is not None else self.stop_reason
        pain = end_pain if end_pain is not None else self.end_pain
        self.finished = self.repo.end_session(self.session_id, status, reason, pain)
        return self.finished

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.finished is not None:
            return
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish(SessionStatus.STOPPED, stop_reason=self.stop_reason or "quit")
        else:
            # Keep what was recorded and say the session did not end normally.
            self.finish(
                SessionStatus.INTERRUPTED, stop_reason=f"recording failed: {exc_type.__name__}"
            )


#: Added to a session's ``owner`` (``host:pid:start``) while a web socket of that process
#: holds the session: ``host:pid:start:socket``. Every server process sees it, so the rule
#: "one socket per running session" holds across processes; the owner's first three fields
#: stay those of a process, so a dead holder is recognised as dead
#: (``Repository.mark_interrupted_sessions``).
SOCKET_MARK = ":socket"


def _held_by_live_socket(
    owner: str | None, updated_at: Any, now: dt.datetime, stale_after_s: float
) -> bool:
    if not owner or not owner.endswith(SOCKET_MARK):
        return False
    return _process_alive(owner[: -len(SOCKET_MARK)], updated_at, now, stale_after_s)


def _process_alive(owner: str, updated_at: Any, now: dt.datetime, stale_after_s: float) -> bool:
    """Whether the process named by ``owner`` runs: on this machine by its pid; another
    machine's while its heartbeat (``updated_at``) is fresh."""
    alive = owner_alive(owner, socket.gethostname())
    if alive is not None:
        return alive
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=dt.UTC)
    return bool((now - updated_at).total_seconds() <= stale_after_s)


def process_holds(repo: Repository, session_id: int, stale_after_s: float = 120.0) -> bool:
    """True when the process that recorded the session (not a web socket: the desktop coach)
    still runs: on this machine by its pid, elsewhere while its heartbeat is fresh."""
    with repo.engine.connect() as conn:
        row = conn.execute(
            select(PracticeSession.owner, PracticeSession.updated_at).where(
                PracticeSession.id == session_id
            )
        ).one_or_none()
    if row is None or not row.owner or row.owner.endswith(SOCKET_MARK):
        return False
    return _process_alive(row.owner, row.updated_at, repo.now(), stale_after_s)


def claim_socket(repo: Repository, session_id: int, stale_after_s: float = 120.0) -> bool:
    """Claim a running session for a web socket of this process, in the database (a
    compare-and-set on its ``owner``, which also refreshes its heartbeat).

    Returns False when the session is not running, or when a socket of a live process
    (this one included) holds it; a holder whose process died (this machine), or whose
    heartbeat is older than ``stale_after_s`` seconds (another machine), is taken over.
    """
    me = process_owner() + SOCKET_MARK
    now = repo.now()
    try:
        with repo.engine.begin() as conn:
            row = conn.execute(
                select(
                    PracticeSession.owner, PracticeSession.status, PracticeSession.updated_at
                ).where(PracticeSession.id == session_id)
            ).one_or_none()
            if row is None or row.status != SessionStatus.RUNNING:
                return False
            if _held_by_live_socket(row.owner, row.updated_at, now, stale_after_s):
                return False
            same_owner = (
                PracticeSession.owner.is_(None)
                if row.owner is None
                else PracticeSession.owner == row.owner
            )
            done = conn.execute(
                update(PracticeSession)
                .where(PracticeSession.id == session_id, same_owner)
                .values(owner=me, updated_at=now)
            )
            return bool(done.rowcount == 1)
    except OperationalError:
        return False  # another process claimed it at the same moment (a locked database)


def release_socket(repo: Repository, session_id: int) -> None:
    """The socket of this process that held ``session_id`` ended: the session's owner is
    this process again (its reaper then looks after it, if it is still running)."""
    owner = process_owner()
    with repo.engine.begin() as conn:
        conn.execute(
            update(PracticeSession)
            .where(PracticeSession.id == session_id, PracticeSession.owner == owner + SOCKET_MARK)
            .values(owner=owner)
        )


def socket_holds(repo: Repository, session_id: int, stale_after_s: float = 120.0) -> bool:
    """True when a web socket of a live process (any server process) holds the session."""
    with repo.engine.connect() as conn:
        row = conn.execute(
            select(PracticeSession.owner, PracticeSession.updated_at).where(
                PracticeSession.id == session_id
            )
        ).one_or_none()
    return row is not None and _held_by_live_socket(
        row.owner, row.updated_at, repo.now(), stale_after_s
    )
