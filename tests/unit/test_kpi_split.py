"""``Book.split`` (one pass for every group of ``huikuan kpi --by``) gives each group the book ``Book.only``
gives it, with the open amounts already computed carried along unchanged, on random books."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from huikuan.domain.kpi import (
    Book,
    CustomerInfo,
    DisputeFacts,
    InvoiceFacts,
    PromiseFacts,
    Settlement,
    collector_effectiveness,
    kpis,
)

START = date(2026, 6, 1)


def _book(rnd: random.Random) -> Book:
    invoices = []
    for n in range(60):
        on = START + timedelta(days=rnd.randrange(120))
        amount = rnd.randrange(1, 10_000)
        paid = tuple(Settlement(on + timedelta(days=rnd.randrange(90)), rnd.randrange(1, amount + 1), rnd.random() < 0.8)
                     for _ in range(rnd.choice((0, 0, 1, 2))))
        invoices.append(InvoiceFacts(n, rnd.randrange(8), on, on + timedelta(days=rnd.choice((0, 30, 60))), amount, paid))
    disputes = [DisputeFacts(i.invoice_id, i.customer_id, 10, i.invoice_on, None) for i in rnd.sample(invoices, 5)]
    promises = [PromiseFacts(rnd.randrange(8), 100, START + timedelta(days=k * 9), START + timedelta(days=k * 9 + 5))
                for k in range(12)]
    payments = {c: [(START + timedelta(days=rnd.randrange(120)), 50)] for c in range(0, 8, 2)}
    customers = {c: CustomerInfo(f"K{c}", "dealer", "-", f"c{c % 3}", "-") for c in range(8)}
    return Book(invoices, {"2026-09": 5_000, "2026-08": 4_000}, disputes, promises, payments, customers)


@pytest.mark.parametrize("seed", range(5))
def test_split_gives_each_group_what_only_gives_it(seed: int) -> None:
    rnd = random.Random(seed)
    book = _book(rnd)
    days = [date(2026, 8, 31), date(2026, 9, 30)]
    for d in days:
        book.opens(d)  # computed on the whole book first, as kpi_report does for the company
    group_of = {c: f"g{rnd.randrange(3)}" for c in range(7)}  # customer 7 is in no group
    sales = {"g0": {"2026-09": 1_000}, "g1": {"2026-08": 2_000}}
    parts = book.split(group_of, sales)
    assert sorted(parts) == sorted(set(group_of.values()))
    for key, part in parts.items():
        only = book.only(lambda c, k=key: group_of.get(c) == k, dict(sales.get(key, {})))
        assert part == only, key
        for d in days:
            assert part._opens[d] == [i.open_at(d) for i in part.invoices], (key, d)  # carried, and right
        assert kpis(part, "2026-09") == kpis(only, "2026-09")
        assert collector_effectiveness(part, "2026-09") == collector_effectiveness(only, "2026-09")
    assert sum(len(p.invoices) for p in parts.values()) == sum(1 for i in book.invoices if i.customer_id != 7)


def test_open_amounts_of_a_changed_book_are_not_carried() -> None:
    book = _book(random.Random(1))
    d = date(2026, 9, 30)
    book.opens(d)
    book.invoices.append(InvoiceFacts(99, 0, START, START, 123))
    parts = book.split({0: "a"}, {})
    assert d not in parts["a"]._opens
    assert parts["a"].opens(d) == [i.open_at(d) for i in parts["a"].invoices] and parts["a"].invoices[-1].invoice_id == 99
