"""The run lock dies with its holder (issue 6 item 15): a lease, the holder's pid and host, a dead
holder's lock taken over with a message, an interrupted run marked so and its lock freed, and the
run log never showing a dead run as running. Both backends."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import Conflict
from huikuan.services import run_lock
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.ports import NoProgress
from huikuan.services.reporting import runs

TODAY = date(2026, 11, 23)


def seed(app, n: int = 3) -> None:
    import_rows(app, "customers", [
        {"customer_code": f"KH{i}", "name": f"客户{i}", "terms": "net 30", "credit_limit": "100000.00"}
        for i in range(n)])
    import_rows(app, "invoices", [
        {"invoice_no": f"I{i}", "customer_code": f"KH{i}", "invoice_date": "2026-09-01", "amount": "1000.00"}
        for i in range(n)])


def now(app):
    return app.clock.now().replace(tzinfo=None)


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def hold(app, *, pid: int, host: str, seen_ago: timedelta = timedelta(0)) -> int:
    """A run row holding the lock, as a run in another process would leave it."""
    with app.uow() as uow:
        rid = uow.collect.start_run(TODAY, now(app) - seen_ago, False, pid=pid, host=host)
        uow.collect.take_lock(rid, now(app) - seen_ago)
        uow.commit()
    return rid


def status(app, run_id: int) -> str:
    with app.engine.connect() as c:
        return c.execute(select(t.run.c.status).where(t.run.c.id == run_id)).scalar_one()


def lock_row(app):
    with app.engine.connect() as c:
        return c.execute(select(t.run_lock)).first()


def test_a_live_holder_keeps_the_lock_and_is_named(app):
    import os

    seed(app)
    rid = hold(app, pid=os.getpid(), host=run_lock.this_host())
    with pytest.raises(Conflict) as e:
        run_daily(app, TODAY)
    assert e.value.code == "run.locked"
    assert e.value.params["run_id"] == rid and e.value.params["pid"] == os.getpid()
    assert e.value.params["host"] == run_lock.this_host()


def test_a_dead_process_on_this_host_loses_its_lock_at_once(app):
    seed(app)
    rid = hold(app, pid=dead_pid(), host=run_lock.this_host())  # lease still fresh: only the pid is gone
    rep = run_daily(app, TODAY)
    assert rep.took_over is not None and rep.took_over.run_id == rid
    assert status(app, rid) == "interrupted" and status(app, rep.run_id) == "done"
    assert rep.created > 0 and lock_row(app) is None


def test_a_holder_on_another_host_is_trusted_until_its_lease_expires(app):
    seed(app)
    rid = hold(app, pid=1, host="other-host", seen_ago=run_lock.LEASE - timedelta(seconds=5))
    with pytest.raises(Conflict):
        run_daily(app, TODAY)
    with app.engine.begin() as c:  # ten seconds later its lease has run out
        c.execute(update(t.run).where(t.run.c.id == rid).values(
            heartbeat_at=now(app) - run_lock.LEASE - timedelta(seconds=5)))
    rep = run_daily(app, TODAY)
    assert rep.took_over is not None and rep.took_over.host == "other-host"
    assert status(app, rid) == "interrupted"


def test_a_lock_left_by_a_finished_or_vanished_run_is_taken_over(app):
    seed(app)
    with app.uow() as uow:
        uow.collect.take_lock(999, now(app))  # no such run
        uow.commit()
    rep = run_daily(app, TODAY)
    assert rep.took_over is not None and rep.took_over.run_id == 999
    assert lock_row(app) is None


def test_the_run_log_shows_a_dead_run_as_interrupted_and_a_live_one_as_running(app):
    import os

    seed(app)
    dead = hold(app, pid=dead_pid(), host=run_lock.this_host())
    with app.engine.begin() as c:
        c.execute(t.run_lock.delete())
    live = hold(app, pid=os.getpid(), host=run_lock.this_host())
    shown = {r.id: r.status for r in runs(app)}
    assert shown[dead] == "interrupted" and shown[live] == "running"
    with app.engine.begin() as c:  # the live one stops renewing: after the lease it is dead too
        c.execute(update(t.run).where(t.run.c.id == live).values(heartbeat_at=now(app) - 2 * run_lock.LEASE))
    assert {r.id: r.status for r in runs(app)}[live] == "interrupted"


class _InterruptAfter(NoProgress):
    def __init__(self, n: int) -> None:
        self.n = n

    def advance(self, n: int = 1) -> None:
        self.n -= 1
        if self.n < 0:
            raise KeyboardInterrupt


def test_ctrl_c_marks_the_run_interrupted_frees_the_lock_and_the_next_run_completes_the_day(app):
    seed(app, 30)
    with pytest.raises(KeyboardInterrupt):
        run_daily(app, TODAY, progress=_InterruptAfter(0))
    with app.engine.connect() as c:
        first = c.execute(select(t.run.c.id, t.run.c.status).order_by(t.run.c.id)).all()
    assert [s for _, s in first] == ["interrupted"]
    assert lock_row(app) is None
    rep = run_daily(app, TODAY)
    assert rep.took_over is None and rep.created == len(rep.actions) > 0


def test_the_lease_is_renewed_while_the_run_works(app):
    seed(app)
    rid = hold(app, pid=1, host="h")
    app.clock.advance(hours=1)

    calls: list[int] = []
    twice = threading.Event()

    def renew() -> None:
        with app.uow() as uow:
            uow.collect.heartbeat(rid, now(app))
            uow.commit()
        calls.append(1)
        if len(calls) >= 2:
            twice.set()

    lease = run_lock.Lease(renew, every=0.01).start()
    assert twice.wait(30)
    lease.stop()
    with app.engine.connect() as c:
        seen = c.execute(select(t.run.c.heartbeat_at).where(t.run.c.id == rid)).scalar_one()
    assert seen == now(app)


def test_an_interrupt_just_after_the_lock_is_committed_still_frees_it(app, monkeypatch):
    """Ctrl-C right after the run's first commit (before its clean-up is armed) leaves nothing behind."""
    seed(app)
    real_uow = app.uow
    calls = {"n": 0}

    class CommitThenInterrupt:
        def __init__(self, inner):
            self.inner = inner

        def __enter__(self):
            self.inner.__enter__()
            return self

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def commit(self):
            self.inner.commit()
            raise KeyboardInterrupt  # the signal lands just after the commit

    def uow(write=True):
        calls["n"] += 1
        inner = real_uow(write)
        return CommitThenInterrupt(inner) if calls["n"] == 1 else inner

    monkeypatch.setattr(app, "uow", uow)
    with pytest.raises(KeyboardInterrupt):
        run_daily(app, TODAY)
    monkeypatch.setattr(app, "uow", real_uow)
    with app.engine.connect() as c:
        assert c.execute(select(t.run.c.status)).scalars().all() == ["interrupted"]
    assert lock_row(app) is None


def test_an_interrupt_while_the_lease_starts_still_frees_it(app, monkeypatch):
    seed(app)

    def boom(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_lock.Lease, "start", boom)
    with pytest.raises(KeyboardInterrupt):
        run_daily(app, TODAY)
    with app.engine.connect() as c:
        assert c.execute(select(t.run.c.status)).scalars().all() == ["interrupted"]
    assert lock_row(app) is None


def test_an_interrupt_that_surfaces_as_a_driver_error_is_still_an_interrupt(app, monkeypatch):
    """SIGTERM inside psycopg's call can come out as "can't change 'autocommit' now: connection in transaction
    status ACTIVE" with the KeyboardInterrupt as its context (seen in CI-like runs): the run is marked
    interrupted, its lock freed, and the interrupt goes on up — not a crash, not a run marked failed."""
    from huikuan.services import daily_run

    seed(app)

    def half_done_call(*_a, **_k):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("can't change 'autocommit' now: connection in transaction status ACTIVE") from None

    monkeypatch.setattr(daily_run, "decide_in_workers", half_done_call)
    with pytest.raises(KeyboardInterrupt):
        run_daily(app, TODAY)
    with app.engine.connect() as c:
        assert c.execute(select(t.run.c.status)).scalars().all() == ["interrupted"]
    assert lock_row(app) is None
    monkeypatch.undo()
    assert run_daily(app, TODAY).created > 0


def test_a_plain_error_is_not_taken_for_an_interrupt(app, monkeypatch):
    from huikuan.services import daily_run

    seed(app)
    monkeypatch.setattr(daily_run, "decide_in_workers", lambda *_a, **_k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run_daily(app, TODAY)
    with app.engine.connect() as c:
        assert c.execute(select(t.run.c.status)).scalars().all() == ["failed"]
