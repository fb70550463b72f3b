"""The committed seated and standing ground truth (issue 20 items 2 and 5), held.

Rendered with anny (``bench/seated``): two bodies (one from the tuning split, one held out),
seated on the floor and standing, turning the chest up to the end of the normal range
(true rotation up to ±46.6°). MediaPipe 0.10.14 reads each image (static mode) and
``twistcoach.rotation`` measures it against a calibration on the body's square pose from
the same camera, as the coach calibrates. Full tables: ``bench/ACCURACY_SEATED.md``.

The issue's target from the recommended view is a mean error of at most 4° and no error
over 10° up to the end of the normal range; this set gives the numbers asserted below
(both met on this set, as on the full renders; an image whose side is not sure reads
unknown, fail safe, and the test counts those).
"""

from __future__ import annotations

import json
import statistics
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from twistcoach.landmarks import Skeleton
from twistcoach.rotation import TrunkView, calibrate_trunk, measure_trunk

SET = Path(__file__).parent / "seated_groundtruth"


@cache
def readings() -> tuple[tuple[dict[str, Any], Skeleton | None], ...]:
    """Every image of the set with MediaPipe's skeleton (read once per test run)."""
    import cv2

    from twistcoach.estimator import make_mediapipe_estimator

    records = [json.loads(line) for line in (SET / "labels.jsonl").read_text().splitlines()]
    out = []
    with make_mediapipe_estimator(static_image_mode=True) as estimator:
        for record in records:
            bgr = cv2.imread(str(SET / record["image"]))
            assert bgr is not None, record["image"]
            out.append((record, estimator.estimate(bgr[:, :, ::-1].copy(), 0.0)))
    return tuple(out)


def square(stance: str, body: str, camera: str) -> Skeleton | None:
    for record, skeleton in readings():
        if (record["stance"], record["body"], record["camera"], record["theta_deg"]) == (
            stance,
            body,
            camera,
            0.0,
        ):
            return skeleton
    raise KeyError((stance, body, camera))


def test_the_set_is_what_the_doc_says() -> None:
    records = [r for r, _ in readings()]
    assert len(records) == 48
    assert {r["split"] for r in records} == {"tuning", "held_out"}
    assert max(abs(r["trunk_rotation_deg"]) for r in records) > 45  # the end of the range


@pytest.mark.parametrize("camera", ["diag_l", "side", "overhead"])
@pytest.mark.parametrize("stance", ["seated", "standing"])
def test_the_views_that_measure_badly_are_refused(stance: str, camera: str) -> None:
    for body in ("woman50_average", "man55_average_175"):
        calibration = calibrate_trunk([square(stance, body, camera)])
        if calibration is not None:
            assert calibration.view is not TrunkView.FRONT, (stance, body, camera)
            assert not calibration.view.measured
            # A refused view reads nothing at all.
            for record, skeleton in readings():
                if record["camera"] == camera and skeleton is not None:
                    assert measure_trunk(skeleton, calibration).rotation.value is None


@pytest.mark.parametrize(
    ("stance", "mean_max", "worst_max", "unknown_max"),
    # Measured on this set (load ~4, results do not depend on it): seated mean 2.81, max
    # 8.79, one image unknown (held out, true 7.4: a clear foreshortened turn whose side the
    # depth could not tell); standing mean 1.67, max 8.18, none unknown. The targets
    # (mean <= 4, none over 10) hold; the margins only absorb OSMesa's few-pixel differences.
    [("seated", 4.0, 10.0, 1), ("standing", 4.0, 10.0, 0)],
)
def test_the_recommended_view_measures_the_rotation(
    stance: str, mean_max: float, worst_max: float, unknown_max: int
) -> None:
    errors = []
    unknown = []
    for record, skeleton in readings():
        if record["stance"] != stance or record["camera"] != "front_raised":
            continue
        assert skeleton is not None, record["image"]  # MediaPipe finds everyone
        calibration = calibrate_trunk([square(stance, record["body"], "front_raised")])
        assert calibration is not None and calibration.view is TrunkView.FRONT
        measure = measure_trunk(skeleton, calibration)
        if measure.rotation.value is None:  # fail safe: unknown rather than wrong
            unknown.append(record["image"])
            continue
        truth = record["trunk_rotation_deg"]
        if abs(truth) >= 10:
            assert (measure.rotation.value > 0) == (truth > 0), record["image"]  # side
        errors.append(abs(measure.rotation.value - truth))
    assert len(errors) + len(unknown) == 18
    assert len(unknown) <= unknown_max, unknown
    mean, worst = statistics.fmean(errors), max(errors)
    print(f"{stance}: mean {mean:.2f}, max {worst:.2f} over {len(errors)}, unknown {unknown}")
    assert mean <= mean_max
    assert worst <= worst_max
