"""Benchmark: ``huikuan demo-data`` (what ``make demo-build`` runs) on SQLite and on PostgreSQL, same run.

    python bench/demo_backends.py --pg-url postgresql+psycopg://…/huikuan [--customers 300] [--months 14]
                                  [--src OTHER_CHECKOUT/src]

Each backend gets a fresh, empty database and the same generated company (seed 7, as of a fixed
working day); each phase — load (the imports, disputes, promises, contacts), the credit demo dealer,
and the warm-up (10 working days of daily runs and follow-up) — is timed in its own child process
so the two backends run the same code cold. Prints one JSON line with the seconds per phase and the
PostgreSQL/SQLite ratio. ``make pg`` gives a throwaway PostgreSQL cluster. The PostgreSQL database
named in the URL is dropped and created afresh before each run: give it one you can lose.
``--src`` measures another checkout's code too (before a change), on both backends, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-11-23"

PHASES = r"""
import json, sys, time
from datetime import date
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services import demo_data, demo_load
from huikuan.services.demo_credit import add_demo_dealer
from huikuan.services.ports import FixedClock
url, customers, months = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
day = date.fromisoformat(sys.argv[4])
app = bootstrap(Settings(database_url=url), clock=FixedClock(day))
out = {}
t = time.perf_counter()
company = demo_data.generate(customers=customers, months=months, seed=7, as_of=day)
out["generate_s"] = time.perf_counter() - t
t = time.perf_counter()
demo_load.load(app, company)
out["load_s"] = time.perf_counter() - t
t = time.perf_counter()
add_demo_dealer(app, day)
out["dealer_s"] = time.perf_counter() - t
t = time.perf_counter()
warm = demo_load.warm_up(app, day, working_days=10, seed=7)
out["warm_up_s"] = time.perf_counter() - t
out["warm_up"] = warm
print(json.dumps(out))
"""

RESET_PG = r"""
import sys
from sqlalchemy import create_engine, make_url, text
url = make_url(sys.argv[1])
engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
with engine.connect() as c:
    c.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    c.execute(text(f'CREATE DATABASE "{url.database}"'))
engine.dispose()
"""


def run(url: str, customers: int, months: int, src: Path | None) -> dict[str, object]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PHASES, url, str(customers), str(months), AS_OF],
                          capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"demo-data on {url} failed:\n{done.stderr[-3000:]}")
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    out["total_s"] = time.perf_counter() - t  # with the interpreter's start and the schema's creation
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", required=True)
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--months", type=int, default=14)
    ap.add_argument("--src", type=Path, default=None, help="another checkout's src to measure too (before a change)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huikuan-demo-bench-"))
    out: dict[str, object] = {"customers": args.customers, "months": args.months, "as_of": AS_OF,
                              "load_at_start": round(os.getloadavg()[0], 1),
                              "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for label, src in [("this", None), *([("src", args.src.resolve())] if args.src else [])]:
        sqlite = run(f"sqlite:///{folder / (label + '.db')}", args.customers, args.months, src)
        subprocess.run([sys.executable, "-c", RESET_PG, args.pg_url], check=True)
        pg = run(args.pg_url, args.customers, args.months, src)
        ratio = {k: round(float(pg[k]) / float(sqlite[k]), 2)  # type: ignore[arg-type]
                 for k in ("load_s", "warm_up_s", "total_s") if float(sqlite[k]) > 0}  # type: ignore[arg-type]
        out[label] = {"sqlite": sqlite, "postgresql": pg, "pg_over_sqlite": ratio}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
