"""The symptom diary: save today's entry (each save kept), read entries and their history."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from nerveglide.domain.diary import DiaryEntry, LegArea, Level, check_editable
from nerveglide.domain.events import EventError
from nerveglide.errors import InvalidInput
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.diary import DiaryEntryRow

__all__ = ["diary_between", "diary_revisions", "save_diary_entry"]


def _to_domain(row: DiaryEntryRow) -> DiaryEntry:
    return DiaryEntry(
        entry_date=row.entry_date,
        back_pain=row.back_pain,
        leg_pain=row.leg_pain,
        numbness=cast(Level, row.numbness),
        weakness=cast(Level, row.weakness),
        reach={side: tuple(cast(LegArea, a) for a in areas) for side, areas in row.reach.items()},
        sleep_disturbed=row.sleep_disturbed,
        note=row.note,
    )


def save_diary_entry(
    uow: AbstractUnitOfWork, entry: DiaryEntry, *, today: date, now: datetime
) -> DiaryEntry:
    """Save today's entry; an earlier save of the same day stays in the history."""
    try:
        check_editable(entry.entry_date, today)
    except EventError as exc:
        raise InvalidInput(str(exc)) from None
    uow.diary.add(
        DiaryEntryRow(
            entry_date=entry.entry_date,
            saved_at=now,
            back_pain=entry.back_pain,
            leg_pain=entry.leg_pain,
            numbness=entry.numbness,
            weakness=entry.weakness,
            reach={side: list(areas) for side, areas in entry.reach.items()},
            sleep_disturbed=entry.sleep_disturbed,
            note=(entry.note or "").strip() or None,
        )
    )
    uow.flush()
    return entry


def diary_between(uow: AbstractUnitOfWork, start: date, end: date) -> list[DiaryEntry]:
    """The entry of each day in [start, end] (its latest save), oldest first."""
    latest: dict[date, DiaryEntryRow] = {}
    for row in uow.diary.between(start, end):
        latest[row.entry_date] = row
    return [_to_domain(row) for _, row in sorted(latest.items())]


def diary_revisions(uow: AbstractUnitOfWork, entry_date: date) -> list[tuple[datetime, DiaryEntry]]:
    """Every save of one day's entry, oldest first."""
    return [(row.saved_at, _to_domain(row)) for row in uow.diary.revisions(entry_date)]
