"""Progress reports: gather a period's records into the report read model, and export it
as a PDF, CSV files (zipped) or a FHIR R4 Bundle.

The read model (:class:`~nerveglide.reports.model.ProgressReport`) is filled here through
the unit of work; the renderers in :mod:`nerveglide.reports` and :mod:`nerveglide.fhir`
never see the database.

Range of motion comes from the repetitions the live camera coach counted (each keeps its
measures); one point per session and leg.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from nerveglide.content.loader import load_questionnaires
from nerveglide.content.questionnaire import Questionnaire
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.scoring import compare
from nerveglide.errors import InvalidInput
from nerveglide.reports.model import (
    DiaryRecord,
    GlidePlan,
    MotionRecord,
    Period,
    ProgramVersion,
    ProgressReport,
    QuestionnaireAnswer,
    QuestionnaireResult,
    RepetitionRecord,
    SafetyEvent,
    SessionRecord,
    StopRecord,
)
from nerveglide.services.diary import diary_between
from nerveglide.services.programs import StoredProgram, program_by_id
from nerveglide.services.questionnaires import StoredResponse, stored_responses
from nerveglide.services.safety import current_verdict
from nerveglide.services.sessions import history
from nerveglide.services.uow import AbstractUnitOfWork

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "Export",
    "ExportKind",
    "default_period",
    "export",
    "gather_report",
    "parse_period",
]

#: The period the Progress page shows unless told otherwise: the last four weeks.
DEFAULT_DAYS = 28
#: The longest period a report covers (five years), so a typo can't ask for millennia.
MAX_DAYS = 5 * 366
ExportKind = Literal["pdf", "csv", "fhir"]


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    content: bytes
    report: ProgressReport


def default_period(today: date, days: int = DEFAULT_DAYS) -> Period:
    return Period(today - timedelta(days=days - 1), today)


def parse_period(
    start: date, end: date, *, start_name: str = "from", end_name: str = "to"
) -> Period:
    """The period from ``start`` to ``end``, or :class:`InvalidInput` saying what is wrong
    with it (named as the caller's fields, ``--from`` or ``start``)."""
    if start > end:
        raise InvalidInput(
            f"{start_name}: {start} is after {end_name} {end}; the period must run forwards "
            f"(swap them: {start_name} {end}, {end_name} {start})"
        )
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise InvalidInput(
            f"{start_name}: the period {start} to {end} is {period.days} days long; a report "
            f"covers at most {MAX_DAYS} days"
        )
    return period


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _session_records(
    uow: AbstractUnitOfWork, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[list[SessionRecord], list[MotionRecord]]:
    """The sessions started in ``[start, end)``, oldest first, with their repetitions and
    stops; and, for each session and leg the camera measured, the best knee extension of
    its repetitions (the least knee bend reached at the stretch)."""
    columns = uow.sessions.columns_between(start, end)
    reps: dict[str, list[RepetitionRecord]] = {}
    best: dict[tuple[str, str], tuple[float, datetime]] = {}
    for (
        session_id,
        exercise_id,
        leg,
        set_no,
        rep_no,
        attempt,
        started_at,
        ended_at,
        hold_s,
        counted_by,
        range_deg,
        measures,
    ) in columns.repetitions:
        knee = None
        if counted_by == "camera" and isinstance(measures, dict):
            value = measures.get("knee_extension_peak_deg")
            knee = None if value is None else float(value)
            if knee is not None:
                key = (session_id, leg)
                if key not in best or knee < best[key][0]:
                    best[key] = (knee, ended_at)
        reps.setdefault(session_id, []).append(
            RepetitionRecord(
                exercise_id,
                leg,
                set_no,
                rep_no,
                attempt,
                started_at,
                ended_at,
                hold_s,
                counted_by,
                range_deg,
                knee,
            )
        )
    stops: dict[str, list[StopRecord]] = {}
    for e in columns.stops:
        stops.setdefault(e.session_id, []).append(
            StopRecord(
                occurred_at=e.occurred_at,
                pain=e.pain,
                areas=tuple((str(a.get("area", "")), str(a.get("side", ""))) for a in e.areas),
                exercise_id=e.exercise_id,
                leg=e.leg,
                set_no=e.set_no,
                rep_no=e.rep_no,
                step_kind=e.step_kind,
            )
        )

    def after(row: Any, value: int | None) -> int | None:
        # The after-check counts only when both pains were given (as the history shows it).
        both = row.pain_after_back is not None and row.pain_after_leg is not None
        return value if both else None

    sessions = [
        SessionRecord(
            id=row.id,
            program_id=row.program_id,
            source=row.source,
            status=row.status,
            glides=tuple(row.glides),
            started_at=row.started_at,
            ended_at=row.ended_at,
            day=row.started_at.astimezone(zone).date(),
            pain_before_back=row.pain_before_back,
            pain_before_leg=row.pain_before_leg,
            pain_after_back=after(row, row.pain_after_back),
            pain_after_leg=after(row, row.pain_after_leg),
            felt_worse=row.felt_worse,
            spread=row.spread,
            repetitions=tuple(reps.get(row.id, ())),
            stops=tuple(stops.get(row.id, ())),
        )
        for row in columns.sessions
    ]
    started = {row.id: row.started_at for row in columns.sessions}
    motion = [
        MotionRecord(
            recorded_at=started.get(session_id, at),
            leg=leg,
            knee_extension_peak_deg=round(knee, 1),
            session_id=session_id,
        )
        for (session_id, leg), (knee, at) in best.items()
    ]
    motion.sort(key=lambda m: (m.recorded_at, m.leg))
    return sessions, motion


def _name(library: Library, exercise_id: str) -> str:
    try:
        return library.exercise(exercise_id).name
    except KeyError:
        return exercise_id


def _program_version(stored: StoredProgram, library: Library) -> ProgramVersion:
    return ProgramVersion(
        id=stored.id,
        created_at=stored.created_at,
        affected=stored.program.affected,
        glides=tuple(
            GlidePlan(
                exercise_id=g.exercise_id,
                name=_name(library, g.exercise_id),
                dose=g.dose,
                reps=g.reps,
                sets=g.sets,
                times_per_day=g.times_per_day,
                pace_s=g.pace_s,
                hold_s=g.hold_s,
                legs=tuple(g.legs),
            )
            for g in stored.program.glides
        ),
    )


def _programs_in_force(
    uow: AbstractUnitOfWork, library: Library, until: datetime, start: datetime
) -> list[ProgramVersion]:
    """The versions in force at some point from ``start`` to ``until``: the last one made
    before ``start`` and every one made in between. Versions are numbered from 1 up."""
    current = uow.programs.current()
    if current is None:
        return []
    versions = []
    for program_id in range(1, current.id + 1):
        stored = program_by_id(uow, program_id)
        if stored is not None and stored.created_at < until:
            versions.append(stored)
    versions.sort(key=lambda v: (v.created_at, v.id))
    before = [v for v in versions if v.created_at < start]
    chosen = before[-1:] + [v for v in versions if v.created_at >= start]
    return [_program_version(v, library) for v in chosen]


def _safety_events(
    uow: AbstractUnitOfWork, rules: RuleSet, start: datetime, end: datetime
) -> list[SafetyEvent]:
    tiers = {rule.id: rule.tier for rule in rules.rules}
    events = [
        SafetyEvent(
            at=row.evaluated_at,
            kind="paused",
            tier=row.tier,
            rule_ids=tuple(str(f.get("rule_id", "")) for f in row.fired),
            detail="; ".join(str(f.get("why", "")) for f in row.fired) + f" ({row.context})",
        )
        for row in uow.safety.verdicts()
        if start <= row.evaluated_at < end
    ]
    events += [
        SafetyEvent(
            at=row.cleared_at,
            kind="cleared",
            tier=tiers.get(row.rule_id, "unknown"),
            rule_ids=(row.rule_id,),
            detail=(
                "cleared by the clinician"
                if row.cleared_by == "clinician"
                else "the person saw a doctor"
            )
            + (f": {row.note}" if row.note else ""),
        )
        for row in uow.safety.clearances()
        if start <= row.cleared_at < end
    ]
    return sorted(events, key=lambda e: e.at)


def _sources_text(library: Library, source_ids: Sequence[str]) -> str | None:
    known = {s.id: s.short or s.title for s in library.sources}
    names = list(dict.fromkeys(known.get(i, i) for i in source_ids))
    return "; ".join(names) or None


def _answers(q: Questionnaire, response: StoredResponse) -> tuple[QuestionnaireAnswer, ...]:
    answers = []
    for item in q.items:
        raw = response.answers.get(item.id)
        if raw is None:
            continue
        value = response.score.item_values.get(item.id)
        answers.append(
            QuestionnaireAnswer(
                link_id=item.id,
                text=item.text,
                value=value,
                code=raw if isinstance(raw, str) else None,
                own_words=response.activity_names.get(item.id),
                loinc=item.loinc,
            )
        )
    return tuple(answers)


def _questionnaire_results(
    uow: AbstractUnitOfWork,
    questionnaires: Sequence[Questionnaire],
    library: Library,
    start: datetime,
    end: datetime,
) -> list[QuestionnaireResult]:
    """Each response answered in ``[start, end)``, with the questionnaire's baseline (its
    first valid response ever) and the change from it against the minimal change."""
    results = []
    for q in questionnaires:
        responses = stored_responses(uow, q)
        baseline = next((r for r in responses if r.score.valid), None)
        mic = q.minimal_change
        source = _sources_text(library, [c.source for c in mic.sources])
        for response in responses:
            if not start <= response.answered_at < end:
                continue
            is_baseline = response is baseline
            meets = None
            if baseline is not None and response.score.valid and not is_baseline:
                meets = compare(q, baseline.score, response.score).meets
            results.append(
                QuestionnaireResult(
                    questionnaire_id=q.id,
                    title=q.title,
                    short_title=q.short_title,
                    taken_at=response.answered_at,
                    score=response.score.total,
                    score_min=q.scoring.min,
                    score_max=q.scoring.max,
                    better=q.scoring.better,
                    baseline_score=None if baseline is None else baseline.score.total,
                    baseline=is_baseline,
                    minimal_change=mic.points,
                    minimal_change_percent=mic.percent,
                    minimal_change_source=source,
                    change_kind=mic.kind,
                    meets=meets,
                    band=response.score.band_label,
                    loinc_panel=q.loinc.panel,
                    loinc_score=q.loinc.total,
                    answers=_answers(q, response),
                )
            )
    return sorted(results, key=lambda r: (r.taken_at, r.questionnaire_id))


def gather_report(
    uow: AbstractUnitOfWork,
    period: Period,
    *,
    timezone: str,
    now: datetime,
    library: Library,
    rules: RuleSet,
    questionnaires: Sequence[Questionnaire] | None = None,
) -> ProgressReport:
    """Everything recorded in ``period`` (days in ``timezone``), as the report read model.

    ``questionnaires`` are the instruments whose responses go in (the packaged ones when
    left out; a clinic's licensed files when the app loaded them)."""
    if questionnaires is None:
        questionnaires = load_questionnaires()
    zone = ZoneInfo(timezone)
    start = _midnight(period.start, zone)
    end = _midnight(period.end + timedelta(days=1), zone)
    sessions, motion = _session_records(uow, start, end, zone)
    diary = [
        DiaryRecord(
            entry_date=e.entry_date,
            back_pain=e.back_pain,
            leg_pain=e.leg_pain,
            numbness=e.numbness,
            weakness=e.weakness,
            reach={side: tuple(areas) for side, areas in e.reach.items()},
            sleep_disturbed=e.sleep_disturbed,
            note=e.note,
        )
        for e in diary_between(uow, period.start, period.end)
    ]
    programs = _programs_in_force(uow, library, min(end, now), start)
    names = {g.exercise_id: g.name for p in programs for g in p.glides}
    for session in sessions:
        for glide in session.glides:
            names.setdefault(glide, _name(library, glide))
    return ProgressReport(
        period=period,
        generated_at=now,
        timezone=timezone,
        programs=tuple(programs),
        sessions=tuple(sessions),
        diary=tuple(diary),
        safety=tuple(_safety_events(uow, rules, start, end)),
        current_tier=current_verdict(uow, rules, now).tier,
        names=names,
        questionnaires=tuple(_questionnaire_results(uow, questionnaires, library, start, end)),
        motion=tuple(motion),
    )


def _ensure_data(uow: AbstractUnitOfWork, report: ProgressReport) -> None:
    if not report.empty:
        return
    latest = history(uow, 1)
    hint = (
        f" The latest session was on {report.local(latest[0].started_at):%Y-%m-%d}."
        if latest
        else " No session has been recorded yet."
    )
    raise InvalidInput(
        f"nothing was recorded from {report.period.start} to {report.period.end}: no "
        f"sessions, no diary entries and no questionnaires, so there is nothing to "
        f"export.{hint}"
    )


def export(
    uow: AbstractUnitOfWork,
    kind: ExportKind,
    period: Period,
    *,
    timezone: str,
    now: datetime,
    library: Library,
    rules: RuleSet,
    questionnaires: Sequence[Questionnaire] | None = None,
) -> Export:
    """The period's report as a PDF, a zip of CSV files, or a validated FHIR R4 Bundle.

    Raises :class:`InvalidInput` when nothing was recorded in the period."""
    report = gather_report(
        uow,
        period,
        timezone=timezone,
        now=now,
        library=library,
        rules=rules,
        questionnaires=questionnaires,
    )
    _ensure_data(uow, report)
    stem = f"nerveglide-{period.start}-to-{period.end}"
    if kind == "pdf":
        from nerveglide.reports.pdf import render_pdf

        return Export(f"{stem}.pdf", "application/pdf", render_pdf(report), report)
    if kind == "csv":
        from nerveglide.reports.csv import csv_zip

        return Export(f"{stem}-csv.zip", "application/zip", csv_zip(report), report)
    from nerveglide.fhir.mapping import report_bundle
    from nerveglide.fhir.validation import validate_bundle

    bundle = report_bundle(report)
    validate_bundle(bundle)
    content = json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Export(f"{stem}-fhir.json", "application/fhir+json", content, report)
