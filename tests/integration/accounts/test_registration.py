"""Registering and resetting a password tell nobody whether an address has an account
(OWASP ASVS 2.5 / 3.x account enumeration): the same page either way, the same work
before it, and the email (a link to confirm, or "you already have an account", or a
reset link) goes out through a real SMTP server (aiosmtpd) after the answer, so a slow
mail server does not give it away either. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import http.client
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import get_settings
from nerveglide.errors import InvalidInput
from nerveglide.services import accounts
from nerveglide.store import migrate
from nerveglide.store.db import SessionFactory
from tests.accounts import PASSWORD, add_account, form_token
from tests.e2e.conftest import cookies_of, form_post, start_server, stop_server
from tests.integration.accounts.conftest import App
from tests.integration.reminders.smtp import Inbox, smtp_server

TAKEN = "taken@example.org"
FRESH = "fresh@example.org"


def register_form(client: TestClient, email: str) -> Any:
    return client.post(
        "/register",
        data={"email": email, "password": PASSWORD, "display_name": "Robin",
              "csrf_token": form_token(client, "/register")},
    )  # fmt: skip


def _confirm_link(body: str) -> str:
    found = re.search(r"(/register/confirm\?token=\S+)", body)
    assert found is not None, body
    return found.group(1)


def test_registration_answers_the_same_and_the_emails_say_which(database_url: str, tmp_path: Path):
    migrate.upgrade(database_url)
    add_account(database_url, TAKEN)
    with smtp_server() as inbox:
        settings = get_settings(
            data_dir=tmp_path, database_url=database_url, env="test", smtp_host=inbox.host,
            smtp_port=inbox.port, smtp_starttls=False,
        )  # fmt: skip
        with App(settings, database_url).client() as client:
            taken = register_form(client, TAKEN)
            fresh = register_form(client, FRESH)
            assert taken.status_code == fresh.status_code == 200
            assert taken.text.replace(TAKEN, "ADDRESS") == fresh.text.replace(FRESH, "ADDRESS")
            assert "We have sent an email" in fresh.text
            assert "nerveglide_session" not in client.cookies  # nobody is logged in yet
            messages = {m["To"]: m for m in inbox.wait_for(2, timeout=10)}
            assert set(messages) == {TAKEN, FRESH}
            assert "already has one" in messages[TAKEN].get_content()
            assert "/password-reset" in messages[TAKEN].get_content()
            assert "/register/confirm" not in messages[TAKEN].get_content()
            link = _confirm_link(messages[FRESH].get_content())
            # Opening the link shows a button (a mail scanner's visit uses nothing up).
            page = client.get(link)
            assert "Confirm my account" in page.text
            token = link.split("token=", 1)[1]
            csrf = form_token(client, link)
            confirmed = client.post(
                "/register/confirm", data={"token": token, "csrf_token": csrf},
                follow_redirects=False,
            )  # fmt: skip
            assert confirmed.status_code == 303
            me = client.get("/api/me").json()
            assert (me["email"], me["role"], me["display_name"]) == (FRESH, "patient", "Robin")
        with App(settings, database_url).client() as other:  # the link again, elsewhere
            csrf = form_token(other, link)
            again = other.post("/register/confirm", data={"token": token, "csrf_token": csrf})
            assert again.status_code == 422
            assert "not valid" in again.text


def test_a_confirmation_link_expires_and_loses_to_an_account_made_meanwhile(
    app: App, session_factory: SessionFactory
):
    now = datetime.now(UTC)
    token = accounts.request_registration(
        session_factory, app.settings, email=FRESH, password=PASSWORD, display_name="",
        now=now,
    )  # fmt: skip
    assert token is not None
    with pytest.raises(InvalidInput, match="not valid"):
        accounts.confirm_registration(
            session_factory, token=token,
            now=now + timedelta(hours=app.settings.register_valid_hours, seconds=1),
        )  # fmt: skip
    second = accounts.request_registration(
        session_factory, app.settings, email=FRESH, password=PASSWORD, display_name="",
        now=now,
    )  # fmt: skip
    assert second is not None
    add_account(app.url, FRESH)  # an invitation, say, got there first
    with pytest.raises(InvalidInput, match="has an account already"):
        accounts.confirm_registration(session_factory, token=second, now=now)
    third = accounts.request_registration(
        session_factory, app.settings, email=FRESH, password=PASSWORD, display_name="",
        now=now,
    )  # fmt: skip
    assert third is None  # the owner gets "you already have an account" instead


class SlowInbox(Inbox):
    """A mail server that takes its time over every message."""

    delay_s: float = 3.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay_s)
        return await super().handle_DATA(server, session, envelope)


def _timed_form_post(base: str, path: str, fields: dict[str, str]) -> tuple[int, float]:
    host = urlparse(base)
    connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        pre_login = cookies_of(response)["nerveglide_csrf"]
        started = time.monotonic()
        status = form_post(connection, path, fields, pre_login).status
        return status, time.monotonic() - started
    finally:
        connection.close()


def test_no_answer_waits_for_the_mail_server(tmp_path: Path):
    """The real server (uvicorn) with a mail server that takes 3 s a message: registering
    and asking for a reset answer long before that, for a known address as for an unknown
    one, and the emails still arrive."""
    with smtp_server(SlowInbox) as inbox:
        server = start_server(
            tmp_path, NERVEGLIDE_SMTP_HOST=inbox.host, NERVEGLIDE_SMTP_PORT=str(inbox.port),
            NERVEGLIDE_SMTP_STARTTLS="false",
        )  # fmt: skip
        try:
            add_account(server.database_url, TAKEN)
            timings = {}
            for email in (TAKEN, FRESH):
                fields = {"email": email, "password": PASSWORD, "display_name": ""}
                timings[("register", email)] = _timed_form_post(server.url, "/register", fields)
                timings[("reset", email)] = _timed_form_post(
                    server.url, "/password-reset", {"email": email}
                )
            statuses = {status for status, _ in timings.values()}
            assert statuses == {200}, timings
            slowest = max(seconds for _, seconds in timings.values())
            assert slowest < SlowInbox.delay_s * 0.8, timings
            # register: TAKEN and FRESH; reset: TAKEN only (and the server's own patient
            # registered at start-up).
            arrived = inbox.wait_for(4, timeout=SlowInbox.delay_s * 6)
            to = sorted(str(m["To"]) for m in arrived if m["To"] in (TAKEN, FRESH))
            assert to == [FRESH, TAKEN, TAKEN], to
        finally:
            stop_server(server)
