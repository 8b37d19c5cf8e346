"""The angles over time with the repetitions shaded, as a PNG (matplotlib, imported when
called, with the non-interactive Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nerveglide.motion.analysis import Analysis

_COLOURS = {
    "knee": "#1f77b4",
    "hip": "#2ca02c",
    "ankle": "#9467bd",
    "trunk_lean": "#ff7f0e",
    "neck_flexion": "#8c564b",
}


def plot_angles(analysis: Analysis, path: Path, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = analysis.series
    legs = list(analysis.legs) or ["left", "right"]
    leg = legs[0]
    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    try:
        for rep in analysis.reps:
            colour = "#c7e9c0" if rep.complete else "#fdd0a2"
            ax.axvspan(rep.start_s, rep.end_s, color=colour, alpha=0.6, lw=0)
            ax.text(
                (rep.start_s + rep.end_s) / 2,
                1.0,
                f"{rep.index}{'' if rep.complete else '*'}{' !' if rep.faults else ''}",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        for name, colour, style in (
            (f"knee_flexion_{leg}", _COLOURS["knee"], "-"),
            (f"hip_flexion_{leg}", _COLOURS["hip"], "-"),
            (f"ankle_dorsiflexion_{leg}", _COLOURS["ankle"], "-"),
            ("trunk_lean", _COLOURS["trunk_lean"], "--"),
            ("neck_flexion", _COLOURS["neck_flexion"], ":"),
        ):
            y = series.column(name)
            if np.isfinite(y).any():
                ax.plot(series.t, y, style, color=colour, lw=1.4, label=name.replace("_", " "))
        ax.set_xlabel("time (s)")
        ax.set_ylabel("degrees")
        ax.set_title(title, fontsize=11, pad=16)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8, ncol=3, framealpha=0.8)
        ax.set_xlim(float(series.t[0]), float(series.t[-1]) if len(series.t) > 1 else 1.0)
        fig.text(
            0.01,
            0.01,
            "green: complete repetition, orange: incomplete (*); ! = a form cue",
            fontsize=8,
            color="#555555",
        )
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
