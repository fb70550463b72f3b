"""From a skeleton to a measured twist: the 3D definitions, calibration and measurement.

Pure core: standard library and numpy only; no clocks, no I/O.

Conventions (DESIGN.md, "The twist, measured"; see also :mod:`twistcoach.metrics`)
-------------------------------------------------------------------------------------
Body frame
    The long axis ``a`` runs from mid-hip to mid-shoulder; ``up`` is the floor normal.
    The transverse plane is the plane perpendicular to ``a``. Within it, ``right`` is
    ``normalize(up x a)`` (the person's right when lying on the back) and the in-plane
    "up" is ``a x right``.
Knee drop
    ``atan2(v . right, v . up_t)`` in degrees for ``v`` = mid-hip -> mid-knee: 0 = knees
    at the ceiling, about 90 = knees on the floor, positive towards the person's right.
Pelvis / shoulder roll
    The hip (shoulder) line from the right joint to the left joint, in the same plane,
    against the floor: ``atan2(h . up_t, h . -right)``; positive when the left side rises
    (the body rolls towards the person's right).

Method (why it is built like this)
----------------------------------
MediaPipe's metric world landmarks are useless for a person lying down (25-38 degrees of
error, DESIGN.md), so the angles come from the 2D image landmarks plus geometry:

1. A small articulated **body model** (:class:`BodyModel`) holds hips, shoulders, knees and
   ankles of a person lying on the back as a function of knee drop ``theta``, pelvis roll
   ``rho``, shoulder roll ``sigma``, thigh elevation ``phi`` and knee flexion ``kappa``.
2. **Calibration** (:func:`calibrate`) fits a pinhole camera (focal length about the image
   size, principal point at the centre) and the model's free shape parameters to the 2D
   landmarks of a neutral pose (lying flat, knees up, ``theta = rho = sigma = 0``) by a
   batched Levenberg-Marquardt from many starting camera positions on the hemisphere
   above the floor (a camera below the floor is impossible, which removes the mirror
   ambiguity of a single view).
3. **Measurement** (:func:`measure`) places the body on the floor from the hip and shoulder
   rays, then finds each angle by a coarse-to-fine grid search: the knee drop (with the
   thigh elevation held near its calibrated value) so the model's projected mid-hip ->
   mid-knee vector and right -> left knee line best fit the observed ones; the pelvis and
   shoulder rolls from the hip and shoulder lines. The fitted body's angles are then
   reported through :func:`body_angles_3d`. A second, mirrored minimum with almost the
   same residual means the view cannot tell the direction of the drop: the knee drop is
   then unknown, never guessed; side views are refused outright (:func:`view_measurable`).
4. Without a calibration (single photographs) the camera is fitted to the torso lying flat
   with the camera held level, small drops are preferred, and the confidence is lowered.

Accuracy and its limits are measured in ``docs/measuring.md``.

The code is in ``_measurement`` (being split by concept).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from twistcoach.kinematics import _measurement
from twistcoach.kinematics._measurement import (
    AMBIGUITY_MARGIN,
    AMBIGUOUS_FACTOR,
    CALIBRATION_LEVEL_WEIGHT,
    CENTRE_DEG,
    DROPPED_DEG,
    FEET_END_MIN_ELEVATION_DEG,
    FEET_WEIGHT,
    FIT_SCALE,
    HIP_LANDMARK_RISE_M,
    KNEE_DROP_MIN_CONFIDENCE,
    KNEE_LINE_WEIGHT,
    KNEES_TOGETHER_M,
    MODEL_LANDMARKS,
    PELVIS_ROLL_UNSEEN_FROM,
    PRIOR_WEIGHT,
    SHOULDER_LIFT_DEG,
    SIDE_MAX_ELEVATION_DEG,
    SIDE_RAISED_MAX_ELEVATION_DEG,
    TEMPLATE_THIGH_M,
    THIGH_PRIOR,
    UNCALIBRATED_FACTOR,
    UNCERTAINTY_SCALE_DEG,
    YAW_DEADBAND_DEG,
    BodyAngles,
    BodyModel,
    Calibration,
    CalibrationError,
    Camera,
    FloatArray,
    KneeFit,
    Measurement,
    body_angles_3d,
    body_frame,
    calibrate,
    default_focal,
    estimate_calibration,
    look_at,
    matrix_to_rotvec,
    measure,
    measure_details,
    pose_points,
    rotvec_to_matrix,
    still_in_place,
    template_body,
    view_from_camera,
    view_measurable,
    with_speed,
)
from twistcoach.kinematics._measurement import _body_turn as _body_turn
from twistcoach.kinematics._measurement import _hip_rise as _hip_rise
from twistcoach.kinematics._measurement import _placement as _placement

__all__ = [
    "AMBIGUITY_MARGIN",
    "AMBIGUOUS_FACTOR",
    "CALIBRATION_LEVEL_WEIGHT",
    "CENTRE_DEG",
    "DROPPED_DEG",
    "FEET_END_MIN_ELEVATION_DEG",
    "FEET_WEIGHT",
    "FIT_SCALE",
    "HIP_LANDMARK_RISE_M",
    "KNEES_TOGETHER_M",
    "KNEE_DROP_MIN_CONFIDENCE",
    "KNEE_LINE_WEIGHT",
    "MODEL_LANDMARKS",
    "PELVIS_ROLL_UNSEEN_FROM",
    "PRIOR_WEIGHT",
    "SHOULDER_LIFT_DEG",
    "SIDE_MAX_ELEVATION_DEG",
    "SIDE_RAISED_MAX_ELEVATION_DEG",
    "TEMPLATE_THIGH_M",
    "THIGH_PRIOR",
    "UNCALIBRATED_FACTOR",
    "UNCERTAINTY_SCALE_DEG",
    "YAW_DEADBAND_DEG",
    "BodyAngles",
    "BodyModel",
    "Calibration",
    "CalibrationError",
    "Camera",
    "FloatArray",
    "KneeFit",
    "Measurement",
    "body_angles_3d",
    "body_frame",
    "calibrate",
    "default_focal",
    "estimate_calibration",
    "look_at",
    "matrix_to_rotvec",
    "measure",
    "measure_details",
    "pose_points",
    "rotvec_to_matrix",
    "still_in_place",
    "template_body",
    "view_from_camera",
    "view_measurable",
    "with_speed",
]

#: The modules that hold the code; a constant set on the package is set in them too.
_PARTS: tuple[types.ModuleType, ...] = (_measurement,)


class _Package(types.ModuleType):
    """The package's module type: setting one of its names (a tuned constant, in a test or
    a benchmark: ``monkeypatch.setattr(kinematics, "HIP_LANDMARK_RISE_M", 0.0)``) also sets
    it in the part that defines and uses it, as it did when this was one module."""

    def __setattr__(self, name: str, value: Any) -> None:
        for part in _PARTS:
            if name in vars(part):
                setattr(part, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
