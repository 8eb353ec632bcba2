"""The guard's whole verdict for each rule at its boundary: the rule, the message key, the parameters the
message shows, and the next allowed moment in the contact's own time zone (as the timeline and the
JSON show it). Also month ends that fall on a weekend or in February, attempts counted by the contact's
own day, the retry chain across two rules, and ``send_time``'s fallback when the best time never fits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from huikuan.domain.guard import Attempt, Contact, Profile, Rule, Verdict, check, profile_for, send_time

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CN = Contact(tz=SH)
US = Contact(tz=NY)


def at(y: int, m: int, d: int, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def refused(rule: Rule, params: dict[str, str], nxt: datetime | None) -> Verdict:
    return Verdict(False, rule, f"guard.{rule.value}", tuple(sorted(params.items())), nxt)


B2B_WINDOW = {"window": "09:00–18:00"}


@pytest.mark.parametrize(("moment", "verdict"), [
    (at(2026, 11, 28, 10), refused(Rule.B2B_WORKDAY, {"day": "2026-11-28"}, at(2026, 11, 30, 9))),  # Saturday
    (at(2026, 11, 23, 8, 59), refused(Rule.B2B_HOURS, B2B_WINDOW, at(2026, 11, 23, 9))),
    (at(2026, 11, 23, 9), Verdict(True)),
    (at(2026, 11, 23, 17, 59), Verdict(True)),
    (at(2026, 11, 23, 18), refused(Rule.B2B_HOURS, B2B_WINDOW, at(2026, 11, 24, 9))),
    (at(2026, 11, 27, 18), refused(Rule.B2B_HOURS, B2B_WINDOW, at(2026, 11, 30, 9))),  # Friday → Monday
    (at(2026, 11, 23, 11, 59), Verdict(True)),
    (at(2026, 11, 23, 12), refused(Rule.B2B_LUNCH, {"window": "12:00–13:30"}, at(2026, 11, 23, 13, 30))),
    (at(2026, 11, 23, 13, 29), refused(Rule.B2B_LUNCH, {"window": "12:00–13:30"}, at(2026, 11, 23, 13, 30))),
    (at(2026, 11, 23, 13, 30), Verdict(True)),
    # Month-end closing: the last working day of the month from 17:30.
    (at(2026, 11, 30, 17, 29), Verdict(True)),
    (at(2026, 11, 30, 17, 30), refused(Rule.B2B_MONTH_END, {"after": "17:30"}, at(2026, 12, 1, 9))),
    (at(2026, 1, 30, 17, 30), refused(Rule.B2B_MONTH_END, {"after": "17:30"}, at(2026, 2, 2, 9))),  # 31st: Sat
    (at(2026, 1, 29, 17, 30), Verdict(True)),
    (at(2026, 2, 27, 17, 30), refused(Rule.B2B_MONTH_END, {"after": "17:30"}, at(2026, 3, 2, 9))),  # Feb, 28th: Sat
    (at(2026, 2, 26, 17, 30), Verdict(True)),
    (at(2026, 4, 30, 17, 45), refused(Rule.B2B_MONTH_END, {"after": "17:30"}, at(2026, 5, 1, 9))),  # 30-day month
])
def test_b2b_verdicts(moment, verdict):
    got = check(Profile.B2B_CN, "email", moment, CN)
    assert got == verdict
    if verdict.next_allowed_at is not None:
        assert got.as_dict()["next_allowed_at"] == verdict.next_allowed_at.isoformat()  # in the contact's zone


def test_the_next_allowed_moment_is_given_in_the_contacts_own_zone():
    got = check(Profile.B2B_CN, "email", datetime(2026, 11, 23, 0, 30, tzinfo=ZoneInfo("UTC")), CN)  # 08:30 local
    assert got.as_dict()["next_allowed_at"] == "2026-11-23T09:00:00+08:00"


CN_WINDOW = {"window": "08:00–22:00"}


def test_consumer_cn_quiet_hours():
    assert check(Profile.CONSUMER_CN, "sms", at(2026, 11, 28, 7, 59), CN) == refused(
        Rule.CN_QUIET_HOURS, CN_WINDOW, at(2026, 11, 28, 8))
    assert check(Profile.CONSUMER_CN, "sms", at(2026, 11, 28, 8), CN).allowed
    assert check(Profile.CONSUMER_CN, "sms", at(2026, 11, 28, 21, 59), CN).allowed
    assert check(Profile.CONSUMER_CN, "sms", at(2026, 11, 28, 22), CN) == refused(
        Rule.CN_QUIET_HOURS, CN_WINDOW, at(2026, 11, 29, 8))


def test_consumer_cn_counts_unanswered_attempts_of_the_contacts_own_day_up_to_this_moment():
    now = at(2026, 11, 23, 21, 30, NY)  # 02:30 UTC on the 24th
    earlier = [Attempt(at(2026, 11, 23, 20, i, NY), "phone") for i in range(5)]  # 01:0x UTC on the 24th
    contact = Contact(tz=NY)
    assert check(Profile.CONSUMER_CN, "phone", now, contact, earlier).allowed
    sixth = [*earlier, Attempt(now, "phone")]  # one at this very moment counts too
    assert check(Profile.CONSUMER_CN, "phone", now, contact, sixth) == refused(
        Rule.CN_DAILY_ATTEMPTS, {"count": "6", "limit": "6"}, at(2026, 11, 24, 8, 0, NY))
    yesterday = [Attempt(a.at - timedelta(days=1), "phone") for a in sixth]
    assert check(Profile.CONSUMER_CN, "phone", now, contact, yesterday).allowed


def test_consumer_us_after_a_conversation_names_it_in_the_contacts_zone():
    talk = datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in New York
    got = check(Profile.CONSUMER_US, "phone", at(2026, 11, 23, 10, 0, NY), US, [Attempt(talk, "phone", answered=True)])
    assert got == refused(Rule.US_AFTER_CONVERSATION, {"since": "2026-11-20T10:00-05:00"}, talk + timedelta(days=7))
    assert got.as_dict()["next_allowed_at"] == "2026-11-27T10:00:00-05:00"


def test_consumer_us_call_cap():
    now = at(2026, 11, 23, 12, 0, NY)
    calls = [Attempt(now - timedelta(days=6, hours=1) + timedelta(hours=i), "phone") for i in range(7)]
    assert check(Profile.CONSUMER_US, "phone", now, US, calls) == refused(
        Rule.US_CALL_CAP, {"count": "7", "limit": "7"}, calls[0].at + timedelta(days=7))
    assert check(Profile.CONSUMER_US, "phone", now, US, calls[1:]).allowed


def test_the_retry_chain_follows_every_rule_and_keeps_the_debt():
    """21:30 is past the US day: the first retry (08:00) is still within a week of a talk about this debt,
    so the next allowed moment is the week's end — a talk about another debt does not count."""
    talk = at(2026, 11, 22, 12, 0, NY)
    history = [Attempt(talk, "phone", answered=True, debt="D1")]
    got = check(Profile.CONSUMER_US, "phone", at(2026, 11, 23, 21, 30, NY), US, history, debt="D1")
    assert (got.rule, got.next_allowed_at) == (Rule.US_HOURS, talk + timedelta(days=7))
    other = check(Profile.CONSUMER_US, "phone", at(2026, 11, 23, 21, 30, NY), US, history, debt="D2")
    assert other.next_allowed_at == at(2026, 11, 24, 8, 0, NY)


@pytest.mark.parametrize(("contact", "rule"), [
    (Contact(tz=SH, do_not_contact=frozenset({"email"})), Rule.DO_NOT_CONTACT),
    (Contact(tz=SH, do_not_contact=frozenset({"*"})), Rule.DO_NOT_CONTACT),
    (Contact(tz=SH, opted_out=frozenset({"email"})), Rule.OPT_OUT),
    (Contact(tz=SH, opted_out=frozenset({"*"})), Rule.OPT_OUT),
])
def test_never_verdicts_name_the_channel(contact, rule):
    assert check(Profile.B2B_CN, "email", at(2026, 11, 23, 10), contact) == refused(rule, {"channel": "email"}, None)


class NoWorkdays:
    def is_workday(self, day: date) -> bool:
        return False


class MondayOff:
    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5 and day != date(2026, 11, 30)


def test_a_calendar_without_working_days_gives_no_next_moment():
    got = check(Profile.B2B_CN, "email", at(2026, 11, 23, 10), CN, cal=NoWorkdays())
    assert (got.allowed, got.rule, got.next_allowed_at) == (False, Rule.B2B_WORKDAY, None)


def test_programming_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="aware datetime"):
        check(Profile.B2B_CN, "email", datetime(2026, 11, 23, 10), CN)
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        check(Profile.B2B_CN, "fax", at(2026, 11, 23, 10), CN)


@pytest.mark.parametrize(("customer_type", "profile"), [
    ("student", Profile.CONSUMER_CN), ("cardholder", Profile.CONSUMER_CN), ("dealer", Profile.B2B_CN),
    ("enterprise", Profile.B2B_CN),
])
def test_consumers_get_the_strict_profile(customer_type, profile):
    assert profile_for(customer_type) is profile
    assert profile_for(customer_type, "consumer_us") is Profile.CONSUMER_US


def test_a_best_time_that_never_fits_sends_at_the_first_allowed_moment():
    night = Contact(tz=SH, best_time=time(23, 0))  # always quiet hours for a consumer
    after = at(2026, 11, 23, 10)
    sent = send_time(Profile.CONSUMER_CN, "sms", after, night)
    assert sent == after and sent.utcoffset() == timedelta(hours=8)
    six = [Attempt(at(2026, 11, 23, 9, i), "phone") for i in range(6)]
    assert send_time(Profile.CONSUMER_CN, "phone", after, night, six) == at(2026, 11, 24, 8)


def test_the_fallback_uses_the_calendar_and_the_debt():
    late = Contact(tz=SH, best_time=time(23, 0))
    assert send_time(Profile.B2B_CN, "email", at(2026, 11, 27, 18, 30), late, cal=MondayOff()) == at(2026, 12, 1, 9)
    us_late = Contact(tz=NY, best_time=time(22, 0))
    talk = Attempt(at(2026, 11, 22, 12, 0, NY), "phone", answered=True, debt="D1")
    got = send_time(Profile.CONSUMER_US, "phone", at(2026, 11, 23, 10, 0, NY), us_late, [talk], debt="D1")
    assert got == talk.at + timedelta(days=7)
