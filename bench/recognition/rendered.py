"""Landmarks of the project's rendered people (``bench/groundtruth`` generator), cached for
training and evaluating the pose-family classifier.

Two sources, both made by the project's renderer (anny bodies, pyrender) and read from the
local render cache (``.cache``, not committed; re-render with ``bench/groundtruth``):

* supine stills (``.cache/groundtruth/stills``, ``labels.json``: the true knee drop of
  each still): MediaPipe 0.10.14 is run here on each image (photograph mode);
* seated and standing twists (``.cache/seated/results.jsonl``: trunk rotation commanded
  from -50 to 50 degrees, MediaPipe skeletons already in the file).

Labels: supine twist when the true knee drop is 25 degrees or more, supine under 10
(between: left out); seated or standing twist when the commanded trunk rotation is 20
degrees or more, neutral at 0 (8: left out). Bodies are split by name
(:func:`split_of`): a third of the supine bodies and the seated/standing ``held_out``
bodies are never used in training and are reported apart in ``bench/RECOGNITION.md``.

Usage (repository root)::

    .venv/bin/python -m bench.recognition.rendered

writes ``bench/recognition/data/rendered_landmarks.npz`` with ``xy`` (N, 33, 2) float32
pixels, ``vis`` (N, 33), ``label`` (N,) fine class, ``split`` (N,) "train"/"held_out",
``body``, ``camera`` and ``image`` (N,) str.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from bench.recognition import synth

ROOT = Path(__file__).resolve().parents[2]
STILLS = ROOT / ".cache" / "groundtruth" / "stills"
SEATED = ROOT / ".cache" / "seated" / "results.jsonl"
OUT = Path(__file__).resolve().parent / "data" / "rendered_landmarks.npz"


def split_of(body: str, bodies: list[str]) -> str:
    """Every third supine body in name order is held out."""
    return "held_out" if sorted(bodies).index(body) % 3 == 2 else "train"


def main() -> int:
    """Collect and cache the rendered landmarks; returns the exit status."""
    from PIL import Image

    from twistcoach.estimator import make_mediapipe_estimator

    rows: list[dict[str, object]] = []
    stills = json.loads((STILLS / "labels.json").read_text())["stills"]
    bodies = sorted({s["body"] for s in stills})
    start = time.perf_counter()
    with make_mediapipe_estimator(static_image_mode=True) as est:
        for i, s in enumerate(stills):
            drop = abs(float(s["labels"]["knee_drop_deg"]))
            label = synth.SUPINE_TWIST if drop >= 25 else synth.SUPINE if drop < 10 else None
            if label is None or not (STILLS / s["image"]).exists():
                continue
            rgb = np.ascontiguousarray(Image.open(STILLS / s["image"]).convert("RGB"))
            sk = est.estimate(rgb, 0.0)
            if sk is None:
                continue
            rows.append(
                {
                    "xy": sk.image_xy,
                    "vis": sk.visibility,
                    "label": label,
                    "split": split_of(s["body"], bodies),
                    "body": s["body"],
                    "camera": s["camera"],
                    "image": "stills/" + s["image"],
                }
            )
            if i % 200 == 0:
                print(f"{i}/{len(stills)} {time.perf_counter() - start:.0f} s", file=sys.stderr)
    for line in SEATED.read_text().splitlines():
        r = json.loads(line)
        theta = abs(float(r["theta_deg"]))
        if not r.get("detected") or 0 < theta < 20:
            continue
        seated = r["stance"] == "seated"
        twist = synth.SEATED_TWIST if seated else synth.STANDING_TWIST
        neutral = synth.SEATED if seated else synth.STANDING
        sk = r["skeleton"]
        rows.append(
            {
                "xy": np.asarray(sk["image_xy"], dtype=np.float64),
                "vis": np.asarray(sk["visibility"], dtype=np.float64),
                "label": twist if theta >= 20 else neutral,
                "split": "held_out" if r["split"] == "held_out" else "train",
                "body": r["body"],
                "camera": r["camera"],
                "image": "seated/" + r["image"],
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        xy=np.stack([r["xy"] for r in rows]).astype(np.float32),
        vis=np.stack([r["vis"] for r in rows]).astype(np.float32),
        label=np.array([r["label"] for r in rows], dtype=np.int64),
        split=np.array([r["split"] for r in rows]),
        body=np.array([r["body"] for r in rows]),
        camera=np.array([r["camera"] for r in rows]),
        image=np.array([r["image"] for r in rows]),
    )
    print(f"{len(rows)} rendered pictures -> {OUT} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
