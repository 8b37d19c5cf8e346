"""Queries on ``exercise_session``, ``session_repetition`` and ``stop_event``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from nerveglide.store.models.exercise_session import (
    ExerciseSessionRow,
    SessionRepetitionRow,
    StopEventRow,
)

__all__ = ["AnyRow", "SessionColumns", "SessionRepository"]

#: A result row of any columns (it unpacks like a tuple, and has the columns' names).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


@dataclass(frozen=True)
class SessionColumns:
    """The sessions started in a period, their repetitions and their stops, as plain rows
    (column tuples, not ORM objects: a year is 15,000 repetitions), each list in time order.
    Repetition and stop rows carry their ``session_id``."""

    sessions: list[AnyRow]
    repetitions: list[AnyRow]
    stops: list[AnyRow]


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

    def columns_between(self, start: datetime, end: datetime) -> SessionColumns:
        """Every session started in ``[start, end)`` with its repetitions and stops, read as
        three column queries (for reports, which read many sessions and change none)."""
        s, r, e = ExerciseSessionRow, SessionRepetitionRow, StopEventRow
        in_period = (s.started_at >= start, s.started_at < end)
        sessions = select(
            s.id,
            s.program_id,
            s.source,
            s.status,
            s.glides,
            s.started_at,
            s.ended_at,
            s.pain_before_back,
            s.pain_before_leg,
            s.pain_after_back,
            s.pain_after_leg,
            s.felt_worse,
            s.spread,
        ).where(*in_period)
        repetitions = (
            select(
                r.session_id,
                r.exercise_id,
                r.leg,
                r.set_no,
                r.rep_no,
                r.attempt,
                r.started_at,
                r.ended_at,
                r.hold_s,
                r.counted_by,
                r.range_deg,
                r.measures,
            )
            .join(s, s.id == r.session_id)
            .where(*in_period)
        )
        stops = (
            select(
                e.session_id,
                e.occurred_at,
                e.pain,
                e.areas,
                e.exercise_id,
                e.leg,
                e.set_no,
                e.rep_no,
                e.step_kind,
            )
            .join(s, s.id == e.session_id)
            .where(*in_period)
        )
        return SessionColumns(
            sessions=list(self.session.execute(sessions.order_by(s.started_at, s.id))),
            repetitions=list(self.session.execute(repetitions.order_by(r.id))),
            stops=list(self.session.execute(stops.order_by(e.id))),
        )

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
