"""The credit manager's warnings, the most money at stake first (the demo raised 211 of them for 300
customers, newest first: unreadable). Both databases; `huikuan alerts` (table and --json) and the service
the /credit page reads agree."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.money import Money
from huikuan.entrypoints.cli.main import main
from huikuan.services import risk
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows
from huikuan.services.ledger import open_dispute

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))

# customer → (invoices: (date, amount)); the clock's today is 2026-11-23, terms net 30.
BOOK = {
    "SMALL": [("2026-08-01", "1000.00")],                         # overdue 1,000
    "BIG": [("2026-08-01", "90000.00"), ("2026-11-20", "5000")],  # overdue 90,000 (the second not yet due)
    "DISPUTED": [("2026-08-01", "95000.00")],                     # overdue 95,000, of which 60,000 disputed
    "NOTDUE": [("2026-11-10", "500000.00")],                      # owes the most, nothing overdue yet
    "PAID": [],                                                   # owes nothing
}


def _book(app) -> None:  # type: ignore[no-untyped-def]
    import_rows(app, "customers", [{"customer_code": c, "name": f"{c} 公司", "terms": "net 30"} for c in BOOK])
    import_rows(app, "invoices", [{"invoice_no": f"{c}-{n}", "customer_code": c, "invoice_date": d, "amount": a}
                                  for c, rows in BOOK.items() for n, (d, a) in enumerate(rows)])
    with app.uow() as uow:
        open_dispute(uow, "DISPUTED-0", Money(60_000_00, "CNY"), "quality", date(2026, 10, 1), by=BY)
        uow.commit()
    with app.engine.begin() as c:
        ids = dict(c.execute(select(t.customer.c.code, t.customer.c.id)).all())
        # Raised newest first in the order below, so the old order (newest first) is not the money order.
        for n, code in enumerate(["BIG", "SMALL", "PAID", "NOTDUE", "DISPUTED"]):
            c.execute(t.alert.insert().values(company_id=app.company_id, customer_id=ids[code], kind="chronic_late",
                                              anchor="", raised_on=date(2026, 11, 1 + n), move="visit", params={},
                                              reason_zh=f"{code} 预警", reason_en=f"{code} warning"))


EXPECTED = ["BIG", "DISPUTED", "SMALL", "NOTDUE", "PAID"]  # overdue 90,000 > 35,000 > 1,000 > 0 (owes 500,000) > 0


def test_warnings_are_listed_by_money_at_stake(app, capsys, monkeypatch):
    _book(app)
    rows = risk.list_alerts(app)
    assert [r.customer_code for r in rows] == EXPECTED
    assert [(r.overdue_minor, r.open_minor) for r in rows] == [
        (90_000_00, 95_000_00), (35_000_00, 95_000_00), (1_000_00, 1_000_00), (0, 500_000_00), (0, 0)]
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", str(app.engine.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["alerts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["customer"], r["overdue"], r["balance"]) for r in listed] == [
        ("BIG", "90000.00", "95000.00"), ("DISPUTED", "35000.00", "95000.00"), ("SMALL", "1000.00", "1000.00"),
        ("NOTDUE", "0.00", "500000.00"), ("PAID", "0.00", "0.00")]
    assert main(["alerts"]) == 0
    table = capsys.readouterr().out
    assert [table.index(f"{c} 公司") for c in EXPECTED] == sorted(table.index(f"{c} 公司") for c in EXPECTED)
    assert "¥90,000.00" in table and "逾期金额" in table
