"""Back up and restore a PostgreSQL database with ``pg_dump`` and ``pg_restore``.

Backup is ``pg_dump --format=custom``: one transaction's snapshot, taken while the app
keeps writing, written beside ``OUT`` and renamed to it once complete.

Restore never works on the database itself until the end: it restores the archive into a
new temporary database on the same server (``pg_restore --single-transaction``), checks
its schema revision, upgrades it to this version's, and then swaps the two names in one
transaction (the old database is renamed away, the new one takes its name), so the
database is always either the old one or the restored one. The old one is then
dropped. Connections to the old database are closed for the swap (the app reconnects
by itself). The database user needs the CREATEDB privilege and must own the database.

The programs are looked up on ``PATH``, then under ``/usr/lib/postgresql/*/bin``
(Debian's layout, newest version first); :func:`find_pg_tool` says when neither has them.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from nerveglide.config import normalize_database_url
from nerveglide.errors import ConfigurationError, DatabaseError, InvalidInput
from nerveglide.store import migrate
from nerveglide.store.backup.common import (
    BackupInfo,
    RestoreInfo,
    check_revision,
    fsync_path,
    tables_with_rows,
)
from nerveglide.store.db import database_errors, make_engine

__all__ = ["PG_LIB_DIRS", "backup_postgres", "find_pg_tool", "restore_postgres"]

#: Where Debian installs each PostgreSQL version's programs.
PG_LIB_DIRS = "/usr/lib/postgresql/*/bin"

#: How many times the name swap is tried while connections to the old database close.
_SWAP_TRIES = 40


def find_pg_tool(name: str, *, search_path: str | None = None, lib_dirs: str = PG_LIB_DIRS) -> Path:
    """The ``pg_dump`` or ``pg_restore`` program to run.

    ``search_path`` is a ``PATH``-style list (default: the environment's); ``lib_dirs``
    a glob of further directories, the highest version first. Raises
    :class:`ConfigurationError` naming both places when the program is in neither.
    """
    found = shutil.which(name, path=search_path)
    if found:
        return Path(found)

    def version(directory: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name))

    root = Path(lib_dirs).anchor or "/"
    for directory in sorted(Path(root).glob(lib_dirs.lstrip("/")), key=version, reverse=True):
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ConfigurationError(
        f"{name} was not found on PATH nor in {lib_dirs}: backing up and restoring a "
        "PostgreSQL database needs PostgreSQL's client programs (on Debian: "
        "apt-get install postgresql-client)"
    )


def _url(url: str) -> URL:
    return make_url(normalize_database_url(url))


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment that carries it
    (so it never shows in the process list)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(
    program: Path, args: Sequence[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), *args], capture_output=True, text=True, env=env, check=False
    )


def _last_lines(output: str, count: int = 3) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no message"


def backup_postgres(url: str, out: Path) -> BackupInfo:
    """Dump the PostgreSQL database at ``url`` to ``out`` (custom format)."""
    pg_dump = find_pg_tool("pg_dump")
    sa_url = _url(url)
    shown = sa_url.render_as_string(hide_password=True)
    revision = check_revision(migrate.current(url), f"the database {shown}")
    uri, env = _libpq(sa_url)
    partial = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
    try:
        dumped = _run(pg_dump, ["--format=custom", f"--file={partial}", f"--dbname={uri}"], env)
        if dumped.returncode != 0:
            raise DatabaseError(f"pg_dump of {shown} failed: {_last_lines(dumped.stderr)}")
        fsync_path(partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    fsync_path(out.parent)
    return BackupInfo("postgresql", out, revision, out.stat().st_size)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql(admin: Engine, statement: str, **params: str) -> object:
    """Run one statement on the server's maintenance database (autocommit); its first row."""
    with admin.connect() as connection:
        result = connection.execute(text(statement), params)
        return result.first() if result.returns_rows else None


def _database_exists(admin: Engine, name: str) -> bool:
    return _sql(admin, "SELECT 1 FROM pg_database WHERE datname = :name", name=name) is not None


def _has_data(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with database_errors():
            return tables_with_rows(engine)
    finally:
        engine.dispose()


def _check_archive(pg_restore: Path, source: Path, env: dict[str, str]) -> None:
    listed = _run(pg_restore, ["--list", str(source)], env)
    if listed.returncode != 0:
        raise InvalidInput(
            f"{source} is not a backup pg_restore can read: {_last_lines(listed.stderr)}"
        )
    if not re.search(r"^\d+; .*\bTABLE DATA \S+ alembic_version\b", listed.stdout, re.MULTILINE):
        raise InvalidInput(
            f"{source} is not a nerveglide backup: it has no alembic_version table "
            "(no nerveglide schema)"
        )


def _swap(admin: Engine, server: URL, target: str, restored: str) -> None:
    """Give ``restored`` the name ``target`` in one transaction; drop the old ``target``."""
    old = f"{target[:40]}_replaced_{secrets.token_hex(4)}"
    _sql(admin, f"ALTER DATABASE {_quote(target)} WITH ALLOW_CONNECTIONS false")
    swapper = create_engine(server, poolclass=NullPool)
    try:
        for attempt in range(_SWAP_TRIES):
            _sql(
                admin,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()",
                name=target,
            )
            try:
                with swapper.begin() as connection:
                    connection.execute(
                        text(f"ALTER DATABASE {_quote(target)} RENAME TO {_quote(old)}")
                    )
                    connection.execute(
                        text(f"ALTER DATABASE {_quote(restored)} RENAME TO {_quote(target)}")
                    )
                break
            except SQLAlchemyError:
                if attempt == _SWAP_TRIES - 1:
                    raise
                time.sleep(0.25)  # terminated connections are still closing
    except BaseException:
        _sql(admin, f"ALTER DATABASE {_quote(target)} WITH ALLOW_CONNECTIONS true")
        raise
    finally:
        swapper.dispose()
    _sql(admin, f"DROP DATABASE IF EXISTS {_quote(old)} WITH (FORCE)")


def restore_postgres(url: str, source: Path, *, force: bool = False) -> RestoreInfo:
    """Replace the PostgreSQL database at ``url`` with the archive ``source``.

    Refuses (:class:`InvalidInput`) when the database has data and ``force`` is False,
    and when ``source`` is not a nerveglide backup of a known revision.
    """
    pg_restore = find_pg_tool("pg_restore")
    sa_url = _url(url)
    target = sa_url.database
    if not target:
        raise InvalidInput("NERVEGLIDE_DATABASE_URL names no database")
    _, env = _libpq(sa_url)
    _check_archive(pg_restore, source, env)
    server = sa_url.set(database="postgres")
    admin = create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with database_errors():
            exists = _database_exists(admin, target)
        holding = _has_data(url) if exists else []
        if holding and not force:
            raise InvalidInput(
                f"the database {target} already has data (in {', '.join(holding[:4])}"
                f"{', ...' if len(holding) > 4 else ''}): restoring would replace it. Back "
                "it up first (nerveglide backup FILE), then restore with --force"
            )
        restored = f"{target[:40]}_restore_{secrets.token_hex(4)}"
        try:
            _sql(admin, f"CREATE DATABASE {_quote(restored)} TEMPLATE template0")
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"restore first restores into a new database, and {sa_url.username} may not "
                f"create one (it needs CREATEDB): {getattr(exc, 'orig', exc)}"
            ) from exc
        try:
            restored_url = sa_url.set(database=restored)
            restored_uri, _ = _libpq(restored_url)
            loaded = _run(
                pg_restore,
                ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                 f"--dbname={restored_uri}", str(source)],
                env,
            )  # fmt: skip
            if loaded.returncode != 0:
                raise DatabaseError(f"pg_restore of {source} failed: {_last_lines(loaded.stderr)}")
            plain = restored_url.render_as_string(hide_password=False)
            backup_revision = check_revision(migrate.current(plain), str(source))
            migrate.upgrade(plain)
            with database_errors():
                if exists:
                    _swap(admin, server, target, restored)
                else:
                    _sql(admin, f"ALTER DATABASE {_quote(restored)} RENAME TO {_quote(target)}")
        except BaseException:
            _sql(admin, f"DROP DATABASE IF EXISTS {_quote(restored)} WITH (FORCE)")
            raise
    finally:
        admin.dispose()
    return RestoreInfo(
        "postgresql", source, backup_revision, migrate.current(url) or "", bool(holding)
    )
