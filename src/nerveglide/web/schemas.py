"""Request and response bodies of the JSON API (separate from the database models)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PainScore = Field(ge=0, le=10, description="0 = no pain, 10 = the worst pain you can imagine")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GlideChoice(_Body):
    exercise_id: str
    dose: str = Field(description="a source dose id, or 'setting' where no source gives one")
    reps: int | None = None
    sets: int | None = None
    times_per_day: int | None = None
    hold_s: float | None = None
    pace_s: float | None = None
    rest_between_reps_s: float | None = None
    rest_between_sets_s: float | None = None
    get_ready_s: float | None = None


class ProgramIn(_Body):
    affected_leg: Literal["left", "right", "both"]
    glides: list[GlideChoice] = Field(min_length=1)


class PainIn(_Body):
    back: int = PainScore
    leg: int = PainScore


class SessionIn(_Body):
    pain_before: PainIn
    glides: list[str] | None = None


class RepetitionIn(_Body):
    exercise_id: str
    leg: Literal["left", "right"]
    set_no: int = Field(ge=1)
    rep_no: int = Field(ge=1)
    attempt: int = Field(default=1, ge=1)
    started_at: datetime
    ended_at: datetime
    hold_s: float | None = Field(default=None, ge=0)


class AreaIn(_Body):
    area: Literal["back", "buttock", "thigh", "calf", "foot"]
    side: Literal["left", "right", "both", "middle"]


class StopIn(_Body):
    pain: int = PainScore
    areas: list[AreaIn] = Field(min_length=1)
    occurred_at: datetime
    exercise_id: str | None = None
    leg: Literal["left", "right"] | None = None
    set_no: int | None = Field(default=None, ge=1)
    rep_no: int | None = Field(default=None, ge=0)
    step_kind: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class FinishIn(_Body):
    status: Literal["completed", "ended_early"]
    pain_after: PainIn | None = None
    felt_worse: bool | None = None
    spread: bool | None = Field(
        default=None, description="did symptoms spread further down the leg during the session?"
    )
    felt_worse_note: str | None = Field(default=None, max_length=2000)
