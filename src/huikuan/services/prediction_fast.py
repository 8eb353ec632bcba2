"""``predict`` over a whole book, read as NumPy columns. With a trained model: the features of every open
invoice computed at once (``feature_matrix``), the three boosters and the contributions in one batch. Without
one (or when the fallback applies): the customer-history rule for every open invoice at once
(``history_rule_columns``).

The result is the per-row path's (``prediction._predict`` over ``load_book``), the same predictions in the
same order: open invoices by (invoice day, id); ``tests/e2e/test_cli_predict.py`` compares the two on both
databases, ``tests/unit/test_rule_columns.py`` the rule with ``domain.prediction.history_rule`` on random
books. At 10⁶ invoices the per-row path built a million Python records and fed the learner row lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from ..domain.prediction import (
    ABSENT,
    ABSENT_IF_NEGATIVE,
    ABSENT_WITHOUT_HISTORY,
    FEATURES,
    NO_VALUE,
    PRIOR_WEIGHT,
    ContactRecord,
    DisputeRecord,
    HolidayIndex,
    PromiseRecord,
)
from .feature_matrix import NEVER, FeatureBook, Floats, Ints
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
                       promises, disputes, contacts, holidays, cols["electronic"])
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
    day = _day_of()
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


def _day_of() -> Callable[[int], date]:
    """``date.fromordinal``, remembered: a book's predictions fall on a few hundred distinct days."""
    days: dict[int, date] = {}

    def day(n: int) -> date:
        got = days.get(n)
        if got is None:
            got = days[n] = date.fromordinal(n)
        return got

    return day


def _labels(app: Any, ids: list[int]) -> dict[int, tuple[str, str]]:
    with app.uow(write=False) as uow:
        return dict(uow.analytics.invoice_labels(ids))


# ── the customer-history rule (no model, or the fallback), for every open invoice at once ──────

@dataclass
class RuleColumns:
    """``History.history_stats`` and ``history_rule`` for invoice ``rows`` at one day D, per row: the
    customer's invoices settled before D (``n``), their late share and mean days to pay (``ABSENT`` when
    n = 0), the rule's ``p_late`` and expected pay day (an ordinal, never before D); and the book's figures
    (``History.global_stats``) with the number of invoices settled before D they come from."""

    n: Ints
    late_frac: Floats
    mean_dtp: Floats
    p_late: Floats
    expected: Ints
    global_late: float
    global_dtp: float
    settled: int


def history_rule_columns(customer: Ints, invoice_on: Ints, due_on: Ints, settled_on: Ints, rows: Ints,
                         d: date) -> RuleColumns:
    """``domain.prediction.history_rule`` for ``rows`` of a book given as columns (days as ordinals,
    ``settled_on`` = ``NEVER`` for an invoice not settled), equal to it bit for bit: the per-customer counts
    and sums are integers (exact in int64, whatever the order they are added in), every quotient and the
    shrinkage are the definition's float operations in the definition's order (an int64 below 2⁵³ converts
    to float exactly, so ``L / k`` here is Python's int / int), and ``np.rint`` rounds a half to even, as
    Python's ``round`` does."""
    x = d.toordinal()
    known = settled_on < x  # settled before D (an invoice settled on D is still open at D)
    customers, where = np.unique(customer, return_inverse=True)
    m = len(customers)
    known_customer, known_dtp = where[known], (settled_on - invoice_on)[known]
    k_all = np.bincount(known_customer, minlength=m).astype(np.int64)
    late_all = np.bincount(where[known & (settled_on > due_on)], minlength=m).astype(np.int64)
    dtp_all = np.zeros(m, dtype=np.int64)
    np.add.at(dtp_all, known_customer, known_dtp)
    n_book, late_book, dtp_book = int(k_all.sum()), int(late_all.sum()), int(dtp_all.sum())
    g_late, g_dtp = (late_book / n_book, dtp_book / n_book) if n_book else (0.5, 30.0)
    c = where[rows]
    k = k_all[c]
    has = k > 0
    kk = np.where(has, k, 1)
    late_frac = np.where(has, late_all[c] / kk, ABSENT)
    mean_dtp = np.where(has, dtp_all[c] / kk, ABSENT)
    p = (np.where(has, late_frac * k, 0.0) + PRIOR_WEIGHT * g_late) / (k + PRIOR_WEIGHT)
    p = np.minimum(np.maximum(np.where(x > due_on[rows], 1.0, p), 0.0), 1.0)
    dtp = (np.where(has, mean_dtp * k, 0.0) + PRIOR_WEIGHT * g_dtp) / (k + PRIOR_WEIGHT)
    expected = invoice_on[rows] + np.rint(dtp).astype(np.int64)
    late = (x > due_on[rows]) & (expected < x)  # past due and past the customer's usual day
    if late.any():
        expected[late] = x + np.rint(_remaining_if_open(
            known_customer, known_dtp, c[late], x - invoice_on[rows][late])).astype(np.int64)
    return RuleColumns(k, late_frac, mean_dtp, p, np.maximum(expected, x), g_late, g_dtp, n_book)


def _remaining_if_open(cust: Ints, dtp: Ints, c: Ints, age: Ints) -> Floats:
    """``History.remaining_if_open`` for customers ``c`` (indexes) at ``age``, given the customer index and
    days to pay of every invoice settled before D: counts and sums of (days to pay − age) over the customer's
    and the book's invoices with days to pay ≥ age, by binary search in sorted keys and prefix sums (integers),
    then the definition's float operations."""
    span = int(dtp.max()) + 2 if len(dtp) else 2  # keys customer × span + days to pay, per customer contiguous
    keys = np.sort(cust * span + dtp)
    own = keys % span
    own_prefix = np.concatenate(([0], np.cumsum(own)))
    a = np.minimum(age, span - 1)
    lo = np.searchsorted(keys, c * span + a)
    hi = np.searchsorted(keys, (c + 1) * span)
    n_c = hi - lo
    sum_c = own_prefix[hi] - own_prefix[lo] - age * n_c
    book = np.sort(dtp)
    book_prefix = np.concatenate(([0], np.cumsum(book)))
    lo_b = np.searchsorted(book, age)
    n_b = len(book) - lo_b
    sum_b = book_prefix[-1] - book_prefix[lo_b] - age * n_b
    has = n_b > 0
    nb = np.where(has, n_b, 1)
    return np.where(has, (sum_c + PRIOR_WEIGHT * (sum_b / nb)) / (n_c + PRIOR_WEIGHT), 0.0)


def predict_rule_columns(app: Any, d: date, version: int | None, notices: list[tuple[str, dict[str, Any]]],
                         due_between: tuple[date, date] | None = None) -> PredictionSet:
    """``prediction._predict`` without a model (the customer-history rule), over the book as columns: the
    same predictions, reasons, notices and order. Only the invoices' columns are read (the rule uses no
    promise, dispute or contact)."""
    with app.uow(write=False) as uow:
        cols = uow.analytics.payment_columns(d)
        codes = uow.analytics.customer_codes()
    if not len(cols["id"]):
        notices.append(("predict.no_invoices", {"as_of": d.isoformat()}))
    x = d.toordinal()
    settled = np.where(cols["settled_on"] > 0, cols["settled_on"], NEVER)
    open_minor = cols["amount"] - cols["paid_before"]
    rows = np.flatnonzero((cols["invoice_on"] < x) & (settled >= x) & (open_minor > 0))
    if due_between is not None:
        due = cols["due_on"][rows]
        rows = rows[(due >= due_between[0].toordinal()) & (due <= due_between[1].toordinal())]
    rows = rows[np.lexsort((cols["id"][rows], cols["invoice_on"][rows]))]  # the per-row path's order
    rule = history_rule_columns(cols["customer"], cols["invoice_on"], cols["due_on"], settled, rows, d)
    if len(cols["id"]) and rule.settled == 0:
        notices.append(("predict.no_settled_history", {}))
    out = PredictionSet(d, "history_rule", version, notices)
    if not len(rows):
        return out
    ids = cols["id"][rows].tolist()
    labels = _labels(app, ids)
    day = _day_of()
    append = out.predictions.append
    for iid, cid, p, when, due_n, open_n, n, frac, dtp in zip(
            ids, cols["customer"][rows].tolist(), rule.p_late.tolist(), rule.expected.tolist(),
            cols["due_on"][rows].tolist(), open_minor[rows].tolist(), rule.n.tolist(), rule.late_frac.tolist(),
            rule.mean_dtp.tolist(), strict=True):
        why = [("rule_history_n", float(n), 0.0)]
        if n:
            why += [("rule_late_share", frac, 0.0), ("rule_mean_days_to_pay", dtp, 0.0)]
        number, currency = labels.get(iid, (str(iid), ""))
        append(Prediction(number, codes.get(cid, str(cid)), min(1.0, max(0.0, _finite(p, 0.5))), day(when),
                          day(due_n), open_n, currency, _finite(max(0.0, float(when - due_n) + 1) * p), why, iid))
    return out
