"""Side-view forward kinematics of a stick figure, for drawing the glides.

The figure faces +x and y is up; units are metres. Angles follow the conventions in
:mod:`nerveglide.content.schema`; turned into absolute segment directions (degrees,
counter-clockwise from +x) they are:

=============  ===========================================================
trunk (up)     ``90 + trunk_lean`` (leaning back turns it counter-clockwise;
               lying on the back, lean 90, puts the head towards -x)
thigh          ``270 + trunk_lean + hip_flexion`` (sitting upright with hip 90
               the thigh points along +x; lying with hip 90 it points up)
shank          ``thigh - knee_flexion``
foot           ``shank + 90 + ankle_dorsiflexion`` (+ lifts the toes)
head line      ``trunk - neck_flexion`` (+ brings the chin to the chest)
face           ``head line - 90``: the way the face looks, square to the head
               line on its front (sitting upright, neck 0: along +x)
=============  ===========================================================

The hip is the root. The arm is placed by a two-link inverse kinematics: lying on the
floor the hands hold behind the exercising knee, sitting on a chair they rest on the seat
beside the hip. Only the near arm is drawn; on a side view the other arm is behind it.
A short nose on the front of the head (the ``face`` point, its tip) shows which way the
face looks, so dropping the head forward and bringing it up can be seen.

Everything here draws the animation. None of it is a clinical value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

Support = Literal["floor", "chair"]


class JointAngles(Protocol):
    """The angles the figure is drawn from, in degrees (see the schema's conventions).

    :class:`nerveglide.domain.timeline.PoseAngles` is one; anything with these read-only
    attributes will do.
    """

    @property
    def trunk_lean(self) -> float: ...
    @property
    def neck_flexion(self) -> float: ...
    @property
    def hip_flexion(self) -> float: ...
    @property
    def knee_flexion(self) -> float: ...
    @property
    def ankle_dorsiflexion(self) -> float: ...
    @property
    def other_hip_flexion(self) -> float: ...
    @property
    def other_knee_flexion(self) -> float: ...
    @property
    def other_ankle_dorsiflexion(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Point:
    """A point of the side view, in metres."""

    x: float
    y: float

    def towards(self, angle_deg: float, length: float) -> Point:
        """The point ``length`` away along the absolute direction ``angle_deg``."""
        rad = math.radians(angle_deg)
        return Point(self.x + length * math.cos(rad), self.y + length * math.sin(rad))

    def shifted(self, dx: float, dy: float) -> Point:
        return Point(self.x + dx, self.y + dy)

    def distance(self, other: Point) -> float:
        return math.hypot(other.x - self.x, other.y - self.y)


@dataclass(frozen=True, slots=True)
class Body:
    """Segment lengths of the drawn figure, from its standing height.

    Fractions of body height H from the anthropometric segment-length diagram in
    Winter DA, *Biomechanics and Motor Control of Human Movement*, 4th ed. (Wiley, 2009),
    ch. 4 (after Drillis and Contini): greater trochanter 0.530 H, knee 0.285 H, ankle
    0.039 H, acromion 0.818 H, upper arm 0.186 H, forearm 0.146 H, hand 0.108 H, foot
    length 0.152 H, head (chin to crown) 0.130 H, chin 0.870 H. The heel, seat, floor and
    thigh-depth offsets are drawing choices. These are drawing proportions, not clinical
    values.
    """

    height: float = 1.70

    @property
    def thigh(self) -> float:
        return (0.530 - 0.285) * self.height

    @property
    def shank(self) -> float:
        return (0.285 - 0.039) * self.height

    @property
    def ankle_height(self) -> float:
        """Ankle joint above the sole."""
        return 0.039 * self.height

    @property
    def foot(self) -> float:
        """Heel to toe."""
        return 0.152 * self.height

    @property
    def heel_behind_ankle(self) -> float:
        """The ankle sits about a quarter of the foot's length in front of the heel."""
        return 0.25 * self.foot

    @property
    def trunk(self) -> float:
        """Hip to shoulder."""
        return (0.818 - 0.530) * self.height

    @property
    def neck_base(self) -> float:
        """Hip to the base of the neck, a little above the shoulder joint."""
        return self.trunk + 0.012 * self.height

    @property
    def head_radius(self) -> float:
        return 0.130 * self.height / 2

    @property
    def neck(self) -> float:
        """Base of the neck to the centre of the head (chin 0.870 H, so centre 0.935 H)."""
        return (0.935 - 0.830) * self.height

    @property
    def nose(self) -> float:
        """Centre of the head to the tip of the drawn nose, which sticks out of the head's
        circle on the front so the face's direction shows (a drawing choice)."""
        return 1.25 * self.head_radius

    @property
    def upper_arm(self) -> float:
        return 0.186 * self.height

    @property
    def forearm(self) -> float:
        """Elbow to the middle of the palm: the forearm and half the hand."""
        return (0.146 + 0.108 / 2) * self.height

    @property
    def seat_height(self) -> float:
        """Hip height when seated: a 90/90 pose puts the soles flat on the floor."""
        return self.shank + self.ankle_height

    @property
    def hip_above_seat(self) -> float:
        """Hip joint above the seat surface (the thickness of the buttock and thigh)."""
        return 0.04 * self.height

    @property
    def hip_above_floor(self) -> float:
        """Hip joint above the floor when lying on the back; the head then rests on it."""
        return self.head_radius

    @property
    def thigh_half_depth(self) -> float:
        """Half the front-to-back depth of the thigh above the knee."""
        return 0.025 * self.height


ADULT = Body()

# Where the hands go, relative to the body (metres and fractions; drawing only).
_GRIP_ALONG_THIGH = 0.85  # behind the knee: on the back of the thigh, just above the knee
_HAND_ON_SEAT_FORWARD = 0.10  # in front of the hip joint, on the seat beside it
_HAND_ABOVE_SEAT = 0.02  # middle of the palm above the seat surface


class Bone(NamedTuple):
    """A segment to draw, from ``a`` to ``b``."""

    name: str
    a: Point
    b: Point


LEG_BONES: frozenset[str] = frozenset({"thigh", "shank", "heel", "foot"})
OTHER_LEG_BONES: frozenset[str] = frozenset(f"other_{name}" for name in LEG_BONES)


@dataclass(frozen=True, slots=True)
class Skeleton:
    """The figure's joints in metres. ``leg`` points are the exercising leg. ``head`` is
    the centre of the head's circle and ``face`` the tip of the nose, in front of it."""

    hip: Point
    shoulder: Point
    neck: Point
    head: Point
    head_radius: float
    face: Point
    elbow: Point
    hand: Point
    knee: Point
    ankle: Point
    heel: Point
    toe: Point
    other_knee: Point
    other_ankle: Point
    other_heel: Point
    other_toe: Point

    def points(self) -> dict[str, Point]:
        """Every joint by name (the head is its centre, the face the tip of the nose)."""
        return {
            "hip": self.hip,
            "shoulder": self.shoulder,
            "neck": self.neck,
            "head": self.head,
            "face": self.face,
            "elbow": self.elbow,
            "hand": self.hand,
            "knee": self.knee,
            "ankle": self.ankle,
            "heel": self.heel,
            "toe": self.toe,
            "other_knee": self.other_knee,
            "other_ankle": self.other_ankle,
            "other_heel": self.other_heel,
            "other_toe": self.other_toe,
        }

    def bones(self) -> tuple[Bone, ...]:
        """The segments to draw, back to front: the other leg, the body, the exercising
        leg, then the arm that holds it. The neck ends at the edge of the head; the face
        (the nose) runs from the centre of the head to its tip, so only the part outside
        the head's circle shows."""
        head_dir = math.degrees(math.atan2(self.neck.y - self.head.y, self.neck.x - self.head.x))
        chin = self.head.towards(head_dir, self.head_radius)
        return (
            Bone("other_thigh", self.hip, self.other_knee),
            Bone("other_shank", self.other_knee, self.other_ankle),
            Bone("other_heel", self.other_ankle, self.other_heel),
            Bone("other_foot", self.other_heel, self.other_toe),
            Bone("trunk", self.hip, self.shoulder),
            Bone("neck", self.shoulder, chin),
            Bone("face", self.head, self.face),
            Bone("thigh", self.hip, self.knee),
            Bone("shank", self.knee, self.ankle),
            Bone("heel", self.ankle, self.heel),
            Bone("foot", self.heel, self.toe),
            Bone("upper_arm", self.shoulder, self.elbow),
            Bone("forearm", self.elbow, self.hand),
        )

    def lowest(self) -> float:
        """The lowest y of the drawn figure (joints and the head's circle)."""
        return min(*(p.y for p in self.points().values()), self.head.y - self.head_radius)


def segment_directions(angles: JointAngles) -> dict[str, float]:
    """Absolute directions in degrees (counter-clockwise from +x) of each segment."""
    trunk = 90.0 + angles.trunk_lean
    thigh = 270.0 + angles.trunk_lean + angles.hip_flexion
    shank = thigh - angles.knee_flexion
    other_thigh = 270.0 + angles.trunk_lean + angles.other_hip_flexion
    other_shank = other_thigh - angles.other_knee_flexion
    return {
        "trunk": trunk,
        "head": trunk - angles.neck_flexion,
        "face": trunk - angles.neck_flexion - 90.0,
        "thigh": thigh,
        "shank": shank,
        "foot": shank + 90.0 + angles.ankle_dorsiflexion,
        "other_thigh": other_thigh,
        "other_shank": other_shank,
        "other_foot": other_shank + 90.0 + angles.other_ankle_dorsiflexion,
    }


def two_link_ik(
    root: Point, target: Point, upper: float, lower: float, bend: Point
) -> tuple[Point, Point]:
    """Place a two-segment limb from ``root`` towards ``target``: returns (middle, end).

    Of the two ways the middle joint can bend, the one further along the direction
    ``bend`` (a vector) is taken. When the target is out of reach the limb points
    straight at it; when it is too near the limb folds as far as it can.
    """
    dx, dy = target.x - root.x, target.y - root.y
    dist = math.hypot(dx, dy)
    heading = math.degrees(math.atan2(dy, dx)) if dist > 0 else 0.0
    reach = max(abs(upper - lower), min(upper + lower, dist))
    cos_a = (upper * upper + reach * reach - lower * lower) / (2 * upper * reach) if reach else 1.0
    spread = math.degrees(math.acos(max(-1.0, min(1.0, cos_a))))
    candidates = [root.towards(heading + sign * spread, upper) for sign in (1.0, -1.0)]
    middle = max(candidates, key=lambda p: (p.x - root.x) * bend.x + (p.y - root.y) * bend.y)
    # The end lies on the line from the root to the target, ``reach`` away; by the law of
    # cosines the lower segment from the middle to it is ``lower`` long.
    return middle, root.towards(heading, reach)


def _foot(ankle: Point, foot_dir: float, body: Body) -> tuple[Point, Point]:
    """Heel and toe of a foot pointing along ``foot_dir`` from ``ankle``."""
    sole = ankle.towards(foot_dir + 90.0, -body.ankle_height)
    heel = sole.towards(foot_dir, -body.heel_behind_ankle)
    return heel, heel.towards(foot_dir, body.foot)


def _leg(
    hip: Point, thigh_dir: float, shank_dir: float, foot_dir: float, body: Body
) -> tuple[Point, Point, Point, Point]:
    knee = hip.towards(thigh_dir, body.thigh)
    ankle = knee.towards(shank_dir, body.shank)
    heel, toe = _foot(ankle, foot_dir, body)
    return knee, ankle, heel, toe


def foot_on_floor(ankle: Point, foot_dir: float, body: Body = ADULT) -> float:
    """``foot_dir``, turned at the ankle by the least angle (at most 45 degrees either way)
    that keeps the toe off the floor (y >= 0): the floor stops a foot drawn back under a
    chair, and the toes then rest on it. When no such turn exists, the turn within that
    range that lifts the toe most.

    The heel is left where the angles put it: with the foot flat, pulling the toes up
    would otherwise be undone, and it only sinks the heel by a centimetre or so.
    """

    def toe_y(direction: float) -> float:
        return _foot(ankle, direction, body)[1].y

    if toe_y(foot_dir) >= -1e-9:
        return foot_dir
    step = 0.5
    turns = [sign * k * step for k in range(1, 91) for sign in (1.0, -1.0)]
    for turn in turns:
        if toe_y(foot_dir + turn) >= -1e-9:
            # Refine between the last blocked and the first clear angle.
            blocked, free = turn - math.copysign(step, turn), turn
            for _ in range(30):
                mid = (blocked + free) / 2
                blocked, free = (blocked, mid) if toe_y(foot_dir + mid) >= -1e-9 else (mid, free)
            return foot_dir + free
    return foot_dir + max((0.0, *turns), key=lambda t: (round(toe_y(foot_dir + t), 6), -abs(t)))


def skeleton(angles: JointAngles, support: Support, *, body: Body = ADULT) -> Skeleton:
    """The figure for ``angles``, placed on its support.

    ``floor``: lying on the floor, the hip rests at :attr:`Body.hip_above_floor` and the
    whole figure is lifted only if some part would go through the floor. ``chair``: the
    hip is at :attr:`Body.seat_height` above the floor at x = 0, so sitting 90/90 puts
    the soles flat on the floor (y = 0).
    """
    d = segment_directions(angles)
    hip = Point(0.0, 0.0)
    shoulder = hip.towards(d["trunk"], body.trunk)
    neck = hip.towards(d["trunk"], body.neck_base)
    head = neck.towards(d["head"], body.neck)
    face = head.towards(d["face"], body.nose)
    knee, ankle, heel, toe = _leg(hip, d["thigh"], d["shank"], d["foot"], body)
    o_knee, o_ankle, o_heel, o_toe = _leg(
        hip, d["other_thigh"], d["other_shank"], d["other_foot"], body
    )
    placed = (shoulder, neck, face, knee, ankle, heel, toe, o_knee, o_ankle, o_heel, o_toe)
    if support == "floor":
        lowest = min(*(p.y for p in placed), head.y - body.head_radius)
        lift = max(body.hip_above_floor, -lowest)
    else:
        lift = body.seat_height

    def up(p: Point) -> Point:
        return p.shifted(0.0, lift)

    hip, shoulder, neck, head, face = up(hip), up(shoulder), up(neck), up(head), up(face)
    knee, ankle, heel, toe = up(knee), up(ankle), up(heel), up(toe)
    o_knee, o_ankle, o_heel, o_toe = up(o_knee), up(o_ankle), up(o_heel), up(o_toe)
    if support == "chair":
        heel, toe = _foot(ankle, foot_on_floor(ankle, d["foot"], body), body)
        o_heel, o_toe = _foot(o_ankle, foot_on_floor(o_ankle, d["other_foot"], body), body)

    back = Point(0.0, 0.0).towards(d["trunk"] + 90.0, 1.0)  # the elbow bends backwards
    if support == "floor":
        grip = hip.towards(d["thigh"], _GRIP_ALONG_THIGH * body.thigh)
        target = grip.towards(d["thigh"] - 90.0, body.thigh_half_depth)
    else:
        target = Point(
            hip.x + _HAND_ON_SEAT_FORWARD,
            hip.y - body.hip_above_seat + _HAND_ABOVE_SEAT,
        )
    elbow, hand = two_link_ik(shoulder, target, body.upper_arm, body.forearm, back)
    if support == "floor" and elbow.y < 0.0:
        # Lying down the elbow cannot go through the floor: bend it the other way.
        flipped = Point(-back.x, -back.y)
        elbow, hand = two_link_ik(shoulder, target, body.upper_arm, body.forearm, flipped)

    return Skeleton(
        hip=hip,
        shoulder=shoulder,
        neck=neck,
        head=head,
        head_radius=body.head_radius,
        face=face,
        elbow=elbow,
        hand=hand,
        knee=knee,
        ankle=ankle,
        heel=heel,
        toe=toe,
        other_knee=o_knee,
        other_ankle=o_ankle,
        other_heel=o_heel,
        other_toe=o_toe,
    )


class Rect(NamedTuple):
    """An axis-aligned rectangle in metres; (x, y) is its lower-left corner."""

    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Props:
    """What the figure lies or sits on. The floor is the line y = ``floor_y``, drawn as
    wide as the picture; ``rects`` (a mat, a seat) and ``lines`` (chair legs) are drawn
    behind the figure."""

    support: Support
    floor_y: float
    rects: tuple[Rect, ...]
    lines: tuple[Bone, ...]

    def points(self) -> list[Point]:
        """Every corner and end, for fitting the picture."""
        out: list[Point] = []
        for r in self.rects:
            out.extend((Point(r.x, r.y), Point(r.x + r.width, r.y + r.height)))
        for line in self.lines:
            out.extend((line.a, line.b))
        return out


def props(support: Support, *, body: Body = ADULT) -> Props:
    """A mat whose top is y = 0 (the figure lies on it, the floor line is under it), or a
    backless chair whose seat the hip sits just above at x = 0, on the floor y = 0."""
    if support == "floor":
        mat_thickness = 0.015 * body.height
        start = -(body.neck_base + body.neck + body.head_radius) - 0.05 * body.height
        end = body.thigh + body.shank + body.foot + 0.02 * body.height
        mat = Rect("mat", start, -mat_thickness, end - start, mat_thickness)
        return Props(support="floor", floor_y=-mat_thickness, rects=(mat,), lines=())
    seat_top = body.seat_height - body.hip_above_seat
    seat_thickness = 0.025 * body.height
    back_edge = -0.09 * body.height
    front_edge = 0.17 * body.height
    seat = Rect(
        "seat", back_edge, seat_top - seat_thickness, front_edge - back_edge, seat_thickness
    )
    inset = 0.012 * body.height
    legs = tuple(
        Bone(name, Point(x, seat_top - seat_thickness), Point(x, 0.0))
        for name, x in (
            ("chair_back_leg", back_edge + inset),
            ("chair_front_leg", front_edge - inset),
        )
    )
    return Props(support="chair", floor_y=0.0, rects=(seat,), lines=legs)
