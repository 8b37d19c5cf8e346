"""Units of work: one transaction, and the repositories that work inside it.

::

    with SqlAlchemyUnitOfWork(session_factory) as uow:
        release = uow.content_releases.get_by_digest(digest)
        ...
        uow.commit()          # nothing is written unless this runs

Leaving the block without :meth:`~AbstractUnitOfWork.commit` (an early return, an
exception) rolls everything back. Services commit through the unit of work; repositories
never commit.
"""

from __future__ import annotations

import abc
from collections.abc import Collection
from types import TracebackType
from typing import TYPE_CHECKING, Self

from nerveglide.store.audit_trail import AuditContext, set_audit_context
from nerveglide.store.db import SessionFactory, database_errors
from nerveglide.store.repositories.accounts import AccountRepository
from nerveglide.store.repositories.audit import AuditRepository
from nerveglide.store.repositories.clinic import ClinicRepository
from nerveglide.store.repositories.content_release import ContentReleaseRepository
from nerveglide.store.repositories.diary import DiaryRepository
from nerveglide.store.repositories.followup import FollowUpRepository
from nerveglide.store.repositories.live import LiveRepository
from nerveglide.store.repositories.programs import ProgramRepository
from nerveglide.store.repositories.questionnaires import QuestionnaireRepository
from nerveglide.store.repositories.reminders import ReminderRepository
from nerveglide.store.repositories.safety import SafetyRepository
from nerveglide.store.repositories.sessions import SessionRepository
from nerveglide.store.scoping import (
    scope_to_clinician,
    scope_to_patient,
    scope_to_patients,
    scope_to_system,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["AbstractUnitOfWork", "SqlAlchemyUnitOfWork"]


class AbstractUnitOfWork(abc.ABC):
    """A transaction with its repositories; commits only when told to."""

    #: The patient whose clinical rows this unit of work sees (None: none, or all for
    #: the system scope).
    patient_id: int | None = None
    accounts: AccountRepository
    clinic: ClinicRepository
    audit: AuditRepository
    content_releases: ContentReleaseRepository
    programs: ProgramRepository
    sessions: SessionRepository
    safety: SafetyRepository
    diary: DiaryRepository
    followup: FollowUpRepository
    questionnaires: QuestionnaireRepository
    reminders: ReminderRepository
    live: LiveRepository

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make everything done in this unit of work permanent."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Undo everything not yet committed."""

    @abc.abstractmethod
    def flush(self) -> None:
        """Send pending changes to the database inside the transaction (ids get assigned)."""


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """A unit of work on one SQLAlchemy session, made by ``session_factory`` on enter.

    :meth:`commit` raises :class:`~nerveglide.errors.DatabaseError` when the database
    refuses the transaction (a unique constraint, a lock it could not get in time).
    Objects loaded in the block stay readable after it: the session is closed, not
    expired.

    ``patient_id`` scopes it to one patient's clinical rows (see
    :mod:`nerveglide.store.scoping`), ``patient_ids`` to reading several patients' (a
    clinician's dashboard), ``clinician_id`` to reading all of a clinician's patients';
    ``system=True`` sees every patient's (account deletion, maintenance); with none,
    touching a clinical table raises. Open scoped units of work through
    :mod:`nerveglide.services.access`, which checks who may.
    ``audit`` names who acts, for the audit log of changes.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        patient_id: int | None = None,
        patient_ids: Collection[int] | None = None,
        clinician_id: int | None = None,
        system: bool = False,
        audit: AuditContext | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.patient_id = patient_id
        self.patient_ids = None if patient_ids is None else frozenset(patient_ids)
        self.clinician_id = clinician_id
        self._system = system
        self._audit = audit

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        self._session = self._session_factory()
        if self.patient_id is not None:
            scope_to_patient(self._session, self.patient_id)
        elif self.patient_ids is not None:
            scope_to_patients(self._session, self.patient_ids)
        elif self.clinician_id is not None:
            scope_to_clinician(self._session, self.clinician_id)
        elif self._system:
            scope_to_system(self._session)
        if self._audit is not None:
            set_audit_context(self._session, self._audit)
        self.accounts = AccountRepository(self._session)
        self.clinic = ClinicRepository(self._session)
        self.audit = AuditRepository(self._session)
        self.content_releases = ContentReleaseRepository(self._session)
        self.programs = ProgramRepository(self._session)
        self.sessions = SessionRepository(self._session)
        self.safety = SafetyRepository(self._session)
        self.diary = DiaryRepository(self._session)
        self.followup = FollowUpRepository(self._session)
        self.questionnaires = QuestionnaireRepository(self._session)
        self.reminders = ReminderRepository(self._session)
        self.live = LiveRepository(self._session)
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        # close() rolls back whatever was not committed, and detaches loaded objects
        # without expiring them (rollback() would expire them).
        session.close()

    def commit(self) -> None:
        with database_errors():
            self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        with database_errors():
            self.session.flush()
