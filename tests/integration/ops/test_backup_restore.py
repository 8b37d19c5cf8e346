"""``nerveglide backup`` and ``restore`` on SQLite and PostgreSQL, as real processes.

The main test backs up while a separate app process keeps writing through its HTTP API,
restores into a fresh place, starts the app on the restored copy and checks, through the
app, that it serves every write acknowledged before the backup began, and none sent
after it ended (a backup is one moment's database).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from nerveglide.errors import ConfigurationError
from nerveglide.store import migrate
from nerveglide.store.backup.postgres import find_pg_tool
from nerveglide.store.db import make_engine
from tests.accounts import add_account
from tests.integration.ops.app import (
    Ledger,
    Patient,
    Write,
    Writers,
    acknowledged,
    app_env,
    duplicates,
    nerveglide,
    serve,
    served,
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def emails(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(text("SELECT email FROM account ORDER BY email")).scalars()
            )
    finally:
        engine.dispose()


def on_server(url: str, statement: str, **params: str) -> list[str]:
    """Run ``statement`` on the PostgreSQL server of ``url`` (its maintenance database,
    autocommit); the first column of the rows it returns."""
    engine = create_engine(
        make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            result = connection.execute(text(statement), params)
            return sorted(result.scalars()) if result.returns_rows else []
    finally:
        engine.dispose()


def databases_like(url: str, pattern: str) -> list[str]:
    """The PostgreSQL server's databases whose names match the LIKE ``pattern``."""
    return on_server(url, "SELECT datname FROM pg_database WHERE datname LIKE :p", p=pattern)


def sessions_in(writes: list[Write]) -> set[str]:
    """The sessions these writes started (those whose start was answered)."""
    return {w.key[0] for w in writes if w.kind == "session" and w.key}


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second place of the same kind, with no database in it yet."""
    if is_sqlite(database_url):
        folder = tmp_path / "restored"
        folder.mkdir()
        yield f"sqlite:///{folder / 'nerveglide.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restored"
    yield url.set(database=name).render_as_string(hide_password=False)
    on_server(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def test_a_backup_taken_while_the_app_writes_restores_what_was_acknowledged(
    database_url: str, fresh_url: str, data_dir: Path, tmp_path: Path
):
    env = app_env(data_dir, database_url)
    assert nerveglide(env, "db", "upgrade").returncode == 0
    out = tmp_path / "nerveglide.backup"
    app = serve(env, tmp_path / "app.log")
    ledger = Ledger()
    patient = Patient(app.base)
    try:
        patient.register(env)
        patient.prepare()
        with Writers(patient, ledger) as writers:
            writers.wait_for(60)
            began = time.monotonic()
            made = nerveglide(env, "backup", str(out))
            ended = time.monotonic()
            writers.wait_for(ledger.count() + 30)  # and the app goes on writing after it
    finally:
        patient.close()
        app.stop()
    assert made.returncode == 0, made.stderr
    assert f"written to {out}" in made.stdout
    before = ledger.acked(before=began)
    after = ledger.sent_after(ended)
    notes_before, reps_before = acknowledged(before)
    notes_after, reps_after = acknowledged(after)
    assert notes_before, "nothing was acknowledged before the backup"
    assert notes_after, "nothing was written after the backup"
    if is_sqlite(database_url):
        with sqlite3.connect(out) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        copy.close()

    restored_env = app_env(data_dir, fresh_url)
    restored = nerveglide(restored_env, "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    assert f"restored {out} (migration {migrate.head()})" in restored.stdout
    # The app starts on the restored copy as it is: restore left it at this version's schema.
    app = serve(restored_env, tmp_path / "restored-app.log")
    patient = Patient(app.base)
    try:
        patient.log_in()  # the account came back with its password
        late = sessions_in(after)
        notes, reps = served(patient, sessions_in(before))
        late_found = [s for s in late if patient.request("GET", f"/api/sessions/{s}").status != 404]
    finally:
        patient.close()
        app.stop()
    assert notes_before <= set(notes)
    assert not notes_after & set(notes)
    assert reps_before <= set(reps)
    assert not reps_after & set(reps)
    assert duplicates(notes) == []
    assert duplicates(reps) == []
    assert late_found == []
    if is_sqlite(fresh_url):
        path = make_url(fresh_url).database
        with sqlite3.connect(str(path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        connection.close()


def test_restore_refuses_a_database_with_data_unless_forced(
    database_url: str, fresh_url: str, data_dir: Path, tmp_path: Path
):
    migrate.upgrade(database_url)
    add_account(database_url, "from-the-backup@example.org")
    out = tmp_path / "one.backup"
    assert nerveglide(app_env(data_dir, database_url), "backup", str(out)).returncode == 0
    if not is_sqlite(fresh_url):
        on_server(fresh_url, f'CREATE DATABASE "{make_url(fresh_url).database}"')
    migrate.upgrade(fresh_url)
    add_account(fresh_url, "already-here@example.org")
    env = app_env(data_dir, fresh_url)

    refused = nerveglide(env, "restore", str(out))
    assert refused.returncode == 2
    assert "already has data (in account" in refused.stderr
    assert "--force" in refused.stderr
    assert emails(fresh_url) == ["already-here@example.org"]

    forced = nerveglide(env, "restore", "--force", str(out))
    assert forced.returncode == 0, forced.stderr
    assert "replacing its data" in forced.stdout
    assert emails(fresh_url) == ["from-the-backup@example.org"]


def test_a_backup_of_an_older_schema_is_upgraded_when_restored(
    database_url: str, fresh_url: str, data_dir: Path, tmp_path: Path
):
    migrate.upgrade(database_url, "0004")
    out = tmp_path / "old.backup"
    made = nerveglide(app_env(data_dir, database_url), "backup", str(out))
    assert made.returncode == 0, made.stderr
    assert "(migration 0004)" in made.stdout
    restored = nerveglide(app_env(data_dir, fresh_url), "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    assert f"(migration 0004, upgraded to migration {migrate.head()})" in restored.stdout
    assert migrate.current(fresh_url) == migrate.head()


def test_restore_refuses_what_is_not_a_backup_of_this_kind(
    database_url: str, data_dir: Path, tmp_path: Path
):
    migrate.upgrade(database_url)
    add_account(database_url, "kept@example.org")
    env = app_env(data_dir, database_url)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    other_kind = tmp_path / "other.backup"
    if is_sqlite(database_url):
        other_kind.write_bytes(b"PGDMP" + bytes(200))
        expected_kind = "is a PostgreSQL backup, but the configured database is SQLite"
    else:
        other_kind.write_bytes(b"SQLite format 3\x00" + bytes(200))
        expected_kind = "is a SQLite backup, but the configured database is PostgreSQL"
    cases = [
        (tmp_path / "nowhere.backup", "does not exist"),
        (tmp_path, "is not a file"),
        (junk, "is not a nerveglide backup"),
        (other_kind, expected_kind),
    ]
    for path, message in cases:
        result = nerveglide(env, "restore", "--force", str(path))
        assert result.returncode == 2, (path, result.stderr)
        assert message in result.stderr
    assert emails(database_url) == ["kept@example.org"]


def foreign_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
        connection.commit()


def future_database(path: Path) -> None:
    migrate.upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()


def damaged_database(path: Path) -> None:
    migrate.upgrade(f"sqlite:///{path}")
    add_account(f"sqlite:///{path}", "someone@example.org")
    content = bytearray(path.read_bytes())
    half = len(content) // 2
    content[half:] = bytes(len(content) - half)  # its back half zeroed
    path.write_bytes(bytes(content))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (foreign_database, "holds no nerveglide schema"),
        (future_database, "at migration '9999', which this version of nerveglide does not know"),
        (damaged_database, "is not a usable SQLite database: database disk image is malformed"),
    ],
)
def test_a_sqlite_file_that_is_not_a_nerveglide_backup_is_refused(
    make: Callable[[Path], None], message: str, tmp_path: Path, data_dir: Path
):
    make(tmp_path / "given.db")
    env = app_env(data_dir, f"sqlite:///{data_dir / 'nerveglide.db'}")
    result = nerveglide(env, "restore", str(tmp_path / "given.db"))
    assert result.returncode == 2
    assert message in result.stderr
    assert list(data_dir.iterdir()) == []  # nothing half-restored, no temporary file left


def test_a_damaged_postgresql_archive_leaves_the_database_as_it_was(
    postgres_database_url: str, data_dir: Path, tmp_path: Path
):
    migrate.upgrade(postgres_database_url)
    add_account(postgres_database_url, "before@example.org")
    env = app_env(data_dir, postgres_database_url)
    out = tmp_path / "good.backup"
    assert nerveglide(env, "backup", str(out)).returncode == 0
    add_account(postgres_database_url, "after@example.org")
    cut = tmp_path / "cut.backup"
    cut.write_bytes(out.read_bytes()[: out.stat().st_size * 2 // 3])
    result = nerveglide(env, "restore", "--force", str(cut))
    assert result.returncode != 0
    assert "pg_restore" in result.stderr
    assert emails(postgres_database_url) == ["after@example.org", "before@example.org"]
    name = make_url(postgres_database_url).database
    assert databases_like(postgres_database_url, f"{name}\\_re%") == []


def test_backup_refuses_bad_output_and_an_unmigrated_database(
    database_url: str, data_dir: Path, tmp_path: Path
):
    env = app_env(data_dir, database_url)
    if is_sqlite(database_url):
        missing = nerveglide(env, "backup", str(tmp_path / "x.backup"))
        assert missing.returncode == 2
        assert "there is no SQLite database at" in missing.stderr
    migrate.upgrade(database_url, "0001")
    migrate.downgrade(database_url, "base")  # the schema's bookkeeping, but no revision
    unmigrated = nerveglide(env, "backup", str(tmp_path / "x.backup"))
    assert unmigrated.returncode == 2
    assert "holds no nerveglide schema" in unmigrated.stderr
    migrate.upgrade(database_url)
    existing = tmp_path / "exists.backup"
    existing.write_text("an older backup")
    refused = nerveglide(env, "backup", str(existing))
    assert refused.returncode == 2
    assert "already exists" in refused.stderr
    assert existing.read_text() == "an older backup"
    nowhere = nerveglide(env, "backup", str(tmp_path / "no" / "x.backup"))
    assert nowhere.returncode == 2
    assert "does not exist" in nowhere.stderr
    replaced = nerveglide(env, "backup", "--force", str(existing))
    assert replaced.returncode == 0, replaced.stderr
    assert existing.read_bytes()[:5] in (b"SQLit", b"PGDMP")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_missing_postgresql_programs_are_named_with_the_package_to_install(tmp_path: Path):
    with pytest.raises(ConfigurationError) as raised:
        find_pg_tool("pg_dump", search_path="", lib_dirs=str(tmp_path / "*" / "bin"))
    assert "pg_dump was not found on PATH nor in" in raised.value.message
    assert "apt-get install postgresql-client" in raised.value.message
    versions = [tmp_path / "13" / "bin", tmp_path / "16" / "bin"]
    for folder in versions:
        folder.mkdir(parents=True)
        (folder / "pg_dump").write_text("#!/bin/sh\n")
        (folder / "pg_dump").chmod(0o755)
    found = find_pg_tool("pg_dump", search_path="", lib_dirs=str(tmp_path / "*" / "bin"))
    assert found == versions[1] / "pg_dump"  # the newest version
