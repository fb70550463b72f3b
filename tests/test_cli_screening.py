"""Tests of the poses, plan, intake and demo commands (typer's CliRunner, real files)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twistcoach.cli.app import build_app
from twistcoach.intake import (
    CONDITION_DESCRIPTIONS,
    RED_FLAG_QUESTIONS,
    Condition,
    RedFlag,
    load_intake,
)
from twistcoach.poses import load_library
from twistcoach.screening import firing_rules, load_rules

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Expected overall status for every shipped example intake.
EXPECTED = {
    "01_ready_no_back_pain.yaml": "ready",
    "02_chronic_low_back_pain.json": "ready",
    "03_cauda_equina_emergency.yaml": "seek_care_now",
    "04_history_of_cancer.json": "see_clinician_first",
    "05_red_flag_cleared_by_clinician.yaml": "ready",
    "06_sciatica_below_knee.json": "see_clinician_first",
    "07_disc_cleared_with_cap.yaml": "ready",
    "08_spinal_stenosis.json": "see_clinician_first",
    "09_fracture_osteoporosis_cleared.yaml": "ready",
    "10_recent_spinal_surgery.json": "see_clinician_first",
    "11_hip_replacement_posterior_cleared.yaml": "ready",
    "12_pregnancy_24_weeks_cleared.json": "ready",
    "13_osteopenia.yaml": "ready",
    "14_acute_flare_pain_8.json": "rest_today",
    "15_age_72_deconditioned.yaml": "ready",
    "16_si_joint_teacher_clearances.json": "ready",
    "17_hip_replacement_recent_anterior.json": "see_clinician_first",
}


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(build_app(), list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_examples_are_all_listed_and_cover_every_rule() -> None:
    shipped = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".json", ".yaml"))
    assert shipped == sorted(EXPECTED)
    assert {p.split(".")[-1] for p in shipped} == {"json", "yaml"}
    fired = {rule for name in shipped for rule in firing_rules(load_intake(EXAMPLES / name))}
    assert fired == {rule.id for rule in load_rules().rules}


@pytest.mark.parametrize(("name", "status"), sorted(EXPECTED.items()))
def test_plan_json_on_each_example(runner: CliRunner, name: str, status: str) -> None:
    code, out, _ = run(runner, "plan", str(EXAMPLES / name), "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["status"] == status
    assert len(plan["variants"]) == 7
    for variant in plan["variants"]:
        assert set(variant) == {
            "id",
            "family",
            "status",
            "max_knee_drop_deg",
            "range",
            "props",
            "reasons",
        }
        assert variant["reasons"]
        if variant["status"] != "allowed":
            assert variant["max_knee_drop_deg"] is None
            assert variant["range"] is None
        else:
            # Every allowed variant has a cap in its own measure (issue 20 item 3).
            supine = variant["family"] == "supine_twist"
            measure = "knee_drop" if supine else "trunk_rotation"
            assert variant["range"]["measure"] == measure
            assert variant["range"]["max_deg"] > 0
            if supine:
                assert variant["max_knee_drop_deg"] == variant["range"]["max_deg"]
            else:
                assert variant["max_knee_drop_deg"] is None
                assert variant["range"]["max_deg"] <= 27  # 60% of 45 at most


def test_plan_details_of_two_examples(runner: CliRunner) -> None:
    _, out, _ = run(runner, "plan", str(EXAMPLES / "07_disc_cleared_with_cap.yaml"), "--json")
    variants = {v["id"]: v for v in json.loads(out)["variants"]}
    assert variants["supine_twist_partial"]["status"] == "allowed"
    assert variants["supine_twist_partial"]["max_knee_drop_deg"] == 35
    assert variants["supine_twist_full"]["status"] == "needs_clearance"
    _, out, _ = run(runner, "plan", str(EXAMPLES / "03_cauda_equina_emergency.yaml"), "--json")
    plan = json.loads(out)
    assert {v["status"] for v in plan["variants"]} == {"not_allowed"}
    assert plan["advice"][0].startswith("Seek medical care today")


def test_plan_rich_output_shows_table_and_reasons(runner: CliRunner, tmp_path: Path) -> None:
    flare = json.loads((EXAMPLES / "14_acute_flare_pain_8.json").read_text())
    bearable = tmp_path / "flare_pain_4.json"
    bearable.write_text(json.dumps({**flare, "pain_now": 4}))
    code, out, _ = run(runner, "plan", str(bearable))
    assert code == 0
    assert "Your plan" in out and "You are ready to practise" in out
    assert "35° of ~90°" in out
    assert "Why, in plain words" in out
    assert "An acute flare" in out and "flare_today" not in out  # the rule's title, never its id
    assert "not allowed" in out


def test_pain_above_the_coach_s_stop_reads_as_a_rest_day(runner: CliRunner) -> None:
    code, out, _ = run(runner, "plan", str(EXAMPLES / "14_acute_flare_pain_8.json"))
    assert code == 0
    assert "Rest today" in out and "See a clinician first" not in out
    assert "Pain above 5/10 today" in out and "pain_above_stop" not in out


def test_bad_intake_exits_2_naming_the_field(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "age: 40\npain_now: 12\npain_duration_weeks: 3\nactivity: couch\nleg_symptoms: none\n"
        "mood: fine\n"
    )
    code, out, err = run(runner, "plan", str(bad))
    assert code == 2
    assert out == ""
    assert "pain_now: Input should be less than or equal to 10" in err
    assert "activity: 'couch' is not allowed; allowed: deconditioned, light, active" in err
    assert "mood: unknown field" in err
    assert "Traceback" not in err


def test_plan_missing_file_and_unknown_clearance_variant(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = run(runner, "plan", str(tmp_path / "nope.json"))
    assert code == 2 and "file not found" in err
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps(
            {
                "age": 40,
                "pain_now": 0,
                "pain_duration_weeks": 0,
                "activity": "active",
                "leg_symptoms": "none",
                "clearances": [
                    {"by": "clinician", "name": "X", "date": "2026-01-01", "variants": ["lotus"]}
                ],
            }
        )
    )
    code, _, err = run(runner, "plan", str(odd))
    assert code == 2
    assert "unknown variant(s) lotus" in err


def test_poses_list_show_and_json(runner: CliRunner) -> None:
    code, out, _ = run(runner, "poses")
    assert code == 0
    # Names, never ids (--json has those): `poses NAME` takes the name shown.
    words = " ".join(out.replace("│", " ").split())  # the table wraps its cells
    assert "Supine twist, supported" in words and "Revolved triangle" in words
    assert "supine_twist_supported" not in out and "_" not in words
    # How far each goes, in its own measure: never "not measured" for the seated twists.
    assert "not measured" not in words and "trunk" in words and "knee drop" in words
    code, out, _ = run(runner, "poses", "--json")
    assert [v["id"] for v in json.loads(out)][:2] == [
        "supine_twist_supported",
        "supine_twist_partial",
    ]
    code, out, _ = run(runner, "poses", "supine_twist_partial")
    assert code == 0
    assert "Supta Matsyendrasana" in out and "Steps" in out
    # When each cue is said, in words (CueWhen's id was shown: "sharp_pain", "too_fast").
    words = " ".join(out.replace("│", " ").split())
    assert "Sharp or shooting pain" in words
    assert "Moving too fast" in words and "Before you start" in words
    assert not any(w in out for w in ("sharp_pain", "too_fast", "setup", "supine_twist"))
    code, out, _ = run(runner, "poses", "seated_twist_easy")
    assert "range: up to 27° of ~45° trunk rotation" in " ".join(out.split())
    # The name as listed shows the same pose.
    code, by_name, _ = run(runner, "poses", "easy seated twist (cross-legged)")
    assert code == 0 and by_name == out
    code, out, _ = run(runner, "poses", "seated_twist_easy", "--json")
    shown = json.loads(out)
    assert shown["family"] == "seated_twist"
    assert shown["default_max_knee_drop_deg"] is None


def test_a_poses_lists_are_joined_in_the_language_asked_for(runner: CliRunner) -> None:
    """Sides and props are joined as a list is in the reader's language (i18n.join_words)."""
    code, out, _ = run(runner, "poses", "seated_twist_easy")
    words = " ".join(out.replace("│", " ").split())
    assert code == 0 and "sides: right and left" in words
    assert "props: mat, blanket and block" in words
    code, out, _ = run(runner, "--lang", "es", "poses", "seated_twist_easy")
    words = " ".join(out.replace("│", " ").split())
    assert code == 0 and "lados: derecha e izquierda" in words
    assert "accesorios: esterilla, manta y bloque" in words
    run(runner, "--lang", "en", "poses")


def test_poses_unknown_id_exits_2(runner: CliRunner) -> None:
    code, _, err = run(runner, "poses", "lotus")
    assert code == 2
    assert "unknown pose 'lotus'" in err and '"Supine twist (part way)"' in err


def test_demo_prints_the_demo_plan(runner: CliRunner) -> None:
    code, out, _ = run(runner, "demo")
    assert code == 0
    assert "Demo person" in out and "You are ready to practise" in out
    code, out, _ = run(runner, "demo", "--json")
    plan = json.loads(out)
    allowed = [v["id"] for v in plan["variants"] if v["status"] == "allowed"]
    assert allowed == ["supine_twist_supported", "supine_twist_partial", "seated_twist_easy"]


def _answers(*, red_flag: RedFlag | None) -> str:
    lines = ["abc", "45", "3", "10", "light", "none"]
    lines += ["y" if flag is red_flag else "n" for flag in RedFlag]
    lines += ["1, sciatica, 99", "1,sciatica"]  # first try has an unknown entry
    lines += ["y", "clinician", "Dr Kim", "01/11/2026", "2999-11-01"]  # two dates refused
    lines += ["2026-11-01", "2", "40", "", "n"]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(60)
def test_an_intake_forced_onto_a_pipe_nobody_reads_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The whole intake answered, then a plain open for writing waited for a reader for ever.
    pipe = tmp_path / "me.yaml"
    os.mkfifo(pipe)
    code, _, err = run(
        runner, "intake", "--out", str(pipe), "--force", stdin=_answers(red_flag=None)
    )
    assert code == 2
    assert "cannot write (nothing reads this pipe)" in err


def test_interactive_intake_writes_a_valid_file(runner: CliRunner, tmp_path: Path) -> None:
    out_file = tmp_path / "me.yaml"
    code, out, err = run(
        runner, "intake", "--out", str(out_file), stdin=_answers(red_flag=RedFlag.THORACIC_PAIN)
    )
    assert code == 0, err
    assert "Please enter a whole number" in out
    assert "Not in the list, try again: 99" in out
    assert "Please enter a date as YYYY-MM-DD" in out
    assert "That date is after today: enter the day it was given." in out
    person = load_intake(out_file)
    assert person.age == 45 and person.pain_now == 3 and person.pain_duration_weeks == 10
    assert person.red_flags == {RedFlag.THORACIC_PAIN}
    assert sorted(person.conditions) == ["chronic_low_back_pain", "sciatica"]
    (clearance,) = person.clearances
    assert clearance.by == "clinician" and clearance.variants == ("supine_twist_partial",)
    assert clearance.max_knee_drop_deg == 40
    code, out, _ = run(runner, "plan", str(out_file), "--json")
    plan = json.loads(out)
    assert plan["status"] == "ready"
    assert [v["id"] for v in plan["variants"] if v["status"] == "allowed"] == [
        "supine_twist_partial"
    ]


def test_plan_counts_a_clearance_only_from_its_date(runner: CliRunner, tmp_path: Path) -> None:
    # An intake file whose physiotherapist's clearance has a mistyped year (2926).
    text = (EXAMPLES / "07_disc_cleared_with_cap.yaml").read_text(encoding="utf-8")
    ahead = tmp_path / "ahead.yaml"
    ahead.write_text(text.replace("date: '2026-11-10'", "date: '2926-11-10'"), encoding="utf-8")
    code, out, err = run(runner, "plan", str(ahead), "--json")
    assert code == 0, err
    partial = next(v for v in json.loads(out)["variants"] if v["id"] == "supine_twist_partial")
    assert partial["status"] == "needs_clearance"
    assert any("dated 2926-11-10, after today" in r["text"] for r in partial["reasons"])
    code, out, _ = run(runner, "plan", str(EXAMPLES / "07_disc_cleared_with_cap.yaml"), "--json")
    partial = next(v for v in json.loads(out)["variants"] if v["id"] == "supine_twist_partial")
    assert partial["status"] == "allowed"


@pytest.fixture()
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this process's time zone (TZ and tzset), put back afterwards."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


def test_plan_file_counts_a_clearance_from_this_machines_day(
    runner: CliRunner, tmp_path: Path, machine_zone: Callable[[str], None]
) -> None:
    # `plan FILE` took UTC's day while `plan --person`, the coach and the web take the
    # machine's: near midnight the same clearance counted on one and not the other.
    utc_now = dt.datetime.now(dt.UTC)
    if utc_now.hour < 10:
        # Samoa's Pago Pago (UTC-11) is still on the day before UTC's: a clearance dated
        # UTC's today does not count yet.
        zone, expected = "Pacific/Pago_Pago", "needs_clearance"
    else:
        # Kiritimati (UTC+14) is already on the day after UTC's: a clearance dated then counts.
        zone, expected = "Pacific/Kiritimati", "allowed"
    machine_zone(zone)
    day = utc_now.astimezone(zoneinfo.ZoneInfo(zone)).date()
    clearance_day = utc_now.date() if expected == "needs_clearance" else day
    assert clearance_day > day if expected == "needs_clearance" else clearance_day > utc_now.date()
    text = (EXAMPLES / "07_disc_cleared_with_cap.yaml").read_text(encoding="utf-8")
    edge = tmp_path / "edge.yaml"
    edge.write_text(
        text.replace("date: '2026-11-10'", f"date: '{clearance_day.isoformat()}'"),
        encoding="utf-8",
    )
    code, out, err = run(runner, "plan", str(edge), "--json")
    assert code == 0, err
    partial = next(v for v in json.loads(out)["variants"] if v["id"] == "supine_twist_partial")
    assert partial["status"] == expected


def test_the_intake_in_spanish_takes_the_same_answers(runner: CliRunner, tmp_path: Path) -> None:
    # The English answers (and numbers) are taken in Spanish too; the questions, the lists
    # and the complaints are Spanish.
    out_file = tmp_path / "yo.yaml"
    stdin = _answers(red_flag=RedFlag.THORACIC_PAIN)
    code, out, err = run(runner, "--lang", "es", "intake", "--out", str(out_file), stdin=stdin)
    assert code == 0, err
    assert "[sí/no]" in out and "Escriba un número entero" in out
    assert "No está en la lista, inténtelo de nuevo: 99" in out
    assert "[y/n]" not in out and "below_knee" not in out
    person = load_intake(out_file)
    assert person.red_flags == {RedFlag.THORACIC_PAIN} and person.pain_now == 3
    assert sorted(person.conditions) == ["chronic_low_back_pain", "sciatica"]


def test_intake_json_and_refusals(runner: CliRunner, tmp_path: Path) -> None:
    out_file = tmp_path / "me.json"
    code, _, _ = run(runner, "intake", "-o", str(out_file), stdin=_answers(red_flag=None))
    assert code == 0
    assert json.loads(out_file.read_text())["conditions"] == ["chronic_low_back_pain", "sciatica"]
    before = out_file.read_text()
    code, _, err = run(runner, "intake", "-o", str(out_file), stdin=_answers(red_flag=None))
    assert code == 2 and "already exists" in err
    assert out_file.read_text() == before  # nothing stored is lost
    code, _, err = run(runner, "intake", "-o", str(tmp_path / "me.txt"))
    assert code == 2 and "use .json, .yaml or .yml" in err
    cut = tmp_path / "cut.json"
    code, _, err = run(runner, "intake", "-o", str(cut), stdin="50\n2\n")
    assert code == 2 and "not finished" in err
    assert not cut.exists()


def _yaml_intake_with(conditions: str) -> str:
    """A real intake whose ``conditions`` field is ``conditions`` (YAML flow text)."""
    return (
        "age: 35\npain_now: 0\npain_duration_weeks: 0\nactivity: active\n"
        f"leg_symptoms: none\nconditions: {conditions}\n"
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize("levels", [7, 9])
def test_item6_plan_refuses_billion_laughs_at_once(
    runner: CliRunner, tmp_path: Path, levels: int
) -> None:
    # Anchors nested inside a real field: level i is ten aliases of level i - 1.
    parts = ['&l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    parts += [f"&l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_yaml_intake_with("[" + ", ".join(parts) + "]"))
    code, out, err = run(runner, "plan", str(bomb))
    assert code == 2 and out == ""
    assert "YAML anchors (&l0) are not allowed" in err
    assert len(err) < 2000 and "Traceback" not in err


def test_plan_words_a_blank_list_and_a_timed_date_plainly(
    runner: CliRunner, tmp_path: Path
) -> None:
    # "red_flags: Input should be a valid frozenset (got None)" and a clearance's date
    # "(got datetime.datetime(2026, 12, 1, 10, 0))"; the message's "[...]" are kept.
    intake = tmp_path / "blank.yaml"
    intake.write_text(
        _yaml_intake_with("[]") + "red_flags:\nclearances:\n  - by: clinician\n    name: Dr Rao\n"
        "    date: 2026-12-01 10:00:00\n    variants:\n"
    )
    code, out, err = run(runner, "plan", str(intake))
    assert code == 2 and out == "" and "Traceback" not in err
    assert "red_flags: leave it out or give a list, e.g. [] for none" in err
    assert "date: give a date like 2026-12-01, without a time" in err
    assert "variants: give a list of the twists it clears, e.g. [supine_twist_supported]" in err
    assert "frozenset" not in err and "datetime." not in err and "None" not in err


@pytest.mark.timeout(30)
def test_item6_plan_nested_json_and_huge_numbers_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    nested = tmp_path / "nested.json"
    nested.write_text('{"age": 35, "conditions": ' + "[" * 8000 + "]" * 8000 + "}")
    code, _, err = run(runner, "plan", str(nested))
    assert code == 2 and "too deeply nested" in err and "Traceback" not in err
    digits = tmp_path / "digits.json"
    digits.write_text('{"age": ' + "9" * 5000 + "}")
    code, _, err = run(runner, "plan", str(digits))
    assert code == 2 and "a number is too long (5000 digits" in err
    yaml_digits = tmp_path / "digits.yaml"
    yaml_digits.write_text(_yaml_intake_with("[]").replace("age: 35", "age: " + "9" * 5000))
    code, _, err = run(runner, "plan", str(yaml_digits))
    assert code == 2 and "a number is too long (5000 digits" in err


def test_item6_plan_error_messages_stay_short(runner: CliRunner, tmp_path: Path) -> None:
    # Many long bad values (under the file limit): each is quoted short, the whole capped.
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"age": 35, "conditions": ["x" * 500] * 100}))
    code, _, err = run(runner, "plan", str(many))
    assert code == 2 and "conditions.0" in err
    assert len(err) < 4000 and "more characters" in err
    huge = tmp_path / "huge.yaml"
    huge.write_text(_yaml_intake_with("[]") + "# " + "x" * 100_000 + "\n")
    code, _, err = run(runner, "plan", str(huge))
    assert code == 2 and "too large for an intake" in err


def test_plan_at_80_columns_names_the_twists_never_their_ids(runner: CliRunner) -> None:
    # The table printed each variant's id under its name ("supine_twist_supported"), and
    # "today" the command with the id: people read names; --json keeps the ids.
    result = runner.invoke(
        build_app(),
        ["plan", str(EXAMPLES / "02_chronic_low_back_pain.json")],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out  # nothing cut with an ellipsis
    for variant_id in load_library().ids:
        assert variant_id not in out, variant_id
    cells = [cell.strip() for line in out.splitlines() for cell in line.split("│")]
    assert "Supine twist," in cells and "supported" in cells  # the name, wrapped
    # The command for each allowed twist, whole on its line, with the name just read.
    assert '    twistcoach coach --variant "Supine twist, supported"' in out.splitlines()
    assert '    twistcoach coach --variant "Supine twist (part way)"' in out.splitlines()
    code, printed, _ = run(
        runner, "plan", str(EXAMPLES / "02_chronic_low_back_pain.json"), "--json"
    )
    assert code == 0
    assert "supine_twist_supported" in {v["id"] for v in json.loads(printed)["variants"]}


def test_plan_how_far_is_in_the_language_asked_for(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The "How far" column said "22° de ~45° trunk turn" in Spanish: its measure's words
    # went through t() as a variable, so they were never catalogued.
    from twistcoach import i18n
    from twistcoach.cli import screening_cmds

    assert {"knee drop", "trunk turn"} <= set(i18n.extract())
    cleared = str(EXAMPLES / "16_si_joint_teacher_clearances.json")
    code, english, _ = run(runner, "plan", cleared)
    assert code == 0 and "trunk turn" in english and "knee drop" in english
    # Through t(): a translation of "trunk turn" is what the column shows.
    monkeypatch.setattr(
        screening_cmds, "t", lambda text: "TURN" if text == "trunk turn" else i18n.t(text)
    )
    code, marked, _ = run(runner, "plan", cleared)
    assert code == 0 and "TURN" in marked and "trunk turn" not in marked
    monkeypatch.undo()
    before = list(i18n._cli_language)
    try:
        code, spanish, _ = run(runner, "--lang", "es", "plan", cleared)
    finally:
        i18n._cli_language[:] = before
    assert code == 0 and "knee drop" not in spanish
    # (wrapped in its cell: its first two words on one line)
    first_words = " ".join(i18n.translator("es").text("knee drop").split()[:2])
    assert first_words in spanish


def test_intake_choices_ignore_case(runner: CliRunner, tmp_path: Path) -> None:
    lines = ["45", "3", "10", "Light", " NONE "]
    lines += ["N" for _ in RedFlag]
    lines += ["Sciatica, CHRONIC_LOW_BACK_PAIN", "y", "Clinician", "Dr Kim", "2026-11-01"]
    lines += ["SUPINE_TWIST_PARTIAL", "40", "", "n"]
    out_file = tmp_path / "me.yaml"
    code, out, err = run(runner, "intake", "-o", str(out_file), stdin="\n".join(lines) + "\n")
    assert code == 0, err + out
    assert "Please select one of the available options" not in out
    person = load_intake(out_file)
    assert person.activity == "light" and person.leg_symptoms == "none"
    assert sorted(person.conditions) == ["chronic_low_back_pain", "sciatica"]
    (clearance,) = person.clearances
    assert clearance.by == "clinician" and clearance.variants == ("supine_twist_partial",)


def test_a_ready_plan_on_a_day_that_allows_no_twist_is_not_headed_ready() -> None:
    """During a sharp-pain lock `plan --person` opened with "Ready: you may practise"."""
    import datetime as dt

    from rich.console import Console

    from twistcoach.cli.screening_cmds import render_plan
    from twistcoach.intake import load_intake
    from twistcoach.planning import DatedIntake, PastSession, PersonHistory, decide
    from twistcoach.poses import load_library
    from twistcoach.progression import SessionOutcome

    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    sharp = PastSession(
        SessionOutcome(
            date=now - dt.timedelta(minutes=5),
            variant_id="supine_twist_partial",
            cap_deg=45.0,
            max_knee_drop_deg=30.0,
            over_cap_s=0.0,
            start_pain=3,
            end_pain=None,
            stopped_reason="sharp_pain",
        )
    )
    answers = load_intake(EXAMPLES / "02_chronic_low_back_pain.json")
    history = PersonHistory(
        intakes=(DatedIntake(answers, now - dt.timedelta(days=3)),), sessions=(sharp,)
    )
    library = load_library()
    decision = decide(history, library, now=now, tz=dt.UTC)
    assert decision.plan is not None and not decision.allowed
    console = Console(record=True, width=120)
    render_plan(decision.plan, library, console, today=decision)
    said = console.export_text()
    assert "none may be practised now" in said and "You are ready to practise" not in said


def test_the_interactive_intake_asks_about_a_month_without_improvement_and_the_hip_approach(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The new red flag is asked among the others (a yes is recorded), and a hip replacement
    # whose approach is not known is offered, its months left blank (unknown).
    flag, hip = RedFlag.NO_IMPROVEMENT_AFTER_A_MONTH, Condition.HIP_REPLACEMENT_UNKNOWN_APPROACH
    lines = ["60", "2", "10", "light", "none"]
    lines += ["y" if each is flag else "n" for each in RedFlag]
    lines += [str(list(Condition).index(hip) + 1), "", "n"]
    out_file = tmp_path / "me.yaml"
    code, out, err = run(runner, "intake", "-o", str(out_file), stdin="\n".join(lines) + "\n")
    assert code == 0, err + out
    words = " ".join(out.split())
    assert " ".join(RED_FLAG_QUESTIONS[flag].split()) in words
    assert CONDITION_DESCRIPTIONS[hip] in words
    person = load_intake(out_file)
    assert person.red_flags == {flag} and person.conditions == {hip}
    assert person.surgery_months_ago is None
    code, out, _ = run(runner, "plan", str(out_file), "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["status"] == "see_clinician_first"
    fired = {r["rule"] for v in plan["variants"] for r in v["reasons"]}
    assert "serious_red_flag" in fired
    # Without a clinician's clearance, every twist is held back: the red flag locks all.
    assert {v["status"] for v in plan["variants"]} == {"not_allowed"}
    # The hip rules speak where the red flag is cleared: unknown approach as posterior,
    # unknown timing as recent.
    cleared = tmp_path / "cleared.yaml"
    cleared.write_text(
        out_file.read_text(encoding="utf-8").replace(
            "clearances: []",
            "clearances: [{by: clinician, name: Dr Kim, date: '2026-11-01', "
            "variants: [supine_twist_partial]}]",
        ),
        encoding="utf-8",
    )
    code, out, err = run(runner, "plan", str(cleared), "--json")
    assert code == 0, err
    partial = next(v for v in json.loads(out)["variants"] if v["id"] == "supine_twist_partial")
    assert partial["status"] == "allowed" and partial["max_knee_drop_deg"] == 30
    rules = {r["rule"] for r in partial["reasons"]}
    assert {"recent_hip_replacement", "hip_replacement_posterior", "serious_red_flag"} <= rules
    code, out, _ = run(runner, "plan", str(cleared))
    assert code == 0
    text = " ".join(out.replace("│", " ").split())
    assert "Hip replacement in the last 3 months" in text
    assert "recent_hip_replacement" not in text  # the rule's title, never its id


def test_the_interactive_intake_takes_unknown_weeks_of_pregnancy(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Left blank (she does not know), as the web's form takes it: planned as later pregnancy
    # (a guess of 0 would have given the early pregnancy's plan).
    lines = ["32", "2", "10", "light", "none"]
    lines += ["n" for _ in RedFlag]
    lines += [str(list(Condition).index(Condition.PREGNANCY) + 1), "", "n"]
    out_file = tmp_path / "me.yaml"
    code, out, err = run(runner, "intake", "-o", str(out_file), stdin="\n".join(lines) + "\n")
    assert code == 0, err + out
    assert "blank if you don't know" in " ".join(out.split())
    person = load_intake(out_file)
    assert person.conditions == {Condition.PREGNANCY} and person.pregnancy_weeks is None


def test_an_intake_that_cannot_be_saved_is_refused_before_the_questions(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The whole intake was asked, then the folder was found missing (or a file)."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    folder = tmp_path / "saved.yaml"
    folder.mkdir()
    cases = {
        tmp_path / "no" / "me.yaml": f"the folder {tmp_path / 'no'} does not exist",
        a_file / "me.yaml": f"cannot write ({a_file} is not a folder)",
        folder: f"{folder} is a folder; give a file name",
    }
    for out, said in cases.items():
        code, stdout, err = run(runner, "intake", "-o", str(out), "--force", stdin="")
        assert code == 2 and said in err, err
        assert stdout == ""  # not one question asked
        assert "not finished" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "saved.yaml"]


def test_plan_prints_staff_words_as_words_never_rich_markup() -> None:
    """A withdrawal's reason or a staff member's name with "[/b]" in it crashed `twistcoach
    plan --person` with a Rich markup traceback (render_today and render_plan print
    planning's reasons, which carry both)."""
    from rich.console import Console

    from twistcoach.cli.screening_cmds import render_plan, render_today
    from twistcoach.intake import Clearance, ClearanceBy
    from twistcoach.planning import (
        ClearanceWithdrawal,
        DatedClearance,
        DatedIntake,
        PersonHistory,
        decide,
    )

    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    name = "Dr [/b] Who"
    reason = "The scan [/b] shows a [bold]disc bulge[/]."
    clearance = Clearance(
        by=ClearanceBy.CLINICIAN,
        name=name,
        date=dt.date(2026, 11, 20),
        variants=("supine_twist_full", "supine_twist_partial"),
        max_knee_drop_deg=40,
    )
    withdrawn = DatedClearance(
        clearance.model_copy(update={"variants": ("supine_twist_full",)}),
        now - dt.timedelta(days=2),
        ClearanceWithdrawal(now - dt.timedelta(days=1), ClearanceBy.CLINICIAN, name, reason),
    )
    kept = DatedClearance(
        clearance.model_copy(update={"variants": ("supine_twist_partial",)}),
        now - dt.timedelta(days=2),
    )
    answers = load_intake(EXAMPLES / "02_chronic_low_back_pain.json")
    history = PersonHistory(
        intakes=(DatedIntake(answers, now - dt.timedelta(days=3)),), clearances=(withdrawn, kept)
    )
    library = load_library()
    decision = decide(history, library, now=now, tz=dt.UTC)
    assert decision.plan is not None
    console = Console(record=True, width=200)
    render_today(decision, library, console)
    render_plan(decision.plan, library, console, today=decision)
    said = " ".join(console.export_text().split())
    assert reason in said  # the withdrawal, as its giver wrote it
    assert f"{name} (clinician) limited the knee drop to 40 degrees." in said


@pytest.mark.parametrize(
    "example",
    sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json")),
)
def test_the_command_line_heads_a_plan_with_planning_s_words(example: str) -> None:
    """One headline per status for every surface (planning.STATUS_HEADLINES): `plan`
    printed "Seek medical care now. No twists." where the web's plan page said "Please get
    medical help today, before any exercise: ..." for the same plan."""
    from rich.console import Console

    from twistcoach.cli.screening_cmds import care_lines, render_plan
    from twistcoach.intake import load_intake
    from twistcoach.planning import STATUS_HEADLINES
    from twistcoach.screening import PlanStatus, screen

    library = load_library()
    plan = screen(load_intake(EXAMPLES / example), library)
    console = Console(record=True, width=400)
    render_plan(plan, library, console)
    assert STATUS_HEADLINES[plan.status.value] in console.export_text()
    care = care_lines(plan)
    assert care[:1] == (
        [] if plan.status is PlanStatus.READY else [STATUS_HEADLINES[plan.status.value]]
    )
