"""Pacing: a program becomes a session plan, the plan a timeline of steps, and a
:class:`Player` walks the timeline on a clock it is given (so tests need no sleeps).

The steps come from each glide's reference motion: its ``start`` phase is the "get into
position" step at the start of each leg; its ``move``, ``hold`` and ``return`` phases make
one repetition, timed by the person's pace and hold settings; its ``rest`` phase becomes
the rest between repetitions. Between sets comes a longer rest, between legs a switch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from nerveglide.content.schema import Exercise, Phase
from nerveglide.domain.program import GlideDose, Leg, Program

StepKind = Literal[
    "get_ready", "move", "hold", "return", "rest_rep", "rest_set", "switch_leg", "next_glide"
]
REP_KINDS: frozenset[str] = frozenset({"move", "hold", "return"})
_REP_STEP: dict[str, StepKind] = {"move": "move", "hold": "hold", "return": "return"}
SWITCH_SECONDS = 5.0  # time to change legs or glides; the person can skip it


@dataclass(frozen=True)
class LegBlock:
    leg: Leg
    sets: int
    reps: int


@dataclass(frozen=True)
class GlideBlock:
    exercise_id: str
    dose: GlideDose
    legs: tuple[LegBlock, ...]


@dataclass(frozen=True)
class SessionPlan:
    blocks: tuple[GlideBlock, ...]

    @property
    def total_reps(self) -> int:
        return sum(leg.sets * leg.reps for block in self.blocks for leg in block.legs)


@dataclass(frozen=True)
class Step:
    """One timed step of a session."""

    index: int
    kind: StepKind
    exercise_id: str
    leg: Leg
    set_no: int
    rep_no: int
    sets: int
    reps: int
    seconds: float
    phase_id: str | None
    step_item: str | None
    cue: str

    @property
    def in_rep(self) -> bool:
        return self.kind in REP_KINDS

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "kind": self.kind,
            "exercise_id": self.exercise_id,
            "leg": self.leg,
            "set_no": self.set_no,
            "rep_no": self.rep_no,
            "sets": self.sets,
            "reps": self.reps,
            "seconds": self.seconds,
            "phase_id": self.phase_id,
            "step_item": self.step_item,
            "cue": self.cue,
        }


def plan_session(program: Program, only: Sequence[str] | None = None) -> SessionPlan:
    """The glides in program order (or just ``only``), each leg in turn."""
    blocks = []
    for glide in program.glides:
        if only is not None and glide.exercise_id not in only:
            continue
        legs = tuple(LegBlock(leg=leg, sets=glide.sets, reps=glide.reps) for leg in glide.legs)
        blocks.append(GlideBlock(exercise_id=glide.exercise_id, dose=glide, legs=legs))
    return SessionPlan(blocks=tuple(blocks))


def _phase_seconds(phase: Phase, dose: GlideDose) -> float:
    if phase.kind == "hold":
        return dose.hold_s if dose.hold_s is not None else phase.duration.seconds
    if phase.kind in ("move", "return"):
        return dose.pace_s
    return phase.duration.seconds


def _leg_words(leg: Leg) -> str:
    return f"your {leg} leg"


def build_timeline(plan: SessionPlan, exercises: dict[str, Exercise]) -> tuple[Step, ...]:
    """Every step of the session, in order."""
    steps: list[Step] = []

    def add(
        kind: StepKind,
        block: GlideBlock,
        leg: LegBlock,
        set_no: int,
        rep_no: int,
        seconds: float,
        cue: str,
        phase: Phase | None = None,
    ) -> None:
        steps.append(
            Step(
                index=len(steps),
                kind=kind,
                exercise_id=block.exercise_id,
                leg=leg.leg,
                set_no=set_no,
                rep_no=rep_no,
                sets=leg.sets,
                reps=leg.reps,
                seconds=seconds,
                phase_id=phase.id if phase else None,
                step_item=phase.step if phase else None,
                cue=cue,
            )
        )

    for block_index, block in enumerate(plan.blocks):
        exercise = exercises[block.exercise_id]
        phases = exercise.reference_motion.phases
        start = next(p for p in phases if p.kind == "start")
        rep_phases = [p for p in phases if p.kind in REP_KINDS]
        for leg_index, leg in enumerate(block.legs):
            if leg_index > 0:
                add("switch_leg", block, leg, 1, 0, SWITCH_SECONDS, f"Now {_leg_words(leg.leg)}.")
            add(
                "get_ready",
                block,
                leg,
                1,
                0,
                block.dose.get_ready_s,
                f"{exercise.name}, {_leg_words(leg.leg)}. {start.cue}",
                start,
            )
            for set_no in range(1, leg.sets + 1):
                for rep_no in range(1, leg.reps + 1):
                    for phase in rep_phases:
                        add(
                            _REP_STEP[phase.kind],
                            block,
                            leg,
                            set_no,
                            rep_no,
                            _phase_seconds(phase, block.dose),
                            phase.cue,
                            phase,
                        )
                    last_rep = rep_no == leg.reps
                    if not last_rep and block.dose.rest_between_reps_s > 0:
                        add(
                            "rest_rep",
                            block,
                            leg,
                            set_no,
                            rep_no,
                            block.dose.rest_between_reps_s,
                            "Rest.",
                        )
                if set_no < leg.sets:
                    add(
                        "rest_set",
                        block,
                        leg,
                        set_no,
                        leg.reps,
                        block.dose.rest_between_sets_s,
                        f"Set {set_no} of {leg.sets} done. Rest before the next set.",
                    )
        if block_index < len(plan.blocks) - 1:
            following = exercises[plan.blocks[block_index + 1].exercise_id]
            last_leg = block.legs[-1]
            add(
                "next_glide",
                block,
                last_leg,
                last_leg.sets,
                last_leg.reps,
                SWITCH_SECONDS,
                f"Next: {following.name}.",
            )
    return tuple(steps)


# --- the player ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RepKey:
    exercise_id: str
    leg: Leg
    set_no: int
    rep_no: int


@dataclass(frozen=True)
class StepStarted:
    step: Step
    at: float


@dataclass(frozen=True)
class RepCompleted:
    key: RepKey
    attempt: int
    started_at: float
    ended_at: float
    hold_s: float | None


@dataclass(frozen=True)
class SessionFinished:
    at: float
    early: bool


Event = StepStarted | RepCompleted | SessionFinished
PlayerState = Literal["running", "paused", "finished"]


@dataclass
class _RepProgress:
    started_at: float | None = None
    hold_s: float | None = None


@dataclass
class Player:
    """Walks a timeline on the clock readings it is given.

    Every method takes ``now`` (seconds, any origin, never decreasing) and returns the
    events it caused: a step started, a repetition completed, the session finished.
    Step boundaries are computed from the previous boundary, not from when ``tick`` was
    called, so a late tick never stretches the session.
    """

    timeline: Sequence[Step]
    index: int = 0
    state: PlayerState = "running"
    step_started_at: float = 0.0
    paused_at: float | None = None
    attempts: dict[RepKey, int] = field(default_factory=dict)
    _rep: _RepProgress = field(default_factory=_RepProgress)

    @classmethod
    def start(
        cls, timeline: Sequence[Step], now: float, *, at_step: int = 0
    ) -> tuple[Player, list[Event]]:
        """A player at ``at_step`` (0, or where a resumed session left off)."""
        if not timeline:
            player = cls(timeline=timeline, state="finished")
            return player, [SessionFinished(at=now, early=False)]
        if not 0 <= at_step < len(timeline):
            raise ValueError(f"step {at_step} is outside the timeline (0-{len(timeline) - 1})")
        player = cls(timeline=timeline, index=at_step, step_started_at=now)
        return player, player._enter(now)

    @property
    def finished(self) -> bool:
        return self.state == "finished"

    @property
    def step(self) -> Step | None:
        return self.timeline[self.index] if not self.finished else None

    def elapsed(self, now: float) -> float:
        """Seconds into the current step (frozen while paused)."""
        reference = self.paused_at if self.paused_at is not None else now
        return max(0.0, reference - self.step_started_at)

    def remaining(self, now: float) -> float:
        step = self.step
        return 0.0 if step is None else max(0.0, step.seconds - self.elapsed(now))

    def completed(self) -> dict[tuple[str, Leg], int]:
        """Repetitions done per glide and leg (a redone rep counts once)."""
        counts: dict[tuple[str, Leg], int] = {}
        for key in self.attempts:
            counts[(key.exercise_id, key.leg)] = counts.get((key.exercise_id, key.leg), 0) + 1
        return counts

    def tick(self, now: float) -> list[Event]:
        events: list[Event] = []
        while self.state == "running":
            step = self.timeline[self.index]
            end = self.step_started_at + step.seconds
            if now < end:
                break
            events.extend(self._advance(end))
        return events

    def pause(self, now: float) -> list[Event]:
        events = self.tick(now)
        if self.state == "running":
            self.state = "paused"
            self.paused_at = now
        return events

    def resume(self, now: float) -> list[Event]:
        if self.state == "paused" and self.paused_at is not None:
            self.step_started_at += now - self.paused_at
            self.paused_at = None
            self.state = "running"
        return self.tick(now)

    def skip(self, now: float) -> list[Event]:
        """Move on to the next step now; a skipped step of a rep still completes it."""
        if self.finished:
            return []
        events = self.tick(now) if self.state == "running" else []
        if self.finished:
            return events
        at = self.paused_at if self.paused_at is not None else now
        was_paused = self.state == "paused"
        events.extend(self._advance(at))
        if was_paused and not self.finished:
            self.paused_at = at
            self.state = "paused"
            self.step_started_at = at
        return events

    def redo_rep(self, now: float) -> list[Event]:
        """Go back to the first step of the current repetition (or, in the rest after a
        repetition, of that repetition) and do it again."""
        if self.finished:
            return []
        events = self.tick(now) if self.state == "running" else []
        if self.finished:
            return events
        step = self.timeline[self.index]
        target = self._first_step_of(step)
        if target is None:
            return events
        at = self.paused_at if self.paused_at is not None else now
        self.index = target
        self.step_started_at = at
        self._rep = _RepProgress()
        if self.paused_at is not None:
            self.paused_at = at
        events.extend(self._enter(at))
        return events

    def end(self, now: float) -> list[Event]:
        """End the session early."""
        if self.finished:
            return []
        events = self.tick(now) if self.state == "running" else []
        if self.finished:
            return events
        self.state = "finished"
        self.paused_at = None
        events.append(SessionFinished(at=now, early=True))
        return events

    # -- internals --

    def _first_step_of(self, step: Step) -> int | None:
        if step.kind not in REP_KINDS and step.kind != "rest_rep" and step.kind != "rest_set":
            return None
        key = (step.exercise_id, step.leg, step.set_no, step.rep_no)
        for position, candidate in enumerate(self.timeline):
            if (
                candidate.in_rep
                and (candidate.exercise_id, candidate.leg, candidate.set_no, candidate.rep_no)
                == key
            ):
                return position
        return None

    def _enter(self, at: float) -> list[Event]:
        step = self.timeline[self.index]
        if step.in_rep and self._rep.started_at is None:
            self._rep.started_at = at
        return [StepStarted(step=step, at=at)]

    def _advance(self, at: float) -> list[Event]:
        """Finish the current step at ``at`` and enter the next one."""
        events: list[Event] = []
        step = self.timeline[self.index]
        if step.kind == "hold":
            self._rep.hold_s = at - self.step_started_at
        following = self.timeline[self.index + 1] if self.index + 1 < len(self.timeline) else None
        rep_ends = step.in_rep and (following is None or not _same_rep(step, following))
        if rep_ends:
            key = RepKey(step.exercise_id, step.leg, step.set_no, step.rep_no)
            attempt = self.attempts.get(key, 0) + 1
            self.attempts[key] = attempt
            started = self._rep.started_at if self._rep.started_at is not None else at
            events.append(RepCompleted(key, attempt, started, at, self._rep.hold_s))
            self._rep = _RepProgress()
        if following is None:
            self.state = "finished"
            events.append(SessionFinished(at=at, early=False))
            return events
        self.index += 1
        self.step_started_at = at
        events.extend(self._enter(at))
        return events


def _same_rep(a: Step, b: Step) -> bool:
    return b.in_rep and (a.exercise_id, a.leg, a.set_no, a.rep_no) == (
        b.exercise_id,
        b.leg,
        b.set_no,
        b.rep_no,
    )


def remaining_timeline(
    timeline: Sequence[Step], done: Callable[[RepKey], bool]
) -> tuple[Step, ...]:
    """The steps still to do when a session resumes: a leg whose repetitions are all done
    is left out; a leg partly done starts again at its get-ready step (so the person
    settles into position) and goes on with the first repetition not yet done. Steps keep
    their original ``index``."""

    def rep_done(step: Step) -> bool:
        return done(RepKey(step.exercise_id, step.leg, step.set_no, step.rep_no))

    legs_left = {(s.exercise_id, s.leg) for s in timeline if s.in_rep and not rep_done(s)}
    glides_left = {glide for glide, _ in legs_left}
    kept: list[Step] = []
    for step in timeline:
        if step.kind == "next_glide":
            if step.exercise_id in glides_left:
                kept.append(step)
            continue
        if (step.exercise_id, step.leg) not in legs_left:
            continue
        if step.kind in ("move", "hold", "return", "rest_rep") and rep_done(step):
            continue
        if step.kind == "rest_set" and rep_done(step):
            following = RepKey(step.exercise_id, step.leg, step.set_no + 1, 1)
            if done(following):
                continue
        kept.append(step)
    while kept and kept[0].kind in ("switch_leg", "next_glide"):
        kept.pop(0)
    return tuple(kept)
