"""Rendered seated twists with known trunk rotation (issue 20 items 2 and 5).

People sit on the floor with the legs forward (staff pose, knees a little bent), or stand
(``--stance standing``), and turn the chest by ``theta`` over the five spine bones while
the pelvis stays square; each image
is labelled with the app's own definitions (``groundtruth.labels.trunk_labels`` =
``twistcoach.rotation.trunk_angles_3d`` on the body's 3D keypoints), never with ``theta``.

World frame: anny's own (metres): z up, x the person's left, -y the way the person faces
(a right-handed frame: right = forward x up). The floor is the lowest vertex.

Cameras a person would use (azimuth 0 = in front of the person, + round to the person's
left; elevation above the horizontal; distance from the chest):

- ``front``: level, in front (a phone on a chair), 2.5 m;
- ``front_raised``: in front, 35 degrees up (a shelf), 2.6 m;
- ``diag_l``/``diag_r``: raised front diagonals, 40 degrees round, 30 degrees up, 2.6 m;
- ``overhead``: looking down from 80 degrees, 2.2 m;
- ``side``: level at the person's left, 2.5 m.

Usage (the bench venv: torch, anny, pyrender)::

    PYTHONPATH=bench .venv-bench/bin/python -m seated.render OUT [--bodies N,...] [--thetas ...]

writes ``OUT/STANCE/BODY/CAMERA/THETA.jpg`` and ``OUT/labels.jsonl`` (one line per image: body,
camera, theta, labels, the body's split). ``seated.measure`` then reads them with
MediaPipe and the app's measure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from groundtruth.env import configure

SIZE = (640, 360)
#: Commanded turns (degrees, + to the person's right), up to the end of the normal active
#: range (about 45 degrees, CLINICAL.md §5) and a little past it.
THETAS = (-50.0, -35.0, -20.0, -8.0, 0.0, 8.0, 20.0, 35.0, 50.0)
SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
#: (name, azimuth, elevation, distance m)
CAMERAS = (
    ("front", 0.0, 5.0, 2.5),
    ("front_raised", 0.0, 35.0, 2.6),
    ("diag_l", 40.0, 30.0, 2.6),
    ("diag_r", -40.0, 30.0, 2.6),
    ("overhead", 0.0, 80.0, 2.2),
    ("side", 90.0, 5.0, 2.5),
)
#: Bodies: three from the tuning split, three from the held-out split of groundtruth.plan.
BODIES = (
    "woman50_average",
    "man25_average",
    "woman65_average_156",
    "woman45_average_175",
    "man55_average_175",
    "man70_heavy_165",
)


def _pose_params(theta: float, stance: str) -> dict[str, Any]:
    from groundtruth.body import _rot

    params: dict[str, Any] = {
        # Arms down by the sides.
        "upperarm01.L": _rot((0, 1, 0), 35.0),
        "upperarm01.R": _rot((0, 1, 0), -35.0),
    }
    if stance == "seated":
        # Hips flexed 90 degrees (sitting on the floor), knees a little bent.
        params["upperleg01.L"] = _rot((1, 0, 0), -90.0)
        params["upperleg01.R"] = _rot((1, 0, 0), -90.0)
        params["lowerleg01.L"] = _rot((1, 0, 0), 15.0)
        params["lowerleg01.R"] = _rot((1, 0, 0), 15.0)
    for bone in SPINE:
        # Negative about anny's z turns the front (-y) towards -x: the person's right.
        params[bone] = _rot((0, 0, 1), -theta / len(SPINE))
    return params


def pose(model: Any, spec: Any, theta: float, stance: str) -> tuple[Any, dict[str, Any]]:
    """A posed seated or standing body (groundtruth.body.Posed) and its trunk labels."""
    from groundtruth.body import COCO_TO_LANDMARK, Posed
    from groundtruth.labels import body_labels, trunk_labels

    verts, kp = model._forward(spec, _pose_params(theta, stance))
    floor = float(verts[:, 2].min())
    verts[:, 2] -= floor
    kp[:, 2] -= floor
    labels = model.regressor.labels
    keypoints = {
        COCO_TO_LANDMARK[name]: kp[n] for n, name in enumerate(labels) if name in COCO_TO_LANDMARK
    }
    palette = np.array([spec.skin, spec.shirt, spec.trousers, spec.hair])
    colors = np.ones((len(verts), 4))
    colors[:, :3] = palette[model._region]
    up, forward = np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0])
    posed = Posed(verts, model.faces, colors, keypoints, body_labels(keypoints, up))
    return posed, trunk_labels(keypoints, up, forward)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bodies", default=",".join(BODIES))
    parser.add_argument("--cameras", default=",".join(c[0] for c in CAMERAS))
    parser.add_argument("--thetas", default=",".join(f"{t:g}" for t in THETAS))
    parser.add_argument("--stance", choices=("seated", "standing"), default="seated")
    args = parser.parse_args(argv)
    configure()
    import cv2

    from groundtruth.body import BodyModel
    from groundtruth.plan import bodies, rooms, split_of
    from groundtruth.scene import CameraSpec, Renderer

    scenes = {b.name: (b, r) for b, r in zip(bodies(), rooms(), strict=True)}
    wanted = args.bodies.split(",")
    cameras = [c for c in CAMERAS if c[0] in args.cameras.split(",")]
    thetas = [float(t) for t in args.thetas.split(",")]
    t0 = time.perf_counter()
    model = BodyModel()
    renderer = Renderer(SIZE)
    print(f"model and renderer: {time.perf_counter() - t0:.1f} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "labels.jsonl").open("a") as log:
        for name in wanted:
            spec, room = scenes[name]
            for theta in thetas:
                t1 = time.perf_counter()
                posed, labels = pose(model, spec, theta, args.stance)
                t2 = time.perf_counter()
                for cam_name, az, el, dist in cameras:
                    # Aimed at the chest: 0.3 m above the hips seated, standing also.
                    camera = CameraSpec(cam_name, cam_name, az, el, dist, target_height_m=0.3)
                    rgb = renderer.render(posed, camera, room)
                    path = args.out / args.stance / name / cam_name / f"{theta:+05.0f}.jpg"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(path), rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
                    record = {
                        "image": str(path.relative_to(args.out)),
                        "stance": args.stance,
                        "body": name,
                        "split": split_of(name),
                        "camera": cam_name,
                        "azimuth_deg": az,
                        "elevation_deg": el,
                        "theta_deg": theta,
                        **labels,
                    }
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                print(
                    f"{name} theta {theta:+.0f}: pose {t2 - t1:.2f} s, "
                    f"{len(cameras)} renders {time.perf_counter() - t2:.2f} s, "
                    f"rotation label {labels['trunk_rotation_deg']:+.1f}",
                    flush=True,
                )
    print(f"done in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
