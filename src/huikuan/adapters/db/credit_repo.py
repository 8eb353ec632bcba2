"""Reads and writes of credit control: the order desk's check, orders, deliveries, overrides,
applications, limit history, alerts and levers. Writers never commit: the unit of work does.

The check's reads are all keyed by (company, customer): each is an index range of one customer, so
the order desk's answer costs the same at 10³ or 10⁶ invoices.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from . import tables as t


def _pk(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("insert returned no primary key")
    return int(key[0])


class CreditRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    # ── the check's reads ───────────────────────────────────────────────────────────────────
    def unpaid_invoices(self, customer_id: int, currency: str) -> list[tuple[str, date, int, int]]:
        """(number, due_on, open_minor, disputed_minor) of the customer's open invoices in its currency."""
        iv = t.invoice.c
        q = (select(iv.number, iv.due_on, iv.open_minor, iv.disputed_minor)
             .where(iv.company_id == self.cid, iv.customer_id == customer_id, iv.currency == currency,
                    iv.open_minor != 0))
        return [(r[0], r[1], int(r[2]), int(r[3])) for r in self.c.execute(q)]

    def unbilled_deliveries(self, customer_id: int, currency: str) -> list[tuple[str, date, int]]:
        """(number, delivered_on, amount) of deliveries not yet billed by an invoice we hold."""
        d, iv = t.delivery.c, t.invoice.c
        billed = (select(iv.id).where(iv.company_id == d.company_id, iv.number == d.invoice_number)
                  .exists())
        q = (select(d.number, d.delivered_on, d.amount_minor)
             .where(d.company_id == self.cid, d.customer_id == customer_id, d.currency == currency,
                    ~billed))
        return [(r[0], r[1], int(r[2])) for r in self.c.execute(q)]

    def open_orders_minor(self, customer_id: int, currency: str, exclude: str | None) -> int:
        """Open orders' amounts not yet delivered (the order being checked excluded)."""
        o, d = t.sales_order.c, t.delivery.c
        delivered = (select(func.coalesce(func.sum(d.amount_minor), 0))
                     .where(d.company_id == o.company_id, d.order_number == o.number).scalar_subquery())
        rest = func.max(o.amount_minor - delivered, 0) if self.c.dialect.name == "sqlite" else \
            func.greatest(o.amount_minor - delivered, 0)
        q = select(func.coalesce(func.sum(rest), 0)).where(
            o.company_id == self.cid, o.customer_id == customer_id, o.currency == currency, o.status == "open",
            *([o.number != exclude] if exclude else []))
        return int(self.c.execute(q).scalar() or 0)

    def unmatured_commercial_minor(self, customer_id: int, currency: str, as_of: date) -> int:
        p = t.payment.c
        q = select(func.coalesce(func.sum(p.amount_minor), 0)).where(
            p.company_id == self.cid, p.customer_id == customer_id, p.currency == currency,
            p.method == "acceptance_bill", p.bill_kind == "commercial", p.bill_matures_on > as_of)
        return int(self.c.execute(q).scalar() or 0)

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
