"""SQLite on a disk that fills up or turns read-only under the running app.

A write that can't be stored is answered 503 with the cause in plain words (API and
pages), the command line says the same and exits non-zero, reads go on, nothing saved
before is lost, the file passes ``PRAGMA integrity_check`` afterwards, and once space is
back the next write works without a restart. The file systems are real (a tmpfs of a
few MiB, an ext4 image on a loop device that the kernel turns read-only): see disks.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.integration.ops import disks
from tests.integration.ops.app import (
    App,
    Patient,
    app_env,
    diary_body,
    nerveglide,
    rep_body,
    serve,
    stored,
)

FULL = "the database could not be written: disk full"
READ_ONLY = (
    "the database could not be written: the file system holding the data directory is read-only"
)


def start(data: Path, log: Path) -> tuple[App, Patient, list[str], str]:
    """The app on ``data`` with a patient who saved a few diary entries and two
    repetitions of a session: (app, patient, the notes saved, the session's id)."""
    env = app_env(data)
    upgraded = nerveglide(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    app = serve(env, log)
    patient = Patient(app.base)
    try:
        patient.register(env)
        patient.prepare()
        notes = [f"saved before {n}" for n in range(5)]
        for note in notes:
            patient.ok("PUT", f"/api/diary/{patient.today()}", diary_body(note))
        started = patient.ok("POST", "/api/sessions", {"pain_before": {"back": 2, "leg": 3}})
        for rep_no in (1, 2):
            patient.ok("PUT", f"/api/sessions/{started['id']}/repetitions", rep_body(rep_no))
    except BaseException:
        patient.close()
        app.stop()
        raise
    return app, patient, notes, str(started["id"])


def diary_form(patient: Patient, note: str) -> dict[str, str]:
    return {"back_pain": "2", "leg_pain": "3", "numbness": "none", "weakness": "none",
            "note": note, "csrf_token": patient.csrf}  # fmt: skip


def file_notes(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        notes, _ = stored(connection)
    connection.close()
    return notes


def test_a_full_disk_is_a_503_naming_it_and_writes_resume_when_space_is_back(tmp_path: Path):
    with disks.tmpfs(tmp_path / "disk", "8m") as disk:
        data = disk / "data"
        data.mkdir()
        app, patient, saved, session = start(data, tmp_path / "app.log")
        try:
            diary = f"/api/diary/{patient.today()}"
            filler = disks.fill(disk / "filler")
            # The database's last free pages may still take a few saves; then it needs
            # space it can't get.
            refused = None
            for n in range(500):
                reply = patient.request("PUT", diary, diary_body(f"while full {n}"))
                if reply.status != 200:
                    refused = reply
                    break
                saved.append(f"while full {n}")
            assert refused is not None, "the full disk never refused a write"
            assert refused.status == 503
            assert refused.json()["detail"] == FULL
            page = patient.request("POST", "/diary", form=diary_form(patient, "from the page"))
            assert page.status == 503
            assert FULL.encode() in page.body
            rep = patient.request("PUT", f"/api/sessions/{session}/repetitions", rep_body(3))
            assert rep.status == 503  # the player keeps it queued and tries again
            assert patient.diary_notes() == saved  # reads go on, nothing lost
            shell = nerveglide(app_env(data), "safety", "set", "screen_interval_days", "14")
            assert shell.returncode == 2
            assert FULL in shell.stderr

            filler.unlink()  # space is back: no restart
            patient.ok("PUT", diary, diary_body("space is back"))
            saved.append("space is back")
            assert patient.request("POST", "/diary", form=diary_form(patient, "page")).status == 303
            saved.append("page")
            patient.ok("PUT", f"/api/sessions/{session}/repetitions", rep_body(3))
            assert patient.diary_notes() == saved
            assert patient.repetitions(session) == [1, 2, 3]
        finally:
            patient.close()
            app.stop()
        assert sorted(file_notes(data / "nerveglide.db")) == sorted(saved)


def test_a_file_system_turned_read_only_is_a_503_and_keeps_what_was_saved(tmp_path: Path):
    image, mountpoint = tmp_path / "disk.img", tmp_path / "disk"
    with disks.ext4_image(image, mountpoint) as disk:
        data = disk / "data"
        data.mkdir()
        app, patient, saved, session = start(data, tmp_path / "app.log")
        try:
            disks.turn_read_only(disk)
            reply = patient.request("PUT", f"/api/diary/{patient.today()}", diary_body("lost?"))
            assert reply.status == 503
            assert reply.json()["detail"] == READ_ONLY
            rep = patient.request("PUT", f"/api/sessions/{session}/repetitions", rep_body(3))
            assert rep.status == 503
            assert patient.diary_notes() == saved  # reads go on
            assert patient.repetitions(session) == [1, 2]
            shell = nerveglide(app_env(data), "safety", "set", "screen_interval_days", "14")
            assert shell.returncode == 2
            assert "read-only" in shell.stderr
        finally:
            patient.close()
            app.stop()
        assert app.process.returncode is not None
        # Started again on it, the app and the migrations refuse at once, saying why.
        for command in (("serve",), ("db", "upgrade")):
            refused = nerveglide(app_env(data), *command, timeout=60)
            assert refused.returncode == 2, command
            assert f"the data directory {data} (NERVEGLIDE_DATA_DIR) is not writable" in (
                refused.stderr
            )
            assert "Read-only file system" in refused.stderr
        disks.unmount(disk)
        disks.check_ext4(image)
        disks.mount_ext4(image, disk)
        assert sorted(file_notes(data / "nerveglide.db")) == sorted(saved)


def test_serve_and_db_upgrade_refuse_a_data_directory_that_is_missing_or_read_only(
    tmp_path: Path, postgres_database_url: str
):
    missing = tmp_path / "no-such-folder"
    for database_url in ("", postgres_database_url):
        for command in (("serve",), ("db", "upgrade")):
            if database_url and command == ("db", "upgrade"):
                continue  # on PostgreSQL the migrations don't touch the data directory
            result = nerveglide(app_env(missing, database_url), *command)
            assert result.returncode == 2, (database_url, command, result.stderr)
            assert f"the data directory {missing} (NERVEGLIDE_DATA_DIR) does not exist" in (
                result.stderr
            )
            assert f"mkdir -p {missing}" in result.stderr
    assert not missing.exists()
    with disks.tmpfs(tmp_path / "ro", "1m", "ro") as read_only:
        for command in (("serve",), ("db", "upgrade"), ("restore", str(tmp_path / "x"))):
            result = nerveglide(app_env(read_only), *command)
            assert result.returncode == 2, (command, result.stderr)
            assert "(NERVEGLIDE_DATA_DIR) is not writable (Read-only file system)" in (
                result.stderr
            )
