"""Cross-session safety rules as data: ``rules/safety.yaml``, validated, and their table.

Pure core: pydantic and the standard library; the thin :func:`load_safety_rules` reads the
packaged file (once per process).
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twistcoach.errors import RuleFileError
from twistcoach.intake import LegSymptoms, RedFlag
from twistcoach.progression import check_rule_ids
from twistcoach.rulefiles import load_packaged, validate
from twistcoach.screening import Reason

REQUIRED_SAFETY_RULES: frozenset[str] = frozenset(
    {
        "SAFE-SHARP-TODAY",
        "SAFE-CHECKIN",
        "SAFE-CHECKIN-CARE",
        "SAFE-CHECKIN-WORSE",
        "SAFE-FLAG-REVIEW",
        "SAFE-FLAG-CLINICIAN",
        "SAFE-PAIN-LOWER",
        "SAFE-PAIN-REPEATED",
        "SAFE-SHARP-FLAG",
        "SAFE-PAIN-TODAY",
        "SAFE-CARE-FLAG",
        "SAFE-WORSE-FLAG",
        "SAFE-APPROVED",
        "SAFE-LAST-CAP",
        "SAFE-RAISE-HELD",
        "SAFE-CLEARANCE-CLIPPED",
        "SAFE-CLEARANCE-HELD",
        "SAFE-CLEARANCE-STALE",
        "SAFE-NOT-COACHED",
        "SAFE-PLAN-HOLD",
        "SAFE-NO-INTAKE",
        "SAFE-WHO-CLEARS",
        "SAFE-CARE-REVIEW",
        "SAFE-CLINICIAN-OMITS",
        "SAFE-CLINICIAN-CAP",
        "SAFE-CLINICIAN-CLIPPED",
        "SAFE-EMERGENCY-WITHDRAWN",
        "SAFE-RED-FLAG-WITHDRAWN",
        "SAFE-EMERGENCY-KEPT",
        "SAFE-CLEARANCE-WITHDRAWN",
        "SAFE-CLEARANCE-WITHDRAWN-TEACHER",
        "SAFE-WHO-WITHDRAWS",
        "SAFE-RED-FLAG-REVIEW",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckInQuestions(_Frozen):
    """The check-in's wording (shown by the web page and the CLI)."""

    question_back: str = Field(min_length=1)
    question_leg: str = Field(min_length=1)
    question_weakness: str = Field(min_length=1)


class SafetyRule(_Frozen):
    """One cross-session safety rule: id, text template and CLINICAL.md source."""

    id: str = Field(pattern=r"^SAFE-[A-Z0-9-]+$")
    text: str = Field(min_length=1)
    source: str = Field(pattern=r"CLINICAL\.md §\d")


class ReportedSign(_Frozen):
    """An intake answer as a flag names it once a later answer left it out.

    ``field`` is the intake's field (``red_flags`` or ``leg_symptoms``), ``answer`` its
    value, ``text`` the plain words ("numbness in the saddle area").
    """

    field: Literal["red_flags", "leg_symptoms"] = "red_flags"
    answer: str = Field(min_length=1)
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> ReportedSign:
        known = RedFlag if self.field == "red_flags" else LegSymptoms
        if self.answer not in known.__members__.values():
            raise ValueError(f"{self.field} has no answer {self.answer!r}")
        return self


class SafetyRules(_Frozen):
    """The validated contents of ``rules/safety.yaml``."""

    version: Literal[1]
    checkin: CheckInQuestions
    rules: tuple[SafetyRule, ...]
    reported_signs: tuple[ReportedSign, ...]

    @model_validator(mode="after")
    def _complete(self) -> SafetyRules:
        check_rule_ids([r.id for r in self.rules], REQUIRED_SAFETY_RULES)
        named = {s.answer for s in self.reported_signs if s.field == "red_flags"}
        # Every red flag a person can report has its words: a flag names what was reported.
        unnamed = sorted(f.value for f in RedFlag if f.value not in named)
        if unnamed:
            raise ValueError(f"reported_signs lacks the red flags: {', '.join(unnamed)}")
        return self

    def sign_words(self, field: str, answer: str) -> str:
        """The plain words of a reported answer (the answer spaced when it has none)."""
        for sign in self.reported_signs:
            if sign.field == field and sign.answer == answer:
                return " ".join(sign.text.split())
        return answer.replace("_", " ")

    def reason(self, rule_id: str, **fmt: object) -> Reason:
        """The rule as a :class:`~twistcoach.screening.Reason`, its text filled in."""
        for rule in self.rules:
            if rule.id == rule_id:
                text = " ".join(rule.text.format(**fmt).split())
                return Reason(rule=rule.id, text=text, source=rule.source)
        raise KeyError(rule_id)


class SafetyRulesError(RuleFileError):
    """The safety rule file is invalid; the message names the problem."""


def parse_safety_rules(data: Any) -> SafetyRules:
    """Validate parsed YAML into :class:`SafetyRules` (errors name their field)."""
    return validate(SafetyRules, data, SafetyRulesError, "safety rules")


@functools.cache  # a packaged, frozen table: read and validated once per process
def load_safety_rules() -> SafetyRules:
    """Read and validate the packaged ``twistcoach/rules/safety.yaml``."""
    return load_packaged("rules/safety.yaml", parse_safety_rules)


def _parse_plan_status_words(data: Any) -> dict[str, str]:
    """The ``plan_status`` table of ``rules/wording.yaml`` (every status's words, checked)."""
    from twistcoach.screening import PlanStatus

    table = data["plan_status"]
    if not isinstance(table, dict):
        raise TypeError("plan_status: expected a mapping of status to words")
    words = {str(k): str(v) for k, v in table.items()}
    missing = [s.value for s in PlanStatus if not words.get(s.value, "").strip()]
    if missing:
        raise ValueError(f"plan_status: no words for {', '.join(missing)}")
    return words


@functools.cache  # a packaged, frozen table: read and validated once per process
def plan_status_words(status: str) -> str:
    """A plan's status in plain words ("a healthcare professional needs to check your back
    first", never ``see_clinician_first``), from ``rules/wording.yaml``'s ``plan_status``
    table: why a plan that gives no advice holds every twist. Here in the pure core (the
    file is read through :func:`twistcoach.rulefiles.load_packaged`, as the safety rules
    are) so planning can say it; :func:`twistcoach.wording.plan_status_words` is this."""
    words = load_packaged("rules/wording.yaml", _parse_plan_status_words)
    return words.get(str(status), str(status).replace("_", " "))


def safety_rules_markdown(rules: SafetyRules | None = None) -> str:
    """The cross-session safety rules as a Markdown table, for clinicians to review."""
    rules = rules or load_safety_rules()

    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = [
        "Safety across sessions (`rules/safety.yaml`, applied by `twistcoach.planning` for "
        "every surface; the numbers are `rules/progression.yaml`'s):",
        "",
        "| id | text shown | source |",
        "|---|---|---|",
    ]
    lines += [f"| `{r.id}` | {cell(r.text)} | {cell(r.source)} |" for r in rules.rules]
    return "\n".join(lines) + "\n"
