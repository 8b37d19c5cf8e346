"""Queries on the safety tables (screenings, clearances, verdicts, settings) and the
session facts the safety rules read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nerveglide.store.audit_trail import audit_written
from nerveglide.store.models.exercise_session import ExerciseSessionRow
from nerveglide.store.models.safety import (
    PatientStatusRow,
    SafetyClearanceRow,
    SafetySettingRow,
    SafetyVerdictRow,
    ScreeningAnswerRow,
    ScreeningRow,
)
from nerveglide.store.repositories.sessions import AnyRow
from nerveglide.store.scoping import UnscopedClinicalAccess, is_system, scope_of

#: The columns of an ended session the safety rules read (the rules read no repetitions).
SESSION_FACT_COLUMNS = (
    ExerciseSessionRow.id,
    ExerciseSessionRow.started_at,
    ExerciseSessionRow.status,
    ExerciseSessionRow.pain_before_back,
    ExerciseSessionRow.pain_before_leg,
    ExerciseSessionRow.pain_after_back,
    ExerciseSessionRow.pain_after_leg,
    ExerciseSessionRow.felt_worse,
    ExerciseSessionRow.spread,
)

__all__ = ["SafetyRepository"]


class SafetyRepository:
    """Reads and adds safety records in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def answers(self) -> list[ScreeningAnswerRow]:
        statement = select(ScreeningAnswerRow).order_by(
            ScreeningAnswerRow.answered_at, ScreeningAnswerRow.id
        )
        return list(self.session.scalars(statement))

    def ended_sessions(self) -> list[AnyRow]:
        """Each ended session's own columns (the rules read no repetitions), oldest first,
        as plain rows: a year of sessions is a thousand of them, read at every check."""
        s = ExerciseSessionRow
        statement = (
            select(*SESSION_FACT_COLUMNS)
            .where(s.status != "in_progress")
            .order_by(s.started_at, s.id)
        )
        return list(self.session.execute(statement))

    def clearances(self) -> list[SafetyClearanceRow]:
        statement = select(SafetyClearanceRow).order_by(SafetyClearanceRow.id)
        return list(self.session.scalars(statement))

    def settings(self) -> list[SafetySettingRow]:
        return list(self.session.scalars(select(SafetySettingRow)))

    def setting(self, name: str) -> SafetySettingRow | None:
        return self.session.scalars(
            select(SafetySettingRow).where(SafetySettingRow.name == name)
        ).one_or_none()

    def status(self, patient_id: int | None = None) -> PatientStatusRow | None:
        """The person's verdict as last evaluated (one row per person; ``patient_id``
        picks one in a system-scoped session)."""
        statement = select(PatientStatusRow)
        if patient_id is not None:
            statement = statement.where(PatientStatusRow.patient_id == patient_id)
        return self.session.scalars(statement).one_or_none()

    def insert_status(
        self,
        *,
        tier: str,
        rules_version: str,
        verdict: dict[str, Any],
        evaluated_at: datetime,
        patient_id: int | None = None,
    ) -> None:
        """Write a person's first status in one statement: if another writer (the worker,
        a request of theirs, their clinician's dashboard) has written one meanwhile, this
        one replaces it unless it was evaluated earlier. Check-then-insert would fail on
        the second writer's primary key. ``patient_id`` as in :meth:`status`."""
        scope = scope_of(self.session)
        if isinstance(scope, int) and patient_id in (None, scope):
            patient_id = scope
        elif not (is_system(scope) and patient_id is not None):
            raise UnscopedClinicalAccess("a status was written outside its patient's scope")
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        row = PatientStatusRow
        statement = insert(row).values(
            patient_id=patient_id,
            tier=tier,
            rules_version=rules_version,
            verdict=verdict,
            evaluated_at=evaluated_at,
        )
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[row.patient_id],
            set_={
                "tier": new.tier,
                "rules_version": new.rules_version,
                "verdict": new.verdict,
                "evaluated_at": new.evaluated_at,
            },
            where=row.evaluated_at <= new.evaluated_at,
        )
        self.session.execute(statement)
        audit_written(self.session, row.__tablename__, str(patient_id), patient_id, "create")

    def add(
        self,
        row: ScreeningRow
        | SafetyClearanceRow
        | SafetyVerdictRow
        | SafetySettingRow
        | PatientStatusRow,
    ) -> None:
        self.session.add(row)

    def verdicts(self) -> list[SafetyVerdictRow]:
        return list(self.session.scalars(select(SafetyVerdictRow).order_by(SafetyVerdictRow.id)))
