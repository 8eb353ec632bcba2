"""One absurd amount never sinks the company's run or aging (issue 6 item 17, the run side): the
customer holding it is an error of its own (run) or left out and named (aging); everyone else is
served. Imports refuse such amounts; a database may still hold them (an older import, a hand edit)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from huikuan.adapters.db import tables as t
from huikuan.entrypoints.cli.main import main
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import aging

TODAY = date(2026, 11, 23)
INT64_MAX = 9_223_372_036_854_775_807  # 92233720368547758.07 yuan, as probed


def books(app) -> None:
    import_rows(app, "customers", [{"customer_code": c, "name": c, "terms": "net 30"} for c in ("BAD", "OK")])
    import_rows(app, "invoices", [
        {"invoice_no": f"{c}-{k}", "customer_code": c, "invoice_date": "2026-08-01", "amount": "100.00"}
        for c in ("BAD", "OK") for k in (1, 2)])
    with app.engine.begin() as c:  # two of them: their sum overflows a 64-bit integer
        c.execute(update(t.invoice).where(t.invoice.c.number.like("BAD-%")).values(
            amount_minor=INT64_MAX, open_minor=INT64_MAX))


def test_the_run_goes_on_past_a_customer_with_an_absurd_amount(app):
    books(app)
    rep = run_daily(app, TODAY)
    assert [e["customer"] for e in rep.errors] == ["BAD"]
    assert rep.errors[0]["code"] == "run.amount_out_of_range"
    assert {a.customer_code for a in rep.actions} == {"OK"} and rep.created > 0
    again = run_daily(app, TODAY)  # the aging snapshot the run keeps survives it too
    assert again.created == 0


def test_aging_leaves_the_customer_out_and_names_it(app, db_url, capsys):
    books(app)
    rep = aging(app, TODAY)
    assert rep.out_of_range == ["BAD"]
    assert [(r.key, r.total) for r in rep.rows] == [("OK", 20000)]
    # Every way aging is computed leaves it out: other buckets (one SQL pass), a past day (dated facts) ...
    assert [(r.key, r.total) for r in aging(app, TODAY, (0, 45)).rows] == [("OK", 20000)]
    past = aging(app, date(2026, 10, 1))
    assert [(r.key, r.total) for r in past.rows] == [("OK", 20000)] and past.out_of_range == ["BAD"]
    run_daily(app, TODAY)  # ... and the snapshot the run keeps
    assert [(r.key, r.total) for r in aging(app, TODAY).rows] == [("OK", 20000)]
    assert main(["--database-url", db_url, "aging", "--as-of", TODAY.isoformat()]) == 0
    err = capsys.readouterr().err
    assert "BAD" in err and "超出范围" in err
