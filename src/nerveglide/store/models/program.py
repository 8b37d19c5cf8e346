"""``program`` and ``program_glide``: the person's own program, one row per saved version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = ["ProgramGlideRow", "ProgramRow"]


class ProgramRow(PatientOwned, Base):
    """A saved version of the person's program; the newest is the one in use."""

    __tablename__ = "program"
    __table_args__ = (
        CheckConstraint("affected_leg IN ('left', 'right', 'both')", name="affected_leg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    affected_leg: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The clinician who prescribed this version; NULL when the patient made it.
    prescribed_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    glides: Mapped[list[ProgramGlideRow]] = relationship(
        back_populates="program",
        order_by="ProgramGlideRow.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class ProgramGlideRow(PatientOwned, Base):
    """One glide's dose in a program version."""

    __tablename__ = "program_glide"
    __table_args__ = (
        UniqueConstraint("program_id", "exercise_id"),
        CheckConstraint("reps >= 1", name="reps_positive"),
        CheckConstraint("sets >= 1", name="sets_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    exercise_id: Mapped[str] = mapped_column(String(40))
    dose: Mapped[str] = mapped_column(String(80))
    reps: Mapped[int] = mapped_column(Integer)
    sets: Mapped[int] = mapped_column(Integer)
    times_per_day: Mapped[int | None] = mapped_column(Integer)
    pace_s: Mapped[float] = mapped_column(Float)
    hold_s: Mapped[float | None] = mapped_column(Float)
    rest_between_reps_s: Mapped[float] = mapped_column(Float)
    rest_between_sets_s: Mapped[float] = mapped_column(Float)
    get_ready_s: Mapped[float] = mapped_column(Float)
    legs: Mapped[str] = mapped_column(String(20))
    program: Mapped[ProgramRow] = relationship(back_populates="glides")
