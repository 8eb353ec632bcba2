"""The daily run skips a *quiet* customer (nothing open, no promise in the window) when
``can_act_when_quiet`` says no rule of its policy can act on one today. Property: over random policies
(every condition a rule can set, on every ladder, any kind of action) and random quiet customers (any
type, credit status, history, cadence, pause, measures in force, last payment), whenever ``decide``
gives a quiet customer an action (or fails on it, which the run records), ``can_act_when_quiet`` said
so — the skip never drops an action nor an error."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from huikuan.domain.ledger import ActionKind, Channel, CreditStatus, Role
from huikuan.domain.policy.decide import AccountFacts, can_act_when_quiet, decide
from huikuan.domain.policy.model import Conditions, Ladder, Policy, Rule, Settings, StatementState, Then
from huikuan.services.policies import load_policies

TODAY = date(2026, 11, 23)
TYPES = ("dealer", "enterprise", "government", "export", "student")
STATUSES = tuple(s.value for s in CreditStatus)


def ranges() -> st.SearchStrategy[tuple[int, int | None] | None]:
    lo = st.integers(min_value=0, max_value=40)
    return st.none() | st.tuples(lo, st.none() | st.integers(min_value=0, max_value=90)).map(
        lambda r: (r[0], None if r[1] is None else max(r[0], r[1])))


def maybe(s: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.none() | s


# Every field of Conditions, drawn: a new condition added to the model must be added here (the test
# below fails on a Conditions field it does not know), and to can_act_when_quiet's reasoning.
CONDITIONS = {
    "days_past_due": ranges(), "working_days_past_due": ranges(), "days_to_due": ranges(),
    "working_days_to_due": ranges(), "has_overdue": maybe(st.booleans()), "broken_promises": ranges(),
    "promise_broken": maybe(st.booleans()),
    "customer_types": maybe(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3).map(tuple)),
    "credit_status": maybe(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3).map(tuple)),
    "min_overdue_minor": maybe(st.integers(min_value=0, max_value=10_000)),
    "statement": maybe(st.lists(st.sampled_from(list(StatementState)), min_size=1, max_size=2).map(tuple)),
    "day_of_month": ranges(), "days_since_statement_sent": ranges(),
}


def test_the_strategy_draws_every_condition() -> None:
    assert set(CONDITIONS) == {f.name for f in dataclasses.fields(Conditions)}


@st.composite
def rules(draw: st.DrawFn, i: int) -> Rule:
    # A few conditions per rule: with many, almost no rule could hold for a quiet customer at all.
    keys = draw(st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=3, unique=True))
    when = Conditions(**{k: draw(CONDITIONS[k]) for k in keys})
    kind = draw(st.sampled_from(list(ActionKind)))
    then = Then(stage=f"s{i}", kind=kind, assignee=Role.COLLECTOR,
                channels=tuple(draw(st.lists(st.sampled_from(list(Channel)), max_size=2, unique=True))),
                every_working_days=draw(st.none() | st.integers(1, 3)), once=draw(st.booleans()),
                needs_approval=draw(st.booleans()))
    return Rule(id=f"r{i}", ladder=draw(st.sampled_from(list(Ladder))), when=when, then=then)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    n = draw(st.integers(1, 6))
    return Policy(id="p", version="1", name_zh="p", name_en="p", rules=tuple(draw(rules(i)) for i in range(n)),
                  settings=Settings(act_on_non_workdays=draw(st.booleans())))


@st.composite
def quiet(draw: st.DrawFn) -> AccountFacts:
    ladders = [lad.value for lad in Ladder]
    return AccountFacts(
        customer_id=1, customer_code="KH1", customer_type=draw(st.sampled_from(TYPES)),
        credit_status=draw(st.sampled_from(STATUSES)), month_end_terms=draw(st.booleans()),
        paused=draw(st.booleans()) and draw(st.booleans()), shipment_locked=draw(st.booleans()),
        credit_limit_minor=draw(st.integers(0, 10**9)),
        last_payment_on=draw(st.none() | st.dates(TODAY - timedelta(days=400), TODAY)),
        last_contact=draw(st.dictionaries(st.sampled_from([c.value for c in Channel]), st.integers(0, 30))),
        last_action=draw(st.dictionaries(st.sampled_from(ladders), st.integers(0, 30))),
        history=frozenset(draw(st.lists(st.tuples(st.sampled_from([f"s{i}" for i in range(6)]),
                                                  st.just("clear-never")), max_size=3))),
        pending=frozenset(draw(st.lists(st.sampled_from([f"s{i}" for i in range(6)]), max_size=2))),
        is_workday=draw(st.booleans()) or draw(st.booleans()),
    )


def one_rule(when: Conditions, kind: ActionKind = ActionKind.CREDIT_RESUME) -> Policy:
    then = Then(stage="s0", kind=kind, assignee=Role.SALES_MANAGER, once=True)
    return Policy(id="p", version="1", name_zh="p", name_en="p", rules=(Rule("r0", Ladder.CREDIT, when, then),))


def quiet_one(**kw: object) -> AccountFacts:
    return AccountFacts(customer_id=1, customer_code="KH1", **kw)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(policies(), quiet(), st.dates(date(2026, 1, 1), date(2026, 12, 31)))
@example(load_policies().policies["default"], quiet_one(credit_status="suspended"), TODAY)
@example(one_rule(Conditions(customer_types=("export",))), quiet_one(customer_type="export",
                                                                      credit_status="suspended"), TODAY)
@example(one_rule(Conditions(day_of_month=(23, 23), credit_status=("stopped",)), ActionKind.LIMIT_CUT),
         quiet_one(credit_status="stopped"), TODAY)
@example(one_rule(Conditions(days_past_due=(0, None))), quiet_one(credit_status="suspended"), TODAY)
def test_a_quiet_customer_with_an_action_is_never_skipped(policy: Policy, f: AccountFacts, today: date) -> None:
    try:
        got: object = decide(f, policy, today)
    except LookupError as e:  # an odd policy can fail on a customer: the run records that error, so
        got = e  # the customer must not be skipped either (its error would vanish)
    if got:
        assert can_act_when_quiet(policy, f.customer_type, f.credit_status, today), got


def test_the_shipped_policy_skips_a_settled_customer_in_good_standing_and_keeps_a_suspended_one() -> None:
    default = load_policies().policies["default"]
    assert not can_act_when_quiet(default, "dealer", "normal", TODAY)
    assert can_act_when_quiet(default, "dealer", "suspended", TODAY)  # credit lift: sales resume
    lifted = decide(AccountFacts(customer_id=1, customer_code="KH1", credit_status="suspended"), default, TODAY)
    assert [a.kind for a in lifted] == [ActionKind.CREDIT_RESUME]


def test_run_worker_settings_are_read_and_bounded() -> None:
    from pytest import raises

    from huikuan.config import load_settings
    from huikuan.domain.errors import InvalidInput

    default = load_settings(env={}, path="/nonexistent")
    assert (default.run_workers, default.run_parallel_min_customers) == (2, 20_000)
    s = load_settings(env={"HUIKUAN_RUN_WORKERS": "1", "HUIKUAN_RUN_PARALLEL_MIN_CUSTOMERS": "0"}, path="/x")
    assert (s.run_workers, s.run_parallel_min_customers) == (1, 0)
    for key, bad in (("RUN_WORKERS", "0"), ("RUN_WORKERS", "17"), ("RUN_WORKERS", "two"),
                     ("RUN_PARALLEL_MIN_CUSTOMERS", "-1")):
        with raises(InvalidInput):
            load_settings(env={f"HUIKUAN_{key}": bad}, path="/x")
