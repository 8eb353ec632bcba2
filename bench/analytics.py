"""Benchmark of issue 11: model train, predict all open invoices, KPIs for a month (company, by segment,
collector and grade), the monthly report (PDF, HTML, Excel).

    python bench/analytics.py --customers 10000 --invoices 100000 [--db /tmp/bench-analytics.db]

Builds a book with history through the CLI's own imports (customers on net 30 / 60, invoices over 14
months, each settled by a payment naming it unless still open at the as-of date), then times each command
in-process on SQLite. Prints one markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from huikuan.entrypoints.cli.main import main

AS_OF = date(2026, 10, 1)


def build(folder: Path, customers: int, invoices: int, seed: int = 7) -> dict[str, Path]:
    rnd = random.Random(seed)
    paths = {k: folder / f"{k}.csv" for k in ("customers", "invoices", "payments")}
    habits = [(rnd.choice((30, 60)), rnd.gauss(0, 12), rnd.choice(("内销", "出口", "政府", "经销"))) for _ in range(customers)]
    with paths["customers"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_code", "name", "terms", "segment", "collector"])
        for c, (terms, _late, seg) in enumerate(habits):
            w.writerow([f"C{c:06d}", f"客户{c}", f"net {terms}", seg, f"收款员{c % 40}"])
    start = AS_OF - timedelta(days=420)
    with paths["invoices"].open("w", newline="", encoding="utf-8") as fi, \
            paths["payments"].open("w", newline="", encoding="utf-8") as fp:
        wi, wp = csv.writer(fi), csv.writer(fp)
        wi.writerow(["invoice_no", "customer_code", "invoice_date", "due_date", "amount"])
        wp.writerow(["payment_no", "customer_code", "payment_date", "amount", "invoice_no"])
        for n in range(invoices):
            c = rnd.randrange(customers)
            terms, late, _seg = habits[c]
            on = start + timedelta(days=int(rnd.random() ** 0.7 * 419))
            due = on + timedelta(days=terms)
            amount = f"{rnd.randint(500, 500_000)}.{rnd.randint(0, 99):02d}"
            number = f"{n:08d}"
            wi.writerow([number, f"C{c:06d}", on.isoformat(), due.isoformat(), amount])
            paid = due + timedelta(days=round(late + rnd.gauss(0, 8)))
            if paid < AS_OF:
                wp.writerow([f"P{number}", f"C{c:06d}", max(paid, on).isoformat(), amount, number])
    return paths


def timed(label: str, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its threads): on a shared, busy machine the CPU time
    is the figure that says what the code costs."""
    t0, c0 = time.perf_counter(), time.process_time()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        code = main(list(args))
    dt, ct = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {label}: {dt:.2f} s wall, {ct:.2f} s CPU (exit {code})", flush=True)
    return dt, ct


def _url(db: str) -> list[str]:
    return ["--database-url", f"sqlite:///{db}"]


def prepare(db: str, folder: Path, customers: int, invoices: int) -> None:
    """Generate the CSV files and import them into ``db`` (before the timed part; kept outside git)."""
    t0 = time.perf_counter()
    paths = build(folder, customers, invoices)
    print(f"generated in {time.perf_counter() - t0:.1f} s", flush=True)
    for kind in ("customers", "invoices", "payments"):
        timed(f"import {kind}", *_url(db), "import", kind, str(paths[kind]))


def floor(db: str) -> tuple[float, float]:
    """The read every phase starts with, as one SQL statement in SQLite itself: each invoice issued before
    the as-of date with the money allocated to it (what the model's book and the KPI book are built from)."""
    import sqlite3

    t0, c0 = time.perf_counter(), time.process_time()
    con = sqlite3.connect(db)
    n = con.execute(
        "SELECT count(*), sum(paid) FROM (SELECT i.id, coalesce(sum(a.amount_minor), 0) AS paid FROM invoice i "
        "LEFT JOIN allocation a ON a.company_id = i.company_id AND a.invoice_id = i.id WHERE i.invoice_on < ? "
        "GROUP BY i.id)", (AS_OF.isoformat(),)).fetchone()
    con.close()
    dt, ct = time.perf_counter() - t0, time.process_time() - c0
    print(f"  floor (one SQL pass, {n[0]:,} invoices): {dt:.2f} s wall, {ct:.2f} s CPU", flush=True)
    return dt, ct


def _models(db: str) -> int:
    """Payment models stored in ``db``."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT count(*) FROM prediction_model WHERE kind = 'payment'").fetchone()[0])
    finally:
        con.close()


def measure(db: str, folder: Path) -> dict[str, tuple[tuple[float, float], int]]:
    url = _url(db)
    # The libraries a long-running process has loaded already (LightGBM, NumPy, WeasyPrint, matplotlib):
    # imported before the clock starts, so the first phase does not carry everyone's import time.
    import lightgbm  # noqa: F401
    import matplotlib  # noqa: F401
    import weasyprint  # noqa: F401

    timed("warm-up (imports, CLI registration)", *url, "targets", "list")
    figures: dict[str, tuple[tuple[float, float], int]] = {}
    # No model stored yet (a new book's first `predict`, before `model train`): the customer-history rule
    # answers. Timed before the training below stores a model; a book that holds one already is skipped.
    if _models(db):
        print("  predict, no model: skipped (the database holds a trained model; time a fresh copy)", flush=True)
    else:
        figures["predict, no model (history rule, --json)"] = (
            timed("predict, no model", *url, "predict", "--as-of", AS_OF.isoformat(), "--json"), 15)
    return figures | {
        "model train": (timed("model train", *url, "model", "train", "--as-of", AS_OF.isoformat()), 60),
        "predict all open invoices (--json)": (timed("predict", *url, "predict", "--as-of", AS_OF.isoformat(), "--json"), 15),
        "KPIs for a month": (timed("kpi", *url, "kpi", "--month", "2026-09", "--format", "json"), 5),
        "KPIs for a month by segment": (timed("kpi by segment", *url, "kpi", "--month", "2026-09", "--by", "segment",
                                              "--format", "json"), 5),
        "KPIs for a month by collector": (timed("kpi by collector", *url, "kpi", "--month", "2026-09", "--by",
                                                "collector", "--format", "json"), 5),
        "KPIs for a month by grade": (timed("kpi by grade", *url, "kpi", "--month", "2026-09", "--by", "grade",
                                            "--format", "json"), 5),
        "monthly report (PDF)": (timed("report", *url, "report", "monthly", "--month", "2026-09", "-o",
                                       str(folder / "r.pdf")), 30),
        # the same report without WeasyPrint (HTML with its charts) and as Excel: what each format adds
        "monthly report (HTML)": (timed("report html", *url, "report", "monthly", "--month", "2026-09", "--format",
                                        "html", "-o", str(folder / "r.html")), 30),
        "monthly report (Excel)": (timed("report xlsx", *url, "report", "monthly", "--month", "2026-09", "--format",
                                         "xlsx", "-o", str(folder / "r.xlsx")), 30),
    }


def run() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--db", default=None, help="the book's SQLite file; with --reuse an existing one is timed as is")
    ap.add_argument("--build-only", action="store_true", help="generate and import, time nothing")
    ap.add_argument("--reuse", action="store_true", help="time the book already in --db (built with --build-only)")
    a = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hk-bench-analytics-"))
    db = a.db or str(folder / "bench.db")
    if not (a.reuse and Path(db).exists()):
        prepare(db, folder, a.customers, a.invoices)
    if a.build_only:
        return
    load = os.getloadavg()[0]
    figures = measure(db, folder)
    fl = floor(db)
    load_end = os.getloadavg()[0]
    print(f"\n{a.customers:,} customers, {a.invoices:,} invoices; 1-minute load average {load:.1f} at the start, "
          f"{load_end:.1f} at the end\n")
    print("| phase | wall s | CPU s | target (at 10⁶ invoices) | × floor |\n|---|---|---|---|---|")
    for k, ((wall, cpu), target) in figures.items():
        print(f"| {k} | {wall:.2f} | {cpu:.2f} | ≤ {target} s | {wall / fl[0]:.0f}× |")
    print(f"\nfloor: {fl[0]:.2f} s wall, {fl[1]:.2f} s CPU")


if __name__ == "__main__":
    run()
