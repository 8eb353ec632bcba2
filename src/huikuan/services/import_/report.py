"""What an import tells its caller: ``ImportReport`` (counts, warnings, the rejected rows' problems) and
the JSON shape of a refused file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ... import i18n
from ...domain.errors import Problem


@dataclass
class ImportReport:
    kind: str
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the rejected rows' problems (skip_invalid)
    rejects_path: str | None = None
    applied_credit_minor: int = 0  # unapplied customer credit used on the imported invoices
    unapplied_minor: int = 0  # payments/credit notes: money that found no open invoice
    skipped: dict[str, int] = field(default_factory=dict)  # rows skipped by kind: total, subtotal, …
    profile: str | None = None  # the layout profile the file was read with (profiles.py)
    fit: float | None = None  # how well it fitted, 0–1

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = [_problem_dict(p, lang) for p in self.warnings]
        d["problems"] = [_problem_dict(p, lang) for p in self.problems]
        return d


def refused_dict(kind: str, source: str, problems: list[Problem], lang: str = "en") -> dict[str, Any]:
    """The JSON report of a refused file: the counts of ``ImportReport`` (all 0) plus every problem."""
    d = ImportReport(kind, source).as_dict(lang)
    d["refused"] = True
    d["problems"] = [_problem_dict(p, lang) for p in problems]
    return d


def _problem_dict(p: Problem, lang: str) -> dict[str, Any]:
    return {"source": p.source, "where": p.where, "code": p.code,
            "params": {k: str(v) for k, v in p.params.items()}, "message": i18n.problem_text(p, lang)}


def where(row: int, column: str | None = None) -> str:
    return f"第 {row} 行 / row {row}, 列 {column}" if column else f"第 {row} 行 / row {row}"


def reason(p: Problem, lang: str) -> str:
    """A problem as the rejects file's reason cell."""
    column = p.params.get("column")
    text = i18n.problem_text(p, lang)
    return f"{column}: {text}" if column else text
