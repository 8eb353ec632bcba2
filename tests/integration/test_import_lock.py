"""A long import no longer shuts out every other writer for its whole length, and still lands whole or not
at all (issue 6 item 16, ADR 0007). Both backends, real database files and real processes.

- A ``huikuan pay`` or ``huikuan run`` started while an import is checking its file completes at once —
  a plain file, an ERP export read through a layout profile, or rows from a generator;
  the import then finishes too (on SQLite it notices that another writer committed since it began
  reading, and reads again), and the ledger adds up.
- An import killed with SIGKILL in the middle of its writes leaves nothing visible (a plain payment file,
  and a ledger export killed after writing its customers and invoices, before its payments).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.import_ import import_file, import_rows
from huikuan.services.ledger import recompute_open
from huikuan.services.ports import FixedClock, NoProgress

CLI = "import sys; from huikuan.entrypoints.cli.main import main; sys.exit(main(sys.argv[1:]))"
DAY = "2026-11-23"
PAYMENTS = 300


def _book(app) -> None:  # type: ignore[no-untyped-def]
    import_rows(app, "customers", [{"customer_code": f"C{i}", "name": f"客户{i}", "terms": "net 30"}
                                   for i in range(3)])
    import_rows(app, "invoices", [{"invoice_no": f"F{i:04d}", "customer_code": f"C{i % 3}",
                                   "invoice_date": "2026-06-01", "amount": "100.00"} for i in range(PAYMENTS + 30)])


def _payments_file(folder: Path) -> Path:
    path = folder / "payments.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("payment_no,customer_code,payment_date,amount\n")
        for i in range(PAYMENTS):
            fh.write(f"SK{i:04d},C{i % 3},2026-11-20,80.00\n")
    return path


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUIKUAN_LOCALE": "en", "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", CLI, "--database-url", url, *args], capture_output=True, text=True,
                          timeout=90, env=env)


class _PausesOnce(NoProgress):
    """The import's progress sink: when the import starts checking its rows (it has read the book by
    then), it lets the test run another writer and waits until that writer is done — or gives up."""

    def __init__(self) -> None:
        self.checking = threading.Event()
        self.resume = threading.Event()
        self.starts: list[str] = []

    def start(self, label: str, total: int | None) -> None:
        self.starts.append(label)
        if not self.checking.is_set():
            self.checking.set()
            self.resume.wait(120)


@pytest.mark.parametrize("other", ["pay", "run"])
def test_a_writer_started_during_a_long_import_completes_and_the_import_too(db_url, clock, tmp_path, other):
    app = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        _book(app)
        path = _payments_file(tmp_path)
        sink = _PausesOnce()
        reports, errors = [], []

        def run_import() -> None:
            try:
                reports.append(import_file(app, "payments", path, progress=sink))
            except BaseException as e:  # noqa: BLE001 — asserted below
                errors.append(e)

        th = threading.Thread(target=run_import)
        th.start()
        try:
            assert sink.checking.wait(60), "the import never started checking"
            # While the import checks its rows, another process writes: it must not wait for the import.
            args = (["pay", "C0", "--amount", "50.00", "--date", "2026-11-21", "--number", "SK-CLI"] if other == "pay"
                    else ["run", "--as-of", DAY])
            done = _cli(db_url, *args)
        finally:
            sink.resume.set()
            th.join(120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "busy with another writer" not in done.stderr  # it never had to wait for the lock
        assert errors == [] and len(reports) == 1
        assert reports[0].inserted == PAYMENTS
        with app.uow(write=False) as uow:
            assert recompute_open(uow) == []
        engine = create_engine(db_url)
        with engine.connect() as c:
            paid = c.execute(select(func.sum(t.payment.c.amount_minor))).scalar_one()
            allocated = c.execute(select(func.sum(t.allocation.c.amount_minor))).scalar_one()
            open_total = c.execute(select(func.sum(t.invoice.c.open_minor))).scalar_one()
            runs = c.execute(select(func.count()).select_from(t.run)).scalar_one()
        engine.dispose()
        extra = 5000 if other == "pay" else 0
        assert paid == allocated == PAYMENTS * 8000 + extra  # every fen found an open invoice
        assert open_total == (PAYMENTS + 30) * 10000 - paid
        assert runs == (1 if other == "run" else 0)
        if db_url.startswith("sqlite") and other == "pay":
            # The pay committed after the import had read the book: the import read it again.
            assert len(sink.starts) >= 3, sink.starts
    finally:
        app.engine.dispose()


def _kill_once_written(script: str, db_url: str, path: Path) -> None:
    """Run an import script as its own process and SIGKILL it once it prints that its first writes are in."""
    with subprocess.Popen([sys.executable, "-c", script, db_url, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() == "written":
            proc.send_signal(signal.SIGKILL)
        _out, err = proc.communicate(timeout=60)
    assert line.strip() == "written", line + err
    assert proc.returncode == -signal.SIGKILL


KILLED = r"""
import sys
from datetime import date
from huikuan.adapters.db import import_repo
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.import_ import import_file
from huikuan.services.ports import FixedClock

def stall(self, kind, rows):
    print("written", flush=True)  # the payments are written in the transaction; their allocations are next
    sys.stdin.readline()  # and here the process is killed

import_repo.ImportRepo.add_allocations_by_number = stall
url, path = sys.argv[1:3]
app = bootstrap(Settings(database_url=url), clock=FixedClock(date(2026, 11, 23)))
import_file(app, "payments", path)
print("committed", flush=True)
"""


def test_an_import_killed_while_writing_leaves_nothing(db_url, clock, tmp_path):
    app = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        _book(app)
    finally:
        app.engine.dispose()
    path = _payments_file(tmp_path)
    _kill_once_written(KILLED, db_url, path)
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            assert c.execute(select(func.count()).select_from(t.payment)).scalar_one() == 0
            assert c.execute(select(func.count()).select_from(t.allocation)).scalar_one() == 0
            assert c.execute(select(func.sum(t.invoice.c.open_minor))).scalar_one() == (PAYMENTS + 30) * 10000
    finally:
        engine.dispose()
    # Nothing was left locked either: the same import now lands whole.
    app = bootstrap(Settings(database_url=db_url), clock=FixedClock(clock.today()))
    try:
        assert import_file(app, "payments", path).inserted == PAYMENTS
    finally:
        app.engine.dispose()


# ── ERP layout-profile imports and streamed rows (ADR 0007): checked before anything is written ──────

NEW = 10  # customers the ledger export creates (N0…N9), beside the book's C0…C2
LEDGER_INVOICES = 240
LEDGER_PAYMENTS = 120


def _ledger_file(folder: Path) -> Path:
    """A 金蝶 K/3 应收款明细表: invoices of known and new customers, payments of the new ones (paying their
    invoices of the same file), a 本期合计 row now and then."""
    path = folder / "k3_ledger.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("应收款明细表,,,,,,,,\n会计期间：2026年6期 至 2026年11期,,,,,,,,\n币别：人民币,,,,,,,,\n")
        fh.write("日期,单据类型,单据号码,核算项目代码,核算项目名称,摘要,本期应收,本期实收,期末余额\n")
        for i in range(LEDGER_INVOICES):
            code = f"N{(i // 2) % NEW}" if i % 2 else f"C{i % 3}"
            fh.write(f"2026-07-01,销售发票,XSFP{i:05d},{code},客户{code},销售发票,200.00,,\n")
            if i % 40 == 39:
                fh.write(",,,,,本期合计,,,\n")
        for i in range(LEDGER_PAYMENTS):
            code = f"N{i % NEW}"
            fh.write(f"2026-11-20,收款单,SKD{i:05d},{code},客户{code},收款,,150.00,\n")
    return path


def _import_ledger(app, path, progress=None):  # type: ignore[no-untyped-def]
    from huikuan.services.import_profiles import import_with_profile
    return import_with_profile(app, path, "ledger", "kingdee-k3-ar-detail", progress=progress)


def _writer_during_checks(db_url: str, other: str, sink: _PausesOnce, work) -> tuple[list, list, subprocess.CompletedProcess[str]]:  # type: ignore[no-untyped-def, type-arg]
    """Run ``work()`` in a thread; when it starts checking, run ``pay`` or ``run`` as its own process."""
    reports: list[object] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            reports.append(work())
        except BaseException as e:  # noqa: BLE001 — asserted by the caller
            errors.append(e)

    th = threading.Thread(target=target)
    th.start()
    try:
        assert sink.checking.wait(60), "the import never started checking"
        args = (["pay", "C0", "--amount", "50.00", "--date", "2026-11-21", "--number", "SK-CLI"] if other == "pay"
                else ["run", "--as-of", DAY])
        done = _cli(db_url, *args)
    finally:
        sink.resume.set()
        th.join(120)
    return reports, errors, done


def _sums(db_url: str) -> tuple[int, int, int, int, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return (c.execute(select(func.count()).select_from(t.customer)).scalar_one(),
                    c.execute(select(func.count()).select_from(t.invoice)).scalar_one(),
                    c.execute(select(func.coalesce(func.sum(t.payment.c.amount_minor), 0))).scalar_one(),
                    c.execute(select(func.coalesce(func.sum(t.allocation.c.amount_minor), 0))).scalar_one(),
                    c.execute(select(func.sum(t.invoice.c.open_minor))).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("other", ["pay", "run"])
def test_a_writer_started_during_a_profile_import_completes_and_the_import_too(db_url, clock, tmp_path, other):
    app = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        _book(app)
        path = _ledger_file(tmp_path)
        sink = _PausesOnce()
        reports, errors, done = _writer_during_checks(db_url, other, sink, lambda: _import_ledger(app, path, sink))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "busy with another writer" not in done.stderr  # it never had to wait for the lock
        assert errors == [] and len(reports) == 1
        r = reports[0]
        assert (r.customers.inserted, r.invoices.inserted, r.payments.inserted) == (NEW, LEDGER_INVOICES,
                                                                                   LEDGER_PAYMENTS)
        with app.uow(write=False) as uow:
            assert recompute_open(uow) == []
        customers, invoices, paid, allocated, open_total = _sums(db_url)
        extra = 5000 if other == "pay" else 0
        assert customers == 3 + NEW and invoices == PAYMENTS + 30 + LEDGER_INVOICES
        assert paid == allocated == LEDGER_PAYMENTS * 15000 + extra  # every fen found an open invoice
        assert open_total == (PAYMENTS + 30) * 10000 + LEDGER_INVOICES * 20000 - paid
        if db_url.startswith("sqlite") and other == "pay":
            # The pay committed after the import had read the book: the import checked its kinds again
            # (3 checks and the first write, then 3 checks and 3 writes).
            assert len(sink.starts) == 10, sink.starts
    finally:
        app.engine.dispose()


KILLED_PROFILE = r"""
import sys
from datetime import date
from huikuan.adapters.db import import_repo
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.import_profiles import import_with_profile
from huikuan.services.ports import FixedClock

def stall(self, posted):
    print("written", flush=True)  # customers and invoices are written in the transaction; payments next
    sys.stdin.readline()  # and here the process is killed

import_repo.ImportRepo.write_payments = stall
url, path = sys.argv[1:3]
app = bootstrap(Settings(database_url=url), clock=FixedClock(date(2026, 11, 23)))
import_with_profile(app, path, "ledger", "kingdee-k3-ar-detail")
print("committed", flush=True)
"""


def test_a_profile_import_killed_while_writing_leaves_nothing(db_url, clock, tmp_path):
    app = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        _book(app)
    finally:
        app.engine.dispose()
    before = _sums(db_url)
    path = _ledger_file(tmp_path)
    _kill_once_written(KILLED_PROFILE, db_url, path)
    assert _sums(db_url) == before  # no customer, invoice, payment or allocation of the file
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            assert c.execute(select(func.count()).select_from(t.audit_log).where(
                t.audit_log.c.entity_key.like("%k3_ledger%"))).scalar_one() == 0
    finally:
        engine.dispose()
    app = bootstrap(Settings(database_url=db_url), clock=FixedClock(clock.today()))
    try:
        r = _import_ledger(app, path)
        assert (r.customers.inserted, r.invoices.inserted, r.payments.inserted) == (NEW, LEDGER_INVOICES,
                                                                                   LEDGER_PAYMENTS)
    finally:
        app.engine.dispose()


@pytest.mark.parametrize("keep", [None, 50])
def test_a_writer_started_during_a_streamed_import_completes_and_the_import_too(db_url, clock, monkeypatch, keep):
    """Rows from a generator are read once: those checked are kept and checked again after a writer
    overtook the import. With fewer kept than the stream holds (``keep`` 50 of 300), the import takes the
    lock when the 50th is kept — refused there once, it checks the 50 kept rows again and reads on."""
    from huikuan.services.import_ import run
    if keep is not None:
        monkeypatch.setattr(run, "KEEP_STREAMED", keep)
    app = bootstrap(Settings(database_url=db_url), clock=clock)
    try:
        _book(app)
        rows = ({"payment_no": f"SK{i:04d}", "customer_code": f"C{i % 3}", "payment_date": "2026-11-20",
                 "amount": "80.00"} for i in range(PAYMENTS))
        sink = _PausesOnce()
        reports, errors, done = _writer_during_checks(db_url, "pay", sink,
                                                      lambda: import_rows(app, "payments", rows, progress=sink))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "busy with another writer" not in done.stderr
        assert errors == [] and len(reports) == 1
        assert reports[0].inserted == PAYMENTS
        with app.uow(write=False) as uow:
            assert recompute_open(uow) == []
        _c, _i, paid, allocated, open_total = _sums(db_url)
        assert paid == allocated == PAYMENTS * 8000 + 5000
        assert open_total == (PAYMENTS + 30) * 10000 - paid
        if db_url.startswith("sqlite"):
            assert len(sink.starts) >= 3, sink.starts  # checked again after the pay
    finally:
        app.engine.dispose()
