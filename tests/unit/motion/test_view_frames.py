"""The view judged from what each frame left (the live coach's way) equals the view
functions run over the same frames stacked (the offline way), to the bit."""

from __future__ import annotations

import numpy as np
import pytest

from nerveglide.motion.angles import facing_votes
from nerveglide.motion.view import (
    body_in_frame,
    camera_side_votes,
    frame_view,
    judge_frames,
    oblique_3d_deg,
    oblique_deg,
)
from tests.unit.motion.skeleton import figure
from tests.unit.motion.test_angles import pose, random_frames


def stacked(frames, width: int, height: int) -> tuple[float | None, float, float, float]:
    xy = np.stack([f[0] for f in frames])
    world = np.stack([f[1] if f[1] is not None else np.full((33, 3), np.nan) for f in frames])
    vis = np.stack([f[2] for f in frames])
    medians = [
        float(np.median(x[np.isfinite(x)]))
        for x in (oblique_deg(xy, world), oblique_3d_deg(world))
        if np.isfinite(x).any()
    ]
    return (
        float(np.mean(medians)) if medians else None,
        float(np.mean(body_in_frame(xy, width, height))),
        facing_votes(world, vis),
        camera_side_votes(world, vis),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_second_of_frames_judged_frame_by_frame_equals_the_stacked_judgement(seed):
    frames = random_frames(seed, 600)
    rng = np.random.default_rng(seed)
    for k in range(60):
        world = figure(pose(knee_flexion=2.0 * k), sees_left=bool(seed % 2))
        world = world + rng.normal(0, 0.02, world.shape)
        frames.append((world[:, :2] * 300 + 500, world, np.full(33, 0.95)))
    views = [frame_view(*f) for f in frames]
    judged = []
    for start in range(0, len(frames), 15):
        window = slice(start, start + 30)
        fast = judge_frames(views[window], 900, 800)
        judged.append(fast)
        assert fast == stacked(frames[window], 900, 800)
    # the windows were judged on something: an obliquity, bodies in and out of frame
    assert {j[0] is None for j in judged} == {False}
    assert 0 < sum(j[1] for j in judged) < len(judged)


def test_a_window_without_3d_has_no_obliquity_and_no_votes():
    frames = [(np.full((33, 2), 100.0), None, np.full(33, 0.9))] * 5
    assert judge_frames([frame_view(*f) for f in frames], 200, 200) == (None, 1.0, 0.0, 0.0)
    assert stacked(frames, 200, 200) == (None, 1.0, 0.0, 0.0)
