"""metrics: the typed values every layer passes on."""

from __future__ import annotations

import math

import pytest

from twistcoach.metrics import Measure


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
