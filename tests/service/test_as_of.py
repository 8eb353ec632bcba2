"""``--as-of`` in the past: aging, ``customer show`` and ``worklist`` computed from the facts dated on or
before the day, unchanged by anything recorded later. Both backends."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from huikuan.domain.errors import HuikuanError
from huikuan.domain.money import Money
from huikuan.services import collect, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import aging, worklist

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

D = date(2026, 6, 3)  # a Wednesday, the past day looked at
LATER = date(2026, 12, 2)


def _customer(app, code: str) -> None:
    import_rows(app, "customers", [{"customer_code": code, "name": f"客户{code}", "terms": "net 30",
                                    "credit_limit": "50000.00", "collector": "张伟"}])


def _invoices(app, code: str, rows) -> None:
    import_rows(app, "invoices", [{"invoice_no": n, "customer_code": code, "invoice_date": d.isoformat(),
                                   "amount": a} for n, d, a in rows])


def _row(rep, code):
    return next(((r.amounts, r.disputed, r.overdue) for r in rep.rows if r.key == code), None)


def _view(app, code, day):
    v = collect.customer_view(app, code, day)
    return (v.open_minor, v.disputed_minor, v.overdue_minor, v.days_past_due, v.grade, v.aging,
            [(i.number, i.open_minor, i.disputed_minor) for i in v.invoices],
            [(d.id, d.resolved_on, d.invoice_open_minor <= 0) for d in v.disputes],
            [x.id for x in v.open_actions], [x.id for x in v.activities])


def test_the_issues_case_aging_customer_and_worklist_as_they_were(app, clock):
    clock.set(D)
    _customer(app, "KH1")
    _invoices(app, "KH1", [("A", date(2026, 3, 2), "40000.00"), ("B", date(2026, 4, 20), "4537.96"),
                           ("C", date(2026, 5, 20), "686.88")])
    with app.uow() as uow:
        ledger.record_payment(uow, "KH1", Money.parse("10000.00"), date(2026, 4, 10), number="P0", by=BY)
        ledger.open_dispute(uow, "B", Money.parse("500.00"), "pricing", date(2026, 5, 25), by=BY)
        uow.commit()
    collect.log_contact(app, "KH1", "phone", "reached")
    run_daily(app, D)
    before_aging = _row(aging(app, D), "KH1")
    before_view = _view(app, "KH1", D)
    before_tasks = sorted(r.id for r in worklist(app, D))
    assert before_aging is not None and before_tasks and before_view[2] > 0
    # December: everything paid, written off, disputed, resolved, a new invoice, contacts, runs.
    clock.set(LATER)
    _invoices(app, "KH1", [("Z", date(2026, 11, 2), "999.00")])
    with app.uow() as uow:
        ledger.record_payment(uow, "KH1", Money.parse("25000.00"), date(2026, 12, 1), number="P1", by=BY)
        ledger.record_credit_note(uow, "KH1", Money.parse("100.00"), date(2026, 12, 1), invoice_number="C", by=BY)
        ledger.write_off(uow, "C", Money.parse("86.88"), "小额", date(2026, 12, 1), by=BY)
        ledger.open_dispute(uow, "A", None, "quality", date(2026, 12, 1), by=BY)
        (did,) = [d.id for d in ledger.unresolved_disputes(uow) if d.invoice == "B"]
        ledger.resolve_dispute(uow, did, date(2026, 12, 1), by=BY)
        uow.commit()
    collect.log_contact(app, "KH1", "email", "sent")
    run_daily(app, LATER)
    for r in worklist(app, LATER):
        if not r.needs_approval:
            collect.mark_done(app, r.id)
    assert _row(aging(app, D), "KH1") == before_aging
    assert _view(app, "KH1", D) == before_view
    assert sorted(r.id for r in worklist(app, D)) == before_tasks
    # Today's view is today's: the books did move.
    assert _row(aging(app, LATER), "KH1") != before_aging


def test_a_task_is_not_on_a_past_worklist_once_its_money_was_paid_that_day(app, clock):
    clock.set(date(2026, 11, 23))
    _customer(app, "KH1")
    _invoices(app, "KH1", [("A", date(2026, 10, 19), "1000.00")])
    run_daily(app, date(2026, 11, 23))
    with app.uow() as uow:  # paid on the 24th, recorded on the 30th
        ledger.record_payment(uow, "KH1", Money.parse("1000.00"), date(2026, 11, 24), by=BY)
        uow.commit()
    clock.set(date(2026, 11, 30))
    assert len(worklist(app, date(2026, 11, 23))) == 2  # on the 23rd the money was still owed
    assert worklist(app, date(2026, 11, 24)) == []  # on the 24th it was paid


_codes = itertools.count(1)
_day = st.integers(-150, 150).map(lambda n: D + timedelta(days=n))
_event = st.one_of(
    st.tuples(st.just("pay"), _day, st.integers(1, 5000_00), st.integers(0, 3)),
    st.tuples(st.just("credit"), _day, st.integers(1, 800_00), st.integers(0, 3)),
    st.tuples(st.just("write_off"), _day, st.integers(1, 300_00), st.integers(0, 3)),
    st.tuples(st.just("dispute"), _day, st.integers(1, 1000_00), st.integers(0, 3)),
    st.tuples(st.just("resolve"), _day, st.integers(0, 3), st.integers(0, 3)),
)


@settings(max_examples=8, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(invoices=st.lists(st.tuples(_day, st.integers(1, 3000_00)), min_size=1, max_size=4),
       events=st.lists(_event, max_size=10))
def test_aging_at_a_past_day_is_unchanged_by_anything_recorded_later(app, clock, invoices, events):
    code = f"P{next(_codes)}"
    numbers = [f"{code}-{i}" for i in range(len(invoices))]
    _customer(app, code)

    def apply(when):
        todo = [("invoice", d, a, i) for i, (d, a) in enumerate(invoices)] + list(events)
        for kind, day, x, y in sorted(todo, key=lambda e: (e[1], e[0])):
            if not when(day):
                continue
            number = numbers[y % len(numbers)]
            if kind == "invoice":
                _invoices(app, code, [(numbers[y], day, Money(x, "CNY").amount_text())])
                continue
            try:
                with app.uow() as uow:
                    if kind == "pay":
                        ledger.record_payment(uow, code, Money(x, "CNY"), day, by=BY)
                    elif kind == "credit":
                        ledger.record_credit_note(uow, code, Money(x, "CNY"), day, invoice_number=number, by=BY)
                    elif kind == "write_off":
                        ledger.write_off(uow, number, Money(x, "CNY"), "测试", day, by=BY)
                    elif kind == "dispute":
                        ledger.open_dispute(uow, number, Money(x, "CNY"), "quality", day, by=BY)
                    else:
                        open_ = [d.id for d in ledger.unresolved_disputes(uow) if d.customer == code]
                        if open_:
                            ledger.resolve_dispute(uow, open_[x % len(open_)], day, by=BY)
                    uow.commit()
            except HuikuanError:
                pass  # e.g. a write-off larger than what is open, or an invoice not imported yet

    clock.set(D)
    apply(lambda day: day <= D)
    on_the_day = _row(aging(app, D), code)
    view = collect.customer_view(app, code, D)
    clock.set(D + timedelta(days=200))
    apply(lambda day: day > D)
    assert _row(aging(app, D), code) == on_the_day
    later = collect.customer_view(app, code, D)
    assert (later.open_minor, later.disputed_minor, later.overdue_minor, later.aging) == (
        view.open_minor, view.disputed_minor, view.overdue_minor, view.aging)
    with app.uow(write=False) as uow:
        assert ledger.recompute_open(uow) == []
