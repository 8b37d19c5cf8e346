"""The symptom diary: today's entry (a form and ``PUT /api/diary/{date}``) and its history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from nerveglide.domain.diary import LEG_AREAS, LEVELS, DiaryEntry, furthest
from nerveglide.domain.events import EventError
from nerveglide.errors import InvalidInput
from nerveglide.services.diary import diary_between, diary_revisions, save_diary_entry
from nerveglide.web.deps import LibraryDep, SettingsDep, UoWDep
from nerveglide.web.responses import DiaryEntryOut, DiaryRevisionOut
from nerveglide.web.schemas import ApiBody, IsoDate
from nerveglide.web.templating import templates

router = APIRouter()

LevelIn = Literal["none", "mild", "moderate", "severe"]
AreaIn = Literal["buttock", "thigh", "calf", "foot"]


class DiaryIn(ApiBody):
    back_pain: int = Field(ge=0, le=10)
    leg_pain: int = Field(ge=0, le=10)
    numbness: LevelIn
    weakness: LevelIn
    reach: dict[Literal["left", "right"], list[AreaIn]] = Field(default_factory=dict)
    sleep_disturbed: bool = False
    note: str | None = Field(default=None, max_length=2000)


def entry_json(entry: DiaryEntry) -> dict[str, Any]:
    return {
        "date": entry.entry_date.isoformat(),
        "back_pain": entry.back_pain,
        "leg_pain": entry.leg_pain,
        "numbness": entry.numbness,
        "weakness": entry.weakness,
        "reach": {side: list(areas) for side, areas in entry.reach.items()},
        "sleep_disturbed": entry.sleep_disturbed,
        "note": entry.note,
    }


def _entry(entry_date: date, values: dict[str, Any]) -> DiaryEntry:
    try:
        return DiaryEntry(entry_date=entry_date, **values)
    except EventError as exc:
        raise InvalidInput(str(exc)) from None


def _page(
    request: Request,
    library: Any,
    uow: Any,
    today: date,
    *,
    values: dict[str, Any] | None,
    error: str | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    history = list(reversed(diary_between(uow, today - timedelta(days=60), today)))
    current = next((e for e in history if e.entry_date == today), None)
    return templates.TemplateResponse(
        request,
        "diary.html",
        {
            "library": library,
            "page": "diary",
            "today": today,
            "values": values if values is not None else (entry_json(current) if current else {}),
            "history": history,
            "levels": LEVELS,
            "areas": LEG_AREAS,
            "furthest": furthest,
            "error": error,
            "saved": saved,
            "revisions": len(diary_revisions(uow, today)),
        },
        status_code=status_code,
    )


@router.get("/diary", response_class=HTMLResponse)
def diary_page(
    request: Request, library: LibraryDep, uow: UoWDep, settings: SettingsDep, saved: int = 0
) -> HTMLResponse:
    return _page(
        request, library, uow, settings.today(datetime.now(UTC)), values=None, saved=bool(saved)
    )


@router.post("/diary", response_class=HTMLResponse)
async def diary_submit(
    request: Request, library: LibraryDep, uow: UoWDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    now = datetime.now(UTC)
    today = settings.today(now)
    reach = {
        side: [a for a in LEG_AREAS if f"reach.{side}.{a}" in form] for side in ("left", "right")
    }
    shown: dict[str, Any] = {k: str(v) for k, v in form.items()}
    shown["reach"] = reach
    try:
        values = {
            "back_pain": _int(form.get("back_pain"), "back_pain"),
            "leg_pain": _int(form.get("leg_pain"), "leg_pain"),
            "numbness": str(form.get("numbness", "")),
            "weakness": str(form.get("weakness", "")),
            "reach": {side: tuple(areas) for side, areas in reach.items() if areas},
            "sleep_disturbed": form.get("sleep_disturbed") == "yes",
            "note": str(form.get("note") or "") or None,
        }
        save_diary_entry(uow, _entry(today, values), today=today, now=now)
    except InvalidInput as exc:
        return _page(request, library, uow, today, values=shown, error=exc.message, status_code=422)
    uow.commit()
    return RedirectResponse("/diary?saved=1", status_code=303)


def _int(raw: object, name: str) -> int:
    text = "" if raw is None else str(raw).strip()
    if not text.lstrip("-").isdigit():
        raise InvalidInput(f"{name}: choose a number from 0 to 10")
    return int(text)


@router.get("/api/diary", response_model=list[DiaryEntryOut])
def api_diary(
    uow: UoWDep,
    settings: SettingsDep,
    start: IsoDate | None = None,
    end: IsoDate | None = None,
) -> list[dict[str, Any]]:
    today = settings.today(datetime.now(UTC))
    end = end or today
    start = start or end - timedelta(days=27)
    if start > end:
        raise InvalidInput(f"start: {start} is after end {end}")
    return [entry_json(e) for e in diary_between(uow, start, end)]


@router.put("/api/diary/{entry_date}", response_model=DiaryEntryOut)
def api_put_diary(
    entry_date: IsoDate, body: DiaryIn, uow: UoWDep, settings: SettingsDep
) -> dict[str, Any]:
    now = datetime.now(UTC)
    values = body.model_dump()
    values["reach"] = {side: tuple(areas) for side, areas in body.reach.items() if areas}
    entry = save_diary_entry(uow, _entry(entry_date, values), today=settings.today(now), now=now)
    uow.commit()
    return entry_json(entry)


@router.get("/api/diary/{entry_date}/history", response_model=list[DiaryRevisionOut])
def api_diary_history(entry_date: IsoDate, uow: UoWDep) -> list[dict[str, Any]]:
    return [
        {"saved_at": at.isoformat(), **entry_json(e)} for at, e in diary_revisions(uow, entry_date)
    ]
