"""Sign in, sign out, language switch, the home redirect and the health check."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from .... import i18n
from ....domain.errors import RuleViolation
from ....services import users as users_svc
from ....services.users import Principal
from ..auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    current_user,
    new_anonymous_sid,
    optional_user,
    public,
    requires,
    set_session_cookie,
)
from ..templating import render, request_lang

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a local path: an open redirect to another site is refused."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/", dependencies=[public()])
def home(request: Request) -> Response:
    user = optional_user(request)
    return RedirectResponse("/today" if user else "/login", status_code=303)


@router.get("/healthz", dependencies=[public()])
def healthz() -> Response:
    return PlainTextResponse("ok")


@router.get("/login", dependencies=[public()])
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "name": ""})


@router.post("/login", dependencies=[public()])
def login(request: Request, name: Annotated[str, Form(max_length=60)] = "",
          password: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    hk = request.app.state.hk
    ip = request.client.host if request.client else "-"
    try:
        user = users_svc.authenticate(hk.app, name, password, ip=ip, backoff=hk.backoff)
    except RuleViolation as e:
        return render(request, "login.html", {"next": _safe_next(next), "name": name,
                                              "error": i18n.error_text(e, request_lang(request))}, status=401)
    # A new session id at sign-in (never the one the browser had before: no session fixation).
    sid = users_svc.open_session(hk.app, user.id)
    old = request.cookies.get(SESSION_COOKIE)
    if old and not old.startswith("anon."):
        users_svc.close_session(hk.app, old)
    target = _safe_next(next)
    response = RedirectResponse("/today" if target == "/" else target, status_code=303)
    set_session_cookie(request, response, sid)
    return response


@router.post("/logout", dependencies=[requires()])
def logout(request: Request) -> Response:
    users_svc.close_session(request.app.state.hk.app, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    set_session_cookie(request, response, new_anonymous_sid())
    return response


@router.post("/lang", dependencies=[public()])
def switch_language(request: Request, lang: Annotated[str, Form(pattern="^(zh|en)$")],
                    next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    """Remembered on the user (and in a cookie for the sign-in page)."""
    user: Principal | None = optional_user(request)
    if user is not None:
        users_svc.set_language(request.app.state.hk.app, user.id, lang)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=365 * 86400)
    return response


@router.get("/me", dependencies=[requires()])
def me(request: Request, user: Principal = Depends(current_user)) -> Response:
    return render(request, "me.html", {"me": user})
