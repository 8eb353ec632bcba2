"""Reads and writes of credit control: the order desk's check, orders, deliveries, overrides,
applications, limit history, alerts and levers. Writers never commit: the unit of work does.

The check's reads are all keyed by (company, customer): each is an index range of one customer, so
the order desk's answer costs the same at 10³ or 10⁶ invoices.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, and_, case, cast, func, insert, select, update

from . import tables as t


def _pk(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("insert returned no primary key")
    return int(key[0])


class _Row:
    __slots__ = ("__dict__",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class CreditRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    # ── the check's reads: plain DBAPI statements (the order desk waits; SQLAlchemy's statement
    # building cost more than the index lookups themselves) ─────────────────────────────────────
    def _q(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sqlite = self.c.dialect.name == "sqlite"
        cur = self.c.exec_driver_sql(sql if sqlite else sql.replace("?", "%s"), tuple(params)).cursor
        return list(cur.fetchall())

    def _d(self, v: Any) -> Any:
        return v.isoformat() if self.c.dialect.name == "sqlite" and isinstance(v, date) else v

    @staticmethod
    def _date(v: Any) -> date:
        return date.fromisoformat(v) if isinstance(v, str) else v

    CUSTOMER_COLUMNS = ("id", "code", "name", "terms", "credit_limit_minor", "currency", "credit_status",
                        "shipment_locked", "deliver_two_settle_one", "policy", "segment", "collector", "sales_owner")

    def customer_for_check(self, code: str) -> Any:
        """The columns the check reads, as an object with attributes (None: no such customer)."""
        rows = self._q(f"SELECT {', '.join(self.CUSTOMER_COLUMNS)} FROM customer WHERE company_id = ? AND code = ?",
                       self.cid, code)
        return _Row(dict(zip(self.CUSTOMER_COLUMNS, rows[0], strict=True))) if rows else None

    def segment_policies(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._q("SELECT segment, policy FROM segment_policy WHERE company_id = ?", self.cid)}

    def unpaid_invoices(self, customer_id: int, currency: str) -> list[tuple[str, date, int, int]]:
        """(number, due_on, open_minor, disputed_minor) of the customer's open invoices in its currency."""
        rows = self._q("SELECT number, due_on, open_minor, disputed_minor FROM invoice WHERE company_id = ? "
                       "AND customer_id = ? AND currency = ? AND open_minor <> 0", self.cid, customer_id, currency)
        return [(r[0], self._date(r[1]), int(r[2]), int(r[3])) for r in rows]

    def unbilled_deliveries(self, customer_id: int, currency: str) -> list[tuple[str, date, int]]:
        """(number, delivered_on, amount) of deliveries not yet billed by an invoice we hold."""
        rows = self._q("SELECT d.number, d.delivered_on, d.amount_minor FROM delivery d WHERE d.company_id = ? "
                       "AND d.customer_id = ? AND d.currency = ? AND NOT EXISTS (SELECT 1 FROM invoice i "
                       "WHERE i.company_id = d.company_id AND i.number = d.invoice_number)",
                       self.cid, customer_id, currency)
        return [(r[0], self._date(r[1]), int(r[2])) for r in rows]

    def open_orders_minor(self, customer_id: int, currency: str, exclude: str | None) -> int:
        """Open orders' amounts not yet delivered (the order being checked excluded)."""
        rows = self._q("SELECT o.number, o.amount_minor, (SELECT coalesce(sum(d.amount_minor), 0) FROM delivery d "
                       "WHERE d.company_id = o.company_id AND d.order_number = o.number) FROM sales_order o "
                       "WHERE o.company_id = ? AND o.customer_id = ? AND o.currency = ? AND o.status = 'open'",
                       self.cid, customer_id, currency)
        return sum(max(0, int(amount) - int(delivered)) for number, amount, delivered in rows if number != exclude)

    def unmatured_commercial_minor(self, customer_id: int, currency: str, as_of: date) -> int:
        rows = self._q("SELECT coalesce(sum(amount_minor), 0) FROM payment WHERE company_id = ? AND customer_id = ? "
                       "AND currency = ? AND method = 'acceptance_bill' AND bill_kind = 'commercial' "
                       "AND bill_matures_on > ?", self.cid, customer_id, currency, self._d(as_of))
        return int(rows[0][0] or 0)

    def order(self, number: str) -> Any:
        o = t.sales_order.c
        return self.c.execute(select(t.sales_order).where(o.company_id == self.cid, o.number == number)).first()

    def orders_by_number(self, numbers: Sequence[str]) -> dict[str, Any]:
        o = t.sales_order.c
        if not numbers:
            return {}
        q = select(t.sales_order).where(o.company_id == self.cid, o.number.in_(list(numbers)))
        return {r.number: r for r in self.c.execute(q)}

    def last_check_of_order(self, number: str) -> Any:
        k = t.credit_check.c
        return self.c.execute(select(t.credit_check).where(k.company_id == self.cid, k.order_number == number)
                              .order_by(k.id.desc()).limit(1)).first()

    def approved_override(self, customer_id: int, number: str) -> Any:
        o = t.credit_override.c
        return self.c.execute(select(t.credit_override).where(
            o.company_id == self.cid, o.customer_id == customer_id, o.order_number == number,
            o.status == "approved").order_by(o.amount_minor.desc(), o.id.desc()).limit(1)).first()

    # ── writes ─────────────────────────────────────────────────────────────────────────────
    def add_check(self, **values: Any) -> int:
        r = self.c.execute(insert(t.credit_check).values(company_id=self.cid, **values))
        return _pk(r)

    def add_order(self, **values: Any) -> int:
        r = self.c.execute(insert(t.sales_order).values(company_id=self.cid, **values))
        return _pk(r)

    def add_delivery(self, **values: Any) -> int:
        r = self.c.execute(insert(t.delivery).values(company_id=self.cid, **values))
        return _pk(r)

    def delivery(self, number: str) -> Any:
        d = t.delivery.c
        return self.c.execute(select(t.delivery).where(d.company_id == self.cid, d.number == number)).first()

    def deliveries_by_number(self, numbers: Sequence[str]) -> dict[str, Any]:
        d = t.delivery.c
        if not numbers:
            return {}
        return {r.number: r for r in self.c.execute(
            select(t.delivery).where(d.company_id == self.cid, d.number.in_(list(numbers))))}

    def update_delivery(self, number: str, **values: Any) -> None:
        d = t.delivery.c
        self.c.execute(update(t.delivery).where(d.company_id == self.cid, d.number == number).values(**values))

    def update_order(self, number: str, **values: Any) -> None:
        o = t.sales_order.c
        self.c.execute(update(t.sales_order).where(o.company_id == self.cid, o.number == number).values(**values))

    def add_override(self, **values: Any) -> int:
        r = self.c.execute(insert(t.credit_override).values(company_id=self.cid, **values))
        return _pk(r)

    def override(self, override_id: int) -> Any:
        o = t.credit_override.c
        return self.c.execute(select(t.credit_override).where(o.company_id == self.cid, o.id == override_id)).first()

    def decide_override(self, override_id: int, status: str, by: str, at: datetime, note: str | None) -> None:
        o = t.credit_override.c
        self.c.execute(update(t.credit_override).where(o.company_id == self.cid, o.id == override_id)
                       .values(status=status, decided_by=by, decided_at=at, decision_note=note))

    def overrides(self, status: str | None = None, customer_id: int | None = None) -> list[Any]:
        o, cu = t.credit_override.c, t.customer.c
        q = (select(t.credit_override, cu.code.label("customer_code"), cu.name.label("customer_name"))
             .join(t.customer, and_(cu.company_id == o.company_id, cu.id == o.customer_id))
             .where(o.company_id == self.cid, *([o.status == status] if status else []),
                    *([o.customer_id == customer_id] if customer_id is not None else []))
             .order_by(o.id))
        return list(self.c.execute(q))

    def checks_of_customer(self, customer_id: int, limit: int = 20) -> list[Any]:
        k = t.credit_check.c
        return list(self.c.execute(select(t.credit_check).where(k.company_id == self.cid, k.customer_id == customer_id)
                                   .order_by(k.id.desc()).limit(limit)))

    # ── limits ─────────────────────────────────────────────────────────────────────────────
    def add_limit_change(self, **values: Any) -> int:
        r = self.c.execute(insert(t.credit_limit_change).values(company_id=self.cid, **values))
        return _pk(r)

    def limit_changes(self, customer_id: int) -> list[Any]:
        x = t.credit_limit_change.c
        return list(self.c.execute(select(t.credit_limit_change).where(
            x.company_id == self.cid, x.customer_id == customer_id).order_by(x.changed_on, x.id)))

    def customer_by_id(self, customer_id: int) -> Any:
        cu = t.customer.c
        return self.c.execute(select(t.customer).where(cu.company_id == self.cid, cu.id == customer_id)).first()

    def set_limit(self, customer_id: int, limit_minor: int) -> None:
        cu = t.customer.c
        self.c.execute(update(t.customer).where(cu.company_id == self.cid, cu.id == customer_id)
                       .values(credit_limit_minor=limit_minor, version=cu.version + 1))

    def add_application(self, **values: Any) -> int:
        r = self.c.execute(insert(t.credit_application).values(company_id=self.cid, **values))
        return _pk(r)

    def application(self, app_id: int) -> Any:
        a = t.credit_application.c
        return self.c.execute(select(t.credit_application).where(a.company_id == self.cid, a.id == app_id)).first()

    def decide_application(self, app_id: int, status: str, by: str, on: date, note: str | None) -> None:
        a = t.credit_application.c
        self.c.execute(update(t.credit_application).where(a.company_id == self.cid, a.id == app_id)
                       .values(status=status, decided_by=by, decided_on=on, decision_note=note))

    # ── debtor kind: one customer's record ───────────────────────────────────────────────────
    def activities_since(self, customer_id: int, since: date) -> list[tuple[date, str, str, str | None]]:
        """(on, channel, outcome, excuse), oldest first."""
        a = t.activity.c
        q = (select(a.on, a.channel, a.outcome, a.excuse)
             .where(a.company_id == self.cid, a.customer_id == customer_id, a.on >= since).order_by(a.at, a.id))
        return [(r[0], r[1], r[2], r[3]) for r in self.c.execute(q)]

    def disputes_since(self, customer_id: int, since: date) -> list[tuple[date, date | None]]:
        d = t.dispute.c
        q = select(d.opened_on, d.resolved_on).where(
            d.company_id == self.cid, d.customer_id == customer_id,
            (d.opened_on >= since) | d.resolved_on.is_(None))
        return [(r[0], r[1]) for r in self.c.execute(q)]

    def payment_days(self, customer_id: int, since: date) -> list[date]:
        p = t.payment.c
        q = select(p.paid_on).where(p.company_id == self.cid, p.customer_id == customer_id, p.paid_on >= since)
        return [r[0] for r in self.c.execute(q)]

    def paid_invoices(self, since: date, customer_ids: Sequence[int] | None = None) -> list[tuple[int, date, date, date]]:
        """(customer_id, invoice_on, due_on, paid_on) of invoices fully paid by payments, paid on or after
        ``since``, by customer then paid date. The paid date is the last payment allocated to it."""
        i, a = t.invoice.c, t.allocation.c
        paid_on = func.max(a.allocated_on)
        q = (select(i.customer_id, i.invoice_on, i.due_on, paid_on)
             .select_from(t.invoice.join(t.allocation, and_(a.company_id == i.company_id, a.invoice_id == i.id)))
             .where(i.company_id == self.cid, i.open_minor == 0, a.payment_id.is_not(None),
                    *([i.customer_id.in_(list(customer_ids))] if customer_ids is not None else []))
             .group_by(i.id, i.customer_id, i.invoice_on, i.due_on)
             .having(paid_on >= since)
             .order_by(i.customer_id, paid_on, i.id))
        return [(r[0], r[1], r[2], r[3]) for r in self.c.execute(q)]

    def part_paid_invoices(self, since: date, customer_ids: Sequence[int] | None = None) -> dict[int, int]:
        """customer → invoices paid in parts since ``since``: a payment left the invoice open, or it took
        two payments or more."""
        i, a = t.invoice.c, t.allocation.c
        q = (select(i.customer_id, i.id, func.count(), i.open_minor)
             .select_from(t.allocation.join(t.invoice, and_(i.company_id == a.company_id, i.id == a.invoice_id)))
             .where(a.company_id == self.cid, a.payment_id.is_not(None), a.allocated_on >= since,
                    *([i.customer_id.in_(list(customer_ids))] if customer_ids is not None else []))
             .group_by(i.customer_id, i.id, i.open_minor))
        out: dict[int, int] = {}
        for cid, _, n, open_minor in self.c.execute(q):
            if open_minor > 0 or n >= 2:
                out[cid] = out.get(cid, 0) + 1
        return out

    def promises_made(self, since: date) -> dict[int, int]:
        p = t.promise.c
        q = select(p.customer_id, func.count()).where(p.company_id == self.cid, p.made_on >= since).group_by(p.customer_id)
        return {r[0]: int(r[1]) for r in self.c.execute(q)}

    def recent_orders(self, since: date) -> dict[int, list[tuple[str, date, int]]]:
        o = t.sales_order.c
        out: dict[int, list[tuple[str, date, int]]] = {}
        for cid, number, on, amount in self.c.execute(
                select(o.customer_id, o.number, o.ordered_on, o.amount_minor)
                .where(o.company_id == self.cid, o.ordered_on >= since, o.status == "open")):
            out.setdefault(cid, []).append((number, on, int(amount)))
        return out

    def invoice_amounts(self, customer_ids: Sequence[int], since: date) -> dict[int, list[tuple[date, int]]]:
        i = t.invoice.c
        out: dict[int, list[tuple[date, int]]] = {}
        if not customer_ids:
            return out
        for cid, on, amount in self.c.execute(select(i.customer_id, i.invoice_on, i.amount_minor).where(
                i.company_id == self.cid, i.customer_id.in_(list(customer_ids)), i.invoice_on >= since)):
            out.setdefault(cid, []).append((on, int(amount)))
        return out

    def contacts_state(self) -> list[tuple[int, int, str, str, date | None]]:
        """(customer_id, contact id, name, role, left_on) of every contact."""
        c = t.contact.c
        return [(r[0], r[1], r[2], r[3], r[4]) for r in self.c.execute(
            select(c.customer_id, c.id, c.name, c.role, c.left_on).where(c.company_id == self.cid))]

    def oldest_overdue(self, customer_ids: Sequence[int], today: date) -> dict[int, date]:
        i = t.invoice.c
        if not customer_ids:
            return {}
        q = (select(i.customer_id, func.min(i.due_on)).where(
            i.company_id == self.cid, i.customer_id.in_(list(customer_ids)), i.open_minor > i.disputed_minor,
            i.due_on < today).group_by(i.customer_id))
        return {r[0]: r[1] for r in self.c.execute(q)}

    def set_contact_left(self, customer_id: int, name: str, on: date | None) -> int:
        c = t.contact.c
        r = self.c.execute(update(t.contact).where(c.company_id == self.cid, c.customer_id == customer_id,
                                                    c.name == name).values(left_on=on))
        return int(r.rowcount or 0)

    # ── alerts and levers ──────────────────────────────────────────────────────────────────
    def alert_keys(self) -> tuple[set[tuple[int, str, str]], dict[tuple[int, str], list[int]]]:
        """(every (customer, kind, anchor) ever raised, open alerts by (customer, kind) → ids)."""
        a = t.alert.c
        seen: set[tuple[int, str, str]] = set()
        open_: dict[tuple[int, str], list[int]] = {}
        for aid, cid, kind, anchor, closed in self.c.execute(
                select(a.id, a.customer_id, a.kind, a.anchor, a.closed_on).where(a.company_id == self.cid)):
            seen.add((cid, kind, anchor))
            if closed is None:
                open_.setdefault((cid, kind), []).append(aid)
        return seen, open_

    def add_alerts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(insert(t.alert), [{"company_id": self.cid, **r} for r in rows])

    def close_alerts(self, ids: Sequence[int], on: date) -> None:
        a = t.alert.c
        if ids:
            self.c.execute(update(t.alert).where(a.company_id == self.cid, a.id.in_(list(ids))).values(closed_on=on))

    def alerts(self, open_only: bool, since: date | None = None, customer_id: int | None = None,
               today: date | None = None) -> list[Any]:
        """The warnings with their customer's money at stake — ``overdue_minor`` (undisputed open money
        past due before ``today``) and ``open_minor`` (all it owes) — the most money first: a credit
        manager reads a long list from the top. Without ``today``, newest first."""
        a, cu, i = t.alert.c, t.customer.c, t.invoice.c
        where = (a.company_id == self.cid, *([a.closed_on.is_(None)] if open_only else []),
                 *([a.raised_on >= since] if since else []),
                 *([a.customer_id == customer_id] if customer_id is not None else []))
        if today is None:
            q = (select(t.alert, cu.code.label("customer_code"), cu.name.label("customer_name"))
                 .join(t.customer, and_(cu.company_id == a.company_id, cu.id == a.customer_id))
                 .where(*where).order_by(a.raised_on.desc(), a.id.desc()))
            return list(self.c.execute(q))
        warned = select(a.customer_id).where(*where)
        stake = (select(i.customer_id.label("customer_id"),
                        func.sum(case((i.due_on < today, i.open_minor - i.disputed_minor), else_=0)).label("overdue"),
                        func.sum(i.open_minor).label("open"))
                 .where(i.company_id == self.cid, i.open_minor > 0, i.customer_id.in_(warned))
                 .group_by(i.customer_id).subquery())
        overdue = cast(func.coalesce(stake.c.overdue, 0), BigInteger).label("overdue_minor")  # PostgreSQL sums to numeric
        owed = cast(func.coalesce(stake.c.open, 0), BigInteger).label("open_minor")
        q = (select(t.alert, cu.code.label("customer_code"), cu.name.label("customer_name"),
                    cu.currency.label("currency"), overdue, owed)
             .join(t.customer, and_(cu.company_id == a.company_id, cu.id == a.customer_id))
             .outerjoin(stake, stake.c.customer_id == a.customer_id)
             .where(*where)
             .order_by(overdue.desc(), owed.desc(), a.raised_on.desc(), a.id.desc()))
        return list(self.c.execute(q))

    def add_lever(self, **values: Any) -> int:
        r = self.c.execute(insert(t.lever_record).values(company_id=self.cid, **values))
        return _pk(r)

    def levers_done(self, customer_id: int) -> list[Any]:
        x = t.lever_record.c
        return list(self.c.execute(select(t.lever_record).where(x.company_id == self.cid, x.customer_id == customer_id)
                                   .order_by(x.done_on, x.id)))

    def add_task(self, **values: Any) -> None:
        """A task the warnings set (a visit), under the run's once-a-day key (customer, stage, day)."""
        x = t.action.c
        exists = self.c.execute(select(x.id).where(x.company_id == self.cid, x.customer_id == values["customer_id"],
                                                   x.stage == values["stage"], x.run_on == values["run_on"])).first()
        if exists is None:
            self.c.execute(insert(t.action).values(company_id=self.cid, **values))

    # ── periodic review: set-based over the company ─────────────────────────────────────────
    def open_ar_by_customer(self) -> dict[int, int]:
        i = t.invoice.c
        q = select(i.customer_id, func.sum(i.open_minor)).where(i.company_id == self.cid, i.open_minor != 0) \
            .group_by(i.customer_id)
        return {r[0]: int(r[1]) for r in self.c.execute(q)}

    def invoiced_since(self, since: date) -> dict[int, int]:
        i = t.invoice.c
        q = select(i.customer_id, func.sum(i.amount_minor)).where(i.company_id == self.cid, i.invoice_on >= since) \
            .group_by(i.customer_id)
        return {r[0]: int(r[1]) for r in self.c.execute(q)}

    def oldest_overdue_all(self, today: date) -> dict[int, date]:
        i = t.invoice.c
        q = (select(i.customer_id, func.min(i.due_on)).where(
            i.company_id == self.cid, i.open_minor > i.disputed_minor, i.due_on < today).group_by(i.customer_id))
        return {r[0]: r[1] for r in self.c.execute(q)}

    def applications(self, status: str | None = None) -> list[Any]:
        a, cu = t.credit_application.c, t.customer.c
        q = (select(t.credit_application, cu.code.label("customer_code"), cu.name.label("customer_name"))
             .join(t.customer, and_(cu.company_id == a.company_id, cu.id == a.customer_id))
             .where(a.company_id == self.cid, *([a.status == status] if status else [])).order_by(a.id))
        return list(self.c.execute(q))

    # ── importer (services/import_/orders.py) ────────────────────────────────────────────────
    def order_rows(self) -> dict[str, Any]:
        o = t.sales_order.c
        return {r.number: r for r in self.c.execute(select(t.sales_order).where(o.company_id == self.cid))}

    def delivery_rows(self) -> dict[str, Any]:
        d = t.delivery.c
        return {r.number: r for r in self.c.execute(select(t.delivery).where(d.company_id == self.cid))}

    def insert_orders(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(insert(t.sales_order), [{"company_id": self.cid, **r} for r in rows])

    def insert_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(insert(t.delivery), [{"company_id": self.cid, **r} for r in rows])
