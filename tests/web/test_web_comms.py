"""The public 对账单 confirmation page (no account: a signed link and the page's CSRF token), the outbox
page for supervisors, and recording a letter as posted."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import csrf_of

from huikuan.adapters.db import tables as t
from huikuan.services import reporting, statements
from huikuan.services.daily_run import run_daily


def test_a_customer_confirms_a_statement_through_the_link_once(web: Any, ledger: Any) -> None:
    token = statements.confirmation_token(ledger, "KH1", "2026-10")
    with TestClient(web) as anon:
        page = anon.get(f"/confirm/{token}")
        assert page.status_code == 200 and "成都蓉信商贸有限公司" in page.text and "A2" in page.text
        r = anon.post(f"/confirm/{token}", data={"who": "刘会计", "dispute_A2": "1", "comment_A2": "少了一箱",
                                                 "csrf_token": csrf_of(page.text)})
        assert r.status_code == 200, r.text
        with ledger.engine.connect() as c:
            rec = c.execute(select(t.statement_confirmation)).one()
            dispute = c.execute(select(t.dispute)).one()
        assert (rec.who, rec.outcome, rec.ip) == ("刘会计", "disputed", "testclient") and "少了一箱" in dispute.note
        again = anon.get(f"/confirm/{token}")
        assert again.status_code == 409  # replayed: the answer is on record
        assert anon.get(f"/confirm/{token[:-3]}xyz").status_code == 422  # tampered
        no_csrf = anon.post(f"/confirm/{token}", data={"who": "x"})
        assert no_csrf.status_code == 403


def test_the_outbox_page_is_for_supervisors(client_for: Any, ledger: Any) -> None:
    from huikuan.services import outbox

    assert client_for("collector", person="张伟").get("/outbox").status_code == 403
    page = client_for("supervisor").get("/outbox")
    assert page.status_code == 200 and "发件箱" in page.text
    for row in outbox.list_messages(ledger):
        assert row.to_address in page.text  # every message with its address (dead letters say why)
    assert client_for("supervisor").get("/outbox?status=lost").status_code == 422


def test_a_guard_refusal_is_on_customer_360s_timeline_in_both_languages(client_for: Any, ledger: Any) -> None:
    from datetime import timedelta

    from huikuan.services import users
    from huikuan.services.demo_comms import CONSUMER

    _sms, day = _hold_the_demo_consumers_sms_at_night(ledger)
    c = client_for("collector", person="刘明")  # the demo customers' collector: in their scope
    page = c.get(f"/customers/{CONSUMER}")
    assert page.status_code == 200
    shown = page.text[page.text.index('data-testid="guard-refusal"'):]
    assert "短信被合规检查拦截（夜间免打扰时段）" in shown and "22:00–08:00" in shown
    assert "22:30" in page.text  # the moment it was refused, local time
    # the next allowed moment as people read it (the stored reason keeps it as ISO text), not raw ISO
    after = day + timedelta(days=1)
    assert f"22:00–08:00 禁止催收联系（只允许 08:00–22:00）；{after.month}月{after.day}日 08:00 后可再联系" in shown
    assert "下次允许联系时间" not in page.text and "T08:00" not in page.text and "+08:00" not in page.text
    uid = next(u.id for u in users.list_users(ledger) if u.name == c.user_name)  # type: ignore[attr-defined]
    users.set_language(ledger, uid, "en")
    en = c.get(f"/customers/{CONSUMER}").text
    assert "SMS held by the compliance guard (quiet hours)" in en and "22:00–08:00" in en
    # the reason in English too (it was stored in the message's Chinese), the moment short
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[after.month - 1]
    assert (f"no collection contact 22:00–08:00 (allowed 08:00–22:00); allowed again from {after.day} {month} 08:00"
            in en)
    assert "禁止催收联系" not in en and "next allowed" not in en and "T08:00" not in en


def test_todays_list_shows_the_guards_verdict_and_the_last_refusal(client_for: Any, ledger: Any) -> None:
    """Issue 9: a refusal is shown on the customer's timeline *and the collector's list*; phone tasks
    carry the guard's "call now?" (the function the sender uses)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from huikuan.services import outbox
    from huikuan.services.demo_comms import CONSUMER, add_demo_comms

    add_demo_comms(ledger, ledger.clock.today())
    run_daily(ledger)
    c = client_for("collector", person="刘明")
    before = c.get("/today?all=1").text
    assert "短信被拦截" not in before  # no SMS refused yet
    assert "邮件未能发送" in before  # but its e-mail died for want of an address: not a guard refusal
    sms = next(r for r in outbox.list_messages(ledger, customer_code=CONSUMER) if r.channel == "sms")
    tz = ZoneInfo("Asia/Shanghai")
    day = sms.next_attempt_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()
    assert outbox.send_due(ledger, None, None, now=datetime.combine(day, time(22, 30), tz),
                           customer_code=CONSUMER).deferred >= 1
    page = c.get("/today?all=1").text
    task = page[page.index(f"<b>{CONSUMER}</b>"):]
    task = task[:task.index('data-testid="task"')] if 'data-testid="task"' in task else task
    assert 'data-testid="refusal"' in task and "22:30 短信被拦截" in task and "22:00–08:00" in task
    after = day + timedelta(days=1)
    assert f"；{after.month}月{after.day}日 08:00 后可再联系" in task and "下次允许联系时间" not in task
    assert "T08:00" not in task and "+08:00" not in task
    everyone = client_for("manager").get("/today?all=1").text  # the fixture's phone tasks
    phone = [r for r in reporting.worklist(ledger) if r.channel == "phone"]
    verdicts = outbox.call_now(ledger, phone)
    assert phone and verdicts  # the fixture has call tasks, and the guard answers for each
    shown = everyone.count('data-testid="call-now"') + everyone.count('data-testid="call-later"')
    assert shown == len([r for r in phone[:50] if r.id in verdicts])


def test_todays_list_says_never_for_a_customer_who_may_not_be_called(client_for: Any, ledger: Any) -> None:
    from huikuan.services.import_ import import_rows

    run_daily(ledger)
    phone = [r for r in reporting.worklist(ledger) if r.channel == "phone"]
    assert phone
    with ledger.engine.connect() as c:
        code = c.execute(select(t.customer.c.code).where(t.customer.c.id == phone[0].customer_id)).scalar_one()
    # The customer's only finance contact has a phone but is marked do-not-contact: no moment allows a call.
    import_rows(ledger, "contacts", [{"customer_code": code, "name": "王会计", "role": "finance",
                                      "phone": "13800001234", "do_not_contact": "true"}])
    page = client_for("manager").get("/today?all=1").text
    assert "不得致电：该联系人已标记为不得通过电话联系" in page
    assert "- 后可打" not in page


def test_a_reminders_reason_counts_the_days_from_the_day_the_page_is_read(client_for: Any, ledger: Any) -> None:
    """The run words "N 天后到期" on its own day; Today, the customer's open tasks and the API word it for the
    day they are read (a Saturday page shows Friday's task: one day fewer), with the due date short."""
    from datetime import timedelta

    from huikuan.services import outbox
    from huikuan.services.demo_comms import CONSUMER, add_demo_comms

    run_on = ledger.clock.today()
    add_demo_comms(ledger, run_on)
    run_daily(ledger)
    due = next(r for r in outbox.list_messages(ledger, customer_code=CONSUMER) if r.channel == "sms")
    task = next(r for r in reporting.worklist(ledger) if r.customer_code == CONSUMER)
    due_on = date.fromisoformat(task.params["date"])
    assert due and task.reason_zh.startswith(f"{(due_on - run_on).days} 天后到期（{due_on.isoformat()}）")
    c = client_for("collector", person="刘明")
    shown = f"{due_on.month}月{due_on.day}日"
    en_day = f"{due_on.day} {('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')[due_on.month - 1]}"

    def reason(path: str, marker: str) -> str:
        page = c.get(path).text
        return page[page.index(marker):][:400]

    cases = [(due_on - timedelta(days=2), f"2 天后到期（{shown}）", f"due in 2 days ({en_day})"),
             (due_on - timedelta(days=1), f"明天到期（{shown}）", f"due tomorrow ({en_day})"),
             (due_on, f"今天到期（{shown}）", f"due today ({en_day})"),
             (due_on + timedelta(days=1), f"昨天到期（{shown}），已逾期 1 天", f"due yesterday ({en_day}), 1 day overdue")]
    for day, zh, en in cases:
        ledger.clock.set(day)
        assert zh in reason("/today", f"<b>{CONSUMER}</b>"), day
        assert zh in reason(f"/customers/{CONSUMER}", "待办与待审批"), day
        c.post("/lang", data={"lang": "en", "csrf_token": c.csrf})
        assert en in reason("/today", f"<b>{CONSUMER}</b>"), day
        assert "Invoices: CN-DEMO-001" in reason("/today", f"<b>{CONSUMER}</b>")  # not the Chinese colon (：)
        c.post("/lang", data={"lang": "zh", "csrf_token": c.csrf})
    # the timeline keeps the task's day: there the reason reads as of the run (its date short too)
    timeline = c.get(f"/customers/{CONSUMER}").text
    assert f"{(due_on - run_on).days} 天后到期（{shown}）" in timeline[timeline.index('data-testid="timeline-entry"'):]


def _hold_the_demo_consumers_sms_at_night(ledger: Any) -> tuple[Any, Any]:
    """The demo's messages queued by a run, and the demo consumer's SMS tried at 22:30 of the day it is due:
    the guard holds it (quiet hours). The SMS's row and that day."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from huikuan.services import outbox
    from huikuan.services.demo_comms import CONSUMER, add_demo_comms

    add_demo_comms(ledger, ledger.clock.today())
    run_daily(ledger)
    sms = next(r for r in outbox.list_messages(ledger, customer_code=CONSUMER) if r.channel == "sms")
    tz = ZoneInfo("Asia/Shanghai")
    day = sms.next_attempt_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()
    assert outbox.send_due(ledger, None, None, now=datetime.combine(day, time(22, 30), tz),
                           customer_code=CONSUMER).deferred >= 1
    return sms, day


def _deliver_the_demo_consumers_sms(ledger: Any) -> int:
    """The demo consumer's SMS: held at 22:30 (quiet hours), delivered at 08:00 the next day; its id."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from huikuan.services import outbox
    from huikuan.services.demo_comms import CONSUMER

    class Gateway:
        def send(self, sms: object) -> str:
            return "ok"

    sms, day = _hold_the_demo_consumers_sms_at_night(ledger)
    tz = ZoneInfo("Asia/Shanghai")
    assert outbox.send_due(ledger, None, Gateway(), now=datetime.combine(day + timedelta(days=1), time(8, 0), tz),
                           customer_code=CONSUMER).sent >= 1
    return int(sms.id)


def test_the_timeline_shows_people_no_internal_ids_codes_or_recorder(client_for: Any, ledger: Any) -> None:
    """A delivered message's contact stores ``outbox:<id> SMS_PRE_DUE_BILL`` by ``huikuan`` (evidence, kept);
    the timeline and Today read the template's title and 消息 #id, recorded by 系统; a refusal's rule and a
    dead letter's code read as labels, the roles of the no-contact reason in the reader's language."""
    from huikuan.services.demo_comms import CONSUMER

    mid = _deliver_the_demo_consumers_sms(ledger)
    with ledger.engine.connect() as db:  # what is stored stays as it was
        notes = db.execute(select(t.activity.c.note, t.activity.c.actor).where(t.activity.c.outcome == "sent")).all()
    assert (f"outbox:{mid} SMS_PRE_DUE_BILL", "huikuan") in [tuple(n) for n in notes]
    c = client_for("collector", person="刘明")
    zh = c.get(f"/customers/{CONSUMER}").text
    assert f"到期前账单提醒（消息 #{mid}）" in zh and "记录人 系统" in zh
    assert "短信被合规检查拦截（夜间免打扰时段）" in zh and "邮件无法投递（没有可接收的联系人）" in zh
    assert "角色 财务、签字人、老板" in zh
    today = c.get("/today?all=1").text
    assert f"到期前账单提醒（消息 #{mid}）" in today
    supervisor = client_for("supervisor")
    linked = supervisor.get(f"/customers/{CONSUMER}").text  # who may open the outbox gets a link to the message
    assert f'href="/outbox?customer={CONSUMER}#m{mid}"' in linked
    assert f'id="m{mid}"' in supervisor.get(f"/outbox?customer={CONSUMER}").text
    assert "/outbox?" not in zh  # a collector may not open it: no link
    from huikuan.services import users

    uid = next(u.id for u in users.list_users(ledger) if u.name == c.user_name)  # type: ignore[attr-defined]
    users.set_language(ledger, uid, "en")
    en = c.get(f"/customers/{CONSUMER}").text
    assert f"Bill reminder before due (message #{mid})" in en and "by system" in en
    assert "SMS held by the compliance guard (quiet hours)" in en and "e-mail not delivered (no contact to send to)" in en
    assert "role finance / signatory / owner" in en
    for page in (zh, en, today, linked):
        for code in ("outbox:", "SMS_PRE_DUE_BILL", "huikuan<", "记录人 huikuan", "by huikuan", "consumer_cn.",
                     "outbox.no_contact", "finance/signatory"):
            assert code not in page, code


def test_english_pages_head_their_tables_with_capitalised_labels(client_for: Any, ledger: Any) -> None:
    import re

    from huikuan.services import users

    run_daily(ledger)
    c = client_for("supervisor")
    uid = next(u.id for u in users.list_users(ledger) if u.name == c.user_name)  # type: ignore[attr-defined]
    code = reporting.worklist(ledger)[0].customer_code
    zh_page = c.get(f"/customers/{code}").text
    users.set_language(ledger, uid, "en")
    for path in (f"/customers/{code}", "/customers", "/outbox", "/dashboard", "/kpi"):
        page = c.get(path)
        assert page.status_code == 200, path
        heads = [h.strip() for h in re.findall(r"<th\b[^>]*>\s*([^<]*)", page.text) if h.strip()]
        labels = [x.strip() for x in re.findall(r'data-label="([^"]*)"', page.text) if x.strip()]
        assert heads, path
        assert [h for h in heads + labels if h[0].islower()] == [], path
    assert "<th>Invoice</th>" in c.get(f"/customers/{code}").text or ">Invoice<" in c.get(f"/customers/{code}").text
    assert ">发票号<" in zh_page  # Chinese pages as they were
