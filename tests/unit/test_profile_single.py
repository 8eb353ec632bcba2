"""An invoice or payment list read through a layout profile (the "single" kinds, one record per row):
numbers, dates by the profile's formats, currencies mapped, zero rows skipped, a settled date turned
into the payment that settled the invoice; and how well a profile fits a header."""

from __future__ import annotations

from datetime import date

import pytest

from huikuan.domain.profile import Reader, fit, locate, parse_profile

INVOICES = """
[profile]
name = "list"
kind = "invoices"
title = { zh = "应收单列表", en = "invoice list" }
[columns]
date = "单据日期"
customer_code = "客户编码"
customer_name = { header = "客户名称", optional = true }
number = { header = ["单据号", "发票号"] }
amount = "本币金额"
due_date = { header = "到期日", optional = true }
currency = { header = "币种", optional = true }
settled_date = { header = "结清日期", optional = true }
[dates]
formats = ["%Y.%m.%d"]
[currency_map]
BB01 = "CNY"
[ledger]
settle_from = "settled_date"
number_prefix = "GEN"
[detect]
title_keywords = ["应收单"]
"""

HEADER = ["单据日期", "客户编码", "客户名称", "单据号", "本币金额", "到期日", "币种", "结清日期"]


def read(text: str, rows: list[list[object]], head: list[list[object]] | None = None) -> Reader:
    p = parse_profile(text, "list.toml")
    head = head or [HEADER]
    loc = locate(p, head + rows)
    r = Reader(p, loc, "list.xlsx", 2026)
    for n, cells in enumerate(rows, start=loc.header_at + 2):
        r.feed(n, cells)
    return r


def test_invoice_rows_become_invoices_and_a_settled_date_their_payment():
    r = read(INVOICES, [
        ["2026.01.05", "C1", "甲公司", "FP1", "1,000.00", "2026.02.04", "bb01", None],
        ["2026.01.06", "C2", None, "FP2", "500", None, None, "2026.03.01"],
        ["2026.01.07", "C1", "甲公司", None, "0.00", None, None, None],  # nothing owed: skipped
        ["bad date", "C3", "丙", "FP3", 7, None, "USD", ""],
    ])
    assert r.out.invoices == [
        (2, {"invoice_no": "FP1", "customer_code": "C1", "invoice_date": date(2026, 1, 5), "amount": "1,000.00",
             "due_date": date(2026, 2, 4), "currency": "CNY"}),
        (3, {"invoice_no": "FP2", "customer_code": "C2", "invoice_date": date(2026, 1, 6), "amount": "500",
             "due_date": None}),
        (5, {"invoice_no": "FP3", "customer_code": "C3", "invoice_date": "bad date", "amount": 7, "due_date": None,
             "currency": "USD"}),
    ]
    assert r.out.payments == [(3, {"payment_no": "FP2-S", "customer_code": "C2", "payment_date": date(2026, 3, 1),
                                   "amount": "500", "invoice_no": "FP2"})]
    assert r.out.skipped == {"zero": 1}
    assert r.out.customers == {"C1": "甲公司", "C2": "C2", "C3": "丙"}


def test_a_settled_invoice_in_another_currency_is_paid_in_it():
    r = read(INVOICES, [["2026.01.05", "C1", "甲", "FP1", "10", None, "BB01", "2026.01.20"]])
    assert r.out.payments == [(2, {"payment_no": "FP1-S", "customer_code": "C1", "payment_date": date(2026, 1, 20),
                                   "amount": "10", "invoice_no": "FP1", "currency": "CNY"})]


def test_rows_without_a_number_get_a_stable_one_and_twins_an_ordinal():
    rows = [["2026.01.05", "C1", "甲", None, "10", None, None, None]] * 2 + [["2026.01.05", "C1", "甲", None, "11", None, None, None]]
    a, b = read(INVOICES, rows), read(INVOICES, rows)
    numbers = [row["invoice_no"] for _, row in a.out.invoices]
    assert numbers == [row["invoice_no"] for _, row in b.out.invoices]  # the same file gives the same numbers
    assert numbers[0].startswith("GEN-") and len(numbers[0]) == 14
    assert numbers[1] == numbers[0] + "-2" and numbers[2] != numbers[0] and not numbers[2].endswith("-2")


PAYMENTS = INVOICES.replace('kind = "invoices"', 'kind = "payments"').replace('name = "list"', 'name = "pay"')


def test_payment_rows_become_payments_naming_their_invoice():
    text = PAYMENTS.replace('settled_date = { header = "结清日期", optional = true }',
                            'invoice_no = { header = "发票号码", optional = true }')
    head = [["单据日期", "客户编码", "客户名称", "单据号", "本币金额", "到期日", "币种", "发票号码"]]
    r = read(text, [["2026.01.05", "C1", "甲", "SK1", "300", None, None, "FP1"],
                    ["2026.01.06", "C1", "甲", "SK2", "200", None, "HKD", None]], head)
    assert r.out.payments == [
        (2, {"payment_no": "SK1", "customer_code": "C1", "payment_date": date(2026, 1, 5), "amount": "300",
             "invoice_no": "FP1"}),
        (3, {"payment_no": "SK2", "customer_code": "C1", "payment_date": date(2026, 1, 6), "amount": "200",
             "currency": "HKD"})]
    assert r.out.invoices == []


def test_fit_is_the_share_of_required_columns_with_title_keywords_breaking_ties():
    p = parse_profile(INVOICES, "list.toml")
    assert p.required == ("date", "customer_code", "number", "amount")
    assert p.header_of("number") == "单据号" and p.header_of("customer_name") == "客户名称"
    full = locate(p, [HEADER])
    assert fit(p, full) == 1.0  # never above 1, keyword or not
    three = locate(p, [["单据日期", "客户编码", "发票号", "金额"]])
    assert three.missing == ["amount"] and fit(p, three) == pytest.approx(0.75)
    titled = locate(p, [["应收单列表 2026年1月"], ["单据日期", "客户编码", "发票号", "金额"]])
    assert fit(p, titled) == pytest.approx(0.76)
    other = locate(p, [["发货单 2026年1月"], ["单据日期", "客户编码", "发票号", "金额"]])
    assert fit(p, other) == pytest.approx(0.75)
    assert fit(p, locate(p, [["甲", "乙"]])) == 0.0
