"""The importer on SQLite and PostgreSQL: every malformed file gets the right report (row, column,
code) and writes nothing; good files upsert idempotently; money lands where the ledger rules say."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, update

from huikuan.adapters.calendar_cn import ChineseCalendar
from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import ImportRejected, Problem
from huikuan.domain.money import Money
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.import_ import import_file, import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def fx(name: str) -> Path:
    return FIXTURES / name


def rejected(app: App, kind: str, path: Path) -> list[Problem]:
    with pytest.raises(ImportRejected) as e:
        import_file(app, kind, path)
    return e.value.problems


def spots(problems: list[Problem]) -> list[tuple[int | None, str | None, str]]:
    return [(p.params.get("row"), p.params.get("column"), p.code) for p in problems]


def count(app: App, table: t.Table) -> int:
    with app.uow() as uow:
        return int(uow.c.execute(select(func.count()).select_from(table)).scalar_one())


def invoices(app: App) -> dict[str, dict[str, Any]]:
    with app.uow() as uow:
        rows = uow.c.execute(select(t.invoice)).mappings().all()
    return {r["number"]: dict(r) for r in rows}


def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with app.uow() as uow:
        for table in (t.customer, t.contact, t.invoice, t.payment, t.credit_note, t.allocation):
            out[table.name] = sorted(tuple(r) for r in uow.c.execute(select(table)).all())
    return out


@pytest.fixture
def seeded(app: App) -> App:
    report = import_file(app, "customers", fx("customers.csv"))
    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    return app


# ---- customers and contacts -----------------------------------------------------------------------

def test_customers_are_parsed_from_chinese_exports(seeded: App) -> None:
    with seeded.uow() as uow:
        rows = {r["code"]: r for r in uow.c.execute(select(t.customer)).mappings()}
    c1, c2, c3 = rows["C001"], rows["C002"], rows["C003"]
    assert (c1["type"], c1["terms"], c1["credit_limit_minor"], c1["region"]) == ("dealer", "eom 30", 5000000, "浙江")
    assert (c1["deliver_two_settle_one"], c1["requires_statement"]) == (True, False)
    assert (c2["type"], c2["terms"], c2["requires_statement"]) == ("enterprise", "net 30", True)
    assert (c3["terms"], c3["requires_statement"]) == ("cash", True)


def test_customer_reimport_changes_nothing_and_an_edit_is_an_update(seeded: App, tmp_path: Path) -> None:
    before = snapshot(seeded)
    again = import_file(seeded, "customers", fx("customers.csv"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot(seeded) == before
    r = import_rows(seeded, "customers", [{"客户编号": "C003", "客户名称": "现款客户", "账期": "月结60"}])
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 0)
    with seeded.uow() as uow:
        row = uow.c.execute(select(t.customer.c.terms, t.customer.c.region, t.customer.c.version)
                            .where(t.customer.c.code == "C003")).one()
    assert tuple(row) == ("eom 60", "广东", 2)  # absent columns are left as they were


def test_bad_customer_file_reports_every_problem(app: App) -> None:
    problems = rejected(app, "customers", fx("customers_bad.csv"))
    assert spots(problems) == [
        (2, "账期", "terms.invalid"),
        (3, "客户类型", "customer_type.invalid"),
        (3, "送二结一", "bool.invalid"),
        (4, "客户编号", "import.duplicate_number"),
        (5, "客户编号", "value.missing"),
    ]
    assert problems[0].where == "第 2 行 / row 2, 列 账期"
    assert problems[0].params["value"] == "下个月再说"
    assert problems[3].params["first_row"] == 2
    assert all(p.source == "customers_bad.csv" for p in problems)
    assert count(app, t.customer) == 0


def test_contacts(seeded: App, tmp_path: Path) -> None:
    problems = rejected(seeded, "contacts", fx("contacts.csv"))
    assert spots(problems) == [(4, "邮箱", "email.invalid"), (5, "客户编号", "customer.unknown")]
    assert count(seeded, t.contact) == 0
    src = tmp_path / "contacts.csv"
    shutil.copy(fx("contacts.csv"), src)
    report = import_file(seeded, "contacts", src, skip_invalid=True)
    assert (report.inserted, report.rejected) == (2, 2)
    with seeded.uow() as uow:
        rows = {r["name"]: r for r in uow.c.execute(select(t.contact)).mappings()}
    assert (rows["王会计"]["role"], rows["王会计"]["do_not_contact"]) == ("finance", False)
    assert (rows["李老板"]["role"], rows["李老板"]["do_not_contact"], rows["李老板"]["email"]) == ("owner", True, None)
    again = import_file(seeded, "contacts", src, skip_invalid=True)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


# ---- invoices: good files ---------------------------------------------------------------------------

def test_bom_file_with_chinese_formats(seeded: App) -> None:
    report = import_file(seeded, "invoices", fx("invoices_bom.csv"))
    assert (report.inserted, report.rows) == (4, 4)
    assert [(w.code, w.params["column"]) for w in report.warnings] == [("import.unknown_column", "备注")]
    inv = invoices(seeded)
    assert {n: (i["invoice_on"], i["amount_minor"], i["open_minor"]) for n, i in inv.items()} == {
        "F001": (date(2026, 1, 5), 123450, 123450),
        "F002": (date(2026, 1, 5), 123450, 123450),
        "F003": (date(2026, 1, 5), 12300, 12300),
        "F004": (date(2026, 1, 5), 9900, 9900),
    }
    # Due from terms (eom 30 / net 30 / cash).
    assert inv["F001"]["due_on"] == date(2026, 3, 2) and inv["F001"]["due_explicit"] is False
    assert inv["F002"]["due_on"] == date(2026, 2, 4)
    assert inv["F003"]["due_on"] == date(2026, 1, 5)


def test_gb18030_file(seeded: App) -> None:
    report = import_file(seeded, "invoices", fx("invoices_gb18030.csv"))
    assert report.inserted == 2
    inv = invoices(seeded)
    assert (inv["G001"]["currency"], inv["G002"]["amount_minor"]) == ("CNY", 200000)


def test_xlsx_with_serials_datetimes_and_numbers(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "invoices.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["发票号码", "客户编号", "开票日期", "到期日", "价税合计"])
    ws.append(["X1", "C001", datetime(2026, 1, 5, 0, 0), datetime(2026, 2, 28), 1234.5])
    ws.append([10002, "C002", 46027, None, 88])
    ws.append(["X3", "C003", "2026年1月5日", 46030.0, "¥1,234.50"])
    ws.append([None, None, None, None, None])
    ws.append(["X4", "C003", "2026-01-05", None, 0.1])
    wb.save(path)
    report = import_file(seeded, "invoices", path)
    assert report.inserted == 4
    inv = invoices(seeded)
    assert (inv["X1"]["invoice_on"], inv["X1"]["due_on"], inv["X1"]["due_explicit"]) == \
        (date(2026, 1, 5), date(2026, 2, 28), True)
    assert inv["X1"]["amount_minor"] == 123450
    assert (inv["10002"]["invoice_on"], inv["10002"]["amount_minor"]) == (date(2026, 1, 5), 8800)
    assert inv["X3"]["due_on"] == date(2026, 1, 8)
    assert inv["X4"]["amount_minor"] == 10


def test_erp_title_rows_above_the_header_are_skipped(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "kingdee.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["应收单列表"])
    ws.append(["期间：2026-01-01 至 2026-01-31", None, "制表人：财务"])
    ws.append([None])
    ws.append(["单据编号", "客户编码", "业务日期", "价税合计"])
    ws.append(["K1", "C001", "2026-01-05", "10"])
    ws.append(["K2", "C001", "2026-01-05", "-1"])
    wb.save(path)
    assert spots(rejected(seeded, "invoices", path)) == [(6, "价税合计", "amount.negative")]
    csv_path = tmp_path / "yonyou.csv"
    csv_path.write_text("应收单明细表\n单据编号,客户编码,业务日期,价税合计\nK1,C001,2026-01-05,10\n", encoding="gb18030")
    assert import_file(seeded, "invoices", csv_path).inserted == 1


def test_xlsx_problems_name_the_sheet_row(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["invoice_no", "customer_code", "invoice_date", "amount"])
    ws.append(["Y1", "C001", 46027, 1.005])
    ws.append([None, None, None, None])
    ws.append(["Y2", "C001", "someday", 5])
    wb.save(path)
    assert spots(rejected(seeded, "invoices", path)) == [
        (2, "amount", "amount.too_precise"), (4, "invoice_date", "date.invalid")]


# ---- invoices: malformed files --------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("invoices_bad_dates.csv", [(2, "invoice_date", "date.invalid"), (3, "invoice_date", "date.invalid"),
                                (5, "invoice_date", "value.missing")]),
    ("invoices_bad_amounts.csv", [(2, "金额", "amount.negative"), (3, "金额", "amount.zero"),
                                  (4, "金额", "amount.invalid"), (5, "金额", "amount.too_precise")]),
    ("invoices_unknown_customer.csv", [(3, "客户编号", "customer.unknown")]),
    ("invoices_duplicates.csv", [(4, "发票号", "import.duplicate_number")]),
    ("invoices_bad_currency.csv", [(2, "币种", "currency.unknown")]),
    ("invoices_missing_column.csv", [(None, "amount", "import.missing_column")]),
])
def test_malformed_invoice_files(seeded: App, name: str, expected: list[tuple[Any, ...]]) -> None:
    problems = rejected(seeded, "invoices", fx(name))
    assert spots(problems) == expected
    assert count(seeded, t.invoice) == 0


@pytest.mark.parametrize("make, code", [
    (lambda p: p.write_bytes(b""), "file.empty"),
    (lambda p: p.write_bytes(b"\n\n  \n"), "file.empty"),
    (lambda p: shutil.copy(fx("header_only.csv"), p), "file.no_data_rows"),
    (lambda p: p.write_text("发票号,客户编号,开票日期,金额\nU1,C001,2026-01-05,1\n", encoding="utf-16"), "file.encoding"),
    (lambda p: p.write_bytes(bytes(range(128, 256)) * 40), "file.encoding"),
    (lambda p: p.write_bytes(b"invoice_no,invoice_no\n1,2\n"), "file.duplicate_header"),
])
def test_unreadable_files(seeded: App, tmp_path: Path, make: Any, code: str) -> None:
    path = tmp_path / "file.csv"
    make(path)
    problems = rejected(seeded, "invoices", path)
    assert [(p.code, p.where) for p in problems] == [(code, "文件 / file")]


def test_blank_lines_keep_sheet_row_numbers_and_explicit_due_dates_are_checked(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("invoice_no,customer_code,invoice_date,due_date,amount,currency\n"
                    "B1,C001,2026-01-05,2026-02-05,10.00,CNY\n"
                    "\n"
                    ",,,,,\n"
                    "B2,C001,2026-01-05,2026-01-04,10.00,CNY\n"
                    "B3,C001,2026-01-05,,10.00,USD\n", encoding="utf-8")
    assert spots(rejected(seeded, "invoices", path)) == [(5, "due_date", "invoice.due_before_date")]
    path.write_text(path.read_text(encoding="utf-8").replace("2026-01-04", "2026-03-04"), encoding="utf-8")
    assert import_file(seeded, "invoices", path).inserted == 3
    inv = invoices(seeded)
    assert (inv["B2"]["due_on"], inv["B2"]["due_explicit"]) == (date(2026, 3, 4), True)
    assert (inv["B3"]["currency"], inv["B3"]["due_explicit"]) == ("USD", False)


def test_wrong_file_types(seeded: App, tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    assert [p.code for p in rejected(seeded, "invoices", fake)] == ["file.xlsx_invalid"]
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert [p.code for p in rejected(seeded, "invoices", old)] == ["file.unsupported_type"]
    assert [p.code for p in rejected(seeded, "invoices", tmp_path / "missing.csv")] == ["file.not_found"]


def test_due_dates_roll_to_a_chinese_working_day_when_configured(seeded: App) -> None:
    row = {"invoice_no": "H", "customer_code": "C002", "invoice_date": "2026-09-01", "amount": "1"}  # net 30
    seeded.settings = replace(seeded.settings, roll_due_to_workday=False)
    import_rows(seeded, "invoices", [row])
    assert invoices(seeded)["H"]["due_on"] == date(2026, 10, 1)
    seeded.settings = replace(seeded.settings, roll_due_to_workday=True)
    r = import_rows(seeded, "invoices", [row])
    assert r.updated == 1
    due = invoices(seeded)["H"]["due_on"]
    assert date(2026, 10, 1) < due <= date(2026, 10, 12)  # after the National Day holiday
    assert ChineseCalendar().is_workday(due)
    assert not ChineseCalendar().is_workday(due - timedelta(days=1))


def test_unreadable_stored_terms_are_not_guessed(seeded: App) -> None:
    with seeded.uow() as uow:
        uow.c.execute(update(t.customer).where(t.customer.c.code == "C003").values(terms="看心情"))
        uow.commit()
    with pytest.raises(ImportRejected) as e:
        import_rows(seeded, "invoices", [
            {"invoice_no": "T1", "customer_code": "C003", "invoice_date": "2026-01-05", "amount": "1"},
            {"invoice_no": "T2", "customer_code": "C003", "invoice_date": "2026-01-05", "due_date": "2026-02-01",
             "amount": "1"},
        ])
    assert spots(e.value.problems) == [(2, "customer_code", "terms.invalid")]


def test_calendar_gap_is_a_row_problem(seeded: App) -> None:
    seeded.settings = replace(seeded.settings, roll_due_to_workday=True)
    with pytest.raises(ImportRejected) as e:
        import_rows(seeded, "invoices", [{"invoice_no": "Q", "customer_code": "C001", "invoice_date": "2049-01-05",
                                          "amount": "1"}])
    assert spots(e.value.problems) == [(2, "invoice_date", "calendar.unknown_year")]
    assert e.value.problems[0].params["year"] == 2049


def test_skip_invalid_imports_good_rows_and_writes_rejects(seeded: App, tmp_path: Path) -> None:
    src = tmp_path / "amounts.csv"
    shutil.copy(fx("invoices_bad_amounts.csv"), src)
    report = import_file(seeded, "invoices", src, skip_invalid=True)
    assert (report.inserted, report.rejected, report.rows) == (1, 4, 5)
    assert set(invoices(seeded)) == {"A005"}
    rejects = Path(report.rejects_path or "")
    assert rejects == tmp_path / "amounts.csv.rejects.csv"
    lines = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "发票号,客户编号,开票日期,金额,原因"
    assert lines[1].startswith("A001,C001,2026-01-05,-100,") and "不能为负数" in lines[1]
    assert len(lines) == 5
    custom = tmp_path / "out" / "r.csv"
    custom.parent.mkdir()
    import_file(seeded, "invoices", src, skip_invalid=True, rejects_path=custom)
    assert custom.exists()


# ---- idempotency and updates ------------------------------------------------------------------------

def test_reimport_changes_nothing(seeded: App) -> None:
    import_file(seeded, "invoices", fx("invoices_bom.csv"))
    import_file(seeded, "payments", fx("payments.csv"))
    import_file(seeded, "credit-notes", fx("credit_notes.csv"))
    before = snapshot(seeded)
    for kind, name in (("invoices", "invoices_bom.csv"), ("payments", "payments.csv"),
                       ("credit-notes", "credit_notes.csv"), ("customers", "customers.csv")):
        r = import_file(seeded, kind, fx(name))
        assert (r.inserted, r.updated) == (0, 0), kind
        assert r.unchanged == r.rows
    assert snapshot(seeded) == before


def test_explicit_due_date_survives_a_file_without_one(seeded: App) -> None:
    row = {"invoice_no": "E", "customer_code": "C002", "invoice_date": "2026-01-05", "amount": "10"}
    import_rows(seeded, "invoices", [{**row, "due_date": "2026-06-30"}])
    again = import_rows(seeded, "invoices", [row])
    assert (again.unchanged, again.updated) == (1, 0)
    assert (invoices(seeded)["E"]["due_on"], invoices(seeded)["E"]["due_explicit"]) == (date(2026, 6, 30), True)
    moved = import_rows(seeded, "invoices", [{**row, "due_date": "2026-07-31"}])
    assert moved.updated == 1 and invoices(seeded)["E"]["due_on"] == date(2026, 7, 31)


def test_invoice_amount_update_keeps_open_consistent(seeded: App) -> None:
    import_rows(seeded, "invoices", [{"invoice_no": "V", "customer_code": "C003", "invoice_date": "2026-01-05",
                                      "amount": "100"}])
    with seeded.uow() as uow:
        ledger.record_payment(uow, "C003", Money.parse("60"), date(2026, 1, 10), by=BY)
        uow.commit()
    r = import_rows(seeded, "invoices", [{"invoice_no": "V", "customer_code": "C003", "invoice_date": "2026-01-05",
                                          "amount": "150"}])
    assert r.updated == 1
    assert (invoices(seeded)["V"]["amount_minor"], invoices(seeded)["V"]["open_minor"]) == (15000, 9000)
    with pytest.raises(ImportRejected) as e:
        import_rows(seeded, "invoices", [{"invoice_no": "V", "customer_code": "C003",
                                          "invoice_date": "2026-01-05", "amount": "59.99"}])
    assert spots(e.value.problems) == [(2, "amount", "invoice.amount_below_allocated")]
    with pytest.raises(ImportRejected) as e2:
        import_rows(seeded, "invoices", [{"invoice_no": "V", "customer_code": "C001",
                                          "invoice_date": "2026-01-05", "amount": "150"}])
    assert spots(e2.value.problems) == [(2, "customer_code", "invoice.allocated_change")]
    with seeded.uow() as uow:
        assert ledger.recompute_open(uow) == []


# ---- payments and credit notes --------------------------------------------------------------------

def test_payments_allocate_and_keep_the_rest_as_credit(seeded: App) -> None:
    import_file(seeded, "invoices", fx("invoices_bom.csv"))
    report = import_file(seeded, "payments", fx("payments.csv"))
    assert report.inserted == 2
    inv = invoices(seeded)
    # C001 owes F001 (due 2026-03-02) and F004 (due 2026-03-02 too): the lower number goes first.
    assert (inv["F001"]["open_minor"], inv["F004"]["open_minor"]) == (123450 - 50000, 9900)
    # C002 paid 5,000.00 against 1,234.50 open: the rest is kept as credit.
    assert inv["F002"]["open_minor"] == 0
    assert report.unapplied_minor == 500000 - 123450
    with seeded.uow() as uow:
        p2 = uow.c.execute(select(t.payment).where(t.payment.c.number == "P002")).mappings().one()
    assert (p2["method"], p2["bill_matures_on"], p2["unapplied_minor"]) == \
        ("acceptance_bill", date(2026, 8, 11), 500000 - 123450)
    new = import_rows(seeded, "invoices", [{"invoice_no": "N1", "customer_code": "C002",
                                            "invoice_date": "2026-03-01", "amount": "1000"}])
    assert new.applied_credit_minor == 100000
    assert invoices(seeded)["N1"]["open_minor"] == 0
    with seeded.uow() as uow:
        assert ledger.recompute_open(uow) == []


def test_payment_rows_are_checked_against_the_ledger(seeded: App) -> None:
    import_file(seeded, "invoices", fx("invoices_bom.csv"))
    with pytest.raises(ImportRejected) as e:
        import_rows(seeded, "payments", [
            {"收款单号": "P1", "客户编号": "C001", "收款日期": "2026-02-01", "收款金额": "10", "发票号": "NOPE"},
            {"收款单号": "P2", "客户编号": "C001", "收款日期": "2026-02-01", "收款金额": "10", "发票号": "F002"},
            {"收款单号": "P3", "客户编号": "C001", "收款日期": "2026-02-01", "收款金额": "10", "结算方式": "刷脸"},
        ])
    assert spots(e.value.problems) == [(2, "发票号", "invoice.unknown"), (3, "发票号", "invoice.other_customer"),
                                       (4, "结算方式", "payment_method.invalid")]
    assert count(seeded, t.payment) == 0


def test_changed_payment_is_reallocated(seeded: App) -> None:
    import_file(seeded, "invoices", fx("invoices_bom.csv"))
    row = {"payment_no": "PX", "customer_code": "C001", "payment_date": "2026-02-01", "amount": "100"}
    import_rows(seeded, "payments", [row])
    assert invoices(seeded)["F001"]["open_minor"] == 113450
    r = import_rows(seeded, "payments", [{**row, "amount": "30", "invoice_no": "F004"}])
    assert r.updated == 1
    inv = invoices(seeded)
    assert (inv["F001"]["open_minor"], inv["F004"]["open_minor"]) == (123450, 6900)
    with seeded.uow() as uow:
        assert ledger.recompute_open(uow) == []


def test_credit_note_import(seeded: App) -> None:
    import_file(seeded, "invoices", fx("invoices_bom.csv"))
    report = import_file(seeded, "credit-notes", fx("credit_notes.csv"))
    assert report.inserted == 1
    assert invoices(seeded)["F001"]["open_minor"] == 120000


def test_progress_is_reported(seeded: App) -> None:
    calls: list[tuple[str, Any]] = []

    class Sink:
        def start(self, label: str, total: int | None) -> None:
            calls.append(("start", total))

        def advance(self, n: int = 1) -> None:
            calls.append(("advance", n))

        def finish(self) -> None:
            calls.append(("finish", None))

    import_file(seeded, "invoices", fx("invoices_bom.csv"), progress=Sink())
    assert calls[0] == ("start", 4)
    assert sum(n for k, n in calls if k == "advance") == 4
    assert calls.count(("finish", None)) == 2


# ---- CLI --------------------------------------------------------------------------------------------

def test_cli_import_json_and_rejection(sqlite_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from huikuan.entrypoints.cli import main as cli
    from huikuan.entrypoints.cli.common import state

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps table cells on a narrow terminal
    monkeypatch.setattr(state, "_app", sqlite_app)
    monkeypatch.setattr(state, "exit_code", 0)
    monkeypatch.setattr(state, "lang_override", None)  # restored afterwards: main() sets these globals
    monkeypatch.setattr(state, "database_url_override", None)
    url = str(sqlite_app.engine.url)
    assert cli.main(["--database-url", url, "import", "customers", str(fx("customers.csv")), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["inserted"], out["kind"]) == (3, "customers")
    assert cli.main(["--database-url", url, "import", "invoices", str(fx("invoices_duplicates.csv"))]) == 2
    err = capsys.readouterr().err
    assert "第 4 行 / row 4, 列 发票号" in err and "未写入任何数据" in err
    assert cli.main(["--database-url", url, "--lang", "en", "pay", "C003", "--amount", "5", "--date",
                     "2026年3月1日"]) == 0
    assert "unapplied ¥5.00" in capsys.readouterr().out


def test_cli_ledger_commands(sqlite_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    from huikuan.entrypoints.cli import main as cli
    from huikuan.entrypoints.cli.common import state

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(state, "_app", sqlite_app)
    monkeypatch.setattr(state, "exit_code", 0)
    monkeypatch.setattr(state, "lang_override", None)  # restored afterwards: main() sets these globals
    monkeypatch.setattr(state, "database_url_override", None)
    import_file(sqlite_app, "customers", fx("customers.csv"))
    import_file(sqlite_app, "invoices", fx("invoices_bom.csv"))

    def run(*args: str) -> int:
        return cli.main(["--database-url", str(sqlite_app.engine.url), *args])

    assert run("dispute", "F001", "--category", "质量", "--amount", "100", "--note", "破损") == 0
    assert "已登记争议 1" in capsys.readouterr().out
    assert invoices(sqlite_app)["F001"]["disputed_minor"] == 10000
    assert run("write-off", "F001", "--amount", "1200", "--reason", "坏账") == 2
    assert "争议" in capsys.readouterr().err
    assert run("dispute-resolve", "1", "--on", "2026-12-01") == 0
    assert run("write-off", "F001", "--amount", "1200", "--reason", "坏账") == 0
    assert invoices(sqlite_app)["F001"]["open_minor"] == 3450
    assert run("pay", "C001", "--amount", "50", "--date", "2026-12-02", "--invoice", "F001", "--method", "现金",
               "--number", "CASH-1") == 0
    assert "CASH-1" in capsys.readouterr().out
    with sqlite_app.uow() as uow:
        assert uow.c.execute(select(t.payment.c.method)).scalar_one() == "cash"
        assert ledger.recompute_open(uow) == []
    assert run("dispute", "F001", "--category", "心情不好") == 2
    assert run("pay", "NOPE", "--amount", "1", "--date", "2026-12-02") == 2
    assert "找不到客户" in capsys.readouterr().err


# ---- a million rows -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_million_row_file_with_one_bad_row_writes_nothing(sqlite_app: App, tmp_path: Path) -> None:
    import_rows(sqlite_app, "customers", [{"customer_code": f"K{i:04d}", "name": f"客户{i}", "terms": "月结30"}
                                          for i in range(500)])
    n, bad_row = 1_000_000, 999_990  # sheet row numbers: the header is row 1
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("invoice_no,customer_code,invoice_date,amount\n")
        days = [date.fromordinal(date(2025, 1, 1).toordinal() + d).isoformat() for d in range(600)]
        for i in range(n):
            amount = "12.3.4" if i + 2 == bad_row else f"{i % 99999 + 1}.{i % 100:02d}"
            fh.write(f"INV{i:08d},K{i % 500:04d},{days[i % 600]},{amount}\n")
    started = time.process_time()  # CPU, not wall time: other work on a shared machine must not fail it
    with pytest.raises(ImportRejected) as e:
        import_file(sqlite_app, "invoices", path)
    elapsed = time.process_time() - started
    assert spots(e.value.problems) == [(bad_row, "amount", "amount.invalid")]
    assert e.value.problems[0].params["value"] == "12.3.4"
    assert count(sqlite_app, t.invoice) == 0
    assert elapsed < 60
