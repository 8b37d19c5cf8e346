"""Alerts for the clinician: when a patient's safety verdict reaches "see a doctor" or
"emergency", an alert appears on their clinician's dashboard and goes out by email.

:func:`check_patient` runs after every change a patient makes (the web app calls it after
each successful write); it also keeps the verdict as the patient's status, which the
clinician's dashboard reads. So whichever way a red flag arrives (the screening questions, a
session stopped because it hurts, the diary) the clinician hears of it once per episode:
a new alert is raised only when no unacknowledged one of that tier is open.
"""

from __future__ import annotations

from datetime import datetime

from nerveglide.config import Settings
from nerveglide.content.safety_rules import RuleSet
from nerveglide.services.mail import send_mail
from nerveglide.services.safety import refresh_status
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AlertRow

__all__ = ["ALERT_TIERS", "check_patient"]

ALERT_TIERS = ("see_doctor", "emergency")


def check_patient(
    session_factory: SessionFactory,
    settings: Settings,
    rules: RuleSet,
    patient_id: int,
    now: datetime,
) -> AlertRow | None:
    """Raise an alert if the patient's verdict calls for one and none is open; returns it."""
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        patient = uow.accounts.get(patient_id)
        clinician = (
            uow.accounts.get(patient.clinician_id) if patient and patient.clinician_id else None
        )
    if patient is None:
        return None
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient_id) as uow:
        verdict = refresh_status(uow, rules, now)  # kept for the clinician's dashboard
        uow.commit()
        if verdict.tier not in ALERT_TIERS:
            return None
        if any(a.tier == verdict.tier for a in uow.followup.alerts(open_only=True)):
            return None
        rule_ids = ", ".join(f.rule_id for f in verdict.fired if f.tier in ALERT_TIERS)
        alert = AlertRow(
            raised_at=now,
            kind="safety",
            tier=verdict.tier,
            message=f"{rules.tier_text.get(verdict.tier, verdict.tier)} (rules: {rule_ids})",
        )
        uow.followup.add(alert)
        uow.commit()
    if clinician is not None and clinician.disabled_at is None:
        link = f"{settings.base_url}/clinician/patients/{patient_id}"
        # No health details in the email: it names the tier and links to the app.
        send_mail(
            settings,
            clinician.email,
            "nerveglide: a patient needs your attention",
            f"One of your patients has a safety alert ({verdict.tier.replace('_', ' ')}).\n"
            f"Log in to see it: {link}\n",
        )
    return alert
