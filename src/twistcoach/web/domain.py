"""The web app's bridge to the pure core: intake forms, plans and their plain words.

What a person may practise, to what cap and why is never decided here: it is
:func:`twistcoach.planning.decide` (through :func:`twistcoach.storage.progress.decide_for_person`),
and this module only puts its :class:`~twistcoach.planning.PracticeDecision` into words for
the pages. Rule ids stay out of those words: people read the plain text (and the
CLINICAL.md source), never an internal id.

The intake form is generated from the :class:`twistcoach.intake.Intake` model's JSON schema,
so it has exactly the same fields, vocabularies and limits as the intake file, and it is
validated by the same model (errors are reported per field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from twistcoach.intake import Intake, describe_validation_error
from twistcoach.planning import PracticeDecision, VariantPermission
from twistcoach.poses import PoseLibrary
from twistcoach.screening import VariantStatus
from twistcoach.storage.repository import Repository

#: Fields the student does not fill in: clearances are recorded by staff.
_STAFF_ONLY_FIELDS = frozenset({"clearances"})

LABELS = {
    "age": "Age (years)",
    "pain_now": "Back pain right now (0 = none, 10 = worst imaginable)",
    "pain_duration_weeks": "How many weeks this back pain has lasted (0 if none)",
    "activity": "How active you usually are",
    "leg_symptoms": "Leg pain, pins and needles or numbness",
    "red_flags": "Do any of these apply to you now? (tick all that do)",
    "conditions": "Diagnosed conditions (tick all that apply)",
    "surgery_months_ago": "Months since spinal or hip surgery",
    "pregnancy_weeks": "Weeks of pregnancy",
}

STATUS_HEADLINES = {
    "seek_care_now": (
        "Please get medical help today, before any exercise: some of your answers are "
        "emergency signs."
    ),
    "see_clinician_first": (
        "See a healthcare professional first: twists are on hold until a clinician has "
        "checked your back."
    ),
    "ready": "You are ready to practise the twists marked allowed, within the range shown.",
}

VARIANT_STATUS_WORDS = {
    "allowed": "allowed",
    "needs_clearance": "needs a clearance first",
    "not_allowed": "not for you now",
}


@dataclass(frozen=True)
class FormField:
    """One field of the intake form.

    Attributes
    ----------
    name
        The intake field name (the contract).
    label
        What the form shows.
    kind
        ``integer``, ``number``, ``choice`` (one of ``choices``) or ``multi`` (any of them).
    choices
        Allowed values for ``choice`` and ``multi``.
    required
        False when the field may be left empty (null or an empty set).
    minimum, maximum
        Limits of numbers (None when unbounded).
    """

    name: str
    label: str
    kind: str
    choices: tuple[str, ...] = ()
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        resolved: Mapping[str, Any] = schema["$defs"][ref.rsplit("/", 1)[-1]]
        return resolved
    return node


@lru_cache(maxsize=1)
def intake_form_fields() -> tuple[FormField, ...]:
    """The intake form's fields, from the Intake model's JSON schema (cached)."""
    schema = Intake.model_json_schema()
    required = set(schema.get("required", ()))
    fields: list[FormField] = []
    for name, raw in schema["properties"].items():
        if name in _STAFF_ONLY_FIELDS:
            continue
        node = _resolve(schema, raw)
        optional = name not in required
        if "anyOf" in node:
            options = [_resolve(schema, o) for o in node["anyOf"] if o.get("type") != "null"]
            node = options[0]
        label = LABELS.get(name, name.replace("_", " "))
        if node.get("type") == "array":
            items = _resolve(schema, node["items"])
            fields.append(
                FormField(name, label, "multi", tuple(items.get("enum", ())), required=False)
            )
        elif "enum" in node:
            fields.append(FormField(name, label, "choice", tuple(node["enum"]), not optional))
        else:
            fields.append(
                FormField(
                    name,
                    label,
                    "integer" if node.get("type") == "integer" else "number",
                    required=not optional,
                    minimum=node.get("minimum"),
                    maximum=node.get("maximum"),
                )
            )
    return tuple(fields)


def form_to_intake_data(form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Turn submitted form values (name -> list of strings) into intake data.

    Empty optional numbers become null, unticked sets become empty, numbers stay strings
    when they do not parse (so the model reports them, naming the field).
    """
    data: dict[str, Any] = {}
    for f in intake_form_fields():
        values = [v.strip() for v in form.get(f.name, ())]
        if f.kind == "multi":
            data[f.name] = [v for v in values if v]
            continue
        value = values[0] if values else ""
        if value == "":
            if f.required:
                continue  # missing: the model says so
            data[f.name] = None
        elif f.kind in {"integer", "number"}:
            data[f.name] = _number(value, integer=f.kind == "integer")
        else:
            data[f.name] = value
    return data


def _number(text: str, *, integer: bool) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    if integer and number.is_integer():
        return int(number)
    return number


def validate_intake(data: Mapping[str, Any]) -> tuple[Intake | None, dict[str, str]]:
    """Validate intake data with the Intake model.

    Returns
    -------
    (Intake, {}) when valid, or (None, {field name: message}) naming each bad field
    (``_form`` for problems not tied to one field).
    """
    try:
        return Intake.model_validate(dict(data)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for item, line in zip(
            exc.errors(), describe_validation_error(exc).splitlines(), strict=False
        ):
            loc = [p for p in item["loc"] if isinstance(p, str)]
            key = loc[0] if loc else "_form"
            errors.setdefault(key, line.split(": ", 1)[-1] if ": " in line else line)
        return None, errors


@lru_cache(maxsize=1)
def library() -> PoseLibrary:
    """The pose library (loaded and validated once)."""
    from twistcoach.poses import load_library

    return load_library()


def variant_names() -> dict[str, str]:
    """Variant id -> "English name (Sanskrit name)" from the pose library, in difficulty order."""
    return {v.id: f"{v.english_name} ({v.sanskrit_name})" for v in library()}


def make_plan(intake: Intake) -> dict[str, Any]:
    """Screen an intake; the plan in the JSON shape documented for ``twistcoach plan --json``."""
    from twistcoach.screening import screen

    return screen(intake, library()).to_json_dict()


def allowed_variants(decision: PracticeDecision) -> tuple[VariantPermission, ...]:
    """The variants planning lets a coached session start with now, easiest first (each
    with its cap for this session)."""
    return decision.allowed


#: Planning's rule that marks a variant the plan allows but the coach cannot measure.
NOT_COACHED_RULE = "SAFE-NOT-COACHED"
#: Planning's rule that marks a clearance asking for more than the plan gives.
CLIPPED_RULE = "SAFE-CLEARANCE-CLIPPED"
#: Planning's rules that set a session's cap below the plan's (history, staff approvals).
CAP_RULES = frozenset({"SAFE-PAIN-LOWER", "SAFE-APPROVED", "SAFE-RAISE-HELD"})


@dataclass(frozen=True)
class VariantView:
    """Planning's verdict on one variant, in plain words (for the plan and staff pages).

    Attributes
    ----------
    id, name
        The variant and its name.
    allowed
        A coached session may start with it now.
    verdict
        ``allowed now, up to N°``, ``allowed by your plan, but the coach cannot measure it
        yet`` or ``not now``.
    plan_words
        What the screening plan alone says (``allowed``, ``needs a clearance first``...).
    cap_deg, plan_cap_deg
        This session's cap and the plan's cap (degrees; None when none).
    clipped
        The plain reasons of clearances asking for more than the plan gives.
    cap_why
        The plain reasons the cap is what it is (a pain rise, an approval), if any.
    reasons
        Every reason, as (plain text, CLINICAL.md source); never a rule id.
    props
        Props the plan asks for.
    """

    id: str
    name: str
    allowed: bool
    verdict: str
    plan_words: str
    cap_deg: float | None
    plan_cap_deg: float | None
    clipped: tuple[str, ...]
    cap_why: tuple[str, ...]
    reasons: tuple[tuple[str, str], ...]
    props: tuple[str, ...] = ()


def verdict_words(permission: VariantPermission) -> str:
    """Planning's verdict on one variant in a few plain words."""
    if permission.allowed and permission.cap_deg is not None:
        return f"allowed now, up to {permission.cap_deg:.0f}°"
    if permission.plan_status is VariantStatus.ALLOWED and any(
        r.rule == NOT_COACHED_RULE for r in permission.reasons
    ):
        return "allowed by your plan, but the coach cannot measure it yet"
    return "not now"


def variant_views(decision: PracticeDecision) -> list[VariantView]:
    """One :class:`VariantView` per variant of the decision, in difficulty order."""
    names = variant_names()
    props: dict[str, tuple[str, ...]] = {}
    if decision.plan is not None:
        props = {v.id: tuple(str(p) for p in v.props) for v in decision.plan.variants}
    return [
        VariantView(
            id=p.variant_id,
            name=names.get(p.variant_id, p.variant_id),
            allowed=p.allowed,
            verdict=verdict_words(p),
            plan_words=VARIANT_STATUS_WORDS.get(p.plan_status.value, p.plan_status.value),
            cap_deg=p.cap_deg,
            plan_cap_deg=p.plan_cap_deg,
            clipped=tuple(r.text for r in p.reasons if r.rule == CLIPPED_RULE),
            cap_why=tuple(r.text for r in p.reasons if r.rule in CAP_RULES),
            reasons=tuple((r.text, r.source) for r in p.reasons),
            props=props.get(p.variant_id, ()),
        )
        for p in decision.variants
    ]


def flag_words(decision: PracticeDecision) -> tuple[str, ...]:
    """The open safety flags in plain words, oldest first, each saying it waits for review
    (e.g. "Sharp pain stopped a session on 2026-12-01 — waiting for review")."""
    return tuple(f"{f.reason.text.rstrip('. ')} — waiting for review" for f in decision.open_flags)


def today() -> dt.date:
    """Today's date (the edge's clock)."""
    return dt.date.today()


@dataclass(frozen=True)
class SuggestionView:
    """A progression suggestion in plain words (for pages)."""

    summary: str
    reasons: tuple[str, ...]


def suggest_progression(repo: Repository, person_id: int) -> dict[str, Any] | None:
    """Planning's progression suggestion for a stored person, as JSON (None when none).

    The same call as ``twistcoach progress``
    (:func:`twistcoach.storage.progress.decide_for_person`).
    """
    from twistcoach.storage.progress import decide_for_person

    suggestion = decide_for_person(repo, person_id).progression
    return None if suggestion is None else suggestion.to_dict()


_ACTION_WORDS = {
    "start": "Start {variant} at a knee drop of {suggested}",
    "keep": "Keep {variant} at {suggested}",
    "raise_cap": "Raise the cap of {variant} from {current} to {suggested}",
    "lower_cap": "Lower the cap of {variant} to {suggested}",
    "pause": "Pause twists for now",
    "see_clinician": "See a healthcare professional before going on",
    "unlock_variant": "Move on to {next}",
    "needs_clearance": "{next} would be next, but needs a clearance first",
}


def suggestion_view(suggestion: Mapping[str, Any] | None) -> SuggestionView | None:
    """Plain words of a suggestion (None when there is none)."""
    if suggestion is None:
        return None
    names = variant_names()

    def deg(value: object) -> str:
        return f"{value:.0f}°" if isinstance(value, int | float) else "no measured cap"

    template = _ACTION_WORDS.get(str(suggestion.get("action")), "{action}")
    summary = template.format(
        action=suggestion.get("action"),
        variant=names.get(str(suggestion.get("variant_id")), suggestion.get("variant_id")),
        next=names.get(str(suggestion.get("next_variant_id")), suggestion.get("next_variant_id")),
        current=deg(suggestion.get("current_cap_deg")),
        suggested=deg(suggestion.get("suggested_cap_deg")),
    )
    reasons = tuple(
        str(r.get("text")) if isinstance(r, Mapping) else str(r)
        for r in suggestion.get("reasons", [])
    )
    return SuggestionView(summary, reasons)
