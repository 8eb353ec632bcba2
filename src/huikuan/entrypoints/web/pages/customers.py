"""Customer 360, the log-a-contact form (htmx, no page reload), disputes, and the customer search.

Every read and write goes through the user's scope: a customer outside it is "not found" (404)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from .... import i18n
from ....domain.access import mask_email, mask_phone, sees_unmasked
from ....domain.aging import bucket_labels
from ....domain.errors import InvalidInput
from ....domain.ledger import Channel, DisputeCategory, Excuse, Outcome, Role
from ....domain.money import Money
from ....domain.parsing import parse_date
from ....services import collect, risk
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..paging import decode_cursor3, decode_invoice_cursor, encode_cursor, encode_invoice_cursor
from ..templating import render, request_lang

router = APIRouter()
READERS = tuple(r for r in Role if r is not Role.ADMIN)
# Who logs contacts and opens disputes: those who work customers (not finance, admin or the auditor).
WORKERS = (Role.COLLECTOR, Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES,
           Role.SALES_MANAGER, Role.MANAGER, Role.GM, Role.OWNER)
NAV = (NavItem("/customers", "nav.customers", tuple(str(r) for r in READERS), order=20),)
INVOICE_PAGE = 50  # open invoices listed at once: a big dealer has 10^4 (the rest come with "more")


def _contacts(user: Principal, view: Any) -> list[dict[str, Any]]:
    c = view.customer
    unmasked = sees_unmasked(user.roles, user.scope.covers(c.collector, c.sales_owner) and not user.scope.everything)
    out = []
    for k in view.contacts:
        out.append({"name": k.name, "role": k.role, "best_time": k.best_time, "dnc": bool(k.do_not_contact),
                    "phone": k.phone if unmasked else mask_phone(k.phone),
                    "email": k.email if unmasked else mask_email(k.email)})
    return out


@router.get("/customers", dependencies=[requires(*READERS)])
def customers(request: Request, user: Annotated[Principal, Depends(current_user)],
              q: Annotated[str, Query(max_length=60)] = "") -> Response:
    rows = collect.find_customers(request.app.state.hk.app, q, scope=user.scope)
    return render(request, "customers.html", {"rows": rows, "q": q})


@router.get("/customers/{code}", dependencies=[requires(*READERS)])
def customer(request: Request, code: str, user: Annotated[Principal, Depends(current_user)]) -> Response:
    app = request.app.state.hk.app
    v = collect.customer_view(app, code, scope=user.scope, invoice_limit=INVOICE_PAGE)
    entries, nxt = collect.timeline(app, code, scope=user.scope)
    lang = request_lang(request)
    total = sum(v.aging) or 1
    limit = v.customer.credit_limit_minor
    return render(request, "customer.html", {
        "debtor": risk.debtor_profile(app, code, scope=user.scope), "evidence_text": risk.evidence_text,
        "v": v, "c": v.customer, "contacts": _contacts(user, v), "labels": bucket_labels(v.buckets, lang),
        "aging_pct": [round(100 * a / total, 1) for a in v.aging],
        "limit_pct": round(100 * v.open_minor / limit) if limit else None,
        "promised": v.promised, "invoices": v.invoices, "code": code,
        "invoices_next": encode_invoice_cursor(v.invoices_after) if v.invoices_after else None,
        "more_count": min(INVOICE_PAGE, v.invoice_count - len(v.invoices)),
        "entries": entries, "next": encode_cursor(*nxt) if nxt else None,
        "can_work": user.has(*WORKERS), "categories": [c.value for c in DisputeCategory],
        "can_statement": user.has(Role.FINANCE, Role.SUPERVISOR, Role.CREDIT_SUPERVISOR),
        "period": f"{v.as_of.year if v.as_of.month > 1 else v.as_of.year - 1}-{(v.as_of.month - 2) % 12 + 1:02d}",
        "steps": collect.STATEMENT_STEPS,
    })


@router.get("/customers/{code}/timeline", dependencies=[requires(*READERS)])
def timeline(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
             before: Annotated[str | None, Query(max_length=80)] = None) -> Response:
    """The next page of the timeline, as an htmx fragment."""
    entries, nxt = collect.timeline(request.app.state.hk.app, code, scope=user.scope, before=decode_cursor3(before))
    return render(request, "fragments/timeline.html", {"entries": entries, "code": code,
                                                       "next": encode_cursor(*nxt) if nxt else None})


@router.get("/customers/{code}/invoices", dependencies=[requires(*READERS)])
def invoices(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
             after: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """The next open invoices of the customer page (htmx rows for its table)."""
    page = collect.invoice_page(request.app.state.hk.app, code, decode_invoice_cursor(after), INVOICE_PAGE,
                                scope=user.scope)
    return render(request, "fragments/invoice_rows.html", {
        "invoices": page.invoices, "promised": page.promised, "code": code,
        "invoices_next": encode_invoice_cursor(page.after) if page.after else None, "more_count": INVOICE_PAGE})


def _contact_ctx(code: str, cust: Any, contacts: list[Any], values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, action: str | None = None) -> dict[str, Any]:
    return {"code": code, "c": cust, "channels": [c.value for c in Channel],
            "outcomes": [o.value for o in Outcome], "excuses": [e.value for e in Excuse],
            "values": values or {}, "errors": errors or {}, "action": action, "contacts": contacts}


@router.get("/customers/{code}/contact", dependencies=[requires(*WORKERS)])
def contact_form(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
                 action: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    cust, contacts = collect.contact_form_view(request.app.state.hk.app, code, scope=user.scope)
    return render(request, "contact.html", _contact_ctx(code, cust, contacts, {"channel": "phone", "outcome": "reached"},
                                                        action=action))


def _money(text: str, currency: str, field: str) -> int:
    try:
        return Money.parse(text.strip(), currency).minor
    except InvalidInput as e:
        raise InvalidInput(e.code, **{**e.params, "field": field}) from e


def _day(text: str, field: str) -> date:
    try:
        return parse_date(text.strip())
    except (ValueError, InvalidInput) as e:
        raise InvalidInput("input.date", field=field, value=text) from e


def _plan(amount: str, on: str, instalments: str, currency: str) -> list[tuple[int, date]]:
    plan: list[tuple[int, date]] = []
    if amount.strip() or on.strip():
        if not amount.strip():
            raise InvalidInput("input.required", field="promise_amount")
        if not on.strip():
            raise InvalidInput("input.required", field="promise_date")
        plan.append((_money(amount, currency, "promise_amount"), _day(on, "promise_date")))
    for n, line in enumerate((x for x in instalments.splitlines() if x.strip()), start=1):
        parts = re.split(r"[\s,，]+", line.strip())
        if len(parts) != 2:
            raise InvalidInput("contact.instalment_line", field="instalments", line=n, value=line.strip())
        plan.append((_money(parts[0], currency, "instalments"), _day(parts[1], "instalments")))
    return plan


@router.post("/customers/{code}/contact", dependencies=[requires(*WORKERS)])
def log_contact(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
                channel: Annotated[str, Form(max_length=20)], outcome: Annotated[str, Form(max_length=30)],
                excuse: Annotated[str, Form(max_length=30)] = "", note: Annotated[str, Form(max_length=2000)] = "",
                who: Annotated[str, Form(max_length=100)] = "",
                promise_amount: Annotated[str, Form(max_length=30)] = "",
                promise_date: Annotated[str, Form(max_length=30)] = "",
                instalments: Annotated[str, Form(max_length=2000)] = "",
                next_step: Annotated[str, Form(max_length=500)] = "",
                next_on: Annotated[str, Form(max_length=30)] = "") -> Response:
    app = request.app.state.hk.app
    lang = request_lang(request)
    values = {"channel": channel, "outcome": outcome, "excuse": excuse, "note": note, "who": who,
              "promise_amount": promise_amount, "promise_date": promise_date, "instalments": instalments,
              "next_step": next_step, "next_on": next_on}
    cust, contacts = collect.contact_form_view(app, code, scope=user.scope)
    try:
        plan = _plan(promise_amount, promise_date, instalments, cust.currency)
        summary = " · ".join(x for x in (who.strip(), note.strip()) if x) or None
        result = collect.record_contact(app, code, channel, outcome, excuse=excuse or None, note=summary,
                                        promises=plan, next_step=next_step, next_on=_day(next_on, "next_on")
                                        if next_on.strip() else None, actor=user.name, scope=user.scope)
    except InvalidInput as e:
        field = str(e.params.get("field") or "form")
        ctx = _contact_ctx(code, cust, contacts, values, {field: i18n.error_text(e, lang)})
        return render(request, "fragments/contact_form.html", ctx, status=422)
    done = i18n.t("contact.saved", lang, promises=i18n.t("contact.saved_promises", lang, count=len(result.promise_ids))
                  if result.promise_ids else "")
    ctx = _contact_ctx(code, cust, contacts, {"channel": channel, "outcome": "reached"})
    ctx["saved"] = done
    return render(request, "fragments/contact_form.html", ctx)


@router.post("/customers/{code}/disputes", dependencies=[requires(*WORKERS)])
def open_dispute(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
                 invoice: Annotated[str, Form(min_length=1, max_length=60)],
                 category: Annotated[str, Form(max_length=30)],
                 amount: Annotated[str, Form(max_length=30)] = "",
                 note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    app = request.app.state.hk.app
    lang = request_lang(request)
    cust, _ = collect.contact_form_view(app, code, scope=user.scope)
    try:
        minor = _money(amount, cust.currency, "amount") if amount.strip() else None
        did = collect.open_dispute(app, code, invoice, minor, category, note=note or None, actor=user.name,
                                   scope=user.scope)
    except InvalidInput as e:
        return render(request, "fragments/notice.html", {"error": i18n.error_text(e, lang),
                                                         "field": e.params.get("field")}, status=422)
    return render(request, "fragments/notice.html", {"ok": i18n.t("dispute.opened_ok", lang, id=did)},
                  headers={"HX-Trigger": "ledger-changed"})


@router.post("/customers/{code}/disputes/{dispute_id}/resolve", dependencies=[requires(*WORKERS)])
def resolve_dispute(request: Request, code: str, dispute_id: int,
                    user: Annotated[Principal, Depends(current_user)]) -> Response:
    collect.resolve_dispute(request.app.state.hk.app, code, dispute_id, actor=user.name, scope=user.scope)
    return render(request, "fragments/notice.html",
                  {"ok": i18n.t("dispute.resolved_ok", request_lang(request), id=dispute_id)},
                  headers={"HX-Trigger": "ledger-changed"})


@router.post("/customers/{code}/statement", dependencies=[requires(Role.FINANCE, Role.SUPERVISOR,
                                                                   Role.CREDIT_SUPERVISOR)])
def statement_step(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
                   period: Annotated[str, Form(max_length=7)], step: Annotated[str, Form(max_length=20)]) -> Response:
    """Move this period's 对账 statement along (prepared, checked, sent, confirmed)."""
    collect.mark_statement(request.app.state.hk.app, code, period, step, actor=user.name, scope=user.scope)
    return render(request, "fragments/notice.html",
                  {"ok": i18n.t("statement.marked", request_lang(request), customer=code, period=period,
                                step=i18n.t(f"statement.{step}", request_lang(request)))})
