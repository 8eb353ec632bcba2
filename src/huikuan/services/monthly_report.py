"""The monthly aging-structure review (月度应收账款分析): what ``huikuan report monthly`` renders.

Aging this month vs last and vs plan by segment, long-overdue and disputed balances with their customers,
the top movers, the KPIs against their targets, the customers the model expects to slip next month, and
suggested measures for next month. This module gathers the figures; rendering (HTML, PDF, Excel, charts)
belongs to the adapters and the entry point."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..domain.aging import DEFAULT_BUCKETS, bucket_index
from ..domain.kpi import parse_month, previous_month
from . import kpi as kpi_svc
from . import prediction as pred_svc

LONG_OVERDUE_DAYS = 90
TOP = 15


@dataclass
class SegmentAging:
    segment: str
    this: list[int]  # per bucket, at the month's end
    last: list[int]  # per bucket, at the previous month's end
    plan_overdue_pct: float | None  # the segment's overdue-share target, if set

    @property
    def overdue_pct(self) -> float | None:
        total = sum(self.this)
        return sum(self.this[1:]) / total * 100 if total else None

    @property
    def last_overdue_pct(self) -> float | None:
        total = sum(self.last)
        return sum(self.last[1:]) / total * 100 if total else None


@dataclass
class CustomerLine:
    code: str
    name: str
    segment: str
    amount_minor: int
    days: int = 0  # oldest days past due, or days under dispute
    before_minor: int = 0  # the previous month's figure (movers)
    p_late: float = 0.0
    why: list[tuple[str, float, float]] = field(default_factory=list)


@dataclass
class MonthlyReport:
    month: str
    company: str
    currency: str
    buckets: tuple[int, ...]
    segments: list[SegmentAging]
    long_overdue: list[CustomerLine]
    disputed: list[CustomerLine]
    movers_up: list[CustomerLine]
    movers_down: list[CustomerLine]
    kpis: kpi_svc.KpiReport
    slipping: list[CustomerLine]
    slipping_method: str
    notices: list[tuple[str, dict[str, Any]]]
    measures: list[tuple[str, dict[str, Any]]]

    @property
    def totals(self) -> tuple[list[int], list[int]]:
        n = len(self.buckets) + 1
        this, last = [0] * n, [0] * n
        for s in self.segments:
            for i in range(n):
                this[i] += s.this[i]
                last[i] += s.last[i]
        return this, last


def monthly_report(app: Any, month: str | None = None) -> MonthlyReport:
    month = month or kpi_svc.default_month(app.clock.today())
    start, end = parse_month(month)
    prev_end = start - timedelta(days=1)
    # one book for the KPIs by segment and the aging structure below (it used to be loaded twice)
    loaded = kpi_svc.load_book(app, month, group_by="segment", recent_sales=True)
    kpis = kpi_svc.kpi_report(app, month, "segment", loaded=loaded)
    book, currency = loaded.book, loaded.currency
    names = {r[0]: (r[1], r[2], r[4] or "-") for r in loaded.customer_rows}
    with app.uow(write=False) as uow:
        targets = uow.analytics.targets(month)
    buckets = DEFAULT_BUCKETS
    n = len(buckets) + 1
    seg: dict[str, SegmentAging] = {}
    overdue_now: dict[int, int] = defaultdict(int)
    overdue_before: dict[int, int] = defaultdict(int)
    long_due: dict[int, tuple[int, int]] = {}
    for inv, now, before in zip(book.invoices, book.opens(end), book.opens(prev_end), strict=True):
        code, _name, segment = names.get(inv.customer_id, ("?", "?", "-"))
        row = seg.get(segment)
        if row is None:
            row = seg[segment] = SegmentAging(segment, [0] * n, [0] * n, None)
        if now:
            b = bucket_index((end - inv.due_on).days, buckets)
            row.this[b] += now
            if b:
                overdue_now[inv.customer_id] += now
            days = (end - inv.due_on).days
            if days > LONG_OVERDUE_DAYS:
                amount, oldest = long_due.get(inv.customer_id, (0, 0))
                long_due[inv.customer_id] = (amount + now, max(oldest, days))
        if before:
            b = bucket_index((prev_end - inv.due_on).days, buckets)
            row.last[b] += before
            if b:
                overdue_before[inv.customer_id] += before
    for _m, scope, key, metric, value in targets:
        if scope == "segment" and metric == "overdue_share_pct" and key in seg:
            seg[key].plan_overdue_pct = value

    def line(cid: int, amount: int, **kw: Any) -> CustomerLine:
        code, name, segment = names.get(cid, (str(cid), "", "-"))
        return CustomerLine(code, name, segment, amount, **kw)

    long_overdue = sorted((line(c, a, days=d) for c, (a, d) in long_due.items()), key=lambda x: -x.amount_minor)[:TOP]
    open_at_end = {i.invoice_id: o for i, o in zip(book.invoices, book.opens(end), strict=True)}
    disputed: dict[int, tuple[int, int]] = {}
    for d in book.disputes:
        if d.opened_on <= end and (d.resolved_on is None or d.resolved_on > end):
            amount = min(d.amount_minor, max(0, open_at_end.get(d.invoice_id, 0)))
            if amount:
                a, days = disputed.get(d.customer_id, (0, 0))
                disputed[d.customer_id] = (a + amount, max(days, (end - d.opened_on).days))
    disputed_lines = sorted((line(c, a, days=d) for c, (a, d) in disputed.items()), key=lambda x: -x.amount_minor)[:TOP]
    moved = [line(c, overdue_now.get(c, 0), before_minor=overdue_before.get(c, 0))
             for c in set(overdue_now) | set(overdue_before)]
    movers_up = sorted((m for m in moved if m.amount_minor > m.before_minor),
                       key=lambda m: m.before_minor - m.amount_minor)[:10]
    movers_down = sorted((m for m in moved if m.amount_minor < m.before_minor),
                         key=lambda m: m.amount_minor - m.before_minor)[:10]
    slipping, method, notices = _slipping(app, end, names)
    report = MonthlyReport(month, app.settings.company, currency, buckets, sorted(seg.values(), key=lambda s: s.segment),
                           long_overdue, disputed_lines, movers_up, movers_down, kpis, slipping, method, notices, [])
    report.measures = _measures(report)
    return report


def _slipping(app: Any, end: date, names: dict[int, tuple[str, str, str]]
              ) -> tuple[list[CustomerLine], str, list[tuple[str, dict[str, Any]]]]:
    """Customers with money falling due next month that the model expects to be paid late, by money at risk."""
    at = end + timedelta(days=1)
    next_end = parse_month(f"{at.year:04d}-{at.month:02d}")[1]
    ps = pred_svc.predict(app, at, due_between=(at, next_end))  # only what falls due next month is asked about
    by_code = {code: (code, name, segment) for code, name, segment in names.values()}
    risk: dict[str, CustomerLine] = {}
    for p in ps.predictions:
        if not at <= p.due_on <= next_end or p.p_late < 0.5:
            continue
        code, name, segment = by_code.get(p.customer, (p.customer, "", "-"))
        row = risk.get(code)
        if row is None:
            row = risk[code] = CustomerLine(code, name, segment, 0)
        row.amount_minor += round(p.open_minor * p.p_late)
        if p.p_late >= row.p_late:
            row.p_late, row.why = p.p_late, p.why
    return sorted(risk.values(), key=lambda r: -r.amount_minor)[:TOP], ps.method, ps.notices


def _measures(r: MonthlyReport) -> list[tuple[str, dict[str, Any]]]:
    """Suggestions for the "next month's measures" page (the managers fill in owners and dates)."""
    out: list[tuple[str, dict[str, Any]]] = []
    this, _last = r.totals
    if sum(this[3:]):
        out.append(("report.measure.push_60", {"count": len(r.long_overdue)}))
    for c in r.long_overdue[:3]:
        out.append(("report.measure.meet", {"customer": c.name or c.code}))
    if r.disputed:
        out.append(("report.measure.disputes", {"count": len(r.disputed)}))
    if r.slipping:
        out.append(("report.measure.slipping", {"count": len(r.slipping)}))
    dso = r.kpis.company.kpis.values.get("dso")
    if dso is not None:
        out.append(("report.measure.dso", {"dso": f"{dso:.0f}", "target": f"{max(0.0, dso - 5):.0f}"}))
    return out


__all__ = ["MonthlyReport", "monthly_report", "previous_month"]
