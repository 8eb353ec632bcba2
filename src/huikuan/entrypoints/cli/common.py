"""Shared CLI plumbing: the bootstrapped app, language, Rich consoles, progress bars."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from rich.cells import cell_len
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ... import i18n
from ...domain.errors import Problem

if TYPE_CHECKING:
    from ...bootstrap import App
    from ...config import Settings


@dataclass
class _State:
    lang_override: str | None = None
    database_url_override: str | None = None
    exit_code: int = 0
    _app: App | None = field(default=None, repr=False)
    _settings: tuple[tuple[str | None, str | None], Settings] | None = field(default=None, repr=False)  # (overrides, settings) of this invocation

    @property
    def settings(self) -> Settings:
        """Read once per invocation (every translated line asks for the language)."""
        from ...config import load_settings

        key = (self.database_url_override, self.lang_override)
        if self._settings is None or self._settings[0] != key:
            s = load_settings()
            if self.database_url_override:
                s = replace(s, database_url=self.database_url_override)
            if self.lang_override:
                s = replace(s, locale=self.lang_override)
            self._settings = (key, s)
        return self._settings[1]

    @property
    def lang(self) -> str:
        if self.lang_override:
            return i18n.lang_of(self.lang_override)
        try:
            return self.settings.lang
        except Exception:  # noqa: BLE001 — a broken config must still yield a language for its message
            return "zh"

    def app(self) -> App:
        if self._app is None:
            from ...bootstrap import bootstrap

            self._app = bootstrap(self.settings, on_lock_wait=self._lock_wait)
        return self._app

    def by(self) -> Any:
        """Who changes something from the command line, and when: ``cli:<OS user>`` at the app's clock
        (services.audit.By), written by the service in the change's own transaction."""
        import getpass

        from ...services import audit

        try:
            user: str | None = getpass.getuser()
        except (KeyError, OSError):  # no login name and no passwd entry (some containers)
            user = None
        return audit.By(audit.cli_actor(user), self.app().clock.now())

    def _lock_wait(self) -> None:
        console_err().print(tr("db.waiting_for_writer"))

    def reset(self) -> None:
        """Forget the previous invocation (the CLI may be called many times in one process, e.g. in tests)."""
        if self._app is not None:
            self._app.engine.dispose()
        self.lang_override = self.database_url_override = None
        self.exit_code = 0
        self._app = None
        self._settings = None

    def app_failed_to_connect(self, e: Exception) -> bool:
        """True when the error happened while opening the database (bootstrap), not in the middle of work."""
        return self._app is None

    def safe_url(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.settings.database_url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 — only for an error message
            return "?"



state = _State()


def data_dir() -> Path:
    """The user's data folder for huikuan: ``$XDG_DATA_HOME/huikuan`` (``~/.local/share/huikuan``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "huikuan"


def write_crash_log(text: str) -> Path:
    """A new crash log for this crash (never overwriting an earlier one), readable by its owner only:
    ``<data folder>/crash/crash-<UTC time>-<pid>.log``. Raises OSError when it cannot be written."""
    from datetime import UTC, datetime

    folder = data_dir() / "crash"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = folder / f"crash-{stamp}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def guard_output(path: Path, force: bool, inputs: tuple[Path | None, ...] = ()) -> None:
    """Before a command writes ``path``: never over the database or a file this command reads (not even
    with ``--force``), nor over a directory; an existing file only with ``--force`` or after the user
    said yes at a terminal."""
    from ...domain.errors import InvalidInput

    target = path.expanduser().resolve()
    if target.is_dir():
        raise InvalidInput("output.is_dir", path=str(path))
    for p in inputs:
        if p is not None and p.expanduser().resolve() == target:
            raise InvalidInput("output.is_input", path=str(path))
    if _is_database(target):
        raise InvalidInput("output.is_database", path=str(path))
    if not target.exists() or force:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        import typer

        if typer.confirm(tr("output.confirm", path=str(path)), default=False):
            return
        raise InvalidInput("output.kept", path=str(path))
    raise InvalidInput("output.exists", path=str(path))


def _is_database(target: Path) -> bool:
    """The configured SQLite database (or its -wal/-shm/-journal), or any SQLite file by its header."""
    url = ""
    with contextlib.suppress(Exception):  # a broken setting is reported elsewhere; the header check still runs
        url = state.settings.database_url
    if url.startswith("sqlite") and "///" in url:
        db = Path(url.split("///", 1)[1].split("?", 1)[0]).expanduser().resolve()
        if target in {db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))}:
            return True
    try:
        with target.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def tr(key: str, **params: Any) -> str:
    return i18n.t(key, state.lang, **params)


# C0/C1 control characters (but line feed and tab), DEL, and the bidirectional overrides that make text
# read differently from what it is ("Trojan Source"): shown as visible \\xNN / \\uNNNN, never sent raw.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character and bidi override replaced by a visible escape."""
    return _UNSAFE.sub(_visible, text)


class SafeConsole(Console):
    """A Rich console for text that may hold values from the database (a customer named ``[/bold]``,
    ``[link=…]`` or carrying terminal escape sequences): markup and emoji codes are off, so every
    string prints literally, and control characters are shown as visible escapes. Styling is done
    with ``style=`` or ``rich.text.Text`` spans, never with markup inside a string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Any:
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(terminal_safe(text), **kwargs)


def console() -> Console:
    return SafeConsole(soft_wrap=True)


def console_err() -> Console:
    return SafeConsole(stderr=True, soft_wrap=True)


def print_problems(problems: list[Problem], lang: str, limit: int = 200) -> None:
    table = Table(title=i18n.t("cli.problems.title", lang, count=len(problems)))
    for col in ("cli.col.source", "cli.col.where", "cli.col.reason"):
        table.add_column(i18n.t(col, lang))
    for p in problems[:limit]:
        table.add_row(p.source, p.where, i18n.problem_text(p, lang))
    if len(problems) > limit:
        table.caption = i18n.t("cli.problems.more", lang, count=len(problems) - limit)
    console_err().print(table)


class RichProgress:
    """A Rich progress bar on a terminal; silent when output is JSON or not a TTY."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._p: Progress | None = None
        self._task: Any = None

    def start(self, label: str, total: int | None) -> None:
        if not self.enabled:
            return
        if self._p is None:
            self._p = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TimeRemainingColumn(), console=Console(stderr=True), transient=False,
            )
            self._p.start()
        self._task = self._p.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._p is not None and self._task is not None:
            self._p.advance(self._task, n)

    def finish(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None


@overload
def parse_day(text: str, field_name: str = ...) -> date: ...
@overload
def parse_day(text: str | None, field_name: str = ...) -> date | None: ...
def parse_day(text: str | None, field_name: str = "date") -> date | None:
    """A date typed on the command line, in any form the importer accepts (2026-01-05, 2026/1/5, 2026年1月5日)."""
    if text is None:
        return None
    from ...domain.errors import InvalidInput
    from ...domain.parsing import parse_date

    try:
        return parse_date(text)
    except (ValueError, InvalidInput) as e:
        raise InvalidInput("input.date", field=field_name, value=text) from e


def short_cell(text: str) -> Text:
    """A cell that keeps to one line, shortened with …; the column it sits in may shrink, so the
    amounts beside it never do."""
    return Text(terminal_safe(text), no_wrap=True, overflow="ellipsis")


def compact_table(title: str, caption: str | None = None) -> Table:
    """A borderless table in the worklist's style: one line per row, more room for the values in an
    80-column terminal."""
    return Table(title=title, box=None, padding=(0, 1), collapse_padding=True, pad_edge=False,
                 header_style="bold underline", title_justify="left", caption=caption, caption_justify="left")


def print_columns(con: Console, title: str, labels: list[str], columns: list[tuple[str, list[str]]],
                  label_head: str = "") -> None:
    """A table of named rows (``labels``) and right-aligned value columns, never cut short: when the
    columns do not all fit the terminal, they are printed in as many tables as it takes, each with the
    row labels first (a KPI by segment with six groups reads as two tables in 80 columns)."""
    label_w = max([cell_len(x) for x in [*labels, label_head]] + [1])
    widths = [max([cell_len(h)] + [cell_len(v) for v in vals]) for h, vals in columns]
    room = max(con.width, label_w + 1 + max(widths + [1]))
    chunks: list[list[int]] = [[]]
    used = label_w
    for i, w in enumerate(widths):
        if chunks[-1] and used + 1 + w > room:
            chunks.append([])
            used = label_w
        chunks[-1].append(i)
        used += 1 + w
    for k, chunk in enumerate(chunks):
        t = compact_table(title if k == 0 else "")
        t.add_column(label_head, no_wrap=True)
        for i in chunk:
            t.add_column(columns[i][0], justify="right", no_wrap=True)
        for r, name in enumerate(labels):
            t.add_row(terminal_safe(name), *[columns[i][1][r] for i in chunk])
        con.print(t)
        if k < len(chunks) - 1:
            con.print()


def money_text(minor: int, currency: str = "CNY") -> str:
    from ...domain.money import Money

    return Money(int(minor), currency).display()


def terms_text(terms: str) -> str:
    """Stored terms (``eom 30``) as a person reads them (月结30天)."""
    from ...domain.errors import InvalidInput
    from ...domain.terms import Cash, DayOfMonth, MonthEnd, NetDays, parse_terms

    try:
        parsed = parse_terms(terms)
    except InvalidInput:
        return terms
    match parsed:
        case Cash():
            return tr("terms.cash")
        case NetDays(days):
            return tr("terms.net", days=days)
        case MonthEnd(days):
            return tr("terms.eom", days=days)
        case DayOfMonth(day):
            return tr("terms.day", day=day)
    return terms
