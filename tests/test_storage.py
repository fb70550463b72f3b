"""Storage tests, each run on SQLite (a temp file) and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from pg import PgServer
from twistcoach.coaching import Cue, Event, Priority
from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View
from twistcoach.storage import (
    NotFoundError,
    Repository,
    SampleRecord,
    SessionRecorder,
    SessionStatus,
    StorageError,
    create_engine_for_url,
    init_db,
    open_repository,
    settings_from_env,
)
from twistcoach.storage.db import current_revision, head_revision, table_names
from twistcoach.storage.models import Base
from twistcoach.storage.recorder import sample_from_observation

TABLES = [
    "accounts",
    "alembic_version",
    "audit_log",
    "checkins",
    "clearance_withdrawals",
    "clearances",
    "clinician_plans",
    "events",
    "intakes",
    "links",
    "metric_samples",
    "people",
    "plans",
    "progression_decisions",
    "reviews",
    "sessions",
    "web_sessions",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'twistcoach.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine_for_url(db_url)
    init_db(eng)
    yield eng
    eng.dispose()


class FakeClock:
    """A clock the test moves by hand (aware UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def repo(engine: Engine, clock: FakeClock) -> Repository:
    return Repository(engine, clock=clock)


def observation(t: float, drop: float | None, confidence: float = 0.9) -> Observation:
    """An observation with a known (or, with None, unknown) knee drop in degrees."""
    known = Measure(drop, confidence) if drop is not None else Measure.unknown(0.1)
    metrics = TwistMetrics(
        timestamp_s=t,
        knee_drop=known,
        drop_side=Side.RIGHT if drop and drop > 0 else Side.LEFT,
        pelvis_roll=Measure(2.0, confidence),
        shoulder_roll=Measure(-1.0, confidence),
        lifted_shoulder=None,
        twist=Measure(3.0, confidence),
        knee_flexion=Measure(80.0, confidence),
        knees_together=True,
        speed=Measure(5.0, confidence),
        confidence=confidence,
    )
    return Observation(t, metrics, PoseFamily.SUPINE_TWIST, 0.95, View.OBLIQUE, True)


# --------------------------------------------------------------------------- settings


def test_settings_default_to_sqlite_in_user_data_dir(tmp_path: Path) -> None:
    settings = settings_from_env({"XDG_DATA_HOME": str(tmp_path)})
    assert settings.from_environment is False
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("/twistcoach/twistcoach.db")


def test_settings_read_postgres_url_and_force_psycopg() -> None:
    s = settings_from_env({"TWISTCOACH_DATABASE_URL": "postgresql://u:p@db.example:5433/tc"})
    assert s.database_url == "postgresql+psycopg://u:p@db.example:5433/tc"
    assert s.from_environment is True


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "is not a database URL"), ("mysql://u@h/db", "must point to SQLite")],
)
def test_settings_reject_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        settings_from_env({"TWISTCOACH_DATABASE_URL": url})


def test_sqlite_pragmas_wal_and_foreign_keys(tmp_path: Path) -> None:
    eng = create_engine_for_url(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}")
    assert not (tmp_path / "sub").exists()  # an engine alone makes nothing: init_db does
    init_db(eng)
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "sub").is_dir()
    eng.dispose()


# -------------------------------------------------------------------------- migrations


def test_migrations_create_every_table_and_match_models(engine: Engine) -> None:
    assert table_names(engine) == TABLES
    assert current_revision(engine) == head_revision() == "0007_clearance_withdrawals"
    with engine.connect() as conn:
        # The models and the migrations describe the same schema.
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_upgrade_twice_keeps_data(engine: Engine, repo: Repository) -> None:
    repo.create_person("Kept")
    init_db(engine)
    assert [p.name for p in Repository(engine).list_people()] == ["Kept"]


# ----------------------------------------------------------------------------- CRUD


def test_accounts_people_and_audit(repo: Repository, clock: FakeClock) -> None:
    teacher = repo.create_account(
        " Teacher@Example.org ", "Tess", "$argon2id$fake", "teacher", trained_for_back_problems=True
    )
    assert teacher.email == "teacher@example.org"
    assert teacher.created_at == dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert repo.find_account("TEACHER@example.org") == teacher
    assert repo.find_account("nobody@example.org") is None
    with pytest.raises(StorageError, match="already exists"):
        repo.create_account("teacher@example.org", "Again", "h", "teacher")
    with pytest.raises(StorageError, match="role must be one of student, teacher, clinician"):
        repo.create_account("x@example.org", "X", "h", "admin")

    student = repo.create_account("sam@example.org", "Sam", "h", "student")
    sam = repo.create_person("Sam", account_id=student.id, teacher_id=teacher.id)
    other = repo.create_person("Alex")
    assert repo.person_for_account(student.id) == sam
    assert [p.name for p in repo.list_people()] == ["Alex", "Sam"]
    assert [p.name for p in repo.list_people(teacher_id=teacher.id)] == ["Sam"]
    with pytest.raises(StorageError, match="not a teacher or clinician"):
        repo.set_teacher(other.id, student.id)
    assert repo.set_teacher(other.id, teacher.id).teacher_id == teacher.id
    with pytest.raises(StorageError, match="already exists"):
        repo.create_person(" Sam ")
    # Any case is the same person: "sam" was a second person with none of Sam's history.
    assert repo.get_or_create_person("sam") == sam and repo.person_named(" SAM ") == sam
    with pytest.raises(StorageError, match="already exists"):
        repo.create_person("sAm")
    with pytest.raises(NotFoundError, match=r"no person named 'Kim' \(known: Alex, Sam\)"):
        repo.person_named("Kim")
    assert repo.get_or_create_person("Kim").name == "Kim"

    clock.advance(5)
    entry = repo.audit(teacher.id, "clearance.record", "person:1", {"variants": ["a"]})
    assert entry.at == dt.datetime(2026, 3, 1, 9, 0, 5, tzinfo=dt.UTC)
    repo.audit(None, "seed", "demo")
    assert [(a.actor_id, a.action) for a in repo.list_audit()] == [
        (None, "seed"),
        (teacher.id, "clearance.record"),
    ]
    assert [a.action for a in repo.list_audit(actor_id=teacher.id)] == ["clearance.record"]


def test_intake_plan_clearance_and_decisions(repo: Repository, clock: FakeClock) -> None:
    person = repo.create_person("Sam")
    intake = repo.save_intake(person.id, {"age": 42, "conditions": ["chronic_low_back_pain"]})
    clock.advance(1)
    plan = repo.save_plan(person.id, intake.id, {"variants": [{"id": "v1"}]}, "practice")
    assert repo.latest_intake(person.id) == intake
    assert repo.latest_plan(person.id) == plan
    assert plan.data == {"variants": [{"id": "v1"}]}
    assert repo.get_plan(plan.id).intake_id == intake.id
    with pytest.raises(NotFoundError, match="no intake 999"):
        repo.save_plan(person.id, 999, {}, "x")

    clearance = repo.record_clearance(
        person.id, "clinician", "Dr Lee", dt.date(2026, 2, 27), ["supine_twist_feet_wide"], 35.0
    )
    assert repo.list_clearances(person.id) == [clearance]
    assert clearance.variants == ["supine_twist_feet_wide"]
    assert clearance.max_knee_drop_deg == 35.0
    with pytest.raises(StorageError, match=r"knee-drop limit must be in \(0, 90\]"):
        repo.record_clearance(person.id, "teacher", "T", dt.date(2026, 1, 1), [], 120.0)
    with pytest.raises(StorageError, match="cleared by must be one of"):
        repo.record_clearance(person.id, "friend", "T", dt.date(2026, 1, 1), [], 20.0)

    decision = repo.record_decision(person.id, {"raise_cap_to": 40}, "approved", None)
    assert repo.list_decisions(person.id) == [decision]
    assert decision.suggestion == {"raise_cap_to": 40}


def test_session_lifecycle_and_summary(repo: Repository, clock: FakeClock) -> None:
    person = repo.create_person("Sam")
    session = repo.start_session(person.id, "supine_twist_basic", 30.0, "video:x.mp4", 2)
    assert session.status == "running"
    for t, drop, cap in [
        (0.0, 1.0, 30.0),
        (1.0, -28.5, 30.0),
        (2.0, 31.0, 30.0),
        (3.0, 26.0, 25.0),
    ]:
        repo.add_sample(session.id, SampleRecord(t, drop, 2.0, -1.0, 3.0, 4.0, 0.8, cap))
    repo.add_sample(session.id, SampleRecord(4.0, None, None, None, None, None, 0.0, 25.0))
    repo.add_event(session.id, 0.5, "cue", "sink", "let the knees sink", {"priority": "guidance"})
    repo.add_pain(session.id, 2.5, 4)
    repo.add_pain(session.id, 3.5, None, sharp=True)
    clock.advance(10)
    ended = repo.end_session(session.id, "stopped", "sharp_pain", end_pain=5)
    assert ended.ended_at == dt.datetime(2026, 3, 1, 9, 0, 10, tzinfo=dt.UTC)

    detail = repo.get_session(session.id)
    summary = detail.summary
    assert summary.session.status == "stopped"
    assert summary.session.stop_reason == "sharp_pain"
    assert (summary.n_samples, summary.n_events) == (5, 3)
    assert summary.max_abs_knee_drop == 31.0
    # 31 > 30 and 26 > 25 are over the cap in force at that second; -28.5 is not.
    assert summary.over_cap_samples == 2
    assert summary.pain_reports == (4, 10)
    assert summary.sharp_pain is True
    assert summary.max_pain == 10
    assert summary.pain_rise == 8
    assert [s.knee_drop for s in detail.samples] == [1.0, -28.5, 31.0, 26.0, None]
    assert [(e.t, e.type, e.event_id) for e in detail.events] == [
        (0.5, "cue", "sink"),
        (2.5, "pain", "pain"),
        (3.5, "pain", "pain"),
    ]
    with pytest.raises(StorageError, match="is stopped, not running"):
        repo.add_event(session.id, 5.0, "cue", "x", "late")
    with pytest.raises(NotFoundError, match="no session with id 999"):
        repo.get_session(999)
    with pytest.raises(StorageError, match="pain level must be a whole number from 0 to 10"):
        repo.add_pain(repo.start_session(person.id, "v", 20.0, "t").id, 1.0, 11)


def test_list_sessions_newest_first_and_history_oldest_first(
    repo: Repository, clock: FakeClock
) -> None:
    sam, alex = repo.create_person("Sam"), repo.create_person("Alex")
    ids = []
    for person in (sam, alex, sam):
        ids.append(repo.start_session(person.id, "v", 30.0, "t").id)
        repo.end_session(ids[-1])
        clock.advance(60)
    assert [s.session.id for s in repo.list_sessions()] == ids[::-1]
    assert [s.session.id for s in repo.list_sessions(sam.id)] == [ids[2], ids[0]]
    assert [s.session.id for s in repo.history(sam.id)] == [ids[0], ids[2]]
    assert [s.session.person_name for s in repo.list_sessions(limit=1)] == ["Sam"]


def test_mark_interrupted_sessions(engine: Engine, repo: Repository, clock: FakeClock) -> None:
    person = repo.create_person("Sam")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    dead_local = repo.start_session(person.id, "v", 30.0, "t", owner=f"{host}:{dead.pid}")
    repo.add_event(dead_local.id, 7.0, "event", "hold_started", "hold")
    alive_local = repo.start_session(person.id, "v", 30.0, "t")  # this very process
    # Our pid, but a different start time: a dead recorder whose pid was reused.
    reused = repo.start_session(person.id, "v", 30.0, "t", owner=f"{host}:{os.getpid()}:1")
    remote = repo.start_session(person.id, "v", 30.0, "t", owner="elsewhere:1")
    clock.advance(30)
    assert repo.mark_interrupted_sessions(stale_after_s=60) == [dead_local.id, reused.id]
    clock.advance(31)
    assert repo.mark_interrupted_sessions(stale_after_s=60) == [remote.id]
    interrupted = repo.get_session(dead_local.id)
    assert interrupted.session.status == "interrupted"
    assert interrupted.session.ended_at == dead_local.started_at + dt.timedelta(seconds=7)
    assert [e.event_id for e in interrupted.events] == ["hold_started"]
    assert repo.get_session(alive_local.id).session.status == "running"


def test_sharp_pain_reported_after_the_end_makes_it_a_sharp_pain_stop(
    repo: Repository, clock: FakeClock
) -> None:
    from twistcoach.storage import LATE_SHARP_WINDOW_S
    from twistcoach.storage.progress import outcome_of

    person = repo.create_person("Sam")
    done = repo.start_session(person.id, "supine_twist_basic", 30.0, "test", start_pain=1)
    clock.advance(30)
    # From another window while it runs: stored in it (the coaching socket stops for it).
    running = repo.add_late_sharp_pain(done.id)
    assert running.status == "running" and repo.sharp_reported(done.id)
    clock.advance(60)
    repo.end_session(done.id, SessionStatus.COMPLETED)
    clock.advance(60)
    record = repo.add_late_sharp_pain(done.id)
    assert (record.status, record.stop_reason) == ("stopped", "sharp_pain")
    again = repo.add_late_sharp_pain(done.id)  # idempotent: one sharp report
    assert again.stop_reason == "sharp_pain"
    detail = repo.get_session(done.id)
    sharp = [e for e in detail.events if e.type == "pain"]
    assert len(sharp) == 1 and sharp[0].data["sharp"] is True
    assert sharp[0].t == pytest.approx(30.0)  # seconds from the session's start
    assert detail.summary.sharp_pain
    outcome = outcome_of(detail.summary)
    assert outcome is not None and outcome.stopped_reason == "sharp_pain"
    # Long after the end the pain is not that session's: a report of its own, made now,
    # still locks today (planning reads it as a sharp-pain stop) and the old session stays.
    old = repo.start_session(person.id, "supine_twist_basic", 30.0, "test", start_pain=1)
    repo.end_session(old.id, SessionStatus.STOPPED, "quit")
    clock.advance(LATE_SHARP_WINDOW_S + 1)
    report = repo.add_late_sharp_pain(old.id)
    assert report.id not in (old.id, done.id)
    assert (report.status, report.stop_reason) == ("stopped", "sharp_pain")
    assert report.source == "sharp pain report" and report.started_at == clock.now
    assert repo.get_session(old.id).session.stop_reason == "quit"
    new = repo.get_session(report.id)
    assert new.summary.sharp_pain and not new.samples
    # Asked again (a page's retry, a second press): the same report, not a second one.
    clock.advance(30)
    assert repo.add_late_sharp_pain(old.id).id == report.id
    assert repo.add_late_sharp_pain(done.id).id == done.id  # marked already: itself
    assert [s.session.source for s in repo.list_sessions()].count("sharp pain report") == 1
    outcome = outcome_of(new.summary)
    assert outcome is not None and outcome.stopped_reason == "sharp_pain"
    with pytest.raises(NotFoundError):
        repo.add_late_sharp_pain(9999)


# ------------------------------------------------------------------------- recorder


def test_recorder_samples_once_a_second_and_keeps_coach_outputs(repo: Repository) -> None:
    person = repo.create_person("Sam")
    recorder = SessionRecorder.start(repo, person.id, "supine_twist_basic", 30.0, "test", 1)
    with recorder:
        written = [recorder.observe(observation(i * 0.25, i * 1.0)) for i in range(13)]
        recorder.observe(Observation(3.1, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, False))
        recorder.record(
            [
                Cue(1.2, "ease_back", "Ease back a little.", Priority.CORRECTION, "over", "R-1"),
                Event(2.0, "pain_reported", "pain reported: 3/10", {"level": 3, "rise": 2}),
                Event(2.0, "cap_lowered", "cap lowered", {"from_deg": 30.0, "to_deg": 25.0}),
            ]
        )
        recorder.observe(observation(3.3, 20.0))
        recorder.observe(observation(4.0, 21.0))
    # t = 0, 1, 2, 3 and 4 s (the frame at 3.1 s had no person: stored as unknown).
    assert written == [i % 4 == 0 for i in range(13)]
    detail = repo.get_session(recorder.session_id)
    assert [s.t for s in detail.samples] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [s.knee_drop for s in detail.samples] == [0.0, 4.0, 8.0, 12.0, 21.0]
    assert [s.cap for s in detail.samples] == [30.0, 30.0, 30.0, 30.0, 25.0]
    assert [(e.type, e.event_id) for e in detail.events] == [
        ("cue", "ease_back"),
        ("pain", "pain_reported"),
        ("event", "cap_lowered"),
    ]
    assert detail.events[0].data == {"priority": "correction", "reason": "over", "rule": "R-1"}
    assert detail.session.status == "completed"
    assert detail.session.end_pain is None  # 3 was said during it: no end score given
    assert detail.summary.pain_reports == (3,)


def test_the_end_pain_is_only_a_score_the_person_gave_at_the_end(repo: Repository) -> None:
    # The recorder stored the last pain said (or the starting pain) as the "after" score:
    # FHIR, `sessions show` and the clinical PDF then showed a pain nobody gave ("2→2").
    person = repo.create_person("Ana")

    def session(*outputs: Event, end_pain: int | None = None) -> int | None:
        recorder = SessionRecorder.start(repo, person.id, "supine_twist_basic", 30.0, "test", 2)
        recorder.record(outputs)
        return recorder.finish(end_pain=end_pain).end_pain

    assert session() is None  # no pain given after the start: not 2
    during = Event(5.0, "pain_reported", "pain reported: 3/10", {"level": 3, "rise": 1})
    sharp = Event(6.0, "session_stopped", "stopped", {"reason": "sharp_pain"})
    assert session(during, sharp) is None  # sharp pain after a 3: no after-score, not 3
    after = Event(9.0, "pain_reported", "pain reported after the end: 4/10", {"level": 4})
    late = Event(9.0, "pain_reported", "after the end", {"level": 4, "after_end": True})
    assert session(during, after) is None  # still during the session
    assert session(during, sharp, late) == 4  # given once the coach had finished
    assert session(end_pain=1) == 1  # given to finish() by the caller


def test_unmeasured_views_are_stored_as_null_and_never_count_as_deepest(
    repo: Repository,
) -> None:
    # A side-on camera: the tracker's numbers (knee drops of -31 to -37.5 at confidence
    # 0.72-0.78 were stored before) must be stored as NULL, and the dashboard's deepest
    # drop comes only from the measured samples.
    person = repo.create_person("Sam")
    with SessionRecorder.start(repo, person.id, "supine_twist_basic", 40.0, "test") as recorder:
        for i, drop in enumerate([-31.0, -37.5, 12.0, -45.0]):
            obs = observation(float(i), drop, confidence=0.75)
            recorder.observe(replace(obs, view=View.SIDE, view_measurable=i == 2))
    sample = sample_from_observation(
        replace(observation(0.0, -37.5), view_measurable=False, far_side=Side.LEFT), 40.0
    )
    assert sample.knee_drop is None and sample.speed is None and sample.confidence == 0.0
    assert (sample.pelvis_roll, sample.shoulder_roll, sample.twist) == (None, None, None)
    detail = repo.get_session(recorder.session_id)
    assert [s.knee_drop for s in detail.samples] == [None, None, 12.0, None]
    assert detail.summary.n_samples == 4
    assert detail.summary.max_abs_knee_drop == 12.0
    assert detail.summary.over_cap_samples == 0
    nothing = SessionRecorder.start(repo, person.id, "supine_twist_basic", 40.0, "test")
    with nothing:
        nothing.observe(replace(observation(0.0, -37.5), view_measurable=False))
    assert repo.get_session(nothing.session_id).summary.max_abs_knee_drop is None


def test_recorder_sharp_pain_stop(repo: Repository) -> None:
    person = repo.create_person("Sam")
    with SessionRecorder.start(repo, person.id, "v", 30.0, "test") as recorder:
        recorder.record(
            [
                Cue(5.0, "stop_sharp_pain", "Stop now.", Priority.SAFETY, "sharp", "COACH-X"),
                Event(5.0, "session_stopped", "stopped", {"reason": "sharp_pain"}),
            ]
        )
        recorder.record([Event(6.0, "late", "stored: the session is still open", {})])
        finished = recorder.finish()
        recorder.record([Event(7.0, "after", "not stored", {})])
    assert finished.status == "stopped"
    assert finished.stop_reason == "sharp_pain"
    detail = repo.get_session(recorder.session_id)
    assert detail.summary.sharp_pain is True
    assert [e.event_id for e in detail.events] == [
        "stop_sharp_pain",
        "session_stopped",
        "sharp_pain",
        "late",
    ]


def test_recorder_marks_crash_as_interrupted(repo: Repository) -> None:
    person = repo.create_person("Sam")
    with pytest.raises(RuntimeError), SessionRecorder.start(repo, person.id, "v", 30.0, "t") as rec:
        rec.observe(observation(0.0, 5.0))
        raise RuntimeError("camera unplugged")
    detail = repo.get_session(rec.session_id)
    assert detail.session.status == "interrupted"
    assert detail.session.stop_reason == "recording failed: RuntimeError"
    assert len(detail.samples) == 1


# -------------------------------------------------------------------------- SIGKILL

CHILD = textwrap.dedent(
    """
    import sys, time
    from twistcoach.coaching import Event
    from twistcoach.metrics import Observation, PoseFamily, View
    from twistcoach.storage import Repository, SessionRecorder, create_engine_for_url

    repo = Repository(create_engine_for_url(sys.argv[1]))
    person = repo.get_or_create_person("Killed")
    recorder = SessionRecorder.start(repo, person.id, "supine_twist", 30.0, "sigkill-test")
    print("session", recorder.session_id, flush=True)
    t0 = time.monotonic()
    k = 0
    while True:
        t = time.monotonic() - t0
        recorder.observe(Observation(t, None, PoseFamily.SUPINE, 0.0, View.OBLIQUE, True))
        recorder.record([Event(t, "tick", f"tick {k}", {"k": k, "wall": time.time()})])
        print(k, flush=True)  # acknowledged: the event is committed
        k += 1
        time.sleep(0.1)
    """
)


@pytest.mark.slow
def test_sigkill_loses_at_most_the_last_second(db_url: str) -> None:
    init_db(create_engine_for_url(db_url))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    first = child.stdout.readline().split()
    assert first[0] == "session", first
    session_id = int(first[1])
    assert child.stdout.readline().strip() == "0"
    time.sleep(2.0)
    killed_at = time.time()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    acknowledged = [int(line) for line in child.stdout.read().split()]
    assert child.returncode == -signal.SIGKILL

    repo = open_repository(create_engine_for_url(db_url))  # marks dead sessions
    detail = repo.get_session(session_id)
    assert detail.session.status == SessionStatus.INTERRUPTED
    ticks = [e for e in detail.events if e.event_id == "tick"]
    ks = [int(e.data["k"]) for e in ticks]
    # Contiguous from the first tick, and nothing acknowledged is missing.
    assert ks == list(range(len(ks)))
    assert len(ks) >= max(acknowledged, default=0) + 1
    assert len(ks) >= 10  # about 2 s at 10 a second, at least 1 s of it
    assert killed_at - float(ticks[-1].data["wall"]) <= 1.0
    # Samples, once a second, also reach the last second.
    assert len(detail.samples) >= 2
    assert ticks[-1].t - detail.samples[-1].t <= 1.0


# ----------------------------------------------------------------------- demo data


@pytest.mark.slow
def test_seed_demo_is_idempotent_and_complete(repo: Repository) -> None:
    from argon2 import PasswordHasher

    from twistcoach.storage.demo import DEMO_PASSWORD, seed_demo

    ids = seed_demo(repo)
    assert seed_demo(repo) == ids
    teacher = repo.get_account(ids["teacher"])
    assert (teacher.email, teacher.role, teacher.trained_for_back_problems) == (
        "teacher@example.org",
        "teacher",
        True,
    )
    assert PasswordHasher().verify(teacher.password_hash, DEMO_PASSWORD)
    assert repo.get_account(ids["clinician"]).role == "clinician"
    sam, alex = repo.get_person(ids["sam"]), repo.get_person(ids["alex"])
    assert (sam.teacher_id, sam.account_id) == (ids["teacher"], ids["sam_account"])
    assert alex.teacher_id is None
    intake = repo.latest_intake(sam.id)
    assert intake is not None and intake.data["conditions"] == ["chronic_low_back_pain"]
    plan = repo.latest_plan(sam.id)
    assert plan is not None and plan.status == "ready" and plan.intake_id == intake.id
    history = repo.history(sam.id)
    assert [s.session.status for s in history] == ["completed"] * 3
    assert [s.pain_reports for s in history] == [(), (), (4,)]
    assert all(s.n_samples > 60 and s.over_cap_samples == 0 for s in history)
    assert [len(repo.list_sessions(p)) for p in (sam.id, alex.id)] == [3, 1]


# --------------------------------------------------------------------- progression


def test_suggest_for_person_raises_after_good_sessions_within_clearance(
    repo: Repository, clock: FakeClock
) -> None:
    from twistcoach.progression import ProgressionAction, load_progression_rules
    from twistcoach.storage.progress import decide_for_person, outcome_of, suggest_for_person

    th = load_progression_rules().thresholds
    person = repo.create_person("Sam")
    answers = {
        "age": 40,
        "pain_now": 2,
        "pain_duration_weeks": 20,
        "activity": "light",
        "leg_symptoms": "none",
        "conditions": ["chronic_low_back_pain"],
    }
    intake = repo.save_intake(person.id, answers)
    plan = {
        "variants": [
            {"id": "supine_twist_supported", "status": "allowed", "max_knee_drop_deg": 45.0}
        ]
    }
    repo.save_plan(person.id, intake.id, plan, "ready")
    assert suggest_for_person(repo, person.id).action is ProgressionAction.START  # type: ignore[union-attr]
    for _ in range(th.good_sessions_to_raise):
        s = repo.start_session(person.id, "supine_twist_supported", 30.0, "t", start_pain=2)
        repo.add_sample(s.id, SampleRecord(0.0, 25.0, None, None, None, None, 0.9, 30.0))
        repo.end_session(s.id, end_pain=2)
        clock.advance(86400)
    outcome = outcome_of(repo.history(person.id)[0])
    assert outcome is not None
    assert (outcome.cap_deg, outcome.max_knee_drop_deg, outcome.over_cap_s) == (30.0, 25.0, 0.0)
    assert (outcome.start_pain, outcome.end_pain, outcome.stopped_reason) == (2, 2, None)
    suggestion = suggest_for_person(repo, person.id)
    assert suggestion is not None
    assert suggestion.action is ProgressionAction.RAISE_CAP
    assert suggestion.suggested_cap_deg == min(45.0, 30.0 + th.raise_step_deg)
    # A clinician's limit is the ceiling for the raise.
    repo.record_clearance(
        person.id, "clinician", "Dr L", dt.date(2026, 3, 2), ["supine_twist_supported"], 32.0
    )
    suggestion = suggest_for_person(repo, person.id)
    assert suggestion is not None
    assert suggestion.ceiling_deg == 32.0
    assert suggestion.suggested_cap_deg == min(32.0, 30.0 + th.raise_step_deg)
    # An untrained teacher's clearance unlocks nothing, but a lower limit from anyone is
    # respected (fail safe): the cap comes down to it.
    repo.record_clearance(
        person.id, "teacher", "T", dt.date(2026, 3, 1), ["supine_twist_supported"], 20.0
    )
    decision = decide_for_person(repo, person.id)
    assert decision.permission("supine_twist_supported").cap_deg == 20.0


@pytest.mark.slow
def test_processes_starting_together_all_migrate(db_url: str) -> None:
    code = (
        "import sys\n"
        "from twistcoach.storage import create_engine_for_url, open_repository\n"
        "open_repository(create_engine_for_url(sys.argv[1])).get_or_create_person('P')\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    engine = create_engine_for_url(db_url)
    assert current_revision(engine) == head_revision()
    assert table_names(engine) == TABLES


def test_checkins_and_reviews_round_trip_and_reject_bad_values(engine: Engine) -> None:
    """Issue 15: the check-in after sharp pain and the staff review are stored, typed."""
    from twistcoach.storage.progress import load_history

    repo = Repository(engine)
    sam = repo.get_or_create_person("Sam")
    checkin = repo.record_checkin(sam.id, "worse", False, True)
    assert (checkin.back, checkin.new_leg_symptoms, checkin.weakness_or_numbness) == (
        "worse",
        False,
        True,
    )
    review = repo.record_review(sam.id, "clinician", " Dr Ames ", "seen")
    assert review.by_name == "Dr Ames" and repo.list_reviews(sam.id) == [review]
    assert repo.list_checkins(sam.id) == [checkin]
    with pytest.raises(StorageError, match="how the back feels"):
        repo.record_checkin(sam.id, "awful", False, False)
    with pytest.raises(StorageError, match="reviewed by"):
        repo.record_review(sam.id, "student", "Sam", "")
    history = load_history(repo, sam.id)
    assert history.checkins[0].back.value == "worse" and history.reviews[0].by_name == "Dr Ames"


def test_clinician_plans_round_trip_typed_and_reject_bad_values(engine: Engine) -> None:
    """Issue 21: a clinician's plan is stored and read back as planning's typed value."""
    from twistcoach.storage.progress import load_history

    repo = Repository(engine)
    sam = repo.get_or_create_person("Sam")
    record = repo.record_clinician_plan(
        sam.id,
        "Dr Ames",
        [("supine_twist_partial", 35.0, 20.0), ("supine_twist_supported", None, None)],
        3,
        dt.date(2027, 1, 10),
        "three times a week",
    )
    plan = record.plan
    assert [p.variant_id for p in plan.variants] == [
        "supine_twist_partial",
        "supine_twist_supported",
    ]
    assert plan.prescription("supine_twist_partial") is not None
    assert plan.variants[0].cap_deg == 35.0 and plan.variants[1].cap_deg is None
    assert load_history(repo, sam.id).clinician_plans == (plan,)
    with pytest.raises(StorageError, match="sessions per week"):
        repo.record_clinician_plan(sam.id, "Dr A", [("x", None, None)], 0, dt.date(2027, 1, 1))
    with pytest.raises(StorageError, match="knee-drop cap"):
        repo.record_clinician_plan(sam.id, "Dr A", [("x", 95.0, None)], 2, dt.date(2027, 1, 1))
    with pytest.raises(StorageError, match="at least one variant"):
        repo.record_clinician_plan(sam.id, "Dr A", [], 2, dt.date(2027, 1, 1))
    for nan in ([("x", math.nan, None)], [("x", 30.0, math.nan)]):  # not "no limit"
        with pytest.raises(StorageError, match="not NaN"):
            repo.record_clinician_plan(sam.id, "Dr A", nan, 2, dt.date(2027, 1, 1))
    for limits in ((math.nan, None), (30.0, math.nan)):
        with pytest.raises(StorageError, match="not NaN"):
            repo.record_clearance(
                sam.id,
                "clinician",
                "Dr A",
                dt.date(2026, 11, 1),
                ["supine_twist_partial"],
                limits[0],
                max_trunk_rotation_deg=limits[1],
            )


def test_the_lock_zone_is_the_last_sharp_pain_stops(repo: Repository, engine: Engine) -> None:
    """storage.progress.lock_zone: the zone the last sharp-pain stop was practised in; the
    machine's without a sharp stop or a zone; UTC-12 (the last day to end) for a stored
    name the zone database no longer knows."""
    from sqlalchemy import update

    from twistcoach.storage.models import PracticeSession
    from twistcoach.storage.progress import local_zone, lock_zone

    person = repo.create_person("Zoe")
    assert lock_zone(repo.history(person.id)) == local_zone()  # nothing yet

    def practise(zone: str | None, sharp: bool) -> int:
        session = repo.start_session(person.id, "supine_twist_partial", 30.0, "t", time_zone=zone)
        if sharp:
            repo.add_pain(session.id, 1.0, None, sharp=True)
        repo.end_session(session.id, "stopped" if sharp else "completed", None)
        return session.id

    practise("Asia/Tokyo", sharp=False)
    assert lock_zone(repo.history(person.id)) == local_zone()  # no sharp stop
    sharp = practise("America/Lima", sharp=True)
    practise("Asia/Tokyo", sharp=False)  # a later session elsewhere changes nothing
    assert lock_zone(repo.history(person.id)) == ZoneInfo("America/Lima")
    with pytest.raises(StorageError, match="unknown time zone"):
        repo.start_session(person.id, "supine_twist_partial", 30.0, "t", time_zone="Europe")
    with engine.begin() as conn:  # a name a later zone database dropped
        conn.execute(
            update(PracticeSession).where(PracticeSession.id == sharp).values(time_zone="Gone/Away")
        )
    zone = lock_zone(repo.history(person.id))
    assert zone.utcoffset(None) == dt.timedelta(hours=-12)


def test_a_stored_clearance_a_later_check_refuses_unlocks_nothing_and_breaks_nothing(
    repo: Repository,
) -> None:
    from twistcoach.storage.progress import decide_for_person

    person = repo.create_person("Olga")
    repo.save_intake(
        person.id,
        {
            "age": 40,
            "pain_now": 2,
            "pain_duration_weeks": 20,
            "activity": "active",
            "leg_symptoms": "none",
            "conditions": ["herniated_disc"],
        },
    )
    # Recorded before clearances needed a real date (year 1 had been taken).
    repo.record_clearance(
        person.id, "clinician", "Dr Old", dt.date(1, 1, 1), ["supine_twist_partial"], None
    )
    decision = decide_for_person(repo, person.id)
    assert not decision.permission("supine_twist_partial").allowed


def test_the_pain_after_an_ended_session_is_stored_once_within_the_hour(
    repo: Repository, clock: FakeClock
) -> None:
    # The web page asks "How is your back now?" once the coach has finished: the record
    # is closed by then, so the pain was dropped and "after" always read "not given".
    from twistcoach.storage import LATE_SHARP_WINDOW_S
    from twistcoach.storage.progress import outcome_of

    person = repo.create_person("Eva")
    sid = repo.start_session(person.id, "supine_twist_basic", 30.0, "test", start_pain=2).id
    with pytest.raises(StorageError, match="not ended yet"):
        repo.add_end_pain(sid, 3)
    clock.advance(60)
    repo.end_session(sid, SessionStatus.COMPLETED)
    clock.advance(120)
    for bad in (11, -1, True):
        with pytest.raises(StorageError, match="0 to 10"):
            repo.add_end_pain(sid, bad)
    record = repo.add_end_pain(sid, 5)
    assert record.end_pain == 5 and record.status == "completed"
    detail = repo.get_session(sid)
    assert detail.session.end_pain == 5
    assert detail.summary.pain_reports == ()  # the after score, never a "during" one
    with pytest.raises(StorageError, match="already recorded"):
        repo.add_end_pain(sid, 1)
    assert repo.get_session(sid).session.end_pain == 5
    # Planning reads it as every end pain: up 3 from the start, pain went up.
    outcome = outcome_of(detail.summary)
    assert outcome is not None and outcome.end_pain == 5 and outcome.pain_went_up
    late = repo.start_session(person.id, "supine_twist_basic", 30.0, "test", start_pain=2).id
    repo.end_session(late, SessionStatus.STOPPED, "quit")
    clock.advance(LATE_SHARP_WINDOW_S + 1)
    with pytest.raises(StorageError, match="more than an hour ago"):
        repo.add_end_pain(late, 4)
    assert repo.get_session(late).session.end_pain is None
    with pytest.raises(NotFoundError):
        repo.add_end_pain(9999, 3)


def test_sharp_pain_after_midnight_locks_the_day_it_was_felt(
    repo: Repository, clock: FakeClock
) -> None:
    """A session begun at 23:45 and stopped for sharp pain at 00:10: the lock lasts the
    rest of the day of 00:10 (it was dated by the start, so it had already ended)."""
    from twistcoach.storage.progress import decide_for_person

    person = repo.create_person("Eve")
    repo.save_intake(
        person.id,
        {
            "age": 40,
            "pain_now": 2,
            "pain_duration_weeks": 30,
            "activity": "light",
            "leg_symptoms": "none",
            "conditions": ["chronic_low_back_pain"],
        },
    )
    clock.now = dt.datetime(2026, 3, 1, 23, 45, tzinfo=dt.UTC)
    session = repo.start_session(person.id, "supine_twist_supported", 40.0, "test", 2)
    repo.add_pain(session.id, 25 * 60.0, None, sharp=True)
    clock.now = dt.datetime(2026, 3, 2, 0, 10, tzinfo=dt.UTC)
    repo.end_session(session.id, SessionStatus.STOPPED, "sharp_pain")
    decision = decide_for_person(repo, person.id, dt.datetime(2026, 3, 2, 0, 20, tzinfo=dt.UTC))
    assert decision.allowed == ()
    assert decision.locked_until == dt.datetime(2026, 3, 3, tzinfo=dt.UTC)


def test_a_pain_stop_after_midnight_locks_the_day_it_happened(
    repo: Repository, clock: FakeClock
) -> None:
    """A session begun at 23:50 and stopped for pain (not sharp) at 00:05: the day's rest
    lasts the rest of the day of 00:05, as sharp pain's does (it was dated by the start, so
    a restart at 00:20 was offered)."""
    from twistcoach.storage.progress import decide_for_person, stopped_at

    person = repo.create_person("Pia")
    repo.save_intake(
        person.id,
        {
            "age": 40,
            "pain_now": 2,
            "pain_duration_weeks": 30,
            "activity": "light",
            "leg_symptoms": "none",
            "conditions": ["chronic_low_back_pain"],
        },
    )
    clock.now = dt.datetime(2026, 3, 1, 23, 50, tzinfo=dt.UTC)
    session = repo.start_session(person.id, "supine_twist_supported", 40.0, "test", 2)
    repo.add_pain(session.id, 15 * 60.0, 6)
    clock.now = dt.datetime(2026, 3, 2, 0, 5, tzinfo=dt.UTC)
    repo.end_session(session.id, SessionStatus.STOPPED, "pain_high")
    [summary] = repo.history(person.id)
    assert stopped_at(summary, "pain_high") == clock.now
    decision = decide_for_person(repo, person.id, dt.datetime(2026, 3, 2, 0, 20, tzinfo=dt.UTC))
    assert decision.allowed == ()
    assert decision.locked_until == dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
    assert [r.rule for r in decision.reasons][:1] == ["SAFE-PAIN-TODAY"]
    assert "00:05" in decision.reasons[0].text
    # The next day it has ended, with no check-in (nothing sharp).
    later = decide_for_person(repo, person.id, dt.datetime(2026, 3, 3, 0, 1, tzinfo=dt.UTC))
    assert later.allowed and later.locked_until is None and not later.needs_checkin


_HERNIA = {
    "age": 40,
    "pain_now": 2,
    "pain_duration_weeks": 20,
    "activity": "active",
    "leg_symptoms": "none",
    "conditions": ["herniated_disc"],
}


def test_a_withdrawn_clearance_is_kept_with_who_when_why_and_counts_no_more(
    repo: Repository, clock: FakeClock
) -> None:
    from twistcoach.storage.progress import decide_for_person

    person = repo.create_person("Wen")
    other = repo.create_person("Oz")
    doc = repo.create_account("doc@example.org", "Dr Lee", "h", "clinician")
    repo.save_intake(person.id, _HERNIA)
    full = "supine_twist_full"
    cleared = repo.record_clearance(
        person.id, "clinician", "Dr Lee", dt.date(2026, 2, 27), [full], 50.0, recorded_by=doc.id
    )
    assert cleared.withdrawal is None
    assert decide_for_person(repo, person.id).permission(full).allowed
    clock.advance(3600)
    with pytest.raises(StorageError, match="needs a reason"):
        repo.withdraw_clearance(person.id, cleared.id, "clinician", "Dr Lee", "  ")
    with pytest.raises(NotFoundError):  # another person's clearance: as an unknown one
        repo.withdraw_clearance(other.id, cleared.id, "clinician", "Dr Lee", "x")
    with pytest.raises(NotFoundError):
        repo.withdraw_clearance(person.id, 999_999, "clinician", "Dr Lee", "x")
    with pytest.raises(StorageError, match="withdrawn by must be one of"):
        repo.withdraw_clearance(person.id, cleared.id, "friend", "F", "x")
    withdrawn = repo.withdraw_clearance(
        person.id, cleared.id, "clinician", "Dr Lee", " MRI shows\na new  disc ", doc.id
    )
    w = withdrawn.withdrawal
    assert w is not None
    assert (w.by_role, w.by_name, w.withdrawn_by, w.reason) == (
        "clinician",
        "Dr Lee",
        doc.id,
        "MRI shows a new disc",
    )
    assert w.at == clock.now
    # Kept: the clearance is still on record, with its withdrawal.
    assert repo.list_clearances(person.id) == [withdrawn]
    assert repo.get_clearance(person.id, cleared.id) == withdrawn
    with pytest.raises(StorageError, match="already withdrawn on 2026-03-01"):
        repo.withdraw_clearance(person.id, cleared.id, "clinician", "Dr Lee", "again")
    decision = decide_for_person(repo, person.id)
    assert not decision.permission(full).allowed
    texts = [r.text for r in decision.reasons]
    assert (
        "Your clinician withdrew the clearance for Supine twist (knees towards the floor) "
        "on 2026-03-01: MRI shows a new disc" in texts
    )
    # Before the withdrawal it counted (the history is not rewritten).
    before = decide_for_person(repo, person.id, dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))
    assert before.permission(full).allowed


def test_a_review_and_the_withdrawals_it_makes_are_stored_together(
    repo: Repository, clock: FakeClock
) -> None:
    person = repo.create_person("Rae")
    first = repo.record_clearance(
        person.id, "teacher", "Tess", dt.date(2026, 2, 27), ["supine_twist_full"], 40.0
    )
    second = repo.record_clearance(
        person.id, "teacher", "Tess", dt.date(2026, 2, 28), ["supine_twist_partial"], 40.0
    )
    clock.advance(60)
    review = repo.record_review(
        person.id,
        "clinician",
        "Dr Lee",
        "Seen.",
        withdrawing=[first.id, second.id],
        withdrawal_reason="Given before the nerve signs.",
    )
    stored = repo.list_clearances(person.id)
    assert [c.withdrawal.at if c.withdrawal else None for c in stored] == [review.at] * 2
    assert {c.withdrawal.reason for c in stored if c.withdrawal} == {
        "Given before the nerve signs."
    }
    # All or nothing: one already withdrawn stores neither the review nor the rest.
    third = repo.record_clearance(
        person.id, "teacher", "Tess", dt.date(2026, 3, 1), ["supine_twist_full"], 30.0
    )
    with pytest.raises(StorageError, match="already withdrawn"):
        repo.record_review(
            person.id,
            "clinician",
            "Dr Lee",
            "Again.",
            withdrawing=[third.id, first.id],
            withdrawal_reason="x",
        )
    assert len(repo.list_reviews(person.id)) == 1
    assert repo.get_clearance(person.id, third.id).withdrawal is None


def test_a_store_made_by_the_previous_schema_opens_and_keeps_its_data(db_url: str) -> None:
    """A database at 0006 (before withdrawals), with a person and a clearance in it, is
    upgraded in place: the clearance is kept, still counts, and can be withdrawn."""
    from alembic import command

    from twistcoach.storage.db import _alembic_config
    from twistcoach.storage.progress import decide_for_person

    eng = create_engine_for_url(db_url)
    try:
        config = _alembic_config(eng)
        with eng.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0006_session_time_zone")
        assert current_revision(eng) == "0006_session_time_zone"
        assert "clearance_withdrawals" not in table_names(eng)
        clock = FakeClock()
        old = Repository(eng, clock=clock)
        person = old.create_person("Old")
        old.save_intake(person.id, _HERNIA)
        clock.advance(3600)
        # The clearances table is as 0006 left it: the old version wrote rows like these.
        old.record_clearance(
            person.id, "clinician", "Dr Old", dt.date(2026, 3, 1), ["supine_twist_full"], 45.0
        )
        init_db(eng)
        assert current_revision(eng) == head_revision()
        repo = Repository(eng, clock=clock)
        [kept] = repo.list_clearances(person.id)
        assert (kept.name, kept.variants, kept.withdrawal) == (
            "Dr Old",
            ["supine_twist_full"],
            None,
        )
        assert decide_for_person(repo, person.id).permission("supine_twist_full").allowed
        repo.withdraw_clearance(person.id, kept.id, "clinician", "Dr New", "New symptoms.")
        assert not decide_for_person(repo, person.id).permission("supine_twist_full").allowed
    finally:
        eng.dispose()


def _foreign_database(db_url: str) -> Engine:
    """``db_url`` holding another program's table and row (made without twistcoach's engine:
    its connections would turn a SQLite file to WAL)."""
    from sqlalchemy import create_engine

    plain = create_engine(db_url)
    with plain.begin() as conn:
        conn.execute(text("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("INSERT INTO contacts (id, name) VALUES (1, 'Ana')"))
    return plain


def _content(plain: Engine) -> tuple[list[str], list[tuple[object, ...]]]:
    """The database's tables and the foreign table's rows."""
    with plain.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM contacts"))]
    return table_names(plain), rows


@pytest.mark.parametrize("create", [True, False])
def test_another_programs_database_is_refused_and_changed_in_nothing(
    db_url: str, create: bool
) -> None:
    from twistcoach.storage import NotTwistcoachError

    plain = _foreign_database(db_url)
    before = _content(plain)
    eng = create_engine_for_url(db_url)
    try:
        with pytest.raises(
            NotTwistcoachError, match=r"holds another program's tables \(contacts\)"
        ):
            open_repository(eng, create=create)
        assert _content(plain) == before == (["contacts"], [(1, "Ana")])
        # Its own migrations (Alembic, as twistcoach's) do not make it twistcoach's.
        with plain.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('1a2b3c')"))
        with pytest.raises(NotTwistcoachError, match="another program's tables"):
            init_db(eng, create=create)
        assert table_names(plain) == ["alembic_version", "contacts"]
    finally:
        eng.dispose()
        plain.dispose()


def test_reading_where_no_database_is_creates_nothing(db_url: str) -> None:
    from twistcoach.storage import NoDatabaseError

    eng = create_engine_for_url(db_url)
    try:
        with pytest.raises(NoDatabaseError, match="no twistcoach database at "):
            open_repository(eng, create=False)
        assert table_names(eng) == []
        assert init_db(eng) is None  # created, from nothing
        assert init_db(eng, create=False) == head_revision()  # now it is there to read
    finally:
        eng.dispose()


def test_every_earlier_migration_is_a_twistcoach_store_that_upgrades(db_url: str) -> None:
    """The check for other programs' databases takes no older twistcoach store for one."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from twistcoach.storage.db import _alembic_config

    eng = create_engine_for_url(db_url)
    try:
        config = _alembic_config(eng)
        revisions = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
        assert len(revisions) >= 7
        for revision in reversed(revisions[1:]):  # oldest first; the head is tried last
            with eng.begin() as conn:
                config.attributes["connection"] = conn
                command.downgrade(config, "base")
                command.upgrade(config, revision)
            assert current_revision(eng) == revision
            assert init_db(eng, create=False) == revision
            assert current_revision(eng) == head_revision()
    finally:
        eng.dispose()
