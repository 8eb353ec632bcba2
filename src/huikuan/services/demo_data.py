"""Demo data: a deterministic, realistic Chinese company that sells on credit.

``generate(customers, months, seed, as_of)`` is pure: the same arguments give the same rows, every
time, on every machine (one ``random.Random`` per customer seeded from ``seed``; no global random,
no wall clock). It builds dealers, enterprises, government units and exporters across the provinces,
their contacts, ``months`` months of invoices before ``as_of``, and the payments, credit notes (红字),
disputes, promises and collection activities that the BRIEF's kinds of debtor leave behind:

============  ==============================================================================
good          pays on or just before the due date
slow          slow but sure: 10–40 days late, always in full
deliberate    恶意欠款: pays the early invoices, then promises and part-payments, then silence
technical     技术性欠款: a good payer until a shock; part-payments and a kept instalment plan
competitive   竞争性欠款: pays late and only after pressure, in lumps covering several invoices
grievance     原由性欠款: disputes (quality, short delivery, rebate owed …) and withholds them
============  ==============================================================================

Amounts are integer fen inside and decimal text (``"1234.50"``) in the rows, the form the importer
reads. Payments are allocated here exactly as the ledger allocates them (``domain.allocation``: the
named invoice first, otherwise oldest due first) so the generator knows every invoice's open amount;
credit notes only touch invoices paid by named payments, so loading in the order customers →
contacts → invoices → payments → credit notes leaves no unapplied money and the database's open
balance equals ``DemoCompany.open_minor``.

``demo_load.load(app, company)`` writes a company through the import, ledger and collection services;
the words come from ``demo_vocabulary``; how each kind of debtor pays is simulated in ``demo_debtors``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..domain.money import format_minor
from .demo_debtors import SIMULATE, DemoActivity, _Customer, _invoices, add_months
from .demo_vocabulary import (
    BEST_TIMES,
    DISPUTE_NOTES,
    GIVEN,
    GOVERNMENT_UNITS,
    KIND_SHARES,
    PLACES,
    SEGMENT,
    SUFFIXES,
    SURNAMES,
    WORDS,
    YUAN,
    DebtorKind,
)


@dataclass(frozen=True, slots=True)
class DemoDispute:
    customer_code: str
    invoice_no: str
    amount_minor: int
    category: str
    opened_on: date
    note: str


@dataclass(frozen=True, slots=True)
class DemoPromise:
    customer_code: str
    amount_minor: int
    promised_on: date
    made_on: date
    invoices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DemoCompany:
    seed: int
    as_of: date
    months: int
    customers: tuple[dict[str, object], ...]
    contacts: tuple[dict[str, object], ...]
    invoices: tuple[dict[str, object], ...]
    payments: tuple[dict[str, object], ...]
    credit_notes: tuple[dict[str, object], ...]
    disputes: tuple[DemoDispute, ...]
    promises: tuple[DemoPromise, ...]
    activities: tuple[DemoActivity, ...]
    kinds: tuple[tuple[str, DebtorKind], ...]  # (customer_code, kind)
    open_by_invoice: tuple[tuple[str, int], ...]  # (invoice_no, open fen) after everything

    @property
    def window_start(self) -> date:
        """Invoices are dated after this day and on or before ``as_of``."""
        return add_months(self.as_of, -self.months)

    def sections(self) -> tuple[tuple[str, tuple[dict[str, object], ...]], ...]:
        """Import kinds with their rows, in the order they must be loaded."""
        return (("customers", self.customers), ("contacts", self.contacts), ("invoices", self.invoices),
                ("payments", self.payments), ("credit-notes", self.credit_notes))

    @property
    def open_minor(self) -> int:
        return sum(m for _, m in self.open_by_invoice)

    def overdue_minor(self) -> int:
        due = {str(r["invoice_no"]): date.fromisoformat(str(r["due_date"])) for r in self.invoices}
        return sum(m for no, m in self.open_by_invoice if due[no] < self.as_of)


def deal_kinds(n: int, rng: random.Random) -> list[DebtorKind]:
    """Kinds in the KIND_SHARES proportions, each at least once when n >= 6, in shuffled order."""
    counts = {k: max(1 if n >= len(KIND_SHARES) else 0, n * share // 100) for k, share in KIND_SHARES}
    while sum(counts.values()) > n:
        counts[DebtorKind.GOOD if counts[DebtorKind.GOOD] > 1 else DebtorKind.SLOW] -= 1
    counts[DebtorKind.GOOD] += n - sum(counts.values())
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    return kinds


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def staff(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = person_name(rng)
        if name not in names:
            names.append(name)
    return names


def _pick(rng: random.Random, weighted: Iterable[tuple[Any, int]]) -> Any:
    items = list(weighted)
    return rng.choices([v for v, _ in items], weights=[w for _, w in items])[0]


def customer_row(i: int, rng: random.Random, collectors: list[str], sales: list[str],
                 taken: set[str]) -> dict[str, object]:
    """One customer master row; ``taken`` keeps names unique across the company."""
    ctype = _pick(rng, (("dealer", 70), ("enterprise", 18), ("government", 7), ("export", 5)))
    prefix, _province, region = rng.choice(PLACES)
    for attempt in range(20):
        if ctype == "government":
            name = prefix + rng.choice(GOVERNMENT_UNITS)
        else:
            name = prefix + rng.choice(WORDS) + rng.choice(SUFFIXES[ctype])
        if attempt >= 10:
            name += f"（第{attempt - 9}分部）"
        if name not in taken:
            break
    else:  # pragma: no cover - 20 collisions in a row needs far more customers than the name space
        name = f"{name}（{i}）"
    taken.add(name)
    terms = {
        "dealer": (("cash", 12), ("net 30", 18), ("net 60", 8), ("eom 30", 30), ("eom 60", 10), ("day 25", 22)),
        "enterprise": (("net 30", 20), ("net 60", 25), ("eom 30", 25), ("eom 60", 20), ("day 25", 10)),
        "government": (("eom 60", 50), ("net 90", 50)),
        "export": (("net 60", 60), ("net 90", 30), ("cash", 10)),
    }[ctype]
    term = _pick(rng, terms)
    limit_yuan = {"dealer": (5, 80), "enterprise": (20, 200), "government": (50, 300), "export": (30, 150)}[ctype]
    limit = 0 if term == "cash" else rng.randint(*limit_yuan) * 10_000 * YUAN
    return {
        "customer_code": f"KH{i:06d}",
        "name": name,
        "type": ctype,
        "terms": term,
        "credit_limit": format_minor(limit),
        "segment": SEGMENT[ctype],
        "collector": rng.choice(collectors),
        "sales_owner": rng.choice(sales),
        "region": region,
        "deliver_two_settle_one": "true" if ctype == "dealer" and term != "cash" and rng.random() < 0.2 else "false",
        "requires_statement": "true" if ctype in ("enterprise", "government") or rng.random() < 0.3 else "false",
    }


def contact_rows(customer: dict[str, object], rng: random.Random, phone_seq: Callable[[], int]) -> list[dict[str, object]]:
    roles = {"dealer": ["owner", "finance"], "enterprise": ["finance", "signatory", "purchasing"],
             "government": ["finance", "signatory"], "export": ["finance", "purchasing"]}[str(customer["type"])]
    if rng.random() < 0.4:
        roles = roles[:1]
    if rng.random() < 0.1:
        roles.append("legal_rep")
    code = str(customer["customer_code"]).lower()
    rows, names = [], set()
    for role in roles:
        name = person_name(rng)
        while name in names:
            name = person_name(rng)
        names.add(name)
        n = phone_seq()
        rows.append({
            "customer_code": customer["customer_code"],
            "name": name,
            "role": role,
            "phone": f"1{38 + n // 10_000 % 10}0000{n % 10_000:04d}",  # 1380000xxxx, 1390000xxxx … clearly fake
            "email": f"{role.replace('_', '')}.{code}@example.com",
            "best_time": rng.choice(BEST_TIMES),
            "do_not_contact": "true" if rng.random() < 0.03 else "false",
        })
    return rows


def _number(items: list[Any], prefix: str, when: Callable[[Any], date], width: int) -> None:
    """Document numbers in date order, a sequence per month: XS202511-00012."""
    items.sort(key=lambda x: (when(x), x.code, x.idx))
    seq: dict[str, int] = {}
    for x in items:
        month = f"{when(x):%Y%m}"
        seq[month] = seq.get(month, 0) + 1
        x.number = f"{prefix}{month}-{seq[month]:0{width}d}"


def generate(customers: int = 300, months: int = 14, seed: int = 7, as_of: date | None = None) -> DemoCompany:
    """A whole company, deterministic for (customers, months, seed, as_of)."""
    if as_of is None:
        raise ValueError("as_of is required: the generator never reads the clock")
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be positive")
    rng = random.Random(f"huikuan-demo/{seed}")
    collectors = staff(rng, rng.randint(3, 6))
    sales = staff(rng, max(4, min(12, customers // 40)))
    kinds = deal_kinds(customers, rng)
    start = add_months(as_of, -months)
    taken: set[str] = set()
    phones = iter(range(10**6))
    people: list[_Customer] = []
    contacts: list[dict[str, object]] = []
    for i, kind in enumerate(kinds, start=1):
        crng = random.Random(f"huikuan-demo/{seed}/{i}")
        row = customer_row(i, crng, collectors, sales, taken)
        contacts.extend(contact_rows(row, crng, lambda: next(phones)))
        c = _Customer(row, kind, crng, as_of)
        _invoices(c, start, str(row["terms"]), crng)
        SIMULATE[kind](c)
        people.append(c)
    return _assemble(people, contacts, seed, as_of, months)


def _assemble(people: list[_Customer], contacts: list[dict[str, object]], seed: int, as_of: date,
              months: int) -> DemoCompany:
    invoices = [i for c in people for i in c.invoices]
    payments = [p for c in people for p in c.payments]
    notes = [n for c in people for n in c.credit_notes]
    _number(invoices, "XS", lambda i: i.on, 5)
    _number(payments, "SK", lambda p: p.on, 5)
    _number(notes, "HZ", lambda n: n.on, 4)
    return DemoCompany(
        seed=seed, as_of=as_of, months=months,
        customers=tuple(c.row for c in people),
        contacts=tuple(contacts),
        invoices=tuple({"invoice_no": i.number, "customer_code": i.code, "invoice_date": i.on.isoformat(),
                        "due_date": i.due.isoformat(), "amount": format_minor(i.amount), "currency": "CNY"}
                       for i in invoices),
        payments=tuple({"payment_no": p.number, "customer_code": p.code, "payment_date": p.on.isoformat(),
                        "amount": format_minor(p.amount), "method": p.method,
                        "invoice_no": p.named.number if p.named else "",
                        "bill_maturity": p.bill_maturity.isoformat() if p.bill_maturity else ""}
                       for p in payments),
        credit_notes=tuple({"credit_note_no": n.number, "customer_code": n.code, "invoice_no": n.invoice.number,
                            "date": n.on.isoformat(), "amount": format_minor(n.amount)} for n in notes),
        disputes=tuple(DemoDispute(c.code, inv.number, amount, category, on, DISPUTE_NOTES[category])
                       for c in people for inv, amount, category, on in c.disputes),
        promises=tuple(DemoPromise(c.code, amount, promised_on, made_on, tuple(i.number for i in invs))
                       for c in people for made_on, promised_on, amount, invs in c.promises),
        activities=tuple(sorted((a for c in people for a in c.activities), key=lambda a: (a.at, a.customer_code))),
        kinds=tuple((c.code, c.kind) for c in people),
        open_by_invoice=tuple((i.number, i.open) for i in sorted(invoices, key=lambda i: i.number) if i.open),
    )
