"""Where the tests find the team's shared, read-only folder (seeds, videos, briefs)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """``$NERVEGLIDE_SHARED_DIR``, else ``../shared`` beside the checkout, else the team's
    usual place for it."""
    if folder := os.environ.get("NERVEGLIDE_SHARED_DIR"):
        return Path(folder)
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared"


SHARED = _shared()
SEEDS = SHARED / "seeds"
