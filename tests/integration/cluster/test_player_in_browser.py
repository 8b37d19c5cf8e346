"""The session player (timer mode) in Debian's chromium, through nginx, when an app
instance is killed with SIGKILL in the middle of the set (after the third repetition):
the page saves each repetition as it is done, and the requests after the kill go to the
other instance (nginx passes a request on when an instance refuses the connection). The
person sees nothing of it: the count goes on, the session ends and its answers are
saved, each repetition once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, expect

from tests.cluster import Cluster
from tests.e2e.conftest import MOBILE, watch
from tests.e2e.test_session_player import RAISE  # ten 2 s repetitions, 1 s rest
from tests.integration.cluster.conftest import Api

pytestmark = pytest.mark.e2e


def test_the_player_goes_on_through_the_other_instance(
    healthy: Cluster, patients: Callable[[], Api], browser: Browser
):
    cluster = healthy
    api = patients()
    api.screen()
    api.ok("PUT", "/api/program", {"affected_leg": "left", "glides": [RAISE]})
    name, _, value = api.cookie.partition("=")
    context = browser.new_context(viewport=MOBILE)
    context.add_cookies(
        [{"name": name, "value": value, "url": cluster.url, "httpOnly": True, "sameSite": "Lax"}]
    )
    seen = watch(context)
    page = context.new_page()
    page.goto(f"{cluster.url}/session")
    page.locator('input[name="pain_back"][value="3"]').check()
    page.locator('input[name="pain_leg"][value="5"]').check()
    page.get_by_role("button", name="Start the session").click()
    page.wait_for_url("**/session/*")
    session_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("button", name="Start").click()
    count = page.locator('[data-count="seated-leg-raise|left"]')
    expect(count).to_contain_text("3 of 10", timeout=30_000)

    victim, survivor = sorted(cluster.instances())
    cluster.kill(victim)

    expect(page.locator("#after")).to_be_visible(timeout=60_000)
    expect(count).to_contain_text("10 of 10")
    page.locator('input[name="after_back"][value="2"]').check()
    page.locator('input[name="after_leg"][value="4"]').check()
    page.locator('input[name="worse"][value="no"]').check()
    page.locator('input[name="spread"][value="no"]').check()
    page.locator("#after-form").get_by_role("button", name="Save").click()
    expect(page.locator("#summary-counts")).to_contain_text("left leg: 10 repetitions")
    context.close()

    assert seen.console_errors == []
    assert seen.foreign_requests == []
    saved = cluster.sql(
        "SELECT set_no, rep_no, attempt FROM session_repetition WHERE session_id = %s "
        "ORDER BY rep_no",
        session_id,
    )
    assert saved == [(1, n, 1) for n in range(1, 11)]  # each once
    [(status, after_leg)] = cluster.sql(
        "SELECT status, pain_after_leg FROM exercise_session WHERE id = %s", session_id
    )
    assert (status, after_leg) == ("completed", 4)
    # After the kill, the session's requests were answered by the survivor, and by it only.
    survivor_address = f"127.0.0.1:{cluster.instances()[survivor]['port']}"
    victim_address = f"127.0.0.1:{cluster.instances()[victim]['port']}"
    lines = [
        line
        for line in cluster.log_lines("nginx-access")
        if session_id in str(line.get("path", ""))
    ]
    answered_by = [str(line["upstream"]).split(",")[-1].strip() for line in lines]
    assert survivor_address in answered_by
    assert answered_by[-1] == survivor_address  # the finish and the answers after it
    assert all(200 <= int(line["status"]) < 400 for line in lines)
    assert victim_address not in answered_by[-3:]
    assert not cluster.alive(victim)
