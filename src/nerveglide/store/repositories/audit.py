"""Queries on the audit log. There is no update or delete here, and the database's
triggers refuse them anyway."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nerveglide.store.models.account import AuditEventRow

__all__ = ["AuditRepository"]


class AuditRepository:
    """Appends to and reads the audit log in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append_many(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append entries given as column values, in one statement (no objects, no ids
        read back): a dashboard records fifty reads at once."""
        if entries:
            self.session.execute(insert(AuditEventRow), list(entries))

    def add(self, row: AuditEventRow) -> None:
        self.session.add(row)

    def entries(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        patient_id: int | None = None,
        actor_id: int | None = None,
        action: str | None = None,
        object_type: str | None = None,
        outcome: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEventRow]:
        """Newest first; each given value narrows the entries (``until`` is exclusive)."""
        statement = select(AuditEventRow).order_by(AuditEventRow.id.desc())
        if since is not None:
            statement = statement.where(AuditEventRow.at >= since)
        if until is not None:
            statement = statement.where(AuditEventRow.at < until)
        if action is not None:
            statement = statement.where(AuditEventRow.action == action)
        if object_type is not None:
            statement = statement.where(AuditEventRow.object_type == object_type)
        if outcome is not None:
            statement = statement.where(AuditEventRow.outcome == outcome)
        if patient_id is not None:
            statement = statement.where(AuditEventRow.patient_id == patient_id)
        if actor_id is not None:
            statement = statement.where(AuditEventRow.actor_id == actor_id)
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))
