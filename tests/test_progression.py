"""Progression: table tests for every rule, on small literal histories."""

from __future__ import annotations

import copy
import datetime as dt
from importlib import resources
from typing import Any

import pytest
import yaml

from twistcoach.progression import (
    REQUIRED_RULES,
    ClearanceInfo,
    NextVariant,
    ProgressionAction,
    ProgressionRulesError,
    SessionOutcome,
    load_progression_rules,
    parse_progression_rules,
    suggest_progression,
)

RULES = load_progression_rules()
VARIANT = "supine_twist_partial"
HARDER = NextVariant("supine_twist_full", "allowed")


def session(
    day: int,
    *,
    cap: float = 30.0,
    over: float = 0.0,
    start: int | None = 2,
    end: int | None = 2,
    max_pain: int | None = None,
    stopped: str | None = None,
    variant: str = VARIANT,
) -> SessionOutcome:
    return SessionOutcome(
        date=dt.date(2026, 11, day),
        variant_id=variant,
        cap_deg=cap,
        max_knee_drop_deg=cap - 3,
        over_cap_s=over,
        start_pain=start,
        end_pain=end,
        max_pain=max_pain,
        stopped_reason=stopped,
    )


def suggest(history: list[SessionOutcome], **kw: Any) -> Any:
    args: dict[str, Any] = {
        "variant_id": VARIANT,
        "plan_cap_deg": 45.0,
        "back_condition": False,
        "rules": RULES,
    }
    args.update(kw)
    return suggest_progression(history, **args)


def test_rules_file_is_complete_and_sourced() -> None:
    assert {r.id for r in RULES.rules} == REQUIRED_RULES
    assert all("CLINICAL.md §" in r.source for r in RULES.rules)
    text = resources.files("twistcoach").joinpath("rules/progression.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    broken = copy.deepcopy(data)
    broken["rules"] = [r for r in broken["rules"] if r["id"] != "PROG-SHARP"]
    with pytest.raises(ProgressionRulesError, match="missing rules: PROG-SHARP"):
        parse_progression_rules(broken)
    bad = copy.deepcopy(data)
    bad["thresholds"]["review_pain_sessions"] = 9
    with pytest.raises(ProgressionRulesError, match="review_pain_sessions cannot exceed"):
        parse_progression_rules(bad)


def test_no_history_starts_at_the_plan_cap() -> None:
    s = suggest([session(1, variant="supine_twist_supported")])
    assert s.action is ProgressionAction.START
    assert s.suggested_cap_deg == 45.0
    assert s.reasons[0].rule == "PROG-START"
    assert s.reasons[0].text == "No sessions yet: start at the plan's cap of 45 degrees."


def test_three_good_sessions_raise_the_cap_by_five() -> None:
    s = suggest([session(1), session(2), session(3)])
    assert s.action is ProgressionAction.RAISE_CAP
    assert (s.current_cap_deg, s.suggested_cap_deg) == (30.0, 35.0)
    assert s.good_streak == 3
    assert s.reasons[0].rule == "PROG-RAISE"
    assert "3 sessions in a row" in s.reasons[0].text
    # Two are not enough.
    s2 = suggest([session(2), session(3)])
    assert s2.action is ProgressionAction.KEEP
    assert s2.suggested_cap_deg == 30.0
    assert s2.reasons[0].text == "2 of 3 good sessions in a row so far: keep the cap at 30 degrees."


def test_sessions_at_a_lower_old_cap_do_not_count_towards_the_new_one() -> None:
    history = [session(1, cap=25), session(2, cap=25), session(3, cap=25), session(4)]
    s = suggest(history)
    assert s.action is ProgressionAction.KEEP
    assert s.good_streak == 1


def test_raise_never_passes_the_plan_cap_or_a_clearance_limit() -> None:
    s = suggest([session(1, cap=43), session(2, cap=43), session(3, cap=43)])
    assert s.suggested_cap_deg == 45.0  # the plan's cap, not 48
    limited = suggest(
        [session(1), session(2), session(3)],
        clearances=[ClearanceInfo((VARIANT,), 32.0)],
    )
    assert limited.ceiling_deg == 32.0
    assert limited.suggested_cap_deg == 32.0
    # A clearance that does not count (untrained teacher) does not limit or unlock.
    ignored = suggest(
        [session(1), session(2), session(3)],
        clearances=[ClearanceInfo((VARIANT,), 31.0, counts=False)],
    )
    assert ignored.suggested_cap_deg == 35.0


def test_at_the_ceiling_the_cap_stays() -> None:
    s = suggest([session(1, cap=45), session(2, cap=45), session(3, cap=45)])
    assert s.action is ProgressionAction.KEEP
    assert s.suggested_cap_deg == 45.0
    assert s.reasons[0].rule == "PROG-CEILING"


def test_pain_rise_lowers_the_cap() -> None:
    s = suggest([session(1), session(2), session(3, end=3)])
    assert s.action is ProgressionAction.LOWER_CAP
    assert s.suggested_cap_deg == 25.0
    assert s.reasons[0].rule == "PROG-PAIN"
    # A rise during the session counts even when the end pain settled.
    s2 = suggest([session(1, max_pain=4, end=2)])
    assert s2.action is ProgressionAction.LOWER_CAP
    # A pain stop counts as a rise.
    s3 = suggest([session(1, stopped="pain_high", end=None)])
    assert s3.action is ProgressionAction.LOWER_CAP
    # Never below the minimum.
    s4 = suggest([session(1, cap=12, end=4)])
    assert s4.suggested_cap_deg == RULES.thresholds.min_cap_deg
    # And the floor never raises a cap already under it (a clearance's 5 degrees read
    # "lowered to 10" after sharp pain).
    s5 = suggest([session(1, cap=5, stopped="sharp_pain", end=None)])
    assert s5.suggested_cap_deg == 5.0


def test_pain_rising_twice_advises_a_clinician_review() -> None:
    s = suggest([session(1, end=3), session(2), session(3, end=4)])
    assert s.action is ProgressionAction.SEE_CLINICIAN
    assert s.reasons[0].rule == "PROG-REVIEW"
    assert "healthcare professional" in s.reasons[0].text
    assert s.suggested_cap_deg == 25.0


def test_sharp_pain_pauses_twists() -> None:
    s = suggest([session(1), session(2), session(3, stopped="sharp_pain", end=None)])
    assert s.action is ProgressionAction.PAUSE
    assert s.reasons[0].rule == "PROG-SHARP"
    assert s.suggested_cap_deg == 25.0


def test_sharp_pain_after_practice_resumed_keeps_the_lowered_cap_not_a_pause() -> None:
    history = [session(1), session(2), session(3, stopped="sharp_pain", end=None)]
    s = suggest(history, resumed_after_sharp=True, current_cap_deg=25.0, open_flag=True)
    assert s.action is ProgressionAction.LOWER_CAP
    assert s.reasons[0].rule == "PROG-SHARP-RESUMED"
    assert s.suggested_cap_deg == 25.0 and "25 degrees" in s.reasons[0].text
    assert "Rest from twists" not in s.reasons[0].text
    # Sessions at the lowered cap since: kept there, still held until a review.
    later = [*history, session(4, cap=25.0)]
    kept = suggest(later, resumed_after_sharp=True, current_cap_deg=25.0, open_flag=True)
    assert kept.action is ProgressionAction.KEEP and kept.suggested_cap_deg == 25.0
    assert kept.reasons[0].rule == "PROG-SHARP-RESUMED"
    # Repeated pain still asks for a clinician first.
    pained = [session(1, end=4), session(2, end=4), history[-1]]
    review = suggest(pained, resumed_after_sharp=True, current_cap_deg=25.0, open_flag=True)
    assert review.action is ProgressionAction.SEE_CLINICIAN
    # Reviewed since: the sharp stop no longer decides.
    reviewed = suggest(
        history,
        resumed_after_sharp=True,
        reviewed_at=dt.datetime(2026, 11, 4, tzinfo=dt.UTC),
    )
    assert reviewed.reasons[0].rule != "PROG-SHARP-RESUMED"


def test_time_over_the_cap_keeps_it() -> None:
    s = suggest([session(1), session(2), session(3, over=5.0)])
    assert s.action is ProgressionAction.KEEP
    assert s.reasons[0].rule == "PROG-OVER"
    # Within the tolerance it still counts as good.
    ok = suggest([session(1), session(2), session(3, over=2.0)])
    assert ok.action is ProgressionAction.RAISE_CAP


def test_unrecorded_pain_is_not_a_good_session() -> None:
    s = suggest([session(1), session(2), session(3, start=None, end=None)])
    assert s.action is ProgressionAction.KEEP
    assert s.good_streak == 0


def test_stopped_or_interrupted_sessions_break_the_streak() -> None:
    s = suggest([session(1), session(2, stopped="interrupted"), session(3), session(4)])
    assert s.good_streak == 2
    assert s.action is ProgressionAction.KEEP


def test_unlocking_a_harder_variant() -> None:
    at_top = [session(1, cap=45), session(2, cap=45), session(3, cap=45)]
    s = suggest(at_top, next_variant=HARDER)
    assert s.action is ProgressionAction.UNLOCK_VARIANT
    assert s.next_variant_id == "supine_twist_full"
    # With a back condition it always needs a recorded clearance naming it ...
    c = suggest(at_top, next_variant=HARDER, back_condition=True)
    assert c.action is ProgressionAction.NEEDS_CLEARANCE
    assert c.reasons[0].rule == "PROG-CLEARANCE"
    # ... from a clinician or a trained teacher; an untrained teacher's does not count.
    untrained = [ClearanceInfo(("supine_twist_full",), None, counts=False)]
    assert (
        suggest(at_top, next_variant=HARDER, back_condition=True, clearances=untrained).action
        is ProgressionAction.NEEDS_CLEARANCE
    )
    cleared = [ClearanceInfo(("supine_twist_full",), 60.0)]
    u = suggest(at_top, next_variant=HARDER, back_condition=True, clearances=cleared)
    assert u.action is ProgressionAction.UNLOCK_VARIANT
    # A variant the plan does not allow is never suggested.
    blocked = suggest(at_top, next_variant=NextVariant("seated_twist_easy", "not_allowed"))
    assert blocked.action is ProgressionAction.KEEP
    assert blocked.next_variant_id is None


def test_a_tightened_plan_wins_over_the_last_cap() -> None:
    s = suggest([session(1, cap=40), session(2, cap=40), session(3, cap=40)], plan_cap_deg=30.0)
    assert s.current_cap_deg == 30.0
    assert s.action is ProgressionAction.KEEP


def test_to_dict_shape() -> None:
    s = suggest([session(1), session(2), session(3)])
    d = s.to_dict()
    assert d == {
        "action": "raise_cap",
        "variant_id": VARIANT,
        "current_cap_deg": 30.0,
        "suggested_cap_deg": 35.0,
        "ceiling_deg": 45.0,
        "next_variant_id": None,
        "good_streak": 3,
        "reasons": [
            {
                "rule": "PROG-RAISE",
                "text": d["reasons"][0]["text"],
                "source": RULES.rule("PROG-RAISE").source,
            }
        ],
    }


def test_docs_list_every_progression_rule() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "coach.md").read_text("utf-8")
    for rule in RULES.rules:
        assert f"| `{rule.id}` |" in doc, rule.id
