"""``nerveglide worker``: sends the email reminders, as a process of its own.

Run as many copies as you like (one per machine, or two for safety): each reminder is
claimed by one of them (see :mod:`nerveglide.services.reminders`). ``--once`` runs one
pass and exits (for cron, and the tests); otherwise a pass every ``--interval`` seconds
(``NERVEGLIDE_WORKER_INTERVAL``, 60 by default) until SIGTERM or SIGINT, which end it
cleanly after the pass under way.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run one pass, then exit.")] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            min=0.1,
            help="Seconds between passes (default: NERVEGLIDE_WORKER_INTERVAL, 60).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Send the email reminders that are due, and keep each patient's safety status
    fresh for their clinician's dashboard (a separate process from `serve`)."""
    from nerveglide.cli.main import fail
    from nerveglide.config import get_settings
    from nerveglide.content.loader import default_rules
    from nerveglide.errors import DatabaseError, NerveglideError
    from nerveglide.notify.mail import SmtpMailer
    from nerveglide.services.reminders import worker_pass
    from nerveglide.services.safety import refresh_status_if_stale
    from nerveglide.services.uow import SqlAlchemyUnitOfWork
    from nerveglide.store import migrate
    from nerveglide.store.db import database_errors, make_engine, make_session_factory

    try:
        settings = get_settings()
        mailer = SmtpMailer.from_settings(settings)
        url = settings.effective_database_url
        migrate.require_head(url)
        engine = make_engine(url)
    except NerveglideError as exc:
        raise fail(exc.message) from None
    rules = default_rules()
    factory = make_session_factory(engine)
    name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    def _one_pass(patient_id: int) -> None:
        try:
            with database_errors():
                report = worker_pass(
                    lambda: SqlAlchemyUnitOfWork(factory, patient_id=patient_id),
                    mailer,
                    settings=settings,
                    rules=rules,
                    worker=name,
                )
            # The safety status the clinician's dashboard reads: evaluated again when it
            # is older than an hour (the rules' diary window moves on with the days).
            with database_errors(), SqlAlchemyUnitOfWork(factory, patient_id=patient_id) as uow:
                if refresh_status_if_stale(uow, rules, datetime.now(UTC)):
                    uow.commit()
        except NerveglideError as exc:
            console.print(f"worker {name}: this pass failed: {exc.message}", highlight=False)
        else:
            if report.sent or report.skipped or report.failed:
                console.print(
                    f"worker {name}: sent {len(report.sent)}, skipped "
                    f"{len(report.skipped)}, failed {len(report.failed)}",
                    highlight=False,
                )
            for reminder_id, problem in report.failed.items():
                console.print(f"  reminder {reminder_id}: {problem}", highlight=False)

    def _patients() -> list[int]:
        with database_errors(), SqlAlchemyUnitOfWork(factory) as uow:  # not clinical rows
            return [a.id for a in uow.accounts.all(role="patient") if not a.disabled_at]

    pause = settings.worker_interval if interval is None else interval
    console.print(f"worker {name}: sending through {mailer.host}:{mailer.port}", highlight=False)
    try:
        while not stop.is_set():
            try:
                patients = _patients()
            except DatabaseError as exc:
                # The database is restarting or unreachable: the next pass tries again
                # (claims are leases, so nothing is lost meanwhile).
                console.print(f"worker {name}: this pass failed: {exc.message}", highlight=False)
                if once:
                    raise fail(exc.message, code=1) from None
                patients = []
            for patient_id in patients:  # each patient's reminders in their own scope
                _one_pass(patient_id)
            if once:
                break
            stop.wait(pause)
    finally:
        engine.dispose()
    console.print(f"worker {name}: stopped", highlight=False)
