"""The daily run's fast paths give exactly what the plain sequential run gives (issue 6, performance;
ADR 0006), on both backends, over a generated book with history, promises, disputes, payments,
statements, quiet (settled) customers, a foreign-currency invoice and a suspended customer:

- the decision split over worker processes by customer range equals the one-process decision, action
  for action and in the same order, with the same errors and closures — also when a worker dies;
- skipping quiet customers drops no action (the run with the skip equals the run that builds every
  customer's facts);
- the memoising row encoder writes byte for byte the rows the per-row encoder writes;
- a run decided by workers stores what a one-process dry run of the same day proposes, and a re-run
  creates nothing; workers that store their own shares (a run that saves) store them in customer order,
  row for row what one process stores.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import pickle
import pickletools
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.adapters.db.collect_repo import CollectRepo
from huikuan.bootstrap import App
from huikuan.domain.money import Money
from huikuan.services import collect, daily_run, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import (
    Decided,
    RowEncoder,
    _apply,
    action_row,
    decide_in_workers,
    gather_and_decide,
    run_daily,
)
from huikuan.services.import_ import import_rows
from huikuan.services.ports import NoProgress

TERMS = ("net 30", "net 60", "eom 30", "day 25", "cash", "net 7")
TYPES = ("dealer", "enterprise", "government", "export")

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the disputes and payments below (audited)


def _book(app: App, n: int = 48, seed: int = 6) -> date:
    """A company of ``n`` customers over the last year; returns the day to decide (a working day)."""
    rng = random.Random(seed)
    today: date = app.clock.today()
    customers = [{"customer_code": f"C{i:03d}", "name": f"客户{i}", "terms": rng.choice(TERMS),
                  "type": rng.choice(TYPES), "credit_limit": f"{rng.randint(0, 90)}0000.00",
                  "collector": rng.choice(("王芳", "李强", "")),
                  "requires_statement": "true" if rng.random() < 0.3 else "false"} for i in range(n)]
    import_rows(app, "customers", customers)
    invoices, k = [], 0
    for i in range(n):
        if i % 6 == 5:
            continue  # quiet: nothing open
        for _ in range(rng.randint(1, 7)):
            k += 1
            invoices.append({"invoice_no": f"S{k:05d}", "customer_code": f"C{i:03d}",
                             "invoice_date": (today - timedelta(days=int(rng.expovariate(1 / 70)) % 360)).isoformat(),
                             "amount": f"{rng.randint(100, 90000)}.{rng.randint(0, 99):02d}"})
    invoices.append({"invoice_no": "USD1", "customer_code": "C000", "invoice_date": "2026-08-01",
                     "amount": "500.00", "currency": "USD"})
    import_rows(app, "invoices", invoices)
    day = today - timedelta(days=14)
    run_daily(app, day)  # history: yesterday's stages, cadences, pending proposals
    numbers = [r["invoice_no"] for r in invoices if r["invoice_no"] != "USD1"]
    with app.uow() as uow:
        for number in rng.sample(numbers, 6) + [r["invoice_no"] for r in invoices if r["customer_code"] == "C001"]:
            ledger.open_dispute(uow, number, None, "quality", day, by=BY)  # all of C001's: its tasks close
        for i in rng.sample(range(n), 10):
            ledger.record_payment(uow, f"C{i:03d}", Money(rng.randint(1000, 4_000_000), "CNY"), day, by=BY)
        uow.commit()
    for i in rng.sample(range(n), 6):
        collect.record_promise(app, f"C{i:03d}", rng.randint(10_000, 900_000), day + timedelta(days=rng.randint(1, 9)),
                               made_on=day)
    for i in rng.sample(range(n), 8):
        collect.log_contact(app, f"C{i:03d}", rng.choice(("phone", "email")), rng.choice(("reached", "no_answer")))
    with app.engine.begin() as c:
        # A suspended customer with nothing open: the credit lift must still reach it.
        c.execute(t.customer.update().where(t.customer.c.code == "C005").values(credit_status="suspended"))
        # C002's invoices settled behind the services' back (an ERP correction): the run closes its tasks.
        c.execute(t.invoice.update().where(t.invoice.c.customer_id == select(t.customer.c.id).where(
            t.customer.c.code == "C002").scalar_subquery()).values(open_minor=0))
    return today


def _with(app: App, **settings: Any) -> App:
    return dataclasses.replace(app, settings=dataclasses.replace(app.settings, **settings))


def _sequential(app: App, day: date) -> Decided:
    with app.uow(write=False) as uow:
        return gather_and_decide(app, uow, day, app.calendar(), NoProgress())


def _parallel(app: App, day: date, workers: int) -> Decided:
    fast = _with(app, run_workers=workers, run_parallel_min_customers=0)
    with fast.uow(write=False) as uow:
        return decide_in_workers(fast, uow, day, fast.calendar(), NoProgress())


def _same(a: Decided, b: Decided) -> None:
    assert a.actions == b.actions
    assert a.errors == b.errors
    assert sorted(a.closures) == sorted(b.closures) and a.checked == b.checked
    assert a.collectors == b.collectors and a.customers == b.customers and a.is_workday == b.is_workday


def test_workers_decide_exactly_what_one_process_decides(app: App) -> None:
    day = _book(app)
    one = _sequential(app, day)
    assert len(one.actions) > 40 and one.errors and one.closures  # the book exercises every part
    assert {a.customer_id for a in one.actions} > {a.customer_id for a in one.actions if a.customer_id < 20}
    for workers in (2, 3):
        _same(_parallel(app, day, workers), one)


def test_a_worker_that_dies_has_its_share_decided_by_the_run(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    day = _book(app)
    one = _sequential(app, day)
    parent = os.getpid()
    real = daily_run.gather_and_decide

    def dies_in_worker(*args: Any, **kwargs: Any) -> Decided:
        if os.getpid() != parent:
            os._exit(9)  # killed: no result, no message
        return real(*args, **kwargs)

    monkeypatch.setattr(daily_run, "gather_and_decide", dies_in_worker)
    _same(_parallel(app, day, 2), one)
    monkeypatch.setattr(daily_run, "gather_and_decide", real)
    monkeypatch.setattr(App, "for_worker", lambda self: None)  # a database the worker cannot open
    _same(_parallel(app, day, 2), one)


def test_spans_cover_every_id_once() -> None:
    ids = [3, 4, 9, 10, 11, 40, 41]
    for parts in (1, 2, 3, 7, 9):
        shares = daily_run.spans(ids, parts)
        assert len(shares) == min(parts, len(ids))
        for probe in range(-5, 60):
            assert sum(lo <= probe <= hi for lo, hi in shares) == 1
        assert all(sum(lo <= i <= hi for i in ids) >= 1 for lo, hi in shares)
    # the run's own share is the larger (it unpickles the others' after deciding its own); the rest even
    many = list(range(1000, 3000, 2))
    counts = [sum(lo <= i <= hi for i in many) for lo, hi in daily_run.spans(many, 3, own=1.5)]
    assert counts == [429, 285, 286] and sum(counts) == len(many)
    assert [sum(lo <= i <= hi for i in many) for lo, hi in daily_run.spans(many, 2, own=1.0)] == [500, 500]
    # a run that stores: the workers store the first shares while the run decides the last, its own, the larger
    assert [sum(lo <= i <= hi for i in many) for lo, hi in daily_run.spans(many, 3, own=1.5, own_last=True)] == [
        286, 285, 429]


def test_skipping_quiet_customers_drops_no_action(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    day = _book(app)
    with_skip = _sequential(app, day)
    asked: list[tuple[str, str]] = []
    real = daily_run.can_act_when_quiet

    def never_skip(policy: Any, ctype: str, status: str, today: date) -> bool:
        asked.append((ctype, status))
        real(policy, ctype, status, today)
        return True

    monkeypatch.setattr(daily_run, "can_act_when_quiet", never_skip)
    _same(with_skip, _sequential(app, day))
    assert ("suspended" in {s for _t, s in asked}) and len(asked) >= 2  # quiet customers were considered
    lifted = [a for a in with_skip.actions if a.kind.value == "credit_resume"]
    assert lifted, "the suspended quiet customer gets its credit lift although it is skipped-eligible"


def test_the_row_encoder_writes_what_the_per_row_encoder_writes(app: App) -> None:
    day = _book(app)
    got = _sequential(app, day)
    enc = RowEncoder(app.company_id, day.isoformat(), 7)
    for a in got.actions:
        collector = got.collectors.get(a.customer_id)
        assert enc.row(a, collector) == action_row(a, app.company_id, day.isoformat(), 7, collector)
    assert len(enc.reasons) < len(got.actions)  # it does share


def test_a_run_decided_by_workers_stores_what_one_process_proposes(app: App) -> None:
    day = _book(app)
    dry = run_daily(_with(app, run_workers=1), day, dry_run=True)
    fast = _with(app, run_workers=2, run_parallel_min_customers=0)
    real = run_daily(fast, day)
    assert real.actions == dry.actions and real.errors == dry.errors
    assert real.created == len(real.actions) > 0
    again = run_daily(fast, day)
    assert again.created == 0  # idempotent: the day's actions exist
    with app.uow(write=False) as uow:
        stored = uow.collect.actions_on(day)
    assert [(r.customer_id, r.stage, r.kind) for r in stored] == [
        (a.customer_id, a.stage, a.kind.value) for a in sorted(real.actions, key=lambda a: a.customer_id)]


def test_a_worker_hands_its_actions_back_through_their_constructor(app: App) -> None:
    """The hand-back is on the run's critical path: ~2·10⁵ actions at 10⁶ invoices. Each is pickled as its
    constructor and values (no per-object ``__setstate__``, which walked ``dataclasses.fields`` per object
    and cost seconds) and arrives equal, field for field."""
    day = _book(app)
    got = _sequential(app, day)
    data = pickle.dumps(got.actions, protocol=pickle.HIGHEST_PROTOCOL)
    assert pickle.loads(data) == got.actions
    assert [dataclasses.astuple(a) for a in pickle.loads(data)] == [dataclasses.astuple(a) for a in got.actions]
    assert not [op for op, _arg, _pos in pickletools.genops(data) if op.name == "BUILD"]


def test_workers_store_their_shares_in_customer_order(app: App, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Any) -> None:
    day = _book(app)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)  # three processes: two workers store one after the other
    log = tmp_path / "stores.txt"
    real_store = daily_run._store

    def store(app: Any, got: Decided, *args: Any) -> tuple[int, int]:  # when each process stores which share
        began = time.monotonic_ns()
        out = real_store(app, got, *args)
        with log.open("a") as f:
            f.write(f"{began} {time.monotonic_ns()} {min(a.customer_id for a in got.actions)}\n")
        return out

    monkeypatch.setattr(daily_run, "_store", store)
    dry = run_daily(_with(app, run_workers=1), day, dry_run=True)
    fast = _with(app, run_workers=3, run_parallel_min_customers=0)
    with fast.uow() as uow:
        rid = uow.collect.start_run(day, datetime(2026, 1, 1), False)
        uow.commit()
    with fast.uow(write=False) as uow:
        got = decide_in_workers(fast, uow, day, fast.calendar(), NoProgress(), store_as=rid)
    assert [p.stored is not None for p in got.parts] == [True, True, False]  # the run's own, last, by _apply
    assert got.actions == dry.actions and got.errors == dry.errors
    created, _closed = _apply(fast, got, day, rid, NoProgress())
    assert created == len(dry.actions) > 40
    stores = sorted(tuple(map(int, line.split())) for line in log.read_text().splitlines())
    assert len(stores) == 3
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(stores))  # one after the other
    assert [first for _b, _e, first in stores] == sorted(first for _b, _e, first in stores)  # in customer order
    with app.engine.connect() as c:
        cols = [getattr(t.action.c, name) for name in CollectRepo.ACTION_COLUMNS]
        stored = [tuple(r) for r in c.execute(select(*cols).where(t.action.c.run_on == day).order_by(t.action.c.id))]
    with app.uow(write=False) as uow:
        when = uow.collect.date_param(day)
    enc, collectors = RowEncoder(app.company_id, when, rid), _sequential(app, day).collectors
    expected = [enc.row(a, collectors.get(a.customer_id)) for a in sorted(dry.actions, key=lambda a: a.customer_id)]
    assert [_plain(r) for r in stored] == [_plain(r) for r in expected]


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row as both backends give it back: dates and JSON as text, booleans as such."""
    out = []
    for v in row:
        if isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, list | dict):
            v = json.dumps(v, ensure_ascii=False)
        elif isinstance(v, bool):
            v = int(v)
        out.append(v)
    return tuple(out)


def test_a_storing_worker_stops_between_batches_once_its_run_is_gone() -> None:
    daily_run._WhileTheRunLives(os.getppid()).advance(50_000)  # its run alive: it goes on
    with pytest.raises(RuntimeError):
        daily_run._WhileTheRunLives(os.getppid() + 1_000_000).advance(50_000)  # killed: reparented
