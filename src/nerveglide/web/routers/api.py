"""The content as JSON, for the browser's own scripts and for other tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nerveglide.errors import NotFound
from nerveglide.web import views
from nerveglide.web.deps import LibraryDep

router = APIRouter(prefix="/api")


@router.get("/exercises")
def list_exercises(library: LibraryDep) -> list[dict[str, Any]]:
    return [
        {"id": e.id, "name": e.name, "summary": e.summary.text, "url": f"/exercises/{e.id}"}
        for e in library.exercises
    ]


@router.get("/exercises/{exercise_id}")
def get_exercise(exercise_id: str, library: LibraryDep) -> dict[str, Any]:
    glide = views.exercise_or_none(library, exercise_id)
    if glide is None:
        known = ", ".join(e.id for e in library.exercises)
        raise NotFound(f"There is no exercise called {exercise_id!r}. Known exercises: {known}.")
    return glide.model_dump(mode="json")


@router.get("/sources")
def list_sources(library: LibraryDep) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in library.sources]
