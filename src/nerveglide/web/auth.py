"""Who is asking, for every request: the login session behind the cookie, the routes
anyone may use, and CSRF protection on every write.

- ``authenticate`` runs for every route (an app-wide dependency): it resolves the session
  cookie, and refuses any route not in :data:`PUBLIC_ROUTES` to someone not logged in
  (a page redirects to ``/login``, the API answers 401).
- ``check_csrf`` runs for every write: a logged-in request carries the session's
  synchronizer token (form field ``csrf_token`` or header ``X-CSRF-Token``); a form sent
  before login (login, registration, password reset) carries the token of the
  ``nerveglide_csrf`` cookie (double submit). The app's Origin check stays as well.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from nerveglide.config import Settings
from nerveglide.domain.accounts import Actor
from nerveglide.errors import NotAuthenticated, NotPermitted
from nerveglide.security.tokens import new_token, same
from nerveglide.services.accounts import LoggedIn, resolve_session

__all__ = [
    "ANON_CSRF_COOKIE",
    "PUBLIC_ROUTES",
    "ActorDep",
    "LoginDep",
    "authenticate",
    "check_csrf",
    "client_address",
    "connection_actor",
    "csrf_token_for",
    "session_cookie_name",
    "set_session_cookie",
]

#: Routes anyone may use, logged in or not (by their path template). Every other route
#: needs a login; the authorization matrix test reads this set.
PUBLIC_ROUTES: frozenset[str] = frozenset(
    {
        "/",
        "/about",
        "/exercises",
        "/exercises/{exercise_id}",
        "/safety",
        "/safety/rules",
        "/notice",
        "/sources",
        "/api/exercises",
        "/api/exercises/{exercise_id}",
        "/api/sources",
        "/api/safety/rules",
        "/healthz",
        "/readyz",
        "/login",
        "/register",
        "/register/confirm",
        "/password-reset",
        "/password-reset/new",
        "/reminders/calendar/{name}",  # a calendar app: its private token is the grant
        "/api/docs",
        "/api/openapi.json",
        "/api/docs/oauth2-redirect",
    }
)

ANON_CSRF_COOKIE = "nerveglide_csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix pins the cookie to this host and path, over HTTPS only.
    return "__Host-nerveglide" if settings.secure_cookies else "nerveglide_session"


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        value,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_absolute_hours * 3600,
    )


def client_address(request: HTTPConnection) -> str | None:
    return request.client.host if request.client else None


def current_login(request: HTTPConnection) -> LoggedIn | None:
    """The request's login session (resolved once per request); a WebSocket's from the
    cookie of its handshake."""
    if not hasattr(request.state, "login"):
        settings: Settings = request.app.state.settings
        cookie = request.cookies.get(session_cookie_name(settings))
        request.state.login = resolve_session(
            request.app.state.session_factory, settings, cookie, datetime.now(UTC)
        )
    login: LoggedIn | None = request.state.login
    return login


def csrf_token_for(request: Request) -> str:
    """The token forms on this page carry: the session's, or the pre-login cookie's."""
    login = current_login(request) if hasattr(request.app.state, "session_factory") else None
    if login is not None:
        return login.csrf_token
    token = request.cookies.get(ANON_CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_anon_csrf", None) or new_token()
        request.state.new_anon_csrf = token
    return token


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


async def check_csrf(request: Request) -> None:
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    login = current_login(request)
    expected = login.csrf_token if login is not None else request.cookies.get(ANON_CSRF_COOKIE)
    if not sent or not expected or not same(sent, expected):
        raise NotPermitted(
            "This form has expired or did not come from this site: reload the page and try again."
        )


async def authenticate(request: HTTPConnection) -> None:
    """App-wide: a login for every route outside :data:`PUBLIC_ROUTES`, then CSRF.

    A WebSocket goes on to its route, which refuses a connection with no login (or for
    someone else's data) with a close code the page can act on (the live coach:
    :func:`nerveglide.services.live.authorize_live`); its writes are not forms, and its
    Origin is checked there."""
    if not isinstance(request, Request):
        return
    # The login is looked up (and its last-seen time written now and then) in a worker
    # thread: the database may make it wait, and the event loop serves everyone else.
    login = await run_in_threadpool(current_login, request)
    if login is None and _route_path(request) not in PUBLIC_ROUTES:
        raise NotAuthenticated()
    await check_csrf(request)


def require_actor(request: Request) -> Actor:
    login = current_login(request)
    if login is None:
        raise NotAuthenticated()
    return login.actor(client_address(request))


def connection_actor(connection: HTTPConnection) -> Actor | None:
    """Who opened this connection (a WebSocket's handshake cookie), or None."""
    login = current_login(connection)
    return None if login is None else login.actor(client_address(connection))


def optional_login(request: Request) -> LoggedIn | None:
    return current_login(request)


def require_clinician(request: Request) -> None:
    """Router-wide: the clinician's pages are for clinicians (which patients each one
    sees is decided per patient in services.access)."""
    from nerveglide.services.access import require_role

    require_role(request.app.state.session_factory, require_actor(request), "clinician")


def require_admin(request: Request) -> None:
    """Router-wide: the admin's pages are for admins."""
    from nerveglide.services.access import require_role

    require_role(request.app.state.session_factory, require_actor(request), "admin")


ActorDep = Annotated[Actor, Depends(require_actor)]
LoginDep = Annotated[LoggedIn | None, Depends(optional_login)]
