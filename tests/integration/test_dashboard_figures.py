"""The dashboard's figures, summed in the database off the aging snapshot (issue 8: ≤ 150 ms at 10^6
invoices), are exactly what the aging report gives: each bucket, the overdue total and the top overdue
customers (ties by code) — after random histories that leave customers changed since the run, and on a
day the run has not yet rebuilt the snapshot for. Both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import NotFound, RuleViolation
from huikuan.domain.money import Money
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import aging, dashboard

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))


def expected(app: App, top: int) -> tuple[list[int], int, list[tuple[str, int, list[int]]]]:
    report = aging(app)
    total = next((r for r in report.totals() if r.currency == "CNY"), None)
    rows = [r for r in report.rows if r.currency == "CNY"]
    best = sorted((r for r in rows if r.overdue > 0), key=lambda r: (-r.overdue, r.key))[:top]
    return (total.amounts if total else [0] * 7), sum(r.overdue for r in rows), [(r.key, r.overdue, r.amounts)
                                                                                 for r in best]


def shown(app: App, top: int) -> tuple[list[int], int, list[tuple[str, int, list[int]]]]:
    d = dashboard(app, top=top)
    assert d.open_minor == sum(d.buckets)
    return d.buckets, d.overdue_minor, [(r.key, r.overdue, r.amounts) for r in d.top_overdue]


def test_dashboard_equals_the_aging_report_after_random_histories(app: App) -> None:
    rng = random.Random(3)
    customers = ["C0", "C1", "C2", "C3", "Z1", "A9"]  # Z1 gets the lower id, A9 the lower code
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "terms": "net 30"} for c in customers])
    today = app.clock.today()
    owner: dict[str, str] = {}
    rows = []
    for i in range(18):
        c = rng.choice(customers[:4])
        rows.append({"invoice_no": f"S{i}", "customer_code": c, "amount": f"{rng.randint(1, 9000)}.00",
                     "invoice_date": (today - timedelta(days=rng.randint(0, 500))).isoformat()})
        owner[f"S{i}"] = c
    # Two customers with exactly the same overdue money: the tie at the cut is broken by code.
    for c in ("Z1", "A9"):
        rows.append({"invoice_no": f"T-{c}", "customer_code": c, "amount": "99999.00",
                     "invoice_date": (today - timedelta(days=200)).isoformat()})
    import_rows(app, "invoices", rows)
    run_daily(app, today)
    assert shown(app, 1)[2][0][0] == "A9"  # tied with Z1 at the top: the lower code first
    assert shown(app, 3) == expected(app, 3)
    for step in range(16):
        c = rng.choice(customers)
        own = [n for n, o in owner.items() if o == c]
        try:
            with app.uow() as uow:
                op = rng.choice(["pay", "pay", "dispute", "write_off"])
                if op == "pay":
                    ledger.record_payment(uow, c, Money(rng.randint(1, 500_000), "CNY"), today, by=BY)
                elif op == "dispute" and own:
                    ledger.open_dispute(uow, rng.choice(own), Money(rng.randint(1, 5_000), "CNY"), "quality", today,
                                        by=BY)
                elif own:
                    ledger.write_off(uow, rng.choice(own), Money(rng.randint(1, 5_000), "CNY"), "test", today, by=BY)
                uow.commit()
        except (RuleViolation, NotFound):
            pass  # more than is open: nothing written
        with app.uow(write=False) as uow:
            assert uow.aging.snapshot_day() == today
        for top in (1, 3, 20):
            assert shown(app, top) == expected(app, top), (step, top)
    app.clock.advance(days=1)  # the morning before the run: the snapshot is of yesterday
    with app.uow(write=False) as uow:
        assert uow.aging.snapshot_day() != app.clock.today()
    for top in (1, 3, 20):
        assert shown(app, top) == expected(app, top), top


@pytest.mark.parametrize("changed", [False, True])
def test_the_dashboard_reads_the_snapshot_and_recomputes_a_changed_customer(app: App, changed: bool) -> None:
    import_rows(app, "customers", [{"customer_code": c, "name": c, "terms": "net 30"} for c in ("C1", "C2")])
    import_rows(app, "invoices", [
        {"invoice_no": "A", "customer_code": "C1", "invoice_date": "2026-06-01", "amount": "100.00"},
        {"invoice_no": "B", "customer_code": "C2", "invoice_date": "2026-06-01", "amount": "200.00"}])
    run_daily(app, app.clock.today())
    with app.engine.begin() as c:  # planted in the snapshot and its totals: shown only if the dashboard reads them
        c.execute(update(t.aging_snapshot).values(a4=12345, overdue=12345))
        c.execute(update(t.aging_snapshot_total).values(a4=2 * 12345, overdue=2 * 12345))
    if changed:  # a payment marks C1 changed: its figures come from its invoices again
        with app.uow() as uow:
            ledger.record_payment(uow, "C1", Money.parse("30.00", "CNY"), app.clock.today(), by=BY)
            uow.commit()
    d = dashboard(app)
    c1 = 7000 if changed else 12345
    assert d.buckets[4] == c1 + 12345
    assert [(r.key, r.overdue) for r in d.top_overdue] == sorted([("C1", c1), ("C2", 12345)],
                                                                  key=lambda x: (-x[1], x[0]))


def test_the_dashboard_adds_up_no_snapshot_rows_but_keeps_their_totals(app: App) -> None:
    """The bucket sums come from the totals written with the snapshot (one row per currency), not from
    adding up every customer's row per view; the run's rebuild writes them equal to those rows' sums."""
    import_rows(app, "customers", [{"customer_code": c, "name": c, "terms": "net 30"} for c in ("C1", "C2", "C3")])
    import_rows(app, "invoices", [
        {"invoice_no": f"I{i}", "customer_code": f"C{i % 3 + 1}", "invoice_date": f"2026-0{i % 9 + 1}-15",
         "amount": f"{100 * (i + 1)}.00"} for i in range(9)])
    run_daily(app, app.clock.today())
    cols = [*[f"a{i}" for i in range(7)], "disputed", "overdue"]
    with app.engine.connect() as c:
        snap = c.execute(select(*[func.sum(t.aging_snapshot.c[k]) for k in cols])).one()
        kept = c.execute(select(*[t.aging_snapshot_total.c[k] for k in cols])
                         .where(t.aging_snapshot_total.c.currency == "CNY")).one()
    assert [int(x) for x in kept] == [int(x) for x in snap] and sum(int(x) for x in kept) > 0
    with app.engine.begin() as c:  # the snapshot rows say nothing; the totals say 777 in the 91–180 bucket
        c.execute(update(t.aging_snapshot).values(**{k: 0 for k in cols}))
        c.execute(update(t.aging_snapshot_total).values(**{k: 0 for k in cols} | {"a4": 777}))
    assert dashboard(app).buckets == [0, 0, 0, 0, 777, 0, 0]
