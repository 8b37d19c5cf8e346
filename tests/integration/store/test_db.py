"""Engines: SQLite's pragmas on every connection, its directory made, schemes checked;
PostgreSQL's pool keeps what a busy instance uses."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from nerveglide.errors import ConfigurationError
from nerveglide.store.db import make_engine


def _pragmas(connection: object) -> dict[str, object]:
    from sqlalchemy import Connection

    assert isinstance(connection, Connection)
    return {
        name: connection.execute(text(f"PRAGMA {name}")).scalar_one()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


def test_sqlite_pragmas_are_set_on_every_new_connection(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    expected = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}
    try:
        # Two connections open at once: the second cannot be the first one reused.
        with engine.connect() as first, engine.connect() as second:
            assert _pragmas(first) == expected
            assert _pragmas(second) == expected
        engine.dispose()  # drop pooled connections: the next one is new
        with engine.connect() as third:
            assert _pragmas(third) == expected
    finally:
        engine.dispose()


def test_sqlite_creates_the_directory_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "nerveglide.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert path.is_file()


def test_sqlite_transactions_roll_back_reads_and_ddl(tmp_path: Path) -> None:
    # SQLAlchemy emits BEGIN itself, so DDL is inside the transaction too.
    engine = make_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.rollback()
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT name FROM sqlite_master")).all()
        assert tables == []
    finally:
        engine.dispose()


def test_postgresql_urls_use_psycopg_and_pre_ping() -> None:
    engine = make_engine("postgresql://someone@127.0.0.1:1/nothing")  # never connects
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.pool._pre_ping is True
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["mysql://x@localhost/db", "postgres://x@h/db", "nonsense"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="database URL"):
        make_engine(url)


def _two_connections(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'two.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


def test_sqlite_a_transaction_that_read_before_another_committed_can_still_write(tmp_path: Path):
    # Two requests read, one saves, then the other saves: with a snapshot taken at the
    # first read, the second would fail at once ("database is locked", SQLITE_BUSY_SNAPSHOT).
    engine = _two_connections(tmp_path)
    try:
        with engine.connect() as first, engine.connect() as second:
            assert first.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
            assert second.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
            first.execute(text("INSERT INTO t VALUES (1)"))
            first.commit()
            second.execute(text("INSERT INTO t VALUES (2)"))
            second.commit()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 2]
    finally:
        engine.dispose()


def test_sqlite_a_write_waits_for_the_lock_and_rollback_undoes_it(tmp_path: Path):
    engine = _two_connections(tmp_path)
    try:
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock
            timer = threading.Timer(0.5, holder.commit)
            timer.start()
            started = time.monotonic()
            waiter.execute(text("INSERT INTO t VALUES (2)"))  # waits (busy_timeout), then goes
            assert time.monotonic() - started >= 0.4
            timer.join()
            waiter.rollback()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]
    finally:
        engine.dispose()


def _backends(url: str) -> int:
    """How many connections the server holds to ``url``'s database (ours excluded)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = make_url(url).database
    probe = create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    try:
        with probe.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar_one()
            )
    finally:
        probe.dispose()


def _hold_at_once(engine: Engine, count: int) -> None:
    """Check out ``count`` connections at the same time, then give them all back."""
    held = [engine.connect() for _ in range(count)]
    for connection in held:
        connection.execute(text("SELECT 1"))
    for connection in held:
        connection.close()


def test_postgresql_keeps_the_connections_a_busy_instance_uses(postgres_database_url: str):
    # Sixteen requests at once (bench.load's users) get connections that stay open for the
    # next ones: a connection closed on return is a server process started and ended again
    # for the next request (SQLAlchemy's default kept 5, and closed the rest).
    engine = make_engine(postgres_database_url)
    try:
        _hold_at_once(engine, 16)
        assert _backends(postgres_database_url) == 16
    finally:
        engine.dispose()
    # What is opened beyond the pool at a peak is closed again; no more than both opens.
    engine = make_engine(postgres_database_url, pool_size=3, max_overflow=4)
    held: list[Connection] = []
    try:
        _hold_at_once(engine, 7)
        assert _backends(postgres_database_url) == 3
        engine.pool._timeout = 0.2  # type: ignore[attr-defined]  # not the 10 s for the 8th
        held.extend(engine.connect() for _ in range(7))
        with pytest.raises(PoolTimeoutError, match="limit of size 3 overflow 4"):
            engine.connect()
    finally:
        for connection in held:
            connection.close()
        engine.dispose()


def test_the_app_sizes_its_pool_from_the_settings(postgres_database_url: str, tmp_path: Path):
    from fastapi.testclient import TestClient

    from nerveglide.config import get_settings
    from nerveglide.store.migrate import upgrade
    from nerveglide.web.app import create_app

    upgrade(postgres_database_url)
    settings = get_settings(
        data_dir=tmp_path, env="test", database_url=postgres_database_url,
        db_pool_size=7, db_max_overflow=2,
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        assert (engine.pool.size(), engine.pool._max_overflow) == (7, 2)
