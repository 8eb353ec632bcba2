"""Web workbench load benchmark: 20 simulated users (httpx, loopback only, bounded in time) over Today,
customer 360, the dashboard and log-a-contact, against ``huikuan serve`` on a SQLite database generated
like ``bench/run.py``'s. Reports p50/p95 latency and requests/s per page beside a floor measured in the
same run (the same server's ``/healthz``: the HTTP stack and sign-in cookie, no database work), and writes
its own section of bench/RESULTS.md (between the ``web-load`` markers).

    python bench/web_load.py --customers 100000 --invoices 1000000 --users 20 --seconds 40 --workdir W

With ``--workdir`` the generated database is kept there (``W/bench.db``) and reused by the next run
(``--build-only`` builds it and stops): each measurement runs on a fresh copy of it, so the contacts one
run logs never reach the next. The data are dated on the server's "today" (the company's time zone).

Users think between requests (``--think 1:3``, seconds, uniform; a person reads the page before the next
click); ``--think 0`` measures saturation instead (every user fires the next request at once: latency is
then users ÷ throughput). Run it under a machine-wide lock when others share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
START, END = "<!-- web-load:start -->", "<!-- web-load:end -->"
PASSWORD = "bench-password-1"
TARGETS = {"today": 150, "customer": 150, "dashboard": 150, "contact": 250, "healthz": None}


def _run_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build(workdir: Path, customers: int, invoices: int) -> dict[str, Any]:
    """Data as bench/run.py makes it, dated today (the server's clock), the daily run, and the users."""
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import users
    from huikuan.services.daily_run import run_daily

    run = _run_module()
    # The server's today is the company's (Asia/Shanghai), not this machine's: the run and the aging snapshot
    # must be of the day the pages show, or every page view recomputes from the invoices.
    today = bootstrap(Settings(database_url="sqlite://", company_code="bench")).clock.today()
    t0 = time.perf_counter()
    run.generate_csv(workdir, customers, invoices, 7, today)
    run.phase_import(workdir, today)
    app = run._app(workdir, today)
    run_daily(app, today)
    with app.uow(write=False) as uow:
        collectors, _ = uow.users.people()
    for i, person in enumerate(collectors):
        users.add_user(app, f"c{i}", ["collector"], PASSWORD, person=person)
    users.add_user(app, "m0", ["manager"], PASSWORD)
    app.engine.dispose()
    return {"build_s": time.perf_counter() - t0, "collectors": len(collectors), "as_of": today.isoformat()}


async def _sign_in(client: httpx.AsyncClient, name: str) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = await client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    if r.status_code not in (200, 303):
        why = re.search(r'class="error[^"]*"[^>]*>([^<]+)', r.text)
        raise RuntimeError(f"sign-in of {name} failed: {r.status_code} {why.group(1) if why else r.text[:200]}")
    me = await client.get("/me")
    return re.search(r'name="csrf-token" content="([^"]+)"', me.text).group(1)  # type: ignore[union-attr]


async def _user(client: httpx.AsyncClient, csrf: str, manager: bool, until: float, lat: dict[str, list[float]],
                errors: dict[str, int], only: str | None, rng: random.Random, think: tuple[float, float]) -> None:
    codes: list[str] = []
    await asyncio.sleep(rng.uniform(0, think[1]))  # users do not all start on the same instant
    while time.perf_counter() < until:
        if only:
            kind = only
        elif manager:
            kind = rng.choice(("dashboard", "today", "customer"))
        else:
            kind = rng.choices(("today", "customer", "contact"), weights=(3, 4, 3))[0]
        if kind in ("customer", "contact") and not codes:
            kind = "today"
        started = time.perf_counter()
        try:
            r = await _request(client, kind, manager, codes, csrf, rng)
        except httpx.TransportError:  # a kept-alive connection the server closed: counted, not fatal
            errors["transport"] = errors.get("transport", 0) + 1
            continue
        if kind == "today":
            codes = re.findall(r'href="/customers/([^"/]+)"', r.text)[:50] or codes
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code >= 400:
            errors[kind] = errors.get(kind, 0) + 1
        else:
            lat.setdefault(kind, []).append(elapsed)
        if think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))  # reading the page; not part of any latency


async def _request(client: httpx.AsyncClient, kind: str, manager: bool, codes: list[str], csrf: str,
                   rng: random.Random) -> httpx.Response:
    if kind == "healthz":
        return await client.get("/healthz")
    if kind == "today":
        return await client.get("/today", params={"all": "1"} if manager else None)
    if kind == "customer":
        return await client.get(f"/customers/{rng.choice(codes)}")
    if kind == "dashboard":
        return await client.get("/dashboard")
    return await client.post(f"/customers/{rng.choice(codes)}/contact",
                             headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
                             data={"channel": "phone", "outcome": rng.choice(("reached", "no_answer")), "note": "bench"})


def _pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``xs``."""
    return xs[max(0, min(len(xs) - 1, int(-(-q * len(xs) // 1)) - 1))]


async def load(base: str, n_users: int, collectors: int, seconds: float, only: str | None = None,
               think: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """Every user signs in first; then all of them work for ``seconds`` (the measured, bounded part)."""
    lat: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    rng = random.Random(7)
    managers = max(1, n_users // 5)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True) for _ in range(n_users)]
    try:
        csrfs = await asyncio.gather(*(_sign_in(c, "m0" if i < managers else f"c{i % collectors}")
                                       for i, c in enumerate(clients)))
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_user(c, csrfs[i], i < managers, until, lat, errors, only, random.Random(rng.random()),
                                     think) for i, c in enumerate(clients)))
        wall = time.perf_counter() - started
    finally:
        for c in clients:
            await c.aclose()
    out: dict[str, Any] = {"wall_s": wall, "errors": errors, "pages": {}}
    for kind, xs in lat.items():
        xs.sort()
        out["pages"][kind] = {"n": len(xs), "p50": statistics.median(xs), "p95": _pct(xs, 0.95), "rps": len(xs) / wall}
    out["total_rps"] = sum(len(x) for x in lat.values()) / wall
    return out


def serve(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("huikuan")
    proc = subprocess.Popen([str(exe), "--database-url", f"sqlite:///{db}", "serve", "--port", str(port),
                             "--run-at", "off", "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HUIKUAN_COMPANY_CODE": "bench", "HUIKUAN_COMPANY": "基准测试公司"})
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)  # waiting for the server to listen; not part of any measurement
    proc.kill()
    raise RuntimeError("server did not start")


def _table(mixed: dict[str, Any], floor: dict[str, Any], verdicts: bool) -> list[str]:
    fp = floor["pages"].get("healthz", {})
    out = ["| page | requests | p50 | p95 | requests/s | target p95 | floor p95 (`/healthz`) | result |",
           "|---|---|---|---|---|---|---|---|"]
    for kind in ("today", "customer", "dashboard", "contact"):
        p = mixed["pages"].get(kind)
        if not p:
            continue
        target = TARGETS[kind]
        verdict = ("PASS" if p["p95"] <= target else "MISS") if verdicts else "—"
        out.append(f"| {kind} | {p['n']:,} | {p['p50']:.0f} ms | {p['p95']:.0f} ms | {p['rps']:.1f} | "
                   f"≤ {target} ms | {fp.get('p95', 0):.0f} ms | {verdict} |")
    out += ["", f"All pages together: {mixed['total_rps']:.1f} requests/s over {mixed['wall_s']:.0f} s; "
            f"errors: {mixed['errors'] or 'none'}."]
    return out


def render(meta: dict[str, Any], floor: dict[str, Any], mixed: dict[str, Any], saturated: dict[str, Any] | None) -> str:
    managers = max(1, meta["users"] // 5)
    fp = floor["pages"].get("healthz", {})
    lines = [START, "## Web workbench under load (bench/web_load.py)", "",
             f"Measured {meta['when']} with `python bench/web_load.py --customers {meta['customers']} "
             f"--invoices {meta['invoices']} --users {meta['users']} --seconds {meta['seconds']} --workers "
             f"{meta['workers']} --think {meta['think']}` (`huikuan serve --workers {meta['workers']}`: one uvicorn "
             f"process per core, SQLite in WAL mode, loopback). Code measured: commit {meta['commit']}. Machine: "
             f"{meta['machine']}; 1-minute load average when the load began: {meta['load']}. " + meta["note"], "",
             f"Data: {meta['customers']:,} customers, {meta['invoices']:,} open invoices (generated like "
             f"bench/run.py's), the daily run of {meta['as_of']} done (the aging snapshot is of that day); each "
             f"measurement on a fresh copy of the database. {meta['users']} users: {meta['users'] - managers} "
             f"collectors (Today, customer 360, log-contact; scoped to their customers; {meta['collectors']} "
             f"collector names) and {managers} managers (dashboard, everyone's Today, customer 360).", "",
             f"### {meta['users']} users, each thinking {meta['think']} s between requests (the target measurement)", "",
             *_table(mixed, floor, True), "",
             f"Floor: `/healthz` (the HTTP stack and the session cookie, no database work) with the same "
             f"{meta['users']} users and no think time: p50 {fp.get('p50', 0):.0f} ms, p95 {fp.get('p95', 0):.0f} ms, "
             f"{floor['total_rps']:.0f} requests/s."]
    if saturated is not None:
        lines += ["", f"### The same {meta['users']} users with no think time (saturation: latency ≈ users ÷ "
                  "throughput)", "", *_table(saturated, floor, False)]
    lines += ["", "Log-contact is a write (SQLite: one writer at a time, readers never wait in WAL mode).", END]
    return "\n".join(lines) + "\n"


def write_section(out: Path, section: str) -> None:
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmark results\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")


def _think(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition(":")
    return float(lo), float(hi or lo)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--think", default="1:3", help="seconds a user waits between requests, MIN:MAX (0: none)")
    ap.add_argument("--saturation-seconds", type=float, default=20, help="then as long with no think time (0: skip)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--workdir", type=Path, help="keep (and reuse) the generated database here")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--note", default="")
    a = ap.parse_args(argv)
    if a.seconds > 600 or a.saturation_seconds > 600 or a.users > 200:
        ap.error("bounded: at most 600 s and 200 users")
    think = _think(a.think)
    workdir = a.workdir or Path(tempfile.mkdtemp(prefix="hk-webbench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    meta_file = workdir / "built.json"
    try:
        if (workdir / "bench.db").exists() and meta_file.exists():
            built = json.loads(meta_file.read_text(encoding="utf-8"))
        else:
            built = build(workdir, a.customers, a.invoices)
            meta_file.write_text(json.dumps(built), encoding="utf-8")
        if a.build_only:
            _migrate(workdir / "bench.db")
            print(json.dumps(built))
            return 0

        def measure(seconds: float, pause: tuple[float, float]) -> tuple[dict[str, Any], dict[str, Any] | None]:
            db = workdir / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            with sqlite3.connect(workdir / "bench.db") as c:  # the last writes may sit in the WAL file
                c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(workdir / "bench.db", db)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            proc = serve(db, port, a.workers)
            try:
                base = f"http://127.0.0.1:{port}"
                fl = asyncio.run(load(base, a.users, built["collectors"], min(10.0, seconds / 3), only="healthz")) \
                    if pause == think else None
                return asyncio.run(load(base, a.users, built["collectors"], seconds, think=pause)), fl
            finally:
                proc.terminate()
                proc.wait(30)

        load_avg = os.getloadavg()[0]
        mixed, floor = measure(a.seconds, think)
        saturated = measure(a.saturation_seconds, (0.0, 0.0))[0] if a.saturation_seconds > 0 else None
        assert floor is not None
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=HERE).stdout.strip() or "?"
        uname = " ".join(os.uname()[i] for i in (0, 2, 4))
        meta = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "customers": a.customers,
                "invoices": a.invoices, "users": a.users, "seconds": a.seconds, "workers": a.workers, "commit": commit,
                "think": a.think, "machine": f"{uname}, {os.cpu_count()} cores", "load": f"{load_avg:.1f}",
                "note": a.note, **built}
        section = render(meta, floor, mixed, saturated)
        write_section(a.out, section)
        print(section)
    finally:
        if a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _migrate(db: Path) -> None:
    """Bring a kept database to the newest schema before any measurement (a migration adding an index to
    10^6 rows must not run inside the timed part)."""
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings

    bootstrap(Settings(database_url=f"sqlite:///{db}", company_code="bench")).engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
