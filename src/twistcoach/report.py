"""Analysis reports: ``summary.json``, per-frame ``metrics.csv``, an HTML report, annotations.

Summaries are plain JSON-ready dicts whose fields are listed in ``docs/analyze.md``. The
HTML report is one self-contained file rendered with Jinja2 from the package's
``templates/report.html`` (autoescaped): its plots are inline SVG made with matplotlib's Agg
backend and nothing in it points outside the file.

Unknown means unknown: a frame counts as measured only where the coach would use it
(:func:`twistcoach.checks.reading`: the view measurable, the drop's confidence high
enough), and only in a video whose main view can be measured (most of that view's frames
measurable, :func:`video_view`); everywhere else the CSV's cells are empty, the plots have
gaps and the summary says "not measured" (null). A side the camera cannot measure (the
far side of a diagonal camera, ``Observation.far_side``) gives no largest drop, hold or
speed: what little of it was measured would read short.

Events are the live coach's checks (:mod:`twistcoach.checks`, the same code and the same
thresholds from ``rules/coaching.yaml``): over_cap (the drop from the coach's neutral zero,
:func:`twistcoach.checks.find_zero`, over the cap), too_fast, shoulder_lifted and bouncing,
judged on measured frames only. Holds:

Two measures (:class:`TwistMeasure`): a supine twist's knee drop, or a seated or standing
twist's trunk rotation (the chest turned from the hips, measured by
:class:`twistcoach.seated_tracking.RotationTracker`, judged by ``rules/coaching_seated.yaml``'s
thresholds). The tracker carries either in the same metric slots; :class:`MeasureWords` names
them for people (summary fields, CSV columns, plot labels, the overlay), so a seated twist's
report never says "knee drop".

time held, per side
    the longest unbroken stretch during which the knees stay dropped to that side by more
    than ``min_hold_drop_deg`` and within :data:`HOLD_BAND_DEG` of that side's largest drop.
    A known frame outside that band ends the stretch; unknown frames end it when the held
    frames on either side are more than :data:`HOLD_GAP_S` apart (shorter gaps are bridged).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from twistcoach.checks import (
    Check,
    CheckLimits,
    FormChecks,
    Reading,
    find_zero,
    over_cap,
    reading,
    shoulder_lifting,
    too_fast,
)
from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View
from twistcoach.pipeline import FrameResult, ImageAnalysis, VideoAnalysis

#: Range cap drawn and checked when none is given (degrees); a typical first-session cap.
DEFAULT_CAP_DEG = 60.0
#: A hold is the stretch within this many degrees of the side's largest drop.
HOLD_BAND_DEG = 10.0
#: Two held frames further apart than this (seconds, unknown frames between them) make two
#: holds: a moment's dip in landmark confidence is not the person moving, a longer one is not
#: counted as held.
HOLD_GAP_S = 0.3
#: Pose family shares at or above this make a video count as the twist of that posture.
TWIST_SHARE = 0.25
#: A video also counts as the twist of its posture when it holds one sustained twist
#: segment: consecutive frames with a person recognised as that twist (no gap between
#: them over :data:`TWIST_SEGMENT_GAP_S`) spanning at least this many seconds, at a mean
#: family confidence of at least :data:`TWIST_SEGMENT_MIN_CONFIDENCE`. A twist clip that
#: spends most of its time getting into and out of the pose never reaches
#: :data:`TWIST_SHARE`: the shared clip ``feluna_reclining_twist.mp4`` drops the knees only
#: in its last 1.5 s of 7.9 (bench/RECOGNITION.md gives its segment), while a second of
#: the twist is more than the tracker's 0.5 s family hysteresis can make of a flicker.
TWIST_SEGMENT_S = 1.0
#: Largest gap (seconds) between two frames of one twist segment (a frame or two without a
#: person at 25-30 frames a second).
TWIST_SEGMENT_GAP_S = 0.2
#: Mean family confidence a sustained twist segment needs.
TWIST_SEGMENT_MIN_CONFIDENCE = 0.5

_TWIST_OF = {
    PoseFamily.SUPINE: PoseFamily.SUPINE_TWIST,
    PoseFamily.SEATED: PoseFamily.SEATED_TWIST,
    PoseFamily.STANDING: PoseFamily.STANDING_TWIST,
}


class EventKind(StrEnum):
    """Things worth marking on a video's timeline (the coach's checks, same names)."""

    TOO_FAST = Check.TOO_FAST.value
    SHOULDER_LIFTED = Check.SHOULDER_LIFTED.value
    OVER_CAP = Check.OVER_CAP.value
    BOUNCING = Check.BOUNCING.value


EVENT_LABELS = {
    EventKind.TOO_FAST: "too fast",
    EventKind.SHOULDER_LIFTED: "shoulder lifted",
    EventKind.OVER_CAP: "over cap",
    EventKind.BOUNCING: "bouncing",
}
EVENT_COLORS = {
    EventKind.TOO_FAST: "#f0a020",
    EventKind.SHOULDER_LIFTED: "#8a5cd0",
    EventKind.OVER_CAP: "#e04040",
    EventKind.BOUNCING: "#20a0a0",
}
#: What a report says where nothing was measured.
NOT_MEASURED = "not measured"


class TwistMeasure(StrEnum):
    """What a twist is measured by (the plan's ``range.measure``)."""

    KNEE_DROP = "knee_drop"  # supine twists: the knees' drop from the ceiling
    TRUNK_ROTATION = "trunk_rotation"  # seated and standing: the chest turned from the hips


@dataclass(frozen=True)
class MeasureWords:
    """How a report names one measure and the tracker's metric slots that carry it.

    Attributes
    ----------
    measure
        Which measure.
    name
        Its plain name ("knee drop", "trunk rotation").
    columns
        ``TwistMetrics`` slot -> CSV column / JSON field, for the slots this measure
        fills (the others are left out of the CSV).
    labels
        ``TwistMetrics`` slot -> words for the plots and the overlay.
    events
        Event -> (its ``kind`` in the JSON and CSV, its label in the report).
    axis
        The main plot's y-axis label.
    """

    measure: TwistMeasure
    name: str
    columns: dict[str, str]
    labels: dict[str, str]
    events: dict[EventKind, tuple[str, str]]
    axis: str

    @property
    def max_key(self) -> str:
        """The per-side summary field of the largest value (``max_knee_drop_deg``, ...)."""
        return f"max_{self.measure.value}_deg"

    @property
    def csv_columns(self) -> tuple[str, ...]:
        """The CSV's header for this measure."""
        return (
            "frame",
            "timestamp_s",
            "person",
            "pose_family",
            "view",
            *self.columns.values(),
            "events",
        )

    def event_kind(self, kind: EventKind) -> str:
        """An event's ``kind`` as the JSON and CSV write it."""
        return self.events[kind][0]

    def event_label(self, kind: str) -> str:
        """The report's words for an event written as :meth:`event_kind`."""
        for written, label in self.events.values():
            if written == kind:
                return label
        raise ValueError(f"unknown event {kind!r}")


_SUPINE_EVENTS = {kind: (kind.value, EVENT_LABELS[kind]) for kind in EventKind}

#: The words of each measure.
MEASURE_WORDS: dict[TwistMeasure, MeasureWords] = {
    TwistMeasure.KNEE_DROP: MeasureWords(
        measure=TwistMeasure.KNEE_DROP,
        name="knee drop",
        columns={
            "knee_drop": "knee_drop_deg",
            "drop_side": "drop_side",
            "pelvis_roll": "pelvis_roll_deg",
            "shoulder_roll": "shoulder_roll_deg",
            "lifted_shoulder": "lifted_shoulder",
            "twist": "twist_deg",
            "knee_flexion": "knee_flexion_deg",
            "knees_together": "knees_together",
            "speed": "speed_deg_s",
            "confidence": "confidence",
        },
        labels={
            "knee_drop": "knee drop",
            "pelvis_roll": "pelvis roll",
            "shoulder_roll": "shoulder roll",
            "twist": "twist",
        },
        events=_SUPINE_EVENTS,
        axis="knee drop (°)\n+ right / − left",
    ),
    # The rotation tracker's slots (twistcoach.seated_tracking): knee_drop = trunk rotation,
    # drop_side = its side, pelvis_roll = pelvis turn since calibration, shoulder_roll = side
    # bend, lifted_shoulder = a side bend past the form limit (the side it leans to).
    TwistMeasure.TRUNK_ROTATION: MeasureWords(
        measure=TwistMeasure.TRUNK_ROTATION,
        name="trunk rotation",
        columns={
            "knee_drop": "trunk_rotation_deg",
            "drop_side": "rotation_side",
            "pelvis_roll": "pelvis_turn_deg",
            "shoulder_roll": "side_bend_deg",
            "lifted_shoulder": "side_bend_fault",
            "speed": "speed_deg_s",
            "confidence": "confidence",
        },
        labels={
            "knee_drop": "trunk rotation",
            "pelvis_roll": "pelvis turn",
            "shoulder_roll": "side bend",
        },
        events={
            **_SUPINE_EVENTS,
            EventKind.SHOULDER_LIFTED: ("side_bend", "leaning to the side"),
        },
        axis="trunk rotation (°)\n+ chest to the right / − left",
    ),
}


_KNEE_DROP_WORDS = MEASURE_WORDS[TwistMeasure.KNEE_DROP]


def measure_of(family: PoseFamily | str) -> TwistMeasure:
    """The measure of a pose family: trunk rotation for seated and standing postures,
    knee drop for the others (supine twists; anything else is analysed as before)."""
    seated = {
        PoseFamily.SEATED,
        PoseFamily.SEATED_TWIST,
        PoseFamily.STANDING,
        PoseFamily.STANDING_TWIST,
    }
    return TwistMeasure.TRUNK_ROTATION if PoseFamily(family) in seated else TwistMeasure.KNEE_DROP


#: The rotation tracker's views in the camera-placement words of ``docs/measuring.md``
#: (its observations carry the supine coach's views: the measured front camera in the
#: "oblique" slot, which a diagonal camera shares but never measures).
def rotation_view_name(view: View | None, measurable: bool) -> str | None:
    """Where the camera was for a seated or standing twist: front, diagonal, side,
    overhead or unknown (None when nobody was seen)."""
    if view is None:
        return None
    if view is View.OBLIQUE:
        return "front" if measurable else "diagonal"
    return {View.SIDE: "side", View.TOP_DOWN: "overhead"}.get(view, "unknown")


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


def _value(measure: Measure | None) -> float | None:
    if measure is None or measure.value is None or not math.isfinite(measure.value):
        return None
    return float(measure.value)


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _side_sign(side: Side) -> float:
    return 1.0 if side is Side.RIGHT else -1.0


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


def usable(frames: Sequence[FrameResult]) -> list[Observation]:
    """Each frame's observation as the report may use it: as it is, or, when the video's
    main view cannot be measured (:func:`video_view`), marked unmeasurable, so that no
    frame of it gives a number (its metrics read through ``Observation.measured``)."""
    observations = [f.observation for f in frames]
    _, measurable, _ = video_view([f.observation for f in frames if f.skeleton is not None])
    if measurable:
        return observations
    return [replace(o, view_measurable=False) for o in observations]


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
    sign = _side_sign(side)
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


def twist_segment(
    observations: Sequence[Observation], twist: PoseFamily
) -> tuple[float, float, float]:
    """The longest run of consecutive frames recognised as ``twist``.

    Parameters
    ----------
    observations
        The frames with a person, in time order.
    twist
        The twist family looked for.

    Returns
    -------
    tuple of float
        (start, end, mean family confidence) of the longest run, seconds from the video's
        start; frames further apart than :data:`TWIST_SEGMENT_GAP_S` end a run. (0, 0, 0)
        when no frame is the twist.
    """
    best = (0.0, 0.0, 0.0)
    best_len = -1.0
    run: list[Observation] = []
    for o in [*observations, None]:
        if (
            o is not None
            and o.family is twist
            and (not run or o.timestamp_s - run[-1].timestamp_s <= TWIST_SEGMENT_GAP_S)
        ):
            run.append(o)
            continue
        if run and run[-1].timestamp_s - run[0].timestamp_s > best_len:
            best_len = run[-1].timestamp_s - run[0].timestamp_s
            conf = float(np.mean([r.family_confidence for r in run]))
            best = (run[0].timestamp_s, run[-1].timestamp_s, conf)
        run = [o] if o is not None and o.family is twist else []
    return best


def _video_family(
    observations: Sequence[Observation],
) -> tuple[PoseFamily, float, dict[str, float]]:
    """The video's pose family: the most frequent one, or its twist when that is common or
    sustained.

    A twist video starts and ends in the neutral posture, so "supine" often outnumbers
    "supine_twist"; the video counts as the twist when the twist holds at least
    :data:`TWIST_SHARE` of the frames with a person, or when one twist segment lasts
    :data:`TWIST_SEGMENT_S` at a mean confidence of :data:`TWIST_SEGMENT_MIN_CONFIDENCE`
    (:func:`twist_segment`). Confidence: the chosen family's mean per-frame confidence
    times its share of frames (a sustained segment: at least its mean confidence times
    :data:`TWIST_SHARE`).
    """
    if not observations:
        return PoseFamily.OTHER, 0.0, {}
    counts = Counter(o.family for o in observations)
    total = len(observations)
    shares = {str(f): round(c / total, 3) for f, c in counts.most_common()}
    family = counts.most_common(1)[0][0]
    twist = _TWIST_OF.get(family)
    floor = 0.0
    if twist is not None and counts.get(twist, 0) / total >= TWIST_SHARE:
        family = twist
    elif twist is not None:
        start, end, conf = twist_segment(observations, twist)
        if end - start >= TWIST_SEGMENT_S and conf >= TWIST_SEGMENT_MIN_CONFIDENCE:
            family, floor = twist, conf * TWIST_SHARE
    confs = [o.family_confidence for o in observations if o.family == family]
    confidence = max(float(np.mean(confs)) * len(confs) / total, floor)
    return family, round(confidence, 3), shares


def video_summary_family(analysis: VideoAnalysis) -> PoseFamily:
    """The video's pose family as its summary gives it (:func:`_video_family` over the
    frames with a person)."""
    seen = [f.observation for f in analysis.frames if f.skeleton is not None]
    return _video_family(seen)[0]


def photo_rotation_metrics(analysis: ImageAnalysis) -> TwistMetrics | None:
    """A photograph's trunk rotation in the rotation tracker's metric slots (``knee_drop``
    and ``twist``: the rotation, ``drop_side`` its side), uncalibrated
    (:func:`twistcoach.rotation.measure_trunk` against the body's own zero); None when
    nobody was found. Pelvis turn and shoulder hiking need a calibration, and so does the
    side bend: against the image's up, a raised camera read a person sitting straight and
    turned 35° as bent 20° (rendered still ``woman50_average/front_raised/+0035``), so all
    three are unknown.

    One photo has no square pose to calibrate on, so this is the "depth only" reading of
    bench/ACCURACY_SEATED.md (from the recommended camera: mean error 8.4-8.9°, worst
    18-27.5°; the side right on every rendered image and on the real photographs of
    tests/test_rotation.py).
    """
    from twistcoach.rotation import CENTRE_DEG, measure_trunk

    if analysis.skeleton is None:
        return None
    m = measure_trunk(analysis.skeleton)
    rotation = m.rotation

    def measure(value: float | None, confidence: float) -> Measure:
        return Measure.unknown(confidence) if value is None else Measure(value, confidence)

    side: Side | None = None
    if rotation.value is not None:
        side = Side.CENTRE
        if abs(rotation.value) >= CENTRE_DEG:
            side = Side.RIGHT if rotation.value > 0 else Side.LEFT
    reading = measure(rotation.value, rotation.confidence)
    return TwistMetrics(
        timestamp_s=0.0,
        knee_drop=reading,
        drop_side=side,
        pelvis_roll=Measure.unknown(0.0),
        shoulder_roll=Measure.unknown(0.0),
        lifted_shoulder=None,
        twist=reading,
        knee_flexion=Measure.unknown(0.0),
        knees_together=None,
        speed=Measure.unknown(0.0),
        confidence=rotation.confidence,
    )


def image_summary(
    analysis: ImageAnalysis, words: MeasureWords = _KNEE_DROP_WORDS
) -> dict[str, Any]:
    """The ``summary.json`` of a photograph (no view-dependent number when its view cannot
    be measured); for the trunk rotation (``words``), :func:`photo_rotation_metrics` under
    its own names, and the camera's place unknown (it is judged from the square pose a
    photo does not have)."""
    view: dict[str, Any]
    metrics: dict[str, Any] = {}
    if words.measure is TwistMeasure.TRUNK_ROTATION:
        rm = photo_rotation_metrics(analysis)
        if rm is not None:
            metrics = {
                "trunk_rotation_deg": _r(_value(rm.knee_drop)),
                "rotation_side": None if rm.drop_side is None else str(rm.drop_side),
                "confidence": round(rm.confidence, 3),
            }
        view = {
            "view": "unknown",
            "view_confidence": 0.0,
            "view_measurable": rm is not None,
            "view_advice": "",
        }
    else:
        m = analysis.metrics
        if m is not None and not analysis.view_measurable:
            m = m.unmeasured()
        if m is not None:
            metrics = {
                "knee_drop_deg": _r(_value(m.knee_drop)),
                "drop_side": None if m.drop_side is None else str(m.drop_side),
                "pelvis_roll_deg": _r(_value(m.pelvis_roll)),
                "shoulder_roll_deg": _r(_value(m.shoulder_roll)),
                "lifted_shoulder": None if m.lifted_shoulder is None else str(m.lifted_shoulder),
                "twist_deg": _r(_value(m.twist)),
                "knee_flexion_deg": _r(_value(m.knee_flexion)),
                "knees_together": m.knees_together,
                "confidence": round(m.confidence, 3),
            }
        view = {
            "view": str(analysis.view),
            "view_confidence": round(analysis.view_confidence, 3),
            "view_measurable": analysis.view_measurable,
            "view_advice": analysis.view_advice,
        }
    return {
        "input": str(analysis.path),
        "kind": "image",
        "measure": words.measure.value,
        "frames": 1,
        "frames_with_person": 0 if analysis.skeleton is None else 1,
        "image_size": list(analysis.image_size),
        "pose_family": str(analysis.family),
        "pose_family_confidence": round(analysis.family_confidence, 3),
        **view,
        "metrics": metrics,
    }


def video_summary(
    analysis: VideoAnalysis,
    cap_deg: float,
    th: ReportThresholds,
    *,
    words: MeasureWords = _KNEE_DROP_WORDS,
    recognized: Sequence[FrameResult] | None = None,
) -> dict[str, Any]:
    """The ``summary.json`` of a video (see ``docs/analyze.md`` for the fields).

    Parameters
    ----------
    analysis
        The video as its measure's tracker saw it.
    cap_deg
        The range cap checked, degrees of ``words``' measure.
    th
        The measure's coach's thresholds.
    words
        The measure: it names the per-side field (``max_knee_drop_deg`` or
        ``max_trunk_rotation_deg``), the events' kinds and the camera's place.
    recognized
        The frames as the supine tracker saw them, whose pose recognition gives the pose
        family (the rotation tracker recognises none); default ``analysis.frames``.
    """
    frames = analysis.frames
    seen = [f.observation for f in frames if f.skeleton is not None]
    family_frames = analysis.frames if recognized is None else recognized
    family, family_conf, shares = _video_family(
        [f.observation for f in family_frames if f.skeleton is not None]
    )
    view, measurable, advice = video_view(seen)
    view_name = None if view is None else str(view)
    if words.measure is TwistMeasure.TRUNK_ROTATION:
        view_name = rotation_view_name(view, measurable)
    measured = sum(reading(o, th.checks) is not None for o in usable(frames))
    stats = {side: side_stats(frames, side, th) for side in (Side.LEFT, Side.RIGHT)}
    drops = {s: st.max_knee_drop_deg or 0.0 for s, st in stats.items()}
    main_side = max(drops, key=lambda s: drops[s]) if any(drops.values()) else None
    events = detect_events(frames, cap_deg, th)
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if frames else 0.0
    per_side = {
        str(side): {
            words.max_key: _r(st.max_knee_drop_deg),
            "time_held_s": round(st.time_held_s, 2),
            "hold_start_s": _r(st.hold_start_s, 2),
            "hold_end_s": _r(st.hold_end_s, 2),
            "peak_speed_deg_s": _r(st.peak_speed_deg_s),
            "frames": st.frames,
            "measured": st.measured,
        }
        for side, st in stats.items()
    }
    return {
        "input": str(analysis.path),
        "kind": "video",
        "measure": words.measure.value,
        "frames": len(frames),
        "frames_with_person": len(seen),
        "frames_measured": measured,
        "duration_s": round(duration, 3),
        "image_size": list(analysis.image_size),
        "pose_family": str(family),
        "pose_family_confidence": family_conf,
        "pose_family_shares": shares,
        "view": view_name,
        "view_measurable": measurable,
        "view_advice": advice,
        "cap_deg": cap_deg,
        "metrics": {**per_side, "main_side": None if main_side is None else str(main_side)},
        "events": [
            {
                "kind": words.event_kind(e.kind),
                "start_s": round(e.start_s, 3),
                "end_s": round(e.end_s, 3),
                "start_frame": e.start_index,
                "end_frame": e.end_index,
            }
            for e in events
        ],
    }


def failure_summary(path: Path, kind: str, message: str) -> dict[str, Any]:
    """What a batch reports for an input it could not analyse."""
    return {"input": str(path), "kind": kind, "error": message}


CSV_COLUMNS = (
    "frame",
    "timestamp_s",
    "person",
    "pose_family",
    "view",
    "knee_drop_deg",
    "drop_side",
    "pelvis_roll_deg",
    "shoulder_roll_deg",
    "lifted_shoulder",
    "twist_deg",
    "knee_flexion_deg",
    "knees_together",
    "speed_deg_s",
    "confidence",
    "events",
)


def _slot_value(m: TwistMetrics, slot: str) -> Any:
    """One metric slot as a CSV cell (degrees to 2 decimals; sides as words)."""
    if slot == "confidence":
        return round(m.confidence, 3)
    value = getattr(m, slot)
    if isinstance(value, Measure):
        return _r(_value(value), 2)
    if isinstance(value, Side):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def frame_rows(
    frames: Sequence[FrameResult],
    cap_deg: float,
    th: ReportThresholds,
    words: MeasureWords = _KNEE_DROP_WORDS,
) -> list[dict[str, Any]]:
    """One row per frame with ``words.csv_columns`` (:data:`CSV_COLUMNS` for the knee
    drop; unknown and unmeasured values are empty: see the module docs)."""
    rows = []
    events = events_by_frame(frames, cap_deg, th)
    seated = words.measure is TwistMeasure.TRUNK_ROTATION
    for f, o, kinds in zip(frames, usable(frames), events, strict=True):
        m = o.measured
        view = str(f.observation.view)
        if seated:
            view = rotation_view_name(f.observation.view, f.observation.view_measurable) or ""
        row: dict[str, Any] = {
            "frame": f.index,
            "timestamp_s": round(f.timestamp_s, 4),
            "person": int(f.skeleton is not None),
            "pose_family": str(f.observation.family) if f.skeleton is not None else "",
            "view": view if f.skeleton is not None else "",
            "events": ";".join(sorted(words.event_kind(k) for k in kinds)),
        }
        if m is not None:
            row.update({col: _slot_value(m, slot) for slot, col in words.columns.items()})
        rows.append({c: ("" if row.get(c) is None else row.get(c, "")) for c in words.csv_columns})
    return rows


def write_metrics_csv(
    path: Path,
    frames: Sequence[FrameResult],
    cap_deg: float,
    th: ReportThresholds,
    words: MeasureWords = _KNEE_DROP_WORDS,
) -> None:
    """Write the per-frame table (columns named for ``words``' measure)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=words.csv_columns)
        writer.writeheader()
        writer.writerows(frame_rows(frames, cap_deg, th, words))


def write_json(path: Path, data: Any) -> None:
    """Write JSON with a trailing newline (UTF-8, indented)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _series(frames: Sequence[FrameResult], name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = []
    for o in usable(frames):
        m = o.measured
        v = None if m is None else _value(getattr(m, name))
        values.append(np.nan if v is None else v)
    return np.asarray(values, dtype=np.float64)


def plot_svg(
    frames: Sequence[FrameResult],
    events: Sequence[EventSpan],
    cap_deg: float,
    th: ReportThresholds,
    holds: Sequence[tuple[float, float]] = (),
    words: MeasureWords = _KNEE_DROP_WORDS,
) -> str:
    """The report's plots (the measure with the cap band, shoulder roll or side bend, speed)
    as inline SVG, labelled in ``words``.

    Event spans are shaded on every panel and named in the legend; holds (start, end in
    seconds) are marked under the measure. Unknown values leave gaps.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    t = np.asarray([f.timestamp_s for f in frames], dtype=np.float64)
    drop = _series(frames, "knee_drop")
    shoulder = _series(frames, "shoulder_roll")
    speed = _series(frames, "speed")
    fig = Figure(figsize=(10, 8.2), dpi=100, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    ax_drop, ax_sh, ax_sp = axes
    ax_drop.axhspan(-cap_deg, cap_deg, color="#3cb45a", alpha=0.15, label=f"cap ±{cap_deg:.0f}°")
    for y in (cap_deg, -cap_deg):
        ax_drop.axhline(y, color="#3cb45a", lw=1, ls="--")
    ax_drop.plot(t, drop, color="#1f5fa8", lw=2, label=words.labels["knee_drop"])
    for i, (start, end) in enumerate(holds):
        ax_drop.hlines(
            -88, start, end, color="#1f5fa8", lw=6, alpha=0.5, label="held" if i == 0 else None
        )
    ax_drop.set_ylabel(words.axis)
    ax_drop.set_ylim(-95, 95)
    ax_sh.axhspan(-th.shoulder_roll_limit_deg, th.shoulder_roll_limit_deg, color="#ccc", alpha=0.4)
    ax_sh.plot(t, shoulder, color="#8a5cd0", lw=2, label=words.labels["shoulder_roll"])
    ax_sh.set_ylabel(f"{words.labels['shoulder_roll']} (°)")
    ax_sp.axhspan(-th.speed_limit_deg_s, th.speed_limit_deg_s, color="#ccc", alpha=0.4)
    ax_sp.plot(t, speed, color="#d07020", lw=2, label="speed")
    ax_sp.set_ylabel("speed (°/s)")
    ax_sp.set_xlabel("time (s)")
    for ax in axes:
        ax.axhline(0, color="#888", lw=0.8)
        ax.grid(alpha=0.3)
        for e in events:
            ax.axvspan(
                e.start_s - 0.02, e.end_s + 0.02, color=EVENT_COLORS[e.kind], alpha=0.18, lw=0
            )
    handles, _labels = ax_drop.get_legend_handles_labels()
    for kind in sorted({e.kind for e in events}):
        handles.append(Patch(color=EVENT_COLORS[kind], alpha=0.4, label=words.events[kind][1]))
    ax_drop.legend(handles=handles, loc="upper left", fontsize=9, ncols=3)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    # Drop the XML prolog and DOCTYPE so the SVG can sit inside HTML.
    return svg[svg.index("<svg") :]


#: The package's Jinja2 templates (``report.html``).
TEMPLATES_DIR = Path(__file__).parent / "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    """The report's template environment: autoescaped, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return NOT_MEASURED
    return f"{value}{unit}"


def render_html(summary: dict[str, Any], svg: str) -> str:
    """The whole self-contained HTML report of a video, from ``templates/report.html``
    (autoescaped; only ``svg``, matplotlib's own output, goes in as it is); its words
    follow the summary's ``measure`` (knee drop when it has none)."""
    words = MEASURE_WORDS[TwistMeasure(summary.get("measure", TwistMeasure.KNEE_DROP.value))]
    m = summary["metrics"]
    sides = [
        {
            "name": side,
            "drop": _fmt(m[side][words.max_key], "°"),
            "held": _fmt(m[side]["time_held_s"] if m[side].get("measured", True) else None, " s"),
            "speed": _fmt(m[side]["peak_speed_deg_s"], "°/s"),
        }
        for side in ("left", "right")
    ]
    events = [
        {
            "label": words.event_label(ev["kind"]),
            "start_s": ev["start_s"],
            "end_s": ev["end_s"],
        }
        for ev in summary["events"]
    ]
    template = _environment().get_template("report.html")
    return template.render(
        s=summary,
        name=Path(summary["input"]).name,
        main_side=str(m.get("main_side")),
        sides=sides,
        events=events,
        svg=Markup(svg),
        not_measured=NOT_MEASURED,
        hold_band_deg=HOLD_BAND_DEG,
        measure=words.measure.value,
        measure_name=words.name,
        # Set by `analyze` for a supine twist: the body type said and the body model its
        # calibration used (kinematics.calibrate_for).
        body_type=summary.get("body_type"),
        body_model=summary.get("body_model"),
    )


def write_html_report(
    path: Path,
    summary: dict[str, Any],
    frames: Sequence[FrameResult],
    cap_deg: float,
    th: ReportThresholds,
    words: MeasureWords = _KNEE_DROP_WORDS,
) -> None:
    """Write the HTML report of a video (plots inline, labelled in ``words``)."""
    events = detect_events(frames, cap_deg, th)
    holds = [
        (m["hold_start_s"], m["hold_end_s"])
        for side, m in summary["metrics"].items()
        if side in ("left", "right") and m["hold_start_s"] is not None
    ]
    svg = plot_svg(frames, events, cap_deg, th, holds, words)
    path.write_text(render_html(summary, svg), encoding="utf-8")


def _overlay_values(
    observation: Observation | None, cap_deg: float, words: MeasureWords = _KNEE_DROP_WORDS
) -> tuple[float | None, str | None, dict[str, str]]:
    if observation is None or observation.metrics is None:
        return None, None, {"person": "not found"}
    m = observation.measured
    assert m is not None
    seated = words.measure is TwistMeasure.TRUNK_ROTATION

    def deg(measure: Measure) -> str:
        v = _value(measure)
        if v is None:
            return NOT_MEASURED if seated else "?"
        return f"{v:+.0f} deg"

    view = str(observation.view)
    if seated:
        view = rotation_view_name(observation.view, observation.view_measurable) or "unknown"
    numbers = {"pose": str(observation.family), "view": view}
    for slot in ("pelvis_roll", "shoulder_roll", "twist"):
        if slot in words.labels:
            numbers[words.labels[slot]] = deg(getattr(m, slot))
    speed = _value(m.speed)
    if speed is not None:
        numbers["speed"] = f"{speed:+.0f} deg/s"
    side = None if m.drop_side is None else str(m.drop_side)
    return _value(m.knee_drop), side, numbers


def write_annotated_image(
    path: Path,
    rgb: np.ndarray[Any, np.dtype[np.uint8]],
    analysis: ImageAnalysis,
    cap_deg: float,
    words: MeasureWords = _KNEE_DROP_WORDS,
) -> None:
    """Draw the skeleton, gauge and numbers on a photograph and save it (format by suffix);
    a trunk rotation's (``words``) from :func:`photo_rotation_metrics`, its gauge named."""
    import cv2

    from twistcoach.overlay import draw_overlay

    rotation = words.measure is TwistMeasure.TRUNK_ROTATION
    m = photo_rotation_metrics(analysis) if rotation else analysis.metrics
    obs = (
        None
        if m is None
        else Observation(
            0.0,
            m,
            analysis.family,
            analysis.family_confidence,
            View.OBLIQUE if rotation else analysis.view,  # the rotation's "front" slot
            True if rotation else analysis.view_measurable,
        )
    )
    drop, side, numbers = _overlay_values(obs, cap_deg, words)
    if rotation:
        numbers["view"] = "unknown"  # judged from a square pose, which a photo does not have
    image = draw_overlay(
        rgb,
        skeleton=analysis.skeleton,
        knee_drop_deg=drop,
        drop_side=side,
        cap_deg=cap_deg,
        numbers=numbers,
        gauge_name=words.name if rotation else None,
    )
    if not cv2.imwrite(str(path), np.ascontiguousarray(image[:, :, ::-1])):
        raise OSError(f"cannot write {path}")


def write_annotated_video(
    path: Path,
    analysis: VideoAnalysis,
    cap_deg: float,
    words: MeasureWords = _KNEE_DROP_WORDS,
) -> int:
    """Re-decode the video and write an H.264 mp4 with the overlay on every frame (a trunk
    rotation's gauge named and its numbers in ``words``).

    Frames keep their original timestamps (millisecond time base), so variable frame rates
    survive. Returns the number of frames written.
    """
    import av

    from twistcoach.overlay import draw_overlay
    from twistcoach.sources import VideoSource

    by_index = {f.index: f for f in analysis.frames}
    shown = {f.index: o for f, o in zip(analysis.frames, usable(analysis.frames), strict=True)}
    width, height = analysis.image_size
    # H.264 with 4:2:0 chroma needs even dimensions; drop the odd last row/column.
    even_w, even_h = width - width % 2, height - height % 2
    written = 0
    last_pts = -1
    with av.open(str(path), mode="w") as container, VideoSource(analysis.path) as source:
        stream: Any = container.add_stream("libx264", rate=30)
        stream.width, stream.height = even_w, even_h
        stream.pix_fmt = "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"crf": "23", "preset": "veryfast"}
        for frame in source.frames():
            result = by_index.get(frame.index)
            obs = shown.get(frame.index)
            drop, side, numbers = _overlay_values(obs, cap_deg, words)
            image = draw_overlay(
                frame.rgb,
                skeleton=None if result is None else result.skeleton,
                knee_drop_deg=drop,
                drop_side=side,
                cap_deg=cap_deg,
                numbers=numbers,
                step=f"t = {frame.timestamp_s:5.2f} s",
                gauge_name=words.name if words.measure is TwistMeasure.TRUNK_ROTATION else None,
            )
            out = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(image[:even_h, :even_w]), format="rgb24"
            )
            pts = max(last_pts + 1, round(frame.timestamp_s * 1000))
            out.pts, last_pts = pts, pts
            out.time_base = Fraction(1, 1000)
            for packet in stream.encode(out):
                container.mux(packet)
            written += 1
        for packet in stream.encode():
            container.mux(packet)
    return written
