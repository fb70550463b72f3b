"""``summary.json``: what a photograph or a video showed, with nothing view-dependent where
the view cannot be measured (fields in ``docs/analyze.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twistcoach.checks import reading
from twistcoach.metrics import Side, TwistMetrics
from twistcoach.photo import ImageAnalysis
from twistcoach.pipeline import FrameResult, VideoAnalysis
from twistcoach.report._values import rounded, value_of
from twistcoach.report.family import TWIST_OF, video_family
from twistcoach.report.timeline import (
    HOLD_GAP_S,
    ReportThresholds,
    detect_events,
    frame_gap_s,
    side_stats,
    speed_checked,
    usable,
    video_view,
)
from twistcoach.report.words import (
    KNEE_DROP_WORDS,
    MeasureWords,
    TwistMeasure,
    rotation_view_name,
)

#: Range cap drawn and checked when none is given (degrees); a typical first-session cap.
DEFAULT_CAP_DEG = 60.0


def photo_rotation_metrics(analysis: ImageAnalysis) -> TwistMetrics | None:
    """A photograph's trunk rotation in the rotation tracker's metric slots (``knee_drop``
    and ``twist``: the rotation, ``drop_side`` its side); None when nobody was found.

    Measured against a square flat photograph from the same place (``analyze --flat``) it
    is the seated coach's calibrated reading (``ImageAnalysis.rotation``:
    bench/ACCURACY_SEATED.md's calibrated columns, from in front, raised: mean 2.3-2.7°,
    worst 6.0-8.8°). A lone photograph has no square pose to calibrate on, and gives no
    rotation and no side (:data:`twistcoach.photo.LONE_PHOTO_ROTATION`), as it gives no knee
    drop.
    """
    if analysis.rotation is not None:
        return analysis.rotation  # measured against a square flat photograph (--flat)
    if analysis.skeleton is None:
        return None
    return TwistMetrics.unknown(0.0)


def image_summary(analysis: ImageAnalysis, words: MeasureWords = KNEE_DROP_WORDS) -> dict[str, Any]:
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
                "trunk_rotation_deg": rounded(value_of(rm.knee_drop)),
                "rotation_side": None if rm.drop_side is None else str(rm.drop_side),
                "confidence": round(rm.confidence, 3),
            }
        # Alone, the camera's place is unknown (it is judged from the square pose), and an
        # unknown place measures nothing: never "unknown" and measurable together.
        view = {
            "view": "unknown",
            "view_confidence": 0.0,
            "view_measurable": False,
            "view_advice": "",
        }
        if analysis.rotation is not None:  # the calibration saw where the camera is
            view = {
                "view": rotation_view_name(analysis.view, analysis.view_measurable) or "unknown",
                "view_confidence": round(analysis.view_confidence, 3),
                "view_measurable": analysis.view_measurable,
                "view_advice": analysis.view_advice,
            }
    else:
        m = analysis.metrics
        if m is not None and not analysis.view_measurable:
            m = m.unmeasured()
        if m is not None:
            metrics = {
                "knee_drop_deg": rounded(value_of(m.knee_drop)),
                "drop_side": None if m.drop_side is None else str(m.drop_side),
                "pelvis_roll_deg": rounded(value_of(m.pelvis_roll)),
                "shoulder_roll_deg": rounded(value_of(m.shoulder_roll)),
                "lifted_shoulder": None if m.lifted_shoulder is None else str(m.lifted_shoulder),
                "twist_deg": rounded(value_of(m.twist)),
                "knee_flexion_deg": rounded(value_of(m.knee_flexion)),
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
        # The flat photograph the camera was calibrated on (``analyze --flat``), else None:
        # a lone photograph gives no knee drop.
        "calibrated_on": None if analysis.calibrated_on is None else str(analysis.calibrated_on),
        "metrics": metrics,
        "warnings": list(analysis.warnings),
    }


def video_summary(
    analysis: VideoAnalysis,
    cap_deg: float,
    th: ReportThresholds,
    *,
    words: MeasureWords = KNEE_DROP_WORDS,
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
    family, family_conf, shares = video_family(
        [f.observation for f in family_frames if f.skeleton is not None]
    )
    view, measurable, advice = video_view(seen)
    view_name = None if view is None else str(view)
    if words.measure is TwistMeasure.TRUNK_ROTATION:
        view_name = rotation_view_name(view, measurable)
    readings = [reading(o, th.checks) for o in usable(frames)]
    measured = sum(r is not None for r in readings)
    # Frames that look like the twist itself but gave no number: a summary of the measured
    # frames alone would then read like a small twist (the red team's clip: 37 twist frames
    # unmeasured, "largest knee drop 0.1 deg"). Recognised frames only: the rotation
    # tracker names its plan's family on every frame, at confidence 0.
    twist_frames = [
        r
        for f, r in zip(frames, readings, strict=True)
        if f.skeleton is not None
        and f.observation.family in TWIST_OF.values()
        and f.observation.family_confidence > 0
    ]
    stats = {side: side_stats(frames, side, th) for side in (Side.LEFT, Side.RIGHT)}
    drops = {s: st.max_knee_drop_deg or 0.0 for s, st in stats.items()}
    main_side = max(drops, key=lambda s: drops[s]) if any(drops.values()) else None
    events = detect_events(frames, cap_deg, th)
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if frames else 0.0
    # Held frames further apart than HOLD_GAP_S are never one hold: at a timelapse's
    # spacing every hold read 0.0 s, a number the frames cannot give ("not measured").
    holds_known = not frame_gap_s(frames) > HOLD_GAP_S + 1e-9
    per_side = {
        str(side): {
            words.max_key: rounded(st.max_knee_drop_deg),
            "time_held_s": round(st.time_held_s, 2) if holds_known else None,
            "hold_start_s": rounded(st.hold_start_s, 2) if holds_known else None,
            "hold_end_s": rounded(st.hold_end_s, 2) if holds_known else None,
            "peak_speed_deg_s": rounded(st.peak_speed_deg_s),
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
        "frames_twist": len(twist_frames),
        "frames_twist_unmeasured": sum(r is None for r in twist_frames),
        "warnings": [],  # the decoder's and the command's, added by the command
        "duration_s": round(duration, 3),
        "image_size": list(analysis.image_size),
        "pose_family": str(family),
        "pose_family_confidence": family_conf,
        "pose_family_shares": shares,
        "view": view_name,
        "view_measurable": measurable,
        "view_advice": advice,
        "cap_deg": cap_deg,
        # The median time between frames, and whether a speed could be judged at it (the
        # coach's one rule): when not, no speed, no peak speed, no "too fast", and the
        # report and the batch say speed was not checked rather than "slow".
        "frame_gap_s": round(frame_gap_s(frames), 3),
        "speed_checked": speed_checked(frames),
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
