"""What a clinician sees and does for their patients: the dashboard (adherence, pain,
safety first), a patient's overview, notes, prescribing, clearing a "see a doctor" pause.

Every function opens the patient's data through :func:`services.access.patient_uow`, so a
patient who is not assigned to this clinician is "not found", and the read is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nerveglide.content.questionnaire import Questionnaire
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.accounts import Actor
from nerveglide.domain.program import Program
from nerveglide.domain.safety import Verdict, evaluate
from nerveglide.domain.scoring import Change, Score, compare
from nerveglide.errors import InvalidInput, NotFound, NotPermitted
from nerveglide.reports.model import MotionRecord, PainChange, Period, ProgressReport
from nerveglide.services.access import (
    check_patient_access,
    clinician_patient_names,
    clinician_patients,
    clinician_patients_uow,
    clinician_scope_uow,
    patient_uow,
)
from nerveglide.services.programs import StoredProgram, program_versions, save_program
from nerveglide.services.questionnaires import questionnaire_status
from nerveglide.services.reports import gather_report
from nerveglide.services.safety import (
    confirm_seen_doctor,
    current_verdict,
    gather_facts_of,
    keep_statuses,
    refresh_status,
    verdict_from_json,
)
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.audit_trail import AuditContext
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AccountRow, AlertRow, ClinicianNoteRow
from nerveglide.store.repositories.accounts import PatientName

__all__ = [
    "PER_PAGE",
    "DashboardPage",
    "KneeTrend",
    "PatientLine",
    "PatientOverview",
    "acknowledge_alert",
    "add_note",
    "clear_pause",
    "dashboard",
    "dashboard_page",
    "ensure_patient",
    "notes",
    "patient_overview",
    "prescribe",
]

_TIER_ORDER = {"emergency": 0, "see_doctor": 1, "mention": 2, "ok": 3}


@dataclass(frozen=True)
class KneeTrend:
    """One leg's knee extension measured by the camera over the last four weeks: the best
    of the first and of the latest session (the least knee bend at the stretch, degrees;
    0 is a straight knee, so going down is a straighter knee)."""

    leg: str
    first_deg: float
    last_deg: float
    sessions: int

    def describe(self) -> str:
        if self.sessions < 2:
            return f"{self.leg}: {self.last_deg:.0f}° bend (one session)"
        change = self.last_deg - self.first_deg
        direction = "straighter" if change < 0 else "more bent" if change > 0 else "unchanged"
        size = f" by {abs(change):.0f}°" if change else ""
        return (
            f"{self.leg}: {self.first_deg:.0f}° → {self.last_deg:.0f}° bend "
            f"({direction}{size}; {self.sessions} sessions)"
        )


@dataclass(frozen=True)
class PatientLine:
    """One patient on the dashboard."""

    patient: AccountRow
    verdict: Verdict
    open_alerts: int
    adherence_7: float | None
    adherence_28: float | None
    sessions_7: int
    sessions_28: int
    leg_pain: PainChange | None
    last_session: datetime | None
    #: The most recently answered questionnaire's change from its baseline, against its
    #: minimal important change (``Change.meets``), with the questionnaire's title.
    questionnaire: tuple[str, Change] | None = None
    #: The camera's knee extension trend per leg (live coach sessions), if any.
    knee: tuple[KneeTrend, ...] = ()

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (_TIER_ORDER.get(self.verdict.tier, 3), -self.open_alerts, self.patient.display_name)


def _require_clinician(actor: Actor) -> None:
    if actor.role != "clinician" or actor.account_id is None:
        raise NotPermitted("This needs a clinician account.")


def _latest_change(
    uow: SqlAlchemyUnitOfWork, questionnaires: Sequence[Questionnaire], now: datetime
) -> tuple[str, Change] | None:
    answered = [
        status
        for status in questionnaire_status(uow, questionnaires, now)
        if status.change is not None and status.latest is not None
    ]
    if not answered:
        return None
    newest = max(answered, key=lambda status: status.latest.answered_at if status.latest else now)
    assert newest.change is not None
    return newest.questionnaire.title, newest.change


def _line(
    uow: SqlAlchemyUnitOfWork,
    patient: AccountRow,
    *,
    questionnaires: Sequence[Questionnaire] = (),
    rules: RuleSet,
    library: Library,
    timezone: str,
    today: date,
    now: datetime,
) -> tuple[PatientLine, ProgressReport]:
    month = gather_report(
        uow, Period(today - timedelta(days=27), today), timezone=timezone, now=now,
        library=library, rules=rules,
    )  # fmt: skip
    week = gather_report(
        uow, Period(today - timedelta(days=6), today), timezone=timezone, now=now,
        library=library, rules=rules,
    )  # fmt: skip
    alerts = uow.followup.alerts(open_only=True)
    line = PatientLine(
        patient=patient,
        verdict=current_verdict(uow, rules, now),
        open_alerts=len(alerts),
        adherence_7=week.summary().adherence,
        adherence_28=month.summary().adherence,
        sessions_7=len(week.sessions),
        sessions_28=len(month.sessions),
        leg_pain=month.summary().leg_pain,
        last_session=month.sessions[-1].started_at if month.sessions else None,
        questionnaire=_latest_change(uow, questionnaires, now),
        knee=_knee_from_report(month.motion),
    )
    return line, month


def _knee_from_report(motion: Sequence[MotionRecord]) -> tuple[KneeTrend, ...]:
    trends = []
    for leg in ("left", "right"):
        points = sorted((m.recorded_at, m.knee_extension_peak_deg) for m in motion if m.leg == leg)
        if points:
            trends.append(KneeTrend(leg, points[0][1], points[-1][1], len(points)))
    return tuple(trends)


#: Patients per dashboard page: the ones needing attention come first.
PER_PAGE = 50


@dataclass(frozen=True)
class DashboardPage:
    """One page of the clinician's patients (ordered as :attr:`PatientLine.sort_key`)."""

    lines: list[PatientLine]
    total: int  # the clinician's patients matching ``query``
    attention: int  # of those, with a "see a doctor"/"emergency" verdict or an open alert
    page: int
    pages: int
    per_page: int
    query: str = ""


def dashboard(
    session_factory: SessionFactory,
    actor: Actor,
    *,
    questionnaires: Sequence[Questionnaire] = (),
    rules: RuleSet,
    library: Library,
    timezone: str,
    today: date,
    now: datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
    query: str = "",
) -> list[PatientLine]:
    """The lines of one page of :func:`dashboard_page`."""
    return dashboard_page(
        session_factory, actor, questionnaires=questionnaires, rules=rules, library=library,
        timezone=timezone, today=today, now=now, page=page, per_page=per_page, query=query,
    ).lines  # fmt: skip


def dashboard_page(
    session_factory: SessionFactory,
    actor: Actor,
    *,
    questionnaires: Sequence[Questionnaire] = (),
    rules: RuleSet,
    library: Library,
    timezone: str,
    today: date,
    now: datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
    query: str = "",
) -> DashboardPage:
    """The clinician's patients, those with an active safety verdict or an open alert
    first, a page at a time (``query`` filters by name or email).

    The order comes from each patient's stored safety status (kept after each change
    they make, see :func:`nerveglide.services.safety.refresh_status`; evaluated here for
    those who have none) and open alerts, for all the patients; the figures (the patient
    page's, see :func:`patient_overview`) only for the page's, with grouped queries."""
    _require_clinician(actor)
    if page < 1:
        raise InvalidInput(f"page: pages are numbered from 1; got {page}")
    if not 1 <= per_page <= 500:
        raise InvalidInput(f"per_page: from 1 to 500 patients a page; got {per_page}")
    patients = clinician_patient_names(session_factory, actor)
    needle = query.strip().casefold()
    if needle:
        patients = [p for p in patients if needle in p.display_name.casefold() or needle in p.email]
    ids = [p.id for p in patients]
    wanted = set(ids)
    # Ordering shows nothing by itself: only the page's patients are audited as read.
    # It reads all of the clinician's patients (a subquery in the database, not a list of
    # their ids) and keeps the ones listed.
    with clinician_scope_uow(session_factory, actor) as uow:
        tiers = {
            pid: (tier, version)
            for pid, tier, version in uow.clinic.status_tiers()
            if pid in wanted
        }
        alerts = {pid: n for pid, n in uow.clinic.open_alerts().items() if pid in wanted}
    stale = [pid for pid in ids if tiers.get(pid, ("", ""))[1] != rules.version]
    for pid, verdict in _evaluate_statuses(session_factory, actor, stale, rules, now).items():
        tiers[pid] = (verdict.tier, verdict.rules_version)

    def rank(p: PatientName) -> tuple[int, int, str, int]:
        tier = tiers.get(p.id, ("ok", ""))[0]
        return (_TIER_ORDER.get(tier, 3), -alerts.get(p.id, 0), p.display_name, p.id)

    patients.sort(key=rank)
    attention = sum(
        1 for p in patients if tiers.get(p.id, ("ok", ""))[0] in _PAUSING or alerts.get(p.id)
    )
    pages = max(1, -(-len(patients) // per_page))
    page_ids = [p.id for p in patients[(page - 1) * per_page : page * per_page]]
    # Only the page's accounts are loaded whole (in the order just made).
    accounts = {p.id: p for p in clinician_patients(session_factory, actor, page_ids)}
    shown = [accounts[pid] for pid in page_ids if pid in accounts]
    lines = _lines(
        session_factory, actor, shown, questionnaires=questionnaires, rules=rules,
        timezone=timezone, today=today, alerts=alerts,
    )  # fmt: skip
    return DashboardPage(lines, len(patients), attention, page, pages, per_page, query.strip())


_MONTH = 28
_PAUSING = ("see_doctor", "emergency")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _lines(
    session_factory: SessionFactory,
    actor: Actor,
    patients: Sequence[AccountRow],
    *,
    questionnaires: Sequence[Questionnaire],
    rules: RuleSet,
    timezone: str,
    today: date,
    alerts: dict[int, int],
) -> list[PatientLine]:
    """The dashboard lines of ``patients`` (in that order), from grouped queries; each
    patient's read is audited."""
    if not patients:
        return []
    ids = [p.id for p in patients]
    uow = clinician_patients_uow(session_factory, actor, patients, what="dashboard")
    zone = ZoneInfo(timezone)
    first = today - timedelta(days=_MONTH - 1)
    bounds = [_midnight(first + timedelta(days=i), zone) for i in range(_MONTH + 1)]
    with uow:
        stored = uow.clinic.statuses(ids)
        days = uow.clinic.session_days(ids, bounds)
        targets = uow.clinic.program_targets(ids)
        pain = uow.clinic.leg_pain_change(ids, first, today)
        answered = uow.clinic.questionnaire_ends(ids)
        knees = uow.clinic.knee_extension_ends(ids, bounds[0])
    statuses = {row.patient_id: verdict_from_json(row.verdict) for row in stored}
    counts: dict[int, list[tuple[int, int]]] = {pid: [(0, 0)] * _MONTH for pid in ids}
    last: dict[int, datetime] = {}
    for pid, day, completed, total, latest in days:
        if day < _MONTH:
            counts[pid][day] = (int(completed or 0), int(total))
        if pid not in last or latest > last[pid]:
            last[pid] = latest
    versions: dict[int, list[tuple[date, int | None]]] = {}
    for pid, created_at, times in targets:
        versions.setdefault(pid, []).append((created_at.astimezone(zone).date(), times))
    pain_by = {pid: PainChange(float(a), float(b), int(w), int(w)) for pid, a, b, w in pain if w}
    changes = _questionnaire_changes(answered, questionnaires)
    knee_by = _knee_trends(knees)
    week = slice(_MONTH - 7, _MONTH)
    lines = []
    for patient in patients:
        daily = counts[patient.id]
        day_targets = _targets(versions.get(patient.id, []), first)
        lines.append(
            PatientLine(
                patient=patient,
                verdict=statuses.get(patient.id) or _unknown_verdict(rules),
                open_alerts=alerts.get(patient.id, 0),
                adherence_7=_adherence(daily[week], day_targets[week]),
                adherence_28=_adherence(daily, day_targets),
                sessions_7=sum(total for _, total in daily[week]),
                sessions_28=sum(total for _, total in daily),
                leg_pain=pain_by.get(patient.id),
                last_session=last.get(patient.id),
                questionnaire=changes.get(patient.id),
                knee=knee_by.get(patient.id, ()),
            )
        )
    return lines


def _evaluate_statuses(
    session_factory: SessionFactory,
    actor: Actor,
    ids: Sequence[int],
    rules: RuleSet,
    now: datetime,
) -> dict[int, Verdict]:
    """Evaluate and keep the verdict of patients who have no status yet, or one made under
    other rules (their facts read together, a few hundred patients at a time, with one
    query per kind of fact; the statuses written in one transaction); their own changes
    keep it up to date after that."""
    verdicts: dict[int, Verdict] = {}
    for start in range(0, len(ids), _EVALUATED_TOGETHER):
        chunk = list(ids[start : start + _EVALUATED_TOGETHER])
        with SqlAlchemyUnitOfWork(session_factory, patient_ids=chunk) as uow:
            facts = gather_facts_of(uow, rules, now, chunk)
        verdicts.update({pid: evaluate(rules, facts[pid]) for pid in chunk})
    if verdicts:
        with SqlAlchemyUnitOfWork(
            session_factory,
            system=True,
            audit=AuditContext(actor.account_id, actor.role, actor.address),
        ) as uow:
            keep_statuses(uow, verdicts, now)
            uow.commit()
    return verdicts


#: Patients whose facts :func:`_evaluate_statuses` reads in one go.
_EVALUATED_TOGETHER = 200


def _unknown_verdict(rules: RuleSet) -> Verdict:
    return Verdict(tier="ok", fired=(), cleared=(), rules_version=rules.version)


def _targets(versions: list[tuple[date, int | None]], first: date) -> list[int | None]:
    """Each day's sessions-a-day target: the newest version made by the end of that day."""
    out: list[int | None] = []
    for i in range(_MONTH):
        day = first + timedelta(days=i)
        target = None
        for made, times in versions:  # oldest first
            if made <= day:
                target = times
        out.append(target)
    return out


def _adherence(days: Sequence[tuple[int, int]], targets: Sequence[int | None]) -> float | None:
    """Completed sessions against the target, capped per day (as the report's summary)."""
    expected = sum(t for t in targets if t is not None)
    capped = sum(min(done, t) for (done, _), t in zip(days, targets, strict=True) if t is not None)
    return None if expected == 0 else capped / expected


def _questionnaire_changes(
    rows: Sequence[Any], questionnaires: Sequence[Questionnaire]
) -> dict[int, tuple[str, Change]]:
    """Each patient's most recently answered questionnaire (of those answered twice),
    its latest total against its first, as :func:`_latest_change` gives it."""
    known = {q.id: q for q in questionnaires}
    ends: dict[tuple[int, str], dict[bool, tuple[datetime, float]]] = {}
    for pid, qid, answered_at, total, is_first in rows:
        if qid in known:
            ends.setdefault((pid, qid), {})[bool(is_first)] = (answered_at, float(total))
    newest: dict[int, tuple[datetime, int, str]] = {}
    order = {q.id: n for n, q in enumerate(questionnaires)}
    for (pid, qid), pair in ends.items():
        if True not in pair or False not in pair:
            continue
        at = pair[False][0]
        key = (at, -order[qid], qid)
        if pid not in newest or key[:2] > newest[pid][:2]:
            newest[pid] = key
    out = {}
    for pid, (_, _, qid) in newest.items():
        q = known[qid]
        pair = ends[(pid, qid)]
        out[pid] = (
            q.title,
            compare(q, _total_score(q, pair[True][1]), _total_score(q, pair[False][1])),
        )
    return out


def _total_score(q: Questionnaire, total: float) -> Score:
    """A stored response's total as a score (the dashboard compares totals only)."""
    return Score(
        questionnaire=q.id, total=total, subscales={}, band=None, band_label=None,
        missing=(), valid=True,
    )  # fmt: skip


def _knee_trends(rows: Sequence[Any]) -> dict[int, tuple[KneeTrend, ...]]:
    ends: dict[tuple[int, str], dict[bool, float]] = {}
    sessions: dict[tuple[int, str], int] = {}
    for pid, leg, _, knee, is_first, n in rows:
        ends.setdefault((pid, leg), {})[bool(is_first)] = float(knee)
        sessions[(pid, leg)] = int(n)
    out: dict[int, list[KneeTrend]] = {}
    for (pid, leg), pair in sorted(ends.items()):
        first = pair.get(True)
        last = pair.get(False, first)
        if first is None or last is None:
            continue
        out.setdefault(pid, []).append(
            KneeTrend(leg, round(first, 1), round(last, 1), sessions[(pid, leg)])
        )
    return {pid: tuple(trends) for pid, trends in out.items()}


@dataclass(frozen=True)
class PatientOverview:
    line: PatientLine
    report: ProgressReport  # the last 28 days, for the plots
    versions: list[StoredProgram]
    notes: list[ClinicianNoteRow]
    alerts: list[AlertRow]


def patient_overview(
    session_factory: SessionFactory,
    actor: Actor,
    patient_id: int,
    *,
    questionnaires: Sequence[Questionnaire] = (),
    rules: RuleSet,
    library: Library,
    timezone: str,
    today: date,
    now: datetime,
) -> PatientOverview:
    _require_clinician(actor)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        patient = uow.accounts.get(patient_id)
    with patient_uow(session_factory, actor, patient_id, what="patient") as uow:
        assert patient is not None  # patient_uow checked it
        line, report = _line(
            uow, patient, questionnaires=questionnaires, rules=rules, library=library,
            timezone=timezone, today=today, now=now,
        )  # fmt: skip
        notes = uow.followup.notes()
        alerts = uow.followup.alerts()
        versions = program_versions(uow)
    return PatientOverview(line, report, versions, notes, alerts)


def add_note(
    session_factory: SessionFactory, actor: Actor, patient_id: int, text: str, now: datetime
) -> ClinicianNoteRow:
    _require_clinician(actor)
    with patient_uow(session_factory, actor, patient_id, what="note", audit_read=False) as uow:
        text = text.strip()
        if not text:
            raise InvalidInput("note: write something first")
        if len(text) > 5000:
            raise InvalidInput("note: use at most 5000 characters")
        note = ClinicianNoteRow(author_id=actor.account_id, written_at=now, text=text)
        uow.followup.add(note)
        uow.commit()
    return note


def notes(session_factory: SessionFactory, actor: Actor, patient_id: int) -> list[ClinicianNoteRow]:
    """The notes about a patient, as the patient's page lists them."""
    _require_clinician(actor)
    with patient_uow(session_factory, actor, patient_id, what="note") as uow:
        return uow.followup.notes()


def ensure_patient(session_factory: SessionFactory, actor: Actor, patient_id: int) -> None:
    """Refuse (404) before reading a form about a patient who is not this clinician's."""
    _require_clinician(actor)
    check_patient_access(session_factory, actor, patient_id, what="program")


def prescribe(
    session_factory: SessionFactory,
    actor: Actor,
    patient_id: int,
    program: Program,
    now: datetime,
) -> StoredProgram:
    """A new version of the patient's program, by this clinician."""
    _require_clinician(actor)
    with patient_uow(session_factory, actor, patient_id, what="program", audit_read=False) as uow:
        stored = save_program(uow, program, now, prescribed_by=actor.account_id)
        uow.commit()
    return stored


def clear_pause(
    session_factory: SessionFactory,
    actor: Actor,
    patient_id: int,
    rules: RuleSet,
    now: datetime,
    note: str | None,
) -> list[str]:
    """The clinician clears a "see a doctor" pause (the patient was seen)."""
    _require_clinician(actor)
    with patient_uow(session_factory, actor, patient_id, what="safety", audit_read=False) as uow:
        cleared = confirm_seen_doctor(uow, rules, now, by="clinician", note=note)
        for alert in uow.followup.alerts(open_only=True):
            alert.acknowledged_at = now
            alert.acknowledged_by = actor.account_id
        refresh_status(uow, rules, now)
        uow.commit()
    return cleared


def acknowledge_alert(
    session_factory: SessionFactory, actor: Actor, patient_id: int, alert_id: int, now: datetime
) -> None:
    _require_clinician(actor)
    with patient_uow(session_factory, actor, patient_id, what="alert", audit_read=False) as uow:
        alert = uow.followup.alert(alert_id)
        if alert is None:
            raise NotFound("There is no such alert.")
        alert.acknowledged_at = now
        alert.acknowledged_by = actor.account_id
        uow.commit()
