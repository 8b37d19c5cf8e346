"""The One Euro filter: smooth at rest, quick in motion, any frame rate, gaps."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from nerveglide.motion.filters import OneEuroFilter, filter_series


def test_jitter_at_rest_is_reduced():
    rng = np.random.default_rng(1)
    t = np.arange(0, 5, 1 / 30)
    noisy = 40 + rng.normal(0, 2.0, len(t))
    out = filter_series(t, noisy[:, None])[:, 0]
    assert np.std(out[30:]) < 0.5 * np.std(noisy[30:])
    assert np.mean(out[30:]) == pytest.approx(40, abs=0.5)


@pytest.mark.parametrize("fps", [5.0, 30.0, 60.0])
def test_a_movement_is_followed_with_little_lag_at_any_frame_rate(fps):
    t = np.arange(0, 6, 1 / fps)
    x = 90 - 70 * (1 - np.cos(np.pi * np.clip(t - 1, 0, 3) / 3)) / 2
    out = filter_series(t, x[:, None])[:, 0]
    assert np.max(np.abs(out - x)) < 6.0
    assert out[-1] == pytest.approx(20, abs=0.5)


def test_unknown_samples_stay_unknown_and_a_long_gap_restarts():
    f = OneEuroFilter(2, reset_after_s=0.5)
    assert f(0.0, np.array([10.0, 5.0])).tolist() == [10.0, 5.0]
    out = f(0.1, np.array([np.nan, 5.0]))
    assert np.isnan(out[0])
    assert out[1] == pytest.approx(5.0)
    # after 2 s without a value, the channel takes the new value as it is
    assert f(2.1, np.array([80.0, 5.0]))[0] == pytest.approx(80.0)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="at least one channel"):
        OneEuroFilter(0)
    with pytest.raises(ValueError, match="cut-offs"):
        OneEuroFilter(1, min_cutoff=0)


FloatArray = npt.NDArray[np.float64]


class ArrayFilter:
    """The One Euro filter written over arrays of channels (as it was before the
    per-frame path in plain floats): the reference the filter must equal."""

    def __init__(self, channels: int, **params: float) -> None:
        self.p = {"min_cutoff": 1.0, "beta": 0.02, "d_cutoff": 1.0, "reset_after_s": 0.5}
        self.p.update(params)
        self.x = np.full(channels, np.nan)
        self.dx = np.zeros(channels)
        self.t = np.full(channels, np.nan)

    @staticmethod
    def alpha(cutoff: FloatArray | float, dt: FloatArray) -> FloatArray:
        tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
        out: FloatArray = 1.0 / (1.0 + tau / dt)
        return out

    def __call__(self, t: float, x: FloatArray) -> FloatArray:
        out = np.full_like(x, np.nan)
        known = np.isfinite(x)
        dt = t - self.t
        fresh = known & (~np.isfinite(self.x) | ~(dt > 0) | (dt > self.p["reset_after_s"]))
        go = known & ~fresh
        if go.any():
            step = dt[go]
            a_d = self.alpha(self.p["d_cutoff"], step)
            dx_hat = a_d * ((x[go] - self.x[go]) / step) + (1.0 - a_d) * self.dx[go]
            a = self.alpha(self.p["min_cutoff"] + self.p["beta"] * np.abs(dx_hat), step)
            x_hat = a * x[go] + (1.0 - a) * self.x[go]
            self.x[go], self.dx[go], self.t[go], out[go] = x_hat, dx_hat, t, x_hat
        self.x[fresh], self.dx[fresh], self.t[fresh], out[fresh] = x[fresh], 0.0, t, x[fresh]
        return out


@pytest.mark.parametrize(
    "params", [{}, {"min_cutoff": 0.3, "beta": 0.5, "d_cutoff": 2.0, "reset_after_s": 0.2}]
)
def test_the_per_frame_filter_equals_the_array_filter_to_the_bit(params):
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.uniform(0.005, 0.7, 3000))
    values = np.cumsum(rng.normal(0, 3, (3000, 8)), axis=0)
    values[rng.uniform(size=values.shape) < 0.1] = np.nan
    fast = OneEuroFilter(8, **params)
    reference = ArrayFilter(8, **params)
    for t, row in zip(times, values, strict=True):
        expected = reference(float(t), row)
        assert np.array_equal(np.array(fast.step(float(t), row.tolist())), expected, equal_nan=True)
    again = ArrayFilter(8, **params)
    series = np.array([again(float(t), row) for t, row in zip(times, values, strict=True)])
    assert np.array_equal(filter_series(times, values, **params), series, equal_nan=True)
    assert np.isfinite(series).mean() > 0.8
