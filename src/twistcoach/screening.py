"""Readiness screening: an :class:`~twistcoach.intake.Intake` in, a :class:`ReadinessPlan` out.

Pure core: the rules are data (``twistcoach/rules/screening.yaml``, validated into
:class:`RuleSet`), and :func:`screen` is a pure function of the intake, the pose library and
the rules. Only :func:`load_rules` touches files (the packaged YAML, read lazily).

How a plan is made
------------------
1. Every rule whose ``when`` matches the intake fires (any listed criterion is enough).
2. Each variant starts ``allowed`` with the library's own cap in its own measure: the knee
   drop for supine twists (``default_max_knee_drop_deg``), the trunk rotation for seated and
   standing twists (``default_max_trunk_rotation_deg``). Each firing rule's blocks raise the
   variant's status to at least their status, unless a counting clearance that names the
   variant may lift that block (``unlock``). Caps of firing rules and of clearances naming
   the variant lower the cap in the variant's measure; nothing raises it.
3. The plan's status is ``seek_care_now`` when an emergency rule fires; otherwise
   ``see_clinician_first`` when a rule demands it (and no clinician has cleared the person)
   or when no variant is allowed, even on a better day; otherwise ``rest_today`` when the
   pain is above the coach's stop; otherwise ``ready``.

So adding a red flag, a condition, pain, age (from 20: new back pain under 20 is itself a
red flag) or leg symptoms can only tighten a plan: status order ``ready < rest_today <
see_clinician_first < seek_care_now``, per variant ``allowed < needs_clearance <
not_allowed``, and caps never increase (the property tests check this).

Time: the intake's weeks of pregnancy and months since surgery count on from the day it
was answered (``answered_on``) to ``today``; a clearance dated before the surgery the
intake dates does not count.

Clearances: a clinician's always counts; a teacher's only when
``teacher_trained_for_back_problems`` is true. A clearance unlocks only the variants it
names, only for rules whose ``unlock`` allows that kind of clearance (emergency signs are
never unlocked), and caps the named supine variants at its ``max_knee_drop_deg`` and the named
seated and standing variants at its ``max_trunk_rotation_deg`` (any named clearance's cap is
applied, counted or not: a limit someone set is always respected). Given the person's date
(``today``), a clearance dated after it unlocks nothing yet: it counts from its date.
"""

from __future__ import annotations

import datetime as dt
import functools
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

import twistcoach.errors as _errors
from twistcoach.intake import (
    HIP_REPLACEMENTS,
    SURGERY_CONDITIONS,
    Activity,
    Clearance,
    ClearanceBy,
    Condition,
    Intake,
    LegSymptoms,
    RedFlag,
)
from twistcoach.poses.schema import (
    SOURCE_PATTERN,
    ContraindicationTag,
    PoseLibrary,
    Prop,
    RangeMeasure,
    TwistFamily,
    Variant,
)

RULES_PACKAGE = "twistcoach.rules"
RULES_FILE = "screening.yaml"

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class PlanStatus(StrEnum):
    """Overall readiness, least to most severe."""

    READY = "ready"
    REST_TODAY = "rest_today"
    SEE_CLINICIAN_FIRST = "see_clinician_first"
    SEEK_CARE_NOW = "seek_care_now"

    @property
    def rank(self) -> int:
        """0 for ready, 1 for rest_today, 2 for see_clinician_first, 3 for seek_care_now."""
        return list(PlanStatus).index(self)


class VariantStatus(StrEnum):
    """Readiness for one variant, least to most severe."""

    ALLOWED = "allowed"
    NEEDS_CLEARANCE = "needs_clearance"
    NOT_ALLOWED = "not_allowed"

    @property
    def rank(self) -> int:
        """0 for allowed, 1 for needs_clearance, 2 for not_allowed."""
        return list(VariantStatus).index(self)


class Unlock(StrEnum):
    """Which clearance naming a variant lifts a block."""

    NEVER = "never"
    CLINICIAN = "clinician"
    CLINICIAN_OR_TRAINED_TEACHER = "clinician_or_trained_teacher"

    def accepts(self, clearance: Clearance, today: dt.date | None = None) -> bool:
        """True when this clearance may lift a block of this kind on ``today``
        (:meth:`~twistcoach.intake.Clearance.counts_on`)."""
        if not clearance.counts_on(today) or self is Unlock.NEVER:
            return False
        if self is Unlock.CLINICIAN:
            return clearance.by is ClearanceBy.CLINICIAN
        return True


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_source(source: str) -> str:
    if not SOURCE_PATTERN.search(source):
        raise ValueError(f"source {source!r} must cite a CLINICAL.md section ('CLINICAL.md §3')")
    return source


# ---------------------------------------------------------------------------------------
# The rule table's schema
# ---------------------------------------------------------------------------------------


#: Conditions that are back pain themselves: ticking one says the person has back pain,
#: whatever pain and weeks they answered (a flare at 0/10 for 0 weeks at 75 is still back
#: pain at 75: contradictory answers read the stricter way).
BACK_PAIN_CONDITIONS: frozenset[Condition] = frozenset(
    {
        Condition.CHRONIC_LOW_BACK_PAIN,
        Condition.ACUTE_FLARE,
        Condition.HERNIATED_DISC,
        Condition.SCIATICA,
        Condition.SI_JOINT_PAIN,
        Condition.SPONDYLOLISTHESIS,
        Condition.SPINAL_STENOSIS,
    }
)


class AgeWithPain(_Model):
    """Back pain at an age that makes it a red flag (CLINICAL.md §2): the person has back
    pain (pain now, an episode of some length, or a back-pain condition ticked:
    :data:`BACK_PAIN_CONDITIONS`) and is older than ``over`` or younger
    than ``under``; with ``new_within_weeks``, only an episode shorter than that (new pain).
    """

    over: Annotated[int, Field(ge=0, le=120)] | None = None
    under: Annotated[int, Field(ge=0, le=120)] | None = None
    new_within_weeks: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _some_age(self) -> AgeWithPain:
        if self.over is None and self.under is None:
            raise ValueError("back_pain_at_age needs 'over' or 'under'")
        return self

    def matches(self, intake: Intake) -> bool:
        """True when this intake has back pain at such an age."""
        weeks = intake.pain_duration_weeks
        if intake.pain_now < 1 and weeks <= 0 and not intake.conditions & BACK_PAIN_CONDITIONS:
            return False
        if self.new_within_weeks is not None and weeks >= self.new_within_weeks:
            return False
        return (self.over is not None and intake.age > self.over) or (
            self.under is not None and intake.age < self.under
        )


def _surgery_within(intake: Intake, which: frozenset[Condition], months: float | None) -> bool:
    """True when the intake has one of the surgeries ``which`` less than ``months`` ago.

    Unknown timing counts as recent: fail safe. So does one date given for several
    surgeries (the spine and a hip, or two hips): it may be another one's.
    """
    if months is None or not intake.conditions & which:
        return False
    return (
        intake.surgery_months_ago is None
        or len(intake.conditions & SURGERY_CONDITIONS) > 1
        or intake.surgery_months_ago < months
    )


class When(_Model):
    """Criteria of a rule; the rule fires when ANY of them matches."""

    red_flags: frozenset[RedFlag] = frozenset()
    conditions: frozenset[Condition] = frozenset()
    leg_symptoms: frozenset[LegSymptoms] = frozenset()
    activity: frozenset[Activity] = frozenset()
    pain_now_at_least: Annotated[int, Field(ge=0, le=10)] | None = None
    age_at_least: Annotated[int, Field(ge=0, le=120)] | None = None
    pregnancy_weeks_at_least: Annotated[int, Field(ge=0, le=45)] | None = None
    spinal_surgery_within_months: Annotated[float, Field(gt=0)] | None = None
    hip_replacement_within_months: Annotated[float, Field(gt=0)] | None = None
    back_pain_at_age: AgeWithPain | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if self == When.model_construct():
            raise ValueError("'when' needs at least one criterion")
        return self

    def matches(self, intake: Intake) -> bool:
        """True when any criterion holds for this intake."""
        return bool(
            self.red_flags & intake.red_flags
            or self.conditions & intake.conditions
            or intake.leg_symptoms in self.leg_symptoms
            or intake.activity in self.activity
            or (self.pain_now_at_least is not None and intake.pain_now >= self.pain_now_at_least)
            or (self.age_at_least is not None and intake.age >= self.age_at_least)
            or (
                self.pregnancy_weeks_at_least is not None
                and Condition.PREGNANCY in intake.conditions
                # Unknown weeks count as later pregnancy: fail safe.
                and (
                    intake.pregnancy_weeks is None
                    or intake.pregnancy_weeks >= self.pregnancy_weeks_at_least
                )
            )
            or _surgery_within(
                intake, frozenset({Condition.SPINAL_SURGERY}), self.spinal_surgery_within_months
            )
            or _surgery_within(intake, HIP_REPLACEMENTS, self.hip_replacement_within_months)
            or (self.back_pain_at_age is not None and self.back_pain_at_age.matches(intake))
        )


class Select(_Model):
    """Which variants an effect applies to: all, or by family, id or tag, minus exceptions."""

    all: bool = False
    families: frozenset[TwistFamily] = frozenset()
    variants: frozenset[str] = frozenset()
    tags: frozenset[ContraindicationTag] = frozenset()
    except_variants: frozenset[str] = frozenset()

    def matches(self, variant: Variant) -> bool:
        """True when the effect applies to ``variant``."""
        if variant.id in self.except_variants:
            return False
        return (
            self.all
            or variant.family in self.families
            or variant.id in self.variants
            or bool(self.tags & set(variant.contraindication_tags))
        )

    def named_ids(self) -> frozenset[str]:
        """Variant ids this selection names explicitly (checked against the library)."""
        return self.variants | self.except_variants


class Block(_Model):
    """Raise the selected variants' status to at least ``status`` unless ``unlock``-ed."""

    select: Select
    status: VariantStatus
    unlock: Unlock

    @model_validator(mode="after")
    def _blocks(self) -> Block:
        if self.status is VariantStatus.ALLOWED:
            raise ValueError("a block's status must be needs_clearance or not_allowed")
        return self


class Cap(_Model):
    """Range ceilings, degrees, for the selected variants, each in its own measure.

    ``max_knee_drop_deg`` applies to the selected supine variants, ``max_trunk_rotation_deg``
    to the selected seated and standing ones; at least one is given.
    """

    select: Select
    max_knee_drop_deg: Annotated[float, Field(gt=0, le=90)] | None = None
    max_trunk_rotation_deg: Annotated[float, Field(gt=0, le=45)] | None = None

    @model_validator(mode="after")
    def _some_ceiling(self) -> Cap:
        if self.max_knee_drop_deg is None and self.max_trunk_rotation_deg is None:
            raise ValueError("a cap needs max_knee_drop_deg and/or max_trunk_rotation_deg")
        return self

    def ceiling(self, measure: RangeMeasure) -> float | None:
        """The ceiling in ``measure``, degrees (None when this cap sets none there)."""
        if measure is RangeMeasure.KNEE_DROP:
            return self.max_knee_drop_deg
        return self.max_trunk_rotation_deg


class AddProps(_Model):
    """Props added to the selected variants."""

    select: Select
    props: Annotated[tuple[Prop, ...], Field(min_length=1)]


class PositionWords(_Model):
    """A rule's words on the variants of one position (a family: lying, seated, standing)
    where its general words would be wrong there ("start with the supine twist" on an
    allowed seated twist). Either part may be left out: the rule's own is said then."""

    text: Text | None = None
    advice: tuple[Text, ...] | None = None

    @model_validator(mode="after")
    def _some_words(self) -> PositionWords:
        if self.text is None and self.advice is None:
            raise ValueError("by_position words need a text and/or advice")
        return self


class Rule(_Model):
    """One screening rule (see ``rules/screening.yaml`` for the vocabulary).

    ``text`` and ``advice`` are said on every variant, unless ``by_position`` gives the
    variant's family its own (:meth:`text_for`, :meth:`advice_for`).
    """

    id: RuleId
    title: Text
    when: When
    plan_status: PlanStatus | None = None
    plan_status_unlock: Unlock = Unlock.NEVER
    blocks: tuple[Block, ...] = ()
    caps: tuple[Cap, ...] = ()
    props: tuple[AddProps, ...] = ()
    applies_to: Select | None = None
    #: The variants on which the pelvis turns with the trunk rather than staying square
    #: (CLINICAL.md §3, pregnancy and SI-joint pain): their plan says so
    #: (:attr:`VariantDecision.pelvis_turns`) and the coach's cues follow it.
    pelvis_turns: Select | None = None
    text: Text
    source: Text
    advice: tuple[Text, ...] = ()
    by_position: dict[TwistFamily, PositionWords] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid(self) -> Rule:
        _check_source(self.source)
        if self.plan_status is PlanStatus.READY:
            raise ValueError(f"rule {self.id!r}: plan_status 'ready' tightens nothing")
        if self.plan_status is PlanStatus.SEEK_CARE_NOW and self.plan_status_unlock is not (
            Unlock.NEVER
        ):
            raise ValueError(f"rule {self.id!r}: emergency status can never be unlocked")
        return self

    def text_for(self, family: TwistFamily) -> str:
        """The rule's reason on a variant of ``family`` (its position's words, else its own)."""
        words = self.by_position.get(family)
        return words.text if words is not None and words.text is not None else self.text

    def advice_for(self, families: tuple[TwistFamily, ...]) -> tuple[str, ...]:
        """The rule's advice on a plan whose allowed variants are of ``families`` (each
        position's own lines, else the rule's; the rule's own when none is allowed)."""
        lines: list[str] = []
        for family in families or (None,):
            words = self.by_position.get(family) if family is not None else None
            own = words.advice if words is not None and words.advice is not None else None
            lines.extend(a for a in (self.advice if own is None else own) if a not in lines)
        return tuple(lines)


class Note(_Model):
    """A reason the engine gives on its own (text may hold ``{placeholders}``), with its
    short label (a rule's title plays that part)."""

    label: Text
    text: Text
    source: Text

    @model_validator(mode="after")
    def _valid(self) -> Note:
        _check_source(self.source)
        return self


REQUIRED_NOTES = (
    "range_cap",
    "rotation_cap",
    "clearance_applied",
    "clearance_cap",
    "clearance_rotation_cap",
    "clearance_not_counted",
    "clearance_not_yet",
    "clearance_before_surgery",
    "clearance_cannot_lift",
    "clearance_needs_clinician",
    "unlock_hint_clinician",
    "unlock_hint_teacher",
    "no_variant_allowed",
)


class RuleSet(_Model):
    """The whole rule table: rules in order, engine notes, general advice."""

    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]
    notes: dict[RuleId, Note]
    general_advice: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> RuleSet:
        ids = [rule.id for rule in self.rules] + list(self.notes)
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {dupes}")
        missing = [name for name in REQUIRED_NOTES if name not in self.notes]
        if missing:
            raise ValueError(f"notes missing: {missing}")
        return self

    def label(self, reason: Reason) -> str:
        """A reason named in a few words: its rule's title, or its engine note's label; a
        reason from another layer (planning's safety rules) in its own text. Never the id:
        people do not read internal ids."""
        for rule in self.rules:
            if rule.id == reason.rule:
                return rule.title
        note = self.notes.get(reason.rule)
        return note.label if note is not None else reason.text

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (``KeyError`` otherwise)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"unknown rule {rule_id!r}")

    def named_variant_ids(self) -> frozenset[str]:
        """Every variant id the rules name (must exist in the library)."""
        names: set[str] = set()
        for rule in self.rules:
            selects = [e.select for e in rule.blocks]
            selects += [e.select for e in rule.caps]
            selects += [e.select for e in rule.props]
            selects += [rule.pelvis_turns] if rule.pelvis_turns is not None else []
            for select in selects:
                names |= select.named_ids()
        return frozenset(names)


class RulesError(_errors.RuleFileError):
    """The rule table is invalid; the message names the problem."""


def parse_rules(data: object) -> RuleSet:
    """Validate already-parsed rule data (the YAML mapping)."""
    from pydantic import ValidationError

    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in exc.errors()
        ]
        raise RulesError("invalid screening rules:\n" + "\n".join(lines)) from exc


@functools.cache  # a packaged, frozen table: read and validated once per process
def load_rules() -> RuleSet:
    """Load the packaged rule table (``twistcoach/rules/screening.yaml``), once."""
    from twistcoach.rulefiles import load_packaged

    return load_packaged(f"rules/{RULES_FILE}", parse_rules)


# ---------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------


class Reason(_Model):
    """Why: the rule's id, plain-language text and its CLINICAL.md source."""

    rule: str
    text: str
    source: str


class RangeCap(_Model):
    """An allowed variant's cap in its own measure.

    Attributes
    ----------
    measure
        ``knee_drop`` (supine twists) or ``trunk_rotation`` (seated and standing twists).
    max_deg
        The ceiling, degrees either way, never above the variant's own cap.
    """

    measure: RangeMeasure
    max_deg: float


class VariantDecision(_Model):
    """The decision for one variant.

    Attributes
    ----------
    id, family
        The variant.
    status
        :class:`VariantStatus`.
    max_knee_drop_deg
        Knee-drop cap in degrees (0 = knees up, about 90 = floor) for an allowed supine
        variant; None when the variant is not allowed or has no knee-drop metric (seated,
        standing).
    range
        The cap in the variant's own measure for every allowed variant (knee drop for
        supine, trunk rotation for seated and standing twists); None when not allowed.
    props
        Props to use (the variant's, plus any a rule adds).
    reasons
        Every rule that shaped the decision; never empty.
    not_lifting
        The counting clearances naming the variant that a rule blocking it does not accept
        (a teacher's where only a clinician's lifts it): they lift nothing here, so no
        reason may name them as the clearance in force (planning's clipped cap). Not part
        of the JSON shape.
    pelvis_turns
        True when a rule that fired lets the pelvis turn with the trunk on this variant
        (``pelvis_turns`` in ``rules/screening.yaml``): the coach then never asks for
        square hips (``rules/coaching_seated.yaml``). Not part of the JSON shape; live
        sessions read it from planning's own plan (:func:`twistcoach.session.coach_plan_for`).
    """

    id: str
    family: TwistFamily
    status: VariantStatus
    max_knee_drop_deg: float | None
    range: RangeCap | None
    props: tuple[Prop, ...]
    reasons: tuple[Reason, ...]
    not_lifting: tuple[Clearance, ...] = Field(default=(), exclude=True, repr=False)
    pelvis_turns: bool = Field(default=False, exclude=True)

    @model_validator(mode="after")
    def _cap_consistent(self) -> VariantDecision:
        if (self.status is VariantStatus.ALLOWED) is not (self.range is not None):
            raise ValueError(f"{self.id}: an allowed variant, and only it, has a range cap")
        if self.range is not None and self.range.measure is RangeMeasure.KNEE_DROP:
            if self.max_knee_drop_deg != self.range.max_deg:
                raise ValueError(f"{self.id}: max_knee_drop_deg must equal the range cap")
        elif self.max_knee_drop_deg is not None:
            raise ValueError(f"{self.id}: max_knee_drop_deg is for allowed supine variants")
        return self

    @property
    def rotation_cap_deg(self) -> float | None:
        """The trunk-rotation cap in degrees (allowed seated and standing variants), else None."""
        if self.range is None or self.range.measure is not RangeMeasure.TRUNK_ROTATION:
            return None
        return self.range.max_deg

    @property
    def allowed(self) -> bool:
        """True when the person may practise this variant now."""
        return self.status is VariantStatus.ALLOWED


class ReadinessPlan(_Model):
    """The screening result; ``model_dump(mode="json")`` is the documented JSON shape.

    ``{"status", "variants": [{"id", "family", "status", "max_knee_drop_deg",
    "range": {"measure", "max_deg"} | null, "props", "reasons": [{"rule", "text",
    "source"}]}], "advice": [...]}``
    """

    status: PlanStatus
    variants: tuple[VariantDecision, ...]
    advice: tuple[str, ...]

    def decision(self, variant_id: str) -> VariantDecision:
        """The decision for one variant; ``KeyError`` naming the known ids otherwise."""
        for decision in self.variants:
            if decision.id == variant_id:
                return decision
        known = ", ".join(d.id for d in self.variants)
        raise KeyError(f"unknown variant {variant_id!r}; known: {known}")

    def allowed_variants(self) -> tuple[VariantDecision, ...]:
        """Allowed variants in difficulty order (empty unless the status is ready)."""
        return tuple(d for d in self.variants if d.allowed)

    def is_allowed(self, variant_id: str) -> bool:
        """True when ``variant_id`` is allowed now (False for unknown ids: fail safe)."""
        return any(d.id == variant_id and d.allowed for d in self.variants)

    def fired_rules(self) -> tuple[str, ...]:
        """Ids of every rule cited anywhere in the plan, in first-cited order."""
        seen: dict[str, None] = {}
        for decision in self.variants:
            for reason in decision.reasons:
                seen.setdefault(reason.rule, None)
        return tuple(seen)

    def to_json_dict(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return self.model_dump(mode="json")


class ScreeningError(_errors.DataError):
    """The intake does not fit the pose library (e.g. a clearance names an unknown variant)."""


_UNLOCK_HINTS = {
    Unlock.CLINICIAN: "unlock_hint_clinician",
    Unlock.CLINICIAN_OR_TRAINED_TEACHER: "unlock_hint_teacher",
}


def _check_names(intake: Intake, library: PoseLibrary, rules: RuleSet) -> None:
    unknown_in_rules = sorted(rules.named_variant_ids() - set(library.ids))
    if unknown_in_rules:
        raise ScreeningError(f"screening rules name unknown variants: {unknown_in_rules}")
    for index, clearance in enumerate(intake.clearances):
        unknown = [v for v in clearance.variants if v not in library]
        if unknown:
            raise ScreeningError(
                f"clearances.{index}.variants: unknown variant(s) {', '.join(unknown)}; "
                f"known: {', '.join(library.ids)}"
            )


def firing_rules(intake: Intake, rules: RuleSet | None = None) -> tuple[str, ...]:
    """Ids of the rules whose ``when`` matches the intake, in table order."""
    rules = load_rules() if rules is None else rules
    return tuple(rule.id for rule in rules.rules if rule.when.matches(intake))


def screen(
    intake: Intake,
    library: PoseLibrary,
    rules: RuleSet | None = None,
    *,
    today: dt.date | None = None,
    answered_on: dt.date | None = None,
) -> ReadinessPlan:
    """Decide which variants the person may practise, how far, and why.

    Parameters
    ----------
    intake
        The person's answers.
    library
        The pose library (every variant gets a decision, in difficulty order).
    rules
        The rule table; defaults to the packaged one (:func:`load_rules`).
    today
        The person's calendar date: a clearance dated after it unlocks nothing yet
        (``clearance_not_yet``; its cap still applies). ``None`` (no calendar known) leaves
        dates unchecked; every product surface passes it.
    answered_on
        The day the intake was answered (default ``today``): its weeks of pregnancy and
        months since surgery are counted on from it to ``today``
        (:func:`intake_as_of`), and a clearance dated before a surgery it dates does not
        count (``clearance_before_surgery``: it cleared a body the surgery has changed).

    Returns
    -------
    ReadinessPlan
        See the module docs for how it is made.

    Raises
    ------
    ScreeningError
        When a clearance (or a rule) names a variant that is not in the library.
    """
    rules = load_rules() if rules is None else rules
    _check_names(intake, library, rules)
    notes = rules.notes
    answered = answered_on if answered_on is not None else today
    void = _before_surgery(intake, answered)  # its months counted from the day answered
    intake = intake_as_of(intake, answered, today)
    fired = [rule for rule in rules.rules if rule.when.matches(intake)]
    decisions = [_decide(variant, intake, fired, rules, today, void) for variant in library]

    status = PlanStatus.READY
    has_clinician = any(
        c.counts_on(today) and c.by is ClearanceBy.CLINICIAN and c not in void
        for c in intake.clearances
    )
    lifted_rules: set[str] = set()
    for rule in fired:
        if rule.plan_status is None:
            continue
        lifted = rule.plan_status_unlock is Unlock.CLINICIAN and has_clinician
        if lifted:
            lifted_rules.add(rule.id)
        elif rule.plan_status.rank > status.rank:
            status = rule.plan_status
    if status is PlanStatus.READY and not any(d.allowed for d in decisions):
        status = PlanStatus.SEE_CLINICIAN_FIRST
    elif status is PlanStatus.REST_TODAY:
        # A rest day hides nothing: when no variant would be allowed on a better day
        # either, the person still sees a clinician first.
        other = [rule for rule in fired if rule.plan_status is not PlanStatus.REST_TODAY]
        if not any(_decide(v, intake, other, rules, today, void).allowed for v in library):
            status = PlanStatus.SEE_CLINICIAN_FIRST

    advice: list[str] = []
    # Advice said for the positions the person may practise (sitting: "let the pelvis turn
    # with the trunk", not "roll with your knees"), gentlest first.
    families = tuple(dict.fromkeys(d.family for d in decisions if d.allowed))
    for rule in fired:
        if status is PlanStatus.SEEK_CARE_NOW and rule.plan_status is not status:
            continue  # care today is the whole advice: nothing about how to practise
        if rule.id in lifted_rules:
            continue  # "see a clinician first" once a clinician has cleared the person
        advice.extend(a for a in rule.advice_for(families) if a not in advice)
    if status is not PlanStatus.SEEK_CARE_NOW:
        if status is PlanStatus.SEE_CLINICIAN_FIRST and not any(d.allowed for d in decisions):
            advice.append(notes["no_variant_allowed"].text)
        advice.extend(a for a in rules.general_advice if a not in advice)
    return ReadinessPlan(status=status, variants=tuple(decisions), advice=tuple(advice))


#: Days in a month, for months since a surgery (365.25 / 12).
_DAYS_PER_MONTH = 30.44


def intake_as_of(intake: Intake, answered_on: dt.date | None, today: dt.date | None) -> Intake:
    """The intake with its weeks of pregnancy and months since surgery counted on from the
    day it was answered to ``today`` (an intake answered at 18 weeks is at 22 a month
    later; kept within the fields' bounds). Unchanged when either day is unknown or
    ``today`` is not later."""
    if answered_on is None or today is None or today <= answered_on:
        return intake
    days = (today - answered_on).days
    update: dict[str, object] = {}
    if intake.pregnancy_weeks is not None:
        update["pregnancy_weeks"] = min(45, intake.pregnancy_weeks + days // 7)
    if intake.surgery_months_ago is not None:
        months = intake.surgery_months_ago + days / _DAYS_PER_MONTH
        update["surgery_months_ago"] = min(1200.0, months)
    return intake.model_copy(update=update) if update else intake


def _before_surgery(intake: Intake, answered_on: dt.date | None) -> frozenset[Clearance]:
    """The intake's clearances dated before the surgery its ``surgery_months_ago`` dates
    (counted back from the day it was answered): none when either is unknown."""
    months = intake.surgery_months_ago
    if months is None or answered_on is None:
        return frozenset()
    surgery_on = answered_on - dt.timedelta(days=round(months * _DAYS_PER_MONTH))
    return frozenset(c for c in intake.clearances if c.date < surgery_on)


def _decide(
    variant: Variant,
    intake: Intake,
    fired: list[Rule],
    rules: RuleSet,
    today: dt.date | None,
    void: frozenset[Clearance] = frozenset(),
) -> VariantDecision:
    notes = rules.notes
    reasons: list[Reason] = []

    def add(rule: str, text: str, source: str) -> None:
        reason = Reason(rule=rule, text=text, source=source)
        if reason not in reasons:
            reasons.append(reason)

    def add_cap(rule: Rule, text: str) -> None:
        # A rule that already explained itself here (a block a clearance lifted) says its
        # cap in that same reason, not in a second copy of its words.
        plain = Reason(rule=rule.id, text=rule.text_for(variant.family), source=rule.source)
        if plain in reasons:
            reasons[reasons.index(plain)] = plain.model_copy(update={"text": text})
        else:
            add(rule.id, text, rule.source)

    naming = [c for c in intake.clearances if variant.id in c.variants]
    for clearance in [c for c in naming if c in void]:
        note = notes["clearance_before_surgery"]
        text = note.text.format(who=clearance.who, date=clearance.date.isoformat())
        add("clearance_before_surgery", text, note.source)
    naming = [c for c in naming if c not in void]
    not_lifting: list[Clearance] = []
    for clearance in naming:
        if not clearance.counts:
            note = notes["clearance_not_counted"]
            add("clearance_not_counted", note.text.format(who=clearance.who), note.source)
        elif not clearance.counts_on(today):
            note = notes["clearance_not_yet"]
            text = note.text.format(who=clearance.who, date=clearance.date.isoformat())
            add("clearance_not_yet", text, note.source)

    # A block no clearance lifts (emergency signs) makes every unlock hint on this variant
    # untrue: "no clearance overrides this" and "a clinician's clearance can unlock it"
    # must never stand side by side.
    locked = any(
        block.unlock is Unlock.NEVER and block.select.matches(variant)
        for rule in fired
        for block in rule.blocks
    )
    status = VariantStatus.ALLOWED
    for rule in fired:
        for block in rule.blocks:
            if not block.select.matches(variant):
                continue
            # The counting clearances naming the variant that this block does not accept
            # (a teacher's where only a clinician's lifts it) lift nothing here.
            refused = [
                c for c in naming if c.counts_on(today) and not block.unlock.accepts(c, today)
            ]
            not_lifting.extend(c for c in refused if c not in not_lifting)
            if block.unlock is Unlock.NEVER:
                # A counting clearance naming the variant meets a rule no clearance lifts:
                # say so, rather than leave the clinician's clearance unexplained (one that
                # does not count has its own note above).
                note = notes["clearance_cannot_lift"]
                for clearance in refused:
                    text = note.text.format(who=clearance.who, rule=rule.title)
                    add("clearance_cannot_lift", text, note.source)
            if locked and block.unlock is not Unlock.NEVER:
                # Locked for good: only the locking rules explain it. A rule a clearance
                # could lift ("start with the supported twist", "a clinician clears it")
                # would contradict "no clearance overrides this".
                continue
            lifting = next((c for c in naming if block.unlock.accepts(c, today)), None)
            if lifting is not None and locked:
                continue  # lifted, but the variant stays locked: no "cleared" note either
            if lifting is not None:
                add(rule.id, rule.text_for(variant.family), rule.source)
                note = notes["clearance_applied"]
                text = note.text.format(
                    who=lifting.who, date=lifting.date.isoformat(), rule=rule.title
                )
                add("clearance_applied", text, note.source)
                # Another's clearance this rule does not accept (a teacher's, where only a
                # clinician lifts it) is not the one in force: said, never left to look as
                # if it counted.
                note = notes["clearance_needs_clinician"]
                for clearance in refused:
                    text = note.text.format(who=clearance.who, rule=rule.title)
                    add("clearance_needs_clinician", text, note.source)
                continue
            add(rule.id, rule.text_for(variant.family), rule.source)
            if block.unlock is Unlock.CLINICIAN:
                # A trained teacher's counting clearance meets a rule only a clinician
                # lifts: say so, never leave it silently unused.
                note = notes["clearance_needs_clinician"]
                for clearance in refused:
                    text = note.text.format(who=clearance.who, rule=rule.title)
                    add("clearance_needs_clinician", text, note.source)
            hint = _UNLOCK_HINTS.get(block.unlock)
            if hint is not None and not locked:
                add(hint, notes[hint].text, notes[hint].source)
            if block.status.rank > status.rank:
                status = block.status

    if any(r.rule == "unlock_hint_clinician" for r in reasons):
        # One block needs a clinician: "a back-trained teacher can unlock it" would send the
        # person to the wrong professional.
        reasons = [r for r in reasons if r.rule != "unlock_hint_teacher"]
    for rule in fired:
        # Rules that only advise still explain themselves on the variants they concern
        # (not on one locked for good: there is nothing to practise).
        if rule.applies_to is not None and rule.applies_to.matches(variant) and not locked:
            add(rule.id, rule.text_for(variant.family), rule.source)

    props = list(variant.props)
    for rule in fired:
        for extra in rule.props:
            if extra.select.matches(variant):
                props.extend(p for p in extra.props if p not in props)

    range_cap: RangeCap | None = None
    if status is VariantStatus.ALLOWED:
        measure = variant.measure
        knee = measure is RangeMeasure.KNEE_DROP
        what = "knee drop" if knee else "trunk rotation"
        full, cap = variant.full_range_deg, variant.default_max_deg
        for rule in fired:
            for ceiling in rule.caps:
                limit = ceiling.ceiling(measure)
                if limit is not None and ceiling.select.matches(variant):
                    said = rule.text_for(variant.family)
                    add_cap(rule, f"{said} ({what} at most {limit:g} degrees)")
                    cap = min(cap, limit)
        for clearance in naming:
            limit = clearance.max_knee_drop_deg if knee else clearance.max_trunk_rotation_deg
            if limit is not None:
                note_id = "clearance_cap" if knee else "clearance_rotation_cap"
                note = notes[note_id]
                add(note_id, note.text.format(who=clearance.who, cap=limit), note.source)
                cap = min(cap, limit)
        cap_note = "range_cap" if knee else "rotation_cap"
        note = notes[cap_note]
        add(cap_note, note.text.format(cap=cap, full=full), note.source)
        range_cap = RangeCap(measure=measure, max_deg=cap)

    return VariantDecision(
        id=variant.id,
        family=variant.family,
        status=status,
        max_knee_drop_deg=(
            range_cap.max_deg
            if range_cap is not None and range_cap.measure is RangeMeasure.KNEE_DROP
            else None
        ),
        range=range_cap,
        props=tuple(props),
        reasons=tuple(reasons),
        not_lifting=tuple(not_lifting),
        pelvis_turns=any(
            rule.pelvis_turns is not None and rule.pelvis_turns.matches(variant) for rule in fired
        ),
    )


# ---------------------------------------------------------------------------------------
# The rule table for people: docs/screening.md is generated from it (a test checks)
# ---------------------------------------------------------------------------------------


def _describe_select(select: Select) -> str:
    if select.all:
        parts = ["all variants"]
    else:
        parts = [f"{family.value} family" for family in sorted(select.families)]
        parts += sorted(select.variants)
        parts += [f"tag {tag.value}" for tag in sorted(select.tags)]
    text = ", ".join(parts)
    if select.except_variants:
        text += " except " + ", ".join(sorted(select.except_variants))
    return text


def _describe_when(when: When) -> str:
    parts: list[str] = []
    for label, values in (
        ("red flags", when.red_flags),
        ("conditions", when.conditions),
        ("leg_symptoms", when.leg_symptoms),
        ("activity", when.activity),
    ):
        if values:
            parts.append(f"{label}: " + ", ".join(sorted(v.value for v in values)))
    if when.pain_now_at_least is not None:
        parts.append(f"pain_now ≥ {when.pain_now_at_least}")
    if when.age_at_least is not None:
        parts.append(f"age ≥ {when.age_at_least}")
    if when.pregnancy_weeks_at_least is not None:
        parts.append(f"pregnancy_weeks ≥ {when.pregnancy_weeks_at_least} (or unknown)")
    if when.spinal_surgery_within_months is not None:
        parts.append(
            f"spinal_surgery less than {when.spinal_surgery_within_months:g} months ago "
            "(or unknown, or one date for the spine and a hip)"
        )
    if when.hip_replacement_within_months is not None:
        hips = ", ".join(sorted(c.value for c in HIP_REPLACEMENTS))
        parts.append(
            f"a hip replacement ({hips}) less than {when.hip_replacement_within_months:g} "
            "months ago (or unknown, or one date for it and another surgery)"
        )
    at = when.back_pain_at_age
    if at is not None:
        ages = [f"{side} {age}" for side, age in (("over", at.over), ("under", at.under)) if age]
        new = f" begun under {at.new_within_weeks:g} weeks ago" if at.new_within_weeks else ""
        parts.append(f"back pain (now, or an episode){new} at age {' or '.join(ages)}")
    return "; or ".join(parts)


def _describe_effects(rule: Rule) -> str:
    parts: list[str] = []
    if rule.plan_status is not None:
        lifted = (
            " (lifted by any clinician's clearance)"
            if rule.plan_status_unlock is Unlock.CLINICIAN
            else " (never lifted)"
        )
        parts.append(f"plan **{rule.plan_status.value}**{lifted}")
    for block in rule.blocks:
        parts.append(
            f"{_describe_select(block.select)} → **{block.status.value}** "
            f"(unlocked by: {block.unlock.value.replace('_', ' ')})"
        )
    for cap in rule.caps:
        if cap.max_knee_drop_deg is not None:
            parts.append(
                f"{_describe_select(cap.select)}: knee drop ≤ {cap.max_knee_drop_deg:g}° (supine)"
            )
        if cap.max_trunk_rotation_deg is not None:
            parts.append(
                f"{_describe_select(cap.select)}: trunk rotation ≤ "
                f"{cap.max_trunk_rotation_deg:g}° (seated, standing)"
            )
    for extra in rule.props:
        parts.append(
            f"{_describe_select(extra.select)}: add " + ", ".join(p.value for p in extra.props)
        )
    if rule.pelvis_turns is not None:
        parts.append(
            f"{_describe_select(rule.pelvis_turns)}: the pelvis turns with the trunk "
            "(the coach's cues never ask for square hips)"
        )
    if rule.advice:
        parts.append("advice: " + " / ".join(rule.advice))
    for family, words in rule.by_position.items():
        if words.advice is not None:
            parts.append(f"advice on a {_position(family)}: " + " / ".join(words.advice))
    return "<br>".join(parts) or "advice only"


def _position(family: TwistFamily) -> str:
    return family.value.replace("_", " ")


def _describe_reason(rule: Rule) -> str:
    """The rule's reason, and each position's own words where it has them."""
    parts = [rule.text]
    for family, words in rule.by_position.items():
        if words.text is not None:
            parts.append(f"On a {_position(family)}: {words.text}")
    return "<br>".join(parts)


def rules_markdown(rules: RuleSet, library: PoseLibrary) -> str:
    """The rule table, engine notes and range caps as Markdown, for clinicians to review."""

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = [
        "| id | rule | fires when (any of) | effect | reason given | source |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules.rules:
        lines.append(
            "| "
            + " | ".join(
                cell(part)
                for part in (
                    f"`{rule.id}`",
                    rule.title,
                    _describe_when(rule.when),
                    _describe_effects(rule),
                    _describe_reason(rule),
                    rule.source,
                )
            )
            + " |"
        )
    lines += [
        "",
        "Reasons the engine adds on its own:",
        "",
        "| id | text | source |",
        "|---|---|---|",
    ]
    for note_id, note in rules.notes.items():
        lines.append(f"| `{note_id}` | {cell(note.text)} | {cell(note.source)} |")
    lines += [
        "",
        "Each variant's own cap (no caution flag), before any rule lowers it:",
        "",
        "| variant | family | full range | own cap | share of range | measure |",
        "|---|---|---|---|---|---|",
    ]
    for variant in library:
        full, own = variant.full_range_deg, variant.default_max_deg
        lines.append(
            f"| `{variant.id}` | {variant.family.value} | {full:g}° | {own:g}° | "
            f"{round(100 * own / full)}% | {variant.measure.value.replace('_', ' ')} |"
        )
    lines += ["", "General advice on every plan that is not `seek_care_now`:", ""]
    lines += [f"- {cell(line)}" for line in rules.general_advice]
    return "\n".join(lines) + "\n"
