"""The safety engine: rules (data) over facts (answers, sessions, clearances) give a verdict.

Pure: no I/O, no clock of its own (``facts.now``). The verdict lists every rule that fired
and why; its tier is the highest of theirs. "I'm not sure" counts as "yes": an unsure
red-flag answer escalates rather than passes.

Clearing: a "see a doctor" or "emergency" verdict stays until a clinician clears it or the
person confirms they have seen a doctor about it. A clearance of a rule covers the facts
that made it fire at the time: a session-pattern rule then counts only sessions after the
clearance; an answer rule stays quiet while the answer keeps its value, and fires again if
the answer goes back to "no" and later returns to "yes" or "not sure".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from nerveglide.content.safety_rules import (
    TIER_ORDER,
    Answer,
    AnswerCondition,
    CountCondition,
    Rule,
    RuleSet,
    SessionCondition,
    Tier,
)

ESCALATING: frozenset[str] = frozenset({"yes", "unsure"})
BLOCKING: frozenset[str] = frozenset({"see_doctor", "emergency"})


@dataclass(frozen=True)
class ScreeningAnswer:
    question_id: str
    answer: Answer
    answered_at: datetime


@dataclass(frozen=True)
class SessionFacts:
    """What the rules read of one finished (or stopped) session."""

    session_id: str
    started_at: datetime
    stopped_hurt: bool = False
    pain_before_back: int | None = None
    pain_before_leg: int | None = None
    pain_after_back: int | None = None
    pain_after_leg: int | None = None
    felt_worse: bool | None = None
    spread: bool | None = None

    @property
    def worse_after(self) -> bool | None:
        """Back or leg pain after the session higher than before it; None when not asked."""
        pairs = [
            (self.pain_before_back, self.pain_after_back),
            (self.pain_before_leg, self.pain_after_leg),
        ]
        known = [(b, a) for b, a in pairs if b is not None and a is not None]
        if not known:
            return None
        return any(after > before for before, after in known)


@dataclass(frozen=True)
class DiaryFacts:
    """One day's diary, as the rules read it."""

    entry_date: date
    leg_pain: int


@dataclass(frozen=True)
class Clearance:
    rule_id: str
    cleared_at: datetime
    by: str  # "person" (saw a doctor) or "clinician"


@dataclass(frozen=True)
class SafetyFacts:
    now: datetime
    answers: Sequence[ScreeningAnswer] = ()
    sessions: Sequence[SessionFacts] = ()
    clearances: Sequence[Clearance] = ()
    settings: Mapping[str, int] = field(default_factory=dict)
    diary: Sequence[DiaryFacts] = ()


@dataclass(frozen=True)
class Fired:
    rule_id: str
    version: int
    tier: Tier
    title: str
    message: str
    why: str


@dataclass(frozen=True)
class Verdict:
    tier: Tier
    fired: tuple[Fired, ...]
    cleared: tuple[Fired, ...]
    rules_version: str

    @property
    def blocks_sessions(self) -> bool:
        return self.tier in BLOCKING

    @property
    def emergency(self) -> bool:
        return self.tier == "emergency"


def tier_max(tiers: Sequence[str]) -> Tier:
    best: Tier = "ok"
    for tier in tiers:
        if TIER_ORDER[tier] > TIER_ORDER[best]:
            best = tier  # type: ignore[assignment]
    return best


def _setting(rules: RuleSet, facts: SafetyFacts, name: str) -> int:
    return _setting_of(rules, facts.settings, name)


def _setting_of(rules: RuleSet, settings: Mapping[str, int], name: str) -> int:
    value = settings.get(name)
    return rules.setting(name).default if value is None else value


def _latest_clearance(facts: SafetyFacts, rule_id: str) -> datetime | None:
    times = [c.cleared_at for c in facts.clearances if c.rule_id == rule_id]
    return max(times) if times else None


def _answer_fires(
    rules: RuleSet, rule: Rule, condition: AnswerCondition, facts: SafetyFacts
) -> tuple[str | None, bool]:
    """(why it fires or None, whether a clearance silences it)."""
    history = sorted(
        (a for a in facts.answers if a.question_id == condition.question),
        key=lambda a: a.answered_at,
    )
    if not history or history[-1].answer not in ESCALATING:
        return None, False
    latest = history[-1]
    # The start of the unbroken run of escalating answers that ends with the latest one.
    run_start = latest.answered_at
    for answer in reversed(history):
        if answer.answer not in ESCALATING:
            break
        run_start = answer.answered_at
    said = "yes" if latest.answer == "yes" else "I'm not sure"
    why = (
        f'You answered "{said}" to: {rules.question(condition.question).text} '
        f"({latest.answered_at:%d %b %Y %H:%M} UTC)"
    )
    cleared_at = _latest_clearance(facts, rule.id)
    return why, cleared_at is not None and cleared_at >= run_start


def _after(sessions: Sequence[SessionFacts], since: datetime | None) -> list[SessionFacts]:
    ordered = sorted(sessions, key=lambda s: s.started_at)
    return [s for s in ordered if since is None or s.started_at > since]


def _count_fires(
    rules: RuleSet, rule: Rule, condition: CountCondition, facts: SafetyFacts
) -> tuple[str | None, bool]:
    cleared_at = _latest_clearance(facts, rule.id)
    all_sessions = _after(facts.sessions, None)
    counted = _after(facts.sessions, cleared_at)
    why = _count_why(rules, condition, facts, counted)
    if why is not None:
        return why, False
    # Silenced by a clearance when the whole history (clearance ignored) would fire.
    return None, cleared_at is not None and _count_why(
        rules, condition, facts, all_sessions
    ) is not None


def _last_n_all(
    sessions: list[SessionFacts], n: int, answer: Callable[[SessionFacts], bool | None]
) -> bool:
    """The last ``n`` sessions where the question was answered all answered yes."""
    asked = [s for s in sessions if answer(s) is not None]
    tail = asked[-n:]
    return len(tail) == n and all(answer(s) for s in tail)


def _count_why(
    rules: RuleSet, condition: CountCondition, facts: SafetyFacts, sessions: list[SessionFacts]
) -> str | None:
    if condition.kind == "worse_after":
        n = _setting(rules, facts, "worse_after_sessions")
        if _last_n_all(sessions, n, lambda s: s.worse_after):
            return f"Pain after the session was higher than before it in your last {n} session(s)."
        return None
    if condition.kind == "felt_worse":
        n = _setting(rules, facts, "felt_worse_sessions")
        if _last_n_all(sessions, n, lambda s: s.felt_worse):
            return f'You answered "yes, something felt worse" after your last {n} session(s).'
        return None
    if condition.kind == "hurt_stops":
        count = _setting(rules, facts, "hurt_stops")
        window = _setting(rules, facts, "hurt_window")
        recent = sessions[-window:]
        stops = sum(1 for s in recent if s.stopped_hurt)
        if stops >= count:
            return f"{stops} of your last {len(recent)} session(s) stopped because it hurt."
        return None
    if condition.kind == "diary_trend":
        return _diary_trend(rules, facts, sessions)
    # no_better
    weeks = _setting(rules, facts, "no_better_weeks")
    with_leg = [
        (s.started_at, s.pain_before_leg) for s in sessions if s.pain_before_leg is not None
    ]
    if len(with_leg) < 2:
        return None
    (first_at, first_leg), (last_at, last_leg) = with_leg[0], with_leg[-1]
    if last_at - first_at < timedelta(weeks=weeks):
        return None
    if last_leg >= first_leg:
        return (
            f"Leg pain before your latest session ({last_leg}/10) is no lower than "
            f"before your first ({first_leg}/10), {weeks}+ weeks apart."
        )
    return None


#: The minimal important change of a 0-10 pain rating (Ostelo et al. 2008): 2 points.
NRS_MIC = 2


def _diary_trend(rules: RuleSet, facts: SafetyFacts, sessions: list[SessionFacts]) -> str | None:
    days = _setting(rules, facts, "diary_days")
    since = facts.now.date() - timedelta(days=days - 1)
    window = sorted((d for d in facts.diary if d.entry_date >= since), key=lambda d: d.entry_date)
    if len(window) < 4:
        return None
    if not any(s.started_at.date() >= since for s in sessions):
        return None  # the trend counts only while exercising
    half = len(window) // 2
    earlier = sum(d.leg_pain for d in window[:half]) / half
    later = sum(d.leg_pain for d in window[half:]) / (len(window) - half)
    if later - earlier >= NRS_MIC:
        return (
            f"Average leg pain in your diary rose from {earlier:.1f} to {later:.1f} over the "
            f"last {days} days, while you did the glides."
        )
    return None


def _session_fires(
    rule: Rule, condition: SessionCondition, facts: SafetyFacts
) -> tuple[str | None, bool]:
    sessions = _after(facts.sessions, None)
    if not sessions:
        return None, False
    latest = sessions[-1]
    cleared_at = _latest_clearance(facts, rule.id)
    silenced = cleared_at is not None and latest.started_at <= cleared_at
    if condition.kind == "stopped_hurt" and latest.stopped_hurt:
        return "Your latest session stopped because it hurt.", silenced
    if condition.kind == "spread" and latest.spread:
        return (
            "You said your symptoms spread further down your leg in your latest session.",
            silenced,
        )
    return None, False


def evaluate(rules: RuleSet, facts: SafetyFacts) -> Verdict:
    """Every rule over the facts; the verdict's tier is the highest that fired."""
    fired: list[Fired] = []
    cleared: list[Fired] = []
    for rule in rules.rules:
        condition = rule.condition
        if isinstance(condition, AnswerCondition):
            why, silenced = _answer_fires(rules, rule, condition, facts)
        elif isinstance(condition, CountCondition):
            why, silenced = _count_fires(rules, rule, condition, facts)
        else:
            why, silenced = _session_fires(rule, condition, facts)
        if why is None and not silenced:
            continue
        entry = Fired(
            rule.id, rule.version, rule.tier, rule.title, rule.message, why or "cleared earlier"
        )
        (cleared if silenced else fired).append(entry)
    return Verdict(
        tier=tier_max([f.tier for f in fired]),
        fired=tuple(fired),
        cleared=tuple(cleared),
        rules_version=rules.version,
    )


@dataclass(frozen=True)
class SessionReach:
    """How far back into a person's ended sessions the rules look, so that reading only
    these gives the same verdict as reading them all: the latest ``latest`` sessions
    ("stopped because it hurt" in the window, the latest session's rules, the diary
    trend's "while exercising"); the latest ``worse_after`` whose pain was asked before
    and after, and the latest ``felt_worse`` whose "felt worse" was answered (the "in a
    row" rules); and, for "no better", the first and the latest with leg pain before,
    overall and after each clearance. None: every session."""

    latest: int | None
    worse_after: int | None
    felt_worse: int | None


def session_reach(rules: RuleSet, settings: Mapping[str, int]) -> SessionReach:
    """The reach of the rules over the sessions of a person with these ``settings`` (as
    :attr:`SafetyFacts.settings`). A count below 1 slices a whole history
    (``sessions[-0:]``), so it reads every session."""

    def count(name: str) -> int | None:
        value = _setting_of(rules, settings, name)
        return None if value < 1 else value

    return SessionReach(
        latest=count("hurt_window"),
        worse_after=count("worse_after_sessions"),
        felt_worse=count("felt_worse_sessions"),
    )


def screening_due(answers: Sequence[ScreeningAnswer], now: datetime, interval_days: int) -> bool:
    """At first use, and when the last screening is older than the interval."""
    if not answers:
        return True
    last = max(a.answered_at for a in answers)
    return now - last >= timedelta(days=interval_days)
