"""The coach on the shared clips, against their labels (never edited to fit): the
rendered clips of the three glides and the real footage.

Goals from issue 5, over the rendered developer set: every count exact, the moving leg
right, the exercising knee's flexion within 5 degrees of the truth on average, at least
90 % of the labelled faults flagged and a fault cue on at most 5 % of clean repetitions.
(``bench/accuracy.py`` prints the same over every folder, the harder set included.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import Analysis, analyse
from nerveglide.motion.angles import COLUMN
from nerveglide.motion.errors import NoRepetition
from nerveglide.motion.spec import GlideSpec
from tests.integration.motion.conftest import LandmarksOf
from tests.shared_data import SHARED

SYNTHETIC = SHARED / "data" / "synthetic"
REAL = SHARED / "data" / "real"
CLIPS = sorted(SYNTHETIC.glob("*.mp4"))
FAULT_CODE = {
    "toes_pointed": "toes_pointed",
    "other_leg_bent": "other_leg_bent",
    "no_trunk_lean": "no_trunk_lean",
    "head_static": "head_static",
    "bounce_overshoot": "forced",
    "incomplete": "incomplete",
}


def label(video: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(video.with_suffix(".json").read_text())
    return data


def knee_error(a: Analysis, video: Path, leg: str) -> float:
    truth = np.genfromtxt(video.with_suffix(".angles.csv"), delimiter=",", names=True)
    measured = a.series.angles[:, COLUMN[f"knee_flexion_{leg}"]]
    n = min(len(truth), len(measured))
    err = np.abs(measured[:n] - truth[f"knee_flexion_{leg}"][:n])
    return float(np.nanmean(err))


def test_the_shared_clips_are_there():
    assert len(CLIPS) == 18, f"expected the 18 rendered clips in {SYNTHETIC}"


def evaluate(video: Path, landmarks_of: LandmarksOf) -> tuple[Analysis, dict[str, float]]:
    truth = label(video)
    exercise = default_library().exercise(truth["glide"])
    a = analyse(landmarks_of(video), spec=GlideSpec.of(exercise))
    flagged = labelled = clean = false = 0
    for rep in truth["reps"]:
        overlap = [(min(rep["end_s"], r.end_s) - max(rep["start_s"], r.start_s), r) for r in a.reps]
        best = max(overlap, key=lambda o: o[0], default=(0.0, None))[1]
        found = set(best.faults) if best is not None else set()
        labelled += len(rep["faults"])
        flagged += sum(FAULT_CODE[f] in found for f in rep["faults"])
        if not rep["faults"]:
            clean += 1
            false += bool(found)
    metrics = {
        "err": knee_error(a, video, truth["leg"]),
        "flagged": flagged,
        "labelled": labelled,
        "clean": clean,
        "false": false,
    }
    return a, metrics


@pytest.mark.parametrize("video", CLIPS, ids=[c.stem for c in CLIPS])
def test_rendered_clip_counts_leg_and_knee_angle(video: Path, landmarks_of: LandmarksOf):
    truth = label(video)
    a, metrics = evaluate(video, landmarks_of)
    print(f"{video.stem}: knee flexion mean abs error {metrics['err']:.1f} deg")
    assert len(a.reps) == len(truth["reps"])
    assert a.complete_count == sum(r["complete"] for r in truth["reps"])
    assert {r.leg for r in a.reps} == {truth["leg"]}
    # the goal is on the mean (below); a single clip with the exercising leg hidden behind
    # the other can be worse, but not wildly
    assert metrics["err"] < 15.0


def test_rendered_set_meets_the_angle_and_fault_goals(landmarks_of: LandmarksOf):
    results = [evaluate(video, landmarks_of)[1] for video in CLIPS]
    mean_err = float(np.mean([r["err"] for r in results]))
    flagged = sum(r["flagged"] for r in results)
    labelled = sum(r["labelled"] for r in results)
    clean = sum(r["clean"] for r in results)
    false = sum(r["false"] for r in results)
    print(f"knee error {mean_err:.2f} deg; faults {flagged}/{labelled}; false {false}/{clean}")
    assert mean_err <= 5.0
    assert flagged >= 0.9 * labelled
    assert false <= 0.05 * clean


def real_label(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REAL / "labels.json").read_text())["videos"][name]
    return data


def test_real_squat_filmed_from_the_front_counts_two_knee_reps(landmarks_of: LandmarksOf):
    name = "squat_front_woman_tfjs.mp4"
    a = analyse(landmarks_of(REAL / name), movement="knee")
    assert a.complete_count == real_label(name)["count"] == 2
    # both knees bend together: one two-legged movement, not two legs counted twice
    assert {r.leg for r in a.reps} == {"both"}
    # the third squat, cut off at its bottom by the end of the clip, is not counted
    assert all(r.end_s < 10.4 for r in a.reps)
    assert a.view.oblique_deg > 45  # and it is known to be a front view


def test_real_bridge_lying_down_counts_one_hip_rep_with_its_hold(landmarks_of: LandmarksOf):
    name = "supine_bridge_side_physiocore.mp4"
    truth = real_label(name)
    a = analyse(landmarks_of(REAL / name), movement="hip")
    assert a.view.posture == "lying"
    assert a.complete_count == truth["count"] == 1
    rep = a.reps[0]
    start, end = truth["reps"][0]["start_s"], truth["reps"][0]["end_s"]
    assert abs(rep.start_s - start) < 0.5
    assert abs(rep.end_s - end) < 0.5
    hold_from, hold_to = truth["reps"][0]["hold_s"]
    assert rep.hold_s > 0.5 * (hold_to - hold_from)


def test_real_walking_is_no_repetition(landmarks_of: LandmarksOf):
    name = "negative_walking_side_sports2d_demo4.mp4"
    assert real_label(name)["count"] == 0
    lm = landmarks_of(REAL / name)
    assert not lm.found[:10].any()  # the empty frames at the start: nobody
    with pytest.raises(NoRepetition, match="no repetition of knee"):
        analyse(lm, movement="knee")
