"""对账单 statements (balances, PDF with fonts embedded, XLSX) and their confirmation link: expired,
tampered, replayed and stale links are refused; a confirmation is recorded once, with its evidence;
a disputed line opens a dispute on that invoice."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import Conflict, InvalidInput
from huikuan.domain.money import Money
from huikuan.services import ledger, statements
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)


def seed(app) -> None:
    import_rows(app, "customers", [{"customer_code": "KH1", "name": "杭州汇通电子有限公司", "terms": "net 30",
                                    "credit_limit": "100000.00", "collector": "李娜"}])
    import_rows(app, "invoices", [
        {"invoice_no": "A0", "customer_code": "KH1", "invoice_date": "2026-09-20", "amount": "5000.00"},
        {"invoice_no": "A1", "customer_code": "KH1", "invoice_date": "2026-10-08", "amount": "12000.00"},
        {"invoice_no": "A2", "customer_code": "KH1", "invoice_date": "2026-10-25", "amount": "3456.78"},
        {"invoice_no": "A3", "customer_code": "KH1", "invoice_date": "2026-11-02", "amount": "999.00"}])
    with app.uow() as uow:
        ledger.record_payment(uow, "KH1", Money.parse("4000.00"), date(2026, 10, 15), number="P1", by=BY)
        ledger.record_payment(uow, "KH1", Money.parse("1.00"), date(2026, 9, 30), number="P0", by=BY)
        uow.commit()


def test_balances_and_xlsx(app):
    seed(app)
    st = statements.statement(app, "KH1", "2026-10")
    assert st.opening_minor == 499_900  # A0 5,000.00 less P0 1.00
    assert [(ln.number, ln.debit_minor, ln.credit_minor) for ln in st.lines] == [
        ("A1", 1_200_000, 0), ("P1", 0, 400_000), ("A2", 345_678, 0)]
    assert st.closing_minor == 499_900 + 1_200_000 - 400_000 + 345_678
    wb = load_workbook(io.BytesIO(statements.statement_xlsx(app, "KH1", "2026-10")))
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
    assert "杭州汇通电子有限公司" in cells and "A2" in cells and "期末余额" in cells
    assert any(str(c) == "16455.78" for c in cells)  # the closing balance as an exact number
    with pytest.raises(InvalidInput):
        statements.statement(app, "KH1", "2026-13")


def test_statement_pdf_has_the_figures_and_embedded_fonts(sqlite_app, tmp_path):
    seed(sqlite_app)
    path = tmp_path / "st.pdf"
    path.write_bytes(statements.statement_pdf(sqlite_app, "KH1", "2026-10"))
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    for needle in ("对账单", "杭州汇通电子有限公司", "¥4,999.00", "¥16,455.78", "壹万陆仟肆佰伍拾伍元柒角捌分", "P1"):
        assert needle in text, needle
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f for f in fonts)


def test_confirmation_link_once_with_evidence(app, clock):
    seed(app)
    token = statements.confirmation_token(app, "KH1", "2026-10")
    assert statements.open_link(app, token).closing_minor == 1_645_578
    with pytest.raises(InvalidInput) as e:
        statements.open_link(app, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert e.value.code == "confirm.tampered"
    with pytest.raises(InvalidInput):
        statements.confirm(app, token, "", "10.0.0.1")  # who is required
    assert statements.confirm(app, token, "周会计", "203.0.113.7") == "confirmed"
    with pytest.raises(Conflict):
        statements.confirm(app, token, "周会计", "203.0.113.7")  # replayed
    with pytest.raises(Conflict):
        statements.open_link(app, token)
    with app.engine.connect() as c:
        rec = c.execute(select(t.statement_confirmation)).one()
        st = c.execute(select(t.statement)).one()
    assert (rec.who, rec.ip, rec.outcome, rec.period) == ("周会计", "203.0.113.7", "confirmed", "2026-10")
    assert rec.statement_sha256 == statements.statement(app, "KH1", "2026-10").sha256
    assert st.confirmed_on == clock.today() and st.sent_on == clock.today()  # the statement ladder stops chasing


def test_expired_and_stale_links_and_a_disputed_line(app, clock):
    seed(app)
    token = statements.confirmation_token(app, "KH1", "2026-10")
    real_now = datetime.now(UTC)  # itsdangerous stamps the link with the wall clock
    clock.set(real_now + timedelta(days=31))
    with pytest.raises(InvalidInput) as e:
        statements.open_link(app, token)
    assert e.value.code == "confirm.expired"
    clock.set(real_now)
    with app.uow() as uow:  # the ledger changes after the link went out: the link no longer fits
        ledger.record_payment(uow, "KH1", Money.parse("10.00"), date(2026, 10, 20), number="P2", by=BY)
        uow.commit()
    with pytest.raises(InvalidInput) as e:
        statements.confirm(app, token, "周会计", None)
    assert e.value.code == "confirm.changed"
    fresh = statements.confirmation_token(app, "KH1", "2026-10")
    with pytest.raises(InvalidInput):
        statements.confirm(app, fresh, "周会计", None, {"ZZZ": "not ours"})
    assert statements.confirm(app, fresh, "周会计", None, {"A2": "货物短少两箱"}) == "disputed"
    with app.engine.connect() as c:
        d = c.execute(select(t.dispute)).one()
        inv = c.execute(select(t.invoice).where(t.invoice.c.number == "A2")).one()
    assert d.invoice_id == inv.id and "货物短少两箱" in d.note and inv.disputed_minor == inv.open_minor
