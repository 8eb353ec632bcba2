"""Collection API: the worklist and the run log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from ....domain.errors import InvalidInput, NotFound
from ....domain.ledger import Role
from ....services import collect
from ....services.daily_run import task_reason
from ....services.reporting import runs as list_runs
from ....services.reporting import worklist
from ....services.users import Principal
from ..auth import current_user, requires
from ..paging import decode_cursor3, encode_cursor
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
                 grade: Annotated[str | None, Query(max_length=20)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 cursor: Annotated[str | None, Query(max_length=80)] = None,
                 everyone: Annotated[bool, Query(alias="all")] = False) -> Page[WorklistItem]:
    """今天我的待办（分配给我的角色），金额大的在前；`all=true` 看所有角色的（仅限可看全部客户的角色）/
    today's open tasks for my roles, most valuable first (paged); `all=true` shows every role's tasks
    (for roles that see every customer)."""
    everyone = everyone and user.scope.everything
    rows = worklist(request.app.state.hk.app, scope=user.scope, stage=stage, segment=segment, collector=collector,
                    grade=grade or None, limit=limit + 1, after=decode_cursor3(cursor, "after"), roles=None if everyone else user.roles)
    more = len(rows) > limit
    rows = rows[:limit]
    today = request.app.state.hk.app.clock.today()
    items = [WorklistItem(
        action_id=r.id, customer=r.customer_code, customer_name=r.customer_name, run_on=r.run_on, stage=r.stage,
        kind=r.kind, channel=r.channel, assignee_role=r.assignee_role, assignee=r.assignee, letter=r.letter,
        needs_approval=bool(r.needs_approval), invoices=list(r.invoices or []), amount_minor=int(r.amount_minor),
        currency=r.currency, reason=task_reason(r, user.lang, today)) for r in rows]
    return Page[WorklistItem](items=items, next=encode_cursor(rows[-1].ev_position, rows[-1].amount_minor, rows[-1].id) if more else None)


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


CONTACT_ROLES = (Role.COLLECTOR, Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES,
                 Role.SALES_MANAGER, Role.MANAGER, Role.GM, Role.OWNER)
APPROVERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER,
             Role.GM, Role.OWNER, Role.FINANCE)


class ContactIn(BaseModel):
    customer: str = Field(min_length=1, max_length=60)
    channel: str = Field(max_length=20, description="email | sms | phone | visit")
    outcome: str = Field(max_length=30, description="reached | no_answer | promised | refused | disputed | paid | "
                                                    "left_message | sent")
    excuse: str | None = Field(None, max_length=30)
    note: str | None = Field(None, max_length=2000)
    at: datetime | None = Field(None, description="when (default now); without a zone: company local time")
    next_step: str | None = Field(None, max_length=500)
    next_on: date | None = None


class ContactOut(BaseModel):
    activity_id: int
    customer: str


@router.post("/contacts", dependencies=[requires(*CONTACT_ROLES)], response_model=ContactOut, status_code=201)
def post_contact(request: Request, body: ContactIn, user: Annotated[Principal, Depends(current_user)]) -> ContactOut:
    """记录一次催收联系 / record a contact (closes the customer's open contact tasks)."""
    r = collect.record_contact(request.app.state.hk.app, body.customer, body.channel, body.outcome, excuse=body.excuse,
                               note=body.note, next_step=body.next_step, next_on=_bounded(body.next_on, "next_on"),
                               at=_bounded_at(body.at), actor=user.name, scope=user.scope)
    return ContactOut(activity_id=r.activity_id, customer=body.customer)


class PromiseIn(BaseModel):
    customer: str = Field(min_length=1, max_length=60)
    amount_minor: int = Field(gt=0, le=10**15)
    promised_on: date
    invoices: list[str] = Field(default_factory=list, max_length=500)
    note: str | None = Field(None, max_length=2000)


class PromiseOut(BaseModel):
    promise_id: int
    customer: str


@router.post("/promises", dependencies=[requires(*CONTACT_ROLES)], response_model=PromiseOut, status_code=201)
def post_promise(request: Request, body: PromiseIn, user: Annotated[Principal, Depends(current_user)]) -> PromiseOut:
    """记录还款承诺 / record a promise to pay."""
    pid = collect.record_promise(request.app.state.hk.app, body.customer, body.amount_minor,
                                 _bounded(body.promised_on, "promised_on") or body.promised_on,
                                 invoices=body.invoices, note=body.note, actor=user.name, scope=user.scope)
    return PromiseOut(promise_id=pid, customer=body.customer)


class DisputeIn(BaseModel):
    customer: str = Field(min_length=1, max_length=60)
    invoice: str = Field(min_length=1, max_length=60)
    amount_minor: int | None = Field(None, gt=0, le=10**15, description="part of the invoice; omit for all of it")
    category: str = Field(max_length=30)
    note: str | None = Field(None, max_length=2000)


class DisputeOut(BaseModel):
    dispute_id: int
    customer: str
    invoice: str


@router.post("/disputes", dependencies=[requires(*CONTACT_ROLES)], response_model=DisputeOut, status_code=201)
def post_dispute(request: Request, body: DisputeIn, user: Annotated[Principal, Depends(current_user)]) -> DisputeOut:
    """登记争议（整张或部分发票）/ open a dispute on all or part of an invoice."""
    did = collect.open_dispute(request.app.state.hk.app, body.customer, body.invoice, body.amount_minor,
                               body.category, note=body.note, actor=user.name, scope=user.scope)
    return DisputeOut(dispute_id=did, customer=body.customer, invoice=body.invoice)


class DecisionIn(BaseModel):
    note: str | None = Field(None, max_length=1000)


class DecisionOut(BaseModel):
    action_id: int
    status: str
    kind: str
    decided_by: str | None


def _decide(request: Request, action_id: int, approve: bool, body: DecisionIn | None, user: Principal) -> DecisionOut:
    if action_id < 1 or action_id > 2**31 - 1:
        raise NotFound("action.not_found", what="action", value=action_id)
    act = collect.decide_proposal(request.app.state.hk.app, action_id, approve, by=user.name,
                                  note=body.note if body else None, roles=user.roles, scope=user.scope)
    return DecisionOut(action_id=act.id, status=act.status, kind=act.kind, decided_by=act.decided_by)


@router.post("/actions/{action_id}/approve", dependencies=[requires(*APPROVERS)], response_model=DecisionOut)
def approve(request: Request, action_id: int, user: Annotated[Principal, Depends(current_user)],
            body: DecisionIn | None = None) -> DecisionOut:
    """批准一项提议（须为分配给本人角色的提议）/ approve a proposal assigned to one of your roles."""
    return _decide(request, action_id, True, body, user)


@router.post("/actions/{action_id}/reject", dependencies=[requires(*APPROVERS)], response_model=DecisionOut)
def reject(request: Request, action_id: int, user: Annotated[Principal, Depends(current_user)],
           body: DecisionIn | None = None) -> DecisionOut:
    """驳回一项提议 / reject a proposal."""
    return _decide(request, action_id, False, body, user)


def _bounded(d: date | None, field: str) -> date | None:
    """Dates far outside the calendar the ledger knows are bad input (422), not a server error."""
    if d is not None and not date(2000, 1, 1) <= d <= date(2100, 12, 31):
        raise InvalidInput("input.date", field=field, value=d.isoformat())
    return d


def _bounded_at(at: datetime | None) -> datetime | None:
    if at is not None:
        _bounded(at.date(), "at")
    return at
