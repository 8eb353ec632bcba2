"""What the workbench and the terminal show from text stored earlier, worded for the reader and the day:

- a guard refusal is stored in the message's language with its next allowed moment as ISO text (evidence,
  machine-readable); people read 「11月29日 08:00 后可再联系」 / "allowed again from 29 Nov 08:00", in their
  own language — also for rows stored before this wording existed;
- the contact the sender logs for a delivered message stores ``outbox:<id> <subject>`` (an SMS's subject is
  its provider template code) and the recorder ``huikuan``: people read the subject or the template's title
  and 「消息 #731」, recorded by 系统 / system; a refusal's rule and a dead letter's code read as a label;
- a task's reason that counts days ("6 天后到期（2026-12-03）") is worded again for the day it is read,
  from the due date the run stored beside it: a Saturday page showing Friday's task says 5 days.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from huikuan.adapters.templates import JinjaTemplates
from huikuan.domain.guard import Rule, Verdict
from huikuan.services.daily_run import task_reason
from huikuan.services.outbox import (
    actor_name,
    contact_note,
    problem_label,
    problem_text,
    refusal_record,
    sms_template_stages,
    verdict_text,
)

TZ = "Asia/Shanghai"
CJK = re.compile(r"[\u4e00-\u9fff]")
NIGHT = Verdict(False, Rule.CN_QUIET_HOURS, "guard.consumer_cn.quiet_hours", (("window", "08:00–22:00"),),
                datetime(2026, 11, 29, 8, 0, tzinfo=ZoneInfo(TZ)))
# As the sender stored it before and still stores it: the moment as ISO text.
STORED_ZH = "22:00–08:00 禁止催收联系（只允许 08:00–22:00）；下次允许联系时间：2026-11-29T08:00+08:00"


def test_the_stored_refusal_keeps_the_moment_machine_readable() -> None:
    assert refusal_record(NIGHT, "zh") == STORED_ZH
    assert refusal_record(NIGHT, "en").endswith("; next allowed: 2026-11-29T08:00+08:00")


@pytest.mark.parametrize(("stored", "code", "lang", "shown"), [
    (STORED_ZH, "guard.consumer_cn.quiet_hours", "zh",
     "22:00–08:00 禁止催收联系（只允许 08:00–22:00）；11月29日 08:00 后可再联系"),
    (STORED_ZH, "guard.consumer_cn.quiet_hours", "en",
     "no collection contact 22:00–08:00 (allowed 08:00–22:00); allowed again from 29 Nov 08:00"),
    # stored in English (an English-speaking customer's message), read in Chinese; a UTC offset read locally
    ("2026-11-28 is not a working day; next allowed: 2026-11-30T01:00+00:00", "guard.b2b_cn.workday", "zh",
     "11月28日 不是工作日；11月30日 09:00 后可再联系"),
    ("该联系人已标记为不得通过短信联系；不会再允许通过该渠道联系", "guard.do_not_contact", "en",
     "this contact is marked do-not-contact for SMS; this channel will not be allowed"),
    ("没有可接收邮件的联系人（角色 finance/signatory/owner，且未标记不得联系）：未发送", "outbox.no_contact", "en",
     "no contact entitled to e-mail (role finance / signatory / owner, not marked do-not-contact): nothing sent"),
    # a provider's error is not a text the sender words: shown as stored
    ("550 5.1.1 mailbox unavailable", "smtp.permanent", "zh", "550 5.1.1 mailbox unavailable"),
], ids=["night-zh", "night-en", "stored-in-en-read-in-zh", "never-en", "dead-letter-en", "provider-error"])
def test_a_stored_refusal_reads_in_the_readers_language_with_a_short_local_moment(
        stored: str, code: str, lang: str, shown: str) -> None:
    got = problem_text(stored, code, lang, TZ)
    assert got == shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}", got) or code == "smtp.permanent"  # no ISO day or moment left
    if lang == "en" and code != "smtp.permanent":
        assert not CJK.search(got), got


def test_the_moment_is_kept_when_the_reason_no_longer_reads_back() -> None:
    """A rule's wording changed since the row was stored: its text stays, the moment is still worded."""
    old = "夜间禁止联系；下次允许联系时间：2026-11-29T08:00+08:00"
    assert problem_text(old, "guard.consumer_cn.quiet_hours", "zh", TZ) == "夜间禁止联系；11月29日 08:00 后可再联系"
    assert problem_text(None, None, "zh", TZ) == ""


def test_the_guard_check_verdict_reads_like_the_page() -> None:
    assert verdict_text(NIGHT, "zh", tz=TZ) == "22:00–08:00 禁止催收联系（只允许 08:00–22:00）；11月29日 08:00 后可再联系"
    workday = Verdict(False, Rule.B2B_WORKDAY, "guard.b2b_cn.workday", (("day", "2026-11-28"),),
                      datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(TZ)))
    assert verdict_text(workday, "zh", moment=False, tz=TZ) == "11月28日 不是工作日"
    assert verdict_text(workday, "en", moment=False, tz=TZ) == "28 Nov is not a working day"


def _task(key: str, stored_zh: str, stored_en: str, run_on: date, **params: object) -> SimpleNamespace:
    return SimpleNamespace(reason_zh=stored_zh, reason_en=stored_en, run_on=run_on,
                           params={"reason_key": key, **params, "limit_cut_percent": None})


LABEL_ZH, LABEL_EN = "到期前 3–5 个工作日短信提醒并邮寄账单", "SMS reminder 3–5 working days before due"
FRIDAY = date(2026, 11, 27)
PRE_DUE = _task("reason.pre_due", f"6 天后到期（2026-12-03）：{LABEL_ZH}", f"due in 6 days (2026-12-03): {LABEL_EN}",
                FRIDAY, date="2026-12-03", days=6)


@pytest.mark.parametrize(("day", "zh", "en"), [
    (date(2026, 11, 27), "6 天后到期（12月3日）", "due in 6 days (3 Dec)"),  # the run's own day
    (date(2026, 11, 28), "5 天后到期（12月3日）", "due in 5 days (3 Dec)"),  # the demo's Saturday
    (date(2026, 12, 1), "2 天后到期（12月3日）", "due in 2 days (3 Dec)"),
    (date(2026, 12, 2), "明天到期（12月3日）", "due tomorrow (3 Dec)"),
    (date(2026, 12, 3), "今天到期（12月3日）", "due today (3 Dec)"),
    (date(2026, 12, 4), "昨天到期（12月3日），已逾期 1 天", "due yesterday (3 Dec), 1 day overdue"),
    (date(2026, 12, 6), "已逾期 3 天（12月3日 到期）", "3 days overdue (due 3 Dec)"),
])
def test_a_pre_due_reason_counts_from_the_day_it_is_read(day: date, zh: str, en: str) -> None:
    assert task_reason(PRE_DUE, "zh", day) == f"{zh}：{LABEL_ZH}"
    assert task_reason(PRE_DUE, "en", day) == f"{en}: {LABEL_EN}"


def test_a_due_date_in_another_year_names_its_year() -> None:
    task = _task("reason.pre_due", f"7 天后到期（2027-01-04）：{LABEL_ZH}", f"due in 7 days (2027-01-04): {LABEL_EN}",
                 date(2026, 12, 28), date="2027-01-04", days=7)
    assert task_reason(task, "zh", date(2026, 12, 29)) == f"6 天后到期（2027年1月4日）：{LABEL_ZH}"
    assert task_reason(task, "en", date(2026, 12, 29)) == f"due in 6 days (4 Jan 2027): {LABEL_EN}"


def test_an_overdue_reason_counts_the_days_since_the_run() -> None:
    task = _task("reason.overdue", "逾期 16 天：电话催收", "16 days overdue: call", FRIDAY, days=16)
    assert task_reason(task, "zh", FRIDAY) == "逾期 16 天：电话催收"
    assert task_reason(task, "zh", date(2026, 11, 28)) == "逾期 17 天：电话催收"
    assert task_reason(task, "en", date(2026, 11, 30)) == "19 days overdue: call"
    graced = _task("reason.overdue_grace", "逾期 20 天（月结宽限 5 天已过 15 天）：电话催收",
                   "20 days overdue (month-end grace 5 days, 15 days past it): call", FRIDAY, days=20, grace=5, past=15)
    assert task_reason(graced, "zh", date(2026, 11, 28)) == "逾期 21 天（月结宽限 5 天已过 16 天）：电话催收"


def test_other_and_unreadable_reasons_are_shown_as_stored() -> None:
    statement = _task("reason.statement", "2026-10 对账单：每日邮件", "statement 2026-10: daily e-mail", FRIDAY,
                      period="2026-10")
    assert task_reason(statement, "zh", date(2026, 11, 28)) == "2026-10 对账单：每日邮件"
    reworded = _task("reason.pre_due", "还有 6 天到期：短信", "6 days to go: SMS", FRIDAY, date="2026-12-03", days=6)
    assert task_reason(reworded, "zh", date(2026, 11, 28)) == "还有 6 天到期：短信"
    no_params = SimpleNamespace(reason_zh="6 天后到期（2026-12-03）：短信", reason_en="x", run_on=FRIDAY, params=None)
    assert task_reason(no_params, "zh", date(2026, 11, 28)) == "6 天后到期（2026-12-03）：短信"


STAGES = sms_template_stages(JinjaTemplates())


def test_the_shipped_sms_template_codes_name_their_stage() -> None:
    assert STAGES == {"SMS_PRE_DUE_BILL": "pre_due_bill"}


@pytest.mark.parametrize(("note", "channel", "lang", "shown", "message"), [
    ("outbox:731 SMS_PRE_DUE_BILL", "sms", "zh", "到期前账单提醒（消息 #731）", 731),
    ("outbox:731 SMS_PRE_DUE_BILL", "sms", "en", "Bill reminder before due (message #731)", 731),
    ("outbox:1587 再次提醒：请确认 2026-10 对账单", "email", "zh", "再次提醒：请确认 2026-10 对账单（消息 #1587）", 1587),
    ("outbox:1587 Reminder: please confirm", "email", "en", "Reminder: please confirm (message #1587)", 1587),
    ("outbox:9 SMS_SOMETHING_ELSE", "sms", "zh", "消息 #9", 9),  # a code it does not know is left out
    ("outbox:10 ", "email", "en", "message #10", 10),
    ("下游客户没给钱", "phone", "zh", "下游客户没给钱", None),  # a person's note, as written
    (None, "phone", "zh", "", None),
], ids=["sms-zh", "sms-en", "email-zh", "email-en", "unknown-code", "no-subject", "person", "none"])
def test_a_delivered_messages_note_reads_without_ids_or_template_codes(
        note: str | None, channel: str, lang: str, shown: str, message: int | None) -> None:
    got = contact_note(note, channel, lang, STAGES)
    assert (got.text, got.message) == (shown, message)
    assert "outbox:" not in got.text and "SMS_" not in got.text


def test_the_sender_reads_as_system_a_person_as_stored() -> None:
    assert (actor_name("huikuan", "zh"), actor_name("huikuan", "en")) == ("系统", "system")
    assert actor_name("刘明", "en") == "刘明"


@pytest.mark.parametrize(("rule", "code", "zh", "en"), [
    ("consumer_cn.quiet_hours", "guard.consumer_cn.quiet_hours", "夜间免打扰时段", "quiet hours"),
    (None, "outbox.no_contact", "没有可接收的联系人", "no contact to send to"),
    ("no_contact", None, "没有可接收的联系人", "no contact to send to"),  # call_now's rule
    (None, "smtp.refused", "收件服务器拒收", "refused by the receiving server"),
    (None, "sms.isv.MOBILE_NUMBER_ILLEGAL", "短信服务商拒收或不可用", "refused or unavailable at the SMS provider"),
    (None, "who.knows", "投递失败", "delivery failed"),
])
def test_a_rule_or_error_code_reads_as_a_label(rule: str | None, code: str | None, zh: str, en: str) -> None:
    assert (problem_label(rule, code, "zh"), problem_label(rule, code, "en")) == (zh, en)


def test_every_guard_rule_has_a_label_in_both_languages() -> None:
    for rule in Rule:
        for lang in ("zh", "en"):
            label = problem_label(rule.value, None, lang)
            assert label and "." not in label and "_" not in label, (rule, lang, label)
            assert bool(CJK.search(label)) == (lang == "zh"), (rule, lang, label)


def test_the_no_contact_reason_names_the_roles_in_the_readers_language() -> None:
    stored = "没有可接收短信的联系人（角色 finance/signatory/owner，且未标记不得联系）：未发送"
    assert problem_text(stored, "outbox.no_contact", "zh", TZ) == (
        "没有可接收短信的联系人（角色 财务、签字人、老板，且未标记不得联系）：未发送")
