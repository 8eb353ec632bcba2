"""The KPI report (services/kpi.py) as a table, CSV, Excel or JSON in the reader's language: one export for
``huikuan kpi --format csv|xlsx|json`` and the workbench's KPI page downloads, so both give the same file."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .. import i18n
from ..domain.kpi import METRICS
from ..domain.money import format_minor
from ..services.kpi import KpiGroup, KpiReport


def label(prefix: str, value: str, lang: str) -> str:
    """A stored code (dealer, no_money) in the user's language when the catalog has it."""
    text = i18n.t(prefix + value, lang)
    return value if text == prefix + value else text


def group_name(by: str | None, key: str, lang: str) -> str:
    if not key:
        return i18n.t("kpi.company", lang)
    return i18n.t(f"grade.{key}", lang) if by == "grade" else key


def group_label(by: str | None, key: str, lang: str) -> str:
    """``group_name`` for people: the customers without a segment, collector or grade (grouped under "-") read
    （未设置）/ (none). Files (CSV, Excel, JSON) keep the key itself."""
    return i18n.t("kpi.group_none", lang) if key == "-" else group_name(by, key, lang)


def report_rows(rep: KpiReport, lang: str) -> tuple[list[str], list[list[Any]]]:
    """A header and one row per group (company first): the metrics, then receivables and overdue in fen."""
    head = [i18n.t(f"kpi.by.{rep.by}", lang) if rep.by else "", *[i18n.t(f"kpi.metric.{m}", lang) for m in METRICS],
            i18n.t("kpi.receivables", lang), i18n.t("kpi.overdue", lang)]
    rows = []
    for g in [rep.company, *rep.groups]:
        rows.append([group_name(rep.by, g.key, lang), *[g.kpis.values[m] for m in METRICS], g.kpis.receivables_minor,
                     g.kpis.overdue_minor])
    return head, rows


def _cell(v: Any, i: int, currency: str) -> Any:
    if isinstance(v, float):
        return round(v, 2)
    if isinstance(v, int) and i > len(METRICS):
        return format_minor(v, currency)
    return v


def csv_text(rep: KpiReport, lang: str) -> str:
    head, rows = report_rows(rep, lang)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(head)
    for r in rows:
        w.writerow([_cell(v, i, rep.currency) for i, v in enumerate(r)])
    return buf.getvalue()


def write_xlsx(rep: KpiReport, lang: str, output: Path | IO[bytes]) -> int:
    """The KPI sheet and the collector-effectiveness sheet; returns the KPI rows written."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    def t(key: str, **params: Any) -> str:
        return i18n.t(key, lang, **params)

    head, rows = report_rows(rep, lang)
    wb = Workbook()
    ws = wb.active
    if not isinstance(ws, Worksheet):  # a new workbook's one sheet
        raise TypeError("openpyxl gave no worksheet")
    ws.title = "KPI"
    ws.append([t("kpi.title", month=rep.month, currency=rep.currency)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(head)
    n = len(METRICS)
    for r in rows:
        ws.append([Decimal(format_minor(v, rep.currency)) if isinstance(v, int) and i > n
                   else (round(v, 2) if isinstance(v, float) else v) for i, v in enumerate(r)])
    eff = wb.create_sheet(t("kpi.effectiveness_sheet"))
    eff.append([t("by.collector"), t("kpi.debtor_kind"), t("kpi.cause"), t("kpi.collected"),
                t("kpi.days_to_collect"), t("kpi.promises_due"), t("kpi.promises_kept")])
    for e in rep.effectiveness:
        eff.append([e.collector, label("ctype.", e.kind, lang), label("excuse.", e.cause, lang),
                    Decimal(format_minor(e.collected_minor, rep.currency)),
                    None if e.days_to_collect is None else round(e.days_to_collect, 1), e.promises_due, e.promises_kept])
    wb.save(output)
    return len(rows)


def as_json(rep: KpiReport) -> dict[str, Any]:
    """The report as ``huikuan kpi --format json`` prints it (stable English keys)."""
    def group(g: KpiGroup) -> dict[str, Any]:
        return {
            "key": g.key, **{m: (None if g.kpis.values[m] is None else round(g.kpis.values[m] or 0.0, 2)) for m in METRICS},
            "receivables": format_minor(g.kpis.receivables_minor, rep.currency),
            "overdue": format_minor(g.kpis.overdue_minor, rep.currency),
            "sales": format_minor(g.kpis.sales_minor, rep.currency),
            "roll_rates": [None if r is None else round(r, 2) for r in g.kpis.roll_rates],
            "targets": [{"metric": c.metric, "target": c.target,
                         "actual": None if c.actual is None else round(c.actual, 2), "met": c.met} for c in g.targets],
        }

    return {
        "month": rep.month, "currency": rep.currency, "by": rep.by, "company": group(rep.company),
        "groups": [group(g) for g in rep.groups],
        "collector_effectiveness": [
            {"collector": e.collector, "debtor_kind": e.kind, "cause": e.cause,
             "collected": format_minor(e.collected_minor, rep.currency),
             "days_to_collect": None if e.days_to_collect is None else round(e.days_to_collect, 1),
             "promises_due": e.promises_due, "promises_kept": e.promises_kept} for e in rep.effectiveness],
    }
