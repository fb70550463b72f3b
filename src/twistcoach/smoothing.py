"""The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) for noisy streams.

Pure core: standard library and numpy only; time is always passed in explicitly.

A first-order low-pass filter whose cut-off frequency rises with the signal's speed:
slow movements are smoothed strongly (little jitter while holding a pose), fast ones
lightly (little lag while moving).
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
T = TypeVar("T", float, FloatArray)


def smoothing_factor(dt: float, cutoff_hz: float) -> float:
    """The exponential smoothing factor alpha in (0, 1] for a step ``dt`` (s) and cut-off (Hz)."""
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter for a scalar or an array (filtered element-wise).

    Parameters
    ----------
    min_cutoff
        Minimum cut-off frequency, Hz: lower = smoother at rest, more lag.
    beta
        Speed coefficient, (Hz) per (unit/s): higher = less lag when moving fast.
    d_cutoff
        Cut-off frequency for the derivative, Hz.
    max_gap_s
        A gap between samples longer than this (seconds) restarts the filter, so a
        person reappearing after tracking loss is not dragged from the old value.

    Notes
    -----
    Missing samples are handled by the caller passing the next sample with its real
    time: the smoothing factor follows the actual time step. Non-increasing times are
    ignored (the last output is returned), never divided by.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 0.0,
        d_cutoff: float = 1.0,
        max_gap_s: float = 1.0,
    ) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0:
            raise ValueError("cut-off frequencies must be positive")
        if beta < 0:
            raise ValueError("beta must not be negative")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.max_gap_s = max_gap_s
        self._t: float | None = None
        # A scalar stream keeps plain floats (about 1 us a sample against 5 in numpy: the
        # tracker smooths five angles a frame), an array stream arrays.
        self._x: FloatArray | float | None = None
        self._dx: FloatArray | float | None = None

    def reset(self) -> None:
        """Forget the past; the next sample passes through unchanged."""
        self._t = None
        self._x = None
        self._dx = None

    @property
    def derivative(self) -> float | FloatArray | None:
        """The filtered rate of change (units per second) after the last sample."""
        if self._dx is None:
            return None
        return self._dx if isinstance(self._dx, float) else self._dx.copy()

    def filter(self, t: float, x: T) -> T:
        """Filter one sample.

        Parameters
        ----------
        t
            Time of the sample, seconds.
        x
            A float or an array (any shape; the same shape every call until :meth:`reset`).

        Returns
        -------
        The filtered value, of the same type and shape as ``x``.
        """
        if isinstance(x, float | int):
            return self._filter_float(t, float(x))
        value = np.asarray(x, dtype=np.float64)
        if value.ndim == 0:
            return self._filter_float(t, float(value))  # type: ignore[return-value]
        px, pdx = self._x, self._dx
        if (
            self._t is None
            or not isinstance(px, np.ndarray)
            or not isinstance(pdx, np.ndarray)
            or value.shape != px.shape
            or t - self._t > self.max_gap_s
        ):
            self._t, self._x, self._dx = t, value.copy(), np.zeros_like(value)
            return value.copy()
        dt = t - self._t
        if dt <= 0:
            return px.copy()
        x_hat, dx = self._step(value, px, pdx, dt)
        self._t, self._x, self._dx = t, x_hat, dx
        return x_hat.copy()

    def _filter_float(self, t: float, value: float) -> float:
        """:meth:`filter` for a scalar stream, in plain floats (the same arithmetic)."""
        px, pdx = self._x, self._dx
        if (
            self._t is None
            or not isinstance(px, float)
            or not isinstance(pdx, float)
            or t - self._t > self.max_gap_s
        ):
            self._t, self._x, self._dx = t, value, 0.0
            return value
        dt = t - self._t
        if dt <= 0:
            return px
        x_hat, dx = self._step(value, px, pdx, dt)
        self._t, self._x, self._dx = t, x_hat, dx
        return x_hat

    def _step(self, value: T, px: T, pdx: T, dt: float) -> tuple[T, T]:
        """One step of the filter (the same arithmetic for floats and arrays): the new value
        and derivative from the sample ``value``, the last ones and the step ``dt`` > 0."""
        a_d = smoothing_factor(dt, self.d_cutoff)
        dx = a_d * (value - px) / dt + (1 - a_d) * pdx
        cutoff = self.min_cutoff + self.beta * abs(dx)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        alpha = 1.0 / (1.0 + tau / dt)
        return alpha * value + (1 - alpha) * px, dx
