"""The default ladder, executable: one dealer walked day by day through 120 days (see story.py).

Each line is (day, stage, kind) of a new action. Read it against the policy: pre-due reminders a
week and 5 working days before; every 2 working days then daily; the supervisor at 15 days; the
调休 Saturdays 02-14 and 02-28 are working days and get their call, Spring Festival (02-15…02-23),
Qingming and Labour Day get nothing; the promise of 03-02 silences dunning (not the credit ladder)
until 03-10 + 2 working days, and its breaking escalates on 03-13; the measures follow at 91, 98 and
105 days.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import story  # noqa: E402

from huikuan.adapters.db import tables as t  # noqa: E402
from huikuan.services.daily_run import run_daily  # noqa: E402

EXPECTED = [
    ("01-27", "pre_due_week", "reminder"),
    ("01-28", "pre_due_bill", "reminder"),
    ("02-05", "overdue_1_7", "call"),
    ("02-05", "credit_notice", "reminder"),
    ("02-09", "overdue_1_7", "call"),
    ("02-11", "overdue_1_7", "call"),
    ("02-12", "overdue_8_14", "call"),
    ("02-13", "overdue_8_14", "call"),
    ("02-14", "overdue_8_14", "call"),
    ("02-24", "supervisor", "escalate"),
    ("02-24", "credit_suspend", "credit_suspend"),
    ("02-25", "supervisor", "call"),
    ("02-26", "supervisor", "call"),
    ("02-27", "supervisor", "call"),
    ("02-28", "supervisor", "call"),
    ("03-02", "supervisor", "call"),
    ("03-06", "credit_stop", "credit_stop"),
    ("03-13", "manager", "escalate"),
    ("03-13", "promise_broken", "escalate"),
    ("03-16", "manager", "call"),
    ("03-17", "manager", "call"),
    ("03-18", "manager", "call"),
    ("03-19", "manager", "call"),
    ("03-20", "manager", "call"),
    ("03-23", "manager", "call"),
    ("03-24", "manager", "call"),
    ("03-25", "manager", "call"),
    ("03-26", "manager", "call"),
    ("03-27", "manager", "call"),
    ("03-30", "manager", "call"),
    ("03-31", "manager", "call"),
    ("04-01", "manager", "call"),
    ("04-02", "manager", "call"),
    ("04-03", "manager", "call"),
    ("04-07", "general_manager", "escalate"),
    ("04-07", "blacklist", "blacklist"),
    ("04-08", "general_manager", "call"),
    ("04-09", "general_manager", "call"),
    ("04-10", "general_manager", "call"),
    ("04-13", "general_manager", "call"),
    ("04-14", "general_manager", "call"),
    ("04-15", "general_manager", "call"),
    ("04-16", "general_manager", "call"),
    ("04-17", "general_manager", "call"),
    ("04-20", "general_manager", "call"),
    ("04-21", "general_manager", "call"),
    ("04-22", "general_manager", "call"),
    ("04-23", "general_manager", "call"),
    ("04-24", "general_manager", "call"),
    ("04-27", "general_manager", "call"),
    ("04-28", "general_manager", "call"),
    ("04-29", "general_manager", "call"),
    ("04-30", "general_manager", "call"),
    ("05-06", "general_manager", "call"),
    ("05-06", "shipment_lock", "shipment_lock"),
    ("05-07", "general_manager", "call"),
    ("05-08", "general_manager", "call"),
    ("05-09", "general_manager", "call"),
    ("05-11", "general_manager", "call"),
    ("05-12", "general_manager", "call"),
    ("05-13", "general_manager", "call"),
    ("05-13", "letter_dunning", "letter"),
    ("05-14", "general_manager", "call"),
    ("05-15", "general_manager", "call"),
    ("05-18", "general_manager", "call"),
    ("05-19", "general_manager", "call"),
    ("05-20", "general_manager", "call"),
    ("05-20", "letter_confirmation", "letter"),
    ("05-21", "general_manager", "call"),
    ("05-22", "general_manager", "call"),
    ("05-25", "general_manager", "call"),
]


def test_walk(app, clock):
    """One walk per backend (120 runs): the exact sequence, then its details, then re-runs."""
    seen = [(d[5:], stage, kind) for d, _ladder, stage, kind in story.walk(app, clock)]
    assert seen == EXPECTED
    _details(app)
    _rerun_creates_nothing(app)


def _details(app):
    with app.engine.connect() as c:
        rows = c.execute(t.action.select().order_by(t.action.c.id)).mappings().all()
        cust = c.execute(t.customer.select()).mappings().one()
    by_day = {}
    for r in rows:
        by_day.setdefault((r["run_on"], r["stage"]), r)
    # One action per customer per stage per day, bundling every invoice at that stage.
    assert len(by_day) == len(rows)
    first = by_day[(date(2026, 2, 5), "overdue_1_7")]
    assert first["invoices"] == ["S-A"] and first["amount_minor"] == 10_000_000
    esc = by_day[(date(2026, 2, 24), "supervisor")]
    assert esc["invoices"] == ["S-A", "S-B"] and esc["amount_minor"] == 12_000_000  # 70,000 + 50,000 after P-1
    assert esc["assignee_role"] == "supervisor" and esc["reason_zh"].startswith("逾期 20 天：")
    # After the dispute of 03-20, S-B is out of dunning.
    after = by_day[(date(2026, 3, 23), "manager")]
    assert after["invoices"] == ["S-A"] and after["amount_minor"] == 7_000_000
    # Suspending credit sales is a notice that takes effect; stopping credit waits for approval.
    assert cust["credit_status"] == "suspended"
    stop = by_day[(date(2026, 3, 6), "credit_stop")]
    assert stop["needs_approval"] is True and stop["status"] == "open"
    assert all(not (date(2026, 2, 15) <= r["run_on"] <= date(2026, 2, 23)) for r in rows)


def _rerun_creates_nothing(app):
    with app.engine.connect() as c:
        before = c.execute(t.action.select()).mappings().all()
    for day in (date(2026, 2, 24), date(2026, 3, 13), date(2026, 5, 20)):
        report = run_daily(app, day)
        assert report.created == 0
    with app.engine.connect() as c:
        assert len(c.execute(t.action.select()).mappings().all()) == len(before)
