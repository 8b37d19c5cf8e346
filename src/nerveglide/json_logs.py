"""Logs as one JSON object a line, for the app's processes (``serve``, ``worker``).

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, the
``request_id`` of the request being served when there is one (:data:`request_id`, set by
:mod:`nerveglide.web.request_log`), and the fields a log call passes in ``extra=``
among :data:`FIELDS` (``method``, ``path``, ``status``, ``duration_ms``, ``account_id``,
...). An exception adds ``error`` (its type) and ``traceback``.

What is logged is decided where the log call is written: the access lines carry the
method, the path (never the query string), the status, the duration and the account id,
never a request or response body, so no health data and no password reach the logs.

::

    configure_logging("json")     # or "text" for people reading a terminal
    log.info("request", extra={"method": "GET", "path": "/", "status": 200})
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "FIELDS",
    "JsonFormatter",
    "LogFormat",
    "configure_logging",
    "request_id",
    "uvicorn_log_config",
]

LogFormat = Literal["json", "text"]

#: The request being served (its id), for every log line written while serving it.
request_id: ContextVar[str | None] = ContextVar("nerveglide_request_id", default=None)

#: The ``extra=`` fields a log line may carry, in the order they are written.
FIELDS = (
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "account_id",
    "client",
    "instance",
    "close_code",
    "worker",
    "sent",
    "skipped",
    "failed",
    "reminder_id",
)


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = record.__dict__.get("request_id") or request_id.get()
        if current is not None:
            line["request_id"] = current
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    """The same fields, as ``key=value`` after the message, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        current = record.__dict__.get("request_id") or request_id.get()
        fields = {"request_id": current} if current is not None else {}
        for name in FIELDS:
            if record.__dict__.get(name) is not None:
                fields[name] = record.__dict__[name]
        return text + "".join(f" {k}={v}" for k, v in fields.items())


def _formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else _TextFormatter()


def configure_logging(log_format: LogFormat = "json", level: int = logging.INFO) -> None:
    """Send every logger's records to stderr, one line each, in ``log_format``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def uvicorn_log_config(log_format: LogFormat = "json") -> dict[str, Any]:
    """uvicorn's ``log_config``: its own loggers through the same formatter, and no access
    log of its own (:mod:`nerveglide.web.request_log` writes one, without query strings)."""
    formatter = f"{__name__}.{'JsonFormatter' if log_format == 'json' else '_TextFormatter'}"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"level": "INFO", "propagate": True},
            "uvicorn.error": {"level": "INFO", "propagate": True},
            "uvicorn.access": {"level": "WARNING", "propagate": True},
            # /readyz reads the migration: Alembic would say "Will assume ..." each time.
            "alembic": {"level": "WARNING", "propagate": True},
        },
    }
