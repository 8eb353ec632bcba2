"""Cursor paging shared by pages and the API: ``{"items": [...], "next": cursor | null}``. A cursor is the
sort key of the last row of a page, as opaque text; a malformed one is a 422, never a 500."""

from __future__ import annotations

import base64
import binascii
from datetime import date

from ...domain.errors import InvalidInput


def encode_cursor(*key: int) -> str:
    return base64.urlsafe_b64encode(":".join(str(int(k)) for k in key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int] | None:
    """(sort value, id) of the previous page's last row."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = tuple(int(x) for x in raw.split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise InvalidInput("input.cursor", field="after", value=cursor[:40]) from e
    if len(values) != 2:
        raise InvalidInput("input.cursor", field="after", value=cursor[:40])
    return values[0], values[1]


def decode_cursor3(cursor: str | None, field: str = "before") -> tuple[int, int, int] | None:
    """A three-part key: (seconds, rank, id) of the timeline, (position, amount, id) of the worklist."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = tuple(int(x) for x in raw.split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise InvalidInput("input.cursor", field=field, value=cursor[:40]) from e
    if len(values) != 3:
        raise InvalidInput("input.cursor", field=field, value=cursor[:40])
    return values[0], values[1], values[2]


def encode_invoice_cursor(key: tuple[date, str]) -> str:
    """(due_on, number) of the last invoice listed, for the customer page's "more"."""
    return base64.urlsafe_b64encode(f"{key[0].isoformat()}|{key[1]}".encode()).decode().rstrip("=")


def decode_invoice_cursor(cursor: str | None) -> tuple[date, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, sep, number = raw.partition("|")
        if not sep or not number:
            raise ValueError(raw)
        return date.fromisoformat(day), number
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise InvalidInput("input.cursor", field="after", value=cursor[:40]) from e
