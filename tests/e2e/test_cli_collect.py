"""The CLI as a user meets it: run --json keeps its shape, worklist, customer show, aging in every
format, approvals, and errors as one clear line in the user's language (never a traceback)."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from huikuan.entrypoints.cli.main import main

CUSTOMERS = "customer_code,name,terms,credit_limit,collector,segment\nKH1,成都蓉信商贸有限公司,月结30,50000,张伟,西南\nKH2,杭州汇通电子有限公司,net 30,80000,李娜,华东\n"
INVOICES = "发票号,客户编号,开票日期,金额\nA1,KH1,2026-06-15,\"¥12,000.00\"\nA2,KH1,2026-10-10,3000\nB1,KH2,2026-10-15,500.5\n"


@pytest.fixture
def cli(cli_with_books):
    return cli_with_books(CUSTOMERS, INVOICES, invoices_encoding="utf-8-sig")


def test_run_json_shape(cli):
    code, out, _ = cli("run", "--as-of", "2026-11-23", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["as_of"] == "2026-11-23" and doc["caught_up"] == []
    keys = {"customer", "kind", "channel", "assignee_role", "stage", "letter", "needs_approval", "invoices", "amount",
            "currency", "reason"}
    assert doc["actions"] and all(keys <= set(a) for a in doc["actions"])
    kh1 = [a for a in doc["actions"] if a["customer"] == "KH1"]
    assert {a["kind"] for a in kh1} >= {"escalate", "shipment_lock"}
    esc = next(a for a in kh1 if a["kind"] == "escalate")
    assert esc["invoices"] == ["A1"] and esc["amount"] == "12000.00" and esc["currency"] == "CNY"
    assert esc["reason"].startswith("逾期 ") and "月结宽限 10 天" in esc["reason"]
    lock = next(a for a in kh1 if a["kind"] == "shipment_lock")
    assert lock["needs_approval"] is True and lock["channel"] is None and lock["assignee_role"] == "owner"


def test_run_human_output_worklist_and_customer_show(cli):
    code, out, _ = cli("run", "--as-of", "2026-11-23")
    assert code == 0 and "每日运行" in out and "huikuan worklist" in out
    code, out, _ = cli("worklist", "--as-of", "2026-11-23")
    assert code == 0 and "KH1" in out and "待审批" in out
    code, out, _ = cli("worklist", "--as-of", "2026-11-23", "--assignee", "李娜", "--json")
    rows = json.loads(out)
    assert rows and {r["customer"] for r in rows} == {"KH2"}
    code, out, _ = cli("--lang", "en", "customer", "show", "KH1", "--as-of", "2026-11-23")
    assert code == 0 and "risk grade" in out and "Aging" in out


def test_contact_promise_and_customer_json(cli):
    assert cli("log-contact", "KH2", "--channel", "phone", "--outcome", "promised", "--excuse", "boss_travelling",
               "--at", "2026-11-20T15:30", "--note", "老板下周回来")[0] == 0
    assert cli("promise", "KH2", "--amount", "500.50", "--date", "2026-11-30", "--invoices", "B1",
               "--made-on", "2026-11-20")[0] == 0
    code, out, _ = cli("customer", "show", "KH2", "--as-of", "2026-11-23", "--json")
    doc = json.loads(out)
    assert doc["activities"][0]["excuse"] == "boss_travelling" and doc["activities"][0]["at"].startswith("2026-11-20T07:30")
    assert doc["promises"][0]["state"] == "open" and doc["promises"][0]["amount"] == "500.50"
    assert doc["overdue_collectable"] == "500.50"


def test_approve_from_the_worklist(cli):
    cli("run", "--as-of", "2026-11-23")
    _, out, _ = cli("worklist", "--as-of", "2026-11-23", "--json")
    lock = next(r for r in json.loads(out) if r["kind"] == "shipment_lock")
    code, out, _ = cli("approve", str(lock["id"]), "--by", "老板")
    assert code == 0 and "已批准" in out
    code, _, err = cli("approve", str(lock["id"]))
    assert code == 2 and "已批准过" in err
    _, out, _ = cli("customer", "show", "KH1", "--json", "--as-of", "2026-11-23")
    assert json.loads(out)["shipment_locked"] is True


def test_aging_formats(cli, tmp_path):
    code, out, _ = cli("aging", "--as-of", "2026-11-23", "--format", "json", "--by", "collector")
    doc = json.loads(out)
    rows = {r["key"]: r for r in doc["rows"]}
    assert rows["张伟"]["total"] == "15000.00" and rows["李娜"]["total"] == "500.50"
    assert doc["labels"][0] == "未到期"
    # Totals carry every column: the buckets, the total, the collectable overdue and the disputed money.
    assert doc["totals"] == {"CNY": {"amounts": ["3000.00", "500.50", "0.00", "0.00", "12000.00", "0.00", "0.00"],
                                     "total": "15500.50", "overdue_collectable": "12500.50", "disputed": "0.00"}}
    code, out, _ = cli("aging", "--as-of", "2026-11-23", "--format", "csv", "--buckets", "0,30,60,90")
    lines = out.strip().splitlines()
    assert lines[0].startswith("客户,名称,币种,未到期,1–30天") and any(line.startswith("KH1,") for line in lines)
    assert lines[-1] == "合计,,CNY,3000.00,500.50,0.00,0.00,12000.00,15500.50,12500.50,0.00"
    x = tmp_path / "aging.xlsx"
    assert cli("aging", "--as-of", "2026-11-23", "--format", "xlsx", "-o", str(x), "--by", "grade")[0] == 0
    ws = load_workbook(x).active
    assert ws["A2"].value == "风险等级" and {ws.cell(r, 1).value for r in range(3, ws.max_row)} == {"呆账", "催收款"}
    last = [c.value for c in ws[ws.max_row]]
    assert (last[0], last[2]) == ("合计", "CNY") and last[-3:] == [15500.5, 12500.5, 0]
    assert ws.cell(ws.max_row, 1).font.b and round(sum(last[3:-3]), 2) == last[-3]
    code, out, _ = cli("aging", "--as-of", "2026-11-23")
    assert code == 0 and "账龄分析" in out


def test_errors_are_one_clear_line_in_the_users_language(cli):
    code, _, err = cli("customer", "show", "NOPE")
    assert code == 2 and "找不到客户“NOPE”" in err and "Traceback" not in err
    code, _, err = cli("--lang", "en", "promise", "KH1", "--amount", "12.345", "--date", "2026-12-01")
    assert code == 2 and "more than 2 decimal places" in err
    code, _, err = cli("aging", "--buckets", "30,0")
    assert code == 2 and "账龄分段" in err
    code, _, err = cli("log-contact", "KH1", "--channel", "fax", "--outcome", "reached")
    assert code == 2 and "fax" in err and "phone" in err
    code, _, err = cli("run", "--as-of", "2027-03-01")
    assert code == 2 and "2027 年没有工作日历数据" in err


def test_runs_lists_each_run(cli):
    cli("run", "--as-of", "2026-11-20")
    cli("run", "--as-of", "2026-11-23", "--dry-run")
    code, out, _ = cli("runs", "--json")
    rows = json.loads(out)
    assert [r["as_of"] for r in rows] == ["2026-11-23", "2026-11-20"]
    assert rows[0]["dry_run"] is True and rows[1]["status"] == "done" and rows[1]["counts"]


def test_usage_mistakes_and_unreachable_databases_are_clear(cli, tmp_path, monkeypatch, capsys):
    code, _, err = cli("nosuch")
    assert code == 2 and "Traceback" not in err
    code, _, err = cli("promise", "KH1")
    assert code == 2 and "--amount" in err
    code = main(["--database-url", f"sqlite:///{tmp_path}/no/such/dir/x.db", "runs"])
    err = capsys.readouterr().err
    assert code == 2 and "无法打开数据库" in err and "Traceback" not in err


def test_a_bad_setting_is_named(cli, monkeypatch):
    monkeypatch.setenv("HUIKUAN_ROLL_DUE_TO_WORKDAY", "maybe")
    code, _, err = cli("runs")
    assert code == 2 and "roll_due_to_workday" in err and "maybe" in err


def test_rerunning_a_day_prints_the_same_actions(cli, tmp_path):
    # KH3 is 26 days overdue: suspending its credit sales takes effect during the first run.
    (tmp_path / "c3.csv").write_text("customer_code,name,terms\nKH3,广州穗丰贸易有限公司,net 30\n", encoding="utf-8")
    (tmp_path / "i3.csv").write_text("invoice_no,customer_code,invoice_date,amount\nC1,KH3,2026-09-28,800\n", encoding="utf-8")
    assert cli("import", "customers", str(tmp_path / "c3.csv"))[0] == 0
    assert cli("import", "invoices", str(tmp_path / "i3.csv"))[0] == 0
    _, first, _ = cli("run", "--as-of", "2026-11-23", "--json")
    _, second, _ = cli("run", "--as-of", "2026-11-23", "--json")
    one, two = json.loads(first), json.loads(second)
    assert one["created"] > 0 and two["created"] == 0
    assert ("KH3", "credit_suspend") in {(a["customer"], a["kind"]) for a in one["actions"]}
    assert one["actions"] == two["actions"]
    _, dry, _ = cli("run", "--as-of", "2026-11-24", "--dry-run", "--json")
    assert json.loads(dry)["dry_run"] is True and json.loads(dry)["actions"]


def test_a_worklist_of_another_day_has_no_call_now_marker(cli):
    """The guard answers "may I call now?" for this moment: on a list of another day (`--as-of`) it would be
    about today, not that day, so that list shows no marker (`call_now` null); today's list shows it."""
    cli("run", "--as-of", "2026-11-23")
    _, out, _ = cli("worklist", "--as-of", "2026-11-23", "--json")
    phone = [r for r in json.loads(out) if r["channel"] == "phone"]
    assert phone and all(r["call_now"] is None for r in phone)
    _, out, _ = cli("worklist", "--as-of", "2026-11-23")
    assert "电话" in out and not any(m in out for m in ("现在可打", "勿打", "后 ")), out
    _, out, _ = cli("worklist", "--json")  # today's list (the tasks still open): the guard's verdict now
    today = [r for r in json.loads(out) if r["channel"] == "phone"]
    assert today and all(r["call_now"] is not None for r in today)
