"""The payment-date and late-risk model: train, predict, evaluate walk-forward, forecast cash, rank tasks.

Features are the leak-free ones of ``domain/prediction.py``; the learner sits behind the ``Predictor``
port (LightGBM in adapters/predict). When there is too little history to learn from (under
``MIN_SETTLED`` settled invoices, one customer, or only one outcome), or no model fits the date asked
for, the customer-history rule answers instead, and the result says so in a notice (never a traceback,
never a NaN). A model trained on facts up to T is never used for a date before T: that would leak.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..domain.errors import InvalidInput
from ..domain.prediction import (
    FEATURES,
    NO_VALUE,
    ContactRecord,
    DisputeRecord,
    History,
    HolidayIndex,
    InvoiceRecord,
    PromiseRecord,
    capture,
    history_rule,
    reason_name,
    roc_auc,
    training_samples,
    wape,
)

KIND = "payment"
HIST_N = FEATURES.index("hist_n")
MIN_SETTLED = 30
RESIDUAL_QUANTILES = tuple(range(5, 100, 10))  # 5, 15 … 95: the spread of pay dates for the forecast


@dataclass
class Book:
    """The history at a date, with what predictions need beside it."""

    as_of: date
    history: History
    codes: dict[int, str]
    currency: dict[int, str]  # invoice id → currency
    open_minor: dict[int, int]  # invoice id → money open at the start of as_of
    company_currency: str


@dataclass
class Prediction:
    invoice: str
    customer: str
    p_late: float
    expected_pay_date: date
    due_on: date
    open_minor: int
    currency: str
    expected_late_days: float
    why: list[tuple[str, float, float]]  # (feature, value, contribution to the late score)
    invoice_id: int = 0


@dataclass
class PredictionSet:
    as_of: date
    method: str  # lightgbm | history_rule
    model_version: int | None
    notices: list[tuple[str, dict[str, Any]]]
    predictions: list[Prediction] = field(default_factory=list)


@dataclass
class TrainResult:
    version: int
    method: str
    as_of: date
    samples: int
    settled: int
    customers: int
    notices: list[tuple[str, dict[str, Any]]]


def _safe_calendar(app: Any) -> Any:
    cal = app.calendar()

    def is_workday(d: date) -> bool:
        try:
            return bool(cal.is_workday(d))
        except Exception:  # noqa: BLE001 — a year without calendar data: weekends only (CalendarUnknown)
            return d.weekday() < 5

    return is_workday


def load_book(app: Any, as_of: date) -> Book:
    """Everything dated before ``as_of`` (and the settlement days, which features mask at each date)."""
    with app.uow(write=False) as uow:
        repo = uow.analytics
        invoices: list[InvoiceRecord] = []
        currency: dict[int, str] = {}
        open_minor: dict[int, int] = {}
        for iid, num, cid, ion, due, amt, cur, settled, paid, electronic in repo.payment_facts(as_of):
            invoices.append(InvoiceRecord(iid, num, cid, ion, due, int(amt), settled, electronic))
            currency[iid] = cur
            open_minor[iid] = int(amt) - paid
        promises = [PromiseRecord(*r) for r in repo.promise_facts(as_of)]
        disputes = [DisputeRecord(*r) for r in repo.dispute_facts(as_of)]
        contacts = [ContactRecord(*r) for r in repo.contact_facts(as_of)]
        codes = repo.customer_codes()
        company_currency = repo.company_currency()
    holidays = None
    if invoices:
        start = min(i.invoice_on for i in invoices)
        end = max(max(i.due_on for i in invoices), as_of) + timedelta(days=30)
        holidays = HolidayIndex(_safe_calendar(app), start, end)
    history = History(invoices, promises, disputes, contacts, holidays)
    return Book(as_of, history, codes, currency, open_minor, company_currency)


# ── training ─────────────────────────────────────────────────────────────────────────────────

def _too_little(book: Book) -> list[tuple[str, dict[str, Any]]]:
    settled = [i for i in book.history.invoices if i.settled_on is not None and i.settled_on < book.as_of]
    customers = {i.customer_id for i in settled}
    late = sum(1 for i in settled if i.settled_on is not None and i.settled_on > i.due_on)
    if len(settled) < MIN_SETTLED:
        return [("model.too_few_settled", {"count": len(settled), "minimum": MIN_SETTLED})]
    if len(customers) < 2:
        return [("model.one_customer", {"count": len(settled)})]
    if late == 0 or late == len(settled):
        return [("model.one_outcome", {"count": len(settled)})]
    return []


def train_model(app: Any, as_of: date | None = None) -> TrainResult:
    """Train on what was settled before ``as_of`` (default today) and store the model, versioned."""
    d = as_of or app.clock.today()
    book = load_book(app, d)
    result = _train(app, book)[0]
    if d == app.clock.today():
        rank_open_tasks(app, d)  # the worklist follows the new model from now on, not from the next run
    return result


def _train(app: Any, book: Book, store: bool = True) -> tuple[TrainResult, dict[str, Any], str]:
    d = book.as_of
    settled = [i for i in book.history.invoices if i.settled_on is not None and i.settled_on < d]
    customers = len({i.customer_id for i in settled})
    notices = _too_little(book)
    samples = [] if notices else training_samples(book.history, d)
    if not notices and (len(samples) < MIN_SETTLED or len({s.late for s in samples}) < 2):
        notices = [("model.too_few_samples", {"count": len(samples), "minimum": MIN_SETTLED})]
    meta: dict[str, Any] = {"settled": len(settled), "customers": customers, "samples": len(samples)}
    blob = ""
    if notices:
        meta["method"] = "history_rule"
        notices.append(("model.fallback_rule", {}))
        meta["notices"] = [[k, v] for k, v in notices]
    else:
        predictor = app.predictor()
        rows = _sample_rows(book.history, samples)
        blob = predictor.fit(rows, [s.late for s in samples], [float(s.remaining) for s in samples],
                             [float(s.late_days) for s in samples], FEATURES)
        meta.update(method=predictor.name, features=list(FEATURES))
        # the spread of pay dates around the prediction, for the forecast: 20,000 rows are plenty
        step = max(1, len(rows) // 20_000)
        fitted = predictor.predict(blob, rows[::step].tolist())
        residuals = sorted(s.remaining - f[1] for s, f in zip(samples[::step], fitted, strict=True))
        meta["residual_quantiles"] = [residuals[min(len(residuals) - 1, int(q / 100 * len(residuals)))]
                                      for q in RESIDUAL_QUANTILES]
    version = 0
    if store:
        with app.uow() as uow:
            version = uow.analytics.save_model(KIND, d, app.clock.now().replace(tzinfo=None), meta, blob)
            uow.commit()
    return TrainResult(version, str(meta["method"]), d, len(samples), len(settled), customers, notices), meta, blob


def _sample_rows(history: History, samples: Sequence[Any]) -> Any:
    """The training snapshots' feature rows as one NumPy matrix: ``History.features`` at each snapshot's
    day, computed in one pass (services/feature_matrix.py; tests/unit/test_feature_matrix.py compares them on
    training snapshots)."""
    import numpy as np

    from .feature_matrix import FeatureBook

    where = {inv.invoice_id: k for k, inv in enumerate(history.invoices)}
    return FeatureBook.of_history(history).features(
        np.fromiter((where[s.invoice.invoice_id] for s in samples), np.int64, len(samples)),
        np.fromiter((s.at.toordinal() for s in samples), np.int64, len(samples)))


# ── predicting ───────────────────────────────────────────────────────────────────────────────

def predict(app: Any, as_of: date | None = None, due_between: tuple[date, date] | None = None) -> PredictionSet:
    """Every invoice open at ``as_of`` (issued before it, not fully paid before it), from facts before it;
    with ``due_between`` only those falling due in that window (both days included). An invoice's
    prediction does not depend on which others are predicted with it."""
    d = as_of or app.clock.today()
    with app.uow(write=False) as uow:
        row = uow.analytics.latest_model(KIND)
    notices: list[tuple[str, dict[str, Any]]] = []
    model: tuple[dict[str, Any], str] | None = None
    version = None
    if row is None:
        notices.append(("predict.no_model", {}))
    elif row.as_of > d:
        notices.append(("predict.model_newer", {"trained": row.as_of.isoformat(), "as_of": d.isoformat()}))
    elif row.meta.get("method") == "history_rule":
        notices.append(("predict.rule_model", {"version": row.version}))
        notices += [(str(k), dict(v)) for k, v in row.meta.get("notices", []) if k != "model.fallback_rule"]
    elif row.meta.get("features") != list(FEATURES):
        # trained on another feature list (before an upgrade added features): its trees would read the wrong
        # columns, so the rule answers, saying so, until the model is trained again
        notices.append(("predict.model_features", {"version": row.version}))
    else:
        model, version = (dict(row.meta), str(row.blob)), int(row.version)
    if model is not None:
        # the whole book as columns and the features in NumPy (services/feature_matrix.py); the result is
        # the per-row path's, tested equal (tests/e2e/test_cli_predict.py)
        from .prediction_fast import predict_columns

        return predict_columns(app, d, model, version, notices, due_between)
    # no usable model: the customer-history rule, for all open invoices at once over the same columns (the
    # per-row ``_predict`` below, with ``history_rule``, is the definition; tested equal as above)
    from .prediction_fast import predict_rule_columns

    return predict_rule_columns(app, d, version, notices, due_between)


def _predict(app: Any, book: Book, model: tuple[dict[str, Any], str] | None, version: int | None,
             notices: list[tuple[str, dict[str, Any]]], due_between: tuple[date, date] | None = None
             ) -> PredictionSet:
    d = book.as_of
    h = book.history
    if not h.invoices:
        notices.append(("predict.no_invoices", {"as_of": d.isoformat()}))
    open_now = [i for i in h.open_at(d) if book.open_minor.get(i.invoice_id, 0) > 0]
    if due_between is not None:
        open_now = [i for i in open_now if due_between[0] <= i.due_on <= due_between[1]]
    out = PredictionSet(d, "history_rule" if model is None else str(model[0]["method"]), version, notices)
    if model is None:
        g_late, g_dtp = h.global_stats(d)
        n_settled = sum(1 for i in h.invoices if i.settled_on is not None and i.settled_on < d)
        if h.invoices and n_settled == 0:
            notices.append(("predict.no_settled_history", {}))
        for inv in open_now:
            p, when = history_rule(h, inv, d, g_late, g_dtp)
            n, _delay, late_frac, dtp = h.history_stats(inv.customer_id, d)
            why = [("rule_history_n", float(n), 0.0)]
            if n:
                why += [("rule_late_share", late_frac, 0.0), ("rule_mean_days_to_pay", dtp, 0.0)]
            out.predictions.append(_make(book, inv, p, when, max(0.0, float((when - inv.due_on).days) + 1) * p, why))
        return out
    rows = [h.features(inv, d) for inv in open_now]
    for inv, row, (p, remaining, late_days, contrib) in zip(open_now, rows, app.predictor().predict(model[1], rows),
                                                           strict=True):
        when = d + timedelta(days=max(0, round(remaining)))
        if d > inv.due_on:
            p = 1.0  # still open after its due day: it is late whatever the model says
        size = list(map(abs, contrib))
        # the three largest contributions; equal ones in feature order (a stable sort, in reverse)
        top = sorted(range(len(FEATURES)), key=size.__getitem__, reverse=True)[:3]
        why = [(reason_name(FEATURES[k], row[k], row[HIST_N]), row[k], contrib[k]) for k in top]
        expected_late = max(0.0, late_days)
        out.predictions.append(_make(book, inv, p, when, expected_late, why))
    return out


def _finite(x: float, default: float = 0.0) -> float:
    return x if math.isfinite(x) else default


def _make(book: Book, inv: InvoiceRecord, p: float, when: date, late_days: float,
          why: list[tuple[str, float, float]]) -> Prediction:
    return Prediction(inv.number, book.codes.get(inv.customer_id, str(inv.customer_id)),
                      min(1.0, max(0.0, _finite(p, 0.5))), max(when, book.as_of), inv.due_on,
                      book.open_minor.get(inv.invoice_id, inv.amount_minor), book.currency.get(inv.invoice_id, ""),
                      _finite(late_days), [(f, _finite(v), _finite(c)) for f, v, c in why], inv.invoice_id)


# ── evaluation ───────────────────────────────────────────────────────────────────────────────

@dataclass
class Scores:
    n: int
    auc: float | None
    mae_days: float | None
    capture_top20: float | None


@dataclass
class Evaluation:
    folds: list[tuple[date, date]]  # (trained before, scored at)
    model: Scores
    rule: Scores
    wape_pct: float | None
    rule_wape_pct: float | None
    method: str
    notices: list[tuple[str, dict[str, Any]]]


def _score(preds: Sequence[Prediction], truth: dict[int, InvoiceRecord]) -> Scores:
    ys: list[int] = []
    ps: list[float] = []
    errors: list[int] = []
    weights: list[float] = []
    ranks: list[float] = []
    for p in preds:
        inv = truth.get(p.invoice_id)
        if inv is None or inv.settled_on is None:
            continue
        ys.append(int(inv.settled_on > inv.due_on))
        ps.append(p.p_late)
        errors.append(abs((p.expected_pay_date - inv.settled_on).days))
        weights.append(max(0, (inv.settled_on - inv.due_on).days) * p.open_minor)
        ranks.append(p.open_minor * (max(p.expected_late_days, 0.0) + 0.01 * p.p_late))
    return Scores(len(ys), roc_auc(ys, ps), sum(errors) / len(errors) if errors else None, capture(weights, ranks))


def evaluate(app: Any, train_before: date | None = None, step_days: int = 7, folds: int = 6) -> Evaluation:
    """Walk-forward on the company's own settled invoices, for invoices not yet due at each scoring date.

    With ``train_before``: one model trained on what was settled before it, scored every ``step_days`` from
    then to the last settlement (the time split of docs/model.md). Without: ``folds`` monthly folds at the
    end of the data, each retrained on what was settled before it. Both beside the history rule; the
    weekly cash forecast's WAPE over the next 13 weeks (invoices open at each scoring date) as well."""
    full = load_book(app, app.clock.today() + timedelta(days=1))
    truth = {i.invoice_id: i for i in full.history.invoices}
    settled = [i.settled_on for i in full.history.invoices if i.settled_on is not None]
    if len(settled) < MIN_SETTLED:
        raise InvalidInput("model.too_few_settled", count=len(settled), minimum=MIN_SETTLED)
    last = max(settled)
    if train_before is not None:
        dates = []
        d = train_before
        while d <= last:
            dates.append(d)
            d += timedelta(days=step_days)
        plan = [(train_before, x) for x in dates]
    else:
        first = last.replace(day=1)
        starts = []
        for _ in range(folds):
            first = (first - timedelta(days=1)).replace(day=1)
            starts.append(first)
        plan = []
        for s in sorted(starts):
            d = s
            while d < (s + timedelta(days=32)).replace(day=1):
                plan.append((s, d))
                d += timedelta(days=step_days)
    model_preds: list[Prediction] = []
    rule_preds: list[Prediction] = []
    forecasts: list[float] = []
    rule_forecasts: list[float] = []
    actuals: list[float] = []
    notices: list[tuple[str, dict[str, Any]]] = []
    fitted: dict[date, tuple[dict[str, Any], str] | None] = {}
    method = "history_rule"
    for trained, at in plan:
        if trained not in fitted:
            res, meta, blob = _train(app, load_book(app, trained), store=False)
            fitted[trained] = None if res.method == "history_rule" else (meta, blob)
            if res.method != "history_rule":
                method = res.method
            notices += res.notices
        book = load_book(app, at)
        m = _predict(app, book, fitted[trained], None, [])
        r = _predict(app, book, None, None, [])
        model_preds += [p for p in m.predictions if p.due_on >= at]
        rule_preds += [p for p in r.predictions if p.due_on >= at]
        if at + timedelta(weeks=13) <= last:
            mf = _weekly(m, fitted[trained], 13)
            rf = _weekly(r, None, 13)
            act = [0.0] * 13
            for p in m.predictions:
                inv = truth[p.invoice_id]
                if inv.settled_on is not None:
                    w = (inv.settled_on - at).days // 7
                    if 0 <= w < 13:
                        act[w] += p.open_minor
            forecasts += mf
            rule_forecasts += rf
            actuals += act
    return Evaluation(plan, _score(model_preds, truth), _score(rule_preds, truth), wape(forecasts, actuals),
                      wape(rule_forecasts, actuals), method, notices)


# ── cash forecast ────────────────────────────────────────────────────────────────────────────

def _spread(meta: dict[str, Any] | None) -> list[float]:
    q = (meta or {}).get("residual_quantiles")
    if isinstance(q, list) and q and all(isinstance(x, int | float) for x in q):
        return [float(x) for x in q]
    return [-10.0, -6.0, -4.0, -2.0, -1.0, 0.0, 1.0, 3.0, 6.0, 12.0]


def _invoice_weeks(p: Prediction, as_of: date, spread: list[float], weeks: int) -> list[int]:
    """The invoice's open money split over the weeks (index ``weeks`` = later), exactly, in fen."""
    expected = (p.expected_pay_date - as_of).days
    share = [0.0] * (weeks + 1)
    for r in spread:
        day = max(0, round(expected + r))
        share[min((as_of.weekday() + day) // 7, weeks)] += 1 / len(spread)
    exact = [p.open_minor * s for s in share]
    parts = [math.floor(x) for x in exact]
    for k in sorted(range(len(exact)), key=lambda k: parts[k] - exact[k])[:p.open_minor - sum(parts)]:
        parts[k] += 1
    return parts


def _weekly(ps: PredictionSet, meta: Any, weeks: int) -> list[float]:
    spread = _spread(meta[0] if meta else None)
    out = [0.0] * weeks
    for p in ps.predictions:
        for k, v in enumerate(_invoice_weeks(p, ps.as_of, spread, weeks)[:weeks]):
            out[k] += v
    return out


@dataclass
class ForecastWeek:
    week: str  # ISO week, 2026-W49
    start: date
    expected_minor: int
    low_minor: int
    high_minor: int


@dataclass
class Forecast:
    as_of: date
    currency: str
    method: str
    weeks: list[ForecastWeek]
    later_minor: int
    open_minor: int
    past: list[tuple[str, date, int, int]]  # (week, start, forecast, actual) for weeks that have passed
    wape_pct: float | None
    notices: list[tuple[str, dict[str, Any]]]


def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def forecast(app: Any, weeks: int = 13, as_of: date | None = None, store: bool = True) -> Forecast:
    """Expected collections per ISO week from the predictions, with an 80 % interval; the weeks and the
    money beyond them add up to exactly the open amount. The forecast is stored; past weeks' forecasts
    are shown beside what actually came in, with their WAPE."""
    if not 1 <= weeks <= 104:
        raise InvalidInput("forecast.weeks", value=weeks)
    d = as_of or app.clock.today()
    ps = predict(app, d)
    with app.uow(write=False) as uow:
        row = uow.analytics.latest_model(KIND)
    spread = _spread(dict(row.meta) if row is not None and ps.method != "history_rule" else None)
    cur = ps.predictions[0].currency if ps.predictions else ""
    with app.uow(write=False) as uow:
        cur = uow.analytics.company_currency()
    preds = [p for p in ps.predictions if p.currency == cur]
    monday = d - timedelta(days=d.weekday())
    expected = [0] * (weeks + 1)
    variance = [0.0] * (weeks + 1)
    for p in preds:
        parts = _invoice_weeks(p, d, spread, weeks)
        for k, v in enumerate(parts):
            expected[k] += v
            if p.open_minor:
                share = v / p.open_minor
                variance[k] += p.open_minor ** 2 * share * (1 - share)
    z = 1.2816  # 80 % two-sided
    rows = [ForecastWeek(iso_week(monday + timedelta(weeks=k)), monday + timedelta(weeks=k), expected[k],
                         max(0, round(expected[k] - z * math.sqrt(variance[k]))),
                         round(expected[k] + z * math.sqrt(variance[k]))) for k in range(weeks)]
    with app.uow() as uow:
        past_rows = uow.analytics.past_forecasts(monday)
        received = uow.analytics.cash_received(min((r[1] for r in past_rows), default=d), d)
        if store:
            uow.analytics.save_forecast(d, [(w.week, w.start, w.expected_minor, w.low_minor, w.high_minor)
                                            for w in rows])
            uow.commit()
    by_week: dict[str, int] = defaultdict(int)
    for on, minor in received:
        by_week[iso_week(on)] += minor
    past = [(w, s, e, by_week.get(w, 0)) for w, s, e, _lo, _hi, _m in sorted(past_rows, key=lambda r: r[1])
            if s + timedelta(days=7) <= d]
    err = wape([float(x[2]) for x in past], [float(x[3]) for x in past]) if past else None
    return Forecast(d, cur, ps.method, rows, expected[weeks], sum(p.open_minor for p in preds), past, err,
                    ps.notices)


# ── the worklist by expected value ───────────────────────────────────────────────────────────

def task_values(app: Any, today: date) -> dict[str, tuple[float, list[tuple[str, float, float]], str]] | None:
    """Per invoice number: (amount × p_late × days at stake, why, customer code) from the stored model; None
    without one (the worklist then keeps its order)."""
    with app.uow(write=False) as uow:
        row = uow.analytics.latest_model(KIND)
    if row is None or row.meta.get("method") == "history_rule" or row.as_of > today:
        return None
    ps = predict(app, today)
    if ps.method == "history_rule":
        return None
    # amount × p_late × days at stake = amount × expected late days (the days given late, times p_late)
    return {p.invoice: (p.open_minor * max(p.expected_late_days, p.p_late), p.why, p.customer) for p in ps.predictions}


@dataclass
class RankedTask:
    row: Any
    value: float | None  # amount × p_late × days at stake (fen × days); None without a model
    why: list[tuple[str, float, float]]


def rank_tasks(app: Any, rows: Sequence[Any], today: date | None = None,
               values: dict[str, tuple[float, list[tuple[str, float, float]], str]] | None = None) -> list[RankedTask]:
    """The worklist by what acting today is worth: proposals and customers with a promise due today first,
    then the expected late money × days of the task's invoices (all the customer's open ones when the task
    names none). With no usable model, the rows keep the order they came in."""
    d = today or app.clock.today()
    if values is None:
        values = task_values(app, d) if rows else None
    if values is None:
        return [RankedTask(r, None, []) for r in rows]
    by_customer: dict[str, list[tuple[float, list[tuple[str, float, float]], str]]] = defaultdict(list)
    for v in values.values():
        by_customer[v[2]].append(v)
    with app.uow(write=False) as uow:
        promised = uow.customers.promises_due(sorted({r.customer_id for r in rows}), d)
    out = []
    for r in rows:
        named = [values[n] for n in (r.invoices or []) if n in values]
        parts = named or by_customer.get(r.customer_code, [])
        why = max(parts, key=lambda v: v[0])[1] if parts else []
        out.append(RankedTask(r, sum(v[0] for v in parts), why))
    out.sort(key=lambda t: (not t.row.needs_approval, not promised.get(t.row.customer_id),
                            -(t.value or 0.0), -t.row.amount_minor, t.row.id))
    return out


def rank_open_tasks(app: Any, today: date | None = None) -> int:
    """Rank every task open today by expected value and store the order (``task_rank``), which the Today
    page, ``GET /worklist`` and ``huikuan worklist`` follow. Called by the daily run and after training.
    Without a usable model nothing is stored and today's order (by amount) stays; returns the tasks ranked."""
    d = today or app.clock.today()
    values = task_values(app, d)
    if values is None:
        return 0
    with app.uow(write=False) as uow:
        # only what the order needs, not the worklist's rows (at 10⁵ customers ~4·10⁵ tasks with five joins)
        tasks = uow.analytics.open_task_facts(d)
        promised = uow.analytics.promised_customers(d)
        codes = uow.analytics.customer_codes()
    ranked = rank_task_facts(tasks, promised, codes, values)
    with app.uow() as uow:
        uow.analytics.save_task_ranks(d, [(aid, k, value, [list(w) for w in why])
                                          for k, (aid, value, why) in enumerate(ranked, start=1)])
        uow.commit()
    return len(ranked)


def rank_task_facts(tasks: Sequence[tuple[int, int, list[str], bool, int]], promised: set[int],
                    codes: dict[int, str],
                    values: dict[str, tuple[float, list[tuple[str, float, float]], str]]
                    ) -> list[tuple[int, float, list[tuple[str, float, float]]]]:
    """``rank_tasks`` over lean task facts (id, customer_id, invoice numbers, needs_approval, amount):
    (id, value, why) in the same order with the same values (tests/web/test_web_today_ev.py compares them)."""
    by_customer: dict[str, list[tuple[float, list[tuple[str, float, float]], str]]] = defaultdict(list)
    for v in values.values():
        by_customer[v[2]].append(v)
    keyed = []
    for aid, cid, invoices, approval, amount in tasks:
        named = [values[n] for n in invoices if n in values]
        parts = named or by_customer.get(codes.get(cid, ""), [])
        why = max(parts, key=lambda v: v[0])[1] if parts else []
        value = sum(v[0] for v in parts)
        keyed.append(((not approval, cid not in promised, -value, -amount, aid), aid, value, why))
    keyed.sort(key=lambda k: k[0])
    return [(aid, float(value), why) for _key, aid, value, why in keyed]


# How a reason's value reads (the features are numbers for the learner; people read shares, days, amounts):
_PERCENT = frozenset({"hist_late_frac", "hist_recent_late_frac", "promises_broken_frac", "contacts_bad_frac",
                      "hist_frac_open_this_long", "hist_late_given_open", "surv_p_late", "rule_late_share"})
_DAYS = frozenset({"age", "days_to_due", "terms_days", "hist_mean_delay", "hist_mean_dtp", "hist_std_delay",
                   "hist_last_delay", "hist_last3_delay", "hist_trend", "hist_max_delay", "days_since_last_settlement",
                   "due_to_month_end", "holidays_to_due", "holidays_after_due", "hist_remaining_given_open",
                   "age_minus_mean_dtp", "surv_remaining", "surv_late_days", "rule_mean_days_to_pay"})
_YES_NO = frozenset({"disputed_now", "electronic"})


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"


def reason_text(reason: tuple[str, float, float], lang: str) -> str:
    """One reason as a person reads it: the feature's name, its value in its unit (a share as a percentage,
    days as days, the amount as an amount, yes/no) and which way it pushed the risk (↑ raises it)."""
    feature, value, contribution = reason
    arrow = " ↑" if contribution > 0 else " ↓" if contribution < 0 else ""  # the history rule's reasons push no way
    if feature.endswith(NO_VALUE):  # no record yet (a new customer's history, no promise made …)
        return _name(feature[:-len(NO_VALUE)], lang) + _name("no_value", lang) + arrow
    if feature in _PERCENT:
        shown = f"{value:.0%}"
    elif feature in _DAYS:
        shown = _name("unit_days", lang).format(n=_number(value))
    elif feature == "log_amount":  # log1p(amount in yuan): the amount itself
        shown = f"{math.expm1(value):,.0f}"
    elif feature == "amount_rel":
        shown = _name("unit_times", lang).format(n=_number(value))
    elif feature in _YES_NO:
        shown = _name(f"{feature}_{'yes' if value >= 0.5 else 'no'}", lang)
    else:
        shown = _number(value)
    return f"{_name(feature, lang)} = {shown}{arrow}"


def _name(feature: str, lang: str) -> str:
    name = _FEATURE_NAMES.get((feature, lang))
    if name is None:  # a prediction run shows the same 34 names hundreds of thousands of times
        from .. import i18n  # (here, not per reason: an import statement costs ~10 µs even when cached)

        name = _FEATURE_NAMES[(feature, lang)] = i18n.t("feature." + feature, lang)
    return name


_FEATURE_NAMES: dict[tuple[str, str], str] = {}
