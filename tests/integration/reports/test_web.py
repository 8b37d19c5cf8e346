"""The Progress page and its downloads on SQLite and PostgreSQL: the plots inline as SVG
without inline styles, the numbers, the PDF, CSV and FHIR downloads, and clear 4xx
answers for bad periods."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import get_settings
from nerveglide.fhir.validation import validate_bundle
from nerveglide.reports.plots import ADHERENCE_TITLE, NO_CAMERA, PAIN_TITLE, REACH_TITLE
from nerveglide.store import migrate
from nerveglide.store.db import make_engine, make_session_factory
from nerveglide.web.app import create_app
from nerveglide.web.middleware import CONTENT_SECURITY_POLICY
from tests.accounts import logged_in_patient
from tests.integration.reports.seed import Seeded, seed

START = date(2025, 3, 3)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    migrate.upgrade(database_url)
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, database_url)
        yield client, database_url


@pytest.fixture
def seeded(app) -> Seeded:
    _, url = app
    engine = make_engine(url)
    try:
        return seed(make_session_factory(engine), start=START, days=21)
    finally:
        engine.dispose()


def period(seeded: Seeded) -> str:
    return f"start={seeded.start}&end={seeded.end}"


def test_the_page_shows_the_plots_numbers_and_downloads(app, seeded):
    client, _ = app
    response = client.get(f"/progress?{period(seeded)}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page = response.text
    assert 'href="/progress" aria-current="page"' in page
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == 3
    for svg in svgs:
        assert "style=" not in svg
        assert "<style" not in svg
    titles = re.findall(r"<title id=\"[a-z]+-title\">([^<]+)</title>", page)
    assert titles == [PAIN_TITLE, ADHERENCE_TITLE, REACH_TITLE]
    assert NO_CAMERA in page
    assert f"{seeded.completed} of {3 * 21}" in page
    for name in ("report.pdf", "export-csv.zip", "fhir-bundle.json"):
        assert f"/progress/{name}?{period(seeded)}".replace("&", "&amp;") in page


def test_the_downloads(app, seeded):
    client, _ = app
    pdf = client.get(f"/progress/report.pdf?{period(seeded)}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (
        'filename="nerveglide-2025-03-03-to-2025-03-23.pdf"' in pdf.headers["content-disposition"]
    )
    archive = client.get(f"/progress/export-csv.zip?{period(seeded)}")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert {"README.txt", "sessions.csv", "repetitions.csv", "diary.csv"} <= set(names)
    fhir = client.get(f"/progress/fhir-bundle.json?{period(seeded)}")
    assert fhir.status_code == 200
    assert fhir.headers["content-type"].startswith("application/fhir+json")
    validate_bundle(json.loads(fhir.content))


def test_a_period_without_records_shows_a_page_but_exports_nothing(app):
    client, _ = app
    page = client.get("/progress")
    assert page.status_code == 200
    assert "Nothing was recorded in these days" in page.text
    assert "<svg" not in page.text
    for name in ("report.pdf", "export-csv.zip", "fhir-bundle.json"):
        response = client.get(f"/progress/{name}?start=2024-01-01&end=2024-01-31")
        assert response.status_code == 422
        assert "nothing was recorded from 2024-01-01 to 2024-01-31" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-03-20&end=2025-03-01", "start: 2025-03-20 is after end 2025-03-01"),
        ("start=20-03-2025&end=2025-03-01", "start: &#39;20-03-2025&#39; is not a date"),
        ("start=1700-01-01&end=2025-03-01", "a report covers at most"),
    ],
)
def test_a_bad_period_is_a_422_with_the_form_and_a_message(app, query, message):
    client, _ = app
    page = client.get(f"/progress?{query}")
    assert page.status_code == 422
    assert message in page.text
    assert 'name="start"' in page.text
    download = client.get(f"/progress/report.pdf?{query}")
    assert download.status_code == 422
    assert message in download.text


def test_an_unknown_download_is_a_404(app):
    client, _ = app
    response = client.get("/progress/report.docx")
    assert response.status_code == 404
    assert "report.pdf" in response.text
