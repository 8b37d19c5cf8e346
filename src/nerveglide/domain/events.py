"""Things that happened in a session that other parts act on (the safety rules, reports).

A :class:`StopReported` is the "Stop: it hurts" event: the facts the safety rules read
(when, how much it hurt on 0-10, where, and where in the session it happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Area = Literal["back", "buttock", "thigh", "calf", "foot"]
AreaSide = Literal["left", "right", "both", "middle"]
AREAS: tuple[Area, ...] = ("back", "buttock", "thigh", "calf", "foot")
AREA_SIDES: tuple[AreaSide, ...] = ("left", "right", "both", "middle")


class EventError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class PainArea:
    area: Area
    side: AreaSide


@dataclass(frozen=True)
class StopReported:
    """The person pressed "Stop: it hurts" and answered where and how much."""

    session_id: str
    occurred_at: datetime
    pain: int
    areas: tuple[PainArea, ...]
    exercise_id: str | None = None
    leg: Literal["left", "right"] | None = None
    set_no: int | None = None
    rep_no: int | None = None
    step_kind: str | None = None
    note: str | None = None
    kind: Literal["it_hurts"] = "it_hurts"

    def __post_init__(self) -> None:
        check_pain("pain", self.pain)
        if not self.areas:
            raise EventError("areas", "say where it hurts: at least one area")
        for area in self.areas:
            if area.area not in AREAS:
                raise EventError("areas", f"unknown area {area.area!r}; one of {', '.join(AREAS)}")
            if area.side not in AREA_SIDES:
                raise EventError(
                    "areas", f"unknown side {area.side!r}; one of {', '.join(AREA_SIDES)}"
                )
        if self.occurred_at.tzinfo is None:
            raise EventError("occurred_at", "the time needs a timezone")


def check_pain(field: str, value: int) -> None:
    """A numeric pain rating: a whole number from 0 (no pain) to 10 (worst imaginable)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise EventError(field, f"{field} must be a whole number from 0 to 10; got {value!r}")
