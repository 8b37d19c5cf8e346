"""The server process's heap after start-up, set aside from the garbage collector.

CPython's full collection walks every object the process holds: in an app instance, the
modules, the content library, the PDF backend warmed up at start-up (over 100,000
objects), on top of a request's own. A full collection comes every few dozen requests that
build many objects (a clinician's dashboard of 1,000 patients does), and stalls the request
it falls in by 50-70 ms on an idle core, several times that on a busy one (bench.load's
slowest dashboards). Objects made at start-up live as long as the process, so once the
start-up work is done they are frozen (:func:`gc.freeze`): later collections skip them.
Only ``nerveglide serve``'s processes do this; an app made in a test or a script leaves its
process's collector as it is.
"""

from __future__ import annotations

import gc
import threading


def freeze_when_started(*waiting_for: threading.Thread | None) -> threading.Thread:
    """In a background thread: wait for the start-up work still under way (``waiting_for``),
    collect what it left, then freeze every object the process holds."""

    def freeze() -> None:
        for thread in waiting_for:
            if thread is not None:
                thread.join()
        gc.collect()
        gc.freeze()

    thread = threading.Thread(target=freeze, name="heap-freeze", daemon=True)
    thread.start()
    return thread
