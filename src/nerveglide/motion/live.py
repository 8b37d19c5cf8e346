"""The live coach: one pose at a time in, coaching events out, with the offline rules.

:class:`LiveCoach` is what the live camera (issue 6) feeds: the browser finds the
landmarks, the server turns each frame into a vendor-neutral
:class:`~nerveglide.motion.pose.Pose` and calls :meth:`LiveCoach.feed`, which returns the
events that frame caused. It is the offline pipeline run causally, not a second
implementation: the same angles (:func:`~nerveglide.motion.angles.measure`), the same One
Euro filter, the same calibration on the person's own range
(:func:`~nerveglide.motion.reps.calibrate`), the same hysteresis counter
(:class:`~nerveglide.motion.reps.RepCounter`) and the same per-repetition measures and
cues (``analysis._one_rep``, which the offline analysis calls for each repetition).

What live can't know that offline can, and what it does instead:

* The person's end of range is learnt as they go: the first repetitions set it, and each
  counted repetition refines it (``far`` moves, ``rest`` stays where the first still
  stretch put it). A repetition's ``complete`` is judged against the range known when it
  is counted; so an early repetition can count as complete where the whole clip would
  later show it short.
* "Usual" speed and end of range (for "don't force it") are the medians of the
  repetitions counted so far (from the third on), not of the whole set.
* A repetition ends when the joint is back within the counter's ``LEAVE`` band of rest;
  offline, its end is moved on to where the joint comes to a stop. Live reports the
  counted moment (the offline end can be a fraction of a second later).

Per frame it does a bounded amount of work, whatever the session's length (see
``bench/live_feed.py``): the frame's angles, filter step and view votes in plain floats,
each landmark array turned into floats once
(:func:`~nerveglide.motion.angles.measure_points`,
:meth:`~nerveglide.motion.filters.OneEuroFilter.step`,
:func:`~nerveglide.motion.view.frame_view_of`: the same arithmetic as the vectorised code,
equal to the bit); the view is judged every :data:`VIEW_EVERY_S` from what each frame of
the last second left; the kept minute of frames is also held in arrays filled in place,
so measuring a counted repetition or trying the calibration slices them; and before the
range is known, the calibration is tried only when the kept values (held in order) span
enough for it to find one.

Time (``Pose.t``) is in seconds and must increase from frame to frame; frames may come at
any rate (a browser gives 5 to 30 a second) and may be dropped. A frame where the model
found nobody is fed as ``None`` (with its time).

Events
------
:meth:`LiveCoach.feed` returns a list of events, each a frozen dataclass whose
:meth:`~Event.to_dict` is JSON-serialisable and carries ``type`` and ``t`` (the time of the
frame that caused it, seconds, the stream's own clock). The types:

``calibration``
    ``leg``, ``joint``, ``state`` (``waiting``: hold still in the start position;
    ``calibrated``: the range is known and repetitions are counted from now; ``updated``:
    the end of range moved by more than the joint's measurement uncertainty),
    ``rest_deg``, ``far_deg`` (``null`` while waiting), ``message``.
``phase``
    ``leg``, ``phase``: ``rest``, ``swing`` (the kick's swing back under the chair,
    before the leg goes forward), ``out`` (towards the stretch), ``hold`` (still at the
    stretch side), ``return`` (back towards rest). Sent when it changes (once it has
    lasted 0.2 s; ``rest`` at once when a repetition is counted).
``rep``
    A counted repetition, final (never retracted): ``leg`` (``left``, ``right``,
    ``both`` for a two-legged movement, ``none`` for a trunk or neck movement), ``rep``
    (its number for that leg, from 1, continuing any count given at construction),
    ``complete``, ``start_s``, ``end_s``, ``counted_s``, ``peak_s``, ``hold_s``,
    ``rom_deg`` (range of motion of the counted joint), ``peak_deg``, ``progress``
    (share of the person's range reached), ``knee_extension_peak_deg``,
    ``hip_flexion_peak_deg``, ``peak_speed_deg_s``, ``joint`` (the counted column) and
    ``cues``: the cues it earned, each as in a ``cue`` event without ``type``.
``cue``
    A cue the repetition just counted earned (sent right after its ``rep``): ``leg``,
    ``rep``, ``code`` (``toes_pointed``, ``other_leg_bent``, ``no_trunk_lean``,
    ``head_static``, ``forced``, ``position``, ``too_fast``, ``short_hold``), ``kind``
    (``form`` or ``program``), ``text`` (the sentence to show or say), ``source`` (the
    content item id of that sentence), ``sources`` (all backing item ids), ``detail``
    (what was measured), ``at_s`` (when in the repetition it applies).
``visibility``
    ``ok`` (false: a problem started; true: it is over), ``what`` (``person``, or the
    joint column that can't be seen, e.g. ``knee_flexion_left``), ``message``. A problem
    is reported after :data:`GRACE_S` of not seeing.
``view``
    ``ok``, ``problem`` (``oblique``: not side-on enough for a glide; ``out_of_frame``: the
    body is cut off by the picture's edge), ``oblique_deg``, ``message``.

Resuming after a reconnect: construct with ``counted={"left": n, ...}`` (the repetitions
already saved per leg) so numbering continues, and optionally ``calibration=`` from
:meth:`LiveCoach.snapshot` of the previous coach (so counting resumes without waiting
for a still start) and ``resume_after_s`` (repetitions ending at or before that time on
the stream's clock are not reported again). A repetition already under way when the
stream resumes is not counted (the counter must see the person at rest first), so a
reconnect can miss one repetition but never counts one twice.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from nerveglide.motion.analysis import (
    HOLD_FRACTION,
    SPEED_WINDOW_S,
    Landmarks,
    LegChoice,
    LegCount,
    Rep,
    Series,
    angle_column,
    in_place,
    measure_rep,
    movement_span,
    overlap,
    smooth_speed,
    uncertainty_of,
)
from nerveglide.motion.angles import (
    ANGLE_COLUMNS,
    COLUMN,
    DEFAULT_SOURCE,
    IMAGE_ONLY,
    frame_points,
    measure_points,
)
from nerveglide.motion.errors import FILM_HINT
from nerveglide.motion.filters import OneEuroFilter
from nerveglide.motion.pose import N_LANDMARKS, Pose
from nerveglide.motion.reps import (
    LEAVE,
    MIN_RANGE_DEG,
    UNCERTAINTY_DEG,
    Calibration,
    RepCounter,
    RepSegment,
    calibrate,
)
from nerveglide.motion.spec import LEG_JOINTS, MOVEMENT_JOINT, GlideSpec, Movement
from nerveglide.motion.view import MAX_OBLIQUE_DEG, FrameView, frame_view_of, judge_frames

FloatArray = npt.NDArray[np.float64]
RepLeg = Literal["left", "right", "both", "none"]
Phase = Literal["rest", "swing", "out", "hold", "return"]

#: How long something must stay unseen (or the view wrong) before it is reported: a
#: second rides over a frame or two the model misses, yet is quick enough to act on.
GRACE_S = 1.0
#: The view (side-on, in frame) is judged over the last :data:`GRACE_S` this often.
VIEW_EVERY_S = 0.25
#: Every frame votes on the model's mirroring and the side facing the camera until the
#: votes lead by this many frames; then the view check adds its second of frames.
SETTLED_VOTES = 10.0
#: Before the range is known, the calibration is tried again after this much time.
CALIBRATE_EVERY_S = 0.5
#: The landmarks kept for measuring repetitions: longer than any repetition (the
#: offline analysis looks back at most 30 s before one).
KEEP_S = 60.0
#: Counting any exercise by its joint, when one leg's repetition is counted while the
#: other leg is still moving, the two may be one two-legged movement (a squat): wait at
#: most this long for the other leg to be counted too. Well inside the 0.5 s within
#: which a repetition must be reported.
PAIR_WAIT_S = 0.3

_JOINT_WORD = {
    "knee_flexion": "knee",
    "hip_flexion": "hip",
    "ankle_dorsiflexion": "ankle",
    "trunk_lean": "shoulders and hips",
    "neck_flexion": "head",
}


@dataclass(frozen=True)
class Event:
    """One coaching event (see the module docstring for the types)."""

    t: float

    @property
    def type(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        out.update(asdict(self))
        return out


@dataclass(frozen=True)
class CalibrationEvent(Event):
    leg: RepLeg
    joint: str
    state: Literal["waiting", "calibrated", "updated"]
    rest_deg: float | None
    far_deg: float | None
    message: str

    @property
    def type(self) -> str:
        return "calibration"


@dataclass(frozen=True)
class PhaseEvent(Event):
    leg: RepLeg
    phase: Phase

    @property
    def type(self) -> str:
        return "phase"


@dataclass(frozen=True)
class CueEvent(Event):
    leg: RepLeg
    rep: int
    code: str
    kind: str
    text: str
    source: str
    sources: tuple[str, ...]
    detail: str
    at_s: float

    @property
    def type(self) -> str:
        return "cue"


@dataclass(frozen=True)
class RepEvent(Event):
    leg: RepLeg
    rep: int
    joint: str
    complete: bool
    start_s: float
    end_s: float
    counted_s: float
    peak_s: float
    hold_s: float
    rom_deg: float
    peak_deg: float
    progress: float
    knee_extension_peak_deg: float | None
    hip_flexion_peak_deg: float | None
    peak_speed_deg_s: float
    cues: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def type(self) -> str:
        return "rep"


@dataclass(frozen=True)
class VisibilityEvent(Event):
    ok: bool
    what: str
    message: str

    @property
    def type(self) -> str:
        return "visibility"


@dataclass(frozen=True)
class ViewEvent(Event):
    ok: bool
    problem: Literal["oblique", "out_of_frame"]
    oblique_deg: float | None
    message: str

    @property
    def type(self) -> str:
        return "view"


@dataclass
class _Track:
    """One counted joint (one leg's, or the trunk's or neck's)."""

    leg: Literal["left", "right"] | None
    column: str
    calibration: Calibration | None = None
    counter: RepCounter | None = None
    next_try_t: float = -math.inf
    phase: str = "rest"
    candidate: str = "rest"
    candidate_t: float = -math.inf
    peak_speeds: list[float] = field(default_factory=list)
    usual_speed: float | None = None
    """The median of ``peak_speeds`` (kept as they come, not recomputed each frame)."""
    ends: list[float] = field(default_factory=list)
    last_end_s: float = -math.inf
    pending: tuple[RepSegment, float] | None = None
    """A counted segment waiting for the other leg (with its deadline)."""
    ordered: list[float] | None = None
    """While the range is unknown, the kept frames' known values in order: the
    calibration is tried (every :data:`CALIBRATE_EVERY_S`) only when they span enough
    for it to find a range."""
    done: list[RepSegment] = field(default_factory=list)
    """Recently reported segments (or merged into the other leg's), so the other leg's
    count of the same movement is not reported again."""


@dataclass
class _Frames:
    """The recent frames' times and angles, for the per-frame steps (the rest of each
    frame is kept in :class:`_Columns`)."""

    t: deque[float] = field(default_factory=deque)
    raw: deque[list[float]] = field(default_factory=deque)
    angles: deque[list[float]] = field(default_factory=deque)

    def trim(self, before: float) -> None:
        while self.t and self.t[0] < before:
            for column in (
                self.t,
                self.raw,
                self.angles,
            ):
                column.popleft()


_KEPT: dict[str, tuple[tuple[int, ...], type]] = {
    "t": ((), np.float64),
    "xy": ((N_LANDMARKS, 2), np.float64),
    "world": ((N_LANDMARKS, 3), np.float64),
    "vis": ((N_LANDMARKS,), np.float64),
    "found": ((), np.bool_),
    "raw": ((len(ANGLE_COLUMNS),), np.float64),
    "angles": ((len(ANGLE_COLUMNS),), np.float64),
    "image": ((len(ANGLE_COLUMNS),), np.float64),
    "clear": ((len(ANGLE_COLUMNS),), np.bool_),
}


class _Columns:
    """The kept frames also as arrays, filled in place (a row a frame): the kept rows
    are a slice, so measuring a repetition or trying the calibration (run often before
    the range is known) takes its series without rebuilding arrays from the history."""

    def __init__(self) -> None:
        self.a: dict[str, Any] = {
            k: np.empty((512, *shape), dtype=dtype) for k, (shape, dtype) in _KEPT.items()
        }
        self._start = 0
        self._end = 0

    def append(self, row: dict[str, Any]) -> None:
        if self._end == len(self.a["t"]):
            kept = self._end - self._start
            for k, array in self.a.items():
                if kept * 2 > len(array):  # grow (amortised: at most doubling)
                    array = self.a[k] = np.concatenate([array, np.empty_like(array)])
                array[:kept] = array[self._start : self._end]
            self._start, self._end = 0, kept
        for k, value in row.items():
            self.a[k][self._end] = value
        self._end += 1

    def trim(self, before: float) -> FloatArray:
        """Drop the rows before ``before``; the dropped rows' angles (a view, valid
        until the next :meth:`append`)."""
        first = self._start
        t = self.a["t"]
        while self._start < self._end and t[self._start] < before:
            self._start += 1
        out: FloatArray = self.a["angles"][first : self._start]
        return out

    def since(self, k: str, first: int = 0) -> Any:
        """The kept rows of column ``k`` from the ``first``-th kept one (a view)."""
        return self.a[k][self._start + first : self._end]

    def column(self, i: int) -> tuple[FloatArray, FloatArray]:
        """Copies of the kept times and of angle ``i``."""
        return self.since("t").copy(), self.since("angles")[:, i].copy()


_NO_XY = np.full((N_LANDMARKS, 2), np.nan)
_NO_WORLD = np.full((N_LANDMARKS, 3), np.nan)
_NO_VIS = np.zeros(N_LANDMARKS)
_NO_ANGLES = [math.nan] * len(ANGLE_COLUMNS)
_NONE_CLEAR = [False] * len(ANGLE_COLUMNS)


class LiveCoach:
    """Counts and coaches from one pose at a time (see the module docstring).

    Give either ``spec`` (a glide, from :meth:`GlideSpec.of` with the person's pace and
    hold) or ``movement`` (any exercise, by the joint that moves). ``leg`` is the
    exercising leg, or ``auto`` to count each leg on its own and tell which moved.
    """

    def __init__(
        self,
        *,
        spec: GlideSpec | None = None,
        movement: Movement | None = None,
        leg: LegChoice = "auto",
        counted: dict[str, int] | None = None,
        calibration: dict[str, dict[str, float]] | None = None,
        resume_after_s: float | None = None,
    ) -> None:
        if (spec is None) == (movement is None):
            raise ValueError("give either a glide spec or a movement")
        self.spec = spec
        self.movement = movement
        self.joint: str = spec.primary if spec is not None else MOVEMENT_JOINT[movement or "knee"]
        self.direction = spec.direction if spec is not None else 0
        if self.joint in LEG_JOINTS:
            legs: list[Literal["left", "right"]] = ["left", "right"] if leg == "auto" else [leg]
            self._tracks = [_Track(side, angle_column(self.joint, side)) for side in legs]
        else:
            self._tracks = [_Track(None, self.joint)]
        self.counts: dict[str, int] = {k: int(v) for k, v in (counted or {}).items()}
        for track in self._tracks:
            saved = (calibration or {}).get(track.column)
            if saved is not None:
                track.calibration = Calibration(rest=saved["rest"], far=saved["far"])
                track.counter = RepCounter(track.calibration, gap_deg=uncertainty_of(track.column))
            if resume_after_s is not None:
                track.last_end_s = resume_after_s
        self._frames = _Frames()
        self._columns = _Columns()
        for track in self._tracks:
            if track.calibration is None:
                track.ordered = []
        self._filter = OneEuroFilter(len(ANGLE_COLUMNS))
        self._facing = 0.0
        self._side = 0.0
        self._last_t = -math.inf
        self._started = False
        self._unseen_since: dict[str, float] = {}
        self._problems: set[str] = set()
        self._view: deque[tuple[float, FrameView]] = deque()
        self._frame_view: FrameView | None = None
        self._rep_legs: set[str] = set()
        self._oblique: float | None = None
        self._next_view_t = -math.inf
        self.reps: list[Rep] = []
        """Every repetition reported, as the offline analysis measures them."""

    # -- the public surface -------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What a new coach needs to carry on after a reconnect (JSON-serialisable):
        the counts per leg, each track's calibration, and the time of the last end."""
        ends = sorted(tr.last_end_s for tr in self._tracks if math.isfinite(tr.last_end_s))
        return {
            "counted": dict(self.counts),
            "calibration": {
                tr.column: {"rest": tr.calibration.rest, "far": tr.calibration.far}
                for tr in self._tracks
                if tr.calibration is not None
            },
            "resume_after_s": ends[-1] if ends else None,
        }

    def feed(self, pose: Pose | None, t: float | None = None) -> list[Event]:
        """Take one frame's pose (``None`` with ``t`` when nobody was found) and return
        the events it caused. Raises ``ValueError`` when time does not increase."""
        now = pose.t if pose is not None else t
        if now is None or not math.isfinite(now):
            raise ValueError("a frame needs a finite time in seconds")
        if now <= self._last_t:
            raise ValueError(
                f"frame times must increase: {now:.3f} s came after {self._last_t:.3f} s"
            )
        self._last_t = now
        events: list[Event] = []
        if not self._started:
            self._started = True
            events.extend(self._waiting(now))
        self._add(now, pose)
        events.extend(self._check_seen(now, pose))
        if pose is not None and self.spec is not None:
            events.extend(self._check_view(now, pose))
        for track in self._tracks:
            events.extend(self._step(track, now))
        events.extend(self._flush_pending(now))
        return events

    # -- frames and angles --------------------------------------------------------------

    def _add(self, now: float, pose: Pose | None) -> None:
        f = self._frames
        if pose is None:
            self._frame_view = None
            xy, world, vis = _NO_XY, _NO_WORLD, _NO_VIS
            raw = image = _NO_ANGLES
            clear = _NONE_CLEAR
        else:
            xy = pose.xy
            world = pose.world if pose.world is not None else _NO_WORLD
            vis = pose.visibility
            points = frame_points(pose.xy, pose.world, vis)
            voting = abs(self._facing) < SETTLED_VOTES or abs(self._side) < SETTLED_VOTES
            # The frame's view is worked out only when used: by a glide's view check, or
            # to vote until the votes settle.
            view = self._frame_view = (
                frame_view_of(points) if self.spec is not None or voting else None
            )
            if view is not None and voting:
                self._vote_frame(view)
            mirror = 1.0 if self._facing >= 0 else -1.0
            sees_left = self._side >= 0
            (raw, image), clear = measure_points(
                points,
                mirror=mirror,
                camera_sees_left=sees_left,
                sources=(DEFAULT_SOURCE, IMAGE_ONLY),
            )
        f.t.append(now)
        f.raw.append(raw)
        angles = self._filter.step(now, raw)
        f.angles.append(angles)
        f.trim(now - KEEP_S)
        self._columns.append(
            {
                "t": now,
                "xy": xy,
                "world": world,
                "vis": vis,
                "found": pose is not None,
                "raw": raw,
                "angles": angles,
                "image": image,
                "clear": clear,
            }
        )
        dropped = self._columns.trim(now - KEEP_S)
        for track in self._tracks:
            ordered = track.ordered
            if ordered is None:
                continue
            i = COLUMN[track.column]
            if math.isfinite(angles[i]):
                insort(ordered, angles[i])
            for value in dropped[:, i].tolist():
                if math.isfinite(value):
                    del ordered[bisect_left(ordered, value)]

    def _window(self, since: float = -math.inf) -> tuple[Landmarks, Series]:
        c = self._columns
        first = int(np.searchsorted(c.since("t"), since, side="left"))

        def rows(k: str) -> Any:
            return c.since(k, first).copy()

        t = rows("t")
        lm = Landmarks(
            t=t,
            xy=rows("xy"),
            world=rows("world"),
            visibility=rows("vis"),
            found=rows("found"),
            width=1,
            height=1,
        )
        series = Series(
            t=t, raw=rows("raw"), angles=rows("angles"), image=rows("image"), clear=rows("clear")
        )
        return lm, series

    def _values(self, column: str) -> tuple[FloatArray, FloatArray]:
        return self._columns.column(COLUMN[column])

    # -- calibration and counting -------------------------------------------------------

    def _waiting(self, now: float) -> list[Event]:
        return [
            CalibrationEvent(
                t=now,
                leg=self._label(tr),
                joint=tr.column,
                state="waiting",
                rest_deg=None,
                far_deg=None,
                message=(
                    "hold still in the start position for a moment, then begin: the coach "
                    "learns your range from your first repetitions"
                ),
            )
            for tr in self._tracks
            if tr.calibration is None
        ]

    def _calibrate(self, track: _Track, now: float) -> list[Event]:
        t, v = self._values(track.column)
        found = calibrate(
            t,
            v,
            direction=self.direction,
            rest_from_start=True,
            swings_back=self.spec is not None and self.spec.counter_swing,
        )
        if track.calibration is None:
            if found is None:
                return []
            track.calibration = found
            track.ordered = None
            track.counter = RepCounter(found, gap_deg=uncertainty_of(track.column))
            # Catch up on the frames seen while the range was unknown (a repetition is
            # usually under way: the range shows only once the person moves).
            events: list[Event] = [self._calibration_event(track, now, "calibrated")]
            for ti, vi in zip(t[:-1], v[:-1], strict=True):
                seg = track.counter.feed(float(ti), float(vi))
                if seg is not None:
                    track.pending = (seg, now)
                    events.extend(self._pair(track, now))
            return events
        if found is None:
            return []
        old = track.calibration
        # The rest level stays (the first still stretch may have left the kept frames);
        # the far end follows the range the person now shows, on the same side of rest.
        far = found.far if (found.far - old.rest) * old.span > 0 else old.far
        new = Calibration(rest=old.rest, far=far)
        if abs(new.span) < abs(found.span) / 4:
            return []
        track.calibration = new
        assert track.counter is not None
        track.counter.calibration = new
        if abs(new.far - old.far) > UNCERTAINTY_DEG.get(self.joint, 5.6):
            return [self._calibration_event(track, now, "updated")]
        return []

    @staticmethod
    def _may_calibrate(track: _Track) -> bool:
        """Whether :func:`calibrate` could find a range in the kept frames: its 3rd and
        97th percentiles lie between the neighbouring order statistics, so when those
        span less than :data:`MIN_RANGE_DEG` it would find none (a cheap test on values
        kept in order, instead of running it on a minute of frames twice a second)."""
        ordered = track.ordered
        if ordered is None:
            return True
        n = len(ordered)
        if n < 3:
            return False
        # One more order statistic each way: safe whatever the rounding of the index.
        low = ordered[max(0, math.floor(0.03 * (n - 1)) - 1)]
        high = ordered[min(n - 1, math.ceil(0.97 * (n - 1)) + 1)]
        return high - low >= MIN_RANGE_DEG - 1e-6

    def _calibration_event(
        self, track: _Track, now: float, state: Literal["calibrated", "updated"]
    ) -> CalibrationEvent:
        cal = track.calibration
        assert cal is not None
        return CalibrationEvent(
            t=now,
            leg=self._label(track),
            joint=track.column,
            state=state,
            rest_deg=cal.rest,
            far_deg=cal.far,
            message=(
                f"your range: {cal.rest:.0f} to {cal.far:.0f} degrees"
                if state == "updated"
                else f"range found ({cal.rest:.0f} to {cal.far:.0f} degrees): counting"
            ),
        )

    def _step(self, track: _Track, now: float) -> list[Event]:
        events: list[Event] = []
        if track.counter is None:
            if now >= track.next_try_t:
                track.next_try_t = now + CALIBRATE_EVERY_S
                if self._may_calibrate(track):
                    events.extend(self._calibrate(track, now))
            if track.counter is None:
                return events
        counter = track.counter
        value = float(self._frames.angles[-1][COLUMN[track.column]])
        seg = counter.feed(now, value)
        events.extend(self._phase(track, now, value))
        if seg is not None:
            if track.pending is not None:
                events.extend(self._settle(track, track.pending[0], now))
            track.pending = (seg, now)
            events.extend(self._pair(track, now))
        return events

    def _phase(self, track: _Track, now: float, value: float) -> list[Event]:
        counter, cal = track.counter, track.calibration
        assert counter is not None
        assert cal is not None
        phase: Phase = "rest"
        if (
            not counter.moving
            and self.spec is not None
            and self.spec.counter_swing
            and cal.progress_of(value) <= -LEAVE
        ):
            phase = "swing"
        if counter.moving and math.isfinite(value):
            f = self._frames
            t0 = now - SPEED_WINDOW_S
            k = len(f.t) - 1
            while k > 0 and f.t[k - 1] >= t0:
                k -= 1
            before = float(f.angles[k][COLUMN[track.column]])
            dt = now - f.t[k]
            p_now = cal.progress_of(value)
            p_before = cal.progress_of(before) if math.isfinite(before) else p_now
            speed = abs(value - before) / dt if dt > 0 else 0.0
            usual = track.usual_speed
            if usual is not None and p_now >= 0.5 and speed <= HOLD_FRACTION * usual:
                phase = "hold"
            elif p_now >= p_before:
                phase = "out"
            else:
                phase = "return"
            if usual is None and p_now >= 0.5 and dt > 0 and abs(p_now - p_before) < 0.02:
                phase = "hold"
        # A phase is reported once it has lasted SPEED_WINDOW_S (noise at a turn
        # would flip it back and forth); the end of a repetition at once.
        if phase != track.candidate:
            track.candidate, track.candidate_t = phase, now
        if phase == track.phase or (phase != "rest" and now - track.candidate_t < SPEED_WINDOW_S):
            return []
        track.phase = phase
        return [PhaseEvent(t=now, leg=self._label(track), phase=phase)]

    def _other(self, track: _Track) -> _Track | None:
        return next((o for o in self._tracks if o is not track), None)

    def _pair(self, track: _Track, now: float) -> list[Event]:
        """Decide about ``track``'s just-counted segment, or wait for the other leg."""
        assert track.pending is not None
        seg, _ = track.pending
        other = self._other(track)
        if other is None:
            return self._settle(track, seg, now)
        mine = self._image_span(track, seg.start_t, seg.end_t)
        theirs = self._image_span(other, seg.start_t, seg.end_t)
        if self.spec is not None and theirs > mine:
            # A glide works one leg at a time. The other leg moved more in the image
            # meanwhile: this "repetition" is the model's estimate of a hidden leg
            # copying the moving one (as offline, the leg that moves more in the image,
            # where a hidden leg can't copy, is the one exercising). That leg's own
            # counter reports the repetition.
            track.pending = None
            return []
        if any(overlap(seg, s) > 0.5 for s in other.done):
            # The other leg's copy of this movement was already reported.
            track.pending = None
            track.done.append(seg)
            return []
        if self.spec is None:
            if other.pending is not None and overlap(seg, other.pending[0]) > 0.5:
                return self._settle_pair(track, other, now)
            if other.counter is not None and other.counter.moving and theirs >= 0.5 * mine:
                # The other leg moves too (a squat, a bridge): one two-legged movement,
                # to be counted once when the other leg is back too.
                track.pending = (seg, now + PAIR_WAIT_S)
                return []
        return self._settle(track, seg, now)

    def _flush_pending(self, now: float) -> list[Event]:
        events: list[Event] = []
        for track in self._tracks:
            if track.pending is None:
                continue
            other = self._other(track)
            waiting = other is not None and other.counter is not None and other.counter.moving
            if now >= track.pending[1] or not waiting:
                events.extend(self._settle(track, track.pending[0], now))
        return events

    def _settle_pair(self, a: _Track, b: _Track, now: float) -> list[Event]:
        """Both legs counted one movement: one two-legged repetition, measured on the
        leg with the larger range (as offline)."""
        assert a.pending is not None
        assert b.pending is not None
        sa, sb = a.pending[0], b.pending[0]
        a.pending = b.pending = None
        main, seg, spare, spare_seg = (
            (a, sa, b, sb) if self._span(a) >= self._span(b) else (b, sb, a, sa)
        )
        spare.done.append(spare_seg)
        return self._report(main, seg, now, label="both")

    def _settle(self, track: _Track, seg: RepSegment, now: float) -> list[Event]:
        track.pending = None
        other = self._other(track)
        if other is not None and any(overlap(seg, s) > 0.5 for s in other.done):
            track.done.append(seg)
            return []
        return self._report(track, seg, now)

    def _span(self, track: _Track) -> float:
        return abs(track.calibration.span) if track.calibration is not None else 0.0

    def _image_span(self, track: _Track, a: float, b: float) -> float:
        """How far the track's joint moved in the image between ``a`` and ``b``, measured
        as offline (:func:`~nerveglide.motion.analysis.movement_span`)."""
        t = self._columns.since("t")
        return movement_span(
            self._columns.since("image")[(t >= a) & (t <= b), COLUMN[track.column]]
        )

    # -- reporting a repetition ---------------------------------------------------------

    def _label(self, track: _Track) -> RepLeg:
        return track.leg if track.leg is not None else "none"

    def _report(
        self, track: _Track, seg: RepSegment, now: float, label: RepLeg | None = None
    ) -> list[Event]:
        track.done.append(seg)
        track.done = [s for s in track.done if s.end_t > now - KEEP_S]
        if seg.end_t <= track.last_end_s:
            return []  # reported before a reconnect
        lm, series = self._window(since=max(seg.start_t, track.last_end_s) - 30.0)
        if not in_place(lm, seg):
            return []  # moved across the picture: walking, not an exercise in place
        # The range the person shows now, this repetition included (the counter is back
        # at rest, so its thresholds may move), and the repetition judged against it.
        events: list[Event] = self._calibrate(track, now)
        cal = track.calibration
        assert cal is not None
        seg = replace(seg, peak_progress=float(cal.progress(seg.peak_value)))
        x = series.column(track.column)
        speed = smooth_speed(series.t, x)
        m = (series.t >= seg.start_t) & (series.t <= seg.end_t)
        peak_speed = float(np.nanmax(speed[m])) if np.isfinite(speed[m]).any() else 0.0
        track.peak_speeds.append(peak_speed)
        track.usual_speed = float(np.median(track.peak_speeds))
        if seg.complete:
            track.ends.append(seg.peak_value)
        count = LegCount(track.leg, track.column, cal, [seg], 0)
        leg: RepLeg = label or self._label(track)
        number = self.counts.get(leg, 0) + 1
        rep = measure_rep(
            index=len(self.reps) + 1,
            lm=lm,
            series=series,
            count=count,
            seg=seg,
            x=x,
            speed=speed,
            peak_speed=peak_speed,
            usual_peak_speed=(
                float(np.median(track.peak_speeds)) if len(track.peak_speeds) >= 3 else None
            ),
            usual_end=float(np.median(track.ends)) if len(track.ends) >= 3 else None,
            not_before=max(track.last_end_s, seg.start_t - 30.0),
            not_after=seg.counted_t,
            spec=self.spec,
            joint=self.joint,
            leg_label=leg,
            oblique_deg=self._oblique_for_angles(),
        )
        self.counts[leg] = number
        self.reps.append(rep)
        self._rep_legs.add(rep.leg)
        track.last_end_s = rep.end_s
        cues = [
            CueEvent(
                t=now,
                leg=leg,
                rep=number,
                code=c.code,
                kind=c.kind,
                text=c.text,
                source=c.items[0] if c.items else "",
                sources=c.items,
                detail=c.detail,
                at_s=c.t,
            )
            for c in rep.cues
        ]
        event = RepEvent(
            t=now,
            leg=leg,
            rep=number,
            joint=rep.joint,
            complete=rep.complete,
            start_s=rep.start_s,
            end_s=rep.end_s,
            counted_s=rep.counted_s,
            peak_s=rep.peak_s,
            hold_s=rep.hold_s,
            rom_deg=rep.rom_deg,
            peak_deg=rep.peak_deg,
            progress=rep.progress,
            knee_extension_peak_deg=rep.knee_extension_peak_deg,
            hip_flexion_peak_deg=rep.hip_flexion_peak_deg,
            peak_speed_deg_s=rep.peak_speed_deg_s,
            cues=tuple({k: v for k, v in c.to_dict().items() if k != "type"} for c in cues),
        )
        return [event, *cues, *events]

    # -- what the camera sees -----------------------------------------------------------

    def _watched(self) -> list[str]:
        """The columns whose joint must be seen: the exercising leg once known."""
        if len(self._tracks) == 1:
            return [self._tracks[0].column]
        legs = self._rep_legs & {"left", "right"}
        return [tr.column for tr in self._tracks if tr.leg in legs] or [
            tr.column for tr in self._tracks
        ]

    def _check_seen(self, now: float, pose: Pose | None) -> list[Event]:
        events: list[Event] = []
        unseen: dict[str, bool] = {"person": pose is None}
        if pose is not None:
            raw = self._frames.raw[-1]
            watched = self._watched()
            hidden = [c for c in watched if not math.isfinite(raw[COLUMN[c]])]
            # With the leg not yet known, one leg in view is enough.
            all_hidden = len(hidden) == len(watched)
            for c in watched:
                unseen[c] = c in hidden and all_hidden
        for what, gone in unseen.items():
            if gone:
                since = self._unseen_since.setdefault(what, now)
                if now - since >= GRACE_S and what not in self._problems:
                    self._problems.add(what)
                    events.append(VisibilityEvent(now, False, what, self._unseen_message(what)))
            else:
                self._unseen_since.pop(what, None)
                if what in self._problems:
                    self._problems.discard(what)
                    events.append(VisibilityEvent(now, True, what, "I can see you again"))
        return events

    def _unseen_message(self, what: str) -> str:
        if what == "person":
            return f"I can't see you: {FILM_HINT}"
        joint, _, side = what.rpartition("_")
        if side not in ("left", "right"):
            joint, side = what, ""
        word = _JOINT_WORD.get(joint, joint.replace("_", " "))
        your = f"your {side} {word}" if side else f"your {word}"
        return (
            f"I can't see {your}: turn so that side faces the camera, and keep your whole "
            "body in frame"
        )

    def _check_view(self, now: float, pose: Pose) -> list[Event]:
        assert self._frame_view is not None
        self._view.append((now, self._frame_view))
        while self._view and self._view[0][0] < now - GRACE_S:
            self._view.popleft()
        if now - self._view[0][0] < GRACE_S * 0.9 or now < self._next_view_t:
            return []  # not a second of frames yet, or checked a moment ago
        self._next_view_t = now + VIEW_EVERY_S
        # The last second at once, from what each frame left (a few numpy calls).
        oblique, in_frame, facing, side = judge_frames(
            [v for _, v in self._view], pose.width, pose.height
        )
        self._facing += facing
        self._side += side
        self._oblique = oblique
        events: list[Event] = []
        events.extend(
            self._flag(
                now,
                "oblique",
                oblique is not None and oblique > MAX_OBLIQUE_DEG,
                oblique,
                "turn side-on to the camera: the coach measures your joints from the side",
            )
        )
        events.extend(
            self._flag(
                now,
                "out_of_frame",
                in_frame < 0.5,
                oblique,
                "move the camera back (or turn it) so your whole body, head to feet, is in frame",
            )
        )
        return events

    def _vote_frame(self, view: FrameView) -> None:
        """Add one frame's votes on the model's mirroring and the side facing the
        camera."""
        self._facing += view.facing if view.facing is not None else 0.0
        votes = 0.0
        for vote in view.side:
            votes += vote if vote is not None else 0.0
        self._side += votes

    def _flag(
        self,
        now: float,
        problem: Literal["oblique", "out_of_frame"],
        bad: bool,
        oblique: float | None,
        message: str,
    ) -> list[Event]:
        key = f"view:{problem}"
        if bad and key not in self._problems:
            self._problems.add(key)
            return [ViewEvent(now, False, problem, oblique, message)]
        if not bad and key in self._problems:
            self._problems.discard(key)
            return [ViewEvent(now, True, problem, oblique, "that's better")]
        return []

    def _oblique_for_angles(self) -> float:
        """The view's obliquity now, which widens the margin on absolute angles (as
        offline); 0 when unknown."""
        return self._oblique if self._oblique is not None else 0.0


def stream(
    lm: Landmarks, frames: Iterable[int] | None = None
) -> Iterator[tuple[float, Pose | None]]:
    """A recorded track (e.g. the offline pipeline's) as a live stream of
    ``(t, pose or None)``, over all frames or the given frame indices (to drop frames or
    lower the rate)."""
    for i in range(len(lm.t)) if frames is None else frames:
        t = float(lm.t[i])
        if not lm.found[i]:
            yield t, None
            continue
        world = lm.world[i] if np.isfinite(lm.world[i]).all() else None
        yield t, Pose(t, lm.xy[i], lm.visibility[i], world, lm.width, lm.height)


def replay(coach: LiveCoach, poses: Iterable[tuple[float, Pose | None]]) -> list[Event]:
    """Feed a whole stream of ``(t, pose or None)``; every event, in order."""
    events: list[Event] = []
    for t, pose in poses:
        events.extend(coach.feed(pose, t))
    return events


__all__ = [
    "CalibrationEvent",
    "CueEvent",
    "Event",
    "LiveCoach",
    "PhaseEvent",
    "RepEvent",
    "ViewEvent",
    "VisibilityEvent",
    "replay",
    "stream",
]
