"""Queries on the safety tables (screenings, clearances, verdicts, settings) and the
session facts the safety rules read."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from nerveglide.store.models.exercise_session import ExerciseSessionRow
from nerveglide.store.models.safety import (
    SafetyClearanceRow,
    SafetySettingRow,
    SafetyVerdictRow,
    ScreeningAnswerRow,
    ScreeningRow,
)

__all__ = ["SafetyRepository"]


class SafetyRepository:
    """Reads and adds safety records in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def answers(self) -> list[ScreeningAnswerRow]:
        statement = select(ScreeningAnswerRow).order_by(ScreeningAnswerRow.answered_at)
        return list(self.session.scalars(statement))

    def ended_sessions(self) -> list[ExerciseSessionRow]:
        statement = (
            select(ExerciseSessionRow)
            .where(ExerciseSessionRow.status != "in_progress")
            .order_by(ExerciseSessionRow.started_at)
            # The rules read each session's own columns only: its repetitions and stops
            # load if someone asks for them, not for every session of a year.
            .options(lazyload(ExerciseSessionRow.repetitions), lazyload(ExerciseSessionRow.stops))
        )
        return list(self.session.scalars(statement))

    def clearances(self) -> list[SafetyClearanceRow]:
        return list(self.session.scalars(select(SafetyClearanceRow)))

    def settings(self) -> list[SafetySettingRow]:
        return list(self.session.scalars(select(SafetySettingRow)))

    def setting(self, name: str) -> SafetySettingRow | None:
        return self.session.scalars(
            select(SafetySettingRow).where(SafetySettingRow.name == name)
        ).one_or_none()

    def add(
        self, row: ScreeningRow | SafetyClearanceRow | SafetyVerdictRow | SafetySettingRow
    ) -> None:
        self.session.add(row)

    def verdicts(self) -> list[SafetyVerdictRow]:
        return list(self.session.scalars(select(SafetyVerdictRow).order_by(SafetyVerdictRow.id)))
