"""Run the packaged Alembic migrations programmatically; no ``alembic.ini`` needed.

::

    upgrade(settings.effective_database_url)          # to the newest schema
    current(url)                                      # "0001", or None if never migrated
    current(url) == head()                            # the schema this version needs?
    downgrade(url, "base")                            # drop everything (tests)

Each call makes its own engine with :func:`~nerveglide.store.db.make_engine` and runs
all its migration steps in one transaction (on SQLite too, where DDL is transactional).
Failures raise :class:`~nerveglide.errors.DatabaseError` (the database failed) or
:class:`~nerveglide.errors.InvalidInput` (Alembic refused, e.g. an unknown revision).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine

from nerveglide.errors import DatabaseError, InvalidInput
from nerveglide.store.db import database_errors, make_engine

__all__ = [
    "MIGRATIONS_DIR",
    "DatabaseNotReady",
    "alembic_config",
    "current",
    "downgrade",
    "head",
    "known_revisions",
    "require_head",
    "revision_of",
    "revision_on",
    "upgrade",
]

#: The Alembic script directory shipped inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic :class:`Config` for the packaged migrations and the database at ``url``.

    Usable with any ``alembic.command`` function, e.g. ``command.revision(cfg,
    autogenerate=True, message=...)`` during development.
    """
    config = _packaged_config()
    # configparser interpolates "%": escape it (URL-encoded passwords contain it).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the newest)."""
    _run(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"``: empty)."""
    _run(url, lambda config: command.downgrade(config, revision))


def head() -> str:
    """The newest revision of the packaged migrations: what this version of nerveglide needs."""
    revision = ScriptDirectory.from_config(_packaged_config()).get_current_head()
    if revision is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return revision


def known_revisions() -> frozenset[str]:
    """Every revision of the packaged migrations (a database at one of them can be upgraded)."""
    script = ScriptDirectory.from_config(_packaged_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


class DatabaseNotReady(DatabaseError):
    """The database is not at the schema this version of nerveglide needs."""


def require_head(url: str) -> None:
    """Refuse to work on a database that has not been migrated to this version."""
    have, want = current(url), head()
    if have != want:
        raise DatabaseNotReady(
            f"the database is at migration {have or 'none'}, this version needs {want}: "
            "run `nerveglide db upgrade` first"
        )


def revision_of(connection: Connection) -> str | None:
    """The revision of the database behind an open connection (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def revision_on(engine: Engine) -> str | None:
    """The revision of the database behind an engine (one query on a pooled connection);
    raises :class:`~nerveglide.errors.DatabaseError` (or its ``DatabaseUnavailable``)."""
    with database_errors(), engine.connect() as connection:
        return revision_of(connection)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None when it was never migrated.

    For a SQLite URL whose file does not exist yet, this creates an empty database.
    """
    engine = make_engine(url)
    try:
        with database_errors(), engine.connect() as connection:
            return revision_of(connection)
    finally:
        engine.dispose()


def _packaged_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def _sqlite_pragma(connection: Connection, pragma: str) -> list[Any]:
    """Run a PRAGMA on the driver's connection, outside any transaction."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {pragma}")
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _run(url: str, action: Callable[[Config], None]) -> None:
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with database_errors(), engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite rebuilds a table to alter it (batch mode): with foreign keys on,
                # dropping the old table would delete (cascade) or refuse over the rows
                # that refer to it. Off for the migration (only outside a transaction),
                # then every reference is checked before the commit.
                _sqlite_pragma(connection, "foreign_keys=OFF")
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    action(config)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise DatabaseError(
                                f"migration: rows refer to rows that do not exist: {broken[:5]}"
                            )
            finally:
                if sqlite:
                    _sqlite_pragma(connection, "foreign_keys=ON")
    except CommandError as exc:
        raise InvalidInput(f"migration: {exc}") from exc
    finally:
        engine.dispose()
