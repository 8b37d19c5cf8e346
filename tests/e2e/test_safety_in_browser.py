"""Safety in Debian's chromium: the screening before a first session, and a cauda equina
"yes" that shows the emergency screen and blocks /session by every way in."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import MOBILE, Server, auth_headers, patient_context, watch
from tests.e2e.test_session_player import RAISE


def put_program_only(server: Server) -> None:
    request = urllib.request.Request(
        f"{server.url}/api/program",
        data=json.dumps({"affected_leg": "left", "glides": [RAISE]}).encode(),
        headers={"Content-Type": "application/json", **auth_headers(server.url)},
        method="PUT",
    )
    urllib.request.urlopen(request).close()


def test_a_cauda_equina_yes_shows_the_emergency_screen_and_blocks_sessions(
    browser: Browser, fast_server: Server, output_dir
):
    put_program_only(fast_server)
    context = patient_context(browser, fast_server.url, viewport=MOBILE)
    seen = watch(context)
    page = context.new_page()
    page.goto(f"{fast_server.url}/session")
    page.wait_for_url("**/screening?next=/session")
    questions = page.locator("fieldset.question")
    count = questions.count()
    assert count == 10
    for index in range(count):
        value = "yes" if index == 0 else "no"
        questions.nth(index).locator(f'input[value="{value}"]').check()
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url("**/safety/emergency")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Call 999 or go to an emergency department now"
    )
    expect(page.locator(".safety-banner.tier-emergency")).to_be_visible()
    page.screenshot(path=str(output_dir / "safety-emergency-mobile.png"), full_page=True)

    page.goto(f"{fast_server.url}/session")  # by its URL
    page.wait_for_url("**/safety/emergency")
    page.goto(f"{fast_server.url}/")
    expect(page.locator(".safety-banner.tier-emergency")).to_contain_text("Call 999")
    page.get_by_role("link", name="Why am I seeing this?").click()
    page.wait_for_url("**/safety/emergency")
    context.close()
    assert seen.console_errors == []

    request = urllib.request.Request(  # and by the API
        f"{fast_server.url}/api/sessions",
        data=json.dumps({"pain_before": {"back": 1, "leg": 1}}).encode(),
        headers={"Content-Type": "application/json", **auth_headers(fast_server.url)},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    refused.value.close()


def test_answering_no_to_everything_leads_on_to_the_session(browser: Browser, fast_server: Server):
    put_program_only(fast_server)
    page = patient_context(browser, fast_server.url, viewport=MOBILE).new_page()
    page.goto(f"{fast_server.url}/session")
    page.wait_for_url("**/screening?next=/session")
    page.get_by_role("button", name="Save my answers").click()  # nothing answered
    assert page.evaluate("document.querySelector('input:invalid') !== null")
    for radio in page.locator('input[value="no"]').all():
        radio.check()
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url("**/session")
    expect(page.get_by_role("button", name="Start the session")).to_be_visible()
