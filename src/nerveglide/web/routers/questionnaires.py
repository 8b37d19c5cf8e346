"""Outcome questionnaires: what is due, the forms, and each score against the baseline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from nerveglide.content.questionnaire import Questionnaire
from nerveglide.errors import InvalidInput, NotFound
from nerveglide.services.questionnaires import (
    QuestionnaireStatus,
    questionnaire_status,
    record_response,
)
from nerveglide.web.deps import LibraryDep, PatientIdDep, UoWDep
from nerveglide.web.responses import QuestionnaireResultOut, QuestionnaireStatusOut
from nerveglide.web.schemas import ApiBody
from nerveglide.web.templating import templates

router = APIRouter()


def _all(request: Request) -> list[Questionnaire]:
    questionnaires: list[Questionnaire] = request.app.state.questionnaires
    return questionnaires


def _one(request: Request, questionnaire_id: str) -> Questionnaire:
    for q in _all(request):
        if q.id == questionnaire_id:
            return q
    known = ", ".join(q.id for q in _all(request))
    raise NotFound(f"There is no questionnaire {questionnaire_id!r}. Known: {known}.")


def status_json(status: QuestionnaireStatus) -> dict[str, Any]:
    latest = status.latest
    change = status.change
    return {
        "id": status.questionnaire.id,
        "title": status.questionnaire.title,
        "due": status.due,
        "due_reason": status.due_reason,
        "interval_days": status.interval_days,
        "interval_is_default": status.interval_is_default,
        "responses": len(status.responses),
        "latest": None
        if latest is None
        else {
            "answered_at": latest.answered_at.isoformat(),
            "total": latest.score.total,
            "band": latest.score.band,
        },
        "change": None
        if change is None
        else {
            "baseline": change.baseline,
            "now": change.now,
            "improvement": change.improvement,
            "threshold": change.threshold_label,
            "meets": change.meets,
        },
    }


@router.get("/questionnaires", response_class=HTMLResponse)
def questionnaires_page(request: Request, library: LibraryDep, uow: UoWDep) -> HTMLResponse:
    statuses = questionnaire_status(uow, _all(request), datetime.now(UTC))
    return templates.TemplateResponse(
        request,
        "questionnaires.html",
        {"library": library, "page": "questionnaires", "statuses": statuses},
    )


def _form(
    request: Request,
    library: Any,
    q: Questionnaire,
    *,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "questionnaire.html",
        {"library": library, "page": "questionnaires", "q": q, "values": values, "error": error},
        status_code=status_code,
    )


@router.get("/questionnaires/{questionnaire_id}", response_class=HTMLResponse)
def questionnaire_page(
    request: Request, questionnaire_id: str, library: LibraryDep, patient_id: PatientIdDep
) -> HTMLResponse:
    return _form(request, library, _one(request, questionnaire_id), values={})


@router.post("/questionnaires/{questionnaire_id}", response_class=HTMLResponse)
async def questionnaire_submit(
    request: Request, questionnaire_id: str, library: LibraryDep, uow: UoWDep
) -> Response:
    q = _one(request, questionnaire_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    answers: dict[str, Any] = {}
    names: dict[str, str] = {}
    for item in q.items:
        raw = form.get(f"answer.{item.id}", "").strip()
        if raw:
            answers[item.id] = int(raw) if raw.lstrip("-").isdigit() else raw
        name = form.get(f"name.{item.id}", "").strip()
        if name:
            names[item.id] = name
    try:
        record_response(uow, q, answers, datetime.now(UTC), names)
    except InvalidInput as exc:
        return _form(request, library, q, values=form, error=exc.message, status_code=422)
    uow.commit()
    return RedirectResponse("/questionnaires?saved=" + q.id, status_code=303)


class ResponseIn(ApiBody):
    answers: dict[str, int | str | None]
    activity_names: dict[str, str] = Field(default_factory=dict)


@router.get("/api/questionnaires", response_model=list[QuestionnaireStatusOut])
def api_questionnaires(request: Request, uow: UoWDep) -> list[dict[str, Any]]:
    return [status_json(s) for s in questionnaire_status(uow, _all(request), datetime.now(UTC))]


@router.post(
    "/api/questionnaires/{questionnaire_id}/responses",
    status_code=201,
    response_model=QuestionnaireResultOut,
)
def api_response(
    request: Request, questionnaire_id: str, body: ResponseIn, uow: UoWDep
) -> dict[str, Any]:
    q = _one(request, questionnaire_id)
    result = record_response(uow, q, body.answers, datetime.now(UTC), body.activity_names)
    uow.commit()
    return {
        "questionnaire": q.id,
        "total": result.total,
        "subscales": dict(result.subscales),
        "band": result.band,
        "missing": list(result.missing),
    }
