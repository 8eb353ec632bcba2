"""Web workbench load benchmark: 20 simulated users (loopback only, bounded in time) over Today, customer 360,
the dashboard and log-a-contact, against ``huikuan serve`` on a SQLite database generated like
``bench/run.py``'s. Reports p50/p95 latency and requests/s per page beside a floor measured in the same run
under the same load (one more signed-in client asking for ``/healthz``: the HTTP stack and the session
lookup, no page work), and writes its own section of bench/RESULTS.md (between the ``web-load`` markers).

    python bench/web_load.py --customers 100000 --invoices 1000000 --users 20 --seconds 40 --workdir W

With ``--workdir`` the generated database is kept there (``W/bench.db``) and reused by the next run
(``--build-only`` builds it and stops): each measurement runs on a fresh copy of it, so the contacts one
run logs never reach the next. The data are dated on the server's "today" (the company's time zone).
``--model`` also measures with a payment model trained on a copy (``W/bench-model.db``): Today then
follows the model's ranking.

Users think between requests (``--think 1:3``, seconds, uniform; a person reads the page before the next
click); ``--think 0`` measures saturation instead (every user fires the next request at once: latency is
then users ÷ throughput). The load generator is one asyncio process speaking raw HTTP/1.1 at lower
priority (``--load-nice``), so on a shared machine it takes little from the server it measures; its
latencies include its own waiting, so they can only be worse, never better, than the server's. Run it
under a machine-wide lock when others share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import multiprocessing
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
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

from sqlalchemy import text

HERE = Path(__file__).resolve().parent
START, END = "<!-- web-load:start -->", "<!-- web-load:end -->"
PASSWORD = "bench-password-1"
SESSION = "hk_sid"  # the workbench's session cookie (entrypoints/web/auth.py)
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


class Http:
    """One kept-alive HTTP/1.1 connection with the sign-in cookie: the smallest client that does the job.

    The load generator shares the 2 cores with the server, so it must cost little per request: raw asyncio
    streams, no cookie jar, no header objects (httpx cost several times more per request). It reads the
    whole body of every response (the server really sends it) and parses only what a user needs next."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.sid = ""

    async def request(self, method: str, path: str, form: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body); a connection the server closed is opened again once."""
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._exchange(method, path, form, headers)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, form: dict[str, str] | None,
                        headers: dict[str, str] | None) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.sid:
            head.append(f"Cookie: {SESSION}={self.sid}")
        if form is not None:
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = "close" in value.lower()
            elif name == "set-cookie" and value.strip().startswith(SESSION + "="):
                self.sid = value.strip()[len(SESSION) + 1:].split(";", 1)[0]
        if chunked:
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


CSRF_FORM = re.compile(rb'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(rb'name="csrf-token" content="([^"]+)"')
CUSTOMER_LINK = re.compile(rb'href="/customers/([^"/?#]+)"')


async def _sign_in(client: Http, name: str) -> str:
    status, page = await client.request("GET", "/login")
    token = CSRF_FORM.search(page).group(1).decode()  # type: ignore[union-attr]
    status, page = await client.request("POST", "/login",
                                        form={"name": name, "password": PASSWORD, "csrf_token": token})
    if status not in (200, 303):
        raise RuntimeError(f"sign-in of {name} failed: {status} {page[:300]!r}")
    status, me = await client.request("GET", "/me")
    return CSRF_META.search(me).group(1).decode()  # type: ignore[union-attr]


async def _user(client: Http, csrf: str, role: str, until: float, lat: dict[str, list[float]],
                errors: dict[str, int], only: str | None, rng: random.Random, think: tuple[float, float]) -> None:
    """One simulated person: a collector (Today, customer 360, log-contact), a manager (dashboard, everyone's
    Today, customer 360) or the floor's probe (``/healthz``: the HTTP stack and the session lookup)."""
    codes: list[str] = []
    await asyncio.sleep(rng.uniform(0, think[1]))  # users do not all start on the same instant
    while time.perf_counter() < until:
        if only or role == "probe":
            kind = only or "healthz"
        elif role == "manager":
            kind = rng.choice(("dashboard", "today", "customer"))
        else:
            kind = rng.choices(("today", "customer", "contact"), weights=(3, 4, 3))[0]
        if kind in ("customer", "contact") and not codes:
            kind = "today"
        started = time.perf_counter()
        try:
            status, body = await _request(client, kind, role == "manager", codes, csrf, rng)
        except (ConnectionError, asyncio.IncompleteReadError):  # counted, not fatal
            errors["transport"] = errors.get("transport", 0) + 1
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if kind == "today":
            codes = [c.decode() for c in CUSTOMER_LINK.findall(body)[:50]] or codes
        if status >= 400:
            errors[kind] = errors.get(kind, 0) + 1
        else:
            lat.setdefault(kind, []).append(elapsed)
        if think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))  # reading the page; not part of any latency


async def _request(client: Http, kind: str, manager: bool, codes: list[str], csrf: str,
                   rng: random.Random) -> tuple[int, bytes]:
    if kind == "healthz":
        return await client.request("GET", "/healthz")
    if kind == "today":
        return await client.request("GET", "/today?all=1" if manager else "/today")
    if kind == "customer":
        return await client.request("GET", f"/customers/{rng.choice(codes)}")
    if kind == "dashboard":
        return await client.request("GET", "/dashboard")
    return await client.request("POST", f"/customers/{rng.choice(codes)}/contact",
                                headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
                                form={"channel": "phone", "outcome": rng.choice(("reached", "no_answer")),
                                      "note": "bench"})


def _pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``xs``."""
    return xs[max(0, min(len(xs) - 1, int(-(-q * len(xs) // 1)) - 1))]


async def load(port: int, n_users: int, collectors: int, seconds: float, only: str | None = None,
               think: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """Every user signs in first; then all of them work for ``seconds`` (the measured, bounded part).

    Beside the users one more signed-in client, the floor's probe, asks for ``/healthz`` with the same
    think time (1–3 s when the users think none): the floor is measured under the very same load."""
    lat: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    rng = random.Random(7)
    managers = max(1, n_users // 5)
    roles = ["manager" if i < managers else "collector" for i in range(n_users)] + ["probe"]
    clients = [Http("127.0.0.1", port) for _ in roles]
    probe_think = think if think[1] > 0 else (1.0, 3.0)
    try:
        csrfs = await asyncio.gather(*(_sign_in(c, "m0" if roles[i] != "collector" else f"c{i % collectors}")
                                       for i, c in enumerate(clients)))
        cpu0 = _cpu_seconds()
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_user(c, csrfs[i], roles[i], until, lat, errors, only, random.Random(rng.random()),
                                     probe_think if roles[i] == "probe" else think) for i, c in enumerate(clients)))
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu0
    finally:
        for c in clients:
            await c.close()
    out: dict[str, Any] = {"wall_s": wall, "errors": errors, "pages": {}, "load_cpu_s": cpu}
    for kind, xs in lat.items():
        xs.sort()
        out["pages"][kind] = {"n": len(xs), "p50": statistics.median(xs), "p95": _pct(xs, 0.95), "rps": len(xs) / wall}
    out["total_rps"] = sum(len(x) for k, x in lat.items() if k != "healthz") / wall
    return out


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _load_niced(port: int, a: Any, collectors: int, seconds: float, think: tuple[float, float]) -> dict[str, Any]:
    """Run ``load`` in a child process at lower priority (``--load-nice``): on the 2 shared cores the
    server's processes go first, and the generator's own waiting shows up as latency (never hides it)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def work() -> None:
        os.nice(a.load_nice)
        child.send(asyncio.run(load(port, a.users, collectors, seconds, think=think)))

    proc = ctx.Process(target=work)
    proc.start()
    try:
        result: dict[str, Any] = parent.recv()
    finally:
        proc.join(60)
    return result


def _server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server (uvicorn's supervisor and its workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def serve(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("huikuan")
    proc = subprocess.Popen([str(exe), "--database-url", f"sqlite:///{db}", "serve", "--port", str(port),
                             "--run-at", "off", "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HUIKUAN_COMPANY_CODE": "bench", "HUIKUAN_COMPANY": "基准测试公司"})
    deadline = time.time() + 300  # a loaded machine takes a while to start two workers on 10^6 invoices
    while time.time() < deadline:
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except (URLError, OSError):
            pass
        time.sleep(0.5)  # waiting for the server to listen; not part of any measurement
    proc.kill()
    raise RuntimeError("server did not start")


def _table(run: dict[str, Any], verdicts: bool) -> list[str]:
    fp = run["pages"].get("healthz", {})
    out = ["| page | requests | p50 | p95 | requests/s | target p95 | floor p95 (`/healthz`, same run) | result |",
           "|---|---|---|---|---|---|---|---|"]
    for kind in ("today", "customer", "dashboard", "contact"):
        p = run["pages"].get(kind)
        if not p:
            continue
        target = TARGETS[kind]
        verdict = ("PASS" if p["p95"] <= target else "MISS") if verdicts else "—"
        out.append(f"| {kind} | {p['n']:,} | {p['p50']:.0f} ms | {p['p95']:.0f} ms | {p['rps']:.1f} | "
                   f"≤ {target} ms | {fp.get('p95', 0):.0f} ms | {verdict} |")
    busy = run.get("server_cpu_s", 0) / run["wall_s"] if run["wall_s"] else 0
    out += ["", f"All pages together: {run['total_rps']:.1f} requests/s over {run['wall_s']:.0f} s; errors: "
            f"{run['errors'] or 'none'}. Floor, measured by one more signed-in client beside the users during the "
            f"same load: `/healthz` (the HTTP stack and the session lookup, no page work) p50 {fp.get('p50', 0):.0f} ms, "
            f"p95 {fp.get('p95', 0):.0f} ms over {fp.get('n', 0)} requests. CPU during the load: server "
            f"{run.get('server_cpu_s', 0):.1f} s ({busy:.2f} of the {os.cpu_count()} cores), load generator "
            f"{run['load_cpu_s']:.1f} s."]
    return out


def render(meta: dict[str, Any], runs: list[tuple[str, dict[str, Any], bool]]) -> str:
    managers = max(1, meta["users"] // 5)
    lines = [START, "## Web workbench under load (bench/web_load.py)", "",
             f"Measured {meta['when']} with `python bench/web_load.py --customers {meta['customers']} "
             f"--invoices {meta['invoices']} --users {meta['users']} --seconds {meta['seconds']} --workers "
             f"{meta['workers']} --think {meta['think']}{' --model' if meta['model'] else ''}` (`huikuan serve "
             f"--workers {meta['workers']}`: uvicorn worker processes, SQLite in WAL mode, loopback). Code measured: "
             f"commit {meta['commit']}. Machine: {meta['machine']}; 1-minute load average when the load began: "
             f"{meta['load']}. The load generator (one asyncio process, raw HTTP/1.1, nice {meta['load_nice']}) shares "
             "the cores with the server. " + meta["note"], "",
             f"Data: {meta['customers']:,} customers, {meta['invoices']:,} open invoices (generated like "
             f"bench/run.py's), the daily run of {meta['as_of']} done (the aging snapshot is of that day); each "
             f"measurement on a fresh copy of the database. {meta['users']} users: {meta['users'] - managers} "
             f"collectors (Today, customer 360, log-contact; scoped to their customers; {meta['collectors']} "
             f"collector names) and {managers} managers (dashboard, everyone's Today, customer 360)."]
    for title, run, verdicts in runs:
        lines += ["", f"### {title}", "", *_table(run, verdicts)]
    lines += ["", "Log-contact is a write (SQLite: one writer at a time, readers never wait in WAL mode).", END]
    return "\n".join(lines) + "\n"


def _train(db: Path) -> dict[str, Any]:
    """A copy of the data with a payment model trained (``huikuan model train``), so Today follows the
    model's ranking (``task_rank``) instead of the amount order.

    The generated data hold open invoices only, no settled history, so training falls back to its history
    rule and ranks nothing. Then the open tasks are ranked here, through the same store training uses
    (``save_task_ranks``), by amount × days past due with proposals first, as the expected-value ranking
    orders them: the pages read a ranking of every open task exactly as they would after training."""
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import prediction

    app = bootstrap(Settings(database_url=f"sqlite:///{db}", company_code="bench"))
    try:
        prediction.train_model(app)
        today = app.clock.today()
        with app.uow(write=False) as uow:
            stored = uow.c.execute(text("SELECT count(*) FROM task_rank")).scalar_one()
            if stored:
                return {"ranking": "trained", "ranked": int(stored)}
            rows = uow.customers.open_tasks(today)

        def value(r: Any) -> tuple[int, float, int]:
            days = (r.params or {}).get("days") if isinstance(r.params, dict) else None
            return (0 if r.needs_approval else 1, -float(r.amount_minor or 0) * max(int(days or 1), 1), int(r.id))

        def why(r: Any) -> list[list[Any]]:  # a model feature the page can name (feature.* in the catalogs)
            days = (r.params or {}).get("days") if isinstance(r.params, dict) else None
            return [["days_to_due", -float(days or 0), 0.0]]

        ranked = sorted(rows, key=value)
        with app.uow() as uow:
            uow.analytics.save_task_ranks(today, [(int(r.id), k, -value(r)[1], why(r))
                                                  for k, r in enumerate(ranked, start=1)])
            uow.commit()
        return {"ranking": "stand-in (no settled history to train on)", "ranked": len(ranked)}
    finally:
        app.engine.dispose()


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
    ap.add_argument("--model", action="store_true",
                    help="also measure with a payment model trained (kept in W/bench-model.db)")
    ap.add_argument("--load-nice", type=int, default=10, help="the load generator's niceness (0: the server's)")
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
            if not a.model:
                return 0

        model_db = workdir / "bench-model.db"
        if a.model and not model_db.exists():
            _checkpoint(workdir / "bench.db")
            shutil.copyfile(workdir / "bench.db", model_db)
            (workdir / "model.json").write_text(json.dumps(_train(model_db)), encoding="utf-8")
        if a.model:
            _migrate(model_db)
            print(json.dumps(json.loads((workdir / "model.json").read_text(encoding="utf-8"))))
            if a.build_only:
                return 0

        def measure(source: Path, seconds: float, pause: tuple[float, float]) -> dict[str, Any]:
            db = workdir / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            _checkpoint(source)
            shutil.copyfile(source, db)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            proc = serve(db, port, a.workers)
            try:
                cpu0 = _server_cpu(proc.pid)
                out = _load_niced(port, a, built["collectors"], seconds, pause)
                out["server_cpu_s"] = _server_cpu(proc.pid) - cpu0  # includes sign-in, a few % of the run
                return out
            finally:
                proc.terminate()
                proc.wait(30)

        load_avg = os.getloadavg()[0]
        users = f"{a.users} users"
        runs = [(f"{users}, each thinking {a.think} s between requests (the target measurement)",
                 measure(workdir / "bench.db", a.seconds, think), True)]
        if a.model:
            how = json.loads((workdir / "model.json").read_text(encoding="utf-8"))
            runs.append((f"{users} thinking {a.think} s, Today in a ranking's order ({how['ranked']:,} open tasks "
                         f"ranked; ranking: {how['ranking']})", measure(model_db, a.seconds, think), True))
        if a.saturation_seconds > 0:
            runs.append((f"The same {users} with no think time (saturation: latency ≈ users ÷ throughput)",
                         measure(workdir / "bench.db", a.saturation_seconds, (0.0, 0.0)), False))
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=HERE).stdout.strip() or "?"
        uname = " ".join(os.uname()[i] for i in (0, 2, 4))
        meta = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "customers": a.customers,
                "invoices": a.invoices, "users": a.users, "seconds": a.seconds, "workers": a.workers, "commit": commit,
                "think": a.think, "machine": f"{uname}, {os.cpu_count()} cores", "load": f"{load_avg:.1f}",
                "note": a.note, "model": a.model, "load_nice": a.load_nice, **built}
        section = render(meta, runs)
        write_section(a.out, section)
        print(section)
    finally:
        if a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _checkpoint(db: Path) -> None:
    with sqlite3.connect(db) as c:  # the last writes may sit in the WAL file
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _migrate(db: Path) -> None:
    """Bring a kept database to the newest schema before any measurement (a migration adding an index to
    10^6 rows must not run inside the timed part)."""
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings

    bootstrap(Settings(database_url=f"sqlite:///{db}", company_code="bench")).engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
