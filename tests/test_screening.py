"""Table tests for every screening rule, clearances, and the rule table's validation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twistcoach.coaching import load_coaching_rules
from twistcoach.intake import Clearance, Intake, parse_intake
from twistcoach.poses import PoseLibrary, load_library
from twistcoach.poses.schema import TwistFamily
from twistcoach.screening import (
    PlanStatus,
    ReadinessPlan,
    RulesError,
    ScreeningError,
    VariantStatus,
    firing_rules,
    intake_as_of,
    load_rules,
    parse_rules,
    screen,
)

PARTIAL_ID = "supine_twist_partial"
A, N, X = VariantStatus.ALLOWED, VariantStatus.NEEDS_CLEARANCE, VariantStatus.NOT_ALLOWED
ORDER = (
    "supine_twist_supported",
    "supine_twist_partial",
    "supine_twist_full",
    "seated_twist_easy",
    "seated_twist_marichyasana",
    "seated_twist_half_lord_of_fishes",
    "standing_twist_revolved_triangle",
)


@pytest.fixture(scope="module")
def library() -> PoseLibrary:
    return load_library()


def intake(**changes: Any) -> Intake:
    data: dict[str, Any] = {
        "age": 40,
        "pain_now": 0,
        "pain_duration_weeks": 0,
        "activity": "active",
        "leg_symptoms": "none",
    }
    data.update(changes)
    return parse_intake(data)


def clinician(*variants: str, cap: float | None = None) -> dict[str, Any]:
    return {
        "by": "clinician",
        "name": "Dr Rao",
        "date": "2026-11-01",
        "variants": list(variants),
        "max_knee_drop_deg": cap,
    }


def teacher(*variants: str, trained: bool, cap: float | None = None) -> dict[str, Any]:
    return {
        "by": "teacher",
        "name": "Mia",
        "date": "2026-11-02",
        "variants": list(variants),
        "max_knee_drop_deg": cap,
        "teacher_trained_for_back_problems": trained,
    }


def summary(plan: ReadinessPlan) -> list[tuple[VariantStatus, float | None]]:
    assert tuple(d.id for d in plan.variants) == ORDER
    return [(d.status, d.max_knee_drop_deg) for d in plan.variants]


def rules_of(plan: ReadinessPlan, variant_id: str) -> set[str]:
    return {r.rule for r in plan.decision(variant_id).reasons}


# Each row: rule id, the intake that fires it, expected plan status, expected per variant
# (status, cap) in ORDER. Caps: 45/54/63 are the library's own (50/60/70% of ~90 degrees).
TABLE: list[tuple[str, Intake, PlanStatus, list[tuple[VariantStatus, float | None]]]] = [
    (
        "no_rule",
        intake(),
        PlanStatus.READY,
        [(A, 45), (A, 54), (A, 63), (A, None), (A, None), (A, None), (A, None)],
    ),
    (
        "emergency_signs",
        intake(red_flags=["saddle_numbness"]),
        PlanStatus.SEEK_CARE_NOW,
        [(X, None)] * 7,
    ),
    (
        "emergency_signs",
        intake(leg_symptoms="both_legs"),
        PlanStatus.SEEK_CARE_NOW,
        [(X, None)] * 7,
    ),
    (
        "serious_red_flag",
        intake(red_flags=["history_of_cancer"]),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(X, None)] * 7,
    ),
    (
        "serious_red_flag",
        intake(red_flags=["no_improvement_after_a_month"]),  # CLINICAL.md §2, cancer
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(X, None)] * 7,
    ),
    (
        "caution_supine_only",
        intake(pain_now=1),
        PlanStatus.READY,
        [(A, 45), (A, 45), (N, None), (X, None), (X, None), (X, None), (X, None)],
    ),
    (
        "caution_supine_only",
        intake(activity="deconditioned"),
        PlanStatus.READY,
        [(A, 45), (A, 45), (N, None), (X, None), (X, None), (X, None), (X, None)],
    ),
    (
        "caution_supine_only",
        intake(leg_symptoms="above_knee"),
        PlanStatus.READY,
        [(A, 45), (A, 45), (N, None), (X, None), (X, None), (X, None), (X, None)],
    ),
    (
        "caution_supine_only",
        intake(conditions=["scoliosis"]),
        PlanStatus.READY,
        [(A, 45), (A, 45), (N, None), (X, None), (X, None), (X, None), (X, None)],
    ),
    (
        "disc_or_nerve_root",
        intake(conditions=["herniated_disc"]),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "disc_or_nerve_root",
        intake(leg_symptoms="below_knee"),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "spondylolisthesis_or_stenosis",
        intake(conditions=["spinal_stenosis"]),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "vertebral_fracture",
        intake(conditions=["vertebral_fracture"]),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None), (N, None)] + [(X, None)] * 5,
    ),
    (
        "recent_spinal_surgery",
        intake(conditions=["spinal_surgery"], surgery_months_ago=6),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "recent_spinal_surgery",
        intake(conditions=["spinal_surgery"]),  # unknown timing counts as recent
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "hip_replacement_posterior",
        intake(conditions=["hip_replacement_posterior"]),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "hip_replacement_posterior",
        # Another or an unknown approach is planned as posterior, however long ago.
        intake(conditions=["hip_replacement_unknown_approach"], surgery_months_ago=24),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "recent_hip_replacement",
        intake(conditions=["hip_replacement_anterior"], surgery_months_ago=2),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "recent_hip_replacement",
        intake(conditions=["hip_replacement_anterior"]),  # unknown timing counts as recent
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "pregnancy",
        intake(conditions=["pregnancy"], pregnancy_weeks=12),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(N, None)] * 3 + [(X, None)] * 4,
    ),
    (
        "low_bone_density",
        intake(conditions=["osteopenia"]),
        PlanStatus.READY,
        [(A, 40), (A, 40), (X, None), (X, None), (X, None), (X, None), (X, None)],
    ),
    (
        "pain_above_stop",
        intake(pain_now=6),
        PlanStatus.REST_TODAY,
        [(X, None)] * 7,
    ),
    (
        "back_pain_age_red_flag",
        intake(age=71, pain_now=1),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(X, None)] * 7,
    ),
    (
        "back_pain_age_red_flag",
        intake(age=78, pain_duration_weeks=30),  # an episode, even on a painless day
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(X, None)] * 7,
    ),
    (
        "new_back_pain_age_red_flag",
        intake(age=55, pain_now=2, pain_duration_weeks=1),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(X, None)] * 7,
    ),
    (
        "new_back_pain_age_red_flag",
        intake(age=17, pain_duration_weeks=2),
        PlanStatus.SEE_CLINICIAN_FIRST,
        [(X, None)] * 7,
    ),
    (
        "flare_today",
        intake(conditions=["acute_flare"]),
        PlanStatus.READY,
        [(A, 35)] + [(X, None)] * 6,
    ),
    (
        "age_65_plus",
        intake(age=66),
        PlanStatus.READY,
        [(A, 45), (A, 45), (A, 45), (A, None), (A, None), (A, None), (A, None)],
    ),
    (
        "age_70_plus",
        intake(age=70),
        PlanStatus.READY,
        [(A, 40), (A, 40), (A, 40), (A, None), (A, None), (A, None), (A, None)],
    ),
    (
        "si_joint",
        intake(conditions=["si_joint_pain"]),
        PlanStatus.READY,
        [(A, 45), (A, 45), (N, None), (X, None), (X, None), (X, None), (X, None)],
    ),
]


@pytest.mark.parametrize(("rule", "person", "status", "expected"), TABLE)
def test_rule_table(
    library: PoseLibrary,
    rule: str,
    person: Intake,
    status: PlanStatus,
    expected: list[tuple[VariantStatus, float | None]],
) -> None:
    plan = screen(person, library)
    assert plan.status is status
    assert summary(plan) == expected
    if rule != "no_rule":
        assert rule in firing_rules(person)
        assert rule in plan.fired_rules()
    for decision in plan.variants:
        assert decision.reasons, f"{decision.id} has no reason"
        for reason in decision.reasons:
            assert reason.source.startswith("CLINICAL.md §")
        if decision.allowed and decision.max_knee_drop_deg is not None:
            assert decision.max_knee_drop_deg < 90


def test_every_rule_in_the_table_is_tested() -> None:
    tested = {row[0] for row in TABLE}
    assert {rule.id for rule in load_rules().rules} <= tested | {"pregnancy_later_short_holds"}


def test_si_joint_and_later_pregnancy_add_advice(library: PoseLibrary) -> None:
    plan = screen(intake(conditions=["si_joint_pain"]), library)
    assert any("pelvis roll" in line for line in plan.advice)
    early = intake(conditions=["pregnancy"], pregnancy_weeks=12, clearances=[clinician(*ORDER)])
    later = intake(conditions=["pregnancy"], pregnancy_weeks=24, clearances=[clinician(*ORDER)])
    early_plan, later_plan = screen(early, library), screen(later, library)
    assert summary(early_plan)[:3] == [(A, 45), (A, 45), (A, 45)]
    assert summary(later_plan)[:3] == [(A, 30), (A, 30), (A, 30)]
    assert "pregnancy_later_short_holds" in rules_of(later_plan, "supine_twist_partial")
    assert any("about 15 seconds" in line for line in later_plan.advice)
    # Closed twists stay off in pregnancy even when a clinician names them.
    assert summary(later_plan)[3:] == [(A, None), (X, None), (X, None), (X, None)]


def test_an_allowed_seated_twist_is_told_what_applies_sitting(library: PoseLibrary) -> None:
    """On an allowed seated twist the reasons said "start with the supported or part-way
    supine twist" (twice: the lifted block and the cap), "keep spells lying on your back
    short", and the advice "let your pelvis roll with your knees"."""
    later = intake(
        conditions=["pregnancy", "si_joint_pain"],
        pain_now=2,
        pregnancy_weeks=24,
        clearances=[clinician("supine_twist_supported", "seated_twist_easy")],
    )
    plan = screen(later, library)
    seated = plan.decision("seated_twist_easy")
    assert seated.status is A and seated.range is not None and seated.range.max_deg == 15
    rules = [r.rule for r in seated.reasons]
    assert rules.count("caution_supine_only") == 1  # its cap said in its one reason
    caution = next(r for r in seated.reasons if r.rule == "caution_supine_only")
    assert "a seated twist waits" in caution.text and "at most 22 degrees" in caution.text
    for reason in seated.reasons:
        assert "supine" not in reason.text.replace("supine twists only", ""), reason
        assert "lying on your back" not in reason.text, reason
    later_words = next(r for r in seated.reasons if r.rule == "pregnancy_later_short_holds")
    assert later_words.text.startswith("Later in pregnancy, keep each side short")
    # The supine twist keeps its own words.
    supine = plan.decision("supine_twist_supported")
    said = " ".join(r.text for r in supine.reasons)
    assert "start with the supported or part-way supine twist" in said
    assert "lying on your back short" in said
    # The plan's advice for each position allowed: seated and lying both, here.
    assert any("pelvis turn with your trunk" in line for line in plan.advice)
    assert any("pelvis roll with your knees" in line for line in plan.advice)
    si = load_rules().rule("si_joint")
    assert not any("knees" in line for line in si.advice_for((TwistFamily.SEATED_TWIST,)))
    assert si.advice_for(()) == si.advice  # nothing allowed: the rule's own
    assert si.advice_for((TwistFamily.SUPINE_TWIST,)) == si.advice


def test_every_rules_position_words_differ_from_its_own() -> None:
    for rule in load_rules().rules:
        for family, words in rule.by_position.items():
            assert words.text != rule.text, (rule.id, family)
            assert words.advice != rule.advice, (rule.id, family)


def test_emergency_is_never_overridden(library: PoseLibrary) -> None:
    person = intake(
        red_flags=["bladder_dysfunction"],
        clearances=[clinician(*ORDER), teacher(*ORDER, trained=True)],
    )
    plan = screen(person, library)
    assert plan.status is PlanStatus.SEEK_CARE_NOW
    assert plan.allowed_variants() == ()
    assert plan.advice[0].startswith("Seek medical care today")
    assert not any("Supine before seated" in line for line in plan.advice)


def test_clinician_clearance_lifts_a_red_flag_for_named_variants_only(
    library: PoseLibrary,
) -> None:
    person = intake(red_flags=["history_of_cancer"], clearances=[clinician("supine_twist_partial")])
    plan = screen(person, library)
    assert plan.status is PlanStatus.READY
    assert [d.id for d in plan.allowed_variants()] == ["supine_twist_partial"]
    assert plan.decision("supine_twist_partial").max_knee_drop_deg == 54
    assert "clearance_applied" in rules_of(plan, "supine_twist_partial")
    assert plan.decision("supine_twist_full").status is X


def test_teacher_cannot_lift_a_red_flag(library: PoseLibrary) -> None:
    person = intake(
        red_flags=["thoracic_pain"], clearances=[teacher("supine_twist_partial", trained=True)]
    )
    plan = screen(person, library)
    assert plan.status is PlanStatus.SEE_CLINICIAN_FIRST
    assert plan.allowed_variants() == ()
    # Said, never silently unused: the teacher's clearance needs a clinician's here.
    partial = plan.decision("supine_twist_partial")
    said = [r for r in partial.reasons if r.rule == "clearance_needs_clinician"]
    assert said and "only a clinician's clearance can" in said[0].text


def test_no_teacher_hint_where_a_clinician_must_clear(library: PoseLibrary) -> None:
    """Spondylolisthesis needs a clinician: no variant it blocks says a back-trained
    teacher could unlock it (the red team's plan listed both hints side by side)."""
    plan = screen(intake(pain_now=2, conditions=["spondylolisthesis"]), library)
    for decision in plan.variants:
        rules = {r.rule for r in decision.reasons}
        assert not {"unlock_hint_clinician", "unlock_hint_teacher"} <= rules, decision.variant_id
        if "unlock_hint_clinician" in rules:
            assert "unlock_hint_teacher" not in rules


def test_trained_teacher_unlocks_seated_pose_by_pose(library: PoseLibrary) -> None:
    person = intake(
        pain_now=2, clearances=[teacher("seated_twist_easy", "supine_twist_full", trained=True)]
    )
    plan = screen(person, library)
    assert summary(plan) == [
        (A, 45),
        (A, 45),
        (A, 45),
        (A, None),
        (X, None),
        (X, None),
        (X, None),
    ]
    assert "clearance_applied" in rules_of(plan, "seated_twist_easy")
    # The cleared seated twist gets its cap in its own measure, at the caution flag's half.
    assert "rotation_cap" in rules_of(plan, "seated_twist_easy")
    assert plan.decision("seated_twist_easy").rotation_cap_deg == 22


def test_untrained_teacher_clearance_is_not_counted_and_says_so(library: PoseLibrary) -> None:
    person = intake(pain_now=2, clearances=[teacher("seated_twist_easy", trained=False)])
    plan = screen(person, library)
    decision = plan.decision("seated_twist_easy")
    assert decision.status is X
    assert "clearance_not_counted" in rules_of(plan, "seated_twist_easy")


def test_teacher_cannot_clear_a_disc_problem_but_a_clinician_can_with_a_cap(
    library: PoseLibrary,
) -> None:
    by_teacher = intake(
        conditions=["sciatica"], clearances=[teacher("supine_twist_partial", trained=True)]
    )
    assert screen(by_teacher, library).decision("supine_twist_partial").status is N
    by_clinician = intake(
        conditions=["sciatica"], clearances=[clinician("supine_twist_partial", cap=30)]
    )
    plan = screen(by_clinician, library)
    assert plan.status is PlanStatus.READY
    assert summary(plan)[:3] == [(N, None), (A, 30), (N, None)]
    assert {"disc_or_nerve_root", "clearance_applied", "clearance_cap"} <= rules_of(
        plan, "supine_twist_partial"
    )


def test_hip_posterior_clearance_adds_pillow_and_small_range(library: PoseLibrary) -> None:
    person = intake(
        conditions=["hip_replacement_posterior"], clearances=[clinician("supine_twist_partial")]
    )
    decision = screen(person, library).decision("supine_twist_partial")
    assert decision.status is A
    assert decision.max_knee_drop_deg == 30
    assert [p.value for p in decision.props] == ["mat", "pillow"]


def test_bone_density_full_twist_stays_off_even_with_clearance(library: PoseLibrary) -> None:
    person = intake(
        conditions=["osteoporosis"],
        clearances=[clinician("supine_twist_full", "seated_twist_easy")],
    )
    plan = screen(person, library)
    assert plan.decision("supine_twist_full").status is X
    assert plan.decision("seated_twist_easy").status is X


def test_old_surgery_is_only_a_caution(library: PoseLibrary) -> None:
    plan = screen(intake(conditions=["spinal_surgery"], surgery_months_ago=24), library)
    assert plan.status is PlanStatus.READY
    assert summary(plan)[:3] == [(A, 45), (A, 45), (N, None)]


def test_clearance_cap_applies_even_when_not_needed(library: PoseLibrary) -> None:
    plan = screen(intake(clearances=[clinician("supine_twist_full", cap=20)]), library)
    assert plan.decision("supine_twist_full").max_knee_drop_deg == 20
    assert plan.decision("supine_twist_partial").max_knee_drop_deg == 54


def test_a_clearance_dated_after_today_unlocks_nothing_until_its_date(
    library: PoseLibrary,
) -> None:
    cleared = clinician("supine_twist_partial", cap=30)  # dated 2026-11-01
    person = intake(conditions=["sciatica"], clearances=[cleared])
    early = screen(person, library, today=dt.date(2026, 10, 31))
    partial = early.decision("supine_twist_partial")
    assert partial.status is N
    assert "clearance_not_yet" in rules_of(early, "supine_twist_partial")
    assert "clearance_applied" not in rules_of(early, "supine_twist_partial")
    text = next(r.text for r in partial.reasons if r.rule == "clearance_not_yet")
    assert "Dr Rao (clinician)'s clearance is dated 2026-11-01, after today" in text
    for day in (dt.date(2026, 11, 1), dt.date(2027, 3, 1)):  # its own day, and later
        on = screen(person, library, today=day)
        assert on.decision("supine_twist_partial").status is A
        assert on.decision("supine_twist_partial").max_knee_drop_deg == 30
        assert "clearance_not_yet" not in rules_of(on, "supine_twist_partial")
    # A red flag a clinician lifts stays until the clearance's day (the plan's status too).
    flagged = intake(red_flags=["history_of_cancer"], clearances=[clinician(PARTIAL_ID)])
    assert screen(flagged, library, today=dt.date(2026, 10, 31)).allowed_variants() == ()
    assert screen(flagged, library, today=dt.date(2026, 10, 31)).status is not PlanStatus.READY
    assert screen(flagged, library, today=dt.date(2026, 11, 1)).status is PlanStatus.READY


def test_a_future_clearances_limit_still_applies(library: PoseLibrary) -> None:
    # Not yet in force, but a limit someone set is always respected.
    person = intake(clearances=[clinician("supine_twist_full", cap=20)])
    plan = screen(person, library, today=dt.date(2026, 1, 1))
    assert plan.decision("supine_twist_full").max_knee_drop_deg == 20


def test_clearance_with_unknown_variant_is_an_error(library: PoseLibrary) -> None:
    with pytest.raises(ScreeningError, match=r"clearances\.0\.variants: unknown variant"):
        screen(intake(clearances=[clinician("lotus")]), library)


def test_helpers(library: PoseLibrary) -> None:
    plan = screen(intake(pain_now=3), library)
    assert plan.is_allowed("supine_twist_partial")
    assert not plan.is_allowed("seated_twist_easy")
    assert not plan.is_allowed("lotus")
    with pytest.raises(KeyError, match="unknown variant 'lotus'"):
        plan.decision("lotus")
    assert plan.fired_rules()[0] == "caution_supine_only"
    data = plan.to_json_dict()
    assert set(data) == {"status", "variants", "advice"}
    assert set(data["variants"][0]) == {
        "id",
        "family",
        "status",
        "max_knee_drop_deg",
        "range",
        "props",
        "reasons",
    }
    assert data["variants"][0]["range"] == {"measure": "knee_drop", "max_deg": 45}
    assert set(data["variants"][0]["reasons"][0]) == {"rule", "text", "source"}
    assert data["status"] == "ready"
    assert data["variants"][3]["max_knee_drop_deg"] is None


def test_no_variant_allowed_gives_see_clinician_first(library: PoseLibrary) -> None:
    plan = screen(intake(conditions=["pregnancy"]), library)
    assert plan.status is PlanStatus.SEE_CLINICIAN_FIRST
    assert any("No twist is allowed yet" in line for line in plan.advice)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"][0].update(source="a website"), "must cite a CLINICAL.md section"),
        (lambda d: d["rules"][0].update(when={}), "at least one criterion"),
        (lambda d: d["rules"][1].update(id="emergency_signs"), "duplicate rule ids"),
        (lambda d: d["rules"][0].update(plan_status_unlock="clinician"), "never be unlocked"),
        (lambda d: d["notes"].pop("range_cap"), "notes missing"),
        (lambda d: d["rules"][0].update(colour="red"), "colour"),
    ],
)
def test_invalid_rule_tables_are_rejected(mutate: Any, message: str) -> None:
    from importlib import resources

    import yaml

    data = yaml.safe_load(
        resources.files("twistcoach.rules").joinpath("screening.yaml").read_text("utf-8")
    )
    assert parse_rules(data).rules[0].id == "emergency_signs"
    mutate(data)
    with pytest.raises(RulesError, match=message):
        parse_rules(data)


def test_docs_rule_tables_are_up_to_date() -> None:
    """docs/screening.md carries the generated tables; regenerate: python -m twistcoach.rules."""
    from pathlib import Path

    from twistcoach.rules.__main__ import update

    doc = Path(__file__).resolve().parents[1] / "docs" / "screening.md"
    text = doc.read_text(encoding="utf-8")
    assert update(text) == text, "docs/screening.md is stale: run python -m twistcoach.rules"
    for rule in load_rules().rules:
        assert f"| `{rule.id}` |" in text


def test_docs_give_seated_and_standing_twists_their_rotation_cap(library: PoseLibrary) -> None:
    """docs/screening.md said seated and standing twists have a null cap and "the coach
    gives no range cues for them", which their rotation caps and the seated coach's cues
    contradict."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "screening.md"
    text = " ".join(doc.read_text(encoding="utf-8").split())
    assert "no range cues" not in text and "cap is `null`" not in text
    assert "default_max_trunk_rotation_deg" in text and "`range`" in text
    for variant in library:
        if not variant.family.has_knee_drop:  # each own cap, in its own measure
            assert f"| `{variant.id}` | {variant.family.value} | 45° |" in text
            assert f"| {variant.default_max_deg:g}° |" in text
    assert "| `supine_twist_full` | supine_twist | 90° | 63° | 70% |" in text


# -- the red-team's intakes (2026-12-07): every case below loosened a plan before --------


def test_new_pain_means_under_six_weeks_and_old_pain_at_55_is_no_red_flag(
    library: PoseLibrary,
) -> None:
    older = intake(age=55, pain_now=2, pain_duration_weeks=10)
    assert "new_back_pain_age_red_flag" not in firing_rules(older)
    assert screen(older, library).status is PlanStatus.READY
    no_pain = intake(age=55)  # no back pain at all: nothing to flag
    assert not {"new_back_pain_age_red_flag", "back_pain_age_red_flag"} & set(firing_rules(no_pain))


@pytest.mark.parametrize(
    ("age", "condition", "rule"),
    [
        (75, "acute_flare", "back_pain_age_red_flag"),
        (90, "chronic_low_back_pain", "back_pain_age_red_flag"),
        (55, "acute_flare", "new_back_pain_age_red_flag"),
        (18, "herniated_disc", "new_back_pain_age_red_flag"),
    ],
)
def test_a_back_pain_condition_is_back_pain_whatever_the_numbers_say(
    library: PoseLibrary, age: int, condition: str, rule: str
) -> None:
    # Pain 0/10 for 0 weeks, yet a back-pain condition ticked: the stricter reading wins.
    person = intake(age=age, conditions=[condition])
    assert rule in firing_rules(person)
    assert screen(person, library).status is not PlanStatus.READY


def test_pregnancy_with_unknown_weeks_is_planned_as_later_pregnancy(library: PoseLibrary) -> None:
    unknown = intake(conditions=["pregnancy"], clearances=[clinician(*ORDER)])
    plan = screen(unknown, library)
    assert "pregnancy_later_short_holds" in plan.fired_rules()
    assert summary(plan)[:3] == [(A, 30), (A, 30), (A, 30)]
    assert any("about 15 seconds" in line for line in plan.advice)


def test_weeks_of_pregnancy_count_on_from_the_day_the_intake_was_answered(
    library: PoseLibrary,
) -> None:
    person = intake(conditions=["pregnancy"], pregnancy_weeks=18, clearances=[clinician(*ORDER)])
    answered = dt.date(2026, 11, 2)
    same_day = screen(person, library, today=answered, answered_on=answered)
    assert "pregnancy_later_short_holds" not in same_day.fired_rules()
    a_month_on = screen(person, library, today=dt.date(2026, 12, 2), answered_on=answered)
    assert "pregnancy_later_short_holds" in a_month_on.fired_rules()
    assert intake_as_of(person, answered, dt.date(2026, 12, 2)).pregnancy_weeks == 22


def test_a_clearance_from_before_the_surgery_does_not_cover_it(library: PoseLibrary) -> None:
    old = {**clinician(*ORDER), "date": "2015-03-01"}
    person = intake(conditions=["spinal_surgery"], surgery_months_ago=2, clearances=[old])
    plan = screen(person, library, today=dt.date(2026, 12, 7))
    assert plan.status is PlanStatus.SEE_CLINICIAN_FIRST
    assert not plan.allowed_variants()
    assert "clearance_before_surgery" in rules_of(plan, "supine_twist_supported")
    assert "clearance_applied" not in rules_of(plan, "supine_twist_supported")
    # Given after the surgery, the same clearance lifts it.
    new = {**clinician(*ORDER), "date": "2026-11-20"}
    after = screen(
        person.model_copy(update={"clearances": (Clearance.model_validate(new),)}),
        library,
        today=dt.date(2026, 12, 7),
    )
    assert after.status is PlanStatus.READY
    assert after.is_allowed("supine_twist_supported")


def test_one_date_for_spine_and_hip_surgery_keeps_the_spine_recent(library: PoseLibrary) -> None:
    both = intake(conditions=["spinal_surgery", "hip_replacement_anterior"], surgery_months_ago=36)
    assert "recent_spinal_surgery" in firing_rules(both)
    alone = intake(conditions=["spinal_surgery"], surgery_months_ago=36)
    assert "recent_spinal_surgery" not in firing_rules(alone)


def test_a_variant_locked_for_good_is_explained_by_the_locking_rule_alone(
    library: PoseLibrary,
) -> None:
    person = intake(
        pain_now=5,
        leg_symptoms="below_knee",
        conditions=["sciatica"],
        red_flags=["progressive_leg_weakness"],
    )
    plan = screen(person, library)
    assert plan.status is PlanStatus.SEEK_CARE_NOW
    for decision in plan.variants:
        assert {r.rule for r in decision.reasons} == {"emergency_signs"}
    assert all("Stop at once if leg pain" not in line for line in plan.advice)


def test_pain_above_the_coach_s_stop_is_a_rest_day_not_a_clinician_visit(
    library: PoseLibrary,
) -> None:
    plan = screen(intake(pain_now=10, conditions=["acute_flare"]), library)
    assert plan.status is PlanStatus.REST_TODAY
    assert not plan.allowed_variants()
    assert not any("see a clinician" in line for line in plan.advice)
    stop = load_coaching_rules().thresholds.pain_stop_above
    assert load_rules().rule("pain_above_stop").when.pain_now_at_least == stop + 1


def test_a_cleared_red_flag_no_longer_advises_seeing_a_clinician(library: PoseLibrary) -> None:
    cleared = intake(red_flags=["history_of_cancer"], clearances=[clinician(*ORDER)])
    plan = screen(cleared, library)
    assert plan.status is PlanStatus.READY
    assert not any("See a doctor or physiotherapist" in line for line in plan.advice)
    flagged = screen(intake(red_flags=["history_of_cancer"]), library)
    assert any("See a doctor or physiotherapist" in line for line in flagged.advice)


def test_a_clearance_a_rule_never_yields_to_says_why_it_did_not_count(
    library: PoseLibrary,
) -> None:
    plan = screen(intake(conditions=["osteoporosis"], clearances=[clinician(*ORDER)]), library)
    full = plan.decision("supine_twist_full")
    assert not full.allowed
    assert "clearance_cannot_lift" in rules_of(plan, "supine_twist_full")
    assert "clearance_cannot_lift" not in rules_of(plan, "supine_twist_supported")


def test_the_surgery_is_dated_from_the_day_the_intake_was_answered(library: PoseLibrary) -> None:
    # Answered on 2026-11-01, two months after the surgery (about 2026-09-01); planned a
    # month later. A clearance of 2026-08-15 predates the surgery however late it is read.
    before = {**clinician(*ORDER), "date": "2026-08-15"}
    person = intake(conditions=["spinal_surgery"], surgery_months_ago=2, clearances=[before])
    later = screen(person, library, today=dt.date(2026, 12, 1), answered_on=dt.date(2026, 11, 1))
    assert "clearance_before_surgery" in rules_of(later, "supine_twist_supported")
    assert not later.allowed_variants()


# -- no improvement after about a month (CLINICAL.md §2); hip replacements (§3) ----------


def test_no_improvement_after_a_month_is_lifted_by_a_clinician_only(library: PoseLibrary) -> None:
    flag = ["no_improvement_after_a_month"]
    flagged = screen(intake(red_flags=flag, pain_now=2, pain_duration_weeks=8), library)
    assert flagged.status is PlanStatus.SEE_CLINICIAN_FIRST
    assert any("See a doctor or physiotherapist" in line for line in flagged.advice)
    by_teacher = intake(red_flags=flag, clearances=[teacher(PARTIAL_ID, trained=True)])
    assert screen(by_teacher, library).allowed_variants() == ()
    by_clinician = screen(intake(red_flags=flag, clearances=[clinician(PARTIAL_ID)]), library)
    assert by_clinician.status is PlanStatus.READY
    assert [d.id for d in by_clinician.allowed_variants()] == [PARTIAL_ID]
    assert {"serious_red_flag", "clearance_applied"} <= rules_of(by_clinician, PARTIAL_ID)


def test_an_anterior_hip_replacement_past_the_precaution_period_is_a_caution_only(
    library: PoseLibrary,
) -> None:
    person = intake(conditions=["hip_replacement_anterior"], surgery_months_ago=4)
    assert firing_rules(person) == ("caution_supine_only",)
    plan = screen(person, library)
    assert plan.status is PlanStatus.READY
    assert summary(plan) == [(A, 45), (A, 45), (N, None)] + [(X, None)] * 4


def test_a_recent_hip_replacement_waits_for_the_surgeons_clearance(library: PoseLibrary) -> None:
    for approach in ("anterior", "posterior", "unknown_approach"):
        condition = f"hip_replacement_{approach}"
        person = intake(conditions=[condition], surgery_months_ago=1)
        assert "recent_hip_replacement" in firing_rules(person), approach
        plan = screen(person, library)
        assert plan.status is PlanStatus.SEE_CLINICIAN_FIRST and not plan.allowed_variants()
        reason = next(
            r for r in plan.decision(PARTIAL_ID).reasons if r.rule == "recent_hip_replacement"
        )
        assert "last 3 months" in reason.text and "surgeon" in reason.text
        assert "_" not in reason.text  # plain words, no ids
        assert any("hip precautions still apply" in line for line in plan.advice)
        # A trained teacher cannot clear it; the surgeon (a clinician) can, for that twist.
        taught = person.model_copy(
            update={"clearances": (Clearance.model_validate(teacher(PARTIAL_ID, trained=True)),)}
        )
        assert not screen(taught, library).is_allowed(PARTIAL_ID)
        cleared = person.model_copy(
            update={"clearances": (Clearance.model_validate(clinician(PARTIAL_ID)),)}
        )
        after = screen(cleared, library)
        assert after.status is PlanStatus.READY
        assert [d.id for d in after.allowed_variants()] == [PARTIAL_ID]
        assert "clearance_applied" in rules_of(after, PARTIAL_ID)
        assert not any("hip precautions still apply" in line for line in after.advice)


def test_a_hip_replacement_of_unknown_approach_is_planned_as_posterior(
    library: PoseLibrary,
) -> None:
    # Same plan, cleared or not: statuses, caps (30 degrees), props (a pillow).
    for clearances in ([], [clinician(*ORDER)]):
        plans = [
            screen(intake(conditions=[c], surgery_months_ago=24, clearances=clearances), library)
            for c in ("hip_replacement_posterior", "hip_replacement_unknown_approach")
        ]
        posterior, unknown = plans
        assert unknown.status is posterior.status
        for old, new in zip(posterior.variants, unknown.variants, strict=True):
            assert (new.status, new.range, new.props) == (old.status, old.range, old.props)
    cleared = screen(
        intake(
            conditions=["hip_replacement_unknown_approach"],
            surgery_months_ago=24,
            clearances=[clinician(PARTIAL_ID)],
        ),
        library,
    ).decision(PARTIAL_ID)
    assert cleared.allowed and cleared.max_knee_drop_deg == 30
    assert [p.value for p in cleared.props] == ["mat", "pillow"]
    assert any("treated the same" in r.text for r in cleared.reasons)


def test_one_date_for_two_surgeries_keeps_the_hip_recent(library: PoseLibrary) -> None:
    both = intake(conditions=["spinal_surgery", "hip_replacement_anterior"], surgery_months_ago=36)
    assert "recent_hip_replacement" in firing_rules(both)
    hips = intake(
        conditions=["hip_replacement_anterior", "hip_replacement_posterior"],
        surgery_months_ago=36,
    )
    assert "recent_hip_replacement" in firing_rules(hips)
    alone = intake(conditions=["hip_replacement_anterior"], surgery_months_ago=36)
    assert "recent_hip_replacement" not in firing_rules(alone)


def test_a_hip_replacement_stops_being_recent_as_the_months_pass(library: PoseLibrary) -> None:
    person = intake(conditions=["hip_replacement_anterior"], surgery_months_ago=2)
    answered = dt.date(2026, 11, 1)
    soon = screen(person, library, today=dt.date(2026, 11, 20), answered_on=answered)
    assert "recent_hip_replacement" in soon.fired_rules()
    later = screen(person, library, today=dt.date(2027, 1, 15), answered_on=answered)
    assert "recent_hip_replacement" not in later.fired_rules()
    assert later.status is PlanStatus.READY


def test_a_clearance_from_before_the_hip_replacement_does_not_cover_it(
    library: PoseLibrary,
) -> None:
    old = {**clinician(*ORDER), "date": "2015-03-01"}
    person = intake(conditions=["hip_replacement_anterior"], surgery_months_ago=1, clearances=[old])
    plan = screen(person, library, today=dt.date(2026, 12, 7))
    assert plan.status is PlanStatus.SEE_CLINICIAN_FIRST
    assert not plan.allowed_variants()
    assert "clearance_before_surgery" in rules_of(plan, "supine_twist_supported")
