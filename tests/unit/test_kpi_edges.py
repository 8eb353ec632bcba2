"""KPIs at their edges (docs/metrics.md's conventions): month windows inclusive of both ends, "not yet
due at d" meaning due_on >= d, only cash collecting money, one bucket's roll, the countback's last
month, a group's own part of the book, collectors' rows and their order."""

from __future__ import annotations

from datetime import date

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.domain.kpi import (
    Book,
    CustomerInfo,
    DisputeFacts,
    Effectiveness,
    InvoiceFacts,
    PromiseFacts,
    Settlement,
    average_days_delinquent,
    collector_effectiveness,
    countback_days,
    current_receivables,
    days_in,
    dispute_cycle_days,
    disputed_share_pct,
    kpis,
    month_of,
    overdue_collected,
    overdue_collected_pct,
    overdue_receivables,
    overdue_share_pct,
    parse_month,
    previous_month,
    promise_kept_pct,
    promise_outcomes,
    receivables,
    roll_rates,
    sales,
    sales_by_month,
)

D = date


def test_months():
    assert parse_month(" 2024-02 ") == (D(2024, 2, 1), D(2024, 2, 29))
    assert month_of(D(987, 3, 4)) == "0987-03"
    assert previous_month("2026-01") == "2025-12" and previous_month("2026-03") == "2026-02"
    assert [days_in(m) for m in ("2026-02", "2024-02", "2026-04", "2026-12")] == [28, 29, 30, 31]


@pytest.mark.parametrize("text", ["2026-10-05", "2026", "2026-00", "oct", ""])
def test_bad_months_are_refused(text):
    with pytest.raises(InvalidInput) as e:
        parse_month(text)
    assert e.value.code == "kpi.month" and e.value.params == {"value": text}


INV = InvoiceFacts(1, 1, D(2026, 10, 10), D(2026, 11, 9), 1_000,
                   (Settlement(D(2026, 11, 1), 300), Settlement(D(2026, 11, 9), 200, cash=False)))


def test_open_at_counts_settlements_up_to_the_end_of_the_day():
    assert [INV.open_at(d) for d in (D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 31), D(2026, 11, 1),
                                     D(2026, 11, 8), D(2026, 11, 9))] == [0, 1_000, 1_000, 700, 700, 500]


def test_due_on_the_day_is_current_not_overdue():
    other = InvoiceFacts(2, 1, D(2026, 9, 1), D(2026, 10, 1), 50)
    assert current_receivables([INV, other], D(2026, 11, 9)) == 500
    assert overdue_receivables([INV, other], D(2026, 11, 9)) == 50
    assert overdue_receivables([INV, other], D(2026, 11, 10)) == 550 and current_receivables([INV], D(2026, 11, 10)) == 0
    assert receivables([INV, other], D(2026, 11, 9)) == 550


def test_sales_window_is_inclusive_and_by_month():
    a = InvoiceFacts(1, 1, D(2026, 10, 1), D(2026, 11, 1), 10)
    b = InvoiceFacts(2, 1, D(2026, 10, 31), D(2026, 11, 30), 20)
    c = InvoiceFacts(3, 1, D(2026, 11, 1), D(2026, 12, 1), 40)
    assert sales([a, b, c], D(2026, 10, 1), D(2026, 10, 31)) == 30
    assert sales([a, b, c], D(2026, 10, 2), D(2026, 11, 1)) == 60
    assert sales_by_month([a, b, c]) == {"2026-10": 30, "2026-11": 40}


def test_countback_edges():
    s = {"2026-10": 310, "2026-09": 300}
    assert countback_days(310, "2026-10", s) == pytest.approx(31)  # exactly October's sales: all its days
    assert countback_days(311, "2026-10", s) == pytest.approx(31 + 30 / 300)
    assert countback_days(-5, "2026-10", s) == 0
    assert countback_days(100, "2026-10", {}) == pytest.approx(24 * 30.4, abs=10)  # no sales: max months of days
    assert countback_days(100, "2026-10", {}, max_months=2) == pytest.approx(31 + 30)
    assert countback_days(100, "2026-10", {"2026-10": 0, "2026-09": 300}) == pytest.approx(31 + 10)


def _roll_book(paid_in_oct: int) -> Book:
    # due 2026-08-31: 30 days past due at 09-30 (bucket 1–30), 61 at 10-31 (bucket 61–90: two buckets on)
    two = InvoiceFacts(1, 1, D(2026, 8, 1), D(2026, 8, 31), 1_000)
    # due 2026-09-15: 15 days at 09-30 (1–30), 46 at 10-31 (31–60: one bucket on)
    one = InvoiceFacts(2, 1, D(2026, 9, 1), D(2026, 9, 15), 2_000, (Settlement(D(2026, 10, 20), paid_in_oct),))
    # not due at 09-30 (due that day): bucket "not due"; at 10-31 31 days → 31–60, two buckets on
    cur = InvoiceFacts(3, 1, D(2026, 9, 1), D(2026, 9, 30), 500)
    # due 2026-10-15: not due at 09-30; 16 days at 10-31 → 1–30, one bucket on
    nxt = InvoiceFacts(4, 1, D(2026, 9, 10), D(2026, 10, 15), 400)
    paid = InvoiceFacts(5, 1, D(2026, 8, 1), D(2026, 9, 10), 300, (Settlement(D(2026, 9, 20), 300),))
    return Book([two, one, cur, nxt, paid], {})


def test_roll_rates_count_only_money_one_bucket_further():
    assert roll_rates(_roll_book(500), "2026-10") == [
        pytest.approx(400 / 900 * 100), pytest.approx(1_500 / 3_000 * 100), None, None, None, None]
    assert roll_rates(_roll_book(2_500), "2026-10")[1] == 0  # overpaid: nothing negative rolls


def test_overdue_collected_counts_cash_on_money_overdue_at_the_start():
    start_due = InvoiceFacts(1, 1, D(2026, 9, 1), D(2026, 10, 1), 900, (Settlement(D(2026, 10, 2), 900),))
    old = InvoiceFacts(2, 1, D(2026, 8, 1), D(2026, 9, 30), 1_000, (
        Settlement(D(2026, 9, 30), 100),  # before the month
        Settlement(D(2026, 10, 1), 200),  # the month's first day
        Settlement(D(2026, 10, 31), 300),  # its last day
        Settlement(D(2026, 11, 1), 50),  # after it
        Settlement(D(2026, 10, 15), 70, cash=False)))  # a credit note collects nothing
    over = InvoiceFacts(3, 1, D(2026, 8, 1), D(2026, 9, 1), 100, (Settlement(D(2026, 10, 3), 150),))
    settled = InvoiceFacts(4, 1, D(2026, 8, 1), D(2026, 9, 1), 100, (Settlement(D(2026, 9, 3), 100),
                                                                     Settlement(D(2026, 10, 3), 5)))
    book = Book([start_due, old, over, settled], {})
    assert overdue_collected(book, "2026-10") == (900 + 100, 500 + 100)
    assert overdue_collected_pct(book, "2026-10") == pytest.approx(60.0)
    assert overdue_collected_pct(Book([start_due], {}), "2026-10") is None


def test_shares_of_an_empty_or_negative_book_are_none():
    credit = InvoiceFacts(1, 1, D(2026, 9, 1), D(2026, 9, 2), -100)
    for b in (Book([], {}), Book([credit], {})):
        assert overdue_share_pct(b, "2026-10") is None and disputed_share_pct(b, "2026-10") is None


def test_disputed_share_counts_disputes_open_at_the_end_capped_at_the_open_money():
    a = InvoiceFacts(1, 1, D(2026, 9, 1), D(2026, 10, 1), 1_000, (Settlement(D(2026, 10, 5), 400),))
    b = InvoiceFacts(2, 1, D(2026, 9, 1), D(2026, 11, 1), 1_000)
    disputes = [
        DisputeFacts(1, 1, 900, D(2026, 10, 31), None),  # opened on the last day, more than is open: 600
        DisputeFacts(2, 1, 100, D(2026, 10, 1), D(2026, 11, 1)),  # resolved after the month: counts
        DisputeFacts(2, 1, 200, D(2026, 10, 1), D(2026, 10, 31)),  # resolved on the last day: does not
        DisputeFacts(2, 1, 300, D(2026, 11, 1), None),  # opened after the month
        DisputeFacts(9, 1, 300, D(2026, 10, 1), None),  # an invoice not in the book
    ]
    book = Book([a, b], {}, disputes)
    assert disputed_share_pct(book, "2026-10") == pytest.approx(700 / 1_600 * 100)


def test_dispute_cycle_counts_disputes_resolved_in_the_month():
    disputes = [DisputeFacts(1, 1, 1, D(2026, 9, 21), D(2026, 10, 1)), DisputeFacts(1, 1, 1, D(2026, 10, 1), D(2026, 10, 31)),
                DisputeFacts(1, 1, 1, D(2026, 9, 1), D(2026, 11, 1)), DisputeFacts(1, 1, 1, D(2026, 9, 1), None),
                DisputeFacts(1, 1, 1, D(2026, 9, 1), D(2026, 9, 30))]
    assert dispute_cycle_days(Book([], {}, disputes), "2026-10") == pytest.approx((10 + 30) / 2)
    assert dispute_cycle_days(Book([], {}, disputes[2:]), "2026-10") is None


def test_promises_kept_with_payments_from_the_day_made_to_the_day_promised():
    promises = [PromiseFacts(1, 500, D(2026, 9, 25), D(2026, 10, 1)),  # paid 300 on 09-25 + 200 on 10-01: kept
                PromiseFacts(2, 500, D(2026, 10, 10), D(2026, 10, 31)),  # 499 in time, 1 a day late: broken
                PromiseFacts(3, 100, D(2026, 10, 1), D(2026, 11, 1)),  # falls due next month: not counted
                PromiseFacts(3, 100, D(2026, 9, 1), D(2026, 9, 30))]  # fell due last month
    payments = {1: [(D(2026, 9, 24), 1_000), (D(2026, 9, 25), 300), (D(2026, 10, 1), 200), (D(2026, 10, 2), 900)],
                2: [(D(2026, 10, 9), 900), (D(2026, 10, 31), 499), (D(2026, 11, 1), 1)]}
    book = Book([], {}, [], promises, payments)
    assert promise_outcomes(book, "2026-10") == (2, 1)
    assert promise_kept_pct(book, "2026-10") == pytest.approx(50.0)
    assert promise_kept_pct(Book([], {}), "2026-10") is None


def _group_book() -> Book:
    inv = [InvoiceFacts(1, 1, D(2026, 9, 1), D(2026, 10, 1), 1_000, (Settlement(D(2026, 10, 11), 600),
                                                                   Settlement(D(2026, 10, 1), 50),
                                                                   Settlement(D(2026, 10, 12), 70, cash=False),
                                                                   Settlement(D(2026, 11, 1), 10))),
           InvoiceFacts(2, 2, D(2026, 9, 1), D(2026, 10, 1), 1_000, (Settlement(D(2026, 10, 31), 300),)),
           InvoiceFacts(3, 3, D(2026, 9, 1), D(2026, 10, 1), 1_000, (Settlement(D(2026, 10, 2), 300),)),
           InvoiceFacts(4, 4, D(2026, 9, 1), D(2026, 10, 1), 1_000, (Settlement(D(2026, 10, 5), 100),))]
    customers = {1: CustomerInfo("K1", "dealer", "东", "张伟", "no_money"),
                 2: CustomerInfo("K2", "dealer", "西", "李娜", "-"),
                 3: CustomerInfo("K3", "", "西", "", "")}
    promises = [PromiseFacts(2, 300, D(2026, 10, 20), D(2026, 10, 31)), PromiseFacts(2, 500, D(2026, 10, 1), D(2026, 10, 5)),
                PromiseFacts(1, 1, D(2026, 9, 1), D(2026, 9, 2))]
    return Book(inv, {"2026-10": 4_000}, [DisputeFacts(2, 2, 10, D(2026, 10, 1), None)], promises,
                {2: [(D(2026, 10, 31), 300)], 1: [(D(2026, 10, 11), 600)]}, customers)


def test_collector_effectiveness_rows_and_order():
    rows = collector_effectiveness(_group_book(), "2026-10")
    assert [(e.collector, e.kind, e.cause, e.collected_minor, e.weighted_days, e.promises_due, e.promises_kept)
            for e in rows] == [
        ("张伟", "dealer", "no_money", 600, 600 * 10, 0, 0),  # paid on the due date: not collected overdue
        ("-", "-", "-", 400, 300 * 1 + 100 * 4, 0, 0),  # no collector / unknown customer: "-"
        ("李娜", "dealer", "-", 300, 300 * 30, 2, 1)]
    assert rows[0].days_to_collect == pytest.approx(10.0)
    assert Effectiveness("x", "y", "z").days_to_collect is None


def test_collectors_with_equal_money_are_ordered_by_name():
    inv = [InvoiceFacts(i, i, D(2026, 9, 1), D(2026, 10, 1), 100, (Settlement(D(2026, 10, 2), 100),)) for i in (1, 2, 3)]
    customers = {1: CustomerInfo("K1", "b", "", "乙", "x"), 2: CustomerInfo("K2", "a", "", "甲", "x"),
                 3: CustomerInfo("K3", "a", "", "甲", "w")}
    rows = collector_effectiveness(Book(inv, {}, customers=customers), "2026-10")
    assert [(e.collector, e.kind, e.cause) for e in rows] == sorted([("乙", "b", "x"), ("甲", "a", "x"), ("甲", "a", "w")])


def test_only_keeps_a_groups_part_of_the_book():
    b = _group_book()
    west = b.only(lambda c: c in (2, 3), {"2026-10": 123})
    assert [i.invoice_id for i in west.invoices] == [2, 3] and west.monthly_sales == {"2026-10": 123}
    assert [d.invoice_id for d in west.disputes] == [2]
    assert [p.customer_id for p in west.promises] == [2, 2]
    assert west.payments == {2: [(D(2026, 10, 31), 300)]} and set(west.customers) == {2, 3}
    assert b.only(lambda c: False, {}).invoices == []


def test_kpis_totals_and_add():
    b = _group_book()
    k = kpis(b, "2026-10")
    assert (k.month, k.receivables_minor, k.overdue_minor, k.sales_minor) == ("2026-10", 2_580, 2_580, 4_000)
    assert k.values["add"] == pytest.approx(k.values["dso"] - k.values["best_possible_dso"])
    assert average_days_delinquent(b, "2026-10") == pytest.approx(k.values["add"])
    assert k.values["best_possible_dso"] == 0
    assert kpis(b, "2026-10", (0, 30)).roll_rates == roll_rates(b, "2026-10", (0, 30))
    assert len(k.roll_rates) == 6
