"""What the schema fuzzing (test_schema_fuzz.py) found, each kept as a plain test: on
SQLite and PostgreSQL, an input the schema refuses answers 4xx naming the field, never a
500, and never a silent conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.accounts import add_account, log_in, upload_video
from tests.integration.accounts.conftest import App
from tests.integration.web.test_sessions_api import RAISE_000, screen

TOO_BIG = 2**63  # past a 32-bit INTEGER column: the driver failed (a 500) before


@pytest.fixture
def patient(app: App) -> Any:
    add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
        assert client.put(
            "/api/program", json={"affected_leg": "left", "glides": [RAISE_000]}
        ).is_success
        screen(client)
        session = client.post("/api/sessions", json={"pain_before": {"back": 3, "leg": 5}})
        yield client, session.json()["id"]


def test_a_row_id_too_large_for_the_database_is_a_422(patient: tuple[TestClient, str]):
    client, session_id = patient
    upload_video(client, session_id)
    for method in ("GET", "DELETE"):
        response = client.request(method, f"/api/sessions/{session_id}/recordings/{TOO_BIG}")
        assert response.status_code == 422, response.text
        assert "recording_id" in response.json()["detail"]
    assert len(client.get(f"/api/sessions/{session_id}/recordings").json()) == 1


def test_a_count_too_large_in_a_stop_is_a_422(patient: tuple[TestClient, str]):
    client, session_id = patient
    stop = {
        "pain": 6,
        "areas": [{"area": "calf", "side": "left"}],
        "occurred_at": datetime.now(UTC).isoformat(),
        "set_no": TOO_BIG,
    }
    response = client.post(f"/api/sessions/{session_id}/stop", json=stop)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("set_no:")
    assert client.get(f"/api/sessions/{session_id}").json()["status"] == "in_progress"


def test_a_number_is_not_a_time_and_true_is_not_a_pain_score(patient: tuple[TestClient, str]):
    client, session_id = patient
    stop = {"pain": 6, "areas": [{"area": "calf", "side": "left"}], "occurred_at": 5}
    response = client.post(f"/api/sessions/{session_id}/stop", json=stop)
    assert response.status_code == 422
    assert "occurred_at" in response.json()["detail"]
    today = datetime.now(UTC).date().isoformat()
    entry = {"back_pain": 2, "leg_pain": True, "numbness": "none", "weakness": "none"}
    response = client.put(f"/api/diary/{today}", json=entry)
    assert response.status_code == 422
    assert "leg_pain" in response.json()["detail"]
    assert client.get("/api/diary").json() == []


@pytest.mark.parametrize("day", ["0", "1700000000", "2026-13-01"])
def test_a_date_in_a_path_is_only_yyyy_mm_dd(patient: tuple[TestClient, str], day: str):
    client, _ = patient
    response = client.get(f"/api/diary/{day}/history")
    assert response.status_code == 422  # "0" was read as 1970-01-01
    assert "YYYY-MM-DD" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"\xff\x00not json", b"\x8a(3r\xf1\xe9"])
def test_a_body_that_is_not_json_is_a_documented_error(
    patient: tuple[TestClient, str], body: bytes
):
    client, _ = patient
    response = client.put(
        "/api/program", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)  # 400 was undocumented in the schema
    assert response.json()["error"] == response.status_code
    schema = client.get("/api/openapi.json").json()
    assert {"400", "422"} <= set(schema["paths"]["/api/program"]["put"]["responses"])
