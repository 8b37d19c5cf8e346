"""How database failures come out of the store, on real servers: the kinds that go away
by themselves (a server that refuses connections, a connection the server ended, a lock
not had in time) are :class:`DatabaseUnavailable` (the web answers 503 and Retry-After),
the others a plain :class:`DatabaseError`; statements' values never appear in the
messages; and a pooled engine works again after the server ended its connections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from nerveglide.errors import DatabaseError, DatabaseUnavailable
from nerveglide.store.db import database_errors, make_engine

SECRET = "a diary note nobody else should read"


def test_a_server_that_refuses_connections_is_unavailable() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    try:
        with pytest.raises(DatabaseUnavailable, match="Connection refused"), database_errors():
            engine.connect().close()
    finally:
        engine.dispose()


def test_a_connection_the_server_ended_is_unavailable_and_the_pool_recovers(
    postgres_database_url: str,
) -> None:
    engine = make_engine(postgres_database_url)
    try:
        with engine.connect() as victim:
            pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()
            with pytest.raises(DatabaseUnavailable), database_errors():
                victim.execute(text("SELECT 1"))
        # The next checkout gets a working connection (pool_pre_ping, invalidation).
        with engine.connect() as again:
            assert again.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_lock_not_had_in_time_is_unavailable(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url)
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE t (id int PRIMARY KEY, note text)"))
            setup.execute(text("INSERT INTO t VALUES (1, 'x')"))
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(text("SELECT * FROM t WHERE id = 1 FOR UPDATE"))
            with pytest.raises(DatabaseUnavailable), database_errors():
                waiter.execute(text("UPDATE t SET note = :note WHERE id = 1"), {"note": SECRET})
            holder.rollback()
    finally:
        engine.dispose()


def test_sqlite_locked_longer_than_its_busy_timeout_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE t (id integer PRIMARY KEY, note text)"))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseUnavailable), database_errors(), engine.begin() as write:
                write.execute(text("INSERT INTO t (note) VALUES (:note)"), {"note": SECRET})
        finally:
            holder.rollback()
            holder.close()
    finally:
        engine.dispose()


def test_other_failures_are_database_errors_without_the_statement_s_values(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE t (id int PRIMARY KEY, note text NOT NULL)"))
            setup.execute(text("INSERT INTO t VALUES (1, 'first')"))
        with pytest.raises(DatabaseError) as caught, database_errors(), engine.begin() as write:
            write.execute(text("INSERT INTO t VALUES (1, :note)"), {"note": SECRET})
        assert not isinstance(caught.value, DatabaseUnavailable)
        assert "unique" in caught.value.message.lower() or "duplicate" in caught.value.message
        # Neither the error nor the SQLAlchemy error behind it (what a log would print)
        # carries the values.
        assert SECRET not in caught.value.message
        assert SECRET not in str(caught.value.__cause__)
        assert "parameters hidden" in str(caught.value.__cause__)
    finally:
        engine.dispose()
