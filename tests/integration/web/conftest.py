from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import Settings, get_settings
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = get_settings(data_dir=tmp_path / "data", env="test")
    migrate.upgrade(settings.effective_database_url)
    return settings


@pytest.fixture
def anonymous_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(anonymous_client: TestClient, settings: Settings) -> TestClient:
    """A client logged in as a patient (whose own data the pages show)."""
    logged_in_patient(anonymous_client, settings.effective_database_url)
    return anonymous_client
