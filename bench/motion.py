"""How fast the motion coach is, per video in ``../shared/data``, in one run.

For each clip, one pass through the real pipeline, as ``nerveglide analyze`` runs it: the
clip cut into one part per core (``video.split``), each part decoded on its own thread and
tracked by its own BlazePose (tracking mode) with the tracker's bookkeeping and
second-person checks, the tracks joined, then the analysis (angles, filter, repetitions,
cues), timing each stage inside that same pass:

* bare fps: frames / (decode + pose): from the start (probe, cut, model loading) to the
  last pose of the slowest part, less any second-person search made before it (they are
  made after it, with the tracking model): the floor any pipeline on this model and these
  cores pays,
* pipeline fps: frames / (everything, the analysis at the end included),
* overhead: pipeline time / bare time - 1 (goal: at most 5 %),
* real-time factor: the clip's duration / pipeline time (goal: 1.3x for a 30 fps clip,
  on 2 cores, every frame analysed),
* latency: when each repetition was counted minus when it ended (its label), in clip
  time; the state machine is causal, so a live camera adds only a frame's processing,
* CPU: the process's CPU time per frame (all its threads, decoding included) and the
  real-time factor one core alone would allow. The machine is shared: when other work
  holds the cores, wall-clock figures fall while CPU time stays closer to what the
  pipeline itself costs; the load averages before and after the run say how loaded it was.

Writing the outputs (plot, annotated video) is timed apart: it is not the analysis.
Prints figures; asserts nothing. Run: .venv/bin/python -m bench.motion [--only TEXT]
[--parts N] (default: one part per core, as ``analyze`` does)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np
from tests.shared_data import SHARED

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import Analysis, analyse
from nerveglide.motion.errors import UnusableClip
from nerveglide.motion.mediapipe_runner import MediaPipePoseSource
from nerveglide.motion.pose import Pose
from nerveglide.motion.source import Image
from nerveglide.motion.spec import GlideSpec
from nerveglide.services.analysis import track_video

DATA = SHARED / "data"


class Timed:
    """A PoseSource that times the model's calls."""

    def __init__(self, source: MediaPipePoseSource) -> None:
        self.source = source
        self.name = source.name
        self.others_s = 0.0
        self.last_pose_at = 0.0
        """When the last pose came, less the second-person searches made before it."""

    def detect(self, image: Image, t: float) -> Pose | None:
        try:
            return self.source.detect(image, t)
        finally:
            self.last_pose_at = time.perf_counter() - self.others_s

    def others(self, image: Image, known: Pose) -> int:
        start = time.perf_counter()
        try:
            return self.source.others(image, known)
        finally:
            self.others_s += time.perf_counter() - start

    def close(self) -> None:
        self.source.close()


def labels_for(video: Path) -> tuple[dict[str, object], list[dict[str, float]]]:
    """How to analyse the clip, and its labelled repetitions."""
    if video.parent.name == "real":
        label = json.loads((video.parent / "labels.json").read_text())["videos"][video.name]
        return {"movement": label["movement"]}, label.get("reps", [])
    label = json.loads(video.with_suffix(".json").read_text())
    spec = GlideSpec.of(default_library().exercise(label["glide"]))
    return {"spec": spec}, label["reps"]


def latencies(analysis: Analysis | None, truth: list[dict[str, float]]) -> list[float]:
    if analysis is None:
        return []
    out = []
    for label in truth:
        best = max(
            analysis.reps,
            key=lambda r: min(label["end_s"], r.end_s) - max(label["start_s"], r.start_s),
            default=None,
        )
        if best is not None and min(label["end_s"], best.end_s) > max(
            label["start_s"], best.start_s
        ):
            out.append(best.counted_s - label["end_s"])
    return out


def _cpu_s() -> float:
    """CPU time of this process so far (all threads), seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(video: Path, parts: int | None) -> dict[str, float | str]:
    timed: list[Timed] = []

    def make() -> Timed:
        timed.append(Timed(MediaPipePoseSource()))
        return timed[-1]

    cpu_start = _cpu_s()
    start = time.perf_counter()
    info, landmarks = track_video(video, sources=make, parts=parts)
    loop_s = time.perf_counter() - start
    cpu_s = _cpu_s() - cpu_start
    count = len(landmarks.t)
    how, truth = labels_for(video)
    t0 = time.perf_counter()
    try:
        analysed = analyse(landmarks, **how)  # type: ignore[arg-type]
        result: Analysis | None = analysed
        outcome = f"{analysed.complete_count} reps"
    except UnusableClip as exc:
        result, outcome = None, type(exc).__name__
    analyse_s = time.perf_counter() - t0
    bare_s = max(part.last_pose_at - start for part in timed)
    pipeline_s = loop_s + analyse_s
    lat = latencies(result, truth)
    return {
        "frames": count,
        "fps_video": info.fps,
        "duration_s": info.duration_s,
        "bare_fps": count / bare_s,
        "pipeline_fps": count / pipeline_s,
        "overhead": pipeline_s / bare_s - 1.0,
        "realtime": info.duration_s / pipeline_s,
        "cpu_ms": 1000 * cpu_s / max(count, 1),
        "realtime_cpu": info.duration_s / (cpu_s + analyse_s) if cpu_s > 0 else float("nan"),
        "latency_median": statistics.median(lat) if lat else float("nan"),
        "latency_max": max(lat) if lat else float("nan"),
        "size": f"{info.width}x{info.height}",
        "parts": len(timed),
        "outcome": outcome,
    }


def _load() -> str:
    """The 1, 5 and 15 minute load averages (2 cores here)."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="only clips whose path contains this")
    parser.add_argument(
        "--parts", type=int, default=None, help="parts tracked at once (default: one per core)"
    )
    args = parser.parse_args()
    videos = [
        v
        for folder in ("synthetic", "synthetic-hard", "real")
        for v in sorted((DATA / folder).glob("*.mp4"))
        if args.only in str(v)
    ]
    print(f"load averages at the start: {_load()}")
    print(
        f"{'clip':40s} {'size':>9s} {'fps':>4s} {'frames':>6s} {'parts':>5s} {'bare fps':>9s} "
        f"{'pipe fps':>9s} {'overhead':>9s} {'x real':>7s} {'cpu ms/f':>8s} {'x 1 core':>8s} "
        f"{'latency med/max s':>18s}  result"
    )
    rows = []
    for video in videos:
        row = measure(video, args.parts)
        rows.append(row)
        print(
            f"{video.parent.name + '/' + video.name:40s} {row['size']:>9s} "
            f"{row['fps_video']:4.0f} {row['frames']:6d} {row['parts']:5d} {row['bare_fps']:9.1f} "
            f"{row['pipeline_fps']:9.1f} {row['overhead']:9.1%} {row['realtime']:6.2f}x "
            f"{row['cpu_ms']:8.1f} {row['realtime_cpu']:7.2f}x "
            f"{row['latency_median']:+8.2f}/{row['latency_max']:+6.2f}  {row['outcome']}",
            flush=True,
        )
    if not rows:
        print("no clips matched")
        return
    overhead = [float(r["overhead"]) for r in rows]
    at30 = [float(r["realtime"]) for r in rows if abs(float(r["fps_video"]) - 30) < 1]
    lat = [float(r["latency_max"]) for r in rows if np.isfinite(float(r["latency_max"]))]
    print(f"\nAgainst the goals of issue 5 (one run, this machine, load {_load()}):")
    print(
        f"  overhead over bare decode + pose: median {statistics.median(overhead):.1%}, "
        f"max {max(overhead):.1%} (goal: at most 5 %)"
    )
    if at30:
        by_cpu = [float(r["realtime_cpu"]) for r in rows if abs(float(r["fps_video"]) - 30) < 1]
        print(
            f"  real-time factor, 30 fps clips: median {statistics.median(at30):.2f}x, "
            f"min {min(at30):.2f}x (goal: at least 1.3x); one core's share, by CPU time: median "
            f"{statistics.median(by_cpu):.2f}x"
        )
    if lat:
        print(f"  rep counted after its labelled end: worst {max(lat):+.2f} s (goal: within 0.5 s)")


if __name__ == "__main__":
    main()
