"""A second calibration pose, legs long: does it identify the thigh's proportion? (issue 17)

One knees-up view cannot tell a shorter thigh from a camera turned further round, so the
calibration takes the thigh's proportion from a template body (``kinematics.TEMPLATE_THIGH_M``:
the person's own sex when they say, else neutral). Issue 17 suggests a short second
calibration pose. Lying flat with the legs long, the thigh lies along the floor, whose
plane the knees-up calibration already knows: the hip and knee landmarks' rays meet the
plane at the hip joints' height, and their distance is the thigh's length in the
template's units (against its 0.50 m torso). This script measures what the calibration
gains when it is refitted with that thigh instead of the template's.

For every rendered body of the wider set and every recommended camera it takes the
knees-up still (``theta_+000``) and the legs-long still of the same body and camera
(``groundtruth.generate legs_long``), and measures

* ``template``: the calibration from a template body (neutral, or the body's own sex; the app
  now also takes the female one when the neutral fit finds a short thigh,
  ``kinematics.calibrate_for``, which this experiment, made before it, does not);
* ``legs long``: the same, refitted with the thigh measured on the legs-long still;

on the calibrated stills (true drops up to 70 deg) and on the 32 rendered clips (their
knees-up start calibrates; the legs-long still, estimated as a photograph, stands in for
the seconds a session would spend lying with the legs long first). Both landmark models
(the recorded videos' heavy one, the live coach's full one). Writes ``bench/LEGS_LONG.md``.

Run (after ``make accuracy``, whose estimations of the stills and clips it reuses)::

    PYTHONPATH=bench .venv-bench/bin/python -m groundtruth.generate legs_long
    PYTHONPATH=bench .venv/bin/python bench/legs_long.py
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from groundtruth.env import RENDER_CACHE, REPO
from groundtruth.evaluate import (
    RECOMMENDED_CAMERAS,
    _load_estimated,
    body_type_of,
    estimate_stills,
    load_stills,
)
from groundtruth.plan import HELD_OUT
from twistcoach.estimator import LIVE_MODEL, MODEL_NAMES, RECORDED_MODEL
from twistcoach.kinematics import BodyModel, Calibration, calibrate, template_body
from twistcoach.kinematics._camera import _floor_hit
from twistcoach.landmarks import Landmark, Skeleton
from twistcoach.metrics import BodyType
from twistcoach.pipeline import run_tracker
from twistcoach.tracking import TwistTracker

#: The thighs the refit accepts, template metres (against the 0.50 m torso): beyond them
#: the legs-long still is taken as misread and the template kept.
THIGH_RANGE_M = (0.25, 0.60)


def thigh_on_floor(cal: Calibration, legs_long: Skeleton) -> float:
    """The thigh's length, template metres, from a still lying with the legs long.

    The mid-hip and the mid-knee are both taken at the hip joints' height above the floor
    (the rendered bodies' knees lie within 3 cm of it with the legs long); NaN when a ray
    meets that plane at a grazing angle.
    """
    xy = legs_long.image_xy
    hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    knee = (xy[Landmark.LEFT_KNEE] + xy[Landmark.RIGHT_KNEE]) / 2
    h = cal.model.hip_height
    # The kinematics' own cast of a pixel's ray onto a horizontal plane (None: grazing).
    hip_3d, knee_3d = _floor_hit(cal.camera, hip, h), _floor_hit(cal.camera, knee, h)
    if hip_3d is None or knee_3d is None:
        return math.nan
    return float(np.linalg.norm(knee_3d - hip_3d))


def refitted(
    frames: Sequence[Skeleton], model: BodyModel, max_motion: float, legs_long: Skeleton
) -> Calibration:
    """The knees-up calibration refitted with the thigh measured on ``legs_long``."""
    cal = calibrate(frames, model=model, max_motion=max_motion)
    thigh = thigh_on_floor(cal, legs_long)
    if not THIGH_RANGE_M[0] <= thigh <= THIGH_RANGE_M[1]:  # NaN too
        return cal
    return calibrate(frames, model=replace(model, thigh_length=thigh), max_motion=max_motion)


@dataclass(frozen=True)
class Reading:
    """One measured frame or still."""

    body: str
    source: str  # "still" or "clip"
    template: str  # "neutral" or "stated"
    legs_long: bool
    knee_true: float
    knee: float | None
    pelvis_true: float
    pelvis: float | None


def _readings(metrics: Any, measurable: bool) -> tuple[float | None, float | None]:
    """The knee drop and pelvis roll the app gave (None where it gave none)."""
    if metrics is None or not measurable:
        return None, None
    return metrics.knee_drop.value, metrics.pelvis_roll.value


MODES = (("neutral", False), ("stated", False), ("neutral", True), ("stated", True))


def run_stills(model: int, legs_long_root: Path) -> list[Reading]:
    """The calibrated stills from the recommended place, each mode of :data:`MODES`."""
    stills_root = RENDER_CACHE / "stills"
    long_records = load_stills(legs_long_root)
    long_of = {(r["body"], r["camera"]): r for r in long_records}
    records = [
        r
        for r in load_stills(stills_root)
        if r["camera"] in RECOMMENDED_CAMERAS and (r["body"], r["camera"]) in long_of
    ]
    skeletons = estimate_stills(stills_root, records, cache=True, model=model)
    long_sk = estimate_stills(legs_long_root, long_records, cache=True, model=model)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["body"], r["camera"]), []).append(r)
    out = []
    for (body, camera), group in sorted(groups.items()):
        up = next((r for r in group if r["theta_cmd_deg"] == 0.0), None)
        up_sk = None if up is None else skeletons[up["image"]]
        long_sk_one = long_sk[long_of[(body, camera)]["image"]]
        if up_sk is None or long_sk_one is None:
            continue
        for template, use_long in MODES:
            base = template_body(BodyType(body_type_of(body, template)))
            try:
                cal = (
                    refitted([up_sk], base, 0.05, long_sk_one)
                    if use_long
                    else calibrate([up_sk], model=base)
                )
            except ValueError:
                continue
            for r in group:
                sk = skeletons[r["image"]]
                if sk is None:
                    continue
                obs = TwistTracker(calibration=cal).update(0.0, sk)
                knee, pelvis = _readings(obs.metrics, obs.view_measurable)
                out.append(
                    Reading(
                        body,
                        "still",
                        template,
                        use_long,
                        float(r["labels"]["knee_drop_deg"]),
                        knee,
                        float(r["labels"]["pelvis_roll_deg"]),
                        pelvis,
                    )
                )
    return out


def run_clips(model: int, legs_long_root: Path) -> list[Reading]:
    """The rendered clips (their cached estimation), each mode of :data:`MODES`."""
    long_records = load_stills(legs_long_root)
    long_sk = estimate_stills(legs_long_root, long_records, cache=True, model=model)
    long_of = {(r["body"], r["camera"]): long_sk[r["image"]] for r in long_records}
    out = []
    for labels_path in sorted((RENDER_CACHE / "sequences").glob("*/labels.json")):
        labels = json.loads(labels_path.read_text())
        estimated = _load_estimated(labels_path.parent / "clip.mp4", model)
        legs = long_of.get((labels["body"], labels["camera"]))
        if estimated is None or legs is None:
            continue
        for template, use_long in MODES:
            calibrator: Callable[[Sequence[Skeleton], BodyModel, float], Calibration] = (
                (lambda f, m, x, _legs=legs: refitted(f, m, x, _legs)) if use_long else _plain
            )
            tracker = TwistTracker(
                body=BodyType(body_type_of(labels["body"], template)),
                calibrator=calibrator,
                refine_calibration=model == RECORDED_MODEL,  # as run_video tracks it
            )
            for fr in run_tracker(estimated, tracker):
                if fr.index >= len(labels["frames"]):
                    break
                truth = labels["frames"][fr.index]["labels"]
                obs = fr.observation
                knee, pelvis = _readings(obs.metrics, obs.view_measurable)
                out.append(
                    Reading(
                        labels["body"],
                        "clip",
                        template,
                        use_long,
                        float(truth["knee_drop_deg"]),
                        knee,
                        float(truth["pelvis_roll_deg"]),
                        pelvis,
                    )
                )
    return out


def _plain(frames: Sequence[Skeleton], model: BodyModel, max_motion: float) -> Calibration:
    return calibrate(frames, model=model, max_motion=max_motion)


def _cell(rs: Sequence[Reading]) -> str:
    """``MAE / worst (share measured)`` of the knee drop over true drops up to 70 deg."""
    rs = [r for r in rs if abs(r.knee_true) <= 70.0]
    err = np.array([r.knee - r.knee_true for r in rs if r.knee is not None])
    if not len(err):
        return "-"
    return f"{np.abs(err).mean():.2f} / {np.abs(err).max():.1f} ({len(err) / len(rs):.0%})"


def _pelvis_cell(rs: Sequence[Reading]) -> str:
    rs = [r for r in rs if abs(r.knee_true) <= 70.0]
    err = np.array([r.pelvis - r.pelvis_true for r in rs if r.pelvis is not None])
    return f"{np.abs(err).mean():.2f} / {np.abs(err).max():.1f}" if len(err) else "-"


def _split(body: str) -> str:
    return "held out" if body in HELD_OUT else "tuning"


def _mode_name(template: str, use_long: bool) -> str:
    name = "neutral template" if template == "neutral" else "body type given"
    return name + (", thigh from legs long" if use_long else "")


def report(results: dict[int, list[Reading]]) -> str:
    """The Markdown report of :func:`run_stills` and :func:`run_clips` per model."""
    lines = [
        "# A second calibration pose, legs long (issue 17 experiment)",
        "",
        "Made by `bench/legs_long.py` (its docstring says how); do not edit by hand. Knee "
        "drop from the recommended place, true drops up to 70 deg: MAE / worst (share "
        "measured), degrees; pelvis roll MAE / worst. `thigh from legs long`: the knees-up "
        "calibration refitted with the thigh measured on a still of the same body lying "
        "with the legs long, seen from the same camera.",
        "",
    ]
    for model, rs in results.items():
        lines += [f"## {MODEL_NAMES[model]} landmark model", ""]
        lines += [
            "| set | split | calibration | knee drop | pelvis roll |",
            "|---|---|---|---|---|",
        ]
        for source in ("still", "clip"):
            for split in ("held out", "tuning"):
                for template, use_long in MODES:
                    part = [
                        r
                        for r in rs
                        if r.source == source
                        and _split(r.body) == split
                        and r.template == template
                        and r.legs_long == use_long
                    ]
                    lines.append(
                        f"| {source}s | {split} | {_mode_name(template, use_long)} | "
                        f"{_cell(part)} | {_pelvis_cell(part)} |"
                    )
        lines += [
            "",
            "By body (stills and clips together; knee drop MAE / worst):",
            "",
            "| body | split | " + " | ".join(_mode_name(t, u) for t, u in MODES) + " |",
            "|---|---|" + "---|" * len(MODES),
        ]
        for body in sorted({r.body for r in rs}, key=lambda b: (_split(b), b)):
            cells = [
                _cell([r for r in rs if r.body == body and r.template == t and r.legs_long == u])
                for t, u in MODES
            ]
            lines.append(f"| {body} | {_split(body)} | " + " | ".join(cells) + " |")
        lines.append("")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append(f"Machine load at the end (`uptime`, 2 shared cores): {load}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--legs-long", type=Path, default=RENDER_CACHE / "legs_long")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "LEGS_LONG.md")
    args = parser.parse_args(argv)
    if not (args.legs_long / "labels.json").exists():
        print(
            f"error: no legs-long stills in {args.legs_long}: run "
            "`PYTHONPATH=bench .venv-bench/bin/python -m groundtruth.generate legs_long`",
            file=sys.stderr,
        )
        return 2
    results = {
        model: run_stills(model, args.legs_long) + run_clips(model, args.legs_long)
        for model in (RECORDED_MODEL, LIVE_MODEL)
    }
    args.out.write_text(report(results))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
