"""The reminders page in a real browser: times and an email address saved through the
form, a calendar address made and shown once, the home page saying a session is due, and
axe-core finding no serious violation on either page in those states."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    MOBILE,
    REPO,
    Server,
    patient_context,
    start_server,
    stop_server,
    watch,
)

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    running = start_server(tmp_path)
    yield running
    stop_server(running)


def serious_violations(page: Page) -> list[dict[str, object]]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in results if v["impact"] in ("serious", "critical")]


def test_set_reminders_make_a_feed_and_see_the_session_due(
    browser: Browser, own_server: Server, output_dir: Path
):
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: `make test` runs npm ci")
    context = patient_context(browser, own_server.url, viewport=MOBILE, bypass_csp=True)
    seen = watch(context)
    page = context.new_page()
    page.goto(f"{own_server.url}/reminders", wait_until="networkidle")
    now = datetime.now(UTC)  # the server's time zone is UTC
    page.get_by_label("Time 1").fill(f"{now:%H:%M}")
    page.get_by_label("Email address for reminders").fill("person@example.org")
    page.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_role("status")).to_contain_text("Your reminder settings are saved.")
    expect(page.get_by_label("Time 1")).to_have_value(f"{now:%H:%M}")

    page.get_by_role("button", name="Make a new calendar address").click()
    address = page.get_by_role("textbox", name="Calendar address")
    value = address.input_value()
    assert "/reminders/calendar/" in value
    assert value.endswith(".ics")
    assert serious_violations(page) == [], json.dumps(serious_violations(page), indent=1)
    page.screenshot(path=str(output_dir / "reminders-feed.png"), full_page=True)

    page.goto(f"{own_server.url}/", wait_until="networkidle")
    expect(page.get_by_role("heading", name="You have a session due now")).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    page.screenshot(path=str(output_dir / "home-session-due.png"), full_page=True)
    context.close()
    assert seen.console_errors == []
    assert seen.foreign_requests == []
