"""``huikuan disputes``: the open disputes, and closing in bulk those on invoices already paid."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ...domain.money import format_minor
from ...services import ledger
from .common import console, money_text, parse_day, state, tr
from .main import app


@app.command("disputes")
def disputes_cmd(
    paid: bool = typer.Option(False, "--paid", help="只列发票已付清的争议 / only disputes on fully paid invoices"),
    resolve: bool = typer.Option(False, "--resolve", help="一并关闭发票已付清的争议 / close the disputes on fully "
                                 "paid invoices (with --paid)"),
    on: str = typer.Option(None, "--on", help="关闭日期（默认今天）/ date closed (default today)"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """未解决的争议；发票已付清的争议可一次关闭 / open disputes; those on paid invoices can be closed at once."""
    a = state.app()
    if resolve and not paid:
        raise typer.BadParameter(tr("disputes.resolve_needs_paid"), param_hint="--resolve")
    day = parse_day(on, "--on") or a.clock.today()
    with a.uow(write=resolve) as uow:
        rows = ledger.resolve_paid_disputes(uow, day, by=state.by()) if resolve else ledger.unresolved_disputes(uow, paid)
        uow.commit()
    if as_json:
        typer.echo(json.dumps([
            {"id": r.id, "customer": r.customer, "invoice": r.invoice, "amount": format_minor(r.amount_minor, r.currency),
             "currency": r.currency, "category": r.category, "opened_on": r.opened_on.isoformat(),
             "invoice_paid": r.invoice_open_minor <= 0, "resolved_on": day.isoformat() if resolve else None}
            for r in rows], ensure_ascii=False, indent=2))
        return
    if resolve:
        console().print(tr("disputes.resolved_paid", count=len(rows), on=day.isoformat()))
        return
    t = Table(title=tr("disputes.title", count=len(rows)))
    for col in ("col.id", "col.customer", "col.invoice", "col.amount", "col.category", "col.date", "col.state"):
        t.add_column(tr(col), justify="right" if col in ("col.id", "col.amount") else "left")
    for r in rows:
        t.add_row(str(r.id), r.customer, r.invoice, money_text(r.amount_minor, r.currency), tr(f"dispute.{r.category}"),
                  r.opened_on.isoformat(), tr("dispute.invoice_paid") if r.invoice_open_minor <= 0 else tr("dispute.open"))
    console().print(t)
    if not paid and any(r.invoice_open_minor <= 0 for r in rows):
        console().print(tr("disputes.hint_paid"))
