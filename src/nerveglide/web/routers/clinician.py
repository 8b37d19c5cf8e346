"""The clinician's pages: the dashboard of their patients, inviting a patient, a patient's
page (plots and reports, program versions, notes, alerts), prescribing, clearing a pause.

Routes stay thin: who may see which patient is decided in the services
(:mod:`nerveglide.services.access`), never here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from nerveglide.domain.program import SETTING, SETTING_BOUNDS, SETTING_DEFAULTS
from nerveglide.errors import InvalidInput
from nerveglide.reports.plots import plot_svg, plots
from nerveglide.services import account_mail, accounts, clinician
from nerveglide.services.access import patient_uow
from nerveglide.services.programs import build_program, current_program
from nerveglide.services.reports import export
from nerveglide.web.auth import ActorDep, require_clinician
from nerveglide.web.deps import LibraryDep, RulesDep, SettingsDep
from nerveglide.web.routers.clinician_api import dashboard_listing, overview_of
from nerveglide.web.routers.program import _field_path, _form_values, parse_program_form
from nerveglide.web.routers.reports import DOWNLOADS, _period
from nerveglide.web.schemas import RowId
from nerveglide.web.templating import templates

router = APIRouter(dependencies=[Depends(require_clinician)])


def _context(request: Request, library: Any, **extra: Any) -> dict[str, Any]:
    return {"library": library, "page": "clinician", **extra}


@router.get("/clinician", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    library: LibraryDep,
    rules: RulesDep,
    settings: SettingsDep,
    actor: ActorDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="The page, from 1.")] = 1,
    q: Annotated[str, Query(max_length=100, description="Part of a name or email.")] = "",
) -> HTMLResponse:
    return _render_dashboard(request, library, rules, settings, actor, number=page, query=q)


def _render_dashboard(
    request: Request,
    library: Any,
    rules: Any,
    settings: Any,
    actor: Any,
    *,
    invited: str = "",
    link: str = "",
    number: int = 1,
    query: str = "",
) -> HTMLResponse:
    listing = dashboard_listing(request, actor, library, rules, settings, page=number, query=query)
    return templates.TemplateResponse(
        request,
        "clinician.html",
        _context(
            request, library, lines=listing.lines, listing=listing, invited=invited, link=link
        ),
    )


@router.post("/clinician/invite", response_class=HTMLResponse, response_model=None)
async def invite(
    request: Request, library: LibraryDep, rules: RulesDep, settings: SettingsDep, actor: ActorDep
) -> Response:
    email = str((await request.form()).get("email", ""))
    try:
        token = accounts.invite_patient(
            request.app.state.session_factory, settings, actor, email=email, now=datetime.now(UTC)
        )
    except InvalidInput as exc:
        return templates.TemplateResponse(
            request,
            "clinician.html",
            _context(request, library, lines=[], error=exc.message),
            status_code=422,
        )
    account_mail.invitation(settings, email.strip().lower(), token)
    link = account_mail.invitation_link(settings, token)
    # The page shows the link too, for an installation without a mail server: the
    # clinician can hand it over themselves.
    return _render_dashboard(
        request, library, rules, settings, actor, invited=email.strip().lower(), link=link
    )


@router.get("/clinician/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    request: Request,
    patient_id: RowId,
    library: LibraryDep,
    rules: RulesDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> HTMLResponse:
    overview = overview_of(request, actor, patient_id, library, rules, settings)
    report = overview.report
    shown = []
    for plot in plots(report):  # the same figures as the patient's Progress page
        svg = plot_svg(plot, report) if not report.empty else None
        shown.append({"plot": plot, "svg": Markup(svg) if svg else None})
    return templates.TemplateResponse(
        request,
        "clinician_patient.html",
        _context(
            request,
            library,
            o=overview,
            plots=shown,
            downloads=list(DOWNLOADS),
            tier_text=rules.tier_text,
        ),
    )


@router.get("/clinician/patients/{patient_id}/progress/{name}")
def patient_download(
    request: Request,
    patient_id: RowId,
    name: str,
    library: LibraryDep,
    rules: RulesDep,
    settings: SettingsDep,
    actor: ActorDep,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    kind = DOWNLOADS.get(name)
    if kind is None:
        raise InvalidInput(f"There is no download {name!r}; there are {', '.join(DOWNLOADS)}.")
    now = datetime.now(UTC)
    period = _period(start, end, settings.today(now))
    with patient_uow(request.app.state.session_factory, actor, patient_id, what="report") as uow:
        made = export(
            uow, kind, period, timezone=settings.timezone, now=now, library=library, rules=rules
        )
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.get("/clinician/patients/{patient_id}/program", response_class=HTMLResponse)
def prescribe_page(
    request: Request, patient_id: RowId, library: LibraryDep, actor: ActorDep
) -> HTMLResponse:
    with patient_uow(request.app.state.session_factory, actor, patient_id, what="program") as uow:
        stored = current_program(uow)
    return _prescribe_form(request, library, patient_id, _form_values(
        library, stored.program if stored else None
    ))  # fmt: skip


def _prescribe_form(
    request: Request,
    library: Any,
    patient_id: RowId,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "program.html",
        {
            "library": library,
            "page": "clinician",
            "values": values,
            "error": error,
            "saved": False,
            "SETTING": SETTING,
            "bounds": SETTING_BOUNDS,
            "defaults": SETTING_DEFAULTS,
            "form_action": f"/clinician/patients/{patient_id}/program",
            "prescribing": True,
        },
        status_code=status_code,
    )


@router.post("/clinician/patients/{patient_id}/program", response_class=HTMLResponse)
async def prescribe_submit(
    request: Request, patient_id: RowId, library: LibraryDep, actor: ActorDep
) -> Response:
    clinician.ensure_patient(request.app.state.session_factory, actor, patient_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    values: dict[str, Any] = dict(form)
    for exercise in library.exercises:
        values[f"{exercise.id}.include"] = form.get(f"{exercise.id}.include") == "on"
    glides: list[dict[str, Any]] = []
    try:
        affected, glides = parse_program_form(library, form)
        program = build_program(library, affected, glides)
    except InvalidInput as exc:
        return _prescribe_form(
            request, library, patient_id, values, error=_field_path(exc.message, glides),
            status_code=422,
        )  # fmt: skip
    clinician.prescribe(
        request.app.state.session_factory, actor, patient_id, program, datetime.now(UTC)
    )
    return RedirectResponse(f"/clinician/patients/{patient_id}?prescribed=1", status_code=303)


@router.post("/clinician/patients/{patient_id}/notes")
async def add_note(request: Request, patient_id: RowId, actor: ActorDep) -> RedirectResponse:
    text = str((await request.form()).get("text", ""))
    clinician.add_note(
        request.app.state.session_factory, actor, patient_id, text, datetime.now(UTC)
    )
    return RedirectResponse(f"/clinician/patients/{patient_id}#notes", status_code=303)


@router.post("/clinician/patients/{patient_id}/clear-pause")
async def clear_pause(
    request: Request, patient_id: RowId, rules: RulesDep, actor: ActorDep
) -> RedirectResponse:
    note = str((await request.form()).get("note", "")) or None
    clinician.clear_pause(
        request.app.state.session_factory, actor, patient_id, rules, datetime.now(UTC), note
    )
    return RedirectResponse(f"/clinician/patients/{patient_id}?cleared=1", status_code=303)


@router.post("/clinician/patients/{patient_id}/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request, patient_id: RowId, alert_id: RowId, actor: ActorDep
) -> RedirectResponse:
    clinician.acknowledge_alert(
        request.app.state.session_factory, actor, patient_id, alert_id, datetime.now(UTC)
    )
    return RedirectResponse(f"/clinician/patients/{patient_id}", status_code=303)
