"""A student's record as HL7 FHIR R4B resources, for the clinic's system.

Built with the ``fhir.resources.R4B`` models, so every resource is validated as it is made
(a bad one raises :class:`FhirExportError`), and gathered in a Bundle of type
``collection``:

- ``Patient``: the student (their name as twistcoach knows it);
- ``Questionnaire``: the intake's questions, generated from the intake model
  (:class:`twistcoach.intake.Intake`'s JSON schema, the plain red-flag questions and
  condition descriptions), versioned by a hash of that schema;
- ``QuestionnaireResponse``: each stored intake's answers (a field left empty is absent);
- ``CarePlan`` with a ``Goal`` for each allowed variant (its knee-drop cap as the goal's
  upper bound) and a ``ServiceRequest`` for the exercise (SNOMED CT 229065009 "Exercise
  therapy"); the caps are planning's (:func:`twistcoach.storage.progress.decide_for_person`),
  never computed here;
- per session: an ``Observation`` for the session (variant, cap, period, how it ended:
  ``completed`` or the stop reason) with the others as members; per side held, the knee drop
  held (``knee-drop-held``; a seated or standing twist's trunk rotation held,
  ``trunk-rotation-held``, the measure read from the variant's family; UCUM ``deg``, the
  side as a component, method "markerless video, single camera", the measured accuracy in
  a note, the cap as the reference range's upper bound) and the
  time held (UCUM ``s``); each pain report (LOINC 72514-3, 0-10; a sharp-pain report is not
  a score: an Observation "sharp pain reported" and a ``Flag``).

Unknown travels as unknown: a knee drop that was never measured has no value but a
``dataAbsentReason`` of ``unknown``, never 0; a pain the person did not give has no
Observation at all.

Stable identifiers: every resource has an ``identifier`` in :data:`IDENTIFIER_SYSTEM` (or
the system the caller gives: one per installation, since database ids are only unique
within one) whose value is made from database ids (``person/1/session/3/knee-drop/right``),
and its ``id`` (and the Bundle entry's ``urn:uuid:`` full URL) is a UUID 5 of system and
value. A second export of the same records gives the same ids, so the clinic's system
updates (``PUT Observation?identifier=system|value``) rather than duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from twistcoach.errors import DataError
from twistcoach.export.accuracy import load_accuracy
from twistcoach.export.clinical_report import today_text
from twistcoach.export.facts import HeldSide, PainMark, PersonFacts, SessionFacts
from twistcoach.planning import FlagKind

#: The default system of every identifier (set one per installation: ``--system``).
IDENTIFIER_SYSTEM = "https://twistcoach.example.org/fhir/id"
#: twistcoach's own codes (measures without a LOINC code, stop reasons, variants).
CODE_SYSTEM = "https://twistcoach.example.org/fhir/CodeSystem/twistcoach"
#: The intake Questionnaire's canonical URL.
QUESTIONNAIRE_URL = "https://twistcoach.example.org/fhir/Questionnaire/intake"

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

PAIN_LOINC = "72514-3"
PAIN_LOINC_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
EXERCISE_THERAPY_SNOMED = "229065009"
SIDE_SNOMED = {"right": ("24028007", "Right"), "left": ("7771000", "Left")}
METHOD_TEXT = "markerless video, single camera"


class FhirExportError(DataError):
    """A resource did not validate against the FHIR R4B models (the message names it)."""


# --------------------------------------------------------------------------- helpers


def _uuid(system: str, value: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{system}|{value}"))


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _qty(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 1), "unit": unit, "system": UCUM, "code": unit}


def _code(code: str, display: str, system: str = CODE_SYSTEM) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBS_CATEGORY, "code": code, "display": display}]}]


def _validate(resource_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data`` with the R4B model of ``resource_type``; return its JSON form."""
    from fhir.resources.R4B import get_fhir_model_class

    model: type[BaseModel] = get_fhir_model_class(resource_type)
    try:
        made = model.model_validate({"resourceType": resource_type, **data})
    except ValidationError as exc:
        raise FhirExportError(f"{resource_type} {data.get('id')}: {exc}") from exc
    out: dict[str, Any] = json.loads(made.model_dump_json(exclude_none=True))
    return out


_ONE_IDENTIFIER = frozenset({"QuestionnaireResponse", "Bundle"})


class _Builder:
    """Collects validated resources with stable ids for one Bundle."""

    def __init__(self, system: str, person_id: int) -> None:
        self.system = system
        self.person_id = person_id
        self.entries: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def key(self, *parts: object) -> str:
        return "/".join(["person", str(self.person_id), *(str(p) for p in parts)])

    def ref(self, resource_type: str, value: str) -> dict[str, str]:
        return {"reference": f"urn:uuid:{_uuid(self.system, value)}", "type": resource_type}

    def add(self, resource_type: str, value: str, data: Mapping[str, Any]) -> dict[str, str]:
        """Validate and add a resource; return a reference to it."""
        rid = _uuid(self.system, value)
        if rid not in self._seen:
            identifier = {"system": self.system, "value": value}
            body = {
                "id": rid,
                # QuestionnaireResponse has one identifier, the others a list.
                "identifier": identifier if resource_type in _ONE_IDENTIFIER else [identifier],
                **data,
            }
            if resource_type == "Questionnaire":  # a canonical resource: one identifier
                body["url"] = QUESTIONNAIRE_URL
            self.entries.append(
                {"fullUrl": f"urn:uuid:{rid}", "resource": _validate(resource_type, body)}
            )
            self._seen.add(rid)
        return self.ref(resource_type, value)


# --------------------------------------------------------------------------- intake


#: Plain questions for the intake's fields (a field missing here is an error in a test).
FIELD_TEXT: dict[str, str] = {
    "age": "Your age (years)",
    "pain_now": "Back pain right now, 0 (none) to 10 (worst imaginable)",
    "pain_duration_weeks": "How long has this episode of back pain lasted (weeks; 0 if none)?",
    "activity": "How active are you usually?",
    "leg_symptoms": "Where do leg pain, pins and needles or numbness reach?",
    "red_flags": "Do any of these apply to you now?",
    "conditions": "Diagnosed or known conditions",
    "surgery_months_ago": "Months since spinal or hip surgery",
    "pregnancy_weeks": "Weeks of pregnancy",
    "clearances": "Clearances from a clinician or a teacher trained for back problems",
    "by": "Cleared by (clinician or teacher)",
    "name": "Name of the person who cleared you",
    "date": "Date of the clearance",
    "variants": "Twist variants it covers",
    "max_knee_drop_deg": "Largest knee drop it allows (degrees)",
    "teacher_trained_for_back_problems": "The teacher is trained for back problems",
}


def _intake_schema() -> dict[str, Any]:
    from twistcoach.intake import Intake

    schema: dict[str, Any] = Intake.model_json_schema()
    return schema


def questionnaire_version() -> str:
    """A short hash of the intake model's JSON schema: it changes when the model does."""
    text = json.dumps(_intake_schema(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The node with ``$ref`` and ``anyOf [X, null]`` resolved, and whether null is allowed."""
    optional = False
    current = dict(node)
    if "anyOf" in current:
        options = [o for o in current["anyOf"] if o.get("type") != "null"]
        optional = len(options) < len(current["anyOf"])
        current = {**current, **options[0]}
        current.pop("anyOf", None)
    if "$ref" in current:
        name = str(current["$ref"]).rsplit("/", 1)[-1]
        current = {**schema["$defs"][name], **{k: v for k, v in current.items() if k != "$ref"}}
    return current, optional


def _options(field: str, values: Sequence[str]) -> list[dict[str, Any]]:
    from twistcoach.intake import CONDITION_DESCRIPTIONS, Condition

    out = []
    for value in values:
        display = value.replace("_", " ")
        if field == "conditions":
            display = CONDITION_DESCRIPTIONS.get(Condition(value), display)
        out.append({"valueCoding": {"system": CODE_SYSTEM, "code": value, "display": display}})
    return out


def _item(schema: Mapping[str, Any], field: str, node: Mapping[str, Any], required: bool) -> Any:
    from twistcoach.intake import RED_FLAG_QUESTIONS, RedFlag

    resolved, optional = _resolve(schema, node)
    item: dict[str, Any] = {
        "linkId": field,
        "text": FIELD_TEXT.get(field, str(resolved.get("title", field))),
        "required": required and not optional,
    }
    kind = resolved.get("type")
    if field == "red_flags":
        item["type"] = "group"
        item["item"] = [
            {"linkId": f"red_flags.{flag.value}", "text": RED_FLAG_QUESTIONS[flag]}
            | {"type": "boolean", "required": True}
            for flag in RedFlag
        ]
        return item
    if kind == "array":
        inner, _ = _resolve(schema, resolved.get("items", {}))
        item["repeats"] = True
        if "enum" in inner:
            item["type"] = "choice"
            item["answerOption"] = _options(field, inner["enum"])
        elif inner.get("type") == "object":
            item["type"] = "group"
            inner_required = set(inner.get("required", ()))
            item["item"] = [
                _item(schema, sub, sub_node, sub in inner_required)
                for sub, sub_node in inner.get("properties", {}).items()
            ]
        else:
            item["type"] = "string"
        return item
    if "enum" in resolved:
        item["type"] = "choice"
        item["answerOption"] = _options(field, resolved["enum"])
    elif kind == "integer":
        item["type"] = "integer"
    elif kind == "number":
        item["type"] = "decimal"
    elif kind == "boolean":
        item["type"] = "boolean"
    elif resolved.get("format") == "date":
        item["type"] = "date"
    else:
        item["type"] = "string"
    return item


def questionnaire_items() -> list[dict[str, Any]]:
    """The intake Questionnaire's items, generated from the intake model's JSON schema."""
    schema = _intake_schema()
    required = set(schema.get("required", ()))
    return [
        _item(schema, field, node, field in required)
        for field, node in schema["properties"].items()
    ]


def _answer(value: object, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    kind = item["type"]
    values = value if isinstance(value, list | tuple) else [value]
    out: list[dict[str, Any]] = []
    for v in values:
        if v is None:
            continue
        if kind == "choice":
            coding = next(
                o["valueCoding"] for o in item["answerOption"] if o["valueCoding"]["code"] == v
            )
            out.append({"valueCoding": coding})
        elif kind == "integer" and isinstance(v, int):
            out.append({"valueInteger": v})
        elif kind == "decimal" and isinstance(v, int | float):
            out.append({"valueDecimal": float(v)})
        elif kind == "boolean":
            out.append({"valueBoolean": bool(v)})
        elif kind == "date":
            out.append({"valueDate": str(v)})
        else:
            out.append({"valueString": str(v)})
    return out


def _answers(data: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        field = str(item["linkId"]).rsplit(".", 1)[-1]
        if item["linkId"] == "red_flags":
            flags = set(data.get("red_flags", ()))
            out.append(
                {
                    "linkId": "red_flags",
                    "item": [
                        {"linkId": sub["linkId"], "answer": [{"valueBoolean": sub_flag in flags}]}
                        for sub in item["item"]
                        for sub_flag in [str(sub["linkId"]).split(".", 1)[1]]
                    ],
                }
            )
            continue
        value = data.get(field)
        if value is None or value == [] or value == ():
            continue  # unknown or not given: absent, never a made-up value
        if item["type"] == "group":
            groups = value if isinstance(value, list) else [value]
            for group in groups:
                out.append({"linkId": item["linkId"], "item": _answers(group, item["item"])})
            continue
        answer = _answer(value, item)
        if answer:
            out.append({"linkId": item["linkId"], "answer": answer})
    return out


# --------------------------------------------------------------------------- plan


def _variant_name(variant_id: str) -> str:
    from twistcoach.poses.loader import load_library

    return load_library().name_of(variant_id)


def _add_plan(b: _Builder, facts: PersonFacts, patient: dict[str, str]) -> None:
    decision = facts.decision
    goals: list[dict[str, str]] = []
    instructions: list[str] = []
    for permission in decision.allowed:
        name = _variant_name(permission.variant_id)
        goal: dict[str, Any] = {
            "lifecycleStatus": "active",
            "description": _code(f"variant-{permission.variant_id}", f"Practise the {name}"),
            "subject": patient,
            "note": [{"text": " ".join(r.text for r in permission.reasons)}],
        }
        if permission.cap_deg is not None:
            # The cap in the variant's own measure (issue 20: seated and standing twists are
            # capped in trunk rotation, shoulder line against pelvis line).
            rotation = permission.measure == "trunk_rotation"
            measure = (
                _code("trunk-rotation-held", "Trunk rotation held")
                if rotation
                else _code("knee-drop-held", "Knee drop held")
            )
            goal["target"] = [
                {"measure": measure, "detailRange": {"high": _qty(permission.cap_deg, "deg")}}
            ]
            what = "trunk rotation" if rotation else "knee drop"
            instructions.append(f"{name}: {what} at most {permission.cap_deg:g} deg")
        else:
            instructions.append(f"{name}: no cap the camera can measure")
        goals.append(b.add("Goal", b.key("goal", permission.variant_id), goal))
    service = b.add(
        "ServiceRequest",
        b.key("service-request", "exercise"),
        {
            "status": "active" if goals else "on-hold",
            "intent": "plan",
            "code": {
                "coding": [
                    {
                        "system": SNOMED,
                        "code": EXERCISE_THERAPY_SNOMED,
                        "display": "Exercise therapy",
                    }
                ],
                "text": "Yoga spinal twist practice, coached by camera",
            },
            "subject": patient,
            "authoredOn": _instant(facts.now),
            "patientInstruction": "; ".join(instructions) or "No twist allowed now.",
        },
    )
    # Each reason in words with its CLINICAL.md source, as the clinical report gives it.
    notes = [f"{r.text} ({r.source})" for r in decision.reasons]
    notes += [f"Open flag: {f.reason.text}" for f in decision.open_flags]
    notes += [
        f"Clearance by {c.name} ({c.by_role}) on {c.date.isoformat()} for "
        f"{', '.join(_variant_name(v) for v in c.variants)}"
        + (f", knee drop at most {c.max_knee_drop_deg:g} deg" if c.max_knee_drop_deg else "")
        + (
            f", trunk rotation at most {c.max_trunk_rotation_deg:g} deg"
            if c.max_trunk_rotation_deg
            else ""
        )
        for c in facts.clearances
    ]
    plan = decision.plan
    status = "active" if goals else "on-hold"
    care: dict[str, Any] = {
        "status": status,
        "intent": "plan",
        "title": "Spinal twist practice plan",
        # Planning's verdict for today first, as the clinical report leads (its helper):
        # "Screening: ready." led a plan on hold for a sharp-pain lock or a red flag.
        "description": (
            f"{today_text(decision)} Screening: {plan.status.value.replace('_', ' ')}."
            if plan is not None
            else "No intake yet."
        )
        + (" " + " ".join(plan.advice) if plan is not None else ""),
        "subject": patient,
        "created": _instant(facts.now),
        "goal": goals,
        "activity": [{"reference": service}],
    }
    if notes:
        care["note"] = [{"text": n} for n in notes]
    b.add("CarePlan", b.key("care-plan"), care)


# --------------------------------------------------------------------------- sessions


def _side_component(side: str) -> dict[str, Any]:
    code, display = SIDE_SNOMED[side]
    return {
        "code": {"coding": [{"system": SNOMED, "code": "272741003", "display": "Laterality"}]},
        "valueCodeableConcept": {
            "coding": [{"system": SNOMED, "code": code, "display": display}],
            "text": side,
        },
    }


#: The trunk rotation's measured accuracy, quoted on a seated or standing twist's hold
#: (bench/ACCURACY_SEATED.md, "Calibrated" columns, recommended camera ``front_raised``:
#: in front, 35 deg up, 2.6 m; 6 rendered bodies, 3 held out, true rotation up to 47 deg).
ROTATION_ACCURACY_NOTE = (
    "Measured accuracy (rendered people, seated and standing, calibrated sitting or "
    "standing tall and facing the camera; recommended camera place: in front, raised about "
    "35 deg): trunk-rotation error mean 2.3 deg seated (2.7 on held-out bodies), 1.6 "
    "standing (2.5), worst 6.0 seated (8.8) and 7.5 standing (8.3); a reading whose side "
    "is not sure is left unknown; diagonal, side and overhead cameras are refused. "
    "Source: bench/ACCURACY_SEATED.md."
)


def _hold_observations(
    b: _Builder, s: SessionFacts, hold: HeldSide, index: int, patient: dict[str, str]
) -> list[dict[str, str]]:
    # A hold is coded by the session's measure (issue 20): a seated or standing twist holds
    # a trunk rotation, a supine twist a knee drop. The stored samples carry either in the
    # same column (docs/storage.md); the variant says which.
    rotation = s.summary.session.measure == "trunk_rotation"  # SessionRecord.measure
    period = {"start": _instant(s.at(hold.start_t_s)), "end": _instant(s.at(hold.end_t_s))}
    base = {
        "status": "final",
        "category": _category("activity", "Activity"),
        "subject": patient,
        "effectivePeriod": period,
        "component": [_side_component(hold.side)],
    }
    sid = s.session_id
    if rotation:
        code = _code(
            "trunk-rotation-held",
            "Trunk rotation held (seated or standing twist, median of the hold)",
        )
        note = ROTATION_ACCURACY_NOTE
    else:
        code = _code("knee-drop-held", "Knee drop held (supine twist, median of the hold)")
        note = load_accuracy().note(s.body_model)
    what = "trunk rotation" if rotation else "knee drop"
    drop: dict[str, Any] = {
        **base,
        "code": code,
        "method": {"text": METHOD_TEXT},
        "note": [{"text": note}],
    }
    if hold.knee_drop_deg is not None:
        drop["valueQuantity"] = _qty(hold.knee_drop_deg, "deg")
    else:
        drop["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT, "code": "unknown", "display": "Unknown"}],
            "text": f"the camera could not measure the {what} from its place",
        }
    if hold.cap_deg is not None:
        drop["referenceRange"] = [{"high": _qty(hold.cap_deg, "deg"), "text": "the cap"}]
    held = {
        **base,
        "code": _code("hold-time", "Time held"),
        "valueQuantity": _qty(hold.held_s, "s"),
    }
    return [
        b.add(
            "Observation",
            b.key("session", sid, "hold", index, "trunk-rotation" if rotation else "knee-drop"),
            drop,
        ),
        b.add("Observation", b.key("session", sid, "hold", index, "time"), held),
    ]


def _pain_observation(
    b: _Builder,
    s: SessionFacts,
    key: str,
    level: int,
    when: dt.datetime,
    label: str,
    patient: dict[str, str],
) -> dict[str, str]:
    return b.add(
        "Observation",
        b.key("session", s.session_id, "pain", key),
        {
            "status": "final",
            "category": _category("survey", "Survey"),
            "code": {
                "coding": [{"system": LOINC, "code": PAIN_LOINC, "display": PAIN_LOINC_DISPLAY}],
                "text": f"Pain severity 0-10 ({label})",
            },
            "subject": patient,
            "effectiveDateTime": _instant(when),
            "valueInteger": level,
        },
    )


def _add_session(
    b: _Builder, s: SessionFacts, patient: dict[str, str], open_flag_sessions: set[int]
) -> None:
    sid = s.session_id
    head = s.summary.session
    members: list[dict[str, str]] = []
    for index, hold in enumerate(s.sides):
        members += _hold_observations(b, s, hold, index, patient)
    if head.start_pain is not None:
        members.append(
            _pain_observation(b, s, "start", head.start_pain, s.started_at, "before", patient)
        )
    for index, mark in enumerate(s.pains):
        members.append(_pain_mark(b, s, index, mark, patient, sid in open_flag_sessions))
    if head.end_pain is not None and head.ended_at is not None:
        members.append(
            _pain_observation(b, s, "end", head.end_pain, head.ended_at, "after", patient)
        )
    period: dict[str, str] = {"start": _instant(s.started_at)}
    if head.ended_at is not None:
        period["end"] = _instant(head.ended_at)
    session: dict[str, Any] = {
        "status": "preliminary" if s.outcome == "running" else "final",
        "category": _category("activity", "Activity"),
        "code": _code("twist-session", "Spinal twist practice session: how it ended"),
        "subject": patient,
        "effectivePeriod": period,
        "valueCodeableConcept": _code(s.outcome, s.outcome_text),
        "method": {"text": METHOD_TEXT},
        "component": [
            {
                "code": _code("variant", "Variant"),
                "valueCodeableConcept": _code(head.variant_id, _variant_name(head.variant_id)),
            },
            {
                "code": _code("cap", "Knee-drop cap at the start"),
                "valueQuantity": _qty(head.cap_deg, "deg"),
            },
        ],
    }
    if s.camera_pauses:
        session["note"] = [
            {"text": f"The coach paused {s.camera_pauses} time(s): the camera could not measure."}
        ]
    if members:
        session["hasMember"] = members
    b.add("Observation", b.key("session", sid), session)


def _pain_mark(
    b: _Builder, s: SessionFacts, index: int, mark: PainMark, patient: dict[str, str], open_: bool
) -> dict[str, str]:
    when = s.at(mark.t_s)
    if not mark.sharp:
        assert mark.level is not None
        return _pain_observation(b, s, str(index), mark.level, when, "during", patient)
    sharp = b.add(
        "Observation",
        b.key("session", s.session_id, "pain", index),
        {
            "status": "final",
            "category": _category("survey", "Survey"),
            "code": _code("sharp-pain", "Sharp pain reported (not a 0-10 score)"),
            "subject": patient,
            "effectiveDateTime": _instant(when),
            "valueBoolean": True,
        },
    )
    b.add(
        "Flag",
        b.key("session", s.session_id, "flag", "sharp-pain"),
        {
            "status": "active" if open_ else "inactive",
            "category": [
                {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}
            ],
            "code": _code(
                "sharp-pain-stop",
                "Sharp pain during a twist: the session stopped at once; "
                "a teacher or clinician reviews before practice goes further",
            ),
            "subject": patient,
            "period": {"start": _instant(when)},
        },
    )
    return sharp


# --------------------------------------------------------------------------- the bundle


def build_bundle(
    facts: PersonFacts,
    *,
    system: str = IDENTIFIER_SYSTEM,
    include_record: bool = True,
) -> dict[str, Any]:
    """The student's record as a validated FHIR R4B Bundle (type ``collection``), as JSON.

    Parameters
    ----------
    facts
        From :func:`twistcoach.export.facts.gather`.
    system
        The identifier system (one per installation).
    include_record
        With the Questionnaire, the intake answers and the care plan; False gives the
        Patient and the sessions only (a per-session export).

    Raises
    ------
    FhirExportError
        A resource did not validate (a bug: the message names it).
    """
    b = _Builder(system, facts.person.id)
    patient = b.add("Patient", b.key(), {"active": True, "name": [{"text": facts.person.name}]})
    if include_record:
        items = questionnaire_items()
        version = questionnaire_version()
        questionnaire = b.add(
            "Questionnaire",
            f"questionnaire/intake/{version}",
            {
                "version": version,
                "name": "TwistcoachIntake",
                "title": "twistcoach intake: back history for spinal twist practice",
                "status": "active",
                "subjectType": ["Patient"],
                "item": items,
            },
        )
        del questionnaire
        for record in facts.intakes:
            if record.intake is None:
                continue  # no longer valid: planning ignores it too
            b.add(
                "QuestionnaireResponse",
                b.key("intake", record.id),
                {
                    "questionnaire": f"{QUESTIONNAIRE_URL}|{version}",
                    "status": "completed",
                    "subject": patient,
                    "authored": _instant(record.created_at),
                    "item": _answers(record.intake.to_json_dict(), items),
                },
            )
        _add_plan(b, facts, patient)
        # Every open flag but sharp pain (each session's sharp-pain mark is its Flag) is a
        # Flag of its own: a check-in's nerve signs or worse back, pain repeated across
        # sessions, a red flag a later intake left out. The export had only the sharp-pain
        # Flags, so an open nerve-sign flag read as nothing active.
        for flag in facts.decision.open_flags:
            if flag.kind is FlagKind.SHARP_PAIN:
                continue
            # One intake can leave out several red flags at once: each answer is its own Flag
            # (the builder keeps one resource per key).
            extra = () if flag.answer is None else (flag.answer,)
            b.add(
                "Flag",
                b.key("flag", flag.kind.value, flag.raised_at.isoformat(), *extra),
                {
                    "status": "active",
                    "category": [
                        {
                            "coding": [
                                {"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}
                            ]
                        }
                    ],
                    "code": _code(flag.kind.value.replace("_", "-"), flag.reason.text),
                    "subject": patient,
                    "period": {"start": _instant(flag.raised_at)},
                },
            )
    open_flags = {f.session_id for f in facts.decision.open_flags if f.session_id is not None}
    for session in facts.sessions:
        _add_session(b, session, patient, open_flags)
    bundle_value = b.key("bundle" if include_record else "sessions")
    if not include_record:
        bundle_value += "/" + ",".join(str(s.session_id) for s in facts.sessions)
    return _validate(
        "Bundle",
        {
            "id": _uuid(system, bundle_value),
            "identifier": {"system": system, "value": bundle_value},
            "type": "collection",
            "timestamp": _instant(facts.now),
            "entry": b.entries,
        },
    )
