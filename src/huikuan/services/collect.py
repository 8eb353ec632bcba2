"""Collection use cases: log a contact, record a promise, approve or reject a proposal, mark a task
done, move a 对账 statement along, pause a customer, and the customer's page (``customer_view``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.aging import DEFAULT_BUCKETS, bucket_index
from ..domain.errors import InvalidInput, NotFound, RuleViolation
from ..domain.ledger import (
    ActionKind,
    ActionStatus,
    Channel,
    CreditStatus,
    Excuse,
    Outcome,
    PromiseFacts,
    PromiseState,
    RiskGrade,
    judge_promises,
)
from . import audit
from .policies import load_policies

CONTACT_TASKS = (ActionKind.CALL.value, ActionKind.REMINDER.value, ActionKind.VISIT.value)


def _enum(cls: type, value: str | None, field_name: str) -> Any:
    try:
        return cls(value)
    except ValueError as e:
        raise InvalidInput("input.enum", field=field_name, value=value,
                           allowed=", ".join(m.value for m in cls)) from e  # type: ignore[attr-defined]


def _customer(uow: Any, code: str) -> Any:
    row = uow.customers.by_code(code)
    if row is None:
        raise NotFound("customer.not_found", what="customer", value=code)
    return row


def log_contact(app: Any, customer_code: str, channel: str, outcome: str, *, excuse: str | None = None,
                at: datetime | None = None, note: str | None = None, actor: str | None = None) -> int:
    """Record one contact; it closes the customer's open contact tasks and restarts the cadence."""
    ch = _enum(Channel, channel, "channel")
    out = _enum(Outcome, outcome, "outcome")
    exc = _enum(Excuse, excuse, "excuse") if excuse else None
    at = at or app.clock.now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(app.settings.timezone))
    local_day = at.astimezone(ZoneInfo(app.settings.timezone)).date()
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        aid = uow.customers.add_activity(
            customer_id=cust.id, at=at.astimezone(UTC).replace(tzinfo=None), on=local_day, channel=ch.value,
            outcome=out.value, excuse=exc.value if exc else None, note=note, actor=actor)
        uow.customers.close_tasks(cust.id, local_day, CONTACT_TASKS, actor)
        uow.commit()
    return aid


def record_promise(app: Any, customer_code: str, amount_minor: int, promised_on: date, *, made_on: date | None = None,
                   invoices: tuple[str, ...] | list[str] = (), note: str | None = None,
                   instalment_of: int | None = None) -> int:
    made_on = made_on or app.clock.today()
    if amount_minor <= 0:
        raise InvalidInput("promise.amount", value=amount_minor)
    if promised_on < made_on:
        raise InvalidInput("promise.date_before_made", date=promised_on.isoformat(), made_on=made_on.isoformat())
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        for number in invoices:
            inv = uow.customers.invoice_by_number(number)
            if inv is None or inv.customer_id != cust.id:
                raise NotFound("invoice.not_of_customer", what="invoice", value=number, customer=customer_code)
        pid = uow.customers.add_promise(customer_id=cust.id, amount_minor=amount_minor, currency=cust.currency,
                                        promised_on=promised_on, made_on=made_on, invoices=list(invoices),
                                        note=note, instalment_of=instalment_of)
        uow.commit()
    return pid


def _effect(uow: Any, act: Any) -> None:
    """What an approved proposal changes. Letters are approved here and issued by the letters module."""
    repo = uow.customers
    kind = ActionKind(act.kind)
    if kind is ActionKind.CREDIT_STOP:
        repo.update_customer(act.customer_id, credit_status=CreditStatus.STOPPED.value)
    elif kind is ActionKind.CREDIT_SUSPEND:
        repo.update_customer(act.customer_id, credit_status=CreditStatus.SUSPENDED.value)
    elif kind is ActionKind.CREDIT_RESUME:
        repo.update_customer(act.customer_id, credit_status=CreditStatus.NORMAL.value)
    elif kind is ActionKind.BLACKLIST:
        _limit_change(uow, act, 0, "blacklist")
        repo.update_customer(act.customer_id, credit_status=CreditStatus.BLACKLISTED.value, credit_limit_minor=0,
                             terms="cash")
    elif kind is ActionKind.SHIPMENT_LOCK:
        repo.update_customer(act.customer_id, shipment_locked=True)
    elif kind is ActionKind.LIMIT_CUT:
        _limit_change(uow, act, int(act.amount_minor), "resume_cut")
        repo.update_customer(act.customer_id, credit_status=CreditStatus.NORMAL.value,
                             credit_limit_minor=int(act.amount_minor))


def _limit_change(uow: Any, act: Any, new_minor: int, reason: str) -> None:
    """Every limit change is on record with its reason (the credit history of docs/credit.md)."""
    old = uow.credit.customer_by_id(act.customer_id)
    uow.credit.add_limit_change(customer_id=act.customer_id, changed_on=act.decided_on, old_minor=int(
        old.credit_limit_minor), new_minor=new_minor, reason=reason, note=act.reason_zh, by=act.decided_by,
        ref_id=act.id)


def decide_proposal(app: Any, action_id: int, approve: bool, *, by: str | None = None, note: str | None = None) -> Any:
    with app.uow() as uow:
        act = uow.customers.action(action_id)
        if act is None:
            raise NotFound("action.not_found", what="action", value=action_id)
        if not act.needs_approval:
            raise RuleViolation("action.not_a_proposal", id=action_id)
        if act.status != ActionStatus.OPEN.value:
            raise RuleViolation(f"action.already_{act.status}", id=action_id)
        status = ActionStatus.APPROVED if approve else ActionStatus.REJECTED
        uow.customers.decide_action(action_id, status.value, app.clock.today(), by, note)
        if approve:
            _effect(uow, uow.customers.action(action_id))  # as decided: its day and approver
        uow.commit()
        return uow.customers.action(action_id)


def mark_done(app: Any, action_id: int, *, by: str | None = None, note: str | None = None) -> None:
    with app.uow() as uow:
        act = uow.customers.action(action_id)
        if act is None:
            raise NotFound("action.not_found", what="action", value=action_id)
        if act.needs_approval:
            raise RuleViolation("action.needs_decision", id=action_id)
        if act.status != ActionStatus.OPEN.value:
            raise RuleViolation(f"action.already_{act.status}", id=action_id)
        uow.customers.decide_action(action_id, ActionStatus.DONE.value, app.clock.today(), by, note)
        uow.commit()


STATEMENT_STEPS = ("prepared", "checked", "sent", "confirmed")


def mark_statement(app: Any, customer_code: str, period: str, step: str, on: date | None = None) -> None:
    if step not in STATEMENT_STEPS:
        raise InvalidInput("input.enum", field="step", value=step, allowed=", ".join(STATEMENT_STEPS))
    try:
        datetime.strptime(period, "%Y-%m")
    except ValueError as e:
        raise InvalidInput("statement.period", value=period) from e
    on = on or app.clock.today()
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        existing = uow.collect.statements(period, cust.id).get(cust.id)
        # This step gets today's date; a later step implies the earlier ones, which keep their own
        # dates when already set.
        dates = {f"{s}_on": on for s in STATEMENT_STEPS[: STATEMENT_STEPS.index(step)]
                 if existing is None or getattr(existing, f"{s}_on") is None}
        uow.customers.upsert_statement(cust.id, period, **dates, **{f"{step}_on": on})
        uow.commit()


def set_paused(app: Any, customer_code: str, paused: bool) -> None:
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        uow.customers.update_customer(cust.id, paused=paused)
        uow.commit()


@dataclass
class CustomerView:
    customer: Any
    as_of: date
    open_minor: int = 0
    disputed_minor: int = 0
    overdue_minor: int = 0
    days_past_due: int | None = None
    grade: RiskGrade = RiskGrade.NOT_DUE
    buckets: tuple[int, ...] = DEFAULT_BUCKETS
    aging: list[int] = field(default_factory=list)
    invoices: list[Any] = field(default_factory=list)
    promises: list[tuple[Any, str]] = field(default_factory=list)
    disputes: list[Any] = field(default_factory=list)
    activities: list[Any] = field(default_factory=list)
    contacts: list[Any] = field(default_factory=list)
    open_actions: list[Any] = field(default_factory=list)


def customer_view(app: Any, code: str, as_of: date | None = None) -> CustomerView:
    today = as_of or app.clock.today()
    cal = app.calendar()
    with app.uow(write=False) as uow:
        cust = _customer(uow, code)
        repo = uow.customers
        v = CustomerView(customer=cust, as_of=today)
        v.invoices = repo.open_invoices(cust.id)
        v.aging = [0] * (len(v.buckets) + 1)
        oldest = None
        for inv in v.invoices:
            v.open_minor += inv.open_minor
            v.disputed_minor += inv.disputed_minor
            days = (today - inv.due_on).days
            v.aging[bucket_index(days, v.buckets)] += inv.open_minor
            collectable = inv.open_minor - inv.disputed_minor
            if days > 0 and collectable > 0:
                v.overdue_minor += collectable
                oldest = inv.due_on if oldest is None else min(oldest, inv.due_on)
        v.days_past_due = (today - oldest).days if oldest else None
        policy = load_policies(app.policy_dirs(), uow.collect.segment_policies()).for_customer(cust.policy, cust.segment)
        # Judged as the daily run judges them (same query, same instalment rule, same tolerance).
        rows = uow.collect.promises(date.min, today, customer_id=cust.id)
        facts = [PromiseFacts(r.id, r.amount_minor, r.promised_on, r.made_on, int(r.paid)) for r in rows]
        judged = judge_promises(facts, today, policy.settings.promise_tolerance_working_days, cal)
        states = {p.promise_id: state for p, state, _ in judged}
        broken = sum(state in (PromiseState.BROKEN, PromiseState.PARTLY_KEPT) and p.made_on >= today - timedelta(days=365)
                     for p, state, _ in judged)
        v.promises = [(r, states[r.id].value) for r in sorted(rows, key=lambda r: (r.made_on, r.promised_on), reverse=True)]
        v.grade = policy.grades.grade(v.days_past_due, broken)
        v.disputes = repo.disputes(cust.id)
        v.activities = repo.activities(cust.id, 10)
        v.contacts = repo.contacts(cust.id)
        v.open_actions = repo.open_actions(cust.id)
    return v


def reassign(app: Any, customer_codes: list[str] | tuple[str, ...], collector: str, *, actor: str | None = None,
             scope: Any = None) -> int:
    """Give customers (and so their open tasks) to another collector; one audit row per customer."""
    collector = (collector or "").strip()
    if not collector:
        raise InvalidInput("input.required", field="collector")
    codes = list(dict.fromkeys(c.strip() for c in customer_codes if c and c.strip()))
    if not codes:
        raise InvalidInput("input.required", field="customers")
    with app.uow() as uow:
        for code in codes:
            cust = uow.customers.by_code(code, scope)
            if cust is None:
                raise NotFound("customer.not_found", what="customer", value=code)
            uow.customers.update_customer(cust.id, collector=collector)
            uow.customers.reassign_open_tasks(cust.id, collector)
            audit.record(uow, app.clock.now(), actor, "customer.reassigned", "customer", code, customer_id=cust.id,
                         before={"collector": cust.collector}, after={"collector": collector})
        uow.commit()
    return len(codes)
