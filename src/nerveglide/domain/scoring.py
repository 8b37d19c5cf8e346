"""Outcome questionnaire scores, and their change from baseline against the minimal change.

Pure: a questionnaire (data, :mod:`nerveglide.content.questionnaire`) and the answers in;
a :class:`Score` or a :class:`Change` out. No I/O, no clock.

Answers map an item id to the chosen option's ``code`` (``"agree"``), a number (the option's
value, or a rating on a numeric scale), or ``None`` for unanswered. A missing key is
unanswered too. Each rule treats unanswered items as its published rule says (see the
module docstring of :mod:`nerveglide.content.questionnaire`); when the rule cannot give a
score, :attr:`Score.valid` is false, :attr:`Score.total` is ``None`` and
:attr:`Score.problem` says why.

:func:`compare` reports the change in the instrument's improving direction (lower is
better for pain ratings, SBI and RMDQ; higher for PSFS) and whether it reaches the
minimal change in points or in percent of baseline (either is enough). A change equal to
the threshold counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nerveglide.content.questionnaire import (
    TOTAL,
    ChangeKind,
    ChoiceAnswers,
    NumericAnswers,
    Questionnaire,
)

Answer = int | float | str | None

# Scores are sums and averages of small whole numbers; compare with a little slack so that
# 10/3 + 2 still "reaches" 2 points and 30.000000000000004% still counts as 30%.
_EPS = 1e-9


class ScoringError(ValueError):
    """An answer or a score does not fit the questionnaire; ``item`` names the item."""

    def __init__(self, item: str, problem: str) -> None:
        self.item = item
        self.problem = problem
        super().__init__(f"{item}: {problem}" if item else problem)


@dataclass(frozen=True)
class Score:
    """One completed questionnaire, scored.

    ``item_values`` holds the scored value of every answered item; ``missing`` lists the
    unanswered items in file order; ``band`` is the result band's id (e.g. ``"high"``)
    when the questionnaire has bands and the score is valid.
    """

    questionnaire: str
    total: float | None
    subscales: Mapping[str, float | None]
    band: str | None
    band_label: str | None
    missing: tuple[str, ...]
    valid: bool
    problem: str | None = None
    item_values: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemChange:
    """One item's change (a PSFS activity), against the single-item threshold."""

    item: str
    baseline: int
    now: int
    improvement: int
    meets: bool


@dataclass(frozen=True)
class Change:
    """The change from ``baseline`` to ``now``.

    ``difference`` is now minus baseline; ``improvement`` is the same change signed so
    that positive is better for this instrument. ``percent_change`` and
    ``percent_improvement`` are relative to baseline (``None`` when baseline is 0).
    ``meets`` is ``None`` when no minimal change is published.
    """

    questionnaire: str
    baseline: float
    now: float
    better: str
    difference: float
    improvement: float
    percent_change: float | None
    percent_improvement: float | None
    threshold_kind: ChangeKind
    threshold_label: str
    threshold_points: float | None
    threshold_percent: float | None
    meets: bool | None
    sources: tuple[str, ...]
    items: tuple[ItemChange, ...] = ()


def _value(questionnaire: Questionnaire, item_id: str, answer: int | float | str) -> int:
    answers = questionnaire.answers_for(item_id)
    if isinstance(answer, bool):
        raise ScoringError(item_id, "answer with an option code or a number, not true/false")
    if isinstance(answers, ChoiceAnswers):
        if isinstance(answer, str):
            for option in answers.options:
                if option.code == answer:
                    return option.value
            codes = ", ".join(o.code for o in answers.options)
            raise ScoringError(item_id, f"{answer!r} is not one of {codes}")
        if answer in answers.values():
            return int(answer)
        raise ScoringError(item_id, f"{answer!r} is not an option's value")
    return _numeric(item_id, answers, answer)


def _numeric(item_id: str, answers: NumericAnswers, answer: int | float | str) -> int:
    if isinstance(answer, str):
        raise ScoringError(item_id, f"give a number from {answers.min} to {answers.max}")
    if answer != int(answer) or not answers.min <= answer <= answers.max:
        raise ScoringError(
            item_id, f"{answer!r} is not a whole number from {answers.min} to {answers.max}"
        )
    return int(answer)


def item_values(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> dict[str, int]:
    """The scored value of every answered item; unknown items and bad answers raise."""
    known = {i.id for i in questionnaire.items}
    for item_id in answers:
        if item_id not in known:
            raise ScoringError(item_id, f"not an item of {questionnaire.id}")
    values: dict[str, int] = {}
    for item in questionnaire.items:
        answer = answers.get(item.id)
        if answer is not None:
            values[item.id] = _value(questionnaire, item.id, answer)
    return values


def _rule_score(
    questionnaire: Questionnaire, item_ids: Sequence[str], values: Mapping[str, int]
) -> tuple[float | None, str | None]:
    """(score, None), or (None, why not) under the rule's missing-answer handling."""
    scoring = questionnaire.scoring
    missing = scoring.missing
    answered = [i for i in item_ids if i in values]
    unanswered = [i for i in item_ids if i not in values]
    if missing.rule == "required" and unanswered:
        return None, f"unanswered: {', '.join(unanswered)}; every item is needed"
    if missing.rule == "use_answered":
        if missing.min_answered is not None and len(answered) < missing.min_answered:
            return None, f"{len(answered)} answered; at least {missing.min_answered} are needed"
        if missing.max_missing is not None and len(unanswered) > missing.max_missing:
            return None, f"{len(unanswered)} unanswered; at most {missing.max_missing} may be"
        if not answered:
            return None, "nothing answered"
    raw = sum(values[i] for i in answered)
    if scoring.rule in ("sum", "count_yes"):
        return float(raw), None
    if scoring.rule == "mean":
        return raw / len(answered), None
    highest = sum(questionnaire.answers_for(i).values()[-1] for i in answered)
    return raw * 100 / highest, None


def score(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> Score:
    """Score ``answers`` by the questionnaire's rule; see the module docstring."""
    values = item_values(questionnaire, answers)
    scored = questionnaire.scored_items()
    missing = tuple(i.id for i in questionnaire.items if i.id not in values)
    total, problem = _rule_score(questionnaire, scored, values)
    subscales: dict[str, float | None] = {}
    for sub in questionnaire.scoring.subscales:
        subscales[sub.id], sub_problem = _rule_score(questionnaire, sub.items, values)
        if problem is None and sub_problem is not None:
            problem = f"{sub.title}: {sub_problem}"
    valid = problem is None
    band_id: str | None = None
    band_label: str | None = None
    bands = questionnaire.scoring.bands
    if valid and bands is not None and total is not None:
        results: dict[str, float | None] = {TOTAL: total, **subscales}
        for band in bands.bands:
            if all(
                (value := results[bound.score]) is not None and bound.holds(value)
                for bound in band.when
            ):
                band_id, band_label = band.id, band.label
                break
    return Score(
        questionnaire=questionnaire.id,
        total=total if valid else None,
        subscales=subscales if valid else dict.fromkeys(subscales),
        band=band_id,
        band_label=band_label,
        missing=missing,
        valid=valid,
        problem=problem,
        item_values=values,
    )


def compare(questionnaire: Questionnaire, baseline: Score, now: Score) -> Change:
    """The change from ``baseline`` to ``now`` against the questionnaire's minimal change."""
    for name, result in (("baseline", baseline), ("now", now)):
        if result.questionnaire != questionnaire.id:
            raise ScoringError(
                "", f"{name} is a {result.questionnaire} score, not {questionnaire.id}"
            )
        if not result.valid or result.total is None:
            raise ScoringError("", f"{name} has no valid score ({result.problem})")
    assert baseline.total is not None
    assert now.total is not None
    better = questionnaire.scoring.better
    sign = -1 if better == "lower" else 1
    difference = now.total - baseline.total
    improvement = sign * difference
    percent_change: float | None = None
    percent_improvement: float | None = None
    if baseline.total != 0:
        percent_change = difference * 100 / abs(baseline.total)
        percent_improvement = improvement * 100 / abs(baseline.total)

    mic = questionnaire.minimal_change
    meets: bool | None = None
    if mic.kind != "none_published":
        by_points = mic.points is not None and improvement >= mic.points - _EPS
        by_percent = (
            mic.percent is not None
            and percent_improvement is not None
            and percent_improvement >= mic.percent - _EPS
        )
        meets = by_points or by_percent

    items: list[ItemChange] = []
    if mic.item_points is not None:
        for item in questionnaire.items:
            before = baseline.item_values.get(item.id)
            after = now.item_values.get(item.id)
            if before is None or after is None:
                continue
            item_improvement = sign * (after - before)
            items.append(
                ItemChange(
                    item=item.id,
                    baseline=before,
                    now=after,
                    improvement=item_improvement,
                    meets=item_improvement >= mic.item_points - _EPS,
                )
            )

    return Change(
        questionnaire=questionnaire.id,
        baseline=baseline.total,
        now=now.total,
        better=better,
        difference=difference,
        improvement=improvement,
        percent_change=percent_change,
        percent_improvement=percent_improvement,
        threshold_kind=mic.kind,
        threshold_label=mic.label,
        threshold_points=mic.points,
        threshold_percent=mic.percent,
        meets=meets,
        sources=tuple(c.source for c in mic.sources),
        items=tuple(items),
    )
