"""Every page in a real browser: no console error, nothing loaded from elsewhere,
accessible (axe-core), readable on a phone and a desktop, keyboard navigable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from nerveglide.content.loader import load_library
from nerveglide.content.schema import EXERCISE_IDS
from tests.e2e.conftest import DESKTOP, MOBILE, REPO, patient_context, watch

PAGES = {
    "home": "/",
    "about": "/about",
    "exercises": "/exercises",
    "safety": "/safety",
    "notice": "/notice",
    "sources": "/sources",
    "not-found": "/no-such-page",
    "program": "/program",
    "session": "/session",
    "coach": "/coach",
    "history": "/sessions",
    "diary": "/diary",
    "reminders": "/reminders",
    "questionnaires": "/questionnaires",
    "questionnaire-rmdq": "/questionnaires/roland-morris",
    "questionnaire-psfs": "/questionnaires/psfs",
    "screening": "/screening",
    "safety-rules": "/safety/rules",
    "safety-why": "/safety/why",
    "safety-emergency": "/safety/emergency",
    **{e: f"/exercises/{e}" for e in EXERCISE_IDS},
}
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly_and_stays_local(
    browser: Browser, server: str, name: str, output_dir: Path
):
    for label, viewport in (("mobile", MOBILE), ("desktop", DESKTOP)):
        context = patient_context(browser, server, viewport=viewport)
        seen = watch(context, expected_404=PAGES[name] if name == "not-found" else None)
        page = context.new_page()
        response = page.goto(server + PAGES[name], wait_until="networkidle")
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200)
        expect(page.locator("h1")).to_have_count(1)
        # Nothing wider than the viewport: no sideways scrolling on a phone.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {label}"
        page.screenshot(path=str(output_dir / f"{name}-{label}.png"), full_page=True)
        context.close()
        assert seen.console_errors == [], seen.console_errors
        assert seen.foreign_requests == [], seen.foreign_requests


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_serious_violation(browser: Browser, server: str, name: str):
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: `make test` runs npm ci")
    # The app's CSP allows no inline script; the test's own axe-core is injected around it.
    context = patient_context(browser, server, viewport=MOBILE, bypass_csp=True)
    seen = watch(context)
    page = context.new_page()
    page.goto(server + PAGES[name], wait_until="networkidle")
    page.add_script_tag(path=str(AXE))
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
    assert seen.foreign_requests == []


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_glide_page_shows_steps_and_their_sources(page: Page, server: str, exercise_id: str):
    glide = load_library().exercise(exercise_id)
    page.goto(f"{server}/exercises/{exercise_id}")
    steps = page.locator("ol.steps > li")
    expect(steps).to_have_count(len(glide.steps))
    for index, step in enumerate(glide.steps):
        item = steps.nth(index)
        expect(item).to_contain_text(step.text)
        for citation in step.sources:
            expect(item.locator(f'a[data-source="{citation.source}"]')).to_be_visible()


def _figure_png(page: Page) -> bytes:
    return page.locator(".demo-figure svg").screenshot()


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_animation_moves_and_stops_when_paused(page: Page, server: str, exercise_id: str):
    page.goto(f"{server}/exercises/{exercise_id}")
    page.wait_for_function(
        "() => document.querySelector('.demo-figure svg').getCurrentTime() > 0.5"
    )
    page.evaluate("document.querySelector('.demo-figure svg').setCurrentTime(2.2)")
    first = _figure_png(page)
    page.wait_for_timeout(900)
    second = _figure_png(page)
    assert first != second, "the figure did not move"

    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#demo-toggle")).to_have_attribute("aria-pressed", "true")
    paused_a = _figure_png(page)
    page.wait_for_timeout(900)
    paused_b = _figure_png(page)
    assert paused_a == paused_b, "the figure moved while paused"

    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(900)
    assert _figure_png(page) != paused_b, "the figure did not resume"


def test_instruction_follows_the_phase(page: Page, server: str):
    glide = load_library().exercise("supine-nerve-glide")
    steps = {s.id: s.text for s in glide.steps}
    phases = glide.reference_motion.phases
    page.goto(f"{server}/exercises/supine-nerve-glide")
    page.get_by_role("button", name="Pause").click()
    svg = ".demo-figure svg"
    start = 0.0
    for index, phase in enumerate(phases):
        page.evaluate(f"document.querySelector('{svg}').setCurrentTime({start + 0.2})")
        page.get_by_role("button", name="Play").click()
        page.get_by_role("button", name="Pause").click()
        current = int(page.locator(svg).get_attribute("data-current-phase") or "-1")
        assert current == index
        expect(page.locator("#phase-instruction")).to_have_text(steps[phase.step])
        start += phase.duration.seconds


def test_reduced_motion_starts_paused_and_steps_by_phase(browser: Browser, server: str):
    context = patient_context(browser, server, viewport=MOBILE, reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{server}/exercises/seated-leg-kick")
    expect(page.locator("#demo-motion-note")).to_be_visible()
    expect(page.locator("#demo-toggle")).to_have_text("Play")
    assert page.evaluate("document.querySelector('.demo-figure svg').animationsPaused()")
    before = page.locator("#phase-instruction").inner_text()
    still = _figure_png(page)
    page.get_by_role("button", name="Next phase").click()
    expect(page.locator("#phase-instruction")).not_to_have_text(before)
    assert _figure_png(page) != still, "stepping to the next phase did not move the figure"
    context.close()


def test_keyboard_reaches_skip_link_navigation_and_controls(page: Page, server: str):
    page.goto(f"{server}/exercises/seated-leg-raise")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "demo-toggle":
            break
    expect(page.locator("#demo-toggle")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#demo-toggle")).to_have_attribute("aria-pressed", "true")
