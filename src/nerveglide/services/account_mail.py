"""The emails about accounts: a new clinician's set-your-password link, a patient's
invitation, a password reset, a registration to confirm, and the note that an address
already has an account. Each goes through :func:`nerveglide.services.mail.send_mail`.

Links use ``NERVEGLIDE_PUBLIC_URL``; a token appears only in the link, never in a log line.
"""

from __future__ import annotations

from nerveglide.config import Settings
from nerveglide.services.mail import send_mail

__all__ = [
    "already_registered",
    "clinician_welcome",
    "confirm_registration",
    "invitation",
    "invitation_link",
    "password_reset",
    "reset_link",
]


def reset_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/password-reset/new?token={token}"


def invitation_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/register?invite={token}"


def clinician_welcome(settings: Settings, email: str, token: str) -> None:
    send_mail(
        settings,
        email,
        "Your nerveglide clinician account",
        "An administrator made you a clinician account on nerveglide.\n\n"
        f"Choose your password here within {settings.invite_valid_hours} hours (the link "
        f"works once):\n{reset_link(settings, token)}\n",
    )


def invitation(settings: Settings, email: str, token: str) -> None:
    send_mail(
        settings,
        email,
        "Your physical therapist invited you to nerveglide",
        "Your physical therapist uses nerveglide to prescribe and follow your nerve-gliding "
        f"exercises. Create your account here within {settings.invite_valid_hours} hours "
        f"(the link works once):\n{invitation_link(settings, token)}\n",
    )


def password_reset(settings: Settings, email: str, token: str) -> None:
    send_mail(
        settings,
        email,
        "Reset your nerveglide password",
        "Someone (we hope you) asked to reset your nerveglide password.\n\n"
        f"Open this link within {settings.reset_valid_minutes} minutes to choose a new "
        f"one; it works once:\n{reset_link(settings, token)}\n\n"
        "If you did not ask, ignore this message: your password stays as it is.\n",
    )


def confirm_registration(settings: Settings, email: str, token: str) -> None:
    send_mail(
        settings,
        email,
        "Confirm your nerveglide account",
        "Someone (we hope you) asked for a nerveglide account with this address.\n\n"
        f"Open this link within {settings.register_valid_hours} hours to confirm it and "
        f"log in (it works once):\n{settings.base_url}/register/confirm?token={token}\n\n"
        "If you did not ask, ignore this message: no account is made.\n",
    )


def already_registered(settings: Settings, email: str) -> None:
    send_mail(
        settings,
        email,
        "Your nerveglide account",
        "Someone (we hope you) asked for a new nerveglide account with this address, "
        "but it already has one.\n\n"
        f"Log in here: {settings.base_url}/login\n"
        f"Forgotten your password? Choose a new one here: {settings.base_url}/password-reset\n\n"
        "If you did not ask, ignore this message: nothing has changed.\n",
    )
