"""What an admin does: list and manage accounts, read and export the audit log. An admin
reads no clinical data (that goes through :mod:`nerveglide.services.access`)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import datetime

from nerveglide.domain.accounts import Actor
from nerveglide.errors import NotPermitted
from nerveglide.services import audit
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AccountRow, AuditEventRow

__all__ = ["AUDIT_COLUMNS", "AuditQuery", "audit_csv", "audit_entries", "list_accounts"]

AUDIT_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "address",
    "outcome",
)


def _require_admin(session_factory: SessionFactory, actor: Actor, what: str) -> None:
    if actor.role not in ("admin", "system"):
        audit.record(session_factory, actor, "access", what, outcome="denied")
        raise NotPermitted("This needs an admin account.")


def list_accounts(session_factory: SessionFactory, actor: Actor) -> list[AccountRow]:
    _require_admin(session_factory, actor, "accounts")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        return uow.accounts.all()


@dataclass(frozen=True)
class AuditQuery:
    """Which audit entries to see: each value given narrows them (``until`` exclusive)."""

    since: datetime | None = None
    until: datetime | None = None
    actor_id: int | None = None
    patient_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    outcome: str | None = None


def audit_entries(
    session_factory: SessionFactory,
    actor: Actor,
    *,
    limit: int | None = 500,
    query: AuditQuery | None = None,
) -> list[AuditEventRow]:
    """The newest entries first, at most ``limit``."""
    _require_admin(session_factory, actor, "audit_log")
    query = query or AuditQuery()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        return uow.audit.entries(limit=limit, **asdict(query))


def audit_csv(session_factory: SessionFactory, actor: Actor) -> str:
    rows = audit_entries(session_factory, actor, limit=None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    for row in reversed(rows):
        writer.writerow(
            [
                row.id,
                row.at.isoformat(),
                row.actor_id if row.actor_id is not None else "",
                row.actor_role or "",
                row.action,
                row.object_type,
                row.object_id or "",
                row.patient_id if row.patient_id is not None else "",
                row.address or "",
                row.outcome,
            ]
        )
    audit.record(session_factory, actor, "export", "audit_log")
    return out.getvalue()
