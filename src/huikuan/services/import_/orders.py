"""Import kinds of credit control (issue 10): open sales orders and delivery notes (送货单).

They follow the importer's contract (``services/import_``): every row checked first, every problem reported
with row and column, nothing written on any problem, upsert by number (the same file twice changes
nothing). A delivery names an order we hold or one in the same file, of the same customer; once it
names an invoice it is that invoice's evidence. Reads and writes go through ``uow.credit``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ...domain.parsing import parse_positive_amount
from .base import Importer
from .report import ImportReport


class OrderImporter(Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.existing = self.uow.credit.order_rows()
        self.seen: dict[str, int] = {}
        self.records: list[dict[str, Any]] = []

    def check_row(self, n: int, row: dict[str, object]) -> None:
        number = self.text(row, "order_no", n, required=True)
        cid = self.customer_id(row, n, self.known)
        on = self.date(row, "order_date", n, required=True)
        cur = self.currency_of(row, n, self.known[self.text(row, "customer_code", n)][2] if cid else self.currency)
        amount = self.parse(row, "amount", n, parse_positive_amount, cur or self.currency, required=True)
        status = self.text(row, "status", n) or "open"
        if status not in ("open", "closed", "cancelled"):
            self.problem(n, "status", "order.status", value=status)
        if number and self.duplicate(self.seen, number, n, "order_no", number):
            return
        old = self.existing.get(number)
        if old is not None and cid is not None and old.customer_id != cid:
            self.problem(n, "customer_code", "order.conflict", order=number)
        if not self._found and cid is not None and on is not None and amount is not None:
            self.records.append({"number": number, "customer_id": cid, "ordered_on": on,
                                 "amount_minor": amount.minor, "currency": amount.currency, "status": status})

    def write(self, report: ImportReport) -> None:
        inserts, updates = [], []
        for r in self.records:
            old = self.existing.get(r["number"])
            if old is None:
                inserts.append(r)
            elif (old.ordered_on, int(old.amount_minor), old.currency, old.status) == (
                    r["ordered_on"], r["amount_minor"], r["currency"], r["status"]):
                report.unchanged += 1
            else:
                updates.append(r)
        self.uow.credit.insert_orders(inserts)
        for r in updates:
            self.uow.credit.update_order(r["number"], ordered_on=r["ordered_on"], amount_minor=r["amount_minor"],
                                         currency=r["currency"], status=r["status"])
        report.inserted, report.updated = len(inserts), len(updates)


class DeliveryImporter(Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.orders = self.uow.credit.order_rows()
        self.existing = self.uow.credit.delivery_rows()
        self.seen: dict[str, int] = {}
        self.records: list[dict[str, Any]] = []

    def check_row(self, n: int, row: dict[str, object]) -> None:
        number = self.text(row, "delivery_no", n, required=True)
        code = self.text(row, "customer_code", n)
        cid = self.customer_id(row, n, self.known)
        on = self.date(row, "delivery_date", n, required=True)
        cur = self.currency_of(row, n, self.known[code][2] if cid else self.currency)
        amount = self.parse(row, "amount", n, parse_positive_amount, cur or self.currency, required=True)
        order = self.text(row, "order_no", n) or None
        if order is not None:
            o = self.orders.get(order)
            if o is None:
                self.problem(n, "order_no", "delivery.unknown_order", order=order, delivery=number, value=order)
            elif cid is not None and o.customer_id != cid:
                self.problem(n, "order_no", "credit.order_other_customer", order=order, customer=code, value=order)
        signed_by = self.text(row, "signed_by", n) or None
        signed_on: date | None = self.date(row, "signed_on", n)
        invoice = self.text(row, "invoice_no", n) or None
        if number and self.duplicate(self.seen, number, n, "delivery_no", number):
            return
        if not self._found and cid is not None and on is not None and amount is not None:
            self.records.append({"number": number, "customer_id": cid, "order_number": order, "delivered_on": on,
                                 "amount_minor": amount.minor, "currency": amount.currency, "signed_by": signed_by,
                                 "signed_on": signed_on, "invoice_number": invoice})

    def write(self, report: ImportReport) -> None:
        inserts = []
        fields = ("customer_id", "order_number", "delivered_on", "amount_minor", "currency", "signed_by", "signed_on",
                  "invoice_number")
        for r in self.records:
            old = self.existing.get(r["number"])
            if old is None:
                inserts.append(r)
            elif all(getattr(old, f) == r[f] for f in fields):
                report.unchanged += 1
            else:
                self.uow.credit.update_delivery(r["number"], **{f: r[f] for f in fields})
                report.updated += 1
        self.uow.credit.insert_deliveries(inserts)
        report.inserted = len(inserts)
