"""When a queued message goes, at its edges: the best time itself, the days a working calendar closes,
the history of attempts and the debt a call is about; a verdict as JSON; best times read from text."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from huikuan.domain.guard import Attempt, Contact, Profile, Rule, Verdict, check, parse_best_time, send_time

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


def at(s: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=tz)


class NationalDay:
    """Weekends plus 2026-10-01..07 off."""

    def is_workday(self, d: date) -> bool:
        return d.weekday() < 5 and not date(2026, 10, 1) <= d <= date(2026, 10, 7)


@pytest.mark.parametrize(("text", "best"), [
    ("15:30-17:00", time(15, 30)), ("约 9:05 以后", time(9, 5)), ("15：30", time(15, 30)), ("23:59", time(23, 59)),
    ("00:00", time(0, 0)), ("24:00", None), ("12:60", None), ("12:59", time(12, 59)), ("", None), (None, None),
    ("three", None)])
def test_parse_best_time(text, best):
    assert parse_best_time(text) == best


def test_a_verdict_as_json():
    assert Verdict(True).as_dict() == {"allowed": True, "rule": None, "next_allowed_at": None}
    v = Verdict(False, Rule.B2B_HOURS, next_allowed_at=at("2026-11-30T09:00"))
    assert v.as_dict() == {"allowed": False, "rule": "b2b_cn.hours", "next_allowed_at": "2026-11-30T09:00:00+08:00"}


def test_queued_exactly_at_the_best_time_goes_that_day_a_minute_later_the_next():
    cal = NationalDay()
    assert send_time(Profile.B2B_CN, "email", at("2026-11-27T15:30"), Contact(SH), cal=cal) == at("2026-11-27T15:30")
    assert send_time(Profile.B2B_CN, "email", at("2026-11-26T15:31"), Contact(SH), cal=cal) == at("2026-11-27T15:30")


def test_the_calendar_given_decides_the_working_days():
    # queued on 30 September after the best time: the holiday week is skipped, 8 October is the next
    got = send_time(Profile.B2B_CN, "email", at("2026-09-30T16:00"), Contact(SH), cal=NationalDay())
    assert got == at("2026-10-08T15:30")


def test_unanswered_attempts_today_move_a_consumer_sms_to_tomorrow():
    contact = Contact(SH, best_time=time(10, 0))
    tries = tuple(Attempt(at("2026-11-27T09:00") + timedelta(minutes=i), "sms") for i in range(6))  # the daily limit
    assert send_time(Profile.CONSUMER_CN, "sms", at("2026-11-27T09:30"), contact) == at("2026-11-27T10:00")
    assert send_time(Profile.CONSUMER_CN, "sms", at("2026-11-27T09:30"), contact, tries) == at("2026-11-28T10:00")
    assert check(Profile.CONSUMER_CN, "sms", at("2026-11-27T10:00"), contact, tries).rule is Rule.CN_DAILY_ATTEMPTS


def test_a_call_about_another_debt_does_not_count_against_this_one():
    contact = Contact(NY, best_time=time(10, 0))
    talked = (Attempt(at("2026-11-27T09:00", NY), "phone", answered=True, debt="D1"),)
    # a conversation about D1 today: no more calls about D1 for a week, calls about D2 are free
    assert send_time(Profile.CONSUMER_US, "phone", at("2026-11-27T09:30", NY), contact, talked, debt="D1") == \
        at("2026-12-04T10:00", NY)
    assert send_time(Profile.CONSUMER_US, "phone", at("2026-11-27T09:30", NY), contact, talked, debt="D2") == \
        at("2026-11-27T10:00", NY)
