"""Tests for twistcoach.report on a literal, hand-checked sequence of observations."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from twistcoach.checks import CheckLimits
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton
from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View
from twistcoach.photo import ImageAnalysis
from twistcoach.pipeline import Chunk, FrameResult, StageTimes, VideoAnalysis
from twistcoach.report import (
    EventKind,
    EventSpan,
    ReportThresholds,
    detect_events,
    image_summary,
    render_html,
    side_stats,
    video_summary,
    write_html_report,
    write_metrics_csv,
)

TH = ReportThresholds(
    checks=CheckLimits(
        min_confidence=0.5,
        over_cap_tolerance_deg=2.0,
        speed_limit_deg_s=20.0,
        shoulder_roll_limit_deg=15.0,
        bounce_amplitude_deg=3.0,
        bounce_reversals=3,
        bounce_window_s=4.0,
        centre_deg=12.0,
        still_speed_deg_s=3.0,
        setup_still_s=0.5,
        calibration_s=2.0,
        calibration_max_spread_deg=8.0,
        speed_step_deg=6.0,
    ),
    min_hold_drop_deg=10.0,
)
CAP = 60.0
SKELETON = Skeleton(
    0.0,
    np.zeros((NUM_LANDMARKS, 2)),
    np.zeros(NUM_LANDMARKS),
    np.zeros((NUM_LANDMARKS, 3)),
    np.ones(NUM_LANDMARKS),
    (640, 480),
)

# (knee drop, speed, shoulder roll) per frame at 10 frames a second; None: nobody found.
SEQUENCE: list[tuple[float, float, float] | None] = (
    [(0.0, 0.0, 0.0)] * 5
    + [(-10.0 * k, -25.0, 0.0) for k in range(1, 6)]  # frames 5-9: fast drop to the left
    + [(-52.0, 0.0, 0.0)] * 10  # 10-19: hold at -52
    + [(-45.0, 0.0, 0.0)] * 5  # 20-24: still within 10 deg of the peak
    + [(-20.0, 30.0, 0.0), (0.0, 20.0, 0.0)]  # 25: fast back; 26: exactly at the limit
    + [None, None]  # 27-28: tracking lost
    + [(5.0, 10.0, 0.0), (64.0, 40.0, 0.0), (64.0, 0.0, 20.0), (30.0, -30.0, 0.0)]
)


def _metrics(t: float, drop: float, speed: float, shoulder: float) -> TwistMetrics:
    side = Side.CENTRE if abs(drop) < 3 else (Side.RIGHT if drop > 0 else Side.LEFT)
    return TwistMetrics(
        timestamp_s=t,
        knee_drop=Measure(drop, 0.9),
        drop_side=side,
        pelvis_roll=Measure(drop / 2, 0.9),
        shoulder_roll=Measure(shoulder, 0.9),
        lifted_shoulder=None,
        twist=Measure(drop / 2 - shoulder, 0.9),
        knee_flexion=Measure(90.0, 0.9),
        knees_together=True,
        speed=Measure(speed, 0.9),
        confidence=0.9,
    )


def _frames(families: list[PoseFamily] | None = None) -> list[FrameResult]:
    frames = []
    for i, entry in enumerate(SEQUENCE):
        t = i / 10
        family = families[i] if families else PoseFamily.SUPINE_TWIST
        if entry is None:
            obs = Observation(t, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, False)
            frames.append(FrameResult(i, t, None, obs))
        else:
            obs = Observation(t, _metrics(t, *entry), family, 0.8, View.OBLIQUE, True)
            frames.append(FrameResult(i, t, SKELETON, obs))
    return frames


def _analysis(frames: list[FrameResult]) -> VideoAnalysis:
    return VideoAnalysis(
        Path("clip.mp4"), tuple(frames), (640, 480), (Chunk(0, None, 0),), StageTimes()
    )


def test_thresholds_come_from_the_coaching_rules() -> None:
    assert ReportThresholds.from_coaching_rules() == TH


def test_events_are_grouped_into_spans() -> None:
    spans = detect_events(_frames(), CAP, TH)
    assert spans == [
        EventSpan(EventKind.TOO_FAST, 0.7, 0.9, 7, 9),  # the travel beats the step at 0.7 s
        EventSpan(EventKind.TOO_FAST, 2.5, 2.5, 25, 25),
        EventSpan(EventKind.OVER_CAP, 3.0, 3.1, 30, 31),
        EventSpan(EventKind.TOO_FAST, 3.0, 3.0, 30, 30),
        EventSpan(EventKind.SHOULDER_LIFTED, 3.1, 3.1, 31, 31),
        EventSpan(EventKind.TOO_FAST, 3.2, 3.2, 32, 32),
    ]
    # With a wider cap nothing is over it.
    assert all(s.kind is not EventKind.OVER_CAP for s in detect_events(_frames(), 70.0, TH))


def test_frames_too_far_apart_show_no_speed_and_say_why() -> None:
    """Frames 10 s apart (a 0.1 frame-a-second file) cannot show a speed: left out, with a
    warning; 1 ms apart (times that are broken) say so too; 10 a second are fine."""
    from dataclasses import replace

    from twistcoach.pipeline import frame_timing_warnings

    sparse = [replace(f, timestamp_s=f.timestamp_s * 100) for f in _frames()]
    left = side_stats(sparse, Side.LEFT, TH)
    assert left.max_knee_drop_deg == 52.0 and left.peak_speed_deg_s is None
    assert left.time_held_s == 0.0  # no two held frames close enough to make a hold
    times = [f.timestamp_s for f in sparse]
    (said,) = frame_timing_warnings(Path("clip.mp4"), times)
    assert "10.0 s apart" in said and "peak speed is left out" in said
    (broken,) = frame_timing_warnings(Path("clip.mp4"), [i * 0.001 for i in range(30)])
    assert "less than 1.5 ms apart" in broken
    assert frame_timing_warnings(Path("clip.mp4"), [i * 0.1 for i in range(30)]) == ()
    # Bursts 0.05, 0.05, 0.4 s apart: most of the time lies in gaps the speed cannot bridge
    # (the report says speed was not checked): the warning says so too.
    bursts = [0.0]
    for i in range(30):
        bursts.append(bursts[-1] + (0.4 if i % 3 == 2 else 0.05))
    (bursty,) = frame_timing_warnings(Path("clip.mp4"), bursts)
    assert "0.4 s apart" in bursty and '"too fast" is not checked' in bursty


def test_side_stats_find_the_drop_the_hold_and_the_speed() -> None:
    left = side_stats(_frames(), Side.LEFT, TH)
    assert left.max_knee_drop_deg == 52.0
    # Held past max(10, 52 - 10) = 42 deg from frame 9 (0.9 s) to frame 24 (2.4 s).
    assert left.time_held_s == pytest.approx(1.5)
    assert (left.hold_start_s, left.hold_end_s) == pytest.approx((0.9, 2.4))
    assert left.peak_speed_deg_s == 30.0
    assert left.frames == 21
    right = side_stats(_frames(), Side.RIGHT, TH)
    assert right.max_knee_drop_deg == 64.0
    assert right.time_held_s == pytest.approx(0.1)
    assert right.peak_speed_deg_s == 40.0
    assert right.frames == 4


def test_no_drop_means_no_hold() -> None:
    still = [f for f in _frames() if f.index < 5]
    stats = side_stats(still, Side.LEFT, TH)
    assert stats.max_knee_drop_deg is None and stats.time_held_s == 0.0
    assert stats.hold_start_s is None


def test_video_summary_fields() -> None:
    summary = video_summary(_analysis(_frames()), CAP, TH)
    assert summary["kind"] == "video"
    assert summary["frames"] == 33 and summary["frames_with_person"] == 31
    assert summary["duration_s"] == 3.2
    assert summary["pose_family"] == "supine_twist"
    assert summary["pose_family_confidence"] == 0.8
    assert summary["view"] == "oblique" and summary["view_measurable"] is True
    left = summary["metrics"]["left"]
    assert left["max_knee_drop_deg"] == 52.0 and left["time_held_s"] == 1.5
    assert left["peak_speed_deg_s"] == 30.0
    assert summary["metrics"]["right"]["max_knee_drop_deg"] == 64.0
    assert summary["metrics"]["main_side"] == "right"
    assert [e["kind"] for e in summary["events"]] == [
        "too_fast",
        "too_fast",
        "over_cap",
        "too_fast",
        "shoulder_lifted",
        "too_fast",
    ]
    json.dumps(summary)  # JSON-ready


def test_a_twist_video_counts_as_the_twist_when_a_quarter_of_it_twists() -> None:
    n = len(SEQUENCE)
    mostly_supine = [PoseFamily.SUPINE_TWIST] * 8 + [PoseFamily.SUPINE] * (n - 8)
    summary = video_summary(_analysis(_frames(mostly_supine)), CAP, TH)
    assert summary["pose_family"] == "supine_twist"  # 8 of 31 frames with a person
    assert summary["pose_family_confidence"] == round(0.8 * 8 / 31, 3)
    hardly = [PoseFamily.SUPINE_TWIST] * 7 + [PoseFamily.SUPINE] * (n - 7)
    assert video_summary(_analysis(_frames(hardly)), CAP, TH)["pose_family"] == "supine"


def test_metrics_csv_has_one_row_per_frame(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    write_metrics_csv(path, _frames(), CAP, TH)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 33
    assert rows[10]["knee_drop_deg"] == "-52.0" and rows[10]["drop_side"] == "left"
    assert rows[27]["person"] == "0" and rows[27]["knee_drop_deg"] == ""
    assert rows[30]["events"] == "over_cap;too_fast"
    assert rows[31]["events"] == "over_cap;shoulder_lifted"
    assert rows[30]["timestamp_s"] == "3.0"


def test_html_report_is_self_contained_with_plots(tmp_path: Path) -> None:
    frames = _frames()
    summary = video_summary(_analysis(frames), CAP, TH)
    path = tmp_path / "report.html"
    write_html_report(path, summary, frames, CAP, TH)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("<svg") == 1 and "<path" in text
    for label in ("too fast", "over cap", "shoulder lifted", "knee drop", "cap ±60°", "held"):
        assert label in text
    assert "<script" not in text and 'src="http' not in text and 'href="http' not in text
    assert "<link" not in text and "@import" not in text


def test_html_of_a_video_measured_nowhere_says_so_in_words(tmp_path: Path) -> None:
    # A person in every frame, the view never measurable: no number anywhere.
    frames = [
        FrameResult(
            i,
            i / 10,
            SKELETON,
            Observation(
                i / 10, TwistMetrics.unknown(i / 10), PoseFamily.SUPINE_TWIST, 0.8, View.SIDE, False
            ),
        )
        for i in range(40)
    ]
    summary = video_summary(_analysis(frames), CAP, TH)
    path = tmp_path / "report.html"
    write_html_report(path, summary, frames, CAP, TH)
    text = path.read_text(encoding="utf-8")
    # The pose in words (never its id), no "None" for the side nobody dropped to.
    assert "Pose: <b>supine twist</b>" in text and "supine_twist" not in text
    assert "Main side: <b>not measured</b>" in text and "<b>None</b>" not in text
    # The camera in words too (it was "camera view: <b>top_down</b>"-like ids).
    assert "camera: <b>from the side</b>" in text
    # The plot spans the 3.9 s of video, shaded as not measured (it had shrunk to a
    # +-0.04 s axis with nothing drawn).
    svg = text[text.index("<svg") :]
    assert "<!-- not measured -->" in svg  # matplotlib names each drawn text in a comment
    assert "<!-- 3.5 -->" in svg and "<!-- 0.04 -->" not in svg


def test_every_camera_view_is_said_in_words_wherever_people_read_it() -> None:
    from twistcoach.wording import view_words

    said = [view_words(v.value) for v in View] + [
        view_words(v) for v in ("front", "diagonal", "overhead")
    ]
    assert view_words("top_down") == "from above" and view_words("oblique") == "diagonal"
    assert all("_" not in words and words for words in said)


def test_html_names_the_body_model_and_why_when_it_was_not_said() -> None:
    summary = video_summary(_analysis(_frames()), CAP, TH)
    assert "Body model" not in render_html(summary, "<svg></svg>")  # none recorded
    summary |= {"body_type": "female", "body_model": "female"}
    text = render_html(summary, "<svg></svg>")
    assert "Body model: <b>female</b>." in text and "short thigh" not in text
    summary |= {"body_type": "neutral", "body_model": "female"}
    text = render_html(summary, "<svg></svg>")
    assert "Body model: <b>female</b>" in text
    assert "no body type was given, and the calibration found a short thigh" in text


def test_html_escapes_file_names() -> None:
    summary = video_summary(_analysis(_frames()), CAP, TH)
    summary["input"] = "/tmp/<i>evil.mp4"
    text = render_html(summary, "<svg></svg>")
    assert "<i>evil" not in text and "&lt;i&gt;evil.mp4" in text


def test_image_summary_fields() -> None:
    analysis = ImageAnalysis(
        Path("p.jpg"),
        (504, 432),
        SKELETON,
        _metrics(0.0, -48.26, 0.0, 3.04),
        PoseFamily.SUPINE_TWIST,
        0.7,
        View.OBLIQUE,
        0.6,
        True,
        "",
    )
    summary = image_summary(analysis)
    assert summary["kind"] == "image" and summary["frames"] == 1
    assert summary["frames_with_person"] == 1
    assert summary["pose_family"] == "supine_twist" and summary["view"] == "oblique"
    assert summary["metrics"] == {
        "knee_drop_deg": -48.3,
        "drop_side": "left",
        "pelvis_roll_deg": -24.1,
        "shoulder_roll_deg": 3.0,
        "lifted_shoulder": None,
        "twist_deg": -27.2,
        "knee_flexion_deg": 90.0,
        "knees_together": True,
        "confidence": 0.9,
    }
    nobody = ImageAnalysis(
        Path("e.jpg"), (10, 10), None, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, 0.0, False, ""
    )
    empty = image_summary(nobody)
    assert empty["frames_with_person"] == 0 and empty["metrics"] == {}


def test_view_advice_and_measurability_follow_most_frames() -> None:
    frames = _frames()
    early = [
        FrameResult(
            f.index,
            f.timestamp_s,
            f.skeleton,
            Observation(
                f.timestamp_s,
                f.observation.metrics,
                f.observation.family,
                0.8,
                View.OBLIQUE,
                False,
                "Lie still to calibrate.",
            ),
        )
        for f in frames[:5]
    ]
    summary = video_summary(_analysis(early + frames[5:]), CAP, TH)
    assert summary["view_advice"] == "" and summary["view_measurable"] is True
    summary = video_summary(_analysis(early), CAP, TH)
    assert summary["view_advice"] == "Lie still to calibrate."
    assert summary["view_measurable"] is False


def test_a_lone_seated_photo_is_not_measurable_from_an_unknown_view() -> None:
    """A lone seated photograph's summary said "view": "unknown" and "view_measurable":
    true; an unknown place measures nothing (the rotation needs a --flat photograph)."""
    from twistcoach.report.words import MEASURE_WORDS, TwistMeasure

    lone = ImageAnalysis(
        Path("seated.jpg"),
        (400, 400),
        SKELETON,
        None,
        PoseFamily.SEATED_TWIST,
        0.98,
        View.UNKNOWN,
        0.0,
        False,
        "",
    )
    summary = image_summary(lone, MEASURE_WORDS[TwistMeasure.TRUNK_ROTATION])
    assert summary["view"] == "unknown" and summary["view_measurable"] is False
    assert summary["metrics"]["trunk_rotation_deg"] is None


def test_short_unknown_gaps_do_not_end_a_hold() -> None:
    def frame(i: int, drop: float | None) -> FrameResult:
        t = i / 10
        if drop is None:
            obs = Observation(t, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, False)
            return FrameResult(i, t, None, obs)
        obs = Observation(
            t, _metrics(t, drop, 0.0, 0.0), PoseFamily.SUPINE_TWIST, 0.8, View.OBLIQUE, True
        )
        return FrameResult(i, t, SKELETON, obs)

    # Held at -40 from 0.0 s to 0.4 s, unknown, held again from 0.7 s (0.3 s apart: bridged)
    # to 1.0 s; unknown, held from 1.4 s (0.4 s apart: a new hold) to 1.6 s.
    drops: list[float | None] = [-40.0] * 5 + [None] * 2 + [-40.0] * 4
    drops += [None] * 3 + [-40.0] * 3
    stats = side_stats([frame(i, d) for i, d in enumerate(drops)], Side.LEFT, TH)
    assert stats.time_held_s == pytest.approx(1.0)
    assert (stats.hold_start_s, stats.hold_end_s) == pytest.approx((0.0, 1.0))


def _unmeasurable(frames: list[FrameResult], far_side: Side | None = None) -> list[FrameResult]:
    """The same frames with numbers in their metrics, but from a view that cannot be
    measured (as the side-on clip's tracker gave before: knee drops of -31 to -37)."""
    return [
        FrameResult(
            f.index,
            f.timestamp_s,
            f.skeleton,
            replace(f.observation, view=View.SIDE, view_measurable=False, far_side=far_side)
            if f.skeleton is not None
            else f.observation,
        )
        for f in frames
    ]


def test_an_unmeasurable_view_gives_no_number_anywhere(tmp_path: Path) -> None:
    frames = _unmeasurable(_frames())
    summary = video_summary(_analysis(frames), CAP, TH)
    assert summary["view_measurable"] is False and summary["frames_measured"] == 0
    for side in ("left", "right"):
        assert summary["metrics"][side]["max_knee_drop_deg"] is None
        assert summary["metrics"][side]["peak_speed_deg_s"] is None
        assert summary["metrics"][side]["measured"] is False
    assert summary["metrics"]["main_side"] is None
    assert summary["events"] == []
    write_metrics_csv(tmp_path / "m.csv", frames, CAP, TH)
    with (tmp_path / "m.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column in ("knee_drop_deg", "pelvis_roll_deg", "shoulder_roll_deg", "twist_deg"):
            assert row[column] == ""
        assert row["speed_deg_s"] == "" and row["drop_side"] == "" and row["events"] == ""
    assert rows[10]["knee_flexion_deg"] == ""  # fitted with the knee drop: not given either
    html = tmp_path / "r.html"
    write_html_report(html, summary, frames, CAP, TH)
    text = html.read_text(encoding="utf-8")
    assert "within the cap" not in text and "slow" not in text
    assert "not measured" in text and "None found, as nothing was measured" in text


def test_a_few_measurable_frames_in_an_unmeasurable_video_give_no_drop() -> None:
    # Like the side-on clip: most frames unmeasurable, the last few called measurable.
    frames = _unmeasurable(_frames()[:25]) + _frames()[25:]
    summary = video_summary(_analysis(frames), CAP, TH)
    assert summary["view_measurable"] is False
    assert summary["metrics"]["right"]["max_knee_drop_deg"] is None
    assert summary["metrics"]["left"]["max_knee_drop_deg"] is None
    assert summary["events"] == []


def test_the_far_side_gives_no_largest_drop() -> None:
    frames = _frames()
    # The knees went right beyond what this camera can measure at 3.1 s.
    frames[31] = FrameResult(
        31,
        3.1,
        SKELETON,
        replace(frames[31].observation, view_measurable=False, far_side=Side.RIGHT),
    )
    summary = video_summary(_analysis(frames), CAP, TH)
    right = summary["metrics"]["right"]
    assert right == {
        "max_knee_drop_deg": None,
        "time_held_s": 0.0,
        "hold_start_s": None,
        "hold_end_s": None,
        "peak_speed_deg_s": None,
        "frames": 0,
        "measured": False,
    }
    assert summary["metrics"]["left"]["max_knee_drop_deg"] == 52.0
    text = render_html(summary, "<svg></svg>")
    assert "<tr><th>right</th><td>not measured</td><td>not measured</td>" in text


def test_over_cap_is_judged_from_the_coachs_zero() -> None:
    # Lying still at 5 deg for 3 s sets the coach's zero at 5 (0.5 s still, 2 s of
    # calibration); 64 deg is then 59 from it: within a 60 deg cap, as the coach judges.
    def frame(i: int, drop: float) -> FrameResult:
        t = i / 10
        obs = Observation(
            t, _metrics(t, drop, 0.0, 0.0), PoseFamily.SUPINE_TWIST, 0.8, View.OBLIQUE, True
        )
        return FrameResult(i, t, SKELETON, obs)

    frames = [frame(i, 5.0) for i in range(30)] + [frame(30 + i, 64.0) for i in range(3)]
    assert detect_events(frames, CAP, TH) == []
    frames += [frame(33, 67.5)]  # 62.5 from the zero: over
    assert detect_events(frames, CAP, TH) == [EventSpan(EventKind.OVER_CAP, 3.3, 3.3, 33, 33)]


def test_bouncing_is_an_event_as_the_coach_counts_it() -> None:
    drops = [20.0, 25.0, 20.0, 25.0, 20.0]
    frames = [
        FrameResult(
            i,
            i / 2,
            SKELETON,
            Observation(
                i / 2,
                _metrics(i / 2, d, 0.0, 0.0),
                PoseFamily.SUPINE_TWIST,
                0.8,
                View.OBLIQUE,
                True,
            ),
        )
        for i, d in enumerate(drops)
    ]
    assert detect_events(frames, CAP, TH) == [EventSpan(EventKind.BOUNCING, 2.0, 2.0, 4, 4)]


def test_a_low_confidence_reading_is_not_measured() -> None:
    frames = _frames()
    low = replace(
        frames[30].observation,
        metrics=replace(
            _metrics(3.0, 64.0, 40.0, 0.0), knee_drop=Measure(64.0, 0.3), confidence=0.3
        ),
    )
    frames[30] = FrameResult(30, 3.0, SKELETON, low)
    assert all(s.start_index != 30 for s in detect_events(frames, CAP, TH))


def test_html_report_comes_from_the_packaged_template_autoescaped() -> None:
    from importlib.resources import files

    assert (files("twistcoach") / "templates" / "report.html").is_file()
    summary = video_summary(_analysis(_frames()), CAP, TH)
    summary["view_advice"] = "move <script>alert(1)</script> & raise it"
    text = render_html(summary, '<svg id="plots"><path d="M0 0"/></svg>')
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; raise" in text
    # The plots go in as they are; the page has no template syntax left and one landmark.
    assert '<svg id="plots"><path d="M0 0"/></svg>' in text
    assert "{{" not in text and "{%" not in text and text.count("<main>") == 1
    assert "<tr><td>too fast</td><td>0.70 s</td><td>0.90 s</td></tr>" in text
    assert "Range cap drawn: ±60°" in text and "within 10° of that side" in text


def test_unmeasured_stretches_reach_halfway_to_their_neighbours() -> None:
    from twistcoach.report.html import _unmeasured_spans

    t = np.arange(8) / 10
    nan = np.nan
    values = np.array([nan, 1.0, nan, nan, 2.0, 3.0, nan, nan])
    spans = _unmeasured_spans(t, values)
    assert np.allclose(spans, [(0.0, 0.05), (0.15, 0.35), (0.55, 0.7)])
    assert _unmeasured_spans(t, np.ones(8)) == []
    assert np.allclose(_unmeasured_spans(t, np.full(8, nan)), [(0.0, 0.7)])


def test_a_twist_that_was_never_measured_is_counted_and_said(tmp_path: Path) -> None:
    """The red team's clip: lying flat measured (0.1 deg), then every twist frame unknown;
    the report read "largest knee drop 0.1 deg" and nothing else."""
    flat = [
        FrameResult(
            i,
            i / 10,
            SKELETON,
            Observation(
                i / 10, _metrics(i / 10, 0.1, 0.0, 0.0), PoseFamily.SUPINE, 0.8, View.OBLIQUE, True
            ),
        )
        for i in range(20)
    ]
    twist = [
        FrameResult(
            i,
            i / 10,
            SKELETON,
            Observation(
                i / 10,
                TwistMetrics.unknown(i / 10),
                PoseFamily.SUPINE_TWIST,
                0.8,
                View.OBLIQUE,
                True,
            ),
        )
        for i in range(20, 50)
    ]
    frames = flat + twist
    summary = video_summary(_analysis(frames), CAP, TH)
    assert (summary["frames_twist"], summary["frames_twist_unmeasured"]) == (30, 30)
    assert summary["frames_measured"] == 20
    from twistcoach.cli.analyze_cmd import _twist_gap
    from twistcoach.report import KNEE_DROP_WORDS

    (warning,) = _twist_gap(summary, KNEE_DROP_WORDS)
    assert "30 of the 30 frames that look like the twist" in warning
    summary["warnings"] = [warning]
    path = tmp_path / "report.html"
    write_html_report(path, summary, frames, CAP, TH)
    text = path.read_text(encoding="utf-8")
    assert "measured in 20" in text and "30 of the 30 frames" in text
    # Measured twist frames: no warning.
    assert _twist_gap(video_summary(_analysis(_frames()), CAP, TH), KNEE_DROP_WORDS) == []


# --- red team: a timelapse's speed, and report wording that contradicted itself ----------


def _spaced(frames: list[FrameResult], gap_s: float) -> list[FrameResult]:
    """The same frames ``gap_s`` seconds apart (1.0: a 1 frame-a-second timelapse)."""
    out = []
    for f in frames:
        t = f.index * gap_s
        metrics = f.observation.metrics
        observation = replace(
            f.observation,
            timestamp_s=t,
            metrics=None if metrics is None else replace(metrics, timestamp_s=t),
        )
        out.append(replace(f, timestamp_s=t, observation=observation))
    return out


def _svg(text: str) -> str:
    return text[text.index("<svg") : text.index("</svg>")]


def test_a_timelapse_gives_its_angles_but_no_speed_anywhere(tmp_path: Path) -> None:
    """Frames 1 s apart (``ffmpeg -vf fps=1``): the summary left the peak speed out, but the
    CSV wrote the frames' speeds, the speed plot drew them and the report said "None in the
    measured frames: slow". Now no surface gives a speed or calls it slow, and each says
    why (the frames' spacing, against the coach's own rule: at least 4 frames a second)."""
    frames = _spaced(_frames(), 1.0)
    summary = video_summary(_analysis(frames), CAP, TH)
    assert summary["speed_checked"] is False and summary["frame_gap_s"] == 1.0
    assert summary["metrics"]["left"]["max_knee_drop_deg"] == 52.0  # angles are kept
    for side in ("left", "right"):
        assert summary["metrics"][side]["peak_speed_deg_s"] is None
        # Held frames 1 s apart are never one hold: "not measured", never 0.0 s.
        assert summary["metrics"][side]["time_held_s"] is None
    assert all(e["kind"] != "too_fast" for e in summary["events"])
    write_metrics_csv(tmp_path / "metrics.csv", frames, CAP, TH)
    with (tmp_path / "metrics.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(r["speed_deg_s"] == "" for r in rows)
    assert rows[10]["knee_drop_deg"] == "-52.0" and rows[31]["shoulder_roll_deg"] == "20.0"
    assert all("too_fast" not in r["events"] for r in rows)
    path = tmp_path / "report.html"
    write_html_report(path, summary, frames, CAP, TH)
    text = path.read_text(encoding="utf-8")
    assert "Speed was not checked: the frames are 1.0 s apart" in text
    assert "at least 4 frames a second" in text and "slow" not in text
    svg = _svg(text)
    assert "<!-- speed not measured: the frames are 1.0 s apart -->" in svg
    assert "#d07020" not in svg  # the speed curve's colour: no curve
    assert "<!-- allowed ±20°/s -->" not in svg  # nor a band to be inside of

    # With no event at all it says what was checked, and that speed was not.
    calm = [
        replace(
            f,
            observation=replace(f.observation, metrics=replace(m, shoulder_roll=Measure(0.0, 0.9))),
        )
        for f in _spaced(_frames(), 1.0)[:25]
        if (m := f.observation.metrics) is not None
    ]
    summary = video_summary(_analysis(calm), CAP, TH)
    assert summary["events"] == [] and summary["speed_checked"] is False
    write_html_report(path, summary, calm, CAP, TH)
    text = path.read_text(encoding="utf-8")
    assert "None in the measured frames: shoulders down, within the cap." in text
    assert "Speed was not checked" in text and "slow" not in text


def test_frames_at_the_coachs_least_rate_still_give_a_speed(tmp_path: Path) -> None:
    """The one rule (``checks.too_sparse_to_follow``): 4 frames a second, the fewest the
    coach takes (the travel that confirms "too fast" starts afresh after 0.25 s), is judged;
    fewer is not. At 3 frames a second (then judged, under the old 2-a-second rule) nothing
    could ever be "too fast", yet the report said "None in the measured frames: slow"."""
    at_least = video_summary(_analysis(_spaced(_frames(), 0.25)), CAP, TH)
    fewer = video_summary(_analysis(_spaced(_frames(), 0.26)), CAP, TH)
    assert at_least["speed_checked"] is True and fewer["speed_checked"] is False
    assert at_least["metrics"]["left"]["peak_speed_deg_s"] == 30.0
    assert fewer["metrics"]["left"]["peak_speed_deg_s"] is None
    three = _spaced(_frames(), 1 / 3)
    summary = video_summary(_analysis(three), CAP, TH)
    assert summary["speed_checked"] is False
    assert summary["metrics"]["left"]["peak_speed_deg_s"] is None
    path = tmp_path / "report.html"
    write_html_report(path, summary, three, CAP, TH)
    text = " ".join(path.read_text(encoding="utf-8").split())
    assert "Speed was not checked" in text and "at least 4 frames a second" in text
    assert "measured frames: slow" not in text


def _drop_at(pattern: tuple[float, ...]) -> list[FrameResult]:
    """Still for 1 s, a 60 deg/s drop to -60 deg over 1 s, then still: frames at the
    repeating gaps of ``pattern`` (seconds)."""
    frames, t, i = [], 0.0, 0
    while t < 6.0:
        d, s = (0.0, 0.0) if t < 1.0 else ((-60.0 * (t - 1.0), -60.0) if t < 2.0 else (-60.0, 0.0))
        o = Observation(t, _metrics(t, d, s, 0.0), PoseFamily.SUPINE_TWIST, 0.8, View.OBLIQUE, True)
        frames.append(FrameResult(i, t, SKELETON, o))
        t = round(t + pattern[i % len(pattern)], 4)
        i += 1
    return frames


@pytest.mark.parametrize(
    ("pattern", "checked"),
    [((0.2,), True), ((0.25,), True), ((0.1,), True), ((0.05, 0.05, 0.4), False)],
)
def test_bursts_of_frames_leave_the_speed_unchecked_as_the_live_coach_pauses(
    pattern: tuple[float, ...], checked: bool
) -> None:
    """Bursts 0.05, 0.05, 0.4 s apart (median gap 0.05 s) were called checked while every
    0.4 s gap started the travel afresh: a 60 deg/s drop gave no "too fast" and the report
    said "slow". The gap is weighted by the time it spans (``checks.time_median_gap_s``),
    the live coach's rule too: bursts give no speed; steady frames from 4 a second do."""
    from twistcoach.checks import FrameRate

    frames = _drop_at(pattern)
    summary = video_summary(_analysis(frames), CAP, TH)
    assert summary["speed_checked"] is checked
    too_fast = [e for e in detect_events(frames, CAP, TH) if e.kind is EventKind.TOO_FAST]
    assert bool(too_fast) is checked  # checked exactly where "too fast" can be found
    peak = summary["metrics"]["left"]["peak_speed_deg_s"]
    assert (peak == 60.0) if checked else (peak is None)
    if not checked:
        assert summary["frame_gap_s"] == 0.4  # the gap that breaks the travel, not 0.05
    # The live coach judges the same frames the same way.
    rate = FrameRate()
    assert [rate.update(f.timestamp_s) for f in frames][-1] is (not checked)


def test_a_peak_speed_over_the_limit_beside_no_events_says_what_too_fast_needs(
    tmp_path: Path,
) -> None:
    """A variable-frame-rate clip read a 30.1 deg/s peak against the 20 deg/s limit, and
    then "None in the measured frames: slow": a "too fast" needs the speed kept up for the
    rules' confirmation time, and the report now says so, with both numbers."""
    drops = [0.0] * 5 + [0.5 * k for k in range(1, 30)]  # a calm 5 deg/s drop at 10 a second
    speeds = [0.0] * 5 + [5.0] * 29
    speeds[20] = 30.1  # one frame's speed over the limit (a camera's catch-up step)
    frames = [
        FrameResult(
            i,
            i / 10,
            SKELETON,
            Observation(
                i / 10,
                _metrics(i / 10, d, s, 0.0),
                PoseFamily.SUPINE_TWIST,
                0.8,
                View.OBLIQUE,
                True,
            ),
        )
        for i, (d, s) in enumerate(zip(drops, speeds, strict=True))
    ]
    summary = video_summary(_analysis(frames), CAP, TH)
    assert summary["metrics"]["right"]["peak_speed_deg_s"] == 30.1 and summary["events"] == []
    path = tmp_path / "report.html"
    write_html_report(path, summary, frames, CAP, TH)
    text = path.read_text(encoding="utf-8")
    assert "None in the measured frames: slow, shoulders down, within the cap." in text
    window = TH.checks.speed_window_s  # the rules' one number (0.75 s)
    assert f"faster than 20°/s kept up for {window:g} s" in text and "0.75 s" in text
    assert "a shorter burst" in text
    # The coach's own rules give the numbers when no thresholds are passed.
    assert f"kept up for {window:g} s" in render_html(summary, "<svg></svg>")


def test_the_plots_allowed_bands_are_not_the_not_measured_grey(tmp_path: Path) -> None:
    """Grey meant "not measured" in the top plot's legend, while the same grey shaded the
    allowed band of the shoulder and speed plots: the bands are green, named in their
    plots' legends, and grey is left to what was not measured."""
    frames = _frames()
    path = tmp_path / "report.html"
    write_html_report(path, video_summary(_analysis(frames), CAP, TH), frames, CAP, TH)
    svg = _svg(path.read_text(encoding="utf-8"))
    assert "<!-- allowed ±15° -->" in svg and "<!-- allowed ±20°/s -->" in svg
    assert "fill: #cccccc" not in svg  # the old bands' grey (legends keep it as an edge)
    assert "fill: #3cb45a; opacity: 0.15" in svg  # the allowed bands' green
    assert "#d07020" in svg  # the speed curve is drawn where speed is judged
    # A panel with nothing in it says so, with no band that would look like a reading.
    nowhere = _unmeasurable(_frames())
    write_html_report(path, video_summary(_analysis(nowhere), CAP, TH), nowhere, CAP, TH)
    svg = _svg(path.read_text(encoding="utf-8"))
    assert svg.count("<!-- not measured -->") >= 3  # every panel's middle (and legends)
    assert "<!-- allowed ±15° -->" not in svg and "<!-- allowed ±20°/s -->" not in svg
