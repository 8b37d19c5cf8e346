"""The clinician's dashboard, computed for all the patients at once with grouped queries:
each line's figures equal the patient page's (which gathers that patient's report), over a
daylight-saving change; the safety status kept after each change; the order (pauses and
alerts first), pages and search; only the shown patients' reads audited; and the
several-patient scope that reads and never writes. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from nerveglide.config import get_settings
from nerveglide.content.loader import default_library, default_rules, load_questionnaires
from nerveglide.domain.accounts import Actor
from nerveglide.errors import InvalidInput
from nerveglide.services import alerts
from nerveglide.services.accounts import create_account
from nerveglide.services.clinician import PatientLine, dashboard_page, patient_overview
from nerveglide.services.programs import build_program, save_program
from nerveglide.services.questionnaires import record_response
from nerveglide.services.safety import (
    gather_facts,
    gather_facts_of,
    record_screening,
    set_safety_setting,
)
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.store.models.account import AlertRow, AuditEventRow
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.exercise_session import ExerciseSessionRow
from nerveglide.store.models.safety import PatientStatusRow
from nerveglide.store.scoping import UnscopedClinicalAccess
from tests.integration.reports.seed import DOSE, GLIDE, seed

#: 22:00 in Paris on the day the clocks go forward: the 28 days end on a 23-hour day.
NOW = datetime(2025, 3, 30, 20, tzinfo=UTC)
TODAY = date(2025, 3, 30)
ZONE = "Europe/Paris"
START = TODAY - timedelta(days=27)


def _page(session_factory: SessionFactory, actor: Actor, **kwargs: object):
    return dashboard_page(
        session_factory, actor, questionnaires=load_questionnaires(), rules=default_rules(),
        library=default_library(), timezone=ZONE, today=TODAY, now=NOW, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def _overview(session_factory: SessionFactory, actor: Actor, patient_id: int) -> PatientLine:
    return patient_overview(
        session_factory, actor, patient_id, questionnaires=load_questionnaires(),
        rules=default_rules(), library=default_library(), timezone=ZONE, today=TODAY, now=NOW,
    ).line  # fmt: skip


def _patient(session_factory: SessionFactory, clinician: int, n: int, name: str = "") -> int:
    return create_account(
        session_factory, email=f"p{n}@example.org", role="patient", now=NOW,
        display_name=name or f"Patient {n}", clinician_id=clinician,
    ).id  # fmt: skip


def _questionnaires(session_factory: SessionFactory, patient_id: int, ticks: list[int]) -> None:
    rmdq = next(q for q in load_questionnaires() if q.id == "roland-morris")
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient_id) as uow:
        for k, count in enumerate(ticks):
            at = datetime.combine(START + timedelta(days=9 * k), time(10), tzinfo=UTC)
            record_response(uow, rmdq, {f"q{i}": "yes" for i in range(1, count + 1)}, at)
        uow.commit()


def _camera(session_factory: SessionFactory, patient_id: int, knees: dict[int, float]) -> None:
    """Mark the first repetition of the patient's n-th session (oldest first) as counted by
    the camera with that knee extension peak."""
    with SqlAlchemyUnitOfWork(session_factory, patient_id=patient_id) as uow:
        sessions = sorted(uow.sessions.history(1000), key=lambda s: s.started_at)
        for n, knee in knees.items():
            rep = sessions[n].repetitions[0]
            rep.counted_by, rep.range_deg = "camera", 90.0 - knee
            rep.measures = {"knee_extension_peak_deg": knee}
        uow.commit()


@pytest.fixture
def clinic(session_factory: SessionFactory) -> tuple[Actor, list[int]]:
    doctor = create_account(session_factory, email="doc@example.org", role="clinician", now=NOW)
    ids = [_patient(session_factory, doctor.id, n) for n in range(5)]
    # 0: nothing recorded. 1: four weeks, three a day. 2: ten days, a stop, then a
    # second program version asking once a day. 3: camera sessions and questionnaires.
    # 4: a red flag in the screening, an alert.
    seed(session_factory, start=START, days=28, patient_id=ids[1], seed_value=11, stop_day=None)
    seed(session_factory, start=START + timedelta(days=14), days=10, per_day=2, reps=10,
         patient_id=ids[2], seed_value=12)  # fmt: skip
    with SqlAlchemyUnitOfWork(session_factory, patient_id=ids[2]) as uow:
        program = build_program(
            default_library(),
            "left",
            [{"exercise_id": GLIDE, "dose": DOSE, "reps": 10, "times_per_day": 1}],
        )
        save_program(uow, program, datetime(2025, 3, 20, 23, 30, tzinfo=UTC))  # 21 March, Paris
        uow.commit()
    seed(session_factory, start=START + timedelta(days=3), days=20, patient_id=ids[3],
         seed_value=13, stop_day=None)  # fmt: skip
    _camera(session_factory, ids[3], {0: 38.5, 1: 35.0, 30: 29.0, 55: 21.5})
    _questionnaires(session_factory, ids[3], [14, 11, 6])
    _questionnaires(session_factory, ids[1], [9])
    with SqlAlchemyUnitOfWork(session_factory, patient_id=ids[4]) as uow:
        answers = {q.id: "no" for q in default_rules().questions}
        record_screening(uow, default_rules(), {**answers, "rf.weakness": "yes"}, NOW)
        uow.commit()
    return Actor(doctor.id, "clinician", "127.0.0.1"), ids


def test_each_line_has_the_figures_of_the_patient_page(session_factory, clinic):
    actor, ids = clinic
    page = _page(session_factory, actor)
    assert (page.total, page.pages, page.page) == (5, 1, 1)
    assert {line.patient.id for line in page.lines} == set(ids)
    for line in page.lines:
        other = _overview(session_factory, actor, line.patient.id)
        assert line.verdict.tier == other.verdict.tier
        assert [f.rule_id for f in line.verdict.fired] == [f.rule_id for f in other.verdict.fired]
        assert line.open_alerts == other.open_alerts
        assert (line.adherence_7, line.adherence_28) == (other.adherence_7, other.adherence_28)
        assert (line.sessions_7, line.sessions_28) == (other.sessions_7, other.sessions_28)
        assert line.last_session == other.last_session
        if other.leg_pain is None:
            assert line.leg_pain is None
        else:
            assert line.leg_pain is not None
            assert line.leg_pain.first == pytest.approx(other.leg_pain.first)
            assert line.leg_pain.last == pytest.approx(other.leg_pain.last)
            assert line.leg_pain.first_days == other.leg_pain.first_days
        if other.questionnaire is None:
            assert line.questionnaire is None
        else:
            assert line.questionnaire is not None
            assert line.questionnaire[0] == other.questionnaire[0]
            mine, theirs = line.questionnaire[1], other.questionnaire[1]
            assert (mine.baseline, mine.now, mine.meets) == (
                theirs.baseline,
                theirs.now,
                theirs.meets,
            )
        assert line.knee == other.knee
    by_id = {line.patient.id: line for line in page.lines}
    assert by_id[ids[0]].sessions_28 == 0
    assert by_id[ids[0]].adherence_28 is None  # no program
    assert 0 < by_id[ids[1]].adherence_28 < 1  # one session fewer every fifth day
    assert by_id[ids[2]].sessions_7 > 0
    assert [(k.leg, k.first_deg, k.last_deg, k.sessions) for k in by_id[ids[3]].knee] == [
        ("left", 38.5, 21.5, 4)
    ]
    assert by_id[ids[3]].questionnaire is not None
    assert by_id[ids[3]].questionnaire[1].meets is True  # 14 -> 6 on the Roland-Morris
    assert by_id[ids[1]].questionnaire is None  # answered once
    assert page.lines[0].patient.id == ids[4]  # the red flag first
    assert page.lines[0].verdict.tier == "see_doctor"
    assert page.attention == 1


def test_the_status_follows_each_change_and_the_order_follows_it(
    session_factory, clinic, database_url: str, tmp_path: Path
):
    actor, ids = clinic
    _page(session_factory, actor)  # every patient's status evaluated and kept
    with SqlAlchemyUnitOfWork(session_factory, patient_id=ids[1]) as uow:
        answers = {q.id: "no" for q in default_rules().questions}
        record_screening(uow, default_rules(), {**answers, "rf.saddle": "yes"}, NOW)
        uow.commit()
    page = _page(session_factory, actor)
    assert page.lines[0].patient.id == ids[4]  # no change seen by the app yet
    settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    alerts.check_patient(session_factory, settings, default_rules(), ids[1], NOW)
    page = _page(session_factory, actor)
    assert [line.patient.id for line in page.lines[:2]] == [ids[1], ids[4]]
    assert page.lines[0].verdict.tier == "emergency"
    assert page.lines[0].open_alerts == 1
    assert page.attention == 2
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        statuses = uow.session.scalars(select(PatientStatusRow)).all()
    assert {s.patient_id: s.tier for s in statuses}[ids[1]] == "emergency"


def test_pages_search_and_audited_reads(session_factory, clinic):
    actor, ids = clinic
    page = _page(session_factory, actor, per_page=2)
    assert (page.total, page.pages) == (5, 3)
    assert page.lines[0].patient.id == ids[4]
    second = _page(session_factory, actor, per_page=2, page=2)
    third = _page(session_factory, actor, per_page=2, page=3)
    shown = [line.patient.id for p in (page, second, third) for line in p.lines]
    assert sorted(shown) == sorted(ids)  # each patient once across the pages
    assert _page(session_factory, actor, per_page=2, page=4).lines == []
    found = _page(session_factory, actor, query="PATIENT 3")
    assert [line.patient.id for line in found.lines] == [ids[3]]
    assert found.total == 1
    assert _page(session_factory, actor, query="p2@example").lines[0].patient.id == ids[2]
    with pytest.raises(InvalidInput, match="per_page"):
        _page(session_factory, actor, per_page=0)
    with pytest.raises(InvalidInput, match="page"):
        _page(session_factory, actor, page=0)
    with SqlAlchemyUnitOfWork(session_factory) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow.patient_id)
            .where(AuditEventRow.action == "read", AuditEventRow.object_type == "dashboard")
            .order_by(AuditEventRow.id)
        ).all()
    # Only the patients shown were read: 2 + 2 + 1 + 1 (search) + 1 (search).
    assert len(reads) == 7
    assert sorted(r or 0 for r in reads[:2]) == sorted(line.patient.id for line in page.lines)


def test_another_clinicians_dashboard_holds_none_of_these_patients(session_factory, clinic):
    other = create_account(session_factory, email="other@example.org", role="clinician", now=NOW)
    theirs = _patient(session_factory, other.id, 99)
    page = _page(session_factory, Actor(other.id, "clinician", "127.0.0.1"))
    assert [line.patient.id for line in page.lines] == [theirs]
    assert page.attention == 0


def test_a_scope_of_several_patients_reads_theirs_only_and_writes_nothing(session_factory, clinic):
    _, ids = clinic
    with SqlAlchemyUnitOfWork(session_factory, patient_ids=[ids[2], ids[3]]) as uow:
        owners = set(uow.session.scalars(select(ExerciseSessionRow.patient_id)).all())
        alerts_seen = uow.session.scalars(select(AlertRow)).all()
    assert owners == {ids[2], ids[3]}  # the query itself did not filter
    assert alerts_seen == []  # the alert is patient 4's
    with SqlAlchemyUnitOfWork(session_factory, patient_ids=[ids[2]]) as uow:
        uow.session.add(
            AlertRow(patient_id=ids[2], raised_at=NOW, kind="safety", tier="ok", message="x")
        )
        with pytest.raises(UnscopedClinicalAccess, match="only reads"):
            uow.session.flush()


def test_a_clinician_scope_reads_their_patients_only_and_writes_nothing(session_factory, clinic):
    actor, ids = clinic
    other = create_account(session_factory, email="other@example.org", role="clinician", now=NOW)
    theirs = _patient(session_factory, other.id, 99)
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        for pid in (theirs, ids[0]):
            uow.session.add(
                AlertRow(patient_id=pid, raised_at=NOW, kind="safety", tier="ok", message="x")
            )
        uow.commit()
        everyone = set(uow.session.scalars(select(AlertRow.patient_id)).all())
    assert theirs in everyone
    assert ids[0] in everyone
    with SqlAlchemyUnitOfWork(session_factory, clinician_id=actor.account_id) as uow:
        owners = set(uow.session.scalars(select(AlertRow.patient_id)).all())
        counted = uow.clinic.open_alerts()
    assert owners == everyone - {theirs}  # the query itself did not filter
    assert theirs not in counted
    assert counted[ids[0]] >= 1
    with SqlAlchemyUnitOfWork(session_factory, clinician_id=other.id) as uow:
        owners = set(uow.session.scalars(select(AlertRow.patient_id)).all())
        uow.session.add(
            AlertRow(patient_id=theirs, raised_at=NOW, kind="safety", tier="ok", message="x")
        )
        with pytest.raises(UnscopedClinicalAccess, match="only reads"):
            uow.session.flush()
    assert owners == {theirs}


def test_the_order_runs_across_pages_by_tier_then_open_alerts_then_name(session_factory, clinic):
    """Only the ids, names and tiers of all the patients are read to order them; the page's
    accounts are loaded after: the pages together are the one order (the most urgent tier,
    then the most open alerts, then the name as Python sorts it, then the id)."""
    actor, ids = clinic
    doctor = actor.account_id or 0
    zoe = _patient(session_factory, doctor, 10, "Zoe")
    adam = _patient(session_factory, doctor, 11, "adam")  # lower case sorts after "Z"
    ben_a = _patient(session_factory, doctor, 12, "Ben")
    ben_b = _patient(session_factory, doctor, 13, "Ben")  # the same name: by id
    with SqlAlchemyUnitOfWork(session_factory, system=True) as uow:
        for pid, acknowledged in ((ids[2], None), (ids[2], None), (zoe, None), (adam, NOW)):
            alert = AlertRow(patient_id=pid, raised_at=NOW, kind="safety", tier="mention")
            alert.message, alert.acknowledged_at = "x", acknowledged
            uow.session.add(alert)
        uow.commit()
    pages = [_page(session_factory, actor, per_page=3, page=n) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [9, 9, 9]
    assert [p.pages for p in pages] == [3, 3, 3]
    lines = [line for p in pages for line in p.lines]
    order = [line.patient.id for line in lines]
    assert sorted(order) == sorted([*ids, zoe, adam, ben_a, ben_b])
    tiers = {"emergency": 0, "see_doctor": 1, "mention": 2, "ok": 3}
    assert order == [
        line.patient.id
        for line in sorted(
            lines,
            key=lambda line: (
                tiers[line.verdict.tier], -line.open_alerts, line.patient.display_name,
                line.patient.id,
            ),
        )
    ]  # fmt: skip
    assert order[0] == ids[4]  # "see a doctor" first
    assert {line.patient.id: line.open_alerts for line in lines}[ids[2]] == 2
    assert order.index(ids[2]) < order.index(zoe) < order.index(ben_a)  # open alerts
    assert order.index(ben_a) < order.index(ben_b) < order.index(ids[0])  # name, then id
    assert order.index(ids[3]) < order.index(adam)  # "adam" sorts after "Patient 3"
    assert {line.patient.id: line.open_alerts for line in lines}[adam] == 0  # acknowledged
    assert all(line.patient.email.endswith("@example.org") for line in lines)  # whole rows


def test_the_safety_facts_of_several_patients_read_together_are_each_ones_own(
    session_factory, clinic
):
    """The dashboard evaluates the patients with no status (or one under other rules)
    together: each one's facts, read with one query per kind for all of them, are the
    facts read for that patient alone (screening answers, the ended sessions the rules reach,
    clearances, settings, the diary's latest save of each day)."""
    _, ids = clinic
    rules = default_rules()
    with SqlAlchemyUnitOfWork(session_factory, patient_id=ids[1]) as uow:
        set_safety_setting(uow, rules, rules.settings[0].name, rules.settings[0].minimum, NOW)
        for hour, pain in ((20, 9), (21, 3)):  # two saves of one day: the later one counts
            uow.diary.add(
                DiaryEntryRow(
                    entry_date=TODAY, saved_at=datetime.combine(TODAY, time(hour), tzinfo=UTC),
                    back_pain=0, leg_pain=pain, numbness="none", weakness="none", reach={},
                    sleep_disturbed=False, note=None,
                )
            )  # fmt: skip
        uow.commit()
    with SqlAlchemyUnitOfWork(session_factory, patient_ids=ids) as uow:
        together = gather_facts_of(uow, rules, NOW, ids)
    for pid in ids:
        with SqlAlchemyUnitOfWork(session_factory, patient_id=pid) as uow:
            alone = gather_facts(uow, rules, NOW)
        assert together[pid] == alone, pid
    assert together[ids[1]].diary[-1].leg_pain == 3
    assert together[ids[1]].settings != together[ids[3]].settings
    assert any(facts.clearances for facts in together.values())
    # Patient 2's stop, ten days and sixteen sessions back, is beyond the rules' reach
    # (the latest three, the latest answered): it is read neither way.
    assert together[ids[2]].sessions
    assert not any(s.stopped_hurt for facts in together.values() for s in facts.sessions)
    assert together[ids[4]].answers
    assert together[ids[0]].answers == []  # nothing recorded
    assert together[ids[0]].sessions == []
