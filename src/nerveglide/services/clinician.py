"""What a clinician sees and does for their patients: the dashboard (adherence, pain,
safety first), a patient's overview, notes, prescribing, clearing a "see a doctor" pause.

Every function opens the patient's data through :func:`services.access.patient_uow`, so a
patient who is not assigned to this clinician is "not found", and the read is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from nerveglide.content.questionnaire import Questionnaire
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.accounts import Actor
from nerveglide.domain.program import Program
from nerveglide.domain.safety import Verdict
from nerveglide.domain.scoring import Change
from nerveglide.errors import InvalidInput, NotFound, NotPermitted
from nerveglide.reports.model import PainChange, Period, ProgressReport
from nerveglide.services.access import check_patient_access, patient_uow
from nerveglide.services.programs import StoredProgram, program_versions, save_program
from nerveglide.services.questionnaires import questionnaire_status
from nerveglide.services.reports import gather_report
from nerveglide.services.safety import confirm_seen_doctor, current_verdict
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AccountRow, AlertRow, ClinicianNoteRow

__all__ = [
    "PatientLine",
    "PatientOverview",
    "acknowledge_alert",
    "add_note",
    "clear_pause",
    "dashboard",
    "ensure_patient",
    "notes",
    "patient_overview",
    "prescribe",
]

_TIER_ORDER = {"emergency": 0, "see_doctor": 1, "mention": 2, "ok": 3}


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
    )
    return line, month


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
) -> list[PatientLine]:
    """The clinician's patients, those with an active safety verdict or open alert first."""
    _require_clinician(actor)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        patients = uow.accounts.patients_of(actor.account_id or 0)
    lines = []
    for patient in patients:
        with patient_uow(session_factory, actor, patient.id, what="dashboard") as uow:
            line, _ = _line(
                uow, patient, questionnaires=questionnaires, rules=rules, library=library,
                timezone=timezone, today=today, now=now,
            )  # fmt: skip
            lines.append(line)
    return sorted(lines, key=lambda line: line.sort_key)


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
