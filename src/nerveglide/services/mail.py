"""Sending email: the one function password resets, invitations and alerts go through.

It speaks SMTP to ``NERVEGLIDE_SMTP_HOST``; with no host set, the message goes to the
log (``nerveglide.mail``) so a single-person install without a mail server still works.
When the reminders' mail adapter (``nerveglide.notify.mail``) lands, this delegates to it.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from nerveglide.config import Settings

__all__ = ["send_mail"]

log = logging.getLogger("nerveglide.mail")


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not settings.smtp_host:
        log.warning("no NERVEGLIDE_SMTP_HOST: mail to %s not sent: %s\n%s", to, subject, body)
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
