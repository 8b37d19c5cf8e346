"""``exercise_session``, ``session_repetition`` and ``stop_event``: what was done, rep by
rep, and every "it hurts" stop with its answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = ["ExerciseSessionRow", "SessionRepetitionRow", "StopEventRow", "knee_extension_of"]

SESSION_STATUSES = ("in_progress", "completed", "ended_early", "stopped_hurt")


class ExerciseSessionRow(PatientOwned, Base):
    """One exercise session, with the pain checks before and after it."""

    __tablename__ = "exercise_session"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in_progress', 'completed', 'ended_early', 'stopped_hurt')",
            name="status",
        ),
        CheckConstraint("pain_before_back BETWEEN 0 AND 10", name="pain_before_back"),
        CheckConstraint("pain_before_leg BETWEEN 0 AND 10", name="pain_before_leg"),
        CheckConstraint("pain_after_back BETWEEN 0 AND 10", name="pain_after_back"),
        CheckConstraint("pain_after_leg BETWEEN 0 AND 10", name="pain_after_leg"),
        # A clinician's dashboard counts each patient's sessions of the last weeks.
        Index("ix_exercise_session_patient_started", "patient_id", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    source: Mapped[str] = mapped_column(String(10))  # "web" or "terminal"
    glides: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    pain_before_back: Mapped[int] = mapped_column(Integer)
    pain_before_leg: Mapped[int] = mapped_column(Integer)
    pain_after_back: Mapped[int | None] = mapped_column(Integer)
    pain_after_leg: Mapped[int | None] = mapped_column(Integer)
    felt_worse: Mapped[bool | None] = mapped_column(Boolean)
    felt_worse_note: Mapped[str | None] = mapped_column(Text)
    spread: Mapped[bool | None] = mapped_column(Boolean)
    repetitions: Mapped[list[SessionRepetitionRow]] = relationship(
        back_populates="session",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="SessionRepetitionRow.id",
    )
    stops: Mapped[list[StopEventRow]] = relationship(
        back_populates="session",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="StopEventRow.id",
    )


#: The repetitions of the dashboard's knee trends (its index's condition).
KNEE_MEASURED = "counted_by = 'camera' AND knee_extension_peak_deg IS NOT NULL"


class SessionRepetitionRow(PatientOwned, Base):
    """One completed repetition, saved as it happens."""

    __tablename__ = "session_repetition"
    __table_args__ = (
        UniqueConstraint("session_id", "exercise_id", "leg", "set_no", "rep_no", "attempt"),
        CheckConstraint("leg IN ('left', 'right')", name="leg"),
        CheckConstraint("set_no >= 1 AND rep_no >= 1 AND attempt >= 1", name="numbers"),
        # The dashboard's knee trends: a patient's camera repetitions over four weeks,
        # read from the index alone (it holds every column the query reads).
        Index(
            "ix_session_repetition_knee",
            "patient_id",
            "started_at",
            "leg",
            "session_id",
            "knee_extension_peak_deg",
            sqlite_where=text(KNEE_MEASURED),
            postgresql_where=text(KNEE_MEASURED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("exercise_session.id", ondelete="CASCADE"), index=True
    )
    exercise_id: Mapped[str] = mapped_column(String(40))
    leg: Mapped[str] = mapped_column(String(5))
    set_no: Mapped[int] = mapped_column(Integer)
    rep_no: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    hold_s: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: "timer" (the player's clock) or "camera" (counted by the live motion coach).
    counted_by: Mapped[str] = mapped_column(String(10), default="timer", server_default="timer")
    #: Measured by the camera: the range of motion of the moving joint, in degrees.
    range_deg: Mapped[float | None] = mapped_column(Float)
    #: Measured by the camera: peak extension, cues with their sources, and so on.
    measures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: ``measures["knee_extension_peak_deg"]`` as a number, kept in a column of its own
    #: whenever ``measures`` is set (:meth:`_copy_knee`), so that the clinician's
    #: dashboard reads its knee trends without going through the JSON of every repetition.
    knee_extension_peak_deg: Mapped[float | None] = mapped_column(Float)
    session: Mapped[ExerciseSessionRow] = relationship(back_populates="repetitions")

    @validates("measures")
    def _copy_knee(self, _key: str, measures: dict[str, Any] | None) -> dict[str, Any] | None:
        self.knee_extension_peak_deg = knee_extension_of(measures)
        return measures


def knee_extension_of(measures: dict[str, Any] | None) -> float | None:
    """The knee extension peak in ``measures`` as the progress report reads it (a number,
    or text that is one), else None."""
    value = None if measures is None else measures.get("knee_extension_peak_deg")
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class StopEventRow(PatientOwned, Base):
    """A "Stop: it hurts" event: when, where in the session, where it hurt and how much.
    Kept for the safety rules, which read these facts."""

    __tablename__ = "stop_event"
    __table_args__ = (CheckConstraint("pain BETWEEN 0 AND 10", name="pain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("exercise_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exercise_id: Mapped[str | None] = mapped_column(String(40))
    leg: Mapped[str | None] = mapped_column(String(5))
    set_no: Mapped[int | None] = mapped_column(Integer)
    rep_no: Mapped[int | None] = mapped_column(Integer)
    step_kind: Mapped[str | None] = mapped_column(String(20))
    pain: Mapped[int] = mapped_column(Integer)
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    session: Mapped[ExerciseSessionRow] = relationship(back_populates="stops")
