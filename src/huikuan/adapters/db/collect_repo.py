"""Set-based queries and writes of the daily run and the collection services.

Every read is one statement over the company's rows (grouped by customer where it can be), never a
query per customer or per invoice. Writers never commit: the unit of work does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    CursorResult,
    and_,
    case,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)

from ...domain.money import MAX_MINOR
from . import tables as t


def scope_condition(scope: Any) -> list[Any]:
    """The WHERE terms that keep a query inside a ``domain.access.Scope`` (none for everything / None)."""
    if scope is None or scope.everything:
        return []
    cu = t.customer.c
    terms = []
    if scope.person and scope.as_collector:
        terms.append(cu.collector == scope.person)
    if scope.person and scope.as_sales:
        terms.append(cu.sales_owner == scope.person)
    return [or_(*terms)] if terms else [false()]


Span = tuple[int, int] | None  # customer ids lo..hi (inclusive) the daily run's worker reads; None: all


def _in_span(col: Any, span: Span) -> list[Any]:
    return [] if span is None else [col >= span[0], col <= span[1]]


def _span_sql(span: Span) -> tuple[str, tuple[int, ...]]:
    return ("", ()) if span is None else (" AND customer_id >= ? AND customer_id <= ?", span)


def _new_id(result: CursorResult[Any]) -> int:
    """The generated primary key of a one-row INSERT."""
    key = result.inserted_primary_key
    assert key is not None, "INSERT without a generated key"
    return int(key[0])


class CustomerRow(NamedTuple):
    """A customer as the daily run (and the credit reviews) read it: ``CollectRepo.customers``."""

    id: int
    code: str
    name: str
    type: str
    terms: str
    currency: str
    paused: bool
    credit_status: str
    shipment_locked: bool
    credit_limit_minor: int
    policy: str | None
    segment: str | None
    collector: str | None
    requires_statement: bool


MANY_CUSTOMERS = 5_000  # more customer ids than this: one scan filtered in Python instead of IN lists
RANK_WINDOW = 2_000  # ranked positions Today reads through before it sorts instead (``_ranked_head``)
UNRANKED = 2_000_000_000  # the position of a task the expected-value ranking has not seen: after the ranked


class CollectRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    # ── reads for gather ───────────────────────────────────────────────────────────────────
    def customer_ids(self) -> list[int]:
        cu = t.customer.c
        return list(self.c.execute(select(cu.id).where(cu.company_id == self.cid).order_by(cu.id)).scalars())

    def customers(self, span: Span = None) -> list[CustomerRow]:
        """The company's customers (those with an id in ``span``) in id order, as plain named tuples: the run
        reads 10^5 of them, and SQLAlchemy's per-row processing cost more than the read (flags as bool on both
        backends, as SQLAlchemy would give them)."""
        within = "" if span is None else " AND id >= ? AND id <= ?"
        rows = self._raw(f"SELECT {', '.join(CustomerRow._fields)} FROM customer WHERE company_id = ?{within} "
                         "ORDER BY id", self.cid, *(span or ()))
        if self.c.dialect.name != "sqlite":
            return [CustomerRow._make(r) for r in rows]
        make = CustomerRow._make
        return [make((*r[:6], bool(r[6]), r[7], bool(r[8]), *r[9:13], bool(r[13]))) for r in rows]

    def open_items(self, span: Span = None) -> Iterator[tuple[int, int, str, date, int, int, str]]:
        """(customer_id, invoice_id, number, due_on, open_minor, disputed_minor, currency), by customer,
        currency, then due date (the run keeps the customer's currency, so what it keeps is oldest first).

        The hot read of the run (10⁶ rows): plain DBAPI rows, dates parsed with the C ``fromisoformat``
        on SQLite; the ORDER BY is ``ix_invoice_open_cover``'s columns, so SQLite needs no sort and
        invoices due the same day come in one order on both backends, however a worker's share of the
        customers is read (PostgreSQL's plan for a share may differ from the whole company's)."""
        sqlite = self.c.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        within, bounds = _span_sql(span)
        cur = self.c.exec_driver_sql(
            "SELECT customer_id, id, number, due_on, open_minor, disputed_minor, currency FROM invoice "
            f"WHERE company_id = ? AND open_minor <> 0{within} "
            "ORDER BY customer_id, currency, due_on, open_minor, disputed_minor, number"
            .replace("?", mark), (self.cid, *bounds),
        ).cursor
        parse = date.fromisoformat
        while True:
            chunk = cur.fetchmany(20_000)
            if not chunk:
                return
            if sqlite:
                for cid, iid, number, due, open_minor, disputed, currency in chunk:
                    yield cid, iid, number, parse(due), open_minor, disputed, currency
            else:
                yield from chunk

    def invoices_as_of(self, as_of: date, customer_ids: Sequence[int] | None = None) -> list[Any]:
        """Invoices dated on or before ``as_of`` with (amount, allocated, disputes open) as they stood that
        day: allocations by their own date, disputes opened by then and not yet resolved then.
        Rows: (id, customer_id, number, invoice_on, due_on, amount_minor, currency, allocated, disputes)."""
        iv, a, d = t.invoice.c, t.allocation.c, t.dispute.c
        alloc = (select(a.invoice_id.label("k"), func.sum(a.amount_minor).label("s"))
                 .where(a.company_id == self.cid, a.allocated_on <= as_of).group_by(a.invoice_id).subquery())
        disp = (select(d.invoice_id.label("k"), func.sum(d.amount_minor).label("s"))
                .where(d.company_id == self.cid, d.opened_on <= as_of,
                       or_(d.resolved_on.is_(None), d.resolved_on > as_of)).group_by(d.invoice_id).subquery())
        q = (select(iv.id, iv.customer_id, iv.number, iv.invoice_on, iv.due_on, iv.amount_minor, iv.currency,
                    func.coalesce(alloc.c.s, 0).label("allocated"), func.coalesce(disp.c.s, 0).label("disputes"))
             .select_from(t.invoice.outerjoin(alloc, alloc.c.k == iv.id).outerjoin(disp, disp.c.k == iv.id))
             .where(iv.company_id == self.cid, iv.invoice_on <= as_of)
             .order_by(iv.customer_id, iv.due_on, iv.number))
        out: list[Any] = []
        ids = None if customer_ids is None else sorted(set(customer_ids))
        chunks: list[list[int] | None] = [None] if ids is None else [ids[i:i + 500] for i in range(0, len(ids), 500)]
        for chunk in chunks:
            out += self.c.execute(q if chunk is None else q.where(iv.customer_id.in_(chunk))).all()
        return out

    def customer_labels(self) -> dict[int, tuple[str, str, str | None, str | None, str | None]]:
        """id → (code, name, collector, segment, policy): what reports group and label by."""
        cu = t.customer.c
        q = select(cu.id, cu.code, cu.name, cu.collector, cu.segment, cu.policy).where(cu.company_id == self.cid)
        return {r[0]: r[1:] for r in self.c.execute(q).cursor.fetchall()}  # plain rows

    def last_activity(self, before: date, span: Span = None) -> dict[tuple[int, str], date]:
        a = t.activity.c
        q = (select(a.customer_id, a.channel, func.max(a.on))
             .where(a.company_id == self.cid, a.on < before, *_in_span(a.customer_id, span))
             .group_by(a.customer_id, a.channel))
        return {(cid, ch): d for cid, ch, d in self.c.execute(q)}

    def _raw(self, sql: str, *params: Any) -> Iterator[tuple[Any, ...]]:
        """Plain DBAPI rows for the run's big reads (10⁵–10⁶ rows), dates as the driver returns them."""
        mark = "?" if self.c.dialect.name == "sqlite" else "%s"
        cur = self.c.exec_driver_sql(sql.replace("?", mark), params).cursor
        while chunk := cur.fetchmany(50_000):
            yield from chunk

    def _day(self, d: date) -> Any:
        return d.isoformat() if self.c.dialect.name == "sqlite" else d

    def last_action(self, before: date, span: Span = None) -> dict[tuple[int, str], date]:
        within, bounds = _span_sql(span)
        rows = self._raw("SELECT customer_id, ladder, max(run_on) FROM action WHERE company_id = ? AND run_on < ? "
                         f"AND status <> 'rejected'{within} GROUP BY customer_id, ladder",
                         self.cid, self._day(before), *bounds)
        return {(cid, lad): (date.fromisoformat(d) if isinstance(d, str) else d) for cid, lad, d in rows}

    def history(self, before: date, since: date, span: Span = None) -> dict[int, set[tuple[str, str]]]:
        out: dict[int, set[tuple[str, str]]] = defaultdict(set)
        within, bounds = _span_sql(span)
        for cid, stage, anchor in self._raw(
            "SELECT DISTINCT customer_id, stage, anchor FROM action WHERE company_id = ? AND run_on < ? "
            f"AND run_on >= ?{within}", self.cid, self._day(before), self._day(since), *bounds,
        ):
            out[cid].add((stage, anchor))
        return out

    def pending(self, before: date, span: Span = None) -> dict[int, set[str]]:
        """Stages with a proposal still awaiting a decision, made before ``before`` (today's are the run's)."""
        within, bounds = _span_sql(span)
        out: dict[int, set[str]] = defaultdict(set)
        for cid, stage in self._raw(  # ~2.5*10^5 rows after a first run: plain rows (ix_action_open)
                "SELECT DISTINCT customer_id, stage FROM action WHERE company_id = ? AND status = 'open' "
                f"AND needs_approval = ? AND run_on < ?{within}", self.cid, True, self._day(before), *bounds):
            out[cid].add(stage)
        return out

    def promises(self, since: date, upto: date, customer_id: int | None = None, span: Span = None) -> list[Any]:
        """Promises made since ``since`` (of one customer, or all) with the money received from their
        making up to ``upto``."""
        p, pay = t.promise.c, t.payment.c
        paid = (
            select(func.coalesce(func.sum(pay.amount_minor), 0))
            .where(pay.company_id == p.company_id, pay.customer_id == p.customer_id,
                   pay.paid_on >= p.made_on, pay.paid_on <= upto)
            .scalar_subquery()
        )
        q = (select(p.id, p.customer_id, p.amount_minor, p.promised_on, p.made_on, paid.label("paid"))
             .where(p.company_id == self.cid, p.made_on >= since, p.made_on <= upto,
                    *([p.customer_id == customer_id] if customer_id is not None else []),
                    *_in_span(p.customer_id, span))
             .order_by(p.customer_id, p.made_on, p.promised_on, p.id))
        return list(self.c.execute(q))

    def last_payment(self, span: Span = None) -> dict[int, date]:
        pay = t.payment.c
        q = (select(pay.customer_id, func.max(pay.paid_on))
             .where(pay.company_id == self.cid, *_in_span(pay.customer_id, span)).group_by(pay.customer_id))
        return dict(self.c.execute(q).all())

    def statements(self, period: str, customer_id: int | None = None, span: Span = None) -> dict[int, Any]:
        s = t.statement.c
        q = select(s.customer_id, s.prepared_on, s.checked_on, s.sent_on, s.confirmed_on).where(
            s.company_id == self.cid, s.period == period,
            *([s.customer_id == customer_id] if customer_id is not None else []), *_in_span(s.customer_id, span))
        return {r.customer_id: r for r in self.c.execute(q)}

    def segment_policies(self) -> dict[str, str]:
        sp = t.segment_policy.c
        return dict(self.c.execute(select(sp.segment, sp.policy).where(sp.company_id == self.cid)).all())

    def set_segment_policy(self, segment: str, policy: str) -> None:
        sp = t.segment_policy.c
        self.c.execute(t.segment_policy.delete().where(sp.company_id == self.cid, sp.segment == segment))
        self.c.execute(insert(t.segment_policy).values(company_id=self.cid, segment=segment, policy=policy))

    # ── writes of apply ────────────────────────────────────────────────────────────────────
    def date_param(self, d: date) -> Any:
        """A date as the DBAPI of this database takes it in ``insert_actions`` (SQLite stores ISO text)."""
        return d.isoformat() if self.c.dialect.name == "sqlite" else d

    ACTION_COLUMNS = (
        "company_id", "customer_id", "run_on", "run_id", "ladder", "stage", "kind", "channel", "channels",
        "assignee_role", "assignee", "letter", "needs_approval", "status", "rule_id", "policy_id", "policy_version",
        "anchor", "amount_minor", "currency", "invoices", "params", "reason_zh", "reason_en",
    )
    JSON_COLUMNS = frozenset({"channels", "invoices", "params"})

    def insert_actions(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert rows (in ``ACTION_COLUMNS`` order, JSON already encoded), skipping any (customer, stage,
        day) that exists — the run's idempotency key. Returns how many were new.

        Plain DBAPI executemany: at 10⁵ actions SQLAlchemy's per-row parameter processing cost more
        than the database work."""
        if not rows:
            return 0
        sqlite = self.c.dialect.name == "sqlite"
        marks = ", ".join(("?" if sqlite else ("%s::json" if c in self.JSON_COLUMNS else "%s")) for c in self.ACTION_COLUMNS)
        sql = (f"INSERT INTO action ({', '.join(self.ACTION_COLUMNS)}) VALUES ({marks}) "
               "ON CONFLICT (company_id, customer_id, stage, run_on) DO NOTHING")
        cur = self.c.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(sql, rows)
            return int(cur.rowcount)
        finally:
            cur.close()

    def supersede_tasks(self, run_on: date) -> int:
        """Older open tasks are replaced by today's task of the same ladder and kind (yesterday's undone
        call by today's call); escalations stay on their owner's list until done. One statement."""
        x = t.action.c
        new = t.action.alias("new")
        n = new.c
        today_same = (select(n.id).where(n.company_id == x.company_id, n.customer_id == x.customer_id,
                                         n.ladder == x.ladder, n.kind == x.kind, n.run_on == run_on).exists())
        r = self.c.execute(update(t.action).where(
            x.company_id == self.cid, x.status == "open", x.needs_approval.is_(False), x.run_on < run_on, today_same,
        ).values(status="cancelled", decided_on=run_on, decision_note="superseded"))
        return int(r.rowcount or 0)

    # ── tasks about money no longer collectable ────────────────────────────────────────────
    def open_task_invoices(self, customer_ids: Iterable[int] | None = None,
                           span: Span = None) -> dict[int, list[tuple[int, list[str]]]]:
        """customer → [(action id, invoice numbers)] of open actions that name invoices (of ``customer_ids``
        only, when given: by customer through ix_action_customer_open, or — for many — one scan kept to them)."""
        within, bounds = _span_sql(span)
        sql = f"SELECT customer_id, id, invoices FROM action WHERE company_id = ? AND status = 'open'{within}"
        params: list[Any] = [self.cid, *bounds]
        ids = None if customer_ids is None else sorted(set(customer_ids))
        keep = None if ids is None or len(ids) <= MANY_CUSTOMERS else set(ids)
        out: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
        chunks: list[list[int] | None] = ([None] if ids is None or keep is not None else
                                          [ids[i:i + 500] for i in range(0, len(ids), 500)])
        parsed: dict[str, Any] = {}  # a customer's open tasks mostly name the same invoices: parse each text once
        for chunk in chunks:
            where = "" if chunk is None else f" AND customer_id IN ({', '.join('?' * len(chunk))})"
            for cid, aid, invoices in self._raw(sql + where, *params, *(chunk or [])):
                if keep is not None and cid not in keep:
                    continue
                if isinstance(invoices, str):
                    names = parsed.get(invoices)
                    if names is None:
                        names = parsed[invoices] = json.loads(invoices)
                else:
                    names = invoices
                if names:
                    out[cid].append((aid, list(names)))
        return out

    def collectable_by_number(self, customer_ids: Iterable[int]) -> dict[str, int]:
        """invoice number → open − disputed, for these customers' invoices with money open."""
        ids = sorted(set(customer_ids))
        out: dict[str, int] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for number, open_minor, disputed in self._raw(
                f"SELECT number, open_minor, disputed_minor FROM invoice WHERE company_id = ? AND open_minor > 0 "
                f"AND customer_id IN ({', '.join('?' * len(chunk))})", self.cid, *chunk):
                out[number] = int(open_minor) - int(disputed)
        return out

    def close_actions(self, closures: Sequence[tuple[int, str]], on: date) -> int:
        """Close open actions (id, reason code) whose money is no longer collectable; returns how many."""
        x = t.action.c
        n = 0
        by_reason: dict[str, list[int]] = defaultdict(list)
        for aid, reason in closures:
            by_reason[reason].append(aid)
        for reason, ids in by_reason.items():
            for i in range(0, len(ids), 500):
                r = self.c.execute(update(t.action).where(
                    x.company_id == self.cid, x.status == "open", x.id.in_(ids[i:i + 500]),
                ).values(status="cancelled", decided_on=on, decision_note=reason))
                n += int(r.rowcount or 0)
        return n

    # ── disputes ───────────────────────────────────────────────────────────────────────────
    def unresolved_disputes(self, paid_only: bool = False) -> list[Any]:
        """Unresolved disputes with their invoice and customer; ``paid_only``: those whose invoice has
        nothing open any more (paid, credited or written off), which only wait to be closed."""
        d, iv, cu = t.dispute.c, t.invoice.c, t.customer.c
        q = (select(d.id, d.amount_minor, d.category, d.opened_on, iv.number.label("invoice"),
                    iv.open_minor.label("invoice_open_minor"), iv.currency, cu.code.label("customer"))
             .join(t.invoice, and_(iv.company_id == d.company_id, iv.id == d.invoice_id))
             .join(t.customer, and_(cu.company_id == d.company_id, cu.id == d.customer_id))
             .where(d.company_id == self.cid, d.resolved_on.is_(None),
                    *([iv.open_minor <= 0] if paid_only else []))
             .order_by(cu.code, d.opened_on, d.id))
        return list(self.c.execute(q))

    def resolve_disputes(self, dispute_ids: Sequence[int], on: date) -> int:
        d = t.dispute.c
        n = 0
        ids = list(dispute_ids)
        for i in range(0, len(ids), 500):
            r = self.c.execute(update(t.dispute).where(d.company_id == self.cid, d.resolved_on.is_(None),
                                                       d.id.in_(ids[i:i + 500])).values(resolved_on=on))
            n += int(r.rowcount or 0)
        return n

    def set_credit_status(self, customer_ids: Iterable[int], status: str) -> None:
        cu = t.customer.c
        ids = list(customer_ids)
        for i in range(0, len(ids), 500):
            self.c.execute(update(t.customer).where(cu.company_id == self.cid, cu.id.in_(ids[i:i + 500]))
                           .values(credit_status=status, version=cu.version + 1))

    def actions_on(self, run_on: date) -> list[Any]:
        x, cu = t.action.c, t.customer.c
        q = (select(t.action, cu.code.label("customer_code"))
             .join(t.customer, and_(cu.company_id == x.company_id, cu.id == x.customer_id))
             .where(x.company_id == self.cid, x.run_on == run_on).order_by(x.id))
        return list(self.c.execute(q))

    def aging_rows(self, as_of: date, buckets: Sequence[int]) -> list[Any]:
        """Per customer and currency: open money per aging bucket, disputed money, collectable (undisputed)
        overdue money and the oldest due date of collectable overdue money —
        as (customer_id, currency, amounts, disputed, overdue, oldest).

        One pass over the covering index, one row per customer: conditional sums per bucket."""
        iv = t.invoice.c
        cuts = [as_of - timedelta(days=b) for b in buckets]
        cols = [func.sum(case((iv.due_on >= cuts[0], iv.open_minor), else_=0))]
        cols += [func.sum(case((and_(iv.due_on >= cuts[i], iv.due_on < cuts[i - 1]), iv.open_minor), else_=0))
                 for i in range(1, len(cuts))]
        cols.append(func.sum(case((iv.due_on < cuts[-1], iv.open_minor), else_=0)))
        q = (select(iv.customer_id, iv.currency, func.sum(iv.disputed_minor),
                    func.sum(case((iv.due_on < as_of, iv.open_minor - iv.disputed_minor), else_=0)),
                    func.min(case((and_(iv.due_on < as_of, iv.open_minor > iv.disputed_minor), iv.due_on))), *cols)
             .where(iv.company_id == self.cid, iv.open_minor != 0, iv.open_minor.between(-MAX_MINOR, MAX_MINOR))
             .group_by(iv.customer_id, iv.currency))  # beyond 10¹³ yuan: bad data, named by AgingRepo.out_of_range
        out = []
        for cid, cur, disputed, overdue, oldest, *amounts in self.c.execute(q):
            out.append((cid, cur, [int(a) for a in amounts], int(disputed), int(overdue),
                        date.fromisoformat(oldest) if isinstance(oldest, str) else oldest))
        return out

    # ── runs and the run lock ──────────────────────────────────────────────────────────────
    def start_run(self, as_of: date, now: datetime, dry_run: bool, pid: int | None = None,
                  host: str | None = None) -> int:
        r = self.c.execute(insert(t.run).values(
            company_id=self.cid, as_of=as_of, started_at=now, status="running", dry_run=dry_run,
            counts={}, caught_up=[], errors=[], pid=pid, host=host, heartbeat_at=now))
        return _new_id(r)

    def heartbeat(self, run_id: int, now: datetime) -> None:
        """Renew the run's lease (only while it is still running)."""
        r = t.run.c
        self.c.execute(update(t.run).where(r.id == run_id, r.status == "running").values(heartbeat_at=now))

    def interrupt_runs_of(self, pid: int, host: str, now: datetime) -> None:
        """Mark this process's running runs interrupted and free the lock any of them holds."""
        r, lk = t.run.c, t.run_lock.c
        mine = select(r.id).where(r.company_id == self.cid, r.status == "running", r.pid == pid, r.host == host)
        self.c.execute(t.run_lock.delete().where(lk.company_id == self.cid, lk.run_id.in_(mine)))
        self.c.execute(update(t.run).where(r.id.in_(mine)).values(
            status="interrupted", finished_at=now))

    def mark_interrupted(self, run_id: int, now: datetime) -> None:
        r = t.run.c
        self.c.execute(update(t.run).where(r.id == run_id, r.status == "running").values(
            status="interrupted", finished_at=now))

    def finish_run(self, run_id: int, now: datetime, status: str, counts: dict[str, int],
                   caught_up: list[str], errors: list[dict[str, str]]) -> None:
        self.c.execute(update(t.run).where(t.run.c.id == run_id).values(
            finished_at=now, status=status, counts=counts, caught_up=caught_up, errors=errors))

    def lock_holder(self) -> Any:
        """The lock row with its run's holder and lease (run columns None when the run row is gone)."""
        lk, r = t.run_lock.c, t.run.c
        q = (select(lk.run_id, lk.locked_at, r.status, r.pid, r.host, r.heartbeat_at)
             .select_from(t.run_lock.outerjoin(t.run, r.id == lk.run_id))
             .where(lk.company_id == self.cid))
        return self.c.execute(q).first()

    def take_lock(self, run_id: int, now: datetime) -> None:
        self.c.execute(insert(t.run_lock).values(company_id=self.cid, run_id=run_id, locked_at=now))

    def drop_lock(self, run_id: int | None = None) -> None:
        lk = t.run_lock.c
        cond = [lk.company_id == self.cid] + ([lk.run_id == run_id] if run_id is not None else [])
        self.c.execute(t.run_lock.delete().where(*cond))

    def run_days(self, since: date, before: date) -> set[date]:
        r = t.run.c
        q = select(r.as_of).distinct().where(
            r.company_id == self.cid, r.dry_run.is_(False), r.status == "done", r.as_of >= since, r.as_of < before)
        return set(self.c.execute(q).scalars())

    def last_run_day(self, before: date) -> date | None:
        r = t.run.c
        return self.c.execute(select(func.max(r.as_of)).where(
            r.company_id == self.cid, r.dry_run.is_(False), r.status == "done", r.as_of < before)).scalar()

    def runs(self, limit: int = 30) -> list[Any]:
        r = t.run.c
        return list(self.c.execute(select(t.run).where(r.company_id == self.cid).order_by(r.id.desc()).limit(limit)))



class CustomerRepo:
    """Single-customer reads and writes for the collection services and ``customer show``."""

    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    def by_code(self, code: str, scope: Any = None) -> Any:
        """The customer with ``code``, or None — also when it lies outside ``scope`` (as if it did not exist)."""
        cu = t.customer.c
        return self.c.execute(select(t.customer).where(cu.company_id == self.cid, cu.code == code,
                                                       *scope_condition(scope))).first()

    def by_id(self, customer_id: int, scope: Any = None) -> Any:
        cu = t.customer.c
        return self.c.execute(select(t.customer).where(cu.company_id == self.cid, cu.id == customer_id,
                                                       *scope_condition(scope))).first()

    def summaries(self, customer_ids: Sequence[int], today: date) -> list[Any]:
        cu, iv, p = t.customer.c, t.invoice.c, t.payment.c
        open_ = (select(func.coalesce(func.sum(iv.open_minor), 0)).where(
            iv.company_id == cu.company_id, iv.customer_id == cu.id, iv.open_minor != 0).scalar_subquery())
        overdue = (select(func.coalesce(func.sum(iv.open_minor - iv.disputed_minor), 0)).where(
            iv.company_id == cu.company_id, iv.customer_id == cu.id, iv.open_minor != 0, iv.due_on < today)
            .scalar_subquery())
        last = select(func.max(p.paid_on)).where(p.company_id == cu.company_id, p.customer_id == cu.id).scalar_subquery()
        q = select(cu.id, cu.code, cu.currency, cu.credit_limit_minor, cu.credit_status, open_.label("open_minor"),
                   overdue.label("overdue_minor"), last.label("last_payment_on")).where(
            cu.company_id == self.cid, cu.id.in_(list(customer_ids)))
        return list(self.c.execute(q))

    def promises_between(self, first: date, last: date) -> list[Any]:
        p, cu = t.promise.c, t.customer.c
        return list(self.c.execute(
            select(t.promise, cu.code.label("customer_code"), cu.name.label("customer_name"))
            .join(t.customer, and_(cu.company_id == p.company_id, cu.id == p.customer_id))
            .where(p.company_id == self.cid, p.promised_on >= first, p.promised_on <= last)
            .order_by(p.promised_on, p.amount_minor.desc())))

    def open_proposals_count(self, upto: date) -> int:
        x = t.action.c
        return int(self.c.execute(select(func.count()).where(
            x.company_id == self.cid, x.status == "open", x.needs_approval.is_(True), x.run_on <= upto)).scalar() or 0)

    def collected_between(self, first: date, last: date, currency: str) -> int:
        p = t.payment.c
        return int(self.c.execute(select(func.coalesce(func.sum(p.amount_minor), 0)).where(
            p.company_id == self.cid, p.paid_on >= first, p.paid_on <= last, p.currency == currency)).scalar() or 0)

    def recent_payments(self, limit: int) -> list[Any]:
        p, cu = t.payment.c, t.customer.c
        return list(self.c.execute(
            select(t.payment, cu.code.label("customer_code"), cu.name.label("customer_name"))
            .join(t.customer, and_(cu.company_id == p.company_id, cu.id == p.customer_id))
            .where(p.company_id == self.cid).order_by(p.id.desc()).limit(limit)))

    def search(self, text: str, scope: Any, limit: int) -> list[Any]:
        cu = t.customer.c
        cond = [cu.company_id == self.cid, *scope_condition(scope)]
        if text:
            like = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
            cond.append(or_(cu.code.like(like), cu.name.like(like)))
        return list(self.c.execute(select(t.customer).where(*cond).order_by(cu.code).limit(limit)))

    def count(self) -> int:
        """How many customers the company has."""
        cu = t.customer.c
        return int(self.c.execute(select(func.count()).select_from(t.customer).where(cu.company_id == self.cid))
                   .scalar_one())

    def codes_requiring_statement(self) -> list[str]:
        """Codes of the customers that get a monthly 对账 statement, in code order."""
        cu = t.customer.c
        return [str(c) for c in self.c.execute(select(cu.code).where(
            cu.company_id == self.cid, cu.requires_statement.is_(True)).order_by(cu.code)).scalars()]

    def invoice_by_number(self, number: str) -> Any:
        iv = t.invoice.c
        return self.c.execute(select(t.invoice).where(iv.company_id == self.cid, iv.number == number)).first()

    def open_invoices(self, customer_id: int, limit: int | None = None,
                      after: tuple[date, str] | None = None) -> list[Any]:
        """The customer's open invoices, oldest due first (then by number); ``limit``/``after`` page through
        them, ``after`` being (due_on, number) of the previous page's last invoice."""
        iv = t.invoice.c
        where = [iv.company_id == self.cid, iv.customer_id == customer_id, iv.open_minor != 0]
        if after is not None:
            where.append(or_(iv.due_on > after[0], and_(iv.due_on == after[0], iv.number > after[1])))
        if limit is None:
            return list(self.c.execute(select(t.invoice).where(*where).order_by(iv.due_on, iv.number)))
        # A big dealer has 10^4 open invoices: pick the page's ids off the covering index, then read 50 rows.
        page = select(iv.id).where(*where).order_by(iv.due_on, iv.number).limit(limit).scalar_subquery()
        return list(self.c.execute(select(t.invoice).where(iv.company_id == self.cid, iv.id.in_(page))
                                   .order_by(iv.due_on, iv.number)))

    def open_invoice_groups(self, customer_id: int) -> list[tuple[date, int, int, int, int]]:
        """The customer's open invoices summed per due date, off the covering index: (due_on, invoices, open,
        disputed, collectable), collectable being the undisputed money of the invoices that have some."""
        iv = t.invoice.c
        collectable = case((iv.open_minor > iv.disputed_minor, iv.open_minor - iv.disputed_minor), else_=0)
        q = (select(iv.due_on, func.count(), func.sum(iv.open_minor), func.sum(iv.disputed_minor),
                    func.sum(collectable))
             .where(iv.company_id == self.cid, iv.customer_id == customer_id, iv.open_minor != 0)
             .group_by(iv.due_on).order_by(iv.due_on))
        return [(due, int(n), int(o), int(d), int(c)) for due, n, o, d, c in self.c.execute(q)]

    def open_invoice_list(self, customer_id: int | None, due_before: date | None,
                          limit: int | None) -> tuple[list[Any], int]:
        """Open invoices (oldest due first) with their customer's code and name, and how many there are
        in all; ``customer_id`` narrows to one customer, ``due_before`` to invoices due before that day."""
        iv, cu = t.invoice.c, t.customer.c
        where = [iv.company_id == self.cid, iv.open_minor != 0]
        if customer_id is not None:
            where.append(iv.customer_id == customer_id)
        if due_before is not None:
            where.append(iv.due_on < due_before)
        total = int(self.c.execute(select(func.count()).select_from(t.invoice).where(*where)).scalar() or 0)
        q = (select(iv.number, iv.invoice_on, iv.due_on, iv.amount_minor, iv.open_minor, iv.disputed_minor,
                    iv.currency, cu.code.label("customer_code"), cu.name.label("customer_name"))
             .join(t.customer, cu.id == iv.customer_id).where(*where).order_by(iv.due_on, iv.number))
        if limit is not None:
            q = q.limit(limit)
        return list(self.c.execute(q)), total

    def add_activity(self, **values: Any) -> int:
        r = self.c.execute(insert(t.activity).values(company_id=self.cid, **values))
        return _new_id(r)

    def add_activities(self, rows: Sequence[dict[str, Any]]) -> int:
        """Many contacts in one statement (executemany: pipelined on PostgreSQL, not a round trip each)."""
        if rows:
            self.c.execute(insert(t.activity), [{"company_id": self.cid, **r} for r in rows])
        return len(rows)

    def ids_by_code(self) -> dict[str, int]:
        cu = t.customer.c
        return {r[0]: int(r[1]) for r in self.c.execute(select(cu.code, cu.id).where(cu.company_id == self.cid))}

    def close_tasks(self, customer_id: int, on: date, kinds: Sequence[str], actor: str | None) -> int:
        x = t.action.c
        r = self.c.execute(update(t.action).where(
            x.company_id == self.cid, x.customer_id == customer_id, x.status == "open",
            x.needs_approval.is_(False), x.kind.in_(list(kinds)),
            func.coalesce(x.run_on, on) <= on,  # keeps SQLite on ix_action_customer_open (see open_tasks)
        ).values(status="done", decided_on=on, decided_by=actor))
        return int(r.rowcount or 0)

    def add_promise(self, **values: Any) -> int:
        r = self.c.execute(insert(t.promise).values(company_id=self.cid, **values))
        return _new_id(r)

    def action(self, action_id: int) -> Any:
        x = t.action.c
        return self.c.execute(select(t.action).where(x.company_id == self.cid, x.id == action_id)).first()

    def decide_action(self, action_id: int, status: str, on: date, by: str | None, note: str | None) -> None:
        x = t.action.c
        self.c.execute(update(t.action).where(x.company_id == self.cid, x.id == action_id).values(
            status=status, decided_on=on, decided_by=by, decision_note=note))

    def update_customer(self, customer_id: int, **values: Any) -> None:
        cu = t.customer.c
        self.c.execute(update(t.customer).where(cu.company_id == self.cid, cu.id == customer_id)
                       .values(version=cu.version + 1, **values))

    def reassign_open_tasks(self, customer_id: int, collector: str) -> None:
        """Open collector tasks follow the customer to its new collector."""
        x = t.action.c
        self.c.execute(update(t.action).where(x.company_id == self.cid, x.customer_id == customer_id,
                                              x.status == "open", x.assignee_role == "collector")
                       .values(assignee=collector))

    def activities(self, customer_id: int, limit: int = 10, upto: date | None = None) -> list[Any]:
        """The customer's latest contacts (those on or before ``upto`` when given)."""
        a = t.activity.c
        return list(self.c.execute(select(t.activity).where(
            a.company_id == self.cid, a.customer_id == customer_id, *([a.on <= upto] if upto is not None else []))
            .order_by(a.at.desc(), a.id.desc()).limit(limit)))

    def disputes(self, customer_id: int) -> list[Any]:
        d, iv = t.dispute.c, t.invoice.c
        return list(self.c.execute(
            select(t.dispute, iv.number.label("invoice_number"), iv.open_minor.label("invoice_open_minor"))
            .join(t.invoice, and_(iv.company_id == d.company_id, iv.id == d.invoice_id))
            .where(d.company_id == self.cid, d.customer_id == customer_id).order_by(d.opened_on.desc())))

    def contacts(self, customer_id: int) -> list[Any]:
        k = t.contact.c
        return list(self.c.execute(select(t.contact).where(k.company_id == self.cid, k.customer_id == customer_id)))

    def open_actions(self, customer_id: int) -> list[Any]:
        x = t.action.c
        return list(self.c.execute(select(t.action).where(
            x.company_id == self.cid, x.customer_id == customer_id, x.status == "open").order_by(x.run_on, x.id)))

    def upsert_statement(self, customer_id: int, period: str, **dates: date) -> None:
        s = t.statement.c
        row = self.c.execute(select(s.id).where(s.company_id == self.cid, s.customer_id == customer_id,
                                                s.period == period)).first()
        if row is None:
            self.c.execute(insert(t.statement).values(company_id=self.cid, customer_id=customer_id, period=period,
                                                      **dates))
        else:
            self.c.execute(update(t.statement).where(s.id == row.id).values(**dates))

    def open_tasks(self, upto: date, scope: Any = None, *, stage: str | None = None, segment: str | None = None,
                   collector: str | None = None, kinds: Sequence[str] | None = None,
                   approvals: bool | None = None, roles: Sequence[str] | None = None,
                   limit: int | None = None, after: tuple[int, int, int] | None = None,
                   as_of: bool = False, customer_id: int | None = None) -> list[Any]:
        """Open tasks up to ``upto``, most valuable first: in the order ranked by expected value for that day
        (``task_rank``, written when a payment model is trained), then by amount. ``scope``
        (domain.access.Scope) and the filters apply in the query. ``after`` = (ev_position, amount_minor, id)
        of the last row of the previous page. With ``as_of``: the tasks that were open on that day (still
        open, or closed later than it)."""
        x, cu, rk = t.action.c, t.customer.c, t.task_rank.c
        # Ranked only when the day has a ranking; otherwise no join and the amount order an index serves.
        ranked = self.c.execute(select(rk.ranked_on).where(rk.company_id == self.cid).limit(1)).scalar() == upto
        position: Any = func.coalesce(rk.position, UNRANKED) if ranked else literal(UNRANKED)
        still = x.status == "open"
        if as_of:
            still = or_(still, and_(x.decided_on.is_not(None), x.decided_on > upto))
        # ``coalesce`` (run_on is never null) keeps SQLite's planner, which has no statistics, off the run_on
        # range of ix_action_open: nearly every open task is dated up to today, and walking ix_action_worklist
        # in Today's order stops after one page instead of sorting ~400,000 open tasks at 10^5 customers.
        cond = [x.company_id == self.cid, still, func.coalesce(x.run_on, upto) <= upto, *scope_condition(scope)]
        if customer_id is not None:
            cond.append(x.customer_id == customer_id)
        if stage:
            cond.append(x.stage == stage)
        if segment:
            cond.append(cu.segment == segment)
        if collector:
            cond.append(cu.collector == collector)
        if kinds:
            cond.append(x.kind.in_(list(kinds)))
        if approvals is not None:
            cond.append(x.needs_approval.is_(approvals))
        if roles is not None:
            cond.append(x.assignee_role.in_(list(roles)))
        if after is not None:
            p, amount, last = after
            by_amount = or_(x.amount_minor < amount, and_(x.amount_minor == amount, x.id > last))
            cond.append(or_(position > p, and_(position == p, by_amount)) if ranked else by_amount)
        extra = ((position.label("ev_position"), rk.value.label("ev_value"), rk.why.label("ev_why")) if ranked else
                 (position.label("ev_position"), null().label("ev_value"), null().label("ev_why")))
        q = (select(t.action, cu.code.label("customer_code"), cu.name.label("customer_name"),
                    cu.collector.label("collector"), cu.segment.label("segment"), cu.policy.label("customer_policy"),
                    *extra)
             .join(t.customer, and_(cu.company_id == x.company_id, cu.id == x.customer_id)))
        if ranked and limit is not None and not as_of:
            head = self._ranked_head(q, cond, after, limit)
            if head is not None:
                return head
        if ranked:
            q = (q.outerjoin(t.task_rank, and_(rk.company_id == x.company_id, rk.action_id == x.id))
                 .order_by(position, x.amount_minor.desc(), x.id))
        else:
            q = q.order_by(x.amount_minor.desc(), x.id)
        q = q.where(*cond)
        if limit is not None:
            q = q.limit(limit)
        return list(self.c.execute(q))

    def _ranked_head(self, q: Any, cond: list[Any], after: tuple[int, int, int] | None,
                     limit: int) -> list[Any] | None:
        """A page of ranked tasks read off ix_task_rank_position: the next ``RANK_WINDOW`` positions only, in
        their order, so a page costs a few thousand lookups instead of sorting every open task (4·10^5 at
        10^5 customers: seconds). None when that window holds fewer than ``limit`` of the tasks asked for
        (filters that keep few, or the end of the ranking): the caller then sorts them all. Exact either way:
        every ranked task outside the window comes after every task in it."""
        x, rk = t.action.c, t.task_rank.c
        start = after[0] if after is not None else None
        if start is not None and start >= UNRANKED:
            return None
        window = select(rk.position).where(rk.company_id == self.cid, *([rk.position >= start] if start else []))
        cut = self.c.execute(window.order_by(rk.position).limit(1).offset(RANK_WINDOW - 1)).scalar()
        head = (q.join(t.task_rank, and_(rk.company_id == x.company_id, rk.action_id == x.id))
                .where(*cond, rk.company_id == self.cid, rk.position <= (UNRANKED - 1 if cut is None else cut),
                       *([rk.position >= start] if start else []))
                .order_by(rk.position, x.amount_minor.desc(), x.id).limit(limit))
        rows = list(self.c.execute(head))
        return rows if len(rows) >= limit else None

    # ── the worklist page's extras: one statement each for a page of customers ─────────────────
    def last_activities(self, customer_ids: Sequence[int]) -> dict[int, Any]:
        if not customer_ids:
            return {}
        a = t.activity.c
        latest = (select(a.customer_id, func.max(a.id).label("id"))
                  .where(a.company_id == self.cid, a.customer_id.in_(list(customer_ids)))
                  .group_by(a.customer_id).subquery())
        q = select(t.activity).join(latest, latest.c.id == a.id)
        return {r.customer_id: r for r in self.c.execute(q)}

    def promise_invoices(self, promise_ids: Sequence[int]) -> dict[int, list[str]]:
        """promise → the invoice numbers it names (those that name some)."""
        if not promise_ids:
            return {}
        p = t.promise.c
        rows = self.c.execute(select(p.id, p.invoices).where(p.company_id == self.cid, p.id.in_(list(promise_ids))))
        return {int(i): [str(n) for n in numbers] for i, numbers in rows if numbers}

    def promises_due(self, customer_ids: Sequence[int], on: date) -> dict[int, list[Any]]:
        if not customer_ids:
            return {}
        p = t.promise.c
        out: dict[int, list[Any]] = defaultdict(list)
        for r in self.c.execute(select(t.promise).where(p.company_id == self.cid, p.customer_id.in_(list(customer_ids)),
                                                        p.promised_on == on).order_by(p.id)):
            out[r.customer_id].append(r)
        return out

    def best_times(self, customer_ids: Sequence[int]) -> dict[int, str]:
        if not customer_ids:
            return {}
        k = t.contact.c
        out: dict[int, str] = {}
        for cid, best in self.c.execute(select(k.customer_id, k.best_time).where(
                k.company_id == self.cid, k.customer_id.in_(list(customer_ids)), k.best_time.is_not(None),
                k.do_not_contact.is_(False)).order_by(k.customer_id, k.id)):
            out.setdefault(cid, best)
        return out

    # ── the customer's timeline: newest first, each source read up to ``limit`` rows before a moment ───
    def timeline(self, customer_id: int, before: datetime | None, limit: int) -> list[tuple[datetime, str, int, Any]]:
        """(moment, kind, id, row) of activities, actions, payments, promises, disputes and refused or dead
        messages, newest first,
        strictly before ``before`` ((moment, kind, id) order); dates count as the start of their day."""
        out: list[tuple[datetime, str, int, Any]] = []

        def day(d: Any) -> datetime:
            return datetime(d.year, d.month, d.day)

        a, x, p, pr, d, iv = t.activity.c, t.action.c, t.payment.c, t.promise.c, t.dispute.c, t.invoice.c
        ev, ob = t.outbox_event.c, t.outbox.c
        sources: list[tuple[str, Any, Any, Any]] = [
            ("activity", select(t.activity).where(a.company_id == self.cid, a.customer_id == customer_id),
             a.at, lambda r: r.at),
            ("action", select(t.action).where(x.company_id == self.cid, x.customer_id == customer_id),
             x.run_on, lambda r: day(r.run_on)),
            ("payment", select(t.payment).where(p.company_id == self.cid, p.customer_id == customer_id),
             p.paid_on, lambda r: day(r.paid_on)),
            ("promise", select(t.promise).where(pr.company_id == self.cid, pr.customer_id == customer_id),
             pr.made_on, lambda r: day(r.made_on)),
            ("dispute", select(t.dispute, iv.number.label("invoice_number"))
             .join(t.invoice, and_(iv.company_id == d.company_id, iv.id == d.invoice_id))
             .where(d.company_id == self.cid, d.customer_id == customer_id), d.opened_on, lambda r: day(r.opened_on)),
            # a message the compliance guard refused (with its rule) or that was dead-lettered
            ("message", select(t.outbox_event, ob.subject, ob.to_name, ob.stage)
             .join(t.outbox, and_(ob.company_id == ev.company_id, ob.id == ev.outbox_id))
             .where(ev.company_id == self.cid, ev.customer_id == customer_id), ev.at, lambda r: r.at),
        ]
        for kind, q, col, moment in sources:
            if before is not None:
                bound = before if kind in ("activity", "message") else before.date()
                q = q.where(col <= bound)
            id_col = q.selected_columns.id
            for r in self.c.execute(q.order_by(col.desc(), id_col.desc()).limit(limit + 50)):
                out.append((moment(r), kind, int(r.id), r))
        return out
