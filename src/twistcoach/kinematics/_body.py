"""The articulated body model of a person lying on the back, and what MediaPipe sees of it.

:class:`BodyModel` places hips, shoulders, knees and ankles (metres, model frame: x to the
person's left, y from hips to shoulders, z up from the floor) as a function of knee drop,
pelvis and shoulder roll, thigh elevation and knee flexion; :data:`TEMPLATE_THIGH_M` holds
the measured template thighs per :class:`~twistcoach.metrics.BodyType`;
:data:`HIP_LANDMARK_RISE_M` models where MediaPipe's mid-hip landmark sits as the pelvis
rolls (measured on the rendered ground truth). Also the image-side helpers that read the
same points from observed landmarks (body size, mid-hip -> mid-knee vector).

Pure core: standard library and numpy only; no clocks, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from twistcoach.kinematics._angles import FloatArray
from twistcoach.landmarks import Landmark
from twistcoach.metrics import BodyType

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
#: does not say (and for single photographs), unless the calibration then finds a short
#: thigh (``_calibration.calibrate_for``: the female template).
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


def _body_scale_px(xy: FloatArray) -> float:
    """A size of the body in the image, pixels (never zero)."""
    pts = xy[_MODEL_INDEX]
    span = float(np.max(np.ptp(pts, axis=0)))
    return max(span, 1.0)


def _mid_knee_vector(xy: FloatArray) -> FloatArray:
    """Observed mid-hip -> mid-knee image vector, pixels, shape (2,)."""
    return np.asarray(
        (xy[Landmark.LEFT_KNEE] + xy[Landmark.RIGHT_KNEE]) / 2
        - (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    )


def _mid_hip_point(model: BodyModel) -> FloatArray:
    """The model's mid-hip (model frame, metres, shape (3,)): the thighs' pivot."""
    return np.array([0.0, 0.0, model.hip_height])


#: Height of the ankle landmarks above the floor with the feet flat, metres.
_ANKLE_HEIGHT = 0.07

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


def _hip_rise(theta: FloatArray | float) -> FloatArray:
    """How far MediaPipe's mid-hip sits above the hip joints at knee drop ``theta``
    (radians; the pelvis rolls with the knees), metres: :data:`HIP_LANDMARK_RISE_M`."""
    return np.asarray(HIP_LANDMARK_RISE_M * (1.0 - np.cos(theta)), dtype=np.float64)
