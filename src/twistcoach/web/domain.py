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

from markupsafe import Markup
from pydantic import ValidationError

from twistcoach.i18n import ngettext
from twistcoach.intake import (
    MONTHS_WITHOUT_SURGERY,
    WEEKS_WITHOUT_PREGNANCY,
    ClearanceBy,
    Intake,
    describe_validation_error,
)
from twistcoach.metrics import degrees_text
from twistcoach.planning import PracticeDecision, VariantPermission
from twistcoach.poses import PoseLibrary
from twistcoach.progression import ProgressionSuggestion
from twistcoach.screening import VariantStatus
from twistcoach.storage.progress import session_started, session_zone
from twistcoach.storage.repository import Repository
from twistcoach.wording import (  # a session's events in words: the web's and the CLI's
    TimelineRow as TimelineRow,
)
from twistcoach.wording import (  # re-exported: the pages use them as domain.*
    Wording as Wording,
)
from twistcoach.wording import (
    choice_words as choice_words,
)
from twistcoach.wording import (
    over_cap_words as over_cap_words,
)
from twistcoach.wording import (
    status_words as status_words,
)
from twistcoach.wording import (
    stop_words as stop_words,
)
from twistcoach.wording import (
    timeline as timeline,
)
from twistcoach.wording import (
    wording as wording,
)

#: Fields the student does not fill in: clearances are recorded by staff.
_STAFF_ONLY_FIELDS = frozenset({"clearances"})

LABELS = {
    "age": "Age (years)",
    "pain_now": "Back pain right now (0 = none, 10 = worst imaginable)",
    "pain_duration_weeks": "How many weeks this back pain has lasted (0 if none)",
    "activity": "How active you usually are",
    "leg_symptoms": "Do you have leg pain, tingling or numbness? How far does it reach?",
    "red_flags": "Do any of these apply to you now? Tick each one that does.",
    "conditions": "Has a doctor or clinician told you that you have any of these? Tick each one.",
    "surgery_months_ago": "Months since spinal or hip surgery",
    "pregnancy_weeks": "Weeks of pregnancy",
}

VARIANT_STATUS_WORDS = {
    "allowed": "allowed",
    "needs_clearance": "needs a clearance first",
    "not_allowed": "not for you now",
    # Screening allows it only with a clearance recorded while a safety flag was open:
    # planning holds that clearance (SAFE-CLEARANCE-HELD) and refuses the twist until a
    # review, so the plan column never reads "allowed" for it.
    "held": "cleared, but held until a review",
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


def form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Intake data as the form shows it: a whole number of weeks or months as "40", never
    "40.0" (the stored answers keep their numbers as the model reads them)."""
    return {
        name: int(value) if isinstance(value, float) and value.is_integer() else value
        for name, value in data.items()
    }


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
            said = CROSS_FIELD_WORDS.get(item["type"])
            if said is None:
                said = line.split(": ", 1)[-1] if ": " in line else line
            errors.setdefault(key, said)
        return None, errors


#: The checks of one intake field against another, in the form's words (its boxes and
#: their labels, where the file's message names values such as ``spinal_surgery``).
CROSS_FIELD_WORDS = {
    WEEKS_WITHOUT_PREGNANCY: (
        "Weeks of pregnancy are filled in, but Pregnancy is not ticked among the conditions: "
        "tick it, or leave the weeks empty."
    ),
    MONTHS_WITHOUT_SURGERY: (
        "Months since surgery are filled in, but no surgery is ticked among the conditions: "
        "tick the surgery you had, or leave the months empty."
    ),
}


@lru_cache(maxsize=1)
def library() -> PoseLibrary:
    """The pose library (loaded and validated once)."""
    from twistcoach.poses import load_library

    return load_library()


def variant_names() -> dict[str, str]:
    """Variant id -> "English name (Sanskrit name)" from the pose library, in difficulty order."""
    return library().names(sanskrit=True)


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
#: Planning's rule that marks a clearance recorded while a safety flag was open (held until
#: a review: it neither opens the twist nor raises its cap yet).
HELD_RULE = "SAFE-CLEARANCE-HELD"


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
    held
        The plain reasons of clearances planning holds until a review (recorded while a
        safety flag was open); when any, ``plan_cap_deg`` is the held clearance's and is
        not in force.
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
    #: What the caps measure: ``knee_drop`` (supine) or ``trunk_rotation`` (seated, standing).
    measure: str = "knee_drop"
    held: tuple[str, ...] = ()


def plan_words(permission: VariantPermission) -> str:
    """What the plan says of one variant, in a few words, as planning decided it.

    Screening's status counts every clearance, also one planning holds until a review (a
    clearance recorded while a safety flag was open): its "allowed" then contradicted the
    "not now" beside it. Planning's own reason (``SAFE-CLEARANCE-HELD``) on a refused
    permission says "held until a review" instead: the same decision the start obeys.
    """
    if not permission.allowed and any(r.rule == HELD_RULE for r in permission.reasons):
        return VARIANT_STATUS_WORDS["held"]
    status = permission.plan_status.value
    return VARIANT_STATUS_WORDS.get(status, status)


def verdict_words(permission: VariantPermission) -> str:
    """Planning's verdict on one variant in a few plain words."""
    if permission.allowed and permission.cap_deg is not None:
        return f"allowed now, up to {degrees_text(permission.cap_deg)}°"
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
            plan_words=plan_words(p),
            cap_deg=p.cap_deg,
            plan_cap_deg=p.plan_cap_deg,
            clipped=tuple(r.text for r in p.reasons if r.rule == CLIPPED_RULE),
            cap_why=tuple(r.text for r in p.reasons if r.rule in CAP_RULES),
            reasons=tuple((r.text, r.source) for r in p.reasons),
            props=props.get(p.variant_id, ()),
            measure=p.measure,
            held=tuple(r.text for r in p.reasons if r.rule == HELD_RULE),
        )
        for p in decision.variants
    ]


#: Screening's note on a twist a clearance names whose date is after the person's today (it
#: counts from that day).
NOT_YET_RULE = "clearance_not_yet"
#: Planning's rule that marks a care plan's cap above what planning allows (clipped).
CARE_CLIPPED_RULE = "SAFE-CLINICIAN-CLIPPED"


@dataclass(frozen=True)
class CarePlanTwist:
    """One twist of the clinician's care plan in force, as planning uses it now.

    Attributes
    ----------
    id, name
        The variant and its name.
    allowed
        Planning lets a session start with it now.
    cap_deg
        The cap planning uses now (None when it is not allowed now): never the care plan's
        own figure, which planning may have clipped.
    measure
        What the cap measures (``knee_drop`` or ``trunk_rotation``).
    clipped
        Planning's words when the care plan asks for more than it allows ("asks for up to
        80 degrees, but ... 45 is used"), else None.
    hold_s
        The seconds to hold each side the care plan sets (None: the pose's own).
    """

    id: str
    name: str
    allowed: bool
    cap_deg: float | None
    measure: str
    clipped: str | None
    hold_s: float | None


def care_plan_twists(decision: PracticeDecision) -> tuple[CarePlanTwist, ...]:
    """The care plan in force, twist by twist, as planning's decision uses it (one source:
    the student's plan page showed the plan's unclipped 80 degrees while planning used 45);
    empty without a care plan."""
    care = decision.clinician_plan
    if care is None:
        return ()
    names = variant_names()
    out: list[CarePlanTwist] = []
    for prescription in care.variants:
        if prescription.variant_id not in names:
            continue  # prescribed under an older pose library: planning skips it too
        permission = decision.permission(prescription.variant_id)
        clipped = next((r.text for r in permission.reasons if r.rule == CARE_CLIPPED_RULE), None)
        out.append(
            CarePlanTwist(
                id=prescription.variant_id,
                name=names[prescription.variant_id],
                allowed=permission.allowed,
                cap_deg=permission.cap_deg if permission.allowed else None,
                measure=permission.measure,
                clipped=clipped,
                hold_s=prescription.hold_s,
            )
        )
    return tuple(out)


def flag_words(decision: PracticeDecision) -> tuple[str, ...]:
    """The open safety flags in plain words, oldest first, each saying it waits for review
    (e.g. "Sharp pain stopped a session on 2026-12-01 — waiting for review"); nerve signs
    after sharp pain and red flags a later answer left out wait for a clinician's
    (:attr:`twistcoach.planning.FlagKind.clinician_only`)."""
    return tuple(
        f"{f.reason.text.rstrip('. ')} — waiting for "
        + ("a clinician's review" if f.kind.clinician_only else "review")
        for f in decision.open_flags
    )


@dataclass(frozen=True)
class RevivedClearance:
    """A clearance that a review would make count again though it was given before the
    nerve signs it did not know of (for the reviewer to decide knowingly).

    Attributes
    ----------
    who
        Who gave it, as reasons name them ("Tess Teacher (teacher)").
    date
        The clearance's own date.
    recorded_at
        When it was recorded.
    nerve_signs_at
        When the nerve signs (new leg symptoms, numbness or weakness after sharp pain) were
        reported.
    twists
        (variant name, the plan's cap in degrees or None) of each twist it opens or raises.
    clearance_id
        The stored clearance (for withdrawing it with the review; never shown).
    by_role
        Who gave it: a clinician or a teacher (planning's ``may_withdraw`` reads it).
    recorded_by
        The account that recorded it (None when unknown).
    """

    who: str
    date: dt.date
    recorded_at: dt.datetime
    nerve_signs_at: dt.datetime
    twists: tuple[tuple[str, float | None], ...]
    clearance_id: int | None = None
    by_role: ClearanceBy = ClearanceBy.CLINICIAN
    recorded_by: int | None = None


def review_revives(
    repo: Repository, person_id: int, decision: PracticeDecision, by: ClearanceBy, name: str
) -> tuple[RevivedClearance, ...]:
    """The clearances given before the open nerve signs (or red flags a later answer left
    out: every flag only a clinician's review closes) that a review by ``by`` now would
    make count again, each with the twists it opens or raises; empty when there are none
    or when this reviewer may not close those flags.

    Nerve signs after sharp pain refuse every twist until a clinician's review; the review
    closes the flag and every clearance recorded before it counts again, though its giver
    never knew of the nerve signs. Planning is asked, not re-derived: the decision after
    such a review, with and without those clearances (the difference is what they open).
    A twist the clinician's care plan in force leaves out is not counted: planning refuses
    it whatever the clearances say.
    """
    from dataclasses import replace

    from twistcoach.planning import SafetyReview, decide, may_review
    from twistcoach.storage.progress import load_history, lock_zone

    # Every flag only a clinician's review closes (nerve signs; red flags a later answer
    # left out): the clearances it holds come back with the review.
    nerve = tuple(f for f in decision.open_flags if f.kind.clinician_only)
    if not nerve or may_review(by, nerve) is not None:
        return ()  # a teacher's review leaves these flags open: it revives nothing
    signs_at = max(f.raised_at for f in nerve)
    summaries = repo.history(person_id)
    history = load_history(repo, person_id, summaries)
    # A clearance already withdrawn revives nothing (planning counts it no more).
    earlier = [c for c in history.clearances if c.recorded_at < signs_at and c.withdrawal is None]
    if not earlier:
        return ()
    now = repo.now()
    reviewed = replace(history, reviews=(*history.reviews, SafetyReview(now, by, name)))
    zone = lock_zone(summaries)
    after = decide(reviewed, library(), now=now, tz=zone)
    rest = tuple(c for c in history.clearances if c not in earlier)
    without = decide(replace(reviewed, clearances=rest), library(), now=now, tz=zone)
    names = variant_names()
    care = after.clinician_plan
    recorded_by = {c.id: c.recorded_by for c in repo.list_clearances(person_id)}
    revived: list[RevivedClearance] = []
    for dated in earlier:
        twists: list[tuple[str, float | None]] = []
        for variant_id in dict.fromkeys(dated.clearance.variants):
            if variant_id not in names:
                continue  # cleared under an older pose library: planning skips it too
            if care is not None and care.prescription(variant_id) is None:
                continue  # the care plan in force leaves it out: planning refuses it anyway
            got, alone = after.permission(variant_id), without.permission(variant_id)
            if got.plan_status is VariantStatus.ALLOWED and (
                got.plan_status,
                got.plan_cap_deg,
            ) != (alone.plan_status, alone.plan_cap_deg):
                twists.append((names[variant_id], got.plan_cap_deg))
        if twists:
            revived.append(
                RevivedClearance(
                    dated.clearance.who,
                    dated.clearance.date,
                    dated.recorded_at,
                    signs_at,
                    tuple(twists),
                    dated.clearance_id,
                    dated.clearance.by,
                    None if dated.clearance_id is None else recorded_by.get(dated.clearance_id),
                )
            )
    return tuple(revived)


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


def suggestion_view(suggestion: ProgressionSuggestion | None) -> SuggestionView | None:
    """Plain words of a suggestion (None when there is none)."""
    if suggestion is None:
        return None
    names = variant_names()

    def deg(value: float | None) -> str:
        return "no measured cap" if value is None else f"{degrees_text(value)}°"

    following = suggestion.next_variant_id
    summary = _ACTION_WORDS[suggestion.action.value].format(
        variant=names.get(suggestion.variant_id, suggestion.variant_id),
        next="" if following is None else names.get(following, following),
        current=deg(suggestion.current_cap_deg),
        suggested=deg(suggestion.suggested_cap_deg),
    )
    return SuggestionView(summary, tuple(r.text for r in suggestion.reasons))


# ------------------------------------------------------------- showing the pose


@dataclass(frozen=True)
class PoseGuide:
    """How to do one variant, for the plan and practice pages.

    Attributes
    ----------
    id, name
        The variant and its name.
    family
        ``supine_twist``, ``seated_twist`` or ``standing_twist`` (which drawing to show).
    position
        The starting position in words.
    steps
        The steps from the pose library, in order.
    props
        Props to have ready.
    cap_deg
        Today's cap (degrees; None when none).
    knee_at_cap, knee_floor
        The drawing's knee points (x, y in a 300 x 170 box) at the cap and on the floor,
        seen from the feet: the thigh from the hip (150, 140) at the cap's angle from
        straight up, so the picture shows what "part way" means for this person.
    arc_cap
        The SVG path of the allowed arc, from straight up to the cap.
    """

    id: str
    name: str
    family: str
    position: str
    steps: tuple[str, ...]
    props: tuple[str, ...]
    cap_deg: float | None
    knee_at_cap: tuple[float, float] | None
    arc_cap: str


#: The drawing's hip (seen from the feet) and thigh length, in SVG units.
_HIP = (150.0, 140.0)
_THIGH = 95.0


def _knee_at(deg: float, length: float = _THIGH) -> tuple[float, float]:
    import math

    a = math.radians(max(0.0, min(90.0, deg)))
    return (round(_HIP[0] + length * math.sin(a), 1), round(_HIP[1] - length * math.cos(a), 1))


def pose_guide(variant_id: str, cap_deg: float | None = None) -> PoseGuide:
    """The variant's steps, props and drawing geometry at ``cap_deg`` (from the library)."""
    variant = library().get(variant_id)
    knee = None if cap_deg is None else _knee_at(cap_deg)
    arc = ""
    if cap_deg is not None:
        r = 60.0
        end = _knee_at(cap_deg, r)
        arc = f"M {_HIP[0]:.1f} {_HIP[1] - r:.1f} A {r:.0f} {r:.0f} 0 0 1 {end[0]} {end[1]}"
    return PoseGuide(
        id=variant.id,
        name=variant_names().get(variant.id, variant.english_name),
        family=variant.family.value,
        position=variant.position,
        steps=tuple(s.text for s in variant.steps),
        props=tuple(str(p) for p in variant.props),
        cap_deg=cap_deg,
        knee_at_cap=knee,
        arc_cap=arc,
    )


@dataclass(frozen=True)
class ReasonGroup:
    """One reason, said once, with the variants it applies to (the plan's details)."""

    text: str
    source: str
    variants: tuple[str, ...]


def reason_groups(views: Sequence[VariantView]) -> list[ReasonGroup]:
    """Every reason of the plan's variants said once (it was repeated for each variant),
    in first-seen order, naming the variants it applies to."""
    order: list[tuple[str, str]] = []
    names: dict[tuple[str, str], list[str]] = {}
    for v in views:
        for reason in v.reasons:
            if reason not in names:
                order.append(reason)
                names[reason] = []
            names[reason].append(v.name)
    return [ReasonGroup(text, source, tuple(names[(text, source)])) for text, source in order]


# ----------------------------------------------------------- progress over weeks


#: The chart's panels: knee drop 0-90 degrees in y 50..170, pain 0-10 in y 226..310 (room
#: above each for its title, which a phone's style sheet makes larger, and above the pain
#: scale for the sharp-pain marks, which are no level on it).
_X0, _X1 = 60.0, 620.0
_DROP_Y0, _DROP_Y1 = 170.0, 50.0
_PAIN_Y0, _PAIN_Y1 = 310.0, 226.0
#: The sharp-pain marker's middle: above the pain scale's top (10), under its title.
_SHARP_Y = 214.0


@dataclass(frozen=True)
class ChartPoint:
    """One session on the progress chart (SVG coordinates); ``sharp``: sharp pain was
    reported (its own marker, never a level on the pain scale)."""

    x: float
    depth_y: float | None
    cap_y: float
    start_pain_y: float | None
    max_pain_y: float | None
    stopped: bool
    label: str
    sharp: bool = False


@dataclass(frozen=True)
class ProgressChart:
    """Sessions across weeks: deepest knee drop against the cap, pain at the start and the
    highest pain the person gave as a number, sharp pain marked apart, and stops, in a
    640 x 360 SVG box (two panels sharing the time axis).

    Attributes
    ----------
    points
        One per session, oldest first.
    cap_path
        The SVG path of the cap, a step line across sessions.
    depth_path
        The SVG polyline of the measured deepest drops (sessions without one are skipped).
    ticks
        (x, label) for dates along the time axis.
    sharp_y
        Where a session's sharp-pain marker is drawn: above the pain scale's 10, since sharp
        pain is no level on it (it had been drawn as "highest pain" 10, a number the person
        never gave).
    description
        The chart in words (for screen readers and as its caption).
    measure
        What the depths are (``SessionRecord.measure``): ``knee_drop``, or
        ``trunk_rotation`` when the latest session was a seated or standing twist; the chart
        shows the sessions of that measure only (degrees of the two are not comparable).
    """

    points: tuple[ChartPoint, ...]
    cap_path: str
    depth_path: str
    ticks: tuple[tuple[float, str], ...]
    description: str
    measure: str = "knee_drop"
    sharp_y: float = _SHARP_Y

    @property
    def pain_levels(self) -> tuple[tuple[int, float], ...]:
        """(level, y) of the pain scale's gridlines, 0, 5 and 10."""
        return tuple((level, _pain_y(level)) for level in (0, 5, 10))

    @property
    def sharp_count(self) -> int:
        """How many of the charted sessions had sharp pain (the caption says so)."""
        return sum(1 for p in self.points if p.sharp)


def _drop_y(deg: float) -> float:
    return round(_DROP_Y0 + (_DROP_Y1 - _DROP_Y0) * max(0.0, min(90.0, deg)) / 90.0, 1)


def _pain_y(level: float) -> float:
    return round(_PAIN_Y0 + (_PAIN_Y1 - _PAIN_Y0) * max(0.0, min(10.0, level)) / 10.0, 1)


#: The progress chart's description, by (a trunk-rotation chart, some session measured):
#: its singular (one session) and plural, chosen by :func:`twistcoach.i18n.ngettext`. Each
#: is catalogued whole (``i18n`` reads this table), so its Spanish is one sentence pair;
#: ``{stopped}`` is :data:`PROGRESS_STOPPED`'s, translated in turn.
PROGRESS_DESCRIPTIONS: Mapping[tuple[bool, bool], tuple[str, str]] = {
    (False, True): (
        "{n} session on {first}. Deepest knee drop {high}°; cap {cap}°; {stopped}.",
        "{n} sessions from {first} to {last}. Deepest knee drop {low}° to {high}°; cap {cap}° "
        "in the last session; {stopped}.",
    ),
    (False, False): (
        "{n} session on {first}. Knee drop not measured; cap {cap}°; {stopped}.",
        "{n} sessions from {first} to {last}. Knee drop not measured; cap {cap}° in the last "
        "session; {stopped}.",
    ),
    (True, True): (
        "{n} session on {first}. Furthest trunk rotation {high}°; cap {cap}°; {stopped}.",
        "{n} sessions from {first} to {last}. Furthest trunk rotation {low}° to {high}°; cap "
        "{cap}° in the last session; {stopped}.",
    ),
    (True, False): (
        "{n} session on {first}. Trunk rotation not measured; cap {cap}°; {stopped}.",
        "{n} sessions from {first} to {last}. Trunk rotation not measured; cap {cap}° in the "
        "last session; {stopped}.",
    ),
}
#: How many of the charted sessions stopped early (singular, plural).
PROGRESS_STOPPED = ("{stops} session stopped early", "{stops} sessions stopped early")


def progress_chart(summaries: Sequence[Any]) -> ProgressChart | None:
    """The progress chart of a person's sessions (``SessionSummary``, any order); None with
    fewer than one session. The time axis is the sessions' dates, so gaps show as gaps."""
    items = sorted(summaries, key=lambda s: s.session.started_at)
    if not items:
        return None

    # One measure per chart: the latest session's (a knee drop and a trunk rotation are not
    # degrees of the same thing).
    def measure_of(summary: Any) -> str:
        return str(getattr(summary.session, "measure", "knee_drop"))

    measure = measure_of(items[-1])
    items = [s for s in items if measure_of(s) == measure]
    first: dt.datetime = items[0].session.started_at
    last: dt.datetime = items[-1].session.started_at
    span = max((last - first).total_seconds(), 1.0)

    def x_of(when: dt.datetime) -> float:
        if len(items) == 1:
            return (_X0 + _X1) / 2
        return round(_X0 + (_X1 - _X0) * (when - first).total_seconds() / span, 1)

    def levels(summary: Any) -> list[int]:
        # The numbers the person gave: sharp pain is stored as 10 for planning's sums, but
        # it was never a level on this scale (it has its own marker).
        said = getattr(summary, "reported_levels", None)
        if said is None:
            said = summary.pain_reports[:-1] if summary.sharp_pain else summary.pain_reports
        return list(said)

    points: list[ChartPoint] = []
    for s in items:
        session = s.session
        pains = [p for p in (session.start_pain,) if p is not None] + levels(s)
        points.append(
            ChartPoint(
                x=x_of(session.started_at),
                depth_y=None if s.max_abs_knee_drop is None else _drop_y(s.max_abs_knee_drop),
                cap_y=_drop_y(session.cap_deg),
                start_pain_y=None if session.start_pain is None else _pain_y(session.start_pain),
                max_pain_y=_pain_y(max(pains)) if pains else None,
                stopped=session.status == "stopped",
                label=session_started(session).strftime("%d %b"),
                sharp=bool(s.sharp_pain),
            )
        )
    cap_path = ""
    for i, p in enumerate(points):
        cap_path += f"{'M' if i == 0 else 'H'} {p.x} " + (
            f"{p.cap_y} " if i == 0 else f"V {p.cap_y} "
        )
    cap_path = cap_path.strip()
    depth = [f"{p.x},{p.depth_y}" for p in points if p.depth_y is not None]
    n_ticks = min(len(items), 6)
    ticks: list[tuple[float, str]] = []
    zone = session_zone(items[-1].session)  # the axis on the latest session's clock
    for k in range(n_ticks):
        when = first + (last - first) * (k / max(n_ticks - 1, 1))
        ticks.append((x_of(when), when.astimezone(zone).strftime("%d %b")))
    measured = [s.max_abs_knee_drop for s in items if s.max_abs_knee_drop is not None]
    stops = sum(1 for s in items if s.session.status == "stopped")
    singular, plural = PROGRESS_DESCRIPTIONS[(measure == "trunk_rotation", bool(measured))]
    description = ngettext(singular, plural, len(items)).format(
        n=len(items),
        first=f"{session_started(items[0].session):%d %b %Y}",
        last=f"{session_started(items[-1].session):%d %b %Y}",
        low=degrees_text(min(measured)) if measured else "",
        high=degrees_text(max(measured)) if measured else "",
        cap=degrees_text(items[-1].session.cap_deg),
        stopped=ngettext(*PROGRESS_STOPPED, stops).format(stops=stops),
    )
    return ProgressChart(
        tuple(points),
        cap_path,
        " ".join(depth),
        tuple(ticks[: len(items)]),
        description,
        measure,
        _SHARP_Y,
    )


def moment(at: dt.datetime, *, with_time: bool = True) -> Markup:
    """A stored moment not tied to a practice session (an audit entry, a decision, a care
    plan) as a ``<time>`` element: UTC from the server, labelled so when the time of day is
    shown; ``static/local_time.js`` turns it to the reader's own clock (a clinician in New
    York reads 13:00 for 18:00 UTC). A session's start is read on the clock it was practised
    by instead (:func:`session_started`)."""
    utc = (at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    iso = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if with_time:
        return Markup('<time datetime="{}" data-local="datetime">{} UTC</time>').format(
            iso, utc.strftime("%Y-%m-%d %H:%M")
        )
    return Markup('<time datetime="{}" data-local="date">{}</time>').format(
        iso, utc.strftime("%Y-%m-%d")
    )
