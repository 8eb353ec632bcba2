"""Reading import files (``.csv``, ``.xlsx``) into row streams, and writing reject files.

``open_table(path)`` is a context manager giving a ``TableFile``: the headers as written and a
stream of ``(row_number, {header: raw value})`` where ``row_number`` is what a spreadsheet shows
(the header is row 1). Blank lines are skipped but still counted, so a reported row number is the
one a person finds in Excel.

CSV encoding: UTF-8 (with or without BOM) is tried strictly over the whole file first, then
GB18030 (what a Chinese Excel "CSV" save writes). A file that is neither — or that contains NUL
bytes, as UTF-16 does — is rejected with a ``Problem`` instead of being read as mojibake. The check
streams the file in 1 MiB chunks, so a million-row file is never held in memory as bytes.

Problems with the file itself (missing, empty, header only, unreadable) raise ``ImportRejected``
with one ``Problem`` located at ``文件 / file``.

Hostile files get a message, in bounded time and memory, never a crash: a CSV with an unbalanced
quote or another malformed record is refused naming the row it starts on; a CSV field over
128 KiB, a header over ``MAX_COLUMNS`` columns, an XLSX whose parts declare more than
``XLSX_MAX_PART`` bytes (or inflate more than ``XLSX_MAX_RATIO`` times — a "zip bomb" cell), an
XLSX carrying a DTD (external entities, entity bombs) are refused before they are parsed. A sheet's
declared dimension (``A1:XFD1048576``) is ignored: only the cells actually written are read.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, TextIO, cast

from ..domain.errors import ImportRejected, Problem
from ..domain.parsing import strip_controls

FILE_WHERE = "文件 / file"
_CHUNK = 1 << 20
CSV_FIELD_LIMIT = 128 * 1024  # characters in one CSV field
MAX_COLUMNS = 1024  # the widest real export seen (金蝶 EAS vouchers) has 67
XLSX_MAX_PART = 1 << 30  # declared uncompressed bytes of one part of an XLSX
XLSX_MAX_RATIO = 200  # XML compresses 5–30×; a part inflating more than this is a bomb
XLSX_RATIO_FLOOR = 16 << 20  # small parts may compress as well as they like

Row = tuple[int, dict[str, object]]


@dataclass
class TableFile:
    source: str  # the file name shown in problems
    headers: list[str]
    rows: Iterator[Row]
    total: int | None  # data rows, when cheaply known (for a progress bar)
    encoding: str | None = None


def _reject(source: str, code: str, **params: object) -> ImportRejected:
    return ImportRejected([Problem(source, FILE_WHERE, code, dict(params))])


def detect_encoding(path: Path) -> tuple[str, int]:
    """(``utf-8-sig`` or ``gb18030``, number of line breaks), or ImportRejected ``file.encoding``."""
    newlines = 0
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        newlines = 0
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise _reject(path.name, "file.encoding")
                    decoder.decode(chunk)
                    newlines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, newlines
    raise _reject(path.name, "file.encoding")


def _blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _csv_cells(path: Path, encoding: str, keep_blank: bool = False) -> Iterator[tuple[int, list[object]]]:
    """Non-blank records numbered from 1 (a quoted multi-line cell is one record, as Excel shows it).

    Read strictly: a quote that never closes, or text after a closing quote, refuses the file with
    the row the broken record starts on instead of swallowing the rows after it into one cell.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    with path.open("r", encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, strict=True)
        n = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                row, detail = n + 1, str(e)
                if "field larger than field limit" in detail:
                    raise _reject(path.name, "file.csv_field_too_large", row=row,
                                  limit=f"{CSV_FIELD_LIMIT // 1024} KiB") from None
                raise _reject(path.name, "file.csv_malformed", row=row, line=reader.line_num,
                              detail=detail) from None
            n += 1
            joined = "".join(cells)
            if not joined.isprintable():  # one test per record; the rare dirty one is cleaned cell by cell
                cells = [strip_controls(c) for c in cells]
                joined = "".join(cells)
            if keep_blank or joined.strip():
                yield n, cast("list[object]", cells)  # read-only downstream: a list of str is a list of cells


def _check_xlsx_parts(path: Path) -> None:
    """Refuse an XLSX whose parts would inflate beyond sane sizes or that carries a DTD, unparsed."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                size, packed = info.file_size, max(info.compress_size, 1)
                if size > XLSX_MAX_PART or (size > XLSX_RATIO_FLOOR and size / packed > XLSX_MAX_RATIO):
                    raise _reject(path.name, "file.xlsx_too_large", part=info.filename,
                                  size=f"{size / (1 << 20):,.0f} MiB")
                if info.filename.endswith((".xml", ".rels")) and size:
                    with zf.open(info) as fh:
                        head = fh.read(4096)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise _reject(path.name, "file.xlsx_dtd", part=info.filename)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise _reject(path.name, "file.xlsx_invalid", detail=type(e).__name__) from e


def _merged_ranges(path: Path, part: str) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col) of the sheet's merged cells, read from its XML
    without parsing it (the part's size was checked first)."""
    from openpyxl.utils.cell import range_boundaries

    out: list[tuple[int, int, int, int]] = []
    pattern = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
    tail = b""
    with zipfile.ZipFile(path) as zf, zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            data = tail + chunk
            for m in pattern.finditer(data):
                c1, r1, c2, r2 = range_boundaries(m.group(1).decode())
                if c1 is not None and r1 is not None and c2 is not None and r2 is not None:
                    out.append((r1, c1, r2, c2))
            tail = data[-200:]
    return sorted(set(out))


def _fill_merged(rows: Iterator[tuple[int, list[object]]], ranges: list[tuple[int, int, int, int]],
                 ) -> Iterator[tuple[int, list[object]]]:
    """Every cell of a merged range shows the range's value, as Excel shows it."""
    pending = sorted(ranges, reverse=True)  # popped in row order
    active: list[tuple[tuple[int, int, int, int], object]] = []
    for n, cells in rows:
        while pending and pending[-1][0] <= n:
            rng = pending.pop()
            if rng[2] >= n:
                active.append((rng, cells[rng[1] - 1] if rng[0] == n and rng[1] - 1 < len(cells) else None))
        if active:
            active = [(rng, v) for rng, v in active if rng[2] >= n]
            for (r1, c1, _r2, c2), v in active:
                if len(cells) < c2:
                    cells = cells + [None] * (c2 - len(cells))
                for c in range(c1 - 1, c2):
                    if n != r1 or c != c1 - 1:
                        cells[c] = v
        yield n, cells


def _xlsx_cells(path: Path, merged: bool = False) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_parts(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError,
            SyntaxError) as e:  # SyntaxError: xml.etree's ParseError
        raise _reject(path.name, "file.xlsx_invalid", detail=type(e).__name__) from e
    try:
        if not wb.worksheets:
            return
        ws = wb.worksheets[0]
        part = getattr(ws, "_worksheet_path", None)
        if merged and isinstance(part, str):
            ranges = _merged_ranges(path, part)
            if ranges:
                yield from _fill_merged(_sheet_rows(path, ws), ranges)
                return
        yield from _sheet_rows(path, ws)
    finally:
        wb.close()


def _sheet_rows(path: Path, ws: Any) -> Iterator[tuple[int, list[object]]]:
    if True:  # noqa: SIM108 — one block, kept at the indentation it had inside _xlsx_cells
        # Why: a declared dimension such as A1:XFD1048576 makes openpyxl pad every row to 16,384
        # cells and emit a million empty rows; without it only the cells really written are read.
        reset = getattr(ws, "reset_dimensions", None)
        if reset is not None:
            reset()
        rows = ws.iter_rows(values_only=True)
        n = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError) as e:
                raise _reject(path.name, "file.xlsx_invalid", detail=type(e).__name__) from e
            n += 1
            if len(values) > MAX_COLUMNS:
                values = _trim(values)
            yield n, [strip_controls(v) if type(v) is str else v for v in values]


def _trim(values: tuple[object, ...]) -> tuple[object, ...]:
    """A row without its trailing empty cells (a formatted but empty column far to the right)."""
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


_TITLE_ROWS = 10  # ERP exports (金蝶, 用友) put a title and a date range above the header


def _readable(path: str | Path) -> tuple[Path, str, str]:
    """(path, its name for messages, its lower-case suffix) of an existing, non-empty CSV/XLSX file; refused
    with a message otherwise."""
    path = Path(path)
    source = path.name
    if not path.is_file():
        raise _reject(source, "file.not_found", path=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise _reject(source, "file.unsupported_type", suffix=suffix or "-")
    if path.stat().st_size == 0:
        raise _reject(source, "file.empty")
    return path, source, suffix


@contextmanager
def open_table(path: str | Path, is_header: Callable[[list[str]], bool] | None = None) -> Iterator[TableFile]:
    """Open a CSV/XLSX file as a row stream.

    The header is the first non-blank row, or — with ``is_header`` — the first of the first few
    non-blank rows it accepts (title rows above it are skipped; row numbers stay the sheet's).
    """
    path, source, suffix = _readable(path)
    encoding: str | None = None
    total: int | None = None
    raw: Iterator[tuple[int, list[object]]]
    if suffix in (".csv", ".txt"):
        encoding, newlines = detect_encoding(path)
        raw = _csv_cells(path, encoding)
        blank_rows_possible = False  # filtered while reading
        total = max(newlines - 1, 0) or None
    else:
        raw = _xlsx_cells(path, merged=True)  # merged cells read as Excel shows them
        blank_rows_possible = True
    try:
        headers, pushed_back = _find_header(raw, is_header)
        if headers is None:
            raise _reject(source, "file.empty")
        stream = chain(pushed_back, raw) if pushed_back else raw
        while headers and not headers[-1]:
            headers.pop()
        if len(headers) > MAX_COLUMNS:
            raise _reject(source, "file.too_many_columns", count=len(headers), limit=MAX_COLUMNS)
        named = [h for h in headers if h]
        dupes = sorted(h for h, k in Counter(named).items() if k > 1)
        if dupes:
            raise _reject(source, "file.duplicate_header", header=", ".join(dupes))
        first = _next_data(stream)
        if first is None:
            raise _reject(source, "file.no_data_rows")
        yield TableFile(source, named, _rows(headers, first, stream, blank_rows_possible), total, encoding)
    finally:
        close = getattr(raw, "close", None)
        if close is not None:
            close()


@dataclass
class Sheet:
    source: str
    rows: Iterator[tuple[int, list[object]]]  # every row as read, blank ones too, numbered as Excel does


@contextmanager
def open_cells(path: str | Path) -> Iterator[Sheet]:
    """A CSV/XLSX file as raw rows, for a layout profile to interpret (merged cells filled in)."""
    path, source, suffix = _readable(path)
    raw: Iterator[tuple[int, list[object]]]
    if suffix in (".csv", ".txt"):
        encoding, _newlines = detect_encoding(path)
        raw = _csv_cells(path, encoding, keep_blank=True)
    else:
        raw = _xlsx_cells(path, merged=True)
    try:
        yield Sheet(source, raw)
    finally:
        close = getattr(raw, "close", None)
        if close is not None:
            close()


def _find_header(raw: Iterator[tuple[int, list[object]]], is_header: Callable[[list[str]], bool] | None,
                 ) -> tuple[list[str] | None, list[tuple[int, list[object]]]]:
    """(header texts, rows read past it that belong to the data).

    With ``is_header``, title rows before the real header are dropped. When none of the first few
    rows is accepted the first one is the header after all (the importer then names the missing
    columns) and the rows read meanwhile go back in front of the data.
    """
    looked: list[tuple[int, list[str], list[object]]] = []
    for n, cells in raw:
        if _blank(cells):
            continue
        texts = [_header_text(c) for c in cells]
        if is_header is None or is_header(texts):
            return texts, []
        looked.append((n, texts, cells))
        if len(looked) >= _TITLE_ROWS:
            break
    if not looked:
        return None, []
    return looked[0][1], [(n, cells) for n, _texts, cells in looked[1:]]


def _header_text(cell: object) -> str:
    if cell is None:
        return ""
    return str(cell).replace("\ufeff", "").strip()


def _next_data(raw: Iterator[tuple[int, list[object]]]) -> tuple[int, list[object]] | None:
    for n, cells in raw:
        if not _blank(cells):
            return n, cells
    return None


def _rows(headers: list[str], first: tuple[int, list[object]], raw: Iterator[tuple[int, list[object]]],
          skip_blank: bool) -> Iterator[Row]:
    idx = [(i, h) for i, h in enumerate(headers) if h]
    width = len(headers)

    all_named = len(idx) == width

    def as_dict(cells: list[object]) -> dict[str, object]:
        if all_named and len(cells) == width:
            return dict(zip(headers, cells, strict=True))
        if len(cells) < width:
            cells = cells + [None] * (width - len(cells))
        return {h: cells[i] for i, h in idx}

    yield first[0], as_dict(first[1])
    if not skip_blank:
        for n, cells in raw:
            yield n, as_dict(cells)
        return
    for n, cells in raw:
        if not _blank(cells):
            yield n, as_dict(cells)


def cell_text(value: object) -> str:
    """A raw cell as text for a reject file or a message."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- writing files people open in Excel

# OWASP's rule for CSV/formula injection: a cell beginning with one of these is read by Excel, LibreOffice
# or Google Sheets as a formula (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``, ``+1+1``, ``@SUM(…)``).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number (``-1,234.50``, ``+3``) is data, not a formula: it stays as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")


def safe_cell(value: object) -> object:
    """A cell value that no spreadsheet evaluates: text beginning with = + - @ tab or CR gets a leading
    apostrophe (shown by Excel as part of the text, never run). Numbers, dates and plain signed
    numbers in text are returned unchanged. Every file this program writes for people goes through it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(target: str | Path | TextIO, rows: Iterable[Iterable[object]]) -> int:
    """Rows as CSV, every cell through ``safe_cell``; a path is written as UTF-8 with a BOM (so a Chinese
    Excel opens it correctly), a stream as it is. Returns the number of rows written."""
    def write(fh: TextIO) -> int:
        w = csv.writer(fh)
        n = 0
        for row in rows:
            w.writerow([safe_cell(cell_text(c) if not isinstance(c, str) else c) for c in row])
            n += 1
        return n

    if isinstance(target, str | Path):
        with Path(target).open("w", encoding="utf-8-sig", newline="") as fh:
            return write(fh)
    return write(target)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _hex(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}"


def write_xlsx(path: str | Path, sheet: str, title: str | None, header: list[str],
               rows: Iterable[list[object]], bold_rows: Iterable[int] = (), money_from_col: int | None = None,
               freeze: str | None = None) -> int:
    """One worksheet: an optional bold title row, a bold header, then ``rows``. Text cells are written as
    text (never as live formulas, and through ``safe_cell``); ``Decimal``/int/float as numbers, formatted
    ``#,##0.00`` from column ``money_from_col`` (1-based) on. ``bold_rows`` are indexes into ``rows``
    (a totals row). Returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = sheet[:31]
    r = 0
    if title is not None:
        r += 1
        c = ws.cell(r, 1, None)
        c.value, c.data_type, c.font = _XML_ILLEGAL.sub(_hex, str(safe_cell(title))), TYPE_STRING, Font(bold=True, size=13)
    r += 1
    for j, h in enumerate(header, start=1):
        c = ws.cell(r, j)
        c.value, c.data_type, c.font = _XML_ILLEGAL.sub(_hex, str(safe_cell(h))), TYPE_STRING, Font(bold=True)
    first = r + 1
    bold = set(bold_rows)
    n = 0
    for i, row in enumerate(rows):
        r += 1
        n += 1
        for j, v in enumerate(row, start=1):
            c = ws.cell(r, j)
            if not (v is None or isinstance(v, int | float | Decimal | date | datetime)):
                v = str(v)  # anything else is written as its text
            if isinstance(v, str):
                # Assigning a str beginning with "=" makes openpyxl write a formula: set the type after.
                # Characters XML cannot hold (ESC, NUL …) would make openpyxl refuse the whole file:
                # they are written as visible \xNN instead.
                c.value = _XML_ILLEGAL.sub(_hex, str(safe_cell(v)))
                c.data_type = TYPE_STRING
            else:
                c.value = v
                if money_from_col is not None and j >= money_from_col and v is not None:
                    c.number_format = "#,##0.00"
            if i in bold:
                c.font = Font(bold=True)
    if freeze:
        ws.freeze_panes = freeze.replace("{first}", str(first))
    wb.save(path)
    return n


def write_rejects(path: str | Path, headers: list[str], rejects: Iterable[tuple[dict[str, object], str]],
                  reason_header: str) -> int:
    """Write rejected rows (as they were, plus a reason column) as UTF-8 CSV with a BOM, for Excel;
    cells that a spreadsheet would run as formulas are neutralised (``safe_cell``)."""
    rows = ([*(cell_text(row.get(h)) for h in headers), reason] for row, reason in rejects)
    return write_csv(path, chain([[*headers, reason_header]], rows)) - 1


class FileTables:
    """The ``Files`` port of the services (services/ports.py)."""

    open_table = staticmethod(open_table)
    open_cells = staticmethod(open_cells)
    write_rejects = staticmethod(write_rejects)
