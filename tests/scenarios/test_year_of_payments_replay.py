"""A year and a half of a real-shaped receivables book replayed month by month: IBM's sample
"Accounts Receivable" data (1,930 invoices of 100 customers, 2012-01 … 2013-06, every one settled,
439 disputed), read from ../shared/data and turned into the canonical import format here.

On the first working day of each month the invoices issued and the payments received before it are
imported, disputes are opened a fortnight after the invoice when the invoice is still unpaid then,
and the daily run runs. After every run: no open task or proposal chases money already paid or
disputed, and no customer is suspended (or stopped) while owing nothing overdue. At the end everything
is paid: nothing is left on the worklist but what names no invoice, and the disputes left on paid
invoices are listed and closed in bulk. Both backends.
"""

from __future__ import annotations

import contextlib
import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import RuleViolation
from huikuan.domain.ledger import settled_reason
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import worklist

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ibm_ar_invoices_2012-01_to_2013-06.csv"


def _day(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def _rows() -> list[dict[str, object]]:
    if not DATA.is_file():
        pytest.fail(f"the replay needs {DATA.name} in ../shared/data beside the repository")
    with DATA.open(newline="", encoding="utf-8") as fh:
        return [{"customer": r["customerID"], "number": r["invoiceNumber"], "invoice_on": _day(r["InvoiceDate"]),
                 "due_on": _day(r["DueDate"]), "amount": r["InvoiceAmount"], "disputed": r["Disputed"] == "Yes",
                 "settled_on": _day(r["SettledDate"])} for r in csv.DictReader(fh)]


def _run_days(app) -> list[date]:
    """The first working day of each month from 2012-02 to 2013-09 (20 runs)."""
    cal, out = app.calendar(), []
    for i in range(20):
        d = date(2012 + (1 + i) // 12, (1 + i) % 12 + 1, 1)
        while not cal.is_workday(d):
            d += timedelta(days=1)
        out.append(d)
    return out


def _check(app, day: date, suspensions: bool = True) -> dict[str, int]:
    with app.uow(write=False) as uow:
        customers = list(uow.collect.customers())
        still = uow.collect.collectable_by_number([c.id for c in customers])
        tasks = uow.collect.open_task_invoices()
        rows = uow.collect.aging_rows(day, (0,))
    stale = [(cid, aid, inv) for cid, items in tasks.items() for aid, inv in items
             if settled_reason(inv, still) is not None]
    assert stale == [], f"{day}: {len(stale)} open tasks about money no longer collectable, e.g. {stale[:3]}"
    overdue = {cid: ov for cid, _cur, _a, _d, ov, _o in rows}
    held = [c.code for c in customers if c.credit_status == "suspended" and overdue.get(c.id, 0) <= 0]
    assert not suspensions or held == [], f"{day}: suspended while owing nothing overdue: {held}"
    return {"open": len(worklist(app, day)), "suspended": sum(c.credit_status == "suspended" for c in customers)}


def test_a_year_of_payments_leaves_nothing_stale(app, clock):
    rows = _rows()
    assert len(rows) == 1930
    imported: set[str] = set()
    paid: set[str] = set()
    disputed: set[str] = set()
    customers: set[str] = set()
    closed = lifted = 0
    for day in _run_days(app):
        clock.set(day)
        new_customers = sorted({r["customer"] for r in rows if r["invoice_on"] < day} - customers)
        if new_customers:
            import_rows(app, "customers", [{"customer_code": c, "name": f"IBM 样本客户 {c}", "terms": "net 30",
                                            "credit_limit": "5000.00"} for c in new_customers])
            customers.update(new_customers)
        invoices = [r for r in rows if r["invoice_on"] < day and r["number"] not in imported]
        if invoices:
            import_rows(app, "invoices", [{"invoice_no": r["number"], "customer_code": r["customer"],
                                           "invoice_date": r["invoice_on"].isoformat(),
                                           "due_date": r["due_on"].isoformat(), "amount": r["amount"]}
                                          for r in invoices])
            imported.update(r["number"] for r in invoices)
        # A dispute is raised two weeks after the invoice, if it is still unpaid then.
        with app.uow() as uow:
            for r in rows:
                raised = r["invoice_on"] + timedelta(days=14)
                if r["disputed"] and r["number"] not in disputed and raised < day and r["settled_on"] > raised:
                    with contextlib.suppress(RuleViolation):  # nothing undisputed left open
                        ledger.open_dispute(uow, r["number"], None, "quality", raised, by=BY)
                    disputed.add(r["number"])
            uow.commit()
        payments = [r for r in rows if r["settled_on"] < day and r["number"] not in paid]
        if payments:
            import_rows(app, "payments", [{"payment_no": f"P{r['number']}", "customer_code": r["customer"],
                                           "payment_date": r["settled_on"].isoformat(), "amount": r["amount"],
                                           "invoice_no": r["number"]} for r in payments])
            paid.update(r["number"] for r in payments)
        _check(app, day, suspensions=False)  # the imports closed what they settled; the run lifts suspensions
        rep = run_daily(app, day)
        assert rep.errors == []
        closed += rep.closed
        lifted += sum(a.kind.value == "credit_resume" for a in rep.actions)
        _check(app, day)
    assert paid == imported and len(paid) == 1930
    last = _run_days(app)[-1]
    left = worklist(app, last)
    assert all(not r.invoices for r in left), [r.kind for r in left if r.invoices]
    with app.engine.connect() as c:
        statuses = set(c.execute(select(t.customer.c.credit_status)).scalars())
        settled = c.execute(select(t.action.c.decision_note).where(t.action.c.status == "cancelled",
                                                                   t.action.c.decision_note.in_(["paid", "disputed"])))
        n_settled = len(settled.all())
    assert "suspended" not in statuses
    assert n_settled > 0 and lifted > 0
    with app.uow() as uow:
        on_paid = ledger.unresolved_disputes(uow, paid_only=True)
        assert on_paid and len(on_paid) == len(ledger.unresolved_disputes(uow))  # every invoice is paid
        ledger.resolve_paid_disputes(uow, last, by=BY)
        uow.commit()
        assert ledger.unresolved_disputes(uow) == [] and ledger.recompute_open(uow) == []
