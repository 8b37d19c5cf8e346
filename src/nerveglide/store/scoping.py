"""Row ownership, enforced under every query: a session scoped to one patient reads,
updates and deletes only that patient's clinical rows, and stamps new ones with the
patient's id.

A SQLAlchemy session carries its scope in ``session.info``:

- :func:`scope_to_patient` (``patient_id``): every ORM statement that touches a
  :class:`~nerveglide.store.models.owned.PatientOwned` table gets
  ``WHERE patient_id = :patient_id`` (``with_loader_criteria``, also on joins, relationship
  loads and ORM updates/deletes). Another patient's row is simply not there.
- :func:`scope_to_patients` (a set of patient ids): reads the rows of those patients
  (``WHERE patient_id IN (...)``) and writes none: a clinician's dashboard, which reads
  all their patients at once.
- :func:`scope_to_clinician` (a clinician's account id): reads the rows of that
  clinician's patients (``WHERE patient_id IN (SELECT id FROM account WHERE
  clinician_id = :id AND role = 'patient')``, one parameter however many patients they
  have) and writes none: the dashboard's ordering over all of them.
- :func:`scope_to_system`: no filter; for work that is not about one patient (account
  deletion, the migration of a pre-accounts installation).
- no scope at all: touching a clinical table raises :class:`UnscopedClinicalAccess`, so a
  code path that forgot to say whose data it reads fails loudly instead of reading
  everyone's.

Who may open a scope for which patient is decided in one place:
:mod:`nerveglide.services.access`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import FromClause, event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors

from nerveglide.store.base import Base
from nerveglide.store.models.account import AccountRow
from nerveglide.store.models.owned import PatientOwned

__all__ = [
    "ClinicianScope",
    "UnscopedClinicalAccess",
    "scope_of",
    "scope_to_clinician",
    "scope_to_patient",
    "scope_to_patients",
    "scope_to_system",
]

_KEY = "nerveglide.patient_scope"
_SYSTEM = "system"


class UnscopedClinicalAccess(RuntimeError):
    """A clinical table was queried in a session with no patient scope."""


def scope_to_patient(session: Session, patient_id: int) -> None:
    session.info[_KEY] = int(patient_id)


def scope_to_patients(session: Session, patient_ids: Collection[int]) -> None:
    session.info[_KEY] = frozenset(int(i) for i in patient_ids)


@dataclass(frozen=True)
class ClinicianScope:
    """The patients whose clinician is ``clinician_id`` (read-only)."""

    clinician_id: int


def scope_to_clinician(session: Session, clinician_id: int) -> None:
    session.info[_KEY] = ClinicianScope(int(clinician_id))


def scope_to_system(session: Session) -> None:
    session.info[_KEY] = _SYSTEM


Scope = int | str | frozenset[int] | ClinicianScope | None


def is_system(scope: Scope) -> bool:
    return scope == _SYSTEM


def scope_of(session: Session) -> Scope:
    """The patient id, a set of them or a clinician's (read-only), ``"system"``, or
    None."""
    value: Scope = session.info.get(_KEY)
    return value


_owned: tuple[int, frozenset[FromClause]] = (0, frozenset())


def _owned_tables() -> frozenset[FromClause]:
    """The tables of every mapped :class:`PatientOwned` class (worked out again when
    more classes have been mapped since)."""
    global _owned
    mappers = Base.registry.mappers
    if _owned[0] != len(mappers):
        tables = frozenset(
            table
            for mapper in mappers
            if issubclass(mapper.class_, PatientOwned)
            for table in mapper.tables
        )
        _owned = (len(mappers), tables)
    return _owned[1]


def _touches_owned(state: ORMExecuteState) -> bool:
    """Whether the statement reads or writes a clinical table anywhere: among its
    entities, or only inside a subquery (a select from a subquery names no entity of its
    own, so its tables are looked for in the whole statement)."""
    if any(issubclass(mapper.class_, PatientOwned) for mapper in state.all_mappers):
        return True
    statement = state.statement
    if not isinstance(statement, visitors.ExternallyTraversible):  # pragma: no cover
        return False
    owned = _owned_tables()
    return any(element in owned for element in visitors.iterate(statement))


@event.listens_for(Session, "do_orm_execute")
def _filter_by_patient(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent row was loaded under the filter already
    if not _touches_owned(state):
        return
    scope = scope_of(state.session)
    if scope == _SYSTEM:
        return
    if scope is None:
        raise UnscopedClinicalAccess(
            "a clinical table was queried without a patient scope; open the unit of work "
            "through nerveglide.services.access"
        )
    if isinstance(scope, ClinicianScope):
        if not state.is_select:
            raise UnscopedClinicalAccess("a scope of several patients only reads")
        clinician_id = scope.clinician_id
        state.statement = state.statement.options(
            with_loader_criteria(
                PatientOwned,
                lambda cls: cls.patient_id.in_(
                    select(AccountRow.id).where(
                        AccountRow.clinician_id == clinician_id, AccountRow.role == "patient"
                    )
                ),
                include_aliases=True,
            )
        )
        return
    if isinstance(scope, frozenset):
        if not state.is_select:
            raise UnscopedClinicalAccess("a scope of several patients only reads")
        ids = sorted(scope)
        state.statement = state.statement.options(
            with_loader_criteria(
                PatientOwned, lambda cls: cls.patient_id.in_(ids), include_aliases=True
            )
        )
        return
    patient_id = int(scope)
    state.statement = state.statement.options(
        with_loader_criteria(
            PatientOwned,
            lambda cls: cls.patient_id == patient_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, flush_context: Any, instances: Any) -> None:
    scope = scope_of(session)
    for obj in session.new:
        if not isinstance(obj, PatientOwned):
            continue
        if isinstance(scope, int):
            if obj.patient_id is None:
                obj.patient_id = scope
            elif obj.patient_id != scope:
                raise UnscopedClinicalAccess("a row for another patient was added")
        elif scope is None:
            raise UnscopedClinicalAccess("a clinical row was added without a patient scope")
        elif isinstance(scope, frozenset | ClinicianScope):
            raise UnscopedClinicalAccess("a scope of several patients only reads")
    if isinstance(scope, frozenset | ClinicianScope) and any(
        isinstance(obj, PatientOwned) for obj in (*session.dirty, *session.deleted)
    ):
        raise UnscopedClinicalAccess("a scope of several patients only reads")
    if isinstance(scope, int):
        for obj in session.dirty:
            if isinstance(obj, PatientOwned) and obj.patient_id != scope:
                raise UnscopedClinicalAccess("a row was moved to another patient")
