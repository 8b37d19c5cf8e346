"""Load on loopback: patients logging sessions, repetitions and diary entries, live-coach
streams, and a clinician opening the dashboard of 1,000 patients, against real app
instances (``nerveglide serve`` processes) on SQLite, on PostgreSQL with one instance and
on PostgreSQL with two, in one run.

Each configuration gets a fresh database with one clinician and ``--patients`` patients
(four weeks of data each, bench/population.py). Then, for ``--seconds``:

* ``--users`` patients, each logged in with their own session, loop over a session as the
  player does it: start it (``POST /api/sessions``), save ``--reps`` repetitions one by one
  (``PUT .../repetitions``), finish it, and save the day's diary entry (``PUT /api/diary``);
* one clinician opens the dashboard page (``GET /clinician``) again and again;
* ``--streams`` live-coach streams send a rendered clip's landmarks at 30 frames a second
  over ``/ws/coach`` (each frame followed by a ping: frame-sent to pong-received).

With two instances, each request goes to the next instance in turn, whoever sent it
(what a round-robin balancer such as nginx does; the client does it here so that the
proxy's own cost is not in the figures). Every user waits for each answer before sending
the next request (a closed loop), so the throughput is what the instances sustain with
that many users.

PostgreSQL runs one instance and two in turn, ``--rounds`` times on one seeded database
(this machine's speed drifts from minute to minute; see :func:`postgres_rounds`), and
reports each configuration's median round and the two-instance speed-up round by round.

Prints, per configuration: the write mix's throughput (requests answered per second),
p50/p95/p99 and errors per request type, the share of a core this client and each instance
used during the mix (all on the same cores: a client near 100 % is the limit itself);
then the dashboard alone (no other load), the goals and the two-instance speed-up.
Goals (issue 10): dashboard p95 under 200 ms with 1,000 patients; no error under the mix;
two instances at least 1.6x one instance's throughput on the write mix. Bounded in count
and time; asserts nothing.

Run: .venv/bin/python -m bench.load [--patients 1000] [--users 16] [--seconds 20]
     [--streams 2] [--rounds 3] [--only sqlite|postgres-1|postgres-2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import text

from bench.population import PASSWORD, seed_clinic
from nerveglide.content.loader import default_library, default_rules, load_questionnaires
from nerveglide.domain.accounts import Actor
from nerveglide.services.clinician import dashboard_page
from nerveglide.store import migrate
from nerveglide.store.db import make_engine, make_session_factory

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("session start", "repetition", "session finish", "diary")
FPS = 30.0


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, in seconds (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """The machine's CPU time so far, busy and in all, in core-seconds (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle, waiting for I/O
    return (sum(fields) - idle) / TICKS, sum(fields) / TICKS


def postgres_cpu_seconds(port: int | None) -> float:
    """CPU time so far of the PostgreSQL server listening on ``port`` (its postmaster and
    every process it started: the connections' backends, the background workers); 0
    without one. Backends that ended are not counted (the instances keep theirs open)."""
    if port is None:
        return 0.0
    pid_file = Path(tempfile.gettempdir()) / f"nerveglide-bench-load-pg-{port}" / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster or int(stat.parent.name) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, ValueError, IndexError):
            continue  # ended while read
    return total


#: Seconds between the end of the mix and the dashboard timed alone.
SETTLE_S = 3.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def timed(self, kind: str, started: float, response: httpx2.Response | None) -> None:
        if response is not None and response.status_code < 400:
            self.latencies[kind].append((time.perf_counter() - started) * 1000)
        else:
            detail = "no answer" if response is None else f"{response.status_code}"
            if response is not None:
                detail += f" {response.text[:120]}"
            self.errors[kind].append(detail)


# -- the database and the instances ---------------------------------------------------------


def postgres_server(port: int, folder: Path) -> str:
    """A PostgreSQL server of our own (scripts/test-postgres.sh), its URL."""
    env = {**os.environ, "NERVEGLIDE_PG_PORT": str(port), "NERVEGLIDE_PG_DIR": str(folder)}
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "test-postgres.sh")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def stop_postgres(folder: Path) -> None:
    if not (folder / "postmaster.pid").exists():
        return
    pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
    command = [str(pg_ctl), "-D", str(folder), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=False, capture_output=True)


def empty_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_instances(count: int, url: str, data: Path) -> list[tuple[subprocess.Popen[bytes], str]]:
    env = {**os.environ, "NERVEGLIDE_DATA_DIR": str(data), "NERVEGLIDE_DATABASE_URL": url}
    instances = []
    for n in range(count):
        port = free_port()
        log = (data / f"instance-{n}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "nerveglide", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        instances.append((process, f"http://127.0.0.1:{port}"))
    for process, base in instances:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"an instance exited: see {data}") from None
                time.sleep(0.2)
    return instances


def stop_instances(instances: list[tuple[subprocess.Popen[bytes], str]]) -> None:
    for process, _ in instances:
        process.terminate()
    for process, _ in instances:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# -- the users ------------------------------------------------------------------------------


class Bases:
    """The instances' addresses, taken in turn (a round-robin balancer)."""

    def __init__(self, bases: list[str]) -> None:
        self.bases, self.n = bases, 0

    def next(self) -> str:
        self.n += 1
        return self.bases[self.n % len(self.bases)]


async def log_in(client: httpx2.AsyncClient, bases: Bases, email: str) -> None:
    page = await client.get(bases.next() + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text[:500]
    answer = await client.post(
        bases.next() + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, (
        answer.status_code,
        re.sub(r"<[^>]+>", " ", answer.text)[-1500:],
    )
    me = await client.get(bases.next() + "/api/me")
    client.headers["X-CSRF-Token"] = me.json()["csrf_token"]


async def call(
    client: httpx2.AsyncClient, stats: Stats, kind: str, method: str, url: str, body: Any = None
) -> httpx2.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, json=body)
    except httpx2.HTTPError:
        stats.timed(kind, started, None)
        return None
    stats.timed(kind, started, response)
    return response


async def patient(bases: Bases, email: str, stats: Stats, until: float, reps: int) -> None:
    async with httpx2.AsyncClient(timeout=30, follow_redirects=False) as client:
        await log_in(client, bases, email)
        rules = (await client.get(bases.next() + "/api/safety/rules")).json()
        answers = {q["id"]: "no" for q in rules["questions"]}
        await call(client, stats, "screening", "POST", bases.next() + "/api/screening",
                   {"answers": answers})  # fmt: skip
        while time.perf_counter() < until:
            pain = {"pain_before": {"back": 2, "leg": 4}}
            started = await call(client, stats, "session start", "POST",
                                 bases.next() + "/api/sessions", pain)  # fmt: skip
            if started is None or started.status_code >= 400:
                await asyncio.sleep(0.5)
                continue
            session = started.json()
            step = next(s for s in session["timeline"] if s.get("rep_no"))
            now = datetime.now(UTC)
            for rep in range(1, reps + 1):
                at = now + timedelta(seconds=12 * rep)
                body = {
                    "exercise_id": step["exercise_id"], "leg": step["leg"], "set_no": 1,
                    "rep_no": rep, "started_at": at.isoformat(),
                    "ended_at": (at + timedelta(seconds=10)).isoformat(), "hold_s": 3.0,
                }  # fmt: skip
                url = f"{bases.next()}/api/sessions/{session['id']}/repetitions"
                await call(client, stats, "repetition", "PUT", url, body)
            finish = {"status": "ended_early", "pain_after": {"back": 2, "leg": 3},
                      "felt_worse": False, "spread": False}  # fmt: skip
            await call(client, stats, "session finish", "POST",
                       f"{bases.next()}/api/sessions/{session['id']}/finish", finish)  # fmt: skip
            day = datetime.now(UTC).date().isoformat()
            diary = {"back_pain": 2, "leg_pain": 3, "numbness": "mild", "weakness": "none",
                     "reach": {"left": ["buttock"]}, "sleep_disturbed": False}  # fmt: skip
            await call(client, stats, "diary", "PUT", f"{bases.next()}/api/diary/{day}", diary)


async def clinician(bases: Bases, email: str, stats: Stats, until: float) -> None:
    async with httpx2.AsyncClient(timeout=30, follow_redirects=False) as client:
        await log_in(client, bases, email)
        while time.perf_counter() < until:
            await call(client, stats, "dashboard", "GET", bases.next() + "/clinician")


async def live_stream(
    bases: Bases, email: str, frames: list[str], stats: Stats, until: float
) -> None:
    import websockets
    from tests.integration.live.conftest import RAISE_RIGHT

    async with httpx2.AsyncClient(timeout=30, follow_redirects=False) as client:
        await log_in(client, bases, email)
        base = bases.next()
        await client.put(
            base + "/api/program", json={"affected_leg": "right", "glides": [RAISE_RIGHT]}
        )
        rules = (await client.get(base + "/api/safety/rules")).json()
        answers = {q["id"]: "no" for q in rules["questions"]}
        await client.post(base + "/api/screening", json={"answers": answers})
        session = (
            await client.post(base + "/api/sessions", json={"pain_before": {"back": 2, "leg": 3}})
        ).json()
        token = (await client.post(f"{base}/api/sessions/{session['id']}/live")).json()["token"]
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
    url = base.replace("http://", "ws://") + "/ws/coach"
    async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
        hello = {"v": 1, "type": "hello", "session": session["id"], "token": token,
                 "exercise_id": RAISE_RIGHT["exercise_id"], "leg": "right"}  # fmt: skip
        await ws.send(json.dumps(hello))
        await ws.recv()
        await ws.recv()
        start = time.perf_counter()
        for i, frame in enumerate(frames * 10):
            due = start + i / FPS
            if due > until:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent = time.perf_counter()
            await ws.send(frame)
            await ws.send('{"v":1,"type":"ping"}')
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "error":
                    stats.errors["live frame"].append(str(event)[:120])
                if event["type"] == "pong":
                    stats.latencies["live frame"].append((time.perf_counter() - sent) * 1000)
                    break


def landmark_frames() -> list[str]:
    from tests.integration.live.conftest import frame_message

    from bench.live import track

    lm = track(Path(tempfile.gettempdir()) / "nerveglide-bench-live-track.npz")
    return [json.dumps(frame_message(lm, i), separators=(",", ":")) for i in range(len(lm.t))]


# -- one configuration ----------------------------------------------------------------------


@dataclass
class Result:
    label: str
    throughput: float
    stats: Stats
    dashboard_alone: list[float]
    #: Share of one core each process used during the mix: this client, each instance.
    cpu: dict[str, float]
    #: Share of the machine's cores busy during the mix (all processes, and what no
    #: process is charged with).
    machine: float


def prepare(url: str, args: argparse.Namespace) -> tuple[list[str], str]:
    """Migrate, seed the clinic, and evaluate every patient's safety status once (as
    their own changes and the worker keep it); the patients' and clinician's emails."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        now = datetime.now(UTC)
        clinic = seed_clinic(engine, patients=args.patients, days=28, now=now)
        factory = make_session_factory(engine)
        actor = Actor(clinic.clinician_id, "clinician", "127.0.0.1")
        dashboard_page(
            factory, actor, questionnaires=load_questionnaires(), rules=default_rules(),
            library=default_library(), timezone="UTC", today=now.date(), now=now,
        )  # fmt: skip
    finally:
        engine.dispose()
    return clinic.patient_emails, clinic.clinician_email


async def load(
    bases: list[str], patients: list[str], clinician_email: str, frames: list[str],
    args: argparse.Namespace,
) -> tuple[Stats, float]:  # fmt: skip
    stats = Stats()
    until = time.perf_counter() + args.seconds
    # One balancer for everyone, as nginx's round robin: it sends each request to the
    # next instance, whoever sent it. (One per user would send every user's n-th request
    # to the same instance, and users that start together go on together.)
    balancer = Bases(bases)
    users = [patient(balancer, email, stats, until, args.reps) for email in patients[: args.users]]
    users.append(clinician(balancer, clinician_email, stats, until))
    streamers = patients[args.users : args.users + args.streams]
    users += [live_stream(balancer, email, frames, stats, until) for email in streamers]
    began = time.perf_counter()
    await asyncio.gather(*users)
    return stats, time.perf_counter() - began


async def dashboard_alone(bases: list[str], email: str, count: int) -> list[float]:
    stats = Stats()
    # Alone: the requests of the mix still under way end first.
    await asyncio.sleep(SETTLE_S)
    async with httpx2.AsyncClient(timeout=30, follow_redirects=False) as client:
        b = Bases(bases)
        await log_in(client, b, email)
        for _ in bases:  # each instance has served the page once (first-use costs)
            await client.get(b.next() + "/clinician")
        for _ in range(count):
            await call(client, stats, "dashboard", "GET", b.next() + "/clinician")
    return stats.latencies["dashboard"]


def mix(
    label: str,
    url: str,
    instances: int,
    population: tuple[list[str], str],
    frames: list[str],
    args: argparse.Namespace,
    pg_port: int | None = None,
) -> Result:
    """The mix on fresh instances of an already seeded database, then the dashboard alone."""
    patients, clinician_email = population
    with tempfile.TemporaryDirectory(prefix="nerveglide-bench-load-") as folder:
        data = Path(folder)
        running = start_instances(instances, url, data)
        try:
            bases = [base for _, base in running]
            pids = {f"instance {n + 1}": process.pid for n, (process, _) in enumerate(running)}
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            client_before = time.process_time()
            pg_before = postgres_cpu_seconds(pg_port)
            busy_before, all_before = machine_busy_seconds()
            stats, wall = asyncio.run(load(bases, patients, clinician_email, frames, args))
            busy_after, all_after = machine_busy_seconds()
            cpu = {"client": (time.process_time() - client_before) / wall}
            cpu |= {name: (cpu_seconds(pid) - before[name]) / wall for name, pid in pids.items()}
            if pg_port is not None:
                cpu["PostgreSQL"] = (postgres_cpu_seconds(pg_port) - pg_before) / wall
            machine = (busy_after - busy_before) / max(all_after - all_before, 1e-9)
            alone = asyncio.run(dashboard_alone(bases, clinician_email, args.dashboards))
        except Exception:
            for log in sorted(data.glob("instance-*.log")):
                print(f"--- {log.name} ---\n{log.read_text()[-6000:]}", file=sys.stderr)
            raise
        finally:
            stop_instances(running)
    writes = sum(len(stats.latencies[k]) for k in WRITES)
    return Result(label, writes / wall, stats, alone, cpu, machine)


def seeded(label: str, url: str, args: argparse.Namespace) -> tuple[list[str], str]:
    """:func:`prepare`, timed."""
    began = time.perf_counter()
    population = prepare(url, args)
    print(f"[{label}] {args.patients} patients seeded in {time.perf_counter() - began:.0f} s")
    return population


def report(result: Result) -> None:
    s = result.stats
    print(f"[{result.label}] write mix: {result.throughput:.1f} requests/s answered")
    kinds = sorted(set(s.latencies) | set(s.errors))
    for kind in kinds:
        values = s.latencies[kind]
        print(
            f"  {kind:<15} n={len(values):5d}  p50 {percentile(values, 50):7.1f} ms  "
            f"p95 {percentile(values, 95):7.1f} ms  p99 {percentile(values, 99):7.1f} ms  "
            f"errors {len(s.errors[kind])}"
        )
        for detail in s.errors[kind][:3]:
            print(f"      e.g. {detail}")
    shares = ", ".join(f"{name} {share:.0%}" for name, share in result.cpu.items())
    print(f"  CPU during the mix, of one core: {shares}")
    # What the processes above are not charged with: the kernel's own work, and processes
    # that ended during the mix (a PostgreSQL connection opened and closed again costs a
    # server process that shows only here: 20-45 % of a core before the pools kept theirs).
    print(
        f"  the machine's {os.cpu_count()} cores were busy {result.machine:.0%} of the time "
        f"(the processes above: {sum(result.cpu.values()) / (os.cpu_count() or 1):.0%})"
    )
    # Everything shares the same cores: what each part costs a write of the mix (the
    # reads, live frames and dashboards of the mix included) says how far more instances
    # can go on them.
    per_write = ", ".join(
        f"{name} {share / result.throughput * 1000:.0f}" for name, share in result.cpu.items()
    )
    print(f"  CPU ms per write answered: {per_write}")
    alone = result.dashboard_alone
    p95 = percentile(alone, 95)
    print(
        f"  dashboard alone  n={len(alone):5d}  p50 {percentile(alone, 50):7.1f} ms  "
        f"p95 {p95:7.1f} ms  (goal p95 < 200 ms: {'met' if p95 < 200 else 'MISSED'})"
    )


def postgres_rounds(pg: str, frames: list[str], args: argparse.Namespace) -> dict[str, Result]:
    """One instance, then two, ``--rounds`` times on one seeded database, the order
    swapped every round; reports each configuration's median round (by throughput) and
    the speed-up round by round.

    This machine's speed drifts by 10-20 % from one minute to the next (other virtual
    machines on its host): configurations measured minutes apart differ by that much on
    their own. Rounds side by side, each one's speed-up taken within it, and the median
    of those keep most of that drift out of the speed-up."""
    wanted = [n for n in (1, 2) if args.only in (None, f"postgres-{n}")]
    population = seeded("PostgreSQL", pg, args)
    rounds: dict[int, list[Result]] = {n: [] for n in wanted}
    for r in range(args.rounds):
        for n in wanted if r % 2 == 0 else wanted[::-1]:
            label = f"PostgreSQL, {n} instance(s), round {r + 1}"
            result = mix(label, pg, n, population, frames, args, args.pg_port)
            print(f"[{label}] write mix: {result.throughput:.1f} requests/s answered")
            rounds[n].append(result)
    results: dict[str, Result] = {}
    for n, done in rounds.items():
        median = sorted(done, key=lambda result: result.throughput)[len(done) // 2]
        median.label = f"PostgreSQL, {n} instance(s), median of {len(done)} rounds"
        report(median)
        results[f"postgres-{n}"] = median
    if len(rounds) == 2:
        ratios = [
            two.throughput / one.throughput for one, two in zip(rounds[1], rounds[2], strict=True)
        ]
        ratio = sorted(ratios)[len(ratios) // 2]
        print(
            "two instances / one on PostgreSQL, write mix, round by round: "
            f"{', '.join(f'{x:.2f}x' for x in ratios)}; median {ratio:.2f}x "
            f"(goal >= 1.6x: {'met' if ratio >= 1.6 else 'MISSED'})"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--users", type=int, default=16, help="patients logging sessions")
    parser.add_argument("--streams", type=int, default=2, help="live-coach streams")
    parser.add_argument("--reps", type=int, default=10, help="repetitions per session")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--dashboards", type=int, default=20, help="dashboard loads alone")
    parser.add_argument("--pg-port", type=int, default=55460)
    parser.add_argument(
        "--rounds", type=int, default=3, help="PostgreSQL: one instance then two, this often"
    )
    parser.add_argument("--only", choices=("sqlite", "postgres-1", "postgres-2"))
    args = parser.parse_args()
    frames = landmark_frames() if args.streams else []
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="nerveglide-bench-load-db-") as folder:
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{Path(folder) / 'load.db'}"
            population = seeded("SQLite", url, args)
            results["sqlite"] = mix("SQLite, 1 instance", url, 1, population, frames, args)
            report(results["sqlite"])
        if args.only != "sqlite":
            # Its own throwaway cluster, in a folder the postgres user can reach.
            pg_dir = Path(tempfile.gettempdir()) / f"nerveglide-bench-load-pg-{args.pg_port}"
            stop_postgres(pg_dir)
            shutil.rmtree(pg_dir, ignore_errors=True)
            pg = postgres_server(args.pg_port, pg_dir)
            try:
                results |= postgres_rounds(pg, frames, args)
            finally:
                stop_postgres(pg_dir)
                shutil.rmtree(pg_dir, ignore_errors=True)
    errors = sum(len(v) for r in results.values() for v in r.stats.errors.values())
    print(f"errors under the mix, all configurations: {errors} (goal: none)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
