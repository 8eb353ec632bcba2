"""Aging buckets (账龄): labels and the bucket a number of days past due falls into."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .errors import InvalidInput

DEFAULT_BUCKETS = (0, 30, 60, 90, 180, 365)


def parse_buckets(text: str) -> tuple[int, ...]:
    """``"0,30,60,90"`` → (0, 30, 60, 90): strictly increasing, starting at 0."""
    try:
        vals = tuple(int(x) for x in text.replace("，", ",").split(",") if x.strip())
    except ValueError as e:
        raise InvalidInput("aging.buckets", value=text) from e
    if not vals or vals[0] != 0 or any(b <= a for a, b in zip(vals, vals[1:], strict=False)):
        raise InvalidInput("aging.buckets", value=text)
    return vals


def bucket_labels(buckets: Sequence[int], lang: str = "zh") -> list[str]:
    """First label is "not due"; then 1–30, 31–60 … and ">365"."""
    labels = ["未到期" if lang == "zh" else "not due"]
    for lo, hi in zip(buckets, buckets[1:], strict=False):
        labels.append(f"{lo + 1}–{hi}" + ("天" if lang == "zh" else "d"))
    labels.append(f">{buckets[-1]}" + ("天" if lang == "zh" else "d"))
    return labels


def bucket_index(days_past_due: int, buckets: Sequence[int]) -> int:
    """0 for not yet due (days ≤ 0); i for buckets[i-1] < days ≤ buckets[i]; last for beyond."""
    if days_past_due <= buckets[0]:
        return 0
    for i in range(1, len(buckets)):
        if days_past_due <= buckets[i]:
            return i
    return len(buckets)


def balance_as_of(amount_minor: int, allocated_minor: int, disputes_open_minor: int) -> tuple[int, int]:
    """An invoice's (open, disputed) on a day from the facts dated on or before it: the amount less the
    allocations (payments, credit notes, write-offs) dated up to then, and the disputes open then —
    disputed money never exceeds what is open (the ledger's own invariant)."""
    open_minor = amount_minor - allocated_minor
    return open_minor, max(0, min(open_minor, disputes_open_minor))


def age_items(as_of: date, items: Iterable[tuple[date, int, int]],
              buckets: Sequence[int]) -> tuple[list[int], int, int, date | None]:
    """Open money per bucket, disputed money, collectable overdue money and the oldest due date of
    collectable overdue money, over (due_on, open, disputed) items on ``as_of``."""
    amounts = [0] * (len(buckets) + 1)
    disputed = overdue = 0
    oldest: date | None = None
    for due_on, open_minor, disputed_minor in items:
        amounts[bucket_index((as_of - due_on).days, buckets)] += open_minor
        disputed += disputed_minor
        if due_on < as_of:
            overdue += open_minor - disputed_minor
            if open_minor > disputed_minor and (oldest is None or due_on < oldest):
                oldest = due_on
    return amounts, disputed, overdue, oldest


@dataclass(frozen=True, slots=True)
class OpenSummary:
    """One customer's open invoices summed: what its page shows above the (paged) invoice list."""

    aging: tuple[int, ...]  # open money per bucket (not due first)
    open_minor: int
    disputed_minor: int
    overdue_minor: int  # undisputed money past due, of the invoices that have some
    oldest_due: date | None  # the oldest due date of such money
    invoices: int


def summarise_open(as_of: date, groups: Iterable[tuple[date, int, int, int, int]],
                   buckets: Sequence[int]) -> OpenSummary:
    """Sum (due_on, invoices, open, disputed, collectable) groups — one per invoice, or per due date as
    the database adds them up; collectable is max(open − disputed, 0) per invoice, summed."""
    aging = [0] * (len(buckets) + 1)
    open_minor = disputed = overdue = count = 0
    oldest: date | None = None
    for due_on, n, open_, disputed_, collectable in groups:
        days = (as_of - due_on).days
        aging[bucket_index(days, buckets)] += open_
        open_minor += open_
        disputed += disputed_
        count += n
        if days > 0 and collectable > 0:
            overdue += collectable
            oldest = due_on if oldest is None else min(oldest, due_on)
    return OpenSummary(tuple(aging), open_minor, disputed, overdue, oldest, count)
