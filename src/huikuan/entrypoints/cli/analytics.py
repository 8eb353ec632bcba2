"""Analytics commands: ``kpi`` and ``targets``; the model, ``predict``, ``forecast`` and the monthly report
register from their own modules (analytics_model.py, analytics_report.py)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ...domain.errors import InvalidInput
from ...domain.kpi import METRICS, TARGET_METRICS
from ...domain.money import format_minor
from ...services import kpi as svc
from .common import console, money_text, state, tr
from .main import app

targets_app = typer.Typer(help="回款目标 / KPI targets", no_args_is_help=True)
app.add_typer(targets_app, name="targets")
FORMATS = ("table", "csv", "xlsx", "json")


def num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def label(prefix: str, value: str) -> str:
    """A stored code (dealer, no_money) in the user's language when the catalog has it."""
    text = tr(prefix + value)
    return value if text == prefix + value else text


def _group_name(by: str | None, key: str) -> str:
    if not key:
        return tr("kpi.company")
    return tr(f"grade.{key}") if by == "grade" else key


def report_rows(rep: svc.KpiReport) -> tuple[list[str], list[list[Any]]]:
    head = [tr(f"kpi.by.{rep.by}") if rep.by else "", *[tr(f"kpi.metric.{m}") for m in METRICS],
            tr("kpi.receivables"), tr("kpi.overdue")]
    rows = []
    for g in [rep.company, *rep.groups]:
        rows.append([_group_name(rep.by, g.key), *[g.kpis.values[m] for m in METRICS], g.kpis.receivables_minor,
                     g.kpis.overdue_minor])
    return head, rows


def _json(rep: svc.KpiReport) -> dict[str, Any]:
    def group(g: svc.KpiGroup) -> dict[str, Any]:
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


def _cell(v: Any, i: int, n_metrics: int, currency: str) -> Any:
    if isinstance(v, float):
        return round(v, 2)
    if isinstance(v, int) and i > n_metrics:
        return format_minor(v, currency)
    return v


@app.command("kpi")
def kpi_cmd(
    month: str = typer.Option(None, "--month", help="月份 YYYY-MM（默认上个月）/ month (default last month)"),
    by: str = typer.Option(None, "--by", help="segment|collector|grade"),
    fmt: str = typer.Option("table", "--format", help="table|csv|xlsx|json"),
    output: Path = typer.Option(None, "--output", "-o", help="输出文件（xlsx 必填）/ output file (required for xlsx)"),
) -> None:
    """回款指标（DSO、CEI、滚动率……）及目标完成情况 / collection KPIs against their targets."""
    if fmt not in FORMATS:
        raise InvalidInput("input.enum", field="--format", value=fmt, allowed=", ".join(FORMATS))
    if fmt == "xlsx" and output is None:
        raise InvalidInput("aging.xlsx_needs_output")
    rep = svc.kpi_report(state.app(), month, by)
    if fmt == "json":
        typer.echo(json.dumps(_json(rep), ensure_ascii=False, indent=2))
        return
    head, rows = report_rows(rep)
    n = len(METRICS)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(head)
        for r in rows:
            w.writerow([_cell(v, i, n, rep.currency) for i, v in enumerate(r)])
        if output:
            output.write_text(buf.getvalue(), encoding="utf-8-sig")
            console().print(tr("aging.written", path=str(output), rows=len(rows)))
        else:
            sys.stdout.write(buf.getvalue())
        return
    if fmt == "xlsx":
        write_xlsx(rep, head, rows, output)
        console().print(tr("aging.written", path=str(output), rows=len(rows)))
        return
    _print_table(rep, head, rows)


def write_xlsx(rep: svc.KpiReport, head: list[str], rows: list[list[Any]], output: Path) -> None:
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = "KPI"
    ws.append([tr("kpi.title", month=rep.month, currency=rep.currency)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(head)
    n = len(METRICS)
    for r in rows:
        ws.append([Decimal(format_minor(v, rep.currency)) if isinstance(v, int) and i > n
                   else (round(v, 2) if isinstance(v, float) else v) for i, v in enumerate(r)])
    eff = wb.create_sheet(tr("kpi.effectiveness_sheet"))
    eff.append([tr("by.collector"), tr("kpi.debtor_kind"), tr("kpi.cause"), tr("kpi.collected"),
                tr("kpi.days_to_collect"), tr("kpi.promises_due"), tr("kpi.promises_kept")])
    for e in rep.effectiveness:
        eff.append([e.collector, label("ctype.", e.kind), label("excuse.", e.cause), Decimal(format_minor(e.collected_minor, rep.currency)),
                    None if e.days_to_collect is None else round(e.days_to_collect, 1), e.promises_due, e.promises_kept])
    wb.save(output)


def _print_table(rep: svc.KpiReport, head: list[str], rows: list[list[Any]]) -> None:
    con = console()
    t = Table(title=tr("kpi.title", month=rep.month, currency=rep.currency))
    t.add_column(tr("kpi.metric"))
    for r in rows:
        t.add_column(str(r[0]), justify="right")
    n = len(METRICS)
    for i in range(1, len(head)):
        t.add_row(head[i], *[money_text(r[i], rep.currency) if i > n else num(r[i]) for r in rows])
    con.print(t)
    checks = [(g, c) for g in [rep.company, *rep.groups] for c in g.targets]
    if checks:
        tt = Table(title=tr("kpi.targets_title"))
        for h in ("kpi.scope", "kpi.metric", "kpi.target", "kpi.actual", "kpi.met"):
            tt.add_column(tr(h))
        for g, c in checks:
            tt.add_row(_group_name(rep.by, g.key), tr(f"kpi.metric.{c.metric}"), num(c.target), num(c.actual),
                       "-" if c.met is None else tr("kpi.yes") if c.met else tr("kpi.no"))
        con.print(tt)
    if rep.effectiveness:
        et = Table(title=tr("kpi.effectiveness_title"))
        for h in ("by.collector", "kpi.debtor_kind", "kpi.cause", "kpi.collected", "kpi.days_to_collect",
                  "kpi.promises_due", "kpi.promises_kept"):
            et.add_column(tr(h))
        for e in rep.effectiveness[:30]:
            et.add_row(e.collector, label("ctype.", e.kind), label("excuse.", e.cause), money_text(e.collected_minor, rep.currency), num(e.days_to_collect),
                       str(e.promises_due), str(e.promises_kept))
        con.print(et)


@targets_app.command("set")
def targets_set(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    metric: str = typer.Option(..., "--metric", help="|".join(TARGET_METRICS)),
    value: float = typer.Option(..., "--value", help="百分比或天数 / percent or days"),
    segment: str = typer.Option(None, "--segment"),
    collector: str = typer.Option(None, "--collector"),
) -> None:
    """设定月度目标（公司、客户分类或收款员）/ set a monthly target (company, segment or collector)."""
    svc.set_target(state.app(), month, metric, value, segment=segment, collector=collector)
    console().print(tr("kpi.target_set", month=month, metric=tr(f"kpi.metric.{metric}"), value=num(value),
                       scope=segment or collector or tr("kpi.company")))


@targets_app.command("list")
def targets_list(month: str = typer.Option(None, "--month", help="YYYY-MM")) -> None:
    """列出目标 / list the targets."""
    rows = svc.targets(state.app(), month)
    t = Table(title=tr("kpi.targets_title"))
    for h in ("kpi.month", "kpi.scope", "kpi.metric", "kpi.target"):
        t.add_column(tr(h))
    for m, scope, key, metric, value in rows:
        t.add_row(m, key or tr("kpi.company") if scope == "company" else f"{tr('kpi.scope.' + scope)}: {key}",
                  tr(f"kpi.metric.{metric}"), num(value))
    console().print(t)


from . import analytics_model, analytics_report  # noqa: E402, F401 — model, predict, forecast, report
