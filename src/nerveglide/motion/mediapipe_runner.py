"""MediaPipe BlazePose (``mediapipe==0.10.21``) as a :class:`~nerveglide.motion.source.PoseSource`.

The 0.10.21 wheel ships the pose detector and ``pose_landmark_full.tflite`` with its legacy
``solutions.pose`` graph, so the model runs offline; later releases download their model at
run time. We run it in tracking mode (``static_image_mode=False``): the detector runs on the
first frame and whenever tracking is lost, and the landmark model follows the person from
the previous frame's region, which is what makes it fast enough for video. MediaPipe's own
landmark smoothing is off: the coach filters the joint angles itself (``filters.py``), and
smoothing twice only adds lag.

BlazePose: Bazarevsky V. et al., "BlazePose: On-device Real-time Body Pose tracking",
CVPR Workshop on Computer Vision for AR/VR, 2020 (arXiv:2006.10204).

mediapipe (and cv2, which it imports) are imported when a source is created, never at
module import, so the rest of nerveglide works without them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from nerveglide.motion.pose import Landmark, Pose
from nerveglide.motion.source import Image

MODEL_NAME = "mediapipe-0.10.21 blazepose-full (tracking)"

# A second person counts when the search finds a body whose hips, knees and shoulders
# the model itself calls visible; a half-found ghost in a blanked region does not.
_BODY = (
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
)


# Redirecting the process's stderr is one change for all threads: models tracking parts
# of a clip at once take turns, so each puts back the real stderr, not another's devnull.
_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence the C++ libraries' start-up chatter (TensorFlow Lite's and absl's notes on
    stderr, written past Python) while the model loads and runs its first frames."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    with _STDERR_LOCK:
        sys.stderr.flush()
        saved = os.dup(fd)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), fd)
                yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def _load_pose_module() -> Any:
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the pose model needs the mediapipe package (pip install mediapipe==0.10.21)"
        ) from exc
    return mp_pose


class MediaPipePoseSource:
    """BlazePose Full in tracking mode. Use as a context manager, or call :meth:`close`."""

    name = MODEL_NAME

    def __init__(self, *, min_detection_confidence: float = 0.5) -> None:
        with _quiet_native_stderr():
            self._mp_pose = _load_pose_module()
            import cv2

            # BGR to RGB with OpenCV's vectorised conversion: a numpy channel flip and
            # copy costs over ten times as much per frame.
            self._cv2: Any = cv2
            self._tracker = self._mp_pose.Pose(
                static_image_mode=False,
                model_complexity=1,
                smooth_landmarks=False,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=0.5,
            )
            # Open the graph now (it opens its calculators on other threads, chattering),
            # on a blank frame that holds nobody and so leaves no track behind.
            self._tracker.process(np.zeros((64, 64, 3), dtype=np.uint8))
        self._tracking = False
        self._quiet_frames = 5

    def __enter__(self) -> MediaPipePoseSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def detect(self, image: Image, t: float) -> Pose | None:
        height, width = image.shape[:2]
        rgb = self._cv2.cvtColor(image, self._cv2.COLOR_BGR2RGB)
        if self._quiet_frames > 0:
            self._quiet_frames -= 1
            with _quiet_native_stderr():
                result = self._tracker.process(rgb)
        else:
            result = self._tracker.process(rgb)
        self._tracking = result.pose_landmarks is not None
        return Pose.from_mediapipe(result, width=width, height=height, t=t)

    def others(self, image: Image, known: Pose) -> int:
        """A search of ``image`` with ``known`` greyed out, by the tracking model: call
        it once the track is done (a :meth:`detect` after it finds its person afresh).
        A second model for the search would cost more to load than a clip's searches."""
        box = known.bbox(min_visibility=0.3)
        if box is None:
            return 0
        height, width = image.shape[:2]
        x0, y0, x1, y1 = box
        pad_x, pad_y = 0.15 * (x1 - x0), 0.15 * (y1 - y0)
        masked = self._cv2.cvtColor(image, self._cv2.COLOR_BGR2RGB)
        masked[
            max(0, int(y0 - pad_y)) : min(height, int(y1 + pad_y) + 1),
            max(0, int(x0 - pad_x)) : min(width, int(x1 + pad_x) + 1),
        ] = 127
        # The model looks for its track where it last saw it; a blank picture drops the
        # track, so that it searches the whole of the next one (as in a single image).
        blank = np.full((64, 64, 3), 127, dtype=np.uint8)
        for _ in range(2):
            if not self._tracking:
                break
            self._tracking = self._tracker.process(blank).pose_landmarks is not None
        result = self._tracker.process(masked)
        self._tracking = result.pose_landmarks is not None
        other = Pose.from_mediapipe(result, width=width, height=height, t=known.t)
        if other is None:
            return 0
        body = other.visibility[list(_BODY)]
        inside = other.in_frame()[list(_BODY)]
        return 1 if bool(np.all((body >= 0.5) & inside)) else 0

    def close(self) -> None:
        self._tracker.close()
