"""Fuzzing the web app (issue 16): schemathesis over the OpenAPI, and the practice socket.

The API is fuzzed as a student and as a teacher, each case with a fresh sign-in (so that
sign-out and password changes among the cases do not end the next ones), both positive
(schema-valid) and negative (schema-breaking) data, bounded (a few examples per
operation, derandomized) so the whole file runs in well under two minutes on two cores.
Every answer must be no server error and must match the OpenAPI: a documented status,
the documented content type and a body that validates against the documented schema.

The socket fuzz sends malformed, nested, oversized, binary and flooding messages and
asserts an error reply for each bad one, an open connection, and nothing corrupt stored.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from students import CLINICAL_INTAKE as INTAKE
from students import PASSWORD
from twistcoach.storage import Repository, create_engine_for_url, init_db
from twistcoach.web import WebSettings, create_app
from twistcoach.web.security import PasswordService

FIXTURES = Path(__file__).parent / "fixtures" / "skeletons"
#: Examples per operation and generation mode (positive, negative).
MAX_EXAMPLES = 8


@dataclass
class Fuzzed:
    app: Any
    repo: Repository
    student_id: int
    teacher_id: int


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """An app with a teacher and a linked student who has an intake and a session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    repo = Repository(engine)
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    teacher = repo.create_account("teacher@example.org", "Tess", hashed, "teacher", True)
    student = repo.create_account("sam@example.org", "Sam", hashed, "student")
    person = repo.create_person("Sam", account_id=student.id)
    repo.add_link(person.id, teacher.email)
    settings = WebSettings(
        database_url=url,
        password_time_cost=1,
        password_memory_kib=1024,
        signup_attempts=10_000,
    )
    app = create_app(settings)
    c = TestClient(app)
    csrf = c.post("/api/signin", json={"email": "sam@example.org", "password": PASSWORD})
    headers = {"X-CSRF-Token": csrf.json()["csrf_token"]}
    assert c.post("/api/intake", json=INTAKE, headers=headers).status_code == 200
    started = c.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers=headers,
    )
    assert started.status_code == 201
    yield Fuzzed(app, repo, student.id, teacher.id)
    engine.dispose()


def _fuzz_as(fuzzed: Fuzzed, account_id: int) -> int:
    """Run every operation's positive and negative cases as ``account_id``; returns how many
    requests were made."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    ctx = fuzzed.app.state.ctx
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                nonlocal calls
                # A fresh sign-in per case: a fuzzed sign-out must not end the next case's.
                cookie, session_id, csrf = ctx.signer.new()
                ctx.repo.create_web_session(session_id, account_id, csrf, 3600)
                response = case.call(headers={"X-CSRF-Token": csrf}, cookies={"tc_session": cookie})
                calls += 1
                case.validate_response(response, checks=checks)

            try:
                run()
            except Unsatisfiable:
                # Nothing to break in an operation without parameters or a body.
                assert mode is GenerationMode.NEGATIVE, operation.label
    return calls


@pytest.mark.slow
def test_fuzz_the_api_as_a_student(fuzzed: Fuzzed) -> None:
    assert _fuzz_as(fuzzed, fuzzed.student_id) > 100


@pytest.mark.slow
def test_fuzz_the_api_as_staff(fuzzed: Fuzzed) -> None:
    assert _fuzz_as(fuzzed, fuzzed.teacher_id) > 100


# ------------------------------------------------------------------- the socket


def _frame(t: float) -> dict[str, Any]:
    data = json.loads((FIXTURES / "feluna_reclining_twist_gif_frame000.json").read_text())
    w, h = data["image_size"]
    lm = [
        [x / w, y / h, z / w, v]
        for (x, y), z, v in zip(data["image_xy"], data["image_z"], data["visibility"], strict=True)
    ]
    return {"type": "landmarks", "t": t, "w": w, "h": h, "lm": lm}


def _hostile_messages(seed: int) -> Iterator[str | bytes]:
    """Malformed, nested, oversized, binary and odd messages (each must get an error)."""
    rng = random.Random(seed)
    good = _frame(0.0)
    yield "[" * 8000 + "]" * 8000  # nested past the parser's depth limit (issue 16, item 3)
    yield '{"type": "pain", "level": ' + "[" * 5000 + "]" * 5000 + "}"
    yield json.dumps({"type": "pain", "level": 1e999})
    yield '{"type": "pain", "level": ' + "9" * 5000 + "}"
    yield "x" * 100_000  # oversized
    yield b"\x00\xff" * 64  # binary
    yield json.dumps({**good, "lm": [[float("nan")] * 4] * 33})  # NaN is not JSON
    yield json.dumps({**good, "lm": [["a", "b", "c", "d"]] * 33})
    yield json.dumps({**good, "lm": [[0.5] * 4] * 32 + [[0.5] * 5]})
    yield json.dumps({**good, "w": 10**30})
    yield json.dumps({**good, "t": -1})
    yield json.dumps({**good, "type": "LANDMARKS"})
    yield json.dumps({"type": "pain", "level": True})
    yield json.dumps({"type": "pain", "level": 3, "extra": {"a": [1, 2, {"b": 3}]}})
    # (A sharp message with extra fields is sharp pain, never an error: test_safeload.)
    yield json.dumps({"type": "end", "now": "please"})
    yield json.dumps({"type": None})
    yield json.dumps([{"type": "end"}])
    yield json.dumps("end")
    yield "\u0000\u0001"
    yield ""
    yield "null"
    for _ in range(40):  # random junk, printable and not
        length = rng.randint(1, 200)
        yield "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(length))


def test_socket_fuzz_every_bad_message_gets_an_error_and_nothing_corrupt_is_stored(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    repo = Repository(engine)
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    student = repo.create_account("ws@example.org", "Wes", hashed, "student")
    repo.create_person("Wes", account_id=student.id)
    ticks = iter(range(10**9))
    app = create_app(
        WebSettings(database_url=url, password_time_cost=1, password_memory_kib=1024),
        monotonic=lambda: next(ticks) * 0.05,
    )
    c = TestClient(app)
    csrf = c.post("/api/signin", json={"email": "ws@example.org", "password": PASSWORD}).json()
    headers = {"X-CSRF-Token": csrf["csrf_token"]}
    assert c.post("/api/intake", json=INTAKE, headers=headers).status_code == 200
    r = c.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers=headers,
    )
    sid = r.json()["session_id"]
    errors = 0
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        for message in _hostile_messages(seed=16):
            if isinstance(message, bytes):
                ws.send_bytes(message)
            else:
                ws.send_text(message)
            reply = ws.receive_json()
            assert reply["type"] == "error", (message[:80], reply)
            assert isinstance(reply["message"], str) and len(reply["message"]) < 300
            errors += 1
        # Floods: frames faster than the server takes, pain presses past the limit.
        for i in range(100):
            ws.send_text(json.dumps(_frame(0.1 + i * 0.01)))
        for _ in range(30):
            ws.send_text(json.dumps({"type": "pain", "level": 1}))
        # Still open and sane: a good message is coached and the session ends normally.
        ws.send_text(json.dumps({"type": "end"}))
        kinds = []
        while True:
            message = ws.receive_json()
            kinds.append(message["type"])
            if message["type"] == "stopped":
                break
        assert "error" in kinds  # the pain flood was answered, not stored
    assert errors > 50
    detail = repo.get_session(sid)
    assert detail.session.status == "stopped" and detail.session.stop_reason == "quit"
    assert all(0 <= e.t < 60 for e in detail.events)
    pains = [e for e in detail.events if e.type == "pain"]
    assert len(pains) <= 5
    assert all(e.data["level"] in range(11) for e in pains)
    assert all(s.knee_drop is None or -180 <= s.knee_drop <= 180 for s in detail.samples)
    engine.dispose()
