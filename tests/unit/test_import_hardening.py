"""Values read right or refused with a reason (issue 6 items 14, 17, 19, 20), as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.config import load_settings
from huikuan.domain.errors import InvalidInput
from huikuan.domain.money import MAX_MAJOR, Money
from huikuan.domain.parsing import parse_amount, strip_controls, total_row_kind


@pytest.mark.parametrize(("text", "minor"), [
    ("1,234.50", 123450), ("1,234,567", 123456700), ("-1,234", -123400), ("(1,234.00)", -123400),
    ("１，２３４．５０", 123450), ("¥12,345.00", 1234500), ("999", 99900), ("10000000000000", 10**15),
])
def test_thousands_groups_of_three_are_separators(text: str, minor: int) -> None:
    assert Money.parse(text).minor == minor


@pytest.mark.parametrize("text", ["1,00", "1,2,3", "12,34.00", "1,2345", ",123", "1,234,56", "1.234,50"])
def test_other_commas_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        Money.parse(text)
    assert e.value.code == "amount.grouping"


@pytest.mark.parametrize("value", ["1e20", "100000000000000000000", "92233720368547758.07", "1E+999999999",
                                   "10000000000000.01", "9" * 5000, 1e20, 10**20, "-100000000000000"])
def test_amounts_beyond_ten_trillion_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_amount(value)
    assert e.value.code == "amount.too_large"
    assert e.value.params["max"] == f"{MAX_MAJOR:,}"


@given(st.integers(-(10**15), 10**15))
def test_every_amount_up_to_the_bound_parses(minor: int) -> None:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 100)
    assert parse_amount(f"{sign}{whole:,}.{frac:02d}").minor == minor
    assert parse_amount(f"{sign}{whole}.{frac:02d}").minor == minor


@pytest.mark.parametrize(("text", "kind"), [
    ("小计", "subtotal"), ("合  计", "total"), ("合计：", "total"), ("本月合计", "total"), ("本期合计", "total"),
    ("总计", "total"), ("本年累计", "cumulative"), ("期末余额", "closing_balance"), ("华东五金 小计", "subtotal"),
    ("Total", "total"), ("Sub-total", "subtotal"), ("GRAND TOTAL", "total"),
    ("合计贸易有限公司", None), ("INV-001", None), ("Totally Fresh Ltd", None), ("", None),
])
def test_total_rows_are_recognised(text: str, kind: str | None) -> None:
    assert total_row_kind(text) == kind


@pytest.mark.parametrize(("text", "clean"), [
    ("\x1b[31m红\x1b[0m", "[31m红[0m"), ("a\tb\r\nc", "a b  c"), ("\u202e倒序", "倒序"), ("\x00\x07x\x9b", "x"),
    ("全角\u3000空格", "全角\u3000空格"), ("plain", "plain"),
])
def test_control_characters_are_stripped(text: str, clean: str) -> None:
    assert strip_controls(text) == clean


def test_date_window_setting() -> None:
    assert load_settings(env={}, path="/nonexistent").import_date_window_years == 30
    assert load_settings(env={"HUIKUAN_IMPORT_DATE_WINDOW_YEARS": "50"}, path="/x").import_date_window_years == 50
    for bad in ("0", "abc", "1000"):
        with pytest.raises(InvalidInput):
            load_settings(env={"HUIKUAN_IMPORT_DATE_WINDOW_YEARS": bad}, path="/x")
