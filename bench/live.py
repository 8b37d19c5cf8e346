"""How fast the live coach answers, over a real WebSocket on loopback.

Starts ``nerveglide serve`` (SQLite in a temporary folder), registers a patient (each
request and WebSocket handshake carries their login), makes one program and N
in-progress sessions, and runs N clients at once, each replaying a rendered clip's
landmark track (tracked once by the offline pipeline) at 30 frames a second over
``/ws/coach``, as the camera page sends it: the newest picture's landmarks, never waiting
for the server. Every event the server sends carries the time ``t`` of the frame that
caused it, so a client takes, for each frame that caused events, the time from sending it
to receiving its first event: queueing, validation, the motion coach, any repetition
saved, the reply. Prints:

* p50 / p95 / p99 of that time over every such frame of every client (goal: p95 under
  20 ms with 50 streams on 2 cores); with ``--ping``, each frame is followed by a ping and
  every frame is timed to its pong instead (twice the messages: the page sends no pings);
  and apart, the frames that counted a repetition (saved to the database before their
  events are sent) and the others,
* the server's CPU per stream (its process's CPU time over the run, per stream and per
  second), and per frame,
* in process, without the network: the server's own work per frame, split into taking
  the message in (parse and validate it, make a Pose) and the motion coach
  (``LiveCoach.feed``): p50 / p95 (goal: p95 under 1 ms for both),
* repetitions counted per client, to show the load did not change what was counted.

``bench/live_feed.py`` times ``LiveCoach.feed`` alone over a long stream (its growth
over a session).

The clients start spread over the clip's first two seconds (its rest before the first
repetition) and within a frame's interval, as people who did not start together: in step,
every stream's frames would arrive in the same millisecond and every repetition be saved
at the same moment.

``--workers N`` runs the server as N processes on the port (``nerveglide serve --workers``);
its CPU is then that of all of them.

Bounded: at most ``--clients`` streams (default 10) for at most ``--seconds`` (default 20).
Prints figures; asserts nothing. Run:
.venv/bin/python -m bench.live [--clients 50] [--workers 2] [--ping]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Login, register_patient
from tests.integration.live.conftest import CLIP, RAISE_RIGHT, frame_message
from tests.shared_data import SHARED

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import Landmarks
from nerveglide.motion.live import LiveCoach
from nerveglide.motion.pipeline import load_landmarks, save_landmarks
from nerveglide.motion.spec import GlideSpec
from nerveglide.services.analysis import track_video
from nerveglide.services.live import pose_from_frame
from nerveglide.web.live_messages import FrameIn, parse_message

FPS = 30.0
#: The clients start spread over this much of the clip: its rest before the first
#: repetition (the coach asks the person to start still, in the start position).
SPREAD_S = 2.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def track(cache: Path | None) -> Landmarks:
    if cache is not None and cache.exists():
        return load_landmarks(cache)
    _, lm = track_video(CLIP)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        save_landmarks(cache, lm)
    return lm


def cookie(login: Login) -> str:
    return f"{login.cookie_name}={login.cookie}"


def request(
    base: str, login: Login, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """An API call as the registered patient (their login cookie and CSRF token)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Cookie": cookie(login)}
    headers["X-CSRF-Token"] = login.csrf
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req) as response:
        return json.load(response)


def serve(data: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "NERVEGLIDE_DATA_DIR": str(data), "NERVEGLIDE_DATABASE_URL": ""}
    subprocess.run([sys.executable, "-m", "nerveglide", "db", "upgrade"], env=env, check=True)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (data / "server.log").open("w")
    argv = [sys.executable, "-m", "nerveglide", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*argv, "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).close()
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError((data / "server.log").read_text())


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of every process under it (``--workers``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = [
        int(c)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for c in (task / "children").read_text().split()
    ]
    return own + sum(cpu_seconds(c) for c in children)


async def client(
    base: str,
    login: Login,
    session: str,
    token: str,
    frames: list[str],
    seconds: float,
    ping: bool,
    delay: float = 0.0,
) -> tuple[list[float], int, tuple[list[float], list[float]]]:
    """One camera page: sends its frames at 30 a second, as the page does (the newest
    picture, never waiting for the server). Without ``ping``, the latency of each frame
    that caused an event (every event carries its frame's time ``t``) is taken when the
    first of its events arrives. With ``ping``, each frame is followed by a ping and the
    latency of every frame is taken at its pong (the page sends no pings: this doubles
    the messages the server takes in, and waits for each answer before the next frame)."""
    import bisect

    import websockets

    latencies: list[float] = []
    reps = 0
    url = base.replace("http://", "ws://") + "/ws/coach"
    headers = {"Cookie": cookie(login)}  # the handshake carries the login, as a browser's
    times = [float(json.loads(frame)["t"]) for frame in frames]
    sent_at: list[float] = []  # when frame k was sent
    answered: dict[int, float] = {}  # frame -> latency of its first event (ms)
    counted: set[int] = set()  # frames that counted a repetition
    async with websockets.connect(url, max_size=2**20, additional_headers=headers) as ws:
        hello = {
            "v": 1,
            "type": "hello",
            "session": session,
            "token": token,
            "exercise_id": RAISE_RIGHT["exercise_id"],
            "leg": "right",
        }
        await ws.send(json.dumps(hello))
        await ws.recv()  # ready
        await ws.recv()  # coaching

        def take(event: dict[str, Any]) -> None:
            nonlocal reps
            if event["type"] == "rep" and event.get("saved"):
                reps += 1
            t = event.get("t")
            if ping or not isinstance(t, (int, float)):
                return
            k = bisect.bisect_left(times, float(t) - 1e-6)
            if k < len(sent_at) and abs(times[k] - float(t)) < 1e-3:
                if k not in answered:
                    answered[k] = (time.perf_counter() - sent_at[k]) * 1000
                    latencies.append(answered[k])
                if event["type"] == "rep":
                    counted.add(k)

        async def events() -> None:
            async for raw in ws:
                take(json.loads(raw))

        reader = None if ping else asyncio.create_task(events())
        start = time.perf_counter() + delay
        for i, frame in enumerate(frames):
            due = start + i / FPS
            if due - start > seconds:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent_at.append(time.perf_counter())
            await ws.send(frame)
            if ping:
                await ws.send('{"v":1,"type":"ping"}')
                while True:
                    event = json.loads(await ws.recv())
                    take(event)
                    if event["type"] == "pong":
                        latencies.append((time.perf_counter() - sent_at[-1]) * 1000)
                        break
        if reader is not None:
            await asyncio.sleep(0.5)  # the last frames' events
            reader.cancel()
    return (
        latencies,
        reps,
        (
            [v for k, v in answered.items() if k in counted],
            [v for k, v in answered.items() if k not in counted],
        ),
    )


def in_process(frames: list[str]) -> tuple[list[float], list[float]]:
    """The server's own work per frame, without the network or the database: taking in
    the message (parse, validate, Pose) and the motion coach (``LiveCoach.feed``)."""
    spec = GlideSpec.of(default_library().exercise(str(RAISE_RIGHT["exercise_id"])))
    coach = LiveCoach(spec=spec, leg="right")
    intake, coaching = [], []
    for text in frames:
        t0 = time.perf_counter()
        message = parse_message(text)
        assert isinstance(message, FrameIn)
        pose = pose_from_frame(message.t, message.w, message.h, message.lm, message.world)
        t1 = time.perf_counter()
        coach.feed(pose, message.t)
        t2 = time.perf_counter()
        intake.append((t1 - t0) * 1000)
        coaching.append((t2 - t1) * 1000)
    return intake, coaching


async def run(clients: int, seconds: float, lm: Landmarks, ping: bool, workers: int) -> None:
    frames = [json.dumps(frame_message(lm, i), separators=(",", ":")) for i in range(len(lm.t))]
    with tempfile.TemporaryDirectory(prefix="nerveglide-bench-live-") as folder:
        process, base = serve(Path(folder), workers)
        try:
            database = f"sqlite:///{Path(folder) / 'nerveglide.db'}"
            login = register_patient(base, database, "bench.patient@example.org")
            program = {"affected_leg": "right", "glides": [RAISE_RIGHT]}
            request(base, login, "PUT", "/api/program", program)
            rules = request(base, login, "GET", "/api/safety/rules")
            answers = {q["id"]: "no" for q in rules["questions"]}
            request(base, login, "POST", "/api/screening", {"answers": answers})
            sessions = []
            pain = {"pain_before": {"back": 2, "leg": 3}}
            for _ in range(clients):
                s = request(base, login, "POST", "/api/sessions", pain)
                live = request(base, login, "POST", f"/api/sessions/{s['id']}/live")
                sessions.append((s["id"], live["token"]))
            cpu0, wall0 = cpu_seconds(process.pid), time.perf_counter()
            # People don't move in step: client k starts k/N of the way into the clip's
            # first SPREAD_S and k/N of a frame later, so that neither the frames nor the
            # counted repetitions (each saved to the database) all come at once.
            n = len(sessions)
            results = await asyncio.gather(
                *(
                    client(
                        base,
                        login,
                        sid,
                        tok,
                        frames[round(k / n * SPREAD_S * FPS) :],
                        seconds,
                        ping,
                        delay=k / n / FPS,
                    )
                    for k, (sid, tok) in enumerate(sessions)
                )
            )
            cpu = cpu_seconds(process.pid) - cpu0
            wall = time.perf_counter() - wall0
        except Exception:
            print((Path(folder) / "server.log").read_text()[-60000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            process.wait(timeout=10)
    latencies = [x for lat, _, _ in results for x in lat]
    counting = [x for _, _, (lat, _) in results for x in lat]
    others = [x for _, _, (_, lat) in results for x in lat]
    total = min(len(frames), int(seconds * FPS) + 1) * clients
    print(
        f"{clients} streams at {FPS:g} frames/s for {wall:.1f} s on loopback, "
        f"{workers} server process{'es' if workers > 1 else ''}: {total} frames"
    )
    what = (
        "frame sent -> the pong of the ping after it (every frame)"
        if ping
        else f"frame sent -> its first event received ({len(latencies)} frames caused events)"
    )
    print(
        f"  {what}: p50 {percentile(latencies, 50):.1f} ms, "
        f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms"
    )
    if counting:
        print(
            f"  of them, the {len(counting)} frames that counted a repetition (saved before "
            f"their events are sent): p50 {percentile(counting, 50):.1f} ms, "
            f"p95 {percentile(counting, 95):.1f} ms; the others: p50 "
            f"{percentile(others, 50):.1f} ms, p95 {percentile(others, 95):.1f} ms"
        )
    print(
        f"  server CPU: {cpu:.1f} s over {wall:.1f} s = {cpu / wall / clients * 100:.1f} % of a "
        f"core per stream, {cpu / max(total, 1) * 1000:.2f} ms per frame"
    )
    print(f"  repetitions counted per client: {sorted({r for _, r, _ in results})}")
    print(
        f"  load average (1 min) after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    intake, coaching = in_process(frames)
    total_ms = [a + b for a, b in zip(intake, coaching, strict=True)]
    for name, values in (
        ("message in (parse, validate, Pose)", intake),
        ("LiveCoach.feed", coaching),
        ("both", total_ms),
    ):
        print(
            f"  in process, {name}: p50 {statistics.median(values):.2f} ms, "
            f"p95 {percentile(values, 95):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10, help="concurrent streams (max 100)")
    parser.add_argument("--seconds", type=float, default=20.0, help="per stream (max 60)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the clip's tracked landmarks here (.npz) between runs",
    )
    parser.add_argument(
        "--ping",
        action="store_true",
        help="follow each frame with a ping and time every frame to its pong",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (nerveglide serve --workers)"
    )
    args = parser.parse_args()
    clients = max(1, min(100, args.clients))
    seconds = max(1.0, min(60.0, args.seconds))
    lm = track(args.cache)
    print(f"landmarks of {CLIP.relative_to(SHARED)}: {len(lm.t)} frames")
    asyncio.run(run(clients, seconds, lm, args.ping, max(1, min(8, args.workers))))


if __name__ == "__main__":
    main()
