"""The Progress page in Debian's chromium, on a real server with weeks of records: the
inline SVG plots break no Content-Security-Policy rule (no console error), nothing loads
from elsewhere, no sideways scrolling, no serious accessibility violation."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from nerveglide.store import migrate
from nerveglide.store.db import make_engine, make_session_factory
from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    REPO,
    Server,
    patient_context,
    start_server,
    stop_server,
    watch,
)
from tests.integration.reports.seed import Seeded, seed

pytestmark = pytest.mark.e2e
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
START = date(2025, 3, 3)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Seeded]]:
    data = tmp_path_factory.mktemp("progress-data")
    url = f"sqlite:///{data / 'nerveglide.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        seeded = seed(make_session_factory(engine), start=START, days=35)
    finally:
        engine.dispose()
    running = start_server(data)
    yield running, seeded
    stop_server(running)


def screenshots() -> Path:
    base = Path(os.environ.get("NERVEGLIDE_TEST_OUTPUT", REPO / "test-output"))
    path = base / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_progress_page_loads_cleanly_on_a_phone_and_a_desktop(browser: Browser, server):
    running, seeded = server
    address = f"{running.url}/progress?start={seeded.start}&end={seeded.end}"
    for label, viewport in (("mobile", MOBILE), ("desktop", DESKTOP)):
        context = patient_context(browser, running.url, viewport=viewport)
        seen = watch(context)
        page = context.new_page()
        response = page.goto(address, wait_until="networkidle")
        assert response is not None
        assert response.status == 200
        assert page.locator("svg.plot").count() == 3
        assert page.locator("h1").count() == 1
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"/progress scrolls sideways by {overflow}px at {label}"
        box = page.locator("svg.plot").first.bounding_box()
        assert box is not None
        assert box["height"] > 100
        page.screenshot(path=str(screenshots() / f"progress-{label}.png"), full_page=True)
        context.close()
        assert seen.console_errors == [], seen.console_errors
        assert seen.foreign_requests == []


def test_progress_page_has_no_serious_accessibility_violation(browser: Browser, server):
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: `make test` runs npm ci")
    running, seeded = server
    context = patient_context(browser, running.url, viewport=MOBILE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{running.url}/progress?start={seeded.start}&end={seeded.end}")
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
