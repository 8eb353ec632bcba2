"""Error tree of huikuan. Every error has a stable ``code`` and ``params``; the text a person reads
comes from the message catalog (zh-CN or en), never from here.

    HuikuanError
    ├── NotFound                 (an id/code/number that does not exist)
    ├── Conflict                 (a concurrent run, a duplicate)
    ├── InvalidInput             (a value a person typed or imported)
    │     └── CalendarUnknown    (a date in a year no calendar source covers)
    ├── RuleViolation            (the ledger or policy forbids it)
    └── PolicyInvalid(problems)  (a policy file with problems; never activated)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in input: where it is and what is wrong, as data (rendered by the catalog)."""

    source: str  # file name or "cli"
    where: str  # "row 12, column 金额" / "rule[3].when.days_past_due"
    code: str  # catalog key, e.g. "amount.negative"
    params: dict[str, Any] = field(default_factory=dict)


class HuikuanError(Exception):
    code = "error"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(f"{self.code} {params}")


class NotFound(HuikuanError):
    code = "not_found"


class Conflict(HuikuanError):
    code = "conflict"


class RunLocked(Conflict):
    """Another daily run holds the company's run lock (the CLI's exit 3, and only this)."""

    code = "run.locked"


class InvalidInput(HuikuanError):
    code = "invalid_input"


class CalendarUnknown(InvalidInput):
    code = "calendar.unknown_year"


class RuleViolation(HuikuanError):
    code = "rule_violation"


class PolicyInvalid(HuikuanError):
    code = "policy.invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("policy.invalid", count=len(problems))
        self.problems = problems


class ImportRejected(HuikuanError):
    """An import file had problems and nothing was written."""

    code = "import.rejected"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("import.rejected", count=len(problems))
        self.problems = problems
