"""metrics: the typed values every layer passes on."""

from __future__ import annotations

import math

import pytest

from twistcoach.metrics import Measure, degrees_text


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (Measure(12.5, 0.9), 12.5),
        (Measure(-3.0, 0.7), -3.0),
        (Measure(0.0, 0.6), 0.0),
        (Measure.unknown(0.4), None),
        (Measure(math.nan, 0.9), None),
        (Measure(math.inf, 0.9), None),
        (Measure(-math.inf, 0.9), None),
    ],
)
def test_finite_value_is_a_number_only_when_one_was_measured(
    measure: Measure, expected: float | None
) -> None:
    # What reports show and sessions store: never a NaN or an infinity, never an unknown.
    assert measure.finite_value == expected


@pytest.mark.parametrize(
    ("value", "digits", "signed", "said"),
    [
        (-0.3, 0, False, "0"),  # the gauge read "-0"
        (-0.5, 0, False, "0"),
        (-0.04, 1, False, "0.0"),  # a calibrated neutral read "-0.0 degrees"
        (0.2, 0, True, "0"),  # never "+0"
        (-0.4, 0, True, "0"),
        (-0.6, 0, False, "-1"),
        (12.4, 0, True, "+12"),
        (-35.6, 0, True, "-36"),
        (42.5, 1, False, "42.5"),
    ],
)
def test_degrees_never_read_minus_zero(value: float, digits: int, signed: bool, said: str) -> None:
    assert degrees_text(value, digits, signed=signed) == said
