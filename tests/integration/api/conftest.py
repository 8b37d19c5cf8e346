from __future__ import annotations

from pathlib import Path

import pytest

from nerveglide.config import get_settings
from nerveglide.store import migrate
from tests.integration.accounts.conftest import App


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> App:
    migrate.upgrade(database_url)
    return App(get_settings(data_dir=tmp_path, database_url=database_url, env="test"), database_url)
