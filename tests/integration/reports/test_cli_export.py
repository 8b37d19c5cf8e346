"""``nerveglide export pdf|csv|fhir`` as a real process on SQLite and PostgreSQL: the PDF
turned into PNG pages (kept with the test output) and its text checked, the CSV files, the
FHIR Bundle validated; bad input ends with its message and exit code 2, writing nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from nerveglide.fhir.mapping import from_bundle
from nerveglide.fhir.validation import validate_bundle
from nerveglide.reports.plots import (
    ADHERENCE_TITLE,
    NO_CAMERA,
    PAIN_TITLE,
    QUESTIONNAIRE_TITLE,
    REACH_TITLE,
)
from nerveglide.store import migrate
from nerveglide.store.db import make_engine, make_session_factory
from tests.integration.reports.seed import Seeded, seed, seed_questionnaires

REPO = Path(__file__).resolve().parents[3]
START = date(2025, 3, 3)
DAYS = 42


def output_dir() -> Path:
    base = Path(os.environ.get("NERVEGLIDE_TEST_OUTPUT", REPO / "test-output"))
    path = base / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(*args: str, database_url: str, tmp_path: Path):
    return subprocess.run(
        [sys.executable, "-m", "nerveglide", "export", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "COLUMNS": "200",
            "NERVEGLIDE_DATABASE_URL": database_url,
            "NERVEGLIDE_DATA_DIR": str(tmp_path / "data"),
        },
        check=False,
    )


@pytest.fixture
def seeded(database_url: str) -> Seeded:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        factory = make_session_factory(engine)
        seeded = seed(factory, start=START, days=DAYS)
        seed_questionnaires(factory, start=START, days=DAYS)
        return seeded
    finally:
        engine.dispose()


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `make test` installs poppler-utils")
    return path


def test_pdf_pages_text_and_pictures(seeded: Seeded, database_url: str, tmp_path: Path):
    out = tmp_path / "report.pdf"
    result = run(
        "pdf", "--from", str(seeded.start), "--to", str(seeded.end), "--out", str(out),
        database_url=database_url, tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    folder = output_dir() / f"pdf-{backend(database_url)}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(out, folder / "report.pdf")
    subprocess.run(
        [tool("pdftoppm"), "-r", "80", "-png", str(out), str(folder / "page")], check=True
    )
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) >= 4
    text = subprocess.run(
        [tool("pdftotext"), "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Period: 03 Mar 2025 to 13 Apr 2025 (42 days" in text
    expected = 3 * DAYS
    assert f"Completed sessions: {seeded.completed} of the {expected}" in text
    assert f"Sessions recorded: {seeded.sessions} ({seeded.completed} completed" in text
    assert f"Repetitions done: {seeded.repetitions}." in text
    assert "Diary entries: 42 of 42 days" in text
    assert "Leg pain:" in text
    assert "minimal important change" in text
    for title in (PAIN_TITLE, ADHERENCE_TITLE, REACH_TITLE, NO_CAMERA, QUESTIONNAIRE_TITLE):
        assert title in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "RMDQ 03 Mar 2025 10 12 -2 5 pts/30% (MIC) below it" in lines
    assert "RMDQ 13 Apr 2025 6 12 -6 5 pts/30% (MIC) reaches it" in lines
    assert "RMDQ: Ostelo et al. 2008" in text
    assert "left calf" in text
    assert "7/10" in text
    assert "persists.hurt-stops" in text
    assert f"page 1 of {len(pages)}" in text


def test_csv_to_a_folder_and_to_a_zip(seeded: Seeded, database_url: str, tmp_path: Path):
    folder = tmp_path / "csv"
    result = run(
        "csv", "--from", str(seeded.start), "--to", str(seeded.end), "--out", str(folder),
        database_url=database_url, tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(read_csv(folder / "sessions.csv")) == seeded.sessions
    assert len(read_csv(folder / "repetitions.csv")) == seeded.repetitions
    diary = read_csv(folder / "diary.csv")
    assert len(diary) == DAYS
    assert diary[0]["note"] == "'=worse after sitting"
    assert "repetitions_done" in (folder / "README.txt").read_text(encoding="utf-8")
    scores = read_csv(folder / "questionnaires.csv")
    assert [(q["questionnaire_id"], q["score"], q["meets"]) for q in scores] == [
        ("roland-morris", "10", "no"),
        ("start-back", "5", ""),
        ("roland-morris", "6", "yes"),
    ]
    answers = read_csv(folder / "questionnaire_answers.csv")
    assert len(answers) == 10 + 9 + 6  # Roland-Morris lists the ticked items only

    archive = tmp_path / "export.zip"
    result = run(
        "csv", "--from", str(seeded.start), "--out", str(archive), "--to", str(seeded.end),
        database_url=database_url, tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(archive) as zipped:
        text = zipped.read("stops.csv").decode("utf-8")
    assert len(list(csv.DictReader(io.StringIO(text)))) == 1


def test_fhir_bundle_is_valid_and_reads_back(seeded: Seeded, database_url: str, tmp_path: Path):
    out = tmp_path / "bundle.json"
    result = run(
        "fhir", "--from", str(seeded.start), "--to", str(seeded.end), "--out", str(out),
        database_url=database_url, tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    bundle = json.loads(out.read_text(encoding="utf-8"))
    validate_bundle(bundle)
    content = from_bundle(bundle)
    assert len(content.sessions) == seeded.sessions
    assert sum(count for s in content.sessions for _, _, count in s.counts) == seeded.repetitions
    diary_leg = [p for p in content.pain if p.context == "diary" and p.site == "leg"]
    assert [p.value for p in diary_leg][:1] == [seeded.first_leg]
    assert [(q.questionnaire_id, q.score) for q in content.questionnaires] == [
        ("roland-morris", 10),
        ("start-back", 5),
        ("roland-morris", 6),
    ]
    start_back = content.questionnaires[1]
    assert start_back.loinc_panel == "91349-1"
    assert [a.loinc for a in start_back.answers][:3] == ["91340-0", "91341-8", "91342-6"]
    shutil.copy(out, output_dir() / f"bundle-{backend(database_url)}.json")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2025-03-20", "--to", "2025-03-01"],
            "--from: 2025-03-20 is after --to 2025-03-01",
        ),
        (["--from", "2024-01-01", "--to", "2024-01-31"], "nothing was recorded from 2024-01-01"),
        (["--from", "1700-01-01", "--to", "2025-01-01"], "a report covers at most"),
        (["--from", "March", "--to", "2025-03-01"], "Invalid value for '--from'"),
    ],
)
def test_bad_periods_exit_2_with_a_message_and_write_nothing(
    seeded: Seeded, database_url: str, tmp_path: Path, args: list[str], message: str
):
    out = tmp_path / "report.pdf"
    result = run("pdf", *args, "--out", str(out), database_url=database_url, tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert not out.exists()


def test_bad_destinations_exit_2(seeded: Seeded, database_url: str, tmp_path: Path):
    period = ["--from", str(seeded.start), "--to", str(seeded.end)]
    missing = run(
        "fhir",
        *period,
        "--out",
        str(tmp_path / "no" / "b.json"),
        database_url=database_url,
        tmp_path=tmp_path,
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    folder = run(
        "pdf", *period, "--out", str(tmp_path), database_url=database_url, tmp_path=tmp_path
    )
    assert folder.returncode == 2
    assert "is a folder" in folder.stderr
