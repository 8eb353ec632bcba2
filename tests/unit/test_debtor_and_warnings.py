"""Kinds of debtor on hand-built histories of each kind, the levers by kind and grade, and each early
warning detector firing on its sign (and not on the ordinary case) — under the shipped policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from huikuan.domain.debtor import DebtorFacts, DebtorKind, Lever, Style, classify, levers
from huikuan.domain.errors import PolicyInvalid
from huikuan.domain.ledger import RiskGrade
from huikuan.domain.policy.load import parse_policy
from huikuan.domain.warnings import Move, PaidInvoice, WarningFacts, WarningKind, WarningRules, detect
from huikuan.services.policies import load_policies

POLICY = load_policies().for_customer(None, None)
RULES = POLICY.debtor
TODAY = date(2026, 11, 23)
IN_ARREARS = DebtorFacts(days_past_due=20, overdue_minor=50_000_00, contacts=6)

HISTORIES = {
    # warm → promises → delays → silence
    "deliberate": replace(IN_ARREARS, promises_kept=0, broken_promises=3, unanswered=4, silent_streak=4),
    # a good payer hit by a shock, apologetic, paying in parts
    "technical": replace(IN_ARREARS, on_time_pct=95, hardship_excuses=2, part_payments=2, payments=3),
    # can pay, pays whoever presses: every payment right after our call, always answers
    "competitive": replace(IN_ARREARS, payments=4, paid_after_pressure_pct=100, silent_streak=0, broken_promises=1),
    # unhappy with our product: an open quality dispute
    "grievance": replace(IN_ARREARS, open_disputes=1, disputes=1, grievance_excuses=1, broken_promises=2,
                         silent_streak=3),
    "not_enough_evidence": replace(IN_ARREARS, contacts=1),
}


@pytest.mark.parametrize("kind", list(HISTORIES))
def test_each_kind_is_told_from_its_history(kind):
    c = classify(HISTORIES[kind], RULES)
    assert c is not None and c.kind is DebtorKind(kind)


def test_evidence_names_the_facts_the_rule_looked_at_first():
    c = classify(HISTORIES["deliberate"], RULES)
    assert c.rule_id == "deliberate-silence" and c.style is Style.HARD
    assert c.evidence[:2] == (("broken_promises", 3), ("silent_streak", 4))
    assert ("days_past_due", 20) in c.evidence


def test_grievance_wins_over_deliberate_signs():
    """An open dispute is fixed first, even when promises were broken and calls go unanswered."""
    assert classify(HISTORIES["grievance"], RULES).kind is DebtorKind.GRIEVANCE


def test_style_turns_hard_with_age_but_not_for_a_grievance():
    old = replace(HISTORIES["technical"], days_past_due=RULES.hard_after_days)
    assert classify(HISTORIES["technical"], RULES).style is Style.SOFT
    assert classify(old, RULES).style is Style.HARD
    assert classify(replace(HISTORIES["grievance"], days_past_due=200), RULES).style is Style.SOFT


def test_nobody_is_classified_without_arrears():
    assert classify(replace(HISTORIES["deliberate"], overdue_minor=0), RULES) is None


def test_technical_needs_a_good_record_before():
    assert classify(replace(HISTORIES["technical"], on_time_pct=50), RULES).kind is not DebtorKind.TECHNICAL
    assert classify(replace(HISTORIES["technical"], on_time_pct=None), RULES).kind is not DebtorKind.TECHNICAL


@pytest.mark.parametrize(("kind", "grade", "must", "never"), [
    (DebtorKind.GRIEVANCE, RiskGrade.DOUBTFUL, {Lever.FIX_GRIEVANCE}, {Lever.OVERDUE_INTEREST, Lever.PRESERVATION}),
    (DebtorKind.DELIBERATE, RiskGrade.BAD, {Lever.PRESERVATION, Lever.TAKE_BACK_GOODS, Lever.OVERDUE_INTEREST},
     {Lever.SMALLER_DELIVERIES}),
    (DebtorKind.TECHNICAL, RiskGrade.IN_COLLECTION, {Lever.SMALLER_DELIVERIES, Lever.PRICE_BY_TERM},
     {Lever.PRESERVATION, Lever.OVERDUE_INTEREST}),
    (DebtorKind.COMPETITIVE, RiskGrade.LOST, {Lever.HQ_SUES, Lever.PRESERVATION}, {Lever.FIX_GRIEVANCE}),
])
def test_levers_by_kind_and_grade(kind, grade, must, never):
    got = set(levers(kind, grade, RULES))
    assert must <= got and not (never & got)


def test_debtor_rules_problems_name_the_key():
    head = '[policy]\nid = "p"\nversion = "1"\nname = { zh = "测", en = "t" }\n'
    with pytest.raises(PolicyInvalid) as e:
        parse_policy(head + '[[debtor_kind]]\nid = "x"\nkind = "angry"\nwhen = { mood = [1] }\n'
                     '[[lever]]\nlever = "threaten"\nkinds = []\ngrades = []\n[warnings]\ndrift_days = "ten"\n', "p.toml")
    assert sorted(p.where for p in e.value.problems) == [
        "debtor_kind[0].kind", "debtor_kind[0].when.mood", "lever[0].lever", "warnings.drift_days"]


# ── early warnings ───────────────────────────────────────────────────────────────────────────

W = WarningRules()


def paid(days_to_pay: list[int], late: list[bool] | None = None, end: date = TODAY - timedelta(days=70)) -> tuple:
    """Invoices paid one a fortnight up to ``end``; each ``days_to_pay`` after its invoice date, due 30 days
    after it (or, with ``late``, due a day before / after it was paid)."""
    out = []
    for i, d in enumerate(days_to_pay):
        paid_on = end - timedelta(days=14 * (len(days_to_pay) - 1 - i))
        inv = paid_on - timedelta(days=d)
        due = inv + timedelta(days=30)
        if late is not None:
            due = paid_on - timedelta(days=1) if late[i] else paid_on
        out.append(PaidInvoice(inv, due, paid_on))
    return tuple(out)


def kinds(f: WarningFacts, rules: WarningRules = W) -> dict[WarningKind, tuple]:
    return {w.kind: (w.anchor, w.move, dict(w.params)) for w in detect(f, rules, TODAY)}


SLOW_MONTHS = (100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 20, 100)  # November is the off season


def test_large_order_in_the_off_season():
    f = WarningFacts(recent_orders=(("SO-1", TODAY - timedelta(days=1), 30_000_00),), usual_invoice_minor=10_000_00,
                     month_volume=SLOW_MONTHS)
    anchor, move, params = kinds(f)[WarningKind.LARGE_ORDER_OFF_SEASON]
    assert (anchor, move) == ("SO-1", Move.STOP_SHIPPING) and params["share"] == 21
    assert WarningKind.LARGE_ORDER_OFF_SEASON not in kinds(replace(f, month_volume=(100,) * 12))  # in season
    assert WarningKind.LARGE_ORDER_OFF_SEASON not in kinds(replace(f, usual_invoice_minor=10_000_01))  # < 3×
    old = replace(f, recent_orders=(("SO-1", TODAY - timedelta(days=8), 30_000_00),))
    assert WarningKind.LARGE_ORDER_OFF_SEASON not in kinds(old)


def test_reliable_payer_starting_to_pay_in_parts():
    f = WarningFacts(paid=paid([20] * 6), part_payments=1, extensions=1)
    _, move, params = kinds(f)[WarningKind.RELIABLE_PAYING_IN_PARTS]
    assert move is Move.COLLECT_NOW and params == {"on_time": 100, "parts": 1, "extensions": 1}
    assert WarningKind.RELIABLE_PAYING_IN_PARTS not in kinds(replace(f, extensions=0))
    unreliable = replace(f, paid=paid([20] * 6, late=[True, True, False, False, False, False]))
    assert WarningKind.RELIABLE_PAYING_IN_PARTS not in kinds(unreliable)


def test_days_to_pay_drifting_up():
    f = WarningFacts(paid=paid([20, 22, 21, 30, 35, 33]))
    assert kinds(f)[WarningKind.DAYS_TO_PAY_DRIFT][2] == {"before": 21, "after": 32, "invoices": 6}
    assert WarningKind.DAYS_TO_PAY_DRIFT not in kinds(WarningFacts(paid=paid([20, 22, 21, 25, 28, 27])))


def test_contact_left_and_role_emptied():
    f = WarningFacts(left=((4, "李会计", "finance", TODAY - timedelta(days=3)),), emptied_roles=("finance",))
    got = kinds(f)
    assert got[WarningKind.CONTACT_LEFT][:2] == ("contact:4", Move.CONFIRM_BALANCE)
    assert got[WarningKind.ROLE_EMPTIED][:2] == ("role:finance", Move.CONFIRM_BALANCE)
    stale = WarningFacts(left=((4, "李会计", "finance", TODAY - timedelta(days=31)),))
    assert WarningKind.CONTACT_LEFT not in kinds(stale)


def test_chronic_late_payer_gets_a_visit():
    f = WarningFacts(paid=paid([30] * 5, late=[True, False, True, False, True]))
    assert kinds(f)[WarningKind.CHRONIC_LATE] == ("", Move.VISIT, {"late": 3, "of": 5})
    assert WarningKind.CHRONIC_LATE not in kinds(WarningFacts(paid=paid([30] * 5, late=[True, False, True, False,
                                                                                          False])))


def test_severe_arrears_turn_the_move_into_preservation():
    f = WarningFacts(days_past_due=W.preservation_after_days, paid=paid([20, 22, 21, 30, 35, 33]))
    assert kinds(f)[WarningKind.DAYS_TO_PAY_DRIFT][1] is Move.PRESERVATION


def test_nothing_fires_on_an_ordinary_customer():
    assert detect(WarningFacts(paid=paid([25, 28, 26, 27, 25, 28])), W, TODAY) == []


def test_every_debtor_and_warning_key_is_documented():
    from pathlib import Path

    from huikuan.domain.debtor import FACT_KEYS
    from huikuan.domain.policy.credit_load import (
        DEBTOR_SETTINGS_KEYS,
        KIND_RULE_KEYS,
        LEVER_KEYS,
        WARNING_KEYS,
    )

    doc = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text(encoding="utf-8")
    for key in set(FACT_KEYS) | DEBTOR_SETTINGS_KEYS | KIND_RULE_KEYS | LEVER_KEYS | WARNING_KEYS:
        if key != "id":
            assert f"| `{key}` |" in doc, key
    for lever in Lever:
        assert f"`{lever.value}`" in doc
