"""The first working day of an overdue episode, and a task's kind agreeing with its channel."""

from __future__ import annotations

from datetime import date, timedelta

from huikuan.domain.ledger import ActionKind, Channel, OpenItem
from huikuan.domain.policy.decide import AccountFacts, channels_for, decide
from huikuan.domain.policy.model import StatementState
from huikuan.services.policies import load_policies

TODAY = date(2026, 2, 24)  # the first working day after Spring Festival 2026
POLICY = load_policies().policies["default"]


def overdue(dpd: int, wdpd: int, **kw) -> AccountFacts:
    item = OpenItem(1, "INV-1", TODAY - timedelta(days=dpd), 100_000)
    return AccountFacts(customer_id=1, customer_code="KH1", overdue=(item,), days_past_due=dpd,
                        working_days_past_due=wdpd, open_minor=100_000, **kw)


def dunning(f: AccountFacts):
    return [(a.stage, a.kind.value) for a in decide(f, POLICY, TODAY) if a.ladder == "dunning"]


def test_a_pre_due_reminder_is_not_a_touch_of_the_overdue_stage():
    # Due 02-22 (a holiday); the pre-due reminder went out on 02-14, one working day ago.
    assert dunning(overdue(2, 1, last_action={"dunning": 1})) == [("overdue_1_7", "call")]
    # An e-mail logged on or before the due date is no touch of the episode either.
    assert dunning(overdue(2, 1, last_contact={"email": 1})) == [("overdue_1_7", "call")]


def test_a_touch_inside_the_episode_still_sets_the_cadence():
    assert dunning(overdue(5, 3, last_action={"dunning": 1})) == []  # every 2 working days
    assert dunning(overdue(5, 3, last_contact={"phone": 1})) == []
    assert dunning(overdue(5, 3, last_action={"dunning": 2})) == [("overdue_1_7", "call")]
    # The boundary: a touch exactly as many working days ago as the episode is old is before it.
    assert dunning(overdue(5, 3, last_action={"dunning": 3})) == [("overdue_1_7", "call")]
    assert dunning(overdue(9, 3, last_action={"dunning": 2})) == [("overdue_8_14", "call")]


def test_a_call_is_made_by_phone_whatever_the_rules_order():
    f = AccountFacts(customer_id=1, customer_code="KH1", open_minor=100, statement=StatementState.SENT,
                     statement_period="2026-01", days_since_statement_sent=3)
    (chase,) = [a for a in decide(f, POLICY, TODAY) if a.ladder == "statement"]
    assert chase.kind is ActionKind.CALL
    assert chase.channel is Channel.PHONE and chase.channels == (Channel.PHONE, Channel.EMAIL)
    (call,) = [a for a in decide(overdue(3, 1), POLICY, TODAY) if a.ladder == "dunning"]
    assert call.channel is Channel.PHONE


def test_channels_follow_the_kind():
    E, S, P, V = Channel.EMAIL, Channel.SMS, Channel.PHONE, Channel.VISIT
    assert channels_for(ActionKind.CALL, (E, P)) == (P, E)
    assert channels_for(ActionKind.CALL, (S, E, P)) == (P, S, E)
    assert channels_for(ActionKind.CALL, (E,)) == (E,)  # no phone listed: kept as written
    assert channels_for(ActionKind.VISIT, (P, V)) == (V, P)
    assert channels_for(ActionKind.REMINDER, (P, S, E)) == (S, E, P)
    assert channels_for(ActionKind.REMINDER, (S, E)) == (S, E)
    # Every contact rule of the shipped policy yields a channel that agrees with its kind.
    for rule in POLICY.rules:
        chans = channels_for(rule.then.kind, rule.then.channels)
        if rule.then.kind is ActionKind.CALL:
            assert chans[0] is P, rule.id
        elif rule.then.kind is ActionKind.REMINDER and chans:
            assert chans[0] is not P, rule.id
