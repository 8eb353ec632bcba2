"""Cell values at the edges of what an import reads: amounts from every kind of cell and in scientific
notation (exact, in the right currency), each refusal's message key and the value it names (as the cell
held it), ISO week dates (not a form an import reads), headers with a byte-order mark, stars, blanks
and dashes around them, and a blank header between named ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.domain.parsing import (
    amount_text,
    normalize_header,
    parse_amount,
    parse_date,
    parse_email,
    parse_positive_amount,
    resolve_headers,
)


def refusal(fn, *args) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as e:
        fn(*args)
    return e.value.code, e.value.params


@pytest.mark.parametrize(("value", "text"), [
    (1e16, "10000000000000000"), (0.1, "0.1"), (1234.5, "1234.5"), (Decimal("1E+3"), "1000"),
    (Decimal("-0.50"), "-0.50"), (12, "12"), ("1,234.50", "1,234.50"),
])
def test_amount_text_is_exact_decimal_text_never_exponent_notation(value, text):
    assert amount_text(value) == text


@pytest.mark.parametrize(("value", "named"), [
    (True, "True"), (float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf"), ([1], "[1]"),
    (None, "None"),
])
def test_a_cell_that_is_no_amount_is_refused_naming_it(value, named):
    assert refusal(amount_text, value) == ("amount.invalid", {"value": named})


def test_scientific_notation_from_a_spreadsheet_is_exact_and_keeps_the_currency():
    assert parse_amount("1.2345E+05") == parse_amount("123450")
    assert parse_amount("1.2345E+05").minor == 12_345_000
    usd = parse_amount("1.5E+2", "USD")
    assert (usd.minor, usd.currency) == (15_000, "USD")


def test_exponents_beyond_sixteen_digits_are_refused_as_written():
    assert refusal(parse_amount, "1e16")[0] == "amount.too_large"
    assert refusal(parse_amount, "1e16")[1]["value"] == "1e16"
    assert refusal(parse_amount, "1E+999999999")[1]["value"] == "1E+999999999"


def test_a_blank_amount_is_missing_and_named():
    assert refusal(parse_amount, "   ") == ("amount.missing", {"value": "   "})


def test_amounts_default_to_yuan_and_keep_a_given_currency():
    assert parse_amount("12.5").currency == "CNY"
    assert parse_amount("¥1,234.50").currency == "CNY"
    assert parse_positive_amount("5").currency == "CNY"
    assert parse_positive_amount("5.25").minor == 525
    assert parse_positive_amount("5", "USD").currency == "USD"
    assert parse_positive_amount("1,234.50", "usd").currency == "USD"


@pytest.mark.parametrize(("value", "code", "named"), [
    ("-5.00", "amount.negative", "-5.00"), (-3, "amount.negative", "-3"), ("0", "amount.zero", "0"),
    ("0.00", "amount.zero", "0.00"), (0, "amount.zero", "0"),
])
def test_an_amount_that_must_be_positive_names_what_it_got(value, code, named):
    assert refusal(parse_positive_amount, value) == (code, {"value": named})


def test_a_refused_address_is_named_trimmed():
    assert refusal(parse_email, " zhao@example ") == ("email.invalid", {"value": "zhao@example"})


@pytest.mark.parametrize("text", ["2026-W01-1", "2026-W011", "2026W011"])
def test_iso_week_dates_are_not_a_form_an_import_reads(text):
    assert refusal(parse_date, text)[0] == "date.invalid"


def test_the_iso_form_and_its_neighbours():
    assert parse_date("2026-01-05") == date(2026, 1, 5)
    assert parse_date("2026-1-05") == date(2026, 1, 5)
    assert parse_date("2026-01-5 ") == date(2026, 1, 5)


@pytest.mark.parametrize(("written", "normal"), [
    ("\ufeff客户编号", "客户编号"), ("*客户编号*", "客户编号"), (" * 金额 ", "金额"), ("XERO ID", "xero_id"),
    (" -code- ", "code"), ("__code__", "code"), ("", ""), (None, ""), ("Invoice - Date", "invoice_date"),
])
def test_header_normal_forms(written, normal):
    assert normalize_header(written) == normal


def test_a_blank_header_between_named_ones_is_skipped_not_the_end():
    mapping, unknown, duplicates = resolve_headers("invoices", ["发票号", "", "  ", None, "金额", "客户编号"])
    assert mapping == {"发票号": "invoice_no", "金额": "amount", "客户编号": "customer_code"}
    assert unknown == [] and duplicates == []
