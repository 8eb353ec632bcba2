"""The columnar customer-history rule (``history_rule_columns`` in services/prediction_fast.py) equals the
per-row definition (``history_rule`` with ``History.history_stats`` and ``History.global_stats`` in
domain/prediction.py) to the bit: on random books at random dates — the very days invoices were settled
(settled on D: still open, not yet history) and fell due (due on D: not yet past due) included — with
customers without any history, past-due invoices and shrunk days to pay exactly halfway between two days
(Python's ``round`` takes the even one)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_prediction_features import BASE, _seeded_history, book

from huikuan.domain.prediction import PRIOR_WEIGHT, History, InvoiceRecord, history_rule
from huikuan.services.feature_matrix import NEVER
from huikuan.services.prediction_fast import history_rule_columns


def _compare(h: History, d: date) -> list[float]:
    """Assert the columnar rule equals the per-row one for every invoice open at ``d``; the shrunk days to
    pay of each row (to see which cases the book covered)."""
    inv = h.invoices
    settled = np.array([i.settled_on.toordinal() if i.settled_on is not None else NEVER for i in inv], dtype=np.int64)
    rows = np.array([r for r, i in enumerate(inv) if i.open_at(d)], dtype=np.int64)
    got = history_rule_columns(np.array([i.customer_id for i in inv], dtype=np.int64),
                               np.array([i.invoice_on.toordinal() for i in inv], dtype=np.int64),
                               np.array([i.due_on.toordinal() for i in inv], dtype=np.int64), settled, rows, d)
    g_late, g_dtp = h.global_stats(d)
    assert (got.global_late, got.global_dtp) == (g_late, g_dtp)
    assert got.settled == sum(1 for i in inv if i.settled_on is not None and i.settled_on < d)
    shrunk = []
    for k, r in enumerate(rows.tolist()):
        i = inv[r]
        n, _delay, late_frac, mean_dtp = h.history_stats(i.customer_id, d)
        p, when = history_rule(h, i, d, g_late, g_dtp)
        assert (int(got.n[k]), float(got.late_frac[k]), float(got.mean_dtp[k])) == (n, late_frac, mean_dtp), i
        assert (float(got.p_late[k]), date.fromordinal(int(got.expected[k]))) == (p, when), (i, d)
        shrunk.append(((mean_dtp * n if n else 0.0) + PRIOR_WEIGHT * g_dtp) / (n + PRIOR_WEIGHT))
    assert len(got.p_late) == len(got.expected) == len(rows)
    return shrunk


@settings(max_examples=150, deadline=None)
@given(book(), st.integers(min_value=0, max_value=330), st.data())
def test_the_columnar_rule_equals_the_per_row_rule_on_random_books(b, offset, data):
    invoices = b[0]
    fact_days = [x for i in invoices for x in (i.invoice_on, i.settled_on, i.due_on) if x]
    at = data.draw(st.one_of(st.just(BASE + timedelta(days=offset)), st.sampled_from(fact_days)))
    _compare(History(invoices), at)


def _small_book(rnd: random.Random) -> list[InvoiceRecord]:
    """Few invoices paid within days: shrunk means land on halves often."""
    out = []
    for n in range(rnd.randint(1, 30)):
        on = BASE + timedelta(days=rnd.randrange(0, 60))
        due = on + timedelta(days=rnd.choice((0, 3, 7)))
        settled = None if rnd.random() < 0.3 else on + timedelta(days=rnd.randint(0, 9))
        out.append(InvoiceRecord(n, str(n), rnd.randint(1, 6), on, due, 1000, settled))
    return out


def test_the_columnar_rule_on_many_small_books_with_ties_at_the_half():
    rnd = random.Random(5)
    shrunk: list[float] = []
    for _ in range(400):
        invoices = _small_book(rnd)
        days = [x for i in invoices for x in (i.invoice_on, i.settled_on, i.due_on) if x]
        shrunk += _compare(History(invoices), rnd.choice(days))
    halves = [x for x in shrunk if x % 1 == 0.5]
    # halves rounded down (2.5 → 2) and up (3.5 → 4): round-half-up or -down would fail on some
    assert {int(x) % 2 for x in halves} == {0, 1} and len(halves) > 20, len(halves)


def test_the_columnar_rule_by_hand_at_the_half_and_without_history():
    """The book's mean days to pay is 2.5 (2 and 3 days), then 3.5 (3 and 4): a customer without history
    is expected 2 days after issue, then 4 (half to even); an invoice past due is late for sure, and one
    settled on D is still open at D."""
    d = BASE + timedelta(days=10)
    paid = [InvoiceRecord(1, "1", 1, BASE, BASE + timedelta(days=2), 1000, BASE + timedelta(days=2)),  # on time
            InvoiceRecord(2, "2", 1, BASE, BASE, 1000, BASE + timedelta(days=3))]  # late
    fresh = [InvoiceRecord(3, "3", 2, d - timedelta(days=1), d + timedelta(days=30), 1000, None),
             InvoiceRecord(4, "4", 2, d - timedelta(days=9), d - timedelta(days=1), 1000, d)]
    h = History(paid + fresh)
    assert _compare(h, d) == [2.5, 2.5]
    assert [history_rule(h, i, d, *h.global_stats(d)) for i in fresh] == [
        (0.5, d + timedelta(days=1)), (1.0, d)]  # the second: 2 days after issue is before D
    later = [InvoiceRecord(1, "1", 1, BASE, BASE, 1000, BASE + timedelta(days=3)),
             InvoiceRecord(2, "2", 1, BASE, BASE, 1000, BASE + timedelta(days=4))]
    fresh = [InvoiceRecord(3, "3", 2, d + timedelta(days=1), d + timedelta(days=30), 1000, None)]
    h = History(later + fresh)
    assert _compare(h, d + timedelta(days=2)) == [3.5]
    assert history_rule(h, fresh[0], d + timedelta(days=2), *h.global_stats(d + timedelta(days=2)))[1] == \
        d + timedelta(days=5)


def test_the_columnar_rule_on_a_seeded_book_and_an_empty_one():
    h = _seeded_history()
    for d in (date(2025, 1, 1), date(2025, 3, 1), date(2025, 7, 15), date(2025, 12, 31), date(2026, 2, 10)):
        _compare(h, d)
    _compare(History([]), date(2025, 1, 1))


def test_an_invoice_past_due_and_past_the_usual_day_waits_as_long_as_such_invoices_did():
    """Customer 1 paid in 4, 6 and 20 days, customer 2 in 30: the shrunk mean is (3 × 10 + 2 × 15) / 5 = 12 days.
    An invoice of customer 1 issued 15 days before D and past due is past that too: of customer 1's invoices
    one was still open at 15 days (5 more days), of the book's two (5 and 15: 10 on average), so it is expected
    (5 + 2 × 10) / (1 + 2) = 8.3 → 8 days after D — not on D, where all of them landed before. One issued 10
    days before D (usual day still ahead) keeps its usual day; one older than any paid invoice stays on D."""
    d = BASE + timedelta(days=100)
    paid = [InvoiceRecord(n, str(n), 1, BASE, BASE + timedelta(days=3), 1000, BASE + timedelta(days=dtp))
            for n, dtp in ((1, 4), (2, 6), (3, 20))]
    paid.append(InvoiceRecord(4, "4", 2, BASE, BASE + timedelta(days=3), 1000, BASE + timedelta(days=30)))
    open_ = [InvoiceRecord(5, "5", 1, d - timedelta(days=15), d - timedelta(days=12), 1000, None),
             InvoiceRecord(6, "6", 1, d - timedelta(days=10), d - timedelta(days=7), 1000, None),
             InvoiceRecord(7, "7", 1, d - timedelta(days=40), d - timedelta(days=37), 1000, None)]
    h = History(paid + open_)
    assert h.remaining_if_open(1, d, 15) == 25 / 3
    got = [history_rule(h, i, d, *h.global_stats(d)) for i in open_]
    assert got == [(1.0, d + timedelta(days=8)), (1.0, d + timedelta(days=2)), (1.0, d)]
    _compare(h, d)
