"""The reminder times as an iCalendar (RFC 5545) feed, made with the ``icalendar`` library.

One event per reminder time, repeating every day (``RRULE:FREQ=DAILY``) from the day the
times were set, at that wall-clock time in the person's time zone (with its VTIMEZONE, so
a calendar keeps the time across daylight-saving changes). Each event links to the next
session. An empty feed (no times, or exercising paused by a safety rule) has no events
and says why in its description.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

__all__ = ["SESSION_MINUTES", "reminder_calendar"]

#: How long each calendar event lasts: a slot for one session, not a dose.
SESSION_MINUTES = 15


def reminder_calendar(
    times: Sequence[time],
    *,
    timezone: str,
    since: date,
    session_url: str,
    now: datetime,
    note: str | None = None,
) -> bytes:
    """The feed as bytes (``text/calendar``). ``note`` replaces the events with a message
    (a safety pause)."""
    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//nerveglide//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Nerve glides")
    calendar.add("x-wr-timezone", timezone)
    description = note or "Your nerve-glide sessions, at the times you chose in nerveglide."
    calendar.add("x-wr-caldesc", description)
    if note is None:
        for moment in times:
            start = datetime.combine(since, moment, tzinfo=zone)
            event = Event()
            event.add("uid", f"nerveglide-reminder-{moment:%H%M}@nerveglide")
            event.add("dtstamp", now)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=SESSION_MINUTES))
            event.add("rrule", {"freq": "daily"})
            event.add("summary", "Nerve glides")
            event.add(
                "description",
                f"Time for your nerve-glide session. Start it here: {session_url}",
            )
            event.add("url", session_url)
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
