from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from nerveglide.content.schema import EXERCISE_IDS, Exercise
from nerveglide.demo.frames import PALETTE, contrast_ratio
from nerveglide.demo.svg import animated_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"


def _item(item_id: str, text: str) -> dict[str, Any]:
    return {"id": item_id, "text": text, "sources": [{"source": "test-source"}]}


def _pose(knee: float, *, hip: float = 90, trunk: float = 0, neck: float = 0) -> dict[str, Any]:
    other = (
        {"hip_flexion": 0, "knee_flexion": 0, "ankle_dorsiflexion": 0}
        if trunk == 90
        else {"hip_flexion": 90, "knee_flexion": 90, "ankle_dorsiflexion": 0}
    )
    return {
        "trunk_lean": trunk,
        "neck_flexion": neck,
        "leg": {"hip_flexion": hip, "knee_flexion": knee, "ankle_dorsiflexion": 0},
        "other_leg": other,
    }


def _phase(pid: str, kind: str, step: str, seconds: float, pose: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": pid,
        "kind": kind,
        "step": step,
        "cue": f"Cue for {pid} & <more>",
        "duration": {"seconds": seconds},
        "pose": pose,
    }


LONG_STEP = (
    "Slowly bring the leg forward, straightening it out in front of you, and bring your "
    "head up at the same time, keeping your back straight and your shoulders relaxed."
)


def make_exercise(support: str = "chair", *, name: str = "Seated leg kick") -> Exercise:
    if support == "chair":
        phases = [
            _phase("t.phase.start", "start", "t.step.sit", 1, _pose(90)),
            _phase("t.phase.back", "move", "t.step.back", 1.5, _pose(125, neck=35)),
            _phase("t.phase.forward", "move", "t.step.forward", 2, _pose(5, hip=95, neck=-10)),
            _phase("t.phase.hold", "hold", "t.step.forward", 1, _pose(5, hip=95, neck=-10)),
            _phase("t.phase.return", "return", "t.step.sit", 1.5, _pose(90)),
        ]
    else:
        phases = [
            _phase("t.phase.start", "start", "t.step.sit", 1, _pose(90, trunk=90)),
            _phase("t.phase.back", "move", "t.step.back", 2, _pose(0, hip=100, trunk=90)),
            _phase("t.phase.forward", "return", "t.step.forward", 2, _pose(90, trunk=90)),
        ]
    return Exercise.model_validate(
        {
            "id": "seated-leg-kick",
            "name": name,
            "summary": _item("t.summary", "A glide for the test."),
            "steps": [
                _item("t.step.sit", "Sit on a chair with your back straight."),
                _item("t.step.back", 'Kick the foot back & drop the head: "gently" <now>.'),
                _item("t.step.forward", LONG_STEP),
            ],
            "doses": [_item("t.dose", "Ten times.")],
            "reference_motion": {
                "support": support,
                "primary_joint": "knee_flexion",
                "phases": phases,
            },
        }
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def line(root: ET.Element, bone: str) -> ET.Element:
    for el in root.iter(f"{SVG}line"):
        if bone in el.get("class", "").split():
            return el
    raise AssertionError(f"no line for {bone}")


def animations(el: ET.Element) -> dict[str, list[str]]:
    return {
        a.attrib["attributeName"]: a.attrib["values"].split(";") for a in el.iter(f"{SVG}animate")
    }


def test_svg_parses_with_an_accessible_name_and_description() -> None:
    root = parse(animated_svg(make_exercise(), leg_side="left"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 480 360"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None
    assert desc is not None
    assert title.text == "Seated leg kick: animated demonstration"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert "left leg" in (desc.text or "")
    assert "right leg" in (animated_svg(make_exercise()).split("</desc>")[0])


def test_svg_id_defaults_to_the_exercise_and_can_be_set() -> None:
    assert parse(animated_svg(make_exercise())).get("id") == "glide-seated-leg-kick"
    root = parse(animated_svg(make_exercise(), id="demo-2"))
    assert root.get("id") == "demo-2"
    title = root.find("svg:title", NS)
    assert title is not None
    assert title.get("id") == "demo-2-title"


def test_svg_escapes_text() -> None:
    root = parse(animated_svg(make_exercise(name='Kick <"fast"> & slow')))
    title = root.find("svg:title", NS)
    assert title is not None
    assert title.text == 'Kick <"fast"> & slow: animated demonstration'
    captions = list(root.iter(f"{SVG}text"))
    joined = " ".join("".join(t.itertext()) for t in captions)
    assert 'Kick the foot back & drop the head: "gently" <now>.' in joined


def test_root_carries_the_cycle_and_phase_timing_for_the_page() -> None:
    exercise = make_exercise()
    root = parse(animated_svg(exercise))
    assert float(root.get("data-cycle-seconds", "")) == pytest.approx(7.0)
    phases = json.loads(root.get("data-phases", ""))
    motion = exercise.reference_motion
    assert [p["id"] for p in phases] == [p.id for p in motion.phases]
    assert [p["kind"] for p in phases] == [p.kind for p in motion.phases]
    assert [p["step"] for p in phases] == [p.step for p in motion.phases]
    assert [p["cue"] for p in phases] == [p.cue for p in motion.phases]
    assert [(p["start"], p["end"]) for p in phases] == [
        (0, 1),
        (1, 2.5),
        (2.5, 4.5),
        (4.5, 5.5),
        (5.5, 7),
    ]


def test_durations_override_the_timing() -> None:
    root = parse(animated_svg(make_exercise(), durations={"t.phase.hold": 3}))
    assert float(root.get("data-cycle-seconds", "")) == pytest.approx(9.0)
    anim = line(root, "shank").find("svg:animate", NS)
    assert anim is not None
    assert anim.get("dur") == "9s"


def test_the_moving_leg_is_animated_frame_by_frame() -> None:
    root = parse(animated_svg(make_exercise(), fps=12))
    shank = line(root, "shank")
    anims = animations(shank)
    assert set(anims) == {"x1", "y1", "x2", "y2"}
    for attr, values in anims.items():
        assert len(values) == 7 * 12 + 1  # one a frame, then back to the first to loop
        assert values[0] == values[-1]
        assert len(set(values)) > (10 if attr in {"x2", "y2"} else 1)  # the ankle swings
        for v in values:
            assert re.fullmatch(r"-?\d+(\.\d)?", v), v  # rounded to 0.1 px
    for anim in shank.iter(f"{SVG}animate"):
        assert anim.get("repeatCount") == "indefinite"
        assert anim.get("calcMode") == "linear"
        assert anim.get("dur") == "7s"
    # The base attributes draw the first frame for viewers that do not animate.
    assert shank.get("x2") == anims["x2"][0]
    fewer = animations(line(parse(animated_svg(make_exercise(), fps=4)), "shank"))
    assert len(fewer["x2"]) == 7 * 4 + 1


def test_parts_that_do_not_move_are_not_animated() -> None:
    root = parse(animated_svg(make_exercise()))
    assert animations(line(root, "other_shank")) == {}
    assert animations(line(root, "trunk")) == {}
    head = root.find(".//svg:circle[@class='head']", NS)
    assert head is not None
    assert set(animations(head)) == {"cx", "cy"}  # the head drops and lifts
    lying = parse(animated_svg(make_exercise("floor")))
    assert animations(line(lying, "face")) == {}  # lying still, the face looks up
    face = line(lying, "face")
    assert float(face.get("y2", "")) < float(face.get("y1", "")) - 10
    assert face.get("x2") == face.get("x1")


def test_the_face_mark_is_animated_and_looks_where_the_head_turns() -> None:
    root = parse(animated_svg(make_exercise(), fps=12))
    figure = root.find(".//svg:g[@class='figure']", NS)
    head = root.find(".//svg:circle[@class='head']", NS)
    assert figure is not None
    assert head is not None
    face = line(root, "face")
    assert face.get("stroke") == PALETTE.body  # the figure's ink
    children = list(figure)
    assert children.index(face) == children.index(head) + 1  # drawn over the head
    anims, head_anims = animations(face), animations(head)
    assert set(anims) == {"x1", "y1", "x2", "y2"}
    assert len(set(anims["x2"])) > 10  # the nose moves from frame to frame in the kick
    assert len(set(anims["y2"])) > 10
    assert (anims["x1"], anims["y1"]) == (head_anims["cx"], head_anims["cy"])
    radius = float(head.get("r", ""))

    def look(frame: int) -> tuple[float, float, float]:
        """The nose from the centre of the head: length, and its angle below level."""
        dx = float(anims["x2"][frame]) - float(head_anims["cx"][frame])
        dy = float(anims["y2"][frame]) - float(head_anims["cy"][frame])  # pixels: y down
        return math.hypot(dx, dy), dx, math.degrees(math.atan2(dy, dx))

    # 12 frames a second: frame 0 sits upright, frame 30 (2.5 s) ends the kick back with
    # the head dropped 35 degrees, frame 54 (4.5 s) ends the kick forward with it up 10.
    for frame, below_level in ((0, 0.0), (30, 35.0), (54, -10.0)):
        length, dx, angle = look(frame)
        assert length > radius  # it sticks out of the head
        assert dx > 0  # on the front of the head
        assert angle == pytest.approx(below_level, abs=1.0), frame


def test_trunk_is_drawn_thicker_than_the_limbs_and_the_neck_thinner() -> None:
    root = parse(animated_svg(make_exercise()))

    def width(bone: str) -> float:
        return float(line(root, bone).get("stroke-width", ""))

    limbs = max(width(b) for b in ("thigh", "shank", "other_thigh", "upper_arm", "forearm"))
    assert width("trunk") > limbs
    assert width("neck") < width("trunk")


def test_bones_are_round_capped_and_the_legs_are_coloured() -> None:
    root = parse(animated_svg(make_exercise()))
    figure = root.find(".//svg:g[@class='figure']", NS)
    assert figure is not None
    assert figure.get("stroke-linecap") == "round"
    assert line(root, "thigh").get("stroke") == PALETTE.leg
    assert line(root, "other_thigh").get("stroke") == PALETTE.other_leg
    assert line(root, "trunk").get("stroke") == PALETTE.body
    classes = [el.get("class", "") for el in figure]
    assert classes.index("bone other_thigh") < classes.index("bone thigh")  # other leg behind


def test_colours_have_enough_contrast_on_white() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    root = parse(animated_svg(make_exercise()))
    strokes = {el.get("stroke") for el in root.iter() if el.get("stroke")}
    assert strokes
    for colour in strokes:
        assert contrast_ratio(str(colour), "#ffffff") >= 3.0, colour
    texts = root.find(".//svg:g[@class='captions']", NS)
    assert texts is not None
    assert contrast_ratio(texts.get("fill", ""), "#ffffff") >= 4.5
    assert contrast_ratio(PALETTE.leg, PALETTE.other_leg) > 1.0


def test_one_caption_per_phase_shown_only_during_its_phase() -> None:
    exercise = make_exercise()
    root = parse(animated_svg(exercise))
    captions = root.findall(".//svg:text[@class='caption']", NS)
    phases = exercise.reference_motion.phases
    assert [c.get("data-phase") for c in captions] == [p.id for p in phases]
    steps = {s.id: s.text for s in exercise.steps}
    for caption, ph in zip(captions, phases, strict=True):
        assert " ".join(t.text or "" for t in caption.findall("svg:tspan", NS)) == steps[ph.step]
    assert [c.get("opacity") for c in captions] == ["1", "0", "0", "0", "0"]
    cycle = 7.0
    spans = [(0, 1), (1, 2.5), (2.5, 4.5), (4.5, 5.5), (5.5, 7)]
    for caption, (start, end) in zip(captions, spans, strict=True):
        anim = caption.find("svg:animate", NS)
        assert anim is not None
        assert anim.get("attributeName") == "opacity"
        assert anim.get("calcMode") == "discrete"
        values = anim.attrib["values"].split(";")
        times = [float(k) for k in anim.attrib["keyTimes"].split(";")]
        assert times[0] == 0
        assert times == sorted(times)

        def visible(t: float, values: list[str] = values, times: list[float] = times) -> bool:
            current = values[0]
            for value, key in zip(values, times, strict=True):
                if t / cycle >= key - 1e-9:
                    current = value
            return current == "1"

        for t in (i * 0.05 + 0.01 for i in range(140)):
            assert visible(t) == (start <= t < end), (caption.get("data-phase"), t)


def test_long_captions_wrap_onto_several_lines() -> None:
    root = parse(animated_svg(make_exercise()))
    forward = root.find(".//svg:text[@data-phase='t.phase.forward']", NS)
    assert forward is not None
    tspans = forward.findall("svg:tspan", NS)
    assert len(tspans) >= 2
    ys = [float(t.get("y", "")) for t in tspans]
    assert ys == sorted(ys)
    assert len(set(ys)) == len(ys)
    for t in tspans:
        assert len(t.text or "") * 0.55 * 14 <= 480


def test_captions_can_be_left_out() -> None:
    root = parse(animated_svg(make_exercise(), captions=False))
    assert root.findall(".//svg:text", NS) == []


def _coordinates(root: ET.Element) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    figure = root.find(".//svg:g[@class='figure']", NS)
    assert figure is not None
    for el in figure:
        r = float(el.get("r", "0"))
        anims = animations(el)
        for attr, values in anims.items():
            (xs if "x" in attr else ys).extend(
                float(v) + sign * r for v in values for sign in (-1, 1)
            )
        for attr in ("x1", "x2", "cx", "y1", "y2", "cy"):
            if el.get(attr) is not None and attr not in anims:
                v = float(el.get(attr, ""))
                (xs if "x" in attr else ys).extend((v - r, v + r))
    return xs, ys


@pytest.mark.parametrize("support", ["chair", "floor"])
@pytest.mark.parametrize(("width", "height"), [(480, 360), (320, 320), (640, 300)])
def test_the_whole_figure_fits_the_picture_above_the_captions(
    support: str, width: int, height: int
) -> None:
    root = parse(animated_svg(make_exercise(support), width=width, height=height))
    xs, ys = _coordinates(root)
    assert min(xs) >= 0
    assert max(xs) <= width
    assert min(ys) >= 0
    top_caption = min(float(t.get("y", "")) for t in root.findall(".//svg:tspan", NS))
    assert max(ys) < top_caption - 10
    # The figure uses the space: it is not drawn tiny.
    assert max(xs) - min(xs) > 0.6 * width or max(ys) - min(ys) > 0.5 * (top_caption - 0)


def test_props_are_static() -> None:
    chair = parse(animated_svg(make_exercise("chair")))
    props = chair.find(".//svg:g[@class='props']", NS)
    assert props is not None
    assert list(props.iter(f"{SVG}animate")) == []
    names = {el.get("class") for el in props}
    assert {"seat", "chair_back_leg", "chair_front_leg", "floor"} <= names
    floor = parse(animated_svg(make_exercise("floor"))).find(".//svg:g[@class='props']", NS)
    assert floor is not None
    assert {el.get("class") for el in floor} == {"mat", "floor"}


def _real_exercises() -> list[Exercise]:
    from nerveglide.content.loader import default_library

    return list(default_library().exercises)


def test_the_real_glides_render() -> None:
    exercises = _real_exercises()
    assert sorted(e.id for e in exercises) == sorted(EXERCISE_IDS)
    for exercise in exercises:
        root = parse(animated_svg(exercise))
        phases = json.loads(root.get("data-phases", ""))
        assert len(phases) == len(exercise.reference_motion.phases)
        assert len(root.findall(".//svg:text[@class='caption']", NS)) == len(phases)
        xs, ys = _coordinates(root)
        assert min(xs) >= 0
        assert max(xs) <= 480
        assert min(ys) >= 0
        assert max(ys) <= 360
        primary = "shank" if exercise.reference_motion.primary_joint == "knee_flexion" else "thigh"
        assert animations(line(root, primary)), exercise.id
