"""The outbox end to end on both databases: the daily run writes messages in the actions' transaction,
addressed to entitled contacts at their best time; the sender delivers to a real SMTP server (aiosmtpd
started here), retries with backoff while it is down, dead-letters after N failures, holds what the
guard refuses, and after a crash between send and mark re-sends with the same Message-ID."""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from smtp_server import SmtpServer, free_port
from sqlalchemy import select, update

from huikuan.adapters.db import tables as t
from huikuan.adapters.mail import SmtpMailer
from huikuan.adapters.sms import FileSms
from huikuan.services import outbox
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows

TODAY = date(2026, 11, 23)  # Monday
AT_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 Beijing
AT_1530 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 15:30 Beijing: the default best time


def seed(app, n: int = 1, *, contacts: list[dict] | None = None, ctype: str = "dealer") -> None:
    import_rows(app, "customers", [
        {"customer_code": f"KH{i}", "name": f"广州市明辉五金{i}号有限公司", "terms": "net 30", "type": ctype,
         "credit_limit": "100000.00", "collector": "李娜"} for i in range(n)])
    import_rows(app, "invoices", [
        {"invoice_no": f"I{i}-{k}", "customer_code": f"KH{i}", "invoice_date": d, "amount": "12345.67"}
        for i in range(n) for k, d in enumerate(("2026-10-10", "2026-10-20"))])
    rows = []
    for i in range(n):
        for c in contacts if contacts is not None else [
            {"name": "王会计", "role": "finance", "email": f"finance{i}@example.com", "phone": "13800001234"},
            {"name": "赵采购", "role": "purchasing", "email": f"buyer{i}@example.com"},
            {"name": "陈老板", "role": "owner", "email": f"boss{i}@example.com", "do_not_contact": "true"},
        ]:
            rows.append({"customer_code": f"KH{i}", **c})
    if rows:
        import_rows(app, "contacts", rows)


def messages(app, **where) -> list:
    o = t.outbox.c
    with app.engine.connect() as c:
        q = select(t.outbox).order_by(o.id)
        for k, v in where.items():
            q = q.where(o[k] == v)
        return list(c.execute(q))


def test_the_run_writes_e_mails_to_entitled_contacts_at_their_best_time(app):
    seed(app)
    report = run_daily(app, TODAY)
    assert report.created > 0
    rows = messages(app)
    emails = [r for r in rows if r.channel == "email"]
    # finance only: the purchaser is not entitled, the owner is marked do-not-contact
    assert {r.to_address for r in emails} == {"finance0@example.com"}
    assert all(r.status == "queued" and r.template_version == 0 for r in emails)
    with app.engine.connect() as c:
        acts = {a.id: a for a in c.execute(select(t.action))}
    assert all(acts[r.action_id].run_on == TODAY for r in emails)
    first = emails[0]
    assert "¥24,691.34" in first.subject and "逾期" in first.subject
    assert "贰万肆仟陆佰玖拾壹元叁角肆分" in first.body_text
    assert "I0-0" in first.body_html and "<table" in first.body_html
    assert first.next_attempt_at == datetime(2026, 11, 23, 7, 30)  # 15:30 Beijing, stored in UTC
    assert first.message_id.startswith("<") and first.message_id.endswith("@localhost>")
    # the same day again: no new action, no new message
    run_daily(app, TODAY)
    assert len(messages(app)) == len(rows)


def test_no_entitled_contact_or_a_bad_address_is_said_on_the_message_and_the_run_goes_on(app):
    seed(app, 3, contacts=[])
    import_rows(app, "contacts", [{"customer_code": "KH1", "name": "错地址", "role": "finance", "email": "nobody@x.y"},
                                  {"customer_code": "KH0", "name": "好地址", "role": "finance", "email": "ok@x.y"}])
    with app.engine.begin() as c:  # an address that slipped in before validation existed
        c.execute(update(t.contact).where(t.contact.c.name == "错地址").values(email="not-an-address"))
    report = run_daily(app, TODAY)
    assert report.errors == []
    # one batch, a live message before the dead letters (one executemany must take both shapes of row)
    assert {r.to_address for r in messages(app, status="queued")} == {"ok@x.y"}
    dead = messages(app, status="dead")
    assert {r.error_code for r in dead} == {"outbox.no_contact", "outbox.bad_address"}
    assert any("not-an-address" in r.error for r in dead)
    queued = len(messages(app, status="queued"))
    assert outbox.send_due(app, None, None, now=AT_1530).claimed == queued  # the dead are never claimed


def test_real_smtp_headers_chinese_subject_names_and_both_parts(app):
    seed(app)
    run_daily(app, TODAY)
    server = SmtpServer().start()
    try:
        mailer = SmtpMailer("127.0.0.1", server.port, mail_from="ar@huikuan.example", from_name="演示贸易有限公司")
        assert outbox.send_due(app, mailer, None, now=AT_0900).claimed == 0  # not due before the best time
        report = outbox.send_due(app, mailer, None, now=AT_1530)
        mailer.close()
    finally:
        server.stop()
    sent = messages(app, status="sent")
    assert report.sent == len(sent) == len(server.inbox.messages) > 0
    msg = server.inbox.messages[0]
    row = next(r for r in sent if r.message_id == msg["Message-ID"])
    raw = server.inbox.raw[server.inbox.messages.index(msg)].decode("ascii")  # 7-bit clean on the wire
    wire_subject = re.search(r"^Subject: (.*?)\r\n(?![ \t])", raw, re.M | re.S).group(1)  # folded lines too
    assert wire_subject.lower().startswith("=?utf-8?")  # an RFC 2047 encoded-word
    assert str(make_header(decode_header(wire_subject))) == row.subject == msg["Subject"]
    assert msg["To"].addresses[0].display_name == "王会计"
    assert msg["From"].addresses[0].display_name == "演示贸易有限公司"
    assert msg["Reply-To"].addresses[0].display_name == "李娜"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "王会计，您好" in text and "I0-1" in text and "<table" in html
    with app.engine.connect() as c:
        logged = c.execute(select(t.activity).where(t.activity.c.outcome == "sent")).all()
    assert len(logged) == len(sent)  # each delivery is on the customer's timeline


def _advance_rounds(app, mailer, start: datetime, minutes: int, step: int = 5) -> datetime:
    now = start
    for _ in range(minutes // step):
        now += timedelta(minutes=step)
        outbox.send_due(app, mailer, None, now=now, rng=random.Random(7))
    return now


def test_server_down_for_an_hour_then_up_every_message_arrives_exactly_once(app):
    seed(app, 3)
    run_daily(app, TODAY)
    queued = len(messages(app, status="queued"))
    port = free_port()
    mailer = SmtpMailer("127.0.0.1", port, timeout=5)
    first = outbox.send_due(app, mailer, None, now=AT_1530, rng=random.Random(7))
    assert first.failed == queued and first.sent == 0
    failed = messages(app, status="failed")
    assert all(r.error_code == "smtp.unavailable" and r.attempts == 1 for r in failed)
    assert all(timedelta(seconds=30) <= r.next_attempt_at - AT_1530.replace(tzinfo=None) <= timedelta(minutes=1)
               for r in failed)  # first retry after ½–1 minute (jitter)
    now = _advance_rounds(app, mailer, AT_1530, 60)
    assert messages(app, status="sent") == [] and messages(app, status="dead") == []
    assert max(r.attempts for r in messages(app)) >= 5  # it kept trying, backing off
    server = SmtpServer(port).start()
    try:
        _advance_rounds(app, mailer, now, 240, step=15)
    finally:
        mailer.close()
        server.stop()
    assert len(messages(app, status="sent")) == queued
    ids = server.inbox.message_ids()
    assert len(ids) == len(set(ids)) == queued


def test_after_n_failures_a_message_is_dead_lettered(app):
    app.settings = dataclasses.replace(app.settings, outbox_max_attempts=3)
    seed(app)
    run_daily(app, TODAY)
    mailer = SmtpMailer("127.0.0.1", free_port(), timeout=5)
    now = AT_1530
    for _ in range(3):
        outbox.send_due(app, mailer, None, now=now, rng=random.Random(1))
        now += timedelta(hours=1)
    rows = messages(app)
    assert rows and all(r.status == "dead" and r.attempts == 3 for r in rows)
    assert [r.id for r in outbox.list_messages(app, "dead")] == sorted((r.id for r in rows), reverse=True)


def test_crash_between_send_and_mark_resends_with_the_same_message_id(app):
    seed(app)
    run_daily(app, TODAY)
    server = SmtpServer().start()
    try:
        mailer = SmtpMailer("127.0.0.1", server.port)
        with pytest.raises(outbox.SimulatedCrash):
            outbox.send_due(app, mailer, None, now=AT_1530, crash_after_send=True)
        claimed = messages(app, status="sending")  # the whole claimed batch is under the worker's lease
        assert len(claimed) >= 2 and len(server.inbox.messages) == 1
        first_id = server.inbox.message_ids()[0]
        # another worker right away: the lease keeps it from sending the message a second time
        assert outbox.send_due(app, mailer, None, now=AT_1530 + timedelta(minutes=1)).claimed == 0
        # after the lease: the batch is sent, and the one that was out when the worker died goes again
        outbox.send_due(app, mailer, None, now=AT_1530 + timedelta(minutes=6))
        mailer.close()
    finally:
        server.stop()
    ids = server.inbox.message_ids()
    assert ids.count(first_id) == 2  # at-least-once, with the same Message-ID: the receiver can deduplicate
    assert sorted(set(ids)) == sorted(r.message_id for r in messages(app, status="sent"))
    assert len(ids) == len(claimed) + 1


def test_the_guard_holds_a_22_30_sms_to_a_consumer_until_08_00(app, tmp_path):
    seed(app, contacts=[{"name": "张同学", "role": "owner", "phone": "138-0000-5678"}], ctype="student")
    with app.engine.begin() as c:  # an SMS reminder created by hand, as a person in the workbench would
        cid = c.execute(select(t.customer.c.id)).scalar_one()
        aid = c.execute(t.action.insert().values(
            company_id=app.company_id, customer_id=cid, run_on=TODAY, ladder="dunning", stage="pre_due_bill",
            kind="reminder", channel="sms", channels=["sms"], assignee_role="collector", needs_approval=False,
            rule_id="manual", policy_id="default", policy_version="1", anchor="manual", amount_minor=2469134,
            currency="CNY", invoices=["I0-0", "I0-1"], params={}, reason_zh="手工", reason_en="manual",
        )).inserted_primary_key[0]
    with app.uow() as uow:
        assert outbox.enqueue(app, uow, action_ids=[aid], now=AT_1530) == 1
        uow.commit()
    row = messages(app)[0]
    assert row.to_address == "13800005678" and outbox.sms_segments(row.body_text) == 1
    late = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # 22:30 Beijing
    with app.engine.begin() as c:
        c.execute(update(t.outbox).values(next_attempt_at=late.replace(tzinfo=None)))
    sms = FileSms(tmp_path / "sms")
    r = outbox.send_due(app, None, sms, now=late)
    assert (r.deferred, r.sent) == (1, 0)
    held = messages(app)[0]
    assert held.status == "queued" and held.guard_rule == "consumer_cn.quiet_hours"
    assert held.next_attempt_at == datetime(2026, 11, 24, 0, 0)  # 08:00 Beijing
    assert "22:00–08:00" in held.error
    assert outbox.send_due(app, None, sms, now=datetime(2026, 11, 24, 0, 0, tzinfo=UTC)).sent == 1
    assert len(list((tmp_path / "sms").glob("*.json"))) == 1


def test_the_worklist_asks_the_same_guard_before_showing_call_now(app):
    from huikuan.services.reporting import worklist

    seed(app)
    run_daily(app, TODAY)
    calls = [r for r in worklist(app, TODAY) if r.channel == "phone"]
    assert calls
    lunch = outbox.call_now(app, calls, datetime(2026, 11, 23, 4, 15, tzinfo=UTC))  # 12:15 Beijing
    assert {v["rule"] for v in lunch.values()} == {"b2b_cn.lunch"}
    assert all(v["next_allowed_at"] == "2026-11-23T13:30:00+08:00" for v in lunch.values())
    assert all(v["allowed"] for v in outbox.call_now(app, calls, AT_1530).values())


def test_a_statement_chase_carries_a_working_confirmation_link(app):
    from huikuan.services import collect, statements

    seed(app)
    collect.mark_statement(app, "KH0", "2026-10", "sent", date(2026, 11, 6))
    with app.engine.begin() as c:
        cid = c.execute(select(t.customer.c.id)).scalar_one()
        aid = c.execute(t.action.insert().values(
            company_id=app.company_id, customer_id=cid, run_on=TODAY, ladder="statement", stage="statement_chase",
            kind="call", channel="phone", channels=["email", "phone"], assignee_role="collector", needs_approval=False,
            rule_id="statement-chase", policy_id="default", policy_version="1", anchor="2026-10", amount_minor=0,
            currency="CNY", invoices=[], params={}, reason_zh="对账", reason_en="statement")).inserted_primary_key[0]
    with app.uow() as uow:
        outbox.enqueue(app, uow, action_ids=[aid], now=AT_0900)
        uow.commit()
    body = messages(app)[0].body_text
    assert "2026-11-06" in body and "2026-10" in body
    token = re.search(r"/confirm/(\S+)", body).group(1)
    assert statements.open_link(app, token).month == "2026-10"


def test_a_contact_who_may_never_be_called_is_shown_as_never_not_as_later(app):
    # The only phone contact is marked do-not-contact: no moment will allow the call. The guard says so
    # in words people read (电话, not "phone"), and the worklist shows "never" rather than "after -".
    from types import SimpleNamespace

    from huikuan.entrypoints.cli.collect import _channel
    from huikuan.services.reporting import worklist

    seed(app, contacts=[{"name": "王会计", "role": "finance", "phone": "13800001234", "do_not_contact": "true"}])
    run_daily(app, TODAY)
    calls = [r for r in worklist(app, TODAY) if r.channel == "phone"]
    assert calls
    (v,) = outbox.call_now(app, calls[:1], AT_1530).values()
    assert (v["allowed"], v["rule"], v["next_allowed_at"]) == (False, "do_not_contact", None)
    assert "不得通过电话联系" in v["reason"] and "phone" not in v["reason"]
    row = SimpleNamespace(id=calls[0].id, channel="phone")
    assert _channel(row, {row.id: v}) == "电话 ✗ 勿打"
    later = {**v, "next_allowed_at": "2026-11-24T09:00:00+08:00"}
    assert _channel(row, {row.id: later}) == "电话 ✗ 11-24 09:00 后"
