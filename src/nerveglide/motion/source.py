"""The seam between a pose model and the rest of the coach.

A :class:`PoseSource` turns one video frame into one :class:`~nerveglide.motion.pose.Pose`
(or ``None`` when it finds nobody). The offline coach uses
:class:`~nerveglide.motion.mediapipe_runner.MediaPipePoseSource`; tests and the live
camera (landmarks found in the browser) feed poses directly, so everything after the
model is the same code.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from nerveglide.motion.pose import Pose

Image = npt.NDArray[np.uint8]
"""A frame as OpenCV gives it: height x width x 3, BGR, uint8."""


class PoseSource(Protocol):
    """Finds one person's pose in each frame of a video, in order."""

    name: str
    """The model, for reports (e.g. ``"mediapipe-blazepose-full-0.10.21"``)."""

    def detect(self, image: Image, t: float) -> Pose | None:
        """The pose of the person in ``image`` at time ``t`` (seconds), or ``None``.
        Frames must come in time order: a source may track from frame to frame."""
        ...

    def others(self, image: Image, known: Pose) -> int:
        """How many more people than ``known`` a single-image search finds in
        ``image`` (0 when the frame holds just that person). Asked once the track is
        done: a source may search with its tracking model."""
        ...

    def close(self) -> None:
        """Free the model."""
        ...
