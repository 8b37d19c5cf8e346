"""The therapist's PDF report, made with matplotlib's :class:`PdfPages` (text pages laid
out in inches, and the progress plots drawn by :mod:`nerveglide.reports.plots`).

Contents: the period, the program (each version in force), adherence, pain against the
minimal important change, the questionnaires against their minimal change, the safety
verdicts and the stop events, the plots (questionnaire scores among them), and a table
week by week. A4 portrait; the text is real text (TrueType fonts embedded), so it can be
searched and copied.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nerveglide import __version__
from nerveglide.reports.model import NRS_MIC, STATUS_TEXT, ProgressReport
from nerveglide.reports.plots import INK, MID, Plot, plots, rendering

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

__all__ = ["TITLE", "render_pdf", "warm_up", "warm_up_in_background"]

TITLE = "Progress report"
PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN_X = 0.75
TOP = 0.7
BOTTOM = 0.75
#: Rows kept in the PDF's longer tables; the CSV files have every one.
MAX_ROWS = 60
#: Average glyph width of DejaVu Sans as a share of the font size, for wrapping.
GLYPH = 0.56


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # inches
    align: str = "left"


class _Writer:
    """Text pages top to bottom: headings, paragraphs and tables, new pages as needed."""

    def __init__(self) -> None:
        self.pages: list[Figure] = []
        self.y = 0.0
        self._page()

    def _page(self) -> None:
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(PAGE_W, PAGE_H))
        self.pages.append(self.figure)
        self.y = TOP

    def need(self, inches: float) -> None:
        if self.y + inches > PAGE_H - BOTTOM:
            self._page()

    def _text(self, x: float, text: str, size: float, **kwargs: Any) -> None:
        self.figure.text(
            x / PAGE_W, 1 - self.y / PAGE_H, text, fontsize=size, va="top", color=INK, **kwargs
        )

    def heading(self, text: str, size: float = 13) -> None:
        self.need(0.3 + 0.5)  # keep a heading with what follows it
        self.y += 0.12
        self._text(MARGIN_X, text, size, fontweight="bold")
        self.y += size / 72 * 1.5

    def paragraph(
        self, text: str, size: float = 10, indent: float = 0.0, bold: bool = False
    ) -> None:
        width = PAGE_W - 2 * MARGIN_X - indent
        lines = _wrap(text, width * (0.88 if bold else 1.0), size)
        for line in lines:
            self.need(size / 72 * 1.4)
            self._text(MARGIN_X + indent, line, size, fontweight="bold" if bold else "normal")
            self.y += size / 72 * 1.4
        self.y += 0.05

    def bullet(self, text: str, size: float = 10) -> None:
        width = PAGE_W - 2 * MARGIN_X - 0.25
        for index, line in enumerate(_wrap(text, width, size)):
            self.need(size / 72 * 1.4)
            if index == 0:
                self._text(MARGIN_X + 0.08, "-", size)
            self._text(MARGIN_X + 0.25, line, size)
            self.y += size / 72 * 1.4
        self.y += 0.03

    def table(
        self, columns: Sequence[Column], rows: Sequence[Sequence[str]], size: float = 8.5
    ) -> None:
        line = size / 72 * 1.35

        def header() -> None:
            x = MARGIN_X
            for column in columns:
                self._cell(x, column, column.header, size, bold=True)
                x += column.width
            self.y += line
            self._rule(MID)

        self.need(3 * line)
        header()
        wrapped_rows = [
            [_wrap(cell, c.width - 0.08, size) for c, cell in zip(columns, row, strict=True)]
            for row in rows
        ]
        if all(len(lines) == 1 for row in wrapped_rows for lines in row):
            self._flat_rows(columns, [[lines[0] for lines in row] for row in wrapped_rows], size)
            return
        for wrapped in wrapped_rows:
            height = max(len(w) for w in wrapped) * line + 0.04
            if self.y + height > PAGE_H - BOTTOM:
                self._page()
                header()
            x = MARGIN_X
            top = self.y
            for column, lines in zip(columns, wrapped, strict=True):
                self.y = top
                for text in lines:
                    self._cell(x, column, text, size)
                    self.y += line
                x += column.width
            self.y = top + height
            self._rule("#d9d9d9")
        self.y += 0.1

    def _flat_rows(self, columns: Sequence[Column], rows: list[list[str]], size: float) -> None:
        """Rows of one line each: one text per column per page, no rules between rows (a
        year of weeks draws in a fraction of the time of a text per cell)."""
        step = size / 72 * 1.35 + 0.09
        while rows:
            fit = max(1, int((PAGE_H - BOTTOM - self.y) // step))
            chunk, rows = rows[:fit], rows[fit:]
            x = MARGIN_X
            for index, column in enumerate(columns):
                text = "\n".join(row[index] for row in chunk)
                spacing = step * 72 / size
                if column.align == "right":
                    self._text(x + column.width - 0.1, text, size, ha="right", linespacing=spacing)
                else:
                    self._text(x, text, size, linespacing=spacing)
                x += column.width
            self.y += len(chunk) * step + 0.1
            if rows:
                self._page()
                x = MARGIN_X
                for column in columns:
                    self._cell(x, column, column.header, size, bold=True)
                    x += column.width
                self.y += size / 72 * 1.35
                self._rule(MID)

    def _cell(self, x: float, column: Column, text: str, size: float, bold: bool = False) -> None:
        if column.align == "right":
            self._text(
                x + column.width - 0.1,
                text,
                size,
                ha="right",
                fontweight="bold" if bold else "normal",
            )
        else:
            self._text(x, text, size, fontweight="bold" if bold else "normal")

    def _rule(self, colour: str) -> None:
        y = 1 - (self.y + 0.02) / PAGE_H
        self.figure.add_artist(_line(MARGIN_X / PAGE_W, 1 - MARGIN_X / PAGE_W, y, colour))
        self.y += 0.05


def _line(x0: float, x1: float, y: float, colour: str) -> Line2D:
    from matplotlib.lines import Line2D

    return Line2D([x0, x1], [y, y], color=colour, linewidth=0.5)


def _wrap(text: str, width_in: float, size: float) -> list[str]:
    chars = max(8, int(width_in * 72 / (size * GLYPH)))
    return textwrap.wrap(text, chars, break_long_words=True) or [""]


def _when(report: ProgressReport, moment: datetime) -> str:
    return report.local(moment).strftime("%d %b %Y %H:%M")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _front_page(out: _Writer, report: ProgressReport) -> None:
    out._text(MARGIN_X, TITLE, 22, fontweight="bold")
    out.y += 0.45
    out.paragraph(
        "nerveglide: sciatic nerve glides at home, for the supervising physical therapist.",
        size=10.5,
    )
    out.paragraph(
        f"Period: {report.period.label()} ({report.period.days} days; times in "
        f"{report.timezone}). Made {_when(report, report.generated_at)} by nerveglide "
        f"{__version__}.",
        size=10.5,
        bold=True,
    )
    summary = report.summary()

    out.heading("Program")
    if not report.programs:
        out.paragraph("No program was in use in this period.")
    for index, version in enumerate(report.programs):
        following = report.programs[index + 1] if index + 1 < len(report.programs) else None
        until = f" until {_when(report, following.created_at)}" if following else ""
        out.paragraph(
            f"Version {version.id}, from {_when(report, version.created_at)}{until}: "
            f"affected leg {version.affected}.",
            bold=True,
        )
        for glide in version.glides:
            out.bullet(f"{glide.name}: {glide.describe()} (dose: {glide.dose}).")

    out.heading("Adherence")
    if summary.expected:
        out.paragraph(
            f"Completed sessions: {summary.towards_target} of the {summary.expected} the "
            f"program asked for ({_percent(summary.adherence)}; extra sessions on a day not "
            f"counted). All of the day's sessions done on {summary.days_met} of "
            f"{summary.counted_days} days."
        )
    else:
        out.paragraph("The program sets no number of sessions a day, so there is no target.")
    out.paragraph(
        f"Sessions recorded: {summary.sessions} ({summary.completed} completed, "
        f"{summary.ended_early} ended early, {summary.stopped_hurt} stopped because it hurt, "
        f"{summary.in_progress} not finished). Repetitions done: {summary.repetitions}."
    )

    out.heading("Pain")
    out.paragraph(
        f"Diary entries: {summary.diary_days} of {report.period.days} days. Mean pain (0-10) "
        f"over the first recorded days against the last; a change of {NRS_MIC} points is the "
        f"minimal important change (Ostelo et al., Spine 2008;33(1):90-94)."
    )
    for label, change in (("Leg pain", summary.leg_pain), ("Back pain", summary.back_pain)):
        if change is None:
            out.bullet(f"{label}: too few diary days to compare.")
        else:
            out.bullet(
                f"{label}: {change.describe()}; first {change.first_days} and last "
                f"{change.last_days} recorded days."
            )

    _questionnaires(out, report)

    out.heading("Safety")
    out.paragraph(
        f"Safety verdict when this report was made: {report.current_tier.replace('_', ' ')}. "
        f'"Stop: it hurts" events: {summary.stops}. Verdicts that paused exercising: '
        f"{summary.safety_pauses}. Details are listed after the plots."
    )
    out.heading("Range of motion")
    if report.motion:
        out.paragraph(
            f"{len(report.motion)} camera measurement(s) of peak knee extension: see the plot."
        )
    else:
        out.paragraph("No camera sessions yet.")


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{round(value, 1):+g}"


def _short(value: float | None) -> str:
    return "-" if value is None else f"{round(value, 1):g}"


def _questionnaires(out: _Writer, report: ProgressReport) -> None:
    out.heading("Questionnaires")
    results = report.questionnaires
    if not results:
        out.paragraph("No questionnaire was answered in this period.")
        return
    out.paragraph(
        "Each response's score, the baseline (the first response ever, which may come "
        "before this period), the change from it, and the smallest change that matters "
        "for that questionnaire, as its source gives it: in points (pts) or in percent of "
        "the baseline, either being enough; MIC is a minimal important change, MDC90 a "
        "minimal detectable change at 90% confidence. n/a: none is published."
    )
    out.table(
        [
            Column("Questionnaire", 1.1),
            Column("Date", 0.9),
            Column("Score", 0.5, "right"),
            Column("Baseline", 0.7, "right"),
            Column("Change", 0.6, "right"),
            Column("Minimal change", 1.25),
            Column("Reached", 0.8),
            Column("Band", 0.92),
        ],
        [
            [
                q.label,
                f"{report.local(q.taken_at):%d %b %Y}",
                _short(q.score),
                _short(q.baseline_score),
                _signed(q.change),
                q.threshold_text(),
                q.verdict(),
                q.band or "",
            ]
            for q in results[:MAX_ROWS]
        ],
    )
    if len(results) > MAX_ROWS:
        out.paragraph(f"... and {len(results) - MAX_ROWS} more: see the CSV export.", size=8)
    seen: dict[str, str] = {}
    for q in results:
        seen.setdefault(q.label, q.minimal_change_source or "none published")
    higher = sorted({q.label for q in results if q.better == "higher"})
    direction = (
        f" Higher is better for {', '.join(higher)}; lower is better for the others."
        if higher
        else " Lower is better for each of them."
    )
    out.paragraph(
        "Sources of the minimal changes: "
        + "; ".join(f"{label}: {source}" for label, source in seen.items())
        + "."
        + direction,
        size=8,
    )


def _plot_pages(report: ProgressReport, items: list[Plot]) -> list[Figure]:
    from matplotlib.figure import Figure

    pages = []
    drawn = [p for p in items if p.draw is not None]
    empty = [p for p in items if p.draw is None]
    groups: list[list[Plot]] = []
    for item in drawn:
        if groups and sum(p.height for p in groups[-1]) + item.height <= PAGE_H - 1.6:
            groups[-1].append(item)
        else:
            groups.append([item])
    for number, group in enumerate(groups):
        figure = Figure(figsize=(PAGE_W, PAGE_H))
        used = sum(p.height for p in group)
        notes = empty if number == len(groups) - 1 else []
        # Subfigures fill their gridspec's cells and ignore its margins: spacer rows
        # above and below keep each plot at its own height in inches.
        head = 0.5
        grid = figure.add_gridspec(
            len(group) + 2,
            1,
            height_ratios=[head, *(p.height for p in group), PAGE_H - head - used],
            hspace=0,
        )
        for index, item in enumerate(group):
            assert item.draw is not None
            item.draw(figure.add_subfigure(grid[index + 1]), report)
        y = head + used + 0.3
        for note in notes:
            figure.text(
                MARGIN_X / PAGE_W + 0.04,
                1 - y / PAGE_H,
                note.title,
                fontsize=12,
                fontweight="bold",
                va="top",
            )
            figure.text(
                MARGIN_X / PAGE_W + 0.04,
                1 - (y + 0.28) / PAGE_H,
                note.empty or "",
                fontsize=10,
                va="top",
            )
            y += 0.75
        pages.append(figure)
    return pages


def _detail_pages(out: _Writer, report: ProgressReport) -> None:
    out.heading("Week by week")
    out.table(
        [
            Column("Week starting", 1.2),
            Column("Completed", 0.9, "right"),
            Column("Asked for", 0.85, "right"),
            Column("Leg pain", 0.8, "right"),
            Column("Back pain", 0.85, "right"),
            Column("Reaches (left / right)", 1.6),
            Column("Stops", 0.57, "right"),
        ],
        [
            [
                f"{w.week_start:%d %b %Y}",
                str(w.completed),
                "-" if w.expected is None else str(w.expected),
                _number(w.leg_pain),
                _number(w.back_pain),
                f"{w.furthest_left or '-'} / {w.furthest_right or '-'}",
                str(w.stops),
            ]
            for w in report.weeks()
        ],
    )
    out.paragraph(
        "Pain: mean of the week's diary entries. Reaches: the furthest area down the leg "
        "ticked in the week's diary.",
        size=8,
    )

    stops = report.stops()
    out.heading(f'"Stop: it hurts" events ({len(stops)})')
    if not stops:
        out.paragraph("None in this period.")
    else:
        out.table(
            [
                Column("When", 1.35),
                Column("Pain", 0.5, "right"),
                Column("Where it hurt", 1.6),
                Column("During", 2.1),
                Column("Session", 1.22),
            ],
            [
                [
                    _when(report, stop.occurred_at),
                    f"{stop.pain}/10",
                    stop.where(),
                    (
                        f"{report.name(stop.exercise_id)}, {stop.leg or ''} leg, set "
                        f"{stop.set_no}, repetition {stop.rep_no}"
                        if stop.exercise_id
                        else "-"
                    ),
                    STATUS_TEXT.get(session.status, session.status),
                ]
                for session, stop in stops[:MAX_ROWS]
            ],
        )
        if len(stops) > MAX_ROWS:
            out.paragraph(f"... and {len(stops) - MAX_ROWS} more: see the CSV export.", size=8)

    out.heading(f"Safety verdicts ({len(report.safety)})")
    if not report.safety:
        out.paragraph("No verdict paused exercising, and none was cleared, in this period.")
    else:
        out.table(
            [
                Column("When", 1.35),
                Column("What", 0.8),
                Column("Tier", 0.95),
                Column("Rules and why", 3.67),
            ],
            [
                [
                    _when(report, event.at),
                    event.kind,
                    event.tier.replace("_", " "),
                    f"{', '.join(event.rule_ids)}: {event.detail}",
                ]
                for event in report.safety[:MAX_ROWS]
            ],
        )
        if len(report.safety) > MAX_ROWS:
            out.paragraph(f"... and {len(report.safety) - MAX_ROWS} more.", size=8)
    out.heading("About the numbers", size=11)
    for text in (
        "A session counts as completed when the person finished it; sessions ended early or "
        "stopped because it hurt are counted separately. A day is the person's calendar day "
        f"in {report.timezone}.",
        "Pain is the 0-10 numeric rating, back and leg rated separately, in the daily diary "
        "and before and after each session.",
        "The CSV export has every session, repetition, stop, diary entry and questionnaire "
        "of the period, with its columns documented; the FHIR R4 Bundle has the program, "
        "the sessions, the pain scores and a QuestionnaireResponse per questionnaire.",
    ):
        out.bullet(text, size=8.5)


def _footers(pages: list[Figure], report: ProgressReport) -> None:
    for number, page in enumerate(pages, start=1):
        page.text(
            MARGIN_X / PAGE_W,
            0.4 / PAGE_H,
            f"nerveglide {TITLE.lower()} · {report.period.label()}",
            fontsize=8,
            color=MID,
        )
        page.text(
            1 - MARGIN_X / PAGE_W,
            0.4 / PAGE_H,
            f"page {number} of {len(pages)}",
            fontsize=8,
            color=MID,
            ha="right",
        )


def render_pdf(report: ProgressReport) -> bytes:
    """The report as a PDF document."""
    from matplotlib.backends.backend_pdf import PdfPages

    with rendering():
        front = _Writer()
        _front_page(front, report)
        figures = _plot_pages(report, plots(report))
        details = _Writer()
        _detail_pages(details, report)
        pages = [*front.pages, *figures, *details.pages]
        _footers(pages, report)
        buffer = io.BytesIO()
        metadata = {
            "Title": f"nerveglide {TITLE.lower()}, {report.period.label()}",
            "Author": "nerveglide",
            "Subject": "Sciatic nerve-glide program: adherence, pain, safety",
            "Creator": f"nerveglide {__version__}",
            "CreationDate": report.generated_at,
        }
        with PdfPages(buffer, metadata=metadata) as pdf:
            for page in pages:
                pdf.savefig(page)
        return buffer.getvalue()


_WARMING = threading.Lock()
_warm_up_started = False


def warm_up() -> None:
    """Import the PDF backend and embed the report's font in a one-page PDF."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with rendering():
        page = Figure(figsize=(2, 1))
        page.text(0.1, 0.5, "nerveglide 0123456789")
        with PdfPages(io.BytesIO()) as pdf:
            pdf.savefig(page)


def warm_up_in_background() -> threading.Thread | None:
    """Import the PDF backend and embed the report's font once, in a background thread,
    so that the first report a person asks for does not wait for them (bench.reports
    shows the cost: the first PDF in a fresh process takes about 1.8 s longer). Once a
    process; a report asked for meanwhile waits for the warm-up, never longer than
    without it. The thread warming up, or None when it has already been started."""
    global _warm_up_started
    with _WARMING:
        if _warm_up_started:
            return None
        _warm_up_started = True
    thread = threading.Thread(target=warm_up, name="pdf-warm-up", daemon=True)
    thread.start()
    return thread
