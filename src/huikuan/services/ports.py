"""Ports the services need; adapters implement them and ``bootstrap`` wires them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime."""
        ...

    def today(self) -> date:
        """The company's local date."""
        ...


class FixedClock:
    """A clock tests move by hand (time travel)."""

    def __init__(self, at: datetime | date, tz: str = "Asia/Shanghai") -> None:
        self.tz = ZoneInfo(tz)
        if not isinstance(at, datetime):
            at = datetime(at.year, at.month, at.day, 9, 0, tzinfo=self.tz)
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.astimezone(self.tz).date()

    def set(self, at: datetime | date) -> None:
        self.__init__(at, str(self.tz))  # type: ignore[misc]

    def advance(self, days: int = 0, hours: int = 0) -> None:
        self._at += timedelta(days=days, hours=hours)


class ProgressSink(Protocol):
    """Where long work reports progress (a Rich bar on a terminal, nothing elsewhere)."""

    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


class PasswordHasher(Protocol):
    """Password hashing (argon2 in production, wired by ``bootstrap``)."""

    def hash(self, password: str) -> str: ...
    def verify(self, hashed: str, password: str) -> bool: ...
