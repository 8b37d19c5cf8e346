"""Back up and restore a SQLite database with SQLite's online backup API.

Backup copies every page in one step, inside one read transaction of the source: the
copy is the database as of one commit, and in WAL mode the app keeps writing meanwhile
(readers don't block the writer). The copy is written beside ``OUT``, switched to a
plain rollback journal (one self-contained file), checked with ``PRAGMA
integrity_check``, flushed to disk and only then renamed to ``OUT``.

Restore copies the backup into a temporary file beside the database, checks it, upgrades
it to this version's schema, and then copies it into the database with the backup API
again: that is one write transaction on the database, so it ends with either all of the
backup or all of what was there (never half of each), and a running app sees the new
data at its next transaction. The database file is never renamed or deleted, so its WAL
can't be mistaken for the new file's.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from nerveglide.errors import DatabaseError, InvalidInput
from nerveglide.store import migrate
from nerveglide.store.backup.common import (
    BackupInfo,
    RestoreInfo,
    check_revision,
    fsync_path,
    tables_with_rows,
)
from nerveglide.store.db import make_engine

__all__ = ["backup_sqlite", "restore_sqlite"]

#: Seconds to wait for the app's write lock before giving up.
_LOCK_TIMEOUT = 30.0


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        uri = f"file:{quote(str(path))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=_LOCK_TIMEOUT)
    else:
        connection = sqlite3.connect(path, timeout=_LOCK_TIMEOUT)
    connection.isolation_level = None  # no implicit BEGIN: each statement on its own
    return connection


def _revision(connection: sqlite3.Connection) -> str | None:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if found is None:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _integrity_problems(connection: sqlite3.Connection) -> list[str]:
    rows = [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _copy(source: sqlite3.Connection, copy: sqlite3.Connection) -> tuple[list[str], str | None]:
    """Copy every page of ``source`` into ``copy`` in one step (one consistent snapshot,
    one write transaction); the copy's integrity problems and schema revision."""
    source.backup(copy)
    return _integrity_problems(copy), _revision(copy)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@contextmanager
def _scratch(beside: Path, label: str) -> Iterator[Path]:
    """A path for a temporary database in ``beside``'s directory, removed afterwards."""
    path = beside.with_name(f".{beside.name}.{label}-{secrets.token_hex(4)}")
    try:
        yield path
    finally:
        _remove(path)


def backup_sqlite(database: Path, out: Path) -> BackupInfo:
    """Copy the SQLite database at ``database`` to ``out`` (consistent, while in use)."""
    if not database.is_file():
        raise InvalidInput(
            f"there is no SQLite database at {database}: nothing to back up "
            "(check NERVEGLIDE_DATA_DIR or NERVEGLIDE_DATABASE_URL)"
        )
    with _scratch(out, "partial") as partial:
        try:
            with closing(_connect(database)) as source, closing(_connect(partial)) as copy:
                problems, found = _copy(source, copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        except sqlite3.Error as exc:
            raise DatabaseError(f"backup of {database} failed: {exc}") from exc
        revision = check_revision(found, f"the database {database}")
        if problems:
            raise DatabaseError(
                f"the copy of {database} fails PRAGMA integrity_check ({'; '.join(problems[:3])});"
                " the database itself may be damaged: nothing was written to " + str(out)
            )
        fsync_path(partial)
        partial.replace(out)
    fsync_path(out.parent)
    return BackupInfo("sqlite", out, revision, out.stat().st_size)


def _has_data(database: Path) -> list[str]:
    if not database.exists():
        return []
    engine = make_engine(f"sqlite:///{database}")
    try:
        return tables_with_rows(engine)
    finally:
        engine.dispose()


def restore_sqlite(database: Path, source: Path, *, force: bool = False) -> RestoreInfo:
    """Replace the SQLite database at ``database`` with the backup ``source``.

    Refuses (:class:`InvalidInput`) when ``database`` has data and ``force`` is False,
    and when ``source`` is damaged or not a nerveglide database of a known revision.
    """
    holding = _has_data(database)
    if holding and not force:
        raise InvalidInput(
            f"the database {database} already has data (in {', '.join(holding[:4])}"
            f"{', ...' if len(holding) > 4 else ''}): restoring would replace it. Back it "
            "up first (nerveglide backup FILE), then restore with --force"
        )
    with _scratch(database, "restore") as scratch:
        try:
            with (
                closing(_connect(source, read_only=True)) as backup,
                closing(_connect(scratch)) as copy,
            ):
                problems, revision = _copy(backup, copy)
        except sqlite3.Error as exc:
            raise InvalidInput(f"{source} is not a usable SQLite database: {exc}") from None
        if problems:
            raise InvalidInput(
                f"{source} is damaged (PRAGMA integrity_check: {'; '.join(problems[:3])})"
            )
        backup_revision = check_revision(revision, str(source))
        migrate.upgrade(f"sqlite:///{scratch}")
        created = not database.exists()
        try:
            with closing(_connect(scratch)) as upgraded, closing(_connect(database)) as target:
                # One write transaction on the database: all of the backup, or nothing.
                problems, now = _copy(upgraded, target)
                target.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            if created:
                _remove(database)
            raise DatabaseError(f"restore into {database} failed: {exc}") from exc
    if problems or now is None:
        raise DatabaseError(
            f"the restored database {database} fails PRAGMA integrity_check: "
            + "; ".join(problems[:3])
        )
    return RestoreInfo("sqlite", source, backup_revision, now, replaced_data=bool(holding))
