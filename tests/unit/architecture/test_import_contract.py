"""The domain core and the content stay free of web, database, numpy and camera code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "nerveglide"

FORBIDDEN = {
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "numpy",
    "cv2",
    "mediapipe",
    "PIL",
    "typer",
    "rich",
    "nerveglide.web",
    "nerveglide.store",
    "nerveglide.services",
    "nerveglide.cli",
    "nerveglide.motion",
    "nerveglide.demo",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                found.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return found


@pytest.mark.parametrize("package", ["domain", "content"])
def test_core_imports_nothing_forbidden(package):
    assert (PACKAGE / package).is_dir()
    assert violations(package) == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nfrom sqlalchemy.orm import Session\nfrom . import x\n")
    assert imported_modules(bad) == {"numpy", "sqlalchemy.orm"}
