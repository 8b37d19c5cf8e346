"""Every change to a clinical row goes into the audit log, in the same transaction.

A unit of work opened on behalf of someone puts an :class:`AuditContext` in
``session.info``; after each flush, one ``audit_event`` row is written for every clinical
row added, changed or deleted (who, what, when, from where). The rows are inserted on the
flush's own connection, so they commit or roll back with the change they describe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from nerveglide.store.models.account import AuditEventRow
from nerveglide.store.models.owned import PatientOwned

__all__ = ["AuditContext", "audit_written", "set_audit_context"]

_KEY = "nerveglide.audit"


@dataclass(frozen=True)
class AuditContext:
    """Who is acting, and from where (None for the system itself, e.g. the CLI owner)."""

    actor_id: int | None
    actor_role: str | None
    address: str | None


def set_audit_context(session: Session, context: AuditContext) -> None:
    session.info[_KEY] = context


def _object_id(obj: Any) -> str:
    identity = inspect(obj).identity
    return ",".join(str(part) for part in identity) if identity else ""


def _context(session: Session) -> AuditContext:
    context: AuditContext = session.info.get(
        _KEY, AuditContext(actor_id=None, actor_role="system", address=None)
    )
    return context


def audit_written(
    session: Session, table: str, object_id: str, patient_id: int, action: str
) -> None:
    """The audit row of a clinical row written by a statement, not through the unit of
    work's objects (an insert-or-update the flush doesn't see)."""
    context = _context(session)
    session.execute(
        insert(AuditEventRow),
        [
            {
                "at": datetime.now(UTC),
                "actor_id": context.actor_id,
                "actor_role": context.actor_role,
                "action": action,
                "object_type": table,
                "object_id": object_id,
                "patient_id": patient_id,
                "address": context.address,
                "outcome": "ok",
                "detail": {},
            }
        ],
    )


@event.listens_for(Session, "after_flush")
def _audit_changes(session: Session, flush_context: Any) -> None:
    context = _context(session)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for action, objects in (
        ("create", session.new),
        ("update", [o for o in session.dirty if session.is_modified(o)]),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, PatientOwned):
                continue
            rows.append(
                {
                    "at": now,
                    "actor_id": context.actor_id,
                    "actor_role": context.actor_role,
                    "action": action,
                    "object_type": type(obj).__table__.name,  # type: ignore[attr-defined]
                    "object_id": _object_id(obj),
                    "patient_id": obj.patient_id,
                    "address": context.address,
                    "outcome": "ok",
                    "detail": {},
                }
            )
    if rows:
        session.connection().execute(insert(AuditEventRow), rows)
