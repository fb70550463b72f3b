"""The storage commands: sessions, sessions show, progress, db upgrade, seed-demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from twistcoach.cli.app import build_app
from twistcoach.coaching import load_coaching_rules
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
    code, out, _ = invoke("sessions")
    assert (code, out.strip()) == (0, "No sessions recorded yet.")
    assert invoke("sessions", "--json")[1].strip() == "[]"


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
    assert (session["person"], session["start_pain"], session["end_pain"]) == ("Sam", 3, 4)
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
    assert "pain        3→4 reports 4" in out
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
    assert "cannot use the SQLite file /proc/no-such.db" in result.stderr
    not_a_database = tmp_path / "photo.jpg"
    not_a_database.write_text("this is not a database, " * 100)
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{not_a_database}")
    result = runner.invoke(build_app(), list(command))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "database error: file is not a database" in result.stderr


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
    code, out, _ = invoke("progress", "--person", "Alex", "--json")
    assert json.loads(out)["action"] == "keep"


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
