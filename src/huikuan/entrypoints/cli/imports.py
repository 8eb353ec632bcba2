"""Import and ledger-entry commands.

``huikuan import customers|contacts|invoices|payments|credit-notes FILE [--skip-invalid] [--rejects P] [--json]``,
``huikuan import invoices|payments FILE --profile NAME``, ``import ledger FILE [--profile NAME]``,
``import detect FILE`` and ``import profile new --from FILE`` (layout profiles, docs/imports.md)
and the single-entry commands ``pay``, ``write-off``, ``dispute`` and ``dispute-resolve``. Each parses
its arguments, calls one service inside a unit of work and renders the result; a rejected import
propagates ``ImportRejected`` to ``main`` which prints every problem and exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer
from rich.table import Table

from ...domain.errors import ImportRejected, InvalidInput
from ...domain.parsing import parse_dispute_category, parse_payment_method, parse_positive_amount
from ...services import import_profiles as profiles
from ...services import ledger
from ...services.import_ import ImportReport, import_file, refused_dict
from .common import RichProgress, console, guard_output, money_text, parse_day, print_problems, state, tr
from .main import app

import_app = typer.Typer(help="导入客户、联系人、发票、收款、红字发票 / import ledger data from CSV or XLSX",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")

_FILE = typer.Argument(..., exists=False, help="CSV（UTF-8 或 GB18030）或 XLSX 文件 / CSV or XLSX file")
_SKIP = typer.Option(False, "--skip-invalid", help="导入有效行，无效行另存 / import the good rows, save the rest")
_REJECTS = typer.Option(None, "--rejects", help="无效行保存位置 / where to save rejected rows")
_JSON = typer.Option(False, "--json", help="输出 JSON / print JSON")
_FORCE = typer.Option(False, "--force", help="覆盖已有的无效行文件 / overwrite an existing rejects file")
_PROFILE = typer.Option(None, "--profile", help="按版式配置读取，如 kingdee-k3-ar-detail（见 import detect）"
                        " / read the file through a layout profile")


def _run_import(kind: str, file: Path, skip_invalid: bool, rejects: Path | None, as_json: bool,
                force: bool = False, profile: str | None = None) -> None:
    a = state.app()
    if skip_invalid:
        # Checked before anything is imported: a refused rejects file must not leave a half-done import.
        rejects = rejects or file.with_name(file.name + ".rejects.csv")
        guard_output(rejects, force, inputs=(file,))
    try:
        if kind in ("invoices", "payments", "ledger"):
            result = profiles.import_auto(a, kind, file, profile=profile, skip_invalid=skip_invalid,
                                          rejects_path=rejects, progress=RichProgress(not as_json), by=state.by())
            if isinstance(result, profiles.ProfileReport):
                _show_profile_report(result, as_json)
                return
            report = result
        else:
            report = import_file(a, kind, file, skip_invalid=skip_invalid, rejects_path=rejects,
                                 progress=RichProgress(not as_json), by=state.by())
    except ImportRejected as e:
        if as_json:  # the JSON report on stdout even for a refused file; the problems go to stderr too
            typer.echo(json.dumps(refused_dict(kind, file.name, e.problems, state.lang), ensure_ascii=False,
                                  indent=2))
        raise
    if as_json:
        typer.echo(json.dumps(report.as_dict(state.lang), ensure_ascii=False, indent=2))
    else:
        _render(report)
    if report.rejected:
        state.exit_code = 1


def _show_profile_report(report: profiles.ProfileReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_dict(state.lang), ensure_ascii=False, indent=2))
    else:
        con = console()
        con.print(tr("import.profile.used", profile=report.profile, fit=round(report.fit * 100)))
        table = Table(title=tr("import.summary.title", kind=tr("import.kind.ledger"), source=report.source))
        table.add_column(tr("import.col.what"))
        parts = [(k, getattr(report, k)) for k in ("customers", "invoices", "payments") if getattr(report, k)]
        for k, _r in parts:
            table.add_column(tr(f"import.kind.{k}"), justify="right")
        for key in ("rows", "inserted", "updated", "unchanged", "rejected"):
            table.add_row(tr(f"import.count.{key}"), *(str(getattr(r, key)) for _k, r in parts))
        con.print(table)
        if report.opening_balances:
            con.print(tr("import.profile.opening", count=report.opening_balances))
        for what, count in report.skipped.items():
            con.print(tr("import.skipped.line", what=tr(f"import.skipped.{what}"), count=count))
        pay = report.payments
        if pay is not None and pay.unapplied_minor:
            con.print(tr("import.unapplied", amount=money_text(pay.unapplied_minor)))
        inv = report.invoices
        if inv is not None and inv.applied_credit_minor:
            con.print(tr("import.applied_credit", amount=money_text(inv.applied_credit_minor)))
    if report.rejected:
        state.exit_code = 1


def _render(report: ImportReport) -> None:
    con = console()
    table = Table(title=tr("import.summary.title", kind=tr(f"import.kind.{report.kind}"), source=report.source))
    table.add_column(tr("import.col.what"))
    table.add_column(tr("import.col.count"), justify="right")
    for key in ("rows", "inserted", "updated", "unchanged", "rejected"):
        table.add_row(tr(f"import.count.{key}"), str(getattr(report, key)))
    for what, count in report.skipped.items():
        table.add_row(tr("import.count.skipped") + " · " + tr(f"import.skipped.{what}"), str(count))
    con.print(table)
    if report.applied_credit_minor:
        con.print(tr("import.applied_credit", amount=money_text(report.applied_credit_minor)))
    if report.unapplied_minor:
        con.print(tr("import.unapplied", amount=money_text(report.unapplied_minor)))
    for w in report.warnings:
        con.print(tr(w.code, **w.params), style="yellow")
    if report.problems:
        print_problems(report.problems, state.lang)
    if report.rejects_path:
        con.print(tr("import.rejects.written", count=report.rejected, path=report.rejects_path))


def _file_import(kind: str, doc: str, *, with_profile: bool = False) -> None:
    """Register ``import KIND FILE [--skip-invalid] [--rejects P] [--json] [--force]`` (and ``--profile``
    for the kinds a layout profile can read): every file import takes the same options."""
    def plain(file: Path = _FILE, skip_invalid: bool = _SKIP, rejects: Path = _REJECTS, as_json: bool = _JSON,
              force: bool = _FORCE) -> None:
        _run_import(kind, file, skip_invalid, rejects, as_json, force)

    def profiled(file: Path = _FILE, skip_invalid: bool = _SKIP, rejects: Path = _REJECTS, as_json: bool = _JSON,
                 force: bool = _FORCE, profile: str = _PROFILE) -> None:
        _run_import(kind, file, skip_invalid, rejects, as_json, force, profile)

    command: Callable[..., None] = profiled if with_profile else plain
    command.__doc__ = doc
    command.__name__ = command.__qualname__ = "import_" + kind.replace("-", "_")
    import_app.command(kind)(command)


# In this order in `huikuan import --help`, around ledger, detect and profile below.
_file_import("customers", "导入客户 / import customers.")
_file_import("contacts", "导入联系人 / import contacts.")
_file_import("invoices", "导入应收发票 / import invoices.", with_profile=True)
_file_import("payments", "导入收款（回款）/ import payments.", with_profile=True)


@import_app.command("ledger")
def import_ledger(file: Path = _FILE, profile: str = _PROFILE, skip_invalid: bool = _SKIP,
                  as_json: bool = _JSON) -> None:
    """导入往来明细账（借方为发票，贷方为收款）/ import a ledger export: debits as invoices, credits as payments."""
    a = state.app()
    try:
        if profile is None:
            det = profiles.detect(a, file, preview_rows=0)
            if det.chosen is None:
                raise ImportRejected([profiles.none_fits(file.name, det.columns, det.candidates)])
            report = profiles.import_with_profile(a, file, "ledger", det.chosen.profile, skip_invalid=skip_invalid,
                                                  progress=RichProgress(not as_json), fit_value=det.chosen.fit,
                                                  by=state.by())
        else:
            report = profiles.import_with_profile(a, file, "ledger", profile, skip_invalid=skip_invalid,
                                                  progress=RichProgress(not as_json), by=state.by())
    except ImportRejected as e:
        if as_json:
            typer.echo(json.dumps(refused_dict("ledger", file.name, e.problems, state.lang), ensure_ascii=False,
                                  indent=2))
        raise
    _show_profile_report(report, as_json)


@import_app.command("detect")
def import_detect(file: Path = _FILE, as_json: bool = _JSON,
                  rows: int = typer.Option(5, "--rows", help="预览行数 / rows to preview")) -> None:
    """识别文件版式：按匹配度排列版式配置，显示映射和前几行 / rank the layout profiles and preview the file."""
    det = profiles.detect(state.app(), file, preview_rows=rows)
    if as_json:
        typer.echo(json.dumps(det.as_dict(state.lang), ensure_ascii=False, indent=2))
        return
    con = console()
    ranking = Table(title=tr("import.detect.title", source=det.source))
    for col in ("import.detect.profile", "import.detect.name", "import.detect.fit", "import.detect.missing"):
        ranking.add_column(tr(col))
    for c in det.candidates[:3]:
        s = c.summary(state.lang)
        missing = [c.profile.header_of(f) for f in c.located.missing]
        shown = ", ".join(missing[:4]) + (" …" if len(missing) > 4 else "")
        ranking.add_row(s["profile"], s["title"], f"{round(c.fit * 100)} %", shown or "-")
    con.print(ranking)
    if det.chosen is None:
        con.print(tr("import.detect.none", threshold=round(profiles.THRESHOLD * 100),
                     columns=", ".join(det.columns) or "-"))
        state.exit_code = 1
        return
    d = det.as_dict(state.lang)
    con.print(tr("import.detect.chosen", profile=det.chosen.profile.name, fit=round(det.chosen.fit * 100)))
    mapping = Table(title=tr("import.detect.mapping"))
    mapping.add_column(tr("import.detect.field"))
    mapping.add_column(tr("import.detect.header"))
    for f, h in d["mapping"].items():
        mapping.add_row(f, h)
    for f, v in d["titles"].items():
        mapping.add_row(f, tr("import.detect.from_title", value=v))
    con.print(mapping)
    if det.preview:
        preview = Table(title=tr("import.detect.preview"))
        for col in ("row", "as", "number", "customer", "date", "amount", "currency"):
            preview.add_column(tr(f"import.detect.col.{col}"))
        for r in det.preview:
            inv = r["as"] == "invoice"
            preview.add_row(str(r["row"]), tr("import.kind.invoices" if inv else "import.kind.payments"),
                            r.get("invoice_no" if inv else "payment_no", ""), r.get("customer_code", ""),
                            r.get("invoice_date" if inv else "payment_date", ""), r.get("amount", ""),
                            r.get("currency", ""))
        con.print(preview)


profile_app = typer.Typer(help="版式配置 / layout profiles", no_args_is_help=True)
import_app.add_typer(profile_app, name="profile")


@profile_app.command("new")
def profile_new(
    source: Path = typer.Option(..., "--from", help="按此文件的表头起草 / draft from this file's header"),
    out: Path = typer.Option(None, "--output", "-o", help="写到此文件（默认 <文件名>.profile.toml）/ where to write"),
) -> None:
    """按文件起草一份版式配置 / write a starting layout profile for a file no profile fits."""
    text, unplaced = profiles.draft_profile(state.app(), source)
    target = out or source.with_name(source.stem + ".profile.toml")
    if target.exists():
        raise InvalidInput("import.profile.exists", path=str(target))
    target.write_text(text, encoding="utf-8")
    console().print(tr("import.profile.written", path=str(target), unplaced=len(unplaced)))


_file_import("credit-notes", "导入红字发票 / import credit notes.")
_file_import("orders", "导入未交货的销售订单（计入占用额度）/ import open sales orders (they count in credit exposure).")
_file_import("deliveries", "导入送货单（签收人、签收日期、对应发票）/ import delivery notes (送货单).")


@app.command("pay")
def pay_cmd(
    customer: str = typer.Argument(..., help="客户编号 / customer code"),
    amount: str = typer.Option(..., "--amount", help="金额，例如 1234.50 / amount"),
    on: str = typer.Option(..., "--date", help="收款日期 / payment date"),
    invoice: str = typer.Option(None, "--invoice", help="指定核销的发票号 / invoice to settle first"),
    method: str = typer.Option("transfer", "--method", help="转账/现金/承兑汇票/支票 / transfer, cash, ..."),
    number: str = typer.Option(None, "--number", help="收款单号（默认自动）/ payment number"),
    bill_kind: str = typer.Option(None, "--bill-kind", help="承兑汇票：银行承兑 bank / 商业承兑 commercial"),
    bill_matures: str = typer.Option(None, "--bill-matures", help="汇票到期日 / the bill's maturity date"),
) -> None:
    """记录一笔收款并核销 / record a payment and allocate it."""
    a = state.app()
    money = parse_positive_amount(amount, a.settings.currency)
    day = parse_day(on, "--date")
    with a.uow() as uow:
        result = ledger.record_payment(uow, customer, money, day, number=number,
                                       method=parse_payment_method(method), invoice_number=invoice,
                                       bill_kind=bill_kind, bill_matures_on=parse_day(bill_matures, "--bill-matures"),
                                       by=state.by())
        uow.commit()
    con = console()
    con.print(tr("pay.recorded", number=result.number, amount=money.display()))
    for inv, minor in result.lines:
        con.print(tr("pay.line", invoice=inv, amount=money_text(minor, money.currency)))
    if result.unapplied_minor:
        con.print(tr("pay.unapplied", amount=money_text(result.unapplied_minor, money.currency)))


@app.command("write-off")
def write_off_cmd(
    invoice: str = typer.Argument(..., help="发票号 / invoice number"),
    amount: str = typer.Option(..., "--amount", help="核销金额 / amount"),
    reason: str = typer.Option(..., "--reason", help="原因 / reason"),
    on: str = typer.Option(None, "--date", help="核销日期（默认今天）/ date (default today)"),
) -> None:
    """坏账核销 / write off part or all of an invoice."""
    a = state.app()
    money = parse_positive_amount(amount, a.settings.currency)
    day = parse_day(on, "--date") or a.clock.today()
    with a.uow() as uow:
        wid = ledger.write_off(uow, invoice, money, reason, day, by=state.by())
        uow.commit()
    console().print(tr("write_off.recorded", id=wid, invoice=invoice, amount=money.display()))


@app.command("dispute")
def dispute_cmd(
    invoice: str = typer.Argument(..., help="发票号 / invoice number"),
    category: str = typer.Option(..., "--category", help="quality, short_delivery, damaged, documents_missing, "
                                 "rebate_owed, promotion_owed, pricing, other（或中文：质量、少货…）"),
    amount: str = typer.Option(None, "--amount", help="争议金额（默认全部未结金额）/ amount (default all open)"),
    opened_on: str = typer.Option(None, "--opened-on", help="提出日期（默认今天）/ date (default today)"),
    note: str = typer.Option(None, "--note", help="说明 / note"),
) -> None:
    """登记争议：争议金额不催收 / open a dispute; disputed money is not dunned."""
    a = state.app()
    money = parse_positive_amount(amount, a.settings.currency) if amount is not None else None
    day = parse_day(opened_on, "--opened-on") or a.clock.today()
    with a.uow() as uow:
        did = ledger.open_dispute(uow, invoice, money, parse_dispute_category(category), day, note, by=state.by())
        uow.commit()
    console().print(tr("dispute.opened", id=did, invoice=invoice))


@app.command("dispute-resolve")
def dispute_resolve_cmd(
    dispute_id: int = typer.Argument(..., help="争议编号 / dispute id"),
    on: str = typer.Option(None, "--on", help="解决日期（默认今天）/ date (default today)"),
) -> None:
    """关闭争议 / resolve a dispute."""
    a = state.app()
    day = parse_day(on, "--on") or a.clock.today()
    with a.uow() as uow:
        ledger.resolve_dispute(uow, dispute_id, day, by=state.by())
        uow.commit()
    console().print(tr("dispute.resolved_msg", id=dispute_id, on=day.isoformat()))
