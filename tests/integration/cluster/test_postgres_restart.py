"""PostgreSQL stopped and started again under load, behind nginx and two app instances.

Patients keep saving repetitions and diary entries and reading their session while the
server goes down (``pg_ctl stop -m fast``: the requests in flight lose their connection;
one of them is made to be in flight, waiting in PostgreSQL for its session's row) and
comes back. Every answer is a success or a clear 503 with ``Retry-After`` (never a 500, a
502 or a hang); the clients send again what got a 503, as the player does; the app
instances and the worker recover by themselves (same processes); and the database holds
exactly what the clients saw acknowledged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from tests.cluster import Cluster
from tests.integration.cluster.conftest import Answer, Api, repetition, waiting_for_a_lock

PATIENTS = 4
#: Seconds of load before the stop, and after the server is back.
LOAD_BEFORE_S = 2.0
LOAD_AFTER_S = 4.0
#: Seconds the server stays down after the first 503s came.
DOWN_AT_LEAST_S = 2.0
#: No answer may take longer than this (the connect timeout is 5 s, the lock timeout 5 s).
SLOWEST_S = 15.0


def diary(n: int) -> dict[str, Any]:
    return {
        "back_pain": n % 11,
        "leg_pain": (n * 3) % 11,
        "numbness": "mild",
        "weakness": "none",
        "sleep_disturbed": n % 2 == 0,
        "note": f"save {n}",
    }


@dataclass
class Load:
    """One patient's stream of writes and reads until told to stop; each write is sent
    again until acknowledged before the next one."""

    api: Api
    session_id: str
    today: str
    stop: threading.Event
    reps: list[tuple[str, int, int]] = field(default_factory=list)
    acknowledged_reps: list[tuple[str, int, int]] = field(default_factory=list)
    acknowledged_diary: list[dict[str, Any]] = field(default_factory=list)
    failure: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                if self.reps:
                    leg, set_no, rep_no = self.reps.pop(0)
                    self.api.until_acknowledged(
                        "PUT",
                        f"/api/sessions/{self.session_id}/repetitions",
                        repetition(leg, set_no, rep_no),
                    )
                    self.acknowledged_reps.append((leg, set_no, rep_no))
                if n % 3 == 0:
                    self.api.until_acknowledged("PUT", f"/api/diary/{self.today}", diary(n))
                    self.acknowledged_diary.append(diary(n))
                self.api.request("GET", f"/api/sessions/{self.session_id}")
                time.sleep(0.02)
        except BaseException as exc:  # reported by the test
            self.failure = exc


def _wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_postgres_restarted_under_load(healthy: Cluster, patients: Callable[[], Api]):
    cluster = healthy
    pids = {name: cluster.pid(name) for name in [*cluster.instances(), "worker"]}
    today = datetime.now(UTC).date().isoformat()
    stop = threading.Event()
    loads = []
    for _ in range(PATIENTS):
        api = patients()
        session_id = api.start_session(affected="both", sets=5)
        load = Load(api, session_id, today, stop)
        load.reps = [
            (leg, s, r) for s in range(1, 6) for leg in ("left", "right") for r in range(1, 11)
        ]
        loads.append(load)
    threads = [threading.Thread(target=load.run) for load in loads]
    for thread in threads:
        thread.start()

    # A request in flight when the server stops: held at its session's row meanwhile.
    held = patients()
    held_session = held.start_session()
    held_answers: list[Answer] = []
    before = len(held.answers)
    locker = psycopg.connect(cluster.database_url.replace("+psycopg", "", 1))
    locker.execute("SELECT id FROM exercise_session WHERE id = %s FOR UPDATE", (held_session,))
    holder = threading.Thread(
        target=lambda: held_answers.append(
            held.until_acknowledged(
                "PUT",
                f"/api/sessions/{held_session}/repetitions",
                repetition("right", 1, 1),
                X_Request_ID="in-flight",
            )
        )
    )

    def answered_503() -> int:
        return sum(1 for load in loads for a in load.api.answers[:] if a.status == 503)

    try:
        time.sleep(LOAD_BEFORE_S)
        holder.start()
        waiting_for_a_lock(cluster)
        cluster.stop_postgres()
        stopped_at = time.monotonic()
        _wait_for(lambda: answered_503() >= PATIENTS, 30, "503 answers while the database is down")
        time.sleep(DOWN_AT_LEAST_S)  # new connections are refused meanwhile
        cluster.start_postgres()
        back_at = time.monotonic()
        time.sleep(LOAD_AFTER_S)
    finally:
        stop.set()
        locker.close()
        for thread in [*threads, holder]:
            if thread.ident is not None:
                thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in [*threads, holder])
    for load in loads:
        assert load.failure is None, repr(load.failure)

    answers = [a for load in loads for a in load.api.answers]
    statuses = {a.status for a in answers}
    assert statuses <= {200, 201, 503}, sorted(statuses)
    unavailable = [a for a in answers if a.status == 503]
    assert len(unavailable) >= PATIENTS
    assert all(a.headers.get("retry-after") == "2" for a in unavailable)
    assert all(a.body["detail"].startswith("The database is not answering") for a in unavailable)
    assert max(a.seconds for a in answers) < SLOWEST_S
    print(
        f"{len(answers)} requests, {len(unavailable)} answered 503; database down "
        f"{back_at - stopped_at:.1f} s; slowest answer {max(a.seconds for a in answers):.2f} s"
    )

    # The held request lost its connection: a 503, then the same request again saved it.
    puts = held.answers[before:]
    assert [a.status for a in puts] == [503] * (len(puts) - 1) + [201], puts
    assert len(puts) >= 2
    assert puts[0].headers["x-request-id"] == "in-flight"
    assert puts[0].seconds < SLOWEST_S
    assert cluster.sql(
        "SELECT rep_no FROM session_repetition WHERE session_id = %s", held_session
    ) == [(1,)]
    assert held_answers[0].status == 201

    # The same processes serve again: they recovered by themselves.
    assert {name: cluster.pid(name) for name in pids} == pids
    assert all(cluster.alive(name) for name in pids)
    worker_log = (cluster.run / "logs" / "worker.log").read_text()
    assert "this pass failed" in worker_log  # it met the outage, and lived on
    for name, entry in cluster.instances().items():
        direct = Api(f"http://127.0.0.1:{entry['port']}", "", "")
        assert direct.request("GET", "/readyz").status == 200, name
        direct.close()
    for load in loads:
        after = load.api.request("GET", f"/api/sessions/{load.session_id}")
        assert after.status == 200

        # Exactly what was acknowledged, once each.
        saved = cluster.sql(
            "SELECT leg, set_no, rep_no FROM session_repetition WHERE session_id = %s",
            load.session_id,
        )
        assert sorted(saved) == sorted(load.acknowledged_reps)
        assert len(load.acknowledged_reps) > 0
        if load.acknowledged_diary:
            [latest] = load.api.ok("GET", f"/api/diary?start={today}&end={today}")
            assert latest["note"] == load.acknowledged_diary[-1]["note"]
            history = load.api.ok("GET", f"/api/diary/{today}/history")
            assert {d["note"] for d in load.acknowledged_diary} <= {h["note"] for h in history}
