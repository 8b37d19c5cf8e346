"""Joint angles from landmarks: pure numpy, vectorised over frames.

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


def _unit(v: FloatArray) -> FloatArray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = v / norm
    return out


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = np.einsum("...i,...i->...", a, b)
    return out


def angle_between(a: FloatArray, b: FloatArray) -> FloatArray:
    """Unsigned angle between vectors (last axis), degrees, 0..180."""
    cos = np.clip(_dot(_unit(a), _unit(b)), -1.0, 1.0)
    out: FloatArray = np.degrees(np.arccos(cos))
    return out


def signed_angle(a: FloatArray, b: FloatArray, axis: FloatArray) -> FloatArray:
    """Angle from ``a`` to ``b`` about ``axis`` (right-hand rule), degrees, -180..180.
    ``a`` and ``b`` are projected onto the plane square to ``axis`` first."""
    n = _unit(axis)
    a_p = a - _dot(a, n)[..., None] * n
    b_p = b - _dot(b, n)[..., None] * n
    out: FloatArray = np.degrees(np.arctan2(_dot(np.cross(a_p, b_p), n), _dot(a_p, b_p)))
    return out


def _as3d(points: FloatArray) -> FloatArray:
    if points.shape[-1] == 3:
        return points
    pad = np.zeros((*points.shape[:-1], 1))
    return np.concatenate([points, pad], axis=-1)


def body_axes(points: FloatArray, mirror: float = 1.0) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(up, left, forward)`` unit vectors of the body per frame, in the points' frame
    (x right, y down, z away from the camera). ``points`` is (..., 33, 3)."""
    mid_hip = (points[..., L.LEFT_HIP, :] + points[..., L.RIGHT_HIP, :]) / 2
    mid_shoulder = (points[..., L.LEFT_SHOULDER, :] + points[..., L.RIGHT_SHOULDER, :]) / 2
    up = _unit(mid_shoulder - mid_hip)
    hips: FloatArray = points[..., L.LEFT_HIP, :] - points[..., L.RIGHT_HIP, :]
    shoulders: FloatArray = points[..., L.LEFT_SHOULDER, :] - points[..., L.RIGHT_SHOULDER, :]
    lateral: FloatArray = hips + shoulders
    lateral = lateral - _dot(lateral, up)[..., None] * up
    left = _unit(lateral) * mirror
    forward = _unit(np.cross(left, up))
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
    forward = _unit(np.cross(left, up))
    return up, left, forward


def _angles_from(
    p: FloatArray, up: FloatArray, left: FloatArray, forward: FloatArray
) -> dict[str, FloatArray]:
    vertical = np.zeros_like(up)
    vertical[..., 1] = -1.0
    out: dict[str, FloatArray] = {}
    for side, hip, knee, ankle, heel, toe in (
        ("left", L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        ("right", L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    ):
        thigh = p[..., knee, :] - p[..., hip, :]
        shank = p[..., ankle, :] - p[..., knee, :]
        out[f"knee_flexion_{side}"] = angle_between(thigh, shank)
        # From "down the trunk" to the thigh: + towards forward (about -left).
        out[f"hip_flexion_{side}"] = signed_angle(-up, thigh, -left)
        sole = p[..., toe, :] - p[..., heel, :]
        out[f"ankle_dorsiflexion_{side}"] = 90.0 - angle_between(-shank, sole)
    # From the vertical to the trunk line: + backwards (about -left).
    out["trunk_lean"] = signed_angle(vertical, up, -left)
    ears = (p[..., L.LEFT_EAR, :] + p[..., L.RIGHT_EAR, :]) / 2
    eyes = (p[..., L.LEFT_EYE, :] + p[..., L.RIGHT_EYE, :]) / 2
    # From forward to the ear-eye line: + down towards the chest (about +left).
    out["neck_flexion"] = signed_angle(forward, eyes - ears, left)
    return out


def visible(visibility: FloatArray, min_visibility: float = MIN_VISIBILITY) -> BoolArray:
    """(..., 8): whether every landmark each angle needs is visible enough."""
    columns = [
        np.all(visibility[..., list(NEEDS[name])] >= min_visibility, axis=-1)
        for name in ANGLE_COLUMNS
    ]
    out: BoolArray = np.stack(columns, axis=-1)
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
    choice = source or DEFAULT_SOURCE
    result = np.full((*visibility.shape[:-1], len(ANGLE_COLUMNS)), np.nan)
    need_world = any(v in ("world", "clear-image") for v in choice.values())
    need_image = any(v in ("image", "clear-image") for v in choice.values())
    by_world: dict[str, FloatArray] = {}
    by_image: dict[str, FloatArray] = {}
    if need_world:
        with np.errstate(invalid="ignore"):
            by_world = _angles_from(world, *body_axes(world, mirror))
    if need_image:
        p2 = _as3d(xy)
        with np.errstate(invalid="ignore"):
            by_image = _angles_from(p2, *_image_axes(p2, camera_sees_left))
    for i, name in enumerate(ANGLE_COLUMNS):
        how = choice[name]
        if how == "clear-image":
            clear = np.all(visibility[..., list(NEEDS[name])] >= CLEAR_VISIBILITY, axis=-1)
            result[..., i] = np.where(clear, by_image[name], by_world[name])
            continue
        result[..., i] = by_world[name] if how == "world" else by_image[name]
    ok = visible(visibility) & np.isfinite(result)
    result[~ok] = np.nan
    return result


def facing_sign(world: FloatArray, visibility: FloatArray) -> float:
    """+1 when the model's 3D left/right agree with where the face points, -1 when they
    are mirrored, over a clip's frames (..., 33, 3). The face points forward: the nose
    is in front of the ears."""
    _, _, forward = body_axes(world)
    ears = (world[..., L.LEFT_EAR, :] + world[..., L.RIGHT_EAR, :]) / 2
    face = world[..., L.NOSE, :] - ears
    ok = (visibility[..., L.NOSE] >= MIN_VISIBILITY) & np.isfinite(_dot(face, forward))
    if not ok.any():
        return 1.0
    votes = np.sign(_dot(face, forward)[ok])
    return 1.0 if float(np.sum(votes)) >= 0 else -1.0
