"""Terms at the edges of what they accept: each range's first and last valid value and the first invalid
one on both sides, the message key and the value a refusal names (what the user typed, not the
normalised text), the canonical texts stored for each kind of terms, and spacing in Chinese terms."""

from __future__ import annotations

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.domain.terms import Cash, DayOfMonth, MonthEnd, NetDays, parse_terms


@pytest.mark.parametrize(("text", "terms"), [
    ("net 0", NetDays(0)), ("net 365", NetDays(365)), ("账期365天", NetDays(365)),
    ("eom 0", MonthEnd(0)), ("月结365", MonthEnd(365)), ("eom 365", MonthEnd(365)),
    ("day 1", DayOfMonth(1)), ("每月1日结", DayOfMonth(1)), ("day 31", DayOfMonth(31)), ("每月31号", DayOfMonth(31)),
])
def test_the_last_valid_value_of_each_range_is_accepted(text, terms):
    assert parse_terms(text) == terms


@pytest.mark.parametrize(("text", "code"), [
    ("net 366", "terms.days_out_of_range"), ("账期366天", "terms.days_out_of_range"),
    ("月结366", "terms.days_out_of_range"), ("eom 366", "terms.days_out_of_range"),
    ("day 0", "terms.day_out_of_range"), ("每月0日结", "terms.day_out_of_range"),
    ("day 32", "terms.day_out_of_range"), ("每月32日", "terms.day_out_of_range"),
    ("weekly", "terms.invalid"), ("", "terms.invalid"), ("net -1", "terms.invalid"),
])
def test_a_refusal_names_its_reason_and_the_value_as_typed(text, code):
    with pytest.raises(InvalidInput) as e:
        parse_terms(text)
    assert e.value.code == code
    assert e.value.params == {"value": text}


def test_the_refused_value_is_the_raw_text_not_the_normalised_one():
    raw = "ｎｅｔ　９９９"  # full-width letters, digits and space: normalised to "net 999" to be parsed
    with pytest.raises(InvalidInput) as e:
        parse_terms(raw)
    assert e.value.code == "terms.days_out_of_range"
    assert e.value.params == {"value": raw}


@pytest.mark.parametrize(("terms", "text"), [
    (Cash(), "cash"), (NetDays(30), "net 30"), (MonthEnd(0), "eom 0"), (MonthEnd(15), "eom 15"),
    (DayOfMonth(25), "day 25"),
])
def test_the_stored_text_of_each_kind_of_terms(terms, text):
    assert terms.text() == text


@pytest.mark.parametrize(("text", "terms"), [
    ("月结  30", MonthEnd(30)), ("月结\t30", MonthEnd(30)), ("  账期 30 天 ", NetDays(30)),
    ("每月 25 日结", DayOfMonth(25)), ("net   45", NetDays(45)),
])
def test_runs_of_blanks_inside_terms_count_as_none(text, terms):
    assert parse_terms(text) == terms
