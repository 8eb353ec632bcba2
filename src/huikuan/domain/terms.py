"""Payment terms and due dates.

Terms are a closed union handled with ``match``:

- ``Cash``             现款: due on the invoice date.
- ``NetDays(n)``       账期 N 天: due n calendar days after the invoice date.
- ``MonthEnd(n)``      月结 N: due n days after the end of the invoice's month.
- ``DayOfMonth(d)``    每月 d 日结款: due on day d of the month after the invoice's month
                       (the settlement run that follows the month's statement; day 31 means the
                       month's last day).

送二结一 (deliver two, settle one) is a customer flag, not a term: it constrains deliveries at
the order desk, not the due date.
"""

from __future__ import annotations

import calendar as _cal
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import WorkCalendar, next_workday
from .errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Cash:
    def text(self) -> str:
        return "cash"


@dataclass(frozen=True, slots=True)
class NetDays:
    days: int

    def text(self) -> str:
        return f"net {self.days}"


@dataclass(frozen=True, slots=True)
class MonthEnd:
    days: int = 0

    def text(self) -> str:
        return f"eom {self.days}"


@dataclass(frozen=True, slots=True)
class DayOfMonth:
    day: int

    def text(self) -> str:
        return f"day {self.day}"


Terms = Cash | NetDays | MonthEnd | DayOfMonth

_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Terms]]] = [
    (re.compile(r"^(现款|现金|款到发货|cash|cod)$", re.I), lambda m: Cash()),
    (re.compile(r"^(?:账期|帐期)?(\d+)天?$"), lambda m: NetDays(int(m.group(1)))),
    (re.compile(r"^(?:账期|帐期)(\d+)(?:天|日)?$"), lambda m: NetDays(int(m.group(1)))),
    (re.compile(r"^net\s*(\d+)$", re.I), lambda m: NetDays(int(m.group(1)))),
    (re.compile(r"^月结(\d+)?(?:天|日)?$"), lambda m: MonthEnd(int(m.group(1) or 0))),
    (re.compile(r"^eom\s*(\d+)?$", re.I), lambda m: MonthEnd(int(m.group(1) or 0))),
    (re.compile(r"^每月(\d+)(?:日|号)(?:结|结款|付款)?$"), lambda m: DayOfMonth(int(m.group(1)))),
    (re.compile(r"^day\s*(\d+)$", re.I), lambda m: DayOfMonth(int(m.group(1)))),
]


def parse_terms(text: str) -> Terms:
    """``现款``/``cash``, ``账期30天``/``net 30``, ``月结30``/``eom 30``, ``每月25日结``/``day 25``."""
    t = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "").strip())
    t = re.sub(r"(?<=[\u4e00-\u9fff]) | (?=[\u4e00-\u9fff])", "", t)  # 月结 30 → 月结30
    for pat, make in _PATTERNS:
        m = pat.match(t)
        if m:
            terms = make(m)
            _validate(terms, text)
            return terms
    raise InvalidInput("terms.invalid", value=text)


def _validate(terms: Terms, raw: str) -> None:
    match terms:
        case NetDays(days) | MonthEnd(days) if not 0 <= days <= 365:
            raise InvalidInput("terms.days_out_of_range", value=raw)
        case DayOfMonth(day) if not 1 <= day <= 31:
            raise InvalidInput("terms.day_out_of_range", value=raw)
        case _:
            return


def month_end(d: date) -> date:
    return d.replace(day=_cal.monthrange(d.year, d.month)[1])


def due_date(invoice_date: date, terms: Terms, cal: WorkCalendar | None = None) -> date:
    """Contractual due date; rolled to the next Chinese working day when ``cal`` is given."""
    match terms:
        case Cash():
            due = invoice_date
        case NetDays(days):
            due = invoice_date + timedelta(days=days)
        case MonthEnd(days):
            due = month_end(invoice_date) + timedelta(days=days)
        case DayOfMonth(day):
            first_next = month_end(invoice_date) + timedelta(days=1)
            last = _cal.monthrange(first_next.year, first_next.month)[1]
            due = first_next.replace(day=min(day, last))
    return next_workday(cal, due) if cal is not None else due


def is_month_end_terms(terms: Terms) -> bool:
    """月结 customers get the policy's grace (seed 002: up to 10 days past terms is a normal delay)."""
    return isinstance(terms, MonthEnd | DayOfMonth)
