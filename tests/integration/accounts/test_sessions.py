"""Login sessions on SQLite and PostgreSQL: a new id at login (no fixation), idle and
absolute timeouts, logout, a disabled account's sessions ended, CSRF refused when missing
or wrong, throttled logins, single-use expiring reset tokens, the password policy and
rehashing on login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text

from nerveglide.domain.accounts import Actor
from nerveglide.errors import InvalidInput, NotPermitted
from nerveglide.security.passwords import check_password_policy, common_passwords
from nerveglide.services import accounts
from nerveglide.store.db import SessionFactory, make_engine
from tests.accounts import PASSWORD, add_account, log_in
from tests.integration.accounts.conftest import App

COOKIE = "nerveglide_session"


def sql(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return [tuple(r) for r in result.all()] if result.returns_rows else []
    finally:
        engine.dispose()


def test_a_new_session_id_at_login_and_the_old_one_is_dead(app: App):
    add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
        first = client.cookies[COOKIE]
        log_in(client, "p@example.org")  # logging in again with the old cookie sent
        second = client.cookies[COOKIE]
        assert first != second
        assert client.get("/api/me").status_code == 200
    with app.client() as stale:
        stale.cookies.set(COOKIE, first)
        assert stale.get("/api/me").status_code == 401
    # The database keeps hashes of session ids, never the ids themselves.
    stored = {row[0] for row in sql(app.url, "SELECT id_hash FROM auth_session")}
    assert second not in stored
    assert len(stored) == 1


def test_idle_and_absolute_timeouts(app: App):
    add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
        idle = datetime.now(UTC) - timedelta(minutes=app.settings.session_idle_minutes + 1)
        sql(app.url, "UPDATE auth_session SET last_seen_at = :t", t=idle)
        assert client.get("/api/me").status_code == 401
        assert client.get("/diary", follow_redirects=False).headers["location"] == (
            "/login?next=/diary"
        )
        log_in(client, "p@example.org")
        old = datetime.now(UTC) - timedelta(hours=app.settings.session_absolute_hours, minutes=1)
        sql(app.url, "UPDATE auth_session SET created_at = :t", t=old)
        assert client.get("/api/me").status_code == 401
    assert sql(app.url, "SELECT COUNT(*) FROM auth_session") == [(0,)]


def test_logout_ends_the_session(app: App):
    add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
        cookie = client.cookies[COOKIE]
        assert client.post("/logout", follow_redirects=False).status_code == 303
    with app.client() as again:
        again.cookies.set(COOKIE, cookie)
        assert again.get("/api/me").status_code == 401


def test_disabling_an_account_ends_all_its_sessions(app: App):
    patient = add_account(app.url, "p@example.org")
    add_account(app.url, "admin@example.org", "admin")
    with app.client() as phone, app.client() as laptop, app.client() as admin:
        log_in(phone, "p@example.org")
        log_in(laptop, "p@example.org")
        log_in(admin, "admin@example.org")
        assert admin.post(f"/admin/accounts/{patient}/disable").status_code == 200
        assert phone.get("/api/me").status_code == 401
        assert laptop.get("/api/me").status_code == 401
        failed = phone.post(
            "/login",
            data={"email": "p@example.org", "password": PASSWORD,
                  "csrf_token": phone.cookies.get("nerveglide_csrf") or "x"},
        )  # fmt: skip
        assert failed.status_code in (401, 403)


def test_csrf_missing_or_wrong_is_refused_and_nothing_changes(app: App):
    add_account(app.url, "p@example.org")
    entry = {"back_pain": 1, "leg_pain": 2, "numbness": "none", "weakness": "none"}
    with app.client() as client:
        token = log_in(client, "p@example.org")
        today = client.get("/diary").text  # a page: its forms carry the token
        assert f'name="csrf_token" value="{token}"' in today
        day = app.settings.today(datetime.now(UTC)).isoformat()
        del client.headers["X-CSRF-Token"]
        assert client.put(f"/api/diary/{day}", json=entry).status_code == 403
        wrong = client.put(f"/api/diary/{day}", json=entry, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        form = {"back_pain": "1", "leg_pain": "2", "numbness": "none", "weakness": "none"}
        assert client.post("/diary", data=form).status_code == 403
        assert client.post("/diary", data={**form, "csrf_token": "nope"}).status_code == 403
        assert sql(app.url, "SELECT COUNT(*) FROM diary_entry") == [(0,)]
        ok = client.put(f"/api/diary/{day}", json=entry, headers={"X-CSRF-Token": token})
        assert ok.status_code == 200
    with app.client() as anonymous:  # the login form too: no token, no login
        refused = anonymous.post("/login", data={"email": "p@example.org", "password": PASSWORD})
        assert refused.status_code == 403


def test_a_foreign_origin_is_still_refused(app: App):
    add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
        response = client.post("/logout", headers={"Origin": "https://evil.example"})
        assert response.status_code == 403


def test_reset_tokens_work_once_and_expire(app: App, session_factory: SessionFactory):
    add_account(app.url, "p@example.org")
    factory = session_factory
    now = datetime.now(UTC)
    token = accounts.request_password_reset(
        factory, app.settings, email="p@example.org", now=now, address=None
    )
    assert token is not None
    assert accounts.request_password_reset(
        factory, app.settings, email="nobody@example.org", now=now, address=None
    ) is None  # fmt: skip
    stored = [row[0] for row in sql(app.url, "SELECT token_hash FROM account_token")]
    assert token not in stored  # only its hash
    with app.client() as client:
        log_in(client, "p@example.org")
        accounts.reset_password(
            factory, token=token, password="a brand new passphrase", now=now, address=None
        )
        assert client.get("/api/me").status_code == 401  # the reset ended every session
    with pytest.raises(InvalidInput, match="not valid"):
        accounts.reset_password(
            factory, token=token, password="another new passphrase", now=now, address=None
        )
    expired = accounts.request_password_reset(
        factory, app.settings, email="p@example.org", now=now, address=None
    )
    assert expired is not None
    with pytest.raises(InvalidInput, match="not valid"):
        accounts.reset_password(
            factory, token=expired, password="another new passphrase", address=None,
            now=now + timedelta(minutes=app.settings.reset_valid_minutes + 1),
        )  # fmt: skip
    with app.client() as client:
        log_in(client, "p@example.org", "a brand new passphrase")


def test_the_reset_pages_answer_the_same_for_unknown_addresses(app: App):
    add_account(app.url, "p@example.org")
    with app.client() as client:
        client.get("/password-reset")
        csrf = client.cookies["nerveglide_csrf"]
        known = client.post("/password-reset", data={"email": "p@example.org", "csrf_token": csrf})
        unknown = client.post(
            "/password-reset", data={"email": "x@example.org", "csrf_token": csrf}
        )
        assert known.status_code == unknown.status_code == 200
        assert "If there is an account" in known.text
        assert "If there is an account" in unknown.text
        bad = client.post(
            "/password-reset/new",
            data={"token": "forged", "password": "whatever you like", "csrf_token": csrf},
        )
        assert bad.status_code == 422


def test_password_policy():
    assert len(common_passwords()) > 19000
    for bad, why in (
        ("short", "at least 8"),
        ("password1", "commonly used"),
        ("Iloveyou", "commonly used"),
    ):
        with pytest.raises(InvalidInput, match=why):
            check_password_policy(bad)
    check_password_policy("correct horse battery staple " * 2)  # 58 characters
    check_password_policy("x" * 64 + "y" * 100)  # long passphrases are welcome
    with pytest.raises(InvalidInput, match="at most"):
        check_password_policy("z" * 257)


def test_registration_refuses_a_weak_password_and_saves_nothing(app: App):
    with app.client() as client:
        client.get("/register")
        csrf = client.cookies["nerveglide_csrf"]
        response = client.post(
            "/register",
            data={"email": "p@example.org", "password": "qwerty123", "csrf_token": csrf},
        )
        assert response.status_code == 422
        assert "commonly used" in response.text
    assert sql(app.url, "SELECT COUNT(*) FROM account") == [(0,)]


def test_a_hash_with_old_parameters_is_replaced_at_login(app: App):
    add_account(app.url, "p@example.org")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    sql(app.url, "UPDATE account SET password_hash = :h", h=weak)
    with app.client() as client:
        log_in(client, "p@example.org")
    (stored,) = sql(app.url, "SELECT password_hash FROM account")[0]
    assert stored != weak
    assert isinstance(stored, str)
    assert stored.startswith("$argon2id$")
    assert "m=65536" in stored


def test_an_admin_can_only_be_made_by_the_cli_and_disables_only_as_admin(
    app: App, session_factory: SessionFactory
):
    patient = add_account(app.url, "p@example.org")
    factory = session_factory
    with pytest.raises(NotPermitted):
        accounts.disable_account(factory, Actor(patient, "patient"), patient, datetime.now(UTC))
    with app.client() as client:
        log_in(client, "p@example.org")
        assert client.post(f"/admin/accounts/{patient}/disable").status_code == 403
        assert client.get("/admin/audit").status_code == 403
    assert isinstance(TestClient, type)


def test_behind_https_the_cookie_is_secure_and_host_only():
    from fastapi import Response

    from nerveglide.config import get_settings
    from nerveglide.web.auth import session_cookie_name, set_session_cookie

    settings = get_settings(env="test", public_url="https://glide.example.org")
    response = Response()
    set_session_cookie(response, settings, "abc")
    cookie = response.headers["set-cookie"]
    assert session_cookie_name(settings) == "__Host-nerveglide"
    for attribute in ("__Host-nerveglide=abc", "HttpOnly", "Path=/", "SameSite=lax", "Secure"):
        assert attribute in cookie
    plain = get_settings(env="test")
    assert not plain.secure_cookies
    assert session_cookie_name(plain) == "nerveglide_session"
