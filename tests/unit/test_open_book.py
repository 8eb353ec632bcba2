"""``OpenBook.allocate`` (the importer's and the ledger's allocation) gives exactly the lines of the pure
``domain.allocation.allocate`` over the customer's open invoices, payment after payment — oldest due
first, the named invoice first, to the fen — while sorting each customer's invoices once, not once per
payment (issue 6 item 16: 34 of 47 s of a payment import went to re-sorting)."""

from __future__ import annotations

import copy
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.domain.allocation import allocate
from huikuan.domain.ledger import OpenItem
from huikuan.services.ledger import OpenBook, OpenInvoice

DAY0 = date(2026, 1, 1)


def reference(book: dict[int, list[OpenInvoice]], cid: int, cur: str, amount: int,
              named: int | None) -> tuple[list[tuple[int, int]], int]:
    items = [i for i in book.get(cid, []) if i.open_minor > 0 and i.currency == cur]
    result = allocate(amount, [OpenItem(i.invoice_id, i.number, i.due_on, i.open_minor) for i in items], named)
    by_id = {i.invoice_id: i for i in items}
    for iid, minor in result.lines:
        by_id[iid].open_minor -= minor
        by_id[iid].disputed_minor = min(by_id[iid].disputed_minor, by_id[iid].open_minor)
    return list(result.lines), result.unapplied_minor


invoices = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), st.integers(0, 50_000),
                              st.sampled_from(["CNY", "CNY", "USD"]), st.integers(0, 1)), max_size=25)
payments = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 120_000), st.sampled_from(["CNY", "USD"]),
                              st.one_of(st.none(), st.integers(0, 30))), max_size=30)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(invoices, payments)
def test_open_book_allocates_exactly_as_the_domain_rule(invs, pays):
    book: dict[int, list[OpenInvoice]] = {}
    for n, (cid, due, open_minor, cur, disputed) in enumerate(invs):
        book.setdefault(cid, []).append(OpenInvoice(n, cid, f"N{n % 7:02d}-{n}", DAY0 + timedelta(days=due), cur,
                                                    open_minor, open_minor // 2 if disputed else 0))
    expected_book = copy.deepcopy(book)
    ob = OpenBook(by_customer=book)
    for cid, amount, cur, named in pays:
        got = ob.allocate(cid, cur, amount, named=named)
        assert got == reference(expected_book, cid, cur, amount, named)
        lines, left = got
        assert sum(m for _, m in lines) + left == amount  # never a fen created or lost
    state = {i.invoice_id: (i.open_minor, i.disputed_minor) for items in book.values() for i in items}
    assert state == {i.invoice_id: (i.open_minor, i.disputed_minor) for items in expected_book.values() for i in items}


def test_a_customer_with_many_invoices_is_sorted_once_not_per_payment():
    n = 1_000
    sorts = 0

    class CountingDate(date):
        def __lt__(self, other):  # every comparison a sort makes
            nonlocal sorts
            sorts += 1
            return date.__lt__(self, other)

    items = [OpenInvoice(i, 1, f"I{i:05d}", CountingDate.fromordinal(DAY0.toordinal() + (i * 7919) % n), "CNY", 100, 0)
             for i in range(n)]
    ob = OpenBook(by_customer={1: items})
    for _ in range(n):  # one payment per invoice, each paying the oldest
        ob.allocate(1, "CNY", 100)
    assert all(i.open_minor == 0 for i in items)
    assert sorts < 40 * n  # one sort (n log n ≈ 15 n comparisons); a sort per payment would be ≈ 15 n²
