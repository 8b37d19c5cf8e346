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
* the repetitions counted, and the machine's load average (other work shares the cores),
* taking a frame in, as the server does before ``feed`` (in process, without the
  network): the clip's frames as the page sends them (JSON, 4 decimals), each parsed and
  validated (``parse_message``) and made a ``Pose`` (``pose_from_frame``): p50 / p95 of
  each step and of both, wall clock and thread CPU.

``--intake-only`` skips the ``feed`` timing. Asserts nothing. Run:
.venv/bin/python -m bench.live_feed [--minutes 10] [--cache DIR] [--intake-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from pathlib import Path

from tests.integration.live.conftest import frame_message
from tests.shared_data import SHARED

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import Landmarks
from nerveglide.motion.live import LiveCoach, RepEvent, stream
from nerveglide.motion.pipeline import load_landmarks, save_landmarks
from nerveglide.motion.pose import Pose
from nerveglide.motion.spec import GlideSpec
from nerveglide.services.analysis import track_video
from nerveglide.services.live import pose_from_frame
from nerveglide.web.live_messages import FrameIn, parse_message

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


def time_feed(lm: Landmarks, seconds: float) -> None:
    frames = long_stream(lm, seconds)
    spec = GlideSpec.of(default_library().exercise(GLIDE))
    coach = LiveCoach(spec=spec)
    times: list[float] = []
    cpu: list[float] = []
    reps = 0
    for t, pose in frames:
        c0, t0 = time.thread_time(), time.perf_counter()
        events = coach.feed(pose, t)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        reps += sum(isinstance(e, RepEvent) for e in events)
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


def time_intake(lm: Landmarks, count: int) -> None:
    """Taking in ``count`` frame messages (the clip's frames as the page sends them,
    looped): parse and validate, then make the ``Pose``; each step timed."""
    texts = [json.dumps(frame_message(lm, i), separators=(",", ":")) for i in range(len(lm.t))]
    steps: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in ("parse_message", "pose_from_frame", "both")
    }
    for k in range(count):
        c0, t0 = time.thread_time(), time.perf_counter()
        message = parse_message(texts[k % len(texts)])
        c1, t1 = time.thread_time(), time.perf_counter()
        assert isinstance(message, FrameIn)
        pose_from_frame(message.t, message.w, message.h, message.lm, message.world)
        c2, t2 = time.thread_time(), time.perf_counter()
        for name, (wall_s, cpu_s) in (
            ("parse_message", (t1 - t0, c1 - c0)),
            ("pose_from_frame", (t2 - t1, c2 - c1)),
            ("both", (t2 - t0, c2 - c0)),
        ):
            steps[name][0].append(wall_s * 1000)
            steps[name][1].append(cpu_s * 1000)
    print(f"Taking in a frame message ({count} messages of {len(texts)} frames, looped):")
    for name, (wall, cpu) in steps.items():
        print(f" {name}:")
        print(summary("wall clock", wall))
        print(summary("thread CPU", cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="stream length (max 60)")
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep the tracked landmarks here between runs"
    )
    parser.add_argument("--intake-only", action="store_true", help="skip the feed timing")
    args = parser.parse_args()
    seconds = max(1.0, min(60.0, args.minutes)) * 60
    lm = landmarks(args.cache)
    load_before = os.getloadavg()
    if not args.intake_only:
        time_feed(lm, seconds)
    time_intake(lm, int(seconds * 30))
    load_after = os.getloadavg()
    print(
        f"  load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
