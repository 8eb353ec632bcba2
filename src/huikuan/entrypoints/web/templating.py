"""Jinja2 rendering with the message catalogs: ``t('key', **params)`` in the user's language, ``money``
(¥1,234.50), ``day`` (2026年11月27日 in zh-CN, 27 Nov 2026 in English) and the CSRF token.

Autoescape is on; user text never goes through ``|safe``. ``render(request, "page.html", ctx)`` is all a
route needs; the base template (``base.html``) gives the header, navigation by role, language switch and
the htmx/CSRF wiring; a page extends it and fills ``{% block content %}``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ... import i18n
from ...domain.money import Money
from ...services.daily_run import task_reason
from ...services.outbox import actor_name, contact_note, problem_label, problem_text
from .auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    csrf_token,
    new_anonymous_sid,
    optional_user,
    set_session_cookie,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

_EN_MONTHS = i18n.EN_MONTHS


def money_text(minor: int | None, currency: str = "CNY") -> str:
    if minor is None:
        return "-"
    return Money(int(minor), currency or "CNY").display()


def day_text(d: date | datetime | None, lang: str = "zh") -> str:
    if d is None:
        return "-"
    if isinstance(d, datetime):
        d = d.date()
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def terms_text(terms: str, lang: str = "zh") -> str:
    """Stored terms (``eom 30``) as a person reads them (月结30天)."""
    from ...domain.errors import InvalidInput
    from ...domain.terms import Cash, DayOfMonth, MonthEnd, NetDays, parse_terms

    try:
        parsed = parse_terms(terms)
    except InvalidInput:
        return terms
    match parsed:
        case Cash():
            return i18n.t("terms.cash", lang)
        case NetDays(days):
            return i18n.t("terms.net", lang, days=days)
        case MonthEnd(days):
            return i18n.t("terms.eom", lang, days=days)
        case DayOfMonth(day):
            return i18n.t("terms.day", lang, day=day)
    return terms


def request_lang(request: Request) -> str:
    user = optional_user(request)
    if user is not None:
        return user.lang if user.lang in ("zh", "en") else "zh"
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def make_env() -> Environment:
    # auto_reload off: the templates ship with the code, so each render need not stat every file it uses.
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.globals["money"] = money_text
    return env


def render(request: Request, name: str, ctx: dict[str, Any] | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    hk = request.app.state.hk
    fresh_sid = None
    if not request.cookies.get(SESSION_COOKIE) and not getattr(request.state, "sid", None):
        # First visit: an anonymous session id, so the sign-in form has a CSRF token to carry.
        fresh_sid = request.state.sid = new_anonymous_sid()
    lang = request_lang(request)
    tz = ZoneInfo(hk.app.settings.timezone)

    def t(key: str, **params: Any) -> str:
        return i18n.t(key, lang, **params)

    def local_time(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if at is None:
            return "-"
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo("UTC"))
        return at.astimezone(tz).strftime(fmt)

    def moment(at: datetime | None) -> str:
        """A stored UTC moment as local date and time: 2026年11月27日 14:22 / 27 Nov 2026 14:22."""
        if at is None:
            return "-"
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo("UTC"))
        local = at.astimezone(tz)
        return f"{day_text(local.date(), lang)} {local:%H:%M}"

    def soon(iso: str | None) -> str:
        """A moment given as ISO text (the guard's next allowed one), short in local time: 11月30日 09:00 /
        30 Nov 09:00."""
        if not iso:
            return "-"
        return i18n.short_moment(datetime.fromisoformat(iso).astimezone(tz), lang)

    def problem(stored: str | None, code: str | None) -> str:
        """A stored guard refusal or dead letter worded for this reader (their language, local short moments)."""
        return problem_text(stored, code, lang, hk.app.settings.timezone)

    def cap(label: Any) -> str:
        """A table's column header on an English page capitalised (``Invoice``, not ``invoice``); the catalogs
        keep the lower-case word the CLI's tables and running text use."""
        text = str(label)
        return text[:1].upper() + text[1:] if lang == "en" else text

    def head(key: str, **params: Any) -> str:
        return cap(i18n.t(key, lang, **params))

    def note(row: Any) -> Any:
        """A contact's note for this reader: a delivered message's reads 「短信已发送：…（消息 #731）」."""
        return contact_note(getattr(row, "note", None), str(getattr(row, "channel", "")), lang,
                            hk.sms_stages())

    values = {
        "request": request, "moment": moment, "soon": soon, "problem": problem, "col_head": head, "cap": cap, "note": note,
        "problem_label": lambda rule, code: problem_label(rule, code, lang), "who": lambda a: actor_name(a, lang),
        "task_reason": lambda row, on=None: task_reason(row, lang, on or hk.app.clock.today()), "colon": "：" if lang == "zh" else ": ", "terms": lambda text: terms_text(text, lang), "user": optional_user(request), "lang": lang, "t": t,
        "day": lambda d: day_text(d, lang), "local_time": local_time, "csrf": csrf_token(request),
        "today": hk.app.clock.today(), "company": hk.app.settings.company, "nav": hk.nav_for(optional_user(request)),
    }
    values.update(ctx or {})
    html = hk.env.get_template(name).render(values)
    response = HTMLResponse(html, status_code=status, headers=headers)
    if fresh_sid:
        set_session_cookie(request, response, fresh_sid)
    return response
