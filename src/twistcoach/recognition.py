"""What is the person doing, and where is the camera? From one skeleton's 2D geometry.

Pure core: standard library and numpy only.

The features (all from image landmarks, lengths as fractions of the torso's image length
``T`` = |mid-hip -> mid-shoulder|):

``torso_deg``
    Angle of mid-hip -> mid-shoulder from the image's "up": 0 upright, 90 lying across
    the image, 180 head down.
``shoulder_ratio``
    Shoulder width / T. Small (< 0.35) when the camera looks along the shoulder line
    (a side view of a person lying down); about 1 or more when the torso is seen
    end-on (from the feet or the head end).
``knee_up``
    Each knee's offset from the mid-hip perpendicular to the torso, towards the image's
    top, / T: knees pointing at the ceiling in a side view give about +0.6; a knee
    dropped towards the camera goes below the hip line (negative).
``knee_along``
    Each knee's offset along the torso / T (negative = towards the feet).
``twist_ratio``
    Shoulder width / hip width in the image: about 1.6-1.9 when shoulders and hips face
    the same way; far from it when the shoulders turn against the hips.

The thresholds were set on the labelled photographs in ``shared/data/images.csv`` and on
synthetic renders (``tests/synthetic.py``) and are deliberately plain; a skeleton seen in
a stream is better judged by :class:`twistcoach.tracking.TwistTracker`, which also uses
the calibrated knee drop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from twistcoach.landmarks import Landmark, Skeleton
from twistcoach.metrics import PoseFamily, View

FloatArray = NDArray[np.float64]
L = Landmark

#: Camera advice, by view. The measured facts behind them are in DESIGN.md and in the
#: ground-truth benchmark (bench/ACCURACY.md): of the raised diagonals, those 50-60 degrees
#: round from the feet (level with the feet, out to one side) with the lens about 2 m high
#: measured best; nearer the feet corner the error was higher, a lens 1 m high was worst.
ADVICE_RECOMMENDED = (
    "Put the camera out to one side of your mat, level with your feet and about 2 m from "
    "the mat, with the lens about 2 m up (a shelf or a tall tripod), looking down at your "
    "hips at about 35 to 45 degrees, with your whole body in view."
)
VIEW_ADVICE: dict[View, str] = {
    View.OBLIQUE: "",
    View.TOP_DOWN: "",
    View.HEAD_END: "",
    View.SIDE: ("A side view cannot tell which way the knees drop. " + ADVICE_RECOMMENDED),
    View.FEET_END: (
        "From low at your feet the camera cannot see your hips behind your knees. "
        + ADVICE_RECOMMENDED
    ),
    View.UNKNOWN: (
        "I cannot tell where the camera is. Lie on your back with knees up. " + ADVICE_RECOMMENDED
    ),
}

#: Advice when the knees drop away from a diagonal camera: they then move along its line of
#: sight, and the drop reads "unknown" (rendered stills from the recommended place: 14 of
#: 90 far-side drops of 20 degrees or more measured, against 88 of 90 on the near side).
FAR_SIDE_ADVICE = (
    "I can't measure your knees on this side: from here they move straight away from the "
    "camera. For this side, put the camera on the other side of your mat, level with your "
    "feet, then lie still with your knees up for a moment."
)


@dataclass(frozen=True)
class Recognition:
    """The pose family and camera view recognised in one skeleton.

    Attributes
    ----------
    family, family_confidence
        Coarse pose family and a confidence in [0, 1].
    view, view_confidence
        Where the camera is relative to a person lying down (UNKNOWN when not lying).
    measurable
        True when the knee drop can be measured from this view.
    advice
        Plain-language camera advice ("" when the view is fine).
    reason
        Which rule decided the family, in plain words (for explanations and tests).
    """

    family: PoseFamily
    family_confidence: float
    view: View
    view_confidence: float
    measurable: bool
    advice: str
    reason: str = ""


@dataclass(frozen=True)
class Features:
    """The 2D features recognition uses (see the module docs)."""

    torso_deg: float
    shoulder_ratio: float
    twist_ratio: float
    knee_up: tuple[float, float]
    knee_along: tuple[float, float]
    knee_bend_deg: tuple[float, float]
    ankle_below: float
    wrist_below: float
    wrist_to_ankle: float
    torso_px: float
    visibility: float


def _mid(xy: FloatArray, a: Landmark, b: Landmark) -> FloatArray:
    return np.asarray((xy[a] + xy[b]) / 2, dtype=np.float64)


def _bend(xy: FloatArray, hip: Landmark, knee: Landmark, ankle: Landmark) -> float:
    u, v = xy[knee] - xy[hip], xy[ankle] - xy[knee]
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu < 1e-9 or nv < 1e-9:
        return 0.0
    return math.degrees(math.acos(float(np.clip(u @ v / (nu * nv), -1.0, 1.0))))


def features(skeleton: Skeleton) -> Features:
    """Compute the recognition features of one skeleton."""
    xy = skeleton.image_xy
    mh = _mid(xy, L.LEFT_HIP, L.RIGHT_HIP)
    ms = _mid(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    torso = ms - mh
    t = max(float(np.linalg.norm(torso)), 1e-6)
    axis = torso / t
    perp = np.array([axis[1], -axis[0]])
    if perp[1] > 0 or (perp[1] == 0 and perp[0] < 0):
        perp = -perp  # towards the image's top
    sw = float(np.linalg.norm(xy[L.LEFT_SHOULDER] - xy[L.RIGHT_SHOULDER]))
    hw = float(np.linalg.norm(xy[L.LEFT_HIP] - xy[L.RIGHT_HIP]))
    knees = (xy[L.LEFT_KNEE] - mh, xy[L.RIGHT_KNEE] - mh)
    ankle_y = float(_mid(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)[1])
    wrist_y = float(_mid(xy, L.LEFT_WRIST, L.RIGHT_WRIST)[1])
    core = [L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER]
    return Features(
        torso_deg=math.degrees(math.atan2(abs(float(torso[0])), -float(torso[1]))),
        shoulder_ratio=sw / t,
        twist_ratio=sw / max(hw, 1e-6),
        knee_up=(float(knees[0] @ perp) / t, float(knees[1] @ perp) / t),
        knee_along=(float(knees[0] @ axis) / t, float(knees[1] @ axis) / t),
        knee_bend_deg=(
            _bend(xy, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
            _bend(xy, L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
        ),
        ankle_below=(ankle_y - float(mh[1])) / t,
        wrist_below=(wrist_y - float(ms[1])) / t,
        wrist_to_ankle=float(
            np.linalg.norm(
                _mid(xy, L.LEFT_WRIST, L.RIGHT_WRIST) - _mid(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
            )
        )
        / t,
        torso_px=t,
        visibility=float(np.min(skeleton.visibility[core])),
    )


def _upright_twist(f: Features) -> bool:
    # Shoulders turned against the hips change their relative image widths.
    return f.twist_ratio > 1.95 or f.twist_ratio < 1.2


def _family(f: Features) -> tuple[PoseFamily, float, str]:
    straight = min(f.knee_bend_deg) < 25.0
    if f.torso_deg > 125 and f.shoulder_ratio < 0.8:
        if f.ankle_below > 0.6 and f.wrist_to_ankle < 0.8:
            return PoseFamily.STANDING, 0.5, "head below the hips, hands at the feet: forward fold"
        return PoseFamily.OTHER, 0.7, "head below the hips: an inversion or on hands and feet"
    if f.torso_deg < 40 and f.shoulder_ratio < 1.3:
        twist = _upright_twist(f)
        if f.ankle_below > 0.6:
            fam = PoseFamily.STANDING_TWIST if twist else PoseFamily.STANDING
            return fam, 0.7, "torso upright, feet well below the hips"
        fam = PoseFamily.SEATED_TWIST if twist else PoseFamily.SEATED
        return fam, 0.65, "torso upright, feet near the hips"
    lo, hi = min(f.knee_up), max(f.knee_up)
    if f.torso_deg < 125 and f.ankle_below > 0.85 and straight and f.shoulder_ratio < 0.8:
        twist = _upright_twist(f)
        fam = PoseFamily.STANDING_TWIST if twist else PoseFamily.STANDING
        return fam, 0.55, "torso leaning, a straight leg far below the hips"
    if f.torso_deg < 60 and f.ankle_below > 1.2 and hi < 0.2 and max(f.knee_bend_deg) > 30:
        fam = PoseFamily.SEATED_TWIST if _upright_twist(f) else PoseFamily.SEATED
        return fam, 0.45, "torso raised, knees bent, feet far below the hips: on a chair"
    if f.wrist_below > 0.6 and f.torso_deg < 125 and f.shoulder_ratio < 0.8:
        return PoseFamily.OTHER, 0.55, "hands below the shoulders: on all fours or a plank"
    if min(f.knee_bend_deg) > 140 and hi < -0.1:
        return PoseFamily.OTHER, 0.55, "knees folded under the hips: kneeling"
    if 40 <= f.torso_deg <= 78 and lo > 0.2 and f.shoulder_ratio < 0.35:
        return PoseFamily.SEATED, 0.5, "torso raised, knees up: a boat-like sitting pose"
    if min(f.knee_along) > 0.3 and max(f.knee_bend_deg) < 35 and f.shoulder_ratio < 0.45:
        return PoseFamily.SEATED, 0.5, "torso folded over straight legs: a seated forward fold"
    # Lying down.
    bent = max(f.knee_bend_deg) > 35.0
    if f.shoulder_ratio < 0.45:  # side-on: up in the image is up in the room
        if lo < -0.18:
            return PoseFamily.SUPINE_TWIST, 0.65, "a knee dropped below the hip line"
        if bent and hi - lo > 0.3 and lo < 0.35 and max(f.knee_along) < 0.3:
            return PoseFamily.SUPINE_TWIST, 0.55, "one knee lowered across the other"
        return PoseFamily.SUPINE, 0.65, "lying, knees level with each other"
    spread = abs(f.knee_along[0] - f.knee_along[1])
    if max(abs(lo), abs(hi)) > 0.45 or spread > 0.5:
        return PoseFamily.SUPINE_TWIST, 0.55, "knees off to one side of the body"
    return PoseFamily.SUPINE, 0.55, "lying, knees in line with the body"


def _view(f: Features, family: PoseFamily) -> tuple[View, float]:
    if family not in (PoseFamily.SUPINE, PoseFamily.SUPINE_TWIST):
        return View.UNKNOWN, 0.3
    if f.shoulder_ratio < 0.35 and 45 <= f.torso_deg <= 135:
        return View.SIDE, 0.75
    if f.shoulder_ratio >= 0.8 or f.torso_deg > 150:
        return (View.FEET_END if f.torso_deg < 90 else View.HEAD_END), 0.6
    if f.shoulder_ratio >= 0.62 and abs(f.knee_along[0] + f.knee_along[1]) / 2 > 0.5:
        # Thighs seen nearly at full length along the body: from above.
        return View.TOP_DOWN, 0.5
    return View.OBLIQUE, 0.5


def recognize(skeleton: Skeleton, *, min_visibility: float = 0.3) -> Recognition:
    """Recognise the pose family and the camera view in one skeleton.

    Parameters
    ----------
    skeleton
        Image landmarks.
    min_visibility
        Below this visibility of the hips and shoulders nothing is recognised.

    Returns
    -------
    Recognition
        With plain-language advice; ``measurable`` is False for side views (the drop's
        direction cannot be told) and for low feet-end views (MediaPipe loses the hips).
    """
    finite = bool(
        np.all(np.isfinite(skeleton.image_xy)) and np.all(np.isfinite(skeleton.visibility))
    )
    f = features(skeleton) if finite else None
    if f is None or not f.visibility >= min_visibility or not f.torso_px >= 2.0:
        return Recognition(
            PoseFamily.OTHER,
            0.1,
            View.UNKNOWN,
            0.0,
            False,
            "I cannot see your hips and shoulders. " + ADVICE_RECOMMENDED,
            "hips or shoulders not visible",
        )
    family, fconf, reason = _family(f)
    fconf *= min(1.0, 0.5 + f.visibility / 2)
    view, vconf = _view(f, family)
    measurable = view in (View.OBLIQUE, View.TOP_DOWN, View.HEAD_END)
    advice = VIEW_ADVICE[view]
    if view is View.FEET_END and f.shoulder_ratio < 1.3:
        # Raised well above the feet the torso is less foreshortened: MediaPipe copes.
        measurable = True
        advice = ""
    return Recognition(family, round(fconf, 3), view, round(vconf, 3), measurable, advice, reason)
