"""The authorization matrix, generated from the app's route table: every route × every role (and nobody)
answers as its declaration says — refused with 401 (API) / a redirect to sign-in (pages) when nobody is
signed in, 403 for a role it does not name, and not refused for a role it names. A route that declares
no rule fails the test, so a new route cannot be added without deciding who may call it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from web_helpers import PASSWORD

from huikuan.domain.ledger import Role
from huikuan.entrypoints.web import create_app
from huikuan.entrypoints.web.app import route_rules
from huikuan.entrypoints.web.auth import SESSION_COOKIE
from huikuan.services import users

SAMPLE = {"code": "KH1", "action_id": "1", "id": "1", "dispute_id": "1", "name": "nobody", "kind": "invoices"}


def undeclared(fa: Any) -> list[str]:
    return [f"{sorted(r.methods)} {r.path}" for r in route_rules(fa) if r.rule is None]


def _path(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


def test_every_route_declares_who_may_call_it(web):
    assert undeclared(web) == []
    assert len(route_rules(web)) >= 10


def test_a_route_without_a_rule_is_caught(ledger):
    fa = create_app(ledger)
    extra = APIRouter()

    @extra.get("/sneaky")
    def sneaky() -> dict[str, str]:
        return {}

    fa.include_router(extra)
    assert undeclared(fa) == ["['GET'] /sneaky"]


def _clients(web: Any, ledger: Any) -> dict[str, tuple[TestClient, dict[str, str]]]:
    """One page client (session cookie, CSRF header) and one API token per role."""
    out = {}
    for role in Role:
        name = f"m_{role.value}"
        uid = users.add_user(ledger, name, [role.value], PASSWORD, person="张伟", actor="test")
        sid = users.open_session(ledger, uid)
        c = TestClient(web, cookies={SESSION_COOKIE: sid})
        token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/me").text).group(1)  # type: ignore[union-attr]
        c.headers["X-CSRF-Token"] = token
        out[role.value] = (c, {"Authorization": "Bearer " + users.issue_token(ledger, name, actor="test")})
    return out


def test_matrix(web, ledger):
    clients = _clients(web, ledger)
    anon = TestClient(web)
    failures: list[str] = []
    checked = 0
    for route in route_rules(web):
        rule = route.rule
        if rule is None or rule.anonymous:
            continue
        method = sorted(route.methods - {"HEAD"})[0]
        path = _path(route.path)
        api = route.path.startswith("/api/v1")
        kwargs: dict[str, Any] = {"follow_redirects": False}
        if method != "GET":
            kwargs["json" if api else "data"] = {} if api else {"x": "1"}
        r = anon.request(method, path, **kwargs)
        want_anon = 401 if api else 303
        if r.status_code != want_anon or (not api and not r.headers["location"].startswith("/login")):
            failures.append(f"anonymous {method} {path}: {r.status_code}")
        for role, (client, bearer) in clients.items():
            if api:
                r = anon.request(method, path, headers=bearer, **kwargs)
            else:
                if path == "/logout":  # signing out would end the role's session for the rest of the matrix
                    continue
                r = client.request(method, path, **kwargs)
            allowed = not rule.roles or role in rule.roles
            checked += 1
            if allowed and r.status_code in (401, 403):
                failures.append(f"{role} {method} {path}: refused {r.status_code}, declared allowed")
            if not allowed and r.status_code != 403:
                failures.append(f"{role} {method} {path}: {r.status_code}, declared 403")
            if r.status_code >= 500:
                failures.append(f"{role} {method} {path}: {r.status_code}")
    assert not failures, "\n".join(failures)
    assert checked >= 4 * len(Role)


@pytest.mark.parametrize("path", ["/api/v1/worklist"])
def test_api_ignores_the_session_cookie(client_for, path):
    """The API signs in with a bearer token only: a browser's cookie does not open it (no CSRF there)."""
    c = client_for("collector", person="张伟")
    assert c.get(path).status_code == 401
