"""Safety pages and API: the red-flag screening, "Why am I seeing this?", the emergency
screen, the public rule set, and confirming you have seen a doctor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nerveglide.content.safety_rules import AnswerCondition, CountCondition, Rule, RuleSet
from nerveglide.domain.safety import Verdict
from nerveglide.errors import InvalidInput
from nerveglide.services.safety import (
    confirm_seen_doctor,
    current_verdict,
    is_screening_due,
    record_screening,
    safety_settings,
)
from nerveglide.web.deps import LibraryDep, PatientIdDep, RulesDep, UoWDep
from nerveglide.web.responses import SafetyOut, SeenDoctorOut, VerdictOut
from nerveglide.web.schemas import ApiBody
from nerveglide.web.templating import templates

router = APIRouter()


def verdict_json(verdict: Verdict, *, screening_due: bool | None = None) -> dict[str, Any]:
    return {
        "tier": verdict.tier,
        "blocks_sessions": verdict.blocks_sessions,
        "rules_version": verdict.rules_version,
        "fired": [
            {
                "rule_id": f.rule_id,
                "version": f.version,
                "tier": f.tier,
                "title": f.title,
                "message": f.message,
                "why": f.why,
            }
            for f in verdict.fired
        ],
        "screening_due": screening_due,
    }


def reads(rule: Rule, rules: RuleSet) -> str:
    """What a rule reads, in words, for the rule pages."""
    condition = rule.condition
    if isinstance(condition, AnswerCondition):
        return f"Your answer to: {rules.question(condition.question).text}"
    if isinstance(condition, CountCondition):
        names = ", ".join(rules.setting(n).label.lower() for n in condition.settings)
        return f"Your recent sessions ({names})"
    return "Your latest session"


def where_next(verdict: Verdict, next_url: str) -> str:
    if verdict.tier == "emergency":
        return "/safety/emergency"
    if verdict.blocks_sessions:
        return "/safety/why"
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/session"


@router.get("/screening", response_class=HTMLResponse)
def screening_page(
    request: Request,
    library: LibraryDep,
    rules: RulesDep,
    patient_id: PatientIdDep,  # the questions are for a patient, about themselves
    next: str = "/session",
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "screening.html",
        {"library": library, "page": "safety", "rules": rules, "next": next, "values": {}},
    )


@router.post("/screening", response_class=HTMLResponse)
async def screening_submit(
    request: Request, library: LibraryDep, rules: RulesDep, uow: UoWDep
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    next_url = form.pop("next", "/session")
    answers = {k: v for k, v in form.items() if k.startswith("rf.")}
    try:
        verdict = record_screening(uow, rules, answers, datetime.now(UTC), source="web")
    except InvalidInput as exc:
        return templates.TemplateResponse(
            request,
            "screening.html",
            {
                "library": library,
                "page": "safety",
                "rules": rules,
                "next": next_url,
                "values": answers,
                "error": exc.message,
            },
            status_code=422,
        )
    uow.commit()
    return RedirectResponse(where_next(verdict, next_url), status_code=303)


@router.get("/safety/why", response_class=HTMLResponse)
def why_page(request: Request, library: LibraryDep, rules: RulesDep, uow: UoWDep) -> HTMLResponse:
    verdict = current_verdict(uow, rules, datetime.now(UTC))
    by_id = {r.id: r for r in rules.rules}
    return templates.TemplateResponse(
        request,
        "safety_why.html",
        {
            "library": library,
            "page": "safety",
            "rules": rules,
            "verdict": verdict,
            "rule_defs": [by_id[f.rule_id] for f in verdict.fired],
            "reads": reads,
        },
    )


@router.get("/safety/emergency", response_class=HTMLResponse)
def emergency_page(
    request: Request, library: LibraryDep, rules: RulesDep, uow: UoWDep
) -> HTMLResponse:
    verdict = current_verdict(uow, rules, datetime.now(UTC))
    return templates.TemplateResponse(
        request,
        "safety_emergency.html",
        {"library": library, "page": "safety", "rules": rules, "verdict": verdict},
    )


@router.post("/safety/seen-doctor")
async def seen_doctor_form(request: Request, rules: RulesDep, uow: UoWDep) -> Response:
    form = await request.form()
    if form.get("confirm") != "yes":
        return RedirectResponse("/safety/why?confirm=missing", status_code=303)
    confirm_seen_doctor(
        uow, rules, datetime.now(UTC), by="person", note=str(form.get("note") or "") or None
    )
    uow.commit()
    return RedirectResponse("/safety/why?cleared=1", status_code=303)


@router.get("/safety/rules", response_class=HTMLResponse)
def rules_page(request: Request, library: LibraryDep, rules: RulesDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "safety_rules.html",
        {"library": library, "page": "safety", "rules": rules, "reads": reads},
    )


# --- API -----------------------------------------------------------------------------------


class ScreeningIn(ApiBody):
    answers: dict[str, str]


class SeenDoctorIn(ApiBody):
    confirm: bool
    note: str | None = None


@router.get("/api/safety", response_model=SafetyOut)
def api_safety(rules: RulesDep, uow: UoWDep) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        **verdict_json(
            current_verdict(uow, rules, now), screening_due=is_screening_due(uow, rules, now)
        ),
        "settings": safety_settings(uow, rules),
    }


@router.get("/api/safety/rules", response_model=RuleSet)
def api_rules(rules: RulesDep) -> RuleSet:
    return rules


@router.post("/api/screening", response_model=VerdictOut)
def api_screening(body: ScreeningIn, rules: RulesDep, uow: UoWDep) -> dict[str, Any]:
    verdict = record_screening(uow, rules, body.answers, datetime.now(UTC), source="api")
    uow.commit()
    return verdict_json(verdict, screening_due=False)


@router.post("/api/safety/seen-doctor", response_model=SeenDoctorOut)
def api_seen_doctor(body: SeenDoctorIn, rules: RulesDep, uow: UoWDep) -> dict[str, Any]:
    if not body.confirm:
        raise InvalidInput("confirm: must be true to confirm you have seen a doctor")
    cleared = confirm_seen_doctor(uow, rules, datetime.now(UTC), by="person", note=body.note)
    uow.commit()
    return {"cleared": cleared}
