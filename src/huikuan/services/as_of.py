"""The book as it stood on a past day, from the facts dated on or before it.

``--as-of`` in the past (aging, ``customer show``, ``worklist``) must not show today's balances: an
invoice's open money on day D is its amount less the allocations dated up to D (payments, credit
notes and write-offs each allocate on their own date), its disputed money the disputes opened by D
and not resolved by D, and only invoices dated up to D exist. Tasks are those made by D and not yet
closed on D (``decided_on``), less those whose money was no longer collectable on D.

What has no date cannot be shown as it was: a customer's credit status, limit and flags are today's
(``customer show`` says so); an invoice's amount is its latest imported amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..domain.aging import age_items, balance_as_of
from ..domain.ledger import settled_reason
from ..domain.money import MAX_MINOR


@dataclass(frozen=True, slots=True)
class InvoiceAsOf:
    id: int
    customer_id: int
    number: str
    invoice_on: date
    due_on: date
    amount_minor: int
    currency: str
    open_minor: int
    disputed_minor: int


def is_past(app: Any, as_of: date | None) -> bool:
    return as_of is not None and as_of < app.clock.today()


def invoices_as_of(uow: Any, as_of: date, customer_ids: Sequence[int] | None = None) -> list[InvoiceAsOf]:
    """Invoices with money open on ``as_of``, by customer then due date."""
    out: list[InvoiceAsOf] = []
    for r in uow.collect.invoices_as_of(as_of, customer_ids):
        open_minor, disputed = balance_as_of(int(r.amount_minor), int(r.allocated), int(r.disputes))
        if open_minor != 0:
            out.append(InvoiceAsOf(int(r.id), int(r.customer_id), str(r.number), r.invoice_on, r.due_on,
                                   int(r.amount_minor), str(r.currency), open_minor, disputed))
    return out


def aging_rows(uow: Any, as_of: date, buckets: Sequence[int]) -> list[tuple[int, str, list[int], int, int, date | None]]:
    """``CollectRepo.aging_rows`` as of a past day: (customer_id, currency, amounts, disputed, overdue, oldest)."""
    groups: dict[tuple[int, str], list[tuple[date, int, int]]] = {}
    for i in invoices_as_of(uow, as_of):
        if not -MAX_MINOR <= i.open_minor <= MAX_MINOR:  # bad data, left out as today's aging leaves it out
            continue
        groups.setdefault((i.customer_id, i.currency), []).append((i.due_on, i.open_minor, i.disputed_minor))
    out = []
    for (cid, cur), items in groups.items():
        amounts, disputed, overdue, oldest = age_items(as_of, items, buckets)
        out.append((cid, cur, amounts, disputed, overdue, oldest))
    return out


def open_tasks(uow: Any, as_of: date, customer_id: int | None = None, scope: Any = None, **filters: Any) -> list[Any]:
    """The tasks open on ``as_of`` whose money was still collectable that day (``filters`` as the worklist's)."""
    rows = uow.customers.open_tasks(as_of, scope, as_of=True, customer_id=customer_id, **filters)
    named = sorted({r.customer_id for r in rows if r.invoices})
    collectable = {i.number: i.open_minor - i.disputed_minor for i in invoices_as_of(uow, as_of, named)} if named else {}
    return [r for r in rows if settled_reason(r.invoices or (), collectable) is None]
