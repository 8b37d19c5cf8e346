"""Months of records written straight to the database (a program, sessions with their
repetitions, pain checks and stops, a daily diary, a safety pause and its clearance), for
the report tests and ``bench/reports.py``. Past days can't be entered through the diary
or the session player, so the rows go in through the repositories."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from nerveglide.content.loader import default_library
from nerveglide.services.accounts import cli_patient
from nerveglide.services.programs import build_program, save_program
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.exercise_session import (
    ExerciseSessionRow,
    SessionRepetitionRow,
    StopEventRow,
)
from nerveglide.store.models.safety import SafetyClearanceRow, SafetyVerdictRow

GLIDE = "supine-nerve-glide"
DOSE = "supine-nerve-glide.dose.000"
HOURS = (8, 13, 19)


@dataclass(frozen=True)
class Seeded:
    start: date
    end: date
    sessions: int
    completed: int
    stopped: int
    repetitions: int
    diary_days: int
    first_leg: int  # diary leg pain of the first day
    last_leg: int


def seed(
    session_factory: SessionFactory,
    *,
    start: date,
    days: int,
    per_day: int = 3,
    reps: int = 15,
    stop_day: int | None = 2,
    seed_value: int = 3,
    patient_id: int | None = None,
) -> Seeded:
    """``days`` days from ``start``: ``per_day`` sessions (one fewer every fifth day), a
    stop on ``stop_day``, leg pain in the diary easing from 7 to 2, symptoms receding."""
    rng = random.Random(seed_value)
    library = default_library()
    created = datetime.combine(start - timedelta(days=1), time(9), tzinfo=UTC)
    counts = {"sessions": 0, "completed": 0, "stopped": 0, "repetitions": 0}
    first_leg = last_leg = 0
    if patient_id is None:  # the installation's only patient (made if there is none)
        patient_id = cli_patient(session_factory, None, datetime.now(UTC)).id
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient_id) as uow:
        program = build_program(
            library,
            "left",
            [{"exercise_id": GLIDE, "dose": DOSE, "reps": reps, "times_per_day": per_day}],
        )
        stored = save_program(uow, program, created)
        for n in range(days):
            day = start + timedelta(days=n)
            leg = max(0, min(10, round(7 - 5 * n / max(days - 1, 1)) + rng.choice((-1, 0, 0, 1))))
            back = max(0, leg - 2)
            first_leg = leg if n == 0 else first_leg
            last_leg = leg
            reach = ("buttock", "thigh", "calf", "foot")[: max(1, 4 - (4 * n) // max(days, 1))]
            uow.diary.add(
                DiaryEntryRow(
                    entry_date=day,
                    saved_at=datetime.combine(day, time(21), tzinfo=UTC),
                    back_pain=back,
                    leg_pain=leg,
                    numbness="mild",
                    weakness="none",
                    reach={"left": list(reach)},
                    sleep_disturbed=leg > 5,
                    note="=worse after sitting" if n == 0 else None,
                )
            )
            for hour in HOURS[: per_day - (1 if n % 5 == 4 else 0)]:
                started = datetime.combine(day, time(hour), tzinfo=UTC)
                stopped = n == stop_day and hour == HOURS[0]
                done = 2 if stopped else reps
                row = ExerciseSessionRow(
                    id=str(uuid.UUID(int=rng.getrandbits(128))),
                    program_id=stored.id,
                    source="web",
                    glides=[GLIDE],
                    started_at=started,
                    ended_at=started + timedelta(minutes=4),
                    status="stopped_hurt" if stopped else "completed",
                    pain_before_back=back,
                    pain_before_leg=leg,
                    pain_after_back=back,
                    pain_after_leg=max(0, leg - 1),
                    felt_worse=stopped,
                    spread=False,
                )
                for rep in range(1, done + 1):
                    at = started + timedelta(seconds=12 * rep)
                    row.repetitions.append(
                        SessionRepetitionRow(
                            exercise_id=GLIDE,
                            leg="left",
                            set_no=1,
                            rep_no=rep,
                            attempt=1,
                            started_at=at,
                            ended_at=at + timedelta(seconds=10),
                            hold_s=3.0,
                            recorded_at=at + timedelta(seconds=10),
                        )
                    )
                if stopped:
                    row.stops.append(
                        StopEventRow(
                            kind="it_hurts",
                            occurred_at=started + timedelta(seconds=30),
                            exercise_id=GLIDE,
                            leg="left",
                            set_no=1,
                            rep_no=3,
                            step_kind="move",
                            pain=7,
                            areas=[{"area": "calf", "side": "left"}],
                            note=None,
                        )
                    )
                    uow.safety.add(
                        SafetyVerdictRow(
                            evaluated_at=started + timedelta(minutes=5),
                            context="session_start:web",
                            tier="see_doctor",
                            blocking=True,
                            rules_version="test",
                            fired=[
                                {
                                    "rule_id": "persists.hurt-stops",
                                    "version": 1,
                                    "tier": "see_doctor",
                                    "why": "1 of your last 3 session(s) stopped because it hurt.",
                                }
                            ],
                            inputs={},
                        )
                    )
                    uow.safety.add(
                        SafetyClearanceRow(
                            rule_id="persists.hurt-stops",
                            rule_version=1,
                            cleared_at=started + timedelta(hours=3),
                            cleared_by="clinician",
                            note="checked by phone",
                        )
                    )
                uow.sessions.add(row)
                counts["sessions"] += 1
                counts["completed" if not stopped else "stopped"] += 1
                counts["repetitions"] += done
        uow.commit()
    return Seeded(
        start=start,
        end=start + timedelta(days=days - 1),
        diary_days=days,
        first_leg=first_leg,
        last_leg=last_leg,
        **counts,
    )


def seed_questionnaires(session_factory: SessionFactory, *, start: date, days: int) -> None:
    """The Roland-Morris questionnaire a week before ``start`` (the baseline, 12 ticks),
    on the first day (10) and on the last day (6: the 5-point minimal change reached),
    and the STarT Back tool on the first day (four "agree", very much bothered)."""
    from nerveglide.content.loader import load_questionnaires
    from nerveglide.services.questionnaires import record_response

    by_id = {q.id: q for q in load_questionnaires()}
    rmdq = by_id["roland-morris"]
    patient_id = cli_patient(session_factory, None, datetime.now(UTC)).id  # the only patient
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient_id) as uow:
        for offset, ticks in ((-7, 12), (0, 10), (days - 1, 6)):
            at = datetime.combine(start + timedelta(days=offset), time(10), tzinfo=UTC)
            answers = {f"q{n}": "yes" for n in range(1, ticks + 1)}
            record_response(uow, rmdq, answers, at)
        start_back = {f"q{n}": ("agree" if n <= 4 else "disagree") for n in range(1, 9)}
        start_back["q9"] = "very-much"
        at = datetime.combine(start, time(10, 5), tzinfo=UTC)
        record_response(uow, by_id["start-back"], start_back, at)
        uow.commit()
