"""A clinic's worth of data for the benchmarks: one clinician with N patients, each with a
program, a few weeks of sessions (some counted by the camera), a daily diary, two
Roland-Morris responses, and an open alert for some. Written with bulk inserts (Core,
one transaction per table batch), so 1,000 patients take seconds, not minutes.

The data goes in through the tables directly, not the services: this is a fixture for
measuring reads, not a test of the writes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Table, insert, select, text

from nerveglide.content.loader import default_library, load_questionnaires
from nerveglide.domain.scoring import score
from nerveglide.security.passwords import hash_password
from nerveglide.store.models.account import AccountRow, AlertRow
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.exercise_session import ExerciseSessionRow, SessionRepetitionRow
from nerveglide.store.models.program import ProgramGlideRow, ProgramRow
from nerveglide.store.models.questionnaire import QuestionnaireResponseRow

__all__ = ["Clinic", "seed_clinic"]

GLIDE = "supine-nerve-glide"
DOSE = "supine-nerve-glide.dose.000"
PASSWORD = "bench-password-not-secret-1"


@dataclass(frozen=True)
class Clinic:
    clinician_id: int
    clinician_email: str
    patient_ids: list[int]
    patient_emails: list[str]
    password: str
    sessions: int
    repetitions: int


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _batches(
    rows: Sequence[dict[str, Any]], size: int = 5000
) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(engine: Engine, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for batch in _batches(rows):
            connection.execute(insert(_table(model)), list(batch))


def seed_clinic(
    engine: Engine,
    *,
    patients: int,
    days: int,
    now: datetime,
    per_day: int = 3,
    reps: int = 5,
    label: str = "clinic",
    seed_value: int = 7,
) -> Clinic:
    """One clinician (``{label}-clinician@example.org``) and ``patients`` patients with
    ``days`` days of data up to ``now``. Every account's password is :data:`PASSWORD`."""
    rng = random.Random(seed_value)
    default_library().exercise(GLIDE)  # the glide exists in the content
    rmdq = next(q for q in load_questionnaires() if q.id == "roland-morris")
    password_hash = hash_password(PASSWORD)
    clinician_email = f"{label}-clinician@example.org"
    with engine.begin() as connection:
        clinician_id = connection.execute(
            insert(_table(AccountRow)).returning(_table(AccountRow).c.id),
            {
                "email": clinician_email,
                "role": "clinician",
                "display_name": "Bench Clinician",
                "password_hash": password_hash,
                "admin_access_granted": False,
                "created_at": now - timedelta(days=days + 1),
                "unclaimed": False,
            },
        ).scalar_one()
        emails = [f"{label}-patient-{n:05d}@example.org" for n in range(patients)]
        connection.execute(
            insert(_table(AccountRow)),
            [
                {
                    "email": email,
                    "role": "patient",
                    "display_name": f"Patient {n:05d}",
                    "password_hash": password_hash,
                    "clinician_id": clinician_id,
                    "admin_access_granted": False,
                    "created_at": now - timedelta(days=days + 1),
                    "unclaimed": False,
                }
                for n, email in enumerate(emails)
            ],
        )
        ids = dict(
            connection.execute(
                select(_table(AccountRow).c.email, _table(AccountRow).c.id).where(
                    _table(AccountRow).c.clinician_id == clinician_id
                )
            ).all()
        )
        patient_ids = [ids[e] for e in emails]
        created = now - timedelta(days=days + 1)
        connection.execute(
            insert(_table(ProgramRow)),
            [
                {
                    "patient_id": pid,
                    "affected_leg": "left",
                    "created_at": created,
                    "prescribed_by": clinician_id,
                }
                for pid in patient_ids
            ],
        )
        programs = dict(
            connection.execute(
                select(_table(ProgramRow).c.patient_id, _table(ProgramRow).c.id).where(
                    _table(ProgramRow).c.prescribed_by == clinician_id
                )
            ).all()
        )
        connection.execute(
            insert(_table(ProgramGlideRow)),
            [
                {
                    "patient_id": pid,
                    "program_id": programs[pid],
                    "position": 0,
                    "exercise_id": GLIDE,
                    "dose": DOSE,
                    "reps": 10,
                    "sets": 1,
                    "times_per_day": per_day,
                    "pace_s": 2.0,
                    "hold_s": 3.0,
                    "rest_between_reps_s": 2.0,
                    "rest_between_sets_s": 30.0,
                    "get_ready_s": 5.0,
                    "legs": "left",
                }
                for pid in patient_ids
            ],
        )
    sessions: list[dict[str, Any]] = []
    repetitions: list[dict[str, Any]] = []
    diary: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    first_day = (now - timedelta(days=days - 1)).date()
    for n, pid in enumerate(patient_ids):
        keen = rng.random()  # how many of the sessions this patient does
        start_leg = rng.randint(4, 8)
        camera = n % 4 == 0
        for d in range(days):
            day = first_day + timedelta(days=d)
            leg = max(
                0, min(10, round(start_leg - 3 * d / max(days - 1, 1)) + rng.choice((-1, 0, 1)))
            )
            diary.append(_diary(pid, day, leg))
            for hour in (8, 13, 19)[:per_day]:
                started = datetime.combine(day, time(hour), tzinfo=UTC)
                if started > now or rng.random() > 0.3 + 0.7 * keen:
                    continue
                session_id = str(uuid.UUID(int=rng.getrandbits(128)))
                sessions.append(_session(pid, programs[pid], session_id, started, leg))
                knee_base = 40.0 - 15.0 * d / max(days - 1, 1)
                for rep in range(1, reps + 1):
                    at = started + timedelta(seconds=12 * rep)
                    knee = round(knee_base + rng.uniform(-3, 3), 1) if camera else None
                    repetitions.append(_repetition(pid, session_id, rep, at, knee))
        for k, (offset, ticks) in enumerate(((days - 1, 12), (0, 12 - rng.randint(0, 8)))):
            answered = datetime.combine(
                first_day + timedelta(days=max(0, days - 1 - offset)), time(10), tzinfo=UTC
            )
            answers = {f"q{i}": "yes" for i in range(1, ticks + 1)}
            result = score(rmdq, answers)
            responses.append(
                {
                    "patient_id": pid,
                    "questionnaire_id": rmdq.id,
                    "questionnaire_version": rmdq.version,
                    "answered_at": answered + timedelta(minutes=k),
                    "answers": answers,
                    "activity_names": {},
                    "total": result.total,
                    "subscales": dict(result.subscales),
                    "band": result.band,
                    "valid": result.valid,
                    "problem": result.problem,
                }
            )
        if n % 50 == 0:
            alerts.append(
                {
                    "patient_id": pid,
                    "raised_at": now - timedelta(hours=2),
                    "kind": "safety",
                    "tier": "see_doctor",
                    "message": "bench alert",
                }
            )
    _insert(engine, ExerciseSessionRow, sessions)
    _insert(engine, SessionRepetitionRow, repetitions)
    _insert(engine, DiaryEntryRow, diary)
    _insert(engine, QuestionnaireResponseRow, responses)
    _insert(engine, AlertRow, alerts)
    if engine.dialect.name == "postgresql":
        # A live database has its planner statistics (autovacuum keeps them); one just
        # bulk-loaded has none until autovacuum comes round, and plans as if empty.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))
    return Clinic(
        clinician_id=clinician_id,
        clinician_email=clinician_email,
        patient_ids=patient_ids,
        patient_emails=emails,
        password=PASSWORD,
        sessions=len(sessions),
        repetitions=len(repetitions),
    )


def _diary(pid: int, day: date, leg: int) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "entry_date": day,
        "saved_at": datetime.combine(day, time(21), tzinfo=UTC),
        "back_pain": max(0, leg - 2),
        "leg_pain": leg,
        "numbness": "mild",
        "weakness": "none",
        "reach": {"left": ["buttock", "thigh"]},
        "sleep_disturbed": leg > 5,
        "note": None,
    }


def _session(
    pid: int, program_id: int, session_id: str, started: datetime, leg: int
) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "id": session_id,
        "program_id": program_id,
        "source": "web",
        "glides": [GLIDE],
        "started_at": started,
        "ended_at": started + timedelta(minutes=4),
        "status": "completed",
        "pain_before_back": max(0, leg - 2),
        "pain_before_leg": leg,
        "pain_after_back": max(0, leg - 2),
        "pain_after_leg": max(0, leg - 1),
        "felt_worse": False,
        "felt_worse_note": None,
        "spread": False,
    }


def _repetition(
    pid: int, session_id: str, rep: int, at: datetime, knee: float | None
) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "session_id": session_id,
        "exercise_id": GLIDE,
        "leg": "left",
        "set_no": 1,
        "rep_no": rep,
        "attempt": 1,
        "started_at": at,
        "ended_at": at + timedelta(seconds=10),
        "hold_s": 3.0,
        "recorded_at": at + timedelta(seconds=10),
        "counted_by": "timer" if knee is None else "camera",
        "range_deg": None if knee is None else round(90.0 - knee, 1),
        "measures": None if knee is None else {"knee_extension_peak_deg": knee, "joint": "knee"},
        "knee_extension_peak_deg": knee,  # the app copies it from measures (a bulk insert doesn't)
    }
