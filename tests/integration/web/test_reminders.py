"""The reminders page, the calendar feed and the home page's reminder, on SQLite and
PostgreSQL: settings saved or refused with a clear 422 that changes nothing, a feed that
``icalendar`` reads with one daily event per reminder time in the person's time zone, a
revoked or unknown token answered 404, and nothing shown during a safety block."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from nerveglide.config import get_settings
from nerveglide.content.loader import default_rules
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient

TIMEZONE = "America/New_York"
PUBLIC = "https://glides.example.org"


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    migrate.upgrade(database_url)
    settings = get_settings(
        data_dir=tmp_path, database_url=database_url, env="test", timezone=TIMEZONE,
        public_url=PUBLIC,
    )  # fmt: skip
    # The app is behind HTTPS (PUBLIC): its cookies are Secure, so the client speaks https.
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        logged_in_patient(client, database_url)
        program = client.put(
            "/api/program",
            json={
                "affected_leg": "left",
                "glides": [
                    {
                        "exercise_id": "supine-nerve-glide",
                        "dose": "supine-nerve-glide.dose.000",
                        "times_per_day": 3,
                    }
                ],
            },
        )
        assert program.status_code in (200, 201), program.text
        yield client


def save(client: TestClient, times: list[str], email: str = "person@example.org"):
    return client.post("/reminders", data={"times": times, "email": email}, follow_redirects=False)


def field_values(page: str) -> list[str]:
    return re.findall(r'name="times" value="([^"]*)"', page)


def new_feed(client: TestClient) -> str:
    response = client.post("/reminders/feeds")
    assert response.status_code == 201
    match = re.search(
        r'value="(https://glides\.example\.org/reminders/calendar/[^"]+\.ics)"', response.text
    )
    assert match is not None
    return match.group(1).removeprefix(PUBLIC)


def test_the_page_shows_the_settings_with_labels(client):
    page = client.get("/reminders").text
    assert "Reminder times (your setting; times in America/New_York)" in page
    assert '<label for="time-1">Time 1</label>' in page
    assert "Your program asks for up to 3 sessions a day." in page
    assert field_values(page) == ["", "", ""]  # none by default
    assert "You have no calendar address." in page


def test_times_and_email_are_saved(client):
    response = save(client, ["19:00", "08:00", "", "13:30"])
    assert (response.status_code, response.headers["location"]) == (303, "/reminders?saved=1")
    page = client.get("/reminders?saved=1").text
    assert "Your reminder settings are saved." in page
    assert field_values(page)[:3] == ["08:00", "13:30", "19:00"]
    assert 'value="person@example.org"' in page


@pytest.mark.parametrize(
    ("times", "email", "message"),
    [
        (["25:00"], "person@example.org", "&#39;25:00&#39; is not a time of day"),
        (["8 o&#39;clock"], "", "is not a time of day"),
        (["08:00", "08:00"], "", "08:00 is given twice"),
        (["07:00"], "not an address", "is not an email address"),
        (["07:00"], "a@b.c\r\nBcc: x@y.z", "is not an email address"),
        (
            ["07:00", "09:00", "11:00", "13:00"],
            "",
            "your program asks for up to 3 sessions a day; 4 reminder times",
        ),
    ],
)
def test_bad_input_is_a_422_that_changes_nothing(client, times, email, message):
    assert save(client, ["08:00", "19:00"]).status_code == 303
    response = save(client, times, email)
    assert response.status_code == 422
    assert message in response.text
    assert 'role="alert"' in response.text
    if email and "\n" not in email:
        assert f'value="{email}"' in response.text  # what was typed, to correct it
    page = client.get("/reminders").text
    assert field_values(page)[:2] == ["08:00", "19:00"]
    assert 'value="person@example.org"' in page


def test_the_feed_repeats_daily_at_each_time_in_the_persons_zone(client):
    assert save(client, ["08:00", "13:30", "19:00"]).status_code == 303
    path = new_feed(client)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3  # the program's three sessions a day
    starts = sorted(e.decoded("dtstart") for e in events)
    assert [f"{s:%H:%M}" for s in starts] == ["08:00", "13:30", "19:00"]
    assert all(str(s.tzinfo) == TIMEZONE for s in starts)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == TIMEZONE
    for event in events:
        rule: Any = event["RRULE"]
        assert rule["FREQ"] == ["DAILY"]  # every day, for good: three a day, as the program
        assert rule.get("INTERVAL", [1]) == [1]
        assert not {"COUNT", "UNTIL", "BYDAY", "BYHOUR"} & set(rule)
        assert str(event["URL"]) == f"{PUBLIC}/session"
        assert f"{PUBLIC}/session" in str(event["DESCRIPTION"])


def test_a_revoked_or_unknown_token_is_a_404(client):
    assert save(client, ["08:00"]).status_code == 303
    path = new_feed(client)
    assert client.get(path).status_code == 200
    assert client.get("/reminders/calendar/not-a-real-token.ics").status_code == 404
    page = client.get("/reminders").text
    (feed_id,) = re.findall(r'action="/reminders/feeds/(\d+)/revoke"', page)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in page  # the address is shown once, when made
    revoked = client.post(f"/reminders/feeds/{feed_id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get(path).status_code == 404
    assert "You have no calendar address." in client.get("/reminders").text


def test_the_home_page_says_a_session_is_due_and_when_the_next_is(client):
    now = datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE))
    assert "session due now" not in client.get("/").text
    assert save(client, [f"{now:%H:%M}"]).status_code == 303
    home = client.get("/").text
    assert "You have a session due now" in home
    assert f"Your {now:%H:%M} session is not done yet (0 of 1 done today)" in home
    assert 'href="/session"' in home


def screen_see_doctor(client: TestClient) -> None:
    answers = {q.id: "no" for q in default_rules().questions}
    answers["rf.cancer"] = "yes"
    response = client.post("/api/screening", json={"answers": answers})
    assert response.status_code in (200, 201), response.text
    assert client.get("/api/safety").json()["tier"] == "see_doctor"


def test_nothing_is_shown_or_put_in_the_feed_during_a_safety_block(client):
    now = datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE))
    assert save(client, [f"{now:%H:%M}"]).status_code == 303
    path = new_feed(client)
    screen_see_doctor(client)
    assert "session due now" not in client.get("/").text
    calendar = Calendar.from_ical(client.get(path).content)
    assert list(calendar.walk("VEVENT")) == []
    assert "paused by a safety rule" in str(calendar["X-WR-CALDESC"])


def test_a_foreign_origin_cannot_change_the_reminders(client):
    response = client.post(
        "/reminders",
        data={"times": ["08:00"], "email": ""},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert field_values(client.get("/reminders").text) == ["", "", ""]
