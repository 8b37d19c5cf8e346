"""The shape of nerveglide's teaching content, as pydantic models.

Every item a person reads (a step, a dose, a variant, a safety rule, a fact about the
nerve) is an :class:`Item` with an id, its text and at least one :class:`Citation`. A
citation names a source from ``sources.yaml``: one of the two seed articles by file
name, or a published source for what the seeds don't say.

Joint angles follow one convention everywhere (content, animation, motion coach):

``knee_flexion``
    0 = straight knee; larger = more bent.
``hip_flexion``
    angle between the trunk line and the thigh; sitting upright with the thigh level is
    about 90; + thigh in front of the trunk.
``ankle_dorsiflexion``
    0 = foot at a right angle to the shin; + toes pulled up towards the shin.
``trunk_lean``
    trunk line from vertical; + backwards; lying on the back is about 90.
``neck_flexion``
    head line against the trunk line; + chin towards the chest.

An angle that no source states is ``illustrative``: it draws the animation and gives the
player a shape to follow, and it is never a target. A bare number in a data file is an
illustrative angle; a sourced angle is written out with its citation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

SEED_000 = "000_6495609e9fc1b398.txt"
SEED_002 = "002_4a1ddf92e697c287.txt"
SEED_FILES: tuple[str, ...] = (SEED_000, SEED_002)

ExerciseId = Literal["supine-nerve-glide", "seated-leg-raise", "seated-leg-kick"]
EXERCISE_IDS: tuple[str, ...] = ("supine-nerve-glide", "seated-leg-raise", "seated-leg-kick")

ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

PhaseKind = Literal["start", "move", "hold", "return", "rest"]
JointName = Literal[
    "trunk_lean", "neck_flexion", "hip_flexion", "knee_flexion", "ankle_dorsiflexion"
]
Side = Literal["left", "right"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """A document the content rests on. A seed is shown by its file name (its ``id``);
    a published source by ``short`` (author and year), else its title."""

    id: Text
    kind: Literal["seed", "guideline", "paper", "book", "web"]
    title: Text
    short: str | None = None
    citation: Text
    url: str | None = None
    note: str | None = None


class Citation(_Model):
    """Where an item comes from: a source id, and optionally the words or place in it."""

    source: Text
    quote: str | None = None
    locator: str | None = None


class Item(_Model):
    """One sourced piece of content."""

    id: ItemId
    text: Text
    sources: list[Citation] = Field(min_length=1)


class Section(_Model):
    """A titled group of items on a page."""

    id: ItemId
    title: Text
    items: list[Item] = Field(min_length=1)


class Topic(_Model):
    """A page of teaching text, such as "About sciatica"."""

    id: ItemId
    title: Text
    intro: Item
    sections: list[Section] = Field(min_length=1)


class RootFeature(_Model):
    """One clinical feature of a nerve root (education only)."""

    label: Text
    item: Item


class NerveLevel(_Model):
    """What the sources say about symptoms from one lumbar nerve root."""

    id: Literal["L4", "L5"]
    title: Text
    seed_items: list[Item] = Field(min_length=1)
    features: list[RootFeature] = Field(min_length=1)


class SymptomsByLevel(_Model):
    id: ItemId
    title: Text
    intro: Item
    levels: list[NerveLevel] = Field(min_length=1)
    caveats: list[Item] = Field(min_length=1)


class SafetyRule(Item):
    """A rule that keeps the person safe while gliding."""

    title: Text


class SafetyContent(_Model):
    id: ItemId
    title: Text
    rules: list[SafetyRule] = Field(min_length=1)
    urgent: Section
    notice: Item


class Angle(_Model):
    """A joint angle in degrees; ``source`` angles carry their citations."""

    deg: float = Field(ge=-90, le=180)
    basis: Literal["source", "illustrative"] = "illustrative"
    sources: list[Citation] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number_is_illustrative(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"deg": value, "basis": "illustrative"}
        return value

    @model_validator(mode="after")
    def _sourced_angle_has_citation(self) -> Angle:
        if self.basis == "source" and not self.sources:
            raise ValueError("an angle with basis 'source' needs at least one citation")
        if self.basis == "illustrative" and self.sources:
            raise ValueError("an illustrative angle has no citation; use basis 'source'")
        return self


class LegPose(_Model):
    hip_flexion: Angle
    knee_flexion: Angle
    ankle_dorsiflexion: Angle


class BodyPose(_Model):
    """The whole figure's angles; ``leg`` is the exercising leg."""

    trunk_lean: Angle
    neck_flexion: Angle
    leg: LegPose
    other_leg: LegPose

    def angle(self, joint: JointName, *, other: bool = False) -> float:
        if joint == "trunk_lean":
            return self.trunk_lean.deg
        if joint == "neck_flexion":
            return self.neck_flexion.deg
        leg = self.other_leg if other else self.leg
        value: Angle = getattr(leg, joint)
        return value.deg


class Duration(_Model):
    """How long a phase takes. No source gives seconds, so every duration is either
    illustrative (drawing only) or a named setting the person or clinician chooses."""

    seconds: float = Field(gt=0, le=60)
    basis: Literal["illustrative", "setting"] = "illustrative"
    setting: ItemId | None = None

    @model_validator(mode="after")
    def _setting_named(self) -> Duration:
        if self.basis == "setting" and self.setting is None:
            raise ValueError("a duration with basis 'setting' names the setting it comes from")
        return self


class Phase(_Model):
    """One phase of a glide: the figure moves to ``pose`` over ``duration``."""

    id: ItemId
    kind: PhaseKind
    step: ItemId
    cue: Text
    duration: Duration
    pose: BodyPose


class ReferenceMotion(_Model):
    """The glide's movement as data: it drives the animation, the player's pacing and the
    camera coach's comparison."""

    support: Literal["floor", "chair"]
    primary_joint: JointName
    phases: list[Phase] = Field(min_length=2)

    @model_validator(mode="after")
    def _starts_with_start(self) -> ReferenceMotion:
        if self.phases[0].kind != "start":
            raise ValueError("the first phase is the 'start' position")
        ids = [p.id for p in self.phases]
        if len(set(ids)) != len(ids):
            raise ValueError("phase ids repeat")
        return self

    @property
    def cycle_seconds(self) -> float:
        return sum(p.duration.seconds for p in self.phases)


class Dose(Item):
    """A dose as one source gives it. ``None`` means the source gives no number."""

    reps_min: int | None = Field(default=None, ge=1, le=100)
    reps_max: int | None = Field(default=None, ge=1, le=100)
    times_per_day_max: int | None = Field(default=None, ge=1, le=24)
    legs: Literal["one", "affected", "both"] | None = None
    hold: str | None = None

    @model_validator(mode="after")
    def _range_ordered(self) -> Dose:
        if (self.reps_min is None) != (self.reps_max is None):
            raise ValueError("give both reps_min and reps_max, or neither")
        if (
            self.reps_min is not None
            and self.reps_max is not None
            and self.reps_min > self.reps_max
        ):
            raise ValueError("reps_min is larger than reps_max")
        seeds = {c.source for c in self.sources}
        if len(seeds) != 1:
            raise ValueError("a dose is attributed to exactly one source")
        return self

    @property
    def source(self) -> str:
        return self.sources[0].source


class Setting(Item):
    """A value the sources leave open: the person (or their clinician) chooses it.
    ``text`` says why it is a setting; ``demo_value`` only draws the animation."""

    label: Text
    unit: Text
    demo_value: float = Field(gt=0)


class Exercise(_Model):
    id: ExerciseId
    name: Text
    also_called: list[Text] = Field(default_factory=list)
    summary: Item
    steps: list[Item] = Field(min_length=1)
    doses: list[Dose] = Field(default_factory=list)
    variants: list[Item] = Field(default_factory=list)
    feel: list[Item] = Field(default_factory=list)
    tips: list[Item] = Field(default_factory=list)
    safety: list[Item] = Field(default_factory=list)
    safety_rules: list[ItemId] = Field(default_factory=list)
    settings: list[Setting] = Field(default_factory=list)
    reference_motion: ReferenceMotion

    @model_validator(mode="after")
    def _phases_point_at_own_steps(self) -> Exercise:
        step_ids = {s.id for s in self.steps}
        setting_ids = {s.id for s in self.settings}
        for phase in self.reference_motion.phases:
            if phase.step not in step_ids:
                raise ValueError(f"phase {phase.id!r} names step {phase.step!r}, not a step here")
            setting = phase.duration.setting
            if setting is not None and setting not in setting_ids:
                raise ValueError(
                    f"phase {phase.id!r} names setting {setting!r}, not a setting here"
                )
        return self

    def items(self) -> list[Item]:
        return [
            self.summary,
            *self.steps,
            *self.doses,
            *self.variants,
            *self.feel,
            *self.tips,
            *self.safety,
            *self.settings,
        ]


class Library(_Model):
    """All content, validated together (ids unique, every citation resolves)."""

    sources: list[Source]
    about: Topic
    symptoms: SymptomsByLevel
    safety: SafetyContent
    exercises: list[Exercise]

    @model_validator(mode="after")
    def _consistent(self) -> Library:
        source_ids = {s.id for s in self.sources}
        seen: set[str] = set()
        for item in self.items():
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} is used twice")
            seen.add(item.id)
            for citation in item.sources:
                if citation.source not in source_ids:
                    raise ValueError(f"item {item.id!r} cites unknown source {citation.source!r}")
        rule_ids = {r.id for r in self.safety.rules}
        for exercise in self.exercises:
            for rule in exercise.safety_rules:
                if rule not in rule_ids:
                    raise ValueError(f"exercise {exercise.id!r} names unknown safety rule {rule!r}")
            for phase in exercise.reference_motion.phases:
                for angle in _angles(phase.pose):
                    for citation in angle.sources:
                        if citation.source not in source_ids:
                            raise ValueError(
                                f"phase {phase.id!r} cites unknown source {citation.source!r}"
                            )
        ids = [e.id for e in self.exercises]
        if sorted(ids) != sorted(EXERCISE_IDS):
            raise ValueError(f"exercises must be exactly {', '.join(EXERCISE_IDS)}; got {ids}")
        return self

    def items(self) -> list[Item]:
        """Every sourced item, in reading order."""
        out: list[Item] = [self.about.intro]
        for section in self.about.sections:
            out.extend(section.items)
        out.append(self.symptoms.intro)
        for level in self.symptoms.levels:
            out.extend(level.seed_items)
            out.extend(f.item for f in level.features)
        out.extend(self.symptoms.caveats)
        out.extend(self.safety.rules)
        out.extend(self.safety.urgent.items)
        out.append(self.safety.notice)
        for exercise in self.exercises:
            out.extend(exercise.items())
        return out

    def item(self, item_id: str) -> Item:
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def exercises_by_id(self) -> dict[str, Exercise]:
        return {e.id: e for e in self.exercises}

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def label(self, source_id: str) -> str:
        """How an item shows this source: a seed by file name, others by short name."""
        source = self.source(source_id)
        if source.kind == "seed":
            return source.id
        return source.short or source.title

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


def _angles(pose: BodyPose) -> list[Angle]:
    legs = (pose.leg, pose.other_leg)
    return [
        pose.trunk_lean,
        pose.neck_flexion,
        *(a for leg in legs for a in (leg.hip_flexion, leg.knee_flexion, leg.ankle_dorsiflexion)),
    ]
