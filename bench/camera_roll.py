"""A camera that is not level: how far off level may the calibration accept it?

``kinematics.MAX_CAMERA_ROLL_DEG`` refuses a calibration whose fitted camera is rolled more
than that about its optical axis (a phone propped on its side). Between level and on its
side lies a phone leaning against a book: this benchmark turns the rendered stills from the
recommended place in the picture (about the picture's centre, the frame kept: what rolling
the camera about its axis does), runs MediaPipe on each turned picture, calibrates on the
turned flat still as a session would, and measures the turned dropped stills. It reports,
per roll, the calibrated roll the calibration reports (the number the refusal reads), how
many calibrations are accepted, and the knee drop's error and worst under-read.

The tuning bodies choose; the held-out ones (``groundtruth.plan.HELD_OUT``) are reported
apart. Run (after the render cache exists, ``make accuracy`` renders it)::

    PYTHONPATH=bench .venv/bin/python bench/camera_roll.py [--model full|heavy]

Writes ``bench/CAMERA_ROLL.md``. About 0.2-0.4 s a picture on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from groundtruth.env import RENDER_CACHE, REPO
from groundtruth.evaluate import RECOMMENDED_CAMERAS, body_type_of, load_stills
from groundtruth.plan import HELD_OUT

#: Picture turns tried, degrees (positive: the picture turned counter-clockwise).
ROLLS = (0.0, 10.0, -15.0, 20.0, -25.0, 30.0)
#: The largest true drop counted (issue 17's range).
MAX_TRUE_DEG = 70.0


def _turned(path: Path, deg: float) -> np.ndarray:
    """The picture at ``path`` turned by ``deg`` about its centre, same size (RGB, uint8)."""
    from PIL import Image

    with Image.open(path) as im:
        rgb = im.convert("RGB")
        if deg:
            rgb = rgb.rotate(deg, resample=Image.Resampling.BICUBIC, expand=False)
        return np.asarray(rgb)


def run(
    model_name: str, bodies: list[str] | None, rolls: tuple[float, ...] = ROLLS
) -> list[dict[str, Any]]:
    """Every (body, recommended camera, roll) group measured; one row per dropped still."""
    from twistcoach.estimator import FULL_MODEL, HEAVY_MODEL, make_mediapipe_estimator
    from twistcoach.kinematics import CalibrationError, calibrate, calibrate_for
    from twistcoach.metrics import BodyType
    from twistcoach.tracking import TwistTracker

    model = FULL_MODEL if model_name == "full" else HEAVY_MODEL
    root = RENDER_CACHE / "stills"
    records = [
        r
        for r in load_stills(root)
        if r["camera"] in RECOMMENDED_CAMERAS and (bodies is None or r["body"] in bodies)
    ]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault((rec["body"], rec["camera"]), []).append(rec)
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with make_mediapipe_estimator(static_image_mode=True, model_complexity=model) as est:
        for n, ((body, camera), group) in enumerate(sorted(groups.items())):
            flat = [r for r in group if r["theta_cmd_deg"] == 0.0]
            if not flat:
                continue
            body_type = BodyType(body_type_of(body, "stated"))
            for roll in rolls:
                flat_sk = est.estimate(_turned(root / flat[0]["image"], roll), 0.0)
                cal = None
                if flat_sk is not None:
                    try:
                        cal = calibrate_for(
                            body_type, lambda m, sk=flat_sk: calibrate([sk], model=m)
                        )
                    except CalibrationError:
                        cal = None
                # The calibration's roll is read before the refusal, so the table shows
                # what a refused camera calibrated at: calibrate() without the check.
                fitted_roll = _fitted_roll(flat_sk, body_type) if flat_sk is not None else None
                free_roll = _fitted_roll(flat_sk, body_type, 0.0) if flat_sk is not None else None
                for rec in group:
                    if rec is flat[0]:
                        continue
                    true = float(rec["labels"]["knee_drop_deg"])
                    if abs(true) > MAX_TRUE_DEG:
                        continue
                    row: dict[str, Any] = {
                        "body": body,
                        "camera": camera,
                        "roll": roll,
                        "true": true,
                        "fitted_roll": fitted_roll,
                        "free_roll": free_roll,
                        "accepted": cal is not None,
                        "measured": None,
                    }
                    if cal is not None:
                        sk = est.estimate(_turned(root / rec["image"], roll), 0.0)
                        if sk is not None:
                            obs = TwistTracker(calibration=cal).update(0.0, sk)
                            m = obs.measured
                            if m is not None and m.knee_drop.value is not None:
                                row["measured"] = float(m.knee_drop.value)
                    rows.append(row)
            print(
                f"{n + 1}/{len(groups)} {body} {camera} ({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
            )
    load = [round(x, 1) for x in os.getloadavg()]
    for row in rows:
        row["load"] = load
    return rows


def _fitted_roll(skeleton: Any, body_type: Any, level_weight: float | None = None) -> float | None:
    """The calibrated camera's roll, degrees, with the roll checks lifted (None: no fit);
    ``level_weight`` replaces the level camera's prior when given (every start refitted)."""
    from twistcoach.kinematics import CalibrationError, _calibration, calibrate, calibrate_for

    saved = (_calibration.MAX_CAMERA_ROLL_DEG, _calibration.CALIBRATION_LEVEL_WEIGHT)
    _calibration.MAX_CAMERA_ROLL_DEG = 180.0
    if level_weight is not None:
        _calibration.CALIBRATION_LEVEL_WEIGHT = level_weight
    try:
        cal = calibrate_for(body_type, lambda m: calibrate([skeleton], model=m))
        return float(cal.roll_deg)
    except CalibrationError:
        return None
    finally:
        _calibration.MAX_CAMERA_ROLL_DEG, _calibration.CALIBRATION_LEVEL_WEIGHT = saved


def _under(given: list[dict[str, Any]]) -> float | None:
    """The worst under-read (true minus measured in the drop's direction) over true drops
    of 10 deg or more; None when there is none."""
    under = [
        float(np.sign(r["true"]) * (r["true"] - r["measured"]))
        for r in given
        if abs(r["true"]) >= 10
    ]
    return max(under) if under else None


def _cells(sel: list[dict[str, Any]]) -> str:
    """``measured | MAE | worst | worst under-read`` over the rows ``sel``."""
    given = [r for r in sel if r["measured"] is not None]
    if not given:
        return f"0/{len(sel)} | - | - | -"
    err = np.abs([r["measured"] - r["true"] for r in given])
    under = _under(given)
    return f"{len(given)}/{len(sel)} | {err.mean():.1f} | {err.max():.1f} | " + (
        "-" if under is None else f"{under:+.1f}"
    )


def _split_rows(rows: list[dict[str, Any]], split: str, roll: float) -> list[dict[str, Any]]:
    return [
        r for r in rows if r["roll"] == roll and (r["body"] in HELD_OUT) == (split == "held out")
    ]


def report(rows: list[dict[str, Any]], model_name: str) -> str:
    """The markdown report."""
    rolls = sorted({float(r["roll"]) for r in rows}, key=abs)
    out = [
        "# A camera that is not level (rendered stills turned in the picture)",
        "",
        "Made by `bench/camera_roll.py` (do not edit by hand). The recommended place's "
        "rendered stills, each picture turned about its centre by the roll (the frame kept: "
        "what rolling the camera about its axis does), MediaPipe's "
        f"{model_name} model in photograph mode, calibrated on the turned flat still with "
        "the body's own template (`kinematics.calibrate_for`, as a session), true drops up "
        "to 70 deg. `fitted roll`: the calibration's `roll_deg` (the size "
        "`kinematics.MAX_CAMERA_ROLL_DEG` refuses) over the groups (body x camera) that "
        "fitted; `free roll`: the same fit with the level camera's prior lifted "
        "(`CALIBRATION_LEVEL_WEIGHT` 0); `accepted`: calibrations the app does not refuse; "
        "errors over the dropped stills measured (measured minus true); under-read: true "
        "minus measured in the drop's direction (positive: read short, the unsafe side).",
        "",
        "## As the app is",
        "",
        "| split | roll | groups | fitted roll, abs (min / median / max) | free roll, abs "
        "(min / median / max) | accepted | stills measured | MAE | worst | worst under-read |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def spread(values: list[float]) -> str:
        if not values:
            return "-"
        return f"{min(values):.1f} / {float(np.median(values)):.1f} / {max(values):.1f}"

    for split in ("tuning", "held out"):
        for roll in rolls:
            sel = _split_rows(rows, split, roll)
            if not sel:
                continue
            groups = {(r["body"], r["camera"]): r for r in sel}
            fitted = [
                abs(r["fitted_roll"]) for r in groups.values() if r["fitted_roll"] is not None
            ]
            free = [abs(r["free_roll"]) for r in groups.values() if r.get("free_roll") is not None]
            accepted = sum(1 for r in groups.values() if r["accepted"])
            out.append(
                f"| {split} | {roll:+.0f} | {len(groups)} | {spread(fitted)} | {spread(free)} | "
                f"{accepted}/{len(groups)} | {_cells(sel)} |"
            )
    out += [
        "",
        "## Refusing by the free roll (tried, not taken)",
        "",
        "Calibrations accepted now, kept only where the free roll is at most the threshold: "
        "groups kept and the worst under-read of their stills, per roll (cells: groups / "
        "worst under-read).",
        "",
        "| split | free roll at most | " + " | ".join(f"{r:+.0f}" for r in rolls) + " |",
        "|---|---|" + "---|" * len(rolls),
    ]
    for split in ("tuning", "held out"):
        for limit in (10.0, 12.0, 15.0, 18.0, 180.0):
            cells = []
            for roll in rolls:
                sel = [
                    r
                    for r in _split_rows(rows, split, roll)
                    if r["accepted"]
                    and r.get("free_roll") is not None
                    and abs(r["free_roll"]) <= limit
                ]
                if not _split_rows(rows, split, roll):
                    cells.append("")
                    continue
                groups = {(r["body"], r["camera"]) for r in sel}
                under = _under([r for r in sel if r["measured"] is not None])
                cells.append(f"{len(groups)} / " + ("-" if under is None else f"{under:+.1f}"))
            name = "(none)" if limit >= 180 else f"{limit:.0f}"
            out.append(f"| {split} | {name} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Machine load (`os.getloadavg`, 2 shared cores) at the end of each run: "
        + "; ".join(sorted({", ".join(f"{x:.1f}" for x in r["load"]) for r in rows if "load" in r}))
        + ".",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("full", "heavy"), default="full")
    parser.add_argument("--bodies", help="comma-separated body names (default: all)")
    parser.add_argument("--rolls", help="comma-separated picture turns (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "CAMERA_ROLL.md")
    parser.add_argument("--json", type=Path, help="also write every row here")
    parser.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        help="rewrite the report from rows written by --json (no MediaPipe)",
    )
    args = parser.parse_args(argv)
    bodies = args.bodies.split(",") if args.bodies else None
    rolls = tuple(float(r) for r in args.rolls.split(",")) if args.rolls else ROLLS
    if args.from_json:
        rows = [row for path in args.from_json for row in json.loads(path.read_text())]
    else:
        rows = run(args.model, bodies, rolls)
    if args.json:
        args.json.write_text(json.dumps(rows))
    args.out.write_text(report(rows, args.model))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
