"""Collection KPIs as pure functions of ledger facts (docs/metrics.md states each formula and window).

Everything here takes a ``Book`` — the invoices with their dated settlements, disputes, promises and the
customers' payments — and a month, and never looks at a clock. Money stays integer minor units; ratios
and day counts are floats rounded for display only by the caller.

Conventions shared by every KPI (the doc repeats them):

- "open at d" is the amount less every allocation dated on or before d (the end of day d);
- "not yet due at d" means ``due_on >= d`` (0 days past due, as in the aging report);
- a month's window is its first day S to its last day E; "the start of the month" is the end of S − 1.
"""

from __future__ import annotations

import calendar as _cal
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from .aging import DEFAULT_BUCKETS, bucket_index
from .errors import InvalidInput


# Settlement and InvoiceFacts are named tuples, not frozen dataclasses: a month's book at 10⁶ invoices
# builds about 250,000 of them, and a tuple is made several times faster (same fields, same immutability).
class Settlement(NamedTuple):
    on: date
    minor: int
    cash: bool = True  # a payment; False for credit notes and write-offs (they reduce AR but collect nothing)


class InvoiceFacts(NamedTuple):
    invoice_id: int
    customer_id: int
    invoice_on: date
    due_on: date
    amount_minor: int
    settlements: tuple[Settlement, ...] = ()

    def open_at(self, d: date) -> int:
        if self.invoice_on > d:
            return 0
        left = self.amount_minor
        for s in self.settlements:
            if s.on <= d:
                left -= s.minor
        return left


@dataclass(frozen=True, slots=True)
class DisputeFacts:
    invoice_id: int
    customer_id: int
    amount_minor: int
    opened_on: date
    resolved_on: date | None


@dataclass(frozen=True, slots=True)
class PromiseFacts:
    customer_id: int
    amount_minor: int
    made_on: date
    promised_on: date


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    code: str
    kind: str  # debtor kind: dealer, government, consumer …
    segment: str
    collector: str
    cause: str  # the latest excuse recorded before the month's end, or "-"


@dataclass
class Book:
    """What the KPIs of one month need. ``monthly_sales`` holds credit sales per ``YYYY-MM`` for the
    countback (it may reach further back than the invoices loaded)."""

    invoices: list[InvoiceFacts]
    monthly_sales: dict[str, int]
    disputes: list[DisputeFacts] = field(default_factory=list)
    promises: list[PromiseFacts] = field(default_factory=list)
    payments: dict[int, list[tuple[date, int]]] = field(default_factory=dict)  # customer → (paid_on, minor)
    customers: dict[int, CustomerInfo] = field(default_factory=dict)
    # open amount of each invoice (in ``invoices`` order) at the end of a day, computed once per day: the
    # KPIs of one month ask for the same two month ends many times over
    _opens: dict[date, list[int]] = field(default_factory=dict, repr=False, compare=False)
    # and the day's sums over them (kept with the list they were summed from)
    _sums: dict[date, tuple[int, int, list[int]]] = field(default_factory=dict, repr=False, compare=False)

    def opens(self, d: date) -> list[int]:
        """``[i.open_at(d) for i in self.invoices]``, kept for the next question about the same day."""
        got = self._opens.get(d)
        if got is None or len(got) != len(self.invoices):
            got = self._opens[d] = [i.open_at(d) for i in self.invoices]
        return got

    def _split(self, d: date) -> tuple[int, int]:
        """(not yet due, overdue) open money at the end of day d, summed once per day."""
        opens = self.opens(d)
        got = self._sums.get(d)
        if got is None or got[2] is not opens:
            current = overdue = 0
            for i, o in zip(self.invoices, opens, strict=True):
                if i.due_on >= d:
                    current += o
                else:
                    overdue += o
            got = self._sums[d] = (current, overdue, opens)
        return got[0], got[1]

    def receivables(self, d: date) -> int:
        current, overdue = self._split(d)
        return current + overdue

    def current_receivables(self, d: date) -> int:
        return self._split(d)[0]

    def overdue_receivables(self, d: date) -> int:
        return self._split(d)[1]

    def only(self, keep: Callable[[int], bool], monthly_sales: dict[str, int]) -> Book:
        """The part of the book that belongs to the customers ``keep`` accepts (a segment, a collector …),
        with that group's own monthly sales."""
        inv = [i for i in self.invoices if keep(i.customer_id)]
        return Book(
            inv, monthly_sales, [d for d in self.disputes if keep(d.customer_id)],
            [p for p in self.promises if keep(p.customer_id)],
            {c: v for c, v in self.payments.items() if keep(c)},
            {c: v for c, v in self.customers.items() if keep(c)},
        )

    def split(self, group_of: dict[int, str], monthly_sales: dict[str, dict[str, int]]) -> dict[str, Book]:
        """``{key: self.only(<customers of key>, monthly_sales.get(key, {}))}`` for every key of
        ``group_of`` (customer → group; customers without one belong to none), in one pass over the
        book instead of one per group, each part keeping the open amounts already computed."""
        parts: dict[str, Book] = {}

        def part(key: str) -> Book:
            got = parts.get(key)
            if got is None:
                got = parts[key] = Book([], dict(monthly_sales.get(key, {})))
                got._opens = {d: [] for d in self._opens}
            return got

        for name in sorted(set(group_of.values())):
            part(name)
        cached = [(day, opens) for day, opens in self._opens.items() if len(opens) == len(self.invoices)]
        for n, i in enumerate(self.invoices):
            key = group_of.get(i.customer_id)
            if key is None:
                continue
            b = part(key)
            b.invoices.append(i)
            for day, opens in cached:
                b._opens[day].append(opens[n])
        for b in parts.values():  # a day whose open amounts were stale here is computed afresh there
            b._opens = {day: v for day, v in b._opens.items() if len(v) == len(b.invoices)}
        for dispute in self.disputes:
            if (key := group_of.get(dispute.customer_id)) is not None:
                parts[key].disputes.append(dispute)
        for promise in self.promises:
            if (key := group_of.get(promise.customer_id)) is not None:
                parts[key].promises.append(promise)
        for c, paid in self.payments.items():
            if (key := group_of.get(c)) is not None:
                parts[key].payments[c] = paid
        for c, info in self.customers.items():
            if (key := group_of.get(c)) is not None:
                parts[key].customers[c] = info
        return parts


# ── months ───────────────────────────────────────────────────────────────────────────────────────

def parse_month(text: str) -> tuple[date, date]:
    """``"2026-10"`` → (2026-10-01, 2026-10-31)."""
    try:
        y, m = (int(x) for x in text.strip().split("-"))
        start = date(y, m, 1)
    except ValueError as e:
        raise InvalidInput("kpi.month", value=text) from e
    return start, date(y, m, _cal.monthrange(y, m)[1])


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def previous_month(month: str) -> str:
    start, _ = parse_month(month)
    return month_of(start - timedelta(days=1))


def days_in(month: str) -> int:
    start, end = parse_month(month)
    return (end - start).days + 1


# ── balances ─────────────────────────────────────────────────────────────────────────────────────

def receivables(invoices: Iterable[InvoiceFacts], d: date) -> int:
    """AR at the end of day d."""
    return sum(i.open_at(d) for i in invoices)


def current_receivables(invoices: Iterable[InvoiceFacts], d: date) -> int:
    """Open money not yet due at the end of day d."""
    return sum(i.open_at(d) for i in invoices if i.due_on >= d)


def overdue_receivables(invoices: Iterable[InvoiceFacts], d: date) -> int:
    return sum(i.open_at(d) for i in invoices if i.due_on < d)


def sales(invoices: Iterable[InvoiceFacts], start: date, end: date) -> int:
    return sum(i.amount_minor for i in invoices if start <= i.invoice_on <= end)


def sales_by_month(invoices: Iterable[InvoiceFacts]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for i in invoices:
        out[month_of(i.invoice_on)] += i.amount_minor
    return dict(out)


# ── DSO family ───────────────────────────────────────────────────────────────────────────────────

def countback_days(balance: int, month: str, monthly_sales: dict[str, int], max_months: int = 24) -> float:
    """Days of the most recent sales the balance amounts to, walking back month by month from ``month``.

    A month whose sales the balance covers counts all its days; the last month counts its share.
    Sales older than ``max_months`` are not looked at (the balance left then adds nothing)."""
    days = 0.0
    left = balance
    m = month
    for _ in range(max_months):
        if left <= 0:
            break
        s = monthly_sales.get(m, 0)
        if s > 0 and left < s:
            days += left / s * days_in(m)
            left = 0
            break
        days += days_in(m)
        left -= s
        m = previous_month(m)
    return days


def countback_reach(balance: int, month: str, monthly_sales: dict[str, int], max_months: int = 24) -> str:
    """The oldest month whose sales ``countback_days`` reads for this balance (``month`` when it reads
    none): sales of older months cannot change that countback."""
    reach = month
    left = balance
    m = month
    for _ in range(max_months):
        if left <= 0:
            break
        reach = m
        s = monthly_sales.get(m, 0)
        if s > 0 and left < s:
            break
        left -= s
        m = previous_month(m)
    return reach


def countback_dso(book: Book, month: str) -> float:
    _, end = parse_month(month)
    return countback_days(book.receivables(end), month, book.monthly_sales)


def best_possible_dso(book: Book, month: str) -> float:
    """Countback over the current (not yet due) receivables only: the DSO if nobody paid late."""
    _, end = parse_month(month)
    return countback_days(book.current_receivables(end), month, book.monthly_sales)


def average_days_delinquent(book: Book, month: str) -> float:
    return countback_dso(book, month) - best_possible_dso(book, month)


def cei(book: Book, month: str) -> float | None:
    """Collection effectiveness index, %: (begin AR + sales − end AR) / (begin AR + sales − end current AR)."""
    start, end = parse_month(month)
    begin = book.receivables(start - timedelta(days=1))
    s = book.monthly_sales.get(month, 0)
    denominator = begin + s - book.current_receivables(end)
    if denominator <= 0:
        return None
    return (begin + s - book.receivables(end)) / denominator * 100


# ── aging movement ───────────────────────────────────────────────────────────────────────────────

def roll_rates(book: Book, month: str, buckets: Sequence[int] = DEFAULT_BUCKETS) -> list[float | None]:
    """For each bucket b but the last: the share of b's money at the end of the previous month that sits
    one bucket further (b + 1) at the end of this month, %. None when b held nothing."""
    start, end = parse_month(month)
    prev_end = start - timedelta(days=1)
    n = len(buckets) + 1
    base = [0] * n
    rolled = [0] * n
    for i, before, after in zip(book.invoices, book.opens(prev_end), book.opens(end), strict=True):
        if before <= 0:
            continue
        b = bucket_index((prev_end - i.due_on).days, buckets)
        base[b] += before
        if b + 1 < n and bucket_index((end - i.due_on).days, buckets) == b + 1:
            rolled[b] += max(0, after)
    return [rolled[b] / base[b] * 100 if base[b] else None for b in range(n - 1)]


def overdue_collected(book: Book, month: str) -> tuple[int, int]:
    """(overdue at the start of the month, cash received on that money during the month)."""
    start, end = parse_month(month)
    before = start - timedelta(days=1)
    base = got = 0
    for i, opening in zip(book.invoices, book.opens(before), strict=True):
        if i.due_on >= start:
            continue
        if opening <= 0:
            continue
        base += opening
        got += min(opening, sum(s.minor for s in i.settlements if s.cash and start <= s.on <= end))
    return base, got


def overdue_collected_pct(book: Book, month: str) -> float | None:
    base, got = overdue_collected(book, month)
    return got / base * 100 if base else None


def overdue_share_pct(book: Book, month: str) -> float | None:
    _, end = parse_month(month)
    total = book.receivables(end)
    return book.overdue_receivables(end) / total * 100 if total > 0 else None


# ── disputes and promises ────────────────────────────────────────────────────────────────────────

def disputed_share_pct(book: Book, month: str) -> float | None:
    """Money under a dispute open at the month's end (capped at the invoice's open amount) / AR, %."""
    _, end = parse_month(month)
    total = book.receivables(end)
    if total <= 0:
        return None
    open_by_invoice = {i.invoice_id: o for i, o in zip(book.invoices, book.opens(end), strict=True)}
    disputed: dict[int, int] = defaultdict(int)
    for d in book.disputes:
        if d.opened_on <= end and (d.resolved_on is None or d.resolved_on > end):
            disputed[d.invoice_id] += d.amount_minor
    return sum(min(v, max(0, open_by_invoice.get(k, 0))) for k, v in disputed.items()) / total * 100


def dispute_cycle_days(book: Book, month: str) -> float | None:
    """Mean days from opening to resolution of the disputes resolved during the month."""
    start, end = parse_month(month)
    spans = [(d.resolved_on - d.opened_on).days for d in book.disputes
             if d.resolved_on is not None and start <= d.resolved_on <= end]
    return sum(spans) / len(spans) if spans else None


def promise_outcomes(book: Book, month: str) -> tuple[int, int]:
    """(promises falling due in the month, of which kept): kept when the customer's payments from the day
    the promise was made up to the promised day add up to the promised amount."""
    start, end = parse_month(month)
    due = kept = 0
    for p in book.promises:
        if not start <= p.promised_on <= end:
            continue
        due += 1
        paid = sum(m for on, m in book.payments.get(p.customer_id, ()) if p.made_on <= on <= p.promised_on)
        kept += paid >= p.amount_minor
    return due, kept


def promise_kept_pct(book: Book, month: str) -> float | None:
    due, kept = promise_outcomes(book, month)
    return kept / due * 100 if due else None


# ── collector effectiveness ──────────────────────────────────────────────────────────────────────

@dataclass
class Effectiveness:
    collector: str
    kind: str
    cause: str
    collected_minor: int = 0  # cash received in the month on money already past due when it came
    weighted_days: int = 0  # Σ minor × days past due at payment (for the mean)
    promises_due: int = 0
    promises_kept: int = 0

    @property
    def days_to_collect(self) -> float | None:
        return self.weighted_days / self.collected_minor if self.collected_minor else None


def collector_effectiveness(book: Book, month: str) -> list[Effectiveness]:
    start, end = parse_month(month)
    out: dict[tuple[str, str, str], Effectiveness] = {}

    def row(cid: int) -> Effectiveness:
        c = book.customers.get(cid) or CustomerInfo("", "-", "-", "-", "-")
        key = (c.collector or "-", c.kind or "-", c.cause or "-")
        if key not in out:
            out[key] = Effectiveness(*key)
        return out[key]

    for i in book.invoices:
        for s in i.settlements:
            if s.cash and start <= s.on <= end and s.on > i.due_on:
                r = row(i.customer_id)
                r.collected_minor += s.minor
                r.weighted_days += s.minor * (s.on - i.due_on).days
    for p in book.promises:
        if start <= p.promised_on <= end:
            r = row(p.customer_id)
            r.promises_due += 1
            paid = sum(m for on, m in book.payments.get(p.customer_id, ()) if p.made_on <= on <= p.promised_on)
            r.promises_kept += paid >= p.amount_minor
    return sorted(out.values(), key=lambda e: (-e.collected_minor, e.collector, e.kind, e.cause))


# ── the set shown by ``huikuan kpi`` ──────────────────────────────────────────────────────────────

METRICS = ("dso", "best_possible_dso", "add", "cei", "overdue_collected_pct", "overdue_share_pct",
           "promise_kept_pct", "disputed_share_pct", "dispute_cycle_days")
TARGET_METRICS = ("overdue_collected_pct", "overdue_share_pct", "dso")
LOWER_IS_BETTER = frozenset({"dso", "best_possible_dso", "add", "overdue_share_pct", "disputed_share_pct",
                             "dispute_cycle_days"})


@dataclass
class KpiSet:
    month: str
    receivables_minor: int
    overdue_minor: int
    sales_minor: int
    values: dict[str, float | None]
    roll_rates: list[float | None]


def kpis(book: Book, month: str, buckets: Sequence[int] = DEFAULT_BUCKETS) -> KpiSet:
    _, end = parse_month(month)
    sales_map = book.monthly_sales
    dso = countback_dso(book, month) if sales_map else None
    bp = best_possible_dso(book, month) if sales_map else None
    values: dict[str, float | None] = {
        "dso": dso,
        "best_possible_dso": bp,
        "add": dso - bp if dso is not None and bp is not None else None,
        "cei": cei(book, month),
        "overdue_collected_pct": overdue_collected_pct(book, month),
        "overdue_share_pct": overdue_share_pct(book, month),
        "promise_kept_pct": promise_kept_pct(book, month),
        "disputed_share_pct": disputed_share_pct(book, month),
        "dispute_cycle_days": dispute_cycle_days(book, month),
    }
    return KpiSet(month, book.receivables(end), book.overdue_receivables(end),
                  sales_map.get(month, 0), values, roll_rates(book, month, buckets))
