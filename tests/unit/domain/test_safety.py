"""The safety engine: every rule firing and not firing, its tier, message and citation;
properties over random answers and histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerveglide.content.loader import default_rules, load_library
from nerveglide.content.safety_rules import TIER_ORDER, AnswerCondition
from nerveglide.content.schema import SEED_FILES
from nerveglide.domain.safety import (
    Clearance,
    DiaryFacts,
    SafetyFacts,
    ScreeningAnswer,
    SessionFacts,
    evaluate,
    screening_due,
)
from tests.shared_data import SEEDS

RULES = default_rules()
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CES_QUESTIONS = ["rf.bladder-bowel", "rf.saddle", "rf.sexual", "rf.both-legs"]


def answers(**given_answers: str) -> list[ScreeningAnswer]:
    """All ten questions answered "no" an hour ago, except those given."""
    out = []
    for question in RULES.questions:
        value = given_answers.get(question.id.replace("rf.", "").replace("-", "_"), "no")
        out.append(ScreeningAnswer(question.id, value, NOW - timedelta(hours=1)))  # type: ignore[arg-type]
    return out


def session(day: int, **facts: object) -> SessionFacts:
    return SessionFacts(
        session_id=f"s{day}",
        started_at=NOW - timedelta(days=30 - day),
        **facts,  # type: ignore[arg-type]
    )


def fired_ids(facts: SafetyFacts) -> set[str]:
    return {f.rule_id for f in evaluate(RULES, facts).fired}


ANSWER_CASES = [
    ("bladder_bowel", "ces.bladder-bowel", "emergency"),
    ("saddle", "ces.saddle", "emergency"),
    ("sexual", "ces.sexual", "emergency"),
    ("both_legs", "ces.both-legs", "emergency"),
    ("weakness", "neuro.weakness", "see_doctor"),
    ("fever", "infection.fever", "see_doctor"),
    ("cancer", "malignancy.history", "see_doctor"),
    ("injury", "fracture.injury", "see_doctor"),
    ("weight_loss", "malignancy.weight-loss", "see_doctor"),
    ("night_pain", "night.pain", "see_doctor"),
]


def test_all_no_is_ok():
    verdict = evaluate(RULES, SafetyFacts(now=NOW, answers=answers()))
    assert (verdict.tier, verdict.fired) == ("ok", ())
    assert not verdict.blocks_sessions


@pytest.mark.parametrize(("question", "rule_id", "tier"), ANSWER_CASES)
@pytest.mark.parametrize("value", ["yes", "unsure"])
def test_each_red_flag_answer_fires_its_rule(question, rule_id, tier, value):
    verdict = evaluate(RULES, SafetyFacts(now=NOW, answers=answers(**{question: value})))
    assert [f.rule_id for f in verdict.fired] == [rule_id]
    assert verdict.tier == tier
    assert verdict.blocks_sessions
    fired = verdict.fired[0]
    assert fired.message == next(r.message for r in RULES.rules if r.id == rule_id)
    assert ("I'm not sure" if value == "unsure" else '"yes"') in fired.why


def test_every_question_is_read_by_a_rule_and_every_answer_case_is_tested():
    answer_rules = {r.id for r in RULES.rules if isinstance(r.condition, AnswerCondition)}
    assert answer_rules == {rule_id for _, rule_id, _ in ANSWER_CASES}


def test_the_latest_answer_counts():
    history = [
        ScreeningAnswer("rf.fever", "yes", NOW - timedelta(days=8)),
        ScreeningAnswer("rf.fever", "no", NOW - timedelta(hours=1)),
    ]
    assert fired_ids(SafetyFacts(now=NOW, answers=history)) == set()


SESSION_CASES = [
    # (sessions, settings, fires, does not fire)
    (
        [
            session(1, pain_before_leg=4, pain_after_leg=5),
            session(2, pain_before_leg=4, pain_after_leg=6),
        ],
        {},
        "worsens.after-exercise",
    ),
    (
        [
            session(1, pain_before_back=2, pain_after_back=3, pain_before_leg=5, pain_after_leg=5),
            session(2, pain_before_back=2, pain_after_back=2, pain_before_leg=5, pain_after_leg=6),
        ],
        {},
        "worsens.after-exercise",
    ),
    ([session(1, felt_worse=True), session(2, felt_worse=True)], {}, "worsens.felt-worse"),
    (
        [session(1, stopped_hurt=True), session(2), session(3, stopped_hurt=True)],
        {},
        "persists.hurt-stops",
    ),
    ([session(1), session(2, stopped_hurt=True)], {}, "session.stopped-hurt"),
    ([session(1), session(2, spread=True)], {}, "worsens.spread"),
    ([session(0, pain_before_leg=5), session(25, pain_before_leg=5)], {}, "persists.no-better"),
    (
        [session(1, pain_before_leg=4, pain_after_leg=5)],
        {"worse_after_sessions": 1},
        "worsens.after-exercise",
    ),
]


@pytest.mark.parametrize(("sessions", "overrides", "rule_id"), SESSION_CASES)
def test_session_rules_fire(sessions, overrides, rule_id):
    facts = SafetyFacts(now=NOW, answers=answers(), sessions=sessions, settings=overrides)
    verdict = evaluate(RULES, facts)
    assert rule_id in {f.rule_id for f in verdict.fired}
    rule = next(r for r in RULES.rules if r.id == rule_id)
    assert verdict.tier == max((f.tier for f in verdict.fired), key=TIER_ORDER.__getitem__)
    assert TIER_ORDER[verdict.tier] >= TIER_ORDER[rule.tier]


NOT_FIRING = [
    (
        [
            session(1, pain_before_leg=4, pain_after_leg=6),
            session(2, pain_before_leg=4, pain_after_leg=4),
        ],
        "worsens.after-exercise",
    ),
    ([session(1, pain_before_leg=4, pain_after_leg=6)], "worsens.after-exercise"),
    ([session(1, felt_worse=True), session(2, felt_worse=False)], "worsens.felt-worse"),
    ([session(1, stopped_hurt=True), session(2), session(3), session(4)], "persists.hurt-stops"),
    ([session(1, stopped_hurt=True), session(2)], "session.stopped-hurt"),
    ([session(1, spread=True), session(2, spread=False)], "worsens.spread"),
    ([session(0, pain_before_leg=5), session(10, pain_before_leg=5)], "persists.no-better"),
    ([session(0, pain_before_leg=5), session(25, pain_before_leg=3)], "persists.no-better"),
]


@pytest.mark.parametrize(("sessions", "rule_id"), NOT_FIRING)
def test_session_rules_do_not_fire(sessions, rule_id):
    assert rule_id not in fired_ids(SafetyFacts(now=NOW, answers=answers(), sessions=sessions))


def diary(*leg_pains: int) -> list[DiaryFacts]:
    """One entry a day, the last one today."""
    start = NOW.date() - timedelta(days=len(leg_pains) - 1)
    return [DiaryFacts(start + timedelta(days=i), pain) for i, pain in enumerate(leg_pains)]


RECENT = [SessionFacts("recent", NOW - timedelta(days=2))]
DIARY_CASES = [
    # (diary, sessions, fires)
    (diary(3, 3, 3, 5, 5, 6, 6), RECENT, True),
    (diary(3, 3, 4, 4, 4, 4), RECENT, False),  # up by less than 2 points
    (diary(3, 3, 3, 5, 5, 6, 6), [], False),  # not while exercising
    (diary(3, 6, 7), RECENT, False),  # too few entries
    (diary(6, 6, 6, 5, 3, 3, 3), RECENT, False),  # going down
]


@pytest.mark.parametrize(("entries", "sessions", "fires"), DIARY_CASES)
def test_leg_pain_trending_up_in_the_diary_while_exercising(entries, sessions, fires):
    facts = SafetyFacts(now=NOW, answers=answers(), sessions=sessions, diary=entries)
    verdict = evaluate(RULES, facts)
    assert ("worsens.diary-trend" in {f.rule_id for f in verdict.fired}) is fires
    if fires:
        assert verdict.tier == "see_doctor"


def test_every_session_rule_has_a_firing_and_a_non_firing_case():
    session_rules = {r.id for r in RULES.rules if not isinstance(r.condition, AnswerCondition)}
    diary_rule = {"worsens.diary-trend"}
    assert {case[2] for case in SESSION_CASES} | diary_rule == session_rules
    assert {case[1] for case in NOT_FIRING} | diary_rule == session_rules
    assert {fires for *_, fires in DIARY_CASES} == {True, False}


def test_a_person_clearance_silences_an_answer_rule_until_the_answer_changes():
    yes = ScreeningAnswer("rf.cancer", "yes", NOW - timedelta(days=2))
    cleared = Clearance("malignancy.history", NOW - timedelta(days=1), "person")
    facts = SafetyFacts(now=NOW, answers=[yes], clearances=[cleared])
    verdict = evaluate(RULES, facts)
    assert verdict.tier == "ok"
    assert [f.rule_id for f in verdict.cleared] == ["malignancy.history"]
    still_yes = ScreeningAnswer("rf.cancer", "yes", NOW - timedelta(hours=2))
    assert (
        evaluate(RULES, SafetyFacts(now=NOW, answers=[yes, still_yes], clearances=[cleared])).tier
        == "ok"
    )
    flip = [yes, ScreeningAnswer("rf.cancer", "no", NOW - timedelta(hours=3)), still_yes]
    assert (
        evaluate(RULES, SafetyFacts(now=NOW, answers=flip, clearances=[cleared])).tier
        == "see_doctor"
    )


def test_a_clearance_of_a_pattern_counts_only_later_sessions():
    worse = [session(d, pain_before_leg=3, pain_after_leg=5) for d in (1, 2)]
    cleared = Clearance(
        "worsens.after-exercise", worse[-1].started_at + timedelta(hours=1), "person"
    )
    facts = SafetyFacts(now=NOW, sessions=worse, clearances=[cleared])
    assert "worsens.after-exercise" not in fired_ids(facts)
    later = [
        *worse,
        session(10, pain_before_leg=3, pain_after_leg=5),
        session(11, pain_before_leg=3, pain_after_leg=6),
    ]
    assert "worsens.after-exercise" in fired_ids(
        SafetyFacts(now=NOW, sessions=later, clearances=[cleared])
    )


def test_screening_is_due_at_first_use_and_after_the_interval():
    assert screening_due([], NOW, 7)
    recent = [ScreeningAnswer("rf.fever", "no", NOW - timedelta(days=6))]
    assert not screening_due(recent, NOW, 7)
    assert screening_due(recent, NOW, 5)


def test_every_rule_cites_a_known_source_and_quotes_seeds_exactly():
    library = load_library()
    known = {s.id for s in library.sources}
    seed_texts = {name: (SEEDS / name).read_text(encoding="utf-8") for name in SEED_FILES}
    for rule in RULES.rules:
        assert rule.sources, rule.id
        assert rule.message
        assert rule.tier in TIER_ORDER
        for citation in rule.sources:
            assert citation.source in known, (rule.id, citation.source)
            if citation.source in seed_texts:
                assert (SEEDS / citation.source).is_file()
                assert citation.quote, rule.id
                assert citation.quote in seed_texts[citation.source], rule.id


# --- properties ----------------------------------------------------------------------------

answer_values = st.sampled_from(["yes", "no", "unsure"])
answer_sets = st.fixed_dictionaries({q.id: answer_values for q in RULES.questions})
histories = st.lists(
    st.builds(
        SessionFacts,
        session_id=st.text(min_size=1, max_size=5),
        started_at=st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 21), timezones=st.just(UTC)
        ),
        stopped_hurt=st.booleans(),
        pain_before_back=st.none() | st.integers(0, 10),
        pain_before_leg=st.none() | st.integers(0, 10),
        pain_after_back=st.none() | st.integers(0, 10),
        pain_after_leg=st.none() | st.integers(0, 10),
        felt_worse=st.none() | st.booleans(),
        spread=st.none() | st.booleans(),
    ),
    max_size=8,
)


def as_answers(values: dict[str, str]) -> list[ScreeningAnswer]:
    return [ScreeningAnswer(q, v, NOW - timedelta(minutes=5)) for q, v in values.items()]  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(values=answer_sets, history=histories)
def test_any_yes_or_unsure_to_a_cauda_equina_question_is_an_emergency(values, history):
    verdict = evaluate(RULES, SafetyFacts(now=NOW, answers=as_answers(values), sessions=history))
    if any(values[q] in ("yes", "unsure") for q in CES_QUESTIONS):
        assert verdict.tier == "emergency"
        assert verdict.blocks_sessions
    else:
        assert verdict.tier != "emergency"


@settings(max_examples=300, deadline=None)
@given(values=answer_sets, history=histories)
def test_a_blocking_verdict_means_sessions_cannot_start(values, history):
    verdict = evaluate(RULES, SafetyFacts(now=NOW, answers=as_answers(values), sessions=history))
    active = {f.tier for f in verdict.fired}
    if active & {"emergency", "see_doctor"}:
        assert verdict.blocks_sessions
    else:
        assert not verdict.blocks_sessions


@settings(max_examples=300, deadline=None)
@given(
    values=answer_sets,
    history=histories,
    question=st.sampled_from([q.id for q in RULES.questions]),
    flag=st.sampled_from(["yes", "unsure"]),
)
def test_adding_a_red_flag_answer_never_lowers_the_tier(values, history, question, flag):
    before = evaluate(RULES, SafetyFacts(now=NOW, answers=as_answers(values), sessions=history))
    worse = {**values, question: flag}
    after = evaluate(RULES, SafetyFacts(now=NOW, answers=as_answers(worse), sessions=history))
    assert TIER_ORDER[after.tier] >= TIER_ORDER[before.tier]
