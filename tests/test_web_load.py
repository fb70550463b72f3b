"""The live server under load (issue 19 part 3): a few streams at once, admission, the
buffered recorder, the one-socket rule across server processes, ``serve --workers``.

These check replies and stored data, never speed (speed is ``bench/load.py``'s job).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from students import CLINICAL_INTAKE as INTAKE
from students import PASSWORD
from twistcoach.landmarks import Skeleton
from twistcoach.metrics import Observation
from twistcoach.pipeline import default_tracker_factory
from twistcoach.storage import Repository, StorageError, create_engine_for_url, init_db
from twistcoach.storage.recorder import (
    SOCKET_MARK,
    SessionRecorder,
    claim_socket,
    release_socket,
    socket_holds,
)
from twistcoach.storage.records import SampleRecord
from twistcoach.web import WebSettings, create_app
from twistcoach.web.practice import Admission, Gate, parse_message
from twistcoach.web.security import PasswordService

RECORDING = Path(__file__).parent / "cues" / "real__demo_session.npz"
VARIANT = "supine_twist_partial"


def recorded_frames(count: int) -> list[dict[str, Any]]:
    """The first ``count`` frames of a real recorded session as landmark messages (15 a
    second)."""
    data = np.load(RECORDING)
    w, h = (int(v) for v in data["size"])
    frames = []
    for i in range(count):
        lm = None
        if data["found"][i]:
            lm = [
                [float(x) / w, float(y) / h, 0.0, float(v)]
                for (x, y), v in zip(data["image_xy"][i], data["visibility"][i], strict=True)
            ]
        frames.append({"type": "landmarks", "t": round(i / 15, 3), "w": w, "h": h, "lm": lm})
    return frames


@dataclass
class World:
    url: str
    repo: Repository
    emails: list[str]


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'load.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    repo = Repository(engine)
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    emails = []
    for i in range(4):
        email = f"student{i}@example.org"
        account = repo.create_account(email, f"Student {i}", hashed, "student")
        repo.create_person(f"Student {i}", account_id=account.id)
        emails.append(email)
    yield World(url, repo, emails)
    engine.dispose()


def settings(world: World) -> WebSettings:
    return WebSettings(database_url=world.url, password_time_cost=1, password_memory_kib=1024)


def open_session(c: httpx.Client | TestClient, email: str) -> int:
    """Sign in, send the intake, open a practice session; its id."""
    r = c.post("/api/signin", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = str(r.json()["csrf_token"])
    r = c.post("/api/intake", json=INTAKE, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    r = c.post(
        "/api/sessions",
        json={"variant_id": VARIANT, "start_pain": 2},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["session_id"])


@pytest.fixture()
def server(world: World) -> Iterator[str]:
    """The app under uvicorn on a free loopback port (real WebSockets)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    uv = uvicorn.Server(
        uvicorn.Config(
            create_app(settings(world)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=20)


async def one_stream(
    host: str, session_id: int, cookie: str, frames: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], set[float]]:
    """Send ``frames`` at 15 a second, then ``end``; every message received, and the frame
    times sent."""
    got: list[dict[str, Any]] = []
    sent: set[float] = set()
    async with websockets.connect(
        f"ws://{host}/ws/practice/{session_id}", additional_headers={"Cookie": cookie}
    ) as ws:

        async def receive() -> None:
            async for raw in ws:
                got.append(json.loads(raw))

        receiver = asyncio.create_task(receive())
        for frame in frames:
            await ws.send(json.dumps(frame))
            sent.add(frame["t"])
            await asyncio.sleep(1 / 15)
        await ws.send(json.dumps({"type": "end"}))
        await asyncio.wait_for(receiver, 60)
    return got, sent


def test_a_few_streams_at_once_are_answered_and_stored(world: World, server: str) -> None:
    frames = recorded_frames(45)  # 3 seconds, the calibration's fit included
    clients = [httpx.Client(base_url=f"http://{server}", timeout=30) for _ in world.emails]
    sessions = [open_session(c, e) for c, e in zip(clients, world.emails, strict=True)]
    cookies = ["; ".join(f"{k}={v}" for k, v in c.cookies.items()) for c in clients]

    async def everyone() -> list[tuple[list[dict[str, Any]], set[float]]]:
        return await asyncio.gather(
            *(one_stream(server, s, k, frames) for s, k in zip(sessions, cookies, strict=True))
        )

    results = asyncio.run(everyone())
    for session_id, (got, sent) in zip(sessions, results, strict=True):
        kinds = [m["type"] for m in got]
        assert "error" not in kinds, got
        metrics = [m for m in got if m["type"] == "metrics"]
        # At most 5 a second of 3 seconds sent; fewer for a stream that waited its turn
        # (frames that pile up meanwhile come too close together and are dropped).
        assert len(metrics) >= 2, kinds
        # Replies are this stream's own frames, never another's.
        assert {m["t"] for m in metrics} <= sent
        assert [m["t"] for m in metrics] == sorted(m["t"] for m in metrics)
        assert got[-1]["type"] == "stopped" and got[-1]["reason"] == "quit"
        # Status messages, when sent, say waiting then ready.
        states = [m["state"] for m in got if m["type"] == "status"]
        assert states in ([], ["waiting", "ready"]) or states[0] == "waiting", states
        detail = world.repo.get_session(session_id)
        assert detail.session.status == "stopped" and detail.session.stop_reason == "quit"
        # One sample a second of session time, at frames this stream sent (t 0 .. 2.93 s;
        # a frame that came too soon after another, by the server's clock, is dropped).
        times = [sample.t for sample in detail.samples]
        assert times[0] == 0.0 and 1 <= len(times) <= 3, times
        assert times == sorted(times) and {round(t, 3) for t in times} <= sent
        assert len({math.floor(t) for t in times}) == len(times), times  # one a second
        assert any(e.event_id == "session_stopped" for e in detail.events)
    for c in clients:
        c.close()
    # The sockets gave their claims back.
    for session_id in sessions:
        assert not socket_holds(world.repo, session_id)


class HeldCalibration:
    """A tracker whose calibration takes as long as the test says: frames before
    ``calibrated_after`` are "calibrating"; the first frame any of them gets (``first``,
    shared) waits for ``release``."""

    def __init__(
        self, release: threading.Event, first: list[bool], calibrated_after: int = 2
    ) -> None:
        self.inner = default_tracker_factory("neutral")
        self.release = release
        self.first = first
        self.calibrated_after = calibrated_after
        self.calibration: Any = None
        self.frames = 0

    def update(self, t: float, skeleton: Skeleton | None) -> Observation:
        self.frames += 1
        if not self.first[0]:
            self.first[0] = True
            assert self.release.wait(30), "the test never let the calibration finish"
        obs = self.inner.update(t, skeleton)
        if self.frames >= self.calibrated_after:
            self.calibration = SimpleNamespace(neutral=True)
        return obs


def test_a_newcomer_waits_getting_ready_while_another_calibrates(world: World) -> None:
    release = threading.Event()
    first_frame: list[bool] = [False]
    ticks = iter(range(10**6))
    app = create_app(
        settings(world),
        tracker_factory=lambda body: HeldCalibration(release, first_frame),
        monotonic=lambda: next(ticks) * 0.1,  # every frame inside the frame-rate limit
    )
    app.state.admission = Admission()
    frames = recorded_frames(3)
    with TestClient(app) as first_client, TestClient(app) as second_client:
        first = open_session(first_client, world.emails[0])
        second = open_session(second_client, world.emails[1])
        with (
            first_client.websocket_connect(f"/ws/practice/{first}") as ws1,
            second_client.websocket_connect(f"/ws/practice/{second}") as ws2,
        ):
            ws1.send_text(json.dumps(frames[0]))  # holds the one calibration slot
            deadline = time.monotonic() + 20
            while app.state.admission.calibrating.held == 0:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            ws2.send_text(json.dumps(frames[0]))
            waiting = ws2.receive_json()
            assert waiting["type"] == "status" and waiting["state"] == "waiting"
            assert "Getting ready" in waiting["text"] and waiting["ahead"] >= 1
            release.set()
            # The newcomer's frame runs once the slot is free; "ready" once calibrated.
            ws2.send_text(json.dumps(frames[1]))
            states = []
            while "ready" not in states:
                message = ws2.receive_json()
                assert message["type"] in {"status", "metrics", "cue", "event"}, message
                if message["type"] == "status":
                    states.append(message["state"])
            assert states == ["ready"]
            ws1.send_text(json.dumps(frames[1]))
            ws1.send_text(json.dumps({"type": "end"}))
            while ws1.receive_json()["type"] != "stopped":
                pass
            # The first session was never told to wait: it held the slot.
            ws2.send_text(json.dumps({"type": "end"}))
            while ws2.receive_json()["type"] != "stopped":
                pass
    assert app.state.admission.calibrating.held == 0
    assert app.state.admission.starting.held == 0
    for session_id in (first, second):
        assert world.repo.get_session(session_id).session.status == "stopped"


def test_a_second_server_process_refuses_a_session_held_by_another(world: World) -> None:
    """Two apps on one database stand for two server processes: their in-memory socket
    registries are apart, the database's claim is shared."""
    ticks = iter(range(10**6))
    one = create_app(settings(world), monotonic=lambda: next(ticks) * 0.1)
    other = create_app(settings(world))
    with TestClient(one) as c1, TestClient(other) as c2:
        session_id = open_session(c1, world.emails[0])
        r = c2.post("/api/signin", json={"email": world.emails[0], "password": PASSWORD})
        csrf = r.json()["csrf_token"]
        with c1.websocket_connect(f"/ws/practice/{session_id}") as ws:
            ws.send_text(json.dumps(recorded_frames(1)[0]))
            while ws.receive_json()["type"] != "metrics":
                pass
            owner = world.repo.running_sessions()[0]
            assert socket_holds(world.repo, session_id), owner
            with c2.websocket_connect(f"/ws/practice/{session_id}") as refused:
                message = refused.receive_json()
                assert message == {
                    "type": "error",
                    "message": f"session {session_id} is already open in another window",
                }
            # Nor may the other process replace it with a new session (409), as this one's
            # registry refuses a session live in another tab.
            r = c2.post(
                "/api/sessions",
                json={"variant_id": VARIANT, "start_pain": 2},
                headers={"X-CSRF-Token": csrf},
            )
            assert r.status_code == 409, r.text
            ws.send_text(json.dumps({"type": "end"}))
            while ws.receive_json()["type"] != "stopped":
                pass
        assert not socket_holds(world.repo, session_id)
    assert world.repo.get_session(session_id).session.status == "stopped"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repository]:
    """A repository with two people, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claims.db'}"
    else:
        url = request.getfixturevalue("pg_server").new_database()
    engine = create_engine_for_url(url)
    init_db(engine)
    repository = Repository(engine)
    for name in ("Student 0", "Student 1"):
        repository.create_person(name)
    yield repository
    engine.dispose()


def test_socket_claim_and_release_in_the_database(repo: Repository) -> None:
    person = repo.find_person("Student 0")
    assert person is not None
    session = repo.start_session(person.id, VARIANT, 40.0, "browser")
    assert claim_socket(repo, session.id)
    assert not claim_socket(repo, session.id)  # held by a live process: this one
    assert socket_holds(repo, session.id)
    release_socket(repo, session.id)
    assert not socket_holds(repo, session.id)
    assert claim_socket(repo, session.id)
    # A holder whose process died is taken over.
    from sqlalchemy import update

    from twistcoach.storage.models import PracticeSession

    with repo.engine.begin() as conn:
        conn.execute(
            update(PracticeSession)
            .where(PracticeSession.id == session.id)
            .values(owner=f"{socket.gethostname()}:999999999:1{SOCKET_MARK}")
        )
    assert not socket_holds(repo, session.id)
    assert claim_socket(repo, session.id)
    # Another machine's holder: alive while its heartbeat is fresh.
    with repo.engine.begin() as conn:
        conn.execute(
            update(PracticeSession)
            .where(PracticeSession.id == session.id)
            .values(owner=f"elsewhere.example:42:1{SOCKET_MARK}")
        )
    assert socket_holds(repo, session.id, stale_after_s=120.0)
    assert not claim_socket(repo, session.id, stale_after_s=120.0)
    assert not socket_holds(repo, session.id, stale_after_s=-1.0)  # stale: taken over
    assert claim_socket(repo, session.id, stale_after_s=-1.0)
    repo.end_session(session.id, "stopped", "quit")
    assert not claim_socket(repo, session.id)  # not running


def test_the_buffered_recorder_writes_on_flush_and_finish_and_keeps_what_fails(
    repo: Repository,
) -> None:
    person = repo.find_person("Student 1")
    assert person is not None
    session = repo.start_session(person.id, VARIANT, 40.0, "browser")
    recorder = SessionRecorder(repo, session, buffered=True)
    sample = SampleRecord(0.0, 10.0, 1.0, 0.5, 0.5, 2.0, 0.9, 40.0)
    recorder._samples.append(sample)  # what observe() keeps
    recorder._event(0.5, "event", "cap_lowered", "cap lowered", {"to_deg": 35.0})
    assert recorder.pending == 2 and recorder.flush_due
    assert not repo.get_session(session.id).samples  # nothing written yet
    assert recorder.flush() == 2 and recorder.pending == 0
    detail = repo.get_session(session.id)
    assert [s.t for s in detail.samples] == [0.0]
    assert [e.event_id for e in detail.events] == ["cap_lowered"]
    # A failed write keeps everything for the next try.
    recorder._samples.append(SampleRecord(1.0, float("inf"), None, None, None, None, 0.9, 40.0))
    with pytest.raises(StorageError, match="knee drop"):
        recorder.flush()
    assert recorder.pending == 1
    recorder._samples.clear()
    recorder._samples.append(SampleRecord(2.0, 12.0, None, None, None, None, 0.9, 40.0))
    ended = recorder.finish()  # flushes first
    assert ended.status == "completed"
    assert [s.t for s in repo.get_session(session.id).samples] == [0.0, 2.0]


def test_the_gate_serves_in_turn_and_passes_on_a_cancelled_turn() -> None:
    async def scenario() -> list[str]:
        gate = Gate(1)
        order: list[str] = []
        await gate.acquire()
        assert gate.busy

        async def take(name: str) -> None:
            await gate.acquire()
            order.append(name)
            gate.release()

        b = asyncio.create_task(take("b"))
        c = asyncio.create_task(take("c"))
        d = asyncio.create_task(take("d"))
        await asyncio.sleep(0)
        assert gate.waiting == 3
        c.cancel()
        gate.release()
        await asyncio.gather(b, d, return_exceptions=False)
        assert c.cancelled()
        assert gate.held == 0 and gate.waiting == 0 and not gate.busy
        return order

    assert asyncio.run(scenario()) == ["b", "d"]
    with pytest.raises(ValueError):
        Gate(0)


def test_the_fast_parse_keeps_the_careful_errors() -> None:
    frame = recorded_frames(1)[0]
    parsed = parse_message(json.dumps(frame))
    assert parsed.type == "landmarks" and parsed.lm is not None and len(parsed.lm) == 33
    with pytest.raises(ValueError, match="33 landmarks"):
        parse_message(json.dumps({**frame, "lm": [[0.1, 0.2, 0.0, 1.0]]}))
    with pytest.raises(ValueError, match="needs a type"):
        parse_message('{"type": "dance"}')
    with pytest.raises(ValueError, match="not JSON"):
        parse_message('{"type": "pain", "level": NaN}')
    with pytest.raises(ValueError, match="level"):
        parse_message('{"type": "pain", "level": 3.0}')


def test_serve_workers_runs_uvicorn_workers_sharing_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from twistcoach.cli.app import build_app
    from twistcoach.cli.web_cmd import app_from_environment

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", url)
    for name in ("TWISTCOACH_SECRET_KEY", "TWISTCOACH_WORKERS", "TWISTCOACH_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)  # restored (removed) after the test
    result = CliRunner().invoke(build_app(), ["serve", "--no-demo", "--workers", "2"])
    assert result.exit_code == 0, result.output
    app, options = calls[0]
    assert app == "twistcoach.cli.web_cmd:app_from_environment"
    assert options["factory"] is True and options["workers"] == 2
    # The workers share one secret made for the run, and split the sign-in limits.
    secret = os.environ["TWISTCOACH_SECRET_KEY"]
    assert len(secret) >= 16
    built = app_from_environment()
    ctx = built.state.ctx
    assert ctx.settings.secret_key == secret and ctx.settings.database_url == url
    assert ctx.settings.signin_attempts == 2 and ctx.settings.signup_attempts == 5
    # WAL: the one database is shared by the processes.
    with ctx.repo.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    ctx.repo.engine.dispose()
    result = CliRunner().invoke(build_app(), ["serve", "--no-demo", "--workers", "0"])
    assert result.exit_code == 2
