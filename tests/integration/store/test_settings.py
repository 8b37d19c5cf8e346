"""Settings from the environment: database URL, secrets from files, prod refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerveglide.config import Settings, env_secret, get_settings
from nerveglide.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No NERVEGLIDE_* variables from the caller's shell, and a throwaway working dir."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("NERVEGLIDE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path: Path) -> None:
    settings = get_settings()
    assert settings.env == "dev"
    assert settings.data_dir == tmp_path / "var"
    assert settings.database_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/var/nerveglide.db"


def test_the_sqlite_file_lives_under_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NERVEGLIDE_DATA_DIR", str(tmp_path / "state"))
    settings = get_settings()
    assert settings.data_dir == tmp_path / "state"
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/state/nerveglide.db"


def test_a_relative_data_dir_is_made_absolute_at_startup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NERVEGLIDE_DATA_DIR", "here")
    settings = get_settings()
    assert settings.data_dir == tmp_path / "here"


@pytest.mark.parametrize(
    ("given", "effective"),
    [
        (
            "postgresql://app:pw@db:5432/nerveglide",
            "postgresql+psycopg://app:pw@db:5432/nerveglide",
        ),
        ("postgresql+psycopg://app@db/nerveglide", "postgresql+psycopg://app@db/nerveglide"),
        ("sqlite:////srv/nerveglide.db", "sqlite:////srv/nerveglide.db"),
    ],
)
def test_database_url_switches_the_database(
    monkeypatch: pytest.MonkeyPatch, given: str, effective: str
) -> None:
    monkeypatch.setenv("NERVEGLIDE_DATABASE_URL", given)
    settings = get_settings()
    assert settings.database_url == effective
    assert settings.effective_database_url == effective


def test_an_empty_database_url_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NERVEGLIDE_DATABASE_URL", "")
    assert get_settings().effective_database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    "url", ["mysql://root:hunter2@db/nerveglide", "postgres://u:hunter2@db/n", "db.sqlite"]
)
def test_a_bad_database_url_names_the_variable(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("NERVEGLIDE_DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match="NERVEGLIDE_DATABASE_URL") as caught:
        get_settings()
    assert "hunter2" not in str(caught.value)  # never echo a password
    assert "hunter2" not in str(caught.value.__cause__)


def test_other_bad_values_name_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NERVEGLIDE_ENV", "staging")
    monkeypatch.setenv("NERVEGLIDE_PORT", "99999")
    with pytest.raises(ConfigurationError) as caught:
        get_settings()
    assert "NERVEGLIDE_ENV:" in str(caught.value)
    assert "NERVEGLIDE_PORT:" in str(caught.value)


def test_secrets_can_come_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "key").write_text("  s3cret-from-a-file\n")
    (tmp_path / "url").write_text("postgresql://app:pw@db/nerveglide\n")
    monkeypatch.setenv("NERVEGLIDE_ENV", "prod")
    monkeypatch.setenv("NERVEGLIDE_SECRET_KEY", "changethis")  # the file wins
    monkeypatch.setenv("NERVEGLIDE_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("NERVEGLIDE_DATABASE_URL_FILE", str(tmp_path / "url"))

    settings = get_settings()
    assert settings.secret_key.get_secret_value() == "s3cret-from-a-file"
    assert settings.database_url == "postgresql+psycopg://app:pw@db/nerveglide"
    assert "s3cret" not in repr(settings)


def test_a_missing_secret_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NERVEGLIDE_SECRET_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigurationError, match="NERVEGLIDE_SECRET_KEY_FILE"):
        get_settings()


def test_env_secret_reads_the_plain_variable_without_a_file() -> None:
    assert env_secret("X", {"X": "plain"}) == "plain"
    assert env_secret("X", {}) is None


@pytest.mark.parametrize("placeholder", [None, "", "changethis", " ChangeThis "])
def test_prod_refuses_a_placeholder_secret(
    monkeypatch: pytest.MonkeyPatch, placeholder: str | None
) -> None:
    monkeypatch.setenv("NERVEGLIDE_ENV", "prod")
    if placeholder is not None:
        monkeypatch.setenv("NERVEGLIDE_SECRET_KEY", placeholder)
    with pytest.raises(ConfigurationError, match="NERVEGLIDE_SECRET_KEY"):
        get_settings()


def test_prod_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NERVEGLIDE_ENV", "prod")
    monkeypatch.setenv("NERVEGLIDE_SECRET_KEY", "a-real-and-long-secret-value")
    assert get_settings().secret_key.get_secret_value() == "a-real-and-long-secret-value"


@pytest.mark.parametrize("env", ["dev", "test"])
def test_outside_prod_a_missing_secret_is_generated(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("NERVEGLIDE_ENV", env)
    monkeypatch.setenv("NERVEGLIDE_SECRET_KEY", "changethis")
    key = get_settings().secret_key.get_secret_value()
    assert len(key) >= 32
    assert key != "changethis"


def test_each_call_reads_the_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().port == 8000
    monkeypatch.setenv("NERVEGLIDE_PORT", "8123")
    assert get_settings().port == 8123
    assert get_settings(port=9000).port == 9000


def test_settings_can_be_built_directly(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="test")
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/nerveglide.db"
