"""Engines and sessions for SQLite and PostgreSQL.

SQLite gets, on every new connection: ``journal_mode=WAL`` (readers don't block the
writer), ``synchronous=FULL`` (a committed transaction survives power loss),
``foreign_keys=ON`` and ``busy_timeout=5000`` (wait up to 5 s for a lock instead of
failing at once). SQLAlchemy, not the ``sqlite3`` module, emits ``BEGIN``, so a
transaction covers reads as well as writes and DDL (migrations are atomic).

PostgreSQL gets ``pool_pre_ping`` so a restarted server doesn't break the first
request after it, a connect timeout (:data:`CONNECT_TIMEOUT_S`), a bounded wait for a
free pooled connection (:data:`POOL_TIMEOUT_S`) and for a lock (``lock_timeout``, as
SQLite's ``busy_timeout``), so that a request never hangs on a database that is down or
on a row another transaction holds. Statements' parameters (which hold health data) are
kept out of error messages and logs (``hide_parameters``), on both databases.

When the database fails, :func:`database_errors` (and :func:`as_database_error` for an
error caught elsewhere) turn SQLAlchemy's error into a :class:`DatabaseError`, or into a
:class:`DatabaseUnavailable` when it is the kind that goes away by itself: the server is
restarting or unreachable, a connection broke, no pooled connection came free in time, a
lock (SQLite) or a serialization conflict or deadlock (PostgreSQL) got in the way. The web
app answers those with 503 and ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from nerveglide.config import normalize_database_url
from nerveglide.errors import ConfigurationError, DatabaseError, DatabaseUnavailable

__all__ = [
    "CONNECT_TIMEOUT_S",
    "LOCK_TIMEOUT_MS",
    "POOL_TIMEOUT_S",
    "SQLITE_PRAGMAS",
    "DriverError",
    "SessionFactory",
    "as_database_error",
    "database_error_of",
    "database_errors",
    "is_transient",
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


#: The base class of what SQLAlchemy raises: where no :func:`database_errors` block turned
#: it into a :class:`DatabaseError` (a query outside a unit of work's commit), the web
#: catches this and calls :func:`as_database_error`.
DriverError = SQLAlchemyError

#: Seconds to wait for a PostgreSQL server to accept a new connection.
CONNECT_TIMEOUT_S = 5
#: Seconds a request waits for a free connection of the pool before giving up.
POOL_TIMEOUT_S = 10

#: Milliseconds a PostgreSQL statement waits for a lock (SQLite: busy_timeout).
LOCK_TIMEOUT_MS = 5000

#: PostgreSQL error codes (SQLSTATE) of failures that go away by themselves: connection
#: exceptions (08...), the server shutting down or starting up (57P01-57P03), too many
#: connections (53300), a lock not had in time (55P03), a serialization failure (40001)
#: or deadlock (40P01).
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "55P03", "40001", "40P01")
#: SQLite messages of failures that go away by themselves (another writer held the lock
#: longer than busy_timeout).
_TRANSIENT_SQLITE = ("database is locked", "database table is locked", "database is busy")


def is_transient(exc: BaseException) -> bool:
    """Is ``exc`` a database failure that goes away by itself (see the module docstring)?"""
    if isinstance(exc, PoolTimeoutError | DisconnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    module = type(orig).__module__
    if module.startswith("psycopg"):
        sqlstate = getattr(orig, "sqlstate", None)
        # No SQLSTATE: the client library itself lost or could not open the connection.
        if sqlstate is None:
            return type(orig).__name__ in ("OperationalError", "InterfaceError")
        return str(sqlstate).startswith(_TRANSIENT_SQLSTATES)
    if module.startswith("sqlite3"):
        return str(orig).lower().startswith(_TRANSIENT_SQLITE)
    return False


def as_database_error(exc: SQLAlchemyError) -> DatabaseError:
    """The :class:`DatabaseError` (or :class:`DatabaseUnavailable`) for SQLAlchemy's error.

    The message is the driver's (e.g. ``UNIQUE constraint failed: ...``), without the
    SQL statement and its parameters."""
    cause = getattr(exc, "orig", None) or exc
    reason = f"{type(cause).__name__}: {cause}".strip()
    if is_transient(exc):
        # The reason is for logs and the command line; the web shows the default message.
        return DatabaseUnavailable(f"{DatabaseUnavailable.default_message} ({reason})")
    return DatabaseError(reason)


def database_error_of(exc: BaseException) -> DatabaseError | None:
    """``exc`` as a :class:`DatabaseError` when it is one or comes from the database
    (SQLAlchemy), else None."""
    if isinstance(exc, DatabaseError):
        return exc
    if isinstance(exc, SQLAlchemyError):
        return as_database_error(exc)
    return None


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
        engine = create_engine(sa_url, echo=echo, hide_parameters=True)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(
        sa_url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}",
        },
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``.

    ``expire_on_commit=False``: objects a service returns keep their loaded attributes
    after its unit of work has committed and closed the session.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn SQLAlchemy's errors raised inside the block into :class:`DatabaseError`
    (:func:`as_database_error`)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise as_database_error(exc) from exc
