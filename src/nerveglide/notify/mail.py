"""Sending email through any SMTP server: the one place nerveglide talks to a mail server.

::

    mailer = SmtpMailer.from_settings(settings)
    mailer.send("person@example.org", "Subject", "plain text", html="<p>optional</p>")

:meth:`SmtpMailer.send` opens a connection per message (reminders are few; a long-lived
connection would only time out between them): TLS from the start (``smtp_ssl``, port
465) or upgraded with STARTTLS (``smtp_starttls``, port 587), a login when a user name is
set. Every failure (the server unreachable, the login or a recipient refused) becomes one
:class:`MailError` that names the server, never the password.

Reminders use it today; password resets and alerts will too, so it knows nothing about
either.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from nerveglide.config import Settings
from nerveglide.errors import ConfigurationError, NerveglideError

__all__ = ["MailError", "Mailer", "SmtpMailer", "build_message"]


class MailError(NerveglideError):
    """The mail server could not take a message."""


class Mailer(Protocol):
    """Anything that sends an email."""

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None: ...


def build_message(
    sender: str, to: str, subject: str, text: str, html: str | None = None
) -> EmailMessage:
    """A plain-text message, with an HTML alternative when ``html`` is given. A line
    break in an address or the subject is refused (no header injection)."""
    for name, value in (("to", to), ("subject", subject), ("from", sender)):
        if "\n" in value or "\r" in value:
            raise MailError(f"{name}: a line break has no place in an email header")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    use_ssl: bool = False
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        """The mailer the settings describe; :class:`ConfigurationError` without a host."""
        if settings.smtp_host is None:
            raise ConfigurationError(
                "NERVEGLIDE_SMTP_HOST is not set: nerveglide has no mail server to send through"
            )
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=password,
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            timeout=settings.smtp_timeout,
        )

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.use_ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            client.starttls(context=context)
        return client

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        message = build_message(self.sender, to, subject, text, html)
        where = f"the mail server {self.host}:{self.port}"
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"{where} refused the login of {self.username!r}: {exc.smtp_code}"
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise MailError(f"{where} refused the address {to!r}") from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{where} could not take the message: {exc}") from None
        if refused:
            raise MailError(f"{where} refused the address {to!r}")
