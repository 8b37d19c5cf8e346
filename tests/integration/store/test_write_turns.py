"""SQLite writers of one process take turns at the write lock in the order they came
(nerveglide.store.write_turns), and a turn always comes back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from nerveglide.store.db import make_engine
from nerveglide.store.write_turns import WriteTurns, turns_for


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE t (x integer PRIMARY KEY)"))
    yield engine
    engine.dispose()


def _insert(engine: Engine, x: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})


def test_a_write_transaction_holds_its_file_s_turn_until_it_ends(
    engine: Engine, tmp_path: Path
) -> None:
    turns = turns_for(tmp_path / "turns.db")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        assert turns.take(0), "a read took a turn"
        turns.give_back()
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert not turns.take(0.05), "a write transaction ran without its turn"
        connection.commit()
        assert turns.take(0)
        turns.give_back()
        connection.execute(text("INSERT INTO t VALUES (2)"))
        connection.rollback()
        assert turns.take(0)
        turns.give_back()


def test_turns_are_served_in_the_order_they_were_asked_for() -> None:
    # SQLite's busy handler gives the lock to whichever waiter tries first after it comes
    # free; under a steady stream of writes the one that waited longest often loses.
    turns = WriteTurns()
    assert turns.take(0)
    served: list[int] = []

    def wait_then_write(x: int) -> None:
        assert turns.take(5)
        served.append(x)
        turns.give_back()

    waiters = []
    for x in range(1, 6):
        waiter = threading.Thread(target=wait_then_write, args=(x,))
        waiter.start()
        waiters.append(waiter)
        time.sleep(0.1)  # in line before the next one comes
    turns.give_back()
    for waiter in waiters:
        waiter.join(5)
    assert served == [1, 2, 3, 4, 5]


def test_a_failed_or_abandoned_write_gives_its_turn_back(engine: Engine) -> None:
    _insert(engine, 1)
    with pytest.raises(IntegrityError):
        _insert(engine, 1)  # fails inside its transaction: rolled back
    with engine.connect() as abandoned:
        abandoned.execute(text("INSERT INTO t VALUES (2)"))
        # closed without commit: the pool's rollback ends it
    done = threading.Event()

    def write() -> None:
        _insert(engine, 3)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert done.wait(2), "the next writer waited for a turn nobody held"
    writer.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 3]


def test_a_turn_not_had_in_time_is_refused_and_skipped() -> None:
    turns = WriteTurns()
    assert turns.take(0)
    started = time.monotonic()
    assert not turns.take(0.1)  # held: waits its timeout, then gives up
    assert time.monotonic() - started >= 0.09
    got: list[str] = []
    late = threading.Thread(target=lambda: got.append("late") if turns.take(5) else None)
    late.start()
    time.sleep(0.05)
    turns.give_back()  # the one that gave up is not in line any more: the late one has it
    late.join(5)
    assert got == ["late"]
    assert not turns.take(0.01)
    turns.give_back()
    assert turns.take(0)
