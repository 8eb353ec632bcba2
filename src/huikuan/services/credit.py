"""Credit control use cases: the order desk's check, overrides of a hold, orders and deliveries
entered one at a time (the API), credit applications and the limit history.

The rules are pure (``domain.credit``); this module gathers the customer's facts through
``uow.credit`` / ``uow.customers``, records every check (who asked, when, what it answered) and
renders reasons in zh-CN and en. Bad input raises before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

from .. import i18n
from ..domain.credit import (
    ROLE_RANK,
    CreditDecision,
    CreditFacts,
    Decision,
    Exposure,
    LimitRule,
    Override,
    Reason,
    ReviewFacts,
    ReviewLine,
    UnpaidDelivery,
    approver_for,
    check_credit,
    may_approve,
    review,
    term_days,
)
from ..domain.errors import InvalidInput, NotFound, RuleViolation
from ..domain.ledger import CreditStatus, Role
from ..domain.money import Money
from ..domain.policy.model import Policy
from ..domain.terms import Cash, due_date, parse_terms
from . import audit
from .policies import PolicySet, load_policies

_POLICY_CACHE: dict[tuple[Any, ...], PolicySet] = {}


def policies_for(app: Any, uow: Any) -> PolicySet:
    """The policy set, parsed once per set of files and modification times (the order desk asks
    many times a minute; re-reading TOML each time would cost more than the check itself)."""
    from .policies import SHIPPED

    dirs = [SHIPPED, *app.policy_dirs()]
    stamp = tuple((str(p), os.stat(p).st_mtime_ns) for d in dirs for p in sorted(Path(d).glob("*.toml")))
    segs = uow.credit.segment_policies()
    key = (stamp, tuple(sorted(segs.items())))
    found = _POLICY_CACHE.get(key)
    if found is None:
        found = load_policies(app.policy_dirs(), segs)
        _POLICY_CACHE.clear()
        _POLICY_CACHE[key] = found
    return found


@dataclass(frozen=True)
class CheckResult:
    customer: str
    customer_name: str
    currency: str
    amount_minor: int
    as_of: date
    order: str | None
    result: CreditDecision
    check_id: int

    @property
    def decision(self) -> Decision:
        return self.result.decision

    def to_json(self, lang: str) -> dict[str, Any]:
        r = self.result
        return {
            "customer": self.customer,
            "amount_minor": self.amount_minor,
            "decision": r.decision.value,
            "reasons": [{"code": x.code.value, "text": reason_text(x, lang, self.currency)} for x in r.reasons],
            "exposure_minor": r.exposure_minor,
            "limit_minor": r.limit_minor,
            "available_minor": r.available_minor,
            "as_of": self.as_of.isoformat(),
        }


def reason_text(r: Reason, lang: str, currency: str = "CNY") -> str:
    params: dict[str, Any] = dict(r.params)
    for k in ("exposure", "amount", "limit", "excess", "open"):
        if k in params:
            params[k] = Money(int(params[k]), currency).display()
    params["decision"] = i18n.t(f"credit.decision.{r.decision.value}", lang)
    return i18n.t(f"credit.reason.{r.code.value}", lang, **params)


def _customer(uow: Any, code: str, scope: Any = None) -> Any:
    row = uow.customers.by_code(code, scope)
    if row is None:
        raise NotFound("customer.not_found", what="customer", value=code)
    return row


def _positive(amount_minor: int, field: str = "amount") -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("credit.amount_not_positive", field=field, value=amount_minor)


def gather_facts(uow: Any, cust: Any, today: date, exclude_order: str | None = None) -> CreditFacts:
    """The customer's credit facts on ``today``: exposure and its unpaid deliveries."""
    repo = uow.credit
    cur = cust.currency
    invoices = repo.unpaid_invoices(cust.id, cur)
    unbilled = repo.unbilled_deliveries(cust.id, cur)
    try:
        terms = parse_terms(cust.terms)
    except InvalidInput:
        terms = Cash()
    unpaid = [UnpaidDelivery(n, due, o - d) for n, due, o, d in invoices if o - d > 0]
    unpaid += [UnpaidDelivery(n, due_date(on, terms), amt) for n, on, amt in unbilled if amt > 0]
    exposure = Exposure(
        open_ar_minor=sum(o for _, _, o, _ in invoices),
        unbilled_deliveries_minor=sum(a for _, _, a in unbilled),
        open_orders_minor=repo.open_orders_minor(cust.id, cur, exclude_order),
        unmatured_commercial_minor=repo.unmatured_commercial_minor(cust.id, cur, today),
    )
    return CreditFacts(
        credit_status=CreditStatus(cust.credit_status), shipment_locked=bool(cust.shipment_locked),
        deliver_two_settle_one=bool(cust.deliver_two_settle_one), cash_terms=isinstance(terms, Cash),
        limit_minor=int(cust.credit_limit_minor), exposure=exposure, unpaid=tuple(unpaid))


def _policy(app: Any, uow: Any, cust: Any) -> Policy:
    return policies_for(app, uow).for_customer(cust.policy, cust.segment)


def _check_order_number(uow: Any, cust: Any, customer_code: str, order: str, amount_minor: int) -> None:
    repo = uow.credit
    known = repo.order(order)
    if known is not None and known.customer_id != cust.id:
        raise InvalidInput("credit.order_other_customer", order=order, customer=customer_code)
    if known is not None and int(known.amount_minor) != amount_minor:
        raise InvalidInput("credit.order_amount_differs", order=order,
                           amount=Money(int(known.amount_minor), cust.currency).display(),
                           given=Money(amount_minor, cust.currency).display())
    earlier = repo.last_check_of_order(order)
    if earlier is not None and (earlier.customer_id != cust.id or int(earlier.amount_minor) != amount_minor):
        raise InvalidInput("credit.order_checked_other_amount", order=order,
                           amount=Money(int(earlier.amount_minor), cust.currency).display(),
                           given=Money(amount_minor, cust.currency).display())


def check_order(app: Any, customer_code: str, amount_minor: int, *, order: str | None = None,
                as_of: date | None = None, actor: str | None = None, scope: Any = None) -> CheckResult:
    """May we ship this order on credit? Records the check; raises on bad input with nothing written.

    The facts are read in a read-only unit of work (on SQLite: no write lock while the clerk's answer
    is computed); the record is written in a short second one, which checks the order number again so
    two desks cannot record one order with two amounts."""
    _positive(amount_minor)
    order = (order or "").strip() or None
    today = as_of or app.clock.today()
    with app.uow(write=False) as uow:
        cust = uow.credit.customer_for_check(customer_code)
        if cust is None or (scope is not None and not scope.covers(cust.collector, cust.sales_owner)):
            raise NotFound("customer.not_found", what="customer", value=customer_code)
        if order is not None:
            _check_order_number(uow, cust, customer_code, order, amount_minor)
        facts = gather_facts(uow, cust, today, exclude_order=order)
        policy = _policy(app, uow, cust)
        ov = None
        if order is not None:
            row = uow.credit.approved_override(cust.id, order)
            if row is not None:
                ov = Override(int(row.id), row.order_number, int(row.amount_minor), row.requested_by,
                              row.decided_by or "", row.reason)
    result = check_credit(facts, amount_minor, policy.credit_check, today, ov)
    with app.uow() as uow:
        if order is not None:
            _check_order_number(uow, cust, customer_code, order, amount_minor)
        check_id = uow.credit.add_check(
            customer_id=cust.id, order_number=order, amount_minor=amount_minor, as_of=today,
            checked_at=app.clock.now().astimezone(UTC).replace(tzinfo=None), decision=result.decision.value,
            reasons=[{"code": r.code.value, "decision": r.decision.value, **r.param_dict()} for r in result.reasons],
            exposure_minor=result.exposure_minor, limit_minor=result.limit_minor,
            override_id=result.override.id if result.override else None, actor=actor)
        uow.commit()
    return CheckResult(cust.code, cust.name, cust.currency, amount_minor, today, order, result, check_id)


# ── overrides: a hold lifted only through an approval on record ──────────────────────────────


def request_override(app: Any, customer_code: str, order: str, amount_minor: int, *, requested_by: str,
                     reason: str, scope: Any = None) -> int:
    """Ask a supervisor to let this order ship despite a hold (who asks, why, which order and amount)."""
    _positive(amount_minor)
    order = (order or "").strip()
    if not order:
        raise InvalidInput("credit.override_needs_order")
    if not (requested_by or "").strip():
        raise InvalidInput("credit.override_needs_person", field="requested_by")
    if not (reason or "").strip():
        raise InvalidInput("credit.override_needs_reason")
    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        known = uow.credit.order(order)
        if known is not None and known.customer_id != cust.id:
            raise InvalidInput("credit.order_other_customer", order=order, customer=customer_code)
        oid = uow.credit.add_override(
            customer_id=cust.id, order_number=order, amount_minor=amount_minor, requested_by=requested_by.strip(),
            requested_at=app.clock.now().astimezone(UTC).replace(tzinfo=None), reason=reason.strip(),
            status="pending")
        audit.record(uow, app.clock.now(), requested_by.strip(), "credit.override_request", "credit_override", oid,
                     customer_id=cust.id, after={"order": order, "amount_minor": amount_minor, "reason": reason.strip()})
        uow.commit()
    return int(oid)


def decide_override(app: Any, override_id: int, approve: bool, *, by: str, note: str | None = None) -> Any:
    """A supervisor approves or rejects; the one who asked cannot approve their own request."""
    if not (by or "").strip():
        raise InvalidInput("credit.override_needs_person", field="by")
    with app.uow() as uow:
        row = uow.credit.override(override_id)
        if row is None:
            raise NotFound("credit.override_not_found", what="override", value=override_id)
        if row.status != "pending":
            raise RuleViolation("credit.override_already_decided", id=override_id, status=row.status)
        if approve and row.requested_by == by.strip():
            raise RuleViolation("credit.override_self_approval", id=override_id, person=by)
        status = "approved" if approve else "rejected"
        uow.credit.decide_override(override_id, status, by.strip(), app.clock.now().astimezone(UTC).replace(tzinfo=None),
                                   note)
        audit.record(uow, app.clock.now(), by.strip(), f"credit.override_{status}", "credit_override", override_id,
                     customer_id=row.customer_id, before={"status": "pending"},
                     after={"status": status, "order": row.order_number, "amount_minor": int(row.amount_minor),
                            "requested_by": row.requested_by, "note": note})
        uow.commit()
        return uow.credit.override(override_id)


def list_overrides(app: Any, status: str | None = None) -> list[Any]:
    with app.uow(write=False) as uow:
        return list(uow.credit.overrides(status))


def override_reasons(app: Any, rows: list[Any], as_of: date | None = None) -> dict[int, CreditDecision]:
    """What a check of each pending override's order says now (the supervisor sees why it was held)."""
    today = as_of or app.clock.today()
    out: dict[int, CreditDecision] = {}
    with app.uow(write=False) as uow:
        for r in rows:
            cust = uow.credit.customer_for_check(r.customer_code)
            facts = gather_facts(uow, cust, today, exclude_order=r.order_number)
            out[r.id] = check_credit(facts, int(r.amount_minor), _policy(app, uow, cust).credit_check, today)
    return out


# ── orders and deliveries, one at a time (the ERP's POST /api/v1/orders) ─────────────────────


def record_order(app: Any, number: str, customer_code: str, ordered_on: date, amount_minor: int, *,
                 actor: str | None = None, scope: Any = None) -> int:
    """An open sales order; it counts in the customer's exposure until delivered, closed or cancelled.

    Posting the same order again with the same figures changes nothing; with different figures it is
    refused (an ERP resending an order must not silently change what was checked)."""
    number = (number or "").strip()
    if not number:
        raise InvalidInput("order.number_missing")
    _positive(amount_minor)
    with app.uow() as uow:
        cust = _customer(uow, customer_code, scope)
        known = uow.credit.order(number)
        if known is not None:
            if known.customer_id != cust.id or int(known.amount_minor) != amount_minor or known.ordered_on != ordered_on:
                raise InvalidInput("order.conflict", order=number)
            return int(known.id)
        oid = uow.credit.add_order(customer_id=cust.id, number=number, ordered_on=ordered_on,
                                   amount_minor=amount_minor, currency=cust.currency, status="open")
        audit.record(uow, app.clock.now(), actor, "order.add", "sales_order", number, customer_id=cust.id,
                     after={"ordered_on": ordered_on, "amount_minor": amount_minor})
        uow.commit()
    return int(oid)


def record_delivery(app: Any, number: str, customer_code: str, delivered_on: date, amount_minor: int, *,
                    order: str | None = None, signed_by: str | None = None, signed_on: date | None = None,
                    invoice: str | None = None) -> int:
    """A delivery note (送货单). It names an order we know, of the same customer; once it names an
    invoice it is that invoice's evidence and no longer unbilled."""
    number = (number or "").strip()
    if not number:
        raise InvalidInput("delivery.number_missing")
    _positive(amount_minor)
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        if order:
            known = uow.credit.order(order)
            if known is None:
                raise NotFound("delivery.unknown_order", order=order, delivery=number)
            if known.customer_id != cust.id:
                raise InvalidInput("credit.order_other_customer", order=order, customer=customer_code)
        if uow.credit.delivery(number) is not None:
            raise InvalidInput("delivery.duplicate", value=number)
        did = uow.credit.add_delivery(customer_id=cust.id, number=number, order_number=order or None,
                                      delivered_on=delivered_on, amount_minor=amount_minor, currency=cust.currency,
                                      signed_by=signed_by, signed_on=signed_on, invoice_number=invoice or None)
        uow.commit()
    return int(did)


def link_delivery(app: Any, number: str, invoice: str) -> None:
    """The delivery note becomes the evidence of ``invoice`` (same customer): it is billed from now on."""
    with app.uow() as uow:
        d = uow.credit.delivery(number)
        if d is None:
            raise NotFound("delivery.not_found", value=number)
        inv = uow.customers.invoice_by_number(invoice)
        if inv is None or inv.customer_id != d.customer_id:
            raise NotFound("invoice.not_of_customer", what="invoice", value=invoice, customer=number)
        uow.credit.update_delivery(number, invoice_number=invoice)
        uow.commit()


# ── credit applications, limit changes, the periodic review ─────────────────────────────────


def apply_for_credit(app: Any, customer_code: str, requested_limit_minor: int, *, reasoning: str,
                     requested_by: str, terms: str | None = None, references: str | None = None) -> tuple[int, Role]:
    """A new customer's or a raised limit's application; returns (id, the role that must approve)."""
    if isinstance(requested_limit_minor, bool) or requested_limit_minor < 0:
        raise InvalidInput("credit.amount_not_positive", field="limit", value=requested_limit_minor)
    if not (reasoning or "").strip():
        raise InvalidInput("credit.application_needs_reasoning")
    if not (requested_by or "").strip():
        raise InvalidInput("credit.override_needs_person", field="requested_by")
    if terms:
        parse_terms(terms)  # terms.invalid names the text
    role = approver_for(requested_limit_minor)
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        aid = uow.credit.add_application(
            customer_id=cust.id, requested_limit_minor=requested_limit_minor, terms=terms, refs=references,
            reasoning=reasoning.strip(), requested_by=requested_by.strip(), requested_on=app.clock.today(),
            required_role=role.value, status="pending")
        uow.commit()
    return int(aid), role


def decide_application(app: Any, application_id: int, approve: bool, *, by: str, role: str,
                       note: str | None = None) -> Any:
    """Approve or reject; only the role the amount calls for (or a higher one) may approve. An approval
    sets the limit (and terms) and writes the limit change with its reason."""
    try:
        as_role = Role(role)
    except ValueError as e:
        raise InvalidInput("input.enum", field="role", value=role, allowed=", ".join(r.value for r in ROLE_RANK)) from e
    if not (by or "").strip():
        raise InvalidInput("credit.override_needs_person", field="by")
    today = app.clock.today()
    with app.uow() as uow:
        row = uow.credit.application(application_id)
        if row is None:
            raise NotFound("credit.application_not_found", value=application_id)
        if row.status != "pending":
            raise RuleViolation("credit.application_already_decided", id=application_id, status=row.status)
        required = Role(row.required_role)
        if approve and not may_approve(as_role, required):
            raise RuleViolation("credit.application_needs_role", id=application_id, role=required.value,
                                given=as_role.value)
        uow.credit.decide_application(application_id, "approved" if approve else "rejected", by.strip(), today, note)
        audit.record(uow, app.clock.now(), by.strip(), "credit.application_" + ("approved" if approve else "rejected"),
                     "credit_application", application_id, customer_id=row.customer_id,
                     after={"limit_minor": int(row.requested_limit_minor), "role": as_role.value, "note": note})
        if approve:
            cust = uow.credit.customer_by_id(row.customer_id)
            uow.credit.add_limit_change(customer_id=row.customer_id, changed_on=today,
                                        old_minor=int(cust.credit_limit_minor), new_minor=int(row.requested_limit_minor),
                                        reason="application", note=row.reasoning, by=by.strip(), ref_id=application_id)
            uow.credit.set_limit(row.customer_id, int(row.requested_limit_minor))
            if row.terms:
                uow.customers.update_customer(row.customer_id, terms=parse_terms(row.terms).text())
        uow.commit()
        return uow.credit.application(application_id)


def set_limit(app: Any, customer_code: str, new_limit_minor: int, *, reason: str, by: str,
              note: str | None = None) -> int:
    """A limit change outside an application (review, manual): always with its reason on record."""
    if isinstance(new_limit_minor, bool) or new_limit_minor < 0:
        raise InvalidInput("credit.amount_not_positive", field="limit", value=new_limit_minor)
    if reason not in LIMIT_REASONS:
        raise InvalidInput("input.enum", field="reason", value=reason, allowed=", ".join(LIMIT_REASONS))
    with app.uow() as uow:
        cust = _customer(uow, customer_code)
        cid = uow.credit.add_limit_change(customer_id=cust.id, changed_on=app.clock.today(),
                                          old_minor=int(cust.credit_limit_minor), new_minor=new_limit_minor,
                                          reason=reason, note=note, by=by)
        audit.record(uow, app.clock.now(), by, "credit.limit_set", "customer", cust.code, customer_id=cust.id,
                     before={"credit_limit_minor": int(cust.credit_limit_minor)},
                     after={"credit_limit_minor": new_limit_minor, "reason": reason})
        uow.credit.set_limit(cust.id, new_limit_minor)
        uow.commit()
    return int(cid)


LIMIT_REASONS = ("application", "review", "resume_cut", "blacklist", "manual")


def limit_history(app: Any, customer_code: str) -> list[Any]:
    with app.uow(write=False) as uow:
        return list(uow.credit.limit_changes(_customer(uow, customer_code).id))


def list_applications(app: Any, status: str | None = None) -> list[Any]:
    with app.uow(write=False) as uow:
        return list(uow.credit.applications(status))


@dataclass(frozen=True)
class ReviewRow:
    code: str
    name: str
    currency: str
    limit_minor: int
    exposure_minor: int
    days_past_due: int | None
    grade: str
    late_before: int | None
    late_recent: int | None
    line: ReviewLine


def _avg(xs: list[int]) -> int | None:
    return sum(xs) // len(xs) if xs else None


def credit_review(app: Any, as_of: date | None = None) -> list[ReviewRow]:
    """The periodic review: customers whose limit use, payment days or limit against their purchases
    call for a look, each with the suggested limit (docs/credit.md, "Suggested limit")."""
    today = as_of or app.clock.today()
    year = today - timedelta(days=365)
    recent = today - timedelta(days=90)
    out: list[ReviewRow] = []
    with app.uow(write=False) as uow:
        repo = uow.credit
        pset = policies_for(app, uow)
        ar = repo.open_ar_by_customer()
        volume = repo.invoiced_since(year)
        oldest = repo.oldest_overdue_all(today)
        late: dict[int, tuple[list[int], list[int]]] = {}
        for cid, _, due_on, paid_on in repo.paid_invoices(year):
            before, after = late.setdefault(cid, ([], []))
            (after if paid_on >= recent else before).append(max(0, (paid_on - due_on).days))
        for cust in uow.collect.customers():
            if cust.id not in ar and cust.id not in volume:
                continue
            try:
                terms = parse_terms(cust.terms)
            except InvalidInput:
                terms = Cash()
            b, a = late.get(cust.id, ([], []))
            facts = ReviewFacts(int(cust.credit_limit_minor), ar.get(cust.id, 0), volume.get(cust.id, 0) // 12,
                                term_days(terms), isinstance(terms, Cash), cust.credit_status == "blacklisted",
                                _avg(b), _avg(a), _avg(b + a))
            line = review(facts, LimitRule())
            if not line.flags:
                continue
            dpd = (today - oldest[cust.id]).days if cust.id in oldest else None
            grade = pset.for_customer(cust.policy, cust.segment).grades.grade(dpd).value
            out.append(ReviewRow(cust.code, cust.name, cust.currency, facts.limit_minor, facts.exposure_minor, dpd,
                                 grade, facts.late_before, facts.late_recent, line))
    return out
