"""The Chinese working calendar: the ``chinese-calendar`` package's statutory holidays and 调休
working weekends, overlaid by the company's override table (``huikuan calendar set|import``).

Order of precedence for a day: an override row; else, for a year the admin has declared (any
override imported for it), Monday–Friday; else the package; else ``CalendarUnknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type information

from ..domain.errors import CalendarUnknown


class ChineseCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None, declared_years: set[int] | None = None):
        self._overrides = dict(overrides or {})
        self._declared = set(declared_years or ())
        self._cache: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        v = self._cache.get(day)
        if v is not None:
            return v
        if day in self._overrides:
            v = self._overrides[day]
        elif day.year in self._declared:
            v = day.weekday() < 5
        else:
            try:
                v = bool(chinese_calendar.is_workday(day))
            except NotImplementedError as e:
                raise CalendarUnknown(year=day.year, day=day.isoformat()) from e
        self._cache[day] = v
        return v

    def holiday_name(self, day: date) -> str | None:
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        return name if on_holiday and name else None


def package_years() -> tuple[int, int]:
    """The years the installed ``chinese-calendar`` covers (inclusive)."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return years[0], years[-1]
