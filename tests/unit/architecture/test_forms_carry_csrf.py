"""Every form that writes (method="post") carries the CSRF token, so a new form without
it fails here rather than with a 403 in someone's browser."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[3] / "src" / "nerveglide" / "web" / "templates"


def test_every_post_form_includes_the_csrf_field():
    missing = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for form in re.finditer(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', text, re.S | re.I):
            if '{% include "_csrf.html" %}' not in form.group(1):
                line = text[: form.start()].count("\n") + 1
                missing.append(f"{template.name}:{line}")
    assert missing == []
    assert (TEMPLATES / "_csrf.html").read_text().count('name="csrf_token"') == 1
