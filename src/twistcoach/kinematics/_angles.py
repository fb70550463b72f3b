"""The twist's angles defined on true 3D keypoints (the definitions everything is held to).

:func:`body_angles_3d` turns hips, shoulders, knees and ankles in metres into the knee drop,
pelvis and shoulder rolls, twist and knee flexion, in the body frame of
:func:`body_frame`; the conventions are in :mod:`twistcoach.kinematics`. The ground-truth
labels of the rendered bodies (``bench/groundtruth``) and the measurement's own fitted
body both go through it, so labels and readings mean the same thing.

Pure core: standard library and numpy only; no clocks, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from twistcoach.landmarks import Landmark

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BodyAngles:
    """The twist's angles from true 3D keypoints (all degrees, conventions in module docs).

    Attributes
    ----------
    knee_drop_deg
        Signed, positive towards the person's right.
    pelvis_roll_deg, shoulder_roll_deg
        Signed, positive when the left side rises.
    twist_deg
        ``pelvis_roll_deg - shoulder_roll_deg``.
    knee_flexion_deg
        Mean over both legs of the angle between thigh and shank (0 = straight).
    """

    knee_drop_deg: float
    pelvis_roll_deg: float
    shoulder_roll_deg: float
    twist_deg: float
    knee_flexion_deg: float


def _unit(vector: FloatArray, what: str) -> FloatArray:
    x, y, z = (float(c) for c in vector)
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-9:
        raise ValueError(f"{what} has zero length")
    return np.array([x / norm, y / norm, z / norm])


def _cross(u: FloatArray, v: FloatArray) -> FloatArray:
    # np.cross costs ~20 microseconds of overhead for two 3-vectors; this is per frame.
    return np.array(
        [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
    )


def _angle_between(u: FloatArray, v: FloatArray) -> float:
    nu, nv = math.sqrt(float(u @ u)), math.sqrt(float(v @ v))
    if nu < 1e-12 or nv < 1e-12:
        return 0.0
    cos = min(max(float(u @ v) / (nu * nv), -1.0), 1.0)
    return math.degrees(math.acos(cos))


def body_frame(long_axis: FloatArray, up: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The transverse plane's axes.

    Parameters
    ----------
    long_axis
        Shape (3,), mid-hip -> mid-shoulder (any length).
    up
        Shape (3,), the floor normal (any length).

    Returns
    -------
    right, up_t
        Unit vectors, shape (3,): the person's right and the in-plane "up", both
        perpendicular to the long axis.
    """
    a = _unit(np.asarray(long_axis, dtype=np.float64), "the long axis")
    u = _unit(np.asarray(up, dtype=np.float64), "up")
    right = _unit(_cross(u, a), "up x long axis (the long axis is vertical)")
    return right, _cross(a, right)


def body_angles_3d(points: Mapping[Landmark, FloatArray], up: FloatArray) -> BodyAngles:
    """THE definitions of the twist's angles, from true 3D keypoints.

    Used for ground-truth labels and by the tests, so labels and measurements mean the
    same thing.

    Parameters
    ----------
    points
        3D positions (shape (3,), any consistent unit) of at least the hips, shoulders,
        knees and ankles, keyed by :class:`Landmark` (the person's own left and right).
    up
        Shape (3,), the floor normal pointing away from the floor.

    Returns
    -------
    BodyAngles
        Degrees; see the module docs for signs.

    Examples
    --------
    Hips at the origin, shoulders along +y, up +z: the person's right is -x, so knees
    at ``[-1, 0, 1]`` make 45 degrees towards the right.
    """

    def p(landmark: Landmark) -> FloatArray:
        try:
            return np.asarray(points[landmark], dtype=np.float64)
        except KeyError:
            raise ValueError(f"body_angles_3d needs the landmark {landmark.name}") from None

    mid_hip = (p(Landmark.LEFT_HIP) + p(Landmark.RIGHT_HIP)) / 2
    mid_shoulder = (p(Landmark.LEFT_SHOULDER) + p(Landmark.RIGHT_SHOULDER)) / 2
    mid_knee = (p(Landmark.LEFT_KNEE) + p(Landmark.RIGHT_KNEE)) / 2
    right, up_t = body_frame(mid_shoulder - mid_hip, np.asarray(up, dtype=np.float64))

    def drop(v: FloatArray) -> float:
        return math.degrees(math.atan2(float(v @ right), float(v @ up_t)))

    def roll(left: FloatArray, right_point: FloatArray) -> float:
        h = left - right_point
        return math.degrees(math.atan2(float(h @ up_t), float(h @ -right)))

    pelvis = roll(p(Landmark.LEFT_HIP), p(Landmark.RIGHT_HIP))
    shoulders = roll(p(Landmark.LEFT_SHOULDER), p(Landmark.RIGHT_SHOULDER))
    flexion = [
        _angle_between(p(knee) - p(hip), p(ankle) - p(knee))
        for hip, knee, ankle in (
            (Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
            (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
        )
    ]
    return BodyAngles(
        knee_drop_deg=drop(mid_knee - mid_hip),
        pelvis_roll_deg=pelvis,
        shoulder_roll_deg=shoulders,
        twist_deg=pelvis - shoulders,
        knee_flexion_deg=float(np.mean(flexion)),
    )
