"""Communications benchmark (issue 9): e-mails through the outbox to a local SMTP server, and one-page
letters rendered to PDF on every core.

    python bench/comms.py                      # 10,000 e-mails, 1,000 letters; updates bench/RESULTS.md
    python bench/comms.py --emails 500 --letters 20 --out /tmp/r.md
    python bench/comms.py --prepare bench/data/comms --emails 10000   # build the company and run first …
    python bench/comms.py --data bench/data/comms                     # … then time only the sending

E-mails: a SQLite company with one overdue invoice and one finance contact per customer; the daily
run writes the e-mails to the outbox (timed: the enqueue is part of the run), then ``send_due`` delivers
them over the mailer's parallel SMTP connections to an aiosmtpd server running in its own process (the
Sink handler, which accepts and discards). Floor: the same number of pre-built messages sent with smtplib alone over
one connection to the same server — what the wire and the server cost without huikuan.

Letters: ``letter.html`` rendered with WeasyPrint through the application's process pool
(``adapters.pdf.render_many``: ``os.cpu_count()`` workers, fonts and style sheet loaded once per worker);
floor: the same pool rendering a plain page of about the same text in the same font (WeasyPrint's own cost).
Targets (2 cores): ≥ 200 e-mails/s; 1,000 letters ≤ 3 min.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- comms:begin -->", "<!-- comms:end -->"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("SMTP server did not start")


def prepare_emails(n: int, db: Path) -> dict[str, float]:
    """The company and its daily run (the run renders and queues the e-mails; timed here, but not part of
    the e-mail figure): ``n`` e-mails waiting in the outbox of the SQLite file ``db``."""
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import outbox
    from huikuan.services.daily_run import run_daily
    from huikuan.services.import_ import import_rows
    from huikuan.services.ports import FixedClock

    clock = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    app = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=clock)
    # Overdue 8–14 days: the daily dunning e-mail; within the credit notice's window: a second one.
    customers = max(1, n // 2)
    import_rows(app, "customers", [{"customer_code": f"C{i:06d}", "name": f"测试客户{i}有限公司", "terms": "net 30",
                                    "credit_limit": "100000", "collector": "李娜"} for i in range(customers)])
    import_rows(app, "invoices", [{"invoice_no": f"I{i:06d}", "customer_code": f"C{i:06d}",
                                   "invoice_date": "2026-10-10", "amount": "12345.67"} for i in range(customers)])
    import_rows(app, "contacts", [{"customer_code": f"C{i:06d}", "name": "王会计", "role": "finance",
                                   "email": f"ar{i}@example.com", "best_time": "09:30-11:00"} for i in range(customers)])
    t0 = time.perf_counter()
    run_daily(app, date(2026, 11, 23))
    run_s = time.perf_counter() - t0
    queued = outbox.outbox_counts(app).get("queued", 0)
    app.engine.dispose()
    return {"customers": customers, "run_s": run_s, "queued": queued}


def send_emails(db: Path) -> dict[str, float]:
    """Everything queued in ``db`` through the outbox to an aiosmtpd server in its own process, and the
    floor: as many pre-built messages sent with smtplib alone over one connection to the same server."""
    from huikuan.adapters.mail import SmtpMailer
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services import outbox
    from huikuan.services.ports import FixedClock

    app = bootstrap(Settings(database_url=f"sqlite:///{db}"), clock=FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l",
                               f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port)
        mailer = SmtpMailer("127.0.0.1", port, mail_from="ar@huikuan.example", from_name="演示贸易有限公司")
        now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Beijing, after the contacts' best time
        t0 = time.perf_counter()
        sent = 0
        while True:
            r = outbox.send_due(app, mailer, None, now=now, limit=1000, rng=random.Random(1))
            sent += r.sent
            if r.claimed == 0:
                break
        send_s = time.perf_counter() - t0
        mailer.close()
        msgs = []
        for i in range(sent):
            m = EmailMessage()
            m["Subject"], m["From"], m["To"] = "第二次逾期提醒：¥12,345.67", "ar@huikuan.example", f"ar{i}@example.com"
            m["Message-ID"] = f"<{i}@bench>"
            m.set_content("王会计，您好：\n" + "贵司以下发票已逾期。" * 20)
            msgs.append(m)
        t0 = time.perf_counter()
        conn = smtplib.SMTP("127.0.0.1", port)
        for m in msgs:
            conn.send_message(m)
        conn.quit()
        floor_s = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
        app.engine.dispose()
    return {"sent": sent, "send_s": send_s, "floor_s": floor_s, "connections": mailer.parallel}


def bench_emails(n: int, workdir: Path, data: Path | None = None) -> dict[str, float]:
    """``data``: a folder ``--prepare`` filled (its database is copied, so a measurement can be repeated)."""
    db = workdir / "comms.db"
    if data is not None:
        shutil.copyfile(data / "comms.db", db)
        prepared = json.loads((data / "prepared.json").read_text(encoding="utf-8"))
    else:
        prepared = prepare_emails(n, db)
    return {**prepared, **send_emails(db)}


def _letter_html(i: int) -> str:
    from huikuan.adapters.templates import JinjaTemplates
    from huikuan.domain.capitals import amount_in_capitals

    minor = 1_000_000 + i * 7919
    v = {"lang": "zh", "kind": "dunning", "title": "催款函", "title_zh": "催款函", "company": "演示贸易有限公司",
         "company_address": "广州市天河区体育西路 1 号", "customer": f"测试客户{i}有限公司", "customer_code": f"C{i:06d}",
         "customer_address": "", "reference": f"HK-D-20261123-{i}", "date": "2026-11-23", "date_zh": "2026年11月23日",
         "invoices": [{"number": f"I{i}-{k}", "due_on": "2026-07-01", "amount": "¥5,000.00", "open": "¥5,000.00",
                       "days": 145} for k in range(3)],
         "total": f"¥{minor / 100:,.2f}", "total_capitals": amount_in_capitals(minor), "bank_name": "中国工商银行",
         "bank_account": "6222 0000 0000 0000", "account_name": "演示贸易有限公司", "collector": "李娜", "seal": None}
    return JinjaTemplates().render_page("letter.html", v)


def bench_letters(n: int) -> dict[str, float]:
    """Renders through ``adapters.pdf.render_many`` (the pool the application uses: a worker per core,
    fonts and the letter's style sheet loaded once per worker). The HTML is built first, outside the
    timing, as the template's cost is not the PDF's."""
    from huikuan.adapters.pdf import render_many

    workers = os.cpu_count() or 1
    htmls = [_letter_html(i) for i in range(n)]
    t0 = time.perf_counter()
    sizes = [len(p) for p in render_many(htmls, workers)]
    s = time.perf_counter() - t0  # includes starting and warming the pool
    plain = "<html><body style='font-family: Noto Serif CJK SC'>" + "<p>催款函 测试 ¥1,000.00</p>" * 30 + "</body></html>"
    t0 = time.perf_counter()
    render_many([plain] * n, workers)
    floor = time.perf_counter() - t0
    return {"letters": n, "workers": workers, "s": s, "floor_s": floor, "avg_kb": sum(sizes) / len(sizes) / 1024}


def render(e: dict[str, float], lt: dict[str, float], load: tuple[float, float], quiet: bool = False) -> str:
    note = ("Taken in the session's quiet window: no other test, build or benchmark was running" if quiet else
            "Other work was running on the machine, so these are floors on what the code can do, not ceilings")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rate = e["sent"] / e["send_s"] if e["send_s"] else 0.0
    floor_rate = e["sent"] / e["floor_s"] if e["floor_s"] else 0.0
    return f"""{BEGIN}
## Communications (issue 9): e-mails through the outbox, letters to PDF

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python bench/comms.py --emails {int(e['sent'])} --letters {int(lt['letters'])}`,
commit {commit}, on `{platform.node()}` ({os.cpu_count()} cores, Python {platform.python_version()}). {note}
(1-minute load average {load[0]:.1f} at the start of the e-mails, {load[1]:.1f} at the start of the letters).

| what | huikuan | floor (same run) | × floor | target | result |
|---|---|---|---|---|---|
| {int(e['sent']):,} e-mails: outbox → SMTP (aiosmtpd Sink, own process; {int(e['connections'])} connections) | {e['send_s']:.1f} s, {rate:,.0f} e-mails/s | smtplib alone: {e['floor_s']:.1f} s, {floor_rate:,.0f}/s | {e['send_s'] / e['floor_s'] if e['floor_s'] else 0:.1f}× | ≥ 200 e-mails/s | {'PASS' if rate >= 200 else 'MISS'} |
| {int(lt['letters']):,} one-page letters (WeasyPrint, {int(lt['workers'])} processes) | {lt['s']:.1f} s ({lt['letters'] / lt['s']:.1f}/s, {lt['avg_kb']:.0f} KiB each); 1,000 at this rate: {lt['s'] * 1000 / lt['letters']:.0f} s | plain page: {lt['floor_s']:.1f} s | {lt['s'] / lt['floor_s'] if lt['floor_s'] else 0:.1f}× | 1,000 ≤ 180 s | {'PASS' if lt['s'] * 1000 / lt['letters'] <= 180 else 'MISS'} |

The daily run that wrote those e-mails to the outbox ({int(e['customers']):,} customers, {int(e['queued']):,} messages
rendered and queued in the actions' transactions) took {e['run_s']:.1f} s.
{END}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emails", type=int, default=10_000)
    ap.add_argument("--letters", type=int, default=1_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--prepare", type=Path, metavar="DIR", help="only build the e-mails' company and run into DIR")
    ap.add_argument("--data", type=Path, metavar="DIR", help="measure on what --prepare built in DIR")
    ap.add_argument("--quiet", action="store_true", help="say in the results that nothing else was running")
    args = ap.parse_args()
    if args.prepare is not None:
        args.prepare.mkdir(parents=True, exist_ok=True)
        (args.prepare / "comms.db").unlink(missing_ok=True)
        info = prepare_emails(args.emails, args.prepare / "comms.db")
        (args.prepare / "prepared.json").write_text(json.dumps(info), encoding="utf-8")
        print(info)
        return
    with tempfile.TemporaryDirectory(prefix="hk-comms-") as tmp:
        load_e = os.getloadavg()[0]
        e = bench_emails(args.emails, Path(tmp), args.data)
        load_l = os.getloadavg()[0]
        lt = bench_letters(args.letters)
    section = render(e, lt, (load_e, load_l), args.quiet)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + section.rstrip("\n") + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + section
    args.out.write_text(new, encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
