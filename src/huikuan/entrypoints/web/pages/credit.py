"""Credit control in the workbench: the order desk's check (and asking for an override), the
supervisor's override approvals, the credit manager's warnings, and a customer's debtor kind with
its evidence and levers (the panel customer 360 shows)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ....domain.credit import Decision
from ....domain.errors import InvalidInput
from ....domain.ledger import Role
from ....domain.money import Money
from ....services import credit, risk
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..templating import render

router = APIRouter()
ORDER_DESK = (Role.SALES, Role.SALES_MANAGER, Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER,
              Role.MANAGER, Role.GM, Role.OWNER, Role.FINANCE)
APPROVERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.MANAGER, Role.GM, Role.OWNER)
CREDIT_DESK = tuple(dict.fromkeys(APPROVERS + (Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER)))
WORKERS = tuple(r for r in Role if r is not Role.ADMIN)
NAV = (NavItem("/credit", "nav.credit", tuple(str(r) for r in CREDIT_DESK), order=40),
       NavItem("/credit/check", "nav.credit_check", tuple(str(r) for r in ORDER_DESK), order=41))


def _amount(text: str) -> int:
    minor = Money.parse(text).minor
    if minor <= 0:
        raise InvalidInput("credit.amount_not_positive", field="amount", value=text)
    return minor


@router.get("/credit", dependencies=[requires(*CREDIT_DESK)])
def credit_desk(request: Request, user: Annotated[Principal, Depends(current_user)]) -> Response:
    app = request.app.state.hk.app
    pending = credit.list_overrides(app, "pending")
    held = credit.override_reasons(app, pending)
    return render(request, "credit.html", {
        "pending": [(r, held[r.id]) for r in pending], "alerts": risk.list_alerts(app, open_only=True),
        "can_approve": user.has(*APPROVERS), "reason_text": credit.reason_text,
        "decided": credit.list_overrides(app, "approved")[-10:],
    })


@router.post("/credit/overrides/{override_id}/approve", dependencies=[requires(*APPROVERS)])
def approve(request: Request, override_id: int, user: Annotated[Principal, Depends(current_user)],
            note: Annotated[str | None, Form(max_length=500)] = None) -> Response:
    credit.decide_override(request.app.state.hk.app, override_id, True, by=user.name, note=note or None)
    return RedirectResponse("/credit", status_code=303)


@router.post("/credit/overrides/{override_id}/reject", dependencies=[requires(*APPROVERS)])
def reject(request: Request, override_id: int, user: Annotated[Principal, Depends(current_user)],
           note: Annotated[str | None, Form(max_length=500)] = None) -> Response:
    credit.decide_override(request.app.state.hk.app, override_id, False, by=user.name, note=note or None)
    return RedirectResponse("/credit", status_code=303)


@router.get("/credit/check", dependencies=[requires(*ORDER_DESK)])
def check_form(request: Request) -> Response:
    return render(request, "credit_check.html", {"result": None, "form": {}, "requested": None})


@router.post("/credit/check", dependencies=[requires(*ORDER_DESK)])
def check(request: Request, user: Annotated[Principal, Depends(current_user)],
          customer: Annotated[str, Form(min_length=1, max_length=60)],
          amount: Annotated[str, Form(min_length=1, max_length=30)],
          order: Annotated[str | None, Form(max_length=60)] = None) -> Response:
    res = credit.check_order(request.app.state.hk.app, customer.strip(), _amount(amount), order=order or None,
                             actor=user.name, scope=user.scope)
    return render(request, "credit_check.html", {
        "result": res, "doc": res.to_json(user.lang), "form": {"customer": customer, "amount": amount,
                                                                 "order": order or ""},
        "held": res.decision is Decision.HOLD, "requested": None})


@router.post("/credit/check/override", dependencies=[requires(*ORDER_DESK)])
def ask_override(request: Request, user: Annotated[Principal, Depends(current_user)],
                 customer: Annotated[str, Form(min_length=1, max_length=60)],
                 amount: Annotated[str, Form(min_length=1, max_length=30)],
                 order: Annotated[str, Form(min_length=1, max_length=60)],
                 reason: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    oid = credit.request_override(request.app.state.hk.app, customer, order, _amount(amount), requested_by=user.name,
                                  reason=reason, scope=user.scope)
    return render(request, "credit_check.html", {"result": None, "form": {"customer": customer, "amount": amount,
                                                                          "order": order}, "requested": oid})


@router.get("/credit/customers/{code}", dependencies=[requires(*WORKERS)])
def debtor(request: Request, code: str, user: Annotated[Principal, Depends(current_user)]) -> Response:
    app = request.app.state.hk.app
    p = risk.debtor_profile(app, code, scope=user.scope)
    return render(request, "credit_customer.html", {
        "code": code, "p": p, "evidence_text": risk.evidence_text,
        "done": {lv.value: [d for d in p.done if d.lever == lv.value] for lv in p.levers},
        "alerts": risk.list_alerts(app, open_only=False, customer=code),
        "history": credit.limit_history(app, code)})


@router.post("/credit/customers/{code}/levers", dependencies=[requires(*WORKERS)])
def lever_done(request: Request, code: str, user: Annotated[Principal, Depends(current_user)],
               lever: Annotated[str, Form(min_length=1, max_length=30)],
               note: Annotated[str | None, Form(max_length=500)] = None) -> Response:
    app = request.app.state.hk.app
    risk.debtor_profile(app, code, scope=user.scope)  # 404 outside the user's customers
    risk.record_lever(app, code, lever, by=user.name, note=note or None)
    return RedirectResponse(f"/credit/customers/{code}", status_code=303)
