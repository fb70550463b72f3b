"""Practice sessions in the repository: start, record, end, summarise, and the running
ones (their owners, heartbeats and the interrupted)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from twistcoach.storage._checks import (
    NotFoundError,
    check_enum,
    check_pain,
    check_time_zone,
    finite_or_none,
)
from twistcoach.storage._rows import (
    event_record,
    pain_level,
    sample_record,
    session_record,
)
from twistcoach.storage._store import Store
from twistcoach.storage.db import StorageError
from twistcoach.storage.models import (
    EventType,
    MetricSample,
    Person,
    Plan,
    PracticeSession,
    SessionEvent,
    SessionStatus,
)
from twistcoach.storage.owners import owner_alive, process_owner
from twistcoach.storage.records import (
    SAMPLE_PERIOD_S,
    SHARP_LABEL,
    EventRecord,
    SampleRecord,
    SessionDetail,
    SessionRecord,
    SessionSummary,
)

#: A running session whose recorder is on another machine is taken as dead after this long
#: without a heartbeat (the recorder refreshes it with every per-second sample).
DEFAULT_STALE_AFTER_S = 60.0


#: How long after a session ended sharp pain may still be reported against it: the pain
#: felt coming out of the twist or soon after. Later pain is asked for before the next
#: session (its start pain; the check-in).
LATE_SHARP_WINDOW_S = 3600.0

#: The stop reason of a sharp-pain stop (the coach's ``StopReason.SHARP_PAIN``).
SHARP_PAIN_STOP = "sharp_pain"

#: The source of a sharp-pain report stored on its own (no practice in it).
SHARP_REPORT_SOURCE = "sharp pain report"


class SessionStore(Store):
    """Practice sessions (a part of :class:`twistcoach.storage.repository.Repository`)."""

    # ---------------------------------------------------------------- sessions
    def start_session(
        self,
        person_id: int,
        variant_id: str,
        cap_deg: float,
        source: str,
        start_pain: int | None = None,
        plan_id: int | None = None,
        owner: str | None = None,
        time_zone: str | None = None,
    ) -> SessionRecord:
        """Open a ``running`` session; ``owner`` defaults to this process (``host:pid``);
        ``time_zone`` is the IANA zone the person practises in (:func:`check_time_zone`)."""
        cap = finite_or_none(cap_deg, "the cap")
        if time_zone is not None:
            time_zone = check_time_zone(time_zone)
        if cap is None or not 0 <= cap <= 90:
            raise StorageError(f"the cap must be between 0 and 90 degrees, got {cap_deg!r}")
        start_pain = check_pain(start_pain, "the starting pain")
        now = self._now()
        with self._sessions.begin() as s:
            person = s.get(Person, person_id)
            if person is None:
                raise NotFoundError(f"no person with id {person_id}")
            if plan_id is not None and s.get(Plan, plan_id) is None:
                raise NotFoundError(f"no plan with id {plan_id}")
            row = PracticeSession(
                person_id=person_id,
                plan_id=plan_id,
                variant_id=variant_id,
                cap_deg=cap,
                started_at=now,
                updated_at=now,
                status=SessionStatus.RUNNING.value,
                start_pain=start_pain,
                source=source[:200],
                owner=owner if owner is not None else process_owner(),
                time_zone=time_zone,
            )
            s.add(row)
            s.flush()
            return session_record(row, person.name)

    def _running(self, s: Session, session_id: int) -> PracticeSession:
        row = s.get(PracticeSession, session_id)
        if row is None:
            raise NotFoundError(f"no session with id {session_id}")
        if row.status != SessionStatus.RUNNING:
            raise StorageError(f"session {session_id} is {row.status}, not running")
        return row

    def add_event(
        self,
        session_id: int,
        t: float,
        type: str,
        event_id: str,
        text: str,
        data: Mapping[str, Any] | None = None,
    ) -> EventRecord:
        """Write one event and commit it at once (durable when this returns).

        Parameters
        ----------
        t
            Seconds from the session's start.
        type
            ``cue``, ``event`` or ``pain`` (pain events carry ``{"level": 0-10,
            "sharp": bool}`` in ``data``).
        """
        type = check_enum(type, EventType, "event type")
        when = finite_or_none(t, "the event time")
        if when is None:
            raise StorageError("the event time must be a number of seconds")
        with self._sessions.begin() as s:
            self._running(s, session_id)
            row = SessionEvent(
                session_id=session_id,
                t=when,
                type=type,
                event_id=event_id[:100],
                text=text,
                data=dict(data or {}),
            )
            s.add(row)
            s.flush()
            return event_record(row)

    def add_pain(self, session_id: int, t: float, level: int | None, sharp: bool = False) -> None:
        """Write a pain report (0-10, or sharp pain) at once."""
        level = check_pain(level, "the pain level")
        if level is None and not sharp:
            raise StorageError("a pain report needs a level from 0 to 10 or 'sharp'")
        text = "sharp pain" if sharp else f"pain {level}/10"
        self.add_event(
            session_id, t, EventType.PAIN, "pain", text, {"level": level, "sharp": sharp}
        )

    def add_sample(self, session_id: int, sample: SampleRecord) -> None:
        """Write one metric sample and commit it at once; also refreshes the heartbeat."""
        confidence = finite_or_none(sample.confidence, "the confidence")
        with self._sessions.begin() as s:
            row = self._running(s, session_id)
            row.updated_at = self._now()
            s.add(
                MetricSample(
                    session_id=session_id,
                    t=float(sample.t),
                    knee_drop=finite_or_none(sample.knee_drop, "the knee drop"),
                    pelvis_roll=finite_or_none(sample.pelvis_roll, "the pelvis roll"),
                    shoulder_roll=finite_or_none(sample.shoulder_roll, "the shoulder roll"),
                    twist=finite_or_none(sample.twist, "the twist"),
                    speed=finite_or_none(sample.speed, "the speed"),
                    confidence=confidence if confidence is not None else 0.0,
                    cap=finite_or_none(sample.cap, "the cap"),
                )
            )

    def add_records(
        self,
        session_id: int,
        samples: Sequence[SampleRecord],
        events: Sequence[tuple[float, str, str, str, Mapping[str, Any]]],
    ) -> None:
        """Write samples and events ``(t, type, event_id, text, data)`` in one transaction
        (all or none), checked as :meth:`add_sample` and :meth:`add_event` check them; also
        refreshes the heartbeat. The buffered recorder's flush (a web socket's second).

        Written with SQLAlchemy Core (one UPDATE, one INSERT per table): the ORM's unit of
        work was 0.65 ms of CPU a flush, about 0.05 ms of every frame of a practice socket.
        """
        sample_rows = [
            {
                "session_id": session_id,
                "t": float(sample.t),
                "knee_drop": finite_or_none(sample.knee_drop, "the knee drop"),
                "pelvis_roll": finite_or_none(sample.pelvis_roll, "the pelvis roll"),
                "shoulder_roll": finite_or_none(sample.shoulder_roll, "the shoulder roll"),
                "twist": finite_or_none(sample.twist, "the twist"),
                "speed": finite_or_none(sample.speed, "the speed"),
                "confidence": finite_or_none(sample.confidence, "the confidence") or 0.0,
                "cap": finite_or_none(sample.cap, "the cap"),
            }
            for sample in samples
        ]
        event_rows = []
        for t, type_, event_id, text, data in events:
            when = finite_or_none(t, "the event time")
            if when is None:
                raise StorageError("the event time must be a number of seconds")
            event_rows.append(
                {
                    "session_id": session_id,
                    "t": when,
                    "type": check_enum(type_, EventType, "event type"),
                    "event_id": event_id[:100],
                    "text": text,
                    "data": dict(data),
                }
            )
        with self.engine.begin() as conn:
            running = conn.execute(
                update(PracticeSession)
                .where(
                    PracticeSession.id == session_id,
                    PracticeSession.status == SessionStatus.RUNNING.value,
                )
                .values(updated_at=self._now())
            )
            if running.rowcount != 1:
                with self._sessions() as s:
                    self._running(s, session_id)  # raises with the reason
                raise StorageError(f"session {session_id} is not running")
            if event_rows:
                conn.execute(insert(SessionEvent), event_rows)
            if sample_rows:
                conn.execute(insert(MetricSample), sample_rows)

    def end_session(
        self,
        session_id: int,
        status: str = SessionStatus.COMPLETED,
        stop_reason: str | None = None,
        end_pain: int | None = None,
    ) -> SessionRecord:
        """Close a running session as ``completed``, ``stopped`` or ``interrupted``."""
        status = check_enum(status, SessionStatus, "session status")
        if status == SessionStatus.RUNNING:
            raise StorageError("a session cannot be ended as 'running'")
        end_pain = check_pain(end_pain, "the end pain")
        with self._sessions.begin() as s:
            row = self._running(s, session_id)
            now = self._now()
            row.status = status
            row.stop_reason = stop_reason
            row.end_pain = end_pain
            row.ended_at = now
            row.updated_at = now
            person = s.get(Person, row.person_id)
            return session_record(row, person.name if person else "?")

    def add_late_sharp_pain(self, session_id: int) -> SessionRecord:
        """Sharp pain reported outside the coaching socket: after the session ended (felt
        coming out of the twist, on the page's end screen), or while it runs from another
        window. Idempotent.

        Ended: stored as that session's sharp-pain stop, so every surface and planning treat
        it as one (the day locked, the flag raised). Reported more than
        :data:`LATE_SHARP_WINDOW_S` after the end, the pain is not that session's: it is
        stored as a report of its own, made now (a session with no practice, source
        :data:`SHARP_REPORT_SOURCE`, stopped for sharp pain), once however often it is sent.
        Running: the sharp pain is stored in it; the socket coaching it stops for it at its
        next check (:meth:`sharp_reported`). Sharp pain is never dropped.

        Returns
        -------
        SessionRecord
            The session that now carries the sharp pain.

        Raises
        ------
        NotFoundError
            No such session.
        """
        with self._sessions.begin() as s:
            row = s.get(PracticeSession, session_id)
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            now = self._now()
            if row.status == SessionStatus.RUNNING or row.ended_at is None:
                # Pressed in another window than the one coaching it (a second tab, a
                # phone): stored now, and the coaching socket stops for it at its next
                # check (sharp_reported); a session nobody holds keeps it when reaped.
                if not self._sharp_events(s, session_id):
                    t = max(0.0, (now - row.started_at).total_seconds())
                    s.add(self._sharp_event(row.id, t, "sharp pain reported from another window"))
                    row.updated_at = now
                s.flush()
                person = s.get(Person, row.person_id)
                return session_record(row, person.name if person else "?")
            already = row.stop_reason == SHARP_PAIN_STOP or self._sharp_events(s, session_id)
            if not already and (now - row.ended_at).total_seconds() > LATE_SHARP_WINDOW_S:
                # One report per pain: the same report asked again (a page's retry, a
                # second press) within the window is the report already stored.
                since = now - dt.timedelta(seconds=LATE_SHARP_WINDOW_S)
                recent = s.scalars(
                    select(PracticeSession)
                    .where(
                        PracticeSession.person_id == row.person_id,
                        PracticeSession.source == SHARP_REPORT_SOURCE,
                        PracticeSession.started_at >= since,
                    )
                    .order_by(PracticeSession.id.desc())
                ).first()
                if recent is not None:
                    person = s.get(Person, recent.person_id)
                    return session_record(recent, person.name if person else "?")
                row = PracticeSession(
                    person_id=row.person_id,
                    plan_id=row.plan_id,
                    variant_id=row.variant_id,
                    cap_deg=row.cap_deg,
                    started_at=now,
                    ended_at=now,
                    updated_at=now,
                    status=SessionStatus.STOPPED.value,
                    stop_reason=SHARP_PAIN_STOP,
                    source=SHARP_REPORT_SOURCE,
                    owner=process_owner(),
                    time_zone=row.time_zone,
                )
                s.add(row)
                s.flush()
                text = f"sharp pain reported after session {session_id}"
                s.add(self._sharp_event(row.id, 0.0, text))
            elif not already:
                t = max(0.0, (now - row.started_at).total_seconds())
                s.add(self._sharp_event(row.id, t, "sharp pain reported after the session"))
            row.status = SessionStatus.STOPPED
            row.stop_reason = SHARP_PAIN_STOP
            row.updated_at = now
            s.flush()
            person = s.get(Person, row.person_id)
            return session_record(row, person.name if person else "?")

    def add_end_pain(self, session_id: int, level: int) -> SessionRecord:
        """The pain a person gives once a session has ended ("How is your back now?"): the
        session's end ("after") pain, given on the web page's end screen after the coach
        has finished (the practice socket closes the record first, so a pain said on it
        then was dropped). Given once, within :data:`LATE_SHARP_WINDOW_S` of the end, as a
        late sharp-pain report: later pain is not that session's (it is asked for before
        the next session).

        Planning reads it as every end pain (``progression.SessionOutcome.end_pain``): a
        rise from the start pain lowers the next cap.

        Returns
        -------
        SessionRecord
            The session, its end pain stored.

        Raises
        ------
        NotFoundError
            No such session.
        StorageError
            ``level`` is not a whole number 0-10; the session still runs; an end pain is
            already stored for it; or it ended more than the window ago.
        """
        level_ok = check_pain(level, "the end pain")
        with self._sessions.begin() as s:
            row = s.get(PracticeSession, session_id)
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            if row.status == SessionStatus.RUNNING or row.ended_at is None:
                raise StorageError("the session has not ended yet")
            if row.end_pain is not None:
                raise StorageError("the pain after this session is already recorded")
            now = self._now()
            if (now - row.ended_at).total_seconds() > LATE_SHARP_WINDOW_S:
                raise StorageError(
                    "this session ended more than an hour ago: the pain now is asked for "
                    "before your next session"
                )
            row.end_pain = level_ok
            row.updated_at = now
            s.flush()
            person = s.get(Person, row.person_id)
            return session_record(row, person.name if person else "?")

    def sharp_reported(self, session_id: int) -> bool:
        """True when sharp pain is stored for the session (in it, or from another window)."""
        with self._sessions.begin() as s:
            return self._sharp_events(s, session_id)

    @staticmethod
    def _sharp_events(s: Session, session_id: int) -> bool:
        pains = s.scalars(
            select(SessionEvent.data).where(
                SessionEvent.session_id == session_id, SessionEvent.type == EventType.PAIN
            )
        ).all()
        return any(data.get("sharp") is True for data in pains)

    @staticmethod
    def _sharp_event(session_id: int, t: float, text: str) -> SessionEvent:
        return SessionEvent(
            session_id=session_id,
            t=t,
            type=EventType.PAIN,
            event_id="sharp_pain",
            text=text,
            data={"level": None, "sharp": True, "after_end": True},
        )

    def mark_interrupted_sessions(self, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> list[int]:
        """Mark sessions left ``running`` by a dead process as ``interrupted``.

        A session recorded on this host is dead when its process no longer exists (or its
        pid now belongs to a newer process); one
        recorded elsewhere (or by an unknown owner) when its heartbeat is older than
        ``stale_after_s``. Everything already written is kept. Returns the ids marked.
        """
        host = socket.gethostname()
        now = self._now()
        marked: list[int] = []
        with self._sessions.begin() as s:
            rows = s.scalars(
                select(PracticeSession)
                .where(PracticeSession.status == SessionStatus.RUNNING)
                .order_by(PracticeSession.id)
            ).all()
            for row in rows:
                alive = owner_alive(row.owner, host)
                if alive is None:
                    dead = (now - row.updated_at).total_seconds() > stale_after_s
                else:
                    dead = not alive
                if not dead:
                    continue
                last_event = s.scalar(
                    select(func.max(SessionEvent.t)).where(SessionEvent.session_id == row.id)
                )
                last_sample = s.scalar(
                    select(func.max(MetricSample.t)).where(MetricSample.session_id == row.id)
                )
                last_t = max(float(last_event or 0.0), float(last_sample or 0.0))
                row.status = SessionStatus.INTERRUPTED
                row.stop_reason = "the recording process ended unexpectedly"
                # The last thing known to have happened, not the time of discovery.
                row.ended_at = max(row.updated_at, row.started_at + dt.timedelta(seconds=last_t))
                marked.append(row.id)
        return marked

    def _summaries(self, s: Session, rows: Sequence[PracticeSession]) -> list[SessionSummary]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        abs_drop = func.abs(MetricSample.knee_drop)
        over = MetricSample.cap.is_not(None) & (abs_drop > MetricSample.cap)
        # Each sample with the time of the next one (the same session's, in time order): a
        # sample over the cap counts until then, at most one sampling period, so the
        # seconds over the cap come from the samples' own times, whatever their rate.
        per_sample = (
            select(
                MetricSample.session_id.label("sid"),
                abs_drop.label("abs_drop"),
                case((over, 1), else_=0).label("over"),
                (
                    func.lead(MetricSample.t).over(
                        partition_by=MetricSample.session_id,
                        order_by=(MetricSample.t, MetricSample.id),
                    )
                    - MetricSample.t
                ).label("gap"),
            )
            .where(MetricSample.session_id.in_(ids))
            .subquery()
        )
        # The last sample has no next one: it counts one period, as a sample stands for.
        gap = func.coalesce(per_sample.c.gap, SAMPLE_PERIOD_S)
        held = case((gap > SAMPLE_PERIOD_S, SAMPLE_PERIOD_S), else_=gap)
        sample_stats = {
            sid: (n, mx, over_n, over_s)
            for sid, n, mx, over_n, over_s in s.execute(
                select(
                    per_sample.c.sid,
                    func.count(),
                    func.max(per_sample.c.abs_drop),
                    func.sum(per_sample.c.over),
                    func.sum(case((per_sample.c.over == 1, held), else_=0.0)),
                ).group_by(per_sample.c.sid)
            )
        }
        event_counts: dict[int, int] = {
            sid: int(n)
            for sid, n in s.execute(
                select(SessionEvent.session_id, func.count(SessionEvent.id))
                .where(SessionEvent.session_id.in_(ids))
                .group_by(SessionEvent.session_id)
            )
        }
        pains: dict[int, list[tuple[int | None, bool]]] = {i: [] for i in ids}
        sharp_at: dict[int, float] = {}
        for sid, data, t in s.execute(
            select(SessionEvent.session_id, SessionEvent.data, SessionEvent.t)
            .where(SessionEvent.session_id.in_(ids), SessionEvent.type == EventType.PAIN)
            .order_by(SessionEvent.t, SessionEvent.id)
        ):
            level = pain_level(data)
            pains[sid].append(level)
            if level[1]:
                sharp_at.setdefault(sid, float(t))
        names: dict[int, str] = {
            pid: name
            for pid, name in s.execute(
                select(Person.id, Person.name).where(Person.id.in_({r.person_id for r in rows}))
            )
        }
        out = []
        for row in rows:
            n, mx, over_n, over_s = sample_stats.get(row.id, (0, None, 0, 0.0))
            reports = pains[row.id]
            out.append(
                SessionSummary(
                    session=session_record(row, names.get(row.person_id, "?")),
                    n_samples=int(n),
                    n_events=int(event_counts.get(row.id, 0)),
                    max_abs_knee_drop=float(mx) if mx is not None else None,
                    over_cap_samples=int(over_n or 0),
                    # Rounded: sums of float gaps (0.1 + 0.2) read as the seconds they are.
                    over_cap_s=round(float(over_s or 0.0), 3),
                    pain_reports=tuple(level for level, _ in reports if level is not None),
                    sharp_pain=any(sharp for _, sharp in reports),
                    pain_labels=tuple(
                        SHARP_LABEL if sharp else str(level)
                        for level, sharp in reports
                        if level is not None or sharp
                    ),
                    sharp_at_s=sharp_at.get(row.id),
                )
            )
        return out

    def list_sessions(
        self, person_id: int | None = None, limit: int | None = None
    ) -> list[SessionSummary]:
        """Sessions, newest first, optionally of one person only."""
        with self._sessions() as s:
            query = select(PracticeSession).order_by(
                PracticeSession.started_at.desc(), PracticeSession.id.desc()
            )
            if person_id is not None:
                query = query.where(PracticeSession.person_id == person_id)
            if limit is not None:
                query = query.limit(limit)
            return self._summaries(s, s.scalars(query).all())

    def history(self, person_id: int) -> list[SessionSummary]:
        """A person's sessions oldest first: the input of progression."""
        return list(reversed(self.list_sessions(person_id)))

    def get_session(self, session_id: int) -> SessionDetail:
        """A session with all its samples and events; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(PracticeSession, session_id)
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            summary = self._summaries(s, [row])[0]
            samples = s.scalars(
                select(MetricSample)
                .where(MetricSample.session_id == session_id)
                .order_by(MetricSample.t, MetricSample.id)
            ).all()
            events = s.scalars(
                select(SessionEvent)
                .where(SessionEvent.session_id == session_id)
                .order_by(SessionEvent.t, SessionEvent.id)
            ).all()
            return SessionDetail(
                summary=summary,
                samples=tuple(sample_record(r) for r in samples),
                events=tuple(event_record(r) for r in events),
            )

    # -------------------------------------------------------- running sessions
    def running_sessions(self, person_id: int | None = None) -> list[SessionRecord]:
        """Sessions still ``running`` (of one person, or all), oldest first."""
        with self._sessions() as s:
            query = (
                select(PracticeSession, Person.name)
                .join(Person, Person.id == PracticeSession.person_id)
                .where(PracticeSession.status == SessionStatus.RUNNING)
                .order_by(PracticeSession.id)
            )
            if person_id is not None:
                query = query.where(PracticeSession.person_id == person_id)
            return [session_record(row, name) for row, name in s.execute(query).all()]

    def idle_running_sessions(self, owner: str, idle_s: float) -> list[tuple[int, bool]]:
        """Running sessions recorded by ``owner`` without a heartbeat for ``idle_s`` seconds:
        ``(id, never_touched)``, oldest first (``never_touched``: no heartbeat since its
        start, i.e. nothing ever connected to it)."""
        cutoff = self._now() - dt.timedelta(seconds=idle_s)
        with self._sessions() as s:
            rows = s.execute(
                select(PracticeSession.id, PracticeSession.started_at, PracticeSession.updated_at)
                .where(
                    PracticeSession.status == SessionStatus.RUNNING,
                    PracticeSession.owner == owner,
                    PracticeSession.updated_at <= cutoff,
                )
                .order_by(PracticeSession.id)
            ).all()
            return [(int(i), bool(updated <= started)) for i, started, updated in rows]

    def touch_session(self, session_id: int) -> None:
        """Refresh a running session's heartbeat (a socket connected to it)."""
        with self._sessions.begin() as s:
            self._running(s, session_id).updated_at = self._now()
