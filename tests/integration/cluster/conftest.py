"""One cluster (PostgreSQL, two app instances, the worker, nginx) for the fault tests of
this folder, and a patient's JSON API client that goes through nginx as a browser's
requests do (session cookie, CSRF token, Origin), counting what the server acknowledged."""

from __future__ import annotations

import http.client
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.cluster import Cluster, running_cluster
from tests.e2e.conftest import register_patient

#: Seated leg raises, both legs: up to 2 x sets x 10 repetitions to post.
RAISE = {"exercise_id": "seated-leg-raise", "dose": "seated-leg-raise.dose.000", "reps": 10}


@pytest.fixture(scope="package")
def cluster() -> Iterator[Cluster]:
    # The worker makes a pass every half second: it is at work when PostgreSQL restarts.
    # The camera page runs the lite pose model (the fastest on a busy CPU).
    with running_cluster(
        instances=2, NERVEGLIDE_WORKER_INTERVAL="0.5", NERVEGLIDE_POSE_MODEL="lite"
    ) as running:
        yield running


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test's report carries what the cluster's processes logged as failed
    (the traceback of a 500 is in the instance's log, not in the answer)."""
    report = yield
    running: Cluster | None = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and running is not None:
        report.sections.append(("cluster: failed requests", _failures(running)))
    return report


def _failures(cluster: Cluster) -> str:
    found = []
    for log in sorted((cluster.run / "logs").glob("*.log")):
        for line in cluster.log_lines(log.stem):
            if line.get("level") in ("error", "critical") or "traceback" in line:
                found.append(f"--- {log.name}: {line.get('message')} {line.get('path')}")
                found.append(str(line.get("traceback", "")))
    return "\n".join(found) or "(none logged)"


@pytest.fixture
def healthy(cluster: Cluster) -> Cluster:
    """The cluster with every process running (a test before may have killed one)."""
    cluster.start()
    return cluster


@pytest.fixture
def patients(healthy: Cluster) -> Iterator[Callable[[], Api]]:
    """Registers patients through nginx (their connections closed after the test)."""
    made: list[Api] = []

    def make() -> Api:
        made.append(Api.register(healthy.url, healthy.database_url))
        return made[-1]

    yield make
    for api in made:
        api.close()


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    seconds: float


@dataclass
class Api:
    """A logged-in patient's requests through nginx (one keep-alive connection)."""

    base: str
    cookie: str
    csrf: str
    email: str = ""
    timeout: float = 30.0
    answers: list[Answer] = field(default_factory=list)
    _connection: http.client.HTTPConnection | None = None

    @classmethod
    def register(cls, base: str, database_url: str) -> Api:
        email = f"p-{secrets.token_hex(4)}@example.org"
        login = register_patient(base, database_url, email=email)
        return cls(base, f"{login.cookie_name}={login.cookie}", login.csrf, email)

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> Answer:
        """One request; a broken connection is an answer with status 0 (and a new one)."""
        where = urlparse(self.base)
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                where.hostname or "127.0.0.1", where.port, timeout=self.timeout
            )
        sent = {
            "Cookie": self.cookie,
            "X-CSRF-Token": self.csrf,
            "Origin": self.base,
            "Content-Type": "application/json",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        }
        started = time.monotonic()
        try:
            self._connection.request(
                method, path, body=None if body is None else json.dumps(body), headers=sent
            )
            response = self._connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            self._connection = None
            answer = Answer(0, None, {}, time.monotonic() - started)
        else:
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            answer = Answer(
                response.status,
                parsed,
                {k.lower(): v for k, v in response.getheaders()},
                time.monotonic() - started,
            )
        self.answers.append(answer)
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.request(method, path, body)
        assert 200 <= answer.status < 300, (method, path, answer)
        return answer.body

    def until_acknowledged(
        self, method: str, path: str, body: Any = None, give_up_s: float = 60.0, **headers: str
    ) -> Answer:
        """Send until a 2xx, as the player does with a queued repetition: after a 503 it
        waits what Retry-After says, after a broken connection half a second."""
        deadline = time.monotonic() + give_up_s
        while True:
            answer = self.request(method, path, body, **headers)
            if 200 <= answer.status < 300:
                return answer
            assert answer.status in (0, 503), (method, path, answer)
            assert time.monotonic() < deadline, f"{method} {path}: no success in {give_up_s} s"
            time.sleep(float(answer.headers.get("retry-after", "0.5")))

    def screen(self) -> None:
        rules = self.ok("GET", "/api/safety/rules")
        self.ok("POST", "/api/screening", {"answers": {q["id"]: "no" for q in rules["questions"]}})

    def start_session(self, affected: str = "right", sets: int = 1) -> str:
        self.screen()
        self.ok(
            "PUT", "/api/program", {"affected_leg": affected, "glides": [{**RAISE, "sets": sets}]}
        )
        session = self.ok("POST", "/api/sessions", {"pain_before": {"back": 2, "leg": 3}})
        return str(session["id"])


def repetition(leg: str, set_no: int, rep_no: int) -> dict[str, Any]:
    return {
        "exercise_id": RAISE["exercise_id"],
        "leg": leg,
        "set_no": set_no,
        "rep_no": rep_no,
        "attempt": 1,
        "started_at": "2026-01-05T10:00:00+00:00",
        "ended_at": "2026-01-05T10:00:06+00:00",
    }


def waiting_for_a_lock(cluster: Cluster, timeout_s: float = 20.0) -> int:
    """The client port of the app's connection that waits for a row lock."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = cluster.sql(
            "SELECT client_port FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if rows:
            return int(rows[0][0])
        time.sleep(0.05)
    raise AssertionError("no request came to wait for the session's row")
