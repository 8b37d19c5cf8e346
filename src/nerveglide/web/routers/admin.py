"""The admin's pages: accounts (create clinicians, disable accounts) and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from nerveglide.errors import InvalidInput
from nerveglide.services import account_mail, accounts, admin
from nerveglide.web.auth import ActorDep, require_admin
from nerveglide.web.deps import LibraryDep, SettingsDep
from nerveglide.web.schemas import RowId
from nerveglide.web.templating import templates

router = APIRouter(dependencies=[Depends(require_admin)])


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request, library: LibraryDep, actor: ActorDep, created: str = ""
) -> HTMLResponse:
    rows = admin.list_accounts(request.app.state.session_factory, actor)
    return templates.TemplateResponse(
        request,
        "admin.html",
        {"library": library, "page": "admin", "accounts": rows, "created": created},
    )


@router.post("/admin/clinicians", response_class=HTMLResponse, response_model=None)
def create_clinician(
    request: Request,
    library: LibraryDep,
    settings: SettingsDep,
    actor: ActorDep,
    email: Annotated[str, Form(max_length=254)],
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    factory = request.app.state.session_factory
    try:
        row, token = accounts.create_clinician(
            factory, settings, actor, email=email, display_name=display_name,
            now=datetime.now(UTC),
        )  # fmt: skip
    except InvalidInput as exc:
        rows = admin.list_accounts(factory, actor)
        return templates.TemplateResponse(
            request,
            "admin.html",
            {"library": library, "page": "admin", "accounts": rows, "error": exc.message},
            status_code=422,
        )
    account_mail.clinician_welcome(settings, row.email, token)
    return RedirectResponse(f"/admin?created={row.email}", status_code=303)


@router.post("/admin/accounts/{account_id}/disable")
def disable(request: Request, account_id: RowId, actor: ActorDep) -> RedirectResponse:
    accounts.disable_account(
        request.app.state.session_factory, actor, account_id, datetime.now(UTC)
    )
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, library: LibraryDep, actor: ActorDep) -> HTMLResponse:
    rows = admin.audit_entries(request.app.state.session_factory, actor)
    return templates.TemplateResponse(
        request,
        "admin_audit.html",
        {"library": library, "page": "audit", "entries": rows, "columns": admin.AUDIT_COLUMNS},
    )


@router.get("/admin/audit.csv")
def audit_csv(request: Request, actor: ActorDep) -> PlainTextResponse:
    return PlainTextResponse(
        admin.audit_csv(request.app.state.session_factory, actor),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="nerveglide-audit.csv"'},
    )
