"""The server imports the PDF renderer at start, in the background, so that the first
report a person asks for does not wait for matplotlib's PDF backend and fontTools. Run in
a fresh interpreter: this test process has imported them long since."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    from fastapi.testclient import TestClient
    from nerveglide.config import get_settings
    from nerveglide.store import migrate
    from nerveglide.web.app import create_app

    url, folder = sys.argv[1], sys.argv[2]
    migrate.upgrade(url)
    assert "matplotlib.backends.backend_pdf" not in sys.modules, "imported before start"
    settings = get_settings(data_dir=folder, database_url=url, env="test")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        for thread in threading.enumerate():
            if thread.name == "pdf-warm-up":
                thread.join(timeout=60)
        print("backend", "matplotlib.backends.backend_pdf" in sys.modules)
        print("subset", "fontTools.subset" in sys.modules)
    """
)


def test_the_server_warms_the_pdf_renderer_at_start(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'warm.db'}"
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["backend True", "subset True"]
