"""The teaching pages: home, about sciatica, the glides, safety, sources, the notice."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from nerveglide.errors import NotFound
from nerveglide.services.reminders import home_status
from nerveglide.web import views
from nerveglide.web.deps import LibraryDep, OptionalUoWDep, RulesDep, SettingsDep
from nerveglide.web.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    library: LibraryDep,
    uow: OptionalUoWDep,
    rules: RulesDep,
    settings: SettingsDep,
) -> HTMLResponse:
    now = datetime.now(UTC)
    # The session-due line is about a logged-in patient; anyone else sees the home page.
    due = home_status(uow, rules, settings.timezone, now) if uow is not None else None
    zone = ZoneInfo(settings.timezone)
    context = {
        "library": library,
        "page": "home",
        "due": due,
        "due_since": due.due_since.astimezone(zone) if due and due.due_since else None,
        "next_at": due.next_at.astimezone(zone) if due and due.next_at else None,
        "today": now.astimezone(zone).date(),
    }
    return templates.TemplateResponse(request, "home.html", context)


@router.get("/about", response_class=HTMLResponse)
def about(request: Request, library: LibraryDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "about.html", {"library": library, "page": "about"})


@router.get("/exercises", response_class=HTMLResponse)
def exercises(request: Request, library: LibraryDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "exercises.html", {"library": library, "page": "exercises"}
    )


@router.get("/exercises/{exercise_id}", response_class=HTMLResponse)
def exercise(request: Request, exercise_id: str, library: LibraryDep) -> HTMLResponse:
    glide = views.exercise_or_none(library, exercise_id)
    if glide is None:
        known = ", ".join(e.id for e in library.exercises)
        raise NotFound(f"There is no exercise called {exercise_id!r}. Known exercises: {known}.")
    steps = {s.id: s for s in glide.steps}
    rules = [r for r in library.safety.rules if r.id in set(glide.safety_rules)]
    return templates.TemplateResponse(
        request,
        "exercise.html",
        {
            "library": library,
            "page": "exercises",
            "glide": glide,
            "steps_by_id": steps,
            "rules": rules,
            "svg": Markup(views.demo_svg(glide.id)),
        },
    )


@router.get("/safety", response_class=HTMLResponse)
def safety(request: Request, library: LibraryDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "safety.html", {"library": library, "page": "safety"}
    )


@router.get("/notice", response_class=HTMLResponse)
def notice(request: Request, library: LibraryDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "notice.html", {"library": library, "page": "notice"}
    )


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, library: LibraryDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "sources.html", {"library": library, "page": "sources"}
    )
