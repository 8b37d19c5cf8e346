from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import Settings, get_settings
from nerveglide.store import migrate
from nerveglide.web.app import create_app


@dataclass
class App:
    settings: Settings
    url: str

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings))


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> App:
    migrate.upgrade(database_url)
    return App(get_settings(data_dir=tmp_path, database_url=database_url, env="test"), database_url)
