"""Today: the worklist of open tasks for me, most valuable first (by expected value with the model's "why"
once a payment model is trained, else by amount), with filters, paging and the keyboard (j/k to move, Enter
to open the customer, c to log a contact). Supervisors reassign in bulk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ....domain.access import REASSIGNS
from ....domain.ledger import RiskGrade, Role
from ....services import collect
from ....services.prediction import reason_text
from ....services.reporting import worklist, worklist_details
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..paging import decode_cursor3, encode_cursor
from ..templating import render, request_lang

router = APIRouter()
WORKERS = tuple(r for r in Role if r not in (Role.ADMIN,))
NAV = (NavItem("/today", "nav.today", tuple(str(r) for r in WORKERS), order=10),)
PAGE = 50


@router.get("/today", dependencies=[requires(*WORKERS)])
def today(request: Request, user: Annotated[Principal, Depends(current_user)],
          stage: Annotated[str | None, Query(max_length=60)] = None,
          segment: Annotated[str | None, Query(max_length=60)] = None,
          collector: Annotated[str | None, Query(max_length=60)] = None,
          grade: Annotated[str | None, Query(max_length=20)] = None,
          after: Annotated[str | None, Query(max_length=80)] = None,
          everyone: Annotated[bool, Query(alias="all")] = False) -> Response:
    """My tasks (assigned to one of my roles); ``all=1`` shows every role's, for those who see everything."""
    app = request.app.state.hk.app
    everyone = everyone and user.scope.everything
    rows = worklist(app, scope=user.scope, stage=stage, segment=segment, collector=collector, grade=grade or None,
                    limit=PAGE + 1,
                    after=decode_cursor3(after, "after"), roles=None if everyone else user.roles)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    lang = request_lang(request)
    items = worklist_details(app, rows, lang=lang)
    nxt = encode_cursor(rows[-1].ev_position, rows[-1].amount_minor, rows[-1].id) if more and rows else None
    filters = {"stage": stage or "", "segment": segment or "", "collector": collector or "", "grade": grade or "",
               "all": "1" if everyone else ""}
    return render(request, "today.html", {
        "why": lambda reasons: "；".join(reason_text((str(f), float(v), float(c)), lang) for f, v, c in reasons or []),
        "items": items, "next": nxt, "filters": filters, "can_reassign": user.has(*REASSIGNS),
        "can_see_all": user.scope.everything, "grades": [g.value for g in RiskGrade],
    })


@router.post("/today/reassign", dependencies=[requires(*REASSIGNS)])
def reassign(request: Request, user: Annotated[Principal, Depends(current_user)],
             collector: Annotated[str, Form(min_length=1, max_length=60)],
             customers: Annotated[list[str], Form()]) -> Response:
    collect.reassign(request.app.state.hk.app, customers, collector, actor=user.name, scope=user.scope)
    return RedirectResponse("/today", status_code=303)
