"""Shared fixtures.

Databases: a test that takes ``database_url`` (or ``session_factory``) runs twice, on a
fresh SQLite file and on a fresh PostgreSQL database. The PostgreSQL server comes from
``NERVEGLIDE_TEST_POSTGRES_URL``; ``make test`` sets it by running
``scripts/test-postgres.sh``. Without it the PostgreSQL runs fail: they are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from nerveglide.config import normalize_database_url
from nerveglide.store.db import SessionFactory, make_engine, make_session_factory
from nerveglide.store.migrate import upgrade

POSTGRES_URL_VAR = "NERVEGLIDE_TEST_POSTGRES_URL"

_HOW_TO_GET_POSTGRES = (
    "run `make test`, or start a server with `scripts/test-postgres.sh` and run: "
    f'{POSTGRES_URL_VAR}="$(scripts/test-postgres.sh | tail -n 1)" .venv/bin/pytest'
)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of the PostgreSQL test server (a superuser, any database), checked once."""
    url = os.environ.get(POSTGRES_URL_VAR, "").strip()
    if not url:
        pytest.fail(f"{POSTGRES_URL_VAR} is not set; {_HOW_TO_GET_POSTGRES}", pytrace=False)
    try:
        url = normalize_database_url(url)
    except ValueError as exc:
        pytest.fail(f"{POSTGRES_URL_VAR}: {exc}", pytrace=False)
    if make_url(url).get_backend_name() != "postgresql":
        pytest.fail(f"{POSTGRES_URL_VAR} must be a postgresql:// URL", pytrace=False)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        pytest.fail(
            f"cannot connect to {POSTGRES_URL_VAR} ({exc.__class__.__name__}); "
            f"{_HOW_TO_GET_POSTGRES}",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return url


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server (its URL), dropped after."""
    name = f"nerveglide_test_{secrets.token_hex(6)}"
    admin = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                # FORCE: engines a test forgot to dispose must not keep the database alive.
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    with fresh_postgres_database(postgres_server_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        directory = tmp_path_factory.mktemp("sqlite")
        yield f"sqlite:///{directory / 'nerveglide.db'}"
    else:
        yield request.getfixturevalue("postgres_database_url")


@pytest.fixture
def session_factory(database_url: str) -> Iterator[SessionFactory]:
    """Sessions on the ``database_url`` database, migrated to the newest schema."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


# --- one Playwright and one chromium for every browser test of the session ---------------
# (two sync Playwright instances cannot run at once in one process)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()
