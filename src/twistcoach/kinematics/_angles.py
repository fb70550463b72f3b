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
from collections.abc import Mapping, Sequence
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


Vec = tuple[float, float, float]


def _vec(point: FloatArray | Sequence[float]) -> Vec:
    """A 3-vector (array, list or tuple) as plain floats."""
    values: Sequence[float] = point.reshape(3).tolist() if isinstance(point, np.ndarray) else point
    x, y, z = values
    return float(x), float(y), float(z)


def _unit(vector: FloatArray, what: str) -> FloatArray:
    return np.array(_unit_vec(_vec(vector), what))


def _sub(u: Vec, v: Vec) -> Vec:
    return u[0] - v[0], u[1] - v[1], u[2] - v[2]


def _mid(u: Vec, v: Vec) -> Vec:
    return (u[0] + v[0]) / 2, (u[1] + v[1]) / 2, (u[2] + v[2]) / 2


def _dot(u: Vec, v: Vec) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _cross(u: Vec, v: Vec) -> Vec:
    # Plain floats: numpy costs a microsecond or more an operation on 3-vectors (np.cross
    # about 20), and the measurement runs this on every frame.
    return u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]


def _unit_vec(u: Vec, what: str) -> Vec:
    norm = math.sqrt(_dot(u, u))
    if norm < 1e-9:
        raise ValueError(f"{what} has zero length")
    return u[0] / norm, u[1] / norm, u[2] / norm


def _angle_between(u: Vec, v: Vec) -> float:
    nu, nv = math.sqrt(_dot(u, u)), math.sqrt(_dot(v, v))
    if nu < 1e-12 or nv < 1e-12:
        return 0.0
    cos = min(max(_dot(u, v) / (nu * nv), -1.0), 1.0)
    return math.degrees(math.acos(cos))


def _frame(long_axis: Vec, up: Vec) -> tuple[Vec, Vec]:
    a = _unit_vec(long_axis, "the long axis")
    u = _unit_vec(up, "up")
    right = _unit_vec(_cross(u, a), "up x long axis (the long axis is vertical)")
    return right, _cross(a, right)


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
    right, up_t = _frame(_vec(long_axis), _vec(up))
    return np.array(right), np.array(up_t)


def body_angles_3d(
    points: Mapping[Landmark, FloatArray | Sequence[float]], up: FloatArray | Sequence[float]
) -> BodyAngles:
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

    def p(landmark: Landmark) -> Vec:
        try:
            return _vec(points[landmark])
        except KeyError:
            raise ValueError(f"body_angles_3d needs the landmark {landmark.name}") from None

    lh, rh = p(Landmark.LEFT_HIP), p(Landmark.RIGHT_HIP)
    ls, rs = p(Landmark.LEFT_SHOULDER), p(Landmark.RIGHT_SHOULDER)
    lk, rk = p(Landmark.LEFT_KNEE), p(Landmark.RIGHT_KNEE)
    la, ra = p(Landmark.LEFT_ANKLE), p(Landmark.RIGHT_ANKLE)
    mid_hip = _mid(lh, rh)
    right, up_t = _frame(_sub(_mid(ls, rs), mid_hip), _vec(up))
    left = (-right[0], -right[1], -right[2])

    def roll(left_point: Vec, right_point: Vec) -> float:
        h = _sub(left_point, right_point)
        return math.degrees(math.atan2(_dot(h, up_t), _dot(h, left)))

    knee = _sub(_mid(lk, rk), mid_hip)
    pelvis = roll(lh, rh)
    shoulders = roll(ls, rs)
    flexion = (
        _angle_between(_sub(lk, lh), _sub(la, lk)) + _angle_between(_sub(rk, rh), _sub(ra, rk))
    ) / 2
    return BodyAngles(
        knee_drop_deg=math.degrees(math.atan2(_dot(knee, right), _dot(knee, up_t))),
        pelvis_roll_deg=pelvis,
        shoulder_roll_deg=shoulders,
        twist_deg=pelvis - shoulders,
        knee_flexion_deg=flexion,
    )
