"""Calibration fits in a process of their own, so the event loop keeps its interpreter.

A session's first still seconds end in a calibration fit (:func:`twistcoach.kinematics.calibrate`):
0.1-0.2 s of CPU in numpy calls on small arrays, which hold the interpreter lock most of
the time: run in one of the server's threads, each fit slows every running stream's frames,
and a class that starts together queues its fits behind one another. In a process of its
own the fit takes the other core and the socket's worker thread only waits. Measured on the
project's 2-core machine when quiet (bench/LOAD.md), 60 streams on one server process, half
of them connecting at once: p99 48-98 ms with this process against 112-154 ms without, the
newcomers' first reply within 4.9-5.9 s against 13-17 s. (With other work loading both cores
it made no difference: the process then competes for the second core.)

:class:`CalibrationPool` is a :data:`twistcoach.tracking.Calibrator`: the web app's trackers
call it as they would :func:`twistcoach.tracking.calibrate_here`. The process is started by
``spawn``, safe whatever threads the server runs. A spawned process imports the server's
modules afresh (2-5 s on the 2-core machine under load), so ``twistcoach serve`` starts it
with the server (:meth:`CalibrationPool.warm`); otherwise the first fit does. If it cannot
answer (it died, or took longer than :data:`FIT_TIMEOUT_S`), the fit runs here instead and
the next fit starts a fresh process.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

from twistcoach.kinematics import BodyModel, Calibration, CalibrationError
from twistcoach.landmarks import Skeleton
from twistcoach.tracking import calibrate_here

log = logging.getLogger(__name__)

#: Seconds a fit may take in the pool before it is run here instead. A fit measured
#: 0.1-0.5 s of CPU on the project's 2-core machine (up to 1.2 s wall at load 14); only
#: one runs at a time per server process (``practice.Admission.calibrating``).
FIT_TIMEOUT_S = 20.0


#: The fitting process runs this much nicer than the server (``os.nice``): fits are
#: background work, and the running streams' frames come first when the cores are busy
#: (the newcomers wait in "getting ready" a little longer instead).
FIT_NICENESS = 10


def _warm() -> None:
    """Lower this process's priority (:data:`FIT_NICENESS`) and import what a fit needs,
    before the first fit waits on it."""
    with contextlib.suppress(OSError):
        os.nice(FIT_NICENESS)
    import twistcoach.kinematics  # noqa: F401


class CalibrationPool:
    """One process that fits calibrations for this server process's sockets.

    Calling it is thread-safe: each socket's worker thread waits for its own fit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_warm,
                )
            return self._pool

    def _discard(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def __call__(
        self, frames: Sequence[Skeleton], model: BodyModel, max_motion: float
    ) -> Calibration:
        """Fit a calibration (:data:`twistcoach.tracking.Calibrator`).

        Raises
        ------
        CalibrationError
            When the frames are not a still, neutral supine pose (from the fit itself).
        """
        pool = self._executor()
        try:
            future = pool.submit(calibrate_here, list(frames), model, max_motion)
            return future.result(timeout=FIT_TIMEOUT_S)
        except CalibrationError:
            raise
        except (BrokenProcessPool, concurrent.futures.TimeoutError, OSError, RuntimeError) as exc:
            # The process died or hangs: this fit here, a fresh process for the next.
            log.warning("calibration process unavailable (%s); fitting in the server", exc)
            self._discard(pool)
            return calibrate_here(frames, model, max_motion)

    def warm(self) -> None:
        """Start the process now and wait until it is ready (``twistcoach serve`` at start),
        so that the first students do not wait for it; a failure is logged, and the first
        fit tries again."""
        pool = self._executor()
        try:
            pool.submit(_warm).result(timeout=FIT_TIMEOUT_S)
        except (BrokenProcessPool, concurrent.futures.TimeoutError, OSError, RuntimeError) as exc:
            log.warning("calibration process did not start (%s)", exc)
            self._discard(pool)

    def close(self) -> None:
        """Stop the process (the app's shutdown); a later fit would start a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
