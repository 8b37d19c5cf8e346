"""The mail adapter against a real SMTP server: plain text with an HTML alternative,
no header injection, and a server that can't be reached named in the error."""

from __future__ import annotations

import pytest

from nerveglide.config import get_settings
from nerveglide.errors import ConfigurationError
from nerveglide.notify.mail import MailError, SmtpMailer
from tests.integration.reminders.smtp import free_port, smtp_server


def test_a_message_arrives_with_its_text_and_html():
    with smtp_server() as inbox:
        mailer = SmtpMailer(inbox.host, inbox.port, "app@nerveglide.test", starttls=False)
        mailer.send("person@example.org", "Hello", "Plain words.", html="<p>Rich words.</p>")
        (message,) = inbox.wait_for(1, timeout=5)
    assert message["To"] == "person@example.org"
    assert message["From"] == "app@nerveglide.test"
    assert message["Subject"] == "Hello"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().strip() == "Plain words."
    assert html.get_content().strip() == "<p>Rich words.</p>"


def test_a_line_break_in_a_header_is_refused():
    mailer = SmtpMailer("127.0.0.1", free_port(), "app@nerveglide.test", starttls=False)
    with pytest.raises(MailError, match="subject: a line break"):
        mailer.send("person@example.org", "Hi\r\nBcc: x@example.org", "text")


def test_an_unreachable_server_is_named():
    port = free_port()
    mailer = SmtpMailer("127.0.0.1", port, "app@nerveglide.test", starttls=False, timeout=2)
    with pytest.raises(MailError, match=f"the mail server 127.0.0.1:{port} could not"):
        mailer.send("person@example.org", "Hello", "text")


def test_settings_make_the_mailer_and_refuse_two_kinds_of_tls(tmp_path, monkeypatch):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("NERVEGLIDE_SMTP_PASSWORD_FILE", str(secret))
    settings = get_settings(smtp_host="mail.example.org", smtp_username="glides", smtp_port=2525)
    mailer = SmtpMailer.from_settings(settings)
    assert (mailer.host, mailer.port, mailer.username, mailer.password) == (
        "mail.example.org",
        2525,
        "glides",
        "s3cret",
    )
    assert mailer.starttls
    with pytest.raises(
        ConfigurationError, match="NERVEGLIDE_SMTP_SSL and NERVEGLIDE_SMTP_STARTTLS"
    ):
        get_settings(smtp_host="mail.example.org", smtp_ssl=True)
    with pytest.raises(ConfigurationError, match="NERVEGLIDE_SMTP_HOST is not set"):
        SmtpMailer.from_settings(get_settings())
    with pytest.raises(ConfigurationError, match="NERVEGLIDE_PUBLIC_URL"):
        get_settings(public_url="glides.example.org")
