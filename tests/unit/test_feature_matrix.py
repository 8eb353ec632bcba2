"""The vectorised feature matrix (services/feature_matrix.py) equals the per-row definition
(``History.features`` in domain/prediction.py), value for value: on random books at random dates (the
very days of facts included), on a seeded book at every open invoice, and on training snapshots taken at
a different day per row."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_prediction_features import BASE, _seeded_history, book

from huikuan.domain.prediction import FEATURES, History, HolidayIndex, training_samples
from huikuan.services.feature_matrix import FeatureBook


def _reference(h: History, pairs: list[tuple[int, date]]) -> np.ndarray:
    return np.array([h.features(h.invoices[r], d) for r, d in pairs], dtype=np.float64).reshape(-1, len(FEATURES))


def _fast(h: History, pairs: list[tuple[int, date]]) -> np.ndarray:
    fb = FeatureBook.of_history(h)
    rows = np.array([r for r, _ in pairs], dtype=np.int64)
    days = np.array([d.toordinal() for _, d in pairs], dtype=np.int64)
    return fb.features(rows, days)


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    for j, name in enumerate(FEATURES):
        bad = np.flatnonzero(a[:, j] != b[:, j])
        assert not len(bad), (name, bad[:5], a[bad[:5], j], b[bad[:5], j])


@settings(max_examples=80, deadline=None)
@given(book(), st.integers(min_value=0, max_value=330), st.data())
def test_matrix_equals_the_per_row_features_on_random_books(b, offset, data):
    invoices, promises, disputes, contacts = b
    fact_days = [x for i in invoices for x in (i.invoice_on, i.settled_on, i.due_on) if x] + \
        [p.promised_on for p in promises] + [c.on + timedelta(days=90) for c in contacts]
    at = data.draw(st.one_of(st.just(BASE + timedelta(days=offset)), st.sampled_from(fact_days)))
    hol = HolidayIndex(lambda d: d.weekday() < 5 and d.day != 1, BASE - timedelta(days=10), BASE + timedelta(days=800))
    h = History(invoices, promises, disputes, contacts, hol)
    pairs = [(r, at) for r, i in enumerate(h.invoices) if i.open_at(at)]
    _same(_fast(h, pairs), _reference(h, pairs))
    fb = FeatureBook.of_history(h)
    assert fb.open_at(at).tolist() == [r for r, _ in pairs]


@pytest.mark.parametrize("channels", [False, True])
def test_matrix_equals_the_per_row_features_on_a_seeded_book(channels):
    h = _seeded_history(channels)
    pairs = [(r, d) for d in (date(2025, 3, 1), date(2025, 7, 15), date(2025, 12, 31), date(2026, 2, 10))
             for r, i in enumerate(h.invoices) if i.open_at(d)]
    assert len(pairs) == (581 if channels else 567)
    if channels:  # the past delays are moved: this book's paper invoices are paid 6 days later, give or take
        assert [round(h.channel_shift(d), 2) for d in (date(2025, 3, 1), date(2025, 12, 31))] == [14.46, 11.6]
    _same(_fast(h, pairs), _reference(h, pairs))
    # training snapshots: each row at its own day
    by_id = {i.invoice_id: r for r, i in enumerate(h.invoices)}
    pairs = [(by_id[s.invoice.invoice_id], s.at) for s in training_samples(h, date(2026, 1, 1))]
    _same(_fast(h, pairs), _reference(h, pairs))


def test_matrix_without_history_or_holidays():
    h = _seeded_history()
    bare = History([i for i in h.invoices if i.customer_id == 3])
    d = date(2025, 6, 1)
    pairs = [(r, d) for r, i in enumerate(bare.invoices) if i.open_at(d)]
    _same(_fast(bare, pairs), _reference(bare, pairs))
    assert len(_fast(bare, [])) == 0
