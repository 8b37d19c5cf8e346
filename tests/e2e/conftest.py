"""Browser tests: the real app served by uvicorn, driven in Debian's chromium by Playwright."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
)

from tests.conftest import fresh_postgres_database

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NERVEGLIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
MOBILE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def output_dir() -> Path:
    base = Path(os.environ.get("NERVEGLIDE_TEST_OUTPUT", REPO / "test-output"))
    path = base / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    database: str = ""
    """The server's database URL; empty: the SQLite file in ``data_dir``."""

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data_dir / 'nerveglide.db'}"


PATIENT_EMAIL = "patient@example.org"
PATIENT_PASSWORD = "a long enough test passphrase"


@dataclass(frozen=True)
class Login:
    """A patient's login on a test server: the session cookie and its CSRF token."""

    cookie_name: str
    cookie: str
    csrf: str


#: The registered patient of each running test server, by its base URL.
LOGINS: dict[str, Login] = {}


def cookies_of(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("set-cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def form_post(
    connection: http.client.HTTPConnection, path: str, fields: dict[str, str], pre_login: str
) -> http.client.HTTPResponse:
    connection.request(
        "POST",
        path,
        body=urlencode({**fields, "csrf_token": pre_login}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"nerveglide_csrf={pre_login}",
        },
    )
    response = connection.getresponse()
    response.read()
    return response


def register_patient(base: str, database_url: str, email: str = PATIENT_EMAIL) -> Login:
    """Register a self-guided patient through the real forms, as a browser would: the
    registration form, then the confirmation page of the emailed link (its token made
    as the form makes it, on the server's database)."""
    from nerveglide.store.db import make_engine, make_session_factory
    from tests.accounts import registration_token

    host = urlparse(base)
    connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=30)
    try:
        connection.request("GET", "/register")
        response = connection.getresponse()
        pre_login = cookies_of(response)["nerveglide_csrf"]
        response.read()
        fields = {"email": email, "password": PATIENT_PASSWORD, "display_name": "Test patient"}
        response = form_post(connection, "/register", fields, pre_login)
        assert response.status == 200, response.status
        engine = make_engine(database_url)
        try:
            token = registration_token(make_session_factory(engine), email, PATIENT_PASSWORD)
        finally:
            engine.dispose()
        response = form_post(connection, "/register/confirm", {"token": token}, pre_login)
        assert response.status == 303, response.status
        name, value = next(
            (k, v) for k, v in cookies_of(response).items() if k != "nerveglide_csrf" and v
        )
        connection.request("GET", "/api/me", headers={"Cookie": f"{name}={value}"})
        response = connection.getresponse()
        csrf = re.search(rb'"csrf_token":"([^"]+)"', response.read())
        assert csrf is not None
        return Login(name, value, csrf.group(1).decode())
    finally:
        connection.close()


def auth_headers(base: str) -> dict[str, str]:
    """Headers that make a urllib request the server's registered patient's."""
    login = LOGINS[base]
    return {"Cookie": f"{login.cookie_name}={login.cookie}", "X-CSRF-Token": login.csrf}


def patient_context(browser: Browser, base: str, **options: Any) -> BrowserContext:
    """A new browser context logged in as the server's registered patient."""
    context = browser.new_context(**options)
    login = LOGINS[base]
    context.add_cookies(
        [{"name": login.cookie_name, "value": login.cookie, "url": base, "httpOnly": True,
          "sameSite": "Lax"}]
    )  # fmt: skip
    return context


def start_server(data: Path, database_url: str = "", **env_extra: str) -> Server:
    """A real ``nerveglide serve`` on a free port, on ``database_url`` (by default its
    SQLite file under ``data``)."""
    env = {
        **os.environ,
        "NERVEGLIDE_DATA_DIR": str(data),
        "NERVEGLIDE_DATABASE_URL": database_url,
        **env_extra,
    }
    subprocess.run(
        [sys.executable, "-m", "nerveglide", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (data / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "nerveglide", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
            server = Server(base, data, process, database_url)
            LOGINS[base] = register_patient(base, server.database_url)
            return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise RuntimeError((data / "server.log").read_text()) from None
            time.sleep(0.2)


def stop_server(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One server for the browser tests on each database: its SQLite file, then a fresh
    PostgreSQL database (as ``database_url`` does for the other tests)."""
    data = tmp_path_factory.mktemp("e2e-data")
    with ExitStack() as stack:
        database = ""
        if request.param == "postgresql":
            database = stack.enter_context(
                fresh_postgres_database(request.getfixturevalue("postgres_server_url"))
            )
        running = start_server(data, database)
        try:
            yield running.url
        finally:
            stop_server(running)


@pytest.fixture
def fast_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own (fresh database) whose session clock runs 20 times faster."""
    running = start_server(tmp_path, NERVEGLIDE_CLOCK_SPEED="20")
    yield running
    stop_server(running)


@dataclass
class Watch:
    """What a page did that a test may object to."""

    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)


def watch(context: BrowserContext, expected_404: str | None = None) -> Watch:
    seen = Watch()

    def route(route_):
        host = urlparse(route_.request.url).hostname
        if route_.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route_.continue_()
        else:
            seen.foreign_requests.append(route_.request.url)
            route_.abort()

    context.route("**/*", route)

    def console(msg):
        if msg.type != "error":
            return
        if expected_404 and msg.location.get("url", "").endswith(expected_404):
            return  # the browser reports the 404 status of the page under test itself
        seen.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    context.on("console", console)
    context.on("weberror", lambda err: seen.console_errors.append(str(err.error)))
    return seen


@pytest.fixture
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    context = patient_context(browser, server, viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    page.close()
