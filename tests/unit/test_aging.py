"""Aging buckets (账龄), exactly at their edges: parsing the bucket list, the labels in both languages,
which bucket a day count falls into, an invoice's balance on a past day, and the per-customer sums."""

from __future__ import annotations

from datetime import date

import pytest

from huikuan.domain.aging import (
    DEFAULT_BUCKETS,
    age_items,
    balance_as_of,
    bucket_index,
    bucket_labels,
    parse_buckets,
)
from huikuan.domain.errors import InvalidInput


@pytest.mark.parametrize(("text", "buckets"), [
    ("0,30,60,90", (0, 30, 60, 90)),
    ("0", (0,)),
    ("0，30，60", (0, 30, 60)),  # the full-width comma of a Chinese keyboard
    (" 0 , 30 ,, 45 ", (0, 30, 45)),  # blanks and empty parts are ignored
    ("0,1", (0, 1)),
])
def test_parse_buckets(text, buckets):
    assert parse_buckets(text) == buckets


@pytest.mark.parametrize("text", ["", " , ", "30,60", "1,30", "0,30,30", "0,60,30", "0,x", "0,1.5", "-1,0"])
def test_parse_buckets_refuses(text):
    with pytest.raises(InvalidInput) as e:
        parse_buckets(text)
    assert e.value.code == "aging.buckets" and e.value.params == {"value": text}


def test_default_buckets():
    assert DEFAULT_BUCKETS == (0, 30, 60, 90, 180, 365)


def test_bucket_labels_in_both_languages():
    assert bucket_labels((0, 30, 60)) == ["未到期", "1–30天", "31–60天", ">60天"]
    assert bucket_labels((0, 30, 60), "zh") == ["未到期", "1–30天", "31–60天", ">60天"]
    assert bucket_labels((0, 30, 60), "en") == ["not due", "1–30d", "31–60d", ">60d"]
    assert bucket_labels((0,), "en") == ["not due", ">0d"]
    assert len(bucket_labels(DEFAULT_BUCKETS)) == len(DEFAULT_BUCKETS) + 1


@pytest.mark.parametrize(("days", "index"), [
    (-5, 0), (0, 0),  # not yet due, due today
    (1, 1), (30, 1),
    (31, 2), (60, 2),
    (61, 3), (90, 3),
    (91, 4), (180, 4),
    (181, 5), (365, 5),
    (366, 6), (10_000, 6),
])
def test_bucket_index_at_every_edge(days, index):
    assert bucket_index(days, DEFAULT_BUCKETS) == index


def test_bucket_index_with_a_first_bucket_above_zero_and_one_bucket():
    assert [bucket_index(d, (5, 10)) for d in (4, 5, 6, 10, 11)] == [0, 0, 1, 1, 2]
    assert [bucket_index(d, (0,)) for d in (0, 1)] == [0, 1]


@pytest.mark.parametrize(("amount", "allocated", "disputes", "expected"), [
    (10_000, 0, 0, (10_000, 0)),
    (10_000, 2_500, 0, (7_500, 0)),
    (10_000, 2_500, 1_000, (7_500, 1_000)),
    (10_000, 2_500, 7_500, (7_500, 7_500)),
    (10_000, 2_500, 9_000, (7_500, 7_500)),  # disputed money never exceeds the open money
    (10_000, 10_000, 3_000, (0, 0)),
    (10_000, 12_000, 3_000, (-2_000, 0)),  # overpaid: nothing disputed, never a negative dispute
    (10_000, 0, -5, (10_000, 0)),
])
def test_balance_as_of(amount, allocated, disputes, expected):
    assert balance_as_of(amount, allocated, disputes) == expected


AS_OF = date(2026, 11, 23)


def test_age_items_sums_by_bucket_and_keeps_disputes_out_of_overdue():
    items = [
        (date(2026, 11, 23), 1_000, 0),      # due today: not due, not overdue
        (date(2026, 12, 1), 2_000, 500),     # not due, partly disputed
        (date(2026, 11, 22), 3_000, 0),      # 1 day
        (date(2026, 10, 24), 4_000, 1_000),  # 30 days, partly disputed
        (date(2026, 10, 23), 5_000, 5_000),  # 31 days, wholly disputed: not the oldest collectable
        (date(2025, 11, 22), 6_000, 0),      # 366 days
    ]
    amounts, disputed, overdue, oldest = age_items(AS_OF, items, DEFAULT_BUCKETS)
    assert amounts == [3_000, 7_000, 5_000, 0, 0, 0, 6_000]
    assert disputed == 500 + 1_000 + 5_000
    assert overdue == 3_000 + 3_000 + 0 + 6_000
    assert oldest == date(2025, 11, 22)


def test_age_items_oldest_is_the_oldest_collectable_due_date_in_any_order():
    items = [(date(2026, 11, 1), 100, 0), (date(2026, 9, 1), 100, 100), (date(2026, 10, 1), 100, 40),
             (date(2026, 11, 10), 100, 0)]
    assert age_items(AS_OF, items, DEFAULT_BUCKETS)[3] == date(2026, 10, 1)
    assert age_items(AS_OF, list(reversed(items)), DEFAULT_BUCKETS)[3] == date(2026, 10, 1)


def test_age_items_of_nothing_overdue():
    assert age_items(AS_OF, [], (0, 30)) == ([0, 0, 0], 0, 0, None)
    assert age_items(AS_OF, [(AS_OF, 700, 0)], (0, 30)) == ([700, 0, 0], 0, 0, None)
    # overdue but wholly disputed: counted in its bucket, not in overdue, no oldest date
    assert age_items(AS_OF, [(date(2026, 11, 1), 700, 700)], (0, 30)) == ([0, 700, 0], 700, 0, None)
