"""The symptom diary on SQLite and PostgreSQL: today's entry, edits kept as history,
clear refusals for bad values, past and future dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import get_settings
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient

ENTRY: dict[str, Any] = {
    "back_pain": 3,
    "leg_pain": 6,
    "numbness": "mild",
    "weakness": "none",
    "reach": {"left": ["buttock", "thigh", "calf"]},
    "sleep_disturbed": True,
    "note": "worse after sitting",
}


@pytest.fixture
def diary(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    migrate.upgrade(database_url)
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    today = settings.today(datetime.now(UTC)).isoformat()
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, database_url)
        yield client, today


def test_todays_entry_is_saved_and_edits_are_kept(diary):
    client, today = diary
    first = client.put(f"/api/diary/{today}", json=ENTRY)
    assert first.status_code == 200, first.text
    second = client.put(f"/api/diary/{today}", json={**ENTRY, "leg_pain": 4})
    assert second.status_code == 200
    entries = client.get("/api/diary").json()
    assert [(e["date"], e["leg_pain"]) for e in entries] == [(today, 4)]
    assert entries[0]["reach"] == {"left": ["buttock", "thigh", "calf"]}
    history = client.get(f"/api/diary/{today}/history").json()
    assert [h["leg_pain"] for h in history] == [6, 4]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"leg_pain": 11}, "leg_pain"),
        ({"back_pain": -1}, "back_pain"),
        ({"numbness": "awful"}, "numbness"),
        ({"reach": {"left": ["knee"]}}, "reach"),
        ({"reach": {"middle": ["calf"]}}, "reach"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_values_are_422_naming_the_field_and_nothing_changes(diary, change, field):
    client, today = diary
    client.put(f"/api/diary/{today}", json=ENTRY)
    response = client.put(f"/api/diary/{today}", json={**ENTRY, **change})
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert [h["leg_pain"] for h in client.get(f"/api/diary/{today}/history").json()] == [6]


def test_future_and_past_dates_are_refused(diary):
    client, today = diary
    day = datetime.fromisoformat(today).date()
    future = client.put(f"/api/diary/{day + timedelta(days=1)}", json=ENTRY)
    assert future.status_code == 422
    assert "in the future" in future.json()["detail"]
    past = client.put(f"/api/diary/{day - timedelta(days=1)}", json=ENTRY)
    assert past.status_code == 422
    assert "only today's entry" in past.json()["detail"]
    assert client.get("/api/diary").json() == []
    assert client.get("/api/diary?start=2026-05-02&end=2026-05-01").status_code == 422


def test_the_diary_page_saves_from_its_form(diary):
    client, today = diary
    page = client.get("/diary")
    assert page.status_code == 200
    assert "for learning only" in page.text
    form = {
        "back_pain": "2",
        "leg_pain": "5",
        "numbness": "moderate",
        "weakness": "mild",
        "reach.right.thigh": "on",
        "reach.right.foot": "on",
        "sleep_disturbed": "no",
        "note": "",
    }
    response = client.post("/diary", data=form, follow_redirects=False)
    assert response.status_code == 303
    [entry] = client.get("/api/diary").json()
    assert (entry["leg_pain"], entry["numbness"]) == (5, "moderate")
    assert entry["reach"] == {"right": ["thigh", "foot"]}
    shown = client.get("/diary?saved=1").text
    assert "Today's entry is saved" in shown
    assert f'data-date="{today}"' in shown
    assert "foot" in shown  # how far the right leg's symptoms reach
    bad = client.post("/diary", data={**form, "leg_pain": ""})
    assert bad.status_code == 422
    assert "leg_pain" in bad.text
