"""Guards for bugs that once left the suite green: money in another currency, a partial dispute through
the real gather path, dry and failed runs as days that ran, and runs that must DO something next to
what they must not. Both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import ImportRejected
from huikuan.domain.money import Money
from huikuan.services import collect, daily_run, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import runs

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

TODAY = date(2026, 11, 23)  # a Monday


def seed(app, codes=("KH0",), invoice_date="2026-10-10", amount="1000.00") -> None:
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "terms": "net 30", "collector": "李娜"}
                                   for c in codes])
    import_rows(app, "invoices", [{"invoice_no": f"{c}-1", "customer_code": c, "invoice_date": invoice_date,
                                   "amount": amount} for c in codes])


def open_of(app, number: str) -> int:
    with app.engine.connect() as c:
        return c.execute(select(t.invoice.c.open_minor).where(t.invoice.c.number == number)).scalar_one()


def test_a_payment_in_another_currency_never_pays_a_cny_invoice(app):
    seed(app)
    with app.uow() as uow:
        res = ledger.record_payment(uow, "KH0", Money.parse("1000.00", "USD"), TODAY, by=BY)
        uow.commit()
    assert res.lines == () and res.unapplied_minor == 100_000
    assert open_of(app, "KH0-1") == 100_000
    import_rows(app, "payments", [{"payment_no": "P-USD", "customer_code": "KH0", "payment_date": "2026-11-23",
                                   "amount": "500.00", "currency": "USD"}])
    assert open_of(app, "KH0-1") == 100_000
    with app.uow() as uow:
        ledger.record_payment(uow, "KH0", Money.parse("400.00", "CNY"), TODAY, by=BY)
        uow.commit()
    assert open_of(app, "KH0-1") == 60_000  # the customer's own currency does pay


def test_a_partial_dispute_is_left_out_of_the_runs_money(app):
    seed(app)
    with app.uow() as uow:
        ledger.open_dispute(uow, "KH0-1", Money.parse("400.00"), "quality", date(2026, 11, 20), by=BY)
        uow.commit()
    rep = run_daily(app, TODAY)
    amounts = {a.ladder: a.amount_minor for a in rep.actions}
    assert amounts["dunning"] == 60_000 and amounts["credit"] == 60_000  # 1,000.00 − 400.00 disputed
    call = next(a for a in rep.actions if a.ladder == "dunning")
    assert call.invoices == ("KH0-1",)


def test_imported_amounts_and_duplicate_numbers(app):
    seed(app, amount="500.5")  # the fast path must read 500.5 as 500.50, not 500.05
    assert open_of(app, "KH0-1") == 50_050
    with pytest.raises(ImportRejected) as e:
        import_rows(app, "invoices", [
            {"invoice_no": "D-1", "customer_code": "KH0", "invoice_date": "2026-10-10", "amount": "100"},
            {"invoice_no": "D-1", "customer_code": "KH0", "invoice_date": "2026-10-10", "amount": "300"},
        ])
    assert [(p.code, p.params["first_row"]) for p in e.value.problems] == [("import.duplicate_number", 2)]  # sheet rows: the header is row 1
    with app.engine.connect() as c:
        assert c.execute(select(t.invoice.c.id).where(t.invoice.c.number == "D-1")).first() is None
    import_rows(app, "invoices", [{"invoice_no": "１２", "customer_code": "KH0", "invoice_date": "2026-10-10",
                                   "amount": "１，２３４．５０"}])
    with app.engine.connect() as c:
        assert c.execute(select(t.invoice.c.amount_minor).where(t.invoice.c.amount_minor == 123_450)).first()


def test_dry_and_failed_runs_are_not_days_that_ran(app, monkeypatch):
    seed(app)
    run_daily(app, date(2026, 11, 16))
    run_daily(app, date(2026, 11, 17), dry_run=True)

    def boom(*a, **k):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(daily_run, "gather_and_decide", boom)
    with pytest.raises(RuntimeError):
        run_daily(app, date(2026, 11, 18))
    monkeypatch.undo()
    assert [(r.as_of, r.status, r.dry_run) for r in runs(app, 3)] == [
        (date(2026, 11, 18), "failed", False), (date(2026, 11, 17), "done", True), (date(2026, 11, 16), "done", False)]
    rep = run_daily(app, TODAY)
    assert rep.caught_up == [date(2026, 11, d) for d in (17, 18, 19, 20)]
    assert rep.created > 0


def test_paused_and_fully_disputed_customers_get_nothing_while_others_are_chased(app):
    seed(app, ("KH0", "KH1", "KH2"))
    collect.set_paused(app, "KH0", True)
    with app.uow() as uow:
        ledger.open_dispute(uow, "KH1-1", None, "quality", TODAY, by=BY)
        uow.commit()
    rep = run_daily(app, TODAY)
    assert {a.customer_code for a in rep.actions} == {"KH2"}
    assert {a.ladder for a in rep.actions} == {"dunning", "credit"}
    collect.set_paused(app, "KH0", False)  # the same customer, resumed: chased again the next day
    assert "KH0" in {a.customer_code for a in run_daily(app, date(2026, 11, 24)).actions}


def test_a_non_working_day_acts_on_nobody_and_the_next_working_day_acts(app):
    seed(app)
    sunday = run_daily(app, date(2026, 11, 22))
    assert sunday.non_workday and sunday.actions == [] and sunday.customers == 1
    monday = run_daily(app, TODAY)
    assert not monday.non_workday and {a.ladder for a in monday.actions} == {"dunning", "credit"}


def test_a_kept_promise_does_not_escalate_but_a_broken_one_does(app):
    seed(app, ("KH0", "KH1"))
    for code in ("KH0", "KH1"):
        collect.record_promise(app, code, 100_000, date(2026, 11, 25), made_on=date(2026, 11, 20))
    with app.uow() as uow:
        ledger.record_payment(uow, "KH0", Money.parse("1000.00"), date(2026, 11, 24), by=BY)
        uow.commit()
    rep = run_daily(app, date(2026, 11, 30))
    assert {a.customer_code for a in rep.actions if a.ladder == "promise"} == {"KH1"}
