"""Errors carry their catalog key and parameters (what every message is rendered from); the debtor
kinds' fallback and the style's age threshold at its edge."""

from __future__ import annotations

from dataclasses import replace

import pytest

from huikuan.domain.debtor import CONTEXT, DebtorFacts, DebtorKind, DebtorRules, KindRule, Style, classify
from huikuan.domain.errors import (
    CalendarUnknown,
    Conflict,
    HuikuanError,
    ImportRejected,
    InvalidInput,
    NotFound,
    PolicyInvalid,
    Problem,
    RuleViolation,
    RunLocked,
)


@pytest.mark.parametrize(("cls", "code"), [
    (HuikuanError, "error"), (NotFound, "not_found"), (Conflict, "conflict"), (RunLocked, "run.locked"),
    (InvalidInput, "invalid_input"), (CalendarUnknown, "calendar.unknown_year"), (RuleViolation, "rule_violation")])
def test_each_error_has_its_default_code(cls, code):
    e = cls()
    assert e.code == code and e.params == {} and str(e) == f"{code} {{}}"
    named = cls("x.y", value="7")
    assert named.code == "x.y" and named.params == {"value": "7"} and str(named) == "x.y {'value': '7'}"


def test_problem_lists_carry_their_count():
    problems = [Problem("a.csv", "row 2", "amount.invalid", {"value": "x"}), Problem("a.csv", "row 3", "date.invalid")]
    for cls, code in ((ImportRejected, "import.rejected"), (PolicyInvalid, "policy.invalid")):
        e = cls(problems)
        assert (e.code, e.params, e.problems) == (code, {"count": 2}, problems)
        assert str(e) == f"{code} {{'count': 2}}"
    assert Problem("s", "w", "c").params == {}


RULE = KindRule("r1", DebtorKind.TECHNICAL, Style.SOFT, (("part_payments", (1, None)),))
RULES = DebtorRules(kinds=(RULE,), hard_after_days=90)
ARREARS = DebtorFacts(days_past_due=89, overdue_minor=1)


def test_nothing_overdue_is_no_classification():
    assert classify(replace(ARREARS, overdue_minor=0), RULES) is None
    assert classify(replace(ARREARS, overdue_minor=-5), RULES) is None


def test_without_a_matching_rule_there_is_not_enough_evidence_and_the_context_is_shown():
    c = classify(ARREARS, RULES)
    assert (c.kind, c.style, c.rule_id) == (DebtorKind.NOT_ENOUGH_EVIDENCE, Style.SOFT, None)
    assert c.evidence == tuple((k, getattr(ARREARS, k)) for k in CONTEXT)
    assert classify(replace(ARREARS, days_past_due=90), RULES).style is Style.HARD


def test_a_matching_rules_style_turns_hard_at_the_threshold():
    f = replace(ARREARS, part_payments=1)
    assert (classify(f, RULES).kind, classify(f, RULES).style) == (DebtorKind.TECHNICAL, Style.SOFT)
    assert classify(replace(f, days_past_due=90), RULES).style is Style.HARD
    assert classify(replace(f, part_payments=0), RULES).kind is DebtorKind.NOT_ENOUGH_EVIDENCE


def test_a_range_with_an_upper_bound_is_inclusive_and_a_missing_fact_never_matches():
    r = KindRule("r", DebtorKind.DELIBERATE, Style.HARD, (("broken_promises", (2, 3)), ("on_time_pct", (0, 100))))
    rules = DebtorRules(kinds=(r,))
    base = replace(ARREARS, on_time_pct=50)
    assert [classify(replace(base, broken_promises=n), rules).kind for n in (1, 2, 3, 4)] == [
        DebtorKind.NOT_ENOUGH_EVIDENCE, DebtorKind.DELIBERATE, DebtorKind.DELIBERATE, DebtorKind.NOT_ENOUGH_EVIDENCE]
    assert classify(replace(base, broken_promises=2, on_time_pct=None), rules).kind is DebtorKind.NOT_ENOUGH_EVIDENCE
