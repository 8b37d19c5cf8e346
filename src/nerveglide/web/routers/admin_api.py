"""The admin's JSON API: what ``/admin`` and ``/admin/audit`` show (accounts, the audit
log with a query), creating a clinician, disabling an account. Admins only; no clinical
data here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from nerveglide.services import account_mail, accounts, admin
from nerveglide.web.auth import ActorDep, require_admin
from nerveglide.web.deps import SettingsDep
from nerveglide.web.schemas import MAX_ROW_ID, RowId
from nerveglide.web.staff_schemas import (
    AccountOut,
    AuditEventOut,
    ClinicianIn,
    account_out,
    audit_out,
)

router = APIRouter(prefix="/api/admin", dependencies=[Depends(require_admin)])

OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
OptionalWord = Annotated[str | None, Query(max_length=40)]


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(request: Request, actor: ActorDep) -> list[AccountOut]:
    return [
        account_out(row) for row in admin.list_accounts(request.app.state.session_factory, actor)
    ]


@router.post("/clinicians", status_code=201, response_model=AccountOut)
def create_clinician(
    request: Request, body: ClinicianIn, settings: SettingsDep, actor: ActorDep
) -> AccountOut:
    """A clinician account; they get an email with a single-use link to choose a password."""
    row, token = accounts.create_clinician(
        request.app.state.session_factory, settings, actor, email=body.email,
        display_name=body.display_name, now=datetime.now(UTC),
    )  # fmt: skip
    account_mail.clinician_welcome(settings, row.email, token)
    return account_out(row)


@router.post("/accounts/{account_id}/disable", response_model=AccountOut)
def disable(request: Request, account_id: RowId, actor: ActorDep) -> AccountOut:
    """The account can no longer log in, and every session of it ends."""
    row = accounts.disable_account(
        request.app.state.session_factory, actor, account_id, datetime.now(UTC)
    )
    return account_out(row)


@router.get("/audit", response_model=list[AuditEventOut])
def audit_log(
    request: Request,
    actor: ActorDep,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_id: OptionalId = None,
    patient_id: OptionalId = None,
    action: OptionalWord = None,
    object_type: OptionalWord = None,
    outcome: OptionalWord = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AuditEventOut]:
    """The audit log, newest first: every value given narrows it (``since`` inclusive,
    ``until`` exclusive, both ISO 8601 with a UTC offset)."""
    query = admin.AuditQuery(
        since=since, until=until, actor_id=actor_id, patient_id=patient_id, action=action,
        object_type=object_type, outcome=outcome,
    )  # fmt: skip
    rows = admin.audit_entries(request.app.state.session_factory, actor, limit=limit, query=query)
    return [audit_out(row) for row in rows]
