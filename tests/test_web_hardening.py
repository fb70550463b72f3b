"""Issue 16, the web part: each numbered item that was found, as a test that failed before.

Items 2 (sign-out ends the session), 4 (one socket per session), 5 (ids past 2**63),
7 (rate limits on the server's clock, proxies, lock-outs), 8 (accounts), 9 (least
privilege), 10 (stale sessions) and 12 (one exception tree, one error body, a true OpenAPI,
docs from the app's own assets). Items 1, 3, 6 and 11 are in ``test_hardening.py`` and
``test_safeload.py``; fuzzing is in ``test_web_fuzz.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from students import CLINICAL_INTAKE as INTAKE
from students import PASSWORD
from twistcoach.storage import Repository, create_engine_for_url, init_db
from twistcoach.web import WebSettings, create_app
from twistcoach.web.security import PasswordService

FIXTURES = Path(__file__).parent / "fixtures" / "skeletons"
START = {"variant_id": "supine_twist_partial", "start_pain": 2}


class Clock:
    """A settable repository clock (aware datetimes)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Monotonic:
    """The server's monotonic clock for the frame-rate limit: frozen unless ``step`` > 0."""

    def __init__(self, step: float = 0.05) -> None:
        self.t = 0.0
        self.step = step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


@dataclass
class World:
    app: Any
    repo: Repository
    clock: Clock
    monotonic: Monotonic
    settings: WebSettings


def make_world(tmp_path: Path, **overrides: Any) -> World:
    url = f"sqlite:///{tmp_path / 'hard.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    clock = Clock()
    repo = Repository(engine, clock=clock)
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    repo.create_account("teacher@example.org", "Tess Teacher", hashed, "teacher", True)
    repo.create_account("doc@example.org", "Dr Cleo", hashed, "clinician")
    settings = WebSettings(
        database_url=url, password_time_cost=1, password_memory_kib=1024, **overrides
    )
    monotonic = Monotonic()
    app = create_app(settings, clock=clock, monotonic=monotonic)
    return World(app, repo, clock, monotonic, settings)


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.repo.engine.dispose()


def client(world: World, address: str = "testclient") -> TestClient:
    return TestClient(
        world.app, raise_server_exceptions=False, follow_redirects=False, client=(address, 5000)
    )


def signin(c: TestClient, email: str, password: str = PASSWORD) -> str:
    r = c.post("/api/signin", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def student(world: World, name: str, teacher: str = "") -> tuple[TestClient, str, int]:
    """A signed-up, signed-in student with an intake: (client, csrf, person id)."""
    c = client(world)
    email = f"{name.lower()}@example.org"
    body = {"email": email, "display_name": name, "password": PASSWORD, "teacher_email": teacher}
    r = c.post("/api/signup", json=body)
    assert r.status_code == 202, r.text
    csrf = signin(c, email)
    assert c.post("/api/intake", json=INTAKE, headers={"X-CSRF-Token": csrf}).status_code == 200
    person = world.repo.find_person(name)
    assert person is not None
    return c, csrf, person.id


def start(c: TestClient, csrf: str) -> int:
    r = c.post("/api/sessions", json=START, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    return int(r.json()["session_id"])


def frame(t: float) -> dict[str, Any]:
    data = json.loads((FIXTURES / "feluna_reclining_twist_gif_frame000.json").read_text())
    w, h = data["image_size"]
    lm = [
        [x / w, y / h, z / w, v]
        for (x, y), z, v in zip(data["image_xy"], data["image_z"], data["visibility"], strict=True)
    ]
    return {"type": "landmarks", "t": t, "w": w, "h": h, "lm": lm}


def assert_error_body(r: Any, status: int) -> dict[str, Any]:
    """Item 12: every 4xx has the one body shape."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"detail", "problems"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(p) == {"field", "message"} for p in body["problems"])
    return dict(body)


# ------------------------------------------------------------------------ item 2


def test_item2_signout_revokes_the_session(world: World) -> None:
    c, csrf, _ = student(world, "Ada")
    stolen = c.cookies.get("tc_session")
    assert stolen
    assert c.post("/api/signout", headers={"X-CSRF-Token": csrf}).status_code == 204
    thief = client(world)
    thief.cookies.set("tc_session", stolen)
    assert_error_body(thief.get("/api/me"), 401)
    r = thief.post("/api/sessions", json=START, headers={"X-CSRF-Token": csrf})
    assert_error_body(r, 401)
    assert thief.get("/plan").headers["location"] == "/signin"
    with thief.websocket_connect("/ws/practice/1") as ws:
        assert ws.receive_json()["message"] == "sign in first"


def test_item2_password_change_revokes_every_session(world: World) -> None:
    a, a_csrf, _ = student(world, "Bea")
    b = client(world)
    signin(b, "bea@example.org")
    body = {"current_password": "wrong password here", "new_password": "another long passphrase"}
    assert_error_body(a.post("/api/password", json=body, headers={"X-CSRF-Token": a_csrf}), 403)
    weak = {"current_password": PASSWORD, "new_password": "1234567890"}
    r = a.post("/api/password", json=weak, headers={"X-CSRF-Token": a_csrf})
    assert [p["field"] for p in assert_error_body(r, 422)["problems"]] == ["new_password"]
    good = {"current_password": PASSWORD, "new_password": "another long passphrase"}
    r = a.post("/api/password", json=good, headers={"X-CSRF-Token": a_csrf})
    assert r.status_code == 200, r.text
    assert b.get("/api/me").status_code == 401  # the other device is signed out
    assert a.get("/api/me").status_code == 200  # this one was signed in again
    assert (
        client(world)
        .post("/api/signin", json={"email": "bea@example.org", "password": PASSWORD})
        .status_code
        == 401
    )


# ------------------------------------------------------------------------ item 4


def test_item4_a_second_socket_is_refused_with_a_close_reason(world: World) -> None:
    c, csrf, _ = student(world, "Cal")
    sid = start(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as first:
        first.send_text(json.dumps(frame(0.0)))
        assert first.receive_json()["type"] in {"event", "cue", "metrics"}
        with c.websocket_connect(f"/ws/practice/{sid}") as second:
            reply = second.receive_json()
            assert reply == {
                "type": "error",
                "message": f"session {sid} is already open in another window",
            }
            with pytest.raises(WebSocketDisconnect) as closed:
                second.receive_json()
            assert closed.value.code == 1008
            assert closed.value.reason == f"session {sid} is already open in another window"
        # The first socket is untouched and ends the session normally.
        first.send_text(json.dumps({"type": "end"}))
        while first.receive_json()["type"] != "stopped":
            pass
    detail = world.repo.get_session(sid)
    assert detail.session.status == "stopped"
    assert [e.event_id for e in detail.events].count("session_started") == 1


# ------------------------------------------------------------------------ item 5


def test_item5_ids_past_2_63_are_refused_never_a_500(world: World) -> None:
    c, _csrf, _ = student(world, "Dee")
    t = client(world)
    signin(t, "teacher@example.org")
    huge = str(2**63 + 5)
    for who, path in (
        (c, f"/api/sessions/{huge}"),
        (c, f"/sessions/{huge}"),
        (c, f"/sessions/{huge}/plot.png"),
        (c, f"/practice/{huge}"),
        (t, f"/api/students/{huge}"),
        (t, f"/students/{huge}"),
        (c, "/api/sessions/0"),
        (c, f"/api/sessions/-{huge}"),
    ):
        r = who.get(path)
        assert r.status_code in (404, 422), (path, r.status_code)
        assert "Traceback" not in r.text
    r = t.post(f"/api/students/{huge}/review", json={"note": "x"}, headers={"X-CSRF-Token": "x"})
    assert r.status_code in (403, 404, 422)
    with pytest.raises(WebSocketDisconnect) as closed, c.websocket_connect(f"/ws/practice/{huge}"):
        pass
    assert closed.value.code == 1008


# ------------------------------------------------------------------------ item 7


def test_item7_frame_rate_uses_the_server_clock_not_t(world: World) -> None:
    c, csrf, _ = student(world, "Eve")
    sid = start(c, csrf)
    world.monotonic.step = 0.0  # the server's clock stands still: one frame is all it takes
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        for i in range(60):  # the client claims 2.4 s of frames, 40 ms apart
            ws.send_text(json.dumps(frame(i * 0.04)))
        ws.send_text(json.dumps({"type": "end"}))
        while ws.receive_json()["type"] != "stopped":
            pass
    samples = world.repo.get_session(sid).samples
    assert [s.t for s in samples] == [0.0]  # the client's t bought nothing


def test_item7_pain_flood_is_limited_and_not_stored(world: World) -> None:
    c, csrf, _ = student(world, "Fay")
    sid = start(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        for _ in range(40):
            ws.send_text(json.dumps({"type": "pain", "level": 2}))
        ws.send_text(json.dumps({"type": "end"}))
        replies = []
        while True:
            message = ws.receive_json()
            replies.append(message)
            if message["type"] == "stopped":
                break
    limited = [m for m in replies if m.get("message") == "too many pain reports; wait a moment"]
    assert len(limited) == 40 - world.settings.pain_reports
    pains = [e for e in world.repo.get_session(sid).events if e.type == "pain"]
    assert len(pains) == world.settings.pain_reports


def test_a_pain_report_over_the_stop_is_never_dropped_by_the_limit(world: World) -> None:
    # The red team: five reports of 3 filled the limit and a 9 was answered "too many pain
    # reports; wait a moment" while the session went on.
    c, csrf, _ = student(world, "Gus")
    sid = start(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        for _ in range(world.settings.pain_reports + 3):
            ws.send_text(json.dumps({"type": "pain", "level": 2}))
        ws.send_text(json.dumps({"type": "pain", "level": 9}))
        while ws.receive_json()["type"] != "stopped":
            pass
    assert world.repo.get_session(sid).session.stop_reason == "pain_high"


def test_a_session_may_not_start_at_pain_above_the_stop(world: World) -> None:
    c, csrf, _ = student(world, "Hob")
    r = c.post("/api/sessions", json={**START, "start_pain": 8}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403 and "above 5 out of 10" in r.text
    assert start(c, csrf)  # at the plan's own pain it starts


def test_item7_wrong_passwords_elsewhere_never_lock_the_person_out(world: World) -> None:
    attacker = client(world, "203.0.113.9")
    for _ in range(world.settings.signin_attempts):
        r = attacker.post("/api/signin", json={"email": "doc@example.org", "password": "guess"})
        assert_error_body(r, 401)
    r = attacker.post("/api/signin", json={"email": "doc@example.org", "password": PASSWORD})
    assert_error_body(r, 429)
    assert int(r.headers["retry-after"]) >= 1
    # The real clinician, from their own address, signs in at once.
    signin(client(world, "198.51.100.7"), "doc@example.org")
    # And a colleague at the attacker's address is not locked out of their own account.
    signin(client(world, "203.0.113.9"), "teacher@example.org")


def test_item7_the_per_client_limit_counts_every_address_tried(tmp_path: Path) -> None:
    world = make_world(tmp_path, signin_client_attempts=4)
    c = client(world, "192.0.2.1")
    for i in range(4):
        r = c.post("/api/signin", json={"email": f"x{i}@example.org", "password": "guess"})
        assert r.status_code == 401
    r = c.post("/api/signin", json={"email": "teacher@example.org", "password": PASSWORD})
    assert_error_body(r, 429)
    signin(client(world, "192.0.2.2"), "teacher@example.org")


def test_item7_serve_trusts_proxy_headers_only_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from twistcoach.cli.app import build_app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.delenv("TWISTCOACH_TRUSTED_PROXIES", raising=False)
    runner = CliRunner()
    assert runner.invoke(build_app(), ["serve", "--no-demo"]).exit_code == 0
    assert calls[-1]["proxy_headers"] is False
    result = runner.invoke(build_app(), ["serve", "--no-demo", "--trusted-proxy", "10.0.0.5"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["proxy_headers"] is True and calls[-1]["forwarded_allow_ips"] == "10.0.0.5"
    # A forwarded address from an untrusted peer is not believed by the app either.
    world = make_world(tmp_path / "w")
    c = client(world, "192.0.2.50")
    for _ in range(world.settings.signin_attempts):
        c.post(
            "/api/signin",
            json={"email": "doc@example.org", "password": "guess"},
            headers={"X-Forwarded-For": "1.2.3.4"},
        )
    r = c.post(
        "/api/signin",
        json={"email": "doc@example.org", "password": PASSWORD},
        headers={"X-Forwarded-For": "5.6.7.8"},
    )
    assert r.status_code == 429


# ------------------------------------------------------------------------ item 8


@pytest.mark.parametrize(
    "password", ["1234567890", " " * 12, "gus@example.org", "GUS@example.org ", "password123"]
)
def test_item8_weak_passwords_are_refused(world: World, password: str) -> None:
    r = client(world).post(
        "/api/signup",
        json={"email": "gus@example.org", "display_name": "Gus", "password": password},
    )
    body = assert_error_body(r, 422)
    assert [p["field"] for p in body["problems"]] == ["password"]
    assert world.repo.find_account("gus@example.org") is None


def test_item8_signup_never_says_whether_an_address_or_a_staff_address_exists(
    world: World,
) -> None:
    c = client(world)

    def signup(email: str, teacher: str) -> Any:
        body = {
            "email": email,
            "display_name": "Hal",
            "password": PASSWORD,
            "teacher_email": teacher,
        }
        return c.post("/api/signup", json=body)

    new = signup("hal@example.org", "nobody@example.org")
    known = signup("teacher@example.org", "doc@example.org")
    assert (new.status_code, new.json()) == (known.status_code, known.json())
    assert "set-cookie" not in new.headers or "tc_session" not in new.headers["set-cookie"]
    # The student's link list shows what they typed, staff address or not.
    csrf = signin(c, "hal@example.org")
    assert [k["email"] for k in c.get("/api/links").json()] == ["nobody@example.org"]
    r = c.post("/api/links", json={"email": "doc@example.org"}, headers={"X-CSRF-Token": csrf})
    r2 = c.post("/api/links", json={"email": "ghost@example.org"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == r2.status_code == 201
    assert set(r.json()) == set(r2.json()) == {"id", "email", "created_at"}
    # The page form says the same either way.
    page = client(world)
    pre = re.search(r'name="pre" value="([^"]*)"', page.get("/signup").text)
    assert pre
    answers = []
    for email in ("teacher@example.org", "ivy@example.org"):
        r = page.post(
            "/signup",
            data={"email": email, "display_name": "Ivy", "password": PASSWORD, "pre": pre[1]},
        )
        answers.append((r.status_code, r.headers.get("location")))
    assert answers[0] == answers[1] == (303, "/signin?msg=signed_up")


def test_item8_signin_does_the_same_work_for_unknown_addresses(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    verified: list[str] = []
    real = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        verified.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    c = client(world)
    for email in ("nobody@example.org", "teacher@example.org"):
        r = c.post("/api/signin", json={"email": email, "password": "wrong guess"})
        assert r.status_code == 401 and r.json()["detail"] == "Wrong e-mail or password."
    # One argon2 verification each, with the same cost parameters.
    assert len(verified) == 2
    params = [h.split("$")[3] for h in verified]
    assert params[0] == params[1]


def test_item8_signup_is_rate_limited(tmp_path: Path) -> None:
    world = make_world(tmp_path, signup_attempts=3)
    c = client(world)
    for i in range(3):
        body = {"email": f"j{i}@example.org", "display_name": f"J{i}", "password": PASSWORD}
        assert c.post("/api/signup", json=body).status_code == 202
    body = {"email": "j9@example.org", "display_name": "J9", "password": PASSWORD}
    r = c.post("/api/signup", json=body)
    assert_error_body(r, 429)
    assert int(r.headers["retry-after"]) >= 1
    assert world.repo.find_account("j9@example.org") is None


def test_item8_the_pre_signin_cookie_is_signed(world: World) -> None:
    c = client(world)
    token = "a-token-the-attacker-chose-123456"
    c.cookies.set("tc_pre", token)  # an unsigned cookie planted on the site
    r = c.post("/signin", data={"email": "teacher@example.org", "password": PASSWORD, "pre": token})
    assert r.status_code == 403 and "CSRF" in r.text
    page = c.get("/signin")
    cookie = page.cookies.get("tc_pre")
    form = re.search(r'name="pre" value="([^"]*)"', page.text)
    assert cookie and form and cookie != form[1]  # the cookie is the signed token
    c.cookies.set("tc_pre", cookie)
    r = c.post(
        "/signin", data={"email": "teacher@example.org", "password": PASSWORD, "pre": form[1]}
    )
    assert r.status_code == 303


# ------------------------------------------------------------------------ item 9


def test_item9_staff_see_only_linked_students_and_reads_are_audited(world: World) -> None:
    s, s_csrf, person_id = student(world, "Kay", teacher="teacher@example.org")
    sid = start(s, s_csrf)
    d = client(world)
    signin(d, "doc@example.org")
    assert d.get("/api/students").json() == []
    # Not linked: the same 404 as an id nobody has (ids cannot be enumerated).
    for path in (f"/api/students/{person_id}", f"/api/sessions/{sid}", f"/students/{person_id}"):
        assert d.get(path).status_code == 404, path
    # Kay links the clinician from the account page.
    page = s.get("/account")
    assert page.status_code == 200 and "teacher@example.org" in page.text
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert token
    r = s.post("/account/links", data={"email": "doc@example.org", "csrf_token": token[1]})
    assert r.status_code == 303
    assert [row["name"] for row in d.get("/api/students").json()] == ["Kay"]
    assert d.get(f"/api/sessions/{sid}").status_code == 200
    reads = [
        (a.action, a.target)
        for a in world.repo.list_audit(actor_id=world.repo.find_account("doc@example.org").id)  # type: ignore[union-attr]
        if a.action.startswith("read.")
    ]
    assert ("read.session", f"session:{sid}") in reads
    assert any(action == "read.roster" for action, _ in reads)
    # And removes it again: the clinician no longer sees Kay.
    link_id = next(k["id"] for k in s.get("/api/links").json() if k["email"] == "doc@example.org")
    page = s.get("/account").text
    token = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert token
    r = s.post(f"/account/links/{link_id}/delete", data={"csrf_token": token[1]})
    assert r.status_code == 303
    assert d.get("/api/students").json() == []
    assert d.get(f"/api/sessions/{sid}").status_code == 404
    # Another student cannot remove Kay's links.
    o, o_csrf, _ = student(world, "Lou")
    other = next(k["id"] for k in s.get("/api/links").json())
    r = o.delete(f"/api/links/{other}", headers={"X-CSRF-Token": o_csrf})
    assert_error_body(r, 404)


def test_item9_the_demo_clinician_is_linked_to_the_demo_students(tmp_path: Path) -> None:
    from twistcoach.storage.demo import seed_demo

    engine = create_engine_for_url(f"sqlite:///{tmp_path / 'demo.db'}")
    init_db(engine)
    repo = Repository(engine)
    ids = seed_demo(repo)
    assert [p.name for p in repo.people_followed_by(ids["clinician"])] == ["Alex", "Sam"]
    assert [p.name for p in repo.people_followed_by(ids["teacher"])] == ["Sam"]
    engine.dispose()


# ------------------------------------------------------------------------ item 10


def test_item10_sessions_never_connected_are_reaped_at_start(world: World) -> None:
    c, csrf, _ = student(world, "Max")
    sid = start(c, csrf)
    world.clock.advance(seconds=world.settings.stale_session_s + 1)
    with TestClient(world.app):  # the app's lifespan starts: it reaps what was left running
        pass
    session = world.repo.get_session(sid).session
    assert (session.status, session.stop_reason) == ("interrupted", "never connected")


def test_item10_one_running_session_per_student(world: World) -> None:
    c, csrf, _ = student(world, "Ned")
    first = start(c, csrf)
    second = start(c, csrf)  # the first was never connected: closed, not left running
    session = world.repo.get_session(first).session
    assert (session.status, session.stop_reason) == ("interrupted", "replaced by a new session")
    with c.websocket_connect(f"/ws/practice/{second}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        ws.receive_json()
        r = c.post("/api/sessions", json=START, headers={"X-CSRF-Token": csrf})
        assert "still running in another window" in assert_error_body(r, 409)["detail"]
    assert [s.id for s in world.repo.running_sessions()] == []


def test_item10_a_silent_socket_is_closed_and_its_session_interrupted(tmp_path: Path) -> None:
    world = make_world(tmp_path, ws_idle_s=0.3)
    c, csrf, _ = student(world, "Oda")
    sid = start(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
    assert closed.value.code == 1001
    assert world.repo.get_session(sid).session.status == "interrupted"


# ------------------------------------------------------------------------ item 12


def test_item12_one_error_body_for_every_4xx(world: World) -> None:
    c, csrf, person_id = student(world, "Pia")
    anon = client(world)
    assert_error_body(anon.get("/api/me"), 401)
    assert_error_body(c.post("/api/sessions", json=START), 403)  # no CSRF header
    assert_error_body(c.get("/api/sessions/999999"), 404)
    assert_error_body(
        c.post(
            "/api/checkin",
            json={"back": "same", "new_leg_symptoms": False, "weakness_or_numbness": False},
            headers={"X-CSRF-Token": csrf},
        ),
        409,
    )
    body = assert_error_body(
        c.post("/api/sessions", json={"variant_id": 3}, headers={"X-CSRF-Token": csrf}), 422
    )
    assert body["problems"]
    r = c.post("/api/intake", json={**INTAKE, "age": "old"}, headers={"X-CSRF-Token": csrf})
    assert [p["field"] for p in assert_error_body(r, 422)["problems"]] == ["age"]
    r = c.post(
        "/api/sessions",
        json={"variant_id": "nope", "start_pain": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert_error_body(r, 422)
    r = anon.post("/api/signin", content=b"{", headers={"content-type": "application/json"})
    assert_error_body(r, 422)
    assert_error_body(c.get(f"/api/students/{person_id}"), 403)


def test_item12_the_openapi_documents_every_status_and_body(world: World) -> None:
    spec = client(world).get("/openapi.json").json()
    error_ref = "#/components/schemas/ErrorBody"
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert "422" in codes and "413" in codes, (method, path)
            schema = op["responses"]["422"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref}, (method, path)
            if path not in {"/api/variants", "/api/intake/schema", "/api/signup", "/api/signin"}:
                assert "401" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            assert "HTTPValidationError" not in json.dumps(op)
    assert "429" in spec["paths"]["/api/signin"]["post"]["responses"]
    assert "409" in spec["paths"]["/api/sessions"]["post"]["responses"]


def test_item12_api_docs_are_served_from_the_apps_own_assets(world: World) -> None:
    c = client(world)
    page = c.get("/api/docs")
    assert page.status_code == 200
    assert "/api/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "<script>" not in page.text  # no inline script
    assert c.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert c.get("/api/docs/assets/swagger-ui.css").status_code == 200
    assert "SwaggerUIBundle" in c.get("/api/docs/start.js").text
    missing = replace(world.settings, swagger_ui_dir=Path("/nonexistent"))
    assert TestClient(create_app(missing)).get("/api/docs").status_code == 404


def test_item12_one_exception_tree_mapped_in_one_table() -> None:
    import ast

    from twistcoach import errors
    from twistcoach.intake import IntakeError
    from twistcoach.safeload import SafeLoadError
    from twistcoach.storage.db import StorageError
    from twistcoach.storage.repository import NotFoundError
    from twistcoach.web.app import status_for

    assert issubclass(NotFoundError, errors.NotFound) and issubclass(NotFoundError, StorageError)
    assert issubclass(StorageError, errors.StorageError)
    assert issubclass(IntakeError, errors.DataError) and issubclass(SafeLoadError, errors.DataError)
    assert status_for(NotFoundError("x")) == 404
    assert status_for(StorageError("x")) == 409
    assert status_for(errors.RateLimited("x", 3)) == 429
    assert status_for(errors.NotSignedIn("x")) == 401
    assert status_for(RuntimeError("x")) == 500
    # Services never raise HTTP errors.
    source = (Path(__file__).parents[1] / "src/twistcoach/web/services.py").read_text()
    names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Attribute)
    }
    assert "HTTPException" not in names


# ------------------------------------------------------------------------ red team (web)


def test_wrong_current_passwords_are_limited_like_sign_ins(world: World) -> None:
    # A stolen session could guess the password by POST /api/password for ever: each wrong
    # current password answered 403, never 429, while sign-in locks after five.
    c, csrf, _ = student(world, "Gus")
    wrong = {"current_password": "wrong password here", "new_password": "another long passphrase"}
    for _ in range(world.settings.signin_attempts):
        r = c.post("/api/password", json=wrong, headers={"X-CSRF-Token": csrf})
        assert_error_body(r, 403)
    # Then even the right one waits, with Retry-After, as sign-in does.
    right = {"current_password": PASSWORD, "new_password": "another long passphrase"}
    r = c.post("/api/password", json=right, headers={"X-CSRF-Token": csrf})
    assert "Too many" in assert_error_body(r, 429)["detail"]
    assert int(r.headers["retry-after"]) >= 1
    # The same count as sign-in's (one guess budget per address and account, not two).
    r = c.post("/api/signin", json={"email": "gus@example.org", "password": PASSWORD})
    assert_error_body(r, 429)
    # Nothing changed: the old password still signs in from elsewhere.
    signin(client(world, "198.51.100.7"), "gus@example.org")
    spec = client(world).get("/openapi.json").json()
    assert "429" in spec["paths"]["/api/password"]["post"]["responses"]


def test_wrong_sign_in_guesses_count_against_the_password_change_too(world: World) -> None:
    c, csrf, _ = student(world, "Hal")
    for _ in range(world.settings.signin_attempts):
        r = client(world).post("/api/signin", json={"email": "hal@example.org", "password": "x"})
        assert_error_body(r, 401)
    right = {"current_password": PASSWORD, "new_password": "another long passphrase"}
    r = c.post("/api/password", json=right, headers={"X-CSRF-Token": csrf})
    assert_error_body(r, 429)


def test_every_signed_in_answer_is_kept_out_of_the_browser_cache(world: World) -> None:
    # After sign-out, Back showed a student's page from the browser's cache: no answer that
    # depends on who is signed in said Cache-Control: no-store.
    s, csrf, person_id = student(world, "Ida")
    start(s, csrf)
    doc = client(world)
    signin(doc, "doc@example.org")
    world.repo.add_link(person_id, "doc@example.org")
    answers = [
        s.get(path)
        for path in ("/dashboard", "/plan", "/history", "/practice", "/account", "/api/plan")
    ]
    answers += [s.get("/api/me"), s.get("/sessions/1"), s.get("/api/sessions/1")]
    answers += [s.get("/sessions/1/plot.png")]  # was kept for a minute
    answers += [
        doc.get(f"/students/{person_id}"),
        doc.get(f"/api/students/{person_id}"),
        doc.get(f"/students/{person_id}/report.pdf"),
        doc.get(f"/api/students/{person_id}/fhir"),
        doc.get(f"/students/{person_id}/fhir.json"),
        doc.get("/no-such-page"),  # error pages carry the person's menu
        client(world).get("/signin"),  # the form's one-off token
    ]
    for r in answers:
        assert r.status_code < 500, (r.url, r.status_code)
        assert r.headers.get("cache-control") == "no-store", (r.url, r.headers)
        assert r.headers.get("pragma") == "no-cache", r.url
    # Static assets (the same for everyone) may be cached.
    css = client(world).get("/static/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


def test_the_csp_lets_the_page_connect_to_its_own_origin_only(world: World) -> None:
    # connect-src allowed WebSockets to any host ("ws: wss:").
    csp = client(world).get("/signin").headers["content-security-policy"]
    [connect] = [d.split()[1:] for d in csp.split(";") if d.split()[:1] == ["connect-src"]]
    assert "'self'" in connect
    assert not {"ws:", "wss:", "*", "http:", "https:"} & set(connect), connect


def test_an_unknown_twist_is_refused_by_name_never_by_id(world: World) -> None:
    # A form POST /practice with variant=nope showed "unknown variant 'nope'; known:
    # supine_twist_supported, ..." (the library's ids) on the page.
    from twistcoach.poses.loader import load_library

    s, csrf, person_id = student(world, "Jo")
    page = s.post("/practice", data={"csrf_token": csrf, "variant": "nope", "start_pain": "2"})
    assert page.status_code == 422
    words = re.sub(r"<[^>]+>", " ", page.text)
    for variant_id in load_library().ids:
        assert variant_id not in words, variant_id
    assert "nope" not in words
    assert "That twist is not one the coach knows" in words
    assert world.repo.list_sessions(person_id) == []  # nothing started
