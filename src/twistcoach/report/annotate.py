"""Annotated photographs and videos: the skeleton, the gauge and the numbers drawn on
every frame (:mod:`twistcoach.overlay`)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from twistcoach.i18n import t as _t
from twistcoach.metrics import Measure, Observation, View
from twistcoach.photo import ImageAnalysis
from twistcoach.pipeline import VideoAnalysis
from twistcoach.report._values import value_of
from twistcoach.report.summary import photo_rotation_metrics
from twistcoach.report.timeline import usable
from twistcoach.report.words import (
    KNEE_DROP_WORDS,
    NOT_MEASURED,
    MeasureWords,
    TwistMeasure,
    rotation_view_name,
)
from twistcoach.wording import family_words, signed_degrees, view_words


def _overlay_values(
    observation: Observation | None, cap_deg: float, words: MeasureWords = KNEE_DROP_WORDS
) -> tuple[float | None, str | None, dict[str, str]]:
    if observation is None or observation.metrics is None:
        return None, None, {_t("person"): _t("not found")}
    m = observation.measured
    assert m is not None
    seated = words.measure is TwistMeasure.TRUNK_ROTATION

    def deg(measure: Measure) -> str:
        # A report is read later, by people who did not see the session: words, not the
        # live window's "?".
        v = value_of(measure)
        return _t(NOT_MEASURED) if v is None else signed_degrees(v)

    view = str(observation.view)
    if seated:
        view = rotation_view_name(observation.view, observation.view_measurable) or "unknown"
    # Words, not ids: "supine twist", "from above".
    # In the command line's language (--lang), as the report.
    numbers = {
        _t("pose"): _t(family_words(observation.family)),
        _t("view"): _t(view_words(view)),
    }
    for slot in ("pelvis_roll", "shoulder_roll", "twist"):
        if slot in words.labels:
            numbers[_t(words.labels[slot])] = deg(getattr(m, slot))
    speed = value_of(m.speed)
    if speed is not None:
        numbers[_t("speed")] = signed_degrees(speed, "deg/s")
    side = None if m.drop_side is None else str(m.drop_side)
    return value_of(m.knee_drop), side, numbers


def write_annotated_image(
    path: Path,
    rgb: np.ndarray[Any, np.dtype[np.uint8]],
    analysis: ImageAnalysis,
    cap_deg: float,
    words: MeasureWords = KNEE_DROP_WORDS,
) -> None:
    """Draw the skeleton, gauge (named by ``words``) and numbers on a photograph and save it
    (format by suffix); a trunk rotation's from :func:`photo_rotation_metrics`."""
    import cv2

    from twistcoach.overlay import draw_overlay

    rotation = words.measure is TwistMeasure.TRUNK_ROTATION
    m = photo_rotation_metrics(analysis) if rotation else analysis.metrics
    # The photograph's own view, except a lone photograph's trunk rotation (none is given
    # without a square flat photograph, and its camera place is unknown): view "unknown".
    lone = rotation and analysis.rotation is None
    obs = (
        None
        if m is None
        else Observation(
            0.0,
            m,
            analysis.family,
            analysis.family_confidence,
            View.OBLIQUE if lone else analysis.view,
            True if lone else analysis.view_measurable,
        )
    )
    drop, side, numbers = _overlay_values(obs, cap_deg, words)
    if lone:  # judged from a square pose, which a photo does not have
        numbers[_t("view")] = _t(view_words("unknown"))
    image = draw_overlay(
        rgb,
        skeleton=analysis.skeleton,
        knee_drop_deg=drop,
        drop_side=side,
        cap_deg=cap_deg,
        numbers=numbers,
        gauge_name=_t(words.name),
    )
    if not cv2.imwrite(str(path), np.ascontiguousarray(image[:, :, ::-1])):
        raise OSError(f"cannot write {path}")


def write_annotated_video(
    path: Path,
    analysis: VideoAnalysis,
    cap_deg: float,
    words: MeasureWords = KNEE_DROP_WORDS,
) -> int:
    """Re-decode the video and write an H.264 mp4 with the overlay on every frame (its
    gauge named and its numbers in ``words``).

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
                gauge_name=_t(words.name),
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
