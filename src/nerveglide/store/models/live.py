"""``live_coach``: a session coached live by the camera (the secret its page holds, the
coach's state and event sequence, stored at each counted repetition), and
``session_recording``: a video the person chose to keep of a session. Both belong to the
session's patient, like every clinical table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nerveglide.store.base import Base, UTCDateTime
from nerveglide.store.models.owned import PatientOwned

__all__ = ["LiveCoachRow", "SessionRecordingRow"]


class LiveCoachRow(PatientOwned, Base):
    """The live coach of one exercise session."""

    __tablename__ = "live_coach"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("exercise_session.id", ondelete="CASCADE"), primary_key=True
    )
    #: SHA-256 (hex) of the secret the page got when it started the live coach.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The last event sequence number sent; the next connection goes on from it.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    #: The glide and leg being coached, and the motion coach's own resumable state.
    exercise_id: Mapped[str | None] = mapped_column(String(40))
    leg: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    frames: Mapped[int] = mapped_column(Integer, default=0)


class SessionRecordingRow(PatientOwned, Base):
    """A video of a session the person ticked "keep" for; the file is in the patient's data
    folder (deleted with the account)."""

    __tablename__ = "session_recording"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("exercise_session.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(80))
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
