"""The working calendar protocol and the pure date arithmetic built on it.

China's calendar has statutory holidays and 调休 (weekends made working days); it is data, supplied
by an adapter (``adapters/calendar_cn.py``). A date in a year no source covers raises
``CalendarUnknown``: a silent guess would move due dates and reminders without anyone noticing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol


class WorkCalendar(Protocol):
    def is_workday(self, day: date) -> bool:
        """True on a working day; raises CalendarUnknown for a year the calendar does not cover."""
        ...


def next_workday(cal: WorkCalendar, day: date) -> date:
    """``day`` itself when it is a working day, else the next working day."""
    while not cal.is_workday(day):
        day += timedelta(days=1)
    return day


def workdays_between(cal: WorkCalendar, start: date, end: date) -> int:
    """Working days in the half-open interval (start, end]; negative when end < start."""
    if end == start:
        return 0
    if end < start:
        return -workdays_between(cal, end, start)
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        if cal.is_workday(d):
            n += 1
    return n


def add_workdays(cal: WorkCalendar, start: date, n: int) -> date:
    """The n-th working day after ``start`` (n >= 0; n == 0 gives ``start`` rolled forward)."""
    d = start
    if n == 0:
        return next_workday(cal, d)
    while n > 0:
        d += timedelta(days=1)
        if cal.is_workday(d):
            n -= 1
    return d


class WeekendCalendar:
    """Monday–Friday working week, no holidays: for tests and for non-Chinese profiles."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


class CachedCalendar:
    """Memoises another calendar; the daily run asks about the same few hundred days millions of times."""

    def __init__(self, inner: WorkCalendar) -> None:
        self._inner = inner
        self._cache: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        v = self._cache.get(day)
        if v is None:
            v = self._cache[day] = self._inner.is_workday(day)
        return v
