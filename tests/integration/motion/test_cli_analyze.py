"""``nerveglide analyze`` as a person runs it: real files in, the result files out; bad
files give a message that says what to change, exit code 2, no traceback and no
results folder."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.integration.motion.clips import RAISE, read_frames, run, write_video
from tests.shared_data import SHARED

DATA = SHARED / "data"


def text_as_mp4(tmp: Path) -> Path:
    path = tmp / "notes.mp4"
    path.write_text("these are my notes, not a video\n")
    return path


def truncated(tmp: Path) -> Path:
    path = tmp / "cut.mp4"
    data = RAISE.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 5])
    return path


def empty_room(tmp: Path) -> Path:
    wall = np.full((360, 640, 3), (90, 120, 150), dtype=np.uint8)
    return write_video(tmp / "room.mp4", [wall.copy() for _ in range(60)])


def still_image(tmp: Path) -> Path:
    path = tmp / "photo.jpg"
    cv2.imwrite(str(path), read_frames(RAISE, 10)[-1])
    return path


def two_people(tmp: Path) -> Path:
    frames = read_frames(RAISE, 120)
    return write_video(tmp / "two.mp4", [np.hstack([f, f[:, ::-1]]) for f in frames])


def partly_in_frame(tmp: Path) -> Path:
    frames = read_frames(RAISE, 120)
    return write_video(tmp / "cropped.mp4", [f[:, :300] for f in frames])


def idle_only(tmp: Path) -> Path:
    return write_video(tmp / "sitting.mp4", read_frames(RAISE, 60))


BAD: list[tuple[str, Callable[[Path], Path], list[str], str]] = [
    ("text renamed .mp4", text_as_mp4, ["--glide", "seated-leg-raise"], "is not a video"),
    ("truncated video", truncated, ["--glide", "seated-leg-raise"], "damaged"),
    ("video with no person", empty_room, ["--glide", "seated-leg-raise"], "no person"),
    ("still image", still_image, ["--glide", "seated-leg-raise"], "still image"),
    ("two people", two_people, ["--glide", "seated-leg-raise"], "more than one person"),
    ("partly in frame", partly_in_frame, ["--glide", "seated-leg-raise"], "whole body"),
    ("no repetition", idle_only, ["--glide", "seated-leg-raise"], "no repetition"),
    (
        "front-on view for a glide",
        lambda tmp: DATA / "real" / "squat_front_woman_tfjs.mp4",
        ["--glide", "seated-leg-raise"],
        "side view",
    ),
    (
        "lying down for a seated glide",
        lambda tmp: DATA / "real" / "supine_bridge_side_physiocore.mp4",
        ["--glide", "seated-leg-kick"],
        "sitting on a chair",
    ),
]


@pytest.mark.parametrize(("case", "make", "options", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_says_what_to_change(
    tmp_path: Path, case: str, make: Callable[[Path], Path], options: list[str], says: str
):
    video = make(tmp_path)
    out = tmp_path / "results"
    result = run(video, *options, "--out", out)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".nerveglide")] == []


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--glide", "seated-leg-raise", "--movement", "knee"], "either --glide"),
        ([], "either --glide"),
        (["--glide", "hamstring-stretch"], "unknown glide"),
        (["--glide", "seated-leg-kick", "--hold", "3"], "no hold"),
        (["--movement", "knee", "--pace", "2"], "with --glide"),
    ],
)
def test_bad_options_say_what_to_change(tmp_path: Path, options: list[str], says: str):
    result = run(RAISE, *options, "--out", tmp_path / "r")
    assert result.returncode == 2
    assert says in result.stderr
    assert not (tmp_path / "r").exists()


def test_a_missing_file_is_named(tmp_path: Path):
    result = run(tmp_path / "nothing.mp4", "--glide", "seated-leg-raise")
    assert result.returncode == 2
    assert "there is no file" in result.stderr


def test_analyze_writes_every_result(tmp_path: Path):
    frames = read_frames(RAISE, 360)  # the first 12 s: two repetitions
    video = write_video(tmp_path / "raise.mp4", frames)
    out = tmp_path / "results"
    result = run(video, "--glide", "seated-leg-raise", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Seated leg raises: 2 complete repetition(s) of 2" in " ".join(result.stdout.split())

    report = json.loads((out / "report.json").read_text())
    assert report["schema"] == "nerveglide.motion-report"
    assert report["exercise"]["glide"] == "seated-leg-raise"
    assert report["settings"]["pace_s"] == 3.0
    assert report["settings"]["pace_setting"] == "seated-leg-raise.setting.pace"
    assert report["legs"] == ["right"]
    reps = report["repetitions"]
    assert [r["leg"] for r in reps] == ["right", "right"]
    assert all(r["complete"] for r in reps)
    assert all(r["start_s"] < r["end_s"] for r in reps)
    assert all(isinstance(r["faults"], list) for r in reps)

    with (out / "angles.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(frames)
    assert rows[0].keys() >= {"time_s", "knee_flexion_right", "trunk_lean", "neck_flexion"}
    knee = [float(r["knee_flexion_right"]) for r in rows if r["knee_flexion_right"]]
    assert max(knee) - min(knee) > 50

    with (out / "reps.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 2
    assert (out / "angles.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capture = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames)
    ok, first = capture.read()
    capture.release()
    assert ok
    assert first.shape[:2] == frames[0].shape[:2]
