"""What a deployment behind a load balancer relies on, on SQLite and PostgreSQL:
``/healthz`` and ``/readyz`` (the database answers, at this version's migration), a
request id in every response and on every JSON access-log line (which never carries a
query string, a password or a calendar address's secret), ``X-Forwarded-For`` believed
from the trusted proxies alone, and a clear 503 with ``Retry-After`` when the database
cannot do a write in time (a lock held too long), after which the same request works."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from nerveglide.config import Settings, get_settings
from nerveglide.errors import ConfigurationError
from nerveglide.json_logs import JsonFormatter
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import PASSWORD, logged_in_patient
from tests.integration.web.test_sessions_api import RAISE_000, screen

REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def _settings(database_url: str, tmp_path: Path, **more: Any) -> Settings:
    migrate.upgrade(database_url)
    return get_settings(data_dir=tmp_path, database_url=database_url, env="test", **more)


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(database_url, tmp_path))) as client:
        yield client


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The access log's lines, as the JSON the app writes."""
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(r)) for r in caplog.records if r.name == "nerveglide.access"
    ]


def all_lines(caplog: pytest.LogCaptureFixture) -> str:
    formatter = JsonFormatter()
    return "\n".join(formatter.format(r) for r in caplog.records)


def test_readiness_follows_the_database_migration(client: TestClient, database_url: str):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "migration": migrate.head(), "needs": migrate.head()}

    migrate.downgrade(database_url, "-1")  # an upgrade half done, say
    before = migrate.current(database_url)
    assert before != migrate.head()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "2"
    assert ready.json()["migration"] == before
    assert f"this version needs {migrate.head()}" in ready.json()["detail"]
    assert client.get("/healthz").status_code == 200  # alive, though not ready

    migrate.upgrade(database_url)
    assert client.get("/readyz").status_code == 200


def test_every_request_has_an_id_in_its_answer_and_its_log_line(
    client: TestClient, database_url: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="nerveglide.access")
    made = client.get("/about?ref=newsletter")
    given = client.get("/about", headers={"X-Request-ID": "lb-7f3a:42"})
    for bad in ("two words", "x" * 129, "semi;colon"):
        refused = client.get("/about", headers={"X-Request-ID": bad})
        assert REQUEST_ID.fullmatch(refused.headers["x-request-id"]), bad
    assert REQUEST_ID.fullmatch(made.headers["x-request-id"])
    assert given.headers["x-request-id"] == "lb-7f3a:42"
    patient_id = logged_in_patient(client, database_url)
    missing = client.get("/api/sessions/nothing-here")
    assert missing.status_code == 404

    lines = access_lines(caplog)
    first = next(line for line in lines if line["request_id"] == made.headers["x-request-id"])
    assert first["path"] == "/about"  # no query string
    assert first["method"] == "GET"
    assert first["status"] == 200
    assert first["level"] == "info"
    assert first["message"] == "request"
    assert isinstance(first["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])
    assert "account_id" not in first
    assert any(line["request_id"] == "lb-7f3a:42" for line in lines)
    answered = next(line for line in lines if line["path"] == "/api/sessions/nothing-here")
    assert answered["status"] == 404
    assert answered["account_id"] == patient_id
    assert answered["request_id"] == missing.headers["x-request-id"]
    logins = [line for line in lines if line["path"] == "/login" and line["method"] == "POST"]
    assert [line["status"] for line in logins] == [303]
    assert "newsletter" not in all_lines(caplog)
    assert PASSWORD not in all_lines(caplog)


def test_a_calendar_address_s_secret_stays_out_of_the_log(
    client: TestClient, database_url: str, caplog: pytest.LogCaptureFixture
):
    logged_in_patient(client, database_url)
    page = client.post("/reminders/feeds").text
    found = re.search(r"/reminders/calendar/([^\"<]+)\.ics", page)
    assert found is not None
    caplog.set_level(logging.INFO, logger="nerveglide.access")
    client.cookies.clear()
    assert client.get(found.group(0)).status_code == 200
    assert found.group(1) not in all_lines(caplog)
    [line] = [line for line in access_lines(caplog) if "calendar" in line["path"]]
    assert line["path"] == "/reminders/calendar/{name}"


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8", ""])
def test_x_forwarded_for_is_believed_from_a_trusted_proxy_alone(
    trusted: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    url = f"sqlite:///{tmp_path / 'nerveglide.db'}"
    app = create_app(_settings(url, tmp_path, trusted_proxies=trusted))
    caplog.set_level(logging.INFO, logger="nerveglide.access")
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    with TestClient(app, client=("127.0.0.1", 40000)) as via_proxy:
        via_proxy.get("/about", headers=forwarded)
    with TestClient(app, client=("192.0.2.1", 40000)) as from_elsewhere:
        from_elsewhere.get("/about", headers=forwarded)
    clients = [line["client"] for line in access_lines(caplog)]
    assert clients == ["203.0.113.7" if trusted else "127.0.0.1", "192.0.2.1"]


def test_a_trusted_proxy_must_be_an_address():
    with pytest.raises(ConfigurationError, match="NERVEGLIDE_TRUSTED_PROXIES: 'nginx'"):
        get_settings(trusted_proxies="127.0.0.1, nginx")


class RowLock:
    """Another connection holding the session's row (PostgreSQL) or the write lock
    (SQLite) until released."""

    def __init__(self, database_url: str, session_id: str) -> None:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            self._sqlite = sqlite3.connect(str(url.database), isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
            self._pg: psycopg.Connection[Any] | None = None
        else:
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = psycopg.connect(dsn)
            self._pg.execute(
                "SELECT id FROM exercise_session WHERE id = %s FOR UPDATE", (session_id,)
            )

    def release(self) -> None:
        if self._pg is not None:
            self._pg.rollback()
            self._pg.close()
        else:
            self._sqlite.rollback()
            self._sqlite.close()


def test_a_write_that_cannot_have_its_lock_in_time_gets_503_and_can_be_sent_again(
    client: TestClient, database_url: str
):
    logged_in_patient(client, database_url)
    screen(client)
    program = client.put("/api/program", json={"affected_leg": "right", "glides": [RAISE_000]})
    assert program.status_code == 200, program.text
    session_id = client.post("/api/sessions", json={"pain_before": {"back": 2, "leg": 3}}).json()[
        "id"
    ]
    rep = {
        "exercise_id": "seated-leg-raise",
        "leg": "right",
        "set_no": 1,
        "rep_no": 1,
        "attempt": 1,
        "started_at": "2026-01-05T10:00:00+00:00",
        "ended_at": "2026-01-05T10:00:06+00:00",
    }
    lock = RowLock(database_url, session_id)
    try:
        refused = client.put(f"/api/sessions/{session_id}/repetitions", json=rep)
    finally:
        lock.release()
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["detail"].startswith("The database is not answering just now")
    assert REQUEST_ID.fullmatch(refused.headers["x-request-id"])
    assert client.get(f"/api/sessions/{session_id}").json()["repetitions"] == []

    again = client.put(f"/api/sessions/{session_id}/repetitions", json=rep)
    assert again.status_code == 201, again.text
    assert client.put(f"/api/sessions/{session_id}/repetitions", json=rep).status_code == 200
    assert len(client.get(f"/api/sessions/{session_id}").json()["repetitions"]) == 1
