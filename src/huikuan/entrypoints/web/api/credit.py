"""Credit control API: the order desk's check, orders and delivery notes from an ERP, overrides of a
hold, and the credit manager's warnings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from ....domain.ledger import Role
from ....services import credit, risk
from ....services.users import Principal
from ..auth import current_user, requires
from .schemas import ERRORS

router = APIRouter(tags=["credit"], responses=ERRORS)

ORDER_DESK = (Role.SALES, Role.SALES_MANAGER, Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER,
              Role.MANAGER, Role.GM, Role.OWNER, Role.FINANCE)
APPROVERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.MANAGER, Role.GM, Role.OWNER)
ERP = (Role.FINANCE, Role.SALES, Role.SALES_MANAGER, Role.CREDIT_MANAGER, Role.GM, Role.OWNER)
CREDIT_DESK = (Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.MANAGER, Role.GM, Role.OWNER)


class CheckIn(BaseModel):
    customer: str = Field(min_length=1, max_length=60)
    amount_minor: int
    order: str | None = Field(default=None, max_length=60)
    as_of: date | None = None


class ReasonOut(BaseModel):
    code: str
    text: str


class CheckOut(BaseModel):
    customer: str
    amount_minor: int
    decision: str
    reasons: list[ReasonOut]
    exposure_minor: int
    limit_minor: int
    available_minor: int
    as_of: str


@router.post("/credit/check", dependencies=[requires(*ORDER_DESK)], response_model=CheckOut)
def check(request: Request, body: CheckIn, user: Annotated[Principal, Depends(current_user)]) -> CheckOut:
    """订单信用检查 / may we ship this order on credit? (allow | hold | cash_only | block)"""
    res = credit.check_order(request.app.state.hk.app, body.customer, body.amount_minor, order=body.order,
                             as_of=body.as_of, actor=user.name, scope=user.scope)
    return CheckOut(**res.to_json(user.lang))


class OrderIn(BaseModel):
    number: str = Field(min_length=1, max_length=60)
    customer: str = Field(min_length=1, max_length=60)
    ordered_on: date
    amount_minor: int


class Created(BaseModel):
    id: int
    number: str


@router.post("/orders", dependencies=[requires(*ERP)], response_model=Created, status_code=201)
def post_order(request: Request, body: OrderIn, user: Annotated[Principal, Depends(current_user)]) -> Created:
    """一张未交货的销售订单（计入占用额度）/ an open sales order (it counts in the customer's exposure)."""
    oid = credit.record_order(request.app.state.hk.app, body.number, body.customer, body.ordered_on,
                              body.amount_minor, actor=user.name, scope=user.scope)
    return Created(id=oid, number=body.number)


class DeliveryIn(BaseModel):
    number: str = Field(min_length=1, max_length=60)
    customer: str = Field(min_length=1, max_length=60)
    delivered_on: date
    amount_minor: int
    order: str | None = Field(default=None, max_length=60)
    signed_by: str | None = Field(default=None, max_length=100)
    signed_on: date | None = None
    invoice: str | None = Field(default=None, max_length=60)


@router.post("/deliveries", dependencies=[requires(*ERP)], response_model=Created, status_code=201)
def post_delivery(request: Request, body: DeliveryIn) -> Created:
    """送货单 / a delivery note (of a known order, if it names one)."""
    did = credit.record_delivery(request.app.state.hk.app, body.number, body.customer, body.delivered_on,
                                 body.amount_minor, order=body.order, signed_by=body.signed_by,
                                 signed_on=body.signed_on, invoice=body.invoice)
    return Created(id=did, number=body.number)


class OverrideIn(BaseModel):
    customer: str = Field(min_length=1, max_length=60)
    order: str = Field(min_length=1, max_length=60)
    amount_minor: int
    reason: str = Field(min_length=1, max_length=500)


class OverrideOut(BaseModel):
    id: int
    customer: str
    order: str
    amount_minor: int
    requested_by: str
    reason: str
    status: str
    decided_by: str | None


class DecisionIn(BaseModel):
    note: str | None = Field(default=None, max_length=500)


def _override_out(r: Any, customer: str) -> OverrideOut:
    return OverrideOut(id=r.id, customer=customer, order=r.order_number, amount_minor=int(r.amount_minor),
                       requested_by=r.requested_by, reason=r.reason, status=r.status, decided_by=r.decided_by)


@router.post("/credit/overrides", dependencies=[requires(*ORDER_DESK)], response_model=OverrideOut, status_code=201)
def request_override(request: Request, body: OverrideIn, user: Annotated[Principal, Depends(current_user)]) -> OverrideOut:
    """申请特批放行一张被暂缓的订单 / ask for an override of a hold."""
    app = request.app.state.hk.app
    oid = credit.request_override(app, body.customer, body.order, body.amount_minor, requested_by=user.name,
                                  reason=body.reason, scope=user.scope)
    row = next(r for r in credit.list_overrides(app) if r.id == oid)
    return _override_out(row, body.customer)


def _decide(request: Request, override_id: int, approve: bool, user: Principal, note: str | None) -> OverrideOut:
    app = request.app.state.hk.app
    credit.decide_override(app, override_id, approve, by=user.name, note=note)
    row = next(r for r in credit.list_overrides(app) if r.id == override_id)
    return _override_out(row, row.customer_code)


@router.post("/credit/overrides/{override_id}/approve", dependencies=[requires(*APPROVERS)],
             response_model=OverrideOut)
def approve_override(request: Request, override_id: int, body: DecisionIn,
                     user: Annotated[Principal, Depends(current_user)]) -> OverrideOut:
    """主管批准特批 / a supervisor approves (not their own request)."""
    return _decide(request, override_id, True, user, body.note)


@router.post("/credit/overrides/{override_id}/reject", dependencies=[requires(*APPROVERS)],
             response_model=OverrideOut)
def reject_override(request: Request, override_id: int, body: DecisionIn,
                    user: Annotated[Principal, Depends(current_user)]) -> OverrideOut:
    """驳回特批 / reject an override."""
    return _decide(request, override_id, False, user, body.note)


class AlertOut(BaseModel):
    id: int
    customer: str
    customer_name: str
    kind: str
    raised_on: date
    closed_on: date | None
    move: str
    reason: str


@router.get("/alerts", dependencies=[requires(*CREDIT_DESK)], response_model=list[AlertOut])
def alerts(request: Request, user: Annotated[Principal, Depends(current_user)], all: bool = False) -> list[AlertOut]:
    """信用经理的预警 / the credit manager's warnings (open ones; ``all=true`` for ended ones too)."""
    rows = risk.list_alerts(request.app.state.hk.app, open_only=not all)
    return [AlertOut(id=r.id, customer=r.customer_code, customer_name=r.customer_name, kind=r.kind,
                     raised_on=r.raised_on, closed_on=r.closed_on, move=r.move,
                     reason=r.reason_zh if user.lang == "zh" else r.reason_en) for r in rows]
