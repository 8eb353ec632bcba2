"""Report and policy commands: aging (账龄) as a table, CSV, Excel or JSON; policy list/check/assign."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from ...domain.aging import parse_buckets
from ...domain.errors import InvalidInput
from ...domain.money import format_minor
from ...services.reporting import aging
from .common import console, money_text, parse_day, state, tr
from .main import app

policy_app = typer.Typer(help="催收策略 / collection policies", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
FORMATS = ("table", "csv", "xlsx", "json")


def _key_text(by: str, key: str) -> str:
    return tr(f"grade.{key}") if by == "grade" else key


@app.command("aging")
def aging_cmd(
    as_of: str = typer.Option(None, "--as-of"),
    buckets: str = typer.Option("0,30,60,90,180,365", "--buckets", help="天数分段 / day boundaries"),
    by: str = typer.Option("customer", "--by", help="customer|collector|segment|grade"),
    fmt: str = typer.Option("table", "--format", help="table|csv|xlsx|json"),
    output: Path = typer.Option(None, "--output", "-o", help="输出文件（xlsx 必填）/ output file (required for xlsx)"),
    limit: int = typer.Option(40, "--limit", help="表格最多显示行数 / rows shown in the table"),
) -> None:
    """账龄分析 / aging report."""
    if fmt not in FORMATS:
        raise InvalidInput("input.enum", field="--format", value=fmt, allowed=", ".join(FORMATS))
    if fmt == "xlsx" and output is None:
        raise InvalidInput("aging.xlsx_needs_output")
    rep = aging(state.app(), parse_day(as_of, "--as-of"), parse_buckets(buckets), by)
    lang = state.lang
    labels = rep.labels(lang)
    head = [tr(f"by.{by}"), tr("col.name"), tr("col.currency"), *labels, tr("col.total"), tr("col.overdue_collectable"),
            tr("col.disputed")]

    def values(r):  # type: ignore[no-untyped-def]
        return [_key_text(by, r.key), r.name, r.currency, *r.amounts, r.total, r.overdue, r.disputed]

    if fmt == "json":
        typer.echo(json.dumps({
            "as_of": rep.as_of.isoformat(), "by": by, "buckets": list(rep.buckets), "labels": labels,
            "rows": [{"key": r.key, "name": r.name, "currency": r.currency,
                      "amounts": [format_minor(x, r.currency) for x in r.amounts], "total": format_minor(r.total, r.currency),
                      "overdue_collectable": format_minor(r.overdue, r.currency),
                      "disputed": format_minor(r.disputed, r.currency)} for r in rep.rows],
            "totals": {cur: [format_minor(x, cur) for x in v] for cur, v in rep.totals().items()},
        }, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(head)
        for r in rep.rows:
            w.writerow([*values(r)[:3], *[format_minor(x, r.currency) for x in values(r)[3:]]])
        if output:
            output.write_text(buf.getvalue(), encoding="utf-8-sig")  # BOM: Excel opens Chinese CSV correctly
            console().print(tr("aging.written", path=str(output), rows=len(rep.rows)))
        else:
            sys.stdout.write(buf.getvalue())
        return
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = tr("aging.sheet")
        ws.append([tr("aging.title", date=rep.as_of.isoformat(), by=tr(f"by.{by}"))])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(head)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in rep.rows:
            vals = values(r)
            # Money as exact decimal numbers built from integer fen (no binary float arithmetic on our side).
            from decimal import Decimal

            ws.append(vals[:3] + [Decimal(format_minor(x, r.currency)) for x in vals[3:]])
        for row in ws.iter_rows(min_row=3, min_col=4):
            for cell in row:
                cell.number_format = "#,##0.00"
        ws.freeze_panes = "D3"
        wb.save(output)
        console().print(tr("aging.written", path=str(output), rows=len(rep.rows)))
        return
    t = Table(title=tr("aging.title", date=rep.as_of.isoformat(), by=tr(f"by.{by}")))
    named = by == "customer"  # other groupings have no name column worth its width
    for i, h in enumerate(head):
        if i != 1 or named:
            t.add_column(h, justify="right" if i >= 3 else "left", overflow="fold")
    for r in rep.rows[:limit]:
        vals = values(r)
        t.add_row(*[str(x) for i, x in enumerate(vals[:3]) if i != 1 or named], *[money_text(x, r.currency) for x in vals[3:]])
    for cur, tot in rep.totals().items():
        t.add_row(f"[bold]{tr('col.total')}[/bold]", *([""] if named else []), cur, *[money_text(x, cur) for x in tot],
                  money_text(sum(tot), cur), money_text(sum(r.overdue for r in rep.rows if r.currency == cur), cur),
                  money_text(sum(r.disputed for r in rep.rows if r.currency == cur), cur))
    console().print(t)
    if len(rep.rows) > limit:
        console().print(tr("aging.more", count=len(rep.rows) - limit))


@policy_app.command("list")
def policy_list() -> None:
    """列出可用策略 / list the policies."""
    from ...services.policies import load_policies

    a = state.app()
    with a.uow() as uow:
        seg = uow.collect.segment_policies()
    ps = load_policies(a.policy_dirs(), seg)
    t = Table(title=tr("policy.title"))
    for col in ("col.id", "col.name", "col.version", "col.rules", "col.source"):
        t.add_column(tr(col))
    for p in ps.policies.values():
        t.add_row(p.id, p.name_zh if state.lang == "zh" else p.name_en, p.version, str(len(p.rules)), p.source)
    console().print(t)
    for s, pid in seg.items():
        console().print(tr("policy.segment_line", segment=s, policy=pid))


@policy_app.command("check")
def policy_check(file: Path = typer.Argument(..., help="策略文件 / a policy TOML file")) -> None:
    """校验策略文件（有问题则列出每一处）/ validate a policy file, listing every problem."""
    from ...domain.policy.load import parse_policy

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput("policy.unreadable", path=str(file), reason=type(e).__name__) from e
    p = parse_policy(text, file.name)
    console().print(tr("policy.ok", id=p.id, version=p.version, rules=len(p.rules)))


@policy_app.command("assign")
def policy_assign(segment: str = typer.Argument(...), policy: str = typer.Argument(...)) -> None:
    """把策略分配给一个客户分类 / assign a policy to a segment."""
    from ...services.policies import assign_segment

    assign_segment(state.app(), segment, policy)
    console().print(tr("policy.assigned", segment=segment, policy=policy))
