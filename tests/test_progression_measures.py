"""Progression in each twist's own measure (issue 20): a seated or standing twist's cap is
in trunk-rotation degrees, whose normal range (about 45 each way) is half the knee drop's
(about 90), so its steps and floor are too (``rules/progression.yaml``'s ``trunk_rotation``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from twistcoach.intake import load_intake
from twistcoach.planning import DatedIntake, PastSession, PersonHistory, decide
from twistcoach.poses import load_library
from twistcoach.progression import (
    ClearanceInfo,
    ProgressionAction,
    SessionOutcome,
    load_progression_rules,
    suggest_progression,
)

RULES = load_progression_rules()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEATED = "seated_twist_easy"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def outcome(day: int, cap: float, *, end: int = 2, stopped: str | None = None) -> SessionOutcome:
    return SessionOutcome(
        date=dt.date(2026, 11, day),
        variant_id=SEATED,
        cap_deg=cap,
        max_knee_drop_deg=cap - 2,
        over_cap_s=0.0,
        start_pain=2,
        end_pain=end,
        stopped_reason=stopped,
    )


def test_the_rotation_steps_are_the_knee_drops_share_of_a_half_range() -> None:
    knee = RULES.thresholds.for_measure("knee_drop")
    rotation = RULES.thresholds.for_measure("trunk_rotation")
    assert knee == RULES.thresholds
    # Same share of the range: 5 of ~90 is 2.5 of ~45; the floor 10 of 90 is 5 of 45.
    assert rotation.raise_step_deg == pytest.approx(knee.raise_step_deg / 2)
    assert rotation.lower_step_deg == pytest.approx(knee.lower_step_deg / 2)
    assert rotation.min_cap_deg == pytest.approx(knee.min_cap_deg / 2)
    # Everything that is not in degrees stays the same.
    assert rotation.good_sessions_to_raise == knee.good_sessions_to_raise
    assert rotation.over_cap_tolerance_s == knee.over_cap_tolerance_s
    with pytest.raises(ValueError, match="unknown range measure"):
        RULES.thresholds.for_measure("elbow_bend")


def test_a_seated_cap_rises_and_falls_by_the_rotation_step() -> None:
    good = [outcome(d, 15.0) for d in (1, 2, 3)]
    up = suggest_progression(
        good,
        variant_id=SEATED,
        plan_cap_deg=22.0,
        back_condition=False,
        rules=RULES,
        measure="trunk_rotation",
    )
    assert up.action is ProgressionAction.RAISE_CAP
    assert up.suggested_cap_deg == 17.5
    assert "2.5 degrees" in up.reasons[0].text
    # The same history read in knee-drop degrees would step twice as far.
    knee = suggest_progression(
        good, variant_id=SEATED, plan_cap_deg=22.0, back_condition=False, rules=RULES
    )
    assert knee.suggested_cap_deg == 20.0

    down = suggest_progression(
        [outcome(1, 15.0, end=5)],
        variant_id=SEATED,
        plan_cap_deg=22.0,
        back_condition=False,
        rules=RULES,
        measure="trunk_rotation",
    )
    assert down.action is ProgressionAction.LOWER_CAP
    assert down.suggested_cap_deg == 12.5
    assert "lowered by 2.5 degrees to 12.5" in down.reasons[0].text
    # Never below the rotation's floor (5), which is under the knee drop's (10).
    low = suggest_progression(
        [outcome(1, 6.0, end=5)],
        variant_id=SEATED,
        plan_cap_deg=22.0,
        back_condition=False,
        rules=RULES,
        measure="trunk_rotation",
    )
    assert low.suggested_cap_deg == 5.0


def test_a_clearance_limits_a_seated_cap_in_its_own_measure() -> None:
    good = [outcome(d, 18.0) for d in (1, 2, 3)]
    clearance = ClearanceInfo((SEATED,), 19.0)
    s = suggest_progression(
        good,
        variant_id=SEATED,
        plan_cap_deg=22.0,
        back_condition=False,
        clearances=[clearance],
        rules=RULES,
        measure="trunk_rotation",
    )
    assert s.ceiling_deg == 19.0 and s.suggested_cap_deg == 19.0


def test_planning_lowers_a_seated_cap_by_the_rotation_step_after_a_pain_rise() -> None:
    intake = load_intake(EXAMPLES / "01_ready_no_back_pain.yaml")
    library = load_library()
    before = decide(
        PersonHistory(intakes=(DatedIntake(intake, T0 - dt.timedelta(days=30)),)),
        library,
        now=T0,
        tz=dt.UTC,
    ).permission(SEATED)
    assert before.allowed and before.measure == "trunk_rotation" and before.cap_deg is not None
    cap = before.cap_deg
    painful = PastSession(
        SessionOutcome(
            date=T0,
            variant_id=SEATED,
            cap_deg=cap,
            max_knee_drop_deg=cap - 2,
            over_cap_s=0.0,
            start_pain=2,
            end_pain=5,
            stopped_reason="pain_rise",
        )
    )
    history = PersonHistory(
        sessions=(painful,),
        intakes=(DatedIntake(intake, T0 - dt.timedelta(days=30)),),
    )
    d = decide(history, library, now=T0 + dt.timedelta(days=1), tz=dt.UTC)
    after = d.permission(SEATED)
    assert after.cap_deg == cap - 2.5  # not the knee drop's 5
    assert any(r.rule == "SAFE-PAIN-LOWER" for r in after.reasons)
    assert d.progression is not None
    assert d.progression.variant_id == SEATED
    assert d.progression.action is ProgressionAction.LOWER_CAP
    assert d.progression.suggested_cap_deg == cap - 2.5
