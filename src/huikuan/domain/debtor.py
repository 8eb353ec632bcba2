"""Kinds of debtor (seed 004) read from the record alone, with the evidence, and the levers to pull.

``classify(facts, rules)`` walks the policy's ``[[debtor_kind]]`` rules in file order; the first whose
conditions all hold names the kind, and the facts those conditions looked at are its evidence. A
customer in arrears that no rule fits is ``not_enough_evidence``; one not in arrears is not classified.

- 恶意欠款 deliberate: warm at first → promises → delays → silence. Act fast, gather evidence.
- 技术性欠款 technical: a good payer hit by a shock, apologetic, pays in parts → instalments.
- 竞争性欠款 competitive: can pay, pays whoever presses hardest → be firm, early, first in line.
- 原由性欠款 grievance: unhappy with our product or service → fix the grievance first.

文收 (soft) or 武收 (hard) is the rule's ``style``, turned hard for any kind but grievance once the
oldest debt is ``hard_after_days`` past due (amount, age and cooperation decide, says the brief).

``levers(kind, grade, table)``: the ``[[lever]]`` entries whose kinds and grades include the
customer's — stop rebates and samples, smaller deliveries, offsets, interest after written notice …
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from .ledger import Excuse, RiskGrade


class DebtorKind(StrEnum):
    DELIBERATE = "deliberate"  # 恶意欠款
    TECHNICAL = "technical"  # 技术性欠款
    COMPETITIVE = "competitive"  # 竞争性欠款
    GRIEVANCE = "grievance"  # 原由性欠款
    NOT_ENOUGH_EVIDENCE = "not_enough_evidence"


class Style(StrEnum):
    SOFT = "soft"  # 文收: help them sell, help them collect from their own buyers
    HARD = "hard"  # 武收: take goods back, sue


class Lever(StrEnum):
    STOP_REBATES = "stop_rebates"  # 停止促销、样品和返利
    PRICE_BY_TERM = "price_by_term"  # 按付款期限定价
    SMALLER_DELIVERIES = "smaller_deliveries"  # 少量多次送货
    STOP_BEST_LINE = "stop_best_line"  # 停供畅销产品
    OFFSET_REBATES = "offset_rebates"  # 以我方应付返利抵欠款
    OVERDUE_INTEREST = "overdue_interest"  # 书面通知后收取逾期利息
    TAKE_BACK_GOODS = "take_back_goods"  # 取回货物
    PRESERVATION = "preservation"  # 诉前财产保全
    HQ_SUES = "hq_sues"  # 总部起诉，分公司维系关系
    FIX_GRIEVANCE = "fix_grievance"  # 先解决争议再收款


HARDSHIP_EXCUSES = frozenset({Excuse.NO_MONEY, Excuse.BUYERS_UNPAID, Excuse.GOODS_UNSOLD})
GRIEVANCE_EXCUSES = frozenset({Excuse.QUALITY, Excuse.DOCUMENTS_MISSING, Excuse.STATEMENT_MISMATCH})
STALLING_EXCUSES = frozenset({Excuse.PAYER_AWAY, Excuse.BOSS_TRAVELLING, Excuse.IN_APPROVAL, Excuse.NOT_DUE})


@dataclass(frozen=True, slots=True)
class DebtorFacts:
    """What the record says about a customer's paying, over the policy's look-back window."""

    days_past_due: int = 0  # of the oldest collectable overdue money (0: not in arrears)
    overdue_minor: int = 0
    promises_kept: int = 0
    broken_promises: int = 0  # broken or partly kept
    contacts: int = 0
    unanswered: int = 0  # contacts that reached nobody (no answer, message left)
    silent_streak: int = 0  # the latest contacts in a row that reached nobody
    hardship_excuses: int = 0  # no money, our buyers have not paid, goods unsold
    grievance_excuses: int = 0  # quality, documents missing, statement mismatch
    stalling_excuses: int = 0  # payer away, boss travelling, in approval, not due
    open_disputes: int = 0
    disputes: int = 0
    payments: int = 0
    part_payments: int = 0  # invoices paid in parts (a payment that left the invoice open)
    paid_after_pressure_pct: int = 0  # payments within 3 days of a contact, percent of payments
    on_time_pct: int | None = None  # invoices paid by their due date in the year before, percent


FACT_KEYS = tuple(f.name for f in fields(DebtorFacts))


Range = tuple[int, int | None]


@dataclass(frozen=True, slots=True)
class KindRule:
    id: str
    kind: DebtorKind
    style: Style
    when: tuple[tuple[str, Range], ...]  # fact → inclusive range; all must hold


@dataclass(frozen=True, slots=True)
class LeverRule:
    lever: Lever
    kinds: tuple[DebtorKind, ...]
    grades: tuple[RiskGrade, ...]


@dataclass(frozen=True, slots=True)
class DebtorRules:
    kinds: tuple[KindRule, ...] = ()
    levers: tuple[LeverRule, ...] = ()
    hard_after_days: int = 90


@dataclass(frozen=True, slots=True)
class Classification:
    kind: DebtorKind
    style: Style
    rule_id: str | None
    evidence: tuple[tuple[str, int], ...]  # (fact, value) the deciding rule looked at, then the context


def _holds(r: Range, v: int | None) -> bool:
    if v is None:
        return False
    lo, hi = r
    return v >= lo and (hi is None or v <= hi)


CONTEXT = ("days_past_due", "promises_kept", "broken_promises", "contacts", "unanswered", "part_payments",
           "open_disputes")


def classify(f: DebtorFacts, rules: DebtorRules) -> Classification | None:
    """The debtor kind of a customer in arrears (None when nothing is overdue)."""
    if f.overdue_minor <= 0:
        return None
    for rule in rules.kinds:
        if all(_holds(r, getattr(f, key)) for key, r in rule.when):
            looked = [k for k, _ in rule.when]
            evidence = [(k, getattr(f, k)) for k in looked] + [(k, getattr(f, k)) for k in CONTEXT if k not in looked]
            style = rule.style
            if rule.kind is not DebtorKind.GRIEVANCE and f.days_past_due >= rules.hard_after_days:
                style = Style.HARD
            return Classification(rule.kind, style, rule.id, tuple(evidence))
    style = Style.HARD if f.days_past_due >= rules.hard_after_days else Style.SOFT
    return Classification(DebtorKind.NOT_ENOUGH_EVIDENCE, style, None,
                          tuple((k, getattr(f, k)) for k in CONTEXT))


def levers(kind: DebtorKind, grade: RiskGrade, rules: DebtorRules) -> tuple[Lever, ...]:
    return tuple(r.lever for r in rules.levers if kind in r.kinds and grade in r.grades)
