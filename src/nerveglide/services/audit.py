"""Audit entries that are not row changes: logins, failed logins, reads of a patient's
data by someone else, denied access, account changes.

Each is written in a transaction of its own, so it stays even when the request that
caused it fails (a denied access raises, and rolls the request's own work back).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from nerveglide.domain.accounts import Actor
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AuditEventRow

__all__ = ["record", "record_reads"]


def record(
    session_factory: SessionFactory,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    *,
    patient_id: int | None = None,
    outcome: str = "ok",
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.audit.add(
            AuditEventRow(
                at=datetime.now(UTC),
                actor_id=actor.account_id if actor else None,
                actor_role=actor.role if actor else None,
                action=action,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                patient_id=patient_id,
                address=address if address is not None else (actor.address if actor else None),
                outcome=outcome,
                detail=detail or {},
            )
        )
        uow.commit()


def record_reads(
    session_factory: SessionFactory,
    actor: Actor,
    object_type: str,
    patient_ids: Sequence[int],
) -> None:
    """One "read" entry per patient, written together (a dashboard reads many at once)."""
    at = datetime.now(UTC)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.audit.append_many(
            [
                {
                    "at": at,
                    "actor_id": actor.account_id,
                    "actor_role": actor.role,
                    "action": "read",
                    "object_type": object_type,
                    "object_id": str(patient_id),
                    "patient_id": patient_id,
                    "address": actor.address,
                    "outcome": "ok",
                    "detail": {},
                }
                for patient_id in patient_ids
            ]
        )
        uow.commit()
