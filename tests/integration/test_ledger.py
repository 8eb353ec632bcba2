"""Ledger writes on SQLite and PostgreSQL: payments, credit notes, write-offs, disputes, and the
maintained aggregates (open, disputed, unapplied) checked against the detail rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from huikuan import i18n
from huikuan.adapters.db import tables as t
from huikuan.bootstrap import App
from huikuan.domain.errors import Conflict, HuikuanError, InvalidInput, NotFound, RuleViolation
from huikuan.domain.ledger import DisputeCategory
from huikuan.domain.money import Money
from huikuan.services import ledger
from huikuan.services.import_ import import_rows


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
        r = ledger.record_payment(uow, "C1", cny("250"), date(2026, 3, 1), number="P1")
        uow.commit()
    assert r.lines == (("A", 10000), ("B", 15000))
    assert r.unapplied_minor == 0
    assert state(books)["A"] == (0, 0) and state(books)["B"] == (5000, 0) and state(books)["C"] == (30000, 0)
    assert consistent(books) == []


def test_named_invoice_is_paid_first(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_payment(uow, "C1", cny("350"), date(2026, 3, 1), invoice_number="C")
        uow.commit()
    assert r.lines == (("C", 30000), ("A", 5000))
    assert consistent(books) == []


def test_overpayment_stays_as_credit_then_pays_the_next_imported_invoice(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_payment(uow, "C2", cny("80"), date(2026, 3, 1), number="P9")
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
            ledger.record_payment(uow, **kwargs)  # type: ignore[arg-type]
        assert e.value.code == code
        for lang in ("zh", "en"):
            assert i18n.error_text(e.value, lang) != code
    with books.uow() as uow, pytest.raises(NotFound) as nf:
        ledger.record_payment(uow, "NOPE", cny("1"), date(2026, 3, 1))
    assert nf.value.params == {"what": "customer", "value": "NOPE"}
    with books.uow() as uow:
        ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1), number="DUP")
        uow.commit()
    with books.uow() as uow, pytest.raises(Conflict):
        ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1), number="DUP")
    assert state(books)["A"] == (9900, 0)


def test_generated_payment_numbers_are_unique(books: App) -> None:
    with books.uow() as uow:
        a = ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1))
        b = ledger.record_payment(uow, "C1", cny("1"), date(2026, 3, 1))
        uow.commit()
    assert a.number != b.number


def test_credit_note_reduces_named_invoice_and_keeps_leftover(books: App) -> None:
    with books.uow() as uow:
        r = ledger.record_credit_note(uow, "C1", cny("150"), date(2026, 3, 2), invoice_number="A", number="R1")
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
        ledger.write_off(uow, "A", cny("40"), "客户破产", date(2026, 6, 1))
        uow.commit()
    assert state(books)["A"] == (6000, 0)
    with books.uow() as uow:
        with pytest.raises(RuleViolation) as e:
            ledger.write_off(uow, "A", cny("60.01"), "x", date(2026, 6, 1))
        assert e.value.code == "write_off.exceeds_open"
        with pytest.raises(InvalidInput) as e2:
            ledger.write_off(uow, "A", cny("1"), "  ", date(2026, 6, 1))
        assert e2.value.code == "write_off.reason_missing"
        ledger.open_dispute(uow, "A", cny("50"), DisputeCategory.QUALITY, date(2026, 6, 1))
        with pytest.raises(RuleViolation) as e3:
            ledger.write_off(uow, "A", cny("20"), "x", date(2026, 6, 1))
        assert e3.value.code == "write_off.disputed"
    assert consistent(books) == []


def test_disputes_maintain_disputed_amount(books: App) -> None:
    with books.uow() as uow:
        d1 = ledger.open_dispute(uow, "C", cny("100"), "quality", date(2026, 4, 1), "破损")
        d2 = ledger.open_dispute(uow, "C", None, DisputeCategory.PRICING, date(2026, 4, 2))
        uow.commit()
    assert state(books)["C"] == (30000, 30000)
    with books.uow() as uow:
        with pytest.raises(RuleViolation) as e:
            ledger.open_dispute(uow, "C", None, "quality", date(2026, 4, 3))
        assert e.value.code == "dispute.nothing_open"
        with pytest.raises(RuleViolation) as e2:
            ledger.open_dispute(uow, "B", cny("200.01"), "quality", date(2026, 4, 3))
        assert e2.value.code == "dispute.exceeds_open"
        with pytest.raises(InvalidInput):
            ledger.open_dispute(uow, "B", cny("1"), "bad-mood", date(2026, 4, 3))
        ledger.resolve_dispute(uow, d1, date(2026, 4, 10))
        uow.commit()
    assert state(books)["C"] == (30000, 20000)
    with books.uow() as uow:
        with pytest.raises(RuleViolation):
            ledger.resolve_dispute(uow, d1, date(2026, 4, 11))
        with pytest.raises(NotFound):
            ledger.resolve_dispute(uow, 999, date(2026, 4, 11))
        ledger.resolve_dispute(uow, d2, date(2026, 4, 11))
        uow.commit()
    assert state(books)["C"] == (30000, 0)
    assert consistent(books) == []


def test_payment_on_disputed_invoice_never_leaves_disputed_above_open(books: App) -> None:
    with books.uow() as uow:
        ledger.open_dispute(uow, "A", None, "quality", date(2026, 4, 1))
        ledger.record_payment(uow, "C1", cny("70"), date(2026, 4, 2), invoice_number="A")
        uow.commit()
    assert state(books)["A"] == (3000, 3000)
    assert consistent(books) == []


def test_recompute_open_finds_a_tampered_aggregate(books: App) -> None:
    with books.uow() as uow:
        ledger.record_payment(uow, "C1", cny("10"), date(2026, 3, 1))
        uow.c.execute(update(t.invoice).where(t.invoice.c.number == "B").values(open_minor=1))
        uow.commit()
    found = consistent(books)
    assert [(m.number, m.column, m.stored, m.expected) for m in found] == [("B", "open_minor", 1, 20000)]
