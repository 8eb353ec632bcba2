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
    assert (problem.code, problem.where, problem.params) == ("profile.direction", "第 5 行 / row 5",
                                                             {"row": 5, "value": "平"})
    assert r.out.customers == {"华东五金": "华东五金"}
