"""Shared data and helpers of the web tests (imported by conftest and the tests)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

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


