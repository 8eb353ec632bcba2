"""The credit sections of a policy file (docs/policies.md): ``[credit_check]`` → ``CreditCheckRules``;
``[[debtor_kind]]``, ``[[lever]]``, ``[debtor]`` → ``DebtorRules``; ``[warnings]`` → ``WarningRules``.

Kept beside ``load.py`` so the order-desk rules grow without touching the ladder parser: each key
names a rule and its value the decision it gives (``allow`` switches the rule off).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Protocol

from ..credit import RULE_KEYS, CreditCheckRules, Decision
from ..debtor import FACT_KEYS, DebtorKind, DebtorRules, KindRule, Lever, LeverRule, Style
from ..ledger import RiskGrade
from ..warnings import WarningRules

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


# ── [[debtor_kind]], [[lever]], [debtor] and [warnings] ─────────────────────────────────────

DEBTOR_SETTINGS_KEYS = {"hard_after_days"}
KIND_RULE_KEYS = {"id", "kind", "style", "when"}
LEVER_KEYS = {"lever", "kinds", "grades"}
WARNING_KEYS = {f.name for f in fields(WarningRules)}


def _range(v: Any) -> tuple[int, int | None] | None:
    if (isinstance(v, list) and len(v) in (1, 2) and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            and (len(v) == 1 or v[0] <= v[1])):
        return (v[0], v[1] if len(v) == 2 else None)
    return None


def _choice(cls: type, v: Any, where: str, p: _Problems) -> Any:
    try:
        return cls(v)
    except ValueError:
        p.add(where, "policy.enum", value=repr(v), allowed=", ".join(m.value for m in cls))  # type: ignore[attr-defined]
        return None


def parse_debtor(data: dict[str, Any], p: _Problems) -> DebtorRules:
    kinds: list[KindRule] = []
    for i, r in enumerate(data.get("debtor_kind", []) if isinstance(data.get("debtor_kind", []), list) else []):
        where = f"debtor_kind[{i}]"
        if not isinstance(r, dict):
            p.add(where, "policy.table", value=repr(r))
            continue
        for k in r:
            if k not in KIND_RULE_KEYS:
                p.add(f"{where}.{k}", "policy.unknown_key", key=k)
        kind = _choice(DebtorKind, r.get("kind"), f"{where}.kind", p)
        style = _choice(Style, r.get("style", "soft"), f"{where}.style", p)
        when = r.get("when", {})
        conds: list[tuple[str, tuple[int, int | None]]] = []
        if not isinstance(when, dict) or not when:
            p.add(f"{where}.when", "policy.table", value=repr(when))
            when = {}
        for key, v in when.items():
            rng = _range(v)
            if key not in FACT_KEYS:
                p.add(f"{where}.when.{key}", "policy.unknown_key", key=key)
            elif rng is None:
                p.add(f"{where}.when.{key}", "policy.range", value=repr(v))
            else:
                conds.append((key, rng))
        rid = r.get("id")
        if not isinstance(rid, str) or not rid:
            p.add(f"{where}.id", "policy.missing_key", key="id")
        elif kind is not None and style is not None:
            kinds.append(KindRule(rid, kind, style, tuple(conds)))
    levers: list[LeverRule] = []
    for i, r in enumerate(data.get("lever", []) if isinstance(data.get("lever", []), list) else []):
        where = f"lever[{i}]"
        if not isinstance(r, dict):
            p.add(where, "policy.table", value=repr(r))
            continue
        for k in r:
            if k not in LEVER_KEYS:
                p.add(f"{where}.{k}", "policy.unknown_key", key=k)
        lever = _choice(Lever, r.get("lever"), f"{where}.lever", p)
        ks = tuple(_choice(DebtorKind, x, f"{where}.kinds[{j}]", p) for j, x in enumerate(r.get("kinds", [])))
        gs = tuple(_choice(RiskGrade, x, f"{where}.grades[{j}]", p) for j, x in enumerate(r.get("grades", [])))
        if lever is not None and None not in ks and None not in gs:
            levers.append(LeverRule(lever, ks, gs))
    hard = 90
    raw = data.get("debtor", {})
    if isinstance(raw, dict):
        for k, v in raw.items():
            if k not in DEBTOR_SETTINGS_KEYS:
                p.add(f"debtor.{k}", "policy.unknown_key", key=k)
            elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10_000:
                hard = v
            else:
                p.add(f"debtor.{k}", "policy.int", value=repr(v), min=0, max=10_000)
    return DebtorRules(tuple(kinds), tuple(levers), hard)


def parse_warnings(raw: Any, p: _Problems) -> WarningRules:
    if raw is None:
        return WarningRules()
    if not isinstance(raw, dict):
        p.add("warnings", "policy.table", value=repr(raw))
        return WarningRules()
    kw: dict[str, int] = {}
    for k, v in raw.items():
        if k not in WARNING_KEYS:
            p.add(f"warnings.{k}", "policy.unknown_key", key=k)
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10_000:
            kw[k] = v
        else:
            p.add(f"warnings.{k}", "policy.int", value=repr(v), min=0, max=10_000)
    return WarningRules(**kw)
