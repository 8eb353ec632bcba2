"""Letters: approving a 催款函 issues it (reference, PDF hash, cover e-mail); the sender attaches the
PDF; the PDF holds the customer, the amounts and the 金额大写 with its fonts embedded. A page is kept
as an artefact (build/test-artifacts/) to look at."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from smtp_server import SmtpServer
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.adapters.mail import SmtpMailer
from huikuan.domain.errors import RuleViolation
from huikuan.services import collect, letters, outbox
from huikuan.services.import_ import import_rows

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
TODAY = date(2026, 11, 23)


def _letter_action(app, kind: str = "dunning") -> int:
    import_rows(app, "customers", [{"customer_code": "KH9", "name": "佛山市南海区明辉五金经营部", "terms": "net 30",
                                    "credit_limit": "200000.00", "collector": "王芳"}])
    import_rows(app, "invoices", [
        {"invoice_no": "S-A", "customer_code": "KH9", "invoice_date": "2026-06-01", "amount": "100000.00"},
        {"invoice_no": "S-B", "customer_code": "KH9", "invoice_date": "2026-06-20", "amount": "23456.78"}])
    import_rows(app, "contacts", [{"customer_code": "KH9", "name": "黄会计", "role": "finance",
                                   "email": "huang@example.com"}])
    with app.engine.begin() as c:
        cid = c.execute(select(t.customer.c.id)).scalar_one()
        return int(c.execute(t.action.insert().values(
            company_id=app.company_id, customer_id=cid, run_on=TODAY, ladder="measures", stage=f"letter_{kind}",
            kind="letter", channel=None, channels=[], assignee_role="owner", letter=kind, needs_approval=True,
            rule_id=f"letter-{kind}", policy_id="default", policy_version="1", anchor="2026-07-01",
            amount_minor=12345678, currency="CNY", invoices=["S-A", "S-B"], params={}, reason_zh="逾期",
            reason_en="overdue")).inserted_primary_key[0])


def _pdf_text(pdf: bytes, tmp: Path) -> tuple[str, str]:
    path = tmp / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return text, fonts


def test_an_approved_dunning_letter_is_issued_and_sent_with_its_pdf(app, tmp_path):
    aid = _letter_action(app)
    with pytest.raises(RuleViolation):
        letters.letter_pdf(app, aid)  # not approved yet: no letter
    collect.decide_proposal(app, aid, True, by="老板")
    with app.engine.connect() as c:
        letter = c.execute(select(t.letter)).one()
        rows = c.execute(select(t.outbox)).all()
    assert letter.kind == "dunning" and letter.reference.startswith("HK-D-20261123-")
    assert [(r.channel, r.to_address, r.attachment) for r in rows] == [("email", "huang@example.com", f"letter:{aid}")]
    pdf = letters.letter_pdf(app, aid)
    assert hashlib.sha256(pdf).hexdigest() == letter.pdf_sha256  # re-rendering gives the same evidence

    server = SmtpServer().start()
    try:
        mailer = SmtpMailer("127.0.0.1", server.port)
        report = outbox.send_due(app, mailer, None, now=datetime(2026, 11, 24, 7, 30, tzinfo=UTC),
                                 attach=lambda row: letters.attachments_for(app, row))
        mailer.close()
    finally:
        server.stop()
    assert report.sent == 1
    msg = server.inbox.messages[0]
    att = next(msg.iter_attachments())
    assert att.get_content_type() == "application/pdf"
    assert att.get_filename() == f"催款函-{letter.reference}.pdf"  # RFC 2231 on the wire, Chinese back here
    assert att.get_content() == pdf
    assert "催款函" in msg["Subject"]

    text, fonts = _pdf_text(pdf, tmp_path)
    flat = "".join(text.split())
    for needle in ("催款函", "佛山市南海区明辉五金经营部", "¥123,456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分", "S-A", "S-B",
                   letter.reference, "¥100,000.00"):
        assert needle in flat, needle
    embedded = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert embedded and all(" yes " in line for line in embedded)  # every font embedded
    assert any("CJK" in line for line in embedded)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "letter.pdf"),
                    str(ARTIFACTS / f"letter-dunning-{app.engine.dialect.name}")], check=True)
    assert (ARTIFACTS / f"letter-dunning-{app.engine.dialect.name}.png").stat().st_size > 5000


def test_posting_a_letter_is_recorded_as_evidence(sqlite_app):
    app = sqlite_app
    aid = _letter_action(app, "lawyer")
    collect.decide_proposal(app, aid, True, by="老板")
    letters.mark_posted(app, aid, ems="EA123456789CN", hand=False, on=TODAY)
    with app.engine.connect() as c:
        letter = c.execute(select(t.letter)).one()
        act = c.execute(select(t.activity)).one()
    assert (letter.delivery, letter.tracking, letter.delivered_on) == ("ems", "EA123456789CN", TODAY)
    assert act.note == "EMS EA123456789CN" and act.action_id == aid
