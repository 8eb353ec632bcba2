"""``decide`` works a policy's per-rule values out once (its plan) instead of reading them again for every
customer. Property: over random policies (every condition, every ladder and kind, on-entry steps, letters,
limit cuts, any settings) and random customers (money overdue and not yet due, disputes, promises, history,
cadence, statements, measures in force), it gives exactly the actions the plain per-action reading gives
(``decide_reference.decide_plain``, the code before the plan) — or fails with the same error."""

from __future__ import annotations

from datetime import date, timedelta

from decide_reference import decide_plain
from hypothesis import given, settings
from hypothesis import strategies as st
from test_quiet_customers import CONDITIONS, STATUSES, TYPES

from huikuan.domain.ledger import ActionKind, Channel, LetterKind, OpenItem, Role
from huikuan.domain.policy.decide import AccountFacts, decide
from huikuan.domain.policy.model import (
    Conditions,
    Entry,
    Ladder,
    Policy,
    Rule,
    Settings,
    StatementState,
    Then,
)
from huikuan.services.policies import load_policies

TODAY = date(2026, 11, 23)
LADDERS = [lad.value for lad in Ladder]


@st.composite
def rules(draw: st.DrawFn, i: int) -> Rule:
    keys = draw(st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=3, unique=True))
    when = Conditions(**{k: draw(CONDITIONS[k]) for k in keys})
    kind = draw(st.sampled_from(list(ActionKind)))
    entry = draw(st.none() | st.builds(Entry, kind=st.sampled_from(list(ActionKind)),
                                       assignee=st.sampled_from(list(Role))))
    then = Then(stage=f"s{draw(st.integers(0, 4))}", kind=kind, assignee=draw(st.sampled_from(list(Role))),
                channels=tuple(draw(st.lists(st.sampled_from(list(Channel)), max_size=3, unique=True))),
                every_working_days=draw(st.none() | st.integers(1, 3)), once=draw(st.booleans()),
                on_entry=entry, needs_approval=draw(st.booleans()),
                letter=draw(st.none() | st.sampled_from(list(LetterKind))),
                limit_cut_percent=draw(st.none() | st.integers(0, 100)), label_zh=f"规则{i}", label_en=f"rule {i}")
    return Rule(id=f"r{i}", ladder=draw(st.sampled_from(list(Ladder))), when=when, then=then)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    n = draw(st.integers(1, 8))
    some_ladders = st.lists(st.sampled_from(list(Ladder)), max_size=3, unique=True).map(tuple)
    return Policy(id="p", version="1", name_zh="p", name_en="p", rules=tuple(draw(rules(i)) for i in range(n)),
                  settings=Settings(act_on_non_workdays=draw(st.booleans()),
                                    month_end_grace_days=draw(st.integers(0, 15)),
                                    grace_applies_to=draw(some_ladders), paused_by_promise=draw(some_ladders)))


def items(draw: st.DrawFn, overdue: bool) -> tuple[OpenItem, ...]:
    days = draw(st.lists(st.integers(1, 45), max_size=4))  # near the grace and the ranges' edges
    out = []
    for n, d in enumerate(sorted(days, reverse=overdue)):
        due = TODAY - timedelta(days=d) if overdue else TODAY + timedelta(days=d - 1)
        amount = draw(st.integers(1, 10**7))
        out.append(OpenItem(n, f"{'O' if overdue else 'U'}{n}", due, amount, draw(st.sampled_from((0, 0, amount // 2)))))
    return tuple(out)


@st.composite
def customers(draw: st.DrawFn) -> AccountFacts:
    overdue, upcoming = items(draw, True), items(draw, False)
    small = st.none() | st.integers(0, 30)
    stages = st.sampled_from([f"s{i}" for i in range(5)])
    anchors = st.sampled_from([i.due_on.isoformat() for i in overdue[:1]] + ["promise-7", "2026-10", "x"])
    return AccountFacts(
        customer_id=1, customer_code="KH1", customer_type=draw(st.sampled_from(TYPES)),
        currency=draw(st.sampled_from(("CNY", "USD"))), month_end_terms=draw(st.booleans()),
        paused=draw(st.booleans()) and draw(st.booleans()), credit_status=draw(st.sampled_from(STATUSES)),
        shipment_locked=draw(st.booleans()), credit_limit_minor=draw(st.integers(0, 10**9)),
        overdue=overdue, upcoming=upcoming,
        days_past_due=(TODAY - overdue[0].due_on).days if overdue else None,
        working_days_past_due=draw(st.integers(0, 8)) if overdue and draw(st.booleans()) else None,
        days_to_due=(upcoming[0].due_on - TODAY).days if upcoming and not overdue else None,
        working_days_to_due=draw(small) if upcoming and not overdue else None,
        broken_promises=draw(st.integers(0, 3)),
        open_promise_until=draw(st.none() | st.sampled_from((TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=3)))),
        broken_promise=draw(st.none() | st.just((7, 5000, TODAY - timedelta(days=4)))),
        last_payment_on=draw(st.none() | st.just(TODAY - timedelta(days=20))),
        last_contact=draw(st.dictionaries(st.sampled_from([c.value for c in Channel]), st.integers(0, 6), max_size=3)),
        last_action=draw(st.dictionaries(st.sampled_from(LADDERS), st.integers(0, 6), max_size=3)),
        history=frozenset(draw(st.lists(st.tuples(stages, anchors), max_size=4))),
        pending=frozenset(draw(st.lists(stages, max_size=2))),
        statement=draw(st.none() | st.sampled_from(list(StatementState))),
        statement_period=draw(st.none() | st.just("2026-10")), days_since_statement_sent=draw(small),
        open_minor=sum(i.open_minor for i in overdue + upcoming), is_workday=draw(st.booleans()) or draw(st.booleans()),
    )


def outcome(fn: object, f: AccountFacts, policy: Policy) -> object:
    try:
        return fn(f, policy, TODAY)  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 — the same failure (the run records it) is part of the result
        return type(e)


@settings(max_examples=250, deadline=None)
@given(policy=policies(), f=customers())
def test_the_plan_decides_as_the_plain_reading(policy: Policy, f: AccountFacts) -> None:
    assert outcome(decide, f, policy) == outcome(decide_plain, f, policy)


@settings(max_examples=100, deadline=None)
@given(f=customers())
def test_the_shipped_policies_decide_as_the_plain_reading(f: AccountFacts) -> None:
    for policy in load_policies().policies.values():
        assert decide(f, policy, TODAY) == decide_plain(f, policy, TODAY)


def test_a_policy_equal_in_content_but_new_gets_its_own_plan() -> None:
    shipped = load_policies().policies["default"]
    renamed = Policy(id="other", version="9", name_zh="x", name_en="x", rules=shipped.rules,
                     settings=shipped.settings)
    f = AccountFacts(customer_id=1, customer_code="KH1", overdue=(OpenItem(1, "A1", TODAY - timedelta(days=40), 900),),
                     days_past_due=40, working_days_past_due=28)
    assert decide(f, shipped, TODAY) and decide(f, renamed, TODAY)
    assert {a.policy_id for a in decide(f, renamed, TODAY)} == {"other"}
    assert decide(f, renamed, TODAY) == decide_plain(f, renamed, TODAY)


def test_a_delay_the_grace_covers_exactly_is_not_overdue_on_its_ladders() -> None:
    rule = Rule(id="r", ladder=Ladder.DUNNING, when=Conditions(days_past_due=(0, None)),
                then=Then(stage="s", kind=ActionKind.CALL, assignee=Role.COLLECTOR, channels=(Channel.PHONE,)))
    policy = Policy(id="p", version="1", name_zh="p", name_en="p", rules=(rule,),
                    settings=Settings(month_end_grace_days=10, grace_applies_to=(Ladder.DUNNING,)))
    for dpd, month_end, acts in ((10, True, False), (11, True, True), (10, False, True)):
        f = AccountFacts(customer_id=1, customer_code="KH1", month_end_terms=month_end, days_past_due=dpd,
                         overdue=(OpenItem(1, "A1", TODAY - timedelta(days=dpd), 900),), working_days_past_due=7)
        assert bool(decide(f, policy, TODAY)) is acts
        assert decide(f, policy, TODAY) == decide_plain(f, policy, TODAY)
