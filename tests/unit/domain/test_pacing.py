"""The pacing core on a fake clock: plan, timeline, pause, resume, skip, redo, early end."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nerveglide.content.loader import load_library
from nerveglide.content.schema import EXERCISE_IDS
from nerveglide.domain.pacing import (
    Event,
    Player,
    RepCompleted,
    RepKey,
    SessionFinished,
    StepStarted,
    build_timeline,
    plan_session,
    remaining_timeline,
)
from nerveglide.domain.program import AffectedLeg, Program, default_dose

LIB = load_library()
EXERCISES = LIB.exercises_by_id()


def program(affected: AffectedLeg = "left", **overrides) -> Program:
    """The default program; ``overrides`` set the timing directly (the pacing core takes
    any dose; the program layer is what keeps doses within the sources)."""
    glides = []
    for exercise in LIB.exercises:
        dose = default_dose(exercise, affected)
        if exercise.id in overrides:
            dose = replace(dose, **overrides[exercise.id])
        glides.append(dose)
    return Program(affected=affected, glides=tuple(glides))


def timeline_for(exercise_id: str, affected: AffectedLeg = "left", **dose):
    prog = program(affected, **{exercise_id: dose})
    return build_timeline(plan_session(prog, only=[exercise_id]), EXERCISES)


def kind(player: Player) -> str | None:
    return None if player.step is None else player.step.kind


def run_to_end(player: Player, start: float, step: float = 0.25) -> list[Event]:
    events = []
    now = start
    while not player.finished:
        now += step
        events.extend(player.tick(now))
    return events


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize("affected", ["left", "right", "both"])
def test_every_glide_and_leg_setting_counts_every_rep(exercise_id, affected):
    timeline = timeline_for(exercise_id, affected, reps=3, sets=2)
    player, first = Player.start(timeline, 0.0)
    events = first + run_to_end(player, 0.0)
    reps = [e for e in events if isinstance(e, RepCompleted)]
    legs = ("left", "right") if affected == "both" else (affected,)
    assert [(r.key.leg, r.key.set_no, r.key.rep_no) for r in reps] == [
        (leg, s, r) for leg in legs for s in (1, 2) for r in (1, 2, 3)
    ]
    assert isinstance(events[-1], SessionFinished)
    assert not events[-1].early
    kinds = [e.step.kind for e in events if isinstance(e, StepStarted)]
    assert kinds[0] == "get_ready"
    assert kinds.count("rest_set") == len(legs)
    assert kinds.count("switch_leg") == len(legs) - 1
    assert player.completed() == {(exercise_id, leg): 6 for leg in legs}


def test_supine_glide_phases_follow_the_reference_motion_with_the_persons_timing():
    timeline = timeline_for("supine-nerve-glide", reps=1, hold_s=7, pace_s=4)
    assert [(s.kind, s.seconds) for s in timeline] == [
        ("get_ready", 5.0),
        ("move", 4.0),
        ("hold", 7.0),
        ("return", 4.0),
    ]
    assert timeline[2].step_item == "supine-nerve-glide.step.hold"


def test_kick_has_two_moves_and_no_hold():
    timeline = timeline_for("seated-leg-kick", reps=2)
    kinds = [s.kind for s in timeline]
    assert kinds == ["get_ready", "move", "move", "return", "rest_rep", "move", "move", "return"]


def test_times_are_exact_on_a_fake_clock_and_a_late_tick_does_not_stretch():
    timeline = timeline_for("supine-nerve-glide", reps=2, hold_s=3, pace_s=2)
    player, _ = Player.start(timeline, 100.0)
    events = player.tick(100.0 + 5 + 2 + 3 + 2 + 2 + 2 + 3 + 2 + 50)  # one very late tick
    reps = [e for e in events if isinstance(e, RepCompleted)]
    assert [(r.started_at, r.ended_at, r.hold_s) for r in reps] == [
        (105.0, 112.0, 3.0),
        (114.0, 121.0, 3.0),
    ]
    assert isinstance(events[-1], SessionFinished)
    assert events[-1].at == 121.0


def test_pause_freezes_the_countdown_and_resume_shifts_it():
    timeline = timeline_for("supine-nerve-glide", reps=1, hold_s=3, pace_s=2)
    player, _ = Player.start(timeline, 0.0)
    player.tick(6.0)  # 1 s into "move"
    assert player.step is not None
    assert player.step.kind == "move"
    player.pause(6.0)
    assert player.tick(60.0) == []
    assert player.remaining(60.0) == pytest.approx(1.0)
    events = player.resume(60.0)
    assert events == []
    events = player.tick(61.0)
    assert [e.step.kind for e in events if isinstance(e, StepStarted)] == ["hold"]
    done = run_to_end(player, 61.0)
    rep = next(e for e in done if isinstance(e, RepCompleted))
    assert rep.started_at == 5.0
    assert rep.hold_s == 3.0
    assert rep.ended_at == 66.0


def test_skip_moves_on_and_a_skipped_hold_is_recorded_as_held_so_long():
    timeline = timeline_for("supine-nerve-glide", reps=1, hold_s=10, pace_s=2)
    player, _ = Player.start(timeline, 0.0)
    player.skip(1.0)  # skip get ready
    assert player.step is not None
    assert player.step.kind == "move"
    player.tick(3.0)
    assert kind(player) == "hold"
    events = player.skip(4.5)
    assert [e.step.kind for e in events if isinstance(e, StepStarted)] == ["return"]
    done = run_to_end(player, 4.5)
    rep = next(e for e in done if isinstance(e, RepCompleted))
    assert rep.hold_s == pytest.approx(1.5)


def test_redo_repeats_the_rep_and_counts_it_once():
    timeline = timeline_for("seated-leg-raise", reps=2, pace_s=1, rest_between_reps_s=2)
    player, _ = Player.start(timeline, 0.0)
    events = player.tick(5 + 1 + 1 + 0.5)  # in the rest after rep 1
    assert [e.key.rep_no for e in events if isinstance(e, RepCompleted)] == [1]
    events = player.redo_rep(7.5)
    assert player.step is not None
    assert (player.step.kind, player.step.rep_no) == ("move", 1)
    done = events + run_to_end(player, 7.5)
    reps = [e for e in done if isinstance(e, RepCompleted)]
    assert [(r.key.rep_no, r.attempt) for r in reps] == [(1, 2), (2, 1)]
    assert player.completed() == {("seated-leg-raise", "left"): 2}


def test_redo_in_the_middle_of_a_rep_restarts_it():
    timeline = timeline_for("seated-leg-kick", reps=1, pace_s=2)
    player, _ = Player.start(timeline, 0.0)
    player.tick(5 + 2 + 1)  # in the second move
    player.redo_rep(8.0)
    assert player.step is not None
    assert player.step.kind == "move"
    assert player.index == 1
    done = run_to_end(player, 8.0)
    rep = next(e for e in done if isinstance(e, RepCompleted))
    assert (rep.attempt, rep.started_at) == (1, 8.0)


def test_end_early_finishes_with_what_was_done():
    timeline = timeline_for("seated-leg-raise", reps=5, pace_s=1, rest_between_reps_s=1)
    player, _ = Player.start(timeline, 0.0)
    player.tick(5 + 3 * 3 + 0.5)
    events = player.end(15.0)
    assert events[-1] == SessionFinished(at=15.0, early=True)
    assert player.completed() == {("seated-leg-raise", "left"): 3}
    assert player.tick(100.0) == []
    assert player.end(100.0) == []


def test_pause_then_skip_stays_paused():
    timeline = timeline_for("seated-leg-raise", reps=1)
    player, _ = Player.start(timeline, 0.0)
    player.pause(1.0)
    player.skip(2.0)
    assert player.state == "paused"
    assert player.step is not None
    assert player.step.kind == "move"
    assert player.remaining(50.0) == player.step.seconds


def test_resume_after_a_break_skips_done_reps_and_starts_with_get_ready():
    timeline = timeline_for("supine-nerve-glide", "both", reps=3)
    done = {RepKey("supine-nerve-glide", "left", 1, r) for r in (1, 2, 3)}
    done.add(RepKey("supine-nerve-glide", "right", 1, 1))
    rest = remaining_timeline(timeline, lambda key: key in done)
    assert rest[0].kind == "get_ready"
    assert rest[0].leg == "right"
    assert [s.rep_no for s in rest if s.kind == "move"] == [2, 3]
    player, _ = Player.start(rest, 0.0)
    events = run_to_end(player, 0.0)
    assert [(e.key.leg, e.key.rep_no) for e in events if isinstance(e, RepCompleted)] == [
        ("right", 2),
        ("right", 3),
    ]


def test_a_whole_program_runs_glide_after_glide():
    prog = program("right", **{"seated-leg-kick": {"reps": 2}})
    timeline = build_timeline(plan_session(prog), EXERCISES)
    player, _ = Player.start(timeline, 0.0)
    events = run_to_end(player, 0.0, step=1.0)
    order = []
    for e in events:
        if isinstance(e, RepCompleted) and e.key.exercise_id not in order:
            order.append(e.key.exercise_id)
    assert order == list(EXERCISE_IDS)
    assert sum(1 for s in timeline if s.kind == "next_glide") == 2


def test_start_outside_the_timeline_is_refused():
    timeline = timeline_for("seated-leg-kick", reps=1)
    with pytest.raises(ValueError, match="outside the timeline"):
        Player.start(timeline, 0.0, at_step=len(timeline))
