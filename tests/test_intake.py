"""Tests of the intake model, its error messages and the JSON/YAML file edge."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from twistcoach.intake import (
    RED_FLAG_QUESTIONS,
    Activity,
    Clearance,
    ClearanceBy,
    Condition,
    Intake,
    IntakeError,
    LegSymptoms,
    RedFlag,
    dump_intake,
    latest_today,
    load_intake,
    parse_intake,
    parse_intake_text,
)


def base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "age": 52,
        "pain_now": 3,
        "pain_duration_weeks": 26,
        "activity": "light",
        "leg_symptoms": "none",
        "red_flags": [],
        "conditions": ["chronic_low_back_pain"],
        "surgery_months_ago": None,
        "pregnancy_weeks": None,
        "clearances": [],
    }
    data.update(changes)
    return data


def test_vocabularies_are_exactly_the_issue_s() -> None:
    assert [a.value for a in Activity] == ["deconditioned", "light", "active"]
    assert [s.value for s in LegSymptoms] == ["none", "above_knee", "below_knee", "both_legs"]
    assert len(RedFlag) == 17 and len(Condition) == 17
    assert set(RED_FLAG_QUESTIONS) == set(RedFlag)
    assert list(Intake.model_fields) == [
        "age",
        "pain_now",
        "pain_duration_weeks",
        "activity",
        "leg_symptoms",
        "red_flags",
        "conditions",
        "surgery_months_ago",
        "pregnancy_weeks",
        "clearances",
    ]


def test_parse_valid_intake_with_clearance() -> None:
    intake = parse_intake(
        base(
            clearances=[
                {
                    "by": "teacher",
                    "name": "Ana",
                    "date": "2026-10-01",
                    "variants": ["seated_twist_easy"],
                    "teacher_trained_for_back_problems": True,
                },
                {
                    "by": "clinician",
                    "name": "Dr Lee",
                    "date": "2026-09-15",
                    "variants": ["supine_twist_full"],
                    "max_knee_drop_deg": 50,
                },
            ]
        )
    )
    assert intake.age == 52
    assert intake.conditions == frozenset({Condition.CHRONIC_LOW_BACK_PAIN})
    teacher, clinician = intake.clearances
    assert teacher.counts and teacher.date == dt.date(2026, 10, 1)
    assert clinician.counts and clinician.max_knee_drop_deg == 50.0
    assert not clinician.teacher_trained_for_back_problems


def test_untrained_teacher_clearance_parses_but_does_not_count() -> None:
    clearance = Clearance(
        by=ClearanceBy.TEACHER, name="Bo", date=dt.date(2026, 1, 2), variants=("x",)
    )
    assert not clearance.counts


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            base(activity="sedentary"),
            "activity: 'sedentary' is not allowed; allowed: deconditioned, light, active",
        ),
        (
            base(leg_symptoms="left"),
            "leg_symptoms: 'left' is not allowed; allowed: none, above_knee, below_knee, both_legs",
        ),
        (
            base(red_flags=["headache"]),
            "red_flags.0: 'headache' is not allowed; allowed: bladder_dysfunction",
        ),
        (
            base(conditions=["flu"]),
            "conditions.0: 'flu' is not allowed; allowed: chronic_low_back_pain",
        ),
        (base(pain_now=11), "pain_now: Input should be less than or equal to 10"),
        (base(age=12), "age: Input should be greater than or equal to 16"),
        (base(pain_duration_weeks=-1), "pain_duration_weeks: Input should be greater than"),
        (base(mood="good"), "mood: unknown field; allowed fields: age, pain_now"),
        ({k: v for k, v in base().items() if k != "age"}, "age: required field is missing"),
        (base(pregnancy_weeks=12), "pregnancy_weeks: weeks of pregnancy are given but 'pregnancy'"),
        (
            base(
                clearances=[{"by": "friend", "name": "X", "date": "2026-01-01", "variants": ["a"]}]
            ),
            "clearances.0.by: 'friend' is not allowed; allowed: clinician, teacher",
        ),
        (
            base(
                clearances=[
                    {
                        "by": "clinician",
                        "name": "X",
                        "date": "2026-01-01",
                        "variants": ["a"],
                        "stamp": 1,
                    }
                ]
            ),
            "clearances.0.stamp: unknown field; allowed fields: by, name, date",
        ),
        (
            base(
                clearances=[
                    {
                        "by": "clinician",
                        "name": "X",
                        "date": "2026-01-01",
                        "variants": ["a"],
                        "teacher_trained_for_back_problems": True,
                    }
                ]
            ),
            "clearances.0: teacher_trained_for_back_problems is only for clearances by a teacher",
        ),
        (
            base(
                clearances=[
                    {
                        "by": "clinician",
                        "name": "X",
                        "date": "2026-01-01",
                        "variants": ["a"],
                        "max_knee_drop_deg": 120,
                    }
                ]
            ),
            "clearances.0.max_knee_drop_deg: Input should be less than or equal to 90",
        ),
        (
            base(
                clearances=[
                    {"by": "clinician", "name": "X", "date": "yesterday", "variants": ["a"]}
                ]
            ),
            "clearances.0.date: give a date like 2026-12-01, without a time (got 'yesterday')",
        ),
    ],
)
def test_bad_intakes_name_the_field_and_what_is_allowed(
    data: dict[str, Any], expected: str
) -> None:
    with pytest.raises(IntakeError) as info:
        parse_intake(data)
    assert expected in str(info.value)


def test_not_a_mapping() -> None:
    with pytest.raises(IntakeError, match="must be a mapping of fields: age, pain_now"):
        parse_intake([1, 2])


def test_yaml_and_json_round_trip(tmp_path: Path) -> None:
    intake = parse_intake(base(red_flags=["thoracic_pain", "history_of_cancer"]))
    for name in ("p.json", "p.yaml", "p.yml"):
        path = dump_intake(intake, tmp_path / name)
        assert load_intake(path) == intake
    data = json.loads((tmp_path / "p.json").read_text())
    assert data["red_flags"] == ["history_of_cancer", "thoracic_pain"]
    assert data["activity"] == "light"


def test_load_errors_start_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match=r"missing\.json: file not found"):
        load_intake(tmp_path / "missing.json")
    (tmp_path / "x.txt").write_text("age: 40\n")
    with pytest.raises(IntakeError, match=r"unknown file type '\.txt'"):
        load_intake(tmp_path / "x.txt")
    # A folder, or a missing file without a suffix, is not an "unknown file type '(none)'".
    with pytest.raises(IntakeError, match=r"a folder; give the intake file itself"):
        load_intake(tmp_path)
    with pytest.raises(IntakeError, match=r"me: file not found"):
        load_intake(tmp_path / "me")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(IntakeError, match=r"bad\.json: invalid intake\nnot valid JSON"):
        load_intake(bad)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("age: [1\n")
    with pytest.raises(IntakeError, match="not valid YAML"):
        load_intake(bad_yaml)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("age: 40\npain_now: 2\n")
    with pytest.raises(IntakeError) as info:
        load_intake(wrong)
    assert "pain_duration_weeks: required field is missing" in str(info.value)
    assert "activity: required field is missing" in str(info.value)


@pytest.mark.timeout(20)
def test_a_pipe_or_device_named_as_the_intake_is_refused_at_once(tmp_path: Path) -> None:
    # A named pipe with no writer used to block the read for ever (found by a hostile-input
    # sweep); a device such as /dev/zero is not a file either.
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    with pytest.raises(IntakeError, match=r"pipe\.yaml: not a file"):
        load_intake(pipe)
    device = tmp_path / "zero.yaml"
    device.symlink_to("/dev/zero")
    with pytest.raises(IntakeError, match=r"zero\.yaml: not a file"):
        load_intake(device)


def test_parse_text_unknown_format() -> None:
    with pytest.raises(IntakeError, match="unknown intake format 'toml'"):
        parse_intake_text("", "toml")


def test_latest_today_is_the_date_at_utc_plus_14() -> None:
    at = dt.datetime(2026, 12, 6, 9, 59, tzinfo=dt.UTC)
    assert latest_today(at) == dt.date(2026, 12, 6)
    assert latest_today(at + dt.timedelta(minutes=1)) == dt.date(2026, 12, 7)
    honolulu = dt.timezone(dt.timedelta(hours=-10))
    assert latest_today(at.astimezone(honolulu)) == dt.date(2026, 12, 6)  # same instant
    with pytest.raises(ValueError, match="aware"):
        latest_today(dt.datetime(2026, 12, 6, 12, 0))


def test_a_clearance_counts_on_its_date_and_after() -> None:
    c = Clearance(
        by=ClearanceBy.CLINICIAN, name="Dr Rao", date=dt.date(2026, 11, 1), variants=("x",)
    )
    assert c.counts_on(None) and c.counts_on(dt.date(2026, 11, 1))
    assert not c.counts_on(dt.date(2026, 10, 31))
    untrained = c.model_copy(update={"by": ClearanceBy.TEACHER})
    assert not untrained.counts_on(dt.date(2027, 1, 1))


def test_a_clearance_carries_a_real_date_and_names_each_twist_once() -> None:
    data = {"by": "clinician", "name": "Dr Rao", "variants": ["x", "y", "x", "x"]}
    for slip in ("0001-01-01", "1900-01-01"):
        with pytest.raises(ValidationError, match="give the day the clearance was given"):
            Clearance.model_validate({**data, "date": slip})
    kept = Clearance.model_validate({**data, "date": "1987-06-01"})
    assert kept.variants == ("x", "y")


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("max_knee_drop_deg", 0.0, False),
        ("max_knee_drop_deg", 4.9, False),
        ("max_knee_drop_deg", 5.0, True),
        ("max_knee_drop_deg", 90.0, True),
        ("max_knee_drop_deg", 90.5, False),
        ("max_trunk_rotation_deg", 0.0, False),
        ("max_trunk_rotation_deg", 5.0, True),
        ("max_trunk_rotation_deg", 45.0, True),
        ("max_trunk_rotation_deg", 46.0, False),
    ],
)
def test_a_clearances_limit_is_5_degrees_or_more(field: str, value: float, ok: bool) -> None:
    # A limit of 0 had been "allowed, knee drop up to 0 degrees": no twist, with a cap.
    data = {"by": "clinician", "name": "Dr Rao", "date": "2026-11-01", "variants": ["x"]}
    data[field] = value
    if ok:
        assert getattr(Clearance.model_validate(data), field) == value
    else:
        with pytest.raises(ValidationError):
            Clearance.model_validate(data)


def test_a_surgerys_timing_needs_the_surgery() -> None:
    # Months since a surgery with no surgery named had planned as no surgery: all allowed.
    with pytest.raises(IntakeError, match="surgery_months_ago: months since a surgery are given"):
        parse_intake(base(surgery_months_ago=3))
    for condition in (
        "spinal_surgery",
        "hip_replacement_posterior",
        "hip_replacement_anterior",
        "hip_replacement_unknown_approach",
    ):
        person = parse_intake(base(conditions=[condition], surgery_months_ago=3))
        assert person.surgery_months_ago == 3


@pytest.mark.parametrize("field", ["age", "pain_now", "pain_duration_weeks"])
def test_a_number_field_refuses_yes_and_no(field: str) -> None:
    # YAML reads "pain_now: yes" as true, which pydantic had taken for a pain of 1.
    with pytest.raises(IntakeError, match=f"{field}: give a number, not yes/no"):
        parse_intake_text(yaml.safe_dump(base(**{field: True})), "yaml")
    with pytest.raises(IntakeError, match="give a number"):
        parse_intake(base(conditions=["pregnancy"], pregnancy_weeks=False))
    cleared = {"by": "clinician", "name": "Dr Rao", "date": "2026-11-01", "variants": ["x"]}
    with pytest.raises(ValidationError, match="give a number"):
        Clearance.model_validate({**cleared, "max_knee_drop_deg": True})


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_an_intake_saved_with_a_byte_order_mark_reads(tmp_path: Path, suffix: str) -> None:
    # Windows Notepad starts UTF-8 files with a BOM; JSON's parser had refused it.
    person = base(red_flags=["thoracic_pain"])
    path = tmp_path / f"notepad{suffix}"
    text = json.dumps(person) if suffix == ".json" else yaml.safe_dump(person)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_intake(path).red_flags == {RedFlag.THORACIC_PAIN}


_BLANK_AND_TIMED = """\
age: 52
pain_now: 3
pain_duration_weeks: 26
activity: light
leg_symptoms: none
red_flags:
conditions:
clearances:
  - by: clinician
    name: Dr Rao
    date: 2026-12-01 10:00:00
    variants:
  - by: clinician
    name: Dr Rao
    date: 2026-12-01T10:00
    variants: supine_twist_full
  - 5
"""


def test_blank_lists_and_dates_with_a_time_are_worded_plainly() -> None:
    # Pydantic's words were shown: "Input should be a valid frozenset (got None)" for a
    # list left blank, and "Datetimes provided to dates should have zero time - e.g. be
    # exact dates (got datetime.datetime(2026, 12, 1, 10, 0))" for a date with a time.
    with pytest.raises(IntakeError) as info:
        parse_intake_text(_BLANK_AND_TIMED, "yaml")
    lines = str(info.value).splitlines()
    assert lines == [
        "red_flags: leave it out or give a list, e.g. [] for none",
        "conditions: leave it out or give a list, e.g. [] for none",
        "clearances.0.date: give a date like 2026-12-01, without a time "
        "(got '2026-12-01 10:00:00')",
        "clearances.0.variants: give a list of the twists it clears, e.g. [supine_twist_supported]",
        "clearances.1.date: give a date like 2026-12-01, without a time (got '2026-12-01T10:00')",
        "clearances.1.variants: give a list of the twists it clears, "
        "e.g. [supine_twist_supported] (got 'supine_twist_full')",
        "clearances.2: give each clearance as fields: by, name, date, variants, "
        "max_knee_drop_deg, max_trunk_rotation_deg, teacher_trained_for_back_problems (got 5)",
    ]
    for python in ("frozenset", "tuple", "None", "datetime", "Datetimes", "dictionary"):
        assert python not in str(info.value), python


def test_a_blank_field_is_said_to_be_blank_not_none() -> None:
    with pytest.raises(IntakeError) as info:
        parse_intake(base(age=None, red_flags={"a": 1}))
    assert str(info.value).splitlines() == [
        "age: Input should be a valid integer (left blank)",
        "red_flags: leave it out or give a list, e.g. [] for none (got {'a': 1})",
    ]


# -- no improvement after about a month (CLINICAL.md §2); a hip replacement's approach ----


def test_no_improvement_after_a_month_is_a_red_flag_asked_in_plain_words() -> None:
    flag = RedFlag.NO_IMPROVEMENT_AFTER_A_MONTH
    question = RED_FLAG_QUESTIONS[flag]
    assert "about a month" in question and "better" in question
    assert "_" not in question  # people never read the id
    person = parse_intake(base(red_flags=["no_improvement_after_a_month"]))
    assert person.red_flags == {flag}
    assert person.to_json_dict()["red_flags"] == ["no_improvement_after_a_month"]


def test_an_intake_stored_before_the_new_question_still_reads_as_not_reported() -> None:
    # An intake written before the question existed: the same fields, no such flag (as any
    # red flag not ticked). It loads, from a file and from the database's row alike.
    from twistcoach.storage._rows import intake_record
    from twistcoach.storage.models import Intake as IntakeRow

    older = base(red_flags=["night_pain_unrelieved"], conditions=["hip_replacement_posterior"])
    person = parse_intake(older)
    assert RedFlag.NO_IMPROVEMENT_AFTER_A_MONTH not in person.red_flags
    row = IntakeRow(id=1, person_id=1, data=older, created_at=dt.datetime(2026, 1, 5))
    record = intake_record(row)
    assert record.intake == person


def test_a_hip_replacement_of_unknown_approach_is_a_condition_and_a_surgery() -> None:
    from twistcoach.intake import CONDITION_DESCRIPTIONS, HIP_REPLACEMENTS, SURGERY_CONDITIONS

    unknown = Condition.HIP_REPLACEMENT_UNKNOWN_APPROACH
    assert unknown in HIP_REPLACEMENTS <= SURGERY_CONDITIONS
    assert {c.value for c in HIP_REPLACEMENTS} == {
        "hip_replacement_posterior",
        "hip_replacement_anterior",
        "hip_replacement_unknown_approach",
    }
    assert "don't know" in CONDITION_DESCRIPTIONS[unknown]
    # Its months are taken, and a blank stays unknown (screening plans it as recent).
    assert parse_intake(base(conditions=[unknown.value])).surgery_months_ago is None


def test_every_surface_asks_the_new_question_and_offers_the_new_condition() -> None:
    # The web's form and API, the interactive CLI and the FHIR questionnaire all read the
    # intake model: each has the new red flag and condition, in words, never as an id.
    from twistcoach.export.fhir import questionnaire_items
    from twistcoach.web import domain
    from twistcoach.wording import choice_words

    fields = {f.name: f for f in domain.intake_form_fields()}
    assert "no_improvement_after_a_month" in fields["red_flags"].choices
    assert "hip_replacement_unknown_approach" in fields["conditions"].choices
    flag_words = choice_words("red_flags", "no_improvement_after_a_month")
    assert flag_words == RED_FLAG_QUESTIONS[RedFlag.NO_IMPROVEMENT_AFTER_A_MONTH]
    assert "_" not in choice_words("conditions", "hip_replacement_unknown_approach")
    schema = Intake.model_json_schema()
    assert "no_improvement_after_a_month" in json.dumps(schema)
    questionnaire = json.dumps(questionnaire_items())
    assert "red_flags.no_improvement_after_a_month" in questionnaire
