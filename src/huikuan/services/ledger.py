"""Ledger writes: payments, credit notes (红字发票), write-offs and disputes.

Every function runs inside an open unit of work (``with app.uow() as uow:``) and leaves the commit
to its caller, so an import or a CLI command can post many entries in one transaction.

Invariants kept here, in the same transaction as the detail rows (``recompute_open`` checks them):

- ``invoice.open_minor`` = amount − Σ allocations (payments, credit notes and write-offs all
  allocate; a write-off is an allocation with ``write_off_id``);
- ``payment.unapplied_minor`` / ``credit_note.unapplied_minor`` = amount − Σ its allocations:
  money that found no open invoice is kept on the customer's account, never lost, and is applied
  to the customer's next imported invoices (``apply_unapplied_credit``);
- ``invoice.disputed_minor`` = min(open, Σ unresolved disputes): a dispute never exceeds what is
  open when it is opened, and money received on a disputed invoice shrinks the disputed part too.

Every fact a person records here — a payment, a credit note, a write-off, a dispute opened or
resolved — writes its audit row (services.audit) in the same transaction, from the required ``by``
(who and when): the CLI, the workbench, the API and the demo are audited alike, and a rollback takes
the fact and its audit row together.

Allocation is the pure ``domain.allocation.allocate`` (named invoice first, then oldest due);
``OpenBook`` holds a set of customers' open invoices in memory so an import allocates thousands of
payments with one read and one batched write. Every statement lives in the ledger repository on the
unit of work (``uow.ledger``, adapters/db/ledger_repo.py); this module holds the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ..domain.allocation import allocate
from ..domain.credit import check_bill
from ..domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from ..domain.ledger import DisputeCategory, OpenItem, PaymentMethod, settled_reason
from ..domain.money import Money
from ..domain.parsing import parse_dispute_category, parse_payment_method
from . import audit


class Uow(Protocol):
    """What the ledger needs of a unit of work: its repositories (adapters/db)."""

    company_id: int

    @property
    def ledger(self) -> Any: ...

    @property
    def collect(self) -> Any: ...

    @property
    def audit(self) -> Any: ...

    def serialize(self, key: str) -> None: ...


# ---- the in-memory open book ------------------------------------------------------------------

@dataclass
class OpenInvoice:
    invoice_id: int
    customer_id: int
    number: str
    due_on: date
    currency: str
    open_minor: int
    disputed_minor: int
    dirty: bool = False


@dataclass
class OpenBook:
    """Open invoices of some customers (or all), allocated in memory and flushed in one batch."""

    by_customer: dict[int, list[OpenInvoice]] = field(default_factory=dict)
    # (customer, currency) → [its invoices sorted oldest due first, index of the first one still open]:
    # sorted once per import, not once per payment (200,000 payments re-sorted every list before).
    _queues: dict[tuple[int, str], tuple[list[OpenInvoice], list[int]]] = field(default_factory=dict, repr=False)
    _by_id: dict[int, OpenInvoice] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, uow: Uow, customer_ids: Iterable[int] | None = None) -> OpenBook:
        """The open invoices of ``customer_ids``, locked until the unit of work ends: ``flush`` writes
        their open amounts back as absolute values, so a concurrent writer must not change them in
        between (on PostgreSQL it waits, then reads what this one wrote)."""
        book = cls()
        for r in uow.ledger.open_invoices(customer_ids, lock=True):
            book.by_customer.setdefault(r[1], []).append(OpenInvoice(*r))
        return book

    def allocate(self, customer_id: int, currency: str, amount_minor: int, *, named: int | None = None,
                 named_only: bool = False, only: set[str] | None = None) -> tuple[list[tuple[int, int]], int]:
        """Allocate ``amount_minor``: named invoice first, then oldest due. Returns (lines, unapplied).

        The same lines as ``domain.allocation.allocate`` over the customer's open invoices (a property
        test holds them equal), in time proportional to the invoices it pays, not to all of them."""
        if amount_minor < 0:
            raise ValueError("cannot allocate a negative amount")
        if named_only or only is not None:
            return self._allocate_filtered(customer_id, currency, amount_minor, named, named_only, only)
        lines: list[tuple[int, int]] = []
        left = amount_minor
        if named is not None and left:
            item = self._invoice(named)
            if item is not None and item.customer_id == customer_id and item.currency == currency:
                left = self._take(item, left, lines)
        if left:
            items, start = self._queue(customer_id, currency)
            i = start[0]
            while i < len(items) and items[i].open_minor <= 0:
                i += 1
            start[0] = i  # invoices only ever get paid down here: the settled prefix is skipped for good
            while left and i < len(items):
                left = self._take(items[i], left, lines)
                i += 1
        return lines, left

    @staticmethod
    def _take(item: OpenInvoice, left: int, lines: list[tuple[int, int]]) -> int:
        take = min(left, item.open_minor)
        if take <= 0:
            return left
        lines.append((item.invoice_id, take))
        item.open_minor -= take
        item.disputed_minor = min(item.disputed_minor, item.open_minor)
        item.dirty = True
        return left - take

    def _queue(self, customer_id: int, currency: str) -> tuple[list[OpenInvoice], list[int]]:
        q = self._queues.get((customer_id, currency))
        if q is None:
            items = sorted((i for i in self.by_customer.get(customer_id, ()) if i.currency == currency),
                           key=lambda i: (i.due_on, i.number))
            q = self._queues[(customer_id, currency)] = (items, [0])
        return q

    def _invoice(self, invoice_id: int) -> OpenInvoice | None:
        if self._by_id is None:
            self._by_id = {i.invoice_id: i for items in self.by_customer.values() for i in items}
        return self._by_id.get(invoice_id)

    def _allocate_filtered(self, customer_id: int, currency: str, amount_minor: int, named: int | None,
                           named_only: bool, only: set[str] | None) -> tuple[list[tuple[int, int]], int]:
        items = {i.invoice_id: i for i in self.by_customer.get(customer_id, ())
                 if i.open_minor > 0 and i.currency == currency
                 and (not named_only or i.invoice_id == named) and (only is None or i.number in only)}
        result = allocate(amount_minor, [OpenItem(i.invoice_id, i.number, i.due_on, i.open_minor) for i in
                                         items.values()], named)
        for invoice_id, minor in result.lines:
            item = items[invoice_id]
            item.open_minor -= minor
            item.disputed_minor = min(item.disputed_minor, item.open_minor)
            item.dirty = True
        return list(result.lines), result.unapplied_minor

    def flush(self, uow: Uow, on: date | None = None) -> int:
        """Write the changed invoices; with ``on``, close the tasks about money these allocations settled."""
        rows = [(i.open_minor, i.disputed_minor, i.invoice_id)
                for items in self.by_customer.values() for i in items if i.dirty]
        uow.ledger.write_open(rows)
        touched = {cid for cid, items in self.by_customer.items() if any(i.dirty for i in items)}
        for items in self.by_customer.values():
            for i in items:
                i.dirty = False
        if on is not None:
            settle_tasks(uow, touched, on)
        return len(rows)


def settle_tasks(uow: Uow, customer_ids: Iterable[int], on: date) -> int:
    """Close these customers' open tasks and proposals whose invoices have nothing collectable left
    (paid, credited, written off or disputed), with the reason; returns how many closed.

    Called wherever money stops being collectable — a payment, a credit note, a write-off, a
    dispute, an import — so the worklist never chases money already settled; the daily run does
    the same for anything else (``daily_run``)."""
    ids = set(customer_ids)
    if not ids:
        return 0
    tasks = uow.collect.open_task_invoices(ids)
    if not tasks:
        return 0
    still = uow.collect.collectable_by_number(tasks)
    closures = [(aid, reason.value) for items in tasks.values() for aid, invoices in items
                if (reason := settled_reason(invoices, still)) is not None]
    return int(uow.collect.close_actions(closures, on))


def allocation_rows(uow: Uow, lines: Iterable[tuple[int, int]], on: date, *, payment_id: int | None = None,
                    credit_note_id: int | None = None, write_off_id: int | None = None) -> list[tuple[Any, ...]]:
    """The allocation rows of ``lines`` (invoice id, minor), for ``uow.ledger.add_allocations``."""
    repo = uow.ledger
    return [repo.allocation_row(inv, minor, on, payment_id=payment_id, credit_note_id=credit_note_id,
                                write_off_id=write_off_id) for inv, minor in lines]


# ---- lookups ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InvoiceRow:
    id: int
    customer_id: int
    number: str
    currency: str
    amount_minor: int
    open_minor: int
    disputed_minor: int


def _customer(uow: Uow, code: str) -> tuple[int, str]:
    row: tuple[int, str] | None = uow.ledger.customer(code)
    if row is None:
        raise NotFound("customer.not_found", what="customer", value=code)
    return row


def _invoice(uow: Uow, number: str) -> InvoiceRow:
    row = uow.ledger.invoice(number)
    if row is None:
        raise NotFound("invoice.not_found", what="invoice", value=number)
    return InvoiceRow(*row)


def _positive(amount: Money) -> None:
    if amount.minor < 0:
        raise InvalidInput("amount.negative", value=amount.amount_text())
    if amount.minor == 0:
        raise InvalidInput("amount.zero", value=amount.amount_text())


def next_number(taken: set[str], prefix: str) -> str:
    """The first free ``prefix`` + 3-digit number (after as many as are taken)."""
    n = len(taken) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _next_number(uow: Uow, kind: str, prefix: str) -> str:
    """Concurrent writers of the same prefix take turns until their commit, so two parallel ``pay`` never
    generate the same number (PostgreSQL: an advisory lock; SQLite: the write lock already held)."""
    uow.serialize(f"number:{kind}:{prefix}")
    return next_number(uow.ledger.numbers_like(kind, prefix), prefix)


def _ensure_new_number(uow: Uow, kind: str, number: str, code: str) -> None:
    if uow.ledger.number_taken(kind, number):
        raise Conflict(code, value=number, detail=number)


# ---- payments and credit notes -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PostingResult:
    """What a payment or credit note did: its id and number, where the money went, what is left."""

    id: int
    number: str
    lines: tuple[tuple[str, int], ...]  # (invoice number, minor)
    unapplied_minor: int


def _named_invoice(uow: Uow, number: str | None, customer_id: int, currency: str) -> int | None:
    if not number:
        return None
    inv = _invoice(uow, number)
    if inv.customer_id != customer_id:
        raise RuleViolation("invoice.other_customer", value=number)
    if inv.currency != currency:
        raise RuleViolation("currency.mismatch", value=number, expected=inv.currency, got=currency)
    return inv.id


def _numbers(uow: Uow, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    return dict(uow.ledger.invoice_numbers(ids)) if ids else {}


def record_payment(uow: Uow, customer_code: str, amount: Money, paid_on: date, *, number: str | None = None,
                   method: PaymentMethod | str = PaymentMethod.TRANSFER, invoice_number: str | None = None,
                   bill_matures_on: date | None = None, bill_kind: str | None = None,
                   by: audit.By) -> PostingResult:
    """Record a receipt (回款) and allocate it; what finds no open invoice stays as unapplied credit.

    An acceptance bill (承兑汇票) names its kind: a bank acceptance counts as paid; a commercial one is
    allocated like any payment but stays in the customer's credit exposure until it matures."""
    _positive(amount)
    bill_kind = check_bill(parse_payment_method(method), bill_kind, bill_matures_on)
    customer_id, _ = _customer(uow, customer_code)
    named = _named_invoice(uow, invoice_number, customer_id, amount.currency)
    number = number or _next_number(uow, "payment", f"PAY-{paid_on:%Y%m%d}-")
    _ensure_new_number(uow, "payment", number, "payment.duplicate")
    book = OpenBook.load(uow, [customer_id])
    lines, left = book.allocate(customer_id, amount.currency, amount.minor, named=named)
    pid = uow.ledger.add(
        "payment", customer_id=customer_id, number=number, paid_on=paid_on,
        amount_minor=amount.minor, currency=amount.currency, method=parse_payment_method(method).value,
        bill_matures_on=bill_matures_on, bill_kind=bill_kind, invoice_number=invoice_number, unapplied_minor=left,
    )
    uow.ledger.add_allocations(allocation_rows(uow, lines, paid_on, payment_id=pid))
    book.flush(uow, paid_on)
    names = _numbers(uow, (i for i, _ in lines))
    result = PostingResult(int(pid), number, tuple((names[i], m) for i, m in lines), left)
    method_value = parse_payment_method(method).value
    audit.record(uow, by.at, by.actor, audit.PAYMENT_RECORDED, "customer", customer_code, customer_id=customer_id,
                 after={"payment": number, "amount_minor": amount.minor, "currency": amount.currency,
                        "paid_on": paid_on, "method": method_value, "invoice": invoice_number,
                        "bill_kind": bill_kind, "bill_matures_on": bill_matures_on,
                        "allocated": [list(x) for x in result.lines], "unapplied_minor": left})
    return result


def record_credit_note(uow: Uow, customer_code: str, amount: Money, note_on: date, *,
                       invoice_number: str | None = None, number: str | None = None, by: audit.By) -> PostingResult:
    """A red-letter invoice (红字发票): reduces the named invoice; the rest stays as unapplied credit.

    Without a named invoice the credit is allocated oldest-first like a payment.
    """
    _positive(amount)
    customer_id, _ = _customer(uow, customer_code)
    named = _named_invoice(uow, invoice_number, customer_id, amount.currency)
    number = number or _next_number(uow, "credit_note", f"CN-{note_on:%Y%m%d}-")
    _ensure_new_number(uow, "credit_note", number, "credit_note.duplicate")
    book = OpenBook.load(uow, [customer_id])
    lines, left = book.allocate(customer_id, amount.currency, amount.minor, named=named,
                                named_only=named is not None)
    cid = uow.ledger.add(
        "credit_note", customer_id=customer_id, number=number, invoice_number=invoice_number,
        note_on=note_on, amount_minor=amount.minor, currency=amount.currency, unapplied_minor=left,
    )
    uow.ledger.add_allocations(allocation_rows(uow, lines, note_on, credit_note_id=cid))
    book.flush(uow, note_on)
    names = _numbers(uow, (i for i, _ in lines))
    result = PostingResult(int(cid), number, tuple((names[i], m) for i, m in lines), left)
    audit.record(uow, by.at, by.actor, audit.CREDIT_NOTE_RECORDED, "customer", customer_code, customer_id=customer_id,
                 after={"credit_note": number, "amount_minor": amount.minor, "currency": amount.currency,
                        "note_on": note_on, "invoice": invoice_number,
                        "allocated": [list(x) for x in result.lines], "unapplied_minor": left})
    return result


def apply_unapplied_credit(uow: Uow, on: date, customer_ids: Iterable[int] | None = None,
                           invoice_numbers: Iterable[str] | None = None) -> int:
    """Use customers' unapplied payments and credit notes (oldest first) on their open invoices.

    ``invoice_numbers`` restricts it to those invoices (the ones an import just added), so a
    prepayment is consumed by the next invoices instead of waiting on the account. Returns the fen
    applied.
    """
    credits = _unapplied_credits(uow, customer_ids)
    if not credits:
        return 0  # the common case: ``invoice_numbers`` (maybe a million) is never even iterated
    only = None if invoice_numbers is None else set(invoice_numbers)
    book = OpenBook.load(uow, {c[2] for c in credits})
    alloc: list[tuple[Any, ...]] = []
    pay_updates: list[tuple[int, int]] = []
    note_updates: list[tuple[int, int]] = []
    applied = 0
    for kind, credit_id, customer_id, currency, unapplied in credits:
        lines, left = book.allocate(customer_id, currency, unapplied, only=only)
        if not lines:
            continue
        applied += unapplied - left
        key = "payment_id" if kind == "payment" else "credit_note_id"
        alloc += allocation_rows(uow, lines, on, **{key: credit_id})
        (pay_updates if kind == "payment" else note_updates).append((left, credit_id))
    uow.ledger.add_allocations(alloc)
    uow.ledger.set_unapplied("payment", pay_updates)
    uow.ledger.set_unapplied("credit_note", note_updates)
    book.flush(uow, on)
    return applied


def _unapplied_credits(uow: Uow, customer_ids: Iterable[int] | None) -> list[tuple[str, int, int, str, int]]:
    """(kind, id, customer_id, currency, unapplied) ordered oldest first."""
    ids = None if customer_ids is None else set(customer_ids)
    out: list[tuple[date, bool, int, tuple[str, int, int, str, int]]] = []
    for kind, pid, customer_id, currency, unapplied, day in uow.ledger.unapplied_credits():
        if ids is None or customer_id in ids:
            # Oldest first; on the same day payments before credit notes, then by id.
            out.append((day, kind != "payment", pid, (kind, pid, customer_id, currency, unapplied)))
    out.sort(key=lambda x: x[:3])
    return [x[3] for x in out]


# ---- write-offs ----------------------------------------------------------------------------------

def write_off(uow: Uow, invoice_number: str, amount: Money, reason: str, on: date, *, by: audit.By) -> int:
    """Write off (坏账核销) part or all of an invoice's undisputed open amount; returns the write-off id."""
    _positive(amount)
    if not reason or not reason.strip():
        raise InvalidInput("write_off.reason_missing")
    inv = _invoice(uow, invoice_number)
    if amount.currency != inv.currency:
        raise RuleViolation("currency.mismatch", value=invoice_number, expected=inv.currency, got=amount.currency)
    if amount.minor > inv.open_minor:
        raise RuleViolation("write_off.exceeds_open", value=invoice_number, amount_minor=amount.minor,
                            open_minor=inv.open_minor, currency=inv.currency)
    if amount.minor > inv.open_minor - inv.disputed_minor:
        raise RuleViolation("write_off.disputed", value=invoice_number,
                            disputed_minor=inv.disputed_minor, currency=inv.currency)
    wid = uow.ledger.add("write_off", customer_id=inv.customer_id, invoice_id=inv.id, written_on=on,
                         amount_minor=amount.minor, reason=reason.strip())
    uow.ledger.add_allocations(allocation_rows(uow, [(inv.id, amount.minor)], on, write_off_id=wid))
    uow.ledger.set_invoice(inv.id, open_minor=inv.open_minor - amount.minor)
    settle_tasks(uow, [inv.customer_id], on)
    audit.record(uow, by.at, by.actor, audit.WRITE_OFF_RECORDED, "customer", uow.ledger.customer_code(inv.customer_id),
                 customer_id=inv.customer_id,
                 before={"invoice": invoice_number, "open_minor": inv.open_minor},
                 after={"write_off": int(wid), "invoice": invoice_number, "amount_minor": amount.minor,
                        "currency": inv.currency, "written_on": on, "reason": reason.strip(),
                        "open_minor": inv.open_minor - amount.minor})
    return int(wid)


# ---- disputes ------------------------------------------------------------------------------------

def open_dispute(uow: Uow, invoice_number: str, amount: Money | None, category: DisputeCategory | str,
                 opened_on: date, note: str | None = None, *, by: audit.By) -> int:
    """Put part (``amount``) or all (``None``: the whole undisputed open amount) of an invoice in dispute."""
    category = parse_dispute_category(category)
    inv = _invoice(uow, invoice_number)
    free = inv.open_minor - inv.disputed_minor
    if amount is None:
        if free <= 0:
            raise RuleViolation("dispute.nothing_open", value=invoice_number)
        minor = free
    else:
        _positive(amount)
        if amount.currency != inv.currency:
            raise RuleViolation("currency.mismatch", value=invoice_number, expected=inv.currency,
                                got=amount.currency)
        if amount.minor > free:
            raise RuleViolation("dispute.exceeds_open", value=invoice_number, amount_minor=amount.minor,
                                open_minor=free, currency=inv.currency)
        minor = amount.minor
    did = uow.ledger.add("dispute", customer_id=inv.customer_id, invoice_id=inv.id, amount_minor=minor,
                         category=category.value, opened_on=opened_on, note=note)
    uow.ledger.set_invoice(inv.id, disputed_minor=inv.disputed_minor + minor)
    settle_tasks(uow, [inv.customer_id], opened_on)
    audit.record(uow, by.at, by.actor, audit.DISPUTE_OPENED, "customer", uow.ledger.customer_code(inv.customer_id),
                 customer_id=inv.customer_id,
                 before={"invoice": invoice_number, "disputed_minor": inv.disputed_minor},
                 after={"dispute": int(did), "invoice": invoice_number, "amount_minor": minor,
                        "currency": inv.currency, "category": category.value, "opened_on": opened_on, "note": note,
                        "disputed_minor": inv.disputed_minor + minor})
    return int(did)


def resolve_dispute(uow: Uow, dispute_id: int, resolved_on: date, *, by: audit.By) -> None:
    """Close a dispute; its amount becomes collectable again (if still open)."""
    row = uow.ledger.dispute(dispute_id)
    if row is None:
        raise NotFound("dispute.not_found", what="dispute", value=dispute_id)
    invoice_id, already, customer_id, amount_minor = row
    if already is not None:
        raise RuleViolation("dispute.already_resolved", value=dispute_id, on=already.isoformat())
    uow.ledger.resolve_dispute(dispute_id, resolved_on)
    refresh_disputed(uow, [invoice_id])
    _audit_resolved(uow, by, dispute_id, (customer_id, uow.ledger.customer_code(customer_id)),
                    _numbers(uow, [invoice_id])[invoice_id], amount_minor, resolved_on)


def _audit_resolved(uow: Uow, by: audit.By, dispute_id: int, customer: tuple[int, str], invoice: str,
                    amount_minor: int, on: date) -> None:
    audit.record(uow, by.at, by.actor, audit.DISPUTE_RESOLVED, "customer", customer[1], customer_id=customer[0], before={"dispute": dispute_id, "resolved": False},
                 after={"dispute": dispute_id, "resolved": True, "invoice": invoice, "amount_minor": amount_minor,
                        "resolved_on": on})


def unresolved_disputes(uow: Uow, paid_only: bool = False) -> list[Any]:
    """Open disputes (id, amount_minor, category, opened_on, invoice, invoice_open_minor, currency,
    customer); ``paid_only``: those on invoices already fully paid, credited or written off."""
    return list(uow.collect.unresolved_disputes(paid_only))


def resolve_paid_disputes(uow: Uow, on: date, *, by: audit.By) -> list[Any]:
    """Close, in one go, every dispute whose invoice has nothing open any more; returns those closed
    (one audit row each).

    Nothing is left to argue about once the money is settled, and the invoice's disputed amount is
    already 0 (it never exceeds what is open), so no collectable money changes."""
    rows = unresolved_disputes(uow, paid_only=True)
    uow.collect.resolve_disputes([r.id for r in rows], on)
    ids: dict[str, int] = {}
    for r in rows:
        cid = ids.get(r.customer) or ids.setdefault(r.customer, _customer(uow, r.customer)[0])
        _audit_resolved(uow, by, r.id, (cid, r.customer), r.invoice, r.amount_minor, on)
    return rows


def disputed_sums(uow: Uow, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Invoice → Σ its unresolved disputes."""
    return dict(uow.ledger.disputed_sums(invoice_ids))


def refresh_disputed(uow: Uow, invoice_ids: Sequence[int]) -> None:
    """Set ``disputed_minor`` = min(open, Σ unresolved disputes) for these invoices."""
    sums = disputed_sums(uow, invoice_ids)
    for iid, open_minor in uow.ledger.invoice_opens(invoice_ids):
        uow.ledger.set_invoice(iid, disputed_minor=max(0, min(open_minor, sums.get(iid, 0))))


# ---- consistency check ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Mismatch:
    table: str
    id: int
    number: str | None
    column: str
    stored: int
    expected: int


def recompute_open(uow: Uow) -> list[Mismatch]:
    """Recompute the maintained aggregates from the detail rows; returns every disagreement."""
    out: list[Mismatch] = []
    sums = disputed_sums(uow)
    for iid, number, amount, open_minor, disputed, allocated in uow.ledger.invoice_totals():
        expected_open = amount - allocated
        if open_minor != expected_open:
            out.append(Mismatch("invoice", iid, number, "open_minor", open_minor, expected_open))
        expected_disputed = max(0, min(expected_open, sums.get(iid, 0)))
        if disputed != expected_disputed:
            out.append(Mismatch("invoice", iid, number, "disputed_minor", disputed, expected_disputed))
        if expected_open < 0:
            out.append(Mismatch("invoice", iid, number, "open_minor", open_minor, 0))
    for kind in ("payment", "credit_note"):
        for pid, number, amount, unapplied, allocated in uow.ledger.posting_totals(kind):
            if unapplied != amount - allocated:
                out.append(Mismatch(kind, pid, number, "unapplied_minor", unapplied, amount - allocated))
    for wid, amount, allocated in uow.ledger.write_off_totals():
        if allocated != amount:
            out.append(Mismatch("write_off", wid, None, "amount_minor", amount, allocated))
    return out


__all__ = [
    "Mismatch", "OpenBook", "PostingResult", "apply_unapplied_credit", "open_dispute", "record_credit_note",
    "record_payment", "recompute_open", "resolve_dispute", "resolve_paid_disputes", "settle_tasks",
    "unresolved_disputes", "write_off",
]
