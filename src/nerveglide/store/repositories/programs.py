"""Queries on ``program`` and ``program_glide``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nerveglide.store.models.program import ProgramRow

__all__ = ["ProgramRepository"]


class ProgramRepository:
    """Reads and adds program versions in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def current(self) -> ProgramRow | None:
        """The newest saved version, or None before the person has made one."""
        statement = select(ProgramRow).order_by(ProgramRow.id.desc()).limit(1)
        return self.session.scalars(statement).first()

    def versions(self) -> list[ProgramRow]:
        """Every saved version, newest first."""
        return list(self.session.scalars(select(ProgramRow).order_by(ProgramRow.id.desc())))

    def get(self, program_id: int) -> ProgramRow | None:
        return self.session.get(ProgramRow, program_id)

    def add(self, row: ProgramRow) -> ProgramRow:
        self.session.add(row)
        return row
