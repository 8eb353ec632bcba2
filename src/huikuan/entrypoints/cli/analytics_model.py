"""The payment model's commands: ``model train``, ``model evaluate``, ``predict`` and ``forecast``; on a
cardholder book (``import cardholders``) the same train, evaluate and predict give the consumer default
score (services/consumer.py)."""

from __future__ import annotations

import json
import math
from datetime import date
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from ...domain.errors import InvalidInput
from ...domain.money import format_minor
from ...services import consumer as consumer_svc
from ...services import prediction as svc
from .common import (
    compact_table,
    console,
    console_err,
    money_text,
    parse_day,
    short_cell,
    state,
    terminal_safe,
    tr,
)
from .imports import import_app
from .main import app

model_app = typer.Typer(help="回款预测模型 / the payment model", no_args_is_help=True)
app.add_typer(model_app, name="model")
KINDS = ("auto", "payment", "consumer")
_KIND = typer.Option("auto", "--kind", help="auto|payment|consumer：发票账簿或持卡人账簿（auto：有持卡人且无发票时为 "
                     "consumer）/ invoice book or cardholder book (auto: consumer when the book holds cardholders "
                     "and no invoices)")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput("input.enum", field="--kind", value=kind, allowed=", ".join(KINDS))
    if kind == "auto":
        return "consumer" if consumer_svc.is_cardholder_book(state.app()) else "payment"
    return kind


@import_app.command("cardholders")
def import_cardholders_cmd(
    file: Path = typer.Argument(..., help="持卡人文件（CSV，UCI 列名）/ cardholder file (CSV, UCI column names)"),
    currency: str = typer.Option("TWD", "--currency", help="金额币种 / currency of the amounts"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """导入持卡人账簿（额度、6 个月还款状态、账单、还款；不存性别、学历、婚姻、年龄）/ import a cardholder book
    (limit, six months of status, bills, payments; sex, education, marriage and age are never stored)."""
    r = consumer_svc.import_cardholders(state.app(), file, currency)
    if as_json:
        typer.echo(json.dumps({"rows": r.rows, "inserted": r.inserted, "replaced": r.replaced,
                               "labelled": r.labelled, "dropped_protected": r.dropped_protected}, ensure_ascii=False))
        return
    console().print(tr("consumer.imported", rows=r.rows, inserted=r.inserted, replaced=r.replaced, labelled=r.labelled))
    if r.dropped_protected:
        console().print(tr("consumer.dropped", columns=", ".join(r.dropped_protected)))


def _notices(notices: list[tuple[str, dict[str, Any]]]) -> None:
    for key, params in notices:
        console_err().print(tr(key, **params))


def why_text(feature: str, value: float, contribution: float) -> str:
    return svc.reason_text((feature, value, contribution), state.lang)


@model_app.command("train")
def train_cmd(as_of: str = typer.Option(None, "--as-of", help="只用此日之前结清的发票（默认今天）/ train on what was "
                                                              "settled before this day (default today)"),
              kind: str = _KIND) -> None:
    """训练回款模型并存入数据库（带版本）/ train the payment model and store it, versioned."""
    if _kind(kind) == "consumer":
        c = consumer_svc.train_consumer(state.app())
        console().print(tr("consumer.trained", version=c.version, method=tr(f"model.method.{c.method}"),
                           labelled=c.labelled, defaulted=c.defaulted, cardholders=c.cardholders))
        return
    r = svc.train_model(state.app(), parse_day(as_of, "--as-of"))
    _notices(r.notices)
    console().print(tr("model.trained", version=r.version, method=tr(f"model.method.{r.method}"),
                       as_of=r.as_of.isoformat(), samples=r.samples, settled=r.settled, customers=r.customers))


@model_app.command("evaluate")
def evaluate_cmd(
    train_before: str = typer.Option(None, "--train-before", help="只训练一次：此日之前；之后每周评估 / one model "
                                     "trained before this day, scored weekly after it"),
    folds: int = typer.Option(6, "--folds", help="逐月滚动评估的月数 / monthly walk-forward folds"),
    as_json: bool = typer.Option(False, "--json"),
    kind: str = _KIND,
) -> None:
    """在本公司的历史上做滚动（walk-forward）评估，并与客户历史规则比较 / walk-forward evaluation beside the rule."""
    if _kind(kind) == "consumer":
        ce = consumer_svc.evaluate_consumer(state.app())
        auc = None if ce.auc is None else round(ce.auc, 4)
        if as_json:
            typer.echo(json.dumps({"kind": "consumer", "trained": ce.trained, "held_out": ce.held_out, "auc": auc,
                                   "default_rate": round(ce.default_rate, 4)}))
        else:
            console().print(tr("consumer.evaluated", trained=ce.trained, held_out=ce.held_out,
                               auc="-" if auc is None else f"{auc:.3f}"))
        return
    ev = svc.evaluate(state.app(), parse_day(train_before, "--train-before"), folds=folds)
    unique: list[tuple[str, dict[str, Any]]] = []
    for n in ev.notices:
        if n not in unique:
            unique.append(n)
    _notices(unique)

    def scores(s: svc.Scores) -> dict[str, Any]:
        return {"n": s.n, "auc": None if s.auc is None else round(s.auc, 4),
                "mae_days": None if s.mae_days is None else round(s.mae_days, 2),
                "capture_top20": None if s.capture_top20 is None else round(s.capture_top20, 4)}

    if as_json:
        typer.echo(json.dumps({
            "method": ev.method, "scored_at": sorted({a.isoformat() for _t, a in ev.folds}),
            "trained_before": sorted({t.isoformat() for t, _a in ev.folds}),
            "model": {**scores(ev.model), "wape_pct": None if ev.wape_pct is None else round(ev.wape_pct, 1)},
            "history_rule": {**scores(ev.rule),
                             "wape_pct": None if ev.rule_wape_pct is None else round(ev.rule_wape_pct, 1)},
        }, ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("model.eval_title", folds=len({x for x, _ in ev.folds}), points=len(ev.folds)))
    for h in ("model.eval_method", "model.eval_n", "model.eval_auc", "model.eval_mae", "model.eval_capture",
              "model.eval_wape"):
        t.add_column(tr(h), justify="right")

    def fmt(v: float | None, digits: int) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    for name, s, w in ((tr(f"model.method.{ev.method}"), ev.model, ev.wape_pct),
                       (tr("model.method.history_rule"), ev.rule, ev.rule_wape_pct)):
        t.add_row(name, str(s.n), fmt(s.auc, 3), fmt(s.mae_days, 2),
                  fmt(None if s.capture_top20 is None else s.capture_top20 * 100, 1), fmt(w, 1))
    console().print(t)
    console().print(tr("model.eval_note"))


def prediction_json(ps: svc.PredictionSet) -> dict[str, Any]:
    lang = state.lang  # once: at 10⁶ invoices the reasons number ~440,000, each asked the settings before
    reason = svc.reason_text
    return {
        "as_of": ps.as_of.isoformat(), "method": ps.method, "model_version": ps.model_version,
        "notices": [tr(k, **p) for k, p in ps.notices],
        "predictions": [
            {"invoice": p.invoice, "p_late": round(p.p_late, 4), "expected_pay_date": p.expected_pay_date.isoformat(),
             "customer": p.customer, "why": [reason(w, lang) for w in p.why],
             "open": format_minor(p.open_minor, p.currency or "CNY"), "currency": p.currency,
             "due_date": p.due_on.isoformat()}
            for p in ps.predictions],
    }


_SENTINEL = "\x00predictions\x00"


def _flat(v: Any, pad: str) -> str | None:
    """One value of a prediction as ``json.dumps(indent=2)`` writes it at this depth; None: not a plain one."""
    if isinstance(v, str):
        return encode_basestring(v)
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, int | float):
        return json.dumps(v)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        if not v:
            return "[]"
        inner = pad + "  "
        return "[\n" + ",\n".join(inner + encode_basestring(x) for x in v) + "\n" + pad + "]"
    return None


def dumps_indented(doc: dict[str, Any]) -> str:
    """``json.dumps(doc, ensure_ascii=False, indent=2)``, the same text, written faster: the standard
    library's indenting encoder is pure Python and took longer than the predictions themselves at 10⁵ open
    invoices. Each prediction (strings, numbers, lists of strings) is written here; anything else goes
    through ``json.dumps``. tests/e2e/test_cli_predict.py compares the two texts."""
    items = doc.get("predictions")
    if not isinstance(items, list) or not items:
        return json.dumps(doc, ensure_ascii=False, indent=2)
    parts: list[str] = []
    for item in items:
        values = [_flat(v, "      ") for v in item.values()] if isinstance(item, dict) and item else [None]
        if any(v is None for v in values) or not all(isinstance(k, str) for k in item):
            parts.append("    " + json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n    "))
        else:
            parts.append("    {\n" + ",\n".join(f"      {encode_basestring(k)}: {v}"
                                                 for k, v in zip(item, values, strict=True)) + "\n    }")
    head = json.dumps({**doc, "predictions": [_SENTINEL]}, ensure_ascii=False, indent=2)
    return head.replace("    " + encode_basestring(_SENTINEL), ",\n".join(parts), 1)


def predictions_text(ps: svc.PredictionSet) -> str:
    """``dumps_indented(prediction_json(ps))``, the same text, written straight from the predictions: at 10⁶
    invoices (146,663 open) building the dicts and encoding each value cost more than predicting them.
    Reasons, days and customer codes repeat: each distinct one is rendered and encoded once.
    tests/e2e/test_cli_predict.py compares the text with ``json.dumps(indent=2)``."""
    if not ps.predictions:
        return dumps_indented(prediction_json(ps))
    lang = state.lang
    enc = encode_basestring
    reasons: dict[tuple[str, float, bool, bool, bool], str] = {}
    days: dict[date, str] = {}
    codes: dict[str, str] = {}

    def reason(w: tuple[str, float, float]) -> str:
        # the text shows the value and the contribution's sign only (and -0.0 prints as "-0")
        key = (w[0], w[1], w[2] > 0, w[2] < 0, math.copysign(1.0, w[1]) < 0)
        got = reasons.get(key)
        if got is None:
            got = reasons[key] = "        " + enc(svc.reason_text(w, lang))
        return got

    def day(d: date) -> str:
        got = days.get(d)
        if got is None:
            got = days[d] = '"' + d.isoformat() + '"'
        return got

    def code(c: str) -> str:
        got = codes.get(c)
        if got is None:
            got = codes[c] = enc(c)
        return got

    parts = []
    for p in ps.predictions:
        why = ("[\n" + ",\n".join([reason(w) for w in p.why]) + "\n      ]") if p.why else "[]"
        parts.append(f'    {{\n      "invoice": {enc(p.invoice)},\n      "p_late": {round(p.p_late, 4)!r},\n'
                     f'      "expected_pay_date": {day(p.expected_pay_date)},\n      "customer": {code(p.customer)},\n'
                     f'      "why": {why},\n      "open": {enc(format_minor(p.open_minor, p.currency or "CNY"))},\n'
                     f'      "currency": {code(p.currency)},\n      "due_date": {day(p.due_on)}\n    }}')
    doc = prediction_json(svc.PredictionSet(ps.as_of, ps.method, ps.model_version, ps.notices))
    head = json.dumps({**doc, "predictions": [_SENTINEL]}, ensure_ascii=False, indent=2)
    return head.replace("    " + encode_basestring(_SENTINEL), ",\n".join(parts), 1)


@app.command("predict")
def predict_cmd(
    as_of: str = typer.Option(None, "--as-of", help="预测日（默认今天）/ as-of date (default today)"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    limit: int = typer.Option(40, "--limit", help="表格最多显示行数 / rows shown in the table"),
    kind: str = _KIND,
    wide: bool = typer.Option(False, "--wide", help="显示完整原因 / show the whole reasons"),
) -> None:
    """预测每张未结发票是否逾期、何时回款 / late risk and expected pay date of every open invoice."""
    if _kind(kind) == "consumer":
        _predict_consumer(as_json, limit)
        return
    ps = svc.predict(state.app(), parse_day(as_of, "--as-of"))
    if as_json:
        typer.echo(predictions_text(ps))
        return
    _notices(ps.notices)
    title = tr("predict.title", as_of=ps.as_of.isoformat(), method=tr(f"model.method.{ps.method}"))
    ranked = sorted(ps.predictions, key=lambda p: -p.open_minor * p.p_late * max(1.0, p.expected_late_days))
    con = console()
    if wide:
        con.print(title, style="bold")
        for p in ranked[:limit]:
            # each invoice as a small block, the reasons whole: any terminal width reads it
            con.print(Text.assemble((p.invoice, "bold"), " ", terminal_safe(p.customer)))
            con.print("  " + " · ".join((money_text(p.open_minor, p.currency or "CNY"),
                                         tr("predict.due_on", day=p.due_on.isoformat()), f"{p.p_late:.0%}",
                                         tr("predict.expected_on", day=p.expected_pay_date.isoformat()))))
            if p.why:
                con.print("  " + "；".join(why_text(*w) for w in p.why), style="dim")
    else:
        # one line per invoice in 80 columns: the money and dates never cut, the reasons shortened (--wide: whole)
        t = compact_table(title, tr("predict.legend"))
        for i, h in enumerate(("predict.invoice", "predict.customer", "predict.open", "predict.due", "predict.p_late",
                               "predict.expected", "predict.why")):
            t.add_column(tr(h), justify="right" if i in (2, 4) else "left", no_wrap=i < 6, min_width=8 if i == 6 else None)
        for p in ranked[:limit]:
            t.add_row(short_cell(p.invoice), short_cell(p.customer), money_text(p.open_minor, p.currency or "CNY"),
                      p.due_on.isoformat(), f"{p.p_late:.0%}", p.expected_pay_date.isoformat(),
                      short_cell("；".join(why_text(*w) for w in p.why)))
        con.print(t)
    if len(ranked) > limit:
        con.print(tr("predict.more", count=len(ranked) - limit))


def _predict_consumer(as_json: bool, limit: int) -> None:
    """One score per cardholder: the invoice keys that do not apply (invoice, expected_pay_date, open,
    due_date) are left out; ``p_late`` is the probability of default next month (docs/model.md)."""
    cs = consumer_svc.predict_consumer(state.app())
    if as_json:
        typer.echo(json.dumps({
            "as_of": cs.as_of.isoformat(), "kind": "consumer", "method": cs.method, "model_version": cs.model_version,
            "notices": [], "predictions": [
                {"customer": x.cardholder, "p_late": round(x.p_default, 4), "why": [why_text(*w) for w in x.why]}
                for x in cs.scores]}, ensure_ascii=False, indent=2))
        return
    t = Table(title=tr("consumer.predict_title", as_of=cs.as_of.isoformat(), method=tr(f"model.method.{cs.method}")))
    for h in ("consumer.cardholder", "consumer.p_default", "predict.why"):
        t.add_column(tr(h))
    ranked = sorted(cs.scores, key=lambda x: -x.p_default)
    for x in ranked[:limit]:
        t.add_row(x.cardholder, f"{x.p_default:.0%}", "；".join(why_text(*w) for w in x.why))
    console().print(t)
    if len(ranked) > limit:
        console().print(tr("predict.more", count=len(ranked) - limit))


@app.command("forecast")
def forecast_cmd(
    weeks: int = typer.Option(13, "--weeks", help="周数 / number of weeks"),
    fmt: str = typer.Option("table", "--format", help="table|json|xlsx"),
    output: Path = typer.Option(None, "--output", "-o", help="输出文件（xlsx 必填）/ output file (required for xlsx)"),
    as_of: str = typer.Option(None, "--as-of", help="预测日（默认今天）/ as-of date (default today)"),
) -> None:
    """按 ISO 周预测回款（含区间），并对比已过去各周的预测与实际 / weekly cash forecast with intervals."""
    if fmt not in ("table", "json", "xlsx"):
        raise InvalidInput("input.enum", field="--format", value=fmt, allowed="table, json, xlsx")
    if fmt == "xlsx" and output is None:
        raise InvalidInput("aging.xlsx_needs_output")
    f = svc.forecast(state.app(), weeks, parse_day(as_of, "--as-of"))
    cur = f.currency or "CNY"
    if fmt == "json":
        typer.echo(json.dumps({
            "as_of": f.as_of.isoformat(), "currency": cur, "method": f.method,
            "open": format_minor(f.open_minor, cur), "later": format_minor(f.later_minor, cur),
            "weeks": [{"week": w.week, "start": w.start.isoformat(), "expected": format_minor(w.expected_minor, cur),
                       "low": format_minor(w.low_minor, cur), "high": format_minor(w.high_minor, cur)} for w in f.weeks],
            "past": [{"week": w, "start": s.isoformat(), "forecast": format_minor(e, cur), "actual": format_minor(a, cur)}
                     for w, s, e, a in f.past],
            "wape_pct": None if f.wape_pct is None else round(f.wape_pct, 1),
            "notices": [tr(k, **p) for k, p in f.notices],
        }, ensure_ascii=False, indent=2))
        return
    head = [tr("forecast.week"), tr("forecast.start"), tr("forecast.expected"), tr("forecast.low"), tr("forecast.high")]
    if fmt == "xlsx":
        from decimal import Decimal

        from openpyxl import Workbook
        from openpyxl.worksheet.worksheet import Worksheet

        wb = Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)  # a new workbook's one sheet
        ws.title = tr("forecast.sheet")
        ws.append([tr("forecast.title", as_of=f.as_of.isoformat(), currency=cur)])
        ws.append(head)
        for w in f.weeks:
            ws.append([w.week, w.start, *[Decimal(format_minor(x, cur)) for x in (w.expected_minor, w.low_minor,
                                                                                  w.high_minor)]])
        ws.append([tr("forecast.later"), None, Decimal(format_minor(f.later_minor, cur))])
        ws.append([tr("forecast.open"), None, Decimal(format_minor(f.open_minor, cur))])
        if f.past:
            past = wb.create_sheet(tr("forecast.past_sheet"))
            past.append([tr("forecast.week"), tr("forecast.start"), tr("forecast.expected"), tr("forecast.actual")])
            for wk, s, e, a in f.past:
                past.append([wk, s, Decimal(format_minor(e, cur)), Decimal(format_minor(a, cur))])
        wb.save(output)
        console().print(tr("aging.written", path=str(output), rows=len(f.weeks)))
        return
    _notices(f.notices)
    t = Table(title=tr("forecast.title", as_of=f.as_of.isoformat(), currency=cur))
    for i, h in enumerate(head):  # money is never cut short: the week and start columns give way first
        t.add_column(h, justify="right" if i >= 2 else "left", no_wrap=i >= 2)
    for w in f.weeks:
        t.add_row(w.week, w.start.isoformat(), money_text(w.expected_minor, cur), money_text(w.low_minor, cur),
                  money_text(w.high_minor, cur))
    t.add_row(tr("forecast.later"), "", money_text(f.later_minor, cur), "", "")
    t.add_row(Text(tr("forecast.open"), style="bold"), "", money_text(f.open_minor, cur), "", "")
    console().print(t)
    if f.past:
        pt = Table(title=tr("forecast.past_title"))
        for h in ("forecast.week", "forecast.expected", "forecast.actual"):
            pt.add_column(tr(h), justify="right", no_wrap=True)
        for wk, _s, e, a in f.past[-13:]:
            pt.add_row(wk, money_text(e, cur), money_text(a, cur))
        console().print(pt)
        console().print(tr("forecast.wape", wape="-" if f.wape_pct is None else f"{f.wape_pct:.1f}"))
