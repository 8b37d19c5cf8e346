from __future__ import annotations

import math
import random

import pytest

from nerveglide.domain.kinematics import (
    ADULT,
    LEG_BONES,
    OTHER_LEG_BONES,
    Point,
    Skeleton,
    Support,
    props,
    segment_directions,
    skeleton,
    two_link_ik,
)
from nerveglide.domain.timeline import PoseAngles

TOL = 1e-9


def angles(**given: float) -> PoseAngles:
    """Sitting upright, 90/90, unless told otherwise."""
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
    base.update(given)
    return PoseAngles(**base)


def supine(**given: float) -> PoseAngles:
    base = {
        "trunk_lean": 90.0,
        "other_hip_flexion": 0.0,
        "other_knee_flexion": 0.0,
        "hip_flexion": 90.0,
        "knee_flexion": 90.0,
    }
    base.update(given)
    return angles(**base)


def direction(a: Point, b: Point) -> float:
    return math.degrees(math.atan2(b.y - a.y, b.x - a.x))


def angle_between(a: float, b: float) -> float:
    """Signed difference a - b in (-180, 180]."""
    d = (a - b) % 360
    return d - 360 if d > 180 else d


def test_sitting_90_90_knee_in_front_of_hip_and_ankle_below_knee() -> None:
    s = skeleton(angles(), "chair")
    assert s.knee.x == pytest.approx(s.hip.x + ADULT.thigh, abs=TOL)
    assert s.knee.y == pytest.approx(s.hip.y, abs=TOL)
    assert s.ankle.x == pytest.approx(s.knee.x, abs=TOL)
    assert s.ankle.y == pytest.approx(s.knee.y - ADULT.shank, abs=TOL)


def test_sitting_90_90_puts_the_feet_flat_on_the_floor() -> None:
    s = skeleton(angles(), "chair")
    for foot in (s.heel, s.toe, s.other_heel, s.other_toe):
        assert foot.y == pytest.approx(0.0, abs=TOL)
    assert s.toe.x > s.heel.x  # toes point forward
    assert s.hip.y == pytest.approx(ADULT.seat_height)


def test_sitting_upright_has_the_shoulder_above_the_hip() -> None:
    s = skeleton(angles(), "chair")
    assert s.shoulder.x == pytest.approx(s.hip.x, abs=TOL)
    assert s.shoulder.y == pytest.approx(s.hip.y + ADULT.trunk, abs=TOL)
    assert s.head.y > s.neck.y > s.shoulder.y


def test_supine_hip_90_knee_0_puts_the_ankle_straight_above_the_hip() -> None:
    s = skeleton(supine(knee_flexion=0.0), "floor")
    assert s.ankle.x == pytest.approx(s.hip.x, abs=TOL)
    assert s.ankle.y - s.hip.y == pytest.approx(ADULT.thigh + ADULT.shank, abs=TOL)
    assert s.knee.x == pytest.approx(s.hip.x, abs=TOL)


def test_trunk_lean_90_puts_the_shoulder_and_head_towards_minus_x() -> None:
    s = skeleton(supine(), "floor")
    assert s.shoulder.x == pytest.approx(s.hip.x - ADULT.trunk, abs=TOL)
    assert s.shoulder.y == pytest.approx(s.hip.y, abs=TOL)
    assert s.head.x < s.neck.x < s.shoulder.x


def test_leaning_back_moves_the_shoulder_back() -> None:
    upright = skeleton(angles(), "chair")
    back = skeleton(angles(trunk_lean=20.0), "chair")
    forward = skeleton(angles(trunk_lean=-20.0), "chair")
    assert back.shoulder.x < upright.shoulder.x < forward.shoulder.x


def test_supine_other_leg_lies_along_the_floor_towards_plus_x() -> None:
    s = skeleton(supine(), "floor")
    assert s.other_knee.x == pytest.approx(s.hip.x + ADULT.thigh, abs=TOL)
    assert s.other_ankle.y == pytest.approx(s.hip.y, abs=TOL)
    assert s.other_toe.y > s.other_ankle.y  # lying on the back, the toes point up


def test_dorsiflexion_lifts_the_toe() -> None:
    cases: list[tuple[PoseAngles, Support]] = [
        (angles(), "chair"),
        (angles(knee_flexion=40.0), "chair"),
        (supine(knee_flexion=0.0), "floor"),
    ]
    for pose, support in cases:
        flat = skeleton(pose, support)
        up = skeleton(
            PoseAngles(**{**pose.as_dict(), "ankle_dorsiflexion": pose.ankle_dorsiflexion + 10}),
            support,
        )
        shank_flat = direction(flat.knee, flat.ankle)
        foot_flat = direction(flat.heel, flat.toe)
        foot_up = direction(up.heel, up.toe)
        assert angle_between(foot_flat, shank_flat) == pytest.approx(90.0, abs=1e-6)
        assert angle_between(foot_up, foot_flat) == pytest.approx(10.0, abs=1e-6)
    sitting, sitting_up = (
        skeleton(angles(), "chair"),
        skeleton(angles(ankle_dorsiflexion=10), "chair"),
    )
    assert sitting_up.toe.y > sitting.toe.y + 0.02


def test_knee_flexion_swings_the_shank_back_under_the_seat() -> None:
    s = skeleton(angles(knee_flexion=125.0), "chair")
    assert s.ankle.x < s.knee.x
    assert s.ankle.y > 0


def test_neck_flexion_drops_the_head_forward() -> None:
    level = skeleton(angles(), "chair")
    dropped = skeleton(angles(neck_flexion=35.0), "chair")
    raised = skeleton(angles(neck_flexion=-10.0), "chair")
    assert dropped.head.x > level.head.x
    assert dropped.head.y < level.head.y
    assert raised.head.x < level.head.x


def test_the_face_is_in_front_of_the_head_when_upright() -> None:
    s = skeleton(angles(), "chair")
    # Sitting upright with the neck straight the face looks along +x, level with the
    # centre of the head, and the nose sticks out of the head's circle.
    assert s.face.x == pytest.approx(s.head.x + ADULT.nose, abs=TOL)
    assert s.face.y == pytest.approx(s.head.y, abs=TOL)
    assert s.face.x > s.head.x + s.head_radius
    assert s.points()["face"] == s.face


@pytest.mark.parametrize("neck", [35.0, -10.0])
def test_neck_flexion_turns_the_face_to_known_positions(neck: float) -> None:
    s = skeleton(angles(neck_flexion=neck), "chair")
    # The head line tilts forward by ``neck`` from straight up; the face looks square to it.
    head_dir = math.radians(90.0 - neck)
    head = Point(
        s.neck.x + ADULT.neck * math.cos(head_dir), s.neck.y + ADULT.neck * math.sin(head_dir)
    )
    face_dir = math.radians(-neck)
    assert s.head.x == pytest.approx(head.x, abs=TOL)
    assert s.head.y == pytest.approx(head.y, abs=TOL)
    assert s.face.x == pytest.approx(head.x + ADULT.nose * math.cos(face_dir), abs=TOL)
    assert s.face.y == pytest.approx(head.y + ADULT.nose * math.sin(face_dir), abs=TOL)


def test_dropping_the_head_turns_the_face_down_and_bringing_it_up_lifts_it() -> None:
    level = skeleton(angles(), "chair")
    dropped = skeleton(angles(neck_flexion=35.0), "chair")
    raised = skeleton(angles(neck_flexion=-10.0), "chair")
    # Chin to the chest: the face moves forward and down, and looks down.
    assert dropped.face.x > level.face.x
    assert dropped.face.y < level.face.y - 0.08
    assert dropped.face.y < dropped.head.y
    # Head up: the face rises and looks a little up.
    assert raised.face.y > level.face.y + 0.02
    assert raised.face.y > raised.head.y
    # The face stays on the front of the head: it does not swing behind it.
    for s in (level, dropped, raised):
        assert s.face.x > s.head.x


def test_lying_on_the_back_the_face_looks_up() -> None:
    s = skeleton(supine(), "floor")
    assert s.face.x == pytest.approx(s.head.x, abs=TOL)
    assert s.face.y == pytest.approx(s.head.y + ADULT.nose, abs=TOL)


def test_segment_directions_follow_the_schema_conventions() -> None:
    d = segment_directions(angles(trunk_lean=10, hip_flexion=80, knee_flexion=30))
    assert d["trunk"] == 100
    assert d["thigh"] == 270 + 10 + 80
    assert d["shank"] == d["thigh"] - 30
    assert d["foot"] == d["shank"] + 90
    assert d["head"] == d["trunk"]
    assert d["face"] == d["head"] - 90
    assert segment_directions(angles(neck_flexion=35))["face"] == 90 - 35 - 90


def _random_pose(rng: random.Random) -> PoseAngles:
    return PoseAngles(
        trunk_lean=rng.uniform(-30, 90),
        neck_flexion=rng.uniform(-30, 60),
        hip_flexion=rng.uniform(-20, 130),
        knee_flexion=rng.uniform(0, 140),
        ankle_dorsiflexion=rng.uniform(-45, 30),
        other_hip_flexion=rng.uniform(-20, 130),
        other_knee_flexion=rng.uniform(0, 140),
        other_ankle_dorsiflexion=rng.uniform(-45, 30),
    )


@pytest.mark.parametrize("support", ["floor", "chair"])
def test_segment_lengths_are_the_same_under_any_angles(support: Support) -> None:
    rng = random.Random(20261122)
    heel_to_ankle = math.hypot(ADULT.heel_behind_ankle, ADULT.ankle_height)
    toe_to_ankle = math.hypot(ADULT.foot - ADULT.heel_behind_ankle, ADULT.ankle_height)
    for _ in range(300):
        s = skeleton(_random_pose(rng), support)
        expected = {
            (s.hip, s.knee): ADULT.thigh,
            (s.knee, s.ankle): ADULT.shank,
            (s.hip, s.other_knee): ADULT.thigh,
            (s.other_knee, s.other_ankle): ADULT.shank,
            (s.heel, s.toe): ADULT.foot,
            (s.other_heel, s.other_toe): ADULT.foot,
            (s.ankle, s.heel): heel_to_ankle,
            (s.ankle, s.toe): toe_to_ankle,
            (s.other_ankle, s.other_heel): heel_to_ankle,
            (s.hip, s.shoulder): ADULT.trunk,
            (s.hip, s.neck): ADULT.neck_base,
            (s.neck, s.head): ADULT.neck,
            (s.head, s.face): ADULT.nose,
            (s.shoulder, s.elbow): ADULT.upper_arm,
            (s.elbow, s.hand): ADULT.forearm,
        }
        for (a, b), length in expected.items():
            assert a.distance(b) == pytest.approx(length, abs=1e-9)
        # The face looks square to the head line, on its front (clockwise from it).
        hx, hy = s.head.x - s.neck.x, s.head.y - s.neck.y
        fx, fy = s.face.x - s.head.x, s.face.y - s.head.y
        assert hx * fx + hy * fy == pytest.approx(0.0, abs=1e-9)
        assert hx * fy - hy * fx == pytest.approx(-ADULT.neck * ADULT.nose)


def test_two_link_ik_reaches_a_reachable_target() -> None:
    rng = random.Random(5)
    root = Point(0.2, 1.0)
    upper, lower = 0.32, 0.34
    for _ in range(200):
        dist = rng.uniform(abs(upper - lower) + 1e-3, upper + lower - 1e-3)
        heading = rng.uniform(-180, 180)
        target = root.towards(heading, dist)
        bend = Point(rng.uniform(-1, 1), rng.uniform(-1, 1))
        middle, end = two_link_ik(root, target, upper, lower, bend)
        assert end.x == pytest.approx(target.x, abs=1e-9)
        assert end.y == pytest.approx(target.y, abs=1e-9)
        assert root.distance(middle) == pytest.approx(upper)
        assert middle.distance(end) == pytest.approx(lower)
        # The middle joint bends towards ``bend`` (or not against it): the mirror image
        # across the root-target line is no further along ``bend``.
        ux, uy = (target.x - root.x) / dist, (target.y - root.y) / dist
        along = (middle.x - root.x) * ux + (middle.y - root.y) * uy
        foot = Point(root.x + along * ux, root.y + along * uy)
        mirror = Point(2 * foot.x - middle.x, 2 * foot.y - middle.y)

        def score(p: Point, b: Point = bend) -> float:
            return (p.x - root.x) * b.x + (p.y - root.y) * b.y

        assert score(middle) >= score(mirror) - 1e-9


def test_two_link_ik_points_straight_at_an_unreachable_target() -> None:
    root, target = Point(0, 0), Point(3, 4)
    middle, end = two_link_ik(root, target, 1.0, 1.5, Point(0, 1))
    assert end.x == pytest.approx(1.5)
    assert end.y == pytest.approx(2.0)
    assert middle.x == pytest.approx(0.6)
    assert middle.y == pytest.approx(0.8)


def test_lying_down_the_hands_hold_behind_the_exercising_knee() -> None:
    for knee in (90.0, 45.0, 20.0, 0.0):
        s = skeleton(supine(knee_flexion=knee), "floor")
        thigh = direction(s.hip, s.knee)
        rad = math.radians(thigh)
        dx, dy = s.hand.x - s.hip.x, s.hand.y - s.hip.y
        along = dx * math.cos(rad) + dy * math.sin(rad)
        across = -dx * math.sin(rad) + dy * math.cos(rad)  # + is in front of the thigh
        assert 0.75 * ADULT.thigh < along < ADULT.thigh  # just above the knee
        assert across == pytest.approx(-ADULT.thigh_half_depth, abs=1e-9)  # behind it
        assert s.hand.x > s.knee.x  # hip 90: the back of the thigh faces +x


def test_sitting_the_hands_rest_on_the_seat_beside_the_hip() -> None:
    seat = props("chair").rects[0]
    seat_top = seat.y + seat.height
    for lean in (-15.0, 0.0, 15.0):
        s = skeleton(angles(trunk_lean=lean), "chair")
        assert seat_top <= s.hand.y <= seat_top + 0.05
        assert seat.x < s.hand.x < seat.x + seat.width
        assert 0 <= s.hand.x - s.hip.x < 0.15
        assert s.elbow.x < s.hand.x  # the elbow bends backwards


def test_lying_down_the_figure_rests_on_the_floor_and_never_goes_through_it() -> None:
    start = skeleton(supine(), "floor")
    assert start.hip.y == pytest.approx(ADULT.hip_above_floor)
    assert start.lowest() == pytest.approx(0.0, abs=TOL)  # the back of the head
    rng = random.Random(11)
    for _ in range(200):
        pose = _random_pose(rng)
        s = skeleton(PoseAngles(**{**pose.as_dict(), "trunk_lean": 90.0}), "floor")
        assert s.lowest() >= -TOL
        assert s.elbow.y >= -TOL
        assert s.hip.y >= ADULT.hip_above_floor - TOL


def test_a_foot_kicked_back_under_the_chair_rests_its_toes_on_the_floor() -> None:
    s = skeleton(angles(knee_flexion=125.0, ankle_dorsiflexion=-15.0), "chair")
    assert s.toe.y == pytest.approx(0.0, abs=1e-6)
    assert s.heel.y > 0.05


def test_chair_props_seat_under_the_hip_and_legs_on_the_floor() -> None:
    chair = props("chair")
    sitting = skeleton(angles(), "chair")
    (seat,) = chair.rects
    assert seat.x < sitting.hip.x < seat.x + seat.width
    assert seat.y + seat.height < sitting.hip.y
    assert seat.x + seat.width < sitting.knee.x  # the knee overhangs the seat's front edge
    assert chair.floor_y == 0
    assert {line.name for line in chair.lines} == {"chair_back_leg", "chair_front_leg"}
    for line in chair.lines:
        assert min(line.a.y, line.b.y) == 0
        assert max(line.a.y, line.b.y) == pytest.approx(seat.y)


def test_floor_props_mat_under_the_whole_lying_figure() -> None:
    floor = props("floor")
    (mat,) = floor.rects
    assert mat.y + mat.height == pytest.approx(0.0)
    assert floor.floor_y == pytest.approx(mat.y)
    s = skeleton(supine(hip_flexion=0.0, knee_flexion=0.0), "floor")
    xs = [p.x for p in s.points().values()]
    assert mat.x < min(xs) - s.head_radius
    assert max(xs) < mat.x + mat.width


def test_bones_join_the_skeleton_points() -> None:
    s: Skeleton = skeleton(angles(knee_flexion=30), "chair")
    bones = s.bones()
    names = [b.name for b in bones]
    assert len(names) == len(set(names))
    assert set(names) >= LEG_BONES
    assert set(names) >= OTHER_LEG_BONES
    assert {"trunk", "neck", "upper_arm", "forearm"} <= set(names)
    by_name = {b.name: b for b in bones}
    assert by_name["thigh"].a == s.hip
    assert by_name["thigh"].b == s.knee
    assert by_name["shank"].b == s.ankle
    assert by_name["forearm"].b == s.hand
    assert by_name["neck"].b.distance(s.head) == pytest.approx(s.head_radius)
    # The nose runs from the centre of the head: only its part outside the circle shows.
    assert (by_name["face"].a, by_name["face"].b) == (s.head, s.face)
    assert names.index("face") == names.index("neck") + 1  # drawn over the head
    # The other leg is drawn first (behind), the arm holding the leg last.
    assert names.index("other_thigh") < names.index("trunk") < names.index("thigh")
    assert names[-1] == "forearm"
