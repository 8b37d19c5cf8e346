"""Queries on ``live_coach`` and ``session_recording``."""

from __future__ import annotations

from sqlalchemy import select
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

    def add(self, row: LiveCoachRow | SessionRecordingRow) -> None:
        self.session.add(row)

    def recordings(self, session_id: str) -> list[SessionRecordingRow]:
        statement = (
            select(SessionRecordingRow)
            .where(SessionRecordingRow.session_id == session_id)
            .order_by(SessionRecordingRow.id)
        )
        return list(self.session.scalars(statement))

    def recording(self, session_id: str, recording_id: int) -> SessionRecordingRow | None:
        statement = select(SessionRecordingRow).where(
            SessionRecordingRow.session_id == session_id,
            SessionRecordingRow.id == recording_id,
        )
        return self.session.scalars(statement).one_or_none()

    def delete(self, row: SessionRecordingRow) -> None:
        self.session.delete(row)
