"""The program and session API on SQLite and PostgreSQL: choices within the sources,
repetitions saved once each, "it hurts" stops kept, resumable state, clear 422s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nerveglide.config import get_settings
from nerveglide.content.schema import SEED_000
from nerveglide.store import migrate
from nerveglide.store.db import make_engine, make_session_factory
from nerveglide.store.models.safety import PatientStatusRow
from nerveglide.store.scoping import scope_to_system
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient

RAISE_000 = {"exercise_id": "seated-leg-raise", "dose": "seated-leg-raise.dose.000", "reps": 10}


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    migrate.upgrade(database_url)
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, database_url)
        screen(client)
        yield client


def screen(client: TestClient, **answers: str) -> dict[str, Any]:
    """Answer the red-flag questions: "no" unless given (ids with dots as underscores)."""
    rules = client.get("/api/safety/rules").json()
    body = {
        q["id"]: answers.get(q["id"].replace(".", "_").replace("-", "_"), "no")
        for q in rules["questions"]
    }
    response = client.post("/api/screening", json={"answers": body})
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


def make_program(api: TestClient, affected: str = "left", glides=None) -> dict[str, Any]:
    response = api.put(
        "/api/program", json={"affected_leg": affected, "glides": glides or [RAISE_000]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def start(api: TestClient, back: int = 3, leg: int = 5) -> dict[str, Any]:
    response = api.post("/api/sessions", json={"pain_before": {"back": back, "leg": leg}})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def rep(rep_no: int, attempt: int = 1, leg: str = "left") -> dict[str, Any]:
    start_at = datetime(2026, 11, 22, 10, 0, tzinfo=UTC) + timedelta(seconds=10 * rep_no)
    return {
        "exercise_id": "seated-leg-raise",
        "leg": leg,
        "set_no": 1,
        "rep_no": rep_no,
        "attempt": attempt,
        "started_at": start_at.isoformat(),
        "ended_at": (start_at + timedelta(seconds=6)).isoformat(),
        "hold_s": None,
    }


def test_program_is_saved_with_versions(api: TestClient):
    first = make_program(api)
    second = make_program(api, "both")
    assert second["id"] > first["id"]
    assert api.get("/api/program").json()["glides"][0]["legs"] == ["left", "right"]


def test_reps_outside_the_source_range_are_a_422_naming_the_range(api: TestClient):
    before = make_program(api)
    response = api.put(
        "/api/program", json={"affected_leg": "left", "glides": [{**RAISE_000, "reps": 30}]}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("glides.0.reps:")
    assert f"source {SEED_000} gives 10 to 20 repetitions" in detail
    assert api.get("/api/program").json()["id"] == before["id"]


@pytest.mark.parametrize(
    ("glide", "field"),
    [
        ({**RAISE_000, "reps": "ten"}, "reps"),
        ({**RAISE_000, "reps": -3}, "reps"),
        ({"exercise_id": "standing-kick", "dose": "setting"}, "exercise_id"),
    ],
)
def test_bad_program_input_names_the_field(api: TestClient, glide, field):
    response = api.put("/api/program", json={"affected_leg": "left", "glides": [glide]})
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert api.get("/api/program").status_code == 404


def test_a_session_saves_each_rep_once_and_reports_counts(api: TestClient):
    make_program(api)
    session = start(api)
    assert session["status"] == "in_progress"
    assert [s["kind"] for s in session["timeline"][:4]] == [
        "get_ready",
        "move",
        "return",
        "rest_rep",
    ]
    url = f"/api/sessions/{session['id']}/repetitions"
    assert api.put(url, json=rep(1)).status_code == 201
    assert api.put(url, json=rep(1)).status_code == 200  # a retry after a lost response
    assert api.put(url, json=rep(2)).status_code == 201
    assert api.put(url, json=rep(2, attempt=2)).status_code == 201  # redone
    state = api.get(f"/api/sessions/{session['id']}").json()
    assert len(state["repetitions"]) == 3
    assert state["counts"] == [{"exercise_id": "seated-leg-raise", "leg": "left", "reps": 2}]
    remaining = api.get(f"/api/sessions/{session['id']}/timeline?remaining=true").json()
    assert remaining[0]["kind"] == "get_ready"
    assert [s["rep_no"] for s in remaining if s["kind"] == "move"] == list(range(3, 11))


def test_the_verdict_is_evaluated_again_after_a_stop_not_after_a_repetition(
    api: TestClient, database_url: str
):
    """The safety rules read stops, not repetitions: the app re-evaluates the patient's
    kept verdict (the clinician's dashboard status) after the one, not the other."""

    def evaluated() -> list[tuple[str, datetime]]:
        engine = make_engine(database_url)
        try:
            with make_session_factory(engine)() as db:
                scope_to_system(db)
                rows = db.execute(select(PatientStatusRow.tier, PatientStatusRow.evaluated_at))
                return [(tier, at) for tier, at in rows]
        finally:
            engine.dispose()

    make_program(api)
    session = start(api)
    [(tier, before)] = evaluated()  # kept after the session started
    assert tier == "ok"
    url = f"/api/sessions/{session['id']}/repetitions"
    assert api.put(url, json=rep(1)).status_code == 201
    assert api.put(url, json=rep(2)).status_code == 201
    assert evaluated() == [("ok", before)]
    stop = {
        "occurred_at": datetime.now(UTC).isoformat(),
        "pain": 8,
        "areas": [{"area": "calf", "side": "left"}],
    }
    assert api.post(f"/api/sessions/{session['id']}/stop", json=stop).status_code == 200
    [(tier, after)] = evaluated()
    assert after > before
    assert tier != "ok"  # a stop because it hurts is a fact the rules read


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"leg": "right"}, "leg"),
        ({"rep_no": 11}, "rep_no"),
        ({"exercise_id": "seated-leg-kick"}, "exercise_id"),
        ({"ended_at": "2026-11-22T09:00:00+00:00"}, "ended_at"),
    ],
)
def test_a_repetition_outside_the_plan_is_refused(api: TestClient, change, field):
    make_program(api)
    session = start(api)
    response = api.put(f"/api/sessions/{session['id']}/repetitions", json={**rep(1), **change})
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert api.get(f"/api/sessions/{session['id']}").json()["repetitions"] == []


def test_it_hurts_is_kept_with_its_facts_and_ends_the_session(api: TestClient):
    make_program(api)
    session = start(api)
    api.put(f"/api/sessions/{session['id']}/repetitions", json=rep(1))
    stop = {
        "pain": 7,
        "areas": [{"area": "calf", "side": "left"}, {"area": "back", "side": "middle"}],
        "occurred_at": "2026-11-22T10:01:00+00:00",
        "exercise_id": "seated-leg-raise",
        "leg": "left",
        "set_no": 1,
        "rep_no": 2,
        "step_kind": "move",
    }
    response = api.post(f"/api/sessions/{session['id']}/stop", json=stop)
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["status"] == "stopped_hurt"
    assert state["ended_at"] is not None
    assert state["stops"][0]["pain"] == 7
    assert state["stops"][0]["areas"] == stop["areas"]
    assert (state["stops"][0]["rep_no"], state["stops"][0]["step_kind"]) == (2, "move")
    finished = api.post(
        f"/api/sessions/{session['id']}/finish",
        json={"status": "completed", "pain_after": {"back": 4, "leg": 7}, "felt_worse": True},
    )
    assert finished.json()["status"] == "stopped_hurt"  # stays what it was
    assert finished.json()["pain_after"] == {"back": 4, "leg": 7}


def test_stop_needs_a_pain_score_and_a_place(api: TestClient):
    make_program(api)
    session = start(api)
    base = {"occurred_at": "2026-11-22T10:01:00+00:00"}
    for body, field in (
        ({**base, "pain": 11, "areas": [{"area": "calf", "side": "left"}]}, "pain"),
        ({**base, "pain": 5, "areas": []}, "areas"),
        ({**base, "pain": 5, "areas": [{"area": "elbow", "side": "left"}]}, "area"),
    ):
        response = api.post(f"/api/sessions/{session['id']}/stop", json=body)
        assert response.status_code == 422
        assert field in str(response.json()["detail"])
    assert api.get(f"/api/sessions/{session['id']}").json()["status"] == "in_progress"


def test_before_and_after_checks_are_stored(api: TestClient):
    make_program(api)
    session = start(api, back=2, leg=6)
    done = api.post(
        f"/api/sessions/{session['id']}/finish",
        json={"status": "ended_early", "pain_after": {"back": 1, "leg": 4}, "felt_worse": False},
    )
    state = done.json()
    assert state["pain_before"] == {"back": 2, "leg": 6}
    assert state["pain_after"] == {"back": 1, "leg": 4}
    assert (state["status"], state["felt_worse"]) == ("ended_early", False)
    assert (
        api.post("/api/sessions", json={"pain_before": {"back": 12, "leg": 0}}).status_code == 422
    )


def test_unknown_session_is_a_404(api: TestClient):
    assert api.get("/api/sessions/nope").status_code == 404
    assert api.put("/api/sessions/nope/repetitions", json=rep(1)).status_code == 404


def test_a_cross_site_write_is_refused(api: TestClient):
    response = api.put(
        "/api/program",
        json={"affected_leg": "left", "glides": [RAISE_000]},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert api.get("/api/program").status_code == 404


def test_program_form_shows_source_ranges_and_refuses_outside_them(api: TestClient):
    page = api.get("/program")
    assert page.status_code == 200
    assert "source 000: 10 to 20; source 002: 15" in page.text
    form = {
        "affected_leg": "right",
        "seated-leg-raise.include": "on",
        "seated-leg-raise.dose": "seated-leg-raise.dose.002",
        "seated-leg-raise.reps": "12",
    }
    response = api.post("/program", data=form, follow_redirects=False)
    assert response.status_code == 422
    assert "seated-leg-raise.reps:" in response.text
    assert "gives 15 repetitions" in response.text
    form["seated-leg-raise.reps"] = "15"
    response = api.post("/program", data=form, follow_redirects=False)
    assert response.status_code == 303
    saved = api.get("/api/program").json()
    assert saved["affected_leg"] == "right"
    assert saved["glides"][0]["reps"] == 15


def test_session_pages_render(api: TestClient):
    assert "set up your program" in api.get("/session").text
    make_program(api)
    response = api.post(
        "/session",
        data={"pain_back": "2", "pain_leg": "4", "glides": "seated-leg-raise"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    player = api.get(response.headers["location"])
    assert player.status_code == 200
    assert "Stop: it hurts" in player.text
    assert 'id="player-data"' in player.text
    assert "You have a session in progress" in api.get("/session").text
    history = api.get("/sessions")
    assert "in progress" in history.text
