"""Queries on the safety tables (screenings, clearances, verdicts, settings) and the
session facts the safety rules read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
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

__all__ = ["SafetyRepository", "ended_sessions_reached"]


def ended_sessions_reached(
    *,
    latest: int | None,
    worse_after: int | None,
    felt_worse: int | None,
    ids: Sequence[int] | None = None,
) -> Select[*tuple[Any, ...]]:
    """``(patient_id, *SESSION_FACT_COLUMNS)`` of the ended sessions the safety rules can
    look at (:class:`nerveglide.domain.safety.SessionReach`; None reads them all), of
    the patients ``ids`` (or of the session's scope), oldest first: the latest
    ``latest``; the latest ``worse_after`` with pain before and after (back or leg); the
    latest ``felt_worse`` with "felt worse" answered; with leg pain before, the first,
    the latest and the first after each clearance."""
    s, c = ExerciseSessionRow, SafetyClearanceRow
    newest = (s.started_at.desc(), s.id.desc())
    oldest = (s.started_at, s.id)
    worse_known = or_(
        and_(s.pain_before_back.is_not(None), s.pain_after_back.is_not(None)),
        and_(s.pain_before_leg.is_not(None), s.pain_after_leg.is_not(None)),
    )
    felt_known = s.felt_worse.is_not(None)
    leg_known = s.pain_before_leg.is_not(None)

    def back(*among: ColumnElement[bool]) -> Any:
        return func.row_number().over(partition_by=(s.patient_id, *among), order_by=newest)

    by_leg = (s.patient_id, leg_known)
    ranked = select(
        s.patient_id,
        *SESSION_FACT_COLUMNS,
        worse_known.label("worse_known"),
        felt_known.label("felt_known"),
        leg_known.label("leg_known"),
        back().label("back"),
        back(worse_known).label("back_worse"),
        back(felt_known).label("back_felt"),
        back(leg_known).label("leg_down"),
        func.row_number().over(partition_by=by_leg, order_by=oldest).label("leg_up"),
        func.lag(s.started_at).over(partition_by=by_leg, order_by=oldest).label("leg_before"),
    ).where(s.status != "in_progress")
    if ids is not None:
        ranked = ranked.where(s.patient_id.in_(ids))
    r = ranked.subquery()

    def within(rank: Any, reach: int | None) -> ColumnElement[bool]:
        return true() if reach is None else rank <= reach

    first_after_clearance = exists().where(
        c.patient_id == r.c.patient_id,
        c.cleared_at < r.c.started_at,
        or_(r.c.leg_before.is_(None), c.cleared_at >= r.c.leg_before),
    )
    # Selected from the table itself, so that the unit of work's scope applies.
    return (
        select(s.patient_id, *SESSION_FACT_COLUMNS)
        .join(r, r.c.id == s.id)
        .where(
            or_(
                within(r.c.back, latest),
                and_(r.c.worse_known, within(r.c.back_worse, worse_after)),
                and_(r.c.felt_known, within(r.c.back_felt, felt_worse)),
                and_(
                    r.c.leg_known,
                    or_(r.c.leg_up == 1, r.c.leg_down == 1, first_after_clearance),
                ),
            )
        )
        .order_by(s.patient_id, s.started_at, s.id)
    )


class SafetyRepository:
    """Reads and adds safety records in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def answers(self) -> list[ScreeningAnswerRow]:
        statement = select(ScreeningAnswerRow).order_by(
            ScreeningAnswerRow.answered_at, ScreeningAnswerRow.id
        )
        return list(self.session.scalars(statement))

    def ended_sessions(
        self, *, latest: int | None, worse_after: int | None, felt_worse: int | None
    ) -> list[AnyRow]:
        """The ended sessions' own columns (the rules read no repetitions), oldest first,
        as plain rows, of those the rules can look at (:func:`ended_sessions_reached`): a
        year of sessions is a thousand of them, and they are checked at every session."""
        statement = ended_sessions_reached(
            latest=latest, worse_after=worse_after, felt_worse=felt_worse
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
