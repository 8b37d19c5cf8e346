"""The session player in Debian's chromium, on a server whose clock runs 20x faster: the
phases in order, the counts per leg, a spoken cue per phase, the repetitions in the
database, "Stop: it hurts", and resuming after a reload."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime
from typing import Any

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import MOBILE, Server, auth_headers, patient_context, watch


def screen(server: Server, **answers: str) -> None:
    """Answer the red-flag questions through the API: "no" unless given."""
    with urllib.request.urlopen(f"{server.url}/api/safety/rules") as response:
        questions = [q["id"] for q in json.load(response)["questions"]]
    body = {"answers": {q: answers.get(q, "no") for q in questions}}
    request = urllib.request.Request(
        f"{server.url}/api/screening",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **auth_headers(server.url)},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def put_program(server: Server, glides: list[dict[str, Any]], affected: str = "left") -> None:
    request = urllib.request.Request(
        f"{server.url}/api/program",
        data=json.dumps({"affected_leg": affected, "glides": glides}).encode(),
        headers={"Content-Type": "application/json", **auth_headers(server.url)},
        method="PUT",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    screen(server)


def rows(server: Server, sql: str) -> list[Any]:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


RAISE = {
    "exercise_id": "seated-leg-raise",
    "dose": "seated-leg-raise.dose.000",
    "reps": 10,
    "pace_s": 2,
    "rest_between_reps_s": 1,
    "get_ready_s": 2,
}

RECORD_PHASES = """() => {
    // Every value data-step-index takes, even when two steps change within one task:
    // each mutation record keeps the value it replaced.
    window.phaseOld = [];
    const player = document.getElementById('player');
    new MutationObserver((records) => {
        for (const r of records) window.phaseOld.push(r.oldValue);
    }).observe(player, {attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-step-index']});
}"""
PHASES_SEEN = """() => window.phaseOld.slice(1).concat(
    [document.getElementById('player').getAttribute('data-step-index')])"""


def begin(page: Page, server: Server, back: str = "3", leg: str = "5") -> str:
    page.goto(f"{server.url}/session")
    page.locator(f'input[name="pain_back"][value="{back}"]').check()
    page.locator(f'input[name="pain_leg"][value="{leg}"]').check()
    page.get_by_role("button", name="Start the session").click()
    page.wait_for_url("**/session/*")
    return page.url.rsplit("/", 1)[1]


def answer_after(page: Page) -> None:
    page.locator('input[name="after_back"][value="2"]').check()
    page.locator('input[name="after_leg"][value="4"]').check()
    page.locator('input[name="worse"][value="no"]').check()
    page.locator('input[name="spread"][value="no"]').check()
    page.locator("#after-form").get_by_role("button", name="Save").click()
    expect(page.locator("#summary")).to_be_visible()


def saved_reps(server: Server, session_id: str, count: int) -> list[int]:
    """The session's saved repetition numbers in the order saved, once ``count`` or more
    are (a repetition is counted on the page, then saved), or after 10 s."""
    query = f"SELECT rep_no FROM session_repetition WHERE session_id = '{session_id}' ORDER BY id"
    deadline = time.monotonic() + 10
    while len(saved := rows(server, query)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [r[0] for r in saved]


def reached(page: Page, count: int) -> None:
    """Wait until the left leg's count is ``count`` or more. At 20 times the clock a
    repetition takes a few tenths of a second: the count is read on every animation frame
    (an expect() polls ever less often, up to once a second, and can miss a number)."""
    page.wait_for_function(
        """n => parseInt(document.querySelector('[data-count="seated-leg-raise|left"]')
                 .textContent.split(': ')[1], 10) >= n""",
        arg=count,
        polling="raf",
        timeout=20_000,
    )


def test_a_short_session_end_to_end(browser: Browser, fast_server: Server):
    put_program(fast_server, [RAISE])
    context = patient_context(browser, fast_server.url, viewport=MOBILE)
    seen = watch(context)
    page = context.new_page()
    session_id = begin(page, fast_server)
    timeline = json.loads(page.locator("#player-data").text_content() or "{}")["timeline"]
    page.evaluate(RECORD_PHASES)
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#after")).to_be_visible(timeout=20_000)

    indices = [int(value) for value in page.evaluate(PHASES_SEEN)]
    assert indices == [step["index"] for step in timeline], "phases out of order or missed"
    spoken = page.evaluate("window.nerveglideSpeech")
    assert spoken[: len(timeline)] == [step["cue"] for step in timeline]
    expect(page.locator('[data-count="seated-leg-raise|left"]')).to_contain_text("10 of 10")

    answer_after(page)
    expect(page.locator("#summary-counts")).to_contain_text("left leg: 10 repetitions")
    context.close()
    assert seen.console_errors == []
    assert seen.foreign_requests == []

    saved = rows(
        fast_server,
        "SELECT rep_no, started_at, ended_at FROM session_repetition "
        f"WHERE session_id = '{session_id}' ORDER BY rep_no",
    )
    assert [r[0] for r in saved] == list(range(1, 11))
    ends = [datetime.fromisoformat(str(r[2])) for r in saved]
    assert ends == sorted(ends)
    assert all(datetime.fromisoformat(str(r[1])) < datetime.fromisoformat(str(r[2])) for r in saved)
    session = rows(
        fast_server,
        "SELECT status, pain_before_back, pain_before_leg, pain_after_back, pain_after_leg, "
        f"felt_worse FROM exercise_session WHERE id = '{session_id}'",
    )
    assert tuple(session[0]) == ("completed", 3, 5, 2, 4, False)


def test_it_hurts_mid_set_is_saved_and_ends_the_session(browser: Browser, fast_server: Server):
    put_program(fast_server, [{**RAISE, "pace_s": 6, "rest_between_reps_s": 2}])
    page = patient_context(browser, fast_server.url, viewport=MOBILE).new_page()
    session_id = begin(page, fast_server)
    page.get_by_role("button", name="Start").click()
    reached(page, 2)
    page.keyboard.press("h")
    dialog = page.locator("#hurt-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()  # paused at once
    page.get_by_role("button", name="Save and stop").click()
    expect(page.locator("#hurt-error")).to_contain_text("Tick where it hurts")
    dialog.locator('input[value="calf:left"]').check()
    dialog.locator('input[value="back:middle"]').check()
    dialog.locator('input[name="pain"][value="6"]').check()
    page.get_by_role("button", name="Save and stop").click()
    advice = page.locator("#advice")
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("Never force a movement")
    expect(advice).to_contain_text("stop doing them and see your doctor")
    expect(advice.locator('a[data-source="000_6495609e9fc1b398.txt"]').first).to_be_visible()

    stop = rows(
        fast_server,
        "SELECT pain, areas, exercise_id, leg, set_no, rep_no, step_kind FROM stop_event "
        f"WHERE session_id = '{session_id}'",
    )
    assert len(stop) == 1
    pain, areas, exercise_id, leg, set_no, rep_no, step_kind = stop[0]
    areas = json.loads(areas) if isinstance(areas, str) else areas
    assert pain == 6
    assert areas == [{"area": "back", "side": "middle"}, {"area": "calf", "side": "left"}]
    assert (exercise_id, leg, set_no) == ("seated-leg-raise", "left", 1)
    # In the rest after the second repetition, or during the third.
    assert (rep_no, step_kind) in {(2, "rest_rep"), (3, "move"), (3, "return")}
    status = rows(fast_server, f"SELECT status FROM exercise_session WHERE id = '{session_id}'")
    assert status[0][0] == "stopped_hurt"

    page.reload()
    expect(page.locator("#p-kind")).to_have_text("This session has ended")
    expect(page.locator("#p-start")).to_be_hidden()
    page.goto(f"{fast_server.url}/session")
    expect(page.get_by_text("You have a session in progress")).to_have_count(0)


def test_a_reload_mid_session_offers_to_resume_where_it_left_off(
    browser: Browser, fast_server: Server
):
    put_program(fast_server, [{**RAISE, "pace_s": 6, "rest_between_reps_s": 2}])
    page = patient_context(browser, fast_server.url, viewport=MOBILE).new_page()
    session_id = begin(page, fast_server)
    page.get_by_role("button", name="Start").click()
    reached(page, 3)
    saved_reps(fast_server, session_id, 3)  # not in flight when the page goes
    page.reload()
    expect(page.locator("#p-start")).to_have_text("Resume")
    expect(page.locator('[data-count="seated-leg-raise|left"]')).to_contain_text("3 of 10")
    timeline = json.loads(page.locator("#player-data").text_content() or "{}")["timeline"]
    assert timeline[0]["kind"] == "get_ready"
    assert [s["rep_no"] for s in timeline if s["kind"] == "move"] == list(range(4, 11))
    page.goto(f"{fast_server.url}/session")
    expect(page.get_by_text("You have a session in progress")).to_be_visible()
    page.get_by_role("link", name="Resume it").click()
    page.wait_for_url(f"**/session/{session_id}")
    page.get_by_role("button", name="Resume").click()
    reached(page, 4)
    assert saved_reps(fast_server, session_id, 4)[:4] == [1, 2, 3, 4]


def test_space_pauses_and_resumes_and_the_countdown_freezes(browser: Browser, fast_server: Server):
    put_program(fast_server, [{**RAISE, "pace_s": 20}])
    page = patient_context(browser, fast_server.url, viewport=MOBILE).new_page()
    begin(page, fast_server)
    page.keyboard.press("Space")  # starts
    expect(page.locator("#player")).to_have_attribute("data-step-kind", "move", timeout=10_000)
    page.keyboard.press("Space")
    expect(page.locator("#p-pause")).to_have_attribute("aria-pressed", "true")
    first = page.locator("#p-seconds").text_content()
    page.wait_for_timeout(600)
    assert page.locator("#p-seconds").text_content() == first
    page.keyboard.press("Space")
    expect(page.locator("#p-pause")).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(600)
    assert page.locator("#p-seconds").text_content() != first
    expect(page.locator("#p-live")).not_to_be_empty()


def test_player_fits_a_phone_in_portrait_and_landscape(
    browser: Browser, fast_server: Server, output_dir
):
    put_program(fast_server, [RAISE])
    for label, viewport in (("portrait", MOBILE), ("landscape", {"width": 844, "height": 390})):
        context = patient_context(browser, fast_server.url, viewport=viewport)
        page = context.new_page()
        begin(page, fast_server)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the player scrolls sideways in {label}"
        expect(page.get_by_role("button", name="Stop: it hurts")).to_be_in_viewport()
        page.screenshot(path=str(output_dir / f"player-{label}.png"))
        context.close()


def test_repetitions_done_offline_are_saved_when_the_connection_returns(
    browser: Browser, fast_server: Server
):
    put_program(fast_server, [{**RAISE, "pace_s": 2, "rest_between_reps_s": 1}])
    context = patient_context(browser, fast_server.url, viewport=MOBILE)
    page = context.new_page()
    session_id = begin(page, fast_server)
    page.get_by_role("button", name="Start").click()
    reached(page, 1)
    context.set_offline(True)
    reached(page, 4)
    expect(page.locator("#p-save")).to_contain_text("waiting to be saved")
    saved_offline = rows(
        fast_server, f"SELECT COUNT(*) FROM session_repetition WHERE session_id = '{session_id}'"
    )[0][0]
    assert saved_offline < 4
    context.set_offline(False)
    expect(page.locator("#after")).to_be_visible(timeout=20_000)
    expect(page.locator("#p-save")).to_have_text("Every repetition is saved.", timeout=10_000)
    saved = rows(
        fast_server,
        f"SELECT rep_no FROM session_repetition WHERE session_id = '{session_id}' ORDER BY rep_no",
    )
    assert [r[0] for r in saved] == list(range(1, 11))
    context.close()
