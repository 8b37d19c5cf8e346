"""The shape of an outcome questionnaire file, as pydantic models.

A questionnaire file holds one published instrument (the numeric pain rating, the
Roland-Morris questionnaire, the Keele STarT Back tool, ...): its items and their answer
options, how it is scored, the smallest change that matters with its source, its LOINC
codes, its copyright or licence notice, and where its wording was checked.

Scoring is one of a small closed set of rules that :mod:`nerveglide.domain.scoring`
implements, each with the missing-answer handling its published rule gives:

``sum``
    the item values added up (Sciatica Bothersomeness Index, STarT Back, NPRS).
``count_yes``
    the number of items answered "yes" (value 1) (Roland-Morris).
``mean``
    the average of the answered items (Patient-Specific Functional Scale).
``percent_of_max``
    the sum as a percentage of the highest sum the answered items allow (Oswestry).

Missing answers are handled by ``scoring.missing.rule``:

``required``
    every scored item must be answered, or there is no score.
``blank_is_no``
    a tick list: an item left blank does not apply and scores 0 (``count_yes`` only).
``use_answered``
    the score is taken over the answered items (``mean``, ``percent_of_max``), valid
    while at least ``min_answered`` items are answered and at most ``max_missing`` are not.

The minimal change is a minimal important change (``mic``), a minimal detectable change
at 90% confidence (``mdc90``: a measurement-error threshold, not an importance one), or
explicitly ``none_published``.

A clinic that holds a licence for a licensed instrument (the Oswestry Disability Index,
say) loads its own file: ``licence.status: licensed`` names the licensee, and the file
may bring its own bibliography in ``extra_sources``.

Cross-field problems raise :class:`QuestionnaireProblem`, which carries the dotted path
of the field at fault, so the loader can name it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from nerveglide.content.schema import Citation, ItemId, Source, Text

RuleKind = Literal["sum", "count_yes", "mean", "percent_of_max"]
MissingRule = Literal["required", "blank_is_no", "use_answered"]
Better = Literal["lower", "higher"]
ChangeKind = Literal["mic", "mdc90", "none_published"]
LicenceStatus = Literal[
    "public_domain",  # no owner found; free to use
    "free_no_permission",  # the owner says no permission is needed for this form
    "free_non_commercial",  # free for non-commercial use; commercial use needs the owner
    "licensed",  # needs a licence from its owner: a clinic's own file only
    "unverified",  # the terms are not known
]
WordingStatus = Literal[
    "checked",  # item wording compared with copies of the published form (cited)
    "adapted",  # the instrument has no fixed form, or it is adapted for self-completion
    "unverified",  # not compared with the published form
]

TOTAL = "total"
_MAX_BAND_STATES = 200_000


def _loinc_check_digit(code: str) -> str:
    """A LOINC code's last digit is a mod-10 check digit over the part before the dash."""
    number, check = code.split("-")
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    expected = (10 - total % 10) % 10
    if int(check) != expected:
        raise ValueError(f"LOINC code {code!r} fails its check digit (expected -{expected})")
    return code


LoincCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,7}-[0-9]$"),
    AfterValidator(_loinc_check_digit),
]
LoincAnswerCode = Annotated[str, StringConstraints(pattern=r"^LA[0-9]{1,7}-[0-9]$")]


class QuestionnaireProblem(ValueError):
    """A questionnaire is inconsistent; ``field`` is the dotted path of the field at fault."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    """One answer option: a stable ``code``, what the person reads, and its score."""

    code: ItemId
    label: Text
    value: int = Field(ge=0, le=100)


class ChoiceAnswers(_Model):
    """A fixed list of options (yes/no, agree/disagree, the six Oswestry statements)."""

    id: ItemId
    kind: Literal["choice"]
    options: list[Option] = Field(min_length=2)

    @model_validator(mode="after")
    def _codes_unique(self) -> ChoiceAnswers:
        codes = [o.code for o in self.options]
        if len(set(codes)) != len(codes):
            raise ValueError("option codes repeat")
        return self

    def values(self) -> tuple[int, ...]:
        return tuple(sorted({o.value for o in self.options}))


class Anchor(_Model):
    """A labelled point of a numeric scale ("0 = no pain")."""

    value: int
    label: Text


class NumericAnswers(_Model):
    """A whole-number rating from ``min`` to ``max`` (0-10), labelled at its anchors."""

    id: ItemId
    kind: Literal["numeric"]
    min: int = Field(ge=0, le=100)
    max: int = Field(ge=1, le=100)
    anchors: list[Anchor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _range(self) -> NumericAnswers:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        for anchor in self.anchors:
            if not self.min <= anchor.value <= self.max:
                raise ValueError(f"anchor {anchor.value} is outside {self.min}-{self.max}")
        return self

    def values(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))


AnswerSet = Annotated[ChoiceAnswers | NumericAnswers, Field(discriminator="kind")]


class Question(_Model):
    """One item. A ``patient_specified`` item is one the person names themselves (a PSFS
    activity): its ``text`` is the prompt, and the person's own words go with the answer."""

    id: ItemId
    text: Text
    answers: ItemId
    loinc: LoincCode | None = None
    patient_specified: bool = False


class MissingData(_Model):
    """How unanswered items are treated, as the published rule says (``note``)."""

    rule: MissingRule
    min_answered: int | None = Field(default=None, ge=1)
    max_missing: int | None = Field(default=None, ge=0)
    note: Text
    sources: list[Citation] = Field(default_factory=list)


class Subscale(_Model):
    """A part score over some of the scored items, scored by the same rule."""

    id: ItemId
    title: Text
    items: list[ItemId] = Field(min_length=1)
    min: float
    max: float
    loinc: LoincCode | None = None


class Bound(_Model):
    """``min <= score <= max`` for the total (``score: total``) or a subscale."""

    score: ItemId
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("a bound needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Band(_Model):
    """A named result (e.g. "high risk") that holds when every bound in ``when`` holds."""

    id: ItemId
    label: Text
    when: list[Bound] = Field(min_length=1)
    loinc_answer: LoincAnswerCode | None = None


class Bands(_Model):
    """Result bands with their source. Every complete set of answers falls in exactly one."""

    title: Text
    loinc: LoincCode | None = None
    bands: list[Band] = Field(min_length=2)
    sources: list[Citation] = Field(min_length=1)


class Scoring(_Model):
    rule: RuleKind
    items: list[ItemId] | None = None
    min: float
    max: float
    better: Better
    missing: MissingData
    subscales: list[Subscale] = Field(default_factory=list)
    bands: Bands | None = None
    note: str | None = None
    sources: list[Citation] = Field(min_length=1)


class MinimalChange(_Model):
    """The smallest change that counts, in points and/or percent of baseline (either is
    enough), or ``none_published``. ``item_points`` is a threshold for one item's change
    (a PSFS activity)."""

    kind: ChangeKind
    points: float | None = Field(default=None, gt=0)
    percent: float | None = Field(default=None, gt=0, le=100)
    item_points: float | None = Field(default=None, gt=0)
    note: str | None = None
    sources: list[Citation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced_or_none(self) -> MinimalChange:
        numbers = (self.points, self.percent, self.item_points)
        if self.kind == "none_published":
            if any(n is not None for n in numbers):
                raise ValueError("'none_published' gives no points, percent or item_points")
            if not self.note:
                raise ValueError("say in 'note' what was looked for and not found")
            return self
        if self.points is None and self.percent is None:
            raise ValueError(f"a {self.kind} gives points, percent or both")
        if not self.sources:
            raise ValueError(f"a {self.kind} needs at least one source")
        return self

    @property
    def label(self) -> str:
        return {
            "mic": "minimal important change",
            "mdc90": "minimal detectable change (90% confidence)",
            "none_published": "no minimal important change published",
        }[self.kind]


class Loinc(_Model):
    """LOINC codes for the panel and the total, where they exist; ``body_site`` qualifies
    a code used for more than one site (pain in the back, pain in the leg)."""

    panel: LoincCode | None = None
    total: LoincCode | None = None
    body_site: str | None = None
    note: str | None = None
    sources: list[Citation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> Loinc:
        if (self.panel or self.total) and not self.sources:
            raise ValueError("say where the LOINC codes come from (sources)")
        if not (self.panel or self.total) and not self.note:
            raise ValueError("no LOINC code: say so in 'note'")
        return self


class Licence(_Model):
    """Who owns the instrument, the notice shown with it, and what is not yet known."""

    status: LicenceStatus
    holder: str | None = None
    notice: Text
    terms: Text
    licensee: str | None = None
    open_questions: list[Text] = Field(default_factory=list)
    sources: list[Citation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Licence:
        if self.status == "licensed" and not self.licensee:
            raise ValueError("a licensed instrument names the licensee that holds the licence")
        if self.status != "licensed" and self.licensee:
            raise ValueError("only a licensed instrument names a licensee")
        if self.status == "unverified" and not self.open_questions:
            raise ValueError("an unverified licence lists its open questions")
        if self.status not in ("public_domain", "unverified") and not self.sources:
            raise ValueError(f"a {self.status!r} licence needs a source for its terms")
        return self


class Wording(_Model):
    """Whether the item wording was checked against the published form, and where."""

    status: WordingStatus
    note: Text
    sources: list[Citation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _checked_has_source(self) -> Wording:
        if self.status == "checked" and not self.sources:
            raise ValueError("checked wording cites where it was checked")
        return self


class Questionnaire(_Model):
    """One outcome questionnaire, validated as a whole."""

    id: ItemId
    title: Text
    short_title: Text
    version: Text
    instructions: Text
    answer_sets: list[AnswerSet] = Field(min_length=1)
    items: list[Question] = Field(min_length=1)
    scoring: Scoring
    minimal_change: MinimalChange
    loinc: Loinc
    licence: Licence
    wording: Wording
    sources: list[Citation] = Field(min_length=1)
    extra_sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        problems = consistency_problems(self)
        if problems:
            raise problems[0]
        return self

    # -- lookups ---------------------------------------------------------------------

    def answer_set(self, answer_set_id: str) -> ChoiceAnswers | NumericAnswers:
        for answer_set in self.answer_sets:
            if answer_set.id == answer_set_id:
                return answer_set
        raise KeyError(answer_set_id)

    def item(self, item_id: str) -> Question:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def answers_for(self, item_id: str) -> ChoiceAnswers | NumericAnswers:
        return self.answer_set(self.item(item_id).answers)

    def scored_items(self) -> list[str]:
        """The ids of the items the total is taken over, in file order."""
        if self.scoring.items is None:
            return [i.id for i in self.items]
        return list(self.scoring.items)

    def subscale(self, subscale_id: str) -> Subscale:
        for subscale in self.scoring.subscales:
            if subscale.id == subscale_id:
                return subscale
        raise KeyError(subscale_id)

    def citations(self) -> list[Citation]:
        """Every citation in the file."""
        out = [*self.sources, *self.scoring.sources, *self.scoring.missing.sources]
        if self.scoring.bands is not None:
            out.extend(self.scoring.bands.sources)
        out.extend(self.minimal_change.sources)
        out.extend(self.loinc.sources)
        out.extend(self.licence.sources)
        out.extend(self.wording.sources)
        return out


def score_range(questionnaire: Questionnaire, item_ids: Sequence[str]) -> tuple[float, float]:
    """The lowest and highest score the scoring rule gives over ``item_ids``."""
    sets = [questionnaire.answers_for(i).values() for i in item_ids]
    rule = questionnaire.scoring.rule
    if rule == "sum":
        return float(sum(v[0] for v in sets)), float(sum(v[-1] for v in sets))
    if rule == "count_yes":
        return 0.0, float(len(sets))
    if rule == "mean":
        return float(min(v[0] for v in sets)), float(max(v[-1] for v in sets))
    return 0.0, 100.0


def transform(rule: RuleKind, raw: int, maximum: int, count: int) -> float:
    """A complete answer set's score from its raw sum: the rule's final step."""
    if rule == "mean":
        return raw / count
    if rule == "percent_of_max":
        return raw * 100 / maximum
    return float(raw)


def consistency_problems(q: Questionnaire) -> list[QuestionnaireProblem]:
    """Every way the parts of ``q`` fail to agree; empty when they agree."""
    problems: list[QuestionnaireProblem] = []

    def problem(field: str, text: str) -> None:
        problems.append(QuestionnaireProblem(field, text))

    set_ids = [s.id for s in q.answer_sets]
    for index, set_id in enumerate(set_ids):
        if set_ids.index(set_id) != index:
            problem(f"answer_sets.{index}.id", f"answer set id {set_id!r} is used twice")
    item_ids = [i.id for i in q.items]
    for index, item in enumerate(q.items):
        if item_ids.index(item.id) != index:
            problem(f"items.{index}.id", f"item id {item.id!r} is used twice")
        if item.answers not in set_ids:
            problem(f"items.{index}.answers", f"names answer set {item.answers!r}, not defined")
    if problems:
        return problems

    scoring = q.scoring
    scored = q.scored_items()
    if scoring.items is not None:
        for index, item_id in enumerate(scoring.items):
            if item_id not in item_ids:
                problem(f"scoring.items.{index}", f"names item {item_id!r}, not an item here")
        if len(set(scoring.items)) != len(scoring.items):
            problem("scoring.items", "an item is scored twice")
    if problems:
        return problems

    if scoring.rule == "count_yes":
        for index, item in enumerate(q.items):
            answers = q.answer_set(item.answers)
            if item.id in scored and (answers.kind != "choice" or set(answers.values()) != {0, 1}):
                problem(
                    f"items.{index}.answers",
                    "count_yes needs a choice whose options are valued 0 (no) and 1 (yes)",
                )
    if scoring.rule == "percent_of_max":
        for index, item in enumerate(q.items):
            if item.id in scored and q.answer_set(item.answers).values()[0] != 0:
                problem(f"items.{index}.answers", "percent_of_max needs options starting at 0")
    if problems:
        return problems

    missing = scoring.missing
    allowed: dict[MissingRule, tuple[RuleKind, ...]] = {
        "required": ("sum", "count_yes", "mean", "percent_of_max"),
        "blank_is_no": ("count_yes",),
        "use_answered": ("mean", "percent_of_max"),
    }
    if scoring.rule not in allowed[missing.rule]:
        problem(
            "scoring.missing.rule",
            f"{missing.rule!r} does not apply to a {scoring.rule!r} score",
        )
    if missing.rule != "use_answered" and (
        missing.min_answered is not None or missing.max_missing is not None
    ):
        problem("scoring.missing", "min_answered and max_missing go with 'use_answered' only")
    if missing.min_answered is not None and missing.min_answered > len(scored):
        problem("scoring.missing.min_answered", f"more than the {len(scored)} scored items")

    low, high = score_range(q, scored)
    if (scoring.min, scoring.max) != (low, high):
        problem(
            "scoring",
            f"min/max are {scoring.min:g}-{scoring.max:g}; the items give {low:g}-{high:g}",
        )

    sub_ids = [s.id for s in scoring.subscales]
    for index, sub in enumerate(scoring.subscales):
        where = f"scoring.subscales.{index}"
        if sub.id == TOTAL or sub_ids.index(sub.id) != index:
            problem(f"{where}.id", f"subscale id {sub.id!r} is reserved or used twice")
        outside = [i for i in sub.items if i not in scored]
        if outside:
            problem(f"{where}.items", f"{outside[0]!r} is not a scored item")
            continue
        sub_low, sub_high = score_range(q, sub.items)
        if (sub.min, sub.max) != (sub_low, sub_high):
            problem(
                where,
                f"min/max are {sub.min:g}-{sub.max:g}; its items give {sub_low:g}-{sub_high:g}",
            )
    if problems:
        return problems

    if scoring.bands is not None:
        names = {TOTAL, *sub_ids}
        band_ids = [b.id for b in scoring.bands.bands]
        for b_index, band in enumerate(scoring.bands.bands):
            if band_ids.index(band.id) != b_index:
                problem(f"scoring.bands.bands.{b_index}.id", f"band id {band.id!r} repeats")
            for w_index, bound in enumerate(band.when):
                if bound.score not in names:
                    problem(
                        f"scoring.bands.bands.{b_index}.when.{w_index}.score",
                        f"{bound.score!r} is neither 'total' nor a subscale",
                    )
        if not problems:
            overlap = _band_problem(q)
            if overlap is not None:
                problem("scoring.bands", overlap)

    mic = q.minimal_change
    if mic.item_points is not None and mic.item_points > high - low:
        problem("minimal_change.item_points", "larger than an item's whole range")
    if mic.points is not None and mic.points > high - low:
        problem("minimal_change.points", f"larger than the whole range ({low:g}-{high:g})")
    return problems


def _band_problem(q: Questionnaire) -> str | None:
    """Walk every reachable (total, subscales...) of complete answers; each must fall in
    exactly one band. ``None`` when it does (or when there are too many to walk)."""
    assert q.scoring.bands is not None
    scored = q.scored_items()
    subs = q.scoring.subscales
    states: set[tuple[int, ...]] = {(0,) * (1 + len(subs))}
    for item_id in scored:
        values = q.answers_for(item_id).values()
        member = [item_id in s.items for s in subs]
        states = {
            (state[0] + v, *(s + v if m else s for s, m in zip(state[1:], member, strict=True)))
            for state in states
            for v in values
        }
        if len(states) > _MAX_BAND_STATES:
            return None
    rule = q.scoring.rule
    maxima = {TOTAL: sum(q.answers_for(i).values()[-1] for i in scored)}
    counts = {TOTAL: len(scored)}
    for sub in subs:
        maxima[sub.id] = sum(q.answers_for(i).values()[-1] for i in sub.items)
        counts[sub.id] = len(sub.items)
    names = [TOTAL, *(s.id for s in subs)]
    for state in sorted(states):
        results = {
            name: transform(rule, raw, maxima[name], counts[name])
            for name, raw in zip(names, state, strict=True)
        }
        matching = [
            band.id
            for band in q.scoring.bands.bands
            if all(bound.holds(results[bound.score]) for bound in band.when)
        ]
        if len(matching) != 1:
            shown = ", ".join(f"{k} {v:g}" for k, v in results.items())
            found = ", ".join(matching) if matching else "no band"
            return f"answers giving {shown} fall in {found}; every result needs exactly one band"
    return None
