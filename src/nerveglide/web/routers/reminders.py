"""``/reminders``: the person's reminder times and email address, and their private
calendar feeds (create, see, revoke); ``/reminders/calendar/{token}.ics``: a feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nerveglide.errors import InvalidInput
from nerveglide.services.access import calendar_feed_uow
from nerveglide.services.reminders import (
    create_feed,
    feed_calendar,
    feeds,
    program_times_per_day,
    reminder_settings,
    revoke_feed,
    save_reminder_settings,
)
from nerveglide.web.deps import LibraryDep, RulesDep, SettingsDep, UoWDep
from nerveglide.web.schemas import RowId
from nerveglide.web.templating import templates

router = APIRouter()

#: Empty time fields shown after the times already set.
SPARE_FIELDS = 2


def _page(
    request: Request,
    library: LibraryDep,
    uow: UoWDep,
    settings: SettingsDep,
    *,
    times: list[str] | None = None,
    email: str | None = None,
    error: str | None = None,
    notice: str | None = None,
    new_feed_url: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current = reminder_settings(uow)
    shown_times = current.times_text if times is None else [t for t in times if t.strip()]
    most = program_times_per_day(uow)
    fields = max(len(shown_times) + SPARE_FIELDS, most or 3)
    context: dict[str, Any] = {
        "library": library,
        "page": "reminders",
        "times": shown_times + [""] * (fields - len(shown_times)),
        "email": (current.email or "") if email is None else email,
        "times_per_day": most,
        "timezone": settings.timezone,
        "mail_configured": settings.smtp_host is not None,
        "feeds": feeds(uow),
        "error": error,
        "notice": notice,
        "new_feed_url": new_feed_url,
    }
    return templates.TemplateResponse(request, "reminders.html", context, status_code=status_code)


@router.get("/reminders", response_class=HTMLResponse)
def reminders_page(
    request: Request, library: LibraryDep, uow: UoWDep, settings: SettingsDep, saved: int = 0
) -> HTMLResponse:
    notice = "Your reminder settings are saved." if saved else None
    return _page(request, library, uow, settings, notice=notice)


@router.post("/reminders", response_class=HTMLResponse)
async def reminders_submit(
    request: Request, library: LibraryDep, uow: UoWDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    times = [str(v) for v in form.getlist("times")]
    email = str(form.get("email") or "")
    try:
        save_reminder_settings(uow, times, email, datetime.now(UTC))
    except InvalidInput as exc:
        uow.rollback()
        return _page(
            request,
            library,
            uow,
            settings,
            times=times,
            email=email,
            error=exc.message,
            status_code=422,
        )
    uow.commit()
    return RedirectResponse("/reminders?saved=1", status_code=303)


@router.post("/reminders/feeds", response_class=HTMLResponse)
def reminders_new_feed(
    request: Request, library: LibraryDep, uow: UoWDep, settings: SettingsDep
) -> HTMLResponse:
    made = create_feed(uow, datetime.now(UTC))
    uow.commit()
    url = f"{settings.public_url}/reminders/calendar/{made.token}.ics"
    return _page(request, library, uow, settings, new_feed_url=url, status_code=201)


@router.post("/reminders/feeds/{feed_id}/revoke")
def reminders_revoke_feed(feed_id: RowId, uow: UoWDep) -> Response:
    revoke_feed(uow, feed_id, datetime.now(UTC))
    uow.commit()
    return RedirectResponse("/reminders", status_code=303)


@router.get("/reminders/calendar/{name}")
def reminders_calendar(
    request: Request, name: str, rules: RulesDep, settings: SettingsDep
) -> Response:
    token = name.removesuffix(".ics")
    with calendar_feed_uow(request.app.state.session_factory, token) as uow:
        body = feed_calendar(uow, token, rules=rules, settings=settings, now=datetime.now(UTC))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )
