"""Bodies lying in a supine twist, posed with anny (torch), with their 3D keypoints.

World frame (metres): z up (floor normal), y along the person's long axis towards the
head, x towards the person's left. The floor is the plane z = 0.

The twist: hips flexed about 45 degrees and knees bent so the feet stand flat, feet and
knees together; pelvis and legs then rotate about the long axis by ``theta`` while the
spine unwinds it (spread over its five bones), so the shoulders stay flat. A fault
"lifting shoulder" unwinds less, leaving a shoulder roll.

Import only after :func:`groundtruth.env.configure` (caches, OSMesa).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from groundtruth.labels import COCO_TO_LANDMARK, Labels, body_labels
from twistcoach.landmarks import Landmark

FloatArray = NDArray[np.float64]

#: anny's rest frame -> world: anny x (person's left) -> x, anny -y (face) -> z (up),
#: anny z (head) -> y. Columns are the images of anny's axes.
LAY = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")


@dataclass(frozen=True)
class BodySpec:
    """One person: anny phenotype (0-1 scales, see GROUNDTRUTH.md) and colours.

    ``age`` 0.5 is about 13 years; adults are about 0.77 (25 years) to 0.87 (75 years)
    (GROUNDTRUTH.md), 0.88 about 80. anny's ``height`` is not comparable across genders (a
    woman at 0.5 stands about 1.89 m), so the body is given its stature in metres and
    :class:`BodyModel` finds the ``height`` value that gives it. Colours are RGB in [0, 1].
    """

    name: str
    gender: float  # 0 = woman, 1 = man
    age: float
    weight: float
    muscle: float
    stature_m: float
    skin: tuple[float, float, float]
    shirt: tuple[float, float, float]
    trousers: tuple[float, float, float]
    hair: tuple[float, float, float]
    #: anny's ``proportions`` (0-1; 0.5 its average build): limb and trunk proportions.
    proportions: float = 0.5

    def phenotype(self, height: float) -> dict[str, float]:
        """anny's phenotype keyword arguments, with anny's 0-1 ``height`` value."""
        return {
            "gender": self.gender,
            "age": self.age,
            "weight": self.weight,
            "muscle": self.muscle,
            "height": height,
            "proportions": self.proportions,
        }


@dataclass(frozen=True)
class PoseSpec:
    """A supine-twist pose.

    Attributes
    ----------
    theta_deg
        Commanded rotation of pelvis and legs about the long axis, degrees; positive drops
        the knees to the person's right. Labels differ from it by a few degrees.
    shoulder_follow
        Fraction of ``theta`` the spine does NOT unwind (0 = shoulders flat; 0.25 = a
        lifting shoulder).
    hip_flex_deg
        Hip flexion at theta = 0 (knees-up angle of the thighs from the floor).
    """

    theta_deg: float
    shoulder_follow: float = 0.0
    hip_flex_deg: float = 45.0


@dataclass(frozen=True)
class Posed:
    """A posed body in the world frame.

    Attributes
    ----------
    vertices
        Shape (V, 3), metres.
    faces
        Shape (F, 3) vertex indices.
    colors
        Shape (V, 4), RGBA in [0, 1].
    keypoints
        3D keypoints by landmark, each shape (3,), metres.
    labels
        The true angles from ``keypoints`` with the app's definitions.
    """

    vertices: FloatArray
    faces: NDArray[np.int64]
    colors: FloatArray
    keypoints: dict[Landmark, FloatArray]
    labels: Labels


def _rot(axis: tuple[float, float, float], deg: float) -> Any:
    """A (1, 4, 4) homogeneous rotation about an anny-frame axis, as a torch tensor."""
    import torch

    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a)
    t = math.radians(deg)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    r = np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * (k @ k)
    m = np.eye(4)
    m[:3, :3] = r
    return torch.tensor(m[None], dtype=torch.float64)


class BodyModel:
    """anny's full-body model with a COCO keypoint regressor (built once, about 2-50 s)."""

    def __init__(self) -> None:
        import anny
        import torch

        torch.set_num_threads(1)
        self._torch = torch
        self.model = anny.Anny()
        self.regressor = anny.KeypointsRegressor.coco(self.model)
        self._floors: dict[tuple[BodySpec, float], float] = {}
        self._lift: dict[tuple[BodySpec, float], float] = {}
        self._heights: dict[BodySpec, float] = {}
        self.faces = np.asarray(self.model.get_triangular_faces().cpu().numpy(), dtype=np.int64)

    @cached_property
    def _region(self) -> NDArray[np.int64]:
        """Per vertex: 0 skin, 1 shirt, 2 trousers, 3 hair (from the dominant bone)."""
        weights = self.model.vertex_bone_weights.cpu().numpy()
        indices = self.model.vertex_bone_indices.cpu().numpy()
        dominant = indices[np.arange(len(indices)), np.argmax(weights, axis=1)]
        labels = self.model.bone_labels
        region = np.zeros(len(dominant), dtype=np.int64)
        for i, bone in enumerate(dominant):
            name = labels[int(bone)]
            if name.startswith(("spine", "clavicle", "shoulder01", "upperarm01")):
                region[i] = 1
            elif name.startswith(("root", "pelvis", "upperleg", "lowerleg01")):
                region[i] = 2
        rest = self.model.template_vertices.cpu().numpy()
        head_top = rest[:, 2] > rest[:, 2].max() - 0.09
        back_of_head = (rest[:, 2] > rest[:, 2].max() - 0.2) & (rest[:, 1] > 0.02)
        region[(head_top | back_of_head) & (region == 0)] = 3
        return region

    def _stature(self, spec: BodySpec, height: float) -> float:
        """Standing height (metres, soles to crown) of the rest pose at anny ``height``."""
        torch = self._torch
        with torch.no_grad():
            out = self.model(pose_parameters=None, phenotype_kwargs=spec.phenotype(height))
            z = out["vertices"][0, :, 2].cpu().numpy()
        return float(z.max() - z.min())

    def height_param(self, spec: BodySpec) -> float:
        """anny's ``height`` (0-1) giving ``spec.stature_m``, by bisection (to 1 mm)."""
        if spec not in self._heights:
            lo, hi = 0.0, 1.0
            for _ in range(30):
                mid = (lo + hi) / 2
                if self._stature(spec, mid) < spec.stature_m:
                    lo = mid
                else:
                    hi = mid
                if hi - lo < 1e-4:
                    break
            self._heights[spec] = (lo + hi) / 2
        return self._heights[spec]

    def _forward(
        self, spec: BodySpec, pose: dict[str, Any] | None
    ) -> tuple[FloatArray, FloatArray]:
        torch = self._torch
        with torch.no_grad():
            out = self.model(
                pose_parameters=pose, phenotype_kwargs=spec.phenotype(self.height_param(spec))
            )
            kp = self.regressor(out)[0].cpu().numpy()
            verts = out["vertices"][0].cpu().numpy()
        return np.asarray(verts, dtype=np.float64), np.asarray(kp, dtype=np.float64)

    @staticmethod
    def _knee_flexion(
        kp: FloatArray, labels: list[str], hip_flex_deg: float, lift: float = 0.0
    ) -> float:
        """Knee flexion (degrees) that puts the ankle at its standing height above the floor.

        From the rest keypoints: the hip rests ``hh`` above the floor (the back's plane),
        the thigh rises at ``hip_flex`` and the shank must come down to ankle height.
        """
        i = {name: n for n, name in enumerate(labels)}
        hip, knee, ankle = kp[i["left_hip"]], kp[i["left_knee"]], kp[i["left_ankle"]]
        thigh = float(np.linalg.norm(knee - hip))
        shank = float(np.linalg.norm(ankle - knee))
        hh = 0.10  # hip joint centre above the floor when lying, metres
        ha = 0.075 + lift  # ankle centre above the sole, metres
        alpha = math.radians(hip_flex_deg)
        s = (ha - hh - thigh * math.sin(alpha)) / shank
        return math.degrees(alpha - math.asin(max(-1.0, min(1.0, s))))

    def pose(self, spec: BodySpec, pose: PoseSpec) -> Posed:
        """Pose one body; everything is deterministic.

        The floor is set once per body from the flat pose (theta = 0): the lowest point of
        the trunk rests on it, so the twisted pelvis rolls against the same floor.
        """
        key = (spec, pose.hip_flex_deg)
        if key not in self._floors:
            flat = self._pose_raw(spec, PoseSpec(0.0, 0.0, pose.hip_flex_deg))
            verts, keypoints = flat
            mid_sh = (keypoints[Landmark.LEFT_SHOULDER] + keypoints[Landmark.RIGHT_SHOULDER]) / 2
            mid_hip = (keypoints[Landmark.LEFT_HIP] + keypoints[Landmark.RIGHT_HIP]) / 2
            trunk = (verts[:, 1] > mid_hip[1] - 0.12) & (verts[:, 1] < mid_sh[1])
            trunk &= np.abs(verts[:, 0] - mid_hip[0]) < 0.25
            floor = float(verts[trunk, 2].min())
            # Feet flat on the floor, not sunk into it: raise the ankle by the soles' depth
            # below the floor (one correction step is within a few millimetres).
            feet = verts[:, 1] < (keypoints[Landmark.LEFT_KNEE][1] - 0.1)
            sink = max(0.0, floor - float(verts[feet, 2].min()))
            self._lift[key] = sink
            verts, _ = self._pose_raw(spec, PoseSpec(0.0, 0.0, pose.hip_flex_deg))
            self._floors[key] = float(verts[trunk, 2].min())
        floor = self._floors[key]
        verts, keypoints = self._pose_raw(spec, pose)
        verts[:, 2] -= floor
        keypoints = {k: v - np.array([0.0, 0.0, floor]) for k, v in keypoints.items()}
        region = self._region
        palette = np.array([spec.skin, spec.shirt, spec.trousers, spec.hair])
        colors = np.ones((len(verts), 4))
        colors[:, :3] = palette[region]
        return Posed(
            verts,
            self.faces,
            colors,
            keypoints,
            body_labels(keypoints, np.array([0.0, 0.0, 1.0])),
        )

    def _pose_raw(
        self, spec: BodySpec, pose: PoseSpec
    ) -> tuple[FloatArray, dict[Landmark, FloatArray]]:
        """Vertices (V, 3) and keypoints in the world frame, before the floor is set."""
        _, rest_kp = self._forward(spec, None)
        labels = self.regressor.labels
        alpha = pose.hip_flex_deg
        kappa = self._knee_flexion(
            rest_kp, labels, alpha, self._lift.get((spec, pose.hip_flex_deg), 0.0)
        )
        foot = 90.0 + alpha - kappa
        theta = pose.theta_deg
        unwind = theta * (1.0 - pose.shoulder_follow) / len(SPINE)
        params: dict[str, Any] = {
            # Negative about anny's z turns the front (-y) towards -x: the person's right.
            "root": _rot((0, 0, 1), -theta),
            # Adducted from anny's rest stance so that knees and feet come together.
            "upperleg01.L": _rot((1, 0, 0), -alpha) @ _rot((0, 1, 0), 8.0),
            "upperleg01.R": _rot((1, 0, 0), -alpha) @ _rot((0, 1, 0), -8.0),
            "lowerleg01.L": _rot((1, 0, 0), kappa),
            "lowerleg01.R": _rot((1, 0, 0), kappa),
            "foot.L": _rot((1, 0, 0), foot),
            "foot.R": _rot((1, 0, 0), foot),
            # Arms out on the floor, palms up, elbows soft.
            # (searched so that elbows and wrists rest 2-3 cm lower than the shoulders).
            "upperarm01.L": _rot((0, 1, 0), -25.0) @ _rot((1, 0, 0), 10.0),
            "upperarm01.R": _rot((0, 1, 0), 25.0) @ _rot((1, 0, 0), 10.0),
            "lowerarm01.L": _rot((1, 0, 0), 30.0) @ _rot((0, 1, 0), 30.0),
            "lowerarm01.R": _rot((1, 0, 0), 30.0) @ _rot((0, 1, 0), -30.0),
        }
        for bone in SPINE:
            params[bone] = _rot((0, 0, 1), unwind)
        verts, kp = self._forward(spec, params)
        verts = verts @ LAY.T
        kp = kp @ LAY.T
        keypoints = {
            COCO_TO_LANDMARK[name]: kp[n]
            for n, name in enumerate(labels)
            if name in COCO_TO_LANDMARK
        }
        return verts, keypoints
