"""Ports the services need; adapters implement them and ``bootstrap`` wires them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
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


class Files(Protocol):
    """Import files as row streams (adapters/files.py): what the import services read through."""

    def open_table(self, path: str | Path, is_header: Callable[[list[str]], bool] | None = None,
                   ) -> AbstractContextManager[Any]:
        """A sheet with one header row: ``.source``, ``.headers``, ``.rows`` ((n, {header: value})), ``.total``."""
        ...

    def open_cells(self, path: str | Path) -> AbstractContextManager[Any]:
        """A sheet as raw rows: ``.source``, ``.rows`` ((n, [value, …]), blank rows included)."""
        ...

    def write_rejects(self, path: str | Path, headers: list[str], rejects: Iterable[tuple[dict[str, object], str]],
                      reason_header: str) -> int:
        ...

class Predictor(Protocol):
    """A learner for the payment model (adapters/predict): fits on feature rows, stores itself as text.

    ``fit`` returns the model as text for the database; ``predict`` returns, per row, (p_late, days to
    settlement, expected late days, per-feature contributions to the late score)."""

    name: str

    def fit(self, rows: Sequence[Sequence[float]], late: Sequence[int], remaining: Sequence[float],
            late_days: Sequence[float], feature_names: Sequence[str]) -> str: ...

    def predict(self, blob: str, rows: Sequence[Sequence[float]]
                ) -> list[tuple[float, float, float, list[float]]]: ...
