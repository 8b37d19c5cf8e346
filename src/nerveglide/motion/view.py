"""How the person was filmed, from their landmarks: which side faces the camera, how
side-on the view is, whether the body is in frame, and the posture (lying, sitting,
standing).

All functions take a clip's landmark arrays: ``xy`` (frames, 33, 2) pixels, ``world``
(frames, 33, 3) metres, ``visibility`` (frames, 33), ``found`` (frames,) whether a person
was found at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

import numpy as np
import numpy.typing as npt

from nerveglide.motion.angles import (
    MIN_VISIBILITY,
    FramePoints,
    Vec,
    _f_dot,
    _f_mid,
    _f_sub,
    facing_vote_of,
    frame_points,
)
from nerveglide.motion.pose import Landmark as L

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Side = Literal["left", "right"]
Posture = Literal["lying", "sitting", "standing", "unknown"]

#: Beyond 45 degrees from side-on, a view is nearer front-on (or back-on) than side-on:
#: sagittal angles projected onto the image are then more wrong than right.
MAX_OBLIQUE_DEG = 45.0

#: The landmarks that make a body for the coach: shoulders, hips, knees, ankles.
BODY: tuple[L, ...] = (
    L.LEFT_SHOULDER,
    L.RIGHT_SHOULDER,
    L.LEFT_HIP,
    L.RIGHT_HIP,
    L.LEFT_KNEE,
    L.RIGHT_KNEE,
    L.LEFT_ANKLE,
    L.RIGHT_ANKLE,
)


@dataclass(frozen=True, slots=True)
class ViewReport:
    """What the landmarks say about the filming."""

    frames: int
    person_frames: int
    in_frame_fraction: float
    """Of the frames with a person, the share with the whole body (``BODY``) in frame."""
    camera_side: Side
    """The person's side nearer the camera."""
    oblique_deg: float
    """Angle between the body's sagittal plane and the image plane (0 side-on, 90 front
    or back): the mean of two per-clip medians, from image lengths and from 3D."""
    posture: Posture

    @property
    def side_on(self) -> bool:
        return self.oblique_deg <= MAX_OBLIQUE_DEG


def _mid(points: FloatArray, a: L, b: L) -> FloatArray:
    out: FloatArray = (points[..., a, :] + points[..., b, :]) / 2
    return out


def camera_side_votes(world: FloatArray, visibility: FloatArray) -> float:
    """Votes for the left side being nearer the camera (positive) or the right
    (negative): BlazePose's world ``z`` grows away from the camera, so the nearer hip and
    shoulder have the smaller ``z``; each frame votes, weighted by how sure the model is
    of the two points. Votes add up, so a live stream can keep a running total."""
    votes = 0.0
    for left, right in ((L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)):
        dz = world[..., right, 2] - world[..., left, 2]
        weight = np.minimum(visibility[..., left], visibility[..., right])
        ok = np.isfinite(dz)
        votes += float(np.sum(np.sign(dz[ok]) * weight[ok]))
    return votes


def camera_side(world: FloatArray, visibility: FloatArray) -> Side:
    """The side nearer the camera over a clip's frames (:func:`camera_side_votes`)."""
    return "left" if camera_side_votes(world, visibility) >= 0 else "right"


def oblique_deg(xy: FloatArray, world: FloatArray) -> FloatArray:
    """Per frame, how far the view is from side-on, in degrees: the hip and shoulder
    lines' length in the image against their true length (scaled by the trunk, which a
    turn about the vertical doesn't shorten). A side view sees them end-on (0 deg), a
    front view full length (90 deg)."""
    width_px = np.linalg.norm(
        xy[..., L.LEFT_HIP, :] - xy[..., L.RIGHT_HIP, :], axis=-1
    ) + np.linalg.norm(xy[..., L.LEFT_SHOULDER, :] - xy[..., L.RIGHT_SHOULDER, :], axis=-1)
    width_m = np.linalg.norm(
        world[..., L.LEFT_HIP, :] - world[..., L.RIGHT_HIP, :], axis=-1
    ) + np.linalg.norm(world[..., L.LEFT_SHOULDER, :] - world[..., L.RIGHT_SHOULDER, :], axis=-1)
    trunk_px = np.linalg.norm(
        _mid(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - _mid(xy, L.LEFT_HIP, L.RIGHT_HIP), axis=-1
    )
    trunk_m = np.linalg.norm(
        _mid(world, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - _mid(world, L.LEFT_HIP, L.RIGHT_HIP),
        axis=-1,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (width_px / width_m) / (trunk_px / trunk_m)
    out: FloatArray = np.degrees(np.arcsin(np.clip(ratio, 0.0, 1.0)))
    return out


def oblique_3d_deg(world: FloatArray) -> FloatArray:
    """Per frame, the same from the model's 3D alone: the hip and shoulder lines against
    the camera's viewing axis (``z``)."""
    lateral = (world[..., L.LEFT_HIP, :] - world[..., L.RIGHT_HIP, :]) + (
        world[..., L.LEFT_SHOULDER, :] - world[..., L.RIGHT_SHOULDER, :]
    )
    out: FloatArray = np.degrees(
        np.arctan2(np.linalg.norm(lateral[..., :2], axis=-1), np.abs(lateral[..., 2]))
    )
    return out


def projection_error_deg(oblique: float) -> float:
    """The most a joint angle in the body's sagittal plane can be misread in the image
    when that plane is turned ``oblique`` degrees from the image plane.

    Turning the plane shortens one of its axes by ``c = cos(oblique)``; a direction at
    ``phi`` from the other axis is seen at ``atan(tan(phi) / c)``, off by at most
    ``atan(1/sqrt(c)) - atan(sqrt(c))`` (at ``tan(phi) = 1/sqrt(c)``), and an angle
    between two directions by twice that: 0 side-on, 4.5 deg at 22.5 deg, 12.9 deg at 37
    deg, 19.8 deg at 45 deg."""
    c = math.cos(math.radians(min(max(oblique, 0.0), 89.0)))
    return 2 * math.degrees(math.atan(1 / math.sqrt(c)) - math.atan(math.sqrt(c)))


def body_in_frame(xy: FloatArray, width: int, height: int) -> BoolArray:
    """Per frame: every ``BODY`` landmark lies inside the image."""
    pts = xy[..., list(BODY), :]
    inside = (
        (pts[..., 0] >= 0) & (pts[..., 0] <= width) & (pts[..., 1] >= 0) & (pts[..., 1] <= height)
    )
    out: BoolArray = np.all(inside, axis=-1)
    return out


def posture(trunk_lean: FloatArray, hip_flexion: FloatArray) -> Posture:
    """Lying when the trunk is nearer horizontal than vertical for most of the clip;
    otherwise sitting when the thighs are nearer level than in line with the trunk (hip
    flexion over 45 deg), else standing. ``hip_flexion`` is (frames, 2)."""
    lean = trunk_lean[np.isfinite(trunk_lean)]
    if len(lean) == 0:
        return "unknown"
    if float(np.median(np.abs(lean))) > 45.0:
        return "lying"
    hips = np.nanmin(hip_flexion, axis=-1) if hip_flexion.ndim > 1 else hip_flexion
    hips = hips[np.isfinite(hips)]
    if len(hips) == 0:
        return "unknown"
    return "sitting" if float(np.median(hips)) > 45.0 else "standing"


def assess(
    xy: FloatArray,
    world: FloatArray,
    visibility: FloatArray,
    found: BoolArray,
    *,
    width: int,
    height: int,
    trunk_lean: FloatArray,
    hip_flexion: FloatArray,
) -> ViewReport:
    frames = len(found)
    person = int(found.sum())
    if person == 0:
        return ViewReport(frames, 0, 0.0, "left", float("nan"), "unknown")
    seen = found & np.all(visibility[:, [L.LEFT_HIP, L.RIGHT_HIP]] >= MIN_VISIBILITY, axis=-1)
    inside = body_in_frame(xy[found], width, height)
    # Two estimates with different errors (image lengths; the model's depth), averaged.
    estimates = []
    if seen.any():
        for values in (oblique_deg(xy[seen], world[seen]), oblique_3d_deg(world[seen])):
            values = values[np.isfinite(values)]
            if len(values):
                estimates.append(float(np.median(values)))
    oblique = np.array(estimates)
    return ViewReport(
        frames=frames,
        person_frames=person,
        in_frame_fraction=float(inside.mean()),
        camera_side=camera_side(world[found], visibility[found]),
        oblique_deg=float(np.mean(oblique)) if len(oblique) else float("nan"),
        posture=posture(trunk_lean[found], hip_flexion[found]),
    )


# -- a live stream, one frame at a time ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameView:
    """What one frame says about the view, kept per frame by a live stream and judged
    over its last second by :func:`judge_frames`: each field is the per-frame part of
    the functions above, in plain floats, so a second of frames is judged in a few
    numpy calls without stacking poses again."""

    ratio: float
    """:func:`oblique_deg`'s clipped ratio (its arcsine is taken over the window)."""
    lateral: tuple[float, float]
    """:func:`oblique_3d_deg`'s ``(y, x)`` (its arctangent is taken over the window)."""
    box: tuple[float, float, float, float] | None
    """The ``BODY`` landmarks' ``(x0, y0, x1, y1)``; ``None`` when one is unknown."""
    facing: float | None
    """This frame's vote in :func:`~nerveglide.motion.angles.facing_votes`."""
    side: tuple[float | None, float | None]
    """This frame's hip and shoulder votes in :func:`camera_side_votes`."""


def _median(ordered: list[float]) -> float | None:
    """``np.median`` of sorted values (the middle one, or the mean of the middle two),
    ``None`` for none."""
    n = len(ordered)
    if n == 0:
        return None
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _ieee_div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else x


def frame_view(xy: FloatArray, world: FloatArray | None, visibility: FloatArray) -> FrameView:
    """The :class:`FrameView` of one frame ((33, 2), (33, 3) or ``None``, (33,))."""
    return frame_view_of(frame_points(xy, world, visibility))


def _length(v: Vec) -> float:
    """``np.linalg.norm`` of one vector, summed in its order (an image point's ``z`` is
    0.0, which adds nothing)."""
    return math.sqrt(_f_dot(v, v))


def _widths_and_trunk(p: Sequence[Vec]) -> tuple[Vec, Vec, float, float]:
    """The hip and shoulder lines (left minus right), their lengths added, and the
    trunk's length (mid-hip to mid-shoulder): :func:`oblique_deg`'s parts of one frame."""
    lh, rh, ls, rs = p[L.LEFT_HIP], p[L.RIGHT_HIP], p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER]
    hips, shoulders = _f_sub(lh, rh), _f_sub(ls, rs)
    trunk = _f_sub(_f_mid(ls, rs), _f_mid(lh, rh))
    return hips, shoulders, _length(hips) + _length(shoulders), _length(trunk)


_BODY_POINTS = itemgetter(*BODY)


def _box(p: Sequence[Vec]) -> tuple[float, float, float, float] | None:
    """The ``BODY`` points' ``(x0, y0, x1, y1)``; ``None`` when one is unknown."""
    body = _BODY_POINTS(p)
    xs = [q[0] for q in body]
    ys = [q[1] for q in body]
    if not all(math.isfinite(v) for v in xs + ys):
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def frame_view_of(points: FramePoints) -> FrameView:
    """The :class:`FrameView` of a frame's :class:`~nerveglide.motion.angles.FramePoints`."""
    _, _, width_px, trunk_px = _widths_and_trunk(points.image)
    box = _box(points.image)
    w = points.world
    if w is None:
        return FrameView(math.nan, (math.nan, math.nan), box, None, (None, None))
    vis = points.visibility
    hips, shoulders, width_m, trunk_m = _widths_and_trunk(w)
    ratio = _ieee_div(_ieee_div(width_px, width_m), _ieee_div(trunk_px, trunk_m))
    ratio = 0.0 if ratio < 0.0 else 1.0 if ratio > 1.0 else ratio
    lateral = (hips[0] + shoulders[0], hips[1] + shoulders[1], hips[2] + shoulders[2])
    lateral_yx = (math.sqrt(lateral[0] * lateral[0] + lateral[1] * lateral[1]), abs(lateral[2]))
    side: list[float | None] = []
    for left, right in ((L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)):
        dz = w[right][2] - w[left][2]
        a, b = vis[left], vis[right]
        weight = a if (a != a or a <= b) else b
        side.append(_sign(dz) * weight if math.isfinite(dz) else None)
    return FrameView(ratio, lateral_yx, box, facing_vote_of(points), (side[0], side[1]))


def judge_frames(
    frames: list[FrameView], width: int, height: int
) -> tuple[float | None, float, float, float]:
    """Over a window of frames: the obliquity (degrees, the mean of the two medians as
    :func:`assess` takes them; ``None`` when unknown), the share of frames with the body
    in a ``width`` x ``height`` picture, and the window's facing and camera-side votes:
    what stacking the window's poses and calling :func:`oblique_deg`,
    :func:`oblique_3d_deg`, :func:`body_in_frame`,
    :func:`~nerveglide.motion.angles.facing_votes` and :func:`camera_side_votes` gives."""
    lateral = np.array([f.lateral for f in frames])
    medians = [
        _median(sorted(x for x in values if math.isfinite(x)))
        for values in (
            np.degrees(np.arcsin([f.ratio for f in frames])).tolist(),
            np.degrees(np.arctan2(lateral[:, 0], lateral[:, 1])).tolist(),
        )
    ]
    known = [m for m in medians if m is not None]
    # np.mean of the one or two medians, in plain floats (the same sum and division).
    oblique = (known[0] if len(known) == 1 else (known[0] + known[1]) / 2) if known else None
    inside = sum(
        1
        for f in frames
        if f.box is not None
        and f.box[0] >= 0
        and f.box[2] <= width
        and f.box[1] >= 0
        and f.box[3] <= height
    )
    in_frame = inside / len(frames)
    facing = [f.facing for f in frames if f.facing is not None]
    # Votes are whole numbers: added in any order they give np.sum's total.
    facing_total = float(sum(facing))
    side = 0.0
    for k in (0, 1):
        side += float(np.sum(np.array([v for f in frames if (v := f.side[k]) is not None])))
    return oblique, in_frame, facing_total, side
