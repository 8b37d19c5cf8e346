"""Login throttling on SQLite and PostgreSQL (domain.throttle, OWASP ASVS 2.2.1): an
attacker is slowed down, ever more, and nobody can lock the owner out: failures from
one address delay only that address, many addresses together are held to the ASVS bound
of 100 failures an hour, and the owner at an address they logged in from before is never
held up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nerveglide.config import Settings
from nerveglide.errors import NotAuthenticated, Throttled
from nerveglide.services import accounts
from nerveglide.store.db import SessionFactory
from tests.accounts import PASSWORD, add_account, form_token
from tests.integration.accounts.conftest import App

VICTIM = "victim@example.org"
WRONG = "not the password at all"


def attempt(
    factory: SessionFactory, settings: Settings, address: str, now: datetime, password: str = WRONG
) -> str:
    """``ok``, ``failed`` or ``wait``: what one login try of the victim's account gets."""
    try:
        accounts.authenticate(
            factory, settings, email=VICTIM, password=password, address=address, now=now
        )
    except Throttled:
        return "wait"
    except NotAuthenticated:
        return "failed"
    return "ok"


def test_failures_from_one_address_slow_that_address_ever_more_and_no_other(
    app: App, session_factory: SessionFactory
):
    settings, factory = app.settings, session_factory
    add_account(app.url, VICTIM)
    now = datetime.now(UTC)
    assert attempt(factory, settings, "198.51.100.7", now, PASSWORD) == "ok"  # the owner's
    free = settings.login_free_failures
    first = timedelta(seconds=settings.login_first_delay_seconds)
    attacker = "203.0.113.66"
    assert [attempt(factory, settings, attacker, now) for _ in range(free)] == ["failed"] * free
    # Now each try waits: the right password too (it is not even checked)...
    assert attempt(factory, settings, attacker, now, PASSWORD) == "wait"
    assert attempt(factory, settings, attacker, now + first / 2) == "wait"
    # ... and the waiting tries do not make the wait longer.
    assert attempt(factory, settings, attacker, now + first) == "failed"
    # The next wait is twice as long.
    assert attempt(factory, settings, attacker, now + first + first * 1.5) == "wait"
    assert attempt(factory, settings, attacker, now + first + first * 2) == "failed"
    # Meanwhile the owner logs in, from their usual address or a new one.
    assert attempt(factory, settings, "198.51.100.7", now + first, PASSWORD) == "ok"
    assert attempt(factory, settings, "192.0.2.200", now + first, PASSWORD) == "ok"
    with pytest.raises(Throttled) as refused:
        accounts.authenticate(
            factory, settings, email=VICTIM, password=PASSWORD, address=attacker,
            now=now + first * 3,
        )  # fmt: skip
    assert 0 < refused.value.retry_after_s <= 4 * settings.login_first_delay_seconds
    assert "wait" in refused.value.message


def test_many_addresses_cannot_lock_the_owner_out(app: App, session_factory: SessionFactory):
    settings, factory = app.settings, session_factory
    add_account(app.url, VICTIM)
    now = datetime.now(UTC)
    home = "198.51.100.7"
    assert attempt(factory, settings, home, now, PASSWORD) == "ok"
    cap = settings.login_max_failures_per_account
    botnet = [f"203.0.113.{n}" for n in range(1, cap + 1)]
    assert {attempt(factory, settings, bot, now) for bot in botnet} == {"failed"}
    # Addresses that never logged in to the account now wait, even with the password...
    assert attempt(factory, settings, "203.0.113.250", now) == "wait"
    assert attempt(factory, settings, "192.0.2.200", now, PASSWORD) == "wait"
    # ... but the owner at home is not held up at all.
    assert attempt(factory, settings, home, now, PASSWORD) == "ok"
    # The cool-down ends with the window, with no CAPTCHA and nothing to unlock.
    later = now + timedelta(minutes=settings.login_window_minutes, seconds=1)
    assert attempt(factory, settings, "192.0.2.200", later, PASSWORD) == "ok"


def test_password_spraying_from_one_address_waits_but_not_for_its_own_accounts(
    app: App, session_factory: SessionFactory
):
    settings, factory = app.settings, session_factory
    add_account(app.url, VICTIM)
    add_account(app.url, "neighbour@example.org")
    now = datetime.now(UTC)
    shared = "198.51.100.99"  # say, an office behind one address
    accounts.authenticate(
        factory, settings, email="neighbour@example.org", password=PASSWORD, address=shared,
        now=now,
    )  # fmt: skip
    for n in range(settings.login_max_failures_per_address):
        with pytest.raises(NotAuthenticated):
            accounts.authenticate(
                factory, settings, email=f"guess{n}@example.org", password=WRONG,
                address=shared, now=now,
            )  # fmt: skip
    assert attempt(factory, settings, shared, now, PASSWORD) == "wait"
    assert accounts.authenticate(
        factory, settings, email="neighbour@example.org", password=PASSWORD, address=shared,
        now=now,
    ).email == "neighbour@example.org"  # fmt: skip


def test_no_more_than_100_failures_an_hour_reach_one_account(
    app: App, session_factory: SessionFactory
):
    """ASVS 2.2.1's bound, against an attacker who tries every 30 seconds for 70 minutes,
    each time from a new address (so no per-address delay ever applies)."""
    settings, factory = app.settings, session_factory
    add_account(app.url, VICTIM)
    start = datetime.now(UTC)
    checked: list[datetime] = []
    for step in range(140):
        now = start + timedelta(seconds=30 * step)
        if attempt(factory, settings, f"10.{step // 250}.{step % 250}.1", now) == "failed":
            checked.append(now)

    def busiest(span: timedelta) -> int:
        return max(sum(1 for t in checked if begin <= t < begin + span) for begin in checked)

    assert 0 < busiest(timedelta(hours=1)) <= 100
    window = timedelta(minutes=settings.login_window_minutes)
    assert busiest(window) <= settings.login_max_failures_per_account
    assert len(checked) < 140  # the rest were turned away before the password check


def test_the_login_form_answers_429_with_retry_after(app: App):
    add_account(app.url, VICTIM)
    with app.client() as client:
        csrf = form_token(client, "/login")
        form = {"email": VICTIM, "password": WRONG, "csrf_token": csrf}
        for _ in range(app.settings.login_free_failures):
            assert client.post("/login", data=form).status_code == 401
        refused = client.post("/login", data={**form, "password": PASSWORD})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= app.settings.login_first_delay_seconds
        assert "Too many failed logins from here" in refused.text
