"""Communications commands: send, outbox, guard check, letter, template (issue 9)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from ...domain.errors import InvalidInput
from ...services import outbox as svc
from ...services.ports import Attachment
from .collect import statement_app
from .common import console, state, tr
from .main import app

guard_app = typer.Typer(help="合规检查 / the compliance guard", no_args_is_help=True)
app.add_typer(guard_app, name="guard")
letter_app = typer.Typer(help="催款函、对账函、律师函 / letters", no_args_is_help=True)
app.add_typer(letter_app, name="letter")
template_app = typer.Typer(help="消息模板 / message templates", no_args_is_help=True)
app.add_typer(template_app, name="template")


def _moment(text: str | None, field_name: str) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise InvalidInput("input.datetime", field=field_name, value=text) from e
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(state.settings.timezone))
    return at


@app.command("send")
def send_cmd(
    once: bool = typer.Option(False, "--once", help="发送到期消息后退出 / deliver what is due, then exit"),
    at: str = typer.Option(None, "--at", help="以此时刻为“现在”（演示、补发）/ act as if it were this moment"),
    interval: float = typer.Option(30.0, "--interval", help="循环间隔秒数 / seconds between rounds"),
    customer: str = typer.Option(None, "--customer", help="只发该客户的消息 / only this customer's messages"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """发送发件箱中到期的邮件和短信（经合规检查）/ deliver due e-mails and SMS, through the guard."""
    import time

    a = state.app()
    now = _moment(at, "--at")
    mailer, sms = a.mailer(), a.sms()
    attach = _attacher(a)
    try:
        while True:
            total = svc.SendReport()
            while True:  # a round: everything due now, in batches
                r = svc.send_due(a, mailer, sms, now=now, attach=attach, customer_code=customer)
                for k in ("claimed", "sent", "deferred", "failed", "dead"):
                    setattr(total, k, getattr(total, k) + getattr(r, k))
                total.errors += r.errors
                if r.claimed == 0 or r.failed == r.claimed:
                    break
            if as_json:
                typer.echo(json.dumps({**total.as_dict(), "counts": svc.outbox_counts(a)}, ensure_ascii=False))
            else:
                console().print(tr("send.nothing") if total.claimed == 0 else tr("send.summary", **{
                    k: getattr(total, k) for k in ("claimed", "sent", "deferred", "failed", "dead")}))
                if total.failed:
                    console().print(tr("send.server_down"))
            if once:
                return
            time.sleep(interval)
    finally:
        mailer.close()


def _attacher(a: Any) -> Callable[[Any], tuple[Attachment, ...]]:
    from ...services import letters

    return lambda row: letters.attachments_for(a, row)


@app.command("outbox")
def outbox_cmd(
    status: str = typer.Option(None, "--status", help="queued|sent|failed|dead"),
    customer: str = typer.Option(None, "--customer"),
    limit: int = typer.Option(100, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """发件箱：排队、已发送、失败、死信 / the outbox: queued, sent, failed and dead messages."""
    rows = svc.list_messages(state.app(), status, customer, limit)
    if as_json:
        typer.echo(json.dumps([{
            "id": r.id, "customer": r.customer_code, "action_id": r.action_id, "channel": r.channel,
            "to": r.to_address, "to_name": r.to_name, "subject": r.subject, "status": r.status,
            "attempts": r.attempts, "next_attempt_at": r.next_attempt_at.isoformat() + "Z",
            "sent_at": r.sent_at.isoformat() + "Z" if r.sent_at else None, "message_id": r.message_id,
            "template_version": r.template_version, "stage": r.stage, "guard_rule": r.guard_rule,
            "error_code": r.error_code, "error": r.error,
        } for r in rows], ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("outbox.title", count=len(rows)))
    for col in ("col.id", "col.customer", "col.channel", "outbox.col.to", "outbox.col.subject", "outbox.col.status",
                "outbox.col.next", "outbox.col.error"):
        t.add_column(tr(col), overflow="fold")
    for r in rows:
        t.add_row(str(r.id), r.customer_code, tr(f"channel.{r.channel}"), r.to_address,
                  (r.subject if r.channel == "email" else r.body_text) or "", tr(f"outbox.status.{r.status}"),
                  r.next_attempt_at.strftime("%Y-%m-%d %H:%M") + " UTC" if r.status in ("queued", "failed") else "",
                  svc.problem_text(r.error, r.error_code, state.lang, state.app().settings.timezone))
    console().print(t)


@guard_app.command("check")
def guard_check_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    channel: str = typer.Option(..., "--channel", help="email|sms|phone"),
    at: str = typer.Option(None, "--at", help="时刻，如 2026-11-27T22:30+08:00（默认现在）/ moment (default now)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """现在可以联系吗？与发送器和待办使用同一合规函数 / may I contact them now? (the sender's own guard)"""
    a = state.app()
    moment = _moment(at, "--at") or a.clock.now()
    v = svc.guard_check(a, customer, channel, moment)
    if as_json:
        typer.echo(json.dumps({k: v[k] for k in ("allowed", "rule", "reason", "next_allowed_at")}, ensure_ascii=False))
        return
    head = tr("guard.title", customer=customer, channel=tr(f"channel.{channel}"), at=moment.isoformat(timespec="minutes"))
    verdict = tr("guard.yes") if v["allowed"] else tr("guard.no", rule=v["rule"])
    console().print(f"{head}: {verdict}\n{v['reason']}")


@letter_app.command("pdf")
def letter_pdf_cmd(
    action_id: int = typer.Argument(..., help="已批准的函件动作编号 / the approved letter action's id"),
    out: Path = typer.Option(..., "--out", help="PDF 文件 / PDF file"),
) -> None:
    """生成已批准函件的 PDF / write the PDF of an approved letter."""
    from ...services import letters

    data = letters.letter_pdf(state.app(), action_id)
    out.write_bytes(data)
    console().print(tr("letter.written", path=str(out), size=len(data)))


@letter_app.command("posted")
def letter_posted_cmd(
    action_id: int = typer.Argument(...),
    ems: str = typer.Option(None, "--ems", help="EMS 单号 / EMS tracking number"),
    hand: bool = typer.Option(False, "--hand", help="当面送达 / delivered by hand"),
    on: str = typer.Option(None, "--on"),
) -> None:
    """记录函件已邮寄（EMS 单号）或当面送达 / record a letter as posted (EMS number) or hand-delivered."""
    from ...services import letters
    from .common import parse_day

    letters.mark_posted(state.app(), action_id, ems=ems, hand=hand, on=parse_day(on, "--on"))
    console().print(tr("letter.posted", id=action_id))


@template_app.command("preview")
def template_preview_cmd(
    stage: str = typer.Argument(...),
    channel: str = typer.Option("email", "--channel", help="email|sms"),
    lang: str = typer.Option("zh", "--lang-of", help="zh|en"),
    customer: str = typer.Option(..., "--customer", help="用真实客户数据预览 / preview with this customer's data"),
    source: Path = typer.Option(None, "--file", help="新模板文件（不指定则预览当前版本）/ a new version to try"),
    save: bool = typer.Option(False, "--save", help="预览通过后保存为新版本 / save as a new version if it renders"),
) -> None:
    """用真实客户数据预览模板，并可保存为新版本 / preview a template with a real customer, save a new version."""
    from ...services import templates

    text = source.read_text(encoding="utf-8") if source else None
    p = templates.preview(state.app(), stage, channel, lang, customer, text)
    if p.get("subject"):
        console().print(Text(p["subject"], style="bold"))
        console().print()
    console().print(Text(p["text"]))
    if save:
        if text is None:
            raise InvalidInput("template.nothing_to_save")
        v = templates.save_version(state.app(), stage, channel, lang, text, customer)
        console().print(tr("template.saved", stage=stage, channel=channel, lang=lang, version=v))


@statement_app.command("pdf")
def statement_pdf_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="输出文件 / output file"),
    xlsx: bool = typer.Option(False, "--xlsx", help="输出 Excel 而不是 PDF / write XLSX instead of PDF"),
) -> None:
    """对账单 PDF（或 --xlsx）：期初余额、本月发票、收款、红字发票、期末余额 / a statement as PDF or XLSX."""
    from ...services import statements

    a = state.app()
    data = statements.statement_xlsx(a, customer, month) if xlsx else statements.statement_pdf(a, customer, month)
    out.write_bytes(data)
    console().print(tr("statement.written", path=str(out)))


@statement_app.command("link")
def statement_link_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
) -> None:
    """对账单确认链接（签名、有效期 30 天）/ the statement's signed confirmation link (valid 30 days)."""
    from ...services import statements

    typer.echo(statements.confirmation_link(state.app(), customer, month))
