"""Short test videos made from the shared clips with OpenCV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from tests.shared_data import SHARED

DATA = SHARED / "data"
RAISE = DATA / "synthetic" / "seated_raise_02.mp4"

Frames = list[npt.NDArray[np.uint8]]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``nerveglide analyze ARGS`` in a process of its own, as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "nerveglide", "analyze", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def read_frames(video: Path, count: int) -> Frames:
    capture = cv2.VideoCapture(str(video))
    frames: Frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.asarray(frame, dtype=np.uint8))
    capture.release()
    return frames


def write_video(path: Path, frames: Frames, fps: float = 30.0) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(np.ascontiguousarray(frame))
    writer.release()
    return path
