"""The CSV files (columns as documented, one row per record, formulas defused) and the PDF
made from a read model (real text, the plots' titles)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from dataclasses import replace

import pytest

from nerveglide.reports.csv import FILES, csv_text, csv_zip, readme
from nerveglide.reports.model import ProgressReport
from nerveglide.reports.pdf import render_pdf
from nerveglide.reports.plots import (
    ADHERENCE_TITLE,
    NO_CAMERA,
    NO_QUESTIONNAIRES,
    PAIN_TITLE,
    QUESTIONNAIRE_TITLE,
    REACH_TITLE,
)
from tests.unit.reports.factories import START, diary, make_report


def rows(report: ProgressReport, name: str) -> list[dict[str, str]]:
    file = next(f for f in FILES if f.name == name)
    return list(csv.DictReader(io.StringIO(csv_text(report, file))))


def test_every_file_has_its_documented_columns_as_header():
    report = make_report(7)
    text = readme(report)
    for file in FILES:
        header = next(csv.reader(io.StringIO(csv_text(report, file))))
        assert header == file.header
        assert file.name in text
        for name, about in file.columns:
            assert f"  {name}" in text
            assert about in text


def test_one_row_per_record():
    report = make_report(7)
    sessions = rows(report, "sessions.csv")
    assert len(sessions) == len(report.sessions)
    assert len(rows(report, "repetitions.csv")) == sum(len(s.repetitions) for s in report.sessions)
    assert len(rows(report, "stops.csv")) == 1
    assert len(rows(report, "diary.csv")) == 7
    assert rows(report, "questionnaires.csv") == []
    first = sessions[0]
    assert first["started_at"] == "2025-03-03T08:00:00+00:00"
    assert first["date"] == "2025-03-03"
    assert first["status"] == "completed"
    assert first["repetitions_done"] == "3"
    stopped = next(s for s in sessions if s["status"] == "stopped_hurt")
    assert stopped["stops"] == "1"
    stop = rows(report, "stops.csv")[0]
    assert (stop["pain"], stop["areas"]) == ("7", "left calf")


def test_diary_reach_and_a_note_that_looks_like_a_formula():
    entry = replace(diary(START, 2, 6, ("buttock", "thigh")), note="=HYPERLINK(x)")
    report = replace(make_report(1), diary=(entry,))
    row = rows(report, "diary.csv")[0]
    assert row["reach_left"] == "buttock;thigh"
    assert row["furthest_left"] == "thigh"
    assert row["reach_right"] == ""
    assert row["note"] == "'=HYPERLINK(x)"
    assert row["sleep_disturbed"] == "yes"


def test_questionnaire_rows_compare_with_the_baseline():
    report = make_report(28, questionnaires=True)
    baseline, start_back, later = rows(report, "questionnaires.csv")
    assert (later["score"], later["baseline_score"], later["change"]) == ("8", "14", "-6")
    assert (later["minimal_change"], later["minimal_change_percent"]) == ("5", "30")
    assert later["minimal_change_source"] == "Ostelo et al. 2008"
    assert (later["meets"], later["baseline"], baseline["baseline"]) == ("yes", "no", "yes")
    assert later["date"] == "2025-03-30"
    assert baseline["meets"] == ""  # the baseline itself is compared with nothing
    assert (start_back["band"], start_back["loinc_panel"]) == ("medium risk", "91349-1")
    assert start_back["change_kind"] == "none_published"
    answers = rows(report, "questionnaire_answers.csv")
    assert [(a["questionnaire_id"], a["item"], a["answer_code"], a["value"]) for a in answers] == [
        ("roland-morris", "rmdq-01", "yes", "1"),
        ("start-back", "leg-pain", "agree", "1"),
        ("roland-morris", "rmdq-01", "no", "0"),
    ]
    assert answers[1]["loinc"] == "91340-0"


def test_the_zip_holds_the_readme_and_every_file_and_is_reproducible():
    report = make_report(7)
    data = csv_zip(report)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["README.txt", *(f.name for f in FILES)]
    assert csv_zip(report) == data


def _pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make test` installs poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_the_pdf_has_the_period_the_numbers_and_the_plot_titles(tmp_path):
    report = make_report(28)
    data = render_pdf(report)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    summary = report.summary()
    assert "Period: 03 Mar 2025 to 30 Mar 2025 (28 days" in text
    assert f"Completed sessions: {summary.towards_target} of the {summary.expected}" in text
    assert f"Sessions recorded: {summary.sessions}" in text
    for title in (PAIN_TITLE, ADHERENCE_TITLE, REACH_TITLE, NO_CAMERA, NO_QUESTIONNAIRES):
        assert title in text
    assert "No questionnaire was answered in this period." in text
    assert "Week by week" in text
    assert "left calf" in text  # the stop event


def test_the_pdf_has_the_questionnaires_against_their_minimal_change(tmp_path):
    report = make_report(28, questionnaires=True)
    text = _pdf_text(render_pdf(report), tmp_path)
    table = text[text.index("Questionnaires") :]
    lines = [" ".join(line.split()) for line in table.splitlines()]
    assert "RMDQ 30 Mar 2025 8 14 -6 5 pts/30% (MIC) reaches it" in lines
    assert "RMDQ 03 Mar 2025 14 14 +0 5 pts/30% (MIC) baseline" in lines
    assert "STarT Back 03 Mar 2025 5 5 +0 none published baseline medium risk" in lines
    assert "none published" in text
    assert "RMDQ: Ostelo et al. 2008" in text
    assert QUESTIONNAIRE_TITLE in text
    assert "RMDQ (lower is better)" in text  # the plot's panel


def test_a_year_fits_in_a_few_pages(tmp_path):
    data = render_pdf(make_report(365))
    text = _pdf_text(data, tmp_path)
    pages = text.count("\f")
    assert 4 <= pages <= 8
    assert "page 1 of" in text
