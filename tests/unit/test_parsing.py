"""Value parsers used by the importer: dates, booleans, amounts, coded choices, headers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.domain.errors import InvalidInput
from huikuan.domain.ledger import ContactRole, CustomerType, DisputeCategory, PaymentMethod
from huikuan.domain.money import Money, format_minor
from huikuan.domain.parsing import (
    alias_index,
    amount_text,
    normalize_header,
    parse_amount,
    parse_bool,
    parse_contact_role,
    parse_customer_type,
    parse_date,
    parse_dispute_category,
    parse_email,
    parse_payment_method,
    parse_positive_amount,
    resolve_headers,
)

D = date(2026, 1, 5)


@pytest.mark.parametrize("value", [
    "2026-01-05", "2026/1/5", "2026/01/05", "2026年1月5日", "2026年01月05日", "2026.1.5", "20260105",
    "２０２６年１月５日", "２０２６-０１-０５", " 2026-01-05 ", "2026-01-05 00:00:00", "2026/1/5 13:45",
    "2026 年 1 月 5 日", 46027, 46027.0, 46027.75, "46027", datetime(2026, 1, 5, 10, 30), D,
])
def test_date_forms(value: object) -> None:
    assert parse_date(value) == D


@pytest.mark.parametrize("value, code", [
    ("2026/02/30", "date.invalid"), ("2026-13-01", "date.invalid"), ("昨天", "date.invalid"),
    ("05/01/2026", "date.invalid"), ("", "date.missing"), ("  ", "date.missing"), (True, "date.invalid"),
    (0, "date.invalid"), (-5, "date.invalid"), (float("nan"), "date.invalid"), ("2026-1-5x", "date.invalid"),
])
def test_bad_dates_name_the_value(value: object, code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_date(value)
    assert e.value.code == code
    assert "value" in e.value.params


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_every_written_form_round_trips(d: date) -> None:
    serial = (d - date(1899, 12, 30)).days
    forms = [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日",
             f"{d.year}.{d.month}.{d.day}", d.strftime("%Y%m%d"), serial, float(serial)]
    assert {parse_date(f) for f in forms} == {d}


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("否", False), ("true", True), ("FALSE", False), ("1", True), ("0", False), ("Y", True),
    ("n", False), ("yes", True), ("No", False), ("ｙｅｓ", True), (1, True), (0, False), (True, True),
    (None, False), ("", False), ("１", True),
])
def test_booleans(value: object, expected: bool) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["也许", "2", "maybe", 7])
def test_bad_boolean(value: object) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_bool(value)
    assert e.value.code == "bool.invalid"


@pytest.mark.parametrize("value, minor", [
    ("¥1,234.50", 123450), ("1234.5元", 123450), ("１２３４．５０", 123450), ("1234.5", 123450), ("12", 1200),
    (1234, 123400), (1234.5, 123450), (0.1, 10), (Decimal("7.25"), 725), ("1.2345E+03", 123450),
    ("RMB 12.00", 1200), ("(12.00)", -1200), ("-3", -300),
])
def test_amounts_are_exact(value: object, minor: int) -> None:
    m = parse_amount(value, "CNY")
    assert m == Money(minor, "CNY")
    assert isinstance(m.minor, int)


@pytest.mark.parametrize("value, code", [
    ("12.345", "amount.too_precise"), (0.1 + 0.2, "amount.too_precise"), (1.005, "amount.too_precise"),
    ("abc", "amount.invalid"), ("1.2.3", "amount.invalid"), (True, "amount.invalid"),
    (float("inf"), "amount.invalid"), ("", "amount.missing"),
])
def test_bad_amounts(value: object, code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_amount(value, "CNY")
    assert e.value.code == code


@given(st.integers(-(10**15), 10**15))
def test_amount_text_round_trips(minor: int) -> None:
    m = Money(minor, "CNY")
    assert parse_amount(m.amount_text()) == m
    assert parse_amount(m.display()) == m
    assert parse_amount(format_minor(minor, "CNY", grouped=True) + "元") == m


def test_float_goes_through_shortest_decimal_text_never_binary_value() -> None:
    # Decimal(1234.56) would be 1234.5599999999999454…; the cell meant 1234.56.
    assert amount_text(1234.56) == "1234.56"
    assert parse_amount(1234.56).minor == 123456


@pytest.mark.parametrize("value, code", [("-1", "amount.negative"), ("0", "amount.zero"), ("0.00", "amount.zero")])
def test_positive_amount(value: str, code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_positive_amount(value)
    assert e.value.code == code


def test_yen_has_no_minor_digits() -> None:
    assert parse_amount("1200", "JPY") == Money(1200, "JPY")
    with pytest.raises(InvalidInput):
        parse_amount("12.50", "JPY")


@pytest.mark.parametrize("fn, value, expected", [
    (parse_customer_type, "经销商", CustomerType.DEALER), (parse_customer_type, "企业", CustomerType.ENTERPRISE),
    (parse_customer_type, "政府", CustomerType.GOVERNMENT), (parse_customer_type, "出口", CustomerType.EXPORT),
    (parse_customer_type, "学生", CustomerType.STUDENT), (parse_customer_type, "持卡人", CustomerType.CARDHOLDER),
    (parse_customer_type, "Dealer", CustomerType.DEALER), (parse_contact_role, "财务", ContactRole.FINANCE),
    (parse_contact_role, "签字人", ContactRole.SIGNATORY), (parse_contact_role, "采购", ContactRole.PURCHASING),
    (parse_contact_role, "老板", ContactRole.OWNER), (parse_contact_role, "法人", ContactRole.LEGAL_REP),
    (parse_contact_role, "legal-rep", ContactRole.LEGAL_REP), (parse_payment_method, "转账", PaymentMethod.TRANSFER),
    (parse_payment_method, "现金", PaymentMethod.CASH), (parse_payment_method, "承兑汇票", PaymentMethod.ACCEPTANCE_BILL),
    (parse_payment_method, "支票", PaymentMethod.CHEQUE), (parse_payment_method, "CASH", PaymentMethod.CASH),
    (parse_dispute_category, "质量", DisputeCategory.QUALITY),
    (parse_dispute_category, "short_delivery", DisputeCategory.SHORT_DELIVERY),
])
def test_choices(fn, value: str, expected: object) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == expected


def test_unknown_choice_lists_allowed_codes() -> None:
    with pytest.raises(InvalidInput) as e:
        parse_customer_type("外星人")
    assert e.value.code == "customer_type.invalid"
    assert "dealer" in e.value.params["allowed"]


def test_email() -> None:
    assert parse_email(" a@b.cn ") == "a@b.cn"
    with pytest.raises(InvalidInput):
        parse_email("zhao@example")


@pytest.mark.parametrize("written, kind, canonical", [
    ("客户编号", "customers", "customer_code"), ("客户编码", "invoices", "customer_code"),
    ("Customer Code", "customers", "customer_code"), ("CUSTOMER_CODE", "contacts", "customer_code"),
    ("  发票号码 ", "invoices", "invoice_no"), ("单据编号", "invoices", "invoice_no"),
    ("单据编号", "payments", "payment_no"), ("价税合计", "invoices", "amount"), ("*开票日期", "invoices", "invoice_date"),
    ("账期", "customers", "terms"), ("送二结一", "customers", "deliver_two_settle_one"),
    ("勿扰", "contacts", "do_not_contact"), ("红冲单号", "credit-notes", "credit_note_no"),
    ("结算方式", "payments", "method"), ("汇票到期日", "payments", "bill_maturity"),
    ("ｉｎｖｏｉｃｅ＿ｎｏ", "invoices", "invoice_no"), ("invoice-date", "invoices", "invoice_date"),
])
def test_header_aliases(written: str, kind: str, canonical: str) -> None:
    assert alias_index(kind)[normalize_header(written)] == canonical


def test_resolve_headers_reports_unknown_and_duplicates() -> None:
    mapping, unknown, dupes = resolve_headers("invoices", ["发票号", "金额", "应收金额", "备注", "", None])
    assert mapping == {"发票号": "invoice_no", "金额": "amount"}
    assert unknown == ["备注"]
    assert dupes == ["amount"]


def test_every_message_key_of_the_import_area_has_zh_and_en_text() -> None:
    import re
    from pathlib import Path

    from huikuan import i18n

    src = Path(i18n.__file__).parent
    files = [*(str(p.relative_to(src)) for p in sorted((src / "services" / "import_").glob("*.py"))),
             "services/ledger.py", "domain/parsing.py", "adapters/files.py", "entrypoints/cli/imports.py"]
    keys = {k for f in files for k in re.findall(r'"([a-z_]+(?:\.[a-z_\-]+)+)"', (src / f).read_text("utf-8"))}
    keys |= {f"import.kind.{k}" for k in ("customers", "contacts", "invoices", "payments", "credit-notes")}
    keys |= {f"import.count.{k}" for k in ("rows", "inserted", "updated", "unchanged", "rejected")}
    keys |= {"import.rejected", "amount.too_precise", "currency.unknown", "calendar.unknown_year"}
    assert len(keys) > 60
    for lang in ("zh", "en"):
        missing = sorted(k for k in keys if k not in i18n.catalog(lang))
        assert missing == [], (lang, missing)
    assert i18n.t("import.duplicate_number", "zh", value="F1", first_row=2) == "“F1”在文件中重复（第 2 行已出现）"
