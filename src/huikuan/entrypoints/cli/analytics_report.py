"""``huikuan report monthly``: the monthly aging-structure review as PDF, Excel or HTML."""

from __future__ import annotations

from pathlib import Path

import typer

from ...domain.errors import InvalidInput
from ...services.monthly_report import monthly_report
from .common import console, state, tr
from .main import app

report_app = typer.Typer(help="报告 / reports", no_args_is_help=True)
app.add_typer(report_app, name="report")
FORMATS = ("pdf", "xlsx", "html")


@report_app.command("monthly")
def monthly_cmd(
    month: str = typer.Option(None, "--month", help="月份 YYYY-MM（默认上个月）/ month (default last month)"),
    fmt: str = typer.Option("pdf", "--format", help="pdf|xlsx|html"),
    output: Path = typer.Option(None, "--output", "-o", help="输出文件（默认 monthly-report-<月份>.<格式>）/ output file"),
) -> None:
    """月度应收账款分析报告：账龄结构、长期逾期与争议、指标对目标、下月预计拖欠、下月措施 / the monthly review."""
    if fmt not in FORMATS:
        raise InvalidInput("input.enum", field="--format", value=fmt, allowed=", ".join(FORMATS))
    from ...adapters import report_render

    rep = monthly_report(state.app(), month)
    path = output or Path(f"monthly-report-{rep.month}.{fmt}")
    lang = state.lang
    if fmt == "pdf":
        path.write_bytes(report_render.render_pdf(rep, lang))
    elif fmt == "html":
        path.write_text(report_render.render_html(rep, lang), encoding="utf-8")
    else:
        report_render.render_xlsx(rep, path, lang)
    console().print(tr("report.written", month=rep.month, path=str(path)))
