"""Frozen records returned by the :class:`~twistcoach.storage.repository.Repository`.

Callers (the CLI, the coach, the web app) get plain frozen values, never live ORM objects,
so nothing is lazily loaded after its database session has closed. Times of day are aware
UTC datetimes; ``t`` values are seconds from the session's start; angles are degrees,
signed as in :mod:`twistcoach.metrics`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twistcoach.intake import Intake
    from twistcoach.planning import ClinicianPlan


@dataclass(frozen=True)
class AccountRecord:
    """A sign-in account (``role`` is a :class:`~twistcoach.storage.models.Role` value)."""

    id: int
    email: str
    display_name: str
    password_hash: str
    role: str
    trained_for_back_problems: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class PersonRecord:
    """A student profile."""

    id: int
    name: str
    account_id: int | None
    teacher_id: int | None
    created_at: dt.datetime


@dataclass(frozen=True)
class IntakeRecord:
    """A stored intake.

    ``data`` is the intake as JSON; ``intake`` the same parsed once by the repository
    (None when a stored intake no longer validates: callers treat it as no intake).
    """

    id: int
    person_id: int
    data: dict[str, Any]
    created_at: dt.datetime
    intake: Intake | None = None


@dataclass(frozen=True)
class PlanRecord:
    """A stored readiness plan (``data`` is the plan as JSON)."""

    id: int
    person_id: int
    intake_id: int | None
    data: dict[str, Any]
    status: str
    created_at: dt.datetime


@dataclass(frozen=True)
class WithdrawalRecord:
    """A clearance's withdrawal: who (``by_role``, ``by_name``, the account
    ``withdrawn_by``, None once that account is gone), when (``at``, aware UTC) and why
    (``reason``, the withdrawer's own words)."""

    id: int
    clearance_id: int
    by_role: str
    by_name: str
    withdrawn_by: int | None
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class ClearanceRecord:
    """A recorded clearance.

    ``by_role`` is ``clinician`` or ``teacher``; ``max_knee_drop_deg`` is the largest knee
    drop (degrees, either side) it allows for supine variants, ``max_trunk_rotation_deg``
    the largest trunk rotation for seated and standing ones; None for no explicit limit.
    ``withdrawal`` says who withdrew it, when and why (None: it was never withdrawn); a
    withdrawn clearance stays on record and counts for nothing from then on.
    """

    id: int
    person_id: int
    by_role: str
    name: str
    date: dt.date
    variants: list[str]
    max_knee_drop_deg: float | None
    teacher_trained_for_back_problems: bool
    recorded_by: int | None
    created_at: dt.datetime
    max_trunk_rotation_deg: float | None = None
    withdrawal: WithdrawalRecord | None = None


def variant_measure(variant_id: str) -> str:
    """What a session of ``variant_id`` measured: ``knee_drop`` (a supine twist) or
    ``trunk_rotation`` (a seated or standing twist), from the pose library's family.

    The stored samples keep either in their ``knee_drop`` column (and its cap in
    ``cap_deg``) so that no migration is needed: the variant says which. A variant the
    library no longer holds is taken as supine, the only twist stored before seated and
    standing twists were coached.
    """
    from twistcoach.poses.loader import load_library

    library = load_library()
    if variant_id in library.ids:
        return library.get(variant_id).family.measure.value
    return "knee_drop"


@dataclass(frozen=True)
class SessionRecord:
    """A practice session's header (``status`` is a ``SessionStatus`` value).

    ``cap_deg`` is in the session's :attr:`measure` (degrees of knee drop or of trunk
    rotation).
    """

    id: int
    person_id: int
    person_name: str
    plan_id: int | None
    variant_id: str
    cap_deg: float
    started_at: dt.datetime
    ended_at: dt.datetime | None
    status: str
    stop_reason: str | None
    start_pain: int | None
    end_pain: int | None
    source: str
    time_zone: str | None = None

    @property
    def measure(self) -> str:
        """``knee_drop`` or ``trunk_rotation``: see :func:`variant_measure`."""
        return variant_measure(self.variant_id)


@dataclass(frozen=True)
class SampleRecord:
    """One per-second metric sample (degrees, degrees/second; None when unknown).

    ``cap`` is the personal cap in force at that moment (it drops when pain rises).
    """

    t: float
    knee_drop: float | None
    pelvis_roll: float | None
    shoulder_roll: float | None
    twist: float | None
    speed: float | None
    confidence: float
    cap: float | None


@dataclass(frozen=True)
class EventRecord:
    """A stored cue, event or pain report (``type`` is an ``EventType`` value)."""

    id: int
    t: float
    type: str
    event_id: str
    text: str
    data: dict[str, Any]


#: Seconds of session time between the samples a recorder stores
#: (:class:`~twistcoach.storage.recorder.SessionRecorder`), and the most one sample over the
#: cap counts for in :attr:`SessionSummary.over_cap_s`.
SAMPLE_PERIOD_S = 1.0

#: How a sharp pain report is shown (``SessionSummary.pain_labels``, ``to_json``).
SHARP_LABEL = "sharp"


@dataclass(frozen=True)
class SessionSummary:
    """A session with the figures a list, a dashboard or progression needs.

    Attributes
    ----------
    session
        The header.
    n_samples, n_events
        How many samples and events were stored.
    max_abs_knee_drop
        Largest known ``|knee drop|`` in degrees (None when no known sample).
    over_cap_samples
        Samples whose ``|knee drop|`` was above the cap in force then.
    over_cap_s
        Seconds spent over the cap, from the samples' own times: each sample over the cap
        counts until the next sample, at most :data:`SAMPLE_PERIOD_S` (a longer gap, the
        person out of view or the session paused, is not known to be over it; the last
        sample counts one period). Equal to ``over_cap_samples`` only at one sample a
        second; every surface shows this, never the count as seconds.
    pain_reports
        Pain levels reported during the session, in order (0-10; sharp pain as 10): the
        input of progression and planning, never shown as such (see ``pain_labels``).
    sharp_pain
        True when sharp pain was reported.
    pain_labels
        The same reports as people said them, in order: ``"4"``, ``"sharp"``. Pages and
        ``to_json`` show these: sharp pain was never a number.
    sharp_at_s
        Seconds from the session's start when sharp pain was first reported (None: never):
        the day it locks is that moment's, not the start's (a session begun at 23:45 and
        stopped for sharp pain at 00:10 locks the day of 00:10).
    """

    session: SessionRecord
    n_samples: int
    n_events: int
    max_abs_knee_drop: float | None
    over_cap_samples: int
    pain_reports: tuple[int, ...]
    sharp_pain: bool
    pain_labels: tuple[str, ...] = ()
    sharp_at_s: float | None = None
    over_cap_s: float = 0.0

    @property
    def reported_levels(self) -> tuple[int, ...]:
        """The numbers people reported, in order (sharp pain left out: it is no number)."""
        if not self.pain_labels:
            return self.pain_reports if not self.sharp_pain else self.pain_reports[:-1]
        return tuple(int(p) for p in self.pain_labels if p != SHARP_LABEL)

    @property
    def max_pain(self) -> int | None:
        """Highest pain reported at the start, during or at the end (None if none)."""
        values = [*self.pain_reports]
        for extra in (self.session.start_pain, self.session.end_pain):
            if extra is not None:
                values.append(extra)
        return max(values) if values else None

    @property
    def pain_rise(self) -> int | None:
        """Highest pain minus the starting pain (None when the start was not given)."""
        if self.session.start_pain is None or self.max_pain is None:
            return None
        return self.max_pain - self.session.start_pain

    def to_json(self) -> dict[str, Any]:
        """The JSON form shared by ``twistcoach sessions --json`` and the web API.

        Angles in degrees; times ISO 8601; ``ended_at`` is None while running.
        """
        s = self.session
        return {
            "id": s.id,
            "person_id": s.person_id,
            "person": s.person_name,
            "variant_id": s.variant_id,
            "cap_deg": s.cap_deg,
            "started_at": s.started_at.isoformat(),
            "ended_at": s.ended_at.isoformat() if s.ended_at else None,
            "status": s.status,
            "stop_reason": s.stop_reason,
            "start_pain": s.start_pain,
            "end_pain": s.end_pain,
            "source": s.source,
            "n_samples": self.n_samples,
            "n_events": self.n_events,
            "max_abs_knee_drop_deg": self.max_abs_knee_drop,
            "over_cap_samples": self.over_cap_samples,
            "over_cap_s": self.over_cap_s,
            # As reported: numbers 0-10 and "sharp" (never shown as 10).
            "pain_reports": [*self.reported_levels, *([SHARP_LABEL] if self.sharp_pain else [])],
            "sharp_pain": self.sharp_pain,
        }


@dataclass(frozen=True)
class SessionDetail:
    """A session with all its samples and events, in time order."""

    summary: SessionSummary
    samples: tuple[SampleRecord, ...] = field(default_factory=tuple)
    events: tuple[EventRecord, ...] = field(default_factory=tuple)

    @property
    def session(self) -> SessionRecord:
        """The header."""
        return self.summary.session

    def to_json(self) -> dict[str, Any]:
        """The summary's JSON plus every sample (degrees, deg/s, seconds) and event."""
        return {
            **self.summary.to_json(),
            "samples": [
                {
                    "t": x.t,
                    "knee_drop": x.knee_drop,
                    "pelvis_roll": x.pelvis_roll,
                    "shoulder_roll": x.shoulder_roll,
                    "twist": x.twist,
                    "speed": x.speed,
                    "confidence": x.confidence,
                    "cap": x.cap,
                }
                for x in self.samples
            ],
            "events": [
                {"t": e.t, "type": e.type, "id": e.event_id, "text": e.text, "data": e.data}
                for e in self.events
            ],
        }


@dataclass(frozen=True)
class DecisionRecord:
    """A progression decision (``decision`` is ``approved`` or ``declined``).

    ``variant_id``, ``action`` and ``suggested_cap_deg`` (degrees) are read from the stored
    suggestion once, by the repository; ``decided_by_name`` is the staff member's name.
    """

    id: int
    person_id: int
    suggestion: dict[str, Any]
    decision: str
    decided_by: int | None
    at: dt.datetime
    variant_id: str | None = None
    action: str | None = None
    suggested_cap_deg: float | None = None
    decided_by_name: str | None = None


@dataclass(frozen=True)
class CheckInRecord:
    """A check-in after sharp pain (``back`` is ``better``, ``same`` or ``worse``)."""

    id: int
    person_id: int
    back: str
    new_leg_symptoms: bool
    weakness_or_numbness: bool
    at: dt.datetime


@dataclass(frozen=True)
class ReviewRecord:
    """A staff review of a student's safety flags (closes every flag raised before ``at``)."""

    id: int
    person_id: int
    by_role: str
    by_name: str
    note: str
    reviewed_by: int | None
    at: dt.datetime


@dataclass(frozen=True)
class AuditRecord:
    """One audit-log entry."""

    id: int
    actor_id: int | None
    action: str
    target: str
    details: dict[str, Any]
    at: dt.datetime


@dataclass(frozen=True)
class WebSessionRecord:
    """A live web sign-in (see :class:`~twistcoach.storage.models.WebSession`)."""

    id: str
    account_id: int
    csrf: str
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkRecord:
    """A student's link to a teacher or clinician, by the e-mail the student typed."""

    id: int
    person_id: int
    staff_email: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ClinicianPlanRecord:
    """A stored clinician's plan, parsed once into planning's typed value (``plan``)."""

    id: int
    person_id: int
    written_by: int | None
    plan: ClinicianPlan
