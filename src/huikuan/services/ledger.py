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

Allocation is the pure ``domain.allocation.allocate`` (named invoice first, then oldest due);
``OpenBook`` holds a set of customers' open invoices in memory so an import allocates thousands of
payments with one read and one batched write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection, func, insert, select, update

from ..adapters.db import tables as t
from ..domain.allocation import allocate
from ..domain.credit import check_bill
from ..domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from ..domain.ledger import DisputeCategory, OpenItem, PaymentMethod, settled_reason
from ..domain.money import Money
from ..domain.parsing import parse_dispute_category, parse_payment_method


class Uow(Protocol):
    company_id: int

    @property
    def c(self) -> Connection: ...

    @property
    def collect(self) -> Any: ...


# ---- batched SQL helpers ----------------------------------------------------------------------

BATCH = 5000


def sql_date(conn: Connection, d: date | None) -> Any:
    """A date as the raw driver wants it: ISO text for SQLite (no deprecated adapter), else the date."""
    if d is None:
        return None
    return d.isoformat() if conn.dialect.name == "sqlite" else d


def executemany(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]], batch: int = BATCH) -> None:
    """Run ``sql`` (``?`` placeholders) for many rows through the driver, in batches."""
    if not rows:
        return
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    for i in range(0, len(rows), batch):
        conn.exec_driver_sql(sql, list(rows[i:i + batch]))


ALLOCATION_SQL = (
    "INSERT INTO allocation (company_id, invoice_id, payment_id, credit_note_id, write_off_id, amount_minor,"
    " allocated_on) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INVOICE_OPEN_SQL = "UPDATE invoice SET open_minor = ?, disputed_minor = ? WHERE id = ?"


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

    @classmethod
    def load(cls, uow: Uow, customer_ids: Iterable[int] | None = None) -> OpenBook:
        inv = t.invoice.c
        q = select(inv.id, inv.customer_id, inv.number, inv.due_on, inv.currency, inv.open_minor,
                   inv.disputed_minor).where(inv.company_id == uow.company_id, inv.open_minor > 0)
        book = cls()
        ids = None if customer_ids is None else sorted(set(customer_ids))
        chunks = [None] if ids is None else [ids[i:i + 900] for i in range(0, len(ids), 900)]
        for chunk in chunks:
            qq = q if chunk is None else q.where(inv.customer_id.in_(chunk))
            for r in uow.c.execute(qq):
                book.by_customer.setdefault(r[1], []).append(OpenInvoice(*r))
        return book

    def allocate(self, customer_id: int, currency: str, amount_minor: int, *, named: int | None = None,
                 named_only: bool = False, only: set[str] | None = None) -> tuple[list[tuple[int, int]], int]:
        """Allocate ``amount_minor``: named invoice first, then oldest due. Returns (lines, unapplied)."""
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
        executemany(uow.c, INVOICE_OPEN_SQL, rows)
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
    d = sql_date(uow.c, on)
    return [(uow.company_id, inv, payment_id, credit_note_id, write_off_id, minor, d) for inv, minor in lines]


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
    cu = t.customer.c
    row = uow.c.execute(select(cu.id, cu.currency).where(cu.company_id == uow.company_id, cu.code == code)).first()
    if row is None:
        raise NotFound("customer.not_found", what="customer", value=code)
    return int(row[0]), str(row[1])


def _invoice(uow: Uow, number: str) -> InvoiceRow:
    inv = t.invoice.c
    row = uow.c.execute(
        select(inv.id, inv.customer_id, inv.number, inv.currency, inv.amount_minor, inv.open_minor,
               inv.disputed_minor).where(inv.company_id == uow.company_id, inv.number == number)
    ).first()
    if row is None:
        raise NotFound("invoice.not_found", what="invoice", value=number)
    return InvoiceRow(*row)


def _positive(amount: Money) -> None:
    if amount.minor < 0:
        raise InvalidInput("amount.negative", value=amount.amount_text())
    if amount.minor == 0:
        raise InvalidInput("amount.zero", value=amount.amount_text())


def _next_number(uow: Uow, table: t.Table, prefix: str) -> str:
    col = table.c.number
    taken = set(uow.c.execute(select(col).where(table.c.company_id == uow.company_id,
                                                col.like(prefix + "%"))).scalars())
    n = len(taken) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _ensure_new_number(uow: Uow, table: t.Table, number: str, code: str) -> None:
    exists = uow.c.execute(select(table.c.id).where(table.c.company_id == uow.company_id,
                                                    table.c.number == number)).first()
    if exists is not None:
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
    if not ids:
        return {}
    inv = t.invoice.c
    return dict(uow.c.execute(select(inv.id, inv.number).where(inv.id.in_(ids))).all())


def record_payment(uow: Uow, customer_code: str, amount: Money, paid_on: date, *, number: str | None = None,
                   method: PaymentMethod | str = PaymentMethod.TRANSFER, invoice_number: str | None = None,
                   bill_matures_on: date | None = None, bill_kind: str | None = None) -> PostingResult:
    """Record a receipt (回款) and allocate it; what finds no open invoice stays as unapplied credit.

    An acceptance bill (承兑汇票) names its kind: a bank acceptance counts as paid; a commercial one is
    allocated like any payment but stays in the customer's credit exposure until it matures."""
    _positive(amount)
    bill_kind = check_bill(parse_payment_method(method), bill_kind, bill_matures_on)
    customer_id, _ = _customer(uow, customer_code)
    named = _named_invoice(uow, invoice_number, customer_id, amount.currency)
    number = number or _next_number(uow, t.payment, f"PAY-{paid_on:%Y%m%d}-")
    _ensure_new_number(uow, t.payment, number, "payment.duplicate")
    book = OpenBook.load(uow, [customer_id])
    lines, left = book.allocate(customer_id, amount.currency, amount.minor, named=named)
    pid = uow.c.execute(insert(t.payment).values(
        company_id=uow.company_id, customer_id=customer_id, number=number, paid_on=paid_on,
        amount_minor=amount.minor, currency=amount.currency, method=parse_payment_method(method).value,
        bill_matures_on=bill_matures_on, bill_kind=bill_kind, invoice_number=invoice_number, unapplied_minor=left,
    )).inserted_primary_key[0]
    executemany(uow.c, ALLOCATION_SQL, allocation_rows(uow, lines, paid_on, payment_id=pid))
    book.flush(uow, paid_on)
    names = _numbers(uow, (i for i, _ in lines))
    return PostingResult(int(pid), number, tuple((names[i], m) for i, m in lines), left)


def record_credit_note(uow: Uow, customer_code: str, amount: Money, note_on: date, *,
                       invoice_number: str | None = None, number: str | None = None) -> PostingResult:
    """A red-letter invoice (红字发票): reduces the named invoice; the rest stays as unapplied credit.

    Without a named invoice the credit is allocated oldest-first like a payment.
    """
    _positive(amount)
    customer_id, _ = _customer(uow, customer_code)
    named = _named_invoice(uow, invoice_number, customer_id, amount.currency)
    number = number or _next_number(uow, t.credit_note, f"CN-{note_on:%Y%m%d}-")
    _ensure_new_number(uow, t.credit_note, number, "credit_note.duplicate")
    book = OpenBook.load(uow, [customer_id])
    lines, left = book.allocate(customer_id, amount.currency, amount.minor, named=named,
                                named_only=named is not None)
    cid = uow.c.execute(insert(t.credit_note).values(
        company_id=uow.company_id, customer_id=customer_id, number=number, invoice_number=invoice_number,
        note_on=note_on, amount_minor=amount.minor, currency=amount.currency, unapplied_minor=left,
    )).inserted_primary_key[0]
    executemany(uow.c, ALLOCATION_SQL, allocation_rows(uow, lines, note_on, credit_note_id=cid))
    book.flush(uow, note_on)
    names = _numbers(uow, (i for i, _ in lines))
    return PostingResult(int(cid), number, tuple((names[i], m) for i, m in lines), left)


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
    executemany(uow.c, ALLOCATION_SQL, alloc)
    executemany(uow.c, "UPDATE payment SET unapplied_minor = ? WHERE id = ?", pay_updates)
    executemany(uow.c, "UPDATE credit_note SET unapplied_minor = ? WHERE id = ?", note_updates)
    book.flush(uow, on)
    return applied


def _unapplied_credits(uow: Uow, customer_ids: Iterable[int] | None) -> list[tuple[str, int, int, str, int]]:
    """(kind, id, customer_id, currency, unapplied) ordered oldest first."""
    ids = None if customer_ids is None else set(customer_ids)
    out: list[tuple[date, int, int, tuple[str, int, int, str, int]]] = []
    for kind, table, day in (("payment", t.payment, t.payment.c.paid_on),
                             ("credit_note", t.credit_note, t.credit_note.c.note_on)):
        c = table.c
        q = select(c.id, c.customer_id, c.currency, c.unapplied_minor, day).where(
            c.company_id == uow.company_id, c.unapplied_minor > 0)
        for r in uow.c.execute(q):
            if ids is None or r[1] in ids:
                # Oldest first; on the same day payments before credit notes, then by id.
                out.append((r[4], kind != "payment", int(r[0]), (kind, int(r[0]), int(r[1]), str(r[2]), int(r[3]))))
    out.sort(key=lambda x: x[:3])
    return [x[3] for x in out]


# ---- write-offs ----------------------------------------------------------------------------------

def write_off(uow: Uow, invoice_number: str, amount: Money, reason: str, on: date) -> int:
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
    wid = uow.c.execute(insert(t.write_off).values(
        company_id=uow.company_id, customer_id=inv.customer_id, invoice_id=inv.id, written_on=on,
        amount_minor=amount.minor, reason=reason.strip(),
    )).inserted_primary_key[0]
    executemany(uow.c, ALLOCATION_SQL, allocation_rows(uow, [(inv.id, amount.minor)], on, write_off_id=wid))
    uow.c.execute(update(t.invoice).where(t.invoice.c.id == inv.id).values(open_minor=inv.open_minor - amount.minor))
    settle_tasks(uow, [inv.customer_id], on)
    return int(wid)


# ---- disputes ------------------------------------------------------------------------------------

def open_dispute(uow: Uow, invoice_number: str, amount: Money | None, category: DisputeCategory | str,
                 opened_on: date, note: str | None = None) -> int:
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
    did = uow.c.execute(insert(t.dispute).values(
        company_id=uow.company_id, customer_id=inv.customer_id, invoice_id=inv.id, amount_minor=minor,
        category=category.value, opened_on=opened_on, note=note,
    )).inserted_primary_key[0]
    uow.c.execute(update(t.invoice).where(t.invoice.c.id == inv.id).values(disputed_minor=inv.disputed_minor + minor))
    settle_tasks(uow, [inv.customer_id], opened_on)
    return int(did)


def resolve_dispute(uow: Uow, dispute_id: int, resolved_on: date) -> None:
    """Close a dispute; its amount becomes collectable again (if still open)."""
    d = t.dispute.c
    row = uow.c.execute(select(d.invoice_id, d.resolved_on).where(
        d.company_id == uow.company_id, d.id == dispute_id)).first()
    if row is None:
        raise NotFound("dispute.not_found", what="dispute", value=dispute_id)
    if row[1] is not None:
        raise RuleViolation("dispute.already_resolved", value=dispute_id, on=row[1].isoformat())
    uow.c.execute(update(t.dispute).where(d.id == dispute_id).values(resolved_on=resolved_on))
    refresh_disputed(uow, [int(row[0])])


def unresolved_disputes(uow: Uow, paid_only: bool = False) -> list[Any]:
    """Open disputes (id, amount_minor, category, opened_on, invoice, invoice_open_minor, currency,
    customer); ``paid_only``: those on invoices already fully paid, credited or written off."""
    return list(uow.collect.unresolved_disputes(paid_only))


def resolve_paid_disputes(uow: Uow, on: date) -> list[Any]:
    """Close, in one go, every dispute whose invoice has nothing open any more; returns those closed.

    Nothing is left to argue about once the money is settled, and the invoice's disputed amount is
    already 0 (it never exceeds what is open), so no collectable money changes."""
    rows = unresolved_disputes(uow, paid_only=True)
    uow.collect.resolve_disputes([r.id for r in rows], on)
    return rows


def disputed_sums(uow: Uow, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
    d = t.dispute.c
    q = select(d.invoice_id, func.sum(d.amount_minor)).where(
        d.company_id == uow.company_id, d.resolved_on.is_(None)).group_by(d.invoice_id)
    if invoice_ids is not None:
        q = q.where(d.invoice_id.in_(list(invoice_ids)))
    return {int(i): int(s) for i, s in uow.c.execute(q)}


def refresh_disputed(uow: Uow, invoice_ids: Sequence[int]) -> None:
    """Set ``disputed_minor`` = min(open, Σ unresolved disputes) for these invoices."""
    sums = disputed_sums(uow, invoice_ids)
    inv = t.invoice.c
    for iid, open_minor in uow.c.execute(select(inv.id, inv.open_minor).where(inv.id.in_(list(invoice_ids)))):
        uow.c.execute(update(t.invoice).where(inv.id == iid).values(
            disputed_minor=max(0, min(open_minor, sums.get(iid, 0)))))


# ---- consistency check ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Mismatch:
    table: str
    id: int
    number: str | None
    column: str
    stored: int
    expected: int


def _allocated(uow: Uow, key: Any) -> Any:
    a = t.allocation.c
    return (select(key.label("k"), func.sum(a.amount_minor).label("s"))
            .where(a.company_id == uow.company_id, key.is_not(None)).group_by(key).subquery())


def recompute_open(uow: Uow) -> list[Mismatch]:
    """Recompute the maintained aggregates from the detail rows; returns every disagreement."""
    out: list[Mismatch] = []
    inv = t.invoice.c
    al = _allocated(uow, t.allocation.c.invoice_id)
    sums = disputed_sums(uow)
    q = (select(inv.id, inv.number, inv.amount_minor, inv.open_minor, inv.disputed_minor, al.c.s)
         .select_from(t.invoice.outerjoin(al, al.c.k == inv.id)).where(inv.company_id == uow.company_id))
    for iid, number, amount, open_minor, disputed, allocated in uow.c.execute(q):
        expected_open = amount - int(allocated or 0)
        if open_minor != expected_open:
            out.append(Mismatch("invoice", iid, number, "open_minor", open_minor, expected_open))
        expected_disputed = max(0, min(expected_open, sums.get(iid, 0)))
        if disputed != expected_disputed:
            out.append(Mismatch("invoice", iid, number, "disputed_minor", disputed, expected_disputed))
        if expected_open < 0:
            out.append(Mismatch("invoice", iid, number, "open_minor", open_minor, 0))
    for table, key in ((t.payment, t.allocation.c.payment_id), (t.credit_note, t.allocation.c.credit_note_id)):
        sub = _allocated(uow, key)
        c = table.c
        q = (select(c.id, c.number, c.amount_minor, c.unapplied_minor, sub.c.s)
             .select_from(table.outerjoin(sub, sub.c.k == c.id)).where(c.company_id == uow.company_id))
        for pid, number, amount, unapplied, allocated in uow.c.execute(q):
            expected = amount - int(allocated or 0)
            if unapplied != expected:
                out.append(Mismatch(table.name, pid, number, "unapplied_minor", unapplied, expected))
    wo = t.write_off.c
    sub = _allocated(uow, t.allocation.c.write_off_id)
    q = (select(wo.id, wo.amount_minor, sub.c.s).select_from(t.write_off.outerjoin(sub, sub.c.k == wo.id))
         .where(wo.company_id == uow.company_id))
    for wid, amount, allocated in uow.c.execute(q):
        if int(allocated or 0) != amount:
            out.append(Mismatch("write_off", wid, None, "amount_minor", amount, int(allocated or 0)))
    return out


__all__ = [
    "Mismatch", "OpenBook", "PostingResult", "apply_unapplied_credit", "open_dispute", "record_credit_note",
    "record_payment", "recompute_open", "resolve_dispute", "resolve_paid_disputes", "settle_tasks",
    "unresolved_disputes", "write_off",
]
