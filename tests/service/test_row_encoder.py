"""``RowEncoder`` looks a customer's invoices and a rule's channels up by the tuple's identity (the daily
run's actions share them). An id outlives its object, though: the encoder keeps each tuple it has seen, so
a tuple freed by its action and a new one at the same address never share a text."""

from __future__ import annotations

import dataclasses
import json

from huikuan.domain.ledger import ActionKind, Channel
from huikuan.domain.policy.decide import Action
from huikuan.services.daily_run import RowEncoder, action_row

BASE = Action(
    customer_id=1, customer_code="KH1", ladder="dunning", stage="collector", kind=ActionKind.CALL,
    channels=(Channel.PHONE,), assignee_role="collector", letter=None, needs_approval=False, rule_id="r",
    policy_id="default", policy_version="1", anchor="2026-01-01", amount_minor=100, currency="CNY",
    invoices=("A1",), reason_key="reason.overdue", reason_params=(("days", 3),), label_zh="催", label_en="chase",
)


def test_a_tuple_at_a_freed_tuples_address_gets_its_own_text() -> None:
    enc = RowEncoder(1, "2026-09-15", 7)
    for i in range(300):
        channel = list(Channel)[i % len(Channel)]
        a = dataclasses.replace(BASE, invoices=(f"N{i}", "B"), channels=(channel,))
        row = enc.row(a, "张三")
        assert row == action_row(a, 1, "2026-09-15", 7, "张三")
        assert json.loads(row[20]) == [f"N{i}", "B"] and json.loads(row[8]) == [channel.value]
        del a, row  # the action and (but for the encoder) its tuples freed: their addresses free for reuse
