"""The pose model runs once per clip per test session: ``landmarks_of(path)`` tracks a
video the first time it is asked for and keeps the landmarks for the rest of the session.

``NERVEGLIDE_TEST_POSE_CACHE=DIR`` keeps them across sessions too (for working on the
analysis; CI does not set it, so CI always runs the real model).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from nerveglide.motion.analysis import Landmarks
from nerveglide.motion.pipeline import load_landmarks, save_landmarks
from nerveglide.services.analysis import track_video

LandmarksOf = Callable[[Path], Landmarks]


@pytest.fixture(scope="session")
def landmarks_of() -> LandmarksOf:
    seen: dict[Path, Landmarks] = {}
    folder = os.environ.get("NERVEGLIDE_TEST_POSE_CACHE")
    keep = Path(folder) if folder else None

    def get(video: Path) -> Landmarks:
        if video not in seen:
            cached = keep / f"{video.parent.name}__{video.stem}.npz" if keep else None
            if cached is not None and cached.exists():
                seen[video] = load_landmarks(cached)
            else:
                _, seen[video] = track_video(video)
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    save_landmarks(cached, seen[video])
        return seen[video]

    return get
