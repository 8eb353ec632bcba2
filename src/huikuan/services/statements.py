"""对账单 statements and their confirmation through a signed, expiring link.

A statement for a customer and a month: the opening balance (everything before the month), the
month's invoices, payments, credit notes and write-offs in date order, and the closing balance; as a
PDF (WeasyPrint, like the letters) or an XLSX. Its SHA-256 over a canonical form is the statement's
identity: the confirmation link carries it, and a link to a statement that has changed since is
refused (the customer would confirm figures that are no longer ours).

The link is an itsdangerous token (HMAC-SHA1 over the payload with ``secret_key``, timestamped) holding
the customer, the month, the hash and a nonce; it expires after ``LINK_DAYS``. Confirming stores who,
when, from which IP and the hash, once per link (a replayed link is refused), marks the statement
confirmed (which ends the statement ladder's chasing) and opens a dispute on each line the customer
disputed, with their comment.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..domain.capitals import amount_in_capitals
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.money import Money

LINK_DAYS = 30
SALT = "huikuan.statement-confirmation"


@dataclass
class StatementLine:
    on: date
    kind: str  # invoice | payment | credit_note | write_off
    number: str
    debit_minor: int
    credit_minor: int
    balance_minor: int


@dataclass
class Statement:
    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    month: str
    start: date
    end: date
    opening_minor: int
    lines: list[StatementLine] = field(default_factory=list)
    closing_minor: int = 0

    def canonical(self) -> str:
        return json.dumps({"customer": self.customer_code, "month": self.month, "currency": self.currency,
                           "opening": self.opening_minor, "closing": self.closing_minor,
                           "lines": [[ln.on.isoformat(), ln.kind, ln.number, ln.debit_minor, ln.credit_minor]
                                     for ln in self.lines]}, separators=(",", ":"), ensure_ascii=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def money(self, minor: int) -> str:
        return Money(minor, self.currency).display()


def _month(month: str) -> tuple[date, date]:
    try:
        start = datetime.strptime(month, "%Y-%m").date()
    except ValueError as e:
        raise InvalidInput("statement.period", value=month) from e
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, end


def _day(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def build(uow: Any, customer_code: str, month: str) -> Statement:
    start, end = _month(month)
    repo = uow.outbox
    cust = repo.customer_by_code(customer_code)
    if cust is None:
        raise NotFound("customer.not_found", what="customer", value=customer_code)
    docs = repo.ledger_lines(cust.id, start, end)
    entries: list[tuple[date, int, str, str, int, int]] = []
    order = {"invoice": 0, "credit_note": 1, "payment": 2, "write_off": 3}
    for kind, rows in (("invoice", docs["invoices"]), ("payment", docs["payments"]),
                       ("credit_note", docs["credit_notes"]), ("write_off", docs["write_offs"])):
        for r in rows:
            if r.currency != cust.currency:
                continue  # one currency per statement: the customer's
            amount = int(r.amount_minor)
            debit, credit = (amount, 0) if kind == "invoice" else (0, amount)
            entries.append((_day(r.on), order[kind], kind, r.number, debit, credit))
    entries.sort()
    opening = sum(d - c for on, _, _, _, d, c in entries if on < start)
    st = Statement(cust.id, cust.code, cust.name, cust.currency, month, start, end, opening)
    bal = opening
    for on, _, kind, number, d, c in entries:
        if on < start:
            continue
        bal += d - c
        st.lines.append(StatementLine(on, kind, number, d, c, bal))
    st.closing_minor = bal
    return st


def statement(app: Any, customer_code: str, month: str) -> Statement:
    with app.uow(write=False) as uow:
        return build(uow, customer_code, month)


def page_variables(app: Any, st: Statement, lang: str, link: str | None = None) -> dict[str, Any]:
    company = app.settings.company
    labels = {"invoice": ("发票", "Invoice"), "payment": ("收款", "Payment"), "credit_note": ("红字发票", "Credit note"),
              "write_off": ("核销", "Write-off")}
    return {
        "lang": lang, "company": company, "customer": st.customer_name, "customer_code": st.customer_code,
        "month": st.month, "start": st.start.isoformat(), "end": st.end.isoformat(), "link": link,
        "opening": st.money(st.opening_minor), "closing": st.money(st.closing_minor),
        "closing_capitals": amount_in_capitals(st.closing_minor) if st.currency == "CNY" else "",
        "sha256": st.sha256,
        "lines": [{"on": ln.on.isoformat(), "kind": labels[ln.kind][0 if lang == "zh" else 1], "number": ln.number,
                   "debit": st.money(ln.debit_minor) if ln.debit_minor else "",
                   "credit": st.money(ln.credit_minor) if ln.credit_minor else "",
                   "balance": st.money(ln.balance_minor)} for ln in st.lines],
    }


def statement_pdf(app: Any, customer_code: str, month: str) -> bytes:
    st = statement(app, customer_code, month)
    html = app.templates().render_page("statement.html", page_variables(app, st, app.settings.lang))
    out: bytes = app.pdf().pdf(html)
    return out


def statement_xlsx(app: Any, customer_code: str, month: str) -> bytes:
    st = statement(app, customer_code, month)
    out: bytes = app.spreadsheet().statement(page_variables(app, st, app.settings.lang), st)
    return out


# ── the confirmation link ────────────────────────────────────────────────────────────────────


def _serializer(app: Any) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.settings.secret_key, salt=SALT)


def confirmation_token(app: Any, customer_code: str, month: str) -> str:
    st = statement(app, customer_code, month)
    return str(_serializer(app).dumps({"c": st.customer_code, "m": month, "h": st.sha256, "n": uuid.uuid4().hex}))


def confirmation_link(app: Any, customer_code: str, month: str) -> str:
    return f"{app.settings.public_url.rstrip('/')}/confirm/{confirmation_token(app, customer_code, month)}"


def link_in(app: Any, uow: Any, customer_code: str, month: str) -> str:
    """The confirmation link, built inside the caller's unit of work (the outbox's enqueue)."""
    st = build(uow, customer_code, month)
    token = _serializer(app).dumps({"c": st.customer_code, "m": month, "h": st.sha256, "n": uuid.uuid4().hex})
    return f"{app.settings.public_url.rstrip('/')}/confirm/{token}"


def _read(app: Any, token: str, now: datetime) -> dict[str, str]:
    s = _serializer(app)
    try:
        payload, signed_at = s.loads(token, max_age=None, return_timestamp=True)
    except BadSignature as e:  # SignatureExpired is a BadSignature; max_age is checked below, on our clock
        raise InvalidInput("confirm.tampered") from e
    if now - signed_at.astimezone(UTC) > timedelta(days=LINK_DAYS):
        raise InvalidInput("confirm.expired", days=LINK_DAYS)
    if not isinstance(payload, dict) or not {"c", "m", "h", "n"} <= set(payload):
        raise InvalidInput("confirm.tampered")
    return {k: str(payload[k]) for k in ("c", "m", "h", "n")}


def open_link(app: Any, token: str) -> Statement:
    """The statement a link shows; refused when expired, tampered, used, or the statement has changed."""
    p = _read(app, token, app.clock.now())
    with app.uow(write=False) as uow:
        if uow.outbox.confirmation(_token_id(p)) is not None:
            raise Conflict("confirm.used")
        st = build(uow, p["c"], p["m"])
    if st.sha256 != p["h"]:
        raise InvalidInput("confirm.changed")
    return st


def _token_id(p: dict[str, str]) -> str:
    return hashlib.sha256(f"{p['c']}|{p['m']}|{p['n']}".encode()).hexdigest()


def confirm(app: Any, token: str, who: str, ip: str | None, disputed: dict[str, str] | None = None) -> str:
    """Record the customer's answer once; returns ``confirmed`` or ``disputed``."""
    from . import audit, ledger  # disputes are the ledger's

    who = (who or "").strip()
    if not who or len(who) > 100:
        raise InvalidInput("confirm.who")
    disputed = {k: (v or "").strip()[:1000] for k, v in (disputed or {}).items()}
    now = app.clock.now()
    p = _read(app, token, now)
    local_day = now.astimezone(ZoneInfo(app.settings.timezone)).date()
    with app.uow() as uow:
        if uow.outbox.confirmation(_token_id(p)) is not None:
            raise Conflict("confirm.used")
        st = build(uow, p["c"], p["m"])
        if st.sha256 != p["h"]:
            raise InvalidInput("confirm.changed")
        invoices = {ln.number for ln in st.lines if ln.kind == "invoice"}
        unknown = sorted(set(disputed) - invoices)
        if unknown:
            raise InvalidInput("confirm.unknown_line", value=", ".join(unknown))
        outcome = "disputed" if disputed else "confirmed"
        try:
            uow.outbox.add_confirmation(customer_id=st.customer_id, period=st.month, token_id=_token_id(p),
                                        outcome=outcome, who=who, at=now.astimezone(UTC).replace(tzinfo=None),
                                        ip=(ip or "")[:64] or None, statement_sha256=st.sha256,
                                        lines=[{"invoice": k, "comment": v} for k, v in sorted(disputed.items())])
        except Exception as e:  # two clicks at once: the unique token id lets one through
            if type(e).__name__ == "IntegrityError":
                raise Conflict("confirm.used") from e
            raise
        for number, comment in sorted(disputed.items()):
            ledger.open_dispute(uow, number, None, "other", local_day, note=f"对账单 {st.month}：{comment}"[:500],
                                by=audit.By(f"confirm:{who}"[:60], now))
        uow.customers.upsert_statement(st.customer_id, st.month, confirmed_on=local_day,
                                       **_earlier_steps(uow, st, local_day))
        uow.commit()
    return outcome


def _earlier_steps(uow: Any, st: Statement, day: date) -> dict[str, date]:
    row = uow.outbox.statement(st.customer_id, st.month)
    return {f"{s}_on": day for s in ("prepared", "checked", "sent") if row is None or getattr(row, f"{s}_on") is None}


