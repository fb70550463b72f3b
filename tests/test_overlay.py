"""Tests for twistcoach.overlay: gauge geometry, drawing on copies, skeleton bones."""

from __future__ import annotations

import numpy as np
import pytest

from twistcoach.landmarks import NUM_LANDMARKS, Landmark, Skeleton
from twistcoach.overlay import (
    GREEN,
    RED,
    draw_gauge,
    draw_overlay,
    gauge_geometry,
    gauge_label,
    needle_angle_cv,
    needle_tip,
)
from twistcoach.overlay import _text as _text


def test_gauge_geometry_is_bottom_right() -> None:
    g = gauge_geometry(700, 420)
    assert g.radius == 60
    assert g.centre == (700 - 15 - 60, 420 - 15 - 20)


def test_needle_angles_follow_the_sign_convention() -> None:
    assert needle_angle_cv(0.0) == -90.0  # knees at the ceiling: straight up
    assert needle_angle_cv(90.0) == 0.0  # person's right: dial's right
    assert needle_angle_cv(-45.0) == -135.0
    assert needle_angle_cv(120.0) == 0.0  # clipped
    g = gauge_geometry(700, 420)
    cx, cy = g.centre
    assert needle_tip(g, 0.0) == (cx, cy - 55)
    assert needle_tip(g, 90.0) == (cx + 55, cy)
    assert needle_tip(g, -90.0) == (cx - 55, cy)


def test_gauge_band_is_amber_from_where_stay_here_begins() -> None:
    image = np.zeros((420, 700, 3), np.uint8)
    g = draw_gauge(image, None, cap_deg=45.0, stay_deg=35.0)
    cx, cy = g.centre

    def colour_at(deg: float) -> list[int]:
        a = np.radians(-90 + deg)
        x, y = round(cx + g.radius * np.cos(a)), round(cy + g.radius * np.sin(a))
        return list(image[y, x].tolist())

    assert colour_at(0.0) == list(GREEN)
    assert colour_at(20.0) == list(GREEN)
    for deg in (40.0, -40.0):  # between "stay here" and the cap, both sides
        r, g_, b = colour_at(deg)
        assert r > 200 and 140 < g_ < 220 and b < 90, (deg, (r, g_, b))
    r, g_, b = colour_at(60.0)
    assert r > 2 * g_ and r > 2 * b  # past the cap: red


def test_gauge_band_is_green_inside_the_cap_and_red_outside() -> None:
    image = np.zeros((420, 700, 3), np.uint8)
    g = draw_gauge(image, None, cap_deg=45.0)
    cx, cy = g.centre
    top = image[cy - g.radius, cx]
    assert top.tolist() == list(GREEN)
    # 70 deg to the right of vertical is outside a 45 deg cap.
    a = np.radians(-90 + 70)
    x, y = round(cx + g.radius * np.cos(a)), round(cy + g.radius * np.sin(a))
    r, g_, b = image[y, x].tolist()
    assert r > 2 * g_ and r > 2 * b, "red (cv2's polygonal arcs shade the exact colour)"
    assert RED[0] > 2 * RED[1]


def test_draw_overlay_draws_on_a_copy_in_either_channel_order() -> None:
    frame = np.zeros((420, 700, 3), np.uint8)
    rgb = draw_overlay(frame, knee_drop_deg=30.0, drop_side="right", cap_deg=60.0)
    assert frame.max() == 0, "the input frame is not modified"
    assert rgb.shape == frame.shape and rgb.dtype == np.uint8 and rgb.max() > 0
    bgr = draw_overlay(frame, knee_drop_deg=30.0, drop_side="right", cap_deg=60.0, bgr=True)
    assert np.array_equal(bgr, rgb[:, :, ::-1])


def test_cue_numbers_step_and_hold_are_drawn() -> None:
    frame = np.zeros((420, 700, 3), np.uint8)
    plain = draw_overlay(frame)
    full = draw_overlay(
        frame,
        numbers={"shoulder roll": "+4°"},
        cue="Slowly. Let the knees sink.",
        step="Lower to the right",
        hold_remaining_s=12.0,
    )
    assert plain[:40, :200].max() == 0 and full[:40, :200].max() > 0  # numbers top-left
    assert plain[:40, -200:].max() == 0 and full[:40, -200:].max() > 0  # step top-right
    assert plain[-40:, :200].max() == 0 and full[-40:, :200].max() > 0  # cue bottom


def test_skeleton_bones_are_drawn_where_the_landmarks_are() -> None:
    xy = np.full((NUM_LANDMARKS, 2), 10.0)
    xy[Landmark.LEFT_SHOULDER] = (100, 100)
    xy[Landmark.LEFT_HIP] = (100, 300)
    vis = np.zeros(NUM_LANDMARKS)
    vis[[Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP]] = 1.0
    skeleton = Skeleton(0.0, xy, np.zeros(NUM_LANDMARKS), np.zeros((33, 3)), vis, (700, 420))
    image = draw_overlay(np.zeros((420, 700, 3), np.uint8), skeleton=skeleton)
    assert image[200, 100].max() > 0  # on the shoulder-hip bone
    assert image[200, 300].max() == 0  # far from it
    assert image[10, 10].max() == 0  # invisible landmarks are not drawn


def test_bad_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="uint8"):
        draw_overlay(np.zeros((10, 10), np.uint8))


def test_the_gauge_says_question_mark_when_not_measured() -> None:
    assert gauge_label(None) == "?"
    assert gauge_label(float("nan"), "left") == "?"
    assert gauge_label(-35.6, "left") == "-36 deg left"
    assert gauge_label(12.4) == "+12 deg"
    # A drop that rounds to zero reads 0 on the window's gauge, never "-0".
    assert gauge_label(-0.3) == "0 deg" and gauge_label(-0.49, "left") == "0 deg left"


def test_the_browser_gauge_says_question_mark_when_not_measured() -> None:
    import json
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    # Node is part of the set-up (the Makefile's `npm ci` installs the browser's assets).
    assert node is not None, "node is missing: the set-up (make setup) needs Node.js and npm"
    script = Path(__file__).parents[1] / "src/twistcoach/web/static/practice.js"
    code = (
        f"const m = require({json.dumps(str(script))});"
        "console.log(JSON.stringify(["
        "[null, undefined, NaN, 12.4, -35.6, -0.3, -0.49, 0.2].map(m.tcGaugeLabel),"
        "[45, 42.5, -0.3, -0].map(m.tcDegrees)]))"
    )
    out = subprocess.run([node, "-e", code], capture_output=True, text=True, check=True)
    gauge, degrees = json.loads(out.stdout)
    # A small negative drop that rounds to zero reads "0°", never "-0°" (the gauge showed it).
    assert gauge == ["?", "?", "?", "12°", "-36°", "0°", "0°", "0°"]
    assert degrees == ["45°", "43°", "0°", "0°"]


def test_a_labels_dark_outline_hugs_its_letters() -> None:
    # The outline is the same text drawn dark one pixel round: a bolder dark copy ran wider
    # than the light letters in OpenCV 5 and left ghost letters after every label.
    image = np.full((60, 400, 3), 128, np.uint8)
    _text(image, "trunk rotation right", (10, 40), 0.8, (255, 255, 255), bgr=False)
    light = np.nonzero(image[:, :, 0] > 200)[1]
    drawn = np.nonzero(image[:, :, 0] != 128)[1]
    assert light.size and (image[:, :, 0] < 100).any()  # light letters, outlined dark
    assert drawn.max() <= light.max() + 2 and drawn.min() >= light.min() - 2


def test_a_named_dial_draws_its_name_on_its_panel() -> None:
    # On a white picture a name drawn above the dial's dark panel was white on white.
    image = np.full((360, 640, 3), 255, np.uint8)
    geometry = draw_gauge(image, 20.0, cap_deg=30.0, name="trunk rotation")
    (cx, cy), r = geometry.centre, geometry.radius
    column = image[:, cx, 0]
    panel_top = int(np.argmax(column < 255))
    assert 0 < panel_top < cy - r
    # Nothing drawn on the picture above the panel, and the name's light letters on it.
    assert (image[:panel_top] == 255).all()
    band = image[panel_top : cy - r - r // 6 - 2, cx - r : cx + r, 0]
    assert (band > 200).any() and (band < 100).any()


def test_accented_words_are_drawn_not_question_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hershey drew "Calibración" as "Calibraci?n" (the Spanish coach window, the annotated
    # photo); such texts are drawn with DejaVu Sans now, as every text in Spanish.
    from twistcoach import i18n
    from twistcoach.overlay import gauge_label

    def drawn(text: str) -> np.ndarray:
        image = np.zeros((60, 320, 3), np.uint8)
        assert _text(image, text, (4, 40), 1.0, (255, 255, 255), bgr=False) > 10
        return image

    assert not np.array_equal(drawn("Calibración"), drawn("Calibraci?n"))
    english = drawn("Calibraci?n")
    monkeypatch.setattr(i18n, "_cli_language", ["es"])  # as --lang es sets it
    assert gauge_label(None, name="giro del tronco") == "no medido"
    assert not np.array_equal(drawn("Calibraci?n"), english)  # DejaVu for every text
