"""What a clinician reads about a stored session, gathered once for the FHIR export and
the clinical report.

A session's record is its samples (one a second, ``knee_drop`` None when unmeasured) and the
coach's events. From them this module reads, per side held, the knee drop held (the median
``|knee drop|`` of the measured samples of the hold; None when none was measured, never 0)
and the time held; the pain reports in order (a sharp-pain report stays "sharp", never a
number); how the session ended; and the body model the camera's calibration used (it
decides which measured accuracy applies). Nothing here computes a cap: caps come from the
session's own record (the cap in force when a hold began) or from planning.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from twistcoach.errors import DataError
from twistcoach.storage.models import EventType, SessionStatus
from twistcoach.storage.progress import local_zone, session_started, session_zone
from twistcoach.storage.records import (
    ClearanceRecord,
    EventRecord,
    IntakeRecord,
    PersonRecord,
    ReviewRecord,
    SessionDetail,
    SessionSummary,
)

if TYPE_CHECKING:
    from twistcoach.planning import PracticeDecision
    from twistcoach.storage.repository import Repository

SideName = Literal["right", "left"]

#: Event ids written by the coach and the recorder (``twistcoach.coaching``,
#: ``twistcoach.storage.recorder``).
HOLD_STARTED = "hold_started"
HOLD_COMPLETED = "hold_completed"
STATE_CHANGED = "state_changed"
SESSION_STARTED = "session_started"
PAUSED = "paused"
SHARP_PAIN = "sharp_pain"
CAMERA_VIEW_PAUSE = "camera_view"

#: Plain words for how a session ended (the coach's stop reasons and the recorder's).
OUTCOME_TEXT: dict[str, str] = {
    "completed": "completed",
    "sharp_pain": "stopped: sharp pain",
    "pain_high": "stopped: pain above 5/10",
    "pain_rise": "stopped: pain rose 2 points or more",
    "wrong_pose": "stopped: not in the pose",
    "quit": "stopped by the person",
    "interrupted": ("interrupted (the page or program closed, or no camera or pose model started)"),
    "running": "still running",
}


@dataclass(frozen=True)
class HeldSide:
    """One side's hold.

    Attributes
    ----------
    side
        ``right`` or ``left``.
    start_t_s, end_t_s
        Seconds from the session's start when the hold began and ended (the hold's
        completion, the coach leaving the hold, a stop, or the last record).
    held_s
        ``end_t_s - start_t_s``.
    knee_drop_deg
        Median ``|knee drop|`` over the measured samples of the hold, degrees; None when no
        sample of the hold was measured.
    max_knee_drop_deg
        Largest measured ``|knee drop|`` of the hold; None when none was measured.
    cap_deg
        The cap in force when the hold began (degrees), as the session recorded it.
    """

    side: SideName
    start_t_s: float
    end_t_s: float
    held_s: float
    knee_drop_deg: float | None
    max_knee_drop_deg: float | None
    cap_deg: float | None


@dataclass(frozen=True)
class PainMark:
    """A pain report: ``level`` 0-10, or ``sharp`` (then ``level`` is None)."""

    t_s: float
    level: int | None
    sharp: bool

    @property
    def text(self) -> str:
        """``"sharp"`` or ``"4/10"``."""
        return "sharp" if self.sharp else f"{self.level}/10"


@dataclass(frozen=True)
class SessionFacts:
    """One stored session as a clinician reads it.

    Attributes
    ----------
    summary
        The stored summary (header, largest drop, counts).
    sides
        The holds, in order.
    pains
        Pain reports during the session, in order (start and end pain are on the header).
    outcome
        ``completed``, a stop reason (``sharp_pain`` wins however the session ended),
        ``interrupted`` or ``running``.
    camera_pauses
        How often the coach paused because the camera could not measure from its place.
    body_model
        The body model of the calibration (``neutral``, ``female``, ``male``), None when not
        recorded.
    """

    summary: SessionSummary
    sides: tuple[HeldSide, ...]
    pains: tuple[PainMark, ...]
    outcome: str
    camera_pauses: int
    body_model: str | None

    @property
    def session_id(self) -> int:
        """The session's database id."""
        return self.summary.session.id

    @property
    def started_at(self) -> dt.datetime:
        """When it started (aware UTC)."""
        return self.summary.session.started_at

    @property
    def local_start(self) -> dt.datetime:
        """When it started on the student's own clock: the zone it was practised in, as
        every web page reads it (``storage.progress.session_started``, one source of
        truth), else this computer's."""
        return session_started(self.summary.session)

    @property
    def zone(self) -> dt.tzinfo:
        """The time zone :attr:`local_start` is in (``storage.progress.session_zone``)."""
        return session_zone(self.summary.session)

    @property
    def zone_stored(self) -> bool:
        """True when the session stored the zone it was practised in (False: this
        computer's zone stands in for it)."""
        return zone_name(self.zone) == self.summary.session.time_zone

    @property
    def sharp(self) -> bool:
        """True when sharp pain was reported."""
        return self.summary.sharp_pain or any(p.sharp for p in self.pains)

    @property
    def stopped(self) -> bool:
        """True when the session did not complete."""
        return self.outcome not in ("completed", "running")

    @property
    def outcome_text(self) -> str:
        """How it ended, in words."""
        return OUTCOME_TEXT.get(self.outcome, f"stopped: {self.outcome}")

    def at(self, t_s: float) -> dt.datetime:
        """The time of day ``t_s`` seconds into the session."""
        return self.started_at + dt.timedelta(seconds=t_s)


def _outcome(summary: SessionSummary, sharp: bool) -> str:
    s = summary.session
    if sharp:
        return "sharp_pain"
    if s.status == SessionStatus.RUNNING:
        return "running"
    if s.status == SessionStatus.INTERRUPTED:
        return "interrupted"
    if s.status == SessionStatus.STOPPED:
        return s.stop_reason or "quit"
    return "completed"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _hold_end(events: Sequence[EventRecord], start_index: int, last_t: float) -> float:
    """When the hold begun at ``events[start_index]`` ended."""
    for event in events[start_index + 1 :]:
        if event.type != EventType.EVENT:
            continue
        if event.event_id == HOLD_COMPLETED:
            return event.t
        if event.event_id == STATE_CHANGED and event.data.get("from") == "holding":
            return event.t
        if event.event_id in ("session_stopped", "session_done", HOLD_STARTED):
            return event.t
    return last_t


def _held_sides(detail: SessionDetail) -> tuple[HeldSide, ...]:
    events = detail.events
    samples = detail.samples
    last_t = max([e.t for e in events] + [x.t for x in samples], default=0.0)
    out: list[HeldSide] = []
    for index, event in enumerate(events):
        if event.type != EventType.EVENT or event.event_id != HOLD_STARTED:
            continue
        side = event.data.get("side")
        if side not in ("right", "left"):
            continue
        end = _hold_end(events, index, last_t)
        drops = [
            abs(x.knee_drop) for x in samples if event.t <= x.t <= end and x.knee_drop is not None
        ]
        out.append(
            HeldSide(
                side="right" if side == "right" else "left",
                start_t_s=event.t,
                end_t_s=end,
                held_s=max(0.0, end - event.t),
                knee_drop_deg=statistics.median(drops) if drops else None,
                max_knee_drop_deg=max(drops) if drops else None,
                cap_deg=_number(event.data.get("cap_deg")),
            )
        )
    return tuple(out)


def _pains(events: Sequence[EventRecord], end_pain: int | None) -> tuple[PainMark, ...]:
    """The pain reports during the session. The end ("after") pain is the header's: the
    report it was stored from (the last one given after the coach finished, ``after_end``,
    at that level) is left out here, so it is shown once, as after, never as "during" too.
    """
    out: list[PainMark] = []
    after_end: int | None = None  # index in out of the last level given after the end
    for event in events:
        if event.type != EventType.PAIN:
            continue
        if event.data.get("sharp") is True or event.event_id == SHARP_PAIN:
            out.append(PainMark(event.t, None, True))
            continue
        level = event.data.get("level")
        if isinstance(level, int) and not isinstance(level, bool):
            if event.data.get("after_end") is True:
                after_end = len(out)
            out.append(PainMark(event.t, level, False))
    if after_end is not None and end_pain is not None and out[after_end].level == end_pain:
        del out[after_end]
    return tuple(out)


def session_facts(detail: SessionDetail) -> SessionFacts:
    """Read one stored session (see the module docs)."""
    pains = _pains(detail.events, detail.summary.session.end_pain)
    sharp = detail.summary.sharp_pain or any(p.sharp for p in pains)
    body_model: str | None = None
    pauses = 0
    for event in detail.events:
        if event.type != EventType.EVENT:
            continue
        if event.event_id == SESSION_STARTED and isinstance(event.data.get("body_model"), str):
            body_model = str(event.data["body_model"])
        elif event.event_id == PAUSED and event.data.get("reason") == CAMERA_VIEW_PAUSE:
            pauses += 1
    return SessionFacts(
        summary=detail.summary,
        sides=_held_sides(detail),
        pains=pains,
        outcome=_outcome(detail.summary, sharp),
        camera_pauses=pauses,
        body_model=body_model,
    )


@dataclass(frozen=True)
class PersonFacts:
    """A student's record for a clinician: who, what they answered, what was cleared and
    decided, and their sessions.

    Attributes
    ----------
    person
        The student.
    intakes
        Every stored intake, oldest first.
    clearances
        Clearances recorded after an intake (an intake's own are in the intake).
    reviews
        Staff reviews of safety flags.
    decision
        Planning's decision now (:func:`twistcoach.storage.progress.decide_for_person`):
        the plan, every variant's permission and cap, open flags, progression.
    sessions
        The chosen sessions, oldest first.
    now
        When the facts were gathered (the repository's clock).
    time_zone
        The student's own time zone: the one their latest session was practised in (the
        clock the web's progress chart reads), else this computer's. The report's own date
        and the reviews' dates are read in it; each session in its own
        (:attr:`SessionFacts.local_start`).
    zone_recorded
        True when :attr:`time_zone` is the one the latest session recorded (False: none
        was recorded, and this computer's zone stands in for it).
    """

    person: PersonRecord
    intakes: tuple[IntakeRecord, ...]
    clearances: tuple[ClearanceRecord, ...]
    reviews: tuple[ReviewRecord, ...]
    decision: PracticeDecision
    sessions: tuple[SessionFacts, ...]
    now: dt.datetime
    time_zone: dt.tzinfo = dt.UTC
    zone_recorded: bool = False


#: The days a period may name: any record fits, and every day has a day after it and its
#: midnight exists in every time zone (``date.max`` has no day after: a report "to
#: 9999-12-31" was an OverflowError's traceback on the command line and a 500 on the web).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


def zone_name(tz: dt.tzinfo) -> str:
    """A time zone's name as people read it: the IANA name (``America/Los_Angeles``),
    else its abbreviation now (``UTC``, ``CET``)."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    return tz.tzname(dt.datetime.now(tz)) or "UTC"


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """Refuse a period a report cannot cover.

    Raises
    ------
    DataError
        For a day before :data:`FIRST_DAY` or after :data:`LAST_DAY`.
    """
    for day in (start, end):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise DataError(
                f"{day.isoformat()} is outside the days a report can cover "
                f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})"
            )


def period_bounds(
    start: dt.date | None, end: dt.date | None, tz: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[start, end]`` as days of ``tz``: aware datetimes from ``start``'s midnight to the
    midnight after ``end`` (None where not given). The reports choose by the student's own
    days instead (:func:`gather`'s ``days``).

    Raises
    ------
    DataError
        For a day before :data:`FIRST_DAY` or after :data:`LAST_DAY`.
    """
    check_period(start, end)
    lo = dt.datetime.combine(start, dt.time(), tz) if start is not None else None
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz) if end else None
    return lo, hi


def gather(
    repo: Repository,
    person_id: int,
    *,
    session_ids: Sequence[int] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    days: tuple[dt.date | None, dt.date | None] = (None, None),
) -> PersonFacts:
    """Read a student's record for export.

    Parameters
    ----------
    repo
        The store.
    person_id
        The student.
    session_ids
        Only these sessions (each must be the student's); all when None.
    start, end
        Only sessions that started at or after ``start`` and before ``end`` (aware).
    days
        Only sessions that started on these days (first, last; inclusive; None for an open
        end) of the student's own calendar: the day each session was practised on where it
        was practised, as the web pages date it (:attr:`SessionFacts.local_start`), never
        this computer's day.

    Raises
    ------
    twistcoach.storage.NotFoundError
        No such person, or a session that is not theirs.
    twistcoach.errors.DataError
        For a day a report cannot cover (:func:`check_period`).
    """
    from twistcoach.storage import NotFoundError
    from twistcoach.storage.progress import decide_for_person

    first, last = days
    check_period(first, last)
    person = repo.get_person(person_id)
    summaries = repo.history(person_id)
    # The student's clock: their latest session's zone (the web's progress chart's).
    zone = session_zone(summaries[-1].session) if summaries else local_zone()
    recorded = bool(summaries) and zone_name(zone) == summaries[-1].session.time_zone
    if session_ids is not None:
        mine = {s.session.id for s in summaries}
        for sid in session_ids:
            if sid not in mine:
                raise NotFoundError(f"session {sid} is not one of {person.name}'s sessions")
        summaries = [s for s in summaries if s.session.id in set(session_ids)]
    if start is not None:
        summaries = [s for s in summaries if s.session.started_at >= start]
    if end is not None:
        summaries = [s for s in summaries if s.session.started_at < end]
    if first is not None:
        summaries = [s for s in summaries if session_started(s.session).date() >= first]
    if last is not None:
        summaries = [s for s in summaries if session_started(s.session).date() <= last]
    sessions = tuple(session_facts(repo.get_session(s.session.id)) for s in summaries)
    return PersonFacts(
        person=person,
        intakes=tuple(repo.list_intakes(person_id)),
        clearances=tuple(repo.list_clearances(person_id)),
        reviews=tuple(repo.list_reviews(person_id)),
        decision=decide_for_person(repo, person_id),
        sessions=sessions,
        now=repo.now(),
        time_zone=zone,
        zone_recorded=recorded,
    )
