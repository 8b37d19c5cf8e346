"""A real app on SQLite and PostgreSQL, a logged-in patient with a program and a started
session, and the landmarks of a rendered clip (tracked once per test run by the offline
pipeline) as the frames a page would send over ``/ws/coach``."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import get_settings
from nerveglide.motion.analysis import Landmarks
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient
from tests.integration.motion.conftest import LandmarksOf, landmarks_of  # noqa: F401
from tests.integration.web.test_sessions_api import screen
from tests.shared_data import SHARED

#: A clean seated leg raise, right leg, filmed from that side: 4 repetitions.
CLIP = SHARED / "data" / "synthetic" / "seated_raise_02.mp4"
RAISE_RIGHT = {
    "exercise_id": "seated-leg-raise",
    "dose": "seated-leg-raise.dose.000",
    "reps": 10,
}


def labels(video: Path = CLIP) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(video.with_suffix(".json").read_text())
    return loaded


@pytest.fixture
def app_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    migrate.upgrade(database_url)
    settings = get_settings(
        data_dir=tmp_path, database_url=database_url, env="test", recording_max_mb=1
    )
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, database_url)
        screen(client)
        response = client.put(
            "/api/program", json={"affected_leg": "right", "glides": [RAISE_RIGHT]}
        )
        assert response.status_code == 200, response.text
        yield client


@pytest.fixture
def session_id(app_client: TestClient) -> str:
    response = app_client.post("/api/sessions", json={"pain_before": {"back": 2, "leg": 3}})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def token(app_client: TestClient, session_id: str) -> str:
    response = app_client.post(f"/api/sessions/{session_id}/live")
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.fixture(scope="session")
def clip_landmarks(landmarks_of: LandmarksOf) -> Landmarks:  # noqa: F811
    return landmarks_of(CLIP)


def frame_message(lm: Landmarks, i: int, t_shift: float = 0.0) -> dict[str, Any]:
    """Frame ``i`` of the track as the page sends it: normalised, 4 decimals."""
    message: dict[str, Any] = {
        "v": 1,
        "type": "frame",
        "t": round(float(lm.t[i]) + t_shift, 4),
        "w": lm.width,
        "h": lm.height,
        "lm": None,
        "world": None,
    }
    if not lm.found[i]:
        return message
    message["lm"] = [
        [
            round(float(lm.xy[i, k, 0]) / lm.width, 4),
            round(float(lm.xy[i, k, 1]) / lm.height, 4),
            0.0,
            round(float(lm.visibility[i, k]), 4),
        ]
        for k in range(33)
    ]
    if all(math.isfinite(float(v)) for v in lm.world[i].ravel()):
        message["world"] = [[round(float(v), 4) for v in lm.world[i, k]] for k in range(33)]
    return message
