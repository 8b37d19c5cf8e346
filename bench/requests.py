"""What one request costs an app instance, one request at a time: the server's CPU time
and the latency per request type, with no other load (bench/load.py measures them under
load). A fresh SQLite database (or ``--postgres-url``) with a small clinic
(bench/population.py), one ``nerveglide serve`` process, one logged-in patient (and the
clinician for the dashboard) sending each kind of request ``--n`` times in a row over a
kept-alive connection. The CPU time is the server process's own (user + system, from
/proc), divided by the requests sent: it bounds what one instance can answer per second
on one core.

Prints figures; asserts nothing. Run: .venv/bin/python -m bench.requests [--n 200]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

from bench.load import cpu_seconds, empty_postgres, start_instances, stop_instances
from bench.population import PASSWORD, seed_clinic
from nerveglide.store import migrate
from nerveglide.store.db import make_engine


def log_in(client: httpx2.Client, base: str, email: str) -> None:
    page = client.get(base + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text[:300]
    answer = client.post(
        base + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code == 303, answer.status_code
    client.headers["X-CSRF-Token"] = client.get(base + "/api/me").json()["csrf_token"]


def measure(
    label: str, pid: int, n: int, send: Callable[[int], httpx2.Response]
) -> tuple[str, list[float], float]:
    send(0)  # once before, so that first-use costs stay out of the figures
    latencies = []
    cpu = cpu_seconds(pid)
    for i in range(1, n + 1):
        began = time.perf_counter()
        answer = send(i)
        latencies.append((time.perf_counter() - began) * 1000)
        if answer.status_code >= 400:
            raise RuntimeError(f"{label}: {answer.status_code} {answer.text[:300]}")
    return label, latencies, (cpu_seconds(pid) - cpu) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="requests of each kind")
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database to use instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nerveglide-bench-requests-") as folder:
        data = Path(folder)
        url = args.postgres_url or f"sqlite:///{data / 'requests.db'}"
        if args.postgres_url:
            empty_postgres(url)
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            clinic = seed_clinic(engine, patients=args.patients, days=28, now=datetime.now(UTC))
        finally:
            engine.dispose()
        running = start_instances(1, url, data)
        try:
            [(process, base)] = running
            rows = run(base, process.pid, clinic.patient_emails[0], clinic.clinician_email, args.n)
        finally:
            stop_instances(running)
    database = "PostgreSQL" if args.postgres_url else "SQLite"
    print(f"one instance on {database}, {args.patients} patients, n={args.n} of each, in a row")
    for label, latencies, cpu_ms in rows:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"  {label:<22} latency p50 {statistics.median(latencies):6.1f} ms  "
            f"p95 {p95:6.1f} ms   server CPU {cpu_ms:6.2f} ms/request "
            f"(at most {1000 / max(cpu_ms, 1e-9):5.0f}/s on one core)"
        )


def run(
    base: str, pid: int, email: str, clinician_email: str, n: int
) -> list[tuple[str, list[float], float]]:
    rows = []
    with httpx2.Client(timeout=30, follow_redirects=False) as client:
        log_in(client, base, email)
        rules = client.get(base + "/api/safety/rules").json()
        answers = {q["id"]: "no" for q in rules["questions"]}
        assert client.post(base + "/api/screening", json={"answers": answers}).status_code == 200
        rows.append(measure("GET /healthz", pid, n, lambda i: client.get(base + "/healthz")))
        program = base + "/api/program"
        rows.append(measure("GET /api/program", pid, n, lambda i: client.get(program)))
        pain = {"pain_before": {"back": 2, "leg": 4}}
        sessions: list[dict[str, Any]] = []

        def start(i: int) -> httpx2.Response:
            answer = client.post(base + "/api/sessions", json=pain)
            sessions.append(answer.json())
            return answer

        rows.append(measure("POST /api/sessions", pid, n, start))
        step = next(s for s in sessions[0]["timeline"] if s.get("rep_no"))
        now = datetime.now(UTC)

        def repetition(i: int) -> httpx2.Response:
            # Five repetitions a session, as a set goes: a session's size stays realistic.
            at = now + timedelta(seconds=12 * i)
            body = {
                "exercise_id": step["exercise_id"], "leg": step["leg"], "set_no": 1,
                "rep_no": i % 5 + 1, "started_at": at.isoformat(),
                "ended_at": (at + timedelta(seconds=10)).isoformat(), "hold_s": 3.0,
            }  # fmt: skip
            session_id = sessions[i // 5]["id"]
            return client.put(f"{base}/api/sessions/{session_id}/repetitions", json=body)

        rows.append(measure("PUT repetitions", pid, n, repetition))
        finish = {"status": "ended_early", "pain_after": {"back": 2, "leg": 3},
                  "felt_worse": False, "spread": False}  # fmt: skip
        rows.append(
            measure(
                "POST .../finish",
                pid,
                min(n, len(sessions) - 1),
                lambda i: client.post(f"{base}/api/sessions/{sessions[i - 1]['id']}/finish",
                                      json=finish),
            )
        )  # fmt: skip
        day = datetime.now(UTC).date()

        def diary(i: int) -> httpx2.Response:
            entry = {"back_pain": 2, "leg_pain": i % 4, "numbness": "mild", "weakness": "none",
                     "reach": {"left": ["buttock"]}, "sleep_disturbed": False}  # fmt: skip
            return client.put(f"{base}/api/diary/{day.isoformat()}", json=entry)  # today's

        rows.append(measure("PUT /api/diary", pid, n, diary))
    with httpx2.Client(timeout=60, follow_redirects=False) as clinician:
        log_in(clinician, base, clinician_email)
        page = base + "/clinician"
        rows.append(measure("GET /clinician", pid, max(5, n // 10), lambda i: clinician.get(page)))
    return rows


if __name__ == "__main__":
    main()
