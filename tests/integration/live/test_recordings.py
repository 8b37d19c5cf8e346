"""Kept session videos on SQLite and PostgreSQL: saved under the data dir only when
uploaded, listed, served back, deleted with their file; too large or not a video is
refused with nothing left behind."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

#: Not a playable video, but the server stores bytes as given: it never decodes them.
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 4096


def files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "recordings").rglob("*") if p.is_file())


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
    assert stored.parent.name == session_id
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
