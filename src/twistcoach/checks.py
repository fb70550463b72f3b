"""The coach's checks, in one place: what a reading is, the neutral zero, and the form rules.

Pure core: standard library only (plus the shared result types). The live
:class:`twistcoach.coaching.Coach` and the analysis reports (``twistcoach.report``) both
call these, so a session and a report of the same frames judge them with the same
arithmetic:

reading
    A frame's knee drop (degrees, + = the person's right) and speed (degrees per second)
    when they may be used: a person found, the view measurable, the drop known and its
    confidence (and the frame's) at least ``min_confidence``; the speed only when its own
    confidence is. Otherwise None ("not measured"): never a number.
neutral zero (:class:`NeutralZero`)
    Lying still at the centre (``|drop| < centre_deg``, slower than three times
    ``still_speed_deg_s``) for ``setup_still_s``, then ``calibration_s`` of readings whose
    spread stays within ``calibration_max_spread_deg``: their median is the zero the checks
    measure the drop from (a move restarts it).
over the cap (COACH-CAP-OVER)
    ``|drop - zero| > cap + over_cap_tolerance_deg``.
too fast (COACH-SPEED)
    ``|speed| > speed_limit_deg_s`` and the knees travelled more than
    ``speed_limit_deg_s * speed_window_s`` degrees within the last ``speed_window_s`` of
    consecutive readings (:class:`Travel`). The frame-to-frame speed alone fired on
    kinematic steps: on rendered calm drops (7-9 deg/s true) the measured drop lagged a
    few degrees near 5-10 deg and then caught up in two or three frames (9 -> 15 deg in
    0.25 s), reading 20.6 deg/s; the travel over 0.75 s then read 12 deg/s. A step of
    ``s`` degrees adds at most ``s / speed_window_s`` to the travel's rate, and a reading
    after a gap has no travel before it. Tuning split of ``bench/CUES.md``: windows of
    0.5 / 0.75 / 1.0 s left 2 / 1 / 0 false "slowly" and caught the fast moves 0.33 and
    0.42 / 0.33 and 0.67 / 0.42 and 1.0 s after they began; 0.75 is kept.
    Below the deep level (the coach's "stay here" drop; the cap in reports) the travel must
    also beat the camera's catch-up step, ``speed_step_deg`` more than the limit allows
    (``speed_limit_deg_s * speed_window_s + speed_step_deg``): the measured drop lags the
    true one by up to 7-8 deg between about 5 and 15 deg and then catches up, so calm
    drops and returns read 1.3-1.6 times their true speed there (true peaks 17-18.4 deg/s
    read 22-26 deg/s over 0.75 s). At and past the deep level no step is allowed: there
    the camera reads the drop ever shorter with depth (``rules/coaching.yaml``
    ``under_read``), so a speed reads slower than it is, and calm practice does not go
    there. Tuning split's long calm practice (10.8 min, 30 drops and returns at 9-18.4
    deg/s peak): steps of 0 / 3 / 4 / 5-8 deg left 20 / 8 / 2 / 0 false "slowly", and the
    fast moves were caught 0.33 / 0.42 / 0.42 / 0.42 s (the quick drop) and 0.67 s (the
    return from past the cap, deep) after they began. The measured travel exceeded the
    true travel within 0.75 s by at most 7.95 deg there (5.4 at the 99th percentile). 6 is
    used: inside the plateau with a degree to spare, and a steady move from the centre is
    still named from 20 + 6 / 0.75 = 28 deg/s (a larger step would leave a quick 38 deg
    return from 38 deg unnamed before its last 12 deg).
shoulder lifting (COACH-SHOULDER)
    the kinematics name a lifted shoulder, or ``|shoulder roll| > shoulder_roll_limit_deg``
    with the roll's confidence at least ``min_confidence``.
bouncing (COACH-BOUNCE, :class:`BounceCounter`)
    ``bounce_reversals`` direction reversals of the drop, each at least
    ``bounce_amplitude_deg``, within ``bounce_window_s``; it fires once and counts afresh.

Every limit comes from ``rules/coaching.yaml`` through :class:`CheckLimits`
(``Thresholds.check_limits()``).
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from twistcoach.metrics import Observation, Side, TwistMetrics


@dataclass(frozen=True)
class CheckLimits:
    """The numbers the checks judge by (see the module docs and ``rules/coaching.yaml``).

    Attributes
    ----------
    min_confidence
        Readings below this confidence, in [0, 1], are not measured.
    speed_window_s
        Seconds of consecutive readings over which the knees' travel confirms "too fast".
    speed_step_deg
        Degrees of travel beyond ``speed_limit_deg_s * speed_window_s`` needed below the
        deep level (the camera's catch-up step; see the module docs).
    over_cap_tolerance_deg
        Degrees past the cap before "over the cap".
    speed_limit_deg_s
        Degrees per second of knee drop above which it is "too fast".
    shoulder_roll_limit_deg
        Degrees of shoulder-line tilt above which a shoulder is lifting.
    bounce_amplitude_deg, bounce_reversals, bounce_window_s
        A reversal counts when the knees move back at least this far (degrees); this many
        within this many seconds is bouncing.
    centre_deg, still_speed_deg_s, setup_still_s, calibration_s, calibration_max_spread_deg
        The neutral zero (:class:`NeutralZero`): degrees, degrees per second, seconds,
        seconds, degrees.
    """

    min_confidence: float
    over_cap_tolerance_deg: float
    speed_limit_deg_s: float
    shoulder_roll_limit_deg: float
    bounce_amplitude_deg: float
    bounce_reversals: int
    bounce_window_s: float
    centre_deg: float
    still_speed_deg_s: float
    setup_still_s: float
    calibration_s: float
    calibration_max_spread_deg: float
    speed_window_s: float = 0.75
    speed_step_deg: float = 0.0


#: Readings further apart than this (seconds) are not consecutive: the travel starts afresh
#: (:class:`Travel`).
TRAVEL_GAP_S = 0.25
#: Float rounding allowed on a gap (seconds) before it counts as over :data:`TRAVEL_GAP_S`:
#: a 4 frame-a-second stream's timestamps (``i / 4``, or sums of 0.25) must not read as
#: 0.25000000000000006 apart and be called sparse, nor start the travel afresh.
GAP_TOLERANCE_S = 1e-6

#: Frames further apart than this (their time-weighted median gap, seconds:
#: :func:`time_median_gap_s`) are too sparse to follow a twist, and it is the travel's own gap
#: (:data:`TRAVEL_GAP_S`), one number: "too fast" needs the knees' travel over ``speed_window_s``
#: (0.75 s) of consecutive readings, and readings more than :data:`TRAVEL_GAP_S` apart start it
#: afresh, so at 3 frames a second (0.33 s apart) every reading starts a new travel and a 60
#: degrees-a-second drop was never "too fast", while the old rule (0.5 s, 2 frames a second) called
#: such frames fine: the analyze report said "None in the measured frames: slow" about a speed it
#: could not check, and the coach accepted the video. At 4 frames a second (0.25 s) the travel spans
#: three gaps of a 0.75 s window (a steady 60 degrees a second reads 60 there). Further apart a
#: speed between frames is no speed anyway (a 0.1 frame-a-second file read peak speeds of 0.1-0.3
#: degrees a second for movements the coach calls too fast; a 1 frame-a-second timelapse read a drop
#: made in 2 s as +-37 degrees a second, once, and nothing before or after it). The one rule of
#: every command (:func:`too_sparse_to_follow`): the coach refuses such a video and pauses a live
#: stream that becomes so sparse (:class:`FrameRate`); an analysis still measures its angles frame
#: by frame, but gives no speed and checks no "too fast" (``twistcoach.report.timeline.usable``).
SPARSE_FRAME_GAP_S = TRAVEL_GAP_S
#: The fewest frames a second a twist can be followed at (4): one every
#: :data:`SPARSE_FRAME_GAP_S`.
MIN_FRAME_RATE = 1.0 / SPARSE_FRAME_GAP_S
#: Seconds of a live stream's newest frames whose gap :class:`FrameRate` judges (and at least
#: :data:`FRAME_RATE_MIN_FRAMES` frames; :func:`time_median_gap_s` over this window): long
#: enough that one late frame, or a freeze under half of it, is outvoted by the frames
#: around it, short enough to pause within about 2 s of the rate falling.
FRAME_RATE_WINDOW_S = 2.0
#: The fewest frames :class:`FrameRate` judges a median gap from (4 gaps): a session's first
#: few frames, or the first after one freeze, say nothing about the rate yet.
FRAME_RATE_MIN_FRAMES = 5


def median_gap_s(times: Sequence[float]) -> float:
    """The median time between consecutive frames, seconds (0 with fewer than two).

    Parameters
    ----------
    times
        Frame timestamps, seconds, in order.
    """
    gaps = sorted(b - a for a, b in itertools.pairwise(times))
    return gaps[len(gaps) // 2] if gaps else 0.0


def time_median_gap_s(times: Sequence[float], since: float | None = None) -> float:
    """The gap between frames (seconds) that half the stream's time lies in gaps at most as
    long as: the median of the gaps weighted by the time they span (0 with fewer than two
    frames; not a number when a time is not one).

    What the speed needs is time covered by consecutive readings (the travel of
    :class:`Travel` starts afresh after a gap over :data:`TRAVEL_GAP_S`), not many frames:
    the plain median gap of bursts (0.05, 0.05, 0.4 s apart) is 0.05 s, yet every 0.4 s gap
    restarts the travel and "too fast" could never fire; weighted by time it is 0.4 s. Judged
    by :func:`too_sparse_to_follow`, frames are followed when more than half of their time
    lies in gaps the travel bridges. For frames at a steady rate it is their plain gap.

    Parameters
    ----------
    times
        Frame timestamps, seconds, in order.
    since
        Only the time from here on counts (a gap that began before it counts for its part
        after it): a live stream's recent window. None: from the first frame.
    """
    spans: list[tuple[float, float]] = []  # (gap, the time of it that counts)
    for a, b in itertools.pairwise(times):
        gap = b - a
        if math.isnan(gap):
            return math.nan
        start = a if since is None else max(a, since)
        spans.append((gap, max(0.0, b - start)))
    if not spans:
        return 0.0
    spans.sort()
    total = sum(w for _, w in spans)
    if not total > 0.0:  # frames all at one time (or none counted): the plain median
        return spans[len(spans) // 2][0]
    covered = 0.0
    for gap, w in spans:
        covered += w
        if covered >= total / 2:
            return gap
    return spans[-1][0]  # only by float rounding


def too_sparse_to_follow(gap_s: float) -> bool:
    """True when frames ``gap_s`` seconds apart (their time-weighted median gap, or one over
    a video's frame rate) are too far apart to follow a twist: no speed can be judged between them
    (:data:`SPARSE_FRAME_GAP_S`).

    Parameters
    ----------
    gap_s
        Seconds between frames (0 with fewer than two frames: nothing to follow, not too
        sparse); not a number is too sparse.
    """
    # "not <=" so that a NaN gap (broken times) is too sparse, never followed.
    return not gap_s <= SPARSE_FRAME_GAP_S + GAP_TOLERANCE_S


def frame_rate_too_low(fps: float) -> bool:
    """True when a video of ``fps`` frames a second is too sparse to follow a twist
    (:func:`too_sparse_to_follow`; at least :data:`MIN_FRAME_RATE`)."""
    return not fps > 0.0 or too_sparse_to_follow(1.0 / fps)


class FrameRate:
    """Whether a live stream's frames come often enough to follow a twist: the time-weighted
    median gap (:func:`time_median_gap_s`) of its last :data:`FRAME_RATE_WINDOW_S` seconds
    (from at least :data:`FRAME_RATE_MIN_FRAMES` frames), judged by
    :func:`too_sparse_to_follow`, the rule an analysis's speed is judged by too.

    Explicit time: feed it every frame's timestamp (seconds, in order), measured or not
    (a frame with nobody in it still came).
    """

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def reset(self) -> None:
        """Forget the frames so far."""
        self._times.clear()

    def update(self, t: float) -> bool | None:
        """Take a frame's time ``t`` (seconds); True when the newest frames are too sparse
        to follow, False when they are not, None while too few frames came to say."""
        times = self._times
        if not math.isfinite(t):
            # A time that is not one gives no gap to judge: not kept (one NaN kept had
            # judged every later frame too sparse, for ever, and the window grew without end).
            return None
        if times and t < times[-1]:
            times.clear()  # time went back (a new stream): judge it afresh
        times.append(t)
        # Keep the window's frames, the one just before it (so a single frame every few
        # seconds still has a gap to judge) and at least the fewest frames judged.
        while len(times) > FRAME_RATE_MIN_FRAMES and t - times[1] >= FRAME_RATE_WINDOW_S:
            times.popleft()
        if len(times) < FRAME_RATE_MIN_FRAMES:
            return None
        return too_sparse_to_follow(time_median_gap_s(times, since=t - FRAME_RATE_WINDOW_S))


class Travel:
    """How far the knees went (degrees) over the last ``speed_window_s`` of consecutive
    readings, as a rate: the travel divided by the whole window, so a short history (the
    first readings after a gap) can only read slower than it is."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._recent: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        """Forget the readings so far."""
        self._recent.clear()

    def update(self, t: float, drop_deg: float) -> float:
        """Take the drop (degrees) at ``t`` (seconds); the travel's rate (deg/s, signed)."""
        if self._recent and t - self._recent[-1][0] > TRAVEL_GAP_S + GAP_TOLERANCE_S:
            self._recent.clear()
        self._recent.append((t, drop_deg))
        while t - self._recent[0][0] > self.window_s + 1e-9:
            self._recent.popleft()
        return (drop_deg - self._recent[0][1]) / self.window_s


class Check(StrEnum):
    """A form rule a reading broke."""

    OVER_CAP = "over_cap"
    TOO_FAST = "too_fast"
    SHOULDER_LIFTED = "shoulder_lifted"
    BOUNCING = "bouncing"


@dataclass(frozen=True)
class Reading:
    """A frame's usable knee drop and speed.

    Attributes
    ----------
    drop_deg
        Knee drop, signed degrees from the tracker's zero (+ = the person's right).
    speed_deg_s
        Signed degrees per second; None when not measured.
    metrics
        The frame's metrics (for the shoulder check).
    """

    drop_deg: float
    speed_deg_s: float | None
    metrics: TwistMetrics


def reading(obs: Observation, limits: CheckLimits) -> Reading | None:
    """The frame's reading, or None when it was not measured (see the module docs)."""
    m = obs.measured
    if m is None or m.confidence < limits.min_confidence:
        return None
    drop = m.knee_drop.value
    if drop is None or m.knee_drop.confidence < limits.min_confidence:
        return None
    speed = m.speed.value if m.speed.confidence >= limits.min_confidence else None
    return Reading(drop, speed, m)


def over_cap(drop_from_zero_deg: float, cap_deg: float, limits: CheckLimits) -> bool:
    """True when the drop from the neutral zero (degrees, either side) is over the cap."""
    return abs(drop_from_zero_deg) > cap_deg + limits.over_cap_tolerance_deg


def too_fast(speed_deg_s: float | None, limits: CheckLimits) -> bool:
    """True when a measured speed (degrees per second, either way) is over the limit."""
    return speed_deg_s is not None and abs(speed_deg_s) > limits.speed_limit_deg_s


def shoulder_lifting(metrics: TwistMetrics | None, limits: CheckLimits) -> bool:
    """A shoulder off the floor, or the shoulder line tilted past the limit (measured)."""
    if metrics is None:
        return False
    if metrics.lifted_shoulder is not None and metrics.lifted_shoulder is not Side.CENTRE:
        return True
    roll = metrics.shoulder_roll
    return (
        roll.value is not None
        and roll.confidence >= limits.min_confidence
        and abs(roll.value) > limits.shoulder_roll_limit_deg
    )


class BounceCounter:
    """Direction reversals of the knee drop, with hysteresis (see the module docs)."""

    def __init__(self, limits: CheckLimits) -> None:
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        """Forget the motion so far (a pause, a new side)."""
        self._trend = 0
        self._extreme: float | None = None
        self._reversals: list[float] = []

    def update(self, t: float, drop_deg: float) -> bool:
        """Take the drop (degrees) at time ``t`` (seconds); True at the n-th reversal
        within the window, after which the count starts afresh."""
        lim = self.limits
        if self._extreme is None:
            self._extreme = drop_deg
            return False
        if self._trend == 1 and drop_deg > self._extreme:
            self._extreme = drop_deg  # still rising: follow the peak
        elif self._trend == -1 and drop_deg < self._extreme:
            self._extreme = drop_deg  # still falling: follow the trough
        elif abs(drop_deg - self._extreme) >= lim.bounce_amplitude_deg:
            direction = 1 if drop_deg > self._extreme else -1
            if self._trend != 0 and direction != self._trend:
                self._reversals.append(t)
            self._trend = direction
            self._extreme = drop_deg
        self._reversals = [r for r in self._reversals if t - r <= lim.bounce_window_s]
        if len(self._reversals) >= lim.bounce_reversals:
            self._reversals = []
            return True
        return False


class ZeroStep(StrEnum):
    """What one reading did to the neutral zero (:meth:`NeutralZero.update`)."""

    NOT_READY = "not_ready"  # not lying still at the centre
    SETTLING = "settling"  # still at the centre, not long enough yet
    STARTED = "started"  # calibration starts with this reading
    CALIBRATING = "calibrating"
    RESTARTED = "restarted"  # moved during calibration: it starts again from here
    DONE = "done"  # :attr:`NeutralZero.zero` is set


class NeutralZero:
    """The coach's neutral zero from the readings of a person lying with knees up.

    Feed it readings in time order; :attr:`zero` (degrees) is set once :meth:`update`
    answers :attr:`ZeroStep.DONE`, and further updates change nothing.
    """

    def __init__(self, limits: CheckLimits) -> None:
        self.limits = limits
        self.zero: float | None = None
        self.calibrating = False
        self._still_since: float | None = None
        self._since = 0.0
        self._samples: list[float] = []

    def restart(self, t: float) -> None:
        """Start the calibration again at time ``t`` (seconds), as after a pause."""
        self._samples = []
        self._since = t

    def update(
        self, t: float, drop_deg: float, speed_deg_s: float | None, in_position: bool = True
    ) -> ZeroStep:
        """Take a reading: the drop (degrees from the tracker's zero) and speed at ``t``.

        ``in_position`` is False when the person is surely in another posture.
        """
        lim = self.limits
        if self.zero is not None:
            return ZeroStep.DONE
        if not self.calibrating:
            at_centre = abs(drop_deg) < lim.centre_deg and in_position
            still = speed_deg_s is None or abs(speed_deg_s) < lim.still_speed_deg_s * 3
            if not (at_centre and still):
                self._still_since = None
                return ZeroStep.NOT_READY
            if self._still_since is None:
                self._still_since = t
            if t - self._still_since < lim.setup_still_s:
                return ZeroStep.SETTLING
            self.calibrating = True
            self._since = t
            self._samples = [drop_deg]
            return ZeroStep.STARTED
        self._samples.append(drop_deg)
        spread = max(self._samples) - min(self._samples)
        if spread > lim.calibration_max_spread_deg or abs(drop_deg) >= lim.centre_deg:
            self._samples = [drop_deg]
            self._since = t
            return ZeroStep.RESTARTED
        if t - self._since >= lim.calibration_s:
            ordered = sorted(self._samples)
            self.zero = ordered[len(ordered) // 2]
            return ZeroStep.DONE
        return ZeroStep.CALIBRATING


def find_zero(readings: Iterable[tuple[float, Reading | None]], limits: CheckLimits) -> float:
    """The neutral zero (degrees) a coach would set from these ``(time, reading)`` pairs;
    0 (the tracker's own calibrated zero) when it never would. Unmeasured frames are
    skipped."""
    zero = NeutralZero(limits)
    for t, r in readings:
        if r is not None and zero.update(t, r.drop_deg, r.speed_deg_s) is ZeroStep.DONE:
            break
    return zero.zero if zero.zero is not None else 0.0


class FormChecks:
    """The form rules over a stream of readings (stateful for bouncing)."""

    def __init__(self, limits: CheckLimits) -> None:
        self.limits = limits
        self.bounce = BounceCounter(limits)
        self.travel = Travel(limits.speed_window_s)

    def reset(self) -> None:
        """Forget the motion so far."""
        self.bounce.reset()
        self.travel.reset()

    def check(
        self,
        t: float,
        drop_from_zero_deg: float,
        r: Reading,
        cap_deg: float,
        deep_deg: float | None = None,
    ) -> frozenset[Check]:
        """The rules a reading at ``t`` (seconds) breaks, its drop measured from the
        neutral zero (degrees), under a cap of ``cap_deg`` degrees; ``deep_deg`` is the
        drop (degrees, either side) from which no catch-up step is allowed on the speed
        (the coach's "stay here" drop; None: the cap)."""
        lim = self.limits
        found: set[Check] = set()
        if over_cap(drop_from_zero_deg, cap_deg, lim):
            found.add(Check.OVER_CAP)
        travel = self.travel.update(t, drop_from_zero_deg)
        deep = abs(drop_from_zero_deg) >= (cap_deg if deep_deg is None else deep_deg)
        step = 0.0 if deep else lim.speed_step_deg / lim.speed_window_s
        if too_fast(r.speed_deg_s, lim) and abs(travel) > lim.speed_limit_deg_s + step:
            found.add(Check.TOO_FAST)
        if shoulder_lifting(r.metrics, self.limits):
            found.add(Check.SHOULDER_LIFTED)
        if self.bounce.update(t, drop_from_zero_deg):
            found.add(Check.BOUNCING)
        return frozenset(found)
