"""Per-frame tracking of the twist in a stream: recognise, calibrate, measure, smooth.

Pure core: standard library and numpy only; time is passed in with every frame.

:class:`TwistTracker` is what video analysis, the desktop coach and the web app call for
every frame. It

1. recognises the pose family and camera view (:func:`twistcoach.recognition.recognize`),
   with hysteresis so a single odd frame does not flip them;
2. calibrates itself on the first ``calibration_window_s`` seconds of a still, neutral
   supine pose (lying on the back, knees up), unless given a :class:`Calibration` (for a
   recorded video, once more on later frames if the first were taken before the
   landmarks settled, :data:`LANDMARK_SETTLE_S`, and the person still lies there); if no
   neutral pose comes within ``fallback_after_s`` of lying down, it estimates the camera
   from the pose it sees, with lower confidence (not when the neutral pose found the
   picture turned on its side: that is refused, with its advice, until it is turned back);
3. measures the twist (:func:`twistcoach.kinematics.measure_details`), smooths each angle
   with a One Euro filter and takes the drop speed (:class:`DropSpeed`) over consecutive
   measured frames only, robust to a single-frame landmark jump.

Unknown travels as unknown: where the view cannot be measured (a side view, the far side
of a diagonal camera, an ambiguous frame) the observation's view-dependent metrics are
unknown (:meth:`twistcoach.metrics.TwistMetrics.unmeasured`), never a guess.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from twistcoach.kinematics import (
    BodyModel,
    Calibration,
    CalibrationError,
    CameraTurnedError,
    Measurement,
    calibrate,
    calibrate_for,
    estimate_calibration,
    measure_details,
    still_in_place,
    template_body,
    template_of,
    view_measurable,
)
from twistcoach.landmarks import Landmark, Skeleton
from twistcoach.metrics import (
    BodyType,
    Measure,
    Observation,
    PoseFamily,
    Side,
    TwistMetrics,
    View,
)
from twistcoach.recognition import (
    CALIBRATE_ADVICE,
    CAMERA_TURNED_ADVICE,
    FAR_SIDE_ADVICE,
    VIEW_ADVICE,
    Recognition,
    recognize,
    twist_share,
)
from twistcoach.smoothing import OneEuroFilter

#: The families a calibration may be made on (a neutral pose can look like a twist in 2D:
#: :func:`~twistcoach.kinematics.calibrate` checks the fit).
LYING_FAMILIES = (PoseFamily.SUPINE, PoseFamily.SUPINE_TWIST)
_HIPS_KNEES = (Landmark.LEFT_HIP, Landmark.RIGHT_HIP, Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
#: The calibrated knee drop decides twist vs neutral when lying: above TWIST_DEG a twist,
#: below NEUTRAL_DEG not (between: keep the previous decision).
TWIST_DEG = 20.0
NEUTRAL_DEG = 10.0
#: Seconds between calibration attempts after one was refused, at first; each further
#: refusal while the person lies still where they were (the same buffer of frames) doubles
#: it, up to :data:`CALIBRATION_RETRY_MAX_S`, and any movement or a calibration starts again
#: from here. A refused attempt costs about 40 ms (cProfile, the shared side-view clip: 7
#: attempts, 0.28 of the tracker's 0.45 s over 199 frames), so a camera the fit keeps
#: refusing (beside the mat) cost 80 ms of CPU a second at a fixed 0.5 s, against 0.4 ms a
#: frame once calibrated; in the web server those fits share one calibration process.
CALIBRATION_RETRY_S = 0.5
#: A calibration window whose frames the pose classifier reads as a supine twist (median
#: :func:`~twistcoach.recognition.twist_share` above this) is not calibrated on: a person
#: lying still already twisted would set the zero at their drop, and every reading on that
#: side would then be that much short. Rendered stills (issue 17's 24 bodies, full model;
#: ``recognition.twist_share`` over the render cache): above 0.7 are 1 % of
#: the knees-up stills from the recommended place (5 % from the other raised places and
#: overhead) against 82 % of 30-degree twists (68 %) and 99 % from 45 degrees (94 %);
#: ``kinematics.calibrate``'s own dropped-knees check had let half of the committed stills'
#: 35-degree twists through.
CALIBRATION_MAX_TWIST_SHARE = 0.7
CALIBRATION_RETRY_MAX_S = 4.0


def looks_twisted(frames: Sequence[Skeleton]) -> bool:
    """Whether frames of a person lying still show a supine twist, not the neutral pose:
    their median :func:`~twistcoach.recognition.twist_share` is above
    :data:`CALIBRATION_MAX_TWIST_SHARE`. Neither a session (:class:`TwistTracker`) nor a
    flat photograph (``analyze --flat``) calibrates on such frames.

    Parameters
    ----------
    frames
        At least one skeleton. The classifier learned from the full landmark model's; on
        the heavy model's (a recorded video's), above the threshold from the recommended
        place are 0 % of the rendered knees-up stills, 72 % of 30-degree twists (full: 82 %)
        and 99 % from 45 degrees (the same).
    """
    return statistics.median(twist_share(frame) for frame in frames) > CALIBRATION_MAX_TWIST_SHARE


#: Seconds after the person is found (at the start of a stream or after tracking was lost)
#: before frames calibrate as well as later ones will. In video mode MediaPipe's landmarks
#: settle for about a second after it finds a person: on the 32 rendered clips, which start
#: with the person already lying still, the hips, knees and shoulders sat 2.2-2.8 % of the
#: body's size (median over clips; heavy and full models) off where they came to rest in
#: the first frame, 0.3-0.7 % at 0.7 s and 0.2-0.4 % at 1.0 s, against 0.1 % between two
#: later windows. Calibrated on the first 0.7 s, the knees-up hold then read up to 7.8 deg
#: off zero (mean 1.7); issue 17, ``docs/measuring.md``. With ``refine_calibration`` a
#: calibration made from earlier frames is made again from settled ones while the person
#: stays still (a person who walks in and lies down has settled landmarks by then; one
#: filmed from the start may move on sooner: the shared real clip lies knees up for only
#: 0.9 s, so its first calibration is kept).
LANDMARK_SETTLE_S = 1.0
#: While calibrated and still lying where calibrated, the calibrated drop decides the
#: family and the view, and the recogniser gives only its confidence (for the coach's
#: wrong-pose check): it then runs at most this often, seconds. It cost 0.17 of 0.87 ms a
#: frame of the live tracker (cProfile, the shared demo recording, load 0.4); the family it
#: reports goes through ``hysteresis_s`` (0.5 s) anyway.
RECOGNITION_PERIOD_S = 0.25
#: Advice when nobody is found in the frame.
LOST_ADVICE = "I cannot see you: check that your whole body is in the camera's view."

#: Fits a calibration to frames of a still, neutral supine pose: ``(frames, template body,
#: max_motion) -> Calibration``, raising :class:`CalibrationError` when they are not one.
#: :func:`calibrate_here` by default; the web server runs it in another process, as one fit
#: is 0.1-0.5 s of CPU that would otherwise hold the interpreter from every other stream.
Calibrator = Callable[[Sequence[Skeleton], BodyModel, float], Calibration]


def calibrate_here(frames: Sequence[Skeleton], model: BodyModel, max_motion: float) -> Calibration:
    """The default :data:`Calibrator`: :func:`twistcoach.kinematics.calibrate` in this
    thread."""
    return calibrate(frames, model=model, max_motion=max_motion)


@dataclass(frozen=True)
class FilterParams:
    """One Euro filter parameters for the angle streams (degrees).

    ``min_cutoff`` in Hz, ``beta`` in Hz per (degree/second), ``d_cutoff`` in Hz;
    ``speed_cutoff`` (Hz) low-passes the drop speed computed from the smoothed drop.
    The defaults keep a held pose steady to a fraction of a degree at 30 frames/s while
    following a knee drop of 30 degrees/s with under 2 degrees of lag.
    """

    min_cutoff: float = 1.0
    beta: float = 0.05
    d_cutoff: float = 1.0
    speed_cutoff: float = 1.5


#: The drop speed's outlier test looks at this many consecutive measured raw knee drops
#: (the newest included): with 5, a single-frame jump is one value against four.
SPEED_WINDOW = 5
#: The first drop fed to the speed is judged against at least this many (itself included):
#: with 3, a single-frame jump is one value against two.
SPEED_MIN_WINDOW = 3
#: A raw drop further than HAMPEL_K scaled median absolute deviations (1.4826 x MAD, the
#: standard deviation for normal noise) from the window's median is an outlier (Hampel).
HAMPEL_K = 3.0
#: ... and further than this, degrees: a single-frame jump under it moves the reported speed
#: by at most 16.8 deg/s (5.9 deg through the filters: 16.4 at 10 frames/s, 16.8 at 15,
#: 14.7 at 30; tests/test_tracking.py), under the coach's 20 deg/s limit; 10 would have let
#: a 9.9 deg jump read 31-33 deg/s. Measured on real clips (raw drops over consecutive
#: measured frames): at rest the frame-to-frame change is 1.4 deg at the 95th percentile,
#: 2.4 at the 99th (demo clip, 15 frames/s). Genuine quick moves can pass it on their first
#: frames (the demo's return to the centre at 16.9 s deviated 9.3 with a MAD of 0.8): such
#: a frame is then taken at the median and the move's speed follows a frame later; on the
#: demo clip the too-fast frames went 18 -> 22, the peak speed 41.0 -> 37.4 deg/s (the same
#: two fast moves found), and the rendered CI clip's speeds are unchanged by it.
HAMPEL_FLOOR_DEG = 6.0


class DropSpeed:
    """Degrees per second of knee drop, over consecutive measured frames only.

    Every unknown frame (:meth:`reset`) starts it afresh: no speed is ever computed across
    a gap, so the first readings after one cannot read "too fast". Each raw drop is
    checked against the :data:`SPEED_WINDOW` newest (Hampel: beyond :data:`HAMPEL_K`
    scaled MADs and :data:`HAMPEL_FLOOR_DEG` it is replaced by their median), smoothed
    with its own One Euro filter (the angles' parameters), differentiated and low-passed
    at ``FilterParams.speed_cutoff``. Drops are fed once :data:`SPEED_MIN_WINDOW` are
    in the window (the newest judged against at least two before it), and a speed is given
    once one rate is known: from the fourth consecutive measured frame (0.1 s at 30
    frames/s, 0.2 s at 15). On the rendered CI clip that leaves 81 of 83 frames with a
    speed (the two before were at rest, errors of 0.1-0.15 deg/s).
    """

    def __init__(self, params: FilterParams) -> None:
        self._window: deque[float] = deque(maxlen=SPEED_WINDOW)
        self._drop = OneEuroFilter(params.min_cutoff, params.beta, params.d_cutoff)
        self._rate = OneEuroFilter(params.speed_cutoff, 0.0, 1.0)
        self._last: tuple[float, float] | None = None

    def reset(self) -> None:
        """An unknown frame: forget everything."""
        self._window.clear()
        self._drop.reset()
        self._rate.reset()
        self._last = None

    def update(self, t: float, raw_drop_deg: float) -> float | None:
        """Take the raw (unsmoothed) knee drop at ``t`` (seconds); the speed in degrees per
        second, or None while too few consecutive frames were measured."""
        if self._last is not None and t <= self._last[0]:
            return None  # not later than the last frame: no rate to take
        self._window.append(raw_drop_deg)
        if len(self._window) < SPEED_MIN_WINDOW:
            return None
        median = statistics.median(self._window)
        mad = statistics.median(abs(v - median) for v in self._window)
        value = raw_drop_deg
        if abs(value - median) > max(HAMPEL_K * 1.4826 * mad, HAMPEL_FLOOR_DEG):
            value = median
        smoothed = self._drop.filter(t, value)
        last, self._last = self._last, (t, smoothed)
        if last is None:
            return None
        return self._rate.filter(t, (smoothed - last[1]) / (t - last[0]))


class Hysteresis:
    """A label that changes only after a new value persisted for ``hold_s`` seconds (the
    supine and the rotation tracker's pose family and view)."""

    def __init__(self, initial: object, hold_s: float) -> None:
        self.value = initial
        self.hold_s = hold_s
        self._candidate: object = initial
        self._since: float | None = None
        self._fresh = True

    def update(self, t: float, value: object) -> object:
        """Take the value seen at ``t`` (seconds); the label now."""
        if self._fresh:
            self.value, self._candidate, self._since, self._fresh = value, value, t, False
        elif value == self.value or value != self._candidate:
            self._candidate, self._since = value, t
        elif self._since is not None and t - self._since >= self.hold_s:
            self.value = value
        return self.value


class TwistTracker:
    """Stream tracker: one :meth:`update` per frame, explicit time.

    Parameters
    ----------
    calibration
        A calibration to use from the start; None to calibrate automatically.
    filter_params
        One Euro parameters for the angles.
    calibration_window_s
        Seconds of still, neutral supine pose needed to calibrate.
    fallback_after_s
        Seconds of lying down without a neutral pose after which the camera is estimated
        from the pose seen (lower confidence); None to wait for a neutral pose forever.
    min_confidence
        Measures below this confidence are unknown.
    hysteresis_s
        How long a new pose family or view must persist before it is reported.
    max_motion
        Largest landmark motion (fraction of body size) allowed within the calibration
        window.
    body
        The template body the calibration starts from (:func:`template_body`): the
        person's own when they say, else neutral, made again from the female template
        when the neutral fit finds a short thigh (:func:`calibrate_for`).
    calibrator
        What fits the calibration (:data:`Calibrator`); default :func:`calibrate_here`.
    refine_calibration
        Calibrate once more on frames after the landmarks settled when the first
        calibration's frames came before (:data:`LANDMARK_SETTLE_S`) and the person still
        lies there: for recorded videos (``twistcoach analyze``), whose numbers are kept as
        measured. The live coach takes its own zero from the hold
        (:class:`twistcoach.checks.NeutralZero`), which the settling does not reach, and its
        stay-here margins were measured without it; on the rendered clips it read the
        heavy model's knee drop closer (held out, body type given: MAE 2.0 -> 1.9 deg, the
        worst under-read to the right 11.8 -> 7.6) but made one tuning woman's clip read
        the full model's 4 deg shorter still (21 -> 25 under), past those margins.
    """

    def __init__(
        self,
        calibration: Calibration | None = None,
        *,
        filter_params: FilterParams | None = None,
        calibration_window_s: float = 0.7,
        fallback_after_s: float | None = 4.0,
        min_confidence: float = 0.5,
        hysteresis_s: float = 0.5,
        max_motion: float = 0.05,
        body: BodyType = BodyType.NEUTRAL,
        calibrator: Calibrator = calibrate_here,
        refine_calibration: bool = False,
    ) -> None:
        self._calibration = calibration
        self.refine_calibration = refine_calibration
        self._calibrator = calibrator
        self.body = BodyType(body)
        self._template = template_body(self.body)
        self.filter_params = filter_params or FilterParams()
        self.calibration_window_s = calibration_window_s
        self.fallback_after_s = fallback_after_s
        self.min_confidence = min_confidence
        self.max_motion = max_motion
        self._family = Hysteresis(PoseFamily.OTHER, hysteresis_s)
        self._view = Hysteresis(View.UNKNOWN, hysteresis_s)
        self._buffer: list[Skeleton] = []
        self._next_try = -math.inf
        self._retry_s = CALIBRATION_RETRY_S
        #: Why the last calibration attempt was refused, in plain words (None: none was,
        #: or one has been made since); a recording's summary says it when nothing could be
        #: measured.
        self.calibration_refusal: str | None = None
        #: The picture size of the frames whose calibration found the picture turned on its
        #: side (:class:`~twistcoach.kinematics.CameraTurnedError`); None when it was not,
        #: or since a calibration was made or the picture changed shape (the camera turned).
        self._turned_size: tuple[int, int] | None = None
        self._lying_since: float | None = None
        #: When the person was last found after being lost (None: not seen now).
        self._found_since: float | None = None
        #: When a calibration made from frames taken before the landmarks settled may be
        #: made again from settled ones (None: no need, or given up).
        self._refine_after: float | None = None
        self._twisting = False
        self._filters = {name: self._new_filter() for name in _SMOOTHED}
        self._speed = DropSpeed(self.filter_params)
        #: (time, the knee search's drop) of the last frame measured, for the next one.
        self._last_fit: tuple[float, float] | None = None
        #: The knee drop the calibration's own still frames read (degrees): the far side is
        #: judged from it (:func:`flat_reading`); 0 for a calibration given or estimated.
        self._flat_deg = 0.0
        #: Since when frames have been measurable without a break (None: the last frame was
        #: not; minus infinity: since a calibration). After a break a reading is trusted only
        #: once this has lasted
        #: ``hysteresis_s``: a camera near the side-view boundary (a clip calibrated at 74
        #: deg azimuth, the rule's edge at 75) otherwise gives isolated "measurable" frames
        #: whose numbers the coach said it could not measure.
        self._measurable_since: float | None = -math.inf
        self.hysteresis_s = hysteresis_s
        #: (time, result) of the recogniser's last run on a frame lying where calibrated:
        #: reused for :data:`RECOGNITION_PERIOD_S` while the body stays there.
        self._recognized: tuple[float, Recognition] | None = None

    def _new_filter(self) -> OneEuroFilter:
        p = self.filter_params
        return OneEuroFilter(p.min_cutoff, p.beta, p.d_cutoff)

    @property
    def calibration(self) -> Calibration | None:
        """The calibration in use (None until calibrated)."""
        return self._calibration

    @property
    def body_model(self) -> BodyType | None:
        """The body type whose template the calibration in use was made from: the one the
        person said, or with none said the neutral or, for a short thigh, the female one
        (:func:`calibrate_for`); None until calibrated."""
        return None if self._calibration is None else template_of(self._calibration)

    def reset(self) -> None:
        """Forget everything but a calibration given or made so far."""
        self._restart_calibration()
        self._lying_since = None
        for f in self._filters.values():
            f.reset()
        self._speed.reset()
        self._last_fit = None
        self._recognized = None

    # -- calibration --------------------------------------------------------------------

    def _calibrate(self, frames: Sequence[Skeleton]) -> Calibration:
        """This session's calibrator on ``frames``, from the template of the person's body
        type (a short thigh's when they said none: :func:`calibrate_for`)."""
        return calibrate_for(
            self.body, lambda model: self._calibrator(frames, model, self.max_motion)
        )

    def _try_calibrate(self, t: float, skeleton: Skeleton, family: PoseFamily) -> None:
        if family not in LYING_FAMILIES:
            # A neutral pose can look like a twist in 2D; calibrate() checks the fit.
            self._restart_calibration()
        else:
            if self._moved_since_buffered(skeleton):
                self._restart_calibration()
            self._buffer.append(skeleton)
            if t - self._buffer[0].timestamp_s >= self.calibration_window_s and t >= self._next_try:
                try:
                    if looks_twisted(self._buffer):
                        raise CalibrationError("the knees look dropped to one side")
                    self._calibration = self._calibrate(list(self._buffer))
                except CalibrationError as exc:
                    self._refused(exc, skeleton)
                    # A refused attempt costs tens of milliseconds: not on every frame, and
                    # less and less often while nothing changes (CALIBRATION_RETRY_S).
                    self._next_try = t + self._retry_s
                    self._retry_s = min(2.0 * self._retry_s, CALIBRATION_RETRY_MAX_S)
                    self._buffer.pop(0)
                else:
                    self.calibration_refusal = None
                    self._turned_size = None
                    self._flat_deg = flat_reading(self._calibration, self._buffer)
                    # Frames from before the landmarks settled: calibrate again on settled
                    # ones if the person stays still there (:meth:`_refine`).
                    found = self._found_since
                    settled_at = -math.inf if found is None else found + LANDMARK_SETTLE_S
                    early = self._buffer[0].timestamp_s < settled_at
                    self._refine_after = settled_at if early and self.refine_calibration else None
                    self._restart_calibration()
                    # The calibration frames were still, neutral and measurable: trusted.
                    self._measurable_since = -math.inf
                    for f in self._filters.values():
                        f.reset()  # a new zero: no smoothing across it
                    # The calibrated measurement now judges twist or not; forget the
                    # single-frame 2D guesses made so far.
                    self._family = Hysteresis(PoseFamily.SUPINE, self._family.hold_s)
                    self._family.update(t, PoseFamily.SUPINE)
                    return
        if family in LYING_FAMILIES:
            if self._lying_since is None:
                self._lying_since = t
            if (
                self._calibration is None
                and self._turned_size is None
                and self.fallback_after_s is not None
                and t - self._lying_since >= self.fallback_after_s
            ):
                self._calibration = estimate_calibration(skeleton, model=self._template)
                self._flat_deg = 0.0
                self._measurable_since = -math.inf
        else:
            self._lying_since = None

    def _refused(self, exc: CalibrationError, skeleton: Skeleton) -> None:
        """Take a calibration attempt's refusal (:attr:`calibration_refusal`).

        A picture turned on its side is remembered until a calibration is made or the
        picture changes shape, and a later refusal for another reason (the person moved)
        does not replace its reason: nothing is measured until the camera or the video is
        turned. The camera estimated from the pose (``fallback_after_s``) is dropped and not
        made again meanwhile. Fitted with the camera held level, a turned picture always
        comes out overhead, the one place where every turn of the picture is level: the
        demo session turned 90 degrees (its first 12 s, the neutral pose refused 28 degrees
        off level from 56-60 degrees up, heavy and full landmark models) was estimated from
        straight overhead (84.3-84.7 degrees up, 0.0 off level; as filmed it is estimated
        35 degrees up), so the recording said "view: top-down, measurable", with no advice,
        and measured none of its 180 frames (a camera estimated from the pose gives no knee
        drop: ``kinematics.UNCALIBRATED_KNEE_CONFIDENCE``).
        """
        if isinstance(exc, CameraTurnedError):
            self._turned_size = skeleton.image_size
            self.calibration_refusal = str(exc)
            if self._calibration is not None and not self._calibration.neutral:
                self._calibration = None
        elif self._turned_size is None:
            self.calibration_refusal = str(exc)

    def _refine(self, t: float, skeleton: Skeleton) -> None:
        """Calibrate again, once, on frames after the landmarks settled, while the person
        still lies as they were calibrated (see :data:`LANDMARK_SETTLE_S`); any movement
        keeps the first calibration."""
        if self._refine_after is None or t < self._refine_after:
            return
        last = self._last_fit
        # The knees leaving the middle, or any movement: what lies still now is not the zero.
        leaving = last is not None and abs(last[1]) > NEUTRAL_DEG
        if leaving or self._moved_since_buffered(skeleton):
            self._refine_after = None
            self._restart_calibration()
            return
        self._buffer.append(skeleton)
        if t - self._buffer[0].timestamp_s < self.calibration_window_s:
            return
        frames = list(self._buffer)
        self._refine_after = None
        self._restart_calibration()
        try:
            self._calibration = self._calibrate(frames)
        except CalibrationError:
            return  # the first calibration stands
        self._flat_deg = flat_reading(self._calibration, frames)
        for f in self._filters.values():
            f.reset()  # a new zero: no smoothing across it

    def _moved_since_buffered(self, skeleton: Skeleton) -> bool:
        """True when ``skeleton`` moved from the first buffered frame by more than twice
        ``max_motion`` (a fraction of that frame's body size); False with nothing buffered."""
        if not self._buffer:
            return False
        ref = self._buffer[0].image_xy
        span = max(float(np.ptp(ref, axis=0).max()), 1.0)
        return float(np.abs(skeleton.image_xy - ref).max()) / span > self.max_motion * 2

    def _restart_calibration(self) -> None:
        """Forget the still frames gathered so far: the person moved, stood up or was
        calibrated; a refused calibration's wait starts again from CALIBRATION_RETRY_S."""
        self._buffer.clear()
        self._retry_s = CALIBRATION_RETRY_S

    # -- per frame ----------------------------------------------------------------------

    def update(self, t: float, skeleton: Skeleton | None) -> Observation:
        """Process one frame.

        Parameters
        ----------
        t
            Time of the frame, seconds (increasing).
        skeleton
            The person found in the frame, or None (tracking lost).

        Returns
        -------
        Observation
            Smoothed metrics (None when no skeleton), family and view with hysteresis.
        """
        if skeleton is None:
            self._found_since = None
            self._refine_after = None
            self._restart_calibration()
            self._speed.reset()
            self._recognized = None
            view = self._view.value
            assert isinstance(view, View)
            family = self._family.value
            assert isinstance(family, PoseFamily)
            return Observation(t, None, family, 0.0, view, False, LOST_ADVICE)
        if self._found_since is None:
            self._found_since = t
        if self._turned_size is not None and skeleton.image_size != self._turned_size:
            # The picture changed shape: the camera was turned. Calibrate without the wait
            # the turned picture's refusals built up (CALIBRATION_RETRY_S).
            self._turned_size = None
            self._next_try = -math.inf
        recent = self._recognized
        if recent is not None and t - recent[0] < RECOGNITION_PERIOD_S and t >= recent[0]:
            rec = recent[1]  # lying where calibrated at the last frame (below)
        else:
            rec = recognize(skeleton)
            recent = None
        raw_family = rec.family
        if self._calibration is None or not self._calibration.neutral:
            # Also when estimated without a neutral pose: a neutral pose later calibrates.
            self._try_calibrate(t, skeleton, raw_family)
        metrics: TwistMetrics | None
        measurable = rec.measurable
        view_raw = rec.view
        lying = raw_family in LYING_FAMILIES
        if self._calibration is not None and self._calibration.neutral:
            # Once calibrated, "still lying where calibrated" is a far better test than
            # the single-frame 2D rules (a twist seen from a diagonal can look like a
            # leaning stand in 2D).
            lying = still_in_place(self._calibration, skeleton)
            if not lying and recent is not None:
                # Moved since the recogniser last looked: this frame is looked at afresh.
                rec = recognize(skeleton)
                raw_family = rec.family
                measurable, view_raw = rec.measurable, rec.view
            self._recognized = (recent or (t, rec)) if lying else None
            if lying:
                self._refine(t, skeleton)
            else:
                if self._refine_after is not None:
                    self._refine_after = None
                    self._restart_calibration()
                # Moved, or the camera was moved (for instance to the other side of the
                # mat for the second side): a still neutral pose calibrates afresh.
                self._try_calibrate(t, skeleton, raw_family)
                lying = still_in_place(self._calibration, skeleton)
        advice_far_side = False
        far_side: Side | None = None
        measured_here = self._calibration is not None and lying
        if self._calibration is not None and lying:
            hint = self._last_fit
            details = measure_details(
                skeleton,
                self._calibration,
                min_confidence=self.min_confidence,
                # The previous frame's drop places the body in one pass (a frame apart the
                # drop has moved a few degrees at most; after a gap, two passes).
                drop_hint_deg=hint[1] if hint is not None and t - hint[0] <= 0.5 else None,
            )
            self._last_fit = None if details.knee is None else (t, details.knee.theta_deg)
            metrics = self._smooth(t, details.metrics)
            view_raw = self._calibration.view
            measurable = view_measurable(self._calibration) and not (
                details.knee is not None and details.knee.ambiguous
            )
            if measurable and _far_side(
                self._calibration, details, skeleton, self.min_confidence, self._flat_deg
            ):
                measurable, advice_far_side = False, True
                assert details.knee is not None  # _far_side needs the knee fit
                raw = details.metrics.knee_drop.value
                direction = raw - self._flat_deg if raw is not None else details.knee.theta_deg
                far_side = Side.RIGHT if direction > 0 else Side.LEFT
                # The shoulders are misread there too (flat shoulders read "lifted" on 35
                # of 119 far-side stills from the recommended place, none on the near side):
                # the whole frame is the other camera place's to measure.
                metrics = metrics.unmeasured()
            drop = metrics.knee_drop.value
            if drop is not None:
                if abs(drop) >= TWIST_DEG:
                    self._twisting = True
                elif abs(drop) <= NEUTRAL_DEG:
                    self._twisting = False
                raw_family = PoseFamily.SUPINE_TWIST if self._twisting else PoseFamily.SUPINE
            if measurable:
                if self._measurable_since is None:
                    self._measurable_since = t
                # Fail safe: after a break, trusted only once it has held a while.
                measurable = t - self._measurable_since >= self.hysteresis_s
            else:
                self._measurable_since = None
            if not measurable:
                # A view that cannot tell the drop's direction may still tell twist from
                # neutral (above), but gives no number: unknown travels as unknown.
                metrics = metrics.unmeasured()
                self._speed.reset()
        else:
            metrics = TwistMetrics.unknown(t)
            self._speed.reset()
        turned = self._turned_size is not None and not measured_here
        if turned:
            # The recogniser's view of a turned picture means nothing: where the camera
            # stands is unknown, and nothing is measured until the picture is turned back.
            view_raw, measurable = View.UNKNOWN, False
        family = self._family.update(t, raw_family)
        view = self._view.update(t, view_raw)
        assert isinstance(family, PoseFamily) and isinstance(view, View)
        advice = "" if measurable else (VIEW_ADVICE[view] or VIEW_ADVICE[View.UNKNOWN])
        if advice_far_side:
            advice = FAR_SIDE_ADVICE
        calibrated = self._calibration is not None and self._calibration.neutral
        if not calibrated and raw_family in LYING_FAMILIES and measurable:
            # Also with a camera estimated from the pose: it gives no knee drop
            # (kinematics.UNCALIBRATED_KNEE_CONFIDENCE), so a measurable view with nothing
            # measured says what is missing.
            advice = CALIBRATE_ADVICE
        if turned:
            advice = CAMERA_TURNED_ADVICE
        camera_side: Side | None = None
        if self._calibration is not None and _has_far_side(self._calibration):
            # The azimuth is positive on the person's left.
            camera_side = Side.LEFT if self._calibration.azimuth_deg > 0 else Side.RIGHT
        return Observation(
            t,
            metrics,
            family,
            rec.family_confidence,
            view,
            measurable,
            advice,
            far_side,
            camera_side,
        )

    def _smooth(self, t: float, m: TwistMetrics) -> TwistMetrics:
        def smooth(name: str, measure: Measure) -> Measure:
            if measure.value is None:
                return measure
            return Measure(
                round(self._filters[name].filter(t, measure.value), 2), measure.confidence
            )

        knee = smooth("knee_drop", m.knee_drop)
        speed = Measure.unknown(0.0)
        raw = m.knee_drop.value
        if raw is not None and knee.value is not None:
            # Smoothed before it is differentiated: a raw frame-to-frame difference would
            # turn a degree of jitter into 30 deg/s (see DropSpeed).
            rate = self._speed.update(t, raw)
            if rate is not None:
                speed = Measure(round(rate, 2), knee.confidence)
        else:
            self._speed.reset()
        drop_side = m.drop_side
        if knee.value is not None:
            drop_side = (
                Side.CENTRE
                if abs(knee.value) < 5.0
                else Side.RIGHT
                if knee.value > 0
                else Side.LEFT
            )
        return replace(
            m,
            knee_drop=knee,
            drop_side=drop_side,
            pelvis_roll=smooth("pelvis_roll", m.pelvis_roll),
            shoulder_roll=smooth("shoulder_roll", m.shoulder_roll),
            twist=smooth("twist", m.twist),
            knee_flexion=smooth("knee_flexion", m.knee_flexion),
            speed=speed,
        )


_SMOOTHED = ("knee_drop", "pelvis_roll", "shoulder_roll", "twist", "knee_flexion")

#: A knee drop of at least this (degrees, the fit's best guess) away from a diagonal camera
#: that reads unknown gets the "far side" camera advice.
FAR_SIDE_MIN_DEG = 15.0
#: Measured drops away from a camera to one side from this (degrees, from what the
#: calibration's own still frames read: :func:`flat_reading`) on are not given: they can
#: read far too short, the unsafe side. Rendered stills of 18 bodies from 13 diagonal
#: places (both splits): at 15 (before) a man's 41.8 deg drop read 10.8 and his 27.8 read
#: 8.2 from 30 deg up at 50 round (full model), 31.8 short, past every margin; at 8 the
#: worst given far-side reading is 14.0 short (full; heavy 15.0: drops of 15 read about 0
#: from a lens 1 m high or 30 deg up). Lying flat reads less: in the 36 rendered clips,
#: from what their calibration frames read, the reading away from the camera was at most
#: 4.2 on the 2284 flat frames with the heavy model (7.7 from the calibration's zero
#: alone) and 3.2 on 2261 of the 2262 with the full one (one frame read 11.6, a drop's
#: first movement read the wrong way). Was 20, then 15 (a man's 27.9 read 18.6 from the
#: recommended place).
FAR_SIDE_MAX_DEG = 8.0
#: A reading away from a camera to one side whose knee fit could be more than this far off
#: (degrees, :attr:`kinematics.KneeFit.uncertainty_deg`: the fit's residual over how fast
#: the knees' image moves with the drop) is not given either: the far side reads short, so
#: a reading there must be well determined. Rendered stills, both models: the far-side
#: readings given under 8 that were 9.6-12.8 short (drops of 15 read 1.9-5.3) had 7.9-11.5;
#: in the 36 rendered clips the readings away from the camera had at most 6.3 (heavy; full:
#: 3.7 at the 99th percentile, the rest on frames read 10-13 the wrong way as a drop began).
FAR_SIDE_MAX_UNCERTAINTY_DEG = 7.0
#: A camera calibrated as at the feet end (azimuth within 25 degrees) but this far round
#: (degrees) or more stands at a diagonal, and has a far side too. The rendered feet-corner
#: cameras (35 degrees round) calibrate at 23-35 (the recommended ones, 50-60 round, at
#: 38-64): those read at 23-25 are named the feet end, and there drops away from the
#: camera read the knee drop 6.8 deg off (full model; towards the camera 3.9), short by up
#: to 11.7, and the pelvis roll 22.4 off, worst 40.3 (a 45-degree roll read 15.5). Below
#: it a camera can stand at the feet end itself, whose two sides look alike: both measured.
FAR_SIDE_MIN_AZIMUTH_DEG = 20.0


def _has_far_side(calibration: Calibration) -> bool:
    """Whether the camera stands to one side of the body: a diagonal, or a feet-end view
    :data:`FAR_SIDE_MIN_AZIMUTH_DEG` or more round."""
    if calibration.view is View.OBLIQUE:
        return True
    return (
        calibration.view is View.FEET_END
        and abs(calibration.azimuth_deg) >= FAR_SIDE_MIN_AZIMUTH_DEG
    )


def _far_side(
    calibration: Calibration,
    details: Measurement,
    skeleton: Skeleton,
    min_confidence: float,
    flat_deg: float = 0.0,
) -> bool:
    """True when the knees drop away from a camera to one side (:func:`_has_far_side`)
    beyond what it can measure: they then move along the camera's line of sight, so this
    side is for a camera on the other side of the mat. That is a drop that reads unknown
    (the fit's best guess at least :data:`FAR_SIDE_MIN_DEG`, the knees well seen), or one
    measured at :data:`FAR_SIDE_MAX_DEG` or more, or measured with a fit that may be more
    than :data:`FAR_SIDE_MAX_UNCERTAINTY_DEG` off.

    A measured drop is taken from ``flat_deg``, what the calibration's own still frames
    read (:func:`flat_reading`), so a calibration whose zero sits a few degrees to one side
    neither names the far side for a person lying still nor lets a far-side drop through.
    The camera's azimuth is positive on the person's left and the drop positive to their
    right, so a drop away from the camera has the azimuth's sign.
    """
    knee = details.knee
    if knee is None or not _has_far_side(calibration):
        return False
    measured = details.metrics.knee_drop.value
    if measured is not None:
        away = (measured - flat_deg) * math.copysign(1.0, calibration.azimuth_deg)
        return away > 0 and (
            away >= FAR_SIDE_MAX_DEG or knee.uncertainty_deg > FAR_SIDE_MAX_UNCERTAINTY_DEG
        )
    if abs(knee.theta_deg) < FAR_SIDE_MIN_DEG:
        return False
    seen = float(np.min(skeleton.visibility[list(_HIPS_KNEES)])) >= min_confidence
    return seen and knee.theta_deg * calibration.azimuth_deg > 0


def flat_reading(calibration: Calibration, frames: Sequence[Skeleton]) -> float:
    """The knee drop (degrees, the median over ``frames``) that the still frames a
    calibration was made from read with it; 0 when none reads one.

    One view cannot place the knees exactly: measured with the calibration made from them,
    the frames can read a few degrees to one side (rendered stills of 18 bodies from 13
    diagonal places, heavy model: up to 9.7 for a true 0; the recommended places up to 5.9).
    """
    readings = [
        v
        for v in (measure_details(f, calibration).metrics.knee_drop.value for f in frames)
        if v is not None
    ]
    return float(statistics.median(readings)) if readings else 0.0
