"""Web fixtures: an app on each database backend with two collectors' customers, and signed-in clients.

- ``ledger``          the ``app`` fixture (both backends) with customers KH1 (张伟's), KH2 (李娜's), their
                      invoices, and the daily run of 2026-11-23 done.
- ``web``             ``create_app(ledger)``.
- ``client_for(*roles, person=None)``  a ``TestClient`` signed in through the real sign-in form as a new
                      user with those roles (``client.csrf`` holds the page's CSRF token).
- ``bearer(*roles, person=None)``      headers with a fresh API token of a new user.
- ``anon``            a ``TestClient`` nobody signed in to.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import CONTACTS, CUSTOMERS, INVOICES, PASSWORD, csrf_of, sign_in

from huikuan.entrypoints.web import create_app
from huikuan.services import users
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows


@pytest.fixture
def ledger(app: Any) -> Any:
    import_rows(app, "customers", CUSTOMERS)
    import_rows(app, "contacts", CONTACTS)
    import_rows(app, "invoices", INVOICES)
    run_daily(app)
    return app


@pytest.fixture
def web(ledger: Any) -> Any:
    return create_app(ledger)


_names = itertools.count(1)


@pytest.fixture
def client_for(web: Any, ledger: Any) -> Iterator[Callable[..., TestClient]]:
    made: list[TestClient] = []

    def make(*roles: str, person: str | None = None, name: str | None = None) -> TestClient:
        name = name or f"u{next(_names)}_{'_'.join(roles) or 'none'}"
        users.add_user(ledger, name, list(roles), PASSWORD, person=person, actor="test")
        c = TestClient(web, base_url="http://testserver")
        made.append(c)
        r = sign_in(c, name)
        assert r.status_code == 303, r.text
        c.csrf = csrf_of(c.get("/me").text)  # type: ignore[attr-defined]
        c.user_name = name  # type: ignore[attr-defined]
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def bearer(ledger: Any) -> Callable[..., dict[str, str]]:
    def make(*roles: str, person: str | None = None) -> dict[str, str]:
        name = f"api{next(_names)}_{'_'.join(roles)}"
        users.add_user(ledger, name, list(roles), PASSWORD, person=person, actor="test")
        return {"Authorization": "Bearer " + users.issue_token(ledger, name, actor="test")}

    return make


@pytest.fixture
def anon(web: Any) -> Iterator[TestClient]:
    with TestClient(web) as c:
        yield c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """Keep each phase's report on the test item (the browser tests screenshot a failed flow)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
