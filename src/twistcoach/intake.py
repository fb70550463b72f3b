"""The intake: a person's back history, as screening needs it.

The field names and vocabularies are a contract (issue 2) so that other tools can write
intakes: ``age``, ``pain_now``, ``pain_duration_weeks``, ``activity``, ``leg_symptoms``,
``red_flags``, ``conditions``, ``surgery_months_ago``, ``pregnancy_weeks``, ``clearances``.
Unknown fields or values, out-of-range numbers and missing required fields are rejected
with a message that names the field and what is allowed (:class:`IntakeError`).

The models are pure (pydantic); :func:`load_intake` and :func:`dump_intake` are the file
edge (JSON or YAML, chosen by the file extension).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

import twistcoach.errors as _errors

#: File extensions :func:`load_intake` and :func:`dump_intake` understand.
JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")


class Activity(StrEnum):
    """How active the person usually is."""

    DECONDITIONED = "deconditioned"
    LIGHT = "light"
    ACTIVE = "active"


class LegSymptoms(StrEnum):
    """Where leg pain, pins and needles or numbness reach, in increasing severity."""

    NONE = "none"
    ABOVE_KNEE = "above_knee"
    BELOW_KNEE = "below_knee"
    BOTH_LEGS = "both_legs"


class RedFlag(StrEnum):
    """Red flags (CLINICAL.md §2). The first four are emergency signs."""

    BLADDER_DYSFUNCTION = "bladder_dysfunction"
    BOWEL_INCONTINENCE = "bowel_incontinence"
    SADDLE_NUMBNESS = "saddle_numbness"
    PROGRESSIVE_LEG_WEAKNESS = "progressive_leg_weakness"
    HISTORY_OF_CANCER = "history_of_cancer"
    UNEXPLAINED_WEIGHT_LOSS = "unexplained_weight_loss"
    FEVER_OR_CHILLS = "fever_or_chills"
    IMMUNOSUPPRESSION = "immunosuppression"
    INJECTING_DRUG_USE = "injecting_drug_use"
    RECENT_INFECTION = "recent_infection"
    MAJOR_TRAUMA = "major_trauma"
    MINOR_TRAUMA_WITH_OSTEOPOROSIS = "minor_trauma_with_osteoporosis"
    LONG_TERM_STEROIDS = "long_term_steroids"
    NIGHT_PAIN_UNRELIEVED = "night_pain_unrelieved"
    NO_IMPROVEMENT_AFTER_A_MONTH = "no_improvement_after_a_month"
    THORACIC_PAIN = "thoracic_pain"
    SPINAL_DEFORMITY = "spinal_deformity"


class Condition(StrEnum):
    """Diagnosed or known conditions (CLINICAL.md §3)."""

    CHRONIC_LOW_BACK_PAIN = "chronic_low_back_pain"
    ACUTE_FLARE = "acute_flare"
    HERNIATED_DISC = "herniated_disc"
    SCIATICA = "sciatica"
    SI_JOINT_PAIN = "si_joint_pain"
    OSTEOPENIA = "osteopenia"
    OSTEOPOROSIS = "osteoporosis"
    VERTEBRAL_FRACTURE = "vertebral_fracture"
    SPONDYLOLISTHESIS = "spondylolisthesis"
    SPINAL_STENOSIS = "spinal_stenosis"
    SPINAL_SURGERY = "spinal_surgery"
    HIP_REPLACEMENT_POSTERIOR = "hip_replacement_posterior"
    HIP_REPLACEMENT_ANTERIOR = "hip_replacement_anterior"
    HIP_REPLACEMENT_UNKNOWN_APPROACH = "hip_replacement_unknown_approach"
    PREGNANCY = "pregnancy"
    ANKYLOSING_SPONDYLITIS = "ankylosing_spondylitis"
    SCOLIOSIS = "scoliosis"


class ClearanceBy(StrEnum):
    """Who gave a clearance."""

    CLINICIAN = "clinician"
    TEACHER = "teacher"


#: How a clearance's giver is named in reasons ("Dr Rao (clinician)"): one template per role,
#: so the name stays as typed and the role is translated (i18n catalogues these).
CLEARANCE_BY_WORDS: Mapping[ClearanceBy, str] = {
    ClearanceBy.CLINICIAN: "{name} (clinician)",
    ClearanceBy.TEACHER: "{name} (teacher)",
}

#: Plain-language questions for each red flag (used by the interactive intake and reports).
RED_FLAG_QUESTIONS: Mapping[RedFlag, str] = {
    RedFlag.BLADDER_DYSFUNCTION: "New trouble passing urine, losing bladder control, "
    "or less feeling when you pass urine?",
    RedFlag.BOWEL_INCONTINENCE: "Losing control of your bowels?",
    RedFlag.SADDLE_NUMBNESS: "Numbness around your bottom, genitals or inner thighs "
    "(the 'saddle' area)?",
    RedFlag.PROGRESSIVE_LEG_WEAKNESS: "Leg weakness that is severe or getting worse, "
    "or a change in how you walk?",
    RedFlag.HISTORY_OF_CANCER: "Have you ever had cancer?",
    RedFlag.UNEXPLAINED_WEIGHT_LOSS: "Weight loss you can't explain?",
    RedFlag.FEVER_OR_CHILLS: "Fever or chills with your back pain?",
    RedFlag.IMMUNOSUPPRESSION: "A weakened immune system (illness or medicines)?",
    RedFlag.INJECTING_DRUG_USE: "Injecting drug use?",
    RedFlag.RECENT_INFECTION: "A recent bacterial infection (for example a urine infection)?",
    RedFlag.MAJOR_TRAUMA: "A major injury such as a car accident or a fall from a height?",
    RedFlag.MINOR_TRAUMA_WITH_OSTEOPOROSIS: "A minor fall or strain with osteoporosis "
    "or fragile bones?",
    RedFlag.LONG_TERM_STEROIDS: "Taking steroid tablets (corticosteroids) for a long time?",
    RedFlag.NIGHT_PAIN_UNRELIEVED: "Pain at night that doesn't ease when you change position?",
    RedFlag.NO_IMPROVEMENT_AFTER_A_MONTH: "Back pain that has not got any better in about a "
    "month, and that no doctor has checked yet?",
    RedFlag.THORACIC_PAIN: "Pain in the middle or upper back (the chest part of the spine)?",
    RedFlag.SPINAL_DEFORMITY: "A visible new bend or lump in your spine?",
}

#: Plain-language descriptions of the conditions.
CONDITION_DESCRIPTIONS: Mapping[Condition, str] = {
    Condition.CHRONIC_LOW_BACK_PAIN: "low back pain for 3 months or more",
    Condition.ACUTE_FLARE: "a flare-up of back pain right now",
    Condition.HERNIATED_DISC: "a herniated (slipped, bulging) disc",
    Condition.SCIATICA: "sciatica (nerve pain down a leg)",
    Condition.SI_JOINT_PAIN: "sacroiliac (SI) joint pain",
    Condition.OSTEOPENIA: "osteopenia (low bone density)",
    Condition.OSTEOPOROSIS: "osteoporosis",
    Condition.VERTEBRAL_FRACTURE: "a broken vertebra, now or in the past",
    Condition.SPONDYLOLISTHESIS: "spondylolisthesis (a slipped vertebra)",
    Condition.SPINAL_STENOSIS: "spinal stenosis",
    Condition.SPINAL_SURGERY: "surgery on the spine",
    Condition.HIP_REPLACEMENT_POSTERIOR: "a hip replacement from the back (posterior approach)",
    Condition.HIP_REPLACEMENT_ANTERIOR: "a hip replacement from the front (anterior approach)",
    Condition.HIP_REPLACEMENT_UNKNOWN_APPROACH: "a hip replacement by another approach, or you "
    "don't know which",
    Condition.PREGNANCY: "pregnancy",
    Condition.ANKYLOSING_SPONDYLITIS: "ankylosing spondylitis (inflammatory back disease)",
    Condition.SCOLIOSIS: "scoliosis",
}

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True, max_length=200)]


def _not_yes_no(value: object) -> object:
    # pydantic reads true as 1, and YAML reads yes/no/on/off as true/false: "pain_now: yes"
    # would have been a pain of 1 out of 10. A number field takes numbers only.
    if isinstance(value, bool):
        raise ValueError("give a number, not yes/no or true/false")
    return value


#: A number field's guard (every number in an intake and a clearance).
Number = BeforeValidator(_not_yes_no)


#: Error types of the checks one intake field makes against another (pydantic's error
#: ``type``): a form words them for its own fields (``twistcoach.web.domain``), a file's
#: message names the file's values.
WEEKS_WITHOUT_PREGNANCY = "weeks_without_pregnancy"
MONTHS_WITHOUT_SURGERY = "months_without_surgery"
CROSS_FIELD_ERRORS = frozenset({WEEKS_WITHOUT_PREGNANCY, MONTHS_WITHOUT_SURGERY})

#: The hip replacements, by approach: screening plans one whose approach is not known (or
#: is another one) as posterior, and any of them within the precaution period as recent.
HIP_REPLACEMENTS = frozenset(
    {
        Condition.HIP_REPLACEMENT_POSTERIOR,
        Condition.HIP_REPLACEMENT_ANTERIOR,
        Condition.HIP_REPLACEMENT_UNKNOWN_APPROACH,
    }
)
#: The conditions that are a surgery: ``surgery_months_ago`` dates one of them.
SURGERY_CONDITIONS = frozenset({Condition.SPINAL_SURGERY} | HIP_REPLACEMENTS)


#: The limits a clearance may set, degrees (low, high): knee drop up to the floor (90), trunk
#: rotation up to the end of its normal range (45, CLINICAL.md §5). At least 5: a smaller
#: limit is no twist at all (the coach's "stay here" would sound before any movement); to
#: clear none, a clearance leaves the variant out. The intake file, the interactive intake
#: and the web's clearance form all take these.
CLEARANCE_KNEE_DROP_DEG = (5.0, 90.0)
CLEARANCE_ROTATION_DEG = (5.0, 45.0)


#: The earliest date a clearance may carry: earlier ones are typing slips.
EARLIEST_CLEARANCE_DATE = dt.date(1901, 1, 1)


class Clearance(BaseModel):
    """Permission from a clinician or teacher for named variants.

    Attributes
    ----------
    by
        ``clinician`` or ``teacher``.
    name
        Who gave it.
    date
        When (ISO date, ``YYYY-MM-DD``).
    variants
        Variant ids it covers; it unlocks only these (checked against the pose library by
        screening).
    max_knee_drop_deg
        Optional knee-drop cap in degrees (5-90, :data:`CLEARANCE_KNEE_DROP_DEG`) for the
        named supine variants.
    max_trunk_rotation_deg
        Optional trunk-rotation cap in degrees (5-45, :data:`CLEARANCE_ROTATION_DEG`;
        shoulder line against pelvis line) for
        the named seated and standing variants.
    teacher_trained_for_back_problems
        Teachers only: true when the teacher is trained to work with students who have back
        problems. A teacher's clearance counts only when this is true.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: ClearanceBy
    name: NonEmpty
    date: dt.date
    variants: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    max_knee_drop_deg: (
        Annotated[
            float, Number, Field(ge=CLEARANCE_KNEE_DROP_DEG[0], le=CLEARANCE_KNEE_DROP_DEG[1])
        ]
        | None
    ) = None
    max_trunk_rotation_deg: (
        Annotated[float, Number, Field(ge=CLEARANCE_ROTATION_DEG[0], le=CLEARANCE_ROTATION_DEG[1])]
        | None
    ) = None
    teacher_trained_for_back_problems: bool = False

    @field_validator("date")
    @classmethod
    def _a_real_date(cls, value: dt.date) -> dt.date:
        # 0001-01-01 and 1900-01-01 were taken and shown everywhere; the clinical report
        # itself starts at 1900.
        if value < EARLIEST_CLEARANCE_DATE:
            raise ValueError(
                f"give the day the clearance was given (from {EARLIEST_CLEARANCE_DATE} on)"
            )
        return value

    @field_validator("variants")
    @classmethod
    def _each_variant_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))  # one named twenty times was listed twenty times

    @model_validator(mode="after")
    def _teacher_field_only_for_teachers(self) -> Clearance:
        if self.by is ClearanceBy.CLINICIAN and self.teacher_trained_for_back_problems:
            raise ValueError(
                "teacher_trained_for_back_problems is only for clearances by a teacher"
            )
        return self

    @property
    def counts(self) -> bool:
        """True when screening honours it: any clinician, or a teacher trained for backs.

        Whatever its date: :meth:`counts_on` adds the calendar.
        """
        return self.by is ClearanceBy.CLINICIAN or self.teacher_trained_for_back_problems

    @property
    def who(self) -> str:
        """Who gave it, as reasons name them (:data:`CLEARANCE_BY_WORDS`)."""
        return CLEARANCE_BY_WORDS[self.by].format(name=self.name)

    def counts_on(self, today: dt.date | None) -> bool:
        """True when it :attr:`counts` and is in force on ``today`` (the person's own
        calendar date): a clearance dated after today (a mistyped year, or one written out
        before the visit) counts from its date, never before (fail safe). ``None``: no
        calendar known, the date is not checked."""
        return self.counts and (today is None or self.date <= today)


#: The furthest ahead of UTC a civil time zone runs (the Line Islands, UTC+14): a date later
#: than that zone's is nobody's today yet.
_LATEST_ZONE = dt.timedelta(hours=14)


def latest_today(now: dt.datetime) -> dt.date:
    """The latest calendar date anywhere on Earth at ``now`` (aware): a clearance dated later
    cannot have been given yet, whoever gave it and wherever (the edges refuse it; planning
    counts any clearance only from its date, :meth:`Clearance.counts_on`)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return (now.astimezone(dt.UTC) + _LATEST_ZONE).date()


class Intake(BaseModel):
    """A person's answers (see the module docs for the contract).

    Attributes
    ----------
    age
        Years, 16-120 (the screening rules are for adults and older teenagers).
    pain_now
        Back pain right now on the 0-10 numeric scale.
    pain_duration_weeks
        How long this episode of back pain has lasted, weeks (0 when none).
    activity, leg_symptoms
        See :class:`Activity` and :class:`LegSymptoms`.
    red_flags, conditions
        Sets of :class:`RedFlag` and :class:`Condition` (empty when none). A red flag is a
        yes-or-no question: one left out is one not reported, as an unticked box or an
        empty answer (so an intake stored before a flag was added still reads, without it).
    surgery_months_ago
        Months since spinal (or hip) surgery; null when not relevant, and only with one of
        :data:`SURGERY_CONDITIONS`. With a surgery and no value, screening assumes the
        surgery was recent (fail safe).
    pregnancy_weeks
        Weeks of pregnancy; only with the ``pregnancy`` condition.
    clearances
        :class:`Clearance` list.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: Annotated[int, Number, Field(ge=16, le=120)]
    pain_now: Annotated[int, Number, Field(ge=0, le=10)]
    pain_duration_weeks: Annotated[float, Number, Field(ge=0, le=5200)]
    activity: Activity
    leg_symptoms: LegSymptoms
    red_flags: frozenset[RedFlag] = frozenset()
    conditions: frozenset[Condition] = frozenset()
    surgery_months_ago: Annotated[float, Number, Field(ge=0, le=1200)] | None = None
    pregnancy_weeks: Annotated[int, Number, Field(ge=0, le=45)] | None = None
    clearances: tuple[Clearance, ...] = ()

    # Each check sits on its field, so a form shows it beside that field (conditions are
    # declared first, so they are in ``info.data`` when they were valid).
    @field_validator("pregnancy_weeks")
    @classmethod
    def _weeks_need_the_pregnancy(cls, value: int | None, info: ValidationInfo) -> int | None:
        conditions = info.data.get("conditions")  # absent when it was itself invalid
        if value is not None and conditions is not None and Condition.PREGNANCY not in conditions:
            raise PydanticCustomError(
                WEEKS_WITHOUT_PREGNANCY,
                "weeks of pregnancy are given but 'pregnancy' is not among the conditions: "
                "add it, or leave the weeks out",
            )
        return value

    @field_validator("surgery_months_ago")
    @classmethod
    def _months_need_the_surgery(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A surgery's timing without the surgery would be planned as no surgery at all
        # (everything allowed): refuse it, as weeks of pregnancy without the pregnancy.
        conditions = info.data.get("conditions")  # absent when it was itself invalid
        if value is not None and conditions is not None and not conditions & SURGERY_CONDITIONS:
            names = ", ".join(c.value for c in sorted(SURGERY_CONDITIONS))
            raise PydanticCustomError(
                MONTHS_WITHOUT_SURGERY,
                "months since a surgery are given but no surgery is among the conditions "
                "({names}): add the one you had, or leave the months out",
                {"names": names},
            )
        return value

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with sorted lists (the file format)."""
        data = self.model_dump(mode="json")
        data["red_flags"] = sorted(data["red_flags"])
        data["conditions"] = sorted(data["conditions"])
        for clearance in data["clearances"]:
            if clearance["by"] == ClearanceBy.CLINICIAN.value:
                del clearance["teacher_trained_for_back_problems"]
        return data


class IntakeError(_errors.DataError):
    """An intake could not be read; the message names each bad field and what is allowed."""


#: Limits on an intake file (a real one is under 2 kB, three levels deep): see
#: :func:`parse_intake_text`.
MAX_INTAKE_BYTES = 64 * 1024
MAX_INTAKE_DEPTH = 16
MAX_INTAKE_NUMBER_CHARS = 30
#: A field's bad value is quoted in error messages up to this many characters.
MAX_QUOTED_CHARS = 60


def _quoted(value: object) -> str:
    """A bad value as the file wrote it: ``repr(value)`` of a text or number, a date or a
    time as ISO text (YAML reads ``2026-12-01 10:00:00`` as one: never Python's
    ``datetime.datetime(...)``), cut to :data:`MAX_QUOTED_CHARS` (a bad value may be huge)."""
    if isinstance(value, dt.datetime):
        value = value.isoformat(sep=" ")
    elif isinstance(value, dt.date | dt.time):
        value = value.isoformat()
    text = repr(value)
    if len(text) <= MAX_QUOTED_CHARS:
        return text
    return f"{text[:MAX_QUOTED_CHARS]}... ({len(text)} characters)"


_INTAKE_FIELDS = tuple(Intake.model_fields)
_CLEARANCE_FIELDS = tuple(Clearance.model_fields)


def _allowed_values(loc: tuple[int | str, ...]) -> str | None:
    """The vocabulary for a field location, for error messages."""
    names = [part for part in loc if isinstance(part, str)]
    if not names:
        return None
    vocab: dict[str, type[StrEnum]] = {
        "activity": Activity,
        "leg_symptoms": LegSymptoms,
        "red_flags": RedFlag,
        "conditions": Condition,
        "by": ClearanceBy,
    }
    enum = vocab.get(names[-1])
    return ", ".join(member.value for member in enum) if enum else None


#: Pydantic's error types for a list field (``red_flags``, ``conditions``, ``clearances``,
#: a clearance's ``variants``) given something else, and for a date given something else.
_LIST_ERRORS = frozenset({"frozen_set_type", "set_type", "tuple_type", "list_type"})
_DATE_ERRORS = frozenset(
    {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
)
#: What to write instead, in plain words (pydantic's own say "frozenset" or "Datetimes
#: provided to dates should have zero time").
LIST_WORDS = "leave it out or give a list, e.g. [] for none"
VARIANTS_WORDS = "give a list of the twists it clears, e.g. [supine_twist_supported]"
DATE_WORDS = "give a date like 2026-12-01, without a time"
CLEARANCE_WORDS = "give each clearance as fields: {fields}"


def _got(value: object) -> str:
    """`` (got ...)`` after a message; nothing for a field left blank (YAML's null)."""
    return "" if value is None else f" (got {_quoted(value)})"


def describe_validation_error(error: ValidationError) -> str:
    """Turn a pydantic error into lines naming each field and what it allows, in plain
    words: never a Python type's name or repr."""
    lines: list[str] = []
    for item in error.errors():
        loc = tuple(item["loc"])
        field = ".".join(str(part) for part in loc) or "(top level)"
        kind = item["type"]
        given = item.get("input")
        if kind in _LIST_ERRORS:
            words = VARIANTS_WORDS if loc[-1:] == ("variants",) else LIST_WORDS
            lines.append(f"{field}: {words}{_got(given)}")
        elif kind in _DATE_ERRORS:
            lines.append(f"{field}: {DATE_WORDS}{_got(given)}")
        elif kind == "model_type" and "clearances" in loc:
            fields = CLEARANCE_WORDS.format(fields=", ".join(_CLEARANCE_FIELDS))
            lines.append(f"{field}: {fields}{_got(given)}")
        elif kind == "extra_forbidden":
            allowed = _CLEARANCE_FIELDS if "clearances" in loc else _INTAKE_FIELDS
            lines.append(f"{field}: unknown field; allowed fields: {', '.join(allowed)}")
        elif kind == "missing":
            lines.append(f"{field}: required field is missing")
        elif kind == "enum":
            allowed_text = _allowed_values(loc)
            lines.append(
                f"{field}: {_quoted(item.get('input'))} is not allowed; allowed: {allowed_text}"
            )
        elif kind in CROSS_FIELD_ERRORS:
            lines.append(f"{field}: {item['msg']}")
        elif kind == "value_error":
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"{field}: {message}")
        else:
            lines.append(f"{field}: {item['msg']}{_got(given) or ' (left blank)'}")
    return "\n".join(lines)


def parse_intake(data: object) -> Intake:
    """Validate already-parsed intake data (a mapping from JSON or YAML).

    Raises
    ------
    IntakeError
        Naming every bad field and what is allowed.
    """
    if not isinstance(data, Mapping):
        raise IntakeError("an intake must be a mapping of fields: " + ", ".join(_INTAKE_FIELDS))
    try:
        return Intake.model_validate(dict(data))
    except ValidationError as exc:
        raise IntakeError(describe_validation_error(exc)) from exc


def parse_intake_text(text: str, fmt: str) -> Intake:
    """Parse intake text in ``"json"`` or ``"yaml"`` format and validate it.

    The text is parsed within limits (:mod:`twistcoach.safeload`): at most
    :data:`MAX_INTAKE_BYTES`, :data:`MAX_INTAKE_DEPTH` levels of nesting, numbers of at most
    :data:`MAX_INTAKE_NUMBER_CHARS` digits, and no YAML anchors or aliases.

    Raises
    ------
    IntakeError
        When the text is not JSON or YAML, breaks a limit, or is not a valid intake.
    """
    from twistcoach.safeload import SafeLoadError, load_json_bounded, load_yaml_safe

    limits = {
        "max_bytes": MAX_INTAKE_BYTES,
        "max_depth": MAX_INTAKE_DEPTH,
        "max_number_chars": MAX_INTAKE_NUMBER_CHARS,
    }
    try:
        if fmt == "json":
            data = load_json_bounded(text, **limits)
        elif fmt == "yaml":
            data = load_yaml_safe(text, **limits)
        else:
            raise IntakeError(f"unknown intake format {fmt!r}; use json or yaml")
    except SafeLoadError as exc:
        raise IntakeError(str(exc)) from None
    return parse_intake(data)


def _format_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    raise IntakeError(f"{path}: unknown file type {suffix or '(none)'!r}; use .json, .yaml or .yml")


def load_intake(path: str | Path) -> Intake:
    """Read and validate an intake file (JSON or YAML by extension).

    Raises
    ------
    IntakeError
        When the file is missing, unreadable or invalid; the message starts with the path.
    """
    path = Path(path)
    # Said before the suffix: a folder or a missing file is not an "unknown file type".
    if path.is_dir():
        raise IntakeError(f"{path}: a folder; give the intake file itself (.yaml or .json)")
    if not path.exists():
        raise IntakeError(f"{path}: file not found")
    fmt = _format_for(path)
    try:
        # Opened without blocking and checked to be a regular file before reading: a named
        # pipe given as the intake would otherwise wait for a writer for ever.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise IntakeError(f"{path}: not a file (a folder, a device or a pipe)")
            # Never more than the limit (and one byte to tell), whatever the file is.
            raw = file.read(MAX_INTAKE_BYTES + 1)
    except FileNotFoundError as exc:
        raise IntakeError(f"{path}: file not found") from exc
    except OSError as exc:
        raise IntakeError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_INTAKE_BYTES:
        raise IntakeError(
            f"{path}: the file is too large for an intake (over {MAX_INTAKE_BYTES} bytes)"
        )
    try:
        # utf-8-sig: a byte-order mark at the start (Windows Notepad writes one) is not part
        # of the text; JSON's parser refused it ("Unexpected UTF-8 BOM").
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntakeError(f"{path}: cannot read: not UTF-8 text (byte {exc.start})") from exc
    try:
        return parse_intake_text(text, fmt)
    except IntakeError as exc:
        raise IntakeError(f"{path}: invalid intake\n{exc}") from exc


def intake_text(intake: Intake, path: str | Path) -> str:
    """An intake as the text of a JSON or YAML file (by ``path``'s extension)."""
    data = intake.to_json_dict()
    if _format_for(Path(path)) == "json":
        return json.dumps(data, indent=2) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def dump_intake(intake: Intake, path: str | Path) -> Path:
    """Write an intake as JSON or YAML (by extension); returns the path written."""
    path = Path(path)
    path.write_text(intake_text(intake, path), encoding="utf-8")
    return path
