"""Run MediaPipe once over the training photographs and cache their landmarks (``.npz``).

The training photographs are the exercise pictures of ``yuhonas/free-exercise-db``
(Unlicense: public domain), read straight from a git checkout of that repository (pinned
commit below), so that training (``bench/recognition/train.py``) is repeatable without the
images. Landmarks are MediaPipe 0.10.14's, made as the app makes them for a photograph
(``twistcoach.estimator.make_mediapipe_estimator(static_image_mode=True)``).

Usage::

    .venv/bin/python -m bench.recognition.extract --repo PATH/TO/free-exercise-db/.git

writes ``bench/recognition/data/fedb_landmarks.npz`` with arrays

``names`` (N,) str
    ``<exercise id>/<image>``, e.g. ``Knee_Across_The_Body/1.jpg``.
``xy`` (N, 33, 2) float32
    Image landmarks, pixels (x right, y down); NaN where nobody was found.
``z`` (N, 33) float32, ``vis`` (N, 33) float32
    MediaPipe's relative depth (scaled like x) and visibility.
``size`` (N, 2) int32
    Image width and height, pixels.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

#: The free-exercise-db commit the landmarks were made from.
FEDB_COMMIT = "acd61f751fe15d618862ee3084f27e839222a28f"
DATA = Path(__file__).resolve().parent / "data"


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    """Extract and cache the landmarks; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="free-exercise-db git dir")
    parser.add_argument("--out", type=Path, default=DATA / "fedb_landmarks.npz")
    args = parser.parse_args(argv)

    from PIL import Image

    from twistcoach.estimator import make_mediapipe_estimator

    exercises = json.loads(_git(args.repo, "show", f"{FEDB_COMMIT}:dist/exercises.json"))
    names = [f"{e['id']}/{Path(img).name}" for e in exercises for img in e["images"]]
    n = len(names)
    xy = np.full((n, 33, 2), np.nan, dtype=np.float32)
    z = np.full((n, 33), np.nan, dtype=np.float32)
    vis = np.zeros((n, 33), dtype=np.float32)
    size = np.zeros((n, 2), dtype=np.int32)
    start = time.perf_counter()
    with make_mediapipe_estimator(static_image_mode=True) as est:
        for i, name in enumerate(names):
            raw = _git(args.repo, "show", f"{FEDB_COMMIT}:exercises/{name}")
            rgb = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
            size[i] = (rgb.shape[1], rgb.shape[0])
            sk = est.estimate(rgb, 0.0)
            if sk is not None:
                xy[i] = sk.image_xy
                z[i] = sk.image_z
                vis[i] = sk.visibility
            if i % 100 == 0:
                print(f"{i}/{n} {time.perf_counter() - start:.0f} s", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, names=np.array(names), xy=xy, z=z, vis=vis, size=size)
    found = int(np.isfinite(xy[:, 0, 0]).sum())
    print(f"{n} images, a person in {found}, {time.perf_counter() - start:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
