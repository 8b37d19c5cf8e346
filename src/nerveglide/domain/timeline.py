"""Where a glide's reference motion is at a given time.

A reference motion is a loop of phases. Over each phase the figure moves from the pose
of the phase before (for the first phase, the last phase's pose, since the motion loops)
to the phase's own pose, with a cosine ease-in-out. A hold, start or rest phase whose pose
is the same as the one before therefore stays still.

Durations come from the content (``phase.duration.seconds``) unless overridden by phase
id, for instance with a hold time the person or their clinician has set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from nerveglide.content.schema import BodyPose, Phase, ReferenceMotion


@dataclass(frozen=True, slots=True)
class PoseAngles:
    """One sampled pose, in degrees; ``other_*`` is the leg that is not exercising."""

    trunk_lean: float
    neck_flexion: float
    hip_flexion: float
    knee_flexion: float
    ankle_dorsiflexion: float
    other_hip_flexion: float
    other_knee_flexion: float
    other_ankle_dorsiflexion: float

    @classmethod
    def from_pose(cls, pose: BodyPose) -> PoseAngles:
        return cls(
            trunk_lean=pose.trunk_lean.deg,
            neck_flexion=pose.neck_flexion.deg,
            hip_flexion=pose.leg.hip_flexion.deg,
            knee_flexion=pose.leg.knee_flexion.deg,
            ankle_dorsiflexion=pose.leg.ankle_dorsiflexion.deg,
            other_hip_flexion=pose.other_leg.hip_flexion.deg,
            other_knee_flexion=pose.other_leg.knee_flexion.deg,
            other_ankle_dorsiflexion=pose.other_leg.ankle_dorsiflexion.deg,
        )

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def towards(self, other: PoseAngles, weight: float) -> PoseAngles:
        """The pose ``weight`` of the way from this one to ``other`` (0 here, 1 there)."""
        mine, theirs = self.as_dict(), other.as_dict()
        return PoseAngles(**{k: mine[k] + (theirs[k] - mine[k]) * weight for k in mine})


def ease_in_out(fraction: float) -> float:
    """Cosine ease: 0 at 0, 1 at 1, with zero speed at both ends."""
    f = min(1.0, max(0.0, fraction))
    return (1.0 - math.cos(math.pi * f)) / 2.0


PhaseAt = tuple[int, Phase, float]
"""``(index, phase, fraction)``: the phase running at some time, and how far through it
(0 <= fraction < 1)."""


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """When a phase runs within one cycle, in seconds."""

    index: int
    phase: Phase
    start: float
    end: float


@dataclass(frozen=True)
class Timeline:
    """A reference motion laid out in time, with any duration overrides applied."""

    motion: ReferenceMotion
    durations: tuple[float, ...]

    @classmethod
    def of(cls, motion: ReferenceMotion, overrides: Mapping[str, float] | None = None) -> Timeline:
        """``overrides`` maps phase ids to seconds; an unknown id or a duration that is
        not positive is an error."""
        given = dict(overrides or {})
        ids = {p.id for p in motion.phases}
        unknown = sorted(set(given) - ids)
        if unknown:
            raise ValueError(f"no phase {', '.join(map(repr, unknown))} in this motion")
        for phase_id, seconds in given.items():
            if not (math.isfinite(seconds) and seconds > 0):
                raise ValueError(f"phase {phase_id!r}: duration must be positive, not {seconds}")
        durations = tuple(float(given.get(p.id, p.duration.seconds)) for p in motion.phases)
        return cls(motion=motion, durations=durations)

    @property
    def cycle_seconds(self) -> float:
        return sum(self.durations)

    def spans(self) -> list[PhaseSpan]:
        out: list[PhaseSpan] = []
        start = 0.0
        for index, (phase, seconds) in enumerate(
            zip(self.motion.phases, self.durations, strict=True)
        ):
            out.append(PhaseSpan(index, phase, start, start + seconds))
            start += seconds
        return out

    def phase_at(self, t: float) -> PhaseAt:
        """The phase at time ``t`` seconds; times past the cycle (or before 0) loop."""
        cycle = self.cycle_seconds
        local = math.fmod(t, cycle)
        if local < 0:
            local += cycle
        spans = self.spans()
        for span in spans:
            if local < span.end:
                fraction = (local - span.start) / (span.end - span.start)
                return (span.index, span.phase, min(max(fraction, 0.0), 1.0))
        # Only rounding at the very end of the cycle gets here: that is the next start.
        return (0, spans[0].phase, 0.0)

    def pose_at(self, t: float) -> PoseAngles:
        """The interpolated pose at time ``t`` seconds (looping)."""
        index, phase, fraction = self.phase_at(t)
        previous = self.motion.phases[index - 1]  # index 0 takes the last phase's pose
        start = PoseAngles.from_pose(previous.pose)
        end = PoseAngles.from_pose(phase.pose)
        return start.towards(end, ease_in_out(fraction))


def phase_at(
    motion: ReferenceMotion, t: float, overrides: Mapping[str, float] | None = None
) -> PhaseAt:
    """``(index, phase, fraction)`` at time ``t``, looping over the cycle."""
    return Timeline.of(motion, overrides).phase_at(t)


def pose_at(
    motion: ReferenceMotion, t: float, overrides: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The interpolated angles at time ``t``, by name (see :class:`PoseAngles`)."""
    return Timeline.of(motion, overrides).pose_at(t).as_dict()
