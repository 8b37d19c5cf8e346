"""Gathering a report from the database, on SQLite and PostgreSQL: the period's records
and no others, days in the person's time zone, program versions, safety events; and the
exports' refusals."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, time, timedelta

import pytest

from nerveglide.content.loader import default_library, default_rules
from nerveglide.errors import InvalidInput
from nerveglide.reports.model import Period, ProgressReport
from nerveglide.services.accounts import cli_patient, create_account
from nerveglide.services.programs import build_program, save_program
from nerveglide.services.reports import MAX_DAYS, export, gather_report, parse_period
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from tests.integration.reports.seed import DOSE, GLIDE, seed, seed_questionnaires

START = date(2025, 3, 3)
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def _uow(session_factory: SessionFactory) -> SqlAlchemyUnitOfWork:
    """A unit of work on the seeded patient's data (the installation's only patient)."""
    patient = cli_patient(session_factory, None, NOW)
    return SqlAlchemyUnitOfWork(session_factory, patient_id=patient.id)


def gather(
    session_factory: SessionFactory, period: Period, timezone: str = "UTC", now: datetime = NOW
) -> ProgressReport:
    with _uow(session_factory) as uow:
        return gather_report(
            uow,
            period,
            timezone=timezone,
            now=now,
            library=default_library(),
            rules=default_rules(),
        )


def test_the_report_holds_the_periods_records(session_factory):
    seeded = seed(session_factory, start=START, days=21)
    report = gather(session_factory, Period(START, seeded.end))
    summary = report.summary()
    assert summary.sessions == seeded.sessions
    assert summary.completed == seeded.completed
    assert summary.stopped_hurt == seeded.stopped == 1
    assert summary.repetitions == seeded.repetitions
    assert summary.diary_days == 21
    assert [d.entry_date for d in report.diary][:2] == [START, START + timedelta(days=1)]
    assert report.sessions[0].started_at < report.sessions[-1].started_at
    (stopped,) = [s for s in report.sessions if s.stops]
    assert stopped.day == START + timedelta(days=2)
    assert stopped.stops[0].areas == (("calf", "left"),)
    (version,) = report.programs
    assert version.times_per_day == 3
    assert version.glides[0].name == default_library().exercise(GLIDE).name
    assert [e.kind for e in report.safety] == ["paused", "cleared"]
    assert report.safety[0].rule_ids == ("persists.hurt-stops",)
    assert report.safety[1].tier == "see_doctor"
    assert report.questionnaires == ()
    assert report.motion == ()


def test_questionnaires_in_the_period_compare_with_the_baseline_before_it(session_factory):
    seed(session_factory, start=START, days=21)
    seed_questionnaires(session_factory, start=START, days=21)
    report = gather(session_factory, Period(START, START + timedelta(days=20)))
    rmdq = [q for q in report.questionnaires if q.questionnaire_id == "roland-morris"]
    assert [q.score for q in rmdq] == [10, 6]  # the baseline, a week before, stays out
    assert {q.baseline_score for q in rmdq} == {12}
    assert [q.baseline for q in rmdq] == [False, False]
    assert [q.meets for q in rmdq] == [False, True]  # 2 points, then 6 (the MIC is 5)
    assert rmdq[0].minimal_change == 5
    assert rmdq[0].minimal_change_source == "Ostelo et al. 2008"
    (start_back,) = [q for q in report.questionnaires if q.questionnaire_id == "start-back"]
    assert start_back.baseline
    assert start_back.meets is None
    assert (start_back.loinc_panel, start_back.loinc_score) == ("91349-1", "91351-7")
    assert start_back.band is not None
    assert [a.loinc for a in start_back.answers][:2] == ["91340-0", "91341-8"]
    assert [a.code for a in start_back.answers][8] == "very-much"
    week = gather(session_factory, Period(START + timedelta(days=1), START + timedelta(days=13)))
    assert week.questionnaires == ()


def test_a_period_with_only_a_questionnaire_is_not_empty(session_factory):
    seed_questionnaires(session_factory, start=START, days=3)
    report = gather(session_factory, Period(START, START))
    assert not report.empty
    assert [q.questionnaire_id for q in report.questionnaires] == ["roland-morris", "start-back"]


def _count_by_camera(session_factory: SessionFactory, knees: dict[int, list[float]]) -> None:
    """Mark the first repetitions of the seeded sessions numbered in ``knees`` (oldest
    first) as counted by the live camera coach, with those knee extension peaks."""
    with _uow(session_factory) as uow:
        sessions = sorted(uow.sessions.history(1000), key=lambda s: s.started_at)
        for n, peaks in knees.items():
            for rep, knee in zip(sessions[n].repetitions, peaks, strict=False):
                rep.counted_by = "camera"
                rep.range_deg = 90.0 - knee
                rep.measures = {"knee_extension_peak_deg": knee, "joint": "knee"}
        uow.commit()


def test_range_of_motion_is_the_best_camera_repetition_per_session_and_leg(session_factory):
    seed(session_factory, start=START, days=3, stop_day=None)
    _count_by_camera(session_factory, {0: [31.0, 24.5, 28.0], 4: [18.25]})
    report = gather(session_factory, Period(START, START + timedelta(days=2)))
    first, fifth = report.sessions[0], report.sessions[4]
    assert [(m.session_id, m.leg, m.knee_extension_peak_deg) for m in report.motion] == [
        (first.id, "left", 24.5),
        (fifth.id, "left", 18.2),
    ]
    assert report.motion[0].recorded_at == first.started_at
    reps = first.repetitions
    assert [(r.counted_by, r.knee_extension_peak_deg) for r in reps[:4]] == [
        ("camera", 31.0),
        ("camera", 24.5),
        ("camera", 28.0),
        ("timer", None),
    ]
    assert reps[0].range_deg == 59.0
    archive = zipfile.ZipFile(io.BytesIO(export_csv(session_factory, report.period)))
    lines = archive.read("repetitions.csv").decode().splitlines()
    assert lines[0].endswith(",hold_s,counted_by,range_deg,knee_extension_peak_deg")
    assert lines[1].endswith(",camera,59,31")
    assert lines[4].endswith(",timer,,")
    # A period without camera sessions has no range-of-motion points.
    later = gather(session_factory, Period(START + timedelta(days=2), START + timedelta(days=2)))
    assert later.motion == ()


def export_csv(session_factory: SessionFactory, period: Period) -> bytes:
    with _uow(session_factory) as uow:
        return export(
            uow,
            "csv",
            period,
            timezone="UTC",
            now=NOW,
            library=default_library(),
            rules=default_rules(),
        ).content


def test_a_report_holds_its_patients_records_only(session_factory):
    seed(session_factory, start=START, days=4, stop_day=None)
    mine_id = cli_patient(session_factory, None, NOW).id
    other = create_account(session_factory, email="other@example.org", role="patient", now=NOW)
    seed(
        session_factory, start=START, days=4, per_day=1, reps=10, seed_value=4, patient_id=other.id
    )
    period = Period(START, START + timedelta(days=3))

    def report_of(patient_id: int) -> ProgressReport:
        with SqlAlchemyUnitOfWork(session_factory, patient_id=patient_id) as uow:
            return gather_report(
                uow,
                period,
                timezone="UTC",
                now=NOW,
                library=default_library(),
                rules=default_rules(),
            )

    mine, theirs = report_of(mine_id), report_of(other.id)
    assert len(mine.sessions) == 12
    assert len(theirs.sessions) == 4
    assert {len(s.repetitions) for s in mine.sessions} == {15}
    assert sorted(len(s.repetitions) for s in theirs.sessions) == [2, 10, 10, 10]
    assert not {s.id for s in mine.sessions} & {s.id for s in theirs.sessions}
    assert len(theirs.stops()) == 1
    assert mine.stops() == []
    assert len(mine.diary) == len(theirs.diary) == 4


def test_records_outside_the_period_stay_out(session_factory):
    seed(session_factory, start=START, days=21)
    week = Period(START + timedelta(days=7), START + timedelta(days=13))
    report = gather(session_factory, week)
    assert {s.day for s in report.sessions} <= set(week.dates())
    assert {d.entry_date for d in report.diary} == set(week.dates())
    assert report.safety == ()  # the stop and its verdict were on day 3


def test_days_are_the_persons_days(session_factory):
    seed(session_factory, start=START, days=3, stop_day=None)
    # In Auckland (UTC+13 in March) the 13:00 and 19:00 UTC sessions fall on the next day.
    report = gather(session_factory, Period(START, START), timezone="Pacific/Auckland")
    assert [s.started_at.time() for s in report.sessions] == [time(8)]
    assert report.sessions[0].day == START
    later = gather(
        session_factory,
        Period(START + timedelta(days=1), START + timedelta(days=1)),
        "Pacific/Auckland",
    )
    assert [s.started_at.hour for s in later.sessions] == [13, 19, 8]


def test_a_new_program_version_changes_the_target_from_its_day(session_factory):
    seed(session_factory, start=START, days=6, stop_day=None)
    with _uow(session_factory) as uow:
        program = build_program(
            default_library(),
            "left",
            [{"exercise_id": GLIDE, "dose": DOSE, "reps": 12, "times_per_day": 2}],
        )
        save_program(uow, program, datetime.combine(START + timedelta(days=3), time(6), tzinfo=UTC))
        uow.commit()
    report = gather(session_factory, Period(START, START + timedelta(days=5)))
    assert [v.times_per_day for v in report.programs] == [3, 2]
    assert [d.target for d in report.adherence()] == [3, 3, 3, 2, 2, 2]
    # A period after the change sees only the version then in force.
    later = gather(session_factory, Period(START + timedelta(days=4), START + timedelta(days=5)))
    assert [v.id for v in later.programs] == [report.programs[1].id]


@pytest.mark.parametrize("kind", ["pdf", "csv", "fhir"])
def test_each_export_is_made_from_the_same_report(session_factory, kind):
    seed(session_factory, start=START, days=7)
    with _uow(session_factory) as uow:
        made = export(
            uow,
            kind,
            Period(START, START + timedelta(days=6)),
            timezone="UTC",
            now=NOW,
            library=default_library(),
            rules=default_rules(),
        )
    assert made.filename.startswith("nerveglide-2025-03-03-to-2025-03-09")
    if kind == "pdf":
        assert made.content.startswith(b"%PDF")
    elif kind == "csv":
        names = zipfile.ZipFile(io.BytesIO(made.content)).namelist()
        assert "sessions.csv" in names
        assert "README.txt" in names
    else:
        bundle = json.loads(made.content)
        assert bundle["resourceType"] == "Bundle"
        assert len(bundle["entry"]) > len(made.report.sessions)


def test_a_period_without_records_is_refused_with_a_hint(session_factory):
    seed(session_factory, start=START, days=3)
    with _uow(session_factory) as uow, pytest.raises(InvalidInput) as caught:
        export(
            uow,
            "pdf",
            Period(date(2024, 1, 1), date(2024, 1, 31)),
            timezone="UTC",
            now=NOW,
            library=default_library(),
            rules=default_rules(),
        )
    message = caught.value.message
    assert "nothing was recorded from 2024-01-01 to 2024-01-31" in message
    assert "The latest session was on 2025-03-05" in message


def test_a_backwards_or_endless_period_is_refused():
    with pytest.raises(InvalidInput, match=r"--from: 2025-03-09 is after --to 2025-03-01"):
        parse_period(date(2025, 3, 9), date(2025, 3, 1), start_name="--from", end_name="--to")
    with pytest.raises(InvalidInput, match=f"at most {MAX_DAYS} days"):
        parse_period(date(1900, 1, 1), date(2025, 1, 1))
