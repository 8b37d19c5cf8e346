"""The row filter under every query, on SQLite and PostgreSQL: a unit of work scoped to
one patient reads, updates and deletes only that patient's clinical rows and stamps new
ones; an unscoped one refuses to touch clinical tables at all."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select, update

from nerveglide.services.accounts import create_account
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.program import ProgramRow
from nerveglide.store.scoping import UnscopedClinicalAccess

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


def _patient(factory: SessionFactory, email: str) -> int:
    return create_account(factory, email=email, role="patient", now=NOW, password=None).id


def _diary(leg: int) -> DiaryEntryRow:
    return DiaryEntryRow(
        entry_date=date(2026, 11, 22), saved_at=NOW, back_pain=1, leg_pain=leg,
        numbness="none", weakness="none", reach={}, sleep_disturbed=False,
    )  # fmt: skip


def test_each_patient_sees_only_their_own_rows(session_factory: SessionFactory):
    a, b = _patient(session_factory, "a@example.org"), _patient(session_factory, "b@example.org")
    for patient, leg in ((a, 3), (b, 8)):
        with SqlAlchemyUnitOfWork(session_factory, patient_id=patient) as uow:
            uow.diary.add(_diary(leg))
            uow.programs.add(ProgramRow(affected_leg="left", created_at=NOW))
            uow.commit()
    with SqlAlchemyUnitOfWork(session_factory, patient_id=a) as uow:
        rows = uow.session.scalars(select(DiaryEntryRow)).all()
        assert [(r.patient_id, r.leg_pain) for r in rows] == [(a, 3)]
        theirs = SqlAlchemyUnitOfWork(session_factory, system=True)
        with theirs:
            b_program = theirs.session.scalars(
                select(ProgramRow).where(ProgramRow.patient_id == b)
            ).one()
        assert uow.programs.get(b_program.id) is None  # by primary key: not found
        uow.session.execute(update(DiaryEntryRow).values(leg_pain=0))
        uow.session.execute(delete(ProgramRow))
        uow.commit()
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        everything = uow.session.scalars(select(DiaryEntryRow).order_by(DiaryEntryRow.patient_id))
        assert [(r.patient_id, r.leg_pain) for r in everything] == [(a, 0), (b, 8)]
        assert [p.patient_id for p in uow.session.scalars(select(ProgramRow))] == [b]


def test_an_unscoped_unit_of_work_refuses_clinical_tables(session_factory: SessionFactory):
    a = _patient(session_factory, "a@example.org")
    b = _patient(session_factory, "b@example.org")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        assert uow.accounts.get(a) is not None  # accounts are not clinical rows
        with pytest.raises(UnscopedClinicalAccess):
            uow.session.scalars(select(DiaryEntryRow)).all()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.diary.add(_diary(2))
        with pytest.raises(UnscopedClinicalAccess):
            uow.flush()
    with SqlAlchemyUnitOfWork(session_factory, patient_id=a) as uow:
        row = _diary(2)
        row.patient_id = b
        uow.diary.add(row)
        with pytest.raises(UnscopedClinicalAccess, match="another patient"):
            uow.flush()


def test_a_select_from_a_subquery_is_filtered_and_guarded(session_factory: SessionFactory):
    """A statement whose clinical table sits only inside a subquery (its outermost FROM
    names no entity) gets the same filter inside the subquery, and the same refusal
    without a scope."""
    a, b = _patient(session_factory, "a@example.org"), _patient(session_factory, "b@example.org")
    for patient, leg in ((a, 3), (b, 8)):
        with SqlAlchemyUnitOfWork(session_factory, patient_id=patient) as uow:
            uow.diary.add(_diary(leg))
            uow.commit()
    inner = select(DiaryEntryRow.patient_id, DiaryEntryRow.leg_pain).subquery()
    outer = select(inner.c.patient_id, inner.c.leg_pain).order_by(inner.c.patient_id)
    with SqlAlchemyUnitOfWork(session_factory, patient_id=a) as uow:
        assert uow.session.execute(outer).all() == [(a, 3)]
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        assert uow.session.execute(outer).all() == [(a, 3), (b, 8)]
    with SqlAlchemyUnitOfWork(session_factory) as uow, pytest.raises(UnscopedClinicalAccess):
        uow.session.execute(outer).all()
