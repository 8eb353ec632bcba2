"""The simulated book of one demo customer (demo_data.py): its invoices, and how each kind of debtor
(``DebtorKind``) pays them — payments, credit notes, disputes, promises and the collection activities
they leave behind. Amounts are integer fen; allocation follows ``domain.allocation`` exactly."""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..domain.allocation import allocate
from ..domain.ledger import OpenItem
from ..domain.terms import due_date, parse_terms
from .demo_vocabulary import DISPUTE_NOTES, EXCUSE_NOTES, TZ, YUAN, DebtorKind


@dataclass(frozen=True, slots=True)
class DemoActivity:
    customer_code: str
    at: datetime  # aware, company time zone
    channel: str
    outcome: str
    excuse: str | None
    note: str | None
    actor: str


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _workday(d: date) -> date:
    """Business documents are dated Monday–Saturday in this demo (no holiday data needed)."""
    return d + timedelta(days=1) if d.weekday() == 6 else d


@dataclass(eq=False)
class _Invoice:
    idx: int
    code: str
    on: date
    due: date
    amount: int
    credit: int = 0
    paid: int = 0
    disputed: int = 0
    number: str = ""

    @property
    def open(self) -> int:
        return self.amount - self.credit - self.paid

    def item(self) -> OpenItem:
        # The sort key stands in for the number (assigned later, in date order within a customer).
        return OpenItem(self.idx, f"{self.on.isoformat()}#{self.idx:09d}", self.due, self.open)


@dataclass(eq=False)
class _Payment:
    code: str
    on: date
    amount: int
    method: str
    named: _Invoice | None
    bill_maturity: date | None
    idx: int  # creation order within the customer: the tie-break for numbering
    number: str = ""


@dataclass(eq=False)
class _CreditNote:
    code: str
    invoice: _Invoice
    on: date
    amount: int
    idx: int
    number: str = ""


@dataclass
class _Customer:
    """One customer's story, simulated in date order so allocation matches the ledger's."""

    row: dict[str, object]
    kind: DebtorKind
    rng: random.Random
    as_of: date
    invoices: list[_Invoice] = field(default_factory=list)
    payments: list[_Payment] = field(default_factory=list)
    credit_notes: list[_CreditNote] = field(default_factory=list)
    disputes: list[tuple[_Invoice, int, str, date]] = field(default_factory=list)
    promises: list[tuple[date, date, int, tuple[_Invoice, ...]]] = field(default_factory=list)
    activities: list[DemoActivity] = field(default_factory=list)

    @property
    def code(self) -> str:
        return str(self.row["customer_code"])

    @property
    def collector(self) -> str:
        return str(self.row["collector"])

    # -- ledger moves ---------------------------------------------------------------------------
    def pay(self, on: date, amount: int, named: _Invoice | None = None, method: str | None = None) -> int:
        """Record a payment on ``on`` (skipped after as_of) and allocate it like the ledger does."""
        on = _workday(on)
        items = [i.item() for i in self.invoices if i.open > 0 and i.on <= on]
        amount = min(amount, sum(i.open_minor for i in items))
        if on > self.as_of or amount <= 0:
            return 0
        alloc = allocate(amount, items, named.idx if named is not None else None)
        by_idx = {i.idx: i for i in self.invoices}
        for idx, minor in alloc.lines:
            by_idx[idx].paid += minor
        method = method or self._method(amount)
        maturity = on + timedelta(days=self.rng.choice((90, 120, 180))) if method == "acceptance_bill" else None
        self.payments.append(_Payment(self.code, on, amount, method, named, maturity, len(self.payments)))
        return amount

    def _method(self, amount: int) -> str:
        r = self.rng.random()
        if amount >= 50_000 * YUAN and self.row["type"] in ("dealer", "enterprise") and r < 0.18:
            return "acceptance_bill"  # 承兑汇票
        if amount <= 20_000 * YUAN and self.row["type"] == "dealer" and r > 0.95:
            return "cash"
        return "cheque" if r > 0.97 else "transfer"

    def overdue_open(self, on: date) -> int:
        return sum(i.open for i in self.invoices if i.due < on and i.open > 0)

    def contact(self, on: date, channel: str, outcome: str, excuse: str | None = None,
                note: str | None = None) -> None:
        on = _workday(on)
        if on > self.as_of:
            return
        hour, minute = self.rng.choice(((15, 30), (15, 30), (10, 0), (14, 20), (16, 10), (9, 40)))
        at = datetime.combine(on, time(hour, minute + self.rng.randint(0, 19)), TZ)
        if on == self.as_of:
            # Today's calls are not made yet when the demo is built (at any hour): a contact at 16:10 today
            # would be a last contact in the future. Drawn all the same, so every later draw, and the rest of
            # the demo, stays as it was.
            return
        if note is None and excuse is not None:
            note = EXCUSE_NOTES.get(excuse)
        self.activities.append(DemoActivity(self.code, at, channel, outcome, excuse, note, self.collector))

    def promise(self, made_on: date, promised_on: date, amount: int, invoices: Iterable[_Invoice] = ()) -> None:
        made_on = _workday(made_on)
        if made_on > self.as_of or amount <= 0:
            return
        self.promises.append((made_on, _workday(promised_on), amount, tuple(invoices)))


def _invoices(c: _Customer, start: date, terms_text: str, rng: random.Random) -> None:
    terms = parse_terms(terms_text)
    ctype = str(c.row["type"])
    per_month = {"dealer": (1, 4), "enterprise": (1, 3), "government": (0, 1), "export": (1, 2)}[ctype]
    lo, hi = {"dealer": (5_000, 300_000), "enterprise": (20_000, 800_000), "government": (50_000, 1_500_000),
              "export": (30_000, 600_000)}[ctype]
    first = start if rng.random() < 0.8 else start + timedelta(days=rng.randint(0, max(0, (c.as_of - start).days - 45)))
    month = date(first.year, first.month, 1)
    while month <= c.as_of:
        last = min(c.as_of, add_months(month, 1) - timedelta(days=1))
        for _ in range(rng.randint(*per_month)):
            on = _workday(month + timedelta(days=rng.randint(0, (last - month).days)))
            if not first < on <= c.as_of:
                continue
            # Log-uniform between lo and hi: many small invoices, a few large ones.
            yuan = int(lo * (hi / lo) ** rng.random())
            fen = rng.choice((0, 0, 0, 50, rng.randint(1, 99)))
            c.invoices.append(_Invoice(len(c.invoices), c.code, on, due_date(on, terms), yuan * YUAN + fen))
        month = add_months(month, 1)
    c.invoices.sort(key=lambda i: (i.on, i.idx))
    for n, inv in enumerate(c.invoices):
        inv.idx = n


def _returns(c: _Customer) -> None:
    """Credit notes (红字, goods returned) on a few invoices paid invoice by invoice."""
    for inv in c.invoices:
        if c.rng.random() < 0.05:
            on = _workday(inv.on + timedelta(days=c.rng.randint(3, 25)))
            if on <= c.as_of:
                inv.credit = inv.amount * c.rng.randint(3, 20) // 100 // YUAN * YUAN or inv.amount
                c.credit_notes.append(_CreditNote(c.code, inv, on, inv.credit, len(c.credit_notes)))


def _on_time(c: _Customer, inv: _Invoice, late: tuple[int, int] = (-5, 0)) -> date:
    on = inv.due + timedelta(days=c.rng.randint(*late))
    return max(on, inv.on, *(n.on for n in c.credit_notes if n.invoice is inv))


def _simulate_good(c: _Customer) -> None:
    _returns(c)
    for inv in c.invoices:
        c.pay(_on_time(c, inv), inv.open, named=inv)
    if c.row["requires_statement"] == "true":
        for inv in c.invoices[-3:]:
            c.contact(inv.on + timedelta(days=5), "email", "sent", note="对账单已发送")


def _simulate_slow(c: _Customer) -> None:
    _returns(c)
    for inv in c.invoices:
        on = _on_time(c, inv, (10, 40))
        if inv.due + timedelta(days=7) <= c.as_of:
            excuse = c.rng.choice(("in_approval", "payer_away", "statement_mismatch", "boss_travelling"))
            c.contact(inv.due + timedelta(days=3), "phone", "reached", excuse)
            if c.rng.random() < 0.3:
                c.contact(inv.due + timedelta(days=6), "phone", "promised", excuse)
                c.promise(inv.due + timedelta(days=6), on, inv.open, (inv,))
        c.pay(on, inv.open, named=inv)


def _simulate_deliberate(c: _Customer) -> None:
    """Warm and punctual, then promises and part-payments, then silence (seed 004)."""
    rng = c.rng
    promise_from = c.as_of - timedelta(days=rng.randint(150, 210))
    silence_from = c.as_of - timedelta(days=rng.randint(60, 100))
    for inv in c.invoices:
        if promise_from - timedelta(days=60) <= inv.on < silence_from:
            inv.amount = inv.amount * rng.randint(2, 3)  # warning sign: unusually large orders before it goes quiet
    for inv in c.invoices:
        on = _on_time(c, inv, (-3, 3))
        if on < promise_from:
            c.pay(on, inv.open, named=inv)
        elif on < silence_from:
            part = inv.open * rng.randint(30, 60) // 100 // YUAN * YUAN
            c.pay(min(silence_from - timedelta(days=1), on + timedelta(days=rng.randint(20, 50))), part, named=inv)
    day = promise_from
    while day < silence_from:
        overdue = c.overdue_open(day)
        if overdue:
            c.contact(day, "phone", "promised", rng.choice(("goods_unsold", "buyers_unpaid", "not_due")),
                      note="态度很好，说下周一定安排付款")
            c.promise(day, day + timedelta(days=rng.randint(7, 14)), overdue)
        day += timedelta(days=rng.randint(20, 35))
    day = silence_from + timedelta(days=5)
    c.promise(day, day + timedelta(days=10), c.overdue_open(day))
    c.contact(day, "phone", "promised", "boss_travelling", note="说老板回来马上付，之后电话就打不通了")
    while day < c.as_of:
        day += timedelta(days=rng.randint(4, 10))
        c.contact(day, rng.choice(("phone", "phone", "sms")), rng.choice(("no_answer", "no_answer", "left_message")))
    c.contact(c.as_of - timedelta(days=rng.randint(1, 6)), "visit", "refused", "payer_away",
              note="上门拜访，店员说老板不在，财务电话已换号")


def _simulate_technical(c: _Customer) -> None:
    """A good payer hit by a shock: apologetic, part-payments, an instalment plan it keeps."""
    rng = c.rng
    shock = c.as_of - timedelta(days=rng.randint(90, 150))
    for inv in c.invoices:
        on = _on_time(c, inv)
        if on < shock:
            c.pay(on, inv.open, named=inv)
    plan_on = shock + timedelta(days=rng.randint(15, 30))
    c.contact(plan_on - timedelta(days=3), "phone", "reached", rng.choice(("no_money", "buyers_unpaid")),
              note="今年行情不好，下游回款慢，老板主动打电话道歉，申请分期还款")
    c.contact(plan_on, "visit", "promised", "no_money", note="上门面谈，签了分期还款计划")
    # The plan covers the whole balance at plan_on; later deliveries are paid in part, invoice by
    # invoice (never touching the plan's invoices, which are all older).
    owed = sum(i.open for i in c.invoices if i.on <= plan_on)
    for inv in c.invoices:
        if inv.on > plan_on:
            part = inv.open * rng.randint(40, 80) // 100 // YUAN * YUAN
            c.pay(inv.due + timedelta(days=rng.randint(5, 30)), part, named=inv)
    parts = rng.randint(3, 5)
    share = owed // parts // YUAN * YUAN  # whole yuan; the last instalment takes the remainder
    for k in range(parts):
        due_k = plan_on + timedelta(days=30 * (k + 1))
        amount = share if k < parts - 1 else owed - share * (parts - 1)
        c.promise(plan_on, due_k, amount)
        paid = amount if rng.random() < 0.85 else amount // 2 // YUAN * YUAN
        c.pay(due_k + timedelta(days=rng.randint(-2, 3)), paid)
        c.contact(due_k + timedelta(days=4), "phone", "paid" if paid == amount else "promised",
                  None if paid == amount else "no_money")


def _simulate_competitive(c: _Customer) -> None:
    """Pays whoever presses hardest: lumps after pressure, never on time (seed 004)."""
    rng = c.rng
    day = c.invoices[0].due + timedelta(days=rng.randint(20, 40)) if c.invoices else c.as_of
    while day <= c.as_of:
        overdue = c.overdue_open(day)
        if overdue:
            c.contact(day, "phone", "refused", rng.choice(("payer_away", "in_approval", "no_money")),
                      note="说欠很多供应商的钱，谁催得紧先付谁")
            c.contact(day + timedelta(days=7), "phone", "reached", "boss_travelling")
            visit = day + timedelta(days=rng.randint(12, 20))
            c.contact(visit, "visit", "promised", note="上门催收，当面答应月底前付一部分")
            lump = overdue * rng.randint(60, 100) // 100 // YUAN * YUAN
            c.promise(visit, visit + timedelta(days=10), lump)
            c.pay(visit + timedelta(days=rng.randint(5, 15)), lump)
        day += timedelta(days=rng.randint(45, 75))


def _simulate_grievance(c: _Customer) -> None:
    """Unhappy with our goods or service: withholds the disputed part, pays the rest slowly."""
    rng = c.rng
    _returns(c)
    candidates = [i for i in c.invoices if i.credit == 0 and i.on + timedelta(days=20) <= c.as_of]
    disputed = set(rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3))))
    for inv in c.invoices:
        if inv in disputed:
            category = rng.choice(tuple(DISPUTE_NOTES))
            amount = inv.amount if rng.random() < 0.25 else inv.amount * rng.randint(10, 60) // 100 // YUAN * YUAN
            inv.disputed = amount
            opened = _workday(inv.on + timedelta(days=rng.randint(7, 20)))
            c.disputes.append((inv, amount, category, opened))
            c.contact(opened, "phone", "disputed", "quality" if category in ("quality", "damaged") else
                      "documents_missing" if category == "documents_missing" else "statement_mismatch",
                      note=DISPUTE_NOTES[category])
        c.pay(_on_time(c, inv, (0, 25)), inv.open - inv.disputed, named=inv)


SIMULATE = {DebtorKind.GOOD: _simulate_good, DebtorKind.SLOW: _simulate_slow,
            DebtorKind.DELIBERATE: _simulate_deliberate, DebtorKind.TECHNICAL: _simulate_technical,
            DebtorKind.COMPETITIVE: _simulate_competitive, DebtorKind.GRIEVANCE: _simulate_grievance}
