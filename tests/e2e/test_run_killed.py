"""A real ``huikuan run`` process killed mid-run (kill -9, SIGTERM, Ctrl-C): the next ``huikuan run``
completes the day at once, exactly once, and ``huikuan runs`` never shows the dead run as running.
Both backends (issue 6 item 15)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select

from huikuan.adapters.db import tables as t
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.import_ import import_rows

DAY = "2026-11-23"
CUSTOMERS = 3000
CLI = "import sys; from huikuan.entrypoints.cli.main import main; sys.exit(main(sys.argv[1:]))"


def _seed(url: str) -> None:
    app = bootstrap(Settings(database_url=url))
    try:
        import_rows(app, "customers", [
            {"customer_code": f"KH{i:05d}", "name": f"客户{i}", "terms": "net 30", "credit_limit": "100000.00"}
            for i in range(CUSTOMERS)])
        import_rows(app, "invoices", [
            {"invoice_no": f"I{i:05d}-{k}", "customer_code": f"KH{i:05d}", "invoice_date": d, "amount": "1000.00"}
            for i in range(CUSTOMERS) for k, d in enumerate(("2026-08-01", "2026-10-01"))])
    finally:
        app.engine.dispose()


WORKERS = {"HUIKUAN_RUN_WORKERS": "2", "HUIKUAN_RUN_PARALLEL_MIN_CUSTOMERS": "0"}  # worker processes store too


def _env(workers: bool = False) -> dict[str, str]:
    return {**os.environ, "HUIKUAN_LOCALE": "zh-CN", "NO_COLOR": "1", "COLUMNS": "200", **(WORKERS if workers else {})}


def _cli(url: str, *args: str, workers: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, "--database-url", url, *args], capture_output=True,
                          text=True, timeout=300, env=_env(workers))


def _start_run(url: str, workers: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CLI, "--database-url", url, "run", "--as-of", DAY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(workers))


def _wait_until_running(url: str, proc: subprocess.Popen[str]) -> int:
    """The id of the run once it holds the lock (polled, bounded); the process is then mid-run."""
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as c:
                rid = c.execute(select(t.run_lock.c.run_id)).scalar()
            if rid is not None:
                return int(rid)
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.005)  # polling another process's progress
        raise AssertionError("the run never took its lock")
    finally:
        engine.dispose()


def _facts(url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            runs = c.execute(select(t.run.c.id, t.run.c.status).order_by(t.run.c.id)).all()
            dups = c.execute(select(t.action.c.customer_id).group_by(
                t.action.c.customer_id, t.action.c.stage, t.action.c.run_on).having(func.count() > 1)).all()
            dunned = c.execute(select(func.count(func.distinct(t.action.c.customer_id)))
                               .where(t.action.c.ladder == "dunning")).scalar_one()
            lock = c.execute(select(t.run_lock)).first()
        return dict(runs), dups, dunned, lock
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["kill", "term", "int", "kill-with-workers"])
def test_a_killed_run_is_completed_at_once_by_the_next(db_url, how):
    workers = how.endswith("-with-workers")  # its storing worker, orphaned, stops between batches
    how = how.removesuffix("-with-workers")
    _seed(db_url)
    proc = _start_run(db_url, workers)
    killed = _wait_until_running(db_url, proc)
    proc.send_signal({"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}[how])
    _out, err = proc.communicate(timeout=120)
    runs, _dups, _dunned, lock = _facts(db_url)
    if how == "kill":
        assert proc.returncode == -signal.SIGKILL
        assert runs[killed] == "running" and lock is not None  # what kill -9 leaves behind
        shown = json.loads(_cli(db_url, "runs", "--json").stdout)
        assert {r["id"]: r["status"] for r in shown}[killed] == "interrupted"
    else:
        assert proc.returncode == (143 if how == "term" else 130), (err, _out)
        assert "已中断" in err and "Traceback" not in err
        assert runs[killed] == "interrupted" and lock is None, err  # released on the way out

    again = _cli(db_url, "run", "--as-of", DAY, workers=workers)
    assert again.returncode == 0, again.stderr
    if how == "kill":
        assert "已接管失效的运行锁" in again.stderr and f"运行 {killed}" in again.stderr
    runs, dups, dunned, lock = _facts(db_url)
    assert runs[killed] == "interrupted" and runs[max(runs)] == "done" and lock is None
    assert dups == [] and dunned == CUSTOMERS  # every customer's day done, each action once
