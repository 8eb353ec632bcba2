"""The ledger's statements: open invoices, allocations, payments, credit notes, write-offs and disputes.

``services/ledger.py`` keeps the rules (allocation, the invariants, the messages); every statement it
needs is here, on the unit of work (``uow.ledger``). Writers never commit. Batched writes go through the
driver's ``executemany`` (an import posts thousands of allocations in one call).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update

from . import tables as t

BATCH = 5000
ALLOCATION_SQL = (
    "INSERT INTO allocation (company_id, invoice_id, payment_id, credit_note_id, write_off_id, amount_minor,"
    " allocated_on) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INVOICE_OPEN_SQL = "UPDATE invoice SET open_minor = ?, disputed_minor = ? WHERE id = ?"
NUMBERED: dict[str, Table] = {"payment": t.payment, "credit_note": t.credit_note}


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


def _chunks(ids: Iterable[int] | None, size: int = 900) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), size):
        yield ordered[i:i + size]


class LedgerRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def date_param(self, d: date | None) -> Any:
        return sql_date(self.c, d)

    # ── reads ──────────────────────────────────────────────────────────────────────────────
    def open_invoices(self, customer_ids: Iterable[int] | None = None, *,
                      lock: bool = False) -> list[tuple[Any, ...]]:
        """(id, customer_id, number, due_on, currency, open_minor, disputed_minor) with money open.

        ``lock``: the caller will write these rows' open amounts back as absolute values, so on
        PostgreSQL the rows are locked as read (``FOR UPDATE``; SQLite's one write lock already
        serialises writers). Another writer of the same invoices waits for this transaction and then
        reads what it wrote, instead of one of the two updates being lost. Locked in (customer, id)
        order, chunk after chunk of ascending customers, so two lockers never deadlock."""
        inv = t.invoice.c
        q = select(inv.id, inv.customer_id, inv.number, inv.due_on, inv.currency, inv.open_minor,
                   inv.disputed_minor).where(inv.company_id == self.cid, inv.open_minor > 0)
        if lock and self.c.dialect.name == "postgresql":
            q = q.order_by(inv.customer_id, inv.id).with_for_update(of=t.invoice)
        out: list[tuple[Any, ...]] = []
        for chunk in _chunks(customer_ids):
            qq = q if chunk is None else q.where(inv.customer_id.in_(chunk))
            out += [tuple(r) for r in self.c.execute(qq)]
        return out

    def customer(self, code: str) -> tuple[int, str] | None:
        cu = t.customer.c
        row = self.c.execute(select(cu.id, cu.currency).where(cu.company_id == self.cid, cu.code == code)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def invoice(self, number: str) -> tuple[int, int, str, str, int, int, int] | None:
        """(id, customer_id, number, currency, amount_minor, open_minor, disputed_minor)."""
        inv = t.invoice.c
        row = self.c.execute(select(inv.id, inv.customer_id, inv.number, inv.currency, inv.amount_minor,
                                    inv.open_minor, inv.disputed_minor)
                             .where(inv.company_id == self.cid, inv.number == number)).first()
        if row is None:
            return None
        return (int(row[0]), int(row[1]), str(row[2]), str(row[3]), int(row[4]), int(row[5]), int(row[6]))

    def invoice_numbers(self, ids: Iterable[int]) -> dict[int, str]:
        inv = t.invoice.c
        out: dict[int, str] = {}
        for chunk in _chunks(ids):
            out.update({int(i): str(n) for i, n in self.c.execute(
                select(inv.id, inv.number).where(inv.company_id == self.cid, inv.id.in_(chunk or [])))})
        return out

    def numbers_like(self, kind: str, prefix: str) -> set[str]:
        table = NUMBERED[kind]
        return {str(n) for n in self.c.execute(select(table.c.number).where(
            table.c.company_id == self.cid, table.c.number.like(prefix + "%"))).scalars()}

    def number_taken(self, kind: str, number: str) -> bool:
        table = NUMBERED[kind]
        return self.c.execute(select(table.c.id).where(table.c.company_id == self.cid,
                                                       table.c.number == number)).first() is not None

    def unapplied_credits(self) -> list[tuple[str, int, int, str, int, date]]:
        """(kind, id, customer_id, currency, unapplied_minor, day) of payments and credit notes with money
        not yet applied."""
        out: list[tuple[str, int, int, str, int, date]] = []
        for kind, table, day in (("payment", t.payment, t.payment.c.paid_on),
                                 ("credit_note", t.credit_note, t.credit_note.c.note_on)):
            c = table.c
            for r in self.c.execute(select(c.id, c.customer_id, c.currency, c.unapplied_minor, day).where(
                    c.company_id == self.cid, c.unapplied_minor > 0)):
                out.append((kind, int(r[0]), int(r[1]), str(r[2]), int(r[3]), r[4]))
        return out

    def customer_code(self, customer_id: int) -> str:
        cu = t.customer.c
        return str(self.c.execute(select(cu.code).where(cu.company_id == self.cid, cu.id == customer_id)).scalar_one())

    def dispute(self, dispute_id: int) -> tuple[int, date | None, int, int] | None:
        """(invoice_id, resolved_on, customer_id, amount_minor) of a dispute."""
        d = t.dispute.c
        row = self.c.execute(select(d.invoice_id, d.resolved_on, d.customer_id, d.amount_minor).where(
            d.company_id == self.cid, d.id == dispute_id)).first()
        return None if row is None else (int(row[0]), row[1], int(row[2]), int(row[3]))

    def disputed_sums(self, invoice_ids: Iterable[int] | None = None) -> dict[int, int]:
        """Invoice → Σ unresolved disputes."""
        d = t.dispute.c
        q = select(d.invoice_id, func.sum(d.amount_minor)).where(
            d.company_id == self.cid, d.resolved_on.is_(None)).group_by(d.invoice_id)
        out: dict[int, int] = {}
        for chunk in _chunks(invoice_ids):
            out.update({int(i): int(s) for i, s in self.c.execute(
                q if chunk is None else q.where(d.invoice_id.in_(chunk)))})
        return out

    def invoice_opens(self, invoice_ids: Iterable[int]) -> list[tuple[int, int]]:
        inv = t.invoice.c
        out: list[tuple[int, int]] = []
        for chunk in _chunks(invoice_ids):
            out += [(int(i), int(o)) for i, o in self.c.execute(
                select(inv.id, inv.open_minor).where(inv.company_id == self.cid, inv.id.in_(chunk or [])))]
        return out

    # ── writes ─────────────────────────────────────────────────────────────────────────────
    def write_open(self, rows: Sequence[tuple[int, int, int]]) -> None:
        """(open_minor, disputed_minor, invoice_id) for each changed invoice."""
        executemany(self.c, INVOICE_OPEN_SQL, rows)

    def add_allocations(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows from ``allocation_row``."""
        executemany(self.c, ALLOCATION_SQL, rows)

    def allocation_row(self, invoice_id: int, minor: int, on: date, *, payment_id: int | None = None,
                       credit_note_id: int | None = None, write_off_id: int | None = None) -> tuple[Any, ...]:
        return (self.cid, invoice_id, payment_id, credit_note_id, write_off_id, minor, sql_date(self.c, on))

    def set_unapplied(self, kind: str, rows: Sequence[tuple[int, int]]) -> None:
        """(unapplied_minor, id) of payments or credit notes."""
        executemany(self.c, f"UPDATE {NUMBERED[kind].name} SET unapplied_minor = ? WHERE id = ?", rows)

    def add(self, kind: str, **values: Any) -> int:
        """Insert a payment, credit note, write-off or dispute; returns its id."""
        table = {"payment": t.payment, "credit_note": t.credit_note, "write_off": t.write_off,
                 "dispute": t.dispute}[kind]
        key = self.c.execute(insert(table).values(company_id=self.cid, **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def set_invoice(self, invoice_id: int, **values: int) -> None:
        """Set ``open_minor`` and/or ``disputed_minor`` of one invoice."""
        inv = t.invoice.c
        self.c.execute(update(t.invoice).where(inv.company_id == self.cid, inv.id == invoice_id).values(**values))

    def resolve_dispute(self, dispute_id: int, on: date) -> None:
        d = t.dispute.c
        self.c.execute(update(t.dispute).where(d.company_id == self.cid, d.id == dispute_id).values(resolved_on=on))

    # ── the consistency check's reads ──────────────────────────────────────────────────────
    def _allocated(self, key: Any) -> Any:
        a = t.allocation.c
        return (select(key.label("k"), func.sum(a.amount_minor).label("s"))
                .where(a.company_id == self.cid, key.is_not(None)).group_by(key).subquery())

    def invoice_totals(self) -> list[tuple[int, str, int, int, int, int]]:
        """(id, number, amount, open, disputed, Σ allocations) of every invoice."""
        inv = t.invoice.c
        al = self._allocated(t.allocation.c.invoice_id)
        q = (select(inv.id, inv.number, inv.amount_minor, inv.open_minor, inv.disputed_minor, al.c.s)
             .select_from(t.invoice.outerjoin(al, al.c.k == inv.id)).where(inv.company_id == self.cid))
        return [(int(i), str(n), int(a), int(o), int(d), int(s or 0)) for i, n, a, o, d, s in self.c.execute(q)]

    def posting_totals(self, kind: str) -> list[tuple[int, str, int, int, int]]:
        """(id, number, amount, unapplied, Σ allocations) of every payment or credit note."""
        table = NUMBERED[kind]
        key = t.allocation.c.payment_id if kind == "payment" else t.allocation.c.credit_note_id
        sub = self._allocated(key)
        c = table.c
        q = (select(c.id, c.number, c.amount_minor, c.unapplied_minor, sub.c.s)
             .select_from(table.outerjoin(sub, sub.c.k == c.id)).where(c.company_id == self.cid))
        return [(int(i), str(n), int(a), int(u), int(s or 0)) for i, n, a, u, s in self.c.execute(q)]

    def write_off_totals(self) -> list[tuple[int, int, int]]:
        """(id, amount, Σ allocations) of every write-off."""
        wo = t.write_off.c
        sub = self._allocated(t.allocation.c.write_off_id)
        q = (select(wo.id, wo.amount_minor, sub.c.s).select_from(t.write_off.outerjoin(sub, sub.c.k == wo.id))
             .where(wo.company_id == self.cid))
        return [(int(i), int(a), int(s or 0)) for i, a, s in self.c.execute(q)]
