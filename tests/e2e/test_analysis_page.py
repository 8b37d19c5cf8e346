"""The analysis page in Debian's chromium: upload a clip, wait for the server's real
analysis, see the summary, the plot and the annotated video play; nothing loads from
elsewhere, no console error, no serious accessibility violation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, MOBILE, REPO, patient_context, watch
from tests.integration.motion.clips import RAISE, read_frames, write_video

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    return write_video(folder / "my set.mp4", read_frames(RAISE, 360))


def axe_serious(page) -> list[dict[str, object]]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_upload_a_video_and_see_the_analysis(
    browser: Browser, server: str, clip: Path, output_dir: Path
):
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: `make test` runs npm ci")
    context = patient_context(browser, server, viewport=DESKTOP, bypass_csp=False)
    seen = watch(context)
    page = context.new_page()
    page.goto(f"{server}/analysis")
    expect(page.locator("h1")).to_have_text("Check a video of your set")
    page.set_input_files("#video", str(clip))
    page.get_by_label("Seated leg raises").check()
    # The server answers when the analysis is done (about as long as the clip).
    with page.expect_navigation(url=f"{server}/analysis/*", timeout=240_000):
        page.get_by_role("button", name="Analyse the video").click(no_wait_after=True)

    expect(page.locator("h1")).to_have_text("Seated leg raises: 2 complete repetitions")
    expect(page.locator("#reps tbody tr")).to_have_count(2)
    expect(page.locator("#upload-note")).to_contain_text("Your video was deleted")
    plot_width = page.eval_on_selector("#plot", "img => img.complete && img.naturalWidth")
    assert plot_width
    assert plot_width > 600
    # The annotated video plays in the browser (H.264 written by ffmpeg).
    duration = page.eval_on_selector(
        "#annotated",
        """v => new Promise((ok, fail) => {
            if (v.readyState >= 1) return ok(v.duration);
            v.addEventListener('loadedmetadata', () => ok(v.duration));
            v.addEventListener('error', () => fail(new Error('video error ' + v.error.code)));
        })""",
    )
    assert 11 < duration < 13
    report = json.loads(page.request.get(page.url + "/files/report.json").text())
    assert report["summary"]["complete"] == 2
    page.screenshot(path=str(output_dir / "analysis-result-desktop.png"), full_page=True)
    result_url = page.url
    context.close()
    assert seen.console_errors == [], seen.console_errors
    assert seen.foreign_requests == [], seen.foreign_requests

    # Readable on a phone, and accessible (axe-core runs outside the app's CSP).
    for url in (f"{server}/analysis", result_url):
        context = patient_context(browser, server, viewport=MOBILE, bypass_csp=True)
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
        assert axe_serious(page) == []
        page.screenshot(
            path=str(
                output_dir / f"analysis-{'form' if url.endswith('analysis') else 'result'}"
                "-mobile.png"
            ),
            full_page=True,
        )
        context.close()


def test_a_bad_upload_shows_what_to_change(browser: Browser, server: str, tmp_path: Path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("my notes")
    context = patient_context(browser, server, viewport=DESKTOP)
    seen = watch(context, expected_404=None)
    page = context.new_page()
    page.goto(f"{server}/analysis")
    page.set_input_files("#video", str(notes))
    page.get_by_role("button", name="Analyse the video").click()
    expect(page.locator("#analysis-error")).to_contain_text("is not a video")
    context.close()
    assert seen.foreign_requests == []
