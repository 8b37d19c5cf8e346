"""One vendor-neutral pose type: what a pose model found in one frame.

:class:`Pose` holds 33 body landmarks in BlazePose's topology (the model nerveglide runs;
another model plugs in through its own ``from_<vendor>`` constructor, mapping its points
onto these names and marking the rest as not visible):

* ``xy``: image position in pixels (x right, y down, origin top-left),
* ``world``: metric 3D position in metres, origin between the hips (as BlazePose's
  "world landmarks"; ``None`` when a model gives no 3D),
* ``visibility``: 0..1, how likely the point is visible and in the frame,
* ``t``: the frame's time in seconds from the start of the clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

N_LANDMARKS = 33


class Landmark(IntEnum):
    """BlazePose's 33 landmarks, by index."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# The skeleton drawn on the annotated video: pairs of landmarks.
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.LEFT_EAR, Landmark.LEFT_EYE),
    (Landmark.RIGHT_EAR, Landmark.RIGHT_EYE),
)


@dataclass(frozen=True, slots=True, eq=False)
class Pose:
    """The landmarks of one person in one frame (see the module docstring)."""

    t: float
    xy: FloatArray
    visibility: FloatArray
    world: FloatArray | None
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.xy.shape != (N_LANDMARKS, 2):
            raise ValueError(f"xy must have shape ({N_LANDMARKS}, 2), not {self.xy.shape}")
        if self.visibility.shape != (N_LANDMARKS,):
            raise ValueError(
                f"visibility must have shape ({N_LANDMARKS},), not {self.visibility.shape}"
            )
        if self.world is not None and self.world.shape != (N_LANDMARKS, 3):
            raise ValueError(f"world must have shape ({N_LANDMARKS}, 3), not {self.world.shape}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("the image size must be positive")
        if not math.isfinite(self.t):
            raise ValueError("the time must be finite")

    def in_frame(self, margin: float = 0.0) -> npt.NDArray[np.bool_]:
        """Which landmarks lie inside the image (``margin`` pixels in from the border)."""
        x, y = self.xy[:, 0], self.xy[:, 1]
        inside: npt.NDArray[np.bool_] = (
            (x >= margin) & (x <= self.width - margin) & (y >= margin) & (y <= self.height - margin)
        )
        return inside

    def bbox(self, min_visibility: float = 0.5) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` around the visible landmarks, or ``None``."""
        seen = self.visibility >= min_visibility
        if not seen.any():
            return None
        pts = self.xy[seen]
        return (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )

    @classmethod
    def from_arrays(
        cls,
        t: float,
        xy: npt.ArrayLike,
        visibility: npt.ArrayLike,
        world: npt.ArrayLike | None,
        width: int,
        height: int,
    ) -> Pose:
        return cls(
            t=float(t),
            xy=np.asarray(xy, dtype=np.float64),
            visibility=np.asarray(visibility, dtype=np.float64),
            world=None if world is None else np.asarray(world, dtype=np.float64),
            width=int(width),
            height=int(height),
        )

    @classmethod
    def from_mediapipe(cls, result: Any, *, width: int, height: int, t: float) -> Pose | None:
        """From a MediaPipe pose result (read by duck typing, so this module needs no
        mediapipe import): ``pose_landmarks`` (normalised image) and
        ``pose_world_landmarks`` (metres). ``None`` when no person was found."""
        image = getattr(result, "pose_landmarks", None)
        if image is None:
            return None
        points = image.landmark
        xy = np.empty((N_LANDMARKS, 2))
        visibility = np.empty(N_LANDMARKS)
        for i, p in enumerate(points):
            xy[i, 0] = p.x * width
            xy[i, 1] = p.y * height
            visibility[i] = p.visibility
        world_result = getattr(result, "pose_world_landmarks", None)
        world: FloatArray | None = None
        if world_result is not None:
            world = np.empty((N_LANDMARKS, 3))
            for i, p in enumerate(world_result.landmark):
                world[i, 0] = p.x
                world[i, 1] = p.y
                world[i, 2] = p.z
        return cls(t=t, xy=xy, visibility=visibility, world=world, width=width, height=height)
