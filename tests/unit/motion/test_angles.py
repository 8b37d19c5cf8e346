"""Joint angles from landmarks, on figures posed at known angles."""

from __future__ import annotations

import numpy as np
import pytest

from nerveglide.domain.timeline import PoseAngles
from nerveglide.motion.angles import ANGLE_COLUMNS, COLUMN, measure, signed_angle
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
