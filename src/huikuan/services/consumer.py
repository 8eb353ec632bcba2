"""Consumer scoring for agency and school work: import a cardholder book, train a default-risk model on it,
score every cardholder, and evaluate on a held-out split (docs/model.md, "Consumer scoring").

A cardholder book is one row per cardholder with the credit limit and six months of repayment status, bills
and payments (the UCI "default of credit card clients" layout; its column names are accepted as they are).
Sex, education, marriage and age are never stored: the importer drops those columns and says so, and
training refuses any feature named after a protected attribute (``domain.consumer.check_no_protected``).
``huikuan model train`` and ``huikuan predict`` work on it like on an invoice book: the command picks the
cardholder model when the company's book holds cardholders and no invoices (or with ``--kind consumer``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..domain import consumer as dom
from ..domain.consumer import CONSUMER_FEATURES, Cardholder, check_no_protected
from ..domain.errors import ImportRejected, InvalidInput, Problem
from ..domain.prediction import roc_auc

KIND = "consumer"
MIN_LABELLED = 50
HELD_OUT_EVERY = 3  # evaluate: every third cardholder (by number) is held out, the rest trains

_STATUS = ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("ID", "cardholder", "card_no", "customer_code", "持卡人", "卡号"),
    "limit": ("LIMIT_BAL", "credit_limit", "额度", "信用额度"),
    **{f"status_{m}": (_STATUS[m - 1], f"status_{m}", f"PAY_{m}" if m > 1 else "PAY_1") for m in range(1, 7)},
    **{f"bill_{m}": (f"BILL_AMT{m}", f"bill_{m}") for m in range(1, 7)},
    **{f"paid_{m}": (f"PAY_AMT{m}", f"paid_{m}") for m in range(1, 7)},
}
LABEL = ("default.payment.next.month", "default", "defaulted", "违约")


@dataclass
class CardholderImport:
    rows: int
    inserted: int
    replaced: int
    dropped_protected: list[str] = field(default_factory=list)
    labelled: int = 0


def _integer(text: str) -> int:
    """A whole number as written, R-style exponents included (5e+05); anything else raises."""
    v = Decimal(text.strip())
    if v != v.to_integral_value():
        raise InvalidOperation(text)
    return int(v)


def read_cardholders(path: Path) -> tuple[list[Cardholder], list[str]]:
    """Parse a cardholder file: every bad cell is reported (row, column, value); nothing is half-read."""
    problems: list[Problem] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        lower = {h.lower(): i for i, h in enumerate(header)}
        where: dict[str, int] = {}
        for key, names in COLUMNS.items():
            hit = next((lower[n.lower()] for n in names if n.lower() in lower), None)
            if hit is None:
                problems.append(Problem(path.name, "header", "import.missing_column",
                                        {"column": names[0], "aliases": ", ".join(names[1:])}))
            else:
                where[key] = hit
        label = next((lower[n.lower()] for n in LABEL if n.lower() in lower), None)
        dropped = [h for h in header if h.strip().lower() in dom.PROTECTED]
        if problems:
            raise ImportRejected(problems)
        out: list[Cardholder] = []
        seen: dict[str, int] = {}
        for n, row in enumerate(reader, start=2):
            if not any(c.strip() for c in row):
                continue
            values: dict[str, int] = {}
            for key, i in where.items():
                if key == "code":
                    continue
                cell = row[i] if i < len(row) else ""
                try:
                    values[key] = _integer(cell)
                except (InvalidOperation, ValueError):
                    problems.append(Problem(path.name, f"row {n}, column {header[i]}", "consumer.bad_number",
                                            {"value": cell[:40]}))
            code = (row[where["code"]] if where["code"] < len(row) else "").strip()
            if not code:
                problems.append(Problem(path.name, f"row {n}, column {header[where['code']]}", "value.missing", {}))
            elif code in seen:
                problems.append(Problem(path.name, f"row {n}, column {header[where['code']]}",
                                        "import.duplicate_number", {"value": code, "first_row": seen[code]}))
            seen.setdefault(code, n)
            defaulted: int | None = None
            if label is not None and label < len(row) and row[label].strip():
                if row[label].strip() not in ("0", "1"):
                    problems.append(Problem(path.name, f"row {n}, column {header[label]}", "consumer.bad_label",
                                            {"value": row[label][:40]}))
                else:
                    defaulted = int(row[label].strip())
            if values.get("limit", 1) <= 0:
                problems.append(Problem(path.name, f"row {n}, column {header[where['limit']]}", "consumer.bad_limit",
                                        {"value": row[where["limit"]][:40]}))
            if len(problems) >= 500:
                break
            if problems:
                continue
            out.append(Cardholder(code, values["limit"] * 100, tuple(values[f"status_{m}"] for m in range(1, 7)),
                                  tuple(values[f"bill_{m}"] * 100 for m in range(1, 7)),
                                  tuple(values[f"paid_{m}"] * 100 for m in range(1, 7)), defaulted))
    if problems:
        raise ImportRejected(problems)
    return out, dropped


def import_cardholders(app: Any, path: Path, currency: str = "TWD") -> CardholderImport:
    """Store a cardholder book (replacing cardholders with the same number); protected columns are dropped."""
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInput("input.enum", field="--currency", value=currency, allowed="ISO 4217, e.g. TWD, CNY")
    rows, dropped = read_cardholders(path)
    with app.uow() as uow:
        replaced = uow.analytics.save_cardholders(rows, currency.upper(), app.clock.today())
        uow.commit()
    return CardholderImport(len(rows), len(rows) - replaced, replaced, dropped,
                            sum(1 for r in rows if r.defaulted is not None))


def is_cardholder_book(app: Any) -> bool:
    """The company's book holds cardholders and no invoices: train and predict mean the consumer score."""
    with app.uow(write=False) as uow:
        return bool(uow.analytics.count_cardholders()) and not uow.analytics.has_invoices()


def _load(app: Any) -> list[Cardholder]:
    with app.uow(write=False) as uow:
        return [Cardholder(code, int(lim), tuple(st), tuple(b), tuple(p), d)
                for code, lim, st, b, p, d in uow.analytics.cardholders()]


def _fit(app: Any, book: list[Cardholder], names: tuple[str, ...] = CONSUMER_FEATURES) -> str:
    check_no_protected(names)
    labelled = [c for c in book if c.defaulted is not None]
    if len(labelled) < MIN_LABELLED or len({c.defaulted for c in labelled}) < 2:
        raise InvalidInput("consumer.too_few_labelled", count=len(labelled), minimum=MIN_LABELLED)
    return str(app.predictor().fit_binary([dom.features(c) for c in labelled],
                                          [int(c.defaulted or 0) for c in labelled], names))


@dataclass
class ConsumerTrainResult:
    version: int
    method: str
    as_of: date
    cardholders: int
    labelled: int
    defaulted: int


def train_consumer(app: Any) -> ConsumerTrainResult:
    """Train the default-risk model on every cardholder whose outcome is known, and store it, versioned."""
    book = _load(app)
    blob = _fit(app, book)
    labelled = [c for c in book if c.defaulted is not None]
    d = app.clock.today()
    meta = {"method": app.predictor().name, "features": list(CONSUMER_FEATURES), "labelled": len(labelled)}
    with app.uow() as uow:
        version = uow.analytics.save_model(KIND, d, app.clock.now().replace(tzinfo=None), meta, blob)
        uow.commit()
    return ConsumerTrainResult(version, str(meta["method"]), d, len(book), len(labelled),
                               sum(int(c.defaulted or 0) for c in labelled))


@dataclass
class ConsumerScore:
    cardholder: str
    p_default: float
    defaulted: int | None
    why: list[tuple[str, float, float]]


@dataclass
class ConsumerPredictionSet:
    as_of: date
    method: str
    model_version: int | None
    scores: list[ConsumerScore]


def predict_consumer(app: Any) -> ConsumerPredictionSet:
    """A default-risk score for every cardholder in the book, with the three strongest reasons."""
    with app.uow(write=False) as uow:
        row = uow.analytics.latest_model(KIND)
    if row is None or row.meta.get("features") != list(CONSUMER_FEATURES):
        raise InvalidInput("consumer.no_model")
    book = _load(app)
    return ConsumerPredictionSet(app.clock.today(), str(row.meta.get("method")), int(row.version),
                                 _score(app, str(row.blob), book))


def _score(app: Any, blob: str, book: list[Cardholder]) -> list[ConsumerScore]:
    rows = [dom.features(c) for c in book]
    out = []
    for c, row, (p, contrib) in zip(book, rows, app.predictor().predict_binary(blob, rows), strict=True):
        top = sorted(range(len(CONSUMER_FEATURES)), key=lambda k: -abs(contrib[k]))[:3]
        out.append(ConsumerScore(c.code, min(1.0, max(0.0, p)), c.defaulted,
                                 [(CONSUMER_FEATURES[k], row[k], contrib[k]) for k in top]))
    return out


@dataclass
class ConsumerEvaluation:
    trained: int
    held_out: int
    auc: float | None
    default_rate: float


def _held_out(code: str, k: int) -> bool:
    return int(code) % HELD_OUT_EVERY == 0 if code.isdigit() else k % HELD_OUT_EVERY == 0


def evaluate_consumer(app: Any) -> ConsumerEvaluation:
    """Train on the cardholders not held out (every third by number is) and report the ROC AUC on the rest."""
    book = [c for c in _load(app) if c.defaulted is not None]
    test = [c for k, c in enumerate(book) if _held_out(c.code, k)]
    train = [c for k, c in enumerate(book) if not _held_out(c.code, k)]
    blob = _fit(app, train)
    scores = _score(app, blob, test)
    labels = [int(c.defaulted or 0) for c in test]
    return ConsumerEvaluation(len(train), len(test), roc_auc(labels, [s.p_default for s in scores]),
                              sum(labels) / len(labels) if labels else 0.0)
