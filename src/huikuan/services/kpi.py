"""KPIs for a month (company and by segment, collector or risk grade) against their targets; setting targets.

The formulas live in ``domain/kpi.py`` (docs/metrics.md); this module loads one ``Book`` through the unit
of work, cuts it into groups and pairs each figure with its target. Money is the company currency's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..domain.aging import DEFAULT_BUCKETS, bucket_index
from ..domain.errors import InvalidInput
from ..domain.kpi import (
    LOWER_IS_BETTER,
    METRICS,
    TARGET_METRICS,
    Book,
    CustomerInfo,
    DisputeFacts,
    Effectiveness,
    KpiSet,
    PromiseFacts,
    best_possible_dso,
    collector_effectiveness,
    countback_dso,
    countback_reach,
    kpis,
    month_of,
    overdue_share_pct,
    parse_month,
    previous_month,
)
from .policies import load_policies

GROUPINGS = ("segment", "collector", "grade")
SCOPES = ("company", "segment", "collector")
SALES_MONTHS = 24  # the countback never walks further back
# the sales read first (the month and the five before it): at 10⁶ invoices a countback reads two or three
# months, and reading 24 months of 10⁵ customers' sales, grouped, is the costliest read of the KPIs
RECENT_MONTHS = 6


@dataclass(frozen=True)
class TargetCheck:
    metric: str
    target: float
    actual: float | None

    @property
    def met(self) -> bool | None:
        if self.actual is None:
            return None
        return self.actual <= self.target if self.metric in LOWER_IS_BETTER else self.actual >= self.target


@dataclass
class KpiGroup:
    key: str
    kpis: KpiSet
    targets: list[TargetCheck] = field(default_factory=list)


@dataclass
class KpiReport:
    month: str
    currency: str
    company: KpiGroup
    by: str | None
    groups: list[KpiGroup]
    effectiveness: list[Effectiveness]


def default_month(today: date) -> str:
    """The last complete month."""
    return month_of(today.replace(day=1) - timedelta(days=1))


@dataclass
class Loaded:
    """A month's book as ``load_book`` read it, with the monthly sales each group's countback needs."""

    book: Book
    currency: str
    customer_sales: dict[int, dict[str, int]]  # per customer (``per_customer_sales``; grades need them)
    group_sales: dict[str, dict[str, int]]  # per segment or collector (``group_by``), summed in SQL
    group_by: str | None
    customer_rows: list[tuple[Any, ...]]  # (id, code, name, type, segment, collector, policy)
    per_customer_sales: bool = False
    sales_from: str = ""  # the oldest month of the sales read; "" when every month a countback may need was


def load_book(app: Any, month: str, per_customer_sales: bool = False, first_month: str | None = None,
              group_by: str | None = None, recent_sales: bool = False) -> Loaded:
    """The facts a month's KPIs need, and (when asked) each customer's monthly sales, or each segment's or
    collector's (``group_by``), for group countbacks. With ``first_month``, the book also holds what that
    month and the ones up to ``month`` need (a trend). ``recent_sales``: read only the last
    ``RECENT_MONTHS`` months' sales; ``kpi_report`` reads the rest when a countback reaches past them."""
    start, end = parse_month(month)
    if first_month is not None:
        start = min(start, parse_month(first_month)[0])
    since = start - timedelta(days=1)
    with app.uow(write=False) as uow:
        repo = uow.analytics
        currency = repo.company_currency()
        invoices = list(repo.kpi_invoices(since, end, currency))
        disputes = [DisputeFacts(*r) for r in repo.disputes(end)]
        promises = [PromiseFacts(*r) for r in repo.promises(start, end)]
        payments: dict[int, list[tuple[date, int]]] = defaultdict(list)
        # payments matter only to judge the promises falling due in the window: only those customers'
        for cid, on, minor in repo.payments(start - timedelta(days=366), end, promised_from=start):
            payments[cid].append((on, int(minor)))
        excuses = repo.latest_excuses(end)
        rows = repo.customers()
        customers = {r[0]: CustomerInfo(r[1], r[3] or "-", r[4] or "-", r[5] or "-", excuses.get(r[0], "-"))
                     for r in rows}
    loaded = Loaded(Book(invoices, {}, disputes, promises, dict(payments), customers), currency, {}, {}, None, rows)
    recent = month
    for _ in range(RECENT_MONTHS - 1):
        recent = previous_month(recent)
    _read_sales(app, loaded, month, per_customer_sales, group_by,
                recent if recent_sales and first_month is None else "")
    return loaded


def _read_sales(app: Any, loaded: Loaded, month: str, per_customer_sales: bool, group_by: str | None,
                sales_from: str) -> None:
    """Fill ``loaded`` with the monthly sales from ``sales_from`` ("": as far back as a countback walks)."""
    start, end = parse_month(month)
    first = parse_month(sales_from)[0] if sales_from else (start - timedelta(days=31 * SALES_MONTHS)).replace(day=1)
    company: dict[str, int] = {}
    per_customer: dict[int, dict[str, int]] = defaultdict(dict)
    groups: dict[str, dict[str, int]] = {}
    with app.uow(write=False) as uow:
        repo = uow.analytics
        if group_by is not None and not per_customer_sales:
            # every customer is in exactly one group: the company's sales are the groups' (one scan, not two)
            groups = repo.group_monthly_sales(first, end, loaded.currency, group_by)
            for sales in groups.values():
                for m, minor in sales.items():
                    company[m] = company.get(m, 0) + minor
        else:
            for cid, m, minor in repo.monthly_sales(first, end, loaded.currency, per_customer_sales):
                if per_customer_sales:
                    per_customer[cid][m] = int(minor)
                company[m] = company.get(m, 0) + int(minor)
    loaded.book.monthly_sales = company
    loaded.customer_sales = dict(per_customer)
    loaded.group_sales = groups
    loaded.group_by = None if per_customer_sales else group_by
    loaded.per_customer_sales = per_customer_sales
    loaded.sales_from = sales_from


def _sales_cover(book: Book, month: str, sales_from: str) -> bool:
    """Whether the sales read from ``sales_from`` on give this book's countbacks (DSO, best possible DSO)
    and ``kpis``' "no sales at all" test as every month's sales would: some were read, and neither
    countback reads an older month."""
    if not sales_from:
        return True
    if not book.monthly_sales:
        return False
    _, end = parse_month(month)
    return all(countback_reach(b, month, book.monthly_sales) >= sales_from
               for b in (book.receivables(end), book.current_receivables(end)))


def _grades(app: Any, book: Book, end: date, rows: list[tuple[Any, ...]]) -> dict[int, str]:
    with app.uow(write=False) as uow:
        seg = uow.collect.segment_policies()
    policies = load_policies(app.policy_dirs(), seg)
    oldest: dict[int, date] = {}
    for i, left in zip(book.invoices, book.opens(end), strict=True):
        if i.due_on < end and left > 0 and (i.customer_id not in oldest or i.due_on < oldest[i.customer_id]):
            oldest[i.customer_id] = i.due_on
    out: dict[int, str] = {}
    for cid, _code, _name, _type, segment, _collector, policy in rows:
        dpd = (end - oldest[cid]).days if cid in oldest else None
        out[cid] = policies.for_customer(policy, segment).grades.grade(dpd).value
    return out


def _checks(targets: list[tuple[str, str, str, str, float]], scope: str, key: str, ks: KpiSet) -> list[TargetCheck]:
    return [TargetCheck(metric, value, ks.values.get(metric))
            for _m, sc, k, metric, value in targets if sc == scope and k == key]


def kpi_report(app: Any, month: str | None = None, by: str | None = None, loaded: Loaded | None = None) -> KpiReport:
    """The month's KPIs, per group when ``by`` is given. ``loaded``: the month's book as ``load_book`` gave
    it (with the sales ``by`` needs), for a caller that needs the same book again (the report)."""
    if by is not None and by not in GROUPINGS:
        raise InvalidInput("input.enum", field="--by", value=by, allowed=", ".join(GROUPINGS))
    month = month or default_month(app.clock.today())
    if loaded is None:
        # segments and collectors are customer columns: their sales are summed in SQL; grades are not
        loaded = load_book(app, month, per_customer_sales=by == "grade",
                           group_by=by if by in ("segment", "collector") else None, recent_sales=True)
    with app.uow(write=False) as uow:
        targets = uow.analytics.targets(month)
    report = _report(app, month, by, loaded, targets)
    if report is None:
        # a countback walked past the recent sales read first: read them all and compute again
        _read_sales(app, loaded, month, loaded.per_customer_sales, loaded.group_by, "")
        report = _report(app, month, by, loaded, targets)
    if report is None:
        raise RuntimeError("every month's sales were read")  # pragma: no cover — _sales_cover("") is True
    return report


def _report(app: Any, month: str, by: str | None, loaded: Loaded,
            targets: list[tuple[str, str, str, str, float]]) -> KpiReport | None:
    """The report, or None when the sales read do not cover a countback (``_sales_cover``)."""
    _, end = parse_month(month)
    book = loaded.book
    if not _sales_cover(book, month, loaded.sales_from):
        return None
    company = kpis(book, month)
    report = KpiReport(month, loaded.currency, KpiGroup("", company, _checks(targets, "company", "", company)), by, [],
                       collector_effectiveness(book, month))
    if by is None:
        return report
    if by == "grade":
        key_of = _grades(app, book, end, loaded.customer_rows)
    else:
        key_of = {cid: (c.segment if by == "segment" else c.collector) for cid, c in book.customers.items()}
    group_of = {cid: key or "-" for cid, key in key_of.items()}
    if loaded.group_by == by:
        sales_of = loaded.group_sales
    else:
        summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for cid, key in group_of.items():
            for m, v in loaded.customer_sales.get(cid, {}).items():
                summed[key][m] += v
        sales_of = {k: dict(v) for k, v in summed.items()}
    # one pass over the book for every group (40 collectors: not 40 passes), open amounts carried along
    for key, sub in sorted(book.split(group_of, sales_of).items()):
        if not sub.invoices:
            continue
        if not _sales_cover(sub, month, loaded.sales_from):
            return None
        ks = kpis(sub, month)
        report.groups.append(KpiGroup(key, ks, _checks(targets, by, key, ks) if by in SCOPES else []))
    return report


@dataclass(frozen=True)
class TrendPoint:
    """One month of the KPI page's trend charts."""

    month: str
    dso: float | None
    best_possible_dso: float | None
    overdue_share_pct: float | None
    aging: list[int]  # open money per aging bucket at the month's end (DEFAULT_BUCKETS), company currency


def kpi_trend(app: Any, month: str | None = None, months: int = 6) -> list[TrendPoint]:
    """The months up to ``month`` (default the last complete one), oldest first: DSO, best possible DSO,
    overdue share and the aging structure at each month's end, from one book load."""
    if not 1 <= months <= 24:
        raise InvalidInput("input.enum", field="months", value=months, allowed="1-24")
    month = month or default_month(app.clock.today())
    parse_month(month)
    chain = [month]
    for _ in range(months - 1):
        chain.append(previous_month(chain[-1]))
    chain.reverse()
    book = load_book(app, month, first_month=chain[0]).book
    out = []
    for m in chain:
        _, end = parse_month(m)
        aging = [0] * (len(DEFAULT_BUCKETS) + 1)
        for i, left in zip(book.invoices, book.opens(end), strict=True):
            if left > 0 and i.invoice_on <= end:
                aging[bucket_index((end - i.due_on).days, DEFAULT_BUCKETS)] += left
        has_sales = any(v for k, v in book.monthly_sales.items() if k <= m)
        out.append(TrendPoint(m, countback_dso(book, m) if has_sales else None,
                              best_possible_dso(book, m) if has_sales else None, overdue_share_pct(book, m), aging))
    return out


def set_target(app: Any, month: str, metric: str, value: float, *, segment: str | None = None,
               collector: str | None = None, actor: str | None = None) -> None:
    """Set (or replace) a month's target for the company, a segment or a collector, audited."""
    from . import audit

    parse_month(month)
    if metric not in TARGET_METRICS:
        raise InvalidInput("input.enum", field="--metric", value=metric, allowed=", ".join(TARGET_METRICS))
    if segment and collector:
        raise InvalidInput("kpi.one_scope")
    if not 0 <= value <= 10_000:
        raise InvalidInput("kpi.target_value", value=str(value))
    scope, key = ("segment", segment) if segment else ("collector", collector) if collector else ("company", "")
    with app.uow() as uow:
        if key and key not in uow.analytics.scope_keys()[scope]:
            raise InvalidInput("kpi.unknown_scope", field=f"--{scope}", value=key)
        before = uow.analytics.target_value(month, scope, key or "", metric)
        uow.analytics.set_target(month, scope, key or "", metric, float(value))
        audit.record(uow, app.clock.now(), actor, "kpi.target_set", "kpi_target", f"{month}/{scope}/{key}/{metric}",
                     before=None if before is None else {"value": before}, after={"value": float(value)})
        uow.commit()


def scope_keys(app: Any) -> dict[str, list[str]]:
    """{"segment": [...], "collector": [...]}: what a target can be set for besides the company."""
    with app.uow(write=False) as uow:
        return dict(uow.analytics.scope_keys())


def targets(app: Any, month: str | None = None) -> list[tuple[str, str, str, str, float]]:
    if month:
        parse_month(month)
    with app.uow(write=False) as uow:
        return list(uow.analytics.targets(month))


__all__ = ["METRICS", "TARGET_METRICS", "KpiReport", "Loaded", "TrendPoint", "kpi_report", "kpi_trend", "scope_keys", "set_target", "targets"]
