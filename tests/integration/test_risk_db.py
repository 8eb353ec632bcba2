"""Debtor kind and early warnings on a real database (SQLite and PostgreSQL): the daily run raises each
warning once per episode (a re-run, the next day: nothing new; a new episode after the old one ended:
raised again), a chronic late payer gets a visit task, and ``customer show`` / ``alerts`` show them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from huikuan.adapters.db import tables as t
from huikuan.domain.debtor import DebtorKind, Lever
from huikuan.domain.money import Money
from huikuan.entrypoints.cli.main import main
from huikuan.services import collect, credit, risk
from huikuan.services.audit import By
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.ledger import open_dispute, record_payment

BY = By("test", datetime(2026, 1, 1, tzinfo=UTC))  # who records the ledger facts below (audited)

TODAY = date(2026, 11, 23)


@pytest.fixture
def books(app):
    import_rows(app, "customers", [
        {"客户编号": "LATE", "客户名称": "拖欠商行", "付款条件": "账期30天", "信用额度": "900000", "业务员": "张伟"},
        {"客户编号": "GOOD", "客户名称": "守信公司", "付款条件": "账期30天", "信用额度": "900000"},
    ])
    import_rows(app, "contacts", [
        {"客户编号": "GOOD", "联系人": "李会计", "角色": "finance", "电话": "13800000000"},
    ])
    # LATE paid its last five invoices 20 days past due; GOOD paid on the due date.
    rows = []
    for i in range(5):
        on = date(2026, 3, 2) + timedelta(days=28 * i)
        rows += [{"发票号": f"L-{i}", "客户编号": "LATE", "开票日期": on.isoformat(), "金额": "1000"},
                 {"发票号": f"G-{i}", "客户编号": "GOOD", "开票日期": on.isoformat(), "金额": "1000"}]
    import_rows(app, "invoices", rows)
    with app.uow() as uow:
        for i in range(5):
            on = date(2026, 3, 2) + timedelta(days=28 * i)
            record_payment(uow, "LATE", Money(1_000_00, "CNY"), on + timedelta(days=50), invoice_number=f"L-{i}", by=BY)
            record_payment(uow, "GOOD", Money(1_000_00, "CNY"), on + timedelta(days=30), invoice_number=f"G-{i}", by=BY)
        uow.commit()
    return app


def alerts(app) -> list[tuple[str, str, str, date | None]]:
    with app.engine.connect() as c:
        rows = c.execute(select(t.customer.c.code, t.alert.c.kind, t.alert.c.move, t.alert.c.closed_on)
                         .join(t.customer, t.customer.c.id == t.alert.c.customer_id).order_by(t.alert.c.id)).all()
    return [tuple(r) for r in rows]


def test_warnings_are_raised_once_per_episode(books, clock):
    r1 = run_daily(books, TODAY)
    assert alerts(books) == [("LATE", "chronic_late", "visit", None)] and r1.alerts_raised == 1
    assert r1.warnings_seconds > 0
    with books.engine.connect() as c:
        visit = c.execute(select(t.action.c.kind, t.action.c.assignee, t.action.c.reason_zh)
                          .where(t.action.c.stage == "chronic_late_visit")).all()
    assert [(k, a) for k, a, _ in visit] == [("visit", "张伟")] and "最近 5 张发票有 5 张逾期" in visit[0][2]

    assert run_daily(books, TODAY).alerts_raised == 0  # a re-run of the day
    assert run_daily(books, TODAY + timedelta(days=1)).alerts_raised == 0  # the next day: same episode

    # The finance contact of GOOD leaves: a new event and the role emptied; raised once.
    risk.mark_contact_left(books, "GOOD", "李会计", TODAY + timedelta(days=1))
    r = run_daily(books, TODAY + timedelta(days=2))
    assert r.alerts_raised == 2
    assert run_daily(books, TODAY + timedelta(days=3)).alerts_raised == 0
    assert {a[:3] for a in alerts(books)} == {("LATE", "chronic_late", "visit"),
                                              ("GOOD", "contact_left", "confirm_balance"),
                                              ("GOOD", "role_emptied", "confirm_balance")}

    # GOOD hires a new finance person: the role episode ends (closed), and is not raised again.
    import_rows(books, "contacts", [{"客户编号": "GOOD", "联系人": "王出纳", "角色": "finance"}])
    run_daily(books, TODAY + timedelta(days=4))
    closed = {a[1]: a[3] for a in alerts(books) if a[0] == "GOOD"}
    assert closed["role_emptied"] == TODAY + timedelta(days=4) and closed["contact_left"] is None


def test_a_new_episode_is_raised_again(books):
    run_daily(books, TODAY)
    with books.uow() as uow:  # the run that saw it ends the episode once the sign is gone
        uow.c.execute(t.alert.update().values(closed_on=TODAY))
        uow.commit()
    assert run_daily(books, TODAY + timedelta(days=1)).alerts_raised == 1
    assert [a[1] for a in alerts(books)] == ["chronic_late", "chronic_late"]


def test_debtor_profile_from_the_record(books, clock):
    import_rows(books, "invoices", [{"发票号": "L-9", "客户编号": "LATE", "开票日期": "2026-09-01", "金额": "8000"}])
    for day in (3, 6, 9):
        collect.record_promise(books, "LATE", 8_000_00, date(2026, 10, day), made_on=date(2026, 10, 1))
    for day in (11, 12, 13):
        collect.log_contact(books, "LATE", "phone", "no_answer", at=datetime(2026, 11, day, 15, 30))
    p = risk.debtor_profile(books, "LATE", TODAY)
    assert p.classification.kind is DebtorKind.DELIBERATE
    assert dict(p.classification.evidence)["broken_promises"] == 3
    assert dict(p.classification.evidence)["silent_streak"] == 3
    assert Lever.PRESERVATION in p.levers  # 53 days past due → 呆账 (bad)

    with books.uow() as uow:
        open_dispute(uow, "L-9", Money(8_000_00, "CNY"), "quality", TODAY, by=BY)
        uow.commit()
    import_rows(books, "invoices", [{"发票号": "L-10", "客户编号": "LATE", "开票日期": "2026-09-02", "金额": "1"}])
    p = risk.debtor_profile(books, "LATE", TODAY)
    assert p.classification.kind is DebtorKind.GRIEVANCE and p.levers[0] is Lever.FIX_GRIEVANCE
    assert risk.debtor_profile(books, "GOOD", TODAY).classification is None  # nothing overdue


def test_cli_alerts_customer_show_and_levers(books, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    url = books.settings.database_url
    import_rows(books, "invoices", [{"发票号": "L-9", "客户编号": "LATE", "开票日期": "2026-09-01", "金额": "8000"}])

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = cli("run", "--as-of", "2026-11-23")
    assert code == 0 and "预警：新增 1 条" in out
    code, out, _ = cli("alerts", "--json")
    doc = json.loads(out)
    assert [(a["customer"], a["kind"], a["move"]) for a in doc] == [("LATE", "chronic_late", "visit")]
    assert doc[0]["reason"].endswith("→ 安排上门拜访")
    code, out, _ = cli("--lang", "en", "alerts")
    assert code == 0 and "Warnings (1)" in out and "LATE" in out
    assert cli("customer", "lever", "LATE", "stop_rebates", "--by", "刘经理", "--date", "2026-11-23")[0] == 0
    code, out, _ = cli("customer", "show", "LATE", "--as-of", "2026-11-23", "--json")
    d = json.loads(out)["debtor"]
    assert d["kind"] == "not_enough_evidence" and d["grade"] == "bad"
    stop = next(lv for lv in d["levers"] if lv["lever"] == "stop_rebates")
    assert stop["done"] == [{"on": "2026-11-23", "by": "刘经理"}]
    code, out, _ = cli("customer", "show", "LATE", "--as-of", "2026-11-23")
    assert "欠款户类型：证据不足" in out and "停止促销、样品和返利" in out
    code, _, err = cli("customer", "lever", "LATE", "threaten")
    assert code == 2 and "threaten" in err
    code, _, err = cli("customer", "contact-left", "LATE", "无此人")
    assert code == 2 and "没有联系人" in err
    assert credit.check_order(books, "LATE", 1_00).decision.value == "hold"  # 前款不结后货不送
