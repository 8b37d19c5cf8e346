"""The analysis page through the real app and the real pose model: upload, result page,
files, the upload deleted unless kept, bad uploads refused with nothing left behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nerveglide.config import Settings, get_settings
from nerveglide.services.analysis import analyses_root, patient_data_dir
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import logged_in_patient
from tests.integration.motion.clips import RAISE, read_frames, write_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    return write_video(folder / "raise.mp4", read_frames(RAISE, 360))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = get_settings(data_dir=tmp_path / "data", env="test")
    migrate.upgrade(settings.effective_database_url)
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        logged_in_patient(client, settings.effective_database_url)
        yield client


def upload(client: TestClient, path: Path, **form: str):
    with path.open("rb") as f:
        return client.post(
            "/analysis",
            data={"what": "glide:seated-leg-raise", "leg": "auto", **form},
            files={"video": (path.name, f, "video/mp4")},
            follow_redirects=False,
        )


def test_the_form_says_where_the_video_goes(client: TestClient):
    html = client.get("/analysis").text
    assert "not sent anywhere else" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'href="/analysis" aria-current="page"' in html


def test_upload_is_analysed_then_deleted(client: TestClient, settings: Settings, clip: Path):
    response = upload(client, clip)
    assert response.status_code == 303
    url = response.headers["location"]
    analysis_id = url.rsplit("/", 1)[-1]
    folder = (
        analyses_root(patient_data_dir(settings.data_dir, client.get("/api/me").json()["id"]))
        / analysis_id
    )
    assert not list(folder.glob("upload*")), "the upload must be deleted"
    html = client.get(url).text
    assert "Seated leg raises: 2 complete repetitions" in html
    assert "Your video was deleted after the analysis" in html
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", html)) == 2
    for name, media in (
        ("angles.png", "image/png"),
        ("annotated.mp4", "video/mp4"),
        ("report.json", "application/json"),
        ("angles.csv", "text/csv"),
    ):
        file = client.get(f"{url}/files/{name}")
        assert file.status_code == 200
        assert file.headers["content-type"].startswith(media)
    assert client.get(f"{url}/files/../../etc/passwd").status_code == 404
    assert client.get(f"{url}/files/upload.mp4").status_code == 404
    deleted = client.post(f"{url}/delete", follow_redirects=False)
    assert deleted.status_code == 303
    assert not folder.exists()
    assert client.get(url).status_code == 404


def test_upload_is_kept_when_asked(client: TestClient, settings: Settings, clip: Path):
    response = upload(client, clip, keep="on", pace="2.5")
    assert response.status_code == 303
    folder = (
        analyses_root(patient_data_dir(settings.data_dir, client.get("/api/me").json()["id"]))
        / response.headers["location"].rsplit("/", 1)[-1]
    )
    kept = list(folder.glob("upload*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == clip.read_bytes()
    assert "is kept on this server" in client.get(response.headers["location"]).text


def test_a_bad_upload_is_refused_with_nothing_left(
    client: TestClient, settings: Settings, tmp_path: Path
):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    response = upload(client, notes)
    assert response.status_code == 422
    assert "is not a video" in response.text
    assert (
        list(
            analyses_root(
                patient_data_dir(settings.data_dir, client.get("/api/me").json()["id"])
            ).iterdir()
        )
        == []
    )
    assert upload(client, notes, what="glide:nonsense").status_code == 422
    assert client.get("/analysis/" + "0" * 32).status_code == 404
