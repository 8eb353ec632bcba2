"""Calendar management: the company's own working days on top of the statutory calendar (ADR 0005).

- ``set_day``: make one day a working day or a holiday, with a name (``春节``, ``公司年会``).
- ``import_days``: rows of ``date, kind, name`` from a file; every bad row is reported and nothing
  is written unless all rows are good.
- ``month``: each day of a month with its status and where that status comes from.

Where a day's status comes from, in order (the same order as ``adapters/calendar_cn.py``):
an override row (``override``); else, in a year the company has declared, Monday–Friday
(``weekday``); else the ``chinese-calendar`` package (``package``); else ``unknown`` — an error
wherever a working-day count is needed.

Declaring a year: setting or importing any day of a year the package does not cover records that
year in ``calendar_year``, so its remaining days default to Monday–Friday instead of raising
``CalendarUnknown``. A year the package covers is not declared: declaring it would replace the
statutory holidays and 调休 Saturdays of that year by a plain Monday–Friday week.
"""

from __future__ import annotations

import calendar as _cal
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import TracebackType
from typing import Protocol

from ..domain.errors import CalendarUnknown, ImportRejected, InvalidInput, Problem
from ..domain.parsing import normalize_header, parse_date

# ---- ports --------------------------------------------------------------------------------------


class HolidaySource(Protocol):
    """The statutory calendar alone (the ``chinese-calendar`` package), without company overrides."""

    def is_workday(self, day: date) -> bool:
        """Raises ``CalendarUnknown`` for a year the source does not cover."""
        ...

    def holiday_name(self, day: date) -> str | None: ...


class CalendarRepo(Protocol):
    def overrides(self, start: date, end: date) -> dict[date, tuple[bool, str | None]]: ...
    def put_days(self, days: Iterable[tuple[date, bool, str | None]]) -> int: ...
    def declared_years(self) -> dict[int, str]: ...
    def declare_year(self, year: int, source: str) -> bool: ...


class CalendarUnitOfWork(Protocol):
    @property
    def calendar(self) -> CalendarRepo: ...
    def commit(self) -> None: ...
    def __enter__(self) -> CalendarUnitOfWork: ...
    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None: ...


# ---- values -------------------------------------------------------------------------------------


class Source(StrEnum):
    OVERRIDE = "override"
    WEEKDAY_RULE = "weekday"
    PACKAGE = "package"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class DayStatus:
    day: date
    is_workday: bool | None  # None: no source knows this day
    source: Source
    name: str | None  # holiday name (package names are English, e.g. "Spring Festival")

    @property
    def is_shifted_workday(self) -> bool:
        """A Saturday or Sunday made a working day (调休)."""
        return bool(self.is_workday) and self.day.weekday() >= 5


@dataclass(frozen=True, slots=True)
class ImportSummary:
    days: int
    workdays: int
    holidays: int
    declared_years: tuple[int, ...]  # years newly declared by this import


# Kinds as people write them. 调休 in a calendar file means the shifted *working* day (调休上班).
KINDS: dict[str, bool] = {
    "workday": True, "work": True, "working": True, "工作日": True, "调休": True, "上班": True, "班": True,
    "调休上班": True,
    "holiday": False, "off": False, "rest": False, "休息": False, "假日": False, "节假日": False,
    "休": False, "放假": False, "假期": False,
}
NAME_MAX = 60  # calendar_day.name
MAX_PROBLEMS = 1000  # a wrong file (say, an invoice export) should not produce a million problems

HEADERS = {
    "date": ("date", "日期", "day", "on"),
    "kind": ("kind", "类型", "性质", "type", "status", "状态"),
    "name": ("name", "名称", "节日", "说明", "备注", "holiday"),
}


def parse_kind(value: object) -> bool:
    """True for a working day, False for a holiday; ``InvalidInput`` ``calendar.kind_invalid``."""
    text = normalize_header(value) if value is not None else ""
    hit = KINDS.get(text)
    if hit is None:
        raise InvalidInput("calendar.kind_invalid", value="" if value is None else str(value),
                           allowed="workday / holiday / 工作日 / 调休 / 上班 / 休息 / 假日 / 节假日")
    return hit


_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


def parse_month(text: str) -> tuple[int, int]:
    """``2026-02``, ``2026/2`` or ``2026年2月`` → (2026, 2)."""
    m = _MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput("calendar.month_invalid", value=text)
    return int(m.group(1)), int(m.group(2))


def parse_day(value: object) -> date:
    try:
        return parse_date(value)
    except InvalidInput as e:
        raise InvalidInput("calendar.date_invalid", value="" if value is None else str(value)) from e


def _clean_name(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _covered(holidays: HolidaySource, year: int) -> bool:
    try:
        holidays.is_workday(date(year, 1, 1))
    except CalendarUnknown:
        return False
    return True


def _declare(uow: CalendarUnitOfWork, holidays: HolidaySource, years: Iterable[int], source: str) -> tuple[int, ...]:
    declared = []
    for year in sorted(set(years)):
        if not _covered(holidays, year) and uow.calendar.declare_year(year, source):
            declared.append(year)
    return tuple(declared)


# ---- use cases ----------------------------------------------------------------------------------


def set_day(uow: CalendarUnitOfWork, holidays: HolidaySource, day: date, kind: str | bool,
            name: str | None = None) -> tuple[bool, tuple[int, ...]]:
    """Override one day. Returns (is_workday, years newly declared)."""
    is_workday = kind if isinstance(kind, bool) else parse_kind(kind)
    name = _clean_name(name)
    if name is not None and len(name) > NAME_MAX:
        raise InvalidInput("calendar.name_too_long", value=name, max=NAME_MAX)
    with uow:
        uow.calendar.put_days([(day, is_workday, name)])
        declared = _declare(uow, holidays, [day.year], "set")
        uow.commit()
    return is_workday, declared


def _columns(headers: list[str]) -> tuple[dict[str, str], bool]:
    """Map the file's headers to date/kind/name. (mapping, header row is data: a file without header)."""
    index = {normalize_header(alias): canon for canon, aliases in HEADERS.items() for alias in aliases}
    mapping: dict[str, str] = {}
    for h in headers:
        canon = index.get(normalize_header(h))
        if canon is not None and canon not in mapping.values():
            mapping[h] = canon
    if "date" in mapping.values() and "kind" in mapping.values():
        return mapping, False
    # No recognisable header but a date where it would be: a file without a header line; take the
    # columns by position and read the first line as data. Anything else is the wrong file.
    try:
        parse_date(headers[0] if headers else "")
    except InvalidInput:
        return {}, False
    return {h: canon for h, canon in zip(headers, ("date", "kind", "name"), strict=False)}, True


def validate_rows(source: str, headers: list[str], rows: Iterable[tuple[int, dict[str, object]]]
                  ) -> tuple[list[tuple[date, bool, str | None]], list[Problem]]:
    """Check every row; returns the good days and every problem found (row and column named)."""
    mapping, header_is_data = _columns(headers)
    by_canon = {canon: h for h, canon in mapping.items()}
    if "date" not in by_canon or "kind" not in by_canon:
        return [], [Problem(source, "文件 / file", "calendar.file_columns", {"headers": ", ".join(headers)})]

    def stream() -> Iterator[tuple[int, dict[str, object]]]:
        if header_is_data:
            yield 1, {h: h for h in headers}
        yield from rows

    good: list[tuple[date, bool, str | None]] = []
    problems: list[Problem] = []
    first_row: dict[date, int] = {}
    for n, raw in stream():
        if len(problems) >= MAX_PROBLEMS:
            break
        row_problems = []

        def where(col: str, n: int = n) -> str:
            column = col if header_is_data else by_canon.get(col, col)
            return f"第 {n} 行 / row {n}, {column}"

        day: date | None = None
        is_workday: bool | None = None
        try:
            day = parse_day(raw.get(by_canon["date"]))
        except InvalidInput as e:
            row_problems.append(Problem(source, where("date"), e.code, e.params))
        try:
            is_workday = parse_kind(raw.get(by_canon["kind"]))
        except InvalidInput as e:
            row_problems.append(Problem(source, where("kind"), e.code, e.params))
        name = _clean_name(raw.get(by_canon["name"])) if "name" in by_canon else None
        if name is not None and len(name) > NAME_MAX:
            row_problems.append(Problem(source, where("name"), "calendar.name_too_long",
                                        {"value": name, "max": NAME_MAX}))
        if day is not None:
            if day in first_row:
                row_problems.append(Problem(source, where("date"), "calendar.date_duplicate",
                                            {"value": day.isoformat(), "row": first_row[day]}))
            else:
                first_row[day] = n
        if row_problems or day is None or is_workday is None:
            problems.extend(row_problems)
        else:
            good.append((day, is_workday, name))
    if not good and not problems:
        problems.append(Problem(source, "文件 / file", "calendar.file_empty", {}))
    return good, problems


def import_days(uow: CalendarUnitOfWork, holidays: HolidaySource, source: str, headers: list[str],
                rows: Iterable[tuple[int, dict[str, object]]]) -> ImportSummary:
    """All rows or none: ``ImportRejected`` with every problem, else the days written in one transaction."""
    good, problems = validate_rows(source, headers, rows)
    if problems:
        raise ImportRejected(problems)
    with uow:
        uow.calendar.put_days(good)
        declared = _declare(uow, holidays, (d.year for d, _w, _n in good), f"import {source}")
        uow.commit()
    workdays = sum(1 for _d, w, _n in good if w)
    return ImportSummary(len(good), workdays, len(good) - workdays, declared)


def month(uow: CalendarUnitOfWork, holidays: HolidaySource, year: int, month_: int) -> list[DayStatus]:
    """Every day of the month with its status and source."""
    last = _cal.monthrange(year, month_)[1]
    start, end = date(year, month_, 1), date(year, month_, last)
    with uow:
        overrides = uow.calendar.overrides(start, end)
        declared = year in uow.calendar.declared_years()
    out = []
    for dnum in range(1, last + 1):
        day = date(year, month_, dnum)
        if day in overrides:
            w, name = overrides[day]
            out.append(DayStatus(day, w, Source.OVERRIDE, name or holidays.holiday_name(day)))
        elif declared:
            out.append(DayStatus(day, day.weekday() < 5, Source.WEEKDAY_RULE, None))
        else:
            try:
                w = holidays.is_workday(day)
            except CalendarUnknown:
                out.append(DayStatus(day, None, Source.UNKNOWN, None))
                continue
            out.append(DayStatus(day, w, Source.PACKAGE, holidays.holiday_name(day)))
    return out


# ---- next year ----------------------------------------------------------------------------------

# The State Council publishes next year's holidays and 调休 working days in the autumn (usually
# November); from the 1st of this month on, a run and `calendar show` warn while next year is unknown.
WARN_FROM_MONTH = 11


def unknown_next_year(calendar: HolidaySource, today: date) -> int | None:
    """Next year, from 1 November on, when ``calendar`` (the package plus the company's own declared
    years) does not know it yet; else None. The run refuses days of an unknown year, so customers with
    money due in January would be listed as run errors from late December on."""
    if today.month < WARN_FROM_MONTH:
        return None
    year = today.year + 1
    return None if _covered(calendar, year) else year
