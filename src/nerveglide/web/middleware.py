"""The app's own layers around every HTTP request, as plain ASGI middleware (each one a
function call and a wrapped ``send``; Starlette's ``BaseHTTPMiddleware`` cost about
0.5 ms a request each, in tasks and streams, on the reference machine):

- :class:`SecurityHeaders`: the security headers on every answer, ``no-store`` outside
  /static/, and the double-submit cookie of a form shown before login.
- :class:`SameOriginWrites`: a write from a page on another site is refused.
- :class:`AlertClinicians`: after each successful change a patient makes, their safety
  verdict is evaluated again, and their clinician alerted when it calls for it
  (:mod:`nerveglide.services.alerts` says when), before the answer goes out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nerveglide.config import Settings
from nerveglide.services import alerts
from nerveglide.web.auth import ANON_CSRF_COOKIE
from nerveglide.web.deps import SAFETY_FACTS_UNCHANGED

__all__ = ["CONTENT_SECURITY_POLICY", "AlertClinicians", "SameOriginWrites", "SecurityHeaders"]

#: Everything from this origin only: no inline script or style, no plug-ins, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                new_anon_csrf = scope.get("state", {}).get("new_anon_csrf")
                if new_anon_csrf:  # a form was shown before login: its double-submit cookie
                    headers.append("set-cookie", self._csrf_cookie(new_anon_csrf))
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _csrf_cookie(self, value: str) -> str:
        holder = Response()
        holder.set_cookie(
            ANON_CSRF_COOKIE,
            value,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookies,
            path="/",
        )
        return holder.headers["set-cookie"]


class SameOriginWrites:
    """A page on another site must not change anything here: a write carries an Origin
    (or Referer) of this very host, or none at all (a non-browser client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _READS:
            headers = Headers(scope=scope)
            origin = headers.get("origin") or headers.get("referer")
            if origin and urlsplit(origin).netloc != headers.get("host", ""):
                refused = JSONResponse(
                    {"error": 403, "detail": "cross-site request refused"}, status_code=403
                )
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _CheckFailed(Exception):
    """Carries a failed check out past the app's own exception handlers (which would
    turn it into "response already started"), to be raised again outside them."""


class AlertClinicians:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        failure: Exception | None = None

        async def send_after_check(message: Message) -> None:
            nonlocal failure
            if message["type"] == "http.response.start" and int(message["status"]) < 400:
                state = scope.get("state", {})
                login = state.get("login")
                if (
                    login is not None
                    and login.role == "patient"
                    and not state.get(SAFETY_FACTS_UNCHANGED, False)
                ):
                    app_state = scope["app"].state
                    try:
                        await run_in_threadpool(
                            alerts.check_patient,
                            app_state.session_factory,
                            self.settings,
                            app_state.rules,
                            login.account_id,
                            datetime.now(UTC),
                        )
                    except Exception as exc:
                        failure = exc
                        raise _CheckFailed from exc
            await send(message)

        try:
            await self.app(scope, receive, send_after_check)
        except _CheckFailed:
            # Nothing was sent: the request log answers it (503 when the database is
            # down), as it does any error that reaches it.
            assert failure is not None
            raise failure from None
