"""The daily run's bulk writes (plain DBAPI ``executemany``, not SQLAlchemy rows) on both databases:
what they store reads back, compares and sorts exactly like a row SQLAlchemy writes, so the sender,
the timeline and a re-run see no difference."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select

from huikuan.adapters.db import tables as t
from huikuan.services import outbox
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows

TODAY = date(2026, 11, 23)  # Monday
AT_1530 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 15:30 Beijing: the default best time


def _seed(app, n: int) -> None:
    import_rows(app, "customers", [
        {"customer_code": f"KH{i}", "name": f"客户{i}", "terms": "net 30", "credit_limit": "100000.00",
         "collector": "李娜", "type": "export" if i == 3 else "dealer"} for i in range(n)])  # KH3 is written to in English
    import_rows(app, "invoices", [
        {"invoice_no": f"I{i}", "customer_code": f"KH{i}", "invoice_date": "2026-10-10", "amount": "1000.00"}
        for i in range(n)])
    # half reachable by e-mail (queued messages), half without a contact (dead letters with their event)
    import_rows(app, "contacts", [
        {"customer_code": f"KH{i}", "name": "王会计", "role": "finance", "email": f"f{i}@example.com"}
        for i in range(0, n, 2)])


def test_bulk_written_messages_compare_like_sqlalchemy_rows_and_are_claimed_once(app):
    _seed(app, 6)
    run_daily(app, TODAY)
    o = t.outbox.c
    with app.engine.connect() as c:
        rows = list(c.execute(select(t.outbox).order_by(o.id)))
        queued = [r for r in rows if r.status == "queued"]
        dead = [r for r in rows if r.status == "dead"]
        codes = dict(c.execute(select(t.customer.c.id, t.customer.c.code)).all())
        assert {codes[r.customer_id] for r in queued} == {"KH0", "KH2", "KH4"}
        assert {codes[r.customer_id] for r in dead} == {"KH1", "KH3", "KH5"}
        assert all(r.company_id == app.company_id for r in rows)
        # a bound datetime equals what was stored (SQLite keeps text: the same format, or no match)
        for r in rows:
            assert c.execute(select(func.count()).where(o.id == r.id, o.next_attempt_at == r.next_attempt_at,
                                                        o.created_at == r.created_at)).scalar() == 1
        assert queued[0].next_attempt_at == datetime(2026, 11, 23, 7, 30)  # 15:30 Beijing, stored in UTC
        # and sorts with a row SQLAlchemy wrote for the same moment (the sender's order)
        c.execute(insert(t.outbox).values(
            company_id=app.company_id, customer_id=queued[0].customer_id, channel="email", to_address="x@example.com",
            lang="zh", stage="probe", template_version=0, body_text="", message_id="probe", status="dead",
            next_attempt_at=queued[0].next_attempt_at, created_at=queued[0].created_at))
        same = c.execute(select(func.count()).where(o.next_attempt_at == queued[0].next_attempt_at)).scalar()
        assert same == len(queued) + 1
        c.rollback()
        events = c.execute(select(func.count()).select_from(t.outbox_event)).scalar()
    assert events == len(dead)  # each dead letter on its customer's timeline
    # the no-contact reason in each customer's own language (worded once per language and channel)
    reasons = {codes[r.customer_id]: r.error for r in dead}
    assert reasons["KH1"] == reasons["KH5"] != reasons["KH3"]
    assert "联系人" in reasons["KH1"] and "contact" in reasons["KH3"] and r"{" not in reasons["KH3"]
    # due at 15:30: nothing before, every queued message then, exactly once
    assert outbox.send_due(app, None, None, now=datetime(2026, 11, 23, 7, 29, tzinfo=UTC)).claimed == 0
    assert outbox.send_due(app, None, None, now=AT_1530).claimed == len(queued)
    assert outbox.send_due(app, None, None, now=AT_1530).claimed == 0
    run_daily(app, TODAY)  # a re-run writes nothing new
    with app.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(t.outbox)).scalar() == len(rows)
