"""Boundaries a mutant once crossed unseen: risk grades at each threshold and the broken-promise bump,
the month-end grace's last day, money parsing of full-width text, and allocation's last fen."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from huikuan.domain.allocation import allocate
from huikuan.domain.ledger import OpenItem, RiskGrade
from huikuan.domain.money import Money
from huikuan.domain.parsing import parse_amount
from huikuan.domain.policy.decide import AccountFacts, decide
from huikuan.domain.policy.model import GradeThresholds
from huikuan.services.policies import load_policies

TODAY = date(2026, 11, 23)
POLICY = load_policies().policies["default"]
G = GradeThresholds()  # 1 / 16 / 30 / 365, bump after 2 broken promises


@pytest.mark.parametrize(("days", "grade"), [
    (None, RiskGrade.NOT_DUE), (-5, RiskGrade.NOT_DUE), (0, RiskGrade.NOT_DUE),
    (1, RiskGrade.IN_COLLECTION), (15, RiskGrade.IN_COLLECTION),
    (16, RiskGrade.DOUBTFUL), (29, RiskGrade.DOUBTFUL),
    (30, RiskGrade.BAD), (364, RiskGrade.BAD),
    (365, RiskGrade.LOST), (4000, RiskGrade.LOST),
])
def test_grade_thresholds_are_inclusive(days, grade):
    assert G.grade(days) is grade


@pytest.mark.parametrize(("days", "broken", "grade"), [
    (1, 1, RiskGrade.IN_COLLECTION),  # one broken promise: no bump
    (1, 2, RiskGrade.DOUBTFUL),  # two: one step up
    (16, 2, RiskGrade.BAD),
    (30, 5, RiskGrade.LOST),
    (365, 2, RiskGrade.LOST),  # nothing above lost
    (0, 9, RiskGrade.NOT_DUE),  # nothing overdue: promises alone do not grade
    (None, 2, RiskGrade.NOT_DUE),
])
def test_broken_promise_bump(days, broken, grade):
    assert G.grade(days, broken) is grade


def test_a_policy_without_the_bump_never_bumps():
    assert GradeThresholds(broken_promises_bump=0).grade(20, 10) is RiskGrade.DOUBTFUL
    assert GradeThresholds(in_collection=3).grade(2) is RiskGrade.NOT_DUE


def _month_end(dpd: int) -> AccountFacts:
    item = OpenItem(1, "INV-1", TODAY - timedelta(days=dpd), 100_000)
    return AccountFacts(customer_id=1, customer_code="KH1", month_end_terms=True, overdue=(item,), days_past_due=dpd,
                        working_days_past_due=dpd, open_minor=100_000)


def test_month_end_grace_ends_exactly_on_its_last_day():
    grace = POLICY.settings.month_end_grace_days
    credit = lambda d: [a.stage for a in decide(_month_end(d), POLICY, TODAY) if a.ladder == "credit"]  # noqa: E731
    assert credit(grace) == []  # within the grace: not overdue for the credit ladder
    assert credit(grace + 1) == ["credit_notice"]  # the first day past it
    assert credit(grace + 15) == ["credit_notice"] and credit(grace + 16) == ["credit_suspend"]
    # Dunning is not shifted: a reminder call from day 1, the reason naming the grace.
    (call,) = [a for a in decide(_month_end(1), POLICY, TODAY) if a.ladder == "dunning"]
    assert call.reason_key == "reason.overdue_grace" and dict(call.reason_params) == {"days": 1, "grace": grace,
                                                                                       "past": 0}


@pytest.mark.parametrize(("text", "minor"), [
    ("１，２３４．５０", 123450), ("￥１，２３４．５", 123450), ("－１２．３４", -1234), ("（５．００）", -500),
    ("1,234.50", 123450), ("500.5", 50050), ("500.05", 50005), ("0.5", 50), ("7", 700),
])
def test_amount_texts(text, minor):
    assert parse_amount(text).minor == minor
    assert Money.parse(text).minor == minor


items_st = st.lists(st.integers(1, 10**6), min_size=1, max_size=5).map(
    lambda xs: [OpenItem(i + 1, f"I{i}", date(2026, 1, 1) + timedelta(days=i), m) for i, m in enumerate(xs)])


@given(items=items_st, delta=st.integers(-2, 2))
@example(items=[OpenItem(1, "I0", date(2026, 1, 1), 100)], delta=0)
@example(items=[OpenItem(1, "I0", date(2026, 1, 1), 100)], delta=-1)
@example(items=[OpenItem(1, "I0", date(2026, 1, 1), 100)], delta=1)
@example(items=[OpenItem(1, "I0", date(2026, 1, 1), 1), OpenItem(2, "I1", date(2026, 1, 2), 1)], delta=0)
@example(items=[OpenItem(1, "I0", date(2026, 1, 1), 1), OpenItem(2, "I1", date(2026, 1, 2), 1)], delta=-1)
def test_the_last_fen_goes_where_it_belongs(items, delta):
    """Around the total owed, to the fen: every fen applied up to it, the rest unapplied — never one fen
    lost, kept back or paid twice (example-backed: these cases run on every run, not by chance)."""
    total = sum(i.open_minor for i in items)
    amount = max(0, total + delta)
    result = allocate(amount, items)
    assert result.applied_minor == min(amount, total)
    assert result.unapplied_minor == max(0, amount - total)
    paid = dict(result.lines)
    if amount >= total:
        assert paid == {i.invoice_id: i.open_minor for i in items}
