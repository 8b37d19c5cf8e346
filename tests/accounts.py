"""Accounts for tests: make one straight in the database, and log a TestClient in."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text

from nerveglide.domain.accounts import Role
from nerveglide.services.accounts import create_account
from nerveglide.store.db import make_engine, make_session_factory

PASSWORD = "a long enough test passphrase"


def add_account(
    database_url: str,
    email: str,
    role: Role = "patient",
    *,
    clinician_id: int | None = None,
    password: str = PASSWORD,
) -> int:
    engine = make_engine(database_url)
    try:
        row = create_account(
            make_session_factory(engine),
            email=email,
            role=role,
            now=datetime.now(UTC),
            password=password,
            clinician_id=clinician_id,
        )
        return row.id
    finally:
        engine.dispose()


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token the form on ``path`` carries (as a browser would send it)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no CSRF token in the form of {path}"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form (with its pre-login CSRF token); API writes then carry the
    session's token in X-CSRF-Token. Returns that token."""
    client.headers.pop("X-CSRF-Token", None)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": form_token(client, "/login")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    token = str(client.get("/api/me").json()["csrf_token"])
    client.headers["X-CSRF-Token"] = token
    return token


def logged_in_patient(
    client: TestClient, database_url: str, email: str = "patient@example.org"
) -> int:
    """A new patient account, logged in on ``client``; returns its id."""
    patient_id = add_account(database_url, email)
    log_in(client, email)
    return patient_id


def register(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Register a self-guided patient through the form (logged in on ``client`` after),
    with API writes carrying the session's CSRF token."""
    registered = client.post(
        "/register",
        data={"email": email, "password": password,
              "csrf_token": form_token(client, "/register")},
        follow_redirects=False,
    )  # fmt: skip
    assert registered.status_code == 303, registered.text
    client.headers["X-CSRF-Token"] = str(client.get("/api/me").json()["csrf_token"])


def add_alert(database_url: str, patient_id: int, tier: str = "see_doctor") -> int:
    """An open alert for the patient's clinician, straight in the database; its id."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            return int(
                connection.execute(
                    text(
                        "INSERT INTO alert (patient_id, raised_at, kind, tier, message) "
                        "VALUES (:p, :t, 'safety', :tier, 'test alert') RETURNING id"
                    ),
                    {"p": patient_id, "t": datetime.now(UTC), "tier": tier},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def upload_video(client: TestClient, session_id: str) -> dict[str, object]:
    """Keep a (tiny, WebM-headed) video of the session; the recording's JSON."""
    response = client.post(
        f"/api/sessions/{session_id}/recordings",
        content=b"\x1a\x45\xdf\xa3" + b"\x00" * 64,
        headers={"Content-Type": "video/webm"},
    )
    assert response.status_code == 201, response.text
    recording: dict[str, object] = response.json()
    return recording
