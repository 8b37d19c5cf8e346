"""``questionnaire_response`` (each completed questionnaire, its answers and score) and
``questionnaire_schedule`` (how often each one is due after the baseline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = ["QuestionnaireResponseRow", "QuestionnaireScheduleRow"]


class QuestionnaireResponseRow(PatientOwned, Base):
    __tablename__ = "questionnaire_response"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60), index=True)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    activity_names: Mapped[dict[str, str]] = mapped_column(JSON)
    total: Mapped[float | None] = mapped_column(Float)
    subscales: Mapped[dict[str, Any]] = mapped_column(JSON)
    band: Mapped[str | None] = mapped_column(String(40))
    valid: Mapped[bool] = mapped_column(Boolean)
    problem: Mapped[str | None] = mapped_column(Text)


class QuestionnaireScheduleRow(PatientOwned, Base):
    """A clinician's interval for one questionnaire, where it differs from the default."""

    __tablename__ = "questionnaire_schedule"
    __table_args__ = (CheckConstraint("interval_days >= 1", name="interval_days"),)

    # One row per patient and name: the patient is part of the key.
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    questionnaire_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    interval_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
