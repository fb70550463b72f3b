"""What planning answers: per variant allowed or refused, the cap, and every reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from twistcoach.planning.history import ClinicianPlan
from twistcoach.progression import ProgressionSuggestion
from twistcoach.screening import PlanStatus, ReadinessPlan, Reason, VariantStatus

#: Screening's variant status in plain words (what people read; never the ids).
STATUS_WORDS: dict[VariantStatus, str] = {
    VariantStatus.ALLOWED: "Allowed by your plan",
    VariantStatus.NEEDS_CLEARANCE: "Needs a clearance first",
    VariantStatus.NOT_ALLOWED: "Not for you now",
}


#: The headline of a plan that allows twists on a day that allows none (a sharp-pain lock, a
#: check-in first, a flag waiting for review): never "ready" above twists that are all shut.
NOT_NOW_WORDS = "Your plan allows twists, but none may be practised now: the reasons are below."

#: The progression rules that wait for a teacher's or clinician's review
#: (``rules/progression.yaml``).
REVIEW_RULES = frozenset({"PROG-SHARP", "PROG-SHARP-RESUMED", "PROG-REVIEW"})

#: The headline a person's plan is shown under, by :attr:`PracticeDecision.headline_status`:
#: one table for every surface (the command line's ``plan`` and ``progress`` printed other
#: words than the web's plan page for the same status).
STATUS_HEADLINES: dict[str, str] = {
    "seek_care_now": (
        "Please get medical help today, before any exercise: some of your answers are "
        "emergency signs."
    ),
    "see_clinician_first": (
        "See a healthcare professional first: twists are on hold until a clinician has "
        "checked your back."
    ),
    "rest_today": (
        "Rest today: no twists while your back pain is above 5 out of 10. Update your "
        "answers when it has eased."
    ),
    "ready": "You are ready to practise the twists marked allowed, within the range shown.",
    # Ready by the intake, but nothing may start now (sharp pain today, a check-in, a flag).
    "not_now": NOT_NOW_WORDS,
}


class FlagKind(StrEnum):
    """What a flag is about.

    ``EMERGENCY_WITHDRAWN`` and ``RED_FLAG_WITHDRAWN``: an intake reported an emergency sign
    or a red flag for a clinician to check (screening's ``seek_care_now`` and
    ``see_clinician_first`` red flags) that a later intake no longer reports.
    """

    SHARP_PAIN = "sharp_pain"
    REPEATED_PAIN = "repeated_pain"
    CHECKIN_CARE = "checkin_care"
    CHECKIN_WORSE = "checkin_worse"
    EMERGENCY_WITHDRAWN = "emergency_withdrawn"
    RED_FLAG_WITHDRAWN = "red_flag_withdrawn"

    @property
    def clinician_only(self) -> bool:
        """Only a clinician's review closes it (a teacher's closes the others): nerve signs
        after sharp pain, and red flags a later answer left out (CLINICAL.md §2, §5)."""
        return self in _CLINICIAN_ONLY


_CLINICIAN_ONLY = frozenset(
    {FlagKind.CHECKIN_CARE, FlagKind.EMERGENCY_WITHDRAWN, FlagKind.RED_FLAG_WITHDRAWN}
)


@dataclass(frozen=True)
class SafetyFlag:
    """A flag waiting for a teacher's or clinician's review.

    ``reason.text`` is the plain words; ``raised_at`` when it was raised; ``answer`` the
    intake answer a withdrawn red flag is about (``saddle_numbness``, ``both_legs``), None
    for the other kinds.
    """

    kind: FlagKind
    raised_at: dt.datetime
    reason: Reason
    session_id: int | None = None
    answer: str | None = None


@dataclass(frozen=True)
class VariantPermission:
    """What a person may do with one variant now.

    Attributes
    ----------
    variant_id
        The variant.
    plan_status
        Screening's status for it (with the clearances that count now).
    allowed
        True when a coached session of it may start now.
    cap_deg
        The cap (degrees, either side) a session of it starts with now, in the variant's
        own measure (``measure``: the knee drop for supine twists, the trunk rotation for
        seated and standing ones); None when it is not allowed.
    plan_cap_deg
        Screening's cap (the ceiling) in the same measure, degrees; None when screening
        does not allow it.
    reasons
        Screening's reasons, then every planning rule that shaped this permission.
    hold_s
        Seconds to hold each side when a clinician's plan sets it, else None (the pose
        library's default).
    measure
        ``knee_drop`` or ``trunk_rotation``: what ``cap_deg`` and ``plan_cap_deg`` measure.
    rotation_cap_deg
        Screening's trunk-rotation cap (shoulder line against pelvis line, degrees either
        way) for a seated or standing variant the plan allows; None otherwise.
    """

    variant_id: str
    plan_status: VariantStatus
    allowed: bool
    cap_deg: float | None
    plan_cap_deg: float | None
    reasons: tuple[Reason, ...]
    hold_s: float | None = None
    rotation_cap_deg: float | None = None
    measure: str = "knee_drop"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready (reasons as ``{"rule", "text", "source"}``)."""
        return {
            "id": self.variant_id,
            "plan_status": self.plan_status.value,
            "allowed": self.allowed,
            "cap_deg": self.cap_deg,
            "plan_cap_deg": self.plan_cap_deg,
            "hold_s": self.hold_s,
            "rotation_cap_deg": self.rotation_cap_deg,
            "measure": self.measure,
            "reasons": [r.model_dump(mode="json") for r in self.reasons],
        }


@dataclass(frozen=True)
class PracticeDecision:
    """Planning's answer: what the person may practise now, to what cap, and why.

    Attributes
    ----------
    plan
        Screening's plan (None without an intake).
    variants
        One permission per library variant, in difficulty order.
    reasons
        Person-level reasons (a lock today, a check-in, open flags), empty when none.
    open_flags
        Flags waiting for a review, oldest first.
    locked_until
        End of the day of a sharp-pain stop when that is still ahead (aware), else None.
    needs_checkin
        True when the next session must first ask the check-in.
    progression
        The suggestion for the variant practised last (or the first allowed), if any.
    clinician_plan
        The clinician's plan in force, if any (its review date is shown to staff).
    """

    plan: ReadinessPlan | None
    variants: tuple[VariantPermission, ...]
    reasons: tuple[Reason, ...] = ()
    open_flags: tuple[SafetyFlag, ...] = ()
    locked_until: dt.datetime | None = None
    needs_checkin: bool = False
    progression: ProgressionSuggestion | None = None
    clinician_plan: ClinicianPlan | None = None
    _by_id: dict[str, VariantPermission] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({v.variant_id: v for v in self.variants})

    def permission(self, variant_id: str) -> VariantPermission:
        """The permission for one variant; ``KeyError`` naming the known ids otherwise."""
        try:
            return self._by_id[variant_id]
        except KeyError:
            known = ", ".join(self._by_id)
            raise KeyError(f"unknown variant {variant_id!r}; known: {known}") from None

    @property
    def allowed(self) -> tuple[VariantPermission, ...]:
        """The variants a coached session may start with now, easiest first."""
        return tuple(v for v in self.variants if v.allowed)

    @property
    def awaits_review(self) -> bool:
        """True while something waits for a teacher's or clinician's review: an open safety
        flag, or a progression held for one (a sharp-pain stop not yet reviewed, pain that
        went up in several sessions: :data:`REVIEW_RULES`). A student nobody follows is told
        how to get one (the web's history page): the lowered cap "until a teacher or
        clinician has reviewed that session" otherwise lasted for ever without a word."""
        progression = self.progression
        held = progression is not None and any(r.rule in REVIEW_RULES for r in progression.reasons)
        return bool(self.open_flags) or held

    @property
    def headline_status(self) -> str | None:
        """The status a person is headed with on every surface (a key of
        :data:`STATUS_HEADLINES`): the plan's, but ``not_now`` for a ready plan on a day
        that allows no twist (a sharp-pain lock, a check-in first, a flag waiting for
        review); None without an intake. The dashboard said "ready" for a student the
        student's own page told "none may be practised now", and so did the command
        line's ``plan``."""
        if self.plan is None:
            return None
        status = self.plan.status
        return "not_now" if status is PlanStatus.READY and not self.allowed else status.value

    @property
    def headline(self) -> str:
        """The English words of :attr:`headline_status` (the catalogue's id; empty without
        an intake)."""
        status = self.headline_status
        return "" if status is None else STATUS_HEADLINES[status]

    def refusal(self, variant_id: str) -> str | None:
        """Plain words of why ``variant_id`` may not be practised now (None when it may)."""
        try:
            permission = self.permission(variant_id)
        except KeyError as exc:
            return str(exc.args[0])
        if permission.allowed:
            return None
        words = [r.text for r in self.reasons]
        if self.plan is not None and self.plan.status is PlanStatus.SEEK_CARE_NOW:
            # Emergency signs come first, whatever else refuses: "ask your teacher to see
            # you again" (a stale clearance) had stood alone where "seek care today" is due.
            urgent = [r.text for r in permission.reasons if not r.rule.startswith("SAFE-")]
            words = [*urgent, *(w for w in words if w not in urgent)]
        if not words:
            words = [r.text for r in permission.reasons if r.rule.startswith("SAFE-")]
        if not words:
            words = [r.text for r in permission.reasons]
        said = " ".join(words) or "not allowed now"
        if permission.plan_status is VariantStatus.ALLOWED:
            # Today refuses what the plan allows: "Allowed by your plan. Sharp pain stopped
            # your practice today..." opened every refusal with its opposite.
            return said
        return f"{STATUS_WORDS[permission.plan_status]}. {said}"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"plan_status", "variants", "reasons", "open_flags", ...}``."""
        return {
            "plan_status": None if self.plan is None else self.plan.status.value,
            "variants": [v.to_json_dict() for v in self.variants],
            "reasons": [r.model_dump(mode="json") for r in self.reasons],
            "open_flags": [
                {
                    "kind": f.kind.value,
                    "raised_at": f.raised_at.isoformat(),
                    "text": f.reason.text,
                    "rule": f.reason.rule,
                    "source": f.reason.source,
                    "session_id": f.session_id,
                }
                for f in self.open_flags
            ],
            "locked_until": None if self.locked_until is None else self.locked_until.isoformat(),
            "needs_checkin": self.needs_checkin,
            "progression": None if self.progression is None else self.progression.to_dict(),
        }
