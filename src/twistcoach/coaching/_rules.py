"""The coach's rules, thresholds and texts as validated data (``rules/coaching.yaml``).

Pure core: see :mod:`twistcoach.coaching`.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twistcoach.checks import (
    CheckLimits,
)
from twistcoach.coaching._events import Priority, StopReason
from twistcoach.errors import RuleFileError
from twistcoach.metrics import View
from twistcoach.rulefiles import load_packaged, validate


class Thresholds(BaseModel):
    """The coach's numbers (see ``rules/coaching.yaml`` for what each means)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_confidence: float = Field(ge=0.0, le=1.0)
    lost_grace_s: float = Field(ge=0.0)
    far_side_confirm_s: float = Field(ge=0.0)
    regain_s: float = Field(ge=0.0)
    family_min_confidence: float = Field(ge=0.0, le=1.0)
    wrong_family_s: float = Field(ge=0.0)
    centre_deg: float = Field(gt=0.0, le=45.0)
    setup_still_s: float = Field(ge=0.0)
    calibration_s: float = Field(gt=0.0)
    calibration_max_spread_deg: float = Field(gt=0.0)
    near_cap_margin_deg: float = Field(ge=0.0)
    over_cap_tolerance_deg: float = Field(ge=0.0)
    speed_limit_deg_s: float = Field(gt=0.0)
    speed_window_s: float = Field(gt=0.0, le=2.0)
    speed_step_deg: float = Field(ge=0.0)
    bounce_amplitude_deg: float = Field(gt=0.0)
    bounce_reversals: int = Field(ge=2)
    bounce_window_s: float = Field(gt=0.0)
    shoulder_roll_limit_deg: float = Field(gt=0.0)
    still_speed_deg_s: float = Field(gt=0.0)
    settle_s: float = Field(gt=0.0)
    min_hold_drop_deg: float = Field(ge=0.0)
    hold_exit_deg: float = Field(gt=0.0)
    sink_invite_margin_deg: float = Field(ge=0.0)
    breath_period_s: float = Field(gt=0.0)
    breath_inhale_s: float = Field(gt=0.0)
    switch_rest_s: float = Field(ge=0.0)
    final_rest_s: float = Field(ge=0.0)
    cue_gap_s: float = Field(ge=0.0)
    cue_repeat_s: float = Field(ge=0.0)
    pain_cap_step_deg: float = Field(gt=0.0)
    pain_stop_rise: int = Field(ge=1, le=10)
    pain_stop_above: int = Field(ge=0, le=10)
    min_cap_deg: float = Field(ge=0.0)

    def pain_stop(self, level: int, start_pain: int) -> StopReason | None:
        """Whether a pain of ``level`` (0-10) ends the practice, against the session's
        ``start_pain``: :attr:`StopReason.PAIN_HIGH` above ``pain_stop_above``,
        :attr:`StopReason.PAIN_RISE` at ``pain_stop_rise`` points or more over the start,
        else None (CLINICAL.md §5's stop rule). The one test the coach applies to a pain said
        in a session and planning to the pain given after it."""
        if level > self.pain_stop_above:
            return StopReason.PAIN_HIGH
        if level - start_pain >= self.pain_stop_rise:
            return StopReason.PAIN_RISE
        return None

    def check_limits(self) -> CheckLimits:
        """The numbers :mod:`twistcoach.checks` judges by (the coach's and reports')."""
        return CheckLimits(
            min_confidence=self.min_confidence,
            over_cap_tolerance_deg=self.over_cap_tolerance_deg,
            speed_limit_deg_s=self.speed_limit_deg_s,
            shoulder_roll_limit_deg=self.shoulder_roll_limit_deg,
            bounce_amplitude_deg=self.bounce_amplitude_deg,
            bounce_reversals=self.bounce_reversals,
            bounce_window_s=self.bounce_window_s,
            centre_deg=self.centre_deg,
            still_speed_deg_s=self.still_speed_deg_s,
            setup_still_s=self.setup_still_s,
            calibration_s=self.calibration_s,
            calibration_max_spread_deg=self.calibration_max_spread_deg,
            speed_window_s=self.speed_window_s,
            speed_step_deg=self.speed_step_deg,
        )

    @model_validator(mode="after")
    def _consistent(self) -> Thresholds:
        if self.breath_inhale_s >= self.breath_period_s:
            raise ValueError("breath_inhale_s must be shorter than breath_period_s")
        if self.hold_exit_deg >= self.min_hold_drop_deg:
            # Otherwise a hold could end on the very frame it starts.
            raise ValueError("hold_exit_deg must be smaller than min_hold_drop_deg")
        return self


class PelvisWords(BaseModel):
    """A cue's words for a plan that lets the pelvis turn with the trunk (pregnancy,
    SI-joint pain: CLINICAL.md §3), where its own words ask for square hips."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    #: Why the cue is given, when the rule's own reason names what this plan allows.
    reason: str | None = Field(default=None, min_length=1)


class CueRule(BaseModel):
    """One coaching rule: the cue it gives, why, and the source it rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^COACH-[A-Z0-9-]+$")
    cue: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    priority: Priority
    text: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    source: str = Field(pattern=r"(CLINICAL|DESIGN)\.md")
    #: The words for a plan whose pelvis turns with the trunk (``CoachPlan.pelvis_turns``);
    #: absent: the same words for every plan.
    pelvis_turns: PelvisWords | None = None

    def text_for(self, pelvis_turns: bool) -> str:
        """The cue's text for a plan that does (True) or does not let the pelvis turn."""
        if pelvis_turns and self.pelvis_turns is not None:
            return self.pelvis_turns.text
        return self.text

    def reason_for(self, pelvis_turns: bool) -> str:
        """The cue's reason for such a plan (see :meth:`text_for`)."""
        words = self.pelvis_turns if pelvis_turns else None
        return words.reason if words is not None and words.reason is not None else self.reason


#: Cue ids the coach's code refers to; the rule file must define each exactly once.
REQUIRED_CUES: frozenset[str] = frozenset(
    {
        "stop_sharp_pain",
        "stop_pain_high",
        "stop_pain_rise",
        "stop_wrong_pose",
        "stop_quit",
        "stop_plan_withdrawn",
        "paused_tracking_lost",
        "paused_camera_view",
        "paused_frame_rate",
        "resumed_frame_rate",
        "resumed",
        "ease_back",
        "slow_down",
        "slow_return",
        "no_bouncing",
        "stay_here",
        "other_side",
        "shoulders_open",
        "go_easier",
        "waiting",
        "setup",
        "camera_advice",
        "calibrating",
        "enter_side",
        "sink_further",
        "hold",
        "breathe_in",
        "exhale_soften",
        "return_centre",
        "switch_sides",
        "rest",
        "done",
        "paused",
    }
)


class UnderRead(BaseModel):
    """How far the camera may read a knee drop short, up to a true drop (one band)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The band covers true knee drops up to this, degrees (from the previous band's).
    up_to_deg: float = Field(gt=0.0, le=180.0)
    #: The worst under-read measured in the band, degrees (measured minus true, negated).
    margin_deg: float = Field(ge=0.0, le=45.0)


#: The template bodies that may have their own ``under_read`` bands (``metrics.BodyType``
#: values other than neutral, whose bands are ``under_read``).
BodyModel: TypeAlias = Literal["female", "male"]
BODY_MODELS: tuple[BodyModel, ...] = ("female", "male")


def _band_at(bands: tuple[UnderRead, ...], drop_deg: float) -> float:
    """The margin of the band covering ``drop_deg`` (degrees), or of the last band."""
    for band in bands:
        if abs(drop_deg) <= band.up_to_deg:
            return band.margin_deg
    return bands[-1].margin_deg


class CoachingRules(BaseModel):
    """The validated contents of ``rules/coaching.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    thresholds: Thresholds
    #: The under-read bands with the neutral template body (and any body without its own).
    under_read: tuple[UnderRead, ...] = Field(min_length=1)
    #: The under-read bands measured with a given template body (``metrics.BodyType``
    #: value), used when the person gave their body type; absent: ``under_read``.
    under_read_by_body: dict[BodyModel, tuple[UnderRead, ...]] = Field(default_factory=dict)
    #: The under-read bands measured from a camera place other than the recommended one
    #: (``metrics.View`` value), whatever the template: while the coach measures from that
    #: view its margin is the larger of these and the template's.
    under_read_by_view: dict[View, tuple[UnderRead, ...]] = Field(default_factory=dict)
    rules: tuple[CueRule, ...]

    def under_read_bands(self, body_model: str = "neutral") -> tuple[UnderRead, ...]:
        """The under-read bands for the template body ``body_model`` (``metrics.BodyType``
        value): its own if the rules have them, else the neutral template's ``under_read``."""
        for name, bands in self.under_read_by_body.items():
            if name == body_model:
                return bands
        return self.under_read

    def under_read_at(
        self, drop_deg: float, body_model: str = "neutral", view: View | None = None
    ) -> float:
        """The worst knee-drop under-read (degrees) measured at a true drop of ``drop_deg``
        degrees with the template body ``body_model``, and from ``view`` when it has bands of
        its own (``under_read_by_view``; the larger of the two): in each table the band
        that covers the drop, or the last band beyond them all."""
        tables = [self.under_read_bands(body_model)]
        if view is not None and view in self.under_read_by_view:
            tables.append(self.under_read_by_view[view])
        return max(_band_at(bands, drop_deg) for bands in tables)

    def stay_margin(
        self, cap_deg: float, body_model: str = "neutral", view: View | None = None
    ) -> float:
        """How far below a cap of ``cap_deg`` the coach says "stay here", degrees.

        The larger of ``near_cap_margin_deg`` and the under-read measured at the cap with
        the template body ``body_model`` (``metrics.BodyType`` value; neutral when the
        person did not say) and from the camera's ``view`` (None: not known yet, the
        template's alone): a body that the camera reads short is then still told to stop
        by the time it truly reaches the cap (fail safe: a body read long stops early,
        never late).
        """
        return max(
            self.thresholds.near_cap_margin_deg, self.under_read_at(cap_deg, body_model, view)
        )

    @model_validator(mode="after")
    def _under_read_bands(self) -> CoachingRules:
        tables: dict[str, tuple[UnderRead, ...]] = {"under_read": self.under_read}
        tables |= {f"under_read_by_body.{k}": v for k, v in self.under_read_by_body.items()}
        tables |= {f"under_read_by_view.{k}": v for k, v in self.under_read_by_view.items()}
        for name, bands in tables.items():
            if not bands:
                raise ValueError(f"{name}: at least one band")
            ups = [band.up_to_deg for band in bands]
            if any(b <= a for a, b in pairwise(ups)):
                raise ValueError(f"{name}: up_to_deg must increase from band to band")
            worst = max(band.margin_deg for band in bands)
            if self.thresholds.sink_invite_margin_deg < worst:
                # Otherwise "a little further" could be invited inside the "stay here" zone.
                raise ValueError(
                    "thresholds.sink_invite_margin_deg "
                    f"({self.thresholds.sink_invite_margin_deg:g}) must be at least the "
                    f"largest {name} margin ({worst:g})"
                )
        return self

    @model_validator(mode="after")
    def _complete_and_unique(self) -> CoachingRules:
        ids = [r.id for r in self.rules]
        cues = [r.cue for r in self.rules]
        for name, values in (("rule id", ids), ("cue", cues)):
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"duplicate {name}: {', '.join(dupes)}")
        missing = sorted(REQUIRED_CUES - set(cues))
        if missing:
            raise ValueError(f"missing cues: {', '.join(missing)}")
        unknown = sorted(set(cues) - REQUIRED_CUES)
        if unknown:
            raise ValueError(f"unknown cues (the coach never uses them): {', '.join(unknown)}")
        return self

    def rule_for(self, cue: str) -> CueRule:
        """The rule that defines a cue id."""
        for rule in self.rules:
            if rule.cue == cue:
                return rule
        raise KeyError(cue)


class RulesError(RuleFileError):
    """The coaching rule file is invalid; the message names the problem."""


def parse_coaching_rules(data: Any) -> CoachingRules:
    """Validate parsed YAML (a mapping) into :class:`CoachingRules`.

    Raises
    ------
    RulesError
        With every problem, each naming its field.
    """
    return validate(CoachingRules, data, RulesError, "coaching rules")


def load_coaching_rules() -> CoachingRules:
    """Read and validate the packaged ``twistcoach/rules/coaching.yaml``."""
    return load_packaged("rules/coaching.yaml", parse_coaching_rules)
