"""The clinician's JSON API: what ``/clinician`` and a patient's page show (the dashboard
of their patients, one patient's overview, notes), acknowledging an alert, prescribing a
new program version. Behind the same checks as the pages: clinicians only, and each
patient through :mod:`nerveglide.services.access` (another clinician's patient is 404)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from nerveglide.config import Settings
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.accounts import Actor
from nerveglide.services import clinician
from nerveglide.services.programs import build_program
from nerveglide.web.auth import ActorDep, require_clinician
from nerveglide.web.deps import LibraryDep, RulesDep, SettingsDep
from nerveglide.web.responses import ProgramOut
from nerveglide.web.routers.program import program_json
from nerveglide.web.schemas import ProgramIn, RowId
from nerveglide.web.staff_schemas import (
    NoteIn,
    NoteOut,
    PatientLineOut,
    PatientOverviewOut,
    line_out,
    note_out,
    overview_out,
)

router = APIRouter(prefix="/api/clinician", dependencies=[Depends(require_clinician)])


def dashboard_listing(
    request: Request,
    actor: Actor,
    library: Library,
    rules: RuleSet,
    settings: Settings,
    *,
    page: int = 1,
    query: str = "",
) -> clinician.DashboardPage:
    """One page of the dashboard, as of now (the page and the API show the same)."""
    now = datetime.now(UTC)
    return clinician.dashboard_page(
        request.app.state.session_factory, actor, rules=rules, library=library,
        questionnaires=request.app.state.questionnaires,
        timezone=settings.timezone, today=settings.today(now), now=now,
        page=page, query=query,
    )  # fmt: skip


def overview_of(
    request: Request,
    actor: Actor,
    patient_id: int,
    library: Library,
    rules: RuleSet,
    settings: Settings,
) -> clinician.PatientOverview:
    """One patient's overview, as of now (the page and the API show the same)."""
    now = datetime.now(UTC)
    return clinician.patient_overview(
        request.app.state.session_factory, actor, patient_id, rules=rules, library=library,
        questionnaires=request.app.state.questionnaires,
        timezone=settings.timezone, today=settings.today(now), now=now,
    )  # fmt: skip


@router.get("/patients", response_model=list[PatientLineOut])
def patients(
    request: Request,
    library: LibraryDep,
    rules: RulesDep,
    settings: SettingsDep,
    actor: ActorDep,
    response: Response,
    page: Annotated[int, Query(ge=1, le=100_000, description="The page, from 1.")] = 1,
    q: Annotated[str, Query(max_length=100, description="Part of a name or email.")] = "",
) -> list[PatientLineOut]:
    """The clinician's patients with the dashboard's figures, those with a safety pause or
    an open alert first, 50 a page; the ``X-Total-Count`` and ``X-Page-Count`` headers
    say how many patients match and on how many pages."""
    listing = dashboard_listing(request, actor, library, rules, settings, page=page, query=q)
    response.headers["X-Total-Count"] = str(listing.total)
    response.headers["X-Page-Count"] = str(listing.pages)
    return [line_out(line) for line in listing.lines]


@router.get("/patients/{patient_id}", response_model=PatientOverviewOut)
def patient(
    request: Request,
    patient_id: RowId,
    library: LibraryDep,
    rules: RulesDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> PatientOverviewOut:
    return overview_out(overview_of(request, actor, patient_id, library, rules, settings))


@router.get("/patients/{patient_id}/notes", response_model=list[NoteOut])
def notes(request: Request, patient_id: RowId, actor: ActorDep) -> list[NoteOut]:
    rows = clinician.notes(request.app.state.session_factory, actor, patient_id)
    return [note_out(row) for row in rows]


@router.post("/patients/{patient_id}/notes", status_code=201, response_model=NoteOut)
def add_note(request: Request, patient_id: RowId, body: NoteIn, actor: ActorDep) -> NoteOut:
    row = clinician.add_note(
        request.app.state.session_factory, actor, patient_id, body.text, datetime.now(UTC)
    )
    return note_out(row)


@router.post(
    "/patients/{patient_id}/alerts/{alert_id}/acknowledge",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "The alert is acknowledged."}},
)
def acknowledge(request: Request, patient_id: RowId, alert_id: RowId, actor: ActorDep) -> Response:
    clinician.acknowledge_alert(
        request.app.state.session_factory, actor, patient_id, alert_id, datetime.now(UTC)
    )
    return Response(status_code=204)


@router.put("/patients/{patient_id}/program", response_model=ProgramOut)
def prescribe(
    request: Request, patient_id: RowId, body: ProgramIn, library: LibraryDep, actor: ActorDep
) -> ProgramOut:
    """A new version of the patient's program, by this clinician (each dose names its
    source, or is the clinician's own: ``setting``)."""
    factory = request.app.state.session_factory
    clinician.ensure_patient(factory, actor, patient_id)
    glides = [g.model_dump(exclude_none=True) for g in body.glides]
    program = build_program(library, body.affected_leg, glides)
    stored = clinician.prescribe(factory, actor, patient_id, program, datetime.now(UTC))
    return ProgramOut.model_validate(program_json(stored.program, stored.id))
