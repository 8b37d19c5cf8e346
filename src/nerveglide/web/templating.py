"""The Jinja2 environment shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from nerveglide import __version__
from nerveglide.content.loader import CONTENT_VERSION
from nerveglide.web import views

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def login_context(request: Request) -> dict[str, Any]:
    """Who is logged in (for the menu) and the CSRF token every form carries."""
    from nerveglide.web.auth import csrf_token_for, current_login

    if getattr(request.app.state, "session_factory", None) is None:
        return {"login": None, "csrf_token": ""}
    return {"login": current_login(request), "csrf_token": csrf_token_for(request)}


def safety_context(request: Request) -> dict[str, Any]:
    """The verdict behind the banner every page shows while a tier above "ok" is active
    (for a logged-in patient, about their own data)."""
    factory = getattr(request.app.state, "session_factory", None)
    rules = getattr(request.app.state, "rules", None)
    if factory is None or rules is None or request.url.path.startswith("/api/"):
        return {"safety": None}
    from nerveglide.services.safety import current_verdict
    from nerveglide.services.uow import SqlAlchemyUnitOfWork
    from nerveglide.web.auth import current_login

    login = current_login(request)
    if login is None or login.role != "patient":
        return {"safety": None}
    with SqlAlchemyUnitOfWork(factory, patient_id=login.account_id) as uow:
        verdict = current_verdict(uow, rules, datetime.now(UTC))
    return {"safety": verdict if verdict.tier != "ok" else None, "tier_text": rules.tier_text}


templates = Jinja2Templates(
    directory=str(TEMPLATE_DIR), context_processors=[login_context, safety_context]
)
templates.env.globals.update(
    citations=views.citation_views,
    dose_facts=views.dose_facts,
    app_version=__version__,
    content_version=CONTENT_VERSION,
)
