"""How far can any model go on the IBM file without the dispute flag? A deliberately *leaky* bound.

    python bench/model_ceiling.py [--csv ../shared/data/ibm_ar_invoices_2012-01_to_2013-06.csv]

Issue 11's accuracy targets (ROC AUC ≥ 0.88, pay-date MAE ≤ 5.0 days, top-20 % capture ≥ 65 %) are checked
here against the most a learner could get from what the file says about an invoice: each invoice scored on
its issue day by LightGBM fitted, by 5-fold *random* cross-validation, on the other invoices of the whole
file — so the customer's future behaviour leaks in through the customer id, which the product never may use.
Features: customer (categorical), country, paper/electronic billing, amount, invoice month, weekday and day,
days since the file's start; then the same with the ``Disputed`` flag, which the file does not date.
Prints one markdown table (docs/model.md, "Against the targets"). Not a test: a measurement for the model
card, reading the data from ../shared/data (never copied into the repository).
"""

from __future__ import annotations

import argparse
import csv
from datetime import date, datetime
from pathlib import Path

import lightgbm as lgb
import numpy as np

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ibm_ar_invoices_2012-01_to_2013-06.csv"
NAMES = ("customer", "country", "electronic", "amount", "month", "weekday", "day", "days", "disputed")
SETS = (("everything but Disputed", (0, 1, 2, 3, 4, 5, 6, 7)), ("customer + billing channel", (0, 2)),
        ("customer only", (0,)), ("everything, Disputed included", tuple(range(9))))


def _day(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def load(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ids = {c: i for i, c in enumerate(sorted({r["customerID"] for r in rows}))}
    x, days, amount = [], [], []
    for r in rows:
        on = _day(r["InvoiceDate"])
        x.append([ids[r["customerID"]], int(r["countryCode"]), r["PaperlessBill"] == "Electronic",
                  float(r["InvoiceAmount"]), on.month, on.weekday(), on.day, (on - date(2012, 1, 1)).days,
                  r["Disputed"] == "Yes"])
        days.append(int(r["DaysToSettle"]))
        amount.append(float(r["InvoiceAmount"]))
    return np.array(x, dtype=float), np.array(days), np.array(amount)


def auc(y: np.ndarray, s: np.ndarray) -> float:
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s):  # ties share their mean rank
        ranks[s == v] = ranks[s == v].mean()
    pos = int(y.sum())
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos)))


def bound(x: np.ndarray, days: np.ndarray, amount: np.ndarray, cols: tuple[int, ...],
          folds: int = 5, seed: int = 1) -> tuple[float, float, float]:
    late = (days > 30).astype(int)  # DueDate = InvoiceDate + 30 in every row
    p, d = np.zeros(len(days)), np.zeros(len(days))
    parts = np.array_split(np.random.RandomState(seed).permutation(len(days)), folds)
    cat = [0] if 0 in cols else "auto"
    params = {"learning_rate": 0.05, "num_leaves": 8, "min_data_in_leaf": 20, "verbose": -1, "seed": seed}
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[j] for j in range(folds) if j != k])
        xs = x[:, cols]
        p[test] = lgb.train({**params, "objective": "binary"},
                            lgb.Dataset(xs[train], late[train], categorical_feature=cat), 200).predict(xs[test])
        d[test] = lgb.train({**params, "objective": "l1"},
                            lgb.Dataset(xs[train], days[train], categorical_feature=cat), 300).predict(xs[test])
    weight = np.maximum(0, days - 30) * amount
    score = np.maximum(0, d - 30) * amount + 1e-3 * p * amount
    top = np.argsort(-score)[: len(days) // 5]
    return auc(late, p), float(np.abs(d - days).mean()), float(weight[top].sum() / weight.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT)
    args = ap.parse_args()
    x, days, amount = load(args.csv)
    print("| what the learner sees (leaky: 5-fold random CV, scored on the issue day) | ROC AUC | MAE (days) "
          "| top-20 % capture |")
    print("|---|---|---|---|")
    for name, cols in SETS:
        a, m, c = bound(x, days, amount, cols)
        print(f"| {name} | {a:.3f} | {m:.2f} | {c * 100:.1f} % |")


if __name__ == "__main__":
    main()
