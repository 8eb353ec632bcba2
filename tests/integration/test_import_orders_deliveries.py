"""Orders and delivery notes (送货单) through the importer, Chinese headers, on SQLite and PostgreSQL:
upsert by number (the same file twice changes nothing), a delivery of an unknown order or another
customer's order refused with row and column and nothing written, and both counting in exposure."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from huikuan.adapters.db import tables as t
from huikuan.domain.errors import ImportRejected
from huikuan.services import credit
from huikuan.services.import_ import import_rows

ORDERS = [{"订单号": "SO-1", "客户编号": "K1", "订单日期": "2026-11-20", "金额": "¥12,000.00"},
          {"订单号": "SO-2", "客户编号": "K2", "订单日期": "2026-11-21", "金额": "3000"}]


@pytest.fixture
def two(app):
    import_rows(app, "customers", [
        {"客户编号": "K1", "客户名称": "甲", "付款条件": "账期30天", "信用额度": "100000", "送二结一": "是"},
        {"客户编号": "K2", "客户名称": "乙", "付款条件": "账期30天", "信用额度": "100000"},
    ])
    return app


def n(app, table) -> int:  # type: ignore[no-untyped-def]
    with app.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_orders_and_deliveries_import(two):
    r = import_rows(two, "orders", ORDERS)
    assert (r.inserted, r.updated) == (2, 0)
    assert import_rows(two, "orders", ORDERS).unchanged == 2
    r = import_rows(two, "deliveries", [
        {"送货单号": "SH-1", "客户编号": "K1", "订单号": "SO-1", "送货日期": "2026-11-22", "金额": "5000",
         "签收人": "赵老板", "签收日期": "2026-11-22"}])
    assert r.inserted == 1
    with two.uow() as uow:
        d = uow.credit.delivery("SH-1")
    assert (d.signed_by, d.order_number, d.amount_minor) == ("赵老板", "SO-1", 5_000_00)
    res = credit.check_order(two, "K1", 1_00)
    assert res.result.exposure_minor == 12_000_00  # 5,000 delivered unbilled + 7,000 of SO-1 still open
    assert [x.code.value for x in res.result.reasons] == ["deliver_two"]


def test_bad_deliveries_are_refused_with_nothing_written(two):
    import_rows(two, "orders", ORDERS)
    with pytest.raises(ImportRejected) as e:
        import_rows(two, "deliveries", [
            {"送货单号": "SH-1", "客户编号": "K1", "订单号": "SO-1", "送货日期": "2026-11-22", "金额": "5000"},
            {"送货单号": "SH-2", "客户编号": "K1", "订单号": "SO-404", "送货日期": "2026-11-22", "金额": "5000"},
            {"送货单号": "SH-3", "客户编号": "K1", "订单号": "SO-2", "送货日期": "2026-11-22", "金额": "5000"},
        ])
    got = sorted((p.where, p.code) for p in e.value.problems)
    assert got == [("第 3 行 / row 3, 列 订单号", "delivery.unknown_order"),
                   ("第 4 行 / row 4, 列 订单号", "credit.order_other_customer")]
    assert n(two, t.delivery) == 0


def test_payments_carry_the_acceptance_bill_kind(two):
    from datetime import date

    import_rows(two, "invoices", [{"发票号": "I-1", "客户编号": "K2", "开票日期": "2026-11-01", "金额": "10000"}])
    rows = [{"收款单号": "P-1", "客户编号": "K2", "收款日期": "2026-11-20", "金额": "4000", "结算方式": "承兑汇票",
             "汇票类型": "商业承兑", "汇票到期日": "2027-02-20"},
            {"收款单号": "P-2", "客户编号": "K2", "收款日期": "2026-11-20", "金额": "6000", "结算方式": "承兑汇票",
             "汇票类型": "银行承兑", "汇票到期日": "2027-05-20"}]
    import_rows(two, "payments", rows)
    assert import_rows(two, "payments", rows).unchanged == 2
    r = credit.check_order(two, "K2", 1_00, as_of=date(2026, 11, 23))
    assert r.result.exposure_minor == 4_000_00  # the commercial bill, until it matures
    with pytest.raises(ImportRejected) as e:
        import_rows(two, "payments", [{**rows[0], "收款单号": "P-3", "汇票到期日": ""}])
    assert [p.code for p in e.value.problems] == ["bill_kind.needs_maturity"]
