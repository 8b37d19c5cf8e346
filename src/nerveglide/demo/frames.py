"""What the SVG and GIF writers share: the sampled frames, the fit to pixels, the colours.

A glide's cycle is sampled at a frame rate into :class:`Frame` objects (time, phase,
skeleton). :class:`Fit` maps world metres onto a picture so that every frame and the
props fit with a margin, leaving room for captions at the bottom.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from nerveglide.content.schema import Exercise, ReferenceMotion
from nerveglide.domain.kinematics import (
    LEG_BONES,
    OTHER_LEG_BONES,
    Point,
    Props,
    Skeleton,
    props,
    skeleton,
)
from nerveglide.domain.timeline import PoseAngles, Timeline


class Frame(NamedTuple):
    """One sampled moment of the cycle."""

    time: float
    phase_index: int
    skeleton: Skeleton


@dataclass(frozen=True)
class Sampling:
    """A glide sampled into frames, with its timeline and props."""

    timeline: Timeline
    frames: list[Frame]
    props: Props
    extremes: list[Skeleton]  # each phase's own pose, so fitting never misses a limit


def sample(
    motion: ReferenceMotion, *, fps: int = 12, durations: Mapping[str, float] | None = None
) -> Sampling:
    """Sample one cycle at ``fps`` frames per second (at least two frames), starting at 0.

    The frames are evenly spaced over the cycle and the last one stops one step short of
    the end, which is where the loop starts again.
    """
    if fps < 1:
        raise ValueError("fps must be at least 1")
    timeline = Timeline.of(motion, durations)
    cycle = timeline.cycle_seconds
    count = frame_count(cycle, fps)
    frames: list[Frame] = []
    for i in range(count):
        t = cycle * i / count
        index = timeline.phase_at(t)[0]
        frames.append(Frame(t, index, skeleton(timeline.pose_at(t), motion.support)))
    extremes = [
        skeleton(PoseAngles.from_pose(phase.pose), motion.support) for phase in motion.phases
    ]
    return Sampling(timeline, frames, props(motion.support), extremes)


def skeleton_extent(skel: Skeleton) -> list[Point]:
    """Points bounding a drawn skeleton, including the whole head circle."""
    r = skel.head_radius
    head = skel.head
    return [
        *skel.points().values(),
        head.shifted(-r, -r),
        head.shifted(r, r),
    ]


@dataclass(frozen=True, slots=True)
class Box:
    left: float
    bottom: float
    right: float
    top: float

    @classmethod
    def around(cls, points: Iterable[Point]) -> Box:
        pts = list(points)
        if not pts:
            raise ValueError("no points to bound")
        return cls(
            left=min(p.x for p in pts),
            bottom=min(p.y for p in pts),
            right=max(p.x for p in pts),
            top=max(p.y for p in pts),
        )


def world_box(sampling: Sampling) -> Box:
    """Everything drawn over the whole cycle, in metres."""
    points: list[Point] = list(sampling.props.points())
    for skel in (*(f.skeleton for f in sampling.frames), *sampling.extremes):
        points.extend(skeleton_extent(skel))
    return Box.around(points)


@dataclass(frozen=True, slots=True)
class Fit:
    """World metres to picture pixels: x right, y down, one scale for both axes."""

    scale: float  # pixels per metre
    origin_x: float  # pixel x of world x = 0
    origin_y: float  # pixel y of world y = 0
    width: int
    height: int

    @classmethod
    def into(cls, box: Box, width: int, height: int, *, margin: float, bottom: float = 0.0) -> Fit:
        """Fit ``box`` into a ``width`` x ``height`` picture, ``margin`` pixels from every
        edge and ``bottom`` more pixels kept free at the bottom (for captions)."""
        avail_w = width - 2 * margin
        avail_h = height - 2 * margin - bottom
        if avail_w <= 0 or avail_h <= 0:
            raise ValueError("the picture is too small for its margins and captions")
        box_w = max(box.right - box.left, 1e-6)
        box_h = max(box.top - box.bottom, 1e-6)
        scale = min(avail_w / box_w, avail_h / box_h)
        left = margin + (avail_w - box_w * scale) / 2
        top = margin + (avail_h - box_h * scale) / 2
        return cls(
            scale=scale,
            origin_x=left - box.left * scale,
            origin_y=top + box.top * scale,
            width=width,
            height=height,
        )

    def px(self, p: Point) -> tuple[float, float]:
        return (self.origin_x + p.x * self.scale, self.origin_y - p.y * self.scale)

    def length(self, metres: float) -> float:
        return metres * self.scale


@dataclass(frozen=True, slots=True)
class Palette:
    """Colours for a white background. Lines and shapes have at least 3:1 contrast
    against white (WCAG 2.2, 1.4.11) and text at least 4.5:1 (1.4.3)."""

    background: str = "#ffffff"
    body: str = "#1f2937"  # slate, 14.7:1
    leg: str = "#c2410c"  # orange, 5.2:1: the exercising leg
    other_leg: str = "#6b7280"  # grey, 4.8:1: the other leg, behind
    prop_line: str = "#4b5563"  # floor, chair legs, outlines, 7.6:1
    prop_fill: str = "#e5e7eb"  # mat and seat fill (outlined with prop_line)
    text: str = "#111827"  # 17.7:1


PALETTE = Palette()


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def hex_rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        r, g, b_ = (_channel(v) for v in hex_rgb(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True, slots=True)
class Strokes:
    """Line widths in pixels for a picture ``height`` pixels high.

    The trunk is drawn thicker than the limbs and the neck thinner than the trunk, so the
    figure reads as a body with a neck; the face (the nose) is a short stroke as thick
    as the arm.
    """

    body: float  # the arm (and, a little thinner, the chair's legs)
    leg: float
    prop: float
    trunk: float
    neck: float
    face: float

    @classmethod
    def for_height(cls, height: int) -> Strokes:
        unit = max(1.0, height / 360)
        return cls(
            body=7.0 * unit,
            leg=8.0 * unit,
            prop=2.0 * unit,
            trunk=12.0 * unit,
            neck=6.0 * unit,
            face=7.0 * unit,
        )


def bone_colour(name: str, palette: Palette = PALETTE) -> str:
    if name in OTHER_LEG_BONES:
        return palette.other_leg
    if name in LEG_BONES:
        return palette.leg
    return palette.body


def bone_width(name: str, strokes: Strokes) -> float:
    if name in LEG_BONES or name in OTHER_LEG_BONES:
        return strokes.leg
    return {"trunk": strokes.trunk, "neck": strokes.neck, "face": strokes.face}.get(
        name, strokes.body
    )


def step_texts(exercise: Exercise) -> list[str]:
    """The instruction shown during each phase: the text of the step the phase names."""
    steps = {s.id: s.text for s in exercise.steps}
    return [steps[p.step] for p in exercise.reference_motion.phases]


def frame_count(cycle_seconds: float, fps: int) -> int:
    """Frames in one cycle: ``fps`` a second, rounded, and never fewer than two."""
    return max(2, math.floor(cycle_seconds * fps + 0.5))


@dataclass(frozen=True, slots=True)
class Captions:
    """Caption text wrapped for a picture, and the band it needs at the bottom."""

    font_size: int
    line_height: float
    padding: float
    lines: list[list[str]]  # per phase

    @classmethod
    def layout(cls, texts: Sequence[str], width: int, height: int) -> Captions:
        font_size = max(10, round(height / 26))
        padding = max(4.0, font_size * 0.6)
        # A sans-serif letter is about half as wide as the font is tall; keep a little slack.
        max_chars = max(12, int((width - 2 * padding) / (0.55 * font_size)))
        lines = [textwrap.wrap(t, width=max_chars) or [""] for t in texts]
        return cls(font_size, round(font_size * 1.3, 1), padding, lines)

    @property
    def band(self) -> float:
        """Pixels kept free at the bottom of the picture."""
        most = max((len(ls) for ls in self.lines), default=0)
        return 0.0 if most == 0 else most * self.line_height + 2 * self.padding

    def baselines(self, index: int, height: int) -> list[float]:
        """The y of each line of phase ``index``'s caption, centred in the band."""
        count = len(self.lines[index])
        block = count * self.line_height
        top = height - self.band + (self.band - block) / 2
        return [round(top + (i + 0.8) * self.line_height, 1) for i in range(count)]


MARGIN_FRACTION = 0.04  # of the picture's smaller side, around the figure


def fit_for(sampling: Sampling, width: int, height: int, caption_band: float = 0.0) -> Fit:
    """The fit that keeps the whole cycle and its props in view, above the captions."""
    strokes = Strokes.for_height(height)
    margin = max(MARGIN_FRACTION * min(width, height), strokes.leg)
    return Fit.into(world_box(sampling), width, height, margin=margin, bottom=caption_band)
