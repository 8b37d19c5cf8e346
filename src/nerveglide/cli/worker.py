"""``nerveglide worker``: sends the email reminders, as a process of its own.

Run as many copies as you like (one per machine, or two for safety): each reminder is
claimed by one of them (see :mod:`nerveglide.services.reminders`). ``--once`` runs one
pass and exits (for cron, and the tests); otherwise a pass every ``--interval`` seconds
(``NERVEGLIDE_WORKER_INTERVAL``, 60 by default) until SIGTERM or SIGINT, which end it
cleanly after the pass under way.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer

log = logging.getLogger("nerveglide.worker")


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
    from nerveglide.json_logs import configure_logging
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
        engine = make_engine(
            url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
        )
    except NerveglideError as exc:
        raise fail(exc.message) from None
    configure_logging(settings.log_format)
    rules = default_rules()
    factory = make_session_factory(engine)
    name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    who = {"worker": name}
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
            log.warning("this pass failed: %s", exc.message, extra=who)
        else:
            if report.sent or report.skipped or report.failed:
                log.info(
                    "reminders: sent %d, skipped %d, failed %d",
                    len(report.sent),
                    len(report.skipped),
                    len(report.failed),
                    extra={
                        **who,
                        "sent": len(report.sent),
                        "skipped": len(report.skipped),
                        "failed": len(report.failed),
                    },
                )
            # The reason (which may name the address) stays with the reminder's row.
            for reminder_id in report.failed:
                log.warning(
                    "reminder %s not sent: the mail server's answer is kept with it",
                    reminder_id,
                    extra={**who, "reminder_id": reminder_id},
                )

    def _patients() -> list[int]:
        with database_errors(), SqlAlchemyUnitOfWork(factory) as uow:  # not clinical rows
            return [a.id for a in uow.accounts.all(role="patient") if not a.disabled_at]

    pause = settings.worker_interval if interval is None else interval
    log.info("started: sending through %s:%s", mailer.host, mailer.port, extra=who)
    try:
        while not stop.is_set():
            try:
                patients = _patients()
            except DatabaseError as exc:
                # The database is restarting or unreachable: the next pass tries again
                # (claims are leases, so nothing is lost meanwhile).
                log.warning("this pass failed: %s", exc.message, extra=who)
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
    log.info("stopped", extra=who)
