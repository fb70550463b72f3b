"""Property tests: more risk never loosens a plan (hypothesis over generated intakes)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

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
from twistcoach.poses import load_library
from twistcoach.screening import ReadinessPlan, VariantStatus, screen

LIBRARY = load_library()
EMERGENCY = {
    RedFlag.BLADDER_DYSFUNCTION,
    RedFlag.BOWEL_INCONTINENCE,
    RedFlag.SADDLE_NUMBNESS,
    RedFlag.PROGRESSIVE_LEG_WEAKNESS,
}
LEG_ORDER = list(LegSymptoms)
# Less active is riskier: active < light < deconditioned.
ACTIVITY_ORDER = [Activity.ACTIVE, Activity.LIGHT, Activity.DECONDITIONED]


@st.composite
def clearances(draw: st.DrawFn) -> Clearance:
    by = draw(st.sampled_from(list(ClearanceBy)))
    return Clearance(
        by=by,
        name="Someone",
        date=dt.date(2026, 11, 1) + dt.timedelta(days=draw(st.integers(-400, 400))),
        variants=tuple(
            draw(st.lists(st.sampled_from(LIBRARY.ids), min_size=1, max_size=4, unique=True))
        ),
        max_knee_drop_deg=draw(st.none() | st.integers(5, 90).map(float)),
        max_trunk_rotation_deg=draw(st.none() | st.integers(5, 45).map(float)),
        teacher_trained_for_back_problems=by is ClearanceBy.TEACHER and draw(st.booleans()),
    )


@st.composite
def intakes(draw: st.DrawFn) -> Intake:
    conditions = draw(st.frozensets(st.sampled_from(list(Condition)), max_size=4))
    pregnant = Condition.PREGNANCY in conditions
    return Intake(
        age=draw(st.integers(16, 95)),
        pain_now=draw(st.integers(0, 10)),
        pain_duration_weeks=draw(st.integers(0, 200)),
        activity=draw(st.sampled_from(list(Activity))),
        leg_symptoms=draw(st.sampled_from(LEG_ORDER)),
        red_flags=draw(st.frozensets(st.sampled_from(list(RedFlag)), max_size=3)),
        conditions=conditions,
        surgery_months_ago=(
            draw(st.none() | st.integers(0, 60).map(float))
            if conditions & SURGERY_CONDITIONS
            else None
        ),
        pregnancy_weeks=draw(st.none() | st.integers(0, 42)) if pregnant else None,
        clearances=tuple(draw(st.lists(clearances(), max_size=3))),
    )


def assert_not_looser(before: ReadinessPlan, after: ReadinessPlan) -> None:
    assert after.status.rank >= before.status.rank
    for old, new in zip(before.variants, after.variants, strict=True):
        assert old.id == new.id
        assert new.status.rank >= old.status.rank, (old.id, old.status, new.status)
        if new.allowed and new.max_knee_drop_deg is not None:
            assert old.max_knee_drop_deg is not None
            assert new.max_knee_drop_deg <= old.max_knee_drop_deg
        # The cap in the variant's own measure (trunk rotation for seated and standing
        # twists) never rises either.
        if new.range is not None:
            assert old.range is not None and old.range.measure is new.range.measure
            assert new.range.max_deg <= old.range.max_deg, (old.id, old.range, new.range)


@settings(max_examples=150, deadline=None)
@given(intakes(), st.sampled_from(list(RedFlag)))
def test_adding_a_red_flag_never_loosens(person: Intake, flag: RedFlag) -> None:
    riskier = person.model_copy(update={"red_flags": person.red_flags | {flag}})
    assert_not_looser(screen(person, LIBRARY), screen(riskier, LIBRARY))


@settings(max_examples=150, deadline=None)
@given(intakes(), st.sampled_from(list(Condition)))
def test_adding_a_condition_never_loosens(person: Intake, condition: Condition) -> None:
    riskier = person.model_copy(update={"conditions": person.conditions | {condition}})
    assert_not_looser(screen(person, LIBRARY), screen(riskier, LIBRARY))


@settings(max_examples=100, deadline=None)
@given(intakes(), st.integers(0, 10), st.integers(0, 30))
def test_more_pain_or_age_never_loosens(person: Intake, more_pain: int, more_age: int) -> None:
    # From 20 on: new back pain under 20 is itself a red flag (CLINICAL.md §2), so a
    # teenager's plan may loosen at 20.
    riskier = person.model_copy(
        update={
            "pain_now": min(10, person.pain_now + more_pain),
            "age": min(120, person.age + more_age) if person.age >= 20 else person.age,
        }
    )
    assert_not_looser(screen(person, LIBRARY), screen(riskier, LIBRARY))


@settings(max_examples=100, deadline=None)
@given(intakes(), st.integers(0, 3), st.integers(0, 2))
def test_worse_legs_or_fitness_never_loosens(person: Intake, legs: int, fitness: int) -> None:
    leg = LEG_ORDER[max(LEG_ORDER.index(person.leg_symptoms), legs)]
    activity = ACTIVITY_ORDER[max(ACTIVITY_ORDER.index(person.activity), fitness)]
    riskier = person.model_copy(update={"leg_symptoms": leg, "activity": activity})
    assert_not_looser(screen(person, LIBRARY), screen(riskier, LIBRARY))


@settings(max_examples=150, deadline=None)
@given(intakes(), st.sampled_from(sorted(HIP_REPLACEMENTS)))
def test_not_knowing_the_hip_approach_never_loosens(person: Intake, known: Condition) -> None:
    # A hip replacement whose approach the person does not know is planned at least as
    # strictly as one of any known approach (posterior included): fail safe.
    hips = person.conditions & HIP_REPLACEMENTS
    conditions = person.conditions - hips
    months = person.surgery_months_ago if hips else None
    told = person.model_copy(
        update={"conditions": conditions | {known}, "surgery_months_ago": months}
    )
    unknown = told.model_copy(
        update={"conditions": conditions | {Condition.HIP_REPLACEMENT_UNKNOWN_APPROACH}}
    )
    assert_not_looser(screen(told, LIBRARY), screen(unknown, LIBRARY))


@settings(max_examples=150, deadline=None)
@given(intakes(), st.floats(0, 1), st.integers(-400, 400))
def test_a_more_recent_surgery_never_loosens(person: Intake, share: float, days: int) -> None:
    # Fewer months since a surgery (spine or hip) never lets more through, on the day the
    # intake was answered too (a clearance may then predate the surgery); and with no
    # calendar, an unknown time is planned as recent.
    if person.surgery_months_ago is None:
        return
    recent = person.model_copy(update={"surgery_months_ago": person.surgery_months_ago * share})
    day = dt.date(2026, 11, 1) + dt.timedelta(days=days)
    assert_not_looser(screen(person, LIBRARY), screen(recent, LIBRARY))
    assert_not_looser(
        screen(person, LIBRARY, today=day, answered_on=day),
        screen(recent, LIBRARY, today=day, answered_on=day),
    )
    unknown = person.model_copy(update={"surgery_months_ago": None})
    assert_not_looser(screen(person, LIBRARY), screen(unknown, LIBRARY))


@settings(max_examples=150, deadline=None)
@given(intakes(), st.integers(-400, 400))
def test_an_earlier_today_never_loosens(person: Intake, days: int) -> None:
    # Counting clearances from their dates can only hold back: an earlier calendar day never
    # lets more through than a later one, nor than no calendar at all.
    later = dt.date(2026, 11, 1) + dt.timedelta(days=days)
    earlier = later - dt.timedelta(days=30)
    assert_not_looser(screen(person, LIBRARY), screen(person, LIBRARY, today=later))
    assert_not_looser(screen(person, LIBRARY, today=later), screen(person, LIBRARY, today=earlier))


@settings(max_examples=150, deadline=None)
@given(intakes())
def test_plan_invariants(person: Intake) -> None:
    plan = screen(person, LIBRARY)
    emergency = bool(person.red_flags & EMERGENCY) or person.leg_symptoms is LegSymptoms.BOTH_LEGS
    assert (plan.status.value == "seek_care_now") is emergency
    if emergency:
        assert plan.allowed_variants() == ()
    assert (plan.status.value == "ready") is (len(plan.allowed_variants()) > 0)
    for decision, variant in zip(plan.variants, LIBRARY, strict=True):
        assert decision.reasons
        if decision.status is not VariantStatus.ALLOWED:
            assert decision.max_knee_drop_deg is None
        elif variant.family.has_knee_drop:
            assert decision.max_knee_drop_deg is not None
            assert variant.default_max_knee_drop_deg is not None
            assert decision.max_knee_drop_deg <= variant.default_max_knee_drop_deg < 90
            if person.age >= 70 or person.conditions or person.pain_now >= 1:
                assert decision.max_knee_drop_deg <= 45  # CLINICAL.md §5: <=50% with caution
        else:
            assert decision.max_knee_drop_deg is None
        if decision.status is VariantStatus.ALLOWED:
            # Every allowed variant has a cap in its own measure, below its own cap.
            assert decision.range is not None
            assert decision.range.measure is variant.measure
            assert decision.range.max_deg <= variant.default_max_deg < variant.full_range_deg
            if not variant.family.has_knee_drop:
                assert decision.rotation_cap_deg == decision.range.max_deg
                assert decision.range.max_deg <= 0.7 * variant.full_range_deg
                if person.age >= 65 or person.conditions or person.pain_now >= 1:
                    # CLINICAL.md §5: <=50% of the ~45 degree range with a caution flag.
                    assert decision.range.max_deg <= 22
        else:
            assert decision.range is None
        # A variant no counting clearance names is never unlocked past a rule's block.
        if person.red_flags - EMERGENCY and decision.allowed:
            assert any(
                c.by is ClearanceBy.CLINICIAN and decision.id in c.variants
                for c in person.clearances
            )
