"""How a layout profile reads single cells and rows: texts of every cell type, money that is none (zero
marks) or negative (a leading minus, accounting brackets), a direction column naming the side, currency
names mapped, dates in a profile's own formats, dates composed from 年/月/日 columns, header patterns
with ``*``, and a cell of spaces counting as empty."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from huikuan.domain.profile import Reader, _is_zero, _negate, _negative, cell_str, locate, norm, parse_profile


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (12.0, "12"), (12.5, "12.5"), (0.0, "0"), (datetime(2026, 1, 5), "2026-01-05"),
    (datetime(2026, 1, 5, 9, 30), "2026-01-05 09:30:00"), (date(2026, 1, 5), "2026-01-05"), ("  x  ", "x"), (7, "7"),
])
def test_cell_text(value, text):
    assert cell_str(value) == text


@pytest.mark.parametrize(("value", "zero"), [
    (None, True), (0, True), (0.0, True), ("", True), ("0", True), ("0.00", True), ("-", True), ("--", True),
    ("—", True), (" 0.000 ", True), ("¥0.00", True), ("(0.00)", True), ("0元", True), ("+0", True),
    (1, False), (-0.01, False), ("0.01", False), ("10", False), ("9", False), ("abc", False), ("零", False),
    (True, False), (date(2026, 1, 1), False),
])
def test_no_money_in_a_cell(value, zero):
    assert _is_zero(value) is zero


@pytest.mark.parametrize(("value", "negated", "negative"), [
    (5, -5, False), (-2.5, 2.5, True), ("-30.00", "30.00", True), ("(30.00)", "30.00", True),
    ("30.00", "-30.00", False), ("(30.00", "-(30.00", False),
])
def test_negative_money_and_its_opposite(value, negated, negative):
    assert _negate(value) == negated
    assert _negative(value) is negative


@pytest.mark.parametrize(("text", "normal", "starred"), [
    (" 借 方 / 本 币 ", "借方/本币", "借方/本币"), ("*客户*", "客户", "*客户*"), ("ＡＢＣ", "abc", "abc"), (None, "", ""),
    (12, "12", "12"),
])
def test_header_normal_form(text, normal, starred):
    assert norm(text) == normal
    assert norm(text, keep_stars=True) == starred


SINGLE = """
[profile]
name = "s"
kind = "invoices"
title = { zh = "单", en = "single" }
[columns]
date = "单据日期"
customer_code = "客户*"
number = "单号"
amount = "*金额"
currency = "币种"
due_date = { header = "到期日", optional = true }
[dates]
formats = ["%d/%m/%Y", "%Y年%m月%d日"]
[currency_map]
"美元" = "USD"
" rmb " = "CNY"
"""


def read(text: str, rows: list[list[object]]) -> Reader:
    p = parse_profile(text, "t.toml")
    loc = locate(p, rows)
    r = Reader(p, loc, "f.csv", 2026)
    for n, cells in enumerate(rows[loc.header_at + p.header_rows:], start=2):
        r.feed(n, cells)
    return r


def test_header_patterns_currency_names_and_a_profiles_date_formats():
    rows = [["单据日期", "客户编码", "单号", "价税合计金额", "币种"],
            ["05/01/2026", "C1", "A1", "100.00", "美元"],
            ["2026年2月3日", "C2", "A2", "50", "rmb"],
            ["2026-03-04", "C3", "A3", "7", "EUR"],
            ["31/02/2026", "C4", "A4", "8", "  "]]
    r = read(SINGLE, rows)
    got = {row["invoice_no"]: (row["customer_code"], row["invoice_date"], row["amount"], row.get("currency"))
           for _n, row in r.out.invoices}
    assert got == {"A1": ("C1", date(2026, 1, 5), "100.00", "USD"),
                   "A2": ("C2", date(2026, 2, 3), "50", "CNY"),
                   "A3": ("C3", "2026-03-04", "7", "EUR"),  # no format fits: the importer reads it
                   "A4": ("C4", "31/02/2026", "8", None)}  # a cell of spaces is no currency
    assert r.out.customers == {"C1": "C1", "C2": "C2", "C3": "C3", "C4": "C4"}


DIRECTION = """
[profile]
name = "d"
kind = "ledger"
title = { zh = "方向", en = "direction" }
[columns]
month = "月"
day = "日"
customer_name = "客户名称"
summary = "摘要"
direction = "方向"
amount = "金额"
[values]
year = "2025"
[ledger]
debit_values = ["借", "D"]
credit_values = ["贷", "C"]
number_prefix = "X"
"""


def test_a_direction_column_names_the_side_and_an_unknown_one_is_a_problem():
    rows = [["月", "日", "客户名称", "摘要", "方向", "金额"],
            ["1", "5", "华东五金", "销售", "借", "100"],
            ["1", "6", "华东五金", "收款", "c", "40"],
            ["2", "30", "华东五金", "错日", "d", "1"],
            ["2", "7", "华东五金", "?", "平", "9"]]
    r = read(DIRECTION, rows)
    (n1, inv), (n3, bad_day) = r.out.invoices
    assert (n1, inv["customer_code"], inv["invoice_date"], inv["amount"]) == (2, "华东五金", date(2025, 1, 5), "100")
    assert inv["invoice_no"].startswith("X-") and len(inv["invoice_no"]) == 12
    assert (n3, bad_day["invoice_date"]) == (4, "2025-2-30")  # no such day: the importer names it
    ((n2, pay),) = r.out.payments
    assert (n2, pay["payment_date"], pay["amount"]) == (3, date(2025, 1, 6), "40")
    (problem,) = r.out.problems
    assert (problem.source, problem.code, problem.where, problem.params) == (
        "f.csv", "profile.direction", "第 5 行 / row 5", {"row": 5, "value": "平"})
    assert r.out.customers == {"华东五金": "华东五金"}


PAYMENTS = """
[profile]
name = "p"
kind = "payments"
title = { zh = "收款", en = "payments" }
[columns]
date = "日期"
customer_code = "客户"
amount = "金额"
settled_date = { header = "结清日期", optional = true }
[ledger]
settle_from = "settled_date"  # an invoice's settlement: never read from a payment
"""


def test_a_payments_profile_reads_payments_numbered_by_day_and_amount():
    rows = [["日期", "客户", "金额", "结清日期"], ["2026-01-05", "C1", "10", "2026-02-01"], ["2026-01-06", "C1", "10"],
            ["2026-01-05", "C1", "11"], ["2026-01-05", "C1", "0.00"]]
    r = read(PAYMENTS, rows)
    assert r.out.invoices == []
    numbers = [row["payment_no"] for _n, row in r.out.payments]
    assert len(numbers) == len(set(numbers)) == 3 and all(x.startswith("L-") for x in numbers)
    assert [(n, row["payment_date"], row["amount"]) for n, row in r.out.payments] == [
        (2, "2026-01-05", "10"), (3, "2026-01-06", "10"), (4, "2026-01-05", "11")]
    assert r.out.skipped == {"zero": 1}


def test_a_field_a_profile_does_not_name_is_shown_under_its_own_name():
    p = parse_profile(SINGLE, "t.toml")
    assert p.header_of("amount") == "*金额"
    assert p.header_of("voucher") == "voucher"


OPENING = """
[profile]
name = "o"
kind = "ledger"
title = { zh = "期初", en = "opening" }
[columns]
date = "日期"
customer_code = "客户"
summary = "摘要"
debit = "借方"
credit = "贷方"
balance = "余额"
balance_direction = "方向"
[ledger]
credit_values = ["C"]
"""


def test_opening_balances_take_their_side_from_the_direction_or_the_sign():
    rows = [["日期", "客户", "摘要", "借方", "贷方", "方向", "余额"],
            ["2026-01-01", "C1", "期初余额", None, None, "借", "-20.00"],  # negative debit balance: we owe
            ["2026-01-01", "C2", "期初余额", None, None, "贷", "30.00"],  # 贷 is always the credit side
            ["2026-01-01", "C3", "期初余额", None, None, "C", "40.00"],
            ["2026-01-01", "C4", "期初余额", None, None, "借", "50.00"],
            ["2026-01-01", "C5", "期初余额", None, None, "借", "0.00"]]
    r = read(OPENING, rows)
    pays = [(n, row["payment_no"], row["customer_code"], row["amount"]) for n, row in r.out.payments]
    assert pays == [(2, "期初-C1-20260101", "C1", "20.00"), (3, "期初-C2-20260101", "C2", "30.00"),
                    (4, "期初-C3-20260101", "C3", "40.00")]
    invs = [(n, row["invoice_no"], row["customer_code"], row["amount"]) for n, row in r.out.invoices]
    assert invs == [(5, "期初-C4-20260101", "C4", "50.00")]
    assert r.out.skipped == {"zero": 1} and r.out.openings == 4


LEDGER_SIDES = """
[profile]
name = "l"
kind = "ledger"
title = { zh = "明细", en = "ledger" }
[columns]
date = "日期"
customer_code = "客户"
summary = "摘要"
debit = "借方"
credit = "贷方"
currency = "币种"
due_date = { header = "到期日", optional = true }
invoice_no = { header = "发票号", optional = true }
"""


def test_ledger_rows_keep_currency_due_date_and_invoice_and_a_negative_credit_is_an_invoice():
    rows = [["日期", "客户", "摘要", "借方", "贷方", "币种", "到期日", "发票号"],
            ["2026-01-05", "C1", "销售", "100", None, "USD", "2026-02-05", None],
            ["2026-01-06", "C1", "收款", None, "60", "USD", None, "F1"],
            ["2026-01-07", "C1", "退款", None, "-15.00", "USD", None, None]]
    r = read(LEDGER_SIDES, rows)
    assert [(n, row["amount"], row["currency"], row.get("due_date")) for n, row in r.out.invoices] == [
        (2, "100", "USD", "2026-02-05"), (4, "15.00", "USD", None)]
    assert [(n, row["amount"], row["currency"], row.get("invoice_no")) for n, row in r.out.payments] == [
        (3, "60", "USD", "F1")]


def test_numbers_made_for_rows_without_one_never_change_between_versions():
    """Next month's export repeats this month's rows: the number derived from a row must stay what it
    was when it was first imported, or the re-import would add the row again."""
    rows = [["日期", "客户", "摘要", "借方", "贷方", "币种"],
            ["2026-01-05", "C1", "销售", "100", None, "CNY"], ["2026-01-05", "C1", "销售", None, "100", "CNY"],
            ["2026-01-06", "C1", "销售", "100", None, "CNY"], ["2026-01-05", "C1", "销售", "101", None, "CNY"]]
    r = read(LEDGER_SIDES, rows)
    assert [row["invoice_no"] for _n, row in r.out.invoices] == ["L-9A16928463", "L-10248CEB11", "L-F35CEA390D"]
    assert [row["payment_no"] for _n, row in r.out.payments] == ["L-C8AB993B91"]
    single = read(PAYMENTS, [["日期", "客户", "金额"], ["2026-01-05", "C1", "10"]])
    assert [row["payment_no"] for _n, row in single.out.payments] == ["L-E5D7E14DDD"]


def test_a_constant_direction_puts_every_row_on_its_side():
    text = DIRECTION.replace('direction = "方向"\n', "").replace('year = "2025"', 'year = "2025"\ndirection = "贷"')
    r = read(text, [["月", "日", "客户名称", "摘要", "金额"], ["1", "5", "华东五金", "收款", "100"]])
    assert r.out.invoices == [] and [row["amount"] for _n, row in r.out.payments] == ["100"]


WIDE = """
[profile]
name = "w"
kind = "invoices"
title = { zh = "宽", en = "wide" }
[columns]
amount = "金额"
currency = "币种"
account = "科目"
date = "日期"
customer_code = "客户编码"
customer_name = "客户名称"
number = "单号"
summary = "摘要"
[skip]
markers = ["承前页", "过次页"]
"""
WIDE_HEAD = ["金额", "币种", "科目", "日期", "客户编码", "客户名称", "单号", "摘要"]
ROW = ["100", "CNY", "1122", "2026-01-05", "C1", "华东", "A1", "销售"]


@pytest.mark.parametrize("column", range(8))
def test_a_total_marker_in_any_named_column_or_the_first_three_skips_the_row(column):
    marked = list(ROW)
    marked[column] = "本月合计"
    r = read(WIDE, [WIDE_HEAD, ROW, marked])
    assert r.out.skipped == {"total": 1}
    assert [row["invoice_no"] for _n, row in r.out.invoices] == ["A1"]


@pytest.mark.parametrize(("word", "kind"), [("Total", "total"), ("GRAND TOTAL", "total"), ("Sub-Total", "subtotal"),
                                            ("承前页", "total"), ("过次页", "total")])
def test_english_totals_and_a_profiles_own_markers(word, kind):
    marked = [*ROW[:7], word]
    assert read(WIDE, [WIDE_HEAD, ROW, marked]).out.skipped == {kind: 1}


def test_a_short_row_is_read_without_its_missing_cells():
    r = read(WIDE, [WIDE_HEAD, ["100", "CNY"]])
    ((_n, row),) = r.out.invoices
    assert row["amount"] == "100" and row["customer_code"] == ""


def test_a_header_repeated_inside_the_data_is_a_title_row_not_data():
    r = read(WIDE, [WIDE_HEAD, ROW, list(WIDE_HEAD), [*ROW[:6], "A2", "销售"]])
    assert r.out.skipped == {"title": 1}
    assert [row["invoice_no"] for _n, row in r.out.invoices] == ["A1", "A2"]
    # The two first columns holding header words is not enough: most of the row must be header text.
    half = ["金额", "币种", "1122", "2026-01-06", "C1", "华东", "A3", "销售"]
    assert read(WIDE, [WIDE_HEAD, half]).out.skipped == {}


def test_a_repeated_two_row_header_is_recognised_by_its_parts():
    head = [["借方", "贷方", "日期", "客户"], ["金额", "金额", None, None]]
    text = """
[profile]
name = "h"
kind = "ledger"
title = { zh = "两行", en = "two rows" }
[layout]
header_rows = 2
[columns]
date = "日期"
customer_code = "客户"
debit = "借方/金额"
credit = "贷方/金额"
"""
    rows = [*head, ["10", None, "2026-01-05", "C1"], *head, [None, "4", "2026-01-06", "C1"]]
    r = read(text, rows)
    assert r.out.skipped == {"title": 2}
    assert [row["amount"] for _n, row in r.out.invoices] == ["10"]
    assert [row["amount"] for _n, row in r.out.payments] == ["4"]


SECTIONS = """
[profile]
name = "sec"
kind = "ledger"
title = { zh = "三栏", en = "three columns" }
[columns]
date = "日期"
summary = "摘要"
debit = "借方"
credit = "贷方"
[from_title]
customer_code = '客户[:：]\\s*(\\S+)'
[skip]
sections = true
"""


def test_section_titles_inside_the_data_set_the_customer_of_the_rows_below():
    rows = [["客户：C1 华东五金"], ["日期", "摘要", "借方", "贷方"],
            ["2026-01-05", "销售", "10", None],
            ["客户：C2", "客户：C2"],  # a merged title repeats its text
            ["2026-01-06", "销售", "20", None],
            ["客户：C3", "x", "y"],  # three different texts: a data row (the importer then reports it), not a title
            ["2026-01-07", "收款", None, "5"]]
    r = read(SECTIONS, rows)
    assert [(row["customer_code"], row["amount"]) for _n, row in r.out.invoices] == [
        ("C1", "10"), ("C2", "20"), ("C2", "y")]
    assert [(row["customer_code"], row["amount"]) for _n, row in r.out.payments] == [("C2", "5")]
    assert r.out.skipped.get("title") == 1
    assert r.out.customers == {"C1": "C1", "C2": "C2"}


def test_locate_skips_blank_rows_above_the_header_and_keeps_the_first_best_match():
    p = parse_profile(SINGLE, "t.toml")
    head = [[None, ""], ["应收单列表"], [], ["单据日期", "客户编码", "单号", "金额", "币种"],
            ["单据日期", "客户编码", "单号", "金额", "币种"]]
    loc = locate(p, head)
    assert (loc.header_at, loc.missing, loc.found) == (3, [], 5)
    assert loc.title_text.split() == ["应收单列表"]
    assert loc.header_cells == frozenset({"单据日期", "客户编码", "单号", "金额", "币种"})


def test_locate_on_a_sheet_without_any_text_misses_every_required_column():
    p = parse_profile(SINGLE, "t.toml")
    loc = locate(p, [[None], ["", "  "], []])
    assert (loc.header_at, loc.headers, loc.index, loc.titles, loc.title_text) == (0, [], {}, {}, "")
    assert loc.missing == ["date", "customer_code", "number", "amount", "currency"]


def test_a_date_column_or_a_title_date_wins_over_month_and_day_columns_and_a_year_column_counts():
    both = DIRECTION.replace('month = "月"', 'date = "日期"\nmonth = "月"')
    rows = [["日期", "月", "日", "客户名称", "摘要", "方向", "金额"], ["2026-03-04", "1", "5", "华东", "销售", "借", "9"]]
    assert [row["invoice_date"] for _n, row in read(both, rows).out.invoices] == ["2026-03-04"]
    titled = DIRECTION + "[from_title]\ndate = '日期[:：](\\S+)'\n"
    rows = [["日期：2026-07-08"], ["月", "日", "客户名称", "摘要", "方向", "金额"], ["1", "5", "华东", "销售", "借", "9"]]
    assert [row["invoice_date"] for _n, row in read(titled, rows).out.invoices] == ["2026-07-08"]
    yearly = DIRECTION.replace('[values]\nyear = "2025"\n', "").replace('month = "月"', 'year = "年"\nmonth = "月"')
    rows = [["年", "月", "日", "客户名称", "摘要", "方向", "金额"], ["2024年", "2", "29", "华东", "销售", "借", "9"]]
    assert [row["invoice_date"] for _n, row in read(yearly, rows).out.invoices] == [date(2024, 2, 29)]
