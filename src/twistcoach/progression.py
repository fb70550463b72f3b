"""Progression: from a person's session history to a suggestion for the next session.

Pure core: standard library and pydantic only; no clocks, no I/O except the thin
:func:`load_progression_rules` that reads the packaged ``rules/progression.yaml``.

The suggestion is only ever a suggestion, with its reasons: a teacher or clinician approves
it (the web dashboard) or the person reads it (``twistcoach progress``). The rules, in the
order they are tried (first match wins, so safety comes first):

1. ``PROG-START``: no sessions of this variant yet -> the plan's cap.
2. ``PROG-SHARP``: a session since the last staff review stopped for sharp pain, and
   planning has not let practice resume since (its day is not over, or no good check-in has
   been answered) -> pause twists, lower the cap (the whole history counts, not only the
   last session).
3. ``PROG-REVIEW``: pain rose (or a pain stop) in ``review_pain_sessions`` of the last
   ``review_window`` sessions since the last review -> see a healthcare professional,
   lower the cap.
3a. ``PROG-SHARP-RESUMED``: that sharp-pain stop, with practice resumed after a good
   check-in (``resumed_after_sharp``) -> the lowered cap, kept until a review (what planning
   allows now: the pages never say "rest" while the practice page offers a twist).
4. ``PROG-PAIN``: pain rose in the last session -> lower the cap one step.
5. ``PROG-HELD``: a safety flag waits for a review -> keep the cap (never raise, never
   unlock).
6. ``PROG-OVER``: the last session spent time over the cap -> keep it.
7. ``PROG-RAISE``: ``good_sessions_to_raise`` good sessions in a row at the current cap
   (completed, within the cap, pain recorded and not risen) -> raise one step, never past the
   ceiling: the plan's cap for the variant and every counting clearance's limit for it.
8. At the ceiling: ``PROG-UNLOCK`` the next harder variant when the plan allows it, but for
   someone with a back condition only when a recorded clearance names it
   (``PROG-CLEARANCE`` otherwise); else ``PROG-CEILING``.
9. ``PROG-KEEP``: otherwise keep the cap.

Angles are knee-drop caps in degrees (magnitude, either side; see DESIGN.md). The caps
actually used come from :func:`twistcoach.planning.decide`, which calls this function with
its cap folded over the whole history (``current_cap_deg``) and its open flags.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twistcoach.errors import RuleFileError
from twistcoach.rulefiles import load_packaged, validate

#: Stop reasons (``twistcoach.coaching.StopReason`` values) that mean pain ended a session.
PAIN_STOPS: frozenset[str] = frozenset({"pain_high", "pain_rise"})
SHARP_STOP = "sharp_pain"


# --------------------------------------------------------------------------- rules as data


#: The range measures a cap can be in (``poses.schema.RangeMeasure`` values).
Measure = Literal["knee_drop", "trunk_rotation"]


class MeasureSteps(BaseModel):
    """A cap's steps and floor in one measure's degrees (``rules/progression.yaml``'s
    ``trunk_rotation``; the knee drop's are the thresholds' own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raise_step_deg: float = Field(gt=0.0, le=20.0)
    lower_step_deg: float = Field(gt=0.0, le=30.0)
    min_cap_deg: float = Field(ge=0.0, le=90.0)


class ProgressionThresholds(BaseModel):
    """The numbers of ``rules/progression.yaml``.

    ``raise_step_deg``, ``lower_step_deg`` and ``min_cap_deg`` are knee-drop degrees (supine
    twists); ``trunk_rotation`` holds the same three in trunk-rotation degrees (seated and
    standing twists), whose normal range is half the knee drop's. :meth:`for_measure` gives
    the thresholds a variant's cap is stepped by.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    good_sessions_to_raise: int = Field(ge=1)
    raise_step_deg: float = Field(gt=0.0, le=20.0)
    lower_step_deg: float = Field(gt=0.0, le=30.0)
    min_cap_deg: float = Field(ge=0.0, le=90.0)
    over_cap_tolerance_s: float = Field(ge=0.0)
    review_window: int = Field(ge=1)
    review_pain_sessions: int = Field(ge=1)
    trunk_rotation: MeasureSteps

    @model_validator(mode="after")
    def _window(self) -> ProgressionThresholds:
        if self.review_pain_sessions > self.review_window:
            raise ValueError("review_pain_sessions cannot exceed review_window")
        return self

    def for_measure(self, measure: Measure | str) -> ProgressionThresholds:
        """These thresholds with the steps and floor in ``measure``'s degrees.

        Raises
        ------
        ValueError
            For a measure that is neither ``knee_drop`` nor ``trunk_rotation``.
        """
        if measure == "knee_drop":
            return self
        if measure == "trunk_rotation":
            return self.model_copy(update=self.trunk_rotation.model_dump())
        raise ValueError(f"unknown range measure {measure!r}")


def check_rule_ids(ids: Sequence[str], required: frozenset[str]) -> None:
    """Raise ValueError naming duplicate, missing or unknown ids of a rule table."""
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate rule id: {', '.join(dupes)}")
    missing = sorted(required - set(ids))
    if missing:
        raise ValueError(f"missing rules: {', '.join(missing)}")
    unknown = sorted(set(ids) - required)
    if unknown:
        raise ValueError(f"unknown rules: {', '.join(unknown)}")


class ProgressionRule(BaseModel):
    """One progression rule: id, text template and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^PROG-[A-Z0-9-]+$")
    text: str = Field(min_length=1)
    source: str = Field(pattern=r"CLINICAL\.md §\d")


REQUIRED_RULES: frozenset[str] = frozenset(
    {
        "PROG-START",
        "PROG-SHARP",
        "PROG-SHARP-RESUMED",
        "PROG-REVIEW",
        "PROG-PAIN",
        "PROG-OVER",
        "PROG-RAISE",
        "PROG-CEILING",
        "PROG-KEEP",
        "PROG-UNLOCK",
        "PROG-CLEARANCE",
        "PROG-HELD",
    }
)


class ProgressionRules(BaseModel):
    """The validated contents of ``rules/progression.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    thresholds: ProgressionThresholds
    rules: tuple[ProgressionRule, ...]

    @model_validator(mode="after")
    def _complete(self) -> ProgressionRules:
        check_rule_ids([r.id for r in self.rules], REQUIRED_RULES)
        return self

    def rule(self, rule_id: str) -> ProgressionRule:
        """The rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


class ProgressionRulesError(RuleFileError):
    """The progression rule file is invalid; the message names the problem."""


def parse_progression_rules(data: Any) -> ProgressionRules:
    """Validate parsed YAML into :class:`ProgressionRules` (errors name their field)."""
    return validate(ProgressionRules, data, ProgressionRulesError, "progression rules")


@functools.cache  # a packaged, frozen table: read and validated once per process
def load_progression_rules() -> ProgressionRules:
    """Read and validate the packaged ``twistcoach/rules/progression.yaml``."""
    return load_packaged("rules/progression.yaml", parse_progression_rules)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SessionOutcome:
    """One past session, as progression sees it.

    Attributes
    ----------
    date
        When it started (a date or an aware datetime; only the order matters).
    variant_id
        The variant practised.
    cap_deg
        The knee-drop cap the session started with, degrees.
    max_knee_drop_deg
        Largest measured |knee drop|, degrees (None when never measured).
    over_cap_s
        Seconds spent above the cap in force (per-second samples count one second each).
    start_pain, end_pain
        Pain 0-10 at the start and at the end (None when not recorded).
    max_pain
        Highest pain reported during the session (None when none was reported).
    stopped_reason
        ``twistcoach.coaching.StopReason`` value when the session was stopped
        (``sharp_pain``, ``pain_high``, ``pain_rise``, ``wrong_pose``, ``quit``), or
        ``"interrupted"`` when the process died; None when it was completed.
    """

    date: dt.date | dt.datetime
    variant_id: str
    cap_deg: float
    max_knee_drop_deg: float | None
    over_cap_s: float
    start_pain: int | None
    end_pain: int | None
    max_pain: int | None = None
    stopped_reason: str | None = None

    @property
    def pain_rise(self) -> int | None:
        """Highest reported pain minus the starting pain (None when either is unknown)."""
        if self.start_pain is None:
            return None
        values = [v for v in (self.end_pain, self.max_pain) if v is not None]
        if not values:
            return None
        return max(values) - self.start_pain

    @property
    def pain_went_up(self) -> bool:
        """True when pain rose or pain stopped the session."""
        rise = self.pain_rise
        return (rise is not None and rise > 0) or self.stopped_reason in PAIN_STOPS


@dataclass(frozen=True)
class ClearanceInfo:
    """A recorded clearance, as progression needs it.

    Attributes
    ----------
    variants
        Variant ids it names.
    max_knee_drop_deg
        Its limit in degrees of the progressed variant's measure (the knee drop's for a
        supine twist, the trunk rotation's for a seated or standing one; the name is the
        older one), None for none.
    counts
        True for a clinician's clearance, or a teacher's who is trained for back problems
        (any other teacher's clearance does not count: CLINICAL.md §3).
    """

    variants: tuple[str, ...]
    max_knee_drop_deg: float | None
    counts: bool = True


@dataclass(frozen=True)
class NextVariant:
    """The next harder variant in the library, and what today's plan says about it.

    ``plan_status`` is the readiness plan's status for it: ``allowed``, ``needs_clearance``
    or ``not_allowed``.
    """

    variant_id: str
    plan_status: str


# --------------------------------------------------------------------------- the result


class ProgressionAction(StrEnum):
    """What the suggestion amounts to."""

    START = "start"
    KEEP = "keep"
    RAISE_CAP = "raise_cap"
    LOWER_CAP = "lower_cap"
    PAUSE = "pause"
    SEE_CLINICIAN = "see_clinician"
    UNLOCK_VARIANT = "unlock_variant"
    NEEDS_CLEARANCE = "needs_clearance"


@dataclass(frozen=True)
class ProgressionReason:
    """Why: the rule's id, its plain-language text and its CLINICAL.md source."""

    rule: str
    text: str
    source: str


@dataclass(frozen=True)
class ProgressionSuggestion:
    """The suggestion for the next session.

    Attributes
    ----------
    action
        :class:`ProgressionAction`.
    variant_id
        The variant the history was about.
    current_cap_deg
        The cap of the latest session of the variant (the plan's when none), degrees; None
        for variants without a knee-drop measure.
    suggested_cap_deg
        The cap suggested for the next session of this variant, degrees (None as above).
    ceiling_deg
        The most the plan and the clearances allow for the variant, degrees.
    next_variant_id
        The harder variant named by ``unlock_variant`` or ``needs_clearance``, else None.
    good_streak
        Good sessions in a row at the current cap.
    reasons
        The rules that decided, never empty.
    """

    action: ProgressionAction
    variant_id: str
    current_cap_deg: float | None
    suggested_cap_deg: float | None
    ceiling_deg: float | None
    next_variant_id: str | None
    good_streak: int
    reasons: tuple[ProgressionReason, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"action", "variant_id", ..., "reasons": [{"rule", "text", ...}]}``."""
        return {
            "action": self.action.value,
            "variant_id": self.variant_id,
            "current_cap_deg": self.current_cap_deg,
            "suggested_cap_deg": self.suggested_cap_deg,
            "ceiling_deg": self.ceiling_deg,
            "next_variant_id": self.next_variant_id,
            "good_streak": self.good_streak,
            "reasons": [{"rule": r.rule, "text": r.text, "source": r.source} for r in self.reasons],
        }


# --------------------------------------------------------------------------- the function


def _key_of(d: dt.date | dt.datetime) -> tuple[dt.date, float]:
    if isinstance(d, dt.datetime):
        return (d.date(), d.timestamp())
    return (d, 0.0)


def _sort_key(outcome: SessionOutcome) -> tuple[dt.date, float]:
    return _key_of(outcome.date)


def suggest_progression(
    history: Sequence[SessionOutcome],
    *,
    variant_id: str,
    plan_cap_deg: float | None,
    back_condition: bool,
    clearances: Sequence[ClearanceInfo] = (),
    next_variant: NextVariant | None = None,
    rules: ProgressionRules | None = None,
    current_cap_deg: float | None = None,
    open_flag: bool = False,
    reviewed_at: dt.datetime | None = None,
    measure: Measure | str = "knee_drop",
    resumed_after_sharp: bool = False,
) -> ProgressionSuggestion:
    """Suggest the next session's cap (or a pause, a review, or the next variant).

    Parameters
    ----------
    history
        The person's sessions (any order; other variants are ignored).
    variant_id
        The variant being progressed.
    plan_cap_deg
        Today's readiness plan cap for the variant, degrees (None: no knee-drop measure,
        so the cap is never raised).
    back_condition
        True when the intake records any back condition (unlocking then needs a clearance).
    clearances
        Recorded clearances; those that count and name the variant limit the ceiling.
    next_variant
        The next harder variant and the plan's status for it, if there is one.
    rules
        The rule table; defaults to the packaged one.
    current_cap_deg
        The cap in force now, from :func:`twistcoach.planning.decide` (its fold over the
        whole history has already lowered it after pain); None: the latest session's cap,
        lowered here after pain.
    open_flag
        True while a safety flag waits for a staff review: the cap is never raised and no
        variant is unlocked (``PROG-HELD``).
    reviewed_at
        The latest staff review (aware): sharp pain and repeated pain before it have been
        reviewed; those after it (the whole history when None) decide a pause or a review.
    measure
        The variant's range measure (``knee_drop`` or ``trunk_rotation``): the caps, the
        clearances' limits and the steps (:meth:`ProgressionThresholds.for_measure`) are
        all in its degrees.
    resumed_after_sharp
        True when planning lets the person practise again after their latest sharp-pain stop
        (its day is over and a check-in since raised no flag): the pause is over, so a sharp
        stop not yet reviewed keeps the cap lowered (``PROG-SHARP-RESUMED``) instead of
        pausing twists (``PROG-SHARP``), which the practice page, offering a twist, would
        contradict.

    Returns
    -------
    ProgressionSuggestion
        With the rule(s) that decided.
    """
    rules = rules or load_progression_rules()
    th = rules.thresholds.for_measure(measure)
    counting = [c for c in clearances if c.counts]
    limits = [
        c.max_knee_drop_deg
        for c in counting
        if variant_id in c.variants and c.max_knee_drop_deg is not None
    ]
    ceiling = None if plan_cap_deg is None else min([plan_cap_deg, *limits])

    def reason(rule_id: str, **fmt: object) -> ProgressionReason:
        rule = rules.rule(rule_id)
        text = " ".join(rule.text.format(**fmt).split())
        return ProgressionReason(rule.id, text, rule.source)

    def fmt_cap(value: float | None) -> str:
        return "n/a" if value is None else f"{value:g}"

    def result(
        action: ProgressionAction,
        current: float | None,
        suggested: float | None,
        why: ProgressionReason,
        streak: int = 0,
        next_id: str | None = None,
    ) -> ProgressionSuggestion:
        return ProgressionSuggestion(
            action=action,
            variant_id=variant_id,
            current_cap_deg=current,
            suggested_cap_deg=suggested,
            ceiling_deg=ceiling,
            next_variant_id=next_id,
            good_streak=streak,
            reasons=(why,),
        )

    sessions = sorted((h for h in history if h.variant_id == variant_id), key=_sort_key)
    if not sessions:
        return result(
            ProgressionAction.START,
            ceiling,
            ceiling,
            reason("PROG-START", cap=fmt_cap(ceiling)),
        )

    last = sessions[-1]
    current: float | None = last.cap_deg if ceiling is not None else None
    if current is not None and ceiling is not None:
        current = min(current, ceiling)  # a plan or clearance tightened since: it wins
    folded = current_cap_deg is not None and current is not None

    def lowered() -> float | None:
        if current is None:
            return None
        if folded:
            assert current_cap_deg is not None
            return min(current, current_cap_deg)  # planning has lowered it already
        # Never above where it was: the floor only stops a lowering, it never raises a cap a
        # clearance set under it (a 5-degree cap "lowered" to 10 after sharp pain).
        return min(current, max(th.min_cap_deg, current - th.lower_step_deg))

    since = [s for s in sessions if reviewed_at is None or _sort_key(s) > _key_of(reviewed_at)]
    sharp_since = any(s.stopped_reason == SHARP_STOP for s in since)
    if sharp_since and not resumed_after_sharp:
        cap = lowered()
        return result(ProgressionAction.PAUSE, current, cap, reason("PROG-SHARP", cap=fmt_cap(cap)))
    recent = since[-th.review_window :]
    painful = sum(1 for s in recent if s.pain_went_up)
    if painful >= th.review_pain_sessions:
        cap = lowered()
        return result(
            ProgressionAction.SEE_CLINICIAN,
            current,
            cap,
            reason("PROG-REVIEW", n=painful, cap=fmt_cap(cap)),
        )
    if sharp_since:
        # Practice has resumed (planning's check-in), one step lower: say that cap, held
        # until a review, as "lower" while the last session's cap was higher, else "keep".
        cap = lowered()
        lower = cap is not None and current is not None and cap < current
        return result(
            ProgressionAction.LOWER_CAP if lower else ProgressionAction.KEEP,
            current,
            cap,
            reason("PROG-SHARP-RESUMED", cap=fmt_cap(cap)),
        )
    if last.pain_went_up:
        cap = lowered()
        return result(
            ProgressionAction.LOWER_CAP,
            current,
            cap,
            reason("PROG-PAIN", step=f"{th.lower_step_deg:g}", cap=fmt_cap(cap)),
        )
    if folded:
        current = current_cap_deg  # approvals since the last session count
    if open_flag:
        return result(
            ProgressionAction.KEEP, current, current, reason("PROG-HELD", cap=fmt_cap(current))
        )
    if last.over_cap_s > th.over_cap_tolerance_s:
        return result(
            ProgressionAction.KEEP, current, current, reason("PROG-OVER", cap=fmt_cap(current))
        )

    streak = 0
    for s in reversed(sessions):
        good = (
            s.stopped_reason is None
            and s.over_cap_s <= th.over_cap_tolerance_s
            and s.pain_rise is not None  # fail safe: pain not recorded is not "no pain rise"
            and s.pain_rise <= 0
            and (current is None or s.cap_deg >= current)
        )
        if not good:
            break
        streak += 1

    needed = th.good_sessions_to_raise
    if streak < needed or current is None or ceiling is None:
        return result(
            ProgressionAction.KEEP,
            current,
            current,
            reason("PROG-KEEP", n=min(streak, needed), needed=needed, cap=fmt_cap(current)),
            streak,
        )
    if current < ceiling:
        new_cap = min(ceiling, current + th.raise_step_deg)
        return result(
            ProgressionAction.RAISE_CAP,
            current,
            new_cap,
            reason("PROG-RAISE", n=streak, step=f"{new_cap - current:g}", cap=f"{new_cap:g}"),
            streak,
        )
    # At the ceiling: maybe the next variant.
    if next_variant is not None and next_variant.plan_status in ("allowed", "needs_clearance"):
        named = any(next_variant.variant_id in c.variants for c in counting)
        # A plan's "needs_clearance" is met by a recorded clearance naming the variant; with a
        # back condition even an "allowed" harder variant waits for one (CLINICAL.md §3).
        unlocked = named or (next_variant.plan_status == "allowed" and not back_condition)
        if unlocked:
            return result(
                ProgressionAction.UNLOCK_VARIANT,
                current,
                current,
                reason("PROG-UNLOCK", variant=next_variant.variant_id),
                streak,
                next_variant.variant_id,
            )
        return result(
            ProgressionAction.NEEDS_CLEARANCE,
            current,
            current,
            reason("PROG-CLEARANCE", variant=next_variant.variant_id),
            streak,
            next_variant.variant_id,
        )
    return result(
        ProgressionAction.KEEP,
        current,
        current,
        reason("PROG-CEILING", cap=fmt_cap(current), ceiling=fmt_cap(ceiling)),
        streak,
    )
