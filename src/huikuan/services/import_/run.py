"""How an import runs, whatever its kind: read the header, check every row (collecting every problem),
then write only if none was found (or ``skip_invalid``) — all in one unit of work.

``import_file`` reads through the ``Files`` port (``app.files``); ``import_rows`` takes dicts;
``run_in`` does the work inside a caller's unit of work (a ledger export imports several kinds in one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Generic, TypeVar

from ... import i18n
from ...domain.errors import ImportRejected, InvalidInput, Problem
from ...domain.parsing import (
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    resolve_headers,
    strip_controls,
    total_row_kind,
)
from .. import audit
from ..ports import NoProgress, ProgressSink, WriteConflict
from .base import KEY_COLUMN, KINDS, Importer, text_of
from .credit_notes import CreditNoteImporter
from .customers import ContactImporter, CustomerImporter
from .invoices import InvoiceImporter
from .orders import DeliveryImporter, OrderImporter
from .payments import PaymentImporter
from .report import ImportReport, reason

HEADER_WHERE = "表头 / header"
_TICK = 5000
LATE_ATTEMPTS = 3  # reads overtaken by another writer before an import takes SQLite's write lock up front
KEEP_STREAMED = 100_000  # rows of a stream kept to be read again; past them a streamed import takes the lock
T = TypeVar("T")

IMPORTERS: dict[str, type[Importer]] = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "invoices": InvoiceImporter,
    "payments": PaymentImporter,
    "credit-notes": CreditNoteImporter,
    "orders": OrderImporter,
    "deliveries": DeliveryImporter,
}


def import_file(app: Any, kind: str, path: str | Path, *, skip_invalid: bool = False,
                rejects_path: str | Path | None = None, progress: ProgressSink | None = None,
                by: audit.By | None = None) -> ImportReport:
    """Import a ``.csv`` or ``.xlsx`` file of ``kind``; see the module docstring for the contract. ``by``:
    who imports (the audit row's actor; ``system`` when not given)."""
    _check_kind(kind)
    path = Path(path)
    headers: list[str] = []

    def work(uow: Any) -> tuple[ImportReport, list[tuple[dict[str, object], list[Problem]]]]:
        with app.files.open_table(path, is_header=lambda cells: _looks_like_header(kind, cells)) as table:
            headers[:] = table.headers
            return run_in(app, uow, kind, table.source, table.headers, table.rows, table.total, skip_invalid,
                          progress, by=by)

    report, rejects = in_one_write(app, work)
    if rejects:
        target = Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
        lang = app.settings.lang
        app.files.write_rejects(target, headers,
                                ((row, "; ".join(reason(p, lang) for p in ps)) for row, ps in rejects),
                                i18n.t("import.rejects.reason_column", lang))
        report.rejects_path = str(target)
    return report


def import_rows(app: Any, kind: str, rows: Iterable[dict[str, object]], *, source: str = "rows",
                skip_invalid: bool = False, progress: ProgressSink | None = None,
                by: audit.By | None = None) -> ImportReport:
    """Import dicts keyed by column names (canonical or aliases); row numbers start at 2 like a sheet.

    The columns are the union of the keys of a list or tuple (a row may omit optional ones), or the
    keys of the first row of any other iterable (which is streamed, never held in memory).
    """
    _check_kind(kind)
    it = iter(rows)
    first = next(it, None)
    if first is None:
        raise ImportRejected([Problem(source, "文件 / file", "file.no_data_rows", {})])
    headers = list(first.keys())
    if isinstance(rows, list | tuple):
        seen = set(headers)
        for r in rows:
            for k in r:
                if k not in seen:
                    seen.add(k)
                    headers.append(k)
    if not isinstance(rows, list | tuple):
        # Streamed: read once, so the rows checked so far are kept (up to ``KEEP_STREAMED``) to be
        # checked again if another writer overtakes the import's snapshot (ADR 0007).
        stream = Replay(_clean_rows(enumerate(chain([first], it), start=2)))

        def work(uow: Any) -> ImportReport:
            stream.lock = uow.lock_now
            return run_in(app, uow, kind, source, headers, stream, None, skip_invalid, progress, by=by)[0]

        return in_one_write(app, work)
    held = rows
    return in_one_write(app, lambda uow: run_in(app, uow, kind, source, headers,
                                                 _clean_rows(enumerate(held, start=2)), len(held), skip_invalid,
                                                 progress, by=by)[0])


class Replay(Generic[T]):
    """A stream of rows that can be read more than once: what was read is kept, up to ``keep`` rows.

    A late-locking import reads its rows inside a snapshot and may have to read them again when another
    writer commits first (``in_one_write``). A stream cannot be read again, so its rows are kept as they
    pass; when ``keep`` rows are kept, ``lock`` is called — it takes the write lock (or raises, when the
    snapshot is already stale, and the kept rows are read again) — and the rest of the stream passes
    without being kept: from there on the lock is held and no one can overtake the import.
    """

    def __init__(self, source: Iterator[T], keep: int | None = None) -> None:
        self.source = source
        self.keep = KEEP_STREAMED if keep is None else keep
        self.kept: list[T] = []
        self.lock: Callable[[], None] = _no_lock

    def __iter__(self) -> Iterator[T]:
        yield from self.kept
        kept, keep = self.kept, self.keep
        if len(kept) >= keep:
            self.lock()
        for item in self.source:
            if len(kept) < keep:
                kept.append(item)  # before ``lock``: a refused lock must not lose the row
                if len(kept) == keep:
                    self.lock()
            yield item


def _no_lock() -> None:
    pass


def _keyless(key: object) -> bool:
    """A row's number is missing, blank, or a total marker itself (合计 in the number column)."""
    text = text_of(key)
    return not text or total_row_kind(text) is not None


def _clean_rows(rows: Iterable[tuple[int, dict[str, object]]]) -> Iterator[tuple[int, dict[str, object]]]:
    """Rows given as dicts (``import_rows``) without control characters (files are cleaned as read)."""
    for n, row in rows:
        for h, v in row.items():
            if type(v) is str and not v.isprintable():
                row[h] = strip_controls(v)
        yield n, row


def _total_row(row: dict[str, object]) -> str | None:
    """The kind of total row (``subtotal``, ``total`` …) when a cell of a row without a number says so."""
    for v in row.values():
        if type(v) is str and v:
            kind = total_row_kind(v)
            if kind is not None:
                return kind
    return None


def _looks_like_header(kind: str, cells: list[str]) -> bool:
    """A row naming at least two of the kind's columns (not an ERP export's title row)."""
    return len(resolve_headers(kind, cells)[0]) >= 2


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("import.unknown_kind", value=kind, allowed=", ".join(KINDS))


def _header_problems(kind: str, source: str, headers: list[str]) -> tuple[dict[str, str], list[Problem],
                                                                            list[Problem]]:
    mapping, unknown, dupes = resolve_headers(kind, headers)
    warnings = [Problem(source, HEADER_WHERE, "import.unknown_column", {"column": h}) for h in unknown]
    problems = [Problem(source, HEADER_WHERE, "import.duplicate_column", {"column": c}) for c in dupes]
    columns = {canonical: written for written, canonical in mapping.items()}
    for req in REQUIRED_COLUMNS[kind]:
        if req not in columns:
            aliases = "、".join(HEADER_ALIASES[kind][req][:3])
            problems.append(Problem(source, HEADER_WHERE, "import.missing_column",
                                    {"column": req, "aliases": aliases}))
    return columns, warnings, problems


def in_one_write(app: Any, work: Callable[[Any], T], *, retry: bool = True) -> T:
    """Do ``work(uow)`` in one transaction — an import lands whole or not at all — without holding
    SQLite's write lock while it reads and checks (ADR 0007).

    With ``retry`` the unit of work takes the write lock at its first write (``late_lock``): reading the
    file, checking every row and computing what to write leave other writers free. If one of them
    committed meanwhile, what was read may be stale: SQLite refuses the first write, nothing is
    written, and the work is done again; after ``LATE_ATTEMPTS`` such tries the lock is taken up front
    (writers then wait for it with a message). ``work`` must be repeatable (a file is read again).
    """
    for _attempt in range(LATE_ATTEMPTS if retry else 0):
        try:
            with app.uow(late_lock=True) as uow:
                out = work(uow)
                uow.commit()
                return out
        except WriteConflict:
            continue
    with app.uow() as uow:
        out = work(uow)
        uow.commit()
        return out


@dataclass
class Checked:
    """One kind's rows, checked inside a unit of work and not yet written (``check_in``): the importer
    holding what to write, the report so far, and the rows refused under ``skip_invalid``."""

    importer: Importer
    report: ImportReport
    rejects: list[tuple[dict[str, object], list[Problem]]]


def run_in(app: Any, uow: Any, kind: str, source: str, headers: list[str],
           rows: Iterable[tuple[int, dict[str, object]]], total: int | None = None, skip_invalid: bool = False,
           progress: ProgressSink | None = None, only_new: bool = False, *, by: audit.By | None = None,
           ) -> tuple[ImportReport, list[tuple[dict[str, object], list[Problem]]]]:
    """Validate then write ``rows`` of ``kind`` inside the caller's unit of work (no commit). ``only_new``
    leaves existing rows as they are. What was written is audited in the same unit of work — one row
    per kind, actor ``by`` — so the CLI, the workbench and the API alike. Several kinds that must land
    together (a ledger export) use ``check_in`` for all of them, then ``write_checked``."""
    checked = check_in(app, uow, kind, source, headers, rows, total, skip_invalid, progress, only_new)
    write_checked(app, uow, checked, progress, by=by)
    return checked.report, checked.rejects


def check_in(app: Any, uow: Any, kind: str, source: str, headers: list[str],
             rows: Iterable[tuple[int, dict[str, object]]], total: int | None = None, skip_invalid: bool = False,
             progress: ProgressSink | None = None, only_new: bool = False,
             prepare: Callable[[Importer], None] | None = None) -> Checked:
    """Check every row of ``kind`` (collecting every problem) and work out what to write, reading the
    book through ``uow`` but writing nothing — so a late-locking unit of work has not taken SQLite's
    write lock yet (ADR 0007). ``prepare`` tells the importer, before the first row, about what earlier
    kinds of the same import will write (a ledger export's new customers and invoices)."""
    progress = progress or NoProgress()
    columns, warnings, file_problems = _header_problems(kind, source, headers)
    if file_problems:
        raise ImportRejected(file_problems)
    report = ImportReport(kind, source, warnings=warnings)
    skipped = report.skipped
    key_header = columns.get(KEY_COLUMN[kind])
    lang = app.settings.lang
    cal = app.calendar() if kind == "invoices" and app.settings.roll_due_to_workday else None
    rejects: list[tuple[dict[str, object], list[Problem]]] = []
    all_problems: list[Problem] = []
    importer = IMPORTERS[kind](app, uow, source, columns, cal)
    importer.only_new = only_new
    if prepare is not None:
        prepare(importer)
    progress.start(i18n.t("import.progress.validate", lang, source=source), total)
    pending = 0
    for n, row in rows:
        # A total row has no number of its own (or 合计 in its place); checked only for a row
        # without a number or with problems, so the common row pays one dict lookup.
        key = row.get(key_header) if key_header else None
        if not key and (total_kind := _total_row(row)) is not None:
            skipped[total_kind] = skipped.get(total_kind, 0) + 1
            continue
        found = importer.check(n, row)
        if found and _keyless(key) and (total_kind := _total_row(row)) is not None:
            skipped[total_kind] = skipped.get(total_kind, 0) + 1
            continue
        report.rows += 1
        if found:
            all_problems.extend(found)
            if skip_invalid:
                rejects.append((row, found))
        pending += 1
        if pending == _TICK:
            progress.advance(pending)
            pending = 0
    progress.advance(pending)
    progress.finish()
    if all_problems and not skip_invalid:
        raise ImportRejected(all_problems)
    report.rejected = len(rejects)
    report.problems = all_problems
    return Checked(importer, report, rejects)


def write_checked(app: Any, uow: Any, checked: Checked, progress: ProgressSink | None = None, *,
                  by: audit.By | None = None) -> None:
    """Write what ``check_in`` found (the first write takes SQLite's write lock) and audit it."""
    progress = progress or NoProgress()
    report = checked.report
    progress.start(i18n.t("import.progress.write", app.settings.lang, source=report.source), None)
    checked.importer.write(report)
    _audit(app, uow, by, report)  # after the writes: the first of them takes SQLite's lock, not the audit row
    progress.finish()


def _audit(app: Any, uow: Any, by: audit.By | None, report: ImportReport) -> None:
    by = by or audit.By(audit.SYSTEM, app.clock.now())
    audit.record(uow, by.at, by.actor, audit.IMPORT_DONE, "import", f"{report.kind}:{report.source}",
                 after={"kind": report.kind, "source": report.source, "rows": report.rows,
                        "inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged,
                        "rejected": report.rejected})
