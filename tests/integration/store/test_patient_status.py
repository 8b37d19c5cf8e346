"""A person's stored safety status has two writers or more at once (the worker's hourly
refresh, a change of theirs, their clinician's dashboard): each finds no row and writes
the first one. On SQLite and PostgreSQL, the second writer replaces the first's status
(unless its own is older) instead of failing on the primary key, and each write is
audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from nerveglide.domain.safety import Verdict
from nerveglide.services.accounts import create_account
from nerveglide.services.safety import keep_status
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AuditEventRow
from nerveglide.store.models.safety import PatientStatusRow
from nerveglide.store.scoping import UnscopedClinicalAccess

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def verdict(tier: str) -> Verdict:
    return Verdict(tier=tier, fired=(), cleared=(), rules_version="v1")  # type: ignore[arg-type]


def statuses(factory: SessionFactory) -> list[tuple[int, str, datetime]]:
    with SqlAlchemyUnitOfWork(factory, system=True) as uow:
        rows = uow.session.scalars(select(PatientStatusRow)).all()
        return [(r.patient_id, r.tier, r.evaluated_at) for r in rows]


@pytest.mark.parametrize("first_is_newer", [False, True], ids=["second-newer", "first-newer"])
def test_two_first_statuses_at_once_keep_the_newer(
    session_factory: SessionFactory, first_is_newer: bool
):
    patient = create_account(
        session_factory, email="p@example.org", role="patient", now=NOW, password=None
    ).id
    early, late = NOW, NOW + timedelta(seconds=1)

    def worker_writes() -> None:  # in the system scope, as the dashboard does too
        with SqlAlchemyUnitOfWork(session_factory, system=True) as worker:
            keep_status(worker, verdict("ok"), late if first_is_newer else early, patient)
            worker.commit()

    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient) as request:
        # A request finds no status yet; the worker's write lands just after that check.
        check = request.safety.status

        def status_then_the_worker(patient_id: int | None = None) -> PatientStatusRow | None:
            found = check(patient_id)
            worker_writes()
            return found

        request.safety.status = status_then_the_worker  # type: ignore[method-assign]
        keep_status(request, verdict("pause"), early if first_is_newer else late)
        request.commit()
    expected = ("ok", late) if first_is_newer else ("pause", late)
    assert statuses(session_factory) == [(patient, *expected)]
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        audited = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.object_type == "patient_status")
        ).all()
    assert [(a.patient_id, a.action, a.object_id) for a in audited] == [
        (patient, "create", str(patient))
    ] * 2


def test_a_status_is_written_only_in_its_patients_scope(session_factory: SessionFactory):
    a, b = (
        create_account(session_factory, email=e, role="patient", now=NOW, password=None).id
        for e in ("a@example.org", "b@example.org")
    )
    with (
        SqlAlchemyUnitOfWork(session_factory, patient_id=a) as uow,
        pytest.raises(UnscopedClinicalAccess),
    ):
        keep_status(uow, verdict("ok"), NOW, patient_id=b)
    with (
        SqlAlchemyUnitOfWork(session_factory, system=True) as uow,
        pytest.raises(UnscopedClinicalAccess),
    ):
        keep_status(uow, verdict("ok"), NOW)  # the system scope must name the patient
    assert statuses(session_factory) == []
