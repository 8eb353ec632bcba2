"""Issue 10's "done when", on the demo's own dealer: the clerk checks the dealer's next order and gets
``hold`` with the 送二结一 reason; a supervisor approves an override; the same check says ``allow``
naming it — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from huikuan.services import credit
from huikuan.services.demo_credit import DEALER, NEXT_ORDER, add_demo_dealer


def test_demo_dealer_hold_override_allow(app):
    story = add_demo_dealer(app, date(2026, 11, 23))
    assert story == {"dealer": DEALER, "order": NEXT_ORDER, "amount": "28000"}
    held = credit.check_order(app, DEALER, 28_000_00, order=NEXT_ORDER)
    doc = held.to_json("zh")
    assert doc["decision"] == "hold" and [r["code"] for r in doc["reasons"]] == ["deliver_two"]
    assert "SH-DEMO-001" in doc["reasons"][0]["text"]
    oid = credit.request_override(app, DEALER, NEXT_ORDER, 28_000_00, requested_by="王芳", reason="节前备货")
    credit.decide_override(app, oid, True, by="李主管")
    doc = credit.check_order(app, DEALER, 28_000_00, order=NEXT_ORDER).to_json("en")
    assert doc["decision"] == "allow" and doc["reasons"][-1]["code"] == "override"
    assert f"override #{oid}" in doc["reasons"][-1]["text"] and "李主管" in doc["reasons"][-1]["text"]
