"""Read models made by hand for the renderers' tests: a program, sessions with their pain
checks and repetitions, a diary, all deterministic."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from nerveglide.reports.model import (
    DiaryRecord,
    GlidePlan,
    MotionRecord,
    Period,
    ProgramVersion,
    ProgressReport,
    QuestionnaireAnswer,
    QuestionnaireResult,
    RepetitionRecord,
    SafetyEvent,
    SessionRecord,
    StopRecord,
)

GLIDE = GlidePlan(
    exercise_id="supine-nerve-glide",
    name="Supine sciatic nerve glide",
    dose="supine-nerve-glide.dose.000",
    reps=3,
    sets=1,
    times_per_day=3,
    pace_s=3.0,
    hold_s=3.0,
    legs=("left",),
)
NAMES = {GLIDE.exercise_id: GLIDE.name}
START = date(2025, 3, 3)  # a Monday
HOURS = (8, 13, 19)


def program(
    version: int = 1, created: date = START - timedelta(days=2), **changes
) -> ProgramVersion:
    glide = GlidePlan(**{**GLIDE.__dict__, **changes})
    return ProgramVersion(
        id=version,
        created_at=datetime.combine(created, time(9), tzinfo=UTC),
        affected="left",
        glides=(glide,),
    )


def session(
    day: date,
    hour: int,
    *,
    status: str = "completed",
    before: tuple[int, int] = (3, 6),
    after: tuple[int, int] | None = (3, 5),
    program_id: int = 1,
    stop_pain: int | None = None,
) -> SessionRecord:
    started = datetime.combine(day, time(hour), tzinfo=UTC)
    reps = tuple(
        RepetitionRecord(
            exercise_id=GLIDE.exercise_id,
            leg="left",
            set_no=1,
            rep_no=n,
            attempt=1,
            started_at=started + timedelta(seconds=10 * n),
            ended_at=started + timedelta(seconds=10 * n + 8),
            hold_s=3.0,
        )
        for n in range(1, 4 if status == "completed" else 2)
    )
    stops: tuple[StopRecord, ...] = ()
    if stop_pain is not None:
        stops = (
            StopRecord(
                occurred_at=started + timedelta(seconds=30),
                pain=stop_pain,
                areas=(("calf", "left"),),
                exercise_id=GLIDE.exercise_id,
                leg="left",
                set_no=1,
                rep_no=2,
                step_kind="move",
            ),
        )
    return SessionRecord(
        id=f"s-{day.isoformat()}-{hour:02d}",
        program_id=program_id,
        source="web",
        status=status,
        glides=(GLIDE.exercise_id,),
        started_at=started,
        ended_at=started + timedelta(minutes=3),
        day=day,
        pain_before_back=before[0],
        pain_before_leg=before[1],
        pain_after_back=None if after is None else after[0],
        pain_after_leg=None if after is None else after[1],
        felt_worse=False,
        spread=False,
        repetitions=reps,
        stops=stops,
    )


def diary(
    day: date, back: int, leg: int, left: tuple[str, ...] = ("buttock", "thigh")
) -> DiaryRecord:
    return DiaryRecord(
        entry_date=day,
        back_pain=back,
        leg_pain=leg,
        numbness="mild",
        weakness="none",
        reach={"left": left} if left else {},
        sleep_disturbed=leg > 5,
        note=None,
    )


def questionnaire_results(start: date, days: int) -> tuple[QuestionnaireResult, ...]:
    """Roland-Morris answered at the start and the end of the period (14 then 8: the 5-point
    minimal important change reached), and the STarT Back tool (LOINC-coded) at the start."""
    rmdq = QuestionnaireResult(
        questionnaire_id="roland-morris",
        title="Roland-Morris Disability Questionnaire",
        short_title="RMDQ",
        taken_at=datetime.combine(start, time(10), tzinfo=UTC),
        score=14,
        score_min=0,
        score_max=24,
        better="lower",
        baseline_score=14,
        baseline=True,
        minimal_change=5,
        minimal_change_percent=30,
        minimal_change_source="Ostelo et al. 2008",
        change_kind="mic",
        answers=(QuestionnaireAnswer("rmdq-01", "I stay at home most of the time.", 1, "yes"),),
    )
    later = replace(
        rmdq,
        taken_at=datetime.combine(start + timedelta(days=days - 1), time(10), tzinfo=UTC),
        score=8,
        baseline=False,
        meets=True,
        answers=(QuestionnaireAnswer("rmdq-01", "I stay at home most of the time.", 0, "no"),),
    )
    start_back = QuestionnaireResult(
        questionnaire_id="start-back",
        title="Keele STarT Back Screening Tool",
        short_title="STarT Back",
        taken_at=datetime.combine(start, time(10, 5), tzinfo=UTC),
        score=5,
        score_min=0,
        score_max=9,
        better="lower",
        baseline_score=5,
        baseline=True,
        change_kind="none_published",
        band="medium risk",
        loinc_panel="91349-1",
        loinc_score="91351-7",
        answers=(
            QuestionnaireAnswer(
                "leg-pain", "My back pain has spread down my leg(s).", 1, "agree", loinc="91340-0"
            ),
        ),
    )
    return (rmdq, start_back, later)


def make_report(
    days: int = 28,
    *,
    start: date = START,
    per_day: int = 3,
    seed: int = 7,
    motion: bool = False,
    questionnaires: bool = False,
    generated: datetime | None = None,
) -> ProgressReport:
    """``days`` of improving pain, ``per_day`` sessions a day (some skipped), a stop on day 3."""
    rng = random.Random(seed)
    sessions: list[SessionRecord] = []
    entries: list[DiaryRecord] = []
    moves: list[MotionRecord] = []
    for n in range(days):
        day = start + timedelta(days=n)
        leg = max(0, round(7 - 4 * n / max(days - 1, 1) + rng.choice((-1, 0, 0, 1))))
        back = max(0, min(10, leg - 2))
        areas = ("buttock", "thigh", "calf", "foot")[: max(1, 4 - (4 * n) // max(days, 1))]
        entries.append(diary(day, back, leg, areas))
        for hour in HOURS[: per_day - (1 if n % 5 == 4 else 0)]:
            stopped = n == 2 and hour == HOURS[0]
            sessions.append(
                session(
                    day,
                    hour,
                    status="stopped_hurt" if stopped else "completed",
                    before=(back, leg),
                    after=(back, max(0, leg - 1)),
                    stop_pain=7 if stopped else None,
                )
            )
        if motion and n % 7 == 0:
            for leg_side, base in (("left", 25.0), ("right", 8.0)):
                moves.append(
                    MotionRecord(
                        recorded_at=datetime.combine(day, time(8, 5), tzinfo=UTC),
                        leg=leg_side,
                        knee_extension_peak_deg=base - n / 4,
                    )
                )
    end = start + timedelta(days=days - 1)
    return ProgressReport(
        period=Period(start, end),
        generated_at=generated or datetime.combine(end + timedelta(days=1), time(9), tzinfo=UTC),
        timezone="UTC",
        programs=(program(),),
        sessions=tuple(sessions),
        diary=tuple(entries),
        motion=tuple(moves),
        questionnaires=questionnaire_results(start, days) if questionnaires else (),
        safety=(
            SafetyEvent(
                at=datetime.combine(start + timedelta(days=2), time(8, 1), tzinfo=UTC),
                kind="paused",
                tier="see_doctor",
                rule_ids=("session.stopped-hurt",),
                detail="Your latest session stopped because it hurt.",
            ),
        ),
        names=dict(NAMES),
    )
