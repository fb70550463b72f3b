"""SAFE-PLAN-HOLD, "Your plan does not allow twists today: {why}": when the plan gives no
advice of its own, ``{why}`` is the plan's status in words (``rules/wording.yaml``'s
``plan_status``), never its id (``see_clinician_first`` reached the page and the catalogue
carried the ids as texts to translate)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from twistcoach import i18n
from twistcoach.intake import load_intake
from twistcoach.planning import DatedIntake, PersonHistory, decide
from twistcoach.poses import load_library
from twistcoach.screening import PlanStatus, ReadinessPlan
from twistcoach.wording import plan_status_words, wording

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
#: A snake_case id ("see_clinician_first").
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _hold_texts(monkeypatch: pytest.MonkeyPatch, status: PlanStatus) -> list[str]:
    """The SAFE-PLAN-HOLD reasons of a plan of ``status`` that allows its variants and
    gives no advice (screening answers as a rule table without advice would)."""
    import importlib

    decide_module = importlib.import_module("twistcoach.planning.decide")

    real = decide_module.screen

    def no_advice(*args: Any, **kwargs: Any) -> ReadinessPlan:
        plan = real(*args, **kwargs)
        return plan.model_copy(update={"status": status, "advice": ()})

    monkeypatch.setattr(decide_module, "screen", no_advice)
    history = PersonHistory(
        intakes=(
            DatedIntake(
                load_intake(EXAMPLES / "02_chronic_low_back_pain.json"),
                NOW - dt.timedelta(days=3),
            ),
        )
    )
    decision = decide(history, load_library(), now=NOW, tz=dt.UTC)
    return [r.text for v in decision.variants for r in v.reasons if r.rule == "SAFE-PLAN-HOLD"]


@pytest.mark.parametrize(
    "status", [s for s in PlanStatus if s is not PlanStatus.READY], ids=lambda s: s.value
)
def test_a_plan_without_advice_holds_twists_in_words_never_its_id(
    monkeypatch: pytest.MonkeyPatch, status: PlanStatus
) -> None:
    texts = _hold_texts(monkeypatch, status)
    assert texts, "the plan allowed variants, so each says why it is held"
    expected = f"Your plan does not allow twists today: {plan_status_words(status.value)}"
    for text in texts:
        assert text == expected
        assert status.value not in text and not SNAKE.search(text), text
        spanish = i18n.translator("es").text(text)
        assert spanish.startswith("Su plan no permite torsiones hoy: "), spanish
        assert spanish != text and not SNAKE.search(spanish), spanish


def test_every_plan_status_has_words_and_no_id_is_a_text_to_translate() -> None:
    words = wording().plan_status
    assert set(words) == {s.value for s in PlanStatus}
    for status in PlanStatus:
        said = plan_status_words(status.value)
        assert said and not SNAKE.search(said), said
        assert i18n.translator("es").gettext(said) != said, said
    # The ids were catalogued as texts people read (i18n.RUNTIME_TEXTS): none is now.
    catalogued = i18n.extract()
    for status in PlanStatus:
        if "_" in status.value:
            assert status.value not in catalogued, status.value
