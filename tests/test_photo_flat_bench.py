"""``bench/photo_flat.py``: make accuracy's calibrated stills reported as photographs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import photo_flat  # noqa: E402


def _still(body: str, body_type: str, camera: str, true: float, got: float | None) -> Any:
    return {
        "body": body,
        "body_type": body_type,
        "camera": camera,
        "view": "top_down" if camera == "top_down" else "oblique",
        "detected": True,
        "labels": {"knee_drop_deg": true},
        "measured": {} if got is None else {"knee_drop_deg": got},
    }


def test_the_report_splits_body_types_and_cameras_with_exact_numbers() -> None:
    held = "man25_slim_190"  # held out (groundtruth.plan.HELD_OUT)
    results = {
        "load": "1.0",
        "calibrated": [
            _still(held, "male", "diag_r55_e35", 30.0, 33.0),
            _still(held, "male", "diag_r55_e35", -45.0, None),  # refused: counted, no error
            _still(held, "male", "diag_r55_e35", 75.0, 40.0),  # past 70 deg: left out
            _still(held, "female", "diag_r55_e35", 30.0, 50.0),  # not his type: neither row
            _still(held, "neutral", "diag_r55_e35", 0.0, 9.0),
            _still(held, "male", "top_down", 60.0, 71.5),
        ],
    }
    text = photo_flat.report(results)
    rows = {line for line in text.splitlines() if line.startswith("| held out")}
    assert "| held out | given | recommended place | 2 | 50 % | 3.0 | 3.0 | 0 | 0 |" in rows
    assert "| held out | given | top-down | 1 | 100 % | 11.5 | 11.5 | 1 | 1 |" in rows
    assert "| held out | given | every camera | 3 | 67 % | 7.2 | 11.5 | 1 | 1 |" in rows
    assert (
        "| held out | not given (neutral) | recommended place | 1 | 100 % | 9.0 | 9.0 | 1 | 0 |"
        in rows
    )
    assert "| tuning | given | every camera | 0 | 0 % | - | - | 0 | 0 |" in text
    assert "(not checked: no render cache)" in text
    # A flat still the app refuses (a twist taken for the neutral pose): its stills get none.
    refused = photo_flat.report(results, {(held, "top_down")})
    assert "| held out | given | top-down | 1 | 0 % | - | - | 0 | 0 |" in refused
    assert (
        "refused as the app refuses them (not seen lying on the back, or looking twisted): 1 of 2"
        in refused
    )
    assert "Lying flat (true |drop| < 1 deg, every camera, neutral template): 1 of 1 given, " in (
        text
    )
