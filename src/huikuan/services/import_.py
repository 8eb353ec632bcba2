"""Import customers, contacts, invoices, payments and credit notes from files or row streams.

The contract (docs/imports.md):

1. **Validate everything first.** Every row is checked and every problem collected as a
   ``Problem(source, where="第 N 行 / row N, 列 <column>", code, params)``; with any problem the
   import raises ``ImportRejected(problems)`` and writes nothing. ``skip_invalid=True`` imports the
   good rows instead and (for files) writes the bad ones, with a reason column, to a rejects file.
2. **Upsert by external number** (customer code, invoice/payment/credit-note number, contact by
   customer + name): importing the same file twice changes nothing the second time; the report
   counts inserted / updated / unchanged rows.
3. **One transaction** for the whole import. Existing rows are pre-loaded into dicts once, rows
   are parsed through fast paths, and writes go through driver-level ``executemany`` in batches of
   5,000 — no query per row, which is what lets a million invoices load in seconds.

Money posting (payments, credit notes, credit applied to new invoices) goes through
``services.ledger`` so the open-amount invariants hold exactly as for a single CLI payment.

Unknown columns are ignored with a warning; an empty cell means "not given" (the default on
insert, unchanged on update).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import i18n
from ..adapters.db import tables as t
from ..adapters.db.ledger_repo import ALLOCATION_SQL, executemany, sql_date
from ..domain.calendar import WorkCalendar
from ..domain.credit import check_bill
from ..domain.errors import CalendarUnknown, ImportRejected, InvalidInput, Problem
from ..domain.ledger import PaymentMethod
from ..domain.money import exponent, format_minor, normalize_currency
from ..domain.parsing import (
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    parse_amount,
    parse_bool,
    parse_contact_role,
    parse_customer_type,
    parse_date,
    parse_email,
    parse_payment_method,
    parse_positive_amount,
    resolve_headers,
    strip_controls,
    total_row_kind,
)
from ..domain.terms import Terms, due_date, parse_terms
from .ledger import OpenBook, allocation_rows, apply_unapplied_credit, disputed_sums
from .ports import NoProgress, ProgressSink

_Date = date  # the type, where a method named ``date`` hides it in a class body
_PLAIN_AMOUNT = re.compile(r"^(\d{1,13})(?:\.(\d{1,2}))?$")  # below MAX_MAJOR
_TWO_DECIMALS = frozenset(c for c in ("CNY", "USD", "EUR", "HKD", "GBP", "TWD", "SGD") if exponent(c) == 2)

KINDS = ("customers", "contacts", "invoices", "payments", "credit-notes", "orders", "deliveries")
# The column that names a row; a row without it but with 合计/小计 in some cell is a total row.
KEY_COLUMN = {"customers": "customer_code", "contacts": "name", "invoices": "invoice_no",
              "payments": "payment_no", "credit-notes": "credit_note_no", "orders": "order_no",
              "deliveries": "delivery_no"}
# Longest text accepted per column (a 10 MB customer name is refused, not stored); others: _MAX_TEXT.
MAX_LENGTH = {"customer_code": 64, "invoice_no": 64, "payment_no": 64, "credit_note_no": 64, "name": 200}
_MAX_TEXT = 1000
_MAX_VALUE = 200  # a date, amount, yes/no or code is never longer
HEADER_WHERE = "表头 / header"
_TICK = 5000


@dataclass
class ImportReport:
    kind: str
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the rejected rows' problems (skip_invalid)
    rejects_path: str | None = None
    applied_credit_minor: int = 0  # unapplied customer credit used on the imported invoices
    unapplied_minor: int = 0  # payments/credit notes: money that found no open invoice
    skipped: dict[str, int] = field(default_factory=dict)  # rows skipped by kind: total, subtotal, …
    profile: str | None = None  # the layout profile the file was read with (import_profiles.py)
    fit: float | None = None  # how well it fitted, 0–1

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = [_problem_dict(p, lang) for p in self.warnings]
        d["problems"] = [_problem_dict(p, lang) for p in self.problems]
        return d


def refused_dict(kind: str, source: str, problems: list[Problem], lang: str = "en") -> dict[str, Any]:
    """The JSON report of a refused file: the counts of ``ImportReport`` (all 0) plus every problem."""
    d = ImportReport(kind, source).as_dict(lang)
    d["refused"] = True
    d["problems"] = [_problem_dict(p, lang) for p in problems]
    return d


def _problem_dict(p: Problem, lang: str) -> dict[str, Any]:
    return {"source": p.source, "where": p.where, "code": p.code,
            "params": {k: str(v) for k, v in p.params.items()}, "message": i18n.problem_text(p, lang)}


def where(row: int, column: str | None = None) -> str:
    return f"第 {row} 行 / row {row}, 列 {column}" if column else f"第 {row} 行 / row {row}"


def _text(v: object) -> str:
    """A cell as stripped text ('' when empty); integral numbers from a spreadsheet lose their ``.0``."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _given(v: object) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


# ---- public entry points -----------------------------------------------------------------------

def import_file(app: Any, kind: str, path: str | Path, *, skip_invalid: bool = False,
                rejects_path: str | Path | None = None, progress: ProgressSink | None = None) -> ImportReport:
    """Import a ``.csv`` or ``.xlsx`` file of ``kind``; see the module docstring for the contract."""
    _check_kind(kind)
    path = Path(path)
    with app.files.open_table(path, is_header=lambda cells: _looks_like_header(kind, cells)) as table:
        report, rejects = _run(app, kind, table.source, table.headers, table.rows, table.total, skip_invalid,
                               progress)
    if rejects:
        target = Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
        lang = app.settings.lang
        app.files.write_rejects(target, table.headers,
                      ((row, "; ".join(_reason(p, lang) for p in ps)) for row, ps in rejects),
                      i18n.t("import.rejects.reason_column", lang))
        report.rejects_path = str(target)
    return report


def import_rows(app: Any, kind: str, rows: Iterable[dict[str, object]], *, source: str = "rows",
                skip_invalid: bool = False, progress: ProgressSink | None = None) -> ImportReport:
    """Import dicts keyed by column names (canonical or aliases); row numbers start at 2 like a sheet.

    The columns are the union of the keys of a list or tuple (a row may omit optional ones), or the
    keys of the first row of any other iterable (which is streamed, never held in memory).
    """
    _check_kind(kind)
    it = iter(rows)
    first = next(it, None)
    if first is None:
        raise ImportRejected([Problem(source, "文件 / file", "file.no_data_rows", {})])
    headers = list(first.keys())
    if isinstance(rows, list | tuple):
        seen = set(headers)
        for r in rows:
            for k in r:
                if k not in seen:
                    seen.add(k)
                    headers.append(k)
    numbered = ((n, r) for n, r in enumerate(chain([first], it), start=2))
    total = len(rows) if isinstance(rows, list | tuple) else None
    report, _ = _run(app, kind, source, headers, _clean_rows(numbered), total, skip_invalid, progress)
    return report


def _keyless(key: object) -> bool:
    """A row's number is missing, blank, or a total marker itself (合计 in the number column)."""
    text = _text(key)
    return not text or total_row_kind(text) is not None


def _clean_rows(rows: Iterable[tuple[int, dict[str, object]]]) -> Iterator[tuple[int, dict[str, object]]]:
    """Rows given as dicts (``import_rows``) without control characters (files are cleaned as read)."""
    for n, row in rows:
        for h, v in row.items():
            if type(v) is str and not v.isprintable():
                row[h] = strip_controls(v)
        yield n, row


def _total_row(row: dict[str, object]) -> str | None:
    """The kind of total row (``subtotal``, ``total`` …) when a cell of a row without a number says so."""
    for v in row.values():
        if type(v) is str and v:
            kind = total_row_kind(v)
            if kind is not None:
                return kind
    return None


def _looks_like_header(kind: str, cells: list[str]) -> bool:
    """A row naming at least two of the kind's columns (not an ERP export's title row)."""
    return len(resolve_headers(kind, cells)[0]) >= 2


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("import.unknown_kind", value=kind, allowed=", ".join(KINDS))


def _reason(p: Problem, lang: str) -> str:
    column = p.params.get("column")
    text = i18n.problem_text(p, lang)
    return f"{column}: {text}" if column else text


def _header_problems(kind: str, source: str, headers: list[str]) -> tuple[dict[str, str], list[Problem],
                                                                            list[Problem]]:
    mapping, unknown, dupes = resolve_headers(kind, headers)
    warnings = [Problem(source, HEADER_WHERE, "import.unknown_column", {"column": h}) for h in unknown]
    problems = [Problem(source, HEADER_WHERE, "import.duplicate_column", {"column": c}) for c in dupes]
    columns = {canonical: written for written, canonical in mapping.items()}
    for req in REQUIRED_COLUMNS[kind]:
        if req not in columns:
            aliases = "、".join(HEADER_ALIASES[kind][req][:3])
            problems.append(Problem(source, HEADER_WHERE, "import.missing_column",
                                    {"column": req, "aliases": aliases}))
    return columns, warnings, problems


def _run(app: Any, kind: str, source: str, headers: list[str], rows: Iterable[tuple[int, dict[str, object]]],
         total: int | None, skip_invalid: bool, progress: ProgressSink | None,
         ) -> tuple[ImportReport, list[tuple[dict[str, object], list[Problem]]]]:
    with app.uow() as uow:
        out = run_in(app, uow, kind, source, headers, rows, total, skip_invalid, progress)
        uow.commit()
    return out


def run_in(app: Any, uow: Any, kind: str, source: str, headers: list[str],
           rows: Iterable[tuple[int, dict[str, object]]], total: int | None = None, skip_invalid: bool = False,
           progress: ProgressSink | None = None, only_new: bool = False,
           ) -> tuple[ImportReport, list[tuple[dict[str, object], list[Problem]]]]:
    """Validate then write ``rows`` of ``kind`` inside the caller's unit of work (no commit): several
    kinds from one file (a ledger export) land together or not at all. ``only_new`` leaves existing
    rows as they are (customers a ledger export creates)."""
    progress = progress or NoProgress()
    columns, warnings, file_problems = _header_problems(kind, source, headers)
    if file_problems:
        raise ImportRejected(file_problems)
    report = ImportReport(kind, source, warnings=warnings)
    skipped = report.skipped
    key_header = columns.get(KEY_COLUMN[kind])
    lang = app.settings.lang
    cal = app.calendar() if kind == "invoices" and app.settings.roll_due_to_workday else None
    rejects: list[tuple[dict[str, object], list[Problem]]] = []
    all_problems: list[Problem] = []
    importer = IMPORTERS[kind](app, uow, source, columns, cal)
    importer.only_new = only_new
    progress.start(i18n.t("import.progress.validate", lang, source=source), total)
    pending = 0
    for n, row in rows:
        # A total row has no number of its own (or 合计 in its place); checked only for a row
        # without a number or with problems, so the common row pays one dict lookup.
        key = row.get(key_header) if key_header else None
        if not key and (total_kind := _total_row(row)) is not None:
            skipped[total_kind] = skipped.get(total_kind, 0) + 1
            continue
        found = importer.check(n, row)
        if found and _keyless(key) and (total_kind := _total_row(row)) is not None:
            skipped[total_kind] = skipped.get(total_kind, 0) + 1
            continue
        report.rows += 1
        if found:
            all_problems.extend(found)
            if skip_invalid:
                rejects.append((row, found))
        pending += 1
        if pending == _TICK:
            progress.advance(pending)
            pending = 0
    progress.advance(pending)
    progress.finish()
    if all_problems and not skip_invalid:
        raise ImportRejected(all_problems)
    report.rejected = len(rejects)
    report.problems = all_problems
    progress.start(i18n.t("import.progress.write", lang, source=source), None)
    importer.write(report)
    progress.finish()
    return report, rejects


# ---- importers --------------------------------------------------------------------------------

class _Importer:
    """Validates rows into compact records (``check``) then writes them set-based (``write``)."""

    def __init__(self, app: Any, uow: Any, source: str, columns: dict[str, str],
                 cal: WorkCalendar | None) -> None:
        self.app, self.uow, self.source, self.col, self.cal = app, uow, source, columns, cal
        self.company_id = uow.company_id
        self.only_new = False
        self.today: date = app.clock.today()
        self.currency: str = app.settings.currency
        years = app.settings.import_date_window_years
        span = timedelta(days=round(365.25 * years))
        self.window = (self.today - span, self.today + span)
        self._found: list[Problem] = []
        self._dates: dict[object, date] = {}
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
        value = _text(self.raw(row, column))
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
        if not _given(value):
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
            params["value"] = _text(value)
            self.problem(n, column, e.code, **params)
            return None

    def date(self, row: dict[str, object], column: str, n: int, required: bool = False) -> date | None:
        value = self.raw(row, column)
        if isinstance(value, str | int | float):
            hit = self._dates.get(value)
            if hit is not None:
                return hit
        d: date | None = self.parse(row, column, n, parse_date, required=required)
        if d is not None and not self.window[0] <= d <= self.window[1]:
            self.problem(n, column, "date.out_of_window", value=_text(value), first=self.window[0].isoformat(),
                         last=self.window[1].isoformat(), years=self.app.settings.import_date_window_years)
            return None
        if d is not None and isinstance(value, str | int | float):
            self._dates[value] = d
        return d

    def currency_of(self, row: dict[str, object], n: int, default: str) -> str | None:
        raw = self.raw(row, "currency")
        if not _given(raw):
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
        cu = t.customer.c
        q = select(cu.code, cu.id, cu.terms, cu.currency).where(cu.company_id == self.company_id)
        return {r[0]: (int(r[1]), r[2], r[3]) for r in self.uow.c.execute(q)}

    def customer_id(self, row: dict[str, object], n: int, known: dict[str, tuple[int, str, str]]) -> int | None:
        code = self.text(row, "customer_code", n, required=True)
        if not code:
            return None
        hit = known.get(code)
        if hit is None:
            self.problem(n, "customer_code", "customer.unknown", value=code)
            return None
        return hit[0]

    def check(self, n: int, row: dict[str, object]) -> list[Problem]:
        self._found = []
        self.check_row(n, row)
        return self._found

    def check_row(self, n: int, row: dict[str, object]) -> None:
        raise NotImplementedError

    def write(self, report: ImportReport) -> None:
        raise NotImplementedError

    def d(self, value: _Date | None) -> Any:
        return sql_date(self.uow.c, value)


class _DateMemo(dict[_Date | None, Any]):
    """date → driver value, computed once per distinct date (a million invoices share a few hundred)."""

    def __init__(self, conn: Any) -> None:
        super().__init__()
        self.conn = conn

    def __missing__(self, key: date | None) -> Any:
        value = self[key] = sql_date(self.conn, key)
        return value


CUSTOMER_FIELDS = ("name", "type", "terms", "credit_limit_minor", "currency", "segment", "collector",
                   "sales_owner", "policy", "region", "deliver_two_settle_one", "requires_statement")


class CustomerImporter(_Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        cu = t.customer.c
        q = select(cu.code, cu.id, *(cu[f] for f in CUSTOMER_FIELDS)).where(cu.company_id == self.company_id)
        self.existing = {r[0]: (int(r[1]), tuple(r[2:])) for r in self.uow.c.execute(q)}
        self.seen: dict[str, int] = {}
        self.records: list[tuple[str, dict[str, Any]]] = []

    def check_row(self, n: int, row: dict[str, object]) -> None:
        code = self.text(row, "customer_code", n, required=True)
        given: dict[str, Any] = {}
        name = self.text(row, "name", n, required=True)
        given["name"] = name
        if (v := self.parse(row, "type", n, parse_customer_type)) is not None:
            given["type"] = v.value
        if (v := self.parse(row, "terms", n, parse_terms)) is not None:
            given["terms"] = v.text()
        cur = self.currency_of(row, n, self.currency)
        if _given(self.raw(row, "currency")) and cur:
            given["currency"] = cur
        if (v := self.parse(row, "credit_limit", n, parse_amount, cur or self.currency)) is not None:
            if v.minor < 0:
                self.problem(n, "credit_limit", "amount.negative", value=_text(self.raw(row, "credit_limit")))
            given["credit_limit_minor"] = v.minor
        for f in ("segment", "collector", "sales_owner", "policy", "region"):
            if v := self.text(row, f, n):
                given[f] = v
        for f in ("deliver_two_settle_one", "requires_statement"):
            if (v := self.parse(row, f, n, parse_bool)) is not None:
                given[f] = v
        if code and self.duplicate(self.seen, code, n, "customer_code", code):
            return
        if not self._found:
            self.records.append((code, given))

    def write(self, report: ImportReport) -> None:
        defaults = {"type": "dealer", "terms": "cash", "credit_limit_minor": 0, "currency": self.currency,
                    "segment": None, "collector": None, "sales_owner": None, "policy": None, "region": None,
                    "deliver_two_settle_one": False, "requires_statement": False}
        inserts, updates = [], []
        for code, given in self.records:
            old = self.existing.get(code)
            if old is None:
                merged = {**defaults, **given}
                inserts.append((self.company_id, code, *(merged[f] for f in CUSTOMER_FIELDS)))
                continue
            if self.only_new:
                report.unchanged += 1
                continue
            current = dict(zip(CUSTOMER_FIELDS, old[1], strict=True))
            merged = {**current, **given}
            if merged == current:
                report.unchanged += 1
            else:
                updates.append((*(merged[f] for f in CUSTOMER_FIELDS), old[0]))
        cols = ", ".join(CUSTOMER_FIELDS)
        executemany(self.uow.c, f"INSERT INTO customer (company_id, code, {cols}) VALUES "
                                f"(?, ?, {', '.join('?' * len(CUSTOMER_FIELDS))})", inserts)
        sets = ", ".join(f"{f} = ?" for f in CUSTOMER_FIELDS)
        executemany(self.uow.c, f"UPDATE customer SET {sets}, version = version + 1 WHERE id = ?", updates)
        report.inserted, report.updated = len(inserts), len(updates)


CONTACT_FIELDS = ("role", "phone", "email", "best_time", "do_not_contact")


class ContactImporter(_Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        co = t.contact.c
        q = select(co.customer_id, co.name, co.id, *(co[f] for f in CONTACT_FIELDS)).where(
            co.company_id == self.company_id)
        self.existing = {(r[0], r[1]): (int(r[2]), tuple(r[3:])) for r in self.uow.c.execute(q)}
        self.seen: dict[tuple[int, str], int] = {}
        self.records: list[tuple[int, str, dict[str, Any]]] = []

    def check_row(self, n: int, row: dict[str, object]) -> None:
        cid = self.customer_id(row, n, self.known)
        name = self.text(row, "name", n, required=True)
        given: dict[str, Any] = {}
        if (v := self.parse(row, "role", n, parse_contact_role)) is not None:
            given["role"] = v.value
        if v := self.text(row, "phone", n):
            given["phone"] = v
        if (v := self.parse(row, "email", n, parse_email)) is not None:
            given["email"] = v
        if v := self.text(row, "best_time", n):
            given["best_time"] = v
        if (v := self.parse(row, "do_not_contact", n, parse_bool)) is not None:
            given["do_not_contact"] = v
        if cid is not None and name and self.duplicate(self.seen, (cid, name), n, "name", name):
            return
        if not self._found and cid is not None:
            self.records.append((cid, name, given))

    def write(self, report: ImportReport) -> None:
        defaults = {"role": "other", "phone": None, "email": None, "best_time": None, "do_not_contact": False}
        inserts, updates = [], []
        for cid, name, given in self.records:
            old = self.existing.get((cid, name))
            if old is None:
                merged = {**defaults, **given}
                inserts.append((self.company_id, cid, name, *(merged[f] for f in CONTACT_FIELDS)))
                continue
            current = dict(zip(CONTACT_FIELDS, old[1], strict=True))
            merged = {**current, **given}
            if merged == current:
                report.unchanged += 1
            else:
                updates.append((*(merged[f] for f in CONTACT_FIELDS), old[0]))
        executemany(self.uow.c, f"INSERT INTO contact (company_id, customer_id, name, {', '.join(CONTACT_FIELDS)})"
                                f" VALUES (?, ?, ?, {', '.join('?' * len(CONTACT_FIELDS))})", inserts)
        sets = ", ".join(f"{f} = ?" for f in CONTACT_FIELDS)
        executemany(self.uow.c, f"UPDATE contact SET {sets} WHERE id = ?", updates)
        report.inserted, report.updated = len(inserts), len(updates)


class InvoiceImporter(_Importer):
    """Invoices: due date from the column (``due_explicit``) or from the customer's terms."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.terms: dict[int, Terms | str] = {}  # the stored text when it no longer parses
        parsed: dict[str, Terms | str] = {}  # 10⁵ customers share a handful of terms
        for cid, terms_text, _cur in self.known.values():
            hit = parsed.get(terms_text)
            if hit is None:
                try:
                    hit = parse_terms(terms_text)
                except InvalidInput:
                    hit = terms_text
                parsed[terms_text] = hit
            self.terms[cid] = hit
        self.currency_by_customer = {cid: cur for cid, _t, cur in self.known.values()}
        inv = t.invoice.c
        q = select(inv.number, inv.id, inv.customer_id, inv.invoice_on, inv.due_on, inv.due_explicit,
                   inv.amount_minor, inv.currency, inv.open_minor).where(inv.company_id == self.company_id)
        # number → (id, (customer_id, invoice_on, due_on, due_explicit, amount, currency), allocated)
        self.existing = {r[0]: (r[1], (r[2], r[3], r[4], bool(r[5]), r[6], r[7]), r[6] - r[8])
                         for r in self.uow.c.execute(q)}
        self.seen: dict[str, int] = {}
        self.due_cache: dict[tuple[date, int], date] = {}
        col = self.col  # the required columns are there (_header_problems), the optional ones may not be
        self._heads = (col["invoice_no"], col["customer_code"], col["invoice_date"], col["amount"],
                       col.get("due_date"), col.get("currency"))
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[str, int, tuple[Any, ...], int]] = []  # number, id, values, new open
        self.unchanged = 0

    def due(self, n: int, invoice_on: date, customer_id: int) -> date | None:
        key = (invoice_on, customer_id)
        hit = self.due_cache.get(key)
        if hit is None:
            terms = self.terms[customer_id]
            if isinstance(terms, str):
                # Never guess a due date from terms nobody can read: the customer must be fixed first.
                self.problem(n, "customer_code", "terms.invalid", value=terms)
                return None
            try:
                hit = due_date(invoice_on, terms, self.cal)
            except CalendarUnknown as e:
                self.problem(n, "invoice_date", e.code, value=invoice_on.isoformat(), **e.params)
                return None
            self.due_cache[key] = hit
        return hit

    def check_row(self, n: int, row: dict[str, object]) -> None:
        if not self._fast(n, row):
            self._slow(n, row)

    def _fast(self, n: int, row: dict[str, object]) -> bool:
        """The common row (plain text, ISO or already-seen date, plain decimal) without the general parsers.

        Returns False, having changed nothing, whenever anything is unusual: the slow path then
        parses the row again and reports every problem precisely.
        """
        g = row.get
        h_no, h_code, h_date, h_amount, h_due, h_cur = self._heads
        number, code, day, amount = g(h_no), g(h_code), g(h_date), g(h_amount)
        if type(number) is not str or type(code) is not str or type(day) is not str or type(amount) is not str:
            return False
        due_raw = g(h_due) if h_due is not None else None
        cur_raw = g(h_cur) if h_cur is not None else None
        number = number.strip()
        if len(number) > 64 or not number.isprintable():
            return False
        customer = self.known.get(code.strip())
        invoice_on = self._dates.get(day)
        m = _PLAIN_AMOUNT.match(amount)
        if not number or customer is None or invoice_on is None or m is None or number in self.seen:
            return False
        cid, _terms, cur = customer
        if cur_raw:
            known = self._currencies.get(cur_raw) if type(cur_raw) is str else None
            if known is None:
                return False
            cur = known
        minor = int(m.group(1)) * 100 + int((m.group(2) or "").ljust(2, "0"))
        if minor <= 0 or cur not in _TWO_DECIMALS:
            return False
        explicit = bool(due_raw)
        due_on = self._dates.get(due_raw) if explicit else self.due_cache.get((invoice_on, cid))
        if due_on is None or due_on < invoice_on:
            return False
        self.seen[number] = n
        self._accept(n, number, (cid, invoice_on, due_on, explicit, minor, cur))
        return True

    def _slow(self, n: int, row: dict[str, object]) -> None:
        number = self.text(row, "invoice_no", n, required=True)
        cid = self.customer_id(row, n, self.known)
        invoice_on = self.date(row, "invoice_date", n, required=True)
        due_on = self.date(row, "due_date", n)
        cur = self.currency_of(row, n, self.currency_by_customer.get(cid, self.currency) if cid else self.currency)
        amount = self.parse(row, "amount", n, parse_positive_amount, cur or self.currency, required=True)
        if number and self.duplicate(self.seen, number, n, "invoice_no", number):
            return
        if self._found or cid is None or invoice_on is None or amount is None or cur is None:
            return
        explicit = due_on is not None
        if due_on is None:
            due_on = self.due(n, invoice_on, cid)
            if due_on is None:
                return
        elif due_on < invoice_on:
            self.problem(n, "due_date", "invoice.due_before_date", value=due_on.isoformat(),
                         invoice_on=invoice_on.isoformat())
            return
        self._accept(n, number, (cid, invoice_on, due_on, explicit, amount.minor, cur))

    def _accept(self, n: int, number: str, values: tuple[Any, ...]) -> None:
        old = self.existing.get(number)
        if old is None:
            self.inserts.append((number, values))
            return
        if old[1][3] and not values[3]:
            # A due date once given explicitly stays until a file gives another: a later export
            # without the column must not silently move it back to the terms.
            values = (values[0], values[1], old[1][2], True, values[4], values[5])
        if old[1] == values:
            self.unchanged += 1
        else:
            self._check_update(n, number, old, values)

    def _check_update(self, n: int, number: str, old: tuple[Any, ...], values: tuple[Any, ...]) -> None:
        invoice_id, before, allocated = old
        if allocated and (before[0] != values[0] or before[5] != values[5]):
            self.problem(n, "customer_code", "invoice.allocated_change", value=number)
            return
        new_open = values[4] - allocated
        if new_open < 0:
            self.problem(n, "amount", "invoice.amount_below_allocated", value=format_minor(values[4], values[5]),
                         allocated=format_minor(allocated, values[5]))
            return
        self.updates.append((number, invoice_id, values, new_open))

    def write(self, report: ImportReport) -> None:
        self.seen.clear()  # validation is over; a million numbers need not stay in memory twice
        c, d = self.uow.c, _DateMemo(self.uow.c).__getitem__
        rows = [(self.company_id, v[0], number, d(v[1]), d(v[2]), v[3], v[4], v[5], v[4])
                for number, v in self.inserts]
        # Why sorted: in (customer, due) order the wide open-invoice index grows at its end instead of
        # splitting pages all over; a million rows insert ~30% faster on SQLite.
        rows.sort(key=itemgetter(1, 4))
        executemany(c, "INSERT INTO invoice (company_id, customer_id, number, invoice_on, due_on, due_explicit,"
                       " amount_minor, currency, open_minor, disputed_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    rows)
        del rows
        sums = disputed_sums(self.uow, [u[1] for u in self.updates]) if self.updates else {}
        executemany(c, "UPDATE invoice SET customer_id = ?, invoice_on = ?, due_on = ?, due_explicit = ?,"
                       " amount_minor = ?, currency = ?, open_minor = ?, disputed_minor = ? WHERE id = ?",
                    [(v[0], d(v[1]), d(v[2]), v[3], v[4], v[5], new_open, min(new_open, sums.get(iid, 0)), iid)
                     for _no, iid, v, new_open in self.updates])
        report.inserted, report.updated, report.unchanged = len(self.inserts), len(self.updates), self.unchanged
        if self.inserts or self.updates:
            touched = chain((number for number, _v in self.inserts), (u[0] for u in self.updates))
            customers = {v[0] for _no, v in self.inserts} | {u[2][0] for u in self.updates}
            report.applied_credit_minor = apply_unapplied_credit(self.uow, self.today, customers, touched)


class PostingImporter(_Importer):
    """Payments and credit notes: money posted against open invoices through the ledger's OpenBook."""

    table: Any = None
    number_col = "payment_no"
    date_col = "payment_date"
    fk = "payment_id"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.currency_by_customer = {cid: cur for cid, _t, cur in self.known.values()}
        inv = t.invoice.c
        q = select(inv.number, inv.id, inv.customer_id, inv.currency).where(inv.company_id == self.company_id)
        self.invoices = {r[0]: (int(r[1]), int(r[2]), r[3]) for r in self.uow.c.execute(q)}
        self.existing = self.load_existing()
        self.seen: dict[str, int] = {}
        self.records: list[tuple[int, str, tuple[Any, ...]]] = []  # row, number, values

    def load_existing(self) -> dict[str, tuple[int, tuple[Any, ...]]]:
        raise NotImplementedError

    def extra(self, row: dict[str, object], n: int) -> tuple[Any, ...]:
        return ()

    def check_row(self, n: int, row: dict[str, object]) -> None:
        number = self.text(row, self.number_col, n, required=True)
        cid = self.customer_id(row, n, self.known)
        on = self.date(row, self.date_col, n, required=True)
        cur = self.currency_of(row, n, self.currency_by_customer.get(cid, self.currency) if cid else self.currency)
        amount = self.parse(row, "amount", n, parse_positive_amount, cur or self.currency, required=True)
        invoice_no = self.text(row, "invoice_no", n) or None
        extra = self.extra(row, n)
        if invoice_no is not None and cid is not None:
            hit = self.invoices.get(invoice_no)
            if hit is None:
                self.problem(n, "invoice_no", "invoice.unknown", value=invoice_no)
            elif hit[1] != cid:
                self.problem(n, "invoice_no", "invoice.other_customer", value=invoice_no)
            elif cur is not None and hit[2] != cur:
                self.problem(n, "invoice_no", "currency.mismatch", value=invoice_no, expected=hit[2], got=cur)
        if number and self.duplicate(self.seen, number, n, self.number_col, number):
            return
        if not self._found:
            self.records.append((n, number, (cid, on, amount.minor, cur, invoice_no, *extra)))

    def write(self, report: ImportReport) -> None:
        c = self.uow.c
        to_post: list[tuple[int, str, tuple[Any, ...], int | None]] = []  # row, number, values, existing id
        simple_updates: list[tuple[Any, ...]] = []
        for n, number, values in self.records:
            old = self.existing.get(number)
            if old is None:
                to_post.append((n, number, values, None))
            elif old[1] == values:
                report.unchanged += 1
            elif old[1][0] == values[0] and old[1][2:5] == values[2:5]:
                simple_updates.append(values)  # date, method or maturity only: allocations stand
                self.update_in_place(old[0], values)
            else:
                self.reverse(old[0])
                to_post.append((n, number, values, old[0]))
        report.updated = len(simple_updates) + sum(1 for p in to_post if p[3] is not None)
        report.inserted = sum(1 for p in to_post if p[3] is None)
        if not to_post:
            return
        # Why this order: money received earlier settles the oldest debt first, whatever the file order.
        to_post.sort(key=lambda p: (p[2][1], p[0]))
        book = OpenBook.load(self.uow, {p[2][0] for p in to_post})
        posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]] = []
        for _n, number, values, old_id in to_post:
            named = self.invoices[values[4]][0] if values[4] else None
            lines, left = book.allocate(values[0], values[3], values[2], named=named,
                                        named_only=self.named_only and named is not None)
            posted.append((number, values, old_id, lines, left))
            report.unapplied_minor += left
        self.insert_or_replace(posted)
        ids = self.ids_of([p[0] for p in posted])
        rows: list[tuple[Any, ...]] = []
        for number, values, _old, lines, _left in posted:
            rows += allocation_rows(self.uow, lines, values[1], **{self.fk: ids[number]})
        executemany(c, ALLOCATION_SQL, rows)
        book.flush(self.uow, self.today)  # and close the tasks about the money these payments settled

    named_only = False

    def ids_of(self, numbers: list[str]) -> dict[str, int]:
        col = self.table.c
        out: dict[str, int] = {}
        for i in range(0, len(numbers), 900):
            chunk = numbers[i:i + 900]
            q = select(col.number, col.id).where(col.company_id == self.company_id, col.number.in_(chunk))
            out.update({r[0]: int(r[1]) for r in self.uow.c.execute(q)})
        return out

    def reverse(self, posting_id: int) -> None:
        """Undo a posting's allocations (its amount or customer changed); it is then posted afresh."""
        a = t.allocation.c
        key = a.payment_id if self.fk == "payment_id" else a.credit_note_id
        lines = self.uow.c.execute(select(a.invoice_id, a.amount_minor).where(
            a.company_id == self.company_id, key == posting_id)).all()
        executemany(self.uow.c, "UPDATE invoice SET open_minor = open_minor + ? WHERE id = ?",
                    [(m, i) for i, m in lines])
        executemany(self.uow.c, f"DELETE FROM allocation WHERE company_id = ? AND {self.fk} = ?",
                    [(self.company_id, posting_id)])
        if lines:
            sums = disputed_sums(self.uow, [i for i, _ in lines])
            inv = t.invoice.c
            opens = self.uow.c.execute(select(inv.id, inv.open_minor).where(
                inv.id.in_([i for i, _ in lines]))).all()
            executemany(self.uow.c, "UPDATE invoice SET disputed_minor = ? WHERE id = ?",
                        [(min(o, sums.get(i, 0)), i) for i, o in opens])

    def update_in_place(self, posting_id: int, values: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def insert_or_replace(self, posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]],
                          ) -> None:
        raise NotImplementedError


class PaymentImporter(PostingImporter):
    table = t.payment

    def load_existing(self) -> dict[str, tuple[int, tuple[Any, ...]]]:
        p = t.payment.c
        q = select(p.number, p.id, p.customer_id, p.paid_on, p.amount_minor, p.currency, p.invoice_number,
                   p.method, p.bill_matures_on, p.bill_kind).where(p.company_id == self.company_id)
        return {r[0]: (int(r[1]), tuple(r[2:])) for r in self.uow.c.execute(q)}

    def extra(self, row: dict[str, object], n: int) -> tuple[Any, ...]:
        method = self.parse(row, "method", n, parse_payment_method)
        maturity = self.date(row, "bill_maturity", n)
        kind_text = self.text(row, "bill_kind", n) or None
        try:  # 承兑汇票: bank (paid) or commercial (credit exposure until maturity) — domain/credit.py
            kind = check_bill(method or PaymentMethod.TRANSFER, kind_text, maturity)
        except InvalidInput as e:
            self.problem(n, "bill_kind", e.code, **{**e.params, "value": kind_text or ""})
            kind = None
        return (method.value if method else "transfer", maturity, kind)

    def update_in_place(self, posting_id: int, v: tuple[Any, ...]) -> None:
        executemany(self.uow.c, "UPDATE payment SET paid_on = ?, method = ?, bill_matures_on = ?, bill_kind = ?"
                                " WHERE id = ?", [(self.d(v[1]), v[5], self.d(v[6]), v[7], posting_id)])

    def insert_or_replace(self, posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]],
                          ) -> None:
        d = self.d
        executemany(self.uow.c, "INSERT INTO payment (company_id, customer_id, number, paid_on, amount_minor,"
                                " currency, invoice_number, method, bill_matures_on, bill_kind, unapplied_minor)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(self.company_id, v[0], no, d(v[1]), v[2], v[3], v[4], v[5], d(v[6]), v[7], left)
                     for no, v, old, _l, left in posted if old is None])
        executemany(self.uow.c, "UPDATE payment SET customer_id = ?, paid_on = ?, amount_minor = ?, currency = ?,"
                                " invoice_number = ?, method = ?, bill_matures_on = ?, bill_kind = ?, unapplied_minor = ?"
                                " WHERE id = ?",
                    [(v[0], d(v[1]), v[2], v[3], v[4], v[5], d(v[6]), v[7], left, old)
                     for _no, v, old, _l, left in posted if old is not None])


class CreditNoteImporter(PostingImporter):
    table = t.credit_note
    number_col = "credit_note_no"
    date_col = "date"
    fk = "credit_note_id"
    named_only = True  # a red-letter invoice reduces the invoice it names; the rest stays as credit

    def load_existing(self) -> dict[str, tuple[int, tuple[Any, ...]]]:
        cn = t.credit_note.c
        q = select(cn.number, cn.id, cn.customer_id, cn.note_on, cn.amount_minor, cn.currency,
                   cn.invoice_number).where(cn.company_id == self.company_id)
        return {r[0]: (int(r[1]), tuple(r[2:])) for r in self.uow.c.execute(q)}

    def update_in_place(self, posting_id: int, v: tuple[Any, ...]) -> None:
        executemany(self.uow.c, "UPDATE credit_note SET note_on = ? WHERE id = ?", [(self.d(v[1]), posting_id)])

    def insert_or_replace(self, posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]],
                          ) -> None:
        d = self.d
        executemany(self.uow.c, "INSERT INTO credit_note (company_id, customer_id, number, note_on, amount_minor,"
                                " currency, invoice_number, unapplied_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(self.company_id, v[0], no, d(v[1]), v[2], v[3], v[4], left)
                     for no, v, old, _l, left in posted if old is None])
        executemany(self.uow.c, "UPDATE credit_note SET customer_id = ?, note_on = ?, amount_minor = ?,"
                                " currency = ?, invoice_number = ?, unapplied_minor = ? WHERE id = ?",
                    [(v[0], d(v[1]), v[2], v[3], v[4], left, old)
                     for _no, v, old, _l, left in posted if old is not None])


IMPORTERS: dict[str, type[_Importer]] = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "invoices": InvoiceImporter,
    "payments": PaymentImporter,
    "credit-notes": CreditNoteImporter,
}


def _register_credit_kinds() -> None:
    """Orders and delivery notes (issue 10) live in their own module, which builds on ``_Importer``."""
    from .import_credit import DeliveryImporter, OrderImporter

    IMPORTERS.update({"orders": OrderImporter, "deliveries": DeliveryImporter})


_register_credit_kinds()
