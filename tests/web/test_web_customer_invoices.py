"""Customer 360 of a big dealer: its open invoices come 50 at a time (the first 50 due, a count, and "more"
rows through htmx), while the balance covers them all; the dispute form takes any invoice number; the
promise marker is on every page; the API's ``GET /customers/{code}`` still lists every invoice. Both
backends, zh-CN and English."""

from __future__ import annotations

import re
from datetime import date, timedelta

from huikuan.services import collect as svc
from huikuan.services.import_ import import_rows

MORE = re.compile(r'hx-get="(/customers/KH3/invoices\?after=[^"]+)"')


def big_dealer(ledger) -> list[str]:
    """57 more open invoices for KH3 (张伟's), several due on the same day: 58 in all."""
    start = date(2026, 8, 1)
    import_rows(ledger, "invoices", [
        {"invoice_number": f"K{i:03d}", "customer_code": "KH3", "amount": f"{100 + i}.00",
         "invoice_date": (start + timedelta(days=i // 3)).isoformat()} for i in range(57)])
    return [i.number for i in svc.customer_view(ledger, "KH3").invoices]


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="invoice-row"><td>([^<]+)</td>', html)


def test_a_big_dealers_invoices_come_a_page_at_a_time(client_for, ledger):
    numbers = big_dealer(ledger)
    assert len(numbers) == 58
    c = client_for("collector", person="张伟")
    page = c.get("/customers/KH3").text
    assert rows_of(page) == numbers[:50]
    assert "共 58 张，先列出最早到期的 50 张" in page and "再列 8 张" in page
    total = sum(i.open_minor for i in svc.customer_view(ledger, "KH3").invoices)
    assert f"¥{total // 100:,}.{total % 100:02d}" in page  # the balance of all 58, not of the 50 listed
    more = MORE.search(page).group(1)
    rest = c.get(more, headers={"HX-Request": "true"})
    assert rest.status_code == 200 and rows_of(rest.text) == numbers[50:]
    assert not MORE.search(rest.text)  # the end: no further "more"
    # Any invoice can be disputed, also one not on the first page: the form takes a typed number.
    assert 'list="dispute-invoices"' in page and 'name="invoice"' in page
    r = c.post("/customers/KH3/disputes", headers={"X-CSRF-Token": c.csrf, "HX-Request": "true"},
               data={"invoice": numbers[-1], "category": "quality", "amount": "10"})
    assert r.status_code == 200, r.text
    assert svc.customer_view(ledger, "KH3").disputed_minor == 1000
    c.post("/lang", data={"lang": "en", "csrf_token": c.csrf, "next": "/me"})
    en = c.get("/customers/KH3").text
    assert "58 in all; the 50 due first are listed" in en and "Show 8 more" in en


def test_promised_invoices_are_marked_on_later_pages(client_for, ledger):
    numbers = big_dealer(ledger)
    c = client_for("collector", person="张伟")
    svc.record_promise(ledger, "KH3", 5000, date(2026, 11, 30), invoices=[numbers[-1]], actor="test")
    page = c.get("/customers/KH3").text
    rest = c.get(MORE.search(page).group(1), headers={"HX-Request": "true"}).text
    marked = re.findall(r'<tr data-testid="invoice-row"><td>([^<]+)</td>(?:(?!</tr>).)*已承诺', rest, re.S)
    assert marked == [numbers[-1]]
    assert "已承诺" not in page  # nothing promised among the first 50


def test_the_next_invoices_keep_to_the_users_customers(client_for, ledger):
    big_dealer(ledger)
    other = client_for("collector", person="李娜")
    r = other.get("/customers/KH3/invoices", headers={"HX-Request": "true"})
    assert r.status_code == 404
    bad = client_for("collector", person="张伟").get("/customers/KH3/invoices?after=bm90LWEta2V5")
    assert bad.status_code == 422  # a malformed key is bad input, never a 500


def test_the_api_still_lists_every_invoice(bearer, ledger):
    numbers = big_dealer(ledger)
    from fastapi.testclient import TestClient

    from huikuan.entrypoints.web import create_app

    with TestClient(create_app(ledger)) as api:
        doc = api.get("/api/v1/customers/KH3", headers=bearer("manager")).json()
    assert [i["number"] for i in doc["invoices"]] == numbers


def test_the_billing_channel_is_marked_on_the_invoice(client_for, ledger):
    """An invoice imported with its billing channel (账单方式) carries it as a tag; one without shows none."""
    import_rows(ledger, "invoices", [
        {"invoice_number": "E1", "customer_code": "KH3", "amount": "100.00", "invoice_date": "2026-10-01",
         "bill_channel": "电子"},
        {"invoice_number": "P1", "customer_code": "KH3", "amount": "200.00", "invoice_date": "2026-10-02",
         "bill_channel": "Paper"}])
    html = client_for("collector", person="张伟").get("/customers/KH3").text
    row = {m.group(1): m.group(0) for m in re.finditer(r'<tr data-testid="invoice-row"><td>([^<]+)</td>.*?</tr>', html,
                                                       re.S)}
    assert "电子账单" in row["E1"] and "纸质账单" in row["P1"]
    assert all('data-testid="bill-channel"' not in r for n, r in row.items() if n not in ("E1", "P1"))
