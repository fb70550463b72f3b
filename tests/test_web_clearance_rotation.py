"""The staff clearance form's trunk-rotation limit (issue 20): seated and standing twists.

A clinician clears the easy seated twist through the student page's form with a knee-drop
limit and an optional trunk-rotation limit. The trunk-rotation limit is validated like the
knee-drop one (5-45 degrees here: the normal active trunk rotation is about 45 degrees each
way, CLINICAL.md §5; out of bounds gives a 422 naming the field), stored with the clearance
(migration 0005), shown on the page, and used by planning: the seated twist's cap in the
student's plan is the limit when it is below the plan's own (22 degrees for this student
with a back condition, the caution rule's cap); left empty, the clearance sets none.
"""

from __future__ import annotations

from collections.abc import Callable

from httpx import Response

from test_web_safety import World, form_token, permission, signin, student, text_of, world

__all__ = ["world"]  # the fixture, imported for pytest

SEATED = "seated_twist_easy"


def _clearance_form(world: World, person_id: int) -> Callable[..., Response]:
    """The clinician's form post for the seated twist: (limits as form fields) -> answer."""
    d, _ = signin(world, "doc@example.org")
    page = d.get(f"/students/{person_id}").text
    assert 'name="max_trunk_rotation_deg"' in page and 'min="5" max="45"' in page
    token = form_token(page)

    def clear(**limits: str) -> Response:
        answer: Response = d.post(
            f"/students/{person_id}/clearance",
            data={"csrf_token": token, "variants": [SEATED], "date": "2026-12-01", **limits},
        )
        return answer

    return clear


def test_a_clearance_with_a_trunk_rotation_limit_caps_the_seated_twist(world: World) -> None:
    s, _, person_id = student(world)
    assert not permission(s, SEATED)["allowed"]  # the caution rule: a clearance first
    clear = _clearance_form(world, person_id)
    # Out of bounds, or not a number: a 422 with the problem beside the field in plain
    # words (never the field's id), what was typed kept, nothing stored.
    for bad in ("50", "45.5", "2", "nan", "lots"):
        r = clear(max_knee_drop_deg="40", max_trunk_rotation_deg=bad)
        assert r.status_code == 422, (bad, r.text[:300])
        said = "give the trunk-rotation limit in degrees, from 5 to 45, or leave it empty"
        assert said in text_of(r.text) and 'id="max_trunk_rotation_deg-error"' in r.text
        assert "max_trunk_rotation_deg" not in text_of(r.text) and f'value="{bad}"' in r.text
        assert "Traceback" not in r.text
    assert world.repo.list_clearances(person_id) == []
    r = clear(max_knee_drop_deg="40", max_trunk_rotation_deg="15")
    assert r.status_code == 303, r.text
    [stored] = world.repo.list_clearances(person_id)
    assert (stored.max_knee_drop_deg, stored.max_trunk_rotation_deg) == (40.0, 15.0)
    seated = permission(s, SEATED)
    assert seated["allowed"] and seated["measure"] == "trunk_rotation"
    assert seated["cap_deg"] == seated["rotation_cap_deg"] == 15.0
    assert "clearance_rotation_cap" in [x["rule"] for x in seated["reasons"]]
    entry = world.repo.list_audit(limit=1)[0]
    assert entry.action == "clearance.record" and entry.details["max_trunk_rotation_deg"] == 15.0
    d, csrf = signin(world, "doc@example.org")
    assert "trunk rotation to 15°" in text_of(d.get(f"/students/{person_id}").text)
    # The JSON API takes and gives the same limit, with the same bounds.
    body = {"variants": [SEATED], "max_knee_drop_deg": 40, "date": "2026-12-02"}
    url = f"/api/students/{person_id}/clearances"
    r = d.post(url, json={**body, "max_trunk_rotation_deg": 60}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "max_trunk_rotation_deg" in r.text
    r = d.post(url, json={**body, "max_trunk_rotation_deg": 12}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    on_record = d.get(f"/api/students/{person_id}").json()["clearances"]
    assert [c["max_trunk_rotation_deg"] for c in on_record] == [15.0, 12.0]


def test_an_empty_trunk_rotation_limit_sets_none(world: World) -> None:
    s, _, person_id = student(world)
    r = _clearance_form(world, person_id)(max_knee_drop_deg="40", max_trunk_rotation_deg="")
    assert r.status_code == 303, r.text
    [stored] = world.repo.list_clearances(person_id)
    assert stored.max_trunk_rotation_deg is None
    seated = permission(s, SEATED)
    # The plan's own cap for this student (the caution rule's), not the clearance's.
    assert seated["allowed"] and seated["cap_deg"] == 22.0
    assert "clearance_rotation_cap" not in [x["rule"] for x in seated["reasons"]]
