"""The Jinja2 environment shared by every page."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from nerveglide import __version__
from nerveglide.content.loader import CONTENT_VERSION
from nerveglide.web import views

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals.update(
    citations=views.citation_views,
    dose_facts=views.dose_facts,
    app_version=__version__,
    content_version=CONTENT_VERSION,
)
