"""Withdrawing a clearance on the staff pages (a clinician's, or the giving teacher's), the
review that closes a flag while withdrawing the clearances it would revive, in one step,
and the roster's care status for a student with emergency signs (one status, the most
serious)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from students import CLINICAL_INTAKE
from test_web_safety import (
    FULL,
    World,
    form_token,
    permission,
    signin,
    student,
    text_of,
    world,
)
from test_web_staff_access import FULL_NAME, _cleared_then_nerve_signs, _same_404

__all__ = ["world"]  # the fixture, re-exported for pytest

DISC = {**CLINICAL_INTAKE, "conditions": ["herniated_disc"]}
REASON = "The new scan shows a disc bulge."


def _clear(c: TestClient, csrf: str, person_id: int, cap: float = 45) -> None:
    body = {"variants": [FULL], "max_knee_drop_deg": cap, "date": "2026-12-01"}
    r = c.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text


def _withdraw(c: TestClient, person_id: int, clearance_id: int, reason: str = REASON) -> Any:
    token = form_token(c.get(f"/students/{person_id}").text)
    return c.post(
        f"/students/{person_id}/clearances/{clearance_id}/withdraw",
        data={"csrf_token": token, "reason": reason},
    )


def _disc_student(world: World) -> tuple[TestClient, str, int]:
    s, csrf, person_id = student(world)
    r = s.post("/api/intake", json=DISC, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    world.clock.advance(minutes=1)
    return s, csrf, person_id


def test_a_clinician_withdraws_a_clearance_with_a_reason_and_planning_stops_counting_it(
    world: World,
) -> None:
    s, _, person_id = _disc_student(world)
    d, d_csrf = signin(world, "doc@example.org")
    _clear(d, d_csrf, person_id)
    assert permission(s, FULL)["allowed"]
    [clearance] = world.repo.list_clearances(person_id)
    page = d.get(f"/students/{person_id}").text
    assert 'id="clearances"' in page and "Withdraw this clearance" in page
    # CSRF as on the other staff forms: a forged form changes nothing.
    r = d.post(
        f"/students/{person_id}/clearances/{clearance.id}/withdraw",
        data={"csrf_token": "forged", "reason": REASON},
    )
    assert r.status_code == 403 and "CSRF" in text_of(r.text)
    # A reason is needed: the student reads it.
    r = _withdraw(d, person_id, clearance.id, "   ")
    assert r.status_code == 422 and "write why you withdraw it" in text_of(r.text)
    assert world.repo.list_clearances(person_id)[0].withdrawal is None
    world.clock.advance(hours=1)
    r = _withdraw(d, person_id, clearance.id)
    assert r.status_code == 303 and r.headers["location"].endswith("msg=withdrawn")
    # Stored, never deleted: who, when, why.
    [kept] = world.repo.list_clearances(person_id)
    assert kept.withdrawal is not None and kept.withdrawal.by_name == "Dr Cleo"
    assert kept.withdrawal.reason == REASON and kept.withdrawal.at == world.clock.now
    entry = world.repo.list_audit(limit=1)[0]
    assert entry.action == "clearance.withdraw" and entry.details["reason"] == REASON
    # Planning counts it no more, at once, with the reason in plain words.
    assert not permission(s, FULL)["allowed"]
    said = f"Your clinician withdrew the clearance for {FULL_NAME} on 2026-12-01: {REASON}"
    assert said in text_of(s.get("/plan").text)
    assert said in [r["text"] for r in s.get("/api/plan").json()["reasons"]]
    staff_page = text_of(d.get(f"/students/{person_id}").text)
    assert said in staff_page
    # (the date is a <time> element, on the reader's clock)
    assert f"Withdrawn by Dr Cleo (clinician) on 2026-12-01 : {REASON}" in staff_page
    assert "SAFE-" not in staff_page and f">{FULL}<" not in staff_page
    # Spanish: catalogued (the reason itself is the clinician's own words).
    es = text_of(s.get("/plan?lang=es").text)
    assert "Su profesional sanitario retiró la autorización para" in es and REASON in es
    assert "Your clinician withdrew" not in es
    s.get("/plan?lang=en")
    # Withdrawn once: a second withdrawal is a conflict, and the form is gone.
    assert "Withdraw this clearance" not in d.get(f"/students/{person_id}").text
    r = _withdraw(d, person_id, clearance.id)
    assert r.status_code == 409 and "already withdrawn on 2026-12-01" in text_of(r.text)


def test_who_may_withdraw_and_the_same_404_for_a_clearance_that_is_not_theirs(
    world: World,
) -> None:
    s, _, person_id = _disc_student(world)
    _, _, other_id = student(world, "Sasha")
    t, t_csrf = signin(world, "teacher@example.org")
    d, d_csrf = signin(world, "doc@example.org")
    _clear(d, d_csrf, person_id)
    _clear(t, t_csrf, person_id, cap=40)
    _clear(d, d_csrf, other_id)
    by_doc, by_teacher = world.repo.list_clearances(person_id)
    [others] = world.repo.list_clearances(other_id)
    # A teacher never withdraws a clinician's clearance (the form is not offered either).
    page = t.get(f"/students/{person_id}").text
    assert page.count("Withdraw this clearance") == 1  # their own only
    r = _withdraw(t, person_id, by_doc.id)
    assert r.status_code == 403
    assert "Only a clinician, or the teacher who gave a teacher's clearance" in text_of(r.text)
    # Another student's clearance answers as an unknown one (ids cannot be probed).
    _same_404(
        _withdraw(d, person_id, others.id),
        _withdraw(d, person_id, 999_999),
        "another student's clearance",
    )
    # A student not theirs: the usual 404, whatever the clearance.
    o, _ = signin(world, "other@example.org")
    r = o.post(
        f"/students/{person_id}/clearances/{by_teacher.id}/withdraw",
        data={"csrf_token": form_token(o.get("/account").text), "reason": REASON},
    )
    assert r.status_code == 404 and "There is no such student" in text_of(r.text)
    # A student cannot withdraw anything.
    r = s.post(
        f"/students/{person_id}/clearances/{by_teacher.id}/withdraw",
        data={"csrf_token": form_token(s.get("/account").text), "reason": REASON},
    )
    assert r.status_code in (403, 404)
    assert all(c.withdrawal is None for c in world.repo.list_clearances(person_id))
    # The teacher who gave a teacher's clearance may withdraw it.
    r = _withdraw(t, person_id, by_teacher.id, "Hip pain in class.")
    assert r.status_code == 303, r.text
    said = [x["text"] for x in s.get("/api/plan").json()["reasons"]]
    assert any(x.startswith("Your teacher withdrew the clearance for") for x in said)
    # The clinician's clearance still counts (to its own 45 degrees).
    assert permission(s, FULL)["allowed"]


def test_a_review_closes_the_flag_and_withdraws_the_clearances_it_would_revive_in_one_step(
    world: World,
) -> None:
    s, _, person_id = _cleared_then_nerve_signs(world)
    d, _ = signin(world, "doc@example.org")
    page = d.get(f"/students/{person_id}").text
    assert 'name="revived_clearances" value="withdraw"' in page
    token = form_token(page)
    # Withdrawing needs a reason: nothing is stored without one.
    r = d.post(
        f"/students/{person_id}/review",
        data={"csrf_token": token, "note": "Examined.", "revived_clearances": "withdraw"},
    )
    assert r.status_code == 422 and "write why you withdraw it" in text_of(r.text)
    assert world.repo.list_reviews(person_id) == []
    assert world.repo.list_clearances(person_id)[0].withdrawal is None
    r = d.post(
        f"/students/{person_id}/review",
        data={
            "csrf_token": token,
            "note": "Examined: the leg symptoms need a scan first.",
            "revived_clearances": "withdraw",
            "withdrawal_reason": "Given before the leg symptoms.",
        },
    )
    assert r.status_code == 303 and r.headers["location"].endswith("msg=reviewed_withdrawn")
    [review] = world.repo.list_reviews(person_id)
    [clearance] = world.repo.list_clearances(person_id)
    assert clearance.withdrawal is not None and clearance.withdrawal.at == review.at
    # The flags are closed, and the teacher's clearance did not come back.
    plan = s.get("/api/plan").json()
    assert plan["open_flags"] == []
    assert not permission(s, FULL)["allowed"]
    assert any(
        x["text"].startswith(f"Your clinician withdrew the clearance for {FULL_NAME}")
        for x in plan["reasons"]
    )
    entry = world.repo.list_audit(limit=1)[0]
    assert entry.action == "safety.review"
    assert entry.details["withdrawn_clearances"][0]["who"] == "Tess Teacher (teacher)"
    assert entry.details["withdrawal_reason"] == "Given before the leg symptoms."


def test_the_roster_shows_only_seek_care_now_for_emergency_signs(world: World) -> None:
    """Reported: "see a clinician first" stood beside "seek care now" on the roster of a
    student whose answers have emergency signs (reproduced: the attention column added it
    for both care statuses)."""
    s, csrf, person_id = student(world)
    emergency = {**CLINICAL_INTAKE, "red_flags": ["saddle_numbness"]}
    r = s.post("/api/intake", json=emergency, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    t, _ = signin(world, "teacher@example.org")
    page = t.get("/dashboard").text
    row = page[page.index(f'data-person="{person_id}"') :]
    row = text_of(row[: row.index("</tr>")])
    assert "seek care now" in row
    assert "see a clinician first" not in row
    [api_row] = [x for x in t.get("/api/students").json() if x["person_id"] == person_id]
    assert api_row["plan_status"] == "seek_care_now"
    assert "seek care now" in api_row["flags"]
    assert "see a clinician first" not in api_row["flags"]
    # A red flag for a clinician to check still says "see a clinician first".
    o, o_csrf, other = student(world, "Sasha")
    flagged = {**CLINICAL_INTAKE, "red_flags": ["history_of_cancer"]}
    r = o.post("/api/intake", json=flagged, headers={"X-CSRF-Token": o_csrf})
    assert r.status_code == 200, r.text
    [api_row] = [x for x in t.get("/api/students").json() if x["person_id"] == other]
    assert api_row["plan_status"] == "see_clinician_first"
    assert "see a clinician first" in api_row["flags"] and "seek care now" not in api_row["flags"]
