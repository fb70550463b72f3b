"""Drawing on frames: the skeleton, a knee-drop gauge, the numbers and the coach's cue.

:func:`draw_overlay` takes plain values (no coach or tracker objects), so the desktop coach
window, ``twistcoach analyze --annotate`` and anything else can share it.

The gauge is a semicircular dial seen as the person's knees would be from their feet: the
needle points straight up at 0 deg (knees at the ceiling) and leans towards the dial's
right for a positive knee drop (towards the person's right, DESIGN.md's sign convention) and
left for a negative one, reaching the horizontal at +-90 deg (knees on the floor). The band
within today's range cap is green, amber where the coach's "stay here" begins (when given),
the rest of the dial red. A seated or standing twist's trunk rotation uses the same dial,
seen from above the person's head (the needle is the chest's direction, + to their right);
the dial is then named (``name``: "trunk rotation") and an unknown reads "not measured".

OpenCV's Hershey fonts draw ASCII only: in English a text that is ASCII once its degree
signs read "deg" is drawn with them; any other, and every text in another language (a
Spanish "Calibración", "cámara"), with DejaVu Sans through Pillow at about the same size
(:func:`_text`), so no letter becomes "?". The words drawn here ("not measured", "L" and
"R", "hold ... s") are in the command line's language.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from twistcoach.i18n import t
from twistcoach.landmarks import BONES, Landmark, Skeleton
from twistcoach.wording import signed_degrees

Color = tuple[int, int, int]

#: Colours in RGB (swapped for BGR frames).
GREEN: Color = (60, 200, 90)
RED: Color = (230, 70, 60)
AMBER: Color = (245, 180, 40)
WHITE: Color = (255, 255, 255)
GREY: Color = (150, 150, 150)
DARK: Color = (25, 25, 25)
LEFT_COLOR: Color = (80, 160, 255)
RIGHT_COLOR: Color = (255, 140, 60)

#: Landmarks below this visibility are not drawn (their position is a guess).
MIN_DRAW_VISIBILITY = 0.3


@dataclass(frozen=True)
class GaugeGeometry:
    """Where the gauge goes: centre of the dial's flat side and its radius, in pixels."""

    centre: tuple[int, int]
    radius: int


def gauge_geometry(width: int, height: int) -> GaugeGeometry:
    """Place the gauge in the frame's bottom-right corner, sized to the frame."""
    radius = max(20, min(width, height) // 7)
    margin = max(8, radius // 4)
    return GaugeGeometry((width - margin - radius, height - margin - radius // 3), radius)


def needle_angle_cv(knee_drop_deg: float) -> float:
    """OpenCV ellipse angle (degrees clockwise from +x, y down) of a knee drop on the dial.

    0 deg of drop points up (-90 in OpenCV's angle); +90 deg (person's right) points to the
    dial's right (0); values are clipped to [-90, 90].
    """
    return -90.0 + max(-90.0, min(90.0, knee_drop_deg))


def needle_tip(geometry: GaugeGeometry, knee_drop_deg: float) -> tuple[int, int]:
    """Pixel position of the needle's tip for a knee drop (degrees, positive right)."""
    angle = math.radians(needle_angle_cv(knee_drop_deg))
    cx, cy = geometry.centre
    length = geometry.radius * 0.92
    return (round(cx + length * math.cos(angle)), round(cy + length * math.sin(angle)))


def _ascii(text: str) -> str:
    return text.replace("°", " deg").encode("ascii", "replace").decode("ascii")


#: Where a system font may be (Debian's fonts-dejavu-core); matplotlib's copy otherwise.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
#: DejaVu Sans pixel size for a Hershey scale: lower-case letters of about the same height
#: (Hershey simplex: 22 px capitals at scale 1, tall lower case; DejaVu's x-height is 0.55 of
#: its size, capitals 0.73: 26 px sets them side by side, looked at on the annotated photo).
_DEJAVU_PX_PER_SCALE = 26.0


def font_file() -> str | None:
    """A DejaVu Sans file: the system's, else matplotlib's own copy, else None."""
    import os

    for path in FONT_FILES:
        if os.path.exists(path):
            return path
    try:
        import matplotlib

        path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    return path if os.path.exists(path) else None


def _plain(text: str) -> bool:
    """True when Hershey draws ``text``: ASCII once degree signs read "deg", in English (in
    another language every text is drawn with DejaVu Sans, so one frame's labels never mix
    two fonts)."""
    from twistcoach import i18n

    return i18n.current_language() == i18n.DEFAULT_LANGUAGE and text.replace("°", " deg").isascii()


def _font(scale: float) -> object:
    """DejaVu Sans (Pillow) at the size of a Hershey text of ``scale``."""
    return _font_of_size(max(8, round(_DEJAVU_PX_PER_SCALE * scale)))


@functools.lru_cache(maxsize=16)
def _font_of_size(size: int) -> object:
    """The font file read once a size (the coach window draws every frame)."""
    from PIL import ImageFont

    path = font_file()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _text_size(text: str, scale: float, thickness: int = 1) -> tuple[int, int, int]:
    """(width, height above the baseline, depth below it) of ``text`` in pixels, as
    :func:`_text` draws it."""
    if _plain(text):
        import cv2

        (w, h), baseline = cv2.getTextSize(_ascii(text), cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        return int(w), int(h), int(baseline)
    font = _font(scale)
    x0, y0, x1, y1 = font.getbbox(text, anchor="ls")  # type: ignore[attr-defined]
    return int(x1 - x0), int(-y0), int(max(0, y1))


def _color(rgb: Color, bgr: bool) -> Color:
    return (rgb[2], rgb[1], rgb[0]) if bgr else rgb


#: Where the dark copies of a label go to outline it (pixels: the eight neighbours).
_OUTLINE_OFFSETS = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy)


def _text(
    image: NDArray[np.uint8],
    text: str,
    origin: tuple[int, int],
    scale: float,
    color: Color,
    *,
    bgr: bool,
) -> int:
    """Draw outlined text (its baseline's left end at ``origin``); return its height in
    pixels. Hershey for ASCII, DejaVu Sans (Pillow) for anything else (see the module docs)."""
    import cv2

    thickness = max(1, round(scale * 2))
    if not _plain(text):
        from PIL import Image, ImageDraw

        # Only the text's own box goes through Pillow: a whole frame there and back took
        # 24 ms a Spanish coach window against 2 ms in English (1280 x 720, eight texts).
        font = _font(scale)
        x0, y0, x1, y1 = font.getbbox(text, anchor="ls", stroke_width=1)  # type: ignore[attr-defined]
        height, width = image.shape[:2]
        left, top = max(0, origin[0] + x0 - 1), max(0, origin[1] + y0 - 1)
        right, bottom = min(width, origin[0] + x1 + 1), min(height, origin[1] + y1 + 1)
        if right > left and bottom > top:
            canvas = Image.fromarray(np.ascontiguousarray(image[top:bottom, left:right]))
            ImageDraw.Draw(canvas).text(
                (origin[0] - left, origin[1] - top),
                text,
                font=font,  # type: ignore[arg-type]
                fill=_color(color, bgr),
                anchor="ls",
                stroke_width=1,
                stroke_fill=_color(DARK, bgr),
            )
            image[top:bottom, left:right] = np.asarray(canvas)
        _, above, below = _text_size(text, scale, thickness)
        return above + below
    clean = _ascii(text)
    # The outline is the same text drawn dark one pixel round, not a bolder stroke: OpenCV 5
    # draws its fonts from outlines whose weight changes the letters' advance, so a bolder
    # dark copy ran wider than the light one and left ghost letters after every label.
    x, y = origin
    for dx, dy in _OUTLINE_OFFSETS:
        cv2.putText(
            image,
            clean,
            (x + dx, y + dy),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            _color(DARK, bgr),
            thickness,
            cv2.LINE_AA,
        )
    cv2.putText(
        image,
        clean,
        origin,
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        _color(color, bgr),
        thickness,
        cv2.LINE_AA,
    )
    (_, h), baseline = cv2.getTextSize(clean, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    return int(h + baseline)


def _panel(image: NDArray[np.uint8], x0: int, y0: int, x1: int, y1: int) -> None:
    """Darken a rectangle in place so light text stays readable on any background."""
    h, w = image.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 > x0 and y1 > y0:
        region = image[y0:y1, x0:x1].astype(np.float32)
        image[y0:y1, x0:x1] = (region * 0.45).astype(np.uint8)


def draw_skeleton(image: NDArray[np.uint8], skeleton: Skeleton, *, bgr: bool = False) -> None:
    """Draw the bones (left side blue, right side orange) and joints in place."""
    import cv2

    width = image.shape[1]
    thickness = max(1, width // 320)
    xy = skeleton.image_xy
    vis = skeleton.visibility
    for a, b in BONES:
        if vis[a] < MIN_DRAW_VISIBILITY or vis[b] < MIN_DRAW_VISIBILITY:
            continue
        names = (a.name, b.name)
        if all(n.startswith("LEFT") for n in names):
            color = LEFT_COLOR
        elif all(n.startswith("RIGHT") for n in names):
            color = RIGHT_COLOR
        else:
            color = WHITE
        pa = (round(float(xy[a, 0])), round(float(xy[a, 1])))
        pb = (round(float(xy[b, 0])), round(float(xy[b, 1])))
        cv2.line(image, pa, pb, _color(color, bgr), thickness, cv2.LINE_AA)
    for landmark in Landmark:
        if vis[landmark] < MIN_DRAW_VISIBILITY or landmark < Landmark.LEFT_SHOULDER:
            continue
        p = (round(float(xy[landmark, 0])), round(float(xy[landmark, 1])))
        cv2.circle(image, p, thickness + 1, _color(WHITE, bgr), -1, cv2.LINE_AA)


def gauge_label(
    knee_drop_deg: float | None, side: str | None = None, name: str | None = None
) -> str:
    """The gauge's text: ``"+35 deg right"``, or ``"?"`` when the drop was not measured
    (unknown travels as unknown: never a stale or guessed number); a named gauge
    (``name``, drawn above the dial) says "not measured" instead of ``"?"``."""
    if knee_drop_deg is None or not math.isfinite(knee_drop_deg):
        return t("not measured") if name else "?"
    return signed_degrees(knee_drop_deg) + (f" {side}" if side else "")


def draw_gauge(
    image: NDArray[np.uint8],
    knee_drop_deg: float | None,
    *,
    cap_deg: float | None = None,
    stay_deg: float | None = None,
    side: str | None = None,
    name: str | None = None,
    bgr: bool = False,
) -> GaugeGeometry:
    """Draw the knee-drop dial in place (see the module docs); return where it went.

    Parameters
    ----------
    image
        Shape (H, W, 3) uint8, drawn on.
    knee_drop_deg
        Signed degrees (positive: person's right); None (not measured) draws "?" and no
        needle.
    cap_deg
        Today's range cap in degrees (unsigned, both sides); None: no band.
    stay_deg
        Where the coach's "stay here" begins (degrees, unsigned, below the cap): the band
        from it to the cap is amber. None: green up to the cap.
    side
        Text for the side the knees are dropped to ("left", "right", ...), shown under the
        value.
    name
        The measure's name drawn above the dial (e.g. "trunk rotation"); None: unnamed
        (the supine coach's knee-drop dial, as before).
    """
    import cv2

    height, width = image.shape[:2]
    g = gauge_geometry(width, height)
    thick = max(3, g.radius // 6)
    axes = (g.radius, g.radius)
    cx, cy = g.centre
    pad = thick + 4
    scale = max(0.35, g.radius / 110)
    name_w = name_h = 0
    if name:
        # The name sits on the dial's panel, so it stays readable on a light picture.
        name_w, name_h, _ = _text_size(name, scale)
    top = cy - g.radius - pad - (name_h + 10 if name else 0)
    _panel(
        image,
        min(cx - g.radius - pad, cx - name_w // 2 - 4),
        top,
        max(cx + g.radius + pad, cx + name_w // 2 + 4),
        height,
    )
    cv2.ellipse(image, g.centre, axes, 0, -180, 0, _color(GREY, bgr), thick, cv2.LINE_AA)
    if cap_deg is not None:
        cap = max(0.0, min(90.0, cap_deg))
        cv2.ellipse(image, g.centre, axes, 0, -180, -90 - cap, _color(RED, bgr), thick)
        cv2.ellipse(image, g.centre, axes, 0, -90 + cap, 0, _color(RED, bgr), thick)
        cv2.ellipse(image, g.centre, axes, 0, -90 - cap, -90 + cap, _color(GREEN, bgr), thick)
        if stay_deg is not None and stay_deg < cap:
            stay = max(0.0, stay_deg)
            amber = _color(AMBER, bgr)
            cv2.ellipse(image, g.centre, axes, 0, -90 - cap, -90 - stay, amber, thick)
            cv2.ellipse(image, g.centre, axes, 0, -90 + stay, -90 + cap, amber, thick)
    # The person's left and right (one letter each).
    _text(image, t("L"), (g.centre[0] - g.radius - thick, g.centre[1] + 4), scale, WHITE, bgr=bgr)
    _text(image, t("R"), (g.centre[0] + g.radius - thick, g.centre[1] + 4), scale, WHITE, bgr=bgr)
    label = gauge_label(knee_drop_deg, side, name)
    if name:
        _text(
            image,
            name,
            (max(2, min(width - name_w - 2, cx - name_w // 2)), max(12, top + name_h + 4)),
            scale,
            WHITE,
            bgr=bgr,
        )
    if knee_drop_deg is not None and math.isfinite(knee_drop_deg):
        over = cap_deg is not None and abs(knee_drop_deg) > cap_deg
        cv2.line(
            image,
            g.centre,
            needle_tip(g, knee_drop_deg),
            _color(RED if over else WHITE, bgr),
            max(2, thick // 2),
            cv2.LINE_AA,
        )
    cv2.circle(image, g.centre, max(3, thick // 2), _color(WHITE, bgr), -1, cv2.LINE_AA)
    tw = _text_size(label, scale)[0]
    _text(
        image,
        label,
        # Under the pivot, between L and R, where the needle never goes.
        # Kept inside the frame: on narrow frames a centred label would run off the edge.
        (max(2, min(width - tw - 2, cx - tw // 2)), min(height - 3, cy + max(12, g.radius // 3))),
        scale,
        WHITE,
        bgr=bgr,
    )
    return g


def draw_overlay(
    frame: NDArray[np.uint8],
    *,
    skeleton: Skeleton | None = None,
    knee_drop_deg: float | None = None,
    drop_side: str | None = None,
    cap_deg: float | None = None,
    stay_deg: float | None = None,
    numbers: Mapping[str, str] | None = None,
    cue: str | None = None,
    step: str | None = None,
    hold_remaining_s: float | None = None,
    gauge_name: str | None = None,
    bgr: bool = False,
) -> NDArray[np.uint8]:
    """Draw everything on a copy of a frame.

    Parameters
    ----------
    frame
        Shape (H, W, 3), uint8, RGB (or BGR with ``bgr=True``); not modified.
    skeleton
        Landmarks in the frame's pixels; None: nobody drawn.
    knee_drop_deg, drop_side, cap_deg, stay_deg
        For the gauge (see :func:`draw_gauge`).
    numbers
        Label -> already formatted value, drawn top-left in order (e.g.
        ``{"shoulder roll": "+4 deg"}``).
    cue
        The coach's current cue, drawn large along the bottom.
    step
        The current step's name, drawn top-right.
    hold_remaining_s
        Seconds left in a hold, drawn under the step.
    gauge_name
        The gauge's measure, drawn above it (``draw_gauge``'s ``name``).
    bgr
        True when ``frame`` is in OpenCV's BGR order.

    Returns
    -------
    ndarray
        A new (H, W, 3) uint8 image.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}")

    image = np.ascontiguousarray(frame.copy())
    height, width = image.shape[:2]
    if skeleton is not None:
        draw_skeleton(image, skeleton, bgr=bgr)
    draw_gauge(
        image,
        knee_drop_deg,
        cap_deg=cap_deg,
        stay_deg=stay_deg,
        side=drop_side,
        name=gauge_name,
        bgr=bgr,
    )
    scale = max(0.4, width / 1400)
    line_h = int(30 * scale) + 4
    if numbers:
        longest = max(len(f"{k}: {v}") for k, v in numbers.items())
        _panel(image, 0, 0, 16 + int(longest * 19 * scale), 14 + line_h * len(numbers))
    y = 8
    for label, value in (numbers or {}).items():
        y += _text(image, f"{label}: {value}", (8, y + int(22 * scale)), scale, WHITE, bgr=bgr)
        y += 4
    right_y = 8
    for text in (
        step,
        None
        if hold_remaining_s is None
        else t("hold {s} s").format(s=f"{max(0.0, hold_remaining_s):.0f}"),
    ):
        if text:
            # Measured at the weight _text draws with: OpenCV 5's Hershey letters advance
            # further when bolder, and a long step ("Paused: the camera cannot see you well
            # enough") measured thin ran off the frame's right edge.
            tw = _text_size(text, scale, max(1, round(scale * 2)))[0]
            right_y += _text(
                image, text, (width - tw - 12, right_y + int(22 * scale)), scale, AMBER, bgr=bgr
            )
            right_y += 4
    if cue:
        cue_scale = scale * 1.3
        tw = _text_size(cue, cue_scale, 2)[0]
        x = max(8, (width - tw) // 2 - gauge_geometry(width, height).radius)
        _text(image, cue, (x, height - 12), cue_scale, AMBER, bgr=bgr)
    return image
