"""Exact money: integer minor units (fen) plus an ISO currency code. Never a float.

``Money.parse`` is the one text constructor. It accepts what Chinese finance exports contain
(``¥1,234.50``, ``1234.5元``, full-width digits, ``RMB 12.00``, accounting negatives ``(12.00)``)
and rejects floats and digits beyond the currency's precision.

Commas are thousands separators only where they group three digits (``1,234,567.00``): ``1,00`` and
``1,2,3`` are refused rather than read as 100 or 123. No amount above ``MAX_MAJOR`` (10¹³ yuan)
is accepted: nothing a company books is that large, and the bound keeps every sum far inside the
databases' 64-bit integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidInput

# ISO 4217 minor-unit exponents for the currencies a Chinese exporter meets; others default to 2.
_EXPONENT = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0, "KRW": 0, "GBP": 2, "TWD": 2, "SGD": 2}

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋（）￥", "0123456789.,-+()¥")
_NUMBER = re.compile(r"^([+-]?)(\d+)(?:\.(\d*))?$")
_GROUPED = re.compile(r"^[+-]?\(?[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?\)?$")
MAX_MAJOR = 10**13  # the largest amount accepted, in major units (yuan)
# The same bound in minor units (fen): an amount stored beyond it is bad data (a hand edit, an import from
# before the bound), which the run and the aging leave out and name rather than sum into an overflow.
MAX_MINOR = MAX_MAJOR * 100
_MAX_TEXT = 64  # longer amount text is refused before any digit is converted
_CURRENCY_MARKS = ("¥", "￥", "元", "RMB", "CNY", "人民币", "$", "USD", "€", "EUR", "HK$", "HKD")


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def normalize_currency(text: str | None, default: str = "CNY") -> str:
    """Currency code from what an export writes: 人民币/RMB/¥ → CNY, 美元 → USD."""
    if text is None or not text.strip():
        return default
    t = text.strip().upper()
    aliases = {"人民币": "CNY", "RMB": "CNY", "¥": "CNY", "￥": "CNY", "元": "CNY", "美元": "USD",
               "$": "USD", "欧元": "EUR", "港币": "HKD", "港元": "HKD", "日元": "JPY"}
    t = aliases.get(t, t)
    if not re.fullmatch(r"[A-Z]{3}", t):
        raise InvalidInput("currency.unknown", value=text)
    return t


@dataclass(frozen=True, slots=True, order=True)
class Money:
    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int (minor units), never a float")

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str = "CNY") -> Money:
        """Parse an amount as written by a person or an ERP export."""
        if not isinstance(text, str):
            raise InvalidInput("amount.not_text", value=repr(text))
        raw = text
        if len(text) > _MAX_TEXT:
            raise InvalidInput("amount.too_large", value=text[:20] + "…", max=f"{MAX_MAJOR:,}")
        t = text.translate(_FULLWIDTH).strip().replace(" ", "").replace("\u00a0", "")
        for mark in _CURRENCY_MARKS:
            t = t.replace(mark, "")
        if "," in t:
            if not _GROUPED.match(t):
                raise InvalidInput("amount.grouping", value=raw)
            t = t.replace(",", "")
        t = t.replace("_", "")
        negative = False
        if t.startswith("(") and t.endswith(")"):
            negative, t = True, t[1:-1]
        m = _NUMBER.match(t)
        if not m:
            raise InvalidInput("amount.invalid", value=raw)
        sign, whole, frac = m.groups()
        frac = frac or ""
        exp = exponent(currency)
        if len(frac.rstrip("0")) > exp:
            raise InvalidInput("amount.too_precise", value=raw, digits=exp)
        frac = (frac + "0" * exp)[:exp]
        whole = whole.lstrip("0") or "0"
        if len(whole) > 14 or int(whole) > MAX_MAJOR or (int(whole) == MAX_MAJOR and frac.strip("0")):
            raise InvalidInput("amount.too_large", value=raw, max=f"{MAX_MAJOR:,}")
        minor = int(whole) * 10**exp + (int(frac) if frac else 0)
        if sign == "-" or negative:
            minor = -minor
        return cls(minor, currency.upper())

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def scaled(self, numerator: int, denominator: int) -> Money:
        """Multiply by a rational, rounding half away from zero to the minor unit."""
        q, r = divmod(abs(self.minor) * numerator, denominator)
        if 2 * r >= denominator:
            q += 1
        return Money(q if self.minor >= 0 else -q, self.currency)

    def amount_text(self) -> str:
        """Plain decimal text, e.g. ``1234.50`` (the JSON and CSV form)."""
        return format_minor(self.minor, self.currency)

    def display(self) -> str:
        """Grouped text for people, e.g. ``¥1,234.50``."""
        sym = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥"}.get(self.currency)
        body = format_minor(abs(self.minor), self.currency, grouped=True)
        sign = "-" if self.minor < 0 else ""
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {self.currency}"

    def __str__(self) -> str:
        return self.display()


def format_minor(minor: int, currency: str = "CNY", grouped: bool = False) -> str:
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp) if exp else (abs(minor), 0)
    w = f"{whole:,}" if grouped else str(whole)
    return f"{sign}{w}.{frac:0{exp}d}" if exp else f"{sign}{w}"
