"""Reading video files: rotation metadata honoured, times, the annotated writer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from nerveglide.motion.errors import EmptyVideo, NotAVideo
from nerveglide.motion.video import AnnotatedWriter, frames, probe
from tests.shared_data import SHARED

CLIP = SHARED / "data" / "synthetic" / "seated_raise_02.mp4"


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.fail("ffmpeg is missing: `make test` installs it (scripts/install-system-deps.sh)")
    return path


def test_a_portrait_phone_clip_stored_rotated_comes_out_upright(tmp_path: Path):
    rotated = tmp_path / "phone.mp4"
    subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-t",
            "2",
            "-i",
            str(CLIP),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
            str(rotated),
        ],
        check=True,
    )
    info = probe(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (360, 640)
    assert info.orientation == "portrait"
    first = next(iter(frames(info)))
    assert first.image.shape[:2] == (640, 360)


def test_frames_have_increasing_times_at_the_clip_rate():
    info = probe(CLIP)
    assert (info.width, info.height, info.fps) == (640, 360, 30.0)
    times = [f.t for f in frames(info)]
    assert len(times) == info.frame_count
    assert times[0] == 0.0
    assert np.allclose(np.diff(times), 1 / 30, atol=1e-3)


def test_probe_refuses_what_is_not_a_video(tmp_path: Path):
    with pytest.raises(NotAVideo, match="there is no file"):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(NotAVideo, match="is a folder"):
        probe(tmp_path)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(EmptyVideo, match="is empty"):
        probe(empty)


@pytest.mark.parametrize("with_ffmpeg", [True, False])
def test_annotated_writer_writes_a_playable_mp4(tmp_path: Path, monkeypatch, with_ffmpeg):
    if not with_ffmpeg:
        monkeypatch.setattr(shutil, "which", lambda name: None)
    else:
        ffmpeg()
    path = tmp_path / "out.mp4"
    with AnnotatedWriter(path, fps=30, width=101, height=61) as writer:
        for k in range(15):
            writer.write(np.full((61, 101, 3), 10 * k, dtype=np.uint8))
    assert writer.codec == ("h264" if with_ffmpeg else "mp4v")
    capture = cv2.VideoCapture(str(path))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    ok, frame = capture.read()
    capture.release()
    assert ok
    assert frame.shape[:2] == (62, 102)  # padded to even sizes for yuv420p


def _write_then_fail(path: Path) -> None:
    with AnnotatedWriter(path, fps=30, width=64, height=48) as writer:
        writer.write(np.zeros((48, 64, 3), dtype=np.uint8))
        raise RuntimeError("stop")


def test_a_failed_write_leaves_no_file(tmp_path: Path):
    path = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="stop"):
        _write_then_fail(path)
    assert not path.exists()
