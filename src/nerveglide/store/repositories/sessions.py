"""Queries on ``exercise_session``, ``session_repetition`` and ``stop_event``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nerveglide.store.models.exercise_session import (
    ExerciseSessionRow,
    SessionRepetitionRow,
)

__all__ = ["SessionRepository"]


class SessionRepository:
    """Reads and adds sessions, their repetitions and stop events; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, session_id: str, *, for_update: bool = False) -> ExerciseSessionRow | None:
        statement = select(ExerciseSessionRow).where(ExerciseSessionRow.id == session_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).one_or_none()

    def add(self, row: ExerciseSessionRow) -> ExerciseSessionRow:
        self.session.add(row)
        return row

    def latest_in_progress(self) -> ExerciseSessionRow | None:
        statement = (
            select(ExerciseSessionRow)
            .where(ExerciseSessionRow.status == "in_progress")
            .order_by(ExerciseSessionRow.started_at.desc())
            .limit(1)
        )
        return self.session.scalars(statement).first()

    def completed_between(self, start: datetime, end: datetime) -> int:
        """How many sessions started in ``[start, end)`` were completed."""
        statement = select(func.count(ExerciseSessionRow.id)).where(
            ExerciseSessionRow.status == "completed",
            ExerciseSessionRow.started_at >= start,
            ExerciseSessionRow.started_at < end,
        )
        return int(self.session.scalar(statement) or 0)

    def history(self, limit: int = 100) -> list[ExerciseSessionRow]:
        statement = (
            select(ExerciseSessionRow).order_by(ExerciseSessionRow.started_at.desc()).limit(limit)
        )
        return list(self.session.scalars(statement))

    def repetition(
        self, session_id: str, exercise_id: str, leg: str, set_no: int, rep_no: int, attempt: int
    ) -> SessionRepetitionRow | None:
        statement = select(SessionRepetitionRow).where(
            SessionRepetitionRow.session_id == session_id,
            SessionRepetitionRow.exercise_id == exercise_id,
            SessionRepetitionRow.leg == leg,
            SessionRepetitionRow.set_no == set_no,
            SessionRepetitionRow.rep_no == rep_no,
            SessionRepetitionRow.attempt == attempt,
        )
        return self.session.scalars(statement).one_or_none()
