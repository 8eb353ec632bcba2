"""Money is exact; terms parse from what exports write and give the contractual due date."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.domain.errors import InvalidInput
from huikuan.domain.money import Money, format_minor
from huikuan.domain.terms import Cash, DayOfMonth, MonthEnd, NetDays, due_date, parse_terms


@pytest.mark.parametrize(("text", "minor"), [
    ("¥1,234.50", 123450), ("1234.5元", 123450), ("１２３４．５０", 123450), ("RMB 12", 1200), ("(12.00)", -1200),
    ("-0.01", -1), ("0", 0), ("人民币100.10", 10010),
])
def test_parse(text, minor):
    assert Money.parse(text).minor == minor


@pytest.mark.parametrize("text", ["1.234", "abc", "", "1,2,3.4.5", "12.3.4"])
def test_parse_rejects(text):
    with pytest.raises(InvalidInput):
        Money.parse(text)


def test_floats_and_mixed_currencies_are_refused():
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(InvalidInput):
        Money.parse(1.5)  # type: ignore[arg-type]


@given(st.integers(-10**15, 10**15))
def test_format_parse_round_trip(minor):
    assert Money.parse(format_minor(minor)).minor == minor
    assert Money.parse(Money(minor).display()).minor == minor


def test_scaled_rounds_half_away_from_zero():
    assert Money(1000).scaled(60, 100).minor == 600
    assert Money(5).scaled(1, 2).minor == 3 and Money(-5).scaled(1, 2).minor == -3


@pytest.mark.parametrize(("text", "terms"), [
    ("现款", Cash()), ("cash", Cash()), ("账期30天", NetDays(30)), ("net 30", NetDays(30)), ("月结30", MonthEnd(30)),
    ("eom 30", MonthEnd(30)), ("月结", MonthEnd(0)), ("每月25日结", DayOfMonth(25)), ("day 25", DayOfMonth(25)),
    ("ＮＥＴ ６０", NetDays(60)), ("月结 60", MonthEnd(60)),
])
def test_terms(text, terms):
    assert parse_terms(text) == terms
    assert parse_terms(terms.text()) == terms


@pytest.mark.parametrize("text", ["weekly", "账期400天", "每月40日结", ""])
def test_bad_terms(text):
    with pytest.raises(InvalidInput):
        parse_terms(text)


@pytest.mark.parametrize(("inv", "terms", "due"), [
    (date(2026, 1, 15), Cash(), date(2026, 1, 15)),
    (date(2026, 1, 15), NetDays(30), date(2026, 2, 14)),
    (date(2026, 1, 15), MonthEnd(30), date(2026, 3, 2)),
    (date(2026, 1, 31), MonthEnd(0), date(2026, 1, 31)),
    (date(2026, 1, 15), DayOfMonth(25), date(2026, 2, 25)),
    (date(2026, 1, 15), DayOfMonth(31), date(2026, 2, 28)),
])
def test_due_dates(inv, terms, due):
    assert due_date(inv, terms) == due


def test_due_date_rolls_to_the_next_chinese_working_day():
    from huikuan.adapters.calendar_cn import ChineseCalendar

    cal = ChineseCalendar()
    # 2026-02-14 is a 调休 working Saturday: it stays; 2026-02-15 (Spring Festival) rolls to 02-24.
    assert due_date(date(2026, 1, 15), NetDays(30), cal) == date(2026, 2, 14)
    assert due_date(date(2026, 1, 16), NetDays(30), cal) == date(2026, 2, 24)


@given(st.dates(date(2004, 1, 1), date(2026, 10, 1)), st.integers(0, 60))
def test_rolled_due_dates_land_on_working_days(inv, days):
    from huikuan.adapters.calendar_cn import ChineseCalendar

    cal = ChineseCalendar()
    due = due_date(inv, NetDays(days), cal)
    assert cal.is_workday(due) and due >= due_date(inv, NetDays(days))
