"""Allocation of a payment or credit to open invoices; never creates or loses a fen.

Oldest due first (then invoice number) unless the payment names its invoice; what is left over is
unapplied credit on the customer's account, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .ledger import OpenItem


@dataclass(frozen=True, slots=True)
class Allocation:
    lines: tuple[tuple[int, int], ...]  # (invoice_id, minor)
    unapplied_minor: int

    @property
    def applied_minor(self) -> int:
        return sum(m for _, m in self.lines)


def allocate(amount_minor: int, items: Iterable[OpenItem], named_invoice: int | None = None) -> Allocation:
    if amount_minor < 0:
        raise ValueError("cannot allocate a negative amount")
    ordered = sorted(items, key=lambda i: (i.due_on, i.number))
    if named_invoice is not None:
        # The named invoice first; the rest of the money goes oldest-first like any payment.
        ordered.sort(key=lambda i: i.invoice_id != named_invoice)
    left, lines = amount_minor, []
    for item in ordered:
        if left == 0:
            break
        take = min(left, max(0, item.open_minor))
        if take:
            lines.append((item.invoice_id, take))
            left -= take
    return Allocation(tuple(lines), left)
