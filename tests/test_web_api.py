"""The web app through its HTTP and WebSocket interfaces (FastAPI TestClient, real SQLite).

Every route, every role, bad input, CSRF, oversized bodies and WebSocket messages, the
sign-in rate limit and the absence of stack traces in error responses.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from students import CLINICAL_INTAKE, PASSWORD
from twistcoach import estimator
from twistcoach.storage import Repository, create_engine_for_url, init_db
from twistcoach.web import WebSettings, create_app
from twistcoach.web.security import PasswordService
from twistcoach.web.services import NOT_VISIBLE_SESSION, UNKNOWN_TWIST, flags_for, pain_trend

FIXTURES = Path(__file__).parent / "fixtures" / "skeletons"


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@dataclass
class World:
    """An app on a fresh database with staff accounts made directly in the repository."""

    app: Any
    repo: Repository
    teacher_id: int
    untrained_id: int
    clinician_id: int


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    repo = Repository(engine)
    # Cheap argon2 parameters keep the suite fast; production uses argon2-cffi's defaults.
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    teacher = repo.create_account("teacher@example.org", "Tess Teacher", hashed, "teacher", True)
    untrained = repo.create_account("new@example.org", "Uma Untrained", hashed, "teacher", False)
    clinician = repo.create_account("doc@example.org", "Dr Cleo", hashed, "clinician")
    settings = WebSettings(
        database_url=url,
        signin_attempts=3,
        max_body_bytes=8 * 1024,
        password_time_cost=1,
        password_memory_kib=1024,
    )
    # The server's clock for the frame-rate limit: 50 ms a frame (a 20 fps camera), so the
    # tests' frames are never dropped however fast the test sends them.
    ticks = iter(range(10**9))
    app = create_app(settings, monotonic=lambda: next(ticks) * 0.05)
    yield World(app, repo, teacher.id, untrained.id, clinician.id)
    engine.dispose()


def client(world: World) -> TestClient:
    return TestClient(world.app, raise_server_exceptions=False, follow_redirects=False)


def form_token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in page"
    return match.group(1)


def page_signup(c: TestClient, email: str, name: str, teacher: str = "") -> None:
    pre = form_token(c.get("/signup").text, "pre")
    r = c.post(
        "/signup",
        data={
            "email": email,
            "display_name": name,
            "password": PASSWORD,
            "teacher_email": teacher,
            "pre": pre,
        },
    )
    # Sign-up never signs in and answers the same for a known address (issue 16, item 8).
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/signin?msg=signed_up"
    pre = form_token(c.get("/signin").text, "pre")
    r = c.post("/signin", data={"email": email, "password": PASSWORD, "pre": pre})
    assert r.status_code == 303 and r.headers["location"] == "/plan", r.text


def api_signin(c: TestClient, email: str, password: str = PASSWORD) -> str:
    r = c.post("/api/signin", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def api_student(
    world: World,
    email: str,
    name: str,
    teacher: str = "teacher@example.org",
    intake: dict[str, Any] | None = None,
) -> tuple[TestClient, str]:
    """A signed-up student with an intake; returns (client, csrf token)."""
    c = client(world)
    r = c.post(
        "/api/signup",
        json={"email": email, "display_name": name, "password": PASSWORD, "teacher_email": teacher},
    )
    assert r.status_code == 202, r.text  # sign-up never signs in (issue 16, item 8)
    csrf = api_signin(c, email)
    r = c.post("/api/intake", json=intake or CLINICAL_INTAKE, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    return c, csrf


# ------------------------------------------------------------------- pure helpers


def test_passwords_are_argon2_and_verify() -> None:
    service = PasswordService()
    encoded = service.hash("correct horse battery")
    assert encoded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's defaults
    assert PasswordService(1, 1024).hash("x").startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert service.verify(encoded, "correct horse battery")
    assert not service.verify(encoded, "wrong")
    assert not service.verify("not a hash", "wrong")


# --------------------------------------------------------------- accounts, pages


def test_pages_need_signin(world: World) -> None:
    c = client(world)
    for path in (
        "/plan",
        "/intake",
        "/practice",
        "/history",
        "/dashboard",
        "/students/1",
        "/sessions/1",
        "/sessions/1/plot.png",
        "/practice/1",
    ):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/signin", path
    assert c.get("/").headers["location"] == "/signin"
    for path in ("/api/me", "/api/plan", "/api/sessions", "/api/students", "/api/sessions/1"):
        assert c.get(path).status_code == 401, path


def test_signup_intake_plan_and_signout_through_pages(world: World) -> None:
    c = client(world)
    page_signup(c, "sam@example.org", "Sam", teacher="teacher@example.org")
    cookie = c.cookies.get("tc_session")
    assert cookie
    r = c.get("/intake")
    assert r.status_code == 200
    for field in (
        "age",
        "pain_now",
        "pain_duration_weeks",
        "activity",
        "leg_symptoms",
        "red_flags",
        "conditions",
        "surgery_months_ago",
        "pregnancy_weeks",
    ):
        assert f'name="{field}"' in r.text, field
    assert "clearances" not in r.text  # staff record clearances
    csrf = form_token(r.text, "csrf_token")
    data = {
        **{k: str(v) for k, v in CLINICAL_INTAKE.items() if k != "conditions"},
        "conditions": ["chronic_low_back_pain"],
        "csrf_token": csrf,
    }
    r = c.post("/intake", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/plan"
    plan_page = c.get("/plan").text
    assert "You are ready to practise" in plan_page
    assert 'data-variant="supine_twist_partial"' in plan_page
    assert "not for you now" in plan_page  # seated/standing twists with back pain
    assert c.get("/").headers["location"] == "/plan"
    r = c.post("/signout", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert c.get("/plan").status_code == 303


def test_signup_errors_are_per_field(world: World) -> None:
    c = client(world)
    pre = form_token(c.get("/signup").text, "pre")
    r = c.post(
        "/signup",
        data={
            "email": "not-an-email",
            "display_name": "X",
            "password": "short",
            "teacher_email": "not an address",
            "pre": pre,
        },
    )
    assert r.status_code == 422
    for field in ("email", "password", "teacher_email"):
        assert f'data-field="{field}"' in r.text, field
    # A known address gets the same answer as a new one (issue 16, item 8).
    r = c.post(
        "/signup",
        data={
            "email": "teacher@example.org",
            "display_name": "X",
            "password": PASSWORD,
            "pre": pre,
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/signin?msg=signed_up"
    assert "already" not in r.text
    # A forged form (no double-submit token) is refused.
    r = c.post(
        "/signup",
        data={
            "email": "z@example.org",
            "display_name": "Z",
            "password": PASSWORD,
            "pre": "forged-token-value-xxxxx",
        },
    )
    assert r.status_code == 403
    assert world.repo.find_account("z@example.org") is None


def test_api_signup_takes_a_null_teacher_email_as_not_given(world: World) -> None:
    # The docs show teacher_email as optional; a JSON null was refused with 422 "Input
    # should be a valid string".
    c = client(world)
    body = {"email": "nul@example.org", "display_name": "Nul", "password": PASSWORD}
    r = c.post("/api/signup", json={**body, "teacher_email": None})
    assert r.status_code == 202, r.text
    account = world.repo.find_account("nul@example.org")
    person = world.repo.person_for_account(account.id) if account is not None else None
    assert person is not None
    assert world.repo.list_links(person.id) == []  # nobody linked
    api_signin(c, "nul@example.org")
    # A value that is not a string (nor null) is still refused.
    r = c.post("/api/signup", json={**body, "email": "n2@example.org", "teacher_email": 5})
    assert r.status_code == 422


def test_page_signin_success_and_wrong_password(world: World) -> None:
    c = client(world)
    pre = form_token(c.get("/signin").text, "pre")
    r = c.post("/signin", data={"email": "teacher@example.org", "password": "nope", "pre": pre})
    assert r.status_code == 401 and "Wrong e-mail or password" in r.text
    r = c.post("/signin", data={"email": "Teacher@Example.org", "password": PASSWORD, "pre": pre})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    set_cookie = r.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie.replace("Lax", "lax")
    assert c.get("/dashboard").status_code == 200


def test_signin_rate_limit_blocks_even_the_right_password(world: World) -> None:
    c = client(world)
    for _ in range(3):
        r = c.post("/api/signin", json={"email": "doc@example.org", "password": "guess"})
        assert r.status_code == 401
    r = c.post("/api/signin", json={"email": "doc@example.org", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    # Counted per (client, e-mail) pair (issue 16, item 7): the same client may still sign
    # in to another account until its own, larger, per-client limit.
    r = c.post("/api/signin", json={"email": "teacher@example.org", "password": PASSWORD})
    assert r.status_code == 200


def test_api_me_and_signout(world: World) -> None:
    c = client(world)
    csrf = api_signin(c, "teacher@example.org")
    me = c.get("/api/me").json()
    assert (me["role"], me["trained_for_back_problems"], me["person_id"]) == ("teacher", True, None)
    assert c.post("/api/signout").status_code == 403  # no CSRF header
    r = c.post("/api/signout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert c.get("/api/me").status_code == 401
    assert [a.action for a in world.repo.list_audit(actor_id=world.teacher_id)][:2] == [
        "account.signout",
        "account.signin",
    ]


def test_tampered_cookie_is_ignored(world: World) -> None:
    c = client(world)
    api_signin(c, "teacher@example.org")
    good = c.cookies.get("tc_session")
    assert good
    c.cookies.set("tc_session", good[:-3] + "abc")
    assert c.get("/api/me").status_code == 401


# ------------------------------------------------------------------------ intake


def test_intake_form_shows_errors_per_field_and_stores_nothing(world: World) -> None:
    c = client(world)
    page_signup(c, "ed@example.org", "Ed")
    csrf = form_token(c.get("/intake").text, "csrf_token")
    r = c.post(
        "/intake",
        data={
            "csrf_token": csrf,
            "age": "5",
            "pain_now": "11",
            "pain_duration_weeks": "abc",
            "activity": "lazy",
            "leg_symptoms": "none",
        },
    )
    assert r.status_code == 422
    for field in ("age", "pain_now", "pain_duration_weeks", "activity"):
        assert f'data-field="{field}"' in r.text, field
    assert "deconditioned, light, active" in r.text  # names what is allowed
    # A problem of the whole intake (not one field's) is shown too.
    r = c.post(
        "/intake",
        data={
            "csrf_token": csrf,
            "age": "50",
            "pain_now": "2",
            "pain_duration_weeks": "3",
            "activity": "light",
            "leg_symptoms": "none",
            "surgery_months_ago": "3",
        },
    )
    assert r.status_code == 422  # shown beside the field it concerns, in the form's words
    assert re.search(
        r'data-field="surgery_months_ago">Months since surgery are filled in, but no surgery '
        "is ticked among the conditions",
        r.text,
    )
    assert "spinal_surgery" not in r.text.split('data-field="surgery_months_ago">')[1][:300]
    # In Spanish too (the file's message, naming its values, had been shown in English).
    r = c.post(
        "/intake",
        data={
            "csrf_token": csrf,
            "age": "30",
            "pain_now": "2",
            "pain_duration_weeks": "3",
            "activity": "light",
            "leg_symptoms": "none",
            "pregnancy_weeks": "20",
        },
        headers={"Accept-Language": "es"},
    )
    assert r.status_code == 422
    assert re.search(
        r'data-field="pregnancy_weeks">Ha escrito semanas de embarazo, pero Embarazo no está '
        "marcado",
        r.text,
    )
    person = world.repo.find_person("Ed")
    assert person is not None and world.repo.latest_plan(person.id) is None


def test_intake_needs_csrf(world: World) -> None:
    c = client(world)
    page_signup(c, "fay@example.org", "Fay")
    r = c.post("/intake", data={k: str(v) for k, v in CLINICAL_INTAKE.items()})
    assert r.status_code == 403
    r = c.post("/api/intake", json=CLINICAL_INTAKE)
    assert r.status_code == 403
    r = c.post("/api/intake", json=CLINICAL_INTAKE, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403


def test_red_flag_plan_says_see_a_professional_and_blocks_practice(world: World) -> None:
    c, csrf = api_student(
        world,
        "gil@example.org",
        "Gil",
        intake={**CLINICAL_INTAKE, "red_flags": ["history_of_cancer"]},
    )
    page = c.get("/plan").text
    assert "See a healthcare professional first" in page
    assert "Practise now" not in page
    assert "allows no twist today" in c.get("/practice").text
    assert _start_status(c, csrf, "supine_twist_partial", 2) == 403
    r = c.post(
        "/api/intake",
        json={**CLINICAL_INTAKE, "red_flags": ["saddle_numbness"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.json()["status"] == "seek_care_now"
    assert "Please get medical help today" in c.get("/plan").text


def test_pain_above_the_stop_is_a_rest_day_on_the_plan_page(world: World) -> None:
    c, csrf = api_student(
        world, "hal@example.org", "Hal", intake={**CLINICAL_INTAKE, "pain_now": 8}
    )
    page = c.get("/plan").text
    assert 'class="status-rest_today"' in page and "Rest today" in page
    assert "See a healthcare professional first" not in page
    assert "allows no twist today" in c.get("/practice").text
    assert _start_status(c, csrf, "supine_twist_supported", 8) == 403


def _start_status(c: TestClient, csrf: str, variant_id: str, start_pain: int) -> int:
    """The status of a request to start a session of ``variant_id`` at ``start_pain``."""
    r = c.post(
        "/api/sessions",
        json={"variant_id": variant_id, "start_pain": start_pain},
        headers={"X-CSRF-Token": csrf},
    )
    return r.status_code


def test_api_intake_validation_and_plan_shape(world: World) -> None:
    c, csrf = api_student(world, "hal@example.org", "Hal")
    r = c.post(
        "/api/intake",
        json={**CLINICAL_INTAKE, "age": "old", "colour": "blue"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 422
    # One error body everywhere (issue 16, item 12): detail and per-field problems.
    problems = {p["field"] for p in r.json()["problems"]}
    assert problems == {"age", "colour"} and isinstance(r.json()["detail"], str)
    # In the request's language, the detail too (it stayed English beside Spanish fields).
    r = c.post(
        "/api/intake?lang=es", json={**CLINICAL_INTAKE, "age": 200}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 422 and r.json()["detail"] == "el cuestionario tiene errores"
    r = c.post(
        "/api/intake", json={**CLINICAL_INTAKE, "clearances": []}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 422
    assert "clearances" in {p["field"] for p in r.json()["problems"]}
    # A key given twice (FastAPI's parser keeps the last: a red flag would be lost).
    twice = json.dumps({**CLINICAL_INTAKE, "red_flags": ["saddle_numbness"]})
    twice = twice[:-1] + ', "red_flags": []}'
    r = c.post(
        "/api/intake",
        content=twice,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "'red_flags' is given twice" in r.json()["detail"], r.text
    got = c.get("/api/plan").json()
    plan = got["plan"]  # the readiness plan, beside planning's decision
    assert plan["status"] == "ready" == got["plan_status"]
    assert {v["id"] for v in plan["variants"]} >= {"supine_twist_partial", "supine_twist_full"}
    partial = next(v for v in plan["variants"] if v["id"] == "supine_twist_partial")
    assert partial["status"] == "allowed" and 0 < partial["max_knee_drop_deg"] < 90
    assert all(r["rule"] and r["source"] for r in partial["reasons"])
    # Planning's decision: the permission and this session's cap, with every reason.
    permission = next(v for v in got["variants"] if v["id"] == "supine_twist_partial")
    assert permission["allowed"] and permission["cap_deg"] == partial["max_knee_drop_deg"]
    assert got["reasons"] == [] and got["open_flags"] == [] and not got["needs_checkin"]
    schema = c.get("/api/intake/schema").json()
    assert "pain_now" in schema["properties"]
    variants = c.get("/api/variants").json()
    assert variants[0]["id"] == "supine_twist_supported"


def test_openapi_describes_the_api(world: World) -> None:
    paths = client(world).get("/openapi.json").json()["paths"]
    for path in (
        "/api/signin",
        "/api/intake",
        "/api/plan",
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/students",
        "/api/students/{person_id}/clearances",
        "/api/students/{person_id}/progression",
    ):
        assert path in paths, path
    assert "/signin" not in paths  # pages are not part of the API


def test_oversized_bodies_are_refused(world: World) -> None:
    c, csrf = api_student(world, "ivy@example.org", "Ivy")
    big = {**CLINICAL_INTAKE, "conditions": ["x" * 100] * 200}
    r = c.post("/api/intake", json=big, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 413
    assert "too large" in r.json()["detail"]
    r = c.post(
        "/signin",
        content=b"email=" + b"a" * 20000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 1000

    r = c.post("/api/signin", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_bad_json_and_unknown_fields_give_422_without_traces(world: World) -> None:
    c = client(world)
    r = c.post("/api/signin", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "Traceback" not in r.text
    r = c.post("/api/signin", json={"email": "a@b.c", "password": "x", "admin": True})
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "admin"


def test_internal_errors_show_no_stack_trace(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    c, _ = api_student(world, "jo@example.org", "Jo")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(world.app.state.ctx.repo, "list_sessions", broken)
    r = c.get("/api/sessions")
    assert r.status_code == 500 and r.json()["detail"] == "internal error"
    r = c.get("/history")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert "Nothing you saved was lost" in r.text


def test_security_headers(world: World) -> None:
    r = client(world).get("/signin")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "cdn" not in r.text.lower()


def test_mediapipe_assets_are_served_locally(world: World) -> None:
    c = client(world)
    r = c.get("/mp/pose.js")
    assert r.status_code == 200 and "locateFile" in r.text
    assert c.get("/mp/pose_solution_simd_wasm_bin.wasm").status_code == 200
    assert c.get("/static/practice_start.js").status_code == 200
    assert c.get("/static/practice.js").status_code == 200


# ---------------------------------------------------------------- roles, staff


def test_students_see_only_their_own_data(world: World) -> None:
    a, a_csrf = api_student(world, "kim@example.org", "Kim")
    b, _ = api_student(world, "lee@example.org", "Lee")
    for pain in (True, "2", 2.5):  # a pain is a number, not true (which read as 1)
        r = a.post(
            "/api/sessions",
            json={"variant_id": "supine_twist_partial", "start_pain": pain},
            headers={"X-CSRF-Token": a_csrf},
        )
        assert r.status_code == 422, (pain, r.text)
    r = a.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers={"X-CSRF-Token": a_csrf},
    )
    assert r.status_code == 201
    sid = r.json()["session_id"]
    assert a.get(f"/api/sessions/{sid}").status_code == 200
    assert [x["id"] for x in a.get("/api/sessions").json()] == [sid]
    assert b.get("/api/sessions").json() == []
    # Another's session answers as one that does not exist (ids cannot be enumerated).
    assert b.get(f"/api/sessions/{sid}").status_code == 404
    assert b.get(f"/sessions/{sid}").status_code == 404
    assert b.get(f"/sessions/{sid}/plot.png").status_code == 404
    assert b.get(f"/practice/{sid}").status_code == 404
    assert b.get("/api/sessions/99999").json() == b.get(f"/api/sessions/{sid}").json()
    for path in ("/dashboard", "/api/students", "/students/1", "/api/students/1"):
        assert b.get(path).status_code == 403, path


def _practised_yesterday(world: World, session_id: int) -> None:
    """Move a stored session (and its end) a day back: this world's clock is the real one."""
    from sqlalchemy import update

    from twistcoach.storage.models import PracticeSession

    day = dt.timedelta(days=1)
    with world.repo._sessions.begin() as s:
        row = s.get(PracticeSession, session_id)
        assert row is not None and row.ended_at is not None
        s.execute(
            update(PracticeSession)
            .where(PracticeSession.id == session_id)
            .values(started_at=row.started_at - day, ended_at=row.ended_at - day)
        )


def test_teacher_sees_only_own_students_and_every_page_renders(world: World) -> None:
    s, s_csrf = api_student(world, "max@example.org", "Max")
    _other, _ = api_student(world, "ned@example.org", "Ned", teacher="new@example.org")
    sid = s.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 1},
        headers={"X-CSRF-Token": s_csrf},
    ).json()["session_id"]
    world.repo.add_pain(sid, 3.0, 4)
    world.repo.end_session(sid, "stopped", "pain_rise", 4)
    t = client(world)
    api_signin(t, "teacher@example.org")
    roster = t.get("/api/students").json()
    assert [r["name"] for r in roster] == ["Max"]
    assert roster[0]["plan_status"] == "not_now"  # a pain stop ends that day's practice
    _practised_yesterday(world, sid)  # the rest of this test is the next day
    roster = t.get("/api/students").json()
    assert roster[0]["plan_status"] == "ready"
    assert roster[0]["flags"] == ["pain rises", "1 stopped"]
    assert roster[0]["last_session"]["id"] == sid
    html = t.get("/dashboard").text
    assert "Max" in html and "Ned" not in html and "pain rises" in html
    max_id = roster[0]["person_id"]
    ned = world.repo.find_person("Ned")
    assert ned is not None
    assert t.get(f"/students/{max_id}").status_code == 200
    assert t.get(f"/api/students/{max_id}").json()["sessions"][0]["id"] == sid
    assert t.get(f"/students/{ned.id}").status_code == 404
    assert t.get(f"/api/students/{ned.id}").status_code == 404
    assert t.get("/api/students/99999").json() == t.get(f"/api/students/{ned.id}").json()
    page = t.get(f"/sessions/{sid}")
    assert page.status_code == 200 and "Pain reported: 4 out of 10" in page.text
    assert f'src="/sessions/{sid}/plot.png"' in page.text
    png = t.get(f"/sessions/{sid}/plot.png")
    assert png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n" and len(png.content) > 5000
    # A phone's screen gets the drawing made for it (readable labels), asked for by the page.
    assert f'media="(max-width: 600px)" srcset="/sessions/{sid}/plot.png?narrow=true"' in page.text
    narrow = t.get(f"/sessions/{sid}/plot.png?narrow=true")
    assert narrow.headers["content-type"] == "image/png"
    assert png_size(png.content) == (900, 360) and png_size(narrow.content) == (600, 570)
    assert t.get(f"/sessions/{sid}/plot.png?narrow=sideways").status_code == 422
    assert t.get("/plan").status_code == 403  # staff have no plan of their own
    # Pain rose in that session: the next one starts lower, before anyone approves it
    # (the next day: a pain stop ends that day's practice).
    suggestion = t.get(f"/api/students/{max_id}").json()["suggestion"]
    assert suggestion["action"] == "lower_cap"
    lowered = suggestion["suggested_cap_deg"]
    next_id = s.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 1},
        headers={"X-CSRF-Token": s_csrf},
    ).json()["session_id"]
    assert world.repo.get_session(next_id).session.cap_deg == lowered < 45
    assert s.get("/history").status_code == 200
    assert f'data-session="{sid}"' in s.get("/history").text


def test_clearance_rules_and_audit(world: World) -> None:
    s, _ = api_student(world, "ola@example.org", "Ola", teacher="new@example.org")
    person = world.repo.find_person("Ola")
    assert person is not None
    body = {
        "variants": ["supine_twist_full"],
        "max_knee_drop_deg": 50,
        "date": dt.date.today().isoformat(),
    }
    u = client(world)
    u_csrf = api_signin(u, "new@example.org")
    r = u.post(f"/api/students/{person.id}/clearances", json=body, headers={"X-CSRF-Token": u_csrf})
    assert r.status_code == 403 and "back condition" in r.json()["detail"]
    assert world.repo.list_clearances(person.id) == []
    # A student without a back condition may be cleared by any of their teachers.
    _calm, _ = api_student(
        world,
        "pat@example.org",
        "Pat",
        teacher="new@example.org",
        intake={**CLINICAL_INTAKE, "pain_now": 0, "conditions": []},
    )
    pat = world.repo.find_person("Pat")
    assert pat is not None
    r = u.post(
        f"/api/students/{pat.id}/clearances",
        json={**body, "variants": ["seated_twist_easy"]},
        headers={"X-CSRF-Token": u_csrf},
    )
    assert r.status_code == 200, r.text
    # A clinician sees only the students who linked them (issue 16, item 9).
    d = client(world)
    d_csrf = api_signin(d, "doc@example.org")
    assert d.get("/api/students").json() == []
    assert d.get(f"/api/students/{person.id}").status_code == 404
    ola_csrf = s.get("/api/me").json()["csrf_token"]
    r = s.post("/api/links", json={"email": "doc@example.org"}, headers={"X-CSRF-Token": ola_csrf})
    assert r.status_code == 201, r.text
    assert {r["name"] for r in d.get("/api/students").json()} == {"Ola"}
    r = d.post(
        f"/api/students/{person.id}/clearances",
        json={**body, "variants": ["nope"]},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 422
    r = d.post(
        f"/api/students/{person.id}/clearances",
        json={**body, "max_knee_drop_deg": 500},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 422
    # A clearance dated after today anywhere on Earth (a mistyped year) is refused, unstored.
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    r = d.post(
        f"/api/students/{person.id}/clearances",
        json={**body, "date": ahead},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 422 and "is after today" in r.json()["detail"], r.text
    assert world.repo.list_clearances(person.id) == []
    before = next(
        v for v in s.get("/api/plan").json()["variants"] if v["id"] == "supine_twist_full"
    )
    assert before["plan_status"] != "allowed" and not before["allowed"]
    r = d.post(f"/api/students/{person.id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 200, r.text
    returned = next(v for v in r.json()["variants"] if v["id"] == "supine_twist_full")
    after = next(v for v in s.get("/api/plan").json()["variants"] if v["id"] == "supine_twist_full")
    assert returned == after
    assert after["plan_status"] == "allowed" and after["allowed"] and after["cap_deg"] <= 50
    cleared = world.repo.list_clearances(person.id)
    assert [(c.by_role, c.name, c.recorded_by) for c in cleared] == [
        ("clinician", "Dr Cleo", world.clinician_id)
    ]
    entries = world.repo.list_audit(actor_id=world.clinician_id)
    assert entries[0].action == "clearance.record" and entries[0].target == f"person:{person.id}"
    # A new intake keeps the clearance.
    r = s.post(
        "/api/intake",
        json=CLINICAL_INTAKE,
        headers={"X-CSRF-Token": s.get("/api/me").json()["csrf_token"]},
    )
    again = next(v for v in r.json()["variants"] if v["id"] == "supine_twist_full")
    assert again["status"] == "allowed"


def test_clearance_form_page_shows_refusal(world: World) -> None:
    api_student(world, "quin@example.org", "Quin", teacher="new@example.org")
    person = world.repo.find_person("Quin")
    assert person is not None
    u = client(world)
    api_signin(u, "new@example.org")
    csrf = form_token(u.get(f"/students/{person.id}").text, "csrf_token")
    r = u.post(
        f"/students/{person.id}/clearance",
        data={
            "csrf_token": csrf,
            "variants": ["supine_twist_full"],
            "max_knee_drop_deg": "40",
            "date": "2026-01-05",
        },
    )
    assert r.status_code == 403 and "back condition" in r.text
    r = u.post(
        f"/students/{person.id}/clearance",
        data={"variants": ["supine_twist_full"], "max_knee_drop_deg": "40", "date": "2026-01-05"},
    )
    assert r.status_code == 403 and "CSRF" in r.text
    # The trained teacher (once Quin's teacher) clears through the same form.
    world.repo.set_teacher(person.id, world.teacher_id)
    t = client(world)
    api_signin(t, "teacher@example.org")
    csrf = form_token(t.get(f"/students/{person.id}").text, "csrf_token")
    form = {"csrf_token": csrf, "variants": ["supine_twist_full"], "date": "2026-01-05"}
    r = t.post(f"/students/{person.id}/clearance", data={**form, "max_knee_drop_deg": "400"})
    assert r.status_code == 422  # out of range: nothing recorded
    assert world.repo.list_clearances(person.id) == []
    r = t.post(f"/students/{person.id}/clearance", data={**form, "max_knee_drop_deg": "40"})
    assert r.status_code == 303 and r.headers["location"].endswith("?msg=cleared")
    page = t.get(r.headers["location"]).text
    assert "Clearance recorded" in page and "teacher Tess Teacher (2026-01-05)" in page
    # The variant by its name (the record listed its id, "supine_twist_full").
    words = " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", page.split('id="clearance-form"')[1])).split()
    )
    assert "(2026-01-05): Supine twist" in words and "supine_twist_full" not in words
    [cleared] = world.repo.list_clearances(person.id)
    assert (cleared.by_role, cleared.teacher_trained_for_back_problems) == ("teacher", True)
    plan = world.repo.latest_plan(person.id)
    assert plan is not None
    full = next(v for v in plan.data["variants"] if v["id"] == "supine_twist_full")
    assert full["status"] == "allowed" and full["max_knee_drop_deg"] <= 40


def test_progression_decision_needs_a_suggestion_and_staff(world: World) -> None:
    s, s_csrf = api_student(world, "rae@example.org", "Rae")
    person = world.repo.find_person("Rae")
    assert person is not None
    r = s.post(
        f"/api/students/{person.id}/progression",
        json={"decision": "approved"},
        headers={"X-CSRF-Token": s_csrf},
    )
    assert r.status_code == 403
    t = client(world)
    t_csrf = api_signin(t, "teacher@example.org")
    r = t.post(
        f"/api/students/{person.id}/progression",
        json={"decision": "maybe"},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 422
    suggestion = t.get(f"/api/students/{person.id}").json()["suggestion"]
    assert suggestion["action"] == "start" and suggestion["reasons"][0]["rule"] == "PROG-START"
    page = t.get(f"/students/{person.id}").text
    assert 'id="progression-form"' in page
    assert suggestion["reasons"][0]["text"].split(":")[0] in page
    assert "PROG-" not in page and "SAFE-" not in page  # people never see rule ids
    csrf = form_token(page, "csrf_token")
    r = t.post(
        f"/students/{person.id}/progression", data={"csrf_token": csrf, "decision": "declined"}
    )
    assert r.status_code == 303
    assert "Progression declined and recorded." in t.get(r.headers["location"]).text
    assert "script" not in t.get(f"/students/{person.id}?msg=<script>").text.split("<main>")[1]
    r = t.post(
        f"/api/students/{person.id}/progression",
        json={"decision": "approved"},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 204
    decisions = world.repo.list_decisions(person.id)
    assert [(d.decision, d.decided_by) for d in decisions] == [
        ("declined", world.teacher_id),
        ("approved", world.teacher_id),
    ]
    assert decisions[0].suggestion["action"] == "start"
    audit = world.repo.list_audit(actor_id=world.teacher_id)
    actions = [a.action for a in audit if not a.action.startswith("read.")]  # reads: item 9
    assert actions[:2] == ["progression.approved", "progression.declined"]
    # Nothing to decide for a student whose plan allows no twist and who has no sessions.
    api_student(
        world,
        "sid@example.org",
        "Sid",
        intake={**CLINICAL_INTAKE, "red_flags": ["history_of_cancer"]},
    )
    sid = world.repo.find_person("Sid")
    assert sid is not None
    r = t.post(
        f"/api/students/{sid.id}/progression",
        json={"decision": "approved"},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 409


def test_roster_flags_and_pain_trend() -> None:
    from twistcoach.storage.records import SessionRecord, SessionSummary

    def summary(status: str, start: int, pains: tuple[int, ...], over: int) -> SessionSummary:
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        record = SessionRecord(
            1,
            1,
            "A",
            None,
            "supine_twist_partial",
            45.0,
            now,
            now,
            status,
            None,
            start,
            None,
            "browser",
        )
        return SessionSummary(record, 10, 3, 30.0, over, pains, False)

    calm = [summary("completed", 2, (2,), 0), summary("completed", 1, (1,), 0)]
    assert pain_trend(calm) == "falling"
    assert flags_for("ready", calm) == ()
    worse = [summary("completed", 1, (1,), 0), summary("stopped", 1, (4,), 3)]
    assert pain_trend(worse) == "rising"
    assert flags_for("see_clinician_first", worse) == (
        "see a clinician first",
        "pain rises",
        "1 stopped",
        "1 over the cap",
    )
    # Every report counts (issue 22): the start's 1 and the report's 1 are steady; a session
    # with no pain given at all is no data.
    assert pain_trend(worse[:1]) == "steady"
    assert pain_trend([summary("completed", 3, (5,), 0)]) == "rising"
    nothing = SessionSummary(replace(worse[0].session, start_pain=None), 10, 3, 30.0, 0, (), False)
    assert pain_trend([nothing]) == "no data"


# ------------------------------------------------------------------- practice WS


def frame(t: float, name: str = "feluna_reclining_twist_gif_frame000.json") -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text())
    w, h = data["image_size"]
    lm = [
        [x / w, y / h, z / w, v]
        for (x, y), z, v in zip(data["image_xy"], data["image_z"], data["visibility"], strict=True)
    ]
    return {"type": "landmarks", "t": t, "w": w, "h": h, "lm": lm}


def start_session(c: TestClient, csrf: str) -> int:
    r = c.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["session_id"])


def test_practice_start_form_and_forbidden_variant(world: World) -> None:
    c, _ = api_student(world, "sol@example.org", "Sol")
    page = c.get("/practice").text
    assert re.search(r"up to 45°\)</option>", page)  # planning's cap for this session
    assert "SAFE-" not in page and "SCR-" not in page
    csrf = form_token(page, "csrf_token")
    r = c.post(
        "/practice", data={"csrf_token": csrf, "variant": "supine_twist_partial", "start_pain": "3"}
    )
    assert r.status_code == 303
    path, query = r.headers["location"].split("?")
    sid = int(path.rsplit("/", 1)[1])
    assert query == "body=neutral"  # no body model chosen: the neutral one
    live = c.get(f"/practice/{sid}").text
    assert 'src="/mp/pose.js"' in live and 'id="sharp"' in live
    # Set up as advised, the phone is out of reach of the mat: come out of the twist first
    # (a phone test found no page saying so).
    assert 'id="out-of-reach"' in live and "come out of it at once" in live
    assert 'data-cap="45.0"' in live or "data-cap=" in live
    assert 'data-body="neutral"' in live
    # The browser's MediaPipe runs as the Python estimator does (estimator.py).
    found = re.search(r"data-pose='([^']*)'", live)
    assert found is not None
    options = json.loads(html.unescape(found.group(1)))
    assert options == {
        "modelComplexity": estimator.LIVE_MODEL,
        "smoothLandmarks": estimator.SMOOTH_LANDMARKS,
        "minDetectionConfidence": estimator.MIN_DETECTION_CONFIDENCE,
        "minTrackingConfidence": estimator.MIN_TRACKING_CONFIDENCE,
    }
    # The body model for the camera, chosen on the start page, goes to the live page.
    assert '<option value="female">Female</option>' in page
    form = {"csrf_token": csrf, "variant": "supine_twist_partial", "start_pain": "3"}
    r = c.post("/practice", data={**form, "body": "female"})
    assert r.status_code == 303 and r.headers["location"].endswith("?body=female")
    assert 'data-body="female"' in c.get(r.headers["location"]).text
    assert c.get(f"/practice/{sid}?body=tall").status_code == 400
    r = c.post("/practice", data={**form, "body": "x"})
    assert r.status_code == 400 and "unknown body type" in r.text
    r = c.post(
        "/practice", data={"csrf_token": csrf, "variant": "seated_twist_easy", "start_pain": "3"}
    )
    assert r.status_code == 403
    r = c.post(
        "/practice",
        data={"csrf_token": csrf, "variant": "supine_twist_partial", "start_pain": "12"},
    )
    assert r.status_code == 422


def test_ws_bad_messages_get_errors_and_the_connection_stays_sane(world: World) -> None:
    c, csrf = api_student(world, "tia@example.org", "Tia")
    sid = start_session(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text("{not json")
        assert ws.receive_json() == {"type": "error", "message": "message is not JSON"}
        ws.send_text(json.dumps({"type": "dance"}))
        assert "needs a type" in ws.receive_json()["message"]
        ws.send_text(json.dumps({"type": "pain", "level": 11}))
        assert ws.receive_json()["message"].startswith("level:")
        ws.send_text(json.dumps({"type": "pain", "level": "3"}))
        assert ws.receive_json()["type"] == "error"
        ws.send_text(json.dumps({**frame(0.0), "lm": [[0.5, 0.5, 0.0, 1.0]] * 5}))
        assert "33 landmarks" in ws.receive_json()["message"]
        ws.send_text(json.dumps({**frame(0.0), "w": 0}))
        assert ws.receive_json()["message"].startswith("w:")
        ws.send_text(json.dumps({**frame(0.0), "t": float("nan")}).replace("NaN", "1e999"))
        assert ws.receive_json()["type"] == "error"
        ws.send_text("x" * 20000)
        assert "too large" in ws.receive_json()["message"]
        ws.send_bytes(b"\x00\x01")
        assert "not binary" in ws.receive_json()["message"]
        # Still sane: a real frame is coached.
        ws.send_text(json.dumps(frame(0.0)))
        replies = [ws.receive_json()]
        assert replies[0]["type"] in {"event", "cue", "metrics"}
        # Nobody in view (lm null) is a normal frame: tracking lost, not an error.
        ws.send_text(json.dumps({"type": "landmarks", "t": 0.5, "w": 640, "h": 480, "lm": None}))
        ws.send_text(json.dumps({**frame(0.4)}))  # time went backwards
        ws.send_text(json.dumps({"type": "end"}))
        kinds = []
        while True:
            message = ws.receive_json()
            kinds.append(message["type"])
            if message["type"] == "stopped":
                break
        assert message["status"] == "stopped" and message["reason"] == "quit"
        assert kinds.count("error") == 1  # only the backwards frame
    detail = world.repo.get_session(sid)
    assert detail.session.status == "stopped"
    assert [s.t for s in detail.samples] == [0.0]  # one sample a second of session time


def test_ws_landmarks_flow_pain_and_sharp_pain_stops_at_once(world: World) -> None:
    c, csrf = api_student(world, "uri@example.org", "Uri")
    sid = start_session(c, csrf)
    received: list[dict[str, Any]] = []
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        for i in range(12):
            ws.send_text(json.dumps(frame(i * 0.1)))
        ws.send_text(json.dumps(frame(1.15)))
        ws.send_text(json.dumps(frame(1.16)))  # the server's clock, not t, limits the rate
        ws.send_text(json.dumps({"type": "pain", "level": 3}))
        ws.send_text(json.dumps({"type": "sharp"}))
        while True:
            message = ws.receive_json()
            received.append(message)
            if message["type"] == "stopped":
                break
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    kinds = [m["type"] for m in received]
    assert "metrics" in kinds
    metrics = next(m for m in received if m["type"] == "metrics")
    # The browser's gauge draws amber from where the coach's "stay here" begins.
    assert metrics["stay"] == pytest.approx(metrics["cap"] - 15.5)  # under-read at 35-45 deg
    assert received[0]["id"] == "session_started"
    pain_at = next(i for i, m in enumerate(received) if m.get("id") == "pain_reported")
    after_sharp = [m for m in received[pain_at + 1 :] if m["type"] == "cue"]
    first_after = next(
        m
        for m in received[pain_at + 1 :]
        if m.get("priority") == "safety" or m.get("id") == "session_stopped"
    )
    assert first_after["type"] == "cue" and first_after["priority"] == "safety"
    assert after_sharp
    assert received[-1]["reason"] == "sharp_pain"
    detail = world.repo.get_session(sid)
    assert detail.session.status == "stopped" and detail.session.stop_reason == "sharp_pain"
    assert detail.summary.sharp_pain
    assert detail.summary.pain_reports == (3, 10)  # sharp pain counts as 10
    assert len(detail.samples) == 2  # one sample a second of session time (t=0 and t=1)
    ids = [e.event_id for e in detail.events]
    assert "session_started" in ids and "session_stopped" in ids
    # The session is over: a new connection is refused.
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        assert "already ended" in ws.receive_json()["message"]


def test_sharp_pain_after_the_session_ended_locks_the_day(world: World) -> None:
    """Sharp pain felt coming out of the twist, reported on the page once the session has
    ended (a quit here), is stored as a sharp-pain stop: the next start is refused."""
    c, csrf = api_student(world, "ula@example.org", "Ula")
    sid = start_session(c, csrf)
    url = f"/api/sessions/{sid}/sharp"
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        ws.send_text(json.dumps({"type": "end"}))
        while ws.receive_json()["type"] != "stopped":
            pass
    assert world.repo.get_session(sid).session.stop_reason != "sharp_pain"
    assert c.post(url).status_code == 403  # no CSRF token
    other, other_csrf = api_student(world, "uma@example.org", "Uma")
    stranger = other.post(url, headers={"X-CSRF-Token": other_csrf})
    unknown = other.post("/api/sessions/424242/sharp", headers={"X-CSRF-Token": other_csrf})
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json()
    r = c.post(url, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["stop_reason"] == "sharp_pain" and "Stop now" in r.json()["advice"]
    detail = world.repo.get_session(sid)
    assert (detail.session.status, detail.session.stop_reason) == ("stopped", "sharp_pain")
    assert detail.summary.sharp_pain
    again = c.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 403 and "rest of today" in again.json()["detail"]


def test_the_pain_after_the_session_is_stored_once_and_feeds_the_next_cap(
    world: World,
) -> None:
    """The practice page asks "How is your back now?" once the coach has finished: the
    record is closed then, so a pain given on the socket was dropped and "after" always
    read "not given" for web sessions. It is stored through the API, once, by its owner."""
    c, csrf = api_student(world, "ena@example.org", "Ena")
    sid = start_session(c, csrf)  # start pain 2
    url = f"/api/sessions/{sid}/end-pain"
    head = {"X-CSRF-Token": csrf}
    assert c.post(url, json={"end_pain": 3}, headers=head).status_code == 409  # running
    cap_before = c.get("/api/plan").json()
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        ws.send_text(json.dumps({"type": "end"}))
        while ws.receive_json()["type"] != "stopped":
            pass
    assert world.repo.get_session(sid).session.end_pain is None
    assert c.post(url, json={"end_pain": 8}).status_code == 403  # no CSRF token
    other, other_csrf = api_student(world, "eno@example.org", "Eno")
    stranger = other.post(url, json={"end_pain": 8}, headers={"X-CSRF-Token": other_csrf})
    unknown = other.post(
        "/api/sessions/424242/end-pain", json={"end_pain": 8}, headers={"X-CSRF-Token": other_csrf}
    )
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json()
    for bad in ({"end_pain": 11}, {"end_pain": -1}, {"end_pain": True}, {"end_pain": "8"}, {}):
        r = c.post(url, json=bad, headers=head)
        assert r.status_code == 422, (bad, r.text)
        assert "Traceback" not in r.text
    assert world.repo.get_session(sid).session.end_pain is None
    r = c.post(url, json={"end_pain": 8}, headers=head)
    assert r.status_code == 200, r.text
    assert r.json() == {"session_id": sid, "end_pain": 8}
    detail = world.repo.get_session(sid)
    assert detail.session.end_pain == 8 and detail.session.start_pain == 2
    again = c.post(url, json={"end_pain": 1}, headers=head)
    assert again.status_code == 409 and "already recorded" in again.json()["detail"]
    assert world.repo.get_session(sid).session.end_pain == 8
    assert c.get(f"/api/sessions/{sid}").json()["end_pain"] == 8
    # Planning reads it as every end pain: 2 -> 8 is pain that went up, so the cap is one
    # step lower next time (progression's PROG-PAIN, as for a rise said during a session).
    from twistcoach.storage.progress import outcome_of

    outcome = outcome_of(detail.summary)
    assert outcome is not None and outcome.pain_went_up
    assert cap_before["plan"] is not None
    _practised_yesterday(world, sid)
    from twistcoach.storage.progress import suggest_for_person

    suggestion = suggest_for_person(world.repo, detail.session.person_id)
    assert suggestion is not None and suggestion.action == "lower_cap", suggestion
    caps = {v["id"]: v for v in c.get("/api/plan").json()["variants"]}
    was = {v["id"]: v["cap_deg"] for v in cap_before["variants"]}
    partial = caps["supine_twist_partial"]
    assert partial["cap_deg"] < was["supine_twist_partial"]
    assert any(r["rule"] == "SAFE-PAIN-LOWER" for r in partial["reasons"])
    # More than an hour after the end it is not that session's pain.
    late = start_session(c, csrf)
    world.repo.end_session(late, "stopped", "quit")
    _practised_yesterday(world, late)
    r = c.post(f"/api/sessions/{late}/end-pain", json={"end_pain": 3}, headers=head)
    assert r.status_code == 409 and "more than an hour ago" in r.json()["detail"]


def test_ws_refuses_strangers_and_cross_site(world: World) -> None:
    a, a_csrf = api_student(world, "val@example.org", "Val")
    sid = start_session(a, a_csrf)
    b, _ = api_student(world, "wes@example.org", "Wes")
    with b.websocket_connect(f"/ws/practice/{sid}") as ws:
        assert ws.receive_json()["message"] == NOT_VISIBLE_SESSION
    anonymous = client(world)
    with anonymous.websocket_connect(f"/ws/practice/{sid}") as ws:
        assert ws.receive_json()["message"] == "sign in first"
    with a.websocket_connect(
        f"/ws/practice/{sid}", headers={"origin": "https://evil.example"}
    ) as ws:
        assert ws.receive_json()["message"] == "cross-site connection refused"
    with a.websocket_connect("/ws/practice/424242") as ws:
        assert ws.receive_json()["message"] == NOT_VISIBLE_SESSION  # the same: not enumerable
    with a.websocket_connect(f"/ws/practice/{sid}?body=tall") as ws:
        assert ws.receive_json()["message"] == (
            "unknown body type: must be one of neutral, female, male, got 'tall'"
        )
    # The refused attempts changed nothing; the page leaving mid-session keeps the record.
    with a.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        ws.receive_json()
    assert world.repo.get_session(sid).session.status == "interrupted"
    entry = world.repo.list_audit(limit=1)[0]
    assert (entry.action, entry.target, entry.details["status"]) == (
        "session.end",
        f"session:{sid}",
        "interrupted",
    )


def test_unknown_twists_and_ended_sessions_are_refused_in_words_not_ids(world: World) -> None:
    """A start of a twist the library does not have is a 422 in plain words (planning's
    KeyError listed every variant id); so is a stored session of a twist no longer in the
    library, on the practice socket; an ended session's status is said in words."""
    c, csrf = api_student(world, "una@example.org", "Una")
    r = c.post(
        "/api/sessions",
        json={"variant_id": "nope", "start_pain": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 422
    assert r.json()["detail"] == UNKNOWN_TWIST
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", r.text), r.text  # no snake_case id
    person_id = c.get("/api/me").json()["person_id"]
    retired = world.repo.start_session(person_id, "retired_twist", 30.0, source="browser")
    with c.websocket_connect(f"/ws/practice/{retired.id}") as ws:
        assert ws.receive_json()["message"] == UNKNOWN_TWIST
    # That session was closed as refused: a second look says so, in words.
    with c.websocket_connect(f"/ws/practice/{retired.id}") as ws:
        said = ws.receive_json()["message"]
    assert said == f"session {retired.id} has already ended (stopped early)"


def test_emergency_signs_answered_away_stay_until_a_clinicians_review(world: World) -> None:
    """The red team's steps: emergency signs, then the intake again without them at once:
    the plan was 'ready', a session started (201) and the teacher's roster said 'ready'
    with nothing about the signs. A red flag always wins; only a clinician closes it."""
    flagged = {**CLINICAL_INTAKE, "red_flags": ["saddle_numbness", "bladder_dysfunction"]}
    s, csrf = api_student(world, "sam@example.org", "Sam", intake=flagged)
    assert s.get("/api/plan").json()["plan_status"] == "seek_care_now"
    r = s.post("/api/intake", json={**flagged, "red_flags": []}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "seek_care_now"
    assert _start_status(s, csrf, "supine_twist_partial", 2) == 403
    plan = s.get("/api/plan").json()
    assert not any(v["allowed"] for v in plan["variants"])
    assert [f["kind"] for f in plan["open_flags"]] == ["emergency_withdrawn"] * 2
    said = " ".join(r["text"] for r in plan["reasons"])
    assert "a later answer does not take it back" in said and "seek medical care today" in said
    saddle = "numbness in the saddle area (around the bottom, genitals or inner thighs)"
    assert any(saddle in w and "waiting for a clinician's review" in w for w in plan["flag_words"])
    person = world.repo.find_person("Sam")
    assert person is not None
    t = client(world)
    t_csrf = api_signin(t, "teacher@example.org")
    row = t.get("/api/students").json()[0]
    assert row["plan_status"] == "seek_care_now"
    assert any(saddle in f for f in row["flags"]), row["flags"]
    assert saddle in t.get("/dashboard").text
    # A teacher's review closes none of them (403 with the reason); a clinician's does.
    r = t.post(
        f"/api/students/{person.id}/review",
        json={"note": "She says it was a mistake."},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 403 and "only a clinician's review closes them" in r.json()["detail"]
    r = s.post("/api/links", json={"email": "doc@example.org"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    d = client(world)
    d_csrf = api_signin(d, "doc@example.org")
    r = d.post(
        f"/api/students/{person.id}/review",
        json={"note": "Examined her: no saddle numbness, bladder normal."},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["open_flags"] == [] and r.json()["plan_status"] == "ready"
    assert _start_status(s, csrf, "supine_twist_partial", 2) == 201


def test_a_pain_after_the_session_that_would_have_stopped_it_rests_the_day(
    world: World,
) -> None:
    """The stop rule for a pain said during a session (above 5/10, or 2 points over the
    start: CLINICAL.md §5) holds for the pain given after it: 2 -> 6 after the end rests
    the rest of the day as a pain stop does (it let the person start again at once); a
    point up does not."""

    def session_with_end_pain(email: str, end_pain: int) -> tuple[Any, dict[str, str]]:
        c, csrf = api_student(world, email, email.split("@")[0].title())
        sid = start_session(c, csrf)  # start pain 2
        with c.websocket_connect(f"/ws/practice/{sid}") as ws:
            ws.send_text(json.dumps(frame(0.0)))
            ws.send_text(json.dumps({"type": "end"}))
            while ws.receive_json()["type"] != "stopped":
                pass
        head = {"X-CSRF-Token": csrf}
        r = c.post(f"/api/sessions/{sid}/end-pain", json={"end_pain": end_pain}, headers=head)
        assert r.status_code == 200, r.text
        return c, head

    c, head = session_with_end_pain("ula@example.org", 6)
    again = c.post(
        "/api/sessions", json={"variant_id": "supine_twist_partial", "start_pain": 2}, headers=head
    )
    assert again.status_code == 403 and "No more twists today" in again.json()["detail"], again.text
    plan = c.get("/api/plan").json()
    assert not any(v["allowed"] for v in plan["variants"])
    c, head = session_with_end_pain("uma@example.org", 3)
    again = c.post(
        "/api/sessions", json={"variant_id": "supine_twist_partial", "start_pain": 2}, headers=head
    )
    assert again.status_code == 201, again.text
