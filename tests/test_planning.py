"""The planning layer: what a person may practise now, to what cap, and why (issue 15)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from twistcoach.intake import (
    Clearance,
    ClearanceBy,
    Condition,
    Intake,
    LegSymptoms,
    RedFlag,
    load_intake,
)
from twistcoach.planning import (
    BackFeeling,
    CheckIn,
    ClearanceWithdrawal,
    DatedClearance,
    DatedIntake,
    FlagKind,
    PastSession,
    PersonHistory,
    PracticeDecision,
    SafetyReview,
    SafetyRulesError,
    StaffDecision,
    decide,
    has_back_condition,
    load_safety_rules,
    may_clear,
    may_review,
    may_withdraw,
    parse_safety_rules,
)
from twistcoach.poses import load_library
from twistcoach.progression import ProgressionAction, SessionOutcome
from twistcoach.screening import PlanStatus

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PARTIAL = "supine_twist_partial"
FULL = "supine_twist_full"


def intake(name: str = "02_chronic_low_back_pain.json") -> Intake:
    return load_intake(EXAMPLES / name)


def session(
    at: dt.datetime,
    *,
    cap: float = 45.0,
    stopped: str | None = None,
    start: int | None = 3,
    end: int | None = 3,
    variant: str = PARTIAL,
) -> PastSession:
    return PastSession(
        SessionOutcome(
            date=at,
            variant_id=variant,
            cap_deg=cap,
            max_knee_drop_deg=30.0,
            over_cap_s=0.0,
            start_pain=start,
            end_pain=end,
            stopped_reason=stopped,
        )
    )


def history(*sessions: PastSession, **more: object) -> PersonHistory:
    base = {"intakes": (DatedIntake(intake(), T0 - dt.timedelta(days=30)),)}
    base.update(more)
    return PersonHistory(sessions=sessions, **base)  # type: ignore[arg-type]


def run(h: PersonHistory, now: dt.datetime) -> PracticeDecision:
    return decide(h, load_library(), now=now, tz=dt.UTC)


def test_no_intake_refuses_everything_with_the_reason() -> None:
    d = run(PersonHistory(), T0)
    assert d.allowed == ()
    assert d.reasons[0].rule == "SAFE-NO-INTAKE"
    assert all(v.cap_deg is None for v in d.variants)


def test_fresh_person_gets_the_plan_caps() -> None:
    d = run(history(), T0)
    assert [v.variant_id for v in d.allowed] == ["supine_twist_supported", PARTIAL]
    assert d.permission(PARTIAL).cap_deg == 45.0
    assert d.progression is not None and d.progression.action is ProgressionAction.START


def test_seated_twist_allowed_by_plan_is_coached_under_its_rotation_cap() -> None:
    # Issue 20: the seated coach measures the trunk rotation, so the plan's twist is offered
    # with its cap in that measure (was refused with SAFE-NOT-COACHED before the coach).
    d = run(history(intakes=(DatedIntake(intake("01_ready_no_back_pain.yaml"), T0),)), T0)
    seated = d.permission("seated_twist_easy")
    assert seated.plan_status.value == "allowed" and seated.allowed
    assert seated.measure == "trunk_rotation"
    assert seated.cap_deg == seated.plan_cap_deg == seated.rotation_cap_deg == 27.0
    assert "SAFE-NOT-COACHED" not in {r.rule for r in seated.reasons}
    assert d.refusal("seated_twist_easy") is None
    assert d.permission(PARTIAL).measure == "knee_drop"


def test_sharp_pain_locks_the_rest_of_the_day_then_asks_a_checkin() -> None:
    h = history(session(T0, stopped="sharp_pain", end=None))
    same_day = run(h, T0 + dt.timedelta(minutes=3))
    assert same_day.allowed == ()
    assert same_day.locked_until == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert same_day.reasons[0].rule == "SAFE-SHARP-TODAY"
    # The refusal says why, not first that the plan allows it.
    refusal = same_day.refusal(PARTIAL)
    assert refusal is not None and refusal.startswith("Sharp pain stopped")
    assert [f.kind for f in same_day.open_flags] == [FlagKind.SHARP_PAIN]
    next_day = run(h, T0 + dt.timedelta(days=1))
    assert next_day.allowed == () and next_day.needs_checkin
    assert next_day.reasons[0].rule == "SAFE-CHECKIN"


def test_after_a_good_checkin_practice_resumes_one_step_lower_and_no_raise() -> None:
    checkin = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.SAME, False, False)
    h = history(session(T0, stopped="sharp_pain", end=None), checkins=(checkin,))
    d = run(h, T0 + dt.timedelta(days=1, minutes=1))
    assert not d.needs_checkin
    assert d.permission(PARTIAL).allowed
    assert d.permission(PARTIAL).cap_deg == 40.0
    assert any(r.rule == "SAFE-FLAG-REVIEW" for r in d.reasons)
    # Progression says the same as the permission (it had said "pause twists, rest from
    # twists for now" beside a practice page offering the twist): the lowered cap, held.
    p = d.progression
    assert p is not None and p.action is ProgressionAction.LOWER_CAP
    assert p.suggested_cap_deg == d.permission(PARTIAL).cap_deg == 40.0
    assert [r.rule for r in p.reasons] == ["PROG-SHARP-RESUMED"]
    # Before the check-in it is still a pause, and after a bad one too.
    waiting = run(history(session(T0, stopped="sharp_pain", end=None)), T0 + dt.timedelta(days=1))
    assert waiting.progression is not None
    assert waiting.progression.action is ProgressionAction.PAUSE
    worse = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.WORSE, False, False)
    bad = run(
        history(session(T0, stopped="sharp_pain", end=None), checkins=(worse,)),
        T0 + dt.timedelta(days=1, minutes=1),
    )
    assert bad.progression is not None and bad.progression.action is ProgressionAction.PAUSE


def test_a_pain_stop_on_the_day_practice_resumed_after_sharp_pain_rests_in_every_word() -> None:
    """Sharp pain, a good check-in the next day, then a pain stop (above 5/10) later that
    day: nothing may start until midnight, yet progression said "your check-in since lets
    you practise again" (PROG-SHARP-RESUMED) beside a refusal for pain today."""
    checkin = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.SAME, False, False)
    pain_stop = session(T0 + dt.timedelta(days=1, hours=1), stopped="pain_high", end=7, cap=40.0)
    h = history(session(T0, stopped="sharp_pain", end=None), pain_stop, checkins=(checkin,))
    d = run(h, T0 + dt.timedelta(days=1, hours=2))
    assert d.allowed == () and d.locked_until is not None
    p = d.progression
    assert p is not None and p.action is ProgressionAction.PAUSE
    assert "PROG-SHARP-RESUMED" not in [r.rule for r in p.reasons]


def test_pain_in_one_supine_twist_lowers_every_supine_twist_s_cap() -> None:
    """Sharp pain at 45 in the supported twist; the next day the part-way twist (the same
    knee drop) had kept its 45 and the coach invited the knees further."""
    checkin = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.SAME, False, False)
    supported = "supine_twist_supported"
    h = history(session(T0, stopped="sharp_pain", end=None, variant=supported), checkins=(checkin,))
    d = run(h, T0 + dt.timedelta(days=1, minutes=1))
    assert d.permission(supported).cap_deg == 40.0
    assert d.permission(PARTIAL).allowed and d.permission(PARTIAL).cap_deg == 40.0
    assert any(r.rule == "SAFE-PAIN-LOWER" for r in d.permission(PARTIAL).reasons)
    # A session without pain in the other twist does not carry its cap across.
    calm = history(session(T0, cap=30.0, variant=supported))
    assert run(calm, T0 + dt.timedelta(days=1)).permission(PARTIAL).cap_deg == 45.0


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        (CheckIn(T0 + dt.timedelta(days=1), BackFeeling.BETTER, True, False), "SAFE-CHECKIN-CARE"),
        (CheckIn(T0 + dt.timedelta(days=1), BackFeeling.SAME, False, True), "SAFE-CHECKIN-CARE"),
        (CheckIn(T0 + dt.timedelta(days=1), BackFeeling.WORSE, False, False), "SAFE-CHECKIN-WORSE"),
    ],
)
def test_a_bad_checkin_refuses_until_a_review(answer: CheckIn, rule: str) -> None:
    h = history(session(T0, stopped="sharp_pain", end=None), checkins=(answer,))
    d = run(h, T0 + dt.timedelta(days=2))
    assert d.allowed == ()
    assert d.reasons[0].rule == rule
    review = SafetyReview(T0 + dt.timedelta(days=3), ClearanceBy.CLINICIAN, "Dr Ames")
    h2 = history(session(T0, stopped="sharp_pain", end=None), checkins=(answer,), reviews=(review,))
    after = run(h2, T0 + dt.timedelta(days=3, hours=1))
    assert after.open_flags == ()
    assert after.permission(PARTIAL).allowed and after.permission(PARTIAL).cap_deg == 40.0


def test_nerve_signs_after_sharp_pain_wait_for_a_clinicians_review() -> None:
    # New leg symptoms, numbness or weakness (CLINICAL.md §2, §5): a teacher's review
    # closes the sharp-pain flag but not them; a clinician's closes both.
    care = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.SAME, True, False)
    teacher = SafetyReview(T0 + dt.timedelta(days=2), ClearanceBy.TEACHER, "Tess")
    sharp = session(T0, stopped="sharp_pain", end=None)
    d = run(history(sharp, checkins=(care,), reviews=(teacher,)), T0 + dt.timedelta(days=3))
    assert [f.kind for f in d.open_flags] == [FlagKind.CHECKIN_CARE]
    assert d.allowed == () and d.reasons[0].rule == "SAFE-CHECKIN-CARE"
    waiting = [r for r in d.reasons if r.rule.startswith("SAFE-FLAG-")]
    assert [r.rule for r in waiting] == ["SAFE-FLAG-CLINICIAN"]
    assert "waiting for a clinician's review" in waiting[0].text
    refused = may_review(ClearanceBy.TEACHER, d.open_flags)
    assert refused is not None and refused.rule == "SAFE-CARE-REVIEW"
    assert may_review(ClearanceBy.CLINICIAN, d.open_flags) is None
    both_open = run(history(sharp, checkins=(care,)), T0 + dt.timedelta(days=1, hours=1))
    assert may_review(ClearanceBy.TEACHER, both_open.open_flags) is None  # the sharp flag
    doctor = SafetyReview(T0 + dt.timedelta(days=4), ClearanceBy.CLINICIAN, "Dr Ames")
    after = run(
        history(sharp, checkins=(care,), reviews=(teacher, doctor)), T0 + dt.timedelta(days=5)
    )
    assert after.open_flags == () and after.permission(PARTIAL).allowed
    # A back reported worse is not a nerve sign: a teacher's review closes it.
    worse = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.WORSE, False, False)
    d = run(history(sharp, checkins=(worse,), reviews=(teacher,)), T0 + dt.timedelta(days=3))
    assert d.open_flags == () and d.permission(PARTIAL).allowed


def test_no_clearance_or_approval_raises_or_unlocks_while_a_flag_is_open() -> None:
    sharp_at = T0
    checkin = CheckIn(T0 + dt.timedelta(days=1), BackFeeling.BETTER, False, False)
    clearance = DatedClearance(
        Clearance(
            by=ClearanceBy.CLINICIAN,
            name="Dr Ames",
            date=dt.date(2026, 12, 1),
            variants=(FULL,),
            max_knee_drop_deg=60,
        ),
        T0 + dt.timedelta(minutes=10),
    )
    raise_ = StaffDecision(T0 + dt.timedelta(minutes=20), PARTIAL, True, 45.0)
    h = history(
        session(sharp_at, stopped="sharp_pain", end=None),
        checkins=(checkin,),
        clearances=(clearance,),
        decisions=(raise_,),
    )
    d = run(h, T0 + dt.timedelta(days=1, hours=1))
    full = d.permission(FULL)
    assert full.plan_status.value == "allowed" and not full.allowed
    assert any(r.rule == "SAFE-CLEARANCE-HELD" for r in full.reasons)
    partial = d.permission(PARTIAL)
    assert partial.cap_deg == 40.0
    assert any(r.rule == "SAFE-RAISE-HELD" for r in partial.reasons)
    # After a review, both count: the clearance opens the full twist; a new approval raises.
    review = SafetyReview(T0 + dt.timedelta(days=1, hours=2), ClearanceBy.CLINICIAN, "Dr Ames")
    again = StaffDecision(T0 + dt.timedelta(days=1, hours=3), PARTIAL, True, 45.0)
    h2 = history(
        session(sharp_at, stopped="sharp_pain", end=None),
        checkins=(checkin,),
        clearances=(clearance,),
        decisions=(raise_, again),
        reviews=(review,),
    )
    d2 = run(h2, T0 + dt.timedelta(days=1, hours=4))
    assert d2.permission(FULL).allowed
    assert d2.permission(PARTIAL).cap_deg == 45.0


def test_a_pain_stop_ends_the_day_and_lowers_the_next_cap() -> None:
    h = history(session(T0, stopped="pain_rise", end=6))
    # "Let's stop here ... rest": a restart two hours later had been offered at 40.
    same_day = run(h, T0 + dt.timedelta(hours=2))
    assert same_day.allowed == ()
    assert same_day.reasons[0].rule == "SAFE-PAIN-TODAY"
    assert same_day.locked_until == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert not same_day.needs_checkin and not same_day.open_flags  # not sharp: no check-in
    d = run(h, T0 + dt.timedelta(days=1))
    partial = d.permission(PARTIAL)
    assert partial.allowed and partial.cap_deg == 40.0
    assert any(r.rule == "SAFE-PAIN-LOWER" for r in partial.reasons)
    assert d.progression is not None and d.progression.action is ProgressionAction.LOWER_CAP


def test_repeated_pain_opens_a_flag_and_a_short_good_session_does_not_hide_it() -> None:
    h = history(
        session(T0, end=5),
        session(T0 + dt.timedelta(days=1), cap=40.0, end=5),
        session(T0 + dt.timedelta(days=2), cap=35.0, stopped="quit", end=3),
    )
    d = run(h, T0 + dt.timedelta(days=3))
    assert [f.kind for f in d.open_flags] == [FlagKind.REPEATED_PAIN]
    assert d.permission(PARTIAL).cap_deg == 35.0
    assert d.progression is not None
    assert d.progression.action is ProgressionAction.SEE_CLINICIAN


def test_a_clearance_asking_more_than_the_plan_says_so() -> None:
    d = run(history(intakes=(DatedIntake(intake("07_disc_cleared_with_cap.yaml"), T0),)), T0)
    partial = d.permission(PARTIAL)
    assert partial.cap_deg == 35.0
    clip = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Ames",
        date=dt.date(2026, 12, 1),
        variants=(PARTIAL,),
        max_knee_drop_deg=60,
    )
    h = history(clearances=(DatedClearance(clip, T0),))
    partial = run(h, T0).permission(PARTIAL)
    assert partial.cap_deg == 45.0
    clipped = [r for r in partial.reasons if r.rule == "SAFE-CLEARANCE-CLIPPED"]
    assert clipped and "60" in clipped[0].text and "45" in clipped[0].text


def test_who_may_clear() -> None:
    back = intake()
    assert has_back_condition(back) and has_back_condition(None)
    assert not has_back_condition(intake("01_ready_no_back_pain.yaml"))
    assert may_clear(ClearanceBy.CLINICIAN, False, back) is None
    assert may_clear(ClearanceBy.TEACHER, True, back) is None
    refused = may_clear(ClearanceBy.TEACHER, False, back)
    assert refused is not None and refused.rule == "SAFE-WHO-CLEARS"
    assert may_clear(ClearanceBy.TEACHER, False, intake("01_ready_no_back_pain.yaml")) is None


def test_safety_rules_file_is_complete_and_checked() -> None:
    rules = load_safety_rules()
    assert all("CLINICAL.md §" in r.source for r in rules.rules)
    broken = rules.model_dump(mode="json")
    broken["rules"] = [r for r in broken["rules"] if r["id"] != "SAFE-SHARP-TODAY"]
    with pytest.raises(SafetyRulesError, match="missing rules: SAFE-SHARP-TODAY"):
        parse_safety_rules(broken)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(history(), load_library(), now=dt.datetime(2026, 12, 1))


def test_a_clearance_in_an_older_intake_still_counts_after_a_new_intake() -> None:
    cleared = intake("07_disc_cleared_with_cap.yaml")
    answers_only = cleared.model_copy(update={"clearances": ()})
    h = PersonHistory(
        intakes=(
            DatedIntake(cleared, T0 - dt.timedelta(days=10)),
            DatedIntake(answers_only, T0 - dt.timedelta(days=1)),
        )
    )
    partial = run(h, T0).permission(PARTIAL)
    assert partial.allowed and partial.cap_deg == 35.0


def test_a_clearance_from_before_a_new_red_flag_or_surgery_does_not_count() -> None:
    """The red team's case: cleared in September, then a red flag (or spine surgery) in
    December: the old clearance had opened seated and standing twists as "ready"."""
    harmless = intake("01_ready_no_back_pain.yaml")
    cleared = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Cleo",
        date=dt.date(2026, 9, 1),
        variants=("supine_twist_full", "seated_twist_easy", "standing_twist_revolved_triangle"),
        max_knee_drop_deg=40.0,
    )
    flagged = harmless.model_copy(update={"red_flags": frozenset({RedFlag.HISTORY_OF_CANCER})})
    operated = harmless.model_copy(
        update={"conditions": frozenset({Condition.SPINAL_SURGERY}), "surgery_months_ago": 1.0}
    )
    for later in (flagged, operated):
        h = PersonHistory(
            intakes=(
                DatedIntake(harmless, T0 - dt.timedelta(days=95)),
                DatedIntake(later, T0 - dt.timedelta(days=1)),
            ),
            clearances=(DatedClearance(cleared, T0 - dt.timedelta(days=91)),),
        )
        decision = run(h, T0)
        assert not decision.allowed, later
        assert decision.plan is not None and decision.plan.status is PlanStatus.SEE_CLINICIAN_FIRST
        assert any(r.rule == "SAFE-CLEARANCE-STALE" for r in decision.reasons)
        # Cleared again after the new answers: it counts.
        again = DatedClearance(
            cleared.model_copy(update={"date": T0.date()}), T0 - dt.timedelta(hours=2)
        )
        renewed = run(PersonHistory(intakes=h.intakes, clearances=(*h.clearances, again)), T0)
        assert renewed.permission("supine_twist_full").allowed
        assert not any(r.rule == "SAFE-CLEARANCE-STALE" for r in renewed.reasons)


def test_a_clearance_from_before_new_answers_under_the_same_rule_does_not_count() -> None:
    """The intake red team's case: a clinician cleared a past cancer, then weight loss and
    fever were answered (the same 'serious red flag' rule, already firing); a disc cleared,
    then new leg symptoms below the knee. The clearance did not know them."""
    cancer = intake("01_ready_no_back_pain.yaml").model_copy(
        update={"red_flags": frozenset({RedFlag.HISTORY_OF_CANCER})}
    )
    disc = intake("07_disc_cleared_with_cap.yaml").model_copy(update={"clearances": ()})
    cases = [
        (
            cancer,
            cancer.model_copy(
                update={"red_flags": cancer.red_flags | {RedFlag.UNEXPLAINED_WEIGHT_LOSS}}
            ),
        ),
        (disc, disc.model_copy(update={"leg_symptoms": LegSymptoms.BELOW_KNEE})),
    ]
    for before, after in cases:
        cleared = Clearance(
            by=ClearanceBy.CLINICIAN,
            name="Dr Cleo",
            date=(T0 - dt.timedelta(days=20)).date(),
            variants=("supine_twist_supported", PARTIAL),
            max_knee_drop_deg=40.0,
        )
        dated = DatedClearance(cleared, T0 - dt.timedelta(days=20))
        first = PersonHistory(
            intakes=(DatedIntake(before, T0 - dt.timedelta(days=30)),), clearances=(dated,)
        )
        assert run(first, T0).permission(PARTIAL).allowed  # cleared for what it knew
        h = PersonHistory(
            intakes=(*first.intakes, DatedIntake(after, T0 - dt.timedelta(days=1))),
            clearances=(dated,),
        )
        decision = run(h, T0)
        assert not decision.permission(PARTIAL).allowed, after
        assert any(r.rule == "SAFE-CLEARANCE-STALE" for r in decision.reasons)


def test_a_clearance_from_before_a_newer_operation_does_not_count() -> None:
    """The planning red team's case: spine surgery 6 months ago, cleared by a clinician,
    then the intake says 0 months (a new operation): the clearance did not know it. The
    operation answered again a month on (7 months) is the same one."""
    base = intake("01_ready_no_back_pain.yaml").model_copy(
        update={"conditions": frozenset({Condition.SPINAL_SURGERY}), "surgery_months_ago": 6.0}
    )
    cleared = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Cleo",
        date=(T0 - dt.timedelta(days=20)).date(),
        variants=("supine_twist_supported", PARTIAL),
        max_knee_drop_deg=40.0,
    )
    dated = DatedClearance(cleared, T0 - dt.timedelta(days=20))
    first = DatedIntake(base, T0 - dt.timedelta(days=30))
    assert run(PersonHistory(intakes=(first,), clearances=(dated,)), T0).permission(PARTIAL).allowed
    newer = base.model_copy(update={"surgery_months_ago": 0.0})
    again = base.model_copy(update={"surgery_months_ago": 7.0})  # a month on: the same
    for later, counts in ((newer, False), (again, True)):
        h = PersonHistory(
            intakes=(first, DatedIntake(later, T0 - dt.timedelta(days=1))), clearances=(dated,)
        )
        decision = run(h, T0)
        assert decision.permission(PARTIAL).allowed is counts, later.surgery_months_ago
        stale = any(r.rule == "SAFE-CLEARANCE-STALE" for r in decision.reasons)
        assert stale is not counts


def test_emergency_signs_lead_the_refusal_beside_an_out_of_date_clearance() -> None:
    """The intake red team's case: with a teacher's clearance on file, emergency signs made
    the clearance out of date, and the refusal (practice page, API, coach) said only "ask
    them to see you again" where "seek medical care today" is due."""
    harmless = intake("01_ready_no_back_pain.yaml")
    cleared = Clearance(
        by=ClearanceBy.TEACHER,
        name="Tess",
        date=(T0 - dt.timedelta(days=6)).date(),
        variants=("supine_twist_supported",),
        max_knee_drop_deg=40.0,
        teacher_trained_for_back_problems=True,
    )
    emergency = harmless.model_copy(update={"red_flags": frozenset({RedFlag.SADDLE_NUMBNESS})})
    h = PersonHistory(
        intakes=(
            DatedIntake(harmless, T0 - dt.timedelta(days=10)),
            DatedIntake(emergency, T0 - dt.timedelta(days=1)),
        ),
        clearances=(DatedClearance(cleared, T0 - dt.timedelta(days=6)),),
    )
    decision = run(h, T0)
    assert decision.plan is not None and decision.plan.status is PlanStatus.SEEK_CARE_NOW
    refusal = decision.refusal("supine_twist_supported")
    assert refusal is not None and "urgent medical care" in refusal.split(".")[1], refusal


def test_a_clearance_still_counts_when_the_new_answers_raise_nothing_new() -> None:
    answers = intake("07_disc_cleared_with_cap.yaml").model_copy(update={"clearances": ()})
    clearance = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Ames",
        date=dt.date(2026, 11, 1),
        variants=(PARTIAL,),
        max_knee_drop_deg=35.0,
    )
    less_pain = answers.model_copy(update={"pain_now": 1})
    h = PersonHistory(
        intakes=(
            DatedIntake(answers, T0 - dt.timedelta(days=40)),
            DatedIntake(less_pain, T0 - dt.timedelta(days=1)),
        ),
        clearances=(DatedClearance(clearance, T0 - dt.timedelta(days=30)),),
    )
    assert run(h, T0).permission(PARTIAL).allowed


def test_a_clearance_dated_ahead_counts_from_its_date_on_the_persons_calendar() -> None:
    answers = intake("07_disc_cleared_with_cap.yaml").model_copy(update={"clearances": ()})
    ahead = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Ames",
        date=dt.date(2026, 12, 3),  # T0 is 2026-12-01: a typed-ahead day
        variants=(PARTIAL,),
        max_knee_drop_deg=35.0,
    )
    h = PersonHistory(
        intakes=(DatedIntake(answers, T0 - dt.timedelta(days=1)),),
        clearances=(DatedClearance(ahead, T0 - dt.timedelta(hours=1)),),
    )
    before = run(h, T0).permission(PARTIAL)
    assert not before.allowed and before.cap_deg is None
    assert any("dated 2026-12-03, after today" in r.text for r in before.reasons)
    on_the_day = run(h, dt.datetime(2026, 12, 3, 0, 5, tzinfo=dt.UTC)).permission(PARTIAL)
    assert on_the_day.allowed and on_the_day.cap_deg == 35.0
    # The person's own calendar decides: at 20:00 UTC on the 2nd it is the 3rd in Auckland.
    evening = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)
    auckland = dt.timezone(dt.timedelta(hours=13))
    assert not run(h, evening).permission(PARTIAL).allowed
    in_auckland = decide(h, load_library(), now=evening, tz=auckland).permission(PARTIAL)
    assert in_auckland.allowed


def test_a_clinicians_plan_only_narrows() -> None:
    from twistcoach.planning import ClinicianPlan, Prescription

    plan = ClinicianPlan(
        at=T0,
        by_name="Dr Ames",
        variants=(
            Prescription("supine_twist_supported", cap_deg=30.0, hold_s=20.0),
            Prescription(FULL, cap_deg=80.0),  # screening says it needs a clearance
        ),
        sessions_per_week=3,
        review_date=dt.date(2027, 1, 10),
    )
    d = run(history(clinician_plans=(plan,)), T0 + dt.timedelta(hours=1))
    supported = d.permission("supine_twist_supported")
    assert supported.allowed and supported.cap_deg == 30.0 and supported.hold_s == 20.0
    assert any(r.rule == "SAFE-CLINICIAN-CAP" for r in supported.reasons)
    partial = d.permission(PARTIAL)  # allowed by screening, left out by the clinician
    assert not partial.allowed and partial.reasons[-1].rule == "SAFE-CLINICIAN-OMITS"
    assert not d.permission(FULL).allowed  # a plan never unlocks what screening holds
    assert d.clinician_plan == plan
    # A cap above planning's is clipped, with the reason.
    wide = ClinicianPlan(T0, "Dr Ames", (Prescription(PARTIAL, 70.0),), 2, dt.date(2027, 1, 1))
    partial = run(history(clinician_plans=(wide,)), T0).permission(PARTIAL)
    assert partial.cap_deg == 45.0
    assert any(r.rule == "SAFE-CLINICIAN-CLIPPED" for r in partial.reasons)


def test_the_coach_follows_the_clinicians_hold_time() -> None:
    from twistcoach.planning import ClinicianPlan, Prescription
    from twistcoach.session import coach_plan_for

    plan = ClinicianPlan(
        T0, "Dr Ames", (Prescription(PARTIAL, 35.0, 25.0),), 3, dt.date(2027, 1, 1)
    )
    d = run(history(clinician_plans=(plan,)), T0)
    coach = coach_plan_for(d, PARTIAL, load_library())
    assert coach.cap_deg == 35.0 and coach.hold_s == 25.0


def test_no_progression_is_suggested_for_a_twist_the_plan_does_not_allow() -> None:
    """After emergency signs progression still said "the cap is lowered by 5 degrees to
    n/a" for the twist practised last."""
    flagged = intake().model_copy(
        update={"red_flags": frozenset({RedFlag.PROGRESSIVE_LEG_WEAKNESS})}
    )
    h = history(
        session(T0 - dt.timedelta(days=2), start=2, end=5),
        intakes=(DatedIntake(flagged, T0 - dt.timedelta(days=1)),),
    )
    decision = run(h, T0)
    assert decision.plan is not None and decision.plan.status is PlanStatus.SEEK_CARE_NOW
    assert decision.progression is None


# ------------------------------------------- red flags a later intake leaves out


def _said(d: PracticeDecision) -> str:
    return " ".join(r.text for r in d.reasons)


def test_emergency_signs_a_later_intake_leaves_out_stay_until_a_clinicians_review() -> None:
    """The red team's case: emergency signs reported, then the intake answered again
    without them half a minute later: the plan was 'ready' at once (a red flag always
    wins; only a clinician's review closes it, CLINICAL.md §2)."""
    clean = intake()
    flagged = clean.model_copy(
        update={"red_flags": frozenset({RedFlag.SADDLE_NUMBNESS, RedFlag.BLADDER_DYSFUNCTION})}
    )
    left_out = T0 + dt.timedelta(seconds=30)  # a correction within the minute still counts
    intakes = (DatedIntake(flagged, T0), DatedIntake(clean, left_out))

    def at(now: dt.datetime, **more: object) -> PracticeDecision:
        return run(PersonHistory(intakes=intakes, **more), now)  # type: ignore[arg-type]

    d = at(T0 + dt.timedelta(minutes=1))
    assert d.plan is not None and d.plan.status is PlanStatus.SEEK_CARE_NOW
    assert d.allowed == ()
    assert [(f.kind, f.answer, f.raised_at) for f in d.open_flags] == [
        (FlagKind.EMERGENCY_WITHDRAWN, "bladder_dysfunction", left_out),
        (FlagKind.EMERGENCY_WITHDRAWN, "saddle_numbness", left_out),
    ]
    saddle = d.open_flags[1].reason
    assert saddle.rule == "SAFE-EMERGENCY-WITHDRAWN" and "CLINICAL.md §2" in saddle.source
    assert saddle.text.startswith("An emergency sign was reported on 2026-12-01: numbness in")
    assert "does not take it back" in saddle.text
    assert d.reasons[0].rule == "SAFE-EMERGENCY-KEPT"
    assert [r.rule for r in d.reasons[1:]] == ["SAFE-FLAG-CLINICIAN"] * 2
    refusal = d.refusal(PARTIAL)
    assert refusal is not None and "seek medical care today" in refusal
    # Only a clinician's review closes them: a teacher's does not, nor does any clearance,
    # nor a clinician's review made before the signs were left out.
    refused = may_review(ClearanceBy.TEACHER, d.open_flags)
    assert refused is not None and refused.rule == "SAFE-RED-FLAG-REVIEW"
    assert may_review(ClearanceBy.CLINICIAN, d.open_flags) is None
    later = T0 + dt.timedelta(days=1)
    teacher = SafetyReview(later, ClearanceBy.TEACHER, "Tess")
    early = SafetyReview(T0 + dt.timedelta(seconds=10), ClearanceBy.CLINICIAN, "Dr Ames")
    cleared = DatedClearance(
        Clearance(by=ClearanceBy.CLINICIAN, name="Dr Ames", date=later.date(), variants=(PARTIAL,)),
        later,
    )
    for more in ({"reviews": (teacher,)}, {"reviews": (early,)}, {"clearances": (cleared,)}):
        still = at(later + dt.timedelta(hours=1), **more)
        assert len(still.open_flags) == 2 and still.allowed == (), more
        assert still.plan is not None and still.plan.status is PlanStatus.SEEK_CARE_NOW
    doctor = SafetyReview(later, ClearanceBy.CLINICIAN, "Dr Ames")
    after = at(later + dt.timedelta(hours=1), reviews=(doctor,))
    assert after.open_flags == () and after.reasons == ()
    assert after.plan is not None and after.plan.status is PlanStatus.READY
    assert after.permission(PARTIAL).allowed and after.permission(PARTIAL).cap_deg == 45.0


def test_symptoms_in_both_legs_left_out_are_an_emergency_sign_kept() -> None:
    both = intake().model_copy(update={"leg_symptoms": LegSymptoms.BOTH_LEGS})
    one = intake().model_copy(update={"leg_symptoms": LegSymptoms.BELOW_KNEE})
    h = PersonHistory(intakes=(DatedIntake(both, T0), DatedIntake(one, T0 + dt.timedelta(days=1))))
    d = run(h, T0 + dt.timedelta(days=2))
    assert [(f.kind, f.answer) for f in d.open_flags] == [
        (FlagKind.EMERGENCY_WITHDRAWN, "both_legs")
    ]
    assert "leg pain, tingling or numbness in both legs" in d.open_flags[0].reason.text
    assert d.plan is not None and d.plan.status is PlanStatus.SEEK_CARE_NOW
    assert d.allowed == ()


def test_a_red_flag_a_later_intake_leaves_out_keeps_see_a_clinician_first() -> None:
    """A 'see a clinician first' red flag left out keeps that status until a clinician's
    review (CLINICAL.md §2); a clinician's clearance, even one given after it was left out,
    does not close it (the review asks before it revives older clearances; a clearance did
    not, and one in an intake file closed it from the command line)."""
    clean = intake()
    cancer = clean.model_copy(update={"red_flags": frozenset({RedFlag.HISTORY_OF_CANCER})})
    reported, left_out = T0 - dt.timedelta(days=10), T0 - dt.timedelta(days=5)
    intakes = (DatedIntake(cancer, reported), DatedIntake(clean, left_out))

    def clearance(by: ClearanceBy, dated: dt.datetime, recorded: dt.datetime) -> DatedClearance:
        name = "Dr Ames" if by is ClearanceBy.CLINICIAN else "Tess"
        return DatedClearance(
            Clearance(
                by=by,
                name=name,
                date=dated.date(),
                variants=(PARTIAL,),
                teacher_trained_for_back_problems=by is ClearanceBy.TEACHER,
            ),
            recorded,
        )

    def at(**more: object) -> PracticeDecision:
        return run(PersonHistory(intakes=intakes, **more), T0)  # type: ignore[arg-type]

    d = at()
    assert d.plan is not None and d.plan.status is PlanStatus.SEE_CLINICIAN_FIRST
    assert d.allowed == ()
    assert [(f.kind, f.answer) for f in d.open_flags] == [
        (FlagKind.RED_FLAG_WITHDRAWN, "history_of_cancer")
    ]
    assert d.open_flags[0].reason.text.startswith(
        "A red flag for a clinician to check was reported on 2026-11-21: a past cancer."
    )
    assert "SAFE-EMERGENCY-KEPT" not in {r.rule for r in d.reasons}
    assert "waiting for a clinician's review" in _said(d)
    refused = may_review(ClearanceBy.TEACHER, d.open_flags)
    assert refused is not None and refused.rule == "SAFE-RED-FLAG-REVIEW"
    # A teacher's review or clearance, or a clinician's clearance dated before the red flag
    # was left out (whoever gave it had not seen the person since), leave it open.
    yesterday = T0 - dt.timedelta(days=1)
    for more in (
        {"reviews": (SafetyReview(yesterday, ClearanceBy.TEACHER, "Tess"),)},
        {"clearances": (clearance(ClearanceBy.TEACHER, yesterday, yesterday),)},
        {"clearances": (clearance(ClearanceBy.CLINICIAN, reported, yesterday),)},
    ):
        still = at(**more)
        assert [f.kind for f in still.open_flags] == [FlagKind.RED_FLAG_WITHDRAWN], more
        assert still.allowed == (), more
    # (That clinician's clearance is held while the flag waits, as any recorded then.)
    held = still.permission(PARTIAL).reasons
    assert "SAFE-CLEARANCE-HELD" in {r.rule for r in held}
    # A clinician who cleared a twist while the red flag was reported keeps it open, as it
    # was then; the flag stays open.
    while_reported = at(clearances=(clearance(ClearanceBy.CLINICIAN, reported, reported),))
    assert [v.variant_id for v in while_reported.allowed] == [PARTIAL]
    assert len(while_reported.open_flags) == 1
    # A clinician's clearance given after it was left out leaves it open; a review closes it.
    after = at(clearances=(clearance(ClearanceBy.CLINICIAN, yesterday, yesterday),))
    assert [f.kind for f in after.open_flags] == [FlagKind.RED_FLAG_WITHDRAWN]
    closed = at(reviews=(SafetyReview(yesterday, ClearanceBy.CLINICIAN, "Dr Ames"),))
    assert closed.open_flags == ()
    assert closed.plan is not None and closed.plan.status is PlanStatus.READY
    assert closed.permission(PARTIAL).allowed


def test_a_red_flag_reported_again_and_left_out_again_is_flagged_again() -> None:
    clean = intake()
    fever = clean.model_copy(update={"red_flags": frozenset({RedFlag.FEVER_OR_CHILLS})})
    days = [T0 - dt.timedelta(days=n) for n in (9, 7, 3, 2)]
    doctor = SafetyReview(T0 - dt.timedelta(days=5), ClearanceBy.CLINICIAN, "Dr Ames")
    h = PersonHistory(
        intakes=tuple(DatedIntake(i, at) for i, at in zip((fever, clean) * 2, days, strict=True)),
        reviews=(doctor,),
    )
    d = run(h, T0)
    assert [(f.kind, f.raised_at) for f in d.open_flags] == [(FlagKind.RED_FLAG_WITHDRAWN, days[3])]
    assert "reported on 2026-11-28" in d.open_flags[0].reason.text


def test_every_red_flag_screening_groups_has_its_words() -> None:
    """A withdrawn red flag's flag names what was reported, in the safety file's words."""
    from twistcoach.screening import load_rules

    rules = load_safety_rules()
    named = {(s.field, s.answer) for s in rules.reported_signs}
    for rule in load_rules().rules:
        if rule.plan_status in (PlanStatus.SEEK_CARE_NOW, PlanStatus.SEE_CLINICIAN_FIRST):
            assert {("red_flags", f.value) for f in rule.when.red_flags} <= named, rule.id
        if rule.plan_status is PlanStatus.SEEK_CARE_NOW:
            assert {("leg_symptoms", v.value) for v in rule.when.leg_symptoms} <= named, rule.id
    broken = rules.model_dump(mode="json")
    broken["reported_signs"] = [
        s for s in broken["reported_signs"] if s["answer"] != "major_trauma"
    ]
    with pytest.raises(SafetyRulesError, match="major_trauma"):
        parse_safety_rules(broken)
    broken["reported_signs"].append({"field": "red_flags", "answer": "nope", "text": "x"})
    with pytest.raises(SafetyRulesError, match="nope"):
        parse_safety_rules(broken)


# ------------------------------------------------------------- withdrawn clearances


def _disc_cleared(
    withdrawal: ClearanceWithdrawal | None, *, in_intake: bool = False
) -> PersonHistory:
    """A disc (the full twist needs a clearance), a clinician's clearance of it recorded on
    T0 - 5 days (also written into the intake with ``in_intake``), maybe withdrawn."""
    answers = intake("02_chronic_low_back_pain.json").model_copy(
        update={"conditions": frozenset({Condition.HERNIATED_DISC})}
    )
    clearance = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Lee",
        date=(T0 - dt.timedelta(days=5)).date(),
        variants=(FULL, PARTIAL),
        max_knee_drop_deg=50.0,
    )
    if in_intake:
        answers = answers.model_copy(update={"clearances": (clearance,)})
    return PersonHistory(
        intakes=(DatedIntake(answers, T0 - dt.timedelta(days=10)),),
        clearances=(DatedClearance(clearance, T0 - dt.timedelta(days=5), withdrawal),),
    )


def test_a_withdrawn_clearance_counts_for_nothing_from_its_withdrawal_on() -> None:
    assert run(_disc_cleared(None), T0).permission(FULL).allowed
    withdrawal = ClearanceWithdrawal(
        T0 - dt.timedelta(days=1), ClearanceBy.CLINICIAN, "Dr Lee", "The new scan shows a disc."
    )
    h = _disc_cleared(withdrawal)
    d = run(h, T0)
    full = d.permission(FULL)
    assert not full.allowed and full.plan_status.value == "needs_clearance"
    texts = [r.text for r in d.reasons]
    assert (
        "Your clinician withdrew the clearance for Supine twist (knees towards the floor) on "
        "2026-11-30: The new scan shows a disc." in texts
    )
    assert any(
        t.startswith("Your clinician withdrew the clearance for Supine twist (part way)")
        for t in texts
    )
    refusal = d.refusal(FULL)
    assert refusal is not None and "withdrew the clearance" in refusal
    assert "SAFE-" not in " ".join(texts) and FULL not in " ".join(texts)
    # Before the withdrawal it still counted: the history is not rewritten.
    assert run(h, T0 - dt.timedelta(days=2)).permission(FULL).allowed
    # The same clearance written into the intake is withdrawn too (fail safe).
    assert not run(_disc_cleared(withdrawal, in_intake=True), T0).permission(FULL).allowed
    assert run(_disc_cleared(None, in_intake=True), T0).permission(FULL).allowed


def test_a_teachers_withdrawal_says_teacher_and_a_new_clearance_ends_the_reason() -> None:
    withdrawal = ClearanceWithdrawal(
        T0 - dt.timedelta(days=1), ClearanceBy.TEACHER, "Tess", "Hip pain."
    )
    h = _disc_cleared(withdrawal)
    assert any(r.text.startswith("Your teacher withdrew") for r in run(h, T0).reasons)
    again = Clearance(
        by=ClearanceBy.CLINICIAN,
        name="Dr Lee",
        date=T0.date(),
        variants=(FULL,),
        max_knee_drop_deg=40.0,
    )
    h2 = PersonHistory(intakes=h.intakes, clearances=(*h.clearances, DatedClearance(again, T0)))
    d = run(h2, T0 + dt.timedelta(hours=1))
    assert d.permission(FULL).allowed and d.permission(FULL).cap_deg == 40.0
    said = [r.text for r in d.reasons if r.rule.startswith("SAFE-CLEARANCE-WITHDRAWN")]
    # The full twist was cleared again; the part-way one was not (its words stay).
    assert len(said) == 1 and "Supine twist (part way)" in said[0]


def test_who_may_withdraw_a_clearance() -> None:
    clinician, teacher = ClearanceBy.CLINICIAN, ClearanceBy.TEACHER
    assert may_withdraw(clinician, teacher, gave_it=False) is None
    assert may_withdraw(clinician, clinician, gave_it=False) is None
    assert may_withdraw(teacher, teacher, gave_it=True) is None
    for cleared_by, gave in ((teacher, False), (clinician, True), (clinician, False)):
        refused = may_withdraw(teacher, cleared_by, gave_it=gave)
        assert refused is not None and refused.rule == "SAFE-WHO-WITHDRAWS"
