"""A rendered seated-twist clip with its true rotation per frame (issue 20: the coach test).

One body (``woman50_average``) sits tall and square for 5 s, turns the chest slowly to the
right (θ 20°, true rotation about 18.6°) over 5 s, and stays there for 12 s; seen from the
recommended camera (in front, 35° up). 10 frames a second, 640×360, H.264 (Debian's
ffmpeg). ``tests/seated_groundtruth/seated_turn_right.mp4`` and its ``.json`` (the true
rotation of every frame) are what ``tests/test_seated_clip.py`` coaches with
``twistcoach coach --headless``.

Usage (the bench venv)::

    PYTHONPATH=bench .venv-bench/bin/python -m seated.clip tests/seated_groundtruth
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

FPS = 10
#: (time s, commanded θ degrees) keyframes, linear between them.
KEYS = ((0.0, 0.0), (5.0, 0.0), (10.0, 20.0), (22.0, 20.0))


def theta_at(t: float) -> float:
    """The commanded turn at time ``t`` (linear between :data:`KEYS`)."""
    for (t0, a0), (t1, a1) in itertools.pairwise(KEYS):
        if t0 <= t <= t1:
            return a0 + (a1 - a0) * (t - t0) / (t1 - t0)
    return KEYS[-1][1]


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:])[0])
    from groundtruth.env import RENDER_CACHE, configure

    configure()
    import cv2

    from groundtruth.body import BodyModel
    from groundtruth.generate import encode_mp4
    from groundtruth.plan import bodies, rooms
    from groundtruth.scene import CameraSpec, Renderer
    from seated.render import CAMERAS, SIZE, pose

    spec, room = next(
        (b, r) for b, r in zip(bodies(), rooms(), strict=True) if b.name == "woman50_average"
    )
    name, az, el, dist = next(c for c in CAMERAS if c[0] == "front_raised")
    camera = CameraSpec(name, name, az, el, dist, target_height_m=0.3)
    model, renderer = BodyModel(), Renderer(SIZE)
    frames_dir = RENDER_CACHE / "seated_clip"
    frames_dir.mkdir(parents=True, exist_ok=True)
    truth = []
    start = time.perf_counter()
    n = round(KEYS[-1][0] * FPS)
    for i in range(n):
        t = i / FPS
        posed, labels = pose(model, spec, theta_at(t), "seated")
        rgb = renderer.render(posed, camera, room)
        cv2.imwrite(
            str(frames_dir / f"frame_{i:04d}.jpg"), rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92]
        )
        truth.append({"t": round(t, 2), "theta_deg": round(theta_at(t), 2), **labels})
    encode_mp4(frames_dir, FPS, target / "seated_turn_right.mp4", SIZE, crf=24)
    data = {"body": spec.name, "camera": name, "fps": FPS, "size": list(SIZE), "frames": truth}
    (target / "seated_turn_right.json").write_text(json.dumps(data, indent=1))
    print(f"{n} frames in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
