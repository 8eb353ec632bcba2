"""Credit control commands: ``credit check`` at the order desk and ``credit override`` (request,
approve, reject, list) — a hold is lifted only through an approval on record."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer
from rich.table import Table

from ...domain.credit import Decision
from ...domain.debtor import Lever
from ...domain.errors import InvalidInput
from ...domain.money import Money, format_minor
from ...services import credit as svc
from ...services import risk
from .collect import customer_app
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
    con.print(tr("credit.check.decision", decision=tr(f"credit.decision.{r.decision.value}")),
              style=_STYLE[r.decision])
    for x in r.reasons:
        con.print(f" • {svc.reason_text(x, lang, cur)}")
    if not r.reasons:
        con.print(" • " + tr("credit.check.no_reason"))
    con.print(tr("credit.check.figures", exposure=money_text(r.exposure_minor, cur), limit=money_text(r.limit_minor, cur),
                 available=money_text(r.available_minor, cur), as_of=res.as_of.isoformat()))
    if r.decision is Decision.HOLD:
        con.print(tr("credit.check.hint_hold", customer=res.customer, order=order or "ORDER",
                     amount=format_minor(minor, cur)))


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


# ── debtor kind, levers, warnings ─────────────────────────────────────────────────────────────


def debtor_json(code: str, as_of: date | None) -> dict[str, Any]:
    """The debtor section of ``customer show --json``."""
    p = risk.debtor_profile(state.app(), code, as_of)
    lang = state.lang
    c = p.classification
    return {
        "kind": c.kind.value if c else None,
        "style": c.style.value if c else None,
        "rule": c.rule_id if c else None,
        "approach": tr(f"debtor.approach.{c.kind.value}") if c else None,
        "evidence": [{"fact": k, "value": v, "text": risk.evidence_text(k, v, lang)} for k, v in c.evidence] if c else [],
        "grade": p.grade.value,
        "levers": [{"lever": lv.value, "text": tr(f"lever.{lv.value}"),
                    "done": [{"on": d.done_on.isoformat(), "by": d.by} for d in p.done if d.lever == lv.value]}
                   for lv in p.levers],
    }


def print_debtor(code: str, as_of: date | None) -> None:
    """The debtor section of ``customer show``: kind, style, approach, evidence, levers."""
    d = debtor_json(code, as_of)
    con = console()
    if d["kind"] is None:
        con.print(tr("debtor.none"))
        return
    con.print(tr("debtor.title", kind=tr(f"debtor.kind.{d['kind']}"), style=tr(f"debtor.style.{d['style']}"))
              + (f" ({tr('debtor.rule', rule=d['rule'])})" if d["rule"] else ""), style="bold")
    con.print(tr("debtor.approach", text=d["approach"]))
    # The language's own punctuation: full-width in Chinese, ASCII in English.
    con.print(tr("debtor.evidence") + tr("punct.colon") + tr("punct.semicolon").join(e["text"] for e in d["evidence"]))
    if d["levers"]:
        con.print(tr("debtor.levers") + tr("punct.colon"))
        for lv in d["levers"]:
            done = "; ".join(tr("debtor.lever_done", on=x["on"], by=x["by"] or "-") for x in lv["done"])
            con.print(f"  • {lv['text']} [{lv['lever']}]" + (f" — {done}" if done else ""))


@customer_app.command("lever")
def lever_cmd(
    code: str = typer.Argument(..., help="客户编号 / customer code"),
    lever: str = typer.Argument(..., help="手段 / lever: " + ", ".join(x.value for x in Lever)),
    by: str = typer.Option(None, "--by", help="执行人 / who"),
    note: str = typer.Option(None, "--note"),
    on: str = typer.Option(None, "--date", help="日期（默认今天）/ date (default today)"),
) -> None:
    """记录已执行的手段 / record a lever as done."""
    risk.record_lever(state.app(), code, lever, by=by, note=note, on=parse_day(on, "--date"))
    console().print(tr("lever.recorded", customer=code, lever=tr(f"lever.{lever}")))


@customer_app.command("contact-left")
def contact_left_cmd(
    code: str = typer.Argument(..., help="客户编号 / customer code"),
    name: str = typer.Argument(..., help="联系人姓名 / contact's name"),
    on: str = typer.Option(None, "--date", help="离职日期（默认今天）/ date left (default today)"),
) -> None:
    """记录联系人离职（预警）/ record that a contact has left (a warning sign)."""
    risk.mark_contact_left(state.app(), code, name, parse_day(on, "--date"))
    console().print(tr("contact.marked_left", customer=code, name=name))


@app.command("alerts")
def alerts_cmd(
    all_: bool = typer.Option(False, "--all", help="包括已结束的 / include ended ones"),
    customer: str = typer.Option(None, "--customer", help="只看一个客户 / one customer"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """信用经理的预警列表 / the credit manager's warnings."""
    rows = risk.list_alerts(state.app(), open_only=not all_, customer=customer)
    lang = state.lang
    if as_json:
        typer.echo(json.dumps([
            {"id": r.id, "customer": r.customer_code, "customer_name": r.customer_name, "kind": r.kind,
             "raised_on": r.raised_on.isoformat(), "closed_on": r.closed_on.isoformat() if r.closed_on else None,
             "move": r.move, "reason": r.reason_zh if lang == "zh" else r.reason_en, "params": r.params,
             "overdue": format_minor(r.overdue_minor, r.currency), "balance": format_minor(r.open_minor, r.currency),
             "currency": r.currency}
            for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        console().print(tr("alerts.none"))
        return
    t = Table(title=tr("alerts.title", count=len(rows)))
    for col in ("raised", "customer", "overdue", "kind", "move", "reason", "state"):
        if col == "overdue":  # the order of the list: the most money at stake first
            t.add_column(tr("alerts.col.overdue"), justify="right", no_wrap=True)
        else:
            t.add_column(tr(f"alerts.col.{col}"), overflow="fold")
    for r in rows:
        t.add_row(r.raised_on.isoformat(), f"{r.customer_code} {r.customer_name}",
                  money_text(r.overdue_minor, r.currency), tr(f"alerts.kind.{r.kind}"),
                  tr(f"alert.move.{r.move}"), r.reason_zh if lang == "zh" else r.reason_en,
                  tr("alerts.open") if r.closed_on is None else tr("alerts.closed", on=r.closed_on.isoformat()))
    console().print(t)


# ── applications, limit history, the periodic review ──────────────────────────────────────────


@credit_app.command("apply")
def apply_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    limit: str = typer.Argument(..., help="申请额度（元）/ limit asked for"),
    by: str = typer.Option(..., "--by", help="申请人（业务员）/ who asks"),
    reasoning: str = typer.Option(..., "--reasoning", help="业务员的理由 / the salesperson's reasoning"),
    terms: str = typer.Option(None, "--terms", help="付款条件 / terms, e.g. 月结30"),
    references: str = typer.Option(None, "--references", help="资信证明人 / references"),
) -> None:
    """信用申请（新客户或提额）/ a credit application (new customer or a raised limit)."""
    minor = Money.parse(limit).minor
    aid, role = svc.apply_for_credit(state.app(), customer, minor, reasoning=reasoning, requested_by=by, terms=terms,
                                     references=references)
    console().print(tr("credit.application.submitted", id=aid, role=tr(f"role.{role.value}")))


def _decide_application(application_id: int, approve: bool, by: str, role: str, note: str | None) -> None:
    row = svc.decide_application(state.app(), application_id, approve, by=by, role=role, note=note)
    key = "credit.application.approved" if approve else "credit.application.rejected"
    console().print(tr(key, id=row.id, limit=money_text(row.requested_limit_minor)))


@credit_app.command("approve-application")
def approve_application_cmd(
    application_id: int = typer.Argument(...),
    by: str = typer.Option(..., "--by", help="审批人 / approver"),
    role: str = typer.Option(..., "--role", help="credit_supervisor | credit_manager | gm | owner"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """批准信用申请（按金额所需的角色）/ approve an application (the role its amount calls for)."""
    _decide_application(application_id, True, by, role, note)


@credit_app.command("reject-application")
def reject_application_cmd(
    application_id: int = typer.Argument(...),
    by: str = typer.Option(..., "--by"),
    role: str = typer.Option(..., "--role"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """驳回信用申请 / reject an application."""
    _decide_application(application_id, False, by, role, note)


@credit_app.command("applications")
def applications_cmd(status: str = typer.Option(None, "--status"), as_json: bool = typer.Option(False, "--json")) -> None:
    """信用申请列表 / credit applications."""
    rows = svc.list_applications(state.app(), status)
    data = [{"id": r.id, "customer": r.customer_code, "requested_limit_minor": int(r.requested_limit_minor),
             "terms": r.terms, "references": r.refs, "reasoning": r.reasoning, "requested_by": r.requested_by,
             "requested_on": r.requested_on.isoformat(), "required_role": r.required_role, "status": r.status,
             "decided_by": r.decided_by} for r in rows]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("credit.application.title", count=len(rows)))
    for col in ("id", "customer", "amount", "requested_by", "reason", "role", "status", "decided_by"):
        t.add_column(tr(f"credit.col.{col}"), overflow="fold")
    for r in rows:
        t.add_row(str(r.id), f"{r.customer_code} {r.customer_name}", money_text(r.requested_limit_minor), r.requested_by,
                  r.reasoning, tr(f"role.{r.required_role}"), tr(f"credit.override_status.{r.status}"), r.decided_by or "-")
    console().print(t)


@credit_app.command("set-limit")
def set_limit_cmd(
    customer: str = typer.Argument(...),
    limit: str = typer.Argument(..., help="新额度（元）/ new limit"),
    reason: str = typer.Option(..., "--reason", help="review | manual | ..."),
    by: str = typer.Option(..., "--by"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """调整信用额度（记录原因）/ change a credit limit, with its reason on record."""
    svc.set_limit(state.app(), customer, Money.parse(limit).minor, reason=reason, by=by, note=note)
    console().print(tr("credit.limit.set", customer=customer, limit=money_text(Money.parse(limit).minor)))


@credit_app.command("history")
def history_cmd(customer: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """额度变更记录 / the customer's limit changes and their reasons."""
    rows = svc.limit_history(state.app(), customer)
    data = [{"on": r.changed_on.isoformat(), "old_minor": int(r.old_minor), "new_minor": int(r.new_minor),
             "reason": r.reason, "note": r.note, "by": r.by} for r in rows]
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("credit.limit.history", customer=customer))
    for col in ("date", "old", "new", "reason", "note", "by"):
        t.add_column(tr(f"credit.col.{col}"), overflow="fold")
    for r in rows:
        t.add_row(r.changed_on.isoformat(), money_text(r.old_minor), money_text(r.new_minor),
                  tr(f"credit.limit_reason.{r.reason}"), r.note or "", r.by or "-")
    console().print(t)


@credit_app.command("review")
def review_cmd(as_of: str = typer.Option(None, "--as-of"), as_json: bool = typer.Option(False, "--json")) -> None:
    """定期信用评审：额度使用、付款天数、建议额度 / the periodic credit review with suggested limits."""
    rows = svc.credit_review(state.app(), parse_day(as_of, "--as-of"))
    if as_json:
        typer.echo(json.dumps([
            {"customer": r.code, "limit_minor": r.limit_minor, "exposure_minor": r.exposure_minor,
             "use_pct": r.line.use_pct, "days_past_due": r.days_past_due, "grade": r.grade,
             "late_before": r.late_before, "late_recent": r.late_recent, "suggested_minor": r.line.suggested_minor,
             "behaviour_pct": r.line.behaviour_pct, "flags": list(r.line.flags)} for r in rows],
            ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("credit.review.title", count=len(rows)))
    for col in ("customer", "limit", "exposure", "use", "late", "grade", "suggested", "flags"):
        t.add_column(tr(f"credit.col.{col}"), overflow="fold")
    for r in rows:
        late = f"{r.late_before if r.late_before is not None else '-'} → {r.late_recent if r.late_recent is not None else '-'}"
        t.add_row(f"{r.code} {r.name}", money_text(r.limit_minor, r.currency), money_text(r.exposure_minor, r.currency),
                  f"{r.line.use_pct}%" if r.line.use_pct is not None else "-", late, tr(f"grade.{r.grade}"),
                  money_text(r.line.suggested_minor, r.currency),
                  ", ".join(tr(f"credit.review.flag.{f}") for f in r.line.flags))
    console().print(t)
