"""The order desk's credit check (domain.credit): a table of every rule alone and in combination,
the override, the policy settings, and hypothesis properties (a bigger order never gets a softer
answer; paying never worsens it; a blacklisted customer never gets credit)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.domain.credit import (
    CreditCheckRules,
    CreditFacts,
    Decision,
    Exposure,
    LimitRule,
    Override,
    ReasonCode,
    UnpaidDelivery,
    check_credit,
    suggested_limit,
    term_days,
)
from huikuan.domain.errors import PolicyInvalid
from huikuan.domain.ledger import CreditStatus
from huikuan.domain.policy.load import parse_policy
from huikuan.domain.terms import Cash, DayOfMonth, MonthEnd, NetDays

TODAY = date(2026, 11, 23)
RULES = CreditCheckRules()
CLEAN = CreditFacts(credit_status=CreditStatus.NORMAL, shipment_locked=False, deliver_two_settle_one=False,
                    cash_terms=False, limit_minor=100_000_00, exposure=Exposure(open_ar_minor=20_000_00))
NOT_DUE = UnpaidDelivery("D-NOT-DUE", TODAY + timedelta(days=10), 5_000_00)
OVERDUE = UnpaidDelivery("D-OVERDUE", TODAY - timedelta(days=3), 5_000_00)


def facts(**kw: object) -> CreditFacts:
    return replace(CLEAN, **kw)  # type: ignore[arg-type]


# (name, facts, amount, decision, reason codes in order)
CASES = [
    ("clean", CLEAN, 10_000_00, Decision.ALLOW, []),
    ("exactly at the limit", CLEAN, 80_000_00, Decision.ALLOW, []),
    ("one fen over the limit", CLEAN, 80_000_01, Decision.HOLD, [ReasonCode.OVER_LIMIT]),
    ("suspended", facts(credit_status=CreditStatus.SUSPENDED), 1_00, Decision.HOLD, [ReasonCode.SUSPENDED]),
    ("stopped", facts(credit_status=CreditStatus.STOPPED), 1_00, Decision.CASH_ONLY, [ReasonCode.STOPPED]),
    ("blacklisted", facts(credit_status=CreditStatus.BLACKLISTED), 1_00, Decision.BLOCK, [ReasonCode.BLACKLISTED]),
    ("shipment lock", facts(shipment_locked=True), 1_00, Decision.BLOCK, [ReasonCode.SHIPMENT_LOCKED]),
    ("cash terms", facts(cash_terms=True), 1_00, Decision.CASH_ONLY, [ReasonCode.CASH_TERMS]),
    ("前款不结: an overdue unpaid delivery", facts(unpaid=(OVERDUE,)), 1_00, Decision.HOLD,
     [ReasonCode.OVERDUE_DELIVERY]),
    ("an unpaid delivery not yet due is fine", facts(unpaid=(NOT_DUE,)), 1_00, Decision.ALLOW, []),
    ("送二结一: one unpaid delivery already", facts(deliver_two_settle_one=True, unpaid=(NOT_DUE,)), 1_00,
     Decision.HOLD, [ReasonCode.DELIVER_TWO]),
    ("送二结一: all paid", facts(deliver_two_settle_one=True), 1_00, Decision.ALLOW, []),
    ("送二结一 + 前款不结", facts(deliver_two_settle_one=True, unpaid=(OVERDUE,)), 1_00, Decision.HOLD,
     [ReasonCode.OVERDUE_DELIVERY, ReasonCode.DELIVER_TWO]),
    ("stopped + over limit: the severest wins", facts(credit_status=CreditStatus.STOPPED), 90_000_00,
     Decision.CASH_ONLY, [ReasonCode.STOPPED, ReasonCode.OVER_LIMIT]),
    ("lock + cash terms + suspended", facts(shipment_locked=True, cash_terms=True,
                                            credit_status=CreditStatus.SUSPENDED), 1_00,
     Decision.BLOCK, [ReasonCode.SUSPENDED, ReasonCode.SHIPMENT_LOCKED, ReasonCode.CASH_TERMS]),
    ("every exposure part counts", facts(exposure=Exposure(20_000_00, 20_000_00, 20_000_00, 20_000_00)),
     20_000_01, Decision.HOLD, [ReasonCode.OVER_LIMIT]),
    ("zero limit: any credit is over it", facts(limit_minor=0, exposure=Exposure()), 1, Decision.HOLD,
     [ReasonCode.OVER_LIMIT]),
]


@pytest.mark.parametrize(("name", "f", "amount", "decision", "codes"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(name, f, amount, decision, codes):
    r = check_credit(f, amount, RULES, TODAY)
    assert r.decision is decision
    assert [x.code for x in r.reasons] == codes
    assert r.exposure_minor == f.exposure.total_minor
    assert r.available_minor == f.limit_minor - f.exposure.total_minor


def test_reasons_carry_their_figures():
    r = check_credit(facts(deliver_two_settle_one=True, unpaid=(OVERDUE, NOT_DUE)), 90_000_00, RULES, TODAY)
    by = {x.code: x.param_dict() for x in r.reasons}
    assert by[ReasonCode.OVER_LIMIT] == {"exposure": 20_000_00, "amount": 90_000_00, "limit": 100_000_00,
                                        "excess": 10_000_00}
    assert by[ReasonCode.OVERDUE_DELIVERY] == {"count": 1, "number": "D-OVERDUE", "days": 3, "open": 5_000_00}
    assert by[ReasonCode.DELIVER_TWO] == {"unpaid": 2, "numbers": "D-OVERDUE, D-NOT-DUE", "max": 1}


def test_each_rule_follows_its_setting():
    off = CreditCheckRules(**{k: Decision.ALLOW for k in ("suspended", "stopped", "blacklisted", "shipment_locked",
                                                          "over_limit", "overdue_delivery", "deliver_two",
                                                          "cash_terms")})
    worst = facts(credit_status=CreditStatus.BLACKLISTED, shipment_locked=True, cash_terms=True,
                  deliver_two_settle_one=True, unpaid=(OVERDUE,), limit_minor=0)
    assert check_credit(worst, 1_00, off, TODAY).decision is Decision.ALLOW
    assert check_credit(worst, 1_00, off, TODAY).reasons == ()
    stricter = replace(RULES, suspended=Decision.BLOCK)
    assert check_credit(facts(credit_status=CreditStatus.SUSPENDED), 1, stricter, TODAY).decision is Decision.BLOCK
    # 送二结一 with two unpaid deliveries allowed (the new one counting): one unpaid is fine, two are not
    two = replace(RULES, max_unpaid_deliveries=2)
    assert check_credit(facts(deliver_two_settle_one=True, unpaid=(NOT_DUE,)), 1, two, TODAY).decision is Decision.ALLOW
    assert check_credit(facts(deliver_two_settle_one=True, unpaid=(NOT_DUE, NOT_DUE)), 1, two,
                        TODAY).decision is Decision.HOLD
    # grace for 前款不结: 3 days late is still within a 3-day grace
    graced = replace(RULES, overdue_delivery_grace_days=3)
    assert check_credit(facts(unpaid=(OVERDUE,)), 1, graced, TODAY).decision is Decision.ALLOW


OV = Override(7, "SO-1", 50_000_00, "王芳", "李主管", "节前备货")


def test_override_lifts_a_hold_up_to_its_amount_and_names_itself():
    held = facts(deliver_two_settle_one=True, unpaid=(NOT_DUE,))
    r = check_credit(held, 50_000_00, RULES, TODAY, OV)
    assert r.decision is Decision.ALLOW and r.override == OV
    assert [x.code for x in r.reasons] == [ReasonCode.DELIVER_TWO, ReasonCode.OVERRIDE]
    assert r.reasons[-1].param_dict() == {"approved_by": "李主管", "id": 7, "reason": "节前备货", "requested_by": "王芳"}
    assert check_credit(held, 50_000_01, RULES, TODAY, OV).decision is Decision.HOLD  # above what was approved


@pytest.mark.parametrize("status", [CreditStatus.STOPPED, CreditStatus.BLACKLISTED])
def test_override_never_lifts_cash_only_or_block(status):
    r = check_credit(facts(credit_status=status), 1_00, RULES, TODAY, OV)
    assert r.decision is not Decision.ALLOW and r.override is None
    assert check_credit(facts(shipment_locked=True), 1_00, RULES, TODAY, OV).decision is Decision.BLOCK


# ── properties ────────────────────────────────────────────────────────────────────────────────

deliveries = st.lists(st.builds(UnpaidDelivery, st.sampled_from(["A", "B", "C", "D"]),
                                st.dates(TODAY - timedelta(days=90), TODAY + timedelta(days=60)),
                                st.integers(1, 10_000_000)), max_size=5).map(tuple)
exposures = st.builds(Exposure, *(st.integers(0, 10**10) for _ in range(4)))
all_facts = st.builds(CreditFacts, st.sampled_from(list(CreditStatus)), st.booleans(), st.booleans(), st.booleans(),
                      st.integers(0, 10**10), exposures, deliveries)
rules = st.builds(CreditCheckRules, *(st.sampled_from(list(Decision)) for _ in range(8)), st.integers(1, 4),
                  st.integers(0, 30))
overrides = st.none() | st.builds(Override, st.just(1), st.just("SO"), st.integers(1, 10**9), st.just("a"),
                                  st.just("b"), st.just("r"))


@settings(max_examples=300, deadline=None)
@given(all_facts, st.integers(1, 10**9), st.integers(0, 10**9), rules, overrides)
def test_a_bigger_order_never_gets_a_softer_answer(f, amount, more, r, ov):
    small = check_credit(f, amount, r, TODAY, ov).decision
    big = check_credit(f, amount + more, r, TODAY, ov).decision
    assert big.severity >= small.severity
    if small is Decision.HOLD:
        assert big is not Decision.ALLOW


@settings(max_examples=300, deadline=None)
@given(all_facts, st.integers(1, 10**9), rules, overrides, st.data())
def test_paying_never_worsens_the_decision(f, amount, r, ov, data):
    """A payment lowers open AR and clears (part of) an unpaid delivery: the answer can only soften."""
    paid = data.draw(st.integers(0, f.exposure.open_ar_minor))
    unpaid = list(f.unpaid)
    if unpaid and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(unpaid) - 1))
        rest = data.draw(st.integers(0, unpaid[i].open_minor))
        if rest == 0:
            unpaid.pop(i)
        else:
            unpaid[i] = replace(unpaid[i], open_minor=rest)
    after = replace(f, exposure=replace(f.exposure, open_ar_minor=f.exposure.open_ar_minor - paid),
                    unpaid=tuple(unpaid))
    before_d = check_credit(f, amount, r, TODAY, ov).decision
    after_d = check_credit(after, amount, r, TODAY, ov).decision
    assert after_d.severity <= before_d.severity


@settings(max_examples=300, deadline=None)
@given(all_facts, st.integers(1, 10**9), overrides)
def test_a_blacklisted_customer_never_gets_credit_under_the_default_rules(f, amount, ov):
    r = check_credit(replace(f, credit_status=CreditStatus.BLACKLISTED), amount, RULES, TODAY, ov)
    assert r.decision is Decision.BLOCK


# ── policy section ───────────────────────────────────────────────────────────────────────────

HEAD = '[policy]\nid = "p"\nversion = "1"\nname = { zh = "测", en = "t" }\n'


def test_policy_section_sets_the_rules():
    p = parse_policy(HEAD + '[credit_check]\nsuspended = "block"\nmax_unpaid_deliveries = 2\n', "p.toml")
    assert p.credit_check == replace(RULES, suspended=Decision.BLOCK, max_unpaid_deliveries=2)
    assert parse_policy(HEAD, "p.toml").credit_check == RULES  # the seed defaults when absent


def test_policy_section_problems_name_the_key():
    with pytest.raises(PolicyInvalid) as e:
        parse_policy(HEAD + '[credit_check]\nsuspended = "maybe"\nmax_unpaid_deliveries = 0\nfoo = 1\n', "p.toml")
    where = sorted(p.where for p in e.value.problems)
    assert where == ["credit_check.foo", "credit_check.max_unpaid_deliveries", "credit_check.suspended"]


def test_shipped_default_carries_the_seed_defaults():
    from huikuan.services.policies import load_policies

    assert load_policies().for_customer(None, None).credit_check == RULES


# ── suggested limit (docs/credit.md) ─────────────────────────────────────────────────────────

@pytest.mark.parametrize(("terms", "days"), [(Cash(), 0), (NetDays(30), 30), (MonthEnd(30), 45), (DayOfMonth(25), 40)])
def test_term_days(terms, days):
    assert term_days(terms) == days


@pytest.mark.parametrize(("volume", "days", "late", "expected"), [
    (100_000_00, 30, None, (200_000_00, 100)),  # no history: volume × (30 + 30)/30
    (100_000_00, 30, 0, (200_000_00, 100)),
    (100_000_00, 30, 10, (160_000_00, 80)),
    (100_000_00, 60, 20, (180_000_00, 60)),
    (100_000_00, 30, 45, (60_000_00, 30)),
    (100_000_00, 30, 61, (0, 0)),
    (123_456_78, 30, 0, (246_000_00, 100)),  # rounded down to whole 1,000 yuan
])
def test_suggested_limit(volume, days, late, expected):
    assert suggested_limit(volume, days, late, LimitRule()) == expected


def test_no_credit_suggested_for_cash_or_blacklisted():
    assert suggested_limit(100_000_00, 30, 0, LimitRule(), cash_terms=True) == (0, 0)
    assert suggested_limit(100_000_00, 30, 0, LimitRule(), blacklisted=True) == (0, 0)


def test_every_credit_check_key_is_documented():
    from pathlib import Path

    from huikuan.domain.policy.credit_load import CREDIT_CHECK_KEYS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text(encoding="utf-8")
    for key in CREDIT_CHECK_KEYS:
        assert f"| `{key}` |" in doc, key
