"""Payments (upsert by payment number), and what they share with credit notes: money posted against
open invoices through the ledger's ``OpenBook`` so the open-amount invariants hold exactly as for one
``pay`` from the command line.

Money received earlier settles the oldest debt first, whatever the file's order. A posting whose
amount or customer changed is reversed and posted afresh; one whose date, method or maturity changed
keeps its allocations.
"""

from __future__ import annotations

from typing import Any

from ...domain.credit import check_bill
from ...domain.errors import InvalidInput
from ...domain.ledger import PaymentMethod
from ...domain.parsing import parse_payment_method, parse_positive_amount
from ..ledger import OpenBook, disputed_sums
from .base import Importer
from .report import ImportReport


class PostingImporter(Importer):
    """Payments and credit notes: money posted against open invoices through the ledger's OpenBook."""

    kind = "payment"  # the repository's name of the posting kind
    number_col = "payment_no"
    date_col = "payment_date"
    fk = "payment_id"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.currency_by_customer = {cid: cur for cid, _t, cur in self.known.values()}
        self.invoices = self.repo.invoice_refs()
        self.existing = self.repo.postings(self.kind)
        self.seen: dict[str, int] = {}
        self.records: list[tuple[int, str, tuple[Any, ...]]] = []  # row, number, values

    def extra(self, row: dict[str, object], n: int) -> tuple[Any, ...]:
        return ()

    def expect_customers(self, new: dict[str, tuple[int, str, str]]) -> None:
        super().expect_customers(new)
        self.known.update(new)
        self.currency_by_customer.update((pid, cur) for pid, _t, cur in new.values())

    def expect_invoices(self, refs: dict[str, tuple[int, int, str]]) -> None:
        """number → (id, customer id, currency) of invoices written earlier in this import (a ledger
        export); a new one's id is a placeholder (negative) until ``write`` looks it up."""
        self.invoices.update(refs)

    def _resolve(self) -> None:
        """Replace the placeholder ids of customers and invoices written earlier in this import."""
        if ids := self.real_customer_ids():
            self.records = [(n, no, (ids.get(v[0], v[0]), *v[1:])) for n, no, v in self.records]
        named = {v[4] for _n, _no, v in self.records if v[4] and self.invoices[v[4]][0] < 0}
        if named:
            for number, invoice_id in self.repo.invoice_ids(named).items():
                self.invoices[number] = (invoice_id, *self.invoices[number][1:])

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
        # Everything is computed before the first statement that writes, which is where a late-locking
        # unit of work takes SQLite's write lock (ADR 0007): only the writes themselves hold it.
        self._resolve()
        to_post: list[tuple[int, str, tuple[Any, ...], int | None]] = []  # row, number, values, existing id
        in_place: list[tuple[int, tuple[Any, ...]]] = []  # date, method or maturity only: allocations stand
        for n, number, values in self.records:
            old = self.existing.get(number)
            if old is None:
                to_post.append((n, number, values, None))
            elif old[1] == values:
                report.unchanged += 1
            elif old[1][0] == values[0] and old[1][2:5] == values[2:5]:
                in_place.append((old[0], values))
            else:
                self.reverse(old[0])  # before the book is read: the money it frees is open again
                to_post.append((n, number, values, old[0]))
        report.updated = len(in_place) + sum(1 for p in to_post if p[3] is not None)
        report.inserted = sum(1 for p in to_post if p[3] is None)
        posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]] = []
        allocations: list[tuple[Any, ...]] = []  # invoice id, amount, day, posting number
        book = None
        if to_post:
            # Why this order: money received earlier settles the oldest debt first, whatever the file order.
            to_post.sort(key=lambda p: (p[2][1], p[0]))
            book = OpenBook.load(self.uow, {p[2][0] for p in to_post})
            d = self.repo.d
            for _n, number, values, old_id in to_post:
                named = self.invoices[values[4]][0] if values[4] else None
                lines, left = book.allocate(values[0], values[3], values[2], named=named,
                                            named_only=self.named_only and named is not None)
                posted.append((number, values, old_id, lines, left))
                report.unapplied_minor += left
                day = d(values[1])
                allocations += [(invoice_id, minor, day, number) for invoice_id, minor in lines]
        for posting_id, values in in_place:
            self.update_in_place(posting_id, values)
        if book is None:
            return
        self.insert_or_replace(posted)
        self.repo.add_allocations_by_number(self.kind, allocations)
        book.flush(self.uow, self.today)  # and close the tasks about the money these payments settled

    named_only = False

    def reverse(self, posting_id: int) -> None:
        """Undo a posting's allocations (its amount or customer changed); it is then posted afresh."""
        repo = self.repo
        lines = repo.posting_allocations(self.kind, posting_id)
        repo.unallocate(self.kind, posting_id, lines)
        if lines:
            sums = disputed_sums(self.uow, [i for i, _ in lines])
            repo.set_disputed([(min(o, sums.get(i, 0)), i) for i, o in self.uow.ledger.invoice_opens(
                [i for i, _ in lines])])

    def update_in_place(self, posting_id: int, values: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def insert_or_replace(self, posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]],
                          ) -> None:
        raise NotImplementedError


class PaymentImporter(PostingImporter):
    """Payments: a 承兑汇票 also carries its kind and maturity (domain/credit.py)."""

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
        self.repo.payment_details(posting_id, v)

    def insert_or_replace(self, posted: list[tuple[str, tuple[Any, ...], int | None, list[tuple[int, int]], int]],
                          ) -> None:
        self.repo.write_payments(posted)
