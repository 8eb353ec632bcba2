"""Guard refusals and dead letters on the customer's timeline (customer 360, ``customer show`` and its
JSON), the demo's communications story (a consumer's 22:30 SMS refused; a 催款函 waiting for the
owner), and Reply-To the collector's own address over real SMTP — on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from smtp_server import SmtpServer
from test_outbox import AT_1530, TODAY, messages, seed

from huikuan.adapters.mail import SmtpMailer
from huikuan.services import collect, outbox, users
from huikuan.services.daily_run import run_daily
from huikuan.services.demo_comms import CONSUMER, LETTER_CUSTOMER, add_demo_comms
from huikuan.services.import_ import import_rows

AT_2230 = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)  # 22:30 Beijing


def test_the_demo_consumers_22_30_sms_is_refused_and_the_refusal_is_on_its_timeline(app):
    add_demo_comms(app, TODAY)
    run_daily(app, TODAY)
    assert [r.channel for r in messages(app, status="queued")] == ["sms"]  # the consumer has a mobile, no e-mail
    report = outbox.send_due(app, None, None, now=AT_2230, customer_code=CONSUMER)
    assert report.sent == 0 and report.deferred >= 1
    sms = next(r for r in messages(app) if r.channel == "sms")
    assert sms.status == "queued" and sms.guard_rule == "consumer_cn.quiet_hours"
    assert sms.next_attempt_at == datetime(2026, 11, 24, 0, 0)  # 08:00 Beijing
    # the timeline (customer 360), the document of `customer show --json`
    entries, _ = collect.timeline(app, CONSUMER)
    refusals = [e for e in entries if e.kind == "message"]
    assert refusals and refusals[0].row.rule == "consumer_cn.quiet_hours" and refusals[0].row.kind == "refused"
    assert refusals[0].at == AT_2230.replace(tzinfo=None)
    doc = collect.customer_document(collect.customer_view(app, CONSUMER), None)
    first = next(x for x in doc["refusals"] if x["channel"] == "sms")
    assert first["rule"] == "consumer_cn.quiet_hours" and first["kind"] == "refused"
    assert "22:00–08:00" in first["reason"] and first["at"].startswith("2026-11-23T14:30")
    assert first["status"] == "queued" and first["message"] == sms.id
    # it goes when the guard allows it, and the refusal stays on the record
    assert outbox.send_due(app, None, _Recorder(), now=datetime(2026, 11, 24, 0, 0, tzinfo=UTC),
                           customer_code=CONSUMER).sent >= 1
    assert any(e.kind == "message" for e in collect.timeline(app, CONSUMER)[0])


def test_the_demo_proposes_a_dunning_letter_for_the_owner(app):
    add_demo_comms(app, TODAY)
    run_daily(app, TODAY)
    v = collect.customer_view(app, LETTER_CUSTOMER)
    letters = [a for a in v.open_actions if a.kind == "letter"]
    assert [(a.letter, a.needs_approval, a.assignee_role) for a in letters] == [("dunning", True, "owner")]


def test_a_message_written_dead_is_on_the_timeline_with_its_reason(app):
    seed(app, contacts=[{"name": "赵采购", "role": "purchasing", "email": "buyer@example.com"}])  # not entitled
    run_daily(app, TODAY)
    dead = messages(app, status="dead")
    assert dead
    entries, _ = collect.timeline(app, "KH0")
    shown = [e.row for e in entries if e.kind == "message"]
    assert {r.outbox_id for r in shown} == {r.id for r in dead}
    assert all(r.kind == "dead" and r.error_code == "outbox.no_contact" and "finance" in r.reason for r in shown)


def test_reply_to_is_the_collectors_own_address_else_the_company_mailbox(app):
    seed(app, 2)
    import_rows(app, "customers", [{"customer_code": "KH1", "name": "广州市明辉五金1号有限公司", "collector": "王强"}])
    users.add_user(app, "lina", ["collector"], "a-long-password-1", person="李娜", email="li.na@huikuan.example")
    run_daily(app, TODAY)
    server = SmtpServer().start()
    try:
        mailer = SmtpMailer("127.0.0.1", server.port, mail_from="ar@huikuan.example", from_name="演示贸易有限公司")
        assert outbox.send_due(app, mailer, None, now=AT_1530).sent >= 2
        mailer.close()
    finally:
        server.stop()
    by_customer = {}
    for m in server.inbox.messages:
        row = next(r for r in messages(app) if r.message_id == m["Message-ID"])
        by_customer[row.customer_id] = m["Reply-To"].addresses[0]
    replies = {(a.display_name, a.addr_spec) for a in by_customer.values()}
    assert replies == {("李娜", "li.na@huikuan.example"), ("王强", app.settings.mail_from)}


def test_a_user_e_mail_that_is_not_an_address_is_refused(app):
    import pytest

    from huikuan.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as e:
        users.add_user(app, "lina", ["collector"], "a-long-password-1", person="李娜", email="li.na at example")
    assert e.value.params["field"] == "email"
    assert users.list_users(app) == []


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, sms: object) -> str:
        self.sent.append(sms)
        return f"rec-{len(self.sent)}"

