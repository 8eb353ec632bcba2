"""Tasks about money no longer collectable close themselves; credit resumes after payment; disputes on
paid invoices are shown and closed in bulk. Both backends, through the real bootstrap."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.money import Money
from huikuan.services import collect, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import worklist

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

TODAY = date(2026, 11, 23)  # a Monday


def seed(app, invoices=(("A", "2026-10-19", "1000.00"),), code: str = "KH1") -> None:
    import_rows(app, "customers", [{"customer_code": code, "name": "客户", "terms": "net 30",
                                    "credit_limit": "100000.00", "collector": "李娜"}])
    import_rows(app, "invoices", [{"invoice_no": n, "customer_code": code, "invoice_date": d, "amount": a}
                                  for n, d, a in invoices])


def actions(app) -> list:
    with app.engine.connect() as c:
        return c.execute(select(t.action).order_by(t.action.c.id)).mappings().all()


def pay(app, amount: str, on: date, code: str = "KH1", invoice: str | None = None) -> None:
    with app.uow() as uow:
        ledger.record_payment(uow, code, Money.parse(amount), on, invoice_number=invoice, by=BY)
        uow.commit()


def test_a_payment_closes_the_tasks_about_its_money_at_once(app):
    seed(app)  # due 11-18: 5 days overdue on the 23rd
    rep = run_daily(app, TODAY)
    assert {a.kind.value for a in rep.actions} == {"call", "reminder"}  # the call and the credit notice
    assert len(worklist(app, TODAY)) == 2
    pay(app, "1000.00", date(2026, 11, 24))
    rows = actions(app)
    assert [(r["status"], r["decision_note"], r["decided_on"]) for r in rows] == [
        ("cancelled", "paid", date(2026, 11, 24))] * 2
    assert worklist(app, date(2026, 11, 24)) == []
    nxt = run_daily(app, date(2026, 11, 24))
    assert nxt.actions == [] and nxt.closed == 0  # nothing left to chase, nothing left to close


def test_a_partial_payment_leaves_the_task_open(app):
    seed(app, (("A", "2026-10-19", "1000.00"), ("B", "2026-10-20", "500.00")))
    run_daily(app, TODAY)
    pay(app, "1000.00", date(2026, 11, 24))  # A is paid, B is not: the task names both
    assert {r["status"] for r in actions(app)} == {"open"}
    assert len(worklist(app, date(2026, 11, 24))) == 2


def test_the_next_run_closes_what_was_settled_behind_the_ledgers_back(app, monkeypatch):
    seed(app, (("A", "2026-10-19", "1000.00"), ("B", "2026-09-01", "800.00")), code="KH1")
    seed(app, (("C", "2026-10-19", "700.00"),), code="KH2")
    run_daily(app, TODAY)
    # A payment that reached the books without the ledger's hook (another writer): the run catches it.
    monkeypatch.setattr(ledger, "settle_tasks", lambda *a, **k: 0)
    pay(app, "1800.00", date(2026, 11, 24), code="KH1")
    with app.uow() as uow:
        ledger.open_dispute(uow, "C", None, "quality", date(2026, 11, 24), by=BY)
        uow.commit()
    assert {r["status"] for r in actions(app)} == {"open"}
    opened = len(actions(app))
    rep = run_daily(app, date(2026, 11, 25))
    assert rep.closed == opened and rep.actions == []
    notes = sorted((r["decision_note"], r["status"]) for r in actions(app))
    by_customer = {}
    with app.engine.connect() as c:
        ids = dict(c.execute(select(t.customer.c.id, t.customer.c.code)).all())
    for r in actions(app):
        by_customer.setdefault(ids[r["customer_id"]], set()).add(r["decision_note"])
    assert by_customer == {"KH1": {"paid"}, "KH2": {"disputed"}}
    assert {s for _, s in notes} == {"cancelled"}
    assert worklist(app, date(2026, 11, 25)) == []


def test_a_dry_run_reports_what_it_would_close_and_closes_nothing(app, monkeypatch):
    seed(app)
    run_daily(app, TODAY)
    monkeypatch.setattr(ledger, "settle_tasks", lambda *a, **k: 0)
    pay(app, "1000.00", date(2026, 11, 24))
    rep = run_daily(app, date(2026, 11, 24), dry_run=True)
    assert rep.closed == 2 and {r["status"] for r in actions(app)} == {"open"}


def test_a_task_naming_no_invoice_is_not_closed_by_payment(app):
    seed(app)
    with app.uow() as uow:
        uow.customers.update_customer(uow.customers.by_code("KH1").id, credit_status="stopped")
        uow.commit()
    pay(app, "1000.00", TODAY)
    run_daily(app, TODAY)  # paid up: the resumption proposal names no invoice
    run_daily(app, date(2026, 11, 24))
    (cut,) = [r for r in actions(app) if r["kind"] == "limit_cut"]
    assert cut["status"] == "open" and cut["invoices"] == []


def test_a_suspension_lifts_when_the_overdue_money_is_paid(app):
    seed(app, (("A", "2026-09-28", "800.00"), ("N", "2026-11-20", "300.00")))  # A: 26 days overdue
    run_daily(app, TODAY)
    with app.uow(write=False) as uow:
        assert uow.customers.by_code("KH1").credit_status == "suspended"
    pay(app, "800.00", date(2026, 11, 24), invoice="A")  # N is not yet due: nothing overdue remains
    rep = run_daily(app, date(2026, 11, 25))
    (lift,) = [a for a in rep.actions if a.ladder == "credit"]
    assert (lift.kind.value, lift.assignee_role, lift.needs_approval) == ("credit_resume", "sales_manager", False)
    with app.uow(write=False) as uow:
        assert uow.customers.by_code("KH1").credit_status == "normal"
    notice = [r for r in worklist(app, date(2026, 11, 25)) if r.kind == "credit_resume"]
    assert len(notice) == 1 and "逾期款已付清" in notice[0].reason_zh
    # Once lifted nothing more is said; a suspension that still has overdue money is not lifted.
    assert not [a for a in run_daily(app, date(2026, 11, 26)).actions if a.ladder == "credit"]


def test_a_suspension_with_money_still_overdue_stays(app):
    seed(app, (("A", "2026-09-28", "800.00"), ("B", "2026-10-01", "100.00")))
    run_daily(app, TODAY)
    pay(app, "800.00", date(2026, 11, 24), invoice="A")
    rep = run_daily(app, date(2026, 11, 25))
    assert "credit_resume" not in {a.kind.value for a in rep.actions}
    with app.uow(write=False) as uow:
        assert uow.customers.by_code("KH1").credit_status == "suspended"


def test_an_approved_stop_then_payment_proposes_resumption_with_the_limit_cut(app):
    seed(app, (("A", "2026-09-10", "800.00"),))  # 44 days overdue on the 23rd: stop credit (a proposal)
    run_daily(app, TODAY)
    (stop,) = [r for r in actions(app) if r["kind"] == "credit_stop"]
    collect.decide_proposal(app, stop["id"], True, by="总经理")
    pay(app, "800.00", date(2026, 11, 24))
    assert [r["status"] for r in actions(app) if r["kind"] == "credit_stop"] == ["approved"]
    rep = run_daily(app, date(2026, 11, 25))
    (cut,) = [a for a in rep.actions if a.ladder == "credit"]
    assert (cut.kind.value, cut.needs_approval, cut.amount_minor, cut.limit_cut_percent) == ("limit_cut", True,
                                                                                              6_000_000, 40)
    (row,) = [r for r in actions(app) if r["kind"] == "limit_cut"]
    collect.decide_proposal(app, row["id"], True)
    with app.uow(write=False) as uow:
        c = uow.customers.by_code("KH1")
    assert (c.credit_status, c.credit_limit_minor) == ("normal", 6_000_000)


def test_disputes_on_paid_invoices_are_shown_and_closed_in_bulk(app):
    seed(app, (("A", "2026-10-19", "1000.00"), ("B", "2026-10-20", "500.00")))
    with app.uow() as uow:
        ledger.open_dispute(uow, "A", Money.parse("100.00"), "quality", date(2026, 11, 20), by=BY)
        ledger.open_dispute(uow, "B", Money.parse("50.00"), "pricing", date(2026, 11, 20), by=BY)
        uow.commit()
    pay(app, "1000.00", TODAY, invoice="A")
    with app.uow(write=False) as uow:
        assert [r.invoice for r in ledger.unresolved_disputes(uow, paid_only=True)] == ["A"]
        assert len(ledger.unresolved_disputes(uow)) == 2
    view = collect.customer_view(app, "KH1", TODAY)
    assert sorted((d.invoice_number, d.invoice_open_minor <= 0) for d in view.disputes) == [("A", True), ("B", False)]
    with app.uow() as uow:
        closed = ledger.resolve_paid_disputes(uow, TODAY, by=BY)
        uow.commit()
    assert [r.invoice for r in closed] == ["A"]
    with app.uow(write=False) as uow:
        assert [r.invoice for r in ledger.unresolved_disputes(uow)] == ["B"]
        assert ledger.recompute_open(uow) == []
