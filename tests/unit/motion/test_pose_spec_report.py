"""The Pose type, what the coach reads from each glide's reference motion, the report
files, and the motion package's import rules."""

from __future__ import annotations

import ast
import csv
import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import analyse
from nerveglide.motion.angles import ANGLE_COLUMNS
from nerveglide.motion.pose import Pose
from nerveglide.motion.report import SCHEMA_VERSION, angles_csv, report_dict, reps_csv
from nerveglide.motion.spec import GlideSpec
from tests.unit.motion.skeleton import Clip, toes_pointed

MOTION = Path(__file__).resolve().parents[3] / "src" / "nerveglide" / "motion"


def test_pose_checks_its_arrays():
    ok: dict[str, Any] = {
        "t": 0.0,
        "xy": np.zeros((33, 2)),
        "visibility": np.ones(33),
        "world": None,
        "width": 10,
        "height": 10,
    }
    Pose(**ok)
    with pytest.raises(ValueError, match="xy must have shape"):
        Pose(**{**ok, "xy": np.zeros((17, 2))})
    with pytest.raises(ValueError, match="image size"):
        Pose(**{**ok, "width": 0})


def test_pose_reads_a_mediapipe_result_and_scales_to_pixels():
    points = [SimpleNamespace(x=i / 33, y=0.5, z=0.0, visibility=0.9) for i in range(33)]
    world = [SimpleNamespace(x=0.1 * i, y=0.0, z=-0.2, visibility=0.9) for i in range(33)]
    result = SimpleNamespace(
        pose_landmarks=SimpleNamespace(landmark=points),
        pose_world_landmarks=SimpleNamespace(landmark=world),
    )
    pose = Pose.from_mediapipe(result, width=660, height=100, t=1.5)
    assert pose is not None
    assert pose.xy[3].tolist() == pytest.approx([60.0, 50.0])
    assert pose.world is not None
    assert pose.world[2].tolist() == pytest.approx([0.2, 0.0, -0.2])
    assert pose.t == 1.5
    assert Pose.from_mediapipe(SimpleNamespace(pose_landmarks=None), width=1, height=1, t=0) is None


@pytest.mark.parametrize(
    ("glide_id", "direction", "counter", "hold"),
    [
        ("supine-nerve-glide", -1, False, True),
        ("seated-leg-raise", -1, False, False),
        ("seated-leg-kick", -1, True, False),
    ],
)
def test_spec_is_read_from_the_reference_motion(glide_id, direction, counter, hold):
    spec = GlideSpec.of(default_library().exercise(glide_id))
    assert spec.primary == "knee_flexion"
    assert spec.direction == direction
    assert spec.counter_swing is counter
    assert spec.has_hold is hold
    assert spec.pace_setting == f"{glide_id}.setting.pace"
    assert spec.pace_s == 3.0
    assert all(c.step in spec.steps for c in spec.couplings)


def test_spec_couplings_and_sourced_angles():
    library = default_library()
    raise_spec = GlideSpec.of(library.exercise("seated-leg-raise"))
    assert {(c.joint, c.sign, c.step) for c in raise_spec.couplings} == {
        ("trunk_lean", 1, "seated-leg-raise.step.raise"),
        ("trunk_lean", -1, "seated-leg-raise.step.lower"),
    }
    kick = GlideSpec.of(library.exercise("seated-leg-kick"))
    assert {(c.joint, c.sign) for c in kick.couplings} == {
        ("neck_flexion", 1),
        ("neck_flexion", -1),
    }
    supine = GlideSpec.of(library.exercise("supine-nerve-glide"), hold_s=5.0)
    assert supine.hold_s == 5.0
    other = [a for a in supine.sourced if a.other_leg]
    assert {(a.joint, a.deg, a.step, a.throughout) for a in other} == {
        ("knee_flexion", 0.0, "supine-nerve-glide.step.other-leg", True),
        ("hip_flexion", 0.0, "supine-nerve-glide.step.other-leg", True),
    }


def test_report_files_follow_the_schema():
    exercise = default_library().exercise("supine-nerve-glide")
    clip = Clip(exercise, reps=3, noise_px=1, changes={2: [toes_pointed]})
    a = analyse(clip.landmarks(), spec=GlideSpec.of(exercise))
    report = report_dict(a, video={"file": "x.mp4"}, model="test", settings={"pace_s": 3.0})
    json.dumps(report)  # serialisable: no NaN, no numpy types
    assert report["schema_version"] == SCHEMA_VERSION
    reps = report["repetitions"]
    assert len(reps) == 3
    for rep in reps:
        assert {"leg", "complete", "start_s", "end_s", "hold_s", "faults"} <= rep.keys()
        assert rep["uncertainty_deg"] == 5.6
    assert reps[2]["faults"] == ["toes_pointed"]
    assert reps[2]["cues"][0]["items"] == ["supine-nerve-glide.step.toes"]
    assert "Stenum" in report["uncertainty"]["source"]

    rows = list(csv.DictReader(io.StringIO(reps_csv(a))))
    assert [r["complete"] for r in rows] == ["true"] * 3
    assert rows[2]["faults"] == "toes_pointed"

    lines = angles_csv(a).splitlines()
    assert lines[0].split(",") == ["time_s", *ANGLE_COLUMNS]
    assert len(lines) == len(clip.landmarks().t) + 1


def test_motion_core_imports_only_numpy_content_schema_and_domain():
    adapters = {"video.py", "mediapipe_runner.py", "plot.py"}
    allowed = (
        "numpy",
        "nerveglide.motion",
        "nerveglide.content.schema",
        "nerveglide.domain",
        "nerveglide.errors",
    )
    for path in sorted(MOTION.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: adapters import lazily inside functions
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in sys.stdlib_module_names:
                    continue
                assert name.startswith(allowed), f"{path.name} imports {name} at module level"
        if path.name not in adapters:
            source = path.read_text()
            for vendor in ("cv2", "mediapipe", "matplotlib"):
                assert f"import {vendor}" not in source, f"{path.name} imports {vendor}"
