"""What planning reads: a person's history as typed values (pure core).

Times are aware datetimes; angles are knee-drop degrees (either side); hold times seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from twistcoach.intake import Clearance, ClearanceBy, Intake
from twistcoach.progression import SHARP_STOP, SessionOutcome


class BackFeeling(StrEnum):
    """A check-in's answer: the back now, against before the sharp pain."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


@dataclass(frozen=True)
class CheckIn:
    """The answers a person gives before practising again after sharp pain.

    Attributes
    ----------
    at
        When it was answered (aware datetime).
    back
        :class:`BackFeeling`.
    new_leg_symptoms
        New or spreading leg pain, tingling or numbness.
    weakness_or_numbness
        New weakness in a leg or foot, or numbness between the legs.
    """

    at: dt.datetime
    back: BackFeeling
    new_leg_symptoms: bool
    weakness_or_numbness: bool

    @property
    def sends_to_care(self) -> bool:
        """Nerve symptoms are never acceptable (CLINICAL.md §5)."""
        return self.new_leg_symptoms or self.weakness_or_numbness


@dataclass(frozen=True)
class SafetyReview:
    """A teacher's or clinician's review of a student's open flags.

    It closes every flag raised before ``at``.
    """

    at: dt.datetime
    by_role: ClearanceBy
    by_name: str
    note: str = ""


@dataclass(frozen=True)
class ClearanceWithdrawal:
    """A clinician's (or the giving teacher's) withdrawal of a clearance: from ``at`` on
    it counts for nothing, and planning says who withdrew it, when and why (``reason``,
    their own words)."""

    at: dt.datetime
    by_role: ClearanceBy
    by_name: str
    reason: str


@dataclass(frozen=True)
class DatedClearance:
    """A clearance and when it was recorded (for a clearance in an intake file: the intake's
    time).

    ``withdrawal``: when, by whom and why it was withdrawn (None: never); ``clearance_id``:
    the stored clearance's id, for the edges that act on it (planning never reads it).
    """

    clearance: Clearance
    recorded_at: dt.datetime
    withdrawal: ClearanceWithdrawal | None = None
    clearance_id: int | None = None

    def withdrawn_by(self, now: dt.datetime) -> bool:
        """True when it was withdrawn at or before ``now``."""
        return self.withdrawal is not None and self.withdrawal.at <= now


@dataclass(frozen=True)
class StaffDecision:
    """A teacher's or clinician's answer to a progression suggestion.

    ``cap_deg`` is the suggestion's cap (None for suggestions without one).
    """

    at: dt.datetime
    variant_id: str
    approved: bool
    cap_deg: float | None
    by_name: str = "your teacher or clinician"


@dataclass(frozen=True)
class DatedIntake:
    """An intake (the person's answers) and when it was given."""

    intake: Intake
    at: dt.datetime


@dataclass(frozen=True)
class PastSession:
    """A finished session as planning sees it: progression's view plus its time.

    ``outcome.date`` must be an aware datetime: when the session started, or, for one that
    sharp pain or pain stopped, when that happened (``storage.progress.stopped_at``): the
    day's lock is that moment's day.
    """

    outcome: SessionOutcome
    session_id: int | None = None

    @property
    def at(self) -> dt.datetime:
        """When it is dated (aware): its start, or when what stopped it happened."""
        value = self.outcome.date
        if isinstance(value, dt.datetime):
            return value
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)

    @property
    def sharp(self) -> bool:
        """Sharp pain stopped it."""
        return self.outcome.stopped_reason == SHARP_STOP

    @property
    def painful(self) -> bool:
        """Pain went up in it, or pain (sharp or not) stopped it."""
        return self.sharp or self.outcome.pain_went_up


@dataclass(frozen=True)
class Prescription:
    """One variant in a clinician's plan.

    ``cap_deg``: the knee-drop cap the clinician sets (degrees; None: the planning cap);
    ``hold_s``: seconds to hold each side (None: the pose library's default).
    """

    variant_id: str
    cap_deg: float | None = None
    hold_s: float | None = None


@dataclass(frozen=True)
class ClinicianPlan:
    """A plan a clinician writes for a linked student (issue 21).

    It works within what screening and the history allow, never above it: only the
    variants it names may be practised, each at most at its cap.

    Attributes
    ----------
    at
        When it was written (aware); the newest plan is the one in force.
    by_name
        The clinician's name.
    variants
        The prescribed variants.
    sessions_per_week
        How often to practise (shown to the student; 1-14).
    review_date
        When the clinician will review it (shown on the dashboard; overdue is flagged).
    note
        Free text for the student.
    """

    at: dt.datetime
    by_name: str
    variants: tuple[Prescription, ...]
    sessions_per_week: int
    review_date: dt.date
    note: str = ""

    def prescription(self, variant_id: str) -> Prescription | None:
        """The prescription for a variant, None when the plan leaves it out."""
        return next((p for p in self.variants if p.variant_id == variant_id), None)


@dataclass(frozen=True)
class PersonHistory:
    """Everything planning needs about a person, as typed values.

    Attributes
    ----------
    intakes
        Their intakes (the answers), any order; the newest is current. Empty: no intake yet.
    clearances
        Clearances recorded by staff (an intake's own clearances are dated with the intake).
    sessions
        Finished sessions (running ones are left out), any order.
    decisions
        Staff answers to progression suggestions.
    reviews
        Staff reviews of open flags.
    checkins
        Check-ins after sharp pain.
    clinician_plans
        Plans clinicians wrote; the newest is in force.
    """

    intakes: tuple[DatedIntake, ...] = ()
    clearances: tuple[DatedClearance, ...] = ()
    sessions: tuple[PastSession, ...] = ()
    decisions: tuple[StaffDecision, ...] = ()
    reviews: tuple[SafetyReview, ...] = ()
    checkins: tuple[CheckIn, ...] = ()
    clinician_plans: tuple[ClinicianPlan, ...] = ()
