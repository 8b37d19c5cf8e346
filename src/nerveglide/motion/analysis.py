"""From a clip's landmarks to repetitions, their measures and the cues they earned.

Input is a :class:`Landmarks` track (one entry per analysed frame, ``found`` false where
the model saw nobody). :func:`analyse` measures and filters the angles, checks the filming
(person found, body in frame, side-on for a glide, the glide's posture), calibrates the
moving joint on the person's own range, counts each leg on its own, and measures every
repetition. Every threshold is a fraction of the person's range in the clip, a sourced
angle or setting of the glide, or a measurement uncertainty with its citation
(:data:`~nerveglide.motion.reps.UNCERTAINTY_DEG`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from nerveglide.motion.angles import (
    ANGLE_COLUMNS,
    CLEAR_VISIBILITY,
    COLUMN,
    DEFAULT_SOURCE,
    IMAGE_ONLY,
    MIN_VISIBILITY,
    facing_sign,
    measure_each,
    visible,
)
from nerveglide.motion.errors import (
    FILM_HINT,
    NoPerson,
    NoRepetition,
    PartlyInFrame,
    SeveralPeople,
    WrongPosture,
    WrongView,
)
from nerveglide.motion.filters import filter_series
from nerveglide.motion.pose import Landmark as L
from nerveglide.motion.pose import Pose
from nerveglide.motion.reps import (
    LEAVE,
    UNCERTAINTY_DEG,
    Calibration,
    RepSegment,
    calibrate,
    count_reps,
)
from nerveglide.motion.spec import LEG_JOINTS, MOVEMENT_JOINT, GlideSpec, Movement
from nerveglide.motion.view import (
    MAX_OBLIQUE_DEG,
    ViewReport,
    assess,
    camera_side,
    projection_error_deg,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Leg = Literal["left", "right"]
LegChoice = Literal["left", "right", "auto"]
RepLeg = Literal["left", "right", "both", "none"]

#: The person must be seen for at least this long to say anything.
MIN_PERSON_S = 1.0
#: Of the frames with a person, at least this share must show the whole body.
MIN_IN_FRAME = 0.5
#: Of the frames searched for a second person, this share finding one means two people.
MIN_OTHERS = 0.5
#: A velocity spike: the rep's fastest moment at least twice the person's usual fastest.
SPIKE_RATIO = 2.0
#: "Still": slower than a tenth of the rep's own fastest moment.
STILL_FRACTION = 0.1
#: Holding: slower than a fifth of the rep's fastest moment (a hold drifts a little).
HOLD_FRACTION = 0.2
#: The speed is taken over this window, to keep frame-to-frame jitter out of it.
SPEED_WINDOW_S = 0.2

PROGRAM = "program"
FORM = "form"


@dataclass(frozen=True)
class Landmarks:
    """A clip's pose track: ``t`` (n,), ``xy`` (n, 33, 2), ``world`` (n, 33, 3),
    ``visibility`` (n, 33), ``found`` (n,), the frame size, and how many frames searched
    for a second person found one (``others_found`` of ``others_checked``)."""

    t: FloatArray
    xy: FloatArray
    world: FloatArray
    visibility: FloatArray
    found: BoolArray
    width: int
    height: int
    others_checked: int = 0
    others_found: int = 0

    @classmethod
    def from_poses(
        cls,
        times: Sequence[float],
        poses: Sequence[Pose | None],
        *,
        width: int,
        height: int,
        others_checked: int = 0,
        others_found: int = 0,
    ) -> Landmarks:
        n = len(poses)
        xy = np.full((n, 33, 2), np.nan)
        world = np.full((n, 33, 3), np.nan)
        vis = np.zeros((n, 33))
        found = np.zeros(n, dtype=bool)
        for i, pose in enumerate(poses):
            if pose is None:
                continue
            found[i] = True
            xy[i] = pose.xy
            vis[i] = pose.visibility
            if pose.world is not None:
                world[i] = pose.world
        return cls(
            t=np.asarray(times, dtype=np.float64),
            xy=xy,
            world=world,
            visibility=vis,
            found=found,
            width=width,
            height=height,
            others_checked=others_checked,
            others_found=others_found,
        )

    @property
    def fps(self) -> float:
        if len(self.t) < 2:
            return 0.0
        return (
            float((len(self.t) - 1) / (self.t[-1] - self.t[0])) if self.t[-1] > self.t[0] else 0.0
        )


@dataclass(frozen=True)
class Series:
    """Angles per frame in :data:`ANGLE_COLUMNS` order: ``raw`` as measured, ``angles``
    after the One Euro filter; NaN where unknown."""

    t: FloatArray
    raw: FloatArray
    angles: FloatArray
    image: FloatArray
    """Every angle measured in the image alone (for choosing the moving leg: the model's
    3D estimate of a hidden leg can follow the visible one)."""
    clear: BoolArray
    """Where every landmark an angle needs is in plain view (``CLEAR_VISIBILITY``)."""

    def clear_image(self, name: str) -> FloatArray:
        """The image angle where its points are in plain view, NaN elsewhere."""
        i = COLUMN[name]
        out: FloatArray = np.where(self.clear[:, i], self.image[:, i], np.nan)
        return out

    def column(self, name: str) -> FloatArray:
        out: FloatArray = self.angles[:, COLUMN[name]]
        return out


def angle_series(lm: Landmarks) -> Series:
    mirror = facing_sign(lm.world[lm.found], lm.visibility[lm.found]) if lm.found.any() else 1.0
    sees_left = (
        camera_side(lm.world[lm.found], lm.visibility[lm.found]) == "left"
        if lm.found.any()
        else True
    )
    raw, image = measure_each(
        lm.xy,
        lm.world,
        lm.visibility,
        mirror=mirror,
        camera_sees_left=sees_left,
        sources=(DEFAULT_SOURCE, IMAGE_ONLY),
    )
    return Series(
        t=lm.t,
        raw=raw,
        angles=filter_series(lm.t, raw),
        image=image,
        clear=visible(lm.visibility, CLEAR_VISIBILITY) & lm.found[:, None],
    )


@dataclass(frozen=True)
class Cue:
    """A form or program cue a repetition earned, tied to the sentence it enforces."""

    code: str
    """``toes_pointed``, ``other_leg_bent``, ``no_trunk_lean``, ``head_static``,
    ``forced``, ``position``, ``incomplete`` (form); ``too_fast``, ``short_hold`` (program)."""
    kind: str
    items: tuple[str, ...]
    """Content item ids: the first is the sentence shown; the rest back it up."""
    text: str
    detail: str
    t: float
    """When it fired (seconds into the clip)."""


@dataclass(frozen=True)
class PhaseSpeed:
    name: str
    start_s: float
    end_s: float
    change_deg: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def speed_deg_s(self) -> float:
        return abs(self.change_deg) / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class Rep:
    index: int
    leg: RepLeg
    joint: str
    start_s: float
    end_s: float
    peak_s: float
    counted_s: float
    complete: bool
    progress: float
    hold_s: float
    rest_deg: float
    peak_deg: float
    rom_deg: float
    peak_speed_deg_s: float
    knee_extension_peak_deg: float | None
    """The least knee flexion in the rep (its peak extension), when the knee is known."""
    hip_flexion_peak_deg: float | None
    """The most hip flexion in the rep."""
    phases: tuple[PhaseSpeed, ...]
    cues: tuple[Cue, ...]
    measures: dict[str, float | None] = field(default_factory=dict)

    @property
    def faults(self) -> list[str]:
        codes = [c.code for c in self.cues if c.kind == FORM]
        if not self.complete and "incomplete" not in codes:
            codes.insert(0, "incomplete")
        return sorted(set(codes), key=codes.index)


@dataclass(frozen=True)
class Analysis:
    glide: str | None
    movement: str | None
    joint: str
    legs: tuple[Leg, ...]
    leg_detected: bool
    view: ViewReport
    calibration: dict[str, Calibration]
    reps: tuple[Rep, ...]
    series: Series
    warnings: tuple[str, ...]
    spec: GlideSpec | None = None

    @property
    def complete_count(self) -> int:
        return sum(1 for r in self.reps if r.complete)


def smooth_speed(t: FloatArray, x: FloatArray) -> FloatArray:
    """|dx/dt| over :data:`SPEED_WINDOW_S`, or over four frame intervals when frames
    come slower than that allows (a browser camera at 5 to 10 fps): a difference over one
    or two frames is mostly the model's jitter. NaN where unknown."""
    n = len(x)
    out = np.full(n, np.nan)
    if n < 3:
        return out
    step = float(np.median(np.diff(t)))
    half = max(SPEED_WINDOW_S, 4 * step) / 2
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right") - 1
    lo = np.minimum(lo, np.arange(n))
    hi = np.maximum(hi, np.arange(n))
    same = hi == lo
    hi = np.where(same, np.minimum(hi + 1, n - 1), hi)
    lo = np.where(same & (hi == lo), np.maximum(lo - 1, 0), lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.abs((x[hi] - x[lo]) / (t[hi] - t[lo]))
    out[:] = speed
    return out


def _value_at(t: FloatArray, x: FloatArray, when: float, window: float = 0.25) -> float | None:
    m = (t >= when - window) & (t <= when + window) & np.isfinite(x)
    if not m.any():
        return None
    return float(np.median(x[m]))


def _median_between(t: FloatArray, x: FloatArray, a: float, b: float) -> float | None:
    m = (t >= a) & (t <= b) & np.isfinite(x)
    if not m.any():
        return None
    return float(np.median(x[m]))


def _other(leg: Leg) -> Leg:
    return "right" if leg == "left" else "left"


def angle_column(joint: str, leg: Leg | None) -> str:
    return f"{joint}_{leg}" if joint in LEG_JOINTS and leg is not None else joint


def in_place(lm: Landmarks, seg: RepSegment) -> bool:
    """Exercises are done in place: during a repetition the pelvis may not travel
    sideways across the image further than the person's own thigh length."""
    m = (lm.t >= seg.start_t) & (lm.t <= seg.end_t) & lm.found
    if m.sum() < 2:
        return True
    hips = (lm.xy[m, L.LEFT_HIP, :] + lm.xy[m, L.RIGHT_HIP, :]) / 2
    thigh = np.concatenate(
        [
            np.linalg.norm(lm.xy[m, L.LEFT_KNEE, :] - lm.xy[m, L.LEFT_HIP, :], axis=-1),
            np.linalg.norm(lm.xy[m, L.RIGHT_KNEE, :] - lm.xy[m, L.RIGHT_HIP, :], axis=-1),
        ]
    )
    travel = float(np.nanmax(hips[:, 0]) - np.nanmin(hips[:, 0]))
    return travel <= float(np.nanmedian(thigh))


@dataclass
class LegCount:
    leg: Leg | None
    column: str
    calibration: Calibration
    segments: list[RepSegment]
    dropped: int


def _count(
    lm: Landmarks, series: Series, column: str, leg: Leg | None, direction: int
) -> LegCount | None:
    values = series.column(column)
    cal = calibrate(series.t, values, direction=direction)
    if cal is None:
        return None
    segments = count_reps(series.t, values, cal, gap_deg=uncertainty_of(column))
    kept = [s for s in segments if in_place(lm, s)]
    return LegCount(leg, column, cal, kept, len(segments) - len(kept))


def uncertainty_of(column: str) -> float:
    """The measurement uncertainty of an angle column's joint."""
    return UNCERTAINTY_DEG[column.removesuffix("_left").removesuffix("_right")]


def overlap(a: RepSegment, b: RepSegment) -> float:
    inter = min(a.end_t, b.end_t) - max(a.start_t, b.start_t)
    shorter = min(a.end_t - a.start_t, b.end_t - b.start_t)
    return max(0.0, inter) / shorter if shorter > 0 else 0.0


def _bilateral(a: LegCount, b: LegCount) -> bool:
    """Both legs' repetitions happen together (a squat, a bridge; or in a glide, the
    other leg following along): most reps of the leg with fewer overlap the other's."""
    if not a.segments or not b.segments:
        return False
    few, many = (a, b) if len(a.segments) <= len(b.segments) else (b, a)
    matched = sum(1 for s in few.segments if any(overlap(s, o) > 0.5 for o in many.segments))
    return matched >= 0.5 * len(few.segments)


def movement_span(x: FloatArray) -> float:
    """How far an angle moved: the span between its 3rd and 97th percentiles (unknown
    values left out), so that a few frames where the model lost a hidden limb don't count
    as movement; 0 with fewer than 3 known values."""
    x = x[np.isfinite(x)]
    if len(x) < 3:
        return 0.0
    low, high = np.percentile(x, [3, 97])
    return float(high - low)


def _image_span(series: Series, column: str) -> float:
    return movement_span(series.image[:, COLUMN[column]])


def _check_filming(lm: Landmarks, view: ViewReport, spec: GlideSpec | None) -> None:
    fps = lm.fps or 30.0
    if view.person_frames == 0 or view.person_frames / fps < MIN_PERSON_S:
        raise NoPerson(f"no person was found in the video: {FILM_HINT}")
    if lm.others_checked and lm.others_found >= MIN_OTHERS * lm.others_checked:
        raise SeveralPeople(
            "more than one person is in the video: film only the person exercising, "
            "with nobody else in the frame"
        )
    if view.in_frame_fraction < MIN_IN_FRAME:
        raise PartlyInFrame(
            "the body is cut off by the edge of the picture for most of the video: move the "
            "camera back (or turn it) so the whole body, head to feet, stays in frame"
        )
    if spec is not None:
        if not view.side_on:
            raise WrongView(
                f"the video is filmed from the front or back (about {view.oblique_deg:.0f} "
                f"degrees from side-on; at most {MAX_OBLIQUE_DEG:.0f} works): {spec.name} needs "
                "a side view to measure the joints. Film from the side, whole body in frame"
            )
        need = "lying" if spec.support == "floor" else "sitting"
        if view.posture != need:
            doing = {"lying": "lying down", "sitting": "sitting", "standing": "standing"}.get(
                view.posture, "in no posture the coach recognises"
            )
            how = "lying on your back" if need == "lying" else "sitting on a chair"
            raise WrongPosture(
                f"{spec.name} is done {how}, but the person in the video is {doing}: check "
                f"that you chose the right glide, and film the whole body from the side"
            )


def analyse(
    lm: Landmarks,
    *,
    spec: GlideSpec | None = None,
    movement: Movement | None = None,
    leg: LegChoice = "auto",
) -> Analysis:
    """Analyse a clip for a glide (``spec``) or a single-joint exercise (``movement``).

    Raises an :class:`~nerveglide.motion.errors.UnusableClip` that says what to change
    when the clip can't give an answer.
    """
    if (spec is None) == (movement is None):
        raise ValueError("give either a glide spec or a movement")
    series = angle_series(lm)
    view = assess(
        lm.xy,
        lm.world,
        lm.visibility,
        lm.found,
        width=lm.width,
        height=lm.height,
        trunk_lean=series.column("trunk_lean"),
        hip_flexion=series.angles[:, [COLUMN["hip_flexion_left"], COLUMN["hip_flexion_right"]]],
    )
    _check_filming(lm, view, spec)
    joint = spec.primary if spec is not None else MOVEMENT_JOINT[movement or "knee"]
    direction = spec.direction if spec is not None else 0
    warnings: list[str] = []
    if view.oblique_deg > MAX_OBLIQUE_DEG / 2:
        warnings.append(
            f"the view is about {view.oblique_deg:.0f} degrees from side-on: angles are less "
            "certain than from straight side-on"
        )

    counts = _count_legs(lm, series, joint, leg, direction)
    chosen = _choose(counts, spec, leg, series)
    if not any(c.segments for c in chosen):
        # The exercising leg may be the far one, behind the other for most of the clip:
        # its joints are then "unknown". When nothing visible moved, count on the model's
        # estimate of the hidden leg instead, and say that its angles are less certain.
        for side in _hidden_legs(series, lm, joint):
            if leg not in ("auto", side):
                continue
            seen = _hidden_leg_taken_as_seen(lm, side)
            seen_series = angle_series(seen)
            c = _count(seen, seen_series, angle_column(joint, side), side, direction)
            if c is not None and c.segments:
                lm, series, counts, chosen = seen, seen_series, [c], [c]
                warnings.append(
                    f"the {side} leg was hidden behind the other for most of the video: its "
                    "angles are the pose model's estimate of a leg it could not see, less "
                    "certain than usual. Film from the side of the exercising leg"
                )
                break

    dropped = sum(c.dropped for c in counts)
    if dropped:
        warnings.append(
            f"{dropped} movement(s) happened while the person moved across the picture "
            "(walking, not an exercise done in place) and were not counted"
        )
    what = spec.name if spec is not None else f"{movement} bending and straightening"
    if not chosen or not any(c.segments for c in chosen):
        hidden = _hidden_legs(series, lm, joint)
        if hidden:
            raise NoRepetition(
                f"no repetition of {what} was found: the {' and '.join(hidden)} "
                f"{'leg was' if len(hidden) == 1 else 'legs were'} hidden from the camera for "
                "most of the video. Film from the side of the exercising leg, whole body in "
                "frame"
            )
        raise NoRepetition(
            f"no repetition of {what} was found in this video: check that you chose the right "
            f"{'glide' if spec else 'joint'}, that the clip holds the whole set, and {FILM_HINT}"
        )

    # Absolute angles are compared with the glide's sourced positions with a margin that
    # grows with the view's obliquity (what projection can do to an angle).
    oblique = view.oblique_deg if math.isfinite(view.oblique_deg) else 0.0
    reps = _measure_reps(lm, series, chosen, spec, joint, oblique)
    if (
        spec is not None
        and spec.counter_swing
        and not any(r.measures.get("counter_swing_deg") for r in reps)
    ):
        raise NoRepetition(
            f"no repetition of {what} was found: the leg never swung back under the chair "
            "before straightening. Check that you chose the right glide"
        )
    legs_out = tuple(c.leg for c in chosen if c.leg is not None)
    return Analysis(
        glide=spec.exercise_id if spec else None,
        movement=movement,
        joint=joint,
        legs=legs_out,
        leg_detected=leg == "auto",
        view=view,
        calibration={c.column: c.calibration for c in chosen},
        reps=tuple(reps),
        series=series,
        warnings=tuple(warnings),
        spec=spec,
    )


def _count_legs(
    lm: Landmarks, series: Series, joint: str, leg: LegChoice, direction: int
) -> list[LegCount]:
    """Each leg's repetitions of ``joint`` (one count when the joint is not a leg's)."""
    if joint not in LEG_JOINTS:
        c = _count(lm, series, joint, None, direction)
        return [c] if c is not None else []
    legs: list[Leg] = ["left", "right"] if leg == "auto" else [leg]
    counts = [_count(lm, series, angle_column(joint, side), side, direction) for side in legs]
    return [c for c in counts if c is not None]


#: The landmarks of each leg, hip to toes.
LEG_LANDMARKS: dict[Leg, tuple[int, ...]] = {
    "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}


def _hidden_leg_taken_as_seen(lm: Landmarks, side: Leg) -> Landmarks:
    """``lm`` with the ``side`` leg's landmarks taken as visible wherever a person was
    found: the model places a hidden limb from the rest of the body, which follows a
    leg's movement though less exactly than a leg it sees."""
    visibility = lm.visibility.copy()
    rows, cols = np.ix_(np.flatnonzero(lm.found), np.array(LEG_LANDMARKS[side]))
    visibility[rows, cols] = np.maximum(visibility[rows, cols], MIN_VISIBILITY)
    return replace(lm, visibility=visibility)


def _hidden_legs(series: Series, lm: Landmarks, joint: str) -> list[Leg]:
    """Legs whose ``joint`` was unknown (not visible) in most frames with a person."""
    if joint not in LEG_JOINTS or not lm.found.any():
        return []
    hidden: list[Leg] = []
    sides: tuple[Leg, ...] = ("left", "right")
    for side in sides:
        known = np.isfinite(series.column(angle_column(joint, side)))[lm.found]
        if known.mean() < 0.5:
            hidden.append(side)
    return hidden


def _choose(
    counts: list[LegCount], spec: GlideSpec | None, leg: LegChoice, series: Series
) -> list[LegCount]:
    """Which legs' repetitions to report. Legs moving in turn are both reported; legs
    moving together are one two-legged movement (any exercise) or, in a glide, one leg
    exercising: the one that moves more in the image, where a hidden leg can't copy the
    visible one's movement as the model's 3D estimate of it can."""
    with_reps = [c for c in counts if c.segments]
    if len(with_reps) < 2:
        return with_reps or counts[:1]
    a, b = with_reps
    if not _bilateral(a, b):
        return with_reps
    if spec is None:
        return [a, b]  # merged into "both" when measured
    best = max(with_reps, key=lambda c: _image_span(series, c.column))
    return [best]


def _measure_reps(
    lm: Landmarks,
    series: Series,
    chosen: list[LegCount],
    spec: GlideSpec | None,
    joint: str,
    oblique_deg: float = 0.0,
) -> list[Rep]:
    t = series.t
    both = spec is None and len(chosen) == 2 and _bilateral(chosen[0], chosen[1])
    items: list[tuple[LegCount, RepSegment]] = []
    if both:
        main = max(chosen, key=lambda c: abs(c.calibration.span))
        items = [(main, s) for s in main.segments]
    else:
        for c in chosen:
            items.extend((c, s) for s in c.segments)
    items.sort(key=lambda it: it[1].start_t)

    peak_speeds: dict[str, list[float]] = {}
    prepared = []
    for c, seg in items:
        x = series.column(c.column)
        speed = smooth_speed(t, x)
        m = (t >= seg.start_t) & (t <= seg.end_t)
        ps = float(np.nanmax(speed[m])) if np.isfinite(speed[m]).any() else 0.0
        peak_speeds.setdefault(c.column, []).append(ps)
        prepared.append((c, seg, x, speed, ps))

    ends: dict[str, list[float]] = {}
    for c, seg, *_ in prepared:
        if seg.complete:
            ends.setdefault(c.column, []).append(seg.peak_value)
    reps: list[Rep] = []
    previous_end: dict[str, float] = {}
    next_start = [
        next((s2.start_t for c2, s2, *_ in prepared[k + 1 :] if c2.column == c.column), math.inf)
        for k, (c, *_) in enumerate(prepared)
    ]
    for index, (c, seg, x, speed, ps) in enumerate(prepared, start=1):
        usual = peak_speeds[c.column]
        usual_ends = ends.get(c.column, [])
        rep = measure_rep(
            index=index,
            lm=lm,
            series=series,
            count=c,
            seg=seg,
            x=x,
            speed=speed,
            peak_speed=ps,
            usual_peak_speed=float(np.median(usual)) if len(usual) >= 3 else None,
            usual_end=float(np.median(usual_ends)) if len(usual_ends) >= 3 else None,
            not_before=previous_end.get(c.column, seg.start_t - 30.0),
            not_after=next_start[index - 1],
            spec=spec,
            joint=joint,
            leg_label="both" if both else (c.leg or "none"),
            oblique_deg=oblique_deg,
        )
        reps.append(rep)
        previous_end[c.column] = rep.end_s
    return reps


#: At rest means still for at least this long; a turning point is still for an instant.
REST_S = 0.25


def _sustained(t: FloatArray, flags: BoolArray) -> BoolArray:
    """``flags`` kept only in runs lasting at least :data:`REST_S`."""
    out = np.zeros_like(flags)
    i, n = 0, len(flags)
    while i < n:
        if not flags[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and flags[j + 1]:
            j += 1
        if t[j] - t[i] >= REST_S:
            out[i : j + 1] = True
        i = j + 1
    return out


def _still_edges(
    t: FloatArray,
    p: FloatArray,
    speed: FloatArray,
    seg: RepSegment,
    peak_speed: float,
    not_before: float,
    not_after: float,
    counter_swing: bool,
) -> tuple[float, float]:
    """Refine a segment's start and end to when the joint was still at rest. With a
    counter swing, the start is before it: the joint is nearer rest than halfway from
    the swing's turning point."""
    still = (speed <= STILL_FRACTION * peak_speed) & (np.abs(p) <= LEAVE)
    window = (t <= seg.enter_t) & (t >= not_before) & np.isfinite(p)
    limit = seg.enter_t
    if counter_swing and window.any():
        idx = np.flatnonzero(window)
        turn = idx[int(np.argmin(p[idx]))]
        if p[turn] < 0:
            limit = float(t[turn])
            still &= p > p[turn] / 2
    still = _sustained(t, still)
    before = np.flatnonzero((t <= limit) & (t >= not_before) & still)
    start = float(t[before[-1]]) if len(before) else seg.start_t
    after = np.flatnonzero((t >= seg.counted_t) & (t <= not_after) & still)
    end = float(t[after[0]]) if len(after) else seg.end_t
    return min(start, seg.start_t), max(end, seg.counted_t)


def measure_rep(
    *,
    index: int,
    lm: Landmarks,
    series: Series,
    count: LegCount,
    seg: RepSegment,
    x: FloatArray,
    speed: FloatArray,
    peak_speed: float,
    usual_peak_speed: float | None,
    usual_end: float | None,
    not_before: float,
    not_after: float,
    spec: GlideSpec | None,
    joint: str,
    leg_label: RepLeg,
    oblique_deg: float = 0.0,
) -> Rep:
    t = series.t
    cal = count.calibration
    p = cal.progress(x)
    start, end = _still_edges(
        t,
        p,
        speed,
        seg,
        peak_speed,
        not_before,
        not_after,
        spec is not None and spec.counter_swing,
    )
    m = (t >= start) & (t <= end) & np.isfinite(x)
    tr, xr, pr, sr = t[m], x[m], p[m], speed[m]
    ipk = int(np.argmax(pr))
    peak_value = float(xr[ipk])
    # Hold: the longest still stretch on the stretch side of the rep (past halfway),
    # still meaning slower than a tenth of the rep's fastest moment: a slow drift while
    # holding is a hold, the turn of a continuous movement is not.
    still = (pr >= 0.5) & (sr <= HOLD_FRACTION * peak_speed)
    lo = hi = ipk
    best = 0.0
    i = 0
    while i < len(still):
        if not still[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(still) and still[j + 1]:
            j += 1
        if tr[j] - tr[i] > best:
            best, lo, hi = float(tr[j] - tr[i]), i, j
        i = j + 1
    hold_start, hold_end = float(tr[lo]), float(tr[hi])
    hold = hold_end - hold_start if hi > lo else 0.0
    arrive = hold_start if hi > lo else float(tr[ipk])

    # Phases of the primary joint.
    phases: list[PhaseSpeed] = []
    counter_deg: float | None = None
    main_from = start
    if spec is not None and spec.counter_swing:
        before = pr[: ipk + 1]
        ib = int(np.argmin(before))
        swing = -float(before[ib]) * abs(cal.span)
        if swing >= UNCERTAINTY_DEG.get(joint, 5.6):
            counter_deg = swing
            phases.append(PhaseSpeed("back", start, float(tr[ib]), float(xr[ib] - xr[0])))
            main_from = float(tr[ib])
    x_from = _value_at(t, x, main_from, 0.05) or float(xr[0])
    phases.append(PhaseSpeed("out", main_from, arrive, peak_value - x_from))
    if hold > 0:
        phases.append(PhaseSpeed("hold", hold_start, hold_end, 0.0))
    x_end = _value_at(t, x, end, 0.05) or float(xr[-1])
    phases.append(
        PhaseSpeed("back_to_rest", hold_end if hold > 0 else arrive, end, x_end - peak_value)
    )

    leg_side: Leg | None = count.leg
    knee_col = angle_column("knee_flexion", leg_side) if leg_side else None
    hip_col = angle_column("hip_flexion", leg_side) if leg_side else None
    knee_min = hip_max = None
    if knee_col is not None:
        kv = series.column(knee_col)[(t >= start) & (t <= end)]
        if np.isfinite(kv).any():
            knee_min = float(np.nanmin(kv))
    if hip_col is not None:
        hv = series.column(hip_col)[(t >= start) & (t <= end)]
        if np.isfinite(hv).any():
            hip_max = float(np.nanmax(hv))

    complete = seg.complete
    measures: dict[str, float | None] = {"counter_swing_deg": counter_deg}
    cues: list[Cue] = []
    if spec is not None and leg_side is not None:
        cues.extend(
            _glide_cues(
                spec=spec,
                series=series,
                leg=leg_side,
                start=start,
                end=end,
                main_from=main_from,
                arrive=arrive,
                hold_end=hold_end if hold > 0 else arrive,
                progress=float(pr[ipk]),
                rest=cal.rest,
                measures=measures,
                oblique_deg=oblique_deg,
            )
        )
    # Forcing: a velocity spike against the person's own usual speed, or an overshoot
    # past their usual end of range that bounces straight back.
    end_of_range = usual_end if usual_end is not None else cal.far
    overshoot = (peak_value - end_of_range) * np.sign(cal.span)
    spike = usual_peak_speed is not None and peak_speed > SPIKE_RATIO * usual_peak_speed
    bounce = overshoot > UNCERTAINTY_DEG.get(joint, 5.6) and hold < SPEED_WINDOW_S * 2
    measures["overshoot_deg"] = float(overshoot)
    measures["peak_speed_ratio"] = peak_speed / usual_peak_speed if usual_peak_speed else None
    if spec is not None and (spike or bounce):
        why = []
        if spike and usual_peak_speed:
            why.append(f"{peak_speed:.0f} deg/s, {peak_speed / usual_peak_speed:.1f}x your usual")
        if bounce:
            why.append(f"{overshoot:.0f} deg past your usual end of range, straight back")
        cues.append(
            Cue(
                code="forced",
                kind=FORM,
                items=("safety.never-force", *_straighten_step(spec)),
                text="Stop at the stretch, don't force it.",
                detail="; ".join(why),
                t=arrive,
            )
        )
    if spec is not None and spec.pace_s is not None:
        paced = _paced_duration(tr, xr, main_from, arrive)
        measures["paced_out_s"] = paced
        # Each crossing is known to a frame, and the middle third is scaled by three.
        resolution = 3 * 2 / (lm.fps or 30.0)
        if paced is not None and paced + resolution < spec.pace_s and complete:
            cues.append(
                Cue(
                    code="too_fast",
                    kind=PROGRAM,
                    items=(
                        "safety.slow-gentle",
                        *_straighten_step(spec),
                        *((spec.pace_setting,) if spec.pace_setting else ()),
                    ),
                    text="Slowly.",
                    detail=(
                        f"about {paced:.1f} s to the stretch; your program's pace is "
                        f"{spec.pace_s:g} s"
                    ),
                    t=arrive,
                )
            )
    # The hold's two ends are each known to a frame.
    hold_resolution = 2 / (lm.fps or 30.0)
    if (
        spec is not None
        and spec.has_hold
        and spec.hold_s is not None
        and complete
        and hold + hold_resolution < spec.hold_s
    ):
        hold_step = next((s for s in spec.steps if s.endswith(".step.hold")), None)
        cues.append(
            Cue(
                code="short_hold",
                kind=PROGRAM,
                items=tuple(i for i in (hold_step, spec.hold_setting) if i is not None),
                text=spec.steps.get(hold_step or "", "Hold the stretch."),
                detail=f"held {hold:.1f} s; your program's hold is {spec.hold_s:g} s",
                t=hold_end if hold > 0 else arrive,
            )
        )
    return Rep(
        index=index,
        leg=leg_label,
        joint=count.column,
        start_s=start,
        end_s=end,
        peak_s=arrive,
        counted_s=seg.counted_t,
        complete=complete,
        progress=float(pr[ipk]),
        hold_s=hold,
        rest_deg=cal.rest,
        peak_deg=peak_value,
        rom_deg=float(np.nanmax(xr) - np.nanmin(xr)),
        peak_speed_deg_s=peak_speed,
        knee_extension_peak_deg=knee_min,
        hip_flexion_peak_deg=hip_max,
        phases=tuple(phases),
        cues=tuple(cues),
        measures=measures,
    )


def _paced_duration(tr: FloatArray, xr: FloatArray, a: float, b: float) -> float | None:
    """The phase from ``a`` to ``b`` timed as the program times it. The program plays a
    phase as a cosine ease (``domain/timeline.py``), which covers the middle half of its
    change (25 % to 75 %) in exactly the middle third of its time; that middle part is
    steep, so it is timed precisely and filter lag shifts both ends alike."""
    m = (tr >= a) & (tr <= b) & np.isfinite(xr)
    if m.sum() < 3:
        return None
    t, x = tr[m], xr[m]
    q = (x - x[0]) / (x[-1] - x[0]) if x[-1] != x[0] else np.zeros_like(x)
    above_75 = np.flatnonzero(q >= 0.75)
    if not len(above_75):
        return None
    i75 = int(above_75[0])
    below_25 = np.flatnonzero(q[:i75] <= 0.25)
    if not len(below_25):
        return None
    i25 = int(below_25[-1])
    return 3.0 * float(t[i75] - t[i25])


def _straighten_step(spec: GlideSpec) -> tuple[str, ...]:
    main_step = next(
        (
            s
            for s in spec.steps
            if any(c.phase == spec.main_phase and c.step == s for c in spec.couplings)
        ),
        None,
    )
    step = main_step or next(
        (s for s in spec.steps if s.endswith((".step.straighten", ".step.raise", ".step.forward"))),
        None,
    )
    return (step,) if step else ()


def _glide_cues(
    *,
    spec: GlideSpec,
    series: Series,
    leg: Leg,
    start: float,
    end: float,
    main_from: float,
    arrive: float,
    hold_end: float,
    progress: float,
    rest: float,
    measures: dict[str, float | None],
    oblique_deg: float = 0.0,
) -> list[Cue]:
    t = series.t
    cues: list[Cue] = []
    # Toes pulled back (dorsiflexion above neutral) at the stretch.
    toes = next((s for s in spec.steps if s.endswith(".step.toes")), None)
    if toes is not None:
        ankle = _median_between(
            t, series.column(f"ankle_dorsiflexion_{leg}"), arrive, max(hold_end, arrive + 0.3)
        )
        measures["ankle_dorsiflexion_at_stretch_deg"] = ankle
        if ankle is not None and ankle < 0:
            cues.append(
                Cue(
                    "toes_pointed",
                    FORM,
                    (toes,),
                    spec.steps[toes],
                    f"ankle {ankle:.0f} deg at the stretch (pointed; pulled back is above 0)",
                    arrive,
                )
            )
    # Joints that move with the leg (the reference motion's couplings), phase by phase.
    # A glide with a counter swing (the kick) splits at the coupled joint's own turning
    # point, which is where the person actually changed direction; that swing is measured
    # from the joint's own opposite extreme before the turn (within the same lead as the
    # turn's search), not from the repetition's start: the start is where the counted
    # joint left rest, and the head may set off a little before the knee.
    windows: dict[str, tuple[float, float]] = {
        spec.main_phase: (main_from, arrive),
        spec.return_phase: (hold_end, end),
    }
    swing_from: dict[str, float] = {}
    counter = [c for c in spec.couplings if c.kind == "move" and c.phase != spec.main_phase]
    for c in counter:
        col = series.column(c.joint)
        m = (t >= start - 0.5) & (t <= arrive) & np.isfinite(col)
        if m.any():
            turn = float(t[m][int(np.argmax(col[m] * c.sign))])
            windows[c.phase] = (start, turn)
            windows[spec.main_phase] = (turn, arrive)
            before = m & (t <= turn)
            swing_from[c.phase] = float(t[before][int(np.argmin(col[before] * c.sign))])
    seen_steps: set[str] = set()
    for c in spec.couplings:
        if c.phase not in windows:
            continue
        a, b = windows[c.phase]
        col = series.column(c.joint)
        va = _value_at(t, col, swing_from.get(c.phase, a), 0.15)
        vb = _value_at(t, col, b, 0.15)
        if va is None or vb is None:
            continue
        change = (vb - va) * c.sign
        need = UNCERTAINTY_DEG[c.joint] * min(1.0, max(progress, 0.0))
        measures[f"{c.joint}_change_{c.phase.rsplit('.', 1)[-1]}_deg"] = vb - va
        if change < need and c.step not in seen_steps:
            seen_steps.add(c.step)
            what = "trunk" if c.joint == "trunk_lean" else "head"
            extra = ("seated-leg-kick.tip.string",) if c.joint == "neck_flexion" else ()
            cues.append(
                Cue(
                    "no_trunk_lean" if c.joint == "trunk_lean" else "head_static",
                    FORM,
                    (c.step, *extra),
                    spec.steps.get(c.step, c.step),
                    f"the {what} moved {vb - va:+.0f} deg in this phase; it should move "
                    f"{'+' if c.sign > 0 else '-'}{need:.0f} deg or more",
                    b,
                )
            )
    neck, knee = series.column("neck_flexion"), series.column(f"knee_flexion_{leg}")
    m = (t >= start) & (t <= end) & np.isfinite(neck) & np.isfinite(knee)
    if m.sum() > 3 and np.std(neck[m]) > 0 and np.std(knee[m]) > 0:
        measures["neck_knee_correlation"] = float(np.corrcoef(neck[m], knee[m])[0, 1])
    # Sourced angles: the real targets of the glide's start and stretch positions.
    for target in spec.sourced:
        side = _other(leg) if target.other_leg else leg
        name = angle_column(target.joint, side)
        column = series.column(name)
        if target.other_leg:
            # A leg's static position is judged only where it is in plain view: the
            # estimate of a hidden leg can copy the moving one.
            column = series.clear_image(name)
        if target.throughout:
            a, b = start, end
        elif target.phase == spec.main_phase:
            a, b = arrive, max(hold_end, arrive + 0.3)
        else:
            a, b = start - 0.3, start + 0.3
        if target.joint == spec.primary and not target.other_leg and not target.throughout:
            measured: float | None = rest
        else:
            m = (t >= a) & (t <= b)
            seen = column[m]
            ok = np.isfinite(seen)
            measured = (
                float(np.median(seen[ok])) if ok.sum() and ok.sum() >= 0.5 * m.sum() else None
            )
        key = f"{name}_vs_{target.deg:g}_deg"
        measures[key] = measured
        margin = 3 * UNCERTAINTY_DEG[target.joint] + projection_error_deg(oblique_deg)
        if measured is None or abs(measured - target.deg) <= margin:
            continue
        if target.step in {c.items[0] for c in cues}:
            continue
        code = (
            "other_leg_bent"
            if target.other_leg and target.joint in LEG_JOINTS and spec.support == "floor"
            else "position"
        )
        cues.append(
            Cue(
                code,
                FORM,
                (target.step,),
                spec.steps.get(target.step, target.step),
                f"{name.replace('_', ' ')} {measured:.0f} deg; the glide's position is "
                f"{target.deg:g} deg",
                start,
            )
        )
    return cues


__all__ = [
    "ANGLE_COLUMNS",
    "HOLD_FRACTION",
    "SPEED_WINDOW_S",
    "Analysis",
    "Cue",
    "Landmarks",
    "LegChoice",
    "LegCount",
    "PhaseSpeed",
    "Rep",
    "Series",
    "analyse",
    "angle_column",
    "angle_series",
    "in_place",
    "measure_rep",
    "movement_span",
    "overlap",
    "smooth_speed",
    "uncertainty_of",
]
