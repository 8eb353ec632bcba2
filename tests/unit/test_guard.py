"""The compliance guard: boundary tables per profile, and properties over generated profiles, time
zones, clocks and attempt histories (no allowed contact breaks its profile; every refusal names its
rule; the next allowed moment is itself allowed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.domain.calendar import WeekendCalendar
from huikuan.domain.guard import (
    Attempt,
    Contact,
    Profile,
    Rule,
    check,
    parse_best_time,
    profile_for,
    send_time,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CAL = WeekendCalendar()


class Holidays:
    """Weekends plus 2026-10-01..07 (National Day) off, Saturday 2026-10-10 worked (调休)."""

    def is_workday(self, d: date) -> bool:
        if date(2026, 10, 1) <= d <= date(2026, 10, 7):
            return False
        if d == date(2026, 10, 10):
            return True
        return d.weekday() < 5


def at(s: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=tz)


CN = Contact(tz=SH)
US = Contact(tz=NY)

# (profile, channel, local time, allowed, rule, next allowed local time)
TABLE = [
    # consumer_cn quiet hours 22:00–08:00
    (Profile.CONSUMER_CN, "sms", "2026-11-27T21:59", True, None, None),
    (Profile.CONSUMER_CN, "sms", "2026-11-27T22:00", False, Rule.CN_QUIET_HOURS, "2026-11-28T08:00"),
    (Profile.CONSUMER_CN, "sms", "2026-11-27T22:30", False, Rule.CN_QUIET_HOURS, "2026-11-28T08:00"),
    (Profile.CONSUMER_CN, "phone", "2026-11-28T07:59", False, Rule.CN_QUIET_HOURS, "2026-11-28T08:00"),
    (Profile.CONSUMER_CN, "phone", "2026-11-28T08:00", True, None, None),
    # b2b_cn: working days 09:00–18:00, lunch 12:00–13:30
    (Profile.B2B_CN, "email", "2026-11-27T08:59", False, Rule.B2B_HOURS, "2026-11-27T09:00"),
    (Profile.B2B_CN, "email", "2026-11-27T09:00", True, None, None),
    (Profile.B2B_CN, "phone", "2026-11-27T11:59", True, None, None),
    (Profile.B2B_CN, "phone", "2026-11-27T12:00", False, Rule.B2B_LUNCH, "2026-11-27T13:30"),
    (Profile.B2B_CN, "phone", "2026-11-27T13:29", False, Rule.B2B_LUNCH, "2026-11-27T13:30"),
    (Profile.B2B_CN, "phone", "2026-11-27T13:30", True, None, None),
    (Profile.B2B_CN, "email", "2026-11-26T17:59", True, None, None),
    (Profile.B2B_CN, "email", "2026-11-26T18:00", False, Rule.B2B_HOURS, "2026-11-27T09:00"),
    (Profile.B2B_CN, "email", "2026-11-27T18:00", False, Rule.B2B_HOURS, "2026-11-30T09:00"),  # Friday → Monday
    (Profile.B2B_CN, "email", "2026-11-28T10:00", False, Rule.B2B_WORKDAY, "2026-11-30T09:00"),  # Saturday
    # month end: Monday 2026-11-30 is the last working day of November
    (Profile.B2B_CN, "phone", "2026-11-30T17:29", True, None, None),
    (Profile.B2B_CN, "phone", "2026-11-30T17:30", False, Rule.B2B_MONTH_END, "2026-12-01T09:00"),
    (Profile.B2B_CN, "phone", "2026-11-27T17:30", True, None, None),  # an ordinary Friday
    # consumer_us 08:00–21:00 in the debtor's zone
    (Profile.CONSUMER_US, "phone", "2026-11-27T20:59", True, None, None),
    (Profile.CONSUMER_US, "phone", "2026-11-27T21:00", False, Rule.US_HOURS, "2026-11-28T08:00"),
    (Profile.CONSUMER_US, "email", "2026-11-28T07:59", False, Rule.US_HOURS, "2026-11-28T08:00"),
]


@pytest.mark.parametrize(("profile", "channel", "local", "allowed", "rule", "nxt"), TABLE,
                         ids=[f"{p.value}-{c}-{t}" for p, c, t, *_ in TABLE])
def test_boundaries(profile, channel, local, allowed, rule, nxt):
    contact = US if profile is Profile.CONSUMER_US else CN
    v = check(profile, channel, at(local, contact.tz), contact, cal=CAL)
    assert v.allowed is allowed
    assert v.rule == rule
    assert v.next_allowed_at == (at(nxt, contact.tz) if nxt else None)


def test_holiday_and_make_up_saturday():
    v = check(Profile.B2B_CN, "email", at("2026-09-30T18:30"), CN, cal=Holidays())
    assert (v.rule, v.next_allowed_at) == (Rule.B2B_HOURS, at("2026-10-08T09:00"))
    assert check(Profile.B2B_CN, "email", at("2026-10-10T10:00"), CN, cal=Holidays()).allowed  # 调休 Saturday


def test_the_contacts_own_time_zone():
    # 10:00 in Shanghai is 21:00 the evening before in New York: a US consumer is not called.
    v = check(Profile.CONSUMER_US, "phone", at("2026-11-27T10:00", SH), US, cal=CAL)
    assert (v.allowed, v.rule) == (False, Rule.US_HOURS)
    assert v.next_allowed_at == at("2026-11-27T08:00", NY)


def _calls(n: int, start: datetime, answered: bool = False, channel: str = "phone") -> list[Attempt]:
    return [Attempt(start + timedelta(hours=i), channel, answered) for i in range(n)]


def test_the_7th_call_allowed_the_8th_refused_until_the_first_ages_out():
    first = at("2026-11-20T09:00", NY)
    now = at("2026-11-25T10:00", NY)
    assert check(Profile.CONSUMER_US, "phone", now, US, _calls(6, first), CAL).allowed  # 7th
    v = check(Profile.CONSUMER_US, "phone", now, US, _calls(7, first), CAL)  # 8th
    assert (v.allowed, v.rule) == (False, Rule.US_CALL_CAP)
    assert v.next_allowed_at == first + timedelta(days=7)
    # calls about another debt do not count toward this one
    other = [Attempt(a.at, a.channel, a.answered, "D2") for a in _calls(7, first)]
    assert check(Profile.CONSUMER_US, "phone", now, US, other, CAL, debt="D1").allowed
    # e-mails are not calls
    assert check(Profile.CONSUMER_US, "email", now, US, _calls(7, first), CAL).allowed


def test_no_call_within_7_days_after_a_conversation():
    talk = at("2026-11-20T10:00", NY)
    v = check(Profile.CONSUMER_US, "phone", at("2026-11-27T09:59", NY), US, [Attempt(talk, "phone", True)], CAL)
    assert (v.rule, v.next_allowed_at) == (Rule.US_AFTER_CONVERSATION, talk + timedelta(days=7))
    assert check(Profile.CONSUMER_US, "phone", at("2026-11-27T10:00", NY), US, [Attempt(talk, "phone", True)],
                 CAL).allowed


def test_six_unanswered_attempts_a_day_then_tomorrow():
    morning = at("2026-11-27T09:00")
    assert check(Profile.CONSUMER_CN, "phone", at("2026-11-27T16:00"), CN, _calls(5, morning), CAL).allowed
    v = check(Profile.CONSUMER_CN, "phone", at("2026-11-27T16:00"), CN, _calls(6, morning), CAL)
    assert (v.rule, v.next_allowed_at) == (Rule.CN_DAILY_ATTEMPTS, at("2026-11-28T08:00"))
    # answered calls and other channels do not count; SMS has its own six
    assert check(Profile.CONSUMER_CN, "phone", at("2026-11-27T16:00"), CN, _calls(6, morning, True), CAL).allowed
    assert check(Profile.CONSUMER_CN, "sms", at("2026-11-27T16:00"), CN, _calls(6, morning), CAL).allowed


def test_do_not_contact_opt_out_and_third_parties_are_never_allowed():
    for contact, rule in ((Contact(SH, do_not_contact=frozenset({"sms"})), Rule.DO_NOT_CONTACT),
                          (Contact(SH, do_not_contact=frozenset({"*"})), Rule.DO_NOT_CONTACT),
                          (Contact(SH, opted_out=frozenset({"sms"})), Rule.OPT_OUT)):
        for p in Profile:
            v = check(p, "sms", at("2026-11-27T15:30"), contact, cal=CAL)
            assert (v.allowed, v.rule, v.next_allowed_at) == (False, rule, None)
    dnc_sms = Contact(SH, do_not_contact=frozenset({"sms"}))
    assert check(Profile.B2B_CN, "email", at("2026-11-27T15:30"), dnc_sms, cal=CAL).allowed
    third = Contact(SH, related_to_debt=False)
    assert check(Profile.CONSUMER_CN, "phone", at("2026-11-27T15:30"), third, cal=CAL).rule == Rule.THIRD_PARTY


def test_send_time_is_the_best_time_within_the_window():
    assert send_time(Profile.B2B_CN, "email", at("2026-11-27T09:10"), CN, cal=CAL) == at("2026-11-27T15:30")
    assert send_time(Profile.B2B_CN, "email", at("2026-11-27T16:00"), CN, cal=CAL) == at("2026-11-30T15:30")
    early = Contact(SH, best_time=parse_best_time("09:30-11:30"))
    assert send_time(Profile.B2B_CN, "email", at("2026-11-27T09:10"), early, cal=CAL) == at("2026-11-27T09:30")
    lunch = Contact(SH, best_time=time(12, 15))  # a best time inside lunch: the first moment allowed after it
    assert send_time(Profile.B2B_CN, "email", at("2026-11-27T08:00"), lunch, cal=CAL) == at("2026-11-27T13:30")
    never = Contact(SH, do_not_contact=frozenset({"*"}))
    assert send_time(Profile.B2B_CN, "email", at("2026-11-27T08:00"), never, cal=CAL) is None


def test_parse_best_time_and_profile_for():
    assert parse_best_time("15:30-17:00") == time(15, 30)
    assert parse_best_time("下午三点半左右") is None
    assert parse_best_time("25:00") is None
    assert profile_for("cardholder") is Profile.CONSUMER_CN
    assert profile_for("dealer") is Profile.B2B_CN
    assert profile_for("dealer", "consumer_us") is Profile.CONSUMER_US


# ── properties ────────────────────────────────────────────────────────────────────────────

ZONES = [SH, NY, ZoneInfo("Europe/London"), ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Los_Angeles"), UTC]
BASE = datetime(2026, 11, 1, tzinfo=UTC)


def _breaks_profile(profile: Profile, channel: str, when: datetime, contact: Contact, history: list[Attempt]) -> bool:
    """An independent statement of each profile's rules (tests only)."""
    if channel in contact.do_not_contact or channel in contact.opted_out:
        return True
    local = when.astimezone(contact.tz)
    t = local.time()
    if profile is Profile.B2B_CN:
        last = max(d for d in (date(local.year, local.month, 1) + timedelta(days=i) for i in range(31))
                   if d.month == local.month and CAL.is_workday(d))
        return (not CAL.is_workday(local.date()) or not time(9) <= t < time(18) or time(12) <= t < time(13, 30)
                or (local.date() == last and t >= time(17, 30)))
    if profile is Profile.CONSUMER_CN:
        same_day = [a for a in history if a.channel == channel and not a.answered and a.at <= when
                    and a.at.astimezone(contact.tz).date() == local.date()]
        return not time(8) <= t < time(22) or len(same_day) >= 6
    if not time(8) <= t < time(21):
        return True
    if channel == "phone":
        week = [a for a in history if a.channel == "phone" and timedelta(0) <= when - a.at < timedelta(days=7)]
        return len(week) >= 7 or any(a.answered for a in week)
    return False


attempts = st.lists(st.builds(Attempt, at=st.integers(0, 20 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m)),
                              channel=st.sampled_from(["phone", "sms"]), answered=st.booleans()), max_size=25)
contacts = st.builds(Contact, tz=st.sampled_from(ZONES),
                     do_not_contact=st.sets(st.sampled_from(["sms", "phone", "email"]), max_size=1).map(frozenset),
                     opted_out=st.sets(st.sampled_from(["sms", "phone", "email"]), max_size=1).map(frozenset))


@settings(max_examples=400, deadline=None)
@given(profile=st.sampled_from(list(Profile)), channel=st.sampled_from(["email", "sms", "phone"]),
       minute=st.integers(0, 25 * 24 * 60), contact=contacts, history=attempts)
def test_no_allowed_contact_breaks_its_profile_and_refusals_name_a_rule(profile, channel, minute, contact, history):
    when = BASE + timedelta(minutes=minute)
    v = check(profile, channel, when, contact, history, CAL)
    assert v.allowed is not _breaks_profile(profile, channel, when, contact, history)
    if v.allowed:
        assert v.rule is None and v.next_allowed_at is None
        return
    assert isinstance(v.rule, Rule) and v.rule.value.split(".")[0] in (profile.value, "do_not_contact", "opt_out")
    if v.next_allowed_at is not None:
        assert v.next_allowed_at > when
        assert check(profile, channel, v.next_allowed_at, contact, history, CAL).allowed
        # nothing earlier is allowed: the minute before the next allowed moment is refused
        before = v.next_allowed_at - timedelta(minutes=1)
        if before > when:
            assert not check(profile, channel, before, contact, history, CAL).allowed


@pytest.mark.parametrize("rule", list(Rule))
def test_every_rule_has_a_reason_in_both_languages(rule):
    from huikuan.i18n import catalog

    assert catalog("zh").get("guard." + rule.value) and catalog("en").get("guard." + rule.value)
    assert not catalog("zh")["guard." + rule.value].isascii()
