"""What every kind's importer shares: the row checks that collect ``Problem``s with row and column, the
limits on hostile values, and the two-step shape — ``check`` each row into a compact record, then
``write`` them set-based through ``uow.imports`` (adapters/db/import_repo.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ...domain.calendar import WorkCalendar
from ...domain.errors import InvalidInput, Problem
from ...domain.money import normalize_currency
from ...domain.parsing import parse_date
from .report import ImportReport, where

_Date = date  # the type, where a method named ``date`` hides it in a class body

KINDS = ("customers", "contacts", "invoices", "payments", "credit-notes", "orders", "deliveries")
# The column that names a row; a row without it but with 合计/小计 in some cell is a total row.
KEY_COLUMN = {"customers": "customer_code", "contacts": "name", "invoices": "invoice_no",
              "payments": "payment_no", "credit-notes": "credit_note_no", "orders": "order_no",
              "deliveries": "delivery_no"}
# Longest text accepted per column (a 10 MB customer name is refused, not stored); others: _MAX_TEXT.
MAX_LENGTH = {"customer_code": 64, "invoice_no": 64, "payment_no": 64, "credit_note_no": 64, "name": 200}
_MAX_TEXT = 1000
_MAX_VALUE = 200  # a date, amount, yes/no or code is never longer


def text_of(v: object) -> str:
    """A cell as stripped text ('' when empty); integral numbers from a spreadsheet lose their ``.0``."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def is_given(v: object) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


class Importer:
    """Validates rows into compact records (``check``) then writes them set-based (``write``)."""

    def __init__(self, app: Any, uow: Any, source: str, columns: dict[str, str],
                 cal: WorkCalendar | None) -> None:
        self.app, self.uow, self.source, self.col, self.cal = app, uow, source, columns, cal
        self.company_id = uow.company_id
        self.repo = uow.imports  # one repository for the import: it remembers each date's driver value
        self.only_new = False
        self.today: _Date = app.clock.today()
        self.currency: str = app.settings.currency
        years = app.settings.import_date_window_years
        span = timedelta(days=round(365.25 * years))
        self.window = (self.today - span, self.today + span)
        self.placeholders: dict[int, str] = {}  # placeholder id → code of a customer written earlier in the import
        self._found: list[Problem] = []
        self._dates: dict[object, _Date] = {}
        self._currencies: dict[str, str] = {}

    # Helpers collecting problems for the row being checked.
    def problem(self, n: int, column: str | None, code: str, **params: Any) -> None:
        written = self.col.get(column, column) if column else None
        if written:
            params.setdefault("column", written)
        params.setdefault("row", n)
        self._found.append(Problem(self.source, where(n, written), code, params))

    def raw(self, row: dict[str, object], column: str) -> object:
        h = self.col.get(column)
        return None if h is None else row.get(h)

    def text(self, row: dict[str, object], column: str, n: int, required: bool = False) -> str:
        value = text_of(self.raw(row, column))
        if required and not value:
            self.problem(n, column, "value.missing", value="")
        limit = MAX_LENGTH.get(column, _MAX_TEXT)
        if len(value) > limit:
            self.problem(n, column, "value.too_long", value=value[:20] + "…", length=len(value), limit=limit)
            return ""
        return value

    def parse(self, row: dict[str, object], column: str, n: int, fn: Callable[..., Any], *args: Any,
              required: bool = False) -> Any:
        value = self.raw(row, column)
        if not is_given(value):
            if required:
                self.problem(n, column, "value.missing", value="")
            return None
        if isinstance(value, str) and len(value) > _MAX_VALUE:
            self.problem(n, column, "value.too_long", value=value[:20] + "…", length=len(value),
                         limit=_MAX_VALUE)
            return None
        try:
            return fn(value, *args)
        except InvalidInput as e:
            params = dict(e.params)
            params["value"] = text_of(value)
            self.problem(n, column, e.code, **params)
            return None

    def date(self, row: dict[str, object], column: str, n: int, required: bool = False) -> _Date | None:
        value = self.raw(row, column)
        if isinstance(value, str | int | float):
            hit = self._dates.get(value)
            if hit is not None:
                return hit
        d: _Date | None = self.parse(row, column, n, parse_date, required=required)
        if d is not None and not self.window[0] <= d <= self.window[1]:
            self.problem(n, column, "date.out_of_window", value=text_of(value), first=self.window[0].isoformat(),
                         last=self.window[1].isoformat(), years=self.app.settings.import_date_window_years)
            return None
        if d is not None and isinstance(value, str | int | float):
            self._dates[value] = d
        return d

    def currency_of(self, row: dict[str, object], n: int, default: str) -> str | None:
        raw = self.raw(row, "currency")
        if not is_given(raw):
            return default
        code: str | None = self.parse(row, "currency", n, normalize_currency)
        if code is not None and isinstance(raw, str):
            self._currencies[raw] = code
        return code

    def duplicate(self, seen: dict[Any, int], key: Any, n: int, column: str, value: str) -> bool:
        first = seen.get(key)
        if first is not None:
            self.problem(n, column, "import.duplicate_number", value=value, first_row=first)
            return True
        seen[key] = n
        return False

    def customers(self) -> dict[str, tuple[int, str, str]]:
        """code → (id, terms text, currency)."""
        return dict(self.repo.customer_terms())

    def customer_id(self, row: dict[str, object], n: int, known: dict[str, tuple[int, str, str]]) -> int | None:
        code = self.text(row, "customer_code", n, required=True)
        if not code:
            return None
        hit = known.get(code)
        if hit is None:
            self.problem(n, "customer_code", "customer.unknown", value=code)
            return None
        return hit[0]

    # A ledger export checks all its kinds before it writes any (ADR 0007): the customers it will create
    # are made known to the later kinds' checks under placeholder ids (negative), which their ``write``
    # replaces with the real ids once the customers are written.
    def expect_customers(self, new: dict[str, tuple[int, str, str]]) -> None:
        """code → (placeholder id, terms text, currency) of customers this import writes before this kind."""
        self.placeholders = {v[0]: code for code, v in new.items()}

    def real_customer_ids(self) -> dict[int, int]:
        """placeholder id → the id of the customer written since (empty when nothing was expected)."""
        if not self.placeholders:
            return {}
        now = self.repo.customer_terms()
        return {pid: now[code][0] for pid, code in self.placeholders.items()}

    def check(self, n: int, row: dict[str, object]) -> list[Problem]:
        self._found = []
        self.check_row(n, row)
        return self._found

    def check_row(self, n: int, row: dict[str, object]) -> None:
        raise NotImplementedError

    def write(self, report: ImportReport) -> None:
        raise NotImplementedError
