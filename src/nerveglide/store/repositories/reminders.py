"""Queries on ``reminder_setting``, ``calendar_feed`` and ``reminder``.

Claiming a reminder is one conditional ``UPDATE`` (the row is still unsent, unskipped, and
unclaimed or its claim has expired), committed by the caller at once: on PostgreSQL the
row lock makes a second worker's ``UPDATE`` wait, then find the condition false; on
SQLite the write lock makes the statements run one after the other. Either way exactly
one worker sees one row changed. New reminders go in with ``INSERT ... ON CONFLICT DO
NOTHING`` on (channel, due_at), so workers planning the same time make one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nerveglide.store.models.reminders import CalendarFeedRow, ReminderRow, ReminderSettingRow
from nerveglide.store.scoping import UnscopedClinicalAccess, scope_of

__all__ = ["ReminderRepository"]


class ReminderRepository:
    """Reads and writes reminder records in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- settings -----------------------------------------------------------------------

    def add(self, row: ReminderSettingRow | CalendarFeedRow | ReminderRow) -> None:
        self.session.add(row)

    def current_setting(self) -> ReminderSettingRow | None:
        statement = select(ReminderSettingRow).order_by(ReminderSettingRow.id.desc()).limit(1)
        return self.session.scalars(statement).first()

    # -- calendar feeds -----------------------------------------------------------------

    def feeds(self) -> list[CalendarFeedRow]:
        statement = select(CalendarFeedRow).order_by(CalendarFeedRow.id)
        return list(self.session.scalars(statement))

    def feed(self, feed_id: int) -> CalendarFeedRow | None:
        return self.session.get(CalendarFeedRow, feed_id)

    def active_feed_by_hash(self, token_sha256: str) -> CalendarFeedRow | None:
        statement = select(CalendarFeedRow).where(
            CalendarFeedRow.token_sha256 == token_sha256, CalendarFeedRow.revoked_at.is_(None)
        )
        return self.session.scalars(statement).first()

    # -- email reminders ----------------------------------------------------------------

    def insert_due(self, channel: str, due_at: datetime, recipient: str, now: datetime) -> None:
        """Add the reminder for ``due_at`` unless one exists (another worker may race);
        for the patient this session is scoped to (a Core insert is not stamped)."""
        patient_id = scope_of(self.session)
        if not isinstance(patient_id, int):
            raise UnscopedClinicalAccess("a reminder is planned for one patient at a time")
        values = {
            "patient_id": patient_id,
            "channel": channel,
            "due_at": due_at,
            "recipient": recipient,
            "created_at": now,
            "attempts": 0,
        }
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(ReminderRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["patient_id", "channel", "due_at"])
        )
        self.session.execute(statement)

    def claimable(self, now: datetime, expired_before: datetime, limit: int) -> list[int]:
        """Ids of reminders due by ``now`` that nobody holds (or whose claim is older than
        ``expired_before``), oldest first."""
        statement = (
            select(ReminderRow.id)
            .where(
                ReminderRow.due_at <= now,
                ReminderRow.sent_at.is_(None),
                ReminderRow.skipped.is_(None),
                or_(ReminderRow.claimed_at.is_(None), ReminderRow.claimed_at < expired_before),
            )
            .order_by(ReminderRow.due_at)
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def claim(self, reminder_id: int, worker: str, now: datetime, expired_before: datetime) -> bool:
        """Take reminder ``reminder_id`` for ``worker``; False when another worker has it
        or it is done. The caller commits straight away."""
        statement = (
            update(ReminderRow)
            .where(
                ReminderRow.id == reminder_id,
                ReminderRow.sent_at.is_(None),
                ReminderRow.skipped.is_(None),
                or_(ReminderRow.claimed_at.is_(None), ReminderRow.claimed_at < expired_before),
            )
            .values(claimed_at=now, claimed_by=worker, attempts=ReminderRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        result = self.session.execute(statement)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    def get(self, reminder_id: int) -> ReminderRow | None:
        return self.session.get(ReminderRow, reminder_id)

    def finish(
        self,
        reminder_id: int,
        worker: str,
        *,
        sent_at: datetime | None = None,
        skipped: str | None = None,
        error: str | None = None,
        release: bool = False,
    ) -> bool:
        """Mark a reminder ``worker`` holds as sent or skipped, or release it for another
        try (``release``); False when the claim was lost to another worker meanwhile."""
        values: dict[str, object] = {"last_error": error}
        if release:
            values |= {"claimed_at": None, "claimed_by": None}
        else:
            values |= {"sent_at": sent_at, "skipped": skipped}
        statement = (
            update(ReminderRow)
            .where(ReminderRow.id == reminder_id, ReminderRow.claimed_by == worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        result = self.session.execute(statement)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    def between(self, start: datetime, end: datetime) -> list[ReminderRow]:
        statement = (
            select(ReminderRow)
            .where(ReminderRow.due_at >= start, ReminderRow.due_at < end)
            .order_by(ReminderRow.due_at)
        )
        return list(self.session.scalars(statement))
