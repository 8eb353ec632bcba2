"""Money to the fen: currency names as exports write them, arithmetic that refuses to mix currencies,
rounding half away from zero, and the text forms (plain for files, grouped with a symbol for people)."""

from __future__ import annotations

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.domain.money import MAX_MAJOR, MAX_MINOR, Money, exponent, format_minor, normalize_currency


@pytest.mark.parametrize(("text", "code"), [
    ("人民币", "CNY"), ("RMB", "CNY"), ("rmb", "CNY"), ("¥", "CNY"), ("￥", "CNY"), ("元", "CNY"),
    ("美元", "USD"), ("$", "USD"), ("欧元", "EUR"), ("港币", "HKD"), ("港元", "HKD"), ("日元", "JPY"),
    ("usd", "USD"), (" eur ", "EUR"), ("GBP", "GBP"),
])
def test_normalize_currency_names(text, code):
    assert normalize_currency(text) == code


@pytest.mark.parametrize("text", [None, "", "   "])
def test_normalize_currency_blank_is_the_default(text):
    assert normalize_currency(text) == "CNY"
    assert normalize_currency(text, "USD") == "USD"


@pytest.mark.parametrize("text", ["US", "USDX", "U1D", "英镑", "人民币元", "C N Y"])
def test_normalize_currency_refuses_what_is_not_a_code(text):
    with pytest.raises(InvalidInput) as e:
        normalize_currency(text)
    assert e.value.code == "currency.unknown" and e.value.params == {"value": text}


def test_exponents():
    assert [exponent(c) for c in ("CNY", "cny", "JPY", "KRW", "USD", "XYZ")] == [2, 2, 0, 0, 2, 2]


def test_bounds():
    assert MAX_MAJOR == 10**13 and MAX_MINOR == 10**15


def test_zero_and_arithmetic_keep_the_currency():
    assert Money.zero() == Money(0, "CNY")
    assert Money.zero("USD") == Money(0, "USD")
    assert Money(150, "USD") + Money(25, "USD") == Money(175, "USD")
    assert Money(150, "USD") - Money(175, "USD") == Money(-25, "USD")
    assert -Money(150, "USD") == Money(-150, "USD")
    assert -Money(-7) == Money(7)


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a - b])
def test_arithmetic_refuses_other_currencies_and_non_money(op):
    with pytest.raises(ValueError, match="^currency mismatch: CNY vs USD$"):
        op(Money(1), Money(1, "USD"))
    with pytest.raises(TypeError, match="^can only combine Money with Money$"):
        op(Money(1), 1)


@pytest.mark.parametrize("minor", [1.0, True, "1"])
def test_minor_units_must_be_an_int(minor):
    with pytest.raises(TypeError, match="never a float"):
        Money(minor)


@pytest.mark.parametrize(("minor", "num", "den", "expected"), [
    (100, 1, 3, 33), (200, 1, 3, 67), (150, 1, 100, 2), (149, 1, 100, 1),  # 1.5 → 2, 1.49 → 1
    (-150, 1, 100, -2), (-149, 1, 100, -1),  # half away from zero on both sides
    (1_000, 6, 10, 600), (0, 5, 7, 0), (5, 1, 2, 3), (-5, 1, 2, -3), (7, 1, 1, 7),
])
def test_scaled_rounds_half_away_from_zero(minor, num, den, expected):
    assert Money(minor, "USD").scaled(num, den) == Money(expected, "USD")


@pytest.mark.parametrize(("money", "plain", "shown"), [
    (Money(123450), "1234.50", "¥1,234.50"),
    (Money(-123450), "-1234.50", "-¥1,234.50"),
    (Money(5), "0.05", "¥0.05"),
    (Money(0), "0.00", "¥0.00"),
    (Money(123456789, "USD"), "1234567.89", "$1,234,567.89"),
    (Money(1000, "EUR"), "10.00", "€10.00"),
    (Money(1000, "HKD"), "10.00", "HK$10.00"),
    (Money(1234567, "JPY"), "1234567", "¥1,234,567"),
    (Money(-1234567, "KRW"), "-1234567", "-1,234,567 KRW"),
    (Money(123450, "GBP"), "1234.50", "1,234.50 GBP"),
])
def test_text_forms(money, plain, shown):
    assert money.amount_text() == plain
    assert money.display() == shown
    assert str(money) == shown


def test_format_minor():
    assert format_minor(123456789) == "1234567.89"
    assert format_minor(123456789, grouped=True) == "1,234,567.89"
    assert format_minor(-5, "USD") == "-0.05"
    assert format_minor(1234, "JPY", grouped=True) == "1,234"
    assert format_minor(-1234, "JPY") == "-1234"


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1,234.50", "CNY", 123450), ("(1,234.50)", "CNY", -123450), ("-0.5", "CNY", -50), ("+7", "CNY", 700),
    ("１，２３４．５０", "CNY", 123450), ("¥ 1 234.5", "CNY", 123450), ("1_000", "CNY", 100000),
    ("500.5", "CNY", 50050), ("500.50", "CNY", 50050), ("500.500", "CNY", 50050), ("0012.3", "CNY", 1230),
    ("1234", "JPY", 1234), ("1234.0", "JPY", 1234), ("10000000000000", "CNY", 10**15),
    ("10000000000000.00", "CNY", 10**15), ("RMB 88", "cny", 8800), ("人民币88元", "CNY", 8800),
])
def test_parse_exact(text, currency, minor):
    m = Money.parse(text, currency)
    assert m == Money(minor, currency.upper())


@pytest.mark.parametrize(("text", "code"), [
    ("1,00", "amount.grouping"), ("1,2,3", "amount.grouping"), ("12,34.5", "amount.grouping"),
    ("abc", "amount.invalid"), ("", "amount.invalid"), ("1.2.3", "amount.invalid"), ("--1", "amount.invalid"),
    ("1.234", "amount.too_precise"), ("0.001", "amount.too_precise"),
    ("10000000000000.01", "amount.too_large"), ("10000000000001", "amount.too_large"),
    ("100000000000000", "amount.too_large"), ("1" * 65, "amount.too_large"),
])
def test_parse_refusals(text, code):
    with pytest.raises(InvalidInput) as e:
        Money.parse(text)
    assert e.value.code == code


def test_parse_refusal_parameters():
    with pytest.raises(InvalidInput) as e:
        Money.parse("1.234")
    assert e.value.params == {"value": "1.234", "digits": 2}
    with pytest.raises(InvalidInput) as e:
        Money.parse("1.5", "JPY")
    assert e.value.params == {"value": "1.5", "digits": 0}
    with pytest.raises(InvalidInput) as e:
        Money.parse("9" * 70)
    assert e.value.params == {"value": "9" * 20 + "…", "max": "10,000,000,000,000"}
    with pytest.raises(InvalidInput) as e:
        Money.parse(12.5)  # type: ignore[arg-type]
    assert e.value.code == "amount.not_text" and e.value.params == {"value": "12.5"}
    assert len("9" * 64) == 64 and Money.parse("0" * 63 + "9").minor == 900  # 64 characters are read
