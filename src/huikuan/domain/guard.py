"""The compliance guard: may this contact be reached on this channel at this moment?

One pure function, ``check``, answers for the sender (before an e-mail or SMS leaves), for the
worklist (before a call is shown as "call now") and for a collector asking ``huikuan guard check``.
It is a function of (profile, channel, moment, contact, attempt history, working calendar) and nothing
else: no clock, no I/O. Every refusal names the rule that refused it and the next moment at which the
same question would be answered "yes" (``None`` when no moment will: do-not-contact, opt-out, a third
party).

Profiles (chosen per customer; consumers get the strict ones):

- ``b2b_cn``       Chinese working days, 09:00–18:00, not over lunch 12:00–13:30, and not after 17:30
                   on the last working day of the month (month-end closing).
- ``consumer_cn``  China Banking Association rules for card collection: no contact 22:00–08:00, at most
                   6 unanswered attempts per channel per day, no third party unrelated to the debt.
- ``consumer_us``  Regulation F (12 CFR 1006): 08:00–21:00 in the debtor's time zone; at most 7 call
                   attempts in 7 consecutive days per debt, and no call within 7 days after a telephone
                   conversation about that debt; opt-out honoured.

Windows are half-open: 09:00 is inside, 18:00 is outside; 21:59 is inside, 22:00 is quiet. All
local times are the contact's own time zone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from .calendar import WorkCalendar


class Profile(StrEnum):
    B2B_CN = "b2b_cn"
    CONSUMER_CN = "consumer_cn"
    CONSUMER_US = "consumer_us"


class Rule(StrEnum):
    """The rule a refusal names (stable codes: stored on messages and shown on the timeline)."""

    DO_NOT_CONTACT = "do_not_contact"
    OPT_OUT = "opt_out"
    THIRD_PARTY = "third_party"
    B2B_WORKDAY = "b2b_cn.workday"
    B2B_HOURS = "b2b_cn.hours"
    B2B_LUNCH = "b2b_cn.lunch"
    B2B_MONTH_END = "b2b_cn.month_end"
    CN_QUIET_HOURS = "consumer_cn.quiet_hours"
    CN_DAILY_ATTEMPTS = "consumer_cn.daily_attempts"
    US_HOURS = "consumer_us.hours"
    US_CALL_CAP = "consumer_us.call_cap"
    US_AFTER_CONVERSATION = "consumer_us.after_conversation"


CHANNELS = ("email", "sms", "phone")
DEFAULT_BEST_TIME = time(15, 30)

B2B_OPEN, B2B_CLOSE = time(9, 0), time(18, 0)
B2B_LUNCH = (time(12, 0), time(13, 30))
B2B_MONTH_END_CLOSE = time(17, 30)
CN_DAY = (time(8, 0), time(22, 0))
CN_MAX_UNANSWERED = 6
US_DAY = (time(8, 0), time(21, 0))
US_MAX_CALLS = 7
US_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Contact:
    """What the guard needs to know about the person to be reached."""

    tz: tzinfo
    do_not_contact: frozenset[str] = frozenset()  # channels; "*" = every channel
    opted_out: frozenset[str] = frozenset()
    related_to_debt: bool = True  # False: a third party (consumer rules forbid contacting them)
    best_time: time | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One earlier attempt to reach this contact (a call, a message sent)."""

    at: datetime  # aware
    channel: str
    answered: bool = False  # a conversation took place
    debt: str | None = None  # the debt it was about (Regulation F counts per debt); None = this one


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    rule: Rule | None = None
    reason_key: str = "guard.allowed"
    params: tuple[tuple[str, str], ...] = ()
    next_allowed_at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "rule": self.rule.value if self.rule else None,
                "next_allowed_at": self.next_allowed_at.isoformat() if self.next_allowed_at else None}


@dataclass(frozen=True, slots=True)
class _Refusal:
    rule: Rule
    retry_at: datetime | None  # the earliest moment this rule alone would allow (None: never)
    params: dict[str, str] = field(default_factory=dict)


def profile_for(customer_type: str, explicit: str | None = None) -> Profile:
    """The customer's explicit profile, else consumers (students, cardholders) → consumer_cn, others b2b_cn."""
    if explicit:
        return Profile(explicit)
    return Profile.CONSUMER_CN if customer_type in ("student", "cardholder") else Profile.B2B_CN


_HHMM = re.compile(r"(\d{1,2})[:：](\d{2})")


def parse_best_time(text: str | None) -> time | None:
    """The first HH:MM in a contact's free-text best time ("15:30-17:00" → 15:30); None if there is none."""
    m = _HHMM.search(text or "")
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    return time(h, mi) if h < 24 and mi < 60 else None


def _at(d: date, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz)


def _next_workday_start(cal: WorkCalendar, d: date, start: time, tz: tzinfo) -> datetime:
    d += timedelta(days=1)
    for _ in range(60):
        if cal.is_workday(d):
            return _at(d, start, tz)
        d += timedelta(days=1)
    return _at(d, start, tz)


def _last_workday_of_month(cal: WorkCalendar, d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    x = nxt - timedelta(days=1)
    while x > d and not cal.is_workday(x):
        x -= timedelta(days=1)
    return x


def _day_window(local: datetime, opens: time, closes: time, rule: Rule) -> _Refusal | None:
    t = local.time()
    if t < opens:
        return _Refusal(rule, _at(local.date(), opens, local.tzinfo or UTC), {"window": f"{opens:%H:%M}–{closes:%H:%M}"})
    if t >= closes:
        return _Refusal(rule, _at(local.date() + timedelta(days=1), opens, local.tzinfo or UTC),
                        {"window": f"{opens:%H:%M}–{closes:%H:%M}"})
    return None


def _b2b(local: datetime, cal: WorkCalendar) -> _Refusal | None:
    tz = local.tzinfo or UTC
    d, t = local.date(), local.time()
    window = {"window": f"{B2B_OPEN:%H:%M}–{B2B_CLOSE:%H:%M}"}
    if not cal.is_workday(d):
        return _Refusal(Rule.B2B_WORKDAY, _next_workday_start(cal, d, B2B_OPEN, tz), {"day": d.isoformat()})
    if t < B2B_OPEN:
        return _Refusal(Rule.B2B_HOURS, _at(d, B2B_OPEN, tz), window)
    if t >= B2B_CLOSE:
        return _Refusal(Rule.B2B_HOURS, _next_workday_start(cal, d, B2B_OPEN, tz), window)
    if B2B_LUNCH[0] <= t < B2B_LUNCH[1]:
        return _Refusal(Rule.B2B_LUNCH, _at(d, B2B_LUNCH[1], tz), {"window": f"{B2B_LUNCH[0]:%H:%M}–{B2B_LUNCH[1]:%H:%M}"})
    if t >= B2B_MONTH_END_CLOSE and _last_workday_of_month(cal, d) == d:
        return _Refusal(Rule.B2B_MONTH_END, _next_workday_start(cal, d, B2B_OPEN, tz),
                        {"after": f"{B2B_MONTH_END_CLOSE:%H:%M}"})
    return None


def _consumer_cn(local: datetime, channel: str, history: Sequence[Attempt]) -> _Refusal | None:
    if r := _day_window(local, CN_DAY[0], CN_DAY[1], Rule.CN_QUIET_HOURS):
        return r
    tz = local.tzinfo or UTC
    today = local.date()
    unanswered = sum(1 for a in history if a.channel == channel and not a.answered
                     and a.at <= local and a.at.astimezone(tz).date() == today)
    if unanswered >= CN_MAX_UNANSWERED:
        return _Refusal(Rule.CN_DAILY_ATTEMPTS, _at(today + timedelta(days=1), CN_DAY[0], tz),
                        {"count": str(unanswered), "limit": str(CN_MAX_UNANSWERED)})
    return None


def _consumer_us(local: datetime, channel: str, history: Sequence[Attempt], debt: str | None) -> _Refusal | None:
    if r := _day_window(local, US_DAY[0], US_DAY[1], Rule.US_HOURS):
        return r
    if channel != "phone":
        return None  # Regulation F's frequency limits are about telephone calls
    mine = sorted((a for a in history if a.channel == "phone" and a.at <= local and (a.debt or debt) == debt),
                  key=lambda a: a.at)
    talks = [a for a in mine if a.answered and local - a.at < US_WINDOW]
    if talks:
        return _Refusal(Rule.US_AFTER_CONVERSATION, talks[-1].at + US_WINDOW,
                        {"since": talks[-1].at.astimezone(local.tzinfo or UTC).isoformat(timespec="minutes")})
    recent = [a for a in mine if local - a.at < US_WINDOW]
    if len(recent) >= US_MAX_CALLS:
        # Allowed again once enough of the window's calls have aged out to leave room for one more.
        oldest_to_expire = recent[len(recent) - US_MAX_CALLS]
        return _Refusal(Rule.US_CALL_CAP, oldest_to_expire.at + US_WINDOW,
                        {"count": str(len(recent)), "limit": str(US_MAX_CALLS)})
    return None


def _first_refusal(profile: Profile, channel: str, at: datetime, contact: Contact, history: Sequence[Attempt],
                   cal: WorkCalendar, debt: str | None) -> _Refusal | None:
    if channel in contact.do_not_contact or "*" in contact.do_not_contact:
        return _Refusal(Rule.DO_NOT_CONTACT, None, {"channel": channel})
    if channel in contact.opted_out or "*" in contact.opted_out:
        return _Refusal(Rule.OPT_OUT, None, {"channel": channel})
    if profile is Profile.CONSUMER_CN and not contact.related_to_debt:
        return _Refusal(Rule.THIRD_PARTY, None)
    local = at.astimezone(contact.tz)
    if profile is Profile.B2B_CN:
        return _b2b(local, cal)
    if profile is Profile.CONSUMER_CN:
        return _consumer_cn(local, channel, history)
    return _consumer_us(local, channel, history, debt)


def check(profile: Profile, channel: str, at: datetime, contact: Contact, history: Sequence[Attempt] = (),
          cal: WorkCalendar | None = None, debt: str | None = None) -> Verdict:
    """May ``contact`` be reached on ``channel`` at ``at`` (aware) under ``profile``?

    A refusal carries the first rule that refused and ``next_allowed_at``: the earliest moment at which
    every rule allows (found by moving to each refusing rule's own retry time until none refuses).
    """
    if at.tzinfo is None:
        raise ValueError("the guard needs an aware datetime")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    calendar = cal or _Weekdays()
    first = _first_refusal(profile, channel, at, contact, history, calendar, debt)
    if first is None:
        return Verdict(True)
    nxt = first.retry_at
    for _ in range(200):
        if nxt is None:
            break
        again = _first_refusal(profile, channel, nxt, contact, history, calendar, debt)
        if again is None:
            break
        nxt = again.retry_at
    else:  # pragma: no cover — the retry times strictly increase; 200 hops is beyond any profile
        nxt = None
    local_next = nxt.astimezone(contact.tz) if nxt is not None else None
    return Verdict(False, first.rule, "guard." + first.rule.value, tuple(sorted(first.params.items())), local_next)


def send_time(profile: Profile, channel: str, after: datetime, contact: Contact, history: Sequence[Attempt] = (),
              cal: WorkCalendar | None = None, debt: str | None = None) -> datetime | None:
    """When a message queued at ``after`` should go: the contact's best time (15:30 when unknown) on the
    first day it is allowed, else the first allowed moment; None when the contact may never be reached."""
    best = contact.best_time or DEFAULT_BEST_TIME
    local = after.astimezone(contact.tz)
    day = local.date() if local.time() <= best else local.date() + timedelta(days=1)
    for i in range(14):
        candidate = _at(day + timedelta(days=i), best, contact.tz)
        v = check(profile, channel, candidate, contact, history, cal, debt)
        if v.allowed:
            return candidate
        if v.next_allowed_at is not None and v.next_allowed_at.date() == candidate.date():
            return v.next_allowed_at  # the best time falls in a closed slot (lunch): the first moment after it
    v = check(profile, channel, after, contact, history, cal, debt)
    return after.astimezone(contact.tz) if v.allowed else v.next_allowed_at


class _Weekdays:
    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5
