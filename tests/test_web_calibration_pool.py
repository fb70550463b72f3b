"""The web server's calibration process (twistcoach.web.calibration_pool): the same fit as
in the server's own thread, its refusals passed on, and a process that died replaced."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import numpy as np
import pytest

from synthetic import VIEWS, photograph, supine_twist_3d
from twistcoach.kinematics import CalibrationError, template_body
from twistcoach.metrics import BodyType
from twistcoach.tracking import calibrate_here
from twistcoach.web.calibration_pool import CalibrationPool

NEUTRAL = [
    photograph(supine_twist_3d(0.0), VIEWS["diagonal_right"], timestamp_s=k / 15) for k in range(3)
]
MODEL = template_body(BodyType.FEMALE)


@pytest.fixture(scope="module")
def pool() -> Iterator[CalibrationPool]:
    p = CalibrationPool()
    yield p
    p.close()


def test_the_process_fits_what_the_thread_fits(pool: CalibrationPool) -> None:
    here = calibrate_here(NEUTRAL, MODEL, 0.05)
    there = pool(NEUTRAL, MODEL, 0.05)
    assert there.view is here.view
    assert there.neutral and here.neutral
    assert there.residual == here.residual
    np.testing.assert_array_equal(there.camera.rotation, here.camera.rotation)
    assert pool._pool is not None  # it ran in the pool's process


def test_a_refused_fit_is_refused_as_in_the_thread(pool: CalibrationPool) -> None:
    twisted = [photograph(supine_twist_3d(60.0), VIEWS["diagonal_right"])]
    with pytest.raises(CalibrationError, match="dropped to one side"):
        pool(twisted, MODEL, 0.05)
    with pytest.raises(CalibrationError, match="no frames"):
        pool([], MODEL, 0.05)


def test_a_dead_process_is_replaced(pool: CalibrationPool) -> None:
    pool(NEUTRAL, MODEL, 0.05)  # the process is up
    executor = pool._pool
    assert executor is not None
    for pid in list(executor._processes):  # what an out-of-memory kill would do
        os.kill(pid, signal.SIGKILL)
    # This fit is made here (the process is gone) or by a fresh process; either way right.
    assert pool(NEUTRAL, MODEL, 0.05).neutral
    assert pool(NEUTRAL, MODEL, 0.05).neutral
    assert pool._pool is not executor


def test_warm_starts_the_process_before_any_fit() -> None:
    p = CalibrationPool()
    try:
        assert p._pool is None  # nothing started by making it
        p.warm()
        executor = p._pool
        assert executor is not None and len(executor._processes) == 1
        assert p(NEUTRAL, MODEL, 0.05).neutral
        assert p._pool is executor  # the fit ran in the process warm() started
    finally:
        p.close()
    assert p._pool is None
