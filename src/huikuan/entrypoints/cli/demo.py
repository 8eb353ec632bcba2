"""``huikuan demo-data``: fill the database with a generated, realistic demo company."""

from __future__ import annotations

import json

import typer

from ... import i18n
from ...domain.money import Money
from ...services import demo_data, demo_load
from ...services.demo_comms import add_demo_comms
from ...services.demo_credit import add_demo_dealer
from .common import RichProgress, console, parse_day, state, tr
from .main import app


class _LabelledProgress(RichProgress):
    """Rich bar whose own step labels (``disputes``, ``promises``, ``activities``) come from the demo catalog;
    the import steps arrive already labelled by the import service."""

    def start(self, label: str, total: int | None) -> None:
        super().start(i18n.catalog(state.lang).get(f"demo.step.{label}", label), total)


@app.command("demo-data")
def demo_data_cmd(
    customers: int = typer.Option(300, "--customers", min=1, max=1_000_000, help="客户数 / number of customers"),
    months: int = typer.Option(14, "--months", min=1, max=120, help="开票月数 / months of invoices"),
    seed: int = typer.Option(7, "--seed", help="随机种子，相同种子生成相同数据 / seed: same seed, same data"),
    as_of: str = typer.Option(None, "--as-of", help="截止日期 YYYY-MM-DD（默认今天）/ as-of date (default today)"),
    warm_up_days: int = typer.Option(10, "--warm-up-days", min=0, max=60,
                                     help="重放此前若干个工作日的每日运行与跟进（0 为不重放）/ replay this many "
                                          "working days of runs and follow-up before the as-of date (0: none)"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / JSON output"),
) -> None:
    """生成演示公司（客户、发票、回款、争议、承诺、催收记录）/ generate a demo company."""
    day = parse_day(as_of, "--as-of") or state.app().clock.today()
    company = demo_data.generate(customers=customers, months=months, seed=seed, as_of=day)
    progress = _LabelledProgress(enabled=not as_json)
    try:
        report = demo_load.load(state.app(), company, progress)
        dealer = add_demo_dealer(state.app(), day)
        targets = demo_load.set_demo_targets(state.app(), day)
        forecasts = demo_load.store_demo_forecasts(state.app(), day)
        warm = demo_load.warm_up(state.app(), day, working_days=warm_up_days, seed=seed, progress=progress) \
            if warm_up_days else {}
        comms = add_demo_comms(state.app(), day)
    finally:
        progress.finish()
    summary = {
        "as_of": day.isoformat(),
        "seed": seed,
        **report.counts,
        "open_balance": Money(company.open_minor).amount_text(),
        "overdue": Money(company.overdue_minor()).amount_text(),
        "warm_up": warm,
        "credit_demo": dealer,
        "comms_demo": comms,
        "kpi_targets": targets,
        "forecasts": forecasts,
    }
    if as_json:
        console().print_json(json.dumps(summary, ensure_ascii=False))
        return
    out = console()
    out.print(tr("demo.done.title", as_of=day.isoformat(), seed=seed))
    out.print(tr("demo.done.counts", customers=report.counts["customers"], contacts=report.counts["contacts"],
                 invoices=report.counts["invoices"], payments=report.counts["payments"],
                 credit_notes=report.counts["credit-notes"]))
    out.print(tr("demo.done.collection", disputes=report.counts["disputes"], promises=report.counts["promises"],
                 activities=report.counts["activities"]))
    out.print(tr("demo.done.balance", open=Money(company.open_minor).display(),
                 overdue=Money(company.overdue_minor()).display()))
    if warm:
        out.print(tr("demo.done.warm_up", **warm))
    out.print(tr("demo.done.credit", **dealer))
    out.print(tr("demo.done.comms", **comms))
