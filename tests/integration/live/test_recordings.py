"""Kept session videos on SQLite and PostgreSQL: saved in the patient's own data folder
only when uploaded, listed, served back, deleted with their file (and with the account);
too large or not a video is refused with nothing left behind; nobody else reaches them;
videos kept before accounts move to their session's patient."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from nerveglide.store.db import make_engine
from tests.accounts import PASSWORD, add_account, log_in

#: Not a playable video, but the server stores bytes as given: it never decodes them.
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 4096


def files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".webm", ".part"))


def patient_folder(client: TestClient, tmp_path: Path) -> Path:
    return tmp_path / "patients" / str(client.get("/api/me").json()["id"])


def test_a_video_is_kept_listed_served_and_deleted(
    app_client: TestClient, session_id: str, tmp_path: Path
):
    url = f"/api/sessions/{session_id}/recordings"
    assert app_client.get(url).json() == []
    assert files(tmp_path) == []

    response = app_client.post(url, content=WEBM, headers={"Content-Type": "video/webm;codecs=vp8"})
    assert response.status_code == 201, response.text
    video = response.json()
    assert video["content_type"] == "video/webm"
    assert video["size_bytes"] == len(WEBM)
    [stored] = files(tmp_path)
    assert stored.parent == patient_folder(app_client, tmp_path) / "recordings" / session_id
    assert stored.read_bytes() == WEBM

    assert [v["id"] for v in app_client.get(url).json()] == [video["id"]]
    served = app_client.get(video["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "video/webm"
    assert served.content == WEBM

    assert app_client.delete(video["url"]).status_code == 204
    assert app_client.get(url).json() == []
    assert files(tmp_path) == []
    assert app_client.get(video["url"]).status_code == 404
    assert app_client.delete(video["url"]).status_code == 404


def test_too_large_or_not_a_video_is_refused_and_nothing_is_kept(
    app_client: TestClient, session_id: str, tmp_path: Path
):
    url = f"/api/sessions/{session_id}/recordings"
    too_large = b"\x00" * (1024 * 1024 + 1)  # the app runs with recording_max_mb=1
    response = app_client.post(url, content=too_large, headers={"Content-Type": "video/webm"})
    assert response.status_code == 413
    assert "1 MiB" in response.json()["detail"]

    response = app_client.post(url, content=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert "Content-Type" in response.json()["detail"]

    response = app_client.post(url, content=b"", headers={"Content-Type": "video/webm"})
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]

    response = app_client.post(
        "/api/sessions/no-such-session/recordings",
        content=WEBM,
        headers={"Content-Type": "video/webm"},
    )
    assert response.status_code == 404
    assert app_client.get(url).json() == []
    assert files(tmp_path) == []


def test_a_foreign_page_cannot_upload(app_client: TestClient, session_id: str):
    response = app_client.post(
        f"/api/sessions/{session_id}/recordings",
        content=WEBM,
        headers={"Content-Type": "video/webm", "Origin": "https://evil.test"},
    )
    assert response.status_code == 403


def upload(client: TestClient, session_id: str) -> dict[str, object]:
    response = client.post(
        f"/api/sessions/{session_id}/recordings",
        content=WEBM,
        headers={"Content-Type": "video/webm"},
    )
    assert response.status_code == 201, response.text
    video: dict[str, object] = response.json()
    return video


def test_nobody_else_reaches_a_video_and_changes_are_audited(
    app_client: TestClient, session_id: str, database_url: str, tmp_path: Path
):
    video = upload(app_client, session_id)
    url = str(video["url"])
    owner_id = int(app_client.get("/api/me").json()["id"])
    add_account(database_url, "clinician@example.org", "clinician")
    add_account(database_url, "other.patient@example.org")
    anonymous = TestClient(app_client.app)
    assert anonymous.get(url).status_code == 401
    other = TestClient(app_client.app)
    log_in(other, "other.patient@example.org")
    clinician = TestClient(app_client.app)
    log_in(clinician, "clinician@example.org")
    for client, status in ((other, 404), (clinician, 403)):
        assert client.get(url).status_code == status
        assert client.get(f"/api/sessions/{session_id}/recordings").status_code == status
        assert client.delete(url).status_code == status
        refused = client.post(
            f"/api/sessions/{session_id}/recordings",
            content=WEBM,
            headers={"Content-Type": "video/webm"},
        )
        assert refused.status_code == status
    assert app_client.get(url).content == WEBM
    assert len(files(tmp_path)) == 1

    assert app_client.delete(url).status_code == 204
    engine = make_engine(database_url)
    with engine.connect() as connection:
        changes = connection.execute(
            text(
                "SELECT action, actor_id, actor_role FROM audit_event "
                "WHERE object_type = 'session_recording' AND patient_id = :p ORDER BY id"
            ),
            {"p": owner_id},
        ).all()
    engine.dispose()
    assert [tuple(c) for c in changes] == [
        ("create", owner_id, "patient"),
        ("delete", owner_id, "patient"),
    ]


def count(database_url: str, table: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        value = int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
    engine.dispose()
    return value


def test_deleting_the_account_deletes_its_videos_and_live_coach(
    app_client: TestClient, session_id: str, token: str, database_url: str, tmp_path: Path
):
    upload(app_client, session_id)
    upload(app_client, session_id)
    assert len(files(tmp_path)) == 2
    assert count(database_url, "live_coach") == 1  # the token fixture started it
    gone = app_client.post("/account/delete", data={"password": PASSWORD}, follow_redirects=False)
    assert gone.status_code == 303, gone.text
    assert files(tmp_path) == []
    for table in ("session_recording", "live_coach", "exercise_session"):
        assert count(database_url, table) == 0, table


def test_videos_kept_before_accounts_go_to_the_patient_who_takes_the_data_over(
    database_url: str, tmp_path: Path
):
    from nerveglide.config import get_settings
    from nerveglide.store import migrate
    from nerveglide.web.app import create_app
    from tests.accounts import register

    migrate.upgrade(database_url, "0007")  # the live coach, before accounts
    session_id = "11111111-2222-3333-4444-555555555555"
    started = datetime(2026, 11, 1, 9, tzinfo=UTC)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO program (id, affected_leg, created_at) VALUES (1, 'right', :t)"),
            {"t": started},
        )
        connection.execute(
            text(
                "INSERT INTO exercise_session (id, program_id, source, glides, started_at, "
                "status, pain_before_back, pain_before_leg) "
                "VALUES (:id, 1, 'web', '[]', :t, 'completed', 2, 3)"
            ),
            {"id": session_id, "t": started},
        )
        connection.execute(
            text(
                "INSERT INTO session_recording (session_id, file_name, content_type, "
                "size_bytes, created_at) VALUES (:id, 'old.webm', 'video/webm', :n, :t)"
            ),
            {"id": session_id, "n": len(WEBM), "t": started},
        )
        recording_id = connection.execute(text("SELECT id FROM session_recording")).scalar_one()
    engine.dispose()
    old = tmp_path / "recordings" / session_id / "old.webm"
    old.parent.mkdir(parents=True)
    old.write_bytes(WEBM)
    migrate.upgrade(database_url)

    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    with TestClient(create_app(settings)) as client:
        register(client, "me@example.org")
        [video] = client.get(f"/api/sessions/{session_id}/recordings").json()
        assert video["id"] == recording_id
        assert client.get(video["url"]).content == WEBM
        assert files(tmp_path) == [
            patient_folder(client, tmp_path) / "recordings" / session_id / "old.webm"
        ]
    assert not (tmp_path / "recordings").exists()
