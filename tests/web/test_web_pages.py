"""The pages as each role uses them: scope (a collector never reaches a colleague's customer), the contact
form with a promise, disputes, approvals, masking, imports, payments, dashboard, admin, language."""

from __future__ import annotations

import re

import pytest

from huikuan.services import audit
from huikuan.services import collect as svc
from huikuan.services.reporting import worklist


def test_collector_works_only_their_own_customers(client_for):
    c = client_for("collector", person="张伟")
    today = c.get("/today").text
    assert "KH3" in today and "KH2" not in today
    assert c.get("/customers/KH1").status_code == 200
    assert "KH2" not in c.get("/customers").text
    # A colleague's customer does not exist for them, on every page and form.
    for method, path, data in (("GET", "/customers/KH2", None), ("GET", "/customers/KH2/contact", None),
                               ("GET", "/customers/KH2/timeline", None),
                               ("POST", "/customers/KH2/contact", {"channel": "phone", "outcome": "reached"}),
                               ("POST", "/customers/KH2/disputes", {"invoice": "B1", "category": "quality"})):
        r = c.request(method, path, data=data, headers={"X-CSRF-Token": c.csrf})
        assert r.status_code == 404, (method, path, r.status_code)
        assert "找不到客户" in r.text


def test_log_a_contact_with_a_promise(client_for, ledger):
    c = client_for("collector", person="张伟")
    r = c.post("/customers/KH3/contact", headers={"X-CSRF-Token": c.csrf, "HX-Request": "true"},
               data={"channel": "phone", "outcome": "promised", "excuse": "no_money", "who": "刘会计",
                     "note": "月底前付", "promise_amount": "8,800.50", "promise_date": "2026-11-30",
                     "next_step": "回访确认", "next_on": "2026-12-01"})
    assert r.status_code == 200 and "已记录联系，以及 1 笔承诺" in r.text
    v = svc.customer_view(ledger, "KH3")
    assert [(p.amount_minor, p.promised_on.isoformat(), s) for p, s in v.promises] == [(880050, "2026-11-30", "open")]
    act = v.activities[0]
    assert (act.channel, act.outcome, act.excuse, act.note, act.next_step, act.actor) == (
        "phone", "promised", "no_money", "刘会计 · 月底前付", "回访确认", c.user_name)
    # The call task is done; the timeline shows the contact and the promise.
    assert not [r for r in worklist(ledger) if r.customer_code == "KH3" and r.kind == "call"]
    page = c.get("/customers/KH3").text
    assert "承诺 ¥8,800.50，2026年11月30日 前付款" in page and "下一步：回访确认" in page
    actions = {r.action for r in audit.find(ledger, entity_key="KH3")}
    assert {"contact.logged", "promise.recorded"} <= actions


def test_instalments_and_field_errors_in_the_users_language(client_for, ledger):
    c = client_for("collector", person="张伟")
    h = {"X-CSRF-Token": c.csrf, "HX-Request": "true"}
    r = c.post("/customers/KH3/contact", headers=h, data={
        "channel": "phone", "outcome": "promised", "instalments": "4000 2026-12-05\n4800.50 2026-12-20"})
    assert r.status_code == 200
    promises = svc.customer_view(ledger, "KH3").promises
    assert sorted(p.amount_minor for p, _ in promises) == [400000, 480050]
    first = min(p.id for p, _ in promises)
    parts = [r.after for r in audit.find(ledger, action="promise.recorded")]
    assert sorted(x["instalment_of"] or 0 for x in parts) == [0, first]  # the second part points at the first
    before = len(audit.find(ledger, limit=1000))
    r = c.post("/customers/KH3/contact", headers=h, data={
        "channel": "phone", "outcome": "promised", "promise_amount": "12.345", "promise_date": "2026-12-01"})
    assert r.status_code == 422 and 'data-field="promise_amount"' in r.text and "Traceback" not in r.text
    r = c.post("/customers/KH3/contact", headers=h, data={
        "channel": "phone", "outcome": "promised", "promise_amount": "100", "promise_date": "2026-11-01"})
    assert r.status_code == 422 and 'data-field="promise_date"' in r.text
    r = c.post("/customers/KH3/contact", headers=h, data={"channel": "fax", "outcome": "reached"})
    assert r.status_code == 422 and "fax" in r.text
    assert len(audit.find(ledger, limit=1000)) == before  # nothing half-written
    c.post("/lang", data={"lang": "en", "csrf_token": c.csrf})
    r = c.post("/customers/KH3/contact", headers=h, data={"channel": "fax", "outcome": "reached"})
    assert r.status_code == 422 and "is not one of" in r.text


def test_open_and_resolve_a_dispute(client_for, ledger):
    c = client_for("collector", person="张伟")
    h = {"X-CSRF-Token": c.csrf, "HX-Request": "true"}
    r = c.post("/customers/KH1/disputes", headers=h, data={"invoice": "A1", "category": "quality", "amount": "2000"})
    assert r.status_code == 200 and "已登记争议" in r.text
    v = svc.customer_view(ledger, "KH1")
    assert v.disputed_minor == 200000
    did = v.disputes[0].id
    r = c.post("/customers/KH1/disputes", headers=h, data={"invoice": "A1", "category": "quality", "amount": "999999"})
    assert r.status_code == 409 or r.status_code == 422
    r = c.post("/customers/KH1/disputes", headers=h, data={"invoice": "B1", "category": "quality"})
    assert r.status_code == 404  # an invoice of another customer
    r = c.post(f"/customers/KH1/disputes/{did}/resolve", headers=h)
    assert r.status_code == 200 and svc.customer_view(ledger, "KH1").disputed_minor == 0
    assert {"dispute.opened", "dispute.resolved"} <= {r.action for r in audit.find(ledger, entity_key="KH1")}


def _proposal(ledger, code: str, kind: str) -> int:
    return next(r.id for r in worklist(ledger) if r.customer_code == code and r.kind == kind)


def test_owner_approves_a_shipment_lock(client_for, ledger):
    owner = client_for("owner")
    page = owner.get("/approvals").text
    assert "锁定出库" in page or "shipment" in page
    aid = _proposal(ledger, "KH1", "shipment_lock")
    r = owner.post(f"/approvals/{aid}", headers={"X-CSRF-Token": owner.csrf, "HX-Request": "true"},
                   data={"decision": "approve", "note": "同意，先停货"})
    assert r.status_code == 200 and "已批准" in r.text
    assert svc.customer_view(ledger, "KH1").customer.shipment_locked
    timeline = owner.get("/customers/KH1").text
    assert "已批准" in timeline and "同意，先停货" in timeline
    # Twice is refused; a GM proposal is not the owner's to decide.
    r = owner.post(f"/approvals/{aid}", headers={"X-CSRF-Token": owner.csrf}, data={"decision": "approve"})
    assert r.status_code == 409
    gm_item = _proposal(ledger, "KH1", "blacklist")
    r = owner.post(f"/approvals/{gm_item}", headers={"X-CSRF-Token": owner.csrf}, data={"decision": "approve"})
    assert r.status_code == 409 and "“gm”" in r.text


def test_a_collector_cannot_approve(client_for, ledger):
    c = client_for("collector", person="张伟")
    aid = _proposal(ledger, "KH1", "shipment_lock")
    r = c.post(f"/approvals/{aid}", headers={"X-CSRF-Token": c.csrf}, data={"decision": "approve"})
    assert r.status_code == 403


@pytest.mark.parametrize(("roles", "person", "masked"), [
    (("collector",), "张伟", False),  # works KH1
    (("sales",), "王强", False),  # KH1's sales owner
    (("supervisor",), None, False),
    (("auditor",), None, True),
])
def test_contacts_masked_per_role(client_for, roles, person, masked):
    c = client_for(*roles, person=person)
    page = c.get("/customers/KH1").text
    if masked:
        assert "138****5678" in page and "13812345678" not in page and "l***@rongxin.cn" in page
    else:
        assert "13812345678" in page and "liu@rongxin.cn" in page


def test_supervisor_reassigns_in_bulk_and_the_tasks_follow(client_for, ledger):
    boss = client_for("supervisor")
    r = boss.post("/today/reassign", data={"collector": "李娜", "customers": ["KH3"], "csrf_token": boss.csrf},
                  follow_redirects=False)
    assert r.status_code == 303
    li = client_for("collector", person="李娜")
    assert "KH3" in li.get("/today").text
    assert "KH3" not in client_for("collector", person="张伟").get("/today").text


def test_today_filters_and_paging(client_for):
    c = client_for("supervisor")
    page = c.get("/today", params={"collector": "张伟", "all": "1"}).text
    assert "KH3" in page and "KH2" not in page
    assert c.get("/today", params={"after": "%%%"}).status_code == 422
    # Grade: KH3 is 10 days past due (催收款), KH1 and KH2 over 130 (呆账 under the default thresholds).
    page = c.get("/today", params={"grade": "in_collection", "all": "1"}).text
    assert "KH3" in page and "KH1" not in page and "KH2" not in page
    page = c.get("/today", params={"grade": "bad", "all": "1"}).text
    assert "KH3" not in page and "KH1" in page and "KH2" in page
    assert c.get("/today", params={"grade": "awful"}).status_code == 422


def test_language_switch_is_remembered_per_user(client_for, web):
    c = client_for("collector", person="张伟")
    assert "今日待办" in c.get("/today").text
    r = c.post("/lang", data={"lang": "en", "next": "/today", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert "Today&#39;s worklist" in c.get("/today").text
    c.cookies.delete("hk_lang")  # remembered on the user, not only in the browser
    assert "Today&#39;s worklist" in c.get("/today").text


def test_money_and_dates_in_chinese(client_for):
    c = client_for("supervisor")
    page = c.get("/customers/KH3").text
    assert "¥8,800.50" in page and "2026年10月14日" in page


def test_finance_records_a_payment(client_for, ledger):
    f = client_for("finance")
    r = f.post("/payments", data={"customer": "KH3", "amount": "1000", "paid_on": "2026-11-23", "method": "transfer",
                                  "csrf_token": f.csrf})
    assert r.status_code == 200 and "已登记收款" in r.text
    assert svc.customer_view(ledger, "KH3").open_minor == 780050
    r = f.post("/payments", data={"customer": "KH3", "amount": "-5", "paid_on": "2026-11-23", "csrf_token": f.csrf})
    assert r.status_code == 422
    r = f.post("/payments", data={"customer": "KH9", "amount": "5", "paid_on": "2026-11-23", "csrf_token": f.csrf})
    assert r.status_code == 404
    assert audit.find(ledger, action="payment.recorded")[0].after["amount_minor"] == 100000


BAD_INVOICES = "发票号,客户编号,开票日期,金额\nN1,KH1,2026-11-01,100\nN2,KH1,2026-13-01,200\nN3,KH404,2026-11-02,300\n"


def test_upload_with_a_bad_row_shows_the_report_and_writes_nothing(client_for, ledger):
    f = client_for("finance")
    files = {"file": ("发票.csv", BAD_INVOICES.encode("utf-8"), "text/csv")}
    r = f.post("/imports", data={"kind": "invoices", "csrf_token": f.csrf}, files=files)
    assert r.status_code == 422 and 'data-testid="problems"' in r.text
    rows = re.findall(r"<tr><td>发票\.csv</td>", r.text)
    assert len(rows) == 2 and "第 3 行" in r.text and "2026-13-01" in r.text and "KH404" in r.text
    with ledger.uow(write=False) as uow:
        assert uow.customers.invoice_by_number("N1") is None
    r = f.post("/imports", data={"kind": "invoices", "csrf_token": f.csrf, "skip_invalid": "true"}, files=files)
    assert r.status_code == 200 and 'data-testid="import-report"' in r.text
    with ledger.uow(write=False) as uow:
        assert uow.customers.invoice_by_number("N1") is not None
        assert uow.customers.invoice_by_number("N2") is None
    assert audit.find(ledger, action="import.done")[0].after["inserted"] == 1


def test_upload_limit(client_for, web):
    web.state.hk.upload_limit = 1024
    f = client_for("finance")
    big = BAD_INVOICES.encode() + b"x" * 2048
    r = f.post("/imports", data={"kind": "invoices", "csrf_token": f.csrf}, files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 413 and "上传上限" in r.text
    r = f.post("/imports", data={"kind": "invoices", "csrf_token": f.csrf}, files={"file": ("x.exe", b"MZ", "x")})
    assert r.status_code == 422 and "不是 CSV 或 XLSX" in r.text


def test_dashboard_figures_link_to_their_lists(client_for):
    o = client_for("owner")
    page = o.get("/dashboard").text
    # Overdue: A1 ¥12,000 + B1 ¥50,000 + C1 ¥8,800.50, all past due on 2026-11-23.
    assert "逾期总额" in page and "¥70,800.50" in page
    for href in ('href="/approvals"', 'href="/payments"', 'href="/customers/KH2"', 'href="/admin/runs"'):
        assert href in page
    assert "/static/echarts.min.js" in page


def test_admin_pages(client_for, ledger):
    a = client_for("admin")
    for path in ("/admin/users", "/admin/calendar", "/admin/policies", "/admin/runs", "/admin/audit"):
        assert a.get(path).status_code == 200, path
    assert "overdue" in a.get("/admin/policies").text
    r = a.post("/admin/users", data={"name": "新人", "password": "long-enough-1", "roles": ["collector"],
                                     "person": "新人", "csrf_token": a.csrf}, follow_redirects=False)
    assert r.status_code == 303 and "新人" in a.get("/admin/users").text
    r = a.post("/admin/calendar", data={"day": "2026-12-26", "kind": "workday", "name": "调休",
                                        "csrf_token": a.csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "调休" in a.get("/admin/calendar", params={"month": "2026-12"}).text
    # Admin edits no customer's money.
    assert a.post("/payments", data={"customer": "KH3", "amount": "1", "paid_on": "2026-11-23",
                                     "csrf_token": a.csrf}).status_code == 403


def test_auditor_reads_the_audit_log_and_changes_nothing(client_for, ledger):
    au = client_for("auditor")
    page = au.get("/admin/audit", params={"action": "user.added"}).text
    assert "user.added" in page
    for path, data in (("/customers/KH1/contact", {"channel": "phone", "outcome": "reached"}),
                       ("/payments", {"customer": "KH1", "amount": "1", "paid_on": "2026-11-23"}),
                       ("/admin/users", {"name": "x", "password": "long-enough-1", "roles": ["owner"]})):
        assert au.post(path, data={**data, "csrf_token": au.csrf}).status_code == 403, path


def test_finance_moves_a_statement_along(client_for, ledger):
    f = client_for("finance")
    r = f.post("/customers/KH1/statement", headers={"X-CSRF-Token": f.csrf, "HX-Request": "true"},
               data={"period": "2026-10", "step": "sent"})
    assert r.status_code == 200 and "2026-10" in r.text
    with ledger.uow(write=False) as uow:
        st = uow.collect.statements("2026-10")
    row = next(iter(st.values()))
    assert row.prepared_on and row.checked_on and row.sent_on and row.confirmed_on is None
    assert audit.find(ledger, action="statement.marked")[0].after["step"] == "sent"
    r = f.post("/customers/KH1/statement", headers={"X-CSRF-Token": f.csrf}, data={"period": "2026-13", "step": "sent"})
    assert r.status_code == 422


def test_admin_assigns_a_segment_policy(client_for, ledger):
    a = client_for("admin")
    r = a.post("/admin/segments", data={"segment": "西南", "policy": "default", "csrf_token": a.csrf},
               follow_redirects=False)
    assert r.status_code == 303 and "西南" in a.get("/admin/policies").text
    assert a.post("/admin/segments", data={"segment": "西南", "policy": "nope", "csrf_token": a.csrf}).status_code == 422
    assert audit.find(ledger, action="segment.policy_assigned")[0].entity_key == "西南"
