"""The progress plots: titles in plain words, series told apart without colour, nothing
drawn that wasn't measured, and SVG that a strict Content-Security-Policy allows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from matplotlib.figure import Figure

from nerveglide.reports.plots import (
    ADHERENCE_TITLE,
    MOTION_TITLE,
    NO_CAMERA,
    NO_QUESTIONNAIRES,
    PAIN_TITLE,
    QUESTIONNAIRE_TITLE,
    REACH_TITLE,
    plot_figure,
    plot_svg,
    plots,
    rendering,
)
from tests.unit.reports.factories import make_report

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture(scope="module")
def report():
    return make_report(28, motion=True, questionnaires=True)


@pytest.fixture(scope="module")
def svgs(report):
    return {p.key: plot_svg(p, report) for p in plots(report)}


def test_every_plot_has_its_title(report):
    assert [p.title for p in plots(report)] == [
        PAIN_TITLE,
        ADHERENCE_TITLE,
        MOTION_TITLE,
        REACH_TITLE,
        QUESTIONNAIRE_TITLE,
    ]


def test_questionnaires_draw_one_panel_each_with_baseline_and_minimal_change(svgs):
    svg = svgs["questionnaires"]
    assert "RMDQ (lower is better)" in svg
    assert "STarT Back (lower is better)" in svg
    assert "Change that matters" in svg
    assert "Ostelo et al. 2008" in svg
    empty = make_report(7)
    plot = next(p for p in plots(empty) if p.key == "questionnaires")
    assert (plot.draw, plot.empty) == (None, NO_QUESTIONNAIRES)


def test_range_of_motion_is_not_drawn_without_camera_sessions():
    report = make_report(14, motion=False)
    motion = next(p for p in plots(report) if p.key == "motion")
    assert motion.draw is None
    assert motion.empty == NO_CAMERA
    assert plot_svg(motion, report) is None
    with rendering():
        assert plot_figure(motion, report) is None


@pytest.mark.parametrize("key", ["pain", "adherence", "motion", "reach", "questionnaires"])
def test_svg_has_no_inline_style_and_names_itself(svgs, key):
    text = svgs[key]
    assert "style=" not in text
    assert "<style" not in text
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") is None
    assert root.get("viewBox")
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text
    assert root.get("aria-labelledby") == f"{key}-title {key}-desc"
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert title.text in texts  # the title is also drawn, as real text


def test_svg_ids_are_unique_across_plots_and_every_reference_resolves(svgs):
    ids: list[str] = []
    references: list[str] = []
    for text in svgs.values():
        root = ET.fromstring(text)
        for element in root.iter():
            if "id" in element.attrib:
                ids.append(element.attrib["id"])
            href = element.get(XLINK_HREF)
            if href:
                references.append(href[1:])
            for value in element.attrib.values():
                references += re.findall(r"url\(#([^)]+)\)", value)
    assert len(ids) == len(set(ids))
    assert references
    assert set(references) <= set(ids)


def _styles(figure: Figure) -> list[tuple[object, object, object]]:
    return [
        (line.get_linestyle(), line.get_marker(), line.get_markerfacecolor())
        for ax in figure.axes
        for line in ax.get_lines()
        if not str(line.get_label()).startswith("_")
    ]


@pytest.mark.parametrize("days", [28, 365])
def test_pain_series_differ_by_line_style_or_marker_not_colour_alone(days):
    report = make_report(days)
    plot = next(p for p in plots(report) if p.key == "pain")
    with rendering():
        figure = plot_figure(plot, report)
    assert figure is not None
    styles = _styles(figure)
    labels = [
        str(line.get_label())
        for ax in figure.axes
        for line in ax.get_lines()
        if not str(line.get_label()).startswith("_")
    ]
    assert {"Diary", "Before sessions", "After sessions"} <= set(labels)
    assert len(set(styles)) == len(styles)
    assert all(ax.get_ylabel() for ax in figure.axes)


def test_motion_and_reach_tell_the_legs_apart_without_colour(report):
    for key in ("motion", "reach"):
        plot = next(p for p in plots(report) if p.key == key)
        with rendering():
            figure = plot_figure(plot, report)
        assert figure is not None
        styles = _styles(figure)
        assert len(styles) == 2
        assert styles[0][:2] != styles[1][:2]


def test_the_adherence_calendar_says_the_target_and_marks_stops(svgs, report):
    text = svgs["adherence"]
    assert "against the program's 3 a day" in text
    assert "3 of 3" in text
    assert "2/3" in text  # each cell's count, for a short period


def test_an_empty_period_says_so_instead_of_drawing_nothing():
    report = replace(make_report(7), sessions=(), diary=())
    svgs = {p.key: plot_svg(p, report) for p in plots(report)}
    assert "No pain ratings in this period" in (svgs["pain"] or "")
    assert "No diary entries in this period" in (svgs["reach"] or "")
