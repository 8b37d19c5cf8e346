"""The camera coach in Debian's chromium (its camera fed from a rendered clip), through
nginx, when the app instance holding its WebSocket is killed with SIGKILL: the page's
coach.js sees the connection end, reconnects by itself (with its backoff) through nginx
to the other instance, which goes on from the state saved at the last counted
repetition. The clip pauses after its third repetition, and the instance dies in that
pause: the fourth is counted too, and each repetition is saved once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.cluster import Cluster
from tests.e2e.conftest import DESKTOP, watch
from tests.e2e.test_live_coach import begin_coach_session, fake_camera, launch_with_camera
from tests.integration.cluster.conftest import RAISE, Api
from tests.shared_data import SHARED

pytestmark = pytest.mark.e2e

#: Seated leg raises of the left leg, filmed from the left: 4 repetitions, with a pause of
#: 4.4 s after the third.
CLIP = SHARED / "data" / "synthetic" / "seated_raise_01.mp4"


@pytest.fixture(scope="module")
def pausing_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_camera(CLIP, tmp_path_factory.mktemp("camera") / "seated_raise_01.y4m")


@pytest.fixture
def camera(playwright: Playwright, pausing_camera: Path) -> Iterator[Browser]:
    browser = launch_with_camera(playwright, pausing_camera)
    yield browser
    browser.close()


def open_coach_sockets(cluster: Cluster, account_id: int) -> dict[str, int]:
    """Per instance: the patient's /ws/coach connections accepted and not yet ended."""
    open_: dict[str, int] = {}
    for name in cluster.instances():
        lines = [
            line
            for line in cluster.log_lines(name)
            if line.get("path") == "/ws/coach" and line.get("account_id") == account_id
        ]
        accepted = sum(1 for line in lines if line["message"] == "websocket accepted")
        ended = sum(1 for line in lines if line["message"] == "websocket closed")
        open_[name] = accepted - ended
    return open_


def test_the_page_reconnects_to_the_other_instance_and_the_count_goes_on(
    healthy: Cluster, patients: Callable[[], Api], camera: Browser
):
    cluster = healthy
    truth = json.loads(CLIP.with_suffix(".json").read_text())
    assert truth["leg"] == "left"
    assert len(truth["reps"]) == 4
    api = patients()
    api.screen()
    api.ok("PUT", "/api/program", {"affected_leg": "left", "glides": [RAISE]})
    [(patient_id,)] = cluster.sql("SELECT id FROM account WHERE email = %s", api.email)
    name, _, value = api.cookie.partition("=")
    context = camera.new_context(viewport=DESKTOP, permissions=["camera"])
    context.add_cookies(
        [{"name": name, "value": value, "url": cluster.url, "httpOnly": True, "sameSite": "Lax"}]
    )
    seen = watch(context)
    page = context.new_page()
    session_id = begin_coach_session(page, cluster.url)
    page.get_by_role("button", name="Turn on the camera").click()
    expect(page.locator("#camera")).to_have_attribute("data-setup", "done", timeout=90_000)
    count = page.locator('[data-count="seated-leg-raise|left"]')
    expect(count).to_contain_text("3 of 10", timeout=120_000)

    # The third repetition is counted: the clip pauses. The instance holding the page's
    # WebSocket dies.
    holding = open_coach_sockets(cluster, patient_id)
    [victim] = [name for name, n in holding.items() if n == 1]
    cluster.kill(victim)

    expect(count).to_contain_text("4 of 10", timeout=120_000)
    page.wait_for_timeout(3_000)  # the still pictures after the clip add nothing
    expect(count).to_contain_text("4 of 10")
    stats: dict[str, Any] = page.evaluate("window.nerveglideCoachStats")
    events: list[dict[str, Any]] = page.evaluate("window.nerveglideCoachEvents")
    context.close()

    assert stats["reconnects"] >= 1
    [survivor] = [name for name in cluster.instances() if name != victim]
    assert any(
        line.get("account_id") == patient_id and line["message"] == "websocket accepted"
        for line in cluster.log_lines(survivor)
    )
    readies = [e for e in events if e["type"] == "ready"]
    assert len(readies) >= 2  # the first connection, and one after the kill
    assert [r["rep_no"] for r in readies[-1]["repetitions"]][:3] == [1, 2, 3]
    counted = [e["rep_no"] for e in events if e["type"] == "rep" and e.get("saved")]
    assert counted == [1, 2, 3, 4]  # each acknowledged once, in order
    saved = cluster.sql(
        "SELECT set_no, rep_no, attempt, counted_by FROM session_repetition "
        "WHERE session_id = %s ORDER BY rep_no",
        session_id,
    )
    assert saved == [(1, n, 1, "camera") for n in range(1, 5)]
    assert seen.foreign_requests == []
    assert seen.console_errors == []
    print(
        f"reconnects: {stats['reconnects']}; pose {stats['model']}, "
        f"{stats['sent']} landmark frames sent"
    )
