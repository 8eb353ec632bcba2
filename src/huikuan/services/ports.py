"""Ports the services need; adapters implement them and ``bootstrap`` wires them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
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


class WriteConflict(Exception):
    """Another writer committed while a unit of work opened with ``late_lock`` was reading (SQLite): what
    it read may be stale, nothing was written, and the work must be done again (services/import_)."""


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

    def predict_arrays(self, blob: str, x: Any) -> tuple[Any, Any, Any, Any]:
        """``predict`` for a NumPy feature matrix, as arrays: (p_late, days to settlement, expected late days,
        contributions: one row per input row, one column per feature)."""
        ...

    def fit_binary(self, rows: Sequence[Sequence[float]], labels: Sequence[int], feature_names: Sequence[str]) -> str:
        """One classifier (the consumer default score), as text."""
        ...

    def predict_binary(self, blob: str, rows: Sequence[Sequence[float]]) -> list[tuple[float, list[float]]]:
        """Per row: (probability, per-feature contributions to the score)."""
        ...


# ── communications (issue 9): adapters in adapters/mail.py, sms.py, templates.py, pdf.py ───────────


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class Email:
    message_id: str  # stable per outbox row: a re-send after a crash carries the same Message-ID
    to_address: str
    to_name: str | None
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Sms:
    request_id: str  # stable per outbox row (the provider's OutId)
    phone: str
    text: str
    template_code: str | None = None
    params: tuple[tuple[str, str], ...] = ()


class DeliveryError(Exception):
    """A message was not delivered. ``permanent``: retrying cannot help (address refused, 5xx)."""

    def __init__(self, code: str, detail: str, permanent: bool = False) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail, self.permanent = code, detail, permanent


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Deliver to the server; returns its reply (the provider id). Raises DeliveryError."""
        ...

    def close(self) -> None: ...


class SmsGateway(Protocol):
    def send(self, sms: Sms) -> str:
        """Hand to the provider; returns its request / biz id. Raises DeliveryError."""
        ...


class TemplateEngine(Protocol):
    def render(self, source: str, variables: dict[str, Any], *, html: bool = False) -> dict[str, str]:
        """The template's blocks rendered (subject, body …); raises TemplateFailed on a syntax error or a
        missing variable."""
        ...

    def shipped(self, stage: str, channel: str, lang: str) -> str | None:
        """The source of a template shipped with huikuan, or None."""
        ...

    def shipped_keys(self) -> list[tuple[str, str, str]]: ...

    def render_page(self, name: str, variables: dict[str, Any]) -> str:
        """An HTML page template shipped with huikuan (letters, statements), autoescaped."""
        ...


class PdfRenderer(Protocol):
    def pdf(self, html: str) -> bytes: ...


class SpreadsheetWriter(Protocol):
    def statement(self, page: dict[str, Any], statement: Any) -> bytes:
        """An 对账单 as an XLSX workbook."""
        ...
