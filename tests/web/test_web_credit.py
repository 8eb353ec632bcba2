"""Credit control through the API and the workbench, on both databases: the check's JSON shape and its
bad input (4xx, nothing written), orders and deliveries from an ERP, a salesperson's scope, and the
override path as users meet it — the clerk's hold, the supervisor's approval on /credit, the same
check then allowed naming it, every step in the audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.services import risk


def count(app, table) -> int:  # type: ignore[no-untyped-def]
    with app.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_api_check_shape_and_bad_input(web, ledger, bearer):
    from fastapi.testclient import TestClient

    api = TestClient(web)
    h = bearer("credit_manager")
    r = api.post("/api/v1/credit/check", json={"customer": "KH2", "amount_minor": 100000, "order": "SO-1"}, headers=h)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert set(doc) == {"customer", "amount_minor", "decision", "reasons", "exposure_minor", "limit_minor",
                        "available_minor", "as_of"}
    assert doc["customer"] == "KH2" and doc["decision"] == "hold" and doc["limit_minor"] == 8_000_000
    assert {x["code"] for x in doc["reasons"]} >= {"overdue_delivery"}
    assert all(x["text"] for x in doc["reasons"])
    before = count(ledger, t.credit_check)
    for body, status in [({"customer": "NOPE", "amount_minor": 1}, 404),
                         ({"customer": "KH2", "amount_minor": 0}, 422),
                         ({"customer": "KH2", "amount_minor": -5}, 422),
                         ({"customer": "KH2", "amount_minor": 200000, "order": "SO-1"}, 422)]:
        r = api.post("/api/v1/credit/check", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["code"]
    assert count(ledger, t.credit_check) == before
    # a salesperson sees only their own customers: KH1 is 王强's, KH2 is not
    sales = bearer("sales", person="王强")
    assert api.post("/api/v1/credit/check", json={"customer": "KH1", "amount_minor": 1}, headers=sales).status_code == 200
    assert api.post("/api/v1/credit/check", json={"customer": "KH2", "amount_minor": 1}, headers=sales).status_code == 404


def test_api_orders_and_deliveries(web, ledger, bearer):
    from fastapi.testclient import TestClient

    api = TestClient(web)
    h = bearer("finance")
    body = {"number": "SO-9", "customer": "KH2", "ordered_on": "2026-11-20", "amount_minor": 500000}
    r = api.post("/api/v1/orders", json=body, headers=h)
    assert r.status_code == 201 and r.json()["number"] == "SO-9"
    assert api.post("/api/v1/orders", json=body, headers=h).status_code == 201  # an ERP resending: unchanged
    assert api.post("/api/v1/orders", json={**body, "amount_minor": 1}, headers=h).status_code == 422
    assert count(ledger, t.sales_order) == 1
    r = api.post("/api/v1/deliveries", json={"number": "SH-1", "customer": "KH2", "delivered_on": "2026-11-21",
                                              "amount_minor": 200000, "order": "SO-404"}, headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "delivery.unknown_order"
    assert count(ledger, t.delivery) == 0
    r = api.post("/api/v1/deliveries", json={"number": "SH-1", "customer": "KH2", "delivered_on": "2026-11-21",
                                              "amount_minor": 200000, "order": "SO-9", "signed_by": "陈经理"}, headers=h)
    assert r.status_code == 201
    check = api.post("/api/v1/credit/check", json={"customer": "KH2", "amount_minor": 1}, headers=h).json()
    assert check["exposure_minor"] == 5_000_000 + 200_000 + 300_000  # open AR + unbilled + rest of the order


def test_override_path_in_the_workbench(client_for, ledger):
    clerk = client_for("sales", person="王强")
    r = clerk.post("/credit/check", data={"customer": "KH1", "amount": "5000", "order": "SO-77",
                                          "csrf_token": clerk.csrf})
    assert r.status_code == 200 and 'data-decision="hold"' in r.text and "前款不结后货不送" in r.text
    r = clerk.post("/credit/check/override", data={"customer": "KH1", "amount": "5000", "order": "SO-77",
                                                   "reason": "老客户，年底备货", "csrf_token": clerk.csrf})
    assert r.status_code == 200 and 'data-testid="requested"' in r.text

    boss = client_for("supervisor")
    page = boss.get("/credit")
    assert page.status_code == 200 and "SO-77" in page.text and "老客户，年底备货" in page.text
    with ledger.uow() as uow:
        oid = uow.credit.overrides("pending")[0].id
    r = boss.post(f"/credit/overrides/{oid}/approve", data={"note": "已电话确认", "csrf_token": boss.csrf},
                  follow_redirects=False)
    assert r.status_code == 303
    assert clerk.get("/credit").status_code == 403  # the clerk does not approve

    r = clerk.post("/credit/check", data={"customer": "KH1", "amount": "5000", "order": "SO-77",
                                          "csrf_token": clerk.csrf})
    assert 'data-decision="allow"' in r.text and f"#{oid}" in r.text and boss.user_name in r.text
    with ledger.engine.connect() as c:
        actions = [a for (a,) in c.execute(select(t.audit_log.c.action).order_by(t.audit_log.c.id))
                   if a.startswith("credit.")]
    assert actions == ["credit.override_request", "credit.override_approved"]


def test_credit_manager_sees_the_warnings_and_the_debtor_panel(client_for, ledger):
    import_contacts_left(ledger)
    mgr = client_for("credit_manager")
    page = mgr.get("/credit")
    assert page.status_code == 200 and 'data-testid="alert"' in page.text and "刘会计" in page.text
    panel = mgr.get("/credit/customers/KH1")
    assert panel.status_code == 200 and 'data-testid="debtor"' in panel.text and "data-kind=" in panel.text
    r = mgr.post("/credit/customers/KH1/levers", data={"lever": "stop_rebates", "csrf_token": mgr.csrf},
                 follow_redirects=False)
    assert r.status_code == 303
    assert "stop_rebates" in mgr.get("/credit/customers/KH1").text
    assert client_for("collector", person="李娜").get("/credit/customers/KH1").status_code == 404  # not hers
    c360 = mgr.get("/customers/KH1")  # customer 360 shows the kind, its evidence and the levers, and links here
    assert c360.status_code == 200 and 'data-testid="debtor"' in c360.text and "/credit/customers/KH1" in c360.text


def import_contacts_left(app) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from huikuan.services.daily_run import run_daily

    risk.mark_contact_left(app, "KH1", "刘会计", date(2026, 11, 23))
    run_daily(app, date(2026, 11, 24))


def test_dashboard_counts_the_open_warnings_and_links_to_them(client_for, ledger):
    import re

    owner = client_for("owner")

    def tile() -> str:
        page = owner.get("/dashboard").text
        m = re.search(r'data-testid="dash-alerts"><div class="l">([^<]*)</div><div class="v">(\d+)</div>', page)
        assert m, "the dashboard has no open-alerts tile"
        return m.group(2)

    before = tile()
    import_contacts_left(ledger)  # the contact who handled our account has left: a warning is raised
    with ledger.uow(write=False) as uow:
        expected = len(uow.credit.alerts(True))
    assert expected > int(before)
    assert tile() == str(expected)
    assert 'href="/credit" data-testid="dash-alerts"' in owner.get("/dashboard").text
