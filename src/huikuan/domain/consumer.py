"""Consumer (cardholder) default risk: the features of one cardholder's bill and payment history, and the
guard that keeps protected attributes out of any model.

A cardholder book (agency and school work, docs/model.md "Consumer scoring") holds, per cardholder, the
credit limit and the last six months of repayment status, bill amounts and amounts paid, newest first — the
layout of the UCI "default of credit card clients" file. Sex, education, marriage and age are protected
attributes: the importer never stores them, and ``check_no_protected`` refuses to train on a feature whose
name says it is one, whatever the path it came by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InvalidInput

MONTHS = 6
PROTECTED = frozenset({"sex", "gender", "education", "marriage", "marital_status", "age", "birth_date"})


@dataclass(frozen=True, slots=True)
class Cardholder:
    code: str
    limit_minor: int
    status: tuple[int, ...]  # repayment status, newest month first: -2 no use, -1 paid duly, 0 revolving, n months late
    bills_minor: tuple[int, ...]  # bill statement amounts, newest first (may be negative)
    paid_minor: tuple[int, ...]  # amounts paid in each month, newest first
    defaulted: int | None = None  # 1 defaulted the next month, 0 did not, None not known yet


def _names() -> tuple[str, ...]:
    months = range(1, MONTHS + 1)
    return ("limit", *[f"status_{m}" for m in months], *[f"bill_{m}" for m in months],
            *[f"paid_{m}" for m in months], *[f"utilisation_{m}" for m in months],
            *[f"paid_share_{m}" for m in range(1, MONTHS)],
            "worst_status", "months_late", "mean_status", "paid_over_billed", "bill_growth", "mean_utilisation",
            "max_utilisation", "months_underpaid", "unpaid_last", "balance_change")


CONSUMER_FEATURES = _names()


def check_no_protected(names: Iterable[str]) -> None:
    """Refuse a feature set that holds a protected attribute (sex, education, marriage, age …)."""
    bad = sorted(n for n in names if n.strip().lower() in PROTECTED)
    if bad:
        raise InvalidInput("consumer.protected_feature", field="features", value=", ".join(bad))


def features(c: Cardholder) -> list[float]:
    """The row of ``CONSUMER_FEATURES`` for one cardholder; money in whole units (trees do not care)."""
    lim = max(c.limit_minor / 100, 1.0)
    st = [float(s) for s in c.status]
    bills = [b / 100 for b in c.bills_minor]
    paid = [p / 100 for p in c.paid_minor]
    util = [b / lim for b in bills]
    # a month's payment settles the previous month's bill
    share = [paid[i] / bills[i + 1] if bills[i + 1] > 0 else (1.0 if paid[i] > 0 else -1.0) for i in range(MONTHS - 1)]
    return [
        lim, *st, *bills, *paid, *util, *share,
        max(st), float(sum(1 for s in st if s > 0)), sum(st) / MONTHS, sum(paid) / (sum(bills) + 1.0),
        (bills[0] - bills[-1]) / lim, sum(util) / MONTHS, max(util),
        float(sum(1 for i in range(MONTHS - 1) if paid[i] < 0.05 * max(bills[i + 1], 0.0))),
        bills[0] - paid[0], (bills[0] - bills[1] + paid[0]) / lim,
    ]
