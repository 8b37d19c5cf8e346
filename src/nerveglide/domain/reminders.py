"""Reminder times: the person's chosen times of day, when each falls in their time zone,
and whether a session is due now.

Pure: the times, a time zone and a clock reading in; datetimes (UTC) out. No source gives
times of day for the glides (source 000 says "up to three times a day"), so the times are
the person's settings, none by default.

"Due now" counts the day's reminder times already passed against the sessions completed
that day: with times 08:00, 13:00 and 19:00, at 14:00 with one session done, the 13:00
session is due.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "MAX_TIMES",
    "ReminderError",
    "SessionDue",
    "check_email",
    "day_bounds",
    "occurrences",
    "parse_times",
    "session_due",
    "slot_of",
]

#: Typing-mistake guard, not advice: the program's own times a day is the real limit.
MAX_TIMES = 24
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# A plain address: something@domain.tld, no spaces, no angle brackets, no line breaks.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class ReminderError(ValueError):
    """A reminder setting refused; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def parse_times(values: Iterable[str]) -> tuple[time, ...]:
    """``"08:00"``-style times, blanks ignored, sorted; a repeat or a malformed one raises."""
    found: list[time] = []
    for raw in values:
        text = raw.strip()
        if not text:
            continue
        match = _TIME.match(text)
        if match is None:
            raise ReminderError(
                "times", f"{text!r} is not a time of day; write it as HH:MM, e.g. 08:30"
            )
        moment = time(int(match.group(1)), int(match.group(2)))
        if moment in found:
            raise ReminderError("times", f"{moment:%H:%M} is given twice")
        found.append(moment)
    if len(found) > MAX_TIMES:
        raise ReminderError("times", f"at most {MAX_TIMES} reminder times; got {len(found)}")
    return tuple(sorted(found))


def check_email(raw: str) -> str | None:
    """The address trimmed, None for a blank one; a malformed one raises."""
    text = raw.strip()
    if not text:
        return None
    if len(text) > 254 or _EMAIL.match(text) is None:
        raise ReminderError("email", f"{text!r} is not an email address (like name@example.org)")
    return text


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and end of a local day."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def occurrences(
    times: Sequence[time], zone: ZoneInfo, after: datetime, until: datetime
) -> list[datetime]:
    """Every reminder time in ``(after, until]``, as UTC datetimes, oldest first."""
    if not times or until <= after:
        return []
    out = []
    day = after.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date()
    while day <= last:
        for moment in times:
            at = _at(day, moment, zone)
            if after < at <= until:
                out.append(at)
        day += timedelta(days=1)
    return sorted(set(out))


def slot_of(times: Sequence[time], zone: ZoneInfo, due_at: datetime) -> int:
    """How many of the day's reminder times fall at or before ``due_at`` (1 for the first)."""
    local = due_at.astimezone(zone)
    return sum(1 for moment in times if _at(local.date(), moment, zone) <= due_at)


@dataclass(frozen=True)
class SessionDue:
    """``due_now``: a reminder time has passed today with its session not done yet
    (``due_since`` is that time); ``next_at``: the next reminder time still to come."""

    due_now: bool
    due_since: datetime | None
    next_at: datetime | None
    done_today: int
    times_today: int


def session_due(
    times: Sequence[time], zone: ZoneInfo, now: datetime, completed_today: int
) -> SessionDue:
    today = now.astimezone(zone).date()
    slots = [_at(today, moment, zone) for moment in times]
    passed = [at for at in slots if at <= now]
    due_since = passed[completed_today] if completed_today < len(passed) else None
    upcoming = [at for at in slots if at > now]
    if not upcoming and times:
        upcoming = [_at(today + timedelta(days=1), times[0], zone)]
    return SessionDue(
        due_now=due_since is not None,
        due_since=due_since,
        next_at=upcoming[0] if upcoming else None,
        done_today=completed_today,
        times_today=len(slots),
    )
