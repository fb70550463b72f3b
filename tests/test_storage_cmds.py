"""The storage commands: sessions, sessions show, progress, db upgrade, seed-demo."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from twistcoach.cli.app import build_app
from twistcoach.coaching import load_coaching_rules
from twistcoach.screening import ReadinessPlan
from twistcoach.storage.db import head_revision

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database seeded once with the demo data (module-wide: seeding takes ~1 s)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TWISTCOACH_DATABASE_URL", url)
        code, out, err = invoke("seed-demo")
    assert code == 0, err
    assert "Demo data ready (4 sessions). Sign in with password twistcoach-demo:" in out
    assert "teacher@example.org      teacher" in out
    return url


@pytest.fixture
def demo(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", demo_db)
    return demo_db


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "empty.db"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{path}")
    return path


def test_db_upgrade_creates_then_reports_up_to_date(empty: Path) -> None:
    code, out, _ = invoke("db", "upgrade")
    assert code == 0
    head = head_revision()
    assert out.strip() == f"sqlite:///{empty}: upgraded from an empty database to {head}"
    code, out, _ = invoke("db", "upgrade")
    assert out.strip() == f"sqlite:///{empty}: already at revision {head}"


def test_sessions_on_an_empty_database(empty: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, out, _ = invoke("sessions")
    assert (code, out.strip()) == (0, "No sessions recorded yet.")
    assert invoke("sessions", "--json")[1].strip() == "[]"


#: Every command that only reads the database (none of them may make one).
READING = [
    ("sessions",),
    ("sessions", "--json"),
    ("sessions", "show", "1"),
    ("progress", "--person", "Sam"),
    ("plan", "--person", "Sam"),
    ("export", "fhir", "--person", "Sam"),
    ("report", "--person", "Sam", "--out", "{tmp}/sam.pdf"),
]
#: Commands that record: they make a database where there is none.
RECORDING = [("seed-demo",), ("db", "upgrade")]
#: The coach, which records too (the database is opened before the video).
COACH = ("coach", "--person", "Sam", "--video", "{tmp}/none.mp4", "--headless")


def _run(command: tuple[str, ...], tmp: Path) -> tuple[int, str, str]:
    return invoke(*(word.format(tmp=tmp) for word in command))


def _beside(path: Path) -> list[str]:
    """What is in the database's folder (SQLite's -wal/-shm, our migration lock)."""
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("command", READING)
def test_a_reading_command_where_no_database_is_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    # They made and migrated a new database before finding the name unknown.
    path = tmp_path / "new" / "twistcoach.db"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{path}")
    code, out, err = _run(command, tmp_path)
    assert code == 2, err
    # (`plan` says "Error:", the other commands "error:")
    assert err.strip().lower() == (
        f"error: no twistcoach database at {path}: run `twistcoach seed-demo` or record a "
        "session first (or set twistcoach_database_url to your database)"
    )
    assert not path.parent.exists() and "Traceback" not in out + err
    # An empty file (what `touch` makes) is no database either, and stays empty.
    path.parent.mkdir()
    path.touch()
    code, _, err = _run(command, tmp_path)
    assert code == 2 and "no twistcoach database at" in err
    assert path.read_bytes() == b"" and _beside(path) == ["twistcoach.db"]


@pytest.mark.parametrize("command", RECORDING)
def test_a_recording_command_makes_the_database_in_a_new_folder_or_an_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    path = tmp_path / "new" / "twistcoach.db"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{path}")
    assert invoke(*command)[0] == 0 and path.is_file()
    touched = tmp_path / "touched.db"
    touched.touch()
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{touched}")
    assert invoke(*command)[0] == 0
    assert invoke("sessions")[0] == 0


def _schema(path: Path) -> list[tuple[object, ...]]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        return db.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()


@pytest.mark.parametrize("command", [*READING, *RECORDING, COACH, ("serve", "--no-demo")])
def test_another_programs_sqlite_file_is_refused_and_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """twistcoach added its tables to any SQLite file it was pointed at (and turned on WAL)."""
    import sqlite3

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve started"))
    path = tmp_path / "contacts.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO contacts (name) VALUES ('Ana')")
        db.commit()
    schema, content = _schema(path), path.read_bytes()
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{path}")
    code, out, err = _run(command, tmp_path)
    assert code == 2, out + err
    assert (
        f"rror: the database at {path} holds another program's tables (contacts), not "
        "twistcoach's; twistcoach changed nothing in it: set TWISTCOACH_DATABASE_URL to a new "
        "file or an empty database"
    ) in err
    assert "Traceback" not in out + err
    assert _schema(path) == schema and path.read_bytes() == content
    assert _beside(path) == ["contacts.sqlite"]  # no -wal, -shm or lock file beside it


@pytest.mark.parametrize("command", [*READING, *RECORDING, COACH])
def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n" * 50)
    content = path.read_bytes()
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{path}")
    code, out, err = _run(command, tmp_path)
    assert code == 2, out + err
    assert (
        f"rror: TWISTCOACH_DATABASE_URL names {path}, which is not a SQLite database; "
        "twistcoach changed nothing in it"
    ) in err
    assert path.read_bytes() == content and _beside(path) == ["notes.txt"]


def test_a_newer_twistcoachs_database_is_refused_not_taken_for_another_programs(
    empty: Path,
) -> None:
    import sqlite3

    assert invoke("seed-demo")[0] == 0
    with contextlib.closing(sqlite3.connect(empty)) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
        db.commit()
    schema, content = _schema(empty), empty.read_bytes()
    for command in (("sessions",), ("seed-demo",)):
        code, _, err = invoke(*command)
        assert code == 2
        assert f"the database at {empty} was made by a newer twistcoach (migration " in err
        assert f"this one knows up to {head_revision()}" in err and "upgrade twistcoach" in err
    assert _schema(empty) == schema and empty.read_bytes() == content


def test_a_store_of_an_older_twistcoach_is_read_and_upgraded(empty: Path) -> None:
    """Every earlier migration is twistcoach's own: a reading command upgrades it in place."""
    from alembic import command

    from twistcoach.storage import create_engine_for_url
    from twistcoach.storage.db import _alembic_config, current_revision

    engine = create_engine_for_url(f"sqlite:///{empty}")
    try:
        config = _alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001_initial")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO people (name, created_at) VALUES ('Old', '2026-01-01 09:00:00')"
            )
        code, out, err = invoke("progress", "--person", "Old")
        assert code == 0, err
        assert "Old has no sessions" in out
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_seed_demo_is_idempotent(demo: str) -> None:
    code, out, _ = invoke("seed-demo")
    assert code == 0
    assert "Demo data ready (4 sessions)" in out


def test_sessions_list_json_and_filter(demo: str) -> None:
    code, out, _ = invoke("sessions", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["id"], r["person"]) for r in rows] == [
        (4, "Alex"),
        (3, "Sam"),
        (2, "Sam"),
        (1, "Sam"),
    ]
    assert {r["status"] for r in rows} == {"completed"}
    assert [r["pain_reports"] for r in rows] == [[], [4], [], []]
    assert all(r["max_abs_knee_drop_deg"] < r["cap_deg"] for r in rows)
    assert [r["over_cap_samples"] for r in rows] == [0, 0, 0, 0]
    code, out, _ = invoke("sessions", "--person", "Sam", "--json")
    assert [r["id"] for r in json.loads(out)] == [3, 2, 1]
    code, out, _ = invoke("sessions", "--person", "Sam")
    assert code == 0
    assert "Sam" in out and "Alex" not in out and "completed" in out


def test_sessions_show_json(demo: str) -> None:
    code, out, _ = invoke("sessions", "show", "3", "--json")
    assert code == 0
    session = json.loads(out)
    # The demo's 4 was said during the session: no end score was given (it read 4).
    assert (session["person"], session["start_pain"], session["end_pain"]) == ("Sam", 3, None)
    # One sample per second, on the second.
    assert [s["t"] for s in session["samples"]] == [
        float(i) for i in range(len(session["samples"]))
    ]
    pain = [e for e in session["events"] if e["type"] == "pain"]
    assert [(e["t"], e["id"], e["data"]["level"]) for e in pain] == [(30.0, "pain_reported", 4)]
    step = load_coaching_rules().thresholds.pain_cap_step_deg
    caps = {s["t"]: s["cap"] for s in session["samples"]}
    assert (caps[30.0], caps[31.0]) == (45.0, 45.0 - step)


def test_sessions_show_text_and_plot(demo: str, tmp_path: Path) -> None:
    png = tmp_path / "s3.png"
    code, out, _ = invoke("sessions", "show", "3", "--plot", str(png))
    assert code == 0
    assert "Session 3: Sam, Supine twist, supported" in out
    # No end score was given: "not given", never the last pain said (it read "3→4").
    assert "pain        3→not given, reports 4" in out
    # What happened, as the web's session page says it: never the coach's ids.
    assert "Pain   Pain reported: 4 out of 10" in out and "Session complete" in out
    assert "pain_reported" not in out and "state_changed" not in out
    assert f"plot written to {png}" in out
    image = imread(png)
    assert image.shape[:2] == (360, 900)
    # The pain report's orange line (#e67e22) is drawn.
    orange = (abs(image[..., 0] - 0xE6 / 255) < 0.02) & (abs(image[..., 1] - 0x7E / 255) < 0.02)
    assert int(orange.sum()) > 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sessions", "show", "99"), "error: no session with id 99"),
        # Past SQLite's integers: refused, not its OverflowError's traceback.
        (("sessions", "show", str(10**24)), "Invalid value for 'session_id'"),
        (("sessions", "--person", "Kim"), "error: no person named 'Kim' (known: Alex, Sam)"),
        (("progress", "--person", "Kim"), "error: no person named 'Kim' (known: Alex, Sam)"),
        (("sessions", "show", "3", "--plot", "x.svg"), "--plot must name a .png file"),
        (("sessions", "show", "3", "--plot", "/nonexistent/dir/x.png"), "does not exist"),
        (("progress", "--person", "Sam", "--variant", "headstand"), "unknown variant"),
    ],
)
def test_bad_input_exits_2_with_a_message(demo: str, args: tuple[str, ...], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_bad_database_url_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", "mysql://u@h/db")
    code, _, err = invoke("sessions")
    assert code == 2
    assert "must point to SQLite or PostgreSQL" in err


@pytest.mark.parametrize(
    "command",
    [
        ("sessions",),
        ("progress", "--person", "Sam"),
        # The same bad setting had exited 1 here (the error table's "store failed").
        ("report", "--person", "Sam", "--out", "/tmp/twistcoach-never.pdf"),
        ("export", "fhir", "--person", "Sam"),
        ("seed-demo",),
    ],
)
def test_an_unusable_sqlite_file_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # Found by a hostile-input sweep: both ended in tracebacks (the migration lock's open,
    # and the `sessions` listing, a group callback the error table did not wrap).
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", "sqlite:////proc/no-such.db")
    result = runner.invoke(build_app(), list(command))
    assert result.exit_code == 2 and not isinstance(result.exception, OSError)
    # A command that only reads finds no database there; one that records cannot make it.
    said = (
        "cannot use the SQLite file" if command == ("seed-demo",) else "no twistcoach database at"
    )
    assert f"{said} /proc/no-such.db" in result.stderr
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", "sqlite:////proc/no-such/folder/x.db")
    result = runner.invoke(build_app(), list(command))
    assert result.exit_code == 2 and not isinstance(result.exception, OSError)
    assert f"{said} /proc/no-such/folder/x.db" in result.stderr
    not_a_database = tmp_path / "photo.jpg"
    not_a_database.write_text("this is not a database, " * 100)
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{not_a_database}")
    result = runner.invoke(build_app(), list(command))
    # It was exit 1, "database error: file is not a database": the person's setting is wrong.
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert f"names {not_a_database}, which is not a SQLite database" in result.stderr


def test_progress_after_a_pain_rise_lowers_the_cap(demo: str) -> None:
    code, out, _ = invoke("progress", "--person", "Sam", "--json")
    assert code == 0
    suggestion = json.loads(out)
    assert suggestion["action"] == "lower_cap"
    assert suggestion["current_cap_deg"] == 45.0
    assert suggestion["suggested_cap_deg"] < 45.0
    assert [r["rule"] for r in suggestion["reasons"]] == ["PROG-PAIN"]
    code, out, _ = invoke("progress", "--person", "Sam")
    assert "suggestion  lower cap" in out
    assert "PROG-PAIN" not in out and "Pain went up in the last session" in out
    assert "allowed now, knee drop up to 40°" in out  # the lowered cap holds today
    # The 45 is the last session's cap, never "now" beside today's 40.
    assert "last session 45°, next 40°" in out and "now 45°" not in out
    code, out, _ = invoke("progress", "--person", "Alex", "--json")
    assert json.loads(out)["action"] == "keep"


_PAIN_ROSE = {  # A session whose pain rose: progression's "lower the cap".
    "age": 45,
    "pain_now": 5,
    "pain_duration_weeks": 6,
    "activity": "active",
    "leg_symptoms": "below_knee",
}


def _person_with(name: str, intake: dict[str, object], *, session: bool) -> None:
    """``name`` stored with ``intake`` (after a session of the supported supine twist whose
    pain went from 2 to 5, when ``session``)."""
    from twistcoach.intake import parse_intake
    from twistcoach.storage import open_repository

    repo = open_repository()
    person = repo.get_or_create_person(name)
    if session:
        s = repo.start_session(person.id, "supine_twist_supported", 45.0, "test", start_pain=2)
        repo.end_session(s.id, "completed", None, 5)
    repo.save_intake(person.id, parse_intake(intake))


def _plan_of(name: str) -> ReadinessPlan:
    from twistcoach.storage import open_repository
    from twistcoach.storage.progress import decide_for_person

    repo = open_repository()
    plan = decide_for_person(repo, repo.person_named(name).id).plan
    assert plan is not None
    return plan


def _care_words(name: str) -> list[str]:
    """The headline and the plan's own advice that `plan` shows for ``name`` (English)."""
    from twistcoach.cli.screening_cmds import plan_headline
    from twistcoach.screening import load_rules

    plan = _plan_of(name)
    general = set(load_rules().general_advice)
    return [plan_headline(plan.status), *(a for a in plan.advice if a not in general)]


def _no_cap_words(out: str) -> None:
    """Nothing about a cap of a twist that is not allowed: no "n/a", no "-" for a cap, no
    lowering."""
    assert "n/a" not in out and " -," not in out and "(ceiling -)" not in out
    assert "lower cap" not in out and "lowered" not in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("red_flag", "status"),
    [
        ("progressive_leg_weakness", "seek_care_now"),
        ("night_pain_unrelieved", "see_clinician_first"),
    ],
)
def test_progress_sends_a_person_with_red_flags_to_care(
    empty: Path, red_flag: str, status: str
) -> None:
    # With emergency signs (or a serious red flag) in the latest intake, progress said only
    # "suggestion lower cap", "cap now -, next - (ceiling -)" and "... lowered by 5 degrees
    # to n/a": never the plan's seek-care (see-a-clinician) words.
    _person_with("Kim", {**_PAIN_ROSE, "red_flags": [red_flag]}, session=True)
    assert _plan_of("Kim").status == status
    code, out, err = invoke("progress", "--person", "Kim")
    assert code == 0, err
    care = _care_words("Kim")
    assert len(care) >= 2  # the headline and the rule's own advice
    lines = out.splitlines()
    assert lines[0] == care[0]  # first: what to do
    for text in care[1:]:
        assert f"  • {text}" in lines
    assert "suggestion  none: no twist is allowed now, so there is no cap to lower or raise" in out
    _no_cap_words(out)
    code, printed, _ = invoke("progress", "--person", "Kim", "--json")
    # No suggestion for a twist the plan does not allow (it said "lower cap ... to n/a").
    assert code == 0 and json.loads(printed) is None


def test_progress_in_spanish_sends_to_care_too(empty: Path) -> None:
    from twistcoach import i18n

    _person_with("Kim", {**_PAIN_ROSE, "red_flags": ["progressive_leg_weakness"]}, session=True)
    care = _care_words("Kim")
    before = list(i18n._cli_language)
    try:
        code, out, _ = invoke("--lang", "es", "progress", "--person", "Kim")
    finally:
        i18n._cli_language[:] = before
    assert code == 0
    spanish = i18n.translator("es")
    assert out.splitlines()[0] == spanish.text(care[0])
    assert f"  • {spanish.text(care[1])}" in out.splitlines()
    _no_cap_words(out)
    assert "bajar el límite" not in out


def test_progress_with_no_session_yet_still_sends_to_care(empty: Path) -> None:
    _person_with("Kim", {**_PAIN_ROSE, "red_flags": ["bladder_dysfunction"]}, session=False)
    code, out, _ = invoke("progress", "--person", "Kim")
    assert code == 0
    assert out.splitlines()[0] == _care_words("Kim")[0]
    _no_cap_words(out)


def test_progress_of_a_twist_the_plan_refuses_while_others_are_allowed(empty: Path) -> None:
    # A seated twist practised, then an intake that keeps to supine twists: no cap for it.
    from twistcoach.storage import open_repository

    repo = open_repository()
    person = repo.get_or_create_person("Kim")
    s = repo.start_session(person.id, "seated_twist_easy", 20.0, "test", start_pain=2)
    # 2 -> 3: pain went up, but not so far that it would have stopped the session (2 -> 5
    # would rest the rest of today, as a pain stop does, and no twist would be allowed now).
    repo.end_session(s.id, "completed", None, 3)
    from twistcoach.intake import parse_intake

    repo.save_intake(person.id, parse_intake({**_PAIN_ROSE, "leg_symptoms": "none"}))
    code, out, _ = invoke("progress", "--person", "Kim")
    assert code == 0
    assert "Progress for Kim, Easy seated twist (cross-legged):" in out
    assert "none: this twist is not allowed now, so it has no cap to lower or raise" in out
    assert "Supine twist, supported: allowed now, knee drop up to" in out
    _no_cap_words(out)


def test_progress_variant_takes_the_name_people_read(demo: str) -> None:
    code, out, _ = invoke("progress", "--person", "Sam", "--variant", "supine twist, SUPPORTED")
    assert code == 0 and "Progress for Sam, Supine twist, supported:" in out
    code, _, err = invoke("progress", "--person", "Sam", "--variant", "headstand")
    assert code == 2 and 'give one of: "Supine twist, supported";' in err
    assert "supine_twist_supported" not in err


def test_sessions_say_how_a_session_ended_in_words_never_ids(empty: Path) -> None:
    from twistcoach.storage import open_repository

    repo = open_repository()
    person = repo.get_or_create_person("Nia")
    s = repo.start_session(person.id, "supine_twist_supported", 45.0, "test", start_pain=3)
    repo.end_session(s.id, "stopped", "sharp_pain", 3)
    for args in (("sessions",), ("sessions", "show", str(s.id))):
        code, out, _ = invoke(*args)
        assert code == 0
        assert "sharp pain" in out and "Supine twist, supported" in out
        assert "sharp_pain" not in out and "supine_twist_supported" not in out


def test_session_show_counts_one_sample_and_one_event_in_the_singular(empty: Path) -> None:
    """A session with one sample and one event read "1 samples, 1 events" (in Spanish too)."""
    from twistcoach import i18n
    from twistcoach.storage import SampleRecord, open_repository

    repo = open_repository()
    person = repo.get_or_create_person("Una")
    s = repo.start_session(person.id, "supine_twist_supported", 45.0, "test", start_pain=3)
    repo.add_sample(s.id, SampleRecord(0.0, 5.0, 2.0, 0.0, 2.0, 0.0, 0.9, 45.0))
    repo.add_event(s.id, 0.0, "event", "session_started", "session started", {"cap_deg": 45.0})
    repo.end_session(s.id, "completed", None, 3)
    before = list(i18n._cli_language)
    try:
        code, english, _ = invoke("sessions", "show", str(s.id))
        code_es, spanish, _ = invoke("--lang", "es", "sessions", "show", str(s.id))
    finally:
        i18n._cli_language[:] = before
    assert code == code_es == 0
    assert "1 sample, 1 event" in english and "1 samples" not in english
    assert "1 muestra, 1 suceso" in spanish and "1 muestras" not in spanish


def test_sessions_in_the_language_asked_for(demo: str) -> None:
    # `twistcoach --lang es sessions` and `sessions show` were English (progress was not).
    from twistcoach import i18n

    before = list(i18n._cli_language)
    try:
        code, listed, _ = invoke("--lang", "es", "sessions", "--person", "Sam")
        code_show, shown, _ = invoke("--lang", "es", "sessions", "show", "3")
    finally:
        i18n._cli_language[:] = before
    assert code == 0 and code_show == 0
    assert "Sesiones (las más recientes primero)" in listed and "Torsión boca arriba" in listed
    assert "Sesión 3: Sam, Torsión boca arriba, con apoyo" in shown
    assert "avisos 4" in shown and "qué pasó:" in shown and "Dolor anotado: 4 sobre 10" in shown
    for english in ("status", "started", "recorded", "samples", "Session complete"):
        assert english not in shown, english


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"],
)
@pytest.mark.parametrize("command", [("seed-demo",), ("db", "upgrade")])
def test_an_in_memory_database_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, command: tuple[str, ...]
) -> None:
    """`seed-demo` on an in-memory database said "Demo data ready" over data gone at once."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", url)
    code, out, err = invoke(*command)
    assert code == 2 and "Demo data ready" not in out
    assert f"names an in-memory SQLite database ({url!r}), which keeps nothing" in err
    assert list(tmp_path.iterdir()) == []  # not even a migration lock beside a file name


def test_the_database_refusals_are_said_in_the_language_asked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`twistcoach --lang es ...` says a database refusal in Spanish (storage.db.REFUSALS,
    catalogued; cli.output.print_error translates its line): they were English only. The
    exit code, and the database, are as in English."""
    import sqlite3

    monkeypatch.chdir(tmp_path)
    env = "TWISTCOACH_DATABASE_URL"
    monkeypatch.setenv(env, "sqlite://")
    code, _, err = invoke("--lang", "es", "seed-demo")
    assert code == 2 and list(tmp_path.iterdir()) == []
    assert err.startswith(
        f"error: {env} indica una base de datos SQLite en memoria ('sqlite://'), que no "
        "guarda nada: indique un archivo, p. ej. sqlite:////home/me/twistcoach.db"
    ), err
    # Another program's file, with more than five tables: ids listed, no English "and".
    foreign = tmp_path / "contacts.sqlite"
    with contextlib.closing(sqlite3.connect(foreign)) as db:
        for name in ("a", "b", "c", "d", "e", "f"):
            db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
        db.commit()
    monkeypatch.setenv(env, f"sqlite:///{foreign}")
    code, _, err = invoke("--lang", "es", "sessions")
    assert code == 2
    assert (
        f"error: la base de datos de {foreign} contiene tablas de otro programa "
        f"(a, b, c, d, e, …), no de twistcoach; twistcoach no ha cambiado nada en ella: haga "
        f"que {env} apunte a un archivo nuevo o a una base de datos vacía"
    ) in err, err
    code, _, err = invoke("sessions")  # English without --lang
    assert "holds another program's tables (a, b, c, d, e, …), not twistcoach's" in err
    # A file that is not SQLite, and a newer twistcoach's database.
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n" * 50)
    monkeypatch.setenv(env, f"sqlite:///{notes}")
    code, _, err = invoke("--lang", "es", "seed-demo")
    assert code == 2
    assert f"{env} indica {notes}, que no es una base de datos SQLite; twistcoach no" in err
    newer = tmp_path / "newer.db"
    monkeypatch.setenv(env, f"sqlite:///{newer}")
    assert invoke("db", "upgrade")[0] == 0
    with contextlib.closing(sqlite3.connect(newer)) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
        db.commit()
    code, _, err = invoke("--lang", "es", "sessions")
    assert code == 2
    assert (
        f"la base de datos de {newer} la creó un twistcoach más reciente (migración "
        f"0099_from_the_future; este conoce hasta la {head_revision()}); twistcoach no ha "
        "cambiado nada en ella: actualice twistcoach"
    ) in err, err


def test_the_plot_title_names_the_twist_and_its_end_in_words(
    demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sessions show --plot` titled its plot with the twist's id and the raw status
    ("supine_twist_supported", "completed") where the web's plot gave their words; the
    plot now words them itself, for both."""
    from twistcoach.storage import open_repository
    from twistcoach.storage.db import create_engine_for_url
    from twistcoach.storage.plot import plot_title
    from twistcoach.wording import status_words

    engine = create_engine_for_url(demo)
    try:
        detail = open_repository(engine).get_session(3)
    finally:
        engine.dispose()
    title = plot_title(detail)
    assert "Supine twist, supported" in title and "supine_twist" not in title
    assert title.endswith(" · " + status_words(detail.session.status))
