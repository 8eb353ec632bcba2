"""Benchmark: how long a long payment import holds SQLite's write lock (issue 6, item 16).

    python bench/import_lock.py [--customers 100000] [--invoices 1000000] [--payments 200000] [--workdir DIR]
                                [--src OTHER_CHECKOUT/src] [--profile-rows N]

Imports the customers and the open invoices into a fresh SQLite file (both timed: the 10⁶-invoice
import figure), then imports ``--payments`` payments (each pays its customer's oldest money; no
invoice named) in a child process while a probe process beside it takes the write lock over and over
(``BEGIN IMMEDIATE; COMMIT``) and records how long each attempt waited: the longest wait is the
longest time the import kept every other writer out. Prints one JSON line: the imports' wall and CPU
times, the longest and total lock wait of the probe, and how many times the probe got in while the
payment import ran. Generated files stay in ``--workdir`` (reused when there).

``--profile-rows N`` measures an ERP export instead of the payment file: a 金蝶 K/3 应收款明细表 of N rows
read through the ``kingdee-k3-ar-detail`` layout profile — four in five rows invoices (half of them of
``--customers // 10`` customers the file creates), one in five payments of the book's customers, a 本期合计
row every 50 (``--pay-every 0``: invoices only) — imported while the probe runs, the same way.

``--src`` runs the import from another checkout's ``src`` (the code before a change), on the same
data, so a before/after pair is measured in one run. Run it under ``flock /work/.bench.lock`` on a
shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

TODAY = date(2026, 11, 23)


def write_files(folder: Path, customers: int, invoices: int, payments: int) -> dict[str, Path]:
    days = [(TODAY - timedelta(days=400) + timedelta(days=d)).isoformat() for d in range(360)]
    out = {k: folder / f"{k}.csv" for k in ("customers", "invoices", "payments")}
    stamp = folder / f"files-{customers}-{invoices}-{payments}"
    if stamp.exists():
        return out
    with out["customers"].open("w", encoding="utf-8") as fh:
        fh.write("customer_code,name,terms\n")
        for i in range(customers):
            fh.write(f"K{i:06d},客户{i},月结30\n")
    with out["invoices"].open("w", encoding="utf-8") as fh:
        fh.write("invoice_no,customer_code,invoice_date,amount\n")
        for i in range(invoices):
            fh.write(f"XS{i:09d},K{i % customers:06d},{days[(i // customers) % 300]},{1000 + i % 997}.{i % 100:02d}\n")
    with out["payments"].open("w", encoding="utf-8") as fh:
        fh.write("payment_no,customer_code,payment_date,amount\n")
        for i in range(payments):
            fh.write(f"SK{i:09d},K{i % customers:06d},{days[300 + (i // customers) % 40]},{500 + i % 991}.00\n")
    stamp.touch()
    return out


BUILD = r"""
import json, sys, time
from datetime import date
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.ports import FixedClock
from huikuan.services.import_ import import_file
db, customers, invoices = sys.argv[1:4]
app = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=FixedClock(date(2026, 11, 23)))
out = {}
for kind, path in (("customers", customers), ("invoices", invoices)):
    t, cpu = time.perf_counter(), time.process_time()
    r = import_file(app, kind, path)
    out[kind] = {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "inserted": r.inserted}
print(json.dumps(out))
"""

IMPORT = r"""
import json, sys, time
from datetime import date
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.ports import FixedClock
from huikuan.services.import_ import import_file
db, payments = sys.argv[1:3]
app = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=FixedClock(date(2026, 11, 23)))
print("ready", flush=True)
sys.stdin.readline()
t, cpu = time.perf_counter(), time.process_time()
r = import_file(app, "payments", payments)
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "inserted": r.inserted}))
"""

PROFILE_IMPORT = r"""
import json, sys, time
from datetime import date
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.ports import FixedClock
from huikuan.services.import_profiles import import_with_profile
db, ledger = sys.argv[1:3]
app = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=FixedClock(date(2026, 11, 23)))
print("ready", flush=True)
sys.stdin.readline()
t, cpu = time.perf_counter(), time.process_time()
r = import_with_profile(app, ledger, "ledger", "kingdee-k3-ar-detail")
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu,
                  "inserted": {k: getattr(r, k).inserted for k in ("customers", "invoices", "payments")}}))
"""


def write_ledger(folder: Path, customers: int, rows: int, pay_every: int = 5) -> Path:
    """A K/3 receivables detail export of ``rows`` rows (see the module docstring); one row in ``pay_every``
    a payment (0: invoices only)."""
    path = folder / f"k3_ledger-{customers}-{rows}{f'-p{pay_every}' if pay_every != 5 else ''}.csv"
    if path.exists():
        return path
    new = max(1, customers // 10)
    days = [(TODAY - timedelta(days=200) + timedelta(days=d)).isoformat() for d in range(180)]
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write("应收款明细表,,,,,,,,\n会计期间：2026年1期 至 2026年11期,,,,,,,,\n币别：人民币,,,,,,,,\n")
        fh.write("日期,单据类型,单据号码,核算项目代码,核算项目名称,摘要,本期应收,本期实收,期末余额\n")
        for i in range(rows):
            day = days[(i // 97) % 180]
            if pay_every and i % pay_every == pay_every - 1:
                code = f"K{i % customers:06d}"
                fh.write(f"{day},收款单,SKD{i:09d},{code},客户{code},收款,,{300 + i % 701}.00,\n")
            else:
                code = f"N{(i // 2) % new:06d}" if i % 2 else f"K{i % customers:06d}"
                fh.write(f'{day},销售发票,XSFP{i:09d},{code},客户{code},销售发票,"{1000 + i % 997}.{i % 100:02d}",,\n')
            if i % 50 == 49:
                fh.write(",,,,,本期合计,,,\n")
    tmp.rename(path)
    return path


PROBE = r"""
import json, sqlite3, sys, time
db = sys.argv[1]
conn = sqlite3.connect(db, timeout=600, isolation_level=None)
longest = total = 0.0
turns = 0
print("ready", flush=True)
sys.stdin.readline()  # the import has started
while True:
    t = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("COMMIT")
    waited = time.perf_counter() - t
    longest, total, turns = max(longest, waited), total + waited, turns + 1
    if turns % 20 == 0:
        try:
            open(db + ".done").close()
            break
        except FileNotFoundError:
            pass
    time.sleep(0.005)  # pacing only: leave the lock free between attempts
print(json.dumps({"longest_wait_s": longest, "total_wait_s": total, "turns": turns}))
"""


def env_for(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


def measure(db: Path, payments: Path, src: Path | None, script: str = IMPORT) -> dict[str, float]:
    done = Path(str(db) + ".done")
    done.unlink(missing_ok=True)
    imp = subprocess.Popen([sys.executable, "-c", script, str(db), str(payments)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True, env=env_for(src))
    probe = subprocess.Popen([sys.executable, "-c", PROBE, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    assert imp.stdout is not None and imp.stdin is not None and probe.stdout is not None and probe.stdin is not None
    assert imp.stdout.readline().strip() == "ready" and probe.stdout.readline().strip() == "ready"
    imp.stdin.write("go\n")
    imp.stdin.flush()
    probe.stdin.write("go\n")
    probe.stdin.flush()
    result = json.loads(imp.stdout.readline())
    imp.wait()
    done.touch()
    result |= json.loads(probe.stdout.readline())
    probe.wait()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--payments", type=int, default=200_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--src", type=Path, action="append", default=[],
                    help="another checkout's src to measure too (before a change); repeatable")
    ap.add_argument("--profile-rows", type=int, default=0,
                    help="measure a K/3 ledger export of this many rows through its layout profile instead")
    ap.add_argument("--pay-every", type=int, default=5,
                    help="with --profile-rows: one row in N a payment (0: an export of invoices only)")
    ap.add_argument("--files-only", action="store_true", help="write the CSV files and stop")
    args = ap.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="huikuan-lock-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    files = write_files(folder, args.customers, args.invoices, args.payments)
    measured, script = files["payments"], IMPORT
    if args.profile_rows:
        measured, script = write_ledger(folder, args.customers, args.profile_rows, args.pay_every), PROFILE_IMPORT
    if args.files_only:
        return
    out: dict[str, object] = {"customers": args.customers, "invoices": args.invoices, "payments": args.payments,
                              "profile_rows": args.profile_rows, "pay_every": args.pay_every,
                              "load_at_start": round(os.getloadavg()[0], 1),
                              "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for label, src in [("this", None), *((f"src{i}", s.resolve()) for i, s in enumerate(args.src))]:
        db = folder / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        built = subprocess.run([sys.executable, "-c", BUILD, str(db), str(files["customers"]), str(files["invoices"])],
                               check=True, capture_output=True, text=True, env=env_for(src))
        r: dict[str, object] = json.loads(built.stdout.strip().splitlines()[-1])
        r["profile" if args.profile_rows else "payments"] = measure(db, measured, src, script)
        out[label] = _rounded(r)
    print(json.dumps(out, ensure_ascii=False))


def _rounded(v: object) -> object:
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return round(v, 3) if isinstance(v, float) else v


if __name__ == "__main__":
    main()
