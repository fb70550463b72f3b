"""Trunk rotation for seated and standing twists, and the compensations a teacher watches.

Pure core: standard library and numpy only; no clocks, no I/O.

Definitions (``docs/measuring.md``, "Seated and standing twists: trunk rotation")
----------------------------------------------------------------------------------
All angles are in degrees, computed in a right-handed frame. For a
:class:`~twistcoach.landmarks.Skeleton` that frame is the image's: x right, y down (pixels)
and z = MediaPipe's relative depth (``image_z``, pixels, larger = further from the camera).
For the ground-truth renderer it is the body's own 3D frame (metres).

long axis ``a``
    mid-hip → mid-shoulder, normalised. The transverse plane is perpendicular to it.
trunk rotation
    The signed angle, in the transverse plane, from the pelvis line (right hip → left hip)
    to the shoulder line (right shoulder → left shoulder): ``-atan2((h × s)·a, h·s)`` with
    ``h``, ``s`` those lines projected on the plane. **Positive towards the person's
    right** (their chest turns to their right, as the supine knee drop), 0 = shoulders
    square to the hips. The normal active range is about 45 degrees each way (CLINICAL.md
    §5). The pelvis is the reference, so leaning or turning the whole body changes nothing.
pelvis turn (pelvis stability)
    How far the pelvis line has turned about the long axis since the calibration (sitting
    tall, facing forward), same sign; a seated twist keeps it near 0 ("pelvis square").
side bend
    The long axis's tilt towards the person's right, in degrees from the reference up (the
    calibration's long axis, else the image's up): ``asin(a·r)`` with ``r`` the person's
    right (the pelvis line reversed, made perpendicular to the reference up). Positive
    leaning to the right.
shoulder hiking
    How much of the calibrated height of an ear above its shoulder (2D, along the trunk,
    as a share of the trunk's 2D length) has gone, in percent, the larger of both sides;
    0 = as calibrated, positive = shoulder lifted towards the ear.

Each value comes with a confidence in [0, 1]; below :data:`MIN_CONFIDENCE` the value is
``None`` ("unknown") and the coach must not cue on it.

Confidence (provisional, see ``docs/measuring.md``): the smallest visibility of the
landmarks used × how much of the lines lies across the image (the depth from one camera
is the least reliable coordinate: a line seen end-on, from the side, is mostly depth).
With a calibration the rotation is also unknown when the person has moved nearer or
further (:data:`DISTANCE_TOLERANCE`) or when a clear turn's side is not sure
(:data:`SIDE_MIN_DEG`): fail safe, a number only where the renders read it right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from twistcoach.landmarks import Landmark, Skeleton

FloatArray = NDArray[np.float64]

#: Below this confidence a value is unknown (``None``); same default as the knee drop.
MIN_CONFIDENCE = 0.5
#: A line whose image (2D) length is at least this share of its 3D length counts as fully
#: "across the image"; shorter lines are mostly depth and lower the confidence linearly.
ACROSS_SHARE = 0.7
#: The side bend is unknown when the pelvis line lies less than this share across the
#: image (end-on, its direction is mostly depth); full confidence when it lies flat across.
SIDE_BEND_MIN_ACROSS = 0.5
#: The 2D foreshortening is used only from this turn on: below it ``acos`` turns a 1% change
#: of the shoulders' width (MediaPipe's jitter, or leaning nearer) into 8 degrees, which read
#: a person sitting square as turned 8 degrees on a rendered clip (bench/ACCURACY_SEATED.md).
FORESHORTENING_MIN_DEG = 15.0
#: With a calibration the depth reading (less its square-pose value) is multiplied by this:
#: MediaPipe's depth reads a turn short (about two thirds of it from a raised front
#: camera). Chosen on the tuning bodies from the recommended view (bench/ACCURACY_SEATED.md;
#: the least worst error, then the least mean): worst 7.5° with 1.0 or 1.2, mean 2.3°
#: seated / 1.6° standing with 1.2 against 2.5 / 2.0 with 1.0; 1.4 made the worst 9.8.
DEPTH_GAIN = 1.2
#: With a calibration, a turn the foreshortening sees (at least FORESHORTENING_MIN_DEG)
#: whose depth reading (times DEPTH_GAIN) is under this is unknown: its side comes from the
#: depth alone and is not sure. On the tuning bodies the only wrong sides (a level camera in
#: front, standing: true +32.6 read -27.8, true +7.4 read -15.1) had depth readings of 0.1
#: and 6.4; from the recommended view every depth reading there was 8.2 or more
#: (bench/ACCURACY_SEATED.md). Hence 7.
SIDE_MIN_DEG = 7.0
#: The calibrated rotation is unknown when the trunk's 2D length (mid-hip to mid-shoulder)
#: differs from the calibration's by more than this share: the person has moved nearer or
#: further (or leaned towards the camera), which changes the shoulders' 2D width as much as
#: a turn does (10% nearer reads a true 32.5° turn as 22°: an under-read, unsafe). Turning
#: alone changed it by 0.933-1.109 times on the tuning bodies from the recommended view
#: (bench/ACCURACY_SEATED.md; held out: 0.894-1.093), so 12% (rounded up).
DISTANCE_TOLERANCE = 0.12
#: Within this many degrees of zero the trunk counts as centred (no side), as the knee drop.
CENTRE_DEG = 5.0

_TRUNK = (Landmark.LEFT_HIP, Landmark.RIGHT_HIP, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)


@dataclass(frozen=True)
class Reading:
    """One measured value: degrees (or percent) and its confidence.

    Attributes
    ----------
    value
        The value, or None when unknown (confidence below :data:`MIN_CONFIDENCE`).
    confidence
        In [0, 1].
    """

    value: float | None
    confidence: float

    @property
    def known(self) -> bool:
        """True when a value is given."""
        return self.value is not None

    @staticmethod
    def of(value: float | None, confidence: float, minimum: float) -> Reading:
        """A reading that hides the value below ``minimum`` confidence."""
        confidence = float(min(1.0, max(0.0, confidence)))
        if value is None or not math.isfinite(value) or confidence < minimum:
            return Reading(None, confidence)
        return Reading(float(value), confidence)


@dataclass(frozen=True)
class TrunkAngles:
    """The trunk's angles from 3D points (degrees; signs as in the module docs).

    ``pelvis_turn_deg`` is measured against the ``forward`` given (None without one);
    ``side_bend_deg`` against the ``up`` given.
    """

    rotation_deg: float
    side_bend_deg: float
    pelvis_turn_deg: float | None


class TrunkView(StrEnum):
    """Where the camera is, judged from the square (calibration) pose.

    Measured on rendered seated and standing twists (bench/ACCURACY_SEATED.md): only a
    camera in front of the person (level or raised) reads the rotation well; the others
    are refused with advice.
    """

    FRONT = "front"  # in front, level or raised: measured (recommended raised 30-40°)
    DIAGONAL = "diagonal"  # 30° or more round to a side: depth only, errors up to 20°
    SIDE = "side"  # at the person's side: both lines end-on, unknown
    OVERHEAD = "overhead"  # from above: the trunk is foreshortened away, sides wrong
    UNKNOWN = "unknown"  # no usable square pose

    @property
    def measured(self) -> bool:
        """True when the trunk rotation is read from this view."""
        return self is TrunkView.FRONT


#: The square shoulder line's turn away from the image plane (from MediaPipe's depth,
#: degrees) up to which the camera counts as in front. Renders: in front, level or raised
#: 35°, read 1-14° (worst 14); diagonals 40° round read 54-72 (MediaPipe exaggerates);
#: a side camera 86-92.
FRONT_MAX_AZIMUTH_DEG = 30.0
#: Beyond this the camera counts as at the side (between: a diagonal).
SIDE_MIN_AZIMUTH_DEG = 80.0
#: The square pose's 2D trunk length over its 2D shoulder width: in front 1.05-1.55
#: (renders, seated and standing); from above 0.08-0.53 (the trunk points at the camera);
#: side on 8.8-63 (the shoulders end-on).
TRUNK_OVER_SHOULDERS = (0.8, 2.5)


def view_of_square(skeleton: Skeleton) -> TrunkView:
    """The camera's place from one frame of the square pose (sitting or standing tall,
    facing forward); see :class:`TrunkView` and the measured bands above."""
    p = skeleton_points(skeleton)
    shoulders = p[Landmark.LEFT_SHOULDER] - p[Landmark.RIGHT_SHOULDER]
    width = float(np.linalg.norm(shoulders[:2]))
    if _visibility(skeleton, _TRUNK) < MIN_CONFIDENCE:
        return TrunkView.UNKNOWN
    trunk = _trunk_2d(skeleton)
    ratio = trunk / width if width > 1e-6 else math.inf
    azimuth = abs(math.degrees(math.atan2(-float(shoulders[2]), float(shoulders[0]))))
    azimuth = min(azimuth, 180.0 - azimuth)  # seen from behind is as good as in front
    if azimuth >= SIDE_MIN_AZIMUTH_DEG or ratio > TRUNK_OVER_SHOULDERS[1]:
        return TrunkView.SIDE
    if ratio < TRUNK_OVER_SHOULDERS[0]:
        return TrunkView.OVERHEAD
    if azimuth > FRONT_MAX_AZIMUTH_DEG:
        return TrunkView.DIAGONAL
    return TrunkView.FRONT


@dataclass(frozen=True)
class TrunkCalibration:
    """The person sitting (or standing) tall and facing forward.

    Attributes
    ----------
    axis
        Shape (3,), the long axis then (unit, the skeleton's frame).
    pelvis_line
        Shape (3,), right hip → left hip then (unit).
    rotation_offset_deg
        The trunk rotation read then (subtracted: the person's own "square").
    neck_share
        (left, right) 2D ear height above the shoulder over the 2D trunk length then, or None
        where an ear or shoulder was not seen well.
    shoulder_2d
        Shape (2,), the right → left shoulder line in the image then (pixels): the square
        shoulders' width and direction, for the foreshortening reading.
    trunk_2d
        The trunk's 2D length then (mid-hip to mid-shoulder, pixels), for the scale.
    view
        Where the camera is (:class:`TrunkView`); only a measured view gives readings.
    """

    axis: FloatArray
    pelvis_line: FloatArray
    rotation_offset_deg: float
    neck_share: tuple[float | None, float | None]
    shoulder_2d: FloatArray
    trunk_2d: float
    view: TrunkView = TrunkView.FRONT


@dataclass(frozen=True)
class TrunkMeasure:
    """What :func:`measure_trunk` reads from one skeleton.

    Attributes
    ----------
    rotation
        Trunk rotation, degrees, + towards the person's right.
    pelvis_turn
        Pelvis turn since calibration, degrees (unknown without a calibration).
    side_bend
        Side bend, degrees, + towards the person's right.
    shoulder_hike
        Shoulder hiking, percent of the calibrated neck gap lost (unknown without one).
    """

    rotation: Reading
    pelvis_turn: Reading
    side_bend: Reading
    shoulder_hike: Reading

    @property
    def side(self) -> str | None:
        """``right``, ``left`` or ``centre`` (within :data:`CENTRE_DEG`); None when unknown."""
        value = self.rotation.value
        if value is None:
            return None
        if abs(value) < CENTRE_DEG:
            return "centre"
        return "right" if value > 0 else "left"


def _unit(v: FloatArray) -> FloatArray | None:
    norm = float(np.linalg.norm(v))
    if not math.isfinite(norm) or norm < 1e-9:
        return None
    return np.asarray(v / norm, dtype=np.float64)


def _in_plane(v: FloatArray, normal: FloatArray) -> FloatArray:
    return np.asarray(v - np.dot(v, normal) * normal, dtype=np.float64)


def _signed_turn(frm: FloatArray, to: FloatArray, axis: FloatArray) -> float:
    """Degrees from ``frm`` to ``to`` about ``axis`` (the long axis, pointing up the trunk),
    positive for a turn towards the person's right (clockwise seen from the head)."""
    h, s = _in_plane(frm, axis), _in_plane(to, axis)
    return -math.degrees(math.atan2(float(np.dot(np.cross(h, s), axis)), float(np.dot(h, s))))


def rotation_between(
    left_hip: FloatArray,
    right_hip: FloatArray,
    left_shoulder: FloatArray,
    right_shoulder: FloatArray,
) -> float:
    """Trunk rotation in degrees from four 3D points (right-handed frame), + to the right.

    Parameters
    ----------
    left_hip, right_hip, left_shoulder, right_shoulder
        Shape (3,) each, any unit; the person's own left and right.

    Raises
    ------
    ValueError
        When the points do not span a trunk (coincident hips, shoulders or mid-points).
    """
    lh, rh, ls, rs = (
        np.asarray(p, dtype=np.float64)
        for p in (left_hip, right_hip, left_shoulder, right_shoulder)
    )
    axis = _unit((ls + rs) / 2 - (lh + rh) / 2)
    if axis is None or _unit(lh - rh) is None or _unit(ls - rs) is None:
        raise ValueError("the hips and shoulders do not span a trunk")
    return _signed_turn(lh - rh, ls - rs, axis)


def trunk_angles_3d(
    points: Mapping[Landmark, FloatArray], up: FloatArray, forward: FloatArray | None = None
) -> TrunkAngles:
    """THE definitions on 3D points: what the renderer labels its bodies with.

    Parameters
    ----------
    points
        3D positions (shape (3,), metres or pixels) of at least the hips and shoulders, in a
        right-handed frame.
    up
        Shape (3,), the reference up (the floor normal for a renderer).
    forward
        Shape (3,), the direction the person faced when square (for the pelvis turn);
        None to leave the pelvis turn out.

    Returns
    -------
    TrunkAngles
        Rotation, side bend and pelvis turn, degrees.
    """
    p = {k: np.asarray(points[k], dtype=np.float64) for k in _TRUNK}
    lh, rh = p[Landmark.LEFT_HIP], p[Landmark.RIGHT_HIP]
    ls, rs = p[Landmark.LEFT_SHOULDER], p[Landmark.RIGHT_SHOULDER]
    rotation = rotation_between(lh, rh, ls, rs)
    up_u = _unit(np.asarray(up, dtype=np.float64))
    axis = _unit((ls + rs) / 2 - (lh + rh) / 2)
    if up_u is None or axis is None:
        raise ValueError("up and the long axis must be non-zero")
    side = _side_bend(axis, lh - rh, up_u)
    turn: float | None = None
    if forward is not None:
        # Square, the right hip -> left hip line points to the person's left: up × forward
        # (with right = forward × up in a right-handed frame).
        square = np.cross(up_u, np.asarray(forward, dtype=np.float64))
        turn = _signed_turn(square, lh - rh, up_u)
    return TrunkAngles(rotation, 0.0 if side is None else side, turn)


def _side_bend(axis: FloatArray, pelvis_line: FloatArray, up: FloatArray) -> float | None:
    right = _unit(_in_plane(-pelvis_line, up))
    if right is None:
        return None
    return math.degrees(math.asin(float(np.clip(np.dot(axis, right), -1.0, 1.0))))


def skeleton_points(skeleton: Skeleton) -> dict[Landmark, FloatArray]:
    """The skeleton's landmarks as right-handed 3D points: (x, y, image_z), pixels."""
    xyz = np.column_stack([skeleton.image_xy, skeleton.image_z])
    return {landmark: np.asarray(xyz[int(landmark)], dtype=np.float64) for landmark in Landmark}


def _across(line: FloatArray) -> float:
    """Share of a 3D line that lies across the image (2D length / 3D length), in [0, 1]."""
    full = float(np.linalg.norm(line))
    if full < 1e-9:
        return 0.0
    return float(np.linalg.norm(line[:2])) / full


def _visibility(skeleton: Skeleton, landmarks: Sequence[Landmark]) -> float:
    return min(skeleton.vis(landmark) for landmark in landmarks)


def _neck_shares(skeleton: Skeleton) -> tuple[tuple[float | None, float | None], float]:
    """(left, right) ear height above its shoulder along the trunk / trunk length (2D),
    and the better of their visibilities."""
    xy = skeleton.image_xy
    mid_hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    mid_sh = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
    trunk = float(np.linalg.norm(mid_sh - mid_hip))
    shares: list[float | None] = []
    seen = []
    for ear, shoulder in (
        (Landmark.LEFT_EAR, Landmark.LEFT_SHOULDER),
        (Landmark.RIGHT_EAR, Landmark.RIGHT_SHOULDER),
    ):
        vis = min(skeleton.vis(ear), skeleton.vis(shoulder))
        seen.append(vis)
        if trunk < 1e-6 or vis < MIN_CONFIDENCE:
            shares.append(None)
        else:
            # Along the trunk only: turning the shoulders moves them sideways, not up.
            up = (mid_sh - mid_hip) / trunk
            shares.append(float(np.dot(xy[ear] - xy[shoulder], up)) / trunk)
    return (shares[0], shares[1]), max(seen)


def _line_2d(skeleton: Skeleton, left: Landmark, right: Landmark) -> FloatArray:
    return np.asarray(skeleton.image_xy[left] - skeleton.image_xy[right], dtype=np.float64)


def _trunk_2d(skeleton: Skeleton) -> float:
    xy = skeleton.image_xy
    mid_hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    mid_sh = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
    return float(np.linalg.norm(mid_sh - mid_hip))


def foreshortened_turn(skeleton: Skeleton, calibration: TrunkCalibration) -> float | None:
    """How far the shoulders have turned from the square, degrees, unsigned, from the 2D
    shoulder line alone: ``acos`` of its length along the square line's direction over
    the square width (pixels over pixels). Exact for a camera square in front of the
    person (level or raised) whatever the depth, while the person stays at the calibrated
    distance (:func:`distance_change` checks it); it cannot tell the side, and near 0 it is
    coarse (``acos`` is flat there). None when the calibration is degenerate.

    The image is not rescaled by the trunk's 2D length: that length changes with the turn
    itself (0.93-1.11 times on the tuning bodies), and rescaling by it made the worst
    errors from the recommended view (12.3° seated and 11.0° standing on the tuning
    bodies, 7.3° and 7.5° without; bench/ACCURACY_SEATED.md).
    """
    width = float(np.linalg.norm(calibration.shoulder_2d))
    if width < 1e-6:
        return None
    line = _line_2d(skeleton, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    along = float(np.dot(line, calibration.shoulder_2d)) / (width * width)
    return math.degrees(math.acos(min(1.0, max(-1.0, along))))


def distance_change(skeleton: Skeleton, calibration: TrunkCalibration) -> float | None:
    """The trunk's 2D length (mid-hip to mid-shoulder, pixels) over the calibration's,
    minus 1: how much nearer (+) or further (-) the person seems; None when degenerate.
    Beyond :data:`DISTANCE_TOLERANCE` the calibrated rotation is unknown."""
    if calibration.trunk_2d < 1e-6:
        return None
    return _trunk_2d(skeleton) / calibration.trunk_2d - 1.0


def _raw(skeleton: Skeleton) -> tuple[float, FloatArray, FloatArray, float] | None:
    """(rotation, long axis, pelvis line, confidence) of one skeleton, None if degenerate."""
    p = skeleton_points(skeleton)
    lh, rh = p[Landmark.LEFT_HIP], p[Landmark.RIGHT_HIP]
    ls, rs = p[Landmark.LEFT_SHOULDER], p[Landmark.RIGHT_SHOULDER]
    axis = _unit((ls + rs) / 2 - (lh + rh) / 2)
    pelvis = _unit(lh - rh)
    if axis is None or pelvis is None or _unit(ls - rs) is None:
        return None
    rotation = _signed_turn(lh - rh, ls - rs, axis)
    across = max(_across(lh - rh), _across(ls - rs))
    confidence = _visibility(skeleton, _TRUNK) * min(1.0, across / ACROSS_SHARE)
    return rotation, axis, pelvis, confidence


def calibrate_trunk(
    skeletons: Sequence[Skeleton | None], *, min_confidence: float = MIN_CONFIDENCE
) -> TrunkCalibration | None:
    """The person's square, from frames of them sitting (or standing) tall, facing forward.

    Parameters
    ----------
    skeletons
        Frames of the still set-up pose (None where nobody was found).
    min_confidence
        Frames whose rotation confidence is lower are left out.

    Returns
    -------
    TrunkCalibration or None
        None when no frame was good enough.
    """
    rotations: list[float] = []
    axes: list[FloatArray] = []
    pelvis_lines: list[FloatArray] = []
    necks: list[tuple[float | None, float | None]] = []
    shoulders_2d: list[FloatArray] = []
    trunks_2d: list[float] = []
    views: list[TrunkView] = []
    for skeleton in skeletons:
        if skeleton is None:
            continue
        raw = _raw(skeleton)
        if raw is None or raw[3] < min_confidence:
            continue
        rotations.append(raw[0])
        shoulders_2d.append(_line_2d(skeleton, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER))
        trunks_2d.append(_trunk_2d(skeleton))
        views.append(view_of_square(skeleton))
        axes.append(raw[1])
        pelvis_lines.append(raw[2])
        necks.append(_neck_shares(skeleton)[0])
    if not rotations:
        return None
    axis = _unit(np.mean(axes, axis=0))
    pelvis = _unit(np.mean(pelvis_lines, axis=0))
    if axis is None or pelvis is None:
        return None

    def median(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return float(np.median(known)) if known else None

    neck = (median([n[0] for n in necks]), median([n[1] for n in necks]))
    return TrunkCalibration(
        axis,
        pelvis,
        float(np.median(rotations)),
        neck,
        np.asarray(np.mean(shoulders_2d, axis=0), dtype=np.float64),
        float(np.median(trunks_2d)),
        max(set(views), key=views.count),  # the view most frames show
    )


def measure_trunk(
    skeleton: Skeleton,
    calibration: TrunkCalibration | None = None,
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> TrunkMeasure:
    """Trunk rotation, pelvis turn, side bend and shoulder hiking of one skeleton.

    Parameters
    ----------
    skeleton
        One frame's landmarks.
    calibration
        The person's square (:func:`calibrate_trunk`); without it the rotation is read
        against zero, the side bend against the image's up, and the pelvis turn and
        shoulder hiking are unknown. A calibration's absence lowers no confidence: the
        rotation's zero is the body's own (shoulders square to the hips).
    min_confidence
        Values below it are unknown (``None``).

    Returns
    -------
    TrunkMeasure
        Each value with its confidence.
    """
    unknown = Reading(None, 0.0)
    raw = _raw(skeleton)
    if raw is None or (calibration is not None and not calibration.view.measured):
        # A refused view (the coach gives its advice) reads nothing at all.
        return TrunkMeasure(unknown, unknown, unknown, unknown)
    rotation, axis, pelvis, confidence = raw
    offset = 0.0 if calibration is None else calibration.rotation_offset_deg
    value = rotation - offset
    if calibration is not None:
        # MediaPipe's depth reads a turn short (by about a third to a half from in front,
        # bench/ACCURACY_SEATED.md): scaled by DEPTH_GAIN; the 2D foreshortening reads it
        # well from 15-20 degrees on but is coarse near 0. The larger of the two, on the
        # depth's side.
        value *= DEPTH_GAIN
        turned = foreshortened_turn(skeleton, calibration)
        if turned is not None and turned >= FORESHORTENING_MIN_DEG:
            if abs(value) < SIDE_MIN_DEG:
                confidence = 0.0  # a clear turn, but which way is not sure: unknown
            value = math.copysign(max(abs(value), turned), value)
        # Fail safe: nearer or further than calibrated, the foreshortening misreads the
        # turn (nearer: short, unsafe) and the depth alone reads it short: unknown.
        moved = distance_change(skeleton, calibration)
        if moved is None or abs(moved) > DISTANCE_TOLERANCE:
            confidence = 0.0
    rotation_reading = Reading.of(value, confidence, min_confidence)

    up = np.array([0.0, -1.0, 0.0]) if calibration is None else calibration.axis
    side = _side_bend(axis, pelvis, up)
    # The person's right comes from the pelvis line: seen end-on (mostly depth) it is too
    # uncertain to split a forward lean from a side bend.
    p = skeleton_points(skeleton)
    across_hips = _across(p[Landmark.LEFT_HIP] - p[Landmark.RIGHT_HIP])
    side_conf = _visibility(skeleton, _TRUNK) * min(
        1.0, max(0.0, (across_hips - SIDE_BEND_MIN_ACROSS) / (1.0 - SIDE_BEND_MIN_ACROSS))
    )
    side_reading = Reading.of(side, side_conf, min_confidence)

    turn_reading = unknown
    hike_reading = unknown
    if calibration is not None:
        turn = _signed_turn(calibration.pelvis_line, pelvis, calibration.axis)
        hip_conf = _visibility(skeleton, _TRUNK[:2]) * min(
            1.0, _across(calibration.pelvis_line) / ACROSS_SHARE
        )
        turn_reading = Reading.of(turn, hip_conf, min_confidence)
        shares, seen = _neck_shares(skeleton)
        lost = [
            100.0 * (1.0 - now / then)
            for now, then in zip(shares, calibration.neck_share, strict=True)
            if now is not None and then is not None and then > 1e-6
        ]
        hike_reading = Reading.of(max(lost) if lost else None, seen, min_confidence)
    return TrunkMeasure(rotation_reading, turn_reading, side_reading, hike_reading)
