"""Engines and sessions for SQLite and PostgreSQL.

SQLite gets, on every new connection: ``journal_mode=WAL`` (readers don't block the
writer), ``synchronous=FULL`` (a committed transaction survives power loss),
``foreign_keys=ON`` and ``busy_timeout=5000`` (wait up to 5 s for a lock instead of
failing at once). SQLAlchemy, not the ``sqlite3`` module, emits ``BEGIN``, so a
transaction covers reads as well as writes and DDL (migrations are atomic).

WAL with ``synchronous=FULL`` is what keeps an acknowledged write: a commit returns only
once its WAL frames are on disk (fsync), and the app answers a request only after its
commit, so neither a killed process nor a power cut loses what a client was told is
saved, and a half-written transaction at the end of the WAL is ignored on the next open
(``tests/integration/ops/test_sqlite_crash.py`` kills the app with SIGKILL mid-writes).

PostgreSQL gets ``pool_pre_ping`` so a restarted server doesn't break the first
request after it.

On both, a write that fails because of where the data is kept (the disk is full, the file
system or file is read-only) raises :class:`~nerveglide.errors.DatabaseNotWritable`
naming the cause, from wherever it happens (a commit, a flush, a query): the
transaction is rolled back, and the same write works once the cause is gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from nerveglide.config import normalize_database_url
from nerveglide.errors import ConfigurationError, DatabaseError, DatabaseNotWritable

__all__ = [
    "SQLITE_PRAGMAS",
    "SessionFactory",
    "database_errors",
    "make_engine",
    "make_session_factory",
    "sqlite_storage_cause",
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


#: SQLite's primary result codes that mean the storage, not the statement, failed.
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 10, 13, 14
#: PostgreSQL's SQLSTATEs for the same: the server's disk is full; a read-only server.
_PG_STORAGE_CAUSES = {
    "53100": "the database server's disk is full",
    "25006": "the database server is read-only",
}
#: Below this much free space (bytes) a file system counts as full.
_NEARLY_FULL = 64 * 1024


def _filesystem_cause(directory: Path) -> str | None:
    """ "read-only" or "full" when the file system holding ``directory`` is, else None."""
    try:
        stats = os.statvfs(directory)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return "the file system holding the data directory is read-only"
    if stats.f_bfree * stats.f_frsize < _NEARLY_FULL:
        return "disk full"
    return None


def sqlite_storage_cause(error: BaseException, directory: Path | None) -> str | None:
    """Why a ``sqlite3`` error happened, when the cause is the storage; else None."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    primary = code & 0xFF
    if primary not in (_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN):
        return None
    seen = _filesystem_cause(directory) if directory is not None else None
    if seen is not None:
        return seen
    return {
        _SQLITE_FULL: "disk full",
        _SQLITE_READONLY: "the database file is read-only",
        _SQLITE_CANTOPEN: "the database file could not be opened",
    }.get(primary, f"disk I/O error ({getattr(error, 'sqlite_errorname', code)})")


def _not_writable(directory: Path | None) -> Callable[[ExceptionContext], BaseException | None]:
    def handle_error(context: ExceptionContext) -> BaseException | None:
        if context.is_pre_ping:
            return None
        error = context.original_exception
        if context.dialect.name == "sqlite":
            cause = sqlite_storage_cause(error, directory)
        else:
            cause = _PG_STORAGE_CAUSES.get(str(getattr(error, "sqlstate", "")))
        if cause is None:
            return None
        return DatabaseNotWritable(f"the database could not be written: {cause}")

    return handle_error


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
        directory = path.parent if path is not None else None
        event.listen(engine, "handle_error", _not_writable(directory), retval=True)
        return engine
    engine = create_engine(sa_url, echo=echo, pool_pre_ping=True)
    event.listen(engine, "handle_error", _not_writable(None), retval=True)
    return engine


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
