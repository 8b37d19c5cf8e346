"""Queries over all of one clinician's patients at once, for the dashboard: each one's
figures comes out of a handful of grouped queries instead of a report per patient, so a
clinician with a thousand patients waits for a few queries, not thousands.

Every method takes the patients' ids and filters on them; the unit of work is also
scoped to them (:func:`nerveglide.store.scoping.scope_to_patients`), so a mistake here
can't read anyone else's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Select,
    SQLColumnExpression,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from nerveglide.store.base import UTCDateTime
from nerveglide.store.models.account import AlertRow
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.exercise_session import ExerciseSessionRow, SessionRepetitionRow
from nerveglide.store.models.program import ProgramGlideRow, ProgramRow
from nerveglide.store.models.questionnaire import QuestionnaireResponseRow
from nerveglide.store.models.safety import (
    PatientStatusRow,
    SafetyClearanceRow,
    SafetySettingRow,
    ScreeningAnswerRow,
)
from nerveglide.store.repositories.safety import ended_sessions_reached
from nerveglide.store.repositories.sessions import AnyRow

__all__ = ["ClinicRepository"]


def _bound(day: int) -> BindParameter[datetime]:
    """Day ``day``'s first moment, a parameter of :func:`_session_days`."""
    return bindparam(f"day_{day}", type_=UTCDateTime())


def _day_index(at: SQLColumnExpression[datetime], low: int, high: int) -> ColumnElement[int]:
    """The ``i`` from ``low`` to ``high`` with ``day_i <= at < day_{i + 1}`` (bound
    parameters: the day bounds), for an ``at`` from ``day_low`` on (``high`` when from
    ``day_high`` on), as a binary search: each row is compared with a handful of bounds,
    not up to a month of them."""
    if low == high:
        return literal(low)
    middle = (low + high + 1) // 2
    return case(
        (at < _bound(middle), _day_index(at, low, middle - 1)),
        else_=_day_index(at, middle, high),
    )


@cache
def _session_days(bounds: int) -> Select[*tuple[Any, ...]]:
    """The statement of :meth:`ClinicRepository.session_days` for ``bounds`` day bounds
    (``day_0``, ...) and the patients ``ids``: made once, not at every request (a month
    of bounds is a deep expression to build and to key for the statement cache)."""
    s = ExerciseSessionRow
    day = _day_index(s.started_at, 0, bounds - 1).label("day")
    return (
        select(
            s.patient_id,
            day,
            func.sum(case((s.status == "completed", 1), else_=0)),
            func.count(),
            func.max(s.started_at),
        )
        .where(
            s.patient_id.in_(bindparam("ids", expanding=True)),
            s.started_at >= _bound(0),
        )
        .group_by(s.patient_id, day)
    )


class ClinicRepository:
    """Grouped reads over several patients; never writes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def session_days(self, ids: Sequence[int], bounds: Sequence[datetime]) -> list[AnyRow]:
        """Sessions per patient and day since ``bounds[0]``: ``(patient_id, day_index,
        completed, total, latest)``, where day ``i`` runs from ``bounds[i]`` to
        ``bounds[i + 1]`` (the person's local midnights, in UTC), and sessions from
        ``bounds[-1]`` on are day ``len(bounds) - 1``; ``latest`` is the day's latest
        start."""
        days = {f"day_{i}": bound for i, bound in enumerate(bounds)}
        return list(self.session.execute(_session_days(len(bounds)), {"ids": list(ids), **days}))

    def program_targets(self, ids: Sequence[int]) -> list[AnyRow]:
        """Every program version: ``(patient_id, created_at, times_per_day)``, the most
        times a day any of its glides asks (None if none do), oldest first."""
        p, g = ProgramRow, ProgramGlideRow
        statement = (
            select(p.patient_id, p.created_at, func.max(g.times_per_day))
            .join(g, g.program_id == p.id)
            .where(p.patient_id.in_(ids))
            .group_by(p.patient_id, p.id, p.created_at)
            .order_by(p.created_at, p.id)
        )
        return list(self.session.execute(statement))

    def leg_pain_change(self, ids: Sequence[int], first: date, last: date) -> list[AnyRow]:
        """Diary leg pain from ``first`` to ``last``, each day's latest save: the mean of
        the first and of the last ``min(7, days // 2)`` recorded days, for patients with
        at least two: ``(patient_id, first_mean, last_mean, window)``."""
        d = DiaryEntryRow
        saves = (
            select(
                d.patient_id,
                d.entry_date,
                d.leg_pain,
                func.row_number()
                .over(
                    partition_by=(d.patient_id, d.entry_date),
                    order_by=(d.saved_at.desc(), d.id.desc()),
                )
                .label("revision"),
            )
            .where(d.patient_id.in_(ids), d.entry_date >= first, d.entry_date <= last)
            .subquery()
        )
        # Each patient's recorded days numbered from the first; counted back from the
        # last, day ``up`` is ``n - up + 1``: one numbering, one sort.
        days = (
            select(
                saves.c.patient_id,
                saves.c.leg_pain,
                func.row_number()
                .over(partition_by=saves.c.patient_id, order_by=saves.c.entry_date)
                .label("up"),
                func.count().over(partition_by=saves.c.patient_id).label("n"),
            )
            .where(saves.c.revision == 1)
            .subquery()
        )
        window = case((days.c.n // 2 < 7, days.c.n // 2), else_=7)
        leg = cast(days.c.leg_pain, Float)
        statement = (
            select(
                days.c.patient_id,
                func.avg(case((days.c.up <= window, leg))),
                func.avg(case((days.c.up > days.c.n - window, leg))),
                func.max(window),
            )
            .group_by(days.c.patient_id)
            .having(func.max(days.c.n) >= 2)
        )
        return list(self.session.execute(statement))

    def open_alerts(self) -> dict[int, int]:
        """Open alerts per patient, of every patient in the scope."""
        a = AlertRow
        statement = (
            select(a.patient_id, func.count())
            .where(a.acknowledged_at.is_(None))
            .group_by(a.patient_id)
        )
        return {pid: int(n) for pid, n in self.session.execute(statement)}

    def status_tiers(self) -> list[AnyRow]:
        """``(patient_id, tier, rules_version)`` of the stored verdict of every patient in
        the scope."""
        p = PatientStatusRow
        return list(self.session.execute(select(p.patient_id, p.tier, p.rules_version)))

    def statuses(self, ids: Sequence[int]) -> list[PatientStatusRow]:
        statement = select(PatientStatusRow).where(PatientStatusRow.patient_id.in_(ids))
        return list(self.session.scalars(statement))

    def questionnaire_ends(self, ids: Sequence[int]) -> list[AnyRow]:
        """For each patient and questionnaire with two valid responses or more, the first
        and the latest: ``(patient_id, questionnaire_id, answered_at, total, is_first)``."""
        q = QuestionnaireResponseRow
        key = (q.patient_id, q.questionnaire_id)
        ranked = (
            select(
                q.patient_id,
                q.questionnaire_id,
                q.answered_at,
                q.total,
                func.row_number()
                .over(partition_by=key, order_by=(q.answered_at, q.id))
                .label("up"),
                func.row_number()
                .over(partition_by=key, order_by=(q.answered_at.desc(), q.id.desc()))
                .label("down"),
                func.count().over(partition_by=key).label("n"),
            )
            .where(q.patient_id.in_(ids), q.valid.is_(True), q.total.is_not(None))
            .subquery()
        )
        statement = select(
            ranked.c.patient_id,
            ranked.c.questionnaire_id,
            ranked.c.answered_at,
            ranked.c.total,
            ranked.c.up == 1,
        ).where(ranked.c.n >= 2, or_(ranked.c.up == 1, ranked.c.down == 1))
        return list(self.session.execute(statement))

    def knee_extension_ends(self, ids: Sequence[int], since: datetime) -> list[AnyRow]:
        """For each patient and leg the camera measured since ``since``, the first and the
        latest session's best knee extension (the least knee bend of its repetitions):
        ``(patient_id, leg, started_at, knee_deg, is_first, sessions)``."""
        r = SessionRepetitionRow
        knee = r.knee_extension_peak_deg  # measures["knee_extension_peak_deg"], as a column
        per_session = (
            select(
                r.patient_id,
                r.leg,
                r.session_id,
                func.min(r.started_at).label("at"),
                func.min(knee).label("knee"),
            )
            .where(
                r.patient_id.in_(ids),
                r.counted_by == "camera",
                r.started_at >= since,
                knee.is_not(None),
            )
            .group_by(r.patient_id, r.leg, r.session_id)
            .subquery()
        )
        key = (per_session.c.patient_id, per_session.c.leg)
        ranked = select(
            per_session.c.patient_id,
            per_session.c.leg,
            per_session.c.at,
            per_session.c.knee,
            func.row_number().over(partition_by=key, order_by=per_session.c.at).label("up"),
            func.row_number()
            .over(partition_by=key, order_by=per_session.c.at.desc())
            .label("down"),
            func.count().over(partition_by=key).label("n"),
        ).subquery()
        statement = select(
            ranked.c.patient_id,
            ranked.c.leg,
            ranked.c.at,
            ranked.c.knee,
            ranked.c.up == 1,
            ranked.c.n,
        ).where(or_(ranked.c.up == 1, ranked.c.down == 1))
        return list(self.session.execute(statement))

    # --- the facts the safety rules read, of several patients at once -----------------
    # (each as SafetyRepository reads one person's, with the patient's id first and the
    # same order within each patient)

    def screening_answers(self, ids: Sequence[int]) -> list[AnyRow]:
        """``(patient_id, question_id, answer, answered_at)``, oldest first."""
        a = ScreeningAnswerRow
        statement = (
            select(a.patient_id, a.question_id, a.answer, a.answered_at)
            .where(a.patient_id.in_(ids))
            .order_by(a.patient_id, a.answered_at, a.id)
        )
        return list(self.session.execute(statement))

    def ended_sessions(
        self,
        ids: Sequence[int],
        *,
        latest: int | None,
        worse_after: int | None,
        felt_worse: int | None,
    ) -> list[AnyRow]:
        """``(patient_id, id, started_at, status, pain_before_back, pain_before_leg,
        pain_after_back, pain_after_leg, felt_worse, spread)`` of each ended session the
        rules can look at (:func:`ended_sessions_reached`), oldest first."""
        statement = ended_sessions_reached(
            latest=latest, worse_after=worse_after, felt_worse=felt_worse, ids=ids
        )
        return list(self.session.execute(statement))

    def clearances(self, ids: Sequence[int]) -> list[AnyRow]:
        """``(patient_id, rule_id, cleared_at, cleared_by)``, in the order they were made."""
        c = SafetyClearanceRow
        statement = (
            select(c.patient_id, c.rule_id, c.cleared_at, c.cleared_by)
            .where(c.patient_id.in_(ids))
            .order_by(c.patient_id, c.id)
        )
        return list(self.session.execute(statement))

    def safety_settings(self, ids: Sequence[int]) -> list[AnyRow]:
        """``(patient_id, name, value)``."""
        t = SafetySettingRow
        statement = select(t.patient_id, t.name, t.value).where(t.patient_id.in_(ids))
        return list(self.session.execute(statement))

    def diary_leg_pain(self, ids: Sequence[int], start: date, end: date) -> list[AnyRow]:
        """``(patient_id, entry_date, leg_pain)`` of every save dated in [start, end], each
        day's saves oldest first (the last one is the day's entry)."""
        d = DiaryEntryRow
        statement = (
            select(d.patient_id, d.entry_date, d.leg_pain)
            .where(d.patient_id.in_(ids), d.entry_date >= start, d.entry_date <= end)
            .order_by(d.patient_id, d.entry_date, d.saved_at, d.id)
        )
        return list(self.session.execute(statement))
