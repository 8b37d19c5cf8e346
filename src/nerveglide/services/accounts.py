"""Accounts: creating them (admin, clinicians, invited or self-registered patients),
logging in and out with server-side sessions, throttling, password resets, disabling
and deleting.

Session ids, invitation and reset tokens are random (256 bits); only their SHA-256
hashes are stored. Every login, failed login and account change is audited.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from nerveglide.config import Settings
from nerveglide.domain.accounts import Actor, Role
from nerveglide.domain.throttle import LoginHistory, ThrottlePolicy, wait_before_login
from nerveglide.errors import (
    DatabaseNotWritable,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    Throttled,
)
from nerveglide.security.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from nerveglide.security.tokens import new_token, token_hash
from nerveglide.services import audit
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import (
    AccountRow,
    AccountTokenRow,
    AuthSessionRow,
    LoginAttemptRow,
)

__all__ = [
    "LoggedIn",
    "authenticate",
    "confirm_registration",
    "create_account",
    "create_clinician",
    "delete_account",
    "disable_account",
    "end_session",
    "invite_patient",
    "login",
    "normalize_email",
    "register_patient",
    "request_password_reset",
    "request_registration",
    "reset_password",
    "resolve_session",
    "start_session",
]


@dataclass(frozen=True)
class LoggedIn:
    """A live login session: the account, and the session's CSRF token."""

    account_id: int
    role: Role
    email: str
    display_name: str
    csrf_token: str
    session_hash: str

    def actor(self, address: str | None) -> Actor:
        return Actor(self.account_id, self.role, address=address, email=self.email)


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or len(value) > 254 or " " in value:
        raise InvalidInput(f"email: {email!r} is not an email address")
    return value


def _name(display_name: str, email: str) -> str:
    name = display_name.strip()
    if len(name) > 120:
        raise InvalidInput("name: use at most 120 characters")
    return name or email.split("@")[0]


def create_account(
    session_factory: SessionFactory,
    *,
    email: str,
    role: Role,
    now: datetime,
    password: str | None = None,
    display_name: str = "",
    clinician_id: int | None = None,
    actor: Actor | None = None,
) -> AccountRow:
    """A new account; ``password`` None makes one that logs in only after a reset."""
    email = normalize_email(email)
    if password is not None:
        check_password_policy(password)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        if uow.accounts.by_email(email) is not None:
            raise InvalidInput(f"email: there is already an account for {email}")
        row = AccountRow(
            email=email,
            role=role,
            display_name=_name(display_name, email),
            password_hash=hash_password(password) if password is not None else None,
            clinician_id=clinician_id,
            admin_access_granted=False,
            created_at=now,
            unclaimed=False,
        )
        uow.accounts.add(row)
        uow.commit()
    audit.record(session_factory, actor, "create", "account", row.id, detail={"role": role})
    return row


def create_clinician(
    session_factory: SessionFactory,
    settings: Settings,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    now: datetime,
) -> tuple[AccountRow, str]:
    """An admin creates a clinician; returns the account and a set-your-password token."""
    if actor.role not in ("admin", "system"):
        raise NotPermitted("Only an admin creates clinician accounts.")
    row = create_account(
        session_factory,
        email=email,
        role="clinician",
        now=now,
        display_name=display_name,
        actor=actor,
    )
    token = _new_reset_token(
        session_factory, row, now, timedelta(hours=settings.invite_valid_hours)
    )
    return row, token


def invite_patient(
    session_factory: SessionFactory, settings: Settings, actor: Actor, *, email: str, now: datetime
) -> str:
    """A clinician invites a patient: a single-use, expiring registration token."""
    if actor.role != "clinician" or actor.account_id is None:
        raise NotPermitted("Only a clinician invites patients.")
    email = normalize_email(email)
    token = new_token()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        if uow.accounts.by_email(email) is not None:
            raise InvalidInput(f"email: there is already an account for {email}")
        uow.accounts.add(
            AccountTokenRow(
                token_hash=token_hash(token),
                purpose="invite",
                email=email,
                clinician_id=actor.account_id,
                created_at=now,
                expires_at=now + timedelta(hours=settings.invite_valid_hours),
            )
        )
        uow.commit()
    audit.record(session_factory, actor, "invite", "account", detail={"email": email})
    return token


def _take_or_make_patient(
    uow: SqlAlchemyUnitOfWork,
    *,
    email: str,
    display_name: str,
    password_hash: str,
    clinician_id: int | None,
    now: datetime,
) -> AccountRow:
    if uow.accounts.by_email(email) is not None:
        raise InvalidInput(f"email: there is already an account for {email}")
    # The first patient on a database from before accounts takes over its data.
    row = uow.accounts.unclaimed_owner()
    if row is None:
        row = AccountRow(role="patient", admin_access_granted=False, created_at=now)
        uow.accounts.add(row)
    row.email = email
    row.display_name = _name(display_name, email)
    row.password_hash = password_hash
    row.clinician_id = clinician_id
    row.unclaimed = False
    return row


def _audit_registered(
    session_factory: SessionFactory, row: AccountRow, address: str | None, invited: bool
) -> None:
    audit.record(
        session_factory, Actor(row.id, "patient", address=address), "register", "account",
        row.id, patient_id=row.id, detail={"invited": invited},
    )  # fmt: skip


def register_patient(
    session_factory: SessionFactory,
    *,
    email: str,
    password: str,
    display_name: str,
    now: datetime,
    invite_token: str,
    address: str | None = None,
) -> AccountRow:
    """An invited patient registers, with the clinician who invited them. The invitation
    went to this address (the token is the proof), so the account is made at once.

    The first patient to register on a database from before accounts takes over the
    account the 0008 migration made for that data.
    """
    email = normalize_email(email)
    check_password_policy(password)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        invite = uow.accounts.token(token_hash(invite_token), "invite")
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            raise InvalidInput("invitation: this link is not valid (used or expired)")
        if invite.email != email:
            raise InvalidInput("email: use the address the invitation was sent to")
        invite.used_at = now
        row = _take_or_make_patient(
            uow, email=email, display_name=display_name, password_hash=hash_password(password),
            clinician_id=invite.clinician_id, now=now,
        )  # fmt: skip
        uow.commit()
    _audit_registered(session_factory, row, address, invited=True)
    return row


def request_registration(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    email: str,
    password: str,
    display_name: str,
    now: datetime,
    address: str | None = None,
) -> str | None:
    """Someone registers without an invitation: a token for the link that confirms the
    address (the account is made when it is opened, :func:`confirm_registration`), or
    None when the address already has an account (its owner gets an email instead).

    The caller answers the same either way ("check your inbox"), and both ways do the
    same work (the password is hashed, a row is read), so neither the answer nor its
    time tells anyone whether an address has an account."""
    email = normalize_email(email)
    check_password_policy(password)
    name = _name(display_name, email)
    hashed = hash_password(password)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        exists = uow.accounts.by_email(email) is not None
        token = None if exists else new_token()
        if token is not None:
            uow.accounts.add(
                AccountTokenRow(
                    token_hash=token_hash(token),
                    purpose="register",
                    email=email,
                    display_name=name,
                    password_hash=hashed,
                    created_at=now,
                    expires_at=now + timedelta(hours=settings.register_valid_hours),
                )
            )
            uow.commit()
    audit.record(
        session_factory, None, "register_request", "account", address=address,
        outcome="exists" if exists else "ok",
    )  # fmt: skip
    return token


def confirm_registration(
    session_factory: SessionFactory, *, token: str, now: datetime, address: str | None = None
) -> AccountRow:
    """Open a registration's emailed link: the self-guided patient's account is made."""
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        pending = uow.accounts.token(token_hash(token), "register")
        if (
            pending is None
            or pending.used_at is not None
            or pending.expires_at <= now
            or pending.password_hash is None
        ):
            raise InvalidInput("registration: this link is not valid (used or expired)")
        pending.used_at = now
        try:
            row = _take_or_make_patient(
                uow, email=pending.email, display_name=pending.display_name or "",
                password_hash=pending.password_hash, clinician_id=None, now=now,
            )  # fmt: skip
        except InvalidInput:  # registered some other way since
            raise InvalidInput(
                "registration: this address has an account already: log in instead"
            ) from None
        uow.commit()
    _audit_registered(session_factory, row, address, invited=False)
    return row


# --- logging in ---------------------------------------------------------------------------


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        free_failures=settings.login_free_failures,
        first_delay_s=settings.login_first_delay_seconds,
        max_delay_s=settings.login_max_delay_minutes * 60,
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window_s=settings.login_window_minutes * 60,
    )


def login_history(
    uow: SqlAlchemyUnitOfWork, settings: Settings, email: str, address: str | None, now: datetime
) -> LoginHistory:
    """What the stored attempts say about ``email`` from ``address`` (domain.throttle)."""
    accounts = uow.accounts
    window = now - timedelta(minutes=settings.login_window_minutes)
    memory = now - timedelta(hours=settings.login_failure_memory_hours)
    last_success = accounts.last_success(email, address)
    since = memory if last_success is None else max(memory, last_success)
    pair, last_pair = accounts.pair_failures(email, address, since)
    unfamiliar, oldest_unfamiliar = accounts.unfamiliar_failures(email, window)
    from_address, oldest_from_address = accounts.address_failures(address, window)
    return LoginHistory(
        pair_failures=pair,
        last_pair_failure=last_pair,
        familiar=last_success is not None,
        unfamiliar_failures=unfamiliar,
        oldest_unfamiliar_failure=oldest_unfamiliar,
        address_failures=from_address,
        oldest_address_failure=oldest_from_address,
    )


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def authenticate(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str | None,
    now: datetime,
) -> AccountRow:
    """The account if the password is right; each checked attempt is stored (for the
    throttling, shared by every app instance) and audited.

    A try that must wait (:mod:`nerveglide.domain.throttle`) raises
    :class:`~nerveglide.errors.Throttled` before the password is even checked, and is
    not counted as a failure: waiting tries never make the wait longer, and another
    address (the owner's) is not held up by them."""
    email = email.strip().lower()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        wait = wait_before_login(
            login_history(uow, settings, email, address, now), throttle_policy(settings), now
        )
        account = uow.accounts.by_email(email)
        ok = False
        if wait <= 0:
            ok = (
                verify_password(account.password_hash if account else None, password)
                and account is not None
                and account.disabled_at is None
            )
            uow.accounts.add(
                LoginAttemptRow(email=email, address=address, attempted_at=now, succeeded=ok)
            )
            if (
                ok
                and account is not None
                and account.password_hash
                and needs_rehash(account.password_hash)
            ):
                account.password_hash = hash_password(password)
            uow.commit()
    actor = Actor(account.id if account else None, account.role if account else "patient")  # type: ignore[arg-type]
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        audit.record(
            session_factory, actor, "login", "account", account.id if account else None,
            outcome="throttled", address=address,
            detail={"email": email, "retry_after_s": seconds},
        )  # fmt: skip
        raise Throttled(
            "Too many failed logins from here: please wait "
            f"{_wait_text(seconds)} and try again, or reset your password.",
            retry_after_s=seconds,
        )
    if not ok or account is None:
        audit.record(
            session_factory, actor if account else None, "login", "account",
            account.id if account else None, outcome="failed", address=address,
            detail={"email": email},
        )  # fmt: skip
        raise NotAuthenticated("The email or password is not right.")
    return account


def login(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str | None,
    now: datetime,
    previous_session: str | None = None,
) -> tuple[str, LoggedIn]:
    """Check the password and start a new session (a new id: no fixation); returns the
    cookie value and the session. A session the browser had before is ended."""
    account = authenticate(
        session_factory, settings, email=email, password=password, address=address, now=now
    )
    return start_session(
        session_factory, account, address=address, now=now, previous_session=previous_session
    )


def start_session(
    session_factory: SessionFactory,
    account: AccountRow,
    *,
    address: str | None,
    now: datetime,
    previous_session: str | None = None,
) -> tuple[str, LoggedIn]:
    """A new login session for an account whose owner has just proved who they are (a
    password, or a registration's emailed link): a new random id, the old one ended."""
    cookie = new_token()
    csrf = new_token()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        if previous_session:
            uow.accounts.end_session(token_hash(previous_session))
        uow.accounts.add(
            AuthSessionRow(
                id_hash=token_hash(cookie),
                account_id=account.id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                address=address,
            )
        )
        uow.commit()
    audit.record(
        session_factory,
        Actor(account.id, account.role, address=address),  # type: ignore[arg-type]
        "login",
        "account",
        account.id,
    )
    return cookie, LoggedIn(
        account.id,
        account.role,  # type: ignore[arg-type]
        account.email,
        account.display_name,
        csrf,
        token_hash(cookie),
    )


def resolve_session(
    session_factory: SessionFactory, settings: Settings, cookie: str | None, now: datetime
) -> LoggedIn | None:
    """The live session behind a cookie, or None (unknown, idle too long, too old, or its
    account disabled); an expired one is deleted."""
    if not cookie:
        return None
    id_hash = token_hash(cookie)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        found = uow.accounts.auth_session_with_account(id_hash)
        if found is None:
            return None
        row, account = found
        expired = (
            account is None
            or account.disabled_at is not None
            or now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
            or now - row.created_at > timedelta(hours=settings.session_absolute_hours)
        )
        if expired or account is None:
            uow.accounts.end_session(id_hash)
            uow.commit()
            return None
        login = LoggedIn(
            account.id,
            account.role,  # type: ignore[arg-type]
            account.email,
            account.display_name,
            row.csrf_token,
            id_hash,
        )
        if now - row.last_seen_at > timedelta(seconds=30):
            row.last_seen_at = now
            # A full or read-only disk must not log anyone out: reads still work.
            with contextlib.suppress(DatabaseNotWritable):
                uow.commit()
        return login


def end_session(session_factory: SessionFactory, logged_in: LoggedIn, address: str | None) -> None:
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.accounts.end_session(logged_in.session_hash)
        uow.commit()
    audit.record(
        session_factory, logged_in.actor(address), "logout", "account", logged_in.account_id
    )


# --- password resets ----------------------------------------------------------------------


def _new_reset_token(
    session_factory: SessionFactory, account: AccountRow, now: datetime, valid: timedelta
) -> str:
    token = new_token()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        uow.accounts.add(
            AccountTokenRow(
                token_hash=token_hash(token),
                purpose="reset",
                email=account.email,
                account_id=account.id,
                created_at=now,
                expires_at=now + valid,
            )
        )
        uow.commit()
    return token


def request_password_reset(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    email: str,
    now: datetime,
    address: str | None,
) -> str | None:
    """A reset token for the account with this email (None if there is none: the caller
    answers the same either way, so the form tells nobody who has an account)."""
    email = email.strip().lower()
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        account = uow.accounts.by_email(email)
    audit.record(
        session_factory, None, "reset_request", "account", account.id if account else None,
        address=address, outcome="ok" if account else "unknown",
    )  # fmt: skip
    if account is None or account.disabled_at is not None:
        return None
    return _new_reset_token(
        session_factory, account, now, timedelta(minutes=settings.reset_valid_minutes)
    )


def reset_password(
    session_factory: SessionFactory,
    *,
    token: str,
    password: str,
    now: datetime,
    address: str | None,
) -> AccountRow:
    """Set a new password with a single-use token; every session of the account ends."""
    check_password_policy(password)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        row = uow.accounts.token(token_hash(token), "reset")
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidInput("reset: this link is not valid (used or expired); ask for a new one")
        account = uow.accounts.get(row.account_id) if row.account_id is not None else None
        if account is None:
            raise InvalidInput("reset: this link is not valid")
        row.used_at = now
        account.password_hash = hash_password(password)
        uow.accounts.end_sessions_of(account.id)
        uow.commit()
    audit.record(
        session_factory, Actor(account.id, account.role, address=address),  # type: ignore[arg-type]
        "reset_password", "account", account.id,
    )  # fmt: skip
    return account


# --- disabling and deleting -------------------------------------------------------------


def disable_account(
    session_factory: SessionFactory, actor: Actor, account_id: int, now: datetime
) -> AccountRow:
    """An admin disables an account: it can no longer log in, and its sessions end."""
    if actor.role not in ("admin", "system"):
        raise NotPermitted("Only an admin disables accounts.")
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound("There is no such account.")
        account.disabled_at = now
        uow.accounts.end_sessions_of(account_id)
        uow.commit()
    audit.record(session_factory, actor, "disable", "account", account_id)
    return account


def delete_account(session_factory: SessionFactory, actor: Actor, account_id: int) -> None:
    """A person deletes their own account: their clinical data goes with it (the database
    cascades), the audit log keeps its entries (they hold ids, not data)."""
    if actor.account_id != account_id and actor.role not in ("admin", "system"):
        raise NotFound("There is no such account.")
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound("There is no such account.")
        uow.accounts.delete(account)
        uow.commit()
    audit.record(session_factory, actor, "delete", "account", account_id, patient_id=account_id)


# --- the CLI's patient ----------------------------------------------------------------

LOCAL_OWNER_EMAIL = "owner@pre-accounts.invalid"


def cli_patient(session_factory: SessionFactory, email: str | None, now: datetime) -> AccountRow:
    """The patient a CLI command acts for: ``--patient EMAIL``, or the only patient.

    On an installation with no patient yet (one person using the terminal), an account
    is made to own their data, as the 0008 migration does for a pre-accounts database;
    the first person to register on the web takes it over.
    """
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        if email is not None:
            row = uow.accounts.by_email(email.strip().lower())
            if row is None or row.role != "patient":
                raise InvalidInput(f"--patient: there is no patient account {email!r}")
            return row
        patients = uow.accounts.all(role="patient")
        if len(patients) > 1:
            raise InvalidInput(
                "--patient: this installation has several patients; say which with --patient EMAIL"
            )
        if patients:
            return patients[0]
        row = AccountRow(
            email=LOCAL_OWNER_EMAIL,
            role="patient",
            display_name="The person using this installation",
            admin_access_granted=False,
            created_at=now,
            unclaimed=True,
        )
        uow.accounts.add(row)
        uow.commit()
        return row
