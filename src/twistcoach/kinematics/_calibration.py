"""Calibration: the camera and the person's body fitted to a neutral supine pose.

:func:`calibrate` fits a pinhole camera and the body model's free shape parameters to the
2D landmarks of frames of a person lying flat with the knees up (``theta = rho = sigma =
0``) by a batched Levenberg-Marquardt from many camera starts on the hemisphere above the
floor, refuses a pose that is better explained with the knees dropped
(:class:`CalibrationError`), then refits the thigh so the neutral knees sit where they are
seen. :func:`estimate_calibration` makes a rough one from a single skeleton in any supine
pose (single photographs). :func:`_knee_cost` is the knee's image residual that both the
thigh refit and the measurement's knee search minimise.

Pure core: standard library and numpy only; no clocks, no I/O.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from twistcoach.kinematics._angles import FloatArray
from twistcoach.kinematics._body import (
    _ANKLE_HEIGHT,
    _LA,
    _MODEL_INDEX,
    _RA,
    MODEL_LANDMARKS,
    TEMPLATE_THIGH_M,
    BodyModel,
    _body_scale_px,
    _hip_rise,
    _mid_hip_point,
    _mid_knee_vector,
    template_body,
)
from twistcoach.kinematics._camera import (
    Camera,
    default_focal,
    look_at,
    matrix_to_rotvec,
    rotvec_to_matrix,
)
from twistcoach.kinematics._views import view_from_camera
from twistcoach.landmarks import Landmark, Skeleton
from twistcoach.metrics import BodyType, View

#: A calibration pose fitted much better with the knees dropped this far is refused.
DROPPED_DEG = 20.0


class CalibrationError(ValueError):
    """The frames given to :func:`calibrate` are not a usable neutral supine pose."""


#: Why :func:`calibrate` refuses a picture turned on its side (:data:`MAX_CAMERA_ROLL_DEG`):
#: a phone held or propped the other way, or a recording or photograph stored turned (a
#: portrait video without its rotation tag).
CAMERA_TURNED_REFUSAL = (
    "the picture is turned on its side: hold the camera the other way, or rotate the video "
    "or photo a quarter turn, so that the floor runs across the picture"
)


class CameraTurnedError(CalibrationError):
    """The frames show the picture turned on its side (:data:`MAX_CAMERA_ROLL_DEG`).

    Apart from the other refusals because no estimate from the pose mends it: fitted to a
    turned picture with the camera held level, the camera comes out straight overhead, the
    one place where every turn of the picture is level (the tracker then makes none,
    ``tracking.TwistTracker``).
    """


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

    @functools.cached_property
    def flat_line_px(self) -> tuple[float, float]:
        """Image lengths (pixels, at least 1) of the hip and the shoulder lines lying flat
        where calibrated: the scales against which the measurement judges how well a
        pelvis or shoulder roll explains its line (``PELVIS_LINE_MAX_MISFIT``,
        ``TWIST_SHOULDER_MAX_MISFIT`` in the measurement)."""
        model = self.model
        half_hip = model.hip_width * self.width_scale / 2
        half_shoulder = model.shoulder_width * self.width_scale / 2
        hip_z, shoulder_y, shoulder_z = model.hip_height, model.torso_length, model.shoulder_height
        px = self.camera.project(
            np.array(
                [
                    [half_hip, 0.0, hip_z],
                    [-half_hip, 0.0, hip_z],
                    [half_shoulder, shoulder_y, shoulder_z],
                    [-half_shoulder, shoulder_y, shoulder_z],
                ]
            )
        )
        return (
            max(float(np.hypot(*(px[0] - px[1]))), 1.0),
            max(float(np.hypot(*(px[2] - px[3]))), 1.0),
        )

    @property
    def elevation_deg(self) -> float:
        """Height of the camera above the floor seen from the mid-hip, degrees."""
        c = self.camera.centre
        return math.degrees(math.atan2(float(c[2]), float(np.hypot(c[0], c[1]))))

    @property
    def roll_deg(self) -> float:
        """How far the picture is turned from level, degrees: the image's x axis against
        the floor (0: the floor runs across the picture; positive: its right side up)."""
        x_axis = self.camera.rotation[0]
        return math.degrees(math.asin(max(-1.0, min(1.0, float(x_axis[2])))))

    @property
    def azimuth_deg(self) -> float:
        """Direction of the camera around the body, degrees: 0 = feet end, 90 = the
        person's left side, 180 = head end, -90 = right side."""
        c = self.camera.centre
        return math.degrees(math.atan2(float(c[0]), float(-(c[1] - 0.25))))


#: Landmarks whose visibility is needed for measuring: the model's hips, shoulders and
#: knees (its ankles only place the feet).
_CORE = MODEL_LANDMARKS[:6]


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


#: The knee's angle in the picture (hip -> knee -> ankle, degrees) that each leg of a
#: person lying knees up shows, by the view the calibration finds. Measured on the rendered
#: neutral stills (18 bodies x 19 cameras, the views calibrate() accepted; heavy / full
#: landmark model): oblique 55-138 / 60-173 (199 / 200 stills: from the feet's corner the
#: bent leg is seen almost edge-on, so no upper bound), side 76-105 / 73-105, top-down
#: 157-180 / 164-180 (thigh and shank seen from above along one line); 15-29 degrees to
#: spare. The head and feet ends see the legs end-on: any angle, no bound. Without these a
#: person standing in tree pose filmed with the phone turned (one leg at 174, the other
#: folded at 27) and a lotus or bound angle seen from above (12-30) calibrated as lying
#: knees up.
KNEES_UP_LEG_ANGLE_DEG: dict[View, tuple[float, float]] = {
    View.OBLIQUE: (40.0, 180.0),
    View.SIDE: (40.0, 180.0),
    View.TOP_DOWN: (135.0, 180.0),
}

#: The largest difference between the two legs' angles in the picture lying knees up, in
#: the views of :data:`KNEES_UP_LEG_ANGLE_DEG` (degrees): measured at most 42 (heavy) and
#: 31 (full) on the same stills; a tree pose shows 147.
KNEES_UP_LEG_GAP_DEG = 65.0


#: The largest tilt of the picture from level a calibration accepts (degrees), from every
#: view; past it :func:`calibrate` raises :class:`CameraTurnedError`. The level camera's
#: prior (:data:`CALIBRATION_LEVEL_WEIGHT`) pulls every fit towards level: the rendered
#: neutral stills (level cameras, 18 bodies x 19 cameras, heavy model) calibrate at most
#: 9.1 off; the demo session filmed with the phone on its side (turned 90 degrees)
#: calibrated 28.5 (heavy) and 27.8 (full) off, and read the knee drop at half its size
#: (22.8 against 45.9 degrees), so the coach missed its "ease back" past the cap.
#:
#: Overhead too (it was not checked there: "a picture from straight above has no up").
#: A camera looking straight down reads a roll of about 0 whichever way its picture is
#: turned (the roll is at most the camera's tilt from straight down), so the limit costs
#: a true overhead camera nothing: the rendered top-down stills, as taken and turned 90
#: degrees either way (53 per landmark model), all calibrate overhead, 77.1-90 degrees up,
#: at most 5.8 off level. Turned raised cameras, on the other hand, fit as "top-down" (the
#: only place a turned picture can look level) 65-87 degrees up and mostly 18-27 off level:
#: the neutral stills of the other 18 rendered places turned 90 degrees either way did so
#: 122 times in 600 (full model) and 92 in 521 (heavy), and the diagonal 55 degrees up and
#: 25 round from the feet was accepted as overhead 14 times (full: 65-76 up, 15.4-23.9 off
#: level) and 10 (heavy: 66-70 up, 21.5-23.8 off). With the limit overhead as well, one of
#: them is (full model, 76 up, 15.4 off); no top-down still is refused.
MAX_CAMERA_ROLL_DEG = 18.0


def leg_angles_px(xy: FloatArray) -> tuple[float, float]:
    """The knee's angle in the picture for each leg (left, right), degrees.

    Parameters
    ----------
    xy
        (33, 2) landmark pixels.

    Returns
    -------
    tuple of float
        Hip -> knee -> ankle angle at the knee, 0-180 (180: a straight line).
    """
    angles = []
    for hip, knee, ankle in (
        (Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
        (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    ):
        u = xy[hip] - xy[knee]
        v = xy[ankle] - xy[knee]
        norm = float(np.linalg.norm(u) * np.linalg.norm(v))
        cos = float(np.dot(u, v)) / norm if norm > 0 else 1.0
        angles.append(math.degrees(math.acos(min(1.0, max(-1.0, cos)))))
    return angles[0], angles[1]


def _legs_bent_as_knees_up(xy: FloatArray, view: View) -> bool:
    """True when both legs show the knee angle lying knees up gives from ``view``."""
    bounds = KNEES_UP_LEG_ANGLE_DEG.get(view)
    if bounds is None:
        return True
    low, high = bounds
    left, right = leg_angles_px(xy)
    return (
        low <= min(left, right)
        and max(left, right) <= high
        and (abs(left - right) <= KNEES_UP_LEG_GAP_DEG)
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
    turned = abs(cal.roll_deg) > MAX_CAMERA_ROLL_DEG
    # Overhead, a fit that far off level is a turned picture (MAX_CAMERA_ROLL_DEG), and the
    # legs judged as seen from overhead say nothing: it is named for its turn. The rendered
    # neutral stills turned 90 degrees were refused for their legs 159 times (full model 82,
    # heavy 77), 153 of them fitted overhead and past the limit; of the stills as taken,
    # one was refused for its legs past the limit (heavy, fitted at the feet end 24 off
    # level, a level camera): elsewhere the legs come first.
    if turned and cal.view is View.TOP_DOWN:
        raise CameraTurnedError(CAMERA_TURNED_REFUSAL)
    if not _legs_bent_as_knees_up(xy, cal.view):
        raise CalibrationError("bend your knees so they point up, feet flat on the floor")
    if turned:
        raise CameraTurnedError(CAMERA_TURNED_REFUSAL)
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


#: With no body type said, a calibration from the neutral template whose refitted thigh
#: (:attr:`Calibration.leg_scale`, :func:`_refit_thigh`) comes out shorter than this is made
#: again from the female template (:func:`calibrate_for`). The neutral template's thigh is
#: too long for women with short thighs, and a template thigh that is too long reads large
#: drops short (issue 17: a 1.50 m woman's drop of 55-70 deg read 11-13.5 deg short). Chosen
#: on issue 17's tuning bodies (their mean refitted thigh from the recommended place, heavy
#: landmark model: the three shortest women 0.88-0.93, the other two 0.98 and 1.02, the men
#: 1.00-1.05; full model 0.91-0.92 against 1.00-1.07 and 1.02-1.08), 0.95 in the gap. The
#: rendered stills and clips from the recommended place, true drops up to 70 deg, neutral
#: template (MAE / worst): heavy model, held out 2.10 / 13.5 -> 2.00 / 10.2 deg, tuning
#: 2.14 / 13.1 -> 2.25 / 9.6; full model, held out 2.64 / 17.3 -> 2.57 / 17.3, tuning
#: 3.04 / 21.2 -> 2.99 / 17.3.
SHORT_THIGH_LEG_SCALE = 0.95


def calibrate_for(body: BodyType, fit: Callable[[BodyModel], Calibration]) -> Calibration:
    """The session's calibration for a person of ``body`` type: ``fit`` (a calibration of
    this session's frames from a template body, :func:`calibrate` or a tracker's own
    calibrator) from the template of :func:`template_body`.

    A body type the person said is used as it is. With none said (``NEUTRAL``), a refitted
    thigh shorter than :data:`SHORT_THIGH_LEG_SCALE` times the neutral template's has the
    frames fitted again from the female template (the first fit is kept if that one is
    refused). Never the male template: a longer template thigh reads large drops short,
    the unsafe side, and the tuning bodies' refitted thighs did not tell long-thighed women
    from men (a male template above 1.03: with the full model two of the five tuning women
    and two of the four held-out ones would have been measured as men, the held-out worst
    17.3 -> 18.1 deg).

    Raises
    ------
    CalibrationError
        From the first fit, when the frames are not a usable neutral pose.
    """
    cal = fit(template_body(body))
    if BodyType(body) is not BodyType.NEUTRAL or cal.leg_scale >= SHORT_THIGH_LEG_SCALE:
        return cal
    try:
        return fit(template_body(BodyType.FEMALE))
    except CalibrationError:
        return cal


def template_of(cal: Calibration) -> BodyType | None:
    """The body type whose template (:func:`template_body`) ``cal`` was made from, by its
    thigh; None for another body model."""
    thigh = cal.model.thigh_length
    return next((body for body, t in TEMPLATE_THIGH_M.items() if t == thigh), None)


def _mid_knee_point(cal: Calibration, theta: float, phi: float) -> FloatArray:
    """The model's mid-knee (model frame, metres, shape (3,)) at drop ``theta`` and thigh
    elevation ``phi`` (radians); the scalar form of :func:`_knee_cost`'s knee."""
    model = cal.model
    thigh = model.thigh_length * cal.leg_scale
    sp = math.sin(phi) * thigh
    return np.array(
        [-math.sin(theta) * sp, -math.cos(phi) * thigh, model.hip_height + math.cos(theta) * sp]
    )


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


#: Weight (per metre) of the neutral pose's feet resting on the floor in calibration.
FEET_WEIGHT = 1.0

#: Weight of the camera held level (image x axis horizontal) in calibration. A camera on a
#: shelf or tripod is level within a few degrees; without this the neutral pose leaves the
#: camera's azimuth loose against the thigh's length (rendered women: 8 degrees off from the
#: recommended place, 4.6 with it; knee drop MAE 3.2 -> 3.0, worst 17.7 -> 14.5). Kept
#: weak: at 0.5 and more the real near-side clip (shared data, camera about 74 degrees
#: round and 19 up, close to a side view) read its drop on the wrong side.
CALIBRATION_LEVEL_WEIGHT = 0.3

#: Weight of the knee line's residual against the hip -> knee vector's in the knee search.
KNEE_LINE_WEIGHT = 1.0


def _knee_points(cal: Calibration, theta: FloatArray, phi: FloatArray) -> FloatArray:
    """The model points :func:`_knee_cost` projects for a grid of knee drops ``theta`` and
    thigh elevations ``phi`` (radians, broadcast together to shape ``S``): shape
    ``(4,) + S + (3,)``, metres in the model frame: the mid-knee, the mid-knee plus and
    minus half the knee gap (left, right), and MediaPipe's mid-hip."""
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
    return np.stack([knee, knee + lateral, knee - lateral, hip])


def _knee_residuals(
    px: FloatArray, obs_vec: FloatArray, scale: float, obs_line: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`_knee_cost`'s two residuals from :func:`_knee_points` projected (pixels,
    shape ``(4,) + S + (2,)``): each of shape ``S``."""
    diff = px[0] - px[3] - obs_vec
    line = px[1] - px[2] - obs_line
    vec_cost = (diff[..., 0] ** 2 + diff[..., 1] ** 2) / scale**2
    line_cost = KNEE_LINE_WEIGHT * (line[..., 0] ** 2 + line[..., 1] ** 2) / scale**2
    return np.asarray(vec_cost), np.asarray(line_cost)


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
    px = cam.project(_knee_points(cal, theta, phi))
    return _knee_residuals(px, obs_vec, scale, obs_line)
