"""Import what an ERP really exports, through a layout profile (docs/imports.md, "Layout profiles").

- ``load_profiles(app)``: the shipped profiles (``huikuan/import_profiles/*.toml``) and the company's
  own (setting ``profile_dir``); every problem of every file is reported by file and key.
- ``detect(app, path)``: ranks the profiles by how well they fit the file's first rows and previews
  the mapping and the first parsed records of the best one.
- ``import_with_profile(app, path, kind, profile)``: reads the file under a profile and imports its
  invoices and/or payments (and, when the profile says so, the customers it names that are unknown)
  in one transaction — all or nothing, idempotent like every import. Every kind is checked before any
  is written, so on SQLite the write lock is taken only for the writes (ADR 0007).
- ``import_auto(app, kind, path)``: canonical headers as before; when they are missing, the best
  profile fitting at least ``THRESHOLD`` is used and named in the report; otherwise the file is
  refused listing the columns found and the two best profiles with what each misses.

The file is read through the ``Files`` port (``app.files``); nothing here touches an adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, cast

from ...domain.errors import ImportRejected, InvalidInput, Problem
from ...domain.profile import (
    Cells,
    Located,
    Profile,
    Reader,
    cell_str,
    fit,
    locate,
    parse_profile,
)
from .. import audit
from ..ports import ProgressSink
from .customers import CustomerImporter
from .invoices import InvoiceImporter
from .report import ImportReport
from .run import Checked, check_in, import_file, in_one_write, write_checked

SHIPPED = Path(__file__).resolve().parents[2] / "import_profiles"
THRESHOLD = 0.8  # the least fit at which a profile is used without being named (--profile)
_HEADER_CODES = {"import.missing_column", "import.unknown_column", "import.duplicate_column", "file.duplicate_header"}
HEAD_ROWS = 60  # rows read for detection (title + header + a preview)
FILE_WHERE = "文件 / file"

INVOICE_HEADERS = ["invoice_no", "customer_code", "invoice_date", "due_date", "amount", "currency", "bill_channel"]
PAYMENT_HEADERS = ["payment_no", "customer_code", "payment_date", "amount", "currency", "invoice_no"]


def load_profiles(app: Any) -> list[Profile]:
    problems: list[Problem] = []
    out: dict[str, Profile] = {}
    for folder in (SHIPPED, *app.profile_dirs()):
        for path in sorted(Path(folder).glob("*.toml")):
            try:
                prof = parse_profile(path.read_text(encoding="utf-8"), path.name)
            except ImportRejected as e:
                problems.extend(e.problems)
                continue
            except UnicodeDecodeError:
                problems.append(Problem(path.name, "", "profile.encoding", {}))
                continue
            out[prof.name] = prof  # the company's own profile of the same name wins
    if problems:
        raise ImportRejected(problems)
    return list(out.values())


def find_profile(profiles: Sequence[Profile], name: str) -> Profile:
    for p in profiles:
        if p.name == name:
            return p
    raise InvalidInput("profile.unknown", value=name, allowed=", ".join(sorted(p.name for p in profiles)))


@dataclass
class Candidate:
    profile: Profile
    fit: float
    located: Located

    def summary(self, lang: str = "en") -> dict[str, Any]:
        return {"profile": self.profile.name, "title": self.profile.title_zh if lang == "zh" else self.profile.title_en,
                "kind": self.profile.kind, "fit": round(self.fit, 3),
                "missing": [self._header(f) for f in self.located.missing]}

    def _header(self, f: str) -> str:
        return f"{f} ({self.profile.header_of(f)})"


def rank(profiles: Sequence[Profile], head: Sequence[Cells]) -> list[Candidate]:
    found = [Candidate(p, 0.0, locate(p, head)) for p in profiles]
    for c in found:
        c.fit = fit(c.profile, c.located)
    # Ties go to the profile that explains more of the file (more columns mapped).
    found.sort(key=lambda c: (-c.fit, -c.located.found, c.profile.name))
    return found


def _head(rows: Iterator[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    return list(islice(rows, HEAD_ROWS))


@dataclass
class Detection:
    source: str
    columns: list[str]  # the header texts found under the best profile (or the first row)
    candidates: list[Candidate]
    chosen: Candidate | None
    preview: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        c = self.chosen
        return {
            "source": self.source,
            "profile": c.profile.name if c else None,
            "fit": round(c.fit, 3) if c else None,
            "threshold": THRESHOLD,
            "candidates": [x.summary(lang) for x in self.candidates],
            "mapping": ({f: c.located.headers[i] for f, i in c.located.index.items()} if c else {}),
            "titles": c.located.titles if c else {},
            "columns": self.columns,
            "preview": self.preview,
        }


def detect(app: Any, path: str | Path, preview_rows: int = 5) -> Detection:
    profiles = load_profiles(app)
    with app.files.open_cells(path) as sheet:
        head = _head(sheet.rows)
        source = sheet.source
    cells = [c for _n, c in head]
    ranked = rank(profiles, cells)
    best = ranked[0] if ranked and ranked[0].fit >= THRESHOLD else None
    columns = best.located.headers if best else _first_row(cells)
    det = Detection(source, [h for h in columns if h], ranked, best)
    if best is not None:
        reader = Reader(best.profile, best.located, source, app.clock.today().year)
        start = best.located.header_at + best.profile.header_rows
        for n, row in head[start:]:
            reader.feed(n, row)
            if len(reader.out.invoices) + len(reader.out.payments) >= preview_rows:
                break
        recs = [("invoice", n, r) for n, r in reader.out.invoices] + [("payment", n, r) for n, r in reader.out.payments]
        recs.sort(key=lambda x: x[1])
        det.preview = [{"row": n, "as": side, **{k: cell_str(v) for k, v in r.items()}}
                       for side, n, r in recs[:preview_rows]]
    return det


def _first_row(cells: Sequence[Cells]) -> list[str]:
    for row in cells:
        texts = [cell_str(c) for c in row]
        if sum(1 for t in texts if t) >= 2:
            return texts
    return []


# ---- importing ----------------------------------------------------------------------------------

@dataclass
class ProfileReport:
    """What a profile import did: one ``ImportReport`` per kind written, the rows skipped by kind."""

    source: str
    profile: str
    fit: float
    skipped: dict[str, int] = field(default_factory=dict)
    opening_balances: int = 0
    customers: ImportReport | None = None
    invoices: ImportReport | None = None
    payments: ImportReport | None = None

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in (self.customers, self.invoices, self.payments) if r is not None)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k not in ("customers", "invoices", "payments")}
        for k in ("customers", "invoices", "payments"):
            r = getattr(self, k)
            d[k] = r.as_dict(lang) if r is not None else None
        return d


def read_file(app: Any, path: str | Path, profile: Profile) -> Reader:
    """One pass over the file under ``profile``: every record, customer and skipped row, in memory
    (compact dicts; a million rows take a few hundred MB — the price of reading the file once)."""
    with app.files.open_cells(path) as sheet:
        head = _head(sheet.rows)
        located = locate(profile, [c for _n, c in head])
        if located.missing:
            raise ImportRejected([_no_fit(sheet.source, located, profile)])
        reader = Reader(profile, located, sheet.source, _year(located) or app.clock.today().year)
        titles = sum(1 for _n, c in head[:located.header_at] if any(cell_str(x) for x in c))
        if titles:
            reader.out.skipped["title"] = titles
        feed = reader.feed
        for n, cells in chain(head[located.header_at + profile.header_rows:], sheet.rows):
            feed(n, cells)
    return reader


def _year(located: Located) -> int | None:
    y = located.titles.get("year", "")
    digits = "".join(ch for ch in y if ch.isdigit())
    return int(digits[:4]) if len(digits) >= 4 else None


def _no_fit(source: str, located: Located, profile: Profile) -> Problem:
    return Problem(source, FILE_WHERE, "profile.no_fit", {
        "profile": profile.name, "missing": ", ".join(f"{f} ({profile.header_of(f)})" for f in located.missing),
        "columns": ", ".join(h for h in located.headers if h)[:500]})


def import_with_profile(app: Any, path: str | Path, kind: str, profile: Profile | str, *,
                        skip_invalid: bool = False, progress: ProgressSink | None = None,
                        fit_value: float | None = None, by: audit.By | None = None) -> ProfileReport:
    """Import ``path`` read under ``profile``: ``kind`` is ``invoices``, ``payments`` or ``ledger`` (both)."""
    if isinstance(profile, str):
        profile = find_profile(load_profiles(app), profile)
    if kind not in ("invoices", "payments", "ledger"):
        raise InvalidInput("import.unknown_kind", value=kind, allowed="invoices, payments, ledger")
    sides = {"invoices": ("invoice",), "payments": ("payment",), "ledger": ("invoice", "payment")}[kind]
    if profile.settle_from and kind == "ledger":
        sides = ("invoice", "payment")
    source = Path(path).name
    report = ProfileReport(source, profile.name, 1.0 if fit_value is None else fit_value)
    reader = read_file(app, path, profile)
    out = reader.out
    report.skipped, report.opening_balances = dict(out.skipped), out.openings
    if out.problems and not skip_invalid:
        raise ImportRejected(out.problems)

    def work(uow: Any) -> None:
        # Every kind is checked before any is written, so the work up to the first write — which is where
        # SQLite's write lock is taken (ADR 0007) — is reading and checking only: the customers the file
        # creates and the invoices it writes are made known to the later kinds' checks under placeholder
        # ids, which their writes replace with the real ones.
        checked: list[Checked] = []
        customers: dict[str, tuple[int, str, str]] = {}
        invoices: dict[str, tuple[int, int, str]] = {}
        if profile.create_customers and out.customers:
            rows: list[tuple[int, dict[str, object]]] = [
                (i + 2, {"customer_code": code, "name": name, "terms": profile.default_terms})
                for i, (code, name) in enumerate(out.customers.items()) if code]
            checked.append(check_in(app, uow, "customers", source, ["customer_code", "name", "terms"], rows,
                                    len(rows), skip_invalid, progress, only_new=True))
            customers = cast(CustomerImporter, checked[-1].importer).new_customers()

        def prepare(importer: Any) -> None:
            importer.expect_customers(customers)
            if invoices:
                importer.expect_invoices(invoices)

        for side in sides:
            kind_name, headers, records = (("invoices", INVOICE_HEADERS, out.invoices) if side == "invoice"
                                           else ("payments", PAYMENT_HEADERS, out.payments))
            checked.append(check_in(app, uow, kind_name, source, headers, records, len(records), skip_invalid,
                                    progress, prepare=prepare))
            if kind_name == "invoices":
                invoices = cast(InvoiceImporter, checked[-1].importer).expected_invoices()
        for c in checked:
            write_checked(app, uow, c, progress, by=by)
            if c.report.kind == "customers":
                report.customers = c.report
            else:
                c.report.profile, c.report.fit = profile.name, report.fit
                setattr(report, c.report.kind, c.report)

    in_one_write(app, work)
    out.invoices.clear()
    out.payments.clear()
    return report


def import_auto(app: Any, kind: str, path: str | Path, *, profile: str | None = None, skip_invalid: bool = False,
                rejects_path: str | Path | None = None, progress: ProgressSink | None = None,
                by: audit.By | None = None) -> ImportReport | ProfileReport:
    """``huikuan import invoices|payments FILE [--profile NAME]``: see the module docstring."""
    if profile is not None:
        return import_with_profile(app, path, kind, profile, skip_invalid=skip_invalid, progress=progress, by=by)
    try:
        return import_file(app, kind, path, skip_invalid=skip_invalid, rejects_path=rejects_path, progress=progress,
                           by=by)
    except ImportRejected as e:
        if kind not in ("invoices", "payments") or not e.problems or any(p.code not in _HEADER_CODES for p in e.problems):
            raise
        refused = e
    profiles = [p for p in load_profiles(app) if p.kind in (kind, "ledger")]
    with app.files.open_cells(path) as sheet:
        head = _head(sheet.rows)
    ranked = rank(profiles, [c for _n, c in head])
    if ranked and ranked[0].fit >= THRESHOLD:
        best = ranked[0]
        return import_with_profile(app, path, kind, best.profile, skip_invalid=skip_invalid, progress=progress,
                                   fit_value=best.fit, by=by)
    raise ImportRejected([*refused.problems, _unmatched(Path(path).name, [c for _n, c in head], ranked)])


def _unmatched(source: str, head: Sequence[Cells], ranked: list[Candidate]) -> Problem:
    return none_fits(source, [h for h in _first_row(head) if h], ranked)


def none_fits(source: str, columns: list[str], ranked: list[Candidate]) -> Problem:
    """The file matches no profile: the columns it has and the two best profiles with what each misses."""
    best = [f"{c.profile.name} ({round(c.fit * 100)} %, {', '.join(c.profile.header_of(f) for f in c.located.missing) or '-'})"
            for c in ranked[:2]]
    return Problem(source, FILE_WHERE, "profile.none_fits", {"columns": ", ".join(columns)[:500],
                                                             "best": "; ".join(best) or "-",
                                                             "threshold": f"{round(THRESHOLD * 100)} %"})


# ---- a starting profile for a layout no profile fits -------------------------------------------

GUESSES: dict[str, tuple[str, ...]] = {
    "date": ("日期", "单据日期", "业务日期", "记账日期", "开票日期", "凭证日期", "date", "invoicedate"),
    "number": ("单据编号", "单据号", "单据号码", "单号", "发票号", "发票号码", "invoicenumber", "invoiceno", "number"),
    "customer_code": ("客户编码", "客户编号", "客户代码", "核算项目代码", "往来单位编码", "customerid", "customercode"),
    "customer_name": ("客户名称", "客户", "客户简称", "核算项目名称", "往来单位", "customername"),
    "summary": ("摘要", "备注说明"),
    "voucher": ("凭证号", "凭证字号"),
    "debit": ("借方", "借方金额", "本期应收", "应收", "借方/本币", "借方/金额", "应收/本币"),
    "credit": ("贷方", "贷方金额", "本期实收", "收款", "贷方/本币", "贷方/金额", "收款/本币"),
    "amount": ("金额", "原币金额", "本币金额", "价税合计", "应收金额", "amount", "invoiceamount"),
    "currency": ("币种", "币别", "currency"),
    "due_date": ("到期日", "到期日期", "duedate"),
    "bill_channel": ("账单方式", "开票方式", "发票形式", "paperlessbill"),
    "balance": ("余额", "期末余额"),
    "balance_direction": ("方向",),
    "account": ("科目编码", "科目代码"),
}


def draft_profile(app: Any, path: str | Path) -> tuple[str, list[str]]:
    """The TOML text of a starting profile for ``path`` and the header texts it could not place."""
    from ...domain.profile import join_header, norm

    with app.files.open_cells(path) as sheet:
        head = [c for _n, c in _head(sheet.rows)]
        source = sheet.source
    at = next((i for i, r in enumerate(head) if len({cell_str(c) for c in r} - {""}) >= 3), 0)
    rows = 1
    nxt = head[at + 1] if at + 1 < len(head) else []
    texts = list(dict.fromkeys(cell_str(c) for c in nxt if cell_str(c)))
    known = {cell_str(c) for c in head[at]}
    if texts and all(not any(ch.isdigit() for ch in t) for t in texts) and set(texts) - known:
        rows = 2  # a row of words under the header: a second header row (金额 / 本币 …)
    headers = join_header(head[at:at + rows])
    placed: dict[str, str] = {}
    unplaced: list[str] = []
    for h in headers:
        if not h:
            continue
        key = norm(h)
        hit = next((f for f, alts in GUESSES.items() if f not in placed and
                    any(key == norm(a) or key.endswith("/" + norm(a)) for a in alts)), None)
        if hit is None:
            unplaced.append(h)
        else:
            placed[hit] = h
    kind = "ledger" if {"debit", "credit"} <= placed.keys() else "invoices"
    if kind == "ledger":
        placed.pop("amount", None)
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in Path(source).stem.lower()).strip("-")
    name = ("my-" + stem)[:60].rstrip("-") if stem else "my-layout"
    lines = [
        f"# A starting profile written by `huikuan import profile new --from {source}`.",
        "# Check every column below against the file, fill in what is missing, then run",
        f"# `huikuan import detect {source}` to see the rows it reads (docs/imports.md, \"Layout profiles\").",
        "[profile]",
        f'name = "{name}"',
        f'kind = "{kind}"  # invoices, payments or ledger (debit = invoice, credit = payment)',
        f'title = {{ zh = "{Path(source).stem}", en = "{name}" }}',
        "",
        "[layout]",
        f"header_rows = {rows}",
        "",
        "[columns]",
    ]
    for f, h in placed.items():
        lines.append(f"{f} = {_toml_str(h)}")
    if unplaced:
        lines.append("# Columns not placed (use one if it holds a field above):")
        lines += [f"#   {_toml_str(h)}" for h in unplaced]
    lines += ["", "[customers]", "create = false  # true: create the customers the file names when unknown", ""]
    return "\n".join(lines), unplaced


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
