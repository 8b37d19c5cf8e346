"""The single-joint repetition counter: calibration on the person's own range,
hysteresis, minimum duration, completeness."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from nerveglide.motion.reps import MIN_RANGE_DEG, Calibration, RepCounter, calibrate, count_reps

FA = npt.NDArray[np.float64]


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


def path(*legs: tuple[float, float], start: float, fps: float = 30.0) -> tuple[FA, FA]:
    """A joint moving smoothly (half a cosine) from level to level: each leg is
    ``(to, seconds)``; a leg to the same level is a still stretch."""
    t0, values = 0.0, [np.array([start])]
    times = [np.array([0.0])]
    level = start
    for to, seconds in legs:
        t = np.arange(1, round(seconds * fps) + 1) / fps
        values.append(level + (to - level) * (1 - np.cos(np.pi * t / seconds)) / 2)
        times.append(t0 + t)
        t0, level = t0 + seconds, to
    return np.concatenate(times), np.concatenate(values)


def test_a_live_stream_that_starts_at_a_hold_takes_rest_from_the_still_level_after_it():
    # Knee angle lowering towards the far end (20); the camera comes on at the hold.
    hold, back, rest_ = (20.0, 1.5), (90.0, 1.5), (90.0, 1.5)
    t, x = path(hold, back, start=20.0)
    on_the_way = t <= 2.5  # on the way back, not there yet: no rest seen
    assert calibrate(t[on_the_way], x[on_the_way], direction=-1, rest_from_start=True) is None
    t, x = path(hold, back, rest_, (20.0, 1.5), hold, back, rest_, start=20.0)
    cal = calibrate(t, x, direction=-1, rest_from_start=True)
    assert cal is not None
    assert cal.rest == pytest.approx(90, abs=1)
    assert cal.far == pytest.approx(20, abs=2)


def test_a_swing_back_before_the_movement_is_not_taken_for_rest():
    # A kick: from rest (90) the knee swings back to 140 first, then out; early in the
    # first repetition the swing is wider than the kick so far (to 60).
    t, x = path((90.0, 1.5), (140.0, 0.8), (60.0, 1.2), (60.0, 0.1), start=90.0)
    cal = calibrate(t, x, direction=-1, rest_from_start=True, swings_back=True)
    assert cal is not None
    assert cal.rest == pytest.approx(90, abs=1)
    assert cal.far == pytest.approx(60, abs=2)
    # Without the flag the swing's turning point would pass for rest.
    wrong = calibrate(t, x, direction=-1, rest_from_start=True)
    assert wrong is None or wrong.rest == pytest.approx(140, abs=3)
