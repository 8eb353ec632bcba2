"""Invoices (upsert by number): due date from the file (``due_explicit``) or from the customer's terms;
the billing channel (``bill_channel``: electronic | paper) when the file gives it.

A million rows go through ``_fast`` (plain text, ISO or already-seen dates, plain decimals) without the
general parsers; anything unusual falls back to ``_slow``, which reports every problem precisely.
An invoice already paid in part keeps its customer and currency, and never drops below what is
allocated to it. Unapplied customer credit is used on the imported invoices (services.ledger).
"""

from __future__ import annotations

import re
from datetime import date
from itertools import chain
from typing import Any

from ...domain.errors import CalendarUnknown, InvalidInput
from ...domain.money import exponent, format_minor
from ...domain.parsing import BILL_CHANNEL_ALIASES, parse_bill_channel, parse_positive_amount
from ...domain.terms import Terms, due_date, parse_terms
from ..ledger import apply_unapplied_credit, disputed_sums
from .base import Importer
from .report import ImportReport

_PLAIN_AMOUNT = re.compile(r"^(\d{1,13})(?:\.(\d{1,2}))?$")  # below MAX_MAJOR
_TWO_DECIMALS = frozenset(c for c in ("CNY", "USD", "EUR", "HKD", "GBP", "TWD", "SGD") if exponent(c) == 2)


class InvoiceImporter(Importer):
    """Invoices: due date from the column (``due_explicit``) or from the customer's terms."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.terms: dict[int, Terms | str] = {}  # the stored text when it no longer parses
        parsed: dict[str, Terms | str] = {}  # 10⁵ customers share a handful of terms
        for cid, terms_text, _cur in self.known.values():
            self.terms[cid] = _terms_of(terms_text, parsed)
        self.currency_by_customer = {cid: cur for cid, _t, cur in self.known.values()}
        self._parsed_terms = parsed
        # number → (id, (customer_id, invoice_on, due_on, due_explicit, amount, currency, bill_channel), allocated)
        self.existing = self.repo.invoices()
        self.seen: dict[str, int] = {}
        self.due_cache: dict[tuple[date, int], date] = {}
        col = self.col  # the required columns are there (_header_problems), the optional ones may not be
        self._heads = (col["invoice_no"], col["customer_code"], col["invoice_date"], col["amount"],
                       col.get("due_date"), col.get("currency"), col.get("bill_channel"))
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[str, int, tuple[Any, ...], int]] = []  # number, id, values, new open
        self.unchanged = 0

    def expect_customers(self, new: dict[str, tuple[int, str, str]]) -> None:
        super().expect_customers(new)
        self.known.update(new)
        for pid, terms_text, cur in new.values():
            self.terms[pid] = _terms_of(terms_text, self._parsed_terms)
            self.currency_by_customer[pid] = cur

    def expected_invoices(self) -> dict[str, tuple[int, int, str]]:
        """number → (id, customer id, currency) of the invoices ``write`` will insert or change, for the
        payments imported with them; a new invoice has a placeholder id (negative) until written."""
        out = {number: (-1 - i, v[0], v[5]) for i, (number, v) in enumerate(self.inserts)}
        out.update((number, (iid, v[0], v[5])) for number, iid, v, _open in self.updates)
        return out

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
        h_no, h_code, h_date, h_amount, h_due, h_cur, h_channel = self._heads
        number, code, day, amount = g(h_no), g(h_code), g(h_date), g(h_amount)
        if type(number) is not str or type(code) is not str or type(day) is not str or type(amount) is not str:
            return False
        due_raw = g(h_due) if h_due is not None else None
        cur_raw = g(h_cur) if h_cur is not None else None
        channel: str | None = None
        if h_channel is not None and (ch_raw := g(h_channel)) is not None:
            if type(ch_raw) is not str:
                return False
            if ch_raw:
                known_channel = BILL_CHANNEL_ALIASES.get(ch_raw.lower())
                if known_channel is None:
                    return False
                channel = known_channel.value
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
        self._accept(n, number, (cid, invoice_on, due_on, explicit, minor, cur, channel))
        return True

    def _slow(self, n: int, row: dict[str, object]) -> None:
        number = self.text(row, "invoice_no", n, required=True)
        cid = self.customer_id(row, n, self.known)
        invoice_on = self.date(row, "invoice_date", n, required=True)
        due_on = self.date(row, "due_date", n)
        cur = self.currency_of(row, n, self.currency_by_customer.get(cid, self.currency) if cid else self.currency)
        amount = self.parse(row, "amount", n, parse_positive_amount, cur or self.currency, required=True)
        channel = self.parse(row, "bill_channel", n, parse_bill_channel)
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
        self._accept(n, number, (cid, invoice_on, due_on, explicit, amount.minor, cur,
                                 channel.value if channel is not None else None))

    def _accept(self, n: int, number: str, values: tuple[Any, ...]) -> None:
        old = self.existing.get(number)
        if old is None:
            self.inserts.append((number, values))
            return
        if old[1][3] and not values[3]:
            # A due date once given explicitly stays until a file gives another: a later export
            # without the column must not silently move it back to the terms.
            values = (values[0], values[1], old[1][2], True, values[4], values[5], values[6])
        if values[6] is None and old[1][6] is not None:
            # an empty channel cell means "not given": the stored channel stays (an import never blanks a field)
            values = (*values[:6], old[1][6])
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
        repo = self.repo
        if ids := self.real_customer_ids():  # customers written earlier in this import (a ledger export)
            self.inserts = [(no, (ids.get(v[0], v[0]), *v[1:])) for no, v in self.inserts]
            self.updates = [(no, iid, (ids.get(v[0], v[0]), *v[1:]), o) for no, iid, v, o in self.updates]
        repo.insert_invoices(self.inserts)
        sums = disputed_sums(self.uow, [u[1] for u in self.updates]) if self.updates else {}
        repo.update_invoices((iid, v, new_open, min(new_open, sums.get(iid, 0)))
                             for _no, iid, v, new_open in self.updates)
        report.inserted, report.updated, report.unchanged = len(self.inserts), len(self.updates), self.unchanged
        if self.inserts or self.updates:
            touched = chain((number for number, _v in self.inserts), (u[0] for u in self.updates))
            customers = {v[0] for _no, v in self.inserts} | {u[2][0] for u in self.updates}
            report.applied_credit_minor = apply_unapplied_credit(self.uow, self.today, customers, touched)


def _terms_of(text: str, parsed: dict[str, Terms | str]) -> Terms | str:
    """The customer's terms parsed (once per distinct text), or the stored text when it does not parse."""
    hit = parsed.get(text)
    if hit is None:
        try:
            hit = parse_terms(text)
        except InvalidInput:
            hit = text
        parsed[text] = hit
    return hit
