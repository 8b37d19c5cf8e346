"""The content as JSON, for the browser's own scripts and for other tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nerveglide.content.schema import Exercise, Source
from nerveglide.errors import NotFound
from nerveglide.web import views
from nerveglide.web.deps import LibraryDep
from nerveglide.web.responses import ExerciseSummaryOut

router = APIRouter(prefix="/api")


@router.get("/exercises", response_model=list[ExerciseSummaryOut])
def list_exercises(library: LibraryDep) -> list[dict[str, Any]]:
    return [
        {"id": e.id, "name": e.name, "summary": e.summary.text, "url": f"/exercises/{e.id}"}
        for e in library.exercises
    ]


@router.get("/exercises/{exercise_id}", response_model=Exercise)
def get_exercise(exercise_id: str, library: LibraryDep) -> Exercise:
    glide = views.exercise_or_none(library, exercise_id)
    if glide is None:
        known = ", ".join(e.id for e in library.exercises)
        raise NotFound(f"There is no exercise called {exercise_id!r}. Known exercises: {known}.")
    return glide


@router.get("/sources", response_model=list[Source])
def list_sources(library: LibraryDep) -> list[Source]:
    return list(library.sources)
