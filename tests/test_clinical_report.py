"""The clinical PDF report (issue 21, part 2): it renders, and its text holds the key
numbers (read back with pypdf); unknown is "not measured", sharp pain is "sharp"."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from clinic_data import make_clinic_db
from twistcoach.cli.app import build_app
from twistcoach.export import gather
from twistcoach.export.accuracy import load_accuracy
from twistcoach.export.clinical_report import (
    drawable,
    held_text,
    pain_text,
    today_text,
    weekly_trend,
)
from twistcoach.storage import Repository, open_repository
from twistcoach.storage.db import create_engine_for_url

runner = CliRunner()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    """The demo people and Alex's unmeasured sharp-pain stop (seeded once: ~6 s)."""
    return make_clinic_db(tmp_path_factory.mktemp("report"))


def report(url: str, out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        build_app(),
        ["report", "--out", str(out), *args],
        env={"TWISTCOACH_DATABASE_URL": url},
    )
    return result.exit_code, result.stderr


def text_of(pdf: Path) -> str:
    """The PDF's text with every run of white space as one space (table cells wrap)."""
    reader = PdfReader(pdf)
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_report_holds_the_key_numbers(clinic: tuple[str, dict[str, int]], tmp_path: Path) -> None:
    url, ids = clinic
    out = tmp_path / "sam.pdf"
    code, err = report(url, out, "--person", "Sam")
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF")
    text = text_of(out)
    engine = create_engine_for_url(url)
    facts = gather(open_repository(engine), ids["sam"])
    engine.dispose()
    assert "Spinal twist practice: clinical report" in text
    assert "Sam" in text
    # The plan: planning's caps now (the supported twist lowered to 40 after pain rose).
    supported = facts.decision.permission("supine_twist_supported")
    assert supported.cap_deg == 40.0 and supported.plan_cap_deg == 45.0
    # Why, in words: the rule's title and the lowered cap's own sentence, never an id.
    assert "so the cap is lowered to 40 degrees" in text
    assert "Caution flag: supine twists only, at half range" in text
    assert not re.search(r"SAFE-[A-Z]|\b[a-z]+_[a-z_]+\b", text), re.findall(
        r"SAFE-[A-Z-]+|\b[a-z]+_[a-z_]+\b", text
    )
    # Each session: held drop against the cap, pain before/during/after, how it ended.
    for session in facts.sessions:
        for hold in session.sides:
            assert hold.knee_drop_deg is not None
            assert f"{hold.knee_drop_deg:.1f}°" in text
        assert session.started_at.astimezone().strftime("%Y-%m-%d") in text
    assert "4/10" in text  # the pain report of the last session
    assert text.count("completed") >= 3
    # The trend and the measured accuracy of the camera place.
    assert "W" in weekly_trend(facts.sessions)[0].week
    assert "Trend over weeks" in text
    assert "raised diagonal" in text
    neutral = load_accuracy().place.neutral  # the demo sessions give no body type
    assert f"mean {neutral.mean_deg:g} deg" in text and f"worst {neutral.worst_deg:g} deg" in text


def test_unknown_and_sharp_pain_are_shown_as_such(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    url, ids = clinic
    out = tmp_path / "alex.pdf"
    code, err = report(url, out, "--person", "Alex")
    assert code == 0, err
    text = text_of(out)
    assert "sharp" in text
    assert "stopped: sharp pain" in text
    assert "not measured" in text
    assert "10/10" not in text
    assert "1 such pauses" in text  # the coach paused once for the camera view
    engine = create_engine_for_url(url)
    facts = gather(open_repository(engine), ids["alex"], session_ids=[ids["alex_sharp"]])
    engine.dispose()
    assert held_text(facts.sessions[0]) == "R not measured / 45°"


def test_period_and_bad_input(clinic: tuple[str, dict[str, int]], tmp_path: Path) -> None:
    url, _ = clinic
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    out = tmp_path / "empty.pdf"
    code, err = report(url, out, "--person", "Sam", "--from", future)
    assert code == 0, err
    assert "No session in this period." in text_of(out)
    code, err = report(url, out, "--person", "Sam", "--from", "2026-02-01", "--to", "2026-01-01")
    assert code == 2 and "is after --to" in err
    code, err = report(url, out, "--person", "Sam", "--to", "yesterday")
    assert code == 2 and "not a date" in err
    code, err = report(url, out, "--person", "Nobody")
    assert code == 2 and "no person named" in err
    code, err = report(url, out, "--person", "Sam", "--to", "9999-12-31")
    assert code == 2 and "outside the days a report can cover" in err


@pytest.mark.timeout(60)
def test_an_output_that_cannot_be_written_is_refused_not_waited_on(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # A hostile-input sweep found `report` and `export fhir` waiting for ever on a named
    # pipe nobody reads, and a traceback where the output could not be opened.
    url, _ = clinic
    pipe = tmp_path / "pipe.pdf"
    os.mkfifo(pipe)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for command in (["report"], ["export", "fhir"]):
        for out, reason in ((pipe, "nothing reads this pipe"), (blocker / "x.pdf", "cannot write")):
            result = runner.invoke(
                build_app(),
                [*command, "--person", "Sam", "--out", str(out)],
                env={"TWISTCOACH_DATABASE_URL": url},
            )
            assert result.exit_code == 2, result.output
            assert f"--out {out}: cannot write" in result.stderr and reason in result.stderr
            assert "Traceback" not in result.output


def test_a_plan_that_waits_for_a_clinician_is_said_in_words(tmp_path: Path) -> None:
    # Sam's latest intake: spinal surgery four months ago, so screening says "see a
    # clinician first"; the report and the FHIR care plan say it in words, not its id.
    import json

    from twistcoach.export.fhir import build_bundle

    url, ids = make_clinic_db(tmp_path)
    engine = create_engine_for_url(url)
    repo = open_repository(engine)
    surgery = json.loads(
        (Path(__file__).parents[1] / "examples/10_recent_spinal_surgery.json").read_text()
    )
    repo.save_intake(ids["sam"], surgery)
    facts = gather(repo, ids["sam"])
    engine.dispose()
    out = tmp_path / "sam.pdf"
    code, err = report(url, out, "--person", "Sam")
    assert code == 0, err
    text = text_of(out)
    assert "Screening status: see clinician first." in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    [care] = [
        e["resource"]
        for e in build_bundle(facts)["entry"]
        if e["resource"]["resourceType"] == "CarePlan"
    ]
    # Planning's verdict for today leads, then screening's status (in words, never its id).
    assert care["description"].startswith(
        "Today, by planning's decision: no twist may be practised now. "
        "Screening: see clinician first."
    )


def test_clearances_name_each_twist_not_its_id(tmp_path: Path) -> None:
    # The clearances table listed "supine_twist_partial".
    url, ids = make_clinic_db(tmp_path)
    engine = create_engine_for_url(url)
    repo = open_repository(engine)
    repo.record_clearance(
        ids["alex"],
        "clinician",
        "Dr Cleo",
        dt.date(2026, 11, 2),
        ["supine_twist_supported", "supine_twist_partial"],
        35.0,
    )
    engine.dispose()
    out = tmp_path / "alex.pdf"
    code, err = report(url, out, "--person", "Alex")
    assert code == 0, err
    text = " ".join(text_of(out).split())
    assert "Dr Cleo" in text
    # Joined as people read a list: a name with a comma in it ("Supine twist, supported")
    # joined by ", " read as three twists.
    assert "Supine twist, supported and Supine twist (part way)" in text
    assert "supine_twist_partial" not in text.replace(" ", "")


def test_the_report_in_the_language_asked_for(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # `twistcoach --lang es report` (and the Spanish pages' link) gave an English report.
    from twistcoach import i18n

    tr = i18n.translator("es")
    tr.missed.clear()
    url, _ = clinic
    out = tmp_path / "sam_es.pdf"
    before = list(i18n._cli_language)
    try:
        code, _ = report(url, out, "--person", "Sam")  # English first: unchanged
        assert code == 0 and "Spinal twist practice: clinical report" in text_of(out)
        result = runner.invoke(
            build_app(),
            ["--lang", "es", "report", "--out", str(out), "--person", "Sam"],
            env={"TWISTCOACH_DATABASE_URL": url},
        )
    finally:
        i18n._cli_language[:] = before
    assert result.exit_code == 0, result.stderr
    text = text_of(out)
    assert "Práctica de torsiones de columna: informe clínico" in text
    assert "Tendencia por semanas" in text and "Exactitud medida" in text
    assert "Torsión boca arriba, con apoyo" in text and "completada" in text
    for english in ("Trend over weeks", "Clearances", "held vs cap", "Measured accuracy", "page"):
        assert english not in text, english
    # The accuracy's source and the new words, in Spanish too (the source stayed English).
    assert "18 personas renderizadas" in text and "rendered people" not in text
    assert "no indicado" in text and "Hoy, según la decisión de la planificación" in text
    assert "Las fechas y horas están en la hora" in text
    assert not tr.missed, tr.missed


def test_a_clearance_s_limits_are_each_given_in_their_own_measure() -> None:
    # The PDF had a "knee drop at most" column only: a seated twist's trunk-rotation limit
    # was missing and the knee drop's stood for it.
    from twistcoach.export.clinical_report import _limits

    assert _limits(60.0, 30.0) == "knee drop 60°, trunk rotation 30°"
    assert _limits(None, 20.0) == "trunk rotation 20°"
    assert _limits(None, None) == "-"


def test_the_plan_column_is_planning_s_verdict_never_screening_s_status() -> None:
    # The PDF printed screening's status for a twist planning refused, so a twist that a
    # sharp-pain lock or a clinician's plan shut read "allowed". The verdict is the practice
    # start's: allowed with a cap now, else refused with planning's plain reason.
    from twistcoach.export.clinical_report import plan_verdict
    from twistcoach.planning import PracticeDecision, VariantPermission
    from twistcoach.screening import Reason, VariantStatus

    lock = Reason(rule="SAFE-LOCK", text="Sharp pain stopped your practice today.", source="x")
    flag = Reason(rule="SCR-CAUTION", text="Start gently.", source="y")
    allowed, needs = VariantStatus.ALLOWED, VariantStatus.NEEDS_CLEARANCE
    open_now = PracticeDecision(
        plan=None,
        variants=(
            VariantPermission("a", allowed, True, 40.0, 45.0, (flag,)),
            VariantPermission("b", allowed, False, None, 45.0, (flag, lock)),
            VariantPermission("c", needs, False, None, None, (flag,)),
            VariantPermission("d", allowed, True, None, 45.0, ()),  # no cap: no start
        ),
    )
    assert plan_verdict(open_now, "a") == ("yes", None)
    assert plan_verdict(open_now, "b") == ("not now", "Sharp pain stopped your practice today.")
    assert plan_verdict(open_now, "c") == ("no", "Needs a clearance first. Start gently.")
    assert plan_verdict(open_now, "d") == ("not now", "not allowed now")
    # A lock of the whole day: every twist screening allows is "not now", for its reason.
    locked = PracticeDecision(
        plan=None,
        variants=(VariantPermission("a", allowed, False, None, 45.0, (flag,)),),
        reasons=(lock,),
    )
    assert plan_verdict(locked, "a") == ("not now", lock.text)


def _session_at(
    url: str, name: str, when: dt.datetime, zone: str | None, *, start_pain: int = 2
) -> int:
    """A finished session of ``name`` (created when missing) started at ``when`` (UTC) in
    ``zone``; returns its id."""
    engine = create_engine_for_url(url)
    repo = Repository(engine, clock=lambda: when)
    person = repo.find_person(name) or repo.create_person(name)
    session = repo.start_session(
        person.id, "supine_twist_supported", 45.0, "test", start_pain=start_pain, time_zone=zone
    )
    repo.end_session(session.id, "completed")
    engine.dispose()
    return session.id


def test_a_pain_the_person_did_not_give_reads_not_given(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # The PDF's "after" column and the weekly "pain change (mean)" used the pain the
    # recorder made up (the last said, or the starting pain) as the after-score.
    url, ids = clinic
    engine = create_engine_for_url(url)
    facts = gather(open_repository(engine), ids["sam"])
    engine.dispose()
    last = facts.sessions[-1]
    assert last.summary.session.end_pain is None  # 4 was said during it; none at the end
    assert pain_text(last) == ("3", "4/10", "not given")
    assert all(w.mean_pain_change is None for w in weekly_trend(facts.sessions))
    out = tmp_path / "sam.pdf"
    code, err = report(url, out, "--person", "Sam")
    assert code == 0, err
    text = text_of(out)
    assert "4/10 not given completed" in text
    assert re.search(r"2026-W\d\d 3 [\d.]+° [\d.]+° not given 0 0", text) or re.search(
        r"-W\d\d \d [\d.]+° [\d.]+° not given", text
    ), text


def test_dates_and_the_period_are_the_student_s_own_calendar(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # The PDF dated sessions and chose the period on this computer's clock while every web
    # page reads the zone the student practised in: a session at 02:30 on 21 November in
    # Kiritimati (UTC+14) read 20 November 12:30, and `--from 2020-11-21` left it out.
    url, _ = clinic
    when = dt.datetime(2020, 11, 20, 12, 30, tzinfo=dt.UTC)
    sid = _session_at(url, "Kiri Timati", when, "Pacific/Kiritimati")
    from twistcoach.storage.progress import session_started

    engine = create_engine_for_url(url)
    web_time = session_started(open_repository(engine).get_session(sid).session)
    engine.dispose()
    assert f"{web_time:%Y-%m-%d %H:%M}" == "2020-11-21 02:30"  # the web pages' helper
    out = tmp_path / "kiri.pdf"
    code, err = report(
        url, out, "--person", "Kiri Timati", "--from", "2020-11-21", "--to", "2020-11-21"
    )
    assert code == 0, err
    text = text_of(out)
    assert "2020-11-21 02:30" in text and "2020-11-20" not in text
    assert "student's own clock (Pacific/Kiritimati)" in text
    code, err = report(
        url, out, "--person", "Kiri Timati", "--from", "2020-11-20", "--to", "2020-11-20"
    )
    assert code == 0, err
    assert "No session in this period." in text_of(out)


def test_the_plan_leads_with_planning_s_verdict_for_today(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # Alex's sharp-pain stop today shuts every twist (the staff page: "none may be
    # practised now"; FHIR: on hold) while the report led with "Screening status: ready."
    url, ids = clinic
    engine = create_engine_for_url(url)
    repo = open_repository(engine)
    alex, sam = gather(repo, ids["alex"]), gather(repo, ids["sam"])
    engine.dispose()
    assert alex.decision.plan is not None and not alex.decision.allowed
    out = tmp_path / "alex.pdf"
    code, err = report(url, out, "--person", "Alex")
    assert code == 0, err
    text = text_of(out)
    verdict = "Today, by planning's decision: no twist may be practised now."
    assert verdict in text
    assert text.index(verdict) < text.index("Screening status: ready.")
    assert today_text(alex.decision) == verdict
    assert today_text(sam.decision).startswith(
        "Today, by planning's decision, the twists that may be practised now: "
        "Supine twist, supported;"
    )


def test_letters_of_any_language_are_drawn_never_a_silent_box(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # The built-in Helvetica drew "Zoë 李" as "Zoë ■".
    url, _ = clinic
    name = "Zoë 李 Ωμέγα Дмитрий"
    _session_at(url, name, dt.datetime(2020, 3, 1, 9, 0, tzinfo=dt.UTC), "Europe/Madrid")
    out = tmp_path / "zoe.pdf"
    code, err = report(url, out, "--person", name)
    assert code == 0, err
    text = text_of(out)
    assert "Zoë [U+674E] Ωμέγα Дмитрий" in text and "■" not in text
    assert "written as its Unicode code point instead, for example [U+674E]" in text
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in PdfReader(out).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert all("DejaVuSans" in f for f in fonts), fonts  # no built-in font left
    assert drawable("Zoë 李") == "Zoë [U+674E]"


def test_the_accuracy_paragraph_is_given_once_per_figures(
    clinic: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    # Sessions with no body model recorded and sessions with the neutral one quote the
    # same figures: the paragraph was printed twice (the red team's "Shay Sharp").
    url, _ = clinic
    name = "Bo Dymodel"
    _session_at(url, name, dt.datetime(2020, 5, 1, 9, 0, tzinfo=dt.UTC), None)
    engine = create_engine_for_url(url)
    repo = open_repository(engine)
    person = repo.find_person(name)
    assert person is not None
    neutral = repo.start_session(person.id, "supine_twist_supported", 45.0, "test")
    repo.add_event(
        neutral.id, 0.0, "event", "session_started", "started", {"body_model": "neutral"}
    )
    repo.end_session(neutral.id, "completed")
    facts = gather(repo, person.id)
    engine.dispose()
    assert {s.body_model for s in facts.sessions} == {None, "neutral"}
    out = tmp_path / "bo.pdf"
    code, err = report(url, out, "--person", name)
    assert code == 0, err
    assert text_of(out).count("Measured accuracy (") == 1


def test_a_pain_given_after_the_end_reads_after_only(tmp_path: Path) -> None:
    # A pain given after the coach finished is the "after" score; it was printed under
    # "during" too ("3/10, 4/10" then "4"): the same report twice.
    from twistcoach.coaching import Event
    from twistcoach.storage import SessionRecorder

    engine = create_engine_for_url(f"sqlite:///{tmp_path / 'once.db'}")
    repo = open_repository(engine)
    person = repo.create_person("Ana Once")
    recorder = SessionRecorder.start(
        repo, person.id, "supine_twist_supported", 45.0, "test", start_pain=2
    )
    recorder.record(
        (
            Event(4.0, "pain_reported", "pain reported: 3/10", {"level": 3, "rise": 1}),
            Event(8.0, "session_done", "done", {}),
            Event(9.0, "pain_reported", "after the end: 4/10", {"level": 4, "after_end": True}),
        )
    )
    recorder.finish()
    (facts,) = gather(repo, person.id).sessions
    engine.dispose()
    assert pain_text(facts) == ("2", "3/10", "4")
