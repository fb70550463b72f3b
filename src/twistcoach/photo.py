"""Photographs: one image measured alone, or against a flat photograph from the same place.

A lone photograph gives the pose family, the view (with its camera advice) and whether the
knees are together, but no knee drop, rolls, knee flexion or trunk rotation: one view cannot
tell the camera's height from the drop (:data:`LONE_PHOTO_SUPINE`,
:data:`LONE_PHOTO_ROTATION`). ``twistcoach analyze --flat FLAT`` calibrates the camera on
a photograph of the person's neutral pose (:func:`calibrate_on_photo`), and
:func:`analyze_photo` then measures each photograph as a session measures its frames
(``bench/PHOTO_FLAT.md``, ``bench/ACCURACY_SEATED.md``'s calibrated columns).
:class:`twistcoach.pipeline.Analyzer` holds the estimators and calls these with them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from twistcoach.errors import DataError
from twistcoach.landmarks import Skeleton
from twistcoach.metrics import PoseFamily, TwistMetrics, View
from twistcoach.sources import is_video_file, picture_frames, read_image

if TYPE_CHECKING:
    from twistcoach.kinematics import Calibration
    from twistcoach.metrics import BodyType
    from twistcoach.recognition import Recognition
    from twistcoach.rotation import TrunkCalibration

#: Finds the person in a photograph (RGB, shape (height, width, 3)): with the lone
#: photographs' landmark model (the full one, as the pose classifier learned), or, when the
#: flag is True, the calibrated photographs' (the heavy one, as ``make accuracy``
#: measured); None when nobody was found.
PhotoEstimate = Callable[[NDArray[np.uint8], bool], Skeleton | None]

#: What a lone photograph of someone lying on the back lacks, and why
#: (``kinematics.UNCALIBRATED_KNEE_CONFIDENCE``, ``UNCALIBRATED_POSE_CONFIDENCE``).
LONE_PHOTO_SUPINE = (
    "no knee drop, shoulder roll or knee flexion from a lone photograph (one view cannot "
    "tell the camera's height from the drop)"
)

#: Why a lone photograph gives no trunk rotation. MediaPipe's depth alone (the only reading
#: one photograph has: ``rotation.measure_trunk`` with no calibration) reads a turn short,
#: about half of it from in front: on issue 20's rendered stills from the recommended
#: camera, mean error 8.4-10.6°, worst 18.0 (seated) and 27.5 (standing); from in front at
#: chest height worst 44.4, with the side wrong on 2 of 16; from overhead the side wrong on
#: a third to two thirds (bench/ACCURACY_SEATED.md, "depth only"). A photograph cannot tell
#: where its camera was. On the development photographs it read a tree pose turned 31.9°
#: and a triangle 75° (2026-12-07). Pelvis turn and side bend need the calibration too (a
#: raised camera read a person sitting straight as bent 20° against the image's up).
LONE_PHOTO_ROTATION = (
    "no trunk rotation from a lone photograph (MediaPipe's depth alone reads it up to "
    "18-44 degrees off, and a photograph cannot tell where its camera was)"
)

#: The families a square flat photograph may show (``analyze --flat`` for a seated or
#: standing twist): sitting or standing, twisted or not (the square check follows).
UPRIGHT_FAMILIES = (
    PoseFamily.SEATED,
    PoseFamily.SEATED_TWIST,
    PoseFamily.STANDING,
    PoseFamily.STANDING_TWIST,
)


@dataclass(frozen=True)
class ImageAnalysis:
    """A photograph, analysed (no calibration: single photos use the uncalibrated geometry).

    Attributes
    ----------
    skeleton
        None when no person was found (then ``metrics`` is None and the family ``other``).
    metrics
        Uncalibrated metrics; every view-dependent one unknown when ``view_measurable`` is
        False (``TwistMetrics.unmeasured``).
    family, family_confidence, view, view_confidence, view_measurable, view_advice
        From ``twistcoach.recognition.recognize`` (the view, its measurability and
        advice: the calibrated tracker's, for a photograph measured with ``calibrated_on``).
    calibrated_on
        The flat photograph whose calibration measured it (``analyze --flat``), else None.
    warnings
        Plain sentences about the photograph (another size than the flat one, moved).
    rotation
        Its trunk rotation measured against a square flat photograph
        (``seated_tracking.RotationTracker``'s metric slots), else None: then
        ``report.photo_rotation_metrics`` gives no rotation (a lone photograph).
    """

    path: Path
    image_size: tuple[int, int]
    skeleton: Skeleton | None
    metrics: TwistMetrics | None
    family: PoseFamily
    family_confidence: float
    view: View
    view_confidence: float
    view_measurable: bool
    view_advice: str
    calibrated_on: Path | None = None
    warnings: tuple[str, ...] = ()
    rotation: TwistMetrics | None = None


class FlatPhotoError(DataError):
    """The photograph given to calibrate the camera (``analyze --flat``) cannot: nobody in
    it, neither lying on the back nor sitting or standing square, or a pose or view the
    calibration refuses."""


@dataclass(frozen=True)
class PhotoCalibration:
    """The camera's place, calibrated on one photograph of the person's neutral pose
    (``twistcoach analyze --flat``), for photographs taken from the same place: they are
    then measured as a session measures its frames.

    Lying still on the back with the knees up calibrates the supine twist's camera and body
    (``supine``: the calibrated stills of ``bench/ACCURACY.md``), where a lone photograph
    gives no knee drop; sitting or standing square, facing the camera, calibrates the trunk
    rotation (``trunk``: the "calibrated" columns of ``bench/ACCURACY_SEATED.md``), where a
    lone photograph gives none. Exactly one of the two is set.

    Attributes
    ----------
    path
        The flat photograph.
    image_size
        Its (width, height) in pixels: a photograph of another size was not taken the
        same way and is not measured with this calibration.
    supine
        ``twistcoach.kinematics.Calibration`` from :func:`twistcoach.kinematics.calibrate_for`.
    trunk
        ``twistcoach.rotation.TrunkCalibration`` from :func:`twistcoach.rotation.calibrate_trunk`.
    """

    path: Path
    image_size: tuple[int, int]
    supine: Calibration | None = None
    trunk: TrunkCalibration | None = None


def calibrate_on_photo(
    path: Path | str, body: BodyType, estimate: PhotoEstimate
) -> PhotoCalibration:
    """Calibrate the camera on a photograph of the person's neutral pose (see
    :class:`PhotoCalibration`), as a session calibrates on its first still seconds:
    lying on the back, knees up, from the template body of ``body``
    (:func:`~twistcoach.kinematics.calibrate_for`, the heavy model's landmarks); sitting
    or standing square (:func:`~twistcoach.rotation.calibrate_trunk`, the full
    model's, as the seated coach).

    Parameters
    ----------
    path
        The flat photograph (any image format OpenCV reads).
    body
        The person's body type, whose template the supine calibration starts from.
    estimate
        Finds the person (:data:`PhotoEstimate`).

    Returns
    -------
    PhotoCalibration
        ``supine`` or ``trunk`` set, by the pose the photograph shows.

    Raises
    ------
    twistcoach.sources.MediaError
        When the file is not a readable image.
    FlatPhotoError
        When it shows nobody, or no pose or view a calibration can be made from (the
        reason says what to change).
    """
    from twistcoach.kinematics import CalibrationError, calibrate, calibrate_for, view_measurable
    from twistcoach.recognition import VIEW_ADVICE, recognize
    from twistcoach.rotation import CENTRE_DEG, calibrate_trunk, measure_trunk
    from twistcoach.seated_tracking import load_seated_camera_advice
    from twistcoach.tracking import LYING_FAMILIES, looks_twisted
    from twistcoach.wording import family_words

    path = Path(path)
    if is_video_file(path):
        raise FlatPhotoError(
            f"{path}: this is a video; the flat photograph must be one photograph (a video "
            "is calibrated on its own first still seconds)"
        )
    rgb = read_image(path)
    size = (int(rgb.shape[1]), int(rgb.shape[0]))
    seen = estimate(rgb, False)
    if seen is None:
        raise FlatPhotoError(f"{path}: nobody was found in the photograph to calibrate on")
    family = recognize(seen).family
    if family in LYING_FAMILIES:
        if looks_twisted([seen]):
            # Not the neutral pose: a twist taken for one would shift the zero by its
            # own drop and every photograph would read that much short on its side. The
            # session's own rule (tracking.looks_twisted) with the calibration's checks:
            # from the recommended place 99 % of the rendered knees-up stills pass, 7 %
            # of 30-degree twists, none from 45 (refusing the supine twist family
            # instead had stranded 10 % of the knees-up stills).
            raise FlatPhotoError(
                f"{path}: the photograph to calibrate on looks like a twist: lie on your "
                "back with your knees up in the middle, then take it again"
            )
        lying = estimate(rgb, True)
        if lying is None:
            raise FlatPhotoError(f"{path}: nobody was found in the photograph to calibrate on")
        try:
            cal = calibrate_for(body, lambda model: calibrate([lying], model=model))
        except CalibrationError as e:
            raise FlatPhotoError(f"{path}: cannot calibrate on this photograph: {e}") from e
        if not view_measurable(cal):
            # A zero from a place no photograph can be measured from (a side view: the
            # red team's mirrored side photograph was taken, every reading then unknown).
            raise FlatPhotoError(
                f"{path}: the knee drop cannot be measured from where this photograph was "
                f"taken. {VIEW_ADVICE[cal.view]}"
            )
        return PhotoCalibration(path, size, supine=cal)
    if family not in UPRIGHT_FAMILIES:
        raise FlatPhotoError(
            f"{path}: the photograph to calibrate on must show you lying on your back "
            "with your knees up, or sitting or standing tall and square to the camera; "
            f"it looks like {family_words(family)}"
        )
    trunk = calibrate_trunk([seen])
    if trunk is not None and not trunk.view.measured:
        advice = load_seated_camera_advice().for_view(trunk.view)
        raise FlatPhotoError(f"{path}: the trunk rotation cannot be measured from here. {advice}")
    bare = measure_trunk(seen).rotation.value
    if bare is None or trunk is None or abs(bare) >= 2 * CENTRE_DEG:
        # As the seated coach's set-up (RotationTracker): the square pose, clearly seen.
        raise FlatPhotoError(
            f"{path}: to calibrate, sit or stand tall and square to the camera, facing it"
        )
    return PhotoCalibration(path, size, trunk=trunk)


def first_frame_only(path: Path) -> tuple[str, ...]:
    """A warning when a picture holds more frames than the first, which alone is read (an
    animated WebP or PNG, a TIFF of several pages: :func:`twistcoach.sources.picture_frames`);
    nothing for a still one."""
    n = picture_frames(path)
    if n <= 1:
        return ()
    return (
        f"{path.name}: this picture has {n} frames; only the first was read (save the one "
        "to measure as a photograph of its own, or a moving picture as a video)",
    )


def analyze_photo(
    path: Path | str, calibration: PhotoCalibration | None, estimate: PhotoEstimate
) -> ImageAnalysis:
    """Estimate and measure one photograph (static-mode estimator).

    ``path`` may be a :class:`~pathlib.Path` or a string. Without ``calibration`` the
    photograph is measured alone (no knee drop, rolls, knee flexion or trunk rotation: one
    view cannot tell the camera's height from the drop); with one made from the same place
    (:func:`calibrate_on_photo`) it is measured as a session's frame: lying, by a
    :class:`~twistcoach.tracking.TwistTracker` holding that calibration (which refuses
    a view it cannot measure, a far side, or a body no longer where it was calibrated);
    square, by the seated coach's tracker (``ImageAnalysis.rotation``). A photograph of
    another size than the flat one is measured alone, with a warning; a picture of several
    frames (an animated WebP or PNG, a TIFF of pages) is measured on its first, with a
    warning saying so (:func:`first_frame_only`).

    Parameters
    ----------
    path
        The photograph.
    calibration
        A flat photograph's calibration from the same place, or None (a lone photograph).
    estimate
        Finds the person (:data:`PhotoEstimate`).

    Raises
    ------
    twistcoach.sources.MediaError
        When the file is not a readable image.
    """
    path = Path(path)
    analysis = _measure_photo(path, calibration, estimate)
    more = first_frame_only(path)
    if not more:
        return analysis
    return dataclasses.replace(analysis, warnings=(*more, *analysis.warnings))


def _measure_photo(
    path: Path, calibration: PhotoCalibration | None, estimate: PhotoEstimate
) -> ImageAnalysis:
    """:func:`analyze_photo`'s measuring, of the picture's first frame."""
    from twistcoach.kinematics import measure, still_in_place
    from twistcoach.recognition import recognize
    from twistcoach.tracking import TwistTracker

    path = Path(path)
    rgb = read_image(path)
    size = (int(rgb.shape[1]), int(rgb.shape[0]))
    same_place = calibration is not None and size == calibration.image_size
    supine = calibration.supine if calibration is not None and same_place else None
    skeleton = estimate(rgb, supine is not None)
    if skeleton is None:
        return ImageAnalysis(
            path, size, None, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, 0.0, False, ""
        )
    rec = recognize(skeleton)
    warnings: tuple[str, ...] = ()
    if calibration is not None and calibration.trunk is not None and same_place:
        return _rotation_photo(path, size, skeleton, rec, calibration)
    if calibration is not None and supine is not None:
        obs = TwistTracker(calibration=supine).update(0.0, skeleton)
        if not still_in_place(supine, skeleton):
            # The tracker measures nothing then (a session would calibrate afresh).
            warnings = (
                f"{path.name}: the body is not where {calibration.path.name} shows it "
                "(the camera or the person moved), so its knee drop is not measured",
            )
        return ImageAnalysis(
            path,
            size,
            skeleton,
            obs.measured,  # unknown where the view, the side or the place is refused
            # Still lying where calibrated, the calibrated knee drop says twist or not
            # (a twist seen from above can look like standing in 2D).
            obs.family,
            obs.family_confidence,
            obs.view,
            rec.view_confidence,
            obs.view_measurable,
            obs.view_advice,
            calibrated_on=calibration.path,
            warnings=warnings,
        )
    if calibration is not None:
        (w, h), (cw, ch) = size, calibration.image_size
        warnings = (
            f"{path.name} is {w}x{h} pixels but {calibration.path.name} is {cw}x{ch}: "
            "not taken the same way, so it is measured as a lone photograph",
        )
    metrics = measure(skeleton, None)
    return ImageAnalysis(
        path,
        size,
        skeleton,
        # A view that cannot be measured gives no view-dependent number.
        metrics if rec.measurable else metrics.unmeasured(),
        rec.family,
        rec.family_confidence,
        rec.view,
        rec.view_confidence,
        rec.measurable,
        rec.advice,
        warnings=warnings,
    )


def _rotation_photo(
    path: Path,
    size: tuple[int, int],
    skeleton: Skeleton,
    rec: Recognition,
    calibration: PhotoCalibration,
) -> ImageAnalysis:
    """A photograph measured against a square flat photograph: the seated coach's
    tracker holding that calibration (it reads nothing when the trunk moved nearer or
    further than calibrated: ``rotation.measure_trunk``)."""
    from twistcoach.seated_tracking import RotationTracker

    standing = rec.family in (PoseFamily.STANDING, PoseFamily.STANDING_TWIST)
    tracker = RotationTracker(PoseFamily.STANDING_TWIST if standing else PoseFamily.SEATED_TWIST)
    tracker.calibration = calibration.trunk
    obs = tracker.update(0.0, skeleton)
    return ImageAnalysis(
        path,
        size,
        skeleton,
        TwistMetrics.unknown(0.0),  # no knee drop: not lying
        rec.family,
        rec.family_confidence,
        obs.view,
        rec.view_confidence,
        obs.view_measurable,
        obs.view_advice,
        calibrated_on=calibration.path,
        rotation=obs.measured,
    )
