"""Who may see whose clinical data: the one place it is decided.

Every clinical object (program and its versions, sessions and repetitions, stop events,
safety records and settings, diary, questionnaires, notes, alerts, video analyses)
belongs to one patient account. A service reaches such an object only through a unit of
work scoped to that patient (:func:`patient_uow`), and the scope filters every query (see
:mod:`nerveglide.store.scoping`): an object of another patient is simply not found, so
it answers 404 and leaks nothing. The decision "may this actor open this patient's
scope" is :func:`check_patient_access`:

- a patient: their own data only;
- a clinician: the patients assigned to them;
- an admin: nobody's, unless the patient granted it;
- the system (the CLI acting for the installation's patient): anyone's.

Reads by anyone other than the patient and every refusal go to the audit log.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from nerveglide.domain.accounts import Actor
from nerveglide.errors import NotFound, NotPermitted
from nerveglide.services import audit
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.audit_trail import AuditContext
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AccountRow
from nerveglide.store.repositories.accounts import PatientName

__all__ = [
    "calendar_feed_uow",
    "check_patient_access",
    "clinician_patient_names",
    "clinician_patients",
    "clinician_patients_uow",
    "clinician_scope_uow",
    "own_patient_id",
    "patient_uow",
    "require_role",
]

_NO_SUCH_PATIENT = "There is no such patient."


def _may_see(actor: Actor, patient: AccountRow) -> bool:
    if patient.role != "patient":
        return False
    if actor.role == "system":
        return True
    if actor.role == "patient":
        return actor.account_id == patient.id
    if actor.role == "clinician":
        return patient.clinician_id is not None and patient.clinician_id == actor.account_id
    if actor.role == "admin":
        return bool(patient.admin_access_granted)
    return False


def check_patient_access(
    session_factory: SessionFactory, actor: Actor, patient_id: int, *, what: str = "patient"
) -> AccountRow:
    """The patient's account if ``actor`` may act on their data; else :class:`NotFound`
    (recorded as a denied access)."""
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        patient = uow.accounts.get(patient_id)
    if patient is None or not _may_see(actor, patient):
        audit.record(
            session_factory, actor, "access", what, patient_id,
            patient_id=patient_id, outcome="denied",
        )  # fmt: skip
        raise NotFound(_NO_SUCH_PATIENT)
    return patient


def patient_uow(
    session_factory: SessionFactory,
    actor: Actor,
    patient_id: int,
    *,
    what: str = "patient",
    audit_read: bool = True,
) -> SqlAlchemyUnitOfWork:
    """A unit of work that sees ``patient_id``'s clinical rows, if ``actor`` may.

    A read by someone other than the patient is audited here (``what`` names the data).
    """
    check_patient_access(session_factory, actor, patient_id, what=what)
    if audit_read and actor.account_id != patient_id and actor.role != "system":
        audit.record(session_factory, actor, "read", what, patient_id, patient_id=patient_id)
    return SqlAlchemyUnitOfWork(
        session_factory,
        patient_id=patient_id,
        audit=AuditContext(actor.account_id, actor.role, actor.address),
    )


def clinician_patients(
    session_factory: SessionFactory, actor: Actor, ids: Collection[int] | None = None
) -> list[AccountRow]:
    """The clinician's assigned patients (by name), only those of ``ids`` if given;
    refused for anyone else."""
    if actor.role != "clinician" or actor.account_id is None:
        require_role(session_factory, actor, "clinician", what="patients")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        patients = uow.accounts.patients_of(actor.account_id or 0, ids)
    return [p for p in patients if _may_see(actor, p)]


def clinician_patient_names(session_factory: SessionFactory, actor: Actor) -> list[PatientName]:
    """The ids, names and emails of the clinician's assigned patients (by name), without
    loading their accounts: to filter and order them all, then load the page's with
    :func:`clinician_patients`. The query itself keeps to the clinician's patients (the
    test :func:`_may_see` makes of a clinician); refused for anyone else."""
    if actor.role != "clinician" or actor.account_id is None:
        require_role(session_factory, actor, "clinician", what="patients")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        return uow.accounts.patient_names_of(actor.account_id or 0)


def clinician_patients_uow(
    session_factory: SessionFactory,
    actor: Actor,
    patients: Sequence[AccountRow],
    *,
    what: str,
) -> SqlAlchemyUnitOfWork:
    """A unit of work that reads (only reads) the clinical rows of several of the
    clinician's ``patients`` (from :func:`clinician_patients`) at once; each patient's
    read is audited (reads that show nothing, such as ordering the dashboard, go through
    :func:`clinician_scope_uow`). A patient who is not this clinician's is refused
    (404)."""
    for patient in patients:
        if not _may_see(actor, patient):
            check_patient_access(session_factory, actor, patient.id, what=what)  # raises
    ids = sorted({p.id for p in patients})
    if ids:
        audit.record_reads(session_factory, actor, what, ids)
    return SqlAlchemyUnitOfWork(
        session_factory,
        patient_ids=ids,
        audit=AuditContext(actor.account_id, actor.role, actor.address),
    )


def clinician_scope_uow(session_factory: SessionFactory, actor: Actor) -> SqlAlchemyUnitOfWork:
    """A unit of work that reads (only reads) the clinical rows of all of the clinician's
    patients, whoever they are, filtered in the database by a subquery (one parameter,
    however many patients): for work that shows nothing by itself, such as ordering the
    dashboard (so no read is audited). Refused for anyone but a clinician."""
    if actor.role != "clinician" or actor.account_id is None:
        require_role(session_factory, actor, "clinician", what="patients")
    return SqlAlchemyUnitOfWork(
        session_factory,
        clinician_id=actor.account_id,
        audit=AuditContext(actor.account_id, actor.role, actor.address),
    )


def calendar_feed_uow(session_factory: SessionFactory, token: str) -> SqlAlchemyUnitOfWork:
    """The unit of work of the patient whose active calendar feed ``token`` opens (a
    calendar app has no login: the private token is the grant); :class:`NotFound` for an
    unknown or revoked token."""
    from nerveglide.services.reminders import hash_token

    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        feed = uow.reminders.active_feed_by_hash(hash_token(token)) if token else None
    if feed is None:
        raise NotFound("There is no such calendar feed (it may have been revoked).")
    return SqlAlchemyUnitOfWork(
        session_factory, patient_id=feed.patient_id, audit=AuditContext(None, "feed", None)
    )


def own_patient_id(actor: Actor) -> int:
    """The patient the actor's own pages are about: themselves, if they are a patient."""
    if actor.role != "patient" or actor.account_id is None:
        raise NotPermitted("This page is for patients: their own program, sessions and diary.")
    return actor.account_id


def require_role(
    session_factory: SessionFactory, actor: Actor, *roles: str, what: str = "page"
) -> None:
    if actor.role not in roles:
        audit.record(session_factory, actor, "access", what, outcome="denied")
        raise NotPermitted(f"This needs a {' or '.join(roles)} account.")
