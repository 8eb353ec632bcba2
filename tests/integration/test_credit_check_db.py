"""The credit check on a real database (SQLite and PostgreSQL): exposure from its four parts, the
order-desk rules over imported invoices, deliveries and orders, the override path and its record,
and bad input refused with nothing written."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.domain.credit import Decision, ReasonCode
from huikuan.domain.errors import InvalidInput, NotFound, RuleViolation
from huikuan.domain.money import Money
from huikuan.entrypoints.cli.main import main
from huikuan.services import credit
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows
from huikuan.services.ledger import record_payment

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

TODAY = date(2026, 11, 23)


@pytest.fixture
def shop(app):
    import_rows(app, "customers", [
        {"客户编号": "DL1", "客户名称": "郑州恒达经销部", "付款条件": "账期30天", "信用额度": "100000", "送二结一": "是"},
        {"客户编号": "EN1", "客户名称": "苏州精工有限公司", "付款条件": "月结30", "信用额度": "50000"},
        {"客户编号": "CA1", "客户名称": "现款小店", "付款条件": "现款", "信用额度": "0"},
    ])
    return app


def counts(app) -> tuple[int, ...]:
    with app.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(tb)).scalar() for tb in
                     (t.credit_check, t.credit_override, t.sales_order, t.delivery))


def test_exposure_has_four_parts(shop):
    import_rows(shop, "invoices", [{"发票号": "E-1", "客户编号": "EN1", "开票日期": "2026-11-01", "金额": "10000"}])
    credit.record_order(shop, "SO-9", "EN1", date(2026, 11, 20), 7_000_00)
    credit.record_delivery(shop, "SH-1", "EN1", date(2026, 11, 21), 3_000_00, order="SO-9")  # unbilled, part of SO-9
    with shop.uow() as uow:
        record_payment(uow, "EN1", Money(2_000_00, "CNY"), date(2026, 11, 22), method="acceptance_bill",
                       bill_kind="商业承兑", bill_matures_on=date(2027, 2, 22), by=BY)
        record_payment(uow, "EN1", Money(1_000_00, "CNY"), date(2026, 11, 22), method="acceptance_bill",
                       bill_kind="bank", bill_matures_on=date(2027, 5, 22), by=BY)
        uow.commit()
    r = credit.check_order(shop, "EN1", 1_00)
    # open AR 7,000 (both bills paid it down) + unbilled 3,000 + order left 4,000 + commercial bill 2,000;
    # the bank acceptance counts as paid
    assert r.result.exposure_minor == 16_000_00
    assert r.result.available_minor == 34_000_00 and r.decision is Decision.ALLOW
    # the order being checked is not counted twice
    assert credit.check_order(shop, "EN1", 7_000_00, order="SO-9").result.exposure_minor == 12_000_00
    # after maturity the commercial bill no longer counts
    assert credit.check_order(shop, "EN1", 1_00, as_of=date(2027, 2, 22)).result.exposure_minor == 14_000_00


def test_deliver_two_settle_one_and_override_path(shop):
    credit.record_delivery(shop, "SH-A", "DL1", date(2026, 11, 20), 5_000_00, signed_by="赵六")
    held = credit.check_order(shop, "DL1", 5_000_00, order="SO-2")
    assert held.decision is Decision.HOLD
    assert [x.code for x in held.result.reasons] == [ReasonCode.DELIVER_TWO]
    doc = held.to_json("zh")
    assert doc["reasons"][0]["text"].startswith("送二结一：已有 1 笔送货未付（SH-A）")
    assert set(doc) == {"customer", "amount_minor", "decision", "reasons", "exposure_minor", "limit_minor",
                        "available_minor", "as_of"}

    oid = credit.request_override(shop, "DL1", "SO-2", 5_000_00, requested_by="王芳", reason="节前备货，老客户")
    assert credit.check_order(shop, "DL1", 5_000_00, order="SO-2").decision is Decision.HOLD  # not yet approved
    with pytest.raises(RuleViolation):
        credit.decide_override(shop, oid, True, by="王芳")  # nobody approves their own request
    row = credit.decide_override(shop, oid, True, by="李主管", note="已电话确认回款计划")
    assert (row.status, row.decided_by, row.requested_by, row.amount_minor) == ("approved", "李主管", "王芳", 5_000_00)
    with pytest.raises(RuleViolation):
        credit.decide_override(shop, oid, False, by="张总")

    ok = credit.check_order(shop, "DL1", 5_000_00, order="SO-2")
    assert ok.decision is Decision.ALLOW and ok.result.override is not None and ok.result.override.id == oid
    assert "李主管 批准" in ok.to_json("zh")["reasons"][-1]["text"]
    assert "approved by 李主管" in ok.to_json("en")["reasons"][-1]["text"]
    # the override is for that order only
    assert credit.check_order(shop, "DL1", 5_000_00, order="SO-3").decision is Decision.HOLD
    # every check is on record, with the override it used
    with shop.engine.connect() as c:
        rows = c.execute(select(t.credit_check.c.order_number, t.credit_check.c.decision, t.credit_check.c.override_id)
                         .order_by(t.credit_check.c.id)).all()
    assert [tuple(r) for r in rows] == [("SO-2", "hold", None), ("SO-2", "hold", None), ("SO-2", "allow", oid),
                                        ("SO-3", "hold", None)]


def test_paying_the_delivery_releases_the_next(shop):
    import_rows(shop, "invoices", [{"发票号": "D-1", "客户编号": "DL1", "开票日期": "2026-10-01", "金额": "5000"}])
    r = credit.check_order(shop, "DL1", 1_000_00)
    assert {x.code for x in r.result.reasons} == {ReasonCode.OVERDUE_DELIVERY, ReasonCode.DELIVER_TWO}
    with shop.uow() as uow:
        record_payment(uow, "DL1", Money(5_000_00, "CNY"), TODAY, by=BY)
        uow.commit()
    assert credit.check_order(shop, "DL1", 1_000_00).decision is Decision.ALLOW


@pytest.mark.parametrize(("kind", "matures", "code"), [
    ("commercial", None, "bill_kind.needs_maturity"), ("支票", date(2027, 1, 1), "bill_kind.invalid")])
def test_acceptance_bill_input_is_checked(shop, kind, matures, code):
    with shop.uow() as uow, pytest.raises(InvalidInput) as e:
        record_payment(uow, "EN1", Money(1_00, "CNY"), TODAY, method="承兑汇票", bill_kind=kind, bill_matures_on=matures, by=BY)
    assert e.value.code == code
    with shop.uow() as uow, pytest.raises(InvalidInput) as e:
        record_payment(uow, "EN1", Money(1_00, "CNY"), TODAY, method="transfer", bill_kind="bank", by=BY)
    assert e.value.code == "bill_kind.not_a_bill"


def test_cash_customer_and_statuses(shop):
    assert credit.check_order(shop, "CA1", 1_00).decision is Decision.CASH_ONLY
    with shop.uow() as uow:
        cid = uow.customers.by_code("EN1").id
        uow.customers.update_customer(cid, credit_status="blacklisted")
        uow.commit()
    assert credit.check_order(shop, "EN1", 1_00).decision is Decision.BLOCK


@pytest.mark.parametrize(("call", "error", "code"), [
    (lambda a: credit.check_order(a, "NOPE", 100), NotFound, "customer.not_found"),
    (lambda a: credit.check_order(a, "EN1", 0), InvalidInput, "credit.amount_not_positive"),
    (lambda a: credit.check_order(a, "EN1", -100), InvalidInput, "credit.amount_not_positive"),
    (lambda a: credit.check_order(a, "EN1", 200, order="SO-1"), InvalidInput, "credit.order_checked_other_amount"),
    (lambda a: credit.check_order(a, "DL1", 100, order="SO-1"), InvalidInput, "credit.order_checked_other_amount"),
    (lambda a: credit.record_delivery(a, "SH-X", "EN1", TODAY, 100, order="SO-NONE"), NotFound,
     "delivery.unknown_order"),
    (lambda a: credit.request_override(a, "EN1", "SO-1", 100, requested_by="王芳", reason=" "), InvalidInput,
     "credit.override_needs_reason"),
    (lambda a: credit.decide_override(a, 999, True, by="李主管"), NotFound, "credit.override_not_found"),
])
def test_bad_input_is_refused_and_writes_nothing(shop, call, error, code):
    credit.check_order(shop, "EN1", 100, order="SO-1")
    before = counts(shop)
    with pytest.raises(error) as e:
        call(shop)
    assert e.value.code == code
    assert counts(shop) == before


def test_cli_check_json_hold_then_override_allow(shop, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    url = shop.settings.database_url
    credit.record_delivery(shop, "SH-A", "DL1", date(2026, 11, 20), 5_000_00)

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = cli("credit", "check", "DL1", "5000", "--order", "SO-7", "--as-of", "2026-11-23", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["decision"] == "hold" and doc["amount_minor"] == 500000 and doc["as_of"] == "2026-11-23"
    assert [r["code"] for r in doc["reasons"]] == ["deliver_two"]
    assert doc["exposure_minor"] == 500000 and doc["limit_minor"] == 10000000 and doc["available_minor"] == 9500000
    assert cli("credit", "override", "request", "DL1", "SO-7", "5000", "--by", "王芳", "--reason", "老客户")[0] == 0
    code, out, _ = cli("credit", "override", "approve", "1", "--by", "李主管")
    assert code == 0 and "已批准" in out
    code, out, _ = cli("--lang", "en", "credit", "check", "DL1", "5000", "--order", "SO-7")
    assert code == 0 and "Decision: allow" in out and "override #1" in out and "李主管" in out
    code, out, err = cli("credit", "check", "DL1", "6000", "--order", "SO-7")
    assert code == 2 and "已按 ¥5,000.00 检查过" in err and "Traceback" not in err
    code, _, err = cli("credit", "check", "DL1", "-5")
    assert code == 2 and "金额必须大于零" in err
    code, _, err = cli("--lang", "en", "credit", "check", "NOPE", "5")
    assert code == 2 and 'No customer "NOPE"' in err
