"""The report read model's numbers: adherence against the program, pain against the
minimal important change, weeks, program versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from nerveglide.reports.model import NRS_MIC, PainChange, Period, furthest_area
from tests.unit.reports.factories import START, diary, make_report, program, session


def test_a_period_runs_forwards_and_counts_its_days():
    period = Period(date(2025, 3, 1), date(2025, 3, 31))
    assert period.days == 31
    assert date(2025, 3, 31) in period
    assert date(2025, 4, 1) not in period
    with pytest.raises(ValueError, match="starts"):
        Period(date(2025, 3, 2), date(2025, 3, 1))


def test_furthest_area_is_the_lowest_ticked():
    assert furthest_area(("thigh", "buttock")) == "thigh"
    assert furthest_area(("foot", "buttock")) == "foot"
    assert furthest_area(()) is None


def test_adherence_counts_completed_sessions_against_times_a_day():
    report = make_report(10)
    summary = report.summary()
    # 3 a day, one fewer every fifth day (days 4 and 9), and one stopped on day 2.
    assert summary.sessions == 3 * 10 - 2
    assert summary.stopped_hurt == 1
    assert summary.completed == 3 * 10 - 3
    assert summary.expected == 30
    assert summary.towards_target == 27
    assert summary.adherence == pytest.approx(0.9)
    assert summary.days_met == 7
    assert summary.counted_days == 10
    assert summary.repetitions == 27 * 3 + 1


def test_extra_sessions_do_not_make_up_for_missed_days():
    base = make_report(2, per_day=0)
    day0, day1 = base.period.start, base.period.end
    extra = [session(day0, h) for h in (7, 8, 9, 10)]
    report = replace(base, sessions=tuple(extra))
    summary = report.summary()
    assert summary.completed == 4
    assert summary.towards_target == 3  # capped at the day's 3
    assert summary.expected == 6
    assert [d.met for d in report.adherence()] == [True, False]
    assert report.adherence()[1].day == day1


def test_days_before_the_program_and_still_to_come_do_not_count():
    base = make_report(6)
    late_program = program(created=base.period.start + timedelta(days=2))
    report = replace(
        base,
        programs=(late_program,),
        generated_at=datetime.combine(base.period.start + timedelta(days=3), time(12), tzinfo=UTC),
    )
    counted = [d.day for d in report.adherence() if d.counted]
    assert counted == [base.period.start + timedelta(days=n) for n in (2, 3)]


def test_the_version_in_force_sets_the_target():
    base = make_report(4)
    second = program(2, created=base.period.start + timedelta(days=2), times_per_day=2)
    report = replace(base, programs=(program(), second))
    assert [d.target for d in report.adherence()] == [3, 3, 2, 2]
    assert report.program_on(base.period.start - timedelta(days=5)) is None


def test_pain_change_compares_first_and_last_week_with_the_mic():
    entries = [diary(START + timedelta(days=n), 3, 7 if n < 7 else 4) for n in range(14)]
    report = replace(make_report(14), diary=tuple(entries))
    change = report.summary().leg_pain
    assert change is not None
    assert (change.first, change.last, change.change) == (7, 4, -3)
    assert change.important
    assert f"at least the minimal important change of {NRS_MIC} points" in change.describe()
    small = PainChange(5.0, 4.0, 7, 7)
    assert not small.important
    assert "less than" in small.describe()


def test_one_diary_day_is_too_few_to_compare():
    report = replace(make_report(3), diary=(diary(START, 2, 5),))
    assert report.summary().leg_pain is None


def test_weeks_run_monday_to_sunday_over_the_period():
    report = make_report(10)  # Monday 3 March to Wednesday 12 March
    weeks = report.weeks()
    assert [w.week_start for w in weeks] == [date(2025, 3, 3), date(2025, 3, 10)]
    assert weeks[0].expected == 21
    assert weeks[1].expected == 9
    assert weeks[0].completed + weeks[1].completed == report.summary().completed
    assert weeks[0].stops == 1
    assert weeks[0].furthest_left == "foot"


def test_a_report_without_records_is_empty_even_with_a_program():
    report = replace(make_report(3), sessions=(), diary=())
    assert report.empty
    assert report.summary().leg_pain is None
