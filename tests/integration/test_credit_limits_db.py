"""Credit applications approved by the role the amount calls for, every limit change on record with its
reason (incl. the 40 % cut when credit resumes after a stop), and the periodic review with its suggested
limit — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from huikuan.domain.errors import InvalidInput, RuleViolation
from huikuan.domain.ledger import Role
from huikuan.domain.money import Money
from huikuan.services import collect, credit
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.ledger import record_payment

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

TODAY = date(2026, 11, 23)


@pytest.fixture
def firm(app):
    import_rows(app, "customers", [
        {"客户编号": "K1", "客户名称": "武汉长江商贸", "付款条件": "账期30天", "信用额度": "100000"},
    ])
    return app


def history(app, code="K1"):
    return [(r.reason, int(r.old_minor), int(r.new_minor)) for r in credit.limit_history(app, code)]


def test_application_needs_the_role_its_amount_calls_for(firm):
    aid, role = credit.apply_for_credit(firm, "K1", 300_000_00, reasoning="年采购 300 万，三家供应商推荐",
                                        requested_by="王芳", terms="月结30", references="建行武汉分行")
    assert role is Role.CREDIT_MANAGER
    with pytest.raises(RuleViolation) as e:
        credit.decide_application(firm, aid, True, by="赵主管", role="credit_supervisor")
    assert e.value.code == "credit.application_needs_role"
    assert history(firm) == []  # nothing changed
    row = credit.decide_application(firm, aid, True, by="钱经理", role="credit_manager", note="同意")
    assert (row.status, row.decided_by) == ("approved", "钱经理")
    assert history(firm) == [("application", 100_000_00, 300_000_00)]
    with firm.uow() as uow:
        cust = uow.customers.by_code("K1")
    assert (cust.credit_limit_minor, cust.terms) == (300_000_00, "eom 30")
    assert credit.apply_for_credit(firm, "K1", 900_000_00, reasoning="x", requested_by="王芳")[1] is Role.GM
    with pytest.raises(InvalidInput):
        credit.apply_for_credit(firm, "K1", 1, reasoning=" ", requested_by="王芳")


def test_resumed_credit_is_cut_by_forty_percent_on_record(firm, clock):
    import_rows(firm, "invoices", [{"发票号": "A", "客户编号": "K1", "开票日期": "2026-09-01", "金额": "5000"}])
    with firm.uow() as uow:
        uow.customers.update_customer(uow.customers.by_code("K1").id, credit_status="stopped")
        record_payment(uow, "K1", Money(5_000_00, "CNY"), TODAY - timedelta(days=1), by=BY)
        uow.commit()
    report = run_daily(firm, TODAY)
    cut = next(a for a in report.actions if a.kind.value == "limit_cut")
    assert cut.amount_minor == 60_000_00  # 100,000 less 40 %
    with firm.uow() as uow:
        act_id = next(r.id for r in uow.customers.open_actions(uow.customers.by_code("K1").id) if r.kind == "limit_cut")
    collect.decide_proposal(firm, act_id, True, by="钱经理")
    assert history(firm) == [("resume_cut", 100_000_00, 60_000_00)]
    assert credit.limit_history(firm, "K1")[0].by == "钱经理"
    credit.set_limit(firm, "K1", 80_000_00, reason="review", by="钱经理", note="评审上调")
    assert history(firm)[-1] == ("review", 60_000_00, 80_000_00)
    with pytest.raises(InvalidInput):
        credit.set_limit(firm, "K1", 1, reason="because", by="x")


def test_review_lists_what_changed_with_a_suggested_limit(firm):
    # 12 months of ¥10,000 invoices on 账期30天, each paid 10 days late: suggested 10,000 × 60/30 × 80 %.
    rows = [{"发票号": f"V-{m}", "客户编号": "K1", "开票日期": f"{2025 + (m + 11) // 12}-{(m + 11) % 12 + 1:02d}-01",
             "金额": "10000"} for m in range(12)]
    import_rows(firm, "invoices", rows)
    with firm.uow() as uow:
        for r in rows:
            inv = uow.customers.invoice_by_number(r["发票号"])
            paid_on = inv.due_on + timedelta(days=10)
            if paid_on < TODAY:
                record_payment(uow, "K1", Money(10_000_00, "CNY"), paid_on, invoice_number=r["发票号"], by=BY)
        uow.commit()
    got = {r.code: r for r in credit.credit_review(firm, TODAY)}
    line = got["K1"].line
    assert line.behaviour_pct == 80 and line.suggested_minor == 16_000_00
    assert "limit_gap" in line.flags  # a ¥100,000 limit for ¥10,000 a month
    assert got["K1"].late_recent == 10
