"""Repetitions of one joint: a hysteresis state machine on the person's own range.

A repetition leaves the start position, reaches towards the far end of the range, and
comes back (a repetition counts when the joint returns to where it started). The
thresholds are fractions of the person's own range in the clip, between the level they
rest at (``rest``) and the end of range they reach (``far``), both calibrated from the
clip (:func:`calibrate`), never absolute angles:

* a repetition starts when the joint has gone :data:`ENTER` of the way to ``far``,
* it is counted when the joint is back within :data:`LEAVE` of ``rest``
  (hysteresis: noise near one threshold can't count twice),
* and only if it lasted at least :data:`MIN_DURATION_S`.

``RepCounter.feed`` is causal: it sees one sample at a time and reports a repetition at
the sample that completes it, so the same code serves a live camera.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Fraction of the way from rest to the far end that starts a repetition. Below a third,
#: so that a repetition stopped "about halfway" (an incomplete one) is still seen.
ENTER = 0.3
#: Back within this fraction of rest: the repetition is over.
LEAVE = 0.15
#: A rep reaching at least this fraction of the person's end of range is complete; one
#: that stops more than a quarter short of it is not.
COMPLETE = 0.75
#: Shorter than any deliberate out-and-back movement; a mis-tracked frame or two is.
MIN_DURATION_S = 0.5

#: Single side-on camera angles: mean absolute error against 3D motion capture of 4.0 deg
#: (hip), 5.6 deg (knee) and 7.4 deg (ankle) in the sagittal plane. Stenum J, Rossi C,
#: Roemmich RT. "Two-dimensional video-based analysis of human gait using pose
#: estimation." PLoS Comput Biol 2021;17(4):e1008935. doi:10.1371/journal.pcbi.1008935
UNCERTAINTY_DEG: dict[str, float] = {
    "knee_flexion": 5.6,
    "hip_flexion": 4.0,
    "ankle_dorsiflexion": 7.4,
    # Not measured in that study: the largest of its figures.
    "trunk_lean": 7.4,
    "neck_flexion": 7.4,
}
#: A joint must move through at least three times the largest measurement uncertainty
#: for its movement to be told from measurement noise.
MIN_RANGE_DEG = 3 * max(UNCERTAINTY_DEG.values())


@dataclass(frozen=True, slots=True)
class Calibration:
    """The person's own range for one joint: ``rest`` (where repetitions start and end)
    and ``far`` (their end of range). ``far`` may be above or below ``rest``."""

    rest: float
    far: float

    @property
    def span(self) -> float:
        return self.far - self.rest

    def progress(self, value: float | FloatArray) -> FloatArray:
        """0 at rest, 1 at the far end, negative beyond rest the other way."""
        out: FloatArray = (np.asarray(value, dtype=np.float64) - self.rest) / self.span
        return out

    def progress_of(self, value: float) -> float:
        """:meth:`progress` of one value, as a plain float (the same arithmetic)."""
        span = self.span
        if span == 0.0:
            return float(self.progress(value))  # numpy's inf or NaN
        return (value - self.rest) / span


def _still_levels(times: FloatArray, values: FloatArray) -> Iterator[float]:
    """The level of each still stretch of a series, in order: the median of its first
    second (a long hold is one level, not many)."""
    still = _still(times, values)
    i, n = 0, len(values)
    while i < n:
        if not still[i]:
            i += 1
            continue
        stop = i
        while stop + 1 < n and still[stop + 1] and times[stop + 1] - times[i] < 1.0:
            stop += 1
        yield float(np.median(values[i : stop + 1]))
        i = stop + 1
        while i < n and still[i]:  # the rest of that stretch
            i += 1


def _still(times: FloatArray, values: FloatArray) -> npt.NDArray[np.bool_]:
    """Samples where the joint is not moving: speed under a tenth of its typical fast
    movement in the clip (the 95th percentile of speed)."""
    speed = np.abs(np.gradient(values, times)) if len(values) > 2 else np.zeros_like(values)
    fast = float(np.nanpercentile(speed, 95)) if np.isfinite(speed).any() else 0.0
    out: npt.NDArray[np.bool_] = speed <= 0.1 * fast
    return out


def calibrate(
    times: FloatArray,
    values: FloatArray,
    *,
    direction: int = 0,
    rest_from_start: bool = False,
    swings_back: bool = False,
) -> Calibration | None:
    """The rest level and end of range of a joint in a clip, or ``None`` when it moves
    through less than :data:`MIN_RANGE_DEG`.

    ``direction`` is +1 when the glide's movement raises the angle, -1 when it lowers it
    (from the reference motion), 0 when unknown (any exercise): then the far end is
    whichever extreme lies farther from rest.

    ``rest`` is the level of the first still stretch of the clip (people start from the
    start position), unless that lies nearer the far end than the other extreme, when it
    is the extreme opposite the far end (a clip that starts mid-movement). With
    ``rest_from_start`` (a live stream, which sees its start) the far end must lie in
    ``direction`` from rest, and a first still level nearer the far end is taken for a
    stream that began mid-repetition (at a hold): rest is then the first later still
    level nearer the other extreme, and there is no calibration until one shows. Not so
    when the movement ``swings_back`` beyond rest first (a kick's counter-swing: early in
    the first repetition the swing can be wider than the kick so far, and its turning
    point is not rest); then the first still level is rest.
    """
    ok = np.isfinite(values)
    if ok.sum() < 3:
        return None
    t, v = times[ok], values[ok]
    low, high = float(np.percentile(v, 3)), float(np.percentile(v, 97))
    if high - low < MIN_RANGE_DEG:
        return None
    levels = _still_levels(t, v)
    rest = next(levels, float(v[0]))
    if direction != 0:
        far = high if direction > 0 else low
        other = low if direction > 0 else high

        def far_side(level: float) -> bool:
            return abs(far - level) < abs(level - other)

        if far_side(rest):
            if not rest_from_start:
                rest = other
            elif not swings_back:
                # A stream that began mid-repetition (at a hold, say): its first still
                # level is not rest. Rest is the first still level on the near side.
                rest = next((x for x in levels if not far_side(x)), math.nan)
                if math.isnan(rest):
                    return None
    else:
        far = high if high - rest >= rest - low else low
    if abs(far - rest) < MIN_RANGE_DEG or (rest_from_start and (far - rest) * direction < 0):
        return None
    return Calibration(rest=rest, far=far)


@dataclass(frozen=True, slots=True)
class RepSegment:
    """One repetition found by :class:`RepCounter`: when it left rest, crossed
    :data:`ENTER`, reached its extreme, and came back; ``counted_t`` is the time of the
    sample at which it was counted."""

    start_t: float
    enter_t: float
    peak_t: float
    peak_value: float
    peak_progress: float
    end_t: float
    counted_t: float

    @property
    def complete(self) -> bool:
        return self.peak_progress >= COMPLETE


class RepCounter:
    """Counts repetitions of one joint, one sample at a time (see the module docstring)."""

    def __init__(
        self,
        calibration: Calibration,
        *,
        enter: float = ENTER,
        leave: float = LEAVE,
        min_duration_s: float = MIN_DURATION_S,
        gap_deg: float | None = None,
    ) -> None:
        if not 0 < leave < enter < 1:
            raise ValueError("need 0 < leave < enter < 1")
        self.calibration = calibration
        self.enter = enter
        self.leave = leave
        self.gap_deg = gap_deg
        self.min_duration_s = min_duration_s
        self.count = 0
        self._out = False
        self._last_rest_t = math.nan
        self._enter_t = math.nan
        self._peak_t = math.nan
        self._peak_p = -math.inf
        self._peak_v = math.nan

    @property
    def enter_now(self) -> float:
        """The fraction that starts a repetition: :data:`ENTER`, or less when the
        person's range is wide enough that a band of ``gap_deg`` (the joint's measurement
        uncertainty) above the ``leave`` line already tells a movement from noise. A
        range squeezed by an oblique view then still shows a rep stopped short."""
        if self.gap_deg is None:
            return self.enter
        return min(self.enter, self.leave + self.gap_deg / abs(self.calibration.span))

    @property
    def moving(self) -> bool:
        """Whether a repetition is under way."""
        return self._out

    def feed(self, t: float, value: float) -> RepSegment | None:
        if not math.isfinite(value):
            return None
        p = self.calibration.progress_of(value)
        if not self._out:
            if (p <= self.leave or math.isnan(self._last_rest_t)) and p <= self.leave:
                self._last_rest_t = t
            if p >= self.enter_now and not math.isnan(self._last_rest_t):
                self._out = True
                self._enter_t = t
                self._peak_t, self._peak_p, self._peak_v = t, p, value
            return None
        if p > self._peak_p:
            self._peak_t, self._peak_p, self._peak_v = t, p, value
        if p > self.leave:
            return None
        self._out = False
        start = self._last_rest_t
        self._last_rest_t = t
        if t - start < self.min_duration_s:
            return None
        self.count += 1
        return RepSegment(
            start_t=start,
            enter_t=self._enter_t,
            peak_t=self._peak_t,
            peak_value=self._peak_v,
            peak_progress=self._peak_p,
            end_t=t,
            counted_t=t,
        )


def count_reps(
    times: FloatArray, values: FloatArray, calibration: Calibration, **params: float
) -> list[RepSegment]:
    """Run a :class:`RepCounter` over a whole series."""
    counter = RepCounter(calibration, **params)
    found = []
    for t, v in zip(times, values, strict=True):
        rep = counter.feed(float(t), float(v))
        if rep is not None:
            found.append(rep)
    return found
