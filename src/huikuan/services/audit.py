"""The audit trail: every change (contact logged, promise, dispute, approval, payment, import, user change)
writes one append-only row — who, when, what, before → after — in the same unit of work as the change.

Services call ``record(uow, ...)`` before their ``uow.commit()``; nothing can update or delete a row
(the repository has no such method and the database refuses it). ``find`` serves the auditor's page.

A service that writes inside its caller's unit of work (services.ledger, the importers) takes a required
``by: By`` — who makes the change and when — and writes the audit row itself, so the fact and its audit
row commit or roll back together whoever calls: the CLI (``cli:<OS user>``, see ``cli_actor``), a web page
or API token (the signed-in user's name), the demo or the daily run (``SYSTEM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

SYSTEM = "system"
CLI = "cli"
IMPORT_DONE = "import.done"  # one row per kind an import wrote (services/import_/run.py)
# The ledger's audited facts (services.ledger), named here with the rest of the audit vocabulary.
PAYMENT_RECORDED = "payment.recorded"
CREDIT_NOTE_RECORDED = "credit_note.recorded"
WRITE_OFF_RECORDED = "write_off.recorded"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_RESOLVED = "dispute.resolved"


@dataclass(frozen=True, slots=True)
class By:
    """Who makes a change (an audit actor) and when (the entry point's clock)."""

    actor: str
    at: datetime


def cli_actor(os_user: str | None) -> str:
    """The actor of a command-line change: ``cli:<the OS user who ran it>`` (plain ``cli`` when unknown)."""
    return f"{CLI}:{os_user}" if os_user else CLI


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [_jsonable(x) for x in v]
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def record(uow: Any, at: datetime, actor: str | None, action: str, entity: str, key: object = None, *,
           customer_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> int:
    """Append one audit row in ``uow``'s transaction (committed, or rolled back, with the change)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return int(uow.audit.add(at=at, actor=(actor or CLI)[:60], action=action, entity=entity,
                             entity_key=None if key is None else str(key)[:120], customer_id=customer_id,
                             before=_jsonable(before), after=_jsonable(after)))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_key: str | None
    before: Any
    after: Any


def find(app: Any, *, actor: str | None = None, action: str | None = None, entity_key: str | None = None,
         before_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
    """Newest first; ``before_id`` pages on (the id of the last row of the previous page)."""
    with app.uow(write=False) as uow:
        rows = uow.audit.find(actor=actor, action=action, entity_key=entity_key, before_id=before_id, limit=limit)
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.entity, r.entity_key, r.before, r.after) for r in rows]
