"""Dates from cells and masks of personal data at their edges: the ISO fast path and what only looks
like it, Excel serials at both ends of their range, the value each refusal names; phone, e-mail and text
masks at the lengths where they change; scopes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from huikuan.domain.access import Scope, mask_email, mask_phone, mask_text, sees_unmasked
from huikuan.domain.errors import InvalidInput
from huikuan.domain.ledger import Role
from huikuan.domain.parsing import parse_date


@pytest.mark.parametrize(("value", "day"), [
    ("2026-01-05", date(2026, 1, 5)), ("2026-1-05 ", date(2026, 1, 5)), ("2026/01/05", date(2026, 1, 5)),
    ("2026-01-05 08:30:00", date(2026, 1, 5)), ("20260105", date(2026, 1, 5)), ("46027", date(2026, 1, 5)),
    ("1", date(1899, 12, 31)), ("999999", date(4637, 11, 25)), (1, date(1899, 12, 31)),  # Excel's phantom 1900-02-29
    (2_958_465, date(9999, 12, 31)),
    (46027.75, date(2026, 1, 5)), (datetime(2026, 1, 5, 23, 59), date(2026, 1, 5)), (date(2026, 1, 5), date(2026, 1, 5))])
def test_dates(value, day):
    assert parse_date(value) == day


@pytest.mark.parametrize(("value", "code", "named"), [
    ("2026-02-30", "date.invalid", "2026-02-30"),  # looks ISO, is not a date: refused with the text as written
    ("20260230", "date.invalid", "20260230"),
    ("0", "date.invalid", "0"), ("1234567", "date.invalid", "1234567"),  # text serials have at most 6 digits
    (0, "date.invalid", "0"), (2_958_466, "date.invalid", "2958466"), (float("nan"), "date.invalid", "nan"),
    (True, "date.invalid", "True"), (None, "date.invalid", "None"), ([2026], "date.invalid", "[2026]"),
    ("   ", "date.missing", "   "), ("soon", "date.invalid", "soon")])
def test_bad_dates_name_the_value_as_written(value, code, named):
    with pytest.raises(InvalidInput) as e:
        parse_date(value)
    assert (e.value.code, e.value.params) == (code, {"value": named})


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"), ("1234567", "*******"), ("12345678", "123*5678"), ("+86 138-1234-5678", "+86 1**-****-5678"),
    ("", ""), (None, None)])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("zhang@example.com", "z***@example.com"), ("a@b@c.cn", "a***@b@c.cn"), ("nobody", "n****y"), ("", ""),
    (None, None)])
def test_mask_email(value, masked):
    assert mask_email(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("a", "*"), ("ab", "**"), ("abc", "a*c"), ("abcdef", "a****f"), ("abcdefg", "ab***fg"),
    ("110101199003071234", "11**************34"), ("", ""), (None, None)])
def test_mask_text(value, masked):
    assert mask_text(value) == masked


def test_scopes():
    everyone = Scope.all()
    assert everyone.everything is True and everyone.covers(None, None) and everyone.covers("x", "y")
    mine = Scope(False, "张伟", as_collector=True)
    assert mine.covers("张伟", None) and not mine.covers("李娜", "张伟") and not Scope(False).covers(None, None)
    assert sees_unmasked([Role.COLLECTOR], works_customer=True)
    assert not sees_unmasked([Role.COLLECTOR], works_customer=False)
    assert not sees_unmasked([Role.ADMIN], works_customer=True)
    assert not sees_unmasked([Role.AUDITOR, Role.ADMIN], works_customer=True)
