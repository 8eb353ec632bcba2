"""Admin: users and roles, the calendar overrides (the ``calendar`` commands as a page), the policies in
force shown read-only (editing stays in TOML files), segment assignments, the run log, and the audit log
(read by the auditor too). Admin manages users, policies and settings but edits no customer's money."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from .... import i18n
from ....domain.errors import InvalidInput
from ....domain.ledger import Role
from ....domain.parsing import parse_date
from ....services import audit, policies, users
from ....services import calendar as cal_svc
from ....services.reporting import runs
from ....services.users import Principal
from ..app import NavItem
from ..auth import current_user, requires
from ..templating import render, request_lang

router = APIRouter()
ADMIN = (Role.ADMIN,)
RUN_READERS = (Role.ADMIN, Role.AUDITOR, Role.SUPERVISOR, Role.CREDIT_MANAGER, Role.MANAGER, Role.GM, Role.OWNER,
               Role.FINANCE)
NAV = (NavItem("/admin/users", "nav.admin", ("admin",), order=80),
       NavItem("/admin/audit", "nav.audit", ("admin", "auditor"), order=85))
ROLES = [r.value for r in Role]


def _tabs() -> list[tuple[str, str]]:
    return [("/admin/users", "admin.users"), ("/admin/calendar", "admin.calendar"),
            ("/admin/policies", "admin.policies"), ("/admin/templates", "admin.templates"), ("/admin/runs", "admin.runs"),
            ("/admin/audit", "nav.audit")]


@router.get("/admin", dependencies=[requires(*ADMIN)])
def index() -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users", dependencies=[requires(*ADMIN)])
def users_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    return render(request, "admin_users.html", {"rows": users.list_users(request.app.state.hk.app), "roles": ROLES,
                                                "tabs": _tabs(), "error": error}, status=status)


@router.post("/admin/users", dependencies=[requires(*ADMIN)])
def add_user(request: Request, user: Annotated[Principal, Depends(current_user)],
             name: Annotated[str, Form(max_length=60)], password: Annotated[str, Form(max_length=200)],
             roles: Annotated[list[str], Form()], person: Annotated[str, Form(max_length=60)] = "",
             email: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        users.add_user(request.app.state.hk.app, name, roles, password, person=person or None, actor=user.name,
                       email=email or None)
    except InvalidInput as e:
        return users_page(request, i18n.error_text(e, request_lang(request)), 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{name}", dependencies=[requires(*ADMIN)])
def change_user(request: Request, name: str, user: Annotated[Principal, Depends(current_user)],
                roles: Annotated[list[str], Form()], person: Annotated[str, Form(max_length=60)] = "",
                disabled: Annotated[bool, Form()] = False, email: Annotated[str, Form(max_length=200)] = "") -> Response:
    app = request.app.state.hk.app
    try:
        users.set_roles(app, name, roles, person=person, actor=user.name, email=email)
    except InvalidInput as e:
        return users_page(request, i18n.error_text(e, request_lang(request)), 422)
    current = {u.name: u for u in users.list_users(app)}.get(name)
    if current is not None and current.disabled != disabled:
        users.set_disabled(app, name, disabled, actor=user.name)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/calendar", dependencies=[requires(*ADMIN, Role.FINANCE)])
def calendar_page(request: Request, month: Annotated[str | None, Query(max_length=7)] = None,
                  error: str | None = None, status: int = 200) -> Response:
    app = request.app.state.hk.app
    year, mon = cal_svc.parse_month(month) if month else (app.clock.today().year, app.clock.today().month)
    days = cal_svc.month(app.uow(), app.holidays(), year, mon)
    prev = date(year - (mon == 1), 12 if mon == 1 else mon - 1, 1)
    nxt = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return render(request, "admin_calendar.html", {"days": days, "year": year, "month": mon, "tabs": _tabs(),
                                                   "prev": f"{prev:%Y-%m}", "next": f"{nxt:%Y-%m}", "error": error},
                  status=status)


@router.post("/admin/calendar", dependencies=[requires(*ADMIN, Role.FINANCE)])
def calendar_set(request: Request, day: Annotated[str, Form(max_length=30)], kind: Annotated[str, Form(max_length=20)],
                 name: Annotated[str, Form(max_length=200)] = "") -> Response:
    app = request.app.state.hk.app
    try:
        try:
            d = parse_date(day)
        except (ValueError, InvalidInput) as e:
            raise InvalidInput("input.date", field="day", value=day) from e
        cal_svc.set_day(app.uow(), app.holidays(), d, kind, name or None)
    except InvalidInput as e:
        return calendar_page(request, None, i18n.error_text(e, request_lang(request)), 422)
    return RedirectResponse(f"/admin/calendar?month={d:%Y-%m}", status_code=303)


def _conditions(c: Any) -> list[tuple[str, str]]:
    out = []
    for f in dataclasses.fields(c):
        v = getattr(c, f.name)
        if v is not None:
            out.append((f.name, str(list(v) if isinstance(v, tuple | frozenset | set) else v)))
    return out


@router.get("/admin/policies", dependencies=[requires(*ADMIN, Role.AUDITOR, Role.CREDIT_MANAGER, Role.MANAGER)])
def policies_page(request: Request) -> Response:
    ps = policies.in_force(request.app.state.hk.app)
    rows = [{"p": p, "rules": [{"r": r, "when": _conditions(r.when)} for r in p.rules]}
            for p in sorted(ps.policies.values(), key=lambda p: p.id)]
    return render(request, "admin_policies.html", {"policies": rows, "segments": sorted(ps.by_segment.items()),
                                                   "tabs": _tabs()})


@router.post("/admin/segments", dependencies=[requires(*ADMIN)])
def assign_segment(request: Request, user: Annotated[Principal, Depends(current_user)],
                   segment: Annotated[str, Form(min_length=1, max_length=60)],
                   policy: Annotated[str, Form(min_length=1, max_length=60)]) -> Response:
    policies.assign_segment(request.app.state.hk.app, segment.strip(), policy.strip(), actor=user.name)
    return RedirectResponse("/admin/policies", status_code=303)


@router.get("/admin/runs", dependencies=[requires(*RUN_READERS)])
def runs_page(request: Request) -> Response:
    return render(request, "admin_runs.html", {"rows": runs(request.app.state.hk.app, 60), "tabs": _tabs()})


@router.get("/admin/audit", dependencies=[requires(Role.ADMIN, Role.AUDITOR)])
def audit_page(request: Request, actor: Annotated[str | None, Query(max_length=60)] = None,
               action: Annotated[str | None, Query(max_length=60)] = None,
               key: Annotated[str | None, Query(max_length=120)] = None,
               before: Annotated[int | None, Query(ge=1)] = None) -> Response:
    rows = audit.find(request.app.state.hk.app, actor=actor or None, action=action or None, entity_key=key or None,
                      before_id=before, limit=100)
    return render(request, "admin_audit.html", {"rows": rows, "tabs": _tabs(),
                                                "filters": {"actor": actor or "", "action": action or "", "key": key or ""},
                                                "next": rows[-1].id if len(rows) == 100 else None})
