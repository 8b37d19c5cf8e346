"""Queries on ``diary_entry``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nerveglide.store.models.diary import DiaryEntryRow

__all__ = ["DiaryRepository"]


class DiaryRepository:
    """Reads and adds diary rows in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: DiaryEntryRow) -> DiaryEntryRow:
        self.session.add(row)
        return row

    def revisions(self, entry_date: date) -> list[DiaryEntryRow]:
        statement = (
            select(DiaryEntryRow)
            .where(DiaryEntryRow.entry_date == entry_date)
            .order_by(DiaryEntryRow.saved_at, DiaryEntryRow.id)
        )
        return list(self.session.scalars(statement))

    def between(self, start: date, end: date) -> list[DiaryEntryRow]:
        """Every saved row with a date in [start, end], oldest first."""
        statement = (
            select(DiaryEntryRow)
            .where(DiaryEntryRow.entry_date >= start, DiaryEntryRow.entry_date <= end)
            .order_by(DiaryEntryRow.entry_date, DiaryEntryRow.saved_at, DiaryEntryRow.id)
        )
        return list(self.session.scalars(statement))
