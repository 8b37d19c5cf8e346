"""Accounts and what hangs off them: login sessions, login attempts (for throttling),
single-use tokens (invitations, password resets), the audit log, clinician notes and
alerts.

Tokens and session ids are stored as SHA-256 hashes only: the database never holds a
value that would let someone log in or reset a password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = [
    "AccountRow",
    "AccountTokenRow",
    "AlertRow",
    "AuditEventRow",
    "AuthSessionRow",
    "ClinicianNoteRow",
    "LoginAttemptRow",
]


class AccountRow(Base):
    """A person who can log in: a patient, a clinician or an admin."""

    __tablename__ = "account"
    __table_args__ = (CheckConstraint("role IN ('patient', 'clinician', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(120))
    #: Argon2id hash; NULL for an account that cannot log in yet (the pre-accounts owner).
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: The assigned clinician, for a patient; NULL for a self-guided patient.
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    #: The admin may read this patient's clinical data (granted by the patient).
    admin_access_granted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: True for the account the 0008 migration made to own a pre-accounts installation's
    #: data; the first patient to register takes it over.
    unclaimed: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthSessionRow(Base):
    """A logged-in browser: the hash of the cookie's random id, and its CSRF token."""

    __tablename__ = "auth_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str | None] = mapped_column(String(64))


class LoginAttemptRow(Base):
    """One login attempt, kept for throttling per account and per address."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class AccountTokenRow(Base):
    """A single-use, expiring token: an invitation to register, a password reset, or a
    self-registration waiting for its emailed link."""

    __tablename__ = "account_token"
    __table_args__ = (
        CheckConstraint("purpose IN ('invite', 'reset', 'register')", name="purpose"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254))
    #: reset: the account; invite: NULL.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    #: invite: the clinician who invited.
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: register: the name and the Argon2id hash of the password chosen on the form.
    display_name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(200))


class AuditEventRow(Base):
    """One entry of the append-only audit log (database triggers refuse UPDATE and DELETE).

    ``actor_id`` and ``patient_id`` are plain numbers, not foreign keys: the entries stay
    when an account is deleted.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ClinicianNoteRow(PatientOwned, Base):
    """A clinician's note about a patient."""

    __tablename__ = "clinician_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)


class AlertRow(PatientOwned, Base):
    """Something the patient's clinician should see: a safety verdict above "ok"."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )
