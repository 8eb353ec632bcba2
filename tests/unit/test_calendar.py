"""The Chinese working calendar: the real ``chinese-calendar`` data for 2026 (Spring Festival with its
two 调休 Saturdays, National Day), the working-day arithmetic of ``domain/calendar.py`` with
hypothesis properties, unknown years, overrides and declared years; plus the pure parsing and row
validation of ``services/calendar.py``.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.adapters.calendar_cn import ChineseCalendar, package_years
from huikuan.domain.calendar import (
    CachedCalendar,
    WeekendCalendar,
    add_workdays,
    next_workday,
    workdays_between,
)
from huikuan.domain.errors import CalendarUnknown, InvalidInput
from huikuan.services import calendar as svc

CAL = ChineseCalendar()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


# ---- the package's 2026 data, checked against the package and against the published schedule ----

SPRING_FESTIVAL_2026 = days(date(2026, 2, 15), date(2026, 2, 23))
SPRING_SHIFTED_2026 = [date(2026, 2, 14), date(2026, 2, 28)]
NATIONAL_DAY_2026 = days(date(2026, 10, 1), date(2026, 10, 7))
NATIONAL_SHIFTED_2026 = [date(2026, 9, 20), date(2026, 10, 10)]


def test_package_agrees_with_the_2026_schedule_used_below() -> None:
    # If a package release corrected 2026, these tests must be revisited rather than silently pass.
    for d in SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026:
        assert chinese_calendar.is_holiday(d), d
    for d in SPRING_SHIFTED_2026 + NATIONAL_SHIFTED_2026:
        assert chinese_calendar.is_workday(d), d
    assert package_years()[1] == 2026


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026, ids=str)
def test_spring_festival_2026_is_a_holiday(day: date) -> None:
    assert CAL.is_workday(day) is False
    assert CAL.holiday_name(day) == "Spring Festival"


@pytest.mark.parametrize("day", SPRING_SHIFTED_2026 + NATIONAL_SHIFTED_2026, ids=str)
def test_shifted_weekends_are_working_days(day: date) -> None:
    assert day.weekday() >= 5  # a Saturday or Sunday …
    assert CAL.is_workday(day) is True  # … made a working day (调休)
    assert CAL.holiday_name(day) is None


@pytest.mark.parametrize("day", NATIONAL_DAY_2026, ids=str)
def test_national_day_2026_is_a_holiday(day: date) -> None:
    assert CAL.is_workday(day) is False
    assert CAL.holiday_name(day) == "National Day"


def test_ordinary_days_around_the_festival() -> None:
    assert CAL.is_workday(date(2026, 2, 13))  # Friday before
    assert CAL.is_workday(date(2026, 2, 24))  # Tuesday after
    assert not CAL.is_workday(date(2026, 2, 7))  # an ordinary Saturday
    assert not CAL.is_workday(date(2026, 3, 1))  # Sunday after the 调休 Saturday


# ---- arithmetic across the festival ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 2, 13), date(2026, 2, 14), 1),  # the 调休 Saturday counts
        (date(2026, 2, 13), date(2026, 2, 23), 1),  # nine days of festival count nothing
        (date(2026, 2, 13), date(2026, 2, 24), 2),
        (date(2026, 2, 13), date(2026, 3, 2), 7),  # 14, 24..27, 28 (Sat), 2 Mar
        (date(2026, 9, 30), date(2026, 10, 8), 1),
        (date(2026, 9, 18), date(2026, 9, 21), 2),  # Sun 20 Sep is a working day
        (date(2026, 2, 24), date(2026, 2, 13), -2),
        (date(2026, 5, 6), date(2026, 5, 6), 0),
    ],
)
def test_workdays_between(start: date, end: date, expected: int) -> None:
    assert workdays_between(CAL, start, end) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 0, date(2026, 2, 13)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 15), 0, date(2026, 2, 24)),  # n == 0 rolls a holiday forward
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert add_workdays(CAL, start, n) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 15), date(2026, 2, 24)),
        (date(2026, 2, 14), date(2026, 2, 14)),
        (date(2026, 10, 1), date(2026, 10, 8)),
        (date(2026, 11, 21), date(2026, 11, 23)),  # an ordinary weekend
    ],
)
def test_next_workday(day: date, expected: date) -> None:
    assert next_workday(CAL, day) == expected


# ---- properties (kept inside 2024–2026 so no step leaves the package's years) --------------------

PROP_CAL = CachedCalendar(ChineseCalendar())
covered_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 30))


@given(covered_days)
def test_next_workday_is_the_first_working_day_on_or_after(day: date) -> None:
    nxt = next_workday(PROP_CAL, day)
    assert nxt >= day
    assert PROP_CAL.is_workday(nxt)
    assert all(not PROP_CAL.is_workday(d) for d in days(day, nxt - timedelta(1)))


@given(covered_days, st.integers(min_value=1, max_value=20))
def test_add_then_count_gives_n(day: date, n: int) -> None:
    later = add_workdays(PROP_CAL, day, n)
    assert PROP_CAL.is_workday(later)
    assert workdays_between(PROP_CAL, day, later) == n
    assert workdays_between(PROP_CAL, day, later - timedelta(1)) == n - 1  # the n-th, not a later one


@given(covered_days, covered_days, covered_days)
def test_counting_is_additive_and_antisymmetric(a: date, b: date, c: date) -> None:
    ab, bc, ac = (workdays_between(PROP_CAL, x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert workdays_between(PROP_CAL, b, a) == -ab


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 30))
def test_weekend_calendar_never_lands_on_a_weekend(day: date, n: int) -> None:
    assert add_workdays(WeekendCalendar(), day, n).weekday() < 5


# ---- unknown years, overrides, declared years ---------------------------------------------------


def test_a_year_outside_the_package_is_an_error_naming_the_year() -> None:
    with pytest.raises(CalendarUnknown) as exc:
        CAL.is_workday(date(2027, 1, 4))
    assert exc.value.params["year"] == 2027
    assert exc.value.params["day"] == "2027-01-04"
    with pytest.raises(CalendarUnknown):
        add_workdays(CAL, date(2026, 12, 30), 5)  # counting into 2027 is an error too, not a guess


def test_overrides_win_over_the_package() -> None:
    cal = ChineseCalendar({date(2026, 2, 16): True, date(2026, 2, 14): False, date(2026, 3, 2): False})
    assert cal.is_workday(date(2026, 2, 16))  # a festival day the company works
    assert not cal.is_workday(date(2026, 2, 14))  # a 调休 Saturday it does not
    assert not cal.is_workday(date(2026, 3, 2))  # an ordinary Monday off
    assert cal.is_workday(date(2026, 3, 3))  # everything else still from the package
    assert not cal.is_workday(date(2026, 2, 17))
    assert workdays_between(cal, date(2026, 2, 13), date(2026, 2, 24)) == 2  # 16 and 24 Feb


def test_a_declared_year_defaults_to_monday_to_friday() -> None:
    cal = ChineseCalendar({date(2027, 2, 8): False}, declared_years={2027})
    assert cal.is_workday(date(2027, 1, 4))  # Monday
    assert cal.is_workday(date(2027, 1, 8))  # Friday
    assert not cal.is_workday(date(2027, 1, 9))  # Saturday
    assert not cal.is_workday(date(2027, 2, 8))  # Monday, overridden
    assert next_workday(cal, date(2027, 2, 6)) == date(2027, 2, 9)
    with pytest.raises(CalendarUnknown):
        cal.is_workday(date(2028, 1, 3))  # only the declared year


# ---- services/calendar.py: pure parsing and validation ------------------------------------------


@pytest.mark.parametrize(
    ("text", "workday"),
    [("workday", True), ("Workday", True), ("工作日", True), ("调休", True), ("上班", True),
     ("holiday", False), ("休息", False), ("假日", False), ("节假日", False), (" HOLIDAY ", False)],
)
def test_parse_kind(text: str, workday: bool) -> None:
    assert svc.parse_kind(text) is workday


@pytest.mark.parametrize("text", ["", "maybe", "半天", None])
def test_parse_kind_rejects(text: str | None) -> None:
    with pytest.raises(InvalidInput) as exc:
        svc.parse_kind(text)
    assert exc.value.code == "calendar.kind_invalid"


@pytest.mark.parametrize("text", ["2026-01-05", "2026/1/5", "2026年1月5日"])
def test_parse_day_forms(text: str) -> None:
    assert svc.parse_day(text) == date(2026, 1, 5)


@pytest.mark.parametrize("text", ["2026-02-30", "明天", ""])
def test_parse_day_rejects(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        svc.parse_day(text)
    assert exc.value.code == "calendar.date_invalid"
    assert exc.value.params["value"] == text


@pytest.mark.parametrize(("text", "ym"), [("2026-02", (2026, 2)), ("2026/2", (2026, 2)), ("2026年12月", (2026, 12))])
def test_parse_month(text: str, ym: tuple[int, int]) -> None:
    assert svc.parse_month(text) == ym


@pytest.mark.parametrize("text", ["2026-13", "2026", "Feb 2026"])
def test_parse_month_rejects(text: str) -> None:
    with pytest.raises(InvalidInput):
        svc.parse_month(text)


def test_validate_rows_reports_every_bad_row() -> None:
    rows = [
        (2, {"日期": "2027-01-01", "类型": "节假日", "名称": "元旦"}),
        (3, {"日期": "2027-13-01", "类型": "节假日", "名称": ""}),
        (4, {"日期": "2027-01-02", "类型": "半天", "名称": None}),
        (5, {"日期": "2027/1/1", "类型": "休息", "名称": None}),
        (6, {"日期": "坏", "类型": "坏", "名称": "x" * 61}),
    ]
    good, problems = svc.validate_rows("cal.csv", ["日期", "类型", "名称"], rows)
    assert good == [(date(2027, 1, 1), False, "元旦")]
    assert [(p.where, p.code) for p in problems] == [
        ("第 3 行 / row 3, 日期", "calendar.date_invalid"),
        ("第 4 行 / row 4, 类型", "calendar.kind_invalid"),
        ("第 5 行 / row 5, 日期", "calendar.date_duplicate"),
        ("第 6 行 / row 6, 日期", "calendar.date_invalid"),
        ("第 6 行 / row 6, 类型", "calendar.kind_invalid"),
        ("第 6 行 / row 6, 名称", "calendar.name_too_long"),
    ]
    assert problems[2].params == {"value": "2027-01-01", "row": 2}


def test_validate_rows_without_a_header_line() -> None:
    headers = ["2027-01-01", "holiday", "元旦"]
    rows = [(2, {"2027-01-01": "2027-01-02", "holiday": "workday", "元旦": "补班"})]
    good, problems = svc.validate_rows("cal.csv", headers, rows)
    assert problems == []
    assert good == [(date(2027, 1, 1), False, "元旦"), (date(2027, 1, 2), True, "补班")]


def test_validate_rows_needs_date_and_kind_columns() -> None:
    good, problems = svc.validate_rows("x.csv", ["客户", "金额"], [(2, {"客户": "A", "金额": "1"})])
    assert good == []
    assert [(p.where, p.code, p.params) for p in problems] == [
        ("文件 / file", "calendar.file_columns", {"headers": "客户, 金额"})]
