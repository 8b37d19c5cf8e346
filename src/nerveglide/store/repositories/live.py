"""Queries on ``live_coach`` and ``session_recording``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nerveglide.store.models.live import LiveCoachRow, SessionRecordingRow

__all__ = ["LiveRepository"]


class LiveRepository:
    """Reads and adds live coach state and recordings; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def coach(self, session_id: str, *, for_update: bool = False) -> LiveCoachRow | None:
        statement = select(LiveCoachRow).where(LiveCoachRow.session_id == session_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).one_or_none()

    def claim(self, session_id: str, now: datetime) -> None:
        """Write to the session's live coach row first thing in a transaction: it takes
        the write lock at once (SQLite) or locks the row (PostgreSQL), so the reads that
        follow can't be overtaken by another session's write."""
        self.session.execute(
            update(LiveCoachRow).where(LiveCoachRow.session_id == session_id).values(updated_at=now)
        )

    def add(self, row: LiveCoachRow | SessionRecordingRow) -> None:
        self.session.add(row)

    def recordings(self, session_id: str) -> list[SessionRecordingRow]:
        statement = (
            select(SessionRecordingRow)
            .where(SessionRecordingRow.session_id == session_id)
            .order_by(SessionRecordingRow.id)
        )
        return list(self.session.scalars(statement))

    def all_recordings(self) -> list[SessionRecordingRow]:
        """Every kept video (of the unit of work's patient), oldest first."""
        statement = select(SessionRecordingRow).order_by(SessionRecordingRow.id)
        return list(self.session.scalars(statement))

    def recording(self, session_id: str, recording_id: int) -> SessionRecordingRow | None:
        statement = select(SessionRecordingRow).where(
            SessionRecordingRow.session_id == session_id,
            SessionRecordingRow.id == recording_id,
        )
        return self.session.scalars(statement).one_or_none()

    def delete(self, row: SessionRecordingRow) -> None:
        self.session.delete(row)
