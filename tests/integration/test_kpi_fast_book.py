"""The KPI book's fast reads give the figures of the plain computation, on random histories, both backends.

The fast path (``services/kpi.load_book``): the month's invoices read in one ordered join with their
allocations turned into settlements as rows arrive, and each segment's or collector's monthly sales summed
in SQL. The plain one (here): EVERY invoice of the company currency with ALL its allocations, straight from
the tables, and each group's sales summed from per-customer sales in Python. ``huikuan kpi`` (company and
every grouping) and the monthly report's sections must come out identical."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.kpi import Book, InvoiceFacts, Settlement, month_of, parse_month
from huikuan.domain.money import Money
from huikuan.services import kpi as kpi_svc
from huikuan.services import ledger
from huikuan.services import monthly_report as report_svc
from huikuan.services.audit import By
from huikuan.services.collect import record_promise
from huikuan.services.import_ import import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))
FIRST = date(2025, 9, 1)
MONTHS = ("2026-02", "2026-06", "2026-09")


def _random_history(app: Any, seed: int) -> None:
    """Customers in segments and with collectors (some without either), invoices over a year in the company
    currency and a few in USD, payments split over several days (before, in and after each month), credit
    notes, write-offs, disputes and promises."""
    rnd = random.Random(seed)
    segments = ["内销", "出口", "政府", None, ""]
    collectors = ["张伟", "李娜", None]
    customers = [{"customer_code": f"K{c}", "name": f"客户{c}", "terms": "net 30",
                  "segment": rnd.choice(segments) or "", "collector": rnd.choice(collectors) or ""}
                 for c in range(9)]
    customers.append({"customer_code": "U1", "name": "美元客户", "terms": "net 30", "currency": "USD"})
    import_rows(app, "customers", customers)
    invoices, payments, notes = [], [], []
    for n in range(70):
        usd = rnd.random() < 0.1
        on = FIRST + timedelta(days=rnd.randrange(400))
        amount = rnd.randrange(1, 500) * 100 + rnd.choice((0, 1, 99))
        invoices.append({"invoice_no": f"I{n:03d}", "customer_code": "U1" if usd else f"K{rnd.randrange(9)}",
                         "invoice_date": on.isoformat(), "due_date": (on + timedelta(days=rnd.choice((0, 15, 30, 60)))).isoformat(),
                         "amount": f"{amount // 100}.{amount % 100:02d}", "currency": "USD" if usd else ""})
        left = amount
        for k in range(rnd.choice((0, 1, 1, 2, 3))):
            if left <= 0:
                break
            part = left if k == 2 or rnd.random() < 0.4 else rnd.randrange(1, left + 1)
            left -= part
            when = (on + timedelta(days=rnd.randrange(0, 150))).isoformat()
            row = {"customer_code": invoices[-1]["customer_code"], "amount": f"{part // 100}.{part % 100:02d}",
                   "invoice_no": f"I{n:03d}"}
            if rnd.random() < 0.2 and not usd:
                notes.append({**row, "credit_note_no": f"CN{n:03d}-{k}", "date": when})
            else:
                payments.append({**row, "payment_no": f"P{n:03d}-{k}", "payment_date": when,
                                 "currency": "USD" if usd else ""})
    for kind, rows in (("invoices", invoices), ("payments", payments), ("credit-notes", notes)):
        report = import_rows(app, kind, rows)
        assert not report.problems, (kind, report.problems[:3])
    with app.uow() as uow:
        for inv in rnd.sample([i for i in invoices if not i["currency"]], 6):
            open_minor = uow.c.execute(select(t.invoice.c.open_minor).where(
                t.invoice.c.number == inv["invoice_no"])).scalar_one()
            if open_minor > 1:
                on = date.fromisoformat(inv["invoice_date"]) + timedelta(days=rnd.randrange(30, 200))
                ledger.write_off(uow, inv["invoice_no"], Money(rnd.randrange(1, open_minor), "CNY"), "破产", on, by=BY)
        for inv in rnd.sample(invoices, 8):
            opened = date.fromisoformat(inv["invoice_date"]) + timedelta(days=rnd.randrange(5, 90))
            try:
                did = ledger.open_dispute(uow, inv["invoice_no"], None, "quality", opened, by=BY)
            except Exception:  # noqa: BLE001 — nothing undisputed open now: no dispute to open
                continue
            if rnd.random() < 0.5:
                ledger.resolve_dispute(uow, did, opened + timedelta(days=rnd.randrange(1, 60)), by=BY)
        uow.commit()
    for _ in range(10):
        made = FIRST + timedelta(days=rnd.randrange(380))
        record_promise(app, f"K{rnd.randrange(9)}", rnd.randrange(1, 3000) * 100,
                       made + timedelta(days=rnd.randrange(1, 30)), made_on=made)


def _plain(app: Any, month: str) -> kpi_svc.Loaded:
    """The month's book the plain way: the invoices of the company currency with every allocation, and
    per-customer monthly sales (of every invoice) for the groups."""
    fast = kpi_svc.load_book(app, month)
    _, end = parse_month(month)
    i, a = t.invoice.c, t.allocation.c
    with app.uow(write=False) as uow:
        settlements: dict[int, list[Settlement]] = defaultdict(list)
        for iid, on, minor, pid in uow.c.execute(select(a.invoice_id, a.allocated_on, a.amount_minor, a.payment_id)
                                                    .order_by(a.id)):
            settlements[iid].append(Settlement(on, minor, pid is not None))
        rows = uow.c.execute(select(i.id, i.customer_id, i.invoice_on, i.due_on, i.amount_minor)
                                .where(i.currency == fast.currency, i.invoice_on <= end).order_by(i.id)).all()
    invoices = [InvoiceFacts(iid, cid, on, due, amt, tuple(settlements[iid])) for iid, cid, on, due, amt in rows]
    # the book holds the invoices open at some point from the day before the month on (still open, or
    # money allocated from that day on): a group without one is not listed
    since = parse_month(month)[0] - timedelta(days=1)
    book_invoices = [inv for inv in invoices if inv.amount_minor != sum(s.minor for s in inv.settlements)
                     or any(s.on >= since for s in inv.settlements)]
    per_customer: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    company: dict[str, int] = defaultdict(int)
    for inv in invoices:
        per_customer[inv.customer_id][month_of(inv.invoice_on)] += inv.amount_minor
        company[month_of(inv.invoice_on)] += inv.amount_minor
    f = fast.book
    book = Book(book_invoices, dict(company), f.disputes, f.promises, f.payments, f.customers)
    return kpi_svc.Loaded(book, fast.currency, {c: dict(v) for c, v in per_customer.items()}, {}, None,
                          fast.customer_rows)


@pytest.mark.parametrize("seed", [3, 11])
def test_fast_kpi_book_equals_the_plain_computation(app: Any, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _random_history(app, seed)
    with app.uow(write=False) as uow:
        assert ledger.recompute_open(uow) == []  # open_minor = amount − allocations, which the fast read uses
    reads: list[str] = []  # the oldest month of each sales read by one report
    outcomes: set[tuple[str, ...]] = set()  # both: the recent months were enough, and all were read after them
    real_read = kpi_svc._read_sales
    monkeypatch.setattr(kpi_svc, "_read_sales", lambda app, loaded, month, pc, by, sales_from: (
        reads.append(sales_from), real_read(app, loaded, month, pc, by, sales_from))[-1])
    for month in MONTHS:
        plain = _plain(app, month)
        assert plain.book.invoices, month
        for by in (None, "segment", "collector", "grade"):
            reads.clear()
            fast = kpi_svc.kpi_report(app, month, by)
            outcomes.add(tuple(reads))
            assert fast == kpi_svc.kpi_report(app, month, by, loaded=plain), (month, by)
            assert by is None or fast.groups, (month, by)
        fast_report = report_svc.monthly_report(app, month)
        with monkeypatch.context() as m:
            m.setattr(kpi_svc, "load_book", lambda *a, _plain=plain, **k: _plain)
            plain_report = report_svc.monthly_report(app, month)
        assert fast_report == plain_report, month
    assert {len(o) for o in outcomes} == {1, 2} and all(o[0] and not o[1:] or o[1] == "" for o in outcomes), outcomes
