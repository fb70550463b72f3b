"""Read the rendered seated and standing twists with MediaPipe and the app's measure.

For every image of ``seated.render``'s ``labels.jsonl``: MediaPipe 0.10.14 (static image
mode, the bundled full model) gives a skeleton; ``twistcoach.rotation.measure_trunk``
reads the trunk rotation, once bare and once against a calibration on the same body and
camera's square (theta = 0) image, as the coach calibrates. Errors are against the label
(the body's true rotation, same definition), never against the commanded ``theta``.

Usage::

    PYTHONPATH=bench .venv/bin/python -m seated.measure OUT [--table bench/ACCURACY_SEATED.md]

writes ``OUT/results.jsonl`` (every reading with its truth and the skeleton) and, with
``--table``, the Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

#: The end of the normal active range (CLINICAL.md §5): accuracy is judged up to it.
NORMAL_RANGE_DEG = 45.0


def measure_all(root: Path, *, reuse: bool = False) -> list[dict[str, Any]]:
    """Every labelled image, read; returns the result records (also written).

    With ``reuse`` the skeletons of the last run's ``results.jsonl`` are measured again
    (no MediaPipe): for changes to the measure only.
    """
    import cv2
    import numpy as np

    from twistcoach.estimator import make_mediapipe_estimator
    from twistcoach.landmarks import Skeleton
    from twistcoach.rotation import TrunkView, calibrate_trunk, measure_trunk

    records = [json.loads(line) for line in (root / "labels.jsonl").read_text().splitlines()]
    skeletons: dict[str, Skeleton | None] = {}
    if reuse:
        for line in (root / "results.jsonl").read_text().splitlines():
            old = json.loads(line)
            sk = old["skeleton"]
            skeletons[old["image"]] = None if sk is None else Skeleton.from_dict(sk)
    else:
        with make_mediapipe_estimator(static_image_mode=True) as estimator:
            for rec in records:
                bgr = cv2.imread(str(root / rec["image"]))
                if bgr is None:
                    raise SystemExit(f"cannot read {root / rec['image']}")
                rgb = np.ascontiguousarray(bgr[:, :, ::-1], dtype=np.uint8)
                skeletons[rec["image"]] = estimator.estimate(rgb, 0.0)
    square = {
        (r["stance"], r["body"], r["camera"]): skeletons[r["image"]]
        for r in records
        if r["theta_deg"] == 0.0
    }
    out = []
    for rec in records:
        skeleton = skeletons[rec["image"]]
        result = dict(rec)
        result["detected"] = skeleton is not None
        result["skeleton"] = None if skeleton is None else skeleton.to_dict()
        calibration = calibrate_trunk([square.get((rec["stance"], rec["body"], rec["camera"]))])
        result["view"] = None if calibration is None else calibration.view.value
        if calibration is not None and not calibration.view.measured:
            # What the bare depth reading would give from this refused view (for the table).
            calibration = replace(calibration, view=TrunkView.FRONT)
            result["refused"] = True
        else:
            result["refused"] = calibration is None
        for mode, cal in (("bare", None), ("calibrated", calibration)):
            if skeleton is None or (mode == "calibrated" and cal is None):
                result[mode] = {"rotation_deg": None, "confidence": 0.0}
                continue
            m = measure_trunk(skeleton, cal)
            result[mode] = {"rotation_deg": m.rotation.value, "confidence": m.rotation.confidence}
        out.append(result)
    with (root / "results.jsonl").open("w") as handle:
        for result in out:
            handle.write(json.dumps(result) + "\n")
    return out


def _stats(rows: Iterable[dict[str, Any]], mode: str) -> dict[str, Any]:
    rows = [r for r in rows if abs(r["trunk_rotation_deg"]) <= NORMAL_RANGE_DEG + 2]
    known = [r for r in rows if r[mode]["rotation_deg"] is not None]
    errors = [abs(r[mode]["rotation_deg"] - r["trunk_rotation_deg"]) for r in known]
    turned = [r for r in known if abs(r["trunk_rotation_deg"]) >= 10]
    sides = [(r[mode]["rotation_deg"] > 0) == (r["trunk_rotation_deg"] > 0) for r in turned]
    return {
        "n": len(rows),
        "known": len(known),
        "mean": statistics.fmean(errors) if errors else None,
        "max": max(errors) if errors else None,
        "side_ok": f"{sum(sides)}/{len(sides)}",
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown tables: per stance, camera and split, bare and calibrated."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[(r["stance"], r["camera"], r["split"])].append(r)
    lines = []
    for stance in sorted({k[0] for k in groups}):
        lines += [
            f"### {stance.capitalize()}: error against the true rotation (degrees)",
            "",
            "| camera | bodies | recognised as | images (\\|true\\| ≤ 47°) | depth only: read "
            "| mean | max | side right (\\|true\\| ≥ 10°) | calibrated: read | mean | max "
            "| side right |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for (st, camera, split), rows in sorted(groups.items()):
            if st != stance:
                continue
            bare, cal = _stats(rows, "bare"), _stats(rows, "calibrated")
            views = Counter(str(r.get("view")) for r in rows if r["theta_deg"] == 0.0)
            seen = ", ".join(f"{v} {n}" for v, n in sorted(views.items()))
            lines.append(
                f"| {camera} | {split} ({len({r['body'] for r in rows})}) | {seen} | "
                f"{bare['n']} | "
                f"{bare['known']} | {_fmt(bare['mean'])} | {_fmt(bare['max'])} | "
                f"{bare['side_ok']} | {cal['known']} | {_fmt(cal['mean'])} | "
                f"{_fmt(cal['max'])} | {cal['side_ok']} |"
            )
        lines.append("")
    return "\n".join(lines)


#: The seated coach's under-read bands (rules/coaching_seated.yaml), degrees of true rotation.
BANDS_DEG = (10.0, 20.0, 35.0, 50.0)


def under_reads(results: list[dict[str, Any]], camera: str = "front_raised") -> str:
    """The worst under-read (true minus read, a wrong side counting the whole of both) per
    band of true rotation and split, and how many images read unknown: what the seated
    coach's stay-here margins must cover."""
    lines = [
        f"### Worst under-read from `{camera}`, calibrated (degrees)",
        "",
        "| split | images | unknown | "
        + " | ".join(f"\\|true\\| ≤ {b:g}°" for b in BANDS_DEG)
        + " |",
        "|---|---|---|" + "---|" * len(BANDS_DEG),
    ]
    for split in ("tuning", "held_out"):
        rows = [
            r
            for r in results
            if r["camera"] == camera
            and r["split"] == split
            and abs(r["trunk_rotation_deg"]) <= NORMAL_RANGE_DEG + 2
        ]
        worst = dict.fromkeys(BANDS_DEG, 0.0)
        unknown = 0
        for r in rows:
            truth, read = r["trunk_rotation_deg"], r["calibrated"]["rotation_deg"]
            if read is None:
                unknown += 1
                continue
            short = abs(truth) - abs(read) if read * truth >= 0 else abs(truth) + abs(read)
            band = next(b for b in BANDS_DEG if abs(truth) <= b)
            worst[band] = max(worst[band], short)
        cells = " | ".join(f"{worst[b]:.1f}" for b in BANDS_DEG)
        lines.append(f"| {split} | {len(rows)} | {unknown} | {cells} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the skeletons of results.jsonl again"
    )
    args = parser.parse_args(argv)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    results = measure_all(args.out, reuse=args.reuse)
    print(table(results))
    print(under_reads(results))
    print(f"machine load (1, 5, 15 min) at the start: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
