"""Synthetic people lying in a supine twist, and pinhole cameras to photograph them.

The body here is built independently of :class:`twistcoach.kinematics.BodyModel` (other
proportions; the feet stay on the floor while the knees drop, as in a real twist), so
tests that measure it check the method, not a copy of itself. Labels always come from
:func:`twistcoach.kinematics.body_angles_3d` on the 3D points.

World frame: metres, floor z = 0, +z up, +y towards the head, +x the person's left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from twistcoach.kinematics import BodyAngles, body_angles_3d, look_at
from twistcoach.landmarks import NUM_LANDMARKS, Landmark, Skeleton

FloatArray = NDArray[np.float64]
L = Landmark
UP = np.array([0.0, 0.0, 1.0])

#: How far MediaPipe's mid-hip landmark sits above the hip joints per unit of
#: ``1 - cos(knee drop)``, metres: measured on the rendered ground truth from the
#: recommended place (bench/groundtruth/README.md; 7.1 cm, 4.4-9.9 by body). Its knees
#: stay on the knees.
MEDIAPIPE_HIP_RISE_M = 0.071


def supine_twist_3d(
    knee_drop_deg: float = 0.0,
    pelvis_roll_deg: float = 0.0,
    shoulder_roll_deg: float = 0.0,
    *,
    thigh_elevation_deg: float = 55.0,
    stature_scale: float = 1.0,
    knee_gap: float = 0.10,
) -> FloatArray:
    """All 33 landmarks of a person lying on the back, knees bent and dropped.

    Parameters
    ----------
    knee_drop_deg
        Rotation of the thighs about the long axis, degrees, positive to the right.
    pelvis_roll_deg, shoulder_roll_deg
        Degrees, positive when the left side rises.
    thigh_elevation_deg
        Thigh angle above the floor at zero drop.
    stature_scale
        Multiplier of every length (about 1.75 m tall at 1).
    knee_gap
        Distance between the knees, metres.

    Returns
    -------
    ndarray
        Shape (33, 3), metres in the world frame.
    """
    s = stature_scale
    th, rh, sg = (math.radians(v) for v in (knee_drop_deg, pelvis_roll_deg, shoulder_roll_deg))
    el = math.radians(thigh_elevation_deg)
    p = np.zeros((NUM_LANDMARKS, 3))
    mid_hip = np.array([0.0, 0.0, 0.11 * s])
    hw, sw, torso, thigh, shank = 0.19 * s, 0.36 * s, 0.53 * s, 0.46 * s, 0.44 * s
    lateral_hip = np.array([math.cos(rh), 0.0, math.sin(rh)])
    p[L.LEFT_HIP] = mid_hip + hw / 2 * lateral_hip
    p[L.RIGHT_HIP] = mid_hip - hw / 2 * lateral_hip
    mid_sh = np.array([0.0, torso, 0.07 * s])
    lateral_sh = np.array([math.cos(sg), 0.0, math.sin(sg)])
    p[L.LEFT_SHOULDER] = mid_sh + sw / 2 * lateral_sh
    p[L.RIGHT_SHOULDER] = mid_sh - sw / 2 * lateral_sh
    thigh_dir = np.array([-math.sin(th) * math.sin(el), -math.cos(el), math.cos(th) * math.sin(el)])
    mid_knee = mid_hip + thigh * thigh_dir
    lateral_knee = np.array([math.cos(th), 0.0, math.sin(th)])
    p[L.LEFT_KNEE] = mid_knee + knee_gap / 2 * lateral_knee
    p[L.RIGHT_KNEE] = mid_knee - knee_gap / 2 * lateral_knee
    # The feet stay on the floor: each ankle 7 cm up, a shank's length from its knee,
    # sliding a little towards the drop side.
    for knee, ankle, heel, toe in (
        (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    ):
        dz = 0.07 * s - p[knee][2]
        dh = math.sqrt(max(shank**2 - dz**2, 1e-6))
        ang = -0.35 * th
        p[ankle] = p[knee] + np.array([dh * math.sin(ang), -dh * math.cos(ang), dz])
        p[heel] = p[ankle] + np.array([0.0, 0.02, -0.05]) * s
        p[toe] = p[ankle] + np.array([0.0, -0.17, -0.05]) * s
    # Arms out in a T on the floor, following the shoulders.
    for sign, shoulder, elbow, wrist, pinky, index, thumb in (
        (
            1.0,
            L.LEFT_SHOULDER,
            L.LEFT_ELBOW,
            L.LEFT_WRIST,
            L.LEFT_PINKY,
            L.LEFT_INDEX,
            L.LEFT_THUMB,
        ),
        (
            -1.0,
            L.RIGHT_SHOULDER,
            L.RIGHT_ELBOW,
            L.RIGHT_WRIST,
            L.RIGHT_PINKY,
            L.RIGHT_INDEX,
            L.RIGHT_THUMB,
        ),
    ):
        p[elbow] = p[shoulder] + np.array([sign * 0.28 * s, 0.0, 0.0])
        p[elbow][2] = 0.05 * s
        p[wrist] = p[elbow] + np.array([sign * 0.25 * s, 0.0, 0.0])
        p[pinky] = p[wrist] + np.array([sign * 0.08 * s, -0.02, 0.0])
        p[index] = p[wrist] + np.array([sign * 0.09 * s, 0.01, 0.0])
        p[thumb] = p[wrist] + np.array([sign * 0.05 * s, 0.04, 0.0])
    head = np.array([0.0, torso + 0.22 * s, 0.10 * s])
    p[L.NOSE] = head + np.array([0.0, 0.0, 0.11]) * s
    for sign, inner, eye, outer, ear, mouth in (
        (1.0, L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER, L.LEFT_EAR, L.MOUTH_LEFT),
        (-1.0, L.RIGHT_EYE_INNER, L.RIGHT_EYE, L.RIGHT_EYE_OUTER, L.RIGHT_EAR, L.MOUTH_RIGHT),
    ):
        p[inner] = head + np.array([sign * 0.015, 0.03, 0.09]) * s
        p[eye] = head + np.array([sign * 0.03, 0.03, 0.09]) * s
        p[outer] = head + np.array([sign * 0.045, 0.03, 0.085]) * s
        p[ear] = head + np.array([sign * 0.075, 0.0, 0.02]) * s
        p[mouth] = head + np.array([sign * 0.025, -0.04, 0.09]) * s
    return p


def labels(points: FloatArray) -> BodyAngles:
    """The ground-truth angles of 3D points, by the app's own definitions."""
    return body_angles_3d({lm: points[lm] for lm in Landmark}, UP)


@dataclass(frozen=True)
class PinholeCamera:
    """A camera placed around the body (azimuth 0 = feet end, 90 = person's left side)."""

    azimuth_deg: float
    elevation_deg: float
    distance_m: float = 2.6
    image_size: tuple[int, int] = (1280, 720)
    focal_scale: float = 1.0
    target: tuple[float, float, float] = (0.0, 0.15, 0.15)

    @property
    def focal_px(self) -> float:
        return self.focal_scale * max(self.image_size)

    @property
    def centre(self) -> FloatArray:
        e, a = math.radians(self.elevation_deg), math.radians(self.azimuth_deg)
        direction = np.array([math.cos(e) * math.sin(a), -math.cos(e) * math.cos(a), math.sin(e)])
        return np.asarray(np.array(self.target) + self.distance_m * direction)

    def project(self, points: FloatArray) -> FloatArray:
        """Pixels (N, 2) of world points (N, 3)."""
        rot = look_at(self.centre, np.array(self.target))
        cam = (points - self.centre) @ rot.T
        principal = np.array(self.image_size, dtype=np.float64) / 2
        return np.asarray(self.focal_px * cam[:, :2] / cam[:, 2:3] + principal)


VIEWS: dict[str, PinholeCamera] = {
    "diagonal_right": PinholeCamera(-40.0, 45.0),
    "diagonal_left": PinholeCamera(40.0, 45.0),
    "diagonal_wide": PinholeCamera(60.0, 40.0),
    "top_down": PinholeCamera(0.0, 89.0, distance_m=2.4),
    "head_end": PinholeCamera(180.0, 40.0),
    "feet_end_raised": PinholeCamera(0.0, 45.0),
    "side": PinholeCamera(90.0, 2.0),
}


def photograph(
    points: FloatArray,
    camera: PinholeCamera,
    *,
    timestamp_s: float = 0.0,
    noise_px: float = 0.0,
    dropped: tuple[Landmark, ...] = (),
    seed: int = 0,
    hip_rise_m: float = MEDIAPIPE_HIP_RISE_M,
) -> Skeleton:
    """The skeleton MediaPipe would report for this camera, without (or with) noise.

    Parameters
    ----------
    hip_rise_m
        The hip landmarks ride this far above the hip joints per unit of
        ``1 - cos(knee drop)``, as MediaPipe's do on a rolled pelvis; 0 puts them on the
        joints.
    noise_px
        Standard deviation of Gaussian pixel noise added to every landmark.
    dropped
        Landmarks reported with visibility 0.1 (and shifted 30 px, as a bad guess).
    """
    seen = np.array(points, dtype=np.float64)
    rise = hip_rise_m * (1.0 - math.cos(math.radians(labels(points).knee_drop_deg)))
    seen[[L.LEFT_HIP, L.RIGHT_HIP], 2] += rise
    xy = camera.project(seen)
    rng = np.random.default_rng(seed)
    if noise_px:
        xy = xy + rng.normal(0.0, noise_px, xy.shape)
    vis = np.full(NUM_LANDMARKS, 0.95)
    for lm in dropped:
        vis[lm] = 0.1
        xy[lm] += 30.0
    return Skeleton(
        timestamp_s,
        xy,
        np.zeros(NUM_LANDMARKS),
        np.zeros((NUM_LANDMARKS, 3)),
        vis,
        camera.image_size,
    )
