"""Render the cue benchmark's clips into ``.cache/cues`` (run in ``.venv-bench``).

Usage (from the repository root)::

    PYTHONPATH=bench PYOPENGL_PLATFORM=osmesa .venv-bench/bin/python -m cuebench.render \
        [--split tune|heldout] [--only NAME ...]

Frames of the same pose (lying flat, holds) are rendered once per subject and copied, and
a clip whose ``render_spec.json`` matches is not rendered again. Labels (the app's own angle
definitions on the body's 3D keypoints, ``groundtruth.labels``) are always recomputed and
rewritten when they changed (``bench/cues.py landmarks`` reruns MediaPipe on a clip whose
labels are newer than its landmarks).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from groundtruth.env import CACHE, configure

CUES_CACHE = CACHE / "cues"


def render_clip(clip: Any, model: Any, renderer: Any, pose_cache: dict[Any, Path]) -> Path:
    """Render one clip's frames (reusing identical poses) and write its ``labels.json``."""
    from cuebench.plan import SIZE
    from groundtruth.body import PoseSpec
    from groundtruth.generate import _write_jpeg
    from groundtruth.labels import label_source

    subj, seq = clip.subject, clip.sequence
    out: Path = CUES_CACHE / str(clip.name)
    spec_text = json.dumps(
        {"seq": seq, "body": subj.body, "room": subj.room, "camera": subj.camera, "size": SIZE},
        sort_keys=True,
        default=repr,
    )
    stamp = out / "render_spec.json"
    if stamp.exists() and stamp.read_text() != spec_text:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    n = round(seq.duration * seq.fps) + 1
    frames = []
    # Posing (the labels) costs more than rendering a frame: the same commanded state (a
    # hold, lying flat) is posed once; exact values, so the labels are the same numbers.
    posed_by_state: dict[tuple[float, float], Any] = {}
    still = {(k.theta, k.follow) for k in seq.keys}  # moving states are not kept (memory)
    for i in range(n):
        t = i / seq.fps
        theta, follow = seq.state(t)
        key = (round(theta, 2), round(follow, 3))
        posed = posed_by_state.get((theta, follow))
        if posed is None:
            posed = model.pose(subj.body, PoseSpec(theta, follow))
            if (theta, follow) in still:
                posed_by_state[(theta, follow)] = posed
        path = out / f"frame_{i:04d}.jpg"
        if not path.exists():
            if key in pose_cache and pose_cache[key].exists():
                shutil.copyfile(pose_cache[key], path)
            else:
                _write_jpeg(path, renderer.render(posed, subj.camera, subj.room), 90)
        pose_cache.setdefault(key, path)
        frames.append(
            {"t": round(t, 4), "theta_cmd_deg": round(theta, 3), **posed.labels.to_dict()}
        )
    drops = np.array([f["knee_drop_deg"] for f in frames])
    for f, s in zip(frames, np.gradient(drops, 1.0 / seq.fps), strict=True):
        f["speed_deg_s"] = round(float(s), 2)
    data = {
        "name": clip.name,
        "kind": clip.kind,
        "split": subj.split,
        "body": subj.body.name,
        "camera": subj.camera.name,
        "plan_side": clip.plan_side,
        "plan_reps": clip.plan_reps,
        "fps": seq.fps,
        "size": list(SIZE),
        "label_source": label_source(),
        "frames": frames,
    }
    labels = out / "labels.json"
    text = json.dumps(data, indent=1)
    if not labels.exists() or labels.read_text() != text:
        labels.write_text(text)  # unchanged labels keep their time: no new MediaPipe run
    stamp.write_text(spec_text)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="cuebench.render", description=__doc__)
    parser.add_argument("--split", choices=["tune", "heldout"])
    parser.add_argument("--only", nargs="*", help="clip names (split/body_kind)")
    args = parser.parse_args(argv)
    configure()
    from cuebench.plan import SIZE, clips
    from groundtruth.generate import _model
    from groundtruth.scene import Renderer

    model = _model()
    renderer = Renderer(SIZE)
    caches: dict[str, dict[Any, Path]] = {}
    for clip in clips():
        if args.split and clip.subject.split != args.split:
            continue
        if args.only and clip.name not in args.only:
            continue
        started = time.monotonic()
        render_clip(clip, model, renderer, caches.setdefault(clip.subject.body.name, {}))
        print(f"{clip.name}: {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
