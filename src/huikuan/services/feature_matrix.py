"""The payment model's features for many (invoice, date) rows at once, as NumPy columns.

``domain/prediction.py`` defines every feature, row by row (``History.features``): that code is the
specification and what the leak tests check. This module computes the same numbers for a whole book in a
few array passes — at 10⁶ invoices the per-row code and the objects it needs cost most of ``predict``.
``tests/unit/test_feature_matrix.py`` compares the two, value for value, on random books and dates.

The book is columns in two orders: invoices *issued* per customer by (invoice day, id), and invoices
*settled* per customer by (settlement day, invoice day, id) — the orders ``History`` keeps in lists. A
customer's facts before D are a prefix of each order, found by one ``searchsorted`` on a key
``customer × 2²² + day``; sums over a prefix come from running totals, and the bounded windows (last 3, 5,
50, 100 settled; last 200 issued) from a padded gather. Days are proleptic ordinals (``date.toordinal``).

Adding a feature: name it in ``FEATURES`` and compute it in ``History.features`` (the definition), then
set ``cols["name"]`` in ``_chunk`` below; the comparison test fails until both agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from ..domain.prediction import (
    ABSENT,
    BAD_OUTCOMES,
    FEATURES,
    SURV_CLIP,
    SURV_PRIOR,
    SURV_WIDTH,
    SURV_WINDOW,
    ContactRecord,
    DisputeRecord,
    History,
    HolidayIndex,
    PromiseRecord,
    channel_shift,
)
from ..domain.terms import month_end

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
SHIFT = 1 << 22  # days (ordinals up to ~740,000 today) fit below it; customer ids above it
NEVER = 1 << 40  # "not settled" as a day: after every real day
_CHUNK_CELLS = 4_000_000  # rows × window width gathered at once (a few tens of MB per array)


def _i(xs: Iterable[int]) -> Ints:
    return np.fromiter(xs, dtype=np.int64)


@dataclass
class _Keyed:
    """Facts of one kind sorted by (customer, day): count a customer's facts in a day range by bisection."""

    key: Ints

    @classmethod
    def of(cls, customers: Ints, days: Ints) -> _Keyed:
        return cls(np.sort(customers * SHIFT + days))

    def count(self, customers: Ints, lo: Ints | None, hi: Ints) -> Ints:
        """Facts of each row's customer with lo ≤ day < hi (lo None: from the first)."""
        end = np.searchsorted(self.key, customers * SHIFT + hi, side="left")
        start = np.searchsorted(self.key, customers * SHIFT + (lo if lo is not None else 0), side="left")
        return (end - start).astype(np.int64)


class FeatureBook:
    """A book as columns, for ``features(rows, days)`` equal to ``History.features`` row by row."""

    def __init__(self, invoice_id: Ints, customer: Ints, invoice_on: Ints, due_on: Ints, amount: Ints,
                 settled_on: Ints, promises: Sequence[PromiseRecord] = (), disputes: Sequence[DisputeRecord] = (),
                 contacts: Sequence[ContactRecord] = (), holidays: HolidayIndex | None = None,
                 electronic: Ints | None = None) -> None:
        """``settled_on`` holds ``NEVER`` for an invoice not (fully) settled; ``electronic`` the billing channel
        (1 electronic, 0 paper, -1 unknown; None: all unknown); rows are in any order."""
        self.invoice_id, self.customer, self.invoice_on = invoice_id, customer, invoice_on
        self.due_on, self.amount, self.settled_on = due_on, amount, settled_on
        self.electronic = electronic if electronic is not None else np.full(len(invoice_id), -1, dtype=np.int64)
        # issued order: (customer, invoice day, id)
        order = np.lexsort((invoice_id, invoice_on, customer))
        self.issued = order
        self.issued_key = customer[order] * SHIFT + invoice_on[order]
        self.issued_amount_sum = np.concatenate(([0], np.cumsum(amount[order])))
        # settled order: (customer, settlement day, invoice day, id) over settled invoices only
        done = np.flatnonzero(settled_on != NEVER)
        s_order = done[np.lexsort((invoice_id[done], invoice_on[done], settled_on[done], customer[done]))]
        self.settled = s_order
        s_cust, s_day = customer[s_order], settled_on[s_order]
        self.settled_key = s_cust * SHIFT + s_day
        # (one element more at the end: a window's pads point at position 0, which must exist)
        pad = np.zeros(1, dtype=np.int64)
        self.s_day = np.concatenate((s_day, pad))
        self.s_delay = np.concatenate((s_day - due_on[s_order], pad))
        self.s_dtp = np.concatenate((s_day - invoice_on[s_order], pad))
        self.s_ion = np.concatenate((invoice_on[s_order], pad))
        self.s_elec = np.concatenate((self.electronic[s_order], pad))

        def running(x: Ints) -> Ints:
            return np.concatenate(([0], np.cumsum(x))).astype(np.int64)

        delay, dtp = self.s_delay[:-1], self.s_dtp[:-1]
        self.sum_delay = running(delay)
        self.sum_late = running((delay > 0).astype(np.int64))
        self.sum_dtp = running(dtp)
        self.sum_sq = running(delay * delay)
        pc = _i(p.customer_id for p in promises)
        self.promises_made = _Keyed.of(pc, _i(p.made_on.toordinal() for p in promises))
        judged_day = _i(max(p.made_on, p.promised_on).toordinal() for p in promises)  # made and due before D
        self.promises_judged = _Keyed.of(pc, judged_day)
        broken = np.array([p.paid_by_promised_minor < p.amount_minor for p in promises], dtype=bool)
        self.promises_broken = _Keyed.of(pc[broken], judged_day[broken])
        self.disputes_opened = _Keyed.of(_i(x.customer_id for x in disputes), _i(x.opened_on.toordinal() for x in disputes))
        self.disputes_by_invoice: dict[int, list[tuple[int, int]]] = {}
        for x in disputes:
            self.disputes_by_invoice.setdefault(x.invoice_id, []).append(
                (x.opened_on.toordinal(), x.resolved_on.toordinal() if x.resolved_on is not None else NEVER))
        cc = _i(c.customer_id for c in contacts)
        cd = _i(c.on.toordinal() for c in contacts)
        bad = np.array([c.outcome in BAD_OUTCOMES for c in contacts], dtype=bool)
        self.contacts_all = _Keyed.of(cc, cd)
        self.contacts_bad = _Keyed.of(cc[bad], cd[bad])
        self._book_months: tuple[Ints, Ints, Ints] | None = None  # the book's delays per month, on first use
        self._shifts: dict[int, float] = {}  # the channel effect per month index (year × 12 + month − 1)
        self._channel_facts: tuple[Ints, Ints, Ints, Ints] | None = None  # settled invoices of a known channel
        self.holidays = holidays
        if holidays is not None:
            self.hol_start = holidays.start.toordinal()
            self.hol_counts = np.asarray(holidays.counts, dtype=np.int64)

    @classmethod
    def of_history(cls, h: History) -> FeatureBook:
        inv = h.invoices
        return cls(_i(i.invoice_id for i in inv), _i(i.customer_id for i in inv), _i(i.invoice_on.toordinal() for i in inv),
                   _i(i.due_on.toordinal() for i in inv), _i(i.amount_minor for i in inv),
                   _i(i.settled_on.toordinal() if i.settled_on is not None else NEVER for i in inv),
                   [p for ps in h.promises.values() for p in ps], _disputes(h), _contacts(h), h.holidays,
                   _i(i.electronic for i in inv))

    def open_at(self, d: date) -> Ints:
        """Rows of the invoices open at ``d`` (issued before it, not settled before it), in row order."""
        x = d.toordinal()
        return np.flatnonzero((self.invoice_on < x) & (self.settled_on >= x))

    def features(self, rows: Ints, days: Ints) -> Floats:
        """The feature matrix (``len(rows)`` × ``len(FEATURES)``) of invoice ``rows`` at day ordinals ``days``;
        each invoice must be issued before its day (open at it, for a prediction)."""
        out = np.empty((len(rows), len(FEATURES)), dtype=np.float64)
        step = 50_000
        for k in range(0, len(rows), step):
            out[k:k + step] = self._chunk(rows[k:k + step], days[k:k + step])
        return out

    # ── the computation, a chunk of rows at a time ─────────────────────────────────────────────
    def _window(self, ends: Ints, firsts: Ints, limit: int) -> tuple[Ints, npt.NDArray[np.bool_]]:
        """Positions ``ends - limit … ends - 1`` not before ``firsts`` (the customer's first), padded to
        the widest window with a mask; pads point at position 0."""
        starts = np.maximum(firsts, ends - limit)
        width = int(max(1, (ends - starts).max(initial=0)))
        pos = ends[:, None] + np.arange(-width, 0, dtype=np.int64)[None, :]
        mask = pos >= starts[:, None]
        return np.where(mask, pos, 0), mask

    def _chunk(self, rows: Ints, d: Ints) -> Floats:
        n = len(rows)
        cust = self.customer[rows]
        ion, due, amount = self.invoice_on[rows], self.due_on[rows], self.amount[rows]
        age = d - ion
        cols: dict[str, Any] = {}
        cols["age"] = age
        cols["days_to_due"] = due - d
        cols["terms_days"] = due - ion
        # math.log1p, not np.log1p: NumPy's vector log can differ from the C library's in the last bit
        cols["log_amount"] = np.fromiter(map(math.log1p, (np.maximum(amount, 0) / 100).tolist()), np.float64, n)
        # ── settled history before d ──
        s_first = np.searchsorted(self.settled_key, cust * SHIFT, side="left")
        s_end = np.searchsorted(self.settled_key, cust * SHIFT + d, side="left")
        k = s_end - s_first
        has = k > 0
        kk = np.where(has, k, 1)

        def total(run: Ints) -> Ints:
            return run[s_end] - run[s_first]

        mean_delay = total(self.sum_delay) / kk
        mean_dtp = total(self.sum_dtp) / kk
        var = np.maximum(0.0, total(self.sum_sq) / kk - mean_delay ** 2)
        last = np.maximum(s_end - 1, 0)
        pos5, m5 = self._window(s_end, s_first, 5)
        pos3, m3 = self._window(s_end, s_first, 3)
        d5 = self.s_delay[pos5]
        n5, n3 = m5.sum(axis=1), m3.sum(axis=1)
        last3 = np.where(m3, self.s_delay[pos3], 0).sum(axis=1) / np.maximum(n3, 1)
        pos50, m50 = self._window(s_end, s_first, 50)
        max50 = np.where(m50, self.s_delay[pos50], np.iinfo(np.int64).min).max(axis=1)
        later = (m50 & (self.s_ion[pos50] > ion[:, None])).sum(axis=1)
        pos100, m100 = self._window(s_end, s_first, 100)
        dtp100 = self.s_dtp[pos100]
        still = m100 & (dtp100 >= age[:, None])
        n_still = still.sum(axis=1)
        late_still = (still & (self.s_delay[pos100] > 0)).sum(axis=1)
        rem_still = np.where(still, dtp100 - age[:, None], 0).sum(axis=1)
        ns = np.maximum(n_still, 1)

        def hist(x: Any, absent: float = ABSENT) -> Floats:
            return np.where(has, x, absent).astype(np.float64)

        cols["hist_n"] = k
        cols["hist_mean_delay"] = hist(mean_delay)
        cols["hist_late_frac"] = hist(total(self.sum_late) / kk)
        cols["hist_mean_dtp"] = hist(mean_dtp)
        cols["hist_std_delay"] = hist(np.sqrt(var))
        cols["hist_last_delay"] = hist(self.s_delay[last])
        cols["hist_last3_delay"] = hist(last3)
        cols["hist_trend"] = hist(last3 - mean_delay, 0.0)
        cols["hist_recent_late_frac"] = hist((m5 & (d5 > 0)).sum(axis=1) / np.maximum(n5, 1))
        cols["hist_max_delay"] = hist(max50)
        cols["days_since_last_settlement"] = hist(d - self.s_day[last])
        cols["later_invoices_settled"] = hist(later, 0.0)
        cols["hist_frac_open_this_long"] = hist(n_still / np.maximum(m100.sum(axis=1), 1))
        cols["hist_late_given_open"] = np.where(has & (n_still > 0), late_still / ns, ABSENT)
        cols["hist_remaining_given_open"] = np.where(has & (n_still > 0), rem_still / ns, ABSENT)
        cols["age_minus_mean_dtp"] = hist(age - mean_dtp)
        pos_w, m_w = self._window(s_end, s_first, SURV_WINDOW)
        # the past delays moved to this invoice's billing channel (``History._own_delays``)
        e_this = self.electronic[rows]
        e_past = self.s_elec[pos_w]
        adj = np.where((e_this[:, None] >= 0) & (e_past >= 0), e_this[:, None] - e_past, 0)
        own = self.s_delay[pos_w].astype(np.float64) - self._channel_shifts(d)[:, None] * adj
        cols["surv_p_late"], cols["surv_remaining"], cols["surv_late_days"] = self._survival(own, m_w, d - due, d)
        cols["electronic"] = e_this
        # ── invoices issued before d ──
        i_first = np.searchsorted(self.issued_key, cust * SHIFT, side="left")
        i_end = np.searchsorted(self.issued_key, cust * SHIFT + d, side="left")
        n_issued = i_end - i_first
        issued_sum = self.issued_amount_sum[i_end] - self.issued_amount_sum[i_first]
        amount_mean = np.where(n_issued > 0, issued_sum / np.maximum(n_issued, 1), amount.astype(np.float64))
        cols["amount_rel"] = np.where(amount_mean > 0, amount / np.where(amount_mean > 0, amount_mean, 1.0), 1.0)
        pos200, m200 = self._window(i_end, i_first, 200)
        other = self.issued[pos200]
        open_other = m200 & (self.invoice_id[other] != self.invoice_id[rows][:, None]) & \
            (self.settled_on[other] >= d[:, None])
        cols["open_count"] = open_other.sum(axis=1)
        cols["open_overdue_count"] = (open_other & (self.due_on[other] < d[:, None])).sum(axis=1)
        # ── calendar ──
        cols["due_day"], cols["due_to_month_end"] = _per_day(due)
        cols["invoice_day"] = _per_day(ion)[0]
        if self.holidays is not None:
            start = np.maximum(d, ion)
            cols["holidays_to_due"] = self._holidays(start, due)
            after = np.maximum(d, due)
            cols["holidays_after_due"] = self._holidays(after, after + 14)
        else:
            cols["holidays_to_due"] = cols["holidays_after_due"] = np.zeros(n)
        # ── promises, disputes, contacts before d ──
        made = self.promises_made.count(cust, None, d)
        judged = self.promises_judged.count(cust, None, d)
        broken = self.promises_broken.count(cust, None, d)
        cols["promises"] = made
        cols["promises_broken_frac"] = np.where(judged > 0, broken / np.maximum(judged, 1), ABSENT)
        disputed = np.zeros(n)
        if self.disputes_by_invoice:
            ids = self.invoice_id[rows]
            for at in np.flatnonzero(np.isin(ids, np.fromiter(self.disputes_by_invoice, dtype=np.int64))).tolist():
                day = int(d[at])
                disputed[at] = float(any(o < day <= r for o, r in self.disputes_by_invoice[int(ids[at])]))
        cols["disputed_now"] = disputed
        cols["disputes"] = self.disputes_opened.count(cust, None, d)
        recent = self.contacts_all.count(cust, d - 90, d)
        bad = self.contacts_bad.count(cust, d - 90, d)
        cols["contacts_90d"] = recent
        cols["contacts_bad_frac"] = np.where(recent > 0, bad / np.maximum(recent, 1), ABSENT)
        out = np.empty((n, len(FEATURES)), dtype=np.float64)
        for col, name in enumerate(FEATURES):
            out[:, col] = cols[name]
        return out

    def _book_delays(self, d: Ints) -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
        """``History.book_delays`` per row, as (counts, sums, row index): months × bins suffix totals over the
        invoices settled before the first day of each month, and each row's month in them (-1: none yet;
        the caller gathers only the bins it needs — rows × bins would be hundreds of MB at 10⁶)."""
        lo, hi = SURV_CLIP
        bins = hi - lo + 2
        if self._book_months is None:
            s = self.settled
            settled = self.settled_on[s]
            ym = _month_index(settled) + 1  # known from the first day of the month after settlement
            delay = settled - self.due_on[s]
            months, back = np.unique(ym, return_inverse=True)
            counts = np.zeros((len(months) + 1, bins), dtype=np.int64)  # last row: none (all zero)
            sums = np.zeros((len(months) + 1, bins), dtype=np.int64)
            b = np.clip(delay, lo, hi) - lo
            np.add.at(counts, (back, b), 1)
            np.add.at(sums, (back, b), delay)
            counts[:-1], sums[:-1] = np.cumsum(counts[:-1], axis=0), np.cumsum(sums[:-1], axis=0)  # months up to
            # suffix totals over the delays: "delay ≥ b"
            counts = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
            sums = np.cumsum(sums[:, ::-1], axis=1)[:, ::-1]
            self._book_months = (months, counts, sums)
        months, counts, sums = self._book_months
        at = np.searchsorted(months, _month_index(d), side="right") - 1
        return counts, sums, np.where(at < 0, len(months), at)  # before the first month: the empty row

    def _channel_shifts(self, d: Ints) -> Floats:
        """``History.channel_shift`` per row: the customers' (paper, electronic) counts and delay sums over the
        invoices settled before the first day of each row's month, handed to the domain's ``channel_shift``
        in customer order (once per distinct month)."""
        months, back = np.unique(_month_index(d), return_inverse=True)
        out = np.empty(len(months), dtype=np.float64)
        if self._channel_facts is None:
            s = self.settled
            known = s[self.electronic[s] >= 0]
            self._channel_facts = (_month_index(self.settled_on[known]) + 1,  # known from the next month's first day
                                   self.customer[known], self.electronic[known],
                                   self.settled_on[known] - self.due_on[known])
        after, cust, elec, delay = self._channel_facts
        for k, m in enumerate(months.tolist()):
            got = self._shifts.get(m)
            if got is None:
                sel = after <= m
                ids, at = np.unique(cust[sel], return_inverse=True)
                agg = np.zeros((len(ids), 4), dtype=np.int64)
                col = 2 * elec[sel]
                np.add.at(agg, (at, col), 1)
                np.add.at(agg, (at, col + 1), delay[sel])
                got = self._shifts[m] = channel_shift(map(tuple, agg.tolist()))  # type: ignore[arg-type]
            out[k] = got
        return out[back.reshape(-1)]

    def _survival(self, own: Floats, valid: npt.NDArray[np.bool_], t: Ints, d: Ints) -> tuple[Floats, Floats, Floats]:
        """``domain.prediction.survival`` per row, the same operations in the same order (bit for bit)."""
        lo, hi = SURV_CLIP
        counts, sums, month = self._book_delays(d)
        tp = t - 0.5
        late_from = np.maximum(t, 1)
        cc = np.maximum(tp, 0.0)
        nb = counts[month, 0]
        has_book = nb > 0
        wb = SURV_PRIOR / np.where(has_book, nb, 1)
        it = np.minimum(np.maximum(t, lo), hi + 1) - lo
        il = np.minimum(np.maximum(late_from, lo), hi + 1) - lo
        s_t = np.where(has_book, wb * counts[month, it], 0.0)
        s_late = np.where(has_book, wb * counts[month, il], 0.0)
        late_mass = np.where(has_book, wb * sums[month, il], 0.0)
        mean_mass = np.where(has_book, wb * sums[month, it], 0.0)
        for j in range(own.shape[1]):
            x, ok = own[:, j], valid[:, j]
            s_t = s_t + np.where(ok, _sf(tp - x), 0.0)
            s_late = s_late + np.where(ok, _sf(late_from - 0.5 - x), 0.0)
            late_mass = late_mass + np.where(ok, cc * _sf(cc - x) + _pe(cc - x), 0.0)
            mean_mass = mean_mass + np.where(ok, tp * _sf(tp - x) + _pe(tp - x), 0.0)
        some = s_t > 0
        div = np.where(some, s_t, 1.0)
        beyond = ~some & (t >= 1) & (has_book | valid.any(axis=1))  # past due longer than any delay seen
        return (np.where(some, s_late / div, np.where(beyond, 1.0, ABSENT)),
                np.where(some, mean_mass / div - t, np.where(beyond, 0.0, ABSENT)),
                np.where(some, late_mass / div, np.where(beyond, t.astype(np.float64), ABSENT)))

    def _holidays(self, a: Ints, b: Ints) -> Ints:
        """``HolidayIndex.between(a, b)`` for arrays of day ordinals."""
        counts = self.hol_counts
        last = len(counts) - 1
        i = np.clip(a - self.hol_start, 0, last)
        j = np.clip(b - self.hol_start + 1, 0, last)
        return np.where(b < a, 0, counts[j] - counts[i])


def _sf(v: Floats) -> Floats:
    """``domain.prediction.surv_sf`` elementwise (same expressions)."""
    h = SURV_WIDTH
    return np.where(v <= -h, 1.0, np.where(v <= 0, 1.0 - (v + h) * (v + h) / (2 * h * h),
                                           np.where(v < h, (h - v) * (h - v) / (2 * h * h), 0.0)))


def _pe(v: Floats) -> Floats:
    """``domain.prediction.surv_pe`` elementwise (same expressions)."""
    h = SURV_WIDTH
    return np.where(v >= h, 0.0, np.where(v >= 0, (h - v) * (h - v) * (h - v) / (6 * h * h),
                                          np.where(v >= -h, (v + h) * (v + h) * (v + h) / (6 * h * h) - v, -v)))


def _month_index(days: Ints) -> Ints:
    """year × 12 + month − 1 of each day ordinal (worked out once per distinct day)."""
    uniq, back = np.unique(days, return_inverse=True)
    out = np.empty(len(uniq), dtype=np.int64)
    for k, x in enumerate(uniq.tolist()):
        day = date.fromordinal(min(x, date.max.toordinal()))
        out[k] = day.year * 12 + day.month - 1
    return out[back].reshape(np.shape(days))


def _per_day(days: Ints) -> tuple[Ints, Ints]:
    """(day of month, days to the month's end) of each day ordinal, worked out once per distinct day."""
    uniq, back = np.unique(days, return_inverse=True)
    dom = np.empty(len(uniq), dtype=np.int64)
    to_end = np.empty(len(uniq), dtype=np.int64)
    for k, x in enumerate(uniq.tolist()):
        day = date.fromordinal(x)
        dom[k] = day.day
        to_end[k] = (month_end(day) - day).days
    return dom[back], to_end[back]


def _disputes(h: History) -> list[DisputeRecord]:
    return [x for xs in h.disputes_by_invoice.values() for x in xs]


def _contacts(h: History) -> list[ContactRecord]:
    # History keeps (day, bad) per customer; an outcome that stands for "bad" is enough to rebuild it
    bad, good = next(iter(sorted(BAD_OUTCOMES))), "reached"
    return [ContactRecord(cid, on, bad if is_bad else good) for cid, xs in h.contacts.items() for on, is_bad in xs]
