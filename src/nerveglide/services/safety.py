"""Safety use cases: gather the facts, evaluate the rules, record screenings and
clearances, audit every blocking verdict, and guard the start of every session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from nerveglide.content.safety_rules import Answer, RuleSet
from nerveglide.domain.safety import (
    Clearance,
    DiaryFacts,
    Fired,
    SafetyFacts,
    ScreeningAnswer,
    SessionFacts,
    SessionReach,
    Verdict,
    evaluate,
    screening_due,
    session_reach,
)
from nerveglide.errors import InvalidInput, SafetyStop, ScreeningDue
from nerveglide.services.diary import diary_between
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.safety import (
    PatientStatusRow,
    SafetyClearanceRow,
    SafetySettingRow,
    SafetyVerdictRow,
    ScreeningAnswerRow,
    ScreeningRow,
)

__all__ = [
    "STATUS_MAX_AGE",
    "confirm_seen_doctor",
    "current_verdict",
    "ensure_session_allowed",
    "gather_facts",
    "gather_facts_of",
    "is_screening_due",
    "keep_status",
    "keep_statuses",
    "record_screening",
    "refresh_status",
    "refresh_status_if_stale",
    "safety_settings",
    "set_safety_setting",
    "verdict_from_json",
    "verdict_to_json",
]

ANSWERS: tuple[str, ...] = ("yes", "no", "unsure")


def safety_settings(uow: AbstractUnitOfWork, rules: RuleSet) -> dict[str, int]:
    values = rules.defaults()
    for row in uow.safety.settings():
        values[row.name] = row.value
    return values


def set_safety_setting(
    uow: AbstractUnitOfWork, rules: RuleSet, name: str, value: int, now: datetime
) -> None:
    try:
        definition = rules.setting(name)
    except StopIteration:
        known = ", ".join(s.name for s in rules.settings)
        raise InvalidInput(f"name: unknown safety setting {name!r}; known: {known}") from None
    if not definition.minimum <= value <= definition.maximum:
        raise InvalidInput(
            f"{name}: must be from {definition.minimum} to {definition.maximum}; got {value}"
        )
    row = uow.safety.setting(name)
    if row is None:
        uow.safety.add(SafetySettingRow(name=name, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now


def gather_facts(uow: AbstractUnitOfWork, rules: RuleSet, now: datetime) -> SafetyFacts:
    answers = [
        ScreeningAnswer(a.question_id, cast(Answer, a.answer), a.answered_at)
        for a in uow.safety.answers()
    ]
    settings = safety_settings(uow, rules)
    reach = asdict(session_reach(rules, settings))
    sessions = [_session_facts(s) for s in uow.safety.ended_sessions(**reach)]
    clearances = [Clearance(c.rule_id, c.cleared_at, c.cleared_by) for c in uow.safety.clearances()]
    recent = now.date() - timedelta(days=_DIARY_DAYS)
    diary = [
        DiaryFacts(entry.entry_date, entry.leg_pain)
        for entry in diary_between(uow, recent, now.date() + timedelta(days=1))
    ]
    return SafetyFacts(
        now=now,
        diary=diary,
        answers=answers,
        sessions=sessions,
        clearances=clearances,
        settings=settings,
    )


#: The diary days the rules read, back from today.
_DIARY_DAYS = 60


def _session_facts(s: Any) -> SessionFacts:
    return SessionFacts(
        session_id=s.id,
        started_at=s.started_at,
        stopped_hurt=s.status == "stopped_hurt",
        pain_before_back=s.pain_before_back,
        pain_before_leg=s.pain_before_leg,
        pain_after_back=s.pain_after_back,
        pain_after_leg=s.pain_after_leg,
        felt_worse=s.felt_worse,
        spread=s.spread,
    )


def gather_facts_of(
    uow: AbstractUnitOfWork, rules: RuleSet, now: datetime, ids: Sequence[int]
) -> dict[int, SafetyFacts]:
    """:func:`gather_facts` of each of several patients, read with one query per kind of
    fact (``uow`` is scoped to read those patients)."""
    answers: dict[int, list[ScreeningAnswer]] = {pid: [] for pid in ids}
    for pid, question_id, answer, answered_at in uow.clinic.screening_answers(ids):
        answers[pid].append(ScreeningAnswer(question_id, cast(Answer, answer), answered_at))
    settings = {pid: rules.defaults() for pid in ids}
    for pid, name, value in uow.clinic.safety_settings(ids):
        settings[pid][name] = value
    # The sessions within each one's reach: those whose settings give the same reach
    # (the defaults, mostly) are read together.
    reaches: dict[SessionReach, list[int]] = {}
    for pid in ids:
        reaches.setdefault(session_reach(rules, settings[pid]), []).append(pid)
    sessions: dict[int, list[SessionFacts]] = {pid: [] for pid in ids}
    for reach, group in reaches.items():
        for row in uow.clinic.ended_sessions(group, **asdict(reach)):
            sessions[row.patient_id].append(_session_facts(row))
    clearances: dict[int, list[Clearance]] = {pid: [] for pid in ids}
    for pid, rule_id, cleared_at, cleared_by in uow.clinic.clearances(ids):
        clearances[pid].append(Clearance(rule_id, cleared_at, cleared_by))
    recent = now.date() - timedelta(days=_DIARY_DAYS)
    days: dict[int, dict[date, int]] = {pid: {} for pid in ids}
    for pid, entry_date, leg_pain in uow.clinic.diary_leg_pain(
        ids, recent, now.date() + timedelta(days=1)
    ):
        days[pid][entry_date] = leg_pain  # the day's latest save comes last
    return {
        pid: SafetyFacts(
            now=now,
            diary=[DiaryFacts(day, pain) for day, pain in sorted(days[pid].items())],
            answers=answers[pid],
            sessions=sessions[pid],
            clearances=clearances[pid],
            settings=settings[pid],
        )
        for pid in ids
    }


def current_verdict(uow: AbstractUnitOfWork, rules: RuleSet, now: datetime) -> Verdict:
    return evaluate(rules, gather_facts(uow, rules, now))


#: How old a stored verdict may get before the worker (or the dashboard) evaluates it
#: again: the rules read only the person's records, which change through the app (and
#: each change re-evaluates), but a diary window moves on with the days.
STATUS_MAX_AGE = timedelta(hours=1)


def verdict_to_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "tier": verdict.tier,
        "rules_version": verdict.rules_version,
        "fired": [asdict(f) for f in verdict.fired],
        "cleared": [asdict(f) for f in verdict.cleared],
    }


def verdict_from_json(data: Mapping[str, Any]) -> Verdict:
    return Verdict(
        tier=data["tier"],
        fired=tuple(Fired(**f) for f in data.get("fired", ())),
        cleared=tuple(Fired(**f) for f in data.get("cleared", ())),
        rules_version=str(data.get("rules_version", "")),
    )


def keep_status(
    uow: AbstractUnitOfWork, verdict: Verdict, now: datetime, patient_id: int | None = None
) -> None:
    """Keep ``verdict`` as the person's status (``patient_id`` for a system-scoped unit of
    work writing several people's); not committed."""
    _keep(uow, uow.safety.status(patient_id), verdict, now, patient_id)


def keep_statuses(uow: AbstractUnitOfWork, verdicts: Mapping[int, Verdict], now: datetime) -> None:
    """:func:`keep_status` of several people in a system-scoped unit of work, their
    stored statuses read in one query; not committed."""
    stored = {row.patient_id: row for row in uow.clinic.statuses(list(verdicts))}
    for patient_id, verdict in verdicts.items():
        _keep(uow, stored.get(patient_id), verdict, now, patient_id)


def _keep(
    uow: AbstractUnitOfWork,
    row: PatientStatusRow | None,
    verdict: Verdict,
    now: datetime,
    patient_id: int | None,
) -> None:
    if row is None:
        uow.safety.insert_status(
            tier=verdict.tier,
            rules_version=verdict.rules_version,
            verdict=verdict_to_json(verdict),
            evaluated_at=now,
            patient_id=patient_id,
        )
    else:
        row.tier, row.rules_version = verdict.tier, verdict.rules_version
        row.verdict, row.evaluated_at = verdict_to_json(verdict), now


def refresh_status(uow: AbstractUnitOfWork, rules: RuleSet, now: datetime) -> Verdict:
    """Evaluate the person's verdict now and keep it as their status (not committed)."""
    verdict = current_verdict(uow, rules, now)
    keep_status(uow, verdict, now)
    uow.flush()
    return verdict


def refresh_status_if_stale(
    uow: AbstractUnitOfWork, rules: RuleSet, now: datetime, max_age: timedelta = STATUS_MAX_AGE
) -> bool:
    """Evaluate again a status that is missing, older than ``max_age`` or made under other
    rules; True if it did (not committed)."""
    row = uow.safety.status()
    if row is not None and row.rules_version == rules.version and now - row.evaluated_at < max_age:
        return False
    refresh_status(uow, rules, now)
    return True


def is_screening_due(uow: AbstractUnitOfWork, rules: RuleSet, now: datetime) -> bool:
    facts = gather_facts(uow, rules, now)
    return screening_due(facts.answers, now, facts.settings["screen_interval_days"])


def _audit(
    uow: AbstractUnitOfWork, verdict: Verdict, facts: SafetyFacts, context: str, now: datetime
) -> None:
    """Keep a blocking or pausing verdict with everything it read."""
    if not verdict.blocks_sessions:
        return
    inputs: dict[str, Any] = {
        "now": facts.now.isoformat(),
        "settings": dict(facts.settings),
        "answers": [
            {
                "question_id": a.question_id,
                "answer": a.answer,
                "answered_at": a.answered_at.isoformat(),
            }
            for a in facts.answers
        ],
        "sessions": [
            {
                **{k: v for k, v in asdict(s).items() if k != "started_at"},
                "started_at": s.started_at.isoformat(),
            }
            for s in facts.sessions
        ],
        "clearances": [
            {"rule_id": c.rule_id, "cleared_at": c.cleared_at.isoformat(), "by": c.by}
            for c in facts.clearances
        ],
    }
    uow.safety.add(
        SafetyVerdictRow(
            evaluated_at=now,
            context=context,
            tier=verdict.tier,
            blocking=True,
            rules_version=verdict.rules_version,
            fired=[
                {"rule_id": f.rule_id, "version": f.version, "tier": f.tier, "why": f.why}
                for f in verdict.fired
            ],
            inputs=inputs,
        )
    )


def record_screening(
    uow: AbstractUnitOfWork,
    rules: RuleSet,
    answers: Mapping[str, str],
    now: datetime,
    source: Literal["web", "terminal", "api"] = "web",
) -> Verdict:
    """Store every answer with its time, then evaluate; every question must be answered."""
    known = [q.id for q in rules.questions]
    missing = [q for q in known if q not in answers]
    if missing:
        raise InvalidInput(f"answers: please answer every question; missing {', '.join(missing)}")
    unknown = [q for q in answers if q not in known]
    if unknown:
        raise InvalidInput(f"answers: unknown question {unknown[0]!r}")
    for question, answer in answers.items():
        if answer not in ANSWERS:
            raise InvalidInput(f"answers.{question}: answer yes, no or unsure; got {answer!r}")
    screening = ScreeningRow(taken_at=now, source=source, rules_version=rules.version)
    for question in known:
        screening.answers.append(
            ScreeningAnswerRow(question_id=question, answer=answers[question], answered_at=now)
        )
    uow.safety.add(screening)
    uow.flush()
    facts = gather_facts(uow, rules, now)
    verdict = evaluate(rules, facts)
    _audit(uow, verdict, facts, "screening", now)
    return verdict


def confirm_seen_doctor(
    uow: AbstractUnitOfWork,
    rules: RuleSet,
    now: datetime,
    *,
    by: Literal["person", "clinician"] = "person",
    note: str | None = None,
) -> list[str]:
    """Clear every blocking rule that fires now; returns their ids."""
    verdict = current_verdict(uow, rules, now)
    cleared = []
    for fired in verdict.fired:
        if fired.tier in ("see_doctor", "emergency"):
            uow.safety.add(
                SafetyClearanceRow(
                    rule_id=fired.rule_id,
                    rule_version=fired.version,
                    cleared_at=now,
                    cleared_by=by,
                    note=(note or "").strip()[:2000] or None,
                )
            )
            cleared.append(fired.rule_id)
    uow.flush()
    return cleared


def ensure_session_allowed(
    uow: AbstractUnitOfWork, rules: RuleSet, now: datetime, context: str
) -> Verdict:
    """The guard every way of starting a session passes: screening first when it is due,
    and no session while a "see a doctor" or "emergency" verdict is active. A refusal is
    audited and committed before it is raised."""
    facts = gather_facts(uow, rules, now)
    if screening_due(facts.answers, now, facts.settings["screen_interval_days"]):
        raise ScreeningDue()
    verdict = evaluate(rules, facts)
    if verdict.blocks_sessions:
        _audit(uow, verdict, facts, context, now)
        uow.commit()  # the refusal is kept even though the caller gets an exception
        titles = "; ".join(f.title for f in verdict.fired if f.tier in ("see_doctor", "emergency"))
        raise SafetyStop(
            f"Exercises are paused by a safety rule ({titles}): " + rules.tier_text[verdict.tier],
            tier=verdict.tier,
        )
    return verdict
