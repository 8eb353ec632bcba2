"""A cardholder's features, computed by hand for one bill-and-payment history (every feature, in order),
the names a model is trained under, the floor on a zero limit, and the refusal of protected attributes."""

from __future__ import annotations

import pytest

from huikuan.domain.consumer import CONSUMER_FEATURES, Cardholder, check_no_protected, features
from huikuan.domain.errors import InvalidInput

HOLDER = Cardholder(
    code="K1", limit_minor=10_000_000,  # 100,000.00
    status=(2, 0, -1, 1, -2, 3),
    bills_minor=(5_000_000, 4_000_000, 3_000_000, 0, -100_000, 2_000_000),
    paid_minor=(1_000_000, 4_000_000, 0, 500_000, 0, 100_000),
)


def test_the_feature_names_in_order():
    m = range(1, 7)
    assert (
        "limit", *[f"status_{i}" for i in m], *[f"bill_{i}" for i in m], *[f"paid_{i}" for i in m],
        *[f"utilisation_{i}" for i in m], *[f"paid_share_{i}" for i in range(1, 6)],
        "worst_status", "months_late", "mean_status", "paid_over_billed", "bill_growth", "mean_utilisation",
        "max_utilisation", "months_underpaid", "unpaid_last", "balance_change") == CONSUMER_FEATURES


def test_every_feature_of_one_history_by_hand():
    bills = [50_000.0, 40_000.0, 30_000.0, 0.0, -1_000.0, 20_000.0]
    paid = [10_000.0, 40_000.0, 0.0, 5_000.0, 0.0, 1_000.0]
    expected = [
        100_000.0, 2.0, 0.0, -1.0, 1.0, -2.0, 3.0, *bills, *paid,
        0.5, 0.4, 0.3, 0.0, -0.01, 0.2,  # utilisation: bill / limit
        0.25, 40_000 / 30_000, -1.0, 1.0, 0.0,  # paid share of the previous month's bill (none billed: ±1)
        3.0,  # worst status
        3.0,  # months late (status above 0)
        0.5,  # mean status: 3 / 6
        56_000 / 139_001,  # paid over billed (+1 keeps it finite)
        0.3,  # bill growth: (50,000 − 20,000) / limit
        1.39 / 6,  # mean utilisation
        0.5,  # max utilisation
        1.0,  # months underpaid: less than 5 % of the previous bill (only the last pair)
        40_000.0,  # unpaid of the newest bill
        0.2,  # balance change: (50,000 − 40,000 + 10,000) / limit
    ]
    got = features(HOLDER)
    assert len(got) == len(CONSUMER_FEATURES) == len(expected)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_five_percent_paid_is_not_underpaid_and_a_zero_limit_counts_as_one_unit():
    c = Cardholder("K2", 0, (0,) * 6, (10_000, 100_000, 0, 0, 0, 0), (5_000, 0, 0, 0, 0, 0))
    got = dict(zip(CONSUMER_FEATURES, features(c), strict=True))
    assert got["limit"] == 1.0 and got["utilisation_1"] == 100.0
    assert got["months_underpaid"] == 0.0  # 50.00 paid against a 1,000.00 bill: exactly 5 %
    c2 = Cardholder("K3", 0, (0,) * 6, (10_000, 100_001, 0, 0, 0, 0), (5_000, 0, 0, 0, 0, 0))
    assert dict(zip(CONSUMER_FEATURES, features(c2), strict=True))["months_underpaid"] == 1.0


def test_protected_attributes_are_refused_whatever_their_spelling():
    check_no_protected(CONSUMER_FEATURES)
    with pytest.raises(InvalidInput) as e:
        check_no_protected(["limit", "SEX", " Age ", "bill_1", "marriage"])
    assert e.value.code == "consumer.protected_feature"
    assert e.value.params == {"field": "features", "value": " Age , SEX, marriage"}


@pytest.mark.parametrize("name", ["sex", "gender", "education", "marriage", "marital_status", "age", "birth_date"])
def test_each_protected_attribute(name):
    with pytest.raises(InvalidInput):
        check_no_protected([name])
