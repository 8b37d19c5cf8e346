"""Joint angles from landmarks: numpy, vectorised over frames, and the same arithmetic
for one frame in plain floats (:func:`measure_frame`, for the live coach; equal to the
vectorised result to the bit).

The angles are defined as in the content schema (``nerveglide.content.schema``) and the
test clips' README, in degrees:

``knee_flexion``
    180 minus the angle hip-knee-ankle; 0 = straight.
``hip_flexion``
    the thigh (hip to knee) against the trunk line (mid-hip to mid-shoulder), in the
    sagittal plane; 0 = in line, + thigh in front of the trunk; sitting upright ~ 90.
``ankle_dorsiflexion``
    90 minus the angle between the shin (ankle to knee) and the sole (heel to toe tip):
    0 with the foot at a right angle to the shin (the goniometric neutral), + toes pulled
    up. (The clips' README measures to the ball of the foot against the standing pose;
    BlazePose has no ball-of-foot point, and the sole line gives the same neutral.)
``trunk_lean``
    the trunk line from the vertical (the image's up), in the sagittal plane; + backwards;
    lying on the back ~ 90.
``neck_flexion``
    the head's forward line (ear to eye, about the Frankfort line, which is level when
    the head is neutral) against the trunk's forward direction, in the sagittal plane;
    + chin towards the chest. Landmark-based, so it has an offset of its own; the coach
    uses its changes (head drop, phase relation), not its absolute value.

Signs need the body's sagittal plane and which way is forward. The plane's normal is the
hip line (left hip to right hip, made square to the trunk); forward is ``normal x up``.
The clip's ``mirror`` (+1 or -1, from :func:`facing_sign`) flips it when the model's 3D
left and right disagree with where the face points.

Two measurements are offered: ``world`` (BlazePose's metric 3D landmarks; view-invariant,
noisier in depth) and ``image`` (2D pixels, exact in a true side view, foreshortened in an
oblique one). :data:`DEFAULT_SOURCE` says which each angle uses, chosen by validation
against the rendered clips' true angles (see ``bench/accuracy.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal

import numpy as np
import numpy.typing as npt

from nerveglide.motion.pose import Landmark as L

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Measure = Literal["world", "image", "clear-image"]

ANGLE_COLUMNS: tuple[str, ...] = (
    "knee_flexion_left",
    "knee_flexion_right",
    "hip_flexion_left",
    "hip_flexion_right",
    "ankle_dorsiflexion_left",
    "ankle_dorsiflexion_right",
    "trunk_lean",
    "neck_flexion",
)
COLUMN = {name: i for i, name in enumerate(ANGLE_COLUMNS)}

#: MediaPipe's own drawing utilities skip a landmark whose visibility is below 0.5
#: (``_VISIBILITY_THRESHOLD`` in ``mediapipe/python/solutions/drawing_utils.py``); an angle
#: that needs such a point is unknown.
MIN_VISIBILITY = 0.5

#: A point the model sees this clearly (visibility 0.9 and up) is in plain view, not
#: guessed behind another body part.
CLEAR_VISIBILITY = 0.9

#: Landmarks each angle needs.
NEEDS: dict[str, tuple[L, ...]] = {
    "knee_flexion_left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
    "knee_flexion_right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    "hip_flexion_left": (
        L.LEFT_HIP,
        L.RIGHT_HIP,
        L.LEFT_SHOULDER,
        L.RIGHT_SHOULDER,
        L.LEFT_KNEE,
    ),
    "hip_flexion_right": (
        L.LEFT_HIP,
        L.RIGHT_HIP,
        L.LEFT_SHOULDER,
        L.RIGHT_SHOULDER,
        L.RIGHT_KNEE,
    ),
    "ankle_dorsiflexion_left": (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    "ankle_dorsiflexion_right": (
        L.RIGHT_KNEE,
        L.RIGHT_ANKLE,
        L.RIGHT_HEEL,
        L.RIGHT_FOOT_INDEX,
    ),
    "trunk_lean": (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    "neck_flexion": (
        L.LEFT_HIP,
        L.RIGHT_HIP,
        L.LEFT_SHOULDER,
        L.RIGHT_SHOULDER,
        L.LEFT_EAR,
        L.RIGHT_EAR,
        L.LEFT_EYE,
        L.RIGHT_EYE,
    ),
}

DEFAULT_SOURCE: dict[str, Measure] = {
    # Side-on, the legs lie close to the image plane: the image angle is the better one,
    # for the hidden leg too (the model's 3D estimate of a hidden leg tends to copy the
    # visible one). Validated on the rendered clips: bench/accuracy.py.
    "knee_flexion_left": "image",
    "knee_flexion_right": "image",
    "hip_flexion_left": "world",
    "hip_flexion_right": "world",
    # The foot's small points are placed better in the image than in 3D.
    "ankle_dorsiflexion_left": "image",
    "ankle_dorsiflexion_right": "image",
    "trunk_lean": "world",
    "neck_flexion": "world",
}


# The helpers below are written with few numpy calls each: the live coach measures one
# frame at a time, where numpy's per-call overhead, not the arithmetic, is the cost.


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = (a * b).sum(axis=-1)
    return out


def _unit(v: FloatArray) -> FloatArray:
    """``v`` scaled to length 1 (NaN for a zero vector; callers silence the warning)."""
    out: FloatArray = v / np.sqrt(_dot(v, v))[..., None]
    return out


_YZX = np.array([1, 2, 0])
_ZXY = np.array([2, 0, 1])


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cross product of 3-vectors (last axis)."""
    out: FloatArray = a[..., _YZX] * b[..., _ZXY] - a[..., _ZXY] * b[..., _YZX]
    return out


def _angle_between(a: FloatArray, b: FloatArray) -> FloatArray:
    cos = np.clip(_dot(_unit(a), _unit(b)), -1.0, 1.0)
    out: FloatArray = np.degrees(np.arccos(cos))
    return out


def _signed_angle(a: FloatArray, b: FloatArray, axis: FloatArray) -> FloatArray:
    n = _unit(axis)
    a_p = a - _dot(a, n)[..., None] * n
    b_p = b - _dot(b, n)[..., None] * n
    out: FloatArray = np.degrees(np.arctan2(_dot(_cross(a_p, b_p), n), _dot(a_p, b_p)))
    return out


def angle_between(a: FloatArray, b: FloatArray) -> FloatArray:
    """Unsigned angle between vectors (last axis), degrees, 0..180."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _angle_between(a, b)


def signed_angle(a: FloatArray, b: FloatArray, axis: FloatArray) -> FloatArray:
    """Angle from ``a`` to ``b`` about ``axis`` (right-hand rule), degrees, -180..180.
    ``a`` and ``b`` are projected onto the plane square to ``axis`` first."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _signed_angle(a, b, axis)


def _as3d(points: FloatArray) -> FloatArray:
    if points.shape[-1] == 3:
        return points
    pad = np.zeros((*points.shape[:-1], 1))
    return np.concatenate([points, pad], axis=-1)


def body_axes(points: FloatArray, mirror: float = 1.0) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(up, left, forward)`` unit vectors of the body per frame, in the points' frame
    (x right, y down, z away from the camera). ``points`` is (..., 33, 3)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _body_axes(points, mirror)


def _body_axes(points: FloatArray, mirror: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    mid_hip = (points[..., L.LEFT_HIP, :] + points[..., L.RIGHT_HIP, :]) / 2
    mid_shoulder = (points[..., L.LEFT_SHOULDER, :] + points[..., L.RIGHT_SHOULDER, :]) / 2
    up = _unit(mid_shoulder - mid_hip)
    hips: FloatArray = points[..., L.LEFT_HIP, :] - points[..., L.RIGHT_HIP, :]
    shoulders: FloatArray = points[..., L.LEFT_SHOULDER, :] - points[..., L.RIGHT_SHOULDER, :]
    lateral: FloatArray = hips + shoulders
    lateral = lateral - _dot(lateral, up)[..., None] * up
    left = _unit(lateral) * mirror
    forward = _unit(_cross(left, up))
    return up, left, forward


def _image_axes(
    points: FloatArray, camera_sees_left: BoolArray | bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Body axes for 2D points seen side-on: the sagittal plane is the image plane, and
    the body's left points at the camera (-z) when the camera sees the left side."""
    mid_hip = (points[..., L.LEFT_HIP, :] + points[..., L.RIGHT_HIP, :]) / 2
    mid_shoulder = (points[..., L.LEFT_SHOULDER, :] + points[..., L.RIGHT_SHOULDER, :]) / 2
    up = _unit(mid_shoulder - mid_hip)
    sign = np.where(np.asarray(camera_sees_left), -1.0, 1.0)
    left = np.zeros_like(up)
    left[..., 2] = sign
    forward = _unit(_cross(left, up))
    return up, left, forward


_LEGS = (
    [L.LEFT_HIP, L.RIGHT_HIP],
    [L.LEFT_KNEE, L.RIGHT_KNEE],
    [L.LEFT_ANKLE, L.RIGHT_ANKLE],
    [L.LEFT_HEEL, L.RIGHT_HEEL],
    [L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX],
)


def _angles_from(
    p: FloatArray, up: FloatArray, left: FloatArray, forward: FloatArray
) -> FloatArray:
    """The angles of :data:`ANGLE_COLUMNS`, (..., 8)."""
    vertical = np.zeros_like(up)
    vertical[..., 1] = -1.0
    # Both legs at once: (..., 2, 3), left then right.
    hip, knee, ankle, heel, toe = (p[..., i, :] for i in _LEGS)
    thigh = knee - hip
    shank = ankle - knee
    sole = toe - heel
    knee_flexion = _angle_between(thigh, shank)
    # From "down the trunk" to the thigh: + towards forward (about -left).
    hip_flexion = _signed_angle(-up[..., None, :], thigh, -left[..., None, :])
    ankle_dorsiflexion = 90.0 - _angle_between(-shank, sole)
    # From the vertical to the trunk line: + backwards (about -left).
    trunk_lean = _signed_angle(vertical, up, -left)
    ears = (p[..., L.LEFT_EAR, :] + p[..., L.RIGHT_EAR, :]) / 2
    eyes = (p[..., L.LEFT_EYE, :] + p[..., L.RIGHT_EYE, :]) / 2
    # From forward to the ear-eye line: + down towards the chest (about +left).
    neck_flexion = _signed_angle(forward, eyes - ears, left)
    # In ANGLE_COLUMNS order.
    out: FloatArray = np.concatenate(
        [
            knee_flexion,
            hip_flexion,
            ankle_dorsiflexion,
            trunk_lean[..., None],
            neck_flexion[..., None],
        ],
        axis=-1,
    )
    return out


#: (8, 33): which landmarks each angle of :data:`ANGLE_COLUMNS` needs.
_NEEDED = np.array([[i in NEEDS[name] for i in range(33)] for name in ANGLE_COLUMNS])


def visible(visibility: FloatArray, min_visibility: float = MIN_VISIBILITY) -> BoolArray:
    """(..., 8): whether every landmark each angle needs is visible enough."""
    seen = np.asarray(visibility)[..., None, :] >= min_visibility
    out: BoolArray = np.all(seen | ~_NEEDED, axis=-1)
    return out


def measure(
    xy: FloatArray,
    world: FloatArray,
    visibility: FloatArray,
    *,
    mirror: float = 1.0,
    camera_sees_left: bool = True,
    source: dict[str, Measure] | None = None,
) -> FloatArray:
    """The angles of :data:`ANGLE_COLUMNS` for (..., 33) landmarks: (..., 8) degrees,
    NaN where a needed landmark is not visible (or the pose is missing)."""
    return measure_each(
        xy,
        world,
        visibility,
        mirror=mirror,
        camera_sees_left=camera_sees_left,
        sources=(source or DEFAULT_SOURCE,),
    )[0]


IMAGE_ONLY: dict[str, Measure] = dict.fromkeys(ANGLE_COLUMNS, "image")
"""Every angle from the image alone."""


def measure_each(
    xy: FloatArray,
    world: FloatArray,
    visibility: FloatArray,
    *,
    mirror: float = 1.0,
    camera_sees_left: bool = True,
    sources: Sequence[dict[str, Measure]],
) -> list[FloatArray]:
    """:func:`measure` for several choices of source at once (each geometry computed
    once): one (..., 8) array per item of ``sources``."""
    choices = [c for choice in sources for c in choice.values()]
    need_world = any(v in ("world", "clear-image") for v in choices)
    need_image = any(v in ("image", "clear-image") for v in choices)
    shape = (*visibility.shape[:-1], len(ANGLE_COLUMNS))
    by_world = by_image = np.full(shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if need_world:
            by_world = _angles_from(world, *_body_axes(world, mirror))
        if need_image:
            p2 = _as3d(xy)
            by_image = _angles_from(p2, *_image_axes(p2, camera_sees_left))
    seen = visible(visibility)
    clear = visible(visibility, CLEAR_VISIBILITY)
    out: list[FloatArray] = []
    for choice in sources:
        how = [choice[name] for name in ANGLE_COLUMNS]
        image = np.array([h == "image" for h in how])
        either = np.array([h == "clear-image" for h in how])
        use_image = image | (either & clear)
        result: FloatArray = np.where(use_image, by_image, by_world)
        result[~(seen & np.isfinite(result))] = np.nan
        out.append(result)
    return out


def facing_votes(world: FloatArray, visibility: FloatArray) -> float:
    """The frames (..., 33, 3) voting that the model's 3D left/right agree with where
    the face points (+1 each) minus those voting they are mirrored (-1 each); frames
    without a clear nose don't vote. The face points forward: the nose is in front of
    the ears. Votes add up, so a live stream can keep a running total."""
    with np.errstate(invalid="ignore", divide="ignore"):
        _, _, forward = _body_axes(world, 1.0)
        ears = (world[..., L.LEFT_EAR, :] + world[..., L.RIGHT_EAR, :]) / 2
        face = world[..., L.NOSE, :] - ears
        along = _dot(face, forward)
    ok = (visibility[..., L.NOSE] >= MIN_VISIBILITY) & np.isfinite(along)
    return float(np.sum(np.sign(along[ok]))) if ok.any() else 0.0


def facing_sign(world: FloatArray, visibility: FloatArray) -> float:
    """+1 when the model's 3D left/right agree with where the face points, -1 when they
    are mirrored, over a clip's frames (:func:`facing_votes`)."""
    return 1.0 if facing_votes(world, visibility) >= 0 else -1.0


# -- one frame in plain floats ------------------------------------------------------------
#
# The live coach measures one frame at a time, where even a few numpy calls per helper
# cost more than the arithmetic. The functions below compute exactly what the vectorised
# ones above compute for a single frame, in the same order of operations, on Python
# floats; the inverse trigonometric functions of a frame go to numpy in one call each
# (numpy's and ``math``'s differ in the last bit), so the results are equal to the bit.
# A test (tests/unit/motion/test_angles.py) holds the two paths equal on random and
# real poses.

Vec = tuple[float, float, float]

#: Per angle of :data:`ANGLE_COLUMNS`, the landmark indices it needs.
_NEEDED_INDICES: tuple[tuple[int, ...], ...] = tuple(
    tuple(int(i) for i in NEEDS[name]) for name in ANGLE_COLUMNS
)
_NAN = float("nan")


def _div(a: float, b: float) -> float:
    """``a / b`` as numpy divides (IEEE: NaN or +-inf for a zero divisor)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return _NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _f_dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _f_sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _f_mid(a: Vec, b: Vec) -> Vec:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2)


def _f_scale(a: Vec, k: float) -> Vec:
    return (a[0] * k, a[1] * k, a[2] * k)


def _f_neg(a: Vec) -> Vec:
    return (-a[0], -a[1], -a[2])


def _f_unit(v: Vec) -> Vec:
    x, y, z = v
    d = x * x + y * y + z * z
    n = math.sqrt(d) if d >= 0 else d  # NaN stays NaN
    try:
        return (x / n, y / n, z / n)
    except ZeroDivisionError:
        return (_div(x, n), _div(y, n), _div(z, n))


def _f_cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _f_cos(a: Vec, b: Vec) -> float:
    """The clipped cosine :func:`_angle_between` takes the arccos of."""
    c = _f_dot(_f_unit(a), _f_unit(b))
    return -1.0 if c < -1.0 else 1.0 if c > 1.0 else c


def _f_signed(a: Vec, b: Vec, n: Vec) -> tuple[float, float]:
    """The ``(y, x)`` :func:`_signed_angle` takes the arctan2 of, ``n`` being its
    ``_unit(axis)``."""
    n0, n1, n2 = n
    a0, a1, a2 = a
    b0, b1, b2 = b
    da = a0 * n0 + a1 * n1 + a2 * n2
    db = b0 * n0 + b1 * n1 + b2 * n2
    a0, a1, a2 = a0 - n0 * da, a1 - n1 * da, a2 - n2 * da
    b0, b1, b2 = b0 - n0 * db, b1 - n1 * db, b2 - n2 * db
    c0, c1, c2 = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0
    return c0 * n0 + c1 * n1 + c2 * n2, a0 * b0 + a1 * b1 + a2 * b2


def _f_body_axes(p: Sequence[Vec], mirror: float) -> tuple[Vec, Vec, Vec]:
    """:func:`_body_axes` of one frame."""
    mid_hip = _f_mid(p[L.LEFT_HIP], p[L.RIGHT_HIP])
    mid_shoulder = _f_mid(p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER])
    up = _f_unit(_f_sub(mid_shoulder, mid_hip))
    hips = _f_sub(p[L.LEFT_HIP], p[L.RIGHT_HIP])
    shoulders = _f_sub(p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER])
    lateral = (hips[0] + shoulders[0], hips[1] + shoulders[1], hips[2] + shoulders[2])
    lateral = _f_sub(lateral, _f_scale(up, _f_dot(lateral, up)))
    left = _f_scale(_f_unit(lateral), mirror)
    forward = _f_unit(_f_cross(left, up))
    return up, left, forward


def _f_image_axes(p: Sequence[Vec], camera_sees_left: bool) -> tuple[Vec, Vec, Vec]:
    """:func:`_image_axes` of one frame."""
    mid_hip = _f_mid(p[L.LEFT_HIP], p[L.RIGHT_HIP])
    mid_shoulder = _f_mid(p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER])
    up = _f_unit(_f_sub(mid_shoulder, mid_hip))
    left = (0.0, 0.0, -1.0 if camera_sees_left else 1.0)
    forward = _f_unit(_f_cross(left, up))
    return up, left, forward


_VERTICAL: Vec = (0.0, -1.0, 0.0)
#: Per leg (left, right): hip, knee, ankle, heel and toe indices.
_LEG_INDICES = tuple(tuple(int(pair[side]) for pair in _LEGS) for side in (0, 1))


def _f_arguments(
    p: Sequence[Vec], up: Vec, left: Vec, forward: Vec, cos: list[float], yx: list[float]
) -> None:
    """Append to ``cos`` the 4 arccos arguments (knees, ankles: left then right) and to
    ``yx`` the 4 arctan2 argument pairs (hips left and right, trunk, neck) of
    :func:`_angles_from` for one frame."""
    down = _f_neg(up)
    right = _f_unit(_f_neg(left))
    thighs = []
    for legs in _LEG_INDICES:
        hip, knee, ankle, heel, toe = (p[i] for i in legs)
        thigh = _f_sub(knee, hip)
        shank = _f_sub(ankle, knee)
        thighs.append(thigh)
        cos.append(_f_cos(thigh, shank))
        cos.append(_f_cos(_f_neg(shank), _f_sub(toe, heel)))
    for thigh in thighs:
        yx.extend(_f_signed(down, thigh, right))
    yx.extend(_f_signed(_VERTICAL, up, right))
    ears = _f_mid(p[L.LEFT_EAR], p[L.RIGHT_EAR])
    eyes = _f_mid(p[L.LEFT_EYE], p[L.RIGHT_EYE])
    yx.extend(_f_signed(forward, _f_sub(eyes, ears), _f_unit(left)))


def _f_angles(acos: list[float], atan: list[float]) -> list[float]:
    """One geometry's 4 arccos and 4 arctan2 results (radians) as the 8 angles of
    :data:`ANGLE_COLUMNS` (degrees), in the order :func:`_f_arguments` gave them."""
    d = 180.0 / math.pi
    return [
        acos[0] * d,  # knee, left
        acos[2] * d,  # knee, right
        atan[0] * d,  # hip, left
        atan[1] * d,  # hip, right
        90.0 - acos[1] * d,  # ankle, left
        90.0 - acos[3] * d,  # ankle, right
        atan[2] * d,  # trunk
        atan[3] * d,  # neck
    ]


_NEEDED_GETTERS = tuple(itemgetter(*idx) for idx in _NEEDED_INDICES)


def visible_frame(visibility: Sequence[float]) -> tuple[list[bool], list[bool]]:
    """:func:`visible` for one frame's 33 visibilities at both levels in one pass: per
    angle, whether its points are seen (``MIN_VISIBILITY``) and whether they are clear
    (``CLEAR_VISIBILITY``). Each point gets a level (0 unseen, 1 seen, 2 clear; NaN
    unseen), each angle the lowest of its points'."""
    level = [2 if v >= CLEAR_VISIBILITY else 1 if v >= MIN_VISIBILITY else 0 for v in visibility]
    lowest = [min(get(level)) for get in _NEEDED_GETTERS]
    return [m >= 1 for m in lowest], [m >= 2 for m in lowest]


@dataclass(slots=True)
class FramePoints:
    """One frame's landmarks as Python floats, each array converted once and shared by
    the per-frame functions (:func:`measure_points`, :func:`facing_vote_of`,
    :func:`~nerveglide.motion.view.frame_view_of`)."""

    image: list[Vec]
    """The image points as the 3D code takes them: ``(x, y, 0.0)``."""
    world: list[Vec] | None
    """The model's 3D points; ``None`` when it gave none."""
    visibility: list[float]
    _body: tuple[Vec, Vec, Vec] | None = field(default=None, repr=False)

    def body_axes(self, mirror: float) -> tuple[Vec, Vec, Vec]:
        """:func:`_body_axes` of the 3D points (those with ``mirror`` 1 are kept: the
        facing vote and the angles both take them)."""
        assert self.world is not None
        if mirror != 1.0:
            return _f_body_axes(self.world, mirror)
        if self._body is None:
            self._body = _f_body_axes(self.world, 1.0)
        return self._body


def frame_points(xy: FloatArray, world: FloatArray | None, visibility: FloatArray) -> FramePoints:
    """One frame's (33, 2), (33, 3) or ``None``, and (33,) arrays as :class:`FramePoints`."""
    return FramePoints(
        image=[(x, y, 0.0) for x, y in xy.tolist()],
        world=None if world is None else [(x, y, z) for x, y, z in world.tolist()],
        visibility=visibility.tolist(),
    )


def measure_frame(
    xy: FloatArray,
    world: FloatArray | None,
    visibility: FloatArray,
    *,
    mirror: float = 1.0,
    camera_sees_left: bool = True,
    sources: Sequence[dict[str, Measure]],
) -> list[list[float]]:
    """:func:`measure_each` for one frame ((33, 2), (33, 3) or ``None`` when the model
    gave no 3D, (33,)), as lists of 8 floats: equal to it to the bit, several times
    faster (see the comment above)."""
    angles, _ = measure_points(
        frame_points(xy, world, visibility),
        mirror=mirror,
        camera_sees_left=camera_sees_left,
        sources=sources,
    )
    return angles


def measure_points(
    points: FramePoints,
    *,
    mirror: float = 1.0,
    camera_sees_left: bool = True,
    sources: Sequence[dict[str, Measure]],
) -> tuple[list[list[float]], list[bool]]:
    """:func:`measure_frame` of a frame's :class:`FramePoints`, and its clear flags (what
    :func:`visible_frame` gives), worked out once."""
    choices = [c for choice in sources for c in choice.values()]
    need_world = points.world is not None and any(v in ("world", "clear-image") for v in choices)
    need_image = any(v in ("image", "clear-image") for v in choices)
    cos: list[float] = []
    yx: list[float] = []
    if need_image:
        p2 = points.image
        _f_arguments(p2, *_f_image_axes(p2, camera_sees_left), cos, yx)
    if need_world:
        assert points.world is not None
        _f_arguments(points.world, *points.body_axes(mirror), cos, yx)
    by_image = by_world = [_NAN] * len(ANGLE_COLUMNS)
    if cos:
        acos = np.arccos(cos).tolist()
        pairs = np.array(yx).reshape(-1, 2)
        atan = np.arctan2(pairs[:, 0], pairs[:, 1]).tolist()
        if need_image:
            by_image = _f_angles(acos[:4], atan[:4])
        if need_world:
            by_world = _f_angles(acos[-4:], atan[-4:])
    seen, clear = visible_frame(points.visibility)
    out: list[list[float]] = []
    for choice in sources:
        result = []
        for k, name in enumerate(ANGLE_COLUMNS):
            how = choice[name]
            use_image = how == "image" or (how == "clear-image" and clear[k])
            value = by_image[k] if use_image else by_world[k]
            result.append(value if seen[k] and math.isfinite(value) else _NAN)
        out.append(result)
    return out, clear


def facing_vote_frame(
    world: Sequence[Sequence[float]], visibility: Sequence[float]
) -> float | None:
    """One frame's vote in :func:`facing_votes` (33 points of 3 floats, 33
    visibilities): +1, -1 or 0, ``None`` when the frame doesn't vote."""
    p: list[Vec] = [(x, y, z) for x, y, z in world]
    return _facing_vote(p, _f_body_axes(p, 1.0)[2], visibility)


def facing_vote_of(points: FramePoints) -> float | None:
    """:func:`facing_vote_frame` of a frame's :class:`FramePoints` with 3D points."""
    assert points.world is not None
    return _facing_vote(points.world, points.body_axes(1.0)[2], points.visibility)


def _facing_vote(p: Sequence[Vec], forward: Vec, visibility: Sequence[float]) -> float | None:
    ears = _f_mid(p[L.LEFT_EAR], p[L.RIGHT_EAR])
    along = _f_dot(_f_sub(p[L.NOSE], ears), forward)
    if not (visibility[L.NOSE] >= MIN_VISIBILITY and math.isfinite(along)):
        return None
    return 1.0 if along > 0 else -1.0 if along < 0 else 0.0
