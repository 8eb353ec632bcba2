"""The payment book's read (``AnalyticsRepo.payment_facts``): two scans merged in Python, the same rows the
join gave. Money allocated ON the as-of day is not "paid before" it; an invoice settled is dated by its last
allocation; invoices issued on or after the day are left out. Both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

from huikuan.services.import_ import import_rows

D = date(2026, 9, 10)


def test_payment_facts_at_the_day_boundary(app: Any) -> None:
    import_rows(app, "customers", [{"customer_code": "K1", "name": "甲", "terms": "net 30"}])
    import_rows(app, "invoices", [
        {"invoice_no": n, "customer_code": "K1", "invoice_date": on, "due_date": due, "amount": "100"}
        for n, on, due in (("A", "2026-08-01", "2026-08-31"), ("B", "2026-08-05", "2026-09-04"),
                           ("C", "2026-08-09", "2026-09-08"), ("E", "2026-09-10", "2026-10-10"))])
    import_rows(app, "payments", [
        {"payment_no": p, "customer_code": "K1", "payment_date": on, "amount": amt, "invoice_no": n}
        for p, on, amt, n in (("P1", "2026-09-01", "100", "A"), ("P2", "2026-09-09", "40", "B"),
                              ("P3", "2026-09-10", "60", "B"), ("P4", "2026-09-10", "30", "C"))])
    with app.uow(write=False) as uow:
        listed = list(uow.analytics.payment_facts(D))
    rows = {r[1]: r for r in listed}
    assert [r[1] for r in listed] == ["A", "B", "C"]  # by invoice day, then id (training's stride follows it)
    assert set(rows) == {"A", "B", "C"}  # E is issued on D: not before it
    # (settled_on: the last allocation's day when nothing is open now; paid before D)
    assert (rows["A"][7], rows["A"][8]) == (date(2026, 9, 1), 10000)
    assert (rows["B"][7], rows["B"][8]) == (date(2026, 9, 10), 4000)  # 60 came on D itself
    assert (rows["C"][7], rows["C"][8]) == (None, 0)  # still open now; its 30 came on D
