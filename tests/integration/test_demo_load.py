"""Loading a generated demo company through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import Conflict
from huikuan.domain.money import Money
from huikuan.services.demo_data import generate
from huikuan.services.demo_load import load

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def company():
    return generate(customers=40, months=6, seed=11, as_of=AS_OF)


def _scalar(app, stmt):  # type: ignore[no-untyped-def]
    with app.engine.connect() as c:
        value = c.execute(stmt).scalar()
        c.rollback()
    return value


def _total(rows, key="amount"):  # type: ignore[no-untyped-def]
    return sum(Money.parse(str(r[key])).minor for r in rows)


def test_load_writes_every_row_and_balances_exactly(app, company) -> None:  # type: ignore[no-untyped-def]
    report = load(app, company)

    assert report.counts == {
        "customers": 40, "contacts": len(company.contacts), "invoices": len(company.invoices),
        "payments": len(company.payments), "credit-notes": len(company.credit_notes),
        "disputes": len(company.disputes), "promises": len(company.promises),
        "activities": len(company.activities),
    }
    for table, expected in ((t.customer, 40), (t.contact, len(company.contacts)), (t.invoice, len(company.invoices)),
                            (t.payment, len(company.payments)), (t.credit_note, len(company.credit_notes)),
                            (t.dispute, len(company.disputes)), (t.promise, len(company.promises)),
                            (t.activity, len(company.activities))):
        assert _scalar(app, select(func.count()).select_from(table)) == expected, table.name

    invoiced = _total(company.invoices)
    paid = _total(company.payments)
    credited = _total(company.credit_notes)
    assert _scalar(app, select(func.sum(t.invoice.c.amount_minor))) == invoiced
    open_db = _scalar(app, select(func.sum(t.invoice.c.open_minor)))
    allocated = _scalar(app, select(func.sum(t.allocation.c.amount_minor)))
    assert open_db == invoiced - allocated
    # No money was left unapplied, so the open balance is exactly invoices − payments − credit notes.
    assert _scalar(app, select(func.sum(t.payment.c.unapplied_minor))) == 0
    assert _scalar(app, select(func.sum(t.credit_note.c.unapplied_minor))) == 0
    assert open_db == invoiced - paid - credited == company.open_minor
    overdue_db = _scalar(app, select(func.sum(t.invoice.c.open_minor)).where(t.invoice.c.due_on < AS_OF))
    assert overdue_db == company.overdue_minor()
    assert _scalar(app, select(func.sum(t.invoice.c.disputed_minor))) == sum(d.amount_minor for d in company.disputes)


def test_loaded_master_data_keeps_types_terms_and_flags(app, company) -> None:  # type: ignore[no-untyped-def]
    load(app, company)
    with app.engine.connect() as c:
        rows = c.execute(select(t.customer.c.code, t.customer.c.type, t.customer.c.terms,
                                t.customer.c.deliver_two_settle_one, t.customer.c.credit_limit_minor)).all()
        bills = c.execute(select(func.count()).select_from(t.payment).where(
            t.payment.c.method == "acceptance_bill", t.payment.c.bill_matures_on.is_not(None))).scalar()
        c.rollback()
    given = {r["customer_code"]: r for r in company.customers}
    for code, ctype, terms, d2s1, limit in rows:
        g = given[code]
        assert ctype == g["type"]
        assert bool(d2s1) == (g["deliver_two_settle_one"] == "true")
        assert limit == Money.parse(str(g["credit_limit"])).minor
        assert terms
    assert bills == Counter(p["method"] for p in company.payments)["acceptance_bill"]


def test_a_second_load_is_refused_and_changes_nothing(app, company) -> None:  # type: ignore[no-untyped-def]
    load(app, company)
    with pytest.raises(Conflict) as e:
        load(app, company)
    assert e.value.code == "demo.not_empty"
    assert _scalar(app, select(func.count()).select_from(t.promise)) == len(company.promises)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from huikuan.entrypoints.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_cli_prints_the_summary_in_chinese_and_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ("demo-data", "--customers", "12", "--months", "3", "--seed", "3", "--as-of", "2026-11-23")
    r = _cli("--database-url", url, *args)
    assert r.returncode == 0, r.stderr
    expected = generate(customers=12, months=3, seed=3, as_of=AS_OF)
    assert "客户 12 户" in r.stdout
    assert f"应收余额 {Money(expected.open_minor).display()}" in r.stdout
    assert f"其中逾期 {Money(expected.overdue_minor()).display()}" in r.stdout

    again = _cli("--database-url", url, *args)
    assert again.returncode == 2 and "已有 15 个客户" in again.stderr  # 12 + DL-DEMO, CN-DEMO, LT-DEMO; exit 3: the run lock's

    r = _cli("--lang", "en", "--database-url", f"sqlite:///{tmp_path / 'other.db'}", *args, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["customers"] == 12 and summary["invoices"] == len(expected.invoices)
    assert summary["open_balance"] == Money(expected.open_minor).amount_text()
    # last month's and this month's targets (the government segment's only when the demo has one)
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings
    from huikuan.services.kpi import kpi_report

    app = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    gov = "政府" in {c["segment"] for c in expected.customers}
    assert summary["kpi_targets"] == 2 * (3 + (2 if gov else 0))
    # six Mondays' cash forecasts: the forecast page sets six past weeks beside what came in
    from huikuan.services.prediction import forecast

    assert summary["forecasts"] == 6
    with app.engine.connect() as c:
        made = c.execute(select(t.forecast_week.c.made_on).distinct().order_by(t.forecast_week.c.made_on)).scalars()
        assert [str(m)[:10] for m in made] == ["2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09",
                                               "2026-11-16"]
    f = forecast(app, 13, AS_OF, store=False)
    assert [s.isoformat() for _w, s, _e, _a in f.past] == [
        "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]
    assert f.wape_pct is not None and all(e > 0 for _w, _s, e, _a in f.past)
    for month in ("2026-10", "2026-11"):
        rep = kpi_report(app, month, "segment")
        assert {c.metric: c.target for c in rep.company.targets} == {
            "overdue_collected_pct": 70.0, "overdue_share_pct": 45.0, "dso": 75.0}

    bad = _cli("--lang", "en", "--database-url", url, "demo-data", "--as-of", "23/11/2026")
    assert bad.returncode == 2 and "--as-of" in bad.stderr and "23/11/2026" in bad.stderr
