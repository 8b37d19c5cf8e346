"""The audit log (append-only, on SQLite and PostgreSQL) holds logins, failed logins,
changes, reads by someone other than the patient and refusals; the person's rights:
all their data as FHIR and CSV, and deleting the account removes the clinical data and
keeps the audit entries. A pre-accounts database's rows go to the first patient who
registers."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nerveglide.store import migrate
from nerveglide.store.db import make_engine
from tests.accounts import PASSWORD, add_account, form_token, log_in, register, upload_video
from tests.integration.accounts.conftest import App
from tests.integration.web.test_sessions_api import RAISE_000, screen


def rows(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            return [tuple(r) for r in connection.execute(text(statement), params).all()]
    finally:
        engine.dispose()


def events(url: str) -> list[tuple[object, ...]]:
    return rows(
        url,
        "SELECT actor_role, action, object_type, outcome, patient_id FROM audit_event ORDER BY id",
    )


def test_the_audit_log_records_logins_changes_reads_and_refusals(app: App):
    clinician = add_account(app.url, "c@example.org", "clinician")
    patient = add_account(app.url, "p@example.org", clinician_id=clinician)
    add_account(app.url, "q@example.org")
    with app.client() as client, app.client() as doctor, app.client() as stranger:
        client.get("/login")
        failed = client.post(
            "/login",
            data={"email": "p@example.org", "password": "not the password",
                  "csrf_token": form_token(client, "/login")},
        )  # fmt: skip
        assert failed.status_code == 401
        log_in(client, "p@example.org")
        assert client.put(
            "/api/program", json={"affected_leg": "left", "glides": [RAISE_000]}
        ).is_success
        log_in(doctor, "c@example.org")
        assert doctor.get(f"/clinician/patients/{patient}").status_code == 200
        log_in(stranger, "q@example.org")
        assert stranger.get(f"/clinician/patients/{patient}").status_code == 403
    seen = events(app.url)
    assert ("patient", "login", "account", "failed", None) in seen
    assert ("patient", "login", "account", "ok", None) in seen
    assert ("patient", "create", "program", "ok", patient) in seen
    assert ("patient", "create", "program_glide", "ok", patient) in seen
    assert ("clinician", "read", "patient", "ok", patient) in seen
    assert ("patient", "access", "page", "denied", None) in seen
    # The patient's own reads are not audited as someone else's.
    assert ("patient", "read", "patient", "ok", patient) not in seen


def test_audit_rows_cannot_be_changed_or_deleted(app: App):
    add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
    assert rows(app.url, "SELECT COUNT(*) FROM audit_event") != [(0,)]
    for statement in ("UPDATE audit_event SET action = 'nothing'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            rows(app.url, statement)
    assert rows(app.url, "SELECT COUNT(*) FROM audit_event WHERE action = 'nothing'") == [(0,)]


def test_the_admin_views_and_exports_the_log_but_reads_no_clinical_data(app: App):
    add_account(app.url, "admin@example.org", "admin")
    patient = add_account(app.url, "p@example.org")
    with app.client() as admin, app.client() as client:
        log_in(client, "p@example.org")
        log_in(admin, "admin@example.org")
        page = admin.get("/admin/audit")
        assert page.status_code == 200
        assert "login" in page.text
        exported = admin.get("/admin/audit.csv")
        assert exported.status_code == 200
        header = exported.text.splitlines()[0]
        assert (
            header
            == "id,at,actor_id,actor_role,action,object_type,object_id,patient_id,address,outcome"
        )
        assert admin.get("/diary").status_code == 403
        assert admin.get(f"/clinician/patients/{patient}").status_code == 403
    assert ("admin", "export", "audit_log", "ok", None) in events(app.url)


def test_my_data_download_and_account_deletion(app: App):
    patient = add_account(app.url, "p@example.org")
    with app.client() as client:
        log_in(client, "p@example.org")
        assert client.put(
            "/api/program", json={"affected_leg": "left", "glides": [RAISE_000]}
        ).is_success
        screen(client)
        started = client.post("/api/sessions", json={"pain_before": {"back": 3, "leg": 5}})
        assert started.status_code == 201
        session_id = started.json()["id"]
        video = upload_video(client, session_id)
        video_bytes = client.get(str(video["url"])).content
        zipped = client.get("/account/my-data.zip")
        assert zipped.status_code == 200
        assert zipped.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(zipped.content))
        names = set(archive.namelist())
        assert {"README.txt", "account.json", "fhir-bundle.json", "csv/sessions.csv"} <= names
        bundle = json.loads(archive.read("fhir-bundle.json"))
        assert bundle["resourceType"] == "Bundle"
        assert session_id in archive.read("csv/sessions.csv").decode()
        # The kept video, byte for byte, listed in videos.csv; the README names each part.
        (in_zip,) = [n for n in names if n.startswith(f"videos/{session_id}/")]
        assert archive.read(in_zip) == video_bytes
        index = archive.read("videos.csv").decode().splitlines()
        assert index[0] == "session_id,kept_at,content_type,size_bytes,file"
        assert index[1].startswith(f"{session_id},")
        assert index[1].endswith(f",{in_zip}")
        readme = archive.read("README.txt").decode()
        for part in ("account.json", "fhir-bundle.json", "csv/", "videos/", "videos.csv"):
            assert part in readme, part
        assert not list(Path(tempfile.gettempdir()).glob("nerveglide-data-*.zip"))
        wrong = client.post(
            "/account/delete", data={"password": "not my password"}, follow_redirects=False
        )
        assert wrong.headers["location"] == "/account?wrong_password=1"
        assert rows(app.url, "SELECT COUNT(*) FROM exercise_session") == [(1,)]
        gone = client.post("/account/delete", data={"password": PASSWORD}, follow_redirects=False)
        assert gone.status_code == 303
        assert client.get("/api/me").status_code == 401
    for table in (
        "account",
        "program",
        "program_glide",
        "exercise_session",
        "screening",
        "safety_verdict",
    ):
        assert rows(app.url, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    kept = events(app.url)
    assert ("patient", "delete", "account", "ok", patient) in kept
    assert ("patient", "create", "exercise_session", "ok", patient) in kept


def test_a_pre_accounts_database_goes_to_the_first_patient_who_registers(database_url, tmp_path):
    from nerveglide.config import get_settings

    migrate.upgrade(database_url, "0005")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO program (id, affected_leg, created_at) VALUES (1, 'right', :t)"),
            {"t": datetime(2026, 11, 1, tzinfo=UTC)},
        )
    engine.dispose()
    migrate.upgrade(database_url)
    assert rows(database_url, "SELECT email, role, unclaimed FROM account") == [
        ("owner@pre-accounts.invalid", "patient", True)
    ]
    owner = rows(database_url, "SELECT id FROM account")[0][0]
    assert rows(database_url, "SELECT patient_id FROM program") == [(owner,)]
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    app = App(settings, database_url)
    with app.client() as client:
        register(client, "me@example.org")
        assert client.get("/api/program").json()["affected_leg"] == "right"
    assert rows(database_url, "SELECT id, email, unclaimed FROM account") == [
        (owner, "me@example.org", False)
    ]
    migrate.downgrade(database_url, "0005")
    assert rows(database_url, "SELECT affected_leg FROM program") == [("right",)]
