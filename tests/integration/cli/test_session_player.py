"""The terminal player, ``nerveglide session``, run as a real process in tmux (and through a
pipe) on a migrated SQLite file, with the clock sped up through the setting; the database
is read afterwards through the services."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nerveglide.content.loader import default_library, default_rules
from nerveglide.content.schema import EXERCISE_IDS
from nerveglide.services.accounts import cli_patient
from nerveglide.services.programs import build_program, current_program, save_program
from nerveglide.services.safety import record_screening
from nerveglide.services.sessions import SessionView, history
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import make_engine, make_session_factory
from nerveglide.store.migrate import upgrade
from nerveglide.store.models.exercise_session import ExerciseSessionRow
from nerveglide.store.models.program import ProgramRow
from nerveglide.store.models.safety import SafetyVerdictRow

from .tmux import TmuxPane

SEED_000 = "000_6495609e9fc1b398.txt"
NO_SPEECH = "espeak-ng is not installed: cues are shown, not spoken"
PHASE = re.compile(r"│ (GET INTO POSITION|MOVE|HOLD|RETURN|REST BETWEEN SETS|REST)  ")
COUNTDOWN = re.compile(r"(\d+\.\d) s left")
RAISE_000 = ("--glide", "seated-leg-raise", "--dose", "seated-leg-raise.dose.000")
RAISE_002 = ("--glide", "seated-leg-raise", "--dose", "seated-leg-raise.dose.002")
HURT_RULES = (
    "Never force a movement.",
    "Stop if you feel any pain.",
    "If your pain persists or gets worse",
)


@dataclass
class Database:
    url: str
    env: dict[str, str]

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlAlchemyUnitOfWork]:
        engine = make_engine(self.url)
        try:
            factory = make_session_factory(engine)
            # The terminal acts for the installation's only patient (made if none yet).
            patient = cli_patient(factory, None, datetime.now(UTC))
            with SqlAlchemyUnitOfWork(factory, patient_id=patient.id) as uow:
                yield uow
        finally:
            engine.dispose()

    def sessions(self) -> list[SessionView]:
        with self.unit_of_work() as uow:
            return history(uow)

    def counts(self) -> tuple[int, int]:
        """(program versions, sessions)"""
        with self.unit_of_work() as uow:
            programs = uow.session.scalar(select(func.count()).select_from(ProgramRow))
            sessions = uow.session.scalar(select(func.count()).select_from(ExerciseSessionRow))
        return int(programs or 0), int(sessions or 0)

    def save_program(self, affected: str, glides: list[dict[str, object]]) -> int:
        program = build_program(default_library(), affected, glides)
        with self.unit_of_work() as uow:
            stored = save_program(uow, program, datetime.now(UTC))
            uow.commit()
        return stored.id

    def screen(self, answers: dict[str, str]) -> None:
        """Answer the red-flag questions: "no" unless given."""
        rules = default_rules()
        given = {q.id: answers.get(q.id, "no") for q in rules.questions}
        with self.unit_of_work() as uow:
            record_screening(uow, rules, given, datetime.now(UTC), source="terminal")
            uow.commit()

    def verdicts(self) -> list[tuple[str, str]]:
        with self.unit_of_work() as uow:
            rows = uow.session.execute(select(SafetyVerdictRow.context, SafetyVerdictRow.tier))
            return [(str(c), str(t)) for c, t in rows]

    def current_program_id(self) -> int | None:
        with self.unit_of_work() as uow:
            current = current_program(uow)
        return None if current is None else current.id


def _database(tmp_path: Path, *, migrated: bool = True, screened: bool = True) -> Database:
    """A temp database; ``screened``: the red-flag questions already answered "no"."""
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'nerveglide.db'}"
    database = Database(url, {"NERVEGLIDE_DATA_DIR": str(data), "NERVEGLIDE_DATABASE_URL": ""})
    if migrated:
        upgrade(url)
        if screened:
            database.screen({})
    return database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return _database(tmp_path)


@pytest.fixture
def panes() -> Iterator[list[TmuxPane]]:
    """Panes started by the test; each one's tmux server is killed afterwards."""
    started: list[TmuxPane] = []
    yield started
    for pane in started:
        pane.kill()


def player(*args: str) -> list[str]:
    return [sys.executable, "-m", "nerveglide", "session", *args]


def run(args: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        player(*args),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **env},
        check=False,
    )


def _panel(screen: str) -> list[str]:
    """The live display's lines (from its top border down)."""
    lines = screen.splitlines()
    top = max(i for i, line in enumerate(lines) if line.startswith("╭"))
    return lines[top : top + 12]


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    position = iter(seen)
    return all(any(item == candidate for candidate in position) for item in wanted)


def test_a_paced_session_pauses_resumes_finishes_and_saves_every_rep(
    db: Database, panes: list[TmuxPane]
):
    pane = TmuxPane.start(
        player(
            "--glide",
            "seated-leg-raise",
            "--dose",
            "seated-leg-raise.dose.000",
            "--reps",
            "10",
            "--leg",
            "left",
        ),
        env={**db.env, "NERVEGLIDE_CLOCK_SPEED": "20"},
    )
    panes.append(pane)

    shown = pane.wait_for("Back pain now")
    assert "Repeat 10 to 20 times." in shown
    assert SEED_000 in shown
    assert (NO_SPEECH in shown) == (shutil.which("espeak-ng") is None)
    pane.send_line("11")
    pane.wait_for("Please enter a whole number from 0 to 10")
    pane.send_line("2")
    pane.wait_for("Leg pain now")
    pane.send_line("4")

    phases: list[str] = []

    def watch(screen: str) -> bool:
        match = PHASE.search(screen)
        if match and (not phases or phases[-1] != match[1]):
            phases.append(match[1])
        return "rep 3 of 10" in screen

    screen = pane.wait_until(watch, "rep 3 of 10")
    assert "space pause/resume · s skip · r redo rep · q end · h it hurts" in screen
    assert "Seated leg raises · left leg" in screen
    assert "set 1 of 1" in screen
    assert re.search(r"done so far: Seated leg raises: left [0-9]+/10", screen)

    pane.send(" ")
    first = pane.wait_until(lambda s: "PAUSED" in s, "the paused display")
    time.sleep(0.5)  # ten seconds of session time at 20x: longer than any phase
    second = pane.screen()
    assert "PAUSED" in second
    assert COUNTDOWN.search(first) is not None
    assert _panel(first) == _panel(second), "the countdown moved while paused"

    pane.send(" ")
    pane.wait_until(lambda s: "PAUSED" not in s, "the display to run again")
    pane.wait_until(watch, "the end of the session", timeout=30)  # keep watching the phases
    pane.wait_for("After the session", timeout=30)
    assert _is_subsequence(["MOVE", "RETURN", "REST", "MOVE", "RETURN"], phases), phases
    assert "The session is complete." in pane.screen()

    pane.wait_for("Back pain now", count=2)
    pane.send_line("1")
    pane.wait_for("Leg pain now", count=2)
    pane.send_line("3")
    pane.wait_for("Did anything feel worse")
    pane.send_line("n")
    pane.wait_for("spread further down your leg")
    pane.send_line("n")
    assert pane.exit_code() == 0
    assert "10 of 10" in pane.history()

    [view] = db.sessions()
    assert (view.status, view.source) == ("completed", "terminal")
    assert view.glides == ["seated-leg-raise"]
    assert (view.pain_before.back, view.pain_before.leg) == (2, 4)
    assert view.pain_after is not None
    assert (view.pain_after.back, view.pain_after.leg) == (1, 3)
    assert view.felt_worse is False
    reps = view.repetitions
    assert [(r.leg, r.set_no, r.rep_no, r.attempt) for r in reps] == [
        ("left", 1, n, 1) for n in range(1, 11)
    ]
    for earlier, later in itertools.pairwise(reps):
        assert earlier.ended_at <= later.started_at
    durations = [(r.ended_at - r.started_at).total_seconds() for r in reps]
    # raise 3 s + lower 3 s of session time = 0.3 s of real time at 20x; one rep held the pause
    assert sum(abs(d - 0.3) < 0.02 for d in durations) >= 9, durations
    assert all(d >= 0.29 for d in durations), durations
    assert all(r.hold_s is None for r in reps)  # seated leg raises have no hold
    assert view.started_at <= reps[0].started_at
    assert view.ended_at is not None
    assert reps[-1].ended_at <= view.ended_at
    assert db.counts() == (1, 1)


def test_it_hurts_mid_set_records_the_stop_and_ends_the_session(
    db: Database, panes: list[TmuxPane], tmp_path: Path
):
    no_speech = tmp_path / "bin"  # a PATH without espeak-ng
    no_speech.mkdir()
    pane = TmuxPane.start(
        player(
            "--glide",
            "supine-nerve-glide",
            "--dose",
            "supine-nerve-glide.dose.000",
            "--reps",
            "10",
            "--hold",
            "3",
            "--leg",
            "right",
        ),
        env={**db.env, "NERVEGLIDE_CLOCK_SPEED": "20", "PATH": str(no_speech)},
    )
    panes.append(pane)

    shown = pane.wait_for("Back pain now")
    assert NO_SPEECH in shown
    pane.send_line("1")
    pane.wait_for("Leg pain now")
    pane.send_line("5")
    pane.wait_until(lambda s: "rep 3 of 10" in s, "rep 3")
    pane.send("h")
    stopped = pane.wait_for("Where does it hurt?")
    assert "Stopped: it hurts." in stopped
    assert "PAUSED" in stopped
    panel = "\n".join(_panel(stopped))
    shown_rep = re.search(r"rep (\d+) of 10", panel)
    assert shown_rep is not None

    pane.send_line("knee left")
    pane.wait_for("give an area")
    pane.send_line("calf left, back middle")
    pane.wait_for("How much does it hurt")
    pane.send_line("6")
    advice = pane.wait_for("After the session")
    for text in HURT_RULES:
        assert text in advice
    assert SEED_000 in advice.split("Where does it hurt?")[-1]
    pane.wait_for("Back pain now", count=2)
    pane.send_line("4")
    pane.wait_for("Leg pain now", count=2)
    pane.send_line("6")
    pane.wait_for("Did anything feel worse")
    pane.send_line("y")
    pane.wait_for("What felt worse?")
    pane.send_line("a tingling calf")
    pane.wait_for("spread further down your leg")
    pane.send_line("y")
    assert pane.exit_code() == 0
    assert "Session stopped: it hurts" in pane.history()

    [view] = db.sessions()
    assert view.status == "stopped_hurt"
    assert view.felt_worse is True
    assert view.felt_worse_note == "a tingling calf"
    assert view.spread is True
    assert view.pain_after is not None
    assert (view.pain_after.back, view.pain_after.leg) == (4, 6)
    [stop] = view.stops
    assert stop.pain == 6
    assert stop.areas == [{"area": "calf", "side": "left"}, {"area": "back", "side": "middle"}]
    assert (stop.exercise_id, stop.leg, stop.set_no) == ("supine-nerve-glide", "right", 1)
    assert stop.rep_no == int(shown_rep[1])
    assert stop.step_kind in ("move", "hold", "return", "rest_rep")
    done = stop.rep_no if stop.step_kind == "rest_rep" else stop.rep_no - 1
    assert [r.rep_no for r in view.repetitions] == list(range(1, done + 1))
    assert all(r.leg == "right" for r in view.repetitions)
    assert all(r.hold_s == pytest.approx(3.0, abs=1e-3) for r in view.repetitions)
    assert view.repetitions[-1].ended_at <= stop.occurred_at
    assert view.ended_at is not None
    assert stop.occurred_at <= view.ended_at


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [*RAISE_000, "--reps", "25", "--leg", "left"],
            ["--reps", "10 to 20", SEED_000],
        ),
        (
            [*RAISE_002, "--reps", "10", "--leg", "left"],
            ["--reps", "gives 15 repetitions"],
        ),
        (["--glide", "seated-leg-raise", "--reps", "abc", "--leg", "left"], ["--reps"]),
        (["--glide", "seated-leg-raise", "--reps", "-3", "--leg", "left"], ["--reps"]),
        (["--glide", "seated-leg-raise", "--sets", "-1", "--leg", "left"], ["--sets"]),
        (
            ["--glide", "supine-nerve-glide", "--hold", "0.1", "--leg", "left"],
            ["--hold", "between 0.5 and 60"],
        ),
        (["--glide", "seated-leg-raise", "--hold", "3", "--leg", "left"], ["--hold", "no hold"]),
        (["--glide", "seated-leg-raise", "--leg", "middle"], ["--leg"]),
        (
            ["--glide", "standing-kick", "--leg", "left"],
            ["unknown glide 'standing-kick'", *EXERCISE_IDS],
        ),
        (["--dose", "seated-leg-raise.dose.009"], ["--dose", "unknown dose"]),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_nothing_saved(
    db: Database, args: list[str], says: list[str]
):
    program_id = db.save_program(
        "right", [{"exercise_id": "seated-leg-kick", "dose": "setting", "reps": 8}]
    )
    result = run(args, db.env)
    assert result.returncode == 2, result.stdout + result.stderr
    for text in says:
        assert text in result.stderr
    assert "Traceback" not in result.stderr
    assert db.counts() == (1, 0)
    assert db.current_program_id() == program_id


def test_without_a_program_or_a_migrated_database_it_says_what_to_do(tmp_path: Path):
    (tmp_path / "a").mkdir()
    fresh = _database(tmp_path / "a")
    result = run([], fresh.env)
    assert result.returncode == 2
    assert "you have no program yet" in result.stderr
    assert "--glide" in result.stderr
    assert fresh.counts() == (0, 0)

    (tmp_path / "b").mkdir()
    unmigrated = _database(tmp_path / "b", migrated=False)
    result = run(["--glide", "seated-leg-raise", "--leg", "left"], unmigrated.env)
    assert result.returncode == 2
    assert "run `nerveglide db upgrade`" in result.stderr


def test_keys_and_answers_can_come_through_a_pipe(db: Database):
    """stdin not a terminal: keys are lines, other lines wait for the questions. The saved
    program plays when no option is given, and no new version is made."""
    program_id = db.save_program(
        "left", [{"exercise_id": "seated-leg-kick", "dose": "setting", "reps": 4}]
    )
    result = run([], {**db.env, "NERVEGLIDE_CLOCK_SPEED": "1000"}, stdin="3\n2\n1\n0\nn\nn\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stdin is not a terminal" in result.stdout
    assert "Seated leg kicks, left leg, set 1 of 1, rep 4 of 4" in " ".join(result.stdout.split())
    assert "4 of 4" in result.stdout
    [view] = db.sessions()
    assert (view.program_id, view.status, view.source) == (program_id, "completed", "terminal")
    assert (view.pain_before.back, view.pain_before.leg) == (3, 2)
    assert view.pain_after is not None
    assert (view.pain_after.back, view.pain_after.leg) == (1, 0)
    assert [r.rep_no for r in view.repetitions] == [1, 2, 3, 4]
    assert db.counts() == (1, 1)


def test_safety_questions_come_first_and_a_yes_to_cauda_equina_blocks(tmp_path: Path):
    database = _database(tmp_path, screened=False)
    database.save_program(
        "left", [{"exercise_id": "seated-leg-kick", "dose": "setting", "reps": 4}]
    )
    # "maybe" is refused; "?" means I'm not sure, which escalates like yes.
    answers = "maybe\n?\n" + "n\n" * 9
    result = run([], {**database.env, "NERVEGLIDE_CLOCK_SPEED": "1000"}, stdin=answers)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Please answer y, n or ?" in result.stdout
    assert "Call 999" in result.stdout
    assert "New bladder or bowel problems" in result.stdout
    assert database.counts() == (1, 0)
    # Next time no question is asked: the emergency verdict itself blocks.
    result = run([], {**database.env, "NERVEGLIDE_CLOCK_SPEED": "1000"}, stdin="")
    assert result.returncode == 3
    assert "Safety questions" not in result.stdout
    assert database.counts() == (1, 0)


def test_an_active_see_a_doctor_verdict_blocks_the_terminal_player(db: Database):
    db.save_program("left", [{"exercise_id": "seated-leg-kick", "dose": "setting", "reps": 4}])
    db.screen({"rf.cancer": "yes"})
    result = run([], {**db.env, "NERVEGLIDE_CLOCK_SPEED": "1000"}, stdin="3\n2\n")
    assert result.returncode == 3
    assert "A history of cancer" in result.stdout
    assert "Henschke et al. 2013 (Cochrane)" in result.stdout
    assert db.counts() == (1, 0)
    assert db.verdicts() == [("screening", "see_doctor"), ("session_start:terminal", "see_doctor")]
