"""Shared data and helpers of the web tests (imported by conftest and the tests): the customers, contacts
and invoices of the ``ledger`` fixture, signing in through the form, and ``serving(app)``, the workbench
on a real uvicorn server in a thread (the browser tests)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from huikuan.entrypoints.web import create_app

PASSWORD = "correct-horse-9"
CUSTOMERS = [
    {"customer_code": "KH1", "name": "成都蓉信商贸有限公司", "terms": "月结30", "credit_limit": "50000",
     "collector": "张伟", "sales_owner": "王强", "segment": "西南"},
    {"customer_code": "KH2", "name": "杭州汇通电子有限公司", "terms": "net 30", "credit_limit": "80000",
     "collector": "李娜", "sales_owner": "赵敏", "segment": "华东"},
    {"customer_code": "KH3", "name": "重庆渝新建材有限公司", "terms": "net 30", "credit_limit": "30000",
     "collector": "张伟", "sales_owner": "王强", "segment": "西南"},
]
CONTACTS = [
    {"customer_code": "KH1", "name": "刘会计", "role": "finance", "phone": "13812345678", "email": "liu@rongxin.cn",
     "best_time": "15:30"},
    {"customer_code": "KH2", "name": "陈经理", "role": "owner", "phone": "13987654321"},
]
INVOICES = [
    {"invoice_number": "A1", "customer_code": "KH1", "invoice_date": "2026-05-15", "amount": "12000.00"},
    {"invoice_number": "A2", "customer_code": "KH1", "invoice_date": "2026-10-10", "amount": "3000"},
    {"invoice_number": "B1", "customer_code": "KH2", "invoice_date": "2026-06-15", "amount": "50000"},
    {"invoice_number": "C1", "customer_code": "KH3", "invoice_date": "2026-10-14", "amount": "8800.50"},
]


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = csrf_of(page.text)
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    return r




class _Server(uvicorn.Server):
    """uvicorn's server, telling when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """The workbench over ``app`` served by uvicorn in a thread on a free loopback port: yields its base URL
    once it listens (the test FAILS if it does not within 60 s); on leaving, stops the server and disposes
    the app's engine."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = _Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(60):
            pytest.fail("the workbench server did not start", pytrace=False)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        app.engine.dispose()
