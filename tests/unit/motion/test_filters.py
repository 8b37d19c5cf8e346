"""The One Euro filter: smooth at rest, quick in motion, any frame rate, gaps."""

from __future__ import annotations

import numpy as np
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
