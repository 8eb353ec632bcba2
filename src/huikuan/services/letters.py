"""Letters: 催款函 (dunning), 对账函 (confirmation) and 律师函 (lawyer's letter) as PDFs.

A letter is issued when its proposal is approved (``collect.decide_proposal``): a ``letter`` row with
its reference code and issue date, and a cover e-mail to the entitled contacts in the outbox with the
PDF attached at send time. The PDF is rendered from the action (its invoices and amount, fixed when
the run proposed it) and the issue date, so re-rendering gives the same letter; its SHA-256 is kept
as evidence. Posting it (EMS tracking number) or handing it over is recorded on the letter and the
timeline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date
from pathlib import Path
from typing import Any

from ..domain.capitals import amount_in_capitals
from ..domain.errors import InvalidInput, NotFound, RuleViolation
from ..domain.money import Money
from .outbox import enqueue_letter
from .ports import Attachment

KINDS = ("dunning", "confirmation", "lawyer")
TITLES = {"dunning": ("催款函", "Payment Demand"), "confirmation": ("对账函", "Balance Confirmation"),
          "lawyer": ("律师函", "Lawyer's Letter")}


def reference_for(action: Any) -> str:
    return f"HK-{str(action.letter or 'L')[:1].upper()}-{action.run_on:%Y%m%d}-{action.id}"


def issue(app: Any, uow: Any, action: Any, on: date) -> str:
    """Called in the approval's transaction: the letter row, its PDF hash, its cover e-mail."""
    if action.kind != "letter" or action.letter not in KINDS:
        raise RuleViolation("letter.not_a_letter", id=action.id)
    ref = reference_for(action)
    if uow.outbox.letter(action.id) is None:
        pdf = _render(app, uow, action, ref, on)
        uow.outbox.add_letter(customer_id=action.customer_id, action_id=action.id, kind=action.letter, reference=ref,
                              issued_on=on, pdf_sha256=hashlib.sha256(pdf).hexdigest())
        enqueue_letter(app, uow, action, ref, app.clock.now())
    return ref


def _letter(uow: Any, action_id: int) -> tuple[Any, Any]:
    act = uow.outbox.action(action_id)
    if act is None:
        raise NotFound("action.not_found", what="action", value=action_id)
    if act.kind != "letter":
        raise RuleViolation("letter.not_a_letter", id=action_id)
    row = uow.outbox.letter(action_id)
    if row is None or act.status != "approved":
        raise RuleViolation("letter.not_approved", id=action_id)
    return act, row


def letter_pdf(app: Any, action_id: int) -> bytes:
    with app.uow(write=False) as uow:
        act, row = _letter(uow, action_id)
        issued = row.issued_on if isinstance(row.issued_on, date) else date.fromisoformat(str(row.issued_on))
        return _render(app, uow, act, row.reference, issued)


def attachments_for(app: Any, row: Any) -> tuple[Attachment, ...]:
    """What an outbox row attaches (``letter:<action id>``), rendered at send time."""
    kind, _, ident = (row.attachment or "").partition(":")
    if kind != "letter":
        return ()
    pdf = letter_pdf(app, int(ident))
    with app.uow(write=False) as uow:
        act = uow.outbox.action(int(ident))
    zh, en = TITLES.get(act.letter, ("函件", "Letter"))
    name = f"{zh if row.lang == 'zh' else en.replace(' ', '_')}-{reference_for(act)}.pdf"
    return (Attachment(name, pdf),)


def mark_posted(app: Any, action_id: int, *, ems: str | None, hand: bool, on: date | None) -> None:
    if bool(ems) == bool(hand):
        raise InvalidInput("letter.posted_how")
    if ems is not None and not (6 <= len(ems.strip()) <= 30 and ems.strip().isalnum()):
        raise InvalidInput("letter.bad_ems", value=ems)
    day = on or app.clock.today()
    with app.uow() as uow:
        act, _row = _letter(uow, action_id)
        uow.outbox.update_letter(action_id, delivery="ems" if ems else "hand", tracking=(ems or "").strip() or None,
                                 delivered_on=day)
        now = app.clock.now()
        uow.outbox.add_activity(customer_id=act.customer_id, at=now.astimezone(UTC).replace(tzinfo=None), on=day,
                                channel="visit" if hand else "letter", outcome="sent",
                                note=("EMS " + ems.strip()) if ems else "hand delivery", actor="huikuan",
                                action_id=action_id)
        uow.commit()


def letter_variables(app: Any, uow: Any, action: Any, reference: str, on: date) -> dict[str, Any]:
    s = app.settings
    cust = uow.outbox.customers([action.customer_id])[action.customer_id]
    company = uow.outbox.company()
    numbers = json.loads(action.invoices) if isinstance(action.invoices, str) else list(action.invoices or [])
    found = uow.outbox.invoices(numbers)
    rows = []
    for n in numbers:
        inv = found.get(n)
        if inv is None:
            continue
        due = inv.due_on if isinstance(inv.due_on, date) else date.fromisoformat(str(inv.due_on))
        rows.append({"number": n, "due_on": due.isoformat(),
                     "amount": Money(int(inv.amount_minor), inv.currency).display(),
                     "open": Money(int(inv.open_minor), inv.currency).display(), "days": max(0, (on - due).days)})
    lang = "en" if cust.type == "export" else "zh"
    zh, en = TITLES[action.letter]
    seal = None
    if s.seal_image and Path(s.seal_image).is_file():
        seal = "data:image/png;base64," + base64.b64encode(Path(s.seal_image).read_bytes()).decode()
    return {
        "lang": lang, "kind": action.letter, "title": zh if lang == "zh" else en, "title_zh": zh,
        "company": company.name if company else s.company, "company_address": s.company_address,
        "customer": cust.name, "customer_code": cust.code, "customer_address": getattr(cust, "address", None) or "",
        "reference": reference, "date": on.isoformat(), "date_zh": f"{on.year}年{on.month}月{on.day}日",
        "invoices": rows, "total": Money(int(action.amount_minor), action.currency).display(),
        "total_capitals": amount_in_capitals(int(action.amount_minor)) if action.currency == "CNY" else "",
        "bank_name": s.bank_name, "bank_account": s.bank_account, "account_name": company.name if company else s.company,
        "collector": cust.collector or "", "seal": seal,
    }


def _render(app: Any, uow: Any, action: Any, reference: str, on: date) -> bytes:
    html = app.templates().render_page("letter.html", letter_variables(app, uow, action, reference, on))
    pdf: bytes = app.pdf().pdf(html)
    return pdf

