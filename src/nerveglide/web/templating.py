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


def safety_context(request: Request) -> dict[str, Any]:
    """The verdict behind the banner every page shows while a tier above "ok" is active."""
    factory = getattr(request.app.state, "session_factory", None)
    rules = getattr(request.app.state, "rules", None)
    if factory is None or rules is None or request.url.path.startswith("/api/"):
        return {"safety": None}
    from nerveglide.services.safety import current_verdict
    from nerveglide.services.uow import SqlAlchemyUnitOfWork

    with SqlAlchemyUnitOfWork(factory) as uow:
        verdict = current_verdict(uow, rules, datetime.now(UTC))
    return {"safety": verdict if verdict.tier != "ok" else None, "tier_text": rules.tier_text}


templates = Jinja2Templates(directory=str(TEMPLATE_DIR), context_processors=[safety_context])
templates.env.globals.update(
    citations=views.citation_views,
    dose_facts=views.dose_facts,
    app_version=__version__,
    content_version=CONTENT_VERSION,
)
