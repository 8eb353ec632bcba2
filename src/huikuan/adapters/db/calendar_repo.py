"""The company's calendar overrides (``calendar_day``) and declared years (``calendar_year``).

Writers never commit: the unit of work does. An override replaces any earlier one for the same day
(delete + insert: portable, and a day has at most one row by ``uq_calendar_day``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, delete, insert, select

from . import tables as t


class SqlCalendarRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def overrides(self, start: date, end: date) -> dict[date, tuple[bool, str | None]]:
        """Override rows for ``start <= day <= end``: day → (is_workday, name)."""
        d = t.calendar_day.c
        rows = self.c.execute(
            select(d.on, d.is_workday, d.name).where(d.company_id == self.cid, d.on >= start, d.on <= end)
        )
        return {on: (bool(w), name) for on, w, name in rows}

    def put_days(self, days: Iterable[tuple[date, bool, str | None]]) -> int:
        rows = [{"company_id": self.cid, "on": on, "is_workday": w, "name": name} for on, w, name in days]
        if not rows:
            return 0
        d = t.calendar_day.c
        on_list = [r["on"] for r in rows]
        for i in range(0, len(on_list), 500):  # bounded IN lists
            self.c.execute(delete(t.calendar_day).where(d.company_id == self.cid, d.on.in_(on_list[i:i + 500])))
        self.c.execute(insert(t.calendar_day), rows)
        return len(rows)

    def declared_years(self) -> dict[int, str]:
        y = t.calendar_year.c
        return {int(year): src for year, src in self.c.execute(
            select(y.year, y.source).where(y.company_id == self.cid))}

    def declare_year(self, year: int, source: str) -> bool:
        """Record ``year`` as declared by the company; False when it already was."""
        if year in self.declared_years():
            return False
        self.c.execute(insert(t.calendar_year).values(company_id=self.cid, year=year, source=source[:60]))
        return True
