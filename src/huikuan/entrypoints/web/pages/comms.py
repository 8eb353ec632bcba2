"""Communications pages: the public 对账单 confirmation page (a signed link, no account), the outbox
(dead letters and guard refusals, for supervisors), and recording a letter as posted (EMS number)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ....domain.errors import InvalidInput
from ....domain.ledger import Role
from ....services import letters, statements
from ....services import outbox as outbox_svc
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, public, requires
from ..templating import render

router = APIRouter()
OVERSEERS = (Role.SUPERVISOR, Role.MANAGER, Role.GM, Role.OWNER, Role.CREDIT_MANAGER, Role.AUDITOR)
LETTER_SENDERS = (Role.SUPERVISOR, Role.MANAGER, Role.GM, Role.OWNER)
NAV = (NavItem("/outbox", "nav.outbox", tuple(str(r) for r in OVERSEERS), order=70),)
TOKEN = r"^[A-Za-z0-9_\-.]{20,600}$"


@router.get("/confirm/{token}", dependencies=[public()])
def confirm_page(request: Request, token: str) -> Response:
    """The customer's statement behind a signed link: confirm it, or dispute lines with a comment."""
    st = statements.open_link(request.app.state.hk.app, token)
    return render(request, "confirm.html", {"st": st, "token": token, "done": None})


@router.post("/confirm/{token}", dependencies=[public()])
async def confirm_submit(request: Request, token: str) -> Response:
    form = await request.form()
    who = str(form.get("who") or "")
    disputed = {}
    for key in form:
        if key.startswith("dispute_") and form.get(key):
            number = key[len("dispute_"):]
            disputed[number] = str(form.get(f"comment_{number}") or "")
    app = request.app.state.hk.app
    ip = request.client.host if request.client else None
    outcome = statements.confirm(app, token, who, ip, disputed)
    return render(request, "confirm.html", {"st": None, "token": None, "done": outcome})


@router.get("/outbox", dependencies=[requires(*OVERSEERS)])
def outbox_page(request: Request,
                status: Annotated[str | None, Query(pattern="^(queued|sending|failed|sent|dead)$")] = None,
                customer: Annotated[str | None, Query(max_length=60)] = None) -> Response:
    app = request.app.state.hk.app
    rows = outbox_svc.list_messages(app, status or None, customer or None, 200)
    return render(request, "outbox.html", {"rows": rows, "status": status or "", "customer": customer or "",
                                           "counts": outbox_svc.outbox_counts(app)})


@router.post("/letters/{action_id}/posted", dependencies=[requires(*LETTER_SENDERS)])
def letter_posted(request: Request, action_id: int, user: Annotated[Principal, Depends(current_user)],
                  ems: Annotated[str, Form(max_length=30)] = "", hand: Annotated[str, Form(max_length=5)] = "") -> Response:
    if not ems and not hand:
        raise InvalidInput("letter.posted_how", field="ems")
    letters.mark_posted(request.app.state.hk.app, action_id, ems=ems or None, hand=bool(hand) and not ems, on=None)
    return RedirectResponse("/outbox", status_code=303)
