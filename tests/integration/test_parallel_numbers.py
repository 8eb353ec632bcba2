"""Parallel ``pay`` without a payment number (issue 6 item 21): every payment gets its own generated
number — on PostgreSQL six writers used to read the same "next" number and collide (IntegrityError,
exit 4) — and a duplicate number is an input error (exit 2): exit 3 belongs to the run lock alone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.money import Money
from huikuan.entrypoints.cli.main import main
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

WRITERS = 6


def test_parallel_payments_without_a_number_all_get_distinct_numbers(app, clock):
    import_rows(app, "customers", [{"customer_code": "KH1", "name": "甲", "terms": "net 30"}])
    import_rows(app, "invoices", [{"invoice_no": "I1", "customer_code": "KH1", "invoice_date": "2026-09-01",
                                   "amount": "100000.00"}])
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            start.wait(timeout=60)  # all at once (SQLite's writers then queue on the write lock)
            with app.uow() as uow:
                ledger.record_payment(uow, "KH1", Money.parse("10.00", "CNY"), clock.today(), by=BY)
                uow.commit()
        except BaseException as e:  # noqa: BLE001 — collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=pay) for _ in range(WRITERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert errors == []
    with app.engine.connect() as c:
        numbers = c.execute(select(t.payment.c.number)).scalars().all()
    day = clock.today().strftime("%Y%m%d")
    assert sorted(numbers) == [f"PAY-{day}-{n:03d}" for n in range(1, WRITERS + 1)]


def test_a_duplicate_payment_number_exits_2_not_3(app, db_url, capsys):
    import_rows(app, "customers", [{"customer_code": "KH1", "name": "甲", "terms": "net 30"}])
    args = ["--database-url", db_url, "pay", "KH1", "--amount", "5", "--date", "2026-11-23", "--number", "P1"]
    assert main(args) == 0
    assert main(args) == 2
    assert "P1" in capsys.readouterr().err
