"""Frames to analysis: the one pipeline for a video file (and, fed poses directly, for a
live camera).

:class:`Tracker` runs a :class:`~nerveglide.motion.source.PoseSource` over frames in
order, keeps each frame's landmarks, and keeps a few frames spread over the clip to ask
the source, once the track is done (:meth:`Tracker.finish`), whether anyone else is in
the picture. :meth:`Tracker.landmarks` then hands the
track to :func:`~nerveglide.motion.analysis.analyse`; :func:`joined` does the same for the
trackers of consecutive parts of one clip (each part tracked on its own core). It is a
plain generator: the caller drives it (and shows progress) by iterating, with no callbacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nerveglide.motion.analysis import Landmarks
from nerveglide.motion.pose import Pose
from nerveglide.motion.source import Image, PoseSource

#: Frames spread over the clip are searched for a second person: one per this many
#: seconds, at least one and at most five (each search runs the pose model once or twice
#: more, after the part's last frame).
PEOPLE_CHECK_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class Tracked:
    index: int
    t: float
    pose: Pose | None


class Tracker:
    """Runs ``source`` over frames and records the track."""

    def __init__(
        self,
        source: PoseSource,
        *,
        width: int,
        height: int,
        expected_frames: int = 0,
        fps: float = 30.0,
        people_checks: int | None = None,
    ) -> None:
        self.source = source
        self.width = width
        self.height = height
        self._times: list[float] = []
        self._poses: list[Pose | None] = []
        n = max(expected_frames, 1)
        if people_checks is None:
            seconds = expected_frames / fps if fps > 0 else 0.0
            people_checks = min(5, max(1, round(seconds / PEOPLE_CHECK_EVERY_S)))
        self._check_at = (
            {int((k + 0.5) * n / people_checks) for k in range(people_checks)}
            if people_checks > 0 and expected_frames > 0
            else set()
        )
        self._pending = 0
        self._to_search: list[tuple[Image, Pose]] = []
        self.others_checked = 0
        self.others_found = 0

    def feed(self, index: int, t: float, image: Image) -> Tracked:
        pose = self.source.detect(image, t)
        self._times.append(t)
        self._poses.append(pose)
        if index in self._check_at:
            self._pending += 1
        if self._pending and pose is not None:
            # Kept for :meth:`finish`: a search now would need a second copy of the model
            # (loading one costs more than a few searches), or break the track.
            self._pending -= 1
            self._to_search.append((image, pose))
        return Tracked(index, t, pose)

    def finish(self) -> None:
        """Search the frames kept for anyone else, now that the track is done (the
        source may then use its tracking model for the search)."""
        for image, pose in self._to_search:
            self.others_checked += 1
            self.others_found += 1 if self.source.others(image, pose) > 0 else 0
        self._to_search.clear()

    def run(self, frames: Iterable[tuple[int, float, Image]]) -> Iterator[Tracked]:
        for index, t, image in frames:
            yield self.feed(index, t, image)
        self.finish()

    def landmarks(self) -> Landmarks:
        return joined([self])


def joined(trackers: Sequence[Tracker]) -> Landmarks:
    """One track from the trackers of consecutive parts of a clip, in order (the frames
    kept searched for others: :meth:`Tracker.finish`)."""
    for tracker in trackers:
        tracker.finish()
    first = trackers[0]
    return Landmarks.from_poses(
        [t for tracker in trackers for t in tracker._times],
        [pose for tracker in trackers for pose in tracker._poses],
        width=first.width,
        height=first.height,
        others_checked=sum(tracker.others_checked for tracker in trackers),
        others_found=sum(tracker.others_found for tracker in trackers),
    )


def save_landmarks(path: Path, lm: Landmarks) -> None:
    """Keep a track (e.g. a test cache) as ``.npz``."""
    np.savez_compressed(
        path,
        t=lm.t,
        xy=lm.xy,
        world=lm.world,
        vis=lm.visibility,
        found=lm.found,
        width=lm.width,
        height=lm.height,
        others=np.array([lm.others_checked, lm.others_found]),
    )


def load_landmarks(path: Path) -> Landmarks:
    with np.load(path) as d:
        others = d["others"] if "others" in d.files else np.array([0, 0])
        return Landmarks(
            t=d["t"],
            xy=d["xy"],
            world=d["world"],
            visibility=d["vis"],
            found=d["found"].astype(bool),
            width=int(d["width"]),
            height=int(d["height"]),
            others_checked=int(others[0]),
            others_found=int(others[1]),
        )
