"""A red flag from a patient reaches their clinician: an alert on the dashboard, first,
and an email (without health details) through a real SMTP server (aiosmtpd); once per
episode, not once per request; none for a self-guided patient's nobody."""

from __future__ import annotations

from pathlib import Path

from nerveglide.config import get_settings
from nerveglide.store import migrate
from tests.accounts import add_account, log_in
from tests.integration.accounts.conftest import App
from tests.integration.reminders.smtp import smtp_server
from tests.integration.web.test_sessions_api import screen


def test_a_red_flag_alerts_the_clinician_in_the_app_and_by_email(database_url: str, tmp_path: Path):
    migrate.upgrade(database_url)
    with smtp_server() as inbox:
        settings = get_settings(
            data_dir=tmp_path, database_url=database_url, env="test", smtp_host=inbox.host,
            smtp_port=inbox.port, smtp_starttls=False,
        )  # fmt: skip
        app = App(settings, database_url)
        clinician = add_account(database_url, "therapist@example.org", "clinician")
        patient = add_account(database_url, "p@example.org", clinician_id=clinician)
        add_account(database_url, "alone@example.org")
        with app.client() as client, app.client() as doctor, app.client() as alone:
            log_in(client, "p@example.org")
            screen(client, rf_weakness="yes")
            screen(client, rf_weakness="yes")  # the same episode: no second alert
            log_in(alone, "alone@example.org")
            screen(alone, rf_weakness="yes")  # no clinician: nobody to email
            log_in(doctor, "therapist@example.org")
            dashboard = doctor.get("/clinician").text
            page = doctor.get(f"/clinician/patients/{patient}").text
        assert 'class="alert-first"' in dashboard
        assert "see doctor" in dashboard
        assert "Acknowledge" in page
        messages = inbox.wait_for(2, timeout=3)  # waits: a second one would be a bug
        assert len(messages) == 1
        message = messages[0]
        assert message["To"] == "therapist@example.org"
        assert message["Subject"] == "nerveglide: a patient needs your attention"
        body = message.get_content()
        assert f"/clinician/patients/{patient}" in body
        assert "weakness" not in body.lower()  # no health details by email
