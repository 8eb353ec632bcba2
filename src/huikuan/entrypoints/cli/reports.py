"""Report and policy commands: aging (账龄) as a table, CSV, Excel or JSON; policy list/check/assign."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ...domain.aging import parse_buckets
from ...domain.errors import InvalidInput
from ...domain.money import format_minor
from ...services.reporting import AgingRow, aging
from .common import console, console_err, guard_output, money_text, parse_day, state, tr
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
    force: bool = typer.Option(False, "--force", help="覆盖已有的输出文件 / overwrite an existing output file"),
    limit: int = typer.Option(40, "--limit", help="表格最多显示行数 / rows shown in the table"),
) -> None:
    """账龄分析 / aging report."""
    if fmt not in FORMATS:
        raise InvalidInput("input.enum", field="--format", value=fmt, allowed=", ".join(FORMATS))
    if fmt == "xlsx" and output is None:
        raise InvalidInput("aging.xlsx_needs_output")
    if output is not None:
        guard_output(output, force)
    rep = aging(state.app(), parse_day(as_of, "--as-of"), parse_buckets(buckets), by)
    if rep.out_of_range:
        console_err().print(tr("aging.out_of_range", customers="、".join(rep.out_of_range[:20]),
                               count=len(rep.out_of_range)))
    lang = state.lang
    labels = rep.labels(lang)
    head = [tr(f"by.{by}"), tr("col.name"), tr("col.currency"), *labels, tr("col.total"), tr("col.overdue_collectable"),
            tr("col.disputed")]
    totals = rep.totals()

    def money(r: AgingRow) -> list[int]:
        return [*r.amounts, r.total, r.overdue, r.disputed]

    def line(r: AgingRow, key: str | None = None) -> list[str]:
        # A totals row carries the word 合计 / Total in the key column and every money column summed.
        return [key if key is not None else _key_text(by, r.key), r.name, r.currency]

    if fmt == "json":
        def doc(r: AgingRow) -> dict[str, object]:
            return {"amounts": [format_minor(x, r.currency) for x in r.amounts], "total": format_minor(r.total, r.currency),
                    "overdue_collectable": format_minor(r.overdue, r.currency),
                    "disputed": format_minor(r.disputed, r.currency)}

        typer.echo(json.dumps({
            "as_of": rep.as_of.isoformat(), "by": by, "buckets": list(rep.buckets), "labels": labels,
            "rows": [{"key": r.key, "name": r.name, "currency": r.currency, **doc(r)} for r in rep.rows],
            "totals": {r.currency: doc(r) for r in totals},
        }, ensure_ascii=False, indent=2))
        return
    total_word = tr("col.total")
    if fmt == "csv":
        from ...adapters.files import write_csv

        rows = [head, *([*line(r), *(format_minor(x, r.currency) for x in money(r))] for r in rep.rows),
                *([*line(r, total_word), *(format_minor(x, r.currency) for x in money(r))] for r in totals)]
        if output:
            write_csv(output, rows)
            console().print(tr("aging.written", path=str(output), rows=len(rep.rows)))
        else:
            write_csv(sys.stdout, rows)
        return
    if fmt == "xlsx":
        from ...adapters.files import write_xlsx

        # Money as exact decimal numbers built from integer fen (no binary float arithmetic on our side).
        data = [[*line(r), *(Decimal(format_minor(x, r.currency)) for x in money(r))] for r in rep.rows]
        data += [[*line(r, total_word), *(Decimal(format_minor(x, r.currency)) for x in money(r))] for r in totals]
        write_xlsx(output, tr("aging.sheet"), tr("aging.title", date=rep.as_of.isoformat(), by=tr(f"by.{by}")), head,
                   data, bold_rows=range(len(rep.rows), len(data)), money_from_col=4, freeze="D{first}")
        console().print(tr("aging.written", path=str(output), rows=len(rep.rows)))
        return
    t = Table(title=tr("aging.title", date=rep.as_of.isoformat(), by=tr(f"by.{by}")))
    named = by == "customer"  # other groupings have no name column worth its width
    for i, h in enumerate(head):
        if i != 1 or named:
            t.add_column(h, justify="right" if i >= 3 else "left", overflow="fold")
    for r in rep.rows[:limit]:
        t.add_row(*[x for i, x in enumerate(line(r)) if i != 1 or named], *[money_text(x, r.currency) for x in money(r)])
    for r in totals:
        t.add_row(*[Text(x, style="bold") for i, x in enumerate(line(r, total_word)) if i != 1 or named],
                  *[money_text(x, r.currency) for x in money(r)])
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
