"""How fast the teaching side is: loading the content, drawing the demonstrations, serving
the pages. Prints figures; asserts nothing. Run: .venv/bin/python -m bench.content_and_pages
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from fastapi.testclient import TestClient

from nerveglide.config import get_settings
from nerveglide.content.loader import load_library
from nerveglide.content.schema import EXERCISE_IDS
from nerveglide.demo.gif import render_frames
from nerveglide.demo.svg import animated_svg
from nerveglide.store import migrate
from nerveglide.web.app import create_app


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float]) -> None:
    median = statistics.median(samples) * 1000
    print(
        f"{label:<44} median {median:8.2f} ms   min {min(samples) * 1000:8.2f} ms  n={len(samples)}"
    )


def main() -> None:
    report("load and validate all content", timed(load_library, 20))
    library = load_library()
    for exercise_id in EXERCISE_IDS:
        glide = library.exercise(exercise_id)
        report(f"animated SVG, 12 fps: {exercise_id}", timed(partial(animated_svg, glide), 10))
    glide = library.exercise("supine-nerve-glide")
    report("GIF frames, 12 fps: supine-nerve-glide", timed(lambda: render_frames(glide), 3))

    with tempfile.TemporaryDirectory() as folder:
        settings = get_settings(data_dir=Path(folder), env="test")
        migrate.upgrade(settings.effective_database_url)
        with TestClient(create_app(settings)) as client:
            for path in (
                "/",
                "/about",
                "/exercises/seated-leg-kick",
                "/api/exercises/seated-leg-raise",
            ):
                client.get(path)  # warm the caches
                samples = timed(partial(client.get, path), 50)
                report(f"GET {path}", samples)
                print(f"{'':<44} {1 / statistics.median(samples):8.0f} requests/s in-process")


if __name__ == "__main__":
    main()
