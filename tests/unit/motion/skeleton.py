"""Landmark sequences generated from a glide's reference motion, for the logic tests.

A stick figure in the sagittal plane is posed from joint angles (the content's
conventions) and seen side-on: ``world`` in metres (x right, y down, z away from the
camera, origin between the hips, as BlazePose gives them) and ``xy`` in pixels (an
orthographic camera). Variants change the angles of chosen repetitions (toes pointed,
no trunk lean, a bounce...), add noise, drop frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from nerveglide.content.schema import Exercise
from nerveglide.domain.timeline import PoseAngles, Timeline
from nerveglide.motion.analysis import Landmarks
from nerveglide.motion.pose import Landmark as L

F = npt.NDArray[np.float64]

THIGH, SHANK, TRUNK, NECK = 0.45, 0.43, 0.52, 0.12
HALF_HIPS, HALF_SHOULDERS = 0.09, 0.18


def _rot(v: F, deg: float) -> F:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def figure(p: PoseAngles, *, sees_left: bool = True, exercising: str = "left") -> F:
    """(33, 3) world landmarks of the figure posed at ``p``."""
    theta = math.radians(p.trunk_lean)
    up = np.array([-math.sin(theta), math.cos(theta)])  # sagittal (X forward, Y up)
    forward = np.array([math.cos(theta), math.sin(theta)])
    hip = np.zeros(2)
    shoulder = hip + TRUNK * up
    ear = shoulder + NECK * up
    eye_dir = _rot(forward, -p.neck_flexion)
    eye = ear + 0.08 * eye_dir
    nose = ear + 0.10 * _rot(forward, -p.neck_flexion - 15)

    def leg(hip_flex: float, knee_flex: float, ankle: float) -> list[F]:
        thigh = _rot(-up, hip_flex)
        shank = _rot(thigh, -knee_flex)
        sole = _rot(shank, 90 + ankle)
        knee = hip + THIGH * thigh
        ank = knee + SHANK * shank
        heel = ank + 0.06 * shank - 0.05 * sole
        toe = heel + 0.22 * sole
        return [knee, ank, heel, toe]

    moving = leg(p.hip_flexion, p.knee_flexion, p.ankle_dorsiflexion)
    other = leg(p.other_hip_flexion, p.other_knee_flexion, p.other_ankle_dorsiflexion)
    left_leg, right_leg = (moving, other) if exercising == "left" else (other, moving)

    s = -1.0 if sees_left else 1.0  # facing image-left shows the left side
    left_z = -1.0 if sees_left else 1.0

    def w(point: F, lateral: float) -> F:
        return np.array([s * point[0], -point[1], lateral * left_z])

    out = np.zeros((33, 3))
    hand = shoulder + 0.3 * _rot(-up, 20)
    for side, lat in (("LEFT", 1.0), ("RIGHT", -1.0)):
        out[L[f"{side}_HIP"]] = w(hip, lat * HALF_HIPS)
        out[L[f"{side}_SHOULDER"]] = w(shoulder, lat * HALF_SHOULDERS)
        out[L[f"{side}_ELBOW"]] = w((shoulder + hand) / 2, lat * HALF_SHOULDERS)
        for name in ("WRIST", "PINKY", "INDEX", "THUMB"):
            out[L[f"{side}_{name}"]] = w(hand, lat * HALF_SHOULDERS)
        out[L[f"{side}_EAR"]] = w(ear, lat * 0.07)
        for name in ("EYE_INNER", "EYE", "EYE_OUTER"):
            out[L[f"{side}_{name}"]] = w(eye, lat * 0.03)
        out[L[f"MOUTH_{side}"]] = w(nose - 0.03 * up, lat * 0.02)
        knee, ank, heel, toe = left_leg if side == "LEFT" else right_leg
        out[L[f"{side}_KNEE"]] = w(knee, lat * HALF_HIPS)
        out[L[f"{side}_ANKLE"]] = w(ank, lat * HALF_HIPS)
        out[L[f"{side}_HEEL"]] = w(heel, lat * HALF_HIPS)
        out[L[f"{side}_FOOT_INDEX"]] = w(toe, lat * HALF_HIPS)
    out[L.NOSE] = w(nose, 0.0)
    return out


Change = Callable[[PoseAngles, float], PoseAngles]
"""Changes one rep's angles: ``(angles, fraction of the rep's cycle) -> angles``."""


@dataclass
class Clip:
    """A set of repetitions of a glide, as landmarks."""

    exercise: Exercise
    reps: int = 4
    fps: float = 30.0
    idle_s: float = 2.0
    sees_left: bool = True
    exercising: str = "left"
    speed: dict[int, float] = field(default_factory=dict)
    """Per rep (0-based): how much faster than the reference it is done."""
    changes: dict[int, list[Change]] = field(default_factory=dict)
    pause_after: dict[int, float] = field(default_factory=dict)
    hold_s: float | None = None
    noise_px: float = 0.0
    dropouts: tuple[tuple[float, float], ...] = ()
    seed: int = 5

    def angles(self) -> tuple[F, list[PoseAngles]]:
        overrides = {}
        hold = next((p for p in self.exercise.reference_motion.phases if p.kind == "hold"), None)
        if hold is not None and self.hold_s is not None:
            overrides[hold.id] = self.hold_s
        timeline = Timeline.of(self.exercise.reference_motion, overrides)
        # One repetition is the reference cycle after its start phase (already at rest).
        first = timeline.durations[0]
        cycle = timeline.cycle_seconds - first
        rest_pose = PoseAngles.from_pose(self.exercise.reference_motion.phases[0].pose)
        segments: list[tuple[float, float, int]] = []  # (start, duration, rep)
        t = self.idle_s
        for k in range(self.reps):
            duration = cycle / self.speed.get(k, 1.0)
            segments.append((t, duration, k))
            t += duration + self.pause_after.get(k, 0.0)
        total = t + self.idle_s
        times = np.arange(0.0, total, 1.0 / self.fps)
        poses = []
        for now in times:
            pose = rest_pose
            for start, duration, k in segments:
                if start <= now < start + duration:
                    fraction = (now - start) / duration
                    pose = timeline.pose_at(first + fraction * cycle)
                    for change in self.changes.get(k, []):
                        pose = change(pose, fraction)
                    break
            poses.append(pose)
        return times, poses

    def landmarks(self) -> Landmarks:
        times, poses = self.angles()
        rng = np.random.default_rng(self.seed)
        n = len(times)
        world = np.stack(
            [figure(p, sees_left=self.sees_left, exercising=self.exercising) for p in poses]
        )
        scale, cx, cy = 300.0, 640.0, 420.0
        xy = np.stack([cx + world[..., 0] * scale, cy + world[..., 1] * scale], axis=-1)
        if self.noise_px:
            xy = xy + rng.normal(0.0, self.noise_px, xy.shape)
            world = world + rng.normal(0.0, self.noise_px / scale, world.shape)
        vis = np.full((n, 33), 0.99)
        found = np.ones(n, dtype=bool)
        for a, b in self.dropouts:
            gone = (times >= a) & (times < b)
            found[gone] = False
            xy[gone] = np.nan
            world[gone] = np.nan
            vis[gone] = 0.0
        return Landmarks(
            t=times, xy=xy, world=world, visibility=vis, found=found, width=1280, height=840
        )


def toes_pointed(p: PoseAngles, f: float) -> PoseAngles:
    return replace(p, ankle_dorsiflexion=-25.0)


def other_leg_bent(p: PoseAngles, f: float) -> PoseAngles:
    return replace(p, other_hip_flexion=50.0, other_knee_flexion=100.0)


def no_trunk_lean(p: PoseAngles, f: float) -> PoseAngles:
    return replace(p, trunk_lean=0.0)


def head_static(p: PoseAngles, f: float) -> PoseAngles:
    return replace(p, neck_flexion=0.0)


def halfway(start: float) -> Change:
    """The primary joint stops about halfway from ``start``."""

    def change(p: PoseAngles, f: float) -> PoseAngles:
        return replace(p, knee_flexion=start + (p.knee_flexion - start) * 0.5)

    return change


def overshoot(by: float, rest: float) -> Change:
    """The knee goes ``by`` further into the stretch (a bounce at the end of range)."""

    def change(p: PoseAngles, f: float) -> PoseAngles:
        progress = (rest - p.knee_flexion) / max(rest - 20.0, 1.0)
        return replace(p, knee_flexion=p.knee_flexion - by * max(0.0, progress) ** 4)

    return change
