"""A served app sets its start-up heap aside from the garbage collector once its start-up
work is done (nerveglide.web.heap); an app made anywhere else leaves the collector alone.

Freezing is process-wide, so the served case runs in a process of its own."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from fastapi.testclient import TestClient

from nerveglide.config import Settings
from nerveglide.web.app import create_app

SERVED = textwrap.dedent(
    """
    import gc, sys, threading, time
    from fastapi.testclient import TestClient
    from nerveglide.config import get_settings
    from nerveglide.store import migrate
    from nerveglide.web.app import create_app

    settings = get_settings(data_dir=sys.argv[1], env="test")
    migrate.upgrade(settings.effective_database_url)
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings, serving=True)) as client:
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 60
        while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        names = {t.name for t in threading.enumerate()}
        # Frozen after the PDF warm-up: its modules are in the frozen heap.
        assert "pdf-warm-up" not in names, names
        assert "matplotlib.backends.backend_pdf" in sys.modules
        print(gc.get_freeze_count())
    """
)


def test_a_served_app_freezes_its_heap_once_started(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", SERVED, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout.split()[-1]) > 50_000  # the process's start-up objects


def test_an_app_made_elsewhere_leaves_the_collector_alone(settings: Settings):
    before = gc.get_freeze_count()
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == before
