"""The progress plots, drawn with matplotlib from a :class:`ProgressReport`.

One drawing function per plot draws into a figure or a subfigure, so the very same
drawing goes into the web pages (as inline SVG, :func:`plot_svg`) and into the PDF
(:mod:`nerveglide.reports.pdf`). The figures are made with :class:`matplotlib.figure.Figure`
directly, never through ``pyplot``, so no GUI backend is involved and requests don't share
a current figure: raster output goes through matplotlib's Agg canvas.

Readable in grayscale: series differ by line style and marker shape, never by colour alone;
titles and axis labels are plain words, with the units and the sources of the data.

The SVG is made safe for a page whose Content-Security-Policy forbids inline styles:
every ``style`` attribute becomes presentation attributes, ``<style>`` and metadata go,
ids are prefixed per plot (several plots share a page), and the ``<svg>`` gets a
``<title>``, a ``<desc>`` and ``role="img"``.
"""

from __future__ import annotations

import io
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import fmean
from typing import TYPE_CHECKING, Any, cast

from nerveglide.reports.model import LEG_AREAS, NRS_MIC, ProgressReport, QuestionnaireResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    Target = Figure | SubFigure

__all__ = [
    "ADHERENCE_TITLE",
    "MOTION_TITLE",
    "NO_CAMERA",
    "NO_QUESTIONNAIRES",
    "PAIN_TITLE",
    "QUESTIONNAIRE_TITLE",
    "REACH_TITLE",
    "Plot",
    "plot_figure",
    "plot_svg",
    "plots",
    "rendering",
    "svg_from_figure",
]

PAIN_TITLE = "Pain over time"
ADHERENCE_TITLE = "Sessions done per day"
MOTION_TITLE = "Range of motion: peak knee extension per session"
REACH_TITLE = "Where leg symptoms reach"
QUESTIONNAIRE_TITLE = "Questionnaire scores against the minimal change"
NO_CAMERA = "No camera sessions yet."
NO_QUESTIONNAIRES = "No questionnaire was answered in this period."

#: Gray levels (black to light), line styles and markers: the series' identities.
INK = "#000000"
DARK = "#404040"
MID = "#7a7a7a"
LIGHT = "#bdbdbd"
FONT_FAMILY = "DejaVu Sans, Liberation Sans, Arial, sans-serif"

#: Past this many days the session pain checks are drawn as daily means.
DAILY_MEANS_AFTER_DAYS = 62
#: Past this many calendar cells the adherence calendar leaves out the numbers.
CELL_NUMBERS_UP_TO = 140

_STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "axes.edgecolor": DARK,
    "axes.linewidth": 0.8,
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "svg.fonttype": "none",  # text stays text in the SVG: selectable, readable by a screen reader
    "svg.hashsalt": "nerveglide",  # stable clip-path ids
    "pdf.fonttype": 42,  # TrueType in the PDF, so its text can be extracted and searched
    "timezone": "UTC",
    "date.epoch": "1970-01-01T00:00:00",
}
_LOCK = threading.RLock()


@contextmanager
def rendering() -> Iterator[None]:
    """matplotlib's settings for the reports, one rendering at a time.

    The settings are process-wide in matplotlib, so renderings from concurrent requests
    take turns rather than change them under each other."""
    import matplotlib

    with _LOCK, matplotlib.rc_context(_STYLE):
        yield


@dataclass(frozen=True)
class Plot:
    """One plot: ``draw`` fills a figure or subfigure; ``empty`` is said instead when
    there is nothing to draw (and ``draw`` is None)."""

    key: str
    title: str
    description: str
    draw: Callable[[Target, ProgressReport], None] | None
    height: float
    empty: str | None = None


def plots(report: ProgressReport) -> list[Plot]:
    """The report's plots, in the order they are shown."""
    weeks = len(report.weeks())
    adherence_height = 2.4 + min(1.6, 0.05 * max(0, 20 - weeks))
    motion = Plot(
        "motion",
        MOTION_TITLE,
        "Peak knee extension of each leg in each camera-measured session.",
        _draw_motion if report.motion else None,
        3.4,
        None if report.motion else NO_CAMERA,
    )
    kinds = len({q.questionnaire_id for q in report.questionnaires})
    questionnaires = Plot(
        "questionnaires",
        QUESTIONNAIRE_TITLE,
        "Each questionnaire's scores in the period, its baseline, and the score that would "
        "be a change that matters from the baseline.",
        _draw_questionnaires if kinds else None,
        HEADLINE_IN + LEGEND_IN + BOTTOM_IN + 1.3 * kinds + 0.6,
        None if kinds else NO_QUESTIONNAIRES,
    )
    return [
        Plot(
            "pain",
            PAIN_TITLE,
            "Back and leg pain (0-10) from the daily diary and the checks before and after "
            "each session, with each session marked below.",
            _draw_pain,
            6.2,
        ),
        Plot(
            "adherence",
            ADHERENCE_TITLE,
            "A calendar of completed sessions per day against the program's times a day.",
            _draw_adherence,
            adherence_height,
        ),
        motion,
        Plot(
            "reach",
            REACH_TITLE,
            "How far down each leg the symptoms reach each day, from the diary's body map.",
            _draw_reach,
            3.4,
        ),
        questionnaires,
    ]


def plot_figure(plot: Plot, report: ProgressReport, *, width: float = 8.0) -> Figure | None:
    """A figure of its own for ``plot`` (None when it has nothing to draw). Call inside
    :func:`rendering`."""
    from matplotlib.figure import Figure

    if plot.draw is None:
        return None
    figure = Figure(figsize=(width, plot.height))
    plot.draw(figure, report)
    return figure


def plot_svg(plot: Plot, report: ProgressReport) -> str | None:
    """``plot`` as inline SVG for a page (None when it has nothing to draw)."""
    with rendering():
        figure = plot_figure(plot, report)
        if figure is None:
            return None
        return svg_from_figure(figure, key=plot.key, title=plot.title, desc=plot.description)


# --- drawing -------------------------------------------------------------------------
#
# A fixed layout in inches (no constrained layout: it doubles the drawing time), the same
# margins on every plot so they line up in the PDF.

LEFT_IN = 1.1
RIGHT_IN = 0.3
HEADLINE_IN = 0.62
LEGEND_IN = 0.3
BOTTOM_IN = 0.72


def _size(target: Target) -> tuple[float, float]:
    return target.bbox.width / target.dpi, target.bbox.height / target.dpi


def _frame(target: Target, *, legend: bool = True, right_in: float = RIGHT_IN) -> dict[str, float]:
    """Gridspec margins (fractions) for the fixed layout."""
    width, height = _size(target)
    top_in = HEADLINE_IN + (LEGEND_IN if legend else 0.0)
    return {
        "left": LEFT_IN / width,
        "right": 1 - right_in / width,
        "top": 1 - top_in / height,
        "bottom": BOTTOM_IN / height,
    }


def _headline(target: Target, title: str, subtitle: str) -> None:
    _, height = _size(target)
    target.text(
        LEFT_IN / _size(target)[0],
        1 - 0.08 / height,
        title,
        fontsize=12,
        fontweight="bold",
        ha="left",
        va="top",
    )
    target.text(
        LEFT_IN / _size(target)[0],
        1 - 0.34 / height,
        subtitle,
        fontsize=9,
        color=DARK,
        ha="left",
        va="top",
    )


def _legend_row(target: Target, axes: list[Axes]) -> None:
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.append(handle)
            labels.append(label)
    if handles:
        width, height = _size(target)
        target.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(LEFT_IN / width - 0.01, 1 - HEADLINE_IN / height),
            ncol=len(handles),
            handlelength=2.2,
            columnspacing=1.4,
            borderaxespad=0,
        )


def _source(target: Target, text: str) -> None:
    width, height = _size(target)
    target.text(0.35 / width, 0.06 / height, text, fontsize=7.5, color=DARK, ha="left", va="bottom")


_EPOCH = datetime(1970, 1, 1)


def _num(moment: datetime) -> float:
    """matplotlib's date number of a naive time: days since its epoch, 1970-01-01."""
    return (moment - _EPOCH).total_seconds() / 86400


def _noon(day: date) -> float:
    return _num(datetime.combine(day, time(12)))


def _naive_local(report: ProgressReport, moment: datetime) -> float:
    """The x of a moment: its wall-clock time in the person's time zone."""
    return _num(report.local(moment).replace(tzinfo=None))


def _every(count: int, markers: int = 45) -> int:
    return max(1, count // markers)


def _date_axis(axes: Axes, report: ProgressReport) -> None:
    import matplotlib.dates as mdates

    start = datetime.combine(report.period.start, time(0))
    end = datetime.combine(report.period.end + timedelta(days=1), time(0))
    axes.set_xlim(_num(start), _num(end))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(formatter)
    axes.set_xlabel(f"Date ({report.timezone})")


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=DARK)


def _draw_pain(target: Target, report: ProgressReport) -> None:
    axes = target.subplots(
        3,
        1,
        sharex=True,
        gridspec_kw={"height_ratios": [4, 4, 1.2], "hspace": 0.12, **_frame(target)},
    )
    short = report.period.days <= DAILY_MEANS_AFTER_DAYS
    _headline(
        target,
        PAIN_TITLE,
        "0 = no pain, 10 = the worst imaginable. "
        + ("Each diary day and each session's checks." if short else "Lines: 7-day averages."),
    )
    for ax, site in ((axes[0], "leg"), (axes[1], "back")):
        diary = [(d.entry_date, d.leg_pain if site == "leg" else d.back_pain) for d in report.diary]
        series = [
            ("Diary", "-", "o", INK, INK, [(_noon(d), float(v)) for d, v in diary]),
            (
                "Before sessions",
                "none" if short else ":",
                "v",
                "white",
                DARK,
                _session_checks(report, site, "before", short),
            ),
            (
                "After sessions",
                "none" if short else "-.",
                "^",
                MID,
                DARK,
                _session_checks(report, site, "after", short),
            ),
        ]
        for label, style, marker, face, line, points in series:
            if not short and label == "Diary":
                points = [(_noon(d), v) for d, v in _rolling([(d, float(v)) for d, v in diary])]
            if not points:
                continue
            ax.plot(
                [x for x, _ in points],
                [y for _, y in points],
                linestyle=style,
                color=line,
                linewidth=1.3 if label == "Diary" else 1.1,
                marker=marker,
                markersize=4.5,
                markerfacecolor=face,
                markeredgecolor=line,
                markeredgewidth=0.8,
                markevery=1 if short and label != "Diary" else _every(len(points), 30),
                label=label if site == "leg" else None,
            )
        ax.set_ylim(-0.5, 10.5)
        ax.set_yticks(range(0, 11, 2))
        ax.set_ylabel(f"{site.capitalize()} pain (0-10)")
        if not report.diary and not report.sessions:
            _no_data(ax, "No pain ratings in this period")
    if short:
        _session_ticks(axes[2], report)
    else:
        _sessions_per_day(axes[2], report)
    _date_axis(axes[2], report)
    _legend_row(target, list(axes))
    _source(
        target,
        "Sources: the daily diary; the pain checks before and after each session. "
        f"A change of {NRS_MIC} points matters (Ostelo et al., Spine 2008).",
    )


def _rolling(points: list[tuple[date, float]], days: int = 7) -> list[tuple[date, float]]:
    """The mean of each recorded day's value and those of the ``days - 1`` days before it."""
    ordered = sorted(points)
    out = []
    low = 0
    total = 0.0
    for high, (day, value) in enumerate(ordered):
        total += value
        while ordered[low][0] <= day - timedelta(days=days):
            total -= ordered[low][1]
            low += 1
        out.append((day, total / (high - low + 1)))
    return out


def _session_checks(
    report: ProgressReport, site: str, when: str, each: bool
) -> list[tuple[float, float]]:
    """Each session's check (``each``), else the 7-day average of the daily means."""
    values: list[tuple[float, date, int]] = []
    for s in report.sessions:
        if when == "before":
            value: int | None = s.pain_before_leg if site == "leg" else s.pain_before_back
            moment = s.started_at
        else:
            value = s.pain_after_leg if site == "leg" else s.pain_after_back
            moment = s.ended_at or s.started_at
        if value is not None:
            values.append((_naive_local(report, moment), s.day, value))
    if each:
        return [(m, float(v)) for m, _, v in values]
    by_day: dict[date, list[int]] = {}
    for _, day, value in values:
        by_day.setdefault(day, []).append(value)
    daily = [(d, fmean(v)) for d, v in by_day.items()]
    return [(_noon(d), v) for d, v in _rolling(daily)]


def _stop_marks(ax: Axes, moments: list[float], y: float) -> None:
    if moments:
        ax.plot(
            moments,
            [y] * len(moments),
            linestyle="none",
            marker="X",
            markersize=7,
            markerfacecolor="white",
            markeredgecolor=INK,
            markeredgewidth=1.2,
            label="Stopped: it hurt",
        )


def _session_ticks(ax: Axes, report: ProgressReport) -> None:
    """Each session as a tick (one path for them all), a stop as a cross."""

    xs: list[float] = []
    ys: list[float] = []
    for session in report.sessions:
        x = _naive_local(report, session.started_at)
        xs += [x, x, float("nan")]
        ys += [0.15, 0.85, float("nan")]
    if xs:
        ax.plot(xs, ys, color=DARK, linewidth=0.8, label="A session")
    stops = [_naive_local(report, s.started_at) for s in report.sessions if s.stops]
    _stop_marks(ax, stops, 0.5)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.grid(False)
    ax.set_ylabel("Sessions", rotation=0, ha="right", va="center")
    if not xs:
        _no_data(ax, "no sessions")


def _sessions_per_day(ax: Axes, report: ProgressReport) -> None:
    """Sessions a day as a filled step (one shape), a day with a stop as a cross."""
    counts: dict[date, int] = {}
    for session in report.sessions:
        counts[session.day] = counts.get(session.day, 0) + 1
    days = report.period.dates()
    most = max(counts.values(), default=1)
    if counts:
        ax.fill_between(
            [_noon(d) for d in days],
            [counts.get(d, 0) for d in days],
            step="mid",
            facecolor=LIGHT,
            edgecolor=DARK,
            linewidth=0.6,
            label="Sessions a day",
        )
    stop_days = sorted({s.day for s in report.sessions if s.stops})
    _stop_marks(ax, [_noon(d) for d in stop_days], most * 0.5)
    ax.set_ylim(0, most * 1.05)
    ax.set_yticks([most])
    ax.grid(False)
    ax.set_ylabel("Sessions\na day", rotation=0, ha="right", va="center")
    if not counts:
        _no_data(ax, "no sessions")


def _gray_levels(count: int) -> list[str]:
    """``count`` grays from white to near black, evenly apart in lightness."""
    if count <= 1:
        return ["#ffffff"]
    return [
        "#{0:02x}{0:02x}{0:02x}".format(round(255 - (255 - 37) * i / (count - 1)))
        for i in range(count)
    ]


def _draw_adherence(target: Target, report: ProgressReport) -> None:
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap

    days = report.adherence()
    targets = {d.target for d in days if d.counted and d.target is not None}
    single = next(iter(targets)) if len(targets) == 1 else None
    most = max([d.completed for d in days] + [1])
    first_monday = report.period.start - timedelta(days=report.period.start.weekday())
    weeks = (report.period.end - first_monday).days // 7 + 1
    grid = np.full((7, weeks), np.nan)
    crosses: list[tuple[float, float]] = []
    numbers: list[tuple[float, float, str, bool]] = []
    today = report.today
    levels = single if single is not None else (4 if targets else most)
    for d in days:
        if d.day > today or report.program_on(d.day) is None:
            continue
        column, row = (d.day - first_monday).days // 7, d.day.weekday()
        if single is not None:
            value = min(d.completed, single) / single
        elif d.target:
            value = min(d.completed / d.target, 1.0)
        else:
            value = min(d.completed, most) / most
        grid[row, column] = value
        if d.stopped_hurt:
            crosses.append((column + 0.5, row + 0.5))
        label = f"{d.completed}" if d.target is None else f"{d.completed}/{d.target}"
        numbers.append((column + 0.5, row + 0.5, label, value > 0.55))
    width, _ = _size(target)
    bar_in = 0.9
    ax = target.subplots(gridspec_kw=_frame(target, legend=False, right_in=bar_in + 0.35))
    cmap = ListedColormap(_gray_levels(levels + 1))
    norm = BoundaryNorm([(i - 0.5) / levels for i in range(levels + 2)], cmap.N)
    mesh = ax.pcolormesh(
        np.ma.masked_invalid(grid),  # type: ignore[no-untyped-call]
        cmap=cmap,
        norm=norm,
        edgecolors=MID,
        linewidth=0.5,
    )
    show_numbers = len(numbers) <= CELL_NUMBERS_UP_TO
    if show_numbers:
        for x, y, text, dark in numbers:
            ax.text(
                x, y, text, ha="center", va="center", fontsize=7, color="white" if dark else INK
            )
    if crosses:
        ax.plot(
            [x for x, _ in crosses],
            [y for _, y in crosses],
            linestyle="none",
            marker="x",
            markersize=9 if show_numbers else 5,
            markeredgewidth=1.0,
            color=MID if show_numbers else INK,
        )
    if not numbers:
        _no_data(ax, "No program in this period")
    ax.set_xlim(0, weeks)
    ax.set_ylim(7, 0)
    ax.set_yticks([i + 0.5 for i in range(7)], ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xticks(*_week_ticks(first_monday, weeks, report.period.start))
    ax.tick_params(length=0)
    ax.grid(False)
    ax.set_xlabel("Week starting")
    if single is not None:
        aim = f"Completed sessions against the program's {single} a day"
        ticks = [(i / single, f"{i} of {single}") for i in range(single + 1)]
    elif targets:
        aim = "Completed sessions as a share of the program's times a day"
        ticks = [(0.0, "none"), (0.5, "half"), (1.0, "all")]
    else:
        aim = "Completed sessions (the program sets no times a day)"
        ticks = [(i / most, str(i)) for i in range(most + 1)]
    _headline(
        target,
        ADHERENCE_TITLE,
        f"{aim}; x: a session stopped because it hurt.",
    )
    frame = _frame(target, legend=False, right_in=bar_in + 0.35)
    cax = target.add_axes(
        (1 - (bar_in + 0.05) / width, frame["bottom"], 0.14 / width, frame["top"] - frame["bottom"])
    )
    bar = target.colorbar(mesh, cax=cax, ticks=[t for t, _ in ticks])
    bar.ax.set_yticklabels([label for _, label in ticks])
    bar.ax.tick_params(labelsize=8)
    cast(Any, bar.outline).set_edgecolor(MID)
    _source(
        target,
        "Blank: no program yet, or still to come. "
        "Source: the sessions recorded by nerveglide and the program's dose.",
    )


def _week_ticks(first_monday: date, weeks: int, start: date) -> tuple[list[float], list[str]]:
    if weeks <= 8:
        return (
            [c + 0.5 for c in range(weeks)],
            [f"{first_monday + timedelta(days=7 * c):%d %b}" for c in range(weeks)],
        )
    ticks, labels = [], []
    for column in range(weeks):
        monday = first_monday + timedelta(days=7 * column)
        month_start = next(
            (monday + timedelta(days=i) for i in range(7) if (monday + timedelta(days=i)).day == 1),
            None,
        )
        if column == 0 or month_start is not None:
            shown = month_start or start
            ticks.append(column + 0.5)
            labels.append(shown.strftime("%b %Y" if column == 0 or shown.month == 1 else "%b"))
    if len(ticks) > 1 and ticks[1] - ticks[0] < 2:
        ticks, labels = ticks[1:], labels[1:]
        labels[0] = f"{labels[0]} {first_monday.year if labels[0] != 'Jan' else ''}".strip()
    return ticks, labels


def _draw_motion(target: Target, report: ProgressReport) -> None:
    ax = target.subplots(gridspec_kw=_frame(target))
    _headline(
        target,
        MOTION_TITLE,
        "Degrees the knee stays bent at the stretch: 0 is straight; higher up is straighter.",
    )
    for leg, style, marker in (("left", "--", "s"), ("right", "-", "o")):
        points = sorted(
            (_naive_local(report, m.recorded_at), m.knee_extension_peak_deg)
            for m in report.motion
            if m.leg == leg
        )
        if points:
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                linestyle=style,
                marker=marker,
                markersize=4.5,
                markerfacecolor="white" if leg == "left" else DARK,
                color=INK,
                linewidth=1.2,
                label=f"{leg.capitalize()} leg",
            )
    ax.invert_yaxis()
    ax.set_ylabel("Knee bend (degrees)")
    _date_axis(ax, report)
    _legend_row(target, [ax])
    _source(target, "Source: the motion coach's camera measurements (a single side-on camera).")


def _draw_reach(target: Target, report: ProgressReport) -> None:
    ax = target.subplots(gridspec_kw=_frame(target))
    _headline(
        target,
        REACH_TITLE,
        "The furthest area ticked in the diary each day: further down the leg is higher up.",
    )
    levels = ("none", *LEG_AREAS)
    entries = report.diary
    for side, style, marker, offset in (("left", "--", "s", -0.07), ("right", "-", "o", 0.07)):
        if entries:
            ax.plot(
                [_noon(e.entry_date) for e in entries],
                [levels.index(e.furthest(side) or "none") + offset for e in entries],
                linestyle=style,
                drawstyle="steps-mid",
                color=INK if side == "right" else DARK,
                linewidth=1.3,
                marker=marker,
                markersize=4,
                markerfacecolor="white" if side == "left" else INK,
                markevery=_every(len(entries)),
                label=f"{side.capitalize()} leg",
            )
    if not entries:
        _no_data(ax, "No diary entries in this period")
    ax.set_ylim(-0.4, len(levels) - 0.6)
    ax.set_yticks(range(len(levels)), [level.capitalize() for level in levels])
    ax.set_ylabel("Furthest area")
    _date_axis(ax, report)
    _legend_row(target, [ax])
    _source(target, "Source: the daily diary's body map, left and right leg.")


def _draw_questionnaires(target: Target, report: ProgressReport) -> None:
    by_id: dict[str, list[QuestionnaireResult]] = {}
    for result in report.questionnaires:
        by_id.setdefault(result.questionnaire_id, []).append(result)
    frame = _frame(target)
    frame["top"] -= 0.3 / _size(target)[1]  # room for the first panel's title
    axes = target.subplots(
        len(by_id), 1, sharex=True, squeeze=False, gridspec_kw={"hspace": 0.5, **frame}
    )[:, 0]
    _headline(
        target,
        QUESTIONNAIRE_TITLE,
        "Dotted: the baseline score. Dashed: a change that matters from it, as its source "
        "gives it.",
    )
    for ax, results in zip(axes, by_id.values(), strict=True):
        first = results[0]
        points = [
            (_naive_local(report, r.taken_at), r.score) for r in results if r.score is not None
        ]
        ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            linestyle="-",
            marker="o",
            markersize=4.5,
            color=INK,
            linewidth=1.2,
            label="Score" if ax is axes[0] else None,
        )
        if first.baseline_score is not None:
            ax.axhline(
                first.baseline_score,
                linestyle=":",
                color=DARK,
                linewidth=1.1,
                label="Baseline" if ax is axes[0] else None,
            )
            if first.minimal_change is not None:
                sign = -1 if first.better == "lower" else 1
                ax.axhline(
                    first.baseline_score + sign * first.minimal_change,
                    linestyle="--",
                    color=MID,
                    linewidth=1.1,
                    label="Change that matters" if ax is axes[0] else None,
                )
        if first.score_min is not None and first.score_max is not None:
            pad = (first.score_max - first.score_min) * 0.06
            ax.set_ylim(first.score_min - pad, first.score_max + pad)
        better = "lower is better" if first.better == "lower" else "higher is better"
        ax.set_title(f"{first.label} ({better})", fontsize=9.5, loc="left")
        ax.set_ylabel("Score")
    _date_axis(axes[-1], report)
    _legend_row(target, [axes[0]])
    sources = "; ".join(
        dict.fromkeys(
            f"{r[0].label}: {r[0].minimal_change_source or 'none published'}"
            for r in by_id.values()
        )
    )
    _source(target, f"Source: your questionnaire answers. Minimal changes: {sources}.")


# --- SVG for pages with a strict Content-Security-Policy -----------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
_HREF = f"{{{XLINK_NS}}}href"


def svg_from_figure(figure: Figure, *, key: str, title: str, desc: str) -> str:
    """``figure`` as an SVG element to inline in a page: no ``style`` attribute or element,
    ids prefixed with ``key``, a title and a description for screen readers."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    root = ET.fromstring(buffer.getvalue())
    prefix = f"{key}-"
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}metadata"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for declaration in style.split(";"):
                name, sep, value = declaration.partition(":")
                if sep:
                    name, value = name.strip(), value.strip()
                    element.set(name, FONT_FAMILY if name == "font-family" else value)
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, prefix + value)
            elif name == _HREF and value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])
            elif "url(#" in value:
                element.set(name, value.replace("url(#", f"url(#{prefix}"))
    # What the removed <style> said, as inherited presentation attributes.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}title {prefix}desc")
    root.set("class", "plot")
    title_element = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{prefix}title"})
    title_element.text = title
    desc_element = ET.Element(f"{{{SVG_NS}}}desc", {"id": f"{prefix}desc"})
    desc_element.text = desc
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return ET.tostring(root, encoding="unicode")
