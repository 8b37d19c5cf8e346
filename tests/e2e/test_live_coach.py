"""The camera coach in Debian's chromium, its camera fed from a rendered clip: the pose
model runs in the page (served by the app), only landmark messages go over the
WebSocket, the page counts the clip's labelled repetitions, the server saves them as
camera repetitions, and nothing is loaded from outside 127.0.0.1. Without a camera, the
session runs on the timer with a clear message."""

from __future__ import annotations

import json
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, WebSocket, expect

from nerveglide.web.live_messages import MAX_MESSAGE_BYTES
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    MOBILE,
    REPO,
    Server,
    patient_context,
    watch,
)
from tests.e2e.test_session_player import put_program, rows
from tests.shared_data import SHARED

CLIP = SHARED / "data" / "synthetic" / "seated_raise_02.mp4"
RAISE_RIGHT = {"exercise_id": "seated-leg-raise", "dose": "seated-leg-raise.dose.000", "reps": 10}
#: The fake camera plays the file in a loop. Still pictures before the clip cover the
#: pose model's loading and the set-up check; after it, the test is over before the loop
#: comes round. 10 pictures a second: more than the wasm pose model takes on 2 shared cores.
FPS = 10
LEAD_S = 10
TAIL_S = 40
SENT_TYPES = {"hello", "step", "frame", "ping"}


def fake_camera(clip: Path, out: Path) -> Path:
    """The clip as the raw .y4m file chromium's fake camera reads, made with ffmpeg."""
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y", "-i", str(clip),
            "-vf",
            f"fps={FPS},scale=480:270,tpad=start_duration={LEAD_S}:start_mode=clone:"
            f"stop_duration={TAIL_S}:stop_mode=clone",
            "-pix_fmt", "yuv420p", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def launch_with_camera(playwright: Playwright, camera: Path) -> Browser:
    """Debian's chromium whose camera plays ``camera`` (see :func:`fake_camera`)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ],
    )


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_camera(CLIP, tmp_path_factory.mktemp("camera") / "seated_raise_02.y4m")


@pytest.fixture
def camera_browser(playwright: Playwright, camera_file: Path) -> Iterator[Browser]:
    browser = launch_with_camera(playwright, camera_file)
    yield browser
    browser.close()


@pytest.fixture
def lite_server(tmp_path: Path) -> Iterator[Server]:
    from tests.e2e.conftest import start_server, stop_server

    running = start_server(
        tmp_path,
        NERVEGLIDE_POSE_MODEL="lite",
        NERVEGLIDE_POSE_ASSETS_DIR=str(REPO / "node_modules" / "@mediapipe" / "pose"),
    )
    yield running
    stop_server(running)


def begin_with_camera(page: Page, server: Server) -> str:
    return begin_coach_session(page, server.url)


def begin_coach_session(page: Page, base: str) -> str:
    """Start a session from /coach (pain 2 and 3); returns its id."""
    page.goto(f"{base}/coach")
    page.locator('input[name="pain_back"][value="2"]').check()
    page.locator('input[name="pain_leg"][value="3"]').check()
    page.get_by_role("button", name="Start the session").click()
    page.wait_for_url("**/coach/*")
    return page.url.rsplit("/", 1)[1]


def test_the_camera_coach_counts_a_clip_from_landmarks_alone(
    camera_browser: Browser, lite_server: Server
):
    truth = json.loads(CLIP.with_suffix(".json").read_text())
    assert truth["leg"] == "right"
    put_program(lite_server, [RAISE_RIGHT], affected="right")
    context = patient_context(
        camera_browser, lite_server.url, viewport=DESKTOP, permissions=["camera"]
    )
    seen = watch(context)
    page = context.new_page()
    sent: list[str | bytes] = []
    received: list[dict[str, Any]] = []

    def on_socket(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: sent.append(payload))
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", on_socket)
    session_id = begin_with_camera(page, lite_server)
    expect(page.get_by_label("Keep a video of this session")).not_to_be_checked()
    page.get_by_label("Keep a video of this session").check()
    page.get_by_role("button", name="Turn on the camera").click()
    expect(page.locator("#camera")).to_have_attribute("data-setup", "done", timeout=90_000)
    expect(page.locator("#camera")).to_have_attribute("data-recording", "on")
    count = page.locator('[data-count="seated-leg-raise|right"]')
    labelled = len(truth["reps"])
    expect(count).to_contain_text(f"{labelled} of 10", timeout=120_000)
    page.wait_for_timeout(5_000)  # the still pictures after the clip add nothing
    expect(count).to_contain_text(f"{labelled} of 10")
    stats = page.evaluate("window.nerveglideCoachStats")
    elapsed_s = page.evaluate("(performance.now() - window.nerveglideCoachStats.started) / 1000")
    page.screenshot(path=str(REPO / "test-output" / "screenshots" / "live-coach.png"))

    # The video the person asked to keep: uploaded to their server when the session ends,
    # listed, and deleted with its file.
    page.get_by_role("button", name="End session").click()
    videos = page.locator("#videos-list li")
    expect(videos).to_have_count(1, timeout=30_000)
    [(patient_id,)] = rows(lite_server, "SELECT id FROM account WHERE role = 'patient'")
    folder = lite_server.data_dir / "patients" / str(patient_id) / "recordings" / session_id
    kept = list(folder.glob("*.webm"))
    assert len(kept) == 1
    assert kept[0].stat().st_size > 10_000
    videos.get_by_role("button", name="Delete").click()
    expect(videos).to_have_count(0)
    assert list(folder.glob("*.webm")) == []
    context.close()

    pose_fps = stats["processed"] / elapsed_s
    print(
        f"browser pose ({stats['model']}): {pose_fps:.1f} frames/s, "
        f"median {statistics.median(stats['poseMs']):.0f} ms a frame, "
        f"{stats['dropped']} of {stats['presented']} camera frames skipped, "
        f"{stats['sent']} landmark frames sent, {stats['reconnects']} reconnects"
    )
    assert stats["model"] == "lite"

    # Only landmark messages went out: no picture, nothing over the bound.
    assert sent, "the page sent nothing"
    for payload in sent:
        assert isinstance(payload, str), "a binary frame was sent"
        assert len(payload.encode()) <= MAX_MESSAGE_BYTES
        message = json.loads(payload)
        assert message["type"] in SENT_TYPES
        assert "base64" not in payload
        assert "data:" not in payload
        if message["type"] == "frame":
            assert set(message) == {"v", "type", "t", "w", "h", "lm", "world"}
            assert message["lm"] is None or len(message["lm"]) == 33
    # (the page went on sending while the test read its counters)
    assert sum(1 for p in sent if json.loads(p)["type"] == "frame") >= stats["sent"] > 0

    # The events came back over the WebSocket, numbered in order.
    seqs = [e["seq"] for e in received if e.get("seq")]
    assert seqs == sorted(set(seqs))
    reps = [e for e in received if e["type"] == "rep" and e.get("saved")]
    assert [e["rep_no"] for e in reps] == list(range(1, labelled + 1))
    assert {e["type"] for e in received} >= {"ready", "coaching", "rep", "phase"}

    saved = rows(
        lite_server,
        f"SELECT rep_no, counted_by, range_deg, hold_s FROM session_repetition "
        f"WHERE session_id = '{session_id}' ORDER BY rep_no",
    )
    assert [r[0] for r in saved] == list(range(1, labelled + 1))
    assert all(r[1] == "camera" and r[2] is not None for r in saved)
    assert seen.foreign_requests == []
    assert seen.console_errors == []


def test_without_a_camera_the_session_runs_on_the_timer(browser: Browser, fast_server: Server):
    put_program(fast_server, [RAISE_RIGHT], affected="right")
    # No camera permission, no camera.
    context = patient_context(browser, fast_server.url, viewport=DESKTOP)
    seen = watch(context)
    page = context.new_page()
    begin_with_camera(page, fast_server)
    page.get_by_role("button", name="Turn on the camera").click()
    expect(page.locator("#c-status")).to_contain_text("runs on the timer instead")
    expect(page.locator("#player")).to_have_attribute("data-mode", "timer")
    page.get_by_role("button", name="Start").click()
    # The player's clock (20 times faster on this server) paces every repetition.
    expect(page.locator('[data-count="seated-leg-raise|right"]')).to_contain_text(
        "10 of 10", timeout=60_000
    )
    expect(page.locator("#after")).to_be_visible()
    context.close()
    assert seen.foreign_requests == []
    assert seen.console_errors == []


def test_the_camera_page_is_accessible(browser: Browser, fast_server: Server):
    put_program(fast_server, [RAISE_RIGHT], affected="right")
    context = patient_context(browser, fast_server.url, viewport=MOBILE, bypass_csp=True)
    page = context.new_page()  # axe is injected (bypass_csp)
    begin_with_camera(page, fast_server)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(REPO / "node_modules" / "axe-core" / "axe.min.js"))
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    context.close()
    serious = [v for v in results if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)
