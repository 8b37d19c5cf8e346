"""A person's own program: which leg is affected, and a dose for each glide chosen within
what the sources give.

Where a source gives a number (source 000: 10 to 20 repetitions, up to three times a
day), the choice must stay within it, and the error names the source's range. Where no
source gives a number (how many seconds "a few seconds" is, the pace, the seated leg
kicks' repetitions, sets, rests), the value is the person's setting: the bounds below only
catch typing mistakes, they are not clinical limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nerveglide.content.schema import Dose, Exercise

Leg = Literal["left", "right"]
AffectedLeg = Literal["left", "right", "both"]
LEGS: tuple[Leg, ...] = ("left", "right")
SETTING = "setting"  # the dose choice when no source gives one


class ProgramError(ValueError):
    """A choice the program refuses; ``field`` names what to change."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Bounds:
    """Input limits for a value the person sets: typing-mistake guards, not clinical."""

    low: float
    high: float
    unit: str


#: The person's settings: no source gives these numbers.
SETTING_BOUNDS: dict[str, Bounds] = {
    "reps": Bounds(1, 100, "repetitions"),
    "sets": Bounds(1, 10, "sets"),
    "times_per_day": Bounds(1, 24, "times a day"),
    "hold_s": Bounds(0.5, 60, "seconds"),
    "pace_s": Bounds(0.5, 30, "seconds"),
    "rest_between_reps_s": Bounds(0, 120, "seconds"),
    "rest_between_sets_s": Bounds(0, 600, "seconds"),
    "get_ready_s": Bounds(0, 120, "seconds"),
}

#: Starting values for the person's settings, shown as such; they are not advice.
SETTING_DEFAULTS: dict[str, float] = {
    "sets": 1,
    "rest_between_reps_s": 2,
    "rest_between_sets_s": 30,
    "get_ready_s": 5,
}


@dataclass(frozen=True)
class GlideDose:
    """The dose of one glide in a program.

    ``dose`` is the id of the source dose chosen (``supine-nerve-glide.dose.000``) or
    :data:`SETTING` when no source gives one. ``hold_s`` is ``None`` for glides without a
    hold at the stretch.
    """

    exercise_id: str
    dose: str
    reps: int
    sets: int
    times_per_day: int | None
    pace_s: float
    hold_s: float | None
    rest_between_reps_s: float
    rest_between_sets_s: float
    get_ready_s: float
    legs: tuple[Leg, ...]


@dataclass(frozen=True)
class Program:
    affected: AffectedLeg
    glides: tuple[GlideDose, ...] = field(default_factory=tuple)

    def glide(self, exercise_id: str) -> GlideDose | None:
        return next((g for g in self.glides if g.exercise_id == exercise_id), None)


def _check_setting(name: str, value: float, field_name: str | None = None) -> None:
    bounds = SETTING_BOUNDS[name]
    if not bounds.low <= value <= bounds.high:
        raise ProgramError(
            field_name or name,
            f"{field_name or name} must be between {bounds.low:g} and {bounds.high:g} "
            f"{bounds.unit} (your setting); got {value:g}",
        )


def _source_dose(exercise: Exercise, dose_id: str) -> Dose:
    for dose in exercise.doses:
        if dose.id == dose_id:
            return dose
    known = ", ".join(d.id for d in exercise.doses) or f"none: use {SETTING!r}"
    raise ProgramError("dose", f"{exercise.id} has no dose {dose_id!r}; its doses: {known}")


def legs_for(affected: AffectedLeg, dose: Dose | None) -> tuple[Leg, ...]:
    """Both legs when both are affected or the chosen source says "on both legs"."""
    if affected == "both" or (dose is not None and dose.legs == "both"):
        return LEGS
    return (affected,)


def has_hold(exercise: Exercise) -> bool:
    return any(p.kind == "hold" for p in exercise.reference_motion.phases)


def setting_value(exercise: Exercise, suffix: str) -> float | None:
    """The content's demonstration value of a setting such as ``.setting.hold``."""
    for setting in exercise.settings:
        if setting.id == f"{exercise.id}.setting.{suffix}":
            return setting.demo_value
    return None


def choose_dose(
    exercise: Exercise,
    affected: AffectedLeg,
    *,
    dose: str,
    reps: int | None = None,
    times_per_day: int | None = None,
    sets: int | None = None,
    hold_s: float | None = None,
    pace_s: float | None = None,
    rest_between_reps_s: float | None = None,
    rest_between_sets_s: float | None = None,
    get_ready_s: float | None = None,
) -> GlideDose:
    """Build a glide's dose, refusing what falls outside the chosen source's numbers.

    Values left as ``None`` take the source's number where it gives exactly one (15
    repetitions), else its lowest, else the setting's starting value.
    """
    source: Dose | None = None
    if dose == SETTING:
        if exercise.doses:
            sources = ", ".join(d.id for d in exercise.doses)
            raise ProgramError(
                "dose", f"the sources give doses for {exercise.id}: choose one of {sources}"
            )
    else:
        source = _source_dose(exercise, dose)

    if source is not None and source.reps_min is not None and source.reps_max is not None:
        if reps is None:
            reps = source.reps_min
        if not source.reps_min <= reps <= source.reps_max:
            given = (
                f"{source.reps_min}"
                if source.reps_min == source.reps_max
                else f"{source.reps_min} to {source.reps_max}"
            )
            raise ProgramError(
                "reps",
                f"source {source.source} gives {given} repetitions for {exercise.name}; "
                f"{reps} is outside that range",
            )
    else:
        if reps is None:
            demo = setting_value(exercise, "reps")
            reps = int(demo) if demo is not None else 10
        _check_setting("reps", reps)

    if source is not None and source.times_per_day_max is not None:
        if times_per_day is None:
            times_per_day = 1
        if not 1 <= times_per_day <= source.times_per_day_max:
            raise ProgramError(
                "times_per_day",
                f"source {source.source} gives up to {source.times_per_day_max} times a day "
                f"for {exercise.name}; {times_per_day} is outside that range",
            )
    elif times_per_day is not None:
        _check_setting("times_per_day", times_per_day)

    sets = int(SETTING_DEFAULTS["sets"]) if sets is None else sets
    _check_setting("sets", sets)
    if has_hold(exercise):
        hold_s = setting_value(exercise, "hold") if hold_s is None else hold_s
        if hold_s is None:  # pragma: no cover - every glide with a hold names its setting
            raise ProgramError("hold_s", f"{exercise.id} has a hold but no hold setting")
        _check_setting("hold_s", hold_s)
    elif hold_s is not None:
        raise ProgramError("hold_s", f"{exercise.name} has no hold at the stretch")
    if pace_s is None:
        pace_s = setting_value(exercise, "pace") or 3.0
    _check_setting("pace_s", pace_s)
    values = {
        "rest_between_reps_s": rest_between_reps_s,
        "rest_between_sets_s": rest_between_sets_s,
        "get_ready_s": get_ready_s,
    }
    resolved: dict[str, float] = {}
    for name, value in values.items():
        resolved[name] = SETTING_DEFAULTS[name] if value is None else value
        _check_setting(name, resolved[name])

    return GlideDose(
        exercise_id=exercise.id,
        dose=dose,
        reps=reps,
        sets=sets,
        times_per_day=times_per_day,
        pace_s=pace_s,
        hold_s=hold_s,
        rest_between_reps_s=resolved["rest_between_reps_s"],
        rest_between_sets_s=resolved["rest_between_sets_s"],
        get_ready_s=resolved["get_ready_s"],
        legs=legs_for(affected, source),
    )


def default_dose(exercise: Exercise, affected: AffectedLeg) -> GlideDose:
    """The first source's dose at its lowest numbers, or the settings' starting values."""
    dose = exercise.doses[0].id if exercise.doses else SETTING
    return choose_dose(exercise, affected, dose=dose)


_CHANGE_FIELDS: tuple[tuple[str, str], ...] = (
    ("dose", "dose"),
    ("reps", "repetitions"),
    ("sets", "sets"),
    ("times_per_day", "times a day"),
    ("hold_s", "hold (s)"),
    ("pace_s", "pace (s)"),
    ("legs", "legs"),
)


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_changes(before: Program | None, after: Program) -> list[str]:
    """What changed from one program version to the next, one plain line each."""
    if before is None:
        return ["first program"]
    lines: list[str] = []
    if before.affected != after.affected:
        lines.append(f"affected leg: {before.affected} → {after.affected}")
    for glide in after.glides:
        old = before.glide(glide.exercise_id)
        if old is None:
            lines.append(f"{glide.exercise_id}: added")
            continue
        for name, label in _CHANGE_FIELDS:
            was, now = getattr(old, name), getattr(glide, name)
            if was != now:
                lines.append(f"{glide.exercise_id}: {label} {_show(was)} → {_show(now)}")
    for glide in before.glides:
        if after.glide(glide.exercise_id) is None:
            lines.append(f"{glide.exercise_id}: removed")
    return lines or ["no change"]
