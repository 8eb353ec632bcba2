"""Approvals inbox: the proposals waiting for my roles (shipment lock, credit stop, limit cut, blacklist,
letters, write-offs), each with the customer's summary; approve or reject with a comment. Works on a
phone-sized screen (the owner approves from his phone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from .... import i18n
from ....domain.ledger import Role
from ....services import collect
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..templating import render, request_lang

router = APIRouter()
# The roles a policy assigns proposals to.
APPROVERS = (Role.SUPERVISOR, Role.CREDIT_SUPERVISOR, Role.CREDIT_MANAGER, Role.SALES_MANAGER, Role.MANAGER,
             Role.GM, Role.OWNER, Role.FINANCE)
NAV = (NavItem("/approvals", "nav.approvals", tuple(str(r) for r in APPROVERS), order=30),)


@router.get("/approvals", dependencies=[requires(*APPROVERS)])
def inbox(request: Request, user: Annotated[Principal, Depends(current_user)]) -> Response:
    app = request.app.state.hk.app
    rows = collect.approvals(app, user.roles, scope=user.scope)
    summaries = collect.customer_summaries(app, [r.customer_id for r in rows])
    return render(request, "approvals.html", {"rows": rows, "summaries": summaries})


@router.post("/approvals/{action_id}", dependencies=[requires(*APPROVERS)])
def decide(request: Request, action_id: int, user: Annotated[Principal, Depends(current_user)],
           decision: Annotated[str, Form(pattern="^(approve|reject)$")],
           note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    act = collect.decide_proposal(request.app.state.hk.app, action_id, decision == "approve", by=user.name,
                                  note=note or None, roles=user.roles, scope=user.scope)
    lang = request_lang(request)
    key = "approvals.approved_ok" if decision == "approve" else "approvals.rejected_ok"
    kind = i18n.t(f"letter.{act.letter}", lang) if act.letter else i18n.t(f"kind.{act.kind}", lang)
    return render(request, "fragments/notice.html", {"ok": i18n.t(key, lang, id=action_id, kind=kind)})
