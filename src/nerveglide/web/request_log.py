"""The request id and the access log, around every HTTP request and WebSocket.

The outermost layer of the app (an ASGI middleware):

- **Request id**: the ``X-Request-ID`` the client (or nginx, which makes one when the
  client sent none) gave, when it is a valid one (:data:`REQUEST_ID`: 1 to 128 letters,
  digits and ``._:-``), else a new random one. It is returned in the response's
  ``X-Request-ID`` header (a WebSocket's handshake answer too) and is on every log line
  written while the request is served (:data:`nerveglide.json_logs.request_id`).
- **Access log**: one line per request (logger ``nerveglide.access``) with the method,
  the path (no query string; a path that carries a secret, such as a calendar address,
  is logged as its route's template), the status, the duration in milliseconds, the
  client's address and the account id when someone is logged in. A WebSocket gets a line
  when it is accepted and one when it ends (with its close code).
- **Last resort**: an exception nothing else handled is logged with its traceback and
  answered with a JSON 500 that carries the request id (503 with ``Retry-After`` when the
  database is down), instead of a bare error from the server.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nerveglide.errors import DatabaseUnavailable
from nerveglide.json_logs import request_id
from nerveglide.store.db import database_error_of

__all__ = [
    "REQUEST_ID",
    "REQUEST_ID_HEADER",
    "RETRY_AFTER_S",
    "SECRET_ROUTES",
    "RequestLog",
    "valid_request_id",
]

REQUEST_ID_HEADER = "X-Request-ID"
#: What a request id given by a client may look like (anything else is replaced).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Seconds a client is told to wait before sending a request again when the database
#: does not answer.
RETRY_AFTER_S = 2
#: Routes whose path carries a secret: logged as the route's template, never as sent.
SECRET_ROUTES = frozenset({"/reminders/calendar/{name}"})

log = logging.getLogger("nerveglide.access")


def valid_request_id(value: str | None) -> str | None:
    """``value`` when it is a request id we may log and return as it is, else None."""
    if value is not None and REQUEST_ID.fullmatch(value):
        return value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _path(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template in SECRET_ROUTES:
        return str(template)
    return str(scope.get("path", ""))


def _account_id(scope: Scope) -> int | None:
    login = scope.get("state", {}).get("login")
    account_id = getattr(login, "account_id", None)
    return account_id if isinstance(account_id, int) else None


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class RequestLog:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = valid_request_id(_header(scope, b"x-request-id")) or uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, rid)
            else:
                await self._websocket(scope, receive, send, rid)
        finally:
            request_id.reset(token)

    def _fields(self, scope: Scope, started: float, **more: Any) -> dict[str, Any]:
        return {
            "request_id": request_id.get(),
            "method": scope.get("method", "GET"),
            "path": _path(scope),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "account_id": _account_id(scope),
            "client": _client(scope),
            **more,
        }

    async def _http(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            code = 503 if isinstance(database_error_of(exc), DatabaseUnavailable) else 500
            log.error(
                "request failed",
                exc_info=True,
                extra=self._fields(scope, started, status=status or code),
            )
            if status is None:  # nothing was sent yet: answer, with the request id
                await _error_response(send, code, rid)
            return
        log.info("request", extra=self._fields(scope, started, status=status))

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        started = time.perf_counter()
        close_code: int | None = None
        accepted = False

        async def send_with_id(message: Message) -> None:
            nonlocal close_code, accepted
            if message["type"] == "websocket.accept":
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
                accepted = True
                await send(message)
                log.info("websocket accepted", extra=self._fields(scope, started, status=101))
                return
            if message["type"] == "websocket.close":
                close_code = int(message.get("code", 1000))
            await send(message)

        async def receive_close() -> Message:
            nonlocal close_code
            message = await receive()
            if message["type"] == "websocket.disconnect" and close_code is None:
                close_code = int(message.get("code", 1005))
            return message

        try:
            await self.app(scope, receive_close, send_with_id)
        except Exception:
            log.error(
                "websocket failed",
                exc_info=True,
                extra=self._fields(scope, started, status=101 if accepted else 500),
            )
            raise
        log.info(
            "websocket closed" if accepted else "websocket refused",
            extra=self._fields(
                scope, started, status=101 if accepted else 403, close_code=close_code
            ),
        )


async def _error_response(send: Send, code: int, rid: str) -> None:
    if code == 503:
        detail = DatabaseUnavailable().message
    else:
        detail = f"Something went wrong on the server (request {rid}): please try again."
    body = json.dumps({"error": code, "detail": detail, "request_id": rid}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-request-id", rid.encode("latin-1")),
    ]
    if code == 503:
        headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
