"""Queries on ``questionnaire_response`` and ``questionnaire_schedule``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nerveglide.store.models.questionnaire import (
    QuestionnaireResponseRow,
    QuestionnaireScheduleRow,
)

__all__ = ["QuestionnaireRepository"]


class QuestionnaireRepository:
    """Reads and adds questionnaire records in one session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: QuestionnaireResponseRow | QuestionnaireScheduleRow) -> None:
        self.session.add(row)

    def responses(self, questionnaire_id: str) -> list[QuestionnaireResponseRow]:
        statement = (
            select(QuestionnaireResponseRow)
            .where(QuestionnaireResponseRow.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireResponseRow.answered_at, QuestionnaireResponseRow.id)
        )
        return list(self.session.scalars(statement))

    def schedule(self, questionnaire_id: str) -> QuestionnaireScheduleRow | None:
        statement = select(QuestionnaireScheduleRow).where(
            QuestionnaireScheduleRow.questionnaire_id == questionnaire_id
        )
        return self.session.scalars(statement).one_or_none()
