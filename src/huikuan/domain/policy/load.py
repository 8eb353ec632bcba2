"""Policy files (TOML) → validated ``Policy``.

Every problem is collected with its file and key (``dealer.toml: dunning[3].when.days_past_due:
expected [min, max]``); a file with problems raises ``PolicyInvalid`` and is never activated.
The format is documented key by key in ``docs/policies.md`` (a test checks the two agree).
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from typing import Any

from ..errors import PolicyInvalid, Problem
from ..ledger import ActionKind, Channel, CreditStatus, CustomerType, LetterKind, Role
from ..money import Money
from .credit_load import parse_credit_check, parse_debtor, parse_warnings
from .model import (
    Conditions,
    Entry,
    GradeThresholds,
    Ladder,
    Policy,
    Range,
    Rule,
    Settings,
    StatementState,
    Then,
)

RANGE_KEYS = {
    "days_past_due", "working_days_past_due", "days_to_due", "working_days_to_due", "broken_promises",
    "day_of_month", "days_since_statement_sent",
}
BOOL_KEYS = {"has_overdue", "promise_broken"}
WHEN_KEYS = RANGE_KEYS | BOOL_KEYS | {"customer_type", "credit_status", "min_overdue", "statement"}
THEN_KEYS = {
    "stage", "kind", "assignee", "channels", "every_working_days", "once", "on_entry", "needs_approval",
    "letter", "limit_cut_percent", "label",
}
# Measures that change what the company may do are proposals unless a policy says otherwise.
APPROVAL_DEFAULT = {
    ActionKind.CREDIT_STOP, ActionKind.LIMIT_CUT, ActionKind.BLACKLIST, ActionKind.SHIPMENT_LOCK,
    ActionKind.LETTER,
}
SETTINGS_KEYS = {f.name for f in fields(Settings)}
GRADE_KEYS = {f.name for f in fields(GradeThresholds)}


class _Collector:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, where: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(self.source, where, code, params))


def _range(v: Any, where: str, p: _Collector) -> Range | None:
    if (
        isinstance(v, list)
        and len(v) in (1, 2)
        and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
        and (len(v) == 1 or v[0] <= v[1])
    ):
        return (v[0], v[1] if len(v) == 2 else None)
    p.add(where, "policy.range", value=repr(v))
    return None


def _enum(cls: type, v: Any, where: str, p: _Collector) -> Any:
    try:
        return cls(v)
    except ValueError:
        p.add(where, "policy.enum", value=repr(v), allowed=", ".join(m.value for m in cls))  # type: ignore[attr-defined]
        return None


def _enums(cls: type, v: Any, where: str, p: _Collector) -> tuple[Any, ...] | None:
    if not isinstance(v, list) or not v:
        p.add(where, "policy.list", value=repr(v))
        return None
    out = tuple(_enum(cls, x, f"{where}[{i}]", p) for i, x in enumerate(v))
    return None if None in out else out


def _int(v: Any, where: str, p: _Collector, lo: int = 0, hi: int = 10_000) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi:
        return v
    p.add(where, "policy.int", value=repr(v), min=lo, max=hi)
    return None


def _bool(v: Any, where: str, p: _Collector) -> bool | None:
    if isinstance(v, bool):
        return v
    p.add(where, "policy.bool", value=repr(v))
    return None


def _unknown(d: dict[str, Any], allowed: set[str], where: str, p: _Collector) -> None:
    for k in d:
        if k not in allowed:
            p.add(f"{where}.{k}" if where else k, "policy.unknown_key", key=k)


def _when(d: Any, where: str, p: _Collector) -> Conditions:
    if not isinstance(d, dict):
        p.add(where, "policy.table", value=repr(d))
        return Conditions()
    _unknown(d, WHEN_KEYS, where, p)
    kw: dict[str, Any] = {}
    for k in RANGE_KEYS & d.keys():
        kw[k] = _range(d[k], f"{where}.{k}", p)
    for k in BOOL_KEYS & d.keys():
        kw[k] = _bool(d[k], f"{where}.{k}", p)
    if "customer_type" in d:
        ts = _enums(CustomerType, d["customer_type"], f"{where}.customer_type", p)
        kw["customer_types"] = tuple(str(x) for x in ts) if ts else None
    if "credit_status" in d:
        cs = _enums(CreditStatus, d["credit_status"], f"{where}.credit_status", p)
        kw["credit_status"] = tuple(str(x) for x in cs) if cs else None
    if "statement" in d:
        kw["statement"] = _enums(StatementState, d["statement"], f"{where}.statement", p)
    if "min_overdue" in d:
        try:
            kw["min_overdue_minor"] = Money.parse(str(d["min_overdue"])).minor
        except Exception:  # noqa: BLE001 — any parse failure is reported as this key's problem
            p.add(f"{where}.min_overdue", "policy.amount", value=repr(d["min_overdue"]))
    return Conditions(**kw)


def _then(d: Any, where: str, ladder: Ladder, p: _Collector) -> Then | None:
    if not isinstance(d, dict):
        p.add(where, "policy.table", value=repr(d))
        return None
    _unknown(d, THEN_KEYS, where, p)
    for req in ("stage", "kind", "assignee"):
        if req not in d:
            p.add(f"{where}.{req}", "policy.missing_key", key=req)
    if any(pr.where.startswith(where + ".") and pr.code == "policy.missing_key" for pr in p.problems):
        return None
    stage = d["stage"]
    if not isinstance(stage, str) or not stage.replace("_", "").replace("-", "").isalnum():
        p.add(f"{where}.stage", "policy.stage_id", value=repr(stage))
    kind = _enum(ActionKind, d["kind"], f"{where}.kind", p)
    assignee = _enum(Role, d["assignee"], f"{where}.assignee", p)
    channels = _enums(Channel, d["channels"], f"{where}.channels", p) if "channels" in d else ()
    every = _int(d["every_working_days"], f"{where}.every_working_days", p, 1, 60) if "every_working_days" in d else None
    once = _bool(d.get("once", False), f"{where}.once", p)
    if once and every:
        p.add(f"{where}.once", "policy.once_and_every")
    entry = None
    if "on_entry" in d:
        e = d["on_entry"]
        if isinstance(e, dict) and set(e) <= {"kind", "assignee"} and {"kind", "assignee"} <= set(e):
            ek = _enum(ActionKind, e["kind"], f"{where}.on_entry.kind", p)
            ea = _enum(Role, e["assignee"], f"{where}.on_entry.assignee", p)
            entry = Entry(ek, ea) if ek and ea else None
        else:
            p.add(f"{where}.on_entry", "policy.on_entry", value=repr(e))
    letter = _enum(LetterKind, d["letter"], f"{where}.letter", p) if "letter" in d else None
    if kind is ActionKind.LETTER and letter is None and "letter" not in d:
        p.add(f"{where}.letter", "policy.missing_key", key="letter")
    needs = d.get("needs_approval", kind in APPROVAL_DEFAULT)
    needs = _bool(needs, f"{where}.needs_approval", p)
    cut = _int(d["limit_cut_percent"], f"{where}.limit_cut_percent", p, 1, 100) if "limit_cut_percent" in d else None
    if kind is ActionKind.LIMIT_CUT and cut is None and "limit_cut_percent" not in d:
        p.add(f"{where}.limit_cut_percent", "policy.missing_key", key="limit_cut_percent")
    label = d.get("label", {})
    if not (isinstance(label, dict) and isinstance(label.get("zh"), str) and isinstance(label.get("en"), str)):
        p.add(f"{where}.label", "policy.label", value=repr(label))
        label = {"zh": "", "en": ""}
    if kind is None or assignee is None or channels is None:
        return None
    return Then(
        stage=str(stage), kind=kind, assignee=assignee, channels=tuple(channels), every_working_days=every,
        once=bool(once), on_entry=entry, needs_approval=bool(needs), letter=letter, limit_cut_percent=cut,
        label_zh=label["zh"], label_en=label["en"],
    )


def parse_policy(text: str, source: str) -> Policy:
    p = _Collector(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyInvalid([Problem(source, "", "policy.toml", {"reason": str(e)})]) from e
    _unknown(data, {"policy", "settings", "grades", "credit_check", "debtor_kind", "lever", "debtor", "warnings", *(lad.value for lad in Ladder)}, "", p)

    head = data.get("policy")
    if not isinstance(head, dict):
        p.add("policy", "policy.missing_key", key="policy")
        raise PolicyInvalid(p.problems)
    _unknown(head, {"id", "version", "name"}, "policy", p)
    pid, version, name = head.get("id"), head.get("version"), head.get("name", {})
    if not isinstance(pid, str) or not pid:
        p.add("policy.id", "policy.missing_key", key="id")
    if not isinstance(version, str | int) or isinstance(version, bool):
        p.add("policy.version", "policy.missing_key", key="version")
    if not (isinstance(name, dict) and isinstance(name.get("zh"), str) and isinstance(name.get("en"), str)):
        p.add("policy.name", "policy.label", value=repr(name))
        name = {"zh": "", "en": ""}

    settings = Settings()
    raw_s = data.get("settings", {})
    if isinstance(raw_s, dict):
        _unknown(raw_s, SETTINGS_KEYS, "settings", p)
        kw: dict[str, Any] = {}
        for k, v in raw_s.items():
            if k in ("grace_applies_to", "paused_by_promise"):
                kw[k] = _enums(Ladder, v, f"settings.{k}", p) if v != [] else ()
            elif k == "act_on_non_workdays":
                kw[k] = _bool(v, f"settings.{k}", p)
            elif k in SETTINGS_KEYS:
                kw[k] = _int(v, f"settings.{k}", p, 0, 366)
        if None not in kw.values():
            settings = Settings(**kw)

    grades = GradeThresholds()
    raw_g = data.get("grades", {})
    if isinstance(raw_g, dict):
        _unknown(raw_g, GRADE_KEYS, "grades", p)
        gk = {k: _int(v, f"grades.{k}", p, 0, 100_000) for k, v in raw_g.items() if k in GRADE_KEYS}
        if None not in gk.values():
            grades = GradeThresholds(**gk)  # type: ignore[arg-type]
            if not grades.in_collection <= grades.doubtful <= grades.bad <= grades.lost:
                p.add("grades", "policy.grades_order")

    rules: list[Rule] = []
    ids: set[str] = set()
    stages: set[str] = set()
    for ladder in Ladder:
        raw_rules = data.get(ladder.value, [])
        if not isinstance(raw_rules, list):
            p.add(ladder.value, "policy.rules_list")
            continue
        for i, r in enumerate(raw_rules):
            where = f"{ladder.value}[{i}]"
            if not isinstance(r, dict):
                p.add(where, "policy.table", value=repr(r))
                continue
            _unknown(r, {"id", "when", "then"}, where, p)
            rid = r.get("id")
            if not isinstance(rid, str) or not rid:
                p.add(f"{where}.id", "policy.missing_key", key="id")
                continue
            if rid in ids:
                p.add(f"{where}.id", "policy.duplicate_id", value=rid)
            ids.add(rid)
            when = _when(r.get("when", {}), f"{where}.when", p)
            then = _then(r.get("then"), f"{where}.then", ladder, p)
            if then is None:
                if "then" not in r:
                    p.add(f"{where}.then", "policy.missing_key", key="then")
                continue
            if then.stage in stages:
                p.add(f"{where}.then.stage", "policy.duplicate_stage", value=then.stage)
            stages.add(then.stage)
            rules.append(Rule(rid, ladder, when, then))
    credit_check = parse_credit_check(data.get("credit_check"), p)
    debtor = parse_debtor(data, p)
    warnings = parse_warnings(data.get("warnings"), p)
    if p.problems:
        raise PolicyInvalid(p.problems)
    return Policy(
        id=str(pid), version=str(version), name_zh=name["zh"], name_en=name["en"], settings=settings,
        grades=grades, rules=tuple(rules), source=source, credit_check=credit_check,
        debtor=debtor, warnings=warnings,
    )
