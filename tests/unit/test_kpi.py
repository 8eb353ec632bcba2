"""Each KPI against the example computed by hand in docs/metrics.md (month 2026-10)."""

from __future__ import annotations

from datetime import date

import pytest

from huikuan.domain.errors import InvalidInput
from huikuan.domain.kpi import (
    Book,
    CustomerInfo,
    DisputeFacts,
    InvoiceFacts,
    PromiseFacts,
    Settlement,
    collector_effectiveness,
    countback_days,
    kpis,
    parse_month,
    sales_by_month,
)

D = date


def book() -> Book:
    a = InvoiceFacts(1, 1, D(2026, 8, 10), D(2026, 9, 9), 100_000, (Settlement(D(2026, 10, 5), 40_000),))
    b = InvoiceFacts(2, 1, D(2026, 9, 15), D(2026, 10, 15), 200_000, (Settlement(D(2026, 11, 3), 200_000),))
    c = InvoiceFacts(3, 1, D(2026, 10, 10), D(2026, 11, 9), 310_000)
    invoices = [a, b, c]
    return Book(
        invoices, sales_by_month(invoices),
        [DisputeFacts(3, 1, 50_000, D(2026, 10, 20), None), DisputeFacts(2, 1, 200_000, D(2026, 9, 20), D(2026, 10, 12))],
        [PromiseFacts(1, 40_000, D(2026, 10, 1), D(2026, 10, 6)), PromiseFacts(1, 200_000, D(2026, 10, 20), D(2026, 10, 30))],
        {1: [(D(2026, 10, 5), 40_000), (D(2026, 11, 3), 200_000)]},
        {1: CustomerInfo("K1", "dealer", "华东", "张伟", "no_money")},
    )


def test_the_hand_computed_example():
    k = kpis(book(), "2026-10")
    v = k.values
    assert k.receivables_minor == 570_000 and k.overdue_minor == 260_000 and k.sales_minor == 310_000
    assert v["dso"] == pytest.approx(31 + 30 + 0.6 * 31)  # 79.6: Oct, Sep whole, 600 of Aug's 1000
    assert v["best_possible_dso"] == pytest.approx(31.0)
    assert v["add"] == pytest.approx(48.6)
    assert v["cei"] == pytest.approx(400 / 3000 * 100)  # B's payment on 3 Nov does not count
    assert v["overdue_collected_pct"] == pytest.approx(40.0)
    assert v["overdue_share_pct"] == pytest.approx(2600 / 5700 * 100)
    assert v["disputed_share_pct"] == pytest.approx(500 / 5700 * 100)
    assert v["dispute_cycle_days"] == pytest.approx(22.0)
    assert v["promise_kept_pct"] == pytest.approx(50.0)
    assert k.roll_rates == [pytest.approx(100.0), pytest.approx(60.0), None, None, None, None]


def test_collector_effectiveness_by_collector_kind_and_cause():
    [e] = collector_effectiveness(book(), "2026-10")
    assert (e.collector, e.kind, e.cause) == ("张伟", "dealer", "no_money")
    assert e.collected_minor == 40_000 and e.days_to_collect == pytest.approx(26.0)
    assert (e.promises_due, e.promises_kept) == (2, 1)


def test_countback_crosses_month_boundaries_and_stops_at_zero():
    sales = {"2026-10": 310_000, "2026-09": 200_000, "2026-08": 100_000}
    assert countback_days(0, "2026-10", sales) == 0
    assert countback_days(155_000, "2026-10", sales) == pytest.approx(15.5)
    assert countback_days(410_000, "2026-10", sales) == pytest.approx(31 + 15)  # half of September's 30 days
    assert countback_days(610_000, "2026-10", sales, max_months=3) == pytest.approx(31 + 30 + 31)


def test_an_empty_month_gives_no_ratio_rather_than_a_division_error():
    k = kpis(Book([], {}), "2026-10")
    assert k.values["cei"] is None and k.values["overdue_share_pct"] is None and k.values["dso"] is None


def test_month_text_is_checked():
    assert parse_month("2026-02") == (D(2026, 2, 1), D(2026, 2, 28))
    with pytest.raises(InvalidInput):
        parse_month("2026-13")
