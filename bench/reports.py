"""How long a year's reports take: one person, a year of three sessions a day (15
repetitions each), a daily diary and four questionnaires every 28 days, in a fresh SQLite
database. Times gathering the
report from the database, building the PDF, and building the FHIR Bundle (and, apart,
checking it with the ``fhir.resources`` models). Goals: the PDF under 3 s (from the
database: gathering and building), the Bundle under 1 s. Prints figures; asserts nothing.

Run: .venv/bin/python -m bench.reports [--days 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import TypeVar

from tests.integration.reports.seed import seed

from nerveglide.content.loader import default_library, default_rules, load_questionnaires
from nerveglide.fhir.mapping import report_bundle
from nerveglide.fhir.validation import validate_bundle
from nerveglide.reports.csv import csv_zip
from nerveglide.reports.model import Period, ProgressReport
from nerveglide.reports.pdf import render_pdf, warm_up
from nerveglide.services.accounts import cli_patient
from nerveglide.services.questionnaires import record_response
from nerveglide.services.reports import gather_report
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store import migrate
from nerveglide.store.db import SessionFactory, make_engine, make_session_factory

T = TypeVar("T")
GOALS = {"PDF from the database (gather + build)": 3.0, "FHIR Bundle (build + JSON)": 1.0}


def timed(action: Callable[[], T], repeat: int) -> tuple[list[float], T]:
    samples = []
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - start)
    assert result is not None
    return samples, result


def line(label: str, samples: list[float]) -> None:
    goal = GOALS.get(label)
    verdict = ""
    if goal is not None:
        verdict = f"  goal < {goal:g} s: {'met' if statistics.median(samples) < goal else 'MISSED'}"
    print(
        f"{label:<40} median {statistics.median(samples):6.2f} s  min {min(samples):6.2f} s"
        f"  max {max(samples):6.2f} s  n={len(samples)}{verdict}"
    )


def bundle_json(report: ProgressReport) -> bytes:
    return json.dumps(report_bundle(report), separators=(",", ":")).encode("utf-8")


def seed_questionnaire_series(factory: SessionFactory, *, start: date, days: int) -> int:
    """The Roland-Morris questionnaire, the STarT Back tool and both pain ratings every
    28 days (the default interval), the disability easing over the year."""
    by_id = {q.id: q for q in load_questionnaires()}
    count = 0
    patient_id = cli_patient(factory, None, datetime.now(UTC)).id  # the patient seed() filled
    with SqlAlchemyUnitOfWork(factory, patient_id=patient_id) as uow:
        for n, offset in enumerate(range(0, days, 28)):
            at = datetime.combine(start + timedelta(days=offset), day_time(10), tzinfo=UTC)
            ticks = max(0, 14 - n)
            answers: dict[str, object] = {f"q{i}": "yes" for i in range(1, ticks + 1)}
            record_response(uow, by_id["roland-morris"], answers, at)
            start_back: dict[str, object] = {f"q{i}": "agree" for i in range(1, 9)}
            start_back["q9"] = "moderately"
            record_response(uow, by_id["start-back"], start_back, at)
            record_response(uow, by_id["nprs-leg"], {"leg-pain": max(0, 7 - n // 2)}, at)
            record_response(uow, by_id["nprs-back"], {"back-pain": max(0, 5 - n // 2)}, at)
            count += 4
        uow.commit()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = date(2025, 1, 1)
    now = datetime.combine(start + timedelta(days=args.days), datetime.min.time(), tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            factory = make_session_factory(engine)
            began = time.perf_counter()
            seeded = seed(factory, start=start, days=args.days)
            responses = seed_questionnaire_series(factory, start=start, days=args.days)
            print(
                f"seeded {seeded.sessions} sessions, {seeded.repetitions} repetitions, "
                f"{seeded.diary_days} diary days, {responses} questionnaire responses in "
                f"{time.perf_counter() - began:.1f} s"
            )
            period = Period(seeded.start, seeded.end)
            patient_id = cli_patient(factory, None, now).id  # the patient seed() filled

            def gather() -> ProgressReport:
                with SqlAlchemyUnitOfWork(factory, patient_id=patient_id) as uow:
                    return gather_report(
                        uow,
                        period,
                        timezone="UTC",
                        now=now,
                        library=default_library(),
                        rules=default_rules(),
                    )

            samples, report = timed(gather, args.repeat)
            line("gather the report (database)", samples)
            # The first PDF in a process imports matplotlib's PDF backend and fontTools:
            # the server does that at start (warm_up_in_background), timed here apart.
            began = time.perf_counter()
            warm_up()
            label = "PDF renderer warm-up (server start)"
            print(f"{label:<40} {time.perf_counter() - began:6.2f} s")
            began = time.perf_counter()
            pdf = render_pdf(report)
            print(f"{'PDF, first after the warm-up':<40} {time.perf_counter() - began:6.2f} s")
            samples, pdf = timed(lambda: render_pdf(report), args.repeat)
            line("PDF (build only)", samples)
            samples, pdf = timed(lambda: render_pdf(gather()), args.repeat)
            line("PDF from the database (gather + build)", samples)
        finally:
            engine.dispose()

    samples, bundle = timed(lambda: bundle_json(report), args.repeat)
    line("FHIR Bundle (build + JSON)", samples)
    samples, _ = timed(lambda: validate_bundle(json.loads(bundle)), args.repeat)
    line("FHIR Bundle checked (fhir.resources)", samples)
    samples, archive = timed(lambda: csv_zip(report), args.repeat)
    line("CSV zip", samples)
    entries = len(json.loads(bundle)["entry"])
    print(
        f"sizes: PDF {len(pdf) / 1024:.0f} KiB; Bundle {len(bundle) / 1024 / 1024:.1f} MiB "
        f"({entries} resources); CSV zip {len(archive) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
