"""The ``twistcoach coach`` window: the camera frame letterboxed to one size, the skeleton,
the gauge with the cap band, the step and hold timer (:func:`twistcoach.overlay.draw_overlay`)
and the cue, wrapped in a real font (Pillow, DejaVu Sans) along the bottom.

Drawing only: no camera, no coach logic; :mod:`twistcoach.cli.coach_cmd` shows what
:func:`compose_window` returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from twistcoach import i18n
from twistcoach.overlay import font_file

if TYPE_CHECKING:
    from twistcoach.coaching import Coach
    from twistcoach.landmarks import Skeleton
    from twistcoach.metrics import Observation

#: The coach window's size (width, height in pixels). Every frame is letterboxed into it,
#: so the window's text has one readable size (at least 18 px) whatever the camera's or the
#: video's resolution, and the window (``WINDOW_AUTOSIZE``) takes exactly this size.
WINDOW_SIZE = (1280, 720)
#: The cue's font size (pixels) in the window, and the smallest it shrinks to for a long cue.
CUE_FONT_PX = 30
CUE_MIN_FONT_PX = 22


def _letterbox(
    frame_rgb: NDArray[np.uint8], skeleton: Skeleton | None, size: tuple[int, int]
) -> tuple[NDArray[np.uint8], Skeleton | None]:
    """The frame scaled to fit ``size`` (width, height) on black, and the skeleton moved
    with it (its pixel coordinates scaled and shifted the same way)."""
    import cv2

    height, width = frame_rgb.shape[:2]
    out_w, out_h = size
    scale = min(out_w / width, out_h / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    x0, y0 = (out_w - new_w) // 2, (out_h - new_h) // 2
    canvas = np.zeros((out_h, out_w, 3), np.uint8)
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = cv2.resize(
        frame_rgb, (new_w, new_h), interpolation=method
    )
    if skeleton is not None:
        from dataclasses import replace

        moved = skeleton.image_xy * scale + np.array([x0, y0], dtype=skeleton.image_xy.dtype)
        skeleton = replace(skeleton, image_xy=moved, image_size=(out_w, out_h))
    return canvas, skeleton


def _wrap_px(text: str, font: object, max_width: int) -> list[str]:
    """Words of ``text`` in lines no wider than ``max_width`` pixels in ``font``."""
    from PIL import ImageFont

    assert isinstance(font, ImageFont.FreeTypeFont | ImageFont.ImageFont)
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def draw_cue(bgr: NDArray[np.uint8], text: str, *, safety: bool) -> int:
    """Draw the whole cue, wrapped (never cut), on a dark band along the bottom-left (the
    gauge sits bottom-right), with a real font (Pillow, DejaVu Sans) in place; a long cue
    gets a smaller font, down to ``CUE_MIN_FONT_PX``. Returns the font size used (px)."""
    from PIL import Image, ImageDraw, ImageFont

    height, width = bgr.shape[:2]
    band_w = int(width * 0.68)
    path = font_file()
    size = int(max(CUE_MIN_FONT_PX, round(CUE_FONT_PX * width / WINDOW_SIZE[0])))
    while True:
        font = ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)
        lines = _wrap_px(text, font, band_w - 28)
        line_h = round(size * 1.3)
        if len(lines) * line_h <= height * 0.45 or size <= CUE_MIN_FONT_PX:
            break
        size -= 2
    top = max(0, height - line_h * len(lines) - 24)
    band = bgr[top:, :band_w]
    band[:] = (band * 0.3).astype(np.uint8)
    image = Image.fromarray(np.ascontiguousarray(band[:, :, ::-1]))
    draw = ImageDraw.Draw(image)
    colour = (240, 90, 70) if safety else (250, 190, 50)
    for i, line in enumerate(lines):
        draw.text((14, 12 + i * line_h), line, font=font, fill=colour)
    band[:] = np.asarray(image)[:, :, ::-1]
    return size


def cap_text(cap_deg: float) -> str:
    """The window's cap number (:func:`twistcoach.metrics.degrees_text`, never "-0"):
    whole degrees, one decimal for a cap that is not whole (a cap is a limit: 37.5 is not
    said as 38)."""
    from twistcoach.metrics import degrees_text

    return degrees_text(cap_deg, 0 if float(cap_deg).is_integer() else 1)


def compose_window(
    frame_rgb: NDArray[np.uint8],
    skeleton: Skeleton | None,
    obs: Observation | None,
    coach: Coach,
    size: tuple[int, int] | None = WINDOW_SIZE,
) -> NDArray[np.uint8]:
    """The coaching window's image: skeleton, gauge with the cap band (amber where "stay
    here" begins), cue, step, hold timer.

    Parameters
    ----------
    size
        (width, height) to letterbox the frame into (``WINDOW_SIZE``); None keeps the
        frame's own size.

    Returns
    -------
    ndarray
        (H, W, 3) uint8 in OpenCV's BGR order (ready for ``imshow`` / ``imwrite``).
    """
    from twistcoach.coaching import CoachState
    from twistcoach.overlay import draw_overlay
    from twistcoach.poses import load_library
    from twistcoach.report import TwistMeasure, measure_of
    from twistcoach.wording import step_words

    if size is not None:
        frame_rgb, skeleton = _letterbox(frame_rgb, skeleton, size)
    drop: float | None = None
    side: str | None = None
    if obs is not None and obs.metrics is not None:
        value = obs.metrics.knee_drop.value
        if value is not None and obs.view_measurable and coach.calibrated:
            # The gauge shows what the coach uses: the drop from the calibrated neutral,
            # and nothing before the coach has one (the tracker's own reading from no
            # measured zero read -41 degrees on the web's set-up: Coach.shown_drop_deg).
            drop = value - (coach.baseline_deg or 0.0)
            side = "right" if drop > 3 else "left" if drop < -3 else "centre"
    # Labels and the twist's name in the --lang language, as the step and the cue are.
    numbers = {
        i18n.t("pain"): "-" if coach.last_pain is None else f"{coach.last_pain}/10",
        i18n.t("cap"): f"{cap_text(coach.personal_cap_deg)}°",  # "35 deg" where Hershey draws
        i18n.t("twist"): i18n.t(load_library().name_of(coach.plan.variant_id)),
    }
    hold_left = None
    if coach.state is CoachState.HOLDING:
        hold_left = coach.plan.hold_s - coach.hold_elapsed_s
    # The dial named as analyze's overlay names it: "trunk rotation" for a seated or
    # standing twist (report.MEASURE_WORDS), unnamed for the supine knee-drop dial.
    gauge_name = None
    if measure_of(coach.plan.family) is TwistMeasure.TRUNK_ROTATION:
        gauge_name = i18n.t("trunk rotation")
    image = draw_overlay(
        frame_rgb,
        skeleton=skeleton,
        knee_drop_deg=drop,
        drop_side=side,
        cap_deg=coach.personal_cap_deg,
        stay_deg=coach.stay_here_deg,
        numbers=numbers,
        cue=None,
        # The step in the timeline's words, worded for the person practising ("Paused: you
        # paused it"): the coach's own step_text spaces a reason's id ("Paused: user").
        step=i18n.t(step_words(coach, "person")),
        hold_remaining_s=hold_left,
        gauge_name=gauge_name,
    )
    bgr = np.ascontiguousarray(image[:, :, ::-1])
    cue = coach.current_cue
    if cue is not None:
        draw_cue(bgr, i18n.t(cue.text), safety=cue.priority.value == "safety")
    return bgr


__all__ = [
    "CUE_FONT_PX",
    "CUE_MIN_FONT_PX",
    "WINDOW_SIZE",
    "cap_text",
    "compose_window",
    "draw_cue",
    "font_file",
]
