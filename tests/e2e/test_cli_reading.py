"""The CLI read as a user reads it (issue 6 items 8–10): open invoices in `customer show` and
`huikuan invoices`, the worklist in an 80-column terminal, Chinese throughout in zh mode (Typer's and
Click's own texts included), money as ¥1,234.50 in every message, clean English in en mode."""

from __future__ import annotations

import json
import re

import pytest
from rich.cells import cell_len
from sqlalchemy import create_engine, update

from huikuan.adapters.db import tables as t
from huikuan.entrypoints.cli.main import main

CUSTOMERS = ("customer_code,name,terms,credit_limit,collector\n"
             "KH1,成都蓉信商贸有限公司西南片区第三经营部,月结30,50000,张伟\n"
             "KH2,杭州汇通电子有限公司,net 30,80000,李娜\n")
INVOICES = ("发票号,客户编号,开票日期,金额\n"
            "A1,KH1,2026-06-15,\"¥1,212,000.00\"\nA2,KH1,2026-10-10,3000\nA3,KH1,2026-11-20,50\n"
            "B1,KH2,2026-10-15,500.5\n")


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("COLUMNS", "80")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", db_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.url = db_url  # type: ignore[attr-defined]
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "i.csv").write_text(INVOICES, encoding="utf-8-sig")
    assert run("import", "customers", str(tmp_path / "c.csv"))[0] == 0
    assert run("import", "invoices", str(tmp_path / "i.csv"))[0] == 0
    assert run("dispute", "A2", "--category", "quality", "--amount", "1000", "--opened-on", "2026-11-01")[0] == 0
    return run


WANT = [{"number": "A1", "invoice_date": "2026-06-15", "due_date": "2026-07-30", "amount": "1212000.00",
         "open": "1212000.00", "disputed": "0.00", "days_past_due": 116},
        {"number": "A2", "invoice_date": "2026-10-10", "due_date": "2026-11-30", "amount": "3000.00",
         "open": "3000.00", "disputed": "1000.00", "days_past_due": 0},
        {"number": "A3", "invoice_date": "2026-11-20", "due_date": "2026-12-30", "amount": "50.00",
         "open": "50.00", "disputed": "0.00", "days_past_due": 0}]


def test_customer_show_lists_open_invoices(cli):
    code, out, _ = cli("customer", "show", "KH1", "--as-of", "2026-11-23", "--json")
    assert code == 0 and json.loads(out)["invoices"] == WANT
    code, out, _ = cli("customer", "show", "KH1", "--as-of", "2026-11-23")
    assert code == 0 and "未结发票（3 张）" in out
    line = next(x for x in out.splitlines() if x.startswith("A1 "))
    assert line.split() == ["A1", "2026-06-15", "2026-07-30", "¥1,212,000.00", "¥1,212,000.00", "-", "116"]
    assert next(x for x in out.splitlines() if x.startswith("A2 ")).split()[5] == "¥1,000.00"


def test_invoices_command(cli):
    code, out, _ = cli("invoices", "--json")
    rows = json.loads(out)
    assert [r["number"] for r in rows] == ["A1", "B1", "A2", "A3"]  # oldest due first
    assert {k: v for k, v in rows[0].items() if k in WANT[0]} == {**WANT[0], "days_past_due": rows[0]["days_past_due"]}
    assert rows[0]["customer"] == "KH1" and rows[0]["currency"] == "CNY"
    code, out, _ = cli("invoices", "--customer", "KH1", "--json")
    assert [r["number"] for r in json.loads(out)] == ["A1", "A2", "A3"]
    code, out, _ = cli("invoices", "--overdue", "--json")  # today is after B1's due date (2026-11-14)
    overdue = {r["number"] for r in json.loads(out)}
    assert {"A1", "B1"} <= overdue and "A3" not in overdue
    code, out, _ = cli("invoices", "--limit", "1")
    assert code == 0 and "未结发票（共 4 张" in out and "另有 3 张未显示" in out and "A1" in out and "B1" not in out
    assert all(cell_len(x) <= 80 for x in out.splitlines())
    code, _, err = cli("invoices", "--customer", "NOPE")
    assert code == 2 and "NOPE" in err


@pytest.mark.parametrize("backend", ["sqlite"])  # rendering only: one backend is enough
def test_worklist_reads_well_at_80_columns(cli):
    assert cli("run", "--as-of", "2026-11-23")[0] == 0
    code, out, _ = cli("worklist", "--as-of", "2026-11-23")
    assert code == 0
    lines = out.splitlines()
    assert all(cell_len(x) <= 80 for x in lines), [(cell_len(x), x) for x in lines if cell_len(x) > 80]
    _, js, _ = cli("worklist", "--as-of", "2026-11-23", "--json")
    tasks = json.loads(js)
    assert tasks
    for task in tasks:
        # One line per task: the id, the whole amount (never wrapped or cut) and a shortened reason.
        (row,) = [x for x in lines if re.match(rf"\s*{task['id']} ", x)]
        amount = "¥" + f"{float(task['amount']):,.2f}"
        assert amount in row, (amount, row)
        assert row.rstrip().endswith("…") or task["reason"] in row
    assert any(t["reason"] not in out for t in tasks)  # long reasons are shortened …
    code, wide, _ = cli("worklist", "--as-of", "2026-11-23", "--wide")
    flat = re.sub(r"\s+", "", wide)
    assert all(re.sub(r"\s+", "", t["reason"]) in flat for t in tasks)  # … and whole with --wide


@pytest.mark.parametrize("backend", ["sqlite"])  # rendering only: one backend is enough
def test_zh_mode_speaks_chinese_in_typers_own_texts(cli):
    checks = {
        ("worklist", "--nope"): ["错误：没有选项 --nope", "用法：huikuan worklist [选项]", "运行 'huikuan worklist --help' 查看帮助。"],
        ("worklist", "--limit", "abc"): ["错误：--limit 的值无效：应为整数"],
        ("worklist", "--limit"): ["错误：选项 --limit 后面需要一个值"],
        ("worklist", "extra"): ["错误：多余的参数：extra"],
        ("customer", "show"): ["错误：缺少参数 code"],
        ("log-contact", "KH1"): ["错误：缺少选项 --channel"],
        ("nosuch",): ["错误：没有命令“nosuch”"],
        ("demo-data", "--customers", "0"): ["错误：--customers 的值无效：不能小于 1"],
        ("worklist", "--jso"): ["没有选项 --jso（是不是：--as-of, --json）"],
    }
    for args, wanted in checks.items():
        code, _, err = cli(*args)
        assert code == 2, args
        for w in wanted:
            assert w in err, (args, w, err)
        assert not re.search(r"Error|Usage|Try |No such|Missing|Invalid|Got unexpected|Input should", err), (args, err)
    code, out, _ = cli("aging", "--help")
    assert code == 0 and "显示本帮助并退出。" in out and "用法：" in out and "[默认：40]" in out
    assert "Show this message" not in out and "Options" not in out and "Usage" not in out
    code, out, _ = cli("--help")
    assert code == 0 and "命令" in out and "Commands" not in out


@pytest.mark.parametrize("backend", ["sqlite"])  # rendering only: one backend is enough
def test_en_mode_keeps_clicks_english(cli):
    code, _, err = cli("--lang", "en", "worklist", "--nope")
    assert code == 2 and "Error: No such option: --nope" in err and "错误" not in err
    code, out, _ = cli("--lang", "en", "aging", "--help")
    assert "Show this message and exit." in out and "[default: 40]" in out


@pytest.mark.parametrize("backend", ["sqlite"])  # rendering only: one backend is enough
def test_money_in_messages_is_grouped_with_its_sign(cli):
    code, out, _ = cli("pay", "KH1", "--amount", "1212050.50", "--date", "2026-11-23")
    assert code == 0 and "¥1,212,050.50" in out and "¥1,212,000.00" in out and "¥50.50" in out
    assert not re.search(r"(?<![¥\d,.])\d{4,}\.\d\d", out), out
    code, _, err = cli("write-off", "A3", "--amount", "60", "--reason", "x")
    assert code == 2 and "¥60.00" in err and "¥50.00" in err


@pytest.mark.parametrize("backend", ["sqlite"])  # rendering only: one backend is enough
def test_english_has_no_full_width_punctuation_or_doubled_words(cli):
    engine = create_engine(cli.url)
    try:
        with engine.begin() as c:
            c.execute(update(t.customer).where(t.customer.c.code == "KH1").values(credit_status="stopped"))
    finally:
        engine.dispose()
    cli("run", "--as-of", "2026-11-23")
    text = "".join(cli("--lang", "en", *a)[1] for a in (
        ("worklist", "--as-of", "2026-11-23", "--wide"), ("customer", "show", "KH1", "--as-of", "2026-11-23"),
        ("customer", "show", "KH2", "--as-of", "2026-11-23"), ("invoices",), ("runs",),
        ("aging", "--as-of", "2026-11-23"), ("run", "--as-of", "2026-11-23", "--dry-run")))
    data = ("成都蓉信商贸有限公司西南片区第三经营部", "杭州汇通电子有限公司", "张伟", "李娜")
    text = "".join(ch for ch in text if not any(ch in d for d in data))  # names fold over lines
    text = re.sub(r"[\s─━│┃┏┓┗┛┡┩└┘┌┐├┤┬┴┼╇╈╋┳┻]+", " ", text)
    # Glossary terms in Chinese (文收) may stay; Chinese punctuation may not.
    assert not re.findall(r"[（）：，。；、【】]", text), re.findall(r".{20}[（）：，。；、【】].{5}", text)
    doubled = [m.group(0) for m in re.finditer(r"\b([A-Za-z]{3,})\s+\1\b", text, re.I)]
    assert doubled == [], doubled
    assert "credit limit ¥50,000.00 (credit stopped)" in text


def test_worklist_names_the_customers_last_refused_message(cli):
    # The Today page and the CLI's worklist show the same: a customer's newest refused (or dead) message
    # of the last week, with its rule — in --json as "last_refusal", in --wide as a line of its own.
    from datetime import UTC, datetime, timedelta

    assert cli("run", "--as-of", "2026-11-23")[0] == 0
    engine = create_engine(cli.url)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with engine.begin() as c:
        kh1 = c.execute(t.customer.select().where(t.customer.c.code == "KH1")).one()
        kh2 = c.execute(t.customer.select().where(t.customer.c.code == "KH2")).one()
        c.execute(t.outbox_event.delete())  # the run's own dead letters (no contacts here): start clean
        c.execute(t.outbox_event.insert(), [
            {"company_id": kh1.company_id, "customer_id": kh1.id, "outbox_id": 1, "at": now - timedelta(days=8),
             "kind": "refused", "channel": "sms", "rule": "b2b_cn.hours", "error_code": None, "reason": "太久以前"},  # older than a week
            {"company_id": kh1.company_id, "customer_id": kh1.id, "outbox_id": 2, "at": now - timedelta(hours=2),
             "kind": "refused", "channel": "sms", "rule": "b2b_cn.hours", "error_code": None,
             "reason": "不在工作时间 08:00–18:00 内"},
            {"company_id": kh2.company_id, "customer_id": kh2.id, "outbox_id": 3, "at": now - timedelta(days=9),
             "kind": "dead", "channel": "email", "rule": None, "error_code": "outbox.no_contact", "reason": "旧的"}])
    engine.dispose()
    _, js, _ = cli("worklist", "--as-of", "2026-11-23", "--json")
    tasks = json.loads(js)
    by = {x["customer"]: x["last_refusal"] for x in tasks}
    assert by["KH2"] is None  # its only event is older than a week
    got = by["KH1"]
    assert (got["kind"], got["channel"], got["rule"], got["reason"]) == (
        "refused", "sms", "b2b_cn.hours", "不在工作时间 08:00–18:00 内")
    assert datetime.fromisoformat(got["at"]) == (now - timedelta(hours=2)).replace(tzinfo=UTC)
    _, wide, _ = cli("worklist", "--as-of", "2026-11-23", "--wide")
    assert "短信被拦截：不在工作时间 08:00–18:00 内" in wide and "太久以前" not in wide and "旧的" not in wide


MONEY = re.compile(r"[¥$]-?[\d,]+\.\d\d")


def test_predict_reads_at_80_columns_with_money_whole(cli):
    """One line per invoice in 80 columns, the open amounts whole (the reasons give way); --wide has the
    reasons in full, as the JSON gives them."""
    code, out, _ = cli("predict", "--as-of", "2026-11-23", "--json")
    assert code == 0
    preds = json.loads(out)["predictions"]
    code, out, _ = cli("predict", "--as-of", "2026-11-23")
    lines = out.splitlines()
    assert code == 0 and all(cell_len(x) <= 80 for x in lines), [x for x in lines if cell_len(x) > 80]
    for p in preds:
        line = next(x for x in lines if x.startswith(p["invoice"] + " "))
        assert f"¥{float(p['open']):,.2f}" in line and p["expected_pay_date"] in line, line
    code, out, _ = cli("predict", "--as-of", "2026-11-23", "--wide")
    assert code == 0 and all("；".join(p["why"]) in out for p in preds if p["why"])


def test_kpi_by_group_splits_rather_than_cuts_money(cli, monkeypatch):
    """A KPI table too wide for the terminal is printed in parts, the metric names repeated; no amount is
    ever shortened with …, and customers with no collector read as "（未设置）", not "-"."""
    monkeypatch.setenv("COLUMNS", "44")
    code, out, _ = cli("kpi", "--month", "2026-11", "--by", "collector")
    lines = out.splitlines()
    assert code == 0 and all(cell_len(x) <= 44 for x in lines), [x for x in lines if cell_len(x) > 44]
    assert sum(1 for x in lines if x.startswith("月末应收")) == 2  # company + 张伟 | 李娜: two parts
    heads = " ".join(x for x in lines if x.startswith("指标"))
    assert all(name in heads for name in ("全公司", "张伟", "李娜"))
    code, js, _ = cli("kpi", "--month", "2026-11", "--by", "collector", "--format", "json")
    doc = json.loads(js)
    amounts = [g[k] for g in [doc["company"], *doc["groups"]] for k in ("receivables", "overdue")]
    shown = MONEY.findall(out)
    assert "…" not in "".join(x for x in lines if "¥" in x)
    assert sorted(float(a.replace("¥", "").replace(",", "")) for a in shown[:len(amounts)]) == sorted(
        float(a) for a in amounts)


def test_forecast_total_line_has_no_markup(cli):
    code, out, _ = cli("forecast", "--as-of", "2026-11-23")
    total = next(x for x in out.splitlines() if "未结合计" in x)
    assert code == 0 and "[" not in total and MONEY.search(total)
    assert all(cell_len(x) <= 80 for x in out.splitlines())
