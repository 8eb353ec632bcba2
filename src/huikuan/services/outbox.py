"""Communications: the outbox (ARCHITECTURE §9).

- ``enqueue``: when an action whose channels include e-mail or SMS is created (by the daily run, or by
  a person), its messages are rendered and written to the outbox **in the action's transaction**,
  addressed to the contacts entitled to them (role finance / signatory / owner; never one marked
  do-not-contact or opted out for that channel), scheduled at the contact's best time within the
  compliance guard's window. A customer with no entitled contact, an address that is not an e-mail,
  a number that is not a mobile, a broken template: a dead message saying why, nothing sent, the run
  goes on.
- ``send_due`` (``huikuan send``): claims due rows under a lease, asks the guard again (the clock
  moved since), sends through the ``Mailer`` / ``SmsGateway`` port, and marks each row in its own
  commit. Failures retry with exponential backoff and jitter; a permanent refusal, or
  ``outbox_max_attempts`` failures, dead-letters the message.

Delivery guarantee (README, "Delivery guarantee"): at-least-once. A row is marked sent only after the
server accepted it; a worker that dies between the two leaves the row ``sending`` with a lease, and
the next worker after the lease sends it again with the **same** Message-ID / request id, so a
receiver or provider that deduplicates on it sees the message once (effectively-once there).
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import i18n
from ..domain.calendar import CachedCalendar, WorkCalendar
from ..domain.capitals import amount_in_capitals
from ..domain.errors import CalendarUnknown, HuikuanError, InvalidInput, NotFound
from ..domain.guard import Attempt, Contact, Profile, Verdict, check, parse_best_time, profile_for, send_time
from ..domain.money import Money
from .ports import DeliveryError, Email, Mailer, Sms, SmsGateway, TemplateEngine

ENTITLED_ROLES = ("finance", "signatory", "owner")
MESSAGE_CHANNELS = ("email", "sms")
ANSWERED = frozenset({"reached", "promised", "refused", "disputed", "paid"})
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
STATUSES = ("queued", "sending", "failed", "sent", "dead")

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_CN_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def valid_email(address: str | None) -> bool:
    return bool(address) and len(address or "") <= 200 and bool(_EMAIL.match(address or ""))


def mobile_number(phone: str | None) -> str | None:
    """A Chinese mobile number in its 11-digit form (spaces, dashes and +86 removed), else None."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    m = _CN_MOBILE.match(digits)
    return m.group(1) if m else None


def sms_segments(text: str) -> int:
    """How many SMS a text is billed as: 70 characters for one message with any Chinese (UCS-2), 67 per
    part once it is split; 160 / 153 for plain ASCII (GSM-7). Characters are code points, as the
    Chinese providers count them (an emoji outside the BMP counts as two)."""
    if not text:
        return 0
    ascii_only = all(ord(c) < 128 for c in text)
    n = len(text) if ascii_only else sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    single, part = (160, 153) if ascii_only else (70, 67)
    return 1 if n <= single else -(-n // part)


def _channels(text: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in (text or "").split(",") if c.strip())


def _tz(name: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def guard_contact(row: Any, company_tz: str) -> Contact:
    blocked = _channels(getattr(row, "blocked_channels", None))
    if row.do_not_contact:
        blocked |= {"*"}
    return Contact(tz=_tz(getattr(row, "timezone", None), company_tz), do_not_contact=blocked,
                   opted_out=_channels(getattr(row, "opted_out", None)),
                   related_to_debt=row.role != "other", best_time=parse_best_time(row.best_time))


def history(rows: list[tuple[datetime, str, str]]) -> list[Attempt]:
    return [Attempt(at.replace(tzinfo=UTC) if at.tzinfo is None else at, ch, outcome in ANSWERED)
            for at, ch, outcome in rows]


def _naive_utc(d: datetime) -> datetime:
    return d.astimezone(UTC).replace(tzinfo=None)


def _domain(mail_from: str) -> str:
    return mail_from.rsplit("@", 1)[-1].strip(">") or "huikuan.local"


def _lang_for(customer: Any, default: str) -> str:
    return "en" if customer.type == "export" else default


# ── enqueue ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Ctx:
    app: Any
    uow: Any
    now: datetime
    cal: WorkCalendar
    templates: TemplateEngine
    company: str
    saved: dict[tuple[str, str, str], tuple[int, str]]
    collector_emails: dict[str, str] = field(default_factory=dict)
    # Computed once per enqueue, not per message (the run's next day writes ~10^5 of them).
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (lang, channel) → the no-contact text
    channel_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # channels JSON → its message channels

    @functools.cached_property
    def naive_now(self) -> datetime:
        return _naive_utc(self.now)

    @functools.cached_property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.app.settings.timezone)).date()


def message_variables(company: str, customer: Any, contact_name: str | None, action: Any, invoices: dict[str, Any],
                      today: date, lang: str, public_url: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a message template may use (the preview offers the same)."""
    numbers = json.loads(action.invoices) if isinstance(action.invoices, str) else list(action.invoices or [])
    rows = []
    for n in numbers:
        inv = invoices.get(n)
        if inv is None:
            continue
        due = inv.due_on if isinstance(inv.due_on, date) else date.fromisoformat(str(inv.due_on))
        rows.append({"number": n, "due_on": due.isoformat(), "amount": Money(int(inv.open_minor), inv.currency).display(),
                     "days_overdue": max(0, (today - due).days)})
    dues = [r["due_on"] for r in rows]
    overdue_days = [r["days_overdue"] for r in rows]
    last = today.replace(day=1) - timedelta(days=1)
    params = json.loads(action.params) if isinstance(action.params, str) else dict(action.params or {})
    v: dict[str, Any] = {
        "company": company, "customer": customer.name, "customer_code": customer.code,
        "contact": contact_name or customer.name, "amount": Money(int(action.amount_minor), action.currency).display(),
        "amount_capitals": amount_in_capitals(int(action.amount_minor)) if action.currency == "CNY"
        else Money(int(action.amount_minor), action.currency).display(),
        "currency": action.currency, "invoices": rows, "due_on": min(dues) if dues else today.isoformat(),
        "days_past_due": max(overdue_days) if overdue_days else int(params.get("days", 0) or 0),
        "collector": customer.collector or "", "stage": action.stage, "as_of": today.isoformat(),
        "period": f"{last.year:04d}-{last.month:02d}", "statement_sent_on": "",
        "confirm_url": f"{public_url.rstrip('/')}/confirm", "reference": f"HK-{action.id}", "lang": lang,
    }
    v.update(extra or {})
    return v


def _render(ctx: _Ctx, stage: str, channel: str, lang: str, variables: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """(version, blocks): the newest saved version, falling back to the shipped one if it cannot render
    (a saved version passed its preview; the fallback is for data the preview did not have)."""
    saved = ctx.saved.get((stage, channel, lang))
    if saved is not None:
        try:
            return saved[0], ctx.templates.render(saved[1], variables)
        except InvalidInput:
            pass
    src = ctx.templates.shipped(stage, channel, lang)
    if src is None:
        raise InvalidInput("outbox.no_template", stage=stage, channel=channel, lang=lang)
    return 0, ctx.templates.render(src, variables)


def _email_bodies(ctx: _Ctx, blocks: dict[str, str], variables: dict[str, Any], lang: str) -> tuple[str, str]:
    paragraphs = [p.strip() for p in blocks.get("body", "").split("\n\n") if p.strip()]
    page = {"paragraphs": paragraphs, "lang": lang, **variables}
    html = ctx.templates.render_page("email.html", page)
    lines = [i18n.t("mail.greeting", lang, contact=variables["contact"]), "", *paragraphs, ""]
    if variables["invoices"]:
        lines.append(i18n.t("mail.invoices", lang))
        lines += [f"  {r['number']}  {r['due_on']}  {r['amount']}" for r in variables["invoices"]]
        lines.append(i18n.t("mail.total", lang, amount=variables["amount"], capitals=variables["amount_capitals"]))
        lines.append("")
    lines += [i18n.t("mail.signature", lang, collector=variables["collector"], company=variables["company"])]
    return "\n".join(lines), html


def _dead(customer_id: int, action: Any, channel: str, lang: str, now: datetime, code: str, detail: str,
          contact: Any = None, address: str = "") -> dict[str, Any]:
    at = now if now.tzinfo is None else _naive_utc(now)  # naive: UTC already
    return {"customer_id": customer_id, "action_id": action.id, "contact_id": getattr(contact, "id", None),
            "channel": channel, "to_address": address, "to_name": getattr(contact, "name", None), "lang": lang,
            "stage": action.stage, "template_version": 0, "subject": None, "body_text": "", "body_html": None,
            "attachment": None, "reply_to": None, "message_id": f"dead-{uuid.uuid4().hex}", "status": "dead",
            "attempts": 0, "next_attempt_at": at, "created_at": at, "error_code": code,
            "error": detail}


def _messages_for(ctx: _Ctx, action: Any, customer: Any, contacts: list[Any], invoices: dict[str, Any],
                  attachment: str | None = None, channels: tuple[str, ...] | None = None,
                  extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    s = ctx.app.settings
    wanted: tuple[str, ...] | None
    if channels is not None:
        wanted = channels
    elif isinstance(action.channels, str):
        wanted = ctx.channel_lists.get(action.channels)  # a few distinct texts over 10^5 actions
        if wanted is None:
            wanted = ctx.channel_lists[action.channels] = tuple(
                c for c in json.loads(action.channels) if c in MESSAGE_CHANNELS)
    else:
        wanted = tuple(c for c in action.channels if c in MESSAGE_CHANNELS)
    if not wanted:
        return []
    lang = _lang_for(customer, s.lang)
    today = ctx.today
    if action.stage.startswith("statement_"):
        extra = {**_statement_extra(ctx, customer, today), **(extra or {})}
    profile = Profile(customer.guard_profile) if customer.guard_profile else profile_for(customer.type)
    out: list[dict[str, Any]] = []
    for channel in wanted:
        entitled = [k for k in contacts if k.role in ENTITLED_ROLES]
        usable = []
        for k in entitled:
            g = guard_contact(k, s.timezone)
            if channel in g.do_not_contact or "*" in g.do_not_contact or channel in g.opted_out:
                continue
            address = k.email if channel == "email" else k.phone
            if not (address or "").strip():
                continue  # no address for this channel: not a bad one (the customer may have no usable contact)
            ok = valid_email(address) if channel == "email" else mobile_number(address) is not None
            if not ok:
                out.append(_dead(customer.id, action, channel, lang, ctx.now, "outbox.bad_address",
                                 i18n.t("outbox.bad_address", lang, contact=k.name, address=address or "-",
                                        channel=channel), k, address or ""))
                continue
            usable.append((k, g))
        if not usable:
            text = ctx.texts.get((lang, channel))
            if text is None:
                text = ctx.texts[(lang, channel)] = no_contact_text(channel, lang)
            out.append(_dead(customer.id, action, channel, lang, ctx.naive_now, "outbox.no_contact", text))
            continue
        for k, g in usable:
            variables = message_variables(ctx.company, customer, k.name, action, invoices, today, lang, s.public_url,
                                          extra)
            try:
                version, blocks = _render(ctx, action.stage, channel, lang, variables)
                subject: str | None
                params: str | None
                if channel == "email":
                    text, html = _email_bodies(ctx, blocks, variables, lang)
                    subject = blocks.get("subject", "")
                    params = None
                else:
                    text, html, subject = blocks.get("body", ""), None, blocks.get("code")
                    params = json.dumps({"customer": variables["customer"], "amount": variables["amount"],
                                         "due_on": variables["due_on"]}, ensure_ascii=False)
            except InvalidInput as e:
                out.append(_dead(customer.id, action, channel, lang, ctx.now, e.code, i18n.error_text(e, lang), k))
                continue
            at = send_time(profile, channel, ctx.now, g, (), ctx.cal)
            address = k.email if channel == "email" else mobile_number(k.phone)
            row = {
                "customer_id": customer.id, "action_id": action.id, "contact_id": k.id, "channel": channel,
                "to_address": address, "to_name": k.name, "lang": lang, "stage": action.stage,
                "template_version": version, "subject": subject, "body_text": text, "body_html": html,
                "sms_params": params,
                "attachment": attachment if channel == "email" else None, "reply_to": reply_to(customer.collector, s.mail_from, ctx.collector_emails),
                "message_id": (f"<{uuid.uuid4().hex}.{action.id}@{_domain(s.mail_from)}>" if channel == "email"
                               else uuid.uuid4().hex),
                "status": "queued", "attempts": 0, "created_at": _naive_utc(ctx.now),
                "next_attempt_at": _naive_utc(at or ctx.now), "error_code": None, "error": None,
            }
            if at is None:  # the guard will never allow this contact on this channel
                v = check(profile, channel, ctx.now, g, (), ctx.cal)
                row.update(status="dead", guard_rule=v.rule.value if v.rule else None, error_code="guard." + str(v.rule),
                           error=refusal_record(v, lang))
            out.append(row)
    return out


def _statement_extra(ctx: _Ctx, customer: Any, today: date) -> dict[str, Any]:
    """The statement chase's own variables: the period, the day it was sent, its confirmation link."""
    from .statements import link_in

    last = today.replace(day=1) - timedelta(days=1)
    period = f"{last.year:04d}-{last.month:02d}"
    row = ctx.uow.outbox.statement(customer.id, period)
    sent = getattr(row, "sent_on", None) if row is not None else None
    return {"period": period, "statement_sent_on": str(sent) if sent else "",
            "confirm_url": link_in(ctx.app, ctx.uow, customer.code, period)}


def reply_to(collector: str | None, mail_from: str, directory: dict[str, str]) -> str | None:
    """Replies go to the customer's collector: their own address (a user's e-mail, by the collector
    name the user works under), or an address typed in the collector field; else the collector's name
    on the sending mailbox, so the reply is at least filed under them."""
    who = (collector or "").strip()
    if not who:
        return None
    own = directory.get(who)
    if own and valid_email(own):
        return f"{_display(who)} <{own}>"
    if valid_email(who):
        return who
    return f"{_display(who)} <{mail_from}>"


def _display(name: str) -> str:
    """A display name as the mail adapter's ``parseaddr`` reads it back: quoted when it holds specials."""
    return '"' + name.replace("\\", "").replace('"', "") + '"' if any(c in name for c in '(),:;<>@[]".\\') else name


def _ctx(app: Any, uow: Any, now: datetime, cal: WorkCalendar | None = None) -> _Ctx:
    company = uow.outbox.company()
    return _Ctx(app, uow, now, CachedCalendar(cal or app.calendar()), app.templates(),
                company.name if company else app.settings.company, uow.outbox.latest_templates(),
                uow.outbox.collector_emails())


def enqueue(app: Any, uow: Any, *, run_id: int | None = None, action_ids: list[int] | tuple[int, ...] = (),
            customers: tuple[int, int] | None = None, now: datetime | None = None,
            cal: WorkCalendar | None = None) -> int:
    """Write the messages of new actions (of a run, or by id) to the outbox, in the caller's transaction."""
    repo = uow.outbox
    actions = repo.actions_without_messages(run_id=run_id, action_ids=action_ids, customers=customers,
                                            channels=MESSAGE_CHANNELS)
    lists: dict[str, bool] = {}  # a few distinct channel texts over 10^5 actions: decode each once

    def writes(a: Any) -> bool:
        if not isinstance(a.channels, str):
            return any(c in MESSAGE_CHANNELS for c in a.channels)
        hit = lists.get(a.channels)
        if hit is None:
            hit = lists[a.channels] = any(c in MESSAGE_CHANNELS for c in json.loads(a.channels))
        return hit

    wanted = [a for a in actions if writes(a)]
    if not wanted:
        return 0
    ctx = _ctx(app, uow, now or app.clock.now(), cal)
    customers = repo.customers((a.customer_id for a in wanted), for_messages=True)
    contacts = repo.contacts(customers)
    # Invoices only fill messages to a contact: a customer without an entitled one gets a dead letter.
    reachable = {cid for cid, ks in contacts.items() if any(k.role in ENTITLED_ROLES for k in ks)}
    numbers = {n for a in wanted if a.customer_id in reachable
               for n in (json.loads(a.invoices) if isinstance(a.invoices, str) else a.invoices)}
    invoices = repo.invoices(numbers)
    rows: list[dict[str, Any]] = []
    for a in wanted:
        rows += _messages_for(ctx, a, customers[a.customer_id], contacts.get(a.customer_id, []), invoices)
    _insert(repo, rows, ctx.now)
    return len(rows)


def _insert(repo: Any, rows: list[dict[str, Any]], now: datetime) -> None:
    """The messages, and an event for each one written dead (it shows on the customer's timeline)."""
    repo.insert_messages([_complete(r) for r in rows])
    dead = [r["message_id"] for r in rows if r["status"] == "dead"]
    if dead:
        repo.add_dead_events(dead, _naive_utc(now))


_ROW_DEFAULTS: dict[str, Any] = {"sms_params": None, "guard_rule": None, "attachment": None, "reply_to": None,
                                 "subject": None, "body_html": None, "error_code": None, "error": None}


def _complete(row: dict[str, Any]) -> dict[str, Any]:
    """Every row with the same keys: one executemany takes dead letters and messages together."""
    return {**_ROW_DEFAULTS, **row}


def enqueue_letter(app: Any, uow: Any, action: Any, reference: str, now: datetime) -> int:
    """The cover e-mail of an issued letter, its PDF attached at send time."""
    repo = uow.outbox
    ctx = _ctx(app, uow, now)
    customer = repo.customers([action.customer_id])[action.customer_id]
    numbers = json.loads(action.invoices) if isinstance(action.invoices, str) else action.invoices
    rows = _messages_for(ctx, action, customer, repo.contacts([customer.id]).get(customer.id, []),
                         repo.invoices(numbers), attachment=f"letter:{action.id}", channels=("email",),
                         extra={"reference": reference})
    _insert(repo, rows, now)
    return len(rows)


# ── the guard, for the sender, the worklist and ``huikuan guard check`` ────────────────────────────


def channel_name(channel: str, lang: str) -> str:
    """A channel as people read it in messages: 电话 / phone, not the code ``phone``."""
    return i18n.t(f"channel.{channel}", lang)


def no_contact_text(channel: str, lang: str) -> str:
    """Why nothing goes on ``channel``: no contact in an entitled role may take it."""
    return i18n.t("outbox.no_contact", lang, channel=channel_name(channel, lang), roles="/".join(ENTITLED_ROLES))


_SEPARATOR = {"zh": "；", "en": "; "}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)")
_CHANNEL_CODE = {**{c: c for c in ("email", "sms", "phone")},
                 **{i18n.t(f"channel.{c}", lang): c for c in ("email", "sms", "phone") for lang in ("zh", "en")}}


def refusal_record(v: Verdict, lang: str) -> str:
    """A refusal as the sender stores it (``outbox.error``, ``outbox_event.reason``): the rule's reason in
    the message's language followed by the next allowed moment as ISO text — evidence that keeps the
    exact moment, machine-readable. People read it through ``problem_text``, worded for them."""
    params = dict(v.params)
    if "channel" in params:
        params["channel"] = channel_name(str(params["channel"]), lang)
    text = i18n.t(v.reason_key, lang, **params)
    if v.next_allowed_at is not None:
        return text + _SEPARATOR[lang] + i18n.t(
            "guard.next_allowed", lang, at=v.next_allowed_at.isoformat(timespec="minutes"))
    return text + _SEPARATOR[lang] + i18n.t("guard.never", lang)


def role_names(codes: str, lang: str) -> str:
    """Contact roles stored as codes (``finance/signatory/owner``, as ``no_contact_text`` writes them) in
    the reader's words: 财务、签字人、老板 / finance, signatory, owner."""
    names = [i18n.t(f"contact_role.{c}", lang) if c in ENTITLED_ROLES else c for c in codes.split("/")]
    return ("、" if lang == "zh" else " / ").join(names)


def _shown(params: dict[str, str], lang: str, tz: ZoneInfo) -> dict[str, str]:
    """A refusal's params as people read them: a channel by its name, contact roles by theirs, days and
    moments short, local."""
    out = {}
    for k, value in params.items():
        if k == "channel":
            out[k] = channel_name(_CHANNEL_CODE.get(value, value), lang)
        elif k == "roles":
            out[k] = role_names(value, lang)
        elif _ISO_DAY.fullmatch(value):
            out[k] = i18n.short_day(date.fromisoformat(value), lang)
        elif _ISO_MOMENT.fullmatch(value):
            out[k] = i18n.short_moment(datetime.fromisoformat(value).astimezone(tz), lang)
        else:
            out[k] = value
    return out


def _worded(text: str, lang: str, tz: ZoneInfo, at: datetime | None, never: bool) -> str:
    if at is not None:
        return i18n.t("guard.reason_later", lang, reason=text, at=i18n.short_moment(at.astimezone(tz), lang))
    return text + _SEPARATOR[lang] + i18n.t("guard.never", lang) if never else text


def verdict_text(v: Verdict, lang: str, *, moment: bool = True, tz: str = "Asia/Shanghai") -> str:
    """The verdict in words for people, days and moments short in ``tz``: 「11月28日 不是工作日；11月30日 09:00
    后可再联系」; with ``moment`` (``guard check``) followed by when the contact is next allowed. Without it,
    the rule's reason only: the worklist and Today show the moment themselves, formatted for their reader."""
    if v.allowed:
        return i18n.t("guard.allowed", lang)
    zone = ZoneInfo(tz)
    text = i18n.t(v.reason_key, lang, **_shown({k: str(x) for k, x in v.params}, lang, zone))
    if not moment:
        return text
    return _worded(text, lang, zone, v.next_allowed_at, v.next_allowed_at is None)


def _read_back(stored: str, code: str | None, src: str) -> tuple[str, dict[str, str] | None, datetime | None,
                                                                  bool] | None:
    """A stored refusal or dead letter taken apart as written in language ``src``: (the reason's text, its
    params when ``code``'s message reads back, the next allowed moment, never allowed); None when it is
    not a text this sender writes in ``src``."""
    head, at, never = stored, None, False
    sep = _SEPARATOR[src]
    if sep in stored:
        before, tail = stored.rsplit(sep, 1)
        got = i18n.unformat("guard.next_allowed", src, tail)
        if got is not None and _ISO_MOMENT.fullmatch(got["at"]):
            head, at = before, datetime.fromisoformat(got["at"])
        elif tail == i18n.t("guard.never", src):
            head, never = before, True
    params = i18n.unformat(code, src, head) if code else None
    if params is None and at is None and not never:
        return None
    return head, params, at, never


def problem_text(stored: str | None, code: str | None, lang: str, tz: str) -> str:
    """A refusal or dead letter as stored (``outbox_event.reason`` or ``outbox.error``, written in the message's
    language, the moment as ISO text) worded for a reader in ``lang``: the reason in their language, days
    and moments short in local time — 「22:00–08:00 禁止催收联系（只允许 08:00–22:00）；11月29日 08:00 后可再联系」.
    Rows stored before this reading existed read the same way; a text it cannot read back (a provider's
    error) is shown as stored."""
    if not stored:
        return ""
    zone = ZoneInfo(tz)
    for src in (lang, "en" if lang == "zh" else "zh"):
        got = _read_back(stored, code, src)
        if got is None:
            continue
        head, params, at, never = got
        text = head if params is None or code is None else i18n.t(code, lang, **_shown(params, lang, zone))
        return _worded(text, lang, zone, at, never)
    return stored


def problem_label(rule: str | None, code: str | None, lang: str) -> str:
    """A refusal's or dead letter's cause as a short label for people — 夜间免打扰时段 / quiet hours,
    没有可接收的联系人 / no contact to send to — never the code it is stored under (``rule``: the guard's
    rule; ``code``: ``outbox.no_contact``, ``smtp.refused`` …). A code the catalogs do not know (a
    provider's own) reads as its family: 短信服务商拒收 / refused by the SMS provider, else 投递失败."""
    keys: tuple[str, ...] = (f"guard.rule.{rule}", f"problem.outbox.{rule}") if rule else ()  # call_now: "no_contact"
    keys += (f"problem.{code}", f"problem.{code.split('.', 1)[0]}") if code else ()
    return i18n.t(next((k for k in keys if i18n.has(k, lang)), "problem.unknown"), lang)


_SENT_NOTE = re.compile(r"outbox:(\d+)(?: (.*))?\Z", re.DOTALL)
SYSTEM_ACTOR = "huikuan"  # the recorder of what the sender did (a delivered message's timeline entry)


@dataclass(frozen=True, slots=True)
class Note:
    """A contact's note as people read it; ``message`` is the outbox message it stands for, if any."""

    text: str
    message: int | None = None


def sms_template_stages(templates: TemplateEngine) -> dict[str, str]:
    """The shipped SMS templates' provider codes (``SMS_PRE_DUE_BILL``) and the stage each is for."""
    out = {}
    for stage, channel, lang in templates.shipped_keys():
        if channel == "sms" and (m := re.search(r"\{%\s*block code\s*%\}(.*?)\{%\s*endblock",
                                                 templates.shipped(stage, channel, lang) or "", re.DOTALL)):
            out[m.group(1).strip()] = stage
    return out


def contact_note(note: str | None, channel: str, lang: str, sms_stages: dict[str, str] | None = None) -> Note:
    """A contact's stored note for people. The sender stores ``outbox:<id> <subject>`` on the contact it
    logs for a delivered message (evidence, and the only link from the contact to its message; an SMS's
    subject is its provider template code). Pages show it after the contact's channel and outcome
    (短信 · 已发送), so it reads 「到期前账单提醒（消息 #731）」 / "Bill reminder before due (message #731)":
    an e-mail by its subject, an SMS by its template's title (``template.title.<stage>``; a code it does
    not know is left out: 「消息 #731」). Other notes as written."""
    m = _SENT_NOTE.match(note or "")
    if m is None:
        return Note(note or "")
    mid, what = int(m.group(1)), (m.group(2) or "").strip()
    if channel == "sms":
        stage = (sms_stages or {}).get(what)
        what = i18n.t(f"template.title.{stage}", lang) if stage and i18n.has(f"template.title.{stage}", lang) else ""
    key = "outbox.sent_note" if what else "outbox.sent_note_bare"
    return Note(i18n.t(key, lang, channel=channel_name(channel, lang), what=what, id=mid), mid)


def actor_name(actor: str | None, lang: str) -> str:
    """Who recorded an entry: a person's name as stored; the sender itself as 系统 / system."""
    return i18n.t("actor.system", lang) if actor == SYSTEM_ACTOR else (actor or "")


def guard_check(app: Any, customer_code: str, channel: str, at: datetime) -> dict[str, Any]:
    """May the customer be contacted on ``channel`` at ``at``? Asked of each entitled contact; allowed when
    one of them may be reached, otherwise the refusal with the earliest next allowed moment."""
    if channel not in ("email", "sms", "phone"):
        raise InvalidInput("input.enum", field="--channel", value=channel, allowed="email, sms, phone")
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(app.settings.timezone))
    cal = CachedCalendar(app.calendar())
    lang = app.settings.lang
    with app.uow(write=False) as uow:
        repo = uow.outbox
        cust = repo.customer_by_code(customer_code)
        if cust is None:
            raise NotFound("customer.not_found", what="customer", value=customer_code)
        contacts = [k for k in repo.contacts([cust.id]).get(cust.id, []) if k.role in ENTITLED_ROLES]
        attempts = history(repo.attempts([cust.id], _naive_utc(at) - timedelta(days=8)).get(cust.id, []))
    profile = Profile(cust.guard_profile) if cust.guard_profile else profile_for(cust.type)
    if not contacts:
        return {"allowed": False, "rule": "no_contact", "next_allowed_at": None,
                "reason": no_contact_text(channel, lang),
                "profile": profile.value}
    verdicts = [check(profile, channel, at, guard_contact(k, app.settings.timezone), attempts, cal) for k in contacts]
    allowed = [v for v in verdicts if v.allowed]
    best = allowed[0] if allowed else min(
        verdicts, key=lambda v: (v.next_allowed_at is None, v.next_allowed_at or at))
    return {**best.as_dict(), "reason": verdict_text(best, lang, tz=app.settings.timezone), "profile": profile.value}


def call_now(app: Any, tasks: list[Any], at: datetime | None = None, uow: Any = None,
             lang: str | None = None) -> dict[int, dict[str, Any]]:
    """The guard's answer to "may I call now?" for each phone task among ``tasks`` (the worklist's rows):
    action id → {allowed, rule, reason, next_allowed_at}, from the same function the sender uses. ``uow``:
    read inside the caller's open unit of work (the worklist page's) instead of opening one. ``reason`` is
    the rule's reason in ``lang`` (default: the company's) without the moment, which ``next_allowed_at``
    gives for the page or the terminal to show once, in its own format."""
    phone = [r for r in tasks if r.channel == "phone"]
    if not phone:
        return {}
    at = at or app.clock.now()
    lang = lang or app.settings.lang
    cal = CachedCalendar(app.calendar())
    with contextlib.nullcontext(uow) if uow is not None else app.uow(write=False) as work:
        repo = work.outbox
        customers = repo.customers(r.customer_id for r in phone)
        contacts = repo.contacts(customers)
        attempts = {cid: history(h) for cid, h in repo.attempts(customers, _naive_utc(at) - timedelta(days=8)).items()}
    out: dict[int, dict[str, Any]] = {}
    for r in phone:
        cust = customers[r.customer_id]
        profile = Profile(cust.guard_profile) if cust.guard_profile else profile_for(cust.type)
        entitled = [k for k in contacts.get(cust.id, []) if k.role in ENTITLED_ROLES]
        if not entitled:
            out[r.id] = {"allowed": False, "rule": "no_contact", "next_allowed_at": None,
                         "reason": i18n.t("outbox.no_contact", lang, channel=channel_name("phone", lang),
                                          roles=role_names("/".join(ENTITLED_ROLES), lang))}
            continue
        try:
            verdicts = [check(profile, "phone", at, guard_contact(k, app.settings.timezone), attempts.get(cust.id, []),
                              cal) for k in entitled]
        except CalendarUnknown:
            continue
        ok = [v for v in verdicts if v.allowed]
        best = ok[0] if ok else min(verdicts, key=lambda v: (v.next_allowed_at is None, v.next_allowed_at or at))
        out[r.id] = {**best.as_dict(), "reason": verdict_text(best, lang, moment=False, tz=app.settings.timezone)}
    return out


# ── send ─────────────────────────────────────────────────────────────────────────────────────


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0  # held by the guard until its next allowed moment
    failed: int = 0  # will be retried
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "sent": self.sent, "deferred": self.deferred, "failed": self.failed,
                "dead": self.dead, "errors": self.errors[:10]}


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential from one minute, capped at six hours, with jitter (between half and all of it)."""
    delay = min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_CAP)
    out: timedelta = delay * (0.5 + rng.random() / 2)
    return out


Attacher = Any  # callable(outbox row) -> tuple[Attachment, ...]


CHUNK = 200  # messages delivered between two commits of their "sent" marks


def send_due(app: Any, mailer: Mailer | None, sms: SmsGateway | None, *, now: datetime | None = None,
             limit: int = 1000, rng: random.Random | None = None, attach: Attacher | None = None,
             crash_after_send: bool = False, customer_code: str | None = None) -> SendReport:
    """Deliver what is due (of one customer when ``customer_code`` is given).

    Why this order: the guard is asked for every claimed row first, in order, so each message it lets
    through counts as an attempt for the next one (the consumer's daily cap); refusals are committed
    with their rule. Then the e-mails go out over the mailer's parallel connections, ``CHUNK`` at a
    time, and each chunk's "sent" marks and timeline entries are written in one commit. A worker that
    dies inside a chunk leaves those rows ``sending`` under the lease: they go again, with the same
    Message-ID (the README's at-least-once guarantee). ``crash_after_send`` is for the tests' simulated
    crash between the server accepting the first message and its row being marked sent."""
    rng = rng or random.Random()
    now = now or app.clock.now()
    report = SendReport()
    max_attempts = int(app.settings.outbox_max_attempts)
    try:
        cal: WorkCalendar = CachedCalendar(app.calendar())
    except HuikuanError:
        cal = CachedCalendar(_Weekdays())
    at, local = _naive_utc(now), now.astimezone(ZoneInfo(app.settings.timezone))
    with app.uow() as uow:
        repo = uow.outbox
        only = None
        if customer_code is not None:
            cust = repo.customer_by_code(customer_code)
            if cust is None:
                raise NotFound("customer.not_found", what="customer", value=customer_code)
            only = int(cust.id)
        rows = repo.claim_due(at, _naive_utc(now + LEASE), limit, customer_id=only)
        uow.commit()
        report.claimed = len(rows)
        if not rows:
            return report
        allowed = _guard_rows(app, repo, rows, now, cal, report)
        uow.commit()
        for i in range(0, len(allowed), 1 if crash_after_send else CHUNK):
            chunk = allowed[i:i + CHUNK] if not crash_after_send else allowed[i:i + 1]
            results = _deliver_chunk(chunk, mailer, sms, attach)
            if crash_after_send:
                raise SimulatedCrash(chunk[0].id)
            sent: list[dict[str, Any]] = []
            for row, outcome in zip(chunk, results, strict=True):
                if isinstance(outcome, DeliveryError):
                    n = row.attempts + 1
                    dead = outcome.permanent or n >= max_attempts
                    values = {"attempts": n, "status": "dead" if dead else "failed", "error_code": outcome.code,
                              "error": outcome.detail[:2000],
                              "next_attempt_at": _naive_utc(now + (timedelta(0) if dead else backoff(n, rng)))}
                    repo.update_message(row.id, **values)
                    if dead:
                        repo.add_event(outbox_id=row.id, customer_id=row.customer_id, at=at, kind="dead",
                                       channel=row.channel, rule=None, error_code=outcome.code,
                                       reason=outcome.detail[:2000])
                    report.dead += dead
                    report.failed += not dead
                    report.errors.append(f"{row.id}: {outcome.code}")
                    continue
                sent.append({"id": row.id, "attempts": row.attempts + 1, "provider_id": outcome[:200],
                             "customer_id": row.customer_id, "channel": row.channel, "action_id": row.action_id,
                             "note": f"outbox:{row.id} {row.subject or ''}"[:500]})
            repo.mark_sent(sent, at, local.date())
            report.sent += len(sent)
            uow.commit()
    return report


def _guard_rows(app: Any, repo: Any, rows: list[Any], now: datetime, cal: WorkCalendar,
                report: SendReport) -> list[Any]:
    """Ask the guard about each claimed row; record refusals (on the row and as an event), return the
    rows it lets through."""
    customers = repo.customers(r.customer_id for r in rows)
    contacts = {k.id: k for ks in repo.contacts(customers).values() for k in ks}
    attempts = {cid: history(h) for cid, h in repo.attempts(customers, _naive_utc(now) - timedelta(days=8)).items()}
    at = _naive_utc(now)
    out = []
    for row in rows:
        cust = customers[row.customer_id]
        contact = contacts.get(row.contact_id) if row.contact_id else None
        if contact is not None:
            profile = Profile(cust.guard_profile) if cust.guard_profile else profile_for(cust.type)
            try:
                v = check(profile, row.channel, now, guard_contact(contact, app.settings.timezone),
                          attempts.get(cust.id, []), cal)
            except CalendarUnknown:
                v = Verdict(True)
            if not v.allowed:
                rule = v.rule.value if v.rule else None
                text = refusal_record(v, row.lang)
                never = v.next_allowed_at is None
                later = {} if v.next_allowed_at is None else {"next_attempt_at": _naive_utc(v.next_allowed_at)}
                repo.update_message(row.id, status="dead" if never else "queued", guard_rule=rule,
                                    error_code=f"guard.{rule}", error=text, **later)
                repo.add_event(outbox_id=row.id, customer_id=row.customer_id, at=at,
                               kind="dead" if never else "refused", channel=row.channel, rule=rule,
                               error_code=f"guard.{rule}", reason=text)
                report.dead += never
                report.deferred += not never
                continue
            attempts.setdefault(cust.id, []).append(Attempt(now, row.channel, False))
        out.append(row)
    return out


def _deliver_chunk(rows: list[Any], mailer: Mailer | None, sms: SmsGateway | None,
                   attach: Attacher | None) -> list[str | DeliveryError]:
    """Each row's provider id, or the error that stopped it; e-mails over the mailer's parallel
    connections (attachments are rendered first, here, one at a time), SMS one after another."""
    files = {r.id: tuple(attach(r)) for r in rows if r.channel == "email" and r.attachment and attach is not None}

    def one(row: Any) -> str | DeliveryError:
        try:
            return _deliver(row, mailer, sms, files.get(row.id, ()))
        except DeliveryError as e:
            return e

    width = int(getattr(mailer, "parallel", 1) or 1)
    if width <= 1 or len(rows) < 2:
        return [one(r) for r in rows]
    with ThreadPoolExecutor(min(width, len(rows)), thread_name_prefix="smtp") as pool:
        return list(pool.map(one, rows))


class SimulatedCrash(RuntimeError):
    pass


def _deliver(row: Any, mailer: Mailer | None, sms: SmsGateway | None, files: tuple[Any, ...]) -> str:
    if row.channel == "email":
        if mailer is None:
            raise DeliveryError("outbox.no_mailer", "no mailer configured")
        return mailer.send(Email(row.message_id, row.to_address, row.to_name, row.subject or "", row.body_text,
                                 row.body_html, row.reply_to, files))
    if sms is None:
        raise DeliveryError("outbox.no_sms", "no SMS gateway configured")
    params = tuple(sorted(json.loads(row.sms_params).items())) if row.sms_params else ()
    return sms.send(Sms(row.message_id, row.to_address, row.body_text, row.subject or None, params))


class _Weekdays:
    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


def list_messages(app: Any, status: str | None = None, customer_code: str | None = None,
                  limit: int = 200) -> list[Any]:
    if status is not None and status not in STATUSES:
        raise InvalidInput("input.enum", field="--status", value=status, allowed=", ".join(STATUSES))
    with app.uow(write=False) as uow:
        cid = None
        if customer_code:
            cust = uow.outbox.customer_by_code(customer_code)
            if cust is None:
                raise NotFound("customer.not_found", what="customer", value=customer_code)
            cid = cust.id
        return list(uow.outbox.messages(status, cid, limit))


def outbox_counts(app: Any) -> dict[str, int]:
    with app.uow(write=False) as uow:
        return dict(uow.outbox.counts())


