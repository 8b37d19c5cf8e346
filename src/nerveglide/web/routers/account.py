"""My account: who I am, a copy of all my data, letting the admin read it, deleting it."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from nerveglide.errors import NotAuthenticated
from nerveglide.services import accounts, audit
from nerveglide.services.access import own_patient_id
from nerveglide.services.analysis import patient_data_dir
from nerveglide.services.recordings import recordings_dir
from nerveglide.services.rights import write_everything
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.web.auth import ActorDep, session_cookie_name
from nerveglide.web.deps import LibraryDep, PatientIdDep, RulesDep, SettingsDep, UoWDep
from nerveglide.web.templating import templates

router = APIRouter()


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, library: LibraryDep, actor: ActorDep) -> HTMLResponse:
    with SqlAlchemyUnitOfWork(request.app.state.session_factory) as uow:
        account = uow.accounts.get(actor.account_id or 0)
        clinician = (
            uow.accounts.get(account.clinician_id) if account and account.clinician_id else None
        )
    return templates.TemplateResponse(
        request,
        "account.html",
        {"library": library, "page": "account", "account": account, "clinician": clinician},
    )


@router.get("/account/my-data.zip")
def my_data(
    request: Request,
    library: LibraryDep,
    rules: RulesDep,
    settings: SettingsDep,
    uow: UoWDep,
    actor: ActorDep,
) -> Response:
    now = datetime.now(UTC)
    account = uow.accounts.get(own_patient_id(actor))
    assert account is not None
    # Written to a temporary file (kept videos can be large), sent, then deleted.
    with tempfile.NamedTemporaryFile(
        prefix="nerveglide-my-data-", suffix=".zip", delete=False
    ) as out:
        try:
            write_everything(
                uow, account, out, recordings=recordings_dir(settings.data_dir, account.id),
                timezone=settings.timezone, now=now, today=settings.today(now),
                library=library, rules=rules,
            )  # fmt: skip
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    audit.record(
        request.app.state.session_factory, actor, "export", "patient", account.id,
        patient_id=account.id,
    )  # fmt: skip
    return FileResponse(
        out.name,
        media_type="application/zip",
        filename="nerveglide-my-data.zip",
        background=BackgroundTask(Path(out.name).unlink, missing_ok=True),
    )


@router.post("/account/admin-access")
def admin_access(
    request: Request, actor: ActorDep, patient_id: PatientIdDep, grant: Annotated[str, Form()] = ""
) -> RedirectResponse:
    with SqlAlchemyUnitOfWork(request.app.state.session_factory) as uow:
        account = uow.accounts.get(patient_id)
        assert account is not None
        account.admin_access_granted = grant == "yes"
        uow.commit()
    audit.record(
        request.app.state.session_factory, actor,
        "grant_admin" if grant == "yes" else "revoke_admin", "account", patient_id,
        patient_id=patient_id,
    )  # fmt: skip
    return RedirectResponse("/account", status_code=303)


@router.post("/account/delete")
def delete_my_account(
    request: Request,
    settings: SettingsDep,
    actor: ActorDep,
    patient_id: PatientIdDep,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    factory = request.app.state.session_factory
    try:  # the password once more: deleting everything is not a one-click thing
        accounts.authenticate(
            factory, settings, email=actor.email or "", password=password,
            address=actor.address, now=datetime.now(UTC),
        )  # fmt: skip
    except NotAuthenticated:
        return RedirectResponse("/account?wrong_password=1", status_code=303)
    accounts.delete_account(factory, actor, patient_id)
    shutil.rmtree(patient_data_dir(settings.data_dir, patient_id), ignore_errors=True)
    response = RedirectResponse("/?deleted=1", status_code=303)
    response.delete_cookie(session_cookie_name(settings), path="/")
    return response
