"""Request and response bodies of the clinician's and the admin's JSON API
(``/api/clinician/...``, ``/api/admin/...``), and how the services' results become them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import Field

from nerveglide.services.clinician import PatientLine, PatientOverview
from nerveglide.services.programs import StoredProgram
from nerveglide.store.models.account import AccountRow, AlertRow, AuditEventRow, ClinicianNoteRow
from nerveglide.web.responses import ApiOut, FiredRuleOut, ProgramGlideOut, Timestamp
from nerveglide.web.routers.program import program_json
from nerveglide.web.schemas import ApiBody

__all__ = [
    "AccountOut",
    "AlertOut",
    "AuditEventOut",
    "ClinicianIn",
    "NoteIn",
    "NoteOut",
    "PatientLineOut",
    "PatientOverviewOut",
    "ProgramVersionOut",
    "account_out",
    "alert_out",
    "audit_out",
    "line_out",
    "note_out",
    "overview_out",
]


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class PatientOut(ApiOut):
    id: int
    display_name: str
    email: str


class LegPainOut(ApiOut):
    """The diary's leg pain: the mean of the first and of the last seven recorded days."""

    first: float
    last: float
    change: float
    important: bool = Field(description="at least the minimal important change")


class QuestionnaireChangeLineOut(ApiOut):
    title: str
    baseline: float
    now: float
    improvement: float = Field(description="positive is better for this questionnaire")
    threshold: str
    meets: bool | None = Field(description="null when no minimal change is published")


class PatientLineOut(ApiOut):
    """One patient on the clinician's dashboard."""

    patient: PatientOut
    tier: str = Field(description="the safety verdict: emergency, see_doctor, mention or ok")
    fired: list[FiredRuleOut]
    open_alerts: int
    adherence_7: float | None = Field(description="sessions done / prescribed, last 7 days")
    adherence_28: float | None = Field(description="sessions done / prescribed, last 28 days")
    sessions_7: int
    sessions_28: int
    leg_pain: LegPainOut | None
    last_session: Timestamp | None
    questionnaire: QuestionnaireChangeLineOut | None


def line_out(line: PatientLine) -> PatientLineOut:
    pain = line.leg_pain
    change = line.questionnaire
    return PatientLineOut(
        patient=PatientOut(
            id=line.patient.id, display_name=line.patient.display_name, email=line.patient.email
        ),
        tier=line.verdict.tier,
        fired=[FiredRuleOut.model_validate(asdict(f)) for f in line.verdict.fired],
        open_alerts=line.open_alerts,
        adherence_7=line.adherence_7,
        adherence_28=line.adherence_28,
        sessions_7=line.sessions_7,
        sessions_28=line.sessions_28,
        leg_pain=None
        if pain is None
        else LegPainOut(
            first=pain.first, last=pain.last, change=pain.change, important=pain.important
        ),
        last_session=_at(line.last_session),
        questionnaire=None
        if change is None
        else QuestionnaireChangeLineOut(
            title=change[0],
            baseline=change[1].baseline,
            now=change[1].now,
            improvement=change[1].improvement,
            threshold=change[1].threshold_label,
            meets=change[1].meets,
        ),
    )


class NoteIn(ApiBody):
    text: str = Field(min_length=1, max_length=5000)


class NoteOut(ApiOut):
    id: int
    author_id: int | None
    written_at: Timestamp
    text: str


def note_out(row: ClinicianNoteRow) -> NoteOut:
    return NoteOut(id=row.id, author_id=row.author_id, written_at=row.written_at.isoformat(),
                   text=row.text)  # fmt: skip


class AlertOut(ApiOut):
    id: int
    raised_at: Timestamp
    kind: str
    tier: str
    message: str
    acknowledged_at: Timestamp | None
    acknowledged_by: int | None


def alert_out(row: AlertRow) -> AlertOut:
    return AlertOut(
        id=row.id, raised_at=row.raised_at.isoformat(), kind=row.kind, tier=row.tier,
        message=row.message, acknowledged_at=_at(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by,
    )  # fmt: skip


class ProgramVersionOut(ApiOut):
    id: int
    created_at: Timestamp
    prescribed_by: int | None = Field(description="the clinician; null when the patient made it")
    affected_leg: str
    glides: list[ProgramGlideOut]


def version_out(stored: StoredProgram) -> ProgramVersionOut:
    body = program_json(stored.program, stored.id)
    return ProgramVersionOut(
        id=stored.id,
        created_at=stored.created_at.isoformat(),
        prescribed_by=stored.prescribed_by,
        affected_leg=body["affected_leg"],
        glides=body["glides"],
    )


class PatientOverviewOut(ApiOut):
    """One patient's page: the dashboard line, program versions (newest first), notes and
    alerts. The plots and reports are the downloads of the patient's page."""

    line: PatientLineOut
    versions: list[ProgramVersionOut]
    notes: list[NoteOut]
    alerts: list[AlertOut]


def overview_out(overview: PatientOverview) -> PatientOverviewOut:
    return PatientOverviewOut(
        line=line_out(overview.line),
        versions=[version_out(v) for v in overview.versions],
        notes=[note_out(n) for n in overview.notes],
        alerts=[alert_out(a) for a in overview.alerts],
    )


class ClinicianIn(ApiBody):
    email: str = Field(max_length=254)
    display_name: str = Field(default="", max_length=120)


class AccountOut(ApiOut):
    id: int
    email: str
    role: str
    display_name: str
    clinician_id: int | None
    created_at: Timestamp
    disabled_at: Timestamp | None
    can_log_in: bool = Field(description="false until a password is set, or when disabled")


def account_out(row: AccountRow) -> AccountOut:
    return AccountOut(
        id=row.id, email=row.email, role=row.role, display_name=row.display_name,
        clinician_id=row.clinician_id, created_at=row.created_at.isoformat(),
        disabled_at=_at(row.disabled_at),
        can_log_in=row.password_hash is not None and row.disabled_at is None,
    )  # fmt: skip


class AuditEventOut(ApiOut):
    id: int
    at: Timestamp
    actor_id: int | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str | None
    patient_id: int | None
    address: str | None
    outcome: str


def audit_out(row: AuditEventRow) -> AuditEventOut:
    return AuditEventOut(
        id=row.id, at=row.at.isoformat(), actor_id=row.actor_id, actor_role=row.actor_role,
        action=row.action, object_type=row.object_type, object_id=row.object_id,
        patient_id=row.patient_id, address=row.address, outcome=row.outcome,
    )  # fmt: skip
