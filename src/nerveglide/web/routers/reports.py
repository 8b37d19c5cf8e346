"""The Progress page (``/progress``: the plots and the numbers for a period) and the
downloads for the therapist: the PDF report, the CSV files and the FHIR R4 Bundle."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from nerveglide.errors import InvalidInput, NotFound
from nerveglide.reports.model import NRS_MIC, Period
from nerveglide.reports.plots import plot_svg, plots
from nerveglide.services.reports import (
    ExportKind,
    default_period,
    export,
    gather_report,
    parse_period,
)
from nerveglide.web.deps import LibraryDep, QuestionnairesDep, RulesDep, SettingsDep, UoWDep
from nerveglide.web.templating import templates

router = APIRouter()

DOWNLOADS: dict[str, ExportKind] = {
    "report.pdf": "pdf",
    "export-csv.zip": "csv",
    "fhir-bundle.json": "fhir",
}


def _date(raw: str | None, name: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a date; use YYYY-MM-DD") from None


def _period(start: str | None, end: str | None, today: date) -> Period:
    first, last = _date(start, "start"), _date(end, "end")
    if first is None and last is None:
        return default_period(today)
    if last is None:
        last = max(today, first) if first is not None else today
    if first is None:
        first = default_period(last).start
    return parse_period(first, last, start_name="start", end_name="end")


@router.get("/progress", response_class=HTMLResponse)
def progress_page(
    request: Request,
    library: LibraryDep,
    rules: RulesDep,
    uow: UoWDep,
    settings: SettingsDep,
    questionnaires: QuestionnairesDep,
    start: str | None = None,
    end: str | None = None,
) -> HTMLResponse:
    now = datetime.now(UTC)
    today = settings.today(now)
    context: dict[str, Any] = {"library": library, "page": "progress", "mic": NRS_MIC}
    try:
        period = _period(start, end, today)
    except InvalidInput as exc:
        fallback = default_period(today)
        context |= {"error": exc.message, "start": start or "", "end": end or ""}
        context |= {"report": None, "period": fallback}
        return templates.TemplateResponse(request, "progress.html", context, status_code=422)
    report = gather_report(
        uow,
        period,
        timezone=settings.timezone,
        now=now,
        library=library,
        rules=rules,
        questionnaires=questionnaires,
    )
    shown = []
    for plot in plots(report):
        svg = plot_svg(plot, report) if not report.empty else None
        shown.append({"plot": plot, "svg": Markup(svg) if svg else None})
    query = f"start={period.start}&end={period.end}"
    context |= {
        "report": report,
        "summary": report.summary(),
        "period": period,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "plots": shown,
        "downloads": {name: f"/progress/{name}?{query}" for name in DOWNLOADS},
    }
    return templates.TemplateResponse(request, "progress.html", context)


@router.get("/progress/{name}")
def progress_download(
    name: str,
    library: LibraryDep,
    rules: RulesDep,
    uow: UoWDep,
    settings: SettingsDep,
    questionnaires: QuestionnairesDep,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    kind = DOWNLOADS.get(name)
    if kind is None:
        raise NotFound(f"There is no download {name!r}; there are {', '.join(DOWNLOADS)}.")
    now = datetime.now(UTC)
    period = _period(start, end, settings.today(now))
    made = export(
        uow,
        kind,
        period,
        timezone=settings.timezone,
        now=now,
        library=library,
        rules=rules,
        questionnaires=questionnaires,
    )
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )
