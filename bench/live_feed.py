"""How long ``LiveCoach.feed`` takes per frame over a long stream, and whether it grows.

Replays a rendered clip's tracked landmarks (the longest glide clip, tracked once by the
offline pipeline) looped into one long stream (default 10 minutes at 30 frames a second,
each loop shifted on in time, so the coach sees a session of many sets), in process, and
prints:

* p50 / p95 / p99 of the time one ``feed`` call takes, over every frame (goal: p95 well
  under 1 ms),
* the same for the first and the last minute of the stream (a per-frame cost that grows
  with the session's length shows as a last minute slower than the first),
* the same as this thread's CPU time (``time.thread_time``): other work on the machine
  stretches the wall-clock figures (a frame pre-empted half-way), not these,
* the repetitions counted, and the machine's load average (other work shares the cores).

Asserts nothing. Run: .venv/bin/python -m bench.live_feed [--minutes 10] [--cache DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

from tests.shared_data import SHARED

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import Landmarks
from nerveglide.motion.live import LiveCoach, RepEvent, stream
from nerveglide.motion.pipeline import load_landmarks, save_landmarks
from nerveglide.motion.pose import Pose
from nerveglide.motion.spec import GlideSpec
from nerveglide.services.analysis import track_video

CLIP = SHARED / "data" / "synthetic" / "seated_raise_05.mp4"
GLIDE = "seated-leg-raise"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def landmarks(cache: Path | None) -> Landmarks:
    cached = cache / f"{CLIP.parent.name}__{CLIP.stem}.npz" if cache is not None else None
    if cached is not None and cached.exists():
        return load_landmarks(cached)
    _, lm = track_video(CLIP)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        save_landmarks(cached, lm)
    return lm


def long_stream(lm: Landmarks, seconds: float) -> list[tuple[float, Pose | None]]:
    """The clip looped until ``seconds``, each loop starting one frame after the last."""
    frames = list(stream(lm))
    step = float(lm.t[1] - lm.t[0]) if len(lm.t) > 1 else 1 / 30
    length = frames[-1][0] - frames[0][0] + step
    out: list[tuple[float, Pose | None]] = []
    loop = 0
    while True:
        shift = loop * length
        for t, pose in frames:
            t2 = t + shift
            if t2 > seconds:
                return out
            if pose is None:
                out.append((t2, None))
            else:
                out.append(
                    (t2, Pose(t2, pose.xy, pose.visibility, pose.world, pose.width, pose.height))
                )
        loop += 1


def summary(name: str, values: list[float]) -> str:
    return (
        f"  {name}: p50 {statistics.median(values):.3f} ms, p95 {percentile(values, 95):.3f} ms, "
        f"p99 {percentile(values, 99):.3f} ms, max {max(values):.2f} ms ({len(values)} frames)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="stream length (max 60)")
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep the tracked landmarks here between runs"
    )
    args = parser.parse_args()
    seconds = max(1.0, min(60.0, args.minutes)) * 60
    lm = landmarks(args.cache)
    frames = long_stream(lm, seconds)
    spec = GlideSpec.of(default_library().exercise(GLIDE))
    coach = LiveCoach(spec=spec)
    times: list[float] = []
    cpu: list[float] = []
    reps = 0
    load_before = os.getloadavg()
    for t, pose in frames:
        c0, t0 = time.thread_time(), time.perf_counter()
        events = coach.feed(pose, t)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        reps += sum(isinstance(e, RepEvent) for e in events)
    load_after = os.getloadavg()
    print(
        f"LiveCoach.feed over {CLIP.relative_to(SHARED)} looped to {seconds / 60:g} min "
        f"({len(frames)} frames, {reps} repetitions counted)"
    )
    for name, values in (("wall clock", times), ("thread CPU", cpu)):
        print(f" {name}:")
        print(summary("every frame", values))
        at = [t for t, _ in frames]
        end = at[-1] - 60.0
        print(summary("first minute", [x for t, x in zip(at, values, strict=True) if t < 60.0]))
        print(summary("last minute", [x for t, x in zip(at, values, strict=True) if t >= end]))
    print(
        f"  load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
