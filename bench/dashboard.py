"""How long the clinician's dashboard takes with many patients: one clinician, N patients
(default 1,000) with four weeks of data each (bench/population.py), on SQLite and, when
``--postgres URL`` is given, on PostgreSQL. Times the service call that builds the
dashboard's lines (the web page adds its template on top; bench/load.py measures the
page over HTTP). Goal (issue 10): the page under 200 ms at p95 with 1,000 patients.
Prints figures; asserts nothing.

Run: .venv/bin/python -m bench.dashboard [--patients 1000] [--days 28] [--repeat 7]
     [--postgres postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.load import empty_postgres
from bench.population import seed_clinic
from nerveglide.content.loader import default_library, default_rules, load_questionnaires
from nerveglide.domain.accounts import Actor
from nerveglide.services.clinician import dashboard
from nerveglide.store import migrate
from nerveglide.store.db import make_engine, make_session_factory


def run(url: str, label: str, args: argparse.Namespace) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        now = datetime.now(UTC)
        began = time.perf_counter()
        clinic = seed_clinic(engine, patients=args.patients, days=args.days, now=now)
        print(
            f"[{label}] seeded {args.patients} patients, {clinic.sessions} sessions, "
            f"{clinic.repetitions} repetitions in {time.perf_counter() - began:.1f} s"
        )
        factory = make_session_factory(engine)
        actor = Actor(account_id=clinic.clinician_id, role="clinician", address="127.0.0.1")
        rules, library, questionnaires = default_rules(), default_library(), load_questionnaires()
        start = time.perf_counter()
        lines = dashboard(
            factory, actor, questionnaires=questionnaires, rules=rules, library=library,
            timezone="UTC", today=now.date(), now=now,
        )  # fmt: skip
        print(
            f"[{label}] first view: {time.perf_counter() - start:.1f} s (each patient's safety "
            "status evaluated and kept; the app keeps them after each change, the worker hourly)"
        )
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            lines = dashboard(
                factory, actor, questionnaires=questionnaires, rules=rules, library=library,
                timezone="UTC", today=now.date(), now=now,
            )  # fmt: skip
            samples.append(time.perf_counter() - start)
        samples.sort()
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        print(
            f"[{label}] dashboard page of {len(lines)} of {args.patients} patients: "
            f"median {statistics.median(samples) * 1000:.0f} ms"
            f"  p95 {p95 * 1000:.0f} ms  min {samples[0] * 1000:.0f} ms  n={len(samples)}"
            f"  (goal p95 < 200 ms: {'met' if p95 < 0.2 else 'MISSED'})"
        )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database may be emptied")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite", args)
    if args.postgres:
        empty_postgres(args.postgres)
        run(args.postgres, "PostgreSQL", args)


if __name__ == "__main__":
    main()
