"""Queries on accounts, login sessions, login attempts and single-use tokens."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from nerveglide.store.models.account import (
    AccountRow,
    AccountTokenRow,
    AuthSessionRow,
    LoginAttemptRow,
)

__all__ = ["AccountRepository", "PatientName"]


class PatientName(NamedTuple):
    """A patient's id, name and email, without the rest of the account: enough to filter
    and order a long list of patients (a clinician's thousand), then load the few shown."""

    id: int
    display_name: str
    email: str


def _same_address(address: str | None) -> ColumnElement[bool]:
    if address is None:
        return LoginAttemptRow.address.is_(None)
    return LoginAttemptRow.address == address


class AccountRepository:
    """Reads and writes account records in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- accounts ---------------------------------------------------------------------

    def get(self, account_id: int) -> AccountRow | None:
        return self.session.get(AccountRow, account_id)

    def by_email(self, email: str) -> AccountRow | None:
        statement = select(AccountRow).where(AccountRow.email == email)
        return self.session.scalars(statement).one_or_none()

    def add(self, row: AccountRow | AccountTokenRow | AuthSessionRow | LoginAttemptRow) -> None:
        self.session.add(row)

    def delete(self, row: AccountRow) -> None:
        self.session.delete(row)

    def count(self, role: str | None = None) -> int:
        statement = select(func.count()).select_from(AccountRow)
        if role is not None:
            statement = statement.where(AccountRow.role == role)
        return int(self.session.scalar(statement) or 0)

    def all(self, role: str | None = None) -> list[AccountRow]:
        statement = select(AccountRow).order_by(AccountRow.id)
        if role is not None:
            statement = statement.where(AccountRow.role == role)
        return list(self.session.scalars(statement))

    def patients_of(
        self, clinician_id: int, ids: Collection[int] | None = None
    ) -> list[AccountRow]:
        """The clinician's patients by name (only those of ``ids``, if given)."""
        statement = (
            select(AccountRow)
            .where(AccountRow.role == "patient", AccountRow.clinician_id == clinician_id)
            .order_by(AccountRow.display_name, AccountRow.id)
        )
        if ids is not None:
            statement = statement.where(AccountRow.id.in_(sorted(set(ids))))
        return list(self.session.scalars(statement))

    def patient_names_of(self, clinician_id: int) -> list[PatientName]:
        """:meth:`patients_of`'s ids, names and emails only (no account objects)."""
        a = AccountRow
        statement = (
            select(a.id, a.display_name, a.email)
            .where(a.role == "patient", a.clinician_id == clinician_id)
            .order_by(a.display_name, a.id)
        )
        return [
            PatientName(int(i), name, email) for i, name, email in self.session.execute(statement)
        ]

    def unclaimed_owner(self) -> AccountRow | None:
        statement = select(AccountRow).where(AccountRow.unclaimed.is_(True)).limit(1)
        return self.session.scalars(statement).first()

    # --- login sessions ---------------------------------------------------------------

    def auth_session_with_account(
        self, id_hash: str
    ) -> tuple[AuthSessionRow, AccountRow | None] | None:
        """A login session and its account, in one query (every request asks for both)."""
        statement = (
            select(AuthSessionRow, AccountRow)
            .outerjoin(AccountRow, AccountRow.id == AuthSessionRow.account_id)
            .where(AuthSessionRow.id_hash == id_hash)
        )
        found = self.session.execute(statement).one_or_none()
        return None if found is None else (found[0], found[1])

    def end_session(self, id_hash: str) -> None:
        self.session.execute(delete(AuthSessionRow).where(AuthSessionRow.id_hash == id_hash))

    def end_sessions_of(self, account_id: int) -> None:
        self.session.execute(delete(AuthSessionRow).where(AuthSessionRow.account_id == account_id))

    def sessions_of(self, account_id: int) -> list[AuthSessionRow]:
        statement = select(AuthSessionRow).where(AuthSessionRow.account_id == account_id)
        return list(self.session.scalars(statement))

    # --- login attempts ---------------------------------------------------------------

    def failures_since(
        self, since: datetime, *, email: str | None = None, address: str | None = None
    ) -> int:
        statement = (
            select(func.count())
            .select_from(LoginAttemptRow)
            .where(LoginAttemptRow.attempted_at >= since, LoginAttemptRow.succeeded.is_(False))
        )
        if email is not None:
            statement = statement.where(LoginAttemptRow.email == email)
        if address is not None:
            statement = statement.where(LoginAttemptRow.address == address)
        return int(self.session.scalar(statement) or 0)

    def last_success(self, email: str, address: str | None) -> datetime | None:
        """When this account last logged in from this address (None: never)."""
        statement = select(func.max(LoginAttemptRow.attempted_at)).where(
            LoginAttemptRow.email == email,
            _same_address(address),
            LoginAttemptRow.succeeded.is_(True),
        )
        return self.session.scalar(statement)

    def pair_failures(
        self, email: str, address: str | None, since: datetime
    ) -> tuple[int, datetime | None]:
        """Failed logins of this account from this address after ``since``: how many, and
        the newest."""
        statement = select(func.count(), func.max(LoginAttemptRow.attempted_at)).where(
            LoginAttemptRow.email == email,
            _same_address(address),
            LoginAttemptRow.succeeded.is_(False),
            LoginAttemptRow.attempted_at > since,
        )
        count, newest = self.session.execute(statement).one()
        return int(count or 0), newest

    def unfamiliar_failures(self, email: str, since: datetime) -> tuple[int, datetime | None]:
        """Failed logins of this account since ``since`` from addresses that never logged
        in to it: how many, and the oldest."""
        familiar = select(LoginAttemptRow.address).where(
            LoginAttemptRow.email == email,
            LoginAttemptRow.succeeded.is_(True),
            LoginAttemptRow.address.is_not(None),
        )
        statement = select(func.count(), func.min(LoginAttemptRow.attempted_at)).where(
            LoginAttemptRow.email == email,
            LoginAttemptRow.succeeded.is_(False),
            LoginAttemptRow.attempted_at >= since,
            or_(LoginAttemptRow.address.is_(None), LoginAttemptRow.address.not_in(familiar)),
        )
        count, oldest = self.session.execute(statement).one()
        return int(count or 0), oldest

    def address_failures(self, address: str | None, since: datetime) -> tuple[int, datetime | None]:
        """Failed logins from this address on any account since ``since``: how many, and
        the oldest."""
        statement = select(func.count(), func.min(LoginAttemptRow.attempted_at)).where(
            _same_address(address),
            LoginAttemptRow.succeeded.is_(False),
            LoginAttemptRow.attempted_at >= since,
        )
        count, oldest = self.session.execute(statement).one()
        return int(count or 0), oldest

    def forget_attempts_before(self, before: datetime) -> None:
        self.session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.attempted_at < before))

    # --- tokens -----------------------------------------------------------------------

    def token(self, token_hash: str, purpose: str) -> AccountTokenRow | None:
        statement = select(AccountTokenRow).where(
            AccountTokenRow.token_hash == token_hash, AccountTokenRow.purpose == purpose
        )
        return self.session.scalars(statement).one_or_none()
