"""The shape of the safety rules: red-flag questions, and rules over answers and sessions.

Every rule has an id, a version, the facts it reads (its ``condition``), the tier it gives,
the message the person sees, and its citations. A rule whose threshold no source gives is
marked ``basis: operational`` (the product's reading of a seed sentence), and its numbers
are settings a clinician can change per patient.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nerveglide.content.schema import Citation, ItemId, Text

Tier = Literal["ok", "mention", "see_doctor", "emergency"]
TIER_ORDER: dict[str, int] = {"ok": 0, "mention": 1, "see_doctor": 2, "emergency": 3}
Answer = Literal["yes", "no", "unsure"]

#: Safety settings a clinician can change per patient; the defaults are the product's
#: operational readings, shown as such.
SafetySettingName = Literal[
    "screen_interval_days",
    "worse_after_sessions",
    "felt_worse_sessions",
    "hurt_stops",
    "hurt_window",
    "no_better_weeks",
    "diary_days",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Model):
    """A plain-language red-flag question, answered yes, no or "I'm not sure"."""

    id: ItemId
    text: Text
    help: str | None = None


class AnswerCondition(_Model):
    """Fires when the latest answer to ``question`` is yes or "I'm not sure"."""

    kind: Literal["answer"]
    question: ItemId


class CountCondition(_Model):
    """Fires on a pattern across sessions; its numbers are settings."""

    kind: Literal["worse_after", "felt_worse", "hurt_stops", "no_better", "diary_trend"]
    settings: list[SafetySettingName] = Field(min_length=1)


class SessionCondition(_Model):
    """Fires on something in the latest session."""

    kind: Literal["stopped_hurt", "spread"]


Condition = Annotated[
    AnswerCondition | CountCondition | SessionCondition, Field(discriminator="kind")
]


class SettingDef(_Model):
    name: SafetySettingName
    label: Text
    default: int = Field(ge=1)
    minimum: int = Field(ge=1)
    maximum: int = Field(ge=1)
    text: Text


class Rule(_Model):
    id: ItemId
    version: int = Field(ge=1)
    title: Text
    tier: Tier
    condition: Condition
    message: Text
    basis: Literal["source", "operational"]
    basis_note: str | None = None
    disagreement: str | None = None
    sources: list[Citation] = Field(min_length=1)

    @model_validator(mode="after")
    def _operational_explained(self) -> Rule:
        if self.basis == "operational" and not self.basis_note:
            raise ValueError("an operational rule says how it reads its source (basis_note)")
        if self.tier == "ok":
            raise ValueError("a rule gives a tier above 'ok'")
        return self


class RuleSet(_Model):
    version: Text
    questions: list[Question] = Field(min_length=1)
    settings: list[SettingDef] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)
    tier_text: dict[Tier, Text]

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        question_ids = {q.id for q in self.questions}
        setting_names = {s.name for s in self.settings}
        rule_ids = [r.id for r in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("rule ids repeat")
        for rule in self.rules:
            condition = rule.condition
            if isinstance(condition, AnswerCondition) and condition.question not in question_ids:
                raise ValueError(f"rule {rule.id!r} reads unknown question {condition.question!r}")
            if isinstance(condition, CountCondition):
                for name in condition.settings:
                    if name not in setting_names:
                        raise ValueError(f"rule {rule.id!r} uses unknown setting {name!r}")
        asked = {c.question for r in self.rules if isinstance(c := r.condition, AnswerCondition)}
        unread = question_ids - asked
        if unread:
            raise ValueError(f"questions no rule reads: {', '.join(sorted(unread))}")
        return self

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def setting(self, name: str) -> SettingDef:
        return next(s for s in self.settings if s.name == name)

    def defaults(self) -> dict[str, int]:
        return {s.name: s.default for s in self.settings}
