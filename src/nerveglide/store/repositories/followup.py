"""Queries on a clinician's follow-up of one patient: notes and alerts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nerveglide.store.models.account import AlertRow, ClinicianNoteRow

__all__ = ["FollowUpRepository"]


class FollowUpRepository:
    """Reads and adds notes and alerts in one (patient-scoped) session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: AlertRow | ClinicianNoteRow) -> None:
        self.session.add(row)

    def notes(self) -> list[ClinicianNoteRow]:
        statement = select(ClinicianNoteRow).order_by(ClinicianNoteRow.id.desc())
        return list(self.session.scalars(statement))

    def alerts(self, *, open_only: bool = False) -> list[AlertRow]:
        statement = select(AlertRow).order_by(AlertRow.id.desc())
        if open_only:
            statement = statement.where(AlertRow.acknowledged_at.is_(None))
        return list(self.session.scalars(statement))

    def alert(self, alert_id: int) -> AlertRow | None:
        return self.session.get(AlertRow, alert_id)
