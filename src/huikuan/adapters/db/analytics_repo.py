"""Reads behind the KPIs, the payment model and the forecast; KPI targets, stored models and forecasts.

Each read is one statement over the company's rows. Dates come back as ``date`` on both databases
(SQLite's raw cursors return ISO text, parsed here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from ...domain.kpi import InvoiceFacts, Settlement
from . import tables as t

# the invoice's billing channel as the payment model reads it (domain/prediction.py, ``InvoiceRecord.electronic``)
_ELECTRONIC = "CASE bill_channel WHEN 'electronic' THEN 1 WHEN 'paper' THEN 0 ELSE -1 END"


@lru_cache(maxsize=16_384)
def _iso(v: str) -> date:
    return date.fromisoformat(v[:10])


def _d(v: Any) -> Any:
    # a book of 10⁶ rows holds a few hundred distinct days: parse each once
    return _iso(v) if isinstance(v, str) else v


class AnalyticsRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    @property
    def _sqlite(self) -> bool:
        return self.c.dialect.name == "sqlite"

    def _raw(self, sql: str, *params: Any) -> Iterator[tuple[Any, ...]]:
        mark = "?" if self._sqlite else "%s"
        cur = self.c.exec_driver_sql(sql.replace("?", mark), tuple(params)).cursor
        while chunk := cur.fetchmany(50_000):
            yield from chunk

    def _p(self, d: date) -> Any:
        return d.isoformat() if self._sqlite else d

    def company_currency(self) -> str:
        return str(self.c.execute(select(t.company.c.currency).where(t.company.c.id == self.cid)).scalar() or "CNY")

    # ── KPIs ───────────────────────────────────────────────────────────────────────────────────
    def kpi_invoices(self, since: date, upto: date, currency: str) -> Iterator[InvoiceFacts]:
        """Invoices issued by ``upto`` that were open at some point from ``since`` on, in id order, each with
        its allocations as settlements (credit notes and write-offs are not cash)."""
        rows = self._raw(
            "SELECT i.id, i.customer_id, i.invoice_on, i.due_on, i.amount_minor, a.allocated_on, a.amount_minor, "
            "CASE WHEN a.payment_id IS NULL THEN 0 ELSE 1 END "
            "FROM invoice i LEFT JOIN allocation a ON a.company_id = i.company_id AND a.invoice_id = i.id "
            "WHERE i.company_id = ? AND i.currency = ? AND i.invoice_on <= ? AND (i.open_minor <> 0 OR i.id IN "
            "(SELECT invoice_id FROM allocation WHERE company_id = ? AND allocated_on >= ?)) ORDER BY i.id",
            self.cid, currency, self._p(upto), self.cid, self._p(since))
        days: dict[Any, date] = {}  # a few hundred distinct days: each parsed once

        def day(v: Any) -> date:
            got = days.get(v)
            if got is None:
                got = days[v] = _d(v)
            return got

        # rows of one invoice are adjacent (ORDER BY i.id); most invoices have no allocation or one, so the
        # InvoiceFacts is built straight from its row and rebuilt only when a second allocation follows
        last: InvoiceFacts | None = None
        for iid, cid, ion, due, amt, aon, amin, cash in rows:
            if last is not None and iid == last.invoice_id:
                last = last._replace(settlements=(*last.settlements, Settlement(day(aon), amin, cash == 1)))
                continue
            if last is not None:
                yield last
            last = InvoiceFacts(iid, cid, day(ion), day(due), amt,
                                () if aon is None else (Settlement(day(aon), amin, cash == 1),))
        if last is not None:
            yield last

    def monthly_sales(self, since: date, upto: date, currency: str, by_customer: bool) -> list[tuple[Any, ...]]:
        """Credit sales per month (``YYYY-MM``), per customer when asked: (customer_id or 0, month, minor)."""
        month = "substr(invoice_on, 1, 7)" if self._sqlite else "to_char(invoice_on, 'YYYY-MM')"
        who, group = ("customer_id", f"customer_id, {month}") if by_customer else ("0", month)
        return list(self._raw(
            f"SELECT {who}, {month}, sum(amount_minor) FROM invoice WHERE company_id = ? AND currency = ? "
            f"AND invoice_on >= ? AND invoice_on <= ? GROUP BY {group}",
            self.cid, currency, self._p(since), self._p(upto)))

    def group_monthly_sales(self, since: date, upto: date, currency: str, by: str) -> dict[str, dict[str, int]]:
        """Credit sales per month (``YYYY-MM``) of each group of customers sharing a ``segment`` or a
        ``collector`` (none: "-"), summed in SQL: a group's countback needs its own sales, and 10⁵ customers'
        months (7 × 10⁵ rows) cost more to read than the sums."""
        if by not in ("segment", "collector"):
            raise ValueError(by)
        month = "substr(i.invoice_on, 1, 7)" if self._sqlite else "to_char(i.invoice_on, 'YYYY-MM')"
        out: dict[str, dict[str, int]] = {}
        for key, m, minor in self._raw(
                f"SELECT c.{by}, {month}, sum(i.amount_minor) FROM invoice i JOIN customer c ON c.id = i.customer_id "
                "WHERE i.company_id = ? AND i.currency = ? AND i.invoice_on >= ? AND i.invoice_on <= ? "
                f"GROUP BY c.{by}, {month}", self.cid, currency, self._p(since), self._p(upto)):
            sales = out.setdefault(key or "-", {})
            sales[m] = sales.get(m, 0) + int(minor)  # NULL and "" are both "-"
        return out

    def disputes(self, upto: date) -> list[tuple[Any, ...]]:
        """(invoice_id, customer_id, amount, opened_on, resolved_on) of disputes opened by ``upto``."""
        return [(a, b, c, _d(d), _d(e)) for a, b, c, d, e in self._raw(
            "SELECT invoice_id, customer_id, amount_minor, opened_on, resolved_on FROM dispute "
            "WHERE company_id = ? AND opened_on <= ?", self.cid, self._p(upto))]

    def promises(self, since: date, upto: date) -> list[tuple[Any, ...]]:
        """(customer_id, amount, made_on, promised_on) of promises made by ``upto`` falling due from ``since``."""
        return [(a, b, _d(c), _d(d)) for a, b, c, d in self._raw(
            "SELECT customer_id, amount_minor, made_on, promised_on FROM promise WHERE company_id = ? "
            "AND made_on <= ? AND promised_on >= ?", self.cid, self._p(upto), self._p(since))]

    def payments(self, since: date, upto: date, promised_from: date | None = None) -> list[tuple[Any, ...]]:
        """(customer_id, paid_on, amount) received in the window; with ``promised_from``, only of the
        customers with a promise made by ``upto`` falling due from ``promised_from`` on (the promises the
        KPIs judge: nobody else's payments are looked at)."""
        only = ("AND customer_id IN (SELECT customer_id FROM promise WHERE company_id = ? AND made_on <= ? "
                "AND promised_on >= ?)") if promised_from is not None else ""
        extra = (self.cid, self._p(upto), self._p(promised_from)) if promised_from is not None else ()
        return [(a, _d(b), c) for a, b, c in self._raw(
            "SELECT customer_id, paid_on, amount_minor FROM payment WHERE company_id = ? AND paid_on >= ? "
            f"AND paid_on <= ? {only}", self.cid, self._p(since), self._p(upto), *extra)]

    def customers(self) -> list[tuple[Any, ...]]:
        """(id, code, name, type, segment, collector, policy)."""
        return list(self._raw('SELECT id, code, name, type, segment, collector, policy FROM customer '
                              'WHERE company_id = ?', self.cid))

    def latest_excuses(self, upto: date) -> dict[int, str]:
        """Each customer's latest excuse recorded by ``upto`` (the "cause" of collector effectiveness)."""
        out: dict[int, str] = {}
        for cid, excuse, _on, _id in self._raw(
            'SELECT customer_id, excuse, "on", id FROM activity WHERE company_id = ? AND excuse IS NOT NULL '
            'AND "on" <= ? ORDER BY "on", id', self.cid, self._p(upto)):
            out[cid] = excuse
        return out

    # ── targets ────────────────────────────────────────────────────────────────────────────────
    def set_target(self, month: str, scope: str, key: str, metric: str, value: float) -> None:
        k = t.kpi_target.c
        self.c.execute(delete(t.kpi_target).where(k.company_id == self.cid, k.month == month, k.scope == scope,
                                                  k.scope_key == key, k.metric == metric))
        self.c.execute(insert(t.kpi_target).values(company_id=self.cid, month=month, scope=scope, scope_key=key,
                                                   metric=metric, value=value))

    def target_value(self, month: str, scope: str, key: str, metric: str) -> float | None:
        k = t.kpi_target.c
        v = self.c.execute(select(k.value).where(k.company_id == self.cid, k.month == month, k.scope == scope,
                                                 k.scope_key == key, k.metric == metric)).scalar()
        return None if v is None else float(v)

    def scope_keys(self) -> dict[str, list[str]]:
        """The segments and collectors the customers name (what a target's scope can be), sorted."""
        c = t.customer.c
        out: dict[str, list[str]] = {}
        for scope, col in (("segment", c.segment), ("collector", c.collector)):
            out[scope] = sorted(str(v) for v in self.c.execute(
                select(col).where(c.company_id == self.cid, col.is_not(None), col != "").distinct()).scalars())
        return out

    def targets(self, month: str | None) -> list[tuple[str, str, str, str, float]]:
        """(month, scope, key, metric, value)."""
        k = t.kpi_target.c
        q = select(k.month, k.scope, k.scope_key, k.metric, k.value).where(k.company_id == self.cid)
        if month:
            q = q.where(k.month == month)
        return [(a, b, c, d, float(e)) for a, b, c, d, e in self.c.execute(q.order_by(k.month, k.scope, k.scope_key,
                                                                                      k.metric))]

    # ── the payment model ──────────────────────────────────────────────────────────────────────
    def payment_facts(self, before: date, currency: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Invoices issued before ``before``: (id, number, customer_id, invoice_on, due_on, amount, currency,
        settled_on, paid_before, electronic) — electronic the billing channel (1 electronic, 0 paper, -1
        unknown), settled_on is the last allocation's date when nothing is open now (None
        otherwise), paid_before the money allocated before ``before``. Callers treat an invoice settled on
        or after ``before`` as open then: nothing dated on or after it is used.

        Two sequential reads merged here, not a join: at 10⁶ invoices SQLite's join looked up each
        invoice's allocations through the index and cost about twice the two scans."""
        per_invoice: dict[int, tuple[Any, int]] = {}
        for iid, last, paid in self._raw(
                "SELECT invoice_id, max(allocated_on), sum(CASE WHEN allocated_on < ? THEN amount_minor ELSE 0 END) "
                + ("FROM allocation NOT INDEXED " if self._sqlite else "FROM allocation ")
                + "WHERE company_id = ? GROUP BY invoice_id", self._p(before), self.cid):
            per_invoice[iid] = (last, paid)
        rows = self._raw(
            f"SELECT id, number, customer_id, invoice_on, due_on, amount_minor, currency, open_minor, {_ELECTRONIC} "
            "FROM invoice "
            "WHERE company_id = ? AND invoice_on < ? " + ("AND currency = ? " if currency else "")
            + "ORDER BY invoice_on, id", self.cid, self._p(before), *([currency] if currency else []))
        days: dict[Any, Any] = {}  # a few hundred distinct days in 10⁶ rows: each parsed once

        def day(v: Any) -> Any:
            got = days.get(v)
            if got is None:
                got = days[v] = _d(v)
            return got

        none: tuple[Any, int] = (None, 0)
        for iid, num, cid, ion, due, amt, cur, open_minor, electronic in rows:
            last, paid = per_invoice.get(iid, none)
            yield (iid, num, cid, day(ion), day(due), amt, cur, (day(last) if open_minor == 0 and last else None),
                   int(paid), int(electronic))

    def _ordinal(self, column: str) -> str:
        """SQL for a date column as its proleptic day ordinal (``date.toordinal``): integers travel to
        NumPy without a date object per value."""
        if self._sqlite:
            return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"
        return f"({column} - DATE '0001-01-01' + 1)"

    def _all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        mark = "?" if self._sqlite else "%s"
        return list(self.c.exec_driver_sql(sql.replace("?", mark), tuple(params)).cursor.fetchall())

    def payment_columns(self, before: date) -> dict[str, Any]:
        """``payment_facts`` as NumPy int64 columns, in no particular order: ``id``, ``customer``,
        ``invoice_on``, ``due_on`` (day ordinals), ``amount``, ``settled_on`` (the last allocation's day
        ordinal when nothing is open now, else 0), ``paid_before`` (money allocated before ``before``) and
        ``electronic`` (the billing channel: 1 electronic, 0 paper, -1 unknown).

        Two plain scans, grouped in NumPy: no date parsed in Python, no tuple kept per invoice, no sort in
        the database (at 10⁶ invoices SQLite's ORDER BY and GROUP BY each cost seconds)."""
        import numpy as np

        alloc = np.array(self._all(
            f"SELECT invoice_id, {self._ordinal('allocated_on')}, amount_minor FROM allocation WHERE company_id = ?",
            self.cid), dtype=np.int64).reshape(-1, 3)
        inv = np.array(self._all(
            f"SELECT id, customer_id, {self._ordinal('invoice_on')}, {self._ordinal('due_on')}, amount_minor, "
            f"open_minor, {_ELECTRONIC} FROM invoice WHERE company_id = ? AND invoice_on < ?", self.cid,
            self._p(before)), dtype=np.int64).reshape(-1, 7)
        ids = inv[:, 0]
        last = np.zeros(len(ids), dtype=np.int64)
        paid = np.zeros(len(ids), dtype=np.int64)
        if len(alloc) and len(ids):
            order = np.argsort(alloc[:, 0], kind="stable")
            a_inv, a_day, a_amt = alloc[order, 0], alloc[order, 1], alloc[order, 2]
            starts = np.flatnonzero(np.concatenate(([True], a_inv[1:] != a_inv[:-1])))
            g_inv = a_inv[starts]
            g_last = np.maximum.reduceat(a_day, starts)
            g_paid = np.add.reduceat(np.where(a_day < before.toordinal(), a_amt, 0), starts)
            at = np.minimum(np.searchsorted(g_inv, ids), len(g_inv) - 1)
            found = g_inv[at] == ids
            last[found] = g_last[at[found]]
            paid[found] = g_paid[at[found]]
        settled = np.where(inv[:, 5] == 0, last, 0)
        return {"id": ids, "customer": inv[:, 1], "invoice_on": inv[:, 2], "due_on": inv[:, 3], "amount": inv[:, 4],
                "settled_on": settled, "paid_before": paid, "electronic": inv[:, 6]}

    def invoice_labels(self, ids: list[int]) -> dict[int, tuple[str, str]]:
        """(number as imported, currency) of the invoices ``ids`` (primary-key lookups, 5,000 a statement)."""
        out: dict[int, tuple[str, str]] = {}
        for k in range(0, len(ids), 5_000):
            part = ids[k:k + 5_000]
            for a, b, c in self._all("SELECT id, number, currency FROM invoice WHERE company_id = ? AND id IN ("
                                     + ", ".join("?" * len(part)) + ")", self.cid, *part):
                out[int(a)] = (str(b), str(c))
        return out

    def promise_facts(self, before: date) -> list[tuple[Any, ...]]:
        """(customer_id, made_on, promised_on, amount, paid from making to the promised day) made before."""
        return [(a, _d(b), _d(c), d, int(e or 0)) for a, b, c, d, e in self._raw(
            "SELECT p.customer_id, p.made_on, p.promised_on, p.amount_minor, (SELECT sum(y.amount_minor) FROM payment y "
            "WHERE y.company_id = p.company_id AND y.customer_id = p.customer_id AND y.paid_on >= p.made_on "
            "AND y.paid_on <= p.promised_on) FROM promise p WHERE p.company_id = ? AND p.made_on < ?",
            self.cid, self._p(before))]

    def dispute_facts(self, before: date) -> list[tuple[Any, ...]]:
        """(invoice_id, customer_id, opened_on, resolved_on) opened before."""
        return [(a, b, _d(c), _d(d)) for a, b, c, d in self._raw(
            "SELECT invoice_id, customer_id, opened_on, resolved_on FROM dispute WHERE company_id = ? AND opened_on < ?",
            self.cid, self._p(before))]

    def contact_facts(self, before: date) -> list[tuple[Any, ...]]:
        """(customer_id, on, outcome) of contacts logged before."""
        return [(a, _d(b), c) for a, b, c in self._raw(
            'SELECT customer_id, "on", outcome FROM activity WHERE company_id = ? AND "on" < ?',
            self.cid, self._p(before))]

    def customer_codes(self) -> dict[int, str]:
        return {int(a): str(b) for a, b in self._all("SELECT id, code FROM customer WHERE company_id = ?", self.cid)}

    def save_model(self, kind: str, as_of: date, trained_at: datetime, meta: dict[str, Any], blob: str) -> int:
        m = t.prediction_model.c
        version = int(self.c.execute(select(func.coalesce(func.max(m.version), 0)).where(
            m.company_id == self.cid, m.kind == kind)).scalar() or 0) + 1
        self.c.execute(insert(t.prediction_model).values(company_id=self.cid, kind=kind, version=version, as_of=as_of,
                                                         trained_at=trained_at, meta=meta, blob=blob))
        return version

    def latest_model(self, kind: str) -> Any:
        m = t.prediction_model.c
        return self.c.execute(select(t.prediction_model).where(m.company_id == self.cid, m.kind == kind)
                              .order_by(m.version.desc()).limit(1)).first()

    def open_task_facts(self, upto: date) -> list[tuple[int, int, list[str], bool, int]]:
        """What ranking needs of every task open up to ``upto`` (the rows ``CollectRepo.open_tasks`` gives,
        without their order and columns): (id, customer_id, invoice numbers, needs_approval, amount_minor)."""
        parsed: dict[str, list[str]] = {}  # most tasks name the same few lists ("[]" above all)
        out = []
        for aid, cid, invoices, approval, amount in self._all(
                "SELECT id, customer_id, invoices, needs_approval, amount_minor FROM action WHERE company_id = ? "
                "AND status = 'open' AND coalesce(run_on, ?) <= ?", self.cid, self._p(upto), self._p(upto)):
            if isinstance(invoices, str):
                got = parsed.get(invoices)
                if got is None:
                    got = parsed[invoices] = [str(n) for n in json.loads(invoices)]
                invoices = got
            out.append((int(aid), int(cid), invoices or [], bool(approval), int(amount)))
        return out

    def promised_customers(self, on: date) -> set[int]:
        """Customers with a promise falling due on ``on``."""
        return {int(r[0]) for r in self._all("SELECT DISTINCT customer_id FROM promise WHERE company_id = ? "
                                              "AND promised_on = ?", self.cid, self._p(on))}

    def save_task_ranks(self, ranked_on: date, rows: list[tuple[int, int, float, list[Any]]]) -> None:
        """Replace the company's ranking of open tasks: (action_id, position, value, why) for ``ranked_on``."""
        self.c.execute(delete(t.task_rank).where(t.task_rank.c.company_id == self.cid))
        for k in range(0, len(rows), 10_000):
            self.c.execute(insert(t.task_rank), [
                {"company_id": self.cid, "action_id": a, "ranked_on": ranked_on, "position": pos, "value": v, "why": w}
                for a, pos, v, w in rows[k:k + 10_000]])

    def save_cardholders(self, rows: list[Any], currency: str, on: date) -> int:
        """Store cardholders (``domain.consumer.Cardholder``), replacing those with the same code; returns how
        many were replaced."""
        ch = t.cardholder.c
        codes = [r.code for r in rows]
        existing: set[str] = set()
        for k in range(0, len(codes), 5_000):
            part = codes[k:k + 5_000]
            existing |= set(self.c.execute(select(ch.code).where(ch.company_id == self.cid, ch.code.in_(part))).scalars())
            self.c.execute(delete(t.cardholder).where(ch.company_id == self.cid, ch.code.in_(part)))
        for k in range(0, len(rows), 5_000):
            self.c.execute(insert(t.cardholder), [
                {"company_id": self.cid, "code": r.code, "limit_minor": r.limit_minor, "currency": currency,
                 "status": list(r.status), "bills": list(r.bills_minor), "paid": list(r.paid_minor),
                 "defaulted": r.defaulted, "imported_on": on} for r in rows[k:k + 5_000]])
        return len(existing)

    def count_cardholders(self) -> int:
        ch = t.cardholder.c
        return int(self.c.execute(select(func.count()).select_from(t.cardholder).where(ch.company_id == self.cid))
                   .scalar() or 0)

    def has_invoices(self) -> bool:
        i = t.invoice.c
        return self.c.execute(select(i.id).where(i.company_id == self.cid).limit(1)).first() is not None

    def cardholders(self) -> list[tuple[Any, ...]]:
        """(code, limit_minor, status, bills, paid, defaulted) of every cardholder, by code."""
        ch = t.cardholder.c
        return [tuple(r) for r in self.c.execute(
            select(ch.code, ch.limit_minor, ch.status, ch.bills, ch.paid, ch.defaulted)
            .where(ch.company_id == self.cid).order_by(ch.code))]

    def save_forecast(self, made_on: date, weeks: list[tuple[str, date, int, int, int]]) -> None:
        f = t.forecast_week.c
        self.c.execute(delete(t.forecast_week).where(f.company_id == self.cid, f.made_on == made_on))
        if weeks:
            self.c.execute(insert(t.forecast_week), [
                {"company_id": self.cid, "made_on": made_on, "week": w, "week_start": s, "expected_minor": e,
                 "low_minor": lo, "high_minor": hi} for w, s, e, lo, hi in weeks])

    def past_forecasts(self, before: date) -> list[tuple[Any, ...]]:
        """The latest forecast made before ``before`` for each week: (week, week_start, expected, low, high, made_on)."""
        f = t.forecast_week.c
        rows = self.c.execute(select(f.week, f.week_start, f.expected_minor, f.low_minor, f.high_minor, f.made_on)
                              .where(f.company_id == self.cid, f.made_on < before, f.week_start < before)
                              .order_by(f.week, f.made_on)).all()
        latest: dict[str, tuple[Any, ...]] = {}
        for r in rows:
            latest[r[0]] = (r[0], _d(r[1]), int(r[2]), int(r[3]), int(r[4]), _d(r[5]))
        return list(latest.values())

    def cash_received(self, since: date, upto: date) -> list[tuple[date, int]]:
        """(allocated_on, minor) of payments' allocations in the window (what a forecast is compared with)."""
        return [(_d(a), int(b)) for a, b in self._raw(
            "SELECT allocated_on, sum(amount_minor) FROM allocation WHERE company_id = ? AND payment_id IS NOT NULL "
            "AND allocated_on >= ? AND allocated_on <= ? GROUP BY allocated_on", self.cid, self._p(since), self._p(upto))]
