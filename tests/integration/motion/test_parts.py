"""A clip tracked in parts, one per core: the parts hold every frame once, in order, and
the joined track is the clip's track.

The pose source here is a stand-in that reads each frame's pixels (so a frame decoded
twice, skipped or put out of order changes the track); the real model's parts are
checked against the labels by the accuracy tests, which track every clip this way.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest

from nerveglide.motion.errors import TruncatedVideo
from nerveglide.motion.pose import N_LANDMARKS, Pose
from nerveglide.motion.source import Image
from nerveglide.motion.video import LEAD_IN_S, WHOLE, frames, probe, split
from nerveglide.services.analysis import track_video
from tests.integration.motion.clips import RAISE, read_frames, write_video

# seated_raise_02: 640 x 360 at 30 fps, long enough for several parts.


def digests(info_path: Path, segment=WHOLE) -> list[tuple[int, float, str]]:
    info = probe(info_path)
    return [
        (f.index, f.t, hashlib.sha1(f.image.tobytes()).hexdigest())
        for f in frames(info, segment=segment)
        if not f.lead_in
    ]


@pytest.mark.parametrize("parts", [2, 3])
def test_the_parts_hold_every_frame_once_in_order(parts: int):
    info = probe(RAISE)
    segments = split(info, parts)
    assert len(segments) == parts
    whole = digests(RAISE)
    joined = [row for segment in segments for row in digests(RAISE, segment)]
    assert [t for _, t, _ in joined] == [t for _, t, _ in whole]
    assert [d for _, _, d in joined] == [d for _, _, d in whole]
    assert [i for i, _, _ in joined] == list(range(len(whole)))


def test_a_short_clip_stays_whole(tmp_path: Path):
    short = write_video(tmp_path / "short.mp4", read_frames(RAISE, 90))  # 3 s
    assert split(probe(short), 4) == [WHOLE]


class PixelPose:
    """Stands in for the model: each landmark placed from the frame's pixel sums, so the
    track depends on exactly which frames came in. Records the thread that ran it."""

    name = "pixels"

    def __init__(self) -> None:
        self.threads: set[str] = set()
        self.frames = 0
        self.closed = False

    def detect(self, image: Image, t: float) -> Pose | None:
        self.threads.add(threading.current_thread().name)
        self.frames += 1
        height, width = image.shape[:2]
        xy = image.reshape(-1)[: N_LANDMARKS * 2].reshape(N_LANDMARKS, 2) + image.mean()
        return Pose.from_arrays(t, xy, np.ones(N_LANDMARKS), None, width=width, height=height)

    def others(self, image: Image, known: Pose) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


def test_the_parts_joined_are_the_track_of_the_whole_clip():
    made: list[PixelPose] = []

    def make() -> PixelPose:
        made.append(PixelPose())
        return made[-1]

    seen: list[tuple[int, int]] = []
    info, alone = track_video(RAISE, sources=make, parts=1)
    info, joined = track_video(
        RAISE, sources=make, parts=3, progress=lambda done, total: seen.append((done, total))
    )
    assert len(made) == 4
    assert all(m.frames > 0 for m in made)
    assert made[0].frames == info.frame_count
    # Each part after the first tracked its lead-in too, then its own frames.
    lead_in = round(LEAD_IN_S * info.fps)
    assert sum(m.frames for m in made[1:]) == info.frame_count + 2 * lead_in
    assert len({name for m in made[1:] for name in m.threads}) == 3  # a thread each
    assert all(m.closed for m in made)
    assert np.array_equal(alone.t, joined.t)
    assert np.array_equal(alone.xy, joined.xy)
    assert seen[-1] == (info.frame_count, info.frame_count)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert threading.current_thread().name == "MainThread"


def test_a_part_that_fails_stops_the_others_and_says_why(tmp_path: Path):
    cut = tmp_path / "cut.mp4"
    data = RAISE.read_bytes()
    cut.write_bytes(data[: len(data) * 4 // 5])  # the end of the clip is missing
    made: list[PixelPose] = []

    def make() -> PixelPose:
        made.append(PixelPose())
        return made[-1]

    with pytest.raises(TruncatedVideo, match="damaged"):
        track_video(cut, sources=make, parts=2)
    assert len(made) == 2
    assert all(m.closed for m in made)


class CrowdedPose(PixelPose):
    """A PixelPose that finds someone else in every frame it is asked about, and notes
    when it was asked, in its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.searched: list[tuple[int, int]] = []

    def detect(self, image: Image, t: float) -> Pose | None:
        self.calls.append("detect")
        return super().detect(image, t)

    def others(self, image: Image, known: Pose) -> int:
        self.calls.append("others")
        self.searched.append((image.shape[0], image.shape[1]))
        return 1


def test_each_part_searches_for_others_after_its_last_frame():
    made: list[CrowdedPose] = []

    def make() -> CrowdedPose:
        made.append(CrowdedPose())
        return made[-1]

    info, lm = track_video(RAISE, sources=make, parts=2)
    assert len(made) == 2
    for source in made:
        # Each part searched its kept frames (whole frames), after its track was done.
        searches = source.calls.count("others")
        assert searches >= 1
        assert source.calls[-searches:] == ["others"] * searches
        assert source.searched == [(info.height, info.width)] * searches
    assert lm.others_checked == sum(s.calls.count("others") for s in made)
    assert lm.others_found == lm.others_checked
