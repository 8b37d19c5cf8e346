"""Backups of the database, and restoring them: ``nerveglide backup`` / ``restore``.

::

    info = backup(settings.effective_database_url, Path("nerveglide-2026-11-22.backup"))
    info = restore(url, Path("nerveglide-2026-11-22.backup"), force=False)

A SQLite database is copied with SQLite's online backup API (:mod:`.sqlite`), a
PostgreSQL one dumped with ``pg_dump --format=custom`` (:mod:`.postgres`); both work
while the app runs and writes, and give the database as of one moment. A backup holds
the schema revision it was made at; restore accepts any revision this version of
nerveglide knows, upgrades it to the newest, and never leaves a half-restored database.

Errors: :class:`~nerveglide.errors.InvalidInput` for a bad request (no such file, not a
backup, the other database's kind, a target that has data without ``force``),
:class:`~nerveglide.errors.ConfigurationError` when ``pg_dump``/``pg_restore`` are
missing, :class:`~nerveglide.errors.DatabaseError` when the work itself fails.
"""

from __future__ import annotations

from pathlib import Path

from nerveglide.errors import InvalidInput
from nerveglide.store.backup.common import BackupInfo, Kind, RestoreInfo, detect_kind
from nerveglide.store.backup.postgres import backup_postgres, restore_postgres
from nerveglide.store.backup.sqlite import backup_sqlite, restore_sqlite
from nerveglide.store.data_dir import sqlite_path

__all__ = ["BackupInfo", "RestoreInfo", "backup", "detect_kind", "restore"]

_NAMES: dict[Kind, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def backup(url: str, out: Path, *, force: bool = False) -> BackupInfo:
    """Write a backup of the database at ``url`` to the file ``out``.

    An existing ``out`` is refused unless ``force``; its directory must exist.
    """
    out = out.expanduser().absolute()
    if out.exists() and not force:
        raise InvalidInput(
            f"{out} already exists: choose a new name, or pass --force to replace it"
        )
    if out.exists() and not out.is_file():
        raise InvalidInput(f"{out} is not a file")
    if not out.parent.is_dir():
        raise InvalidInput(f"the folder {out.parent} does not exist")
    database = sqlite_path(url)
    if database is not None:
        if database == out:
            raise InvalidInput(f"{out} is the database itself: choose another file")
        return backup_sqlite(database, out)
    return backup_postgres(url, out)


def restore(url: str, source: Path, *, force: bool = False) -> RestoreInfo:
    """Replace the database at ``url`` with the backup file ``source``.

    Refuses a target that holds data unless ``force``, a file that is not a nerveglide
    backup of a known revision, and a backup of the other kind of database.
    """
    source = source.expanduser().absolute()
    kind = detect_kind(source)
    database = sqlite_path(url)
    configured: Kind = "sqlite" if database is not None else "postgresql"
    if kind != configured:
        raise InvalidInput(
            f"{source} is a {_NAMES[kind]} backup, but the configured database is "
            f"{_NAMES[configured]} (NERVEGLIDE_DATABASE_URL): restore it into a "
            f"{_NAMES[kind]} installation"
        )
    if database is not None:
        if database == source:
            raise InvalidInput(f"{source} is the database itself")
        return restore_sqlite(database, source, force=force)
    return restore_postgres(url, source, force=force)
