"""The person's own program: read the one in use, save a new version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from nerveglide.content.schema import Library
from nerveglide.domain.program import (
    AffectedLeg,
    GlideDose,
    Leg,
    Program,
    ProgramError,
    choose_dose,
)
from nerveglide.errors import InvalidInput
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.program import ProgramGlideRow, ProgramRow

__all__ = [
    "StoredProgram",
    "build_program",
    "current_program",
    "program_by_id",
    "save_program",
]

AFFECTED: tuple[str, ...] = ("left", "right", "both")


class StoredProgram:
    """A saved program version: its id and the domain program."""

    def __init__(
        self,
        program_id: int,
        created_at: datetime,
        program: Program,
        prescribed_by: int | None = None,
    ) -> None:
        self.id = program_id
        self.created_at = created_at
        self.program = program
        self.prescribed_by = prescribed_by


def _to_domain(row: ProgramRow) -> StoredProgram:
    glides = tuple(
        GlideDose(
            exercise_id=g.exercise_id,
            dose=g.dose,
            reps=g.reps,
            sets=g.sets,
            times_per_day=g.times_per_day,
            pace_s=g.pace_s,
            hold_s=g.hold_s,
            rest_between_reps_s=g.rest_between_reps_s,
            rest_between_sets_s=g.rest_between_sets_s,
            get_ready_s=g.get_ready_s,
            legs=tuple(cast(Leg, leg) for leg in g.legs.split(",")),
        )
        for g in row.glides
    )
    program = Program(affected=cast(AffectedLeg, row.affected_leg), glides=glides)
    return StoredProgram(row.id, row.created_at, program, row.prescribed_by)


def build_program(library: Library, affected: str, glides: Sequence[Mapping[str, Any]]) -> Program:
    """Validate the person's choices into a :class:`Program`.

    Each glide is a mapping with ``exercise_id``, ``dose`` and any of the dose's values;
    raises :class:`InvalidInput` naming the field (``glides.1.reps``) and the source's range.
    """
    if affected not in AFFECTED:
        raise InvalidInput(f"affected_leg: must be one of left, right, both; got {affected!r}")
    if not glides:
        raise InvalidInput("glides: choose at least one glide")
    seen: set[str] = set()
    doses = []
    for index, choice in enumerate(glides):
        exercise_id = str(choice.get("exercise_id", ""))
        try:
            exercise = library.exercise(exercise_id)
        except KeyError:
            known = ", ".join(e.id for e in library.exercises)
            raise InvalidInput(
                f"glides.{index}.exercise_id: unknown glide {exercise_id!r}; known: {known}"
            ) from None
        if exercise_id in seen:
            raise InvalidInput(f"glides.{index}.exercise_id: {exercise_id} is listed twice")
        seen.add(exercise_id)
        values = {k: v for k, v in choice.items() if k not in ("exercise_id", "dose")}
        try:
            doses.append(
                choose_dose(
                    exercise,
                    cast(AffectedLeg, affected),
                    dose=str(choice.get("dose", "")),
                    **values,
                )
            )
        except ProgramError as exc:
            raise InvalidInput(f"glides.{index}.{exc.field}: {exc}") from None
        except TypeError as exc:
            raise InvalidInput(f"glides.{index}: {exc}") from None
    return Program(affected=cast(AffectedLeg, affected), glides=tuple(doses))


def program_by_id(uow: AbstractUnitOfWork, program_id: int) -> StoredProgram | None:
    row = uow.programs.get(program_id)
    return None if row is None else _to_domain(row)


def current_program(uow: AbstractUnitOfWork) -> StoredProgram | None:
    row = uow.programs.current()
    return None if row is None else _to_domain(row)


def program_versions(uow: AbstractUnitOfWork) -> list[StoredProgram]:
    """Every version of the program, newest first."""
    return [_to_domain(row) for row in uow.programs.versions()]


def save_program(
    uow: AbstractUnitOfWork,
    program: Program,
    now: datetime,
    *,
    prescribed_by: int | None = None,
) -> StoredProgram:
    """Save ``program`` as the newest version (by ``prescribed_by``, a clinician, or by
    the patient when None); the caller commits."""
    row = ProgramRow(affected_leg=program.affected, created_at=now, prescribed_by=prescribed_by)
    for position, glide in enumerate(program.glides):
        row.glides.append(
            ProgramGlideRow(
                position=position,
                exercise_id=glide.exercise_id,
                dose=glide.dose,
                reps=glide.reps,
                sets=glide.sets,
                times_per_day=glide.times_per_day,
                pace_s=glide.pace_s,
                hold_s=glide.hold_s,
                rest_between_reps_s=glide.rest_between_reps_s,
                rest_between_sets_s=glide.rest_between_sets_s,
                get_ready_s=glide.get_ready_s,
                legs=",".join(glide.legs),
            )
        )
    uow.programs.add(row)
    uow.flush()
    return _to_domain(row)
