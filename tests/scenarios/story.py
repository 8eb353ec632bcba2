"""A collection story: one dealer walked day by day through 120 days of the default policy,
across Spring Festival 2026 and its 调休 working Saturdays, with a partial payment, a promise that
is broken, and a dispute. Shared by the scenario test (which asserts the exact sequence)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from huikuan.domain.money import Money
from huikuan.services import collect, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

START = date(2026, 1, 26)
DAYS = 120


def setup(app) -> None:  # type: ignore[no-untyped-def]
    import_rows(app, "customers", [{
        "customer_code": "KH-S1", "name": "佛山市南海区明辉五金经营部", "type": "dealer", "terms": "net 30",
        "credit_limit": "200000.00", "collector": "王芳", "segment": "华南",
    }])
    import_rows(app, "invoices", [
        {"invoice_no": "S-A", "customer_code": "KH-S1", "invoice_date": "2026-01-05", "amount": "100000.00"},
        {"invoice_no": "S-B", "customer_code": "KH-S1", "invoice_date": "2026-01-20", "amount": "50000.00"},
    ])


def events(app, day: date) -> None:  # type: ignore[no-untyped-def]
    """What happens in the world on ``day`` before the next morning's run."""
    if day == date(2026, 2, 12):  # partial payment: 30,000 goes to S-A (oldest due first)
        with app.uow() as uow:
            ledger.record_payment(uow, "KH-S1", Money.parse("30000.00"), day, number="P-1", by=BY)
            uow.commit()
    if day == date(2026, 3, 2):  # the collector calls; the customer promises the rest of S-A by 3-10
        collect.log_contact(app, "KH-S1", "phone", "promised", excuse="no_money")
        collect.record_promise(app, "KH-S1", 7000000, date(2026, 3, 10), made_on=day, invoices=["S-A"])
    if day == date(2026, 3, 20):  # quality dispute on the whole of S-B: it leaves dunning
        with app.uow() as uow:
            ledger.open_dispute(uow, "S-B", None, "quality", day, by=BY)
            uow.commit()


def walk(app, clock) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """Run every calendar day; returns (day, ladder, stage, kind) of each new action."""
    setup(app)
    seen: list[tuple[str, str, str, str]] = []
    for i in range(DAYS):
        day = START + timedelta(days=i)
        clock.set(day)
        report = run_daily(app, day)
        for a in report.actions:
            seen.append((day.isoformat(), a.ladder, a.stage, a.kind.value))
        events(app, day)
    return seen
