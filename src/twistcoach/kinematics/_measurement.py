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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from twistcoach.landmarks import Landmark, Skeleton
from twistcoach.metrics import BodyType, Measure, Side, TwistMetrics, View

FloatArray = NDArray[np.float64]

#: Knee drops within this many degrees of zero count as centred.
CENTRE_DEG = 5.0
#: A shoulder counts as lifted when the shoulder roll exceeds this many degrees.
SHOULDER_LIFT_DEG = 10.0
#: Knees closer than this (metres, at the knees) count as together (about a thigh's width).
KNEES_TOGETHER_M = 0.2
#: A camera beside the body lower than this (degrees above the floor) is a "side" view:
#: the direction of the drop cannot be told (DESIGN.md). Higher up, each frame's own
#: ambiguity test decides (see :class:`KneeFit`).
SIDE_MAX_ELEVATION_DEG = 15.0
#: Square to the side (azimuth within 15 degrees of 90) the camera must be higher than this
#: (calibrated elevations read 5-10 degrees high with MediaPipe landmarks: a rendered
#: camera 20 degrees up beside the body calibrates at 17-30).
SIDE_RAISED_MAX_ELEVATION_DEG = 35.0
#: A camera at the feet end must be at least this high (degrees above the floor, as
#: calibrated): on rendered bodies a 1.5 m-high feet-end camera calibrates at 33-38 degrees
#: and MediaPipe misplaces the knees there (13-31 % of the body's size; wrong side in 1 of 6
#: measured stills), so it is refused.
FEET_END_MIN_ELEVATION_DEG = 40.0
#: Residual (fraction of body size) at which a fit's confidence falls to 1/e.
FIT_SCALE = 0.1
#: A calibration pose fitted much better with the knees dropped this far is refused.
DROPPED_DEG = 20.0
#: A knee drop is reported only at this confidence or more (other metrics use the caller's
#: ``min_confidence``). Measured on the rendered stills from the recommended view: the
#: readings between 0.5 and 0.6 are 5 % of the images but hold 5 of the 13 errors over
#: 10 degrees; requiring 0.6 cut the mean error from 4.1 to 3.9 degrees.
KNEE_DROP_MIN_CONFIDENCE = 0.6
#: Confidence multiplier when no calibration was available (single photographs).
UNCALIBRATED_FACTOR = 0.75


class CalibrationError(ValueError):
    """The frames given to :func:`calibrate` are not a usable neutral supine pose."""


# --------------------------------------------------------------------------------------
# The 3D definitions
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Body model and camera
# --------------------------------------------------------------------------------------

#: The landmarks the model holds, in the order of the model's point arrays.
MODEL_LANDMARKS: tuple[Landmark, ...] = (
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_ANKLE,
)
_MODEL_INDEX = np.array([int(m) for m in MODEL_LANDMARKS])
_LH, _RH, _LS, _RS, _LK, _RK, _LA, _RA = range(8)


@dataclass(frozen=True)
class BodyModel:
    """Proportions of the articulated supine body, metres (an adult of about 1.7 m).

    Only ratios matter to a single camera (the scene's scale is not observable); the
    defaults are common anthropometric values for MediaPipe's joint landmarks.

    The model's frame: origin on the floor under the mid-hip, x towards the person's
    left, y towards the head, z up (the floor normal).
    """

    hip_width: float = 0.20
    shoulder_width: float = 0.34
    torso_length: float = 0.50
    thigh_length: float = 0.43
    shank_length: float = 0.42
    hip_height: float = 0.10
    shoulder_height: float = 0.08
    knee_gap: float = 0.12
    #: Distance between the ankle landmarks (feet side by side, a little apart).
    ankle_gap: float = 0.12

    def points(
        self,
        theta: FloatArray | float,
        rho: FloatArray | float = 0.0,
        sigma: FloatArray | float = 0.0,
        phi: FloatArray | float = 0.8727,  # 50 degrees
        kappa: FloatArray | float = 1.7453,  # 100 degrees
        width_scale: FloatArray | float = 1.0,
        leg_scale: FloatArray | float = 1.0,
        knee_gap: FloatArray | float | None = None,
        ankle_gap: FloatArray | float | None = None,
        hip_scale: FloatArray | float = 1.0,
        shoulder_lift: FloatArray | float = 0.0,
    ) -> FloatArray:
        """3D positions of the model's landmarks (order :data:`MODEL_LANDMARKS`).

        Parameters
        ----------
        theta
            Knee drop, radians, positive towards the person's right (-x).
        rho, sigma
            Pelvis and shoulder roll, radians, positive when the left side rises.
        phi
            Thigh elevation above the floor in the sagittal plane, radians.
        kappa
            Knee flexion, radians (0 = straight leg).
        width_scale, leg_scale
            Multipliers of the hip/shoulder widths and of the leg lengths.
        knee_gap, ankle_gap
            Distances between the knees and between the ankles, metres before
            ``width_scale`` (default: the model's).
        hip_scale
            Extra multiplier of the hip width alone (hips and shoulders differ between
            people, e.g. between women and men).

        All arguments broadcast together to a batch shape ``B``.

        Returns
        -------
        ndarray
            Shape ``B + (8, 3)``, metres in the model frame.
        """
        kg = self.knee_gap if knee_gap is None else knee_gap
        ag = self.ankle_gap if ankle_gap is None else ankle_gap
        th, rh, sg, ph, kp, ws, ls, kgs, ags, hs, lift = np.broadcast_arrays(
            *(
                np.asarray(v, dtype=np.float64)
                for v in (
                    theta,
                    rho,
                    sigma,
                    phi,
                    kappa,
                    width_scale,
                    leg_scale,
                    kg,
                    ag,
                    hip_scale,
                    shoulder_lift,
                )
            )
        )
        zero = np.zeros_like(th)
        one = np.ones_like(th)
        mid_hip = np.stack([zero, zero, self.hip_height * one], axis=-1)
        mid_sh = np.stack([zero, self.torso_length * one, self.shoulder_height + lift], axis=-1)
        half_hip = (self.hip_width / 2 * ws * hs)[..., None] * np.stack(
            [np.cos(rh), zero, np.sin(rh)], axis=-1
        )
        half_sh = (self.shoulder_width / 2 * ws)[..., None] * np.stack(
            [np.cos(sg), zero, np.sin(sg)], axis=-1
        )
        s_th, c_th = np.sin(th), np.cos(th)
        thigh_dir = np.stack([-s_th * np.sin(ph), -np.cos(ph), c_th * np.sin(ph)], axis=-1)
        elev = ph - kp
        shank_dir = np.stack([-s_th * np.sin(elev), -np.cos(elev), c_th * np.sin(elev)], axis=-1)
        across = np.stack([c_th, zero, s_th], axis=-1)
        lateral = (kgs / 2 * ws)[..., None] * across
        lateral_ankle = (ags / 2 * ws)[..., None] * across
        mid_knee = mid_hip + (self.thigh_length * ls)[..., None] * thigh_dir
        shank = (self.shank_length * ls)[..., None] * shank_dir
        return np.stack(
            [
                mid_hip + half_hip,
                mid_hip - half_hip,
                mid_sh + half_sh,
                mid_sh - half_sh,
                mid_knee + lateral,
                mid_knee - lateral,
                mid_knee + lateral_ankle + shank,
                mid_knee - lateral_ankle + shank,
            ],
            axis=-2,
        )


#: Template thigh length by body type, metres against the template's 0.50 m torso (hip to
#: shoulder landmarks). One knees-up view cannot tell a shorter thigh from a camera turned
#: further round, so the calibration takes the thigh's proportion from the template, and a
#: wrong one turns the camera and biases large drops. Fed the true joints instead of
#: MediaPipe's landmarks, the neutral template still placed the rendered women's camera
#: 3.7 deg off in azimuth (the men's 0.8) and read their drops up to 9.0 deg off (the men's
#: 4.8). Women's thighs are shorter for the same trunk: in de Leva's anthropometric tables
#: (J Biomech 1996, 29:1223) the thigh is 0.60 of the trunk for women against 0.70 for men,
#: the shank the same for both; the rendered bodies, as MediaPipe sees them, need 0.36 and
#: 0.46. Chosen on the rendered stills from the recommended place (grid 0.34-0.49; each
#: sex's value, chosen without one body, still read that body within 8.4 deg): worst 7.3
#: (women) and 8.4 (men) against 10.3 with the neutral 0.43, which is kept for anyone who
#: does not say (and for single photographs).
TEMPLATE_THIGH_M: Mapping[BodyType, float] = {
    BodyType.NEUTRAL: 0.43,
    BodyType.FEMALE: 0.36,
    BodyType.MALE: 0.46,
}


def template_body(body: BodyType = BodyType.NEUTRAL) -> BodyModel:
    """The template :class:`BodyModel` a calibration starts from for ``body``."""
    return BodyModel(thigh_length=TEMPLATE_THIGH_M[BodyType(body)])


def pose_points(
    model: BodyModel,
    theta: float,
    rho: float,
    sigma: float,
    phi: float,
    kappa: float,
    width_scale: float = 1.0,
    leg_scale: float = 1.0,
) -> FloatArray:
    """:meth:`BodyModel.points` for one pose (plain floats, about 10 times faster).

    Returns shape (8, 3), metres, order :data:`MODEL_LANDMARKS`.
    """
    m = model
    hh, hs = m.hip_width / 2 * width_scale, m.shoulder_width / 2 * width_scale
    cr, sr, cs, ss = math.cos(rho), math.sin(rho), math.cos(sigma), math.sin(sigma)
    st, ct = math.sin(theta), math.cos(theta)
    thigh, shank = m.thigh_length * leg_scale, m.shank_length * leg_scale
    sp, cp = math.sin(phi), math.cos(phi)
    se, ce = math.sin(phi - kappa), math.cos(phi - kappa)
    kx, ky, kz = -st * sp * thigh, -cp * thigh, m.hip_height + ct * sp * thigh
    lx, lz = m.knee_gap / 2 * width_scale * ct, m.knee_gap / 2 * width_scale * st
    fx, fz = m.ankle_gap / 2 * width_scale * ct, m.ankle_gap / 2 * width_scale * st
    ax, ay, az = -st * se * shank, -ce * shank, ct * se * shank
    return np.array(
        [
            [hh * cr, 0.0, m.hip_height + hh * sr],
            [-hh * cr, 0.0, m.hip_height - hh * sr],
            [hs * cs, m.torso_length, m.shoulder_height + hs * ss],
            [-hs * cs, m.torso_length, m.shoulder_height - hs * ss],
            [kx + lx, ky, kz + lz],
            [kx - lx, ky, kz - lz],
            [kx + fx + ax, ky + ay, kz + fz + az],
            [kx - fx + ax, ky + ay, kz - fz + az],
        ]
    )


def rotvec_to_matrix(rotvec: FloatArray) -> FloatArray:
    """Rodrigues' formula, batched.

    Parameters
    ----------
    rotvec
        Shape ``B + (3,)``, axis times angle in radians.

    Returns
    -------
    ndarray
        Shape ``B + (3, 3)`` rotation matrices.
    """
    r = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(r, axis=-1)
    safe = np.where(angle < 1e-12, 1.0, angle)
    k = r / safe[..., None]
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(kx)
    kmat = np.stack(
        [
            np.stack([zero, -kz, ky], axis=-1),
            np.stack([kz, zero, -kx], axis=-1),
            np.stack([-ky, kx, zero], axis=-1),
        ],
        axis=-2,
    )
    s = np.sin(angle)[..., None, None]
    c = (1 - np.cos(angle))[..., None, None]
    eye = np.broadcast_to(np.eye(3), kmat.shape)
    return np.asarray(eye + s * kmat + c * (kmat @ kmat), dtype=np.float64)


def matrix_to_rotvec(matrix: FloatArray) -> FloatArray:
    """Inverse of :func:`rotvec_to_matrix` for one matrix, shape (3, 3) -> (3,)."""
    m = np.asarray(matrix, dtype=np.float64)
    cos = float(np.clip((np.trace(m) - 1) / 2, -1.0, 1.0))
    angle = math.acos(cos)
    if angle < 1e-9:
        return np.zeros(3)
    if math.pi - angle < 1e-6:
        # Near 180 degrees the antisymmetric part vanishes: take the axis from m + I.
        col = int(np.argmax(np.diag(m)))
        axis = (m[:, col] + np.eye(3)[:, col]) / math.sqrt(2 * (1 + m[col, col]))
        return np.asarray(_unit(axis, "rotation axis") * angle, dtype=np.float64)
    axis = np.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]])
    return np.asarray(axis / (2 * math.sin(angle)) * angle, dtype=np.float64)


def look_at(centre: FloatArray, target: FloatArray) -> FloatArray:
    """World -> camera rotation for a camera at ``centre`` looking at ``target``.

    The camera frame is OpenCV's: x right, y down, z forward; the image's "up" is the
    world's +z where possible, else the model's +y (head direction).

    Returns
    -------
    ndarray
        Shape (3, 3); rows are the camera axes in world coordinates.
    """
    z = _unit(
        np.asarray(target, dtype=np.float64) - np.asarray(centre, dtype=np.float64),
        "camera direction",
    )
    ref = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.99 else np.array([0.0, 1.0, 0.0])
    x = _unit(np.cross(z, ref), "camera x axis")
    y = np.cross(z, x)
    return np.stack([x, y, z])


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera in the model frame.

    Attributes
    ----------
    rotation
        Shape (3, 3), world -> camera (rows: camera x right, y down, z forward).
    centre
        Shape (3,), the camera's position, metres in the model frame.
    focal_px
        Focal length in pixels.
    principal
        Shape (2,), principal point in pixels.
    """

    rotation: FloatArray
    centre: FloatArray
    focal_px: float
    principal: FloatArray

    def project(self, points: FloatArray) -> FloatArray:
        """Pixel positions of 3D points, shape ``B + (3,)`` -> ``B + (2,)``.

        Points behind the camera get a tiny positive depth, so they land far away.
        """
        cam = (np.asarray(points) - self.centre) @ self.rotation.T
        depth = np.maximum(cam[..., 2], 1e-6)
        return np.asarray(
            self.focal_px * cam[..., :2] / depth[..., None] + self.principal, dtype=np.float64
        )

    def ray(self, pixel: FloatArray) -> FloatArray:
        """Unit direction (world, shape (3,)) of the ray through one pixel (shape (2,))."""
        d = np.array([*((np.asarray(pixel) - self.principal) / self.focal_px), 1.0])
        return _unit(self.rotation.T @ d, "ray")

    @property
    def elevation_deg(self) -> float:
        """Angle of the optical axis below the horizontal (90 = looking straight down)."""
        return math.degrees(math.asin(float(np.clip(-self.rotation[2, 2], -1.0, 1.0))))


def default_focal(image_size: tuple[int, int]) -> float:
    """Assumed focal length in pixels: about the image's larger side (a 53-degree view)."""
    return float(max(image_size))


# --------------------------------------------------------------------------------------
# Batched Levenberg-Marquardt fit of camera + pose
# --------------------------------------------------------------------------------------

_P_NAMES = (
    "rx",
    "ry",
    "rz",
    "cx",
    "cy",
    "cz",
    "theta",
    "rho",
    "sigma",
    "phi",
    "kappa",
    "width",
    "legs",
    "knee_gap",
    "ankle_gap",
    "hips",
    "shoulder_lift",
)
_NP = len(_P_NAMES)
_I = {name: i for i, name in enumerate(_P_NAMES)}
#: Prior (mean, sigma) of the shape and pose parameters (radians / ratios).
_PRIOR_MEAN = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, math.radians(50), math.radians(100), 1, 1.0, 0.12, 0.12, 1.0, 0.0]
)
_PRIOR_SIGMA = np.array(
    [np.inf] * 6
    + [
        math.radians(90),
        math.radians(40),
        math.radians(30),
        math.radians(20),
        math.radians(30),
        0.15,
        0.15,
        # Knees and feet may be together or well apart (rendered women: knees 0.18-0.19 m
        # apart); hips wider or narrower than the template's ratio to the shoulders; the
        # shoulders' joints higher or lower above the floor than the hips'.
        0.3,
        0.3,
        0.2,
        0.1,
    ]
)
#: Weight of the shape priors against the image residual (fractions of body size).
PRIOR_WEIGHT = 0.05
#: Relative weights of the model landmarks in fits (ankles follow the rigid-leg model
#: least well: in a real twist the feet stay near the floor).
_POINT_WEIGHT = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.4, 0.4])


def _model_points(model: BodyModel, params: FloatArray) -> FloatArray:
    """The model's 3D landmarks (metres, floor frame) for a batch of parameters, (B, 8, 3)."""
    return model.points(
        params[:, _I["theta"]],
        params[:, _I["rho"]],
        params[:, _I["sigma"]],
        params[:, _I["phi"]],
        params[:, _I["kappa"]],
        params[:, _I["width"]],
        params[:, _I["legs"]],
        params[:, _I["knee_gap"]],
        params[:, _I["ankle_gap"]],
        params[:, _I["hips"]],
        params[:, _I["shoulder_lift"]],
    )


def _project_batch(
    model: BodyModel,
    params: FloatArray,
    focal: float,
    principal: FloatArray,
    pts: FloatArray | None = None,
) -> FloatArray:
    """Pixels of the model's landmarks for a batch of parameter vectors, (B, 13) -> (B, 8, 2).

    ``pts`` may pass the batch's :func:`_model_points` when the caller needs them too.
    """
    if pts is None:
        pts = _model_points(model, params)
    rot = rotvec_to_matrix(params[:, 0:3])
    cam = np.einsum("bij,bnj->bni", rot, pts - params[:, None, 3:6])
    depth = cam[..., 2]
    # Points behind the camera are pushed far out of the image (a large residual).
    behind = depth < 0.05
    depth = np.where(behind, 0.05, depth)
    px = focal * cam[..., :2] / depth[..., None] + principal
    return np.asarray(np.where(behind[..., None], px + 1e4, px), dtype=np.float64)


def _residuals(
    model: BodyModel,
    params: FloatArray,
    free: NDArray[np.bool_],
    obs: FloatArray,
    weight: FloatArray,
    scale: float,
    focal: float,
    principal: FloatArray,
    level_weight: float,
    feet_weight: float = 0.0,
) -> FloatArray:
    """Stacked residuals (B, 16 + 13 + 2): image, priors, camera-above-floor, level."""
    pts = _model_points(model, params)
    px = _project_batch(model, params, focal, principal, pts)
    img = ((px - obs) / scale * weight[:, None]).reshape(len(params), -1)
    prior = (
        np.where(
            free & np.isfinite(_PRIOR_SIGMA),
            (params - _PRIOR_MEAN) / np.where(np.isfinite(_PRIOR_SIGMA), _PRIOR_SIGMA, 1.0),
            0.0,
        )
        * PRIOR_WEIGHT
    )
    floor = np.maximum(0.0, 0.15 - params[:, _I["cz"]])[:, None] * 10.0
    # People hold cameras level: the image's x axis stays horizontal (weak, so that an
    # overhead camera may turn freely).
    level = rotvec_to_matrix(params[:, 0:3])[:, 0, 2][:, None] * level_weight
    # Feet flat on the floor (a neutral pose only: with theta = rho = sigma fixed at zero
    # the rigid legs keep their feet down): the ankles' height ties the thigh's
    # elevation to the leg lengths, which one view cannot separate otherwise.
    if feet_weight:
        feet = (pts[:, [_LA, _RA], 2] - _ANKLE_HEIGHT) * feet_weight
        return np.concatenate([img, prior, floor, level, feet], axis=1)
    return np.concatenate([img, prior, floor, level], axis=1)


def _fit(
    model: BodyModel,
    starts: FloatArray,
    free: NDArray[np.bool_],
    obs: FloatArray,
    weight: FloatArray,
    scale: float,
    focal: float,
    principal: FloatArray,
    iterations: int = 30,
    level_weight: float = 0.0,
    feet_weight: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Levenberg-Marquardt from many starts at once.

    Returns the fitted parameters (B, 13) and each fit's RMS image residual in units of
    ``scale`` (B,).
    """
    params = np.array(starts, dtype=np.float64)
    nb = len(params)
    idx = np.flatnonzero(free)
    nf = len(idx)
    lam = np.full(nb, 1e-2)
    eps = 1e-5

    def res(p: FloatArray) -> FloatArray:
        return _residuals(
            model, p, free, obs, weight, scale, focal, principal, level_weight, feet_weight
        )

    r0 = res(params)
    cost = np.sum(r0**2, axis=1)
    for _ in range(iterations):
        bumped = np.repeat(params[:, None, :], nf, axis=1)
        bumped[:, np.arange(nf), idx] += eps
        rj = res(bumped.reshape(-1, _NP)).reshape(nb, nf, -1)
        jac = np.transpose((rj - r0[:, None, :]) / eps, (0, 2, 1))  # (B, M, nf)
        jtj = np.einsum("bmi,bmj->bij", jac, jac)
        jtr = np.einsum("bmi,bm->bi", jac, r0)
        diag = np.einsum("bii->bi", jtj)
        a = jtj + (lam[:, None] * (diag + 1e-9))[:, :, None] * np.eye(nf)
        step = -np.linalg.solve(a, jtr[..., None])[..., 0]
        trial = params.copy()
        trial[:, idx] += step
        rt = res(trial)
        ct = np.sum(rt**2, axis=1)
        better = ct < cost
        params = np.where(better[:, None], trial, params)
        r0 = np.where(better[:, None], rt, r0)
        cost = np.where(better, ct, cost)
        lam = np.where(better, lam * 0.3, lam * 10.0)
        lam = np.clip(lam, 1e-7, 1e7)
    img = r0[:, : obs.size]
    wsum = float(np.sum(weight**2)) * 2
    rms = np.sqrt(np.sum(img**2, axis=1) / max(wsum, 1e-9))
    return params, rms


def _camera_starts(model: BodyModel, distance: float) -> FloatArray:
    """Initial camera poses on the hemisphere above the body, looking at its middle."""
    target = np.array([0.0, 0.1, 0.15])
    starts = []
    for elev in (8.0, 30.0, 55.0, 85.0):
        for azim in range(0, 360, 45):
            e, az = math.radians(elev), math.radians(azim)
            direction = np.array(
                [math.cos(e) * math.sin(az), -math.cos(e) * math.cos(az), math.sin(e)]
            )
            centre = target + distance * direction
            for roll in (0.0, 90.0, -90.0, 180.0) if elev > 80 else (0.0,):
                rot = look_at(centre, target)
                if roll:
                    c, s = math.cos(math.radians(roll)), math.sin(math.radians(roll))
                    rot = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]) @ rot
                p = _PRIOR_MEAN.copy()
                p[0:3] = matrix_to_rotvec(rot)
                p[3:6] = centre
                starts.append(p)
    return np.array(starts)


# --------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Calibration:
    """What a neutral stretch (lying on the back, knees up) tells about this session.

    Attributes
    ----------
    camera
        The camera in the model frame of the neutral body (floor z = 0, "up" = +z).
    model
        Body proportions (metres; only ratios matter).
    phi_rad, kappa_rad
        Neutral thigh elevation and knee flexion, radians.
    width_scale, leg_scale
        Fitted multipliers of the model's widths and leg lengths.
    image_size
        (width, height) of the frames it was made from.
    view
        The camera view it implies.
    residual
        RMS fit residual as a fraction of the body's size in the image.
    px_per_m
        Pixels per metre at the body (for distances such as the knees' gap).
    frames
        Number of frames used.
    neutral
        True when made from a neutral pose (:func:`calibrate`); False when estimated from
        an arbitrary pose (:func:`estimate_calibration`), which lowers the confidence.
    torso_px
        The image vector mid-hip -> mid-shoulder when calibrated, pixels (to tell whether
        the person still lies where they calibrated).
    hip_px
        The image position of the mid-hip when calibrated, pixels.
    knee_offset
        Observed minus modelled mid-hip -> mid-knee image vector in the neutral pose, as a
        fraction of the body's image size (x right, y down). The knee search subtracts it,
        so the calibration pose itself reads a zero drop whatever MediaPipe's own bias for
        this person and camera.
    shoulder_line_offset
        The same for the right -> left shoulder image vector: the neutral pose has the
        shoulders flat, so the shoulder roll reads zero there (MediaPipe's shoulders of a
        person lying down are often a few degrees off level, which would otherwise read as
        a lifted shoulder at rest).
    """

    camera: Camera
    model: BodyModel
    phi_rad: float
    kappa_rad: float
    width_scale: float
    leg_scale: float
    image_size: tuple[int, int]
    view: View
    residual: float
    px_per_m: float
    frames: int = 1
    neutral: bool = True
    torso_px: tuple[float, float] = (0.0, 0.0)
    hip_px: tuple[float, float] = (0.0, 0.0)
    knee_offset: tuple[float, float] = (0.0, 0.0)
    shoulder_line_offset: tuple[float, float] = (0.0, 0.0)

    @property
    def elevation_deg(self) -> float:
        """Height of the camera above the floor seen from the mid-hip, degrees."""
        c = self.camera.centre
        return math.degrees(math.atan2(float(c[2]), float(np.hypot(c[0], c[1]))))

    @property
    def azimuth_deg(self) -> float:
        """Direction of the camera around the body, degrees: 0 = feet end, 90 = the
        person's left side, 180 = head end, -90 = right side."""
        c = self.camera.centre
        return math.degrees(math.atan2(float(c[0]), float(-(c[1] - 0.25))))


#: Landmarks whose visibility is needed for measuring.
_CORE = (
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
)


def _body_scale_px(xy: FloatArray) -> float:
    """A size of the body in the image, pixels (never zero)."""
    pts = xy[_MODEL_INDEX]
    span = float(np.max(np.ptp(pts, axis=0)))
    return max(span, 1.0)


def view_from_camera(elevation_deg: float, azimuth_deg: float) -> View:
    """Name the view of a camera at this elevation and azimuth (see :class:`Calibration`)."""
    if elevation_deg >= 65.0:
        return View.TOP_DOWN
    az = abs(azimuth_deg)
    if az <= 25.0:
        return View.FEET_END
    if az >= 155.0:
        return View.HEAD_END
    if 65.0 <= az <= 115.0 and elevation_deg < SIDE_MAX_ELEVATION_DEG:
        return View.SIDE
    if 75.0 <= az <= 105.0 and elevation_deg < SIDE_RAISED_MAX_ELEVATION_DEG:
        # Square to the body, even raised a little, drops away from the camera read as
        # drops towards it (measured on rendered bodies: 12 of 54 signs wrong at 8-20 deg).
        return View.SIDE
    return View.OBLIQUE


def _fit_camera(
    xy: FloatArray, vis: FloatArray, image_size: tuple[int, int], model: BodyModel, fix_pose: bool
) -> tuple[FloatArray, float]:
    focal = default_focal(image_size)
    principal = np.array(image_size, dtype=np.float64) / 2
    obs = xy[_MODEL_INDEX]
    weight = np.clip(vis[_MODEL_INDEX], 0.05, 1.0) * _POINT_WEIGHT
    scale = _body_scale_px(xy)
    distance = focal * 1.3 / scale
    starts = _camera_starts(model, distance)
    free = np.ones(_NP, dtype=bool)
    if fix_pose:
        free[[_I["theta"], _I["rho"], _I["sigma"]]] = False
        fits, rms = _fit(
            model,
            starts,
            free,
            obs,
            weight,
            scale,
            focal,
            principal,
            level_weight=CALIBRATION_LEVEL_WEIGHT,
            feet_weight=FEET_WEIGHT,
        )
    else:
        # Without a neutral pose the legs say little about the camera: fit it to the torso
        # lying flat on the floor, with the camera held level (as people hold cameras).
        free[6:] = False
        weight = weight * np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
        fits, rms = _fit(
            model, starts, free, obs, weight, scale, focal, principal, level_weight=1.0
        )
    total = rms + 0.02 * np.abs(fits[:, _I["theta"]])  # prefer small drops when ambiguous
    best = int(np.argmin(total))
    return fits[best], float(rms[best])


def _calibration_from_params(
    xy: FloatArray,
    p: FloatArray,
    model: BodyModel,
    image_size: tuple[int, int],
    residual: float,
    frames: int,
    neutral: bool,
) -> Calibration:
    focal = default_focal(image_size)
    if neutral:
        # The person's own gaps and hip width, as fitted on the neutral pose.
        model = replace(
            model,
            knee_gap=float(p[_I["knee_gap"]]),
            ankle_gap=float(p[_I["ankle_gap"]]),
            hip_width=model.hip_width * float(p[_I["hips"]]),
            shoulder_height=model.shoulder_height + float(p[_I["shoulder_lift"]]),
        )
    camera = Camera(
        rotvec_to_matrix(p[0:3]), p[3:6].copy(), focal, np.array(image_size, dtype=np.float64) / 2
    )
    depth = float(np.linalg.norm(camera.centre - np.array([0.0, 0.2, 0.1])))
    elev = math.degrees(math.atan2(float(p[5]), float(np.hypot(p[3], p[4]))))
    azim = math.degrees(math.atan2(float(p[3]), float(-(p[4] - 0.25))))
    return Calibration(
        camera=camera,
        model=model,
        phi_rad=float(p[_I["phi"]]),
        kappa_rad=float(p[_I["kappa"]]),
        width_scale=float(p[_I["width"]]),
        leg_scale=float(p[_I["legs"]]),
        image_size=image_size,
        view=view_from_camera(elev, azim),
        residual=residual,
        px_per_m=focal / max(depth, 1e-3),
        frames=frames,
        neutral=neutral,
        torso_px=_torso_vector(xy),
        hip_px=(
            float(xy[Landmark.LEFT_HIP][0] + xy[Landmark.RIGHT_HIP][0]) / 2,
            float(xy[Landmark.LEFT_HIP][1] + xy[Landmark.RIGHT_HIP][1]) / 2,
        ),
    )


def _torso_vector(xy: FloatArray) -> tuple[float, float]:
    v = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2 - (
        xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]
    ) / 2
    return float(v[0]), float(v[1])


def still_in_place(calibration: Calibration, skeleton: Skeleton, *, tolerance: float = 0.3) -> bool:
    """True when the torso in the image is about where and how long it was at calibration.

    A person who sits or stands up, or gets up and walks away, changes the torso's image
    vector or the mid-hip's place a lot; one who twists while lying changes them little.
    ``tolerance`` is the largest change of either, as a fraction of the calibrated torso's
    image length.
    """
    ref = np.array(calibration.torso_px)
    length = float(np.linalg.norm(ref))
    if length < 1.0:
        return True
    xy = skeleton.image_xy
    now = np.array(_torso_vector(xy))
    hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    moved = float(np.linalg.norm(hip - np.array(calibration.hip_px)))
    return max(float(np.linalg.norm(now - ref)), moved) / length <= tolerance


def calibrate(
    skeletons: Sequence[Skeleton],
    *,
    model: BodyModel | None = None,
    min_visibility: float = 0.5,
    max_motion: float = 0.05,
    max_residual: float = 0.04,
) -> Calibration:
    """Calibrate the camera and body from frames of a neutral supine pose.

    Parameters
    ----------
    skeletons
        Frames of the person lying on the back, knees up, feet flat, still.
    model
        Body proportions (default :class:`BodyModel`).
    min_visibility
        Hips, shoulders and knees must be at least this visible (median over frames).
    max_motion
        Largest allowed landmark motion between frames, as a fraction of body size.
    max_residual
        Largest allowed RMS fit residual, as a fraction of body size.

    Raises
    ------
    CalibrationError
        With a plain-language reason when the frames are not a usable neutral pose.
    """
    if not skeletons:
        raise CalibrationError("no frames to calibrate from: lie on your back, knees up")
    sizes = {s.image_size for s in skeletons}
    if len(sizes) != 1:
        raise CalibrationError("the frames have different image sizes")
    image_size = skeletons[0].image_size
    xy_all = np.stack([s.image_xy for s in skeletons])
    vis = np.median(np.stack([s.visibility for s in skeletons]), axis=0)
    weak = [lm.name.lower().replace("_", " ") for lm in _CORE if vis[lm] < min_visibility]
    if weak:
        raise CalibrationError(
            "cannot see your " + ", ".join(weak) + " well enough: move the camera so your "
            "whole body is in view"
        )
    xy = np.median(xy_all, axis=0)
    scale = _body_scale_px(xy)
    motion = float(np.max(np.abs(xy_all[:, _MODEL_INDEX] - xy[_MODEL_INDEX]))) / scale
    if motion > max_motion:
        raise CalibrationError("you moved while calibrating: lie still, knees up, for a moment")
    model = model or BodyModel()
    params, rms = _fit_camera(xy, vis, image_size, model, fix_pose=True)
    # First: a twisted pose fits the neutral model (feet on the floor) badly, and must be
    # named as such, never become the session's zero.
    if _looks_dropped(xy, vis, image_size, model, params, rms):
        raise CalibrationError("your knees seem dropped to one side: bring them up to the middle")
    if rms > max_residual:
        raise CalibrationError(
            "this does not look like lying on your back with knees up and feet flat "
            f"(the body model fits with {rms:.0%} error)"
        )
    if not (
        math.radians(15) <= params[_I["phi"]] <= math.radians(85)
        and params[_I["kappa"]] >= math.radians(45)
    ):
        raise CalibrationError("bend your knees so they point up, feet flat on the floor")
    cal = _calibration_from_params(xy, params, model, image_size, rms, len(skeletons), True)
    if cal.view is not View.HEAD_END:
        cal = _refit_thigh(cal, xy)
    # From overhead the zeroed shoulder line measured worse (MAE 11.3 -> 14.2 degrees on the
    # rendered stills) while every other view improved or held (recommended 4.8 -> 4.6,
    # other diagonals 6.0 -> 5.1): top-down keeps the raw line.
    shoulder = (0.0, 0.0) if cal.view is View.TOP_DOWN else _shoulder_offset(cal, xy)
    return replace(cal, knee_offset=_knee_offset(cal, xy), shoulder_line_offset=shoulder)


#: Leg-length multipliers tried when refitting the thigh on the neutral pose.
_LEG_SCALES = np.arange(0.6, 1.605, 0.02)
#: Thigh elevations tried when refitting the thigh, radians.
_THIGH_PHIS = np.radians(np.arange(5.0, 88.5, 0.5))
#: Weight of the whole-body fit's leg length against the thigh refit's image residual
#: (per squared log of the ratio).
THIGH_PRIOR = 0.001


def _mid_knee_vector(xy: FloatArray) -> FloatArray:
    """Observed mid-hip -> mid-knee image vector, pixels, shape (2,)."""
    return np.asarray(
        (xy[Landmark.LEFT_KNEE] + xy[Landmark.RIGHT_KNEE]) / 2
        - (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    )


def _refit_thigh(cal: Calibration, xy: FloatArray) -> Calibration:
    """Refit the thigh's length and elevation so the neutral knees sit where they are seen.

    The whole-body fit balances every landmark against shape priors, so the template's
    thigh-to-torso ratio (rendered women: 0.71 against the template's 0.86) leaves the
    knees off by a few per cent of the body's size, and large drops then read short or
    long. With the camera known, the neutral mid-knee's two image coordinates determine
    the thigh's two unknowns. Not done from the head end, where the thigh is seen end-on:
    on the rendered stills the refit cut the diagonals' mean error from 6.4 to 5.5 degrees
    and the top-down view's from 7.2 to 6.2, but raised the head end's from 3.0 to 5.2.
    """
    scale = _body_scale_px(xy)
    obs_vec = _mid_knee_vector(xy)
    obs_line = xy[Landmark.LEFT_KNEE] - xy[Landmark.RIGHT_KNEE]
    best = (math.inf, cal.leg_scale, cal.phi_rad)
    zero = np.zeros((1, 1))
    for leg_scale in _LEG_SCALES:
        trial = replace(cal, leg_scale=float(leg_scale))
        img, _ = _knee_cost(trial, cal.camera, zero, _THIGH_PHIS[None, :], obs_vec, scale, obs_line)
        cost = img[0] + THIGH_PRIOR * math.log(leg_scale / cal.leg_scale) ** 2
        j = int(np.argmin(cost))
        if cost[j] < best[0]:
            best = (float(cost[j]), float(leg_scale), float(_THIGH_PHIS[j]))
    return replace(cal, leg_scale=best[1], phi_rad=best[2])


def _mid_knee_point(cal: Calibration, theta: float, phi: float) -> FloatArray:
    """The model's mid-knee (model frame, metres, shape (3,)) at drop ``theta`` and thigh
    elevation ``phi`` (radians); the scalar form of :func:`_knee_cost`'s knee."""
    model = cal.model
    thigh = model.thigh_length * cal.leg_scale
    sp = math.sin(phi) * thigh
    return np.array(
        [-math.sin(theta) * sp, -math.cos(phi) * thigh, model.hip_height + math.cos(theta) * sp]
    )


def _mid_hip_point(model: BodyModel) -> FloatArray:
    """The model's mid-hip (model frame, metres, shape (3,)): the thighs' pivot."""
    return np.array([0.0, 0.0, model.hip_height])


def _shoulder_pair(cal: Calibration) -> tuple[FloatArray, float]:
    """Mid-shoulder (model frame, shape (3,)) and half the shoulder width, metres."""
    model = cal.model
    return (
        np.array([0.0, model.torso_length, model.shoulder_height]),
        model.shoulder_width * cal.width_scale / 2,
    )


def _shoulder_offset(cal: Calibration, xy: FloatArray) -> tuple[float, float]:
    """:attr:`Calibration.shoulder_line_offset` for the neutral landmarks ``xy``."""
    centre, half = _shoulder_pair(cal)
    lateral = np.array([half, 0.0, 0.0])
    px = cal.camera.project(np.stack([centre + lateral, centre - lateral]))
    observed = xy[Landmark.LEFT_SHOULDER] - xy[Landmark.RIGHT_SHOULDER]
    offset = (observed - (px[0] - px[1])) / _body_scale_px(xy)
    return float(offset[0]), float(offset[1])


def _knee_offset(cal: Calibration, xy: FloatArray) -> tuple[float, float]:
    """:attr:`Calibration.knee_offset` for the neutral landmarks ``xy``."""
    px = cal.camera.project(
        np.stack([_mid_knee_point(cal, 0.0, cal.phi_rad), _mid_hip_point(cal.model)])
    )
    offset = (_mid_knee_vector(xy) - (px[0] - px[1])) / _body_scale_px(xy)
    return float(offset[0]), float(offset[1])


def _looks_dropped(
    xy: FloatArray,
    vis: FloatArray,
    image_size: tuple[int, int],
    model: BodyModel,
    neutral: FloatArray,
    neutral_rms: float,
) -> bool:
    """True when letting the knees drop (and the camera move) explains the frames much
    better than the neutral pose: a twisted pose must not become "zero"."""
    starts = np.repeat(neutral[None, :], 4, axis=0)
    starts[:, _I["theta"]] = np.radians([-60.0, -30.0, 30.0, 60.0])
    free = np.ones(_NP, dtype=bool)
    free[[_I["rho"], _I["sigma"]]] = False
    weight = np.clip(vis[_MODEL_INDEX], 0.05, 1.0) * _POINT_WEIGHT
    fits, rms = _fit(
        model,
        starts,
        free,
        xy[_MODEL_INDEX],
        weight,
        _body_scale_px(xy),
        default_focal(image_size),
        np.array(image_size, dtype=np.float64) / 2,
        # From the neutral fit to a dropped one is a long way for 16 free parameters.
        iterations=100,
    )
    dropped = np.abs(fits[:, _I["theta"]]) > math.radians(DROPPED_DEG)
    return bool(np.any(dropped & (rms < 0.7 * neutral_rms)))


def estimate_calibration(skeleton: Skeleton, *, model: BodyModel | None = None) -> Calibration:
    """A rough calibration from one skeleton in any supine pose (camera and pose fitted
    together). Measurements made with it carry :data:`UNCALIBRATED_FACTOR` confidence.
    """
    model = model or BodyModel()
    params, rms = _fit_camera(
        skeleton.image_xy, skeleton.visibility, skeleton.image_size, model, fix_pose=False
    )
    return _calibration_from_params(
        skeleton.image_xy, params, model, skeleton.image_size, rms, 1, False
    )


# --------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------


def _lateral_dirs(angles: FloatArray) -> FloatArray:
    """Unit vectors (N, 3) in the transverse plane, rolled by ``angles`` (radians)."""
    out = np.zeros((len(angles), 3))
    out[:, 0] = np.cos(angles)
    out[:, 2] = np.sin(angles)
    return out


_THETA_COARSE = np.radians(np.arange(-120.0, 120.5, 3.0))
_ROLL_COARSE = np.radians(np.arange(-90.0, 90.5, 3.0))
_FINE = np.radians(np.arange(-3.0, 3.05, 0.3))
_ROLL_DIRS = _lateral_dirs(_ROLL_COARSE)
_FINE_THETA = np.radians(np.arange(-3.0, 3.05, 0.5))
_FINE_PHI = np.radians(np.arange(-2.5, 2.55, 0.5))
_PHI_OFFSETS = np.radians(np.array([-6.0, 0.0, 6.0]))
_AZIMUTHS = np.radians(np.arange(-180.0, 180.0, 5.0))
#: Height of the ankle landmarks above the floor with the feet flat, metres.
_ANKLE_HEIGHT = 0.07
#: Weight of the prior holding the thigh elevation near its calibrated value, per radian.
_PHI_PRIOR = 1.0
#: Weight (per metre) of the neutral pose's feet resting on the floor in calibration.
FEET_WEIGHT = 1.0
#: Weight of the camera held level (image x axis horizontal) in calibration. A camera on a
#: shelf or tripod is level within a few degrees; without this the neutral pose leaves the
#: camera's azimuth loose against the thigh's length (rendered women: 8 degrees off from the
#: recommended place, 4.6 with it; knee drop MAE 3.2 -> 3.0, worst 17.7 -> 14.5). Kept
#: weak: at 0.5 and more the real near-side clip (shared data, camera about 74 degrees
#: round and 19 up, close to a side view) read its drop on the wrong side.
CALIBRATION_LEVEL_WEIGHT = 0.3
#: Knee-drop uncertainty (degrees, :attr:`KneeFit.uncertainty_deg`) at which the knee
#: drop's confidence falls by a factor e.
UNCERTAINTY_SCALE_DEG = 18.0
#: Landmark error assumed even for a perfect fit, fraction of body size.
_MIN_RESIDUAL = 0.01
#: Weight of the knee line's residual against the hip -> knee vector's in the knee search.
KNEE_LINE_WEIGHT = 1.0
#: The hip -> shoulder line may swing by up to this (degrees) in a twist without the body
#: turning on the mat (:func:`_body_turn`).
YAW_DEADBAND_DEG = 10.0

#: How far MediaPipe's mid-hip landmark rides up above the hip joints as the pelvis rolls
#: over, metres per unit of ``1 - cos(drop)`` (about 3.5 cm at a 60-degree drop). Its hip
#: landmarks follow the visible flank of the rolled pelvis rather than the joint centres,
#: while its knees stay on the knees. Measured on the rendered stills from the recommended
#: place by triangulating the landmarks from its five cameras with their true poses: 7.1 cm
#: (by body 4.4-9.9 cm) for the mid-hip, 0.4 cm for the mid-knee. Unmodelled, the hip ->
#: knee vector looks dropped further than it is: the men's 56-degree drops read 68-71.
#: Modelled, recommended stills up to 60 degrees: knee drop MAE 2.8 -> 2.5, worst 14.5 ->
#: 8.7; from 60 to 70: MAE 7.6 -> 5.6, worst 18.9 -> 10.3; pelvis roll 7.1 -> 6.4. The rise
#: differs between people, so at the top of the range the error moves rather than goes:
#: bodies whose hips rise less (the rendered women) read shorter from about 50 degrees on (a
#: slim woman's clip read 56 for 68: worst 9.4 -> 12.3); between 25 and 50 degrees, where
#: the caps lie, the worst short reading stays 6.7 (6.5 before).
HIP_LANDMARK_RISE_M = 0.07
#: A mid-hip rise (metres) below which the body is not placed again (:func:`_hip_rise`).
_RISE_REPLACE_M = 0.005
#: Weight per radian of the prior towards no drop, for uncalibrated photographs only.
_THETA_PRIOR_UNCALIBRATED = 0.04
#: Two sides whose residuals differ by less than this (fraction of body size) are
#: indistinguishable: the knee drop's (or a pelvis or shoulder roll's) direction is then
#: unknown.
AMBIGUITY_MARGIN = 0.02
#: A measure whose direction is unknown keeps this share of its confidence (below any
#: useful ``min_confidence``).
AMBIGUOUS_FACTOR = 0.3
#: Views whose pelvis roll (and so twist) reads unknown: a number that far off is not given
#: (rendered stills; from the recommended place the pelvis roll's MAE is 5.6 deg, the
#: twist's 5.6). From behind the head the hips are seen past the chest, and MediaPipe's hip
#: line turns about 40 % as far as the pelvis on every body (a true 56-66 deg read 19-33;
#: MAE 18.3, twist 20.4). From overhead the roll moves the hip line along the line of
#: sight: even where its sign looked clear (a third of the stills) MAE 19.6, worst 133.
PELVIS_ROLL_UNSEEN_FROM: frozenset[View] = frozenset({View.HEAD_END, View.TOP_DOWN})


@dataclass(frozen=True)
class KneeFit:
    """Details of the knee-drop search (for reports and tests).

    Attributes
    ----------
    theta_deg
        Best knee drop, degrees.
    residual
        Its residual, fraction of body size.
    mirror_deg, mirror_residual
        The best drop on the other side and its residual (None when the drop is near 0).
    ambiguous
        True when both sides fit about equally well: the direction cannot be told.
    uncertainty_deg
        How far the drop could be off, degrees: the residual divided by how fast the
        projected mid-knee moves with the drop (fraction of body size per radian). Large
        when the knees move along the camera's line of sight, where a few pixels of
        landmark error are many degrees.
    """

    theta_deg: float
    residual: float
    mirror_deg: float | None
    mirror_residual: float | None
    ambiguous: bool
    uncertainty_deg: float = 0.0


def _refine(grid: FloatArray, cost: FloatArray, i: int) -> float:
    """Parabolic refinement of a grid minimum."""
    if 0 < i < len(grid) - 1:
        c0, c1, c2 = cost[i - 1], cost[i], cost[i + 1]
        denom = c0 - 2 * c1 + c2
        if denom > 1e-15:
            offset = 0.5 * (c0 - c2) / denom
            step = float(grid[1] - grid[0])
            return float(grid[i]) + min(max(float(offset), -1.0), 1.0) * step
    return float(grid[i])


def _floor_hit(cam: Camera, pixel: FloatArray, height: float) -> FloatArray | None:
    """Where the ray through ``pixel`` meets the plane ``height`` metres above the floor
    (shape (3,)), or None for a ray that meets it at a grazing angle or not at all."""
    d = cam.ray(pixel)
    if d[2] > -0.2:
        return None
    t = (height - cam.centre[2]) / d[2]
    return np.asarray(cam.centre + t * d, dtype=np.float64)


def _placement(cal: Calibration, xy: FloatArray, hip_rise: float = 0.0) -> tuple[FloatArray, float]:
    """Where the body lies now: (mid-hip floor point (3,), yaw of the hip -> shoulder line,
    radians).

    From the rays of the mid-hip and mid-shoulder meeting their heights above the floor
    (MediaPipe's mid-hip ``hip_rise`` metres above the joints: :func:`_hip_rise`); at a
    low camera these intersections are ill-conditioned, so the calibrated place is kept
    (the person lies where they calibrated).
    """
    none = (np.zeros(3), 0.0)
    cam, model = cal.camera, cal.model
    if cal.elevation_deg < 20.0:
        return none
    hip = _floor_hit(
        cam, (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2, model.hip_height + hip_rise
    )
    sh = _floor_hit(
        cam, (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2, model.shoulder_height
    )
    if hip is None or sh is None:
        return none
    axis = sh - hip
    if float(np.hypot(axis[0], axis[1])) < 0.2:
        return none
    yaw = math.atan2(-float(axis[0]), float(axis[1]))
    # A roll of the pelvis moves the mid-hip little; keep it on the floor-parallel plane.
    if abs(yaw) > math.radians(45):
        return none
    return np.array([hip[0], hip[1], 0.0]), yaw


def _hip_rise(theta: FloatArray | float) -> FloatArray:
    """How far MediaPipe's mid-hip sits above the hip joints at knee drop ``theta``
    (radians; the pelvis rolls with the knees), metres: :data:`HIP_LANDMARK_RISE_M`."""
    return np.asarray(HIP_LANDMARK_RISE_M * (1.0 - np.cos(theta)), dtype=np.float64)


def _placement_rise(drop_deg: float) -> float:
    """The mid-hip rise (metres, :func:`_hip_rise`) to place the body for at a knee drop of
    ``drop_deg`` degrees; 0 below :data:`_RISE_REPLACE_M`, where placing again gains
    nothing."""
    rise = float(_hip_rise(math.radians(drop_deg)))
    return rise if rise > _RISE_REPLACE_M else 0.0


def _body_turn(yaw: float) -> float:
    """How far the person lies turned on the mat (radians), from :func:`_placement`'s yaw.

    The hip -> shoulder line swings by itself in a twist while the hip and shoulder lines
    keep their direction: the pelvis rolls over and the spine shifts the shoulders the
    other way (3-6 degrees at a 60-degree drop on the rendered bodies, more as MediaPipe
    sees them), and the thighs keep turning about the floor's long axis. So the knee
    search and the shoulder line ignore turns up to :data:`YAW_DEADBAND_DEG`: a larger
    turn is the person lying turned on the mat, and only its excess is followed, which
    leaves a real turn's error bounded (about 5 degrees of knee drop at a 20-degree turn;
    beyond about 17 degrees the tracker stops measuring, :func:`still_in_place`). The
    shoulder line's own direction cannot tell a turn from the swing: a lifted shoulder
    moves it too. Measured on the rendered stills from the recommended place (together with
    the knee line's full weight): knee drop MAE 3.9 -> 3.2 degrees, worst 23.9 -> 17.7,
    shoulder roll 4.6 -> 3.4. The hip line keeps the whole yaw (its roll measured 9.0
    degrees with it, 11.3 without).
    """
    return math.copysign(max(0.0, abs(yaw) - math.radians(YAW_DEADBAND_DEG)), yaw)


def _placed_camera(cam: Camera, origin: FloatArray, yaw: float) -> Camera:
    """The camera seen from a body turned by ``yaw`` about "up" and moved to ``origin``:
    projecting model-frame points through it equals placing them, then projecting."""
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return Camera(cam.rotation @ rot, rot.T @ (cam.centre - origin), cam.focal_px, cam.principal)


@dataclass(frozen=True)
class _LineFit:
    """A left-right pair's roll (radians), its residual (fraction of body size), and
    whether the opposite roll fits about as well (:data:`AMBIGUITY_MARGIN`)."""

    roll: float
    residual: float
    ambiguous: bool


#: Rolls smaller than this (radians) have no mirror to tell apart from. From overhead a roll
#: moves the pair along the line of sight, so a roll and its opposite project almost alike
#: and MediaPipe's few pixels pick the sign: on the rendered stills from overhead, 34% of
#: stills with flat shoulders read a lifted shoulder (shoulder roll MAE 9.3 deg) until
#: ambiguous rolls read unknown (3%, MAE 3.3); from the recommended place the pelvis roll
#: was then measured on 92% of stills instead of 98%, its error unchanged.
_MIRROR_MIN_RAD = math.radians(8.0)


def _line_search(
    cam: Camera,
    centre: FloatArray,
    half_width: float,
    obs_vec: FloatArray,
    scale: float,
) -> _LineFit:
    """Best roll of a left-right joint pair, its residual, and whether it is ambiguous.

    The pair sits at ``centre`` (model frame, shape (3,)), ``half_width`` metres to each
    side, rolled in the transverse plane; the observed left-minus-right image vector
    ``obs_vec`` is matched (a difference, so a small error in placement cancels).
    Coarse-to-fine: every 3 degrees, then every 0.3 degrees around the best.
    """
    best = 0.0
    cost = np.zeros(1)
    mirror: float | None = None
    grid, dirs = _ROLL_COARSE, _ROLL_DIRS
    for _ in range(2):
        lateral = half_width * dirs
        px = cam.project(np.concatenate([centre + lateral, centre - lateral]))
        n = len(grid)
        diff = px[:n] - px[n:] - obs_vec
        cost = diff[:, 0] ** 2 + diff[:, 1] ** 2
        i = int(np.argmin(cost))
        if mirror is None and abs(grid[i]) > _MIRROR_MIN_RAD:
            other = grid * np.sign(grid[i]) < -_MIRROR_MIN_RAD
            mirror = math.sqrt(float(np.min(cost[other]))) / scale
        best = _refine(grid, cost, i)
        grid = grid[i] + _FINE
        dirs = _lateral_dirs(grid)
    residual = math.sqrt(float(np.min(cost))) / scale
    ambiguous = mirror is not None and mirror - residual < AMBIGUITY_MARGIN
    return _LineFit(best, residual, ambiguous)


def _knee_cost(
    cal: Calibration,
    cam: Camera,
    theta: FloatArray,
    phi: FloatArray,
    obs_vec: FloatArray,
    scale: float,
    obs_line: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Squared image residual (fraction of body size) for a grid of knee drops ``theta``
    (shape (T, 1)) and thigh elevations ``phi`` (shape (1, P)): of mid-hip -> mid-knee
    (``obs_vec``), plus, weighted by :data:`KNEE_LINE_WEIGHT`, of the right -> left knee
    line (``obs_line``), which turns with the drop whatever the camera's depth blur.
    Returned apart: the vector's residual alone rates the fit (the knee line of MediaPipe
    is short and noisy), the sum chooses the drop."""
    model = cal.model
    thigh = model.thigh_length * cal.leg_scale
    sp = np.sin(phi) * thigh
    st, ct = np.sin(theta), np.cos(theta)
    shape = np.broadcast_shapes(theta.shape, phi.shape)
    knee = np.empty((*shape, 3))
    knee[..., 0] = -st * sp
    knee[..., 1] = -np.cos(phi) * thigh
    knee[..., 2] = model.hip_height + ct * sp
    half = model.knee_gap / 2 * cal.width_scale
    lateral = np.zeros((*shape, 3))
    lateral[..., 0] = half * ct
    lateral[..., 2] = half * st
    # Where MediaPipe puts the mid-hip: above the joints' midpoint as the pelvis rolls.
    hip = np.zeros((*shape, 3))
    hip[..., 2] = model.hip_height + _hip_rise(theta)
    px = cam.project(np.stack([knee, knee + lateral, knee - lateral, hip]))
    diff = px[0] - px[3] - obs_vec
    line = px[1] - px[2] - obs_line
    vec_cost = (diff[..., 0] ** 2 + diff[..., 1] ** 2) / scale**2
    line_cost = KNEE_LINE_WEIGHT * (line[..., 0] ** 2 + line[..., 1] ** 2) / scale**2
    return np.asarray(vec_cost), np.asarray(line_cost)


def _knee_prior(cal: Calibration, theta: FloatArray, phi: FloatArray) -> FloatArray:
    """The priors' penalty added to :func:`_knee_cost` (same broadcasting)."""
    # A prior keeps the thigh elevation near its calibrated value.
    err = (_PHI_PRIOR * (phi - cal.phi_rad)) ** 2 + 0.0 * theta
    if not cal.neutral:
        # A single photograph cannot separate a thigh's elevation from a small drop seen
        # from the side: prefer the smallest drop that explains the image.
        err = err + (_THETA_PRIOR_UNCALIBRATED * theta) ** 2
    return np.asarray(err, dtype=np.float64)


def _knee_search(
    cal: Calibration, cam: Camera, xy: FloatArray, scale: float
) -> tuple[KneeFit, float]:
    """Knee drop by a coarse-to-fine 2-D search over (theta, thigh elevation).

    Returns the fit and the thigh elevation (radians). The coarse curve (best elevation
    per drop) also gives the best drop on the other side, to detect mirror ambiguity.
    """
    obs_vec = _mid_knee_vector(xy) - np.array(cal.knee_offset) * scale
    obs_line = xy[Landmark.LEFT_KNEE] - xy[Landmark.RIGHT_KNEE]
    phis = cal.phi_rad + _PHI_OFFSETS
    t_c, p_c = _THETA_COARSE[:, None], phis[None, :]
    img, line = _knee_cost(cal, cam, t_c, p_c, obs_vec, scale, obs_line)
    err = img + line + _knee_prior(cal, t_c, p_c)
    best_phi = np.argmin(err, axis=1)
    rows = np.arange(len(_THETA_COARSE))
    curve = err[rows, best_phi]
    curve_img = img[rows, best_phi]
    i = int(np.argmin(curve))
    # Fine search around the coarse minimum.
    fine_t = _THETA_COARSE[i] + _FINE_THETA
    fine_p = phis[best_phi[i]] + _FINE_PHI
    fine_img, fine_line = _knee_cost(
        cal, cam, fine_t[:, None], fine_p[None, :], obs_vec, scale, obs_line
    )
    fine = fine_img + fine_line + _knee_prior(cal, fine_t[:, None], fine_p[None, :])
    j, k = np.unravel_index(int(np.argmin(fine)), fine.shape)
    theta = _refine(fine_t, fine[:, k], int(j))
    phi = _refine(fine_p, fine[j, :], int(k))
    res = math.sqrt(float(fine_img[j, k]))
    theta_deg = math.degrees(theta)
    uncertainty = _drop_uncertainty(cal, cam, theta, phi, res, scale)
    mirror_deg: float | None = None
    mirror_res: float | None = None
    ambiguous = False
    if abs(theta_deg) > 8.0:
        other = _THETA_COARSE * np.sign(theta) < -math.radians(8.0)
        m = int(np.flatnonzero(other)[np.argmin(curve[other])])
        mirror_deg = math.degrees(float(_THETA_COARSE[m]))
        mirror_res = math.sqrt(float(curve_img[m]))
        # Both sides explain the image about as well: the drop's direction is unknown.
        ambiguous = mirror_res - res < AMBIGUITY_MARGIN
    return KneeFit(theta_deg, res, mirror_deg, mirror_res, ambiguous, uncertainty), phi


def _drop_uncertainty(
    cal: Calibration, cam: Camera, theta: float, phi: float, residual: float, scale: float
) -> float:
    """Degrees of knee drop that the fit's residual (fraction of body size) amounts to at
    this drop: the residual over the projected mid-knee's speed (body sizes per radian)."""
    step = math.radians(2.0)
    px = cam.project(np.stack([_mid_knee_point(cal, t, phi) for t in (theta - step, theta + step)]))
    speed = float(np.hypot(*(px[1] - px[0]))) / (2 * step) / scale
    return math.degrees(max(residual, _MIN_RESIDUAL) / max(speed, 1e-6))


def _shank_search(cal: Calibration, cam: Camera, xy: FloatArray, knee: FloatArray) -> FloatArray:
    """Where the mid-ankle is (model frame, shape (3,)), with the feet on the floor.

    The feet stay flat on the floor in a supine twist, so the ankle lies on the circle
    where the sphere of a shank's length around the knee meets the plane of the ankle's
    height; the point of that circle that best fits the image's knee -> ankle vector wins.
    """
    model = cal.model
    shank = model.shank_length * cal.leg_scale
    dz = _ANKLE_HEIGHT - float(knee[2])
    radius = math.sqrt(max(shank**2 - dz**2, 0.0))
    ankle = np.stack(
        [
            knee[0] + radius * np.cos(_AZIMUTHS),
            knee[1] + radius * np.sin(_AZIMUTHS),
            np.full_like(_AZIMUTHS, knee[2] + dz),
        ],
        axis=-1,
    )
    model_vec = cam.project(ankle) - cam.project(knee)
    obs_vec = (xy[Landmark.LEFT_ANKLE] + xy[Landmark.RIGHT_ANKLE]) / 2 - (
        xy[Landmark.LEFT_KNEE] + xy[Landmark.RIGHT_KNEE]
    ) / 2
    cost = np.sum((model_vec - obs_vec) ** 2, axis=1)
    return np.asarray(ankle[int(np.argmin(cost))], dtype=np.float64)


_UP = np.array([0.0, 0.0, 1.0])


def view_measurable(calibration: Calibration) -> bool:
    """False for views the knee drop cannot be measured from (DESIGN.md).

    A side view cannot tell which way the knees drop; from low at the feet MediaPipe
    loses the hips behind the knees.
    """
    if calibration.view is View.SIDE:
        return False
    return not (
        calibration.view is View.FEET_END and calibration.elevation_deg < FEET_END_MIN_ELEVATION_DEG
    )


def _fit_confidence(residual: float) -> float:
    """Fit quality in [0, 1] from a residual (fraction of body size)."""
    return float(math.exp(-((residual / FIT_SCALE) ** 2)))


def _line_confidence(line: _LineFit) -> float:
    """A pelvis or shoulder roll's confidence in [0, 1] from its fit's quality; low when the
    opposite roll fits about as well (:attr:`_LineFit.ambiguous`)."""
    return _fit_confidence(line.residual) * (AMBIGUOUS_FACTOR if line.ambiguous else 1.0)


def _vis(skeleton: Skeleton, *landmarks: Landmark) -> float:
    return float(min(skeleton.visibility[list(landmarks)]))


@dataclass(frozen=True)
class Measurement:
    """:func:`measure_details`' result: the metrics plus how they were found."""

    metrics: TwistMetrics
    knee: KneeFit | None
    calibrated: bool
    view: View


@dataclass(frozen=True)
class _PoseFit:
    """The line and knee searches for one placement of the body (radians; residuals in
    fractions of body size)."""

    pelvis: _LineFit
    shoulders: _LineFit
    knee: KneeFit
    phi: float
    body_camera: Camera


def _fit_pose(
    cal: Calibration, xy: FloatArray, scale: float, origin: FloatArray, yaw: float
) -> _PoseFit:
    """Pelvis roll, shoulder roll and knee drop with the body at ``origin`` (model frame,
    shape (3,)) turned by ``yaw`` (radians)."""
    model = cal.model
    cam = _placed_camera(cal.camera, origin, yaw)
    pelvis = _line_search(
        cam,
        _mid_hip_point(model),
        model.hip_width * cal.width_scale / 2,
        xy[Landmark.LEFT_HIP] - xy[Landmark.RIGHT_HIP],
        scale,
    )
    # The legs and the shoulder line follow only a real turn on the mat (_body_turn).
    body_cam = _placed_camera(cal.camera, origin, _body_turn(yaw))
    shoulders = _line_search(
        body_cam,
        *_shoulder_pair(cal),
        xy[Landmark.LEFT_SHOULDER]
        - xy[Landmark.RIGHT_SHOULDER]
        - np.array(cal.shoulder_line_offset) * scale,
        scale,
    )
    knee, phi = _knee_search(cal, body_cam, xy, scale)
    return _PoseFit(pelvis, shoulders, knee, phi, body_cam)


def measure_details(
    skeleton: Skeleton,
    calibration: Calibration | None,
    *,
    min_confidence: float = 0.5,
    drop_hint_deg: float | None = None,
) -> Measurement:
    """Like :func:`measure`, also returning the knee search's details and the view.

    ``drop_hint_deg`` is the knee search's drop on the previous frame of a stream
    (:attr:`KneeFit.theta_deg`): from a diagonal camera the body is then placed once, for
    MediaPipe's mid-hip at that drop (:func:`_hip_rise`); without it a dropped frame is
    placed and fitted twice (about 0.4 ms more).
    """
    xy = skeleton.image_xy
    if not np.all(np.isfinite(xy[_MODEL_INDEX])) or not np.all(
        np.isfinite(skeleton.visibility[_MODEL_INDEX])
    ):
        # Broken landmarks (a bad client, a corrupt file) are "not seen", never a number.
        return Measurement(_unknown_metrics(skeleton.timestamp_s), None, False, View.UNKNOWN)
    # The body is placed by MediaPipe's mid-hip, which rides up as the pelvis rolls over:
    # from a diagonal camera it is placed from the joints' height (recommended stills with a
    # knee drop given: pelvis roll error 6.4 -> 5.7 degrees, knee drop worst 9.3 -> 8.7).
    # Not from the head end or overhead, where it gained nothing and cost a head-end still
    # 12 degrees. A stream's previous drop gives the rise at once; a photograph is fitted,
    # then placed again and refitted.
    if calibration is None or calibration.image_size != skeleton.image_size:
        try:
            calibration = estimate_calibration(skeleton)
        except np.linalg.LinAlgError:
            return Measurement(_unknown_metrics(skeleton.timestamp_s), None, False, View.UNKNOWN)
        origin, yaw = np.zeros(3), 0.0
        replace_body = False
    else:
        replace_body = calibration.neutral and calibration.view is View.OBLIQUE
        rise = 0.0
        if replace_body and drop_hint_deg is not None:
            rise = _placement_rise(drop_hint_deg)
        origin, yaw = _placement(calibration, xy, rise)
    calibrated = calibration.neutral
    cal = calibration
    scale = _body_scale_px(xy)
    factor = 1.0 if calibrated else UNCALIBRATED_FACTOR

    model = cal.model
    fit = _fit_pose(cal, xy, scale, origin, yaw)
    if replace_body and drop_hint_deg is None:
        rise = _placement_rise(fit.knee.theta_deg)
        if rise:
            origin, yaw = _placement(cal, xy, rise)
            fit = _fit_pose(cal, xy, scale, origin, yaw)
    knee = fit.knee
    theta = math.radians(knee.theta_deg)
    # Report the fitted body's angles by THE definitions (body_angles_3d), so measurements
    # and ground-truth labels mean exactly the same thing.
    fitted = pose_points(
        model,
        theta,
        fit.pelvis.roll,
        fit.shoulders.roll,
        fit.phi,
        cal.kappa_rad,
        cal.width_scale,
        cal.leg_scale,
    )
    mid_knee = (fitted[_LK] + fitted[_RK]) / 2
    ankle = _shank_search(cal, fit.body_camera, xy, mid_knee)
    fitted[_LA] = ankle + (fitted[_LK] - mid_knee)
    fitted[_RA] = ankle + (fitted[_RK] - mid_knee)
    angles = body_angles_3d(dict(zip(MODEL_LANDMARKS, fitted, strict=True)), _UP)
    if not view_measurable(cal):
        knee = replace(knee, ambiguous=True)

    def measure_of(value: float, conf: float, floor: float = min_confidence) -> Measure:
        conf = min(max(float(conf), 0.0), 1.0)
        return Measure(round(value, 2), conf) if conf >= floor else Measure.unknown(conf)

    hip_vis = _vis(skeleton, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    sh_vis = _vis(skeleton, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    knee_vis = _vis(skeleton, Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
    ankle_vis = _vis(skeleton, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)

    # The fit's quality, or (when lower) how many degrees its misfit may amount to: where
    # the knees move along the camera's line of sight a small misfit is a large error, so
    # such a frame reads unknown rather than wrong (fail safe).
    fit_conf = min(
        _fit_confidence(knee.residual),
        math.exp(-((knee.uncertainty_deg / UNCERTAINTY_SCALE_DEG) ** 2)),
    )
    knee_conf = min(hip_vis, knee_vis) * fit_conf * factor
    if knee.ambiguous:
        knee_conf *= AMBIGUOUS_FACTOR
    # The body is placed for the knee search's drop (MediaPipe's hips ride up a rolled
    # pelvis), so the pelvis roll is given only with the knee drop: without it the pelvis
    # roll was too far off (rendered stills from the recommended place: MAE 14.2 deg against
    # 5.6; single photos 34.1, worst 145, against 9.4).
    pelvis_conf = min(hip_vis * _line_confidence(fit.pelvis) * factor, knee_conf)
    if cal.view in PELVIS_ROLL_UNSEEN_FROM:
        pelvis_conf = 0.0
    sh_conf = sh_vis * _line_confidence(fit.shoulders) * factor
    knee_floor = max(min_confidence, KNEE_DROP_MIN_CONFIDENCE)
    knee_drop = measure_of(angles.knee_drop_deg, knee_conf, knee_floor)
    pelvis = measure_of(angles.pelvis_roll_deg, pelvis_conf, knee_floor)
    shoulder = measure_of(angles.shoulder_roll_deg, sh_conf)
    twist = (
        measure_of(angles.twist_deg, min(pelvis_conf, sh_conf))
        if pelvis.known and shoulder.known
        else Measure.unknown(min(pelvis_conf, sh_conf))
    )
    flex = measure_of(angles.knee_flexion_deg, min(knee_vis, ankle_vis) * factor)

    drop_side: Side | None = None
    if knee_drop.value is not None:
        drop_side = (
            Side.CENTRE
            if abs(knee_drop.value) < CENTRE_DEG
            else Side.RIGHT
            if knee_drop.value > 0
            else Side.LEFT
        )
    lifted: Side | None = None
    if shoulder.value is not None and abs(shoulder.value) >= SHOULDER_LIFT_DEG:
        # A roll towards the right lifts the left shoulder.
        lifted = Side.LEFT if shoulder.value > 0 else Side.RIGHT
    together: bool | None = None
    if knee_vis >= min_confidence:
        gap_px = float(np.linalg.norm(xy[Landmark.LEFT_KNEE] - xy[Landmark.RIGHT_KNEE]))
        together = gap_px / cal.px_per_m < KNEES_TOGETHER_M
    metrics = TwistMetrics(
        timestamp_s=skeleton.timestamp_s,
        knee_drop=knee_drop,
        drop_side=drop_side,
        pelvis_roll=pelvis,
        shoulder_roll=shoulder,
        lifted_shoulder=lifted,
        twist=twist,
        knee_flexion=flex,
        knees_together=together,
        speed=Measure.unknown(0.0),
        confidence=knee_drop.confidence,
    )
    return Measurement(metrics, knee, calibrated, cal.view)


def _unknown_metrics(timestamp_s: float) -> TwistMetrics:
    u = Measure.unknown(0.0)
    return TwistMetrics(timestamp_s, u, None, u, u, None, u, u, None, u, 0.0)


def measure(
    skeleton: Skeleton, calibration: Calibration | None, *, min_confidence: float = 0.5
) -> TwistMetrics:
    """Measure the twist in one skeleton.

    Parameters
    ----------
    skeleton
        Image landmarks of one frame.
    calibration
        From :func:`calibrate` on this session's neutral pose; None for a single photo
        (the camera and pose are then fitted together, with lower confidence).
    min_confidence
        Measures whose confidence falls below this are :meth:`Measure.unknown`.

    Returns
    -------
    TwistMetrics
        Degrees; the speed is unknown here (:class:`twistcoach.tracking.TwistTracker`
        fills it).
    """
    return measure_details(skeleton, calibration, min_confidence=min_confidence).metrics


def with_speed(metrics: TwistMetrics, speed: Measure) -> TwistMetrics:
    """The same metrics with a drop speed filled in."""
    return replace(metrics, speed=speed)
