"""Questionnaire scores against worked examples of each published scoring rule, missing
answers as each rule treats them, and changes from baseline against the minimal change."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerveglide.content.loader import load_questionnaire, load_questionnaires
from nerveglide.content.questionnaire import Questionnaire
from nerveglide.domain.scoring import Answer, Score, ScoringError, compare, score

Q = {q.id: q for q in load_questionnaires()}
NPRS = Q["nprs-back"]
SBI = Q["sciatica-bothersomeness-index"]
RMDQ = Q["roland-morris"]
SBT = Q["start-back"]
PSFS = Q["psfs"]
ODI = load_questionnaire(
    Path(__file__).parents[1] / "content" / "fixtures" / "questionnaires" / "oswestry-licensed.yaml"
)


def valid(questionnaire: Questionnaire, answers: dict[str, Answer]) -> Score:
    result = score(questionnaire, answers)
    assert result.valid, result.problem
    return result


def rmdq(ticked: int) -> dict[str, Answer]:
    """The first ``ticked`` sentences ticked, the rest left blank."""
    return {f"q{n}": "yes" for n in range(1, ticked + 1)}


def start_back(agree: set[int], bother: str = "not-at-all") -> dict[str, Answer]:
    answers: dict[str, Answer] = {
        f"q{n}": "agree" if n in agree else "disagree" for n in range(1, 9)
    }
    answers["q9"] = bother
    return answers


def psfs(*ratings: int) -> dict[str, Answer]:
    return {f"activity-{n}": r for n, r in enumerate(ratings, 1)}


# -- numeric pain rating ----------------------------------------------------------------


def test_nprs_score_is_the_number_chosen():
    result = valid(NPRS, {"back-pain": 7})
    assert result.total == 7
    assert result.missing == ()
    assert result.band is None


def test_nprs_without_an_answer_has_no_score():
    for answers in ({}, {"back-pain": None}):
        result = score(NPRS, answers)
        assert not result.valid
        assert result.total is None
        assert result.missing == ("back-pain",)
        assert result.problem
        assert "back-pain" in result.problem


@pytest.mark.parametrize("answer", [11, -1, 6.5, "seven", True])
def test_nprs_refuses_answers_off_the_scale(answer):
    with pytest.raises(ScoringError) as caught:
        score(NPRS, {"back-pain": answer})
    assert caught.value.item == "back-pain"


def test_an_unknown_item_is_refused():
    with pytest.raises(ScoringError) as caught:
        score(NPRS, {"back-pain": 3, "leg-pain": 5})
    assert caught.value.item == "leg-pain"


@pytest.mark.parametrize(
    ("before", "after", "meets"),
    [
        (7, 5, True),  # exactly the MIC of 2 points (29%)
        (7, 6, False),  # one point less (14%)
        (3, 2, True),  # 1 point, but 33% of baseline
        (10, 7, True),  # 3 points and exactly 30%
        (5, 4, False),  # 1 point, 20%
        (5, 8, False),  # worse
        (0, 0, False),  # no pain at baseline: no percent, no change
    ],
)
def test_nprs_change_against_two_points_or_thirty_percent(before, after, meets):
    change = compare(NPRS, valid(NPRS, {"back-pain": before}), valid(NPRS, {"back-pain": after}))
    assert change.meets is meets
    assert change.difference == after - before
    assert change.improvement == before - after
    assert change.threshold_kind == "mic"
    assert (change.threshold_points, change.threshold_percent) == (2, 30)
    assert change.sources == ("ostelo-2008",)


def test_percent_change_is_relative_to_baseline():
    change = compare(NPRS, valid(NPRS, {"back-pain": 8}), valid(NPRS, {"back-pain": 6}))
    assert change.percent_change == pytest.approx(-25)
    assert change.percent_improvement == pytest.approx(25)
    zero = compare(NPRS, valid(NPRS, {"back-pain": 0}), valid(NPRS, {"back-pain": 2}))
    assert zero.percent_change is None
    assert zero.meets is False


# -- Sciatica Bothersomeness Index ------------------------------------------------------


def test_sbi_total_is_the_sum_of_four_ratings():
    answers: dict[str, Answer] = {
        "leg-pain": 5,
        "numbness-tingling": 4,
        "weakness": 2,
        "pain-sitting": 3,
    }
    assert valid(SBI, answers).total == 14
    assert valid(SBI, dict.fromkeys(answers, 6)).total == 24
    assert valid(SBI, dict.fromkeys(answers, 0)).total == 0


def test_sbi_needs_all_four_answers():
    result = score(SBI, {"leg-pain": 5, "numbness-tingling": 4, "weakness": 2})
    assert not result.valid
    assert result.total is None
    assert result.missing == ("pain-sitting",)
    assert result.item_values == {"leg-pain": 5, "numbness-tingling": 4, "weakness": 2}


def test_sbi_change_has_no_threshold_to_meet():
    before = valid(SBI, {"leg-pain": 6, "numbness-tingling": 5, "weakness": 4, "pain-sitting": 5})
    after = valid(SBI, {"leg-pain": 2, "numbness-tingling": 2, "weakness": 1, "pain-sitting": 1})
    change = compare(SBI, before, after)
    assert (change.baseline, change.now, change.improvement) == (20, 6, 14)
    assert change.meets is None
    assert change.threshold_kind == "none_published"
    assert change.threshold_points is None


# -- Roland-Morris ----------------------------------------------------------------------


def test_rmdq_counts_the_ticked_sentences():
    assert valid(RMDQ, rmdq(7)).total == 7
    assert valid(RMDQ, rmdq(24)).total == 24
    ticked_and_unticked = rmdq(3) | {"q4": "no", "q5": 0, "q6": 1}
    assert valid(RMDQ, ticked_and_unticked).total == 4


def test_rmdq_blank_sentences_score_zero_and_are_listed():
    result = valid(RMDQ, rmdq(5))
    assert result.total == 5
    assert result.missing == tuple(f"q{n}" for n in range(6, 25))
    assert valid(RMDQ, {}).total == 0


@pytest.mark.parametrize(
    ("before", "after", "meets"),
    [
        (20, 15, True),  # exactly 5 points (25%)
        (20, 16, False),  # 4 points (20%)
        (10, 7, True),  # 3 points but exactly 30%
        (10, 8, False),  # 2 points, 20%
        (12, 14, False),  # worse
    ],
)
def test_rmdq_change_against_five_points_or_thirty_percent(before, after, meets):
    change = compare(RMDQ, valid(RMDQ, rmdq(before)), valid(RMDQ, rmdq(after)))
    assert change.meets is meets
    assert change.improvement == before - after


# -- Keele STarT Back -------------------------------------------------------------------


def test_start_back_total_three_is_low_risk_whatever_the_distress():
    result = valid(SBT, start_back({5, 6, 7}))
    assert (result.total, result.subscales["distress"]) == (3, 3)
    assert (result.band, result.band_label) == ("low", "Low risk")


def test_start_back_total_four_with_distress_three_is_medium():
    result = valid(SBT, start_back({1, 5, 6, 7}))
    assert (result.total, result.subscales["distress"], result.band) == (4, 3, "medium")


def test_start_back_total_four_with_no_distress_is_medium():
    result = valid(SBT, start_back({1, 2, 3, 4}))
    assert (result.total, result.subscales["distress"], result.band) == (4, 0, "medium")


def test_start_back_distress_four_is_high():
    result = valid(SBT, start_back({5, 6, 7, 8}))
    assert (result.total, result.subscales["distress"], result.band) == (4, 4, "high")
    everything = valid(SBT, start_back(set(range(1, 9)), "extremely"))
    assert (everything.total, everything.subscales["distress"], everything.band) == (9, 5, "high")


@pytest.mark.parametrize(
    ("bother", "scores"),
    [("not-at-all", 0), ("slightly", 0), ("moderately", 0), ("very-much", 1), ("extremely", 1)],
)
def test_start_back_bothersomeness_counts_for_very_much_or_extremely(bother, scores):
    result = valid(SBT, start_back({5, 6, 7}, bother))
    assert result.subscales["distress"] == 3 + scores
    assert result.band == ("high" if scores else "low")


def test_start_back_accepts_option_values_as_well_as_codes():
    by_value: dict[str, Answer] = {f"q{n}": 1 if n in {1, 5, 6, 7} else 0 for n in range(1, 9)}
    by_value["q9"] = 0
    assert valid(SBT, by_value).band == "medium"
    with pytest.raises(ScoringError) as caught:
        score(SBT, by_value | {"q9": "quite"})
    assert caught.value.item == "q9"
    assert "not one of" in caught.value.problem
    with pytest.raises(ScoringError):
        score(SBT, by_value | {"q1": 2})


def test_start_back_with_an_unanswered_item_has_no_risk_group():
    answers = start_back({5, 6, 7, 8})
    del answers["q2"]
    result = score(SBT, answers)
    assert not result.valid
    assert result.total is None
    assert result.band is None
    assert result.missing == ("q2",)
    distress_only = start_back({1, 2, 3, 4})
    del distress_only["q9"]
    result = score(SBT, distress_only)
    assert not result.valid
    assert result.subscales == {"distress": None}


@given(
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.sampled_from(["not-at-all", "slightly", "moderately", "very-much", "extremely"]),
)
def test_start_back_band_follows_the_keele_rule(agree, bother):
    result = valid(SBT, start_back({n for n, a in enumerate(agree, 1) if a}, bother))
    bothered = bother in ("very-much", "extremely")
    total = sum(agree) + bothered
    distress = sum(agree[4:]) + bothered
    expected = "low" if total <= 3 else ("high" if distress >= 4 else "medium")
    assert (result.total, result.subscales["distress"], result.band) == (total, distress, expected)


def test_start_back_change_is_not_judged_against_a_threshold():
    change = compare(SBT, valid(SBT, start_back({5, 6, 7, 8})), valid(SBT, start_back(set())))
    assert change.meets is None
    assert change.improvement == 4


# -- Patient-Specific Functional Scale --------------------------------------------------


def test_psfs_score_is_the_mean_of_the_activities():
    assert valid(PSFS, psfs(4, 6, 8)).total == 6
    assert valid(PSFS, psfs(2, 3, 5, 6)).total == 4
    assert valid(PSFS, psfs(3, 3, 4)).total == pytest.approx(10 / 3)


def test_psfs_needs_three_activities():
    result = score(PSFS, psfs(4, 6))
    assert not result.valid
    assert result.problem
    assert "at least 3" in result.problem
    assert result.missing == ("activity-3", "activity-4", "activity-5")


def test_psfs_mdc_is_two_points_on_the_mean_higher_is_better():
    baseline = valid(PSFS, psfs(3, 4, 5))
    two_up = compare(PSFS, baseline, valid(PSFS, psfs(5, 6, 7)))
    assert (two_up.improvement, two_up.meets) == (2, True)
    assert two_up.threshold_kind == "mdc90"
    assert "detectable" in two_up.threshold_label
    less = compare(PSFS, baseline, valid(PSFS, psfs(5, 6, 6)))
    assert less.improvement == pytest.approx(5 / 3)
    assert less.meets is False
    worse = compare(PSFS, baseline, valid(PSFS, psfs(1, 2, 3)))
    assert (worse.difference, worse.improvement, worse.meets) == (-2, -2, False)


def test_psfs_exactly_two_points_counts_despite_thirds():
    change = compare(PSFS, valid(PSFS, psfs(3, 3, 4)), valid(PSFS, psfs(5, 5, 6)))
    assert change.improvement == pytest.approx(2)
    assert change.meets is True


def test_psfs_single_activity_threshold_is_three_points():
    change = compare(PSFS, valid(PSFS, psfs(3, 4, 5)), valid(PSFS, psfs(6, 6, 5, 9)))
    items = {c.item: (c.improvement, c.meets) for c in change.items}
    assert items == {"activity-1": (3, True), "activity-2": (2, False), "activity-3": (0, False)}


# -- a clinic's licensed file (Oswestry-like fixture) ------------------------------------


def odi(*sections: int | None) -> dict[str, Answer]:
    return {f"section-{n}": s for n, s in enumerate(sections, 1)}


def test_percent_of_max_over_answered_sections():
    # The worked example on the ODI form: 16 of 50 is 32%; with one section unanswered,
    # 16 of 45 is 35.6%.
    assert valid(ODI, odi(2, 1, 2, 2, 2, 2, 1, 2, 1, 1)).total == pytest.approx(32)
    one_missing = valid(ODI, odi(2, 1, 2, 2, 2, 2, 1, 2, 2, None))
    assert one_missing.total == pytest.approx(16 * 100 / 45)
    assert one_missing.missing == ("section-10",)
    two_missing = score(ODI, odi(2, 1, 2, 2, 2, 2, 1, 4, None, None))
    assert not two_missing.valid
    assert two_missing.total is None


def test_percent_of_max_change_against_ten_points_or_thirty_percent():
    before = valid(ODI, odi(*[3] * 10))  # 60%
    assert compare(ODI, before, valid(ODI, odi(*[2] * 10))).meets is True  # 20 points
    after = valid(ODI, odi(3, 3, 3, 3, 3, 3, 3, 3, 2, 2))  # 56%
    change = compare(ODI, before, after)
    assert change.improvement == pytest.approx(4)
    assert change.meets is False


# -- comparing needs two valid scores of the same questionnaire --------------------------


def test_compare_refuses_an_invalid_score():
    with pytest.raises(ScoringError, match="no valid score"):
        compare(
            SBI,
            score(SBI, {"leg-pain": 5}),
            valid(
                SBI, dict.fromkeys(("leg-pain", "numbness-tingling", "weakness", "pain-sitting"), 1)
            ),
        )


def test_compare_refuses_scores_of_another_questionnaire():
    leg = Q["nprs-leg"]
    with pytest.raises(ScoringError, match="nprs-leg"):
        compare(NPRS, valid(leg, {"leg-pain": 5}), valid(NPRS, {"back-pain": 3}))
