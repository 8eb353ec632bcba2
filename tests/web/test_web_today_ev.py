"""The Today page, ``GET /api/v1/worklist`` and the daily run rank tasks by expected value once a payment
model is trained (proposals first, then amount × p_late × days at stake), with the model's "why" beside
each task; with no model, the order stays by amount. Both databases."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from huikuan.services import prediction
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows

LATE = {"K1": 0, "K2": 12, "K3": 30}  # K3 pays a month later than K1; K1's invoices are the largest


def _book() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    inv, pay = [], []
    for k in range(60):
        c = ("K1", "K2", "K3")[k % 3]
        on = date(2026, 1, 5).toordinal() + 4 * k
        amount = f"{(100 + k) * 5 // 2 if c == 'K1' else 100 + k}.50"  # K1: the largest amounts
        number = f"00{k:05d}"
        inv.append({"invoice_no": number, "customer_code": c, "invoice_date": str(date.fromordinal(on)),
                    "due_date": str(date.fromordinal(on + 30)), "amount": amount})
        paid = on + 20 + (k * 7) % 25 + LATE[c]
        if paid < date(2026, 9, 1).toordinal():
            pay.append({"payment_no": f"P{k}", "customer_code": c, "payment_date": str(date.fromordinal(paid)),
                        "amount": amount, "invoice_no": number})
    return inv, pay


@pytest.fixture
def ledger(app: Any) -> Any:
    invoices, payments = _book()
    import_rows(app, "customers", [{"customer_code": c, "name": f"{c} 商贸", "terms": "net 30"} for c in LATE])
    import_rows(app, "invoices", invoices)
    import_rows(app, "payments", payments)
    assert run_daily(app).ranked == 0  # no model yet
    return app


def _page_order(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-contact="/customers/\w+/contact\?action=(\d+)"', html)]


def _api_order(anon: Any, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):  # a cursor that does not move on fails here instead of looping
        params: dict[str, Any] = {"limit": limit, "all": "true"} | ({"cursor": cursor} if cursor else {})
        doc = anon.get("/api/v1/worklist", headers=headers, params=params).json()
        items += doc["items"]
        cursor = doc["next"]
        if not cursor:
            return items
    raise AssertionError(f"paging did not end: {[t['action_id'] for t in items[:12]]}")


def test_no_model_keeps_the_amount_order_then_training_ranks_by_expected_value(ledger, client_for, anon, bearer):
    c = client_for("owner")
    h = bearer("owner")
    html = c.get("/today?all=1").text
    before = _page_order(html)
    api = _api_order(anon, h, 2)
    assert [t["action_id"] for t in api] == before and len(before) >= 6
    amounts = [t["amount_minor"] for t in api]
    assert amounts == sorted(amounts, reverse=True) and api[0]["customer"] == "K1"
    assert 'data-testid="why"' not in html

    result = prediction.train_model(ledger)  # as of today: the open tasks are ranked at once
    assert result.method == "lightgbm"
    html = c.get("/today?all=1").text
    after = _page_order(html)
    api = _api_order(anon, h, 2)  # paged two at a time through the three-part cursor
    assert [t["action_id"] for t in api] == after and sorted(after) == sorted(before)
    assert after != before
    # proposals first; within each part the customer who pays latest (K3) before the biggest amounts (K1)
    approval = [t["needs_approval"] for t in api]
    assert approval == sorted(approval, reverse=True)
    proposals = [t["customer"] for t in api if t["needs_approval"]]
    tasks = [t["customer"] for t in api if not t["needs_approval"]]
    assert proposals[0] == "K3" and tasks[0] == "K3" and tasks.index("K3") < tasks.index("K1")
    assert html.count('data-testid="why"') == len(after) and "模型依据" in html and ("↑" in html or "↓" in html)
    # the page follows exactly what the ranking service computes, one order for every surface
    ranked = prediction.rank_tasks(ledger, [r for r in _rows(ledger)], ledger.clock.today())
    assert [int(x.row.id) for x in ranked] == after


def _rows(app: Any) -> list[Any]:
    from huikuan.services.reporting import worklist

    return worklist(app)


def test_the_daily_run_ranks_the_days_tasks_once_a_model_is_trained(ledger, clock):
    prediction.train_model(ledger)
    clock.advance(days=1)  # the next day: yesterday's ranking does not hold today
    from huikuan.services.reporting import worklist

    assert all(r.ev_why is None for r in worklist(ledger))
    report = run_daily(ledger)
    rows = worklist(ledger)
    assert report.ranked == len(rows) > 0
    assert [r.ev_position for r in rows] == list(range(1, len(rows) + 1)) and all(r.ev_why for r in rows)


def test_the_ranking_runs_after_the_run_has_finished_and_freed_its_lock(ledger, clock, monkeypatch):
    """Ranking predicts every open invoice (tens of seconds at 10⁶): it must not hold the run lock."""
    from huikuan.services import daily_run

    prediction.train_model(ledger)
    clock.advance(days=1)
    seen: list[tuple[Any, str]] = []

    def rank(app: Any, today: date) -> int:
        with app.uow(write=False) as uow:
            seen.append((uow.collect.lock_holder(), uow.collect.runs(1)[0].status))
        return prediction.rank_open_tasks(app, today)

    monkeypatch.setattr(daily_run, "rank_open_tasks", rank)
    report = run_daily(ledger)
    assert report.ranked > 0 and seen == [(None, "done")]


def test_the_stored_ranking_is_the_worklist_rows_ranking(ledger, clock):
    """The run ranks from lean task facts (``rank_task_facts``): the same order, values and reasons as
    ``rank_tasks`` over the worklist's own rows — with a promise due today moving its customer up."""
    from huikuan.services.collect import record_promise
    from huikuan.services.reporting import worklist

    prediction.train_model(ledger)
    clock.advance(days=1)
    today = ledger.clock.today()
    record_promise(ledger, "K1", 10_000, today, made_on=today)
    # not yet due: predicted, but not named by K3's tasks (which name overdue invoices only)
    import_rows(ledger, "invoices", [{"invoice_no": "NEW-1", "customer_code": "K3", "invoice_date": "2026-11-02",
                                      "due_date": "2027-01-15", "amount": "88888.00"}])
    report = run_daily(ledger)
    rows = worklist(ledger)
    assert report.ranked == len(rows) > 3
    expected = prediction.rank_tasks(ledger, rows, today)
    assert [int(x.row.id) for x in expected] == [int(r.id) for r in rows]
    assert [(float(x.value or 0.0), [list(w) for w in x.why]) for x in expected] == \
        [(float(r.ev_value), [list(w) for w in r.ev_why]) for r in rows]
    first_tasks = [r.customer_code for r in rows if not r.needs_approval]
    assert first_tasks[0] == "K1"  # the promise due today comes before the expected value
