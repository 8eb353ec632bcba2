"""Credit control at the order desk: "may we ship this order?" — pure rules, no I/O.

``check_credit(facts, amount_minor, rules)`` answers one ``Decision`` with every ``Reason`` that
applied. Each rule is a policy setting (``[credit_check]`` in a policy file, ``CreditCheckRules``
here) whose value is the decision it gives; ``allow`` switches a rule off. The seed defaults
(seed 002, credit-management chapter and the order-desk rules):

=====================  =======================================================  ==========
rule (setting)         when                                                     default
=====================  =======================================================  ==========
``suspended``          credit status suspended (sales told to suspend credit)   hold
``stopped``            credit status stopped (credit trading stopped, 呆账)      cash_only
``blacklisted``        blacklisted (disqualified, cash only)                    block
``shipment_locked``    shipments locked in the system (owner's approval)        block
``over_limit``         exposure + this order's amount above the credit limit    hold
``overdue_delivery``   前款不结后货不送: an earlier delivery unpaid past its due  hold
``deliver_two``        送二结一 customer: unpaid deliveries, counting this order,
                       would exceed ``max_unpaid_deliveries`` (default 1)        hold
``cash_terms``         the customer's terms are 现款 (cash): nothing on credit   cash_only
=====================  =======================================================  ==========

The decision is the most severe one among the reasons (allow < hold < cash_only < block). A
``hold`` needs an approval: an approved ``Override`` for this order (the amount checked not above the
amount approved) turns a decision of ``hold`` — and only ``hold`` — into ``allow``, naming it.

Exposure is what the customer owes us or will owe us: open receivables + delivered but not yet
invoiced + open orders (not the one being checked) + commercial acceptance bills not yet matured
(a bank acceptance counts as paid; a commercial one is only the customer's promise until it matures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .errors import InvalidInput
from .ledger import CreditStatus, PaymentMethod, Role
from .terms import Cash, DayOfMonth, MonthEnd, NetDays, Terms


class Decision(StrEnum):
    ALLOW = "allow"
    HOLD = "hold"  # needs an approval (override) before it ships on credit
    CASH_ONLY = "cash_only"  # ship only against cash
    BLOCK = "block"  # do not ship

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Decision.ALLOW: 0, Decision.HOLD: 1, Decision.CASH_ONLY: 2, Decision.BLOCK: 3}


class ReasonCode(StrEnum):
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    BLACKLISTED = "blacklisted"
    SHIPMENT_LOCKED = "shipment_locked"
    OVER_LIMIT = "over_limit"
    OVERDUE_DELIVERY = "overdue_delivery"
    DELIVER_TWO = "deliver_two"
    CASH_TERMS = "cash_terms"
    OVERRIDE = "override"


RULE_KEYS = ("suspended", "stopped", "blacklisted", "shipment_locked", "over_limit", "overdue_delivery",
             "deliver_two", "cash_terms")


@dataclass(frozen=True, slots=True)
class CreditCheckRules:
    """What each order-desk rule decides (``allow`` = the rule is off). Defaults: the seeds'."""

    suspended: Decision = Decision.HOLD
    stopped: Decision = Decision.CASH_ONLY
    blacklisted: Decision = Decision.BLOCK
    shipment_locked: Decision = Decision.BLOCK
    over_limit: Decision = Decision.HOLD
    overdue_delivery: Decision = Decision.HOLD
    deliver_two: Decision = Decision.HOLD
    cash_terms: Decision = Decision.CASH_ONLY
    max_unpaid_deliveries: int = 1  # 送二结一: unpaid deliveries allowed, counting the one being ordered
    overdue_delivery_grace_days: int = 0  # days past due before an unpaid delivery stops the next one


@dataclass(frozen=True, slots=True)
class UnpaidDelivery:
    """A delivery (or the invoice that bills it) with collectable money still open."""

    number: str
    due_on: date
    open_minor: int


@dataclass(frozen=True, slots=True)
class Exposure:
    open_ar_minor: int = 0
    unbilled_deliveries_minor: int = 0
    open_orders_minor: int = 0
    unmatured_commercial_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.open_ar_minor + self.unbilled_deliveries_minor + self.open_orders_minor + \
            self.unmatured_commercial_minor


@dataclass(frozen=True, slots=True)
class Override:
    """An approved exception for one order (who asked, who approved, why, up to which amount)."""

    id: int
    order_number: str
    amount_minor: int
    requested_by: str
    approved_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class CreditFacts:
    credit_status: CreditStatus
    shipment_locked: bool
    deliver_two_settle_one: bool
    cash_terms: bool
    limit_minor: int
    exposure: Exposure
    unpaid: tuple[UnpaidDelivery, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    decision: Decision
    params: tuple[tuple[str, str | int], ...] = ()

    def param_dict(self) -> dict[str, str | int]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class CreditDecision:
    decision: Decision
    reasons: tuple[Reason, ...]
    exposure_minor: int
    limit_minor: int
    available_minor: int
    override: Override | None = None


_STATUS_RULE = {
    CreditStatus.SUSPENDED: (ReasonCode.SUSPENDED, "suspended"),
    CreditStatus.STOPPED: (ReasonCode.STOPPED, "stopped"),
    CreditStatus.BLACKLISTED: (ReasonCode.BLACKLISTED, "blacklisted"),
}


def check_credit(facts: CreditFacts, amount_minor: int, rules: CreditCheckRules, today: date,
                 override: Override | None = None) -> CreditDecision:
    """The order desk's answer for an order of ``amount_minor`` on credit (amount > 0)."""
    found: list[Reason] = []

    def add(code: ReasonCode, decision: Decision, **params: str | int) -> None:
        if decision is not Decision.ALLOW:
            found.append(Reason(code, decision, tuple(sorted(params.items()))))

    if facts.credit_status in _STATUS_RULE:
        code, key = _STATUS_RULE[facts.credit_status]
        add(code, getattr(rules, key))
    if facts.shipment_locked:
        add(ReasonCode.SHIPMENT_LOCKED, rules.shipment_locked)
    if facts.cash_terms:
        add(ReasonCode.CASH_TERMS, rules.cash_terms)
    exposure = facts.exposure.total_minor
    if exposure + amount_minor > facts.limit_minor:
        add(ReasonCode.OVER_LIMIT, rules.over_limit, exposure=exposure, amount=amount_minor,
            limit=facts.limit_minor, excess=exposure + amount_minor - facts.limit_minor)
    overdue = [u for u in facts.unpaid if (today - u.due_on).days > rules.overdue_delivery_grace_days]
    if overdue:
        oldest = min(overdue, key=lambda u: (u.due_on, u.number))
        add(ReasonCode.OVERDUE_DELIVERY, rules.overdue_delivery, count=len(overdue), number=oldest.number,
            days=(today - oldest.due_on).days, open=sum(u.open_minor for u in overdue))
    if facts.deliver_two_settle_one and len(facts.unpaid) + 1 > rules.max_unpaid_deliveries:
        add(ReasonCode.DELIVER_TWO, rules.deliver_two, unpaid=len(facts.unpaid),
            numbers=", ".join(u.number for u in sorted(facts.unpaid, key=lambda u: (u.due_on, u.number))[:5]),
            max=rules.max_unpaid_deliveries)
    decision = max((r.decision for r in found), key=lambda d: d.severity, default=Decision.ALLOW)
    used = None
    if decision is Decision.HOLD and override is not None and amount_minor <= override.amount_minor:
        used = override
        decision = Decision.ALLOW
        found.append(Reason(ReasonCode.OVERRIDE, Decision.ALLOW, (
            ("approved_by", override.approved_by), ("id", override.id), ("reason", override.reason),
            ("requested_by", override.requested_by))))
    return CreditDecision(decision, tuple(found), exposure, facts.limit_minor, facts.limit_minor - exposure, used)


# ── suggested credit limit ────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class LimitRule:
    """How a suggested limit is computed (docs/credit.md, "Suggested limit")."""

    order_cycle_days: int = 30  # one ordering cycle on top of the credit period
    round_to_minor: int = 100_000  # rounded down to whole 1,000 yuan
    # average days late of the invoices paid in the window → percent of the volume-based figure
    behaviour: tuple[tuple[int, int], ...] = ((0, 100), (15, 80), (30, 60), (60, 30))


def term_days(terms: Terms) -> int:
    """The average credit period the terms give, in days (月结: half a month on average, then N)."""
    match terms:
        case Cash():
            return 0
        case NetDays(days):
            return days
        case MonthEnd(days):
            return 15 + days
        case DayOfMonth(day):
            return 15 + day
    return 0


def suggested_limit(monthly_volume_minor: int, term_days: int, avg_days_late: int | None, rule: LimitRule,
                    cash_terms: bool = False, blacklisted: bool = False) -> tuple[int, int]:
    """(suggested limit, behaviour percent): purchase volume × (credit period + one order cycle) ×
    behaviour, rounded down. Cash terms or a blacklisted customer get no credit.

    The behaviour percent is the first band whose days-late bound the average reaches down to (no paid
    history: 100); beyond the last band: 0."""
    if cash_terms or blacklisted or monthly_volume_minor <= 0:
        return 0, 0
    pct = 100
    if avg_days_late is not None:
        pct = 0
        for bound, p in rule.behaviour:
            if avg_days_late <= bound:
                pct = p
                break
    base = monthly_volume_minor * (max(0, term_days) + rule.order_cycle_days) // 30
    raw = base * pct // 100
    return raw - raw % rule.round_to_minor if rule.round_to_minor > 0 else raw, pct


# ── applications and reviews ──────────────────────────────────────────────────────────────────

# Who approves a credit application, by the limit asked for (the amount calls for the role): up to
# ¥100,000 the credit supervisor, up to ¥500,000 the credit manager, above that the general manager.
APPROVAL_BANDS: tuple[tuple[int | None, Role], ...] = (
    (100_000_00, Role.CREDIT_SUPERVISOR), (500_000_00, Role.CREDIT_MANAGER), (None, Role.GM))
ROLE_RANK = {Role.CREDIT_SUPERVISOR: 1, Role.CREDIT_MANAGER: 2, Role.GM: 3, Role.OWNER: 4}


def approver_for(limit_minor: int) -> Role:
    for bound, role in APPROVAL_BANDS:
        if bound is None or limit_minor <= bound:
            return role
    return Role.GM


def may_approve(role: Role, required: Role) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    limit_minor: int
    exposure_minor: int
    monthly_volume_minor: int
    term_days: int
    cash_terms: bool
    blacklisted: bool
    late_before: int | None  # average days late, 90–365 days ago
    late_recent: int | None  # average days late, last 90 days
    late_year: int | None  # average days late, last 365 days


@dataclass(frozen=True, slots=True)
class ReviewLine:
    flags: tuple[str, ...]  # limit_use, over_limit, paying_slower, limit_gap
    use_pct: int | None
    suggested_minor: int
    behaviour_pct: int


def review(f: ReviewFacts, rule: LimitRule, use_pct_flag: int = 80, slower_days: int = 10,
           gap_pct: int = 20) -> ReviewLine:
    """Why a customer is on the periodic review, and the suggested limit."""
    flags: list[str] = []
    use = f.exposure_minor * 100 // f.limit_minor if f.limit_minor > 0 else None
    if use is not None and use > 100:
        flags.append("over_limit")
    elif use is not None and use >= use_pct_flag:
        flags.append("limit_use")
    if f.late_recent is not None and f.late_before is not None and f.late_recent - f.late_before >= slower_days:
        flags.append("paying_slower")
    suggested, pct = suggested_limit(f.monthly_volume_minor, f.term_days, f.late_year, rule, f.cash_terms,
                                     f.blacklisted)
    if abs(suggested - f.limit_minor) * 100 > gap_pct * max(f.limit_minor, 1) and (suggested or f.limit_minor):
        flags.append("limit_gap")
    return ReviewLine(tuple(flags), use, suggested, pct)


# ── acceptance bills (承兑汇票) ───────────────────────────────────────────────────────────────


class BillKind(StrEnum):
    BANK = "bank"  # 银行承兑汇票: the bank pays at maturity — counts as paid
    COMMERCIAL = "commercial"  # 商业承兑汇票: only the customer's promise until it matures

_BILL_ALIASES = {"bank": BillKind.BANK, "银行承兑": BillKind.BANK, "银行承兑汇票": BillKind.BANK, "银承": BillKind.BANK,
                 "commercial": BillKind.COMMERCIAL, "商业承兑": BillKind.COMMERCIAL,
                 "商业承兑汇票": BillKind.COMMERCIAL, "商承": BillKind.COMMERCIAL}


def parse_bill_kind(text: str) -> BillKind:
    found = _BILL_ALIASES.get(text.strip().lower())
    if found is None:
        raise InvalidInput("bill_kind.invalid", value=text)
    return found


def check_bill(method: PaymentMethod, kind: str | None, matures_on: date | None) -> str | None:
    """The bill kind to store: only an acceptance bill has one (bank when not said); a commercial
    acceptance needs its maturity date (without it the exposure could never end)."""
    if method is not PaymentMethod.ACCEPTANCE_BILL:
        if kind:
            raise InvalidInput("bill_kind.not_a_bill", value=kind)
        return None
    bk = parse_bill_kind(kind) if kind else BillKind.BANK
    if bk is BillKind.COMMERCIAL and matures_on is None:
        raise InvalidInput("bill_kind.needs_maturity")
    return bk.value
