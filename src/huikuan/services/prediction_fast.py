"""``predict`` with a trained model over a whole book: the book read as NumPy columns, the features of every
open invoice computed at once (``feature_matrix``), the three boosters and the contributions in one batch.

The result is the per-row path's (``prediction._predict`` over ``load_book``), the same predictions in the
same order: open invoices by (invoice day, id); ``tests/e2e/test_cli_predict.py`` compares the two on both
databases. At 10⁶ invoices the per-row path built a million Python records and fed the learner row lists.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from ..domain.prediction import (
    ABSENT,
    ABSENT_IF_NEGATIVE,
    ABSENT_WITHOUT_HISTORY,
    FEATURES,
    NO_VALUE,
    ContactRecord,
    DisputeRecord,
    HolidayIndex,
    PromiseRecord,
)
from .feature_matrix import NEVER, FeatureBook
from .prediction import HIST_N, Prediction, PredictionSet, _finite, _safe_calendar

REASONS = 3  # features named in "why"
_ABSENT_IF_NEGATIVE = [FEATURES.index(f) for f in sorted(ABSENT_IF_NEGATIVE)]
_ABSENT_WITHOUT_HISTORY = [FEATURES.index(f) for f in sorted(ABSENT_WITHOUT_HISTORY)]


def load_columns(app: Any, as_of: date) -> tuple[FeatureBook, dict[str, Any], dict[int, str]]:
    """The book before ``as_of`` as columns, and the customers' codes."""
    with app.uow(write=False) as uow:
        repo = uow.analytics
        cols = repo.payment_columns(as_of)
        promises = [PromiseRecord(*r) for r in repo.promise_facts(as_of)]
        disputes = [DisputeRecord(*r) for r in repo.dispute_facts(as_of)]
        contacts = [ContactRecord(*r) for r in repo.contact_facts(as_of)]
        codes = repo.customer_codes()
    holidays = None
    if len(cols["id"]):
        start = date.fromordinal(int(cols["invoice_on"].min()))
        end = max(date.fromordinal(int(cols["due_on"].max())), as_of) + timedelta(days=30)
        holidays = HolidayIndex(_safe_calendar(app), start, end)
    settled = np.where(cols["settled_on"] > 0, cols["settled_on"], NEVER)
    book = FeatureBook(cols["id"], cols["customer"], cols["invoice_on"], cols["due_on"], cols["amount"], settled,
                       promises, disputes, contacts, holidays)
    return book, cols, codes


def predict_columns(app: Any, d: date, model: tuple[dict[str, Any], str], version: int | None,
                    notices: list[tuple[str, dict[str, Any]]], due_between: tuple[date, date] | None = None
                    ) -> PredictionSet:
    book, cols, codes = load_columns(app, d)
    if not len(cols["id"]):
        notices.append(("predict.no_invoices", {"as_of": d.isoformat()}))
    open_minor = cols["amount"] - cols["paid_before"]
    rows = book.open_at(d)
    rows = rows[open_minor[rows] > 0]
    if due_between is not None:
        due = cols["due_on"][rows]
        rows = rows[(due >= due_between[0].toordinal()) & (due <= due_between[1].toordinal())]
    rows = rows[np.lexsort((cols["id"][rows], cols["invoice_on"][rows]))]  # the per-row path's order
    out = PredictionSet(d, str(model[0]["method"]), version, notices)
    if not len(rows):
        return out
    x = book.features(rows, np.full(len(rows), d.toordinal(), dtype=np.int64))
    p, remaining, late_days, contrib = app.predictor().predict_arrays(model[1], x)
    # the largest contributions first, equal ones in feature order (as a stable sort in reverse)
    top = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :REASONS]

    def finite(a: Any) -> list[float]:
        return np.where(np.isfinite(a), a, 0.0).ravel().tolist()

    values = np.take_along_axis(x, top, axis=1)
    names = reason_names(x, top, values).ravel().tolist()
    reasons = iter(zip(names, finite(values),
                       finite(np.take_along_axis(contrib, top, axis=1)), strict=True))
    ids = cols["id"][rows].tolist()
    labels = _labels(app, ids)
    customers = cols["customer"][rows].tolist()
    opens = open_minor[rows].tolist()
    as_of = d.toordinal()
    days: dict[int, date] = {}  # a few hundred distinct days

    def day(n: int) -> date:
        got = days.get(n)
        if got is None:
            got = days[n] = date.fromordinal(n)
        return got

    append = out.predictions.append
    for iid, p_n, rem, late, due_n, cid, open_n in zip(ids, p.tolist(), remaining.tolist(), late_days.tolist(),
                                                       cols["due_on"][rows].tolist(), customers, opens, strict=True):
        if as_of > due_n:
            p_n = 1.0  # still open after its due day: it is late whatever the model says
        number, currency = labels.get(iid, (str(iid), ""))
        why = [next(reasons) for _ in range(REASONS)]
        append(Prediction(number, codes.get(cid, str(cid)), min(1.0, max(0.0, _finite(p_n, 0.5))),
                          day(as_of + max(0, round(rem))), day(due_n), open_n, currency, _finite(max(0.0, late)),
                          why, iid))
    return out


def reason_names(x: Any, top: Any, values: Any) -> Any:
    """The feature names of the reasons ``top`` (column indexes per row of ``x``, their ``values``), as
    ``reason_name`` gives them row by row: a feature without a value is named "<feature>:none"."""
    no_value = ((np.isin(top, _ABSENT_IF_NEGATIVE) & (values == ABSENT))
                | (np.isin(top, _ABSENT_WITHOUT_HISTORY) & (x[:, [HIST_N]] == 0)))
    return np.where(no_value, np.asarray([f + NO_VALUE for f in FEATURES], dtype=object)[top],
                    np.asarray(FEATURES, dtype=object)[top])


def _labels(app: Any, ids: list[int]) -> dict[int, tuple[str, str]]:
    with app.uow(write=False) as uow:
        return dict(uow.analytics.invoice_labels(ids))
