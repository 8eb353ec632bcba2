"""Benchmark: a ledger-detail export read through a layout profile against the canonical invoice CSV.

    python bench/profile_import.py --rows 1000000 [--workdir DIR]

Writes the same invoices twice — once as a canonical CSV (invoice_no, customer_code, invoice_date,
amount), once as a 金蝶 K/3 应收款明细表 (title rows, 核算项目 columns, a 本期合计 row after every 50
rows, a blank row now and then) — imports each into a fresh SQLite database in its own process and
prints both times (wall and CPU of the importing process) and the ratios. Issue 7's floor: the profile import at ≥ 50 % of the canonical speed.
Run it under ``flock /work/.bench.lock`` on a shared machine.
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

CUSTOMERS = 1000


def write_files(rows: int, folder: Path) -> tuple[Path, Path, Path]:
    customers = folder / "customers.csv"
    with customers.open("w", encoding="utf-8") as fh:
        fh.write("customer_code,name,terms\n")
        for i in range(CUSTOMERS):
            fh.write(f"K{i:05d},客户{i},月结30\n")
    days = [(date(2026, 1, 1) + timedelta(days=d)).isoformat() for d in range(300)]
    canonical = folder / "canonical.csv"
    ledger = folder / "k3_ledger.csv"
    with canonical.open("w", encoding="utf-8") as c, ledger.open("w", encoding="utf-8") as k:
        c.write("invoice_no,customer_code,invoice_date,amount\n")
        k.write("应收款明细表,,,,,,,,\n会计期间：2026年1期 至 2026年10期,,,,,,,,\n币别：人民币,,,,,,,,\n")
        k.write("日期,单据类型,单据号码,核算项目代码,核算项目名称,摘要,本期应收,本期实收,期末余额\n")
        for i in range(rows):
            no, code, day = f"XS{i:09d}", f"K{i % CUSTOMERS:05d}", days[i % 300]
            amount = f"{i % 99999 + 1}.{i % 100:02d}"
            c.write(f"{no},{code},{day},{amount}\n")
            k.write(f'{day},销售发票,{no},{code},客户{i % CUSTOMERS},销售发票,"{amount}",,\n')
            if i % 50 == 49:
                k.write(",,,,,本期合计,,,\n")
            if i % 1000 == 999:
                k.write(",,,,,,,,\n")
    return customers, canonical, ledger


PHASE = r"""
import json, sys, time
from datetime import date
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services.ports import FixedClock
from huikuan.services.import_ import import_file
from huikuan.services.import_profiles import import_with_profile
db, customers, path, how = sys.argv[1:5]
app = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=FixedClock(date(2026, 11, 23)))
import_file(app, "customers", customers)
t, cpu = time.perf_counter(), time.process_time()
if how == "canonical":
    r = import_file(app, "invoices", path)
    n = r.inserted
else:
    r = import_with_profile(app, path, "ledger", "kingdee-k3-ar-detail")
    n = r.invoices.inserted
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "inserted": n}))
"""


def phase(db: Path, customers: Path, path: Path, how: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PHASE, str(db), str(customers), str(path), how],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="huikuan-profile-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    customers, canonical, ledger = write_files(args.rows, folder)
    load = os.getloadavg()[0]
    a = phase(folder / "canonical.db", customers, canonical, "canonical")
    b = phase(folder / "profile.db", customers, ledger, "profile")
    assert a["inserted"] == b["inserted"] == args.rows, (a, b)
    speed = a["seconds"] / b["seconds"]
    cpu_speed = a["cpu"] / b["cpu"]  # robust when other work shares the machine: CPU time of the importing process
    print(json.dumps({"rows": args.rows, "canonical_s": round(a["seconds"], 2), "profile_s": round(b["seconds"], 2),
                      "canonical_cpu_s": round(a["cpu"], 2), "profile_cpu_s": round(b["cpu"], 2),
                      "profile_speed_vs_canonical": round(speed, 3), "cpu_speed_vs_canonical": round(cpu_speed, 3),
                      "floor": 0.5, "pass": min(speed, cpu_speed) >= 0.5,
                      "load_at_start": round(load, 1), "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}))


if __name__ == "__main__":
    main()
