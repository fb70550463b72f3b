"""Labels of a rendered body, from its 3D keypoints, with the app's own definitions.

Labels and measurements must mean the same thing, so the labels come from
``twistcoach.kinematics.body_angles_3d`` (DESIGN.md, "The twist, measured") whenever it
exists. Until it lands, :func:`_body_angles_fallback` implements the same definitions; it
is the only place that does, and it is swapped out automatically.

Conventions (world frame of the generator): metres, z = up (the floor normal), y = the
person's long axis towards the head, x = the person's left when lying flat.
Knee drop, pelvis roll and shoulder roll are signed positive towards the person's right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twistcoach.landmarks import Landmark

FloatArray = NDArray[np.float64]

#: anny's COCO keypoint names -> BlazePose landmarks (both name the person's own sides).
COCO_TO_LANDMARK: dict[str, Landmark] = {
    "nose": Landmark.NOSE,
    "left_eye": Landmark.LEFT_EYE,
    "right_eye": Landmark.RIGHT_EYE,
    "left_ear": Landmark.LEFT_EAR,
    "right_ear": Landmark.RIGHT_EAR,
    "left_shoulder": Landmark.LEFT_SHOULDER,
    "right_shoulder": Landmark.RIGHT_SHOULDER,
    "left_elbow": Landmark.LEFT_ELBOW,
    "right_elbow": Landmark.RIGHT_ELBOW,
    "left_wrist": Landmark.LEFT_WRIST,
    "right_wrist": Landmark.RIGHT_WRIST,
    "left_hip": Landmark.LEFT_HIP,
    "right_hip": Landmark.RIGHT_HIP,
    "left_knee": Landmark.LEFT_KNEE,
    "right_knee": Landmark.RIGHT_KNEE,
    "left_ankle": Landmark.LEFT_ANKLE,
    "right_ankle": Landmark.RIGHT_ANKLE,
    "left_big_toe": Landmark.LEFT_FOOT_INDEX,
    "right_big_toe": Landmark.RIGHT_FOOT_INDEX,
    "left_heel": Landmark.LEFT_HEEL,
    "right_heel": Landmark.RIGHT_HEEL,
}

#: Within this many degrees of zero the knees count as centred (no side).
CENTRE_DEG = 5.0


@dataclass(frozen=True)
class Labels:
    """True angles of one body at one instant (degrees; signs as in the module docs)."""

    knee_drop_deg: float
    pelvis_roll_deg: float
    shoulder_roll_deg: float
    twist_deg: float
    knee_flexion_deg: float

    @property
    def side(self) -> str:
        """``right``, ``left`` or ``centre`` (within :data:`CENTRE_DEG` of zero)."""
        if abs(self.knee_drop_deg) < CENTRE_DEG:
            return "centre"
        return "right" if self.knee_drop_deg > 0 else "left"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, angles rounded to 0.01 degree."""
        return {
            "knee_drop_deg": round(self.knee_drop_deg, 2),
            "pelvis_roll_deg": round(self.pelvis_roll_deg, 2),
            "shoulder_roll_deg": round(self.shoulder_roll_deg, 2),
            "twist_deg": round(self.twist_deg, 2),
            "knee_flexion_deg": round(self.knee_flexion_deg, 2),
            "side": self.side,
        }


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def _signed_angle_in_plane(
    v: FloatArray, zero: FloatArray, positive: FloatArray, normal: FloatArray
) -> float:
    """Angle (degrees) of ``v`` projected on the plane normal to ``normal``.

    Measured from ``zero`` towards ``positive`` (both unit vectors in that plane).
    """
    p = v - np.dot(v, normal) * normal
    return float(np.degrees(np.arctan2(np.dot(p, positive), np.dot(p, zero))))


def _body_angles_fallback(points: Mapping[Landmark, FloatArray], up: FloatArray) -> Labels:
    """DESIGN.md's definitions, used only until ``twistcoach.kinematics`` provides them.

    Parameters
    ----------
    points
        3D positions (metres, shape (3,)) of at least shoulders, hips, knees and ankles.
    up
        Shape (3,), the floor normal.
    """
    p = {k: np.asarray(v, dtype=np.float64) for k, v in points.items()}
    mid_hip = (p[Landmark.LEFT_HIP] + p[Landmark.RIGHT_HIP]) / 2
    mid_sh = (p[Landmark.LEFT_SHOULDER] + p[Landmark.RIGHT_SHOULDER]) / 2
    mid_knee = (p[Landmark.LEFT_KNEE] + p[Landmark.RIGHT_KNEE]) / 2
    axis = _unit(mid_sh - mid_hip)
    up_t = _unit(up - np.dot(up, axis) * axis)  # "up" within the transverse plane
    right = _unit(np.cross(up_t, axis))  # the person's right, lying flat
    knee_drop = _signed_angle_in_plane(mid_knee - mid_hip, up_t, right, axis)
    # A flat hip line points from the right hip to the left hip, i.e. along -right;
    # the left hip rising (rolling towards the right) makes the angle positive.
    pelvis = _signed_angle_in_plane(
        p[Landmark.LEFT_HIP] - p[Landmark.RIGHT_HIP], -right, up_t, axis
    )
    shoulder = _signed_angle_in_plane(
        p[Landmark.LEFT_SHOULDER] - p[Landmark.RIGHT_SHOULDER], -right, up_t, axis
    )
    flex = []
    for hip, knee, ankle in (
        (Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
        (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    ):
        thigh = _unit(p[knee] - p[hip])
        shank = _unit(p[ankle] - p[knee])
        flex.append(float(np.degrees(np.arccos(np.clip(np.dot(thigh, shank), -1.0, 1.0)))))
    return Labels(knee_drop, pelvis, shoulder, pelvis - shoulder, float(np.mean(flex)))


def body_labels(points: Mapping[Landmark, FloatArray], up: FloatArray) -> Labels:
    """The labels of one posed body: the app's ``body_angles_3d`` when it exists.

    Parameters
    ----------
    points
        3D keypoints (metres), at least shoulders, hips, knees and ankles.
    up
        Shape (3,), the floor normal (need not be unit length).
    """
    up = _unit(np.asarray(up, dtype=np.float64))
    try:
        from twistcoach.kinematics import body_angles_3d
    except ImportError:
        return _body_angles_fallback(points, up)
    angles = body_angles_3d(points, up)
    return Labels(
        float(angles.knee_drop_deg),
        float(angles.pelvis_roll_deg),
        float(angles.shoulder_roll_deg),
        float(angles.twist_deg),
        float(angles.knee_flexion_deg),
    )


def label_source() -> str:
    """Which implementation produced the labels (recorded in every labels file)."""
    try:
        from twistcoach.kinematics import body_angles_3d  # noqa: F401
    except ImportError:
        return "bench.groundtruth.labels fallback (DESIGN.md definitions)"
    return "twistcoach.kinematics.body_angles_3d"


def trunk_labels(
    points: Mapping[Landmark, FloatArray], up: FloatArray, forward: FloatArray | None = None
) -> dict[str, float | None]:
    """True trunk rotation, side bend and pelvis turn of a seated or standing body (degrees).

    The app's own definitions (``twistcoach.rotation.trunk_angles_3d``, docs/measuring.md
    "Seated and standing twists"): rotation + towards the person's right, the pelvis
    turn against ``forward`` (the way the person faced when square; None without it).

    Parameters
    ----------
    points
        3D keypoints (metres), at least hips and shoulders, in the renderer's right-handed
        frame.
    up
        Shape (3,), the floor normal.
    forward
        Shape (3,), the direction the person faced when square.
    """
    from twistcoach.rotation import trunk_angles_3d

    angles = trunk_angles_3d(points, up, forward)
    turn = angles.pelvis_turn_deg
    return {
        "trunk_rotation_deg": round(angles.rotation_deg, 2),
        "side_bend_deg": round(angles.side_bend_deg, 2),
        "pelvis_turn_deg": None if turn is None else round(turn, 2),
    }
