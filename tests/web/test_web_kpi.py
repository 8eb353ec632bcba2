"""The workbench KPI page (/kpi) on both databases: the hand-computed month of docs/metrics.md shows the same
figures as ``huikuan kpi``, each KPI against its target, the charts' data (DSO trend, roll rates, aging
structure), grouping, the CSV/Excel downloads and who may see it."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from huikuan.services import kpi as kpi_svc
from huikuan.services.import_ import import_rows

CUSTOMERS = [{"customer_code": "K1", "name": "华东五金商行", "terms": "net 30", "collector": "张伟", "segment": "华东",
              "type": "dealer"}]
INVOICES = [
    {"invoice_no": "D", "customer_code": "K1", "invoice_date": "2026-06-01", "due_date": "2026-07-01", "amount": "500"},
    {"invoice_no": "A", "customer_code": "K1", "invoice_date": "2026-08-10", "due_date": "2026-09-09", "amount": "1000"},
    {"invoice_no": "B", "customer_code": "K1", "invoice_date": "2026-09-15", "due_date": "2026-10-15", "amount": "2000"},
    {"invoice_no": "C", "customer_code": "K1", "invoice_date": "2026-10-10", "due_date": "2026-11-09", "amount": "3100"},
]
PAYMENTS = [
    {"payment_no": "P0", "customer_code": "K1", "payment_date": "2026-07-20", "amount": "500", "invoice_no": "D"},
    {"payment_no": "P1", "customer_code": "K1", "payment_date": "2026-10-05", "amount": "400", "invoice_no": "A"},
    {"payment_no": "P2", "customer_code": "K1", "payment_date": "2026-11-03", "amount": "2000", "invoice_no": "B"},
]


@pytest.fixture
def ledger(app: Any) -> Any:
    """The worked example of docs/metrics.md (without its disputes and promises; with an older invoice D
    paid in July, which changes nothing in October) instead of the web tests' usual book."""
    import_rows(app, "customers", CUSTOMERS)
    import_rows(app, "invoices", INVOICES)
    import_rows(app, "payments", PAYMENTS)
    kpi_svc.set_target(app, "2026-10", "overdue_collected_pct", 70)
    kpi_svc.set_target(app, "2026-10", "dso", 90)
    return app


def _charts(html: str) -> dict[str, Any]:
    m = re.search(r"data-charts='([^']+)'", html)
    assert m, "no chart data on the page"
    return json.loads(m.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))


def _card(html: str, metric: str) -> str:
    m = re.search(rf'data-testid="kpi-{metric}">(.*?)</div>\s*</div>', html, re.S)
    assert m, metric
    return m.group(1)


def test_the_month_against_its_targets_with_chart_data(client_for):
    c = client_for("manager")
    r = c.get("/kpi?month=2026-10")
    assert r.status_code == 200
    html = r.text
    assert "2026-10 回款指标（CNY）" in html
    dso = _card(html, "dso")
    assert "79.6" in dso and "≤ 90.0" in dso and "达成" in dso and "未达成" not in dso
    collected = _card(html, "overdue_collected_pct")
    assert "40.0" in collected and "≥ 70.0" in collected and "未达成" in collected
    assert "13.3" in _card(html, "cei") and "45.6" in _card(html, "overdue_share_pct")
    charts = _charts(html)
    assert charts["roll"]["values"] == [100.0, 60.0, None, None, None, None]
    assert charts["dso"]["months"] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert charts["dso"]["series"][0]["data"][-1] == 79.6 and charts["dso"]["series"][1]["data"][-1] == 31.0
    # aging at 2026-09-30: A 1,000 in 1–30 days, B 2,000 not due; at 10-31: C + B + A's 600 left
    aging = charts["aging"]["values"]
    assert [aging[b][-2] for b in range(3)] == [2000.0, 1000.0, 0.0]
    assert [aging[b][-1] for b in range(3)] == [3100.0, 2000.0, 600.0]
    # D: issued in June, not due at 06-30, 19 days late at 07-31 … paid 07-20: the trend reaches back to it
    assert [aging[b][1] for b in range(3)] == [500.0, 0.0, 0.0] and sum(a[2] for a in aging) == 0.0
    assert sum(a[0] for a in aging) == 0  # nothing issued before June
    assert "/static/kpi.js" in html and "/static/echarts.min.js" in html


def test_grouped_by_segment_and_in_english(client_for):
    c = client_for("owner")
    c.post("/lang", data={"lang": "en", "next": "/kpi", "csrf_token": c.csrf})
    html = c.get("/kpi?month=2026-10&by=segment").text
    assert "Collection KPIs 2026-10 (CNY)" in html and "Download CSV" in html
    groups = re.search(r'data-testid="kpi-groups">(.*?)</table>', html, re.S)
    assert groups and "华东" in groups.group(1) and "79.6" in groups.group(1)
    assert "missed" in _card(html, "overdue_collected_pct")


def test_downloads_are_the_clis_export(client_for):
    c = client_for("finance")
    r = c.get("/kpi/export?format=csv&month=2026-10&by=collector")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="kpi-2026-10-collector.csv"' in r.headers["content-disposition"]
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("收款员,DSO") and lines[2].startswith("张伟,79.6,31.0,48.6,13.33,40.0")
    x = c.get("/kpi/export?format=xlsx&month=2026-10")
    ws = load_workbook(io.BytesIO(x.content))["KPI"]
    assert ws["A1"].value == "2026-10 回款指标（CNY）" and ws["B3"].value == 79.6


@pytest.mark.parametrize(("roles", "status"), [(("collector",), 403), (("sales",), 403), (("credit_manager",), 200),
                                                (("gm",), 200), (("auditor",), 200)])
def test_who_sees_it(client_for, roles, status):
    c = client_for(*roles, person="张伟")
    assert c.get("/kpi?month=2026-10", follow_redirects=False).status_code == status
    assert c.get("/kpi/export?month=2026-10", follow_redirects=False).status_code == status
    assert ('href="/kpi"' in c.get("/me").text) == (status == 200)


def test_a_bad_month_is_a_clear_422(client_for):
    c = client_for("manager")
    r = c.get("/kpi?month=2026-13")
    assert r.status_code == 422 and "2026-13" in r.text


def test_a_manager_sets_a_target_on_the_page_and_sees_progress(client_for, ledger):
    """The form sets (and replaces) a month's target, audited with who did it; the card then shows it."""
    from huikuan.services import audit

    c = client_for("supervisor", person="王主管")
    html = c.get("/kpi?month=2026-11").text
    assert 'data-testid="target-form"' in html and "本月没有目标：在下面设定" in html
    r = c.post("/kpi/targets", data={"month": "2026-11", "scope": "company", "metric": "overdue_collected_pct",
                                     "value": "70%", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    html = c.get(r.headers["location"]).text
    assert 'data-testid="target-saved"' in html and "逾期款回收率" in html
    assert "≥ 70.0" in _card(html, "overdue_collected_pct")
    r = c.post("/kpi/targets", data={"month": "2026-11", "scope": "segment", "key": "华东", "metric": "dso",
                                     "value": "85", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    c.post("/kpi/targets", data={"month": "2026-11", "scope": "segment", "key": "华东", "metric": "dso",
                                 "value": "80", "csrf_token": c.csrf})
    assert [x for x in kpi_svc.targets(ledger, "2026-11") if x[1] == "segment"] == [
        ("2026-11", "segment", "华东", "dso", 80.0)]
    rows = [r for r in audit.find(ledger, action="kpi.target_set") if r.entity_key.startswith("2026-11")]
    assert {r.entity_key for r in rows} == {"2026-11/company//overdue_collected_pct", "2026-11/segment/华东/dso"}
    last = next(r for r in rows if r.after == {"value": 80.0})
    assert last.before == {"value": 85.0} and last.actor.endswith("supervisor")


@pytest.mark.parametrize(("form", "says"), [
    ({"value": "七十"}, "“七十”不是数字"),
    ({"value": "10001"}, "10001"),
    ({"scope": "segment", "key": "华东区"}, "“华东区”"),
    ({"scope": "collector", "key": ""}, "请填写 分类或收款员"),
    ({"month": "2026-13"}, "2026-13"),
])
def test_a_bad_target_comes_back_on_the_page_and_nothing_is_stored(client_for, ledger, form, says):
    c = client_for("owner")
    data = {"month": "2026-11", "scope": "company", "metric": "dso", "value": "80", "csrf_token": c.csrf, **form}
    r = c.post("/kpi/targets", data=data, follow_redirects=False)
    assert r.status_code == 422 and 'data-testid="target-error"' in r.text and says in r.text, r.text[-3000:]
    assert 'data-testid="target-form"' in r.text and f'value="{data["value"]}"' in r.text
    assert kpi_svc.targets(ledger, "2026-11") == []


@pytest.mark.parametrize(("roles", "status"), [(("finance",), 403), (("auditor",), 403), (("collector",), 403),
                                                (("credit_manager",), 303)])
def test_who_may_set_targets(client_for, ledger, roles, status):
    c = client_for(*roles, person="张伟")
    r = c.post("/kpi/targets", data={"month": "2026-11", "metric": "dso", "value": "80", "csrf_token": c.csrf},
               follow_redirects=False)
    assert r.status_code == status
    assert len(kpi_svc.targets(ledger, "2026-11")) == (1 if status == 303 else 0)
    if status == 403 and "collector" not in roles:
        assert 'data-testid="target-form"' not in c.get("/kpi?month=2026-11").text
