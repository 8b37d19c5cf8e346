"""Reminder times: parsing, email addresses, when each time falls (across a daylight-saving
change), and whether a session is due now."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from nerveglide.domain.reminders import (
    ReminderError,
    check_email,
    occurrences,
    parse_times,
    session_due,
    slot_of,
)

LONDON = ZoneInfo("Europe/London")
TIMES = (time(8), time(13, 30), time(19))


def test_times_are_sorted_and_blanks_ignored():
    assert parse_times(["19:00", " ", "8:00", "13:30"]) == TIMES


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["24:00"], "not a time of day"),
        (["8.30"], "not a time of day"),
        (["08:60"], "not a time of day"),
        (["08:00", "8:00"], "08:00 is given twice"),
        ([f"{h:02d}:00" for h in range(24)] + ["00:30"], "at most 24"),
    ],
)
def test_bad_times_are_refused_by_name(values, message):
    with pytest.raises(ReminderError, match=message) as info:
        parse_times(values)
    assert info.value.field == "times"


def test_email_addresses():
    assert check_email("  person@example.org ") == "person@example.org"
    assert check_email("") is None
    for bad in ("person", "person@example", "a b@example.org", "a@b.c\nBcc: x@y.z", "<a@b.co>"):
        with pytest.raises(ReminderError, match="not an email address"):
            check_email(bad)


def test_occurrences_keep_the_wall_clock_time_across_a_dst_change():
    # The clocks go back in London on 26 October 2025: 08:00 is 07:00 UTC, then 08:00 UTC.
    after = datetime(2025, 10, 25, 0, tzinfo=UTC)
    until = datetime(2025, 10, 27, 0, tzinfo=UTC)
    found = occurrences((time(8),), LONDON, after, until)
    assert found == [datetime(2025, 10, 25, 7, tzinfo=UTC), datetime(2025, 10, 26, 8, tzinfo=UTC)]


def test_occurrences_are_after_the_start_and_up_to_the_end():
    start = datetime(2025, 3, 3, 8, tzinfo=UTC)  # 08:00 in London in March
    assert occurrences(TIMES, LONDON, start, datetime(2025, 3, 3, 19, tzinfo=UTC)) == [
        datetime(2025, 3, 3, 13, 30, tzinfo=UTC),
        datetime(2025, 3, 3, 19, tzinfo=UTC),
    ]
    assert occurrences((), LONDON, start, datetime(2025, 3, 4, tzinfo=UTC)) == []


def test_a_session_is_due_when_a_time_has_passed_without_its_session():
    now = datetime(2025, 3, 3, 14, tzinfo=UTC)
    due = session_due(TIMES, LONDON, now, completed_today=1)
    assert due.due_now
    assert due.due_since == datetime(2025, 3, 3, 13, 30, tzinfo=UTC)
    assert due.next_at == datetime(2025, 3, 3, 19, tzinfo=UTC)
    done = session_due(TIMES, LONDON, now, completed_today=2)
    assert not done.due_now
    assert done.due_since is None
    late = session_due(TIMES, LONDON, datetime(2025, 3, 3, 20, tzinfo=UTC), completed_today=3)
    assert late.next_at == datetime(2025, 3, 4, 8, tzinfo=UTC)  # tomorrow's first


def test_slot_counts_the_days_times_up_to_a_reminder():
    assert slot_of(TIMES, LONDON, datetime(2025, 3, 3, 8, tzinfo=UTC)) == 1
    assert slot_of(TIMES, LONDON, datetime(2025, 3, 3, 19, tzinfo=UTC)) == 3
