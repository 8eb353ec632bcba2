"""Debtor risk: the kind of debtor with its evidence and the levers (customer 360, ``customer show``),
and the credit manager's early warnings (raised by the daily run, listed by ``huikuan alerts``).

Facts come from the record through ``uow.credit``; the judgements are pure (``domain.debtor``,
``domain.warnings``) and their settings live in the customer's policy file.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from .. import i18n
from ..domain.aging import DEFAULT_BUCKETS, summarise_open
from ..domain.debtor import (
    GRIEVANCE_EXCUSES,
    HARDSHIP_EXCUSES,
    STALLING_EXCUSES,
    Classification,
    DebtorFacts,
    Lever,
    classify,
    levers,
)
from ..domain.errors import InvalidInput, NotFound
from ..domain.ledger import Excuse, PromiseFacts, PromiseState, RiskGrade, judge_promises
from ..domain.money import Money
from ..domain.warnings import STATE_KINDS, PaidInvoice, Warning, WarningFacts, WarningKind, detect
from . import audit
from .credit import policies_for

LOOK_BACK_DAYS = 365
NOBODY = frozenset({"no_answer", "left_message"})
NEUTRAL = frozenset({"sent"})  # a message we sent says nothing about whether they answer
WATCHED_ROLES = ("finance", "signatory", "owner", "legal_rep")


def _customer(uow: Any, code: str, scope: Any = None) -> Any:
    row = uow.customers.by_code(code, scope)
    if row is None:
        raise NotFound("customer.not_found", what="customer", value=code)
    return row


# ── debtor kind ─────────────────────────────────────────────────────────────────────────────


@dataclass
class DebtorProfile:
    facts: DebtorFacts
    classification: Classification | None
    grade: RiskGrade
    levers: tuple[Lever, ...] = ()
    done: list[Any] = field(default_factory=list)  # lever records


def debtor_facts(app: Any, uow: Any, cust: Any, today: date, tolerance: int) -> DebtorFacts:
    repo = uow.credit
    since = today - timedelta(days=LOOK_BACK_DAYS)
    # Summed per due date in the database: a big dealer's 10^4 open invoices never come into Python.
    open_ = summarise_open(today, uow.customers.open_invoice_groups(cust.id), DEFAULT_BUCKETS)
    dpd = (today - open_.oldest_due).days if open_.oldest_due else 0
    rows = uow.collect.promises(since, today, customer_id=cust.id)
    judged = judge_promises([PromiseFacts(r.id, r.amount_minor, r.promised_on, r.made_on, int(r.paid)) for r in rows],
                            today, tolerance, app.calendar())
    kept = sum(s is PromiseState.KEPT for _, s, _ in judged)
    broken = sum(s in (PromiseState.BROKEN, PromiseState.PARTLY_KEPT) for _, s, _ in judged)
    acts = [a for a in repo.activities_since(cust.id, since) if a[2] not in NEUTRAL]
    streak = 0
    for a in reversed(acts):
        if a[2] not in NOBODY:
            break
        streak += 1

    def excuses(kinds: frozenset[Excuse]) -> int:
        return sum(1 for a in acts if a[3] in {k.value for k in kinds})

    disputes = repo.disputes_since(cust.id, since)
    pays = repo.payment_days(cust.id, since)
    contact_days = sorted({a[0] for a in acts if a[2] not in NOBODY} | {a[0] for a in acts})
    pressed = sum(any(timedelta(0) <= p - d <= timedelta(days=3) for d in contact_days) for p in pays)
    before = open_.oldest_due or today
    history = [p for p in repo.paid_invoices(before - timedelta(days=LOOK_BACK_DAYS), [cust.id]) if p[2] < before]
    on_time = (sum(p[3] <= p[2] for p in history) * 100 // len(history)) if len(history) >= 3 else None
    return DebtorFacts(
        days_past_due=dpd, overdue_minor=open_.overdue_minor,
        promises_kept=kept, broken_promises=broken, contacts=len(acts),
        unanswered=sum(a[2] in NOBODY for a in acts), silent_streak=streak,
        hardship_excuses=excuses(HARDSHIP_EXCUSES), grievance_excuses=excuses(GRIEVANCE_EXCUSES),
        stalling_excuses=excuses(STALLING_EXCUSES), open_disputes=sum(r is None for _, r in disputes),
        disputes=sum(o >= since for o, _ in disputes), payments=len(pays),
        part_payments=repo.part_paid_invoices(since, [cust.id]).get(cust.id, 0),
        paid_after_pressure_pct=pressed * 100 // len(pays) if pays else 0, on_time_pct=on_time)


def debtor_profile(app: Any, code: str, as_of: date | None = None, scope: Any = None) -> DebtorProfile:
    today = as_of or app.clock.today()
    with app.uow(write=False) as uow:
        cust = _customer(uow, code, scope)
        policy = policies_for(app, uow).for_customer(cust.policy, cust.segment)
        facts = debtor_facts(app, uow, cust, today, policy.settings.promise_tolerance_working_days)
        c = classify(facts, policy.debtor)
        grade = policy.grades.grade(facts.days_past_due or None, facts.broken_promises)
        prof = DebtorProfile(facts, c, grade, levers(c.kind, grade, policy.debtor) if c else ())
        prof.done = uow.credit.levers_done(cust.id)
    return prof


def evidence_text(key: str, value: int | None, lang: str) -> str:
    return i18n.t(f"debtor.fact.{key}", lang, value="-" if value is None else value)


def record_lever(app: Any, code: str, lever: str, *, by: str | None = None, note: str | None = None,
                 on: date | None = None) -> int:
    try:
        lv = Lever(lever)
    except ValueError as e:
        raise InvalidInput("input.enum", field="lever", value=lever, allowed=", ".join(x.value for x in Lever)) from e
    with app.uow() as uow:
        cust = _customer(uow, code)
        lid = uow.credit.add_lever(customer_id=cust.id, lever=lv.value, done_on=on or app.clock.today(), by=by,
                                   note=note)
        audit.record(uow, app.clock.now(), by, "credit.lever_done", "customer", cust.code, customer_id=cust.id,
                     after={"lever": lv.value, "note": note})
        uow.commit()
    return int(lid)


def mark_contact_left(app: Any, code: str, name: str, on: date | None = None) -> None:
    with app.uow() as uow:
        cust = _customer(uow, code)
        if uow.credit.set_contact_left(cust.id, name, on or app.clock.today()) == 0:
            raise NotFound("contact.not_found", value=name, customer=code)
        uow.commit()


# ── early warnings ──────────────────────────────────────────────────────────────────────────


@dataclass
class AlertReport:
    raised: int = 0
    closed: int = 0
    visits: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)


def _month_volume(rows: Iterable[tuple[date, int]]) -> tuple[int, ...]:
    vol = [0] * 12
    for on, amount in rows:
        vol[on.month - 1] += amount
    return tuple(vol)


def _median(values: list[int]) -> int | None:
    if not values:
        return None
    s = sorted(values)
    return s[len(s) // 2]


def gather_warning_facts(uow: Any, today: date, window_days: int, recent_days: int) -> dict[int, WarningFacts]:
    """Facts for the customers that have anything a detector can look at — set-based reads only."""
    repo = uow.credit
    paid: dict[int, list[PaidInvoice]] = {}
    for cid, inv_on, due_on, paid_on in repo.paid_invoices(today - timedelta(days=2 * LOOK_BACK_DAYS)):
        paid.setdefault(cid, []).append(PaidInvoice(inv_on, due_on, paid_on))
    window = today - timedelta(days=window_days)
    parts = repo.part_paid_invoices(window)
    ext = repo.promises_made(window)
    orders = repo.recent_orders(today - timedelta(days=recent_days))
    volumes = repo.invoice_amounts(list(orders), today - timedelta(days=2 * LOOK_BACK_DAYS))
    left: dict[int, list[tuple[int, str, str, date]]] = {}
    roles: dict[int, dict[str, bool]] = {}
    for cid, contact_id, name, role, left_on in repo.contacts_state():
        if left_on is not None:
            left.setdefault(cid, []).append((contact_id, name, role, left_on))
        if role in WATCHED_ROLES:
            r = roles.setdefault(cid, {})
            r[role] = r.get(role, False) or left_on is None
    emptied = {cid: tuple(sorted(k for k, present in r.items() if not present)) for cid, r in roles.items()}
    ids = set(paid) | set(parts) | set(ext) | set(orders) | set(left) | {c for c, e in emptied.items() if e}
    out: dict[int, WarningFacts] = {}
    for cid in ids:
        recent_year = [a for on, a in volumes.get(cid, []) if on >= today - timedelta(days=LOOK_BACK_DAYS)]
        out[cid] = WarningFacts(
            recent_orders=tuple(orders.get(cid, ())), usual_invoice_minor=_median(recent_year),
            month_volume=_month_volume(volumes.get(cid, [])) if cid in orders else (),
            paid=tuple(paid.get(cid, ())), part_payments=parts.get(cid, 0), extensions=ext.get(cid, 0),
            left=tuple(left.get(cid, ())), emptied_roles=emptied.get(cid, ()))
    return out


def warning_text(w_kind: str, params: dict[str, Any], lang: str, currency: str = "CNY") -> str:
    p = dict(params)
    for k in ("amount", "usual"):
        if k in p:
            p[k] = Money(int(p[k]), currency).display()
    if "role" in p:
        p["role"] = i18n.t(f"contact_role.{p['role']}", lang)
    return i18n.t(f"alert.{w_kind}", lang, **p)


def raise_alerts(app: Any, today: date, run_id: int | None = None) -> AlertReport:
    """Raise today's warnings, once per episode; close the episodes that ended. One transaction."""
    started = time.perf_counter()
    rep = AlertReport()
    with app.uow() as uow:
        pset = policies_for(app, uow)
        default = pset.for_customer(None, None).warnings
        window = max([default.parts_window_days] + [p.warnings.parts_window_days for p in pset.policies.values()])
        recent = max([default.recent_order_days] + [p.warnings.recent_order_days for p in pset.policies.values()])
        facts = gather_warning_facts(uow, today, window, recent)
        customers = {c.id: c for c in uow.collect.customers() if c.id in facts}
        oldest = uow.credit.oldest_overdue(list(customers), today)
        found: dict[int, list[Warning]] = {}
        for cid, f in facts.items():
            cust = customers.get(cid)
            if cust is None:
                continue
            policy = pset.for_customer(cust.policy, cust.segment)
            dpd = (today - oldest[cid]).days if cid in oldest else 0
            ws = detect(replace(f, days_past_due=dpd), policy.warnings, today)
            if ws:
                found[cid] = ws
        seen, open_ = uow.credit.alert_keys()
        rows: list[dict[str, Any]] = []
        still: set[tuple[int, str]] = set()
        for cid, ws in found.items():
            cust = customers[cid]
            for w in ws:
                key = (cid, w.kind.value)
                still.add(key)
                if w.kind in STATE_KINDS:
                    if key in open_:
                        continue
                    anchor = f"since:{today.isoformat()}:{w.anchor}" if w.anchor else f"since:{today.isoformat()}"
                else:
                    anchor = w.anchor
                if (cid, w.kind.value, anchor) in seen:
                    continue
                seen.add((cid, w.kind.value, anchor))
                params = dict(w.params)
                move = w.move.value
                rows.append({"customer_id": cid, "kind": w.kind.value, "anchor": anchor, "raised_on": today,
                             "move": move, "params": params,
                             "reason_zh": _alert_reason(w, params, "zh", cust.currency),
                             "reason_en": _alert_reason(w, params, "en", cust.currency)})
                rep.by_kind[w.kind.value] = rep.by_kind.get(w.kind.value, 0) + 1
                if w.kind is WarningKind.CHRONIC_LATE:
                    rep.visits += 1
                    uow.credit.add_task(
                        customer_id=cid, run_on=today, run_id=run_id, ladder="warning", stage="chronic_late_visit",
                        kind="visit", channel="visit", channels=["visit"], assignee_role="collector",
                        assignee=cust.collector, needs_approval=False, status="open", rule_id="warning-chronic-late",
                        policy_id="warnings", policy_version="1", anchor=anchor, amount_minor=0, currency=cust.currency,
                        invoices=[], params=params, reason_zh=rows[-1]["reason_zh"], reason_en=rows[-1]["reason_en"])
        uow.credit.add_alerts(rows)
        ended = [aid for key, ids in open_.items() if key not in still for aid in ids]
        uow.credit.close_alerts(ended, today)
        uow.commit()
    rep.raised, rep.closed = len(rows), len(ended)
    rep.seconds = time.perf_counter() - started
    return rep


def _alert_reason(w: Warning, params: dict[str, Any], lang: str, currency: str) -> str:
    return warning_text(w.kind.value, params, lang, currency) + " → " + i18n.t(f"alert.move.{w.move.value}", lang)


def list_alerts(app: Any, *, open_only: bool = True, since: date | None = None, customer: str | None = None) -> list[Any]:
    """The credit manager's warnings, the most money at stake first (the customer's overdue money, then
    all it owes; each row carries ``overdue_minor``, ``open_minor`` and ``currency``)."""
    with app.uow(write=False) as uow:
        cid = _customer(uow, customer).id if customer else None
        return list(uow.credit.alerts(open_only, since, cid, today=app.clock.today()))
