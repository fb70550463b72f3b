"""The seated and standing twists' tracker: skeletons in, the coach's observations out.

Pure core (numpy and the standard library; the two thin loaders at the end read packaged
YAML). :class:`RotationTracker` has the supine ``TwistTracker``'s interface
(``update(t, skeleton) -> Observation``, a ``calibration`` attribute), so the same
:class:`~twistcoach.coaching.Coach`, :class:`~twistcoach.session.LiveSession`, desktop
coach, browser coach and ``analyze`` run it, with the seated rules
(``rules/coaching_seated.yaml``).

What the coach sees (the metric slots are the supine coach's; here they carry the trunk):

- ``knee_drop``: the trunk rotation, degrees, + to the person's right
  (:func:`twistcoach.rotation.measure_trunk`, calibrated, smoothed); ``drop_side`` its
  side; ``speed`` its rate, degrees per second; ``twist`` the same rotation.
- ``pelvis_roll``: the pelvis turn since calibration and ``shoulder_roll`` the side bend,
  both reported as measured (unknown below their confidence).
- ``lifted_shoulder``: the form fault the coach's ``shoulders_open`` cue answers: a side
  bend past :attr:`FormLimits.side_bend_deg` (the side it leans to). Pelvis turn and
  shoulder hiking are NOT cued: on rendered people who keep the pelvis square and the
  shoulders down, MediaPipe's hips turn with the chest (a false pelvis turn up to 45° at
  the end of the range) and the shoulders read 40% hiked (bench/ACCURACY_SEATED.md), so
  a cue on them would be wrong most of the time. The coach's set-up and entering cues say
  "hips square, shoulders down" instead, or "let your hips turn with you" where the plan
  lets the pelvis move (pregnancy, SI-joint pain: ``CoachPlan.pelvis_turns``).

The pose family: recognised as the supine tracker recognises it
(:func:`twistcoach.recognition.recognize`, at most every
:data:`~twistcoach.tracking.RECOGNITION_PERIOD_S`, through the same hysteresis), so a person
lying in a supine twist, or standing in a standing twist on a seated plan, meets the
coach's wrong-pose stop (``stop_wrong_pose``) as a seated person does on a supine plan.
The confidence is the recogniser's: the coach stops only for a sure other twist and lets an
unsure one change nothing. Measured on the committed seated and standing renders
(``tests/seated_groundtruth``, MediaPipe, the recommended view): the standing bodies read
standing at every angle (a standing twist 0.65-0.93 where sure), the seated woman seated
at every angle (sure at 7 of 9); the seated man's readings were all unsure (0.20-0.48,
under the coach's 0.6), 7 of 9 of them on a standing family: sure of nothing, they stop
nothing (a closer call than the rest: ``bench/RECOGNITION.md`` has the classifier's
measured errors).

The set-up: the person sits (or stands) tall, facing the camera. Once they have been still
and square for ``calibration_s`` the tracker calibrates (:func:`calibrate_trunk`) and
places the camera from that pose (:class:`~twistcoach.rotation.TrunkView`); a view that
cannot measure the rotation is refused with advice (``rules/seated_camera.yaml``), before
and after calibration. Before calibration no rotation is reported (the coach keeps to the
set-up), as the supine tracker reports no knee drop before its own calibration.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from twistcoach.coaching import CoachingRules, RulesError, parse_coaching_rules
from twistcoach.landmarks import Skeleton
from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View
from twistcoach.recognition import Recognition, recognize
from twistcoach.rotation import (
    CENTRE_DEG,
    MIN_CONFIDENCE,
    TrunkCalibration,
    TrunkView,
    calibrate_trunk,
    measure_trunk,
    view_of_square,
)
from twistcoach.smoothing import OneEuroFilter
from twistcoach.tracking import RECOGNITION_PERIOD_S, Hysteresis

#: Slack (seconds) for floating-point timestamps when a window's span is compared with its
#: length: ``1.5 - 0.0`` and ``(0.1 * 15) - 0.0`` must both count as 1.5 s.
TIME_EPS_S = 1e-6

#: The tracker's views in the supine coach's vocabulary (reports and displays read it).
_VIEWS: dict[TrunkView, View] = {
    TrunkView.FRONT: View.OBLIQUE,  # the measured view (the "recommended" slot)
    TrunkView.DIAGONAL: View.OBLIQUE,
    TrunkView.SIDE: View.SIDE,
    TrunkView.OVERHEAD: View.TOP_DOWN,
    TrunkView.UNKNOWN: View.UNKNOWN,
}


@dataclass(frozen=True)
class FormLimits:
    """Form faults the tracker reports (degrees).

    Attributes
    ----------
    side_bend_deg
        A side bend past this (either way) is reported as a form fault. Rendered people
        sitting or standing straight read at most 10° (bench/ACCURACY_SEATED.md, the
        recommended view, every angle up to the end of the range), hence 15.
    """

    side_bend_deg: float = 15.0


@dataclass(frozen=True)
class SeatedCameraAdvice:
    """What to say for each view that cannot measure (``rules/seated_camera.yaml``)."""

    recommended: str
    diagonal: str
    side: str
    overhead: str
    unknown: str

    def for_view(self, view: TrunkView) -> str:
        """The advice for a refused view ("" for the measured one)."""
        return {
            TrunkView.FRONT: "",
            TrunkView.DIAGONAL: self.diagonal,
            TrunkView.SIDE: self.side,
            TrunkView.OVERHEAD: self.overhead,
            TrunkView.UNKNOWN: self.unknown,
        }[view]


class RotationTracker:
    """Skeleton → :class:`~twistcoach.metrics.Observation` for a seated or standing twist.

    Parameters
    ----------
    family
        The plan's twist family (``seated_twist`` or ``standing_twist``). The family
        reported is the one recognised (see the module docs), with the recogniser's
        confidence (0 while a new family has not yet persisted ``hysteresis_s``).
    advice
        Camera advice (default: :func:`load_seated_camera_advice`).
    calibration_s
        Seconds of still, square pose that calibrate (at any frame rate: the window keeps
        the newest frame at or before its start, so it always spans this long).
    still_deg
        Largest spread of the bare rotation (degrees) over those seconds.
    form
        The form faults reported.
    min_cutoff, beta
        The One-Euro filter of the rotation (as the supine tracker's knee drop).
    hysteresis_s
        How long a newly recognised pose family must persist before it is reported (the
        supine tracker's default).
    """

    def __init__(
        self,
        family: PoseFamily = PoseFamily.SEATED_TWIST,
        advice: SeatedCameraAdvice | None = None,
        *,
        calibration_s: float = 1.5,
        still_deg: float = 6.0,
        form: FormLimits | None = None,
        min_cutoff: float = 1.0,
        beta: float = 0.05,
        hysteresis_s: float = 0.5,
    ) -> None:
        if family not in (PoseFamily.SEATED_TWIST, PoseFamily.STANDING_TWIST):
            raise ValueError(f"RotationTracker is for seated and standing twists, not {family}")
        self.family = family
        self.advice = advice or load_seated_camera_advice()
        self.calibration_s = calibration_s
        self.still_deg = still_deg
        self.form = form or FormLimits()
        self.calibration: TrunkCalibration | None = None
        self._frames: deque[tuple[float, Skeleton, float]] = deque()
        self._filter = OneEuroFilter(min_cutoff=min_cutoff, beta=beta)
        self._speed_filter = OneEuroFilter(min_cutoff=min_cutoff, beta=0.0)
        self._last: tuple[float, float] | None = None
        self._family = Hysteresis(PoseFamily.OTHER, hysteresis_s)
        #: (time, result) of the recogniser's last run: reused for RECOGNITION_PERIOD_S.
        self._recognized: tuple[float, Recognition] | None = None
        #: The family reported now and its confidence (see :meth:`_recognise`).
        self._seen: tuple[PoseFamily, float] = (PoseFamily.OTHER, 0.0)

    def _recognise(self, t: float, skeleton: Skeleton | None) -> None:
        """The pose family at ``t``: the recogniser's (at most every RECOGNITION_PERIOD_S),
        through the hysteresis. Its confidence is the recogniser's while its newest result
        names that same family, else 0: a family held over by the hysteresis is not sure
        now, so it neither stops nor blocks the set-up (fail safe)."""
        if skeleton is None:
            self._recognized = None
            family = self._family.value
            assert isinstance(family, PoseFamily)
            self._seen = (family, 0.0)
            return
        recent = self._recognized
        if recent is None or not 0.0 <= t - recent[0] < RECOGNITION_PERIOD_S:
            recent = (t, recognize(skeleton))
            self._recognized = recent
        rec = recent[1]
        family = self._family.update(t, rec.family)
        assert isinstance(family, PoseFamily)
        self._seen = (family, rec.family_confidence if rec.family is family else 0.0)

    def _observation(
        self, t: float, metrics: TwistMetrics | None, view: TrunkView, measurable: bool
    ) -> Observation:
        advice = "" if measurable else self.advice.for_view(view)
        family, confidence = self._seen
        return Observation(t, metrics, family, confidence, _VIEWS[view], measurable, advice)

    def _try_calibrate(self, t: float, skeleton: Skeleton) -> None:
        bare = measure_trunk(skeleton).rotation.value
        if bare is None or abs(bare) >= CENTRE_DEG * 2:
            self._frames.clear()  # not square (or not seen): start again
            return
        self._frames.append((t, skeleton, bare))
        # Keep the newest frame at or before the window's start: dropping every frame older
        # than calibration_s left a span one frame short of it whenever calibration_s x fps
        # is not whole (15 or 25 frames/s: 1.467 or 1.48 s), and the set-up never ended.
        while len(self._frames) > 1 and t - self._frames[1][0] >= self.calibration_s - TIME_EPS_S:
            self._frames.popleft()
        values = [v for _, _, v in self._frames]
        if max(values) - min(values) > self.still_deg:
            self._frames.clear()
            self._frames.append((t, skeleton, bare))
            return
        if t - self._frames[0][0] >= self.calibration_s - TIME_EPS_S:
            self.calibration = calibrate_trunk([s for _, s, _ in self._frames])
            self._frames.clear()

    def update(self, timestamp_s: float, skeleton: Skeleton | None) -> Observation:
        """Feed one frame's skeleton (None when nobody was found), in time order."""
        t = timestamp_s
        self._recognise(t, skeleton)
        if skeleton is None:
            self._last = None
            self._filter.reset()
            self._speed_filter.reset()
            return self._observation(t, None, TrunkView.UNKNOWN, False)
        if self.calibration is None:
            view = view_of_square(skeleton)
            if view is TrunkView.FRONT:
                self._try_calibrate(t, skeleton)
            else:
                self._frames.clear()
            if self.calibration is None:
                # Set-up: nothing measured yet; a refused view says so with advice now.
                return self._observation(t, TwistMetrics.unknown(t), view, view is TrunkView.FRONT)
        calibration = self.calibration
        assert calibration is not None
        if not calibration.view.measured:
            return self._observation(t, TwistMetrics.unknown(t), calibration.view, False)
        m = measure_trunk(skeleton, calibration)
        rotation = m.rotation
        if rotation.value is None:
            self._last = None
            return self._observation(t, TwistMetrics.unknown(t), calibration.view, True)
        value = float(self._filter.filter(t, rotation.value))
        speed = Measure.unknown(0.0)
        if self._last is not None and t > self._last[0]:
            raw_speed = (value - self._last[1]) / (t - self._last[0])
            speed = Measure(float(self._speed_filter.filter(t, raw_speed)), rotation.confidence)
        self._last = (t, value)
        side: Side | None = Side.CENTRE
        if abs(value) >= CENTRE_DEG:
            side = Side.RIGHT if value > 0 else Side.LEFT
        bend = m.side_bend.value
        fault: Side | None = None
        if bend is not None and abs(bend) > self.form.side_bend_deg:
            fault = Side.RIGHT if bend > 0 else Side.LEFT
        metrics = TwistMetrics(
            timestamp_s=t,
            knee_drop=Measure(round(value, 2), rotation.confidence),
            drop_side=side,
            # The pelvis turn is not shown: MediaPipe's hips turn with the chest, so square
            # pelvises read up to 30 deg turned seated and 45 standing at the end of the
            # range (bench/ACCURACY_SEATED.md): a number nobody may trust (principle 1).
            pelvis_roll=Measure.unknown(0.0),
            shoulder_roll=_as_measure(bend, m.side_bend.confidence),
            lifted_shoulder=fault,
            twist=Measure(round(value, 2), rotation.confidence),
            knee_flexion=Measure.unknown(0.0),
            knees_together=None,
            speed=speed,
            confidence=rotation.confidence,
        )
        return self._observation(t, metrics, calibration.view, True)


def _as_measure(value: float | None, confidence: float) -> Measure:
    if value is None or confidence < MIN_CONFIDENCE:
        return Measure.unknown(confidence)
    return Measure(round(value, 2), confidence)


def _advice_from(data: object) -> SeatedCameraAdvice:
    if not isinstance(data, Mapping):
        # A list or a bare string at the top crashed with AttributeError, not this message.
        raise RulesError("rules/seated_camera.yaml: needs version 1 and an 'advice' mapping")
    advice = data.get("advice")
    if data.get("version") != 1 or not isinstance(advice, Mapping):
        raise RulesError("rules/seated_camera.yaml: needs version 1 and an 'advice' mapping")
    fields = ("recommended", "diagonal", "side", "overhead", "unknown")
    missing = [f for f in fields if not isinstance(advice.get(f), str) or not advice.get(f)]
    if missing:
        raise RulesError(f"rules/seated_camera.yaml: advice missing: {', '.join(missing)}")
    return SeatedCameraAdvice(**{f: " ".join(str(advice[f]).split()) for f in fields})


@functools.cache  # packaged and frozen: read once per process
def load_seated_camera_advice() -> SeatedCameraAdvice:
    """The packaged camera advice (``twistcoach/rules/seated_camera.yaml``)."""
    from twistcoach.rulefiles import read_packaged

    return _advice_from(read_packaged("rules/seated_camera.yaml", RulesError))


@functools.cache  # packaged and frozen: read once per process
def load_seated_coaching_rules() -> CoachingRules:
    """The seated and standing coach's rules (``twistcoach/rules/coaching_seated.yaml``):
    the supine coach's schema, validated the same way."""
    from twistcoach.rulefiles import load_packaged

    return load_packaged("rules/coaching_seated.yaml", parse_coaching_rules)
