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
        self._x = [math.nan] * channels
        self._dx = [0.0] * channels
        self._t = [math.nan] * channels
        self._tau_d = 1.0 / (2.0 * math.pi * d_cutoff)

    def __call__(self, t: float, values: FloatArray) -> FloatArray:
        return np.array(self.step(t, np.asarray(values, dtype=np.float64).tolist()))

    def step(self, t: float, values: list[float]) -> list[float]:
        """One sample of every channel as plain floats (NaN: unknown): the filtered
        values. The arithmetic is that of :func:`_alpha`, channel by channel."""
        out = []
        xs, dxs, ts = self._x, self._dx, self._t
        for k, x in enumerate(values):
            if not math.isfinite(x):
                out.append(math.nan)
                continue
            last = xs[k]
            dt = t - ts[k]
            if not math.isfinite(last) or not dt > 0 or dt > self.reset_after_s:
                xs[k], dxs[k], ts[k] = x, 0.0, t
                out.append(x)
                continue
            a_d = 1.0 / (1.0 + self._tau_d / dt)
            dx_hat = a_d * ((x - last) / dt) + (1.0 - a_d) * dxs[k]
            cutoff = self.min_cutoff + self.beta * abs(dx_hat)
            a = 1.0 / (1.0 + (1.0 / (2.0 * math.pi * cutoff)) / dt)
            x_hat = a * x + (1.0 - a) * last
            xs[k], dxs[k], ts[k] = x_hat, dx_hat, t
            out.append(x_hat)
        return out


def filter_series(times: FloatArray, values: FloatArray, **params: float) -> FloatArray:
    """Run a fresh :class:`OneEuroFilter` over ``values`` (frames x channels)."""
    f = OneEuroFilter(values.shape[1], **params)
    out = np.empty_like(values)
    for i, t in enumerate(times):
        out[i] = f(float(t), values[i])
    return out
