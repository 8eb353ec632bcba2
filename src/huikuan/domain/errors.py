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


def caused_by_interrupt(e: BaseException) -> bool:
    """Whether ``e`` is, or was raised while handling, a KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one).

    An interrupt that lands inside a database driver's call can come out as the driver's complaint about the
    half-done call (psycopg: "can't change 'autocommit' now: connection in transaction status ACTIVE"), with
    the interrupt as its cause or context: it is still an interrupt, not an unexpected error."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False
