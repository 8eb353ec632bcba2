"""KPI windows on their first and last days, a single fen, several invoices in one bucket, and money
rolling into the last (open-ended) bucket."""

from __future__ import annotations

from datetime import date

import pytest

from huikuan.domain.kpi import (
    Book,
    CustomerInfo,
    InvoiceFacts,
    PromiseFacts,
    Settlement,
    cei,
    collector_effectiveness,
    countback_days,
    disputed_share_pct,
    overdue_collected,
    overdue_share_pct,
    promise_outcomes,
    roll_rates,
)
from huikuan.domain.kpi import DisputeFacts as Dispute

D = date


def test_money_paid_on_the_first_and_last_day_of_the_month_counts_for_the_collector():
    inv = InvoiceFacts(1, 1, D(2026, 8, 1), D(2026, 9, 1), 1_000, (
        Settlement(D(2026, 10, 1), 100), Settlement(D(2026, 10, 31), 200), Settlement(D(2026, 9, 30), 400)))
    promises = [PromiseFacts(1, 100, D(2026, 9, 20), D(2026, 10, 1)), PromiseFacts(1, 900, D(2026, 10, 2), D(2026, 10, 31)),
                PromiseFacts(1, 5, D(2026, 9, 1), D(2026, 9, 30))]
    book = Book([inv], {}, promises=promises, payments={1: [(D(2026, 10, 1), 100)]},
                customers={1: CustomerInfo("K1", "dealer", "东", "张伟", "x")})
    [e] = collector_effectiveness(book, "2026-10")
    assert (e.collected_minor, e.weighted_days, e.promises_due, e.promises_kept) == (300, 100 * 30 + 200 * 60, 2, 1)
    assert promise_outcomes(book, "2026-10") == (2, 1)
    # a customer without payments: nothing kept
    other = Book([], {}, promises=[PromiseFacts(2, 1, D(2026, 10, 1), D(2026, 10, 5))])
    assert promise_outcomes(other, "2026-10") == (1, 0)
    [e] = collector_effectiveness(other, "2026-10")
    assert (e.collector, e.kind, e.cause, e.promises_due, e.promises_kept) == ("-", "-", "-", 1, 0)


def test_one_fen_overdue_at_the_start_counts():
    inv = InvoiceFacts(1, 1, D(2026, 8, 1), D(2026, 9, 1), 1, (Settlement(D(2026, 10, 5), 1),))
    later = InvoiceFacts(2, 1, D(2026, 8, 1), D(2026, 9, 1), 10, (Settlement(D(2026, 10, 6), 10),))
    assert overdue_collected(Book([inv, later], {}), "2026-10") == (11, 11)
    assert overdue_collected(Book([InvoiceFacts(3, 1, D(2026, 8, 1), D(2026, 9, 1), 0), later], {}), "2026-10") == (10, 10)


def test_shares_of_a_one_fen_book_and_disputes_summed_per_invoice():
    one = InvoiceFacts(1, 1, D(2026, 8, 1), D(2026, 9, 1), 1)
    assert overdue_share_pct(Book([one], {}), "2026-10") == pytest.approx(100.0)
    assert disputed_share_pct(Book([one], {}, [Dispute(1, 1, 1, D(2026, 9, 5), None)]), "2026-10") == pytest.approx(100.0)
    inv = InvoiceFacts(2, 1, D(2026, 8, 1), D(2026, 9, 1), 1_000)
    two = [Dispute(2, 1, 100, D(2026, 9, 5), None), Dispute(2, 1, 150, D(2026, 9, 6), None)]
    assert disputed_share_pct(Book([inv], {}, two), "2026-10") == pytest.approx(25.0)


def test_cei_starts_from_the_end_of_the_day_before_the_month():
    # 1,000 open at the end of 30 September, paid 400 on 1 October: begin AR is 1,000
    inv = InvoiceFacts(1, 1, D(2026, 8, 1), D(2026, 9, 1), 1_000, (Settlement(D(2026, 10, 1), 400),))
    assert cei(Book([inv], {}), "2026-10") == pytest.approx(40.0)
    paid_30th = InvoiceFacts(1, 1, D(2026, 8, 1), D(2026, 9, 1), 1_000, (Settlement(D(2026, 9, 30), 999),))
    assert cei(Book([paid_30th], {}), "2026-10") == pytest.approx(0.0)  # 1 fen at the start, none collected


def test_roll_rates_add_up_several_invoices_and_roll_into_the_last_bucket():
    a = InvoiceFacts(1, 1, D(2025, 8, 1), D(2025, 10, 30), 300)  # 335 days at 09-30, 366 at 10-31: into >365
    b = InvoiceFacts(2, 1, D(2025, 8, 1), D(2025, 10, 25), 100)  # 340 → 371: into >365 as well
    c = InvoiceFacts(3, 1, D(2026, 9, 1), D(2026, 9, 20), 50)  # 10 → 41 days: 1–30 into 31–60
    d = InvoiceFacts(4, 1, D(2026, 9, 1), D(2026, 9, 25), 150)  # 5 → 36 days: 1–30 into 31–60
    gone = InvoiceFacts(5, 1, D(2026, 8, 1), D(2026, 9, 10), 1, (Settlement(D(2026, 9, 29), 1),))  # paid before
    rates = roll_rates(Book([gone, a, b, c, d], {}), "2026-10")
    assert rates == [None, pytest.approx(100.0), None, None, None, pytest.approx(100.0)]
    tiny = InvoiceFacts(6, 1, D(2026, 9, 1), D(2026, 9, 20), 1)
    assert roll_rates(Book([tiny], {}), "2026-10")[1] == pytest.approx(100.0)


def test_countback_stops_exactly_when_the_balance_is_used_up():
    sales = {"2026-10": 310, "2026-09": 300, "2026-08": 310}
    assert countback_days(610, "2026-10", sales) == pytest.approx(61)  # October and September, nothing of August
    assert countback_days(1, "2026-10", {"2026-10": 1}) == pytest.approx(31)
    assert countback_days(1, "2026-10", {"2026-10": 2}) == pytest.approx(15.5)
    assert countback_days(5, "2026-10", {"2026-10": 0, "2026-09": 10}) == pytest.approx(31 + 15)


def test_money_due_on_the_month_end_is_not_yet_due_then_and_overdue_the_next_day():
    """``due_on >= d`` is not yet due (docs/metrics.md); the book sums each day once and keeps the split."""
    due_end = InvoiceFacts(1, 1, D(2026, 9, 1), D(2026, 10, 31), 700)
    late = InvoiceFacts(2, 1, D(2026, 9, 1), D(2026, 10, 30), 300, (Settlement(D(2026, 10, 31), 100),))
    book = Book([due_end, late], {"2026-10": 0})
    end, nxt = D(2026, 10, 31), D(2026, 11, 1)
    assert (book.current_receivables(end), book.overdue_receivables(end), book.receivables(end)) == (700, 200, 900)
    assert (book.current_receivables(nxt), book.overdue_receivables(nxt), book.receivables(nxt)) == (0, 900, 900)
    assert overdue_share_pct(book, "2026-10") == 200 / 900 * 100
    book.invoices.append(InvoiceFacts(3, 1, D(2026, 10, 1), D(2026, 10, 31), 50))  # a changed book is summed again
    assert (book.current_receivables(end), book.receivables(end)) == (750, 950)
