"""What happened over a video, frame by frame: the coach's events (too fast, shoulder
lifted, over the cap, bouncing) and each side's largest drop, hold and speed, judged on
measured frames only (see :mod:`twistcoach.report`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from twistcoach.checks import (
    CheckLimits,
    FormChecks,
    Reading,
    find_zero,
    over_cap,
    reading,
    shoulder_lifting,
    time_median_gap_s,
    too_fast,
    too_sparse_to_follow,
)
from twistcoach.metrics import Measure, Observation, Side, View
from twistcoach.pipeline import FrameResult
from twistcoach.report._values import side_sign
from twistcoach.report.words import EventKind, TwistMeasure

#: A hold is the stretch within this many degrees of the side's largest drop.
HOLD_BAND_DEG = 10.0
#: Two held frames further apart than this (seconds, unknown frames between them) make two
#: holds: a moment's dip in landmark confidence is not the person moving, a longer one is not
#: counted as held.
HOLD_GAP_S = 0.3


@dataclass(frozen=True)
class ReportThresholds:
    """Numbers the report judges by: the coach's checks' (:class:`CheckLimits`) and the
    smallest drop that counts as a hold (degrees)."""

    checks: CheckLimits
    min_hold_drop_deg: float

    @property
    def speed_limit_deg_s(self) -> float:
        """Degrees per second above which a drop is too fast."""
        return self.checks.speed_limit_deg_s

    @property
    def shoulder_roll_limit_deg(self) -> float:
        """Degrees of shoulder roll above which a shoulder is lifting."""
        return self.checks.shoulder_roll_limit_deg

    @classmethod
    def from_coaching_rules(
        cls, measure: TwistMeasure = TwistMeasure.KNEE_DROP
    ) -> ReportThresholds:
        """The live coach's thresholds: ``rules/coaching.yaml`` for the knee drop,
        ``rules/coaching_seated.yaml`` for the trunk rotation."""
        from twistcoach.coaching import load_coaching_rules

        if measure is TwistMeasure.TRUNK_ROTATION:
            from twistcoach.seated_tracking import load_seated_coaching_rules

            th = load_seated_coaching_rules().thresholds
        else:
            th = load_coaching_rules().thresholds
        return cls(checks=th.check_limits(), min_hold_drop_deg=th.min_hold_drop_deg)


@dataclass(frozen=True)
class EventSpan:
    """An event lasting from ``start_s`` to ``end_s`` (timestamps of its first and last frame)."""

    kind: EventKind
    start_s: float
    end_s: float
    start_index: int
    end_index: int


@dataclass(frozen=True)
class SideStats:
    """What the knees did on one side.

    Attributes
    ----------
    max_knee_drop_deg
        Largest drop to this side, unsigned degrees; None when they never went there.
    time_held_s
        Longest hold (see the module docs), seconds.
    hold_start_s, hold_end_s
        Where that hold lies (None without one).
    peak_speed_deg_s
        Largest unsigned speed while the knees were on this side; None when unknown.
    frames
        Frames with the knees measured on this side.
    measured
        False when the camera cannot measure this side (the knees went there beyond what
        it can see) or measured nothing in the whole video: then nothing else is given.
    """

    max_knee_drop_deg: float | None
    time_held_s: float
    hold_start_s: float | None
    hold_end_s: float | None
    peak_speed_deg_s: float | None
    frames: int
    measured: bool = True


def video_view(observations: Sequence[Observation]) -> tuple[View | None, bool, str]:
    """The video's main view, whether it can be measured and its camera advice, from the
    frames with a person: the most frequent view, measurable when most of its frames were,
    the advice most of them had (single frames flicker, e.g. before calibration)."""
    views = Counter(o.view for o in observations)
    if not views:
        return None, False, ""
    view = views.most_common(1)[0][0]
    in_view = [o for o in observations if o.view == view]
    advice = Counter(o.view_advice for o in in_view).most_common(1)[0][0]
    measurable = sum(o.view_measurable for o in in_view) * 2 > len(in_view)
    return view, measurable, advice


def frame_gap_s(frames: Sequence[FrameResult]) -> float:
    """The time between the video's frames, seconds (0 with fewer than two): their median
    gap weighted by the time each spans (:func:`twistcoach.checks.time_median_gap_s`), the
    gap the live coach judges its frames by too; for a steady frame rate the plain gap, for
    bursts (0.05, 0.05, 0.4 s apart) the 0.4 s that every travel and hold is broken by."""
    return time_median_gap_s([f.timestamp_s for f in frames])


def speed_checked(frames: Sequence[FrameResult]) -> bool:
    """False when the frames are too far apart to show a speed
    (:func:`twistcoach.checks.too_sparse_to_follow`, the rule the live coach refuses such a
    video by): then no frame gives a speed, no side a peak speed, and "too fast" is not
    checked (:func:`usable`)."""
    return not too_sparse_to_follow(frame_gap_s(frames))


def usable(frames: Sequence[FrameResult]) -> list[Observation]:
    """Each frame's observation as the report may use it: as it is, or, when the video's
    main view cannot be measured (:func:`video_view`), marked unmeasurable, so that no
    frame of it gives a number (its metrics read through ``Observation.measured``).

    Where the frames are too far apart to show a speed (:func:`speed_checked`) every
    frame's speed is unknown, its angles kept: the CSV's speed cells are then empty, the
    speed plot says "not measured", no side has a peak speed and no frame is "too fast"
    (a 1 frame-a-second timelapse read +-37 degrees a second and its report said "slow").
    """
    observations = [f.observation for f in frames]
    if not speed_checked(frames):
        observations = [_without_speed(o) for o in observations]
    _, measurable, _ = video_view([f.observation for f in frames if f.skeleton is not None])
    if measurable:
        return observations
    return [replace(o, view_measurable=False) for o in observations]


def _without_speed(observation: Observation) -> Observation:
    """The observation with its speed unknown (everything else kept)."""
    if observation.metrics is None:
        return observation
    return replace(observation, metrics=replace(observation.metrics, speed=Measure.unknown()))


def frame_events(
    observation: Observation, cap_deg: float, th: ReportThresholds, zero_deg: float = 0.0
) -> set[EventKind]:
    """The events one frame shows on its own (bouncing needs the frames before it: see
    :func:`events_by_frame`); empty when the frame was not measured. ``zero_deg`` is the
    coach's neutral zero the cap is judged from."""
    r = reading(observation, th.checks)
    if r is None:
        return set()
    kinds: set[EventKind] = set()
    if over_cap(r.drop_deg - zero_deg, cap_deg, th.checks):
        kinds.add(EventKind.OVER_CAP)
    if too_fast(r.speed_deg_s, th.checks):
        kinds.add(EventKind.TOO_FAST)
    if shoulder_lifting(r.metrics, th.checks):
        kinds.add(EventKind.SHOULDER_LIFTED)
    return kinds


def events_by_frame(
    frames: Sequence[FrameResult], cap_deg: float, th: ReportThresholds
) -> list[set[EventKind]]:
    """The events of every frame, as the live coach's checks judge them
    (:class:`twistcoach.checks.FormChecks`, the drop from the coach's neutral zero)."""
    observations = usable(frames)
    readings: list[Reading | None] = [reading(o, th.checks) for o in observations]
    zero = find_zero(zip((f.timestamp_s for f in frames), readings, strict=True), th.checks)
    checks = FormChecks(th.checks)
    out: list[set[EventKind]] = []
    for frame, r in zip(frames, readings, strict=True):
        if r is None:
            out.append(set())
            continue
        found = checks.check(frame.timestamp_s, r.drop_deg - zero, r, cap_deg)
        out.append({EventKind(c.value) for c in found})
    return out


def detect_events(
    frames: Sequence[FrameResult], cap_deg: float, th: ReportThresholds
) -> list[EventSpan]:
    """Group consecutive frames showing the same event into spans, in time order."""
    spans: list[EventSpan] = []
    open_: dict[EventKind, tuple[FrameResult, FrameResult]] = {}
    for frame, kinds in zip(frames, events_by_frame(frames, cap_deg, th), strict=True):
        for kind in list(open_):
            if kind not in kinds:
                first, last = open_.pop(kind)
                spans.append(
                    EventSpan(kind, first.timestamp_s, last.timestamp_s, first.index, last.index)
                )
        for kind in kinds:
            first, _ = open_.get(kind, (frame, frame))
            open_[kind] = (first, frame)
    for kind, (first, last) in open_.items():
        spans.append(EventSpan(kind, first.timestamp_s, last.timestamp_s, first.index, last.index))
    return sorted(spans, key=lambda s: (s.start_s, s.kind))


def side_stats(frames: Sequence[FrameResult], side: Side, th: ReportThresholds) -> SideStats:
    """Largest drop, longest hold and peak speed for one side (see the module docs), from
    measured frames only; nothing for a side the camera could not measure."""
    observations = usable(frames)
    readings = [reading(o, th.checks) for o in observations]
    if all(r is None for r in readings) or any(o.far_side is side for o in observations):
        return SideStats(None, 0.0, None, None, None, 0, measured=False)
    sign = side_sign(side)
    drops: list[float | None] = []
    peak_speed: float | None = None
    count = 0
    for r in readings:
        signed = None if r is None else r.drop_deg * sign
        drops.append(signed)
        if r is not None and signed is not None and signed > 0:
            count += 1
            speed = r.speed_deg_s
            if speed is not None:
                peak_speed = abs(speed) if peak_speed is None else max(peak_speed, abs(speed))
    on_side = [d for d in drops if d is not None and d > 0]
    if not on_side:
        return SideStats(None, 0.0, None, None, peak_speed, 0)
    peak = max(on_side)
    floor = max(th.min_hold_drop_deg, peak - HOLD_BAND_DEG)
    best: tuple[float, float | None, float | None] = (0.0, None, None)
    run_start: float | None = None
    last_in: float | None = None
    for frame, d in zip(frames, drops, strict=True):
        t = frame.timestamp_s
        if d is None:
            continue  # unknown: decided by the next known frame (see HOLD_GAP_S)
        if d > floor:
            if run_start is None or last_in is None or t - last_in > HOLD_GAP_S + 1e-9:
                run_start = t
            last_in = t
            length = t - run_start
            if length > best[0] or best[1] is None:
                best = (length, run_start, t)
        else:
            run_start = last_in = None
    held, start, end = best
    if peak <= th.min_hold_drop_deg:
        held, start, end = 0.0, None, None
    return SideStats(peak, held, start, end, peak_speed, count)
