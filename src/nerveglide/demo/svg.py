"""A glide as a self-contained, SMIL-animated SVG.

Every bone is a round-capped line whose end points are ``<animate>``-d through the
sampled frames; the head is an animated circle, with a short nose (the ``face`` bone)
on its front showing which way the face looks; the floor and mat, or the chair, stand
still. One caption per phase shows the step's text while that phase runs. The root
``<svg>`` carries ``data-cycle-seconds`` and ``data-phases`` (JSON: id, kind, start and
end seconds, step id, cue) so a page can follow along with ``svg.getCurrentTime()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from nerveglide.content.schema import Exercise
from nerveglide.demo.frames import (
    PALETTE,
    Captions,
    Fit,
    Sampling,
    Strokes,
    bone_colour,
    bone_width,
    fit_for,
    sample,
    step_texts,
)
from nerveglide.domain.kinematics import Point, Props

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


def _num(value: float) -> str:
    """A coordinate rounded to 0.1 px, without a trailing ``.0`` or a ``-0``."""
    text = f"{round(value, 1):.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _attrs(**values: str) -> str:
    """``key="value"`` pairs, escaped; ``_`` in a key becomes ``-``."""
    return " ".join(f"{k.rstrip('_').replace('_', '-')}={quoteattr(v)}" for k, v in values.items())


def _animate(attribute: str, values: Sequence[str], dur: str) -> str:
    """A looping linear animation of ``attribute``, or nothing when it never changes."""
    if len(set(values)) <= 1:
        return ""
    return (
        f"<animate {_attrs(attributeName=attribute)} values={quoteattr(';'.join(values))} "
        f'dur="{dur}" repeatCount="indefinite" calcMode="linear"/>'
    )


def _track(points: Iterable[Point], fit: Fit) -> tuple[list[str], list[str]]:
    """x and y pixel values of a point over the frames, looped back to the first."""
    pixels = [fit.px(p) for p in points]
    pixels.append(pixels[0])
    return [_num(x) for x, _ in pixels], [_num(y) for _, y in pixels]


def _props_svg(props: Props, fit: Fit, strokes: Strokes) -> list[str]:
    out = ['<g class="props">']
    for rect in props.rects:
        x, y = fit.px(Point(rect.x, rect.y + rect.height))
        out.append(
            f"<rect {_attrs(class_=rect.name)} "
            f'x="{_num(x)}" y="{_num(y)}" '
            f'width="{_num(fit.length(rect.width))}" height="{_num(fit.length(rect.height))}" '
            f'rx="{_num(min(4.0, fit.length(rect.height) / 2))}" '
            f'fill="{PALETTE.prop_fill}" stroke="{PALETTE.prop_line}" '
            f'stroke-width="{_num(strokes.prop)}"/>'
        )
    for line in props.lines:
        (x1, y1), (x2, y2) = fit.px(line.a), fit.px(line.b)
        out.append(
            f"<line {_attrs(class_=line.name)} "
            f'x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'stroke="{PALETTE.prop_line}" stroke-width="{_num(strokes.body * 0.8)}" '
            'stroke-linecap="round"/>'
        )
    _, floor = fit.px(Point(0.0, props.floor_y))
    out.append(
        f'<line class="floor" x1="0" y1="{_num(floor)}" x2="{fit.width}" y2="{_num(floor)}" '
        f'stroke="{PALETTE.prop_line}" stroke-width="{_num(strokes.prop)}"/>'
    )
    out.append("</g>")
    return out


def _figure_svg(sampling: Sampling, fit: Fit, strokes: Strokes, dur: str) -> list[str]:
    frames = [f.skeleton for f in sampling.frames]
    first = frames[0]
    out = ['<g class="figure" stroke-linecap="round" stroke-linejoin="round">']
    for i, bone in enumerate(first.bones()):
        ends = [s.bones()[i] for s in frames]
        xs1, ys1 = _track((b.a for b in ends), fit)
        xs2, ys2 = _track((b.b for b in ends), fit)
        animations = "".join(
            _animate(attr, values, dur)
            for attr, values in (("x1", xs1), ("y1", ys1), ("x2", xs2), ("y2", ys2))
        )
        out.append(
            f"<line {_attrs(class_=f'bone {bone.name}')} "
            f'x1="{xs1[0]}" y1="{ys1[0]}" x2="{xs2[0]}" y2="{ys2[0]}" '
            f'stroke="{bone_colour(bone.name)}" '
            f'stroke-width="{_num(bone_width(bone.name, strokes))}">{animations}</line>'
        )
        if bone.name == "neck":
            cx, cy = _track((s.head for s in frames), fit)
            animations = _animate("cx", cx, dur) + _animate("cy", cy, dur)
            out.append(
                f'<circle class="head" cx="{cx[0]}" cy="{cy[0]}" '
                f'r="{_num(fit.length(first.head_radius))}" fill="{PALETTE.body}">'
                f"{animations}</circle>"
            )
    out.append("</g>")
    return out


def _captions_svg(
    captions: Captions, sampling: Sampling, phase_ids: Sequence[str], width: int, height: int
) -> list[str]:
    cycle = sampling.timeline.cycle_seconds
    dur = f"{_seconds(cycle)}s"
    out = [
        f'<g class="captions" font-family={quoteattr(FONT_FAMILY)} '
        f'font-size="{captions.font_size}" fill="{PALETTE.text}" text-anchor="middle">'
    ]
    for span in sampling.timeline.spans():
        start, end = span.start / cycle, span.end / cycle
        values, times = ["0", "1", "0"], [0.0, start, end]
        if start <= 0:
            values, times = values[1:], times[1:]
        if end >= 1 - 1e-9:
            values, times = values[:-1], times[:-1]
        key_times = ";".join(f"{t:.6f}".rstrip("0").rstrip(".") or "0" for t in times)
        lines = captions.lines[span.index]
        tspans = "".join(
            f'<tspan x="{_num(width / 2)}" y="{_num(y)}">{escape(text)}</tspan>'
            for text, y in zip(lines, captions.baselines(span.index, height), strict=True)
        )
        out.append(
            f"<text {_attrs(class_='caption', data_phase=phase_ids[span.index])} "
            f'opacity="{1 if span.index == 0 else 0}">{tspans}'
            f'<animate attributeName="opacity" values="{";".join(values)}" '
            f'keyTimes="{key_times}" dur="{dur}" repeatCount="indefinite" '
            'calcMode="discrete"/></text>'
        )
    out.append("</g>")
    return out


def phases_json(sampling: Sampling) -> str:
    """The phases' timing for the page's script: id, kind, start, end, step, cue."""
    return json.dumps(
        [
            {
                "id": span.phase.id,
                "kind": span.phase.kind,
                "start": round(span.start, 3),
                "end": round(span.end, 3),
                "step": span.phase.step,
                "cue": span.phase.cue,
            }
            for span in sampling.timeline.spans()
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def animated_svg(
    exercise: Exercise,
    *,
    fps: int = 12,
    width: int = 480,
    height: int = 360,
    captions: bool = True,
    leg_side: Literal["left", "right"] = "right",
    id: str | None = None,
    durations: Mapping[str, float] | None = None,
) -> str:
    """The glide as an animated SVG document (a string, without an XML declaration).

    ``id`` is the root element's id (default ``glide-<exercise id>``); the title and
    description ids derive from it. ``durations`` overrides phase durations by phase id.
    ``leg_side`` only labels which leg exercises: a side view looks the same for both.
    """
    motion = exercise.reference_motion
    sampling = sample(motion, fps=fps, durations=durations)
    texts = step_texts(exercise)
    layout = Captions.layout(texts if captions else [], width, height)
    fit = fit_for(sampling, width, height, layout.band)
    strokes = Strokes.for_height(height)
    cycle = sampling.timeline.cycle_seconds
    dur = f"{_seconds(cycle)}s"
    svg_id = id or f"glide-{exercise.id}"
    title = f"{exercise.name}: animated demonstration"
    desc = (
        f"{exercise.summary.text} Side view, looping every {_seconds(cycle)} seconds. "
        f"The exercising leg (the {leg_side} leg) is drawn in orange, in front; "
        "the other leg is grey, behind it."
    )
    root = _attrs(
        xmlns=SVG_NS,
        id=svg_id,
        class_="glide-demo",
        viewBox=f"0 0 {width} {height}",
        width=str(width),
        height=str(height),
        role="img",
        aria_labelledby=f"{svg_id}-title",
        aria_describedby=f"{svg_id}-desc",
        data_exercise=exercise.id,
        data_leg_side=leg_side,
        data_cycle_seconds=_seconds(cycle),
        data_phases=phases_json(sampling),
    )
    parts = [
        f"<svg {root}>",
        f'<title id="{escape(svg_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(svg_id)}-desc">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="{PALETTE.background}"/>',
        *_props_svg(sampling.props, fit, strokes),
        *_figure_svg(sampling, fit, strokes, dur),
    ]
    if captions:
        phase_ids = [p.id for p in motion.phases]
        parts.extend(_captions_svg(layout, sampling, phase_ids, width, height))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
