"""The daily run checks open tasks against their invoices only for the customers whose invoices changed
since the last run (issue 6, next-day performance; ADR 0008). After random histories of payments, credit
notes, write-offs, disputes, re-imports and ERP corrections between runs, it closes exactly the tasks that
checking every open task closes — also when an invoice changes while the run decides. Both backends."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from huikuan.adapters.db import collect_repo
from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import ImportRejected, NotFound, RuleViolation
from huikuan.domain.money import Money
from huikuan.services import daily_run, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import gather_and_decide, run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.ports import NoProgress

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)


def _closures(app: App, day: date, every_task: bool) -> list[tuple[int, str]]:
    with app.uow(write=False) as uow:
        return sorted(gather_and_decide(app, uow, day, app.calendar(), NoProgress(), every_task=every_task).closures)


def _erp_zero(app: App, *numbers: str) -> None:
    """An ERP correction behind the services' back: the invoices have nothing open any more."""
    with app.engine.begin() as c:
        c.execute(t.invoice.update().where(t.invoice.c.number.in_(numbers)).values(open_minor=0))


def _open_tasks_naming(app: App, number: str) -> list[Any]:
    with app.engine.connect() as c:
        rows = c.execute(select(t.action.c.id, t.action.c.invoices).where(t.action.c.status == "open")).all()
    return [r for r in rows if number in (r.invoices or [])]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_checking_the_changed_customers_closes_what_checking_every_task_closes(app: App, seed: int,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if seed == 3:  # many changed customers: one scan of the open tasks, kept to them
        monkeypatch.setattr(collect_repo, "MANY_CUSTOMERS", 1)
    rng = random.Random(seed)
    app.clock.set(date(2026, 8, 3))  # type: ignore[attr-defined]  # a Monday
    day: date = app.clock.today()
    customers = [f"C{i}" for i in range(8)]
    import_rows(app, "customers", [{"customer_code": c, "name": f"客户{c}", "terms": "net 30"} for c in customers])
    owner: dict[str, str] = {}
    rows = []
    for i in range(30):
        number, c = f"S{i}", customers[i % len(customers)]
        rows.append({"invoice_no": number, "customer_code": c, "amount": f"{rng.randint(100, 9000)}.00",
                     "invoice_date": (day - timedelta(days=rng.randint(35, 150))).isoformat()})
        owner[number] = c
    import_rows(app, "invoices", rows)
    run_daily(app, day)
    disputes: list[int] = []
    closed = 0
    for step in range(10):
        for _ in range(rng.randint(1, 3)):
            # the services close a task at once when they settle its money; an ERP correction leaves it to the run
            op = rng.choice(["erp", "erp", "erp", "pay", "credit", "write_off", "dispute", "resolve", "reimport",
                             "pay_import"])
            number = rng.choice(list(owner))
            c = owner[number]
            amount = Money(rng.randint(1, 900_000), "CNY")
            try:
                if op == "erp":  # one invoice, or all of the customer's (then its tasks are about nothing)
                    _erp_zero(app, *([number] if rng.random() < 0.4 else [n for n, o in owner.items() if o == c]))
                elif op == "reimport":
                    import_rows(app, "invoices", [{"invoice_no": number, "customer_code": c, "amount": "1.00",
                                                   "invoice_date": (day - timedelta(days=60)).isoformat()}])
                elif op == "pay_import":
                    import_rows(app, "payments", [{"payment_no": f"P{seed}-{step}", "customer_code": c,
                                                   "payment_date": day.isoformat(), "amount": amount.amount_text()}])
                else:
                    with app.uow() as uow:
                        if op == "pay":
                            ledger.record_payment(uow, c, amount, day, invoice_number=number, by=BY)
                        elif op == "credit":
                            ledger.record_credit_note(uow, c, amount, day, invoice_number=number, by=BY)
                        elif op == "write_off":
                            ledger.write_off(uow, number, amount, "test", day, by=BY)
                        elif op == "dispute":
                            disputes.append(ledger.open_dispute(uow, number, None, "quality", day, by=BY))
                        elif op == "resolve" and disputes:
                            ledger.resolve_dispute(uow, disputes.pop(), day, by=BY)
                        uow.commit()
            except (RuleViolation, NotFound, ImportRejected):
                pass  # refused: nothing written
        day += timedelta(days=rng.choice((1, 1, 3)))
        app.clock.set(day)  # type: ignore[attr-defined]
        every = _closures(app, day, every_task=True)
        assert _closures(app, day, every_task=False) == every, step
        report = run_daily(app, day)
        assert report.closed == len(every)
        closed += report.closed
        assert _closures(app, day, every_task=True) == []  # nothing about settled money left open
    assert closed >= 3  # the histories did settle money that tasks were about


def test_an_invoice_changed_while_the_run_decides_is_checked_by_the_next_run(app: App,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The run clears only the marks it read before checking: a change committed meanwhile stays marked."""
    app.clock.set(date(2026, 8, 3))  # type: ignore[attr-defined]
    day: date = app.clock.today()
    import_rows(app, "customers", [{"customer_code": "K1", "name": "客户", "terms": "net 30"}])
    import_rows(app, "invoices", [{"invoice_no": "A", "customer_code": "K1", "amount": "800.00",
                                   "invoice_date": (day - timedelta(days=45)).isoformat()}])
    run_daily(app, day)
    assert _open_tasks_naming(app, "A")
    real = daily_run._apply

    def corrected_meanwhile(*args: Any, **kwargs: Any) -> Any:
        _erp_zero(app, "A")  # after the run has decided (its tasks name A), before it stores them
        return real(*args, **kwargs)

    day += timedelta(days=1)
    app.clock.set(day)  # type: ignore[attr-defined]
    monkeypatch.setattr(daily_run, "_apply", corrected_meanwhile)
    run_daily(app, day)
    monkeypatch.setattr(daily_run, "_apply", real)
    assert _open_tasks_naming(app, "A")  # decided before the correction
    day += timedelta(days=1)
    app.clock.set(day)  # type: ignore[attr-defined]
    report = run_daily(app, day)
    assert report.closed >= 1 and _open_tasks_naming(app, "A") == []
