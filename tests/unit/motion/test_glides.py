"""The three glides on landmark sequences generated from their reference motions: exact
counts, the moving leg, and the right cue (with its content item) on the right rep."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nerveglide.content.loader import default_library
from nerveglide.content.schema import Exercise
from nerveglide.domain.timeline import PoseAngles, Timeline
from nerveglide.motion.analysis import Analysis, analyse
from nerveglide.motion.errors import NoRepetition, WrongPosture
from nerveglide.motion.spec import GlideSpec
from tests.unit.motion.skeleton import (
    Change,
    Clip,
    halfway,
    head_static,
    no_trunk_lean,
    other_leg_bent,
    overshoot,
    toes_pointed,
)

GLIDES = ("supine-nerve-glide", "seated-leg-raise", "seated-leg-kick")


def glide(glide_id: str) -> Exercise:
    return default_library().exercise(glide_id)


def run(clip: Clip, **spec_args: float) -> Analysis:
    return analyse(clip.landmarks(), spec=GlideSpec.of(clip.exercise, **spec_args))


def form(analysis: Analysis) -> list[list[str]]:
    return [r.faults for r in analysis.reps]


def cue_items(analysis: Analysis, code: str) -> set[str]:
    return {item for r in analysis.reps for c in r.cues if c.code == code for item in c.items}


@pytest.mark.parametrize("glide_id", GLIDES)
@pytest.mark.parametrize("sees_left", [True, False])
@pytest.mark.parametrize("exercising", ["left", "right"])
def test_clean_set_is_counted_exactly_on_the_moving_leg(glide_id, sees_left, exercising):
    clip = Clip(glide(glide_id), reps=4, sees_left=sees_left, exercising=exercising, noise_px=1)
    a = run(clip)
    assert len(a.reps) == 4
    assert a.complete_count == 4
    assert a.legs == (exercising,)
    assert {r.leg for r in a.reps} == {exercising}
    assert a.view.camera_side == ("left" if sees_left else "right")
    assert form(a) == [[]] * 4
    # done at the program's own pace and hold: no program cue either
    assert [c.code for r in a.reps for c in r.cues] == []


@pytest.mark.parametrize("glide_id", GLIDES)
def test_noise_dropouts_and_a_pause_do_not_change_the_count(glide_id):
    clip = Clip(
        glide(glide_id),
        reps=5,
        noise_px=3,
        pause_after={1: 6.0},
        dropouts=((4.0, 4.4), (13.0, 13.3)),
    )
    a = run(clip)
    assert len(a.reps) == 5
    assert a.complete_count == 5


@pytest.mark.parametrize("glide_id", GLIDES)
def test_a_rep_stopped_halfway_is_counted_as_incomplete(glide_id):
    exercise = glide(glide_id)
    rest = exercise.reference_motion.phases[0].pose.leg.knee_flexion.deg
    a = run(Clip(exercise, reps=4, noise_px=1, changes={2: [halfway(rest)]}))
    assert len(a.reps) == 4
    assert [r.complete for r in a.reps] == [True, True, False, True]
    assert form(a)[2][0] == "incomplete"


@pytest.mark.parametrize("glide_id", GLIDES)
def test_a_fast_bouncing_rep_earns_dont_force_it_and_slowly(glide_id):
    exercise = glide(glide_id)
    rest = exercise.reference_motion.phases[0].pose.leg.knee_flexion.deg
    clip = Clip(exercise, reps=4, noise_px=1, speed={1: 3.0}, changes={1: [overshoot(8, rest)]})
    a = run(clip)
    assert len(a.reps) == 4
    forced = [("forced" in r.faults) for r in a.reps]
    assert forced == [False, True, False, False]
    assert "safety.never-force" in cue_items(a, "forced")
    too_fast = [any(c.code == "too_fast" for c in r.cues) for r in a.reps]
    assert too_fast == [False, True, False, False]
    assert {"safety.slow-gentle", f"{glide_id}.setting.pace"} <= cue_items(a, "too_fast")


def test_supine_toes_pointed_on_one_rep_is_cued_with_its_step():
    a = run(Clip(glide("supine-nerve-glide"), reps=3, noise_px=1, changes={1: [toes_pointed]}))
    assert form(a) == [[], ["toes_pointed"], []]
    assert cue_items(a, "toes_pointed") == {"supine-nerve-glide.step.toes"}


def test_supine_other_leg_bent_is_cued_on_every_rep():
    changes: dict[int, list[Change]] = {k: [other_leg_bent] for k in range(3)}
    a = run(Clip(glide("supine-nerve-glide"), reps=3, noise_px=1, changes=changes))
    assert all("other_leg_bent" in f for f in form(a))
    assert cue_items(a, "other_leg_bent") == {"supine-nerve-glide.step.other-leg"}


def test_supine_hold_is_measured_and_compared_with_the_programs_hold():
    clip = Clip(glide("supine-nerve-glide"), reps=3, noise_px=1, hold_s=1.0)
    a = run(clip)
    assert all(0.5 < r.hold_s < 2.0 for r in a.reps)
    assert all(any(c.code == "short_hold" for c in r.cues) for r in a.reps)
    assert "supine-nerve-glide.setting.hold" in cue_items(a, "short_hold")
    # The same clip, judged against a program whose hold is 1 s: no cue.
    b = run(clip, hold_s=1.0)
    assert not any(c.code == "short_hold" for r in b.reps for c in r.cues)
    longer = run(replace(clip, hold_s=5.0))
    assert all(4.0 < r.hold_s < 6.5 for r in longer.reps)


def test_raise_without_the_trunk_lean_is_cued_both_ways():
    changes: dict[int, list[Change]] = {0: [no_trunk_lean], 2: [no_trunk_lean]}
    a = run(Clip(glide("seated-leg-raise"), reps=3, noise_px=1, changes=changes))
    assert form(a) == [["no_trunk_lean"], [], ["no_trunk_lean"]]
    assert cue_items(a, "no_trunk_lean") == {
        "seated-leg-raise.step.raise",
        "seated-leg-raise.step.lower",
    }


def test_kick_with_a_static_head_is_cued_and_the_phase_relation_measured():
    a = run(Clip(glide("seated-leg-kick"), reps=3, noise_px=1, changes={1: [head_static]}))
    assert form(a) == [[], ["head_static"], []]
    assert {"seated-leg-kick.step.back", "seated-leg-kick.step.forward"} <= cue_items(
        a, "head_static"
    )
    moving = a.reps[0].measures["neck_knee_correlation"]
    assert moving is not None
    assert moving > 0.5


def knee_lags(exercise: Exercise, lag: float) -> Change:
    """The knee follows the reference motion ``lag`` of a cycle late (the head on time)."""
    timeline = Timeline.of(exercise.reference_motion, {})
    first = timeline.durations[0]
    cycle = timeline.cycle_seconds - first

    def change(p: PoseAngles, f: float) -> PoseAngles:
        late = timeline.pose_at(first + max(0.0, (f - lag) / (1 - lag)) * cycle)
        return replace(p, knee_flexion=late.knee_flexion)

    return change


@pytest.mark.parametrize("lag", [0.1, 0.2])
def test_a_head_that_sets_off_before_the_knee_is_not_cued_as_static(lag: float):
    """The kick's head drop is measured from where the head itself started (at most
    0.5 s before the repetition), not from where the knee left rest: a fifth of a cycle
    late, the knee leaves rest when the head has nearly finished dropping."""
    exercise = glide("seated-leg-kick")
    a = run(Clip(exercise, reps=3, noise_px=1, changes={1: [knee_lags(exercise, lag)]}))
    assert form(a) == [[], [], []]


def test_the_leg_given_is_the_leg_counted():
    clip = Clip(glide("seated-leg-raise"), reps=3, noise_px=1, exercising="left")
    a = analyse(clip.landmarks(), spec=GlideSpec.of(clip.exercise), leg="left")
    assert len(a.reps) == 3
    assert not a.leg_detected
    with pytest.raises(NoRepetition, match="no repetition of Seated leg raises"):
        analyse(clip.landmarks(), spec=GlideSpec.of(clip.exercise), leg="right")


def test_a_raise_is_not_a_kick_and_a_supine_glide_is_not_seated():
    raise_clip = Clip(glide("seated-leg-raise"), reps=3, noise_px=1)
    with pytest.raises(NoRepetition, match="never swung back under the chair"):
        analyse(raise_clip.landmarks(), spec=GlideSpec.of(glide("seated-leg-kick")))
    supine = Clip(glide("supine-nerve-glide"), reps=3, noise_px=1)
    with pytest.raises(WrongPosture, match="is done sitting on a chair"):
        analyse(supine.landmarks(), spec=GlideSpec.of(glide("seated-leg-raise")))


def test_reps_are_counted_soon_after_they_end():
    a = run(Clip(glide("supine-nerve-glide"), reps=3, noise_px=1))
    for rep in a.reps:
        assert rep.counted_s - rep.end_s < 0.5


def test_a_leg_hidden_most_of_the_time_is_counted_from_the_models_estimate_with_a_warning():
    lm = Clip(glide("seated-leg-kick"), reps=3, noise_px=1, exercising="right").landmarks()
    lm.visibility[: int(0.7 * len(lm.t)), 26] = 0.2  # the right knee, behind the other leg
    a = analyse(lm, spec=GlideSpec.of(glide("seated-leg-kick")))
    assert a.complete_count == 3
    assert {r.leg for r in a.reps} == {"right"}
    assert any("right leg was hidden behind the other" in w for w in a.warnings)
    # the angles reported are the ones counted: the hidden knee's, not "unknown"
    assert np.isfinite(a.series.column("knee_flexion_right")).mean() > 0.9
    # a leg the camera sees is counted as before, with no such warning
    seen = analyse(
        Clip(glide("seated-leg-kick"), reps=3, noise_px=1, exercising="right").landmarks(),
        spec=GlideSpec.of(glide("seated-leg-kick")),
    )
    assert seen.complete_count == 3
    assert not any("hidden" in w for w in seen.warnings)


def test_a_hidden_leg_whose_estimate_does_not_move_is_named_in_the_answer():
    lm = Clip(glide("seated-leg-kick"), reps=3, noise_px=1, exercising="right").landmarks()
    lm.visibility[:, 26] = 0.2  # the right knee, behind the other leg all along
    # and the model, not seeing it, leaves the leg where it was at the start
    for point in (26, 28, 30, 32):
        lm.xy[:, point] = lm.xy[0, point]
        lm.world[:, point] = lm.world[0, point]
    with pytest.raises(NoRepetition, match="the right leg was hidden from the camera"):
        analyse(lm, spec=GlideSpec.of(glide("seated-leg-kick")))
    # told to count the left leg, the hidden right one is not looked at
    with pytest.raises(NoRepetition, match="no repetition"):
        analyse(lm, spec=GlideSpec.of(glide("seated-leg-kick")), leg="left")
