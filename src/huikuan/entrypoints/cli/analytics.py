"""Analytics commands: ``kpi`` and ``targets``; the model, ``predict``, ``forecast`` and the monthly report
register from their own modules (analytics_model.py, analytics_report.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ...adapters import kpi_export
from ...domain.errors import InvalidInput
from ...domain.kpi import METRICS, TARGET_METRICS
from ...services import kpi as svc
from .common import compact_table, console, money_text, print_columns, short_cell, state, tr
from .main import app

targets_app = typer.Typer(help="回款目标 / KPI targets", no_args_is_help=True)
app.add_typer(targets_app, name="targets")
FORMATS = ("table", "csv", "xlsx", "json")


def num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def label(prefix: str, value: str) -> str:
    return kpi_export.label(prefix, value, state.lang)


def _group_name(by: str | None, key: str) -> str:
    """A group's name on the terminal: "-" (customers with no segment, collector or grade) reads as such."""
    return kpi_export.group_label(by, key, state.lang)


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
        typer.echo(json.dumps(kpi_export.as_json(rep), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        text = kpi_export.csv_text(rep, state.lang)
        if output:
            output.write_text(text, encoding="utf-8-sig")
            console().print(tr("aging.written", path=str(output), rows=len(rep.groups) + 1))
        else:
            sys.stdout.write(text)
        return
    if fmt == "xlsx":
        rows = kpi_export.write_xlsx(rep, state.lang, output)
        console().print(tr("aging.written", path=str(output), rows=rows))
        return
    head, table_rows = kpi_export.report_rows(rep, state.lang)
    _print_table(rep, head, table_rows)


def _print_table(rep: svc.KpiReport, head: list[str], rows: list[list[Any]]) -> None:
    con = console()
    n = len(METRICS)
    print_columns(con, tr("kpi.title", month=rep.month, currency=rep.currency), head[1:],
                  [(_group_name(rep.by, g.key), [money_text(r[i], rep.currency) if i > n else num(r[i]) for i in range(1, len(head))])
                   for g, r in zip([rep.company, *rep.groups], rows, strict=True)], tr("kpi.metric"))
    checks = [(g, c) for g in [rep.company, *rep.groups] for c in g.targets]
    if checks:
        tt = compact_table(tr("kpi.targets_title"))
        for i, h in enumerate(("kpi.scope", "kpi.metric", "kpi.target", "kpi.actual", "kpi.met")):
            tt.add_column(tr(h), justify="right" if 2 <= i <= 3 else "left", no_wrap=i >= 2)
        for g, c in checks:
            tt.add_row(short_cell(_group_name(rep.by, g.key)), tr(f"kpi.metric.{c.metric}"), num(c.target),
                       num(c.actual), "-" if c.met is None else tr("kpi.yes") if c.met else tr("kpi.no"))
        con.print()
        con.print(tt)
    if rep.effectiveness:
        con.print()
        et = compact_table(tr("kpi.effectiveness_title"))
        for i, h in enumerate(("by.collector", "kpi.debtor_kind", "kpi.cause", "kpi.collected",
                               "kpi.days_to_collect", "kpi.promises_due", "kpi.promises_kept")):
            # names may shrink (shortened with …); money and counts never do
            et.add_column(tr(h), justify="right" if i >= 3 else "left", no_wrap=i >= 3, min_width=4)
        for e in rep.effectiveness[:30]:
            et.add_row(short_cell(_group_name("collector", e.collector)), short_cell(label("ctype.", e.kind)),
                       short_cell(label("excuse.", e.cause)), money_text(e.collected_minor, rep.currency),
                       num(e.days_to_collect), str(e.promises_due), str(e.promises_kept))
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
    for h in ("kpi.page.month", "kpi.scope", "kpi.metric", "kpi.target"):
        t.add_column(tr(h))
    for m, scope, key, metric, value in rows:
        t.add_row(m, key or tr("kpi.company") if scope == "company" else f"{tr('kpi.scope.' + scope)}: {key}",
                  tr(f"kpi.metric.{metric}"), num(value))
    console().print(t)


from . import analytics_model, analytics_report  # noqa: E402, F401 — model, predict, forecast, report
