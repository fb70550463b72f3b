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
   with the camera held level, small drops are preferred, and the confidence is lowered;
   the knee drop (and so the pelvis roll and twist) is not given at all
   (:data:`UNCALIBRATED_KNEE_CONFIDENCE`): one view cannot tell the camera's height from
   the drop. Nor are the shoulder roll and knee flexion fitted with it
   (:data:`UNCALIBRATED_POSE_CONFIDENCE`).

Accuracy and its limits are measured in ``docs/measuring.md``.

Where the code lives
--------------------
Everything callers use is re-exported here (``from twistcoach.kinematics import X``); the
parts are private modules, one concept each:

``_angles``
    The 3D definitions: :class:`BodyAngles`, :func:`body_frame`, :func:`body_angles_3d`.
``_body``
    The body model (:class:`BodyModel`, :func:`template_body`, :func:`pose_points`) and
    where MediaPipe's landmarks sit on it.
``_camera``
    The pinhole :class:`Camera`, rotations, :func:`look_at`, :func:`default_focal`.
``_views``
    Naming the view (:func:`view_from_camera`) and refusing those that cannot measure
    (:func:`view_measurable`, :data:`PELVIS_ROLL_UNSEEN_FROM`).
``_calibration``
    :func:`calibrate`, :func:`calibrate_for` (the template body by body type, a short
    thigh's when none is said), :func:`template_of`, :func:`estimate_calibration`,
    :class:`Calibration`, :func:`still_in_place`.
``_measurement``
    :func:`measure_details`, :func:`measure`, :func:`with_speed`, :class:`KneeFit`.

Measured constants and their sources
------------------------------------
Each constant's comment, beside its definition, gives the numbers it was chosen from;
in short (rendered stills = ``bench/groundtruth``, MediaPipe 0.10.14 landmarks):

:data:`TEMPLATE_THIGH_M` (``_body``)
    Template thigh per body type, 0.43 / 0.36 / 0.46 m: anthropometry (J Biomech 1996,
    29:1223: thigh 0.60 of the trunk for women, 0.70 for men) refitted on the rendered
    stills from the recommended place (worst 7.3 / 8.4 deg against 10.3 neutral).
:data:`SHORT_THIGH_LEG_SCALE` (``_calibration``)
    0.95: with no body type said, a neutral calibration whose refitted thigh is shorter
    than this is made again from the female template (issue 17's tuning bodies: heavy
    model's worst with the neutral template 13.1 -> 9.6 deg, held out 13.5 -> 10.2).
:data:`HIP_LANDMARK_RISE_M` (``_body``)
    0.07 m: MediaPipe's mid-hip rides above the hip joints as the pelvis rolls,
    triangulated from the rendered stills' five cameras (7.1 cm, by body 4.4-9.9 cm).
:data:`SIDE_MAX_ELEVATION_DEG`, :data:`SIDE_RAISED_MAX_ELEVATION_DEG` (``_views``)
    15 / 35 deg; with :data:`FEET_END_MIN_ELEVATION_DEG`, 40 deg: the views whose drop
    direction or knees MediaPipe gets wrong on the rendered bodies (12 of 54 signs wrong
    square to the side at 8-20 deg up; feet-end knees misplaced by 13-31 % of the body's
    size).
:data:`PELVIS_ROLL_UNSEEN_FROM` (``_views``)
    Head end and top-down: pelvis roll MAE 18.3 and 19.6 deg there on the rendered stills.
:data:`MAX_CAMERA_ROLL_DEG` (``_calibration``)
    18 deg off level, from every view (:class:`CameraTurnedError`): level rendered cameras
    calibrate at most 9.1 off, true overhead ones (their pictures turned any way) 5.8; the
    demo filmed on its side 28.5, turned raised cameras fitted as overhead 15-27.
:data:`CALIBRATION_LEVEL_WEIGHT` (``_calibration``)
    0.3: the camera held level (rendered women: azimuth 8 -> 4.6 deg off; at 0.5 the real
    near-side clip in the shared data read its drop on the wrong side).
:data:`KNEE_DROP_MIN_CONFIDENCE` (``_measurement``)
    0.6: the readings between 0.5 and 0.6 held 5 of the 13 errors over 10 deg on the
    rendered stills (mean error 4.1 -> 3.9 deg).
:data:`PELVIS_LINE_MAX_MISFIT`, :data:`TWIST_SHOULDER_MAX_MISFIT` (``_measurement``)
    0.25 and 0.2 of the hip (shoulder) line's own image length lying flat: a pelvis roll
    (twist) whose line no roll explains better reads unknown. Chosen on the issue 17
    tuning bodies only: pelvis roll MAE 5.9 -> 5.1 deg, worst 36.6 -> 19.9; twist 6.4 ->
    5.6, worst 36.6 -> 21.0 (body type given, recommended place; measured on 45 % and
    43 % of the stills instead of 50 % and 49 %); in clips the mean changed little.
:data:`YAW_DEADBAND_DEG`, :data:`AMBIGUITY_MARGIN` (``_measurement``)
    10 deg, 0.02 of body size; with :data:`AMBIGUOUS_FACTOR` 0.3 and
    :data:`UNCERTAINTY_SCALE_DEG` 18 deg: the measurement's tolerances (see their
    comments and ``docs/measuring.md``).
"""

from __future__ import annotations

from twistcoach.kinematics._angles import BodyAngles, FloatArray, body_angles_3d, body_frame
from twistcoach.kinematics._body import (
    HIP_LANDMARK_RISE_M,
    MODEL_LANDMARKS,
    TEMPLATE_THIGH_M,
    BodyModel,
    pose_points,
    template_body,
)
from twistcoach.kinematics._body import _hip_rise as _hip_rise
from twistcoach.kinematics._calibration import (
    CALIBRATION_LEVEL_WEIGHT,
    CAMERA_TURNED_REFUSAL,
    DROPPED_DEG,
    FEET_WEIGHT,
    KNEE_LINE_WEIGHT,
    MAX_CAMERA_ROLL_DEG,
    PRIOR_WEIGHT,
    SHORT_THIGH_LEG_SCALE,
    THIGH_PRIOR,
    Calibration,
    CalibrationError,
    CameraTurnedError,
    calibrate,
    calibrate_for,
    estimate_calibration,
    still_in_place,
    template_of,
)
from twistcoach.kinematics._camera import (
    Camera,
    default_focal,
    look_at,
    matrix_to_rotvec,
    rotvec_to_matrix,
)
from twistcoach.kinematics._measurement import (
    AMBIGUITY_MARGIN,
    AMBIGUOUS_FACTOR,
    CENTRE_DEG,
    FIT_SCALE,
    KNEE_DROP_MIN_CONFIDENCE,
    KNEES_TOGETHER_M,
    PELVIS_LINE_MAX_MISFIT,
    SHOULDER_LIFT_DEG,
    TWIST_SHOULDER_MAX_MISFIT,
    UNCALIBRATED_FACTOR,
    UNCALIBRATED_KNEE_CONFIDENCE,
    UNCALIBRATED_POSE_CONFIDENCE,
    UNCERTAINTY_SCALE_DEG,
    YAW_DEADBAND_DEG,
    KneeFit,
    Measurement,
    measure,
    measure_details,
    with_speed,
)
from twistcoach.kinematics._measurement import _body_turn as _body_turn
from twistcoach.kinematics._measurement import _placement as _placement
from twistcoach.kinematics._views import (
    FEET_END_MIN_ELEVATION_DEG,
    PELVIS_ROLL_UNSEEN_FROM,
    SIDE_MAX_ELEVATION_DEG,
    SIDE_RAISED_MAX_ELEVATION_DEG,
    view_from_camera,
    view_measurable,
)

__all__ = [
    "AMBIGUITY_MARGIN",
    "AMBIGUOUS_FACTOR",
    "CALIBRATION_LEVEL_WEIGHT",
    "CAMERA_TURNED_REFUSAL",
    "CENTRE_DEG",
    "DROPPED_DEG",
    "FEET_END_MIN_ELEVATION_DEG",
    "FEET_WEIGHT",
    "FIT_SCALE",
    "HIP_LANDMARK_RISE_M",
    "KNEES_TOGETHER_M",
    "KNEE_DROP_MIN_CONFIDENCE",
    "KNEE_LINE_WEIGHT",
    "MAX_CAMERA_ROLL_DEG",
    "MODEL_LANDMARKS",
    "PELVIS_LINE_MAX_MISFIT",
    "PELVIS_ROLL_UNSEEN_FROM",
    "PRIOR_WEIGHT",
    "SHORT_THIGH_LEG_SCALE",
    "SHOULDER_LIFT_DEG",
    "SIDE_MAX_ELEVATION_DEG",
    "SIDE_RAISED_MAX_ELEVATION_DEG",
    "TEMPLATE_THIGH_M",
    "THIGH_PRIOR",
    "TWIST_SHOULDER_MAX_MISFIT",
    "UNCALIBRATED_FACTOR",
    "UNCALIBRATED_KNEE_CONFIDENCE",
    "UNCALIBRATED_POSE_CONFIDENCE",
    "UNCERTAINTY_SCALE_DEG",
    "YAW_DEADBAND_DEG",
    "BodyAngles",
    "BodyModel",
    "Calibration",
    "CalibrationError",
    "Camera",
    "CameraTurnedError",
    "FloatArray",
    "KneeFit",
    "Measurement",
    "body_angles_3d",
    "body_frame",
    "calibrate",
    "calibrate_for",
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
    "template_of",
    "view_from_camera",
    "view_measurable",
    "with_speed",
]
