"""Small helpers the report's writers share: a measure's value when it is a number."""

from __future__ import annotations

from twistcoach.metrics import Measure, Side


def value_of(measure: Measure | None) -> float | None:
    """The measure's value, None when there is none, or it is unknown or not finite
    (:attr:`Measure.finite_value`)."""
    return None if measure is None else measure.finite_value


def rounded(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded, None kept."""
    return None if value is None else round(value, digits)


def side_sign(side: Side) -> float:
    """+1 for a drop to the right, -1 to the left (the metrics' sign convention)."""
    return 1.0 if side is Side.RIGHT else -1.0
