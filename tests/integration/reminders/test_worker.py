"""``nerveglide worker`` on SQLite and PostgreSQL with a real SMTP server: two worker
processes running at once deliver each due reminder exactly once; none during a safety
block; a claim left by a crashed worker is taken over once its lease ends; a mail server
that fails releases the claim for a later pass."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nerveglide.config import Settings, get_settings
from nerveglide.content.loader import default_library, default_rules
from nerveglide.notify.mail import SmtpMailer
from nerveglide.services.accounts import cli_patient
from nerveglide.services.programs import build_program, save_program
from nerveglide.services.reminders import worker_pass
from nerveglide.services.safety import record_screening
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store import migrate
from nerveglide.store.db import SessionFactory, make_engine, make_session_factory
from nerveglide.store.models.reminders import ReminderRow, ReminderSettingRow
from tests.integration.reminders.smtp import Inbox, free_port, smtp_server

TIMEZONE = "Europe/Berlin"
EMAIL = "person@example.org"
MINUTES_AGO = (40, 25, 10)


def _uow(factory: SessionFactory) -> SqlAlchemyUnitOfWork:
    """A unit of work on the installation's only patient (made if there is none)."""
    patient = cli_patient(factory, None, datetime.now(UTC))
    return SqlAlchemyUnitOfWork(factory, patient_id=patient.id)


@pytest.fixture
def factory(database_url: str) -> Iterator[SessionFactory]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


def set_up(factory: SessionFactory, now: datetime, minutes_ago=MINUTES_AGO) -> list[str]:
    """A program of three sessions a day and reminder times some minutes before ``now``
    (set two hours earlier), to ``EMAIL``; returns the times."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(TIMEZONE))
    times = sorted({f"{local - timedelta(minutes=m):%H:%M}" for m in minutes_ago})
    with _uow(factory) as uow:
        program = build_program(
            default_library(),
            "left",
            [
                {
                    "exercise_id": "supine-nerve-glide",
                    "dose": "supine-nerve-glide.dose.000",
                    "times_per_day": 3,
                }
            ],
        )
        save_program(uow, program, now - timedelta(days=1))
        uow.reminders.add(
            ReminderSettingRow(times=times, email=EMAIL, updated_at=now - timedelta(hours=2))
        )
        uow.commit()
    return times


def block_sessions(factory: SessionFactory, now: datetime) -> None:
    rules = default_rules()
    answers = {q.id: "no" for q in rules.questions}
    answers["rf.cancer"] = "yes"  # "see a doctor soon": sessions paused
    with _uow(factory) as uow:
        verdict = record_screening(uow, rules, answers, now)
        uow.commit()
    assert verdict.blocks_sessions


def rows(factory: SessionFactory) -> list[ReminderRow]:
    with _uow(factory) as uow:
        return uow.reminders.between(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))


def settings_for(inbox: Inbox, **overrides) -> Settings:
    return get_settings(
        smtp_host=inbox.host,
        smtp_port=inbox.port,
        smtp_starttls=False,
        timezone=TIMEZONE,
        public_url="https://glides.example.org",
        **overrides,
    )


def start_worker(database_url: str, inbox: Inbox, tmp_path: Path, *args: str):
    env = {
        **os.environ,
        **inbox.env(),
        "NERVEGLIDE_DATABASE_URL": database_url,
        "NERVEGLIDE_DATA_DIR": str(tmp_path / "data"),
        "NERVEGLIDE_TIMEZONE": TIMEZONE,
        "NERVEGLIDE_PUBLIC_URL": "https://glides.example.org",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "nerveglide", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_at_once_send_each_due_reminder_exactly_once(
    factory, database_url, inbox, tmp_path
):
    times = set_up(factory, datetime.now(UTC))
    workers = [start_worker(database_url, inbox, tmp_path, "--interval", "0.2") for _ in "ab"]
    try:
        inbox.wait_for(len(times), timeout=60)
        # let both go on for several more passes: nothing more may arrive
        for worker in workers:
            with pytest.raises(subprocess.TimeoutExpired):
                worker.wait(timeout=1.5)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
    outputs = [worker.communicate(timeout=30) for worker in workers]
    sent_logged = 0
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        # structured logs: one JSON object a line, each naming the worker
        lines = [json.loads(line) for line in err.splitlines()]
        assert len({line["worker"] for line in lines}) == 1
        assert lines[0]["message"].startswith("started: sending through")
        assert lines[-1]["message"] == "stopped"
        sent_logged += sum(line.get("sent", 0) for line in lines)
    assert sent_logged == len(times)
    messages = inbox.wait_for(len(times) + 1, timeout=0.5)
    subjects = sorted(m["Subject"] for m in messages)
    assert subjects == [f"Time for your nerve glides ({t})" for t in times]
    assert {m["To"] for m in messages} == {EMAIL}
    plain = messages[0].get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "https://glides.example.org/session" in body
    assert "https://glides.example.org/reminders" in body
    sent = rows(factory)
    assert len(sent) == len(times)
    assert all(r.sent_at is not None and r.skipped is None for r in sent)
    assert all(r.attempts == 1 for r in sent)

    again = start_worker(database_url, inbox, tmp_path, "--once")
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert len(inbox.wait_for(len(times) + 1, timeout=0.5)) == len(times)


def test_no_reminder_is_sent_during_a_safety_block(factory, database_url, inbox, tmp_path):
    now = datetime.now(UTC)
    set_up(factory, now)
    block_sessions(factory, now - timedelta(hours=1))
    worker = start_worker(database_url, inbox, tmp_path, "--once")
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert inbox.wait_for(1, timeout=0.5) == []
    assert {r.skipped for r in rows(factory)} == {"safety-block"}


def test_a_claim_left_by_a_crashed_worker_is_taken_over_after_its_lease(factory, inbox):
    now = datetime.now(UTC)
    times = set_up(factory, now)
    settings = settings_for(inbox, reminder_lease=300)
    mailer = SmtpMailer.from_settings(settings)
    rules = default_rules()

    def uow() -> SqlAlchemyUnitOfWork:
        return _uow(factory)

    # Worker "crashed" claims the first reminder and dies before sending it.
    first = worker_pass(uow, mailer, settings=settings, rules=rules, worker="x", now=now, batch=0)
    assert first.planned == len(times)
    with uow() as unit:
        (oldest, *_) = unit.reminders.claimable(now, now, 10)
        assert unit.reminders.claim(oldest, "crashed", now, now - timedelta(seconds=300))
        unit.commit()
    report = worker_pass(uow, mailer, settings=settings, rules=rules, worker="b", now=now)
    assert oldest not in report.sent
    assert len(report.sent) == len(times) - 1
    later = now + timedelta(seconds=301)
    report = worker_pass(uow, mailer, settings=settings, rules=rules, worker="b", now=later)
    assert report.sent == [oldest]
    assert len(inbox.wait_for(len(times) + 1, timeout=0.5)) == len(times)
    taken_over = next(r for r in rows(factory) if r.id == oldest)
    assert (taken_over.claimed_by, taken_over.attempts) == ("b", 2)


def test_a_failing_mail_server_releases_the_reminder_for_a_later_pass(factory, inbox):
    now = datetime.now(UTC)
    times = set_up(factory, now, minutes_ago=(5,))
    rules = default_rules()
    broken = settings_for(inbox)
    down = SmtpMailer("127.0.0.1", free_port(), "x@nerveglide.test", starttls=False, timeout=2)

    def uow() -> SqlAlchemyUnitOfWork:
        return _uow(factory)

    report = worker_pass(uow, down, settings=broken, rules=rules, worker="a", now=now)
    assert len(report.failed) == 1
    (row,) = rows(factory)
    assert (row.sent_at, row.claimed_by, row.attempts) == (None, None, 1)
    assert "could not take the message" in (row.last_error or "")
    mailer = SmtpMailer.from_settings(broken)
    report = worker_pass(uow, mailer, settings=broken, rules=rules, worker="a", now=now)
    assert len(report.sent) == 1
    assert [m["Subject"] for m in inbox.wait_for(1, timeout=5)] == [
        f"Time for your nerve glides ({times[0]})"
    ]


def test_a_reminder_whose_session_is_done_or_too_late_is_skipped(factory, inbox):
    now = datetime.now(UTC)
    set_up(factory, now, minutes_ago=(5,))
    settings = settings_for(inbox, reminder_grace=1)
    mailer = SmtpMailer.from_settings(settings)

    def uow() -> SqlAlchemyUnitOfWork:
        return _uow(factory)

    # planned while still in time, sent only after the grace minute: too late to matter
    planned = worker_pass(
        uow, mailer, settings=settings_for(inbox), rules=default_rules(), worker="a",
        now=now, batch=0,
    )  # fmt: skip
    assert planned.planned == 1
    report = worker_pass(uow, mailer, settings=settings, rules=default_rules(), worker="a", now=now)
    assert list(report.skipped.values()) == ["late"]
    assert inbox.wait_for(1, timeout=0.3) == []


def test_a_reminder_whose_session_is_already_done_is_skipped(factory, inbox):
    import uuid

    from nerveglide.store.models.exercise_session import ExerciseSessionRow

    now = datetime.now(UTC)
    set_up(factory, now, minutes_ago=(5,))
    with _uow(factory) as uow:
        program = uow.programs.current()
        assert program is not None
        uow.sessions.add(
            ExerciseSessionRow(
                id=str(uuid.uuid4()),
                program_id=program.id,
                source="web",
                glides=["supine-nerve-glide"],
                started_at=now - timedelta(minutes=3),
                ended_at=now - timedelta(minutes=1),
                status="completed",
                pain_before_back=2,
                pain_before_leg=4,
            )
        )
        uow.commit()
    settings = settings_for(inbox)
    report = worker_pass(
        lambda: _uow(factory),
        SmtpMailer.from_settings(settings),
        settings=settings,
        rules=default_rules(),
        worker="a",
        now=now,
    )
    assert list(report.skipped.values()) == ["done"]
    assert inbox.wait_for(1, timeout=0.3) == []


def test_a_reminder_for_a_time_the_person_removed_is_not_sent(factory, inbox):
    now = datetime.now(UTC)
    set_up(factory, now, minutes_ago=(5,))
    settings = settings_for(inbox)
    mailer = SmtpMailer.from_settings(settings)

    def uow() -> SqlAlchemyUnitOfWork:
        return _uow(factory)

    planned = worker_pass(
        uow, mailer, settings=settings, rules=default_rules(), worker="a", now=now, batch=0
    )
    assert planned.planned == 1
    with uow() as unit:
        unit.reminders.add(ReminderSettingRow(times=[], email=EMAIL, updated_at=now))
        unit.commit()
    report = worker_pass(uow, mailer, settings=settings, rules=default_rules(), worker="a", now=now)
    assert list(report.skipped.values()) == ["cancelled"]
    assert inbox.wait_for(1, timeout=0.3) == []


def test_the_worker_without_a_mail_server_says_so_and_exits_2(database_url, tmp_path):
    migrate.upgrade(database_url)
    env = {
        **os.environ,
        "NERVEGLIDE_DATABASE_URL": database_url,
        "NERVEGLIDE_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("NERVEGLIDE_SMTP_HOST", None)
    result = subprocess.run(
        [sys.executable, "-m", "nerveglide", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "NERVEGLIDE_SMTP_HOST is not set" in result.stderr + result.stdout
