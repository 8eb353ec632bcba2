"""Render the monthly review (services/monthly_report.py) as HTML, PDF (WeasyPrint) or Excel, with charts
drawn server-side by matplotlib in a Noto CJK font (Debian's fonts-noto-cjk).

Every text a person reads comes from the catalogs (zh-CN by default). User-supplied text (customer names,
segments) is HTML-escaped. Charts are embedded as SVG data, so the HTML is one self-contained file."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import i18n
from ..domain.aging import bucket_labels
from ..domain.kpi import METRICS
from ..domain.money import format_minor
from ..services.prediction import reason_text
from .kpi_export import group_label

FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


def _font() -> str | None:
    """Register the first Noto CJK font found with matplotlib; its family name (None when none is there)."""
    from matplotlib import font_manager

    for path in FONT_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


def _chart(draw: Any, width: float = 7.0, height: float = 3.2) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = _font()
    with matplotlib.rc_context({"font.family": [family] if family else ["sans-serif"], "axes.unicode_minus": False,
                                "svg.fonttype": "path"}):
        fig, ax = plt.subplots(figsize=(width, height), dpi=100)
        try:
            draw(ax)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="svg")
        finally:
            plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _wan(minor: int) -> float:
    return minor / 100 / 10_000  # 万元


def aging_chart(r: Any, lang: str) -> str:
    labels = bucket_labels(r.buckets, lang)
    this, last = r.totals

    def draw(ax: Any) -> None:
        xs = range(len(labels))
        ax.bar([x - 0.2 for x in xs], [_wan(v) for v in last], width=0.4, label=i18n.t("report.last_month", lang),
               color="#9db4d3")
        ax.bar([x + 0.2 for x in xs], [_wan(v) for v in this], width=0.4, label=i18n.t("report.this_month", lang),
               color="#1f5fa8")
        ax.set_xticks(list(xs), labels)
        ax.set_ylabel(i18n.t("report.unit_wan", lang))
        ax.set_title(i18n.t("report.chart_aging", lang))
        ax.legend()

    return _chart(draw)


def segment_chart(r: Any, lang: str) -> str:
    def draw(ax: Any) -> None:
        names = [group_label("segment", s.segment or "-", lang) for s in r.segments]
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], [s.last_overdue_pct or 0 for s in r.segments], width=0.4,
               label=i18n.t("report.last_month", lang), color="#e0a96d")
        ax.bar([x + 0.2 for x in xs], [s.overdue_pct or 0 for s in r.segments], width=0.4,
               label=i18n.t("report.this_month", lang), color="#c0392b")
        plans = [(x, s.plan_overdue_pct) for x, s in zip(xs, r.segments, strict=True) if s.plan_overdue_pct is not None]
        if plans:
            ax.scatter([x + 0.2 for x, _ in plans], [p for _, p in plans], marker="_", s=600, color="black",
                       label=i18n.t("report.plan", lang), zorder=3)
        ax.set_xticks(list(xs), names)
        ax.set_ylabel("%")
        ax.set_title(i18n.t("report.chart_segments", lang))
        ax.legend()

    return _chart(draw)


CSS = """
@page { size: A4; margin: 16mm 14mm; @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", "Noto Serif CJK SC", sans-serif; font-size: 9.5pt; color: #222; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 12.5pt; border-bottom: 1px solid #1f5fa8; margin-top: 6mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; } th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; }
th { background: #eef3fa; text-align: left; word-break: keep-all; } td.n { text-align: right; white-space: nowrap; }
td.k { white-space: nowrap; } table.wide { font-size: 8pt; } td.why { font-size: 8pt; color: #444; }
.note { color: #666; font-size: 8.5pt; } img { width: 100%; } .page { page-break-before: always; }
.measures td { height: 11mm; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _money(minor: int, cur: str) -> str:
    return f"{Decimal(format_minor(minor, cur)):,.2f}"


def _num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1, *, text_after: int | None = None,
           cls: str = "") -> str:
    """Columns from ``numeric_from`` on are right-aligned figures, except those from ``text_after`` on (a
    reason, a note: left-aligned, smaller); the first column keeps to one line."""
    out = [f'<table class="{cls}"><tr>' if cls else "<table><tr>", *[f"<th>{_e(h)}</th>" for h in head], "</tr>"]

    def cell(i: int, c: str) -> str:
        if text_after is not None and i >= text_after:
            return f'<td class="why">{_e(c)}</td>'
        if i >= numeric_from:
            return f'<td class="n">{_e(c)}</td>'
        return f'<td class="k">{_e(c)}</td>' if i == 0 else f"<td>{_e(c)}</td>"

    for r in rows:
        out.append("<tr>" + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def render_html(r: Any, lang: str = "zh") -> str:
    def t(key: str, **p: Any) -> str:
        return i18n.t(key, lang, **p)

    def seg(key: str) -> str:  # customers with no segment are grouped under "-": say so
        return group_label("segment", key or "-", lang)

    cur = r.currency
    labels = bucket_labels(r.buckets, lang)
    this, last = r.totals
    parts = [f"<!doctype html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<title>{_e(t('report.title', month=r.month))}</title><style>{CSS}</style></head><body>",
             f"<h1>{_e(t('report.title', month=r.month))}</h1>",
             f"<p class=\"note\">{_e(r.company)} · {_e(t('report.currency', currency=cur))}</p>"]
    # 1. aging structure
    parts.append(f"<h2>{_e(t('report.s_aging'))}</h2>")
    parts.append(f'<img src="{aging_chart(r, lang)}" alt="">')
    parts.append(_table([t("report.bucket"), t("report.last_month"), t("report.this_month"), t("report.change")],
                        [[lab, _money(a, cur), _money(b, cur), _money(b - a, cur)]
                         for lab, a, b in zip([*labels], last, this, strict=True)]
                        + [[t("report.total"), _money(sum(last), cur), _money(sum(this), cur),
                            _money(sum(this) - sum(last), cur)]]))
    parts.append(f"<h2>{_e(t('report.s_segments'))}</h2>")
    parts.append(f'<img src="{segment_chart(r, lang)}" alt="">')
    parts.append(_table([t("kpi.by.segment"), *labels, t("report.overdue_pct"), t("report.last_overdue_pct"),
                         t("report.plan_overdue_pct")],
                        [[seg(s.segment), *[_money(v, cur) for v in s.this], _num(s.overdue_pct),
                          _num(s.last_overdue_pct), _num(s.plan_overdue_pct)] for s in r.segments], cls="wide"))
    # 2. KPIs against targets
    parts.append(f"<h2 class=\"page\">{_e(t('report.s_kpis'))}</h2>")
    groups = [r.kpis.company, *r.kpis.groups]
    parts.append(_table([t("kpi.metric"), *[group_label(r.kpis.by, g.key, lang) for g in groups]],
                        [[t(f"kpi.metric.{m}"), *[_num(g.kpis.values[m]) for g in groups]] for m in METRICS]))
    checks = [(group_label(r.kpis.by, g.key, lang), c) for g in groups for c in g.targets]
    if checks:
        parts.append(_table([t("kpi.scope"), t("kpi.metric"), t("kpi.target"), t("kpi.actual"), t("kpi.met")],
                            [[k, t(f"kpi.metric.{c.metric}"), _num(c.target), _num(c.actual),
                              "-" if c.met is None else t("kpi.yes") if c.met else t("kpi.no")] for k, c in checks],
                            numeric_from=2))
    else:
        parts.append(f"<p class=\"note\">{_e(t('report.no_targets'))}</p>")
    # 3. long overdue, disputed, movers
    parts.append(f"<h2>{_e(t('report.s_long_overdue'))}</h2>")
    parts.append(_table([t("predict.customer"), t("kpi.by.segment"), t("report.amount"), t("report.oldest_days")],
                        [[f"{c.code} {c.name}", seg(c.segment), _money(c.amount_minor, cur), str(c.days)]
                         for c in r.long_overdue], numeric_from=2) if r.long_overdue else
                 f"<p class=\"note\">{_e(t('report.none'))}</p>")
    parts.append(f"<h2>{_e(t('report.s_disputed'))}</h2>")
    parts.append(_table([t("predict.customer"), t("kpi.by.segment"), t("report.amount"), t("report.dispute_days")],
                        [[f"{c.code} {c.name}", seg(c.segment), _money(c.amount_minor, cur), str(c.days)]
                         for c in r.disputed], numeric_from=2) if r.disputed else
                 f"<p class=\"note\">{_e(t('report.none'))}</p>")
    parts.append(f"<h2>{_e(t('report.s_movers'))}</h2>")
    movers = [*r.movers_up, *r.movers_down]
    parts.append(_table([t("predict.customer"), t("kpi.by.segment"), t("report.overdue_last"), t("report.overdue_this"),
                         t("report.change")],
                        [[f"{c.code} {c.name}", seg(c.segment), _money(c.before_minor, cur), _money(c.amount_minor, cur),
                          _money(c.amount_minor - c.before_minor, cur)] for c in movers], numeric_from=2)
                 if movers else f"<p class=\"note\">{_e(t('report.none'))}</p>")
    # 4. expected to slip next month
    parts.append(f"<h2 class=\"page\">{_e(t('report.s_slipping'))}</h2>")
    parts.append(f"<p class=\"note\">{_e(t('report.slipping_note', method=t('model.method.' + r.slipping_method)))}</p>")
    for key, params in r.notices:
        parts.append(f"<p class=\"note\">{_e(t(key, **params))}</p>")
    if r.slipping:
        parts.append(_table([t("predict.customer"), t("kpi.by.segment"), t("report.at_risk"), t("predict.p_late"),
                             t("predict.why")],
                            [[f"{c.code} {c.name}", seg(c.segment), _money(c.amount_minor, cur), f"{c.p_late:.0%}",
                              "；".join(reason_text(w, lang) for w in c.why)] for c in r.slipping], numeric_from=2,
                            text_after=4))
    else:
        parts.append(f"<p class=\"note\">{_e(t('report.none'))}</p>")
    # 5. next month's measures
    parts.append(f"<h2 class=\"page\">{_e(t('report.s_measures'))}</h2>")
    parts.append(f"<p class=\"note\">{_e(t('report.measures_note'))}</p>")
    rows = [[t(k, **p), "", ""] for k, p in r.measures] + [["", "", ""] for _ in range(max(0, 8 - len(r.measures)))]
    parts.append('<table class="measures"><tr>' + "".join(f"<th>{_e(h)}</th>" for h in (
        t("report.measure"), t("report.owner"), t("report.due"))) + "</tr>"
        + "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>")
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(r: Any, lang: str = "zh") -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # weasyprint ships no type information

    return bytes(HTML(string=render_html(r, lang)).write_pdf())


def render_xlsx(r: Any, path: Path, lang: str = "zh") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    def t(key: str, **p: Any) -> str:
        return i18n.t(key, lang, **p)

    cur = r.currency
    labels = bucket_labels(r.buckets, lang)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = t("report.sheet_aging")
    ws.append([t("report.title", month=r.month)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([t("kpi.by.segment"), t("report.when"), *labels, t("report.total")])
    for s in r.segments:
        for when, vals in ((t("report.this_month"), s.this), (t("report.last_month"), s.last)):
            ws.append([s.segment, when, *[Decimal(format_minor(v, cur)) for v in vals],
                       Decimal(format_minor(sum(vals), cur))])
    k = wb.create_sheet("KPI")
    groups = [r.kpis.company, *r.kpis.groups]
    k.append([t("kpi.metric"), *[g.key or t("kpi.company") for g in groups]])
    for m in METRICS:
        k.append([t(f"kpi.metric.{m}"), *[None if g.kpis.values[m] is None else round(g.kpis.values[m] or 0.0, 2)
                                          for g in groups]])
    for title, lines in ((t("report.s_long_overdue"), r.long_overdue), (t("report.s_disputed"), r.disputed),
                         (t("report.s_slipping"), r.slipping)):
        sh = wb.create_sheet(title[:31])
        sh.append([t("predict.customer"), t("kpi.by.segment"), t("report.amount")])
        for c in lines:
            sh.append([f"{c.code} {c.name}", c.segment, Decimal(format_minor(c.amount_minor, cur))])
    mv = wb.create_sheet(t("report.s_movers")[:31])
    mv.append([t("predict.customer"), t("report.overdue_last"), t("report.overdue_this")])
    for c in [*r.movers_up, *r.movers_down]:
        mv.append([f"{c.code} {c.name}", Decimal(format_minor(c.before_minor, cur)),
                   Decimal(format_minor(c.amount_minor, cur))])
    me = wb.create_sheet(t("report.s_measures")[:31])
    me.append([t("report.measure"), t("report.owner"), t("report.due")])
    for key, params in r.measures:
        me.append([t(key, **params), None, None])
    wb.save(path)
