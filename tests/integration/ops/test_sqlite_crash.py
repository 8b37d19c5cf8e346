"""SQLite: the app killed with SIGKILL in the middle of writes loses nothing it acknowledged.

Three clients keep saving diary entries and session repetitions through the HTTP API;
the app is killed (SIGKILL: no shutdown, no checkpoint) while requests are in flight,
then restarted on the same file. Every write answered with a 2xx before the kill must be
there exactly once, read through the app and straight from the file, and the file must
pass ``PRAGMA integrity_check``. What holds it: the app answers only after its commit,
a commit in WAL mode is one atomic append (a transaction cut off in the WAL is discarded
when the file is next opened), and the pages written are the kernel's once written, so a
killed process can't take them along. ``synchronous=FULL`` (an fsync at every commit)
carries the same promise through a power cut, which a process kill can't show: the
first test pins both settings.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from nerveglide.store.db import SQLITE_PRAGMAS
from tests.integration.ops.app import (
    Ledger,
    Patient,
    Writers,
    acknowledged,
    app_env,
    duplicates,
    nerveglide,
    serve,
    served,
    stored,
)

#: Writes acknowledged before the kill (about a third diary entries, the rest mostly
#: repetitions, a session start every 20).
ACKED_BEFORE_KILL = 240


def test_the_settings_that_keep_acknowledged_writes():
    # WAL (atomic commits that a crash can't tear) with a sync at every commit.
    assert ("journal_mode", "WAL") in SQLITE_PRAGMAS
    assert ("synchronous", "FULL") in SQLITE_PRAGMAS


def test_sigkill_mid_writes_loses_no_acknowledged_write(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    env = app_env(data)
    assert nerveglide(env, "db", "upgrade").returncode == 0
    app = serve(env, tmp_path / "app.log")
    ledger = Ledger()
    patient = Patient(app.base)
    try:
        patient.register(env)
        patient.prepare()
        with Writers(patient, ledger) as writers:
            writers.wait_for(ACKED_BEFORE_KILL)
            killed_at = time.monotonic()
            app.process.send_signal(signal.SIGKILL)
            app.process.wait(timeout=10)
    finally:
        patient.close()
        app.stop()
    assert app.process.returncode == -signal.SIGKILL
    in_flight = [w for w in ledger.writes if w.sent < killed_at and w.acked is None]
    assert in_flight, "no write was in flight when the app was killed"
    acked = ledger.acked()
    notes, reps = acknowledged(acked)
    sessions = {w.key[0] for w in acked if w.kind == "session"}
    assert len(notes) > 50
    assert len(reps) > 100
    assert len(sessions) > 3

    # Straight from the file, before anything else opens it.
    with sqlite3.connect(data / "nerveglide.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        file_notes, file_reps = stored(connection)
        session_rows = {row[0] for row in connection.execute("SELECT id FROM exercise_session")}
    connection.close()
    assert notes <= set(file_notes)
    assert reps <= set(file_reps)
    assert sessions <= session_rows
    assert duplicates(file_notes) == []
    assert duplicates(file_reps) == []
    # Nothing that was never sent: the file holds at most the writes that were sent.
    sent_notes, sent_reps = acknowledged(ledger.writes)
    assert set(file_notes) <= sent_notes
    assert set(file_reps) <= sent_reps

    # And through the app, restarted on the same file: the same login still works.
    app = serve(env, tmp_path / "app-after.log")
    try:
        with Patient.with_login(app.base, patient) as again:
            app_notes, app_reps = served(again, sessions)
    finally:
        app.stop()
    assert notes <= set(app_notes)
    assert duplicates(app_notes) == []
    assert reps <= set(app_reps)
    assert duplicates(app_reps) == []
