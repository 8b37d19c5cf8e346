"""Settings, read from ``NERVEGLIDE_*`` environment variables and validated at startup.

=============================  ====================================================
``NERVEGLIDE_ENV``             ``dev`` (default), ``test`` or ``prod``
``NERVEGLIDE_DATA_DIR``        where the SQLite file and other state live (``./var``)
``NERVEGLIDE_DATABASE_URL``    ``sqlite:///...`` or ``postgresql[+psycopg]://...``;
                               unset means ``sqlite:///{data_dir}/nerveglide.db``
``NERVEGLIDE_HOST``            address to serve on (``127.0.0.1``)
``NERVEGLIDE_PORT``            port to serve on (``8000``)
``NERVEGLIDE_CLOCK_SPEED``     the session player's clock rate (``1``; tests speed it up)
``NERVEGLIDE_TIMEZONE``        your time zone, for what "today" is (``UTC``)
``NERVEGLIDE_SECRET_KEY``      signs sessions; required (and not ``changethis``) in prod
``NERVEGLIDE_PUBLIC_URL``      the app's address as people reach it, for links in emails
                               and the calendar feed (``http://127.0.0.1:8000``)
``NERVEGLIDE_SMTP_HOST``       the mail server; unset means no email is sent
``NERVEGLIDE_SMTP_PORT``       its port (``587``)
``NERVEGLIDE_SMTP_USERNAME``   login name, if the server wants one
``NERVEGLIDE_SMTP_PASSWORD``   its password (or ``NERVEGLIDE_SMTP_PASSWORD_FILE``)
``NERVEGLIDE_SMTP_STARTTLS``   upgrade the connection with STARTTLS (``true``)
``NERVEGLIDE_SMTP_SSL``        connect with TLS from the start, port 465 (``false``)
``NERVEGLIDE_SMTP_FROM``       the sender address (``nerveglide@localhost``)
``NERVEGLIDE_SMTP_TIMEOUT``    seconds to wait for the server (``20``)
``NERVEGLIDE_WORKER_INTERVAL`` seconds between the worker's passes (``60``)
``NERVEGLIDE_REMINDER_LEASE``  seconds a worker holds a claimed reminder before another
                               may take it over (``300``)
``NERVEGLIDE_REMINDER_GRACE``  minutes after its time a reminder is still worth sending
                               (``60``)
``NERVEGLIDE_SESSION_*``       ``IDLE_MINUTES`` (30), ``ABSOLUTE_HOURS`` (12): login sessions
``NERVEGLIDE_LOGIN_*``         throttling: ``MAX_FAILURES_PER_ACCOUNT`` (5),
                               ``MAX_FAILURES_PER_ADDRESS`` (20), ``WINDOW_MINUTES`` (15)
``NERVEGLIDE_POSE_MODEL``      the browser's pose model: ``auto`` (lite on phones, full
                               otherwise), ``lite``, ``full`` or ``heavy``
``NERVEGLIDE_POSE_INFERENCE``  ``cpu`` (wasm, default) or ``gpu`` (WebGL) in the browser
``NERVEGLIDE_POSE_ASSETS_DIR`` the ``@mediapipe/pose`` files to serve (``npm ci`` puts
                               them in ``node_modules/@mediapipe/pose``)
``NERVEGLIDE_RECORDING_MAX_MB`` the largest session video kept (``500``)
``NERVEGLIDE_TRUSTED_PROXIES`` addresses (or networks) of the reverse proxies whose
                               ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed
                               (none by default; ``127.0.0.1`` behind a local nginx)
``NERVEGLIDE_LOG_FORMAT``      ``json`` (one object a line, default) or ``text``
``NERVEGLIDE_DB_POOL_SIZE``    PostgreSQL: connections each process keeps open (``20``)
``NERVEGLIDE_DB_MAX_OVERFLOW`` PostgreSQL: more it may open at a peak, closed when done
                               (``10``); each instance may hold the sum of both
=============================  ====================================================

Secrets can also come from a file, as Docker and systemd hand them over:
``NERVEGLIDE_SECRET_KEY_FILE=/run/secrets/key`` (likewise ``NERVEGLIDE_DATABASE_URL_FILE``
and ``NERVEGLIDE_SMTP_PASSWORD_FILE``).
The file wins over the plain variable; surrounding whitespace is stripped.

Call :func:`get_settings` to read the environment; it builds a new :class:`Settings`
each time (no cached global), and turns every problem into one
:class:`~nerveglide.errors.ConfigurationError` naming the variables at fault.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from nerveglide.errors import ConfigurationError

__all__ = [
    "ENV_PREFIX",
    "PLACEHOLDER_SECRETS",
    "Settings",
    "env_secret",
    "get_settings",
    "normalize_database_url",
]

ENV_PREFIX = "NERVEGLIDE_"

#: Values that look like a secret but are not one; refused in prod.
PLACEHOLDER_SECRETS = frozenset({"", "changethis"})

#: Settings that may be read from a ``NERVEGLIDE_<NAME>_FILE`` file.
_FILE_SETTINGS = ("secret_key", "database_url", "smtp_password")

_SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def _var(field_name: str) -> str:
    return f"{ENV_PREFIX}{field_name.upper()}"


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of the environment variable ``name``, or of the file ``{name}_FILE`` names.

    As healthchecks' ``envsecret``: when ``{name}_FILE`` is set, the file's content
    (whitespace stripped) is the value, and it wins over ``name`` itself. Returns ``None``
    when neither is set. Raises :class:`ConfigurationError` when the file can't be read.
    """
    env = os.environ if environ is None else environ
    file_var = f"{name}_FILE"
    path = env.get(file_var)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"{file_var}: cannot read the secret file {path!r}: {exc.strerror or exc}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise ConfigurationError(
                f"{file_var}: the secret file {path!r} is not UTF-8 text"
            ) from exc
    return env.get(name)


def normalize_database_url(url: str) -> str:
    """Check a database URL's scheme and name the driver nerveglide uses.

    ``sqlite://...`` and ``postgresql+psycopg://...`` are kept as they are;
    ``postgresql://...`` becomes ``postgresql+psycopg://...``. Anything else raises
    :class:`ValueError` with a message that names the scheme (never the whole URL,
    which may hold a password).
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not scheme:
        raise ValueError(
            "not a database URL (expected sqlite:///path/to/file.db or "
            "postgresql+psycopg://user@host:port/dbname)"
        )
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        hint = " (did you mean postgresql://?)" if scheme.lower() == "postgres" else ""
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}{hint}; "
            "use sqlite, postgresql or postgresql+psycopg"
        )
    return f"{driver}://{rest}"


class _SecretFileSource(PydanticBaseSettingsSource):
    """Reads ``NERVEGLIDE_<NAME>_FILE`` (or the plain variable) for the secret settings."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return env_secret(_var(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in _FILE_SETTINGS:
            if os.environ.get(f"{_var(name)}_FILE"):
                value, key, _ = self.get_field_value(self.settings_cls.model_fields[name], name)
                values[key] = value
        return values


#: PostgreSQL connections a process keeps open, and how many more it opens at a peak.
#: Opening one costs the server a new process and the app a login: with SQLAlchemy's
#: own default (5 kept), an instance under 16 users' load opened and closed about 20 a
#: second, a fifth of a core spent outside every request (bench.load).
DB_POOL_SIZE = 20
DB_MAX_OVERFLOW = 10


class Settings(BaseSettings):
    """nerveglide's settings; see the module docstring for the variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        hide_input_in_errors=True,
        validate_default=True,
    )

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: How fast the session player's clock runs: 1 is real time. Tests run sessions at
    #: 20x or more through the very same code; nobody exercises at anything but 1.
    clock_speed: float = Field(default=1.0, gt=0, le=1000)
    #: The person's time zone (IANA name): what "today" is for the diary.
    timezone: str = "UTC"
    #: The pose model the browser runs for the live coach (``auto``: lite on phones).
    pose_model: Literal["auto", "lite", "full", "heavy"] = "auto"
    #: Where the browser runs it: ``cpu`` (wasm) works everywhere; ``gpu`` (WebGL) is
    #: faster on a machine with a real graphics processor.
    pose_inference: Literal["cpu", "gpu"] = "cpu"
    #: The ``@mediapipe/pose`` package's files; unset: ``node_modules/@mediapipe/pose`` of
    #: the source checkout (``npm ci`` installs it; ``make run`` runs that).
    pose_assets_dir: Path | None = None
    #: The largest video of a session kept, in MiB.
    recording_max_mb: int = Field(default=500, ge=1, le=100_000)
    #: The reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For
    #: and X-Forwarded-Proto headers are believed; from anyone else they are ignored.
    trusted_proxies: str = ""
    #: The logs' format: one JSON object a line, or text for a person at a terminal.
    log_format: Literal["json", "text"] = "json"
    #: PostgreSQL: the connections an app process keeps open, and how many more it may
    #: open at a peak (closed again when returned). Keep (pool + overflow) x instances
    #: (+ the worker's) under the server's ``max_connections`` (100 by default).
    db_pool_size: int = Field(default=DB_POOL_SIZE, ge=1, le=1000)
    db_max_overflow: int = Field(default=DB_MAX_OVERFLOW, ge=0, le=1000)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item)
            except ValueError:
                raise ValueError(
                    f"{_var('trusted_proxies')}: {item!r} is not an IP address or network "
                    "(e.g. 127.0.0.1 or 10.0.0.0/24)"
                ) from None
        return ",".join(items)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """:attr:`trusted_proxies` as a list (empty: trust no proxy headers)."""
        return [item for item in self.trusted_proxies.split(",") if item]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/London)"
            ) from None
        return value

    def today(self, now: datetime) -> date:
        """The date in the person's time zone."""
        return now.astimezone(ZoneInfo(self.timezone)).date()

    secret_key: SecretStr = SecretStr("")

    #: Where people reach the app: the links in emails and the calendar feed;
    #: ``https://`` makes the session cookie ``Secure``.
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_from: str = "nerveglide@localhost"
    smtp_timeout: float = Field(default=20.0, gt=0, le=600)
    worker_interval: float = Field(default=60.0, gt=0, le=86400)
    reminder_lease: float = Field(default=300.0, ge=1, le=86400)
    reminder_grace: int = Field(default=60, ge=1, le=1440)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        scheme, sep, host = value.partition("://")
        if scheme not in ("http", "https") or not sep or not host:
            raise ValueError(
                f"{_var('public_url')}: {value!r} is not an http(s) address "
                "(e.g. https://glides.example.org)"
            )
        return value

    @field_validator("smtp_host", "smtp_username", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _one_kind_of_tls(self) -> Settings:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError(
                f"{_var('smtp_ssl')} and {_var('smtp_starttls')} are both on: use "
                f"{_var('smtp_ssl')}=true {_var('smtp_starttls')}=false for a TLS port "
                "(465), or STARTTLS alone for a submission port (587)"
            )
        return self

    #: A login session ends after this many minutes without a request (ASVS 3.3.2) ...
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: ... and after this many hours in any case.
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: Login throttling (domain.throttle; ASVS 2.2.1): failures in a row for one account
    #: from one address before each further try waits, the first wait (doubling after
    #: each failure), the longest, and how long such a run of failures is remembered.
    login_free_failures: int = Field(default=5, ge=1)
    login_first_delay_seconds: int = Field(default=30, ge=1)
    login_max_delay_minutes: int = Field(default=15, ge=1)
    login_failure_memory_hours: int = Field(default=24, ge=1)
    #: Failures within the window for one account from addresses that never logged in
    #: to it (at most 25 in at least 15 minutes: 100 an hour, ASVS 2.2.1), and from one
    #: address on any account; past them those addresses wait (an address that logged
    #: in to the account before does not).
    login_max_failures_per_account: int = Field(default=20, ge=1, le=25)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_minutes: int = Field(default=15, ge=15)
    #: How long an invitation link and a password-reset link stay valid.
    invite_valid_hours: int = Field(default=72, ge=1)
    reset_valid_minutes: int = Field(default=30, ge=1)
    #: How long the link that confirms a self-registration stays valid.
    register_valid_hours: int = Field(default=24, ge=1)

    @property
    def base_url(self) -> str:
        """Where links in emails point (``public_url``, without a trailing slash)."""
        return self.public_url.rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        """Behind HTTPS (``public_url`` is https): the session cookie is ``Secure``."""
        return self.base_url.lower().startswith("https://")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            _SecretFileSource(settings_cls),
            env_settings,
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        # Made absolute once, at startup, so a later chdir can't move the database.
        return value.expanduser().absolute()

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # unset or empty: the SQLite file under data_dir
        if not isinstance(value, str):
            return value  # let pydantic report the type
        try:
            return normalize_database_url(value)
        except ValueError as exc:
            raise ValueError(f"{_var('database_url')}: {exc}") from None

    @model_validator(mode="after")
    def _check_secret_key(self) -> Settings:
        key = self.secret_key.get_secret_value()
        if key.strip().lower() in PLACEHOLDER_SECRETS:
            if self.env == "prod":
                raise ValueError(
                    f"{_var('secret_key')} (or {_var('secret_key')}_FILE) must be set to a "
                    f"real secret when {_var('env')}=prod; it is "
                    f"{'empty' if not key.strip() else repr(key)}. Generate one with: "
                    'python -c "import secrets; print(secrets.token_urlsafe(32))"'
                )
            # dev and test: a fresh random key per process is good enough.
            self.secret_key = SecretStr(secrets.token_urlsafe(32))
        return self

    @property
    def effective_pose_assets_dir(self) -> Path:
        """Where the ``@mediapipe/pose`` files are served from."""
        if self.pose_assets_dir is not None:
            return self.pose_assets_dir.expanduser().absolute()
        return Path(__file__).resolve().parents[2] / "node_modules" / "@mediapipe" / "pose"

    @property
    def effective_database_url(self) -> str:
        """The database to use: ``database_url``, or the SQLite file under ``data_dir``."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'nerveglide.db'}"


def _describe(error: Mapping[str, Any]) -> str:
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else ""
    if error.get("type") == "value_error":
        # Our own validators already name the variable.
        message = str(error.get("ctx", {}).get("error", error.get("msg", "")))
        if message.startswith(ENV_PREFIX):
            return message
    else:
        message = str(error.get("msg", ""))
    return f"{_var(field)}: {message}" if field else message


def get_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment, validated; ``overrides`` win over it.

    Builds a new :class:`Settings` on every call, so tests can change the environment
    (``monkeypatch.setenv``) or pass overrides. Raises :class:`ConfigurationError`
    listing every problem, each prefixed with the variable to fix.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "\n".join(f"  {_describe(e)}" for e in exc.errors())
        raise ConfigurationError(f"invalid nerveglide settings:\n{problems}") from exc
