"""Video files in and out, through OpenCV (imported lazily: only this module and
``mediapipe_runner`` touch cv2).

* :func:`probe` opens a file and says what it is, or raises the
  :class:`~nerveglide.motion.errors.UnusableClip` that says what to change.
* :func:`frames` yields ``(index, t, image)`` for every frame, decoding one frame ahead on
  a second thread so that decoding overlaps the pose model; rotation metadata is honoured
  (OpenCV's FFmpeg backend turns the frames upright), so portrait phone clips come out
  portrait.
* :func:`split` cuts a clip into consecutive :class:`Segment` s that :func:`frames` decodes
  apart (each from its own seek), so that each core can track a part of the clip; where
  the file can't be cut exactly (no timestamps, a seek that misses), it stays whole.
* :class:`AnnotatedWriter` writes the annotated MP4: H.264 through the ``ffmpeg`` program
  when it is installed (browsers play it), else MPEG-4 Part 2 through OpenCV (video players
  do; browsers may not).
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nerveglide.motion.errors import EmptyVideo, NotAVideo, TruncatedVideo
from nerveglide.motion.source import Image

# A clip that stops this far short of the frames its header declares is damaged.
_TRUNCATION_TOLERANCE = 0.9


def _cv2() -> Any:
    # FFmpeg's and OpenCV's own notes on a damaged file go to stderr past Python; the
    # coach says what is wrong itself. Set these variables to see them.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    return cv2


def _open(cv2: Any, path: Path) -> Any:
    """A capture that turns frames upright by the file's rotation metadata (phones film
    portrait as rotated landscape); this OpenCV build leaves that off by default."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if capture.isOpened():
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What :func:`probe` found. ``width`` x ``height`` are of the upright frames."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    rotation: int
    codec: str

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0

    @property
    def orientation(self) -> str:
        return "portrait" if self.height > self.width else "landscape"


def _fourcc(value: float) -> str:
    code = int(value)
    chars = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return chars if chars.isprintable() and chars.strip() else "?"


def probe(path: Path) -> VideoInfo:
    """Open ``path`` and read its first frame; raise what's wrong with it."""
    cv2 = _cv2()
    if not path.exists():
        raise NotAVideo(f"there is no file {str(path)!r}")
    if path.is_dir():
        raise NotAVideo(f"{str(path)!r} is a folder; give a video file")
    if path.stat().st_size == 0:
        raise EmptyVideo(f"{path.name} is empty (0 bytes): record or copy the video again")
    capture = _open(cv2, path)
    try:
        if not capture.isOpened():
            raise NotAVideo(
                f"{path.name} is not a video this program can read (or it is damaged): "
                "give an MP4, MOV, AVI, MKV or WebM file straight from the camera or phone"
            )
        ok, image = capture.read()
        if not ok or image is None:
            raise NotAVideo(
                f"{path.name} has no frame that can be decoded: it is damaged or not a video; "
                "record or copy it again"
            )
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rotation = int(capture.get(cv2.CAP_PROP_ORIENTATION_META) or 0)
        codec = _fourcc(capture.get(cv2.CAP_PROP_FOURCC))
        still = count <= 1 or cv2.haveImageReader(str(path))
        if still:
            ok2, _ = capture.read()
            if not ok2:
                raise EmptyVideo(
                    f"{path.name} is a still image, not a video: film the exercise as a video"
                )
        if not (math.isfinite(fps) and 0 < fps <= 1000):
            fps = 30.0  # no usable rate in the header: times are then approximate
        height, width = image.shape[:2]
        return VideoInfo(
            path=path,
            width=int(width),
            height=int(height),
            fps=fps,
            frame_count=max(count, 1),
            rotation=rotation,
            codec=codec,
        )
    finally:
        capture.release()


@dataclass(frozen=True, slots=True)
class Frame:
    index: int
    t: float
    image: Image
    lead_in: bool = False
    """Decoded only to settle the pose model's track before a segment (index -1)."""


#: A part shorter than this is not worth its own track: each part starts by searching
#: the whole frame for the person (about twice the cost of a tracked frame).
MIN_SEGMENT_S = 4.0
#: Each part after the first starts tracking this long before its first frame, so that
#: the model's track has settled on the person (it tracks from its previous frame's
#: landmarks) before the part's frames count: the frames of this lead-in are tracked and
#: dropped, and the seam between two parts does not show in the landmarks.
LEAD_IN_S = 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    """Consecutive frames of a clip: from frame ``first_index`` (whose container time is
    ``start_ms``; ``None`` for the clip's start) up to, not including, the first frame
    whose time is ``end_ms`` or later (``None``: to the end of the file). Decoding starts
    at frame ``lead_in_index`` (at or before ``first_index``): the frames before
    ``start_ms`` come out marked ``lead_in``."""

    first_index: int = 0
    start_ms: float | None = None
    end_ms: float | None = None
    lead_in_index: int = 0


WHOLE = Segment()


def _seek(cv2: Any, path: Path, index: int) -> tuple[Any, float] | None:
    """A capture whose next read is frame ``index`` (as OpenCV counts them), and that
    frame's container time; ``None`` when the file can't be sought (no usable times)."""
    capture = _open(cv2, path)
    if not capture.isOpened() or not capture.set(cv2.CAP_PROP_POS_FRAMES, index):
        capture.release()
        return None
    ok, image = capture.read()
    ms = float(capture.get(cv2.CAP_PROP_POS_MSEC)) if ok and image is not None else math.nan
    # Seek again, so that the caller reads the frame whose time was just taken.
    if not (math.isfinite(ms) and ms > 0) or not capture.set(cv2.CAP_PROP_POS_FRAMES, index):
        capture.release()
        return None
    return capture, ms


def _time_at(cv2: Any, path: Path, index: int) -> float | None:
    found = _seek(cv2, path, index)
    if found is None:
        return None
    found[0].release()
    return found[1]


def split(info: VideoInfo, parts: int) -> list[Segment]:
    """Up to ``parts`` segments that together hold every frame once, in order, each at
    least :data:`MIN_SEGMENT_S` long; ``[WHOLE]`` when the clip is short or can't be cut.
    The cuts are the frames' own container times, so a seek that lands a frame off still
    leaves no gap and no overlap."""
    parts = min(parts, int(info.duration_s // MIN_SEGMENT_S))
    if parts <= 1:
        return [WHOLE]
    cv2 = _cv2()
    lead_in = round(LEAD_IN_S * info.fps)
    cuts: list[tuple[int, float, int]] = []
    for k in range(1, parts):
        index = round(k * info.frame_count / parts)
        ms = _time_at(cv2, info.path, index)
        lead_in_ms = _time_at(cv2, info.path, index - lead_in)
        if (
            ms is None
            or lead_in_ms is None
            or lead_in_ms >= ms
            or (cuts and lead_in_ms <= cuts[-1][1])
        ):
            return [WHOLE]
        cuts.append((index, ms, index - lead_in))
    return [
        Segment(end_ms=cuts[0][1]),
        *(
            Segment(
                first_index=index,
                start_ms=ms,
                end_ms=cuts[k + 1][1] if k + 1 < len(cuts) else None,
                lead_in_index=lead_in_index,
            )
            for k, (index, ms, lead_in_index) in enumerate(cuts)
        ),
    ]


def frames(
    info: VideoInfo, *, prefetch: int = 4, segment: Segment = WHOLE
) -> Generator[Frame, None, None]:
    """Every frame of the video (or of one ``segment`` of it, after its lead-in frames),
    upright, with its time in seconds.

    Times come from the container's timestamps when they increase, else from
    ``index / fps``. Raises :class:`TruncatedVideo` after the last frame when the file
    stops well short of the frames its header declares.
    """
    cv2 = _cv2()
    start_ms = segment.start_ms
    if start_ms is None:
        capture = _open(cv2, info.path)
        if not capture.isOpened():
            raise NotAVideo(f"{info.path.name} can no longer be opened")
    else:
        found = _seek(cv2, info.path, segment.lead_in_index)
        if found is None or found[1] > start_ms:
            if found is not None:
                found[0].release()
            raise NotAVideo(f"{info.path.name} changed while it was being read")
        capture = found[0]
    end_ms = segment.end_ms
    slots: queue.Queue[tuple[Image, float] | None] = queue.Queue(maxsize=max(1, prefetch))
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                ok, image = capture.read()
                if not ok or image is None:
                    break
                ms = float(capture.get(cv2.CAP_PROP_POS_MSEC))
                if end_ms is not None and ms >= end_ms:
                    break
                slots.put((image, ms))
        finally:
            slots.put(None)

    thread = threading.Thread(target=reader, name="nerveglide-decode", daemon=True)
    thread.start()
    index = segment.first_index
    last_t = -1.0
    try:
        while True:
            item = slots.get()
            if item is None:
                break
            image, ms = item
            if start_ms is not None and ms < start_ms:
                yield Frame(index=-1, t=ms / 1000.0, image=image, lead_in=True)
                continue
            t = ms / 1000.0
            if not (math.isfinite(t) and t > last_t) or (index > 0 and t == 0.0):
                t = index / info.fps
            last_t = t
            yield Frame(index=index, t=t, image=image)
            index += 1
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        thread.join()
        capture.release()
    if end_ms is not None:
        return  # the file goes on: the last segment checks its length
    if index < 2:
        raise EmptyVideo(f"{info.path.name} has only {index} frame(s): film a video of the set")
    if info.frame_count > 2 and index < _TRUNCATION_TOLERANCE * info.frame_count:
        raise TruncatedVideo(
            f"{info.path.name} stops after {index} of the {info.frame_count} frames it "
            f"declares ({index / info.fps:.1f} s of {info.duration_s:.1f} s): the file is "
            "incomplete or damaged; copy or export it from the phone again"
        )


class AnnotatedWriter:
    """Writes BGR frames to an MP4: H.264 via ``ffmpeg`` when present, else OpenCV mp4v.

    Use as a context manager; on an exception the partial file is removed.
    """

    def __init__(self, path: Path, *, fps: float, width: int, height: int) -> None:
        self.path = path
        self.width = width + (width % 2)
        self.height = height + (height % 2)
        self._pad = (self.width != width) or (self.height != height)
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: Any = None
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is not None:
            self.codec = "h264"
            self._process = subprocess.Popen(
                [
                    ffmpeg,
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "rawvideo",
                    "-pix_fmt",
                    "bgr24",
                    "-s",
                    f"{self.width}x{self.height}",
                    "-r",
                    f"{fps:.6f}",
                    "-i",
                    "-",
                    "-an",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-crf",
                    "23",
                    "-pix_fmt",
                    "yuv420p",
                    "-movflags",
                    "+faststart",
                    str(path),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        else:
            cv2 = _cv2()
            self.codec = "mp4v"
            self._writer = cv2.VideoWriter(
                str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (self.width, self.height)
            )
            if not self._writer.isOpened():
                raise OSError(f"cannot write a video to {path}")

    def write(self, image: Image) -> None:
        if self._pad:
            padded = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            padded[: image.shape[0], : image.shape[1]] = image
            image = padded
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.write(np.ascontiguousarray(image).tobytes())
        else:
            self._writer.write(image)

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            code = self._process.wait()
            error = (
                self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
            )
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
            if code != 0:
                raise OSError(f"ffmpeg could not write {self.path}: {error.strip()}")
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> AnnotatedWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self.close()
        finally:
            if exc_type is not None:
                self.path.unlink(missing_ok=True)


CUE_SHOWN_S = 3.0
"""How long a cue stays on screen after it fires."""


def _put(
    cv2: Any,
    image: Image,
    text: str,
    org: tuple[int, int],
    scale: float,
    colour: tuple[int, int, int],
) -> None:
    cv2.putText(
        image,
        text,
        org,
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (0, 0, 0),
        max(2, int(4 * scale)),
        cv2.LINE_AA,
    )
    cv2.putText(
        image,
        text,
        org,
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        colour,
        max(1, int(1.6 * scale)),
        cv2.LINE_AA,
    )


def render_annotated(
    info: VideoInfo,
    analysis: Any,
    landmarks: Any,
    path: Path,
    *,
    progress: Any = None,
) -> str:
    """Write ``path``: the video with the skeleton, the exercising joints' angles, the
    repetition counter and each cue as it fires. Returns the codec used."""
    from nerveglide.motion.angles import COLUMN, MIN_VISIBILITY
    from nerveglide.motion.pose import SKELETON

    cv2 = _cv2()
    scale = max(0.45, min(info.width, info.height) / 720)
    series = analysis.series
    legs = list(analysis.legs) or ["left"]
    leg = legs[0]
    readouts = [
        (f"knee_flexion_{leg}", "knee flexion"),
        (f"hip_flexion_{leg}", "hip flexion"),
        (f"ankle_dorsiflexion_{leg}", "ankle dorsiflexion"),
        ("trunk_lean", "trunk lean"),
        ("neck_flexion", "neck flexion"),
    ]
    counted = sorted(((r.counted_s, r) for r in analysis.reps), key=lambda x: x[0])
    cues = sorted(((c.t, c) for r in analysis.reps for c in r.cues), key=lambda x: x[0])
    n = len(landmarks.t)
    with AnnotatedWriter(path, fps=info.fps, width=info.width, height=info.height) as writer:
        for frame in frames(info):
            i = min(frame.index, n - 1)
            image = frame.image
            if landmarks.found[i]:
                xy = landmarks.xy[i]
                vis = landmarks.visibility[i]
                for a, b in SKELETON:
                    if vis[a] >= MIN_VISIBILITY and vis[b] >= MIN_VISIBILITY:
                        pa = (int(xy[a, 0]), int(xy[a, 1]))
                        pb = (int(xy[b, 0]), int(xy[b, 1]))
                        cv2.line(
                            image, pa, pb, (255, 255, 255), max(2, int(3 * scale)), cv2.LINE_AA
                        )
                        cv2.line(image, pa, pb, (60, 160, 255), max(1, int(2 * scale)), cv2.LINE_AA)
                for k in range(len(xy)):
                    if vis[k] >= MIN_VISIBILITY:
                        cv2.circle(
                            image,
                            (int(xy[k, 0]), int(xy[k, 1])),
                            max(2, int(3 * scale)),
                            (40, 220, 40),
                            -1,
                            cv2.LINE_AA,
                        )
            t = frame.t
            done = [r for when, r in counted if when <= t]
            complete = sum(1 for r in done if r.complete)
            y = int(28 * scale) + 4
            _put(
                cv2,
                image,
                f"reps {complete}"
                + (f" (+{len(done) - complete} incomplete)" if len(done) > complete else "")
                + f"  leg: {'/'.join(legs)}",
                (8, y),
                0.8 * scale,
                (255, 255, 255),
            )
            for column, label in readouts:
                value = series.angles[i, COLUMN[column]]
                y += int(24 * scale) + 2
                text = f"{label}: {value:5.0f} deg" if np.isfinite(value) else f"{label}: unknown"
                _put(cv2, image, text, (8, y), 0.6 * scale, (255, 255, 255))
            active = [c for when, c in cues if when <= t < when + CUE_SHOWN_S]
            y = info.height - 10
            for cue in reversed(active[-3:]):
                colour = (80, 80, 255) if cue.kind == "form" else (0, 215, 255)
                _put(cv2, image, cue.text[:90], (8, y), 0.6 * scale, colour)
                y -= int(24 * scale) + 2
            writer.write(image)
            if progress is not None:
                progress(frame.index + 1, info.frame_count)
    return writer.codec
