"""Allocation of money to open invoices: never creates or loses a fen; named invoice first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.domain.allocation import allocate
from huikuan.domain.ledger import OpenItem

items_st = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 10**9)), min_size=0, max_size=12,
).map(lambda xs: [OpenItem(i + 1, f"INV{i:03d}", date(2026, 1, 1) + timedelta(days=d), m)
                  for i, (d, m) in enumerate(xs)])


@given(st.integers(0, 10**10), items_st)
def test_conserves_every_fen(amount: int, items: list[OpenItem]) -> None:
    result = allocate(amount, items)
    assert result.applied_minor + result.unapplied_minor == amount
    assert result.unapplied_minor >= 0
    opens = {i.invoice_id: i.open_minor for i in items}
    for invoice_id, minor in result.lines:
        assert 0 < minor <= opens[invoice_id]
    assert len({i for i, _ in result.lines}) == len(result.lines)
    # Money is left over only when every invoice is paid in full.
    if result.unapplied_minor:
        assert result.applied_minor == sum(opens.values())


@given(st.integers(1, 10**10), items_st)
def test_oldest_due_first(amount: int, items: list[OpenItem]) -> None:
    result = allocate(amount, items)
    by_id = {i.invoice_id: i for i in items}
    paid = [by_id[i] for i, _ in result.lines]
    assert paid == sorted(paid, key=lambda i: (i.due_on, i.number))
    # Every invoice except possibly the last one touched is fully paid.
    for invoice_id, minor in result.lines[:-1]:
        assert minor == by_id[invoice_id].open_minor


@given(st.integers(1, 10**10), items_st.filter(bool), st.data())
def test_named_invoice_first(amount: int, items: list[OpenItem], data: st.DataObject) -> None:
    named = data.draw(st.sampled_from(items))
    result = allocate(amount, items, named_invoice=named.invoice_id)
    assert result.applied_minor + result.unapplied_minor == amount
    if named.open_minor:
        assert result.lines[0] == (named.invoice_id, min(amount, named.open_minor))


def test_example_named_then_oldest() -> None:
    a = OpenItem(1, "A", date(2026, 1, 1), 100)
    b = OpenItem(2, "B", date(2026, 2, 1), 100)
    c = OpenItem(3, "C", date(2026, 3, 1), 100)
    result = allocate(250, [c, b, a], named_invoice=3)
    assert result.lines == ((3, 100), (1, 100), (2, 50))
    assert result.unapplied_minor == 0
    assert allocate(400, [a]).unapplied_minor == 300


def test_negative_amount_refused() -> None:
    with pytest.raises(ValueError):
        allocate(-1, [])
