"""A glide as a looping animated GIF, drawn with Pillow from the same frames as the SVG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations, pairwise
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from nerveglide.content.schema import Exercise
from nerveglide.demo.frames import (
    PALETTE,
    Captions,
    Fit,
    Frame,
    Strokes,
    bone_colour,
    bone_width,
    fit_for,
    hex_rgb,
    sample,
    step_texts,
)
from nerveglide.domain.kinematics import Point, Props

SUPERSAMPLE = 3  # draw the figure larger, then shrink: smooth edges (text is smooth already)
_BLEND_STEPS = 6  # shades between each pair of colours in the shared palette

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def frame_durations(count: int, fps: int) -> list[int]:
    """Milliseconds for each frame. A GIF counts in hundredths of a second, so the
    durations alternate (for 12 fps: 80, 90, 80, ...) to keep ``1000 / fps`` on average."""
    ticks = [round(i * 100 / fps) for i in range(count + 1)]
    return [10 * (b - a) for a, b in pairwise(ticks)]


def _palette_image() -> Image.Image:
    """One palette for every frame: the drawing colours and shades between each pair,
    so the edges shrinking leaves are kept and frames do not flicker."""
    colours = [
        hex_rgb(c)
        for c in (
            PALETTE.background,
            PALETTE.body,
            PALETTE.leg,
            PALETTE.other_leg,
            PALETTE.prop_line,
            PALETTE.prop_fill,
            PALETTE.text,
        )
    ]
    shades: list[tuple[int, int, int]] = list(dict.fromkeys(colours))
    for a, b in combinations(colours, 2):
        for step in range(1, _BLEND_STEPS + 1):
            w = step / (_BLEND_STEPS + 1)
            shades.append(
                (
                    round(a[0] + (b[0] - a[0]) * w),
                    round(a[1] + (b[1] - a[1]) * w),
                    round(a[2] + (b[2] - a[2]) * w),
                )
            )
    shades = list(dict.fromkeys(shades))[:256]
    flat = [v for rgb in shades for v in rgb]
    flat.extend(flat[:3] * (256 - len(shades)))  # pad with the background, never black
    image = Image.new("P", (1, 1))
    image.putpalette(flat)
    return image


class _Painter:
    def __init__(self, fit: Fit, strokes: Strokes, scale: int) -> None:
        self.fit = fit
        self.strokes = strokes
        self.scale = scale

    def xy(self, p: Point) -> tuple[float, float]:
        x, y = self.fit.px(p)
        return (x * self.scale, y * self.scale)

    def line(
        self, draw: ImageDraw.ImageDraw, a: Point, b: Point, colour: str, width: float
    ) -> None:
        w = max(1, round(width * self.scale))
        pa, pb = self.xy(a), self.xy(b)
        draw.line([pa, pb], fill=colour, width=w)
        r = w / 2
        for x, y in (pa, pb):  # round caps
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

    def props(self, draw: ImageDraw.ImageDraw, props: Props) -> None:
        for rect in props.rects:
            x0, y0 = self.xy(Point(rect.x, rect.y + rect.height))
            x1, y1 = self.xy(Point(rect.x + rect.width, rect.y))
            draw.rounded_rectangle(
                [x0, y0, x1, y1],
                radius=min(4 * self.scale, (y1 - y0) / 2),
                fill=PALETTE.prop_fill,
                outline=PALETTE.prop_line,
                width=max(1, round(self.strokes.prop * self.scale)),
            )
        for leg in props.lines:
            self.line(draw, leg.a, leg.b, PALETTE.prop_line, self.strokes.body * 0.8)
        _, floor = self.xy(Point(0.0, props.floor_y))
        draw.line(
            [(0, floor), (self.fit.width * self.scale, floor)],
            fill=PALETTE.prop_line,
            width=max(1, round(self.strokes.prop * self.scale)),
        )

    def figure(self, draw: ImageDraw.ImageDraw, frame: Frame) -> None:
        skel = frame.skeleton
        for bone in skel.bones():
            colour = bone_colour(bone.name)
            self.line(draw, bone.a, bone.b, colour, bone_width(bone.name, self.strokes))
            if bone.name == "neck":
                x, y = self.xy(skel.head)
                r = self.fit.length(skel.head_radius) * self.scale
                draw.ellipse([x - r, y - r, x + r, y + r], fill=PALETTE.body)

    def caption(
        self,
        draw: ImageDraw.ImageDraw,
        lines: Sequence[str],
        baselines: Sequence[float],
        font: Font,
    ) -> None:
        centre = self.fit.width * self.scale / 2
        for text, y in zip(lines, baselines, strict=True):
            draw.text((centre, y * self.scale), text, fill=PALETTE.text, font=font, anchor="ms")


def render_frames(
    exercise: Exercise,
    *,
    fps: int = 12,
    width: int = 480,
    height: int = 360,
    captions: bool = True,
    durations: Mapping[str, float] | None = None,
) -> list[Image.Image]:
    """The glide's frames as RGB images, ``width`` x ``height``."""
    sampling = sample(exercise.reference_motion, fps=fps, durations=durations)
    layout = Captions.layout(step_texts(exercise) if captions else [], width, height)
    fit = fit_for(sampling, width, height, layout.band)
    painter = _Painter(fit, Strokes.for_height(height), SUPERSAMPLE)
    text = _Painter(fit, Strokes.for_height(height), 1)
    font = ImageFont.load_default(size=layout.font_size)
    backdrop = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), PALETTE.background)
    painter.props(ImageDraw.Draw(backdrop), sampling.props)
    images: list[Image.Image] = []
    for frame in sampling.frames:
        big = backdrop.copy()
        painter.figure(ImageDraw.Draw(big), frame)
        image = big.reduce(SUPERSAMPLE)
        if captions:
            index = frame.phase_index
            lines, baselines = layout.lines[index], layout.baselines(index, height)
            text.caption(ImageDraw.Draw(image), lines, baselines, font)
        images.append(image)
    return images


def animated_gif(
    exercise: Exercise,
    path: str | Path,
    *,
    fps: int = 12,
    width: int = 480,
    height: int = 360,
    captions: bool = True,
    durations: Mapping[str, float] | None = None,
) -> Path:
    """Write the glide as a GIF that loops forever, ``fps`` frames a second; returns
    the path. Frames that do not change (a hold) are merged into one longer frame."""
    images = render_frames(
        exercise, fps=fps, width=width, height=height, captions=captions, durations=durations
    )
    palette = _palette_image()
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    out = Path(path)
    frames[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=frame_durations(len(frames), fps),
        loop=0,
        disposal=1,
        optimize=False,
    )
    return out
