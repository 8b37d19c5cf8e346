"""How fast the camera page finds the pose, per model, in Debian's chromium.

For each model (default: lite and full), starts the app with that model, opens the
camera coach in headless chromium with its camera fed from a rendered clip (converted to
.y4m with ffmpeg at 10 pictures a second, as in tests/e2e/test_live_coach.py), runs it for
``--seconds`` and prints what the page measured: pictures the pose model took a second,
the median and 95th percentile time a picture, how many camera pictures it skipped to stay
on the newest one, and the landmark frames it sent.

Prints figures; asserts nothing.
Run: .venv/bin/python -m bench.live_browser [--models lite full heavy] [--seconds S]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    REPO,
    patient_context,
    start_server,
    stop_server,
)
from tests.e2e.test_live_coach import CLIP, FPS, RAISE_RIGHT, begin_with_camera
from tests.e2e.test_session_player import put_program


def camera_file(folder: Path, seconds: float) -> Path:
    out = folder / "camera.y4m"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y", "-i", str(CLIP),
            "-vf", f"fps={FPS},scale=480:270,tpad=start_duration=10:start_mode=clone",
            "-t", str(seconds + 40), "-pix_fmt", "yuv420p", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def measure(model: str, video: Path, seconds: float, folder: Path) -> str:
    data = folder / model
    data.mkdir()
    server = start_server(
        data,
        NERVEGLIDE_POSE_MODEL=model,
        NERVEGLIDE_POSE_ASSETS_DIR=str(REPO / "node_modules" / "@mediapipe" / "pose"),
    )
    try:
        put_program(server, [RAISE_RIGHT], affected="right")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
            )
            context = patient_context(  # the server's registered patient, logged in
                browser, server.url, viewport=DESKTOP, permissions=["camera"]
            )
            page = context.new_page()
            begin_with_camera(page, server)
            page.get_by_role("button", name="Turn on the camera").click()
            expect(page.locator("#camera")).to_have_attribute("data-camera", "on", timeout=90_000)
            page.wait_for_function(
                "() => window.nerveglideCoachStats.processed > 0", timeout=90_000
            )
            page.wait_for_timeout(seconds * 1000)
            stats = page.evaluate("window.nerveglideCoachStats")
            elapsed = page.evaluate(
                "(performance.now() - window.nerveglideCoachStats.started) / 1000"
            )
            browser.close()
    finally:
        stop_server(server)
    ms = sorted(stats["poseMs"])
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (
        f"{model:>5}: {stats['processed'] / elapsed:5.1f} pictures/s, "
        f"median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms a picture; "
        f"{stats['dropped']} of {stats['presented']} camera pictures skipped; "
        f"{stats['sent']} landmark frames sent in {elapsed:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["lite", "full"])
    parser.add_argument("--seconds", type=float, default=20.0, help="per model (max 120)")
    args = parser.parse_args()
    seconds = max(5.0, min(120.0, args.seconds))
    with tempfile.TemporaryDirectory(prefix="nerveglide-bench-browser-") as name:
        folder = Path(name)
        video = camera_file(folder, seconds)
        print(f"camera: {CLIP.name} at {FPS} pictures/s, 480x270; {seconds:g} s per model")
        for model in args.models:
            print(measure(model, video, seconds, folder), flush=True)


if __name__ == "__main__":
    main()
