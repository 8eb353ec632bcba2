"""The daily run through the real bootstrap: idempotency, concurrency, catch-up, contacts and
promises, approvals and their effects, the run log. Both backends."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import Conflict, NotFound, RuleViolation
from huikuan.domain.money import Money
from huikuan.services import collect, ledger
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.reporting import runs, worklist

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

TODAY = date(2026, 11, 23)  # a Monday


def seed(app, n: int = 3) -> None:
    import_rows(app, "customers", [
        {"customer_code": f"KH{i}", "name": f"客户{i}", "terms": "net 30", "credit_limit": "100000.00",
         "collector": "李娜"} for i in range(n)])
    import_rows(app, "invoices", [
        {"invoice_no": f"I{i}-{k}", "customer_code": f"KH{i}", "invoice_date": d, "amount": "1000.00"}
        for i in range(n) for k, d in enumerate(("2026-09-01", "2026-10-10", "2026-10-20"))])


def count(app, table) -> int:
    with app.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


def test_same_day_twice_creates_nothing_new(app):
    seed(app)
    first = run_daily(app, TODAY)
    n = count(app, t.action)
    assert first.created == n > 0
    second = run_daily(app, TODAY)
    assert second.created == 0 and count(app, t.action) == n
    assert second.actions == first.actions  # the same decision, reported again


def test_one_action_per_customer_per_stage_bundling_invoices(app):
    seed(app, 1)
    rep = run_daily(app, TODAY)
    dunning = [a for a in rep.actions if a.ladder == "dunning"]
    assert len(dunning) == 1
    assert dunning[0].invoices == ("I0-0", "I0-1", "I0-2")  # every overdue invoice, oldest first
    assert dunning[0].amount_minor == 300_000


def test_concurrent_runs_create_each_action_once(app):
    seed(app, 20)
    results: list[object] = []

    def go():
        try:
            results.append(run_daily(app, TODAY))
        except Conflict as e:
            results.append(e)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    reports = [r for r in results if not isinstance(r, Conflict)]
    assert reports, results
    assert sum(r.created for r in reports) == count(app, t.action) == len(reports[0].actions)
    with app.engine.connect() as c:
        dup = c.execute(select(t.action.c.customer_id, t.action.c.stage, func.count())
                        .group_by(t.action.c.customer_id, t.action.c.stage, t.action.c.run_on)
                        .having(func.count() > 1)).all()
    assert dup == []


def test_a_held_lock_stops_a_second_run_with_a_clear_error(app):
    import os

    from huikuan.services.run_lock import this_host

    seed(app, 1)
    with app.uow() as uow:  # a live run of this very process holds the lock
        rid = uow.collect.start_run(TODAY, app.clock.now().replace(tzinfo=None), False, pid=os.getpid(),
                                    host=this_host())
        uow.collect.take_lock(rid, app.clock.now().replace(tzinfo=None))
        uow.commit()
    with pytest.raises(Conflict) as e:
        run_daily(app, TODAY)
    assert e.value.code == "run.locked" and e.value.params["run_id"] == rid


def test_catch_up_acts_once_at_todays_stage_and_names_the_missed_days(app):
    seed(app, 1)
    run_daily(app, date(2026, 11, 16))
    before = count(app, t.action)
    rep = run_daily(app, TODAY)  # Tuesday 17th … Friday 20th were missed; the weekend is not a working day
    assert rep.caught_up == [date(2026, 11, d) for d in (17, 18, 19, 20)]
    assert count(app, t.action) - before == rep.created == len(rep.actions)
    assert len({(a.customer_id, a.stage) for a in rep.actions}) == len(rep.actions)
    last = runs(app, 1)[0]
    assert last.caught_up == ["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"] and last.status == "done"


def test_a_manual_contact_restarts_the_cadence(app):
    import_rows(app, "customers", [{"customer_code": "KHC", "name": "客户C", "terms": "net 30"}])
    # Due 2026-11-18: at the 23rd it is 5 days overdue, stage overdue_1_7 (every 2 working days).
    import_rows(app, "invoices", [{"invoice_no": "C1", "customer_code": "KHC", "invoice_date": "2026-10-19",
                                   "amount": "10.00"}])
    collect.log_contact(app, "KHC", "phone", "reached", at=datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    rep = run_daily(app, TODAY)  # one working day after the logged call: not yet
    assert [a.ladder for a in rep.actions] == ["credit"]
    rep = run_daily(app, date(2026, 11, 24))  # two working days after it: call
    assert [(a.ladder, a.stage) for a in rep.actions] == [("dunning", "overdue_1_7")]


def test_logging_a_contact_closes_the_call_task_not_the_escalation(app, clock):
    seed(app, 1)
    run_daily(app, TODAY)  # 53 days overdue: escalation to the manager (first action of the stage)
    run_daily(app, date(2026, 11, 24))  # then the supervisor's daily call
    clock.set(date(2026, 11, 24))
    kinds = sorted(r.kind for r in worklist(app, date(2026, 11, 24)) if not r.needs_approval)
    assert kinds == ["call", "escalate"]
    collect.log_contact(app, "KH0", "phone", "no_answer")
    assert sorted(r.kind for r in worklist(app, date(2026, 11, 24)) if not r.needs_approval) == ["escalate"]


def test_promise_pauses_then_broken_promise_escalates(app):
    seed(app, 1)
    collect.record_promise(app, "KH0", 100_000, date(2026, 11, 25), made_on=date(2026, 11, 20))
    assert not [a for a in run_daily(app, TODAY).actions if a.ladder in ("dunning", "measures")]
    # 25th + 2 working days = 27th; on the 30th the promise is broken.
    rep = run_daily(app, date(2026, 11, 30))
    assert ("promise_broken", "escalate") in [(a.stage, a.kind.value) for a in rep.actions]


def test_a_kept_promise_does_not_escalate(app):
    seed(app, 1)
    collect.record_promise(app, "KH0", 100_000, date(2026, 11, 25), made_on=date(2026, 11, 20))
    with app.uow() as uow:
        ledger.record_payment(uow, "KH0", Money.parse("1000.00"), date(2026, 11, 24), by=BY)
        uow.commit()
    rep = run_daily(app, date(2026, 11, 30))
    assert "promise" not in {a.ladder for a in rep.actions}


def test_paused_and_disputed_customers_get_nothing(app):
    seed(app, 2)
    collect.set_paused(app, "KH0", True)
    with app.uow() as uow:
        for k in range(3):
            ledger.open_dispute(uow, f"I1-{k}", None, "quality", TODAY, by=BY)
        uow.commit()
    assert run_daily(app, TODAY).actions == []


def test_approval_applies_the_measure_and_rejection_does_not(app):
    seed(app, 2)
    rep = run_daily(app, date(2026, 12, 1))  # 61 days overdue: blacklist proposals
    with app.engine.connect() as c:
        props = c.execute(select(t.action.c.id, t.action.c.customer_id).where(t.action.c.kind == "blacklist")
                          .order_by(t.action.c.id)).all()
    assert len(props) == 2 and rep.counts["blacklist"] == 2
    collect.decide_proposal(app, props[0].id, True, by="老板")
    collect.decide_proposal(app, props[1].id, False, by="老板", note="大客户，再谈")
    with app.engine.connect() as c:
        st = dict(c.execute(select(t.customer.c.code, t.customer.c.credit_status)).all())
        lim = dict(c.execute(select(t.customer.c.code, t.customer.c.credit_limit_minor)).all())
    assert st == {"KH0": "blacklisted", "KH1": "normal"} and lim["KH0"] == 0
    with pytest.raises(RuleViolation):
        collect.decide_proposal(app, props[0].id, False)
    with pytest.raises(NotFound):
        collect.decide_proposal(app, 987654, True)
    # A rejected proposal is not re-proposed the next day for the same episode.
    nxt = run_daily(app, date(2026, 12, 2))
    assert "blacklist" not in [a.kind.value for a in nxt.actions]


def test_stopped_customer_who_pays_is_offered_back_with_the_limit_cut(app):
    seed(app, 1)
    with app.uow() as uow:
        uow.customers.update_customer(uow.customers.by_code("KH0").id, credit_status="stopped")
        ledger.record_payment(uow, "KH0", Money.parse("3000.00"), TODAY, by=BY)
        uow.commit()
    rep = run_daily(app, TODAY)
    (cut,) = [a for a in rep.actions if a.kind.value == "limit_cut"]
    assert cut.amount_minor == 6_000_000
    with app.engine.connect() as c:
        aid = c.execute(select(t.action.c.id).where(t.action.c.kind == "limit_cut")).scalar_one()
    collect.decide_proposal(app, aid, True)
    with app.engine.connect() as c:
        row = c.execute(select(t.customer.c.credit_status, t.customer.c.credit_limit_minor)).one()
    assert tuple(row) == ("normal", 6_000_000)


def test_dry_run_saves_no_action_but_is_logged(app):
    seed(app, 1)
    rep = run_daily(app, TODAY, dry_run=True)
    assert rep.actions and count(app, t.action) == 0
    assert runs(app, 1)[0].dry_run is True


def test_non_working_day_run_is_recorded_with_nothing_to_do(app):
    seed(app, 1)
    rep = run_daily(app, date(2026, 11, 22))  # Sunday
    assert rep.non_workday and rep.actions == []


def test_foreign_currency_invoices_are_not_added_to_the_customers_money(app):
    seed(app, 1)
    import_rows(app, "invoices", [{"invoice_no": "USD-1", "customer_code": "KH0", "invoice_date": "2026-09-01",
                                   "amount": "999.00", "currency": "USD"}])
    rep = run_daily(app, TODAY)
    dunning = next(a for a in rep.actions if a.ladder == "dunning")
    assert dunning.amount_minor == 300_000 and "USD-1" not in dunning.invoices and dunning.currency == "CNY"
    assert [e["code"] for e in rep.errors] == ["run.foreign_currency"] and "USD" in rep.errors[0]["message_zh"]


def test_a_promise_is_judged_with_the_customers_own_policy(app, tmp_path):
    from dataclasses import replace

    from huikuan.services.policies import SHIPPED, assign_segment

    strict = (SHIPPED / "default.toml").read_text(encoding="utf-8").replace('id = "default"', 'id = "strict"', 1)
    strict = strict.replace("promise_tolerance_working_days = 2", "promise_tolerance_working_days = 0")
    (tmp_path / "strict.toml").write_text(strict, encoding="utf-8")
    app.settings = replace(app.settings, policy_dir=str(tmp_path))
    seed(app, 2)
    with app.uow() as uow:
        uow.customers.update_customer(uow.customers.by_code("KH1").id, segment="严格")
        uow.commit()
    assign_segment(app, "严格", "strict")
    for code in ("KH0", "KH1"):
        collect.record_promise(app, code, 100_000, date(2026, 11, 20), made_on=date(2026, 11, 18))
    rep = run_daily(app, TODAY)  # the 20th passed unpaid: broken at once under "strict", not yet under default
    broken = {a.customer_code for a in rep.actions if a.stage == "promise_broken"}
    assert broken == {"KH1"}


def test_customer_page_judges_instalments_as_the_run_does(app):
    seed(app, 1)
    for due in (date(2026, 11, 10), date(2026, 11, 17)):
        collect.record_promise(app, "KH0", 50_000, due, made_on=date(2026, 11, 3))
    with app.uow() as uow:
        ledger.record_payment(uow, "KH0", Money.parse("600.00"), date(2026, 11, 9), by=BY)
        ledger.record_payment(uow, "KH0", Money.parse("5.00"), date(2026, 11, 30), by=BY)  # after the page's date
        uow.commit()
    view = collect.customer_view(app, "KH0", TODAY)
    assert sorted(state for _, state in view.promises) == ["kept", "partly_kept"]
    rep = run_daily(app, TODAY)
    assert ("promise_broken", "escalate") in [(a.stage, a.kind.value) for a in rep.actions]


def test_a_later_statement_step_fills_earlier_ones_and_keeps_their_dates(app):
    seed(app, 1)
    collect.mark_statement(app, "KH0", "2026-10", "prepared", date(2026, 11, 3))
    collect.mark_statement(app, "KH0", "2026-10", "sent", date(2026, 11, 7))
    with app.uow(write=False) as uow:
        row = uow.collect.statements("2026-10")[uow.customers.by_code("KH0").id]
    assert (row.prepared_on, row.checked_on, row.sent_on, row.confirmed_on) == (
        date(2026, 11, 3), date(2026, 11, 7), date(2026, 11, 7), None)


def test_a_reason_names_money_in_the_customers_own_currency(app):
    # A USD customer's broken promise: the stored reason says $1,000.00 in both languages, never ¥.
    import_rows(app, "customers", [{"customer_code": "US1", "name": "美元客户", "terms": "net 30",
                                    "currency": "USD", "collector": "李娜"}])
    import_rows(app, "invoices", [{"invoice_no": "U-1", "customer_code": "US1", "invoice_date": "2026-09-01",
                                   "amount": "3000.00", "currency": "USD"}])
    collect.record_promise(app, "US1", 100_000, date(2026, 11, 25), made_on=date(2026, 11, 20))
    run_daily(app, date(2026, 11, 30))
    with app.engine.connect() as c:
        zh, en = c.execute(select(t.action.c.reason_zh, t.action.c.reason_en)
                           .where(t.action.c.stage == "promise_broken")).one()
    assert "$1,000.00" in zh and "$1,000.00" in en, (zh, en)
    assert "¥" not in zh + en
