"""A rule's conditions, each on its own and at its edges: ranges are inclusive, an open upper bound has
no end, a missing fact never matches a range, every present condition must hold (AND), an absent one
does not constrain; grade thresholds and the broken-promise bump."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from huikuan.domain.ledger import OpenItem, RiskGrade
from huikuan.domain.policy.decide import AccountFacts
from huikuan.domain.policy.model import (
    Conditions,
    GradeThresholds,
    Ladder,
    Policy,
    Rule,
    StatementState,
    Then,
    compile_conditions,
)

TODAY = date(2026, 11, 23)
ITEM = OpenItem(1, "A1", date(2026, 11, 1), 50_000)
OVERDUE = AccountFacts(1, "KH1", overdue=(ITEM,), days_past_due=22, working_days_past_due=15, broken_promises=1,
                       days_since_statement_sent=4)
NOT_DUE = AccountFacts(1, "KH1", upcoming=(ITEM,), days_to_due=6, working_days_to_due=4)


def holds(c: Conditions, f: AccountFacts, d: int | None = None, today: date = TODAY) -> bool:
    return all(check(f, d, today) for check in compile_conditions(c))


def test_no_condition_compiles_to_no_test_and_matches_anything():
    assert compile_conditions(Conditions()) == ()
    assert holds(Conditions(), AccountFacts(1, "KH1"))


@pytest.mark.parametrize(("r", "ok"), [((22, 22), True), ((23, 30), False), ((10, 21), False), ((0, None), True),
                                       ((22, None), True), ((23, None), False), ((-5, 22), True)])
def test_days_past_due_is_the_days_passed_in(r, ok):
    c = Conditions(days_past_due=r)
    assert len(compile_conditions(c)) == 1
    assert holds(c, OVERDUE, 22) is ok
    assert holds(c, OVERDUE, None) is False  # no day count: a range never matches


@pytest.mark.parametrize(("r", "ok"), [((15, 15), True), ((16, None), False), ((1, 14), False), ((0, 15), True)])
def test_working_days_past_due_only_when_a_day_count_is_given(r, ok):
    c = Conditions(working_days_past_due=r)
    assert holds(c, OVERDUE, 22) is ok
    assert holds(c, OVERDUE, None) is False


@pytest.mark.parametrize(("field", "r", "ok"), [
    ("days_to_due", (6, 6), True), ("days_to_due", (7, 9), False), ("days_to_due", (0, 5), False),
    ("working_days_to_due", (4, 4), True), ("working_days_to_due", (5, None), False),
    ("working_days_to_due", (0, 3), False)])
def test_days_to_due_only_while_nothing_is_overdue(field, r, ok):
    c = Conditions(**{field: r})
    assert holds(c, NOT_DUE) is ok
    both = replace(NOT_DUE, overdue=(ITEM,))  # something overdue: "days to due" is not asked
    assert holds(c, both) is False


@pytest.mark.parametrize(("r", "ok"), [((1, 1), True), ((2, None), False), ((0, 0), False), ((0, None), True)])
def test_broken_promises(r, ok):
    assert holds(Conditions(broken_promises=r), OVERDUE) is ok


@pytest.mark.parametrize(("r", "ok"), [((23, 23), True), ((1, 22), False), ((24, 31), False), ((20, None), True)])
def test_day_of_month_is_todays(r, ok):
    assert holds(Conditions(day_of_month=r), OVERDUE, today=TODAY) is ok


@pytest.mark.parametrize(("r", "ok"), [((4, 4), True), ((5, None), False), ((0, 3), False)])
def test_days_since_statement_sent(r, ok):
    assert holds(Conditions(days_since_statement_sent=r), OVERDUE) is ok
    assert holds(Conditions(days_since_statement_sent=r), NOT_DUE) is False  # never sent


def test_has_overdue_both_ways():
    assert holds(Conditions(has_overdue=True), OVERDUE) and not holds(Conditions(has_overdue=True), NOT_DUE)
    assert holds(Conditions(has_overdue=False), NOT_DUE) and not holds(Conditions(has_overdue=False), OVERDUE)


def test_promise_broken_both_ways():
    broken = replace(OVERDUE, broken_promise=(7, 10_000, date(2026, 11, 20)))
    assert holds(Conditions(promise_broken=True), broken) and not holds(Conditions(promise_broken=True), OVERDUE)
    assert holds(Conditions(promise_broken=False), OVERDUE) and not holds(Conditions(promise_broken=False), broken)


def test_customer_types_and_credit_status_are_sets():
    assert holds(Conditions(customer_types=("dealer", "export")), OVERDUE)
    assert not holds(Conditions(customer_types=("student",)), OVERDUE)
    assert not holds(Conditions(customer_types=()), OVERDUE)
    assert holds(Conditions(credit_status=("normal",)), OVERDUE)
    assert not holds(Conditions(credit_status=("suspended", "stopped")), OVERDUE)
    assert holds(Conditions(credit_status=("suspended",)), replace(OVERDUE, credit_status="suspended"))


@pytest.mark.parametrize(("least", "ok"), [(50_000, True), (50_001, False), (0, True), (49_999, True)])
def test_min_overdue_is_inclusive(least, ok):
    assert holds(Conditions(min_overdue_minor=least), OVERDUE) is ok


def test_statement_state():
    c = Conditions(statement=(StatementState.SENT, StatementState.CHECKED))
    assert holds(c, replace(OVERDUE, statement=StatementState.SENT))
    assert not holds(c, replace(OVERDUE, statement=StatementState.CONFIRMED))
    assert not holds(c, OVERDUE)  # a customer who needs no statement never matches


def test_all_present_conditions_must_hold():
    c = Conditions(days_past_due=(1, None), broken_promises=(1, 1), min_overdue_minor=1, has_overdue=True)
    assert len(compile_conditions(c)) == 4
    assert holds(c, OVERDUE, 22)
    assert not holds(c, replace(OVERDUE, broken_promises=0), 22)
    assert not holds(c, OVERDUE, 0)


G = GradeThresholds()


@pytest.mark.parametrize(("days", "broken", "grade"), [
    (None, 0, RiskGrade.NOT_DUE), (0, 0, RiskGrade.NOT_DUE), (-3, 5, RiskGrade.NOT_DUE),  # no bump before due
    (1, 0, RiskGrade.IN_COLLECTION), (15, 0, RiskGrade.IN_COLLECTION), (16, 0, RiskGrade.DOUBTFUL),
    (29, 0, RiskGrade.DOUBTFUL), (30, 0, RiskGrade.BAD), (364, 0, RiskGrade.BAD), (365, 0, RiskGrade.LOST),
    (1, 1, RiskGrade.IN_COLLECTION), (1, 2, RiskGrade.DOUBTFUL), (16, 2, RiskGrade.BAD), (30, 3, RiskGrade.LOST),
    (365, 9, RiskGrade.LOST)])  # already the worst: stays
def test_grades_at_their_thresholds(days, broken, grade):
    assert G.grade(days, broken) is grade


def test_grade_without_the_bump_and_defaults():
    assert (G.in_collection, G.doubtful, G.bad, G.lost, G.broken_promises_bump) == (1, 16, 30, 365, 2)
    assert GradeThresholds(broken_promises_bump=0).grade(20, 9) is RiskGrade.DOUBTFUL
    assert G.grade(20) is RiskGrade.DOUBTFUL


def test_a_policy_groups_its_rules_by_ladder_and_compiles_them_once():
    then = Then(stage="s", kind="reminder", assignee="collector")  # type: ignore[arg-type]
    r1 = Rule("a", Ladder.DUNNING, Conditions(has_overdue=True), then)
    r2 = Rule("b", Ladder.CREDIT, Conditions(), then)
    r3 = Rule("c", Ladder.DUNNING, Conditions(days_past_due=(1, 2), broken_promises=(0, 0)), then)
    p = Policy("p", "1", "策略", "policy", rules=(r1, r2, r3))
    assert p.ladder(Ladder.DUNNING) == (r1, r3) and p.ladder(Ladder.CREDIT) == (r2,)
    assert p.ladder(Ladder.PROMISE) == () and set(p.by_ladder) == set(Ladder)
    assert {k: len(v) for k, v in p.checks.items()} == {"a": 1, "b": 0, "c": 2}
