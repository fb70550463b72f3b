"""Plan texts never contradict each other (issue 22, item 4).

Over every example intake in ``examples/`` and over adversarial intakes (emergency signs
with every clearance): a variant's reasons never say a clearance can unlock what the plan
or another of its reasons says nothing can unlock, and never offer to unlock what is
already allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from twistcoach.intake import Intake, load_intake, parse_intake
from twistcoach.poses import PoseLibrary, load_library
from twistcoach.screening import PlanStatus, ReadinessPlan, VariantStatus, load_rules, screen

EXAMPLES = sorted(
    p
    for p in (Path(__file__).resolve().parents[1] / "examples").iterdir()
    if p.suffix in (".yaml", ".json")
)
HINTS = {"unlock_hint_clinician", "unlock_hint_teacher"}


@pytest.fixture(scope="module")
def library() -> PoseLibrary:
    return load_library()


def contradictions(plan: ReadinessPlan, library: PoseLibrary) -> list[str]:
    """Every pair of texts in the plan that cannot both be true."""
    rules = {r.id: r for r in load_rules().rules}
    found = []
    for v in plan.variants:
        ids = [r.rule for r in v.reasons]
        variant = library.get(v.id)
        never = [
            i
            for i in ids
            if i in rules
            and any(
                b.unlock.value == "never" and b.select.matches(variant) for b in rules[i].blocks
            )
        ]
        hints = [i for i in ids if i in HINTS]
        if plan.status is PlanStatus.SEEK_CARE_NOW and v.status is VariantStatus.ALLOWED:
            found.append(f"{v.id}: allowed while the plan says seek care now")
        if plan.status is PlanStatus.SEEK_CARE_NOW and (hints or "clearance_applied" in ids):
            found.append(f"{v.id}: a clearance note under 'seek care now' ({ids})")
        if never and hints:
            found.append(f"{v.id}: {never} (no clearance overrides) with {hints}")
        if v.status is VariantStatus.ALLOWED and hints:
            found.append(f"{v.id}: allowed, yet says a clearance can unlock it")
        if v.status is VariantStatus.ALLOWED and never:
            found.append(f"{v.id}: allowed under a rule nothing unlocks ({never})")
    allowed = any(v.status is VariantStatus.ALLOWED for v in plan.variants)
    if plan.status is PlanStatus.READY and not allowed:
        found.append("ready with no variant allowed")
    return found


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_plans_never_contradict_themselves(path: Path, library: PoseLibrary) -> None:
    assert contradictions(screen(load_intake(path), library), library) == []


def _emergency_with_every_clearance(library: PoseLibrary) -> Intake:
    ids = [v.id for v in library]
    base = load_intake(next(p for p in EXAMPLES if "emergency" in p.name))
    data = base.model_dump(mode="json")
    data["clearances"] = [
        {"by": "clinician", "name": "Dr A", "date": "2026-01-01", "variants": ids},
        {
            "by": "teacher",
            "name": "T B",
            "date": "2026-01-01",
            "variants": ids,
            "teacher_trained_for_back_problems": True,
        },
    ]
    return parse_intake(data)


def test_emergency_plan_never_offers_an_unlock(library: PoseLibrary) -> None:
    plan = screen(_emergency_with_every_clearance(library), library)
    assert plan.status is PlanStatus.SEEK_CARE_NOW
    assert contradictions(plan, library) == []
    texts = " ".join(r.text for v in plan.variants for r in v.reasons)
    assert "no clearance overrides this" in texts
    assert "can unlock" not in texts
    assert "cleared this variant" not in texts


def test_the_check_finds_the_old_contradiction(library: PoseLibrary) -> None:
    """The check itself can fail: the old emergency plan (a hint beside the emergency)."""
    plan = screen(_emergency_with_every_clearance(library), library)
    v = plan.variants[0]
    hint = load_rules().notes["unlock_hint_clinician"]
    from twistcoach.screening import Reason

    bad = v.model_copy(
        update={
            "reasons": (
                *v.reasons,
                Reason(rule="unlock_hint_clinician", text=hint.text, source=hint.source),
            )
        }
    )
    broken = plan.model_copy(update={"variants": (bad, *plan.variants[1:])})
    assert contradictions(broken, library)
