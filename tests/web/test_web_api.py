"""The REST API as the ERP and a phone app call it: shapes, paging, scope (404), validation (4xx, never 500)."""

from __future__ import annotations

import json

from huikuan.entrypoints.cli.main import main
from huikuan.services import audit
from huikuan.services import collect as svc
from huikuan.services.reporting import worklist

NEW_INVOICES = [
    {"invoice_number": "E1", "customer_code": "KH1", "invoice_date": "2026-11-20", "amount": "1,234.50"},
    {"invoice_number": "E2", "customer_code": "KH3", "invoice_date": "2026年11月21日", "amount": "99"},
]


def test_worklist_items_and_paging(anon, bearer):
    h = bearer("supervisor")
    r = anon.get("/api/v1/worklist", headers=h, params={"limit": 5, "all": "true"})
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) == {"items", "next"} and len(doc["items"]) == 5 and doc["next"]
    keys = {"action_id", "customer", "stage", "kind", "amount_minor", "currency", "reason"}
    assert all(keys <= set(i) for i in doc["items"])
    seen = [i["action_id"] for i in doc["items"]]
    while doc["next"]:
        doc = anon.get("/api/v1/worklist", headers=h, params={"limit": 5, "all": "true", "cursor": doc["next"]}).json()
        seen += [i["action_id"] for i in doc["items"]]
    assert len(seen) == len(set(seen)) == 14
    amounts = [i["amount_minor"] for i in anon.get("/api/v1/worklist", headers=h,
                                                   params={"limit": 500, "all": "true"}).json()["items"]]
    assert amounts == sorted(amounts, reverse=True)
    # Without all: only the supervisor's own tasks.
    mine = anon.get("/api/v1/worklist", headers=h).json()["items"]
    assert all(i["assignee_role"] == "supervisor" for i in mine)


def test_collector_sees_only_their_customers(anon, bearer):
    h = bearer("collector", person="张伟")
    items = anon.get("/api/v1/worklist", headers=h).json()["items"]
    assert {i["customer"] for i in items} == {"KH3"}
    assert anon.get("/api/v1/customers/KH1", headers=h).status_code == 200
    for method, path, body in (("GET", "/api/v1/customers/KH2", None),
                               ("POST", "/api/v1/contacts", {"customer": "KH2", "channel": "phone", "outcome": "reached"}),
                               ("POST", "/api/v1/promises", {"customer": "KH2", "amount_minor": 100,
                                                             "promised_on": "2026-12-01"}),
                               ("POST", "/api/v1/disputes", {"customer": "KH2", "invoice": "B1", "category": "quality"})):
        r = anon.request(method, path, headers=h, json=body)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["code"] == "customer.not_found"


def test_customer_has_the_cli_json_shape(anon, bearer, db_url, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    api = anon.get("/api/v1/customers/KH1", headers=bearer("owner")).json()
    assert main(["--database-url", db_url, "customer", "show", "KH1", "--as-of", "2026-11-23", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert api == cli


def test_push_invoices_idempotent_with_the_importers_report(anon, bearer, ledger):
    h = bearer("finance")
    r = anon.post("/api/v1/invoices", headers=h, json=NEW_INVOICES)
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["rows"]) == (2, 2)
    r = anon.post("/api/v1/invoices", headers=h, json=NEW_INVOICES)
    assert (r.json()["inserted"], r.json()["unchanged"]) == (0, 2)
    bad = [*NEW_INVOICES, {"invoice_number": "E3", "customer_code": "KH404", "invoice_date": "2026-11-21",
                           "amount": "abc"}]
    r = anon.post("/api/v1/invoices", headers=h, json=bad)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "import.rejected" and err["problems"] and all("第 4 行" in p["where"] for p in err["problems"])
    with ledger.uow(write=False) as uow:
        assert uow.customers.invoice_by_number("E3") is None
    r = anon.post("/api/v1/invoices", headers=h, params={"skip_invalid": "true"}, json=bad)
    assert r.status_code == 200 and r.json()["rejected"] == 1
    assert audit.find(ledger, action="import.done")[0].actor.startswith("api")


def test_push_customers_and_payments(anon, bearer, ledger):
    h = bearer("finance")
    r = anon.post("/api/v1/customers", headers=h, json=[{"customer_code": "KH9", "name": "新客户有限公司"}])
    assert r.status_code == 200 and r.json()["inserted"] == 1
    r = anon.post("/api/v1/payments", headers=h, json=[{"payment_no": "P1", "customer_code": "KH3",
                                                        "payment_date": "2026-11-23", "amount": "800.50"}])
    assert r.status_code == 200 and r.json()["inserted"] == 1
    assert svc.customer_view(ledger, "KH3").open_minor == 800000
    # A collector may not push ledger data.
    assert anon.post("/api/v1/invoices", headers=bearer("collector", person="张伟"), json=NEW_INVOICES).status_code == 403


def test_contact_promise_dispute(anon, bearer, ledger):
    h = bearer("collector", person="张伟")
    r = anon.post("/api/v1/contacts", headers=h, json={"customer": "KH3", "channel": "phone", "outcome": "promised",
                                                       "excuse": "payer_away", "note": "API"})
    assert r.status_code == 201 and r.json()["activity_id"] > 0
    r = anon.post("/api/v1/promises", headers=h, json={"customer": "KH3", "amount_minor": 500000,
                                                       "promised_on": "2026-12-01"})
    assert r.status_code == 201
    r = anon.post("/api/v1/disputes", headers=h, json={"customer": "KH3", "invoice": "C1", "amount_minor": 10000,
                                                       "category": "short_delivery"})
    assert r.status_code == 201
    v = svc.customer_view(ledger, "KH3")
    assert v.disputed_minor == 10000 and v.promises and v.activities[0].note == "API"
    r = anon.post("/api/v1/contacts", headers=h, json={"customer": "KH3", "channel": "pigeon", "outcome": "reached"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "channel"


def test_approve_through_the_api(anon, bearer, ledger):
    aid = next(r.id for r in worklist(ledger) if r.customer_code == "KH2" and r.kind == "shipment_lock")
    r = anon.post(f"/api/v1/actions/{aid}/approve", headers=bearer("owner"), json={"note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert svc.customer_view(ledger, "KH2").customer.shipment_locked
    assert anon.post(f"/api/v1/actions/{aid}/approve", headers=bearer("owner")).status_code == 409
    assert anon.post("/api/v1/actions/999999/approve", headers=bearer("owner")).status_code == 404
    # A collector's scope hides KH2's proposals (404); a role the route does not name is 403.
    assert anon.post(f"/api/v1/actions/{aid}/approve", headers=bearer("collector", person="张伟")).status_code == 403


def test_aging_and_runs(anon, bearer):
    h = bearer("owner")
    doc = anon.get("/api/v1/aging", headers=h, params={"limit": 2}).json()
    assert len(doc["items"]) == 2 and doc["next"]
    rest = anon.get("/api/v1/aging", headers=h, params={"limit": 2, "cursor": doc["next"]}).json()
    assert [i["key"] for i in doc["items"] + rest["items"]] == ["KH2", "KH1", "KH3"]
    assert doc["items"][0]["overdue_minor"] == 5000000
    assert anon.get("/api/v1/aging", headers=h, params={"by": "planet"}).status_code == 422
    runs = anon.get("/api/v1/runs", headers=h).json()
    assert runs["items"][0]["status"] == "done" and runs["next"] is None


BAD_INPUT = [
    ("GET", "/api/v1/worklist?limit=0", None),
    ("GET", "/api/v1/worklist?cursor=@@@", None),
    ("GET", "/api/v1/worklist?limit=abc", None),
    ("POST", "/api/v1/invoices", []),
    ("POST", "/api/v1/invoices", {"not": "a list"}),
    ("POST", "/api/v1/invoices", [{"amount": {"nested": 1}}]),
    ("POST", "/api/v1/promises", {"customer": "KH3", "amount_minor": -1, "promised_on": "2026-12-01"}),
    ("POST", "/api/v1/promises", {"customer": "KH3", "amount_minor": 1, "promised_on": "9999-12-31"}),
    ("POST", "/api/v1/contacts", "not json"),
    ("POST", "/api/v1/actions/99999999999/approve", None),
    ("GET", "/api/v1/aging?as_of=0001-01-01", None),
    ("GET", "/api/v1/customers/%00", None),
    ("POST", "/api/v1/contacts", {"customer": "K\u0000", "channel": "phone", "outcome": "reached"}),
    ("GET", "/api/v1/nothing-here", None),
]


def test_bad_input_is_a_json_4xx(anon, bearer):
    headers = bearer("owner", "finance")
    for method, path, body in BAD_INPUT:
        r = anon.request(method, path, headers=headers, json=body)
        assert 400 <= r.status_code < 500, (method, path, r.text)
        err = r.json()["error"]
        assert set(err) >= {"code", "message", "field"} and err["message"], (method, path)


def test_openapi_and_docs(anon):
    schema = anon.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/invoices", "/api/v1/payments", "/api/v1/customers", "/api/v1/worklist",
                 "/api/v1/customers/{code}", "/api/v1/contacts", "/api/v1/promises", "/api/v1/disputes",
                 "/api/v1/actions/{action_id}/approve", "/api/v1/aging", "/api/v1/runs"):
        assert path in schema["paths"], path
    assert not any(p.startswith(("/today", "/customers/", "/login")) for p in schema["paths"])
    docs = anon.get("/api/docs").text
    assert "/static/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
