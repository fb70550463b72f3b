"""The coach's checks (twistcoach.checks): one arithmetic for the coach and the reports."""

from __future__ import annotations

import math

import pytest

from twistcoach.checks import (
    BounceCounter,
    Check,
    FormChecks,
    NeutralZero,
    Reading,
    ZeroStep,
    find_zero,
    over_cap,
    reading,
    shoulder_lifting,
    too_fast,
)
from twistcoach.coaching import load_coaching_rules
from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View

LIMITS = load_coaching_rules().thresholds.check_limits()


def metrics(
    drop: float | None = 10.0,
    speed: float | None = 0.0,
    conf: float = 0.9,
    shoulder: float = 0.0,
    shoulder_conf: float = 0.9,
    lifted: Side | None = None,
) -> TwistMetrics:
    return TwistMetrics(
        timestamp_s=0.0,
        knee_drop=Measure(drop, conf),
        drop_side=None,
        pelvis_roll=Measure(5.0, conf),
        shoulder_roll=Measure(shoulder, shoulder_conf),
        lifted_shoulder=lifted,
        twist=Measure(5.0, conf),
        knee_flexion=Measure(80.0, conf),
        knees_together=True,
        speed=Measure(speed, conf),
        confidence=conf,
    )


def observation(m: TwistMetrics | None, measurable: bool = True, t: float = 0.0) -> Observation:
    return Observation(t, m, PoseFamily.SUPINE, 0.9, View.OBLIQUE, measurable)


def test_the_limits_are_the_rule_files() -> None:
    assert LIMITS.over_cap_tolerance_deg == 2.0
    assert LIMITS.speed_limit_deg_s == 20.0
    assert LIMITS.shoulder_roll_limit_deg == 15.0
    assert (LIMITS.bounce_amplitude_deg, LIMITS.bounce_reversals) == (3.0, 3)


def test_a_reading_only_where_measured() -> None:
    r = reading(observation(metrics(drop=30.0, speed=12.0)), LIMITS)
    assert r is not None and (r.drop_deg, r.speed_deg_s) == (30.0, 12.0)
    # The view cannot be measured: the numbers in the metrics are not used.
    assert reading(observation(metrics(drop=30.0), measurable=False), LIMITS) is None
    assert reading(observation(metrics(drop=30.0, conf=0.4)), LIMITS) is None
    assert reading(observation(metrics(drop=None)), LIMITS) is None
    assert reading(observation(None), LIMITS) is None


def test_unmeasured_observations_show_no_view_dependent_number() -> None:
    m = observation(metrics(drop=30.0, speed=40.0, shoulder=20.0), measurable=False).measured
    assert m is not None
    assert [m.knee_drop.value, m.pelvis_roll.value, m.shoulder_roll.value] == [None] * 3
    assert [m.twist.value, m.speed.value, m.confidence] == [None, None, 0.0]
    # The knee flexion is fitted with the knee drop: not given where the drop is not.
    assert m.knee_flexion.value is None
    assert m.knees_together is not None  # the knees' gap in the image is still seen


def test_over_cap_is_judged_from_the_zero() -> None:
    assert not over_cap(42.0, 40.0, LIMITS)
    assert over_cap(42.5, 40.0, LIMITS)
    assert over_cap(-42.5, 40.0, LIMITS)


def test_too_fast_and_shoulders() -> None:
    assert too_fast(-20.5, LIMITS) and not too_fast(20.0, LIMITS) and not too_fast(None, LIMITS)
    assert shoulder_lifting(metrics(shoulder=15.5), LIMITS)
    assert not shoulder_lifting(metrics(shoulder=15.5, shoulder_conf=0.4), LIMITS)
    assert shoulder_lifting(metrics(lifted=Side.LEFT), LIMITS)
    assert not shoulder_lifting(metrics(lifted=Side.CENTRE), LIMITS)
    assert not shoulder_lifting(None, LIMITS)


def test_bouncing_counts_three_reversals_then_starts_afresh() -> None:
    bounce = BounceCounter(LIMITS)
    drops = [10.0, 14.0, 10.0, 14.0, 10.0, 14.0, 10.0]
    assert [bounce.update(0.5 * i, d) for i, d in enumerate(drops)] == [
        False,
        False,
        False,
        False,
        True,  # the third reversal within 4 s
        False,
        False,
    ]
    # Reversals smaller than the amplitude do not count.
    small = BounceCounter(LIMITS)
    assert not any(small.update(0.5 * i, 10.0 + 2.0 * (i % 2)) for i in range(20))


def test_the_neutral_zero_is_the_median_after_a_still_start() -> None:
    zero = NeutralZero(LIMITS)
    steps = [zero.update(0.1 * i, d, 0.0) for i, d in enumerate([1.0, 1.0, 1.0, 1.0, 1.0])]
    assert steps == [ZeroStep.SETTLING] * 5
    assert zero.update(0.5, 2.0, 0.0) is ZeroStep.STARTED
    assert zero.update(0.6, 20.0, 0.0) is ZeroStep.RESTARTED  # moved
    assert zero.update(0.7, 3.0, 0.0) is ZeroStep.RESTARTED  # and back: again from here
    for i in range(1, 20):
        assert zero.update(0.7 + 0.1 * i, 4.0 if i % 2 else 3.0, 0.0) is ZeroStep.CALIBRATING
    assert zero.update(2.7, 3.0, 0.0) is ZeroStep.DONE
    assert zero.zero == 3.0  # 11 readings of 3, 10 of 4
    assert zero.update(2.8, 9.0, 0.0) is ZeroStep.DONE and zero.zero == 3.0
    assert NeutralZero(LIMITS).update(0.0, 15.0, 0.0) is ZeroStep.NOT_READY


def test_find_zero_skips_unmeasured_frames_and_defaults_to_the_trackers() -> None:
    r = Reading(2.0, 0.0, metrics(drop=2.0))
    frames = [(0.1 * i, None if i % 3 == 0 else r) for i in range(40)]
    assert find_zero(frames, LIMITS) == 2.0
    assert find_zero([(0.0, None)], LIMITS) == 0.0


def test_form_checks_together() -> None:
    checks = FormChecks(LIMITS)
    # Half a second earlier the knees were at 20: 22.5 degrees of travel in 0.5 s.
    for i in range(5):
        d = 20.0 + 4.5 * i
        checks.check(0.1 * i, d, Reading(d + 2.5, 25.0, metrics(drop=d + 2.5, speed=25.0)), 40.0)
    r = Reading(45.0, 25.0, metrics(drop=45.0, speed=25.0, shoulder=16.0))
    assert checks.check(0.5, 45.0 - 2.5, r, 40.0) == {
        Check.OVER_CAP,
        Check.TOO_FAST,
        Check.SHOULDER_LIFTED,
    }
    assert checks.check(0.6, 42.0, Reading(44.5, 5.0, metrics()), 40.0) == frozenset()


def _fast_frames(drops: list[float], speed: float, dt: float = 1 / 12) -> list[bool]:
    checks = FormChecks(LIMITS)
    return [
        Check.TOO_FAST
        in checks.check(i * dt, d, Reading(d, speed, metrics(drop=d, speed=speed)), 60.0)
        for i, d in enumerate(drops)
    ]


def test_too_fast_needs_the_travel_not_only_the_frame_speed() -> None:
    """A kinematic step (the measured drop catching up 5 degrees in a frame while the
    knees move at 8 deg/s) reads a frame speed over the limit, but not the travel."""
    calm = [10.0 + 8.0 * i / 12 for i in range(12)]
    stepped = [*calm[:6], *(d + 5.0 for d in calm[6:])]
    assert not any(_fast_frames(stepped, speed=30.0))
    # A real fast drop (60 deg/s) is caught within half a second of its start.
    fast = [10.0 + 60.0 * i / 12 for i in range(12)]
    flags = _fast_frames(fast, speed=60.0)
    assert any(flags[:6])


def test_the_travel_starts_afresh_after_a_gap() -> None:
    checks = FormChecks(LIMITS)
    r = Reading(10.0, 30.0, metrics(drop=10.0, speed=30.0))
    checks.check(0.0, 10.0, r, 60.0)
    # 0.4 s later (a gap), 15 degrees on: the first reading after a gap has no travel.
    r2 = Reading(25.0, 30.0, metrics(drop=25.0, speed=30.0))
    assert Check.TOO_FAST not in checks.check(0.4, 25.0, r2, 60.0)
    assert checks.travel.update(0.45, 25.5) == pytest.approx(0.5 / LIMITS.speed_window_s)


@pytest.mark.parametrize("drop", [41.9, 42.1])
def test_the_coach_and_the_checks_agree_on_the_cap(drop: float) -> None:
    assert over_cap(drop, 40.0, LIMITS) is (drop > 42.0)


def test_one_rule_for_frames_too_sparse_to_follow() -> None:
    """``coach`` refuses a video by its frame rate and ``analyze`` leaves a video's speed
    out by its frames' median gap: one rule (:func:`too_sparse_to_follow`), so the two
    commands never disagree about a file (a 1 frame-a-second timelapse: the coach refused
    it while the report called its speed "slow")."""
    from twistcoach.checks import (
        MIN_FRAME_RATE,
        SPARSE_FRAME_GAP_S,
        TRAVEL_GAP_S,
        frame_rate_too_low,
        median_gap_s,
        too_sparse_to_follow,
    )

    # One number: frames further apart than the travel's gap cannot be followed for speed.
    assert SPARSE_FRAME_GAP_S == TRAVEL_GAP_S == 0.25 and MIN_FRAME_RATE == 4.0
    for fps in (0.1, 0.5, 1.0, 2.0, 3.0, 3.99, 4.0, 4.01, 15.0, 29.97, 60.0):
        times = [i / fps for i in range(12)]
        assert frame_rate_too_low(fps) == too_sparse_to_follow(median_gap_s(times)), fps
        assert frame_rate_too_low(fps) == (fps < MIN_FRAME_RATE), fps
    assert frame_rate_too_low(0.0) and frame_rate_too_low(float("nan"))
    assert too_sparse_to_follow(float("nan")) and too_sparse_to_follow(float("inf"))
    assert not too_sparse_to_follow(median_gap_s([0.0]))  # one frame: nothing to follow
    # A 4 frame-a-second stream whose times are sums of 0.25 s, or rounded, is followed.
    summed = [0.1]
    for _ in range(40):
        summed.append(summed[-1] + 0.25)
    assert not too_sparse_to_follow(median_gap_s(summed))
    assert not too_sparse_to_follow(0.25 + 1e-9) and too_sparse_to_follow(0.2501)


def _steady_fast_drop_flagged(fps: float, speed: float = 60.0, start: float = 0.1) -> bool:
    """Whether a steady drop at ``speed`` deg/s, read at ``fps`` frames a second from 5 deg
    for 3 s (times summed frame by frame, as a stream's are), is ever "too fast"."""
    checks = FormChecks(LIMITS)
    t, flagged = start, False
    while t < start + 3.0:
        d = 5.0 + speed * (t - start)
        r = Reading(d, speed, metrics(drop=d, speed=speed))
        flagged |= Check.TOO_FAST in checks.check(t, d, r, 90.0)
        t += 1.0 / fps
    return flagged


@pytest.mark.parametrize("fps", [2.0, 3.0, 3.9, 4.0, 5.0, 10.0, 30.0])
def test_frames_the_rule_calls_followable_can_be_too_fast(fps: float) -> None:
    """The rule and the check agree: at 3 frames a second a 60 deg/s drop gave no "too
    fast" (every reading started the travel afresh) while the rule (then 2 a second) called
    such frames fine. Now a steady fast drop is caught exactly at the rates the rule
    follows, 4 frames a second (timestamps summed in floats) included."""
    from twistcoach.checks import frame_rate_too_low

    assert _steady_fast_drop_flagged(fps) is not frame_rate_too_low(fps)


def test_the_frame_rate_of_a_stream_is_judged_by_its_recent_median_gap() -> None:
    from twistcoach.checks import FRAME_RATE_MIN_FRAMES, FRAME_RATE_WINDOW_S, FrameRate

    rate = FrameRate()
    # The first few frames say nothing yet.
    said = [rate.update(i / 3) for i in range(FRAME_RATE_MIN_FRAMES)]
    assert said[:-1] == [None] * (FRAME_RATE_MIN_FRAMES - 1) and said[-1] is True
    # 10 a second again: followed once the window's median gap is short again.
    t = FRAME_RATE_MIN_FRAMES / 3
    verdicts = []
    while t < 10.0:
        verdicts.append((t, rate.update(t)))
        t += 0.1
    first_ok = next(at for at, sparse in verdicts if sparse is False)
    assert first_ok < verdicts[0][0] + FRAME_RATE_WINDOW_S
    assert all(sparse is False for at, sparse in verdicts if at >= first_ok)
    # A freeze under half the window in a 10 a second stream is outvoted by the frames
    # around it (t is about 10.0 here).
    assert rate.update(10.8) is False
    # One of 10 s is not: no frame came in the whole window (the time-weighted gap), and
    # 10 frames a second are followed again within half the window.
    assert rate.update(20.8) is True
    after = [(round(20.8 + k / 10, 3), rate.update(round(20.8 + k / 10, 3))) for k in range(1, 15)]
    assert all(sparse is False for at, sparse in after if at > 20.8 + FRAME_RATE_WINDOW_S / 2)
    # One frame every 3 s is too sparse (the frame before the window keeps a gap to judge).
    assert [rate.update(20.0 + 3 * k) for k in range(1, 8)][-1] is True
    # Time going back (a new stream) is judged afresh.
    assert rate.update(1.0) is None


@pytest.mark.parametrize(
    ("pattern", "sparse"),
    [
        ((0.25,), False),  # 4 a second, the fewest followed
        ((0.2,), False),
        ((0.1,), False),
        ((1 / 30,), False),
        ((1 / 3,), True),
        ((0.05, 0.05, 0.4), True),  # bursts: 6 a second, but 80 % of the time in 0.4 s gaps
        ((0.02, 0.02, 0.02, 0.5), True),
        ((0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4), False),  # one late frame in ten: followed
    ],
)
def test_bursts_are_judged_by_the_time_their_gaps_span_live_and_in_a_report(
    pattern: tuple[float, ...], sparse: bool
) -> None:
    """Bursts (0.05, 0.05, 0.4 s apart) passed the median-gap rule (0.05 s) while every
    0.4 s gap started the travel afresh, so "too fast" could never fire: the gap is now
    weighted by the time it spans, the same for the live coach and a report, and the rule
    and the check agree (a steady 60 deg/s drop is "too fast" exactly when followed)."""
    from twistcoach.checks import FrameRate, time_median_gap_s, too_sparse_to_follow

    times, t, i = [], 0.0, 0
    while t < 6.0:
        times.append(t)
        t += pattern[i % len(pattern)]
        i += 1
    rate = FrameRate()
    verdicts = [rate.update(x) for x in times]
    assert verdicts[-1] is sparse and too_sparse_to_follow(time_median_gap_s(times)) is sparse
    assert all(v is sparse for v in verdicts[len(times) // 2 :])  # steadily, not by chance
    # The check: a steady fast drop over the same times.
    checks = FormChecks(LIMITS)
    flagged = False
    for x in times:
        d = 5.0 + 60.0 * x
        r = Reading(d, 60.0, metrics(drop=d, speed=60.0))
        flagged |= Check.TOO_FAST in checks.check(x, d, r, 900.0)
    assert flagged is not sparse


def test_the_time_weighted_gap_of_steady_frames_is_their_gap() -> None:
    from twistcoach.checks import median_gap_s, time_median_gap_s

    for fps in (0.5, 3.0, 4.0, 10.0, 29.97):
        times = [i / fps for i in range(30)]
        assert abs(time_median_gap_s(times) - median_gap_s(times)) < 1e-9
    assert time_median_gap_s([]) == 0.0 and time_median_gap_s([1.0]) == 0.0
    assert math.isnan(time_median_gap_s([0.0, math.nan, 1.0]))
    # Only the time since ``since`` counts: an old freeze leaves the window.
    assert time_median_gap_s([0.0, 10.0, 10.1, 10.2, 10.3], since=10.0) == pytest.approx(0.1)
    assert time_median_gap_s([0.0, 10.0, 10.1, 10.2, 10.3]) == 10.0
