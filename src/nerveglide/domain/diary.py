"""The daily symptom diary: one entry a day, editable on the day itself.

Pain is the 0-10 numeric rating, back and leg rated separately (clinical brief: NPRS,
Ostelo et al. 2008). Numbness or tingling and weakness are rated none to severe. Where the
leg symptoms reach is a body map per side; the L4/L5 maps in the content are for learning
only and are never used to tell which root is affected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from nerveglide.domain.events import EventError, check_pain

Level = Literal["none", "mild", "moderate", "severe"]
LEVELS: tuple[Level, ...] = ("none", "mild", "moderate", "severe")
LegArea = Literal["buttock", "thigh", "calf", "foot"]
LEG_AREAS: tuple[LegArea, ...] = ("buttock", "thigh", "calf", "foot")
SIDES: tuple[str, ...] = ("left", "right")
NOTE_MAX = 2000


@dataclass(frozen=True)
class DiaryEntry:
    entry_date: date
    back_pain: int
    leg_pain: int
    numbness: Level
    weakness: Level
    reach: dict[str, tuple[LegArea, ...]] = field(default_factory=dict)
    sleep_disturbed: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        check_pain("back_pain", self.back_pain)
        check_pain("leg_pain", self.leg_pain)
        for name in ("numbness", "weakness"):
            value = getattr(self, name)
            if value not in LEVELS:
                raise EventError(name, f"{name} must be one of {', '.join(LEVELS)}; got {value!r}")
        for side, areas in self.reach.items():
            if side not in SIDES:
                raise EventError("reach", f"reach: a side is left or right; got {side!r}")
            for area in areas:
                if area not in LEG_AREAS:
                    raise EventError(
                        "reach", f"reach.{side}: one of {', '.join(LEG_AREAS)}; got {area!r}"
                    )
        if self.note is not None and len(self.note) > NOTE_MAX:
            raise EventError("note", f"note: at most {NOTE_MAX} characters")


def check_editable(entry_date: date, today: date) -> None:
    """Only today's entry can be written: not a past day, not a future one."""
    if entry_date > today:
        raise EventError(
            "entry_date", f"entry_date: {entry_date} is in the future (today is {today})"
        )
    if entry_date < today:
        raise EventError(
            "entry_date",
            f"entry_date: only today's entry ({today}) can be changed; "
            f"{entry_date} is kept as it was",
        )


def furthest(areas: tuple[LegArea, ...]) -> LegArea | None:
    """How far down the leg symptoms reach: the lowest area ticked."""
    ticked = [a for a in LEG_AREAS if a in areas]
    return ticked[-1] if ticked else None
