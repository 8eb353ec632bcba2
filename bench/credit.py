"""Benchmark of issue 10: the order desk's credit check at 10⁶ invoices, and the early warnings' share
of the daily run.

Usage (from the repository root, under ``flock /work/.bench.lock`` on a shared machine)::

    python bench/credit.py --workdir /tmp/bench-credit                # 10⁵ customers, 10⁶ invoices
    python bench/credit.py --customers 300 --invoices 3000 --workdir /tmp/b --checks 200

1. Data: the same generator and import as ``bench/run.py`` (reused when ``bench.db`` exists in the
   work dir), plus paid history for every hundredth customer (so the warnings have something to read).
2. The check called through the service (``services.credit.check_order``, the function the API route
   calls), first one caller at a time, then 20 concurrent callers (threads sharing the app's engine,
   as a web server's workers share it); each call's latency is recorded; p50/p95/p99.
3. The daily run, timed in total, and the part of it spent raising warnings (``warnings_seconds``).

Prints one JSON line; the figures go into bench/RESULTS.md by hand, beside the run's machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as base  # noqa: E402  (bench/run.py: generator, import phase, app)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def add_history(workdir: Path, as_of: date, share: int = 100, seed: int = 7) -> int:
    """Paid invoices for every ``share``-th customer: six invoices each, paid progressively later, so the
    days-to-pay and chronic-late detectors have real work (the base data holds open invoices only)."""
    from huikuan.domain.money import Money
    from huikuan.services.ledger import record_payment

    app = base._app(workdir, as_of)
    rng = random.Random(seed)
    with sqlite3.connect(workdir / "bench.db") as c:
        if c.execute("SELECT count(*) FROM payment WHERE number LIKE 'HP-%'").fetchone()[0]:
            return 0
        have = c.execute("SELECT count(*) FROM invoice WHERE number LIKE 'HIST-%'").fetchone()[0]
        codes = [r[0] for r in c.execute("SELECT code FROM customer ORDER BY id")][::share]
    from huikuan.services.import_ import import_rows

    rows = []
    for code in codes:
        for k in range(6):
            on = as_of - timedelta(days=200 - 28 * k)
            rows.append({"invoice_no": f"HIST-{code}-{k}", "customer_code": code, "invoice_date": on.isoformat(),
                         "due_date": (on + timedelta(days=30)).isoformat(), "amount": "1000"})
    if not have:
        import_rows(app, "invoices", rows)
    from huikuan.services.audit import SYSTEM, By

    by = By(SYSTEM, app.clock.now())
    with app.uow() as uow:
        for code in codes:
            for k in range(6):
                on = as_of - timedelta(days=200 - 28 * k)
                late = rng.choice([0, 0, 5, 20]) + 4 * k
                record_payment(uow, code, Money(1_000_00, "CNY"), on + timedelta(days=30 + late),
                               invoice_number=f"HIST-{code}-{k}", number=f"HP-{code}-{k}", by=by)
        uow.commit()
    return len(rows)


def checks(app: Any, codes: list[str], n: int, threads: int, seed: int) -> tuple[list[float], float]:
    from huikuan.services.credit import check_order

    rng = random.Random(seed)
    jobs = [(rng.choice(codes), rng.randrange(1_000_00, 50_000_00)) for _ in range(n)]
    lat: list[float] = []
    lock = threading.Lock()

    def work(part: list[tuple[str, int]]) -> None:
        mine = []
        for code, amount in part:
            t0 = time.perf_counter()
            check_order(app, code, amount)
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    started = time.perf_counter()
    if threads == 1:
        work(jobs)
    else:
        ts = [threading.Thread(target=work, args=(jobs[i::threads],)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return lat, time.perf_counter() - started


def summary(lat: list[float], wall: float) -> dict[str, float]:
    ms = [x * 1000 for x in lat]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(pct(ms, 95), 2),
            "p99_ms": round(pct(ms, 99), 2), "max_ms": round(max(ms), 2), "per_s": round(len(ms) / wall, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--checks", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--history-every", type=int, default=100, help="paid history for every n-th customer")
    ap.add_argument("--checks-only", action="store_true", help="measure the check only (no history, no run)")
    ap.add_argument("--run-only", action="store_true", help="measure the daily run only (no history, no checks)")
    ap.add_argument("--as-of", type=date.fromisoformat, default=base.DEFAULT_AS_OF)
    a = ap.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    if not (a.workdir / "bench.db").exists():
        base.generate_csv(a.workdir, a.customers, a.invoices, a.seed, a.as_of)
        out["import"] = base.phase_import(a.workdir, a.as_of)
    if not (a.checks_only or a.run_only):
        out["history_invoices"] = add_history(a.workdir, a.as_of, share=a.history_every)
    with sqlite3.connect(a.workdir / "bench.db") as c:
        out["invoices_in_db"] = c.execute("SELECT count(*) FROM invoice").fetchone()[0]
        out["customers_in_db"] = c.execute("SELECT count(*) FROM customer").fetchone()[0]
        codes = [r[0] for r in c.execute("SELECT code FROM customer")]
    app = base._app(a.workdir, a.as_of)
    if not a.run_only:
        checks(app, codes, 50, 1, a.seed + 1)  # warm the policy cache and the page cache
        out["check_1_caller"] = summary(*checks(app, codes, a.checks, 1, a.seed))
        out["check_20_callers"] = summary(*checks(app, codes, a.checks, a.threads, a.seed + 2))
    if a.checks_only:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    from huikuan.services.daily_run import run_daily

    out["load_before_run"] = os.getloadavg()[0]
    t0 = time.perf_counter()
    rep = run_daily(app, a.as_of)
    total = time.perf_counter() - t0
    out["run"] = {"s": round(total, 2), "warnings_s": round(rep.warnings_seconds, 3),
                  "warnings_share_pct": round(100 * rep.warnings_seconds / total, 2), "alerts": rep.alerts_raised,
                  "actions": len(rep.actions)}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
