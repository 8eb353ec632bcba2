"""Ledger values at their edges: consumers, collectable money, why a task has nothing left to chase,
and the judgement of promises (kept, open, partly kept, broken; instalments; the tolerance deadline
in working days; a year without calendar data)."""

from __future__ import annotations

from datetime import date

import pytest

from huikuan.domain.calendar import WeekendCalendar
from huikuan.domain.errors import CalendarUnknown
from huikuan.domain.ledger import (
    ClosedBecause,
    CustomerType,
    OpenItem,
    PromiseFacts,
    PromiseState,
    judge_promises,
    promise_state,
    settled_reason,
)

CAL = WeekendCalendar()


def test_only_students_and_cardholders_are_consumers():
    assert {t for t in CustomerType if t.is_consumer} == {CustomerType.STUDENT, CustomerType.CARDHOLDER}


@pytest.mark.parametrize(("open_minor", "disputed", "collectable"), [
    (1_000, 0, 1_000), (1_000, 400, 600), (1_000, 1_000, 0), (1_000, 1_200, 0), (-300, 0, 0)])
def test_collectable_money_is_open_less_disputed_never_negative(open_minor, disputed, collectable):
    assert OpenItem(1, "A1", date(2026, 1, 1), open_minor, disputed).collectable_minor == collectable


def test_an_open_item_is_undisputed_unless_told():
    assert OpenItem(1, "A1", date(2026, 1, 1), 500).disputed_minor == 0


@pytest.mark.parametrize(("invoices", "collectable", "reason"), [
    ((), {}, None),                                   # names no invoice: never settled this way
    ((), {"A": 0}, None),
    (("A",), {}, ClosedBecause.PAID),                 # nothing open any more
    (("A", "B"), {}, ClosedBecause.PAID),
    (("A",), {"A": 0}, ClosedBecause.DISPUTED),       # open, but all of it disputed
    (("A", "B"), {"A": 0}, ClosedBecause.DISPUTED),   # one paid, the other disputed
    (("A",), {"A": 1}, None),                         # one fen still collectable
    (("A", "B"), {"B": 5}, None),
    (("A", "B"), {"A": 0, "B": 5}, None),
    (("A",), {"B": 5}, ClosedBecause.PAID),           # another invoice's money does not count
])
def test_settled_reason(invoices, collectable, reason):
    assert settled_reason(invoices, collectable) is reason
    assert settled_reason(iter(invoices), collectable) is reason  # any iterable, read once


def test_the_closing_reasons_are_stable_codes():
    assert (ClosedBecause.PAID.value, ClosedBecause.DISPUTED.value) == ("paid", "disputed")


DAY = date(2026, 11, 23)  # a Monday


def _p(amount: int, paid: int, promised_on: date = DAY, made_on: date = date(2026, 11, 2), pid: int = 1) -> PromiseFacts:
    return PromiseFacts(pid, amount, promised_on, made_on, paid)


@pytest.mark.parametrize(("amount", "paid", "today", "deadline", "state"), [
    (1_000, 1_000, DAY, DAY, PromiseState.KEPT),              # exactly the promised amount
    (1_000, 1_500, DAY, DAY, PromiseState.KEPT),
    (1_000, 1_000, date(2027, 1, 1), DAY, PromiseState.KEPT),  # kept stays kept after the deadline
    (1_000, 999, DAY, DAY, PromiseState.OPEN),                # one fen short, deadline is today: still open
    (1_000, 0, date(2026, 11, 20), DAY, PromiseState.OPEN),
    (1_000, 999, date(2026, 11, 24), DAY, PromiseState.PARTLY_KEPT),  # the day after the deadline
    (1_000, 1, date(2026, 11, 24), DAY, PromiseState.PARTLY_KEPT),
    (1_000, 0, date(2026, 11, 24), DAY, PromiseState.BROKEN),
])
def test_promise_state_at_its_edges(amount, paid, today, deadline, state):
    assert promise_state(_p(amount, paid), today, deadline) is state


def test_a_promise_is_judged_with_working_days_of_tolerance():
    fri = date(2026, 11, 20)
    p = _p(1_000, 0, promised_on=fri)
    # tolerance 1 working day after Friday is Monday: open on Monday, broken on Tuesday
    [(same, state, deadline)] = judge_promises([p], date(2026, 11, 23), 1, CAL)
    assert same is p and deadline == date(2026, 11, 23) and state is PromiseState.OPEN
    [(_, state, deadline)] = judge_promises([p], date(2026, 11, 24), 1, CAL)
    assert deadline == date(2026, 11, 23) and state is PromiseState.BROKEN
    [(_, state, deadline)] = judge_promises([p], date(2026, 11, 24), 2, CAL)
    assert deadline == date(2026, 11, 24) and state is PromiseState.OPEN
    sat = _p(1_000, 0, promised_on=date(2026, 11, 21))  # promised for a Saturday, no tolerance:
    [(_, state, deadline)] = judge_promises([sat], date(2026, 11, 22), 0, CAL)
    assert deadline == date(2026, 11, 23) and state is PromiseState.OPEN  # rolled to the next working day


def test_a_promise_not_yet_due_keeps_its_own_date_as_deadline():
    p = _p(1_000, 0, promised_on=date(2026, 11, 30))
    assert judge_promises([p], DAY, 3, CAL) == [(p, PromiseState.OPEN, date(2026, 11, 30))]
    due_today = _p(1_000, 0, promised_on=DAY)  # promised today: the deadline is today, no tolerance added yet
    assert judge_promises([due_today], DAY, 3, CAL) == [(due_today, PromiseState.OPEN, DAY)]


class _Unknown:
    def is_workday(self, day: date) -> bool:
        raise CalendarUnknown("calendar.unknown_year", year=day.year)


def test_without_calendar_data_the_deadline_is_today_so_nothing_breaks_on_a_guess():
    p = _p(1_000, 0, promised_on=date(2026, 11, 2))
    assert judge_promises([p], DAY, 3, _Unknown()) == [(p, PromiseState.OPEN, DAY)]


def test_instalments_made_the_same_day_are_judged_cumulatively_in_order():
    made = date(2026, 11, 2)
    second = PromiseFacts(7, 600, date(2026, 11, 16), made, 800)
    first = PromiseFacts(9, 400, date(2026, 11, 9), made, 800)
    later = PromiseFacts(3, 500, date(2026, 11, 18), date(2026, 11, 10), 0)
    out = judge_promises([later, second, first], DAY, 0, CAL)
    # ordered by (made_on, promised_on, id); 800 paid covers the 400 but not 400 + 600
    assert [(p.promise_id, s) for p, s, _ in out] == [
        (9, PromiseState.KEPT), (7, PromiseState.PARTLY_KEPT), (3, PromiseState.BROKEN)]
    assert [d for _, _, d in out] == [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 18)]
    assert out[0][0] is first  # the promise itself is returned, not the cumulative view


def test_instalments_with_one_date_are_ordered_by_id_and_a_new_day_starts_afresh():
    made = date(2026, 11, 2)
    a = PromiseFacts(2, 300, date(2026, 11, 9), made, 300)
    b = PromiseFacts(1, 300, date(2026, 11, 9), made, 300)
    c = PromiseFacts(5, 300, date(2026, 11, 9), date(2026, 11, 3), 300)
    out = judge_promises([a, b, c], DAY, 0, CAL)
    assert [(p.promise_id, s) for p, s, _ in out] == [
        (1, PromiseState.KEPT), (2, PromiseState.PARTLY_KEPT), (5, PromiseState.KEPT)]
