"""The per-customer aging snapshot (``aging_snapshot``): written by the daily run, read by ``aging``.

Exactness without trusting every writer: a trigger on ``invoice`` marks each changed customer in
``aging_dirty`` (bumping its ``version``). Readers take the snapshot rows of clean customers and compute
dirty customers from their invoices, in ONE statement (one database snapshot: a customer is never
counted twice nor missed when a payment commits meanwhile). A rebuild clears only the marks it saw
(customer and version), so a change made while it ran stays marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)

from ...domain.money import MAX_MINOR
from . import tables as t

SNAPSHOT_BUCKETS = (0, 30, 60, 90, 180, 365)  # domain.aging.DEFAULT_BUCKETS, the columns a0..a6
MAX_OPEN = MAX_MINOR  # 10¹³ yuan, the import's bound: beyond it an amount is bad data (``out_of_range``)
# A snapshot at most this many days older (or newer) is brought forward customer by customer (``rebuild``).
INCREMENTAL_DAYS = 14
CHUNK = 500  # customer ids per IN list
TOTAL_COLUMNS = [*[f"a{i}" for i in range(len(SNAPSHOT_BUCKETS) + 1)], "disputed", "overdue"]


def _grouped(company_id: int, as_of: date, buckets: Sequence[int], where: Any = None) -> Select[Any]:
    """(customer_id, currency, disputed, overdue, oldest, a0 … an) per customer and currency."""
    iv = t.invoice.c
    cuts = [as_of - timedelta(days=b) for b in buckets]
    cols = [func.sum(case((iv.due_on >= cuts[0], iv.open_minor), else_=0))]
    cols += [func.sum(case((and_(iv.due_on >= cuts[i], iv.due_on < cuts[i - 1]), iv.open_minor), else_=0))
             for i in range(1, len(cuts))]
    cols.append(func.sum(case((iv.due_on < cuts[-1], iv.open_minor), else_=0)))
    q = (select(iv.customer_id, iv.currency, func.sum(iv.disputed_minor).label("disputed"),
                func.sum(case((iv.due_on < as_of, iv.open_minor - iv.disputed_minor), else_=0)).label("overdue"),
                func.min(case((and_(iv.due_on < as_of, iv.open_minor > iv.disputed_minor), iv.due_on))).label("oldest"),
                *[c.label(f"a{i}") for i, c in enumerate(cols)])
         .where(iv.company_id == company_id, iv.open_minor != 0, iv.open_minor.between(-MAX_OPEN, MAX_OPEN)))
    if where is not None:
        q = q.where(where)
    return q.group_by(iv.customer_id, iv.currency)


class AgingRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def out_of_range(self) -> list[str]:
        """Codes of customers with an invoice beyond ``MAX_OPEN``: left out of aging (one overflowing
        sum would fail the report for the whole company) and named instead."""
        iv, cu = t.invoice.c, t.customer.c
        q = (select(cu.code).distinct().select_from(t.invoice.join(t.customer, cu.id == iv.customer_id))
             # ``open_minor != 0`` (true of any out-of-range amount) lets SQLite read the partial covering index
             # ix_invoice_open_cover instead of every invoice row: ~2x faster at 10^6 invoices.
             .where(iv.company_id == self.cid, iv.open_minor != 0, ~iv.open_minor.between(-MAX_OPEN, MAX_OPEN))
             .order_by(cu.code))
        return list(self.c.execute(q).scalars())

    def snapshot_day(self) -> date | None:
        st = t.aging_snapshot_state.c
        day = self.c.execute(select(st.as_of).where(st.company_id == self.cid)).scalar()
        return date.fromisoformat(day) if isinstance(day, str) else day

    def marks(self, span: tuple[int, int] | None = None) -> dict[int, int]:
        """customer → version of its mark: the customers whose invoices changed since a rebuild last cleared
        them (of those with an id in ``span``, lo..hi inclusive). The daily run reads them before anything
        else and checks only these customers' open tasks against their invoices (``rebuild``'s ``clear``)."""
        d = t.aging_dirty.c
        q = select(d.customer_id, d.version).where(
            d.company_id == self.cid, *([] if span is None else [d.customer_id >= span[0], d.customer_id <= span[1]]))
        return {int(cid): int(v) for cid, v in self.c.execute(q)}

    def rebuild(self, as_of: date, clear: Mapping[int, int] | None = None) -> int:
        """Bring every customer's row to ``as_of`` (in the caller's write transaction); returns the rows written.

        Incremental when the snapshot is of a day at most ``INCREMENTAL_DAYS`` away (the daily run's next
        working day): a clean customer's row changes only where one of its open invoices crosses a bucket
        edge between the two days (due dates in ``_shifted``), so only those customers and the marked ones
        are recomputed (~5 % of 10^5 customers a day at 10^6 invoices instead of every one). Otherwise, or
        for the first snapshot, every row is recomputed. Both give the same table (tests/integration/
        test_aging_snapshot.py compares them after random histories over many days).

        Marks cleared: those seen now, or only those of ``clear`` (customer → version, as the daily run read
        them before checking their tasks) still at that version — a mark made after the run read it stays,
        so the next run checks that customer's tasks again (ADR 0008)."""
        d = t.aging_dirty.c
        seen = self.marks()
        before = self.snapshot_day()
        if before is None or abs((as_of - before).days) > INCREMENTAL_DAYS:
            n = self._recompute(as_of, None)
        else:
            n = self._recompute(as_of, sorted(set(seen) | self._shifted(before, as_of)))
        done = seen if clear is None else clear
        if done:
            self.c.execute(delete(t.aging_dirty).where(
                d.company_id == self.cid, d.customer_id == bindparam("customer_id"), d.version == bindparam("version")),
                [{"customer_id": cid, "version": v} for cid, v in done.items()])
        st = t.aging_snapshot_state
        self.c.execute(delete(st).where(st.c.company_id == self.cid))
        self.c.execute(insert(st).values(company_id=self.cid, as_of=as_of))
        self._write_totals()
        return n

    def _shifted(self, before: date, after: date) -> set[int]:
        """Customers with an open invoice whose bucket (or overdue state) differs between the two days: due
        on or after an edge on one day and before it on the other. Read off ix_invoice_open_cover."""
        if before == after:
            return set()
        lo, hi = min(before, after), max(before, after)
        iv = t.invoice.c
        # edge ``as_of - b``: a0 (not due) and ``overdue``/``oldest`` at b = 0, each older bucket at its own b;
        # the due dates in [lo - b, hi - b) listed (an IN list: 4x faster on SQLite than ranges ORed)
        days = sorted({lo - timedelta(days=b - i) for b in SNAPSHOT_BUCKETS for i in range((hi - lo).days)})
        q = (select(iv.customer_id).distinct()
             .where(iv.company_id == self.cid, iv.open_minor != 0, iv.due_on.in_(days)))
        return {int(cid) for cid in self.c.execute(q).scalars()}

    def _recompute(self, as_of: date, customers: Sequence[int] | None) -> int:
        """Replace the rows of ``customers`` (None: of every customer) by their rows for ``as_of``."""
        s = t.aging_snapshot
        names = ["customer_id", "currency", "disputed", "overdue", "oldest",
                 *[f"a{i}" for i in range(len(SNAPSHOT_BUCKETS) + 1)]]
        chunks: list[Sequence[int] | None] = ([None] if customers is None else
                                              [customers[i:i + CHUNK] for i in range(0, len(customers), CHUNK)])
        n = 0
        for chunk in chunks:
            mine = None if chunk is None else s.c.customer_id.in_(list(chunk))
            self.c.execute(delete(s).where(s.c.company_id == self.cid, *([] if mine is None else [mine])))
            src = _grouped(self.cid, as_of, SNAPSHOT_BUCKETS,
                           None if chunk is None else t.invoice.c.customer_id.in_(list(chunk)))
            src = select(literal(self.cid).label("company_id"), *src.subquery().c)
            n += int(self.c.execute(insert(s).from_select(["company_id", *names], src)).rowcount or 0)
        return n

    def _write_totals(self) -> None:
        """The snapshot's column sums per currency (``aging_snapshot_total``), from the rows just written."""
        s, tot = t.aging_snapshot.c, t.aging_snapshot_total
        self.c.execute(delete(tot).where(tot.c.company_id == self.cid))
        sums = select(s.company_id, s.currency, *[func.sum(s[c]) for c in TOTAL_COLUMNS]).where(
            s.company_id == self.cid).group_by(s.company_id, s.currency)
        self.c.execute(insert(tot).from_select(["company_id", "currency", *TOTAL_COLUMNS], sums))

    def rows(self, as_of: date) -> list[tuple[int, str, list[int], int, int, date | None]] | None:
        """The aging rows for ``as_of`` in ``CollectRepo.aging_rows``'s shape, from the snapshot — or None
        when the snapshot is not of that day (the caller computes from the invoices)."""
        if self.snapshot_day() != as_of:
            return None
        s, d = t.aging_snapshot.c, t.aging_dirty.c
        dirty = select(d.customer_id).where(d.company_id == self.cid)
        # ``coalesce`` keeps SQLite's planner off ix_aging_snapshot_overdue: reaching each of 10^5 rows through
        # an index on company is several times slower than reading the table once.
        clean = select(s.customer_id, s.currency, s.disputed, s.overdue, s.oldest,
                       *[s[f"a{i}"] for i in range(len(SNAPSHOT_BUCKETS) + 1)]).where(
            func.coalesce(s.company_id, self.cid) == self.cid, s.customer_id.not_in(dirty))
        live = _grouped(self.cid, as_of, SNAPSHOT_BUCKETS, t.invoice.c.customer_id.in_(dirty))
        # 10⁵ rows for `aging` in ≤ 1.5 s: plain DBAPI rows (SQLAlchemy's per-row processing was a third of
        # the report); SQLite returns the sums as int already, PostgreSQL's are numeric.
        rows = self.c.execute(union_all(clean, live)).cursor.fetchall()
        day = date.fromisoformat
        if self.c.dialect.name == "sqlite":  # ints already, dates as ISO text
            return [(r[0], r[1], list(r[5:]), r[2], r[3], None if r[4] is None else day(r[4])) for r in rows]
        return [(cid, cur, [int(a) for a in amounts], int(disputed), int(overdue), oldest)
                for cid, cur, disputed, overdue, oldest, *amounts in rows]

    def summary(self, as_of: date, currency: str, top: int) -> AgingSummary:
        """The dashboard's figures in ``currency``, summed in the database: each bucket's total, the overdue
        and disputed totals, and the ``top`` customers by collectable overdue money (ties by code).

        From the snapshot when it is of ``as_of`` (the clean customers' rows through the indexes, the dirty
        ones computed live); else from the invoices (slower: before the day's run has rebuilt it)."""
        n = len(SNAPSHOT_BUCKETS) + 1
        cols = [f"a{i}" for i in range(n)]
        if self.snapshot_day() == as_of:
            s, d = t.aging_snapshot.c, t.aging_dirty.c
            dirty = select(d.customer_id).where(d.company_id == self.cid)
            where = (s.company_id == self.cid, s.currency == currency, s.customer_id.not_in(dirty))
            sums = self._clean_totals(currency, dirty)
            live = _grouped(self.cid, as_of, SNAPSHOT_BUCKETS,
                            and_(t.invoice.c.customer_id.in_(dirty), t.invoice.c.currency == currency)).subquery()
            rows = [tuple(r) for r in self.c.execute(select(live.c.customer_id, *[live.c[c] for c in cols],
                                                            live.c.overdue, live.c.disputed))]
            best = self._top_clean(where, top)
        else:
            g = _grouped(self.cid, as_of, SNAPSHOT_BUCKETS, t.invoice.c.currency == currency).subquery()
            sums = [int(x) for x in self.c.execute(
                select(*[func.coalesce(func.sum(g.c[c]), 0) for c in (*cols, "overdue", "disputed")])).one()]
            rows = []
            cu = t.customer.c
            best = [tuple(r) for r in self.c.execute(
                select(g.c.customer_id, *[g.c[c] for c in cols], g.c.overdue, g.c.disputed)
                .join(t.customer, and_(cu.company_id == self.cid, cu.id == g.c.customer_id))
                .where(g.c.overdue > 0).order_by(g.c.overdue.desc(), cu.code).limit(top))]
        totals = [int(x) for x in sums]
        for r in rows:  # the dirty customers, live
            for i, v in enumerate(r[1:]):
                totals[i] += int(v or 0)
        cands = {int(r[0]): r for r in best}
        cands.update({int(r[0]): r for r in rows if int(r[-2] or 0) > 0})
        codes = self._codes(cands)
        ranked = sorted((r for r in cands.values() if int(r[0]) in codes),
                        key=lambda r: (-int(r[-2]), codes[int(r[0])][0]))[:top]
        out = [AgingSummaryRow(code=codes[int(r[0])][0], name=codes[int(r[0])][1],
                               amounts=[int(v or 0) for v in r[1:n + 1]], overdue=int(r[-2]), disputed=int(r[-1] or 0))
               for r in ranked]
        return AgingSummary(amounts=totals[:n], overdue=totals[n], disputed=totals[n + 1], top=out)

    def _clean_totals(self, currency: str, dirty: Any) -> list[int]:
        """The clean customers' column sums (buckets, overdue, disputed): the totals kept with the snapshot
        less the snapshot rows of the customers changed since (a few, by primary key) — the dashboard no
        longer adds up 10^5 rows per view."""
        s, tot = t.aging_snapshot.c, t.aging_snapshot_total.c
        cols = [f"a{i}" for i in range(len(SNAPSHOT_BUCKETS) + 1)] + ["overdue", "disputed"]
        kept = self.c.execute(select(*[tot[c] for c in cols]).where(
            tot.company_id == self.cid, tot.currency == currency)).first()
        if kept is None:  # no snapshot row in this currency
            return [0] * len(cols)
        changed = self.c.execute(select(*[func.coalesce(func.sum(s[c]), 0) for c in cols]).where(
            s.company_id == self.cid, s.currency == currency, s.customer_id.in_(dirty))).one()
        return [int(k) - int(d) for k, d in zip(kept, changed, strict=True)]

    def _top_clean(self, where: Any, top: int) -> list[tuple[Any, ...]]:
        """The snapshot's ``top`` rows by overdue off ix_aging_snapshot_overdue, plus any tied with the last."""
        s = t.aging_snapshot.c
        pick = [s.customer_id, *[s[f"a{i}"] for i in range(len(SNAPSHOT_BUCKETS) + 1)], s.overdue, s.disputed]
        first = [tuple(r) for r in self.c.execute(select(*pick).where(*where, s.overdue > 0)
                                                  .order_by(s.overdue.desc()).limit(top))]
        if len(first) < top:
            return first
        return [tuple(r) for r in self.c.execute(select(*pick).where(*where, s.overdue >= first[-1][-2]))]

    def _codes(self, rows: dict[int, Any]) -> dict[int, tuple[str, str]]:
        if not rows:
            return {}
        cu = t.customer.c
        return {int(i): (str(c), str(nm)) for i, c, nm in self.c.execute(
            select(cu.id, cu.code, cu.name).where(cu.company_id == self.cid, cu.id.in_(list(rows))))}


@dataclass(frozen=True, slots=True)
class AgingSummaryRow:
    code: str
    name: str
    amounts: list[int]
    overdue: int
    disputed: int


@dataclass(frozen=True, slots=True)
class AgingSummary:
    amounts: list[int]  # one total per bucket (SNAPSHOT_BUCKETS, then older)
    overdue: int
    disputed: int
    top: list[AgingSummaryRow]
