"""The video report's numbers of degrees go through metrics.degrees_text (the one helper
every Python surface uses): a value the summary rounded to -0.0 read "-0.0°"."""

from __future__ import annotations

from twistcoach.metrics import degrees_text
from twistcoach.report.html import _fmt
from twistcoach.report.words import NOT_MEASURED


def test_the_reports_degrees_never_read_minus_zero() -> None:
    assert _fmt(-0.0, "°") == "0.0°"
    assert _fmt(-0.04, "°") == "0.0°"
    assert _fmt(-0.0, "°/s") == "0.0°/s"
    assert _fmt(23.4, "°") == f"{degrees_text(23.4, 1)}°" == "23.4°"
    assert _fmt(-12.25, "°") == "-12.2°"  # a signed value keeps its sign
    assert _fmt(18, "°") == "18.0°"  # the summary's one decimal, whatever the type


def test_the_reports_other_values_are_as_they_were() -> None:
    assert _fmt(None, "°") == NOT_MEASURED
    assert _fmt(12.35, " s") == "12.35 s"
