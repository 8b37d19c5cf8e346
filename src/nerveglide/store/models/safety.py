"""Safety records: red-flag screenings and their answers, clearances, the audit of every
verdict that blocked or paused exercising, the per-person safety settings, and each
person's current verdict as last evaluated (for the clinician's dashboard)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = [
    "PatientStatusRow",
    "SafetyClearanceRow",
    "SafetySettingRow",
    "SafetyVerdictRow",
    "ScreeningAnswerRow",
    "ScreeningRow",
]


class ScreeningRow(PatientOwned, Base):
    __tablename__ = "screening"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(10))
    rules_version: Mapped[str] = mapped_column(String(40))
    answers: Mapped[list[ScreeningAnswerRow]] = relationship(
        back_populates="screening",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="ScreeningAnswerRow.id",
    )


class ScreeningAnswerRow(PatientOwned, Base):
    """One answer, stored with its time."""

    __tablename__ = "screening_answer"
    __table_args__ = (CheckConstraint("answer IN ('yes', 'no', 'unsure')", name="answer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[int] = mapped_column(
        ForeignKey("screening.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(6))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    screening: Mapped[ScreeningRow] = relationship(back_populates="answers")


class SafetyClearanceRow(PatientOwned, Base):
    """A blocking rule cleared: the person confirmed seeing a doctor, or a clinician did."""

    __tablename__ = "safety_clearance"
    __table_args__ = (CheckConstraint("cleared_by IN ('person', 'clinician')", name="cleared_by"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(60))
    rule_version: Mapped[int] = mapped_column(Integer)
    cleared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_by: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class SafetyVerdictRow(PatientOwned, Base):
    """Every verdict that blocked or paused exercising, with what it read."""

    __tablename__ = "safety_verdict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    context: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(12))
    blocking: Mapped[bool] = mapped_column(Boolean)
    rules_version: Mapped[str] = mapped_column(String(40))
    fired: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)


class SafetySettingRow(PatientOwned, Base):
    """A safety setting changed from its default (by the person's clinician, later)."""

    __tablename__ = "safety_setting"

    # One row per patient and name: the patient is part of the key.
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PatientStatusRow(PatientOwned, Base):
    """The person's safety verdict as last evaluated: after each change they make, when
    their clinician clears a pause, and by the worker when it is older than an hour. The
    clinician's dashboard reads these instead of evaluating the rules for every patient.
    ``verdict`` is the whole :class:`~nerveglide.domain.safety.Verdict` (fired and cleared
    rules with their wording)."""

    __tablename__ = "patient_status"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(12))
    rules_version: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
