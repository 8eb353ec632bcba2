"""送二结一 and 前款不结后货不送, executable: a dealer on 账期 15 天 walked day by day through November
2026 — orders, delivery notes, invoices, a part payment and the rest — with the order desk checking a
new order every morning. The test asserts the exact sequence of answers (each change of answer, the
day it happened and why)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from huikuan.domain.money import Money
from huikuan.services import credit
from huikuan.services.audit import By
from huikuan.services.import_ import import_rows
from huikuan.services.ledger import record_payment

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

START, END = date(2026, 11, 2), date(2026, 11, 27)


def pay(app, amount: str, day: date, number: str) -> None:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        record_payment(uow, "DL-W", Money.parse(amount), day, number=number, by=BY)
        uow.commit()


def events(app, day: date) -> None:  # type: ignore[no-untyped-def]
    """What happens after the morning's check on ``day``."""
    if day == date(2026, 11, 2):  # first order ships the same day
        credit.record_order(app, "SO-1", "DL-W", day, 10_000_00)
        credit.record_delivery(app, "SH-1", "DL-W", day, 10_000_00, order="SO-1", signed_by="刘店长", signed_on=day)
    if day == date(2026, 11, 3):  # invoiced: the delivery note becomes the invoice's evidence
        import_rows(app, "invoices", [{"发票号": "I-1", "客户编号": "DL-W", "开票日期": "2026-11-03", "金额": "10000"}])
        credit.link_delivery(app, "SH-1", "I-1")
    if day == date(2026, 11, 9):  # SH-1 paid in full: the second delivery may go
        pay(app, "10000", day, "P-1")
    if day == date(2026, 11, 10):
        credit.record_order(app, "SO-2", "DL-W", day, 8_000_00)
        credit.record_delivery(app, "SH-2", "DL-W", day, 8_000_00, order="SO-2", signed_by="刘店长", signed_on=day)
        import_rows(app, "invoices", [{"发票号": "I-2", "客户编号": "DL-W", "开票日期": "2026-11-10", "金额": "8000"}])
        credit.link_delivery(app, "SH-2", "I-2")
    if day == date(2026, 11, 26):  # part payment: I-2 still open
        pay(app, "5000", day, "P-2")


def walk(app) -> list[tuple[str, str, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    import_rows(app, "customers", [{"客户编号": "DL-W", "客户名称": "洛阳顺发建材经销部", "客户类型": "dealer",
                                    "付款条件": "账期15天", "信用额度": "30000", "送二结一": "是"}])
    changes: list[tuple[str, str, tuple[str, ...]]] = []
    day = START
    while day <= END:
        r = credit.check_order(app, "DL-W", 5_000_00, as_of=day)
        seen = (r.decision.value, tuple(x.code.value for x in r.result.reasons))
        if not changes or changes[-1][1:] != seen:
            changes.append((day.strftime("%m-%d"), *seen))
        events(app, day)
        day += timedelta(days=1)
    return changes


def test_a_dealer_through_deliver_two_settle_one(app):
    assert walk(app) == [
        ("11-02", "allow", ()),                                    # nothing unpaid
        ("11-03", "hold", ("deliver_two",)),                       # SH-1 delivered, unpaid
        ("11-10", "allow", ()),                                    # checked before SH-2 went out: SH-1 paid on 11-09
        ("11-11", "hold", ("deliver_two",)),                       # SH-2 (I-2) unpaid
        ("11-26", "hold", ("overdue_delivery", "deliver_two")),    # I-2 due 11-25, unpaid: 前款不结后货不送
    ]


def test_paying_the_rest_releases_the_next_delivery(app):
    walk(app)
    assert credit.check_order(app, "DL-W", 5_000_00, as_of=END).decision.value == "hold"  # 3,000 still open
    pay(app, "3000", END, "P-3")
    r = credit.check_order(app, "DL-W", 5_000_00, as_of=END)
    assert r.decision.value == "allow" and r.result.exposure_minor == 0
