"""Credit applications and reviews at their edges: who approves which limit, which role may approve,
why a customer is on the periodic review (limit use, over limit, paying slower, limit gap), the
suggested limit's bands, and acceptance bills (承兑汇票)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from huikuan.domain.credit import (
    APPROVAL_BANDS,
    BillKind,
    LimitRule,
    ReviewFacts,
    approver_for,
    check_bill,
    may_approve,
    parse_bill_kind,
    review,
    suggested_limit,
    term_days,
)
from huikuan.domain.errors import InvalidInput
from huikuan.domain.ledger import PaymentMethod, Role
from huikuan.domain.terms import Cash, DayOfMonth, MonthEnd, NetDays


@pytest.mark.parametrize(("limit", "role"), [
    (0, Role.CREDIT_SUPERVISOR), (100_000_00, Role.CREDIT_SUPERVISOR), (100_000_01, Role.CREDIT_MANAGER),
    (500_000_00, Role.CREDIT_MANAGER), (500_000_01, Role.GM), (10**12, Role.GM)])
def test_approver_by_the_limit_asked_for(limit, role):
    assert approver_for(limit) is role


def test_approval_bands_end_with_the_general_manager():
    assert APPROVAL_BANDS[-1] == (None, Role.GM)


@pytest.mark.parametrize(("role", "required", "ok"), [
    (Role.CREDIT_SUPERVISOR, Role.CREDIT_SUPERVISOR, True), (Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, False),
    (Role.CREDIT_MANAGER, Role.CREDIT_SUPERVISOR, True), (Role.CREDIT_MANAGER, Role.CREDIT_MANAGER, True),
    (Role.CREDIT_MANAGER, Role.GM, False), (Role.GM, Role.GM, True), (Role.OWNER, Role.GM, True),
    (Role.COLLECTOR, Role.CREDIT_SUPERVISOR, False), (Role.SALES, Role.CREDIT_SUPERVISOR, False)])
def test_may_approve_by_rank(role, required, ok):
    assert may_approve(role, required) is ok


@pytest.mark.parametrize(("terms", "days"), [
    (Cash(), 0), (NetDays(45), 45), (MonthEnd(30), 45), (DayOfMonth(10), 25)])
def test_term_days(terms, days):
    assert term_days(terms) == days


RULE = LimitRule()


def test_limit_rule_defaults():
    assert (RULE.order_cycle_days, RULE.round_to_minor) == (30, 100_000)
    assert RULE.behaviour == ((0, 100), (15, 80), (30, 60), (60, 30))


@pytest.mark.parametrize(("late", "pct"), [
    (None, 100), (-3, 100), (0, 100), (1, 80), (15, 80), (16, 60), (30, 60), (31, 30), (60, 30), (61, 0)])
def test_suggested_limit_behaviour_bands(late, pct):
    # 300,000 yuan a month, 30 days' credit + 30 days' cycle = 600,000 yuan before behaviour
    limit, got = suggested_limit(300_000_00, 30, late, RULE)
    assert got == pct and limit == 600_000_00 * pct // 100


def test_suggested_limit_rounds_down_to_whole_thousands():
    assert suggested_limit(1_234_567, 30, None, RULE) == (2_400_000, 100)  # 24,691.34 → 24,000 yuan
    assert suggested_limit(1_234_567, 30, None, LimitRule(round_to_minor=0)) == (2_469_134, 100)
    assert suggested_limit(1_234_567, -10, None, RULE) == (1_200_000, 100)  # negative terms count as 0
    assert suggested_limit(3_000_00, 0, None, LimitRule(order_cycle_days=15, round_to_minor=1)) == (1_500_00, 100)


@pytest.mark.parametrize(("volume", "cash", "black"), [(0, False, False), (-5, False, False),
                                                       (300_000_00, True, False), (300_000_00, False, True)])
def test_no_credit_for_cash_terms_blacklisted_or_no_volume(volume, cash, black):
    assert suggested_limit(volume, 30, 0, RULE, cash_terms=cash, blacklisted=black) == (0, 0)


FACTS = ReviewFacts(limit_minor=600_000_00, exposure_minor=0, monthly_volume_minor=300_000_00, term_days=30,
                    cash_terms=False, blacklisted=False, late_before=None, late_recent=None, late_year=None)


@pytest.mark.parametrize(("exposure", "flags", "use"), [
    (0, (), 0), (479_999_99, (), 79), (480_000_00, ("limit_use",), 80), (600_000_00, ("limit_use",), 100),
    (600_000_06, ("limit_use",), 100), (606_000_00, ("over_limit",), 101)])
def test_review_limit_use(exposure, flags, use):
    line = review(replace(FACTS, exposure_minor=exposure), RULE)
    assert (line.flags, line.use_pct, line.suggested_minor, line.behaviour_pct) == (flags, use, 600_000_00, 100)


def test_review_limit_use_threshold_is_a_setting():
    assert review(replace(FACTS, exposure_minor=300_000_00), RULE, use_pct_flag=50).flags == ("limit_use",)
    assert review(replace(FACTS, exposure_minor=299_999_99), RULE, use_pct_flag=50).flags == ()


def test_review_without_a_limit_has_no_use():
    line = review(replace(FACTS, limit_minor=0, exposure_minor=5), RULE)
    assert line.use_pct is None and line.flags == ("limit_gap",)


@pytest.mark.parametrize(("before", "recent", "slower"), [
    (5, 15, True), (5, 14, False), (None, 40, False), (5, None, False), (-10, 0, True), (20, 5, False)])
def test_review_paying_slower(before, recent, slower):
    line = review(replace(FACTS, late_before=before, late_recent=recent), RULE)
    assert ("paying_slower" in line.flags) is slower


def test_review_paying_slower_days_is_a_setting():
    f = replace(FACTS, late_before=0, late_recent=5)
    assert review(f, RULE, slower_days=5).flags == ("paying_slower",)
    assert review(f, RULE, slower_days=6).flags == ()


@pytest.mark.parametrize(("limit", "gap"), [
    (500_000_00, False), (499_999_99, True),  # 600,000 suggested: 20 % of the limit is the edge
    (750_000_00, False), (749_999_99, False), (750_000_01, True), (600_000_00, False)])
def test_review_limit_gap(limit, gap):
    line = review(replace(FACTS, limit_minor=limit), RULE)
    assert ("limit_gap" in line.flags) is gap


def test_review_gap_percent_is_a_setting_and_zero_against_zero_is_no_gap():
    assert "limit_gap" in review(replace(FACTS, limit_minor=550_000_00), RULE, gap_pct=5).flags
    assert "limit_gap" not in review(replace(FACTS, limit_minor=550_000_00), RULE, gap_pct=10).flags
    nothing = replace(FACTS, limit_minor=0, monthly_volume_minor=0)
    assert review(nothing, RULE).flags == () and review(nothing, RULE).suggested_minor == 0


def test_review_suggests_with_the_years_lateness_and_the_customer_flags():
    line = review(replace(FACTS, late_year=20), RULE)
    assert (line.suggested_minor, line.behaviour_pct) == (360_000_00, 60)
    assert review(replace(FACTS, cash_terms=True), RULE).suggested_minor == 0
    assert review(replace(FACTS, blacklisted=True), RULE).behaviour_pct == 0
    assert review(replace(FACTS, term_days=60), RULE).suggested_minor == 900_000_00


def test_review_flags_come_in_order():
    f = replace(FACTS, exposure_minor=700_000_00, limit_minor=100_000_00, late_before=0, late_recent=30)
    assert review(f, RULE).flags == ("over_limit", "paying_slower", "limit_gap")


@pytest.mark.parametrize(("text", "kind"), [
    ("bank", BillKind.BANK), (" BANK ", BillKind.BANK), ("银行承兑", BillKind.BANK), ("银行承兑汇票", BillKind.BANK),
    ("银承", BillKind.BANK), ("commercial", BillKind.COMMERCIAL), ("Commercial", BillKind.COMMERCIAL),
    ("商业承兑", BillKind.COMMERCIAL), ("商业承兑汇票", BillKind.COMMERCIAL), ("商承", BillKind.COMMERCIAL)])
def test_parse_bill_kind(text, kind):
    assert parse_bill_kind(text) is kind


@pytest.mark.parametrize("text", ["", "cheque", "承兑"])
def test_parse_bill_kind_refuses(text):
    with pytest.raises(InvalidInput) as e:
        parse_bill_kind(text)
    assert e.value.code == "bill_kind.invalid" and e.value.params == {"value": text}


def test_check_bill():
    bill = PaymentMethod.ACCEPTANCE_BILL
    assert check_bill(PaymentMethod.TRANSFER, None, None) is None
    assert check_bill(PaymentMethod.TRANSFER, "", None) is None
    assert check_bill(bill, None, None) == "bank"
    assert check_bill(bill, "", None) == "bank"
    assert check_bill(bill, "银承", None) == "bank"
    assert check_bill(bill, "商承", date(2027, 3, 1)) == "commercial"
    with pytest.raises(InvalidInput) as e:
        check_bill(bill, "商承", None)
    assert e.value.code == "bill_kind.needs_maturity"
    with pytest.raises(InvalidInput) as e:
        check_bill(PaymentMethod.CASH, "bank", None)
    assert e.value.code == "bill_kind.not_a_bill" and e.value.params == {"value": "bank"}
    with pytest.raises(InvalidInput) as e:
        check_bill(bill, "xx", date(2027, 3, 1))
    assert e.value.code == "bill_kind.invalid"
