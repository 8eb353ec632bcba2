"""Communications pages: the public 对账单 confirmation page (a signed link, no account), the outbox
(dead letters and guard refusals, for supervisors), a letter's PDF and recording it as posted (EMS
number), and the message templates (admin: preview with a real customer's data, save a new version)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from .... import i18n
from ....domain.errors import InvalidInput, NotFound
from ....domain.ledger import Role
from ....services import letters, statements
from ....services import outbox as outbox_svc
from ....services import templates as templates_svc
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, public, requires
from ..templating import render, request_lang
from .admin import _tabs as admin_tabs

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


@router.get("/letters/{action_id}/pdf", dependencies=[requires(*OVERSEERS)])
def letter_pdf(request: Request, action_id: int) -> Response:
    """The PDF of an issued letter, as its cover e-mail attaches it."""
    pdf = letters.letter_pdf(request.app.state.hk.app, action_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="letter-{action_id}.pdf"'})


# ── message templates (admin) ────────────────────────────────────────────────────────────────
STAGE = r"^[a-z0-9_]{1,60}$"


@router.get("/admin/templates", dependencies=[requires(Role.ADMIN)])
def templates_page(request: Request) -> Response:
    """Every template by stage × channel × language, with the version messages use now."""
    rows = templates_svc.catalog(request.app.state.hk.app)
    return render(request, "admin_templates.html", {"rows": rows, "tabs": admin_tabs()})


def _editor(request: Request, stage: str, channel: str, lang: str, *, source: str | None = None,
            customer: str = "", version: int | None = None, preview: dict[str, str] | None = None,
            errors: dict[str, str] | None = None, saved: int | None = None, status: int = 200) -> Response:
    history = templates_svc.versions(request.app.state.hk.app, stage, channel, lang)
    shown = next((v for v in history if v.version == version), history[0]) if version is not None else history[0]
    return render(request, "admin_template.html", {
        "stage": stage, "channel": channel, "lang_of": lang, "history": history, "current": history[0].version,
        "source": shown.source if source is None else source, "loaded": shown.version if source is None else None,
        "customer": customer, "preview": preview, "errors": errors or {}, "saved": saved, "tabs": admin_tabs(),
    }, status=status)


@router.get("/admin/templates/{stage}/{channel}/{lang}", dependencies=[requires(Role.ADMIN)])
def template_page(request: Request, stage: Annotated[str, Path(pattern=STAGE)],
                  channel: Annotated[str, Path(pattern="^(email|sms)$")], lang: Annotated[str, Path(pattern="^(zh|en)$")],
                  version: Annotated[int | None, Query(ge=0)] = None,
                  customer: Annotated[str, Query(max_length=60)] = "",
                  saved: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The editor: a version's source (the one in use unless ``version`` is asked for) and the history."""
    return _editor(request, stage, channel, lang, customer=customer, version=version, saved=saved)


@router.post("/admin/templates/{stage}/{channel}/{lang}", dependencies=[requires(Role.ADMIN)])
def template_submit(request: Request, user: Annotated[Principal, Depends(current_user)],
                    stage: Annotated[str, Path(pattern=STAGE)], channel: Annotated[str, Path(pattern="^(email|sms)$")],
                    lang: Annotated[str, Path(pattern="^(zh|en)$")],
                    source: Annotated[str, Form(max_length=20_000)] = "",
                    customer: Annotated[str, Form(max_length=60)] = "",
                    op: Annotated[str, Form(pattern="^(preview|save)$")] = "preview") -> Response:
    """Preview the edited source with a real customer's data, or save it as a new version — only after
    it previews cleanly (a missing variable fails here, never at send time)."""
    app = request.app.state.hk.app
    ui = request_lang(request)
    errors: dict[str, str] = {}
    if not customer.strip():
        errors["customer"] = i18n.t("template.customer_needed", ui)
    if not source.strip():
        errors["source"] = i18n.t("template.source_needed", ui)
    if errors:
        return _editor(request, stage, channel, lang, source=source, customer=customer, errors=errors, status=422)
    try:
        if op == "save":
            n = templates_svc.save_version(app, stage, channel, lang, source, customer.strip(), by=user.name)
            return RedirectResponse(f"/admin/templates/{stage}/{channel}/{lang}?saved={n}&customer={customer.strip()}",
                                    status_code=303)
        shown = templates_svc.preview(app, stage, channel, lang, customer.strip(), source)
    except NotFound as e:
        errors["customer"] = i18n.error_text(e, ui)
    except InvalidInput as e:
        errors["source"] = i18n.error_text(e, ui)
    if errors:
        return _editor(request, stage, channel, lang, source=source, customer=customer, errors=errors, status=422)
    return _editor(request, stage, channel, lang, source=source, customer=customer, preview=shown)
