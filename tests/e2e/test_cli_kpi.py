"""``huikuan kpi`` and ``huikuan targets`` on both databases: the hand-computed example of docs/metrics.md,
loaded through the CLI (imports, payments, a dispute, promises), gives the same figures."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from huikuan.entrypoints.cli.main import main

CUSTOMERS = "customer_code,name,terms,collector,segment,type\nK1,华东五金商行,net 30,张伟,华东,dealer\n"
INVOICES = ("invoice_no,customer_code,invoice_date,due_date,amount\nA,K1,2026-08-10,2026-09-09,1000\n"
            "B,K1,2026-09-15,2026-10-15,2000\nC,K1,2026-10-10,2026-11-09,3100\n")
PAYMENTS = "payment_no,customer_code,payment_date,amount,invoice_no\nP1,K1,2026-10-05,400,A\nP2,K1,2026-11-03,2000,B\n"


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    for kind, text in (("customers", CUSTOMERS), ("invoices", INVOICES), ("payments", PAYMENTS)):
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        assert run("import", kind, str(tmp_path / f"{kind}.csv"))[0] == 0
    assert run("dispute", "C", "--category", "quality", "--amount", "500", "--opened-on", "2026-10-20")[0] == 0
    assert run("dispute", "A", "--category", "pricing", "--amount", "100", "--opened-on", "2026-09-20")[0] == 0
    assert run("dispute-resolve", "2", "--on", "2026-10-12")[0] == 0
    assert run("promise", "K1", "--amount", "400", "--date", "2026-10-06", "--made-on", "2026-10-01")[0] == 0
    assert run("promise", "K1", "--amount", "2000", "--date", "2026-10-30", "--made-on", "2026-10-20")[0] == 0
    return run


def test_kpi_json_matches_the_hand_computed_example(cli):
    code, out, err = cli("kpi", "--month", "2026-10", "--format", "json")
    assert code == 0, err
    c = json.loads(out)["company"]
    assert (c["dso"], c["best_possible_dso"], c["add"]) == (79.6, 31.0, 48.6)
    assert c["cei"] == 13.33 and c["overdue_collected_pct"] == 40.0 and c["overdue_share_pct"] == 45.61
    assert c["disputed_share_pct"] == 8.77 and c["dispute_cycle_days"] == 22.0 and c["promise_kept_pct"] == 50.0
    assert c["roll_rates"] == [100.0, 60.0, None, None, None, None]
    assert c["receivables"] == "5700.00" and c["overdue"] == "2600.00"


def test_a_promise_due_on_the_first_day_is_judged_by_the_customers_payments(cli, tmp_path):
    """Only the payments of customers with a promise falling due in the month are read (10⁶ payments
    otherwise): a promise due on the month's very first day still counts its customer's payments."""
    files = {"customers": "customer_code,name,terms,collector,segment,type\nK2,华南电器,net 30,张伟,华南,dealer\n",
             "invoices": "invoice_no,customer_code,invoice_date,due_date,amount\nD,K2,2026-09-01,2026-10-01,100\n",
             "payments": "payment_no,customer_code,payment_date,amount,invoice_no\nP3,K2,2026-09-30,100,D\n"}
    for kind, text in files.items():
        (tmp_path / f"k2-{kind}.csv").write_text(text, encoding="utf-8")
        assert cli("import", kind, str(tmp_path / f"k2-{kind}.csv"))[0] == 0
    assert cli("promise", "K2", "--amount", "100", "--date", "2026-10-01", "--made-on", "2026-09-29")[0] == 0
    code, out, err = cli("kpi", "--month", "2026-10", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["company"]["promise_kept_pct"] == 66.67  # K1: 1 of 2 kept; K2: kept


def test_targets_against_actuals_by_collector_and_the_other_formats(cli, tmp_path):
    assert cli("targets", "set", "--month", "2026-10", "--metric", "overdue_collected_pct", "--value", "70")[0] == 0
    assert cli("targets", "set", "--month", "2026-10", "--metric", "dso", "--value", "90", "--collector", "张伟")[0] == 0
    code, out, _ = cli("kpi", "--month", "2026-10", "--by", "collector", "--format", "json")
    doc = json.loads(out)
    assert doc["company"]["targets"] == [{"metric": "overdue_collected_pct", "target": 70.0, "actual": 40.0, "met": False}]
    [g] = doc["groups"]
    assert g["key"] == "张伟" and g["dso"] == 79.6
    assert g["targets"] == [{"metric": "dso", "target": 90.0, "actual": 79.6, "met": True}]
    code, out, _ = cli("kpi", "--month", "2026-10")
    assert code == 0 and "79.6" in out and "目标完成情况" in out and "否" in out
    code, out, _ = cli("targets", "list", "--month", "2026-10")
    assert code == 0 and "张伟" in out and "70.0" in out
    assert "月份" in out and "YYYY-MM" not in out  # the month column's heading, not the bad-month message
    code, out, _ = cli("kpi", "--month", "2026-10", "--format", "csv")
    assert "79.6" in out.splitlines()[1]
    path = tmp_path / "kpi.xlsx"
    assert cli("kpi", "--month", "2026-10", "--format", "xlsx", "-o", str(path))[0] == 0
    assert load_workbook(path).active.cell(3, 2).value == 79.6


@pytest.mark.parametrize(("args", "text"), [
    (("kpi", "--month", "2026-13"), "YYYY-MM"),
    (("kpi", "--by", "region"), "region"),
    (("targets", "set", "--month", "2026-10", "--metric", "cei", "--value", "5"), "cei"),
])
def test_bad_input_is_one_clear_line(cli, args, text):
    code, out, err = cli(*args)
    assert code == 2 and text in err and "Traceback" not in err + out
