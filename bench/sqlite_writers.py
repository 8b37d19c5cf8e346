"""How long SQLite writers of one process wait for the write lock under a steady stream
of writes: with SQLite's own busy handler alone, then taking turns
(``nerveglide.store.write_turns``, what the app's engine does).

``--threads`` threads each loop for ``--seconds``: take the lock (``BEGIN IMMEDIATE``,
busy timeout 5 s), insert a row, hold the lock ``--hold-ms`` (the rest of a request's
transaction), commit, pause 10 ms. Prints, per way: transactions, those refused after the
5 s timeout (the app answers those 503), and p50/p95/p99/max of the wait for the lock.
Asserts nothing. Run: .venv/bin/python -m bench.sqlite_writers [--threads 16]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from nerveglide.store.write_turns import TurnTakingConnection

BUSY_TIMEOUT_S = 5.0


def run(path: Path, threads: int, seconds: float, hold_s: float, turns: bool) -> None:
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS t (x integer)")
    setup.commit()
    setup.close()
    waits: list[float] = []
    refused = 0
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def writer() -> None:
        nonlocal refused
        factory = TurnTakingConnection if turns else sqlite3.Connection
        con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=factory)
        con.execute("PRAGMA synchronous=FULL")
        con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        while time.monotonic() < until:
            asked = time.monotonic()
            try:
                if isinstance(con, TurnTakingConnection):
                    con.begin_immediate(BUSY_TIMEOUT_S)
                else:
                    con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                with lock:
                    refused += 1
                continue
            with lock:
                waits.append(time.monotonic() - asked)
            con.execute("INSERT INTO t VALUES (1)")
            time.sleep(hold_s)
            con.commit()
            time.sleep(0.01)
        con.close()

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    waits.sort()

    def at(q: float) -> float:
        return waits[min(len(waits) - 1, int(q * len(waits)))] * 1000

    name = "taking turns" if turns else "busy handler"
    print(
        f"{name:13s} {len(waits):5d} transactions ({len(waits) / seconds:5.1f}/s), "
        f"{refused} refused after {BUSY_TIMEOUT_S:.0f} s; wait for the lock ms: "
        f"p50 {at(0.5):6.0f}  p95 {at(0.95):6.0f}  p99 {at(0.99):6.0f}  max {waits[-1] * 1000:6.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--hold-ms", type=float, default=20.0)
    args = parser.parse_args()
    threads = max(1, min(args.threads, 64))
    seconds = max(1.0, min(args.seconds, 120.0))
    with tempfile.TemporaryDirectory() as folder:
        for turns in (False, True):
            run(Path(folder) / f"writers-{turns}.db", threads, seconds, args.hold_ms / 1000, turns)


if __name__ == "__main__":
    main()
