"""Ledger facts recorded from the command line are audited like the workbench's: the ledger service writes
the audit row (actor ``cli:<OS user>``) in the fact's own transaction, so a failure after the write leaves
neither the fact nor its row — on both databases, through the CLI and through the web's service."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from huikuan.adapters.db.web_repo import AuditRepo
from huikuan.entrypoints.cli.main import main
from huikuan.services import audit, collect

CUSTOMERS = "customer_code,name,terms\nKH1,成都蓉信商贸有限公司,net 30\nKH2,杭州汇通电子有限公司,net 30\n"
INVOICES = "invoice_no,customer_code,invoice_date,amount\nA1,KH1,2026-10-19,1000\nB1,KH2,2026-10-19,500\n"


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUIKUAN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where a crash log would go
    monkeypatch.setattr(getpass, "getuser", lambda: "wangkj")

    def run(*args: str) -> int:
        code = main(["--database-url", db_url, *args])
        capsys.readouterr()
        return code

    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "i.csv").write_text(INVOICES, encoding="utf-8")
    assert run("import", "customers", str(tmp_path / "c.csv")) == 0
    assert run("import", "invoices", str(tmp_path / "i.csv")) == 0
    return run


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql))]
    finally:
        engine.dispose()


def _audit(db_url: str) -> list[tuple[object, ...]]:
    return _rows(db_url, "SELECT actor, action, entity_key FROM audit_log WHERE action NOT LIKE 'import.%' ORDER BY id")


def test_cli_pay_and_dispute_write_their_audit_rows_as_the_os_user(cli, db_url, app):
    assert cli("pay", "KH1", "--amount", "400", "--date", "2026-11-23", "--number", "P1") == 0
    assert cli("dispute", "B1", "--category", "quality", "--amount", "50", "--opened-on", "2026-11-23") == 0
    (did,) = _rows(db_url, "SELECT id FROM dispute")[0]
    assert cli("dispute-resolve", str(did), "--on", "2026-11-24") == 0
    assert cli("write-off", "A1", "--amount", "10", "--reason", "尾差", "--date", "2026-11-24") == 0
    assert _audit(db_url) == [("cli:wangkj", "payment.recorded", "KH1"), ("cli:wangkj", "dispute.opened", "KH2"),
                              ("cli:wangkj", "dispute.resolved", "KH2"), ("cli:wangkj", "write_off.recorded", "KH1")]
    rows = {r.action: r for r in audit.find(app)}
    assert rows["payment.recorded"].after["payment"] == "P1"
    assert rows["payment.recorded"].after["allocated"] == [["A1", 40000]]
    assert rows["payment.recorded"].after["unapplied_minor"] == 0
    assert rows["dispute.opened"].before == {"invoice": "B1", "disputed_minor": 0}
    assert rows["dispute.opened"].after["amount_minor"] == 5000
    assert rows["dispute.opened"].after["category"] == "quality"
    assert rows["dispute.resolved"].after == {"dispute": did, "resolved": True, "invoice": "B1",
                                              "amount_minor": 5000, "resolved_on": "2026-11-24"}
    assert rows["write_off.recorded"].after["open_minor"] == 60000 - 1000


def test_bulk_resolve_of_disputes_on_paid_invoices_is_audited_per_dispute(cli, db_url):
    assert cli("dispute", "A1", "--category", "quality", "--amount", "100", "--opened-on", "2026-11-20") == 0
    assert cli("pay", "KH1", "--amount", "1000", "--date", "2026-11-23") == 0
    assert cli("disputes", "--paid", "--resolve", "--on", "2026-11-24") == 0
    assert _audit(db_url)[-1] == ("cli:wangkj", "dispute.resolved", "KH1")


def _audit_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit insert fails the way a full disk or a lost connection would: after the fact was written."""
    def add(self: AuditRepo, **values: object) -> int:
        raise OperationalError("INSERT INTO audit_log", {}, Exception("disk I/O error"))

    monkeypatch.setattr(AuditRepo, "add", add)


@pytest.mark.parametrize("args", [("pay", "KH1", "--amount", "400", "--date", "2026-11-23"),
                                  ("dispute", "B1", "--category", "quality", "--opened-on", "2026-11-23")])
def test_a_failure_after_the_cli_write_leaves_neither_fact_nor_audit_row(cli, db_url, monkeypatch, args):
    before = _rows(db_url, "SELECT number, open_minor, disputed_minor FROM invoice ORDER BY number")
    _audit_fails(monkeypatch)
    assert cli(*args) != 0
    assert _rows(db_url, "SELECT count(*) FROM payment")[0][0] == 0
    assert _rows(db_url, "SELECT count(*) FROM dispute")[0][0] == 0
    assert _rows(db_url, "SELECT number, open_minor, disputed_minor FROM invoice ORDER BY number") == before
    assert _audit(db_url) == []


def test_a_failure_after_the_web_services_write_leaves_neither(cli, db_url, monkeypatch, app):
    _audit_fails(monkeypatch)
    with pytest.raises(OperationalError):
        collect.record_payment(app, "KH1", 40000, app.clock.today(), actor="finance1")
    with pytest.raises(OperationalError):
        collect.open_dispute(app, "KH2", "B1", None, "quality", actor="zhang")
    assert _rows(db_url, "SELECT count(*) FROM payment")[0][0] == 0
    assert _rows(db_url, "SELECT count(*) FROM dispute")[0][0] == 0
    monkeypatch.undo()
    collect.record_payment(app, "KH1", 40000, app.clock.today(), actor="finance1")
    assert _audit(db_url) == [("finance1", "payment.recorded", "KH1")]
