"""Safety across sessions in the web app (issue 15): planning is the one authority.

The same person and events as ``tests/test_planning.py``, driven through the HTTP API, the
pages and the practice WebSocket with a settable clock: sharp pain locks the rest of the
day, the next day asks a check-in first, a bad check-in sends the student to care, a flag
stays on the teacher's and clinician's views until a review, and no clearance raises a cap
or opens a twist while it is open.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from students import CLINICAL_INTAKE, PASSWORD
from twistcoach.planning import load_safety_rules
from twistcoach.storage import Repository, create_engine_for_url, init_db
from twistcoach.web import WebSettings, create_app
from twistcoach.web.security import PasswordService

PARTIAL = "supine_twist_partial"
FULL = "supine_twist_full"
#: Noon local time: the sharp-pain lock lasts until the local midnight.
DAY1 = dt.datetime(2026, 12, 1, 12, 0).astimezone()
SHARP_FLAG = "Sharp pain stopped a session on 2026-12-01 — waiting for review"


class Clock:
    """A settable clock for the repository (aware datetimes)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    app: Any
    repo: Repository
    clock: Clock
    teacher_id: int


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'safety.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    clock = Clock(DAY1)
    repo = Repository(engine, clock=clock)
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    teacher = repo.create_account("teacher@example.org", "Tess Teacher", hashed, "teacher", True)
    repo.create_account("other@example.org", "Otto Other", hashed, "teacher", True)
    repo.create_account("doc@example.org", "Dr Cleo", hashed, "clinician")
    settings = WebSettings(database_url=url, password_time_cost=1, password_memory_kib=1024)
    yield World(create_app(settings, clock=clock), repo, clock, teacher.id)
    engine.dispose()


def client(world: World) -> TestClient:
    return TestClient(world.app, raise_server_exceptions=False, follow_redirects=False)


def signin(world: World, email: str) -> tuple[TestClient, str]:
    c = client(world)
    r = c.post("/api/signin", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, str(r.json()["csrf_token"])


def student(world: World, name: str = "Robin") -> tuple[TestClient, str, int]:
    """A student of the teacher with the clinical intake: (client, csrf, person id)."""
    c = client(world)
    r = c.post(
        "/api/signup",
        json={
            "email": f"{name.lower()}@example.org",
            "display_name": name,
            "password": PASSWORD,
            "teacher_email": "teacher@example.org",
        },
    )
    assert r.status_code == 202, r.text  # sign-up never signs in (issue 16: neutral answers)
    r = c.post("/api/signin", json={"email": f"{name.lower()}@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = str(r.json()["csrf_token"])
    r = c.post("/api/intake", json=CLINICAL_INTAKE, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    person = world.repo.find_person(name)
    assert person is not None
    # Clinicians see only the students who linked them (issue 16, item 9).
    world.repo.add_link(person.id, "doc@example.org")
    world.clock.advance(minutes=1)
    return c, csrf, person.id


def start(c: TestClient, csrf: str, variant: str = PARTIAL) -> Any:
    return c.post(
        "/api/sessions",
        json={"variant_id": variant, "start_pain": 2},
        headers={"X-CSRF-Token": csrf},
    )


def sharp_stop(world: World, c: TestClient, csrf: str) -> int:
    """Start a session and press "Sharp pain — stop" on the practice socket."""
    r = start(c, csrf)
    assert r.status_code == 201, r.text
    sid = int(r.json()["session_id"])
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps({"type": "sharp"}))
        while (message := ws.receive_json())["type"] != "stopped":
            pass
    assert message["reason"] == "sharp_pain"
    assert world.repo.get_session(sid).summary.sharp_pain
    return sid


def text_of(page: str) -> str:
    """The page's visible text, unescaped, on one line (for phrase checks)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert match
    return match.group(1)


def permission(c: TestClient, variant: str) -> dict[str, Any]:
    got: dict[str, Any] = next(
        v for v in c.get("/api/plan").json()["variants"] if v["id"] == variant
    )
    return got


def same_as_planning(world: World, c: TestClient, person_id: int) -> None:
    """The API's decision is planning's, as the CLI gets it (one source of truth)."""
    from twistcoach.storage.progress import decide_for_person

    got = c.get("/api/plan").json()
    for key in ("plan", "plan_id", "flag_words"):
        got.pop(key)
    assert got == decide_for_person(world.repo, person_id).to_json_dict()


def checkin(c: TestClient, csrf: str, back: str = "same", legs: bool = False) -> Any:
    return c.post(
        "/api/checkin",
        json={"back": back, "new_leg_symptoms": legs, "weakness_or_numbness": False},
        headers={"X-CSRF-Token": csrf},
    )


# ----------------------------------------------------------------------- sharp pain


def test_sharp_pain_locks_the_day_then_a_checkin_then_practice_one_step_lower(
    world: World,
) -> None:
    s, csrf, person_id = student(world)
    assert permission(s, PARTIAL)["cap_deg"] == 45
    sharp_stop(world, s, csrf)

    # Three minutes later, the same day: refused on every surface, with the reason.
    world.clock.advance(minutes=3)
    r = start(s, csrf)
    assert r.status_code == 403
    assert "No twists for the rest of today" in r.json()["detail"]
    assert len(world.repo.list_sessions(person_id)) == 1  # nothing opened
    plan = s.get("/api/plan").json()
    assert plan["locked_until"] is not None and not any(v["allowed"] for v in plan["variants"])
    assert plan["reasons"][0]["rule"] == "SAFE-SHARP-TODAY"
    same_as_planning(world, s, person_id)
    page = s.get("/practice")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "No twists for the rest of today" in words
    assert 'id="start-form"' not in page.text and 'id="checkin-form"' not in page.text
    assert "SAFE-" not in page.text  # people never see rule ids
    plan_page = text_of(s.get("/plan").text)
    assert "No twists for the rest of today" in plan_page and "Practise now" not in plan_page
    # The start form, posted anyway (a stale page), is refused with the reason.
    token = form_token(page.text)
    r = s.post("/practice", data={"csrf_token": token, "variant": PARTIAL, "start_pain": "2"})
    assert r.status_code == 403 and "No twists for the rest of today" in text_of(r.text)
    assert checkin(s, csrf).status_code == 409  # no check-in until the next day

    # The next day: a check-in first.
    world.clock.advance(days=1)
    r = start(s, csrf)
    assert r.status_code == 403 and "answer three short questions" in r.json()["detail"]
    assert s.get("/api/plan").json()["needs_checkin"] is True
    same_as_planning(world, s, person_id)
    page = s.get("/practice")
    questions = load_safety_rules().checkin
    assert 'id="checkin-form"' in page.text and 'action="/practice/checkin"' in page.text
    for question in (
        questions.question_back,
        questions.question_leg,
        questions.question_weakness,
    ):
        assert question in text_of(page.text)
    token = form_token(page.text)
    answers = {"back": "same", "new_leg_symptoms": "no", "weakness_or_numbness": "no"}
    r = s.post("/practice/checkin", data=answers)  # no CSRF token: refused, nothing stored
    assert r.status_code == 403 and world.repo.list_checkins(person_id) == []
    r = s.post("/practice/checkin", data={**answers, "csrf_token": token, "back": "meh"})
    assert r.status_code == 422 and world.repo.list_checkins(person_id) == []
    r = s.post("/practice/checkin", data={**answers, "csrf_token": token, "new_leg_symptoms": "?"})
    assert r.status_code == 422 and world.repo.list_checkins(person_id) == []
    r = s.post("/practice/checkin", data={**answers, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/practice?msg=checkin"
    [stored] = world.repo.list_checkins(person_id)
    assert (stored.back, stored.new_leg_symptoms, stored.weakness_or_numbness) == (
        "same",
        False,
        False,
    )
    audit = world.repo.list_audit(limit=1)[0]
    assert audit.action == "safety.checkin" and audit.details["back"] == "same"
    assert checkin(s, csrf).status_code == 409  # answered: not asked again

    # Practice resumes one step lower than the session that hurt (45 -> 40).
    page = s.get(r.headers["location"]).text
    assert 'id="start-form"' in page and "up to 40°" in page
    assert "Pain went up in your session on 2026-12-01" in text_of(page)
    assert permission(s, PARTIAL)["cap_deg"] == 40
    same_as_planning(world, s, person_id)
    r = start(s, csrf)
    assert r.status_code == 201, r.text
    assert world.repo.get_session(r.json()["session_id"]).session.cap_deg == 40
    entry = world.repo.list_audit(limit=1)[0]
    assert entry.action == "session.start" and entry.details["cap_deg"] == 40
    assert "SAFE-PAIN-LOWER" in entry.details["rules"]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_sharp_pain_lock_lasts_the_rest_of_the_persons_own_day(world: World, zone: str) -> None:
    """A day 25 hours apart (UTC+14, UTC-11): whatever zone the server runs in, the lock
    ends at the midnight of the zone the page said, and a later start said to be elsewhere
    cannot shorten it."""
    s, csrf, person_id = student(world)
    r = s.post(
        "/api/sessions",
        json={"variant_id": PARTIAL, "start_pain": 2, "time_zone": zone},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    sid = int(r.json()["session_id"])
    with s.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps({"type": "sharp"}))
        while ws.receive_json()["type"] != "stopped":
            pass
    stored = world.repo.get_session(sid).session
    assert stored.time_zone == zone
    there = ZoneInfo(zone)
    day = stored.started_at.astimezone(there).date()
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=there)
    plan = s.get("/api/plan").json()
    assert dt.datetime.fromisoformat(plan["locked_until"]) == midnight
    same_as_planning(world, s, person_id)

    # A minute before that midnight, a start said to be in the zone whose day ends first
    # (UTC+14, or where the server is) is still refused.
    world.clock.now = midnight - dt.timedelta(minutes=1)
    for other in ("Pacific/Kiritimati", "UTC"):
        r = s.post(
            "/api/sessions",
            json={"variant_id": PARTIAL, "start_pain": 2, "time_zone": other},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 403 and "No twists for the rest of today" in r.json()["detail"]
    # Just after it: the next step, a check-in first.
    world.clock.now = midnight + dt.timedelta(minutes=1)
    r = start(s, csrf)
    assert r.status_code == 403 and "answer three short questions" in r.json()["detail"]


def test_a_time_zone_nobody_knows_is_refused(world: World) -> None:
    s, csrf, person_id = student(world)
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "Europe", "zone.tab", ""):
        r = s.post(
            "/api/sessions",
            json={"variant_id": PARTIAL, "start_pain": 2, "time_zone": bad},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 422, r.text
        assert "time zone" in r.json()["detail"]
    assert world.repo.list_sessions(person_id) == []
    # The page's form: an empty field (no Intl time zone in the browser) is the server's.
    token = form_token(s.get("/practice").text)
    form = {"csrf_token": token, "variant": PARTIAL, "start_pain": "2", "time_zone": ""}
    r = s.post("/practice", data=form)
    assert r.status_code == 303, r.text
    assert world.repo.list_sessions(person_id)[0].session.time_zone is None


def test_a_checkin_with_new_leg_symptoms_sends_to_care_until_a_review(world: World) -> None:
    s, csrf, person_id = student(world)
    sharp_stop(world, s, csrf)
    world.clock.advance(days=1)
    r = checkin(s, csrf, legs=True)
    assert r.status_code == 200, r.text
    care = "Please see a healthcare professional before any twist"
    assert care in " ".join(x["text"] for x in r.json()["reasons"])
    assert not any(v["allowed"] for v in r.json()["variants"])
    r = start(s, csrf)
    assert r.status_code == 403 and care in r.json()["detail"]
    assert care in text_of(s.get("/practice").text)
    assert 'id="checkin-form"' not in s.get("/practice").text
    assert checkin(s, csrf).status_code == 409  # the answer stands until a review
    # The plan's headline never says "ready" above a list of twists all shut now.
    headline = text_of(s.get("/plan").text)
    assert "none may be practised now" in headline and "You are ready" not in headline

    t, t_csrf = signin(world, "teacher@example.org")
    flags = t.get(f"/api/students/{person_id}").json()["open_flags"]
    assert {f["kind"] for f in flags} == {"sharp_pain", "checkin_care"}
    row = t.get("/api/students").json()[0]
    assert row["flags"][0] == SHARP_FLAG
    assert (
        "numbness or weakness were reported on 2026-12-02 — waiting for a clinician's review"
        in row["flags"][1]
    )
    world.clock.advance(hours=3)  # the review comes later than the answer it reviews
    # A teacher's review closes the sharp-pain flag, not the nerve signs (SAFE-CARE-REVIEW).
    r = t.post(
        f"/api/students/{person_id}/review",
        json={"note": "Talked it through; she is seeing her GP."},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 200, r.text
    assert [f["kind"] for f in r.json()["open_flags"]] == ["checkin_care"]
    assert start(s, csrf).status_code == 403
    only_clinician = "only a clinician's review closes them"
    page = t.get(f"/students/{person_id}").text
    assert 'id="review-refused"' in page and only_clinician in text_of(page)
    assert 'name="note"' not in page  # no form a teacher could not use
    world.clock.advance(minutes=5)
    r = t.post(
        f"/api/students/{person_id}/review",
        json={"note": "Saw her GP: no nerve signs, symptoms settled."},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 403 and only_clinician in r.json()["detail"]
    form = {"csrf_token": form_token(t.get("/dashboard").text), "note": "Saw her GP."}
    r = t.post(f"/students/{person_id}/review", data=form)
    assert r.status_code == 403 and only_clinician in text_of(r.text)
    assert len(world.repo.list_reviews(person_id)) == 1  # the teacher's first one only
    # The clinician's review closes it.
    d, d_csrf = signin(world, "doc@example.org")
    r = d.post(
        f"/api/students/{person_id}/review",
        json={"note": "Examined her: no nerve signs, symptoms settled."},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["open_flags"] == [] and r.json()["reasons"] == []
    assert "You are ready to practise" in text_of(s.get("/plan").text)
    r = start(s, csrf)
    assert r.status_code == 201, r.text
    assert world.repo.get_session(r.json()["session_id"]).session.cap_deg == 40


def test_a_teacher_s_review_that_leaves_nerve_signs_open_never_says_all_closed(
    world: World,
) -> None:
    s, csrf, person_id = student(world)
    sharp_stop(world, s, csrf)
    world.clock.advance(days=1)
    assert checkin(s, csrf, legs=True).status_code == 200
    world.clock.advance(hours=3)
    t, _ = signin(world, "teacher@example.org")
    form = {"csrf_token": form_token(t.get("/dashboard").text), "note": "Talked it through."}
    r = t.post(f"/students/{person_id}/review", data=form, follow_redirects=True)
    assert r.status_code == 200
    said = text_of(r.text)
    assert "safety flags are closed" not in said
    assert "only a clinician's review closes it" in said


def test_a_clearance_that_opens_nothing_never_says_the_plan_was_made_again(
    world: World,
) -> None:
    s, csrf, person_id = student(world, "Rita")
    r = s.post(
        "/api/intake",
        json={**CLINICAL_INTAKE, "red_flags": ["history_of_cancer"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200
    t, _ = signin(world, "teacher@example.org")  # trained: still cannot lift a red flag
    form = {
        "csrf_token": form_token(t.get(f"/students/{person_id}").text),
        "variants": ["supine_twist_full"],
        "max_knee_drop_deg": "40",
        "date": world.clock.now.date().isoformat(),
    }
    r = t.post(f"/students/{person_id}/clearance", data=form, follow_redirects=True)
    said = text_of(r.text)
    assert "opens none of the twists it names" in said
    assert "the plan was made again with it" not in said


def test_teacher_sees_the_flag_and_a_clearance_waits_for_the_review(world: World) -> None:
    s, csrf, person_id = student(world)
    sharp_stop(world, s, csrf)
    world.clock.advance(minutes=5)

    # The teacher's roster and the student's page show the flag first and prominently.
    t, t_csrf = signin(world, "teacher@example.org")
    [row] = t.get("/api/students").json()
    assert row["flags"][0] == SHARP_FLAG and row["open_flags"] == [SHARP_FLAG]
    assert "pain rises" in row["flags"] and "1 stopped" in row["flags"]
    # Locked for today: the roster never says "ready" (the student's page says "not now").
    assert row["plan_status"] == "not_now"
    assert SHARP_FLAG in text_of(t.get("/dashboard").text)
    assert 'class="status-not_now">not now<' in t.get("/dashboard").text
    page = t.get(f"/students/{person_id}").text
    assert 'id="review-form"' in page and SHARP_FLAG in text_of(page)
    assert 'id="clearance-held"' in page
    assert "will not raise the cap or open a twist until you record a review" in text_of(page)
    assert "SAFE-" not in page
    detail = t.get(f"/api/students/{person_id}").json()
    assert [f["kind"] for f in detail["open_flags"]] == ["sharp_pain"]
    assert detail["decision"]["flag_words"] == [SHARP_FLAG]
    # Another teacher cannot see or review this student (404, as for an unknown id).
    o, o_csrf = signin(world, "other@example.org")
    r = o.post(
        f"/api/students/{person_id}/review", json={"note": "x"}, headers={"X-CSRF-Token": o_csrf}
    )
    assert r.status_code == 404 and world.repo.list_reviews(person_id) == []
    # Students do not review.
    r = s.post(
        f"/api/students/{person_id}/review", json={"note": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 403

    # A clinician clears the full twist while the flag is open: kept, but opens nothing.
    d, d_csrf = signin(world, "doc@example.org")
    body = {"variants": [FULL], "max_knee_drop_deg": 50, "date": "2026-12-01"}
    r = d.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 200, r.text
    full = next(v for v in r.json()["variants"] if v["id"] == FULL)
    assert not full["allowed"] and full["cap_deg"] is None
    assert "SAFE-CLEARANCE-HELD" in [x["rule"] for x in full["reasons"]]
    assert len(world.repo.list_clearances(person_id)) == 1
    # The page form says the clearance is held.
    token = form_token(t.get(f"/students/{person_id}").text)
    r = t.post(
        f"/students/{person_id}/clearance",
        data={
            "csrf_token": token,
            "variants": [FULL],
            "max_knee_drop_deg": "45",
            "date": "2026-12-01",
        },
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?msg=cleared_held")
    assert "will not raise the cap or open a twist" in text_of(t.get(r.headers["location"]).text)

    # The next day, after a good check-in: practice resumes, but the full twist stays shut.
    world.clock.advance(days=1)
    assert checkin(s, csrf).status_code == 200
    assert permission(s, PARTIAL)["allowed"]
    assert not permission(s, FULL)["allowed"]
    plan_page = text_of(s.get("/plan").text)
    assert (
        "is not used yet: it was recorded while a safety flag was waiting for review" in plan_page
    )
    assert start(s, csrf, FULL).status_code == 403
    # Still flagged for the teacher: a check-in is not a review.
    assert t.get("/api/students").json()[0]["flags"][0] == SHARP_FLAG

    # The review, through the page form (CSRF checked, a note needed).
    world.clock.advance(hours=1)
    page = t.get(f"/students/{person_id}").text
    token = form_token(page)
    r = t.post(f"/students/{person_id}/review", data={"note": "Talked it through."})
    assert r.status_code == 403 and world.repo.list_reviews(person_id) == []
    r = t.post(f"/students/{person_id}/review", data={"csrf_token": token, "note": "  "})
    assert r.status_code == 422 and "write a note" in text_of(r.text)
    r = t.post(
        f"/students/{person_id}/review",
        data={"csrf_token": token, "note": "Talked it through; pain settled overnight."},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?msg=reviewed")
    [review] = world.repo.list_reviews(person_id)
    assert (review.by_role, review.by_name, review.reviewed_by) == (
        "teacher",
        "Tess Teacher",
        world.teacher_id,
    )
    entry = world.repo.list_audit(limit=1)[0]
    assert entry.action == "safety.review" and entry.details["flags"][0]["kind"] == "sharp_pain"
    after = t.get(r.headers["location"]).text
    assert 'id="review-form"' not in after and 'id="clearance-held"' not in after
    assert t.get("/api/students").json()[0]["open_flags"] == []
    r = t.post(
        f"/api/students/{person_id}/review",
        json={"note": "again"},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 409  # nothing open

    # Now the clearance counts: the full twist opens, within the clearance's cap.
    full = permission(s, FULL)
    assert full["allowed"] and full["cap_deg"] <= 45
    r = start(s, csrf, FULL)
    assert r.status_code == 201, r.text


def test_a_pain_rise_stop_lowers_the_next_session_cap(world: World) -> None:
    s, csrf, _ = student(world)
    sid = int(start(s, csrf).json()["session_id"])
    world.repo.add_pain(sid, 3.0, 5)
    world.repo.end_session(sid, "stopped", "pain_rise", 5)
    world.clock.advance(minutes=10)
    # The rest of that day: no restart ("let's stop here ... rest").
    assert start(s, csrf).status_code == 403
    assert "Pain stopped your practice today" in text_of(s.get("/practice").text)
    world.clock.advance(days=1)
    cap = permission(s, PARTIAL)["cap_deg"]
    assert cap is not None and cap < 45
    page = s.get("/practice").text
    assert f"up to {cap:.0f}°; your plan allows 45°" in page
    assert "Pain went up in your session on 2026-12-01" in text_of(page)
    r = start(s, csrf)
    assert r.status_code == 201
    assert world.repo.get_session(r.json()["session_id"]).session.cap_deg == cap
    # Not a sharp-pain stop: the next day needs no check-in, and no flag is raised.
    assert checkin(s, csrf).status_code == 409


def test_plan_page_says_clipped_and_not_measured_in_plain_words(world: World) -> None:
    s, csrf, person_id = student(world)
    d, d_csrf = signin(world, "doc@example.org")
    body = {"variants": [FULL, "seated_twist_easy"], "max_knee_drop_deg": 60, "date": "2026-12-01"}
    r = d.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 200, r.text
    page = s.get("/plan").text
    assert "SAFE-" not in page and "range_cap" not in page  # never an internal id
    full = text_of(page.split('data-variant="supine_twist_full"')[1].split("</tr>")[0])
    assert "allowed now, up to 45°" in full
    assert "asks for up to 60 degrees, but your plan allows 45 degrees" in full
    seated = text_of(page.split('data-variant="seated_twist_easy"')[1].split("</tr>")[0])
    # Issue 20: the seated coach measures the trunk rotation; the cap is said in its words.
    assert "allowed now, up to 22°" in seated
    assert "chest turned at most about 22° from your hips" in seated
    hard = text_of(page.split('data-variant="seated_twist_marichyasana"')[1].split("</tr>")[0])
    assert "not now" in hard and "allowed now" not in hard
    # The practice page offers what the coach can keep under a cap: the seated twist too.
    practice = s.get("/practice").text
    assert 'value="supine_twist_full"' in practice and 'value="seated_twist_easy"' in practice
    # Each twist's own camera place (lying: by the feet; seated: in front), the first shown.
    from twistcoach.recognition import ADVICE_RECOMMENDED
    from twistcoach.seated_tracking import load_seated_camera_advice

    lying = practice.split('data-variant="supine_twist_partial"')[1].split("</p>")[0]
    sitting = practice.split('data-variant="seated_twist_easy"')[1].split("</p>")[0]
    assert text_of(lying.split(">", 1)[1]) == text_of(ADVICE_RECOMMENDED)
    assert text_of(sitting.split(">", 1)[1]) == text_of(load_seated_camera_advice().recommended)
    shown = [p for p in practice.split('class="camera-advice"')[1:] if " hidden>" not in p[:80]]
    assert len(shown) == 1 and sitting.startswith(" hidden>")  # the page's script follows
    r = start(s, csrf, "seated_twist_marichyasana")
    assert r.status_code == 403
    assert start(s, csrf, "no_such_twist").status_code == 422


def test_checkin_and_review_bad_input_is_4xx(world: World) -> None:
    s, csrf, person_id = student(world)
    bad = {"back": "meh", "new_leg_symptoms": False, "weakness_or_numbness": False}
    assert s.post("/api/checkin", json=bad, headers={"X-CSRF-Token": csrf}).status_code == 422
    good = {**bad, "back": "same"}
    assert s.post("/api/checkin", json=good).status_code == 403  # no CSRF header
    assert s.post("/api/checkin", json=good, headers={"X-CSRF-Token": csrf}).status_code == 409
    t, t_csrf = signin(world, "teacher@example.org")
    assert t.post("/api/checkin", json=good, headers={"X-CSRF-Token": t_csrf}).status_code == 403
    for note in ("", "x" * 2001):
        r = t.post(
            f"/api/students/{person_id}/review",
            json={"note": note},
            headers={"X-CSRF-Token": t_csrf},
        )
        assert r.status_code == 422
    r = t.post("/api/students/9999/review", json={"note": "x"}, headers={"X-CSRF-Token": t_csrf})
    assert r.status_code == 404
    paths = t.get("/openapi.json").json()["paths"]
    assert "/api/checkin" in paths and "/api/students/{person_id}/review" in paths


def test_an_old_intake_that_carries_clearances_still_counts(world: World) -> None:
    s, csrf, person_id = student(world)
    clearance = {
        "by": "clinician",
        "name": "Dr Old",
        "date": "2026-11-01",
        "variants": [FULL],
        "max_knee_drop_deg": 40,
    }
    world.repo.save_intake(person_id, {**CLINICAL_INTAKE, "clearances": [clearance]})
    world.clock.advance(minutes=1)
    full = permission(s, FULL)
    assert full["allowed"] and full["cap_deg"] == 40
    page = s.get("/intake")
    assert page.status_code == 200 and "Dr Old" not in page.text  # staff-only field
    assert start(s, csrf, FULL).status_code == 201


def _meanwhile(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    elsewhere: Callable[[TestClient, str, int, int], None],
) -> tuple[list[dict[str, Any]], dict[str, Any], TestClient, int]:
    """A student's session running on the practice socket while ``elsewhere(client, csrf,
    person id, session id)`` stores something: the messages until the stop, the stop, the
    student's client and the session's id. Every message asks planning again
    (``PLAN_RECHECK_S`` 0)."""
    import twistcoach.web.practice as practice

    monkeypatch.setattr(practice, "PLAN_RECHECK_S", 0.0)
    c, csrf, person_id = student(world)
    r = start(c, csrf)
    assert r.status_code == 201, r.text
    sid = int(r.json()["session_id"])
    landmarks = {"type": "landmarks", "t": 0.0, "w": 640, "h": 480, "lm": None}
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(landmarks))
        assert ws.receive_json()["type"] != "stopped"
        elsewhere(c, csrf, person_id, sid)
        ws.send_text(json.dumps({**landmarks, "t": 0.5}))
        received = []
        while (message := ws.receive_json())["type"] != "stopped":
            received.append(message)
    return received, message, c, sid


def _stop_cues(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in received if m["type"] == "cue" and m["id"].startswith("stop_")]


@pytest.mark.parametrize("elsewhere", ["red_flag", "sharp_pain"])
def test_a_running_session_stops_when_planning_withdraws_it(
    world: World, monkeypatch: pytest.MonkeyPatch, elsewhere: str
) -> None:
    """Emergency signs answered in a new intake, or sharp pain stopping another session,
    while a session runs on the practice socket: the coach stops it with planning's reason
    (it had gone on coaching 'sink further' at its old cap)."""

    def store(c: TestClient, csrf: str, person_id: int, sid: int) -> None:
        if elsewhere == "red_flag":
            emergency = {**CLINICAL_INTAKE, "red_flags": ["saddle_numbness"]}
            r = c.post("/api/intake", json=emergency, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 200, r.text
        else:
            # Sharp pain in a session of another device: the database says so.
            other = world.repo.start_session(person_id, PARTIAL, 40.0, "test", start_pain=2)
            world.repo.add_pain(other.id, 1.0, None, sharp=True)
            world.repo.end_session(other.id, "stopped", "sharp_pain")

    received, message, c, sid = _meanwhile(world, monkeypatch, store)
    stops = _stop_cues(received)
    assert [m["id"] for m in stops] == ["stop_plan_withdrawn"], received
    assert stops[0]["priority"] == "safety" and "no longer allows" in stops[0]["text"]
    said = "urgent medical care" if elsewhere == "red_flag" else "Sharp pain"
    assert said in stops[0]["text"], stops[0]["text"]  # planning's own reason
    assert message["reason"] == "plan_withdrawn"
    session = world.repo.get_session(sid).session
    assert (session.status, session.stop_reason) == ("stopped", "plan_withdrawn")
    history = c.get("/history").text
    assert "the plan no longer allowed it" in text_of(history)


def test_a_sharp_message_over_the_size_limit_still_stops(world: World) -> None:
    """Sharp pain always wins, however it is sent: a sharp message padded past the socket's
    size limit stops the session (it was answered "message too large" and coaching went
    on); any other oversized message is still refused."""
    c, csrf, _ = student(world)
    r = start(c, csrf)
    assert r.status_code == 201, r.text
    sid = int(r.json()["session_id"])
    limit = WebSettings(database_url="sqlite://").max_ws_message_bytes
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps({"type": "pain", "level": 2, "pad": "x" * limit}))
        assert "too large" in ws.receive_json()["message"]
        ws.send_text(json.dumps({"type": "sharp", "pad": "x" * limit}))
        while (message := ws.receive_json())["type"] != "stopped":
            pass
    assert message["reason"] == "sharp_pain"
    assert world.repo.get_session(sid).summary.sharp_pain


def test_a_web_start_never_cuts_off_the_desktop_coach(world: World) -> None:
    """A session the desktop coach is recording now (its process runs) is not 'replaced by
    a new session' from the web: it was marked interrupted mid-hold and the coach failed."""
    c, csrf, person_id = student(world)
    desktop = world.repo.start_session(person_id, PARTIAL, 40.0, "video:demo.mp4", start_pain=2)
    r = start(c, csrf)
    assert r.status_code == 409 and "desktop coach" in r.json()["detail"]
    assert world.repo.get_session(desktop.id).session.status == "running"
    world.repo.end_session(desktop.id, "stopped", "quit")
    assert start(c, csrf).status_code == 201


def test_a_running_session_stops_when_its_plan_cap_goes_down(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A care plan saved while a session runs lowers its twist's cap: the coach stops it
    (it went on at its old cap, and could invite the knees past the new one)."""
    d, _ = signin(world, "doc@example.org")

    def care_plan(c: TestClient, csrf: str, person_id: int, sid: int) -> None:
        token = form_token(d.get(f"/students/{person_id}/care-plan").text)
        r = d.post(
            f"/students/{person_id}/care-plan",
            data={
                "csrf_token": token,
                "variant": [PARTIAL],
                f"cap_{PARTIAL}": "15",
                "sessions_per_week": "3",
                "review_date": (DAY1 + dt.timedelta(days=30)).date().isoformat(),
            },
        )
        assert r.status_code == 303, r.text

    received, message, _, _ = _meanwhile(world, monkeypatch, care_plan)
    stops = _stop_cues(received)
    assert [m["id"] for m in stops] == ["stop_plan_withdrawn"], received
    assert "range for this twist is now 15°" in stops[0]["text"]
    assert message["reason"] == "plan_withdrawn"


def test_sharp_pain_from_another_window_stops_the_running_session(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sharp pain pressed in a second tab of a running session (its socket refused): the
    API stores it in the session and the coaching socket stops for it as sharp pain (it
    was answered 'still running' and lost)."""

    tokens: list[str] = []

    def second_tab(c: TestClient, csrf: str, person_id: int, sid: int) -> None:
        tokens.append(csrf)
        r = c.post(f"/api/sessions/{sid}/sharp", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text

    _, message, c, sid = _meanwhile(world, monkeypatch, second_tab)
    assert message["reason"] == "sharp_pain"
    session = world.repo.get_session(sid).session
    assert (session.status, session.stop_reason) == ("stopped", "sharp_pain")
    assert start(c, tokens[0]).status_code == 403  # the rest of the day is locked
