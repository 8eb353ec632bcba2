"""Today in the ranking's order reads a window of ranked positions off an index and stops after a page
(issue 8: a manager's Today with a trained model sorted 4·10^5 open tasks, 6 s at 10^6 invoices). Paged
through with every filter, with the window small enough that some pages come from it and others from the
full sort, the list is exactly the full order: ranked tasks by position, then the unranked by amount.
Both backends."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from huikuan.adapters.db import collect_repo
from huikuan.bootstrap import App
from huikuan.domain.access import Scope
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows


def key(r: Any) -> tuple[int, int, int]:
    return int(r.ev_position), -int(r.amount_minor), int(r.id)


def paged(app: App, size: int, **filters: Any) -> list[int]:
    out: list[int] = []
    after = None
    today = app.clock.today()
    while True:
        with app.uow(write=False) as uow:
            rows = uow.customers.open_tasks(today, limit=size, after=after, **filters)
        out += [int(r.id) for r in rows]
        if len(rows) < size:
            return out
        after = (int(rows[-1].ev_position), int(rows[-1].amount_minor), int(rows[-1].id))


@pytest.mark.parametrize("window", [3, 2_000])
def test_the_ranked_worklist_pages_exactly_like_the_full_sort(app: App, monkeypatch: Any, window: int) -> None:
    monkeypatch.setattr(collect_repo, "RANK_WINDOW", window)
    rng = random.Random(5)
    today = app.clock.today()
    import_rows(app, "customers", [{"customer_code": f"C{i:02d}", "name": f"客户{i}", "terms": "net 30",
                                    "collector": ("张伟", "李娜")[i % 2]} for i in range(14)])
    import_rows(app, "invoices", [
        {"invoice_no": f"S{i:02d}", "customer_code": f"C{i % 14:02d}", "amount": f"{rng.randint(1000, 90000)}.00",
         "invoice_date": (today - timedelta(days=rng.choice([45, 70, 100, 130, 200, 400]))).isoformat()}
        for i in range(28)])
    run_daily(app, today)
    with app.uow(write=False) as uow:
        tasks = list(uow.customers.open_tasks(today))
    assert len(tasks) >= 12
    ranked = [r for r in tasks if rng.random() < 0.75]  # the rest opened after the ranking: unranked
    rng.shuffle(ranked)
    with app.uow() as uow:
        uow.analytics.save_task_ranks(today, [(int(r.id), k, 1.0, []) for k, r in enumerate(ranked, start=1)])
        uow.commit()
    roles = sorted({r.assignee_role for r in tasks})
    cases: list[dict[str, Any]] = [{}, {"roles": roles[:1]}, {"roles": roles[1:]}, {"approvals": True},
                                   {"approvals": False}, {"scope": Scope(False, person="张伟", as_collector=True)},
                                   {"collector": "李娜"}]
    for filters in cases:
        with app.uow(write=False) as uow:
            full = sorted(uow.customers.open_tasks(today, **filters), key=key)
        assert any(int(r.ev_position) < collect_repo.UNRANKED for r in full) or not full, filters
        for size in (1, 2, 5):
            assert paged(app, size, **filters) == [int(r.id) for r in full], (filters, size)
