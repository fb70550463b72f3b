"""The staff's student page and forms say what planning decided and why, in the page's
language and in plain words (red-team findings on the teacher's and clinician's pages):
planning's reasons under each twist, the care plan as planning uses it, the real cause of
a clearance that opens nothing, the clearance in force named (never a teacher's a rule does
not accept), forms that come back with each problem beside its field and the typing kept,
the audit trail in words, and the clearance withdrawal through the API."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

from students import CLINICAL_INTAKE
from test_web_safety import (
    FULL,
    PARTIAL,
    World,
    form_token,
    permission,
    sharp_stop,
    signin,
    student,
    text_of,
    world,
)
from test_web_staff_access import _cleared_then_nerve_signs
from twistcoach import i18n
from twistcoach.intake import latest_today
from twistcoach.web import clinic, domain, services

__all__ = ["world"]  # the fixture, re-exported for pytest

PARTIAL_NAME = "Supine twist (part way) (Supta Matsyendrasana)"


def _verdict(page: str, variant: str) -> str:
    match = re.search(rf'<li data-variant="{variant}">(.*?)</ul></li>', page, re.S)
    assert match, variant
    return text_of(match.group(1))


def _care_plan(world: World, person_id: int, cap: float) -> None:
    world.repo.record_clinician_plan(
        person_id, "Dr Cleo", [(PARTIAL, cap, 20.0)], 3, dt.date(2027, 1, 10), "gently"
    )


# ------------------------------------------------ 1, 2. reasons and the care plan


def test_the_staff_page_shows_planning_reasons_per_twist_and_the_care_plan_as_used(
    world: World,
) -> None:
    s, _, person_id = student(world)
    _care_plan(world, person_id, 80)  # planning allows 45: clipped to it
    doc, _ = signin(world, "doc@example.org")
    page = doc.get(f"/students/{person_id}").text
    # Every reason planning gives each twist (the student's plan and the API say the same
    # texts, from the same decision) is under that twist on the staff page.
    for variant in s.get("/api/plan").json()["variants"]:
        words = _verdict(page, variant["id"])
        for reason in variant["reasons"]:
            assert " ".join(reason["text"].split()) in words, (variant["id"], reason["text"])
    assert "Dr Cleo's plan of 2026-12-01 does not include this twist." in _verdict(
        page, "supine_twist_supported"
    )
    # The care plan, as planning uses it: 45, never the plan's own unclipped 80.
    clipped = (
        "Dr Cleo's plan asks for up to 80 degrees, but screening and your history allow 45 "
        "degrees now, so 45 is used."
    )
    for words in (text_of(page), text_of(s.get("/plan").text)):
        assert f"{PARTIAL_NAME} up to 45°, holding 20 s each side" in words
        assert "up to 80°" not in words and clipped in words
        assert "gently" in words
    assert "Care plan in force" in text_of(page)
    assert "SAFE-" not in page


def test_a_clearance_dated_after_the_students_today_names_that_cause(world: World) -> None:
    _, _, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    now = world.clock.now
    ahead = now.astimezone().date() + dt.timedelta(days=1)  # the student's tomorrow
    assert ahead <= latest_today(now)  # already today somewhere on Earth: the form takes it
    token = form_token(doc.get(f"/students/{person_id}").text)
    r = doc.post(
        f"/students/{person_id}/clearance",
        data={
            "csrf_token": token,
            "variants": [FULL],
            "max_knee_drop_deg": "40",
            "date": ahead.isoformat(),
        },
    )
    assert r.status_code == 303 and r.headers["location"].endswith("msg=cleared_not_yet")
    words = text_of(doc.get(r.headers["location"]).text)
    assert "it does not count yet: its date is after the student's today" in words
    assert "a rule it cannot lift" not in words
    # ... and the reason is shown under the twist, as the message says.
    reason = f"Dr Cleo (clinician)'s clearance is dated {ahead.isoformat()}, after today"
    assert reason in _verdict(doc.get(f"/students/{person_id}").text, FULL)


# ------------------------------------------------ 3. the clearance in force is named


def test_a_teachers_clearance_a_rule_does_not_accept_is_never_named_for_the_cap(
    world: World,
) -> None:
    s, csrf, person_id = student(world)
    pregnant = {
        **CLINICAL_INTAKE,
        "conditions": ["chronic_low_back_pain", "pregnancy"],
        "pregnancy_weeks": 12,
    }
    assert s.post("/api/intake", json=pregnant, headers={"X-CSRF-Token": csrf}).status_code == 200
    for email, cap in (("teacher@example.org", 40), ("doc@example.org", 30)):
        c, c_csrf = signin(world, email)
        body = {"variants": [PARTIAL], "max_knee_drop_deg": cap, "date": "2026-12-01"}
        r = c.post(
            f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": c_csrf}
        )
        assert r.status_code == 200, r.text
    got = permission(s, PARTIAL)
    assert got["allowed"] and got["cap_deg"] == 30
    said = [r["text"] for r in got["reasons"]]
    # Only a clinician lifts the pregnancy rule: the teacher's 40 is not what counts.
    assert not any("Tess Teacher (teacher)'s clearance asks for" in x for x in said), said
    assert (
        "Tess Teacher (teacher)'s clearance cannot lift the rule 'Pregnancy': only a "
        "clinician's clearance can." in said
    )
    assert "Dr Cleo (clinician) limited the knee drop to 30 degrees." in said
    doc, _ = signin(world, "doc@example.org")
    words = _verdict(doc.get(f"/students/{person_id}").text, PARTIAL)
    assert "asks for up to 40 degrees" not in words and "cannot lift the rule" in words


# ----------------------------------------------- 4. the staff's messages in Spanish


def test_the_staff_forms_messages_are_spanish_on_spanish_pages(world: World) -> None:
    s, csrf, person_id = student(world)
    doc, d_csrf = signin(world, "doc@example.org")
    tr = i18n.translator("es")
    page = doc.get(f"/students/{person_id}?lang=es").text
    token = form_token(page)
    tr.missed.clear()
    full_es = tr.text(domain.library().name_of(FULL))
    assert full_es != domain.library().name_of(FULL)

    def post(url: str, **data: Any) -> str:
        r = doc.post(url, data={"csrf_token": token, **data})
        assert r.status_code == 422, (url, r.status_code)
        return text_of(r.text)

    care = f"/students/{person_id}/care-plan"
    said = post(care, sessions_per_week="3", review_date="2027-01-10")
    assert "elija al menos una torsión" in said
    said = post(care, variant=[FULL], sessions_per_week="3", review_date="2027-01-10")
    assert f"la evaluación no permite {full_es} a este alumno" in said
    said = post(care, variant=[PARTIAL], **{f"cap_{PARTIAL}": "x"}, sessions_per_week="3")
    assert "límite: indique un número" in said and "fecha de revisión" in said
    clearance = f"/students/{person_id}/clearance"
    said = post(clearance, max_knee_drop_deg="40", date="2026-12-01")
    assert "elija al menos una torsión que autorizar" in said
    said = post(clearance, variants=[FULL], max_knee_drop_deg="95", date="2026-12-01")
    assert "indique el límite de caída de rodillas en grados, de 5 a 90" in said
    assert "Invalid request" not in said and "Input should" not in said
    sharp_stop(world, s, csrf)
    said = post(f"/students/{person_id}/review", note="   ")
    assert "escriba una nota de 1 a 2000 caracteres" in said
    body = {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    doc.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    [clearance_row] = world.repo.list_clearances(person_id)
    said = post(f"/students/{person_id}/clearances/{clearance_row.id}/withdraw", reason=" ")
    assert "escriba por qué la retira (de 1 a 500 caracteres)" in said
    for english in ("choose at least", "write a note", "write why", "does not allow"):
        assert english not in said
    assert not tr.missed, tr.missed


# -------------------------------------------------------- 5. the audit in words


def _audited_actions() -> set[str]:
    """Every action id the package records in the audit trail (its source, read)."""
    root = Path(services.__file__).resolve().parents[1]
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in ("audit", "audit_read") or len(node.args) < 3:
                continue
            action = node.args[1] if name == "audit" else node.args[2]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.add(action.value)
            elif isinstance(action, ast.JoinedStr):
                prefix = "".join(str(v.value) for v in action.values if isinstance(v, ast.Constant))
                assert prefix == "progression.", ast.unparse(action)
                found |= {"progression.approved", "progression.declined"}
            elif isinstance(action, ast.Name) and action.id == "action":
                continue  # audit_read passes its own parameter on: its callers are read
            else:
                raise AssertionError(f"{path.name}: an action the test cannot read")
    return found


def test_every_audited_action_has_plain_words_and_the_page_shows_them(world: World) -> None:
    actions = _audited_actions()
    assert {"account.signup", "link.add", "clearance.withdraw"} <= actions
    missing = sorted(actions - set(clinic.AUDIT_WORDS))
    assert not missing, f"AUDIT_WORDS lacks {missing}"
    s, csrf, _ = student(world)  # signs up with the teacher (audited)
    r = s.post("/api/links", json={"email": "other@example.org"}, headers={"X-CSRF-Token": csrf})
    assert r.is_success, r.text
    doc, _ = signin(world, "doc@example.org")
    rows = text_of(doc.get("/audit").text)
    assert "signed up" in rows and "linked a teacher or clinician" in rows
    assert not re.search(r" (account|link) \d{4}-", rows), rows
    es = text_of(doc.get("/audit?lang=es").text)
    assert "creó su cuenta" in es and "signed up" not in es


# ---------------------------------- 5, 6. forms come back with the problems and the typing


def test_the_clearance_form_comes_back_with_plain_errors_beside_the_fields(world: World) -> None:
    _, _, person_id = student(world)
    t, _ = signin(world, "teacher@example.org")
    token = form_token(t.get(f"/students/{person_id}").text)
    r = t.post(
        f"/students/{person_id}/clearance",
        data={
            "csrf_token": token,
            "variants": [FULL],
            "max_knee_drop_deg": "95",
            "date": "2026-12-01",
            "max_trunk_rotation_deg": "50",
        },
    )
    assert r.status_code == 422
    page, words = r.text, text_of(r.text)
    assert 'id="max_knee_drop_deg-error"' in page and 'id="max_trunk_rotation_deg-error"' in page
    assert "give the knee-drop limit in degrees, from 5 to 90" in words
    assert "give the trunk-rotation limit in degrees, from 5 to 45, or leave it empty" in words
    for internal in ("max_knee_drop_deg:", "Input should", "Invalid request", "Back to the start"):
        assert internal not in words
    # What was typed is kept.
    assert f'value="{FULL}" checked' in page and 'value="95"' in page and 'value="50"' in page
    assert 'value="2026-12-01"' in page
    r = t.post(
        f"/students/{person_id}/clearance",
        data={"csrf_token": token, "max_knee_drop_deg": "40", "date": "someday"},
    )
    words = text_of(r.text)
    assert r.status_code == 422 and "choose at least one twist to clear" in words
    assert "give the day the clearance was given (a date, not after today)" in words
    assert "Field required" not in words and world.repo.list_clearances(person_id) == []


def test_progression_review_and_report_errors_are_plain_words(world: World) -> None:
    s, csrf, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    token = form_token(doc.get(f"/students/{person_id}").text)
    r = doc.post(
        f"/students/{person_id}/progression", data={"csrf_token": token, "decision": "maybe"}
    )
    assert r.status_code in (409, 422) and "Back to the start" not in text_of(r.text)
    assert "decision must be" not in text_of(r.text)
    r = doc.get(f"/students/{person_id}/report.pdf?start=2026-13-01")
    words = text_of(r.text)
    assert r.status_code == 422 and "the period's first day: give a date (YYYY-MM-DD)" in words
    assert "query.start" not in words and "Input should" not in words
    sharp_stop(world, s, csrf)
    note = "Checked. " + "x" * 2000
    r = doc.post(f"/students/{person_id}/review", data={"csrf_token": token, "note": note})
    words = text_of(r.text)
    assert r.status_code == 422
    assert "write a note of 1 to 2000 characters (this one has 2009)" in words
    assert "String should have" not in words and "reason:" not in words
    assert note in r.text  # the typing kept
    assert world.repo.list_reviews(person_id) == []


def test_the_withdrawal_limit_is_one_constant_on_the_form_its_check_and_its_message(
    world: World,
) -> None:
    _, _, person_id = student(world)
    doc, d_csrf = signin(world, "doc@example.org")
    body = {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    doc.post(f"/api/students/{person_id}/clearances", json=body, headers={"X-CSRF-Token": d_csrf})
    [clearance] = world.repo.list_clearances(person_id)
    page = doc.get(f"/students/{person_id}").text
    limit = services.MAX_WITHDRAWAL_REASON
    assert f'name="reason" rows="2" maxlength="{limit}"' in page
    reason = "y" * 5000
    r = doc.post(
        f"/students/{person_id}/clearances/{clearance.id}/withdraw",
        data={"csrf_token": form_token(page), "reason": reason},
    )
    words = text_of(r.text)
    assert r.status_code == 422
    assert f"write why you withdraw it (1 to {limit} characters)" in words
    assert "2000" not in words and "this one has 5000" in words
    assert reason in r.text  # kept in its form
    assert world.repo.list_clearances(person_id)[0].withdrawal is None


def test_a_care_plan_note_too_long_is_refused_never_cut_and_the_form_keeps_the_typing(
    world: World,
) -> None:
    _, _, person_id = student(world)
    doc, _ = signin(world, "doc@example.org")
    token = form_token(doc.get(f"/students/{person_id}/care-plan").text)
    note = "Keep it gentle. " + "n" * 2000
    r = doc.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": [PARTIAL],
            f"cap_{PARTIAL}": "35",
            f"hold_{PARTIAL}": "20",
            "sessions_per_week": "4",
            "review_date": "2027-01-10",
            "note": note,
        },
    )
    assert r.status_code == 422
    words = text_of(r.text)
    assert "the note for the student can be at most 2000 characters (this one has 2016)" in words
    assert world.repo.list_clinician_plans(person_id) == []
    # Everything typed comes back: the note, the twist, its cap and hold, the rest.
    assert note in r.text
    assert f'value="{PARTIAL}" id="v-{PARTIAL}" checked' in r.text
    assert f'name="cap_{PARTIAL}"' in r.text and 'value="35"' in r.text and 'value="20"' in r.text
    assert 'value="4"' in r.text and 'value="2027-01-10"' in r.text
    # A bad cap comes back beside its field, the others kept.
    r = doc.post(
        f"/students/{person_id}/care-plan",
        data={
            "csrf_token": token,
            "variant": [PARTIAL],
            f"cap_{PARTIAL}": "120",
            "sessions_per_week": "4",
            "review_date": "2027-01-10",
            "note": "fine",
        },
    )
    assert r.status_code == 422 and f'id="cap_{PARTIAL}-error"' in r.text
    assert 'value="120"' in r.text and ">fine</textarea>" in r.text


# -------------------------------------------------- 7. withdrawal through the API


def test_the_api_lists_withdrawals_and_withdraws_with_the_forms_rules(world: World) -> None:
    s, _, person_id = student(world)
    _, _, other_id = student(world, "Sasha")
    doc, d_csrf = signin(world, "doc@example.org")
    t, t_csrf = signin(world, "teacher@example.org")
    head = {"X-CSRF-Token": d_csrf}
    body = {"variants": [FULL], "max_knee_drop_deg": 40, "date": "2026-12-01"}
    assert doc.post(f"/api/students/{person_id}/clearances", json=body, headers=head).is_success
    assert doc.post(f"/api/students/{other_id}/clearances", json=body, headers=head).is_success
    [mine] = world.repo.list_clearances(person_id)
    [others] = world.repo.list_clearances(other_id)
    url = f"/api/students/{person_id}/clearances/{mine.id}/withdraw"
    reason = {"reason": "The scan shows a disc bulge."}
    # CSRF header, as every API change.
    assert doc.post(url, json=reason).status_code == 403
    # Not theirs to see: one 404 for another student's clearance and an unknown one.
    for bad in (others.id, 999_999):
        r = doc.post(
            f"/api/students/{person_id}/clearances/{bad}/withdraw", json=reason, headers=head
        )
        assert r.status_code == 404
    # A teacher never withdraws a clinician's clearance (planning's may_withdraw).
    r = t.post(url, json=reason, headers={"X-CSRF-Token": t_csrf})
    assert r.status_code == 403 and "Only a clinician" in r.json()["detail"]
    r = doc.post(url, json={"reason": "  "}, headers=head)
    assert r.status_code == 422 and "write why you withdraw it" in r.json()["detail"]
    r = doc.post(url, json={"reason": "z" * 501}, headers=head)
    assert r.status_code == 422 and "1 to 500 characters" in r.json()["detail"]
    before = doc.get(f"/api/students/{person_id}").json()["clearances"]
    assert before[0]["id"] == mine.id and before[0]["withdrawn"] is None
    world.clock.advance(hours=1)
    r = doc.post(url, json=reason, headers=head)
    assert r.status_code == 200, r.text
    assert not next(v for v in r.json()["variants"] if v["id"] == FULL)["allowed"]
    assert not permission(s, FULL)["allowed"]
    [listed] = doc.get(f"/api/students/{person_id}").json()["clearances"]
    gone = listed["withdrawn"]
    assert (gone["by"], gone["name"], gone["reason"]) == ("clinician", "Dr Cleo", reason["reason"])
    assert dt.datetime.fromisoformat(gone["at"]) == world.clock.now
    assert doc.post(url, json=reason, headers=head).status_code == 409


def test_an_api_review_can_withdraw_the_clearances_it_would_revive(world: World) -> None:
    s, _, person_id = _cleared_then_nerve_signs(world)
    doc, d_csrf = signin(world, "doc@example.org")
    head = {"X-CSRF-Token": d_csrf}
    url = f"/api/students/{person_id}/review"
    r = doc.post(
        url,
        json={"note": "Examined.", "withdraw_clearances": True, "withdrawal_reason": ""},
        headers=head,
    )
    assert r.status_code == 422 and "write why you withdraw it" in r.json()["detail"]
    r = doc.post(
        url,
        json={
            "note": "Examined: a scan first.",
            "withdraw_clearances": True,
            "withdrawal_reason": "Given before the leg symptoms.",
        },
        headers=head,
    )
    assert r.status_code == 200, r.text
    assert r.json()["open_flags"] == []
    assert not permission(s, FULL)["allowed"]
    [listed] = doc.get(f"/api/students/{person_id}").json()["clearances"]
    assert listed["withdrawn"]["reason"] == "Given before the leg symptoms."
