"""Each early-warning detector exactly at its threshold (one step either side), with the parameters the
alert shows, under the seeds' default rules (WarningRules())."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from huikuan.domain.warnings import (
    Move,
    PaidInvoice,
    Warning,
    WarningFacts,
    WarningKind,
    WarningRules,
    detect,
)

R = WarningRules()
TODAY = date(2026, 11, 23)
FLAT = tuple([100] * 12)  # every month an average month
LOW_NOV = tuple([100] * 10 + [50, 150])  # November at 50 % of an average month


def test_the_default_rules():
    assert (R.recent_order_days, R.large_order_factor, R.off_season_share_pct, R.reliable_on_time_pct,
            R.reliable_min_invoices, R.parts_window_days, R.parts_min, R.drift_invoices, R.drift_days,
            R.contact_left_days, R.chronic_late_k, R.chronic_late_n, R.late_grace_days,
            R.preservation_after_days) == (7, 3, 70, 80, 4, 60, 2, 6, 10, 30, 3, 5, 0, 60)


def kinds(ws: list[Warning]) -> list[WarningKind]:
    return [w.kind for w in ws]


def order(on: date, amount: int = 3_000, volume: tuple[int, ...] = LOW_NOV) -> WarningFacts:
    return WarningFacts(recent_orders=(("SO1", on, amount),), usual_invoice_minor=1_000, month_volume=volume)


def test_a_large_order_off_season_with_its_parameters():
    [w] = detect(order(TODAY - timedelta(days=7)), R, TODAY)
    assert (w.kind, w.anchor, w.move) == (WarningKind.LARGE_ORDER_OFF_SEASON, "SO1", Move.STOP_SHIPPING)
    assert dict(w.params) == {"order": "SO1", "amount": 3_000, "usual": 1_000, "month": 11, "share": 50}
    assert w.params == tuple(sorted(w.params))


@pytest.mark.parametrize(("facts", "fires"), [
    (order(TODAY - timedelta(days=8)), False),  # older than the recent window
    (order(TODAY, amount=2_999), False),  # just under 3 × usual
    (order(TODAY, amount=3_000), True),
    (order(TODAY, volume=FLAT), False),  # an ordinary month
    (order(TODAY, volume=tuple([100] * 10 + [69, 131])), True),  # 69 % of an average month
    (order(TODAY, volume=tuple([100] * 10 + [70, 130])), False),  # exactly 70 %: not below
    (order(TODAY, volume=tuple([100] * 11)), False),  # not a year of volume: no season known
    (order(TODAY, volume=tuple([0] * 12)), False),
    (replace(order(TODAY), usual_invoice_minor=None), False),
    (replace(order(TODAY), usual_invoice_minor=0), False),
])
def test_large_order_edges(facts, fires):
    assert kinds(detect(facts, R, TODAY)) == ([WarningKind.LARGE_ORDER_OFF_SEASON] if fires else [])


def test_every_recent_large_order_is_looked_at():
    f = WarningFacts(recent_orders=(("OLD", TODAY - timedelta(days=30), 9_000), ("SMALL", TODAY, 10),
                                    ("BIG", TODAY, 5_000)), usual_invoice_minor=1_000, month_volume=LOW_NOV)
    assert [w.anchor for w in detect(f, R, TODAY)] == ["BIG"]


def paid(days_late: int, paid_on: date, days_to_pay: int = 30) -> PaidInvoice:
    return PaidInvoice(paid_on - timedelta(days=days_to_pay), paid_on - timedelta(days=days_late), paid_on)


EARLY = TODAY - timedelta(days=61)  # before the parts window


def reliable(on_time: int, late: int, parts: int = 2, extensions: int = 0, last_paid: date = EARLY) -> WarningFacts:
    history = [paid(0, last_paid) for _ in range(on_time)] + [paid(1, last_paid) for _ in range(late)]
    return WarningFacts(paid=tuple(history), part_payments=parts, extensions=extensions)


def test_a_reliable_payer_paying_in_parts():
    [w] = detect(reliable(4, 1), R, TODAY)
    assert (w.kind, w.anchor, w.move) == (WarningKind.RELIABLE_PAYING_IN_PARTS, "", Move.COLLECT_NOW)
    assert dict(w.params) == {"on_time": 80, "parts": 2, "extensions": 0}


@pytest.mark.parametrize(("facts", "fires"), [
    (reliable(4, 0), True), (reliable(3, 0), False),  # four earlier invoices needed
    (reliable(3, 1), False),  # 75 % on time
    (reliable(4, 1), True),  # 80 %
    (reliable(4, 0, parts=1), False), (reliable(4, 0, parts=1, extensions=1), True), (reliable(4, 0, 0, 2), True),
    (reliable(4, 0, last_paid=TODAY - timedelta(days=60)), False),  # inside the window: not "earlier"
])
def test_reliable_paying_in_parts_edges(facts, fires):
    assert kinds(detect(facts, R, TODAY)) == ([WarningKind.RELIABLE_PAYING_IN_PARTS] if fires else [])


def test_a_day_of_grace_makes_a_one_day_late_payment_on_time():
    assert kinds(detect(reliable(3, 1), replace(R, late_grace_days=1), TODAY)) == [WarningKind.RELIABLE_PAYING_IN_PARTS]


def drift(days: list[int]) -> WarningFacts:
    start = date(2026, 1, 1)
    due = start + timedelta(days=365)  # never late: only the drift is looked at
    return WarningFacts(paid=tuple(PaidInvoice(start, due, start + timedelta(days=d)) for d in days))


def test_days_to_pay_drift():
    [w] = detect(drift([30, 30, 30, 40, 40, 40]), R, TODAY)
    assert (w.kind, w.anchor, w.move) == (WarningKind.DAYS_TO_PAY_DRIFT, "", Move.COLLECT_NOW)
    assert dict(w.params) == {"before": 30, "after": 40, "invoices": 6}


@pytest.mark.parametrize(("days", "fires"), [
    ([30, 30, 30, 39, 40, 40], False),  # after: 39.67 → 39, 9 days
    ([30, 30, 31, 40, 40, 41], True),  # whole days each side: 30.33 → 30, 40.33 → 40
    ([99, 30, 30, 30, 40, 40, 40], True),  # only the last six count
    ([30, 30, 40, 40, 40], False),  # fewer than six
    ([40, 40, 40, 30, 30, 30], False),  # paying faster
])
def test_drift_edges(days, fires):
    assert kinds(detect(drift(days), R, TODAY)) == ([WarningKind.DAYS_TO_PAY_DRIFT] if fires else [])


def test_drift_over_two_invoices_and_never_over_one():
    assert kinds(detect(drift([10, 20]), replace(R, drift_invoices=2), TODAY)) == [WarningKind.DAYS_TO_PAY_DRIFT]
    assert kinds(detect(drift([10, 19]), replace(R, drift_invoices=2), TODAY)) == []
    assert kinds(detect(drift([10, 90]), replace(R, drift_invoices=1), TODAY)) == []
    assert kinds(detect(drift([10, 20, 20]), replace(R, drift_invoices=3), TODAY)) == [WarningKind.DAYS_TO_PAY_DRIFT]


def test_contacts_who_left_and_roles_emptied():
    f = WarningFacts(left=((7, "王会计", "finance", TODAY - timedelta(days=30)),
                           (8, "李出纳", "finance", TODAY - timedelta(days=31))), emptied_roles=("finance", "owner"))
    ws = detect(f, R, TODAY)
    assert [(w.kind, w.anchor, w.move) for w in ws] == [
        (WarningKind.CONTACT_LEFT, "contact:7", Move.CONFIRM_BALANCE),
        (WarningKind.ROLE_EMPTIED, "role:finance", Move.CONFIRM_BALANCE),
        (WarningKind.ROLE_EMPTIED, "role:owner", Move.CONFIRM_BALANCE)]
    assert dict(ws[0].params) == {"name": "王会计", "role": "finance", "on": "2026-10-24"}
    assert dict(ws[1].params) == {"role": "finance"}


def late_history(pattern: str) -> WarningFacts:
    day = date(2026, 6, 1)
    return WarningFacts(paid=tuple(paid(1 if c == "L" else 0, day + timedelta(days=i)) for i, c in enumerate(pattern)))


@pytest.mark.parametrize(("pattern", "fires"), [
    ("LLLOO", True), ("LLOOO", False), ("LLLL", False),  # fewer than five paid
    ("LLLOOO", False),  # the last five hold only two late
    ("OLLLOO", True),
])
def test_chronic_late_edges(pattern, fires):
    ws = detect(late_history(pattern), R, TODAY)
    assert kinds(ws) == ([WarningKind.CHRONIC_LATE] if fires else [])
    if fires:
        assert ws[0].move is Move.VISIT and ws[0].anchor == "" and dict(ws[0].params) == {"late": 3, "of": 5}


def test_preservation_replaces_every_move_but_the_visit_from_sixty_days():
    f = replace(late_history("LLLOO"), emptied_roles=("owner",))
    assert [w.move for w in detect(replace(f, days_past_due=59), R, TODAY)] == [Move.CONFIRM_BALANCE, Move.VISIT]
    assert [w.move for w in detect(replace(f, days_past_due=60), R, TODAY)] == [Move.PRESERVATION, Move.VISIT]
