"""Customers (upsert by customer code) and their contacts (upsert by customer + name).

An empty cell means "not given": the default on insert, the stored value unchanged on update.
"""

from __future__ import annotations

from typing import Any

from ...domain.parsing import parse_amount, parse_bool, parse_contact_role, parse_customer_type, parse_email
from ...domain.terms import parse_terms
from .base import Importer, is_given, text_of
from .report import ImportReport

CUSTOMER_FIELDS = ("name", "type", "terms", "credit_limit_minor", "currency", "segment", "collector",
                   "sales_owner", "policy", "region", "deliver_two_settle_one", "requires_statement")


class CustomerImporter(Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.existing = self.repo.customers(CUSTOMER_FIELDS)
        self.seen: dict[str, int] = {}
        self.records: list[tuple[str, dict[str, Any]]] = []

    def check_row(self, n: int, row: dict[str, object]) -> None:
        code = self.text(row, "customer_code", n, required=True)
        given: dict[str, Any] = {}
        name = self.text(row, "name", n, required=True)
        given["name"] = name
        if (v := self.parse(row, "type", n, parse_customer_type)) is not None:
            given["type"] = v.value
        if (v := self.parse(row, "terms", n, parse_terms)) is not None:
            given["terms"] = v.text()
        cur = self.currency_of(row, n, self.currency)
        if is_given(self.raw(row, "currency")) and cur:
            given["currency"] = cur
        if (v := self.parse(row, "credit_limit", n, parse_amount, cur or self.currency)) is not None:
            if v.minor < 0:
                self.problem(n, "credit_limit", "amount.negative", value=text_of(self.raw(row, "credit_limit")))
            given["credit_limit_minor"] = v.minor
        for f in ("segment", "collector", "sales_owner", "policy", "region"):
            if v := self.text(row, f, n):
                given[f] = v
        for f in ("deliver_two_settle_one", "requires_statement"):
            if (v := self.parse(row, f, n, parse_bool)) is not None:
                given[f] = v
        if code and self.duplicate(self.seen, code, n, "customer_code", code):
            return
        if not self._found:
            self.records.append((code, given))

    def defaults(self) -> dict[str, Any]:
        return {"type": "dealer", "terms": "cash", "credit_limit_minor": 0, "currency": self.currency,
                "segment": None, "collector": None, "sales_owner": None, "policy": None, "region": None,
                "deliver_two_settle_one": False, "requires_statement": False}

    def new_customers(self) -> dict[str, tuple[int, str, str]]:
        """code → (placeholder id, terms, currency) of the customers ``write`` will insert, for the checks of
        the kinds imported with them (``Importer.expect_customers``)."""
        defaults = self.defaults()
        out: dict[str, tuple[int, str, str]] = {}
        for code, given in self.records:
            if code not in self.existing:
                merged = {**defaults, **given}
                out[code] = (-1 - len(out), merged["terms"], merged["currency"])
        return out

    def write(self, report: ImportReport) -> None:
        defaults = self.defaults()
        inserts, updates = [], []
        for code, given in self.records:
            old = self.existing.get(code)
            if old is None:
                merged = {**defaults, **given}
                inserts.append((code, *(merged[f] for f in CUSTOMER_FIELDS)))
                continue
            if self.only_new:
                report.unchanged += 1
                continue
            current = dict(zip(CUSTOMER_FIELDS, old[1], strict=True))
            merged = {**current, **given}
            if merged == current:
                report.unchanged += 1
            else:
                updates.append((*(merged[f] for f in CUSTOMER_FIELDS), old[0]))
        self.repo.insert_customers(CUSTOMER_FIELDS, inserts)
        self.repo.update_customers(CUSTOMER_FIELDS, updates)
        report.inserted, report.updated = len(inserts), len(updates)


CONTACT_FIELDS = ("role", "phone", "email", "best_time", "do_not_contact")


class ContactImporter(Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.known = self.customers()
        self.existing = self.repo.contacts(CONTACT_FIELDS)
        self.seen: dict[tuple[int, str], int] = {}
        self.records: list[tuple[int, str, dict[str, Any]]] = []

    def check_row(self, n: int, row: dict[str, object]) -> None:
        cid = self.customer_id(row, n, self.known)
        name = self.text(row, "name", n, required=True)
        given: dict[str, Any] = {}
        if (v := self.parse(row, "role", n, parse_contact_role)) is not None:
            given["role"] = v.value
        if v := self.text(row, "phone", n):
            given["phone"] = v
        if (v := self.parse(row, "email", n, parse_email)) is not None:
            given["email"] = v
        if v := self.text(row, "best_time", n):
            given["best_time"] = v
        if (v := self.parse(row, "do_not_contact", n, parse_bool)) is not None:
            given["do_not_contact"] = v
        if cid is not None and name and self.duplicate(self.seen, (cid, name), n, "name", name):
            return
        if not self._found and cid is not None:
            self.records.append((cid, name, given))

    def write(self, report: ImportReport) -> None:
        defaults = {"role": "other", "phone": None, "email": None, "best_time": None, "do_not_contact": False}
        inserts, updates = [], []
        for cid, name, given in self.records:
            old = self.existing.get((cid, name))
            if old is None:
                merged = {**defaults, **given}
                inserts.append((cid, name, *(merged[f] for f in CONTACT_FIELDS)))
                continue
            current = dict(zip(CONTACT_FIELDS, old[1], strict=True))
            merged = {**current, **given}
            if merged == current:
                report.unchanged += 1
            else:
                updates.append((*(merged[f] for f in CONTACT_FIELDS), old[0]))
        self.repo.insert_contacts(CONTACT_FIELDS, inserts)
        self.repo.update_contacts(CONTACT_FIELDS, updates)
        report.inserted, report.updated = len(inserts), len(updates)
