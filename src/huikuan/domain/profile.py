"""Layout profiles: how to read one ERP export (用友, 金蝶, a data set) into invoices and payments.

A profile is a TOML file (format in docs/imports.md, shipped ones in ``huikuan/import_profiles``).
``parse_profile`` validates it and collects every problem by file and key, as the policies do;
a profile with problems raises ``ImportRejected`` and is never used.

``Layout`` applies a profile to the raw cells of a sheet, all pure:

- ``locate`` finds the header (``header_rows`` rows, merged cells filled across their span, the parts
  joined with ``/``: ``借方/发生/金额``) among the first rows, and the title rows above it;
- ``Reader.feed`` turns each data row into canonical invoice and payment records (dicts keyed by the
  importer's column names), or counts it as skipped by kind (``blank``, ``title``, ``subtotal``,
  ``total``, ``cumulative``, ``closing_balance``, ``filtered``, ``zero``).

Ledger-detail files (``kind = "ledger"``) split by side: a debit is an invoice, a credit a payment;
``期初余额`` becomes an opening item per customer with a stable number; rows without a document
number get a stable one derived from their content, so re-importing next month's export changes
nothing that did not change.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .errors import ImportRejected, Problem
from .parsing import total_row_kind

KINDS = ("invoices", "payments", "ledger")
FIELDS = (
    "date", "year", "month", "day", "customer_code", "customer_name", "number", "summary", "amount", "debit",
    "credit", "direction", "balance", "balance_direction", "due_date", "currency", "account", "settled_date",
    "invoice_no", "voucher", "bill_channel",
)
TITLE_FIELDS = ("customer_code", "customer_name", "year", "date", "currency", "account")
TOP_KEYS = {"profile", "layout", "columns", "values", "from_title", "dates", "currency_map", "skip", "filter",
            "ledger", "customers", "detect"}
SECTION_KEYS: dict[str, set[str]] = {
    "profile": {"name", "title", "kind", "description"},
    "layout": {"header_rows", "join", "scan_rows"},
    "dates": {"formats"},
    "skip": {"markers", "sections"},
    "filter": {"field", "prefix", "equals"},
    "ledger": {"debit_values", "credit_values", "number_from_summary", "opening_marker", "settle_from",
               "number_prefix", "opening_balance_from"},
    "customers": {"create", "terms"},
    "detect": {"title_keywords"},
}
HEADER_SCAN = 30  # rows searched for the header


def norm(text: object, keep_stars: bool = False) -> str:
    """Comparable header text: NFKC, case-folded, without spaces; ``*`` marks dropped (kept in a
    profile's header patterns, where ``*`` stands for any text)."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if text is None else str(text))).casefold()
    return t if keep_stars else t.strip("*")


@dataclass(frozen=True)
class Profile:
    name: str
    title_zh: str
    title_en: str
    kind: str
    source: str
    columns: dict[str, tuple[str, ...]]  # field → header alternatives (joined form, normalised)
    optional: frozenset[str] = frozenset()
    header_rows: int = 1
    join: str = "/"
    scan_rows: int = HEADER_SCAN
    values: dict[str, str] = field(default_factory=dict)
    from_title: dict[str, re.Pattern[str]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    currency_map: dict[str, str] = field(default_factory=dict)
    skip_markers: tuple[str, ...] = ()
    sections: bool = False  # title rows may repeat inside the data (one block per customer)
    filter_field: str | None = None
    filter_prefix: tuple[str, ...] = ()
    filter_equals: tuple[str, ...] = ()
    debit_values: tuple[str, ...] = ("借", "1", "d", "dr", "debit")
    credit_values: tuple[str, ...] = ("贷", "0", "-1", "c", "cr", "credit")
    number_from_summary: re.Pattern[str] | None = None
    opening_marker: str | None = "期初余额"
    opening_balance_from: str = "balance"
    settle_from: str | None = None  # a column holding the date the invoice was settled (→ a payment)
    number_prefix: str = "L"
    create_customers: bool = False
    default_terms: str = "cash"
    title_keywords: tuple[str, ...] = ()
    written: dict[str, str] = field(default_factory=dict)  # field → its first header as the profile writes it

    def header_of(self, f: str) -> str:
        return self.written.get(f, f)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f for f in self.columns if f not in self.optional)


# ---- loading and validation ------------------------------------------------------------------

class _P:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, where: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(self.source, where, code, params))


def _strs(v: Any, where: str, p: _P, allow_empty: bool = False) -> tuple[str, ...] | None:
    if isinstance(v, str) and v:
        return (v,)
    if isinstance(v, list) and (v or allow_empty) and all(isinstance(x, str) and x for x in v):
        return tuple(v)
    p.add(where, "profile.strings", value=repr(v))
    return None


def _regex(v: Any, where: str, p: _P) -> re.Pattern[str] | None:
    if not isinstance(v, str) or not v:
        p.add(where, "profile.strings", value=repr(v))
        return None
    try:
        rx = re.compile(v)
    except re.error as e:
        p.add(where, "profile.regex", value=v, reason=str(e))
        return None
    if rx.groups < 1:
        p.add(where, "profile.regex_group", value=v)
        return None
    return rx


def _table(data: dict[str, Any], key: str, p: _P) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        p.add(key, "profile.table", value=repr(v))
        return {}
    allowed = SECTION_KEYS.get(key)
    if allowed is not None:
        for k in v:
            if k not in allowed:
                p.add(f"{key}.{k}", "profile.unknown_key", key=k, allowed=", ".join(sorted(allowed)))
    return v


def parse_profile(text: str, source: str) -> Profile:
    """A validated profile, or ``ImportRejected`` listing every problem by file and key."""
    p = _P(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ImportRejected([Problem(source, "", "profile.toml", {"reason": str(e)})]) from e
    for k in data:
        if k not in TOP_KEYS:
            p.add(k, "profile.unknown_key", key=k, allowed=", ".join(sorted(TOP_KEYS)))
    head = _table(data, "profile", p)
    name, kind = head.get("name"), head.get("kind")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,60}", name or ""):
        p.add("profile.name", "profile.name", value=repr(name))
    if kind not in KINDS:
        p.add("profile.kind", "profile.enum", value=repr(kind), allowed=", ".join(KINDS))
    title = head.get("title", {})
    if not (isinstance(title, dict) and isinstance(title.get("zh"), str) and isinstance(title.get("en"), str)):
        p.add("profile.title", "profile.label", value=repr(title))
        title = {"zh": "", "en": ""}

    layout = _table(data, "layout", p)
    header_rows = layout.get("header_rows", 1)
    if not isinstance(header_rows, int) or isinstance(header_rows, bool) or not 1 <= header_rows <= 5:
        p.add("layout.header_rows", "profile.int", value=repr(header_rows), min=1, max=5)
        header_rows = 1
    join = layout.get("join", "/")
    if not isinstance(join, str) or not join:
        p.add("layout.join", "profile.strings", value=repr(join))
        join = "/"
    scan = layout.get("scan_rows", HEADER_SCAN)
    if not isinstance(scan, int) or isinstance(scan, bool) or not 1 <= scan <= 200:
        p.add("layout.scan_rows", "profile.int", value=repr(scan), min=1, max=200)
        scan = HEADER_SCAN

    columns: dict[str, tuple[str, ...]] = {}
    written: dict[str, str] = {}
    optional: set[str] = set()
    for f, v in _table(data, "columns", p).items():
        where = f"columns.{f}"
        if f not in FIELDS:
            p.add(where, "profile.unknown_key", key=f, allowed=", ".join(FIELDS))
            continue
        if isinstance(v, dict):
            if set(v) - {"header", "optional"}:
                p.add(where, "profile.unknown_key", key=", ".join(sorted(set(v) - {"header", "optional"})),
                      allowed="header, optional")
            opt = v.get("optional", False)
            if not isinstance(opt, bool):
                p.add(f"{where}.optional", "profile.bool", value=repr(opt))
            elif opt:
                optional.add(f)
            v = v.get("header")
        alts = _strs(v, where, p)
        if alts:
            columns[f] = tuple(norm(a, keep_stars=True) for a in alts)
            written[f] = alts[0]

    values: dict[str, str] = {}
    for f, v in _table(data, "values", p).items():
        if f not in FIELDS:
            p.add(f"values.{f}", "profile.unknown_key", key=f, allowed=", ".join(FIELDS))
        elif not isinstance(v, str):
            p.add(f"values.{f}", "profile.strings", value=repr(v))
        else:
            values[f] = v

    from_title: dict[str, re.Pattern[str]] = {}
    for f, v in _table(data, "from_title", p).items():
        if f not in TITLE_FIELDS:
            p.add(f"from_title.{f}", "profile.unknown_key", key=f, allowed=", ".join(TITLE_FIELDS))
            continue
        rx = _regex(v, f"from_title.{f}", p)
        if rx is not None:
            from_title[f] = rx

    dates = _table(data, "dates", p)
    formats = _strs(dates.get("formats", []), "dates.formats", p, allow_empty=True) or ()
    for i, fmt in enumerate(formats):
        try:
            datetime(2026, 1, 5).strftime(fmt)
            if not any(d in fmt for d in ("%d", "%j")):
                raise ValueError(fmt)
        except ValueError:
            p.add(f"dates.formats[{i}]", "profile.date_format", value=fmt)

    cmap: dict[str, str] = {}
    for k, v in _table(data, "currency_map", p).items():
        if not isinstance(v, str) or not re.fullmatch(r"[A-Z]{3}", v):
            p.add(f"currency_map.{k}", "profile.currency", value=repr(v))
        else:
            cmap[k.strip().upper()] = v

    skip = _table(data, "skip", p)
    markers = _strs(skip.get("markers", []), "skip.markers", p, allow_empty=True) or ()
    sections = skip.get("sections", False)
    if not isinstance(sections, bool):
        p.add("skip.sections", "profile.bool", value=repr(sections))
        sections = False

    flt = _table(data, "filter", p)
    ffield = flt.get("field")
    if flt and ffield not in FIELDS:
        p.add("filter.field", "profile.enum", value=repr(ffield), allowed=", ".join(FIELDS))
    prefix = _strs(flt.get("prefix", []), "filter.prefix", p, allow_empty=True) or ()
    equals = _strs(flt.get("equals", []), "filter.equals", p, allow_empty=True) or ()
    if flt and not (prefix or equals):
        p.add("filter", "profile.filter_empty")

    led = _table(data, "ledger", p)
    kw: dict[str, Any] = {}
    for k in ("debit_values", "credit_values"):
        if k in led:
            vals = _strs(led[k], f"ledger.{k}", p)
            if vals:
                kw[k] = tuple(norm(x) for x in vals)
    if "number_from_summary" in led:
        kw["number_from_summary"] = _regex(led["number_from_summary"], "ledger.number_from_summary", p)
    for k in ("opening_marker", "number_prefix"):
        if k in led:
            if not isinstance(led[k], str) or not led[k]:
                p.add(f"ledger.{k}", "profile.strings", value=repr(led[k]))
            else:
                kw[k] = led[k]
    if "opening_balance_from" in led:
        if led["opening_balance_from"] not in ("balance", "debit", "amount"):
            p.add("ledger.opening_balance_from", "profile.enum", value=repr(led["opening_balance_from"]),
                  allowed="balance, debit, amount")
        else:
            kw["opening_balance_from"] = led["opening_balance_from"]
    if "settle_from" in led:
        if led["settle_from"] not in FIELDS:
            p.add("ledger.settle_from", "profile.enum", value=repr(led["settle_from"]), allowed=", ".join(FIELDS))
        else:
            kw["settle_from"] = led["settle_from"]

    cust = _table(data, "customers", p)
    create = cust.get("create", False)
    if not isinstance(create, bool):
        p.add("customers.create", "profile.bool", value=repr(create))
        create = False
    terms = cust.get("terms", "cash")
    if not isinstance(terms, str) or not terms:
        p.add("customers.terms", "profile.strings", value=repr(terms))
        terms = "cash"

    keywords = _strs(_table(data, "detect", p).get("title_keywords", []), "detect.title_keywords", p,
                     allow_empty=True) or ()

    # What a kind cannot do without.
    has = set(columns) | set(values) | set(from_title)
    need_date = {"date"} if "date" in has else {"month", "day"}
    if not need_date <= has:
        p.add("columns.date", "profile.missing_field", field="date", kind=str(kind))
    if not {"customer_code", "customer_name"} & has:
        p.add("columns.customer_code", "profile.missing_field", field="customer_code", kind=str(kind))
    if {"month", "day"} <= has and "date" not in has and not {"year"} & has:
        p.add("columns.year", "profile.missing_field", field="year", kind=str(kind))
    money = {"amount"} if kind != "ledger" else ({"debit", "credit"} if "direction" not in has else {"amount"})
    if not (money <= has or (kind == "ledger" and {"debit", "credit"} <= has)):
        for m in sorted(money - has):
            p.add(f"columns.{m}", "profile.missing_field", field=m, kind=str(kind))
    if p.problems:
        raise ImportRejected(p.problems)
    return Profile(
        name=str(name), title_zh=title["zh"], title_en=title["en"], kind=str(kind), source=source,
        columns=columns, optional=frozenset(optional), header_rows=header_rows, join=join, scan_rows=scan,
        values=values, from_title=from_title, date_formats=tuple(formats), currency_map=cmap,
        skip_markers=tuple(norm(m) for m in markers), sections=sections,
        filter_field=ffield if flt else None, filter_prefix=prefix, filter_equals=equals,
        create_customers=create, default_terms=terms, title_keywords=keywords, written=written, **kw,
    )


# ---- applying a profile to a sheet -----------------------------------------------------------

Cells = Sequence[object]


def cell_str(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


def join_header(rows: Sequence[Cells], sep: str = "/") -> list[str]:
    """Multi-row header texts: a merged cell (written once, left of its span) covers the cells to
    its right that are empty, within the span of the cell above; the parts are joined with ``sep``,
    empty and repeated parts left out (a cell merged down over three rows is one word)."""
    width = max((len(r) for r in rows), default=0)
    grid = [[cell_str(r[i]) if i < len(r) else "" for i in range(width)] for r in rows]
    filled: list[list[str]] = []
    for level, row in enumerate(grid):
        out = list(row)
        below = grid[level + 1:]
        if below:  # the last row names single columns: never filled
            for i in range(1, width):
                # An empty cell continues the group on its left when both columns have sub-headers
                # below (a column merged downwards has none) and they share the parent group.
                same_parent = level == 0 or filled[level - 1][i] == filled[level - 1][i - 1]
                if (not out[i] and out[i - 1] and same_parent and any(g[i] for g in below)
                        and any(g[i - 1] for g in below)):
                    out[i] = out[i - 1]
        filled.append(out)
    heads: list[str] = []
    for i in range(width):
        parts: list[str] = []
        for row in filled:
            if row[i] and (not parts or parts[-1] != row[i]):
                parts.append(row[i])
        heads.append(sep.join(parts))
    return heads


@dataclass
class Located:
    header_at: int  # index (0-based, among the rows given) of the first header row
    headers: list[str]  # joined, as written
    index: dict[str, int]  # field → column
    missing: list[str]  # required fields whose column was not found
    titles: dict[str, str]  # values read from title rows
    title_text: str
    header_cells: frozenset[str] = frozenset()  # every header row's cell texts, normalised

    @property
    def found(self) -> int:
        return len(self.index)


def _find(alt: str, position: dict[str, int], normed: list[str]) -> int | None:
    """A header's column: its exact (normalised) text, or ``*`` standing for any text (``*/月``)."""
    if "*" not in alt:
        return position.get(alt)
    rx = re.compile(".*".join(re.escape(part) for part in alt.split("*")) + "$")
    return next((i for i, h in enumerate(normed) if h and rx.match(h)), None)


def _match(profile: Profile, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    normed = [norm(h) for h in headers]
    position: dict[str, int] = {}
    for i, h in enumerate(normed):
        if h and h not in position:
            position[h] = i
    index: dict[str, int] = {}
    missing: list[str] = []
    for f, alts in profile.columns.items():
        hit: int | None = None
        for a in alts:
            hit = _find(a, position, normed)
            if hit is not None:
                break
        if hit is None:
            if f not in profile.optional:
                missing.append(f)
        else:
            index[f] = hit
    return index, missing


def read_titles(profile: Profile, rows: Iterable[Cells]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in rows:
        for c in r:
            text = cell_str(c)
            if not text:
                continue
            for f, rx in profile.from_title.items():
                if f not in out and (m := rx.search(text)):
                    out[f] = m.group(1).strip()
    return out


def locate(profile: Profile, head: Sequence[Cells]) -> Located:
    """Where the header is among the first rows of a sheet and what it maps (best match wins)."""
    best: Located | None = None
    limit = min(len(head), profile.scan_rows)
    for at in range(limit):
        if not any(cell_str(c) for c in head[at]):
            continue
        rows = head[at:at + profile.header_rows]
        headers = join_header(rows, profile.join)
        index, missing = _match(profile, headers)
        if best is None or len(index) > best.found:
            best = Located(at, headers, index, missing, {}, "")
    if best is None:
        return Located(0, [], {}, list(profile.required), {}, "")
    above = head[:best.header_at]
    header = head[best.header_at:best.header_at + profile.header_rows]
    best.header_cells = frozenset(norm(c) for r in header for c in r if cell_str(c))
    best.titles = read_titles(profile, [*above, *header])  # a year may sit over 月/日 in the header
    best.title_text = " ".join(cell_str(c) for r in above for c in r if c is not None)
    return best


def fit(profile: Profile, located: Located) -> float:
    """How well a profile fits: the share of its required columns found, with title keywords as a
    tie-breaker (a fit of 1.0 means every required column was found)."""
    required = profile.required
    if not required:
        return 0.0
    found = sum(1 for f in required if f in located.index)
    score = found / len(required)
    if profile.title_keywords and any(k in located.title_text for k in profile.title_keywords):
        score += 0.01
    return min(score, 1.0)


# ---- reading rows ----------------------------------------------------------------------------

_ZEROISH = {"", "0", "0.0", "0.00", "-", "--", "—", "0.000"}


_ZERO_CHARS = frozenset("0.,-+¥￥()元 ")


def _is_zero(v: object) -> bool:
    """No money in the cell. Text with a digit 1–9 is money; text of zeros and marks is none; other
    text is money too, so the importer reports it rather than it vanishing."""
    if v is None:
        return True
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v == 0
    text = v.strip() if isinstance(v, str) else cell_str(v)
    if text in _ZEROISH:
        return True
    for ch in text:
        if ch in "123456789":
            return False
    return all(ch in _ZERO_CHARS for ch in text)


def _negate(v: object) -> object:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return -v
    text = cell_str(v)
    if text.startswith("(") and text.endswith(")"):
        return text[1:-1]
    return text[1:] if text.startswith("-") else "-" + text


def _negative(v: object) -> bool:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v < 0
    text = cell_str(v)
    return text.startswith("-") or (text.startswith("(") and text.endswith(")"))


@dataclass
class Records:
    invoices: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    payments: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    customers: dict[str, str] = field(default_factory=dict)  # code → name, as the file names them
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    openings: int = 0  # 期初余额 rows read as opening items


class Reader:
    """Turns a sheet's data rows into canonical records under one profile (see the module doc)."""

    def __init__(self, profile: Profile, located: Located, source: str, default_year: int) -> None:
        self.p = profile
        self.ix = located.index
        self.source = source
        self.context: dict[str, str] = dict(located.titles)
        self.header_first = located.header_cells | {norm(h) for h in located.headers if h}
        # A repeated header is recognised by two probe columns holding their own header text.
        self.probes = [(i, {h, *h.split(profile.join)}) for i, h in enumerate(located.headers) if h][:2]
        self.default_year = default_year
        at = [self.ix[f] for f in ("summary", "number", "customer_code", "customer_name", "date") if f in self.ix]
        self._total_at = list(dict.fromkeys([*at, 0, 1, 2]))
        self.out = Records()
        self.seen: dict[str, int] = {}
        self.markers = profile.skip_markers
        self._dates: dict[object, object] = {}

    def skip(self, why: str) -> None:
        self.out.skipped[why] = self.out.skipped.get(why, 0) + 1

    def get(self, cells: Cells, f: str) -> object:
        i = self.ix.get(f)
        if i is not None and i < len(cells):
            v = cells[i]
            if v.__class__ is str:
                if v and (v[0] != " " or v.strip()):  # a cell of spaces is empty
                    return v
            elif v is not None:
                return v
        if f in self.context:
            return self.context[f]
        return self.p.values.get(f)

    def text(self, cells: Cells, f: str) -> str:
        return cell_str(self.get(cells, f))

    def _title_row(self, cells: Cells) -> bool:
        """A section title inside the data (客户：华东五金) or a repeated header."""
        if self.probes and all(i < len(cells) and cell_str(cells[i]) in names for i, names in self.probes):
            texts = [cell_str(c) for c in cells]
            filled = list(dict.fromkeys(t for t in texts if t))
            if sum(1 for t in filled if norm(t) in self.header_first) > len(filled) // 2:
                return True
        if not self.p.sections:
            return False
        filled = list(dict.fromkeys(t for t in (cell_str(c) for c in cells) if t))  # a merged title repeats
        if len(filled) > 2:
            return False
        hit = False
        for t in filled:
            for f, rx in self.p.from_title.items():
                if m := rx.search(t):
                    self.context[f] = m.group(1).strip()
                    hit = True
        if hit and "customer_code" in self.p.from_title and "customer_name" not in self.p.from_title:
            self.context.pop("customer_name", None)
        return hit

    def _total(self, cells: Cells) -> str | None:
        width = len(cells)
        texts = [v for i in self._total_at if i < width and (v := cells[i]).__class__ is str and v]
        if not texts:
            return None
        joined = "".join(texts)  # one scan for the marks of a total row before any pattern
        if "计" in joined or "余额" in joined or "otal" in joined or "OTAL" in joined:
            for v in texts:
                kind = total_row_kind(v)
                if kind is not None:
                    return kind
        if self.markers:
            for v in texts:
                if norm(v) in self.markers:
                    return "total"
        return None

    def day(self, cells: Cells, f: str = "date") -> object:
        """A date: parsed with the profile's formats, composed from 年/月/日, or the raw cell."""
        if f == "date" and "date" not in self.ix and "date" not in self.context and "month" in self.ix:
            y, m, d = self.text(cells, "year"), self.text(cells, "month"), self.text(cells, "day")
            ym = re.search(r"\d{4}", y)
            try:
                return date(int(ym.group(0)) if ym else self.default_year, int(float(m)), int(float(d)))
            except (ValueError, TypeError):
                return f"{y}-{m}-{d}"
        raw = self.get(cells, f)
        if not isinstance(raw, str) or not self.p.date_formats:
            return raw
        hit = self._dates.get(raw)
        if hit is not None:
            return hit
        text = raw.strip()
        for fmt in self.p.date_formats:
            try:
                value: object = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            value = raw
        self._dates[raw] = value
        return value

    def currency(self, cells: Cells) -> object:
        raw = self.get(cells, "currency")
        if isinstance(raw, str):
            return self.p.currency_map.get(raw.strip().upper(), raw)
        return raw

    def customer(self, cells: Cells) -> tuple[str, str]:
        code, name = self.text(cells, "customer_code"), self.text(cells, "customer_name")
        code = code or name
        if code and code not in self.out.customers:
            self.out.customers[code] = name or code
        return code, name

    def number(self, cells: Cells, side: str, code: str, day: object, amount: object) -> str:
        no = self.text(cells, "number")
        if not no and self.p.number_from_summary is not None:
            m = self.p.number_from_summary.search(self.text(cells, "summary"))
            if m:
                no = m.group(1)
        if no:
            return no
        # No number of its own: one derived from what the row says, stable across re-imports; an
        # identical second row (same day, customer, voucher, text, amount) gets its own ordinal.
        key = "|".join((side, code, cell_str(day), self.text(cells, "voucher"), self.text(cells, "summary"),
                        cell_str(amount)))
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10].upper()
        k = self.seen.get(digest, 0) + 1
        self.seen[digest] = k
        return f"{self.p.number_prefix}-{digest}" + (f"-{k}" if k > 1 else "")

    def feed(self, n: int, cells: Cells) -> None:
        if not any(cells) and not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
            self.skip("blank")
            return
        if self._title_row(cells):
            self.skip("title")
            return
        summary = self.text(cells, "summary")
        opening = bool(self.p.opening_marker and summary and self.p.opening_marker in summary)
        if not opening:
            total = self._total(cells)
            if total is not None:
                self.skip(total)
                return
        if self.p.filter_field is not None:
            value = self.text(cells, self.p.filter_field)
            if not (value.startswith(self.p.filter_prefix) if self.p.filter_prefix else False) and \
                    value not in self.p.filter_equals:
                self.skip("filtered")
                return
        code, _name = self.customer(cells)
        on = self.day(cells)
        cur = self.currency(cells)
        if opening:
            self._opening(n, cells, code, on, cur)
            return
        if self.p.kind == "ledger":
            self._ledger(n, cells, code, on, cur)
        else:
            self._single(n, cells, code, on, cur)

    def _record(self, side: str, n: int, code: str, on: object, amount: object, cur: object, number: str,
                cells: Cells | None) -> None:
        if side == "invoice":
            row: dict[str, object] = {"invoice_no": number, "customer_code": code, "invoice_date": on,
                                      "amount": amount}
            if cells is not None and "due_date" in self.ix:
                row["due_date"] = self.day(cells, "due_date")
            if cells is not None and "bill_channel" in self.ix:
                row["bill_channel"] = self.get(cells, "bill_channel")
            if cur is not None:
                row["currency"] = cur
            self.out.invoices.append((n, row))
        else:
            row = {"payment_no": number, "customer_code": code, "payment_date": on, "amount": amount}
            if cur is not None:
                row["currency"] = cur
            if cells is not None and (inv := self.text(cells, "invoice_no")):
                row["invoice_no"] = inv
            self.out.payments.append((n, row))

    def _single(self, n: int, cells: Cells, code: str, on: object, cur: object) -> None:
        amount = self.get(cells, "amount")
        side = "invoice" if self.p.kind == "invoices" else "payment"
        if _is_zero(amount):
            self.skip("zero")
            return
        number = self.number(cells, side, code, on, amount)
        self._record(side, n, code, on, amount, cur, number, cells)
        if self.p.settle_from and side == "invoice":
            settled = self.day(cells, self.p.settle_from)
            if settled is not None and cell_str(settled):
                row = {"payment_no": f"{number}-S", "customer_code": code, "payment_date": settled,
                       "amount": amount, "invoice_no": number}
                if cur is not None:
                    row["currency"] = cur
                self.out.payments.append((n, row))

    def _ledger(self, n: int, cells: Cells, code: str, on: object, cur: object) -> None:
        if "direction" in self.ix or "direction" in self.p.values:
            amount = self.get(cells, "amount")
            way = norm(self.text(cells, "direction"))
            if way in self.p.debit_values:
                debit, credit = amount, None
            elif way in self.p.credit_values:
                debit, credit = None, amount
            else:
                self.out.problems.append(Problem(self.source, f"第 {n} 行 / row {n}", "profile.direction",
                                                 {"row": n, "value": way}))
                return
        else:
            debit, credit = self.get(cells, "debit"), self.get(cells, "credit")
        # A negative debit (红字) is money coming back: a credit, and the other way round.
        if not _is_zero(debit) and _negative(debit):
            debit, credit = None, _negate(debit)
        elif not _is_zero(credit) and _negative(credit):
            debit, credit = _negate(credit), None
        if not _is_zero(debit):
            self._record("invoice", n, code, on, debit, cur, self.number(cells, "D", code, on, debit), cells)
        elif not _is_zero(credit):
            self._record("payment", n, code, on, credit, cur, self.number(cells, "C", code, on, credit), cells)
        else:
            self.skip("zero")

    def _opening(self, n: int, cells: Cells, code: str, on: object, cur: object) -> None:
        amount = self.get(cells, self.p.opening_balance_from)
        if _is_zero(amount):
            self.skip("zero")
            return
        day = on.isoformat() if isinstance(on, date) else cell_str(on)
        number = f"期初-{code}-{re.sub(r'[^0-9]', '', day)}"
        way = norm(self.text(cells, "balance_direction"))
        credit_side = way in self.p.credit_values or way in ("贷",)
        if _negative(amount):
            credit_side, amount = not credit_side, _negate(amount)
        self._record("payment" if credit_side else "invoice", n, code, on, amount, cur, number, None)
        self.out.openings += 1


