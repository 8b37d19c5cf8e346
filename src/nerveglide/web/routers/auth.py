"""Logging in and out, registering (invited or self-guided) and resetting a password."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nerveglide.config import Settings
from nerveglide.errors import InvalidInput, NotAuthenticated, Throttled
from nerveglide.services import account_mail, accounts
from nerveglide.web.auth import (
    ANON_CSRF_COOKIE,
    ActorDep,
    client_address,
    current_login,
    session_cookie_name,
    set_session_cookie,
)
from nerveglide.web.deps import LibraryDep, SettingsDep
from nerveglide.web.responses import MeOut
from nerveglide.web.templating import templates

router = APIRouter()

_HOME = {"patient": "/program", "clinician": "/clinician", "admin": "/admin"}


def _safe_next(value: str, role: str) -> str:
    # Only a path on this site: never "//host" or "https://..." (an open redirect).
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return _HOME.get(role, "/")


def _page(
    request: Request, library: Any, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, {"library": library, "page": "", **context}, status_code=status
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, library: LibraryDep, next: str = "") -> HTMLResponse:
    return _page(request, library, "login.html", next=next, email="")


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login_submit(
    request: Request,
    library: LibraryDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        cookie, logged_in = accounts.login(
            request.app.state.session_factory,
            settings,
            email=email,
            password=password,
            address=client_address(request),
            now=datetime.now(UTC),
            previous_session=request.cookies.get(session_cookie_name(settings)),
        )
    except NotAuthenticated as exc:
        status = 429 if isinstance(exc, Throttled) else 401
        page = _page(
            request, library, "login.html", status=status, next=next, email=email,
            error=exc.message,
        )  # fmt: skip
        if isinstance(exc, Throttled):
            page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    response = RedirectResponse(_safe_next(next, logged_in.role), status_code=303)
    return _logged_in(response, settings, cookie)


@router.post("/logout")
def logout(request: Request, settings: SettingsDep, actor: ActorDep) -> RedirectResponse:
    login = current_login(request)
    if login is not None:
        accounts.end_session(request.app.state.session_factory, login, actor.address)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(session_cookie_name(settings), path="/")
    return response


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, library: LibraryDep, invite: str = "") -> HTMLResponse:
    return _page(request, library, "register.html", invite=invite, values={})


@router.post("/register", response_class=HTMLResponse, response_model=None)
def register_submit(
    request: Request,
    library: LibraryDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    display_name: Annotated[str, Form(max_length=200)] = "",
    invite: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    factory = request.app.state.session_factory
    now = datetime.now(UTC)
    address = client_address(request)
    try:
        if not invite:
            # The same page whether or not the address has an account; the email says
            # which (a link to confirm, or "you already have an account"), sent after
            # the answer so its time tells nothing either.
            token = accounts.request_registration(
                factory, settings, email=email, password=password, display_name=display_name,
                now=now, address=address,
            )  # fmt: skip
            to = accounts.normalize_email(email)
            if token is None:
                background.add_task(account_mail.already_registered, settings, to)
            else:
                background.add_task(account_mail.confirm_registration, settings, to, token)
            return _page(
                request, library, "register.html", invite="", values={}, sent=to,
                valid_hours=settings.register_valid_hours,
            )  # fmt: skip
        accounts.register_patient(
            factory, email=email, password=password, display_name=display_name, now=now,
            invite_token=invite, address=address,
        )  # fmt: skip
        cookie, _ = accounts.login(
            factory, settings, email=email, password=password, address=address, now=now
        )
    except InvalidInput as exc:
        values = {"email": email, "display_name": display_name}
        return _page(
            request, library, "register.html", status=422, invite=invite, values=values,
            error=exc.message,
        )  # fmt: skip
    return _logged_in(RedirectResponse("/program", status_code=303), settings, cookie)


def _logged_in(response: Response, settings: Settings, cookie: str) -> Response:
    set_session_cookie(response, settings, cookie)
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


@router.get("/register/confirm", response_class=HTMLResponse)
def register_confirm_form(request: Request, library: LibraryDep, token: str = "") -> HTMLResponse:
    # A button, not the link itself: a mail scanner that opens links must not use it up.
    return _page(request, library, "register_confirm.html", token=token)


@router.post("/register/confirm", response_class=HTMLResponse, response_model=None)
def register_confirm(
    request: Request,
    library: LibraryDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=200)],
) -> Response:
    factory = request.app.state.session_factory
    now = datetime.now(UTC)
    address = client_address(request)
    try:
        row = accounts.confirm_registration(factory, token=token, now=now, address=address)
    except InvalidInput as exc:
        return _page(
            request, library, "register_confirm.html", status=422, token="", error=exc.message
        )
    cookie, _ = accounts.start_session(factory, row, address=address, now=now)
    return _logged_in(RedirectResponse("/program", status_code=303), settings, cookie)


@router.get("/password-reset", response_class=HTMLResponse)
def reset_request_form(request: Request, library: LibraryDep) -> HTMLResponse:
    return _page(request, library, "reset_request.html", sent=False)


@router.post("/password-reset", response_class=HTMLResponse)
def reset_request_submit(
    request: Request,
    library: LibraryDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=254)],
) -> HTMLResponse:
    token = accounts.request_password_reset(
        request.app.state.session_factory,
        settings,
        email=email,
        now=datetime.now(UTC),
        address=client_address(request),
    )
    if token is not None:  # sent after the answer: its time tells nothing either
        background.add_task(account_mail.password_reset, settings, email.strip().lower(), token)
    # The same answer whether or not there is an account: nobody learns who has one.
    return _page(request, library, "reset_request.html", sent=True)


@router.get("/password-reset/new", response_class=HTMLResponse)
def reset_form(request: Request, library: LibraryDep, token: str = "") -> HTMLResponse:
    return _page(request, library, "reset.html", token=token)


@router.post("/password-reset/new", response_class=HTMLResponse, response_model=None)
def reset_submit(
    request: Request,
    library: LibraryDep,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        accounts.reset_password(
            request.app.state.session_factory,
            token=token,
            password=password,
            now=datetime.now(UTC),
            address=client_address(request),
        )
    except InvalidInput as exc:
        return _page(request, library, "reset.html", status=422, token=token, error=exc.message)
    return RedirectResponse("/login?reset=1", status_code=303)


@router.get("/api/me", response_model=MeOut)
def api_me(request: Request, actor: ActorDep) -> dict[str, Any]:
    """Who is logged in, and the CSRF token API writes carry in ``X-CSRF-Token``."""
    login = current_login(request)
    assert login is not None
    return {
        "id": login.account_id,
        "role": login.role,
        "email": login.email,
        "display_name": login.display_name,
        "csrf_token": login.csrf_token,
    }
