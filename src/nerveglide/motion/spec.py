"""What the coach looks for in a glide, read from its reference motion (content data).

Nothing here is a target angle: illustrative angles only give *directions* (which way the
primary joint moves in each phase, which other joints move with it and which way), and
sourced angles (``basis: source``) are the only values compared with the person.
Durations that are settings (``basis: setting``) are the program's pace and hold; the
caller may override them with the person's own settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nerveglide.content.schema import Angle, Exercise, JointName, Phase

#: An illustrative change of this much or less is drawing detail, not a movement the
#: glide asks for (the illustrations move the hip or ankle by 5 deg in passing).
_MOVES_DEG = 10.0

Movement = Literal["knee", "hip", "ankle", "trunk", "neck"]
MOVEMENT_JOINT: dict[str, JointName] = {
    "knee": "knee_flexion",
    "hip": "hip_flexion",
    "ankle": "ankle_dorsiflexion",
    "trunk": "trunk_lean",
    "neck": "neck_flexion",
}
LEG_JOINTS: frozenset[str] = frozenset({"knee_flexion", "hip_flexion", "ankle_dorsiflexion"})


@dataclass(frozen=True, slots=True)
class Coupling:
    """In phase ``phase`` (its ``step`` item says it), ``joint`` moves with ``sign``."""

    phase: str
    kind: str
    step: str
    joint: JointName
    sign: int


@dataclass(frozen=True, slots=True)
class SourcedAngle:
    """A sourced angle of a phase's pose: a real target, with the step that says it."""

    phase: str
    joint: JointName
    other_leg: bool
    deg: float
    step: str
    throughout: bool = False
    """True when the start and the stretch positions both hold this angle: it applies to
    the whole repetition, not just to where it starts."""


@dataclass(frozen=True, slots=True)
class PhaseTime:
    phase: str
    kind: str
    seconds: float
    setting: str | None


@dataclass(frozen=True)
class GlideSpec:
    exercise_id: str
    name: str
    support: str
    primary: JointName
    direction: int
    """+1 when the main movement raises the primary angle, -1 when it lowers it."""
    counter_swing: bool
    """Whether the primary joint first swings the other way (the kick's back swing)."""
    main_phase: str
    return_phase: str
    couplings: tuple[Coupling, ...]
    sourced: tuple[SourcedAngle, ...]
    times: tuple[PhaseTime, ...]
    steps: dict[str, str] = field(default_factory=dict)
    """Every step's text by item id (the sentences the cues quote)."""
    has_hold: bool = False
    pace_s: float | None = None
    pace_setting: str | None = None
    hold_s: float | None = None
    hold_setting: str | None = None

    @classmethod
    def of(
        cls, exercise: Exercise, *, pace_s: float | None = None, hold_s: float | None = None
    ) -> GlideSpec:
        motion = exercise.reference_motion
        primary = motion.primary_joint
        phases = motion.phases
        start = phases[0]

        def value(phase: Phase, joint: JointName) -> float:
            return phase.pose.angle(joint)

        moves = [p for p in phases if p.kind == "move"]
        main = max(moves, key=lambda p: abs(value(p, primary) - value(start, primary)))
        direction = 1 if value(main, primary) > value(start, primary) else -1
        before = phases[: phases.index(main)]
        counter = any(
            p.kind == "move" and (value(p, primary) - value(start, primary)) * direction < 0
            for p in before
        )
        ret = next((p for p in phases[phases.index(main) + 1 :] if p.kind == "return"), phases[-1])
        couplings: list[Coupling] = []
        for i, phase in enumerate(phases):
            if phase.kind not in ("move", "return"):
                continue
            prev = phases[i - 1]
            for joint in ("trunk_lean", "neck_flexion"):
                change = value(phase, joint) - value(prev, joint)
                if abs(change) > _MOVES_DEG:
                    couplings.append(
                        Coupling(
                            phase=phase.id,
                            kind=phase.kind,
                            step=phase.step,
                            joint=joint,
                            sign=1 if change > 0 else -1,
                        )
                    )
        steps = {s.id: s.text for s in exercise.steps}
        sourced: list[SourcedAngle] = []
        for phase in (start, main):
            pose = phase.pose
            for joint, other, angle in _pose_angles(pose):
                if angle.basis != "source":
                    continue
                sourced.append(
                    SourcedAngle(
                        phase=phase.id,
                        joint=joint,
                        other_leg=other,
                        deg=angle.deg,
                        step=_step_quoting(exercise, angle) or phase.step,
                    )
                )
        times = tuple(
            PhaseTime(p.id, p.kind, p.duration.seconds, p.duration.setting) for p in phases
        )
        hold = next((p for p in phases if p.kind == "hold"), None)
        main_setting = main.duration.setting
        return cls(
            exercise_id=exercise.id,
            name=exercise.name,
            support=motion.support,
            primary=primary,
            direction=direction,
            counter_swing=counter,
            main_phase=main.id,
            return_phase=ret.id,
            couplings=tuple(couplings),
            sourced=tuple(_dedupe(sourced)),
            times=times,
            steps=steps,
            has_hold=hold is not None,
            pace_s=pace_s if pace_s is not None else main.duration.seconds,
            pace_setting=main_setting,
            hold_s=(hold_s if hold_s is not None else hold.duration.seconds) if hold else None,
            hold_setting=hold.duration.setting if hold else None,
        )


def _pose_angles(pose: object) -> list[tuple[JointName, bool, Angle]]:
    from nerveglide.content.schema import BodyPose

    assert isinstance(pose, BodyPose)
    out: list[tuple[JointName, bool, Angle]] = [
        ("trunk_lean", False, pose.trunk_lean),
        ("neck_flexion", False, pose.neck_flexion),
    ]
    for other, leg in ((False, pose.leg), (True, pose.other_leg)):
        out.append(("hip_flexion", other, leg.hip_flexion))
        out.append(("knee_flexion", other, leg.knee_flexion))
        out.append(("ankle_dorsiflexion", other, leg.ankle_dorsiflexion))
    return out


def _step_quoting(exercise: Exercise, angle: Angle) -> str | None:
    """The step whose own citation contains the angle's quote, if any."""
    for citation in angle.sources:
        if not citation.quote:
            continue
        for step in exercise.steps:
            for source in step.sources:
                if source.quote and citation.quote.lower() in source.quote.lower():
                    return step.id
    return None


def _dedupe(angles: list[SourcedAngle]) -> list[SourcedAngle]:
    """One entry per joint; an angle sourced in both positions applies throughout."""
    first: dict[tuple[str, bool], SourcedAngle] = {}
    for a in angles:
        key = (a.joint, a.other_leg)
        if key not in first:
            first[key] = a
        elif first[key].phase != a.phase and first[key].deg == a.deg:
            old = first[key]
            first[key] = SourcedAngle(
                old.phase, old.joint, old.other_leg, old.deg, old.step, throughout=True
            )
    return list(first.values())
