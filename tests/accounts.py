"""Accounts for tests: make one straight in the database, and log a TestClient in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from nerveglide.config import get_settings
from nerveglide.domain.accounts import Role
from nerveglide.services.accounts import create_account, request_registration
from nerveglide.store.db import SessionFactory, make_engine, make_session_factory

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
    """Register a self-guided patient through the form, then open the emailed link's
    page and confirm (the token made as the form makes it: the email itself is tested in
    test_registration), logged in on ``client`` after, with API writes carrying the
    session's CSRF token."""
    sent = client.post(
        "/register",
        data={"email": email, "password": password,
              "csrf_token": form_token(client, "/register")},
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert "We have sent an email" in sent.text
    app: Any = client.app
    token = registration_token(app.state.session_factory, email, password)
    confirmed = client.post(
        "/register/confirm",
        data={"token": token, "csrf_token": form_token(client, f"/register/confirm?token={token}")},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    client.headers["X-CSRF-Token"] = str(client.get("/api/me").json()["csrf_token"])


def registration_token(
    session_factory: SessionFactory, email: str, password: str = PASSWORD
) -> str:
    """A registration token for ``email``, as the form makes one (the form's own went into
    an email; a second pending registration is as good)."""
    token = request_registration(
        session_factory, get_settings(env="test"), email=email, password=password,
        display_name="Test patient", now=datetime.now(UTC),
    )  # fmt: skip
    assert token is not None, f"{email} has an account already"
    return token


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
