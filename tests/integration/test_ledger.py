"""Ledger writes on SQLite and PostgreSQL: payments, credit notes, write-offs, disputes, and the
maintained aggregates (open, disputed, unapplied) checked against the detail rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from huikuan import i18n
from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import Conflict, HuikuanError, InvalidInput, NotFound, RuleViolation
from huikuan.domain.ledger import DisputeCategory
from huikuan.domain.money import Money
from huikuan.services import ledger
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


@pytest.fixture
def books(app: App) -> App:
    import_rows(app, "customers", [
        {"customer_code": "C1", "name": "甲", "terms": "net 30"},
        {"customer_code": "C2", "name": "乙", "terms": "cash"},
    ])
    import_rows(app, "invoices", [
        {"invoice_no": "A", "customer_code": "C1", "invoice_date": "2026-01-05", "due_date": "2026-02-04",
         "amount": "100.00"},
        {"invoice_no": "B", "customer_code": "C1", "invoice_date": "2026-02-05", "due_date": "2026-03-07",
         "amount": "200.00"},
        {"invoice_no": "C", "customer_code": "C1", "invoice_date": "2026-03-05", "due_date": "2026-04-04",
         "amount": "300.00"},
        {"invoice_no": "Z", "customer_code": "C2", "invoice_date": "2026-01-01", "due_date": "2026-01-01",
         "amount": "50.00"},
    ])
    return app


def state(app: App) -> dict[str, tuple[int, int]]:
    with app.uow() as uow:
        rows = uow.c.execute(select(t.invoice.c.number, t.invoice.c.open_minor, t.invoice.c.disputed_minor)).all()
    return {n: (o, d) for n, o, d in rows}


def consistent(app: App) -> list[ledger.Mismatch]:
    with app.uow() as uow:
        return ledger.recompute_open(uow)


def test_payment_goes_oldest_due_first_and_rest_is_kept(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_payment(uow, "C1", cny("250"), date(2026, 3, 1), number="P1", by=BY)
        uow.commit()
    assert r.lines == (("A", 10000), ("B", 15000))
    assert r.unapplied_minor == 0
    assert state(books)["A"] == (0, 0) and state(books)["B"] == (5000, 0) and state(books)["C"] == (30000, 0)
    assert consistent(books) == []


def test_named_invoice_is_paid_first(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_payment(uow, "C1", cny("350"), date(2026, 3, 1), invoice_number="C", by=BY)
        uow.commit()
    assert r.lines == (("C", 30000), ("A", 5000))
    assert consistent(books) == []


def test_overpayment_stays_as_credit_then_pays_the_next_imported_invoice(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_payment(uow, "C2", cny("80"), date(2026, 3, 1), number="P9", by=BY)
        uow.commit()
    assert r.unapplied_minor == 3000
    report = import_rows(books, "invoices", [
        {"invoice_no": "Z2", "customer_code": "C2", "invoice_date": "2026-04-01", "amount": "20"},
        {"invoice_no": "Z3", "customer_code": "C2", "invoice_date": "2026-04-02", "amount": "20"},
    ])
    assert report.applied_credit_minor == 3000
    s = state(books)
    assert s["Z2"] == (0, 0) and s["Z3"] == (1000, 0)
    with books.uow() as uow:
        assert uow.c.execute(select(t.payment.c.unapplied_minor).where(t.payment.c.number == "P9")).scalar() == 0
    assert consistent(books) == []


def test_payment_errors_have_codes_and_catalog_text(books: App) -> None:
    cases: list[tuple[type[HuikuanError], str, dict[str, object]]] = [
        (NotFound, "customer.not_found", {"customer_code": "NOPE"}),
        (NotFound, "invoice.not_found", {"invoice_number": "NOPE"}),
        (RuleViolation, "invoice.other_customer", {"invoice_number": "Z"}),
        (InvalidInput, "amount.zero", {"amount": cny("0")}),
    ]
    for error, code, override in cases:
        kwargs: dict[str, object] = {"customer_code": "C1", "amount": cny("1"), "paid_on": date(2026, 3, 1)}
        kwargs.update(override)
        with books.uow() as uow, pytest.raises(error) as e:
            ledger.record_payment(uow, **kwargs, by=BY)  # type: ignore[arg-type]
        assert e.value.code == code
        for lang in ("zh", "en"):
            assert i18n.error_text(e.value, lang) != code
    with books.uow() as uow, pytest.raises(NotFound) as nf:
        ledger.record_payment(uow, "NOPE", cny("1"), date(2026, 3, 1), by=BY)
    assert nf.value.params == {"what": "customer", "value": "NOPE"}
    with books.uow() as uow:
        ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1), number="DUP", by=BY)
        uow.commit()
    with books.uow() as uow, pytest.raises(Conflict):
        ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1), number="DUP", by=BY)
    assert state(books)["A"] == (9900, 0)


def test_generated_payment_numbers_are_unique(books: App) -> None:
    with books.uow() as uow:
        a = ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1), by=BY)
        b = ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1), by=BY)
        uow.commit()
    assert a.number != b.number


def test_credit_note_reduces_named_invoice_and_keeps_leftover(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_credit_note(uow, "C1", cny("150"), date(2026, 3, 2), invoice_number="A", number="R1", by=BY)
        uow.commit()
    assert r.lines == (("A", 10000),)
    assert r.unapplied_minor == 5000
    assert state(books)["B"] == (20000, 0)  # a credit note does not spill onto other invoices
    import_rows(books, "invoices", [{"invoice_no": "D", "customer_code": "C1", "invoice_date": "2026-05-01",
                                     "amount": "70"}])
    assert state(books)["D"] == (2000, 0)
    assert consistent(books) == []


def test_write_off(books: App) -> None:
    with books.uow() as uow:
        ledger.write_off(uow, "A", cny("40"), "客户破产", date(2026, 6, 1), by=BY)
        uow.commit()
    assert state(books)["A"] == (6000, 0)
    with books.uow() as uow:
        with pytest.raises(RuleViolation) as e:
            ledger.write_off(uow, "A", cny("60.01"), "x", date(2026, 6, 1), by=BY)
        assert e.value.code == "write_off.exceeds_open"
        with pytest.raises(InvalidInput) as e2:
            ledger.write_off(uow, "A", cny("1"), "  ", date(2026, 6, 1), by=BY)
        assert e2.value.code == "write_off.reason_missing"
        ledger.open_dispute(uow, "A", cny("50"), DisputeCategory.QUALITY, date(2026, 6, 1), by=BY)
        with pytest.raises(RuleViolation) as e3:
            ledger.write_off(uow, "A", cny("20"), "x", date(2026, 6, 1), by=BY)
        assert e3.value.code == "write_off.disputed"
    assert consistent(books) == []


def test_disputes_maintain_disputed_amount(books: App) -> None:
    with books.uow() as uow:
        d1 = ledger.open_dispute(uow, "C", cny("100"), "quality", date(2026, 4, 1), "破损", by=BY)
        d2 = ledger.open_dispute(uow, "C", None, DisputeCategory.PRICING, date(2026, 4, 2), by=BY)
        uow.commit()
    assert state(books)["C"] == (30000, 30000)
    with books.uow() as uow:
        with pytest.raises(RuleViolation) as e:
            ledger.open_dispute(uow, "C", None, "quality", date(2026, 4, 3), by=BY)
        assert e.value.code == "dispute.nothing_open"
        with pytest.raises(RuleViolation) as e2:
            ledger.open_dispute(uow, "B", cny("200.01"), "quality", date(2026, 4, 3), by=BY)
        assert e2.value.code == "dispute.exceeds_open"
        with pytest.raises(InvalidInput):
            ledger.open_dispute(uow, "B", cny("1"), "bad-mood", date(2026, 4, 3), by=BY)
        ledger.resolve_dispute(uow, d1, date(2026, 4, 10), by=BY)
        uow.commit()
    assert state(books)["C"] == (30000, 20000)
    with books.uow() as uow:
        with pytest.raises(RuleViolation):
            ledger.resolve_dispute(uow, d1, date(2026, 4, 11), by=BY)
        with pytest.raises(NotFound):
            ledger.resolve_dispute(uow, 999, date(2026, 4, 11), by=BY)
        ledger.resolve_dispute(uow, d2, date(2026, 4, 11), by=BY)
        uow.commit()
    assert state(books)["C"] == (30000, 0)
    assert consistent(books) == []


def test_payment_on_disputed_invoice_never_leaves_disputed_above_open(books: App) -> None:
    with books.uow() as uow:
        ledger.open_dispute(uow, "A", None, "quality", date(2026, 4, 1), by=BY)
        ledger.record_payment(uow, "C1", cny("70"), date(2026, 4, 2), invoice_number="A", by=BY)
        uow.commit()
    assert state(books)["A"] == (3000, 3000)
    assert consistent(books) == []


def test_recompute_open_finds_a_tampered_aggregate(books: App) -> None:
    with books.uow() as uow:
        ledger.record_payment(uow, "C1", cny("10"), date(2026, 3, 1), by=BY)
        uow.c.execute(update(t.invoice).where(t.invoice.c.number == "B").values(open_minor=1))
        uow.commit()
    found = consistent(books)
    assert [(m.number, m.column, m.stored, m.expected) for m in found] == [("B", "open_minor", 1, 20000)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_ledger_history_keeps_every_aggregate_and_every_fen(app: App, seed: int) -> None:
    """Payments, credit notes, write-offs, disputes and invoice imports in random order: after each
    step the maintained aggregates equal the detail rows, and no money is created or lost."""
    import random

    rng = random.Random(seed)
    import_rows(app, "customers", [{"customer_code": f"C{i}", "name": f"客户{i}", "terms": "net 30"}
                                   for i in range(3)])
    owner: dict[str, str] = {}  # invoice number → customer
    disputes: list[int] = []
    for step in range(80):
        op = rng.choice(["invoice"] * 3 + ["pay", "pay", "credit", "write_off", "dispute", "dispute", "resolve"])
        customer = f"C{rng.randrange(3)}"
        amount = Money(rng.randint(1, 50_000), "CNY")
        day = date(2026, 1, 1 + step % 28)
        try:
            if op == "invoice":
                number = f"I{step}"
                import_rows(app, "invoices", [{"invoice_no": number, "customer_code": customer,
                                               "invoice_date": day.isoformat(), "amount": amount.amount_text()}])
                owner[number] = customer
                continue
            with app.uow() as uow:
                own = [n for n, c in owner.items() if c == customer]
                named = None
                if owner and rng.random() < 0.1:
                    named = rng.choice(list(owner))  # maybe another customer's: refused
                elif own and rng.random() < 0.6:
                    named = rng.choice(own)
                if op == "pay":
                    ledger.record_payment(uow, customer, amount, day, invoice_number=named, by=BY)
                elif op == "credit":
                    ledger.record_credit_note(uow, customer, amount, day, invoice_number=named, by=BY)
                elif op == "write_off" and named:
                    ledger.write_off(uow, named, amount, "test", day, by=BY)
                elif op == "dispute" and named:
                    part = Money(amount.minor // 10 + 1, "CNY") if rng.random() < 0.5 else None
                    disputes.append(ledger.open_dispute(uow, named, part, "quality", day, by=BY))
                elif op == "resolve" and disputes:
                    ledger.resolve_dispute(uow, disputes.pop(rng.randrange(len(disputes))), day, by=BY)
                uow.commit()
        except (RuleViolation, NotFound):
            pass  # another customer's invoice, more than is open, nothing open: refused, nothing written
        assert consistent(app) == [], (step, op)
    with app.uow() as uow:
        def total(sql: str) -> int:
            return int(uow.c.exec_driver_sql(sql).scalar() or 0)

        invoiced = total("SELECT SUM(amount_minor) FROM invoice")
        still_open = total("SELECT SUM(open_minor) FROM invoice")
        received = total("SELECT SUM(amount_minor) FROM payment") + total("SELECT SUM(amount_minor) FROM credit_note")
        unapplied = (total("SELECT SUM(unapplied_minor) FROM payment")
                     + total("SELECT SUM(unapplied_minor) FROM credit_note"))
        written_off = total("SELECT SUM(amount_minor) FROM write_off")
        assert invoiced - still_open == received - unapplied + written_off
        assert total("SELECT COUNT(*) FROM invoice WHERE disputed_minor > open_minor OR open_minor < 0") == 0
        # The history really exercised the ledger (not everything was refused).
        assert total("SELECT COUNT(*) FROM allocation") > 10
        assert total("SELECT COUNT(*) FROM dispute") > 0
        assert unapplied > 0 and written_off + total("SELECT COUNT(*) FROM credit_note") > 0
