"""The ``[credit_check]`` section of a policy file → ``CreditCheckRules`` (docs/policies.md).

Kept beside ``load.py`` so the order-desk rules grow without touching the ladder parser: each key
names a rule and its value the decision it gives (``allow`` switches the rule off).
"""

from __future__ import annotations

from typing import Any, Protocol

from ..credit import RULE_KEYS, CreditCheckRules, Decision

CREDIT_CHECK_KEYS = set(RULE_KEYS) | {"max_unpaid_deliveries", "overdue_delivery_grace_days"}


class _Problems(Protocol):
    def add(self, where: str, code: str, **params: Any) -> None: ...


def parse_credit_check(raw: Any, p: _Problems) -> CreditCheckRules:
    if raw is None:
        return CreditCheckRules()
    if not isinstance(raw, dict):
        p.add("credit_check", "policy.table", value=repr(raw))
        return CreditCheckRules()
    kw: dict[str, Any] = {}
    for k, v in raw.items():
        where = f"credit_check.{k}"
        if k not in CREDIT_CHECK_KEYS:
            p.add(where, "policy.unknown_key", key=k)
        elif k in RULE_KEYS:
            try:
                kw[k] = Decision(v)
            except ValueError:
                p.add(where, "policy.enum", value=repr(v), allowed=", ".join(d.value for d in Decision))
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 366:
            kw[k] = v
        else:
            p.add(where, "policy.int", value=repr(v), min=0, max=366)
    if kw.get("max_unpaid_deliveries", 1) < 1:
        p.add("credit_check.max_unpaid_deliveries", "policy.int", value=repr(kw["max_unpaid_deliveries"]),
              min=1, max=366)
        kw.pop("max_unpaid_deliveries")
    return CreditCheckRules(**kw)
