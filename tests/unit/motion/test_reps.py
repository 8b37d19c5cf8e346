"""The single-joint repetition counter: calibration on the person's own range,
hysteresis, minimum duration, completeness."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from nerveglide.motion.reps import MIN_RANGE_DEG, Calibration, RepCounter, calibrate, count_reps


def series(
    peaks: list[float],
    *,
    rest: float = 90.0,
    fps: float = 30.0,
    noise: float = 0.0,
    period: float = 4.0,
    seed: int = 3,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    t = np.arange(0, 1.5 + period * len(peaks) + 1.5, 1 / fps)
    x = np.full_like(t, rest)
    for k, peak in enumerate(peaks):
        start = 1.5 + k * period
        m = (t >= start) & (t < start + period * 0.8)
        phase = (t[m] - start) / (period * 0.8)
        x[m] = rest + (peak - rest) * (1 - np.cos(2 * np.pi * phase)) / 2
    x += np.random.default_rng(seed).normal(0, noise, len(t)) if noise else 0
    return t, x


def test_calibration_finds_rest_and_end_of_range():
    t, x = series([20, 22, 18])
    cal = calibrate(t, x, direction=-1)
    assert cal is not None
    assert cal.rest == pytest.approx(90, abs=1)
    assert cal.far == pytest.approx(19, abs=2)


def test_no_calibration_without_real_movement():
    t, x = series([90 - MIN_RANGE_DEG / 2], noise=1.0)
    assert calibrate(t, x, direction=-1) is None


@pytest.mark.parametrize("noise", [0.0, 2.0, 4.0])
def test_counts_are_exact_with_noise(noise):
    t, x = series([20, 25, 18, 22, 20], noise=noise)
    cal = calibrate(t, x, direction=-1)
    assert cal is not None
    reps = count_reps(t, x, cal)
    assert len(reps) == 5
    assert all(r.complete for r in reps)


def test_a_halfway_rep_is_counted_and_marked_incomplete():
    t, x = series([20, 55, 20])
    cal = calibrate(t, x, direction=-1)
    assert cal is not None
    reps = count_reps(t, x, cal)
    assert [r.complete for r in reps] == [True, False, True]


def test_a_blip_shorter_than_the_minimum_duration_is_not_a_rep():
    counter = RepCounter(Calibration(rest=90, far=20))
    events = [counter.feed(t, v) for t, v in [(0.0, 90), (0.1, 30), (0.2, 90), (0.3, 90)]]
    assert events == [None, None, None, None]
    assert counter.count == 0


def test_the_rep_is_reported_at_the_sample_that_completes_it():
    counter = RepCounter(Calibration(rest=90, far=20))
    samples = [(0.0, 90), (0.5, 60), (1.0, 25), (2.0, 30), (2.5, 70), (3.0, 85), (3.5, 90)]
    events = [counter.feed(t, v) for t, v in samples]
    assert [e is not None for e in events] == [False] * 5 + [True, False]
    rep = events[5]
    assert rep is not None
    assert rep.counted_t == 3.0
    assert rep.peak_t == 1.0


def test_unknown_samples_are_skipped():
    counter = RepCounter(Calibration(rest=0, far=60))
    for t, v in [(0.0, 0.0), (0.5, 50.0), (1.0, float("nan")), (1.5, 0.0)]:
        counter.feed(t, v)
    assert counter.count == 1


def test_hysteresis_bounds_are_checked():
    with pytest.raises(ValueError, match="leave < enter"):
        RepCounter(Calibration(rest=0, far=1), enter=0.1, leave=0.2)
