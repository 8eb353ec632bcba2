"""Benchmark: import, daily run and aging at 10⁵ customers / 10⁶ open invoices, beside a DuckDB floor.

Usage (from the repository root, with the dev extras installed)::

    python bench/run.py                                   # full size, updates its section of bench/RESULTS.md
    python bench/run.py --customers 300 --invoices 3000 --out /tmp/r.md --workdir /tmp/b

Each phase runs in its own child process (``python bench/run.py phase NAME …``) so its wall time
and peak RSS (``ru_maxrss``) are its own and one phase's memory cannot hide another's. The floors
are the same aggregate as ONE DuckDB query over the same data, run in the same benchmark:

- import floor: ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` of the same CSV files;
- daily-run floor: per customer, overdue amount, oldest due date and days past due;
- aging floor: per customer, open amount summed by age bucket.

Generated data lives in a temporary directory (or ``--workdir``), never in the repository.

bench/RESULTS.md holds every area's figures, each between its own marker comments
``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``; this script rewrites only what lies between
``<!-- run:begin -->`` and ``<!-- run:end -->`` (``write_section``; other scripts may import it) and keeps
every other byte of the file.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH-RESULT "
BUCKETS = (0, 30, 60, 90, 180, 365)
GIB = 1024 * 1024  # ru_maxrss is in KiB on Linux
TARGETS = {"import_invoices_s": 30.0, "run_s": 20.0, "run_floor_ratio": 5.0, "run_rss_kib": GIB, "aging_s": 1.5}
# A fixed working day whose due dates all fall in years the Chinese calendar package covers.
DEFAULT_AS_OF = date(2026, 9, 15)
WORKERS_ENV = "HUIKUAN_BENCH_RUN_WORKERS"  # --workers, handed to the phase processes


# ---- data --------------------------------------------------------------------------------------------

def generate_csv(workdir: Path, customers: int, invoices: int, seed: int, as_of: date) -> dict[str, Any]:
    """Customers (the demo generator's master rows) and open invoices, streamed to CSV."""
    from huikuan.domain.money import format_minor
    from huikuan.domain.terms import due_date, parse_terms
    from huikuan.services.demo_data import customer_row, staff

    rng = random.Random(f"huikuan-bench/{seed}")
    collectors, sales = staff(rng, 6), staff(rng, 40)
    taken: set[str] = set()
    terms: list[Any] = []
    codes: list[str] = []
    started = time.perf_counter()
    with (workdir / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        w: csv.DictWriter[str] | None = None
        for i in range(1, customers + 1):
            row = customer_row(i, rng, collectors, sales, taken)
            if w is None:
                w = csv.DictWriter(fh, fieldnames=list(row))
                w.writeheader()
            w.writerow(row)
            codes.append(str(row["customer_code"]))
            terms.append(parse_terms(str(row["terms"])))
    # Skewed volumes (a few big dealers, many small ones) and ages (most open items are recent).
    weights = [rng.paretovariate(1.5) for _ in range(customers)]
    owners = rng.choices(range(customers), weights=weights, k=invoices)
    with (workdir / "invoices.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["invoice_no", "customer_code", "invoice_date", "due_date", "amount", "currency"])
        batch = []
        for n, c in enumerate(owners, start=1):
            on = as_of - timedelta(days=min(364, int(rng.expovariate(1 / 60))))
            if on.weekday() == 6:
                on -= timedelta(days=1)
            minor = int(500 * (600 ** rng.random())) * 100 + rng.choice((0, 0, 50, rng.randint(1, 99)))
            batch.append((f"XS{n:08d}", codes[c], on.isoformat(), due_date(on, terms[c]).isoformat(),
                          format_minor(minor), "CNY"))
            if len(batch) == 50_000:
                out.writerows(batch)
                batch.clear()
        out.writerows(batch)
    return {"generate_s": time.perf_counter() - started,
            "csv_bytes": sum((workdir / f).stat().st_size for f in ("customers.csv", "invoices.csv"))}


# ---- phases (each runs in a child process) ----------------------------------------------------------------

def _app(workdir: Path, as_of: date) -> Any:
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services.ports import FixedClock

    settings = Settings(database_url=f"sqlite:///{workdir / 'bench.db'}", company="基准测试公司", company_code="bench",
                        run_workers=run_workers())
    return bootstrap(settings, clock=FixedClock(as_of))


def run_workers() -> int:
    """Processes deciding the daily run (``--workers``; the phases inherit it): the setting's default unless given."""
    from huikuan.config import Settings

    given = os.environ.get(WORKERS_ENV)
    return int(given) if given else Settings().run_workers


def _report_fields(report: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("imported", "created", "updated", "rows", "rejected", "skipped"):
        value = getattr(report, name, None)
        if isinstance(value, int):
            out[name] = value
        elif isinstance(value, list | tuple):
            out[name] = len(value)
    return out


def phase_import(workdir: Path, as_of: date) -> dict[str, Any]:
    from huikuan.services.import_ import import_file

    app = _app(workdir, as_of)
    out: dict[str, Any] = {}
    for kind, name in (("customers", "customers.csv"), ("invoices", "invoices.csv")):
        started = time.perf_counter()
        report = import_file(app, kind, workdir / name)
        out[f"{kind}_s"] = time.perf_counter() - started
        out[f"{kind}_report"] = _report_fields(report)
    with sqlite3.connect(workdir / "bench.db") as c:
        out["customers_in_db"] = c.execute("SELECT count(*) FROM customer").fetchone()[0]
        out["invoices_in_db"] = c.execute("SELECT count(*) FROM invoice").fetchone()[0]
        out["open_invoices_in_db"] = c.execute("SELECT count(*) FROM invoice WHERE open_minor <> 0").fetchone()[0]
    return out


def phase_run(workdir: Path, as_of: date, profile: bool = False) -> dict[str, Any]:
    from huikuan.services.daily_run import run_daily

    app = _app(workdir, as_of)
    prof = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if prof is not None:
        prof.enable()
    report = run_daily(app, as_of)
    if prof is not None:
        prof.disable()
    out: dict[str, Any] = {"s": time.perf_counter() - started, "actions": len(report.actions),
                           "counts": dict(report.counts), "errors": len(getattr(report, "errors", ()) or ())}
    if prof is not None:
        out["profile"] = _profile_summary(prof)
    return out


def phase_run_next(workdir: Path, as_of: date, profile: bool = False) -> dict[str, Any]:
    """The run of the next working day on the database the first run left: the steady state a
    daily cron job meets (cadences, history and pending proposals in place)."""
    from huikuan.domain.calendar import next_workday
    from huikuan.services.daily_run import run_daily

    app = _app(workdir, as_of)
    day = next_workday(app.calendar(), as_of + timedelta(days=1))
    prof = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if prof is not None:
        prof.enable()
    report = run_daily(app, day)
    if prof is not None:
        prof.disable()
    out: dict[str, Any] = {"s": time.perf_counter() - started, "day": day.isoformat(), "actions": len(report.actions),
                           "created": report.created, "closed": report.closed, "counts": dict(report.counts)}
    if prof is not None:
        out["profile"] = _profile_summary(prof)
    return out


def phase_aging(workdir: Path, as_of: date) -> dict[str, Any]:
    from huikuan.services.reporting import aging

    app = _app(workdir, as_of)
    started = time.perf_counter()
    report = aging(app, as_of, buckets=BUCKETS, by="customer")
    return {"s": time.perf_counter() - started, "rows": len(report.rows)}


def _duck(workdir: Path) -> Any:
    import duckdb

    return duckdb.connect(str(workdir / "floor.duckdb"))


def phase_import_floor(workdir: Path, as_of: date) -> dict[str, Any]:
    con = _duck(workdir)
    out: dict[str, Any] = {}
    # Money stays exact on both sides: DECIMAL, never DOUBLE.
    for table, name, money in (("customer", "customers.csv", "credit_limit"), ("invoice", "invoices.csv", "amount")):
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv(?, header = true, "
                    f"types = {{'{money}': 'DECIMAL(18,2)'}})", [str(workdir / name)])
        out[f"{table}_s"] = time.perf_counter() - started
    out["invoices"] = con.execute("SELECT count(*) FROM invoice").fetchone()[0]
    con.close()
    return out


RUN_FLOOR_SQL = """
SELECT c.customer_code, c.terms,
       sum(i.amount) AS overdue, min(i.due_date) AS oldest_due,
       date_diff('day', min(i.due_date), $as_of) AS days_past_due
FROM invoice i JOIN customer c USING (customer_code)
WHERE i.due_date < $as_of
GROUP BY c.customer_code, c.terms
"""


def _aging_floor_sql() -> str:
    edges = BUCKETS
    parts = [f"sum(amount) FILTER (WHERE age <= {edges[0]}) AS not_due"]
    for lo, hi in zip(edges, edges[1:], strict=False):
        parts.append(f"sum(amount) FILTER (WHERE age > {lo} AND age <= {hi}) AS d{lo + 1}_{hi}")
    parts.append(f"sum(amount) FILTER (WHERE age > {edges[-1]}) AS over_{edges[-1]}")
    return (f"SELECT customer_code, {', '.join(parts)}, sum(amount) AS total FROM "
            "(SELECT customer_code, amount, date_diff('day', due_date, $as_of) AS age FROM invoice) "
            "GROUP BY customer_code")


def phase_run_floor(workdir: Path, as_of: date) -> dict[str, Any]:
    con = _duck(workdir)
    started = time.perf_counter()
    rows = con.execute(RUN_FLOOR_SQL, {"as_of": as_of}).fetchall()
    return {"s": time.perf_counter() - started, "rows": len(rows)}


def phase_aging_floor(workdir: Path, as_of: date) -> dict[str, Any]:
    con = _duck(workdir)
    started = time.perf_counter()
    rows = con.execute(_aging_floor_sql(), {"as_of": as_of}).fetchall()
    return {"s": time.perf_counter() - started, "rows": len(rows)}


PHASES = {"import": phase_import, "import_floor": phase_import_floor, "run": phase_run, "run_next": phase_run_next,
          "run_floor": phase_run_floor, "aging": phase_aging, "aging_floor": phase_aging_floor}


def _profile_summary(prof: cProfile.Profile, top: int = 15) -> dict[str, Any]:
    stats = pstats.Stats(prof, stream=io.StringIO())
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]

    def rows(key: int) -> list[dict[str, Any]]:
        entries = sorted(stats.stats.items(), key=lambda kv: kv[1][key], reverse=True)  # type: ignore[attr-defined]
        out = []
        for (filename, line, func), (_cc, calls, tt, ct, _callers) in entries[:top]:
            where = filename
            for anchor in ("site-packages/", "src/", "lib/python"):
                if anchor in where:
                    where = where.split(anchor, 1)[1]
                    break
            out.append({"func": f"{where}:{line}({func})", "calls": calls, "own_s": tt, "cum_s": ct})
        return out

    layers: dict[str, float] = {}
    for (filename, _line, func), (_cc, _calls, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        layers[_layer(filename, func)] = layers.get(_layer(filename, func), 0.0) + tt
    ours = [(f"{f.split('src/', 1)[1]}:{line}({func})", ct) for (f, line, func), (_cc, _n, _tt, ct, _c)
            in stats.stats.items() if "src/huikuan/" in f]  # type: ignore[attr-defined]
    ours.sort(key=lambda x: x[1], reverse=True)
    return {"total_s": total, "by_own": rows(2), "by_cumulative": rows(3),
            "by_layer": sorted(layers.items(), key=lambda x: x[1], reverse=True), "ours": ours[:10]}


def _layer(filename: str, func: str) -> str:
    """Which layer a profiled function belongs to, for the 'where the time goes' summary."""
    if filename == "~":
        return "SQLite driver (C calls)" if "sqlite3" in func else "Python builtins (C calls)"
    for part, label in (("/sqlalchemy/", "SQLAlchemy (compile, bind, rows)"),
                        ("/huikuan/domain/", "huikuan domain (pure decisions)"),
                        ("/huikuan/services/", "huikuan services (gather, apply)"),
                        ("/huikuan/adapters/", "huikuan adapters (queries, repositories)"),
                        ("/huikuan/", "huikuan other (i18n, config)"), ("/babel/", "Babel catalogs"),
                        ("/enum.py", "enum lookups"), ("/json/", "json encoding"), ("/zoneinfo/", "datetime and zoneinfo"),
                        ("/datetime", "datetime and zoneinfo")):
        if part in filename:
            return label
    return "other Python"


def run_phase(name: str, workdir: Path, as_of: date, profile: bool = False) -> None:
    """Child-process entry: run one phase and print its figures as one JSON line."""
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure: say how much there was
    try:
        fn = PHASES[name]
        out = fn(workdir, as_of, profile=True) if profile else fn(workdir, as_of)  # type: ignore[operator]
        out["ok"] = True
    except ImportError as e:  # a service that does not exist yet: report it, do not invent a figure
        out = {"ok": False, "missing": f"{type(e).__name__}: {e}"}
    out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # CPU of the phase and of its worker processes (the daily run forks one): what load cannot inflate much.
    out["cpu_s"] = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                          resource.getrusage(resource.RUSAGE_CHILDREN)))
    out["load_before"] = load_before
    print(MARK + json.dumps(out, default=str), flush=True)


def _child(name: str, workdir: Path, as_of: date, profile: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "phase", name, "--workdir", str(workdir),
           "--as-of", as_of.isoformat()] + (["--profile"] if profile else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir)
    wall = time.perf_counter() - started
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        return {"ok": False, "failed": f"exit {proc.returncode}: " + " | ".join(tail), "process_s": wall}
    result: dict[str, Any] = json.loads(lines[-1][len(MARK):])
    result["process_s"] = wall
    return result


# ---- orchestration and the report -------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = "unknown"
    mem_kib = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    try:
        uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        uname = " ".join(platform.uname())
    try:
        import duckdb

        duck = duckdb.__version__
    except ImportError:
        duck = "not installed"
    return {"uname": uname, "cpu": cpu, "cores": os.cpu_count(), "ram_gib": mem_kib / GIB,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "duckdb": duck}


def code_version() -> str:
    """The commit measured, and any uncommitted source files it included."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                               cwd=ROOT, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    files = [line[3:] for line in dirty if line.strip()]
    return f"commit {head}" + (f" plus uncommitted changes in {', '.join(files)}" if files else "")


PREPARED = "prepared.json"  # --reuse-data: the import figures and the pristine imported database beside it


def _prepare(work: Path, customers: int, invoices: int, seed: int, as_of: date, reuse: bool,
             log: Any) -> dict[str, Any]:
    """Generate and import the data (and its floor) — or, with ``reuse``, take both from an earlier
    preparation of the same size and seed in ``work``, so a timed session runs only the run and aging
    phases (the quiet window of a shared machine is short). Leaves a fresh ``bench.db`` either way."""
    key = {"customers": customers, "invoices": invoices, "seed": seed, "as_of": as_of.isoformat()}
    saved = work / PREPARED
    for stale in ("bench.db", "bench.db-wal", "bench.db-shm", "profile"):
        p = work / stale
        shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    if reuse and saved.exists() and (work / "imported.db").exists():
        results: dict[str, Any] = json.loads(saved.read_text(encoding="utf-8"))
        if results.get("key") == key:
            log(f"reusing the data prepared at {results['prepared_at']} in {work}")
            shutil.copy2(work / "imported.db", work / "bench.db")
            return results
    for stale in ("floor.duckdb", "floor.duckdb.wal", "imported.db", PREPARED):
        (work / stale).unlink(missing_ok=True)
    log(f"generating {customers:,} customers and {invoices:,} open invoices in {work}")
    results = {"data": generate_csv(work, customers, invoices, seed, as_of)}
    for name in ("import", "import_floor"):
        log(f"phase {name}")
        results[name] = _child(name, work, as_of)
    if reuse:
        with sqlite3.connect(work / "bench.db") as c:  # one file: the WAL folded in
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(work / "bench.db", work / "imported.db")
        results |= {"key": key, "prepared_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
        saved.write_text(json.dumps(results, default=str), encoding="utf-8")
    return results


def bench(customers: int, invoices: int, out: Path, workdir: Path | None, seed: int, as_of: date,
          profile: bool = True, log: Any = print, reuse: bool = False) -> dict[str, Any]:
    own_dir = workdir is None
    work = Path(tempfile.mkdtemp(prefix="huikuan-bench-")) if workdir is None else workdir
    work.mkdir(parents=True, exist_ok=True)
    code = code_version()  # before the phases: the tree may change while they run
    try:
        results = _prepare(work, customers, invoices, seed, as_of, reuse and not own_dir, log)
        if profile:
            # Profile the run on a copy of the freshly imported database: the measured run must
            # find the same work to do, and a second run on the same day creates nothing new.
            prof_dir = work / "profile"
            prof_dir.mkdir()
            for suffix in ("", "-wal", "-shm"):
                if (work / f"bench.db{suffix}").exists():
                    shutil.copy2(work / f"bench.db{suffix}", prof_dir / f"bench.db{suffix}")
        for name in ("run", "run_next", "run_floor", "aging", "aging_floor"):
            log(f"phase {name}")
            results[name] = _child(name, work, as_of)
        if profile:
            log("phase run (profiled copy)")
            results["run_profile"] = _child("run", work / "profile", as_of, profile=True)
            log("phase run_next (profiled, on the profiled copy)")
            results["run_next_profile"] = _child("run_next", work / "profile", as_of, profile=True)
        results["meta"] = {"customers": customers, "invoices": invoices, "seed": seed, "as_of": as_of.isoformat(),
                           "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                           "code": code, "run_workers": run_workers(),
                           "command": " ".join(["python bench/run.py", f"--customers {customers}",
                                                f"--invoices {invoices}"]
                                               + ([f"--workers {os.environ[WORKERS_ENV]}"]
                                                  if os.environ.get(WORKERS_ENV) else []))}
        write_section(out, "run", render(results))
        log(f"results written to {out}")
        return results
    finally:
        if own_dir:
            shutil.rmtree(work, ignore_errors=True)


def replace_section(text: str, name: str, section: str) -> str:
    """``text`` with the part between ``<!-- name:begin -->`` and ``<!-- name:end -->`` replaced by
    ``section`` (markers kept); without those markers the section is appended, markers included.
    Nothing outside the markers changes: other areas' figures live there."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    body = begin + "\n" + section.strip("\n") + "\n" + end
    if text.count(begin) != text.count(end) or text.count(begin) > 1:
        raise ValueError(f"bench results: the markers {begin} / {end} must appear once each (or not at all)")
    if begin in text:
        i, j = text.index(begin), text.index(end)
        if j < i:
            raise ValueError(f"bench results: {end} comes before {begin}")
        return text[:i] + body + text[j + len(end):]
    if not text.strip():
        return "# Benchmark results\n\n" + body + "\n"
    return text.rstrip("\n") + "\n\n" + body + "\n"


def write_section(out: Path, name: str, section: str) -> None:
    """Update the section ``name`` of the results file ``out`` (created when missing)."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(replace_section(old, name, section), encoding="utf-8")


def _fmt_s(v: float | None) -> str:
    return "—" if v is None else (f"{v:.2f} s" if v >= 0.1 else f"{v * 1000:.0f} ms")


def _fmt_rss(kib: int | None) -> str:
    return "—" if kib is None else f"{kib / 1024:,.0f} MiB"


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("PASS" if ok else "MISS")


def _missing(r: dict[str, Any]) -> str:
    return r.get("missing") or r.get("failed") or "not measured"


def render(r: dict[str, Any]) -> str:
    meta, m = r["meta"], r["meta"]["machine"]
    imp, impf = r.get("import", {}), r.get("import_floor", {})
    run, runf, nxt = r.get("run", {}), r.get("run_floor", {}), r.get("run_next", {})
    agi, agif = r.get("aging", {}), r.get("aging_floor", {})
    n_cust, n_inv = meta["customers"], meta["invoices"]

    def get(d: dict[str, Any], key: str) -> Any:
        return d.get(key) if d.get("ok") else None

    imp_c, imp_i = get(imp, "customers_s"), get(imp, "invoices_s")
    run_s, runf_s, agi_s, agif_s = get(run, "s"), get(runf, "s"), get(agi, "s"), get(agif, "s")
    ratio = run_s / runf_s if run_s is not None and runf_s else None
    nxt_s = get(nxt, "s")
    nxt_ratio = nxt_s / runf_s if nxt_s is not None and runf_s else None

    lines = [
        "## Import, daily run and aging (`bench/run.py`)",
        "",
        f"Measured {meta['measured_at']} with `{meta['command']}` (as of {meta['as_of']}, seed {meta['seed']}).",
        f"Code measured: {meta.get('code', 'unknown')}; the daily run decided in {meta.get('run_workers', 1)} "
        f"process{'es' if meta.get('run_workers', 1) != 1 else ''} (`run_workers`).",
        "Every figure below was measured in that run; each phase ran in its own process, so its peak RSS",
        "is its own. Floors are the same aggregate as one DuckDB query over the same data in the same run.",
        "",
        "## Machine",
        "",
        f"- `{m['uname']}`",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']:.1f} GiB",
        f"- Python {m['python']}, SQLite {m['sqlite']}, DuckDB {m['duckdb']}",
        "",
        "## Data",
        "",
        f"{n_cust:,} customers and {n_inv:,} open invoices (CSV, {r['data']['csv_bytes'] / 1e6:,.0f} MB, "
        f"generated in {_fmt_s(r['data']['generate_s'])}); invoice ages skewed to the recent months, due dates "
        "from each customer's terms, so the daily run meets a realistic mix of not-due and overdue accounts.",
    ]
    if r.get("prepared_at"):
        lines.append(f"The data and the import figures come from its preparation at {r['prepared_at']} "
                     "(`--reuse-data`): each run below started from a copy of that freshly imported database.")
    if imp.get("ok"):
        lines.append(f"In the database after import: {imp['customers_in_db']:,} customers, "
                     f"{imp['invoices_in_db']:,} invoices ({imp['open_invoices_in_db']:,} open).")
    lines += [
        "",
        "## Figures",
        "",
        "| phase | huikuan on SQLite | throughput | peak RSS | DuckDB floor | × floor | target | result |",
        "|---|---|---|---|---|---|---|---|",
        f"| import customers | {_fmt_s(imp_c)} | {rate(n_cust, imp_c)} | {_fmt_rss(imp.get('maxrss_kib'))} "
        f"| {_fmt_s(get(impf, 'customer_s'))} | {_ratio(imp_c, get(impf, 'customer_s'))} | — | — |",
        f"| import {n_inv:,} invoices | {_fmt_s(imp_i)} | {rate(n_inv, imp_i)} | (same process) "
        f"| {_fmt_s(get(impf, 'invoice_s'))} | {_ratio(imp_i, get(impf, 'invoice_s'))} | ≤ 30 s (at 10⁶) "
        f"| {_verdict(None if imp_i is None else imp_i <= TARGETS['import_invoices_s'])} |",
        f"| daily run | {_fmt_s(run_s)} | {rate(n_cust, run_s).replace('/s', ' customers/s')} "
        f"| {_fmt_rss(run.get('maxrss_kib') if run.get('ok') else None)} | {_fmt_s(runf_s)} | {_ratio(run_s, runf_s)} "
        f"| ≤ 20 s, ≤ 5× floor, ≤ 1 GiB | {_run_verdict(run_s, ratio, run.get('maxrss_kib') if run.get('ok') else None)} |",
        f"| daily run, next working day | {_fmt_s(nxt_s)} | {rate(n_cust, nxt_s).replace('/s', ' customers/s')} "
        f"| {_fmt_rss(nxt.get('maxrss_kib') if nxt.get('ok') else None)} | {_fmt_s(runf_s)} | {_ratio(nxt_s, runf_s)} "
        f"| ≤ 20 s, ≤ 5× floor, ≤ 1 GiB | {_run_verdict(nxt_s, nxt_ratio, nxt.get('maxrss_kib') if nxt.get('ok') else None)} |",
        f"| aging by customer | {_fmt_s(agi_s)} | {rate(n_inv, agi_s).replace('/s', ' invoices/s')} "
        f"| {_fmt_rss(agi.get('maxrss_kib') if agi.get('ok') else None)} | {_fmt_s(agif_s)} | {_ratio(agi_s, agif_s)} "
        f"| ≤ 1.5 s | {_verdict(None if agi_s is None else agi_s <= TARGETS['aging_s'])} |",
        "",
        "Floors: import = DuckDB `CREATE TABLE … AS SELECT * FROM read_csv(…)` of the same CSV into an on-disk "
        "database; daily run = one `GROUP BY customer` computing overdue amount, oldest due date and days past due "
        "(joined to the customer table); aging = one bucketed `SUM … FILTER` by customer over buckets "
        f"{', '.join(map(str, BUCKETS))} days. Floors run cold in their own process against the DuckDB tables the "
        "import floor wrote. Peak RSS includes the Python interpreter and imports (about 60–90 MiB).",
    ]
    details = []
    if run.get("ok"):
        details.append(f"- daily run: {run['actions']:,} actions {json.dumps(run.get('counts', {}))}, "
                       f"{run.get('errors', 0)} customer errors")
    if nxt.get("ok"):
        details.append(f"- daily run, next working day ({nxt['day']}, the steady state of a daily cron job after the "
                       f"first run above): {nxt['actions']:,} actions, {nxt['created']:,} new, "
                       f"{nxt.get('closed', 0):,} tasks closed {json.dumps(nxt.get('counts', {}))}")
    if agi.get("ok"):
        details.append(f"- aging: {agi['rows']:,} rows (floor: {agif.get('rows', '—')} rows)")
    if runf.get("ok"):
        details.append(f"- daily-run floor: {runf['rows']:,} overdue customers")
    for name, d in (("import", imp), ("import floor", impf), ("daily run", run), ("daily-run floor", runf),
                    ("aging", agi), ("aging floor", agif)):
        if not d.get("ok"):
            details.append(f"- **{name} not measured**: {_missing(d)}")
    cpus = [f"{name} {_fmt_s(d['cpu_s'])}" for name, d in (("daily run", run), ("next working day", nxt),
                                                            ("aging", agi)) if d.get("ok") and "cpu_s" in d]
    if cpus:
        details.append(f"- CPU time of each phase's process and its worker processes: {', '.join(cpus)}")
    loads = [f"{name} {d['load_before']:.1f}" for name, d in (
        ("import", imp), ("import floor", impf), ("daily run", run), ("daily-run floor", runf), ("aging", agi),
        ("aging floor", agif)) if "load_before" in d]
    if loads:
        details.append(f"- 1-minute load average when each phase started ({m['cores']} cores): {', '.join(loads)}")
    if details:
        lines += ["", "## Details", "", *details]
    lines += ["", "## Where the time goes (daily run under cProfile)", ""]
    lines += _profile_lines(r.get("run_profile", {}), "The daily run repeated on a copy of the imported database")
    lines += ["", "## Where the next working day's time goes (under cProfile)", ""]
    lines += _profile_lines(r.get("run_next_profile", {}), "The next working day's run on that profiled copy")
    return "\n".join(lines) + "\n"


def _profile_lines(prof: dict[str, Any], what: str) -> list[str]:
    """A profiled phase: own time by layer, our functions by cumulative time, the top functions."""
    if not (prof.get("ok") and "profile" in prof):
        return [f"Not profiled: {_missing(prof) if prof else 'profiling disabled'}."]
    p = prof["profile"]
    return [
        f"{what} under cProfile took {_fmt_s(prof['s'])} (profiler overhead included; {_fmt_s(p['total_s'])} "
        "of own time recorded in the run's own process: a worker process's share is not in it).",
        "",
        "Own time by layer:",
        "",
        "| layer | own time | share |",
        "|---|---|---|",
        *[f"| {name} | {_fmt_s(v)} | {100 * v / p['total_s']:.0f} % |" for name, v in p.get("by_layer", [])
          if v >= 0.005 * p["total_s"]],
        "",
        "huikuan functions by cumulative time (share of the profiled run):",
        "",
        *[f"- `{f}`: {_fmt_s(v)} ({100 * v / prof['s']:.0f} %)" for f, v in p.get("ours", [])[1:]],
        "",
        "Top functions by own time:",
        "",
        "| function | calls | own | cumulative |",
        "|---|---|---|---|",
        *[f"| `{e['func']}` | {e['calls']:,} | {_fmt_s(e['own_s'])} | {_fmt_s(e['cum_s'])} |" for e in p["by_own"]],
        "",
        "Top functions by cumulative time:",
        "",
        "| function | calls | own | cumulative |",
        "|---|---|---|---|",
        *[f"| `{e['func']}` | {e['calls']:,} | {_fmt_s(e['own_s'])} | {_fmt_s(e['cum_s'])} |"
          for e in p["by_cumulative"]],
    ]


def rate(n: int, s: float | None) -> str:
    return "—" if s is None else f"{n / s:,.0f}/s"


def _ratio(value: float | None, floor: float | None) -> str:
    return "—" if value is None or not floor else f"{value / floor:,.1f}×"


def _run_verdict(s: float | None, ratio: float | None, rss: int | None) -> str:
    if s is None:
        return "not measured"
    parts = [f"time {_verdict(s <= TARGETS['run_s'])}",
             f"× floor {_verdict(None if ratio is None else ratio <= TARGETS['run_floor_ratio'])}",
             f"RSS {_verdict(None if rss is None else rss <= TARGETS['run_rss_kib'])}"]
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd")
    ph = sub.add_parser("phase", help="internal: run one phase in this process")
    ph.add_argument("name", choices=sorted(PHASES))
    ph.add_argument("--workdir", type=Path, required=True)
    ph.add_argument("--as-of", type=date.fromisoformat, required=True)
    ph.add_argument("--profile", action="store_true")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--workdir", type=Path, default=None, help="keep generated data here (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--workers", type=int, default=None,
                    help="processes deciding the daily run (the run_workers setting; default: its default)")
    ap.add_argument("--reuse-data", action="store_true",
                    help="with --workdir: take the generated and imported data from an earlier run of the same size")
    args = ap.parse_args(argv)
    if getattr(args, "workers", None):
        os.environ[WORKERS_ENV] = str(args.workers)
    if args.cmd == "phase":
        run_phase(args.name, args.workdir, args.as_of, args.profile)
        return 0
    results = bench(args.customers, args.invoices, args.out, args.workdir, args.seed, args.as_of,
                    profile=not args.no_profile, reuse=args.reuse_data)
    failed = [k for k, v in results.items() if isinstance(v, dict) and v.get("ok") is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
