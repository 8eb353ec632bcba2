"""Collection API: the worklist and the run log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from ....domain.ledger import Role
from ....services.reporting import runs as list_runs
from ....services.reporting import worklist
from ....services.users import Principal
from ..auth import current_user, requires
from ..paging import decode_cursor, encode_cursor
from .schemas import ERRORS, Page

router = APIRouter(tags=["collection"], responses=ERRORS)
WORKERS = tuple(r for r in Role if r is not Role.ADMIN)


class WorklistItem(BaseModel):
    action_id: int
    customer: str
    customer_name: str
    run_on: date
    stage: str
    kind: str
    channel: str | None
    assignee_role: str
    assignee: str | None
    letter: str | None
    needs_approval: bool
    invoices: list[str]
    amount_minor: int
    currency: str
    reason: str


@router.get("/worklist", dependencies=[requires(*WORKERS)], response_model=Page[WorklistItem])
def get_worklist(request: Request, user: Annotated[Principal, Depends(current_user)],
                 stage: Annotated[str | None, Query(max_length=60)] = None,
                 segment: Annotated[str | None, Query(max_length=60)] = None,
                 collector: Annotated[str | None, Query(max_length=60)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 cursor: Annotated[str | None, Query(max_length=80)] = None) -> Page[WorklistItem]:
    """今天的待办，金额大的在前 / today's open tasks, most valuable first (paged)."""
    rows = worklist(request.app.state.hk.app, scope=user.scope, stage=stage, segment=segment, collector=collector,
                    limit=limit + 1, after=decode_cursor(cursor))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [WorklistItem(
        action_id=r.id, customer=r.customer_code, customer_name=r.customer_name, run_on=r.run_on, stage=r.stage,
        kind=r.kind, channel=r.channel, assignee_role=r.assignee_role, assignee=r.assignee, letter=r.letter,
        needs_approval=bool(r.needs_approval), invoices=list(r.invoices or []), amount_minor=int(r.amount_minor),
        currency=r.currency, reason=r.reason_zh if user.lang == "zh" else r.reason_en) for r in rows]
    return Page[WorklistItem](items=items, next=encode_cursor(rows[-1].amount_minor, rows[-1].id) if more else None)


class RunItem(BaseModel):
    id: int
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    status: str
    dry_run: bool
    counts: dict[str, int]
    caught_up: list[str]
    errors: int


@router.get("/runs", dependencies=[requires(Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER,
                                            Role.MANAGER, Role.GM, Role.OWNER, Role.FINANCE, Role.ADMIN,
                                            Role.AUDITOR)], response_model=Page[RunItem])
def get_runs(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 30) -> Page[RunItem]:
    """每日运行记录 / the run log, newest first."""
    rows = list_runs(request.app.state.hk.app, limit)
    return Page[RunItem](items=[RunItem(
        id=r.id, as_of=r.as_of, started_at=r.started_at, finished_at=r.finished_at, status=r.status,
        dry_run=bool(r.dry_run), counts={k: int(v) for k, v in (r.counts or {}).items()},
        caught_up=list(r.caught_up or []), errors=len(r.errors or [])) for r in rows], next=None)
