"""Questionnaires through the app, on SQLite and PostgreSQL: due at first (baseline),
scored and stored, compared with the baseline against the minimal important change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from nerveglide.config import get_settings
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient


@pytest.fixture
def app_db(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    migrate.upgrade(database_url)
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, database_url)
        yield client, database_url


def rmdq(yes: int) -> dict[str, str]:
    """The first ``yes`` Roland-Morris statements ticked; the rest left blank."""
    return {f"q{n}": "yes" for n in range(1, yes + 1)}


def status(client: TestClient, questionnaire_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        q for q in client.get("/api/questionnaires").json() if q["id"] == questionnaire_id
    )
    return found


def test_every_questionnaire_is_due_as_a_baseline_at_first(app_db):
    client, _ = app_db
    listed = client.get("/api/questionnaires").json()
    assert {q["id"] for q in listed} >= {
        "nprs-back",
        "nprs-leg",
        "roland-morris",
        "start-back",
        "psfs",
        "sciatica-bothersomeness-index",
    }
    assert all(q["due"] and q["due_reason"].startswith("baseline") for q in listed)
    assert all(q["interval_is_default"] for q in listed)


def test_a_response_is_scored_and_compared_with_the_baseline(app_db):
    client, url = app_db
    items = client.get("/questionnaires/roland-morris").text
    assert 'name="answer.q1"' in items
    first = client.post("/api/questionnaires/roland-morris/responses", json={"answers": rmdq(12)})
    assert first.status_code == 201, first.text
    assert first.json()["total"] == 12
    assert status(client, "roland-morris")["due"] is False
    # Move the baseline back so a second answer compares with it.
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE questionnaire_response SET answered_at = :t"),
            {"t": datetime.now(UTC) - timedelta(days=30)},
        )
    engine.dispose()
    assert status(client, "roland-morris")["due"] is True
    client.post("/api/questionnaires/roland-morris/responses", json={"answers": rmdq(7)})
    change = status(client, "roland-morris")["change"]
    assert (change["baseline"], change["now"], change["improvement"]) == (12, 7, 5)
    assert change["meets"] is True
    page = client.get("/questionnaires").text
    assert "That meets the" in page


def test_start_back_gives_its_risk_band(app_db):
    client, _ = app_db
    q = client.get("/api/safety/rules")  # the app is up
    assert q.status_code == 200
    page = client.get("/questionnaires/start-back")
    assert "Keele" in page.text


def test_bad_responses_are_refused_and_nothing_is_stored(app_db):
    client, _ = app_db
    bad = client.post("/api/questionnaires/nprs-leg/responses", json={"answers": {"leg-pain": 11}})
    assert bad.status_code == 422
    missing = client.post(
        "/api/questionnaires/psfs/responses",
        json={"answers": {"activity-1": 4}, "activity_names": {"activity-1": "sitting"}},
    )
    assert missing.status_code == 422
    unnamed = client.post(
        "/api/questionnaires/psfs/responses",
        json={"answers": {"activity-1": 4, "activity-2": 5, "activity-3": 6}},
    )
    assert unnamed.status_code == 422
    assert "name the activity" in unnamed.json()["detail"]
    assert client.post("/api/questionnaires/odi/responses", json={"answers": {}}).status_code == 404
    assert all(q["responses"] == 0 for q in client.get("/api/questionnaires").json())


def test_the_form_saves_a_psfs_with_named_activities(app_db):
    client, _ = app_db
    form = {
        "name.activity-1": "sitting through a film",
        "answer.activity-1": "3",
        "name.activity-2": "walking the dog",
        "answer.activity-2": "5",
        "name.activity-3": "putting on socks",
        "answer.activity-3": "7",
    }
    response = client.post("/questionnaires/psfs", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert status(client, "psfs")["latest"]["total"] == 5
    partial = client.post("/questionnaires/psfs", data={"answer.activity-1": "3"})
    assert partial.status_code == 422
