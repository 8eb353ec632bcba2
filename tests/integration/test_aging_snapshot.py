"""The per-customer aging snapshot (issue 8 item 8) is exactly the full recomputation from the invoices
after any history of payments, credit notes, write-offs, disputes and imports — whichever code path
wrote — and ``aging`` reads it for today. Both backends."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.aging import DEFAULT_BUCKETS
from huikuan.domain.errors import ImportRejected, NotFound, RuleViolation
from huikuan.domain.money import Money
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import aging

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)


def snapshot_and_full(app: App) -> tuple[list[object] | None, list[object]]:
    today = app.clock.today()
    with app.uow(write=False) as uow:
        snap = uow.aging.rows(today)
        full = uow.collect.aging_rows(today, DEFAULT_BUCKETS)
    return (None if snap is None else sorted(snap, key=repr)), sorted(full, key=repr)


def test_without_a_run_today_aging_computes_from_the_invoices(app: App) -> None:
    import_rows(app, "customers", [{"customer_code": "C1", "name": "甲", "terms": "net 30"}])
    import_rows(app, "invoices", [{"invoice_no": "A", "customer_code": "C1", "invoice_date": "2026-09-01",
                                   "amount": "100.00"}])
    assert snapshot_and_full(app)[0] is None
    assert aging(app).rows[0].total == 10000


@pytest.mark.parametrize("seed", [1, 2])
def test_snapshot_equals_full_recompute_after_random_histories(app: App, seed: int) -> None:
    rng = random.Random(seed)
    customers = [f"C{i}" for i in range(4)]
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "terms": "net 30"} for c in customers])
    owner: dict[str, str] = {}
    today = app.clock.today()
    for i in range(12):
        number, c = f"S{i}", rng.choice(customers)
        day = today - timedelta(days=rng.randint(0, 500))
        import_rows(app, "invoices", [{"invoice_no": number, "customer_code": c, "invoice_date": day.isoformat(),
                                       "amount": f"{rng.randint(1, 9000)}.{rng.randint(0, 99):02d}"}])
        owner[number] = c
    run_daily(app, today)
    snap, full = snapshot_and_full(app)
    assert snap is not None and snap == full and len(full) == len(set(owner.values()))
    disputes: list[int] = []
    for step in range(40):
        op = rng.choice(["invoice", "reimport", "pay", "pay", "pay_import", "credit", "write_off", "dispute",
                         "resolve", "run"])
        c = rng.choice(customers)
        amount = Money(rng.randint(1, 400_000), "CNY")
        own = [n for n, o in owner.items() if o == c]
        named = rng.choice(own) if own and rng.random() < 0.6 else None
        try:
            if op == "invoice":
                number = f"N{step}"
                import_rows(app, "invoices", [{"invoice_no": number, "customer_code": c, "amount": amount.amount_text(),
                                               "invoice_date": (today - timedelta(days=rng.randint(0, 400))).isoformat()}])
                owner[number] = c
            elif op == "reimport" and own:  # an ERP export with a changed amount
                number = rng.choice(own)
                import_rows(app, "invoices", [{"invoice_no": number, "customer_code": c, "amount": amount.amount_text(),
                                               "invoice_date": (today - timedelta(days=90)).isoformat()}])
            elif op == "pay_import":
                import_rows(app, "payments", [{"payment_no": f"P{step}", "customer_code": c,
                                               "payment_date": today.isoformat(), "amount": amount.amount_text()}])
            elif op == "run":
                run_daily(app, today)
            else:
                with app.uow() as uow:
                    if op == "pay":
                        ledger.record_payment(uow, c, amount, today, invoice_number=named, by=BY)
                    elif op == "credit":
                        ledger.record_credit_note(uow, c, amount, today, invoice_number=named, by=BY)
                    elif op == "write_off" and named:
                        ledger.write_off(uow, named, amount, "test", today, by=BY)
                    elif op == "dispute" and named:
                        disputes.append(ledger.open_dispute(uow, named, Money(amount.minor // 7 + 1, "CNY"),
                                                            "quality", today, by=BY))
                    elif op == "resolve" and disputes:
                        ledger.resolve_dispute(uow, disputes.pop(rng.randrange(len(disputes))), today, by=BY)
                    uow.commit()
        except (RuleViolation, NotFound, ImportRejected):
            pass  # refused (more than is open, below what is allocated …): nothing written
        snap, full = snapshot_and_full(app)
        assert snap == full, (step, op)
    app.clock.advance(days=1)  # tomorrow: yesterday's snapshot is not used until the run rebuilds it
    assert snapshot_and_full(app)[0] is None
    run_daily(app, app.clock.today())
    snap, full = snapshot_and_full(app)
    assert snap == full


def test_aging_reads_the_snapshot_and_recomputes_a_changed_customer(app: App) -> None:
    import_rows(app, "customers", [{"customer_code": c, "name": c, "terms": "net 30"} for c in ("C1", "C2")])
    import_rows(app, "invoices", [
        {"invoice_no": "A", "customer_code": "C1", "invoice_date": "2026-06-01", "amount": "100.00"},
        {"invoice_no": "B", "customer_code": "C2", "invoice_date": "2026-06-01", "amount": "200.00"}])
    today: date = app.clock.today()
    run_daily(app, today)
    a4_planted = 12345
    with app.engine.begin() as c:  # proof that the report reads the snapshot: a planted value shows
        c.execute(update(t.aging_snapshot).values(a4=a4_planted))
    assert {r.key: r.amounts[4] for r in aging(app).rows} == {"C1": a4_planted, "C2": a4_planted}
    with app.uow() as uow:  # a payment marks C1 changed: its row is recomputed, C2's still read
        ledger.record_payment(uow, "C1", Money.parse("30.00", "CNY"), today, by=BY)
        uow.commit()
    assert {r.key: r.amounts[4] for r in aging(app).rows} == {"C1": 7000, "C2": a4_planted}


def test_aging_by_customer_from_the_snapshot_is_the_invoices_report_field_by_field(app: App) -> None:
    """The by-customer report takes each snapshot row as it is (no adding up, issue 6 performance): every
    figure (each bucket, disputed, collectable overdue) under the right customer and currency, in the
    report's order (most overdue money first, then code), and a customer holding an absurd amount named."""
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "terms": "net 30"}
                                   for c in ("C1", "C2", "C3", "C4")])
    import_rows(app, "invoices", [
        {"invoice_no": "A1", "customer_code": "C1", "invoice_date": "2026-05-02", "amount": "900.00"},
        {"invoice_no": "A2", "customer_code": "C1", "invoice_date": "2026-10-01", "amount": "80.00"},
        {"invoice_no": "B1", "customer_code": "C2", "invoice_date": "2026-08-01", "amount": "500.00"},
        {"invoice_no": "B2", "customer_code": "C2", "invoice_date": "2026-09-01", "amount": "70.00", "currency": "USD"},
        {"invoice_no": "D1", "customer_code": "C4", "invoice_date": "2026-09-01", "amount": "10.00"},
        {"invoice_no": "D2", "customer_code": "C4", "invoice_date": "2026-07-01", "amount": "20.00"}])
    today: date = app.clock.today()
    with app.uow() as uow:
        ledger.open_dispute(uow, "A1", Money.parse("250.00", "CNY"), "quality", today, by=BY)
        ledger.record_payment(uow, "C2", Money.parse("120.00", "CNY"), today, invoice_number="B1", by=BY)
        uow.commit()
    with app.engine.begin() as c:  # bad data no import accepts: beyond 10^13 yuan
        c.execute(update(t.invoice).where(t.invoice.c.number == "D2").values(open_minor=10**16))
    run_daily(app, today)
    with app.uow(write=False) as uow:
        assert uow.aging.snapshot_day() == today
        full = uow.collect.aging_rows(today, DEFAULT_BUCKETS)
        labels = uow.collect.customer_labels()
    expected = sorted(((labels[cid][0], labels[cid][1], cur, list(amounts), disputed, overdue)
                       for cid, cur, amounts, disputed, overdue, _oldest in full),
                      key=lambda r: (-sum(r[3][1:]), r[0]))
    report = aging(app, by="customer")
    got = [(r.key, r.name, r.currency, r.amounts, r.disputed, r.overdue) for r in report.rows]
    assert got == expected
    assert [(r[0], r[2]) for r in got] == [("C1", "CNY"), ("C2", "CNY"), ("C2", "USD"), ("C4", "CNY")]
    c1 = got[0]
    assert (c1[4], c1[5]) == (25000, 73000) and sum(c1[3]) == 98000  # disputed, collectable overdue, all open
    assert report.out_of_range == ["C4"]


def _stored_and_full(app: App) -> tuple[list[object], list[object]]:
    """The snapshot as stored (no customer marked changed) and the full recompute from the invoices."""
    today = app.clock.today()
    with app.uow(write=False) as uow:
        assert uow.aging.snapshot_day() == today
        assert uow.conn.execute(select(t.aging_dirty.c.customer_id)).first() is None  # rows() reads the table as is
        stored = uow.aging.rows(today)
        full = uow.collect.aging_rows(today, DEFAULT_BUCKETS)
    assert stored is not None
    return sorted(stored, key=repr), sorted(full, key=repr)


@pytest.mark.parametrize("seed", [3, 4])
def test_snapshot_brought_forward_day_by_day_equals_the_full_recompute(app: App, seed: int) -> None:
    """The run rebuilds only the marked customers and those whose invoices cross a bucket edge between the
    snapshot's day and today (issue 6, next-day performance): over many runs a few days apart, with
    invoices due right at every edge and changes in between, the table stays the full recompute."""
    rng = random.Random(seed)
    app.clock.set(date(2026, 8, 3))  # type: ignore[attr-defined]  # room for ~80 days in a year with calendar data
    edges = (*DEFAULT_BUCKETS, 400)  # one customer per bucket edge (and one far past the last)
    customers = [f"C{e}" for e in edges]
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "terms": "net 30"} for c in customers])
    start: date = app.clock.today()
    rows, k = [], 0
    for edge, c in zip(edges, customers, strict=True):
        for ahead in range(-1, 40, 3):  # due just past its edge, and reaching it on later days
            due = start - timedelta(days=edge - ahead)
            rows.append({"invoice_no": f"E{k}", "customer_code": c, "invoice_date": min(due, start).isoformat(),
                         "due_date": due.isoformat(), "amount": f"{rng.randint(1, 9000)}.{rng.randint(0, 99):02d}"})
            k += 1
    import_rows(app, "invoices", rows)
    run_daily(app, start)
    stored, full = _stored_and_full(app)
    assert stored == full and len(full) == len(customers)
    buckets_seen = {tuple(r[2]) for r in full}  # type: ignore[index]
    for step in range(14):
        app.clock.advance(days=rng.choice((1, 1, 2, 3)))
        today = app.clock.today()
        c = rng.choice(customers)
        try:
            with app.uow() as uow:  # now and then a change, so a marked customer is brought forward too
                if step % 4 == 0:
                    ledger.record_payment(uow, c, Money(rng.randint(1, 300_000), "CNY"), today, by=BY)
                elif step % 4 == 1:
                    named = f"E{rng.randrange(k)}"
                    ledger.open_dispute(uow, named, Money(rng.randint(1, 500), "CNY"), "quality", today, by=BY)
                uow.commit()
        except (RuleViolation, NotFound):
            pass
        run_daily(app, today)
        stored, full = _stored_and_full(app)
        assert stored == full, (step, today)
        buckets_seen |= {tuple(r[2]) for r in full}  # type: ignore[index]
    assert len(buckets_seen) > 10  # the amounts moved between buckets as the days went by
    app.clock.advance(days=40)  # further than the snapshot is brought forward: every row recomputed
    run_daily(app, app.clock.today())
    stored, full = _stored_and_full(app)
    assert stored == full
