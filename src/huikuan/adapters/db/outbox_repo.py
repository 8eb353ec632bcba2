"""Reads and writes of the communications services: the outbox, template versions, letters,
statement confirmations, and the attempt history the compliance guard reads. Writers never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    DateTime,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    update,
)

from . import tables as t
from .bulk import insert_many

CHUNK = 500
MANY = 2_000  # more ids than this: read their id range in one statement and keep them, not IN lists of CHUNK


def _ranges(ids: list[int]) -> list[tuple[int, int, list[int] | None]]:
    """How to read rows of the sorted ``ids``: (lo, hi, None) — one id range to keep them from — when they
    are many, else (lo, hi, chunk) IN lists of ``CHUNK``."""
    if not ids:
        return []
    if len(ids) > MANY:
        return [(ids[0], ids[-1], None)]
    return [(c[0], c[-1], c) for c in (ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK))]


class MessageCustomer(NamedTuple):
    """What a message uses of its customer (``OutboxRepo.customers(..., for_messages=True)``)."""

    id: int
    code: str
    name: str
    type: str
    collector: str | None
    guard_profile: str | None


class OutboxRepo:
    def __init__(self, conn: Connection, company_id: int) -> None:
        self.c = conn
        self.cid = company_id

    # ── what the enqueue step reads ──────────────────────────────────────────────────────────
    def actions_without_messages(self, *, run_id: int | None = None, action_ids: Sequence[int] = (),
                                 customers: tuple[int, int] | None = None,
                                 channels: Sequence[str] = ()) -> list[Any]:
        """Actions (of a run — of its customers in an id range — or by id) that have no outbox row yet, with
        the columns a message uses; with ``channels``, only those naming one of them (the daily run's 10⁵ calls and measures
        without a written channel are not read and decoded only to be dropped)."""
        x, o = t.action.c, t.outbox.c
        has = select(o.id).where(o.company_id == x.company_id, o.action_id == x.id).exists()
        cond = [x.company_id == self.cid, ~has]
        if channels:  # the JSON text holds each channel as a quoted string: ["phone", "email"]
            cond.append(or_(*[cast(x.channels, Text).like(f'%"{c}"%') for c in channels]))
        if run_id is not None:
            cond.append(x.run_id == run_id)
        if customers is not None:
            cond += [x.customer_id >= customers[0], x.customer_id <= customers[1]]
        # Only the columns a message uses (the daily run's next day reads ~10^5 actions: their reasons and
        # the other columns cost a third of the read), the JSON ones as their text (on SQLite; PostgreSQL's
        # driver decodes json itself): the enqueue decodes what it uses (channels, and invoices and params
        # only for a reachable customer).
        cols = [type_coerce(c, Text).label(c.name) if c.name in ("channels", "invoices", "params") else c
                for c in (x.id, x.customer_id, x.stage, x.channels, x.invoices, x.params, x.amount_minor, x.currency)]
        out: list[Any] = []
        if action_ids:
            for i in range(0, len(action_ids), CHUNK):
                out += self.c.execute(select(*cols).where(*cond, x.id.in_(list(action_ids[i:i + CHUNK])))
                                      .order_by(x.id)).all()
            return out
        return list(self.c.execute(select(*cols).where(*cond).order_by(x.id)))

    def customers(self, ids: Iterable[int], *, for_messages: bool = False) -> dict[int, Any]:
        """Customers by id; ``for_messages``: only the columns a message uses, as plain ``MessageCustomer``
        rows (``enqueue`` reads ~10^5 on the run's next day: many ids are read as one id range, kept to them)."""
        cu = t.customer.c
        ids = sorted(set(ids))
        out: dict[int, Any] = {}
        if for_messages:
            keep = set(ids)
            mark = "?" if self.c.dialect.name == "sqlite" else "%s"
            for lo, hi, chunk in _ranges(ids):
                where = (f"id >= {mark} AND id <= {mark}" if chunk is None else
                         f"id IN ({', '.join(mark for _ in chunk)})")
                cur = self.c.exec_driver_sql(
                    f"SELECT {', '.join(MessageCustomer._fields)} FROM customer WHERE company_id = {mark} AND {where}",
                    (self.cid, lo, hi) if chunk is None else (self.cid, *chunk)).cursor
                for r in cur.fetchall():
                    if r[0] in keep:
                        out[r[0]] = MessageCustomer._make(r)
            return out
        for i in range(0, len(ids), CHUNK):
            for r in self.c.execute(select(t.customer).where(cu.company_id == self.cid, cu.id.in_(ids[i:i + CHUNK]))):
                out[r.id] = r
        return out

    def customer_by_code(self, code: str) -> Any:
        cu = t.customer.c
        return self.c.execute(select(t.customer).where(cu.company_id == self.cid, cu.code == code)).first()

    def set_guard_profile(self, customer_id: int, profile: str | None) -> None:
        cu = t.customer.c
        self.c.execute(update(t.customer).where(cu.company_id == self.cid, cu.id == customer_id)
                       .values(guard_profile=profile))

    def contacts(self, customer_ids: Iterable[int]) -> dict[int, list[Any]]:
        """The contacts of these customers, by customer (many customers: one id range, kept to them)."""
        k = t.contact.c
        ids = sorted(set(customer_ids))
        keep = set(ids)
        out: dict[int, list[Any]] = {}
        for lo, hi, chunk in _ranges(ids):
            which = k.customer_id.between(lo, hi) if chunk is None else k.customer_id.in_(chunk)
            for r in self.c.execute(select(t.contact).where(k.company_id == self.cid, which)
                                    .order_by(k.customer_id, k.id)):
                if r.customer_id in keep:
                    out.setdefault(r.customer_id, []).append(r)
        return out

    def contact(self, contact_id: int) -> Any:
        k = t.contact.c
        return self.c.execute(select(t.contact).where(k.company_id == self.cid, k.id == contact_id)).first()

    def invoices(self, numbers: Iterable[str]) -> dict[str, Any]:
        iv = t.invoice.c
        nums = sorted(set(numbers))
        out: dict[str, Any] = {}
        for i in range(0, len(nums), CHUNK):
            for r in self.c.execute(select(iv.number, iv.invoice_on, iv.due_on, iv.amount_minor, iv.open_minor,
                                           iv.disputed_minor, iv.currency)
                                    .where(iv.company_id == self.cid, iv.number.in_(nums[i:i + CHUNK]))):
                out[r.number] = r
        return out

    def open_invoices(self, customer_id: int) -> list[Any]:
        iv = t.invoice.c
        return list(self.c.execute(select(t.invoice).where(
            iv.company_id == self.cid, iv.customer_id == customer_id, iv.open_minor != 0).order_by(iv.due_on, iv.number)))

    def collector_emails(self) -> dict[str, str]:
        """Collector name → that user's own e-mail (the Reply-To of the reminders for their customers)."""
        u = t.app_user.c
        return {r.collector_name: r.email for r in self.c.execute(
            select(u.collector_name, u.email).where(u.company_id == self.cid, u.collector_name.is_not(None),
                                                    u.email.is_not(None), u.disabled.is_(False)).order_by(u.id))}

    def company(self) -> Any:
        return self.c.execute(select(t.company).where(t.company.c.id == self.cid)).first()

    def statement(self, customer_id: int, period: str) -> Any:
        s = t.statement.c
        return self.c.execute(select(t.statement).where(s.company_id == self.cid, s.customer_id == customer_id,
                                                        s.period == period)).first()

    def action(self, action_id: int) -> Any:
        x = t.action.c
        return self.c.execute(select(t.action).where(x.company_id == self.cid, x.id == action_id)).first()

    # ── the outbox ───────────────────────────────────────────────────────────────────────────
    def insert_messages(self, rows: Sequence[dict[str, Any]]) -> None:
        """Many messages in one plain ``executemany`` (the daily run's next day writes ~10⁵ of them; one
        SQLAlchemy row each cost more than the database work). Every row carries the same keys."""
        if not rows:
            return
        names = list(rows[0])
        if any(len(r) != len(names) for r in rows):
            raise ValueError("outbox rows with different columns")  # a key would be dropped silently
        insert_many(self.c, t.outbox, ["company_id", *names], [(self.cid, *(r[k] for k in names)) for r in rows])

    def claim_due(self, now: datetime, lease_until: datetime, limit: int, customer_id: int | None = None) -> list[Any]:
        """Rows due now (queued, failed, or a ``sending`` whose lease ran out: its worker died), marked
        ``sending`` until ``lease_until`` so no other worker takes them. PostgreSQL skips rows another
        worker has locked; SQLite's unit of work already holds the write lock."""
        o = t.outbox.c
        q = (select(o.id).where(o.company_id == self.cid, o.status.in_(("queued", "failed", "sending")),
                                o.next_attempt_at <= now)
             .order_by(o.next_attempt_at, o.id).limit(limit))
        if customer_id is not None:
            q = q.where(o.customer_id == customer_id)
        if self.c.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = [r[0] for r in self.c.execute(q)]
        if not ids:
            return []
        self.c.execute(update(t.outbox).where(o.company_id == self.cid, o.id.in_(ids))
                       .values(status="sending", next_attempt_at=lease_until))
        return list(self.c.execute(select(t.outbox).where(o.company_id == self.cid, o.id.in_(ids)).order_by(o.id)))

    def update_message(self, message_id: int, **values: Any) -> None:
        o = t.outbox.c
        self.c.execute(update(t.outbox).where(o.company_id == self.cid, o.id == message_id).values(**values))

    def mark_sent(self, rows: Sequence[dict[str, Any]], at: datetime, on: date) -> None:
        """Mark delivered messages ``sent`` and log each as a contact on the timeline, two statements for
        the whole batch (``id``, ``attempts``, ``provider_id``, ``customer_id``, ``channel``, ``action_id``,
        ``note`` per row)."""
        if not rows:
            return
        o = t.outbox.c
        self.c.execute(update(t.outbox).where(o.company_id == self.cid, o.id == bindparam("m_id"))
                       .values(status="sent", attempts=bindparam("m_attempts"), sent_at=at,
                               provider_id=bindparam("m_provider"), error_code=None, error=None, guard_rule=None),
                       [{"m_id": r["id"], "m_attempts": r["attempts"], "m_provider": r["provider_id"]} for r in rows])
        self.c.execute(insert(t.activity), [
            {"company_id": self.cid, "customer_id": r["customer_id"], "at": at, "on": on, "channel": r["channel"],
             "outcome": "sent", "note": r["note"], "actor": "huikuan", "action_id": r["action_id"]} for r in rows])

    def add_event(self, **values: Any) -> None:
        self.c.execute(insert(t.outbox_event).values(company_id=self.cid, **values))

    def add_dead_events(self, message_ids: Sequence[str], at: datetime) -> None:
        """The events of messages written dead at enqueue (no contact, a bad address, never allowed)."""
        o = t.outbox.c
        for i in range(0, len(message_ids), CHUNK):
            q = select(o.company_id, o.customer_id, o.id, literal(at, DateTime()), literal("dead"), o.channel,
                       o.guard_rule, o.error_code, o.error).where(
                o.company_id == self.cid, o.message_id.in_(list(message_ids[i:i + CHUNK])))
            self.c.execute(insert(t.outbox_event).from_select(
                ["company_id", "customer_id", "outbox_id", "at", "kind", "channel", "rule", "error_code", "reason"], q))

    def events(self, customer_id: int, limit: int = 50) -> list[Any]:
        """A customer's refused and dead messages, newest first, with what the message was."""
        e, o = t.outbox_event.c, t.outbox.c
        return list(self.c.execute(
            select(t.outbox_event, o.subject, o.to_name, o.to_address, o.stage, o.status.label("message_status"))
            .join(t.outbox, and_(o.company_id == e.company_id, o.id == e.outbox_id))
            .where(e.company_id == self.cid, e.customer_id == customer_id)
            .order_by(e.at.desc(), e.id.desc()).limit(limit)))

    def latest_events(self, customer_ids: Iterable[int], since: datetime) -> dict[int, Any]:
        """Each customer's newest refused or dead message since ``since`` (UTC), for the worklist: one read
        for the page."""
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        e = t.outbox_event.c
        rows = self.c.execute(
            select(t.outbox_event).where(e.company_id == self.cid, e.customer_id.in_(ids), e.at >= since)
            .order_by(e.customer_id, e.at.desc(), e.id.desc()))
        out: dict[int, Any] = {}
        for r in rows:
            out.setdefault(r.customer_id, r)
        return out

    def messages(self, status: str | None = None, customer_id: int | None = None, limit: int = 200) -> list[Any]:
        o, cu = t.outbox.c, t.customer.c
        q = (select(t.outbox, cu.code.label("customer_code"))
             .join(t.customer, and_(cu.company_id == o.company_id, cu.id == o.customer_id))
             .where(o.company_id == self.cid))
        if status:
            q = q.where(o.status == status)
        if customer_id is not None:
            q = q.where(o.customer_id == customer_id)
        return list(self.c.execute(q.order_by(o.id.desc()).limit(limit)))

    def counts(self) -> dict[str, int]:
        o = t.outbox.c
        return {s: int(n) for s, n in self.c.execute(
            select(o.status, func.count()).where(o.company_id == self.cid).group_by(o.status))}

    def attempts(self, customer_ids: Iterable[int], since: datetime) -> dict[int, list[tuple[datetime, str, str]]]:
        """(at UTC, channel, outcome) of every contact with each customer since ``since`` — calls logged by
        collectors and the messages the sender delivered (it logs each as an activity)."""
        a = t.activity.c
        ids = sorted(set(customer_ids))
        out: dict[int, list[tuple[datetime, str, str]]] = {}
        for i in range(0, len(ids), CHUNK):
            for cid, at, ch, outcome in self.c.execute(
                    select(a.customer_id, a.at, a.channel, a.outcome).where(
                        a.company_id == self.cid, a.customer_id.in_(ids[i:i + CHUNK]), a.at >= since)):
                out.setdefault(cid, []).append((at, ch, outcome))
        return out

    def add_activity(self, **values: Any) -> None:
        self.c.execute(insert(t.activity).values(company_id=self.cid, **values))

    # ── template versions ────────────────────────────────────────────────────────────────────
    def template_versions(self, stage: str, channel: str, lang: str) -> list[Any]:
        m = t.message_template.c
        return list(self.c.execute(select(t.message_template).where(
            m.company_id == self.cid, m.stage == stage, m.channel == channel, m.lang == lang).order_by(m.version)))

    def latest_templates(self) -> dict[tuple[str, str, str], tuple[int, str]]:
        m = t.message_template.c
        latest = (select(m.stage, m.channel, m.lang, func.max(m.version).label("v"))
                  .where(m.company_id == self.cid).group_by(m.stage, m.channel, m.lang).subquery())
        q = select(m.stage, m.channel, m.lang, m.version, m.source).join(latest, and_(
            m.stage == latest.c.stage, m.channel == latest.c.channel, m.lang == latest.c.lang,
            m.version == latest.c.v)).where(m.company_id == self.cid)
        return {(s, ch, lg): (v, src) for s, ch, lg, v, src in self.c.execute(q)}

    def latest_template_rows(self) -> list[Any]:
        """The newest saved version of each stage × channel × language (with who saved it, when)."""
        m = t.message_template.c
        latest = (select(m.stage, m.channel, m.lang, func.max(m.version).label("v"))
                  .where(m.company_id == self.cid).group_by(m.stage, m.channel, m.lang).subquery())
        return list(self.c.execute(select(m.stage, m.channel, m.lang, m.version, m.created_at, m.created_by).join(
            latest, and_(m.stage == latest.c.stage, m.channel == latest.c.channel, m.lang == latest.c.lang,
                         m.version == latest.c.v)).where(m.company_id == self.cid)))

    def add_template_version(self, stage: str, channel: str, lang: str, version: int, source: str,
                             at: datetime, by: str | None) -> None:
        self.c.execute(insert(t.message_template).values(company_id=self.cid, stage=stage, channel=channel, lang=lang,
                                                         version=version, source=source, created_at=at, created_by=by))

    # ── letters and confirmations ────────────────────────────────────────────────────────────
    def letter(self, action_id: int) -> Any:
        lt = t.letter.c
        return self.c.execute(select(t.letter).where(lt.company_id == self.cid, lt.action_id == action_id)).first()

    def add_letter(self, **values: Any) -> None:
        self.c.execute(insert(t.letter).values(company_id=self.cid, **values))

    def update_letter(self, action_id: int, **values: Any) -> None:
        lt = t.letter.c
        self.c.execute(update(t.letter).where(lt.company_id == self.cid, lt.action_id == action_id).values(**values))

    def confirmation(self, token_id: str) -> Any:
        sc = t.statement_confirmation.c
        return self.c.execute(select(t.statement_confirmation).where(
            sc.company_id == self.cid, sc.token_id == token_id)).first()

    def add_confirmation(self, **values: Any) -> None:
        self.c.execute(insert(t.statement_confirmation).values(company_id=self.cid, **values))

    def ledger_lines(self, customer_id: int, start: date, end: date) -> dict[str, list[Any]]:
        """A customer's documents for a statement: invoices, payments, credit notes up to ``end``."""
        iv, pay, cn, wo = t.invoice.c, t.payment.c, t.credit_note.c, t.write_off.c
        return {
            "invoices": list(self.c.execute(select(iv.number, iv.invoice_on.label("on"), iv.due_on, iv.amount_minor,
                                                   iv.open_minor, iv.currency)
                                            .where(iv.company_id == self.cid, iv.customer_id == customer_id,
                                                   iv.invoice_on <= end).order_by(iv.invoice_on, iv.number))),
            "payments": list(self.c.execute(select(pay.number, pay.paid_on.label("on"), pay.amount_minor, pay.currency)
                                            .where(pay.company_id == self.cid, pay.customer_id == customer_id,
                                                   pay.paid_on <= end).order_by(pay.paid_on, pay.number))),
            "credit_notes": list(self.c.execute(select(cn.number, cn.note_on.label("on"), cn.amount_minor, cn.currency)
                                                .where(cn.company_id == self.cid, cn.customer_id == customer_id,
                                                       cn.note_on <= end).order_by(cn.note_on, cn.number))),
            "write_offs": list(self.c.execute(
                select(iv.number, wo.written_on.label("on"), wo.amount_minor, iv.currency)
                .join(t.invoice, and_(iv.company_id == wo.company_id, iv.id == wo.invoice_id))
                .where(wo.company_id == self.cid, wo.customer_id == customer_id, wo.written_on <= end)
                .order_by(wo.written_on, wo.id))),
        }

