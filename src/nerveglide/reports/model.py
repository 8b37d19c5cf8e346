"""The report read model: everything a progress report shows for one period, as plain
frozen dataclasses, and the numbers computed from them (adherence, pain change).

:func:`nerveglide.services.reports.gather_report` fills it from the database; the plots,
the PDF, the CSV files and the FHIR Bundle render from it and never touch the database.

Times are timezone-aware UTC datetimes; ``day`` fields are dates in the person's time
zone (``ProgressReport.timezone``), which is what "per day" means everywhere here.

Questionnaire responses are :class:`QuestionnaireResult` (``ProgressReport.questionnaires``,
in the order answered), each with its baseline and minimal change. Camera
measurements are :class:`MotionRecord` (one per session and leg the live motion coach
counted repetitions for).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "LEG_AREAS",
    "NRS_MIC",
    "AdherenceDay",
    "DiaryRecord",
    "GlidePlan",
    "MotionRecord",
    "PainChange",
    "Period",
    "ProgramVersion",
    "ProgressReport",
    "QuestionnaireAnswer",
    "QuestionnaireResult",
    "RepetitionRecord",
    "SafetyEvent",
    "SessionRecord",
    "StopRecord",
    "Summary",
    "WeekRow",
    "furthest_area",
]

#: The minimal important change of a 0-10 pain rating: 2 points (Ostelo et al., Spine
#: 2008;33(1):90-94).
NRS_MIC = 2
#: The diary's leg areas, from the top of the leg down.
LEG_AREAS: tuple[str, ...] = ("buttock", "thigh", "calf", "foot")
SessionStatus = Literal["in_progress", "completed", "ended_early", "stopped_hurt"]
STATUS_TEXT: dict[str, str] = {
    "in_progress": "in progress",
    "completed": "completed",
    "ended_early": "ended early",
    "stopped_hurt": "stopped: it hurt",
}


def furthest_area(areas: Iterable[str]) -> str | None:
    """How far down the leg symptoms reach: the lowest area ticked, or None."""
    ticked = set(areas)
    found = [a for a in LEG_AREAS if a in ticked]
    return found[-1] if found else None


@dataclass(frozen=True)
class Period:
    """The report's days, ``start`` to ``end`` inclusive, in the person's time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"the period starts ({self.start}) after it ends ({self.end})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def label(self) -> str:
        return f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"


@dataclass(frozen=True)
class GlidePlan:
    """One glide's dose in a program version."""

    exercise_id: str
    name: str
    dose: str  # the source dose chosen, or "setting" when no source gives one
    reps: int
    sets: int
    times_per_day: int | None
    pace_s: float
    hold_s: float | None
    legs: tuple[str, ...]

    def describe(self) -> str:
        parts = [
            f"{self.reps} repetition{'s' if self.reps != 1 else ''}",
            f"{self.sets} set{'s' if self.sets != 1 else ''}",
            f"{' and '.join(self.legs)} leg{'s' if len(self.legs) > 1 else ''}",
            (
                f"{self.times_per_day} time{'s' if self.times_per_day != 1 else ''} a day"
                if self.times_per_day
                else "times a day not set"
            ),
            f"{self.pace_s:g} s to the stretch",
        ]
        if self.hold_s is not None:
            parts.append(f"hold {self.hold_s:g} s")
        return ", ".join(parts)


@dataclass(frozen=True)
class ProgramVersion:
    """A saved version of the program; the newest created before a day is in force then."""

    id: int
    created_at: datetime
    affected: str
    glides: tuple[GlidePlan, ...]

    @property
    def times_per_day(self) -> int | None:
        """Sessions a day the program asks for: the most any glide asks, None if none do."""
        given = [g.times_per_day for g in self.glides if g.times_per_day]
        return max(given) if given else None


@dataclass(frozen=True)
class RepetitionRecord:
    exercise_id: str
    leg: str
    set_no: int
    rep_no: int
    attempt: int
    started_at: datetime
    ended_at: datetime
    hold_s: float | None
    #: "timer" (the player's clock) or "camera" (counted by the live motion coach).
    counted_by: str = "timer"
    #: Camera-counted only: the moving joint's range of motion, and the least knee bend
    #: reached at the stretch (degrees; 0 is a straight knee).
    range_deg: float | None = None
    knee_extension_peak_deg: float | None = None


@dataclass(frozen=True)
class StopRecord:
    """A "Stop: it hurts" event; ``areas`` are (area, side) pairs."""

    occurred_at: datetime
    pain: int
    areas: tuple[tuple[str, str], ...]
    exercise_id: str | None = None
    leg: str | None = None
    set_no: int | None = None
    rep_no: int | None = None
    step_kind: str | None = None

    def where(self) -> str:
        return ", ".join(f"{side} {area}" for area, side in self.areas) or "not said"


@dataclass(frozen=True)
class SessionRecord:
    id: str
    program_id: int
    source: str
    status: str
    glides: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None
    day: date
    pain_before_back: int
    pain_before_leg: int
    pain_after_back: int | None = None
    pain_after_leg: int | None = None
    felt_worse: bool | None = None
    spread: bool | None = None
    repetitions: tuple[RepetitionRecord, ...] = ()
    stops: tuple[StopRecord, ...] = ()

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    def counts(self) -> dict[tuple[str, str], int]:
        """Distinct repetitions done per (glide, leg): a redone repetition counts once."""
        seen = {(r.exercise_id, r.leg, r.set_no, r.rep_no) for r in self.repetitions}
        counts: dict[tuple[str, str], int] = {}
        for glide, leg, _, _ in seen:
            counts[(glide, leg)] = counts.get((glide, leg), 0) + 1
        return dict(sorted(counts.items()))

    @property
    def repetitions_done(self) -> int:
        return sum(self.counts().values())


@dataclass(frozen=True)
class DiaryRecord:
    """One day's diary entry (its latest save)."""

    entry_date: date
    back_pain: int
    leg_pain: int
    numbness: str
    weakness: str
    reach: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sleep_disturbed: bool = False
    note: str | None = None

    def furthest(self, side: str) -> str | None:
        return furthest_area(self.reach.get(side, ()))


@dataclass(frozen=True)
class MotionRecord:
    """One camera-measured session: peak knee extension of one leg, as the least knee
    flexion reached at the stretch (degrees; 0 is a straight knee): the best of the
    session's camera-counted repetitions of that leg."""

    recorded_at: datetime
    leg: str
    knee_extension_peak_deg: float
    session_id: str | None = None


@dataclass(frozen=True)
class QuestionnaireAnswer:
    link_id: str
    text: str
    value: int | None = None
    code: str | None = None
    own_words: str | None = None  # a patient-specified item's activity (PSFS)
    loinc: str | None = None  # the item's LOINC code, where the questionnaire has one


@dataclass(frozen=True)
class QuestionnaireResult:
    """A scored questionnaire response, compared with the questionnaire's baseline (its
    first valid response, which may fall before the period).

    ``minimal_change`` (points) and ``minimal_change_percent`` (percent of baseline; either
    is enough) are the questionnaire file's threshold, ``minimal_change_source`` the
    sources it cites; ``meets`` is whether the change from baseline reaches it in the
    improving direction (None for the baseline itself, or when none is published).
    """

    questionnaire_id: str
    title: str
    taken_at: datetime
    score: float | None
    better: Literal["lower", "higher"] = "lower"
    baseline_score: float | None = None
    minimal_change: float | None = None
    change_kind: Literal["mic", "mdc90", "none_published"] = "none_published"
    loinc_panel: str | None = None
    loinc_score: str | None = None
    answers: tuple[QuestionnaireAnswer, ...] = ()
    short_title: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    minimal_change_percent: float | None = None
    minimal_change_source: str | None = None
    band: str | None = None
    baseline: bool = False
    meets: bool | None = None

    @property
    def change(self) -> float | None:
        """Score minus baseline score."""
        if self.score is None or self.baseline_score is None:
            return None
        return self.score - self.baseline_score

    @property
    def label(self) -> str:
        return self.short_title or self.title

    def threshold_text(self) -> str:
        """The minimal change in short: "5 pts/30% (MIC)", "none published"."""
        parts = []
        if self.minimal_change is not None:
            parts.append(f"{self.minimal_change:g} pts")
        if self.minimal_change_percent is not None:
            parts.append(f"{self.minimal_change_percent:g}%")
        if not parts:
            return "none published"
        kind = {"mic": "MIC", "mdc90": "MDC90"}.get(self.change_kind, self.change_kind)
        return f"{'/'.join(parts)} ({kind})"

    def verdict(self) -> str:
        if self.baseline:
            return "baseline"
        if self.meets is None:
            return "n/a" if self.change is not None else "-"
        return "reaches it" if self.meets else "below it"


@dataclass(frozen=True)
class SafetyEvent:
    """A verdict that paused or stopped exercising (``kind="paused"``), or a clearance
    (``kind="cleared"``)."""

    at: datetime
    kind: Literal["paused", "cleared"]
    tier: str
    rule_ids: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class AdherenceDay:
    day: date
    completed: int
    other: int  # sessions that ended early, stopped because it hurt, or never finished
    stopped_hurt: int
    target: int | None  # the program's times a day; None without a program or a number
    counted: bool  # whether the day counts towards adherence (a program, not in the future)

    @property
    def met(self) -> bool:
        return self.target is not None and self.completed >= self.target


@dataclass(frozen=True)
class PainChange:
    """Mean pain over the first and the last seven recorded days of a series."""

    first: float
    last: float
    first_days: int
    last_days: int

    @property
    def change(self) -> float:
        return self.last - self.first

    @property
    def important(self) -> bool:
        return abs(self.change) >= NRS_MIC

    def describe(self) -> str:
        direction = "down" if self.change < 0 else "up" if self.change > 0 else "unchanged"
        size = f" by {abs(self.change):.1f}" if direction != "unchanged" else ""
        verdict = (
            f"at least the minimal important change of {NRS_MIC} points"
            if self.important
            else f"less than the minimal important change of {NRS_MIC} points"
        )
        return f"{self.first:.1f} -> {self.last:.1f} ({direction}{size}; {verdict})"


@dataclass(frozen=True)
class WeekRow:
    week_start: date
    completed: int
    expected: int | None
    leg_pain: float | None
    back_pain: float | None
    furthest_left: str | None
    furthest_right: str | None
    stops: int


@dataclass(frozen=True)
class Summary:
    sessions: int
    completed: int
    ended_early: int
    stopped_hurt: int
    in_progress: int
    repetitions: int
    expected: int  # sessions the program asked for on the counted days
    counted_days: int
    days_met: int
    diary_days: int
    leg_pain: PainChange | None
    back_pain: PainChange | None
    stops: int
    safety_pauses: int
    #: completed sessions that count towards the target: at most the target each day
    towards_target: int

    @property
    def adherence(self) -> float | None:
        """Completed sessions as a share of those the program asked for (capped per day)."""
        return None if self.expected == 0 else self.towards_target / self.expected


def _mean_change(points: Sequence[tuple[date, int]]) -> PainChange | None:
    """First seven recorded days against the last seven; needs two distinct days."""
    days = sorted({d for d, _ in points})
    if len(days) < 2:
        return None
    window = min(7, len(days) // 2)
    first_days, last_days = set(days[:window]), set(days[-window:])
    first = [v for d, v in points if d in first_days]
    last = [v for d, v in points if d in last_days]
    return PainChange(fmean(first), fmean(last), len(first_days), len(last_days))


@dataclass(frozen=True)
class ProgressReport:
    """What one report covers. ``programs`` are the versions in force at some point of
    the period, oldest first; the rest is what was recorded in it."""

    period: Period
    generated_at: datetime
    timezone: str
    programs: tuple[ProgramVersion, ...] = ()
    sessions: tuple[SessionRecord, ...] = ()
    diary: tuple[DiaryRecord, ...] = ()
    motion: tuple[MotionRecord, ...] = ()
    questionnaires: tuple[QuestionnaireResult, ...] = ()
    safety: tuple[SafetyEvent, ...] = ()
    current_tier: str = "ok"
    names: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing recorded in the period (a program alone is no data)."""
        return not (self.sessions or self.diary or self.motion or self.questionnaires)

    @property
    def today(self) -> date:
        return self.generated_at.astimezone(ZoneInfo(self.timezone)).date()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def name(self, exercise_id: str) -> str:
        return self.names.get(exercise_id, exercise_id)

    def program_on(self, day: date) -> ProgramVersion | None:
        """The version in force on ``day``: the newest one created by the end of it."""
        found = None
        for version in self.programs:
            if self.local(version.created_at).date() <= day:
                found = version
        return found

    def stops(self) -> list[tuple[SessionRecord, StopRecord]]:
        return [(s, stop) for s in self.sessions for stop in s.stops]

    def adherence(self) -> list[AdherenceDay]:
        """Each day of the period: sessions completed and others, against the target."""
        by_day: dict[date, list[SessionRecord]] = {}
        for session in self.sessions:
            by_day.setdefault(session.day, []).append(session)
        today = self.today
        days = []
        for day in self.period.dates():
            sessions = by_day.get(day, [])
            program = self.program_on(day)
            target = program.times_per_day if program else None
            days.append(
                AdherenceDay(
                    day=day,
                    completed=sum(1 for s in sessions if s.completed),
                    other=sum(1 for s in sessions if not s.completed),
                    stopped_hurt=sum(1 for s in sessions if s.status == "stopped_hurt"),
                    target=target,
                    counted=target is not None and day <= today,
                )
            )
        return days

    def summary(self) -> Summary:
        days = self.adherence()
        counted = [d for d in days if d.counted and d.target is not None]
        statuses = [s.status for s in self.sessions]
        expected = sum(d.target or 0 for d in counted)
        capped = sum(min(d.completed, d.target or 0) for d in counted)
        return Summary(
            sessions=len(self.sessions),
            completed=statuses.count("completed"),
            ended_early=statuses.count("ended_early"),
            stopped_hurt=statuses.count("stopped_hurt"),
            in_progress=statuses.count("in_progress"),
            repetitions=sum(s.repetitions_done for s in self.sessions),
            expected=expected,
            counted_days=len(counted),
            days_met=sum(1 for d in counted if d.met),
            diary_days=len(self.diary),
            leg_pain=_mean_change([(d.entry_date, d.leg_pain) for d in self.diary]),
            back_pain=_mean_change([(d.entry_date, d.back_pain) for d in self.diary]),
            stops=sum(len(s.stops) for s in self.sessions),
            safety_pauses=sum(1 for e in self.safety if e.kind == "paused"),
            towards_target=capped,
        )

    def weeks(self) -> list[WeekRow]:
        """One row per week (Monday to Sunday) that overlaps the period."""
        diary = {d.entry_date: d for d in self.diary}
        stops_by_day: dict[date, int] = {}
        for session in self.sessions:
            stops_by_day[session.day] = stops_by_day.get(session.day, 0) + len(session.stops)
        rows = []
        days = self.adherence()
        start = self.period.start - timedelta(days=self.period.start.weekday())
        while start <= self.period.end:
            week = [d for d in days if start <= d.day < start + timedelta(days=7)]
            entries = [diary[d.day] for d in week if d.day in diary]
            counted = [d for d in week if d.counted]
            rows.append(
                WeekRow(
                    week_start=start,
                    completed=sum(d.completed for d in week),
                    expected=sum(d.target or 0 for d in counted) if counted else None,
                    leg_pain=fmean(e.leg_pain for e in entries) if entries else None,
                    back_pain=fmean(e.back_pain for e in entries) if entries else None,
                    furthest_left=_furthest_of(e.furthest("left") for e in entries),
                    furthest_right=_furthest_of(e.furthest("right") for e in entries),
                    stops=sum(stops_by_day.get(d.day, 0) for d in week),
                )
            )
            start += timedelta(days=7)
        return rows


def _furthest_of(areas: Iterable[str | None]) -> str | None:
    return furthest_area(a for a in areas if a is not None)
