"""The safety facts read only the sessions the rules can look at (the latest few, the
latest few answered, the first and latest with leg pain before, overall and after each
clearance): over random histories with clearances and changed settings, on SQLite and
PostgreSQL, the verdict of what is read is the verdict of every ended session, and the
facts read for several patients at once are those read for each alone."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from nerveglide.content.loader import default_library, default_rules
from nerveglide.content.safety_rules import AnswerCondition, RuleSet
from nerveglide.domain.safety import SafetyFacts, evaluate
from nerveglide.services.accounts import create_account
from nerveglide.services.programs import build_program, save_program
from nerveglide.services.safety import _session_facts, gather_facts, gather_facts_of
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.exercise_session import ExerciseSessionRow
from nerveglide.store.models.safety import SafetyClearanceRow, SafetySettingRow
from nerveglide.store.repositories.safety import SESSION_FACT_COLUMNS

NOW = datetime(2026, 11, 23, 20, tzinfo=UTC)
GLIDE = "supine-nerve-glide"
DOSE = "supine-nerve-glide.dose.000"
STATUSES = ("completed", "completed", "ended_early", "stopped_hurt", "in_progress")


def _maybe(rng: random.Random, value: object, answered: float) -> object:
    return value if rng.random() < answered else None


def _session(program_id: int, at: datetime, **answers: object) -> ExerciseSessionRow:
    """A ten-minute web session of the glide started ``at``, with ``answers`` (its status
    and pain ratings)."""
    return ExerciseSessionRow(
        id=str(uuid.uuid4()),
        program_id=program_id,
        source="web",
        glides=[GLIDE],
        started_at=at,
        ended_at=at + timedelta(minutes=10),
        **answers,
    )


def _seed_patient(factory: SessionFactory, rules: RuleSet, n: int, rng: random.Random) -> int:
    patient = create_account(
        factory, email=f"p{n}@example.org", role="patient", now=NOW, password=None
    ).id
    with SqlAlchemyUnitOfWork(factory, patient_id=patient) as uow:
        program = build_program(
            default_library(),
            "left",
            [{"exercise_id": GLIDE, "dose": DOSE, "reps": 10, "times_per_day": 2}],
        )
        program_id = save_program(uow, program, NOW - timedelta(days=200)).id
        start = NOW - timedelta(days=rng.randint(1, 120))
        at = start
        answered = rng.choice((0.1, 0.3, 0.7, 1.0))  # how often the questions are answered
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.8:  # some start at the same moment as the one before
                at += timedelta(hours=rng.randint(1, 60))
            uow.sessions.add(
                _session(
                    program_id,
                    at,
                    status=rng.choice(STATUSES),
                    pain_before_back=rng.randint(0, 10),
                    pain_before_leg=rng.randint(0, 10),
                    pain_after_back=_maybe(rng, rng.randint(0, 10), answered),
                    pain_after_leg=_maybe(rng, rng.randint(0, 10), answered),
                    felt_worse=_maybe(rng, rng.random() < 0.8, answered),
                    spread=_maybe(rng, rng.random() < 0.2, answered),
                )
            )
        for day in range(rng.randint(0, 10)):
            uow.diary.add(
                DiaryEntryRow(
                    entry_date=NOW.date() - timedelta(days=day),
                    saved_at=NOW - timedelta(days=day),
                    back_pain=rng.randint(0, 10),
                    leg_pain=rng.randint(0, 10),
                    numbness="none",
                    weakness="none",
                    reach={},
                    sleep_disturbed=False,
                )
            )
        rule_ids = [r.id for r in rules.rules if not isinstance(r.condition, AnswerCondition)]
        for _ in range(rng.randint(0, 3)):
            rule = rng.choice(rule_ids)
            uow.safety.add(
                SafetyClearanceRow(
                    rule_id=rule,
                    rule_version=1,
                    cleared_at=start + timedelta(hours=rng.randint(0, 24 * 120)),
                    cleared_by="clinician",
                )
            )
        for name in ("worse_after_sessions", "felt_worse_sessions", "hurt_window", "hurt_stops"):
            if rng.random() < 0.4:
                setting = rules.setting(name)
                value = rng.randint(setting.minimum, setting.maximum)
                uow.safety.add(SafetySettingRow(name=name, value=value, updated_at=NOW))
        uow.commit()
    return patient


def _every_session(factory: SessionFactory, patient: int, facts: SafetyFacts) -> SafetyFacts:
    """``facts`` with every ended session of the patient instead of those read."""
    s = ExerciseSessionRow
    with SqlAlchemyUnitOfWork(factory, patient_id=patient) as uow:
        rows = uow.session.execute(
            select(*SESSION_FACT_COLUMNS)
            .where(s.status != "in_progress")
            .order_by(s.started_at, s.id)
        ).all()
    return SafetyFacts(
        now=facts.now,
        answers=facts.answers,
        sessions=[_session_facts(row) for row in rows],
        clearances=facts.clearances,
        settings=facts.settings,
        diary=facts.diary,
    )


def test_the_sessions_read_give_the_verdict_of_all_of_them(session_factory: SessionFactory):
    rules = default_rules()
    rng = random.Random(20261123)
    patients = [_seed_patient(session_factory, rules, n, rng) for n in range(80)]
    with SqlAlchemyUnitOfWork(session_factory, patient_ids=patients) as uow:
        together = gather_facts_of(uow, rules, NOW, patients)
    read = total = fired = 0
    for patient in patients:
        with SqlAlchemyUnitOfWork(session_factory, patient_id=patient) as uow:
            alone = gather_facts(uow, rules, NOW)
        every = _every_session(session_factory, patient, alone)
        expected = evaluate(rules, every)
        assert evaluate(rules, alone) == expected, patient
        assert together[patient] == alone, patient
        read, total = read + len(alone.sessions), total + len(every.sessions)
        fired += bool(expected.fired or expected.cleared)
    assert read < total  # some were left unread
    assert fired > len(patients) // 4  # and the rules had something to say


def test_no_better_counts_from_the_first_session_after_its_clearance(
    session_factory: SessionFactory,
):
    """Leg pain 2 three months ago, then cleared; 5 at the first session after that, 3 a
    month ago, 4 now: no better than three months ago (silenced by the clearance), but
    better than at the first session after it, which only the clearance finds (it is
    neither the first, nor among the latest, nor answered after the session)."""
    rules = default_rules()
    rng = random.Random(1)
    patient = _seed_patient(session_factory, rules, 0, rng)
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        for table in (ExerciseSessionRow, SafetyClearanceRow, SafetySettingRow):
            uow.session.query(table).filter(table.patient_id == patient).delete()
        uow.commit()
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient) as uow:
        program_id = uow.programs.current().id  # type: ignore[union-attr]
        for days_ago, leg in ((90, 2), (60, 5), (50, 6), (40, 6), (30, 3), (1, 3), (0, 4)):
            at = NOW - timedelta(days=days_ago)
            uow.sessions.add(
                _session(
                    program_id, at, status="completed", pain_before_back=1, pain_before_leg=leg
                )
            )
        uow.safety.add(
            SafetyClearanceRow(
                rule_id="persists.no-better",
                rule_version=1,
                cleared_at=NOW - timedelta(days=70),
                cleared_by="clinician",
            )
        )
        uow.commit()
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient) as uow:
        facts = gather_facts(uow, rules, NOW)
    verdict = evaluate(rules, facts)
    assert [f.rule_id for f in verdict.cleared] == ["persists.no-better"]
    assert "persists.no-better" not in [f.rule_id for f in verdict.fired]
    assert verdict == evaluate(rules, _every_session(session_factory, patient, facts))
    assert len(facts.sessions) < 7
