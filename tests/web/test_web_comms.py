"""The public 对账单 confirmation page (no account: a signed link and the page's CSRF token), the outbox
page for supervisors, and recording a letter as posted."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import csrf_of

from huikuan.adapters.db import tables as t
from huikuan.services import statements


def test_a_customer_confirms_a_statement_through_the_link_once(web: Any, ledger: Any) -> None:
    token = statements.confirmation_token(ledger, "KH1", "2026-10")
    with TestClient(web) as anon:
        page = anon.get(f"/confirm/{token}")
        assert page.status_code == 200 and "成都蓉信商贸有限公司" in page.text and "A2" in page.text
        r = anon.post(f"/confirm/{token}", data={"who": "刘会计", "dispute_A2": "1", "comment_A2": "少了一箱",
                                                 "csrf_token": csrf_of(page.text)})
        assert r.status_code == 200, r.text
        with ledger.engine.connect() as c:
            rec = c.execute(select(t.statement_confirmation)).one()
            dispute = c.execute(select(t.dispute)).one()
        assert (rec.who, rec.outcome, rec.ip) == ("刘会计", "disputed", "testclient") and "少了一箱" in dispute.note
        again = anon.get(f"/confirm/{token}")
        assert again.status_code == 409  # replayed: the answer is on record
        assert anon.get(f"/confirm/{token[:-3]}xyz").status_code == 422  # tampered
        no_csrf = anon.post(f"/confirm/{token}", data={"who": "x"})
        assert no_csrf.status_code == 403


def test_the_outbox_page_is_for_supervisors(client_for: Any, ledger: Any) -> None:
    from huikuan.services import outbox

    assert client_for("collector", person="张伟").get("/outbox").status_code == 403
    page = client_for("supervisor").get("/outbox")
    assert page.status_code == 200 and "发件箱" in page.text
    for row in outbox.list_messages(ledger):
        assert row.to_address in page.text  # every message with its address (dead letters say why)
    assert client_for("supervisor").get("/outbox?status=lost").status_code == 422
