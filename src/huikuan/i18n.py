"""Message catalogs: every text a person reads comes from here, in zh-CN (default) or en.

Catalogs are gettext ``.po`` files under ``locale/<lang>/LC_MESSAGES/``, one file per area
(``core.po``, ``import.po`` …), read with Babel at first use. A msgid is a stable dotted key
(``amount.invalid``) and the msgstr a ``str.format`` template over the error's params.
A key missing from a catalog falls back to English, then to the key itself, so a forgotten
translation shows up as a visible key (and ``tests/unit/test_i18n.py`` fails on it).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from .domain.errors import HuikuanError, Problem

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGS = {"zh": "zh_Hans_CN", "en": "en"}


def lang_of(locale: str | None) -> str:
    return "en" if (locale or "").lower().startswith("en") else "zh"


@cache
def catalog(lang: str) -> dict[str, str]:
    folder = LOCALE_DIR / LANGS[lang] / "LC_MESSAGES"
    out: dict[str, str] = {}
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh):
                if msg.id and msg.string:
                    out[str(msg.id)] = str(msg.string)
    return out


def has(key: str, lang: str) -> bool:
    """Whether the catalogs word ``key`` in ``lang`` (else ``t`` falls back to English, then the key)."""
    return key in catalog(lang)


class _Safe(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str = "zh", /, **params: Any) -> str:
    """The text of ``key`` in ``lang`` filled with ``params``. Money travels in integer fen under a name
    ending in ``_minor`` (``open_minor=5000050``, with ``currency`` when not CNY) and is shown as people
    read it, ``¥50,000.50``, in the template's ``{open}``: no message prints a bare ``50000.50``."""
    template = catalog(lang).get(key) or catalog("en").get(key) or key
    for k in [k for k in params if k.endswith("_minor")]:
        params[k[: -len("_minor")]] = _money(params[k], params.get("currency"))
    return template.format_map(_Safe(params))


def _money(minor: Any, currency: Any) -> str:
    from .domain.money import Money

    try:
        return Money(int(minor), str(currency or "CNY")).display()
    except (TypeError, ValueError):
        return str(minor)


EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(d: date, lang: str, today: date | None = None) -> str:
    """A day near ``today`` as people say it: 12月3日 / 3 Dec; with its year when that is not today's
    (2027年1月4日 / 4 Jan 2027). Never the ISO ``2026-12-03``."""
    if today is not None and d.year != today.year:
        return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {EN_MONTHS[d.month - 1]} {d.year}"
    return f"{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {EN_MONTHS[d.month - 1]}"


def short_moment(at: datetime, lang: str) -> str:
    """A moment (already in the reader's time zone) as the workbench's "call after" marker shows it:
    11月30日 09:00 / 30 Nov 09:00."""
    return f"{short_day(at.date(), lang)} {at:%H:%M}"


@cache
def _pattern(template: str) -> re.Pattern[str] | None:
    parts = re.split(r"\{(\w+)\}", template)
    names = parts[1::2]
    if len(set(names)) != len(names):
        return None
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)) + r"\Z",
                      re.DOTALL)


def unformat(key: str, lang: str, text: str) -> dict[str, str] | None:
    """The params that ``t(key, lang, ...)`` filled in to give ``text``, or None when ``text`` is not that
    message: reads back a text stored in one language (a guard refusal, a task's reason) to word it again,
    in another language or for another day."""
    template = catalog(lang).get(key)
    pattern = _pattern(template) if template else None
    m = pattern.match(text) if pattern is not None else None
    return m.groupdict() if m else None


def both(key: str, /, **params: Any) -> tuple[str, str]:
    return t(key, "zh", **params), t(key, "en", **params)


def error_text(err: HuikuanError, lang: str = "zh") -> str:
    return t(err.code, lang, **err.params)


def problem_text(p: Problem, lang: str = "zh") -> str:
    return t(p.code, lang, **p.params)
