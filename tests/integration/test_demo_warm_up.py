"""The demo's warm-up: two weeks of runs and plausible follow-up make "today" an ordinary working day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.services import demo_data, demo_load
from huikuan.services.daily_run import run_daily

AS_OF = date(2026, 11, 23)


def _count(app, table, *where):
    with app.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_warm_up_replays_runs_and_follow_up(sqlite_app):
    app = sqlite_app
    demo_load.load(app, demo_data.generate(customers=40, months=6, seed=11, as_of=AS_OF))
    counts = demo_load.warm_up(app, AS_OF, working_days=5, seed=11)
    assert counts["runs"] == 5 and counts["contacts"] > 0 and counts["approved"] + counts["rejected"] > 0
    assert _count(app, t.run, t.run.c.status == "done") == 5
    assert _count(app, t.action, t.action.c.status == "approved") == counts["approved"]
    days = {r for r in app.engine.connect().execute(select(t.run.c.as_of)).scalars()}
    assert max(days) == date(2026, 11, 20) and date(2026, 11, 21) not in days  # working days only, before today
    assert app.clock.today() == AS_OF  # the app's clock is given back
    report = run_daily(app, AS_OF)
    assert report.caught_up == []  # yesterday's run exists: today is an ordinary day
    _the_warm_up_left_a_correct_book(app, counts)


def _the_warm_up_left_a_correct_book(app, counts):
    """Correctness, not only determinism: what the warm-up did is what the books say."""
    from huikuan.services import ledger

    with app.engine.connect() as c:
        acts = c.execute(select(t.action)).mappings().all()
        customers = {r.id: r for r in c.execute(select(t.customer))}
        contacts = c.execute(select(func.count()).select_from(t.activity)).scalar_one()
        promises = c.execute(select(func.count()).select_from(t.promise).where(t.promise.c.made_on < AS_OF)).scalar_one()
    assert contacts >= counts["contacts"] and promises >= counts["promises"]
    # Every approved measure took effect on its customer.
    for a in acts:
        if a["status"] != "approved":
            continue
        cust = customers[a["customer_id"]]
        if a["kind"] == "blacklist":
            assert cust.credit_status == "blacklisted" and cust.credit_limit_minor == 0
        elif a["kind"] == "shipment_lock":
            assert cust.shipment_locked
        elif a["kind"] == "credit_stop":
            assert cust.credit_status in ("stopped", "blacklisted", "normal")
    # One action per customer, stage and day; every logged contact closed the contact tasks before it.
    assert len({(a["customer_id"], a["stage"], a["run_on"]) for a in acts}) == len(acts)
    done = [a for a in acts if a["status"] == "done"]
    assert len(done) >= counts["done"] and all(a["decided_on"] is not None for a in done)
    open_calls = [(a["customer_id"], a["ladder"]) for a in acts if a["status"] == "open" and a["kind"] == "call"]
    assert len(open_calls) == len(set(open_calls))  # a newer call supersedes the older one of its ladder
    # Nothing on today's worklist chases money that is no longer collectable, and the ledger adds up.
    with app.uow(write=False) as uow:
        assert ledger.recompute_open(uow) == []
        still = uow.collect.collectable_by_number(list(customers))
    from huikuan.domain.ledger import settled_reason

    for a in acts:
        if a["status"] == "open" and a["invoices"]:
            assert settled_reason(a["invoices"], still) is None, a


def test_warm_up_is_deterministic(tmp_path, clock):
    from huikuan.bootstrap import bootstrap
    from huikuan.config import Settings

    results = []
    for n in range(2):
        app = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/d{n}.db"), clock=clock)
        demo_load.load(app, demo_data.generate(customers=25, months=4, seed=5, as_of=AS_OF))
        results.append(demo_load.warm_up(app, AS_OF, working_days=3, seed=5))
        app.engine.dispose()
    assert results[0] == results[1]
