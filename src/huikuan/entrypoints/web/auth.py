"""Who may call a route, declared next to it, and who is calling.

Declare on every route (the authorization-matrix test reads these from the route table and fails on a
route without one)::

    @router.get("/today", dependencies=[requires(Role.COLLECTOR, Role.SUPERVISOR)])
    def today(request: Request, user: Principal = Depends(current_user)) -> Response: ...

    @router.get("/login", dependencies=[public()])

``requires()`` with no roles means "any signed-in user". Pages sign in with a session cookie (HttpOnly,
SameSite=Lax, Secure over https) and every unsafe request carries the CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``; htmx sends the header from the page's meta tag). The API signs
in with ``Authorization: Bearer <token>`` only (no cookies, so no CSRF). The customer scope is
``user.scope`` (``domain.access.Scope``): hand it to the service, which applies it in the query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from ...domain.ledger import Role
from ...services import users as users_svc
from ...services.users import Principal

SESSION_COOKIE = "hk_sid"
LANG_COOKIE = "hk_lang"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Unauthenticated(Exception):
    """No valid session or token: 401 (API), or a redirect to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but no role this route allows: 403."""


class CsrfFailed(Exception):
    """An unsafe page request without the session's CSRF token: 403."""


@dataclass(frozen=True)
class Rule:
    """The access rule of one route: ``anonymous`` (public) or a set of roles (empty: any signed-in user)."""

    roles: frozenset[str]
    anonymous: bool = False

    async def __call__(self, request: Request) -> Principal | None:
        ctx = request.app.state.hk
        api = request.url.path.startswith("/api/v1")
        principal: Principal | None = None
        if api:
            header = request.headers.get("authorization", "")
            if header[:7].lower() == "bearer ":
                principal = users_svc.principal_for_token(ctx.app, header[7:].strip())
        else:
            principal = users_svc.principal_for_session(ctx.app, request.cookies.get(SESSION_COOKIE))
        request.state.principal = principal
        if self.anonymous:
            if not api and request.method in UNSAFE:
                await check_csrf(request)
            return principal
        if principal is None:
            raise Unauthenticated()
        if self.roles and not (set(principal.roles) & self.roles):
            raise Forbidden()
        if not api and request.method in UNSAFE:
            await check_csrf(request)
        return principal


def requires(*roles: Role | str) -> Any:
    """A route dependency: only users holding one of ``roles`` (none given: any signed-in user)."""
    return Depends(Rule(frozenset(str(r) for r in roles)))


def public() -> Any:
    """A route dependency: anyone, signed in or not (sign-in page, static files, health)."""
    return Depends(Rule(frozenset(), anonymous=True))


def current_user(request: Request) -> Principal:
    """The signed-in user (the route's ``requires`` has already checked it)."""
    p = getattr(request.state, "principal", None)
    if p is None:
        raise Unauthenticated()
    return p  # type: ignore[no-any-return]


def optional_user(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


# ── CSRF: an HMAC of the session cookie under the server's secret ────────────────────────────────

def csrf_token(request: Request) -> str:
    sid = getattr(request.state, "sid", None) or request.cookies.get(SESSION_COOKIE) or ""
    return hmac.new(request.app.state.hk.secret, sid.encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        raise CsrfFailed()
    sent = request.headers.get("x-csrf-token")
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfFailed()


def new_anonymous_sid() -> str:
    return "anon." + secrets.token_urlsafe(24)


def set_session_cookie(request: Request, response: Any, sid: str) -> None:
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path="/")
