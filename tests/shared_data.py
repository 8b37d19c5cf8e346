"""Where the tests find the team's shared, read-only folder (seeds, videos, briefs)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NERVEGLIDE_SHARED_DIR", REPO.parent / "shared"))
SEEDS = SHARED / "seeds"
