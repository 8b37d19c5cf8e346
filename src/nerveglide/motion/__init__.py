"""The motion coach: a video (or a stream of poses) in, repetitions, range of motion,
speed and form cues out.

Core (numpy only): :mod:`~nerveglide.motion.pose` (the vendor-neutral :class:`Pose`),
:mod:`~nerveglide.motion.angles`, :mod:`~nerveglide.motion.filters`,
:mod:`~nerveglide.motion.view`, :mod:`~nerveglide.motion.reps`,
:mod:`~nerveglide.motion.spec` (what a glide's reference motion asks for),
:mod:`~nerveglide.motion.analysis`, :mod:`~nerveglide.motion.pipeline`,
:mod:`~nerveglide.motion.report` and :mod:`~nerveglide.motion.live` (the same analysis one
pose at a time, for the live camera). Adapters, importing their vendor library only when
used: :mod:`~nerveglide.motion.video` (OpenCV, ffmpeg),
:mod:`~nerveglide.motion.mediapipe_runner` (MediaPipe BlazePose) and
:mod:`~nerveglide.motion.plot` (matplotlib).

Typical use::

    from nerveglide.services.analysis import analyse_video
    result = analyse_video(path, exercise=library.exercise("supine-nerve-glide"))
    result.analysis.reps
"""

from __future__ import annotations

from nerveglide.motion.analysis import Analysis, Cue, Landmarks, PhaseSpeed, Rep, analyse
from nerveglide.motion.errors import UnusableClip
from nerveglide.motion.live import LiveCoach
from nerveglide.motion.pipeline import Tracker
from nerveglide.motion.pose import Landmark, Pose
from nerveglide.motion.reps import Calibration, RepCounter, RepSegment
from nerveglide.motion.source import PoseSource
from nerveglide.motion.spec import GlideSpec

__all__ = [
    "Analysis",
    "Calibration",
    "Cue",
    "GlideSpec",
    "Landmark",
    "Landmarks",
    "LiveCoach",
    "PhaseSpeed",
    "Pose",
    "PoseSource",
    "Rep",
    "RepCounter",
    "RepSegment",
    "Tracker",
    "UnusableClip",
    "analyse",
]
