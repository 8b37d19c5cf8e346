"""``reminder_setting`` (the person's reminder times and email address),
``calendar_feed`` (private calendar-feed tokens, stored as hashes) and ``reminder`` (each
email reminder due, claimed by one worker at a time, then sent or skipped).

Each row belongs to one patient account (``patient_id``, see ``store/models/owned.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = ["CalendarFeedRow", "ReminderRow", "ReminderSettingRow"]


class ReminderSettingRow(PatientOwned, Base):
    """The person's reminder settings; the newest row is in force (history kept)."""

    __tablename__ = "reminder_setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Local times of day ("08:00"), sorted, in the person's time zone.
    times: Mapped[list[str]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarFeedRow(PatientOwned, Base):
    """A private calendar-feed URL: only the SHA-256 of its token is kept."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the token's last characters, to tell feeds apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderRow(PatientOwned, Base):
    """One email reminder for one time. ``claimed_by``/``claimed_at`` say which worker
    holds it (a lease: an old claim may be taken over); ``sent_at`` or ``skipped`` end it."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("patient_id", "channel", "due_at", name="uq_reminder_patient_due_at"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # "email"
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why it was not sent: "safety-block", "done" (the sessions were done), "late",
    #: "cancelled" (the times or the address changed), "failed" (the mail server refused
    #: it too often).
    skipped: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
