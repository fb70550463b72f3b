"""One Euro filter: literal sequences with exact answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twistcoach.smoothing import OneEuroFilter, smoothing_factor

#: A cut-off of 1/(2*pi) Hz gives tau = 1 s, so with 1 s steps alpha is exactly 1/2.
HALF = 1.0 / (2.0 * math.pi)


def test_smoothing_factor_exact() -> None:
    assert smoothing_factor(1.0, HALF) == pytest.approx(0.5)
    assert smoothing_factor(3.0, HALF) == pytest.approx(0.75)


def test_first_sample_passes_and_constant_stays_constant() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.5, d_cutoff=1.0)
    assert f.filter(0.0, 12.5) == 12.5
    for i in range(1, 20):
        assert f.filter(i / 30, 12.5) == 12.5
    assert f.derivative == 0.0


def test_literal_sequence_beta_zero() -> None:
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF)
    assert [f.filter(float(t), x) for t, x in enumerate([0.0, 10.0, 10.0, 10.0])] == (
        pytest.approx([0.0, 5.0, 7.5, 8.75])
    )
    # Derivative: 0.5 * raw rate + 0.5 * previous, the raw rate taken against the previous
    # filtered value: 10, 5 and 2.5 per second give 5, 5, 3.75.
    assert f.derivative == pytest.approx(3.75)


def test_uneven_steps_use_the_real_time_step() -> None:
    # A missing sample: the step is 3 s, alpha = 1 / (1 + 1/3) = 0.75.
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF, max_gap_s=10.0)
    f.filter(0.0, 0.0)
    assert f.filter(3.0, 8.0) == pytest.approx(6.0)


def test_beta_reduces_lag_on_fast_motion() -> None:
    slow = OneEuroFilter(min_cutoff=1.0, beta=0.0, d_cutoff=1.0)
    fast = OneEuroFilter(min_cutoff=1.0, beta=0.1, d_cutoff=1.0)
    ramp = [(i / 30, 60.0 * i / 30) for i in range(31)]  # 60 degrees per second
    out_slow = [slow.filter(t, x) for t, x in ramp][-1]
    out_fast = [fast.filter(t, x) for t, x in ramp][-1]
    assert 60.0 - out_fast < 60.0 - out_slow
    assert 60.0 - out_fast < 5.0


def test_long_gap_restarts() -> None:
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF, max_gap_s=1.0)
    f.filter(0.0, 0.0)
    assert f.filter(5.0, 40.0) == 40.0  # tracking lost for 5 s: no drag from the old value


def test_time_not_increasing_returns_last() -> None:
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF)
    f.filter(0.0, 0.0)
    assert f.filter(1.0, 10.0) == pytest.approx(5.0)
    assert f.filter(1.0, 100.0) == pytest.approx(5.0)
    assert f.filter(0.5, 100.0) == pytest.approx(5.0)


def test_reset() -> None:
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF)
    f.filter(0.0, 0.0)
    f.reset()
    assert f.derivative is None
    assert f.filter(1.0, 10.0) == 10.0


def test_arrays_are_filtered_element_wise() -> None:
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF)
    first = f.filter(0.0, np.array([0.0, 2.0]))
    out = f.filter(1.0, np.array([10.0, 2.0]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(first, [0.0, 2.0])
    np.testing.assert_allclose(out, [5.0, 2.0])


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="cut-off"):
        OneEuroFilter(min_cutoff=0.0)
    with pytest.raises(ValueError, match="beta"):
        OneEuroFilter(beta=-1.0)


def test_a_scalar_stream_computes_what_a_one_element_array_does() -> None:
    # Scalars take a plain-float path (five angles a frame in the tracker): the same
    # arithmetic, so exactly the same values, gaps and restarts included.
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.uniform(0.02, 0.08, 200))
    times[120:] += 2.0  # a gap longer than max_gap_s: both restart
    values = np.cumsum(rng.normal(0.0, 2.0, 200))
    scalar = OneEuroFilter(min_cutoff=0.8, beta=0.05, d_cutoff=1.0)
    array = OneEuroFilter(min_cutoff=0.8, beta=0.05, d_cutoff=1.0)
    for t, x in zip(times.tolist(), values.tolist(), strict=True):
        out = scalar.filter(t, x)
        assert isinstance(out, float)
        assert out == float(array.filter(t, np.array([x]))[0])
        assert scalar.derivative == float(np.asarray(array.derivative)[0])
    # numpy scalars and 0-d arrays are scalars too.
    assert isinstance(scalar.filter(times[-1] + 0.05, np.float64(3.0)), float)
    assert isinstance(scalar.filter(times[-1] + 0.10, np.array(3.0)), float)


def test_a_stream_that_changes_from_scalar_to_array_restarts() -> None:
    f = OneEuroFilter(min_cutoff=HALF, beta=0.0, d_cutoff=HALF)
    f.filter(0.0, 0.0)
    np.testing.assert_array_equal(f.filter(1.0, np.array([10.0, 4.0])), [10.0, 4.0])
    assert f.filter(2.0, 6.0) == 6.0
