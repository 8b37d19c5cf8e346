"""Accounts in Debian's chromium: the supervised loop. A clinician logs in, invites a
patient; the patient registers from the invitation link; the clinician prescribes; the
patient sees what changed; a red flag from the patient shows as an alert first on the
clinician's dashboard and reaches the clinician by email, once (a real SMTP server). And
the login form itself: a page that needs a login sends you there and back, with an
HttpOnly session cookie."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from tests.accounts import PASSWORD, add_account
from tests.e2e.conftest import DESKTOP, MOBILE, Server, start_server, stop_server, watch
from tests.integration.reminders.smtp import Inbox, smtp_server


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Server]:
    running = start_server(tmp_path)
    yield running
    stop_server(running)


def log_in(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_page_that_needs_a_login_sends_you_there_and_back(browser: Browser, site: Server):
    add_account(site.database_url, "walker@example.org")
    context = browser.new_context(viewport=MOBILE)
    seen = watch(context)
    page = context.new_page()
    page.goto(f"{site.url}/diary")
    page.wait_for_url("**/login?next=/diary")
    log_in(page, "walker@example.org")
    page.wait_for_url("**/diary")
    expect(page.locator("h1")).to_have_text("Symptom diary")
    (cookie,) = [c for c in context.cookies() if c["name"] == "nerveglide_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{site.url}/diary")
    page.wait_for_url("**/login?next=/diary")
    context.close()
    assert seen.console_errors == []
    assert seen.foreign_requests == []


@pytest.fixture
def mailed_site(tmp_path: Path) -> Iterator[tuple[Server, Inbox]]:
    """A server whose emails go to a real SMTP server (aiosmtpd) the test reads."""
    with smtp_server() as inbox:
        running = start_server(tmp_path, **inbox.env())
        try:
            yield running, inbox
        finally:
            stop_server(running)


def test_the_supervised_loop(browser: Browser, mailed_site: tuple[Server, Inbox], output_dir: Path):
    site, inbox = mailed_site
    add_account(site.database_url, "therapist@example.org", "clinician")
    therapist = browser.new_context(viewport=DESKTOP)
    seen = watch(therapist)
    desk = therapist.new_page()
    desk.goto(f"{site.url}/login")
    log_in(desk, "therapist@example.org")
    desk.wait_for_url("**/clinician")
    desk.get_by_label("Their email").fill("glider@example.org")
    desk.get_by_role("button", name="Send the invitation").click()
    link = desk.locator("#invite-link").get_attribute("href")
    assert link is not None
    assert "/register?invite=" in link

    patient = browser.new_context(viewport=MOBILE)
    seen_patient = watch(patient)
    phone = patient.new_page()
    phone.goto(site.url + link[link.index("/register") :])
    phone.get_by_label("Your name").fill("Gail Glider")
    phone.get_by_label("Email").fill("glider@example.org")
    phone.get_by_label("Password (at least 8").fill(PASSWORD)
    phone.get_by_role("button", name="Create my account").click()
    phone.wait_for_url("**/program")

    desk.goto(f"{site.url}/clinician")
    desk.get_by_role("link", name="Gail Glider").click()
    desk.get_by_role("link", name="Prescribe a new version").click()
    expect(desk.locator("h1")).to_have_text("Prescribe a program")
    desk.locator('input[name="seated-leg-raise.reps"]').fill("12")
    desk.get_by_role("button", name="Save").click()
    expect(desk.get_by_role("status")).to_contain_text("new program version is saved")

    phone.goto(f"{site.url}/program/history")
    expect(phone.locator("main")).to_contain_text("Prescribed by")
    expect(phone.locator("main")).to_contain_text("first program")

    phone.goto(f"{site.url}/screening")
    for fieldset in phone.locator("fieldset.question").all():
        qid = (fieldset.get_attribute("id") or "")[2:]
        value = "yes" if qid == "rf.weakness" else "no"
        fieldset.locator(f'input[value="{value}"]').check()
    phone.get_by_role("button", name="Save my answers").click()
    expect(phone.locator(".safety-banner")).to_be_visible()

    desk.goto(f"{site.url}/clinician")
    first_row = desk.locator("table.dashboard tbody tr").first
    expect(first_row).to_contain_text("Gail Glider")
    expect(first_row).to_contain_text("see doctor")
    expect(first_row).to_have_class("alert-first")
    desk.screenshot(path=str(output_dir / "clinician-dashboard.png"), full_page=True)
    therapist.close()
    patient.close()
    assert seen.console_errors == []
    assert seen_patient.console_errors == []
    engine = create_engine(site.database_url)
    with engine.connect() as connection:
        actions = {
            tuple(r)
            for r in connection.execute(
                text("SELECT actor_role, action, object_type FROM audit_event")
            ).all()
        }
        alerts = connection.execute(text("SELECT tier FROM alert")).all()
    engine.dispose()
    assert [tuple(a) for a in alerts] == [("see_doctor",)]
    # The alert reached the therapist by email too, exactly once (no health details).
    mail = inbox.wait_for(99, timeout=3)  # waits the whole time: a second one is a bug
    to_therapist = [m for m in mail if m["To"] == "therapist@example.org"]
    assert [m["Subject"] for m in to_therapist] == ["nerveglide: a patient needs your attention"]
    assert "/clinician/patients/" in to_therapist[0].get_content()
    assert "weakness" not in to_therapist[0].get_content().lower()
    # And the invitation went to the patient's address.
    assert [m["Subject"] for m in mail if m["To"] == "glider@example.org"] == [
        "Your physical therapist invited you to nerveglide"
    ]
    for step in (
        ("clinician", "login", "account"),
        ("clinician", "invite", "account"),
        ("patient", "register", "account"),
        ("clinician", "create", "program"),
        ("clinician", "read", "patient"),
        ("patient", "create", "screening"),
    ):
        assert step in actions, step
