"""Accuracy on the committed rendered ground truth (tests/groundtruth), through the real
pipeline: MediaPipe estimator, calibration, tracker, kinematics and recognition.

The set was made by ``bench/groundtruth`` (``python -m groundtruth.generate ci``); its labels
come from the rendered bodies' 3D keypoints with ``twistcoach.kinematics.body_angles_3d``.
No torch is needed here. Every still and the clip are measured twice, with the person's own
template body (``metrics.BodyType``: they said female or male) and with none said (the
neutral template, or the female one where the calibration finds a short thigh:
``kinematics.calibrate_for``). Thresholds are the issue's targets where the kinematics meet
them on this set; where they do not (the tuning stills' worst case with no body type, the
pelvis roll), the measured value plus a small margin is held (so accuracy cannot silently
get worse) and ``bench/ACCURACY.md`` states the gap.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GT = REPO / "tests" / "groundtruth"
sys.path.insert(0, str(REPO / "bench"))

from groundtruth.evaluate import (  # noqa: E402
    BODY_MODES,
    RECOMMENDED_CAMERAS,
    Result,
    Stats,
    band_margin,
    estimate_stills,
    load_stills,
    refusal_rate,
    run_calibrated,
    run_photos,
    run_video,
    stats,
    under_read_rows,
)
from groundtruth.plan import HELD_OUT  # noqa: E402
from twistcoach.estimator import LIVE_MODEL, RECORDED_MODEL  # noqa: E402

#: The issue's targets (degrees, knee drop, true |drop| <= 70).
TARGET_RECOMMENDED_MAE = 4.0
TARGET_RECOMMENDED_WORST = 10.0
TARGET_OTHER_MAE = 8.0

#: What is held now (see the module docs). Where a value differs from its target, the
#: kinematics do not meet the target yet on this small, low-resolution (640x360) set
#: (measured at 20:00 UTC, 2026-11-24, with MediaPipe's hip landmark riding up a rolled
#: pelvis modelled; the full benchmark's numbers are in bench/ACCURACY.md): the value is
#: the measurement plus a small margin.
#: Measured 3.7 here (full benchmark: 2.5): the target is met, held with a margin for
#: MediaPipe's small differences between machines.
HOLD_RECOMMENDED_MAE = 4.3
#: Measured 10.1 (full model; heavy 7.2) since a calibration that finds a short thigh takes
#: the female template when no body type is said (kinematics.calibrate_for; 12.0 before,
#: a woman's 69-degree drop read 57); target 10. Before the hip model: 14.0 (a man's
#: 66-degree drop read 80).
HOLD_RECOMMENDED_WORST = 11.0
#: Share of images given a number: a floor so that refusing everything cannot pass the
#: error checks; kept low because saying "unknown" is the safe side (measured 0.60 here,
#: 0.62 on the full benchmark).
HOLD_RECOMMENDED_MEASURED = 0.55
HOLD_TOP_DOWN_MAE = TARGET_OTHER_MAE  # measured 5.6
HOLD_SIDE_REFUSED = 1.0  # target met
HOLD_FEET_LOW_REFUSED = 1.0  # target met
HOLD_SEQUENCE_MAE = TARGET_RECOMMENDED_MAE  # measured 3.4
HOLD_SEQUENCE_WORST = TARGET_RECOMMENDED_WORST  # measured 8.8 (peak 49.8 for 53.8)
HOLD_SEQUENCE_MEASURED = 0.8  # measured 0.92 (nothing before calibration at 0.7 s)
#: Held-out bodies (issue 17: woman28_slim_150, 1.50 m, and man25_slim_190, 1.90 m),
#: recommended stills and the woman's drop to 75 deg, measured at 04:15 UTC, 2026-12-06.
#: With the body type given the knee drop meets the targets (measured 1.9 / 7.6: held at the
#: targets 2.5 / 8). With none given it meets them too since the calibration takes the
#: female template when it finds a short thigh (kinematics.calibrate_for; measured at 15:50
#: UTC, 2026-12-06: 2.0 / 8.0, against 3.1 / 11.4 with the neutral template): held at the
#: targets 3 / 10.
HOLD_STATED_MAE = 2.5
HOLD_STATED_WORST = 8.0
HOLD_NEUTRAL_MAE = 3.0
HOLD_NEUTRAL_WORST = 10.0
#: Pelvis roll MAE: measured 5.2 (type given) and 5.6 (neutral); target 4, not met.
HOLD_PELVIS_MAE = 6.0
#: Twist MAE: measured 5.0 (type given, target 5 met) and 5.2 (neutral, not met).
HOLD_TWIST_MAE = 5.5
#: Worst pelvis roll and twist, and the share of frames given a pelvis roll (a hip line no
#: roll explains reads unknown: kinematics.PELVIS_LINE_MAX_MISFIT), measured 06:45 UTC,
#: 2026-12-06: worst 22.6 / 16.6 (type given / neutral) and 15.8 / 15.8; pelvis roll given
#: on 76 % / 80 % of the frames (82 % / 82 % without the rule). Held with a small margin, so
#: that neither the worst case nor the share measured can silently get worse.
HOLD_PELVIS_WORST = 25.0
HOLD_TWIST_WORST = 18.0
HOLD_PELVIS_MEASURED = 0.7


@dataclass(frozen=True)
class Hold:
    """What one landmark model is held to on this set (degrees)."""

    #: The body type given: the tuning clip's knee drop (mean, worst).
    stated_sequence: tuple[float, float]
    #: Held-out bodies, knee drop (mean, worst): body type given, neutral template.
    held_out_stated: tuple[float, float]
    held_out_neutral: tuple[float, float]
    #: Held-out bodies: pelvis roll and twist (mean, worst).
    pelvis: tuple[float, float]
    twist: tuple[float, float]


#: The live coach's model (full): the values above.
HOLD_LIVE = Hold(
    stated_sequence=(TARGET_RECOMMENDED_MAE, TARGET_RECOMMENDED_WORST),
    held_out_stated=(HOLD_STATED_MAE, HOLD_STATED_WORST),
    held_out_neutral=(HOLD_NEUTRAL_MAE, HOLD_NEUTRAL_WORST),
    pelvis=(HOLD_PELVIS_MAE, HOLD_PELVIS_WORST),
    twist=(HOLD_TWIST_MAE, HOLD_TWIST_WORST),
)
#: A recorded video's model (heavy), measured here at 12:20 UTC, 2026-12-06: tuning stills
#: 2.8 / 8.7 neutral and 1.8 / 7.2 with the body type (full: 3.7 / 12.0, 3.4 / 9.0); the
#: female clip with the body type 3.0 / 10.8 (full 2.3 / 8.3); held out 2.5 / 9.4 with the
#: body type and 2.7 / 11.2 neutral (full 1.9 / 7.6 and 3.1 / 11.4). The held-out 1.50 m
#: woman's pelvis reads 12-31 deg short at drops of 30-60 deg with it (held out: pelvis 11.2
#: / 28.3 and twist 12.0 / 29.9 with the body type, 12.7 / 31.4 and 13.9 / 32.9 neutral,
#: against about 5 / 17-23 with the full model): on the 16 bodies of bench/ACCURACY.md the
#: heavy model reads the knee drop better and the pelvis of the smallest women worse. Held
#: at the measurements plus a small margin; held out with no body type said at the targets
#: 3 / 10 (measured 2.5 / 9.5 since a short thigh takes the female template, 2.6 / 11.2
#: before).
HOLD_RECORDED = Hold(
    stated_sequence=(3.5, 12.0),
    held_out_stated=(3.0, 10.5),
    held_out_neutral=(3.0, 10.0),
    pelvis=(13.5, 34.0),
    twist=(15.0, 35.0),
)
HOLDS = {LIVE_MODEL: HOLD_LIVE, RECORDED_MODEL: HOLD_RECORDED}


@pytest.fixture(scope="module", params=[LIVE_MODEL, RECORDED_MODEL], ids=["live", "recorded"])
def model(request: pytest.FixtureRequest) -> int:
    """The landmark model a session is measured with: the live coach's (full) and a
    recorded video's (heavy, ``twistcoach analyze``); every accuracy test runs with both."""
    value: int = request.param
    return value


@pytest.fixture(scope="module")
def both_calibrated(model: int) -> list[Result]:
    """Every still measured twice: with the neutral template body and with its own."""
    root = GT / "stills"
    records = load_stills(root)
    return run_calibrated(root, records, BODY_MODES, estimate_stills(root, records, model=model))


@pytest.fixture(scope="module")
def both_sequence(model: int) -> list[Result]:
    labels = json.loads((GT / "ci_drop_right.json").read_text())
    return run_video(GT / labels["video"], labels, labels["name"], BODY_MODES, model=model)


@pytest.fixture(scope="module")
def both_held_out_clip(model: int) -> list[Result]:
    """The held-out 1.50 m woman's drop to 75 deg (``generate.CI_HELD_OUT_CLIP``)."""
    labels = json.loads((GT / "ci_held_out_drop_right.json").read_text())
    return run_video(GT / labels["video"], labels, labels["name"], BODY_MODES, model=model)


@pytest.fixture(scope="module")
def calibrated(both_calibrated: list[Result]) -> list[Result]:
    """No body type given: the neutral template."""
    return [r for r in both_calibrated if r.body_type == "neutral"]


@pytest.fixture(scope="module")
def sequence(both_sequence: list[Result]) -> list[Result]:
    return [r for r in both_sequence if r.body_type == "neutral"]


@pytest.fixture(scope="module")
def stated(both_calibrated: list[Result]) -> list[Result]:
    """The body type given: each body measured with its own template (female or male)."""
    return [r for r in both_calibrated if r.body_type != "neutral"]


@pytest.fixture(scope="module")
def stated_sequence(both_sequence: list[Result]) -> list[Result]:
    return [r for r in both_sequence if r.body_type != "neutral"]


def _knee_drop_within(results: list[Result], mae: float, worst: float) -> Stats:
    """The knee drop's statistics (true |drop| <= 70), checked: mean error at most ``mae``,
    none over ``worst`` degrees, and no measured drop named the wrong side."""
    s = stats(results, "knee_drop_deg", max_abs_deg=70.0)
    assert s.mae is not None and s.worst is not None
    assert s.mae <= mae, f"MAE {s.mae:.1f}"
    assert s.worst <= worst, f"worst {s.worst:.1f}"
    assert s.side_correct == 1.0
    return s


def test_committed_set_is_complete_and_labelled() -> None:
    records = load_stills(GT / "stills")
    assert len(records) == 4 * 5 * 5
    # Two of the four bodies are held out: never used to choose anything (issue 17).
    assert len({r["body"] for r in records} & HELD_OUT) == 2
    for rec in records:
        assert (GT / "stills" / rec["image"]).is_file()
        assert set(rec["labels"]) >= {"knee_drop_deg", "shoulder_roll_deg", "side"}
    flat = [r for r in records if r["theta_cmd_deg"] == 0.0]
    assert all(abs(r["labels"]["knee_drop_deg"]) < 1.0 for r in flat)
    # Labels are the app's definitions on 3D keypoints: a commanded 70 deg comes out smaller.
    big = [r["labels"]["knee_drop_deg"] for r in records if r["theta_cmd_deg"] == 70.0]
    assert all(60.0 < d < 72.0 for d in big)
    clip = json.loads((GT / "ci_drop_right.json").read_text())
    assert clip["fps"] == 10 and len(clip["frames"]) == 91
    assert (GT / clip["video"]).stat().st_size < 1_000_000
    held = json.loads((GT / "ci_held_out_drop_right.json").read_text())
    assert held["body"] in HELD_OUT and held["fps"] == 10
    assert max(f["labels"]["knee_drop_deg"] for f in held["frames"]) > 70.0
    assert (GT / held["video"]).stat().st_size < 1_000_000


@pytest.mark.slow
def test_recommended_view_accuracy(calibrated: list[Result]) -> None:
    # The tuning bodies (the held-out ones have their own test below).
    rs = [r for r in calibrated if r.camera in RECOMMENDED_CAMERAS and r.body not in HELD_OUT]
    s = _knee_drop_within(rs, HOLD_RECOMMENDED_MAE, HOLD_RECOMMENDED_WORST)
    assert s.detection_rate == 1.0
    assert s.measured_rate >= HOLD_RECOMMENDED_MEASURED


@pytest.mark.slow
def test_recommended_view_meets_the_targets_with_the_body_type(
    stated: list[Result], stated_sequence: list[Result], model: int
) -> None:
    # With the person's template body the calibration places the camera right for both
    # sexes, and the targets hold on the stills (full model 3.4 / 8.9, heavy 1.8 /
    # 7.2, against 3.7 / 11.9 and 2.8 / 8.7 with the neutral template); on the clip with the
    # full model too (2.3 / 8.3), not with the heavy one (3.0 / 10.8: see HOLD_RECORDED).
    assert {r.body_type for r in stated} == {"female", "male"}
    rs = [r for r in stated if r.camera in RECOMMENDED_CAMERAS and r.body not in HELD_OUT]
    s = _knee_drop_within(rs, TARGET_RECOMMENDED_MAE, TARGET_RECOMMENDED_WORST)
    assert s.measured_rate >= HOLD_RECOMMENDED_MEASURED
    assert {r.body_type for r in stated_sequence} == {"female"}
    _knee_drop_within(stated_sequence, *HOLDS[model].stated_sequence)
    top = stats(
        [r for r in stated if r.camera == "top_down" and r.body not in HELD_OUT],
        "knee_drop_deg",
        70.0,
    )
    assert top.mae is not None and top.mae <= TARGET_OTHER_MAE


@pytest.mark.slow
def test_other_accepted_view_accuracy(calibrated: list[Result]) -> None:
    rs = [r for r in calibrated if r.camera == "top_down" and r.body not in HELD_OUT]
    s = stats(rs, "knee_drop_deg", max_abs_deg=70.0)
    assert s.detection_rate == 1.0
    assert s.mae is not None
    assert s.mae <= HOLD_TOP_DOWN_MAE, f"MAE {s.mae:.1f}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("camera", "hold"), [("feet_low", HOLD_FEET_LOW_REFUSED), ("side_l_low", HOLD_SIDE_REFUSED)]
)
def test_views_it_cannot_measure_are_refused_with_advice(
    calibrated: list[Result], camera: str, hold: float
) -> None:
    rs = [r for r in calibrated if r.camera == camera]
    rate = refusal_rate(rs)
    assert rate is not None and rate >= hold, f"{camera}: refused {rate}"
    for r in rs:
        if not r.measurable:
            assert r.advice, f"{camera}: a refusal must come with camera advice"


@pytest.mark.slow
def test_sequence_drop_hold_return(sequence: list[Result]) -> None:
    assert len(sequence) == 91
    assert all(r.detected for r in sequence)
    measured = [r for r in sequence if r.measured.get("knee_drop_deg") is not None]
    # The tracker calibrates itself on the first two seconds of lying flat, knees up.
    assert measured and float(measured[0].measured["t"] or 0.0) <= 2.5
    s = _knee_drop_within(sequence, HOLD_SEQUENCE_MAE, HOLD_SEQUENCE_WORST)
    assert s.measured_rate >= HOLD_SEQUENCE_MEASURED
    peak_true = max(float(r.labels["knee_drop_deg"]) for r in sequence)
    peak = max(float(r.measured["knee_drop_deg"] or 0.0) for r in measured)
    assert abs(peak - peak_true) <= HOLD_SEQUENCE_WORST


@pytest.mark.slow
def test_coach_stay_here_margins_cover_the_measured_under_read(
    both_calibrated: list[Result], both_sequence: list[Result], both_held_out_clip: list[Result]
) -> None:
    # The coach says "stay here" the under-read measured at the cap below it, so a body
    # read short is stopped by the time it reaches the cap: what this set reads short must
    # stay within those margins (true drops up to 70 deg, above every variant's cap), with
    # either template body and either landmark model (the live coach's binds; a recorded
    # video replayed through the coach is covered too).
    from twistcoach.coaching import load_coaching_rules

    rules = load_coaching_rules()
    results = [*both_calibrated, *both_sequence, *both_held_out_clip]
    rows = [row for row in under_read_rows(results) if row[0] <= 70.0]
    assert [row[0] for row in rows][-1] == 70.0  # the set reaches the top of the range
    for upper, _, under, _ in rows:
        margin = band_margin(rules.stay_margin, upper)
        assert margin >= under, f"true drop up to {upper:g}: {under:.1f}"


# --- issue 17: held-out bodies and single photographs ---

#: Issue 17's targets from the recommended place, true drops up to 70 deg: knee drop MAE and
#: worst with the body type given and with the neutral template; pelvis roll and twist MAE.
TARGET_HELD_OUT_STATED = (2.5, 8.0)
TARGET_HELD_OUT_NEUTRAL = (3.0, 10.0)
TARGET_PELVIS_MAE = 4.0
TARGET_TWIST_MAE = 5.0


def _held_out(results: list[Result]) -> list[Result]:
    return [r for r in results if r.body in HELD_OUT and r.camera in RECOMMENDED_CAMERAS]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["stated", "neutral"])
def test_held_out_bodies_from_the_recommended_place(
    both_calibrated: list[Result], both_held_out_clip: list[Result], mode: str, model: int
) -> None:
    # Bodies the kinematics were never tuned on (plan.HELD_OUT), stills and the 1.50 m
    # woman's drop to 75 deg: the targets where met, else the measured values (see
    # HOLD_* and bench/ACCURACY.md).
    neutral = mode == "neutral"
    rs = _held_out(
        [
            r
            for r in [*both_calibrated, *both_held_out_clip]
            if (r.body_type == "neutral") is neutral
        ]
    )
    assert {r.body for r in rs} == {"woman28_slim_150", "man25_slim_190"}
    hold = HOLDS[model]
    mae, worst = hold.held_out_neutral if mode == "neutral" else hold.held_out_stated
    s = _knee_drop_within(rs, mae, worst)
    assert s.measured_rate >= HOLD_RECOMMENDED_MEASURED
    pelvis = stats(rs, "pelvis_roll_deg")
    twist = stats(rs, "twist_deg")
    assert pelvis.mae is not None and pelvis.mae <= hold.pelvis[0], f"pelvis {pelvis.mae}"
    assert twist.mae is not None and twist.mae <= hold.twist[0], f"twist {twist.mae}"
    assert pelvis.worst is not None and pelvis.worst <= hold.pelvis[1], pelvis.worst
    assert twist.worst is not None and twist.worst <= hold.twist[1], twist.worst
    assert pelvis.measured_rate >= HOLD_PELVIS_MEASURED, pelvis.measured_rate


@pytest.mark.slow
def test_single_photographs_give_no_wrong_knee_drop() -> None:
    # Issue 17 item 3: a number only when it is right. Every committed still as a lone
    # photograph (no calibration), every view: no knee drop more than 10 deg off (unknown
    # is allowed), and lying flat reads near 0 or unknown.
    root = GT / "stills"
    photos = run_photos(root, load_stills(root))
    assert all(r.detected for r in photos if r.view != "feet_end")
    for r in photos:
        error = r.error("knee_drop_deg")
        assert error is None or abs(error) <= 10.0, (r.source, error)


def test_a_real_photograph_of_lying_flat_reads_no_drop() -> None:
    # The savasana photograph (shared data, suraj_corpse_pose) read +40.5 deg at confidence
    # 0.66 before single photographs stopped giving a knee drop.
    from twistcoach.kinematics import measure
    from twistcoach.landmarks import Skeleton

    fixture = REPO / "tests" / "fixtures" / "skeletons" / "suraj_corpse_pose.json"
    metrics = measure(Skeleton.from_dict(json.loads(fixture.read_text())), None)
    assert metrics.knee_drop.value is None or abs(metrics.knee_drop.value) <= 10.0
    assert metrics.pelvis_roll.value is None and metrics.twist.value is None


def test_render_folders_are_redone_when_what_made_them_changes(tmp_path: Path) -> None:
    """Frames are reused by file name; a folder stamped with another spec loses them (the
    demo and CI clips once kept an old camera's frames under a new camera's labels)."""
    from groundtruth.generate import _cache_for

    folder = tmp_path / "clip"
    _cache_for(folder, {"camera": "diag_r55_e35", "size": (640, 360)})
    (folder / "frame_0000.jpg").write_bytes(b"old")
    _cache_for(folder, {"camera": "diag_r55_e35", "size": (640, 360)})
    assert (folder / "frame_0000.jpg").exists()  # same spec: reused
    _cache_for(folder, {"camera": "diag_r35_e45", "size": (640, 360)})
    assert not (folder / "frame_0000.jpg").exists()  # another camera: rendered again
    assert "diag_r35_e45" in (folder / "render_spec.json").read_text()
