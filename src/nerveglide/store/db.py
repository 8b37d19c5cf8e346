"""Engines and sessions for SQLite and PostgreSQL.

SQLite gets, on every new connection: ``journal_mode=WAL`` (readers don't block the
writer), ``synchronous=FULL`` (a committed transaction survives power loss),
``foreign_keys=ON`` and ``busy_timeout=5000`` (wait up to 5 s for a lock instead of
failing at once).

A SQLite transaction takes the write lock before its first write: nerveglide emits
``BEGIN IMMEDIATE`` just before the first statement that is not a read (INSERT, UPDATE,
DELETE, DDL, SAVEPOINT), and everything from there to the commit is one transaction (DDL
included: migrations are atomic). The reads before it each see the latest commit, as
PostgreSQL's READ COMMITTED does. Why: a plain (deferred) ``BEGIN`` would take a
snapshot at the first read, and a transaction that then writes after another one has
committed fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy
timeout does not apply), which is what two patients saving at the same moment did.
Taking the lock with ``BEGIN IMMEDIATE`` waits for it instead (the busy timeout); doing
so only at the first write keeps reads (and a reader that opens a second unit of work
inside its own) from queueing behind writers. The writers of one process take turns at
the lock in the order they came (:mod:`nerveglide.store.write_turns`: SQLite's own busy
handler lets late writers overtake early ones).

What keeps an acknowledged write: the app answers a request only after its commit; in
WAL mode a commit is one atomic append to the WAL (a half-written transaction at its end
is ignored on the next open), so a killed process loses nothing it acknowledged
(``tests/integration/ops/test_sqlite_crash.py`` kills the app with SIGKILL mid-writes);
``synchronous=FULL`` makes the commit wait for an fsync of the WAL, so a power cut
doesn't either. Keep both.

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

On both, a write that fails because of where the data is kept (the disk is full, the file
system or file is read-only) raises :class:`~nerveglide.errors.DatabaseNotWritable`
naming the cause, from wherever it happens (a commit, a flush, a query): the
transaction is rolled back, and the same write works once the cause is gone.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from nerveglide.config import DB_MAX_OVERFLOW, DB_POOL_SIZE, normalize_database_url
from nerveglide.errors import (
    ConfigurationError,
    DatabaseError,
    DatabaseNotWritable,
    DatabaseUnavailable,
)
from nerveglide.store.data_dir import write_refused
from nerveglide.store.write_turns import TurnTakingConnection

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
    "sqlite_storage_cause",
]

#: Anything that makes a new :class:`Session`, such as the result of
#: :func:`make_session_factory`.
SessionFactory: TypeAlias = Callable[[], Session]

#: Connections a SQLite engine keeps open (see make_engine).
SQLITE_POOL_SIZE = 40
#: Run, in this order, on every new SQLite connection.
SQLITE_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", "5000"),
)
#: Seconds a SQLite write waits for its turn at the write lock: the busy timeout.
_SQLITE_TURN_TIMEOUT_S = int(dict(SQLITE_PRAGMAS)["busy_timeout"]) / 1000


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
    # nerveglide begins transactions itself (see _before_sqlite_statement): the sqlite3
    # module would begin a deferred one, and only before INSERT/UPDATE/DELETE (not DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for name, value in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {name}={value}")
    finally:
        cursor.close()


#: Statements that only read: they run outside a transaction until the first write.
_SQLITE_READS = ("SELECT", "PRAGMA", "EXPLAIN")


def _before_sqlite_statement(
    connection: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    """``BEGIN IMMEDIATE`` before the first write of a transaction (see the module doc)."""
    dbapi_connection = cursor.connection
    if dbapi_connection.in_transaction or statement.lstrip()[:7].upper().startswith(_SQLITE_READS):
        return
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    if isinstance(dbapi_connection, TurnTakingConnection):
        dbapi_connection.begin_immediate(_SQLITE_TURN_TIMEOUT_S)
    else:
        dbapi_connection.execute("BEGIN IMMEDIATE")


#: SQLite's primary result codes that mean the storage, not the statement, failed.
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 10, 13, 14
#: PostgreSQL's SQLSTATEs for the same: the server's disk is full; a read-only server.
_PG_STORAGE_CAUSES = {
    "53100": "the database server's disk is full",
    "25006": "the database server is read-only",
}
#: What a refused write in the data directory means, by errno.
_ERRNO_CAUSES = {
    errno.EROFS: "the file system holding the data directory is read-only",
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk full (quota)",
    errno.EACCES: "the data directory is not writable (permission denied)",
    errno.EPERM: "the data directory is not writable (permission denied)",
}
#: Below this much free space (bytes) a file system counts as full.
_NEARLY_FULL = 64 * 1024


def _filesystem_cause(directory: Path) -> str | None:
    """What keeps ``directory`` from being written, seen by trying (SQLite's error codes
    don't carry the errno): read-only, full, not permitted; None when nothing does."""
    refused = write_refused(directory)
    if refused is not None and refused.errno in _ERRNO_CAUSES:
        return _ERRNO_CAUSES[refused.errno]
    try:
        stats = os.statvfs(directory)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return _ERRNO_CAUSES[errno.EROFS]
    if stats.f_bavail * stats.f_frsize < _NEARLY_FULL:
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


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = DB_POOL_SIZE,
    max_overflow: int = DB_MAX_OVERFLOW,
) -> Engine:
    """An engine for a ``sqlite://`` or ``postgresql[+psycopg]://`` URL.

    For a SQLite file, its parent directory is created. ``postgresql://`` is read as
    ``postgresql+psycopg://``. Raises :class:`ConfigurationError` for any other scheme.
    ``pool_size`` and ``max_overflow``: PostgreSQL's connections kept open, and opened
    beyond them at a peak (closed when returned).
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
        # As many kept connections as the app's worker threads may use at once (anyio's
        # 40): an opened connection runs the pragmas, and one over the pool is closed.
        pool: dict[str, Any] = {}
        if path is not None:
            # Writers of this process queue for the write lock (store/write_turns.py).
            pool = {
                "pool_size": SQLITE_POOL_SIZE,
                "max_overflow": 8,
                "connect_args": {"factory": TurnTakingConnection},
            }
        engine = create_engine(sa_url, echo=echo, hide_parameters=True, **pool)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "before_cursor_execute", _before_sqlite_statement)
        directory = path.parent if path is not None else None
        event.listen(engine, "handle_error", _not_writable(directory), retval=True)
        return engine
    engine = create_engine(
        sa_url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}",
        },
    )
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
    """Turn SQLAlchemy's errors raised inside the block into :class:`DatabaseError`
    (:func:`as_database_error`)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise as_database_error(exc) from exc
