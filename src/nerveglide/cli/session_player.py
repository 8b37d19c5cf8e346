"""``nerveglide session``: the terminal player.

The same plan, timeline and :class:`~nerveglide.domain.pacing.Player` as the web player,
shown with a Rich live display and driven by keys read without blocking::

    nerveglide session --glide seated-leg-raise --dose seated-leg-raise.dose.000 \\
        --reps 12 --leg left

Without options it plays the saved program; with them it first saves the choices as a new
program version. Before the session it asks the pain now (back, leg); during it, every
completed repetition is saved at once; after it (or after "it hurts") it asks again.

The clock is ``time.monotonic() * clock_speed`` (``NERVEGLIDE_CLOCK_SPEED``, 1 = real
time): tests speed the session up through this very code. When stdin is not a terminal the
keys come as lines (``p`` or a single space, ``s``, ``r``, ``q``, ``h``), and lines that
are not keys are left for the questions, so a session can be driven through a pipe.
"""

from __future__ import annotations

import codecs
import os
import re
import select
import shutil
import subprocess
import sys
import termios
import time
import tty
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, TextIO, cast

import typer
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.prompt import Confirm, IntPrompt, Prompt
from rich.table import Table
from rich.text import Text

from nerveglide.config import Settings, get_settings
from nerveglide.content.loader import default_library, default_rules
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.events import AREA_SIDES, AREAS, Area, AreaSide, PainArea, StopReported
from nerveglide.domain.pacing import (
    Event,
    Player,
    RepCompleted,
    SessionFinished,
    SessionPlan,
    Step,
    StepStarted,
    plan_session,
)
from nerveglide.domain.program import SETTING, GlideDose, Program, has_hold
from nerveglide.domain.safety import Verdict
from nerveglide.errors import DatabaseError, InvalidInput, NerveglideError, SafetyStop

if TYPE_CHECKING:  # the services and the store load when a session starts, not with the CLI
    from nerveglide.services.programs import StoredProgram
    from nerveglide.services.sessions import RepRecord, SessionView
    from nerveglide.services.uow import SqlAlchemyUnitOfWork

__all__ = ["session"]

KEY_HELP = "space pause/resume · s skip · r redo rep · q end · h it hurts"
NO_SPEECH_NOTE = "espeak-ng is not installed: cues are shown, not spoken"
#: The seed safety rules shown after "it hurts".
HURT_RULES = ("safety.never-force", "safety.stop-if-pain", "safety.persists-or-worsens")
STATUS_TITLES = {
    "completed": "Session complete",
    "ended_early": "Session ended early",
    "stopped_hurt": "Session stopped: it hurts",
    "in_progress": "Session unfinished",
}
FRAME_SECONDS = 0.05  # how often the display refreshes and keys are read (real time)

PHASE_LABELS: dict[str, str] = {
    "get_ready": "Get into position",
    "move": "Move",
    "hold": "Hold",
    "return": "Return",
    "rest_rep": "Rest",
    "rest_set": "Rest between sets",
    "switch_leg": "Switch legs",
    "next_glide": "Next glide",
}

Key = Literal["pause", "skip", "redo", "end", "hurt"]
_TTY_KEYS: dict[str, Key] = {
    " ": "pause",
    "s": "skip",
    "r": "redo",
    "q": "end",
    "h": "hurt",
}
#: Escape sequences (arrows, function keys): not keys of the player, whatever letters they hold.
_ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?")
_LINE_KEYS: dict[str, Key] = {
    "p": "pause",
    "pause": "pause",
    "resume": "pause",
    "space": "pause",
    "s": "skip",
    "skip": "skip",
    "r": "redo",
    "redo": "redo",
    "q": "end",
    "end": "end",
    "quit": "end",
    "h": "hurt",
    "hurt": "hurt",
    "it hurts": "hurt",
}


class LegOption(StrEnum):
    left = "left"
    right = "right"
    both = "both"


# --- input: keys without blocking, lines for the questions ---------------------------------


class TerminalInput:
    """Reads stdin by file descriptor, so keys (select + read) and the questions' lines
    (:meth:`readline`, given to Rich's prompts as their stream) share one buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.is_tty = os.isatty(fd)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._eof = False

    def _read(self) -> bool:
        """Read what is there (blocking until something is); False at end of input."""
        data = os.read(self.fd, 1024)
        if not data:
            self._eof = True
            self._buffer += self._decoder.decode(b"", final=True)
            return False
        self._buffer += self._decoder.decode(data)
        return True

    def _ready(self, timeout: float) -> bool:
        if self._eof:
            time.sleep(timeout)
            return False
        readable, _, _ = select.select([self.fd], [], [], timeout)
        return bool(readable)

    def readline(self) -> str:
        """One line, for a question; raises :class:`EOFError` when input has ended."""
        while "\n" not in self._buffer:
            if self._eof or not self._read():
                if self._buffer:
                    line, self._buffer = self._buffer, ""
                    return line
                raise EOFError
        line, _, self._buffer = self._buffer.partition("\n")
        return line + "\n"

    def keys(self, timeout: float) -> list[Key]:
        """The keys pressed since the last call, waiting up to ``timeout`` seconds."""
        if self._ready(timeout):
            self._read()
        if self.is_tty:
            text, self._buffer = _ESCAPES.sub("", self._buffer), ""
            return [_TTY_KEYS[c] for c in text.lower() if c in _TTY_KEYS]
        found: list[Key] = []
        while "\n" in self._buffer:
            line, _, rest = self._buffer.partition("\n")
            word = "space" if line.strip("\r") == " " else line.strip().lower()
            if word and word not in _LINE_KEYS:
                break  # an answer typed ahead for the questions: leave it there
            self._buffer = rest
            if word:
                found.append(_LINE_KEYS[word])
        return found

    def stream(self, console: Console) -> TextIO:
        """This input as the ``stream`` Rich's prompts read lines from; when it is not a
        terminal (nothing echoes the answers), the answers are shown after the questions."""
        return cast(TextIO, _LineStream(self, None if self.is_tty else console))


class _LineStream:
    def __init__(self, source: TerminalInput, echo: Console | None) -> None:
        self._source = source
        self._echo = echo

    def readline(self) -> str:
        line = self._source.readline()
        if self._echo is not None:
            self._echo.print(line.rstrip("\r\n"), markup=False, highlight=False)
        return line


@contextmanager
def keys_mode(source: TerminalInput) -> Iterator[None]:
    """Keys arrive one by one, unechoed (cbreak), until the block ends, however it ends."""
    if not source.is_tty:
        yield
        return
    saved = termios.tcgetattr(source.fd)
    try:
        tty.setcbreak(source.fd)
        yield
    finally:
        termios.tcsetattr(source.fd, termios.TCSADRAIN, saved)


# --- speech --------------------------------------------------------------------------------


class Speaker:
    """Speaks cues with espeak-ng in the background; a failure only silences it."""

    def __init__(self) -> None:
        self.program = shutil.which("espeak-ng")
        self._current: subprocess.Popen[bytes] | None = None

    @property
    def available(self) -> bool:
        return self.program is not None

    def say(self, text: str) -> None:
        if self.program is None:
            return
        self.silence()  # a new cue replaces one still being spoken
        try:
            self._current = subprocess.Popen(
                [self.program, "--", text],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError):
            self.program = None  # never let speech break the session

    def silence(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        try:
            if current.poll() is None:
                current.terminate()
            current.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            pass


# --- the program ---------------------------------------------------------------------------

_OPTION_OF_FIELD = {
    "exercise_id": "--glide",
    "dose": "--dose",
    "reps": "--reps",
    "sets": "--sets",
    "hold_s": "--hold",
}
#: Values that are the person's settings whatever the dose: carried over from the saved
#: program when a new version is made from options.
_CARRIED_SETTINGS = (
    "sets",
    "hold_s",
    "pace_s",
    "rest_between_reps_s",
    "rest_between_sets_s",
    "get_ready_s",
)


@dataclass(frozen=True)
class Choices:
    glides: list[str]
    leg: str | None
    reps: int | None
    sets: int | None
    hold: float | None
    doses: list[str]

    @property
    def given(self) -> bool:
        return bool(self.glides or self.doses) or any(
            v is not None for v in (self.leg, self.reps, self.sets, self.hold)
        )


def _known_glides(library: Library) -> str:
    return ", ".join(e.id for e in library.exercises)


def check_choices(library: Library, choices: Choices) -> dict[str, str]:
    """Refuse unknown glides and doses; the dose chosen for each glide, by glide id."""
    for glide in choices.glides:
        try:
            library.exercise(glide)
        except KeyError:
            raise InvalidInput(
                f"--glide: unknown glide {glide!r}. Known glides: {_known_glides(library)}"
            ) from None
    if len(set(choices.glides)) != len(choices.glides):
        raise InvalidInput("--glide: each glide once, please")
    doses: dict[str, str] = {}
    for dose in choices.doses:
        owner = next((e for e in library.exercises if any(d.id == dose for d in e.doses)), None)
        if owner is None:
            known = ", ".join(d.id for e in library.exercises for d in e.doses)
            raise InvalidInput(f"--dose: unknown dose {dose!r}. Doses by source: {known}")
        if choices.glides and owner.id not in choices.glides:
            raise InvalidInput(
                f"--dose: {dose} is a dose of {owner.id}, which is not among your --glide choices"
            )
        if owner.id in doses:
            raise InvalidInput(f"--dose: choose one dose for {owner.id}")
        doses[owner.id] = dose
    return doses


def _option_message(message: str, glides: Sequence[str]) -> str:
    """``glides.0.reps: ...`` from the services, in the options' words."""
    match = re.match(r"glides\.(\d+)\.(\w+): (.*)", message, re.DOTALL)
    if match is None:
        return message.replace("affected_leg:", "--leg:", 1)
    index, name, rest = int(match[1]), match[2], match[3]
    glide = glides[index] if index < len(glides) else "?"
    option = _OPTION_OF_FIELD.get(name)
    if option is None:
        return f"{glide} in your saved program, {name}: {rest}"
    return f"{option} ({glide}): {rest}"


def program_from_choices(
    library: Library, choices: Choices, current: StoredProgram | None
) -> Program:
    """The person's choices as a program; what they leave out comes from the saved one."""
    from nerveglide.services.programs import build_program

    doses = check_choices(library, choices)
    saved = current.program if current is not None else None
    glides = list(choices.glides)
    if not glides:  # the saved program's glides, and any a --dose names
        glides = [g.exercise_id for g in saved.glides] if saved is not None else []
        glides += [glide for glide in doses if glide not in glides]
    if not glides:
        raise InvalidInput(
            "--glide: you have no saved program yet: choose the glides with --glide "
            f"(known: {_known_glides(library)})"
        )
    affected = choices.leg or (saved.affected if saved is not None else None)
    if affected is None:
        raise InvalidInput("--leg: say which leg is affected: left, right or both")
    any_hold = any(has_hold(library.exercise(g)) for g in glides)
    wanted: list[dict[str, Any]] = []
    for glide in glides:
        exercise = library.exercise(glide)
        base: GlideDose | None = saved.glide(glide) if saved is not None else None
        default = exercise.doses[0].id if exercise.doses else SETTING
        dose = doses.get(glide) or (base.dose if base is not None else default)
        choice: dict[str, Any] = {"exercise_id": glide, "dose": dose}
        if base is not None:
            for name in _CARRIED_SETTINGS:
                choice[name] = getattr(base, name)
            if base.dose == dose:
                choice["reps"] = base.reps
                choice["times_per_day"] = base.times_per_day
        if choices.reps is not None:
            choice["reps"] = choices.reps
        if choices.sets is not None:
            choice["sets"] = choices.sets
        if choices.hold is not None and (has_hold(exercise) or not any_hold):
            choice["hold_s"] = choices.hold
        wanted.append(choice)
    try:
        return build_program(library, affected, wanted)
    except InvalidInput as exc:
        raise InvalidInput(_option_message(exc.message, glides)) from None


def describe_program(library: Library, program: Program, *, new: bool) -> Table:
    table = Table(
        title="Your program (new version)" if new else "Your program",
        title_justify="left",
        show_lines=True,
    )
    table.add_column("glide")
    table.add_column("legs")
    table.add_column("dose")
    table.add_column("from")
    for glide in program.glides:
        exercise = library.exercise(glide.exercise_id)
        source = next((d for d in exercise.doses if d.id == glide.dose), None)
        reps = f"{glide.reps} reps × {glide.sets} set{'s' if glide.sets != 1 else ''}"
        hold = f", hold {glide.hold_s:g} s (your setting)" if glide.hold_s is not None else ""
        origin = (
            f"{source.text} ({library.label(source.source)})"
            if source is not None
            else "your setting: no source gives a number"
        )
        table.add_row(exercise.name, " and ".join(glide.legs), reps + hold, origin)
    return table


# --- questions -----------------------------------------------------------------------------


def ask_pain(console: Console, source: TerminalInput, question: str) -> int:
    while True:
        value = IntPrompt.ask(question, console=console, stream=source.stream(console))
        if 0 <= value <= 10:
            return value
        console.print("[prompt.invalid]Please enter a whole number from 0 to 10")


SAFETY_BLOCKED = 3  # exit code: a safety rule blocks exercising now


def ask_screening(console: Console, source: TerminalInput, rules: RuleSet) -> dict[str, str]:
    """The red-flag questions, typed: y (yes), n (no) or ? (I'm not sure)."""
    console.print(
        "\n[bold]Safety questions[/] (y = yes, n = no, ? = I'm not sure; "
        "not sure counts as yes, to be safe)"
    )
    answers: dict[str, str] = {}
    for number, question in enumerate(rules.questions, start=1):
        while True:
            reply = (
                Prompt.ask(
                    f"{number}. {question.text}", console=console, stream=source.stream(console)
                )
                .strip()
                .lower()
            )
            value = {
                "y": "yes",
                "yes": "yes",
                "n": "no",
                "no": "no",
                "?": "unsure",
                "not sure": "unsure",
                "unsure": "unsure",
            }.get(reply)
            if value is not None:
                answers[question.id] = value
                break
            console.print("[prompt.invalid]Please answer y, n or ?")
    return answers


def show_block(console: Console, library: Library, rules: RuleSet, verdict: Verdict) -> None:
    """Why exercising is blocked: each rule that fired, its message and sources."""
    style = "bold white on red" if verdict.emergency else "bold"
    console.print(f"\n{rules.tier_text[verdict.tier]}", style=style, highlight=False)
    by_id = {r.id: r for r in rules.rules}
    for fired in verdict.fired:
        if fired.tier not in ("see_doctor", "emergency"):
            continue
        sources = "; ".join(library.label(c.source) for c in by_id[fired.rule_id].sources)
        console.print(f"- {fired.title}: {fired.message} (sources: {sources})", highlight=False)
    console.print("See /safety/why in the web app, or `nerveglide safety rules`.", highlight=False)


def parse_areas(text: str) -> tuple[PainArea, ...]:
    """``"calf left, back middle"`` -> the areas; raises ValueError saying what is wrong."""
    areas: list[PainArea] = []
    for part in re.split(r",|;|\band\b", text.lower()):
        words = part.split()
        if not words:
            continue
        area = [w for w in words if w in AREAS]
        side = [w for w in words if w in AREA_SIDES]
        other = [w for w in words if w not in AREAS and w not in AREA_SIDES]
        if other or len(area) != 1 or len(side) > 1:
            raise ValueError(
                f"{part.strip()!r}: give an area ({', '.join(AREAS)}) and a side "
                f"({', '.join(AREA_SIDES)}), e.g. calf left"
            )
        if not side and area[0] != "back":
            raise ValueError(
                f"{part.strip()!r}: which side? ({', '.join(AREA_SIDES)}), e.g. {area[0]} left"
            )
        chosen = PainArea(cast(Area, area[0]), cast(AreaSide, side[0] if side else "middle"))
        if chosen not in areas:
            areas.append(chosen)
    if not areas:
        raise ValueError("say where it hurts, e.g. calf left, back middle")
    return tuple(areas)


def ask_areas(console: Console, source: TerminalInput) -> tuple[PainArea, ...]:
    while True:
        answer = Prompt.ask(
            f"Where does it hurt? Areas: {', '.join(AREAS)}; sides: {', '.join(AREA_SIDES)} "
            "(e.g. calf left, back middle)",
            console=console,
            stream=source.stream(console),
        )
        try:
            return parse_areas(answer)
        except ValueError as exc:
            console.print(f"[prompt.invalid]{exc}", highlight=False)


@dataclass(frozen=True)
class AfterCheck:
    back: int
    leg: int
    felt_worse: bool
    note: str | None
    spread: bool = False


def ask_after(console: Console, source: TerminalInput) -> AfterCheck:
    console.print("\n[bold]After the session[/]")
    back = ask_pain(console, source, "Back pain now, 0 (none) to 10 (worst)")
    leg = ask_pain(console, source, "Leg pain now, 0 (none) to 10 (worst)")
    worse = Confirm.ask(
        "Did anything feel worse than before?", console=console, stream=source.stream(console)
    )
    note = None
    if worse:
        note = Prompt.ask(
            "What felt worse? (Enter to skip)",
            console=console,
            stream=source.stream(console),
            default="",
            show_default=False,
        )
    spread = Confirm.ask(
        "During the session, did your symptoms spread further down your leg?",
        console=console,
        stream=source.stream(console),
    )
    return AfterCheck(back, leg, worse, note or None, spread)


# --- the live session ----------------------------------------------------------------------

Outcome = Literal["completed", "ended_early", "hurt"]


@dataclass
class Run:
    """A session being played: the player, its clock, and saving what is done."""

    uow: SqlAlchemyUnitOfWork
    library: Library
    stored: StoredProgram
    view: SessionView
    timeline: Sequence[Step]
    speed: float
    speaker: Speaker
    console: Console
    player: Player = field(init=False)
    started_mono: float = field(init=False)
    started_wall: datetime = field(init=False)
    unsaved: list[RepRecord] = field(default_factory=list)
    plan: SessionPlan = field(init=False)

    def __post_init__(self) -> None:
        self.plan = plan_session(self.stored.program, only=self.view.glides)

    def clock(self) -> float:
        return time.monotonic() * self.speed

    def wall(self, at: float) -> datetime:
        """The player's clock reading ``at`` as a UTC date and time."""
        return self.started_wall + timedelta(seconds=(at - self.started_mono) / self.speed)

    def start(self) -> None:
        now = self.clock()
        self.started_mono, self.started_wall = now, datetime.now(UTC)
        self.player, events = Player.start(self.timeline, now)
        self.handle(events)

    def handle(self, events: Sequence[Event]) -> None:
        from nerveglide.services.sessions import RepRecord

        for event in events:
            if isinstance(event, StepStarted):
                self.speaker.say(event.step.cue)
                if not self.console.is_terminal:
                    self.console.print(_step_line(self.library, event.step), highlight=False)
            elif isinstance(event, RepCompleted):
                self.unsaved.append(
                    RepRecord(
                        exercise_id=event.key.exercise_id,
                        leg=event.key.leg,
                        set_no=event.key.set_no,
                        rep_no=event.key.rep_no,
                        attempt=event.attempt,
                        started_at=self.wall(event.started_at),
                        ended_at=self.wall(event.ended_at),
                        hold_s=event.hold_s,
                    )
                )
                self.save()
            elif isinstance(event, SessionFinished) and not event.early:
                self.speaker.say("Well done. The session is complete.")

    def save(self) -> None:
        """Save the repetitions not saved yet, each in its own transaction; one the
        database refuses stays in the queue and is tried again with the next."""
        from nerveglide.services.sessions import record_repetition

        while self.unsaved:
            rep = self.unsaved[0]
            try:
                with self.uow:
                    record_repetition(
                        self.uow, self.view.id, self.stored.program, rep, datetime.now(UTC)
                    )
                    self.uow.commit()
            except DatabaseError:
                return
            self.unsaved.pop(0)

    def play(self, source: TerminalInput) -> tuple[Outcome, float, Step | None]:
        """Run until the end, ``q`` or ``h``: the outcome, when, and the step then."""
        self.start()
        with keys_mode(source), self._display() as show:
            while True:
                now = self.clock()
                self.handle(self.player.tick(now))
                if self.player.finished:
                    show(self.render(now))
                    return "completed", now, None
                for key in source.keys(FRAME_SECONDS):
                    now = self.clock()
                    if key == "hurt":
                        self.handle(self.player.pause(now))
                        self.speaker.silence()
                        step = self.player.step
                        show(self.render(now, note="Stopped: it hurts."))
                        return "hurt", now, step
                    if key == "end":
                        self.handle(self.player.end(now))
                        show(self.render(now, note="The session has ended early."))
                        return "ended_early", now, None
                    if key == "pause":
                        paused = self.player.state == "paused"
                        events = self.player.resume(now) if paused else self.player.pause(now)
                        if not self.console.is_terminal:
                            self.console.print("resumed" if paused else "paused")
                    elif key == "skip":
                        events = self.player.skip(now)
                    else:
                        events = self.player.redo_rep(now)
                    self.handle(events)
                    if self.player.finished:
                        return "completed", now, None
                show(self.render(self.clock()))

    @contextmanager
    def _display(self) -> Iterator[Callable[[RenderableType], None]]:
        if not self.console.is_terminal:
            yield lambda renderable: None
            return
        with Live(
            console=self.console,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        ) as live:
            yield lambda renderable: live.update(renderable, refresh=True)

    def render(self, now: float, note: str | None = None) -> Panel:
        player = self.player
        step = player.step
        lines: list[Any] = []
        if step is None:
            lines.append(Text(note or "The session is complete.", style="bold green"))
            note = None
        else:
            exercise = self.library.exercise(step.exercise_id)
            lines.append(Text(f"{exercise.name} · {step.leg} leg", style="bold"))
            lines.append(Text(f"set {step.set_no} of {step.sets} · {_rep_words(step)}"))
            phase = Text(PHASE_LABELS.get(step.kind, step.kind).upper(), style="bold cyan")
            lines.append(Text.assemble(phase, "  ", step.cue))
            left = player.remaining(now)
            bar = ProgressBar(total=max(step.seconds, 0.001), completed=step.seconds - left)
            table = Table.grid(expand=True, padding=(0, 1))
            table.add_column(ratio=1)
            table.add_column(no_wrap=True)
            table.add_row(bar, f"{left:4.1f} s left")
            lines.append(table)
        lines.append(Text(self.counts(), style="dim"))
        if self.unsaved:
            lines.append(
                Text(f"{len(self.unsaved)} repetition(s) not saved yet: retrying", style="red")
            )
        if note is not None:
            lines.append(Text(note, style="bold red"))
        lines.append(Text(KEY_HELP, style="italic"))
        paused = player.state == "paused"
        return Panel(
            Group(*lines),
            title="PAUSED: press space to resume" if paused else "nerveglide session",
            border_style="yellow" if paused else "blue",
        )

    def counts(self) -> str:
        done = self.player.completed()
        parts = []
        for block in self.plan.blocks:
            legs = ", ".join(
                f"{leg.leg} {done.get((block.exercise_id, leg.leg), 0)}/{leg.sets * leg.reps}"
                for leg in block.legs
            )
            parts.append(f"{self.library.exercise(block.exercise_id).name}: {legs}")
        return "done so far: " + "; ".join(parts)


def _rep_words(step: Step) -> str:
    if step.kind in ("get_ready", "switch_leg"):
        return f"rep 1 of {step.reps} next"
    if step.kind in ("rest_rep", "rest_set", "next_glide"):
        return f"rep {step.rep_no} of {step.reps} done"
    return f"rep {step.rep_no} of {step.reps}"


def _step_line(library: Library, step: Step) -> str:
    name = library.exercise(step.exercise_id).name
    return (
        f"{name}, {step.leg} leg, set {step.set_no} of {step.sets}, {_rep_words(step)}: "
        f"{PHASE_LABELS.get(step.kind, step.kind)} ({step.seconds:g} s). {step.cue}"
    )


def show_safety(console: Console, library: Library) -> None:
    rules = {rule.id: rule for rule in library.safety.rules}
    table = Table(title="Safety", title_justify="left", show_lines=True, expand=True)
    table.add_column("advice")
    table.add_column("source")
    for rule_id in HURT_RULES:
        rule = rules[rule_id]
        table.add_row(rule.text, "; ".join(library.label(c.source) for c in rule.sources))
    console.print(table)


def show_summary(console: Console, library: Library, program: Program, view: SessionView) -> None:
    counts = view.counts()
    table = Table(title=STATUS_TITLES.get(view.status, view.status), title_justify="left")
    table.add_column("glide")
    table.add_column("leg")
    table.add_column("reps done", justify="right")
    for glide_id in view.glides:
        glide = program.glide(glide_id)
        if glide is None:
            continue
        for leg in glide.legs:
            done = counts.get((glide_id, leg), 0)
            table.add_row(
                library.exercise(glide_id).name, leg, f"{done} of {glide.reps * glide.sets}"
            )
    console.print(table)
    before, after = view.pain_before, view.pain_after
    if after is not None:
        console.print(
            f"pain before: back {before.back}, leg {before.leg}; "
            f"after: back {after.back}, leg {after.leg}",
            highlight=False,
        )


# --- the command ---------------------------------------------------------------------------


def session(
    glide: Annotated[
        list[str] | None,
        typer.Option(
            "--glide",
            "-g",
            metavar="ID",
            help="A glide to do (repeat for more).",
            show_default=False,
        ),
    ] = None,
    leg: Annotated[
        LegOption | None, typer.Option(help="Which leg is affected.", show_default=False)
    ] = None,
    reps: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Repetitions per set, within the source's range."),
    ] = None,
    sets: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Sets (your setting).")
    ] = None,
    hold: Annotated[
        float | None,
        typer.Option(min=0, metavar="S", help="Seconds to hold at the stretch (your setting)."),
    ] = None,
    dose: Annotated[
        list[str] | None,
        typer.Option(
            "--dose",
            metavar="DOSE_ID",
            help="A source's dose id for a glide (repeat per glide).",
            show_default=False,
        ),
    ] = None,
    patient: Annotated[
        str | None,
        typer.Option(
            "--patient",
            metavar="EMAIL",
            help="The patient this is for (needed when the installation has several).",
        ),
    ] = None,
) -> None:
    """Play a session in the terminal: paced, timed, counted and spoken.

    Keys: space pause/resume, s skip, r redo the repetition, q end, h it hurts.
    With options, they become a new version of your program first.
    """
    from nerveglide.cli.main import console, fail
    from nerveglide.services.accounts import cli_patient
    from nerveglide.services.programs import current_program
    from nerveglide.services.uow import SqlAlchemyUnitOfWork
    from nerveglide.store import migrate
    from nerveglide.store.audit_trail import AuditContext
    from nerveglide.store.db import make_engine, make_session_factory

    choices = Choices(
        glides=list(glide or []),
        leg=leg.value if leg is not None else None,
        reps=reps,
        sets=sets,
        hold=hold,
        doses=list(dose or []),
    )
    try:
        settings = get_settings()
        library = default_library()
        check_choices(library, choices)
        url = settings.effective_database_url
        migrate.require_head(url)
        engine = make_engine(url)
    except NerveglideError as exc:
        raise fail(exc.message) from None
    try:
        factory = make_session_factory(engine)
        try:
            owner = cli_patient(factory, patient, datetime.now(UTC))
        except NerveglideError as exc:
            raise fail(exc.message) from None
        uow = SqlAlchemyUnitOfWork(
            factory, patient_id=owner.id, audit=AuditContext(None, "system", "cli")
        )
        try:
            with uow:
                current = current_program(uow)
            if choices.given:
                program = program_from_choices(library, choices, current)
            elif current is None:
                raise fail(
                    "you have no program yet. Make one by choosing glides, e.g. "
                    "`nerveglide session --glide seated-leg-raise --leg left` "
                    f"(glides: {_known_glides(library)}; see `nerveglide exercises`)"
                )
            else:
                program = current.program
        except NerveglideError as exc:
            raise fail(exc.message) from None
        _play(console, library, uow, program, current if not choices.given else None, settings)
    finally:
        engine.dispose()


def _play(
    console: Console,
    library: Library,
    uow: SqlAlchemyUnitOfWork,
    program: Program,
    saved: StoredProgram | None,
    settings: Settings,
) -> None:
    from nerveglide.cli.main import fail
    from nerveglide.services.programs import save_program
    from nerveglide.services.sessions import (
        PainCheck,
        finish_session,
        session_timeline,
        start_session,
    )

    source = TerminalInput(sys.stdin.fileno())
    speaker = Speaker()
    console.print(describe_program(library, program, new=saved is None))
    if not speaker.available:
        console.print(NO_SPEECH_NOTE, style="yellow", highlight=False)
    if not source.is_tty:
        console.print(
            "stdin is not a terminal: type keys as lines (p pause, s skip, r redo, q end, "
            "h it hurts)",
            highlight=False,
        )
    from nerveglide.services.safety import (
        current_verdict,
        ensure_session_allowed,
        is_screening_due,
        record_screening,
    )

    rules = default_rules()
    with uow:
        due = is_screening_due(uow, rules, datetime.now(UTC))
    if due:
        answers = ask_screening(console, source, rules)
        with uow:
            record_screening(uow, rules, answers, datetime.now(UTC), source="terminal")
            uow.commit()
    with uow:
        try:  # the same guard start_session applies; a refusal is audited
            ensure_session_allowed(uow, rules, datetime.now(UTC), "session_start:terminal")
        except SafetyStop:
            show_block(console, library, rules, current_verdict(uow, rules, datetime.now(UTC)))
            raise typer.Exit(SAFETY_BLOCKED) from None
    run: Run | None = None
    try:
        console.print("\n[bold]Before the session[/]")
        back = ask_pain(console, source, "Back pain now, 0 (none) to 10 (worst)")
        leg = ask_pain(console, source, "Leg pain now, 0 (none) to 10 (worst)")
        with uow:
            stored = saved or save_program(uow, program, datetime.now(UTC))
            view = start_session(
                uow,
                rules=rules,
                program=stored,
                pain_before=PainCheck(back, leg),
                now=datetime.now(UTC),
                source="terminal",
            )
            uow.commit()
        run = Run(
            uow=uow,
            library=library,
            stored=stored,
            view=view,
            timeline=session_timeline(library, stored.program, view),
            speed=settings.clock_speed,
            speaker=speaker,
            console=console,
        )
        console.print(f"\n{KEY_HELP}", style="italic", highlight=False)
        outcome, at, step = run.play(source)
        run.save()
        if outcome == "hurt":
            _it_hurts(console, library, source, run, at, step)
        else:  # ended now; the after-check is added when answered
            with uow:
                finish_session(uow, view.id, status=outcome, now=datetime.now(UTC))
                uow.commit()
        after = ask_after(console, source)
        run.save()
        with uow:
            view = finish_session(
                uow,
                view.id,
                status=outcome if outcome != "hurt" else "ended_early",
                now=datetime.now(UTC),
                pain_after=PainCheck(after.back, after.leg),
                felt_worse=after.felt_worse,
                spread=after.spread,
                felt_worse_note=after.note,
            )
            uow.commit()
        show_summary(console, library, stored.program, view)
        if run.unsaved:
            raise fail(
                f"{len(run.unsaved)} repetition(s) could not be saved: the database refused them",
                code=1,
            )
    except (KeyboardInterrupt, EOFError) as exc:
        speaker.silence()
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "the input ended"
        console.print(f"\n{why}: {_left_unfinished(uow, run)}", highlight=False)
        raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 1) from None
    except NerveglideError as exc:
        raise fail(f"{exc.message} ({_left_unfinished(uow, run)})", code=1) from None


def _left_unfinished(uow: SqlAlchemyUnitOfWork, run: Run | None) -> str:
    from nerveglide.services.sessions import session_view

    if run is None:
        return "no session was started"
    run.save()
    try:
        with uow:
            view = session_view(uow, run.view.id)
    except NerveglideError:
        return "the session is left unfinished"
    done = f"the {len(view.repetitions)} repetition(s) done are saved"
    if view.status == "in_progress":
        return f"{done}; the session is left unfinished"
    return f"{done} and the session has ended; the after-check was not answered"


def _it_hurts(
    console: Console,
    library: Library,
    source: TerminalInput,
    run: Run,
    at: float,
    step: Step | None,
) -> None:
    """Ask where and how much, keep the stop, show the advice and end the session."""
    from nerveglide.services.sessions import record_stop

    console.print("\n[bold red]Stopped: it hurts.[/] The session is paused.")
    areas = ask_areas(console, source)
    pain = ask_pain(console, source, "How much does it hurt, 0 (none) to 10 (worst)?")
    event = StopReported(
        session_id=run.view.id,
        occurred_at=run.wall(at),
        pain=pain,
        areas=areas,
        exercise_id=step.exercise_id if step else None,
        leg=step.leg if step else None,
        set_no=step.set_no if step else None,
        rep_no=(step.rep_no or None) if step else None,
        step_kind=step.kind if step else None,
    )
    with run.uow:
        record_stop(run.uow, event, event.occurred_at)  # the session ended when it hurt
        run.uow.commit()
    run.handle(run.player.end(run.clock()))
    console.print("The stop is recorded and the session has ended.\n")
    show_safety(console, library)
