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

The pose family: a learned classifier, the rules only when it is unsure
----------------------------------------------------------------------------
Rules on a few angles reached their limit on photographs they were not tuned on (57 %
right on 116 real photographs, a third of the other poses called a twist, a top-down
twist with the head down the picture read as an inversion: issue 17). The family now
comes from a small ensemble of five multilayer perceptrons (each :func:`pose_vector` ->
64 -> 64 -> 10 fine classes, their probabilities averaged; numpy only, run fused as one
network, weights in the packaged ``recognition_model.json``), trained offline
by ``bench/recognition/train.py`` on MediaPipe landmarks of public-domain exercise
photographs (free-exercise-db), of the project's rendered people and of synthetic stick
bodies seen from random cameras, lying bodies in every picture orientation
(``bench/recognition/README.md``). Its input is invariant to place, size and picture
rotation (one explicit orientation cue stays, which training teaches to ignore for
pictures taken from above), and a picture and its mirror image read the same.

:func:`recognize` picks the posture first (lying, seated, standing, other), then twist or
not within it: the twist only when it holds :data:`TWIST_MIN_SHARE` of the posture's
probability (an unsure twist reads as the neutral pose). Besides the landmarks, the
classifier reads the knees' sideways lean against the pelvis line and the hips' roll
(:func:`_lean_features`), the cues that part a supine twist from lying with the knees up.
Unsure (no posture at :data:`POSTURE_MIN_PROBABILITY`), it lets the rules
decide only where it gives their posture some weight, with a confidence under the coach's
threshold; otherwise the pose is not recognised (other, low confidence): it never becomes
a reason to encourage or to stop. Measured in ``bench/RECOGNITION.md``.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

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
#: A camera leaning to one side reads the drop worse the more it leans (pictures turned
#: 25 degrees: worst under-read 24.8 against 17.1 level, bench/CAMERA_ROLL.md).
ADVICE_RECOMMENDED = (
    "Put the camera out to one side of your mat, level with your feet and about 2 m from "
    "the mat, with the lens about 2 m up (a shelf or a tall tripod), looking down at your "
    "hips at about 35 to 45 degrees, with your whole body in view. Stand the camera "
    "straight, not leaning to one side."
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
#: Advice while a session waits for its calibration (lying still on the back, knees up).
CALIBRATE_ADVICE = "Lie still on your back with your knees up for a moment to calibrate."

FAR_SIDE_ADVICE = (
    "I can't measure your knees on this side: from here they move straight away from the "
    "camera. For this side, put the camera on the other side of your mat, level with your "
    "feet, then lie still with your knees up for a moment."
)

#: Advice while the calibration finds the picture turned on its side (a phone held or
#: propped the other way, or a portrait recording stored turned without its rotation tag:
#: ``kinematics.CameraTurnedError``); nothing is measured until it is turned back.
CAMERA_TURNED_ADVICE = (
    "The picture is turned on its side, so I cannot measure from it. Turn the camera a "
    "quarter turn so that the floor runs across the picture (for a recording, rotate the "
    "video), then lie still on your back with your knees up for a moment."
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


# --------------------------------------------------------------------------------------
# The learned classifier's input: 13 landmarks, normalised for place, size and rotation
# --------------------------------------------------------------------------------------

#: The landmarks the classifier reads (nose, shoulders, elbows, wrists, hips, knees,
#: ankles; left before right): MediaPipe's face, hand and foot points add little and are
#: the least reliable on photographs of people on the floor.
FEATURE_LANDMARKS: tuple[Landmark, ...] = (
    L.NOSE,
    L.LEFT_SHOULDER,
    L.RIGHT_SHOULDER,
    L.LEFT_ELBOW,
    L.RIGHT_ELBOW,
    L.LEFT_WRIST,
    L.RIGHT_WRIST,
    L.LEFT_HIP,
    L.RIGHT_HIP,
    L.LEFT_KNEE,
    L.RIGHT_KNEE,
    L.LEFT_ANKLE,
    L.RIGHT_ANKLE,
)
#: Index permutation of :data:`FEATURE_LANDMARKS` that swaps left and right.
_MIRROR = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11])
#: Joint angles fed to the classifier: (a, b, c) is the angle at b, in the 13-point order.
_JOINTS = ((7, 9, 11), (8, 10, 12), (1, 3, 5), (2, 4, 6), (1, 7, 9), (2, 8, 10))
#: How many lean and roll features :func:`_lean_features` gives.
_LEAN_SIZE = 6
#: Length of the vector :func:`pose_vector` returns.
POSE_VECTOR_SIZE = 13 * 2 + 13 + 2 + 3 + len(_JOINTS) + _LEAN_SIZE


_JA, _JB, _JC = (np.array(ix) for ix in zip(*_JOINTS, strict=True))


def _joint_angles(p: FloatArray) -> FloatArray:
    """The :data:`_JOINTS` angles of points ``p`` (13, 2), over pi (0 where a bone has no
    length)."""
    u, v = p[_JA] - p[_JB], p[_JC] - p[_JB]
    nu = np.sqrt((u * u).sum(axis=1))
    nv = np.sqrt((v * v).sum(axis=1))
    ok = (nu >= 1e-9) & (nv >= 1e-9)
    cos = (u * v).sum(axis=1) / np.where(ok, nu * nv, 1.0)
    return np.where(ok, np.arccos(np.clip(cos, -1.0, 1.0)) / math.pi, 0.0)


def _ratio(a: float, b: float) -> float:
    """``a / b``, 0 where ``b`` is (nearly) 0."""
    return a / b if b > 1e-9 else 0.0


def _lean_features(q: FloatArray) -> FloatArray:
    """The knees' sideways lean and the hips' roll, the cues that tell a supine twist from
    a supine pose with the knees up (issue 17: lying knees-up stills were the rendered
    non-twists most often called a twist).

    Parameters
    ----------
    q
        Shape (13, 2): the points turned so the torso points up (-y) and centred on the
        mid-hip (:func:`pose_vector`'s intermediate), any scale.

    Returns
    -------
    numpy.ndarray
        Shape (:data:`_LEAN_SIZE`,), each unchanged by a mirror image (absolute values):
        the mid-knee's offset along the pelvis line (hip to hip) over its distance from
        the mid-hip (about 0 for knees straight up or straight along the body, towards 1
        for knees dropped to one side); the same across the torso's axis; the mid-ankle's
        offset across the torso's axis over its distance; |cos| of the knee-to-knee line
        against the pelvis line (1: knees side by side like the hips; 0: one knee above
        the other, as when they are stacked in a twist); hip width over shoulder width
        (the hips roll away from the camera in a twist while the shoulders stay flat:
        clipped to 0-3); the mid-knee's offset across the torso's axis over the torso's
        length.
    """
    hip = q[8] - q[7]
    hw = math.hypot(float(hip[0]), float(hip[1]))
    ux, uy = (float(hip[0]) / hw, float(hip[1]) / hw) if hw > 1e-9 else (1.0, 0.0)
    kx, ky = float(q[9, 0] + q[10, 0]) / 2, float(q[9, 1] + q[10, 1]) / 2
    ax, ay = float(q[11, 0] + q[12, 0]) / 2, float(q[11, 1] + q[12, 1]) / 2
    kd, ad = math.hypot(kx, ky), math.hypot(ax, ay)
    kvx, kvy = float(q[10, 0] - q[9, 0]), float(q[10, 1] - q[9, 1])
    kv = math.hypot(kvx, kvy)
    sw = math.hypot(float(q[2, 0] - q[1, 0]), float(q[2, 1] - q[1, 1]))
    torso = abs(float(q[1, 1] + q[2, 1]) / 2)
    return np.array(
        [
            abs(_ratio(kx * ux + ky * uy, kd)),
            abs(_ratio(kx, kd)),
            abs(_ratio(ax, ad)),
            abs(_ratio(kvx * ux + kvy * uy, kv)),
            min(_ratio(hw, sw), 3.0),
            min(abs(_ratio(kx, torso)), 3.0),
        ]
    )


def mirrored(points: FloatArray) -> FloatArray:
    """The landmarks (..., 13, 2) of the mirror image: x negated, left and right swapped."""
    m = np.asarray(points, dtype=np.float64)[..., _MIRROR, :].copy()
    m[..., 0] = -m[..., 0]
    return m


def pose_vector(points: FloatArray, *, mirror: bool = False) -> FloatArray:
    """The classifier's input for one person, invariant to place, size and image rotation
    except for one explicit orientation cue.

    Parameters
    ----------
    points
        Shape (13, 2): the :data:`FEATURE_LANDMARKS` in pixels (x right, y down).
    mirror
        Describe the mirror image instead (x flipped, left and right swapped): the
        classifier averages both, so it cannot tell a pose from its mirror image.

    Returns
    -------
    numpy.ndarray
        Shape (:data:`POSE_VECTOR_SIZE`,): the 13 points turned so mid-hip -> mid-shoulder
        points up the picture, centred on the mid-hip and divided by the body's spread
        (the RMS distance of the 12 body points from their mean); each point's height
        above the mid-hip in the picture as it is (over the spread: up the picture is up
        in the room for a photograph taken from the side); the torso's angle to the
        picture's up as (cos, sin) (a picture taken from above has no up: training shows
        lying bodies at every angle); torso length, shoulder width and hip width over the
        spread; knee, elbow and hip angles over pi; the knees' lean and the hips' roll
        (:func:`_lean_features`).
    """
    p = mirrored(points) if mirror else np.asarray(points, dtype=np.float64)
    mh = (p[7] + p[8]) / 2
    torso = (p[1] + p[2]) / 2 - mh
    angle = math.atan2(float(torso[0]), -float(torso[1]))  # 0 = head up the picture
    c, s = math.cos(angle), math.sin(angle)
    # Rotate by -angle about the mid-hip (image coordinates, y down).
    rot = np.array([[c, s], [-s, c]])
    q = (p - mh) @ rot.T
    body = q[1:]
    centred = body - body.sum(axis=0) / len(body)
    spread = max(math.sqrt(float((centred * centred).sum()) / len(body)), 1e-6)
    q = q / spread
    lengths = [
        math.hypot(float(torso[0]), float(torso[1])) / spread,
        math.hypot(*(float(d) for d in p[1] - p[2])) / spread,
        math.hypot(*(float(d) for d in p[7] - p[8])) / spread,
    ]
    height = -(p[:, 1] - mh[1]) / spread
    lean = _lean_features(q)
    return np.concatenate([q.ravel(), height, [c, s], lengths, _joint_angles(p), lean])


def _mirror_map() -> tuple[NDArray[np.intp], FloatArray]:
    """Index and sign that turn a pose vector into its mirror image's: ``v[index] * sign``.

    The mirror image (:func:`mirrored`) swaps left and right, negates the turned points'
    x and the torso angle's sine, and leaves heights, lengths, angles (swapped in pairs)
    and the lean features (absolute values) as they are; the packaged tests check that
    this equals :func:`pose_vector` of the mirrored points."""
    index = np.arange(POSE_VECTOR_SIZE)
    sign = np.ones(POSE_VECTOR_SIZE)
    for i, j in enumerate(_MIRROR):
        index[2 * i], index[2 * i + 1] = 2 * j, 2 * j + 1
        sign[2 * i] = -1.0
        index[26 + i] = 26 + j
    sign[26 + 13 + 1] = -1.0  # sin of the torso's angle
    joints = 26 + 13 + 2 + 3
    for a in range(0, len(_JOINTS), 2):
        index[joints + a], index[joints + a + 1] = joints + a + 1, joints + a
    return index, sign


_MIRROR_INDEX, _MIRROR_SIGN = _mirror_map()


def mirror_vector(vector: FloatArray) -> FloatArray:
    """The pose vector (..., :data:`POSE_VECTOR_SIZE`) of the mirror image, from the
    picture's own (equal to ``pose_vector(points, mirror=True)``, without recomputing)."""
    return np.asarray(vector[..., _MIRROR_INDEX] * _MIRROR_SIGN, dtype=np.float64)


#: The classifier's fine classes, in its output order; each belongs to one family.
FINE_CLASSES: tuple[str, ...] = (
    "supine_twist",
    "supine",
    "seated_twist",
    "seated",
    "standing_twist",
    "standing",
    "prone",
    "kneeling",
    "inversion",
    "side_lying",
)
FINE_TO_FAMILY: dict[str, PoseFamily] = {
    "supine_twist": PoseFamily.SUPINE_TWIST,
    "supine": PoseFamily.SUPINE,
    "seated_twist": PoseFamily.SEATED_TWIST,
    "seated": PoseFamily.SEATED,
    "standing_twist": PoseFamily.STANDING_TWIST,
    "standing": PoseFamily.STANDING,
    "prone": PoseFamily.OTHER,
    "kneeling": PoseFamily.OTHER,
    "inversion": PoseFamily.OTHER,
    "side_lying": PoseFamily.OTHER,
}
#: The posture each family belongs to; a twist and its neutral pose share one.
POSTURE: dict[PoseFamily, str] = {
    PoseFamily.SUPINE_TWIST: "lying",
    PoseFamily.SUPINE: "lying",
    PoseFamily.SEATED_TWIST: "seated",
    PoseFamily.SEATED: "seated",
    PoseFamily.STANDING_TWIST: "standing",
    PoseFamily.STANDING: "standing",
    PoseFamily.OTHER: "other",
}
#: The twists, one per posture.
TWIST_FAMILIES = frozenset(
    {PoseFamily.SUPINE_TWIST, PoseFamily.SEATED_TWIST, PoseFamily.STANDING_TWIST}
)
#: Lying down (surely), the rules' supine twist (a knee below the hip line in a side view,
#: knees off to one side) is taken when the classifier gives the twist at least this share
#: of lying: on the shared clip of a reclining twist the classifier
#: gives the dropped knees 0.31-0.47 where the rules see them, 0.04-0.22 before the drop;
#: on synthetic photographs this raised the non-twists called a twist from 11 to 19 of 290
#: (seated and standing left to the classifier: there the rules' twist cue, shoulder
#: against hip width, called most rendered neutral poses a twist). Rechecked with the
#: retrained model on the validation data (``bench/recognition/validate.py``): 0.3 / 0.45 /
#: never gave 193 / 191 / 189 of 210 synthetic twists found and 40 / 34 / 31 of 870
#: synthetic non-twists called a twist (free-exercise-db validation unchanged, 4 of 172).
#: With the 5-network ensemble (:data:`TWIST_MIN_SHARE` 0.7): 191 / 189 / 184 of 210
#: twists, 24 / 22 / 17 of 870 false twists, free-exercise-db 6 / 6 / 5 of 172 (never
#: drops twist recall under the 90 % target: 0.3 kept).
RULE_TWIST_MIN_SHARE = 0.3
#: Within a sure posture the twist is named only when it holds at least this share of the
#: posture's probability; below it the neutral pose is named (fail safe: a pose the coach
#: is unsure is a twist is not measured as one). Chosen on the validation data
#: (``bench/recognition/validate.py``), never on the development photographs: with the
#: shipped 5-network ensemble 0.6 / 0.7 gave 141 / 143 of 174 free-exercise-db validation
#: pictures right and called 9 / 6 of their 172 non-twists a twist; on 1080 synthetic
#: validation photographs 959 / 963 right, 30 / 24 of 870 non-twists a twist and 192 / 191
#: of 210 twists found (a 3-network ensemble at 0.8: 4 of 172, but 183 of 210 twists, under
#: the 90 % target). The single network before it used 0.6.
TWIST_MIN_SHARE = 0.7
#: Below this probability of its posture the classifier is unsure (see :func:`recognize`).
POSTURE_MIN_PROBABILITY = 0.5
#: An unsure classifier still lets the rules decide when it gives the rules' posture at
#: least this probability; otherwise the pose is not recognised.
RULE_MIN_PROBABILITY = 0.25


@dataclass(frozen=True)
class _Classifier:
    """The packaged ensemble of multilayer perceptrons (``recognition_model.json``), fused.

    Each member normalises the pose vector by its own mean and spread and runs ReLU layers
    to one logit per fine class; its softmax probabilities are averaged over the members.
    The members run as one wide network (the normalisation folded into the first layer,
    the later layers block-diagonal), so an ensemble costs as many numpy calls as one
    member.

    Attributes
    ----------
    layers
        ``(w, b)`` of the fused layers: the first (input size, members x hidden), the
        last (members x hidden, members x classes).
    members
        How many networks the fused layers hold.
    classes
        The fine class names, in output order.
    """

    layers: tuple[tuple[FloatArray, FloatArray], ...]
    members: int
    classes: tuple[str, ...]

    def probabilities(self, vectors: FloatArray) -> FloatArray:
        """Class probabilities, shape (N, classes), of pose vectors (N, input size)."""
        h = vectors
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        z = h.reshape(len(h), self.members, len(self.classes))
        z = z - z.max(axis=2, keepdims=True)
        e = np.exp(z)
        return np.asarray((e / e.sum(axis=2, keepdims=True)).mean(axis=1), dtype=np.float64)


def _block_diagonal(blocks: list[FloatArray]) -> FloatArray:
    """The block-diagonal matrix of ``blocks`` (each 2-D)."""
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def classifier_from_doc(doc: dict[str, Any]) -> _Classifier:
    """The fused classifier of a model document (the JSON ``train.py`` writes).

    Raises
    ------
    ValueError
        When the document's classes or input size do not match this module.
    """
    classes = tuple(str(c) for c in doc["classes"])
    if classes != FINE_CLASSES or int(doc["input_size"]) != POSE_VECTOR_SIZE:
        raise ValueError("recognition_model.json does not match this twistcoach.recognition")
    members = list(doc["members"])
    per_layer: list[list[tuple[FloatArray, FloatArray]]] = []
    for m in members:
        mean = np.asarray(m["mean"], dtype=np.float64)
        std = np.asarray(m["std"], dtype=np.float64)
        layers = [
            (np.asarray(x["w"], dtype=np.float64), np.asarray(x["b"], dtype=np.float64))
            for x in m["layers"]
        ]
        w0, b0 = layers[0]
        # ((v - mean) / std) @ w0 + b0 == v @ (w0 / std) + (b0 - (mean / std) @ w0)
        layers[0] = (w0 / std[:, None], b0 - (mean / std) @ w0)
        for i, layer in enumerate(layers):
            if len(per_layer) <= i:
                per_layer.append([])
            per_layer[i].append(layer)
    fused = tuple(
        (
            np.concatenate([w for w, _ in group], axis=1)
            if i == 0
            else _block_diagonal([w for w, _ in group]),
            np.concatenate([b for _, b in group]),
        )
        for i, group in enumerate(per_layer)
    )
    return _Classifier(fused, len(members), classes)


@functools.cache
def _classifier() -> _Classifier:
    """Read the packaged weights once per process (trained by bench/recognition/train.py)."""
    text = (resources.files("twistcoach") / "recognition_model.json").read_text("utf-8")
    return classifier_from_doc(json.loads(text))


def fine_probabilities(points: FloatArray) -> FloatArray:
    """The classifier's probabilities of :data:`FINE_CLASSES` for one person.

    Parameters
    ----------
    points
        Shape (13, 2): the :data:`FEATURE_LANDMARKS` in pixels.

    Returns
    -------
    numpy.ndarray
        Shape (len(FINE_CLASSES),), summing to 1: the mean of the picture's and its mirror
        image's probabilities, so a pose and its mirror image read the same.
    """
    v = pose_vector(points)
    both = np.stack([v, mirror_vector(v)])
    return np.asarray(_classifier().probabilities(both).mean(axis=0), dtype=np.float64)


def family_probabilities(skeleton: Skeleton) -> dict[PoseFamily, float]:
    """The classifier's probability of each pose family in one skeleton (summing to 1)."""
    fine = fine_probabilities(skeleton.image_xy[[int(m) for m in FEATURE_LANDMARKS]])
    out = dict.fromkeys(PoseFamily, 0.0)
    for name, p in zip(FINE_CLASSES, fine, strict=True):
        out[FINE_TO_FAMILY[name]] += float(p)
    return out


def twist_share(skeleton: Skeleton) -> float:
    """The classifier's supine-twist probability over its lying probabilities (supine twist
    plus supine) for one skeleton, in [0, 1]; 0 when it sees neither (not lying)."""
    p = family_probabilities(skeleton)
    lying = p[PoseFamily.SUPINE_TWIST] + p[PoseFamily.SUPINE]
    return p[PoseFamily.SUPINE_TWIST] / lying if lying > 1e-9 else 0.0


def _classified(
    probs: dict[PoseFamily, float], rule: tuple[PoseFamily, float, str]
) -> tuple[PoseFamily, float, str]:
    """The family from the classifier's probabilities, the rules only when it is unsure.

    The posture (lying, seated, standing, other) is chosen first, then twist or not within
    it; the family's confidence is its own probability. An unsure classifier (its best
    posture under :data:`POSTURE_MIN_PROBABILITY`) defers to the rules when it does not
    contradict them, with a confidence kept under the coach's threshold; otherwise the pose
    is not recognised (other, low confidence: never a reason to encourage or to stop).
    """
    posture_p: dict[str, float] = {}
    for family, p in probs.items():
        posture_p[POSTURE[family]] = posture_p.get(POSTURE[family], 0.0) + p
    posture = max(posture_p, key=lambda k: posture_p[k])
    if posture_p[posture] < POSTURE_MIN_PROBABILITY:
        family, conf, reason = rule
        rule_p = posture_p[POSTURE[family]]
        if rule_p >= RULE_MIN_PROBABILITY:
            return family, min(conf, rule_p), f"classifier unsure; rules: {reason}"
        return PoseFamily.OTHER, 0.2, "not recognised: the classifier is unsure"
    members = [f for f in PoseFamily if POSTURE[f] == posture]
    twist = next((f for f in members if f in TWIST_FAMILIES), None)
    if twist is None:
        family = members[0]
    elif probs[twist] >= TWIST_MIN_SHARE * posture_p[posture]:
        family = twist
    else:
        family = next(f for f in members if f is not twist)
    if (
        posture == "lying"
        and twist is not None
        and family is not twist
        and rule[0] is twist
        and probs[twist] >= RULE_TWIST_MIN_SHARE * posture_p[posture]
    ):
        # The posture is sure, twist or not is close, and the rules see the twist.
        p = probs[twist]
        return twist, p, f"classifier: {posture}, twist by the rules: {rule[2]} (p={p:.2f})"
    p = probs[family]
    return family, p, f"classifier: {family.value.replace('_', ' ')} (p={p:.2f})"


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
    family, fconf, reason = _classified(family_probabilities(skeleton), _family(f))
    fconf *= min(1.0, 0.5 + f.visibility / 2)
    view, vconf = _view(f, family)
    measurable = view in (View.OBLIQUE, View.TOP_DOWN, View.HEAD_END)
    advice = VIEW_ADVICE[view]
    if view is View.FEET_END and f.shoulder_ratio < 1.3:
        # Raised well above the feet the torso is less foreshortened: MediaPipe copes.
        measurable = True
        advice = ""
    return Recognition(family, round(fconf, 3), view, round(vconf, 3), measurable, advice, reason)
