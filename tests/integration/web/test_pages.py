"""The teaching pages, the JSON API and the error pages, through the real app."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from nerveglide.config import get_settings
from nerveglide.content.loader import CONTENT_VERSION, content_digest, load_library
from nerveglide.content.schema import EXERCISE_IDS, SEED_000, SEED_002, Exercise
from nerveglide.store.db import make_engine
from nerveglide.store.migrate import DatabaseNotReady
from nerveglide.web.app import create_app

PAGES = ["/", "/about", "/exercises", "/safety", "/notice", "/sources"] + [
    f"/exercises/{e}" for e in EXERCISE_IDS
]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_one_h1_and_the_notice(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert len(re.findall(r"<h1[ >]", response.text)) == 1
    assert "Not a diagnosis." in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_no_page_refers_to_another_host(client: TestClient):
    for path in PAGES:
        html = client.get(path).text
        for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
            if attr.startswith("http"):
                # Only the sources page links out, and only as links to read, never to load.
                assert path == "/sources", (path, attr)
        assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', html), path


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_glide_page_shows_every_step_with_its_sources(client: TestClient, exercise_id: str):
    glide = load_library().exercise(exercise_id)
    html = client.get(f"/exercises/{exercise_id}").text
    for step in glide.steps:
        block = re.search(rf'id="{re.escape(step.id)}"[^>]*>(.*?)</span></span>', html, re.S)
        assert block, step.id
        assert step.text.replace("'", "&#39;") in block.group(1)
        for citation in step.sources:
            assert f'data-source="{citation.source}"' in block.group(1)
    assert "<svg" in html
    assert "data-phases=" in html


def test_leg_raise_page_shows_both_sources_doses(client: TestClient):
    html = client.get("/exercises/seated-leg-raise").text
    assert "As source 000 gives it" in html
    assert "As source 002 gives it" in html
    assert "Aim for 15 repetitions, up to five times a day." in html
    assert "10 to 20" in html


def test_values_no_source_gives_are_shown_as_settings(client: TestClient):
    html = client.get("/exercises/seated-leg-kick").text
    assert "Neither source gives a dose for this glide" in html
    assert html.count("your setting") >= 2
    assert "illus." in html


def test_about_page_covers_anatomy_causes_levels_and_gliding(client: TestClient):
    html = client.get("/about").text
    for heading in (
        "Your spine and the sciatic nerve",
        "What squeezes the nerve",
        "How nerve gliding helps",
        "The L4 nerve root",
        "The L5 nerve root",
    ):
        assert heading in html
    assert f'data-source="{SEED_002}"' in html
    assert 'data-source="engstrom-deyo-harrisons"' in html


def test_safety_page_has_the_seed_rules(client: TestClient):
    html = client.get("/safety").text
    assert "Never force a movement" in html
    assert "Stop if you feel any pain." in html
    assert "If your pain persists or gets worse" in html
    assert f'data-source="{SEED_000}"' in html


def test_unknown_page_is_a_404_page(client: TestClient):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/exercises"' in response.text


def test_unknown_exercise_names_the_known_ones(client: TestClient):
    response = client.get("/exercises/standing-kick")
    assert response.status_code == 404
    for exercise_id in EXERCISE_IDS:
        assert exercise_id in response.text


def test_api_lists_and_returns_the_glides(client: TestClient):
    listed = client.get("/api/exercises").json()
    assert [e["id"] for e in listed] == list(EXERCISE_IDS)
    for exercise_id in EXERCISE_IDS:
        body = client.get(f"/api/exercises/{exercise_id}").json()
        assert Exercise.model_validate(body) == load_library().exercise(exercise_id)


def test_api_unknown_exercise_is_a_json_404(client: TestClient):
    response = client.get("/api/exercises/nope")
    assert response.status_code == 404
    assert response.json()["error"] == 404
    assert "seated-leg-kick" in response.json()["detail"]


def test_static_assets_are_served(client: TestClient):
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/static/js/demo.js").status_code == 200


def test_health_and_readiness(client: TestClient):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"


def test_startup_records_the_content_release(client: TestClient, settings):
    engine = make_engine(settings.effective_database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT digest, content_version, item_count, first_seen_at FROM content_release")
        ).all()
    engine.dispose()
    assert len(rows) == 1
    digest, version, count, seen = rows[0]
    assert digest == content_digest()
    assert version == CONTENT_VERSION
    assert count == len(load_library().items())
    assert seen is not None
    if isinstance(seen, str):
        datetime.fromisoformat(seen)


def test_the_app_refuses_an_unmigrated_database(tmp_path: Path):
    settings = get_settings(data_dir=tmp_path / "empty", env="test")
    with (
        pytest.raises(DatabaseNotReady, match="nerveglide db upgrade"),
        TestClient(create_app(settings)),
    ):
        pass
