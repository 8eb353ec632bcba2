"""Company-wide settings kept in the database (``app_setting``): the web server's signing secret, and
whatever else an admin changes at run time."""

from __future__ import annotations

import secrets
from typing import Any

WEB_SECRET = "web.secret"


def get(app: Any, key: str) -> str | None:
    with app.uow(write=False) as uow:
        return uow.app_settings.get(key)  # type: ignore[no-any-return]


def web_secret(app: Any) -> bytes:
    """The key CSRF tokens are signed with: made once, shared by every server process of the company."""
    value = get(app, WEB_SECRET)
    if value is None:
        with app.uow() as uow:
            value = uow.app_settings.get(WEB_SECRET)
            if value is None:
                value = secrets.token_hex(32)
                uow.app_settings.put(WEB_SECRET, value)
                uow.commit()
    return bytes.fromhex(value)
