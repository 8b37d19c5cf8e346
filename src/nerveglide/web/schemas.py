"""Request and response bodies of the JSON API (separate from the database models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: pydantic alone also takes "0" (a Unix time, 1970-01-01).
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
    return value


#: A date in a path or query, as ``YYYY-MM-DD`` and nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]

#: The largest row id a path may name: the database's INTEGER columns are 32-bit (a larger
#: number would make the database driver fail, not find nothing).
MAX_ROW_ID = 2_147_483_647
#: A database row id in a path.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
#: The most sets or repetitions a number in a body may say.
MAX_COUNT = 1000
#: A number of seconds in a body: finite (JSON's Infinity and NaN are refused).
Seconds = Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)]

PainScore = Field(ge=0, le=10, description="0 = no pain, 10 = the worst pain you can imagine")


def _text_only(value: object) -> object:
    # JSON numbers are not times (pydantic alone reads 5 as 1970-01-01T00:00:05).
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be a date and time written ISO 8601, as text")


#: A date and time in a body: ISO 8601 text only.
Instant = Annotated[datetime, Field(strict=False), BeforeValidator(_text_only)]


class ApiBody(BaseModel):
    """A request body: no unknown keys, and no silent conversions (``true`` is not the
    number 1, ``"3"`` is not 3)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class GlideChoice(ApiBody):
    exercise_id: str
    dose: str = Field(description="a source dose id, or 'setting' where no source gives one")
    reps: int | None = None
    sets: int | None = None
    times_per_day: int | None = None
    hold_s: Seconds | None = None
    pace_s: Seconds | None = None
    rest_between_reps_s: Seconds | None = None
    rest_between_sets_s: Seconds | None = None
    get_ready_s: Seconds | None = None


class ProgramIn(ApiBody):
    affected_leg: Literal["left", "right", "both"]
    glides: list[GlideChoice] = Field(min_length=1)


class PainIn(ApiBody):
    back: int = PainScore
    leg: int = PainScore


class SessionIn(ApiBody):
    pain_before: PainIn
    glides: list[str] | None = None


class RepetitionIn(ApiBody):
    exercise_id: str
    leg: Literal["left", "right"]
    set_no: int = Field(ge=1, le=MAX_COUNT)
    rep_no: int = Field(ge=1, le=MAX_COUNT)
    attempt: int = Field(default=1, ge=1, le=MAX_COUNT)
    started_at: Instant
    ended_at: Instant
    hold_s: Seconds | None = None


class AreaIn(ApiBody):
    area: Literal["back", "buttock", "thigh", "calf", "foot"]
    side: Literal["left", "right", "both", "middle"]


class StopIn(ApiBody):
    pain: int = PainScore
    areas: list[AreaIn] = Field(min_length=1)
    occurred_at: Instant
    exercise_id: str | None = None
    leg: Literal["left", "right"] | None = None
    set_no: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    rep_no: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    step_kind: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class FinishIn(ApiBody):
    status: Literal["completed", "ended_early"]
    pain_after: PainIn | None = None
    felt_worse: bool | None = None
    spread: bool | None = Field(
        default=None, description="did symptoms spread further down the leg during the session?"
    )
    felt_worse_note: str | None = Field(default=None, max_length=2000)
