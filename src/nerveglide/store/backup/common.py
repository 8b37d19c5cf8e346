"""What both kinds of backup share: recognising a file, its schema revision, "has data"."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from sqlalchemy import Engine, inspect, select, table

from nerveglide.errors import InvalidInput
from nerveglide.store import migrate

__all__ = [
    "BOOKKEEPING_TABLES",
    "BackupInfo",
    "Kind",
    "RestoreInfo",
    "check_revision",
    "detect_kind",
    "fsync_path",
    "tables_with_rows",
]

Kind: TypeAlias = Literal["sqlite", "postgresql"]

#: The first bytes of each kind of backup file.
_MAGIC: dict[bytes, Kind] = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "postgresql"}

#: Tables whose rows are not anybody's data: the schema revision, and the content
#: release every start of the app records. A database with rows only there is empty.
BOOKKEEPING_TABLES = frozenset({"alembic_version", "content_release"})


@dataclass(frozen=True)
class BackupInfo:
    """A backup made: which kind, where, of which schema revision, how many bytes."""

    kind: Kind
    path: Path
    revision: str
    size: int


@dataclass(frozen=True)
class RestoreInfo:
    """A restore done: the backup's revision, the one it was upgraded to, and whether a
    database with data was replaced."""

    kind: Kind
    source: Path
    backup_revision: str
    revision: str
    replaced_data: bool


def detect_kind(path: Path) -> Kind:
    """The kind of backup ``path`` holds, from its first bytes.

    Raises :class:`InvalidInput` when it is missing, not a file, or neither a SQLite
    database nor a ``pg_dump --format=custom`` archive.
    """
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise InvalidInput(f"{path} cannot be read: {exc.strerror or exc}") from None
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    raise InvalidInput(
        f"{path} is not a nerveglide backup: it is neither a SQLite database nor a "
        "PostgreSQL custom-format dump (what `nerveglide backup` writes)"
    )


def check_revision(revision: str | None, what: str) -> str:
    """``revision`` if this version of nerveglide can upgrade from it; else InvalidInput."""
    if revision is None:
        raise InvalidInput(
            f"{what} holds no nerveglide schema (no alembic_version revision): it is not "
            "a nerveglide database or backup"
        )
    if revision not in migrate.known_revisions():
        raise InvalidInput(
            f"{what} is at migration {revision!r}, which this version of nerveglide does "
            f"not know (it knows up to {migrate.head()}): restore it with the nerveglide "
            "that made it, or a newer one"
        )
    return revision


def tables_with_rows(engine: Engine) -> list[str]:
    """The tables holding at least one row, other than :data:`BOOKKEEPING_TABLES`."""
    with engine.connect() as connection:
        names = sorted(set(inspect(connection).get_table_names()) - BOOKKEEPING_TABLES)
        return [
            name
            for name in names
            if connection.execute(select(1).select_from(table(name)).limit(1)).first()
        ]


def fsync_path(path: Path) -> None:
    """Flush a file's (or a directory's entries') writes to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
