"""CSV exports of a report's period, one file per kind of record, with documented columns.

Every file is UTF-8 with a header row and commas. Timestamps are ISO 8601 in UTC with
their offset (``2025-03-03T08:00:00+00:00``); dates are the person's calendar days
(``YYYY-MM-DD``) in the report's time zone; an empty cell means "not recorded"; yes/no
answers are ``yes`` or ``no``; lists inside a cell are separated by ``;``. A free-text cell
that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written with a leading ``'``.

:data:`FILES` describes every column; :func:`readme` prints that description, and it goes
into the zip (:func:`csv_zip`) as ``README.txt``.
"""

from __future__ import annotations

import csv as std_csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from nerveglide.reports.model import ProgressReport

__all__ = ["FILES", "CsvFile", "csv_text", "csv_zip", "readme"]


@dataclass(frozen=True)
class CsvFile:
    name: str
    about: str
    columns: tuple[tuple[str, str], ...]  # (column, what it holds)
    rows: Callable[[ProgressReport], Iterable[list[object]]]

    @property
    def header(self) -> list[str]:
        return [name for name, _ in self.columns]


def _time(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def _session_rows(report: ProgressReport) -> Iterable[list[object]]:
    for s in report.sessions:
        yield [
            s.id,
            s.day.isoformat(),
            _time(s.started_at),
            _time(s.ended_at),
            s.status,
            s.source,
            s.program_id,
            ";".join(s.glides),
            s.repetitions_done,
            s.pain_before_back,
            s.pain_before_leg,
            s.pain_after_back,
            s.pain_after_leg,
            _yes_no(s.felt_worse),
            _yes_no(s.spread),
            len(s.stops),
        ]


def _repetition_rows(report: ProgressReport) -> Iterable[list[object]]:
    for s in report.sessions:
        for r in s.repetitions:
            yield [
                s.id,
                r.exercise_id,
                r.leg,
                r.set_no,
                r.rep_no,
                r.attempt,
                _time(r.started_at),
                _time(r.ended_at),
                f"{(r.ended_at - r.started_at).total_seconds():.1f}",
                "" if r.hold_s is None else f"{r.hold_s:g}",
                r.counted_by,
                "" if r.range_deg is None else f"{r.range_deg:g}",
                "" if r.knee_extension_peak_deg is None else f"{r.knee_extension_peak_deg:g}",
            ]


def _stop_rows(report: ProgressReport) -> Iterable[list[object]]:
    for s, stop in report.stops():
        yield [
            s.id,
            _time(stop.occurred_at),
            stop.pain,
            ";".join(f"{side} {area}" for area, side in stop.areas),
            stop.exercise_id or "",
            stop.leg or "",
            stop.set_no,
            stop.rep_no,
            stop.step_kind or "",
        ]


def _diary_rows(report: ProgressReport) -> Iterable[list[object]]:
    for d in report.diary:
        yield [
            d.entry_date.isoformat(),
            d.back_pain,
            d.leg_pain,
            d.numbness,
            d.weakness,
            ";".join(d.reach.get("left", ())),
            ";".join(d.reach.get("right", ())),
            d.furthest("left") or "",
            d.furthest("right") or "",
            _yes_no(d.sleep_disturbed),
            _text(d.note),
        ]


def _number(value: float | None) -> str:
    return "" if value is None else f"{round(value, 4):g}"


def _questionnaire_rows(report: ProgressReport) -> Iterable[list[object]]:
    for q in report.questionnaires:
        yield [
            q.questionnaire_id,
            q.title,
            report.local(q.taken_at).date().isoformat(),
            _time(q.taken_at),
            _number(q.score),
            q.band or "",
            _yes_no(q.baseline),
            _number(q.baseline_score),
            _number(q.change),
            _number(q.minimal_change),
            _number(q.minimal_change_percent),
            q.change_kind,
            q.minimal_change_source or "",
            _yes_no(q.meets),
            q.better,
            q.loinc_panel or "",
            q.loinc_score or "",
        ]


def _answer_rows(report: ProgressReport) -> Iterable[list[object]]:
    for q in report.questionnaires:
        for a in q.answers:
            yield [
                q.questionnaire_id,
                _time(q.taken_at),
                a.link_id,
                a.text,
                a.code or "",
                a.value,
                _text(a.own_words),
                a.loinc or "",
            ]


PAIN = "0-10 numeric rating (0 no pain, 10 the worst imaginable)"

FILES: tuple[CsvFile, ...] = (
    CsvFile(
        "sessions.csv",
        "One row per exercise session started in the period.",
        (
            ("session_id", "the session's id"),
            ("date", "the day it started, in the report's time zone"),
            ("started_at", "when it started (UTC)"),
            ("ended_at", "when it ended (UTC); empty if it never ended"),
            (
                "status",
                "completed, ended_early, stopped_hurt (the person pressed 'Stop: it hurts') "
                "or in_progress (never finished)",
            ),
            ("source", "where it was done: web, terminal or api"),
            ("program_id", "the program version it followed"),
            ("glides", "the glides of the session (exercise ids, ';'-separated)"),
            ("repetitions_done", "distinct repetitions done (a redone repetition counts once)"),
            ("pain_before_back", f"back pain before the session, {PAIN}"),
            ("pain_before_leg", f"leg pain before the session, {PAIN}"),
            ("pain_after_back", f"back pain after the session, {PAIN}; empty if not asked"),
            ("pain_after_leg", f"leg pain after the session, {PAIN}; empty if not asked"),
            ("felt_worse", "yes if the person said something felt worse after it"),
            ("spread", "yes if the person said symptoms spread further down the leg"),
            ("stops", "number of 'Stop: it hurts' events in it"),
        ),
        _session_rows,
    ),
    CsvFile(
        "repetitions.csv",
        "One row per repetition saved during the period's sessions (redone ones included).",
        (
            ("session_id", "the session (sessions.csv)"),
            ("exercise_id", "the glide"),
            ("leg", "left or right"),
            ("set_no", "the set, from 1"),
            ("rep_no", "the repetition within the set, from 1"),
            ("attempt", "1, or more when the repetition was redone"),
            ("started_at", "when it started (UTC)"),
            ("ended_at", "when it ended (UTC)"),
            ("duration_s", "seconds from start to end"),
            ("hold_s", "seconds held at the stretch; empty for glides without a hold"),
            (
                "counted_by",
                "timer (the session player's clock) or camera (the live motion coach)",
            ),
            ("range_deg", "camera only: the moving joint's range of motion, in degrees"),
            (
                "knee_extension_peak_deg",
                "camera only: the least knee bend reached at the stretch, in degrees "
                "(0 is a straight knee)",
            ),
        ),
        _repetition_rows,
    ),
    CsvFile(
        "stops.csv",
        "One row per 'Stop: it hurts' event in the period's sessions.",
        (
            ("session_id", "the session (sessions.csv)"),
            ("occurred_at", "when the person pressed it (UTC)"),
            ("pain", f"how much it hurt, {PAIN}"),
            ("areas", "where it hurt: 'side area' pairs, ';'-separated (e.g. 'left calf')"),
            ("exercise_id", "the glide under way; empty between glides"),
            ("leg", "the leg under way"),
            ("set_no", "the set under way"),
            ("rep_no", "the repetition under way"),
            ("step", "the part of the repetition (e.g. move, hold, rest)"),
        ),
        _stop_rows,
    ),
    CsvFile(
        "diary.csv",
        "One row per diary day in the period (the day's latest save).",
        (
            ("date", "the day"),
            ("back_pain", f"back pain, {PAIN}"),
            ("leg_pain", f"leg pain, {PAIN}"),
            ("numbness", "numbness or tingling: none, mild, moderate or severe"),
            ("weakness", "weakness in the leg: none, mild, moderate or severe"),
            ("reach_left", "areas of the left leg with symptoms (buttock, thigh, calf, foot)"),
            ("reach_right", "areas of the right leg with symptoms"),
            ("furthest_left", "the furthest area down the left leg; empty if none"),
            ("furthest_right", "the furthest area down the right leg; empty if none"),
            ("sleep_disturbed", "yes if pain disturbed sleep the night before"),
            ("note", "the person's own note"),
        ),
        _diary_rows,
    ),
    CsvFile(
        "questionnaires.csv",
        "One row per questionnaire answered in the period, scored by its published rule.",
        (
            ("questionnaire_id", "the questionnaire (its file's id, e.g. roland-morris)"),
            ("title", "its name"),
            ("date", "the day it was answered, in the report's time zone"),
            ("taken_at", "when it was answered (UTC)"),
            ("score", "the score by its published rule"),
            ("band", "the result band where the questionnaire has them (e.g. high risk)"),
            ("baseline", "yes if this response is the baseline (the first valid one ever)"),
            ("baseline_score", "the baseline's score; it may come before the period"),
            ("change", "score minus baseline_score"),
            ("minimal_change", "the change that matters in points, as its source gives it"),
            ("minimal_change_percent", "or in percent of the baseline (either is enough)"),
            (
                "change_kind",
                "mic (minimal important change), mdc90 (minimal detectable change at 90% "
                "confidence) or none_published",
            ),
            ("minimal_change_source", "where the minimal change comes from"),
            (
                "meets",
                "yes if the change from baseline reaches the minimal change in the "
                "improving direction; empty for the baseline or when none is published",
            ),
            ("better", "lower or higher: which way is improvement"),
            ("loinc_panel", "the LOINC code of the questionnaire, where one exists"),
            ("loinc_score", "the LOINC code of the score, where one exists"),
        ),
        _questionnaire_rows,
    ),
    CsvFile(
        "questionnaire_answers.csv",
        "One row per item answered in the period's questionnaires (unanswered items left out).",
        (
            ("questionnaire_id", "the questionnaire (questionnaires.csv)"),
            ("taken_at", "when it was answered (UTC): with questionnaire_id, the response"),
            ("item", "the item's id in the questionnaire file"),
            ("text", "the item as the person read it"),
            ("answer_code", "the option chosen; empty for a number on a scale"),
            ("value", "the item's scored value"),
            ("own_words", "the activity the person named (Patient-Specific Functional Scale)"),
            ("loinc", "the item's LOINC code, where one exists"),
        ),
        _answer_rows,
    ),
)


def csv_text(report: ProgressReport, file: CsvFile) -> str:
    buffer = io.StringIO()
    writer = std_csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(file.header)
    for row in file.rows(report):
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def readme(report: ProgressReport | None = None) -> str:
    lines = ["nerveglide CSV export", "=" * 21, ""]
    if report is not None:
        lines += [
            f"Period: {report.period.start} to {report.period.end} "
            f"(days in {report.timezone}); made {report.generated_at.isoformat()}.",
            "",
        ]
    lines += [
        "UTF-8, comma-separated, a header row. Times: ISO 8601 in UTC. Empty: not recorded.",
        "Free text that a spreadsheet would take for a formula starts with a ' added.",
        "",
    ]
    for file in FILES:
        lines += [file.name, "-" * len(file.name), file.about]
        width = max(len(name) for name, _ in file.columns)
        lines += [f"  {name:<{width}}  {about}" for name, about in file.columns]
        lines.append("")
    return "\n".join(lines)


def csv_zip(report: ProgressReport) -> bytes:
    """Every CSV file and the README, zipped (dated entries, so the same report gives the
    same bytes)."""
    buffer = io.BytesIO()
    stamp = report.generated_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in [("README.txt", readme(report))] + [
            (f.name, csv_text(report, f)) for f in FILES
        ]:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=stamp),
                text.encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return buffer.getvalue()
