"""The policy model: ladders of rules as frozen data.

A policy has settings, risk-grade thresholds and five ladders. Each ladder yields at most one
action per customer per day (the most severe matching rule — the last in file order — wins):

- ``dunning``    contacting: pre-due reminders, overdue calls, escalations of who chases
- ``measures``   shipment lock and the letters (催款函, 对账函, 律师函), each needing approval
- ``credit``     the credit ladder: payment notice, suspend credit sales, stop credit, blacklist,
                 and the limit cut when a stopped customer has paid
- ``statement``  the monthly 对账 cycle
- ``promise``    what a broken promise to pay sets off
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from ..credit import CreditCheckRules
from ..debtor import DebtorRules
from ..ledger import ActionKind, Channel, LetterKind, RiskGrade, Role
from ..warnings import WarningRules

if TYPE_CHECKING:  # the facts type lives with decide; only annotations need it here
    from .decide import AccountFacts


class Ladder(StrEnum):
    DUNNING = "dunning"
    MEASURES = "measures"
    CREDIT = "credit"
    STATEMENT = "statement"
    PROMISE = "promise"


class StatementState(StrEnum):
    """Where this period's 对账 statement stands."""

    UNPREPARED = "unprepared"
    PREPARED = "prepared"  # waiting for the supervisor's check
    CHECKED = "checked"  # checked, not yet sent to the customer
    SENT = "sent"  # waiting for the customer's confirmation
    CONFIRMED = "confirmed"


Range = tuple[int, int | None]  # inclusive; None = no upper bound


@dataclass(frozen=True, slots=True)
class Conditions:
    """All present conditions must hold (AND); a missing one does not constrain."""

    days_past_due: Range | None = None
    working_days_past_due: Range | None = None
    days_to_due: Range | None = None
    working_days_to_due: Range | None = None
    has_overdue: bool | None = None
    broken_promises: Range | None = None
    promise_broken: bool | None = None
    customer_types: tuple[str, ...] | None = None
    credit_status: tuple[str, ...] | None = None
    min_overdue_minor: int | None = None
    statement: tuple[StatementState, ...] | None = None
    day_of_month: Range | None = None
    days_since_statement_sent: Range | None = None


Check = Callable[["AccountFacts", "int | None", date], bool]


def _in(r: Range | None, v: int | None) -> bool:
    if r is None:
        return True
    if v is None:
        return False
    lo, hi = r
    return v >= lo and (hi is None or v <= hi)


def compile_conditions(c: Conditions) -> tuple[Check, ...]:
    """The conditions a rule actually sets, as tests: a rule with one condition costs one test."""
    out: list[Check] = []

    def rng(r: Range | None, get: Callable[[AccountFacts, int | None, date], int | None]) -> None:
        if r is not None:
            out.append(lambda f, d, t: _in(r, get(f, d, t)))

    rng(c.days_past_due, lambda f, d, t: d)
    rng(c.working_days_past_due, lambda f, d, t: f.working_days_past_due if d is not None else None)
    rng(c.days_to_due, lambda f, d, t: f.days_to_due if not f.overdue else None)
    rng(c.working_days_to_due, lambda f, d, t: f.working_days_to_due if not f.overdue else None)
    rng(c.broken_promises, lambda f, d, t: f.broken_promises)
    rng(c.day_of_month, lambda f, d, t: t.day)
    rng(c.days_since_statement_sent, lambda f, d, t: f.days_since_statement_sent)
    if c.has_overdue is not None:
        want = c.has_overdue
        out.append(lambda f, d, t: want == bool(f.overdue))
    if c.promise_broken is not None:
        want_broken = c.promise_broken
        out.append(lambda f, d, t: want_broken == (f.broken_promise is not None))
    if c.customer_types is not None:
        types = c.customer_types
        out.append(lambda f, d, t: f.customer_type in types)
    if c.credit_status is not None:
        statuses = c.credit_status
        out.append(lambda f, d, t: f.credit_status in statuses)
    if c.min_overdue_minor is not None:
        least = c.min_overdue_minor
        out.append(lambda f, d, t: f.overdue_minor >= least)
    if c.statement is not None:
        states = c.statement
        out.append(lambda f, d, t: f.statement is not None and f.statement in states)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Entry:
    """What the first action of a stage in an episode is (e.g. an escalation task)."""

    kind: ActionKind
    assignee: Role


@dataclass(frozen=True, slots=True)
class Then:
    stage: str
    kind: ActionKind
    assignee: Role
    channels: tuple[Channel, ...] = ()
    every_working_days: int | None = None  # repeat cadence; None with once=False means every working day
    once: bool = False  # once per episode (anchor)
    on_entry: Entry | None = None
    needs_approval: bool = False
    letter: LetterKind | None = None
    limit_cut_percent: int | None = None
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    ladder: Ladder
    when: Conditions
    then: Then


@dataclass(frozen=True, slots=True)
class GradeThresholds:
    """Calendar days past due at which the money owed moves into each risk grade (seed 001 §17)."""

    in_collection: int = 1
    doubtful: int = 16
    bad: int = 30
    lost: int = 365
    broken_promises_bump: int = 2  # this many broken promises raise the grade one step

    def grade(self, days_past_due: int | None, broken_promises: int = 0) -> RiskGrade:
        order = [RiskGrade.NOT_DUE, RiskGrade.IN_COLLECTION, RiskGrade.DOUBTFUL, RiskGrade.BAD, RiskGrade.LOST]
        d = days_past_due if days_past_due is not None else 0
        i = 0
        for n, threshold in enumerate((self.in_collection, self.doubtful, self.bad, self.lost), start=1):
            if d >= threshold:
                i = n
        if i >= 1 and self.broken_promises_bump and broken_promises >= self.broken_promises_bump:
            i = min(i + 1, len(order) - 1)
        return order[i]


@dataclass(frozen=True, slots=True)
class Settings:
    month_end_grace_days: int = 10
    grace_applies_to: tuple[Ladder, ...] = (Ladder.CREDIT,)
    promise_tolerance_working_days: int = 2
    paused_by_promise: tuple[Ladder, ...] = (Ladder.DUNNING, Ladder.MEASURES)
    act_on_non_workdays: bool = False
    statement_prepare_by_day: int = 5
    statement_check_by_day: int = 8
    statement_confirm_by_day: int = 20


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    version: str
    name_zh: str
    name_en: str
    settings: Settings = field(default_factory=Settings)
    grades: GradeThresholds = field(default_factory=GradeThresholds)
    rules: tuple[Rule, ...] = ()
    source: str = ""
    credit_check: CreditCheckRules = field(default_factory=CreditCheckRules)
    debtor: DebtorRules = field(default_factory=DebtorRules)
    warnings: WarningRules = field(default_factory=WarningRules)
    by_ladder: dict[Ladder, tuple[Rule, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)
    checks: dict[str, tuple[Check, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        # Decided 10⁵ times a run: group the rules and compile their conditions once, here.
        object.__setattr__(self, "by_ladder", {lad: tuple(r for r in self.rules if r.ladder is lad) for lad in Ladder})
        object.__setattr__(self, "checks", {r.id: compile_conditions(r.when) for r in self.rules})

    def ladder(self, ladder: Ladder) -> tuple[Rule, ...]:
        return self.by_ladder[ladder]
