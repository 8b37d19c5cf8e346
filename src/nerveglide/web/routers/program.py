"""The person's own program: a form (``/program``) and the JSON API (``/api/program``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nerveglide.content.schema import Library
from nerveglide.domain.program import (
    SETTING,
    SETTING_BOUNDS,
    SETTING_DEFAULTS,
    Program,
    default_dose,
    describe_changes,
)
from nerveglide.errors import InvalidInput, NotFound
from nerveglide.services.programs import (
    build_program,
    current_program,
    program_versions,
    save_program,
)
from nerveglide.web.deps import LibraryDep, UoWDep
from nerveglide.web.responses import ProgramOut
from nerveglide.web.schemas import ProgramIn
from nerveglide.web.templating import templates

router = APIRouter()

INT_FIELDS = ("reps", "sets", "times_per_day")
FLOAT_FIELDS = (
    "hold_s",
    "pace_s",
    "rest_between_reps_s",
    "rest_between_sets_s",
    "get_ready_s",
)


def program_json(program: Program, program_id: int | None = None) -> dict[str, Any]:
    return {
        "id": program_id,
        "affected_leg": program.affected,
        "glides": [
            {
                "exercise_id": g.exercise_id,
                "dose": g.dose,
                "reps": g.reps,
                "sets": g.sets,
                "times_per_day": g.times_per_day,
                "hold_s": g.hold_s,
                "pace_s": g.pace_s,
                "rest_between_reps_s": g.rest_between_reps_s,
                "rest_between_sets_s": g.rest_between_sets_s,
                "get_ready_s": g.get_ready_s,
                "legs": list(g.legs),
            }
            for g in program.glides
        ],
    }


def _form_values(library: Library, program: Program | None) -> dict[str, Any]:
    """What the form shows: the saved program, or each glide's starting values."""
    affected = program.affected if program else "left"
    values: dict[str, Any] = {"affected_leg": affected}
    for exercise in library.exercises:
        saved = program.glide(exercise.id) if program else None
        dose = saved or default_dose(exercise, affected)
        values[f"{exercise.id}.include"] = saved is not None or program is None
        values[f"{exercise.id}.dose"] = dose.dose
        for name in (*INT_FIELDS, *FLOAT_FIELDS):
            value = getattr(dose, name)
            values[f"{exercise.id}.{name}"] = "" if value is None else f"{value:g}"
    return values


def _render(
    request: Request,
    library: Library,
    values: dict[str, Any],
    *,
    error: str | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "program.html",
        {
            "library": library,
            "page": "program",
            "values": values,
            "error": error,
            "saved": saved,
            "SETTING": SETTING,
            "bounds": SETTING_BOUNDS,
            "defaults": SETTING_DEFAULTS,
        },
        status_code=status_code,
    )


@router.get("/program", response_class=HTMLResponse)
def program_page(
    request: Request, library: LibraryDep, uow: UoWDep, saved: int = 0
) -> HTMLResponse:
    stored = current_program(uow)
    return _render(
        request,
        library,
        _form_values(library, stored.program if stored else None),
        saved=bool(saved),
    )


@router.get("/program/history", response_class=HTMLResponse)
def program_history(request: Request, library: LibraryDep, uow: UoWDep) -> HTMLResponse:
    """Every version of the program, newest first: when, by whom, and what changed."""
    versions = program_versions(uow)
    authors = {
        v.prescribed_by: uow.accounts.get(v.prescribed_by)
        for v in versions
        if v.prescribed_by is not None
    }
    rows = [
        {
            "version": v,
            "by": authors.get(v.prescribed_by) if v.prescribed_by is not None else None,
            "changes": describe_changes(
                versions[i + 1].program if i + 1 < len(versions) else None, v.program
            ),
        }
        for i, v in enumerate(versions)
    ]
    return templates.TemplateResponse(
        request, "program_history.html", {"library": library, "page": "program", "rows": rows}
    )


def parse_program_form(library: Library, form: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """The form's fields as build_program's arguments; bad numbers name their field."""
    glides: list[dict[str, Any]] = []
    for exercise in library.exercises:
        prefix = exercise.id
        if form.get(f"{prefix}.include") != "on":
            continue
        choice: dict[str, Any] = {
            "exercise_id": exercise.id,
            "dose": form.get(f"{prefix}.dose", ""),
        }
        for name in (*INT_FIELDS, *FLOAT_FIELDS):
            raw = form.get(f"{prefix}.{name}", "").strip()
            if not raw:
                continue
            try:
                choice[name] = int(raw) if name in INT_FIELDS else float(raw)
            except ValueError:
                kind = "a whole number" if name in INT_FIELDS else "a number"
                raise InvalidInput(f"{prefix}.{name}: must be {kind}; got {raw!r}") from None
        glides.append(choice)
    return form.get("affected_leg", ""), glides


def _field_path(message: str, glides: list[dict[str, Any]]) -> str:
    """Turn ``glides.1.reps: ...`` into ``seated-leg-raise.reps: ...`` for the form."""
    head, _, rest = message.partition(": ")
    parts = head.split(".")
    if len(parts) >= 2 and parts[0] == "glides" and parts[1].isdigit():
        index = int(parts[1])
        if index < len(glides):
            return f"{'.'.join([glides[index]['exercise_id'], *parts[2:]])}: {rest}"
    return message


@router.post("/program", response_class=HTMLResponse)
async def save_program_form(request: Request, library: LibraryDep, uow: UoWDep) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    values: dict[str, Any] = dict(form)
    for exercise in library.exercises:
        values[f"{exercise.id}.include"] = form.get(f"{exercise.id}.include") == "on"
    glides: list[dict[str, Any]] = []
    try:
        affected, glides = parse_program_form(library, form)
        program = build_program(library, affected, glides)
    except InvalidInput as exc:
        return _render(
            request, library, values, error=_field_path(exc.message, glides), status_code=422
        )
    save_program(uow, program, datetime.now(UTC))
    uow.commit()
    return RedirectResponse("/program?saved=1", status_code=303)


@router.get("/api/program", response_model=ProgramOut)
def get_program(uow: UoWDep) -> dict[str, Any]:
    stored = current_program(uow)
    if stored is None:
        raise NotFound("No program yet: make one at /program or PUT /api/program.")
    return program_json(stored.program, stored.id)


@router.put("/api/program", response_model=ProgramOut)
def put_program(body: ProgramIn, library: LibraryDep, uow: UoWDep) -> dict[str, Any]:
    glides = [g.model_dump(exclude_none=True) for g in body.glides]
    program = build_program(library, body.affected_leg, glides)
    stored = save_program(uow, program, datetime.now(UTC))
    uow.commit()
    return program_json(stored.program, stored.id)
