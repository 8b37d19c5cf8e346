"""Exercise sessions: start with a pain check, save each repetition as it happens, record
"it hurts" stops, finish with a pain check, and read what was done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.events import EventError, StopReported, check_pain
from nerveglide.domain.pacing import (
    RepKey,
    Step,
    build_timeline,
    plan_session,
    remaining_timeline,
)
from nerveglide.domain.program import Leg, Program
from nerveglide.errors import InvalidInput, NotFound
from nerveglide.services.programs import StoredProgram, program_by_id
from nerveglide.services.safety import ensure_session_allowed
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.models.exercise_session import (
    ExerciseSessionRow,
    SessionRepetitionRow,
    StopEventRow,
)

__all__ = [
    "PainCheck",
    "RepRecord",
    "SessionView",
    "finish_session",
    "history",
    "record_repetition",
    "record_stop",
    "resumable_session",
    "session_timeline",
    "session_view",
    "start_session",
]

FinishStatus = Literal["completed", "ended_early"]


@dataclass(frozen=True)
class PainCheck:
    back: int
    leg: int

    def __post_init__(self) -> None:
        try:
            check_pain("back", self.back)
            check_pain("leg", self.leg)
        except EventError as exc:
            raise InvalidInput(f"{exc.field}: {exc}") from None


@dataclass(frozen=True)
class RepRecord:
    exercise_id: str
    leg: Leg
    set_no: int
    rep_no: int
    attempt: int
    started_at: datetime
    ended_at: datetime
    hold_s: float | None = None
    #: "timer" (the player's clock) or "camera" (the live motion coach counted it).
    counted_by: Literal["timer", "camera"] = "timer"
    #: What the camera measured: range of motion (degrees) and more (peak, cues...).
    range_deg: float | None = None
    measures: dict[str, Any] | None = None


@dataclass(frozen=True)
class RepView:
    exercise_id: str
    leg: str
    set_no: int
    rep_no: int
    attempt: int
    started_at: datetime
    ended_at: datetime
    hold_s: float | None
    counted_by: str = "timer"
    range_deg: float | None = None
    measures: dict[str, Any] | None = None


@dataclass(frozen=True)
class StopView:
    occurred_at: datetime
    pain: int
    areas: list[dict[str, Any]]
    exercise_id: str | None
    leg: str | None
    set_no: int | None
    rep_no: int | None
    step_kind: str | None


@dataclass(frozen=True)
class SessionView:
    id: str
    program_id: int
    source: str
    status: str
    glides: list[str]
    started_at: datetime
    ended_at: datetime | None
    pain_before: PainCheck
    pain_after: PainCheck | None
    felt_worse: bool | None
    felt_worse_note: str | None
    spread: bool | None = None
    repetitions: list[RepView] = field(default_factory=list)
    stops: list[StopView] = field(default_factory=list)

    def done(self) -> set[RepKey]:
        return {
            RepKey(r.exercise_id, cast(Leg, r.leg), r.set_no, r.rep_no) for r in self.repetitions
        }

    def counts(self) -> dict[tuple[str, str], int]:
        """Distinct repetitions done per glide and leg (a redone rep counts once)."""
        counts: dict[tuple[str, str], int] = {}
        for key in self.done():
            counts[(key.exercise_id, key.leg)] = counts.get((key.exercise_id, key.leg), 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "program_id": self.program_id,
            "source": self.source,
            "status": self.status,
            "glides": self.glides,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "pain_before": {"back": self.pain_before.back, "leg": self.pain_before.leg},
            "pain_after": (
                {"back": self.pain_after.back, "leg": self.pain_after.leg}
                if self.pain_after
                else None
            ),
            "felt_worse": self.felt_worse,
            "spread": self.spread,
            "repetitions": [
                {
                    "exercise_id": r.exercise_id,
                    "leg": r.leg,
                    "set_no": r.set_no,
                    "rep_no": r.rep_no,
                    "attempt": r.attempt,
                    "started_at": r.started_at.isoformat(),
                    "ended_at": r.ended_at.isoformat(),
                    "hold_s": r.hold_s,
                    "counted_by": r.counted_by,
                    "range_deg": r.range_deg,
                    "measures": r.measures,
                }
                for r in self.repetitions
            ],
            "counts": [
                {"exercise_id": glide, "leg": leg, "reps": n}
                for (glide, leg), n in sorted(self.counts().items())
            ],
            "stops": [
                {
                    "occurred_at": s.occurred_at.isoformat(),
                    "pain": s.pain,
                    "areas": s.areas,
                    "exercise_id": s.exercise_id,
                    "leg": s.leg,
                    "set_no": s.set_no,
                    "rep_no": s.rep_no,
                    "step_kind": s.step_kind,
                }
                for s in self.stops
            ],
        }


def _view(row: ExerciseSessionRow) -> SessionView:
    after = None
    if row.pain_after_back is not None and row.pain_after_leg is not None:
        after = PainCheck(row.pain_after_back, row.pain_after_leg)
    return SessionView(
        id=row.id,
        program_id=row.program_id,
        source=row.source,
        status=row.status,
        glides=list(row.glides),
        started_at=row.started_at,
        ended_at=row.ended_at,
        pain_before=PainCheck(row.pain_before_back, row.pain_before_leg),
        pain_after=after,
        felt_worse=row.felt_worse,
        felt_worse_note=row.felt_worse_note,
        spread=row.spread,
        repetitions=[
            RepView(
                r.exercise_id,
                r.leg,
                r.set_no,
                r.rep_no,
                r.attempt,
                r.started_at,
                r.ended_at,
                r.hold_s,
                r.counted_by,
                r.range_deg,
                r.measures,
            )
            for r in row.repetitions
        ],
        stops=[
            StopView(
                s.occurred_at,
                s.pain,
                list(s.areas),
                s.exercise_id,
                s.leg,
                s.set_no,
                s.rep_no,
                s.step_kind,
            )
            for s in row.stops
        ],
    )


def _row(
    uow: AbstractUnitOfWork, session_id: str, *, for_update: bool = False
) -> ExerciseSessionRow:
    row = uow.sessions.get(session_id, for_update=for_update)
    if row is None:
        raise NotFound(f"There is no session {session_id!r}.")
    return row


def start_session(
    uow: AbstractUnitOfWork,
    *,
    rules: RuleSet,
    program: StoredProgram,
    pain_before: PainCheck,
    now: datetime,
    glides: list[str] | None = None,
    source: Literal["web", "terminal", "api"] = "web",
) -> SessionView:
    """Begin a session of the program's glides (or the ``glides`` chosen from it).

    Every way of starting a session comes through here, so the safety guard can't be
    bypassed: :class:`~nerveglide.errors.ScreeningDue` when the red-flag questions are due,
    :class:`~nerveglide.errors.SafetyStop` while a blocking verdict is active."""
    ensure_session_allowed(uow, rules, now, context=f"session_start:{source}")
    in_program = [g.exercise_id for g in program.program.glides]
    chosen = glides or in_program
    for index, glide in enumerate(chosen):
        if glide not in in_program:
            raise InvalidInput(
                f"glides.{index}: {glide!r} is not in your program; it has {', '.join(in_program)}"
            )
    row = ExerciseSessionRow(
        id=str(uuid.uuid4()),
        program_id=program.id,
        source=source,
        glides=[g for g in in_program if g in chosen],
        started_at=now,
        status="in_progress",
        pain_before_back=pain_before.back,
        pain_before_leg=pain_before.leg,
    )
    uow.sessions.add(row)
    uow.flush()
    return _view(row)


def session_timeline(
    library: Library, program: Program, view: SessionView, *, remaining: bool = False
) -> tuple[Step, ...]:
    """The session's steps, or only those still to do when it resumes."""
    timeline = build_timeline(plan_session(program, only=view.glides), library.exercises_by_id())
    if not remaining:
        return timeline
    done = view.done()
    return remaining_timeline(timeline, lambda key: key in done)


def _check_rep_in_plan(program: Program, view: SessionView, rep: RepRecord) -> None:
    dose = program.glide(rep.exercise_id)
    where = f"{rep.exercise_id} {rep.leg} set {rep.set_no} rep {rep.rep_no}"
    if dose is None or rep.exercise_id not in view.glides:
        raise InvalidInput(f"exercise_id: {rep.exercise_id!r} is not part of this session")
    if rep.leg not in dose.legs:
        raise InvalidInput(f"leg: this session does not exercise the {rep.leg} leg ({where})")
    if not 1 <= rep.set_no <= dose.sets:
        raise InvalidInput(f"set_no: must be 1 to {dose.sets} ({where})")
    if not 1 <= rep.rep_no <= dose.reps:
        raise InvalidInput(f"rep_no: must be 1 to {dose.reps} ({where})")
    if rep.attempt < 1:
        raise InvalidInput(f"attempt: must be 1 or more ({where})")
    if rep.ended_at < rep.started_at:
        raise InvalidInput(f"ended_at: is before started_at ({where})")
    if rep.hold_s is not None and rep.hold_s < 0:
        raise InvalidInput(f"hold_s: must not be negative ({where})")


def record_repetition(
    uow: AbstractUnitOfWork,
    session_id: str,
    program: Program | None,
    rep: RepRecord,
    now: datetime,
) -> bool:
    """Save a completed repetition; saving the same one again changes nothing (the browser
    retries after a lost connection, perhaps through another app instance while the first
    try is still under way: the session's row is locked first, so the second try waits and
    then finds the first one's repetition). True when it was new. ``program``: the
    session's program, or None to read it here (once the session is found and locked)."""
    row = _row(uow, session_id, for_update=True)
    if program is None:
        stored = program_by_id(uow, row.program_id)
        if stored is None:  # pragma: no cover - a foreign key keeps it
            raise NotFound(f"The program of session {session_id} is gone.")
        program = stored.program
    _check_rep_in_plan(program, _view(row), rep)
    existing = uow.sessions.repetition(
        session_id, rep.exercise_id, rep.leg, rep.set_no, rep.rep_no, rep.attempt
    )
    if existing is not None:
        return False
    row.repetitions.append(
        SessionRepetitionRow(
            session_id=session_id,
            exercise_id=rep.exercise_id,
            leg=rep.leg,
            set_no=rep.set_no,
            rep_no=rep.rep_no,
            attempt=rep.attempt,
            started_at=rep.started_at,
            ended_at=rep.ended_at,
            hold_s=rep.hold_s,
            recorded_at=now,
            counted_by=rep.counted_by,
            range_deg=rep.range_deg,
            measures=rep.measures,
        )
    )
    return True


def record_stop(uow: AbstractUnitOfWork, event: StopReported, now: datetime) -> SessionView:
    """Keep the "it hurts" event and end the session."""
    row = _row(uow, event.session_id, for_update=True)
    row.stops.append(
        StopEventRow(
            session_id=event.session_id,
            kind=event.kind,
            occurred_at=event.occurred_at,
            exercise_id=event.exercise_id,
            leg=event.leg,
            set_no=event.set_no,
            rep_no=event.rep_no,
            step_kind=event.step_kind,
            pain=event.pain,
            areas=[{"area": a.area, "side": a.side} for a in event.areas],
            note=event.note,
        )
    )
    row.status = "stopped_hurt"
    if row.ended_at is None:
        row.ended_at = now
    uow.flush()
    return _view(row)


def finish_session(
    uow: AbstractUnitOfWork,
    session_id: str,
    *,
    status: FinishStatus,
    now: datetime,
    pain_after: PainCheck | None = None,
    felt_worse: bool | None = None,
    felt_worse_note: str | None = None,
    spread: bool | None = None,
) -> SessionView:
    """End the session (completed, or ended early) and keep the after-check. A session
    stopped because it hurt stays so; its after-check is still kept."""
    row = _row(uow, session_id, for_update=True)
    if row.status == "in_progress":
        row.status = status
    if row.ended_at is None:
        row.ended_at = now
    if pain_after is not None:
        row.pain_after_back = pain_after.back
        row.pain_after_leg = pain_after.leg
    if felt_worse is not None:
        row.felt_worse = felt_worse
    if spread is not None:
        row.spread = spread
    if felt_worse_note:
        row.felt_worse_note = felt_worse_note.strip()[:2000]
    uow.flush()
    return _view(row)


def session_view(uow: AbstractUnitOfWork, session_id: str) -> SessionView:
    return _view(_row(uow, session_id))


def resumable_session(uow: AbstractUnitOfWork) -> SessionView | None:
    row = uow.sessions.latest_in_progress()
    return None if row is None else _view(row)


def history(uow: AbstractUnitOfWork, limit: int = 100) -> list[SessionView]:
    return [_view(row) for row in uow.sessions.history(limit)]
