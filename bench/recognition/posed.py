"""Rendered people in every pose the classifier learns, read by MediaPipe: training and test
pictures whose landmarks carry MediaPipe's own errors.

The synthetic stick bodies (:mod:`bench.recognition.synth`) give the classifier every pose
and camera, but their landmarks are exact points with Gaussian jitter; a real photograph's
come from MediaPipe, which misplaces hips of a rolled pelvis, loses legs seen end-on, swaps
sides and shortens limbs pointing at the camera. Here the same poses (the same
:data:`synth.POSES` functions and random draws) are put on the project's anny bodies
(``bench/groundtruth``: statures 1.45-1.95 m, slim to heavy, both sexes, clothing and rooms
varied), rendered from a random camera (the distributions of :func:`synth.photograph`) and
read by MediaPipe 0.10.14 in photograph mode, as ``twistcoach analyze`` reads a photograph.

How a pose reaches anny: the pelvis frame of the pose orients the whole body; every other
part is aligned with its direction in :func:`synth.segments` relative to its parent bone
(anny's pose parameters are rotations in the rest pose's axes, composed down the chain;
``bench/test_generator.py`` checks that every limb lands where the pose says): the spine's
turn is spread over its five bones, the thigh and upper arm are turned so that
their direction and the way their joint bends match, the shank and forearm by the least
rotation that puts them on their direction. Feet, hands and the neck's lower bones stay as
at rest.

Splits: the bodies of ``groundtruth.plan``'s held-out third are rendered only for the
benchmark (``held_out``); the tuning bodies for training (``train``) and, with another
seed, for choosing the training's settings (``validation``, never trained on).

Usage (repository root; the bench venv has anny, pyrender and MediaPipe)::

    PYTHONPATH=bench .venv-bench/bin/python -m bench.recognition.posed --per-pose 40
    PYTHONPATH=bench .venv-bench/bin/python -m bench.recognition.posed --split held_out \\
        --per-pose 10 --seed 12347

writes the images under ``.cache/recognition/posed`` (not committed) and appends their
landmarks to ``bench/recognition/data/posed_landmarks.npz`` (the format of
``rendered_landmarks.npz``, with ``pose``: the synthetic pose's name).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench.recognition import synth
from numpy.typing import NDArray

from twistcoach.landmarks import Skeleton

FloatArray = NDArray[np.float64]

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "recognition" / "posed"
OUT = Path(__file__).resolve().parent / "data" / "posed_landmarks.npz"
SIZE = (560, 560)
#: Pictures of one pose draw their scene (body and room) at ``k * SCENE_STRIDE + j``: the
#: number of poses when the first sets were rendered, kept so they render the same.
SCENE_STRIDE = 36
YFOV_DEG = 50.0

#: anny's rest axes (x the person's left, y their back, z their head) in the pelvis frame
#: of :mod:`synth` (l, u, f): x -> l, z -> u, -y -> f.
ANNY_TO_BODY = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")


def skeleton(data: Any, i: int, size: tuple[int, int] = SIZE) -> Skeleton:
    """Row ``i`` of a landmarks file (``np.load`` of :data:`OUT`, or of the rendered
    people's file with its ``size``) as the skeleton MediaPipe gave (image landmarks in
    pixels of a ``size`` picture, no world ones)."""
    return Skeleton(
        0.0,
        data["xy"][i].astype(np.float64),
        np.zeros(33),
        np.zeros((33, 3)),
        data["vis"][i].astype(np.float64),
        size,
    )


def camera_name(azimuth_deg: float, elevation_deg: float) -> str:
    """The ``camera`` field of a posed picture: its camera's azimuth and elevation."""
    return f"az{azimuth_deg:+.0f}_el{elevation_deg:.0f}"


def elevation_of(camera: str) -> float:
    """The camera elevation (degrees, whole) in a :func:`camera_name`."""
    return float(camera.split("_el")[1])


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def _frame(a: FloatArray, b: FloatArray) -> FloatArray:
    """Columns: ``a``, ``b`` made perpendicular to it, and their cross product."""
    a = _unit(a)
    b = _unit(b - (b @ a) * a)
    return np.stack([a, b, np.cross(a, b)], axis=1)


def _align(rest: FloatArray, rest_bend: FloatArray, to: FloatArray, bend: FloatArray) -> FloatArray:
    """The rotation (3, 3) taking direction ``rest`` to ``to`` and the plane it bends in
    (``rest_bend``) to ``bend``'s."""
    return _frame(to, bend) @ _frame(rest, rest_bend).T


def _least(a: FloatArray, b: FloatArray) -> FloatArray:
    """The least rotation (3, 3) taking direction ``a`` to ``b``."""
    a, b = _unit(a), _unit(b)
    axis = np.cross(a, b)
    s, c = float(np.linalg.norm(axis)), float(a @ b)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        # Opposite: a half turn about any axis across ``a``.
        axis = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        return synth._rot(axis / np.linalg.norm(axis), 180.0)
    return synth._rot(axis / s, math.degrees(math.atan2(s, c)))


def _share(r: FloatArray, n: int) -> FloatArray:
    """The rotation whose ``n``-th power is ``r`` (same axis, ``1/n`` of the angle)."""
    angle = math.acos(max(-1.0, min(1.0, (float(np.trace(r)) - 1) / 2)))
    if angle < 1e-9:
        return np.eye(3)
    axis = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    if np.linalg.norm(axis) < 1e-9:  # a half turn: the axis from r + I
        m = r + np.eye(3)
        axis = m[:, int(np.argmax(np.linalg.norm(m, axis=0)))]
    return synth._rot(axis, math.degrees(angle) / n)


def anny_rotations(p: synth.Pose, rest: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """anny's local bone rotations (3, 3), rest axes, for pose ``p`` (the root left at rest:
    the caller turns the whole body by ``p.orient``).

    ``rest``: unit directions of the rest pose's parts in anny's axes: ``thigh``,
    ``shank``, ``upper_arm``, ``forearm`` for the left side (``_L``) and right (``_R``).
    """
    seg = synth.segments(p, np.eye(3))  # in the pelvis's own frame
    to_anny = ANNY_TO_BODY.T  # body (l, u, f) -> anny
    out: dict[str, FloatArray] = {}
    chest = to_anny @ seg.chest @ ANNY_TO_BODY
    for bone in SPINE:
        out[bone] = _share(chest, len(SPINE))
    # The head nods about the chest's left-right axis (anny's x in the chest's axes).
    out["neck01"] = synth._rot(np.array([1.0, 0.0, 0.0]), p.head_flex)
    front = np.array([0.0, -1.0, 0.0])
    for side, tag in ((0, "L"), (1, "R")):
        thigh = _align(
            rest[f"thigh_{tag}"],
            front,
            to_anny @ seg.thigh[side],
            to_anny @ seg.knee_front[side],
        )
        out[f"upperleg01.{tag}"] = thigh
        out[f"lowerleg01.{tag}"] = _least(rest[f"shank_{tag}"], thigh.T @ to_anny @ seg.shank[side])
        arm_rest, fore_rest = rest[f"upper_arm_{tag}"], rest[f"forearm_{tag}"]
        arm = _align(
            arm_rest,
            fore_rest,  # the rest elbow is bent: its plane is the arm's
            chest.T @ to_anny @ seg.upper_arm[side],
            chest.T @ to_anny @ seg.arm_front[side],
        )
        out[f"upperarm01.{tag}"] = arm
        out[f"lowerarm01.{tag}"] = _least(fore_rest, arm.T @ chest.T @ to_anny @ seg.forearm[side])
    return out


def _tensor(r: FloatArray) -> Any:
    import torch

    m = np.eye(4)
    m[:3, :3] = r
    return torch.tensor(m[None], dtype=torch.float64)


class PosedBodies:
    """anny bodies posed from :class:`synth.Pose` values (needs the bench venv)."""

    def __init__(self) -> None:
        from groundtruth.body import BodyModel

        self.model = BodyModel()
        self._rest: dict[str, dict[str, FloatArray]] = {}

    def rest(self, spec: Any) -> dict[str, FloatArray]:
        """The rest directions :func:`anny_rotations` needs, for one body."""
        if spec.name not in self._rest:
            _, kp = self.model._forward(spec, None)
            i = {name: n for n, name in enumerate(self.model.regressor.labels)}

            def d(a: str, b: str) -> FloatArray:
                return _unit(kp[i[b]] - kp[i[a]])

            out = {}
            for tag, side in (("L", "left"), ("R", "right")):
                out[f"thigh_{tag}"] = d(f"{side}_hip", f"{side}_knee")
                out[f"shank_{tag}"] = d(f"{side}_knee", f"{side}_ankle")
                out[f"upper_arm_{tag}"] = d(f"{side}_shoulder", f"{side}_elbow")
                out[f"forearm_{tag}"] = d(f"{side}_elbow", f"{side}_wrist")
            self._rest[spec.name] = out
        return self._rest[spec.name]

    def pose(self, spec: Any, p: synth.Pose) -> tuple[Any, dict[str, FloatArray]]:
        """The posed body (``groundtruth.body.Posed``, world: z up, floor at 0, mid-hip over
        the origin) and its COCO keypoints by name (world metres)."""
        from groundtruth.body import COCO_TO_LANDMARK, Posed
        from groundtruth.labels import body_labels

        params = {k: _tensor(v) for k, v in anny_rotations(p, self.rest(spec)).items()}
        verts, kp = self.model._forward(spec, params)
        world = p.orient @ ANNY_TO_BODY
        verts, kp = verts @ world.T, kp @ world.T
        names = self.model.regressor.labels
        i = {name: n for n, name in enumerate(names)}
        shift = np.array(
            [
                (kp[i["left_hip"], 0] + kp[i["right_hip"], 0]) / 2,
                (kp[i["left_hip"], 1] + kp[i["right_hip"], 1]) / 2,
                float(verts[:, 2].min()),
            ]
        )
        verts, kp = verts - shift, kp - shift
        keypoints = {
            COCO_TO_LANDMARK[n]: kp[k] for k, n in enumerate(names) if n in COCO_TO_LANDMARK
        }
        palette = np.array([spec.skin, spec.shirt, spec.trousers, spec.hair])
        colors = np.ones((len(verts), 4))
        colors[:, :3] = palette[self.model._region]
        posed = Posed(
            verts,
            self.model.faces,
            colors,
            keypoints,
            body_labels(keypoints, np.array([0, 0, 1.0])),
        )
        return posed, {n: kp[k] for k, n in enumerate(names)}


def camera_for(verts: FloatArray, lying: bool, rng: np.random.Generator) -> tuple[Any, FloatArray]:
    """A random camera (``groundtruth.scene.CameraSpec``) that frames the whole body, and the
    point it looks at (the body's bounding-box centre); elevation and roll drawn as for
    :func:`synth.photograph`."""
    from groundtruth.scene import CameraSpec

    lo, hi = verts.min(axis=0), verts.max(axis=0)
    centre = (lo + hi) / 2
    radius = float(np.linalg.norm(verts - centre, axis=1).max())
    el = min(synth.camera_elevation(rng, lying), 89.0)
    roll = synth.camera_roll(rng, lying, el)
    # Far enough for the bounding sphere to fit the field of view, with some margin.
    dist = radius / math.sin(math.radians(YFOV_DEG / 2)) * rng.uniform(1.0, 1.35)
    cam = CameraSpec(
        "random",
        "",
        float(rng.uniform(-180, 180)),
        float(el),
        float(dist),
        roll_deg=float(roll),
        yfov_deg=YFOV_DEG,
        target_height_m=0.0,
    )
    return cam, centre


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-pose", type=int, default=40, help="pictures of each pose")
    parser.add_argument(
        "--chunk",
        type=int,
        default=8,
        help="pictures of each pose per process (the renderer keeps about 10 MB a picture)",
    )
    parser.add_argument("--first", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--split",
        choices=("train", "validation", "held_out"),
        default="train",
        help="train and validation: the tuning bodies (validation never trained on, where "
        "settings are chosen); held_out: the held-out bodies (benchmark only)",
    )
    parser.add_argument("--poses", default=",".join(synth.POSES), help="comma-separated")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-landmarks", action="store_true", help="render only (to look)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.poses.split(",")) - set(synth.POSES))
    if unknown:
        parser.error(f"unknown poses {', '.join(unknown)}; known: {', '.join(synth.POSES)}")
    if args.first is None:
        # pyrender and anny keep memory from picture to picture (about 10 MB each, 2160
        # pictures would fill a 24 GB machine): each chunk runs in its own process.
        rest = list(argv if argv is not None else sys.argv[1:])
        for first in range(0, args.per_pose, args.chunk):
            cmd = [sys.executable, "-m", "bench.recognition.posed", *rest, "--first", str(first)]
            if subprocess.run(cmd, check=False).returncode:
                return 1
        return 0
    return _render(args)


def _render(args: argparse.Namespace) -> int:
    """Render, read and append pictures ``args.first`` to ``args.first + args.chunk`` of each
    pose; each picture's draws come from its own seed (seed, picture, pose), so chunks
    and reruns give the same pictures."""
    from groundtruth.env import configure

    configure()
    import cv2

    from groundtruth.plan import bodies, rooms, split_of
    from groundtruth.scene import Renderer
    from twistcoach.estimator import make_mediapipe_estimator

    wanted = "held_out" if args.split == "held_out" else "tuning"
    scenes = [(b, r) for b, r in zip(bodies(), rooms(), strict=True) if split_of(b.name) == wanted]
    posed_bodies = PosedBodies()
    renderer = Renderer(SIZE)
    rows: list[dict[str, Any]] = []
    poses = args.poses.split(",")
    start = time.perf_counter()
    missed = 0
    with make_mediapipe_estimator(static_image_mode=True) as est:
        for k in range(args.first, min(args.first + args.chunk, args.per_pose)):
            for name in poses:
                # A pose's seed and scene follow its place in synth.POSES, not in
                # --poses, so rendering some poses alone gives the same pictures as
                # rendering them all; the stride stays the 36 poses of the first renders.
                j = list(synth.POSES).index(name)
                rng = np.random.default_rng([args.seed, k, j])
                spec, room = scenes[(k * SCENE_STRIDE + j) % len(scenes)]
                p = synth.POSES[name](rng)
                posed, _ = posed_bodies.pose(spec, p)
                cam, centre = camera_for(posed.vertices, p.lying, rng)
                rgb = renderer.render(posed, cam, room, target=centre)
                image = f"{args.split}/s{args.seed}/{name}/{k:03d}.jpg"
                path = CACHE / image
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
                if args.no_landmarks:
                    continue
                sk = est.estimate(np.ascontiguousarray(rgb), 0.0)
                if sk is None:
                    missed += 1
                    continue
                rows.append(
                    {
                        "xy": sk.image_xy,
                        "vis": sk.visibility,
                        "label": p.label,
                        "split": args.split,
                        "body": spec.name,
                        "camera": camera_name(cam.azimuth_deg, cam.elevation_deg),
                        "image": image,
                        "pose": name,
                    }
                )
            print(
                f"{(k + 1) * len(poses)} pictures, {missed} without a person in this chunk, "
                f"{time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    if args.no_landmarks or not rows:
        return 0
    new = {
        "xy": np.stack([r["xy"] for r in rows]).astype(np.float32),
        "vis": np.stack([r["vis"] for r in rows]).astype(np.float32),
        "label": np.array([r["label"] for r in rows], dtype=np.int64),
        **{
            key: np.array([r[key] for r in rows])
            for key in ("split", "body", "camera", "image", "pose")
        },
    }
    if args.out.exists():  # append: the other split or seed stays
        old = np.load(args.out, allow_pickle=False)
        done = set(new["image"].tolist())
        keep = np.array([str(i) not in done for i in old["image"]], dtype=bool)
        new = {key: np.concatenate([old[key][keep], value]) for key, value in new.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **new)  # type: ignore[arg-type]
    print(f"{len(rows)} pictures ({missed} without a person) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
