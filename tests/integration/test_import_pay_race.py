"""A ``pay`` committed while a payment import allocates loses nothing (issue 6, a race on PostgreSQL).

The import loads the open invoices of its customers into an ``OpenBook``, allocates in memory and then
writes each changed invoice's open amount as an absolute value. On PostgreSQL nothing stopped another
writer from paying one of those invoices in between: the import's write then put back the open amount it
had read, and the other payment's allocation was lost from ``invoice.open_minor`` (the ledger no longer
added up). Loading the book now locks the rows it loads (``SELECT … FOR UPDATE``): the ``pay`` waits for
the import and then allocates what the import left open. SQLite never had the race (its one write lock
and the late-locking import's snapshot check, ADR 0007); the test runs there too.

Real processes: the import runs in a thread of the test and is held right after it loaded its book; a
``huikuan pay`` for the same customer runs as a second process meanwhile. The import is let go as soon
as that process has finished or is seen waiting for a row lock.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from typing import Any

from sqlalchemy import create_engine, func, select, text

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.import_ import import_file, import_rows, payments
from huikuan.services.ledger import OpenBook, recompute_open

CLI = "import sys; from huikuan.entrypoints.cli.main import main; sys.exit(main(sys.argv[1:]))"
INVOICES = 6
PAYMENTS = 4  # 4 × 80.00 of C0, oldest first: F0..F3 paid down to 20.00 each


def _book(app: Any) -> None:
    import_rows(app, "customers", [{"customer_code": "C0", "name": "客户0", "terms": "net 30"}])
    import_rows(app, "invoices", [{"invoice_no": f"F{i}", "customer_code": "C0",
                                   "invoice_date": f"2026-06-0{i + 1}", "amount": "100.00"} for i in range(INVOICES)])


def _payments_file(folder: Any) -> Any:
    path = folder / "payments.csv"
    path.write_text("payment_no,customer_code,payment_date,amount\n"
                    + "".join(f"SK{i},C0,2026-11-20,80.00\n" for i in range(PAYMENTS)), encoding="utf-8")
    return path


def _waiting_for_a_lock(url: str) -> bool:
    """Some session of this PostgreSQL cluster waits for a lock another holds (the pay, on the book's rows)."""
    if not url.startswith("postgresql"):
        return False
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return bool(c.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one())
    finally:
        engine.dispose()


def test_a_pay_committed_while_an_import_allocates_is_not_lost(db_url, clock, tmp_path, monkeypatch):
    app = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        _book(app)
        path = _payments_file(tmp_path)
        loaded, resume = threading.Event(), threading.Event()
        real_load = OpenBook.load.__func__  # type: ignore[attr-defined]

        def load_then_hold(cls: type[OpenBook], uow: Any, customer_ids: Any = None) -> OpenBook:
            book = real_load(cls, uow, customer_ids)
            if not loaded.is_set():  # the first attempt only: a retried import (SQLite) goes straight on
                loaded.set()
                resume.wait(60)
            return book

        monkeypatch.setattr(payments.OpenBook, "load", classmethod(load_then_hold))
        reports: list[Any] = []
        errors: list[BaseException] = []

        def run_import() -> None:
            try:
                reports.append(import_file(app, "payments", path))
            except BaseException as e:  # noqa: BLE001 — asserted below
                errors.append(e)

        th = threading.Thread(target=run_import)
        th.start()
        try:
            assert loaded.wait(60), "the import never loaded its book"
            env = {**os.environ, "HUIKUAN_LOCALE": "en", "NO_COLOR": "1", "COLUMNS": "200"}
            pay = subprocess.Popen([sys.executable, "-c", CLI, "--database-url", db_url, "pay", "C0", "--amount",
                                    "50.00", "--date", "2026-11-21", "--number", "SK-CLI"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            deadline = time.monotonic() + 60
            while pay.poll() is None and not _waiting_for_a_lock(db_url) and time.monotonic() < deadline:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    pay.wait(timeout=0.05)
        finally:
            resume.set()
            th.join(60)
        out, err = pay.communicate(timeout=60)
        assert pay.returncode == 0, out + err
        assert errors == [] and len(reports) == 1 and reports[0].inserted == PAYMENTS
        with app.uow(write=False) as uow:
            assert recompute_open(uow) == []  # every invoice's open amount = its amount − its allocations
        engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as c:
            paid = c.execute(select(func.sum(t.payment.c.amount_minor))).scalar_one()
            allocated = c.execute(select(func.sum(t.allocation.c.amount_minor))).scalar_one()
            open_total = c.execute(select(func.sum(t.invoice.c.open_minor))).scalar_one()
        engine.dispose()
        assert paid == allocated == PAYMENTS * 8000 + 5000
        assert open_total == INVOICES * 10000 - paid
    finally:
        app.engine.dispose()

