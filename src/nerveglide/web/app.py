"""The FastAPI application: ``create_app(settings)`` wires content, database and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from nerveglide import __version__
from nerveglide.config import Settings, get_settings
from nerveglide.content.loader import (
    CONTENT_VERSION,
    content_digest,
    default_library,
    default_rules,
    load_questionnaires,
)
from nerveglide.content.schema import Library
from nerveglide.errors import (
    DatabaseError,
    DatabaseNotWritable,
    DatabaseUnavailable,
    InvalidInput,
    NerveglideError,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    Throttled,
)
from nerveglide.reports.pdf import warm_up_in_background
from nerveglide.services.content_release import record_content_release
from nerveglide.services.recordings import RecordingTooLarge, move_unowned_recordings
from nerveglide.store import migrate
from nerveglide.store.db import DriverError, as_database_error, make_engine, make_session_factory
from nerveglide.web.auth import authenticate
from nerveglide.web.heap import freeze_when_started
from nerveglide.web.middleware import (
    AlertClinicians,
    SameOriginWrites,
    SecurityHeaders,
)
from nerveglide.web.request_log import RETRY_AFTER_S, RequestLog
from nerveglide.web.responses import API_ERRORS
from nerveglide.web.routers import (
    account,
    admin,
    admin_api,
    analysis,
    api,
    auth,
    clinician,
    clinician_api,
    diary,
    health,
    live,
    pages,
    program,
    questionnaires,
    reminders,
    reports,
    safety,
    sessions,
)
from nerveglide.web.routers.sessions import POSE_ASSETS_ROUTE
from nerveglide.web.templating import STATIC_DIR, templates

# Every asset is served by the app itself; nothing may load from anywhere else.

log = logging.getLogger(__name__)

_STATUS: dict[type[NerveglideError], int] = {
    Throttled: 429,
    NotAuthenticated: 401,
    RecordingTooLarge: 413,
    NotFound: 404,
    NotPermitted: 403,
    InvalidInput: 422,
    DatabaseNotWritable: 503,
    DatabaseUnavailable: 503,
    DatabaseError: 500,
}


def describe_validation_errors(errors: Sequence[Any], limit: int = 5) -> str:
    """FastAPI's validation errors as one sentence naming each field: ``glides.0.reps:
    Input should be a valid integer``."""
    parts = []
    for error in errors[:limit]:
        location = [str(part) for part in error.get("loc", ())]
        if location[:1] == ["body"]:
            location = location[1:]
        parts.append(f"{'.'.join(location) or 'body'}: {error.get('msg', 'not valid')}")
    more = len(errors) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def app_from_environment() -> FastAPI:
    """The app made from the environment's settings: what each process of
    ``nerveglide serve --workers N`` imports."""
    return create_app(get_settings(), serving=True)


def create_app(
    settings: Settings, *, library: Library | None = None, serving: bool = False
) -> FastAPI:
    """The app. ``serving``: the app is its process's only work (``nerveglide serve``),
    which then, once started, sets its heap aside from the garbage collector
    (:mod:`nerveglide.web.heap`)."""
    library = library if library is not None else default_library()
    url = settings.effective_database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate.require_head(url)
        engine = make_engine(
            url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
        )
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        # Videos kept before accounts go into their patient's folder.
        move_unowned_recordings(app.state.session_factory, settings.data_dir)
        app.state.content_release = record_content_release(
            app.state.session_factory,
            digest=content_digest(),
            content_version=CONTENT_VERSION,
            item_count=len(library.items()),
            now=datetime.now(UTC),
        )
        warming = warm_up_in_background()
        if serving:
            freeze_when_started(warming)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="nerveglide",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # The errors every API route may answer, documented on each operation.
        responses=API_ERRORS,
        # Every route: who is asking (a login outside the public routes), and CSRF.
        dependencies=[Depends(authenticate)],
    )
    app.state.settings = settings
    app.state.library = library
    app.state.rules = default_rules()
    app.state.questionnaires = load_questionnaires()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    pose_assets = settings.effective_pose_assets_dir
    if (pose_assets / "pose.js").is_file():
        app.mount(POSE_ASSETS_ROUTE, StaticFiles(directory=pose_assets), name="pose-assets")
    else:

        @app.get(POSE_ASSETS_ROUTE + "/{path:path}", include_in_schema=False)
        def pose_assets_missing(path: str) -> JSONResponse:
            return JSONResponse(
                {
                    "error": 404,
                    "detail": f"The pose runtime is not installed in {pose_assets}: run `npm ci` "
                    "(or set NERVEGLIDE_POSE_ASSETS_DIR).",
                },
                status_code=404,
            )

    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(program.router)
    app.include_router(sessions.router)
    app.include_router(safety.router)
    app.include_router(diary.router)
    app.include_router(reports.router)
    app.include_router(analysis.router)
    app.include_router(questionnaires.router)
    app.include_router(reminders.router)
    app.include_router(auth.router)
    app.include_router(account.router)
    app.include_router(clinician.router)
    app.include_router(admin.router)
    app.include_router(clinician_api.router)
    app.include_router(admin_api.router)
    app.include_router(live.router)

    def api_schema() -> dict[str, Any]:
        # The OpenAPI schema describes the JSON API (/api/...): the pages and their forms
        # are for browsers, and the matrix and page tests check them.
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schema["paths"] = {
                path: item for path, item in schema["paths"].items() if path.startswith("/api/")
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = api_schema  # type: ignore[method-assign]

    def render_error(request: Request, status: int, message: str) -> Response:
        # 503: the database does not answer for now; the client may send it again soon.
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": status, "detail": message}, status_code=status, headers=headers
            )
        return templates.TemplateResponse(
            request,
            "error.html",
            {"library": library, "page": "", "status": status, "message": message},
            status_code=status,
            headers=headers,
        )

    @app.exception_handler(NerveglideError)
    async def nerveglide_error(request: Request, exc: NerveglideError) -> Response:
        if (
            isinstance(exc, NotAuthenticated)
            and not isinstance(exc, Throttled)
            and not request.url.path.startswith("/api/")
            and request.method in ("GET", "HEAD")
        ):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
        if isinstance(exc, DatabaseUnavailable):  # its reason names hosts: for the log only
            log.warning("%s", exc.message)
            return render_error(request, status, DatabaseUnavailable.default_message)
        if status >= 500:
            log.error("%s", type(exc).__name__, exc_info=exc)
        return render_error(request, status, exc.message)

    @app.exception_handler(DriverError)
    async def database_error(request: Request, exc: DriverError) -> Response:
        # A query failed outside a unit of work's commit (which raises DatabaseError).
        return await nerveglide_error(request, as_database_error(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return render_error(request, 422, describe_validation_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return render_error(request, 404, "There is no page at this address.")
        return render_error(request, exc.status_code, str(exc.detail))

    # Outermost: the request id and the access log (and the last-resort error answer),
    # then, outside them, the proxy's X-Forwarded-* from the trusted proxies alone.
    # Inside them (added first, so run last): the security headers, the same-origin
    # check of writes, and the safety re-evaluation after a patient's change.
    app.add_middleware(AlertClinicians, settings=settings)
    app.add_middleware(SameOriginWrites)
    app.add_middleware(SecurityHeaders, secure_cookies=settings.secure_cookies)
    app.add_middleware(RequestLog)
    if settings.trusted_proxy_list:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app
