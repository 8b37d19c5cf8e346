"""Safety through the web app and the API, on SQLite and PostgreSQL: screening first,
blocks that no entry point can bypass, the banner, "Why am I seeing this?", clearing, the
public rule set, and the audit of every blocking verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from nerveglide.config import get_settings
from nerveglide.content.loader import default_rules, load_library
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient
from tests.integration.web.test_sessions_api import RAISE_000, make_program, rep, screen

PAIN = {"pain_before": {"back": 3, "leg": 5}}


@pytest.fixture
def app_db(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    migrate.upgrade(database_url)
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, database_url)
        yield client, database_url


def audit(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT context, tier FROM safety_verdict ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return [(str(c), str(t)) for c, t in rows]


def test_screening_comes_first_everywhere(app_db):
    client, _ = app_db
    make_program(client)
    response = client.get("/session", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/screening?next=/session")
    refused = client.post("/api/sessions", json=PAIN)
    assert refused.status_code == 403
    assert "safety questions" in refused.json()["detail"]
    assert client.get("/api/safety").json()["screening_due"] is True
    page = client.get("/screening?next=/session")
    assert page.status_code == 200
    assert page.text.count('type="radio"') == 3 * len(default_rules().questions)
    assert "I&#39;m not sure" in page.text


def test_a_screening_must_answer_every_question(app_db):
    client, _ = app_db
    response = client.post("/api/screening", json={"answers": {"rf.fever": "no"}})
    assert response.status_code == 422
    assert "missing" in response.json()["detail"]
    form = client.post("/screening", data={"rf.fever": "maybe"})
    assert form.status_code == 422
    assert client.get("/api/safety").json()["screening_due"] is True


def test_a_cauda_equina_yes_blocks_every_entry_point(app_db):
    client, url = app_db
    make_program(client)
    screen(client)
    session = client.post("/api/sessions", json=PAIN).json()  # one started before
    answers = {q.id: "no" for q in default_rules().questions}
    answers["rf.saddle"] = "yes"
    response = client.post(
        "/screening", data={**answers, "next": "/session"}, follow_redirects=False
    )
    assert response.headers["location"] == "/safety/emergency"
    emergency = client.get("/safety/emergency")
    assert "Call 999 or go to an emergency department now" in emergency.text
    assert "Numbness around the genitals or back passage" in emergency.text
    # every page carries the banner
    for path in ("/", "/about", "/exercises/seated-leg-kick", "/sessions"):
        assert 'class="safety-banner tier-emergency"' in client.get(path).text
    # the form, the URL, the API and an in-progress session's player are all blocked
    assert client.get("/session", follow_redirects=False).headers["location"] == (
        "/safety/emergency"
    )
    assert (
        client.post(
            "/session", data={"pain_back": "1", "pain_leg": "1"}, follow_redirects=False
        ).headers["location"]
        == "/safety/emergency"
    )
    api = client.post("/api/sessions", json=PAIN)
    assert api.status_code == 403
    assert "Call 999" in api.json()["detail"]
    player = client.get(f"/session/{session['id']}", follow_redirects=False)
    assert player.headers["location"] == "/safety/emergency"
    # repetitions done before still save; the audit holds every refusal
    put = client.put(f"/api/sessions/{session['id']}/repetitions", json=rep(1))
    assert put.status_code == 201
    assert audit(url) == [
        ("screening", "emergency"),
        ("session_start:web", "emergency"),
        ("session_start:api", "emergency"),
    ]


def test_see_a_doctor_pauses_until_the_person_confirms(app_db):
    client, _url = app_db
    make_program(client)
    verdict = screen(client, rf_cancer="unsure")
    assert verdict["tier"] == "see_doctor"
    assert [f["rule_id"] for f in verdict["fired"]] == ["malignancy.history"]
    why = client.get("/safety/why")
    assert "A history of cancer" in why.text
    assert "I&#39;m not sure" in why.text
    assert 'data-source="henschke-2013"' in why.text
    assert client.post("/api/sessions", json=PAIN).status_code == 403
    assert client.post("/api/safety/seen-doctor", json={"confirm": False}).status_code == 422
    missing = client.post("/safety/seen-doctor", data={}, follow_redirects=False)
    assert missing.headers["location"] == "/safety/why?confirm=missing"
    done = client.post(
        "/safety/seen-doctor",
        data={"confirm": "yes", "note": "GP is happy"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/safety").json()["tier"] == "ok"
    assert client.post("/api/sessions", json=PAIN).status_code == 201
    # the same answer at the next screening stays cleared; a flip back to "yes" does not
    screen(client, rf_cancer="yes")
    assert client.get("/api/safety").json()["tier"] == "ok"
    screen(client)
    assert screen(client, rf_cancer="yes")["tier"] == "see_doctor"


def test_worse_after_exercise_twice_pauses_the_next_session(app_db):
    client, _url = app_db
    make_program(client)
    screen(client)
    for _ in range(2):
        session = client.post("/api/sessions", json=PAIN).json()
        client.post(
            f"/api/sessions/{session['id']}/finish",
            json={
                "status": "completed",
                "pain_after": {"back": 3, "leg": 7},
                "felt_worse": False,
                "spread": False,
            },
        )
    state = client.get("/api/safety").json()
    assert state["tier"] == "see_doctor"
    assert [f["rule_id"] for f in state["fired"]] == ["worsens.after-exercise"]
    refused = client.post("/api/sessions", json=PAIN)
    assert refused.status_code == 403
    assert "More pain after exercising" in refused.json()["detail"]
    assert 'class="safety-banner tier-see_doctor"' in client.get("/").text


def test_spread_down_the_leg_is_recorded_and_acted_on(app_db):
    client, _ = app_db
    make_program(client)
    screen(client)
    session = client.post("/api/sessions", json=PAIN).json()
    finished = client.post(
        f"/api/sessions/{session['id']}/finish",
        json={
            "status": "completed",
            "pain_after": {"back": 3, "leg": 5},
            "felt_worse": False,
            "spread": True,
        },
    ).json()
    assert finished["spread"] is True
    assert [f["rule_id"] for f in client.get("/api/safety").json()["fired"]] == ["worsens.spread"]


def test_the_public_rule_page_lists_every_rule_and_its_sources(app_db):
    client, _ = app_db
    page = client.get("/safety/rules")
    assert page.status_code == 200
    library = load_library()
    for rule in default_rules().rules:
        assert f'data-rule="{rule.id}"' in page.text
        for citation in rule.sources:
            library.source(citation.source)
            assert f'data-source="{citation.source}"' in page.text
    assert "Operational reading" in page.text
    assert "Where sources differ" in page.text


def test_the_api_serves_the_rule_set(app_db):
    client, _ = app_db
    body: dict[str, Any] = client.get("/api/safety/rules").json()
    assert body["version"] == default_rules().version
    assert len(body["rules"]) == len(default_rules().rules)


def test_a_program_needs_no_screening_but_a_session_does(app_db):
    client, _ = app_db
    assert (
        client.put("/api/program", json={"affected_leg": "left", "glides": [RAISE_000]}).status_code
        == 200
    )


def test_history_marks_worse_after_exercise_and_stops(app_db):
    client, _ = app_db
    make_program(client)
    screen(client)
    session = client.post("/api/sessions", json=PAIN).json()
    client.post(
        f"/api/sessions/{session['id']}/finish",
        json={
            "status": "completed",
            "pain_after": {"back": 3, "leg": 6},
            "felt_worse": False,
            "spread": False,
        },
    )
    page = client.get("/sessions").text
    assert '<li class="worse-after">worse after exercise</li>' in page


def test_a_diary_rising_while_exercising_pauses_sessions(app_db):
    """Diary entries can only be written for today, so the history is written to the
    database as earlier days would have left it."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    client, url = app_db
    make_program(client)
    screen(client)
    session = client.post("/api/sessions", json=PAIN).json()
    client.post(f"/api/sessions/{session['id']}/finish", json={"status": "completed"})
    today = datetime.now(UTC).date()
    engine = create_engine(url)
    with engine.begin() as connection:
        for days_ago, leg in zip(range(6, -1, -1), (3, 3, 3, 5, 6, 6, 6), strict=True):
            connection.execute(
                text(
                    "INSERT INTO diary_entry (entry_date, saved_at, back_pain, leg_pain,"
                    " numbness, weakness, reach, sleep_disturbed, patient_id) VALUES (:d, :s,"
                    " 2, :leg, 'none', 'none', '{}', false, :p)"
                ),
                {
                    "d": today - timedelta(days=days_ago),
                    "s": datetime.now(UTC),
                    "leg": leg,
                    "p": client.get("/api/me").json()["id"],
                },
            )
    engine.dispose()
    state = client.get("/api/safety").json()
    assert "worsens.diary-trend" in [f["rule_id"] for f in state["fired"]]
    assert client.post("/api/sessions", json=PAIN).status_code == 403
