from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import GifImagePlugin, Image, ImageChops, ImageSequence

from nerveglide.content.schema import Exercise
from nerveglide.demo.frames import PALETTE, fit_for, hex_rgb, sample
from nerveglide.demo.gif import animated_gif, frame_durations, render_frames


def _item(item_id: str, text: str) -> dict[str, Any]:
    return {"id": item_id, "text": text, "sources": [{"source": "test-source"}]}


def _pose(knee: float, *, trunk: float = 0, hip: float = 90, neck: float = 0) -> dict[str, Any]:
    return {
        "trunk_lean": trunk,
        "neck_flexion": neck,
        "leg": {"hip_flexion": hip, "knee_flexion": knee, "ankle_dorsiflexion": 0},
        "other_leg": {"hip_flexion": 90, "knee_flexion": 90, "ankle_dorsiflexion": 0},
    }


def make_exercise(*, neck: float = 0) -> Exercise:
    def phase(pid: str, kind: str, seconds: float, pose: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": pid,
            "kind": kind,
            "step": "t.step.raise" if kind in {"move", "hold"} else "t.step.sit",
            "cue": pid,
            "duration": {"seconds": seconds},
            "pose": pose,
        }

    return Exercise.model_validate(
        {
            "id": "seated-leg-raise",
            "name": "Seated leg raise",
            "summary": _item("t.summary", "A glide for the test."),
            "steps": [
                _item("t.step.sit", "Sit up straight on a chair."),
                _item("t.step.raise", "Straighten and lift the leg, leaning back as you do."),
            ],
            "doses": [_item("t.dose", "Ten times.")],
            "reference_motion": {
                "support": "chair",
                "primary_joint": "knee_flexion",
                "phases": [
                    phase("t.start", "start", 1, _pose(90)),
                    phase("t.raise", "move", 1.5, _pose(5, trunk=15, hip=95, neck=neck)),
                    phase("t.hold", "hold", 1, _pose(5, trunk=15, hip=95, neck=neck)),
                    phase("t.lower", "return", 1.5, _pose(90)),
                ],
            },
        }
    )


def frames_of(path: Path) -> list[Image.Image]:
    with Image.open(path) as im:
        return [f.convert("RGB") for f in ImageSequence.Iterator(im)]


def test_gif_loops_forever_at_the_right_size(tmp_path: Path) -> None:
    path = animated_gif(make_exercise(), tmp_path / "glide.gif")
    assert path == tmp_path / "glide.gif"
    with Image.open(path) as im:
        assert im.format == "GIF"
        assert isinstance(im, GifImagePlugin.GifImageFile)
        assert im.size == (480, 360)
        assert im.info["loop"] == 0
        assert im.n_frames > 10


def test_gif_size_can_be_chosen(tmp_path: Path) -> None:
    path = animated_gif(make_exercise(), str(tmp_path / "small.gif"), width=240, height=200, fps=6)
    with Image.open(path) as im:
        assert im.size == (240, 200)


def test_gif_frames_differ_while_the_leg_moves(tmp_path: Path) -> None:
    frames = frames_of(animated_gif(make_exercise(), tmp_path / "glide.gif"))
    first = frames[0]
    changed = [ImageChops.difference(first, f).getbbox() is not None for f in frames[1:]]
    assert sum(changed) >= 10
    distinct = {f.tobytes() for f in frames}
    assert len(distinct) >= 10


def test_gif_timing_adds_up_to_the_cycle(tmp_path: Path) -> None:
    path = animated_gif(make_exercise(), tmp_path / "glide.gif", fps=12)
    with Image.open(path) as im:
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(im)]
    assert sum(durations) == pytest.approx(5000, abs=10)
    # Held frames are merged, so the first frame (1 s start, still) lasts about a second.
    assert durations[0] >= 900
    assert all(d >= 80 for d in durations)


def test_frame_durations_average_1000_over_fps() -> None:
    twelve = frame_durations(12, 12)
    assert sum(twelve) == 1000
    assert set(twelve) == {80, 90}
    assert frame_durations(10, 10) == [100] * 10
    assert sum(frame_durations(75, 15)) == 5000


def _has_colour(
    image: Image.Image, colour: str, *, box: tuple[int, int, int, int] | None = None
) -> bool:
    region = image.crop(box) if box else image
    target = hex_rgb(colour)
    colours = region.getcolors(maxcolors=1 << 16) or []
    return any(rgb == target for _, rgb in colours)


def test_gif_uses_the_same_colours_as_the_svg() -> None:
    frames = render_frames(make_exercise(), fps=4)
    first = frames[0]
    assert first.getpixel((0, 0)) == hex_rgb(PALETTE.background)
    for colour in (PALETTE.leg, PALETTE.body, PALETTE.prop_line):
        assert _has_colour(first, colour), colour


def test_gif_draws_the_face_on_the_side_the_head_looks() -> None:
    exercise = make_exercise(neck=35)
    images = render_frames(exercise, fps=4, captions=False)
    sampling = sample(exercise.reference_motion, fps=4)
    fit = fit_for(sampling, 480, 360)
    looks: set[float] = set()
    for frame, image in zip(sampling.frames, images, strict=True):
        skel = frame.skeleton
        head, face = skel.head, skel.face
        # Halfway along the part of the nose outside the head's circle is ink; as far
        # behind the head there is nothing.
        k = (skel.head_radius + head.distance(face)) / 2 / head.distance(face)
        dx, dy = (face.x - head.x) * k, (face.y - head.y) * k
        for point, colour in (
            (head.shifted(dx, dy), PALETTE.body),
            (head.shifted(-dx, -dy), PALETTE.background),
        ):
            x, y = fit.px(point)
            assert image.getpixel((int(x), int(y))) == hex_rgb(colour), (frame.time, colour)
        looks.add(round(dy / k, 3))
    assert len(looks) > 3  # the nose turns down as the head drops


def test_gif_shows_the_current_phase_caption_at_the_bottom() -> None:
    with_text = render_frames(make_exercise(), fps=4)
    without = render_frames(make_exercise(), fps=4, captions=False)
    band = (0, 300, 480, 360)
    assert _has_colour(with_text[0], PALETTE.text, box=band)
    # The caption changes with the phase: the start frame and a frame in the raise differ.
    start, raising = with_text[0].crop(band), with_text[6].crop(band)
    assert ImageChops.difference(start, raising).getbbox() is not None
    assert ImageChops.difference(with_text[0], without[0]).getbbox() is not None


def test_the_real_glides_render_as_gifs(tmp_path: Path) -> None:
    from nerveglide.content.loader import default_library

    for exercise in default_library().exercises:
        path = animated_gif(exercise, tmp_path / f"{exercise.id}.gif", width=240, height=180, fps=4)
        with Image.open(path) as im:
            assert im.size == (240, 180)
            assert isinstance(im, GifImagePlugin.GifImageFile)
            assert im.n_frames > 5
