"""An analysis as files: ``report.json`` (schema in ``docs/report-schema.md``), ``reps.csv``
and ``angles.csv``. Pure: builds text and dictionaries; the caller writes them.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

from nerveglide.motion.analysis import Analysis, Rep
from nerveglide.motion.angles import ANGLE_COLUMNS
from nerveglide.motion.reps import UNCERTAINTY_DEG

SCHEMA = "nerveglide.motion-report"
SCHEMA_VERSION = 1

UNCERTAINTY_SOURCE = (
    "Stenum J, Rossi C, Roemmich RT. Two-dimensional video-based analysis of human gait "
    "using pose estimation. PLoS Comput Biol 2021;17(4):e1008935. "
    "doi:10.1371/journal.pcbi.1008935 (mean absolute error against 3D motion capture, "
    "single side-on camera: hip 4.0, knee 5.6, ankle 7.4 degrees)"
)


def _num(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _joint_of(column: str) -> str:
    for joint in UNCERTAINTY_DEG:
        if column.startswith(joint):
            return joint
    return column


def rep_dict(rep: Rep) -> dict[str, Any]:
    joint = _joint_of(rep.joint)
    return {
        "index": rep.index,
        "leg": rep.leg,
        "joint": rep.joint,
        "complete": rep.complete,
        "start_s": _num(rep.start_s),
        "end_s": _num(rep.end_s),
        "peak_s": _num(rep.peak_s),
        "counted_s": _num(rep.counted_s),
        "hold_s": _num(rep.hold_s),
        "progress": _num(rep.progress, 3),
        "rest_deg": _num(rep.rest_deg, 1),
        "peak_deg": _num(rep.peak_deg, 1),
        "range_of_motion_deg": _num(rep.rom_deg, 1),
        "uncertainty_deg": UNCERTAINTY_DEG.get(joint),
        "peak_knee_extension_deg": _num(rep.knee_extension_peak_deg, 1),
        "peak_hip_flexion_deg": _num(rep.hip_flexion_peak_deg, 1),
        "peak_speed_deg_s": _num(rep.peak_speed_deg_s, 1),
        "phases": [
            {
                "name": p.name,
                "start_s": _num(p.start_s),
                "end_s": _num(p.end_s),
                "duration_s": _num(p.duration_s),
                "change_deg": _num(p.change_deg, 1),
                "mean_speed_deg_s": _num(p.speed_deg_s, 1),
            }
            for p in rep.phases
        ],
        "faults": rep.faults,
        "cues": [
            {
                "code": c.code,
                "kind": c.kind,
                "items": list(c.items),
                "text": c.text,
                "detail": c.detail,
                "t_s": _num(c.t),
            }
            for c in rep.cues
        ],
        "measures": {k: _num(v) for k, v in rep.measures.items()},
    }


def report_dict(
    analysis: Analysis,
    *,
    video: dict[str, Any],
    model: str,
    settings: dict[str, Any],
) -> dict[str, Any]:
    view = analysis.view
    spec = analysis.spec
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "video": video,
        "model": model,
        "exercise": {
            "glide": analysis.glide,
            "movement": analysis.movement,
            "joint": analysis.joint,
            "name": spec.name if spec else f"{analysis.movement} movement",
        },
        "settings": settings,
        "legs": list(analysis.legs),
        "leg_detected": analysis.leg_detected,
        "view": {
            "camera_side": view.camera_side,
            "oblique_deg": _num(view.oblique_deg, 1),
            "side_on": view.side_on,
            "posture": view.posture,
            "frames": view.frames,
            "person_frames": view.person_frames,
            "whole_body_in_frame": _num(view.in_frame_fraction, 3),
        },
        "calibration": {
            column: {"rest_deg": _num(c.rest, 1), "end_of_range_deg": _num(c.far, 1)}
            for column, c in analysis.calibration.items()
        },
        "uncertainty": {
            "deg": dict(UNCERTAINTY_DEG),
            "source": UNCERTAINTY_SOURCE,
        },
        "summary": {
            "repetitions": len(analysis.reps),
            "complete": analysis.complete_count,
            "incomplete": len(analysis.reps) - analysis.complete_count,
            "with_faults": sum(1 for r in analysis.reps if r.faults),
            "mean_hold_s": _num(
                float(np.mean([r.hold_s for r in analysis.reps])) if analysis.reps else None
            ),
        },
        "warnings": list(analysis.warnings),
        "repetitions": [rep_dict(r) for r in analysis.reps],
    }


REPS_COLUMNS = (
    "index",
    "leg",
    "joint",
    "complete",
    "start_s",
    "end_s",
    "peak_s",
    "hold_s",
    "range_of_motion_deg",
    "peak_deg",
    "peak_knee_extension_deg",
    "peak_hip_flexion_deg",
    "peak_speed_deg_s",
    "faults",
    "cues",
)


def reps_csv(analysis: Analysis) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPS_COLUMNS)
    for rep in analysis.reps:
        d = rep_dict(rep)
        d["complete"] = "true" if rep.complete else "false"
        d["faults"] = ";".join(rep.faults)
        d["cues"] = ";".join(c.code for c in rep.cues)
        writer.writerow(["" if d[c] is None else d[c] for c in REPS_COLUMNS])
    return out.getvalue()


def angles_csv(analysis: Analysis) -> str:
    """One row per analysed frame; degrees with one decimal; empty where unknown."""
    out = io.StringIO()
    out.write(",".join(("time_s", *ANGLE_COLUMNS)) + "\n")
    series = analysis.series
    for t, row in zip(series.t, series.angles, strict=True):
        cells = [f"{t:.4f}"] + ["" if not np.isfinite(v) else f"{v:.1f}" for v in row]
        out.write(",".join(cells) + "\n")
    return out.getvalue()
