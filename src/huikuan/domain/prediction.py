"""Leak-free features of an open invoice at a date D, the customer-history rule, and evaluation metrics.

The payment model (docs/model.md) predicts, for every invoice open at D, whether it will be paid late and
when. Its features are computed here, as pure functions of the facts *known before D*:

- an invoice counts as issued when ``invoice_on < D`` and as settled only when ``settled_on < D``;
- promises count from the day they were made (``made_on < D``), and are judged kept or broken only once
  their promised day has passed (``promised_on < D``: the money up to that day is then known);
- disputes from ``opened_on < D``, resolved only when ``resolved_on < D``; contacts from ``on < D``.

So adding or removing any fact dated on or after D cannot change a feature (the property test in
tests/unit/test_prediction_features.py checks exactly that). ``History`` indexes the facts once per
customer so that a feature row costs a few bisections, not a scan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from .terms import month_end


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    invoice_id: int
    number: str
    customer_id: int
    invoice_on: date
    due_on: date
    amount_minor: int
    settled_on: date | None  # the day the last money arrived, if it has
    electronic: int = -1  # billing channel, known at issue: 1 electronic (电子), 0 paper (纸质), -1 unknown

    def open_at(self, d: date) -> bool:
        return self.invoice_on < d and (self.settled_on is None or self.settled_on >= d)


@dataclass(frozen=True, slots=True)
class PromiseRecord:
    customer_id: int
    made_on: date
    promised_on: date
    amount_minor: int
    paid_by_promised_minor: int  # the customer's payments from made_on to promised_on


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    invoice_id: int
    customer_id: int
    opened_on: date
    resolved_on: date | None


@dataclass(frozen=True, slots=True)
class ContactRecord:
    customer_id: int
    on: date
    outcome: str


FEATURES = (
    "age", "days_to_due", "terms_days", "log_amount", "amount_rel",
    "hist_n", "hist_mean_delay", "hist_late_frac", "hist_mean_dtp", "hist_std_delay",
    "hist_last_delay", "hist_last3_delay", "hist_trend", "hist_recent_late_frac", "hist_max_delay",
    "days_since_last_settlement", "later_invoices_settled", "open_count", "open_overdue_count",
    "due_day", "due_to_month_end", "invoice_day", "holidays_to_due", "holidays_after_due",
    "promises", "promises_broken_frac", "disputed_now", "disputes", "contacts_90d", "contacts_bad_frac",
    "hist_frac_open_this_long", "hist_late_given_open", "hist_remaining_given_open", "age_minus_mean_dtp",
    "surv_p_late", "surv_remaining", "surv_late_days", "electronic",
)
# The three ``surv_*`` features are the customer's own answer (see ``survival``); the learner boosts from
# them (``BASE_FEATURES``: the booster's starting score) instead of learning them from scratch.
SURVIVAL = ("surv_p_late", "surv_remaining", "surv_late_days")
BAD_OUTCOMES = frozenset({"no_answer", "refused", "disputed"})
ABSENT = -1.0  # value of a history feature when there is no history (trees split on it)


# Which features have no value (``ABSENT``) for a row, so that an explanation says "no record yet" instead of
# "= -1": shares, spreads and day counts can never be −1 otherwise; a delay can (paid a day early), so the
# delay features count as absent exactly when the customer has no settled invoice yet (``hist_n`` = 0).
ABSENT_IF_NEGATIVE = frozenset({
    "hist_late_frac", "hist_mean_dtp", "hist_std_delay", "hist_recent_late_frac", "days_since_last_settlement",
    "promises_broken_frac", "contacts_bad_frac", "hist_frac_open_this_long", "hist_late_given_open",
    "hist_remaining_given_open", "surv_p_late", "surv_remaining", "surv_late_days", "electronic"})
ABSENT_WITHOUT_HISTORY = frozenset({"hist_mean_delay", "hist_last_delay", "hist_last3_delay", "hist_trend",
                                    "hist_max_delay", "age_minus_mean_dtp"})
NO_VALUE = ":none"  # suffix of a reason's feature name when the feature had no value


def reason_name(feature: str, value: float, hist_n: float) -> str:
    """``feature``, or ``feature + NO_VALUE`` when the row had no value for it (see ``ABSENT_IF_NEGATIVE``)."""
    if (feature in ABSENT_IF_NEGATIVE and value == ABSENT) or (feature in ABSENT_WITHOUT_HISTORY and hist_n == 0):
        return feature + NO_VALUE
    return feature


def bisect_left(xs: Sequence[Any], x: Any) -> int:
    """The first index whose item is not below ``x`` in a sorted sequence (``bisect.bisect_left``, kept
    here so the domain imports nothing outside its allow-list)."""
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else ABSENT


class HolidayIndex:
    """Prefix counts of Chinese holidays (weekdays that are not working days) for a range of days."""

    def __init__(self, is_workday: Callable[[date], bool] | None, start: date, end: date) -> None:
        self.start = start
        self.counts = [0]
        d = start
        while d <= end:
            hol = is_workday is not None and d.weekday() < 5 and not is_workday(d)
            self.counts.append(self.counts[-1] + (1 if hol else 0))
            d += timedelta(days=1)

    def between(self, a: date, b: date) -> int:
        """Holidays in [a, b] (0 when b < a); days outside the indexed range count as none."""
        if b < a:
            return 0
        n = len(self.counts) - 1
        i = min(max((a - self.start).days, 0), n)
        j = min(max((b - self.start).days + 1, 0), n)
        return self.counts[j] - self.counts[i]


# ── the customer's delay distribution, conditioned on the invoice still being open ─────────────
#
# Small trees learn "customer pays about x days after due" only coarsely from a few thousand rows, and
# not at all "... and this one is still open at this age, so it is one of the customer's slow ones". The
# ``surv_*`` features answer that directly: the customer's last ``SURV_WINDOW`` delays (settlement − due),
# each moved to this invoice's billing channel (paper invoices are paid later: ``channel_shift``) and
# smoothed by a triangular kernel of half-width ``SURV_WIDTH`` days, plus the book's delays (those
# settled before the first day of D's month, ``SURV_PRIOR`` invoices' weight) for customers with little
# history; conditioned on "delay ≥ D − due" (still open at D). Only + − × / (no exp/log/pow), in one order, so
# that ``services/feature_matrix.py`` gets the same numbers bit for bit. Measured on the IBM file (walk-forward):
# docs/model.md.
SURV_WINDOW = 20
SURV_WIDTH = 6.0
SURV_PRIOR = 2.0
SURV_CLIP = (-90, 270)  # the book's delays are counted in these bins (outside: at the edge)
# Billing channel: a customer's past delays are moved to this invoice's channel by the book's channel effect
# (``channel_shift``: paper minus electronic, days), estimated from the invoices settled before D's month.
CHANNEL_MIN_CUSTOMERS = 3  # customers with both channels needed to estimate it (fewer: no shift)


def surv_sf(v: float) -> float:
    """P(U ≥ v) for U triangular on [−SURV_WIDTH, SURV_WIDTH]."""
    h = SURV_WIDTH
    if v <= -h:
        return 1.0
    if v <= 0:
        return 1.0 - (v + h) * (v + h) / (2 * h * h)
    if v < h:
        return (h - v) * (h - v) / (2 * h * h)
    return 0.0


def surv_pe(v: float) -> float:
    """E[(U − v)⁺] for the same U (the integral of ``surv_sf`` from v)."""
    h = SURV_WIDTH
    if v >= h:
        return 0.0
    if v >= 0:
        return (h - v) * (h - v) * (h - v) / (6 * h * h)
    if v >= -h:
        return (v + h) * (v + h) * (v + h) / (6 * h * h) - v
    return -v


def month_start(d: date) -> date:
    return d.replace(day=1)


def channel_shift(groups: Iterable[tuple[int, int, int, int]]) -> float:
    """The book's channel effect: how many days later a customer pays a paper invoice than an electronic one.

    ``groups``: per customer, in customer order, (paper count, paper delay sum, electronic count, electronic
    delay sum) over invoices whose channel is known. Each customer with both channels gives the difference of
    its mean delays, weighted by n_p·n_e / (n_p + n_e) (the difference's precision: a customer with one
    invoice of a channel counts little); the weighted mean over those customers, 0 with fewer than
    ``CHANNEL_MIN_CUSTOMERS`` of them. Within customers, so a book whose slow payers happen to be on paper
    does not read its customers' habits as the channel's. The same arithmetic in the same order for the
    columnar twin (services/feature_matrix.py calls this very function)."""
    num = den = 0.0
    both = 0
    for n_p, s_p, n_e, s_e in groups:
        if n_p > 0 and n_e > 0:
            w = n_p * n_e / (n_p + n_e)
            num += w * (s_p / n_p - s_e / n_e)
            den += w
            both += 1
    return num / den if both >= CHANNEL_MIN_CUSTOMERS else 0.0


def survival(own: Sequence[float], t: int, book: tuple[list[int], list[int]] | None) -> tuple[float, float, float]:
    """(p_late, expected remaining days, expected late days) of an invoice open at D, ``t`` = D − due
    (negative before the due day): from the customer's delays ``own`` (oldest first, already moved to this
    invoice's billing channel, ``History.features``) and the book's
    (suffix counts and sums per clipped delay, ``History.book_delays``). Past due by more than any delay
    seen: (1, 0, t). (ABSENT, ABSENT, ABSENT) when neither has any."""
    tp = t - 0.5  # open at D: delay ≥ t, i.e. X ≥ t − ½ for the smoothed X
    late_from = max(t, 1)
    cc = max(tp, 0.0)
    s_t = s_late = late_mass = mean_mass = 0.0
    if book is not None and book[0][0] > 0:
        counts, sums = book
        lo = SURV_CLIP[0]
        nb = counts[0]
        wb = SURV_PRIOR / nb
        it = min(max(t, lo), SURV_CLIP[1] + 1) - lo
        il = min(max(late_from, lo), SURV_CLIP[1] + 1) - lo
        s_t = wb * counts[it]
        s_late = wb * counts[il]
        late_mass = wb * sums[il]
        mean_mass = wb * sums[it]
    for x in own:
        s_t += surv_sf(tp - x)
        s_late += surv_sf(late_from - 0.5 - x)
        late_mass += cc * surv_sf(cc - x) + surv_pe(cc - x)
        mean_mass += tp * surv_sf(tp - x) + surv_pe(tp - x)
    if s_t <= 0:
        if t >= 1 and (own or (book is not None and book[0][0] > 0)):
            # open longer past due than any delay seen: late for sure, at least t days, the rest unknown
            return 1.0, 0.0, float(t)
        return ABSENT, ABSENT, ABSENT
    return s_late / s_t, mean_mass / s_t - t, late_mass / s_t


class History:
    """The facts of a book, indexed per customer for features at any date."""

    def __init__(self, invoices: Iterable[InvoiceRecord], promises: Iterable[PromiseRecord] = (),
                 disputes: Iterable[DisputeRecord] = (), contacts: Iterable[ContactRecord] = (),
                 holidays: HolidayIndex | None = None) -> None:
        self.invoices = list(invoices)
        by_customer: dict[int, list[InvoiceRecord]] = defaultdict(list)
        for inv in self.invoices:
            by_customer[inv.customer_id].append(inv)
        # settled invoices by settlement day: (settled_on, delay, days to pay, invoice_on, electronic)
        self.settled: dict[int, list[tuple[date, int, int, date, int]]] = {}
        self.settled_days: dict[int, list[date]] = {}
        self.settled_delay_prefix: dict[int, list[int]] = {}
        self.settled_late_prefix: dict[int, list[int]] = {}
        self.settled_dtp_prefix: dict[int, list[int]] = {}
        self.settled_sq_prefix: dict[int, list[int]] = {}
        self.issued: dict[int, list[InvoiceRecord]] = {}
        self.issued_days: dict[int, list[date]] = {}
        self.issued_amount_prefix: dict[int, list[int]] = {}
        # (prefix sums with itertools.accumulate: a book of 10⁶ invoices passes through here in one load)
        for cid, items in by_customer.items():
            items.sort(key=lambda i: (i.invoice_on, i.invoice_id))
            self.issued[cid] = items
            self.issued_days[cid] = [i.invoice_on for i in items]
            self.issued_amount_prefix[cid] = list(accumulate([i.amount_minor for i in items], initial=0))
            done = sorted(((i.settled_on, (i.settled_on - i.due_on).days, (i.settled_on - i.invoice_on).days,
                            i.invoice_on, i.electronic) for i in items if i.settled_on is not None), key=lambda x: x[0])
            self.settled[cid] = done
            self.settled_days[cid] = [x[0] for x in done]
            delays = [x[1] for x in done]
            self.settled_delay_prefix[cid] = list(accumulate(delays, initial=0))
            self.settled_late_prefix[cid] = list(accumulate([dl > 0 for dl in delays], initial=0))
            self.settled_dtp_prefix[cid] = list(accumulate([x[2] for x in done], initial=0))
            self.settled_sq_prefix[cid] = list(accumulate([dl * dl for dl in delays], initial=0))
        self.promises: dict[int, list[PromiseRecord]] = defaultdict(list)
        for p in promises:
            self.promises[p.customer_id].append(p)
        self.disputes_by_invoice: dict[int, list[DisputeRecord]] = defaultdict(list)
        self.disputes_by_customer: dict[int, list[date]] = defaultdict(list)
        for d in disputes:
            self.disputes_by_invoice[d.invoice_id].append(d)
            self.disputes_by_customer[d.customer_id].append(d.opened_on)
        self.contacts: dict[int, list[tuple[date, bool]]] = defaultdict(list)
        for c in contacts:
            self.contacts[c.customer_id].append((c.on, c.outcome in BAD_OUTCOMES))
        for v in self.contacts.values():
            v.sort()
        self.holidays = holidays
        self._by_month: dict[date, tuple[list[int], list[int]]] | None = None  # built on first use
        self._book_dtp: dict[date, tuple[list[int], list[int]]] = {}  # per D: sorted days to pay, prefix sums
        self._book_delays: dict[date, tuple[list[int], list[int]]] = {}
        self._channel_shift: dict[date, float] = {}

    # ── the customer's settled history before D ───────────────────────────────────────────────
    def history_stats(self, cid: int, d: date) -> tuple[int, float, float, float]:
        """(settled before d, mean delay vs due, late fraction, mean days to pay)."""
        k = bisect_left(self.settled_days.get(cid, []), d)
        if k == 0:
            return 0, ABSENT, ABSENT, ABSENT
        return (k, self.settled_delay_prefix[cid][k] / k, self.settled_late_prefix[cid][k] / k,
                self.settled_dtp_prefix[cid][k] / k)

    def remaining_if_open(self, cid: int, d: date, age: int) -> float:
        """Days still to wait for an invoice open at D at this ``age`` (days since issue), by the customer's
        invoices settled before D that were still open at that age (days to pay ≥ ``age``): their mean of
        (days to pay − age), shrunk towards the book's with weight ``PRIOR_WEIGHT``; 0 when no invoice in the
        book was ever open that long. Integers summed, then the same float operations as
        ``services/prediction_fast.history_rule_columns``."""
        k = bisect_left(self.settled_days.get(cid, []), d)
        own = [x[2] - age for x in self.settled.get(cid, [])[:k] if x[2] >= age]
        n_c, sum_c = len(own), sum(own)
        got = self._book_dtp.get(d)
        if got is None:
            dtp = sorted(x[2] for cid_, days in self.settled_days.items()
                         for x in self.settled[cid_][:bisect_left(days, d)])
            got = self._book_dtp[d] = (dtp, list(accumulate(dtp, initial=0)))
        dtp, prefix = got
        lo = bisect_left(dtp, age)
        n_b = len(dtp) - lo
        sum_b = prefix[-1] - prefix[lo] - age * n_b
        if not n_b:  # older than any invoice the book has seen paid (the customer's are in the book too)
            return 0.0
        return (sum_c + PRIOR_WEIGHT * (sum_b / n_b)) / (n_c + PRIOR_WEIGHT)

    def book_delays(self, d: date) -> tuple[list[int], list[int]]:
        """Over the invoices settled before D's month: (how many have a delay ≥ b, the sum of their delays)
        for each delay b of ``SURV_CLIP`` (index b − low; delays outside count at the edge), and one more,
        empty, at the end."""
        lo, hi = SURV_CLIP
        if self._by_month is None:
            # each delay by the first day of the month after its settlement: known from that day on
            by_month: dict[date, tuple[list[int], list[int]]] = {}
            for inv in self.invoices:
                if inv.settled_on is not None:
                    nxt = month_start(month_start(inv.settled_on) + timedelta(days=31))
                    counts, sums = by_month.get(nxt) or by_month.setdefault(nxt, ([0] * (hi - lo + 2), [0] * (hi - lo + 2)))
                    x = (inv.settled_on - inv.due_on).days
                    b = min(max(x, lo), hi) - lo
                    counts[b] += 1
                    sums[b] += x
            self._by_month = by_month
        m = month_start(d)
        got = self._book_delays.get(m)
        if got is None:
            count = [0] * (hi - lo + 2)
            total = [0] * (hi - lo + 2)
            for month, (c, t) in self._by_month.items():
                if month <= m:
                    for b in range(hi - lo + 1):
                        count[b] += c[b]
                        total[b] += t[b]
            for b in range(hi - lo - 1, -1, -1):
                count[b] += count[b + 1]
                total[b] += total[b + 1]
            got = self._book_delays[m] = (count, total)
        return got

    def channel_shift(self, d: date) -> float:
        """``channel_shift`` over the invoices settled before the first day of D's month (as ``book_delays``:
        what is known at D whatever the day of the month), by customer id."""
        m = month_start(d)
        got = self._channel_shift.get(m)
        if got is None:
            groups: dict[int, list[int]] = {}
            for inv in self.invoices:
                if inv.settled_on is not None and inv.settled_on < m and inv.electronic >= 0:
                    g = groups.setdefault(inv.customer_id, [0, 0, 0, 0])
                    k = 2 * inv.electronic
                    g[k] += 1
                    g[k + 1] += (inv.settled_on - inv.due_on).days
            got = self._channel_shift[m] = channel_shift(
                (g[0], g[1], g[2], g[3]) for _cid, g in sorted(groups.items()))
        return got

    def features(self, inv: InvoiceRecord, d: date) -> list[float]:
        """The feature row of ``inv`` at ``d`` (in ``FEATURES`` order); ``inv`` must be open at d."""
        cid = inv.customer_id
        days = self.settled_days.get(cid, [])
        k = bisect_left(days, d)
        settled = self.settled.get(cid, [])
        age = (d - inv.invoice_on).days
        if k:
            window = settled[max(0, k - 100):k]
            still = [x for x in window if x[2] >= age]
            conditional = [len(still) / len(window), _mean([float(x[1] > 0) for x in still]),
                           _mean([float(x[2] - age) for x in still]),
                           age - self.settled_dtp_prefix[cid][k] / k]
            delays = [x[1] for x in settled[max(0, k - 5):k]]
            mean_delay = self.settled_delay_prefix[cid][k] / k
            var = max(0.0, self.settled_sq_prefix[cid][k] / k - mean_delay ** 2)
            hist = [float(k), mean_delay, self.settled_late_prefix[cid][k] / k, self.settled_dtp_prefix[cid][k] / k,
                    math.sqrt(var), float(delays[-1]), _mean(delays[-3:]), _mean(delays[-3:]) - mean_delay,
                    sum(1 for x in delays if x > 0) / len(delays),
                    float(max(x[1] for x in settled[:k])) if k <= 50 else float(max(x[1] for x in settled[k - 50:k])),
                    float((d - days[k - 1]).days),
                    float(sum(1 for x in settled[max(0, k - 50):k] if x[3] > inv.invoice_on))]
        else:
            hist = [0.0, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, 0.0, ABSENT, ABSENT, ABSENT, 0.0]
            conditional = [ABSENT, ABSENT, ABSENT, ABSENT]
        issued_days = self.issued_days.get(cid, [])
        n_issued = bisect_left(issued_days, d)
        amount_mean = self.issued_amount_prefix[cid][n_issued] / n_issued if n_issued else float(inv.amount_minor)
        open_count = open_overdue = 0
        for other in self.issued.get(cid, [])[max(0, n_issued - 200):n_issued]:
            # other.open_at(d), inline: issued before d (n_issued) and not settled before d
            if other.invoice_id != inv.invoice_id and (other.settled_on is None or other.settled_on >= d):
                open_count += 1
                open_overdue += other.due_on < d
        hol = self.holidays
        promises = [p for p in self.promises.get(cid, ()) if p.made_on < d]
        judged = [p for p in promises if p.promised_on < d]
        broken = sum(1 for p in judged if p.paid_by_promised_minor < p.amount_minor)
        disputed_now = any(x.opened_on < d and (x.resolved_on is None or x.resolved_on >= d)
                           for x in self.disputes_by_invoice.get(inv.invoice_id, ()))
        contacts = self.contacts.get(cid, [])
        recent = contacts[bisect_left(contacts, (d - timedelta(days=90), False)):bisect_left(contacts, (d, False))]
        return [
            float((d - inv.invoice_on).days), float((inv.due_on - d).days), float((inv.due_on - inv.invoice_on).days),
            math.log1p(max(inv.amount_minor, 0) / 100), inv.amount_minor / amount_mean if amount_mean > 0 else 1.0,
            *hist,
            float(open_count), float(open_overdue),
            float(inv.due_on.day), float((month_end(inv.due_on) - inv.due_on).days), float(inv.invoice_on.day),
            float(hol.between(max(d, inv.invoice_on), inv.due_on)) if hol else 0.0,
            float(hol.between(max(d, inv.due_on), max(d, inv.due_on) + timedelta(days=14))) if hol else 0.0,
            float(len(promises)), broken / len(judged) if judged else ABSENT,
            1.0 if disputed_now else 0.0, float(sum(1 for x in self.disputes_by_customer.get(cid, ()) if x < d)),
            float(len(recent)), sum(1 for _on, bad in recent if bad) / len(recent) if recent else ABSENT,
            *conditional,
            *survival(self._own_delays(settled[max(0, k - SURV_WINDOW):k], inv.electronic, d),
                      (d - inv.due_on).days, self.book_delays(d)),
            float(inv.electronic),
        ]

    def _own_delays(self, past: Sequence[tuple[date, int, int, date, int]], electronic: int, d: date) -> list[float]:
        """The customer's past delays moved to this invoice's billing channel: x − shift × (e(this) − e(past)),
        no move when either channel is unknown (``shift``: ``channel_shift`` at D)."""
        if electronic < 0:
            return [float(x[1]) for x in past]
        shift = self.channel_shift(d)
        return [x[1] - shift * ((electronic - x[4]) if x[4] >= 0 else 0) for x in past]

    def open_at(self, d: date) -> list[InvoiceRecord]:
        return [i for i in self.invoices if i.invoice_on < d and (i.settled_on is None or i.settled_on >= d)]

    def global_stats(self, d: date) -> tuple[float, float]:
        """(late fraction, mean days to pay) over every invoice settled before d; defaults without any."""
        n = late = dtp = 0
        for cid, days in self.settled_days.items():
            k = bisect_left(days, d)
            n += k
            if k:
                late += self.settled_late_prefix[cid][k]
                dtp += self.settled_dtp_prefix[cid][k]
        return (late / n, dtp / n) if n else (0.5, 30.0)


# ── the customer-history rule (the fallback, and the baseline the model must beat) ─────────────

PRIOR_WEIGHT = 2.0


def history_rule(history: History, inv: InvoiceRecord, d: date, global_late: float, global_dtp: float) -> tuple[float, date]:
    """(p_late, expected pay date): the customer's own late share and mean days to pay, shrunk towards the
    book's; an invoice already past due is late for sure, and once past the customer's usual day too it is
    expected after the days such invoices still took (``History.remaining_if_open``); never before d."""
    n, _mean_delay, late_frac, mean_dtp = history.history_stats(inv.customer_id, d)
    if d > inv.due_on:
        p = 1.0
    else:
        p = ((late_frac * n if n else 0.0) + PRIOR_WEIGHT * global_late) / (n + PRIOR_WEIGHT)
    dtp = ((mean_dtp * n if n else 0.0) + PRIOR_WEIGHT * global_dtp) / (n + PRIOR_WEIGHT)
    expected = inv.invoice_on + timedelta(days=round(dtp))
    if d > inv.due_on and expected < d:
        # past due and past the customer's usual day: not "today" for all of them (a forecast would put every
        # such invoice in its first week), but as long again as the customer's invoices that were still open
        # at this age took
        expected = d + timedelta(days=round(history.remaining_if_open(inv.customer_id, d, (d - inv.invoice_on).days)))
    return min(max(p, 0.0), 1.0), max(expected, d)


# ── metrics ──────────────────────────────────────────────────────────────────────────────────

def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (ties count half); None when only one class is present."""
    pos = sum(1 for y in labels if y)
    neg = len(labels) - pos
    if not pos or not neg:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            if labels[order[k]]:
                rank_sum += avg
        i = j + 1
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def capture(weights: Sequence[float], scores: Sequence[float], top: float = 0.2) -> float | None:
    """Share of the total weight (true late days × amount) held by the top ``top`` share ranked by score."""
    total = sum(weights)
    if total <= 0:
        return None
    n = max(1, round(len(scores) * top))
    ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:n]
    return sum(weights[i] for i in ranked) / total


def wape(forecast: Sequence[float], actual: Sequence[float]) -> float | None:
    """Weighted absolute percentage error, %: Σ|F − A| / ΣA."""
    total = sum(actual)
    if total <= 0:
        return None
    return sum(abs(f - a) for f, a in zip(forecast, actual, strict=True)) / total * 100


# ── training samples ─────────────────────────────────────────────────────────────────────────

SNAPSHOT_AGES = (*range(0, 61, 4), 75, 90, 120)


@dataclass(frozen=True, slots=True)
class Sample:
    invoice: InvoiceRecord
    at: date  # the snapshot day the features are computed at
    late: int  # 1 when settled after its due day
    remaining: int  # days from the snapshot to settlement
    late_days: int  # max(0, settled − due)


def settle_horizon(history: History, before: date) -> int:
    """Days within which 95 % of the invoices settled before ``before`` were paid (30 … 180)."""
    dtp = sorted((i.settled_on - i.invoice_on).days for i in history.invoices
                 if i.settled_on is not None and i.settled_on < before)
    if not dtp:
        return 60
    return min(180, max(30, dtp[int(0.95 * (len(dtp) - 1))]))


def training_samples(history: History, before: date, cap: int = 100_000) -> list[Sample]:
    """Snapshots of invoices settled before ``before``, taken while they were still open.

    Only invoices issued at least one settlement horizon before ``before`` are used: among the more recent
    ones only the quick payers have settled yet, and learning from them alone would bias the model towards
    early payment. Each kept invoice is seen at the ages of ``SNAPSHOT_AGES`` it was still open at (the day
    after issue for age 0). Above ``cap`` rows, invoices are thinned by a fixed stride (deterministic)."""
    horizon = timedelta(days=settle_horizon(history, before))
    chosen = [i for i in history.invoices
              if i.settled_on is not None and i.settled_on < before and i.invoice_on <= before - horizon]
    per_invoice = 10  # snapshots an invoice gives on average (open about 40 days)
    stride = max(1, math.ceil(len(chosen) * per_invoice / cap)) if cap else 1
    out: list[Sample] = []
    for n, inv in enumerate(chosen):
        if n % stride:
            continue
        settled = inv.settled_on
        if settled is None:  # (for the type checker: chosen invoices are settled)
            continue
        for age in SNAPSHOT_AGES:
            d = inv.invoice_on + timedelta(days=max(age, 1))
            if d > settled or d >= before:
                break
            out.append(Sample(inv, d, int(settled > inv.due_on), (settled - d).days, max(0, (settled - inv.due_on).days)))
    return out
