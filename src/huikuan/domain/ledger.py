"""Ledger vocabulary and values: customers, invoices, payments, promises, disputes, activities.

States are ``StrEnum``s whose values are the stable codes used in files, JSON and the database;
their Chinese and English names live in ``glossary.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import groupby
from typing import NewType

from .calendar import WorkCalendar, add_workdays
from .errors import CalendarUnknown

CustomerId = NewType("CustomerId", int)
InvoiceId = NewType("InvoiceId", int)


class CustomerType(StrEnum):
    DEALER = "dealer"
    ENTERPRISE = "enterprise"
    GOVERNMENT = "government"
    EXPORT = "export"
    STUDENT = "student"
    CARDHOLDER = "cardholder"

    @property
    def is_consumer(self) -> bool:
        """Consumers get the stricter contact rules (quiet hours, caps)."""
        return self in (CustomerType.STUDENT, CustomerType.CARDHOLDER)


class CreditStatus(StrEnum):
    NORMAL = "normal"
    SUSPENDED = "suspended"  # sales told to stop credit sales (notice)
    STOPPED = "stopped"  # credit trading stopped (approved)
    BLACKLISTED = "blacklisted"  # disqualified, cash only (approved)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    VISIT = "visit"


class ActionKind(StrEnum):
    REMINDER = "reminder"
    CALL = "call"
    VISIT = "visit"
    ESCALATE = "escalate"
    STATEMENT = "statement"
    CREDIT_SUSPEND = "credit_suspend"
    CREDIT_RESUME = "credit_resume"  # a suspension lifted once the overdue money is paid (a notice)
    CREDIT_STOP = "credit_stop"
    LIMIT_CUT = "limit_cut"
    BLACKLIST = "blacklist"
    SHIPMENT_LOCK = "shipment_lock"
    LETTER = "letter"


class Role(StrEnum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    CREDIT_SUPERVISOR = "credit_supervisor"
    CREDIT_MANAGER = "credit_manager"
    SALES = "sales"
    SALES_MANAGER = "sales_manager"
    MANAGER = "manager"
    GM = "gm"
    OWNER = "owner"
    FINANCE = "finance"
    ADMIN = "admin"  # users, policies, settings; edits no customer's money
    AUDITOR = "auditor"  # reads everything and the audit log; changes nothing


class LetterKind(StrEnum):
    DUNNING = "dunning"  # 催款函
    CONFIRMATION = "confirmation"  # 对账函
    LAWYER = "lawyer"  # 律师函


class ActionStatus(StrEnum):
    OPEN = "open"  # a task on a worklist, or a proposal awaiting approval
    DONE = "done"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class RiskGrade(StrEnum):
    NOT_DUE = "not_due"  # 未收款
    IN_COLLECTION = "in_collection"  # 催收款
    DOUBTFUL = "doubtful"  # 准呆账
    BAD = "bad"  # 呆账
    LOST = "lost"  # 死账


class ContactRole(StrEnum):
    FINANCE = "finance"
    SIGNATORY = "signatory"
    PURCHASING = "purchasing"
    OWNER = "owner"
    LEGAL_REP = "legal_rep"
    OTHER = "other"


class Excuse(StrEnum):
    """The excuse catalogue of the BRIEF (借口)."""

    PAYER_AWAY = "payer_away"
    NO_MONEY = "no_money"
    NOT_DUE = "not_due"
    GOODS_UNSOLD = "goods_unsold"
    BUYERS_UNPAID = "buyers_unpaid"
    QUALITY = "quality"
    DOCUMENTS_MISSING = "documents_missing"
    STATEMENT_MISMATCH = "statement_mismatch"
    BOSS_TRAVELLING = "boss_travelling"
    IN_APPROVAL = "in_approval"
    OTHER = "other"


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    PROMISED = "promised"
    REFUSED = "refused"
    DISPUTED = "disputed"
    PAID = "paid"
    LEFT_MESSAGE = "left_message"
    SENT = "sent"


class DisputeCategory(StrEnum):
    QUALITY = "quality"
    SHORT_DELIVERY = "short_delivery"
    DAMAGED = "damaged"
    DOCUMENTS_MISSING = "documents_missing"
    REBATE_OWED = "rebate_owed"
    PROMOTION_OWED = "promotion_owed"
    PRICING = "pricing"
    OTHER = "other"


class BillChannel(StrEnum):
    """How the invoice reached the customer: 电子发票/电子账单 or on paper (纸质). Known at issue; a customer's
    electronic invoices are typically paid faster than their paper ones (docs/model.md)."""

    ELECTRONIC = "electronic"
    PAPER = "paper"


class PaymentMethod(StrEnum):
    TRANSFER = "transfer"
    CASH = "cash"
    ACCEPTANCE_BILL = "acceptance_bill"  # 承兑汇票
    CHEQUE = "cheque"
    OTHER = "other"


class PromiseState(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice with money still open, as the allocator and the daily run see it."""

    invoice_id: int
    number: str
    due_on: date
    open_minor: int
    disputed_minor: int = 0

    @property
    def collectable_minor(self) -> int:
        return max(0, self.open_minor - self.disputed_minor)


class ClosedBecause(StrEnum):
    """Why a task closed itself: the money it chases is no longer collectable."""

    PAID = "paid"  # paid, credited or written off: nothing of its invoices is open (已回款)
    DISPUTED = "disputed"  # what is still open is all in dispute (已争议)


def settled_reason(invoices: Iterable[str], collectable: Mapping[str, int]) -> ClosedBecause | None:
    """Why a task about ``invoices`` has nothing left to chase, or None while some of it is collectable.

    ``collectable`` maps the number of every invoice with money still open to its collectable
    (open − disputed) amount; an invoice missing from it has nothing open. A task naming no
    invoice (a statement, a resumption proposal, a broken promise) is never settled this way.
    """
    names = list(invoices)
    if not names or any(collectable.get(n, 0) > 0 for n in names):
        return None
    return ClosedBecause.PAID if all(n not in collectable for n in names) else ClosedBecause.DISPUTED


@dataclass(frozen=True, slots=True)
class PromiseFacts:
    promise_id: int
    amount_minor: int
    promised_on: date
    made_on: date
    paid_since_minor: int  # payments received from made_on onward


def promise_state(p: PromiseFacts, today: date, tolerance_deadline: date) -> PromiseState:
    """Kept when the promised amount arrived; broken once the tolerance deadline has passed without it."""
    if p.paid_since_minor >= p.amount_minor:
        return PromiseState.KEPT
    if today <= tolerance_deadline:
        return PromiseState.OPEN
    return PromiseState.PARTLY_KEPT if p.paid_since_minor > 0 else PromiseState.BROKEN


def judge_promises(promises: Iterable[PromiseFacts], today: date, tolerance: int,
                   cal: WorkCalendar) -> list[tuple[PromiseFacts, PromiseState, date]]:
    """Each promise's state and tolerance deadline, in (made_on, promised_on, id) order.

    Instalments made the same day are judged cumulatively: the second part is kept only when both
    parts' money has arrived. The deadline is the promised date plus ``tolerance`` working days; for a
    date in a year without calendar data it is taken as today, so the promise is not broken on a guess.
    """
    out: list[tuple[PromiseFacts, PromiseState, date]] = []
    ordered = sorted(promises, key=lambda p: (p.made_on, p.promised_on, p.promise_id))
    for _, group in groupby(ordered, key=lambda p: p.made_on):
        cumulative = 0
        for p in group:
            cumulative += p.amount_minor
            deadline = p.promised_on
            if p.promised_on < today:
                try:
                    deadline = add_workdays(cal, p.promised_on, tolerance)
                except CalendarUnknown:
                    deadline = today
            whole = PromiseFacts(p.promise_id, cumulative, p.promised_on, p.made_on, p.paid_since_minor)
            out.append((p, promise_state(whole, today, deadline), deadline))
    return out


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    at: datetime
    channel: Channel
    outcome: str
    excuse: str | None
    note: str | None
