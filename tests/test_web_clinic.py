"""Clinicians on the web (issue 21): the FHIR download and API, the clinical PDF, the care
plan a clinician writes (only ever narrowing planning), and the audit view."""

from __future__ import annotations

import io
import re
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from test_web_safety import (
    PARTIAL,
    World,
    client,
    form_token,
    signin,
    start,
    student,
    text_of,
    world,
)

__all__ = ["world"]  # the fixture, re-exported for pytest


def test_staff_download_the_fhir_bundle_and_the_report_others_cannot(world: World) -> None:
    s, csrf, person_id = student(world)
    assert start(s, csrf).status_code == 201
    doc, _ = signin(world, "doc@example.org")
    r = doc.get(f"/api/students/{person_id}/fhir")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(r.json())  # validates every resource
    kinds = {e.resource.get_resource_type() for e in bundle.entry or []}
    assert {"Patient", "CarePlan", "Goal", "QuestionnaireResponse"} <= kinds
    r = doc.get(f"/students/{person_id}/fhir.json")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    pdf = doc.get(f"/students/{person_id}/report.pdf?start=2026-11-01&end=2026-12-31")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Robin" in text and "45" in text
    # In the pages' language: a clinician reading Spanish pages gets a Spanish report.
    pdf = doc.get(f"/students/{person_id}/report.pdf?lang=es")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "informe clínico" in text and "clinical report" not in text
    doc.get("/dashboard?lang=en")  # back to English for the rest
    assert (
        doc.get(f"/students/{person_id}/report.pdf?start=2026-12-31&end=2026-11-01").status_code
        == 422
    )
    # The last day there is has no day after it: a 500 (an OverflowError) until refused.
    assert doc.get(f"/students/{person_id}/report.pdf?end=9999-12-31").status_code == 422
    # A student (the wrong role: 403), and staff the student did not link, get nothing;
    # those staff the same 404 as for an id nobody has (ids cannot be enumerated).
    assert s.get(f"/api/students/{person_id}/fhir").status_code == 403
    other, _ = signin(world, "other@example.org")
    assert other.get(f"/api/students/{person_id}/fhir").status_code == 404
    assert other.get(f"/students/{person_id}/report.pdf").status_code == 404
    assert doc.get("/api/students/999999/fhir").status_code == 404
    actions = [e.action for e in world.repo.list_audit(limit=50)]
    assert "export.fhir" in actions and "export.report" in actions


def test_a_clinicians_care_plan_narrows_what_the_student_practises(world: World) -> None:
    s, csrf, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    page = doc.get(f"/students/{person_id}/care-plan")
    assert page.status_code == 200 and "Care plan for Robin" in text_of(page.text)
    token = form_token(page.text)
    r = doc.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": [PARTIAL],
            f"cap_{PARTIAL}": "70",  # above what screening allows (45): held at 45
            f"hold_{PARTIAL}": "20",
            "sessions_per_week": "3",
            "review_date": "2027-01-10",
            "note": "little and often",
        },
    )
    assert r.status_code == 303, r.text
    plan = s.get("/api/plan").json()
    verdicts = {v["id"]: v for v in plan["variants"]}
    assert verdicts[PARTIAL]["allowed"] and verdicts[PARTIAL]["cap_deg"] == 45
    assert verdicts[PARTIAL]["hold_s"] == 20
    assert not verdicts["supine_twist_supported"]["allowed"]  # left out by the clinician
    assert start(s, csrf, "supine_twist_supported").status_code == 403
    r = start(s, csrf)
    assert r.status_code == 201
    assert world.repo.get_session(int(r.json()["session_id"])).session.cap_deg == 45
    # Bad input: a twist screening does not allow, no review date, a stale form.
    bad = doc.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": ["supine_twist_full"],
            "sessions_per_week": "3",
            "review_date": "2027-01-10",
        },
    )
    assert bad.status_code == 422 and "does not allow" in text_of(bad.text)
    bad = doc.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": [PARTIAL],
            "sessions_per_week": "3",
            "review_date": "soon",
        },
    )
    assert bad.status_code == 422 and "review date" in text_of(bad.text)
    for number in ("nan", "inf", "-inf"):  # "nan" had stored no cap at all
        bad = doc.post(
            f"/students/{person_id}/care-plan",
            data={
                "csrf_token": token,
                "variant": [PARTIAL],
                f"cap_{PARTIAL}": number,
                "sessions_per_week": "3",
                "review_date": "2027-01-10",
            },
        )
        assert bad.status_code == 422 and "cap: give a number" in text_of(bad.text), number
    assert doc.post(f"/students/{person_id}/care-plan", data={"csrf_token": "x"}).status_code == 403
    # Teachers do not write care plans.
    teacher, _ = signin(world, "teacher@example.org")
    assert teacher.get(f"/students/{person_id}/care-plan").status_code == 403


def test_the_audit_view_shows_who_read_and_changed_a_students_record(world: World) -> None:
    _, _, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    assert doc.get(f"/students/{person_id}").status_code == 200
    assert doc.get(f"/api/students/{person_id}/fhir").status_code == 200
    page = doc.get("/audit")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Robin" in words and "Dr Cleo" in words
    assert "exported the record (FHIR)" in words and "read the record" in words
    assert not re.search(r"\b(read\.person|export\.fhir)\b", page.text)  # never the ids
    # Each moment says its clock (UTC) and carries the instant for the reader's own clock
    # (static/local_time.js): it was UTC with no label.
    shown = re.findall(
        r'<time datetime="([^"]+)Z" data-local="datetime">([^<]+) UTC</time>', page.text
    )
    stored = {f"{e.at:%Y-%m-%dT%H:%M:%S}" for e in world.repo.list_audit(limit=100)}
    assert shown and all(
        iso in stored and iso[:16] == f"{day}T{hm}"
        for iso, (day, hm) in ((iso, text.split()) for iso, text in shown)
    )
    assert '<script src="/static/local_time.js" defer></script>' in page.text
    teacher, _ = signin(world, "teacher@example.org")
    assert teacher.get("/audit").status_code == 403


def test_care_plan_review_dates_show_on_the_dashboard(world: World) -> None:
    import datetime as dt

    _, _, person_id = student(world)
    world.repo.record_clinician_plan(
        person_id, "Dr Cleo", [(PARTIAL, 40.0, None)], 3, dt.date(2026, 12, 1), ""
    )
    doc, _ = signin(world, "doc@example.org")
    words = text_of(doc.get("/dashboard").text)
    assert "Care plan review" in words and "2026-12-01 (due)" in words


def test_the_student_sees_the_care_plan_and_staff_find_the_links(world: World) -> None:
    import datetime as dt

    s, _, person_id = student(world)
    world.repo.record_clinician_plan(
        person_id, "Dr Cleo", [(PARTIAL, 40.0, 20.0)], 2, dt.date(2027, 1, 5), "gently"
    )
    words = text_of(s.get("/plan").text)
    assert "Your clinician's plan" in words and "2 sessions a week" in words
    assert "up to 40°" in words and "reviewed on 2027-01-05" in words and "gently" in words
    doc, _ = signin(world, "doc@example.org")
    page = doc.get(f"/students/{person_id}").text
    for link in ("fhir.json", "report.pdf", "care-plan"):
        assert f"/students/{person_id}/{link}" in page
    assert 'href="/audit"' in page
    teacher, _ = signin(world, "teacher@example.org")
    page = teacher.get(f"/students/{person_id}").text
    assert "care-plan" not in page and 'href="/audit"' not in page


def test_error_pages_keep_the_signed_in_menu_and_say_plainly_what_is_missing(
    world: World,
) -> None:
    # A teacher sent to the clinicians' audit page, or to an address with no page, is still
    # signed in: the page shows their menu and sign-out, never "Sign in / Sign up".
    teacher, _ = signin(world, "teacher@example.org")
    for path, status in (("/audit", 403), ("/no-such-page", 404)):
        page = teacher.get(path)
        assert page.status_code == status, path
        words = text_of(page.text)
        assert "Dashboard" in words and "Sign out" in words and "Tess Teacher" in words, path
        assert "Sign up" not in words, path
        assert form_token(page.text), path  # the sign-out form carries the session's token
    # The framework's bare "Not Found" is not repeated under the "Not found" title; an
    # address whose number is not one has no page either (it was "Invalid request:
    # path.session_id: Input should be a valid integer").
    for path in ("/no-such-page", "/sessions/abc", "/students/-1x", "/sessions/1.5"):
        page = teacher.get(path)
        words = text_of(page.text)
        assert page.status_code == 404, path
        assert "There is no page at this address." in words and "Not Found" not in words, path
        assert "session_id" not in words and "person_id" not in words, path
    api = teacher.get("/api/sessions/abc")  # the API still names the field
    assert api.status_code == 422 and "session_id" in api.text
    # Signed out, the same page offers signing in; nobody's name or menu shows.
    anonymous = client(world).get("/no-such-page")
    assert anonymous.status_code == 404
    words = text_of(anonymous.text)
    assert "Sign in" in words and "Sign out" not in words and "Dashboard" not in words
    # In Spanish as well.
    spanish = teacher.get("/no-such-page?lang=es")
    assert "No hay ninguna página en esta dirección." in text_of(spanish.text)


def test_forms_say_what_each_field_is_for_password_managers_and_phones(world: World) -> None:
    # WCAG 1.3.5 (input purpose): a phone fills the name and e-mail, offers a strong new
    # password on sign-up and the saved one on sign-in; someone else's e-mail is never filled
    # with the person's own.
    anonymous = client(world)
    signup = anonymous.get("/signup").text
    assert re.search(r'id="display_name"[^>]*autocomplete="name"', signup)
    assert re.search(r'id="email"[^>]*autocomplete="email"', signup)
    assert re.search(r'id="password"[^>]*minlength="\d+"[^>]*autocomplete="new-password"', signup)
    assert re.search(r'id="teacher_email"[^>]*autocomplete="off"', signup)
    signin = anonymous.get("/signin").text
    assert re.search(r'id="email"[^>]*autocomplete="username"', signin)
    assert re.search(r'id="password"[^>]*autocomplete="current-password"', signin)
    s, _, _ = student(world)
    assert re.search(r'id="link-email"[^>]*autocomplete="off"', s.get("/account").text)


def pdf_text(content: bytes) -> str:
    """A PDF's text with every run of white space as one space (table cells wrap)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(p.extract_text() or "" for p in pages).split())


def test_the_report_says_what_planning_says_of_a_twist_the_care_plan_leaves_out(
    world: World,
) -> None:
    # A care plan of the supported twist only: the API (and the practice start) refuse the
    # part-way twist, but the PDF's plan row read "allowed | - | 45°" (screening's status).
    import datetime as dt

    s, csrf, person_id = student(world)
    world.repo.record_clinician_plan(
        person_id, "Dr Cleo", [("supine_twist_supported", None, None)], 3, dt.date(2027, 1, 10), ""
    )
    verdicts = {v["id"]: v for v in s.get("/api/plan").json()["variants"]}
    assert not verdicts[PARTIAL]["allowed"] and verdicts["supine_twist_supported"]["allowed"]
    assert start(s, csrf, PARTIAL).status_code == 403
    doc, _ = signin(world, "doc@example.org")
    text = pdf_text(doc.get(f"/students/{person_id}/report.pdf").content)
    # The plan leads with today's verdict, which names the twist: the table comes after.
    assert "the twists that may be practised now: Supine twist, supported." in text
    supported = text.index("Supine twist, supported", text.index("why (rules)"))
    partial = text.index("Supine twist (part way)", supported)
    full = text.index("Supine twist (knees towards the floor)", partial)
    assert text[supported:partial].split()[3] == "yes"  # its name is three words
    row = text[partial:full]
    assert "allowed" not in row and " yes " not in row, row
    assert row.startswith("Supine twist (part way) not now - 45°"), row
    # Planning's own plain reason, as the practice start gives it.
    assert "Dr Cleo's plan of 2026-12-01 does not include this twist." in row
    # What screening refuses reads "no", with planning's words for why.
    rest = text[full:]
    assert "Supine twist (knees towards the floor) no - -" in rest
    assert "Needs a clearance first." in rest and "Not for you now." in rest
    # In Spanish too, every word from the catalogue.
    from twistcoach import i18n

    tr = i18n.translator("es")
    tr.missed.clear()
    spanish = pdf_text(doc.get(f"/students/{person_id}/report.pdf?lang=es").content)
    assert "not now" not in spanish and not tr.missed, tr.missed


def test_a_care_plan_review_date_must_be_today_or_later(world: World) -> None:
    # 1900-01-01 was stored: the plan was due for review the day it was written.
    import datetime as dt

    _, _, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    token = form_token(doc.get(f"/students/{person_id}/care-plan").text)
    today = world.clock.now.date()

    def write(review: str) -> Any:
        return doc.post(
            f"/students/{person_id}/care-plan",
            data={
                "csrf_token": token,
                "variant": [PARTIAL],
                "sessions_per_week": "3",
                "review_date": review,
            },
        )

    for bad in ("1900-01-01", "2026-11-29", "2029-01-01", "9999-12-31"):
        r = write(bad)
        assert r.status_code == 422, bad
        words = text_of(r.text)
        assert "review date: give today or a later day" in words, words
    assert world.repo.list_clinician_plans(person_id) == []
    assert write(today.isoformat()).status_code == 303
    assert write("2028-11-30").status_code == 303
    assert [p.plan.review_date for p in world.repo.list_clinician_plans(person_id)] == [
        today,
        dt.date(2028, 11, 30),
    ]


def test_the_report_dates_and_chooses_sessions_on_the_student_s_own_calendar(
    world: World,
) -> None:
    # The PDF used the server's zone while every web page uses the one the student
    # practised in: its session table and its ?start=&end= period read another day.
    import datetime as dt
    from zoneinfo import ZoneInfo

    s, csrf, person_id = student(world)
    r = s.post(
        "/api/sessions",
        json={"variant_id": PARTIAL, "start_pain": 2, "time_zone": "Pacific/Kiritimati"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    sid = int(r.json()["session_id"])
    world.repo.end_session(sid, "completed")
    started = world.repo.get_session(sid).session.started_at
    local = started.astimezone(ZoneInfo("Pacific/Kiritimati"))
    assert local.date() != started.astimezone(dt.UTC).date()  # UTC+14: the next day
    doc, _ = signin(world, "doc@example.org")
    page = text_of(doc.get(f"/students/{person_id}").text)
    assert f"{local:%Y-%m-%d %H:%M}" in page  # the staff page, on the student's clock
    day = f"{local:%Y-%m-%d}"
    pdf = pdf_text(doc.get(f"/students/{person_id}/report.pdf?start={day}&end={day}").content)
    assert f"{local:%Y-%m-%d %H:%M}" in pdf and "No session in this period" not in pdf
    assert "student's own clock (Pacific/Kiritimati)" in pdf
    utc_day = f"{started.astimezone(dt.UTC):%Y-%m-%d}"
    pdf = pdf_text(
        doc.get(f"/students/{person_id}/report.pdf?start={utc_day}&end={utc_day}").content
    )
    assert "No session in this period" in pdf
