"""Collection commands: run, worklist, log-contact, promise, approve/reject/done, statement, customer, runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from ...domain.errors import InvalidInput
from ...domain.money import Money, format_minor
from ...services import collect as svc
from ...services.daily_run import reason_text, run_daily, task_reason
from ...services.outbox import contact_note, problem_label, problem_text, sms_template_stages
from ...services.reporting import OpenInvoice, actions_of_day, open_invoice
from ...services.reporting import open_invoices as list_open_invoices
from ...services.reporting import runs as list_runs
from ...services.reporting import worklist as list_worklist
from .common import (
    RichProgress,
    compact_table,
    console,
    console_err,
    money_text,
    parse_day,
    short_cell,
    state,
    terminal_safe,
    terms_text,
    tr,
)
from .main import app

customer_app = typer.Typer(help="客户 / customers", no_args_is_help=True)
app.add_typer(customer_app, name="customer")


def _kind(k: str) -> str:
    return tr(f"kind.{k}")


@app.command("run")
def run_cmd(
    as_of: str = typer.Option(None, "--as-of", help="运行日期（默认今天）/ run date (default today)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示，不保存 / show only, save nothing"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """每日运行：决定今天催谁、怎么催 / the daily run: who to chase today and how."""
    from .calendar_cmds import warn_unknown_next_year

    a = state.app()
    day = parse_day(as_of, "--as-of")
    report = run_daily(a, day, dry_run=dry_run, progress=RichProgress(not as_json))
    warn_unknown_next_year(a.calendar(), report.as_of)
    lang = state.lang
    if report.took_over is not None:
        h = report.took_over
        console_err().print(tr("run.took_over", run_id=h.run_id, pid=h.pid or "?", host=h.host or "?",
                               since=h.seen_at.isoformat(timespec="seconds") if h.seen_at else "?"))
    if as_json:
        if report.dry_run:
            actions = [
                {
                    "customer": x.customer_code, "kind": x.kind.value, "channel": x.channel.value if x.channel else None,
                    "channels": [c.value for c in x.channels], "assignee_role": x.assignee_role, "stage": x.stage,
                    "letter": x.letter, "needs_approval": x.needs_approval, "invoices": list(x.invoices),
                    "amount": format_minor(x.amount_minor, x.currency), "currency": x.currency,
                    "reason": reason_text(x, lang), "rule": x.rule_id, "policy_version": x.policy_version,
                }
                for x in report.actions
            ]
        else:
            # The day's stored actions: a re-run of the same day prints exactly what the first run did.
            actions = [
                {
                    "customer": r.customer_code, "kind": r.kind, "channel": r.channel, "channels": r.channels,
                    "assignee_role": r.assignee_role, "stage": r.stage, "letter": r.letter,
                    "needs_approval": r.needs_approval, "invoices": r.invoices,
                    "amount": format_minor(r.amount_minor, r.currency), "currency": r.currency,
                    "reason": r.reason_zh if lang == "zh" else r.reason_en, "rule": r.rule_id,
                    "policy_version": r.policy_version,
                }
                for r in actions_of_day(a, report.as_of)
            ]
        out = {
            "as_of": report.as_of.isoformat(),
            "caught_up": [d.isoformat() for d in report.caught_up],
            "dry_run": report.dry_run,
            "created": report.created,
            "closed": report.closed,
            "ranked": report.ranked,
            "actions": actions,
            "errors": report.errors,
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        con = console()
        con.print(tr("run.summary", date=report.as_of.isoformat(), customers=report.customers,
                     actions=len(report.actions), created=report.created))
        if report.closed:
            con.print(tr("run.closed_settled", count=report.closed))
        if report.dry_run:
            con.print(tr("run.dry"))
        if report.non_workday:
            con.print(tr("run.non_workday"))
        if report.alerts_raised:
            con.print(tr("run.alerts", count=report.alerts_raised))
        if report.ranked:
            con.print(tr("run.ranked", count=report.ranked))
        if report.caught_up:
            con.print(tr("run.caught_up", days=", ".join(d.isoformat() for d in report.caught_up)))
        if report.counts:
            t = Table(title=tr("run.counts"))
            t.add_column(tr("col.kind"))
            t.add_column(tr("col.count"), justify="right")
            for k, n in sorted(report.counts.items(), key=lambda kv: -kv[1]):
                t.add_row(_kind(k), str(n))
            con.print(t)
        for e in report.errors[:20]:
            con.print(f"{e['customer']}: {e['message_' + lang]}", style="red")
        if report.errors:
            con.print(tr("run.errors", count=len(report.errors)))
            state.exit_code = 1
        con.print(tr("run.next"))


@app.command("worklist")
def worklist_cmd(
    as_of: str = typer.Option(None, "--as-of"),
    assignee: str = typer.Option(None, "--assignee", help="角色或姓名 / role or person"),
    limit: int = typer.Option(50, "--limit"),
    wide: bool = typer.Option(False, "--wide", help="显示完整的客户名和原因 / show whole names and reasons"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """今天的待办（金额大的在前）/ today's open tasks, most valuable first."""
    from ...services.prediction import rank_tasks
    from .analytics_model import why_text

    a = state.app()
    day = parse_day(as_of, "--as-of")
    ranked = rank_tasks(a, list_worklist(a, day, assignee), day)  # by expected value once a model is trained
    rows = [x.row for x in ranked]
    why = {x.row.id: "；".join(why_text(*w) for w in x.why) for x in ranked}
    lang = state.lang
    from ...services.reporting import worklist_details

    # Each customer's newest refused or dead message of the last week, and for a list of today the compliance
    # guard's "call now?" for phone tasks (the Today page shows the same). The guard answers for a moment,
    # now: for a list of another day (`--as-of`) "call now" / "after 09:00" would be about today, not that
    # day, and that day's own moment is unknown (past: the calls were made or not; future: history will
    # have moved), so the list of another day shows no call marker (`call_now` null in --json).
    other_day = day is not None and day != a.clock.today()
    details = worklist_details(a, rows[:limit], as_of=day if other_day else None)
    shown_on = day or a.clock.today()  # reasons that count days are worded for the list's day
    calls = {d.task.id: d.call for d in details if d.call is not None}
    refusals = {d.task.id: d.refusal for d in details}
    if as_json:
        typer.echo(json.dumps([
            {"id": r.id, "customer": r.customer_code, "customer_name": r.customer_name, "run_on": r.run_on.isoformat(),
             "kind": r.kind, "channel": r.channel, "assignee_role": r.assignee_role, "assignee": r.assignee,
             "stage": r.stage, "letter": r.letter, "needs_approval": r.needs_approval, "invoices": r.invoices,
             "amount": format_minor(r.amount_minor, r.currency), "currency": r.currency,
             "reason": task_reason(r, lang, shown_on), "why": why[r.id] or None,
             "call_now": calls.get(r.id), "last_refusal": (svc.refusal_json(ev) if (ev := refusals.get(r.id)) is not None else None)}
            for r in rows[:limit]], ensure_ascii=False, indent=2))
        return
    con = console()
    # ordered by the model's expected value when one is trained (its reasons beside the tasks), else by amount
    title = tr("worklist.title_ranked" if any(why.values()) else "worklist.title", count=len(rows))
    if wide:
        con.print(title, style="bold")
        for r in rows[:limit]:
            # Whole names and reasons, each task as a small block: any terminal width reads it.
            con.print(Text.assemble((f"{r.id:>5} ", "bold"), terminal_safe(f"{r.customer_code} {r.customer_name}")))
            parts = (_what(r), _channel(r, calls), _who(r), money_text(r.amount_minor, r.currency))
            con.print(" " * 6 + " · ".join(p for p in parts if p))
            con.print(" " * 6 + task_reason(r, lang, shown_on), style="dim")
            if why[r.id]:
                con.print(" " * 6 + why[r.id], style="yellow")
            if (ev := refusals.get(r.id)) is not None:
                con.print(" " * 6 + _refusal_text(ev), style="red")
        con.print(tr("worklist.legend_wide"))
    else:
        con.print(worklist_table(rows[:limit], title, lang, why, calls, shown_on))
    if len(rows) > limit:
        con.print(tr("worklist.more", count=len(rows) - limit))


def _refusal_text(ev: Any) -> str:
    at = ev.at.replace(tzinfo=UTC).astimezone(ZoneInfo(state.app().settings.timezone)).strftime("%m-%d %H:%M")
    # The stored reason is in the language the sender wrote it in, its moment ISO: worded for the reader.
    reason = problem_text(ev.reason, ev.error_code, state.lang, state.app().settings.timezone)
    return tr("today.dead" if ev.kind == "dead" else "today.refused", at=at, channel=tr(f"channel.{ev.channel}"),
              reason=terminal_safe(reason or ""))


def _what(r: Any) -> str:
    return (tr(f"letter.{r.letter}") if r.letter else _kind(r.kind)) + (" ⚑" if r.needs_approval else "")


def _channel(r: Any, calls: Any = None) -> str:
    """The task's channel, and for a call whether the compliance guard lets it happen now."""
    ch = tr(f"channel.{r.channel}") if r.channel else "-"
    if calls and r.id in calls:
        c = calls[r.id]
        if c["allowed"]:
            ch += " " + tr("guard.call_now")
        elif c["next_allowed_at"]:
            ch += " " + tr("guard.call_later", at=c["next_allowed_at"][5:16].replace("T", " "))
        else:  # do-not-contact or opted out: no moment will ever allow it
            ch += " " + tr("guard.call_never")
    return ch


def _who(r: Any) -> str:
    return str(r.assignee or tr(f"role.{r.assignee_role}"))


def worklist_table(rows: list[Any], title: str, lang: str, why: Any = None, calls: Any = None,
                   day: Any = None) -> Table:
    """The worklist, one line per task in an 80-column terminal: id, customer, what, channel, who, the
    amount (never wrapped or cut) and the reason shortened to the room left (``--wide``: all of it)."""
    t = compact_table(title, tr("worklist.legend"))
    t.add_column(tr("col.id"), justify="right", no_wrap=True)
    t.add_column(tr("col.customer"), min_width=12, ratio=2)
    t.add_column(tr("col.kind"), no_wrap=True)
    t.add_column(tr("col.channel"), no_wrap=True)
    t.add_column(tr("col.assignee"), no_wrap=True)
    t.add_column(tr("col.amount"), justify="right", no_wrap=True)
    t.add_column(tr("col.reason"), min_width=10, ratio=3)
    for r in rows:
        t.add_row(str(r.id), short_cell(f"{r.customer_code} {r.customer_name}"), _what(r),
                  _channel(r, calls), _who(r), money_text(r.amount_minor, r.currency),
                  short_cell(task_reason(r, lang, day or state.app().clock.today())
                             + (f" · {why[r.id]}" if why is not None and why[r.id] else "")))
    return t


@app.command("log-contact")
def log_contact_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    channel: str = typer.Option(..., "--channel", help="phone|email|sms|visit"),
    outcome: str = typer.Option(..., "--outcome", help="reached|no_answer|promised|refused|disputed|paid|left_message|sent"),
    excuse: str = typer.Option(None, "--excuse", help="借口代码 / excuse code (huikuan excuses)"),
    at: str = typer.Option(None, "--at", help="时间 YYYY-MM-DDTHH:MM（默认现在）/ when (default now)"),
    note: str = typer.Option(None, "--note"),
    actor: str = typer.Option(None, "--by", help="记录人 / who"),
) -> None:
    """记录一次催收联系 / record a contact."""
    a = state.app()
    when = None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError as e:
            raise InvalidInput("input.datetime", field="--at", value=at) from e
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(a.settings.timezone))
    aid = svc.log_contact(a, customer, channel, outcome, excuse=excuse, at=when, note=note, actor=actor)
    console().print(tr("contact.logged", id=aid, customer=customer))


@app.command("excuses")
def excuses_cmd() -> None:
    """借口目录及建议应对 / the excuse catalogue with the suggested answer."""
    from ...domain.ledger import Excuse

    t = Table(title=tr("excuses.title"))
    for col in ("col.code", "col.excuse", "col.answer"):
        t.add_column(tr(col), overflow="fold")
    for e in Excuse:
        t.add_row(e.value, tr(f"excuse.{e.value}"), tr(f"excuse.{e.value}.answer"))
    console().print(t)


@app.command("promise")
def promise_cmd(
    customer: str = typer.Argument(...),
    amount: str = typer.Option(..., "--amount", help="承诺金额 / amount, e.g. 12000.00"),
    on: str = typer.Option(..., "--date", help="承诺付款日 / promised date"),
    invoices: str = typer.Option(None, "--invoices", help="发票号，逗号分隔 / invoice numbers N1,N2"),
    made_on: str = typer.Option(None, "--made-on", help="承诺日期（默认今天）/ when it was made"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """记录还款承诺 / record a promise to pay."""
    a = state.app()
    money = Money.parse(amount, a.settings.currency)
    inv = tuple(x.strip() for x in (invoices or "").replace("，", ",").split(",") if x.strip())
    pid = svc.record_promise(a, customer, money.minor, parse_day(on, "--date"), made_on=parse_day(made_on, "--made-on"),
                             invoices=inv, note=note)
    console().print(tr("promise.recorded", id=pid, customer=customer, amount=money.display(), date=on))


@app.command("approve")
def approve_cmd(action_id: int = typer.Argument(...), by: str = typer.Option(None, "--by"),
                note: str = typer.Option(None, "--note")) -> None:
    """批准一项提议（锁定出库、停止信用、律师函等）/ approve a proposal."""
    act = svc.decide_proposal(state.app(), action_id, True, by=by, note=note)
    console().print(tr("action.approved", id=action_id, kind=_kind(act.kind)))


@app.command("reject")
def reject_cmd(action_id: int = typer.Argument(...), by: str = typer.Option(None, "--by"),
               note: str = typer.Option(None, "--note")) -> None:
    """驳回一项提议 / reject a proposal."""
    act = svc.decide_proposal(state.app(), action_id, False, by=by, note=note)
    console().print(tr("action.rejected", id=action_id, kind=_kind(act.kind)))


@app.command("done")
def done_cmd(action_id: int = typer.Argument(...), by: str = typer.Option(None, "--by"),
             note: str = typer.Option(None, "--note")) -> None:
    """把一项任务标记为完成 / mark a task done."""
    svc.mark_done(state.app(), action_id, by=by, note=note)
    console().print(tr("action.done", id=action_id))


class _StatementGroup(TyperGroup):
    """``huikuan statement CUSTOMER --period … --step …`` moves a statement along (as it always did);
    ``huikuan statement pdf …`` and other sub-commands are found first."""

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["mark", *args]
        return super().resolve_command(ctx, args)


statement_app = typer.Typer(cls=_StatementGroup, no_args_is_help=True,
                            help="对账单：huikuan statement CUSTOMER --period YYYY-MM --step prepared|checked|sent|confirmed 记录进度；"
                                 "pdf、link 子命令 / statements: that form records a step; pdf and link below")
app.add_typer(statement_app, name="statement")


@statement_app.command("mark", hidden=True)
def statement_cmd(
    customer: str = typer.Argument(...),
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    step: str = typer.Option(..., "--step", help="prepared|checked|sent|confirmed"),
    on: str = typer.Option(None, "--on"),
) -> None:
    """对账单进度：已编制、已核对、已发出、客户已确认 / move a 对账 statement along."""
    svc.mark_statement(state.app(), customer, period, step, parse_day(on, "--on"))
    console().print(tr("statement.marked", customer=customer, period=period, step=tr(f"statement.{step}")))


@customer_app.command("pause")
def pause_cmd(code: str) -> None:
    """暂停对该客户的催收 / pause collection for a customer."""
    svc.set_paused(state.app(), code, True)
    console().print(tr("customer.paused", code=code))


@customer_app.command("resume")
def resume_cmd(code: str) -> None:
    """恢复催收 / resume collection."""
    svc.set_paused(state.app(), code, False)
    console().print(tr("customer.resumed", code=code))


def debtor_json(code: str, as_of: Any) -> Any:
    from .credit_cmds import debtor_json as section  # credit_cmds registers on customer_app: import late

    return section(code, as_of)


def print_debtor(code: str, as_of: Any) -> None:
    from .credit_cmds import print_debtor as section

    section(code, as_of)


@customer_app.command("show")
def show_cmd(code: str, as_of: str = typer.Option(None, "--as-of"), as_json: bool = typer.Option(False, "--json")) -> None:
    """客户概况：余额、账龄、风险等级、承诺、争议、最近 10 次催收 / a customer at a glance."""
    from ...domain.aging import bucket_labels

    v = svc.customer_view(state.app(), code, parse_day(as_of, "--as-of"))
    c, cur, lang = v.customer, v.customer.currency, state.lang
    if as_json:
        typer.echo(json.dumps(svc.customer_document(v, debtor_json(c.code, v.as_of)), ensure_ascii=False, indent=2))
        return
    con = console()
    con.rule(f"{c.code} {c.name}")
    if v.as_of < state.app().clock.today():
        con.print(tr("customer.as_of_note", date=v.as_of.isoformat()))
    con.print(tr("customer.header", type=tr(f"ctype.{c.type}"), terms=terms_text(c.terms), limit=money_text(c.credit_limit_minor, cur),
                 status=tr(f"credit.{c.credit_status}"), collector=c.collector or "-"))
    flags = []
    if c.shipment_locked:
        flags.append(tr("customer.locked"))
    if c.paused:
        flags.append(tr("customer.is_paused"))
    if flags:
        con.print(" · ".join(flags), style="bold red")
    con.print(tr("customer.balance", open=money_text(v.open_minor, cur), overdue=money_text(v.overdue_minor, cur),
                 disputed=money_text(v.disputed_minor, cur), days=v.days_past_due if v.days_past_due is not None else 0,
                 grade=tr(f"grade.{v.grade.value}")))
    print_debtor(c.code, v.as_of)
    t = Table(title=tr("customer.aging"))
    for label in bucket_labels(v.buckets, lang):
        t.add_column(label, justify="right")
    t.add_row(*[money_text(x, cur) for x in v.aging])
    con.print(t)
    if v.invoices:
        con.print(invoice_table([open_invoice(r, v.as_of) for r in v.invoices], tr("customer.invoices",
                                                                                   count=len(v.invoices))))
    if v.promises:
        t = Table(title=tr("customer.promises"))
        for col in ("col.id", "col.amount", "col.promised_on", "col.made_on", "col.state"):
            t.add_column(tr(col))
        for p, s in v.promises[:10]:
            t.add_row(str(p.id), money_text(p.amount_minor, cur), p.promised_on.isoformat(), p.made_on.isoformat(),
                      tr(f"promise.{s}"))
        con.print(t)
    if v.disputes:
        t = Table(title=tr("customer.disputes"))
        for col in ("col.id", "col.invoice", "col.amount", "col.category", "col.date", "col.state"):
            t.add_column(tr(col))
        for d in v.disputes:
            t.add_row(str(d.id), d.invoice_number, money_text(d.amount_minor, cur), tr(f"dispute.{d.category}"),
                      d.opened_on.isoformat(), tr("dispute.resolved") if d.resolved_on
                      else tr("dispute.invoice_paid") if d.invoice_open_minor <= 0 else tr("dispute.open"))
        con.print(t)
    t = Table(title=tr("customer.activities"))
    for col in ("col.at", "col.channel", "col.outcome", "col.excuse", "col.note"):
        t.add_column(tr(col), overflow="fold")
    tz = ZoneInfo(state.app().settings.timezone)
    stages = sms_template_stages(state.app().templates())  # a sent SMS's note names its template's title
    for x in v.activities:
        local = x.at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)
        t.add_row(local.strftime("%Y-%m-%d %H:%M"), tr(f"channel.{x.channel}"), tr(f"outcome.{x.outcome}"),
                  tr(f"excuse.{x.excuse}") if x.excuse else "-", contact_note(x.note, x.channel, lang, stages).text)
    con.print(t)
    if v.refusals:  # the compliance guard's refusals and dead letters, with the rule and the reason
        t = Table(title=tr("customer.refusals"))
        t.add_column(tr("col.at"), no_wrap=True)
        t.add_column(tr("col.channel"), no_wrap=True)
        t.add_column(tr("col.state"), overflow="fold", max_width=24)  # with the rule (or error code) under it
        t.add_column(tr("col.reason"), overflow="fold", ratio=1)
        for x in v.refusals:
            local = x.at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)
            t.add_row(local.strftime("%Y-%m-%d %H:%M"), tr(f"channel.{x.channel}"),
                      f"{tr(f'refusal.{x.kind}')}\n{problem_label(x.rule, x.error_code, state.lang)}",
                      problem_text(x.reason, x.error_code, state.lang, state.app().settings.timezone))
        con.print(t)
    if v.open_actions:
        t = Table(title=tr("customer.open_actions"))
        for col in ("col.id", "col.date", "col.kind", "col.reason"):
            t.add_column(tr(col), overflow="fold")
        for x in v.open_actions:
            kind = tr(f"letter.{x.letter}") if x.letter else _kind(x.kind)
            t.add_row(str(x.id), x.run_on.isoformat(), kind, task_reason(x, lang, v.as_of))
        con.print(t)


def invoice_table(rows: list[OpenInvoice], title: str, with_customer: bool = False, width: int = 80) -> Table:
    """Open invoices as a table that fits 80 columns: amounts and dates never wrap; listing several
    customers, the invoice number has the customer under it (shortened with … when narrow)."""
    # No box and one space between columns: seven columns of dates and money fit in 79 characters.
    t = Table(title=title, box=None, padding=(0, 1), collapse_padding=True, pad_edge=False,
              header_style="bold underline", title_justify="left")
    if with_customer:
        # The other six columns take 63 characters; the customer's name gets what the terminal has left.
        t.add_column(tr("invoices.col.invoice_customer"), no_wrap=True, overflow="ellipsis", min_width=14,
                     max_width=max(16, width - 64))
    else:
        t.add_column(tr("col.invoice"), overflow="fold", min_width=14)
    for col in ("invoices.col.invoice_date", "invoices.col.due_date"):
        t.add_column(tr(col), no_wrap=True)
    for col in ("col.amount", "invoices.col.open", "col.disputed"):
        t.add_column(tr(col), justify="right", no_wrap=True)
    t.add_column(tr("invoices.col.days_past_due"), justify="right", no_wrap=True)
    for r in rows:
        first = f"{r.number}\n{r.customer_code} {r.customer_name}" if with_customer else r.number
        t.add_row(first, r.invoice_date.isoformat(), r.due_date.isoformat(), money_text(r.amount_minor, r.currency),
                  money_text(r.open_minor, r.currency),
                  money_text(r.disputed_minor, r.currency) if r.disputed_minor else "-",
                  str(r.days_past_due) if r.days_past_due else "-")
    return t


@app.command("invoices")
def invoices_cmd(
    customer: str = typer.Option(None, "--customer", help="客户编号 / customer code"),
    overdue: bool = typer.Option(False, "--overdue", help="只列已逾期的 / overdue ones only"),
    limit: int = typer.Option(50, "--limit", min=0, help="最多列出几张（0 为全部）/ at most this many (0: all)"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """未结发票（最早到期的在前）/ open invoices, oldest due first."""
    rows, total = list_open_invoices(state.app(), customer, overdue, limit or None)
    if as_json:
        typer.echo(json.dumps([{"customer": r.customer_code, "customer_name": r.customer_name, **r.as_dict(),
                                "currency": r.currency} for r in rows], ensure_ascii=False, indent=2))
        return
    con = console()
    con.print(invoice_table(rows, tr("invoices.title", count=total), with_customer=customer is None, width=con.width))
    if total > len(rows):
        con.print(tr("invoices.more", count=total - len(rows)))


@app.command("runs")
def runs_cmd(limit: int = typer.Option(20, "--limit"), as_json: bool = typer.Option(False, "--json")) -> None:
    """每日运行记录 / the run log."""
    rows = list_runs(state.app(), limit)
    tz = ZoneInfo(state.app().settings.timezone)

    def local(at: datetime) -> datetime:
        # Stored in UTC without a zone; shown (and written to JSON) in the company's time zone, with its offset.
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(tz)

    if as_json:
        typer.echo(json.dumps([
            {"id": r.id, "as_of": r.as_of.isoformat(), "started_at": local(r.started_at).isoformat(),
             "finished_at": local(r.finished_at).isoformat() if r.finished_at else None, "status": r.status,
             "dry_run": r.dry_run, "counts": r.counts, "caught_up": r.caught_up, "errors": len(r.errors)}
            for r in rows], ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("runs.title", tz=str(tz)))
    for col in ("col.id", "col.date", "col.started", "col.finished", "col.state", "col.counts", "col.caught_up", "col.errors"):
        t.add_column(tr(col), overflow="fold")

    for r in rows:
        counts = ", ".join(f"{tr('run.' + k) if k in ('created', 'closed') else _kind(k)} {v}" for k, v in (r.counts or {}).items())
        status = tr(f"runstatus.{r.status}") + (f" ({tr('run.dry_short')})" if r.dry_run else "")
        t.add_row(str(r.id), r.as_of.isoformat(), local(r.started_at).strftime("%Y-%m-%d %H:%M:%S"),
                  local(r.finished_at).strftime("%H:%M:%S") if r.finished_at else "-", status, counts,
                  ", ".join(r.caught_up or []), str(len(r.errors or [])))
    console().print(t)
