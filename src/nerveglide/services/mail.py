"""Sending the accounts' emails (password resets, invitations, alerts): the one function
they go through, on the reminders' mail adapter (:mod:`nerveglide.notify.mail`).

With no ``NERVEGLIDE_SMTP_HOST`` the message goes to the log (``nerveglide.mail``), so an
installation without a mail server still works (an invitation link is also shown to the
clinician who made it). A mail server that refuses the message is logged too: a reset or
an alert must not fail the request that caused it.
"""

from __future__ import annotations

import logging

from nerveglide.config import Settings
from nerveglide.notify.mail import MailError, SmtpMailer

__all__ = ["send_mail"]

log = logging.getLogger("nerveglide.mail")


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    if not settings.smtp_host:
        log.warning("no NERVEGLIDE_SMTP_HOST: mail to %s not sent: %s", to, subject)
        return
    try:
        SmtpMailer.from_settings(settings).send(to, subject, body)
    except MailError as exc:
        log.error("mail to %s not sent: %s", to, exc.message)
