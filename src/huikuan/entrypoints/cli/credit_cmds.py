"""Credit control commands: ``credit check`` at the order desk and ``credit override`` (request,
approve, reject, list) — a hold is lifted only through an approval on record."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ...domain.credit import Decision
from ...domain.errors import InvalidInput
from ...domain.money import Money, format_minor
from ...services import credit as svc
from .common import console, money_text, parse_day, state, tr
from .main import app

credit_app = typer.Typer(help="信用控制 / credit control", no_args_is_help=True)
app.add_typer(credit_app, name="credit")
override_app = typer.Typer(help="特批放行 / overrides of a hold", no_args_is_help=True)
credit_app.add_typer(override_app, name="override")

# "-5" must reach the command as an amount (and be refused there in the user's language), not be
# taken for an unknown option.
_ARGS_MAY_BE_NEGATIVE = {"ignore_unknown_options": True}


def parse_amount(text: str, field_name: str = "AMOUNT") -> int:
    minor = Money.parse(text).minor  # amount.invalid names the text
    if minor <= 0:
        raise InvalidInput("credit.amount_not_positive", field=field_name, value=text)
    return minor


_STYLE = {Decision.ALLOW: "bold green", Decision.HOLD: "bold yellow", Decision.CASH_ONLY: "bold magenta",
          Decision.BLOCK: "bold red"}


@credit_app.command("check", context_settings=_ARGS_MAY_BE_NEGATIVE)
def check_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    amount: str = typer.Argument(..., help="订单金额（元）/ order amount"),
    order: str = typer.Option(None, "--order", help="订单号 / order number"),
    as_of: str = typer.Option(None, "--as-of", help="检查日期（默认今天）/ date (default today)"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """订单信用检查：这单能不能发货？/ may we ship this order on credit?"""
    minor = parse_amount(amount)
    res = svc.check_order(state.app(), customer, minor, order=order, as_of=parse_day(as_of, "--as-of"))
    lang = state.lang
    if as_json:
        typer.echo(json.dumps(res.to_json(lang), ensure_ascii=False, indent=2))
        return
    r, cur = res.result, res.currency
    con = console()
    con.rule(tr("credit.check.title", customer=res.customer, name=res.customer_name, amount=money_text(minor, cur)))
    con.print(f"[{_STYLE[r.decision]}]" + tr("credit.check.decision", decision=tr(f"credit.decision.{r.decision.value}"))
              + f"[/{_STYLE[r.decision]}]")
    for x in r.reasons:
        con.print(f" • {svc.reason_text(x, lang, cur)}", markup=False)
    if not r.reasons:
        con.print(" • " + tr("credit.check.no_reason"))
    con.print(tr("credit.check.figures", exposure=money_text(r.exposure_minor, cur), limit=money_text(r.limit_minor, cur),
                 available=money_text(r.available_minor, cur), as_of=res.as_of.isoformat()))
    if r.decision is Decision.HOLD:
        con.print(tr("credit.check.hint_hold", customer=res.customer, order=order or "ORDER",
                     amount=format_minor(minor, cur)), markup=False)


@override_app.command("request", context_settings=_ARGS_MAY_BE_NEGATIVE)
def request_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    order: str = typer.Argument(..., help="订单号 / order number"),
    amount: str = typer.Argument(..., help="金额（元）/ amount"),
    by: str = typer.Option(..., "--by", help="申请人 / who asks"),
    reason: str = typer.Option(..., "--reason", help="理由 / why"),
) -> None:
    """申请特批放行一张被暂缓的订单 / ask a supervisor to let a held order ship."""
    oid = svc.request_override(state.app(), customer, order, parse_amount(amount), requested_by=by, reason=reason)
    console().print(tr("credit.override.requested", id=oid))


def _decide(override_id: int, approve: bool, by: str, note: str | None) -> None:
    row = svc.decide_override(state.app(), override_id, approve, by=by, note=note)
    if approve:
        console().print(tr("credit.override.approved", id=row.id, order=row.order_number,
                           amount=money_text(row.amount_minor)))
    else:
        console().print(tr("credit.override.rejected", id=row.id))


@override_app.command("approve")
def approve_cmd(
    override_id: int = typer.Argument(..., help="特批申请编号 / request id"),
    by: str = typer.Option(..., "--by", help="审批人 / approver"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """主管批准特批 / a supervisor approves an override."""
    _decide(override_id, True, by, note)


@override_app.command("reject")
def reject_cmd(
    override_id: int = typer.Argument(..., help="特批申请编号 / request id"),
    by: str = typer.Option(..., "--by", help="审批人 / approver"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """驳回特批 / reject an override."""
    _decide(override_id, False, by, note)


@override_app.command("list")
def list_cmd(
    status: str = typer.Option(None, "--status", help="pending | approved | rejected"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """特批申请列表 / override requests."""
    rows = svc.list_overrides(state.app(), status)
    if as_json:
        typer.echo(json.dumps([
            {"id": r.id, "customer": r.customer_code, "order": r.order_number, "amount_minor": int(r.amount_minor),
             "requested_by": r.requested_by, "reason": r.reason, "status": r.status, "decided_by": r.decided_by}
            for r in rows], ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("credit.override.title", count=len(rows)))
    for col in ("id", "customer", "order", "amount", "requested_by", "reason", "status", "decided_by"):
        t.add_column(tr(f"credit.col.{col}"), overflow="fold")
    for r in rows:
        t.add_row(str(r.id), f"{r.customer_code} {r.customer_name}", r.order_number, money_text(r.amount_minor),
                  r.requested_by, r.reason, tr(f"credit.override_status.{r.status}"), r.decided_by or "-")
    console().print(t)
