"""Layout-profile rules on their own (pure, no database): multi-row headers, total/subtotal rows,
opening balances, debit/credit splitting, numbers from 摘要, profile validation by file and key;
property: shuffling subtotal rows into a file never changes what is read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.domain.errors import ImportRejected
from huikuan.domain.profile import Reader, join_header, locate, parse_profile

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "huikuan" / "import_profiles"

LEDGER = """
[profile]
name = "t"
kind = "ledger"
title = { zh = "测试", en = "test" }
[layout]
header_rows = 2
[columns]
date = "日期"
customer_code = "客户"
summary = "摘要"
debit = "借方/本币"
credit = "贷方/本币"
balance = "余额"
balance_direction = "方向"
[ledger]
number_from_summary = '发票\\s*([A-Z]+\\d+)'
"""

HEAD = [["往来明细"], ["日期", "客户", "摘要", "借方", None, "贷方", None, "方向", "余额"],
        [None, None, None, "原币", "本币", "原币", "本币", None, None]]
DATA = [
    ["2026-01-01", "C1", "期初余额", None, None, None, None, "借", "500.00"],
    ["2026-01-03", "C1", "销售 发票 FP1001", "100", "100.00", None, None, "借", "600.00"],
    ["2026-01-09", "C1", "收款", None, None, "80", "80.00", "借", "520.00"],
    ["2026-01-10", "C1", "红冲 发票 FP1002", "-30", "-30.00", None, None, "借", "490.00"],
    ["2026-01-04", "C2", "期初余额", None, None, None, None, "贷", "20.00"],
    ["2026-01-12", "C2", "销售", "12.5", "12.50", None, None, "借", "-7.50"],
]


def read(profile_text: str, rows: list[list[object]]) -> Reader:
    p = parse_profile(profile_text, "t.toml")
    loc = locate(p, rows)
    r = Reader(p, loc, "f.xlsx", 2026)
    for n, cells in enumerate(rows[loc.header_at + p.header_rows:], start=loc.header_at + p.header_rows + 1):
        r.feed(n, cells)
    return r


def test_multi_row_headers_join_across_merged_cells() -> None:
    rows = [["日期", "借方", None, None, None, "贷方", None, "余额"],
            [None, "发生", None, "已结", None, "发生", None, None],
            [None, "金额", "本币", "金额", "本币", "金额", "本币", None]]
    assert join_header(rows) == ["日期", "借方/发生/金额", "借方/发生/本币", "借方/已结/金额", "借方/已结/本币",
                                 "贷方/发生/金额", "贷方/发生/本币", "余额"]
    # A column merged downwards (日期) never borrows its neighbour's group; 余额 stays alone.
    assert join_header([["客户", None, "日期"], ["编码", "名称", None]]) == ["客户/编码", "客户/名称", "日期"]


def test_debit_is_an_invoice_credit_a_payment_and_red_debits_come_back() -> None:
    out = read(LEDGER, HEAD + DATA).out
    inv = {r["invoice_no"]: (r["customer_code"], r["invoice_date"], r["amount"]) for _n, r in out.invoices}
    pay = {r["payment_no"]: (r["customer_code"], r["payment_date"], r["amount"]) for _n, r in out.payments}
    assert inv["FP1001"] == ("C1", "2026-01-03", "100.00")  # the number read from 摘要
    assert pay["FP1002"] == ("C1", "2026-01-10", "30.00")  # a negative debit is money back: a credit
    generated = [k for k in pay if k.startswith("L-")]
    assert len(generated) == 1 and pay[generated[0]] == ("C1", "2026-01-09", "80.00")


def test_opening_balance_becomes_one_stable_item_per_customer() -> None:
    out = read(LEDGER, HEAD + DATA).out
    inv = {r["invoice_no"]: r["amount"] for _n, r in out.invoices}
    pay = {r["payment_no"]: r["amount"] for _n, r in out.payments}
    assert inv["期初-C1-20260101"] == "500.00"  # 借 balance: owed to us
    assert pay["期初-C2-20260104"] == "20.00"  # 贷 balance: the customer paid ahead
    again = read(LEDGER, HEAD + DATA).out
    assert again.invoices == out.invoices and again.payments == out.payments


@pytest.mark.parametrize(("marker", "kind"), [("小计", "subtotal"), ("合计", "total"), ("本月合计", "total"),
                                              ("本年累计", "cumulative"), ("期末余额", "closing_balance")])
def test_total_rows_are_skipped_by_kind(marker: str, kind: str) -> None:
    rows = HEAD + DATA[:2] + [["2026-01-31", None, marker, "100", "100.00", None, None, "借", "600.00"]] + DATA[2:]
    r = read(LEDGER, rows)
    assert r.out.skipped == {kind: 1}
    assert len(r.out.invoices) + len(r.out.payments) == len(DATA)


def test_blank_rows_are_counted_and_filters_drop_other_accounts() -> None:
    text = LEDGER.replace('balance_direction = "方向"', 'balance_direction = "方向"\naccount = "科目"') + \
        '\n[filter]\nfield = "account"\nprefix = ["1122"]\n'
    head = [HEAD[0], [*HEAD[1], "科目"], [*HEAD[2], None]]
    rows = head + [[*DATA[1], "1122"], [None] * 10, [*DATA[2], "6001"]]
    r = read(text, rows)
    assert r.out.skipped == {"blank": 1, "filtered": 1}
    assert [x["invoice_no"] for _n, x in r.out.invoices] == ["FP1001"]


SUBTOTAL = ["", None, "小计", "999", "999.00", "1", "1.00", "借", "0"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, len(DATA)), max_size=8), st.sampled_from(["小计", "合计", "本月合计", "本年累计"]))
def test_shuffling_subtotal_rows_in_never_changes_what_is_read(positions: list[int], word: str) -> None:
    base = read(LEDGER, HEAD + DATA).out
    rows = list(DATA)
    for pos in sorted(positions, reverse=True):
        rows.insert(pos, [*SUBTOTAL[:2], word, *SUBTOTAL[3:]])
    got = read(LEDGER, HEAD + rows).out
    strip = lambda recs: [r for _n, r in recs]  # noqa: E731 — row numbers move, records must not
    assert strip(got.invoices) == strip(base.invoices)
    assert strip(got.payments) == strip(base.payments)
    assert sum(got.skipped.values()) == len(positions)


def test_year_from_the_header_over_month_and_day_columns() -> None:
    prof = (SHIPPED / "three-column-ledger.toml").read_text(encoding="utf-8")
    rows: list[list[object]] = [["科目：1122 应收账款  客户：K9 某公司"],
                                ["2025年", "2025年", "凭证号", "摘要", "借方", "贷方", "方向", "余额"],
                                ["月", "日", "凭证号", "摘要", "借方", "贷方", "方向", "余额"],
                                [12, 30, "记-1", "销售 发票号A-1", 10, None, "借", 10]]
    out = read(prof, rows).out
    assert out.invoices[0][1]["invoice_date"] == date(2025, 12, 30)
    assert out.invoices[0][1]["customer_code"] == "K9" and out.customers == {"K9": "某公司"}


def test_every_shipped_profile_is_valid() -> None:
    names = [parse_profile(p.read_text(encoding="utf-8"), p.name).name for p in sorted(SHIPPED.glob("*.toml"))]
    assert len(names) == 8 and len(set(names)) == 8


def test_a_bad_profile_lists_every_problem_by_file_and_key() -> None:
    bad = """
[profile]
name = "Bad Name"
kind = "journal"
[layout]
header_rows = 9
colour = "red"
[columns]
debit = "借方"
shoe_size = "鞋码"
[from_title]
customer_code = '客户(.'
[dates]
formats = ["%Q"]
[currency_map]
BB01 = "rmb"
"""
    with pytest.raises(ImportRejected) as e:
        parse_profile(bad, "mine.toml")
    got = {(p.source, p.where, p.code) for p in e.value.problems}
    assert {("mine.toml", "profile.name", "profile.name"), ("mine.toml", "profile.kind", "profile.enum"),
            ("mine.toml", "profile.title", "profile.label"), ("mine.toml", "layout.header_rows", "profile.int"),
            ("mine.toml", "layout.colour", "profile.unknown_key"),
            ("mine.toml", "columns.shoe_size", "profile.unknown_key"),
            ("mine.toml", "from_title.customer_code", "profile.regex"),
            ("mine.toml", "dates.formats[0]", "profile.date_format"),
            ("mine.toml", "currency_map.BB01", "profile.currency")} <= got
