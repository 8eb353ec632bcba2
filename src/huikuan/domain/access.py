"""Who sees what: the customer scope of a signed-in person and the masking of contacts' personal data.

Pure rules over roles (``Role``) and a person's name as it appears on customers (``customer.collector``
for a collector, ``customer.sales_owner`` for a salesperson). The web layer and the API turn a user into
a ``Scope`` once per request; repositories apply it in the query, never after the fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .ledger import Role

# Roles that see every customer (supervisors and managers reassign; finance books; auditor reads).
SEES_ALL = frozenset({
    Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER, Role.GM,
    Role.OWNER, Role.FINANCE, Role.ADMIN, Role.AUDITOR,
})
# Roles that read contacts' personal data unmasked on every customer (they work any customer).
UNMASKED = frozenset({
    Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER, Role.GM,
    Role.OWNER, Role.FINANCE,
})
# Roles that may reassign customers between collectors.
REASSIGNS = frozenset({Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.MANAGER, Role.GM,
                       Role.OWNER})


@dataclass(frozen=True, slots=True)
class Scope:
    """Which customers a person may see: all, or those whose collector / sales owner is ``person``."""

    everything: bool
    person: str | None = None
    as_collector: bool = False
    as_sales: bool = False

    @classmethod
    def all(cls) -> Scope:
        return cls(True)

    def covers(self, collector: str | None, sales_owner: str | None) -> bool:
        if self.everything:
            return True
        if self.person is None:
            return False
        return (self.as_collector and collector == self.person) or (self.as_sales and sales_owner == self.person)


def scope_for(roles: Iterable[Role | str], person: str | None) -> Scope:
    rs = {Role(r) for r in roles}
    if rs & SEES_ALL:
        return Scope(True)
    return Scope(False, person or None, Role.COLLECTOR in rs, Role.SALES in rs)


def sees_unmasked(roles: Iterable[Role | str], works_customer: bool) -> bool:
    """Personal data is shown to the roles that work any customer, and to the collector or salesperson of
    this customer; everyone else (admin, auditor, a colleague's customer) sees it masked."""
    rs = {Role(r) for r in roles}
    return bool(rs & UNMASKED) or (works_customer and bool(rs & {Role.COLLECTOR, Role.SALES}))


_DIGITS = re.compile(r"\d")


def mask_phone(value: str | None) -> str | None:
    """138****5678: the first three and last four digits stay, the rest become ``*``."""
    if not value:
        return value
    digits = [m.start() for m in _DIGITS.finditer(value)]
    if len(digits) <= 7:
        return "*" * len(value)
    hide = set(digits[3:-4])
    return "".join("*" if i in hide else ch for i, ch in enumerate(value))


def mask_email(value: str | None) -> str | None:
    """z***@example.com: the first letter of the local part and the domain stay."""
    if not value:
        return value
    local, at, domain = value.partition("@")
    if not at:
        return mask_text(value)
    return (local[:1] + "***") + "@" + domain


def mask_text(value: str | None) -> str | None:
    """An ID number or address: the first and last characters stay, at most 2 of each."""
    if not value:
        return value
    keep = 1 if len(value) <= 6 else 2
    if len(value) <= 2:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
