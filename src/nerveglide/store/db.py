"""Engines and sessions for SQLite and PostgreSQL.

SQLite gets, on every new connection: ``journal_mode=WAL`` (readers don't block the
writer), ``synchronous=FULL`` (a committed transaction survives power loss),
``foreign_keys=ON`` and ``busy_timeout=5000`` (wait up to 5 s for a lock instead of
failing at once). SQLAlchemy, not the ``sqlite3`` module, emits ``BEGIN``, so a
transaction covers reads as well as writes and DDL (migrations are atomic).

PostgreSQL gets ``pool_pre_ping`` so a restarted server doesn't break the first
request after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from nerveglide.config import normalize_database_url
from nerveglide.errors import ConfigurationError, DatabaseError

__all__ = [
    "SQLITE_PRAGMAS",
    "SessionFactory",
    "database_errors",
    "make_engine",
    "make_session_factory",
]

#: Anything that makes a new :class:`Session`, such as the result of
#: :func:`make_session_factory`.
SessionFactory: TypeAlias = Callable[[], Session]

#: Run, in this order, on every new SQLite connection.
SQLITE_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", "5000"),
)


def _sqlite_file(database: str | None) -> Path | None:
    """The file a SQLite URL's database part names, or None for an in-memory one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _on_sqlite_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy emit BEGIN (see _on_sqlite_begin): the sqlite3 module otherwise
    # begins only before INSERT/UPDATE/DELETE, so reads and DDL run outside transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for name, value in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {name}={value}")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for a ``sqlite://`` or ``postgresql[+psycopg]://`` URL.

    For a SQLite file, its parent directory is created. ``postgresql://`` is read as
    ``postgresql+psycopg://``. Raises :class:`ConfigurationError` for any other scheme.
    """
    try:
        sa_url = make_url(normalize_database_url(url))
    except (ValueError, ArgumentError) as exc:
        raise ConfigurationError(f"database URL: {exc}") from None
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_file(sa_url.database)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sa_url, echo=echo)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(sa_url, echo=echo, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``.

    ``expire_on_commit=False``: objects a service returns keep their loaded attributes
    after its unit of work has committed and closed the session.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn SQLAlchemy's errors raised inside the block into :class:`DatabaseError`.

    The message is the driver's (e.g. ``UNIQUE constraint failed: ...``), without the
    SQL statement and its parameters.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"{type(cause).__name__}: {cause}".strip()) from exc
