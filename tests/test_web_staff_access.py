"""The staff surfaces after a red team's findings: one 404 for an unknown id and for one
that is not the viewer's (no enumeration), care-plan values out of range are bad input
(422), a clearance planning holds until a review never reads "allowed", a clinician's
review never silently revives a clearance given before nerve signs, and staff form errors
name poses, never their ids."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from students import PASSWORD
from test_web_safety import (
    FULL,
    PARTIAL,
    World,
    checkin,
    form_token,
    permission,
    sharp_stop,
    signin,
    start,
    student,
    text_of,
    world,
)
from twistcoach.web.security import PasswordService

__all__ = ["world"]  # the fixture, re-exported for pytest

MISSING = 999_999
FULL_NAME = "Supine twist (knees towards the floor)"


def _staff(world: World, email: str, role: str) -> None:
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    world.repo.create_account(email, f"Unlinked {role}", hashed, role, True)


def _same_404(a: Any, b: Any, what: str) -> None:
    """Both answers are 404 with the very same body (JSON, or the page's words)."""
    assert (a.status_code, b.status_code) == (404, 404), (what, a.status_code, b.status_code)
    if a.headers["content-type"].startswith("application/json"):
        assert a.json() == b.json(), what
    else:
        assert text_of(a.text) == text_of(b.text), what


def _verdict(page: str, variant: str) -> str:
    start_at = page.index(f'data-variant="{variant}"')
    return text_of(page[start_at : page.index("</li>", start_at)])


# --------------------------------------------------------------- 1. no enumeration


def test_an_unlinked_student_and_an_unknown_id_get_the_same_404_everywhere(
    world: World,
) -> None:
    s, csrf, person_id = student(world)
    sid = int(start(s, csrf).json()["session_id"])
    _staff(world, "doc2@example.org", "clinician")
    o, o_csrf = signin(world, "other@example.org")  # a teacher Robin never linked
    d2, d2_csrf = signin(world, "doc2@example.org")  # a clinician Robin never linked
    lee, lee_csrf, _ = student(world, "Lee")  # another student

    reads = [
        (o, "/students/{p}"),
        (o, "/api/students/{p}"),
        (o, "/api/students/{p}/fhir"),
        (o, "/students/{p}/fhir.json"),
        (o, "/students/{p}/report.pdf"),
        (d2, "/students/{p}/care-plan"),
        (o, "/api/sessions/{s}"),
        (o, "/sessions/{s}"),
        (o, "/sessions/{s}/plot.png"),
        (lee, "/api/sessions/{s}"),
        (lee, "/sessions/{s}"),
        (lee, "/sessions/{s}/plot.png"),
        (lee, "/practice/{s}"),
    ]
    for who, path in reads:
        real = who.get(path.format(p=person_id, s=sid))
        missing = who.get(path.format(p=MISSING, s=MISSING))
        _same_404(real, missing, path)
        assert "Robin" not in real.text

    api_changes: list[tuple[TestClient, str, str, dict[str, Any]]] = [
        (o, o_csrf, "/api/students/{p}/review", {"note": "x"}),
        (o, o_csrf, "/api/students/{p}/progression", {"decision": "approved"}),
        (
            o,
            o_csrf,
            "/api/students/{p}/clearances",
            {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"},
        ),
        (d2, d2_csrf, "/api/students/{p}/review", {"note": "x"}),
    ]
    for who, token, path, body in api_changes:
        headers = {"X-CSRF-Token": token}
        real = who.post(path.format(p=person_id), json=body, headers=headers)
        missing = who.post(path.format(p=MISSING), json=body, headers=headers)
        _same_404(real, missing, path)

    o_form = form_token(o.get("/dashboard").text)
    d2_form = form_token(d2.get("/dashboard").text)
    page_changes: list[tuple[TestClient, str, dict[str, Any]]] = [
        (o, "/students/{p}/review", {"csrf_token": o_form, "note": "x"}),
        (o, "/students/{p}/progression", {"csrf_token": o_form, "decision": "approved"}),
        (
            o,
            "/students/{p}/clearance",
            {
                "csrf_token": o_form,
                "variants": [FULL],
                "max_knee_drop_deg": "40",
                "date": "2026-12-01",
            },
        ),
        (
            d2,
            "/students/{p}/care-plan",
            {
                "csrf_token": d2_form,
                "variant": [PARTIAL],
                "sessions_per_week": "3",
                "review_date": "2027-01-10",
            },
        ),
    ]
    for who, path, data in page_changes:
        real = who.post(path.format(p=person_id), data=data)
        missing = who.post(path.format(p=MISSING), data=data)
        _same_404(real, missing, path)
    # Nothing was written for Robin by anyone who could not see them.
    assert world.repo.list_reviews(person_id) == []
    assert world.repo.list_clearances(person_id) == []
    assert world.repo.list_decisions(person_id) == []
    assert world.repo.list_clinician_plans(person_id) == []
    # 403 stays where the role, not a record, is refused.
    assert s.get("/dashboard").status_code == 403
    assert s.get(f"/api/students/{person_id}").status_code == 403
    assert s.get(f"/api/students/{MISSING}").status_code == 403
    teacher, _ = signin(world, "teacher@example.org")
    assert teacher.get(f"/students/{person_id}/care-plan").status_code == 403
    assert teacher.get(f"/students/{person_id}").status_code == 200  # linked: sees Robin
    assert (
        lee.post(
            f"/api/students/{person_id}/review",
            json={"note": "x"},
            headers={"X-CSRF-Token": lee_csrf},
        ).status_code
        == 403
    )


# ------------------------------------------------------------ 2. care-plan ranges


def test_care_plan_values_out_of_range_are_422_with_a_plain_message(world: World) -> None:
    _, _, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    token = form_token(doc.get(f"/students/{person_id}/care-plan").text)
    good = {
        "csrf_token": token,
        "variant": [PARTIAL],
        "sessions_per_week": "3",
        "review_date": "2027-01-10",
    }
    name = "Supine twist (part way)"
    for extra, said in (
        ({f"cap_{PARTIAL}": "120"}, f"{name}: cap: give 5 to 90° (got 120°)"),
        ({f"cap_{PARTIAL}": "-5"}, f"{name}: cap: give 5 to 90° (got -5°)"),
        ({f"hold_{PARTIAL}": "-1"}, f"{name}: hold time: give 5 to 600 seconds (got -1 seconds)"),
        ({f"hold_{PARTIAL}": "5000"}, "hold time: give 5 to 600 seconds"),
        ({"sessions_per_week": "0"}, "sessions a week: give a whole number from 1 to 14"),
        ({"sessions_per_week": "-3"}, "sessions a week: give a whole number from 1 to 14"),
        ({"sessions_per_week": "40"}, "sessions a week: give a whole number from 1 to 14"),
    ):
        r = doc.post(f"/students/{person_id}/care-plan", data=good | extra)
        assert r.status_code == 422, (extra, r.status_code)
        assert said in text_of(r.text), (extra, text_of(r.text))
    assert world.repo.list_clinician_plans(person_id) == []
    # The form's own limits are the server's (the cap's measure: knee drop here).
    page = doc.get(f"/students/{person_id}/care-plan").text
    assert f'name="cap_{PARTIAL}" min="5" max="90"' in page
    assert 'name="sessions_per_week" min="1" max="14"' in page
    r = doc.post(f"/students/{person_id}/care-plan", data=good | {f"cap_{PARTIAL}": "30"})
    assert r.status_code == 303, r.text


# ---------------------------------------------- 3. a held clearance in the plan column


def test_a_clearance_held_by_an_open_flag_never_reads_allowed_on_the_students_page(
    world: World,
) -> None:
    s, csrf, person_id = student(world)
    sharp_stop(world, s, csrf)
    world.clock.advance(minutes=5)
    d, d_csrf = signin(world, "doc@example.org")
    body = {"variants": [FULL], "max_knee_drop_deg": 45, "date": "2026-12-01"}
    r = d.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 200, r.text
    world.clock.advance(days=1)
    assert checkin(s, csrf).status_code == 200
    # The start refuses it (planning's decision): the plan column says the same.
    assert not permission(s, FULL)["allowed"]
    assert start(s, csrf, FULL).status_code == 403
    words = _verdict(d.get(f"/students/{person_id}").text, FULL)
    assert "not now" in words
    assert "plan: allowed" not in words and "up to 45°" not in words
    assert "plan: cleared, but held until a review" in words
    assert "was recorded while a safety flag was waiting for review" in words
    # The student's own plan page too (the same words from the same decision).
    plan_page = s.get("/plan").text
    assert "cleared, but held until a review" in text_of(plan_page)
    # Spanish: catalogued.
    es = text_of(d.get(f"/students/{person_id}?lang=es").text)
    assert "cleared, but held until a review" not in es
    d.get("/dashboard?lang=en")
    # After the review the clearance counts: allowed, and the column says so.
    world.clock.advance(hours=1)
    r = d.post(
        f"/api/students/{person_id}/review",
        json={"note": "Pain settled."},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 200, r.text
    assert permission(s, FULL)["allowed"]
    words = _verdict(d.get(f"/students/{person_id}").text, FULL)
    assert "allowed now" in words and "plan: allowed, up to 45°" in words
    assert "held until a review" not in words


# ------------------------------------- 4. a review and a clearance before nerve signs


def _cleared_then_nerve_signs(world: World) -> tuple[TestClient, str, int]:
    """Robin, cleared for the full twist by the trained teacher, then sharp pain and a
    check-in reporting new leg symptoms (nerve signs: a clinician's review)."""
    s, csrf, person_id = student(world)
    t, t_csrf = signin(world, "teacher@example.org")
    body = {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    r = t.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": t_csrf})
    assert r.status_code == 200, r.text
    assert permission(s, FULL)["allowed"]
    world.clock.advance(minutes=5)
    sharp_stop(world, s, csrf)
    world.clock.advance(days=1)
    assert checkin(s, csrf, legs=True).status_code == 200
    assert not permission(s, FULL)["allowed"]
    world.clock.advance(hours=2)
    return s, csrf, person_id


def test_a_clinicians_review_names_the_clearance_it_would_revive_and_asks_first(
    world: World,
) -> None:
    s, _, person_id = _cleared_then_nerve_signs(world)
    d, d_csrf = signin(world, "doc@example.org")
    page = d.get(f"/students/{person_id}").text
    assert 'id="review-revives"' in page
    words = text_of(page)
    assert (
        "Your review would make these clearances count again, though they were given before "
        "the signs it closes were reported on 2026-12-02" in words
    )
    assert "Tess Teacher (teacher)'s clearance of 2026-12-01" in words
    assert f"it opens {FULL_NAME}" in words and "up to 40°" in words
    # Keep them, or withdraw them with the review (one choice, asked every time).
    assert 'name="revived_clearances" value="keep"' in page
    assert 'name="revived_clearances" value="withdraw"' in page
    assert "SAFE-" not in page and f">{FULL}<" not in page
    detail = d.get(f"/api/students/{person_id}").json()
    [revived] = detail["review_revives"]
    assert revived["who"] == "Tess Teacher (teacher)" and revived["date"] == "2026-12-01"
    assert [t["name"] for t in revived["twists"]] == [
        "Supine twist (knees towards the floor) (Supta Matsyendrasana)"
    ]
    # Not silently: the review without the confirmation is refused, naming the clearance.
    r = d.post(
        f"/api/students/{person_id}/review",
        json={"note": "Examined: no nerve signs."},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 422 and "Tess Teacher (teacher)'s clearance" in r.json()["detail"]
    token = form_token(page)
    r = d.post(f"/students/{person_id}/review", data={"csrf_token": token, "note": "Examined."})
    assert r.status_code == 422 and "count again" in text_of(r.text)
    assert world.repo.list_reviews(person_id) == []
    assert not permission(s, FULL)["allowed"]
    # Confirmed: recorded, audited with the clearance kept, and the twist opens again.
    r = d.post(
        f"/students/{person_id}/review",
        data={"csrf_token": token, "note": "Examined: no nerve signs.", "keep_clearances": "true"},
    )
    assert r.status_code == 303, r.text
    assert len(world.repo.list_reviews(person_id)) == 1
    entry = world.repo.list_audit(limit=1)[0]
    assert entry.action == "safety.review"
    assert entry.details["kept_clearances"][0]["who"] == "Tess Teacher (teacher)"
    assert permission(s, FULL)["allowed"]


EASY = "seated_twist_easy"


def test_the_refusal_to_revive_two_twists_joins_them_in_the_readers_language(
    world: World,
) -> None:
    """The refusal names the twists a review would open again, joined as a list is in the
    page's language (twistcoach.i18n.join_words): "A and B", "A y B" with their Spanish
    names; it was ", " between English names inside a Spanish sentence."""
    s, csrf, person_id = student(world)
    t, t_csrf = signin(world, "teacher@example.org")
    body = {
        "variants": [FULL, EASY],
        "max_knee_drop_deg": 40,
        "max_trunk_rotation_deg": 20,
        "date": "2026-12-01",
    }
    r = t.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": t_csrf})
    assert r.status_code == 200, r.text
    world.clock.advance(minutes=5)
    sharp_stop(world, s, csrf)
    world.clock.advance(days=1)
    assert checkin(s, csrf, legs=True).status_code == 200
    world.clock.advance(hours=2)
    d, _ = signin(world, "doc@example.org")
    full = "Supine twist (knees towards the floor) (Supta Matsyendrasana)"
    easy = "Easy seated twist (cross-legged) (Sukhasana Parivrtta)"
    page = d.get(f"/students/{person_id}").text
    assert f"it opens {full} (up to 40°) and {easy} (up to 20°)" in text_of(page)
    r = d.post(
        f"/students/{person_id}/review",
        data={"csrf_token": form_token(page), "note": "Examined."},
    )
    assert r.status_code == 422
    said = text_of(r.text.split('id="revived_clearances-error"')[1].split("</p>")[0])
    assert f"clearance of 2026-12-01 ({full} and {easy})" in said
    # Spanish: the twists' Spanish names, joined with "y".
    full_es = "Torsión boca arriba (rodillas hacia el suelo) (Supta Matsyendrasana)"
    easy_es = "Torsión sentado fácil (con las piernas cruzadas) (Sukhasana Parivrtta)"
    page = d.get(f"/students/{person_id}?lang=es").text
    assert f"abre {full_es} (hasta 40°) y {easy_es} (hasta 20°)" in text_of(page)
    r = d.post(
        f"/students/{person_id}/review",
        data={"csrf_token": form_token(page), "note": "Examined."},
    )
    assert r.status_code == 422
    said = text_of(r.text.split('id="revived_clearances-error"')[1].split("</p>")[0])
    assert f"del 2026-12-01 ({full_es} y {easy_es})" in said, said
    assert " and " not in said and "Supine" not in said and "Easy" not in said
    assert world.repo.list_reviews(person_id) == []
    d.get("/dashboard?lang=en")


def test_the_apis_review_note_errors_are_the_forms_plain_words_in_the_requests_language(
    world: World,
) -> None:
    """POST /api/students/{id}/review with an empty, blank, missing or over-long note (and
    the withdrawal API without a reason) answers the page form's message, in the request's
    language: it was pydantic's "String should have at least 1 character", in English."""
    _, _, person_id = student(world)
    d, d_csrf = signin(world, "doc@example.org")
    review = f"/api/students/{person_id}/review"
    note = "write a note of 1 to 2000 characters"
    for body in ({"note": ""}, {"note": "   "}, {}):
        r = d.post(review, json=body, headers={"X-CSRF-Token": d_csrf})
        assert r.status_code == 422, (body, r.text)
        assert r.json() == {"detail": note, "problems": [{"field": "note", "message": note}]}
    r = d.post(review, json={"note": "x" * 2001}, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 422
    assert r.json()["detail"] == "write a note of 1 to 2000 characters (this one has 2001)"
    es = {"X-CSRF-Token": d_csrf, "Accept-Language": "es"}
    r = d.post(review, json={"note": " "}, headers=es)
    nota = "escriba una nota de 1 a 2000 caracteres"
    assert r.status_code == 422
    assert r.json() == {"detail": nota, "problems": [{"field": "note", "message": nota}]}
    r = d.post(review, json={"note": "x" * 2001}, headers=es)
    assert r.json()["detail"].startswith(nota) and "2001" in r.json()["detail"]
    assert "String should" not in r.text and "Invalid request" not in r.text
    # The withdrawal API's reason, the same way.
    body = {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    r = d.post(f"/api/students/{person_id}/clearances", json=body, headers=es)
    assert r.status_code == 200, r.text
    [row] = world.repo.list_clearances(person_id)
    withdraw = f"/api/students/{person_id}/clearances/{row.id}/withdraw"
    r = d.post(withdraw, json={}, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("write why you withdraw it (1 to ")
    r = d.post(withdraw, json={}, headers=es)
    assert r.status_code == 422 and r.json()["detail"].startswith("escriba por qué"), r.text
    # English again without the header (nothing was remembered for the API).
    r = d.post(review, json={"note": ""}, headers={"X-CSRF-Token": d_csrf})
    assert r.json()["detail"] == note
    assert world.repo.list_reviews(person_id) == []


def test_the_apis_refusal_to_revive_is_in_the_requests_language(world: World) -> None:
    s, _, person_id = _cleared_then_nerve_signs(world)
    d, d_csrf = signin(world, "doc@example.org")
    r = d.post(
        f"/api/students/{person_id}/review",
        json={"note": "Examinado: sin signos nerviosos."},
        headers={"X-CSRF-Token": d_csrf, "Accept-Language": "es"},
    )
    assert r.status_code == 422
    said = r.json()["detail"]
    assert said.startswith("Esta revisión haría que volvieran a contar autorizaciones"), said
    full_es = "Torsión boca arriba (rodillas hacia el suelo) (Supta Matsyendrasana)"
    assert f"autorización de Tess Teacher (profesor/a) del 2026-12-01 ({full_es})" in said
    assert [p["field"] for p in r.json()["problems"]] == ["keep_clearances"]
    assert r.json()["problems"][0]["message"] == said
    assert not permission(s, FULL)["allowed"]


def test_a_care_plan_that_leaves_the_twist_out_needs_no_confirmation(world: World) -> None:
    s, _, person_id = _cleared_then_nerve_signs(world)
    d, d_csrf = signin(world, "doc@example.org")
    token = form_token(d.get(f"/students/{person_id}/care-plan").text)
    r = d.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": [PARTIAL],
            "sessions_per_week": "3",
            "review_date": "2027-01-10",
        },
    )
    assert r.status_code == 303, r.text
    assert 'id="review-revives"' not in d.get(f"/students/{person_id}").text
    assert d.get(f"/api/students/{person_id}").json()["review_revives"] == []
    r = d.post(
        f"/api/students/{person_id}/review",
        json={"note": "Examined: no nerve signs."},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 200, r.text
    assert not permission(s, FULL)["allowed"]  # the care plan leaves it out


def test_a_teachers_review_leaves_nerve_signs_open_so_it_revives_nothing(world: World) -> None:
    s, _, person_id = _cleared_then_nerve_signs(world)
    t, t_csrf = signin(world, "teacher@example.org")
    page = t.get(f"/students/{person_id}").text
    assert 'id="review-form"' in page and 'id="review-revives"' not in page
    assert t.get(f"/api/students/{person_id}").json()["review_revives"] == []
    r = t.post(
        f"/api/students/{person_id}/review",
        json={"note": "Talked it through."},
        headers={"X-CSRF-Token": t_csrf},
    )
    assert r.status_code == 200, r.text  # closes the sharp-pain flag only
    assert [f["kind"] for f in r.json()["open_flags"]] == ["checkin_care"]
    assert not permission(s, FULL)["allowed"]
    # The clinician is still asked.
    d, _ = signin(world, "doc@example.org")
    assert 'id="review-revives"' in d.get(f"/students/{person_id}").text


# ------------------------------------------------------- names, never internal ids


def test_staff_form_errors_name_the_poses_never_their_ids(world: World) -> None:
    _, _, person_id = student(world)
    d, d_csrf = signin(world, "doc@example.org")
    body = {"variants": ["nope_twist"], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    r = d.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail == "these are not twists of the pose library: nope twist"
    assert "seated_twist_easy" not in detail and "supine_twist" not in detail
    token = form_token(d.get(f"/students/{person_id}/care-plan").text)
    r = d.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": [FULL],
            "sessions_per_week": "3",
            "review_date": "2027-01-10",
        },
    )
    said = text_of(r.text)
    assert r.status_code == 422 and f"screening does not allow {FULL_NAME}" in said
    assert f"allow {FULL}" not in said


def test_a_review_of_a_withdrawn_red_flag_names_the_clearance_it_would_revive(
    world: World,
) -> None:
    """A red flag answered, then left out of a later intake, waits for a clinician's review;
    the trained teacher's clearance given before it is held meanwhile, and the review that
    would make it count again says so and asks first (as for nerve signs)."""
    from students import CLINICAL_INTAKE

    s, csrf, person_id = student(world)
    t, t_csrf = signin(world, "teacher@example.org")
    body = {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    r = t.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": t_csrf})
    assert r.status_code == 200, r.text
    assert permission(s, FULL)["allowed"]
    world.clock.advance(hours=1)
    flagged = {**CLINICAL_INTAKE, "red_flags": ["history_of_cancer"]}
    for answers in (flagged, CLINICAL_INTAKE):  # reported, then left out
        r = s.post("/api/intake", json=answers, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        world.clock.advance(minutes=10)
    assert not permission(s, FULL)["allowed"]
    d, d_csrf = signin(world, "doc@example.org")
    page = d.get(f"/students/{person_id}").text
    assert 'id="review-revives"' in page, text_of(page)
    assert "given before the signs it closes were reported" in text_of(page)
    r = d.post(
        f"/api/students/{person_id}/review",
        json={"note": "Seen: no cancer signs."},
        headers={"X-CSRF-Token": d_csrf},
    )
    assert r.status_code == 422 and "Tess Teacher (teacher)'s clearance" in r.json()["detail"]
    assert not permission(s, FULL)["allowed"]
