"""Outcome questionnaires: what is due (a baseline first, then every interval), record
and score a response, and compare each later score with the baseline against the
instrument's minimal important change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nerveglide.content.questionnaire import Questionnaire
from nerveglide.domain.scoring import Change, Score, ScoringError, compare, score
from nerveglide.errors import InvalidInput
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.questionnaire import (
    QuestionnaireResponseRow,
    QuestionnaireScheduleRow,
)

__all__ = [
    "DEFAULT_INTERVAL_DAYS",
    "QuestionnaireStatus",
    "StoredResponse",
    "questionnaire_status",
    "record_response",
    "set_interval",
    "stored_responses",
]

#: No source fixes how often to repeat the questionnaires; four weeks is the product's
#: default, shown as such, and a clinician can change it per questionnaire.
DEFAULT_INTERVAL_DAYS = 28


@dataclass(frozen=True)
class StoredResponse:
    answered_at: datetime
    score: Score
    activity_names: Mapping[str, str]
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class QuestionnaireStatus:
    questionnaire: Questionnaire
    interval_days: int
    interval_is_default: bool
    responses: tuple[StoredResponse, ...]
    due: bool
    due_reason: str
    change: Change | None

    @property
    def baseline(self) -> StoredResponse | None:
        return next((r for r in self.responses if r.score.valid), None)

    @property
    def latest(self) -> StoredResponse | None:
        return self.responses[-1] if self.responses else None


def _stored(q: Questionnaire, row: QuestionnaireResponseRow) -> StoredResponse:
    return StoredResponse(
        row.answered_at, score(q, row.answers), dict(row.activity_names), dict(row.answers)
    )


def stored_responses(uow: AbstractUnitOfWork, q: Questionnaire) -> list[StoredResponse]:
    """Every stored response to ``q``, oldest first, scored by its rule."""
    return [_stored(q, row) for row in uow.questionnaires.responses(q.id)]


def _interval(uow: AbstractUnitOfWork, questionnaire_id: str) -> tuple[int, bool]:
    row = uow.questionnaires.schedule(questionnaire_id)
    return (DEFAULT_INTERVAL_DAYS, True) if row is None else (row.interval_days, False)


def questionnaire_status(
    uow: AbstractUnitOfWork, questionnaires: Sequence[Questionnaire], now: datetime
) -> list[QuestionnaireStatus]:
    out = []
    for q in questionnaires:
        responses = tuple(stored_responses(uow, q))
        interval, default = _interval(uow, q.id)
        valid = [r for r in responses if r.score.valid]
        if not valid:
            due, reason = True, "baseline: not answered yet"
        else:
            next_at = valid[-1].answered_at + timedelta(days=interval)
            due = now >= next_at
            reason = f"due {next_at:%d %b %Y}" if not due else "due now"
        change = None
        if len(valid) >= 2:
            change = compare(q, valid[0].score, valid[-1].score)
        out.append(QuestionnaireStatus(q, interval, default, responses, due, reason, change))
    return out


def record_response(
    uow: AbstractUnitOfWork,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    now: datetime,
    activity_names: Mapping[str, str] | None = None,
) -> Score:
    """Score and keep a completed questionnaire; a response the scoring rule can't score
    (too many items missing) is refused with the rule's reason, and nothing is stored."""
    names = {k: v.strip() for k, v in (activity_names or {}).items() if v and v.strip()}
    for item_id in names:
        if item_id not in {i.id for i in questionnaire.items if i.patient_specified}:
            raise InvalidInput(f"activity_names.{item_id}: not an activity of {questionnaire.id}")
    try:
        result = score(questionnaire, answers)
    except ScoringError as exc:
        raise InvalidInput(f"answers.{exc.item}: {exc.problem}") from None
    if not result.valid:
        raise InvalidInput(f"answers: {result.problem}")
    for item in questionnaire.items:
        if item.patient_specified and item.id in result.item_values and item.id not in names:
            raise InvalidInput(f"activity_names.{item.id}: name the activity you rated")
    uow.questionnaires.add(
        QuestionnaireResponseRow(
            questionnaire_id=questionnaire.id,
            questionnaire_version=questionnaire.version,
            answered_at=now,
            answers={k: v for k, v in answers.items() if v is not None},
            activity_names=names,
            total=result.total,
            subscales=dict(result.subscales),
            band=result.band,
            valid=result.valid,
            problem=result.problem,
        )
    )
    uow.flush()
    return result


def set_interval(
    uow: AbstractUnitOfWork, questionnaire: Questionnaire, days: int, now: datetime
) -> None:
    if not 1 <= days <= 365:
        raise InvalidInput(f"interval_days: must be from 1 to 365; got {days}")
    row = uow.questionnaires.schedule(questionnaire.id)
    if row is None:
        uow.questionnaires.add(
            QuestionnaireScheduleRow(
                questionnaire_id=questionnaire.id, interval_days=days, updated_at=now
            )
        )
    else:
        row.interval_days, row.updated_at = days, now
