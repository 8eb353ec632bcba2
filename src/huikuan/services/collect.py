"""Collection use cases: log a contact, record a promise, approve or reject a proposal, mark a task
done, move a 对账 statement along, pause a customer, and the customer's page (``customer_view``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.aging import DEFAULT_BUCKETS, summarise_open
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
from . import as_of as as_of_view
from . import audit
from .policies import load_policies

CONTACT_TASKS = (ActionKind.CALL.value, ActionKind.REMINDER.value, ActionKind.VISIT.value)


def _enum(cls: type[Enum], value: str | None, field_name: str) -> Any:
    try:
        return cls(value)
    except ValueError as e:
        raise InvalidInput("input.enum", field=field_name, value=value,
                           allowed=", ".join(str(m.value) for m in cls)) from e


def _customer(uow: Any, code: str, scope: Any = None) -> Any:
    """The customer, or NotFound — also when it lies outside ``scope`` (as if it did not exist)."""
    row = uow.customers.by_code(code, scope)
    if row is None:
        raise NotFound("customer.not_found", what="customer", value=code)
    return row


def _local(app: Any, at: datetime | None) -> tuple[datetime, date]:
    at = at or app.clock.now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(app.settings.timezone))
    return at, at.astimezone(ZoneInfo(app.settings.timezone)).date()


def _add_contact(app: Any, uow: Any, cust: Any, ch: Channel, out: Outcome, exc: Excuse | None, at: datetime,
                 local_day: date, note: str | None, actor: str | None, next_step: str | None = None,
                 next_on: date | None = None) -> int:
    aid = uow.customers.add_activity(
        customer_id=cust.id, at=at.astimezone(UTC).replace(tzinfo=None), on=local_day, channel=ch.value,
        outcome=out.value, excuse=exc.value if exc else None, note=note, actor=actor, next_step=next_step,
        next_on=next_on)
    uow.customers.close_tasks(cust.id, local_day, CONTACT_TASKS, actor)
    audit.record(uow, app.clock.now(), actor, "contact.logged", "customer", cust.code, customer_id=cust.id,
                 after={"activity": aid, "channel": ch.value, "outcome": out.value,
                        "excuse": exc.value if exc else None, "note": note, "next_step": next_step,
                        "next_on": next_on})
    return int(aid)


def log_contact(app: Any, customer_code: str, channel: str, outcome: str, *, excuse: str | None = None,
                at: datetime | None = None, note: str | None = None, actor: str | None = None,
                scope: Any = None) -> int:
    """Record one contact; it closes the customer's open contact tasks and restarts the cadence."""
    ch = _enum(Channel, channel, "channel")
    out = _enum(Outcome, outcome, "outcome")
    exc = _enum(Excuse, excuse, "excuse") if excuse else None
    at, local_day = _local(app, at)
    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        aid = _add_contact(app, uow, cust, ch, out, exc, at, local_day, note, actor)
        uow.commit()
    return int(aid)


def _check_promise(amount_minor: int, promised_on: date, made_on: date, field_prefix: str = "") -> None:
    if amount_minor <= 0:
        raise InvalidInput("promise.amount", value=amount_minor, field=f"{field_prefix}amount")
    if promised_on < made_on:
        raise InvalidInput("promise.date_before_made", date=promised_on.isoformat(), made_on=made_on.isoformat(),
                           field=f"{field_prefix}date")


def _add_promise(app: Any, uow: Any, cust: Any, amount_minor: int, promised_on: date, made_on: date,
                 invoices: tuple[str, ...] | list[str], note: str | None, instalment_of: int | None,
                 actor: str | None) -> int:
    for number in invoices:
        inv = uow.customers.invoice_by_number(number)
        if inv is None or inv.customer_id != cust.id:
            raise NotFound("invoice.not_of_customer", what="invoice", value=number, customer=cust.code,
                           field="invoices")
    pid = uow.customers.add_promise(customer_id=cust.id, amount_minor=amount_minor, currency=cust.currency,
                                    promised_on=promised_on, made_on=made_on, invoices=list(invoices),
                                    note=note, instalment_of=instalment_of)
    audit.record(uow, app.clock.now(), actor, "promise.recorded", "customer", cust.code, customer_id=cust.id,
                 after={"promise": pid, "amount_minor": amount_minor, "currency": cust.currency,
                        "promised_on": promised_on, "instalment_of": instalment_of})
    return int(pid)


def add_contacts(uow: Any, timezone: str, contacts: Iterable[dict[str, Any]]) -> int:
    """Many contacts (``add_contact``'s keyword arguments each) in the caller's unit of work, with a
    constant number of statements: customers looked up once, rows inserted together, each customer's
    contact tasks closed once up to its latest contact day. A bulk loader's path (demo data)."""
    ids = uow.customers.ids_by_code()
    rows: list[dict[str, Any]] = []
    latest: dict[int, tuple[date, str | None]] = {}
    for c in contacts:
        cid = ids.get(c["customer_code"])
        if cid is None:
            raise NotFound("customer.not_found", what="customer", value=c["customer_code"])
        ch = _enum(Channel, c["channel"], "channel")
        out = _enum(Outcome, c["outcome"], "outcome")
        exc = _enum(Excuse, c.get("excuse"), "excuse") if c.get("excuse") else None
        at = c["at"] if c["at"].tzinfo else c["at"].replace(tzinfo=ZoneInfo(timezone))
        day = at.astimezone(ZoneInfo(timezone)).date()
        rows.append({"customer_id": cid, "at": at.astimezone(UTC).replace(tzinfo=None), "on": day, "channel": ch.value,
                     "outcome": out.value, "excuse": exc.value if exc else None, "note": c.get("note"),
                     "actor": c.get("actor")})
        if cid not in latest or day >= latest[cid][0]:
            latest[cid] = (day, c.get("actor"))
    uow.customers.add_activities(rows)
    for cid, (day, actor) in latest.items():
        uow.customers.close_tasks(cid, day, CONTACT_TASKS, actor)
    return len(rows)


def record_promise(app: Any, customer_code: str, amount_minor: int, promised_on: date, *, made_on: date | None = None,
                   invoices: tuple[str, ...] | list[str] = (), note: str | None = None,
                   instalment_of: int | None = None, actor: str | None = None, scope: Any = None) -> int:
    made_on = made_on or app.clock.today()
    _check_promise(amount_minor, promised_on, made_on)
    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        pid = _add_promise(app, uow, cust, amount_minor, promised_on, made_on, invoices, note, instalment_of, actor)
        uow.commit()
    return int(pid)


def add_contact(app: Any, uow: Any, customer_code: str, channel: str, outcome: str, *, at: datetime,
                excuse: str | None = None, note: str | None = None, actor: str | None = None) -> int:
    """``log_contact`` inside the caller's unit of work (which commits)."""
    ch = _enum(Channel, channel, "channel")
    out = _enum(Outcome, outcome, "outcome")
    exc = _enum(Excuse, excuse, "excuse") if excuse else None
    at, local_day = _local(app, at)
    cust = _customer(uow, customer_code, None)
    return _add_contact(app, uow, cust, ch, out, exc, at, local_day, note, actor)


def add_promise(app: Any, uow: Any, customer_code: str, amount_minor: int, promised_on: date, *, made_on: date,
                invoices: tuple[str, ...] | list[str] = (), note: str | None = None) -> int:
    """``record_promise`` inside the caller's unit of work (which commits): a bulk loader records
    thousands in one transaction instead of one each (on PostgreSQL each costs round trips and a WAL flush)."""
    _check_promise(amount_minor, promised_on, made_on)
    cust = _customer(uow, customer_code, None)
    return _add_promise(app, uow, cust, amount_minor, promised_on, made_on, invoices, note, None, None)


@dataclass(frozen=True)
class ContactResult:
    activity_id: int
    promise_ids: tuple[int, ...]


def record_contact(app: Any, customer_code: str, channel: str, outcome: str, *, excuse: str | None = None,
                   note: str | None = None, promises: list[tuple[int, date]] | None = None,
                   next_step: str | None = None, next_on: date | None = None, at: datetime | None = None,
                   actor: str | None = None, scope: Any = None) -> ContactResult:
    """The workbench's one form: a contact, the promise it brought (one amount and date, or an instalment
    schedule of several) and the next step — all in one transaction, all audited."""
    ch = _enum(Channel, channel, "channel")
    out = _enum(Outcome, outcome, "outcome")
    exc = _enum(Excuse, excuse, "excuse") if excuse else None
    at, local_day = _local(app, at)
    plan = sorted(promises or [], key=lambda p: p[1])
    for i, (amount, on) in enumerate(plan):
        _check_promise(amount, on, local_day, "promise_" if len(plan) == 1 else f"instalment_{i + 1}_")
    if next_on is not None and next_on < local_day:
        raise InvalidInput("contact.next_in_past", field="next_on", date=next_on.isoformat())
    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        aid = _add_contact(app, uow, cust, ch, out, exc, at, local_day, note, actor, (next_step or "").strip() or None,
                           next_on)
        pids: list[int] = []
        for amount, on in plan:
            pids.append(_add_promise(app, uow, cust, amount, on, local_day, (), None,
                                     pids[0] if pids else None, actor))
        uow.commit()
    return ContactResult(aid, tuple(pids))


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


def decide_proposal(app: Any, action_id: int, approve: bool, *, by: str | None = None, note: str | None = None,
                    roles: Any = None, scope: Any = None) -> Any:
    """Approve or reject a proposal. ``roles`` (a signed-in user's): only a proposal assigned to one of
    them may be decided; ``scope``: one outside it is not found."""
    with app.uow() as uow:
        decide_proposal_in(app, uow, action_id, approve, by=by, note=note, roles=roles, scope=scope)
        uow.commit()
        return uow.customers.action(action_id)


def decide_proposal_in(app: Any, uow: Any, action_id: int, approve: bool, *, by: str | None = None,
                       note: str | None = None, roles: Any = None, scope: Any = None) -> None:
    """``decide_proposal`` inside the caller's unit of work (which commits): the demo's warm-up decides a
    day's proposals in one transaction."""
    act = uow.customers.action(action_id)
    if act is None or (scope is not None and uow.customers.by_id(act.customer_id, scope) is None):
        raise NotFound("action.not_found", what="action", value=action_id)
    if not act.needs_approval:
        raise RuleViolation("action.not_a_proposal", id=action_id)
    if roles is not None and act.assignee_role not in set(roles):
        raise RuleViolation("action.not_your_role", id=action_id, role=act.assignee_role)
    if act.status != ActionStatus.OPEN.value:
        raise RuleViolation(f"action.already_{act.status}", id=action_id)
    status = ActionStatus.APPROVED if approve else ActionStatus.REJECTED
    uow.customers.decide_action(action_id, status.value, app.clock.today(), by, note)
    if approve:
        _effect(uow, uow.customers.action(action_id))  # as decided: its day and approver
        if act.kind == ActionKind.LETTER.value:
            from .letters import issue  # the approved letter: PDF evidence and its cover e-mail

            issue(app, uow, act, app.clock.today())
    cust = uow.customers.by_id(act.customer_id)
    audit.record(uow, app.clock.now(), by, "action.approved" if approve else "action.rejected", "action",
                 action_id, customer_id=act.customer_id,
                 before={"status": act.status, "customer": cust.code if cust else None, "kind": act.kind},
                 after={"status": status.value, "note": note})


def mark_done(app: Any, action_id: int, *, by: str | None = None, note: str | None = None) -> None:
    with app.uow() as uow:
        mark_done_in(app, uow, action_id, by=by, note=note)
        uow.commit()


def mark_done_in(app: Any, uow: Any, action_id: int, *, by: str | None = None, note: str | None = None) -> None:
    """``mark_done`` inside the caller's unit of work (which commits); checks everything before it writes."""
    act = uow.customers.action(action_id)
    if act is None:
        raise NotFound("action.not_found", what="action", value=action_id)
    if act.needs_approval:
        raise RuleViolation("action.needs_decision", id=action_id)
    if act.status != ActionStatus.OPEN.value:
        raise RuleViolation(f"action.already_{act.status}", id=action_id)
    uow.customers.decide_action(action_id, ActionStatus.DONE.value, app.clock.today(), by, note)


STATEMENT_STEPS = ("prepared", "checked", "sent", "confirmed")


def mark_statement(app: Any, customer_code: str, period: str, step: str, on: date | None = None, *,
                   actor: str | None = None, scope: Any = None) -> None:
    with app.uow() as uow:
        mark_statement_in(app, uow, customer_code, period, step, on, actor=actor, scope=scope)
        uow.commit()


def mark_statement_in(app: Any, uow: Any, customer_code: str, period: str, step: str, on: date | None = None, *,
                      actor: str | None = None, scope: Any = None) -> None:
    """``mark_statement`` inside the caller's unit of work (which commits)."""
    if step not in STATEMENT_STEPS:
        raise InvalidInput("input.enum", field="step", value=step, allowed=", ".join(STATEMENT_STEPS))
    try:
        datetime.strptime(period, "%Y-%m")
    except ValueError as e:
        raise InvalidInput("statement.period", value=period) from e
    on = on or app.clock.today()
    cust = _customer(uow, customer_code, scope)
    existing = uow.collect.statements(period, cust.id).get(cust.id)
    # This step gets today's date; a later step implies the earlier ones, which keep their own
    # dates when already set.
    dates = {f"{s}_on": on for s in STATEMENT_STEPS[: STATEMENT_STEPS.index(step)]
             if existing is None or getattr(existing, f"{s}_on") is None}
    uow.customers.upsert_statement(cust.id, period, **dates, **{f"{step}_on": on})
    audit.record(uow, app.clock.now(), actor, "statement.marked", "customer", cust.code, customer_id=cust.id,
                 after={"period": period, "step": step, "on": on})


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
    broken_promises: int = 0  # broken or partly kept in the last year: with the days past due, the grade's "why"
    refusals: list[Any] = field(default_factory=list)  # messages the guard refused or that died, newest first
    invoice_count: int = 0  # all open invoices, also when ``invoices`` holds only the first page
    invoices_after: tuple[date, str] | None = None  # (due_on, number) to ask ``invoice_page`` for the next page
    promised: set[str] = field(default_factory=set)  # invoice numbers an open promise names


@dataclass(frozen=True, slots=True)
class DisputeAsOf:
    id: int
    invoice_number: str
    amount_minor: int
    category: str
    opened_on: date
    resolved_on: date | None
    invoice_open_minor: int


def _dispute_as_of(d: Any, day: date, invoices: list[Any]) -> DisputeAsOf:
    open_then = next((i.open_minor for i in invoices if i.number == d.invoice_number), 0)
    resolved = d.resolved_on if d.resolved_on is not None and d.resolved_on <= day else None
    return DisputeAsOf(d.id, d.invoice_number, d.amount_minor, d.category, d.opened_on, resolved, open_then)


def refusal_json(x: Any) -> dict[str, Any]:
    """A message the guard refused or that died (an ``outbox_event`` row), as the JSON outputs write it."""
    return {"at": x.at.replace(tzinfo=UTC).isoformat(), "kind": x.kind, "channel": x.channel, "rule": x.rule,
            "code": x.error_code, "reason": x.reason}


def customer_document(v: CustomerView, debtor: Any) -> dict[str, Any]:
    """``customer show --json`` and ``GET /api/v1/customers/{code}``: one shape, built here once so the
    CLI and the API cannot drift apart (amounts as exact decimal text, aging keys in English)."""
    from ..domain.aging import bucket_labels
    from ..domain.money import format_minor
    from .reporting import open_invoice

    c, cur = v.customer, v.customer.currency
    return {
        "as_of": v.as_of.isoformat(),
        "customer": c.code, "name": c.name, "type": c.type, "terms": c.terms, "currency": cur,
        "credit_limit": format_minor(c.credit_limit_minor, cur), "credit_status": c.credit_status,
        "shipment_locked": bool(c.shipment_locked), "paused": bool(c.paused),
        "open": format_minor(v.open_minor, cur), "disputed": format_minor(v.disputed_minor, cur),
        "overdue_collectable": format_minor(v.overdue_minor, cur), "days_past_due": v.days_past_due,
        "grade": v.grade.value,
        "aging": dict(zip(bucket_labels(v.buckets, "en"), [format_minor(x, cur) for x in v.aging], strict=True)),
        "promises": [{"id": p.id, "amount": format_minor(p.amount_minor, cur), "date": p.promised_on.isoformat(),
                      "made_on": p.made_on.isoformat(), "state": s} for p, s in v.promises],
        "disputes": [{"id": d.id, "invoice": d.invoice_number, "amount": format_minor(d.amount_minor, cur),
                      "category": d.category, "opened_on": d.opened_on.isoformat(),
                      "resolved_on": d.resolved_on.isoformat() if d.resolved_on else None,
                      "invoice_paid": d.invoice_open_minor <= 0} for d in v.disputes],
        "activities": [{"at": x.at.isoformat(), "channel": x.channel, "outcome": x.outcome, "excuse": x.excuse,
                        "note": x.note} for x in v.activities],
        "open_actions": [{"id": x.id, "kind": x.kind, "stage": x.stage, "run_on": x.run_on.isoformat()}
                         for x in v.open_actions],
        "refusals": [{**refusal_json(x), "message": x.outbox_id, "to": x.to_name, "status": x.message_status}
                     for x in v.refusals],
        "debtor": debtor,
        "invoices": [open_invoice(r, v.as_of).as_dict() for r in v.invoices],
    }


def customer_view(app: Any, code: str, as_of: date | None = None, scope: Any = None,
                  invoice_limit: int | None = None) -> CustomerView:
    """Everything the customer's page and ``customer show`` show. ``invoice_limit``: list only the first
    so many open invoices (oldest due first; ``invoice_page`` gives the next ones) — the balance, aging and
    ``invoice_count`` still cover all of them, summed in the database (a big dealer has 10^4 open invoices)."""
    today = as_of or app.clock.today()
    cal = app.calendar()
    with app.uow(write=False) as uow:
        cust = _customer(uow, code, scope)
        repo = uow.customers
        v = CustomerView(customer=cust, as_of=today)
        past = as_of_view.is_past(app, as_of)
        groups: Iterable[tuple[date, int, int, int, int]]
        if past or invoice_limit is None:
            v.invoices = as_of_view.invoices_as_of(uow, today, [cust.id]) if past else repo.open_invoices(cust.id)
            groups = ((i.due_on, 1, i.open_minor, i.disputed_minor, max(i.open_minor - i.disputed_minor, 0))
                      for i in v.invoices)
        else:
            v.invoices = repo.open_invoices(cust.id, limit=invoice_limit + 1)
            groups = repo.open_invoice_groups(cust.id)
        totals = summarise_open(today, groups, v.buckets)
        v.aging = list(totals.aging)
        v.open_minor, v.disputed_minor, v.overdue_minor = totals.open_minor, totals.disputed_minor, totals.overdue_minor
        v.invoice_count = totals.invoices
        v.days_past_due = (today - totals.oldest_due).days if totals.oldest_due else None
        policy = load_policies(app.policy_dirs(), uow.collect.segment_policies()).for_customer(cust.policy, cust.segment)
        v.promises, broken = _judged_promises(uow, cust.id, today, policy, cal)
        v.promised = _promised_invoices(uow, v.promises)
        v.grade = policy.grades.grade(v.days_past_due, broken)
        v.broken_promises = int(broken)
        v.disputes = repo.disputes(cust.id)
        v.activities = repo.activities(cust.id, 10, upto=today if past else None)
        v.contacts = repo.contacts(cust.id)
        v.open_actions = repo.open_actions(cust.id)
        v.refusals = uow.outbox.events(cust.id, 10)
        if past:  # as the day saw them: disputes opened by then (resolved only if by then), its open tasks
            v.disputes = [_dispute_as_of(d, today, v.invoices) for d in v.disputes if d.opened_on <= today]
            v.open_actions = sorted(as_of_view.open_tasks(uow, today, cust.id), key=lambda x: (x.run_on, x.id))
            v.refusals = [x for x in v.refusals if x.at.date() <= today]
    if invoice_limit is not None and len(v.invoices) > invoice_limit:
        v.invoices = v.invoices[:invoice_limit]
        v.invoices_after = (v.invoices[-1].due_on, v.invoices[-1].number)
    return v


def _judged_promises(uow: Any, customer_id: int, today: date, policy: Any,
                     cal: Any) -> tuple[list[tuple[Any, str]], int]:
    """The customer's promises newest first with their state, and how many of the last year's were broken
    or partly kept — judged as the daily run judges them (same query, instalment rule and tolerance)."""
    rows = uow.collect.promises(date.min, today, customer_id=customer_id)
    facts = [PromiseFacts(r.id, r.amount_minor, r.promised_on, r.made_on, int(r.paid)) for r in rows]
    judged = judge_promises(facts, today, policy.settings.promise_tolerance_working_days, cal)
    states = {p.promise_id: state for p, state, _ in judged}
    broken = sum(state in (PromiseState.BROKEN, PromiseState.PARTLY_KEPT) and p.made_on >= today - timedelta(days=365)
                 for p, state, _ in judged)
    newest = sorted(rows, key=lambda r: (r.made_on, r.promised_on), reverse=True)
    return [(r, states[r.id].value) for r in newest], int(broken)


@dataclass
class InvoicePage:
    """A page of a customer's open invoices, the invoice numbers an open promise covers (the page marks
    them), and the key of the next page (None at the end)."""

    invoices: list[Any]
    promised: set[str]
    after: tuple[date, str] | None


def invoice_page(app: Any, code: str, after: tuple[date, str] | None, limit: int = 50,
                 scope: Any = None) -> InvoicePage:
    """The customer's open invoices after (due_on, number), oldest due first — the customer page's "more"."""
    today = app.clock.today()
    cal = app.calendar()
    with app.uow(write=False) as uow:
        cust = _customer(uow, code, scope)
        rows = uow.customers.open_invoices(cust.id, limit=limit + 1, after=after)
        policy = load_policies(app.policy_dirs(), uow.collect.segment_policies()).for_customer(cust.policy, cust.segment)
        promised = _promised_invoices(uow, _judged_promises(uow, cust.id, today, policy, cal)[0])
    page = InvoicePage(rows[:limit], promised, None)
    if len(rows) > limit:
        page.after = (page.invoices[-1].due_on, page.invoices[-1].number)
    return page


def _promised_invoices(uow: Any, promises: Iterable[tuple[Any, str]]) -> set[str]:
    """The invoice numbers named by the promises still open (a marker beside each on the page)."""
    ids = [p.id for p, state in promises if state == PromiseState.OPEN.value]
    return {n for numbers in uow.customers.promise_invoices(ids).values() for n in numbers}


def contact_form_view(app: Any, code: str, scope: Any = None) -> tuple[Any, list[Any]]:
    """The customer and its contacts: what the log-a-contact and dispute forms need (not the invoices or
    promises ``customer_view`` reads: a big dealer's would cost every save)."""
    with app.uow(write=False) as uow:
        cust = _customer(uow, code, scope)
        return cust, list(uow.customers.contacts(cust.id))


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


TIMELINE_KINDS = ("activity", "action", "payment", "promise", "dispute", "message")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # naive: UTC for contacts, the local day's start for dated events
    kind: str
    id: int
    row: Any

    @property
    def key(self) -> tuple[int, int, int]:
        """The paging key: (seconds, kind's rank, id) — strictly decreasing down the timeline."""
        return int(self.at.timestamp()), TIMELINE_KINDS.index(self.kind), self.id


def timeline(app: Any, code: str, *, scope: Any = None, before: tuple[int, int, int] | None = None,
             limit: int = 20) -> tuple[list[TimelineEntry], tuple[int, int, int] | None]:
    """One timeline of contacts, actions and decisions, payments, promises and disputes, newest first, a page
    at a time: returns the page and the key to pass as ``before`` for the next one (None at the end)."""
    if limit < 1 or limit > 200:
        raise InvalidInput("input.range", field="limit", value=limit, min=1, max=200)
    bound = datetime.fromtimestamp(before[0], UTC).replace(tzinfo=None) if before else None
    with app.uow(write=False) as uow:
        cust = _customer(uow, code, scope)
        rows = uow.customers.timeline(cust.id, bound, limit)
    entries = sorted((TimelineEntry(at, kind, i, r) for at, kind, i, r in rows), key=lambda e: e.key, reverse=True)
    if before is not None:
        entries = [e for e in entries if e.key < tuple(before)]
    page = entries[:limit]
    nxt = page[-1].key if len(entries) > limit else None
    return page, nxt


def open_dispute(app: Any, customer_code: str, invoice_number: str, amount_minor: int | None, category: str, *,
                 note: str | None = None, actor: str | None = None, scope: Any = None) -> int:
    """Dispute part (``amount_minor``) or all (None) of one of the customer's invoices (services.ledger's
    rules), audited."""
    from ..domain.money import Money
    from . import ledger

    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        inv = uow.customers.invoice_by_number(invoice_number)
        if inv is None or inv.customer_id != cust.id:
            raise NotFound("invoice.not_of_customer", what="invoice", value=invoice_number, customer=customer_code,
                           field="invoice")
        money = Money(amount_minor, inv.currency) if amount_minor is not None else None
        did = ledger.open_dispute(uow, invoice_number, money, category, app.clock.today(), note,
                                  by=audit.By(actor or audit.CLI, app.clock.now()))
        uow.commit()
    return int(did)


def resolve_dispute(app: Any, customer_code: str, dispute_id: int, *, actor: str | None = None,
                    scope: Any = None) -> None:
    from . import ledger

    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        if not any(d.id == dispute_id for d in uow.customers.disputes(cust.id)):
            raise NotFound("dispute.not_found", what="dispute", value=dispute_id)
        ledger.resolve_dispute(uow, dispute_id, app.clock.today(), by=audit.By(actor or audit.CLI, app.clock.now()))
        uow.commit()


def record_payment(app: Any, customer_code: str, amount_minor: int, paid_on: date, *, method: str = "transfer",
                   invoice_number: str | None = None, number: str | None = None, actor: str | None = None) -> Any:
    """A receipt booked by finance (services.ledger allocates it and writes the audit row)."""
    from ..domain.money import Money
    from . import ledger

    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        result = ledger.record_payment(uow, customer_code, Money(amount_minor, cust.currency), paid_on, number=number,
                                       method=method, invoice_number=invoice_number or None,
                                       by=audit.By(actor or audit.CLI, app.clock.now()))
        uow.commit()
    return result


def approvals(app: Any, roles: Any, *, scope: Any = None, as_of: date | None = None) -> list[Any]:
    """Open proposals assigned to one of ``roles``, most valuable first."""
    today = as_of or app.clock.today()
    with app.uow(write=False) as uow:
        return list(uow.customers.open_tasks(today, scope, approvals=True, roles=list(roles)))


def find_customers(app: Any, text: str = "", *, scope: Any = None, limit: int = 50) -> list[Any]:
    """Customers in scope whose code or name contains ``text``, by code."""
    with app.uow(write=False) as uow:
        return list(uow.customers.search(text.strip(), scope, limit))


@dataclass(frozen=True)
class CustomerSummary:
    code: str
    currency: str
    open_minor: int
    overdue_minor: int
    credit_limit_minor: int
    credit_status: str
    last_payment_on: date | None


def customer_summaries(app: Any, customer_ids: list[int]) -> dict[int, CustomerSummary]:
    """Balance, overdue, limit, status and last payment of a page of customers (set-based reads)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    today = app.clock.today()
    with app.uow(write=False) as uow:
        rows = uow.customers.summaries(ids, today)
    return {r.id: CustomerSummary(r.code, r.currency, int(r.open_minor or 0), int(r.overdue_minor or 0),
                                  int(r.credit_limit_minor), r.credit_status, r.last_payment_on) for r in rows}


def recent_payments(app: Any, limit: int = 30) -> list[Any]:
    with app.uow(write=False) as uow:
        return list(uow.customers.recent_payments(limit))
