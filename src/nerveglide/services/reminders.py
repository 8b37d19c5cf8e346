"""Reminders: the person's reminder times and email address (settings), private calendar
feeds, the session-due status for the home page, and the email worker's pass.

No reminder is sent, shown or put in the feed while a safety verdict blocks sessions.

The worker's pass (:func:`worker_pass`) is safe to run in several processes at once:

1. each reminder time passed since the last ``grace`` minutes (and since the times were
   set) becomes a ``reminder`` row; a second worker's insert of the same time does nothing;
2. each row due is claimed with one conditional UPDATE, committed at once: one worker
   wins it. A claim is a lease: a worker that dies holding one is replaced once
   ``lease`` seconds have passed, so a crash loses no reminder;
3. the winner skips it (a safety block, the sessions already done, too late) or sends it,
   then marks it sent. A mail-server failure releases the claim for a later pass, up to
   :data:`MAX_ATTEMPTS` tries.

Every transaction that writes starts with its write, so SQLite never has to turn a read
transaction into a write one (which fails at once when another process wrote between).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nerveglide.config import Settings
from nerveglide.content.safety_rules import RuleSet
from nerveglide.domain.reminders import (
    ReminderError,
    SessionDue,
    check_email,
    day_bounds,
    occurrences,
    parse_times,
    session_due,
    slot_of,
)
from nerveglide.errors import InvalidInput, NotFound
from nerveglide.notify.calendar import reminder_calendar
from nerveglide.notify.mail import Mailer, MailError
from nerveglide.services.programs import current_program
from nerveglide.services.safety import current_verdict
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.reminders import CalendarFeedRow, ReminderSettingRow

__all__ = [
    "EMAIL",
    "MAX_ATTEMPTS",
    "NewFeed",
    "PassReport",
    "ReminderSettings",
    "create_feed",
    "feed_calendar",
    "feeds",
    "hash_token",
    "home_status",
    "reminder_email",
    "reminder_settings",
    "revoke_feed",
    "save_reminder_settings",
    "worker_pass",
]

EMAIL = "email"
#: Tries at sending one reminder before it is given up as failed.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class ReminderSettings:
    times: tuple[time, ...] = ()
    email: str | None = None
    updated_at: datetime | None = None

    @property
    def times_text(self) -> list[str]:
        return [f"{t:%H:%M}" for t in self.times]


def _settings(row: ReminderSettingRow | None) -> ReminderSettings:
    if row is None:
        return ReminderSettings()
    return ReminderSettings(parse_times(row.times), row.email, row.updated_at)


def reminder_settings(uow: AbstractUnitOfWork) -> ReminderSettings:
    """The settings in force; no times and no address until the person sets them."""
    return _settings(uow.reminders.current_setting())


def program_times_per_day(uow: AbstractUnitOfWork) -> int | None:
    """The most sessions a day any glide of the current program asks for."""
    stored = current_program(uow)
    if stored is None:
        return None
    given = [g.times_per_day for g in stored.program.glides if g.times_per_day]
    return max(given) if given else None


def save_reminder_settings(
    uow: AbstractUnitOfWork, times: Sequence[str], email: str, now: datetime
) -> ReminderSettings:
    """Validate and keep new settings (a new row; the old ones stay as history). More
    times than the program's sessions a day are refused. The caller commits."""
    try:
        parsed = parse_times(times)
        address = check_email(email)
    except ReminderError as exc:
        raise InvalidInput(f"{exc.field}: {exc}") from None
    most = program_times_per_day(uow)
    if most is not None and len(parsed) > most:
        raise InvalidInput(
            f"times: your program asks for up to {most} session{'s' if most != 1 else ''} a "
            f"day; {len(parsed)} reminder times is more than that"
        )
    row = ReminderSettingRow(times=[f"{t:%H:%M}" for t in parsed], email=address, updated_at=now)
    uow.reminders.add(row)
    uow.flush()
    return _settings(row)


# --- calendar feeds --------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewFeed:
    id: int
    token: str  # shown once; only its hash is stored


def create_feed(uow: AbstractUnitOfWork, now: datetime) -> NewFeed:
    token = secrets.token_urlsafe(32)
    row = CalendarFeedRow(token_sha256=hash_token(token), hint=token[-6:], created_at=now)
    uow.reminders.add(row)
    uow.flush()
    return NewFeed(row.id, token)


def feeds(uow: AbstractUnitOfWork) -> list[CalendarFeedRow]:
    return uow.reminders.feeds()


def revoke_feed(uow: AbstractUnitOfWork, feed_id: int, now: datetime) -> None:
    row = uow.reminders.feed(feed_id)
    if row is None:
        raise NotFound(f"There is no calendar feed {feed_id}.")
    if row.revoked_at is None:
        row.revoked_at = now


def _blocked(uow: AbstractUnitOfWork, rules: RuleSet, now: datetime) -> bool:
    return current_verdict(uow, rules, now).blocks_sessions


def feed_calendar(
    uow: AbstractUnitOfWork, token: str, *, rules: RuleSet, settings: Settings, now: datetime
) -> bytes:
    """The feed for ``token``; :class:`NotFound` for an unknown or revoked one."""
    if not token or uow.reminders.active_feed_by_hash(hash_token(token)) is None:
        raise NotFound("There is no such calendar feed (it may have been revoked).")
    current = reminder_settings(uow)
    note = None
    if _blocked(uow, rules, now):
        note = (
            "Exercises are paused by a safety rule, so there are no reminders now. "
            f"See {settings.public_url}/safety/why"
        )
    elif not current.times:
        note = f"No reminder times are set. Choose them at {settings.public_url}/reminders"
    zone = ZoneInfo(settings.timezone)
    since = (current.updated_at or now).astimezone(zone).date()
    return reminder_calendar(
        current.times,
        timezone=settings.timezone,
        since=since,
        session_url=f"{settings.public_url}/session",
        now=now,
        note=note,
    )


# --- the home page ---------------------------------------------------------------------


def _completed_on(uow: AbstractUnitOfWork, zone: ZoneInfo, moment: datetime) -> int:
    start, end = day_bounds(moment.astimezone(zone).date(), zone)
    return uow.sessions.completed_between(start, end)


def home_status(
    uow: AbstractUnitOfWork, rules: RuleSet, timezone: str, now: datetime
) -> SessionDue | None:
    """Whether a session is due now and when the next one is; None without reminder
    times or while a safety verdict blocks sessions."""
    current = reminder_settings(uow)
    if not current.times or _blocked(uow, rules, now):
        return None
    zone = ZoneInfo(timezone)
    return session_due(current.times, zone, now, _completed_on(uow, zone, now))


# --- the email worker ------------------------------------------------------------------


def reminder_email(due_at: datetime, settings: Settings) -> tuple[str, str, str]:
    """(subject, text, html) of the reminder for ``due_at``."""
    local = due_at.astimezone(ZoneInfo(settings.timezone))
    url = settings.public_url
    subject = f"Time for your nerve glides ({local:%H:%M})"
    text = (
        f"It is {local:%H:%M}: time for your nerve-glide session.\n\n"
        f"Start it here: {url}/session\n\n"
        "If anything feels worse than before, read the safety page before you start: "
        f"{url}/safety\n\n"
        f"You get this email because you chose reminder times in nerveglide. Change or "
        f"stop them at {url}/reminders\n"
    )
    html = (
        f"<p>It is {local:%H:%M}: time for your nerve-glide session.</p>"
        f'<p><a href="{url}/session">Start your session</a></p>'
        f'<p>If anything feels worse than before, read <a href="{url}/safety">the safety '
        "page</a> before you start.</p>"
        f'<p>You get this email because you chose reminder times in nerveglide. <a href="'
        f'{url}/reminders">Change or stop them</a>.</p>'
    )
    return subject, text, html


@dataclass
class PassReport:
    planned: int = 0
    sent: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def _plan(uow_factory: Callable[[], AbstractUnitOfWork], settings: Settings, now: datetime) -> int:
    with uow_factory() as uow:
        current = reminder_settings(uow)
    if not current.times or current.email is None or current.updated_at is None:
        return 0
    after = max(current.updated_at, now - timedelta(minutes=settings.reminder_grace))
    due = occurrences(current.times, ZoneInfo(settings.timezone), after, now)
    if due:
        with uow_factory() as uow:
            for at in due:
                uow.reminders.insert_due(EMAIL, at, current.email, now)
            uow.commit()
    return len(due)


def _skip_reason(
    uow: AbstractUnitOfWork, rules: RuleSet, settings: Settings, due_at: datetime, now: datetime
) -> str | None:
    if due_at < now - timedelta(minutes=settings.reminder_grace):
        return "late"
    if _blocked(uow, rules, now):
        return "safety-block"
    current = reminder_settings(uow)
    zone = ZoneInfo(settings.timezone)
    if current.email is None or due_at.astimezone(zone).time() not in current.times:
        return "cancelled"  # the person changed the times or the address since
    if _completed_on(uow, zone, due_at) >= slot_of(current.times, zone, due_at):
        return "done"
    return None


def worker_pass(
    uow_factory: Callable[[], AbstractUnitOfWork],
    mailer: Mailer,
    *,
    settings: Settings,
    rules: RuleSet,
    worker: str,
    now: datetime | None = None,
    batch: int = 50,
) -> PassReport:
    """One pass of the email worker: plan, claim, skip or send, mark. ``now`` fixes the
    clock (tests); otherwise it is read at each step."""

    def clock() -> datetime:
        return now if now is not None else datetime.now(UTC)

    report = PassReport(planned=_plan(uow_factory, settings, clock()))
    lease = timedelta(seconds=settings.reminder_lease)
    moment = clock()
    with uow_factory() as uow:
        candidates = uow.reminders.claimable(moment, moment - lease, batch)
    for reminder_id in candidates:
        moment = clock()
        with uow_factory() as uow:
            if not uow.reminders.claim(reminder_id, worker, moment, moment - lease):
                continue
            uow.commit()
        with uow_factory() as uow:
            row = uow.reminders.get(reminder_id)
            assert row is not None
            due_at, recipient, attempts = row.due_at, row.recipient, row.attempts
            reason = _skip_reason(uow, rules, settings, due_at, clock())
        if reason is not None:
            with uow_factory() as uow:
                uow.reminders.finish(reminder_id, worker, skipped=reason)
                uow.commit()
            report.skipped[reminder_id] = reason
            continue
        subject, text, html = reminder_email(due_at, settings)
        try:
            mailer.send(recipient, subject, text, html)
        except MailError as exc:
            give_up = attempts >= MAX_ATTEMPTS
            with uow_factory() as uow:
                if give_up:
                    uow.reminders.finish(reminder_id, worker, skipped="failed", error=exc.message)
                else:
                    uow.reminders.finish(reminder_id, worker, error=exc.message, release=True)
                uow.commit()
            report.failed[reminder_id] = exc.message
            continue
        with uow_factory() as uow:
            uow.reminders.finish(reminder_id, worker, sent_at=clock())
            uow.commit()
        report.sent.append(reminder_id)
    return report
