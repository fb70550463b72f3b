"""What a person may practise now, to what cap, and why: decided here, once.

Pure core: standard library and pydantic only; no clocks (the caller passes ``now``), no
I/O except the thin :func:`load_safety_rules` that reads the packaged ``rules/safety.yaml``.

Every surface calls :func:`decide`: the desktop coach (``twistcoach coach``), the web's plan
and practice pages, the practice socket, the dashboard, ``twistcoach plan`` and
``twistcoach progress``. Nothing else computes a cap or a permission, so two surfaces can
never disagree about safety.

How a decision is made
----------------------
1. **Screening** (:func:`twistcoach.screening.screen`) of the intake with every clearance
   (the intake's own and those recorded later, merged here and nowhere else) gives each
   variant's status and its ceiling: the plan's knee-drop cap.
2. **Flags.** History raises flags that stay open until a teacher or clinician records a
   review (:class:`SafetyReview`): a sharp-pain stop (``SAFE-SHARP-FLAG``); pain that went
   up in ``review_pain_sessions`` of the last ``review_window`` sessions since the last
   review (``SAFE-PAIN-REPEATED``); a check-in reporting new leg symptoms, numbness or
   weakness (``SAFE-CARE-FLAG``) or a back that feels worse (``SAFE-WORSE-FLAG``). While a
   flag is open nothing recorded after it may raise a cap or unlock a variant: the plan is
   re-screened with only the clearances recorded before the flag, and only variants
   allowed then stay allowed (``SAFE-FLAG-REVIEW``, ``SAFE-CLEARANCE-HELD``).
3. **Today.** A sharp-pain stop refuses every twist for the rest of that local day
   (``SAFE-SHARP-TODAY``); the next session first needs a check-in (``SAFE-CHECKIN``); a
   check-in reporting leg symptoms sends the person to care (``SAFE-CHECKIN-CARE``), one
   reporting a worse back waits for review (``SAFE-CHECKIN-WORSE``).
4. **The cap** of each allowed variant is a fold over its history, oldest first: it starts
   at the plan's cap; every session holds it at most at the cap that session ran at (it
   goes up only by an approval: ``SAFE-LAST-CAP``); a session in which pain went up (or
   that pain stopped) lowers it one step below the cap that session ran at
   (``SAFE-PAIN-LOWER``, never below ``min_cap_deg``); a progression a teacher or
   clinician approved sets it to the approved cap (``SAFE-APPROVED``), but only lowers it
   while a flag is open (``SAFE-RAISE-HELD``).
   The result never exceeds the plan's cap; a clearance asking for more than the plan gives
   says so (``SAFE-CLEARANCE-CLIPPED``).
5. **A clinician's plan** (the newest :class:`ClinicianPlan`) only narrows: variants it
   leaves out are refused, its caps apply when lower and are clipped when higher
   (``SAFE-CLINICIAN-*``), its hold times go to the coach.
6. **The coach** can only keep a person under a cap it can measure: an allowed variant
   without a knee-drop cap is not offered for coached practice (``SAFE-NOT-COACHED``).
7. **Progression** (:func:`twistcoach.progression.suggest_progression`) gets the folded cap
   and the open flags, so its suggestion looks at the whole history.

Adding a pain report, a stop, a flag or a bad check-in to a history never raises a cap or
unlocks a variant (``tests/test_planning_properties.py`` proves it with hypothesis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from twistcoach.intake import Clearance, ClearanceBy, Intake, LegSymptoms
from twistcoach.poses.schema import PoseLibrary
from twistcoach.progression import (
    SHARP_STOP,
    ClearanceInfo,
    NextVariant,
    ProgressionRules,
    ProgressionSuggestion,
    SessionOutcome,
    check_rule_ids,
    load_progression_rules,
    suggest_progression,
)
from twistcoach.screening import PlanStatus, ReadinessPlan, Reason, RuleSet, VariantStatus, screen

# --------------------------------------------------------------------------- rules as data

REQUIRED_SAFETY_RULES: frozenset[str] = frozenset(
    {
        "SAFE-SHARP-TODAY",
        "SAFE-CHECKIN",
        "SAFE-CHECKIN-CARE",
        "SAFE-CHECKIN-WORSE",
        "SAFE-FLAG-REVIEW",
        "SAFE-PAIN-LOWER",
        "SAFE-PAIN-REPEATED",
        "SAFE-SHARP-FLAG",
        "SAFE-CARE-FLAG",
        "SAFE-WORSE-FLAG",
        "SAFE-APPROVED",
        "SAFE-LAST-CAP",
        "SAFE-RAISE-HELD",
        "SAFE-CLEARANCE-CLIPPED",
        "SAFE-CLEARANCE-HELD",
        "SAFE-NOT-COACHED",
        "SAFE-PLAN-HOLD",
        "SAFE-NO-INTAKE",
        "SAFE-WHO-CLEARS",
        "SAFE-CLINICIAN-OMITS",
        "SAFE-CLINICIAN-CAP",
        "SAFE-CLINICIAN-CLIPPED",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckInQuestions(_Frozen):
    """The check-in's wording (shown by the web page and the CLI)."""

    question_back: str = Field(min_length=1)
    question_leg: str = Field(min_length=1)
    question_weakness: str = Field(min_length=1)


class SafetyRule(_Frozen):
    """One cross-session safety rule: id, text template and CLINICAL.md source."""

    id: str = Field(pattern=r"^SAFE-[A-Z0-9-]+$")
    text: str = Field(min_length=1)
    source: str = Field(pattern=r"CLINICAL\.md §\d")


class SafetyRules(_Frozen):
    """The validated contents of ``rules/safety.yaml``."""

    version: Literal[1]
    checkin: CheckInQuestions
    rules: tuple[SafetyRule, ...]

    @model_validator(mode="after")
    def _complete(self) -> SafetyRules:
        check_rule_ids([r.id for r in self.rules], REQUIRED_SAFETY_RULES)
        return self

    def reason(self, rule_id: str, **fmt: object) -> Reason:
        """The rule as a :class:`~twistcoach.screening.Reason`, its text filled in."""
        for rule in self.rules:
            if rule.id == rule_id:
                text = " ".join(rule.text.format(**fmt).split())
                return Reason(rule=rule.id, text=text, source=rule.source)
        raise KeyError(rule_id)


class SafetyRulesError(ValueError):
    """The safety rule file is invalid; the message names the problem."""


def parse_safety_rules(data: Any) -> SafetyRules:
    """Validate parsed YAML into :class:`SafetyRules` (errors name their field)."""
    try:
        return SafetyRules.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SafetyRulesError(f"invalid safety rules: {problems}") from exc


_SAFETY_CACHE: list[SafetyRules] = []


def load_safety_rules() -> SafetyRules:
    """Read and validate the packaged ``twistcoach/rules/safety.yaml`` (once per process)."""
    if _SAFETY_CACHE:
        return _SAFETY_CACHE[0]
    import yaml  # the edge: only the loader parses files

    text = resources.files("twistcoach").joinpath("rules/safety.yaml").read_text("utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SafetyRulesError(f"rules/safety.yaml is not valid YAML: {exc}") from exc
    rules = parse_safety_rules(data)
    _SAFETY_CACHE.append(rules)
    return rules


# --------------------------------------------------------------------------- typed inputs


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
class DatedClearance:
    """A clearance and when it was recorded (for a clearance in an intake file: the intake's
    time)."""

    clearance: Clearance
    recorded_at: dt.datetime


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

    ``outcome.date`` must be an aware datetime (when the session started).
    """

    outcome: SessionOutcome
    session_id: int | None = None

    @property
    def at(self) -> dt.datetime:
        """When it started (aware)."""
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


# --------------------------------------------------------------------------- the result


class FlagKind(StrEnum):
    """What a flag is about."""

    SHARP_PAIN = "sharp_pain"
    REPEATED_PAIN = "repeated_pain"
    CHECKIN_CARE = "checkin_care"
    CHECKIN_WORSE = "checkin_worse"


@dataclass(frozen=True)
class SafetyFlag:
    """A flag waiting for a teacher's or clinician's review.

    ``reason.text`` is the plain words; ``raised_at`` when it was raised.
    """

    kind: FlagKind
    raised_at: dt.datetime
    reason: Reason
    session_id: int | None = None


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
        The knee-drop cap (degrees, either side) a session of it starts with now; None when
        it is not allowed or has no knee-drop measure.
    plan_cap_deg
        Screening's cap (the ceiling), degrees; None as above.
    reasons
        Screening's reasons, then every planning rule that shaped this permission.
    hold_s
        Seconds to hold each side when a clinician's plan sets it, else None (the pose
        library's default).
    """

    variant_id: str
    plan_status: VariantStatus
    allowed: bool
    cap_deg: float | None
    plan_cap_deg: float | None
    reasons: tuple[Reason, ...]
    hold_s: float | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready (reasons as ``{"rule", "text", "source"}``)."""
        return {
            "id": self.variant_id,
            "plan_status": self.plan_status.value,
            "allowed": self.allowed,
            "cap_deg": self.cap_deg,
            "plan_cap_deg": self.plan_cap_deg,
            "hold_s": self.hold_s,
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

    def refusal(self, variant_id: str) -> str | None:
        """Plain words of why ``variant_id`` may not be practised now (None when it may)."""
        try:
            permission = self.permission(variant_id)
        except KeyError as exc:
            return str(exc.args[0])
        if permission.allowed:
            return None
        words = [r.text for r in self.reasons]
        if not words:
            words = [r.text for r in permission.reasons if r.rule.startswith("SAFE-")]
        if not words:
            words = [r.text for r in permission.reasons]
        status = STATUS_WORDS[permission.plan_status]
        return f"{status}. " + (" ".join(words) or "not allowed now")

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


# --------------------------------------------------------------------------- helpers

#: Screening's variant status in plain words (what people read; never the ids).
STATUS_WORDS: dict[VariantStatus, str] = {
    VariantStatus.ALLOWED: "Allowed by your plan",
    VariantStatus.NEEDS_CLEARANCE: "Needs a clearance first",
    VariantStatus.NOT_ALLOWED: "Not for you now",
}


def has_back_condition(intake: Intake | None) -> bool:
    """True when the intake records a back condition, back pain or leg symptoms.

    No intake counts as True: fail safe, a harder variant then needs a clearance.
    """
    if intake is None:
        return True
    return (
        bool(intake.conditions)
        or intake.pain_now >= 1
        or intake.leg_symptoms is not LegSymptoms.NONE
    )


def may_clear(
    role: ClearanceBy, trained_for_back_problems: bool, intake: Intake | None
) -> Reason | None:
    """Whether a member of staff may record a clearance for a student.

    Returns None when they may, else the reason they may not (``SAFE-WHO-CLEARS``): only
    clinicians and teachers trained for back problems may clear a student with a back
    condition (CLINICAL.md §3).
    """
    if role is ClearanceBy.CLINICIAN or trained_for_back_problems:
        return None
    if has_back_condition(intake):
        return load_safety_rules().reason("SAFE-WHO-CLEARS")
    return None


def _day_end(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    local = moment.astimezone(tz)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return midnight


def _date_words(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).date().isoformat()


def _who(clearance: Clearance) -> str:
    return f"{clearance.name} ({clearance.by.value})"


def _with_clearances(intake: Intake, clearances: Sequence[DatedClearance]) -> Intake:
    """The intake with the recorded clearances merged in (duplicates once)."""
    merged = list(intake.clearances)
    for dated in clearances:
        if dated.clearance not in merged:
            merged.append(dated.clearance)
    return intake.model_copy(update={"clearances": tuple(merged)})


def _all_clearances(history: PersonHistory) -> tuple[DatedClearance, ...]:
    """Recorded clearances plus every intake's own, each once, oldest first."""
    out: list[DatedClearance] = []
    seen: list[Clearance] = []
    dated = [DatedClearance(c, i.at) for i in history.intakes for c in i.intake.clearances]
    for item in sorted([*dated, *history.clearances], key=lambda d: d.recorded_at):
        if item.clearance not in seen:
            seen.append(item.clearance)
            out.append(item)
    return tuple(out)


def _lowered(cap: float, rules: ProgressionRules) -> float:
    """One step lower, never below the floor, and never higher than ``cap``."""
    th = rules.thresholds
    return min(cap, max(th.min_cap_deg, cap - th.lower_step_deg))


def _all_flags(
    history: PersonHistory, rules: SafetyRules, prog_rules: ProgressionRules, tz: dt.tzinfo
) -> list[tuple[SafetyFlag, dt.datetime | None]]:
    """Every flag the history ever raised, with the review that closed it (None: still open).

    A review closes every flag raised before it. Repeated pain is judged session by session
    between reviews: the flag is raised at the session whose window of the last
    ``review_window`` sessions holds ``review_pain_sessions`` painful ones.
    """
    reviews = sorted(r.at for r in history.reviews)

    def closed(moment: dt.datetime) -> dt.datetime | None:
        # A review closes the flags raised before it (strictly: not one raised with it).
        return next((r for r in reviews if r > moment), None)

    out: list[tuple[SafetyFlag, dt.datetime | None]] = []
    sessions = sorted(history.sessions, key=lambda s: s.at)
    for s in sessions:
        if s.sharp:
            reason = rules.reason("SAFE-SHARP-FLAG", date=_date_words(s.at, tz))
            flag = SafetyFlag(FlagKind.SHARP_PAIN, s.at, reason, s.session_id)
            out.append((flag, closed(s.at)))
    th = prog_rules.thresholds
    start: dt.datetime | None = None
    for end in [*reviews, None]:
        window = [
            s for s in sessions if (start is None or s.at >= start) and (end is None or s.at < end)
        ]
        for i, s in enumerate(window):
            painful = [x for x in window[max(0, i + 1 - th.review_window) : i + 1] if x.painful]
            if s.painful and len(painful) >= th.review_pain_sessions:
                reason = rules.reason(
                    "SAFE-PAIN-REPEATED", n=len(painful), date=_date_words(s.at, tz)
                )
                flag = SafetyFlag(FlagKind.REPEATED_PAIN, s.at, reason, s.session_id)
                out.append((flag, end))
                break
        start = end
    for c in history.checkins:
        if c.sends_to_care:
            reason = rules.reason("SAFE-CARE-FLAG", date=_date_words(c.at, tz))
            out.append((SafetyFlag(FlagKind.CHECKIN_CARE, c.at, reason), closed(c.at)))
        elif c.back is BackFeeling.WORSE:
            reason = rules.reason("SAFE-WORSE-FLAG", date=_date_words(c.at, tz))
            out.append((SafetyFlag(FlagKind.CHECKIN_WORSE, c.at, reason), closed(c.at)))
    return sorted(out, key=lambda item: item[0].raised_at)


@dataclass
class _Fold:
    cap: float
    reasons: list[Reason]


def _fold_cap(
    variant_id: str,
    plan_cap: float,
    history: PersonHistory,
    flags_open_at: Sequence[tuple[dt.datetime, dt.datetime | None]],
    rules: SafetyRules,
    progression_rules: ProgressionRules,
    tz: dt.tzinfo,
) -> _Fold:
    """The cap of ``variant_id`` after its history (see the module docs, step 4).

    ``flags_open_at`` holds (raised, reviewed or None) for every flag ever raised, so a
    decision is judged by the flags open when it was made.
    """

    def flag_open(moment: dt.datetime) -> bool:
        return any(
            raised <= moment and (closed is None or closed > moment)
            for raised, closed in flags_open_at
        )

    fold = _Fold(plan_cap, [])
    timeline: list[tuple[dt.datetime, int, PastSession | StaffDecision]] = []
    timeline += [(s.at, 0, s) for s in history.sessions if s.outcome.variant_id == variant_id]
    timeline += [
        (d.at, 1, d)
        for d in history.decisions
        if d.variant_id == variant_id and d.approved and d.cap_deg is not None
    ]
    timeline.sort(key=lambda item: (item[0], item[1]))
    pain_reason: Reason | None = None
    decision_reason: Reason | None = None
    last_reason: Reason | None = None
    for at, _, item in timeline:
        if isinstance(item, PastSession):
            if item.outcome.cap_deg < fold.cap:
                # A session's cap is where the person was; it goes up only by an approval.
                fold.cap = item.outcome.cap_deg
                last_reason = rules.reason(
                    "SAFE-LAST-CAP", date=_date_words(at, tz), cap=f"{fold.cap:g}"
                )
            if item.painful:
                fold.cap = _lowered(min(fold.cap, item.outcome.cap_deg), progression_rules)
                pain_reason = rules.reason(
                    "SAFE-PAIN-LOWER", date=_date_words(at, tz), cap=f"{fold.cap:g}"
                )
                decision_reason = None
            continue
        assert item.cap_deg is not None
        if item.cap_deg <= fold.cap:
            fold.cap = item.cap_deg
            decision_reason = rules.reason(
                "SAFE-APPROVED", date=_date_words(at, tz), who=item.by_name, cap=f"{item.cap_deg:g}"
            )
            pain_reason = None
        elif flag_open(at):
            decision_reason = rules.reason(
                "SAFE-RAISE-HELD", date=_date_words(at, tz), cap=f"{item.cap_deg:g}"
            )
        else:
            fold.cap = item.cap_deg
            decision_reason = rules.reason(
                "SAFE-APPROVED", date=_date_words(at, tz), who=item.by_name, cap=f"{item.cap_deg:g}"
            )
            pain_reason = None
    fold.cap = min(fold.cap, plan_cap)
    fold.reasons = [r for r in (pain_reason, decision_reason) if r is not None]
    if not fold.reasons and last_reason is not None and fold.cap < plan_cap:
        fold.reasons = [last_reason]
    return fold


# --------------------------------------------------------------------------- the function


def decide(
    history: PersonHistory,
    library: PoseLibrary,
    *,
    now: dt.datetime,
    tz: dt.tzinfo | None = None,
    screening_rules: RuleSet | None = None,
    safety_rules: SafetyRules | None = None,
    progression_rules: ProgressionRules | None = None,
    progression_variant: str | None = None,
) -> PracticeDecision:
    """What the person may practise now, to what cap, and why (see the module docs).

    Parameters
    ----------
    history
        The person's intakes, clearances, sessions, staff decisions, reviews and check-ins.
    library
        The pose library.
    now
        The current time (aware).
    tz
        The time zone whose calendar day a sharp-pain lock lasts for; default ``now``'s.
    screening_rules, safety_rules, progression_rules
        Rule tables; default the packaged ones.
    progression_variant
        The variant progression is asked about; default the one practised last (else the
        first allowed one).

    Returns
    -------
    PracticeDecision
        One permission per variant, with every reason.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    tz = tz or now.tzinfo
    assert tz is not None
    rules = safety_rules or load_safety_rules()
    prog_rules = progression_rules or load_progression_rules()

    intakes = sorted(history.intakes, key=lambda i: i.at)
    if not intakes:
        reason = rules.reason("SAFE-NO-INTAKE")
        variants = tuple(
            VariantPermission(v.id, VariantStatus.NOT_ALLOWED, False, None, None, (reason,))
            for v in library
        )
        return PracticeDecision(plan=None, variants=variants, reasons=(reason,))

    current = intakes[-1]
    # Every clearance counts once: recorded ones and those in any intake (an intake file's own
    # clearances, dated with it), so a newer intake never loses an older clearance.
    every_clearance = _all_clearances(history)
    merged = _with_clearances(current.intake, every_clearance)
    plan = screen(merged, library, screening_rules)

    every_flag = _all_flags(history, rules, prog_rules, tz)
    spans = [(flag.raised_at, closed) for flag, closed in every_flag]
    flags = [flag for flag, closed in every_flag if closed is None]
    person_reasons: list[Reason] = []
    first_flag = flags[0].raised_at if flags else None
    frozen_plan: ReadinessPlan | None = None
    if first_flag is not None:
        # Nothing recorded after the first open flag may unlock or raise: screen again with
        # the intake and clearances as they were then.
        before = [i for i in intakes if i.at <= first_flag] or intakes[:1]
        then = [c for c in every_clearance if c.recorded_at <= first_flag]
        frozen_plan = screen(_with_clearances(before[-1].intake, then), library, screening_rules)
        for flag in flags:
            person_reasons.append(rules.reason("SAFE-FLAG-REVIEW", flag=flag.reason.text))

    # Today: a sharp-pain stop locks the rest of the local day; then a check-in first.
    sharp = sorted((s for s in history.sessions if s.sharp), key=lambda s: s.at)
    locked_until: dt.datetime | None = None
    needs_checkin = False
    if sharp:
        last_sharp = sharp[-1]
        end_of_day = _day_end(last_sharp.at, tz)
        if now < end_of_day:
            locked_until = end_of_day
            time_words = last_sharp.at.astimezone(tz).strftime("%H:%M")
            person_reasons.insert(0, rules.reason("SAFE-SHARP-TODAY", time=time_words))
        elif not any(c.at >= last_sharp.at for c in history.checkins):
            needs_checkin = True
            person_reasons.insert(
                0, rules.reason("SAFE-CHECKIN", date=_date_words(last_sharp.at, tz))
            )
    # A check-in's bad answer refuses practice while its flag is open (a review closes it).
    kinds = {f.kind for f in flags}
    checkin_refusal: Reason | None = None
    if FlagKind.CHECKIN_CARE in kinds:
        checkin_refusal = rules.reason("SAFE-CHECKIN-CARE")
    elif FlagKind.CHECKIN_WORSE in kinds:
        checkin_refusal = rules.reason("SAFE-CHECKIN-WORSE")
    if checkin_refusal is not None:
        person_reasons.insert(0, checkin_refusal)
    person_blocked = locked_until is not None or needs_checkin or checkin_refusal is not None
    clinician_plan = max(history.clinician_plans, key=lambda c: c.at, default=None)

    permissions: list[VariantPermission] = []
    for decision in plan.variants:
        reasons = list(decision.reasons)
        allowed = plan.status is PlanStatus.READY and decision.allowed
        ceiling = decision.max_knee_drop_deg
        if frozen_plan is not None:
            earlier = frozen_plan.decision(decision.id)
            then_allowed = frozen_plan.status is PlanStatus.READY and earlier.allowed
            if allowed and not then_allowed:
                allowed = False
                reasons.extend(_held_clearances(decision.id, history, first_flag, rules, tz))
            if ceiling is not None and earlier.max_knee_drop_deg is not None:
                if earlier.max_knee_drop_deg < ceiling:
                    reasons.extend(_held_clearances(decision.id, history, first_flag, rules, tz))
                ceiling = min(ceiling, earlier.max_knee_drop_deg)
        if plan.status is not PlanStatus.READY and decision.allowed:
            why = " ".join(plan.advice[:1]) or plan.status.value
            reasons.append(rules.reason("SAFE-PLAN-HOLD", why=why))
        if ceiling is not None:
            reasons.extend(_clipped(decision.id, merged, ceiling, rules))
        cap: float | None = None
        if allowed and ceiling is not None:
            fold = _fold_cap(decision.id, ceiling, history, spans, rules, prog_rules, tz)
            cap = fold.cap
            reasons.extend(fold.reasons)
        elif allowed:
            allowed = False
            reasons.append(rules.reason("SAFE-NOT-COACHED"))
        hold_s: float | None = None
        if clinician_plan is not None:
            allowed, cap, hold_s = _prescribed(
                clinician_plan, decision.id, allowed, cap, reasons, rules, tz
            )
        if person_blocked:
            allowed = False
        unique: list[Reason] = []
        for r in reasons:
            if r not in unique:
                unique.append(r)
        permissions.append(
            VariantPermission(
                variant_id=decision.id,
                plan_status=decision.status,
                allowed=allowed,
                cap_deg=cap if allowed else None,
                plan_cap_deg=decision.max_knee_drop_deg,
                reasons=tuple(unique),
                hold_s=hold_s if allowed else None,
            )
        )

    progression = _progression(
        history, merged, permissions, flags, library, prog_rules, progression_variant
    )
    return PracticeDecision(
        plan=plan,
        variants=tuple(permissions),
        reasons=tuple(person_reasons),
        open_flags=tuple(flags),
        locked_until=locked_until,
        needs_checkin=needs_checkin,
        progression=progression,
        clinician_plan=clinician_plan,
    )


def _prescribed(
    clinician_plan: ClinicianPlan,
    variant_id: str,
    allowed: bool,
    cap: float | None,
    reasons: list[Reason],
    rules: SafetyRules,
    tz: dt.tzinfo,
) -> tuple[bool, float | None, float | None]:
    """A clinician's plan within what planning allows: (allowed, cap, hold time).

    It only narrows: a variant it leaves out is refused (``SAFE-CLINICIAN-OMITS``), a cap
    above planning's is clipped (``SAFE-CLINICIAN-CLIPPED``), a lower one is used
    (``SAFE-CLINICIAN-CAP``).
    """
    when = _date_words(clinician_plan.at, tz)
    who = clinician_plan.by_name
    prescription = clinician_plan.prescription(variant_id)
    if prescription is None:
        if allowed:
            reasons.append(rules.reason("SAFE-CLINICIAN-OMITS", who=who, date=when))
        return False, None, None
    if not allowed or cap is None:
        return False, None, None
    if prescription.cap_deg is not None:
        if prescription.cap_deg < cap:
            cap = prescription.cap_deg
            reasons.append(rules.reason("SAFE-CLINICIAN-CAP", who=who, date=when, cap=f"{cap:g}"))
        elif prescription.cap_deg > cap:
            reasons.append(
                rules.reason(
                    "SAFE-CLINICIAN-CLIPPED",
                    who=who,
                    asked=f"{prescription.cap_deg:g}",
                    given=f"{cap:g}",
                )
            )
    return True, cap, prescription.hold_s


def _held_clearances(
    variant_id: str,
    history: PersonHistory,
    first_flag: dt.datetime | None,
    rules: SafetyRules,
    tz: dt.tzinfo,
) -> list[Reason]:
    """``SAFE-CLEARANCE-HELD`` for each clearance of the variant recorded after the flag."""
    if first_flag is None:
        return []
    return [
        rules.reason(
            "SAFE-CLEARANCE-HELD", who=_who(c.clearance), date=_date_words(c.recorded_at, tz)
        )
        for c in _all_clearances(history)
        if c.recorded_at > first_flag and variant_id in c.clearance.variants
    ]


def _clipped(variant_id: str, intake: Intake, given: float, rules: SafetyRules) -> list[Reason]:
    """``SAFE-CLEARANCE-CLIPPED`` for each counting clearance asking for more than given."""
    return [
        rules.reason(
            "SAFE-CLEARANCE-CLIPPED",
            who=_who(c),
            asked=f"{c.max_knee_drop_deg:g}",
            given=f"{given:g}",
        )
        for c in intake.clearances
        if c.counts
        and variant_id in c.variants
        and c.max_knee_drop_deg is not None
        and c.max_knee_drop_deg > given
    ]


def _progression(
    history: PersonHistory,
    intake: Intake,
    permissions: Sequence[VariantPermission],
    flags: Sequence[SafetyFlag],
    library: PoseLibrary,
    rules: ProgressionRules,
    variant_id: str | None,
) -> ProgressionSuggestion | None:
    """Progression's suggestion for ``variant_id``, else the variant practised last, else
    the first allowed one."""
    sessions = sorted(history.sessions, key=lambda s: s.at)
    by_id = {p.variant_id: p for p in permissions}
    if variant_id is not None:
        pass
    elif sessions:
        variant_id = sessions[-1].outcome.variant_id
    else:
        first = next((p for p in permissions if p.cap_deg is not None), None)
        if first is None:
            return None
        variant_id = first.variant_id
    permission = by_id.get(variant_id)
    plan_cap = None
    if permission is not None and permission.plan_status is VariantStatus.ALLOWED:
        plan_cap = permission.plan_cap_deg
    ids = list(library.ids)
    next_variant = None
    if variant_id in ids and ids.index(variant_id) + 1 < len(ids):
        following = ids[ids.index(variant_id) + 1]
        status = by_id[following].plan_status.value if following in by_id else "not_allowed"
        if flags:
            status = "not_allowed"  # nothing unlocks while a flag is open
        next_variant = NextVariant(following, status)
    clearances = [
        ClearanceInfo(tuple(c.variants), c.max_knee_drop_deg, c.counts) for c in intake.clearances
    ]
    last_review = max((r.at for r in history.reviews), default=None)
    return suggest_progression(
        [s.outcome for s in sessions],
        variant_id=variant_id,
        plan_cap_deg=plan_cap,
        back_condition=has_back_condition(intake),
        clearances=clearances,
        next_variant=next_variant,
        rules=rules,
        current_cap_deg=None if permission is None else permission.cap_deg,
        open_flag=bool(flags),
        reviewed_at=last_review,
    )


def safety_rules_markdown(rules: SafetyRules | None = None) -> str:
    """The cross-session safety rules as a Markdown table, for clinicians to review."""
    rules = rules or load_safety_rules()

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = [
        "Safety across sessions (`rules/safety.yaml`, applied by `twistcoach.planning` for "
        "every surface; the numbers are `rules/progression.yaml`'s):",
        "",
        "| id | text shown | source |",
        "|---|---|---|",
    ]
    lines += [f"| `{r.id}` | {cell(r.text)} | {cell(r.source)} |" for r in rules.rules]
    return "\n".join(lines) + "\n"


__all__ = [
    "BackFeeling",
    "CheckIn",
    "ClinicianPlan",
    "DatedClearance",
    "DatedIntake",
    "FlagKind",
    "PastSession",
    "PersonHistory",
    "PracticeDecision",
    "Prescription",
    "SafetyFlag",
    "SafetyReview",
    "SafetyRules",
    "SafetyRulesError",
    "StaffDecision",
    "VariantPermission",
    "decide",
    "has_back_condition",
    "load_safety_rules",
    "may_clear",
    "parse_safety_rules",
    "safety_rules_markdown",
]
