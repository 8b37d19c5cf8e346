"""The One Euro filter, for several channels at once, with gaps.

Casiez G., Roussel N., Vogel D. "1€ Filter: A Simple Speed-based Low-pass Filter for
Noisy Input in Interactive Systems." CHI 2012, pp. 2527-2530. doi:10.1145/2207676.2208639

A first-order low-pass whose cut-off rises with the signal's speed: at rest it removes
the model's frame-to-frame jitter, in motion it follows with little lag. It takes real
timestamps, so it works at any frame rate (5 fps to 60 fps here). An unknown sample
(NaN) gives NaN; after a gap longer than ``reset_after_s`` a channel starts afresh instead
of gliding from a stale value.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _alpha(cutoff: FloatArray | float, dt: FloatArray) -> FloatArray:
    """The smoothing factor of a first-order low-pass with this cut-off (Hz) and step (s)."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
    out: FloatArray = 1.0 / (1.0 + tau / dt)
    return out


class OneEuroFilter:
    """Filters ``channels`` signals sampled together.

    ``min_cutoff`` (Hz) sets the smoothing at rest, ``beta`` how fast the cut-off rises
    with speed (per unit/s), ``d_cutoff`` (Hz) the smoothing of the speed estimate.
    The defaults suit joint angles in degrees: the glides move at well under 1 Hz.
    """

    def __init__(
        self,
        channels: int,
        *,
        min_cutoff: float = 1.0,
        beta: float = 0.02,
        d_cutoff: float = 1.0,
        reset_after_s: float = 0.5,
    ) -> None:
        if channels < 1:
            raise ValueError("at least one channel")
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("cut-offs must be positive and beta not negative")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset_after_s = reset_after_s
        self._x = np.full(channels, np.nan)
        self._dx = np.zeros(channels)
        self._t = np.full(channels, np.nan)

    def __call__(self, t: float, values: FloatArray) -> FloatArray:
        x = np.asarray(values, dtype=np.float64)
        out = np.full_like(x, np.nan)
        known = np.isfinite(x)
        dt = t - self._t
        fresh = known & (~np.isfinite(self._x) | ~(dt > 0) | (dt > self.reset_after_s))
        go = known & ~fresh
        if go.any():
            step = dt[go]
            dx = (x[go] - self._x[go]) / step
            a_d = _alpha(self.d_cutoff, step)
            dx_hat = a_d * dx + (1.0 - a_d) * self._dx[go]
            cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
            a = _alpha(cutoff, step)
            x_hat = a * x[go] + (1.0 - a) * self._x[go]
            self._x[go] = x_hat
            self._dx[go] = dx_hat
            self._t[go] = t
            out[go] = x_hat
        if fresh.any():
            self._x[fresh] = x[fresh]
            self._dx[fresh] = 0.0
            self._t[fresh] = t
            out[fresh] = x[fresh]
        return out


def filter_series(times: FloatArray, values: FloatArray, **params: float) -> FloatArray:
    """Run a fresh :class:`OneEuroFilter` over ``values`` (frames x channels)."""
    f = OneEuroFilter(values.shape[1], **params)
    out = np.empty_like(values)
    for i, t in enumerate(times):
        out[i] = f(float(t), values[i])
    return out
