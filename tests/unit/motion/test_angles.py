"""Joint angles from landmarks, on figures posed at known angles."""

from __future__ import annotations

import numpy as np
import pytest

from nerveglide.domain.timeline import PoseAngles
from nerveglide.motion.angles import (
    ANGLE_COLUMNS,
    COLUMN,
    DEFAULT_SOURCE,
    IMAGE_ONLY,
    FloatArray,
    Measure,
    facing_vote_frame,
    facing_votes,
    measure,
    measure_each,
    measure_frame,
    signed_angle,
    visible,
    visible_frame,
)
from tests.unit.motion.skeleton import figure


def pose(**kw: float) -> PoseAngles:
    base = {
        "trunk_lean": 0.0,
        "neck_flexion": 0.0,
        "hip_flexion": 90.0,
        "knee_flexion": 90.0,
        "ankle_dorsiflexion": 0.0,
        "other_hip_flexion": 90.0,
        "other_knee_flexion": 90.0,
        "other_ankle_dorsiflexion": 0.0,
    }
    base.update(kw)
    return PoseAngles(**base)


def angles_of(
    p: PoseAngles, *, sees_left: bool = True, exercising: str = "left"
) -> dict[str, float]:
    world = figure(p, sees_left=sees_left, exercising=exercising)[None]
    xy = world[..., :2] * 300.0 + 500.0
    vis = np.full((1, 33), 0.99)
    out = measure(xy, world, vis, camera_sees_left=sees_left)[0]
    return dict(zip(ANGLE_COLUMNS, out, strict=True))


@pytest.mark.parametrize("sees_left", [True, False])
@pytest.mark.parametrize(
    "angles",
    [
        {"knee_flexion": 0.0, "hip_flexion": 0.0},
        {"knee_flexion": 45.0, "hip_flexion": 95.0, "trunk_lean": 15.0},
        {"knee_flexion": 125.0, "neck_flexion": 35.0},
        {
            "knee_flexion": 20.0,
            "hip_flexion": 90.0,
            "trunk_lean": 90.0,
            "ankle_dorsiflexion": 15.0,
            "other_hip_flexion": 0.0,
            "other_knee_flexion": 0.0,
        },
        {
            "knee_flexion": 90.0,
            "trunk_lean": -15.0,
            "ankle_dorsiflexion": -25.0,
            "neck_flexion": -10.0,
        },
    ],
)
def test_angles_come_back_as_posed_from_either_side(sees_left, angles):
    p = pose(**angles)
    got = angles_of(p, sees_left=sees_left)
    assert got["knee_flexion_left"] == pytest.approx(p.knee_flexion, abs=0.01)
    assert got["hip_flexion_left"] == pytest.approx(p.hip_flexion, abs=0.01)
    assert got["ankle_dorsiflexion_left"] == pytest.approx(p.ankle_dorsiflexion, abs=0.01)
    assert got["knee_flexion_right"] == pytest.approx(p.other_knee_flexion, abs=0.01)
    assert got["hip_flexion_right"] == pytest.approx(p.other_hip_flexion, abs=0.01)
    assert got["trunk_lean"] == pytest.approx(p.trunk_lean, abs=0.01)
    assert got["neck_flexion"] == pytest.approx(p.neck_flexion, abs=0.01)


def test_leaning_back_is_positive_and_lying_on_the_back_is_90():
    assert angles_of(pose(trunk_lean=20.0))["trunk_lean"] > 0
    assert angles_of(pose(trunk_lean=-20.0))["trunk_lean"] < 0
    assert angles_of(pose(trunk_lean=90.0))["trunk_lean"] == pytest.approx(90.0, abs=0.01)


def test_a_hidden_joint_is_unknown_not_a_wrong_angle():
    p = pose(knee_flexion=30.0)
    world = figure(p)[None]
    xy = world[..., :2] * 300.0 + 500.0
    vis = np.full((1, 33), 0.99)
    vis[0, 27] = 0.2  # left ankle hidden
    out = measure(xy, world, vis)[0]
    assert np.isnan(out[COLUMN["knee_flexion_left"]])
    assert np.isnan(out[COLUMN["ankle_dorsiflexion_left"]])
    assert out[COLUMN["hip_flexion_left"]] == pytest.approx(90.0, abs=0.01)
    assert out[COLUMN["knee_flexion_right"]] == pytest.approx(90.0, abs=0.01)


def test_a_missing_pose_gives_unknown_everywhere():
    nan = np.full((1, 33, 3), np.nan)
    out = measure(nan[..., :2], nan, np.zeros((1, 33)))
    assert np.isnan(out).all()


def test_signed_angle_follows_the_right_hand_rule():
    x, y, z = np.eye(3)
    assert signed_angle(x, y, z) == pytest.approx(90.0)
    assert signed_angle(y, x, z) == pytest.approx(-90.0)
    # components along the axis are ignored
    assert signed_angle(x + z, y + 3 * z, z) == pytest.approx(90.0)


def random_frames(seed: int, n: int) -> list[tuple[FloatArray, FloatArray | None, FloatArray]]:
    """Random poses with the awkward cases: unknown points, points seen too faintly,
    coincident points (zero-length segments), no 3D."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        xy = rng.uniform(-50, 1000, (33, 2))
        world = rng.normal(size=(33, 3))
        vis = rng.uniform(0.0, 1.0, 33)
        if i % 7 == 1:
            xy[rng.integers(0, 33, 3)] = np.nan
            world[rng.integers(0, 33, 3)] = np.nan
        if i % 7 == 2:
            xy[26] = xy[24]  # a zero-length thigh
            world[26] = world[24]
            world[11], world[12] = world[23], world[24]  # trunk of no length
        if i % 7 == 3:
            vis[:] = 0.99
        frames.append((xy, None if i % 5 == 4 else world, vis))
    return frames


@pytest.mark.parametrize("mirror", [1.0, -1.0])
@pytest.mark.parametrize("sees_left", [True, False])
def test_one_frame_in_plain_floats_equals_the_vectorised_measure(mirror, sees_left):
    either: dict[str, Measure] = dict.fromkeys(ANGLE_COLUMNS, "clear-image")
    sources = (DEFAULT_SOURCE, IMAGE_ONLY, either)
    frames = random_frames(int(mirror > 0) + 2 * sees_left, 400)
    # and the figure posed, slightly noisy, as a real side view gives it
    rng = np.random.default_rng(3)
    for k in range(40):
        world = figure(pose(knee_flexion=3.0 * k, hip_flexion=2.0 * k), sees_left=sees_left)
        world = world + rng.normal(0, 0.01, world.shape)
        frames.append((world[:, :2] * 300 + 500, world, np.full(33, 0.95)))
    xy = np.stack([f[0] for f in frames])
    world = np.stack([f[1] if f[1] is not None else np.full((33, 3), np.nan) for f in frames])
    vis = np.stack([f[2] for f in frames])
    batch = measure_each(xy, world, vis, mirror=mirror, camera_sees_left=sees_left, sources=sources)
    for i, (x, w, v) in enumerate(frames):
        fast = measure_frame(x, w, v, mirror=mirror, camera_sees_left=sees_left, sources=sources)
        one = measure_each(
            x, world[i], v, mirror=mirror, camera_sees_left=sees_left, sources=sources
        )
        for k in range(len(sources)):
            # equal to the bit (NaN where unknown), to one frame's and to the batch's
            assert np.array_equal(np.array(fast[k]), one[k], equal_nan=True)
            assert np.array_equal(np.array(fast[k]), batch[k][i], equal_nan=True)
    assert np.isfinite(batch[0]).sum() > 100  # the comparison was not of NaNs alone


def test_one_frames_visibility_and_facing_vote_equal_the_vectorised_ones():
    for _xy, world, vis in random_frames(9, 300):
        seen, clear = visible_frame(vis.tolist())
        assert seen == visible(vis).tolist()
        assert clear == visible(vis, 0.9).tolist()
        if world is None:
            continue
        vote = facing_vote_frame(world.tolist(), vis.tolist())
        assert (0.0 if vote is None else vote) == facing_votes(world[None], vis[None])
