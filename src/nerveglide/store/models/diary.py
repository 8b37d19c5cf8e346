"""``diary_entry``: the daily symptom diary. Every save is a new row (history kept); the
newest row for a date is that day's entry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = ["DiaryEntryRow"]

LEVELS = "('none', 'mild', 'moderate', 'severe')"


class DiaryEntryRow(PatientOwned, Base):
    __tablename__ = "diary_entry"
    __table_args__ = (
        CheckConstraint("back_pain BETWEEN 0 AND 10", name="back_pain"),
        CheckConstraint("leg_pain BETWEEN 0 AND 10", name="leg_pain"),
        CheckConstraint(f"numbness IN {LEVELS}", name="numbness"),
        CheckConstraint(f"weakness IN {LEVELS}", name="weakness"),
        # A clinician's dashboard reads each patient's diary of the last weeks.
        Index("ix_diary_entry_patient_date", "patient_id", "entry_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    back_pain: Mapped[int] = mapped_column(Integer)
    leg_pain: Mapped[int] = mapped_column(Integer)
    numbness: Mapped[str] = mapped_column(String(8))
    weakness: Mapped[str] = mapped_column(String(8))
    reach: Mapped[dict[str, Any]] = mapped_column(JSON)
    sleep_disturbed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
