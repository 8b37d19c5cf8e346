from __future__ import annotations

import math
from typing import Any

import pytest

from nerveglide.content.schema import BodyPose, ReferenceMotion
from nerveglide.domain.timeline import (
    PoseAngles,
    Timeline,
    ease_in_out,
    phase_at,
    pose_at,
)


def pose(knee: float, *, neck: float = 0.0, trunk: float = 0.0) -> dict[str, Any]:
    return {
        "trunk_lean": trunk,
        "neck_flexion": neck,
        "leg": {"hip_flexion": 90, "knee_flexion": knee, "ankle_dorsiflexion": 0},
        "other_leg": {"hip_flexion": 90, "knee_flexion": 90, "ankle_dorsiflexion": 0},
    }


def phase(pid: str, kind: str, seconds: float, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": pid,
        "kind": kind,
        "step": "demo.step",
        "cue": f"cue {pid}",
        "duration": {"seconds": seconds},
        "pose": body,
    }


BENT, STRAIGHT = pose(90, neck=30), pose(10, neck=-10)

# start 0-2, move 2-6, hold 6-9, return 9-12, rest 12-13
MOTION = ReferenceMotion.model_validate(
    {
        "support": "chair",
        "primary_joint": "knee_flexion",
        "phases": [
            phase("start", "start", 2, BENT),
            phase("move", "move", 4, STRAIGHT),
            phase("hold", "hold", 3, STRAIGHT),
            phase("return", "return", 3, BENT),
            phase("rest", "rest", 1, BENT),
        ],
    }
)


def test_phase_at_finds_the_phase_and_the_fraction() -> None:
    index, ph, fraction = phase_at(MOTION, 0.0)
    assert (index, ph.id, fraction) == (0, "start", 0.0)
    index, ph, fraction = phase_at(MOTION, 2.0)
    assert (index, ph.id, fraction) == (1, "move", 0.0)
    index, ph, fraction = phase_at(MOTION, 5.0)
    assert (index, ph.id) == (1, "move")
    assert fraction == pytest.approx(0.75)
    index, ph, fraction = phase_at(MOTION, 12.5)
    assert (index, ph.id) == (4, "rest")
    assert fraction == pytest.approx(0.5)


def test_phase_at_loops_over_the_cycle() -> None:
    assert MOTION.cycle_seconds == 13
    for t in (0.0, 1.3, 4.0, 7.5, 12.9):
        index, _, fraction = phase_at(MOTION, t)
        for shift in (13.0, 26.0, -13.0):
            looped_index, _, looped_fraction = phase_at(MOTION, t + shift)
            assert looped_index == index
            assert looped_fraction == pytest.approx(fraction, abs=1e-9)
    index, ph, _ = phase_at(MOTION, 13.0)
    assert (index, ph.id) == (0, "start")
    index, ph, _ = phase_at(MOTION, -0.5)
    assert ph.id == "rest"


def test_pose_at_returns_every_angle_by_name() -> None:
    angles = pose_at(MOTION, 0.0)
    assert set(angles) == {
        "trunk_lean",
        "neck_flexion",
        "hip_flexion",
        "knee_flexion",
        "ankle_dorsiflexion",
        "other_hip_flexion",
        "other_knee_flexion",
        "other_ankle_dorsiflexion",
    }
    assert all(isinstance(v, float) for v in angles.values())
    assert angles["knee_flexion"] == 90
    assert angles["neck_flexion"] == 30


def test_pose_at_eases_from_the_previous_pose_to_the_phase_pose() -> None:
    # Move: knee 90 -> 10 over 2..6 s.
    assert pose_at(MOTION, 2.0)["knee_flexion"] == pytest.approx(90)
    assert pose_at(MOTION, 4.0)["knee_flexion"] == pytest.approx(50)  # half-way at mid-time
    quarter = (1 - math.cos(math.pi / 4)) / 2
    assert pose_at(MOTION, 3.0)["knee_flexion"] == pytest.approx(90 - 80 * quarter)
    assert pose_at(MOTION, 3.0)["knee_flexion"] > 90 - 80 * 0.25  # slower than linear at first
    assert pose_at(MOTION, 5.999)["knee_flexion"] == pytest.approx(10, abs=1e-3)
    assert pose_at(MOTION, 4.0)["neck_flexion"] == pytest.approx(10)


def test_ease_in_out_is_a_smooth_step() -> None:
    assert ease_in_out(0.0) == 0.0
    assert ease_in_out(1.0) == 1.0
    assert ease_in_out(0.5) == pytest.approx(0.5)
    assert ease_in_out(-1.0) == 0.0
    assert ease_in_out(2.0) == 1.0
    values = [ease_in_out(i / 100) for i in range(101)]
    assert values == sorted(values)


def test_hold_and_rest_phases_stay_still() -> None:
    straight = PoseAngles.from_pose(BodyPose.model_validate(STRAIGHT))
    bent = PoseAngles.from_pose(BodyPose.model_validate(BENT))
    for t in (6.0, 6.5, 7.7, 8.99):
        assert Timeline.of(MOTION).pose_at(t) == straight
    for t in (12.0, 12.4, 12.99, 0.0, 1.0, 1.99):  # rest, then the start phase
        assert Timeline.of(MOTION).pose_at(t) == bent


def test_motion_is_continuous_and_slows_into_every_phase_change() -> None:
    timeline = Timeline.of(MOTION)
    dt = 0.002

    def knee(t: float) -> float:
        return timeline.pose_at(t).knee_flexion

    steps = [abs(knee(t + dt) - knee(t)) for t in (i * dt for i in range(int(13 / dt) + 10))]
    peak = 80 * (math.pi / 2) / 3 * dt  # the fastest phase: 80 degrees in 3 s, eased
    assert max(steps) <= peak * 1.001
    assert max(steps) > peak * 0.99
    for boundary in (2.0, 6.0, 9.0, 12.0, 13.0):
        assert abs(knee(boundary + dt) - knee(boundary)) < peak / 100
        assert abs(knee(boundary) - knee(boundary - dt)) < peak / 100


def test_the_first_phase_starts_from_the_last_phase_pose_when_looping() -> None:
    motion = ReferenceMotion.model_validate(
        {
            "support": "floor",
            "primary_joint": "knee_flexion",
            "phases": [
                phase("start", "start", 2, BENT),
                phase("move", "move", 2, STRAIGHT),
            ],
        }
    )
    assert pose_at(motion, 0.0)["knee_flexion"] == pytest.approx(10)  # the last pose
    assert pose_at(motion, 1.0)["knee_flexion"] == pytest.approx(50)
    assert pose_at(motion, 1.999)["knee_flexion"] == pytest.approx(90, abs=1e-3)
    assert pose_at(motion, 4.0)["knee_flexion"] == pytest.approx(10)


def test_overrides_change_durations_by_phase_id() -> None:
    overrides = {"hold": 6.0, "start": 1.0}
    timeline = Timeline.of(MOTION, overrides)
    assert timeline.durations == (1.0, 4.0, 6.0, 3.0, 1.0)
    assert timeline.cycle_seconds == 15
    assert [(s.phase.id, s.start, s.end) for s in timeline.spans()] == [
        ("start", 0.0, 1.0),
        ("move", 1.0, 5.0),
        ("hold", 5.0, 11.0),
        ("return", 11.0, 14.0),
        ("rest", 14.0, 15.0),
    ]
    assert phase_at(MOTION, 10.0)[1].id == "return"
    assert phase_at(MOTION, 10.0, overrides)[1].id == "hold"
    assert pose_at(MOTION, 10.0, overrides)["knee_flexion"] == pytest.approx(10)
    assert pose_at(MOTION, 3.0, overrides)["knee_flexion"] == pytest.approx(50)
    assert phase_at(MOTION, 15.5, overrides)[1].id == "start"


def test_overrides_must_name_a_phase_and_be_positive() -> None:
    with pytest.raises(ValueError, match="no phase 'holdd'"):
        Timeline.of(MOTION, {"holdd": 3.0})
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="must be positive"):
            Timeline.of(MOTION, {"hold": bad})


def test_pose_angles_from_a_content_pose() -> None:
    body = BodyPose.model_validate(
        {
            "trunk_lean": 15,
            "neck_flexion": -5,
            "leg": {"hip_flexion": 95, "knee_flexion": 5, "ankle_dorsiflexion": 10},
            "other_leg": {"hip_flexion": 75, "knee_flexion": 90, "ankle_dorsiflexion": -3},
        }
    )
    assert PoseAngles.from_pose(body) == PoseAngles(15, -5, 95, 5, 10, 75, 90, -3)
    a, b = PoseAngles(0, 0, 0, 0, 0, 0, 0, 0), PoseAngles(10, 20, 30, 40, 50, 60, 70, 80)
    assert a.towards(b, 0.25) == PoseAngles(2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20)
