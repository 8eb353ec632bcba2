"""The importer's statements (services/import_/): what exists already, and the set-based writes.

Each kind's importer pre-loads the rows it may update into a dict once (no query per row), then
hands its inserts and updates here; they go through the driver's ``executemany`` in batches
(``ledger_repo.executemany``), which is what lets a million invoices load in seconds. Dates are
turned into driver values once per distinct date. Writers never commit: the unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select

from . import tables as t
from .ledger_repo import executemany, sql_date

POSTINGS = {"payment": t.payment, "credit_note": t.credit_note}
# The column of the allocation table that names a posting of each kind.
_POSTING_KEY = {"payment": "payment_id", "credit_note": "credit_note_id"}


class _DateMemo(dict[date | None, Any]):
    """date → driver value, computed once per distinct date (a million invoices share a few hundred)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    def __missing__(self, key: date | None) -> Any:
        value = self[key] = sql_date(self.conn, key)
        return value


class ImportRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id
        self.d = _DateMemo(conn).__getitem__

    # ── customers and contacts ─────────────────────────────────────────────────────────────
    def customer_terms(self) -> dict[str, tuple[int, str, str]]:
        """code → (id, terms text, currency) of every customer."""
        cu = t.customer.c
        q = select(cu.code, cu.id, cu.terms, cu.currency).where(cu.company_id == self.cid)
        return {r[0]: (int(r[1]), r[2], r[3]) for r in self.c.execute(q)}

    def customers(self, fields: Sequence[str]) -> dict[str, tuple[int, tuple[Any, ...]]]:
        """code → (id, values of ``fields``)."""
        cu = t.customer.c
        q = select(cu.code, cu.id, *(cu[f] for f in fields)).where(cu.company_id == self.cid)
        return {r[0]: (int(r[1]), tuple(r[2:])) for r in self.c.execute(q)}

    def insert_customers(self, fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """(code, *values of ``fields``) per new customer."""
        executemany(self.c, f"INSERT INTO customer (company_id, code, {', '.join(fields)}) VALUES "
                            f"({self.cid}, ?, {', '.join('?' * len(fields))})", rows)

    def update_customers(self, fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """(*values of ``fields``, id) per changed customer; its optimistic version moves on."""
        sets = ", ".join(f"{f} = ?" for f in fields)
        executemany(self.c, f"UPDATE customer SET {sets}, version = version + 1 WHERE id = ?", rows)

    def contacts(self, fields: Sequence[str]) -> dict[tuple[int, str], tuple[int, tuple[Any, ...]]]:
        """(customer id, name) → (id, values of ``fields``)."""
        co = t.contact.c
        q = select(co.customer_id, co.name, co.id, *(co[f] for f in fields)).where(co.company_id == self.cid)
        return {(r[0], r[1]): (int(r[2]), tuple(r[3:])) for r in self.c.execute(q)}

    def insert_contacts(self, fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """(customer id, name, *values of ``fields``) per new contact."""
        executemany(self.c, f"INSERT INTO contact (company_id, customer_id, name, {', '.join(fields)})"
                            f" VALUES ({self.cid}, ?, ?, {', '.join('?' * len(fields))})", rows)

    def update_contacts(self, fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        sets = ", ".join(f"{f} = ?" for f in fields)
        executemany(self.c, f"UPDATE contact SET {sets} WHERE id = ?", rows)

    # ── invoices ───────────────────────────────────────────────────────────────────────────
    def invoices(self) -> dict[str, tuple[int, tuple[Any, ...], int]]:
        """number → (id, (customer_id, invoice_on, due_on, due_explicit, amount, currency, bill_channel),
        allocated)."""
        inv = t.invoice.c
        q = select(inv.number, inv.id, inv.customer_id, inv.invoice_on, inv.due_on, inv.due_explicit,
                   inv.amount_minor, inv.currency, inv.open_minor, inv.bill_channel).where(inv.company_id == self.cid)
        return {r[0]: (r[1], (r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[9]), r[6] - r[8]) for r in self.c.execute(q)}

    def invoice_refs(self) -> dict[str, tuple[int, int, str]]:
        """number → (id, customer_id, currency) of every invoice (what a payment may name)."""
        inv = t.invoice.c
        q = select(inv.number, inv.id, inv.customer_id, inv.currency).where(inv.company_id == self.cid)
        return {r[0]: (int(r[1]), int(r[2]), r[3]) for r in self.c.execute(q)}

    def invoice_ids(self, numbers: Iterable[str]) -> dict[str, int]:
        """number → id of these invoices (those found)."""
        inv = t.invoice.c
        wanted = sorted(numbers)
        out: dict[str, int] = {}
        for i in range(0, len(wanted), 500):
            q = select(inv.number, inv.id).where(inv.company_id == self.cid, inv.number.in_(wanted[i:i + 500]))
            out.update((r[0], int(r[1])) for r in self.c.execute(q))
        return out

    def insert_invoices(self, records: list[tuple[str, tuple[Any, ...]]]) -> None:
        """(number, (customer_id, invoice_on, due_on, due_explicit, amount, currency, bill_channel)) per new
        invoice, inserted fully open and undisputed."""
        d = self.d
        rows = [(self.cid, v[0], number, d(v[1]), d(v[2]), v[3], v[4], v[5], v[4], v[6]) for number, v in records]
        # Why sorted: in (customer, due) order the wide open-invoice index grows at its end instead of
        # splitting pages all over; a million rows insert ~30% faster on SQLite.
        rows.sort(key=itemgetter(1, 4))
        executemany(self.c, "INSERT INTO invoice (company_id, customer_id, number, invoice_on, due_on,"
                            " due_explicit, amount_minor, currency, open_minor, bill_channel, disputed_minor)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", rows)

    def update_invoices(self, rows: Iterable[tuple[int, tuple[Any, ...], int, int]]) -> None:
        """(id, (customer_id, invoice_on, due_on, due_explicit, amount, currency, bill_channel), open, disputed)."""
        d = self.d
        executemany(self.c, "UPDATE invoice SET customer_id = ?, invoice_on = ?, due_on = ?, due_explicit = ?,"
                            " amount_minor = ?, currency = ?, bill_channel = ?, open_minor = ?, disputed_minor = ?"
                            " WHERE id = ?",
                    [(v[0], d(v[1]), d(v[2]), v[3], v[4], v[5], v[6], open_minor, disputed, iid)
                     for iid, v, open_minor, disputed in rows])

    # ── payments and credit notes ──────────────────────────────────────────────────────────
    def postings(self, kind: str) -> dict[str, tuple[int, tuple[Any, ...]]]:
        """number → (id, values) of every payment (customer_id, paid_on, amount, currency, invoice_number,
        method, bill_matures_on, bill_kind) or credit note (customer_id, note_on, amount, currency,
        invoice_number)."""
        if kind == "payment":
            p = t.payment.c
            cols = [p.customer_id, p.paid_on, p.amount_minor, p.currency, p.invoice_number, p.method,
                    p.bill_matures_on, p.bill_kind]
        else:
            cn = t.credit_note.c
            cols = [cn.customer_id, cn.note_on, cn.amount_minor, cn.currency, cn.invoice_number]
        table = POSTINGS[kind]
        q = select(table.c.number, table.c.id, *cols).where(table.c.company_id == self.cid)
        return {r[0]: (int(r[1]), tuple(r[2:])) for r in self.c.execute(q)}

    def add_allocations_by_number(self, kind: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """(invoice id, amount, day, posting number): the posting's id is looked up by its number in the
        statement, so the rows can be built before the postings are written."""
        table = POSTINGS[kind].name
        executemany(self.c, f"INSERT INTO allocation (company_id, invoice_id, {_POSTING_KEY[kind]}, amount_minor,"
                            f" allocated_on) SELECT {self.cid}, ?, p.id, ?, ? FROM {table} p"
                            f" WHERE p.company_id = {self.cid} AND p.number = ?", rows)

    def posting_allocations(self, kind: str, posting_id: int) -> list[tuple[int, int]]:
        """(invoice id, amount) of a posting's allocations."""
        a = t.allocation.c
        key = a.payment_id if kind == "payment" else a.credit_note_id
        return [(int(i), int(m)) for i, m in self.c.execute(
            select(a.invoice_id, a.amount_minor).where(a.company_id == self.cid, key == posting_id))]

    def unallocate(self, kind: str, posting_id: int, lines: Sequence[tuple[int, int]]) -> None:
        """Give ``lines`` (its allocations) back to their invoices and delete them."""
        executemany(self.c, "UPDATE invoice SET open_minor = open_minor + ? WHERE id = ?", [(m, i) for i, m in lines])
        executemany(self.c, f"DELETE FROM allocation WHERE company_id = ? AND {_POSTING_KEY[kind]} = ?",
                    [(self.cid, posting_id)])

    def set_disputed(self, rows: Sequence[tuple[int, int]]) -> None:
        """(disputed_minor, invoice id)."""
        executemany(self.c, "UPDATE invoice SET disputed_minor = ? WHERE id = ?", rows)

    def payment_details(self, payment_id: int, v: tuple[Any, ...]) -> None:
        """A payment's date, method and bill maturity changed: its allocations stand."""
        executemany(self.c, "UPDATE payment SET paid_on = ?, method = ?, bill_matures_on = ?, bill_kind = ?"
                            " WHERE id = ?", [(self.d(v[1]), v[5], self.d(v[6]), v[7], payment_id)])

    def credit_note_details(self, note_id: int, v: tuple[Any, ...]) -> None:
        executemany(self.c, "UPDATE credit_note SET note_on = ? WHERE id = ?", [(self.d(v[1]), note_id)])

    def write_payments(self, posted: Sequence[tuple[str, tuple[Any, ...], int | None, Any, int]]) -> None:
        """(number, values, existing id or None, lines, unapplied) per payment posted afresh."""
        d = self.d
        executemany(self.c, "INSERT INTO payment (company_id, customer_id, number, paid_on, amount_minor,"
                            " currency, invoice_number, method, bill_matures_on, bill_kind, unapplied_minor)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(self.cid, v[0], no, d(v[1]), v[2], v[3], v[4], v[5], d(v[6]), v[7], left)
                     for no, v, old, _l, left in posted if old is None])
        executemany(self.c, "UPDATE payment SET customer_id = ?, paid_on = ?, amount_minor = ?, currency = ?,"
                            " invoice_number = ?, method = ?, bill_matures_on = ?, bill_kind = ?, unapplied_minor = ?"
                            " WHERE id = ?",
                    [(v[0], d(v[1]), v[2], v[3], v[4], v[5], d(v[6]), v[7], left, old)
                     for _no, v, old, _l, left in posted if old is not None])

    def write_credit_notes(self, posted: Sequence[tuple[str, tuple[Any, ...], int | None, Any, int]]) -> None:
        d = self.d
        executemany(self.c, "INSERT INTO credit_note (company_id, customer_id, number, note_on, amount_minor,"
                            " currency, invoice_number, unapplied_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(self.cid, v[0], no, d(v[1]), v[2], v[3], v[4], left)
                     for no, v, old, _l, left in posted if old is None])
        executemany(self.c, "UPDATE credit_note SET customer_id = ?, note_on = ?, amount_minor = ?,"
                            " currency = ?, invoice_number = ?, unapplied_minor = ? WHERE id = ?",
                    [(v[0], d(v[1]), v[2], v[3], v[4], left, old)
                     for _no, v, old, _l, left in posted if old is not None])
