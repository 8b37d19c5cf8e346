from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import Settings, get_settings
from nerveglide.store import migrate
from nerveglide.web.app import create_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = get_settings(data_dir=tmp_path / "data", env="test")
    migrate.upgrade(settings.effective_database_url)
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client
